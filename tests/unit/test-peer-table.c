/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "discovery/peer-table.h"
#include "trust/fingerprint.h"

#include <sys/socket.h>

#define SELF_ID "11111111-1111-4111-8111-111111111111"
#define BOB_ID "22222222-2222-4222-8222-222222222222"

#define FP_A "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define FP_B "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
#define FP_SELF "SSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSS"

typedef struct {
  ZcPeerTable *table;
  GPtrArray *events;   /* "added:NAME", "changed:NAME", "removed:NAME" */
  GHashTable *pins;    /* instance_id -> compact fingerprint, as known-peers keeps them */
} Fixture;

static void
record_event (Fixture *f, const char *what, const ZcPeer *peer)
{
  g_ptr_array_add (f->events, g_strdup_printf ("%s:%s", what, zc_peer_get_name (peer)));
}

static void
added_cb (const ZcPeer *peer, gpointer data)
{
  record_event (data, "added", peer);
}

static void
changed_cb (const ZcPeer *peer, gpointer data)
{
  record_event (data, "changed", peer);
}

static void
removed_cb (const ZcPeer *peer, gpointer data)
{
  record_event (data, "removed", peer);
}

/* The verdicts the core gives (core/agent.c over trust/known-peers.c),
 * in miniature: pin on first sight, compare after. */
static const char *
trust_cb (const ZcPeer *peer, gpointer data)
{
  Fixture *f = data;
  const char *id = zc_peer_get_instance_id (peer);
  const char *fp = zc_peer_get_fingerprint (peer);
  const char *pin;

  if (id == NULL)
    return "none";
  pin = g_hash_table_lookup (f->pins, id);
  if (fp == NULL)
    return pin != NULL ? "changed" : "none";
  if (pin == NULL) {
    g_hash_table_insert (f->pins, g_strdup (id), g_strdup (fp));
    return "new";
  }
  return g_str_equal (pin, fp) ? "known" : "changed";
}

static void
fixture_setup (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  static const ZcPeerTableCallbacks events = { added_cb, changed_cb, removed_cb, trust_cb };

  f->events = g_ptr_array_new_with_free_func (g_free);
  f->pins = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  f->table = zc_peer_table_new (SELF_ID, &events, f);
}

static void
fixture_teardown (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  zc_peer_table_free (f->table);
  g_ptr_array_unref (f->events);
  g_hash_table_unref (f->pins);
}

static ZcServiceRecord *
make_record (int ifindex, const char *ifname, int family, const char *type, const char *name,
             const char *address, guint16 port, const char *user, const char *instance_id, const char *state)
{
  ZcServiceRecord *r = zc_service_record_new ();

  r->ifindex = ifindex;
  r->ifname = g_strdup (ifname);
  r->family = family;
  r->type = g_strdup (type);
  r->name = g_strdup (name);
  r->domain = g_strdup ("local");
  r->host = g_strdup_printf ("%s.local", user ? user : "host");
  r->address = g_strdup (address);
  r->port = port;
  r->txt.txtvers = 1;
  r->txt.user = g_strdup (user);
  r->txt.instance_id = g_strdup (instance_id);
  r->txt.state = g_strdup (state);
  return r;
}

static void
assert_events (Fixture *f, const char *const *expected)
{
  guint n = g_strv_length ((char **) expected);

  for (guint i = 0; i < MIN (n, f->events->len); i++)
    g_assert_cmpstr (g_ptr_array_index (f->events, i), ==, expected[i]);
  g_assert_cmpuint (f->events->len, ==, n);
  g_ptr_array_set_size (f->events, 0);
}

static GVariant *
only_peer (Fixture *f)
{
  g_autoptr (GPtrArray) peers = zc_peer_table_list (f->table, FALSE);

  g_assert_cmpuint (peers->len, ==, 1);
  return g_variant_ref_sink (zc_peer_to_variant (g_ptr_array_index (peers, 0)));
}

