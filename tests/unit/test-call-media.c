/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The call media pipeline end to end, in one process on 127.0.0.1 only: two
 * ZcCallMedia over two plain-RTP ICE agents (two components, no checks),
 * each with its own media thread, while the main thread iterates the
 * GMainContext that drives libnice and plays the audio engine: it feeds A's
 * to_network ring a 1 kHz sine and B's a 1234 Hz one (not a multiple of the
 * 50 Hz frame rate, nor a harmonic of 1 kHz: at 8 kHz a 1 kHz tone has an
 * 8-sample period, so whole-frame drops or G.711 noise on its harmonics
 * would go unseen, lab NOTES.md), and drains both from_network rings.
 * Goertzel filters then check each side hears the other's tone at the sent
 * level, nearly pure (the tone carries >= 80 % of the power: discontinuities
 * and noise would spread it), and not its own.  Then DTMF "12#" from A must
 * reach B once each, in order; A muted, B must hear none of A's tone while
 * A still hears B, and the tone again once unmuted; and after A stops, B
 * must report media timeout within its 1 s (+ margin).  Opus at 48 kHz,
 * PCMU at 8 kHz, and G.722, whose PCM runs at 16 kHz and its RTP clock at
 * 8 kHz (RFC 3551 4.5.2); a plain socket then reads what a G.722 sender
 * puts on the wire. */
#include "config.h"

#include "ice/ice-agent.h"
#include "media/call-media.h"
#include "media/rtp-session.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#define STEP_TIMEOUT_US (3 * G_USEC_PER_SEC)
#define TONE_AMPLITUDE 8000.0  /* about -12 dBFS */
#define FREQ_A 1000.0          /* Hz, A's microphone */
#define FREQ_B 1234.0          /* Hz, B's microphone */
#define SETTLE_US 800000       /* jitter buffer fill, codec start-up */
#define ANALYSIS_MS 500
#define MEDIA_TIMEOUT_MS 1000
#define TIMEOUT_MARGIN_US 600000

static const char *const loopback_only[] = { "127.0.0.1", NULL };

typedef struct {
  gboolean gathered;
} Peer;

typedef struct {
  const char *name;
  Peer peer;
  ZcIceAgent *agent;
  ZcRtpSession *rtp;
  ZcRing *to_network;
  ZcRing *from_network;
  ZcCallMedia *media;
  double freq;           /* what this side's microphone plays */
  double phase;
  gint16 *heard;         /* from_network after SETTLE_US */
  guint n_heard, max_heard;
  GString *digits;       /* received */
  /* On the devices' clocks (zc_call_media_use_device_clock()): the test
   * is a sound card of 10 ms periods that captures and plays in step. */
  gboolean device;
  guint ptime_ms;         /* the packet time both sides use */
  gboolean device_paused; /* a stalled card: neither direction moves */
  guint jitter_ms;        /* the playout depth to start with, 0: the default */
  guint burst;            /* 0, or plays this many periods at once, none
                           * between: two frames at a time, as when a sound
                           * server's timer meets the engine's */
  guint hiccups;          /* device_step() calls that ran 4+ periods at once after the settle */
  gint64 backlog_at_us;   /* 0, or once then: a burst of capture (below) */
  guint backlog_extra;    /* ... three frames and this many samples more */
  int capture_fd, playout_fd;
  gint64 device_start_us;
  guint64 device_periods;
  guint played_acc;
  guint timeouts, resumes;
  gint64 timeout_at_us;
} Side;

static void
gathering_done_cb (ZcIceAgent *agent G_GNUC_UNUSED, gpointer user_data)
{
  ((Peer *) user_data)->gathered = TRUE;
}

static void
digit_cb (ZcCallMedia *media G_GNUC_UNUSED, char digit, gpointer user_data)
{
  Side *side = user_data;

  g_test_message ("%s: digit '%c'", side->name, digit);
  g_string_append_c (side->digits, digit);
}

static void
timeout_cb (ZcCallMedia *media G_GNUC_UNUSED, gboolean timed_out, gpointer user_data)
{
  Side *side = user_data;

  g_test_message ("%s: media %s", side->name, timed_out ? "timeout" : "resumed");
  if (timed_out) {
    side->timeouts++;
    side->timeout_at_us = g_get_monotonic_time ();
  } else {
    side->resumes++;
  }
}

static ZcIceAgent *
agent_new (Peer *peer, gboolean controlling)
{
  ZcIceAgentConfig config = {
    .context = g_main_context_default (),
    .controlling = controlling,
    .rtcp_mux = FALSE,
    .local_addresses = loopback_only,
  };
  ZcIceAgentCallbacks callbacks = {
    .gathering_done = gathering_done_cb,
    .user_data = peer,
  };
  g_autoptr (GError) error = NULL;
  ZcIceAgent *agent = zc_ice_agent_new (&config, &callbacks, &error);

  g_assert_no_error (error);
  return agent;
}

