/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The echo canceller on speech, offline and deterministic.
 *
 * Tones are an easy case (tests/net/voice.test measured 47 to 75 dB with
 * them while live speech got 1 to 2 dB), so the far and near ends here are
 * espeak-ng voices, rendered at test time and resampled to the engine's
 * 48 kHz with the engine's converter.  The canceller is fed as the audio
 * engine feeds it (audio/engine.c): 10 ms frames at the codec rate, and a
 * reference that the engine's priming (playback fill + capture period -
 * REFERENCE_MARGIN_MS) puts REFERENCE_MARGIN_MS ahead of the device path,
 * so the echo of reference sample r reaches the canceller
 * margin + acoustic delay later -- more when the capture clock runs fast
 * against the playback clock (drift).
 *
 * Figures, printed with g_test_message() and asserted against the issue's
 * targets: ERLE over 100 ms blocks of far-end speech from 2 s on (median
 * and 5th percentile), the attenuation of near-end speech during double
 * talk, reconvergence after an echo-path change, and what comes back when
 * there is no echo at all. */
#include "config.h"

#include "audio/aec.h"
#include "audio/resample.h"

#include <math.h>
#include <string.h>

#define RATE_HZ 48000
#define BLOCK (RATE_HZ / 10)   /* 100 ms measurement blocks */
#define SECONDS 16
/* audio/engine.c's REFERENCE_MARGIN_MS: how far ahead of the device path
 * the engine primes the reference. */
#define MARGIN_MS 30
#define ESPEAK_RATE_HZ 22050
/* speexdsp's preprocessor hands each frame out one frame late (its
 * overlap-add), samples. */
#define LATENCY (RATE_HZ / 100)

static const gchar far_text[] =
  "The quick brown fox jumps over the lazy dog. Please call me back when you get this message. "
  "We will meet at the station at half past nine, and then we take the train to the coast. "
  "Seven hundred and forty two people answered the survey in the first week.";
static const gchar near_text[] =
  "Hello, can you hear me now? I think the line is much better than it was yesterday. "
  "Tell me when you are ready and I will read the numbers again slowly.";

/* ---- speech ---------------------------------------------------------- */

/* espeak-ng's output for @text with @voice, at RATE_HZ, peak at -6 dBFS,
 * padded with silence or cut to SECONDS; NULL when espeak-ng cannot be
 * run. */
static gint16 *
speak (const gchar *voice, const gchar *pitch, const gchar *text)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                                                   &error, "espeak-ng", "--stdout", "-v", voice, "-p", pitch, "-s",
                                                   "155", text, NULL);
  g_autoptr (GBytes) wav = NULL;
  g_autoptr (ZcResampler) r = NULL;
  const guint8 *data;
  gsize len, n_out = 0, n = SECONDS * RATE_HZ;
  gint16 *out;
  gint peak = 1;

  if (proc == NULL || !g_subprocess_communicate (proc, NULL, NULL, &wav, NULL, &error)
      || !g_subprocess_get_successful (proc))
    return NULL;
  data = g_bytes_get_data (wav, &len);
  /* A 44-byte RIFF header at 22050 Hz; to a pipe espeak-ng leaves the
   * sizes unset, so the samples run to the end. */
  if (len < 44 + 2 || memcmp (data, "RIFF", 4) != 0 || data[24] + 256 * data[25] != ESPEAK_RATE_HZ % 65536)
    return NULL;
  r = zc_resampler_new (ESPEAK_RATE_HZ, RATE_HZ, ZC_RESAMPLER_QUALITY_VOIP, 441, &error);
  g_assert_no_error (error);
  out = g_new0 (gint16, n + zc_resampler_get_max_out (r));
  for (gsize at = 44; at + 2 <= len && n_out < n;) {
    gint16 chunk[441];
    guint k = 0;

    for (; k < G_N_ELEMENTS (chunk) && at + 2 <= len; k++, at += 2)
      chunk[k] = (gint16) (data[at] | data[at + 1] << 8);
    n_out += zc_resampler_process (r, chunk, k, out + n_out);
  }
  for (gsize i = 0; i < n; i++)
    peak = MAX (peak, ABS (out[i]));
  for (gsize i = 0; i < n; i++)
    out[i] = (gint16) (i < n_out ? out[i] * 16384 / peak : 0);
  return out;
}

