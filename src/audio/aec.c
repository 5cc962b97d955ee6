/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "audio"

#include "config.h"

#include "audio/aec.h"

#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>

#include <math.h>
#include <string.h>

/* The voice activity hysteresis speexdsp's own VAD uses (its
 * SPEEX_PREPROCESS_SET_PROB_START / _CONTINUE defaults, in percent): a
 * frame starts speech above 35 % speech probability and continues it above
 * 20 %.  We apply it to SPEEX_PREPROCESS_GET_PROB ourselves instead of
 * enabling SPEEX_PREPROCESS_SET_VAD, which prints a warning to stderr on
 * every call set-up and decides nothing more. */
#define VAD_PROB_START_PERCENT 35
#define VAD_PROB_CONTINUE_PERCENT 20

/* Residual noise left by denoise=on, dB (speexdsp's default). */
#define DENOISE_SUPPRESS_DB (-15)

/* The divergence guard (see zc_aec_process()).  A cleaned frame with more
 * energy than the microphone frame it came from (beyond rounding: 1e-5 is
 * -50 dB, plus one LSB squared per sample) is the canceller adding what it
 * plays. */
#define DIVERGED_MARGIN 1.00001

/* Drift compensation (see align_update()).  The reference passes through
 * a fractional delay line: a windowed sinc of 2 * SINC_HALF taps in
 * SINC_PHASES phases, which delays it SINC_HALF + 1 samples more than the
 * engine primed. */
#define SINC_HALF 16
#define SINC_PHASES 256
/* How often the echo's delay is read from the filter, frames (250 ms). */
#define ALIGN_FRAMES 25
/* The echo's delay is the energy centroid of the filter within this many
 * taps of its peak tap. */
#define ALIGN_CENTROID 48
/* ... and a filter whose centroid window holds less than this share of
 * its energy has not found the echo yet. */
#define ALIGN_MIN_PEAK_SHARE 0.3
/* The regression of the delay over time: how much each reading weighs
 * against the one after (about 5 s of memory), how many readings before
 * its slope is trusted, and the most drift it will follow, ppm. */
#define ALIGN_FORGET 0.95
#define ALIGN_MIN_READINGS 4
#define ALIGN_MAX_PPM 1000.0
/* ... and the most the readings may stray from that line, samples (RMS). */
#define ALIGN_MAX_RESIDUAL 2.0
/* Readings ignored after zc_aec_reset() (see align_update()). */
#define ALIGN_HOLDOFF 16
/* A peak that moved more than this since the last reading is a new echo
 * path, not drift: follow it without steering, samples. */
#define ALIGN_JUMP 24
/* Reference frames below this mean energy per sample (about -60 dBFS) are
 * no evidence of where the echo is. */
#define ALIGN_MIN_POWER 1000.0
/* The ERLE estimate: energies smoothed over about 1 s of reference. */
#define ERLE_SMOOTH 0.99

struct _ZcAec {
  SpeexEchoState *echo;             /* NULL when echo-cancel=false */
  SpeexPreprocessState *preprocess; /* always: it makes the VAD decision */
  guint frame_size;                 /* samples per 10 ms */
  gboolean was_speech;              /* VAD hysteresis state */
  gint16 *silence;                  /* frame_size zeros, the reference when none is given */
  gint16 *work;                     /* frame_size samples, the frame being cleaned */
  guint resets;                     /* zc_aec_reset() calls, for statistics */
  /* The divergence guard's copy of the microphone frame, through the same
   * DC notch speexdsp applies to it before cancelling (mdf.c
   * filter_dc_notch16(), float build), so "more energy than the input" is
   * judged against what the canceller actually started from. */
  gint16 *notched;
  gfloat notch_radius;
  gfloat notch_mem[2];
  guint diverged_frames;            /* frames the guard replaced, for statistics */

