/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Inputs the fuzz harnesses (tests/fuzz) found to break the code, replayed
 * through the function that broke, with the behaviour it should have had.
 * The inputs are also in the harnesses' seed corpora, where the sanitizer
 * build of tests/fuzz/fuzz.test replays them under ASan. */
#include "config.h"

#include "media/rtp-session.h"
#include "sip/raw.h"

#include <errno.h>
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

#include "../fuzz/ice-stand-in.h"

/* fuzz-rtp: an RTCP SR whose length field (256 words) promises more than
 * the 31 bytes that came.  oRTP hands out its report block by that field,
 * and drain_events() read it past the end of the packet (heap-buffer-
 * overflow under ASan; here, that no report is taken from it). */
static void
test_rtcp_forged_length (void)
{
  static const guint8 rtp[] = { 0x80, 0x6f, 0x00, 0x01, 0x00, 0x01, 0x00, 0x61, 0xb0, 0x00, 0x5a, 0xfb, 0xba, 0xff, 0xfe };
  static const guint8 sr[] = { 0x80, 0xc8, 0x01, 0x00, 0x00, 0x65, 0xab, 0xc9, 0xc9, 0xc9, 0xc9, 0xc9, 0xc9, 0xc9, 0xc9,
                               0x00, 0x06, 0x2e, 0xcd, 0xef, 0x01, 0xe5, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x04,
                               0x00 };
  ZcIceAgent agent = { .n_components = 2 };
  ZcRtpSessionConfig config;
  g_autoptr (ZcRtpSession) session = NULL;
  ZcRtpStats stats;
  guint8 buf[1500];

  zc_rtp_session_config_init (&config, 111, "opus", 48000);
  config.channels = 2;
  session = zc_rtp_session_new (&agent, &config, NULL);
  g_assert_nonnull (session);
  agent.recv (&agent, ZC_ICE_COMPONENT_RTP, rtp, sizeof rtp, agent.recv_data);
  agent.recv (&agent, ZC_ICE_COMPONENT_RTCP, sr, sizeof sr, agent.recv_data);
  for (guint32 ts = 0; ts < 10 * 960; ts += 960)
    while (zc_rtp_session_recv (session, ts, buf, sizeof buf, NULL) != -EAGAIN)
      ;
  zc_rtp_session_get_stats (session, &stats);
  g_assert_cmpfloat (stats.remote_loss_pct, ==, -1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/fuzz-regressions/sip-raw/request-line-extra-spaces", test_request_line_extra_spaces);
  g_test_add_func ("/fuzz-regressions/rtp/rtcp-forged-length", test_rtcp_forged_length);
  return g_test_run ();
}
