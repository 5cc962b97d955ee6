/* SPDX-License-Identifier: GPL-3.0-or-later */
/* zcall call, answer, decline, hangup, transfer, accept-transfer,
 * refuse-transfer, hold, resume, mute, unmute, dtmf, calls */
#include "config.h"
#include "cli/zcall.h"
#include "cli/table.h"

#include "common/bus.h"
#include "common/i18n.h"

#include <glib-unix.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  const char *id;
  GMainLoop *loop;
  int status;
  gboolean done;
} ZcCallWait;

static void
wait_signal_cb (GDBusConnection *connection G_GNUC_UNUSED, const char *sender G_GNUC_UNUSED,
                const char *path G_GNUC_UNUSED, const char *interface G_GNUC_UNUSED, const char *signal G_GNUC_UNUSED,
                GVariant *parameters, gpointer user_data)
{
  ZcCallWait *wait = user_data;
  const char *event;
  g_autoptr (GVariant) call = NULL;

  if (wait->id == NULL || !g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(sa{sv})")))
    return;
  g_variant_get (parameters, "(&s@a{sv})", &event, &call);
  if (!g_str_equal (zc_dict_string (call, "id"), wait->id))
    return;
  if (g_str_equal (event, "answered")) {
    printf (_("Call %s answered (%s).\n"), wait->id, zc_dict_string (call, "codec"));
    wait->status = ZC_EXIT_OK;
    wait->done = TRUE;
    g_main_loop_quit (wait->loop);
  } else if (g_str_equal (event, "ended")) {
    guint32 sip_status = zc_dict_uint (call, "sip_status");

    if (sip_status != 0)
      g_printerr (_("zcall: call %s failed: %s (%u)\n"), wait->id, zc_dict_string (call, "end_reason"), sip_status);
    else
      g_printerr (_("zcall: call %s failed: %s\n"), wait->id, zc_dict_string (call, "end_reason"));
    wait->status = ZC_EXIT_FAILURE;
    wait->done = TRUE;
    g_main_loop_quit (wait->loop);
  }
}

static void
wait_vanished_cb (GDBusConnection *connection G_GNUC_UNUSED, const char *name G_GNUC_UNUSED, gpointer user_data)
{
  ZcCallWait *wait = user_data;

  g_printerr (_("zcall: the agent stopped\n"));
  wait->status = ZC_EXIT_UNREACHABLE;
  g_main_loop_quit (wait->loop);
}

static gboolean
wait_interrupt_cb (gpointer user_data)
{
  ZcCallWait *wait = user_data;

  wait->status = ZC_EXIT_FAILURE;
  g_main_loop_quit (wait->loop);
  return G_SOURCE_REMOVE;
}

int
zc_cmd_call (ZcCli *cli, int argc, char **argv)
{
  gboolean wait_for_answer = FALSE;
  const GOptionEntry entries[] = {
    { "wait", 'w', 0, G_OPTION_ARG_NONE, &wait_for_answer, N_("Wait until the call is answered or fails"), NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new (_("TARGET"));
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autofree char *id = NULL;
  ZcCallWait wait = { 0 };
  guint subscription = 0, watch;
  int status;

  g_option_context_set_summary (context, _("Call TARGET: a peer’s name or user as “zcall list” shows them, a sip: URI, or user@host[:port]."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if ((status = zc_cli_parse (context, &argc, &argv, 1)) >= 0)
    return status;
  if (argc != 2) {
    g_printerr (_("zcall: call needs a TARGET\n"));
    g_printerr (_("Use “zcall %s --help” for its options.\n"), argv[0]);
    return ZC_EXIT_USAGE;
  }
  status = ZC_EXIT_OK;
  if (wait_for_answer) {
    if (!zc_cli_connect (cli))
      return ZC_EXIT_UNREACHABLE;
    loop = g_main_loop_new (NULL, FALSE);
    wait.loop = loop;
    /* Subscribe before calling, so a quick answer is not missed. */
    subscription = g_dbus_connection_signal_subscribe (cli->bus, ZC_DBUS_NAME, ZC_DBUS_INTERFACE, "CallChanged",
                                                       ZC_DBUS_PATH, NULL, G_DBUS_SIGNAL_FLAGS_NONE, wait_signal_cb,
                                                       &wait, NULL);
  }
  reply = zc_cli_call (cli, "Call", g_variant_new ("(s)", argv[1]), "(s)", &status);
  if (reply == NULL) {
    if (subscription != 0)
      g_dbus_connection_signal_unsubscribe (cli->bus, subscription);
    return status;
  }
  g_variant_get (reply, "(s)", &id);
  printf ("%s\n", id);
  fflush (stdout);
  if (!wait_for_answer)
    return ZC_EXIT_OK;

  wait.id = id;
  wait.status = ZC_EXIT_FAILURE;
  watch = g_bus_watch_name_on_connection (cli->bus, ZC_DBUS_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE, NULL,
                                          wait_vanished_cb, &wait, NULL);
  g_unix_signal_add (SIGINT, wait_interrupt_cb, &wait);
  /* The answer may have come before we listened for it by id. */
  {
    g_autoptr (GVariant) calls = zc_cli_call (cli, "ListCalls", NULL, "(aa{sv})", &status);
    g_autoptr (GVariant) list = calls ? g_variant_get_child_value (calls, 0) : NULL;

    for (gsize i = 0; list != NULL && i < g_variant_n_children (list); i++) {
      g_autoptr (GVariant) call = g_variant_get_child_value (list, i);
      const char *state = zc_dict_string (call, "state");

      if (!g_str_equal (zc_dict_string (call, "id"), id))
        continue;
      if (g_str_equal (state, "active") || g_str_equal (state, "held") || g_str_equal (state, "ended")) {
        g_autoptr (GVariant) event = g_variant_ref_sink (
            g_variant_new ("(s@a{sv})", g_str_equal (state, "ended") ? "ended" : "answered", call));
        wait_signal_cb (NULL, NULL, NULL, NULL, NULL, event, &wait);
      }
    }
  }
  if (!wait.done)
    g_main_loop_run (loop);
  g_bus_unwatch_name (watch);
  g_dbus_connection_signal_unsubscribe (cli->bus, subscription);
  return wait.status;
}

/* answer, decline, hangup, hold, resume: one call id or "" */
/* Returns the exit status; *acted_on is the id given, NULL when none was
 * (or for --all), so the caller can confirm. */
static int
call_action (ZcCli *cli, int argc, char **argv, const char *method, const char *summary, const char **acted_on)
{
  gboolean all = FALSE;
  const GOptionEntry hangup_entries[] = {
    { "all", 'a', 0, G_OPTION_ARG_NONE, &all, N_("End every call"), NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new (_("[ID]"));
  g_autoptr (GVariant) reply = NULL;
  gboolean is_hangup = g_str_equal (method, "Hangup");
  const char *id;
  int status;

  *acted_on = NULL;
  g_option_context_set_summary (context, summary);
  if (is_hangup)
    g_option_context_add_main_entries (context, hangup_entries, GETTEXT_PACKAGE);
  if ((status = zc_cli_parse (context, &argc, &argv, 1)) >= 0)
    return status;
  status = ZC_EXIT_OK;
  if (all) {
    guint32 n = 0;

    if (argc > 1) {
      g_printerr (_("zcall: give a call id or --all, not both\n"));
      return ZC_EXIT_USAGE;
    }
    reply = zc_cli_call (cli, "HangupAll", NULL, "(u)", &status);
    if (reply == NULL)
      return status;
    g_variant_get (reply, "(u)", &n);
    printf (g_dngettext (GETTEXT_PACKAGE, "%u call ended.\n", "%u calls ended.\n", n), n);
    return ZC_EXIT_OK;
  }
  id = argc > 1 ? argv[1] : "";
  reply = zc_cli_call (cli, method, g_variant_new ("(s)", id), "()", &status);
  if (reply == NULL)
    return status;
  if (*id != '\0')
    *acted_on = id;
  return ZC_EXIT_OK;
}

int
zc_cmd_answer (ZcCli *cli, int argc, char **argv)
{
  const char *id;
  int status = call_action (cli, argc, argv, "Answer", _("Answer a ringing call (the oldest one when no ID is given)."), &id);

  if (status == ZC_EXIT_OK && id != NULL)
    printf (_("Call %s answered.\n"), id);
  return status;
}

int
zc_cmd_decline (ZcCli *cli, int argc, char **argv)
{
  const char *id;
  int status = call_action (cli, argc, argv, "Decline", _("Decline a ringing call (603 Decline)."), &id);

  if (status == ZC_EXIT_OK && id != NULL)
    printf (_("Call %s declined.\n"), id);
  return status;
}

int
zc_cmd_hangup (ZcCli *cli, int argc, char **argv)
{
  const char *id;
  int status = call_action (cli, argc, argv, "Hangup", _("End a call (the only one when no ID is given)."), &id);

  if (status == ZC_EXIT_OK && id != NULL)
    printf (_("Call %s ended.\n"), id);
  return status;
}

int
zc_cmd_transfer (ZcCli *cli, int argc, char **argv)
{
  g_autofree char *to = NULL;
  const GOptionEntry entries[] = {
    { "to", 0, 0, G_OPTION_ARG_STRING, &to,
      N_("Attended transfer: join the peer of call ID to the peer of our call ID2 (REFER with Replaces)"),
      N_("ID2") },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new (_("ID TARGET | ID --to ID2"));
  g_autoptr (GVariant) reply = NULL;
  int status;

  g_option_context_set_summary (context, _("Transfer a call (REFER).  Blind: the peer calls TARGET, a peer name, a "
                                           "sip: URI or user@host; our call ends once TARGET answers.  Attended "
                                           "(--to): the peer calls the peer of our call ID2 and takes its place; "
                                           "both our calls end once it is answered.  Progress shows in “zcall "
                                           "monitor”."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if ((status = zc_cli_parse (context, &argc, &argv, 2)) >= 0)
    return status;
  if (to != NULL ? argc != 2 : argc != 3) {
    g_printerr (_("zcall: transfer takes a call id and a target, or a call id and --to ID2.  Use “zcall transfer "
                  "--help”.\n"));
    return ZC_EXIT_USAGE;
  }
  if (to != NULL) {
    reply = zc_cli_call (cli, "TransferTo", g_variant_new ("(ss)", argv[1], to), "()", &status);
    if (reply == NULL)
      return status;
    printf (_("Transferring call %s to the peer of call %s.\n"), argv[1], to);
    return ZC_EXIT_OK;
  }
  reply = zc_cli_call (cli, "Transfer", g_variant_new ("(ss)", argv[1], argv[2]), "()", &status);
  if (reply == NULL)
    return status;
  printf (_("Transferring call %s to %s.\n"), argv[1], argv[2]);
  return ZC_EXIT_OK;
}

int
zc_cmd_accept_transfer (ZcCli *cli, int argc, char **argv)
{
  const char *id;
  int status = call_action (cli, argc, argv, "AcceptTransfer",
                            _("Carry out the transfer the peer of a call asks for ([calls] accept-transfer=ask): "
                              "call its target; our call ends once the target answers."),
                            &id);

  if (status == ZC_EXIT_OK)
    printf (_("Transfer accepted.\n"));
  return status;
}

int
zc_cmd_refuse_transfer (ZcCli *cli, int argc, char **argv)
{
  const char *id;
  int status = call_action (cli, argc, argv, "RefuseTransfer",
                            _("Refuse the transfer the peer of a call asks for (603); the call goes on."), &id);

  if (status == ZC_EXIT_OK)
    printf (_("Transfer refused.\n"));
  return status;
}

int
zc_cmd_hold (ZcCli *cli, int argc, char **argv)
{
  const char *id;
  int status = call_action (cli, argc, argv, "Hold", _("Put a call on hold."), &id);

  if (status == ZC_EXIT_OK && id != NULL)
    printf (_("Holding call %s.\n"), id);
  return status;
}

int
zc_cmd_resume (ZcCli *cli, int argc, char **argv)
{
  const char *id;
  int status = call_action (cli, argc, argv, "Resume", _("Take a call off hold."), &id);

  if (status == ZC_EXIT_OK && id != NULL)
    printf (_("Resuming call %s.\n"), id);
  return status;
}

int
zc_cmd_mute (ZcCli *cli, int argc, char **argv)
{
  const char *id;
  int status = call_action (cli, argc, argv, "Mute",
                            _("Mute the microphone on a call (the only active one when no ID is given): the other "
                              "side hears silence."),
                            &id);

  if (status == ZC_EXIT_OK && id != NULL)
    printf (_("Call %s muted.\n"), id);
  else if (status == ZC_EXIT_OK)
    printf (_("Muted.\n"));
  return status;
}

int
zc_cmd_unmute (ZcCli *cli, int argc, char **argv)
{
  const char *id;
  int status = call_action (cli, argc, argv, "Unmute", _("Unmute the microphone on a call."), &id);

  if (status == ZC_EXIT_OK && id != NULL)
    printf (_("Call %s unmuted.\n"), id);
  else if (status == ZC_EXIT_OK)
    printf (_("Unmuted.\n"));
  return status;
}

int
zc_cmd_conference (ZcCli *cli, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_("ID ID"));
  g_autoptr (GVariant) reply = NULL;
  int status;

  g_option_context_set_summary (context,
                                _("Bridge two established calls into a three-way conference: both are taken off "
                                  "hold, each party hears us and the other.  Hanging up one call leaves the other "
                                  "with us; hanging up both ends the conference."));
  if ((status = zc_cli_parse (context, &argc, &argv, 2)) >= 0)
    return status;
  if (argc != 3) {
    g_printerr (_("zcall: conference needs two call ids\n"));
    g_printerr (_("Use “zcall %s --help” for its options.\n"), argv[0]);
    return ZC_EXIT_USAGE;
  }
  status = ZC_EXIT_OK;
  reply = zc_cli_call (cli, "Conference", g_variant_new ("(ss)", argv[1], argv[2]), "()", &status);
  if (reply == NULL)
    return status;
  printf (_("Calls %s and %s are in conference.\n"), argv[1], argv[2]);
  return ZC_EXIT_OK;
}

/* The sixteen events of RFC 4733 3.2; the agent checks them too, but a
 * typo is a usage error and needs no trip to the agent. */
#define DTMF_DIGITS "0123456789*#ABCDabcd"
#define DTMF_MAX_DIGITS 64

int
zc_cmd_dtmf (ZcCli *cli, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_("[ID] DIGITS"));
  g_autoptr (GVariant) reply = NULL;
  const char *id, *digits;
  size_t n;
  int status;

  g_option_context_set_summary (context,
                                _("Send DIGITS (0-9, *, #, A-D) as telephone-events (RFC 4733) on an established "
                                  "call: call ID, or the only established call when no ID is given.  Quote * and #."));
  if ((status = zc_cli_parse (context, &argc, &argv, 2)) >= 0)
    return status;
  if (argc < 2) {
    g_printerr (_("zcall: dtmf needs DIGITS\n"));
    g_printerr (_("Use “zcall %s --help” for its options.\n"), argv[0]);
    return ZC_EXIT_USAGE;
  }
  id = argc > 2 ? argv[1] : "";
  digits = argv[argc - 1];
  n = strlen (digits);
  if (n == 0 || n > DTMF_MAX_DIGITS || strspn (digits, DTMF_DIGITS) != n) {
    g_printerr (_("zcall: “%s” is not a string of 1 to %d DTMF digits (0-9, *, #, A-D)\n"), digits, DTMF_MAX_DIGITS);
    g_printerr (_("Use “zcall %s --help” for its options.\n"), argv[0]);
    return ZC_EXIT_USAGE;
  }
  status = ZC_EXIT_OK;
  reply = zc_cli_call (cli, "SendDtmf", g_variant_new ("(ss)", id, digits), "()", &status);
  if (reply == NULL)
    return status;
  if (*id != '\0')
    printf (_("Sending %s on call %s.\n"), digits, id);
  return ZC_EXIT_OK;
}

static char *
format_duration (double seconds)
{
  guint s = (guint) seconds;

  if (seconds <= 0)
    return g_strdup ("-");
  return s >= 3600 ? g_strdup_printf ("%u:%02u:%02u", s / 3600, s / 60 % 60, s % 60)
                   : g_strdup_printf ("%u:%02u", s / 60, s % 60);
}

/* A number from the "media" dictionary, whichever numeric type the agent
 * chose; FALSE when it is missing or not finite. */
static gboolean
media_number (GVariant *media, const char *key, double *out)
{
  g_autoptr (GVariant) value = g_variant_lookup_value (media, key, NULL);

  if (value == NULL)
    return FALSE;
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_DOUBLE))
    *out = g_variant_get_double (value);
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT64))
    *out = (double) g_variant_get_uint64 (value);
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
    *out = g_variant_get_uint32 (value);
  else
    return FALSE;
  return isfinite (*out);
}

/* The MEDIA cell: an audio device error first, as it explains silence;
 * else loss and jitter, the two numbers that say why a call sounds bad. */
static char *
format_media (GVariant *call)
{
  g_autoptr (GVariant) media = g_variant_lookup_value (call, "media", G_VARIANT_TYPE_VARDICT);
  const char *audio_error = zc_dict_string (call, "audio_error");
  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  double value;

  if (*audio_error != '\0')
    return g_strdup_printf (_("audio: %s"), audio_error);
  if (media == NULL)
    return g_strdup ("");
  if (media_number (media, "packets_received", &value) && value == 0)
    return g_strdup (_("nothing received"));
  if (media_number (media, "loss_pct", &value))
    g_ptr_array_add (parts, g_strdup_printf (_("%.1f%% loss"), value));
  if (media_number (media, "jitter_ms", &value))
    g_ptr_array_add (parts, g_strdup_printf (_("%.0f ms jitter"), value));
  g_ptr_array_add (parts, NULL);
  return g_strjoinv (", ", (char **) parts->pdata);
}

int
zc_cmd_calls (ZcCli *cli, int argc, char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON for scripts"), NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GVariant) calls = NULL;
  int status;

  g_option_context_set_summary (context, _("List the calls going on and the last ended ones."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if ((status = zc_cli_parse (context, &argc, &argv, 0)) >= 0)
    return status;
  status = ZC_EXIT_OK;
  calls = zc_cli_call_value (cli, "ListCalls", NULL, "(aa{sv})", &status);
  if (calls == NULL)
    return status;
  if (json) {
    zc_cli_print_json (calls, FALSE);
    return ZC_EXIT_OK;
  }
  if (g_variant_n_children (calls) == 0) {
    printf (_("No calls.\n"));
    return ZC_EXIT_OK;
  }
  {
    /* MEDIA, last as its text is the longest, only when the agent reports
     * media for some call: the table stays narrow for calls without audio. */
    const char *headers[] = { _("ID"),    _("DIR"),      _("PEER"),   _("STATE"), _("DURATION"),
                              _("CODEC"), _("SECURITY"), _("REASON"), _("MEDIA") };
    gboolean show_media = FALSE;
    g_autoptr (ZcTable) table = NULL;

    for (gsize i = 0; i < g_variant_n_children (calls) && !show_media; i++) {
      g_autoptr (GVariant) call = g_variant_get_child_value (calls, i);
      g_autoptr (GVariant) media = g_variant_lookup_value (call, "media", G_VARIANT_TYPE_VARDICT);

      show_media = media != NULL || *zc_dict_string (call, "audio_error") != '\0';
    }
    table = zc_table_new (G_N_ELEMENTS (headers) - (show_media ? 0 : 1), headers);

    for (gsize i = 0; i < g_variant_n_children (calls); i++) {
      g_autoptr (GVariant) call = g_variant_get_child_value (calls, i);
      double duration = 0;
      g_autofree char *duration_text = NULL;
      g_autofree char *media_text = NULL;
      g_autofree char *reason = NULL;
      /* The name the peer's key proves, or what the network asserts
       * marked "(unverified)". */
      const char *name = *zc_dict_string (call, "peer_display") ? zc_dict_string (call, "peer_display")
                                                                 : zc_dict_string (call, "peer_name");
      guint32 sip_status = zc_dict_uint (call, "sip_status");
      gboolean live = !g_str_equal (zc_dict_string (call, "state"), "ended");
      g_autofree char *state = zc_dict_bool (call, "muted") && live
                                   ? g_strdup_printf (_("%s, muted"), zc_dict_string (call, "state"))
                                   : g_strdup (zc_dict_string (call, "state"));

      if (live && zc_dict_uint (call, "conference") != 0) {
        char *with = g_strdup_printf (_("%s, conference %u"), state, zc_dict_uint (call, "conference"));

        g_free (state);
        state = with;
      }

      g_variant_lookup (call, "duration_s", "d", &duration);
      duration_text = format_duration (duration);
      media_text = format_media (call);
      reason = sip_status >= 300 ? g_strdup_printf ("%s (%u)", zc_dict_string (call, "end_reason"), sip_status)
                                 : g_strdup (zc_dict_string (call, "end_reason"));
      {
        const char *row[] = { zc_dict_string (call, "id"),
                              g_str_equal (zc_dict_string (call, "direction"), "outgoing") ? _("out") : _("in"),
                              *name ? name : zc_dict_string (call, "peer_uri"),
                              state,
                              duration_text,
                              zc_dict_string (call, "codec"),
                              /* The agent's words, as in the JSON: "verified" (DTLS-SRTP
                               * with the named peer's pin the user confirmed), "encrypted"
                               * (DTLS-SRTP keyed, any other key), "PLAIN" (plain RTP), empty
                               * before the media starts. */
                              zc_dict_string (call, "security"),
                              reason,
                              media_text };
        zc_table_add_row (table, row);
      }
    }
    zc_table_print (table, cli->color);
  }
  return ZC_EXIT_OK;
}
