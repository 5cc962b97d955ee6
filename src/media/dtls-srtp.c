/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "dtls"

#include "config.h"

#include "media/dtls-srtp.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/dtls.h>

/* Below any path MTU zcall meets, TURN's headers included (RFC 8656 2.7
 * leaves about 1200 bytes to be safe). */
#define DTLS_MTU 1200
/* DTLS records waiting for gnutls: a flight is a handful of datagrams. */
#define PENDING_MAX 16

struct _ZcDtlsSrtp {
  ZcIceAgent *agent;
  char *log_prefix;
  char *remote_fingerprint;     /* "sha-256 AB:CD:..." from the SDP */
  char *peer_fingerprint;       /* the certificate we got, same hash */
  gnutls_certificate_credentials_t credentials;
  gnutls_session_t session;
  gboolean client;
  gboolean started;
  gboolean finished;            /* done was called (success or not) */
  GQueue pending;               /* GBytes, records not yet read by gnutls */
  guint retransmit_id;
  guint deadline_id;
  ZcDtlsSrtpDoneFunc done;
  gpointer user_data;
  const char *suite;
  ZcSrtp *srtp;                 /* once keyed: tx on the media thread, rx here */
  atomic_bool keyed;
};

/* ZC_DTLS_ERROR is defined in dtls-error.c, which zcalld links: the core
 * reads these errors without the media module's symbols. */

gboolean
zc_dtls_srtp_prepare (void)
{
  return zc_srtp_prepare ();
}

/* ---- gnutls transport: the agent's RTP component ------------------------ */

static ssize_t
push_cb (gnutls_transport_ptr_t ptr, const void *data, size_t len)
{
  ZcDtlsSrtp *dtls = ptr;

  /* A failure (not connected yet, a full socket) is a lost datagram:
   * DTLS retransmits the flight (RFC 6347 4.2.4). */
  (void) zc_ice_agent_send (dtls->agent, ZC_ICE_COMPONENT_RTP, data, len);
  return (ssize_t) len;
}

static ssize_t
pull_cb (gnutls_transport_ptr_t ptr, void *data, size_t len)
{
  ZcDtlsSrtp *dtls = ptr;
  g_autoptr (GBytes) record = g_queue_pop_head (&dtls->pending);
  gsize size;
  const guint8 *bytes;

  if (record == NULL) {
    gnutls_transport_set_errno (dtls->session, EAGAIN);
    return -1;
  }
  bytes = g_bytes_get_data (record, &size);
  size = MIN (size, len);
  memcpy (data, bytes, size);
  return (ssize_t) size;
}

static int
pull_timeout_cb (gnutls_transport_ptr_t ptr, unsigned int ms G_GNUC_UNUSED)
{
  ZcDtlsSrtp *dtls = ptr;

  /* Never blocks: the main loop calls again when a record comes. */
  return dtls->pending.length > 0 ? 1 : 0;
}

/* ---- the outcome ---------------------------------------------------------- */

static void
finish (ZcDtlsSrtp *dtls, GError *error)
{
  g_clear_handle_id (&dtls->retransmit_id, g_source_remove);
  g_clear_handle_id (&dtls->deadline_id, g_source_remove);
  if (dtls->finished) {
    g_clear_error (&error);
    return;
  }
  dtls->finished = TRUE;
  if (error != NULL)
    g_message ("%sDTLS-SRTP: %s", dtls->log_prefix, error->message);
  if (dtls->done != NULL)
    dtls->done (dtls, error, dtls->user_data);
  g_clear_error (&error);
}

static gnutls_digest_algorithm_t
digest_for (const char *fingerprint, gsize *bytes)
{
  static const struct {
    const char *name;
    gnutls_digest_algorithm_t algorithm;
    gsize bytes;
  } hashes[] = {
    { "sha-1 ", GNUTLS_DIG_SHA1, 20 },     { "sha-224 ", GNUTLS_DIG_SHA224, 28 },
    { "sha-256 ", GNUTLS_DIG_SHA256, 32 }, { "sha-384 ", GNUTLS_DIG_SHA384, 48 },
    { "sha-512 ", GNUTLS_DIG_SHA512, 64 },
  };

  for (gsize i = 0; fingerprint != NULL && i < G_N_ELEMENTS (hashes); i++) {
    if (g_ascii_strncasecmp (fingerprint, hashes[i].name, strlen (hashes[i].name)) == 0) {
      *bytes = hashes[i].bytes;
      return hashes[i].algorithm;
    }
  }
  return GNUTLS_DIG_UNKNOWN;
}