/* One agent: two types x IPv4/IPv6 x two interfaces = one peer. */
static void
test_merge (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  static const char *const types[] = { "_sip._udp", "_sipuri._udp" };
  g_autoptr (GVariant) view = NULL;
  g_autofree const char **addresses = NULL;
  g_autofree const char **interfaces = NULL;
  const char *uri;
  guint32 port;

  for (int t = 0; t < 2; t++) {
    zc_peer_table_update (f->table, make_record (2, "eth0", AF_INET, types[t], "Bob", "198.18.0.2", 5060, "bob", BOB_ID, "available"));
    zc_peer_table_update (f->table, make_record (2, "eth0", AF_INET6, types[t], "Bob", "fe80::2%eth0", 5060, "bob", BOB_ID, "available"));
    zc_peer_table_update (f->table, make_record (3, "wlan0", AF_INET, types[t], "Bob", "198.18.1.2", 5060, "bob", BOB_ID, "available"));
  }
  /* Only the first record is news; the others add addresses/interfaces. */
  g_assert_cmpuint (f->events->len, >=, 1);
  g_assert_cmpstr (g_ptr_array_index (f->events, 0), ==, "added:Bob");
  for (guint i = 1; i < f->events->len; i++)
    g_assert_cmpstr (g_ptr_array_index (f->events, i), ==, "changed:Bob");
  g_ptr_array_set_size (f->events, 0);

  view = only_peer (f);
  g_assert_true (g_variant_lookup (view, "addresses", "^a&s", &addresses));
  g_assert_cmpuint (g_strv_length ((char **) addresses), ==, 3);
  g_assert_cmpstr (addresses[0], ==, "198.18.0.2");   /* IPv4 first, link-local last */
  g_assert_cmpstr (addresses[1], ==, "198.18.1.2");
  g_assert_cmpstr (addresses[2], ==, "fe80::2%eth0");
  g_assert_true (g_variant_lookup (view, "interfaces", "^a&s", &interfaces));
  g_assert_cmpuint (g_strv_length ((char **) interfaces), ==, 2);
  g_assert_true (g_variant_lookup (view, "port", "u", &port));
  g_assert_cmpuint (port, ==, 5060);
  g_assert_true (g_variant_lookup (view, "uri", "&s", &uri));
  g_assert_cmpstr (uri, ==, "sip:bob@198.18.0.2:5060");

  /* Removing all but one record keeps the peer; the last removes it. */
  for (int t = 0; t < 2; t++) {
    zc_peer_table_remove (f->table, 2, AF_INET6, types[t], "Bob", "local");
    zc_peer_table_remove (f->table, 3, AF_INET, types[t], "Bob", "local");
  }
  zc_peer_table_remove (f->table, 2, AF_INET, "_sipuri._udp", "Bob", "local");
  g_assert_cmpuint (zc_peer_table_count (f->table, FALSE), ==, 1);
  g_ptr_array_set_size (f->events, 0);
  zc_peer_table_remove (f->table, 2, AF_INET, "_sip._udp", "Bob", "LOCAL");
  assert_events (f, (const char *[]){ "removed:Bob", NULL });
  g_assert_cmpuint (zc_peer_table_count (f->table, TRUE), ==, 0);
}

static void
test_self_excluded (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autoptr (GPtrArray) without = NULL;
  g_autoptr (GPtrArray) with = NULL;

  zc_peer_table_update (f->table, make_record (2, "eth0", AF_INET, "_sip._udp", "Me", "198.18.0.1", 5060, "me", SELF_ID, "available"));
  zc_peer_table_update (f->table, make_record (2, "eth0", AF_INET, "_sip._udp", "Bob", "198.18.0.2", 5060, "bob", BOB_ID, "available"));
  without = zc_peer_table_list (f->table, FALSE);
  with = zc_peer_table_list (f->table, TRUE);
  g_assert_cmpuint (without->len, ==, 1);
  g_assert_cmpstr (zc_peer_get_name (g_ptr_array_index (without, 0)), ==, "Bob");
  g_assert_cmpuint (with->len, ==, 2);
  g_assert_true (zc_peer_is_self (g_ptr_array_index (with, 1)));
  g_assert_cmpuint (zc_peer_table_count (f->table, FALSE), ==, 1);
}

/* Same user and display name on two PCs: distinct instance ids, distinct
 * (renamed) service names, two peers. */
static void
test_twins (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  zc_peer_table_update (f->table, make_record (2, "eth0", AF_INET, "_sip._udp", "Twin", "198.18.0.2", 5060, "twin",
                                               "33333333-3333-4333-8333-333333333333", "available"));
  zc_peer_table_update (f->table, make_record (2, "eth0", AF_INET, "_sip._udp", "Twin #2", "198.18.0.3", 5060, "twin",
                                               "44444444-4444-4444-8444-444444444444", "available"));
  g_assert_cmpuint (zc_peer_table_count (f->table, FALSE), ==, 2);
}

