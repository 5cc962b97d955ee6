/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "discovery"

#include "config.h"
#include "discovery/peer-table.h"
#include "discovery/peer-private.h"

#include "trust/fingerprint.h"

#include <string.h>
#include <sys/socket.h>


struct _ZcPeerTable {
  char *self_instance_id;
  char *self_fingerprint;
  ZcPeerTableCallbacks events;
  gpointer user_data;
  GHashTable *peers;    /* key -> ZcPeer* */
  guint64 next_serial;
  gboolean full_warned; /* said once that the table is full */
};

ZcServiceRecord *
zc_service_record_new (void)
{
  return g_new0 (ZcServiceRecord, 1);
}

void
zc_service_record_free (ZcServiceRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->ifname);
  g_free (record->type);
  g_free (record->name);
  g_free (record->domain);
  g_free (record->host);
  g_free (record->address);
  zc_txt_clear (&record->txt);
  g_free (record);
}

static gboolean
record_same_service (const ZcServiceRecord *r, int ifindex, int family, const char *type,
                     const char *name, const char *domain)
{
  return r->ifindex == ifindex && r->family == family && g_str_equal (r->type, type) &&
         g_str_equal (r->name, name) && g_ascii_strcasecmp (r->domain, domain) == 0;
}

static void
peer_free (ZcPeer *peer)
{
  g_free (peer->key);
  g_ptr_array_unref (peer->records);
  g_clear_pointer (&peer->view, g_variant_unref);
  g_free (peer);
}

ZcPeerTable *
zc_peer_table_new (const char *self_instance_id, const ZcPeerTableCallbacks *events, gpointer user_data)
{
  ZcPeerTable *table = g_new0 (ZcPeerTable, 1);

  table->self_instance_id = g_strdup (self_instance_id);
  table->events = *events;
  table->user_data = user_data;
  table->peers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) peer_free);
  return table;
}

void
zc_peer_table_free (ZcPeerTable *table)
{
  if (table == NULL)
    return;
  g_hash_table_unref (table->peers);
  g_free (table->self_instance_id);
  g_free (table->self_fingerprint);
  g_free (table);
}

void
zc_peer_table_set_self_fingerprint (ZcPeerTable *table, const char *fingerprint)
{
  g_free (table->self_fingerprint);
  table->self_fingerprint = g_strdup (fingerprint);
}

/* The key binds the instance_id to the fp= it came with: an advert that
 * copies an instance_id but not the key (another fp=, or none) lands in an
 * entry of its own instead of lending its address to the genuine one.
 * The instance_id's length comes first, so that no instance_id can be
 * made up to spell another advert's id and fp= together ("B fp:X" with no
 * fp= is not "B" with fp=X). */
static char *
record_peer_key (const ZcServiceRecord *record)
{
  if (record->txt.instance_id != NULL && *record->txt.instance_id != '\0') {
    if (record->txt.fingerprint != NULL && *record->txt.fingerprint != '\0')
      return g_strdup_printf ("id:%zu:%s fp:%s", strlen (record->txt.instance_id), record->txt.instance_id,
                              record->txt.fingerprint);
    return g_strdup_printf ("id:%zu:%s", strlen (record->txt.instance_id), record->txt.instance_id);
  }
  return g_strconcat ("name:", record->name, NULL);
}

/* The record that speaks for the peer: the newest _sip._udp one, since the
 * product is specified with that type; else the newest of any type. */
const ZcServiceRecord *
zc_peer_main_record (const ZcPeer *peer)
{
  const ZcServiceRecord *newest_sip = NULL;

  for (guint i = 0; i < peer->records->len; i++) {
    const ZcServiceRecord *r = g_ptr_array_index (peer->records, i);

    if (g_str_equal (r->type, "_sip._udp"))
      newest_sip = r;
  }
  return newest_sip ? newest_sip : g_ptr_array_index (peer->records, peer->records->len - 1);
}

/* Reports what changed since the last report: added when first seen,
 * changed when the dictionary differs. */
static void
peer_report (ZcPeerTable *table, ZcPeer *peer)
{
  GVariant *view;

  view = g_variant_ref_sink (zc_peer_build_view (peer, FALSE));
  if (peer->hidden) {
    g_clear_pointer (&peer->view, g_variant_unref);
    peer->view = view;
    return;
  }
  if (peer->view == NULL) {
    peer->view = view;
    if (table->events.peer_added != NULL)
      table->events.peer_added (peer, table->user_data);
  } else if (!g_variant_equal (peer->view, view)) {
    g_variant_unref (peer->view);
    peer->view = view;
    if (table->events.peer_changed != NULL)
      table->events.peer_changed (peer, table->user_data);
  } else {
    g_variant_unref (view);
  }
}

