/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer harness for incoming media: datagrams into an RTP session
 * (oRTP's RTP and RTCP parsing, our RTCP arrival matching and jitter
 * estimate), the payloads into the playout buffer and telephone-events
 * into the RFC 4733 receiver, on simulated 20 ms ticks, as call-media.c
 * does.
 *
 * The ICE agent is a stand-in defined here (rtp-session.c only needs it
 * to hand datagrams over and to take ours), so this harness links
 * rtp-session.c, jitter.c and dtmf.c and none of libnice.
 *
 * Input: first byte = setup (bit 0: RTCP on its own component, bit 1:
 * Opus at 48 kHz instead of PCMU, bits 2-3: jitter depth), then records of
 * [flags][length high][length low][datagram]; flags bit 0: on the RTCP
 * component, bit 1: a tick follows, bit 2: we send a frame on that tick
 * (so oRTP also sends reports and reads the peer's). */
#include "config.h"

#include "media/dtmf.h"
#include "media/jitter.h"
#include "media/rtp-session.h"
#include "fuzz-common.h"

#include <errno.h>
#include <ortp/ortp.h>
#include <string.h>

#include "ice-stand-in.h"

#define TE_PT 101
#define TICK_MS 20
/* Bounds the work per input: a tick drains at most the receive queue. */
#define MAX_TICKS 128

static ZcJitterPacket *arrived;

int
LLVMFuzzerInitialize (int *argc G_GNUC_UNUSED, char ***argv G_GNUC_UNUSED)
{
  ZcIceAgent agent = { .n_components = 1 };
  ZcRtpSessionConfig config;

  fuzz_quiet_log ();
  arrived = g_new0 (ZcJitterPacket, 1);
  /* The first session initialises oRTP, which leaves errors on: one line
   * per stale packet would be most of the time spent per input. */
  zc_rtp_session_config_init (&config, 0, "PCMU", 8000);
  zc_rtp_session_free (zc_rtp_session_new (&agent, &config, NULL));
  bctbx_set_log_level_mask ("ortp", BCTBX_LOG_FATAL);
  bctbx_set_log_level_mask (NULL, BCTBX_LOG_FATAL);
  return 0;
}

static void
tick (ZcRtpSession *session, ZcJitter *jitter, ZcDtmfReceiver *dtmf, guint8 pt, guint32 user_ts)
{
  const ZcJitterPacket *p;
  ZcRtpPacketInfo info;
  int len;

  while ((len = zc_rtp_session_recv (session, user_ts, arrived->data, sizeof arrived->data, &info)) != -EAGAIN) {
    if (len < 0)
      continue;
    g_assert ((gsize) len <= sizeof arrived->data);
    arrived->audio = info.payload_type == pt;
    if (!arrived->audio && info.payload_type != TE_PT)
      continue;
    arrived->seq = info.sequence;
    arrived->ts = info.timestamp;
    arrived->ssrc = info.ssrc;
    arrived->pt = info.payload_type;
    arrived->marker = info.marker;
    arrived->len = (gsize) len;
    zc_jitter_put (jitter, arrived);
  }
  zc_jitter_tick (jitter);
  while ((p = zc_jitter_pop (jitter)) != NULL) {
    ZcDtmfDigit digit;

    g_assert (p->len <= ZC_JITTER_MAX_PAYLOAD);
    if (!p->audio && zc_dtmf_receiver_push (dtmf, p->ts, p->marker, p->data, p->len, &digit) == 1)
      g_assert (zc_dtmf_event_from_char (digit.digit) == digit.event);
  }
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  static const guint8 frame[160];
  ZcIceAgent agent = { 0 };
  ZcRtpSessionConfig config;
  g_autoptr (ZcRtpSession) session = NULL;
  g_autoptr (ZcJitter) jitter = NULL;
  g_autoptr (ZcDtmfReceiver) dtmf = NULL;
  ZcRtpStats stats;
  gboolean opus;
  guint rate, ticks = 0, frame_ts;
  guint32 user_ts = 0;
  gsize pos = 1;

  if (size < 1)
    return 0;
  agent.n_components = (data[0] & 1) ? 2 : 1;
  opus = (data[0] & 2) != 0;
  rate = opus ? 48000 : 8000;
  frame_ts = rate / 1000 * TICK_MS;
  if (opus)
    zc_rtp_session_config_init (&config, 111, "opus", 48000);
  else
    zc_rtp_session_config_init (&config, 0, "PCMU", 8000);
  config.channels = opus ? 2 : 1;
  config.telephone_event_pt = TE_PT;
  config.cname = "fuzz";
  config.rtcp_interval_ms = 1;
  session = zc_rtp_session_new (&agent, &config, NULL);
  g_assert (session != NULL && agent.recv != NULL);
  jitter = zc_jitter_new (rate, TICK_MS, 20 * (1 + ((data[0] >> 2) & 3)), TICK_MS, 200);
  dtmf = zc_dtmf_receiver_new (rate);

  while (pos + 3 <= size && ticks < MAX_TICKS) {
    guint8 flags = data[pos];
    gsize len = MIN ((gsize) ((data[pos + 1] << 8) | data[pos + 2]), size - pos - 3);

    pos += 3;
    /* Exactly the datagram's bytes, so ASan sees any read past its end. */
    {
      g_autofree guint8 *datagram = g_memdup2 (data + pos, len);

      agent.recv (&agent, (flags & 1) ? 2 : 1, datagram, len, agent.recv_data);
    }
    pos += len;
    if (flags & 2) {
      if (flags & 4)
        zc_rtp_session_send (session, -1, frame, opus ? 3 : sizeof frame, user_ts, FALSE);
      tick (session, jitter, dtmf, config.payload_type, user_ts);
      user_ts += frame_ts;
      ticks++;
    }
  }
  /* Whatever is still queued or buffered plays out. */
  for (guint i = 0; i < 16; i++, user_ts += frame_ts)
    tick (session, jitter, dtmf, config.payload_type, user_ts);
  zc_rtp_session_get_stats (session, &stats);
  return 0;
}
