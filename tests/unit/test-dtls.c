/* SPDX-License-Identifier: GPL-3.0-or-later */
/* media/dtls-srtp.c between two ZcIceAgents on 127.0.0.1 in plain-RTP mode
 * (one component): the handshake with the agents' real identities
 * (trust/identity.c), the peer certificate against the SDP fingerprint,
 * SRTP round trips, a forged and a replayed packet refused, and a
 * fingerprint that names another certificate ending in "identity
 * mismatch" with no keys. */
#include "config.h"

#include "ice/ice-agent.h"
#include "media/dtls-srtp.h"
#include "trust/identity.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#define STEP_TIMEOUT_US (5 * G_USEC_PER_SEC)

static const char *const loopback_only[] = { "127.0.0.1", NULL };

typedef struct {
  gboolean gathered;
  ZcDtlsSrtp *dtls;
  gboolean done;
  GError *error;
  GPtrArray *rtp; /* GBytes: what came that is not DTLS */
} Side;

static void
gathering_done_cb (ZcIceAgent *agent G_GNUC_UNUSED, gpointer user_data)
{
  ((Side *) user_data)->gathered = TRUE;
}

static void
recv_cb (ZcIceAgent *agent G_GNUC_UNUSED, guint component_id G_GNUC_UNUSED, const guint8 *buf, gsize len,
         gpointer user_data)
{
  Side *side = user_data;

  if (zc_dtls_srtp_is_dtls (buf, len))
    zc_dtls_srtp_receive (side->dtls, buf, len);
  else
    g_ptr_array_add (side->rtp, g_bytes_new (buf, len));
}

static void
done_cb (ZcDtlsSrtp *dtls G_GNUC_UNUSED, const GError *error, gpointer user_data)
{
  Side *side = user_data;

  g_assert_false (side->done);
  side->done = TRUE;
  side->error = error != NULL ? g_error_copy (error) : NULL;
}

static ZcIceAgent *
agent_new (Side *side, gboolean controlling)
{
  ZcIceAgentConfig config = {
    .context = g_main_context_default (),
    .controlling = controlling,
    .rtcp_mux = TRUE,
    .local_addresses = loopback_only,
  };
  ZcIceAgentCallbacks callbacks = { .gathering_done = gathering_done_cb, .user_data = side };
  g_autoptr (GError) error = NULL;
  ZcIceAgent *agent = zc_ice_agent_new (&config, &callbacks, &error);

  g_assert_no_error (error);
  g_assert_true (zc_ice_agent_gather (agent, &error));
  side->rtp = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  return agent;
}

static void
iterate_until (const gboolean *a, const gboolean *b, const char *what)
{
  gint64 deadline = g_get_monotonic_time () + STEP_TIMEOUT_US;

  while (!(*a && *b)) {
    if (g_get_monotonic_time () > deadline)
      g_error ("timed out waiting for %s", what);
    g_main_context_iteration (NULL, FALSE);
    g_usleep (500);
  }
}

static ZcIdentity *
identity_new (const char *name, char **dir)
{
  g_autoptr (GError) error = NULL;
  ZcIdentity *id;

  *dir = g_dir_make_tmp ("zcall-dtls-XXXXXX", &error);
  g_assert_no_error (error);
  id = zc_identity_load_or_create (*dir, name, &error);
  g_assert_no_error (error);
  return id;
}

static void
remove_identity_dir (const char *dir)
{
  g_autofree char *file = g_build_filename (dir, ZC_IDENTITY_FILE, NULL);

  g_remove (file);
  g_rmdir (dir);
}

/* A runs the server (the offerer), B the client; B's idea of A's
 * fingerprint is @b_expects (NULL: the right one). */