/* Publishers without instance_id (avahi-publish, a desk phone) are keyed
 * by name. */
static void
test_foreign_publisher (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autoptr (GVariant) view = NULL;
  const char *state, *id;

  zc_peer_table_update (f->table, make_record (2, "eth0", AF_INET, "_sip._udp", "Desk phone", "198.18.0.9", 5062, NULL, NULL, NULL));
  zc_peer_table_update (f->table, make_record (2, "eth0", AF_INET6, "_sip._udp", "Desk phone", "fe80::9%eth0", 5062, NULL, NULL, NULL));
  view = only_peer (f);
  g_assert_true (g_variant_lookup (view, "state", "&s", &state));
  g_assert_cmpstr (state, ==, "unknown");
  g_assert_true (g_variant_lookup (view, "instance_id", "&s", &id));
  g_assert_cmpstr (id, ==, "");
}

/* A TXT change (do-not-disturb) is one "changed"; an identical re-resolve
 * is no event at all. */
static void
test_txt_change (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autoptr (GVariant) view = NULL;
  const char *state;

  zc_peer_table_update (f->table, make_record (2, "eth0", AF_INET, "_sip._udp", "Bob", "198.18.0.2", 5060, "bob", BOB_ID, "available"));
  zc_peer_table_update (f->table, make_record (2, "eth0", AF_INET, "_sip._udp", "Bob", "198.18.0.2", 5060, "bob", BOB_ID, "available"));
  zc_peer_table_update (f->table, make_record (2, "eth0", AF_INET, "_sip._udp", "Bob", "198.18.0.2", 5060, "bob", BOB_ID, "dnd"));
  assert_events (f, (const char *[]){ "added:Bob", "changed:Bob", NULL });
  view = only_peer (f);
  g_assert_true (g_variant_lookup (view, "state", "&s", &state));
  g_assert_cmpstr (state, ==, "dnd");
}

/* A service that changes identity moves from one peer to another. */
static void
test_identity_change (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  zc_peer_table_update (f->table, make_record (2, "eth0", AF_INET, "_sip._udp", "Bob", "198.18.0.2", 5060, "bob", NULL, NULL));
  zc_peer_table_update (f->table, make_record (2, "eth0", AF_INET, "_sip._udp", "Bob", "198.18.0.2", 5060, "bob", BOB_ID, NULL));
  assert_events (f, (const char *[]){ "added:Bob", "removed:Bob", "added:Bob", NULL });
  g_assert_cmpuint (zc_peer_table_count (f->table, FALSE), ==, 1);
}

static void
test_clear (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  zc_peer_table_update (f->table, make_record (2, "eth0", AF_INET, "_sip._udp", "Bob", "198.18.0.2", 5060, "bob", BOB_ID, NULL));
  zc_peer_table_update (f->table, make_record (2, "eth0", AF_INET, "_sip._udp", "Carol", "198.18.0.3", 5060, "carol", NULL, NULL));
  g_ptr_array_set_size (f->events, 0);
  zc_peer_table_clear (f->table);
  assert_events (f, (const char *[]){ "removed:Bob", "removed:Carol", NULL });
  g_assert_cmpuint (zc_peer_table_count (f->table, TRUE), ==, 0);
  /* Removing what is not there is harmless. */
  zc_peer_table_remove (f->table, 2, AF_INET, "_sip._udp", "Bob", "local");
}

static ZcServiceRecord *
with_fp (ZcServiceRecord *r, const char *fp)
{
  r->txt.fingerprint = g_strdup (fp);
  return r;
}

/* The peer named @name whose first address is @address. */
static const ZcPeer *
peer_at (Fixture *f, const char *address)
{
  g_autoptr (GPtrArray) peers = zc_peer_table_list (f->table, FALSE);

  for (guint i = 0; i < peers->len; i++) {
    g_autoptr (GVariant) view = g_variant_ref_sink (zc_peer_to_variant (g_ptr_array_index (peers, i)));
    g_autofree const char **addresses = NULL;

    g_assert_true (g_variant_lookup (view, "addresses", "^a&s", &addresses));
    if (g_strv_contains (addresses, address))
      return g_ptr_array_index (peers, i);
  }
  g_assert_not_reached ();
}

