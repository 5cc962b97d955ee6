/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Inputs the fuzz harnesses (tests/fuzz) found to break the code, replayed
 * through the function that broke, with the behaviour it should have had.
 * The inputs are also in the harnesses' seed corpora, where the sanitizer
 * build of tests/fuzz/fuzz.test replays them under ASan. */
#include "config.h"

#include "sip/raw.h"

#include <string.h>

/* fuzz-inbound: a Request-Line with more than three parts was rebuilt from
 * a string already freed (heap-use-after-free in zc_sip_raw_inspect()). */
static void
test_request_line_extra_spaces (void)
{
  static const char *const lines[] = {
    "INVITCall-ID: E sip:fuzz@198.18.0.1 SIP/2.0",
    "OPTIONS sip:a@b extra SIP/2.0",
    "OPTIONS  sip:a@b SIP/2.0",
    "OPTIONS sip:a@b  SIP/2.0 ",
    "X a b c d e f g h i j k l m n o p SIP/2.0",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (lines); i++) {
    g_autofree char *msg = g_strdup_printf ("%s\r\nVia: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK1\r\n"
                                            "Call-ID: r%zu\r\nContent-Length: 0\r\n\r\n", lines[i], i);
    ZcSipRawInfo info;

    zc_sip_raw_inspect (msg, strlen (msg), &info);
    g_assert_true (info.is_request);
    g_assert_cmpint (info.verdict, ==, ZC_SIP_RAW_BAD_REQUEST);
    g_assert_cmpstr (info.reason, ==, "Malformed Request-Line");
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/fuzz-regressions/sip-raw/request-line-extra-spaces", test_request_line_extra_spaces);
  return g_test_run ();
}
