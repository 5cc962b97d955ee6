/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

/* Installs a GLib log writer for a daemon: one line per message on stderr,
 * "<N>" syslog priority prefixes when stderr is the journal (systemd sets
 * JOURNAL_STREAM), and debug messages only when @verbose or G_MESSAGES_DEBUG
 * asks for them. */
void zc_log_init (const char *program, gboolean verbose);
