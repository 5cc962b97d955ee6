/* SPDX-License-Identifier: GPL-3.0-or-later */
/* zcall history */
#include "config.h"
#include "cli/zcall.h"
#include "cli/table.h"

#include "common/i18n.h"

#include <stdio.h>

/* "2026-12-06 14:03", local time; the agent's text when it is no time. */
static char *
format_when (const char *iso)
{
  g_autoptr (GDateTime) utc = *iso ? g_date_time_new_from_iso8601 (iso, NULL) : NULL;
  g_autoptr (GDateTime) local = utc ? g_date_time_to_local (utc) : NULL;

  return local ? g_date_time_format (local, "%Y-%m-%d %H:%M") : g_strdup (iso);
}

static char *
format_result (GVariant *entry)
{
  const char *reason = zc_dict_string (entry, "end_reason");

  if (zc_dict_bool (entry, "missed"))
    return zc_dict_bool (entry, "seen") ? g_strdup_printf (_("missed (%s)"), reason)
                                        : g_strdup_printf (_("MISSED (%s), new"), reason);
  if (*zc_dict_string (entry, "answered_at") != '\0') {
    double s = 0;
    guint secs;

    g_variant_lookup (entry, "duration_s", "d", &s);
    secs = s > 0 ? (guint) (s + 0.5) : 0;
    return g_strdup_printf (_("talked %u:%02u"), secs / 60, secs % 60);
  }
  return g_strdup (reason);
}

int
zc_cmd_history (ZcCli *cli, int argc, char **argv)
{
  gboolean json = FALSE, missed = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON for scripts (missed calls stay unseen)"), NULL },
    { "missed", 'm', 0, G_OPTION_ARG_NONE, &missed, N_("Only the missed calls"), NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GVariant) list = NULL;
  int status;

  g_option_context_set_summary (context,
                                _("List past calls, newest first; they survive restarts.  Looking at the list "
                                  "marks the missed calls seen, as on a desk phone (not with --json)."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if ((status = zc_cli_parse (context, &argc, &argv, 0)) >= 0)
    return status;
  status = ZC_EXIT_OK;
  list = zc_cli_call_value (cli, "ListHistory", g_variant_new ("(b)", missed), "(aa{sv})", &status);
  if (list == NULL)
    return status;
  if (json) {
    zc_cli_print_json (list, FALSE);
    return ZC_EXIT_OK;
  }
  if (g_variant_n_children (list) == 0) {
    printf (missed ? _("No missed calls.\n") : _("No calls yet.\n"));
    return ZC_EXIT_OK;
  }
  {
    const char *headers[] = { _("WHEN"), _("DIR"), _("PEER"), _("RESULT") };
    g_autoptr (ZcTable) table = zc_table_new (G_N_ELEMENTS (headers), headers);

    for (gsize i = 0; i < g_variant_n_children (list); i++) {
      g_autoptr (GVariant) entry = g_variant_get_child_value (list, i);
      g_autofree char *when = format_when (zc_dict_string (entry, "started_at"));
      g_autofree char *result = format_result (entry);
      const char *peer = *zc_dict_string (entry, "peer") ? zc_dict_string (entry, "peer")
                                                          : zc_dict_string (entry, "peer_uri");
      const char *row[] = { when, g_str_equal (zc_dict_string (entry, "direction"), "outgoing") ? _("out") : _("in"),
                            peer, result };

      zc_table_add_row (table, row);
    }
    zc_table_print (table, cli->color);
  }
  /* Shown to a person: the missed-call lamp goes out. */
  {
    g_autoptr (GVariant) seen = zc_cli_call (cli, "MarkHistorySeen", NULL, "(u)", &status);

    if (seen == NULL)
      return status;
  }
  return ZC_EXIT_OK;
}