/* The peer's certificate, in the form (and hash) of its SDP's. */
static char *
peer_fingerprint (ZcDtlsSrtp *dtls)
{
  const gnutls_datum_t *chain;
  unsigned int n = 0;
  gsize bytes = 0;
  gnutls_digest_algorithm_t algorithm = digest_for (dtls->remote_fingerprint, &bytes);
  guint8 digest[64];
  GString *text;

  chain = gnutls_certificate_get_peers (dtls->session, &n);
  if (chain == NULL || n == 0 || algorithm == GNUTLS_DIG_UNKNOWN)
    return NULL;
  if (gnutls_hash_fast (algorithm, chain[0].data, chain[0].size, digest) < 0)
    return NULL;
  text = g_string_new (NULL);
  g_string_append_len (text, dtls->remote_fingerprint, strchr (dtls->remote_fingerprint, ' ') - dtls->remote_fingerprint);
  for (gsize i = 0; i < bytes; i++)
    g_string_append_printf (text, "%c%02X", i == 0 ? ' ' : ':', digest[i]);
  return g_string_free (text, FALSE);
}

/* RFC 5764 4.2: client key, server key, client salt, server salt. */
static gboolean
install_keys (ZcDtlsSrtp *dtls, GError **error)
{
  gnutls_srtp_profile_t profile;
  gnutls_datum_t client_key, client_salt, server_key, server_salt;
  guint8 material[2 * (ZC_SRTP_KEY_LEN + ZC_SRTP_SALT_LEN)];
  int ret;

  if (gnutls_srtp_get_selected_profile (dtls->session, &profile) < 0
      || (profile != GNUTLS_SRTP_AES128_CM_HMAC_SHA1_80 && profile != GNUTLS_SRTP_AES128_CM_HMAC_SHA1_32)) {
    g_set_error_literal (error, ZC_DTLS_ERROR, ZC_DTLS_ERROR_FAILED, "DTLS handshake failed: no SRTP profile in common");
    return FALSE;
  }
  ret = gnutls_srtp_get_keys (dtls->session, material, sizeof material, &client_key, &client_salt, &server_key,
                              &server_salt);
  if (ret < 0 || client_key.size != ZC_SRTP_KEY_LEN || client_salt.size != ZC_SRTP_SALT_LEN) {
    g_set_error (error, ZC_DTLS_ERROR, ZC_DTLS_ERROR_FAILED, "DTLS handshake failed: no SRTP keys (%s)",
                 gnutls_strerror (ret));
    return FALSE;
  }
  {
    guint8 client[ZC_SRTP_MASTER_LEN], server[ZC_SRTP_MASTER_LEN];
    ZcSrtpSuite suite = profile == GNUTLS_SRTP_AES128_CM_HMAC_SHA1_32 ? ZC_SRTP_AES_CM_128_HMAC_SHA1_32
                                                                       : ZC_SRTP_AES_CM_128_HMAC_SHA1_80;

    memcpy (client, client_key.data, ZC_SRTP_KEY_LEN);
    memcpy (client + ZC_SRTP_KEY_LEN, client_salt.data, ZC_SRTP_SALT_LEN);
    memcpy (server, server_key.data, ZC_SRTP_KEY_LEN);
    memcpy (server + ZC_SRTP_KEY_LEN, server_salt.data, ZC_SRTP_SALT_LEN);
    dtls->srtp = dtls->client ? zc_srtp_new (suite, client, server) : zc_srtp_new (suite, server, client);
    memset (client, 0, sizeof client);
    memset (server, 0, sizeof server);
  }
  memset (material, 0, sizeof material);
  if (dtls->srtp == NULL) {
    g_set_error_literal (error, ZC_DTLS_ERROR, ZC_DTLS_ERROR_FAILED, "DTLS handshake failed: libsrtp2 refused the keys");
    return FALSE;
  }
  dtls->suite = zc_srtp_suite_to_string (zc_srtp_get_suite (dtls->srtp));
  /* Publishes tx to the media thread. */
  atomic_store_explicit (&dtls->keyed, TRUE, memory_order_release);
  return TRUE;
}

static gboolean retransmit_cb (gpointer user_data);

/* One step of the handshake: on a record, on the retransmission timer,
 * and at start for the client. */
