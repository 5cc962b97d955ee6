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

/* A zcall agent's advert; @fp NULL: one without a key (not a zcall agent,
 * or an older one). */
static void
add_keyed_peer (ZcPeerTable *table, const char *name, const char *user, const char *address, const char *id,
                const char *fp)
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
  r->txt.fingerprint = g_strdup (fp);
  zc_peer_table_update (table, r);
}

static void
add_peer (ZcPeerTable *table, const char *name, const char *user, const char *address, const char *id)
{
  add_keyed_peer (table, name, user, address, id, NULL);
}

static ZcPeerTable *
make_table (void)
{
  static const ZcPeerTableCallbacks events = { noop_cb, noop_cb, noop_cb, NULL };
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

/* SIP over TLS: upgraded to a peer's tls= port with its key expected;
 * sips: never falls back to anything else. */
static void
test_choose_transport (void)
{
  static const ZcPeerTableCallbacks events = { noop_cb, noop_cb, noop_cb, NULL };
  g_autoptr (ZcPeerTable) table = zc_peer_table_new ("self-id", &events, NULL);
  const char *zero_fp = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";  /* 32 zero bytes, compact */
  ZcServiceRecord *r;
  g_autoptr (GVariant) bob = NULL;
  g_autoptr (GVariant) carol = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *uri = NULL;
  ZcSipFlow flow;

  add_keyed_peer (table, "Bob", "bob", "198.18.0.2", "b", zero_fp);
  add_keyed_peer (table, "Carol", "carol", "198.18.0.3", "c", zero_fp);
  /* Bob's advert again, now with tls= (an update of the same record). */
  r = zc_service_record_new ();
  r->ifindex = 2;
  r->ifname = g_strdup ("eth0");
  r->family = AF_INET;
  r->type = g_strdup ("_sip._udp");
  r->name = g_strdup ("Bob");
  r->domain = g_strdup ("local");
  r->host = g_strdup ("bob.local");
  r->address = g_strdup ("198.18.0.2");
  r->port = 5060;
  r->txt.user = g_strdup ("bob");
  r->txt.instance_id = g_strdup ("b");
  r->txt.fingerprint = g_strdup (zero_fp);
  r->txt.tls_port = g_strdup ("5061");
  zc_peer_table_update (table, r);
  bob = zc_target_peer_by_address (table, "198.18.0.2");
  carol = zc_target_peer_by_address (table, "198.18.0.3");
  g_assert_nonnull (bob);
  g_assert_nonnull (carol);

  /* Both ends have TLS: the call goes there, expecting bob's key. */
  uri = g_strdup ("sip:bob@198.18.0.2:5060");
  g_assert_true (zc_target_flow_for_uri (table, uri, &flow, NULL));
  g_assert_true (zc_target_choose_transport (bob, &uri, &flow, TRUE, NULL));
  g_assert_cmpint (flow.proto, ==, ZC_SIP_TLS);
  g_assert_cmpuint (flow.port, ==, 5061);
  g_assert_true (g_str_has_prefix (flow.fingerprint, "sha-256 00:00:"));
  g_assert_nonnull (strstr (uri, ":5061"));
  g_assert_nonnull (strstr (uri, "transport=tls"));
  g_clear_pointer (&uri, g_free);

  /* Ours off, or a transport named: no upgrade. */
  uri = g_strdup ("sip:bob@198.18.0.2:5060");
  g_assert_true (zc_target_flow_for_uri (table, uri, &flow, NULL));
  g_assert_true (zc_target_choose_transport (bob, &uri, &flow, FALSE, NULL));
  g_assert_cmpint (flow.proto, ==, ZC_SIP_UDP);
  g_clear_pointer (&uri, g_free);
  uri = g_strdup ("sip:bob@198.18.0.2:5060;transport=udp");
  g_assert_true (zc_target_flow_for_uri (table, uri, &flow, NULL));
  g_assert_true (zc_target_choose_transport (bob, &uri, &flow, TRUE, NULL));
  g_assert_cmpint (flow.proto, ==, ZC_SIP_UDP);
  g_clear_pointer (&uri, g_free);

  /* sips: to a peer without TLS, or with ours off: refused. */
  uri = g_strdup ("sips:carol@198.18.0.3");
  g_assert_true (zc_target_flow_for_uri (table, uri, &flow, NULL));
  g_assert_cmpint (flow.proto, ==, ZC_SIP_TLS);
  g_assert_false (zc_target_choose_transport (carol, &uri, &flow, TRUE, &error));
  g_assert_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_false (zc_target_choose_transport (NULL, &uri, &flow, FALSE, &error));
  g_assert_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_FAILED);
  g_clear_error (&error);
  g_clear_pointer (&uri, g_free);

  /* sips: to a phone we know nothing of: TLS, any certificate. */
  uri = g_strdup ("sips:x@198.18.9.9");
  g_assert_true (zc_target_flow_for_uri (table, uri, &flow, NULL));
  g_assert_true (zc_target_choose_transport (NULL, &uri, &flow, TRUE, NULL));
  g_assert_cmpint (flow.proto, ==, ZC_SIP_TLS);
  g_assert_cmpuint (flow.port, ==, 5061);
  g_assert_cmpstr (flow.fingerprint, ==, "");
}