static void
assert_peer (const ZcPeer *peer, const char *trust, gboolean conflict, guint n_addresses)
{
  g_autoptr (GVariant) view = g_variant_ref_sink (zc_peer_to_variant (peer));
  g_autofree const char **addresses = NULL;
  const char *t;
  gboolean c;

  g_assert_true (g_variant_lookup (view, "trust", "&s", &t));
  g_assert_true (g_variant_lookup (view, "conflict", "b", &c));
  g_assert_true (g_variant_lookup (view, "addresses", "^a&s", &addresses));
  g_assert_cmpstr (t, ==, trust);
  g_assert_cmpint (c, ==, conflict);
  g_assert_cmpuint (g_strv_length ((char **) addresses), ==, n_addresses);
}

/* A third host republishes Bob's advert (name, user,
 * instance_id) with another fp=: its own entry, CHANGED and flagged;
 * Bob's entry keeps only Bob's address and stays unflagged. */
static void
test_copy_with_other_key (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  zc_peer_table_update (f->table, with_fp (make_record (2, "eth0", AF_INET, "_sip._udp", "Bob", "198.18.0.2", 5060, "bob", BOB_ID, "available"), FP_A));
  zc_peer_table_update (f->table, with_fp (make_record (2, "eth0", AF_INET, "_sip._udp", "Bob #2", "198.18.0.9", 5060, "bob", BOB_ID, "available"), FP_B));
  g_assert_cmpuint (zc_peer_table_count (f->table, FALSE), ==, 2);
  assert_peer (peer_at (f, "198.18.0.2"), "new", FALSE, 1);
  assert_peer (peer_at (f, "198.18.0.9"), "changed", TRUE, 1);
  /* The genuine one leaving does not make the copy genuine. */
  zc_peer_table_remove (f->table, 2, AF_INET, "_sip._udp", "Bob", "local");
  assert_peer (peer_at (f, "198.18.0.9"), "changed", FALSE, 1);
}

/* The same copy without fp= at all. */
static void
test_copy_without_key (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  zc_peer_table_update (f->table, with_fp (make_record (2, "eth0", AF_INET, "_sip._udp", "Bob", "198.18.0.2", 5060, "bob", BOB_ID, "available"), FP_A));
  /* mDNS keeps service names unique on a link: the copy is renamed. */
  zc_peer_table_update (f->table, make_record (2, "eth0", AF_INET, "_sip._udp", "Bob #2", "198.18.0.9", 5060, "bob", BOB_ID, "available"));
  g_assert_cmpuint (zc_peer_table_count (f->table, FALSE), ==, 2);
  assert_peer (peer_at (f, "198.18.0.2"), "new", FALSE, 1);
  assert_peer (peer_at (f, "198.18.0.9"), "changed", TRUE, 1);
}

/* A copy seen before the genuine one, with no key, before anything was
 * pinned: the genuine one still wins once it shows up (it has a key). */
static void
test_copy_first (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  zc_peer_table_update (f->table, make_record (2, "eth0", AF_INET, "_sip._udp", "Bob", "198.18.0.9", 5060, "bob", BOB_ID, "available"));
  assert_peer (peer_at (f, "198.18.0.9"), "none", FALSE, 1);
  zc_peer_table_update (f->table, with_fp (make_record (3, "eth1", AF_INET, "_sip._udp", "Bob", "198.18.0.2", 5060, "bob", BOB_ID, "available"), FP_A));
  assert_peer (peer_at (f, "198.18.0.2"), "new", FALSE, 1);
  assert_peer (peer_at (f, "198.18.0.9"), "none", TRUE, 1);
}

/* A name copied with a fresh instance_id and key loses to the pinned
 * holder of the name; with neither pinned before, neither is flagged (the
 * target is then ambiguous, never silently the copy). */
static void
test_copy_of_name (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_hash_table_insert (f->pins, g_strdup (BOB_ID), g_strdup (FP_A));
  zc_peer_table_update (f->table, with_fp (make_record (2, "eth0", AF_INET, "_sip._udp", "Bob", "198.18.0.2", 5060, "bob", BOB_ID, "available"), FP_A));
  zc_peer_table_update (f->table, with_fp (make_record (3, "eth1", AF_INET, "_sip._udp", "bob", "198.18.0.9", 5060, "bob",
                                                        "55555555-5555-4555-8555-555555555555", "available"), FP_B));
  assert_peer (peer_at (f, "198.18.0.2"), "known", FALSE, 1);
  assert_peer (peer_at (f, "198.18.0.9"), "new", TRUE, 1);
}

