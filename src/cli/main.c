/* SPDX-License-Identifier: GPL-3.0-or-later */
/* zcall: the command line of the zcall agent.  Everything goes through
 * the agent's D-Bus API (data/org.zcall.Agent1.xml). */
#include "config.h"
#include "cli/zcall.h"
#include "cli/json.h"

#include "common/bus.h"
#include "common/i18n.h"

#include <locale.h>
#include <stdio.h>
#include <unistd.h>

static int cmd_help (ZcCli *cli, int argc, char **argv);

static const ZcCommand commands[] = {
  { "list", "[--json] [--all]", N_("List the peers discovered on the LAN"), zc_cmd_list },
  { "status", "[--json] [--dnd on|off] [--note TEXT]", N_("Show this agent’s identity, SIP address and discovery state, or set the presence"), zc_cmd_status },
  { "monitor", "[--json]", N_("Print events (peers appearing, changing, leaving) as they happen"), zc_cmd_monitor },
  { "call", "TARGET [--wait]", N_("Call a peer, a sip: URI or user@host"), zc_cmd_call },
  { "answer", "[ID]", N_("Answer a ringing call"), zc_cmd_answer },
  { "decline", "[ID]", N_("Decline a ringing call"), zc_cmd_decline },
  { "hangup", "[ID|--all]", N_("End a call"), zc_cmd_hangup },
  { "hold", "[ID]", N_("Put a call on hold"), zc_cmd_hold },
  { "resume", "[ID]", N_("Take a call off hold"), zc_cmd_resume },
  { "mute", "[ID]", N_("Mute the microphone on a call"), zc_cmd_mute },
  { "unmute", "[ID]", N_("Unmute the microphone on a call"), zc_cmd_unmute },
  { "conference", "ID ID", N_("Bridge two calls into a three-way conference"), zc_cmd_conference },
  { "transfer", "ID TARGET|--to ID2", N_("Transfer a call to a peer, a sip: URI or user@host, or to another call"),
    zc_cmd_transfer },
  { "dtmf", "[ID] DIGITS", N_("Send DTMF digits (0-9 * # A-D) on a call"), zc_cmd_dtmf },
  { "accept-transfer", "[ID]", N_("Carry out the transfer a peer asks for"), zc_cmd_accept_transfer },
  { "refuse-transfer", "[ID]", N_("Refuse the transfer a peer asks for; the call goes on"), zc_cmd_refuse_transfer },
  { "calls", "[--json]", N_("List calls"), zc_cmd_calls },
  { "history", "[--json] [--missed]", N_("List past calls; missed ones count as seen"), zc_cmd_history },
  { "dnd", "on|off", N_("Turn do-not-disturb on or off"), zc_cmd_dnd },
  { "forward", "TARGET [--busy|--no-answer SECONDS] | off", N_("Forward incoming calls, or stop forwarding"),
    zc_cmd_forward },
  { "identity", "[--json]", N_("Show this agent’s key fingerprint, to compare with a colleague"), zc_cmd_identity },
  { "trust", "NAME [--replace]", N_("Mark a peer’s key verified, or accept its changed key"), zc_cmd_trust },
  { "help", "[COMMAND]", N_("Show help for zcall or for one command"), cmd_help },
};

static const ZcCommand *
find_command (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++) {
    if (g_str_equal (commands[i].name, name))
      return &commands[i];
  }
  return NULL;
}

static void
print_overview (FILE *out)
{
  fprintf (out, _("Usage: zcall [--version] COMMAND [OPTIONS]\n\nCommands:\n"));
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++) {
    g_autofree char *synopsis = g_strdup_printf ("%s %s", commands[i].name, commands[i].args);
    fprintf (out, "  %-26s %s\n", synopsis, _(commands[i].summary));
  }
  fprintf (out, _("\nRun “zcall COMMAND --help” for a command’s options.  See zcall(1).\n"));
}

static int
cmd_help (ZcCli *cli, int argc, char **argv)
{
  const ZcCommand *command;

  if (argc < 2) {
    print_overview (stdout);
    return ZC_EXIT_OK;
  }
  command = find_command (argv[1]);
  if (command == NULL || command->run == cmd_help) {
    g_printerr (_("zcall: unknown command “%s”\n"), argv[1]);
    return ZC_EXIT_USAGE;
  }
  {
    char *help_argv[] = { argv[1], (char *) "--help", NULL };
    return command->run (cli, 2, help_argv);
  }
}

gboolean
zc_cli_connect (ZcCli *cli)
{
  g_autoptr (GError) error = NULL;

  cli->bus = zc_bus_get_session (NULL, &error);
  if (cli->bus == NULL) {
    g_printerr (_("zcall: cannot reach the session bus: %s\n"), error->message);
    return FALSE;
  }
  return TRUE;
}

static gboolean
is_unreachable_error (const GError *error)
{
  return g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
         g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER) ||
         g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NO_REPLY) ||
         g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_TIMEOUT) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED) ||
         (error->domain == G_DBUS_ERROR && error->code >= G_DBUS_ERROR_SPAWN_EXEC_FAILED &&
          error->code <= G_DBUS_ERROR_SPAWN_FAILED);
}

/* The agent's errors (org.zcall.Error.*) and the exit status each gives,
 * as zcall(1) EXIT STATUS documents.  All are 1: scripts written for
 * earlier versions test for 1 when the agent refuses, and 2 stays for a
 * command line zcall rejects itself before asking the agent.  The message
 * printed tells the cases apart. */