/* Verified beats known beats new (pinned earlier wins); an entry with no
 * key at all, or one that contradicts its pin, loses to any that has one.
 * Self beats everything: a copy of our own name is never a target. */
static int
trust_rank (const ZcPeer *peer)
{
  static const char *const order[] = { "changed", "none", "new", "known", "verified", NULL };

  if (peer->self)
    return 5;
  for (int i = 0; order[i] != NULL; i++) {
    if (g_str_equal (peer->trust, order[i]))
      return i;
  }
  return 0;
}

static void
note_best (GHashTable *best, const char *key, int rank)
{
  if (key == NULL || *key == '\0')
    return;
  if (GPOINTER_TO_INT (g_hash_table_lookup (best, key)) < rank + 1)
    g_hash_table_replace (best, g_strdup (key), GINT_TO_POINTER (rank + 1));
}

static gboolean
loses_to_best (GHashTable *best, const char *key, int rank)
{
  return key != NULL && *key != '\0' && GPOINTER_TO_INT (g_hash_table_lookup (best, key)) > rank + 1;
}

static void peer_report (ZcPeerTable *table, ZcPeer *peer);

/* Recomputes every entry's conflict flag and reports the entries whose
 * flag changed.  Linear in the table: two passes over hash maps keyed by
 * instance_id and by case-folded service name. */
static void
reflag (ZcPeerTable *table)
{
  g_autoptr (GHashTable) best_id = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) best_name = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GPtrArray) changed = g_ptr_array_new ();
  GHashTableIter iter;
  ZcPeer *peer;

  g_hash_table_iter_init (&iter, table->peers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &peer)) {
    g_autofree char *name = g_utf8_casefold (zc_peer_get_name (peer), -1);

    if (peer->hidden)
      continue;
    note_best (best_id, zc_peer_get_instance_id (peer), trust_rank (peer));
    note_best (best_name, name, trust_rank (peer));
  }
  g_hash_table_iter_init (&iter, table->peers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &peer)) {
    g_autofree char *name = g_utf8_casefold (zc_peer_get_name (peer), -1);
    int rank = trust_rank (peer);
    gboolean conflict = !peer->self && (loses_to_best (best_id, zc_peer_get_instance_id (peer), rank) ||
                                        loses_to_best (best_name, name, rank));

    if (conflict != peer->conflict) {
      peer->conflict = conflict;
      g_ptr_array_add (changed, peer);
    }
  }
  /* Reported after the walk: observers may look at the table. */
  for (guint i = 0; i < changed->len; i++)
    peer_report (table, g_ptr_array_index (changed, i));
}

/* The last record goes with the peer, reported while it is still whole so
 * that observers can say who left. */
static void
peer_drop_record (ZcPeerTable *table, ZcPeer *peer, guint index)
{
  if (peer->records->len > 1) {
    g_ptr_array_remove_index (peer->records, index);
    reflag (table);
    peer_report (table, peer);
    return;
  }
  if (peer->view != NULL && !peer->hidden && table->events.peer_removed != NULL)
    table->events.peer_removed (peer, table->user_data);
  g_hash_table_remove (table->peers, peer->key);
  reflag (table);
}

static ZcPeer *
find_record (ZcPeerTable *table, int ifindex, int family, const char *type, const char *name,
             const char *domain, guint *index)
{
  GHashTableIter iter;
  ZcPeer *peer;

  g_hash_table_iter_init (&iter, table->peers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &peer)) {
    for (guint i = 0; i < peer->records->len; i++) {
      if (record_same_service (g_ptr_array_index (peer->records, i), ifindex, family, type, name, domain)) {
        *index = i;
        return peer;
      }
    }
  }
  return NULL;
}

static gboolean
record_is_self (const ZcPeerTable *table, const ZcServiceRecord *record)
{
  return record->txt.instance_id != NULL && table->self_instance_id != NULL &&
         g_str_equal (record->txt.instance_id, table->self_instance_id) &&
         (table->self_fingerprint == NULL || g_strcmp0 (record->txt.fingerprint, table->self_fingerprint) == 0);
}

