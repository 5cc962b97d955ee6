/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The call history that survives restarts: one JSON object per line in
 * $XDG_STATE_HOME/zcall/history.jsonl, oldest first, at most
 * ZC_HISTORY_MAX_ENTRIES lines (the oldest go).  A change rewrites the
 * file atomically (temporary file, synced, renamed over), so a crash
 * leaves the old history or the new one, never half of it: at most
 * ZC_HISTORY_SAVE_DELAY_MS after a call ends (calls ending meanwhile share
 * the write), at once when the user marks calls seen, and at free.  A line that is not an
 * entry (a hand edit, a disk error) is skipped at load and dropped at the
 * next save.
 *
 * An entry (also the a{sv} of ListHistory, data/org.zcall.Agent1.xml):
 *   started_at, answered_at, ended_at s (ISO 8601, answered_at "" when
 *   never answered), direction s, peer s (as shown: the call's
 *   peer_display), peer_uri s, peer_name s, end_reason s, sip_status u,
 *   codec s, duration_s d, missed b, seen b.
 * Missed: an incoming call nobody answered that the user did not decline
 * here (cancelled by the caller, no answer, busy, do not disturb...).  It
 * stays unseen until the user looks at the history (zc_history_mark_seen),
 * as a desk phone's missed-call lamp does. */
#pragma once

#include <glib.h>

#define ZC_HISTORY_MAX_ENTRIES 500
#define ZC_HISTORY_FILE "history.jsonl"
#define ZC_HISTORY_SAVE_DELAY_MS 1000

typedef struct _ZcHistory ZcHistory;

/* Reads @path (a missing file is an empty history) keeping the newest
 * @max_entries entries; never fails: what cannot be read is logged. */
ZcHistory *zc_history_load (const char *path, guint max_entries);
void zc_history_free (ZcHistory *history);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcHistory, zc_history_free)

/* Lines of the file that were no entry at load. */
guint zc_history_get_skipped (ZcHistory *history);

/* TRUE for a call dictionary (core/calls.h) that counts as missed. */
gboolean zc_history_call_is_missed (GVariant *call);

/* Records an ended call from its dictionary; saved within
 * ZC_HISTORY_SAVE_DELAY_MS (a failed write is logged then). */
void zc_history_add_call (ZcHistory *history, GVariant *call);

/* The entries, newest first (the missed ones only with @missed_only), as
 * a floating aa{sv}. */
GVariant *zc_history_list (ZcHistory *history, gboolean missed_only);

/* Missed calls not seen yet. */
guint zc_history_count_unseen (ZcHistory *history);

/* Writes a change still waiting for its ZC_HISTORY_SAVE_DELAY_MS now. */
gboolean zc_history_flush (ZcHistory *history, GError **error);

/* Marks every missed call seen and saves; *@count (may be NULL) tells
 * how many were unseen. */
gboolean zc_history_mark_seen (ZcHistory *history, guint *count, GError **error);