/* ---- the room -------------------------------------------------------- */

typedef struct {
  guint path_ms;          /* acoustic delay, speaker to microphone */
  gdouble path_after_ms;  /* after change_at_s */
  gdouble change_at_s;    /* > SECONDS: no change */
  gdouble drift_ppm;      /* capture clock against playback clock */
  gboolean double_talk;   /* a near-end talker too */
  gboolean no_echo;       /* nothing from the speaker reaches the microphone */
  gboolean tones;         /* 440 Hz far, 1 kHz near instead of speech */
  gdouble floor_median_db; /* what test_speech_echo() asserts */
  gboolean meets_targets;  /* ... and the targets too */
  gboolean reset_on_change; /* zc_aec_reset() at change_at_s, as the engine does on re-priming */
} Scenario;

/* Early reflections, about -6 dB overall (tests/unit/test-aec.c's room). */
static const gdouble room[] = { 0.5, 0.15, -0.08, 0.04 };

typedef struct {
  gsize n;
  gint16 *far;      /* the reference, as the engine hands it over */
  gint16 *echo;     /* the echo part of the microphone signal */
  gint16 *near;     /* the near-end talker part */
  gint16 *mic;      /* echo + near + hiss */
  gint16 *out;
  guint resets, diverged;
  ZcAecStats stats;
} Run;

static void
run_free (Run *run)
{
  g_free (run->far);
  g_free (run->echo);
  g_free (run->near);
  g_free (run->mic);
  g_free (run->out);
  g_free (run);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Run, run_free)

static gint16
clip16 (gdouble v)
{
  return (gint16) CLAMP (lrint (v), G_MININT16, G_MAXINT16);
}

/* @x at the fractional position @pos: a Hann-windowed sinc over 32
 * samples, flat to well past speech. */
static gdouble
interpolate (const gint16 *x, gsize n, gdouble pos)
{
  glong base = (glong) floor (pos);
  gdouble frac = pos - (gdouble) base, sum = 0;

  if (frac < 1e-9)
    return base >= 0 && (gsize) base < n ? x[base] : 0;
  for (glong k = -15; k <= 16; k++) {
    glong at = base + k;
    gdouble t = (gdouble) k - frac;
    gdouble w = 0.5 + 0.5 * cos (G_PI * t / 17);

    if (at >= 0 && (gsize) at < n)
      sum += x[at] * w * sin (G_PI * t) / (G_PI * t);
  }
  return sum;
}

static gint16 *far_speech, *near_speech;

