/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "core/calls.h"
#include "core/targets.h"

#include <string.h>
#include <sys/socket.h>

static void
noop_cb (const ZcPeer *peer G_GNUC_UNUSED, gpointer data G_GNUC_UNUSED)
{
}

static void
add_peer (ZcPeerTable *table, const char *name, const char *user, const char *address, const char *id)
{
  ZcServiceRecord *r = zc_service_record_new ();

  r->ifindex = 2;
  r->ifname = g_strdup ("eth0");
  r->family = AF_INET;
  r->type = g_strdup ("_sip._udp");
  r->name = g_strdup (name);
  r->domain = g_strdup ("local");
  r->host = g_strdup_printf ("%s.local", user);
  r->address = g_strdup (address);
  r->port = 5060;
  r->txt.user = g_strdup (user);
  r->txt.instance_id = g_strdup (id);
  zc_peer_table_update (table, r);
}

static ZcPeerTable *
make_table (void)
{
  static const ZcPeerTableCallbacks events = { noop_cb, noop_cb, noop_cb };
  ZcPeerTable *table = zc_peer_table_new ("self-id", &events, NULL);

  add_peer (table, "Carol", "carol", "198.18.0.3", "c");
  add_peer (table, "Bob A", "bob", "198.18.0.4", "b1");
  add_peer (table, "Bob B", "bob", "198.18.0.5", "b2");
  add_peer (table, "Dave", "dave", "198.18.0.6", "d");
  add_peer (table, "dave2", "Dave", "198.18.0.7", "d2");
  add_peer (table, "Me", "me", "198.18.0.1", "self-id");
  return table;
}

static void
test_resolve (void)
{
  static const struct {
    const char *target;
    const char *uri;     /* NULL: error */
    int code;
  } cases[] = {
    { "Carol", "sip:carol@198.18.0.3:5060", 0 },
    { "carol", "sip:carol@198.18.0.3:5060", 0 },          /* name, case-insensitive */
    { "bob a", "sip:bob@198.18.0.4:5060", 0 },
    { "bob", NULL, ZC_CALLS_ERROR_AMBIGUOUS },           /* user of two peers */
    { "Dave", "sip:dave@198.18.0.6:5060", 0 },            /* the exact name beats another peer's user */
    { "dave", NULL, ZC_CALLS_ERROR_AMBIGUOUS },           /* a name and another peer's user */
    { "me", NULL, ZC_CALLS_ERROR_NOT_FOUND },             /* self is no target */
    { "nosuch", NULL, ZC_CALLS_ERROR_NOT_FOUND },
    { "", NULL, ZC_CALLS_ERROR_INVALID },
    { "sip:x@198.18.9.9:5070", "sip:x@198.18.9.9:5070", 0 },
    { "x@198.18.9.9", "sip:x@198.18.9.9", 0 },
  };
  g_autoptr (ZcPeerTable) table = make_table ();

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    g_autofree char *uri = zc_target_resolve (table, cases[i].target, &error);

    if (cases[i].uri != NULL) {
      g_assert_no_error (error);
      g_assert_cmpstr (uri, ==, cases[i].uri);
    } else {
      g_assert_null (uri);
      g_assert_error (error, ZC_CALLS_ERROR, cases[i].code);
    }
  }
}

static void
test_ambiguous_lists_candidates (void)
{
  g_autoptr (ZcPeerTable) table = make_table ();
  g_autoptr (GError) error = NULL;
  g_autofree char *uri = zc_target_resolve (table, "bob", &error);

  g_assert_null (uri);
  g_assert_nonnull (strstr (error->message, "Bob A"));
  g_assert_nonnull (strstr (error->message, "Bob B"));
}

static void
test_flow_for_uri (void)
{
  g_autoptr (ZcPeerTable) table = make_table ();
  g_autoptr (GError) error = NULL;
  ZcSipFlow flow;

  g_assert_true (zc_target_flow_for_uri (table, "sip:x@198.18.9.9:5070;transport=tcp", &flow, NULL));
  g_assert_cmpstr (flow.address, ==, "198.18.9.9");
  g_assert_cmpuint (flow.port, ==, 5070);
  g_assert_cmpint (flow.proto, ==, ZC_SIP_TCP);
  /* A peer's mDNS host name is mapped to its address. */
  g_assert_true (zc_target_flow_for_uri (table, "sip:carol@carol.local", &flow, NULL));
  g_assert_cmpstr (flow.address, ==, "198.18.0.3");
  g_assert_cmpuint (flow.port, ==, 5060);
  g_assert_false (zc_target_flow_for_uri (table, "sip:x@unknown.example", &flow, &error));
  g_assert_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_INVALID);
}

static void
test_address_is_local (void)
{
  g_autoptr (ZcPeerTable) table = make_table ();

  g_assert_true (zc_target_address_is_local (table, "127.0.0.1"));
  g_assert_true (zc_target_address_is_local (table, "198.18.0.3"));   /* a peer */
  g_assert_false (zc_target_address_is_local (table, "203.0.113.50"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/targets/resolve", test_resolve);
  g_test_add_func ("/targets/ambiguous-lists-candidates", test_ambiguous_lists_candidates);
  g_test_add_func ("/targets/flow-for-uri", test_flow_for_uri);
  g_test_add_func ("/targets/address-is-local", test_address_is_local);
  return g_test_run ();
}
