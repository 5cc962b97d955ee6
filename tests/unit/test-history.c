/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The persistent call history (core/history.h) and the presence rules
 * (core/presence.h). */
#include "config.h"

#include "core/history.h"
#include "core/presence.h"

#include <glib/gstdio.h>
#include <string.h>

/* A call dictionary as core/calls.h makes them, with what history uses. */
static GVariant *
call_dict (const char *direction, const char *peer, const char *answered_at, const char *reason)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "id", g_variant_new_string ("1"));
  g_variant_builder_add (&b, "{sv}", "direction", g_variant_new_string (direction));
  g_variant_builder_add (&b, "{sv}", "peer_uri", g_variant_new_string ("sip:bob@198.18.0.2:5060"));
  g_variant_builder_add (&b, "{sv}", "peer_name", g_variant_new_string (peer));
  g_variant_builder_add (&b, "{sv}", "peer_display", g_variant_new_string (peer));
  g_variant_builder_add (&b, "{sv}", "started_at", g_variant_new_string ("2026-12-06T10:00:00Z"));
  g_variant_builder_add (&b, "{sv}", "answered_at", g_variant_new_string (answered_at));
  g_variant_builder_add (&b, "{sv}", "ended_at", g_variant_new_string ("2026-12-06T10:01:00Z"));
  g_variant_builder_add (&b, "{sv}", "duration_s", g_variant_new_double (*answered_at ? 42.5 : 0));
  g_variant_builder_add (&b, "{sv}", "end_reason", g_variant_new_string (reason));
  g_variant_builder_add (&b, "{sv}", "sip_status", g_variant_new_uint32 (*answered_at ? 0 : 487));
  g_variant_builder_add (&b, "{sv}", "codec", g_variant_new_string ("opus/48000/2"));
  return g_variant_ref_sink (g_variant_builder_end (&b));
}

static char *
temp_path (char **dir)
{
  *dir = g_dir_make_tmp ("zcall-history-XXXXXX", NULL);
  g_assert_nonnull (*dir);
  /* A directory that does not exist yet: the first save makes it. */
  return g_build_filename (*dir, "zcall", ZC_HISTORY_FILE, NULL);
}

static void
remove_tree (const char *dir)
{
  g_autofree char *sub = g_build_filename (dir, "zcall", NULL);
  g_autofree char *file = g_build_filename (sub, ZC_HISTORY_FILE, NULL);

  g_unlink (file);
  g_rmdir (sub);
  g_rmdir (dir);
}

static guint
count_lines (const char *path)
{
  g_autofree char *text = NULL;
  guint n = 0;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  for (const char *p = text; *p; p++)
    n += *p == '\n';
  return n;
}

static const char *
entry_string (GVariant *list, gsize i, const char *key)
{
  g_autoptr (GVariant) entry = g_variant_get_child_value (list, i);
  const char *value = NULL;

  g_assert_true (g_variant_lookup (entry, key, "&s", &value));
  /* The string lives in @list, which the caller holds. */
  return value;
}

static gboolean
entry_bool (GVariant *list, gsize i, const char *key)
{
  g_autoptr (GVariant) entry = g_variant_get_child_value (list, i);
  gboolean value = FALSE;

  g_assert_true (g_variant_lookup (entry, key, "b", &value));
  return value;
}

static void
test_missed_rule (void)
{
  g_autoptr (GVariant) cancelled = call_dict ("incoming", "bob", "", "cancelled");
  g_autoptr (GVariant) declined = call_dict ("incoming", "bob", "", "declined");
  g_autoptr (GVariant) answered = call_dict ("incoming", "bob", "2026-12-06T10:00:05Z", "hangup");
  g_autoptr (GVariant) outgoing = call_dict ("outgoing", "bob", "", "no answer");

  g_assert_true (zc_history_call_is_missed (cancelled));
  g_assert_false (zc_history_call_is_missed (declined));
  g_assert_false (zc_history_call_is_missed (answered));
  g_assert_false (zc_history_call_is_missed (outgoing));
}

/* Written, read back by a new instance (a restart), missed until seen,
 * and the seen flag survives too. */
