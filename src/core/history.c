/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The persistent call history: see history.h. */
#define G_LOG_DOMAIN "history"

#include "config.h"
#include "core/history.h"

#include "common/sanitize.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

struct _ZcHistory {
  char *path;
  guint max_entries;
  GPtrArray *entries;         /* GVariant a{sv}, oldest first */
  guint skipped;
  guint save_id;              /* a write is due: ZC_HISTORY_SAVE_DELAY_MS after the first change */
};

/* The entry's keys and their types: what a line must hold to be read
 * (the "required" ones) and everything that is written. */
static const struct {
  const char *key;
  char type;                  /* 's', 'u', 'd' or 'b' */
  gboolean required;
} fields[] = {
  { "started_at", 's', TRUE },
  { "answered_at", 's', FALSE },
  { "ended_at", 's', FALSE },
  { "direction", 's', TRUE },
  { "peer", 's', FALSE },
  { "peer_uri", 's', FALSE },
  { "peer_name", 's', FALSE },
  { "end_reason", 's', FALSE },
  { "sip_status", 'u', FALSE },
  { "codec", 's', FALSE },
  { "duration_s", 'd', FALSE },
  { "missed", 'b', FALSE },
  { "seen", 'b', FALSE },
};

static GVariant *
default_value (char type)
{
  switch (type) {
  case 'u':
    return g_variant_new_uint32 (0);
  case 'd':
    return g_variant_new_double (0);
  case 'b':
    return g_variant_new_boolean (FALSE);
  default:
    return g_variant_new_string ("");
  }
}

/* One JSON member as the field's type, or NULL when it is not of it. */
static GVariant *
value_from_json (JsonNode *node, char type)
{
  GType vt;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return NULL;
  vt = json_node_get_value_type (node);
  switch (type) {
  case 'u':
    if (vt != G_TYPE_INT64 || json_node_get_int (node) < 0 || json_node_get_int (node) > G_MAXUINT32)
      return NULL;
    return g_variant_new_uint32 ((guint32) json_node_get_int (node));
  case 'd':
    if (vt == G_TYPE_INT64)
      return g_variant_new_double ((double) json_node_get_int (node));
    return vt == G_TYPE_DOUBLE ? g_variant_new_double (json_node_get_double (node)) : NULL;
  case 'b':
    return vt == G_TYPE_BOOLEAN ? g_variant_new_boolean (json_node_get_boolean (node)) : NULL;
  default:
    if (vt != G_TYPE_STRING)
      return NULL;
    /* The file is anyone's to edit: what it says reaches terminals. */
    return g_variant_new_take_string (zc_sanitize_text (json_node_get_string (node), -1));
  }
}

/* A line of the file as an entry, or NULL when it is none. */
static GVariant *
entry_from_line (const char *line)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *object;
  GVariantBuilder b;
  const char *direction;

  if (!json_parser_load_from_data (parser, line, -1, NULL) || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;
  object = json_node_get_object (json_parser_get_root (parser));
  direction = json_object_get_string_member_with_default (object, "direction", "");
  if (!g_str_equal (direction, "incoming") && !g_str_equal (direction, "outgoing"))
    return NULL;
  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  for (gsize i = 0; i < G_N_ELEMENTS (fields); i++) {
    JsonNode *node = json_object_get_member (object, fields[i].key);
    GVariant *value = value_from_json (node, fields[i].type);

    if (value == NULL && (fields[i].required || node != NULL)) {
      g_variant_builder_clear (&b);
      return NULL;
    }
    g_variant_builder_add (&b, "{sv}", fields[i].key, value != NULL ? value : default_value (fields[i].type));
  }
  return g_variant_ref_sink (g_variant_builder_end (&b));
}

