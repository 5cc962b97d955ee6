/* SPDX-License-Identifier: GPL-3.0-or-later */
/* sip/tls.c between two agents' identities on 127.0.0.1: a message goes
 * over mutual TLS and arrives with the sender's fingerprint, the answer
 * goes back on the same connection (one connection for both directions),
 * a fingerprint that names another key is reported as "identity mismatch"
 * with nothing delivered, and plain text on the TLS port is dropped
 * without harm to the next connection. */
#include "config.h"

#include "sip/tls.h"
#include "trust/identity.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#define STEP_TIMEOUT_US (5 * G_USEC_PER_SEC)
/* Away from 5061, so that an agent on this machine does not interfere. */
#define BASE_PORT 35061

typedef struct {
  ZcSipTls *tls;
  ZcIdentity *id;
  GPtrArray *received;       /* char*: the messages */
  ZcSipFlow last_from;
  char *failed_reason;
} Side;

static const char message[] = "OPTIONS sip:b@127.0.0.1 SIP/2.0\r\nContent-Length: 0\r\n\r\n";
static const char answer[] = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";

static gboolean
receive_cb (const char *data, gsize len, const ZcSipFlow *from, gpointer user_data)
{
  Side *side = user_data;

  g_ptr_array_add (side->received, g_strndup (data, len));
  side->last_from = *from;
  return TRUE;
}

static void
failed_cb (const ZcSipFlow *to G_GNUC_UNUSED, const char *reason, gpointer user_data)
{
  Side *side = user_data;

  g_free (side->failed_reason);
  side->failed_reason = g_strdup (reason);
}

static void
side_init (Side *side, const char *dir, const char *name)
{
  g_autofree char *sub = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;

  side->id = zc_identity_load_or_create (sub, name, &error);
  g_assert_no_error (error);
  side->tls = zc_sip_tls_new (BASE_PORT, zc_identity_get_certificate (side->id),
                              zc_identity_get_private_key (side->id), &error);
  g_assert_no_error (error);
  side->received = g_ptr_array_new_with_free_func (g_free);
  zc_sip_tls_set_receiver (side->tls, receive_cb, side);
  zc_sip_tls_set_failed_handler (side->tls, failed_cb, side);
}

static void
side_clear (Side *side)
{
  zc_sip_tls_free (side->tls);
  zc_identity_free (side->id);
  g_ptr_array_unref (side->received);
  g_free (side->failed_reason);
}