  /* Drift compensation: the reference stream, what has been consumed of
   * it, and where the delay line reads it (a fractional index into that
   * stream) and how fast (step input samples per output sample). */
  gint16 *history;                  /* hist_mask + 1 samples, a ring */
  guint hist_mask;
  guint64 hist_in;                  /* samples written to history so far */
  gdouble pos;                      /* read position, in history samples */
  gdouble shift;                    /* how much the resampling has delayed the reference, samples */
  gdouble step;
  gint16 *aligned;                  /* frame_size samples, what the canceller gets */
  gint32 *impulse;                  /* the filter's impulse response, for its peak */
  gfloat *sinc;                     /* SINC_PHASES + 1 rows of 2 * SINC_HALF taps */
  guint impulse_len;
  guint align_count;                /* frames since the last reading */
  gdouble align_power;              /* reference energy since then */
  gboolean locked;                  /* the filter has shown where the echo is */
  gdouble peak_last;                /* where the filter's peak was last seen, samples */
  guint reg_n;                      /* readings in the regression since it started */
  guint holdoff;                    /* readings to ignore after a reset */
  gdouble reg_w, reg_t, reg_l, reg_tt, reg_tl, reg_ll; /* its weighted sums */
  gdouble erle_in, erle_out;        /* smoothed energies for the ERLE estimate */
};

ZcAec *
zc_aec_new (const ZcAecConfig *config, GError **error)
{
  ZcAec *aec;
  guint tail_ms = config->tail_ms != 0 ? config->tail_ms : ZC_AEC_DEFAULT_TAIL_MS;
  spx_int32_t on = 1, off = 0, rate, suppress_db;

  if (config->rate_hz < 8000 || config->rate_hz > 48000 || config->rate_hz % 100 != 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "echo canceller: rate %u Hz is not a multiple of 100 between 8000 and 48000", config->rate_hz);
    return NULL;
  }
  if (tail_ms < ZC_AEC_MIN_TAIL_MS || tail_ms > ZC_AEC_MAX_TAIL_MS) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "echo canceller: echo-tail-ms=%u is outside %u..%u", tail_ms, ZC_AEC_MIN_TAIL_MS,
                 ZC_AEC_MAX_TAIL_MS);
    return NULL;
  }

  aec = g_new0 (ZcAec, 1);
  aec->frame_size = config->rate_hz * ZC_AEC_FRAME_MS / 1000;
  aec->silence = g_new0 (gint16, ZC_AEC_MAX_REFERENCE (aec->frame_size));
  aec->work = g_new0 (gint16, aec->frame_size);
  aec->notched = g_new0 (gint16, aec->frame_size);
  /* speexdsp's radii for its DC notch (mdf.c, speex_echo_state_init_mc). */
  aec->notch_radius = config->rate_hz < 12000 ? 0.9f : config->rate_hz < 24000 ? 0.982f : 0.992f;
  rate = (spx_int32_t) config->rate_hz;

  if (config->echo_cancel) {
    spx_int32_t impulse_len = 0;
    guint hist = 1;

    aec->echo = speex_echo_state_init ((int) aec->frame_size, (int) (config->rate_hz * tail_ms / 1000));
    /* The default is 8000 Hz; the rate sets the canceller's internal
     * time constants and its DC notch. */
    speex_echo_ctl (aec->echo, SPEEX_ECHO_SET_SAMPLING_RATE, &rate);
    speex_echo_ctl (aec->echo, SPEEX_ECHO_GET_IMPULSE_RESPONSE_SIZE, &impulse_len);
    aec->impulse_len = (guint) impulse_len;
    aec->impulse = g_new0 (gint32, aec->impulse_len);
    aec->sinc = g_new (gfloat, (SINC_PHASES + 1) * 2 * SINC_HALF);
    for (guint ph = 0; ph <= SINC_PHASES; ph++) {
      for (gint k = -SINC_HALF + 1; k <= SINC_HALF; k++) {
        gdouble t = (gdouble) k - (gdouble) ph / SINC_PHASES;
        gdouble w = 0.5 + 0.5 * cos (G_PI * t / (SINC_HALF + 1));

        aec->sinc[ph * 2 * SINC_HALF + (guint) (k + SINC_HALF - 1)]
          = (gfloat) (fabs (t) < 1e-9 ? 1 : w * sin (G_PI * t) / (G_PI * t));
      }
    }
    while (hist < 4 * aec->frame_size + 4 * SINC_HALF)
      hist <<= 1;
    aec->history = g_new0 (gint16, hist);
    aec->hist_mask = hist - 1;
    aec->aligned = g_new0 (gint16, aec->frame_size);
    aec->step = 1;
    aec->pos = -(SINC_HALF + 1);
  }

  aec->preprocess = speex_preprocess_state_init ((int) aec->frame_size, (int) config->rate_hz);
  if (aec->echo != NULL) {
    /* Residual echo suppression: the preprocessor asks the canceller how
     * much echo it left in each band and attenuates those bands, on top of
     * what the linear filter removed.  speexdsp applies
     * it only while denoising is enabled, so with denoise=off we keep
     * denoising on with a 0 dB noise floor: echo is suppressed, noise is
     * left alone. */
    speex_preprocess_ctl (aec->preprocess, SPEEX_PREPROCESS_SET_ECHO_STATE, aec->echo);
    speex_preprocess_ctl (aec->preprocess, SPEEX_PREPROCESS_SET_DENOISE, &on);
    suppress_db = config->denoise ? DENOISE_SUPPRESS_DB : 0;
    speex_preprocess_ctl (aec->preprocess, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, &suppress_db);
  } else {
    speex_preprocess_ctl (aec->preprocess, SPEEX_PREPROCESS_SET_DENOISE, config->denoise ? &on : &off);
    suppress_db = DENOISE_SUPPRESS_DB;
    speex_preprocess_ctl (aec->preprocess, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, &suppress_db);
  }
  /* AGC at speexdsp's defaults (target level 8000, at most +30 dB). */
  speex_preprocess_ctl (aec->preprocess, SPEEX_PREPROCESS_SET_AGC, config->agc ? &on : &off);
  speex_preprocess_ctl (aec->preprocess, SPEEX_PREPROCESS_SET_DEREVERB, &off);
  return aec;
}