static void
handshake (ZcDtlsSrtp *dtls)
{
  GError *error = NULL;
  int ret;

  if (dtls->finished)
    return;
  g_clear_handle_id (&dtls->retransmit_id, g_source_remove);
  do {
    ret = gnutls_handshake (dtls->session);
  } while (ret < 0 && ret != GNUTLS_E_AGAIN && !gnutls_error_is_fatal (ret));

  if (ret == GNUTLS_E_AGAIN) {
    guint ms = gnutls_dtls_get_timeout (dtls->session);

    dtls->retransmit_id = g_timeout_add (MAX (ms, 1), retransmit_cb, dtls);
    return;
  }
  if (ret < 0) {
    g_set_error (&error, ZC_DTLS_ERROR,
                 ret == GNUTLS_E_TIMEDOUT ? ZC_DTLS_ERROR_TIMED_OUT : ZC_DTLS_ERROR_FAILED,
                 ret == GNUTLS_E_TIMEDOUT ? "DTLS handshake timed out" : "DTLS handshake failed: %s",
                 gnutls_strerror (ret));
    finish (dtls, error);
    return;
  }
  dtls->peer_fingerprint = peer_fingerprint (dtls);
  if (dtls->peer_fingerprint == NULL || g_ascii_strcasecmp (dtls->peer_fingerprint, dtls->remote_fingerprint) != 0) {
    g_message ("%sDTLS peer certificate %s, its SDP said %s", dtls->log_prefix,
               dtls->peer_fingerprint != NULL ? dtls->peer_fingerprint : "(none)", dtls->remote_fingerprint);
    g_set_error_literal (&error, ZC_DTLS_ERROR, ZC_DTLS_ERROR_IDENTITY_MISMATCH, "identity mismatch");
    finish (dtls, error);
    return;
  }
  if (!install_keys (dtls, &error)) {
    finish (dtls, error);
    return;
  }
  g_message ("%sDTLS-SRTP keyed as %s: %s, peer %s", dtls->log_prefix, dtls->client ? "client" : "server",
             dtls->suite, dtls->peer_fingerprint);
  finish (dtls, NULL);
}

static gboolean
retransmit_cb (gpointer user_data)
{
  ZcDtlsSrtp *dtls = user_data;

  dtls->retransmit_id = 0;
  handshake (dtls);
  return G_SOURCE_REMOVE;
}

static gboolean
deadline_cb (gpointer user_data)
{
  ZcDtlsSrtp *dtls = user_data;

  dtls->deadline_id = 0;
  finish (dtls, g_error_new_literal (ZC_DTLS_ERROR, ZC_DTLS_ERROR_TIMED_OUT, "DTLS handshake timed out"));
  return G_SOURCE_REMOVE;
}

ZcDtlsSrtp *
zc_dtls_srtp_new (ZcIceAgent *agent,
                  const ZcDtlsSrtpConfig *config,
                  ZcDtlsSrtpDoneFunc done,
                  gpointer user_data,
                  GError **error)
{
  g_autoptr (ZcDtlsSrtp) dtls = NULL;
  gsize bytes;
  int ret;

  if (config->certificate == NULL || config->private_key == NULL
      || digest_for (config->remote_fingerprint, &bytes) == GNUTLS_DIG_UNKNOWN) {
    g_set_error_literal (error, ZC_DTLS_ERROR, ZC_DTLS_ERROR_FAILED,
                         "DTLS: no certificate of ours or no usable fingerprint of the peer's");
    return NULL;
  }
  if (!zc_dtls_srtp_prepare ()) {
    g_set_error_literal (error, ZC_DTLS_ERROR, ZC_DTLS_ERROR_FAILED, "DTLS: libsrtp2 is not usable");
    return NULL;
  }
  dtls = g_new0 (ZcDtlsSrtp, 1);
  dtls->agent = agent;
  dtls->client = config->client;
  dtls->done = done;
  dtls->user_data = user_data;
  dtls->remote_fingerprint = g_strdup (config->remote_fingerprint);
  dtls->log_prefix = config->call_id != NULL ? g_strdup_printf ("call %s: ", config->call_id) : g_strdup ("");
  g_queue_init (&dtls->pending);

  if ((ret = gnutls_certificate_allocate_credentials (&dtls->credentials)) < 0
      || (ret = gnutls_certificate_set_x509_key (dtls->credentials, (gnutls_x509_crt_t *) &config->certificate, 1,
                                                 config->private_key)) < 0
      /* FORCE_CLIENT_CERT: a server that names acceptable CAs (linphone's
       * mbedTLS does) would otherwise get no certificate from us, ours
       * being self-signed, and could not check our fingerprint
       * (RFC 5763 5: the fingerprint is the check, not the issuer). */
      || (ret = gnutls_init (&dtls->session, GNUTLS_DATAGRAM | GNUTLS_NONBLOCK | GNUTLS_FORCE_CLIENT_CERT
                                                 | (config->client ? GNUTLS_CLIENT : GNUTLS_SERVER))) < 0
      || (ret = gnutls_set_default_priority (dtls->session)) < 0
      || (ret = gnutls_credentials_set (dtls->session, GNUTLS_CRD_CERTIFICATE, dtls->credentials)) < 0
      /* RFC 5764 4.1.2; AES-CM with the 80-bit tag first, as RFC 8827 6.5
       * wants every endpoint to do. */
      || (ret = gnutls_srtp_set_profile_direct (dtls->session, "SRTP_AES128_CM_HMAC_SHA1_80:SRTP_AES128_CM_HMAC_SHA1_32",
                                                NULL)) < 0) {
    g_set_error (error, ZC_DTLS_ERROR, ZC_DTLS_ERROR_FAILED, "DTLS: cannot set up the session (%s)",
                 gnutls_strerror (ret));
    return NULL;
  }
  /* The peer proves its key with its certificate (RFC 5763 5): the
   * server asks for one.  Self-signed, so no chain is verified: the
   * fingerprint is the check. */
  if (!config->client)
    gnutls_certificate_server_set_request (dtls->session, GNUTLS_CERT_REQUIRE);
  gnutls_transport_set_ptr (dtls->session, dtls);
  gnutls_transport_set_push_function (dtls->session, push_cb);
  gnutls_transport_set_pull_function (dtls->session, pull_cb);
  gnutls_transport_set_pull_timeout_function (dtls->session, pull_timeout_cb);
  gnutls_dtls_set_mtu (dtls->session, DTLS_MTU);
  gnutls_dtls_set_timeouts (dtls->session, ZC_DTLS_RETRANSMIT_MS, ZC_DTLS_HANDSHAKE_TIMEOUT_MS);
  return g_steal_pointer (&dtls);
}

