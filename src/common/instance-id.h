/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

/* The agent's persistent identity: a UUID kept in
 * $XDG_STATE_HOME/zcall/instance-id, created on first use.  Peers key their
 * tables on it, so it must survive restarts and renames.  When the file
 * cannot be written the agent still runs, with a UUID for this run only. */
char *zc_instance_id_load_or_create (GError **error);