void
zc_aec_free (ZcAec *aec)
{
  if (aec == NULL)
    return;
  /* The preprocessor only borrows the echo state: destroy it first. */
  speex_preprocess_state_destroy (aec->preprocess);
  if (aec->echo != NULL)
    speex_echo_state_destroy (aec->echo);
  g_free (aec->silence);
  g_free (aec->work);
  g_free (aec->notched);
  g_free (aec->history);
  g_free (aec->aligned);
  g_free (aec->impulse);
  g_free (aec->sinc);
  g_free (aec);
}

guint
zc_aec_get_frame_size (const ZcAec *aec)
{
  return aec->frame_size;
}

/* Returns the energy of @x[0..n). */
static gdouble
frame_energy (const gint16 *x, guint n)
{
  gdouble e = 0;

  for (guint i = 0; i < n; i++)
    e += (gdouble) x[i] * x[i];
  return e;
}

/* speexdsp's DC notch on @in into @out, returning the energy of @out. */
static gdouble
dc_notch (ZcAec *aec, const gint16 *in, gint16 *out)
{
  gfloat r = aec->notch_radius;
  gfloat den2 = r * r + 0.7f * (1 - r) * (1 - r);
  gdouble e = 0;

  for (guint i = 0; i < aec->frame_size; i++) {
    gfloat vin = in[i];
    gfloat vout = aec->notch_mem[0] + vin;
    gfloat o = r * vout;

    aec->notch_mem[0] = aec->notch_mem[1] + 2 * (-vin + r * vout);
    aec->notch_mem[1] = vin - den2 * vout;
    out[i] = (gint16) CLAMP (lrintf (o), G_MININT16, G_MAXINT16);
    e += (gdouble) o * o;
  }
  return e;
}

