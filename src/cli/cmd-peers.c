/* SPDX-License-Identifier: GPL-3.0-or-later */
/* zcall list, zcall monitor */
#include "config.h"
#include "cli/zcall.h"
#include "cli/table.h"

#include "common/bus.h"
#include "common/i18n.h"
#include "common/sanitize.h"

#include <glib-unix.h>
#include <stdio.h>

int
zc_cmd_list (ZcCli *cli, int argc, char **argv)
{
  gboolean json = FALSE;
  gboolean all = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON for scripts"), NULL },
    { "all", 'a', 0, G_OPTION_ARG_NONE, &all, N_("Include this agent itself"), NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GVariant) peers = NULL;
  int status = ZC_EXIT_OK;

  g_option_context_set_summary (context, _("List the peers discovered on the LAN."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if ((status = zc_cli_parse (context, &argc, &argv, 0)) >= 0)
    return status;
  status = ZC_EXIT_OK;

  peers = zc_cli_call_value (cli, "ListPeers", g_variant_new ("(b)", all), "(aa{sv})", &status);
  if (peers == NULL)
    return status;

  if (json) {
    zc_cli_print_json (peers, FALSE);
    return ZC_EXIT_OK;
  }
  {
    /* NOTE, last as it is free text, only when some peer has one. */
    const char *headers[] = { _("NAME"), _("USER"), _("HOST"), _("ADDRESS"), _("PORT"), _("STATE"), _("TRUST"), _("NOTE") };
    gboolean show_note = FALSE;
    g_autoptr (ZcTable) table = NULL;

    for (gsize i = 0; i < g_variant_n_children (peers) && !show_note; i++) {
      g_autoptr (GVariant) peer = g_variant_get_child_value (peers, i);

      show_note = *zc_dict_string (peer, "note") != '\0';
    }
    table = zc_table_new (G_N_ELEMENTS (headers) - (show_note ? 0 : 1), headers);

    for (gsize i = 0; i < g_variant_n_children (peers); i++) {
      g_autoptr (GVariant) peer = g_variant_get_child_value (peers, i);
      g_autofree char *port = g_strdup_printf ("%u", zc_dict_uint (peer, "port"));
      g_autofree char *name = g_strconcat (zc_dict_string (peer, "name"), zc_dict_bool (peer, "self") ? _(" (this agent)") : "", NULL);
      char trust[32];
      const char *row[] = { name, zc_dict_string (peer, "user"), zc_dict_string (peer, "host"),
                            zc_dict_first (peer, "addresses"), port, zc_dict_string (peer, "state"),
                            zc_dict_bool (peer, "self") ? "-" : zc_cli_trust_label (peer, trust, sizeof trust),
                            zc_dict_string (peer, "note") };
      zc_table_add_row (table, row);
    }
    if (g_variant_n_children (peers) == 0) {
      printf (_("No peers found yet.  Peers appear here when another zcall (or a DNS-SD SIP phone) runs on this LAN.\n"));
      return ZC_EXIT_OK;
    }
    zc_table_print (table, cli->color);
  }
  return ZC_EXIT_OK;
}

/* ---- monitor ---------------------------------------------------------- */

typedef struct {
  gboolean json;
  gboolean agent_present;
  GMainLoop *loop;
  GHashTable *trust;   /* "instance_id name" -> last TRUST label, to report changes */
} ZcMonitor;

/* The agent's peer_display: the name the peer's key proves, or what the
 * network asserts marked "(unverified)". */
static const char *
call_peer (GVariant *dict)
{
  if (*zc_dict_string (dict, "peer_display") != '\0')
    return zc_dict_string (dict, "peer_display");
  return *zc_dict_string (dict, "peer_name") ? zc_dict_string (dict, "peer_name") : zc_dict_string (dict, "peer_uri");
}

static void
print_event (ZcMonitor *monitor, const char *event, const char *key, GVariant *dict)
{
  if (monitor->json) {
    GVariantBuilder b;

    g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add (&b, "{sv}", "event", g_variant_new_string (event));
    if (dict != NULL)
      g_variant_builder_add (&b, "{sv}", key, dict);
    {
      g_autoptr (GVariant) line = g_variant_ref_sink (g_variant_builder_end (&b));
      zc_cli_print_json (line, TRUE);
    }
    return;
  }
  {
    g_autoptr (GDateTime) now = g_date_time_new_now_local ();
    g_autofree char *time = g_date_time_format (now, "%H:%M:%S");
    g_autofree char *text = NULL;

    if (dict == NULL)
      text = g_strdup ("");
    else if (g_str_equal (key, "call") && g_str_equal (event, "call-dtmf"))
      /* A digit the peer pressed, e.g. in an IVR or to open a door. */
      text = g_strdup_printf (_("call %s: DTMF %s from %s"), zc_dict_string (dict, "id"),
                              zc_dict_string (dict, "dtmf_digit"),
                              call_peer (dict));
    else if (g_str_equal (key, "call") && g_str_equal (event, "call-secured"))
      /* How the keys came: "dtls-srtp" or "sdes-srtp", and the suite. */
      text = g_strdup_printf (_("call %s %s %s: %s, %s"), zc_dict_string (dict, "id"), call_peer (dict),
                              zc_dict_string (dict, "security"), zc_dict_string (dict, "encryption"),
                              zc_dict_string (dict, "srtp_suite"));
    else if (g_str_equal (key, "call") && g_str_equal (event, "call-transfer-request"))
      /* The peer asks us to call someone else ([calls] accept-transfer=ask). */
      text = g_strdup_printf (_("call %s %s: asks to transfer the call to %s (zcall accept-transfer %s)"),
                              zc_dict_string (dict, "id"), call_peer (dict), zc_dict_string (dict, "transfer_request"),
                              zc_dict_string (dict, "id"));
    else if (g_str_equal (key, "call") && g_str_equal (event, "call-conference"))
      /* Joined one (its number), or left it (0: the other party hung up). */
      text = g_strdup_printf (_("call %s %s: conference %u"), zc_dict_string (dict, "id"), call_peer (dict),
                              zc_dict_uint (dict, "conference"));
    else if (g_str_equal (key, "call"))
      text = g_strdup_printf (_("call %s %s %s %s"), zc_dict_string (dict, "id"), zc_dict_string (dict, "direction"),
                              call_peer (dict), zc_dict_string (dict, "end_reason"));
    else if (g_str_equal (key, "peer") && g_str_equal (event, "peer-trust")) {
      char trust[32];
      text = g_strdup_printf (_("%s (%s) %s: trust %s"), zc_dict_string (dict, "name"), zc_dict_string (dict, "user"),
                              zc_dict_first (dict, "addresses"), zc_cli_trust_label (dict, trust, sizeof trust));
    } else if (g_str_equal (key, "peer")) {
      char trust[32];
      text = g_strdup_printf ("%s (%s) %s port %u, %s, trust %s", zc_dict_string (dict, "name"),
                              zc_dict_string (dict, "user"), zc_dict_first (dict, "addresses"),
                              zc_dict_uint (dict, "port"), zc_dict_string (dict, "state"),
                              zc_cli_trust_label (dict, trust, sizeof trust));
    }
    else
      text = g_strdup_printf (_("discovery %s, presence %s, %u peers"), zc_dict_string (dict, "discovery"),
                              zc_dict_string (dict, "presence"), zc_dict_uint (dict, "peers"));
    {
      g_autofree char *clean = zc_sanitize_text (text, -1);
      printf ("%s  %-15s %s\n", time, event, clean);
    }
  }
}

/* A trust change (a key accepted with `zcall trust`, an entry flagged or
 * cleared) gets its own line, "peer-trust", besides peer-changed. */
static void
note_trust (ZcMonitor *monitor, const char *event, GVariant *dict)
{
  g_autofree char *key = g_strdup_printf ("%s %s", zc_dict_string (dict, "instance_id"), zc_dict_string (dict, "name"));
  char label[32];
  const char *before;

  zc_cli_trust_label (dict, label, sizeof label);
  if (g_str_equal (event, "peer-removed")) {
    g_hash_table_remove (monitor->trust, key);
    return;
  }
  before = g_hash_table_lookup (monitor->trust, key);
  if (before != NULL && !g_str_equal (before, label))
    print_event (monitor, "peer-trust", "peer", dict);
  g_hash_table_replace (monitor->trust, g_steal_pointer (&key), g_strdup (label));
}

static void
signal_cb (GDBusConnection *connection G_GNUC_UNUSED, const char *sender G_GNUC_UNUSED,
           const char *path G_GNUC_UNUSED, const char *interface G_GNUC_UNUSED, const char *signal,
           GVariant *parameters, gpointer user_data)
{
  static const struct {
    const char *signal, *event, *key;
  } events[] = {
    { "PeerAdded", "peer-added", "peer" },
    { "PeerChanged", "peer-changed", "peer" },
    { "PeerRemoved", "peer-removed", "peer" },
    { "StatusChanged", "status-changed", "status" },
  };
  g_autoptr (GVariant) dict = NULL;

  if (g_str_equal (signal, "CallChanged") && g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(sa{sv})"))) {
    const char *what;
    g_autofree char *event = NULL;

    g_variant_get (parameters, "(&s@a{sv})", &what, &dict);
    event = g_strconcat ("call-", what, NULL);
    print_event (user_data, event, "call", dict);
    return;
  }
  if (!g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(a{sv})")))
    return;
  dict = g_variant_get_child_value (parameters, 0);
  for (gsize i = 0; i < G_N_ELEMENTS (events); i++) {
    if (g_str_equal (events[i].signal, signal)) {
      /* Self is no peer of ours; monitor shows what list shows. */
      if (g_str_equal (events[i].key, "peer") && zc_dict_bool (dict, "self"))
        return;
      print_event (user_data, events[i].event, events[i].key, dict);
      if (g_str_equal (events[i].key, "peer"))
        note_trust (user_data, events[i].event, dict);
    }
  }
}

static void
agent_appeared_cb (GDBusConnection *connection G_GNUC_UNUSED, const char *name G_GNUC_UNUSED,
                   const char *owner G_GNUC_UNUSED, gpointer user_data)
{
  ZcMonitor *monitor = user_data;

  if (!monitor->agent_present)
    print_event (monitor, "agent-started", NULL, NULL);
  monitor->agent_present = TRUE;
}

static void
agent_vanished_cb (GDBusConnection *connection, const char *name G_GNUC_UNUSED, gpointer user_data)
{
  ZcMonitor *monitor = user_data;

  if (connection == NULL || g_dbus_connection_is_closed (connection)) {
    g_printerr (_("zcall: lost the session bus\n"));
    g_main_loop_quit (monitor->loop);
    return;
  }
  if (monitor->agent_present)
    print_event (monitor, "agent-stopped", NULL, NULL);
  monitor->agent_present = FALSE;
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

int
zc_cmd_monitor (ZcCli *cli, int argc, char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print one JSON object per line"), NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GVariant) status_reply = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  ZcMonitor monitor = { 0 };
  int status = ZC_EXIT_OK;
  guint subscription, watch;

  g_option_context_set_summary (context, _("Print events as they happen, until interrupted."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if ((status = zc_cli_parse (context, &argc, &argv, 0)) >= 0)
    return status;
  status = ZC_EXIT_OK;
  if (!zc_cli_connect (cli))
    return ZC_EXIT_UNREACHABLE;

  setvbuf (stdout, NULL, _IOLBF, 0);
  loop = g_main_loop_new (NULL, FALSE);
  monitor.json = json;
  monitor.loop = loop;
  monitor.trust = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  /* Subscribe before the first call so that no event falls in between. */
  subscription = g_dbus_connection_signal_subscribe (cli->bus, ZC_DBUS_NAME, ZC_DBUS_INTERFACE, NULL, ZC_DBUS_PATH,
                                                     NULL, G_DBUS_SIGNAL_FLAGS_NONE, signal_cb, &monitor, NULL);
  status_reply = zc_cli_call (cli, "GetStatus", NULL, "(a{sv})", &status);
  if (status_reply == NULL) {
    g_dbus_connection_signal_unsubscribe (cli->bus, subscription);
    g_hash_table_unref (monitor.trust);
    return status;
  }
  monitor.agent_present = TRUE;
  watch = g_bus_watch_name_on_connection (cli->bus, ZC_DBUS_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE, agent_appeared_cb,
                                          agent_vanished_cb, &monitor, NULL);
  g_unix_signal_add (SIGINT, quit_cb, loop);
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_main_loop_run (loop);
  g_bus_unwatch_name (watch);
  g_dbus_connection_signal_unsubscribe (cli->bus, subscription);
  g_hash_table_unref (monitor.trust);
  return ZC_EXIT_OK;
}
