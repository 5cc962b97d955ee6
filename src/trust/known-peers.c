/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "trust"

#include "config.h"
#include "trust/known-peers.h"
#include "trust/trust-error.h"
#include "trust/trust-file.h"

#include <glib/gi18n.h>
#include <string.h>

#define FORMAT_VERSION 1
#define HEADER_WORD "zcall-known-peers"
/* Pins, damaged lines kept for the user, a header and some comments. */
#define FILE_MAX_BYTES ((gsize) (ZC_KNOWN_PEERS_MAX + 64) * ZC_KNOWN_PEERS_LINE_MAX)

/* A line of the file: a pin, or a damaged line kept verbatim (raw). */
typedef struct {
  ZcKnownPeer peer;
  char *raw;
  gboolean pinned_now;   /* first seen during this run: its verdict stays "new" */
} Line;

struct _ZcKnownPeers {
  char *dir;
  char *path;
  GPtrArray *lines;      /* of Line, file order */
  GHashTable *by_id;     /* instance_id -> Line (pins only) */
  GPtrArray *problems;   /* of char * */
  GSource *save_source;  /* the coalesced write, due; NULL when none */
};

static void
line_free (gpointer data)
{
  Line *line = data;

  g_free (line->peer.instance_id);
  g_free (line->peer.name);
  g_free (line->raw);
  g_free (line);
}

const char *
zc_trust_verdict_to_string (ZcTrustVerdict verdict)
{
  switch (verdict) {
  case ZC_TRUST_NONE: return "none";
  case ZC_TRUST_NEW: return "new";
  case ZC_TRUST_KNOWN: return "known";
  case ZC_TRUST_VERIFIED: return "verified";
  case ZC_TRUST_CHANGED: return "changed";
  }
  return "none";
}

static gboolean
valid_id (const char *id)
{
  gsize len = id != NULL ? strlen (id) : 0;

  if (len == 0 || len > ZC_KNOWN_PEERS_ID_MAX)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (id[i] <= ' ' || id[i] > '~')
      return FALSE;
  return TRUE;
}

/* Names come from adverts anyone on the LAN can send: no control
 * character may reach the file (a newline would forge a pin) or, later, a
 * terminal. */
static char *
clean_name (const char *name)
{
  g_autofree char *valid = g_utf8_make_valid (name != NULL ? name : "", -1);
  GString *out = g_string_sized_new (strlen (valid));

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);
    const char *next = g_utf8_next_char (p);

    if (g_unichar_iscntrl (c))
      continue;
    if (out->len + (gsize) (next - p) > ZC_KNOWN_PEERS_NAME_MAX)
      break;
    g_string_append_len (out, p, next - p);
  }
  return g_string_free (out, FALSE);
}

static void
problem (ZcKnownPeers *store, guint lineno, const char *what)
{
  g_ptr_array_add (store->problems, g_strdup_printf ("%s:%u: %s", store->path, lineno, what));
}

/* "<instance_id> <state> <fingerprint> <name>"; NULL with *why on error. */
static Line *
parse_line (const char *text, const char **why)
{
  g_autofree char *copy = g_strdup (text);
  char *fields[4];
  char *p = copy;
  ZcFingerprint fp;
  Line *line;

  for (guint i = 0; i < 3; i++) {
    char *space = strchr (p, ' ');

    if (space == NULL) {
      *why = _("expected: instance_id state fingerprint name");
      return NULL;
    }
    *space = '\0';
    fields[i] = p;
    p = space + 1;
  }
  fields[3] = p;

  if (!valid_id (fields[0])) {
    *why = _("the instance_id is empty, too long or has unprintable characters");
    return NULL;
  }
  if (strcmp (fields[1], "pinned") != 0 && strcmp (fields[1], "verified") != 0) {
    *why = _("the state is neither 'pinned' nor 'verified'");
    return NULL;
  }
  if (!zc_fingerprint_parse (fields[2], &fp, NULL)) {
    *why = _("the fingerprint is not a SHA-256 fingerprint");
    return NULL;
  }
  line = g_new0 (Line, 1);
  line->peer.instance_id = g_strdup (fields[0]);
  line->peer.verified = strcmp (fields[1], "verified") == 0;
  line->peer.fingerprint = fp;
  line->peer.name = clean_name (fields[3]);
  return line;
}