/* Forget the learned echo path; speex_echo_state_reset() clears its DC
 * notch too, so ours starts again with it.  The drift estimate is kept:
 * it belongs to the two device clocks, not to the room. */
static void
restart_filter (ZcAec *aec)
{
  if (aec->echo != NULL)
    speex_echo_state_reset (aec->echo);
  aec->notch_mem[0] = aec->notch_mem[1] = 0;
  aec->locked = FALSE;
  aec->holdoff = ALIGN_HOLDOFF;
  aec->erle_in = aec->erle_out = 0;
  aec->resets++;
}

/* The canceller subtracts its echo estimate from the microphone signal;
 * where there is no echo to subtract, the estimate is the far end's audio
 * injected into ours.  speexdsp's filter gets there when near-end sound
 * never pauses (it takes steady near-end sound for double talk and all
 * but stops adapting, so whatever it learned early stays): in
 * tests/net/voice.test a steady tone on each side brought the far end's
 * tone back to it only 20 dB down.  Like WebRTC's AEC, we never let the
 * cleaned frame be louder than the microphone frame -- a canceller that
 * adds energy is wrong for that frame, so the frame goes out uncancelled.
 * It used to reset the filter too after a few such frames, but a filter
 * adapting to speech overshoots now and then on its way to convergence:
 * tests/unit/test-aec-speech.c measured 14 to 18 resets in 16 s and 3 to
 * 9 dB of ERLE with them, 39 to 44 dB without.  speexdsp resets a filter
 * that really diverged by itself (mdf.c, "screwed_up"). */
static void
guard_divergence (ZcAec *aec, const gint16 *capture, gdouble *e_in_out)
{
  gdouble e_in = dc_notch (aec, capture, aec->notched);
  gdouble e_out = frame_energy (aec->work, aec->frame_size);

  *e_in_out = e_in;
  if (e_out <= e_in * DIVERGED_MARGIN + aec->frame_size)
    return;
  memcpy (aec->work, aec->notched, aec->frame_size * sizeof (gint16));
  aec->diverged_frames++;
}

guint
zc_aec_get_reference_wanted (const ZcAec *aec)
{
  gint64 end;

  if (aec->echo == NULL)
    return aec->frame_size;
  end = (gint64) floor (aec->pos + aec->frame_size * aec->step) + SINC_HALF + 1;
  return (guint) CLAMP (end - (gint64) aec->hist_in, 0, (gint64) ZC_AEC_MAX_REFERENCE (aec->frame_size));
}

/* Append @n reference samples to the history and read one frame out of
 * it through the fractional delay line, at aec->step input samples per
 * output sample: the reference resampled to the capture clock. */
static void
align_reference (ZcAec *aec, const gint16 *playback, guint n)
{
  for (guint i = 0; i < n; i++)
    aec->history[(aec->hist_in + i) & aec->hist_mask] = playback[i];
  aec->hist_in += n;

  for (guint i = 0; i < aec->frame_size; i++) {
    gdouble x = aec->pos + i * aec->step;
    gint64 base = (gint64) floor (x);
    gdouble phase = (x - (gdouble) base) * SINC_PHASES;
    guint ph = (guint) phase;
    gfloat mix = (gfloat) (phase - ph);
    const gfloat *a = aec->sinc + ph * 2 * SINC_HALF, *b = a + 2 * SINC_HALF;
    gfloat sum = 0;

    if (ph == 0 && mix == 0) {
      aec->aligned[i] = aec->history[(guint64) base & aec->hist_mask];
      continue;
    }
    for (gint k = 0; k < 2 * SINC_HALF; k++) {
      gint16 v = aec->history[(guint64) (base - SINC_HALF + 1 + k) & aec->hist_mask];

      sum += v * (a[k] + mix * (b[k] - a[k]));
    }
    aec->aligned[i] = (gint16) CLAMP (lrintf (sum), G_MININT16, G_MAXINT16);
  }
  aec->pos += aec->frame_size * aec->step;
  aec->shift += aec->frame_size * (1 - aec->step);
}