static void
test_roundtrip_and_seen (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = temp_path (&dir);

  {
    g_autoptr (ZcHistory) h = zc_history_load (path, 10);
    g_autoptr (GVariant) a = call_dict ("outgoing", "carol", "2026-12-06T10:00:02Z", "hangup");
    g_autoptr (GVariant) m = call_dict ("incoming", "bob \"the\" builder", "", "cancelled");

    zc_history_add_call (h, a);
    zc_history_add_call (h, m);
    g_assert_cmpuint (zc_history_count_unseen (h), ==, 1);
  }
  g_assert_cmpuint (count_lines (path), ==, 2);
  {
    g_autoptr (ZcHistory) h = zc_history_load (path, 10);
    g_autoptr (GVariant) all = g_variant_ref_sink (zc_history_list (h, FALSE));
    g_autoptr (GVariant) missed = g_variant_ref_sink (zc_history_list (h, TRUE));
    g_autoptr (GVariant) entry = NULL;
    double duration = 0;
    guint32 status = 1;
    guint count = 0;

    g_assert_cmpuint (zc_history_get_skipped (h), ==, 0);
    g_assert_cmpuint (g_variant_n_children (all), ==, 2);
    /* Newest first. */
    g_assert_cmpstr (entry_string (all, 0, "peer"), ==, "bob \"the\" builder");
    g_assert_cmpstr (entry_string (all, 1, "peer"), ==, "carol");
    g_assert_cmpstr (entry_string (all, 1, "direction"), ==, "outgoing");
    entry = g_variant_get_child_value (all, 1);
    g_assert_true (g_variant_lookup (entry, "duration_s", "d", &duration));
    g_assert_cmpfloat_with_epsilon (duration, 42.5, 1e-9);
    g_assert_true (g_variant_lookup (entry, "sip_status", "u", &status));
    g_assert_cmpuint (status, ==, 0);
    g_assert_cmpuint (g_variant_n_children (missed), ==, 1);
    g_assert_true (entry_bool (missed, 0, "missed"));
    g_assert_false (entry_bool (missed, 0, "seen"));
    g_assert_cmpuint (zc_history_count_unseen (h), ==, 1);
    g_assert_true (zc_history_mark_seen (h, &count, NULL));
    g_assert_cmpuint (count, ==, 1);
    g_assert_cmpuint (zc_history_count_unseen (h), ==, 0);
  }
  {
    g_autoptr (ZcHistory) h = zc_history_load (path, 10);
    g_autoptr (GVariant) missed = g_variant_ref_sink (zc_history_list (h, TRUE));

    g_assert_cmpuint (zc_history_count_unseen (h), ==, 0);
    g_assert_cmpuint (g_variant_n_children (missed), ==, 1);
    g_assert_true (entry_bool (missed, 0, "seen"));
  }
  remove_tree (dir);
}

/* The file never holds more than the bound: the oldest entries go. */
static void
test_bounded (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = temp_path (&dir);
  g_autoptr (ZcHistory) h = zc_history_load (path, 5);

  for (guint i = 0; i < 12; i++) {
    g_autofree char *peer = g_strdup_printf ("peer%u", i);
    g_autoptr (GVariant) call = call_dict ("outgoing", peer, "2026-12-06T10:00:02Z", "hangup");

    zc_history_add_call (h, call);
  }
  {
    g_autoptr (GVariant) all = g_variant_ref_sink (zc_history_list (h, FALSE));

    g_assert_cmpuint (g_variant_n_children (all), ==, 5);
    g_assert_cmpstr (entry_string (all, 0, "peer"), ==, "peer11");
    g_assert_cmpstr (entry_string (all, 4, "peer"), ==, "peer7");
  }
  /* Twelve calls, one write (due a second later; flushed here). */
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_true (zc_history_flush (h, NULL));
  g_assert_cmpuint (count_lines (path), ==, 5);
  /* A file that grew beyond the bound by hand is cut at load. */
  {
    g_autoptr (ZcHistory) small = zc_history_load (path, 2);
    g_autoptr (GVariant) all = g_variant_ref_sink (zc_history_list (small, FALSE));

    g_assert_cmpuint (g_variant_n_children (all), ==, 2);
    g_assert_cmpstr (entry_string (all, 1, "peer"), ==, "peer10");
  }
  remove_tree (dir);
}

/* Lines that are no entry are skipped, the good ones kept; the next save
 * leaves only good lines. */