static Run *
run_scenario (const ZcAecConfig *config, const Scenario *sc)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ZcAec) aec = zc_aec_new (config, &error);
  g_autoptr (GRand) rand = g_rand_new_with_seed (77);
  g_autofree gdouble *raw = NULL;
  Run *run = g_new0 (Run, 1);
  guint frame;

  g_assert_no_error (error);
  frame = zc_aec_get_frame_size (aec);
  g_assert_cmpuint (frame, ==, RATE_HZ / 100);
  run->n = SECONDS * RATE_HZ;
  run->far = g_new0 (gint16, run->n);
  run->echo = g_new0 (gint16, run->n);
  run->near = g_new0 (gint16, run->n);
  run->mic = g_new0 (gint16, run->n);
  run->out = g_new0 (gint16, run->n);
  raw = g_new0 (gdouble, run->n);

  for (gsize i = 0; i < run->n; i++) {
    gdouble t = (gdouble) i / RATE_HZ;

    if (sc->tones) {
      /* With no echo path, a near-end tone beside the far end's (the
       * issue's "heard her own tone" calls); with one, voice.test's far
       * 1 kHz alone. */
      run->far[i] = clip16 (8000 * sin (2 * G_PI * (sc->no_echo ? 440 : 1000) * t));
      run->near[i] = sc->no_echo ? clip16 (3000 * sin (2 * G_PI * 1000 * t)) : 0;
    } else {
      run->far[i] = far_speech[i];
      /* The near end starts talking at 6 s, over the far end. */
      run->near[i] = sc->double_talk && i >= 6 * RATE_HZ ? near_speech[i - 6 * RATE_HZ] : 0;
    }
  }
  /* What the microphone samples at capture index j left the speaker
   * margin + path earlier on the capture clock; on the playback clock
   * that is reference position (j - lag) / (1 + drift). */
  for (gsize j = 0; j < run->n && !sc->no_echo; j++) {
    gdouble t = (gdouble) j / RATE_HZ;
    gdouble path_ms = t < sc->change_at_s ? sc->path_ms : sc->path_after_ms;
    gdouble lag = (MARGIN_MS + path_ms) * RATE_HZ / 1000;

    raw[j] = interpolate (run->far, run->n, ((gdouble) j - lag) / (1 + sc->drift_ppm * 1e-6));
  }
  for (gsize j = 0; j < run->n; j++) {
    gdouble e = 0;

    for (gsize k = 0; k < G_N_ELEMENTS (room) && k <= j; k++)
      e += room[k] * raw[j - k];
    run->echo[j] = clip16 (e);
    /* A quiet microphone: about -90 dBFS of hiss. */
    run->mic[j] = clip16 (e + run->near[j] + g_rand_double_range (rand, -1.7, 1.7));
  }
  /* The engine's reference ring, never dry: it hands over what the
   * canceller asks for. */
  for (gsize at = 0, ref_at = 0; at + frame <= run->n; at += frame) {
    guint wanted;

    if (sc->reset_on_change && at == (gsize) (sc->change_at_s * RATE_HZ))
      zc_aec_reset (aec);
    wanted = zc_aec_get_reference_wanted (aec);
    g_assert_cmpuint (wanted, <=, ZC_AEC_MAX_REFERENCE (frame));
    zc_aec_process (aec, run->mic + at, ref_at + wanted <= run->n ? run->far + ref_at : NULL, run->out + at);
    ref_at += wanted;
  }
  zc_aec_get_stats (aec, &run->stats);
  run->resets = zc_aec_get_reset_count (aec);
  run->diverged = zc_aec_get_diverged_frames (aec);
  return run;
}

/* ---- measurements ---------------------------------------------------- */

static gdouble
energy (const gint16 *x, gsize from, gsize to)
{
  gdouble e = 0;

  for (gsize i = from; i < to; i++)
    e += (gdouble) x[i] * x[i];
  return e;
}

static gint
compare_double (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return x < y ? -1 : x > y;
}

/* The @p quantile (0..1) of @v, sorted in place. */
static gdouble
quantile (GArray *v, gdouble p)
{
  g_assert_cmpuint (v->len, >, 0);
  g_array_sort (v, compare_double);
  return g_array_index (v, gdouble, (guint) MIN (v->len - 1, floor (p * v->len)));
}

typedef struct {
  gdouble median, p5;   /* ERLE over far-end speech blocks, dB */
  guint blocks;
  gdouble near_loss_db; /* median loss of near-end speech in double talk */
  guint dt_blocks;
} Figures;

/* ERLE over the 100 ms blocks in [@from_s, @to_s) that hold far-end
 * speech (echo within 30 dB of the loudest block) and no near-end
 * talker; and, over blocks where both talk, how much of the near-end
 * talker the output kept (its projection on the near-end signal). */
static Figures
measure (const Run *run, gdouble from_s, gdouble to_s)
{
  g_autoptr (GArray) erle = g_array_new (FALSE, FALSE, sizeof (gdouble));
  g_autoptr (GArray) loss = g_array_new (FALSE, FALSE, sizeof (gdouble));
  gdouble loudest = 0;
  Figures f = { 0 };

  for (gsize at = 0; at + BLOCK <= run->n; at += BLOCK)
    loudest = MAX (loudest, energy (run->echo, at, at + BLOCK));
  for (gsize at = (gsize) (from_s * RATE_HZ); at + BLOCK + LATENCY <= MIN ((gsize) (to_s * RATE_HZ), run->n);
       at += BLOCK) {
    gdouble e_echo = energy (run->echo, at, at + BLOCK);
    gdouble e_near = energy (run->near, at, at + BLOCK);
    gdouble v;

    if (e_echo < loudest * 1e-3)
      continue;
    if (e_near < e_echo * 1e-4) {
      v = 10 * log10 (energy (run->mic, at, at + BLOCK) / (energy (run->out, at + LATENCY, at + LATENCY + BLOCK) + 1));
      g_array_append_val (erle, v);
    } else if (e_near > e_echo * 0.1) {
      gdouble dot = 0;

      for (gsize i = at; i < at + BLOCK; i++)
        dot += (gdouble) run->out[i + LATENCY] * run->near[i];
      v = -20 * log10 (MAX (dot / e_near, 1e-6));
      g_array_append_val (loss, v);
    }
  }
  f.blocks = erle->len;
  if (erle->len > 0) {
    f.median = quantile (erle, 0.5);
    f.p5 = quantile (erle, 0.05);
  }
  f.dt_blocks = loss->len;
  if (loss->len > 0)
    f.near_loss_db = quantile (loss, 0.5);
  return f;
}