static gboolean
peer_has_address (const ZcPeer *peer, const char *address)
{
  for (guint i = 0; i < peer->records->len; i++) {
    const ZcServiceRecord *r = g_ptr_array_index (peer->records, i);
    if (g_strcmp0 (r->address, address) == 0)
      return TRUE;
  }
  return FALSE;
}

/* mDNS host names are compared without regard to ASCII case (RFC 6762
 * 16). */
static gboolean
peer_has_host (const ZcPeer *peer, const char *host)
{
  for (guint i = 0; i < peer->records->len; i++) {
    const ZcServiceRecord *r = g_ptr_array_index (peer->records, i);
    if (r->host != NULL && g_ascii_strcasecmp (r->host, host) == 0)
      return TRUE;
  }
  return FALSE;
}

/* The entries a cap counts: all of them, those advertising one address,
 * or those advertising one host name (avahi does not say which host sent
 * an announcement, so the host name its SRV record names stands for the
 * publisher). */
typedef struct {
  gboolean (*has) (const ZcPeer *peer, const char *value);
  const char *value;    /* NULL: every entry counts */
  const char *what;     /* for the log: "at", "on host" */
} CapScope;

/* Pinned before (known, verified) or heard from: a flood of new adverts
 * must not push these out.  A "new" verdict protects nothing, since every
 * made-up advert with an fp= gets one. */
static gboolean
peer_protected (const ZcPeer *peer)
{
  return peer->self || g_str_equal (peer->trust, "known") || g_str_equal (peer->trust, "verified") ||
         peer->liveness.rtt_ms >= 0;
}

/* Lower is evicted first: hidden, then probed in vain, then unprobed;
 * the oldest first within each. */
static int
eviction_class (const ZcPeer *peer)
{
  if (peer->hidden)
    return 0;
  if (!peer->liveness.reachable || peer->liveness.misses > 0)
    return 1;
  return 2;
}

/* Makes room for one more entry among those @scope counts when its cap
 * is reached; FALSE when every entry in the way is protected. */
static gboolean
make_room (ZcPeerTable *table, const CapScope *scope, guint cap, const ZcPeer *except)
{
  ZcPeer *victim = NULL;
  guint count = 0;
  GHashTableIter iter;
  ZcPeer *peer;

  g_hash_table_iter_init (&iter, table->peers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &peer)) {
    if (peer->self || (scope->value != NULL && !scope->has (peer, scope->value)))
      continue;
    count++;
    if (peer == except || peer_protected (peer))
      continue;
    if (victim == NULL || eviction_class (peer) < eviction_class (victim) ||
        (eviction_class (peer) == eviction_class (victim) && peer->serial < victim->serial))
      victim = peer;
  }
  if (count < cap)
    return TRUE;
  if (victim == NULL)
    return FALSE;
  g_debug ("peer table: evicting “%s” (never answered) to make room%s%s%s", zc_peer_get_name (victim),
           scope->value ? " " : "", scope->value ? scope->what : "", scope->value ? scope->value : "");
  if (victim->view != NULL && !victim->hidden && table->events.peer_removed != NULL)
    table->events.peer_removed (victim, table->user_data);
  g_hash_table_remove (table->peers, victim->key);
  return TRUE;
}

/* Whether @record may enter @peer (NULL: as a new entry), evicting what
 * the caps say; frees @record and returns FALSE when it may not. */
static gboolean
admit_record (ZcPeerTable *table, ZcPeer *peer, ZcServiceRecord *record)
{
  const char *why = NULL;
  CapScope at_address = { peer_has_address, record->address, "at " };
  CapScope on_host = { peer_has_host, record->host, "on host " };
  CapScope everywhere = { NULL, NULL, NULL };

  if (peer != NULL ? peer->self : record_is_self (table, record))
    return TRUE;
  if (peer != NULL && peer->records->len >= ZC_PEER_TABLE_MAX_RECORDS)
    why = "too many services for one peer";
  else if ((peer == NULL || !peer_has_address (peer, record->address)) && record->address != NULL &&
           !make_room (table, &at_address, ZC_PEER_TABLE_MAX_PER_ADDRESS, peer))
    why = "too many peers at that address";
  else if (record->host != NULL && *record->host != '\0' && (peer == NULL || !peer_has_host (peer, record->host)) &&
           !make_room (table, &on_host, ZC_PEER_TABLE_MAX_PER_HOST, peer))
    why = "too many peers on that host";
  else if (peer == NULL && !make_room (table, &everywhere, ZC_PEER_TABLE_MAX_PEERS, NULL))
    why = "peer table full";
  if (why == NULL)
    return TRUE;
  /* Once at warning level: a flood would otherwise flood the log too. */
  if (!table->full_warned)
    g_message ("peer table: ignoring “%s” at %s: %s (further ones at debug level)", record->name,
               record->address ? record->address : "?", why);
  else
    g_debug ("peer table: ignoring “%s” at %s: %s", record->name, record->address ? record->address : "?", why);
  table->full_warned = TRUE;
  zc_service_record_free (record);
  return FALSE;
}