static gboolean
run_until (gboolean (*done) (gpointer), gpointer data)
{
  gint64 deadline = g_get_monotonic_time () + STEP_TIMEOUT_US;

  while (!done (data) && g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  return done (data);
}

static gboolean
has_message (gpointer data)
{
  return ((Side *) data)->received->len > 0;
}

static gboolean
has_failed (gpointer data)
{
  return ((Side *) data)->failed_reason != NULL;
}

static void
flow_to (ZcSipFlow *flow, Side *side, const char *fingerprint)
{
  memset (flow, 0, sizeof *flow);
  flow->proto = ZC_SIP_TLS;
  g_strlcpy (flow->address, "127.0.0.1", sizeof flow->address);
  flow->port = zc_sip_tls_get_port (side->tls);
  g_strlcpy (flow->fingerprint, fingerprint, sizeof flow->fingerprint);
}

static void
test_round_trip_and_mismatch (void)
{
  g_autofree char *dir = g_dir_make_tmp ("zcall-test-tls-XXXXXX", NULL);
  g_autoptr (GError) error = NULL;
  Side a = { 0 }, b = { 0 };
  ZcSipFlow to;
  ZcSipFlow back;

  side_init (&a, dir, "alice");
  side_init (&b, dir, "bob");
  g_assert_cmpuint (zc_sip_tls_get_port (a.tls), !=, zc_sip_tls_get_port (b.tls));

  /* Alice expects bob's key and gets it; bob learns alice's. */
  flow_to (&to, &b, zc_identity_get_fingerprint (b.id));
  g_assert_true (zc_sip_tls_send (a.tls, &to, message, strlen (message), &error));
  g_assert_no_error (error);
  g_assert_true (run_until (has_message, &b));
  g_assert_cmpstr (g_ptr_array_index (b.received, 0), ==, message);
  g_assert_cmpint (b.last_from.proto, ==, ZC_SIP_TLS);
  g_assert_cmpstr (b.last_from.fingerprint, ==, zc_identity_get_fingerprint (a.id));

  /* Bob answers on the connection it came on: no second connection. */
  back = b.last_from;
  g_assert_true (zc_sip_tls_send (b.tls, &back, answer, strlen (answer), &error));
  g_assert_true (run_until (has_message, &a));
  g_assert_cmpstr (g_ptr_array_index (a.received, 0), ==, answer);
  g_assert_cmpstr (a.last_from.fingerprint, ==, zc_identity_get_fingerprint (b.id));
  g_assert_cmpuint (zc_sip_tls_count_connections (a.tls), ==, 1);
  g_assert_cmpuint (zc_sip_tls_count_connections (b.tls), ==, 1);
  /* Bob, sending to alice's port by her key, reuses that connection too. */
  flow_to (&to, &a, zc_identity_get_fingerprint (a.id));
  g_ptr_array_set_size (a.received, 0);
  g_assert_true (zc_sip_tls_send (b.tls, &to, message, strlen (message), &error));
  g_assert_true (run_until (has_message, &a));
  g_assert_cmpuint (zc_sip_tls_count_connections (b.tls), ==, 1);

  /* Alice expects bob's address to present her own key: refused, and
   * nothing reaches bob. */
  g_ptr_array_set_size (b.received, 0);
  flow_to (&to, &b, zc_identity_get_fingerprint (a.id));
  to.port = zc_sip_tls_get_port (b.tls);
  g_assert_true (zc_sip_tls_send (a.tls, &to, message, strlen (message), &error));
  g_assert_true (run_until (has_failed, &a));
  g_assert_cmpstr (a.failed_reason, ==, "identity mismatch");
  g_assert_cmpuint (b.received->len, ==, 0);

  side_clear (&a);
  side_clear (&b);
  {
    g_autofree char *p1 = g_build_filename (dir, "alice", ZC_IDENTITY_FILE, NULL);
    g_autofree char *p2 = g_build_filename (dir, "bob", ZC_IDENTITY_FILE, NULL);
    g_autofree char *d1 = g_build_filename (dir, "alice", NULL);
    g_autofree char *d2 = g_build_filename (dir, "bob", NULL);

    g_unlink (p1);
    g_unlink (p2);
    g_rmdir (d1);
    g_rmdir (d2);
    g_rmdir (dir);
  }
}

static gboolean
socket_closed (gpointer data)
{
  char buf[256];
  gssize n = g_socket_receive (data, buf, sizeof buf, NULL, NULL);

  return n == 0;
}

static void
test_plain_text_dropped (void)
{
  g_autofree char *dir = g_dir_make_tmp ("zcall-test-tls-XXXXXX", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) conn = NULL;
  GSocket *socket;
  Side a = { 0 }, b = { 0 };
  ZcSipFlow to;

  side_init (&a, dir, "alice");
  side_init (&b, dir, "bob");
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", zc_sip_tls_get_port (b.tls), NULL, &error);
  g_assert_no_error (error);
  socket = g_socket_connection_get_socket (conn);
  g_assert_cmpint (g_socket_send (socket, message, strlen (message), NULL, &error), ==, (gssize) strlen (message));
  g_socket_set_blocking (socket, FALSE);
  g_assert_true (run_until (socket_closed, socket));
  g_assert_cmpuint (b.received->len, ==, 0);
  g_assert_cmpuint (zc_sip_tls_count_connections (b.tls), ==, 0);

  /* The next, real, connection is served. */
  flow_to (&to, &b, zc_identity_get_fingerprint (b.id));
  g_assert_true (zc_sip_tls_send (a.tls, &to, message, strlen (message), &error));
  g_assert_true (run_until (has_message, &b));

  side_clear (&a);
  side_clear (&b);
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", dir);
    g_assert_true (g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tls/round-trip-and-mismatch", test_round_trip_and_mismatch);
  g_test_add_func ("/tls/plain-text-dropped", test_plain_text_dropped);
  return g_test_run ();
}
