/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The errors of org.zcall.Agent1 as a GError domain registered with GDBus,
 * so a client sees org.zcall.Error.* names it can act on instead of the
 * generic org.freedesktop.DBus.Error.{InvalidArgs,Failed}. */
#pragma once

#include <gio/gio.h>

#define ZC_DBUS_ERROR (zc_dbus_error_quark ())
GQuark zc_dbus_error_quark (void);

typedef enum {
  ZC_DBUS_ERROR_CODE_NO_SUCH_PEER,     /* the target names no discovered peer */
  ZC_DBUS_ERROR_CODE_NO_SUCH_CALL,     /* no call with that id, or none to act on */
  ZC_DBUS_ERROR_CODE_AMBIGUOUS,        /* several peers or calls match */
  ZC_DBUS_ERROR_CODE_INVALID_ARGUMENT, /* a malformed target, digits or presence */
  ZC_DBUS_ERROR_CODE_NOT_POSSIBLE_NOW, /* the call's state does not allow it */
  ZC_DBUS_ERROR_CODE_FAILED,           /* anything else; the message says what */
  ZC_DBUS_ERROR_CODE_UNTRUSTED,        /* the peer's key changed, or it copies another's identity */
} ZcDbusErrorCode;

/* Whether a "not found" from the core is about a peer (Call's target) or a
 * call (the id the other methods take); the core uses one code for both. */
typedef enum {
  ZC_DBUS_ERROR_ABOUT_CALL,
  ZC_DBUS_ERROR_ABOUT_TARGET,
} ZcDbusErrorAbout;

/* @error, a GError of the core (ZC_CALLS_ERROR, ZC_AGENT_ERROR or any other
 * domain), as a new GError of ZC_DBUS_ERROR with the same message. */
GError *zc_dbus_error_new_from_core (const GError *error, ZcDbusErrorAbout about);

/* Returns @error, a GError of the core (ZC_CALLS_ERROR, ZC_AGENT_ERROR or
 * any other domain), to the caller under its org.zcall.Error.* name; the
 * message is kept as it is. */
void zc_dbus_return_error (GDBusMethodInvocation *invocation, const GError *error, ZcDbusErrorAbout about);
