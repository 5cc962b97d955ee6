/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Digest answers against the published examples. */
#include "config.h"

#include "sip/digest.h"

#include <string.h>

/* RFC 2617 3.5 (HTTP, but the computation is the same). */
static void
test_rfc2617 (void)
{
  ZcDigestChallenge c = {
    .realm = "testrealm@host.com",
    .nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093",
    .opaque = "5ccc069c403ebaf9f0171e9517f40e41",
    .qop = "auth,auth-int",
  };
  g_autofree char *v = zc_digest_authorization (&c, "Mufasa", "Circle Of Life", "GET", "/dir/index.html",
                                                "0a4f113b", 1);

  g_assert_nonnull (v);
  g_assert_nonnull (strstr (v, "response=\"6629fae49393a05397450978507c4ef1\""));
  g_assert_nonnull (strstr (v, "qop=auth, nc=00000001, cnonce=\"0a4f113b\""));
  g_assert_nonnull (strstr (v, "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""));
}

/* RFC 7616 3.9.1, SHA-256. */
static void
test_rfc7616_sha256 (void)
{
  ZcDigestChallenge c = {
    .realm = "http-auth@example.org",
    .nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
    .opaque = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS",
    .algorithm = "SHA-256",
    .qop = "auth",
  };
  g_autofree char *v = zc_digest_authorization (&c, "Mufasa", "Circle of Life", "GET", "/dir/index.html",
                                                "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", 1);

  g_assert_nonnull (v);
  g_assert_nonnull (strstr (v, "response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\""));
  g_assert_nonnull (strstr (v, "algorithm=SHA-256"));
}

static void
test_unsupported (void)
{
  ZcDigestChallenge c = { .realm = "r", .nonce = "n", .algorithm = "SHA-512-256" };
  ZcDigestChallenge int_only = { .realm = "r", .nonce = "n", .qop = "auth-int" };

  g_assert_null (zc_digest_authorization (&c, "u", "p", "REGISTER", "sip:x", NULL, 1));
  g_assert_null (zc_digest_authorization (&int_only, "u", "p", "REGISTER", "sip:x", NULL, 1));
  g_assert_cmpint (zc_digest_algorithm_strength ("SHA-256"), >, zc_digest_algorithm_strength ("MD5"));
  g_assert_cmpint (zc_digest_algorithm_strength ("SHA-512-256"), ==, 0);
}

/* Quotes and backslashes in a challenge's values cannot break out of the
 * quoted strings of our answer (RFC 3261 25.1 quoted-pair). */
static void
test_escaped (void)
{
  ZcDigestChallenge c = { .realm = "r\", evil=\"1", .nonce = "n\\", .opaque = "o\"\r\nX: y" };
  g_autofree char *v = zc_digest_authorization (&c, "u", "p", "REGISTER", "sip:x", "c", 1);

  g_assert_nonnull (v);
  g_assert_nonnull (strstr (v, "realm=\"r\\\", evil=\\\"1\""));
  g_assert_nonnull (strstr (v, "nonce=\"n\\\\\""));
  g_assert_nonnull (strstr (v, "opaque=\"o\\\"X: y\""));
  g_assert_null (strchr (v, '\n'));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/digest/rfc2617", test_rfc2617);
  g_test_add_func ("/digest/rfc7616-sha256", test_rfc7616_sha256);
  g_test_add_func ("/digest/unsupported", test_unsupported);
  g_test_add_func ("/digest/escaped", test_escaped);
  return g_test_run ();
}
