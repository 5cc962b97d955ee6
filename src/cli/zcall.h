/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Shared pieces of the zcall command line. */
#pragma once

#include <gio/gio.h>

/* Exit status, documented in zcall(1). */
enum {
  ZC_EXIT_OK = 0,
  ZC_EXIT_FAILURE = 1,
  ZC_EXIT_USAGE = 2,
  ZC_EXIT_UNREACHABLE = 3,
};

typedef struct {
  GDBusConnection *bus;       /* NULL until zc_cli_connect() */
  gboolean color;             /* stdout is a terminal and NO_COLOR unset */
} ZcCli;

typedef int (*ZcCommandFunc) (ZcCli *cli, int argc, char **argv);

typedef struct {
  const char *name;
  const char *args;           /* synopsis after the name */
  const char *summary;
  ZcCommandFunc run;
} ZcCommand;

/* Connects to the session bus; prints why and returns FALSE if it cannot. */
gboolean zc_cli_connect (ZcCli *cli);

/* Calls a method of org.zcall.Agent1.  On failure prints the reason and
 * sets *exit_status to ZC_EXIT_UNREACHABLE when the agent is not there,
 * ZC_EXIT_FAILURE otherwise. */
GVariant *zc_cli_call (ZcCli *cli, const char *method, GVariant *parameters, const char *reply_type,
                       int *exit_status);

/* zc_cli_call() for a method with one out argument: returns that value. */
GVariant *zc_cli_call_value (ZcCli *cli, const char *method, GVariant *parameters, const char *reply_type,
                             int *exit_status);

/* Parses a command's options; prints usage errors; handles --help.
 * Returns -1 to go on, else the exit status to return. */
int zc_cli_parse (GOptionContext *context, int *argc, char ***argv, int max_args);

/* Prints @value (a GVariant) as JSON on stdout, one line when @compact. */
void zc_cli_print_json (GVariant *value, gboolean compact);

/* Looks a key up in an a{sv}; never NULL for the string form. */
const char *zc_dict_string (GVariant *dict, const char *key);
guint32 zc_dict_uint (GVariant *dict, const char *key);
gboolean zc_dict_bool (GVariant *dict, const char *key);
/* The first element of an "as" entry, or "". */
const char *zc_dict_first (GVariant *dict, const char *key);

/* The TRUST column: the verdict (CHANGED in capitals), ",CONFLICT" for an
 * entry that copies another's identity.  Returns @buf. */
const char *zc_cli_trust_label (GVariant *peer, char *buf, gsize size);

int zc_cmd_list (ZcCli *cli, int argc, char **argv);
int zc_cmd_status (ZcCli *cli, int argc, char **argv);
int zc_cmd_monitor (ZcCli *cli, int argc, char **argv);
int zc_cmd_dnd (ZcCli *cli, int argc, char **argv);
int zc_cmd_forward (ZcCli *cli, int argc, char **argv);
/* How a GetStatus "forward" dictionary reads, for people (a new string). */
char *zc_cli_forward_describe (GVariant *forward);
int zc_cmd_call (ZcCli *cli, int argc, char **argv);
int zc_cmd_answer (ZcCli *cli, int argc, char **argv);
int zc_cmd_decline (ZcCli *cli, int argc, char **argv);
int zc_cmd_hangup (ZcCli *cli, int argc, char **argv);
int zc_cmd_transfer (ZcCli *cli, int argc, char **argv);
int zc_cmd_accept_transfer (ZcCli *cli, int argc, char **argv);
int zc_cmd_refuse_transfer (ZcCli *cli, int argc, char **argv);
int zc_cmd_hold (ZcCli *cli, int argc, char **argv);
int zc_cmd_resume (ZcCli *cli, int argc, char **argv);
int zc_cmd_mute (ZcCli *cli, int argc, char **argv);
int zc_cmd_unmute (ZcCli *cli, int argc, char **argv);
int zc_cmd_conference (ZcCli *cli, int argc, char **argv);
int zc_cmd_history (ZcCli *cli, int argc, char **argv);
int zc_cmd_dtmf (ZcCli *cli, int argc, char **argv);
int zc_cmd_calls (ZcCli *cli, int argc, char **argv);
int zc_cmd_identity (ZcCli *cli, int argc, char **argv);
int zc_cmd_trust (ZcCli *cli, int argc, char **argv);