/* TRUE for our header; fails (whole load) for a later version. */
static gboolean
parse_header (ZcKnownPeers *store, const char *text, gboolean *is_header, GError **error)
{
  guint64 version;

  *is_header = FALSE;
  if (!g_str_has_prefix (text, HEADER_WORD " "))
    return TRUE;
  if (!g_ascii_string_to_unsigned (text + strlen (HEADER_WORD " "), 10, 1, G_MAXUINT32, &version, NULL))
    return TRUE;
  if (version > FORMAT_VERSION) {
    g_set_error (error, ZC_TRUST_ERROR, ZC_TRUST_ERROR_UNSUPPORTED,
                 _("%s: version %" G_GUINT64_FORMAT " of the file, this zcall reads version %d"),
                 store->path, version, FORMAT_VERSION);
    return FALSE;
  }
  *is_header = TRUE;
  return TRUE;
}

static void
take_line (ZcKnownPeers *store, guint lineno, const char *raw, gsize len)
{
  g_autofree char *text = NULL;
  const char *why = NULL;
  Line *line;

  if (len > ZC_KNOWN_PEERS_LINE_MAX) {
    problem (store, lineno, _("longer than 1024 bytes; skipped, and dropped when the file is next written"));
    return;
  }
  if (memchr (raw, '\0', len) != NULL) {
    problem (store, lineno, _("holds a NUL byte; skipped, and dropped when the file is next written"));
    return;
  }
  if (store->lines->len >= ZC_KNOWN_PEERS_MAX) {
    problem (store, lineno, _("beyond the cap of 4096 pins; skipped, and dropped when the file is next written"));
    return;
  }
  text = g_strndup (raw, len);

  line = parse_line (text, &why);
  if (line != NULL && g_hash_table_contains (store->by_id, line->peer.instance_id)) {
    line_free (line);
    line = NULL;
    why = _("a second pin for this instance_id (the first one counts)");
  }
  if (line == NULL) {
    g_autofree char *what = g_strdup_printf (_("%s; skipped"), why);

    problem (store, lineno, what);
    line = g_new0 (Line, 1);
    line->raw = g_steal_pointer (&text);
    g_ptr_array_add (store->lines, line);
    return;
  }
  g_ptr_array_add (store->lines, line);
  g_hash_table_insert (store->by_id, line->peer.instance_id, line);
}

static gboolean
parse_file (ZcKnownPeers *store, const char *contents, gsize len, GError **error)
{
  const char *p = contents, *end = contents + len;
  guint lineno = 0;

  while (p < end) {
    const char *start = p;
    const char *nl = memchr (p, '\n', end - p);
    gsize line_len = (nl != NULL ? nl : end) - start;

    p = nl != NULL ? nl + 1 : end;
    lineno++;
    if (line_len > 0 && start[line_len - 1] == '\r')
      line_len--;

    if (lineno == 1) {
      g_autofree char *text = g_strndup (start, MIN (line_len, ZC_KNOWN_PEERS_LINE_MAX));
      gboolean is_header;

      if (!parse_header (store, text, &is_header, error))
        return FALSE;
      if (is_header)
        continue;
      problem (store, 1, _("no 'zcall-known-peers 1' header; read as version 1"));
    }
    if (line_len == 0 || start[0] == '#')
      continue;
    take_line (store, lineno, start, line_len);
  }
  return TRUE;
}

static ZcKnownPeers *
store_new (const char *dir)
{
  ZcKnownPeers *store = g_new0 (ZcKnownPeers, 1);

  store->dir = g_strdup (dir);
  store->path = g_build_filename (dir, ZC_KNOWN_PEERS_FILE, NULL);
  store->lines = g_ptr_array_new_with_free_func (line_free);
  store->by_id = g_hash_table_new (g_str_hash, g_str_equal);
  store->problems = g_ptr_array_new_with_free_func (g_free);
  return store;
}