static void
entry_to_line (GVariant *entry, GString *out)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  for (gsize i = 0; i < G_N_ELEMENTS (fields); i++) {
    g_autoptr (GVariant) value = g_variant_lookup_value (entry, fields[i].key, NULL);

    if (value == NULL)
      continue;
    json_builder_set_member_name (builder, fields[i].key);
    switch (fields[i].type) {
    case 'u':
      json_builder_add_int_value (builder, g_variant_get_uint32 (value));
      break;
    case 'd':
      json_builder_add_double_value (builder, g_variant_get_double (value));
      break;
    case 'b':
      json_builder_add_boolean_value (builder, g_variant_get_boolean (value));
      break;
    default:
      json_builder_add_string_value (builder, g_variant_get_string (value, NULL));
      break;
    }
  }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  g_string_append (out, text);
  g_string_append_c (out, '\n');
}

static void
trim (ZcHistory *history)
{
  if (history->entries->len > history->max_entries)
    g_ptr_array_remove_range (history->entries, 0, history->entries->len - history->max_entries);
}

ZcHistory *
zc_history_load (const char *path, guint max_entries)
{
  ZcHistory *history = g_new0 (ZcHistory, 1);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;

  history->path = g_strdup (path);
  history->max_entries = MAX (max_entries, 1);
  history->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  if (!g_file_get_contents (path, &text, NULL, &error)) {
    if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
      g_warning ("cannot read the call history %s: %s", path, error->message);
    return history;
  }
  for (char *line = text, *next; line != NULL && *line != '\0'; line = next) {
    GVariant *entry;

    next = strchr (line, '\n');
    if (next != NULL)
      *next++ = '\0';
    if (*line == '\0')
      continue;
    entry = entry_from_line (line);
    if (entry == NULL)
      history->skipped++;
    else
      g_ptr_array_add (history->entries, entry);
  }
  if (history->skipped > 0)
    g_warning ("call history %s: skipped %u unreadable line(s)", path, history->skipped);
  trim (history);
  return history;
}

void
zc_history_free (ZcHistory *history)
{
  g_autoptr (GError) error = NULL;

  if (history == NULL)
    return;
  if (!zc_history_flush (history, &error))
    g_warning ("cannot save the call history: %s", error->message);
  g_ptr_array_unref (history->entries);
  g_free (history->path);
  g_free (history);
}

guint
zc_history_get_skipped (ZcHistory *history)
{
  return history->skipped;
}

static gboolean
write_file (ZcHistory *history, GError **error)
{
  g_autoptr (GString) out = g_string_new (NULL);
  g_autofree char *dir = g_path_get_dirname (history->path);

  for (guint i = 0; i < history->entries->len; i++)
    entry_to_line (g_ptr_array_index (history->entries, i), out);
  if (g_mkdir_with_parents (dir, 0700) != 0) {
    int saved = errno;

    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "cannot create %s: %s", dir, g_strerror (saved));
    return FALSE;
  }
  /* CONSISTENT: written to a temporary file, synced, renamed over. */
  return g_file_set_contents_full (history->path, out->str, (gssize) out->len, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                   error);
}

gboolean
zc_history_flush (ZcHistory *history, GError **error)
{
  if (history->save_id == 0)
    return TRUE;
  g_clear_handle_id (&history->save_id, g_source_remove);
  return write_file (history, error);
}

static gboolean
save_due_cb (gpointer user_data)
{
  ZcHistory *history = user_data;
  g_autoptr (GError) error = NULL;

  history->save_id = 0;
  if (!write_file (history, &error))
    g_warning ("cannot save the call history: %s", error->message);
  return G_SOURCE_REMOVE;
}

/* A burst of ended calls (SIPp's ten a second, a flood refused one by
 * one) costs one synced rewrite a second, not one each: later changes
 * ride on the write already due instead of pushing it back. */
static void
save_soon (ZcHistory *history)
{
  if (history->save_id == 0)
    history->save_id = g_timeout_add (ZC_HISTORY_SAVE_DELAY_MS, save_due_cb, history);
}

static const char *
dict_string (GVariant *dict, const char *key)
{
  const char *value = "";

  g_variant_lookup (dict, key, "&s", &value);
  return value;
}