/* An instance_id made up to spell Bob's id and fp= together, with no fp=
 * of its own, is not Bob. */
static void
test_spelled_key (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  zc_peer_table_update (f->table, with_fp (make_record (2, "eth0", AF_INET, "_sip._udp", "Bob", "198.18.0.2", 5060, "bob", BOB_ID, "available"), FP_A));
  zc_peer_table_update (f->table, make_record (2, "eth0", AF_INET, "_sip._udp", "Bob #2", "198.18.0.9", 5060, "bob",
                                               BOB_ID " fp:" FP_A, "available"));
  g_assert_cmpuint (zc_peer_table_count (f->table, FALSE), ==, 2);
  assert_peer (peer_at (f, "198.18.0.2"), "new", FALSE, 1);
}

/* The same agent on two interfaces, same key: one entry. */
static void
test_same_key_merges (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  zc_peer_table_update (f->table, with_fp (make_record (2, "eth0", AF_INET, "_sip._udp", "Bob", "198.18.0.2", 5060, "bob", BOB_ID, "available"), FP_A));
  zc_peer_table_update (f->table, with_fp (make_record (3, "wlan0", AF_INET, "_sip._udp", "Bob", "198.18.1.2", 5060, "bob", BOB_ID, "available"), FP_A));
  g_assert_cmpuint (zc_peer_table_count (f->table, FALSE), ==, 1);
  assert_peer (peer_at (f, "198.18.0.2"), "new", FALSE, 2);
}

/* Our instance_id with another key is no "self": it is listed, flagged. */
static void
test_copy_of_self (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  zc_peer_table_set_self_fingerprint (f->table, FP_SELF);
  zc_peer_table_update (f->table, with_fp (make_record (2, "eth0", AF_INET, "_sip._udp", "Me", "198.18.0.1", 5060, "me", SELF_ID, "available"), FP_SELF));
  zc_peer_table_update (f->table, with_fp (make_record (2, "eth0", AF_INET, "_sip._udp", "Me #2", "198.18.0.9", 5060, "me", SELF_ID, "available"), FP_B));
  g_assert_cmpuint (zc_peer_table_count (f->table, FALSE), ==, 1);
  g_assert_false (zc_peer_is_self (peer_at (f, "198.18.0.9")));
  g_assert_true (zc_peer_is_conflict (peer_at (f, "198.18.0.9")));
}

/* `zcall trust --replace`: the core sets the new verdict, the flag goes
 * and observers hear of it. */
static void
test_set_trust (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_hash_table_insert (f->pins, g_strdup (BOB_ID), g_strdup (FP_A));
  zc_peer_table_update (f->table, with_fp (make_record (2, "eth0", AF_INET, "_sip._udp", "Bob", "198.18.0.2", 5060, "bob", BOB_ID, "available"), FP_B));
  assert_peer (peer_at (f, "198.18.0.2"), "changed", FALSE, 1);
  g_ptr_array_set_size (f->events, 0);
  zc_peer_table_set_trust (f->table, (ZcPeer *) peer_at (f, "198.18.0.2"), "known");
  assert_events (f, (const char *[]){ "changed:Bob", NULL });
  assert_peer (peer_at (f, "198.18.0.2"), "known", FALSE, 1);
}

static void
test_ipv6_uri (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autoptr (GVariant) view = NULL;
  const char *uri;

  zc_peer_table_update (f->table, make_record (2, "eth0", AF_INET6, "_sip._udp", "V6", "2001:db8::5", 5070, "v6", NULL, NULL));
  view = only_peer (f);
  g_assert_true (g_variant_lookup (view, "uri", "&s", &uri));
  g_assert_cmpstr (uri, ==, "sip:v6@[2001:db8::5]:5070");
}

/* A compact fingerprint that parses (FP_B's last digit has bits set past
 * the 256). */
#define FP_C "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA"

/* The key a DTLS handshake proved ("sha-256 AB:..." form) finds the entry
 * advertising it, never one with another key at the same address or name,
 * and not ourselves. */
