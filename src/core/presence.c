/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "core"

#include "config.h"
#include "core/presence.h"

#include "common/sanitize.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

const char *
zc_presence_state (gboolean dnd, guint on_call, guint ringing)
{
  if (dnd)
    return "dnd";
  if (on_call > 0)
    return "on-call";
  if (ringing > 0)
    return "ringing";
  return "available";
}

char *
zc_presence_clean_note (const char *text)
{
  g_autofree char *spaced = g_strdup (text != NULL ? text : "");
  g_autofree char *clean = NULL;
  GString *out = g_string_new (NULL);
  gboolean space = FALSE;
  guint chars = 0;

  /* Line breaks and tabs separate words; the sanitiser would drop them. */
  g_strdelimit (spaced, "\t\n\r\v\f", ' ');
  clean = zc_sanitize_text (spaced, -1);
  for (const char *p = clean; *p != '\0' && chars < ZC_PRESENCE_NOTE_MAX_CHARS; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);

    if (g_unichar_isspace (c)) {
      space = out->len > 0;
      continue;
    }
    if (space) {
      g_string_append_c (out, ' ');
      chars++;
      space = FALSE;
      if (chars == ZC_PRESENCE_NOTE_MAX_CHARS)
        break;
    }
    g_string_append_unichar (out, c);
    chars++;
  }
  return g_string_free (out, FALSE);
}

char *
zc_presence_load_note (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "note", NULL);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;

  if (!g_file_get_contents (path, &text, NULL, &error)) {
    if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
      g_warning ("presence: cannot read the note %s: %s", path, error->message);
    return g_strdup ("");
  }
  /* Cleaned again: the file is the user's to edit. */
  return zc_presence_clean_note (text);
}

gboolean
zc_presence_save_note (const char *dir, const char *note, GError **error)
{
  g_autofree char *path = g_build_filename (dir, "note", NULL);
  g_autofree char *line = NULL;

  if (note == NULL || *note == '\0') {
    if (g_unlink (path) != 0 && errno != ENOENT) {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "cannot remove %s: %s", path,
                   g_strerror (saved));
      return FALSE;
    }
    return TRUE;
  }
  if (g_mkdir_with_parents (dir, 0700) != 0) {
    int saved = errno;

    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "cannot create %s: %s", dir, g_strerror (saved));
    return FALSE;
  }
  line = g_strconcat (note, "\n", NULL);
  return g_file_set_contents_full (path, line, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

#define LINE_FILE "line"
#define LINE_GROUP "line"

void
zc_line_settings_clear (ZcLineSettings *settings)
{
  g_clear_pointer (&settings->forward_mode, g_free);
  g_clear_pointer (&settings->forward_target, g_free);
  settings->dnd = FALSE;
  settings->forward_no_answer_s = 0;
}

void
zc_line_settings_load (const char *dir, ZcLineSettings *settings)
{
  g_autofree char *path = g_build_filename (dir, LINE_FILE, NULL);
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autoptr (GError) error = NULL;
  int no_answer;

  zc_line_settings_clear (settings);
  settings->forward_mode = g_strdup ("off");
  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &error)) {
    if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
      g_warning ("presence: cannot read %s (%s); do-not-disturb and forwarding start off", path, error->message);
    return;
  }
  /* A missing or garbled key reads as its default. */
  settings->dnd = g_key_file_get_boolean (kf, LINE_GROUP, "dnd", NULL);
  settings->forward_target = g_key_file_get_string (kf, LINE_GROUP, "forward-target", NULL);
  if (settings->forward_target != NULL) {
    g_autofree char *mode = g_key_file_get_string (kf, LINE_GROUP, "forward", NULL);

    if (mode != NULL) {
      g_free (settings->forward_mode);
      settings->forward_mode = g_steal_pointer (&mode);
    }
  }
  no_answer = g_key_file_get_integer (kf, LINE_GROUP, "forward-no-answer", NULL);
  settings->forward_no_answer_s = no_answer > 0 ? (guint) no_answer : 0;
}

gboolean
zc_line_settings_save (const char *dir, const ZcLineSettings *settings, GError **error)
{
  g_autofree char *path = g_build_filename (dir, LINE_FILE, NULL);
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autofree char *data = NULL;
  gsize len;

  if (g_mkdir_with_parents (dir, 0700) != 0) {
    int saved = errno;

    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "cannot create %s: %s", dir, g_strerror (saved));
    return FALSE;
  }
  g_key_file_set_boolean (kf, LINE_GROUP, "dnd", settings->dnd);
  g_key_file_set_string (kf, LINE_GROUP, "forward", settings->forward_mode != NULL ? settings->forward_mode : "off");
  if (settings->forward_target != NULL && settings->forward_mode != NULL &&
      !g_str_equal (settings->forward_mode, "off")) {
    g_key_file_set_string (kf, LINE_GROUP, "forward-target", settings->forward_target);
    if (settings->forward_no_answer_s > 0)
      g_key_file_set_integer (kf, LINE_GROUP, "forward-no-answer", (int) settings->forward_no_answer_s);
  }
  data = g_key_file_to_data (kf, &len, NULL);
  /* Written to a temporary file and renamed: a crash leaves the old or
   * the new settings, never half of them. */
  return g_file_set_contents_full (path, data, (gssize) len, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}