void
zc_peer_table_update (ZcPeerTable *table, ZcServiceRecord *record)
{
  g_autofree char *key = record_peer_key (record);
  guint index;
  ZcPeer *old_peer = find_record (table, record->ifindex, record->family, record->type, record->name,
                                  record->domain, &index);
  ZcPeer *peer = g_hash_table_lookup (table->peers, key);

  if (old_peer != NULL) {
    if (old_peer == peer) {
      zc_service_record_free (g_ptr_array_index (peer->records, index));
      g_ptr_array_index (peer->records, index) = record;
      reflag (table); /* the name may have changed */
      peer_report (table, peer);
      return;
    }
    /* The same service now claims another identity (TXT changed). */
    peer_drop_record (table, old_peer, index);
    peer = g_hash_table_lookup (table->peers, key);
  }

  if (!admit_record (table, peer, record)) {
    reflag (table); /* evictions may have happened before the refusal */
    return;
  }
  if (peer == NULL) {
    peer = g_new0 (ZcPeer, 1);
    peer->serial = table->next_serial++;
    peer->key = g_steal_pointer (&key);
    peer->records = g_ptr_array_new_with_free_func ((GDestroyNotify) zc_service_record_free);
    peer->liveness.reachable = TRUE;
    peer->liveness.rtt_ms = -1;
    peer->self = record_is_self (table, record);
    peer->trust = "none";
    g_hash_table_insert (table->peers, peer->key, peer);
    g_ptr_array_add (peer->records, record);
    /* Judged once, with the first record: every later record of the entry
     * carries the same instance_id and fp= (the key says so). */
    if (table->events.peer_trust != NULL && !peer->self)
      peer->trust = table->events.peer_trust (peer, table->user_data);
  } else {
    g_ptr_array_add (peer->records, record);
  }
  /* Flag before the entry's own report, so that no observer ever sees a
   * copy unflagged. */
  reflag (table);
  peer_report (table, peer);
}

void
zc_peer_table_remove (ZcPeerTable *table, int ifindex, int family, const char *type, const char *name,
                      const char *domain)
{
  guint index;
  ZcPeer *peer = find_record (table, ifindex, family, type, name, domain, &index);

  if (peer != NULL)
    peer_drop_record (table, peer, index);
}

static int compare_peers (gconstpointer a, gconstpointer b);

void
zc_peer_table_clear (ZcPeerTable *table)
{
  g_autoptr (GPtrArray) all = zc_peer_table_list_all (table);

  g_ptr_array_sort (all, compare_peers); /* removals reported in name order */
  for (guint i = 0; i < all->len; i++) {
    ZcPeer *peer = g_ptr_array_index (all, i);

    g_ptr_array_set_size (peer->records, 1);
    peer_drop_record (table, peer, 0);
  }
}

static int
compare_peers (gconstpointer a, gconstpointer b)
{
  const ZcPeer *x = *(const ZcPeer *const *) a;
  const ZcPeer *y = *(const ZcPeer *const *) b;
  int by_name = g_utf8_collate (zc_peer_get_name (x), zc_peer_get_name (y));

  return by_name != 0 ? by_name : strcmp (x->key, y->key);
}

static GPtrArray *
list_peers (ZcPeerTable *table, gboolean include_self, gboolean include_hidden)
{
  GPtrArray *list = g_ptr_array_sized_new (g_hash_table_size (table->peers));
  GHashTableIter iter;
  ZcPeer *peer;

  g_hash_table_iter_init (&iter, table->peers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &peer)) {
    if ((include_self || !peer->self) && (include_hidden || !peer->hidden))
      g_ptr_array_add (list, peer);
  }
  return list;
}

GPtrArray *
zc_peer_table_list (ZcPeerTable *table, gboolean include_self)
{
  GPtrArray *list = list_peers (table, include_self, FALSE);

  g_ptr_array_sort (list, compare_peers);
  return list;
}

