/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Presence as colleagues see it in the DNS-SD TXT record: state= from
 * the calls and the user's do-not-disturb, and the user's note=.  Plain
 * functions, so that unit tests drive them; the agent (agent.c) applies
 * them and re-advertises. */
#pragma once

#include <glib.h>

/* A note is one line of at most this many characters (a TXT string holds
 * 255 bytes, "note=" and a long UTF-8 text included). */
#define ZC_PRESENCE_NOTE_MAX_CHARS 80

/* "dnd" while the user asked for quiet, else "on-call" while a call
 * occupies the line (@on_call: established or outgoing in set-up), else
 * "ringing" while an incoming call rings, else "available". */
const char *zc_presence_state (gboolean dnd, guint on_call, guint ringing);

/* @text as a note: valid UTF-8 without control characters or escape
 * sequences, white space runs (line breaks included) made one space,
 * trimmed, cut to ZC_PRESENCE_NOTE_MAX_CHARS characters.  A new string,
 * "" for none. */
char *zc_presence_clean_note (const char *text);

/* The note kept in @dir/note across restarts: "" when there is none (or
 * it cannot be read: a note is not worth refusing to start for). */
char *zc_presence_load_note (const char *dir);
/* Saves (atomically) or, for "", removes it. */
gboolean zc_presence_save_note (const char *dir, const char *note, GError **error);

/* What the user set for the line that must outlive a restart (like the
 * note): do-not-disturb and call forwarding.  Kept in @dir/line, a key
 * file written atomically. */
typedef struct {
  gboolean dnd;
  char *forward_mode;          /* "off", "always", "busy", "no-answer" */
  char *forward_target;        /* as the user gave it; NULL when off */
  guint forward_no_answer_s;
} ZcLineSettings;

void zc_line_settings_clear (ZcLineSettings *settings);
/* Fills @settings from @dir/line; the defaults (no DND, forwarding off)
 * when there is none or it cannot be read (logged: not worth refusing to
 * start for). */
void zc_line_settings_load (const char *dir, ZcLineSettings *settings);
gboolean zc_line_settings_save (const char *dir, const ZcLineSettings *settings, GError **error);