static void
plain_connect (Side *a, Side *b)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *a_addr = NULL, *a_rtcp_addr = NULL, *b_addr = NULL, *b_rtcp_addr = NULL;
  guint16 a_port, a_rtcp, b_port, b_rtcp;
  gint64 deadline = g_get_monotonic_time () + STEP_TIMEOUT_US;

  g_assert_true (zc_ice_agent_gather (a->agent, &error));
  g_assert_true (zc_ice_agent_gather (b->agent, &error));
  g_assert_no_error (error);
  while (!(a->peer.gathered && b->peer.gathered)) {
    if (g_get_monotonic_time () > deadline)
      g_error ("timed out waiting for gathering");
    g_main_context_iteration (NULL, FALSE);
    g_usleep (1000);
  }
  g_assert_true (zc_ice_agent_get_default_address (a->agent, 1, &a_addr, &a_port, &error));
  g_assert_true (zc_ice_agent_get_default_address (a->agent, 2, &a_rtcp_addr, &a_rtcp, &error));
  g_assert_true (zc_ice_agent_get_default_address (b->agent, 1, &b_addr, &b_port, &error));
  g_assert_true (zc_ice_agent_get_default_address (b->agent, 2, &b_rtcp_addr, &b_rtcp, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (a_addr, ==, "127.0.0.1");
  g_assert_cmpstr (b_addr, ==, "127.0.0.1");
  g_assert_true (zc_ice_agent_set_plain_remote (a->agent, b_addr, b_port, b_rtcp, &error));
  g_assert_true (zc_ice_agent_set_plain_remote (b->agent, a_addr, a_port, a_rtcp, &error));
  g_assert_no_error (error);
}

static void
side_init (Side *side, const char *name, double freq, const ZcCodec *codec, gint te_pt, guint pcm_rate,
           gboolean device, guint ptime_ms)
{
  ZcRtpSessionConfig rtp_config;
  ZcCallMediaConfig config = { 0 };
  g_autoptr (GError) error = NULL;

  side->name = name;
  side->freq = freq;
  side->digits = g_string_new (NULL);
  side->agent = agent_new (&side->peer, name[0] == 'A');
  side->to_network = zc_ring_new (8192);
  side->from_network = zc_ring_new (16384);

  zc_rtp_session_config_init (&rtp_config, codec->pt, codec->name, codec->clock_rate);
  rtp_config.channels = codec->channels;
  rtp_config.telephone_event_pt = te_pt;
  rtp_config.rtcp_interval_ms = 500;
  side->rtp = zc_rtp_session_new (side->agent, &rtp_config, &error);
  g_assert_no_error (error);

  config.codec = codec;
  config.telephone_event_pt = te_pt;
  config.to_network = side->to_network;
  config.from_network = side->from_network;
  config.rtp = side->rtp;
  config.media_timeout_ms = MEDIA_TIMEOUT_MS;
  config.ptime_ms = ptime_ms;
  config.jitter_ms = side->jitter_ms;
  side->ptime_ms = ptime_ms != 0 ? ptime_ms : ZC_CALL_MEDIA_PTIME_MS;
  config.digit_received = digit_cb;
  config.media_timeout = timeout_cb;
  config.user_data = side;
  side->media = zc_call_media_new (&config, &error);
  g_assert_no_error (error);
  g_assert_nonnull (side->media);
  /* The PCM rate is the codec's, not the RTP clock (G.722: 16 vs 8 kHz). */
  g_assert_cmpuint (zc_call_media_get_pcm_rate (side->media), ==, pcm_rate);
  g_assert_cmpuint (zc_call_media_get_frame_samples (side->media), ==, pcm_rate * side->ptime_ms / 1000);
  g_assert_cmpuint (zc_call_media_get_ptime_ms (side->media), ==, side->ptime_ms);
  side->max_heard = pcm_rate * ANALYSIS_MS / 1000;
  side->heard = g_new0 (gint16, side->max_heard);
  side->device = device;
  if (device) {
    g_assert_true (zc_call_media_use_device_clock (side->media, &side->capture_fd, &side->playout_fd, &error));
    g_assert_no_error (error);
    g_assert_cmpint (side->capture_fd, >=, 0);
    g_assert_cmpint (side->playout_fd, >=, 0);
  }
}

static void
side_clear (Side *side)
{
  zc_call_media_free (side->media);
  zc_rtp_session_free (side->rtp);
  zc_ice_agent_free (side->agent);
  zc_ring_free (side->to_network);
  zc_ring_free (side->from_network);
  g_free (side->heard);
  g_string_free (side->digits, TRUE);
}

static void
tone_fill (Side *side, gint16 *buf, guint n)
{
  guint rate = zc_call_media_get_pcm_rate (side->media);

  for (guint i = 0; i < n; i++) {
    buf[i] = (gint16) lround (TONE_AMPLITUDE * sin (side->phase));
    side->phase += 2 * G_PI * side->freq / rate;
    if (side->phase > 2 * G_PI)
      side->phase -= 2 * G_PI;
  }
}

static void
keep_heard (Side *side, const gint16 *buf, guint n, gint64 settle_at_us)
{
  if (g_get_monotonic_time () < settle_at_us)
    return;
  n = MIN (n, side->max_heard - side->n_heard);
  memcpy (side->heard + side->n_heard, buf, n * sizeof (gint16));
  side->n_heard += n;
}

static void
eventfd_add (int fd, guint64 n)
{
  g_assert_cmpint (write (fd, &n, sizeof n), ==, sizeof n);
}

/* A sound card on the devices' clocks, as audio/engine.c drives a port:
 * each 10 ms period of wall time captures a period of tone (and says so
 * on capture_fd once a frame is there) and plays a period of
 * from_network, padded when it ran dry (and counts each frame played on
 * playout_fd). */
static void
device_step (Side *side, gint64 settle_at_us)
{
  guint rate = zc_call_media_get_pcm_rate (side->media);
  guint frame = zc_call_media_get_frame_samples (side->media);
  guint period = rate / 100;
  gint64 now = g_get_monotonic_time ();
  gint16 buf[480];
  guint periods_now = 0;

  if (side->device_start_us == 0)
    side->device_start_us = now;
  if (side->device_paused) {
    side->device_start_us = now - (gint64) side->device_periods * 10000;
    return;
  }
  while ((gint64) (side->device_periods + 1) * 10000 <= now - side->device_start_us) {
    guint32 got;

    if (++periods_now == 4 && now >= settle_at_us)
      side->hiccups++;
    side->device_periods++;
    tone_fill (side, buf, period);
    zc_ring_write (side->to_network, buf, period); /* a stopped media side reads none */
    if (side->backlog_at_us != 0 && now >= side->backlog_at_us) {
      side->backlog_at_us = 0;
      for (guint left = 3 * frame + side->backlog_extra; left > 0;) {
        guint chunk = MIN (left, period);

        tone_fill (side, buf, chunk);
        zc_ring_write (side->to_network, buf, chunk);
        left -= chunk;
      }
    }
    if (zc_ring_get_fill (side->to_network) >= frame)
      eventfd_add (side->capture_fd, 1);
    if (side->burst > 0 && side->device_periods % side->burst != 0)
      continue; /* these go with the last of the burst */
    for (guint take = MAX (side->burst, 1u); take > 0; take--) {
      got = zc_ring_read (side->from_network, buf, period);
      keep_heard (side, buf, got, settle_at_us);
    }
    side->played_acc += MAX (side->burst, 1u) * period;
    if (side->played_acc >= frame) {
      eventfd_add (side->playout_fd, side->played_acc / frame);
      side->played_acc %= frame;
    }
  }
}

/* The audio engine's part: keeps ~3 frames of tone in to_network and
 * drains from_network, keeping what arrives after @settle_at_us. */
static void
engine_step (Side *side, gint64 settle_at_us)
{
  guint frame = zc_call_media_get_frame_samples (side->media);
  gint16 buf[960];

  if (side->device) {
    device_step (side, settle_at_us);
    return;
  }
  while (zc_ring_get_fill (side->to_network) < 3 * frame) {
    tone_fill (side, buf, frame);
    g_assert_cmpuint (zc_ring_write (side->to_network, buf, frame), ==, frame);
  }
  for (;;) {
    guint32 n = zc_ring_read (side->from_network, buf, G_N_ELEMENTS (buf));

    if (n == 0)
      break;
    keep_heard (side, buf, n, settle_at_us);
  }
}

static void
run_for (Side *a, Side *b, gint64 settle_at_us, gint64 until_us, gboolean (*done) (Side *, Side *))
{
  while (g_get_monotonic_time () < until_us) {
    g_main_context_iteration (NULL, FALSE);
    engine_step (a, settle_at_us);
    engine_step (b, settle_at_us);
    if (done != NULL && done (a, b))
      return;
    g_usleep (2000);
  }
}

/* The window in which @done collects what each side hears, after a
 * settle.  On the simulated cards (device_step()) the test's own thread
 * is the sound card: held up for 40 ms or more (a loaded machine), its
 * card captures and plays in a burst, and the window shows the test, not
 * the media side.  Such a window is measured again, twice at most; the
 * media side's own stalls are check_device_clock()'s. */
static void
run_window (Side *a, Side *b, gboolean (*done) (Side *, Side *))
{
  for (guint attempt = 1;; attempt++) {
    guint hiccups = a->hiccups + b->hiccups;
    gint64 start = g_get_monotonic_time ();

    run_for (a, b, start + SETTLE_US, start + SETTLE_US + 3 * ANALYSIS_MS * 1000, done);
    if (a->hiccups + b->hiccups == hiccups || attempt == 3)
      return;
    g_test_message ("the test's sound card was held up in window %u: measuring again", attempt);
    a->n_heard = b->n_heard = 0;
  }
}

/* Goertzel: amplitude of the @freq component of @x (a sine of amplitude A
 * reads A). */
static double
goertzel_amplitude (const gint16 *x, guint n, double freq, double rate)
{
  double coeff = 2 * cos (2 * G_PI * freq / rate);
  double s1 = 0, s2 = 0, power;

  for (guint i = 0; i < n; i++) {
    double s0 = x[i] + coeff * s1 - s2;

    s2 = s1;
    s1 = s0;
  }
  power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return 2 * sqrt (MAX (power, 0)) / n;
}

static void
check_heard (const Side *side, double expect_freq, double other_freq, double rate)
{
  double amp, other, ms = 0, purity;

  g_assert_cmpuint (side->n_heard, ==, side->max_heard);
  for (guint i = 0; i < side->n_heard; i++)
    ms += (double) side->heard[i] * side->heard[i];
  ms /= side->n_heard;
  amp = goertzel_amplitude (side->heard, side->n_heard, expect_freq, rate);
  other = goertzel_amplitude (side->heard, side->n_heard, other_freq, rate);
  purity = ms > 0 ? amp * amp / 2 / ms : 0;
  g_test_message ("%s hears %.0f Hz at amplitude %.0f (sent %.0f), %.0f Hz at %.1f, tone %.1f %% of the power",
                  side->name, expect_freq, amp, TONE_AMPLITUDE, other_freq, other, purity * 100);
  g_assert_cmpfloat (amp, >, 0.7 * TONE_AMPLITUDE);
  g_assert_cmpfloat (amp, <, 1.3 * TONE_AMPLITUDE);
  g_assert_cmpfloat (other, <, 0.01 * TONE_AMPLITUDE);
  g_assert_cmpfloat (purity, >, 0.8);
}

static gboolean
heard_enough (Side *a, Side *b)
{
  return a->n_heard == a->max_heard && b->n_heard == b->max_heard;
}

static gboolean
a_heard_enough (Side *a, Side *b G_GNUC_UNUSED)
{
  return a->n_heard == a->max_heard;
}

static gboolean
b_heard_enough (Side *a G_GNUC_UNUSED, Side *b)
{
  return b->n_heard == b->max_heard;
}

static gboolean
b_has_three_digits (Side *a G_GNUC_UNUSED, Side *b)
{
  return b->digits->len >= 3;
}

static gboolean
b_timed_out (Side *a G_GNUC_UNUSED, Side *b)
{
  return b->timeouts > 0;
}

static void
print_stats (Side *side)
{
  ZcCallMediaStats st;

  zc_call_media_get_stats (side->media, &st);
  g_test_message ("%s: sent %" G_GUINT64_FORMAT " decoded %" G_GUINT64_FORMAT " concealed %" G_GUINT64_FORMAT
                  " fec %" G_GUINT64_FORMAT " underruns %" G_GUINT64_FORMAT " overflow %" G_GUINT64_FORMAT
                  " late %" G_GUINT64_FORMAT " dtmf %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
                  " | rtp sent %" G_GUINT64_FORMAT " recv %" G_GUINT64_FORMAT " lost %" G_GINT64_FORMAT
                  " jitter %.2f ms rtt %.2f ms rtcp %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT,
                  side->name, st.frames_sent, st.frames_decoded, st.frames_concealed, st.frames_fec,
                  st.capture_underruns, st.playback_overflow_samples, st.late_ticks, st.dtmf_sent, st.dtmf_received,
                  st.rtp.packets_sent, st.rtp.packets_received, st.rtp.packets_lost, st.rtp.jitter_ms, st.rtp.rtt_ms,
                  st.rtp.rtcp_sent, st.rtp.rtcp_received);
  g_assert_cmpuint (st.decode_errors, ==, 0);
  g_assert_cmpuint (st.send_errors, ==, 0);
}

/* On the devices' clocks, B sends one frame per frame its card captured
 * (and one per tick of its own clock while the card was silent); when
 * its card stalls, B's media goes on at its own clock, so A still gets
 * packets, and B goes back to the card's clock when it runs again. */
static void
check_device_clock (Side *a, Side *b)
{
  ZcCallMediaStats st, a_st;
  guint64 captured, own_before, a_received_before;
  gint64 sent;

  /* The snapshot is at most 100 ms old: give it one. */
  run_for (a, b, G_MAXINT64, g_get_monotonic_time () + 150000, NULL);
  zc_call_media_get_stats (b->media, &st);
  captured = b->device_periods * 10 / b->ptime_ms;
  sent = (gint64) (st.frames_sent + st.dtx_frames);
  g_test_message ("B: %" G_GUINT64_FORMAT " frames captured, %" G_GINT64_FORMAT " sent, %" G_GUINT64_FORMAT
                  " ticks of its own clock", captured, sent, st.own_clock_ticks);
  g_assert_true (st.device_clock);
  /* 100 ms of snapshot lag, and the frames of our own clock: a machine
   * that kept this thread from running for 60 ms has some. */
  g_assert_cmpint (sent, <=, (gint64) (captured + st.own_clock_ticks) + 1);
  g_assert_cmpint (sent, >=, (gint64) captured - 100 / (gint64) b->ptime_ms - 1);

  own_before = st.own_clock_ticks;
  zc_call_media_get_stats (a->media, &a_st);
  a_received_before = a_st.rtp.packets_received;
  b->device_paused = TRUE;
  run_for (a, b, G_MAXINT64, g_get_monotonic_time () + 500000, NULL);
  b->device_paused = FALSE;
  zc_call_media_get_stats (b->media, &st);
  zc_call_media_get_stats (a->media, &a_st);
  g_test_message ("B's card stalled 500 ms: %" G_GUINT64_FORMAT " ticks of its own clock, A received %"
                  G_GUINT64_FORMAT " packets", st.own_clock_ticks - own_before,
                  a_st.rtp.packets_received - a_received_before);
  /* 440 ms after the first 60: 22 send and 22 playout ticks; never
   * more than one per ptime of the stall in each direction. */
  g_assert_cmpuint (st.own_clock_ticks - own_before, >=, 20);
  g_assert_cmpuint (st.own_clock_ticks - own_before, <=, 2 * 500 / b->ptime_ms);
  g_assert_cmpuint (a_st.rtp.packets_received - a_received_before, >=, 15);

  b->n_heard = a->n_heard = 0;
  run_window (a, b, heard_enough);
  check_heard (b, FREQ_A, FREQ_B, zc_call_media_get_pcm_rate (b->media));
  check_heard (a, FREQ_B, FREQ_A, zc_call_media_get_pcm_rate (a->media));
}

static void
run_call (const ZcCodec *codec, gint te_pt, guint pcm_rate, gboolean device, guint ptime_ms)
{
  Side a = { 0 }, b = { 0 };
  g_autoptr (GError) error = NULL;
  ZcCallMediaStats st;
  gint64 start, stopped;

  side_init (&a, "A", FREQ_A, codec, te_pt, pcm_rate, device, ptime_ms);
  side_init (&b, "B", FREQ_B, codec, te_pt, pcm_rate, device, ptime_ms);
  plain_connect (&a, &b);

  g_assert_true (zc_call_media_start (a.media, &error));
  g_assert_true (zc_call_media_start (b.media, &error));
  g_assert_no_error (error);
  g_assert_false (zc_call_media_start (a.media, &error));
  g_assert_error (error, ZC_CALL_MEDIA_ERROR, ZC_CALL_MEDIA_ERROR_INVALID);
  g_clear_error (&error);

  /* 1. Tones both ways. */
  run_window (&a, &b, heard_enough);
  check_heard (&b, FREQ_A, FREQ_B, pcm_rate);
  check_heard (&a, FREQ_B, FREQ_A, pcm_rate);
  if (device)
    check_device_clock (&a, &b);

  /* 2. DTMF: each digit once, in order, and only at B. */
  g_assert_cmpint (zc_call_media_send_dtmf (a.media, "12x"), ==, -EINVAL);
  g_assert_cmpint (zc_call_media_send_dtmf (a.media, "12#"), ==, 0);
  start = g_get_monotonic_time ();
  run_for (&a, &b, G_MAXINT64, start + 2 * G_USEC_PER_SEC, b_has_three_digits);
  g_test_message ("B got \"%s\" after %.0f ms", b.digits->str, (g_get_monotonic_time () - start) / 1000.0);
  /* Time for retransmitted end packets and any duplicate to show up. */
  run_for (&a, &b, G_MAXINT64, g_get_monotonic_time () + 300000, NULL);
  g_assert_cmpstr (b.digits->str, ==, "12#");
  g_assert_cmpstr (a.digits->str, ==, "");
  zc_call_media_get_stats (a.media, &st);
  g_assert_cmpuint (st.dtmf_sent, ==, 3);
  zc_call_media_get_stats (b.media, &st);
  g_assert_cmpuint (st.dtmf_received, ==, 3);
  g_assert_cmpuint (st.frames_decoded, >, 50);
  g_assert_cmpuint (st.rtp.rtcp_received, >, 0);
  print_stats (&a);
  print_stats (&b);

  /* 3. A mutes: B hears nothing of A's tone while A still hears B.  With
   * G.711 B plays the silence A sends; with Opus A's encoder is in DTX and
   * next to nothing arrives (the engine plays the gap as silence).
   * Unmuted, the tone comes back. */
  {
    guint64 dtx_before;
    double amp;

    zc_call_media_get_stats (a.media, &st);
    dtx_before = st.dtx_frames;
    zc_call_media_set_muted (a.media, TRUE);
    b.n_heard = 0;
    a.n_heard = 0;
    run_window (&a, &b, a_heard_enough);
    amp = b.n_heard > 0 ? goertzel_amplitude (b.heard, b.n_heard, FREQ_A, pcm_rate) : 0;
    zc_call_media_get_stats (a.media, &st);
    g_test_message ("A muted: B hears %.0f Hz at amplitude %.1f in %u samples (sent %.0f); A's DTX frames %"
                    G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT, FREQ_A, amp, b.n_heard, TONE_AMPLITUDE, dtx_before,
                    st.dtx_frames);
    g_assert_cmpfloat (amp, <, 0.001 * TONE_AMPLITUDE);
    if (g_str_equal (codec->name, "opus"))
      g_assert_cmpuint (st.dtx_frames, >, dtx_before + 10);
    else /* the silence arrived and was played: B's side ran all along */
      g_assert_cmpuint (b.n_heard, >, b.max_heard / 4);
    check_heard (&a, FREQ_B, FREQ_A, pcm_rate);
    zc_call_media_set_muted (a.media, FALSE);
    b.n_heard = 0;
    run_window (&a, &b, b_heard_enough);
    check_heard (&b, FREQ_A, FREQ_B, pcm_rate);
  }

  /* 4. A goes quiet: B reports media timeout once, after ~1 s. */
  g_assert_cmpuint (a.timeouts + b.timeouts, ==, 0);
  g_assert_false (zc_call_media_is_timed_out (b.media));
  zc_call_media_stop (a.media);
  zc_call_media_stop (a.media); /* idempotent */
  stopped = g_get_monotonic_time ();
  run_for (&a, &b, G_MAXINT64, stopped + MEDIA_TIMEOUT_MS * 1000 + 2 * TIMEOUT_MARGIN_US, b_timed_out);
  g_assert_cmpuint (b.timeouts, ==, 1);
  g_test_message ("B: media timeout %.0f ms after A stopped", (b.timeout_at_us - stopped) / 1000.0);
  g_assert_cmpint (b.timeout_at_us - stopped, >=, MEDIA_TIMEOUT_MS * 1000 - 200000);
  g_assert_cmpint (b.timeout_at_us - stopped, <=, MEDIA_TIMEOUT_MS * 1000 + TIMEOUT_MARGIN_US);
  g_assert_true (zc_call_media_is_timed_out (b.media));
  zc_call_media_get_stats (b.media, &st);
  g_assert_true (st.media_timed_out);

  side_clear (&b);
  side_clear (&a);
}

static void
test_opus (void)
{
  ZcCodec codec = { .name = (char *) "opus", .pt = 111, .clock_rate = 48000, .channels = 2,
                    .fmtp = (char *) "minptime=10;useinbandfec=1" };

  run_call (&codec, 110, 48000, FALSE, 0);
}

static void
test_opus_device (void)
{
  ZcCodec codec = { .name = (char *) "opus", .pt = 111, .clock_rate = 48000, .channels = 2,
                    .fmtp = (char *) "minptime=10;useinbandfec=1" };

  run_call (&codec, 110, 48000, TRUE, 0);
}

/* 10 ms packets ([media] ptime=10, what two agents agree on): the tones,
 * DTMF, mute, a stalled card and the timeout as with 20 ms. */
static void
test_opus_10ms_device (void)
{
  ZcCodec codec = { .name = (char *) "opus", .pt = 111, .clock_rate = 48000, .channels = 2,
                    .fmtp = (char *) "minptime=10;useinbandfec=1" };

  run_call (&codec, 110, 48000, TRUE, 10);
}

/* Two sides on simulated cards at @ptime_ms, connected and started
 * (fields of a Side that side_init() reads are the caller's to set first). */
static void
pair_start (Side *a, Side *b, const ZcCodec *codec, guint ptime_ms)
{
  g_autoptr (GError) error = NULL;

  side_init (a, "A", FREQ_A, codec, 110, 48000, TRUE, ptime_ms);
  side_init (b, "B", FREQ_B, codec, 110, 48000, TRUE, ptime_ms);
  plain_connect (a, b);
  g_assert_true (zc_call_media_start (a->media, &error));
  g_assert_true (zc_call_media_start (b->media, &error));
  g_assert_no_error (error);
}

static void
pair_stop (Side *a, Side *b)
{
  zc_call_media_stop (a->media);
  zc_call_media_stop (b->media);
  side_clear (a);
  side_clear (b);
}

/* Opus as two agents negotiate it, for the tests on the simulated cards. */
static const ZcCodec opus_codec = { .name = (char *) "opus", .pt = 111, .clock_rate = 48000, .channels = 2,
                                    .fmtp = (char *) "useinbandfec=1" };

/* A card that plays two frames at once, then none for a frame (the
 * engine saw nothing at one tick and two periods at the next): the media
 * side must not take that for time that passed.  Playing the second frame
 * at once would conceal it, its packet would come "late" and the playout
 * buffer would grow by a tick for good (late packets 1, depth two ticks:
 * what this read before the media side held the second frame back half a
 * ptime); held, its packet is there. */
static void
test_bursty_playout (void)
{
  Side a = { 0 }, b = { 0 };
  ZcCallMediaStats st;
  const guint ptime_ms = 20;

  b.burst = 2 * ptime_ms / 10;
  b.jitter_ms = ptime_ms; /* one tick: the least it can be */
  pair_start (&a, &b, &opus_codec, ptime_ms);

  run_for (&a, &b, G_MAXINT64, g_get_monotonic_time () + 2 * G_USEC_PER_SEC, NULL);
  zc_call_media_get_stats (b.media, &st);
  g_test_message ("B on a card that plays %u periods at once: %" G_GUINT64_FORMAT " frames decoded, %" G_GUINT64_FORMAT
                  " concealed, %" G_GUINT64_FORMAT " late, depth %u ms (deepest %u)",
                  b.burst, st.frames_decoded, st.frames_concealed, st.jitter.late, st.jitter.target_ms,
                  st.jitter.max_target_ms);
  g_assert_cmpuint (st.frames_decoded, >=, 2000 / ptime_ms * 3 / 4);
  g_assert_cmpuint (st.jitter.late, ==, 0);
  g_assert_cmpuint (st.jitter.grows, ==, 0);
  g_assert_cmpuint (st.jitter.target_ms, ==, ptime_ms);

  pair_stop (&a, &b);
}

/* A burst of capture (a sound server that delivered late, all at once):
 * the media side drops the backlog down to a frame and a half before the
 * encoder, once.  Whole periods always move here, so the fill is a whole
 * number of the 1 kHz tone's periods but for the burst's extra half
 * period: the cut flips the tone's sign.  As a plain skip that step came
 * out of Opus as a swell (a peak of 1.21 times the tone at B); cross-faded
 * (zc_ring_read_spliced()) it must not show. */
static void
test_capture_trim_splice (void)
{
  Side a = { 0 }, b = { 0 };
  ZcCallMediaStats st;
  gint64 start;
  gint peak = 0;
  double ms = 0;

  pair_start (&a, &b, &opus_codec, 20);

  start = g_get_monotonic_time ();
  a.backlog_at_us = start + SETTLE_US + 100000;
  a.backlog_extra = 48000 / (guint) FREQ_A / 2;
  run_for (&a, &b, start + SETTLE_US, start + SETTLE_US + 3 * ANALYSIS_MS * 1000, heard_enough);
  zc_call_media_get_stats (a.media, &st);
  for (guint i = 0; i < b.n_heard; i++)
    peak = MAX (peak, ABS ((gint) b.heard[i]));
  g_test_message ("A trimmed %" G_GUINT64_FORMAT " samples of capture; B's peak %d (the tone's %.0f)",
                  st.capture_trimmed_samples, peak, TONE_AMPLITUDE);
  g_assert_cmpuint (st.capture_trimmed_samples, >, 0);
  g_assert_cmpuint (st.capture_trimmed_samples % (48000 / (guint) FREQ_A), ==, a.backlog_extra);
  g_assert_cmpuint (st.capture_trimmed_samples, <, 4 * 960);
  g_assert_cmpint (peak, <, 1.15 * TONE_AMPLITUDE);
  /* And nothing lost: the tone's level all through (its phase flips,
   * so check_heard()'s single Goertzel over the window does not apply). */
  for (guint i = 0; i < b.n_heard; i++)
    ms += (double) b.heard[i] * b.heard[i];
  g_assert_cmpuint (b.n_heard, ==, b.max_heard);
  g_assert_cmpfloat (sqrt (ms / b.n_heard), >, 0.9 * TONE_AMPLITUDE / G_SQRT2);

  pair_stop (&a, &b);
}

/* A playout buffer that starts deep gives its spare back half a second
 * in (jitter.h), skipping a packet's audio each time.  The frame after a
 * skipped one must fade in from it (play_packet()): joined plainly, the
 * skip is a step in the tone A hears (B's 1234 Hz, whose phase moves by a
 * third of a cycle in a 10 ms skip; A's 1000 Hz would not show it). */
static void
test_give_back_blend (void)
{
  Side a = { 0 }, b = { 0 };
  ZcCallMediaStats st;
  gint64 start;
  gint step = 0;
  double tone_step = 2 * TONE_AMPLITUDE * sin (G_PI * FREQ_B / 48000);

  a.jitter_ms = 100; /* 9 ticks of 10 ms to spare on loopback */
  pair_start (&a, &b, &opus_codec, 10);
  start = g_get_monotonic_time ();
  run_for (&a, &b, start + 450000, start + 450000 + 3 * ANALYSIS_MS * 1000, heard_enough);
  zc_call_media_get_stats (a.media, &st);
  for (guint i = 1; i < a.n_heard; i++)
    step = MAX (step, ABS ((gint) a.heard[i] - (gint) a.heard[i - 1]));
  g_test_message ("A's playout buffer gave back %" G_GUINT64_FORMAT " ticks, down to %u ms; the largest step "
                  "between samples %d (the tone's own %.0f)",
                  st.jitter.shrinks, st.jitter.target_ms, step, tone_step);
  g_assert_cmpuint (st.jitter.shrinks, >=, 5);
  g_assert_cmpuint (a.n_heard, ==, a.max_heard);
  g_assert_cmpint (step, <, 1.5 * tone_step);

  pair_stop (&a, &b);
}

static void
test_pcmu (void)
{
  ZcCodec codec = { .name = (char *) "PCMU", .pt = 0, .clock_rate = 8000, .channels = 1, .fmtp = NULL };

  run_call (&codec, 101, 8000, FALSE, 0);
}

static void
test_pcmu_10ms (void)
{
  ZcCodec codec = { .name = (char *) "PCMU", .pt = 0, .clock_rate = 8000, .channels = 1, .fmtp = NULL };

  run_call (&codec, 101, 8000, FALSE, 10);
}

static void
test_pcmu_device (void)
{
  ZcCodec codec = { .name = (char *) "PCMU", .pt = 0, .clock_rate = 8000, .channels = 1, .fmtp = NULL };

  run_call (&codec, 101, 8000, TRUE, 0);
}

static const ZcCodec g722_codec = { .name = (char *) "G722", .pt = 9, .clock_rate = 8000, .channels = 1,
                                    .fmtp = NULL };

static void
test_g722 (void)
{
  run_call (&g722_codec, 101, 16000, FALSE, 0);
}

/* Reads RTP datagrams from @sock until @n arrived or 3 s passed; checks each
 * is G.722 (PT 9, 160 bytes per 20 ms) with timestamps 160 apart, and
 * returns the RTP clock rate the stream shows: timestamp units per second
 * of arrival time, 8000 per RFC 3551 4.5.2 (16000 would be the usual
 * mistake of counting samples). */
static double
g722_wire_rate (GSocket *sock, Side *a, guint n)
{
  guint8 buf[1500];
  guint got = 0;
  guint32 ts0 = 0, prev_ts = 0;
  guint16 prev_seq = 0;
  gint64 t0 = 0, t_last = 0, deadline = g_get_monotonic_time () + STEP_TIMEOUT_US;
  guint64 units = 0;

  while (got < n && g_get_monotonic_time () < deadline) {
    gssize len;

    engine_step (a, G_MAXINT64);
    g_main_context_iteration (NULL, FALSE);
    len = g_socket_receive (sock, (char *) buf, sizeof buf, NULL, NULL);
    if (len < 0) {
      g_usleep (1000);
      continue;
    }
    /* RTP version 2 (RFC 3550 5.1), not RTCP (200..204 in the PT byte). */
    if (len < 12 || buf[0] >> 6 != 2 || (buf[1] >= 200 && buf[1] <= 204))
      continue;
    g_assert_cmpuint (buf[1] & 0x7F, ==, 9);
    g_assert_cmpint (len - 12 - (buf[0] & 0x0F) * 4, ==, 160);
    {
      guint16 seq = (guint16) (buf[2] << 8 | buf[3]);
      guint32 ts = (guint32) buf[4] << 24 | (guint32) buf[5] << 16 | (guint32) buf[6] << 8 | buf[7];
      gint64 now = g_get_monotonic_time ();

      if (got == 0) {
        ts0 = ts;
        t0 = now;
      } else {
        /* Consecutive packets: one 20 ms frame each. */
        g_assert_cmpuint ((guint16) (seq - prev_seq), ==, 1);
        g_assert_cmpuint (ts - prev_ts, ==, 160);
      }
      prev_seq = seq;
      prev_ts = ts;
      t_last = now;
      units = ts - ts0;
      got++;
    }
  }
  g_assert_cmpuint (got, ==, n);
  return (double) units * G_USEC_PER_SEC / (double) (t_last - t0);
}

static void
test_g722_wire (void)
{
  Side a = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) rtp = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);
  g_autoptr (GSocket) rtcp = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr (GSocketAddress) rtp_addr = NULL, rtcp_addr = NULL;
  g_autofree char *a_addr = NULL;
  guint16 a_port;
  gint64 deadline = g_get_monotonic_time () + STEP_TIMEOUT_US;
  double rate;

  g_assert_no_error (error);
  g_assert_true (g_socket_bind (rtp, any, FALSE, &error));
  g_assert_true (g_socket_bind (rtcp, any, FALSE, &error));
  g_assert_no_error (error);
  g_socket_set_blocking (rtp, FALSE);
  rtp_addr = g_socket_get_local_address (rtp, &error);
  rtcp_addr = g_socket_get_local_address (rtcp, &error);
  g_assert_no_error (error);

  side_init (&a, "A", FREQ_A, &g722_codec, 101, 16000, FALSE, 0);
  g_assert_true (zc_ice_agent_gather (a.agent, &error));
  while (!a.peer.gathered) {
    if (g_get_monotonic_time () > deadline)
      g_error ("timed out waiting for gathering");
    g_main_context_iteration (NULL, FALSE);
    g_usleep (1000);
  }
  g_assert_true (zc_ice_agent_get_default_address (a.agent, 1, &a_addr, &a_port, &error));
  g_assert_true (zc_ice_agent_set_plain_remote (
    a.agent, "127.0.0.1", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (rtp_addr)),
    g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (rtcp_addr)), &error));
  g_assert_no_error (error);
  g_assert_true (zc_call_media_start (a.media, &error));

  /* 50 packets: 1 s of audio, 8000 units at the RFC's clock. */
  rate = g722_wire_rate (rtp, &a, 51);
  g_test_message ("G.722 on the wire: PT 9, 160 bytes and 160 timestamp units a packet, %.0f units/s", rate);
  g_assert_cmpfloat (rate, >, 7200.0);
  g_assert_cmpfloat (rate, <, 8800.0);
  side_clear (&a);
}