void
zc_known_peers_free (ZcKnownPeers *store)
{
  g_autoptr (GError) error = NULL;

  if (store == NULL)
    return;
  /* At shutdown the pins made since the last write reach the disk. */
  if (!zc_known_peers_flush (store, &error))
    g_warning ("known peers: %s", error->message);
  g_hash_table_unref (store->by_id);
  g_ptr_array_unref (store->lines);
  g_ptr_array_unref (store->problems);
  g_free (store->dir);
  g_free (store->path);
  g_free (store);
}

ZcKnownPeers *
zc_known_peers_load (const char *dir, GError **error)
{
  g_autoptr (ZcKnownPeers) store = store_new (dir);
  g_autoptr (GError) local = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;

  if (!zc_trust_file_read (store->path, FILE_MAX_BYTES, &contents, &len, &local)) {
    if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
      return g_steal_pointer (&store);
    g_propagate_error (error, g_steal_pointer (&local));
    return NULL;
  }
  if (!parse_file (store, contents, len, error))
    return NULL;
  return g_steal_pointer (&store);
}

GPtrArray *
zc_known_peers_get_problems (ZcKnownPeers *store)
{
  return store->problems;
}

guint
zc_known_peers_get_size (ZcKnownPeers *store)
{
  return g_hash_table_size (store->by_id);
}

const ZcKnownPeer *
zc_known_peers_lookup (ZcKnownPeers *store, const char *instance_id)
{
  Line *line = instance_id != NULL ? g_hash_table_lookup (store->by_id, instance_id) : NULL;

  return line != NULL ? &line->peer : NULL;
}

gboolean
zc_known_peers_save (ZcKnownPeers *store, GError **error)
{
  g_autoptr (GString) out = g_string_new (NULL);

  /* Whatever was due goes with this write, which holds every pin. */
  if (store->save_source != NULL) {
    g_source_destroy (store->save_source);
    g_clear_pointer (&store->save_source, g_source_unref);
  }

  g_string_append_printf (out, HEADER_WORD " %d\n", FORMAT_VERSION);
  g_string_append (out, "# instance_id pinned|verified sha256-base64url name; written by zcalld\n");
  for (guint i = 0; i < store->lines->len; i++) {
    Line *line = g_ptr_array_index (store->lines, i);
    g_autofree char *fp = NULL;

    if (line->raw != NULL) {
      g_string_append_printf (out, "%s\n", line->raw);
      continue;
    }
    fp = zc_fingerprint_to_compact (&line->peer.fingerprint);
    g_string_append_printf (out, "%s %s %s %s\n", line->peer.instance_id,
                            line->peer.verified ? "verified" : "pinned", fp, line->peer.name);
  }
  return zc_trust_file_write (store->dir, ZC_KNOWN_PEERS_FILE, out->str, out->len, TRUE, error);
}

gboolean
zc_known_peers_flush (ZcKnownPeers *store, GError **error)
{
  if (store->save_source == NULL)
    return TRUE;
  return zc_known_peers_save (store, error);
}

static gboolean
save_due_cb (gpointer user_data)
{
  ZcKnownPeers *store = user_data;
  g_autoptr (GError) error = NULL;

  /* A failed write is not retried on its own (a full disk would make it
   * warn every second): the next pin, `zcall trust` or the shutdown try
   * again, and the pins live in memory meanwhile. */
  if (!zc_known_peers_flush (store, &error))
    g_warning ("known peers: %s", error->message);
  return G_SOURCE_REMOVE;
}

/* The write is due ZC_KNOWN_PEERS_SAVE_DELAY_MS after the first change
 * since the last one, and later changes do not push it back: a flood of
 * new adverts costs one write (and fsync) per delay, not one per advert,
 * and a steady flood still gets its pins written. */
static void
schedule_save (ZcKnownPeers *store)
{
  if (store->save_source != NULL)
    return;
  store->save_source = g_timeout_source_new (ZC_KNOWN_PEERS_SAVE_DELAY_MS);
  g_source_set_callback (store->save_source, save_due_cb, store, NULL);
  g_source_set_name (store->save_source, "known-peers save");
  g_source_attach (store->save_source, g_main_context_get_thread_default ());
}

