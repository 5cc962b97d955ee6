/* SPDX-License-Identifier: GPL-3.0-or-later */
/* resolve-test NAME: runs zc_sip_resolve_async() on NAME and prints the
 * targets one a line ("udp 198.19.53.11 5060"), or "error: KIND: MESSAGE"
 * and exits 1.  resolve.test runs it in a namespace whose resolv.conf
 * points at a dnsmasq with the records under test. */
#include "config.h"

#include "sip/resolve.h"

#include <stdio.h>

typedef struct {
  GMainLoop *loop;
  int status;
} Run;

static const char *
error_kind (const GError *error)
{
  if (error->domain == ZC_SIP_RESOLVE_ERROR) {
    switch ((ZcSipResolveError) error->code) {
    case ZC_SIP_RESOLVE_ERROR_INVALID:
      return "invalid";
    case ZC_SIP_RESOLVE_ERROR_NOT_FOUND:
      return "not-found";
    case ZC_SIP_RESOLVE_ERROR_FAILED:
      return "failed";
    }
  }
  return g_quark_to_string (error->domain);
}

static void
resolved_cb (GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer user_data)
{
  Run *run = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) targets = zc_sip_resolve_finish (result, &error);

  if (targets == NULL) {
    printf ("error: %s: %s\n", error_kind (error), error->message);
    run->status = 1;
  } else {
    for (guint i = 0; i < targets->len; i++) {
      const ZcSipTarget *t = targets->pdata[i];
      printf ("%s %s %u\n", zc_sip_proto_to_string (t->proto), t->address, (guint) t->port);
    }
    run->status = 0;
  }
  g_main_loop_quit (run->loop);
}

int
main (int argc, char **argv)
{
  Run run = { g_main_loop_new (NULL, FALSE), 1 };

  if (argc != 2) {
    fprintf (stderr, "usage: %s SIP-URI-OR-HOST\n", argv[0]);
    return 2;
  }
  /* stdout is the answer; G_MESSAGES_DEBUG=resolve traces go to stderr. */
  g_log_writer_default_set_use_stderr (TRUE);
  zc_sip_resolve_async (argv[1], NULL, resolved_cb, &run);
  g_main_loop_run (run.loop);
  g_main_loop_unref (run.loop);
  return run.status;
}
