/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The core's errors reach D-Bus clients under the org.zcall.Error.* names
 * zcalld(8) documents, with their messages unchanged. */
#include "config.h"

#include "common/bus.h"
#include "control/dbus-errors.h"
#include "core/agent.h"
#include "core/calls.h"

static void
assert_name (GQuark domain, int code, ZcDbusErrorAbout about, const char *name)
{
  g_autoptr (GError) core = g_error_new_literal (domain, code, "the reason");
  g_autoptr (GError) dbus = zc_dbus_error_new_from_core (core, about);
  g_autofree char *encoded = g_dbus_error_encode_gerror (dbus);
  g_autofree char *remote = NULL;

  g_assert_cmpstr (encoded, ==, name);
  g_assert_cmpstr (dbus->message, ==, "the reason");

  /* What a client sees: the registered name, then the same domain back. */
  {
    g_autoptr (GError) back = g_dbus_error_new_for_dbus_error (name, "the reason");
    g_assert_true (g_dbus_error_is_remote_error (back));
    remote = g_dbus_error_get_remote_error (back);
    g_assert_cmpstr (remote, ==, name);
    g_assert_error (back, ZC_DBUS_ERROR, (int) dbus->code);
  }
}

static void
test_calls_errors (void)
{
  assert_name (ZC_CALLS_ERROR, ZC_CALLS_ERROR_NOT_FOUND, ZC_DBUS_ERROR_ABOUT_TARGET, ZC_DBUS_ERROR_NO_SUCH_PEER);
  assert_name (ZC_CALLS_ERROR, ZC_CALLS_ERROR_NOT_FOUND, ZC_DBUS_ERROR_ABOUT_CALL, ZC_DBUS_ERROR_NO_SUCH_CALL);
  assert_name (ZC_CALLS_ERROR, ZC_CALLS_ERROR_AMBIGUOUS, ZC_DBUS_ERROR_ABOUT_TARGET, ZC_DBUS_ERROR_AMBIGUOUS);
  assert_name (ZC_CALLS_ERROR, ZC_CALLS_ERROR_AMBIGUOUS, ZC_DBUS_ERROR_ABOUT_CALL, ZC_DBUS_ERROR_AMBIGUOUS);
  assert_name (ZC_CALLS_ERROR, ZC_CALLS_ERROR_INVALID, ZC_DBUS_ERROR_ABOUT_TARGET, ZC_DBUS_ERROR_INVALID_ARGUMENT);
  assert_name (ZC_CALLS_ERROR, ZC_CALLS_ERROR_STATE, ZC_DBUS_ERROR_ABOUT_CALL, ZC_DBUS_ERROR_NOT_POSSIBLE_NOW);
  assert_name (ZC_CALLS_ERROR, ZC_CALLS_ERROR_FAILED, ZC_DBUS_ERROR_ABOUT_TARGET, ZC_DBUS_ERROR_FAILED);
}

static void
test_other_errors (void)
{
  assert_name (ZC_AGENT_ERROR, ZC_AGENT_ERROR_INVALID_ARGUMENT, ZC_DBUS_ERROR_ABOUT_CALL,
               ZC_DBUS_ERROR_INVALID_ARGUMENT);
  /* A domain the mapping does not know is a plain failure, never a crash. */
  assert_name (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, ZC_DBUS_ERROR_ABOUT_TARGET, ZC_DBUS_ERROR_FAILED);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dbus-errors/calls", test_calls_errors);
  g_test_add_func ("/dbus-errors/other", test_other_errors);
  return g_test_run ();
}