gboolean
zc_history_call_is_missed (GVariant *call)
{
  return g_str_equal (dict_string (call, "direction"), "incoming") && *dict_string (call, "answered_at") == '\0' &&
         !g_str_equal (dict_string (call, "end_reason"), "declined");
}

void
zc_history_add_call (ZcHistory *history, GVariant *call)
{
  GVariantBuilder b;
  gboolean missed = zc_history_call_is_missed (call);
  guint32 sip_status = 0;
  double duration = 0;

  g_variant_lookup (call, "sip_status", "u", &sip_status);
  g_variant_lookup (call, "duration_s", "d", &duration);
  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "started_at", g_variant_new_string (dict_string (call, "started_at")));
  g_variant_builder_add (&b, "{sv}", "answered_at", g_variant_new_string (dict_string (call, "answered_at")));
  g_variant_builder_add (&b, "{sv}", "ended_at", g_variant_new_string (dict_string (call, "ended_at")));
  g_variant_builder_add (&b, "{sv}", "direction", g_variant_new_string (dict_string (call, "direction")));
  g_variant_builder_add (&b, "{sv}", "peer", g_variant_new_string (dict_string (call, "peer_display")));
  g_variant_builder_add (&b, "{sv}", "peer_uri", g_variant_new_string (dict_string (call, "peer_uri")));
  g_variant_builder_add (&b, "{sv}", "peer_name", g_variant_new_string (dict_string (call, "peer_name")));
  g_variant_builder_add (&b, "{sv}", "end_reason", g_variant_new_string (dict_string (call, "end_reason")));
  g_variant_builder_add (&b, "{sv}", "sip_status", g_variant_new_uint32 (sip_status));
  g_variant_builder_add (&b, "{sv}", "codec", g_variant_new_string (dict_string (call, "codec")));
  g_variant_builder_add (&b, "{sv}", "duration_s", g_variant_new_double (duration));
  g_variant_builder_add (&b, "{sv}", "missed", g_variant_new_boolean (missed));
  g_variant_builder_add (&b, "{sv}", "seen", g_variant_new_boolean (!missed));
  g_ptr_array_add (history->entries, g_variant_ref_sink (g_variant_builder_end (&b)));
  trim (history);
  save_soon (history);
}

GVariant *
zc_history_list (ZcHistory *history, gboolean missed_only)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = history->entries->len; i-- > 0;) {
    GVariant *entry = g_ptr_array_index (history->entries, i);
    gboolean missed = FALSE;

    g_variant_lookup (entry, "missed", "b", &missed);
    if (!missed_only || missed)
      g_variant_builder_add_value (&b, entry);
  }
  return g_variant_builder_end (&b);
}

static gboolean
is_unseen (GVariant *entry)
{
  gboolean missed = FALSE, seen = FALSE;

  g_variant_lookup (entry, "missed", "b", &missed);
  g_variant_lookup (entry, "seen", "b", &seen);
  return missed && !seen;
}

guint
zc_history_count_unseen (ZcHistory *history)
{
  guint n = 0;

  for (guint i = 0; i < history->entries->len; i++)
    n += is_unseen (g_ptr_array_index (history->entries, i));
  return n;
}

gboolean
zc_history_mark_seen (ZcHistory *history, guint *count, GError **error)
{
  guint n = 0;

  for (guint i = 0; i < history->entries->len; i++) {
    GVariant *entry = g_ptr_array_index (history->entries, i);
    GVariantDict dict;

    if (!is_unseen (entry))
      continue;
    g_variant_dict_init (&dict, entry);
    g_variant_dict_insert (&dict, "seen", "b", TRUE);
    history->entries->pdata[i] = g_variant_ref_sink (g_variant_dict_end (&dict));
    g_variant_unref (entry);
    n++;
  }
  if (count != NULL)
    *count = n;
  /* The user looked: kept at once, with whatever else was due. */
  if (n == 0 && history->save_id == 0)
    return TRUE;
  g_clear_handle_id (&history->save_id, g_source_remove);
  return write_file (history, error);
}
