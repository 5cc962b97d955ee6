/* SPDX-License-Identifier: GPL-3.0-or-later */
/* zcalld: the zcall agent.  One GMainLoop drives everything: avahi,
 * the SIP sockets and D-Bus. */
#define G_LOG_DOMAIN "zcalld"

#include "config.h"

#include "common/bus.h"
#include "core/conf.h"
#include "common/i18n.h"
#include "common/log.h"
#include "control/dbus-agent.h"
#include "core/agent.h"

#include <glib-unix.h>
#include <locale.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
  GMainLoop *loop;
  ZcAgent *agent;
  const char *config_path;  /* --config, or NULL for the search order */
  int exit_status;
} ZcDaemon;

static gboolean
quit_on_signal_cb (gpointer user_data)
{
  ZcDaemon *daemon = user_data;

  g_message ("stopping");
  g_main_loop_quit (daemon->loop);
  return G_SOURCE_CONTINUE;
}

/* SIGHUP, as daemons do: read the configuration again.  A file that does
 * not load (a typo while editing) changes nothing; the log names its
 * file:line, group and key, and the agent goes on as it was. */
static gboolean
reload_on_signal_cb (gpointer user_data)
{
  ZcDaemon *daemon = user_data;
  g_autoptr (GError) error = NULL;
  ZcConfig *fresh = zc_config_load (daemon->config_path, &error);

  if (fresh == NULL) {
    g_warning ("reload: %s; keeping the configuration in use", error->message);
    return G_SOURCE_CONTINUE;
  }
  zc_agent_reload (daemon->agent, fresh);
  return G_SOURCE_CONTINUE;
}

/* The agent goes on the network only once it owns its bus name: a second
 * zcalld started by mistake must not advertise a twin before it exits. */
static void
name_acquired_cb (GDBusConnection *connection G_GNUC_UNUSED, const char *name, gpointer user_data)
{
  ZcDaemon *daemon = user_data;

  g_message ("serving %s on the session bus", name);
  zc_agent_start (daemon->agent);
}

static void
name_lost_cb (GDBusConnection *connection, const char *name, gpointer user_data)
{
  ZcDaemon *daemon = user_data;

  if (connection == NULL || g_dbus_connection_is_closed (connection)) {
    g_warning ("lost the session bus; zcall can no longer reach this agent");
    return;
  }
  g_printerr (_("zcalld: another agent already owns %s on this session bus\n"), name);
  daemon->exit_status = EXIT_FAILURE;
  g_main_loop_quit (daemon->loop);
}

int
main (int argc, char **argv)
{
  g_autofree char *config_path = NULL;
  gboolean verbose = FALSE;
  gboolean show_version = FALSE;
  const GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, N_("Read the configuration from FILE"), N_("FILE") },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, N_("Log debug messages"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &show_version, N_("Print the version and exit"), NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (ZcConfig) config = NULL;
  g_autoptr (ZcAgent) agent = NULL;
  g_autoptr (GDBusConnection) bus = NULL;
  g_autoptr (ZcDbusAgent) dbus_agent = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  ZcDaemon daemon = { 0 };
  guint owner_id = 0;

  /* glibc gives each thread that allocates an arena of its own, each with
   * its own slack; in a call the audio, media and sound-server threads held
   * about 1 MB of private dirty memory that way (bench/voice-bench.sh: 5.3
   * MB in a call with the default, 4.4 MB with one arena).  The threads of
   * a phone allocate little, and per-thread caches still serve the small
   * allocations without the arena's lock. */
  mallopt (M_ARENA_MAX, 1);
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, _("The zcall agent: finds zcall peers on the LAN and serves the zcall command line over D-Bus."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("zcalld: %s\n", error->message);
    g_printerr (_("Use “zcalld --help” for the options.\n"));
    return 2;
  }
  if (show_version) {
    g_print ("zcalld %s\n", PACKAGE_VERSION);
    return EXIT_SUCCESS;
  }
  zc_log_init ("zcalld", verbose);

  config = zc_config_load (config_path, &error);
  if (config == NULL) {
    g_printerr ("zcalld: %s\n", error->message);
    return EXIT_FAILURE;
  }
  g_info ("configuration: %s", config->path ? config->path : "built-in defaults");

  agent = zc_agent_new (g_steal_pointer (&config), &error);
  if (agent == NULL) {
    g_printerr ("zcalld: %s\n", error->message);
    return EXIT_FAILURE;
  }

  loop = g_main_loop_new (NULL, FALSE);
  daemon.loop = loop;
  daemon.agent = agent;
  daemon.config_path = config_path;
  daemon.exit_status = EXIT_SUCCESS;

  /* Without a session bus the agent still advertises itself and can be
   * found by others; only the local command line cannot reach it. */
  bus = zc_bus_get_session (NULL, &error);
  if (bus == NULL) {
    g_warning ("no session bus (%s); the zcall command cannot reach this agent", error->message);
    g_clear_error (&error);
    zc_agent_start (agent);
  } else {
    dbus_agent = zc_dbus_agent_new (agent, bus, &error);
    if (dbus_agent == NULL) {
      g_printerr ("zcalld: %s\n", error->message);
      return EXIT_FAILURE;
    }
    owner_id = g_bus_own_name_on_connection (bus, ZC_DBUS_NAME, G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
                                             name_acquired_cb, name_lost_cb, &daemon, NULL);
  }

  g_unix_signal_add (SIGTERM, quit_on_signal_cb, &daemon);
  g_unix_signal_add (SIGINT, quit_on_signal_cb, &daemon);
  g_unix_signal_add (SIGHUP, reload_on_signal_cb, &daemon);
  g_main_loop_run (loop);

  /* Goodbyes first, so peers drop us within the mDNS one-second rule. */
  zc_agent_stop (agent);
  if (owner_id != 0)
    g_bus_unown_name (owner_id);
  g_clear_pointer (&dbus_agent, zc_dbus_agent_free);
  if (bus != NULL)
    g_dbus_connection_flush_sync (bus, NULL, NULL);
  return daemon.exit_status;
}