static void
run_pair (const char *b_expects, gboolean expect_mismatch)
{
  Side sa = { 0 }, sb = { 0 };
  g_autofree char *dir_a = NULL, *dir_b = NULL, *addr_a = NULL, *addr_b = NULL;
  g_autoptr (ZcIdentity) ida = identity_new ("alice", &dir_a);
  g_autoptr (ZcIdentity) idb = identity_new ("bob", &dir_b);
  g_autoptr (ZcIceAgent) a = agent_new (&sa, TRUE);
  g_autoptr (ZcIceAgent) b = agent_new (&sb, FALSE);
  g_autoptr (GError) error = NULL;
  guint16 port_a, port_b;
  ZcDtlsSrtpConfig ca = {
    .certificate = zc_identity_get_certificate (ida),
    .private_key = zc_identity_get_private_key (ida),
    .client = FALSE,
    .remote_fingerprint = zc_identity_get_fingerprint (idb),
  };
  ZcDtlsSrtpConfig cb = {
    .certificate = zc_identity_get_certificate (idb),
    .private_key = zc_identity_get_private_key (idb),
    .client = TRUE,
    .remote_fingerprint = b_expects != NULL ? b_expects : zc_identity_get_fingerprint (ida),
  };

  iterate_until (&sa.gathered, &sb.gathered, "gathering");
  g_assert_true (zc_ice_agent_get_default_address (a, 1, &addr_a, &port_a, &error));
  g_assert_true (zc_ice_agent_get_default_address (b, 1, &addr_b, &port_b, &error));
  g_assert_true (zc_ice_agent_set_plain_remote (a, addr_b, port_b, port_b + 1, &error));
  g_assert_true (zc_ice_agent_set_plain_remote (b, addr_a, port_a, port_a + 1, &error));
  g_assert_no_error (error);

  sa.dtls = zc_dtls_srtp_new (a, &ca, done_cb, &sa, &error);
  g_assert_no_error (error);
  sb.dtls = zc_dtls_srtp_new (b, &cb, done_cb, &sb, &error);
  g_assert_no_error (error);
  zc_ice_agent_set_recv_func (a, recv_cb, &sa);
  zc_ice_agent_set_recv_func (b, recv_cb, &sb);
  g_assert_false (zc_dtls_srtp_is_keyed (sa.dtls));
  zc_dtls_srtp_start (sa.dtls);
  zc_dtls_srtp_start (sb.dtls);

  if (expect_mismatch) {
    guint8 pkt[64 + ZC_SRTP_MAX_TRAILER] = { 0x80, 0 };
    gsize len = 64;

    iterate_until (&sb.done, &sb.done, "the client's verdict");
    g_assert_error (sb.error, ZC_DTLS_ERROR, ZC_DTLS_ERROR_IDENTITY_MISMATCH);
    g_assert_cmpstr (sb.error->message, ==, "identity mismatch");
    /* No keys, so nothing can be sent. */
    g_assert_false (zc_dtls_srtp_is_keyed (sb.dtls));
    g_assert_cmpint (zc_dtls_srtp_protect (sb.dtls, pkt, sizeof pkt, &len, FALSE), ==, -ENOTCONN);
    g_assert_null (zc_dtls_srtp_get_suite (sb.dtls));
    g_assert_null (zc_dtls_srtp_get_peer_fingerprint (sb.dtls));
  } else {
    guint8 pkt[172 + ZC_SRTP_MAX_TRAILER], copy[sizeof pkt], plain[172];
    gsize len = 172, len2;

    iterate_until (&sa.done, &sb.done, "the handshake");
    g_assert_no_error (sa.error);
    g_assert_no_error (sb.error);
    g_assert_cmpstr (zc_dtls_srtp_get_suite (sa.dtls), ==, "AES_CM_128_HMAC_SHA1_80");
    g_assert_cmpstr (zc_dtls_srtp_get_suite (sb.dtls), ==, "AES_CM_128_HMAC_SHA1_80");
    g_assert_cmpstr (zc_dtls_srtp_get_peer_fingerprint (sa.dtls), ==, zc_identity_get_fingerprint (idb));
    g_assert_cmpstr (zc_dtls_srtp_get_peer_fingerprint (sb.dtls), ==, zc_identity_get_fingerprint (ida));

    /* An RTP packet (PCMU, 160 bytes) from A to B and back out. */
    memset (pkt, 0, sizeof pkt);
    pkt[0] = 0x80;
    pkt[3] = 7;       /* sequence */
    pkt[11] = 0x42;   /* SSRC */
    for (gsize i = 12; i < len; i++)
      pkt[i] = (guint8) i;
    memcpy (plain, pkt, len);
    g_assert_cmpint (zc_dtls_srtp_protect (sa.dtls, pkt, sizeof pkt, &len, FALSE), ==, 0);
    g_assert_cmpuint (len, ==, 172 + 10); /* the 80-bit tag */
    g_assert_true (memcmp (pkt + 12, plain + 12, 160) != 0);
    memcpy (copy, pkt, len);
    len2 = len;
    g_assert_cmpint (zc_dtls_srtp_unprotect (sb.dtls, pkt, &len, FALSE), ==, 0);
    g_assert_cmpuint (len, ==, 172);
    g_assert_cmpmem (pkt, len, plain, sizeof plain);
    /* The same packet again: a replay. */
    memcpy (pkt, copy, len2);
    len = len2;
    g_assert_cmpint (zc_dtls_srtp_unprotect (sb.dtls, pkt, &len, FALSE), ==, -EBADMSG);
    /* A forged one: the next sequence number, a flipped payload bit. */
    copy[3] = 8;
    copy[40] ^= 1;
    g_assert_cmpint (zc_dtls_srtp_unprotect (sb.dtls, copy, &len2, FALSE), ==, -EBADMSG);
  }

  zc_ice_agent_set_recv_func (a, NULL, NULL);
  zc_ice_agent_set_recv_func (b, NULL, NULL);
  zc_dtls_srtp_free (sa.dtls);
  zc_dtls_srtp_free (sb.dtls);
  g_clear_error (&sa.error);
  g_clear_error (&sb.error);
  g_ptr_array_unref (sa.rtp);
  g_ptr_array_unref (sb.rtp);
  remove_identity_dir (dir_a);
  remove_identity_dir (dir_b);
}

static void
test_handshake_and_srtp (void)
{
  run_pair (NULL, FALSE);
}

static void
test_identity_mismatch (void)
{
  /* Someone else's certificate, as a relay that rewrote a=fingerprint would make us expect. */
  g_autofree char *dir = NULL;
  g_autoptr (ZcIdentity) mallory = identity_new ("mallory", &dir);

  run_pair (zc_identity_get_fingerprint (mallory), TRUE);
  remove_identity_dir (dir);
}

static void
test_bad_config (void)
{
  Side s = { 0 };
  g_autoptr (ZcIceAgent) a = agent_new (&s, TRUE);
  g_autoptr (GError) error = NULL;
  ZcDtlsSrtpConfig config = { .remote_fingerprint = "md5 00:11" };

  g_assert_null (zc_dtls_srtp_new (a, &config, done_cb, &s, &error));
  g_assert_error (error, ZC_DTLS_ERROR, ZC_DTLS_ERROR_FAILED);
  g_ptr_array_unref (s.rtp);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dtls/handshake-and-srtp", test_handshake_and_srtp);
  g_test_add_func ("/dtls/identity-mismatch", test_identity_mismatch);
  g_test_add_func ("/dtls/bad-config", test_bad_config);
  return g_test_run ();
}