static void
test_lookup_fingerprint (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  ZcFingerprint fp;
  g_autofree char *sdp_a = NULL;
  g_autofree char *sdp_b = NULL;

  g_assert_true (zc_fingerprint_parse (FP_A, &fp, NULL));
  sdp_a = zc_fingerprint_to_sdp (&fp);
  g_assert_true (zc_fingerprint_parse (FP_C, &fp, NULL));
  sdp_b = zc_fingerprint_to_sdp (&fp);
  g_assert_null (zc_peer_table_lookup_fingerprint (f->table, sdp_a));
  zc_peer_table_update (f->table, with_fp (make_record (2, "eth0", AF_INET, "_sip._udp", "Bob", "198.18.0.2", 5060, "bob", BOB_ID, "available"), FP_A));
  zc_peer_table_update (f->table, with_fp (make_record (2, "eth0", AF_INET, "_sip._udp", "Bob #2", "198.18.0.9", 5060, "bob", BOB_ID, "available"), FP_C));
  g_assert_true (zc_peer_table_lookup_fingerprint (f->table, sdp_a) == peer_at (f, "198.18.0.2"));
  g_assert_true (zc_peer_table_lookup_fingerprint (f->table, FP_A) == peer_at (f, "198.18.0.2"));
  g_assert_true (zc_peer_table_lookup_fingerprint (f->table, sdp_b) == peer_at (f, "198.18.0.9"));
  g_assert_null (zc_peer_table_lookup_fingerprint (f->table, "not a fingerprint"));
  g_assert_null (zc_peer_table_lookup_fingerprint (f->table, NULL));
}


/* A made-up advert: its own instance_id and key, at @address. */
static ZcServiceRecord *
fake_record (guint n, const char *address)
{
  g_autofree char *name = g_strdup_printf ("fake %u", n);
  g_autofree char *id = g_strdup_printf ("fake-%u", n);
  ZcServiceRecord *r = make_record (2, "eth0", AF_INET, "_sip._udp", name, address, 5060, "x", id, "available");

  r->txt.fingerprint = g_strdup_printf ("F%042u", n);
  g_free (r->host);
  r->host = g_strdup_printf ("fake-%u.local", n);
  return r;
}

static ZcPeer *
peer_named (Fixture *f, const char *name)
{
  g_autoptr (GPtrArray) all = zc_peer_table_list_all (f->table);

  for (guint i = 0; i < all->len; i++) {
    if (g_str_equal (zc_peer_get_name (g_ptr_array_index (all, i)), name))
      return g_ptr_array_index (all, i);
  }
  return NULL;
}

static guint
count_all (Fixture *f)
{
  g_autoptr (GPtrArray) all = zc_peer_table_list_all (f->table);
  return all->len;
}

/* A flood of new adverts from many addresses fills the table to its cap
 * and no further; a colleague that answered pings and one pinned earlier
 * stay; once every entry is protected, new ones are refused. */
static void
test_cap_total (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  ZcServiceRecord *bob = make_record (2, "eth0", AF_INET, "_sip._udp", "Bob", "198.18.0.3", 5060, "bob", BOB_ID,
                                      "available");
  ZcServiceRecord *carol = make_record (2, "eth0", AF_INET, "_sip._udp", "Carol", "198.18.0.4", 5060, "carol",
                                        "33333333-3333-4333-8333-333333333333", "available");
  g_autoptr (GPtrArray) all = NULL;

  bob->txt.fingerprint = g_strdup (FP_B);
  carol->txt.fingerprint = g_strdup (FP_A);
  g_hash_table_insert (f->pins, g_strdup ("33333333-3333-4333-8333-333333333333"), g_strdup (FP_A));
  zc_peer_table_update (f->table, bob);
  zc_peer_table_update (f->table, carol);
  g_assert_cmpstr (zc_peer_get_trust (peer_named (f, "Carol")), ==, "known");
  zc_peer_get_liveness (peer_named (f, "Bob"))->rtt_ms = 1.5; /* Bob answered a ping */

  for (guint i = 0; i < 3 * ZC_PEER_TABLE_MAX_PEERS; i++) {
    g_autofree char *address = g_strdup_printf ("10.%u.%u.1", i / 250, i % 250);
    zc_peer_table_update (f->table, fake_record (i, address));
    g_assert_cmpuint (count_all (f), <=, ZC_PEER_TABLE_MAX_PEERS);
  }
  g_assert_cmpuint (count_all (f), ==, ZC_PEER_TABLE_MAX_PEERS);
  g_assert_nonnull (peer_named (f, "Bob"));
  g_assert_nonnull (peer_named (f, "Carol"));
  /* The newest fakes are in (the oldest unprobed ones made room). */
  g_assert_nonnull (peer_named (f, "fake 767"));
  g_assert_null (peer_named (f, "fake 0"));

  /* Every entry answered: a new one finds no room. */
  all = zc_peer_table_list_all (f->table);
  for (guint i = 0; i < all->len; i++)
    zc_peer_get_liveness (g_ptr_array_index (all, i))->rtt_ms = 1;
  zc_peer_table_update (f->table, fake_record (9999, "10.99.0.1"));
  g_assert_null (peer_named (f, "fake 9999"));
  g_assert_cmpuint (count_all (f), ==, ZC_PEER_TABLE_MAX_PEERS);
}