/* Unsorted: the prober walks it at every tick and after every new peer,
 * and sorting by collated name costs more than everything else a flood of
 * adverts makes the table do. */
GPtrArray *
zc_peer_table_list_all (ZcPeerTable *table)
{
  return list_peers (table, TRUE, TRUE);
}

ZcPeer *
zc_peer_table_lookup (ZcPeerTable *table, const char *key)
{
  return g_hash_table_lookup (table->peers, key);
}

/* Hidden (unreachable) peers count: a key proves who calls whether or not
 * our pings reach them.  A peer flagged as conflict cannot hold a key
 * another entry also advertises with a better claim, so the unflagged one
 * wins when both carry it. */
ZcPeer *
zc_peer_table_lookup_fingerprint (ZcPeerTable *table, const char *fingerprint)
{
  ZcFingerprint wanted;
  ZcPeer *found = NULL;
  GHashTableIter iter;
  ZcPeer *peer;

  if (fingerprint == NULL || !zc_fingerprint_parse (fingerprint, &wanted, NULL))
    return NULL;
  g_hash_table_iter_init (&iter, table->peers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &peer)) {
    const char *compact = zc_peer_get_fingerprint (peer);
    ZcFingerprint fp;

    if (peer->self || compact == NULL || !zc_fingerprint_parse (compact, &fp, NULL)
        || !zc_fingerprint_equal (&fp, &wanted))
      continue;
    if (found == NULL || (found->conflict && !peer->conflict))
      found = peer;
  }
  return found;
}

void
zc_peer_table_set_reachable (ZcPeerTable *table, ZcPeer *peer, gboolean reachable)
{
  if (peer->liveness.reachable == reachable)
    return;
  peer->liveness.reachable = reachable;
  peer_report (table, peer);
}

void
zc_peer_table_set_hidden (ZcPeerTable *table, ZcPeer *peer, gboolean hidden)
{
  if (peer->hidden == hidden)
    return;
  if (hidden && peer->view != NULL && table->events.peer_removed != NULL)
    table->events.peer_removed (peer, table->user_data);
  peer->hidden = hidden;
  if (!hidden) {
    g_clear_pointer (&peer->view, g_variant_unref);
    peer_report (table, peer);
  }
  reflag (table);
}

void
zc_peer_table_set_trust (ZcPeerTable *table, ZcPeer *peer, const char *trust)
{
  peer->trust = trust;
  reflag (table);
  peer_report (table, peer);
}

guint
zc_peer_table_count (ZcPeerTable *table, gboolean include_self)
{
  GHashTableIter iter;
  ZcPeer *peer;
  guint n = 0;

  g_hash_table_iter_init (&iter, table->peers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &peer)) {
    if ((include_self || !peer->self) && !peer->hidden)
      n++;
  }
  return n;
}

gboolean
zc_peer_is_self (const ZcPeer *peer)
{
  return peer->self;
}

gboolean
zc_peer_is_hidden (const ZcPeer *peer)
{
  return peer->hidden;
}

gboolean
zc_peer_has_instance_id (const ZcPeer *peer)
{
  return g_str_has_prefix (peer->key, "id:");
}

const char *
zc_peer_get_key (const ZcPeer *peer)
{
  return peer->key;
}

ZcPeerLiveness *
zc_peer_get_liveness (ZcPeer *peer)
{
  return &peer->liveness;
}

gboolean
zc_peer_address_is_pingable (const ZcPeer *peer, const char *address)
{
  for (guint i = 0; i < peer->records->len; i++) {
    const ZcServiceRecord *r = g_ptr_array_index (peer->records, i);

    if (r->pingable && r->address != NULL && g_str_equal (r->address, address))
      return TRUE;
  }
  return FALSE;
}

const char *
zc_peer_get_name (const ZcPeer *peer)
{
  return zc_peer_main_record (peer)->name;
}

const char *
zc_peer_get_user (const ZcPeer *peer)
{
  const char *user = zc_peer_main_record (peer)->txt.user;
  return user ? user : "";
}

const char *
zc_peer_get_trust (const ZcPeer *peer)
{
  return peer->trust;
}

gboolean
zc_peer_is_conflict (const ZcPeer *peer)
{
  return peer->conflict;
}

const char *
zc_peer_get_instance_id (const ZcPeer *peer)
{
  return zc_peer_main_record (peer)->txt.instance_id;
}

const char *
zc_peer_get_fingerprint (const ZcPeer *peer)
{
  return zc_peer_main_record (peer)->txt.fingerprint;
}
