/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Desktop notifications of calls (org.freedesktop.Notifications on the
 * session bus): an incoming call raises one with Answer and Decline
 * actions, a missed call one of its own; the incoming one closes when the
 * call is answered (here or by `zcall answer`) or ends; a peer's
 * transfer request waiting for the user one with Accept and Decline
 * (core/transfer-ask.c), closed once it is answered.  Fed the core's
 * call events by the D-Bus face; without a notification server nothing
 * changes.  [ui] notifications=false turns it off. */
#pragma once

#include "core/agent.h"

#include <gio/gio.h>

typedef struct _ZcNotify ZcNotify;

ZcNotify *zc_notify_new (ZcAgent *agent, GDBusConnection *connection);
void zc_notify_free (ZcNotify *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcNotify, zc_notify_free)

/* One of the core's call events (incoming, answered, ended, ...). */
void zc_notify_call_changed (ZcNotify *self, const char *event, GVariant *call);