static void
test_bad_config (void)
{
  ZcCallMediaConfig config = { 0 };
  g_autoptr (GError) error = NULL;

  g_assert_null (zc_call_media_new (&config, &error));
  g_assert_error (error, ZC_CALL_MEDIA_ERROR, ZC_CALL_MEDIA_ERROR_INVALID);
  g_clear_error (&error);
  /* 30 ms frames no Opus encoder makes. */
  config.ptime_ms = 30;
  g_assert_null (zc_call_media_new (&config, &error));
  g_assert_error (error, ZC_CALL_MEDIA_ERROR, ZC_CALL_MEDIA_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "packet time"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* Four calls of ~4 s each and three of ~7 s on a card; a hung step
   * must fail the run, not stall it. */
  alarm (g_getenv ("ZC_TEST_SLOW") != NULL ? 300 : 90); /* ZC_TEST_SLOW=1 under valgrind */
  g_test_add_func ("/call-media/bad-config", test_bad_config);
  g_test_add_func ("/call-media/opus", test_opus);
  g_test_add_func ("/call-media/pcmu", test_pcmu);
  g_test_add_func ("/call-media/opus-device-clock", test_opus_device);
  g_test_add_func ("/call-media/pcmu-device-clock", test_pcmu_device);
  g_test_add_func ("/call-media/opus-10ms-device-clock", test_opus_10ms_device);
  g_test_add_func ("/call-media/bursty-playout", test_bursty_playout);
  g_test_add_func ("/call-media/capture-trim-splice", test_capture_trim_splice);
  g_test_add_func ("/call-media/give-back-blend", test_give_back_blend);
  g_test_add_func ("/call-media/pcmu-10ms", test_pcmu_10ms);
  g_test_add_func ("/call-media/g722", test_g722);
  g_test_add_func ("/call-media/g722-wire", test_g722_wire);
  return g_test_run ();
}