/* Entries probed in vain go before fresh ones. */
static void
test_cap_evicts_silent_first (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  for (guint i = 0; i < ZC_PEER_TABLE_MAX_PEERS; i++) {
    g_autofree char *address = g_strdup_printf ("10.%u.%u.1", i / 250, i % 250);
    zc_peer_table_update (f->table, fake_record (i, address));
  }
  /* fake 100 was probed and did not answer; fake 0 is merely the oldest. */
  zc_peer_get_liveness (peer_named (f, "fake 100"))->misses = 1;
  zc_peer_table_update (f->table, fake_record (1000, "10.200.0.1"));
  g_assert_null (peer_named (f, "fake 100"));
  g_assert_nonnull (peer_named (f, "fake 0"));
  g_assert_nonnull (peer_named (f, "fake 1000"));
}

/* Adverts naming one address (the real colleague's, say) take at most
 * ZC_PEER_TABLE_MAX_PER_ADDRESS entries, and never the colleague's. */
static void
test_cap_per_address (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  ZcServiceRecord *bob = make_record (2, "eth0", AF_INET, "_sip._udp", "Bob", "198.18.0.3", 5060, "bob", BOB_ID,
                                      "available");
  g_autoptr (GPtrArray) all = NULL;
  guint at_bob = 0;

  bob->txt.fingerprint = g_strdup (FP_B);
  zc_peer_table_update (f->table, bob);
  zc_peer_get_liveness (peer_named (f, "Bob"))->rtt_ms = 1;
  for (guint i = 0; i < 50; i++)
    zc_peer_table_update (f->table, fake_record (i, "198.18.0.3"));
  zc_peer_table_update (f->table, fake_record (500, "198.18.0.5"));

  all = zc_peer_table_list_all (f->table);
  for (guint i = 0; i < all->len; i++) {
    g_autoptr (GVariant) view = g_variant_ref_sink (zc_peer_to_variant (g_ptr_array_index (all, i)));
    g_autofree const char **addresses = NULL;

    g_assert_true (g_variant_lookup (view, "addresses", "^a&s", &addresses));
    if (g_strv_contains (addresses, "198.18.0.3"))
      at_bob++;
  }
  g_assert_cmpuint (at_bob, ==, ZC_PEER_TABLE_MAX_PER_ADDRESS);
  g_assert_nonnull (peer_named (f, "Bob"));
  g_assert_nonnull (peer_named (f, "fake 49"));
  g_assert_nonnull (peer_named (f, "fake 500"));
}

/* A host that publishes adverts at many addresses of its own (one host
 * name, in any case) takes at most ZC_PEER_TABLE_MAX_PER_HOST entries; an
 * entry of that host that answered stays, and other hosts are not
 * touched. */
