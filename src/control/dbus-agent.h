/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The D-Bus face of the core: org.zcall.Agent1 at /org/zcall/Agent1, as
 * described in data/org.zcall.Agent1.xml (compiled in as a resource). */
#pragma once

#include "core/agent.h"

#include <gio/gio.h>

typedef struct _ZcDbusAgent ZcDbusAgent;

ZcDbusAgent *zc_dbus_agent_new (ZcAgent *agent, GDBusConnection *connection, GError **error);
void zc_dbus_agent_free (ZcDbusAgent *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcDbusAgent, zc_dbus_agent_free)
