/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The RFC 3263 resolver's paths that need no DNS server: numeric hosts,
 * an explicit port (A/AAAA only: "localhost" comes from /etc/hosts),
 * refused input and cancellation.  NAPTR and SRV are tested against a real
 * DNS server in tests/net/resolve.test. */
#include "config.h"

#include "sip/resolve.h"

#include <string.h>

typedef struct {
  GMainLoop *loop;
  GPtrArray *targets;
  GError *error;
} Result;

static void
resolved_cb (GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer user_data)
{
  Result *r = user_data;

  r->targets = zc_sip_resolve_finish (result, &r->error);
  g_main_loop_quit (r->loop);
}

/* Runs the resolver on @name; exactly one of targets and error is set. */
static Result
resolve (const char *name, GCancellable *cancellable)
{
  Result r = { g_main_loop_new (NULL, FALSE), NULL, NULL };

  zc_sip_resolve_async (name, cancellable, resolved_cb, &r);
  g_main_loop_run (r.loop);
  g_main_loop_unref (r.loop);
  g_assert_true ((r.targets == NULL) != (r.error == NULL));
  return r;
}

static void
result_clear (Result *r)
{
  g_clear_pointer (&r->targets, g_ptr_array_unref);
  g_clear_error (&r->error);
}

static void
test_numeric (void)
{
  static const struct {
    const char *input;
    ZcSipProto proto;
    const char *address;
    guint16 port;
  } cases[] = {
    { "198.51.100.7", ZC_SIP_UDP, "198.51.100.7", 5060 },
    { "198.51.100.7:5070", ZC_SIP_UDP, "198.51.100.7", 5070 },
    { "sip:198.51.100.7", ZC_SIP_UDP, "198.51.100.7", 5060 },
    { "sip:bob@198.51.100.7:5062;transport=tcp", ZC_SIP_TCP, "198.51.100.7", 5062 },
    { "SIP:198.51.100.7;transport=TCP;lr", ZC_SIP_TCP, "198.51.100.7", 5060 },
    /* TLS: sips: or transport=tls, port 5061 unless given (RFC 3263 4.2). */
    { "sips:198.51.100.7", ZC_SIP_TLS, "198.51.100.7", 5061 },
    { "sips:bob@198.51.100.7:5071;transport=tcp", ZC_SIP_TLS, "198.51.100.7", 5071 },
    { "sip:198.51.100.7;transport=tls", ZC_SIP_TLS, "198.51.100.7", 5061 },
    { "sip:[2001:db8::1]:5070", ZC_SIP_UDP, "2001:db8::1", 5070 },
    { "[2001:DB8::1]", ZC_SIP_UDP, "2001:db8::1", 5060 },
    { "2001:db8::2", ZC_SIP_UDP, "2001:db8::2", 5060 },
    { "sip:alice@[2001:db8::3];transport=tcp", ZC_SIP_TCP, "2001:db8::3", 5060 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    Result r = resolve (cases[i].input, NULL);
    const ZcSipTarget *t;

    if (r.error != NULL)
      g_error ("case %zu (%s): %s", i, cases[i].input, r.error->message);
    g_assert_cmpuint (r.targets->len, ==, 1);
    t = r.targets->pdata[0];
    g_assert_cmpint (t->proto, ==, cases[i].proto);
    g_assert_cmpstr (t->address, ==, cases[i].address);
    g_assert_cmpuint (t->port, ==, cases[i].port);
    result_clear (&r);
  }
}

/* An explicit port means A/AAAA only, no NAPTR or SRV (RFC 3263 4.2):
 * "localhost" resolves from /etc/hosts, with no DNS server at all. */
static void
test_explicit_port (void)
{
  static const struct {
    const char *input;
    ZcSipProto proto;
    guint16 port;
  } cases[] = {
    { "localhost:5070", ZC_SIP_UDP, 5070 },
    { "sip:localhost:5062;transport=tcp", ZC_SIP_TCP, 5062 },
    { "sip:carol@localhost:5063;transport=udp", ZC_SIP_UDP, 5063 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    Result r = resolve (cases[i].input, NULL);
    gboolean loopback = FALSE;

    if (r.error != NULL)
      g_error ("case %zu (%s): %s", i, cases[i].input, r.error->message);
    g_assert_cmpuint (r.targets->len, >=, 1);
    g_assert_cmpuint (r.targets->len, <=, ZC_SIP_RESOLVE_MAX_TARGETS);
    for (guint j = 0; j < r.targets->len; j++) {
      const ZcSipTarget *t = r.targets->pdata[j];
      g_autoptr (GInetAddress) address = g_inet_address_new_from_string (t->address);

      g_assert_nonnull (address);
      g_assert_cmpint (t->proto, ==, cases[i].proto);
      g_assert_cmpuint (t->port, ==, cases[i].port);
      loopback |= g_inet_address_get_is_loopback (address);
      /* None twice. */
      for (guint k = 0; k < j; k++)
        g_assert_cmpstr (((ZcSipTarget *) r.targets->pdata[k])->address, !=, t->address);
    }
    g_assert_true (loopback);
    result_clear (&r);
  }
}

static void
test_invalid (void)
{
  static const struct {
    const char *input;
    const char *expect; /* substring of the message */
  } cases[] = {
    { "", "no SIP server name" },
    { "sip:", "is not a SIP URI or host name" },
    { "exa mple.test", "contains spaces" },
    { "sips:example.test;transport=udp", "a sips: URI cannot use transport=udp" },
    { "sips:", "is not a SIP URI or host name" },
    { "sip:example.test;transport=sctp", "transport “sctp” is not supported" },
    { "example.test:70000", "“70000” is not a port number" },
    { "sip:example.test:0", "“0” is not a port number" },
    { "sip:exa/mple.test", "is not a SIP URI or host name" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    Result r = resolve (cases[i].input, NULL);

    g_assert_error (r.error, ZC_SIP_RESOLVE_ERROR, ZC_SIP_RESOLVE_ERROR_INVALID);
    if (strstr (r.error->message, cases[i].expect) == NULL)
      g_error ("case %zu (%s): got “%s”, expected “%s” in it", i, cases[i].input, r.error->message,
               cases[i].expect);
    result_clear (&r);
  }
  {
    Result r = resolve (NULL, NULL);

    g_assert_error (r.error, ZC_SIP_RESOLVE_ERROR, ZC_SIP_RESOLVE_ERROR_INVALID);
    result_clear (&r);
  }
}

static void
test_cancelled (void)
{
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  Result numeric, name;

  g_cancellable_cancel (cancellable);
  numeric = resolve ("198.51.100.7", cancellable);
  g_assert_error (numeric.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  name = resolve ("sip:localhost:5060", cancellable);
  g_assert_error (name.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  result_clear (&numeric);
  result_clear (&name);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/resolve/numeric", test_numeric);
  g_test_add_func ("/resolve/explicit-port", test_explicit_port);
  g_test_add_func ("/resolve/invalid", test_invalid);
  g_test_add_func ("/resolve/cancelled", test_cancelled);
  return g_test_run ();
}