static void
test_cap_per_host (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autoptr (GPtrArray) all = NULL;
  guint on_host = 0;

  zc_peer_table_update (f->table, fake_record (900, "198.18.0.9"));
  for (guint i = 0; i < 60; i++) {
    g_autofree char *address = g_strdup_printf ("198.18.2.%u", i + 1);
    ZcServiceRecord *r = fake_record (i, address);

    g_free (r->host);
    r->host = g_strdup (i % 2 ? "evil.local" : "EVIL.local");
    zc_peer_table_update (f->table, r);
    /* The first one answers pings: the cap must not evict it. */
    if (i == 0)
      zc_peer_get_liveness (peer_named (f, "fake 0"))->rtt_ms = 1;
  }
  all = zc_peer_table_list_all (f->table);
  for (guint i = 0; i < all->len; i++) {
    g_autoptr (GVariant) view = g_variant_ref_sink (zc_peer_to_variant (g_ptr_array_index (all, i)));
    const char *host = NULL;

    g_assert_true (g_variant_lookup (view, "host", "&s", &host));
    if (g_ascii_strcasecmp (host, "evil.local") == 0)
      on_host++;
  }
  g_assert_cmpuint (on_host, ==, ZC_PEER_TABLE_MAX_PER_HOST);
  g_assert_nonnull (peer_named (f, "fake 0"));
  g_assert_nonnull (peer_named (f, "fake 59"));
  g_assert_null (peer_named (f, "fake 1"));
  g_assert_nonnull (peer_named (f, "fake 900"));
}

/* One identity cannot pile up records without end. */
static void
test_cap_records (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autoptr (GVariant) view = NULL;
  g_autofree const char **addresses = NULL;

  for (guint i = 0; i < 100; i++) {
    g_autofree char *name = g_strdup_printf ("Bob %u", i);
    g_autofree char *address = g_strdup_printf ("198.18.1.%u", i + 1);

    zc_peer_table_update (f->table, make_record (2, "eth0", AF_INET, "_sip._udp", name, address, 5060, "bob",
                                                 BOB_ID, "available"));
  }
  view = only_peer (f);
  g_assert_true (g_variant_lookup (view, "addresses", "^a&s", &addresses));
  g_assert_cmpuint (g_strv_length ((char **) addresses), ==, ZC_PEER_TABLE_MAX_RECORDS);
}

/* Pings go only to a pingable record's address. */
static void
test_ping_uri (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  ZcServiceRecord *off = make_record (2, "eth0", AF_INET, "_sip._udp", "Bob", "192.0.2.7", 5060, "bob", BOB_ID,
                                      "available");
  ZcServiceRecord *on = make_record (3, "eth1", AF_INET, "_sipuri._udp", "Bob", "198.18.0.3", 5070, "bob", BOB_ID,
                                     "available");
  g_autoptr (GPtrArray) peers = NULL;

  zc_peer_table_update (f->table, off);
  peers = zc_peer_table_list (f->table, FALSE);
  g_assert_false (zc_peer_address_is_pingable (g_ptr_array_index (peers, 0), "192.0.2.7"));
  on->pingable = TRUE;
  zc_peer_table_update (f->table, on);
  g_assert_false (zc_peer_address_is_pingable (g_ptr_array_index (peers, 0), "192.0.2.7"));
  g_assert_true (zc_peer_address_is_pingable (g_ptr_array_index (peers, 0), "198.18.0.3"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/peer-table/merge", test_merge);
  ADD ("/peer-table/self-excluded", test_self_excluded);
  ADD ("/peer-table/twins", test_twins);
  ADD ("/peer-table/foreign-publisher", test_foreign_publisher);
  ADD ("/peer-table/txt-change", test_txt_change);
  ADD ("/peer-table/identity-change", test_identity_change);
  ADD ("/peer-table/clear", test_clear);
  ADD ("/peer-table/ipv6-uri", test_ipv6_uri);
  ADD ("/peer-table/copy-with-other-key", test_copy_with_other_key);
  ADD ("/peer-table/copy-without-key", test_copy_without_key);
  ADD ("/peer-table/copy-first", test_copy_first);
  ADD ("/peer-table/copy-of-name", test_copy_of_name);
  ADD ("/peer-table/same-key-merges", test_same_key_merges);
  ADD ("/peer-table/spelled-key", test_spelled_key);
  ADD ("/peer-table/copy-of-self", test_copy_of_self);
  ADD ("/peer-table/set-trust", test_set_trust);
  ADD ("/peer-table/lookup-fingerprint", test_lookup_fingerprint);
  ADD ("/peer-table/cap-total", test_cap_total);
  ADD ("/peer-table/cap-evicts-silent-first", test_cap_evicts_silent_first);
  ADD ("/peer-table/cap-per-address", test_cap_per_address);
  ADD ("/peer-table/cap-per-host", test_cap_per_host);
  ADD ("/peer-table/cap-records", test_cap_records);
  ADD ("/peer-table/ping-uri", test_ping_uri);
  return g_test_run ();
}
