/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The echo canceller and the resampler, offline: synthetic far-end speech,
 * a synthetic room, no sound card.  Every figure the issue asks for (ERLE
 * at steady state, reconvergence after an echo-path change, double-talk
 * loss) is printed with g_test_message(), so `make check` logs carry it;
 * run with --verbose to see it on the terminal. */
#include "config.h"

#include "audio/aec.h"
#include "audio/resample.h"

#include <math.h>
#include <string.h>

/* ---- measurements ---------------------------------------------------- */

static gdouble
energy (const gint16 *x, gsize from, gsize to)
{
  gdouble e = 0;

  for (gsize i = from; i < to; i++)
    e += (gdouble) x[i] * x[i];
  return e;
}

static gdouble
rms (const gint16 *x, gsize from, gsize to)
{
  return sqrt (energy (x, from, to) / (gdouble) (to - from));
}

/* Echo return loss enhancement over [from, to): how much quieter the
 * canceller's output is than the echo it was given.  +1 keeps a window of
 * digital silence finite. */
static gdouble
erle_db (const gint16 *near_in, const gint16 *out, gsize from, gsize to)
{
  return 10 * log10 ((energy (near_in, from, to) + 1) / (energy (out, from, to) + 1));
}

/* Goertzel power of @freq_hz in @x (the DFT bin at any frequency). */
static gdouble
goertzel_power (const gint16 *x, gsize n, gdouble freq_hz, guint rate_hz)
{
  gdouble coeff = 2 * cos (2 * G_PI * freq_hz / rate_hz);
  gdouble s1 = 0, s2 = 0;

  for (gsize i = 0; i < n; i++) {
    gdouble s0 = x[i] + coeff * s1 - s2;

    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

/* The frequency, to 1 Hz, with most power between @lo_hz and @hi_hz. */
static gdouble
peak_frequency (const gint16 *x, gsize n, guint rate_hz, gdouble lo_hz, gdouble hi_hz)
{
  gdouble best_hz = lo_hz, best_power = -1;

  for (gdouble f = lo_hz; f <= hi_hz; f += 1) {
    gdouble p = goertzel_power (x, n, f, rate_hz);

    if (p > best_power) {
      best_power = p;
      best_hz = f;
    }
  }
  return best_hz;
}

static gint16
clip16 (gdouble v)
{
  return (gint16) CLAMP (lrint (v), G_MININT16, G_MAXINT16);
}

/* ---- resampler ------------------------------------------------------- */

static void
sine (gint16 *x, gsize n, gdouble freq_hz, guint rate_hz, gdouble amplitude)
{
  for (gsize i = 0; i < n; i++)
    x[i] = clip16 (amplitude * sin (2 * G_PI * freq_hz * (gdouble) i / rate_hz));
}

/* One second of a 1 kHz sine through the converter in 10 ms device
 * periods, as the audio thread would feed it. */
static void
check_resample (guint in_rate, guint out_rate)
{
  g_autoptr (GError) error = NULL;
  guint period = in_rate / 100;
  g_autoptr (ZcResampler) r = zc_resampler_new (in_rate, out_rate, ZC_RESAMPLER_QUALITY_VOIP, period, &error);
  g_autofree gint16 *in = g_new (gint16, in_rate);
  /* Room for one more period than needed, so an overshoot is caught by
   * the count check, not by valgrind. */
  g_autofree gint16 *out = g_new0 (gint16, out_rate + zc_resampler_get_max_out (r));
  gsize n_out = 0, skip;
  gdouble peak_hz, level_db;

  g_assert_no_error (error);
  sine (in, in_rate, 1000, in_rate, 10000);
  for (guint i = 0; i < 100; i++) {
    guint got = zc_resampler_process (r, in + i * period, period, out + n_out);

    g_assert_cmpuint (got, <=, zc_resampler_get_max_out (r));
    n_out += got;
  }

  /* Measure past the filter's start-up (its latency plus a margin). */
  skip = zc_resampler_get_latency (r) + out_rate / 100;
  peak_hz = peak_frequency (out + skip, n_out - skip, out_rate, 900, 1100);
  level_db = 20 * log10 (rms (out, skip, n_out) / rms (in, 0, in_rate));
  g_test_message ("resample %u -> %u Hz: %" G_GSIZE_FORMAT " samples out of 1 s, peak %.0f Hz, level %+.2f dB, "
                  "latency %u samples",
                  in_rate, out_rate, n_out, peak_hz, level_db, zc_resampler_get_latency (r));

  g_assert_cmpint (ABS ((gint64) n_out - (gint64) out_rate), <=, 1);
  g_assert_cmpfloat (fabs (peak_hz - 1000), <=, 20); /* ±2 % */
  g_assert_cmpfloat (fabs (level_db), <=, 1.0);
}

static void
test_resample_44100_48000 (void)
{
  check_resample (44100, 48000);
}

static void
test_resample_pairs (void)
{
  static const guint pairs[][2] = {
    { 48000, 44100 }, { 48000, 8000 }, { 8000, 48000 }, { 16000, 48000 }, { 48000, 16000 }, { 48000, 48000 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (pairs); i++)
    check_resample (pairs[i][0], pairs[i][1]);
}

static void
test_resample_errors (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ZcResampler) r = NULL;
  gint16 in[481] = { 0 }, out[600];

  g_assert_null (zc_resampler_new (4000, 48000, 3, 40, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (zc_resampler_new (48000, 8000, 11, 480, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (zc_resampler_new (48000, 8000, 3, 0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* A period larger than promised at creation is refused, not overrun. */
  r = zc_resampler_new (48000, 16000, 3, 480, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (zc_resampler_process (r, in, 481, out), ==, 0);
  g_assert_cmpuint (zc_resampler_process (r, in, 480, out), >, 0);
  zc_resampler_reset (r);
}

/* ---- echo canceller -------------------------------------------------- */

#define AEC_RATE_HZ 16000
#define AEC_SECONDS 10

/* One run of the synthetic call: what the far end says, the room it
 * echoes in, and anything said at the near end. */
typedef struct {
  guint delay_ms;         /* echo path delay, reference to microphone */
  guint delay_after_ms;   /* ... from change_at_s on */
  gdouble change_at_s;    /* echo-path change; > AEC_SECONDS for none */
  gdouble far_mute_from_s; /* far-end silence (for double-talk) */
  gdouble far_mute_to_s;
  gdouble tone_from_s;    /* near-end 1 kHz talker */
  gdouble tone_to_s;
  gboolean reset_on_change; /* call zc_aec_reset() at the change */
  gdouble talk_from_s;    /* near-end "speech" (double talk) */
  gdouble talk_to_s;
  gdouble talk2_from_s;   /* ... and again */
  gdouble talk2_to_s;
  gdouble gap_s;          /* no echo for this long from the change on */
} Scenario;

typedef struct {
  gsize n;          /* samples */
  gint16 *far;      /* the playback reference */
  gint16 *near_in;  /* what the microphone picked up: echo + near end + noise */
  gint16 *echo;     /* the echo part alone */
  gint16 *talk;     /* the near-end talker alone */
  gint16 *out;      /* the canceller's output */
  guint8 *vad;      /* per frame */
  gint *delay_ms;   /* per frame: zc_aec_get_delay_ms() after it */
} Run;

static void
run_free (Run *run)
{
  g_free (run->far);
  g_free (run->near_in);
  g_free (run->echo);
  g_free (run->talk);
  g_free (run->out);
  g_free (run->vad);
  g_free (run->delay_ms);
  g_free (run);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Run, run_free)

/* Far-end "speech": white noise through two resonators (formants) that
 * move every syllable, under a 4 Hz syllable envelope that never quite
 * closes (a -16 dB floor, so every window of the measurement holds echo to
 * cancel).  Seeded, so every run is the same; scaled to unit RMS. */
static void
make_speech (gdouble *x, gsize n, guint32 seed, gsize syllable)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  gdouble a1 = 0, b1 = 0, a2 = 0, b2 = 0, peak = 1;
  gdouble y1[2] = { 0 }, y2[2] = { 0 }, sum = 0;

  for (gsize i = 0; i < n; i++) {
    gdouble phase = (gdouble) (i % syllable) / syllable;
    gdouble noise = g_rand_double_range (rand, -1, 1);
    gdouble f1, f2, r = 0.97;

    if (i % syllable == 0) {
      f1 = g_rand_double_range (rand, 300, 900);
      f2 = g_rand_double_range (rand, 900, 2500);
      a1 = 2 * r * cos (2 * G_PI * f1 / AEC_RATE_HZ);
      a2 = 2 * r * cos (2 * G_PI * f2 / AEC_RATE_HZ);
      b1 = b2 = -r * r;
      peak = g_rand_double_range (rand, 0.5, 1.0);
    }
    {
      gdouble o1 = noise + a1 * y1[0] + b1 * y1[1];
      gdouble o2 = noise + a2 * y2[0] + b2 * y2[1];
      gdouble envelope = peak * (0.15 + 0.85 * pow (sin (G_PI * phase), 2));

      y1[1] = y1[0], y1[0] = o1;
      y2[1] = y2[0], y2[0] = o2;
      x[i] = envelope * (o1 + 0.5 * o2);
    }
    sum += x[i] * x[i];
  }
  for (gsize i = 0; i < n; i++)
    x[i] /= sqrt (sum / n);
}

static void
make_far_end (gint16 *far, gsize n, const Scenario *sc)
{
  g_autofree gdouble *x = g_new (gdouble, n);

  make_speech (x, n, 20240601, AEC_RATE_HZ / 4);
  /* -20 dBFS RMS, a loud talker in a loudspeaker. */
  for (gsize i = 0; i < n; i++) {
    gdouble t = (gdouble) i / AEC_RATE_HZ;
    gboolean muted = t >= sc->far_mute_from_s && t < sc->far_mute_to_s;

    far[i] = muted ? 0 : clip16 (x[i] * 3277);
  }
}

/* The room: a few taps of early reflections, about -6 dB overall. */
static const gdouble room[] = { 0.5, 0.15, -0.08, 0.04 };

static Run *
run_scenario (const ZcAecConfig *config, const Scenario *sc)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ZcAec) aec = zc_aec_new (config, &error);
  g_autoptr (GRand) rand = g_rand_new_with_seed (77);
  Run *run = g_new0 (Run, 1);
  guint frame;

  g_assert_no_error (error);
  frame = zc_aec_get_frame_size (aec);
  g_assert_cmpuint (frame, ==, AEC_RATE_HZ / 100);

  run->n = AEC_SECONDS * AEC_RATE_HZ;
  run->far = g_new0 (gint16, run->n);
  run->near_in = g_new0 (gint16, run->n);
  run->echo = g_new0 (gint16, run->n);
  run->talk = g_new0 (gint16, run->n);
  run->out = g_new0 (gint16, run->n);
  run->vad = g_new0 (guint8, run->n / frame);
  run->delay_ms = g_new0 (gint, run->n / frame);
  make_far_end (run->far, run->n, sc);
  if (sc->talk_from_s < AEC_SECONDS) {
    g_autofree gdouble *x = g_new (gdouble, run->n);

    /* Another voice, as loud at the microphone as the echo (-26 dBFS):
     * the case where an envelope correlation is easiest to fool.  Its
     * syllables are longer than the far end's, so that its envelope is not
     * the far end's own rhythm. */
    make_speech (x, run->n, 4242, AEC_RATE_HZ * 3 / 10);
    for (gsize i = 0; i < run->n; i++) {
      gdouble t = (gdouble) i / AEC_RATE_HZ;

      if ((t >= sc->talk_from_s && t < sc->talk_to_s) || (t >= sc->talk2_from_s && t < sc->talk2_to_s))
        run->talk[i] = clip16 (x[i] * 1640);
    }
  }

  for (gsize i = 0; i < run->n; i++) {
    gdouble t = (gdouble) i / AEC_RATE_HZ;
    guint delay_ms = t < sc->change_at_s ? sc->delay_ms : sc->delay_after_ms;
    gsize delay = delay_ms * AEC_RATE_HZ / 1000;
    gdouble e = 0, near = 0;

    gboolean gap = t >= sc->change_at_s && t < sc->change_at_s + sc->gap_s;

    for (gsize k = 0; k < G_N_ELEMENTS (room) && !gap; k++) {
      if (i >= delay + k)
        e += room[k] * run->far[i - delay - k];
    }
    if (t >= sc->tone_from_s && t < sc->tone_to_s)
      near = 3000 * sin (2 * G_PI * 1000 * t);
    near += run->talk[i];
    /* A quiet microphone: about -76 dBFS of hiss. */
    near += 5 * g_rand_double_range (rand, -1.7, 1.7);
    run->echo[i] = clip16 (e);
    run->near_in[i] = clip16 (e + near);
  }

  for (gsize f = 0; f < run->n / frame; f++) {
    gsize at = f * frame;

    if (sc->reset_on_change && at == (gsize) (sc->change_at_s * AEC_RATE_HZ))
      zc_aec_reset (aec);
    run->vad[f] = zc_aec_process (aec, run->near_in + at, run->far + at, run->out + at) == ZC_AEC_VAD_SPEECH;
    run->delay_ms[f] = zc_aec_get_delay_ms (aec);
  }
  return run;
}

static const Scenario steady = {
  .delay_ms = 50, .delay_after_ms = 50, .change_at_s = 1e9,
  .far_mute_from_s = 1e9, .far_mute_to_s = 1e9, .tone_from_s = 1e9, .tone_to_s = 1e9,
  .talk_from_s = 1e9, .talk_to_s = 1e9, .talk2_from_s = 1e9, .talk2_to_s = 1e9,
};

static gsize
at_s (gdouble seconds)
{
  return (gsize) (seconds * AEC_RATE_HZ);
}

/* Steady state: ERLE over the last 2 s. */
static void
test_aec_steady_state (void)
{
  const ZcAecConfig canceller = { .rate_hz = AEC_RATE_HZ, .echo_cancel = TRUE };
  const ZcAecConfig full = { .rate_hz = AEC_RATE_HZ, .echo_cancel = TRUE, .denoise = TRUE };
  g_autoptr (Run) a = run_scenario (&canceller, &steady);
  g_autoptr (Run) b = run_scenario (&full, &steady);
  gdouble erle_a = erle_db (a->near_in, a->out, at_s (8), a->n);
  gdouble erle_b = erle_db (b->near_in, b->out, at_s (8), b->n);
  guint speech_frames = 0;

  for (gsize f = 800; f < 1000; f++)
    speech_frames += b->vad[f];
  g_test_message ("steady state ERLE, last 2 s: %.1f dB (canceller + residual echo suppression), "
                  "%.1f dB (and denoise); VAD speech in %u of 200 echo-only frames",
                  erle_a, erle_b, speech_frames);
  g_assert_cmpfloat (erle_a, >=, 25);
  g_assert_cmpfloat (erle_b, >=, 25);
}

/* With the canceller off the echo goes straight through: ERLE ~ 0 dB.
 * This is what makes the test above able to fail. */
static void
test_aec_pass_through (void)
{
  const ZcAecConfig off = { .rate_hz = AEC_RATE_HZ };
  const ZcAecConfig denoise_only = { .rate_hz = AEC_RATE_HZ, .denoise = TRUE };
  g_autoptr (Run) a = run_scenario (&off, &steady);
  g_autoptr (Run) b = run_scenario (&denoise_only, &steady);
  gdouble erle_a = erle_db (a->near_in, a->out, at_s (8), a->n);
  gdouble erle_b = erle_db (b->near_in, b->out, at_s (8), b->n);

  g_test_message ("canceller off, last 2 s: %.1f dB (pass-through), %.1f dB (denoise alone)", erle_a, erle_b);
  g_assert_cmpfloat (fabs (erle_a), <, 1);
  /* Denoise must not pass for an echo canceller. */
  g_assert_cmpfloat (erle_b, <, 10);
}

/* How long after @change_s until every following 100 ms window has
 * ERLE >= @target_db, in seconds (0 if it never dropped). */
static gdouble
reconvergence_s (const Run *run, gdouble change_s, gdouble target_db, gdouble *worst_db)
{
  gsize window = AEC_RATE_HZ / 10;
  gsize last_bad_end = at_s (change_s);

  *worst_db = G_MAXDOUBLE;
  for (gsize from = at_s (change_s); from + window <= run->n; from += window) {
    gdouble erle = erle_db (run->near_in, run->out, from, from + window);

    *worst_db = MIN (*worst_db, erle);
    if (erle < target_db)
      last_bad_end = from + window;
  }
  return (gdouble) (last_bad_end - at_s (change_s)) / AEC_RATE_HZ;
}

/* The echo path changes at t = 5 s (50 -> 80 ms, as when a laptop is
 * moved or a device buffer settles at another fill).
 *
 * Unannounced, speexdsp takes the new echo for near-end speech and holds
 * its step size down: about 3 s with the default 200 ms tail before the
 * echo is 20 dB down again, short of the 1 s target, so that case
 * is only held to 4 s here (a regression guard; the figure is printed).
 * When the audio engine knows the delay changed (xrun, device reopen, ring
 * re-primed) it calls zc_aec_reset(), and that case must be back within
 * 2 s. */
static void
test_aec_path_change (void)
{
  const ZcAecConfig canceller = { .rate_hz = AEC_RATE_HZ, .echo_cancel = TRUE };
  const ZcAecConfig full = { .rate_hz = AEC_RATE_HZ, .echo_cancel = TRUE, .denoise = TRUE };
  const ZcAecConfig short_tail = { .rate_hz = AEC_RATE_HZ, .echo_cancel = TRUE, .tail_ms = 100 };
  Scenario sc = steady;
  g_autoptr (Run) a = NULL;
  g_autoptr (Run) b = NULL;
  g_autoptr (Run) c = NULL;
  g_autoptr (Run) d = NULL;
  gdouble worst_a, worst_b, worst_c, worst_d, reconv_a, reconv_b, reconv_c, reconv_d;

  sc.delay_after_ms = 80;
  sc.change_at_s = 5;
  a = run_scenario (&canceller, &sc);
  b = run_scenario (&full, &sc);
  d = run_scenario (&short_tail, &sc);
  sc.reset_on_change = TRUE;
  c = run_scenario (&canceller, &sc);

  reconv_a = reconvergence_s (a, 5, 20, &worst_a);
  reconv_b = reconvergence_s (b, 5, 20, &worst_b);
  reconv_c = reconvergence_s (c, 5, 20, &worst_c);
  reconv_d = reconvergence_s (d, 5, 20, &worst_d);
  g_test_message ("echo path 50 -> 80 ms at 5 s, time until every later 100 ms window has ERLE >= 20 dB: "
                  "unannounced %.1f s (worst window %.1f dB, ERLE over 8-10 s %.1f dB); with denoise %.1f s "
                  "(worst %.1f dB); with a 100 ms tail %.1f s (worst %.1f dB); with zc_aec_reset() at the "
                  "change %.1f s (worst %.1f dB)",
                  reconv_a, worst_a, erle_db (a->near_in, a->out, at_s (8), a->n), reconv_b, worst_b, reconv_d,
                  worst_d, reconv_c, worst_c);
  /* The change must have hurt, or this test measures nothing. */
  g_assert_cmpfloat (worst_a, <, 10);
  g_assert_cmpfloat (reconv_a, <=, 4.0);
  g_assert_cmpfloat (reconv_b, <=, 4.0);
  g_assert_cmpfloat (reconv_d, <=, 4.0);
  g_assert_cmpfloat (reconv_c, <=, 2.0);
}

/* WebRTC's canceller (the default) is told the echo delay that aec-webrtc.cc
 * measures.  An echo 250 ms behind the reference is beyond the 128 ms its
 * filter covers from a delay of 0 (what its delay-agnostic mode started
 * from, for its first 15 s), and at 5 s the path changes to 60 ms.  The
 * delay found must be the path's, within 15 ms (the room's taps and the
 * 5 ms steps), by 1.5 s after each start; the echo 20 dB down from 2 s to
 * the change, and again within 0.5 s of it (issue 13 wants 1 s live; this
 * took 0.80 s while WebRTC moved its filter itself, 250 ms after it was
 * told, and takes 0.30 s with the reference delayed here). */
static void
test_aec_webrtc_delay (void)
{
  const ZcAecConfig webrtc = { .kind = ZC_AEC_WEBRTC, .rate_hz = AEC_RATE_HZ, .echo_cancel = TRUE };
  Scenario sc = steady;
  g_autoptr (Run) a = NULL;
  gdouble worst, reconv, before;
  gint d1, d2;

  sc.delay_ms = 250;
  sc.delay_after_ms = 60;
  sc.change_at_s = 5;
  a = run_scenario (&webrtc, &sc);
  d1 = a->delay_ms[150];
  d2 = a->delay_ms[650];
  before = erle_db (a->near_in, a->out, at_s (2), at_s (5));
  reconv = reconvergence_s (a, 5, 20, &worst);
  g_test_message ("webrtc: delay found %d ms at 1.5 s (path 250 ms), %d ms at 6.5 s (path 60 ms from 5 s); "
                  "ERLE 2-5 s %.1f dB; after the change, every later 100 ms window >= 20 dB from %.2f s on "
                  "(worst %.1f dB)",
                  d1, d2, before, reconv, worst);
  g_assert_cmpint (ABS (d1 - 250), <=, 15);
  g_assert_cmpint (ABS (d2 - 60), <=, 15);
  g_assert_cmpfloat (before, >=, 20);
  g_assert_cmpfloat (reconv, <=, 0.5);
}

/* How long after @change_s until the delay reported stays within 15 ms of
 * @path_ms, in seconds (the run's length if it never settles there). */
static gdouble
delay_settled_s (const Run *run, gdouble change_s, gint path_ms)
{
  gsize frames = run->n / (AEC_RATE_HZ / 100), from = frames;

  for (gsize f = frames; f > (gsize) (change_s * 100) && ABS (run->delay_ms[f - 1] - path_ms) <= 15; f--)
    from = f - 1;
  return from / 100.0 - change_s;
}

/* Frames from 1.5 s on whose delay is neither @before_ms (any time) nor
 * @after_ms (from @change_s on), within 15 ms; *@first: the first such. */
static guint
wrong_delays (const Run *run, gdouble change_s, gint before_ms, gint after_ms, gint *first)
{
  guint wrong = 0;

  *first = 0;
  for (gsize f = 150; f < run->n / (AEC_RATE_HZ / 100); f++) {
    gint d = run->delay_ms[f];

    if (ABS (d - before_ms) > 15 && (f < change_s * 100 || ABS (d - after_ms) > 15) && wrong++ == 0)
      *first = d;
  }
  return wrong;
}

/* Back to a shorter path: 150 -> 50 ms at 5 s, the change that was slow
 * live (issue 13: 1.0 to 1.85 s in echo-speech.test).  The filter sits
 * behind the new echo, so it cancels nothing until the new delay is found
 * and applied; what is timed is how soon the delay is found, since on this
 * synthetic speech WebRTC's suppressor keeps the 50 and 150 ms paths' own
 * ERLE around 25-30 dB with single 100 ms windows down to 15 dB, so a
 * 20 dB "every window" time says nothing here (the 250 ms path above, at
 * 52 dB, is where that is timed).  The old estimator, which had to see the
 * new echo in most of its 600 ms window, found it 0.49 s after the change.
 * Then the same with a near-end talker as loud as the echo, from 2.5 to
 * 3.3 s (steady path) and from 4.7 to 5.5 s (across the change): no delay
 * but the two paths' may ever be reported (a short window alone picked
 * wrong ones in double talk), and the new one must still be found soon.
 * Last, 50 -> 150 ms with no echo for 0.1 s at the change, as when a sound
 * server reloads its loopback (echo-speech.test): the gap must not be taken
 * for an echo of some far-end pause (the old estimator reported 295 ms for
 * 0.6 s). */
static void
test_aec_webrtc_delay_back (void)
{
  const ZcAecConfig webrtc = { .kind = ZC_AEC_WEBRTC, .rate_hz = AEC_RATE_HZ, .echo_cancel = TRUE };
  Scenario sc = steady;
  g_autoptr (Run) a = NULL;
  g_autoptr (Run) b = NULL;
  g_autoptr (Run) c = NULL;
  gdouble found_a, found_b, found_c, after_a, loss_db, loss_change_db;
  guint wrong, wrong_c;
  gint first_wrong, first_wrong_c;

  sc.delay_ms = 150;
  sc.delay_after_ms = 50;
  sc.change_at_s = 5;
  a = run_scenario (&webrtc, &sc);
  found_a = delay_settled_s (a, 5, 50);
  after_a = erle_db (a->near_in, a->out, at_s (5.5), at_s (7));

  sc.talk_from_s = 2.5;
  sc.talk_to_s = 3.3;
  sc.talk2_from_s = 4.7;
  sc.talk2_to_s = 5.5;
  b = run_scenario (&webrtc, &sc);
  wrong = wrong_delays (b, 5, 150, 50, &first_wrong);

  sc = steady;
  sc.delay_ms = 50;
  sc.delay_after_ms = 150;
  sc.change_at_s = 5;
  sc.gap_s = 0.1;
  c = run_scenario (&webrtc, &sc);
  wrong_c = wrong_delays (c, 5, 50, 150, &first_wrong_c);
  found_c = delay_settled_s (c, 5, 150);
  found_b = delay_settled_s (b, 5, 50);
  loss_db = 20 * log10 (rms (b->talk, at_s (2.5), at_s (3.3)) / rms (b->out, at_s (2.5), at_s (3.3)));
  loss_change_db = 20 * log10 (rms (b->talk, at_s (5.0), at_s (5.5)) / rms (b->out, at_s (5.0), at_s (5.5)));
  g_test_message ("webrtc, 150 -> 50 ms at 5 s: the new delay found %.2f s after the change, ERLE 0.5-2 s after it "
                  "%.1f dB; with a near-end talker 2.5-3.3 and 4.7-5.5 s: found %.2f s after it, %u frames with "
                  "a wrong delay (first %d ms), talker %.1f dB lower on the steady path, %.1f dB across the change; "
                  "50 -> 150 ms with a 0.1 s gap: found %.2f s after it, %u frames with a wrong delay (first %d ms)",
                  found_a, after_a, found_b, wrong, first_wrong, loss_db, loss_change_db, found_c, wrong_c,
                  first_wrong_c);
  g_assert_cmpint (ABS (a->delay_ms[490] - 150), <=, 15);
  g_assert_cmpfloat (found_a, <=, 0.35);
  g_assert_cmpfloat (after_a, >=, 25);
  g_assert_cmpuint (wrong, ==, 0);
  g_assert_cmpfloat (found_b, <=, 0.4);
  g_assert_cmpuint (wrong_c, ==, 0);
  g_assert_cmpfloat (found_c, <=, 0.45);
}

/* Double talk, the easy half: once the filter has converged on the far
 * end, a near-end talker in a far-end pause must come through.  Far end
 * silent from 4 to 7 s, a 1 kHz tone at the near end from 5 to 6 s. */
static void
test_aec_double_talk (void)
{
  const ZcAecConfig canceller = { .rate_hz = AEC_RATE_HZ, .echo_cancel = TRUE };
  const ZcAecConfig full = { .rate_hz = AEC_RATE_HZ, .echo_cancel = TRUE, .denoise = TRUE };
  const ZcAecConfig *configs[] = { &canceller, &full };
  Scenario sc = steady;

  sc.far_mute_from_s = 4;
  sc.far_mute_to_s = 7;
  sc.tone_from_s = 5;
  sc.tone_to_s = 6;
  for (gsize i = 0; i < G_N_ELEMENTS (configs); i++) {
    g_autoptr (Run) run = run_scenario (configs[i], &sc);
    /* Skip the first 100 ms of the tone: the suppressor's decision takes a
     * few frames, and a ramp-in there is no loss of speech. */
    gsize from = at_s (5.1), to = at_s (6.0);
    gdouble loss_db = 20 * log10 (rms (run->near_in, from, to) / rms (run->out, from, to));
    guint speech = 0, quiet = 0;

    for (gsize f = 510; f < 600; f++)
      speech += run->vad[f];
    for (gsize f = 450; f < 500; f++)
      quiet += run->vad[f];
    g_test_message ("near-end tone in a far-end pause (%s): %.2f dB lost; VAD speech in %u/90 tone frames, "
                    "%u/50 silent frames",
                    configs[i]->denoise ? "with denoise" : "no denoise", loss_db, speech, quiet);
    g_assert_cmpfloat (loss_db, <, 3);
    g_assert_cmpuint (speech, >=, 80);
    g_assert_cmpuint (quiet, <=, 5);
  }
}

/* out may be capture; NULL playback is silence. */
static void
test_aec_in_place_and_no_reference (void)
{
  const ZcAecConfig config = { .rate_hz = 8000, .echo_cancel = TRUE, .denoise = TRUE, .agc = TRUE };
  g_autoptr (GError) error = NULL;
  g_autoptr (ZcAec) a = zc_aec_new (&config, &error);
  g_autoptr (ZcAec) b = zc_aec_new (&config, &error);
  gint16 capture[80], in_place[80], out[80], zeros[80] = { 0 };

  g_assert_no_error (error);
  g_assert_cmpuint (zc_aec_get_frame_size (a), ==, 80);
  for (guint f = 0; f < 50; f++) {
    sine (capture, 80, 440 + f, 8000, 2000);
    memcpy (in_place, capture, sizeof (capture));
    (void) zc_aec_process (a, in_place, NULL, in_place);
    (void) zc_aec_process (b, capture, zeros, out);
    g_assert_cmpmem (in_place, sizeof (in_place), out, sizeof (out));
  }
  g_assert_cmpuint (zc_aec_get_reset_count (a), ==, 0);
  zc_aec_reset (a);
  g_assert_cmpuint (zc_aec_get_reset_count (a), ==, 1);
}

/* The echo path goes away (a headset is plugged in) just as the near end
 * starts a steady sound that never pauses: speexdsp takes it for double
 * talk and all but stops adapting, so the filter it learned would keep
 * playing the far end's tone back to it (-18 dB at 8 kHz without the
 * divergence guard, aec.c).  With the guard the far end's tone must stay
 * 35 dB under the near end's in every second after the change. */
static void
check_path_gone (guint rate_hz)
{
  const ZcAecConfig config = { .rate_hz = rate_hz, .echo_cancel = TRUE, .denoise = TRUE };
  g_autoptr (GError) error = NULL;
  g_autoptr (ZcAec) aec = zc_aec_new (&config, &error);
  const gdouble far_hz = 1600, near_hz = 1000, change_s = 3;
  gsize n = 8 * rate_hz, delay = rate_hz / 20, frame;
  g_autofree gint16 *far = g_new (gint16, n);
  g_autofree gint16 *mic = g_new (gint16, n);
  g_autofree gint16 *out = g_new (gint16, n);

  g_assert_no_error (error);
  frame = zc_aec_get_frame_size (aec);
  sine (far, n, far_hz, rate_hz, 10000);
  for (gsize i = 0; i < n; i++) {
    if (i < change_s * rate_hz)
      mic[i] = i >= delay ? far[i - delay] / 2 : 0;
    else
      mic[i] = clip16 (10000 * sin (2 * G_PI * near_hz * (gdouble) i / rate_hz));
  }
  for (gsize at = 0; at + frame <= n; at += frame)
    zc_aec_process (aec, mic + at, far + at, out + at);

  g_test_message ("%u Hz: %u frames guarded, %u resets", rate_hz, zc_aec_get_diverged_frames (aec),
                  zc_aec_get_reset_count (aec));
  for (guint s = change_s; s < 8; s++) {
    gdouble leak = goertzel_power (out + s * rate_hz, rate_hz, far_hz, rate_hz);
    gdouble near = goertzel_power (out + s * rate_hz, rate_hz, near_hz, rate_hz);
    gdouble leak_db = 10 * log10 ((leak + 1) / (near + 1));

    g_test_message ("%u Hz, second %u: far tone %.1f dB under the near one", rate_hz, s, -leak_db);
    g_assert_cmpfloat (leak_db, <=, -35);
  }
}

static void
test_aec_path_gone (void)
{
  check_path_gone (8000);
  check_path_gone (16000);
  check_path_gone (48000);
}

static void
test_aec_config_errors (void)
{
  static const ZcAecConfig bad[] = {
    { .rate_hz = 0 },
    { .rate_hz = 44110 },
    { .rate_hz = 96000 },
    { .rate_hz = 16000, .tail_ms = 5 },
    { .rate_hz = 16000, .tail_ms = 5000 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;

    g_assert_null (zc_aec_new (&bad[i], &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/resample/44100-48000", test_resample_44100_48000);
  g_test_add_func ("/resample/pairs", test_resample_pairs);
  g_test_add_func ("/resample/errors", test_resample_errors);
  g_test_add_func ("/aec/steady-state", test_aec_steady_state);
  g_test_add_func ("/aec/pass-through", test_aec_pass_through);
  g_test_add_func ("/aec/path-change", test_aec_path_change);
  g_test_add_func ("/aec/double-talk", test_aec_double_talk);
  g_test_add_func ("/aec/webrtc-delay", test_aec_webrtc_delay);
  g_test_add_func ("/aec/webrtc-delay-back", test_aec_webrtc_delay_back);
  g_test_add_func ("/aec/in-place-and-no-reference", test_aec_in_place_and_no_reference);
  g_test_add_func ("/aec/path-gone", test_aec_path_gone);
  g_test_add_func ("/aec/config-errors", test_aec_config_errors);
  return g_test_run ();
}
