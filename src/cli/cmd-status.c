/* SPDX-License-Identifier: GPL-3.0-or-later */
/* zcall status, zcall dnd */
#include "config.h"
#include "cli/zcall.h"

#include "common/i18n.h"
#include "common/sanitize.h"

#include <stdio.h>

static void
print_field (const char *label, const char *value)
{
  g_autofree char *clean = zc_sanitize_text (value && *value ? value : "-", -1);
  printf ("%-13s %s\n", label, clean);
}

/* zcall status --dnd on|off --note TEXT: sets what colleagues see, then
 * shows the status as usual. */
static int
set_presence (ZcCli *cli, const char *dnd, const char *note)
{
  int status = ZC_EXIT_OK;

  if (dnd != NULL) {
    g_autoptr (GVariant) reply = NULL;

    if (!g_str_equal (dnd, "on") && !g_str_equal (dnd, "off")) {
      g_printerr (_("zcall: --dnd needs “on” or “off”\n"));
      g_printerr (_("Use “zcall %s --help” for its options.\n"), "status");
      return ZC_EXIT_USAGE;
    }
    reply = zc_cli_call (cli, "SetPresence", g_variant_new ("(s)", g_str_equal (dnd, "on") ? "dnd" : "available"),
                         "()", &status);
    if (reply == NULL)
      return status;
  }
  if (note != NULL) {
    g_autoptr (GVariant) reply = zc_cli_call (cli, "SetNote", g_variant_new ("(s)", note), "()", &status);

    if (reply == NULL)
      return status;
  }
  return -1;
}

int
zc_cmd_status (ZcCli *cli, int argc, char **argv)
{
  gboolean json = FALSE;
  g_autofree char *dnd = NULL;
  g_autofree char *note = NULL;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON for scripts"), NULL },
    { "dnd", 0, 0, G_OPTION_ARG_STRING, &dnd, N_("Turn do-not-disturb on or off"), N_("on|off") },
    { "note", 0, 0, G_OPTION_ARG_STRING, &note, N_("Set the note colleagues see (\"\" removes it)"), N_("TEXT") },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GVariant) st = NULL;
  int status = ZC_EXIT_OK;

  g_option_context_set_summary (context, _("Show this agent’s identity, SIP address and discovery state; with "
                                           "--dnd or --note, set first what colleagues see in “zcall list”."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if ((status = zc_cli_parse (context, &argc, &argv, 0)) >= 0)
    return status;
  if ((status = set_presence (cli, dnd, note)) >= 0)
    return status;
  status = ZC_EXIT_OK;

  st = zc_cli_call_value (cli, "GetStatus", NULL, "(a{sv})", &status);
  if (st == NULL)
    return status;
  if (json) {
    zc_cli_print_json (st, FALSE);
    return ZC_EXIT_OK;
  }
  {
    g_autofree char *user = *zc_dict_string (st, "display_name")
                                ? g_strdup_printf ("%s (%s)", zc_dict_string (st, "user"), zc_dict_string (st, "display_name"))
                                : g_strdup (zc_dict_string (st, "user"));
    g_autofree char *port = g_strdup_printf (_("%u (UDP and TCP)"), zc_dict_uint (st, "sip_port"));
    g_autofree char *discovery = g_strdup_printf ("%s — %s", zc_dict_string (st, "discovery"),
                                                  zc_dict_string (st, "discovery_detail"));
    g_autofree char *peers = g_strdup_printf ("%u", zc_dict_uint (st, "peers"));

    print_field (_("User:"), user);
    print_field (_("Advertised:"), zc_dict_string (st, "service_name"));
    print_field (_("SIP URI:"), zc_dict_string (st, "uri"));
    print_field (_("SIP port:"), port);
    {
      guint32 tls_port = zc_dict_uint (st, "sip_tls_port");
      g_autofree char *tls = tls_port != 0 ? g_strdup_printf ("%u", tls_port) : g_strdup (_("off"));

      print_field (_("SIP TLS port:"), tls);
    }
    print_field (_("Discovery:"), discovery);
    print_field (_("Presence:"), zc_dict_string (st, "presence"));
    print_field (_("State:"), zc_dict_string (st, "state"));
    print_field (_("Note:"), zc_dict_string (st, "note"));
    {
      g_autofree char *missed = g_strdup_printf ("%u", zc_dict_uint (st, "missed_calls"));

      print_field (_("Missed calls:"), missed);
    }
    {
      g_autoptr (GVariant) forward = g_variant_lookup_value (st, "forward", G_VARIANT_TYPE_VARDICT);
      g_autofree char *text = forward != NULL ? zc_cli_forward_describe (forward) : NULL;

      if (text != NULL)
        print_field (_("Forwarding:"), text);
    }
    print_field (_("Peers:"), peers);
    {
      g_autoptr (GVariant) rdv = g_variant_lookup_value (st, "rendezvous", G_VARIANT_TYPE_VARDICT);

      if (rdv != NULL) {
        const char *state = zc_dict_string (rdv, "state");
        const char *reason = zc_dict_string (rdv, "reason");
        gint32 code = 0;
        g_autofree char *line = NULL;

        g_variant_lookup (rdv, "status", "i", &code);
        if (g_str_equal (state, "registered"))
          line = g_strdup_printf (_("registered as %s via %s (public address %s)"), zc_dict_string (rdv, "aor"),
                                  zc_dict_string (rdv, "target"), zc_dict_string (rdv, "public_address"));
        else if (code != 0)
          line = g_strdup_printf ("%s — %d %s (%s)", state, code, reason, zc_dict_string (rdv, "registrar"));
        else
          line = g_strdup_printf ("%s (%s)%s%s", state, zc_dict_string (rdv, "registrar"), *reason ? " — " : "", reason);
        print_field (_("Rendezvous:"), line);
      }
    }
    {
      g_autofree const char **restart = NULL;

      if (g_variant_lookup (st, "restart_needed", "^a&s", &restart) && restart[0] != NULL) {
        g_autofree char *keys = g_strjoinv (", ", (char **) restart);

        print_field (_("Restart for:"), keys);
      }
    }
    print_field (_("Instance:"), zc_dict_string (st, "instance_id"));
    print_field (_("Fingerprint:"), zc_dict_string (st, "fingerprint"));
    print_field (_("Version:"), zc_dict_string (st, "version"));
  }
  return ZC_EXIT_OK;
}

int
zc_cmd_dnd (ZcCli *cli, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new ("on|off");
  g_autoptr (GVariant) reply = NULL;
  const char *presence;
  int status = ZC_EXIT_OK;

  g_option_context_set_summary (context, _("Turn do-not-disturb on or off.  Peers see the state in “zcall list”."));
  if ((status = zc_cli_parse (context, &argc, &argv, 1)) >= 0)
    return status;
  status = ZC_EXIT_OK;
  if (argc != 2 || (!g_str_equal (argv[1], "on") && !g_str_equal (argv[1], "off"))) {
    g_printerr (_("zcall: dnd needs “on” or “off”\n"));
    g_printerr (_("Use “zcall %s --help” for its options.\n"), argv[0]);
    return ZC_EXIT_USAGE;
  }
  presence = g_str_equal (argv[1], "on") ? "dnd" : "available";
  reply = zc_cli_call (cli, "SetPresence", g_variant_new ("(s)", presence), "()", &status);
  if (reply == NULL)
    return status;
  printf (g_str_equal (presence, "dnd") ? _("Do not disturb is on.\n") : _("Do not disturb is off.\n"));
  return ZC_EXIT_OK;
}