ZcTrustVerdict
zc_known_peers_verdict (ZcKnownPeers         *store,
                        const char           *instance_id,
                        const char           *name,
                        const ZcFingerprint  *fingerprint,
                        GError              **error)
{
  g_autofree char *clean = NULL;
  Line *line;

  if (fingerprint == NULL)
    return ZC_TRUST_NONE;
  if (!valid_id (instance_id)) {
    g_set_error_literal (error, ZC_TRUST_ERROR, ZC_TRUST_ERROR_INVALID,
                         _("the peer's instance_id cannot be pinned (empty, too long or unprintable)"));
    return ZC_TRUST_NONE;
  }
  clean = clean_name (name);

  line = g_hash_table_lookup (store->by_id, instance_id);
  if (line != NULL) {
    if (!zc_fingerprint_equal (&line->peer.fingerprint, fingerprint))
      return ZC_TRUST_CHANGED;
    /* Only the key's holder gets here, so the name it now uses is its own. */
    if (strcmp (line->peer.name, clean) != 0) {
      g_free (line->peer.name);
      line->peer.name = g_steal_pointer (&clean);
      schedule_save (store);
    }
    if (line->peer.verified)
      return ZC_TRUST_VERIFIED;
    /* zcall(1): "first seen during this run of the agent", whenever the
     * peer is reported again (its TXT followed, a presence change). */
    return line->pinned_now ? ZC_TRUST_NEW : ZC_TRUST_KNOWN;
  }

  if (store->lines->len >= ZC_KNOWN_PEERS_MAX) {
    g_set_error (error, ZC_TRUST_ERROR, ZC_TRUST_ERROR_FULL,
                 _("%s holds %d pins, its cap: %s is not pinned"),
                 store->path, ZC_KNOWN_PEERS_MAX, instance_id);
    return ZC_TRUST_NEW;
  }
  line = g_new0 (Line, 1);
  line->peer.instance_id = g_strdup (instance_id);
  line->peer.name = g_steal_pointer (&clean);
  line->peer.fingerprint = *fingerprint;
  line->pinned_now = TRUE;
  g_ptr_array_add (store->lines, line);
  g_hash_table_insert (store->by_id, line->peer.instance_id, line);
  schedule_save (store);
  return ZC_TRUST_NEW;
}

gboolean
zc_known_peers_trust (ZcKnownPeers         *store,
                      const char           *instance_id,
                      const ZcFingerprint  *fingerprint,
                      gboolean              replace,
                      ZcTrustVerdict       *verdict,
                      GError              **error)
{
  Line *line;

  g_return_val_if_fail (fingerprint != NULL, FALSE);
  if (!valid_id (instance_id)) {
    g_set_error_literal (error, ZC_TRUST_ERROR, ZC_TRUST_ERROR_INVALID,
                         _("the peer's instance_id cannot be pinned (empty, too long or unprintable)"));
    return FALSE;
  }
  line = g_hash_table_lookup (store->by_id, instance_id);
  if (line == NULL) {
    g_set_error (error, ZC_TRUST_ERROR, ZC_TRUST_ERROR_UNKNOWN_PEER,
                 _("no pin for %s in %s"), instance_id, store->path);
    return FALSE;
  }
  if (zc_fingerprint_equal (&line->peer.fingerprint, fingerprint)) {
    line->peer.verified = TRUE;
    if (verdict != NULL)
      *verdict = ZC_TRUST_VERIFIED;
  } else if (replace) {
    line->peer.fingerprint = *fingerprint;
    line->peer.verified = FALSE;
    line->pinned_now = FALSE; /* the user took this key: known, not merely seen */
    if (verdict != NULL)
      *verdict = ZC_TRUST_KNOWN;
  } else {
    g_set_error (error, ZC_TRUST_ERROR, ZC_TRUST_ERROR_CHANGED,
                 _("%s shows another key than the one pinned in %s; "
                   "after comparing fingerprints, replace the pin"),
                 *line->peer.name != '\0' ? line->peer.name : line->peer.instance_id, store->path);
    return FALSE;
  }
  return zc_known_peers_save (store, error);
}
