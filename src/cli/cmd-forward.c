/* SPDX-License-Identifier: GPL-3.0-or-later */
/* zcall forward */
#include "config.h"
#include "cli/zcall.h"

#include "common/i18n.h"
#include "common/sanitize.h"

#include <stdio.h>

/* "always to carol", "after 15 s of ringing to carol", ... for status
 * and the confirmation; a new string. */
char *
zc_cli_forward_describe (GVariant *forward)
{
  const char *mode = zc_dict_string (forward, "mode");
  const char *target = zc_dict_string (forward, "target");
  g_autofree char *text = NULL;

  if (g_str_equal (mode, "always"))
    text = g_strdup_printf (_("every call to %s"), target);
  else if (g_str_equal (mode, "busy"))
    text = g_strdup_printf (_("when busy, to %s"), target);
  else if (g_str_equal (mode, "no-answer"))
    text = g_strdup_printf (_("after %u s of ringing, to %s"), zc_dict_uint (forward, "no_answer_s"), target);
  else
    text = g_strdup (_("off"));
  return zc_sanitize_text (text, -1);
}

int
zc_cmd_forward (ZcCli *cli, int argc, char **argv)
{
  gboolean busy = FALSE;
  int no_answer_s = -1;
  const GOptionEntry entries[] = {
    { "busy", 0, 0, G_OPTION_ARG_NONE, &busy, N_("Forward only while every call slot is taken"), NULL },
    { "no-answer", 0, 0, G_OPTION_ARG_INT, &no_answer_s, N_("Forward calls still ringing after SECONDS"),
      N_("SECONDS") },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("TARGET|off");
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) st = NULL;
  g_autoptr (GVariant) forward = NULL;
  g_autofree char *text = NULL;
  const char *mode;
  int status = ZC_EXIT_OK;

  g_option_context_set_summary (context, _("Forward incoming calls to a peer name, a sip: URI or user@host "
                                           "(answered 302 with its contact), always, when busy or after ringing; "
                                           "“off” stops.  Not kept across a restart of zcalld."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if ((status = zc_cli_parse (context, &argc, &argv, 1)) >= 0)
    return status;
  status = ZC_EXIT_OK;
  if (argc != 2 || (busy && no_answer_s >= 0) || (no_answer_s != -1 && no_answer_s <= 0)
      || (g_str_equal (argv[1], "off") && (busy || no_answer_s >= 0))) {
    g_printerr (_("zcall: forward needs a TARGET (with at most one of --busy and --no-answer SECONDS) or “off”\n"));
    g_printerr (_("Use “zcall %s --help” for its options.\n"), argv[0]);
    return ZC_EXIT_USAGE;
  }
  if (g_str_equal (argv[1], "off"))
    mode = "off";
  else
    mode = busy ? "busy" : no_answer_s > 0 ? "no-answer" : "always";
  reply = zc_cli_call (cli, "SetForward",
                       g_variant_new ("(ssu)", mode, g_str_equal (mode, "off") ? "" : argv[1],
                                      (guint32) MAX (no_answer_s, 0)),
                       "()", &status);
  if (reply == NULL)
    return status;
  st = zc_cli_call_value (cli, "GetStatus", NULL, "(a{sv})", &status);
  if (st == NULL)
    return status;
  forward = g_variant_lookup_value (st, "forward", G_VARIANT_TYPE_VARDICT);
  text = forward != NULL ? zc_cli_forward_describe (forward) : g_strdup (_("off"));
  printf (_("Forwarding: %s\n"), text);
  return ZC_EXIT_OK;
}