/* Drift: when the capture and playback clocks differ (separate cards, USB
 * or Bluetooth headsets, sound servers that resample), the echo slides
 * along the reference by the difference -- 200 ppm is a sample every
 * 100 ms at 48 kHz -- and speexdsp, whose filter must chase it, falls from
 * 40 to 8 dB (tests/unit/test-aec-speech.c).  So every ALIGN_FRAMES of far
 * end speech the echo's delay is read from the filter (the energy
 * centroid around its peak tap) and added to the delay our resampling put
 * in; the slope of a least-squares line through those readings is the
 * drift, and the delay line reads the reference at that rate: it is
 * resampled onto the capture clock, and the echo holds still for the
 * filter.  An open loop on purpose: the filter lags a moving echo, and a
 * PI loop that steered on its peak oscillated in that test.  The engine
 * then hands over zc_aec_get_reference_wanted() samples per frame, so its
 * reference ring drains at the playback clock's rate and stays level.
 * Our own interpolator, not speexdsp's resampler: that one reallocates
 * its filter when its ratio changes, which the real-time thread must not
 * do. */
static void
align_update (ZcAec *aec)
{
  gint64 best = 0;
  gdouble best_v = 0, num = 0, den = 0, total = 0, peak, lag, t, slope, resid;

  if (aec->align_power / (ALIGN_FRAMES * aec->frame_size) < ALIGN_MIN_POWER)
    return;
  speex_echo_ctl (aec->echo, SPEEX_ECHO_GET_IMPULSE_RESPONSE, aec->impulse);
  for (guint i = 0; i < aec->impulse_len; i++) {
    gdouble v = fabs ((gdouble) aec->impulse[i]);

    total += v * v;
    if (v > best_v) {
      best_v = v;
      best = i;
    }
  }
  for (gint64 i = MAX (best - ALIGN_CENTROID, 0); i <= MIN (best + ALIGN_CENTROID, (gint64) aec->impulse_len - 1);
       i++) {
    gdouble w = (gdouble) aec->impulse[i] * aec->impulse[i];

    num += w * (gdouble) i;
    den += w;
  }
  /* A filter that has not found the echo yet spreads over the tail. */
  if (den < ALIGN_MIN_PEAK_SHARE * total)
    return;
  peak = num / den;
  /* Where the echo would be without our resampling. */
  lag = peak + aec->shift;
  /* After zc_aec_reset() the filter grows back towards an echo the
   * re-priming put a little off where it was, and its peak slides there
   * over a second or two: not drift. */
  if (aec->holdoff > 0)
    aec->holdoff--;
  if (!aec->locked || aec->holdoff > 0 || fabs (peak - aec->peak_last) > ALIGN_JUMP) {
    /* A first reading or a new echo path: start the regression again,
     * keeping the drift found so far. */
    aec->locked = TRUE;
    aec->peak_last = peak;
    aec->reg_n = 0;
    aec->reg_w = aec->reg_t = aec->reg_l = aec->reg_tt = aec->reg_tl = aec->reg_ll = 0;
    return;
  }
  aec->peak_last = peak;
  t = (gdouble) aec->hist_in / (ALIGN_FRAMES * aec->frame_size);
  /* An exponentially weighted least-squares line through the readings:
   * its slope is the drift, in samples per reading. */
  aec->reg_w = aec->reg_w * ALIGN_FORGET + 1;
  aec->reg_t = aec->reg_t * ALIGN_FORGET + t;
  aec->reg_l = aec->reg_l * ALIGN_FORGET + lag;
  aec->reg_tt = aec->reg_tt * ALIGN_FORGET + t * t;
  aec->reg_tl = aec->reg_tl * ALIGN_FORGET + t * lag;
  aec->reg_ll = aec->reg_ll * ALIGN_FORGET + lag * lag;
  if (++aec->reg_n < ALIGN_MIN_READINGS)
    return;
  den = aec->reg_w * aec->reg_tt - aec->reg_t * aec->reg_t;
  if (den <= 0)
    return;
  slope = (aec->reg_w * aec->reg_tl - aec->reg_t * aec->reg_l) / den;
  /* Drift puts the readings on a line; a filter moving over to a new
   * echo path (an xrun re-primed the reference a fraction of a
   * millisecond off) moves its peak along a curve, and taken for drift
   * it would keep the filter from ever settling. */
  resid = (aec->reg_ll - aec->reg_l * aec->reg_l / aec->reg_w
           - slope * slope * (aec->reg_tt - aec->reg_t * aec->reg_t / aec->reg_w)) / aec->reg_w;
  if (resid > ALIGN_MAX_RESIDUAL * ALIGN_MAX_RESIDUAL)
    return;
  slope /= ALIGN_FRAMES * aec->frame_size;
  slope = CLAMP (slope, -ALIGN_MAX_PPM * 1e-6, ALIGN_MAX_PPM * 1e-6);
  aec->step = 1 - slope;
}

