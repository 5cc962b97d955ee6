/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "control"

#include "config.h"
#include "control/dbus-errors.h"

#include "common/bus.h"
#include "core/agent.h"
#include "core/calls.h"

static const GDBusErrorEntry error_entries[] = {
  { ZC_DBUS_ERROR_CODE_NO_SUCH_PEER, ZC_DBUS_ERROR_NO_SUCH_PEER },
  { ZC_DBUS_ERROR_CODE_NO_SUCH_CALL, ZC_DBUS_ERROR_NO_SUCH_CALL },
  { ZC_DBUS_ERROR_CODE_AMBIGUOUS, ZC_DBUS_ERROR_AMBIGUOUS },
  { ZC_DBUS_ERROR_CODE_INVALID_ARGUMENT, ZC_DBUS_ERROR_INVALID_ARGUMENT },
  { ZC_DBUS_ERROR_CODE_NOT_POSSIBLE_NOW, ZC_DBUS_ERROR_NOT_POSSIBLE_NOW },
  { ZC_DBUS_ERROR_CODE_FAILED, ZC_DBUS_ERROR_FAILED },
  { ZC_DBUS_ERROR_CODE_UNTRUSTED, ZC_DBUS_ERROR_UNTRUSTED },
};

GQuark
zc_dbus_error_quark (void)
{
  static gsize quark = 0;

  g_dbus_error_register_error_domain ("zc-dbus-error-quark", &quark, error_entries, G_N_ELEMENTS (error_entries));
  return (GQuark) quark;
}

static ZcDbusErrorCode
code_for (const GError *error, ZcDbusErrorAbout about)
{
  if (error->domain == ZC_AGENT_ERROR && error->code == ZC_AGENT_ERROR_INVALID_ARGUMENT)
    return ZC_DBUS_ERROR_CODE_INVALID_ARGUMENT;
  if (error->domain == ZC_AGENT_ERROR && error->code == ZC_AGENT_ERROR_UNTRUSTED)
    return ZC_DBUS_ERROR_CODE_UNTRUSTED;
  if (error->domain != ZC_CALLS_ERROR)
    return ZC_DBUS_ERROR_CODE_FAILED;
  switch ((ZcCallsError) error->code) {
  case ZC_CALLS_ERROR_NOT_FOUND:
    return about == ZC_DBUS_ERROR_ABOUT_TARGET ? ZC_DBUS_ERROR_CODE_NO_SUCH_PEER : ZC_DBUS_ERROR_CODE_NO_SUCH_CALL;
  case ZC_CALLS_ERROR_AMBIGUOUS:
    return ZC_DBUS_ERROR_CODE_AMBIGUOUS;
  case ZC_CALLS_ERROR_INVALID:
    return ZC_DBUS_ERROR_CODE_INVALID_ARGUMENT;
  case ZC_CALLS_ERROR_STATE:
    return ZC_DBUS_ERROR_CODE_NOT_POSSIBLE_NOW;
  case ZC_CALLS_ERROR_UNTRUSTED:
    return ZC_DBUS_ERROR_CODE_UNTRUSTED;
  case ZC_CALLS_ERROR_FAILED:
  default:
    return ZC_DBUS_ERROR_CODE_FAILED;
  }
}

GError *
zc_dbus_error_new_from_core (const GError *error, ZcDbusErrorAbout about)
{
  return g_error_new_literal (ZC_DBUS_ERROR, code_for (error, about), error->message);
}

void
zc_dbus_return_error (GDBusMethodInvocation *invocation, const GError *error, ZcDbusErrorAbout about)
{
  g_dbus_method_invocation_take_error (invocation, zc_dbus_error_new_from_core (error, about));
}