void
zc_dtls_srtp_free (ZcDtlsSrtp *dtls)
{
  if (dtls == NULL)
    return;
  g_clear_handle_id (&dtls->retransmit_id, g_source_remove);
  g_clear_handle_id (&dtls->deadline_id, g_source_remove);
  if (dtls->session != NULL) {
    if (atomic_load (&dtls->keyed))
      gnutls_bye (dtls->session, GNUTLS_SHUT_WR); /* a close_notify, best effort */
    gnutls_deinit (dtls->session);
  }
  if (dtls->credentials != NULL)
    gnutls_certificate_free_credentials (dtls->credentials);
  zc_srtp_free (dtls->srtp);
  g_queue_clear_full (&dtls->pending, (GDestroyNotify) g_bytes_unref);
  g_free (dtls->remote_fingerprint);
  g_free (dtls->peer_fingerprint);
  g_free (dtls->log_prefix);
  g_free (dtls);
}

void
zc_dtls_srtp_start (ZcDtlsSrtp *dtls)
{
  if (dtls->started || dtls->finished)
    return;
  dtls->started = TRUE;
  dtls->deadline_id = g_timeout_add (ZC_DTLS_HANDSHAKE_TIMEOUT_MS, deadline_cb, dtls);
  if (dtls->client || dtls->pending.length > 0)
    handshake (dtls);
}

void
zc_dtls_srtp_receive (ZcDtlsSrtp *dtls, const guint8 *buf, gsize len)
{
  if (dtls->pending.length >= PENDING_MAX)
    return;
  g_queue_push_tail (&dtls->pending, g_bytes_new (buf, len));
  /* Before start: the peer's ClientHello came before our transport had a
   * working pair (our answer to it would be lost); it waits for start. */
  if (!dtls->started)
    return;
  if (!dtls->finished) {
    handshake (dtls);
    return;
  }
  if (atomic_load (&dtls->keyed)) {
    guint8 sink[256];

    /* After the handshake: the peer's retransmitted last flight (gnutls
     * answers it) or an alert; application data has no use here. */
    while (dtls->pending.length > 0 && gnutls_record_recv (dtls->session, sink, sizeof sink) > 0)
      ;
  }
  g_queue_clear_full (&dtls->pending, (GDestroyNotify) g_bytes_unref);
}

gboolean
zc_dtls_srtp_is_keyed (ZcDtlsSrtp *dtls)
{
  return atomic_load_explicit (&dtls->keyed, memory_order_acquire);
}

ZcSrtp *
zc_dtls_srtp_get_srtp (ZcDtlsSrtp *dtls)
{
  return zc_dtls_srtp_is_keyed (dtls) ? dtls->srtp : NULL;
}

int
zc_dtls_srtp_protect (ZcDtlsSrtp *dtls, guint8 *buf, gsize size, gsize *len, gboolean rtcp)
{
  if (!zc_dtls_srtp_is_keyed (dtls))
    return -ENOTCONN;
  return zc_srtp_protect (dtls->srtp, buf, size, len, rtcp);
}

int
zc_dtls_srtp_unprotect (ZcDtlsSrtp *dtls, guint8 *buf, gsize *len, gboolean rtcp)
{
  if (!zc_dtls_srtp_is_keyed (dtls))
    return -ENOTCONN;
  return zc_srtp_unprotect (dtls->srtp, buf, len, rtcp);
}

const char *
zc_dtls_srtp_get_suite (ZcDtlsSrtp *dtls)
{
  return zc_dtls_srtp_is_keyed (dtls) ? dtls->suite : NULL;
}

const char *
zc_dtls_srtp_get_peer_fingerprint (ZcDtlsSrtp *dtls)
{
  return zc_dtls_srtp_is_keyed (dtls) ? dtls->peer_fingerprint : NULL;
}