/* ---- tests ----------------------------------------------------------- */

/* The defaults (zcall.conf(5) [audio]): denoise=true also runs speexdsp's
 * residual echo suppressor at full strength (aec.c). */
static const ZcAecConfig shipped = { .rate_hz = RATE_HZ, .echo_cancel = TRUE, .denoise = TRUE };

static gboolean
have_speech (void)
{
  if (far_speech == NULL) {
    g_test_skip ("espeak-ng cannot be run (tools/install-deps --test installs it)");
    return FALSE;
  }
  return TRUE;
}

/* What a desk phone's canceller should reach: median ERLE over 100 ms blocks of
 * far-end speech from 2 s on, 95 % of those blocks, the most near-end
 * speech may lose in double talk, and reconvergence after a path change. */
#define TARGET_MEDIAN_DB 30.0
#define TARGET_P5_DB 20.0
#define TARGET_NEAR_LOSS_DB 6.0
#define TARGET_RECONVERGE_S 1.0

/* Echo paths of 50 and 150 ms at -6 dB, with and without 200 ppm of drift,
 * with and without a near-end talker from 6 s on.  Each case asserts the
 * floor its figures were measured at (with a margin), which the canceller
 * before the speech fixes fails by 10 to 30 dB; a case short of the
 * targets is reported incomplete, with its figures, rather than passed. */
static void
test_speech_echo (gconstpointer data)
{
  const Scenario *sc = data;
  g_autoptr (Run) run = NULL;
  Figures f;

  if (!have_speech ())
    return;
  run = run_scenario (&shipped, sc);
  f = measure (run, 2, SECONDS);
  g_test_message ("speech echo, path %u ms, drift %.0f ppm%s: ERLE median %.2f dB, 5th percentile %.2f dB "
                  "over %u blocks; near-end loss in double talk %.2f dB over %u blocks; %u resets, %u frames "
                  "replaced by the guard; the canceller's own figures: echo at %.1f ms, drift %.0f ppm, "
                  "ERLE %.1f dB",
                  sc->path_ms, sc->drift_ppm, sc->double_talk ? ", double talk" : "", f.median, f.p5, f.blocks,
                  f.near_loss_db, f.dt_blocks, run->resets, run->diverged, run->stats.echo_delay_ms,
                  run->stats.drift_ppm, run->stats.erle_db);
  g_assert_cmpuint (f.blocks, >=, 40);
  g_assert_cmpfloat (f.median, >=, sc->floor_median_db);
  g_assert_cmpuint (run->resets, ==, 0);
  g_assert_true (run->stats.locked);
  g_assert_cmpfloat (fabs (run->stats.echo_delay_ms - MARGIN_MS - sc->path_ms), <, 2);
  g_assert_cmpfloat (fabs (run->stats.drift_ppm - sc->drift_ppm), <, 60);
  if (sc->double_talk) {
    g_assert_cmpuint (f.dt_blocks, >=, 10);
    g_assert_cmpfloat (f.near_loss_db, <=, TARGET_NEAR_LOSS_DB);
  }
  if (sc->meets_targets) {
    g_assert_cmpfloat (f.median, >=, TARGET_MEDIAN_DB);
    g_assert_cmpfloat (f.p5, >=, TARGET_P5_DB);
  } else if (f.median < TARGET_MEDIAN_DB || f.p5 < TARGET_P5_DB) {
    g_test_incomplete ("short of the targets (median >= 30 dB, 95 % of blocks >= 20 dB)");
  }
}

/* The echo path moves from 50 to 150 ms at 8 s: within 1 s every 500 ms
 * of far-end speech must be 20 dB down again. */