static void
test_corrupted_lines (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = temp_path (&dir);
  g_autofree char *sub = g_path_get_dirname (path);
  const char *text =
      "{\"started_at\":\"2026-12-06T09:00:00Z\",\"direction\":\"incoming\",\"peer\":\"ann\","
      "\"missed\":true,\"seen\":false}\n"
      "{\"started_at\":\"2026-12-06T09:01:00Z\",\"direction\":\"outg\n"          /* cut by a crash */
      "not json at all\n"
      "[1,2,3]\n"
      "{\"started_at\":\"2026-12-06T09:02:00Z\",\"direction\":\"sideways\"}\n"  /* no such direction */
      /* a member of the wrong type */
      "{\"started_at\":\"2026-12-06T09:03:00Z\",\"direction\":\"outgoing\",\"sip_status\":\"x\"}\n"
      "{\"direction\":\"outgoing\"}\n"                                          /* no time */
      "\n"
      "{\"started_at\":\"2026-12-06T09:04:00Z\",\"direction\":\"outgoing\",\"peer\":\"\\u001b[31mred\","
      "\"duration_s\":7,\"unknown_key\":1}\n"
      /* cut short, without its newline */
      "{\"started_at\":\"2026-12-06T09:05:00Z\",\"direction\":\"outgoing\",\"peer\":\"tail\"";

  g_assert_cmpint (g_mkdir_with_parents (sub, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  g_test_expect_message ("history", G_LOG_LEVEL_WARNING, "*skipped 7 unreadable*");
  {
    g_autoptr (ZcHistory) h = zc_history_load (path, 10);
    g_autoptr (GVariant) all = g_variant_ref_sink (zc_history_list (h, FALSE));
    g_autoptr (GVariant) newest = NULL;
    double duration = 0;
    guint count = 0;

    g_test_assert_expected_messages ();

    g_assert_cmpuint (zc_history_get_skipped (h), ==, 7);
    g_assert_cmpuint (g_variant_n_children (all), ==, 2);
    /* Sanitised: no escape sequence reaches a terminal. */
    g_assert_null (strchr (entry_string (all, 0, "peer"), '\033'));
    g_assert_nonnull (strstr (entry_string (all, 0, "peer"), "red"));
    newest = g_variant_get_child_value (all, 0);
    g_assert_true (g_variant_lookup (newest, "duration_s", "d", &duration));
    g_assert_cmpfloat_with_epsilon (duration, 7.0, 1e-9);
    g_assert_cmpstr (entry_string (all, 1, "peer"), ==, "ann");
    g_assert_cmpuint (zc_history_count_unseen (h), ==, 1);
    /* The save rewrites the file with the two good entries only. */
    g_assert_true (zc_history_mark_seen (h, &count, NULL));
    g_assert_cmpuint (count, ==, 1);
  }
  g_assert_cmpuint (count_lines (path), ==, 2);
  {
    g_autoptr (ZcHistory) h = zc_history_load (path, 10);

    g_assert_cmpuint (zc_history_get_skipped (h), ==, 0);
  }
  remove_tree (dir);
}

/* DND and forwarding kept across restarts: saved, read back, and a file
 * edited into nonsense reads as the defaults, never a failure. */
static void
test_line_settings (void)
{
  g_autofree char *dir = g_dir_make_tmp ("zcall-line-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "line", NULL);
  ZcLineSettings in = { .dnd = TRUE, .forward_mode = (char *) "no-answer", .forward_target = (char *) "carol",
                        .forward_no_answer_s = 12 };
  ZcLineSettings out = { 0 };

  zc_line_settings_load (dir, &out);
  g_assert_false (out.dnd);
  g_assert_cmpstr (out.forward_mode, ==, "off");
  g_assert_null (out.forward_target);
  g_assert_true (zc_line_settings_save (dir, &in, NULL));
  zc_line_settings_load (dir, &out);
  g_assert_true (out.dnd);
  g_assert_cmpstr (out.forward_mode, ==, "no-answer");
  g_assert_cmpstr (out.forward_target, ==, "carol");
  g_assert_cmpuint (out.forward_no_answer_s, ==, 12);
  {
    struct stat st;

    g_assert_cmpint (g_stat (path, &st), ==, 0);
    g_assert_cmpuint (st.st_mode & 0777, ==, 0600);
  }
  /* Forwarding off keeps no target. */
  in.dnd = FALSE;
  in.forward_mode = (char *) "off";
  g_assert_true (zc_line_settings_save (dir, &in, NULL));
  zc_line_settings_load (dir, &out);
  g_assert_false (out.dnd);
  g_assert_cmpstr (out.forward_mode, ==, "off");
  g_assert_null (out.forward_target);
  /* A mode without a target is no forwarding. */
  g_assert_true (g_file_set_contents (path, "[line]\ndnd=maybe\nforward=always\nforward-no-answer=-3\n", -1, NULL));
  zc_line_settings_load (dir, &out);
  g_assert_false (out.dnd);
  g_assert_cmpstr (out.forward_mode, ==, "off");
  g_assert_cmpuint (out.forward_no_answer_s, ==, 0);
  g_assert_true (g_file_set_contents (path, "\x01 not a key file", -1, NULL));
  g_test_expect_message ("core", G_LOG_LEVEL_WARNING, "*cannot read*forwarding start off*");
  zc_line_settings_load (dir, &out);
  g_test_assert_expected_messages ();
  g_assert_cmpstr (out.forward_mode, ==, "off");
  zc_line_settings_clear (&out);
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_presence_state (void)
{
  g_assert_cmpstr (zc_presence_state (FALSE, 0, 0), ==, "available");
  g_assert_cmpstr (zc_presence_state (FALSE, 0, 1), ==, "ringing");
  g_assert_cmpstr (zc_presence_state (FALSE, 1, 0), ==, "on-call");
  /* A second call ringing during a call: still on the phone. */
  g_assert_cmpstr (zc_presence_state (FALSE, 1, 1), ==, "on-call");
  g_assert_cmpstr (zc_presence_state (TRUE, 1, 1), ==, "dnd");
  g_assert_cmpstr (zc_presence_state (TRUE, 0, 0), ==, "dnd");
}

static void
test_presence_note (void)
{
  g_autofree char *dir = g_dir_make_tmp ("zcall-note-XXXXXX", NULL);
  g_autofree char *plain = zc_presence_clean_note ("  in the lab\n\tuntil 3  ");
  g_autofree char *escape = zc_presence_clean_note ("\033[2Jgone\a fishing");
  g_autoptr (GString) many = g_string_new (NULL);
  g_autofree char *lng = NULL;
  g_autofree char *empty = zc_presence_clean_note (" \n ");
  g_autofree char *bad_utf8 = zc_presence_clean_note ("caf\xc3");

  for (guint i = 0; i < ZC_PRESENCE_NOTE_MAX_CHARS + 10; i++)
    g_string_append (many, "é");
  lng = zc_presence_clean_note (many->str);
  g_assert_cmpstr (plain, ==, "in the lab until 3");
  g_assert_null (strchr (escape, '\033'));
  g_assert_null (strchr (escape, '\a'));
  g_assert_nonnull (strstr (escape, "fishing"));
  g_assert_cmpuint (g_utf8_strlen (lng, -1), ==, ZC_PRESENCE_NOTE_MAX_CHARS);
  g_assert_true (g_utf8_validate (lng, -1, NULL));
  g_assert_cmpstr (empty, ==, "");
  g_assert_true (g_utf8_validate (bad_utf8, -1, NULL));

  {
    g_autofree char *none = zc_presence_load_note (dir);
    g_autofree char *back = NULL;
    g_autofree char *gone = NULL;

    g_assert_cmpstr (none, ==, "");
    g_assert_true (zc_presence_save_note (dir, plain, NULL));
    back = zc_presence_load_note (dir);
    g_assert_cmpstr (back, ==, plain);
    g_assert_true (zc_presence_save_note (dir, "", NULL));
    gone = zc_presence_load_note (dir);
    g_assert_cmpstr (gone, ==, "");
    /* Removing what is not there is no error. */
    g_assert_true (zc_presence_save_note (dir, "", NULL));
  }
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/history/missed-rule", test_missed_rule);
  g_test_add_func ("/history/roundtrip-and-seen", test_roundtrip_and_seen);
  g_test_add_func ("/history/bounded", test_bounded);
  g_test_add_func ("/history/corrupted-lines", test_corrupted_lines);
  g_test_add_func ("/presence/state", test_presence_state);
  g_test_add_func ("/presence/note", test_presence_note);
  g_test_add_func ("/presence/line-settings", test_line_settings);
  return g_test_run ();
}