ZcAecVad
zc_aec_process (ZcAec *aec, const gint16 *capture, const gint16 *playback, gint16 *out)
{
  spx_int32_t prob_percent = 0;

  /* Work in our own frame: speexdsp documents neither in-place echo
   * cancellation nor a const preprocessor input, and @out may be
   * @capture. */
  if (aec->echo != NULL) {
    guint n = zc_aec_get_reference_wanted (aec);
    gdouble e_ref, e_in, e_out;

    align_reference (aec, playback != NULL ? playback : aec->silence, n);
    speex_echo_cancellation (aec->echo, capture, aec->aligned, aec->work);
    guard_divergence (aec, capture, &e_in);
    e_out = frame_energy (aec->work, aec->frame_size);
    e_ref = frame_energy (aec->aligned, aec->frame_size);
    if (e_ref / aec->frame_size >= ALIGN_MIN_POWER) {
      aec->erle_in = aec->erle_in * ERLE_SMOOTH + e_in;
      aec->erle_out = aec->erle_out * ERLE_SMOOTH + e_out;
    }
    aec->align_power += e_ref;
    if (++aec->align_count >= ALIGN_FRAMES) {
      align_update (aec);
      aec->align_count = 0;
      aec->align_power = 0;
    }
  } else {
    memcpy (aec->work, capture, aec->frame_size * sizeof (gint16));
  }

  speex_preprocess_run (aec->preprocess, aec->work);
  memcpy (out, aec->work, aec->frame_size * sizeof (gint16));

  speex_preprocess_ctl (aec->preprocess, SPEEX_PREPROCESS_GET_PROB, &prob_percent);
  aec->was_speech = prob_percent > VAD_PROB_START_PERCENT
                    || (aec->was_speech && prob_percent > VAD_PROB_CONTINUE_PERCENT);
  return aec->was_speech ? ZC_AEC_VAD_SPEECH : ZC_AEC_VAD_SILENCE;
}

void
zc_aec_reset (ZcAec *aec)
{
  restart_filter (aec);
  aec->was_speech = FALSE;
}

guint
zc_aec_get_reset_count (const ZcAec *aec)
{
  return aec->resets;
}

guint
zc_aec_get_diverged_frames (const ZcAec *aec)
{
  return aec->diverged_frames;
}

void
zc_aec_get_stats (const ZcAec *aec, ZcAecStats *stats)
{
  memset (stats, 0, sizeof *stats);
  stats->resets = aec->resets;
  if (aec->echo == NULL)
    return;
  stats->diverged_frames = aec->diverged_frames;
  stats->locked = aec->locked;
  stats->echo_delay_ms = aec->locked ? (aec->peak_last - SINC_HALF - 1) * 1000 / (aec->frame_size * 100) : 0;
  stats->drift_ppm = (1 - aec->step) * 1e6;
  stats->erle_db = aec->erle_out > 0 && aec->erle_in > 0 ? 10 * log10 (aec->erle_in / aec->erle_out) : 0;
}