static void
test_address_is_local (void)
{
  g_autoptr (ZcPeerTable) table = make_table ();

  g_assert_true (zc_target_address_is_local (table, "127.0.0.1"));
  g_assert_true (zc_target_address_is_local (table, "198.18.0.3"));   /* a peer */
  g_assert_false (zc_target_address_is_local (table, "203.0.113.50"));
}

/* One record of a peer seen on @ifname (family AF_INET6 for an IPv6
 * address), as the discovery glue makes it: an IPv6 link-local address
 * carries the zone. */
static void
add_record_on (ZcPeerTable *table, const char *name, const char *ifname, const char *address, const char *id)
{
  ZcServiceRecord *r = zc_service_record_new ();
  gboolean v6 = strchr (address, ':') != NULL;

  r->ifindex = g_str_equal (ifname, "eth0") ? 2 : 3;
  r->ifname = g_strdup (ifname);
  r->family = v6 ? AF_INET6 : AF_INET;
  /* One record per (interface, family, type): a second type for a
   * second address of a family. */
  r->type = g_strdup (g_str_has_prefix (address, "fe80:") || g_str_has_prefix (address, "169.254.") ? "_sip._udp"
                                                                                                    : "_sipuri._udp");
  r->name = g_strdup (name);
  r->domain = g_strdup ("local");
  r->host = g_strdup_printf ("%s.local", id);
  r->address = g_str_has_prefix (address, "fe80:") ? g_strdup_printf ("%s%%%s", address, ifname)
                                                    : g_strdup (address);
  r->port = 5060;
  r->txt.user = g_strdup (id);
  r->txt.instance_id = g_strdup (id);
  zc_peer_table_update (table, r);
}

/* Issue 15: a peer found only at a link-local address is called on the
 * link it was found on; one with a routable address there first; the
 * same fe80:: address on two links is two peers. */