static const struct {
  const char *name;
  int exit_status;
} error_exit_status[] = {
  { ZC_DBUS_ERROR_NO_SUCH_PEER, ZC_EXIT_FAILURE },
  { ZC_DBUS_ERROR_NO_SUCH_CALL, ZC_EXIT_FAILURE },
  { ZC_DBUS_ERROR_AMBIGUOUS, ZC_EXIT_FAILURE },
  { ZC_DBUS_ERROR_INVALID_ARGUMENT, ZC_EXIT_FAILURE },
  { ZC_DBUS_ERROR_NOT_POSSIBLE_NOW, ZC_EXIT_FAILURE },
  { ZC_DBUS_ERROR_FAILED, ZC_EXIT_FAILURE },
  { ZC_DBUS_ERROR_UNTRUSTED, ZC_EXIT_FAILURE },
};

static int
exit_status_for (const char *error_name)
{
  for (gsize i = 0; error_name != NULL && i < G_N_ELEMENTS (error_exit_status); i++) {
    if (g_str_equal (error_exit_status[i].name, error_name))
      return error_exit_status[i].exit_status;
  }
  /* An agent of another version, or an error of the bus itself. */
  return ZC_EXIT_FAILURE;
}

GVariant *
zc_cli_call (ZcCli *cli, const char *method, GVariant *parameters, const char *reply_type, int *exit_status)
{
  g_autoptr (GError) error = NULL;
  GVariant *reply;

  if (cli->bus == NULL && !zc_cli_connect (cli)) {
    *exit_status = ZC_EXIT_UNREACHABLE;
    return NULL;
  }
  /* Auto-start is allowed: with the activation file installed, the first
   * zcall command starts the agent. */
  reply = g_dbus_connection_call_sync (cli->bus, ZC_DBUS_NAME, ZC_DBUS_PATH, ZC_DBUS_INTERFACE, method,
                                       parameters, G_VARIANT_TYPE (reply_type), G_DBUS_CALL_FLAGS_NONE,
                                       10000, NULL, &error);
  if (reply != NULL)
    return reply;
  if (is_unreachable_error (error)) {
    g_printerr (_("zcall: the zcall agent is not running (start it with “systemctl --user start zcalld” or “zcalld”)\n"));
    g_debug ("%s", error->message);
    *exit_status = ZC_EXIT_UNREACHABLE;
  } else {
    g_autofree char *name = g_dbus_error_get_remote_error (error);

    *exit_status = exit_status_for (name);
    g_dbus_error_strip_remote_error (error);
    g_printerr ("zcall: %s\n", error->message);
  }
  return NULL;
}

GVariant *
zc_cli_call_value (ZcCli *cli, const char *method, GVariant *parameters, const char *reply_type, int *exit_status)
{
  g_autoptr (GVariant) reply = zc_cli_call (cli, method, parameters, reply_type, exit_status);

  return reply ? g_variant_get_child_value (reply, 0) : NULL;
}

int
zc_cli_parse (GOptionContext *context, int *argc, char ***argv, int max_args)
{
  g_autoptr (GError) error = NULL;

  if (!g_option_context_parse (context, argc, argv, &error)) {
    g_printerr ("zcall: %s\n", error->message);
    g_printerr (_("Use “zcall %s --help” for its options.\n"), (*argv)[0]);
    return ZC_EXIT_USAGE;
  }
  if (*argc - 1 > max_args) {
    g_printerr (_("zcall: unexpected argument “%s”\n"), (*argv)[max_args + 1]);
    g_printerr (_("Use “zcall %s --help” for its options.\n"), (*argv)[0]);
    return ZC_EXIT_USAGE;
  }
  return -1;
}

void
zc_cli_print_json (GVariant *value, gboolean compact)
{
  g_autofree char *text = zc_json_to_string (value, compact);

  printf ("%s\n", text);
}

const char *
zc_dict_string (GVariant *dict, const char *key)
{
  const char *value = NULL;

  if (!g_variant_lookup (dict, key, "&s", &value))
    return "";
  return value;
}

guint32
zc_dict_uint (GVariant *dict, const char *key)
{
  guint32 value = 0;

  g_variant_lookup (dict, key, "u", &value);
  return value;
}

gboolean
zc_dict_bool (GVariant *dict, const char *key)
{
  gboolean value = FALSE;

  g_variant_lookup (dict, key, "b", &value);
  return value;
}

const char *
zc_dict_first (GVariant *dict, const char *key)
{
  g_autoptr (GVariant) list = g_variant_lookup_value (dict, key, G_VARIANT_TYPE_STRING_ARRAY);
  const char *first = "";

  if (list != NULL && g_variant_n_children (list) > 0)
    g_variant_get_child (list, 0, "&s", &first);
  /* The string lives in @dict, which the caller holds. */
  return first;
}

int
main (int argc, char **argv)
{
  ZcCli cli = { 0 };
  const ZcCommand *command;
  const char *nc = g_getenv ("NO_COLOR");
  int status;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  cli.color = isatty (STDOUT_FILENO) && (nc == NULL || *nc == '\0');

  if (argc < 2) {
    print_overview (stderr);
    return ZC_EXIT_USAGE;
  }
  if (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h")) {
    print_overview (stdout);
    return ZC_EXIT_OK;
  }
  if (g_str_equal (argv[1], "--version")) {
    printf ("zcall %s\n", PACKAGE_VERSION);
    return ZC_EXIT_OK;
  }
  command = find_command (argv[1]);
  if (command == NULL) {
    g_printerr (_("zcall: unknown command “%s”\n"), argv[1]);
    g_printerr (_("Use “zcall --help” for the list of commands.\n"));
    return ZC_EXIT_USAGE;
  }
  status = command->run (&cli, argc - 1, argv + 1);
  g_clear_object (&cli.bus);
  return status;
}