static gdouble
reconverge (const Scenario *sc, gdouble *worst_out)
{
  g_autoptr (Run) run = run_scenario (&shipped, sc);
  gdouble back_s = 0, worst = G_MAXDOUBLE;

  for (gdouble from = 8; from + 0.5 <= SECONDS; from += 0.1) {
    Figures f = measure (run, from, from + 0.5);

    if (f.blocks < 2)
      continue;
    worst = MIN (worst, f.median);
    if (f.median < 20)
      back_s = from + 0.5 - 8;
  }
  *worst_out = worst;
  return back_s;
}

/* An xrun: the engine re-primes the reference, a little off where it was
 * or not at all, at 8 s.  Resetting the filter costs 0.8 s of echo even
 * when nothing moved, so the engine keeps the filter when the primed delay
 * is the same (audio/engine.c loop_reprime()); and the drift tracker must
 * not take the filter's slide to a new alignment for drift (it did, and
 * the echo never came back within 8 s). */
static void
test_speech_reprime (void)
{
  static const struct {
    gdouble moved_ms;
    gboolean reset;
    gdouble max_s;
  } cases[] = {
    { 0, FALSE, 0.1 }, { 0, TRUE, 1.5 }, { 0.5, FALSE, 3.5 }, { 1, FALSE, 3.5 }, { 0.5, TRUE, 3.5 },
    { 1, TRUE, 3.5 }, { 2, TRUE, 3.5 },
  };

  if (!have_speech ())
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    Scenario sc = { .path_ms = 50, .path_after_ms = 50 + cases[i].moved_ms, .change_at_s = 8,
                    .reset_on_change = cases[i].reset };
    gdouble worst, back_s = reconverge (&sc, &worst);

    g_test_message ("re-primed at 8 s, %.1f ms off, %s: every later 500 ms of far-end speech >= 20 dB after "
                    "%.1f s (worst %.1f dB)",
                    cases[i].moved_ms, cases[i].reset ? "filter reset" : "filter kept", back_s, worst);
    g_assert_cmpfloat (back_s, <=, cases[i].max_s);
  }
}

static void
test_speech_path_change (void)
{
  Scenario sc = { .path_ms = 50, .path_after_ms = 150, .change_at_s = 8 };
  gdouble worst, back_s;

  if (!have_speech ())
    return;
  back_s = reconverge (&sc, &worst);
  g_test_message ("echo path 50 -> 150 ms at 8 s: every later 500 ms of far-end speech >= 20 dB after %.1f s "
                  "(worst %.1f dB)", back_s, worst);
  g_assert_cmpfloat (worst, <, 10); /* the change hurt, or this measures nothing */
  /* Measured 3.7 s (7.2 s before the speech fixes); the target is 1 s. */
  g_assert_cmpfloat (back_s, <=, 4.5);
  if (back_s > TARGET_RECONVERGE_S)
    g_test_incomplete ("short of the target: reconvergence within 1 s");
}

/* Never worse than no canceller: with no echo path, the far end must not
 * come back.  Speech: the output of any block is no louder than the
 * microphone's.  Tones (voice.test's case): the far end's 440 Hz is not in
 * the output beside the near end's 1 kHz. */
static void
test_no_echo (gconstpointer data)
{
  const Scenario *sc = data;
  g_autoptr (Run) run = NULL;
  gdouble worst = -G_MAXDOUBLE;

  if (!sc->tones && !have_speech ())
    return;
  run = run_scenario (&shipped, sc);
  for (gsize at = RATE_HZ / 2; at + BLOCK + LATENCY <= run->n; at += BLOCK) {
    gdouble v;

    if (sc->tones) {
      /* 440 Hz power through a 100 ms window, against the far end's. */
      gdouble re = 0, im = 0, fre = 0, fim = 0;

      for (gsize i = at; i < at + BLOCK; i++) {
        gdouble ph = 2 * G_PI * 440 * (gdouble) i / RATE_HZ;

        re += run->out[i] * cos (ph), im += run->out[i] * sin (ph);
        fre += run->far[i] * cos (ph), fim += run->far[i] * sin (ph);
      }
      v = 10 * log10 ((re * re + im * im + 1) / (fre * fre + fim * fim));
    } else {
      v = 10 * log10 ((energy (run->out, at + LATENCY, at + LATENCY + BLOCK) + BLOCK) / (energy (run->mic, at, at + BLOCK) + BLOCK));
    }
    worst = MAX (worst, v);
  }
  g_test_message ("no echo path (%s): worst 100 ms block %+.1f dB %s; %u resets, %u frames replaced",
                  sc->tones ? "tones" : "speech", worst,
                  sc->tones ? "of the far end's tone in the output" : "output against microphone", run->resets,
                  run->diverged);
  if (sc->tones)
    g_assert_cmpfloat (worst, <=, -60);
  else
    g_assert_cmpfloat (worst, <=, 0.5);
}

