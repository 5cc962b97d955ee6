/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "audio"

#include "config.h"

#include "audio/aec.h"
#include "audio/aec-webrtc.h"

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
 * plays; one with four times as much (6 dB) for DIVERGED_RESET_FRAMES in
 * a row is a filter that will not come back by itself. */
#define DIVERGED_MARGIN 1.00001
#define DIVERGED_RESET_RATIO 4.0
#define DIVERGED_RESET_FRAMES 5

struct _ZcAec {
  ZcAecWebrtc *webrtc;              /* kind=webrtc: everything below but resets unused */
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
  guint diverged_run;               /* consecutive frames far over the input */
  guint diverged_frames;            /* frames the guard replaced, for statistics */
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
  if (config->kind == ZC_AEC_WEBRTC) {
    aec->webrtc = zc_aec_webrtc_new (config->rate_hz, config->echo_cancel, config->denoise, config->agc);
    if (aec->webrtc == NULL) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "echo canceller: WebRTC's audio processing does not take %u Hz (8000, 16000, 32000 or 48000)",
                   config->rate_hz);
      g_free (aec);
      return NULL;
    }
    return aec;
  }
  aec->silence = g_new0 (gint16, aec->frame_size);
  aec->work = g_new0 (gint16, aec->frame_size);
  aec->notched = g_new0 (gint16, aec->frame_size);
  /* speexdsp's radii for its DC notch (mdf.c, speex_echo_state_init_mc). */
  aec->notch_radius = config->rate_hz < 12000 ? 0.9f : config->rate_hz < 24000 ? 0.982f : 0.992f;
  rate = (spx_int32_t) config->rate_hz;

  if (config->echo_cancel) {
    aec->echo = speex_echo_state_init ((int) aec->frame_size, (int) (config->rate_hz * tail_ms / 1000));
    /* The default is 8000 Hz; the rate sets the canceller's internal
     * time constants and its DC notch. */
    speex_echo_ctl (aec->echo, SPEEX_ECHO_SET_SAMPLING_RATE, &rate);
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
  if (aec->webrtc != NULL) {
    zc_aec_webrtc_free (aec->webrtc);
    g_free (aec);
    return;
  }
  /* The preprocessor only borrows the echo state: destroy it first. */
  speex_preprocess_state_destroy (aec->preprocess);
  if (aec->echo != NULL)
    speex_echo_state_destroy (aec->echo);
  g_free (aec->silence);
  g_free (aec->work);
  g_free (aec->notched);
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
 * notch too, so ours starts again with it. */
static void
restart_filter (ZcAec *aec)
{
  if (aec->echo != NULL)
    speex_echo_state_reset (aec->echo);
  aec->notch_mem[0] = aec->notch_mem[1] = 0;
  aec->diverged_run = 0;
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
 * adds energy is wrong for that frame, so the frame goes out uncancelled --
 * and start the filter again when it adds a lot for several frames. */
static void
guard_divergence (ZcAec *aec, const gint16 *capture)
{
  gdouble e_in = dc_notch (aec, capture, aec->notched);
  gdouble e_out = frame_energy (aec->work, aec->frame_size);

  if (e_out <= e_in * DIVERGED_MARGIN + aec->frame_size) {
    aec->diverged_run = 0;
    return;
  }
  memcpy (aec->work, aec->notched, aec->frame_size * sizeof (gint16));
  aec->diverged_frames++;
  if (e_out > e_in * DIVERGED_RESET_RATIO && ++aec->diverged_run >= DIVERGED_RESET_FRAMES)
    restart_filter (aec);
}

ZcAecVad
zc_aec_process (ZcAec *aec, const gint16 *capture, const gint16 *playback, gint16 *out)
{
  spx_int32_t prob_percent = 0;

  if (aec->webrtc != NULL)
    return zc_aec_webrtc_process (aec->webrtc, capture, playback, out) ? ZC_AEC_VAD_SPEECH : ZC_AEC_VAD_SILENCE;
  /* Work in our own frame: speexdsp documents neither in-place echo
   * cancellation nor a const preprocessor input, and @out may be
   * @capture. */
  if (aec->echo != NULL) {
    if (playback == NULL)
      playback = aec->silence;
    speex_echo_cancellation (aec->echo, capture, playback, aec->work);
    guard_divergence (aec, capture);
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
  if (aec->webrtc != NULL) {
    aec->resets++;
    return;
  }
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

gint
zc_aec_get_erle_db (ZcAec *aec)
{
  return aec->webrtc != NULL ? zc_aec_webrtc_get_erle_db (aec->webrtc) : -100;
}

gint
zc_aec_get_delay_ms (ZcAec *aec)
{
  return aec->webrtc != NULL ? zc_aec_webrtc_get_delay_ms (aec->webrtc) : -1;
}

const gchar *
zc_aec_kind_to_string (ZcAecKind kind)
{
  return kind == ZC_AEC_SPEEX ? "speex" : "webrtc";
}
