/* SPDX-License-Identifier: GPL-3.0-or-later */
/* zcall identity, zcall trust */
#include "config.h"
#include "cli/zcall.h"

#include "common/i18n.h"
#include "common/sanitize.h"

#include <stdio.h>

const char *
zc_cli_trust_label (GVariant *peer, char *buf, gsize size)
{
  const char *trust = zc_dict_string (peer, "trust");

  /* Capitals for what needs the user: a key that changed. */
  if (g_str_equal (trust, "changed"))
    trust = "CHANGED";
  else if (*trust == '\0')
    trust = "-";
  g_snprintf (buf, size, "%s%s", trust, zc_dict_bool (peer, "conflict") ? ",CONFLICT" : "");
  return buf;
}

int
zc_cmd_identity (ZcCli *cli, int argc, char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON for scripts (also the compact and SDP forms)"), NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GVariant) id = NULL;
  int status = ZC_EXIT_OK;

  g_option_context_set_summary (context, _("Show this agent’s key fingerprint.  Read it to a colleague over the "
                                           "phone: it must match what their “zcall list” shows for you."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if ((status = zc_cli_parse (context, &argc, &argv, 0)) >= 0)
    return status;
  status = ZC_EXIT_OK;

  id = zc_cli_call_value (cli, "GetIdentity", NULL, "(a{sv})", &status);
  if (id == NULL)
    return status;
  if (json) {
    zc_cli_print_json (id, FALSE);
    return ZC_EXIT_OK;
  }
  printf (_("Fingerprint (SHA-256) of %s:\n"), zc_dict_string (id, "common_name"));
  printf ("  %s\n", zc_dict_string (id, "fingerprint"));
  return ZC_EXIT_OK;
}

int
zc_cmd_trust (ZcCli *cli, int argc, char **argv)
{
  gboolean replace = FALSE;
  const GOptionEntry entries[] = {
    { "replace", 0, 0, G_OPTION_ARG_NONE, &replace,
      N_("Accept the key the peer shows now in place of the pinned one"), NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new (_("NAME"));
  g_autoptr (GVariant) peer = NULL;
  g_autofree char *name = NULL;
  int status = ZC_EXIT_OK;

  g_option_context_set_summary (context, _("Mark a peer’s key verified after comparing its fingerprint (shown by "
                                           "“zcall list”) with the one “zcall identity” prints on its side; with "
                                           "--replace, accept a key that changed."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if ((status = zc_cli_parse (context, &argc, &argv, 1)) >= 0)
    return status;
  status = ZC_EXIT_OK;
  if (argc != 2) {
    g_printerr (_("zcall: trust needs the peer’s name\n"));
    g_printerr (_("Use “zcall %s --help” for its options.\n"), argv[0]);
    return ZC_EXIT_USAGE;
  }
  peer = zc_cli_call_value (cli, "Trust", g_variant_new ("(sb)", argv[1], replace), "(a{sv})", &status);
  if (peer == NULL)
    return status;
  name = zc_sanitize_text (zc_dict_string (peer, "name"), -1);
  if (g_str_equal (zc_dict_string (peer, "trust"), "verified"))
    printf (_("The key of %s is verified.\n"), name);
  else
    printf (_("The new key of %s is accepted and pinned; run “zcall trust %s” again once you compared its "
              "fingerprint.\n"), name, argv[1]);
  return ZC_EXIT_OK;
}