/* Floors: measured, less about 3 dB.  The canceller before the speech fixes
 * measured 2.6 to 27.5 dB median, 0.3 to 1.7 dB 5th percentile and 5 to 18
 * resets in these cases.  Without drift the targets are met and
 * asserted; with drift they are not yet (the filter takes seconds to
 * settle once the drift is found). */
static const Scenario cases[] = {
  { .path_ms = 50, .change_at_s = 1e9, .floor_median_db = 40, .meets_targets = TRUE },
  { .path_ms = 150, .change_at_s = 1e9, .floor_median_db = 38, .meets_targets = TRUE },
  { .path_ms = 50, .change_at_s = 1e9, .drift_ppm = 200, .floor_median_db = 35 },
  { .path_ms = 150, .change_at_s = 1e9, .drift_ppm = 200, .floor_median_db = 18 },
  { .path_ms = 50, .change_at_s = 1e9, .double_talk = TRUE, .floor_median_db = 39, .meets_targets = TRUE },
  { .path_ms = 150, .change_at_s = 1e9, .double_talk = TRUE, .floor_median_db = 34, .meets_targets = TRUE },
  { .path_ms = 50, .change_at_s = 1e9, .drift_ppm = 200, .double_talk = TRUE, .floor_median_db = 19 },
  { .path_ms = 150, .change_at_s = 1e9, .drift_ppm = 200, .double_talk = TRUE, .floor_median_db = 17 },
};
/* voice.test's case: a steady tone and its echo.  A tone trains a filter
 * with a peak every period, which the drift tracker must not follow. */
static void
test_tone_echo (void)
{
  /* At 200 ppm both the old canceller and this one fall to 15 dB: the
   * filter a tone trains has a peak every period, and the drift tracker
   * cannot tell which is the echo. */
  for (gdouble drift = 0; drift <= 100; drift += 100) {
    Scenario sc = { .path_ms = 50, .change_at_s = 1e9, .tones = TRUE, .drift_ppm = drift };
    g_autoptr (Run) run = run_scenario (&shipped, &sc);
    Figures f = measure (run, 4, SECONDS);

    g_test_message ("tone echo, path 50 ms, drift %.0f ppm: ERLE median %.2f dB, 5th percentile %.2f dB over %u "
                    "blocks; drift found %.0f ppm, %u frames guarded",
                    drift, f.median, f.p5, f.blocks, run->stats.drift_ppm, run->diverged);
    g_assert_cmpfloat (f.median, >=, 30);
  }
}

static const Scenario no_echo_speech = { .no_echo = TRUE, .change_at_s = 1e9 };
static const Scenario no_echo_tones = { .no_echo = TRUE, .tones = TRUE, .change_at_s = 1e9 };

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  far_speech = speak ("en-us", "40", far_text);
  near_speech = speak ("en-gb", "75", near_text);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    const Scenario *sc = &cases[i];
    g_autofree gchar *path = g_strdup_printf ("/aec-speech/echo/%ums%s%s", sc->path_ms,
                                              sc->drift_ppm > 0 ? "-drift" : "",
                                              sc->double_talk ? "-double-talk" : "");

    g_test_add_data_func (path, sc, test_speech_echo);
  }
  g_test_add_func ("/aec-speech/path-change", test_speech_path_change);
  g_test_add_func ("/aec-speech/reprime", test_speech_reprime);
  g_test_add_func ("/aec-speech/tone-echo", test_tone_echo);
  g_test_add_data_func ("/aec-speech/no-echo/speech", &no_echo_speech, test_no_echo);
  g_test_add_data_func ("/aec-speech/no-echo/tones", &no_echo_tones, test_no_echo);
  ret = g_test_run ();
  g_free (far_speech);
  g_free (near_speech);
  return ret;
}