static void
test_link_local (void)
{
  static const ZcPeerTableCallbacks events = { noop_cb, noop_cb, noop_cb, NULL };
  g_autoptr (ZcPeerTable) table = zc_peer_table_new ("self-id", &events, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *uri = NULL;
  g_autoptr (GVariant) view = NULL;
  g_autoptr (GVariant) endpoints = NULL;
  const char *address, *ifname, *name = NULL;
  ZcSipFlow flow;
  ZcPeer *fred;

  add_record_on (table, "Yann", "eth0", "fe80::2", "yann");
  add_record_on (table, "Zoe", "eth1", "fe80::2", "zoe");
  add_record_on (table, "Fred", "eth0", "fe80::f", "fred");
  add_record_on (table, "Fred", "eth0", "169.254.7.7", "fred");
  add_record_on (table, "Fred", "eth0", "198.18.15.2", "fred");
  add_record_on (table, "Fred", "eth0", "2001:db8::f", "fred");

  uri = zc_target_route (table, "yann", &flow, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (uri, ==, "sip:yann@[fe80::2]:5060");   /* no zone in SIP */
  g_assert_cmpstr (flow.address, ==, "fe80::2%eth0");
  g_clear_pointer (&uri, g_free);
  uri = zc_target_route (table, "zoe", &flow, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (flow.address, ==, "fe80::2%eth1");
  g_clear_pointer (&uri, g_free);

  /* Routable IPv4, routable IPv6, IPv4 link-local, IPv6 link-local. */
  uri = zc_target_route (table, "fred", &flow, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (uri, ==, "sip:fred@198.18.15.2:5060");
  g_assert_cmpstr (flow.address, ==, "198.18.15.2");
  fred = zc_target_find_peer (table, "fred", ZC_TARGET_FOR_CALL, &error);
  g_assert_no_error (error);
  view = g_variant_ref_sink (zc_peer_to_variant (fred));
  endpoints = g_variant_lookup_value (view, "endpoints", G_VARIANT_TYPE ("a(ss)"));
  g_assert_nonnull (endpoints);
  g_assert_cmpuint (g_variant_n_children (endpoints), ==, 4);
  g_variant_get_child (endpoints, 0, "(&s&s)", &address, &ifname);
  g_assert_cmpstr (address, ==, "198.18.15.2");
  g_assert_cmpstr (ifname, ==, "eth0");
  g_variant_get_child (endpoints, 1, "(&s&s)", &address, &ifname);
  g_assert_cmpstr (address, ==, "2001:db8::f");
  g_variant_get_child (endpoints, 2, "(&s&s)", &address, &ifname);
  g_assert_cmpstr (address, ==, "169.254.7.7");
  g_variant_get_child (endpoints, 3, "(&s&s)", &address, &ifname);
  g_assert_cmpstr (address, ==, "fe80::f");               /* zone apart */
  g_assert_cmpstr (ifname, ==, "eth0");
  /* The fallback its pings chose (ZcPeerLiveness.address_index). */
  zc_peer_get_liveness (fred)->address_index = 3;
  g_clear_pointer (&uri, g_free);
  uri = zc_target_route (table, "fred", &flow, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (flow.address, ==, "fe80::f%eth0");

  /* A bare link-local address in a URI: the link a peer has it on; on two
   * links it is ambiguous, on none unknown. */
  g_assert_true (zc_target_flow_for_uri (table, "sip:fred@[fe80::f]", &flow, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (flow.address, ==, "fe80::f%eth0");
  g_assert_false (zc_target_flow_for_uri (table, "sip:yann@[fe80::2]", &flow, &error));
  g_assert_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_AMBIGUOUS);
  g_clear_error (&error);
  g_assert_false (zc_target_flow_for_uri (table, "sip:x@[fe80::99]", &flow, &error));
  g_assert_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_INVALID);
  g_clear_error (&error);

  /* A caller's source address carries its zone: it names the peer on that
   * link only, and counts as local. */
  g_clear_pointer (&view, g_variant_unref);
  view = zc_target_peer_by_address (table, "fe80::2%eth1");
  g_assert_nonnull (view);
  g_assert_true (g_variant_lookup (view, "name", "&s", &name));
  g_assert_cmpstr (name, ==, "Zoe");
  g_assert_true (zc_target_address_is_local (table, "fe80::2%eth1"));
}

/* The verdicts of the trust test: the fp= names them ("known", "changed"). */
static const char *
trust_cb (const ZcPeer *peer, gpointer data G_GNUC_UNUSED)
{
  const char *fp = zc_peer_get_fingerprint (peer);
  static const char *const verdicts[] = { "new", "known", "verified", "changed", NULL };

  for (guint i = 0; fp != NULL && verdicts[i] != NULL; i++) {
    if (g_str_has_prefix (fp, verdicts[i]))
      return verdicts[i];
  }
  return "none";
}

/* `zcall call bob` with a copy of Bob's advert on the LAN
 * reaches the genuine Bob; with only the copy, or only a Bob whose key
 * changed, it is refused with a message that says why. */
static void
test_trust (void)
{
  static const ZcPeerTableCallbacks events = { noop_cb, noop_cb, noop_cb, trust_cb };
  g_autoptr (ZcPeerTable) table = zc_peer_table_new ("self-id", &events, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *uri = NULL;
  g_autoptr (GVariant) from_copy = NULL;
  const char *reason = NULL;
  ZcPeer *peer;

  add_keyed_peer (table, "Bob", "bob", "198.18.0.2", "b", "known-A");
  add_keyed_peer (table, "Bob #2", "bob", "198.18.0.9", "b", "changed-B");   /* the copy */
  add_keyed_peer (table, "Bob #3", "bob", "198.18.0.10", "b", NULL);         /* a copy without fp= */
  uri = zc_target_resolve (table, "bob", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (uri, ==, "sip:bob@198.18.0.2:5060");
  g_clear_pointer (&uri, g_free);
  /* Not even its exact name reaches a flagged entry. */
  uri = zc_target_resolve (table, "Bob #2", &error);
  g_assert_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_UNTRUSTED);
  g_assert_null (uri);
  g_clear_error (&error);
  /* Calls from the copy's address are refused. */
  from_copy = zc_target_peer_by_address (table, "198.18.0.9");
  g_assert_nonnull (from_copy);
  g_assert_true (zc_target_peer_is_refused (from_copy, &reason));
  g_assert_cmpstr (reason, ==, "identity changed");
  g_clear_pointer (&from_copy, g_variant_unref);
  from_copy = zc_target_peer_by_address (table, "198.18.0.10");
  g_assert_true (zc_target_peer_is_refused (from_copy, &reason));
  g_assert_cmpstr (reason, ==, "identity conflict");
  g_clear_pointer (&from_copy, g_variant_unref);
  from_copy = zc_target_peer_by_address (table, "198.18.0.2");
  g_assert_false (zc_target_peer_is_refused (from_copy, &reason));
  g_clear_pointer (&from_copy, g_variant_unref);
  /* A bogus advert naming Bob's own address does not stop Bob's calls. */
  add_keyed_peer (table, "Bob #4", "bob", "198.18.0.2", "b", "changed-E");
  from_copy = zc_target_peer_by_address (table, "198.18.0.2");
  g_assert_false (zc_target_peer_is_refused (from_copy, &reason));
  g_clear_pointer (&uri, g_free);
  uri = zc_target_resolve (table, "bob", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (uri, ==, "sip:bob@198.18.0.2:5060");
  g_clear_pointer (&uri, g_free);

  /* A copy that took another name: only it matches "rob", and it is
   * flagged, so the call is refused rather than sent to it. */
  add_keyed_peer (table, "Robbie", "rob", "198.18.0.11", "b", "changed-R");
  uri = zc_target_resolve (table, "rob", &error);
  g_assert_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_UNTRUSTED);
  g_assert_nonnull (strstr (error->message, "copy another peer"));
  g_assert_null (uri);
  g_clear_error (&error);

  /* A peer whose key changed: refused for a call, found for `trust`. */
  add_keyed_peer (table, "Dave", "dave", "198.18.0.4", "d", "changed-D");
  uri = zc_target_resolve (table, "dave", &error);
  g_assert_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_UNTRUSTED);
  g_assert_nonnull (strstr (error->message, "--replace"));
  g_assert_null (uri);
  g_clear_error (&error);
  peer = zc_target_find_peer (table, "dave", ZC_TARGET_FOR_TRUST, &error);
  g_assert_no_error (error);
  g_assert_nonnull (peer);
  g_assert_cmpstr (zc_peer_get_name (peer), ==, "Dave");
}

static const char *
view_name (GVariant *view)
{
  const char *name = NULL;

  g_assert_nonnull (view);
  g_assert_true (g_variant_lookup (view, "name", "&s", &name));
  return name;
}

/* The peer a request claims to be comes from its From URI, not from the
 * host that sent it: carol's host naming Bob A's address in From claims
 * to be Bob A (and is held to his pin). */
static void
test_claimed_peer (void)
{
  g_autoptr (ZcPeerTable) table = make_table ();
  g_autoptr (GVariant) bob = NULL;
  g_autoptr (GVariant) by_name = NULL;
  g_autoptr (GVariant) unknown = NULL;
  g_autoptr (GVariant) own = NULL;
  g_autoptr (GVariant) second = NULL;
  g_autoptr (GVariant) none = NULL;

  bob = zc_target_claimed_peer (table, "sip:bob@198.18.0.4:5060", "198.18.0.3");
  g_assert_cmpstr (view_name (bob), ==, "Bob A");
  /* The peer's mDNS host name means its address. */
  by_name = zc_target_claimed_peer (table, "sip:bob@bob.local", "198.18.0.3");
  g_assert_cmpstr (view_name (by_name), ==, "Bob A");
  /* A From host that is no discovered peer's: the source address names
   * the caller, as before. */
  unknown = zc_target_claimed_peer (table, "sip:bob@198.18.9.9:5060", "198.18.0.3");
  g_assert_cmpstr (view_name (unknown), ==, "Carol");
  own = zc_target_claimed_peer (table, "sip:carol@198.18.0.3:5060", "198.18.0.3");
  g_assert_cmpstr (view_name (own), ==, "Carol");
  /* Two agents on one host: the From user tells them apart. */
  add_peer (table, "Eve", "eve", "198.18.0.3", "e");
  second = zc_target_claimed_peer (table, "sip:eve@198.18.0.3:5060", "198.18.0.3");
  g_assert_cmpstr (view_name (second), ==, "Eve");
  none = zc_target_claimed_peer (table, "not a uri", "198.18.9.9");
  g_assert_null (none);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/targets/resolve", test_resolve);
  g_test_add_func ("/targets/ambiguous-lists-candidates", test_ambiguous_lists_candidates);
  g_test_add_func ("/targets/flow-for-uri", test_flow_for_uri);
  g_test_add_func ("/targets/choose-transport", test_choose_transport);
  g_test_add_func ("/targets/address-is-local", test_address_is_local);
  g_test_add_func ("/targets/trust", test_trust);
  g_test_add_func ("/targets/link-local", test_link_local);
  g_test_add_func ("/targets/claimed-peer", test_claimed_peer);
  return g_test_run ();
}
