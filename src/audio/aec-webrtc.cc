/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "audio/aec-webrtc.h"

#include <webrtc/modules/audio_processing/include/audio_processing.h>

#include <math.h>
#include <new>
#include <string.h>

/* The delay between the reference and its echo, measured here and applied
 * here, to the reference WebRTC is given -- see zc_aec_webrtc_new() and
 * zc_aec_webrtc_process() for why.  The
 * log-energy envelopes of reference and microphone, in DELAY_SUB_MS steps,
 * are correlated over the last DELAY_WINDOW_MS at lags 0..DELAY_MAX_MS,
 * every DELAY_EVERY_FRAMES frames.  The window is short because a changed
 * path is found once most of it holds the new echo: offline, on espeak-ng
 * speech, 600 ms found a change about 0.6 s after it and WebRTC cancelled
 * again 0.8 to 0.9 s after it (1.1 to 1.3 s with 1 s, more with 2 s), with
 * the same ERLE on fixed paths. */
#define DELAY_SUB_MS 5
#define DELAY_WINDOW_MS 600
#define DELAY_MAX_MS 500
#define DELAY_EVERY_FRAMES 5
#define DELAY_WINDOW (DELAY_WINDOW_MS / DELAY_SUB_MS)
#define DELAY_LAGS (DELAY_MAX_MS / DELAY_SUB_MS + 1)
#define DELAY_HISTORY (DELAY_WINDOW + DELAY_LAGS)
/* Envelopes are floored this far below full scale: silence and the noise
 * floor say nothing about the delay, dB. */
#define DELAY_FLOOR_DB (-70.0f)
/* An estimate counts when the envelopes correlate at least this well
 * (Pearson r): speech's envelope survives the path, near-end speech of
 * similar level (double talk) brings it below. */
#define DELAY_MIN_CORR 0.7f
/* ... at least this much of the window's reference is sound (it is
 * above the floor by 20 dB), or there is too little far-end signal to
 * tell the echo by. */
#define DELAY_MIN_ACTIVE 0.15f
/* ... and the same lag (within one step) comes out this many times in a
 * row before it is reported: one noisy correlation does not move it. */
#define DELAY_CONFIRM 3
/* A changed path (the fast estimate, delay_update()): over the newest
 * DELAY_FAST_WINDOW_MS, the lag reported correlates below
 * DELAY_FAST_MAX_LEFT while another reaches DELAY_FAST_MIN_CORR, and that
 * lag comes out DELAY_FAST_CONFIRM times in a row. */
#define DELAY_FAST_WINDOW_MS 250
#define DELAY_FAST_WINDOW (DELAY_FAST_WINDOW_MS / DELAY_SUB_MS)
#define DELAY_FAST_MIN_CORR 0.85f
#define DELAY_FAST_MAX_LEFT 0.5f
#define DELAY_FAST_CONFIRM 2
/* Estimates count only the steps where the microphone hears something,
 * this far above the floor: a path being replaced leaves a gap in the echo
 * (a sound server reloading its loopback), which is the largest feature in
 * the window and matched some far-end pause at a wrong lag (offline, 50 ->
 * 150 ms with a 0.1 s gap: 295 ms for 0.6 s), dB.  The fast estimate wants
 * half its window heard, the long one DELAY_MIN_ACTIVE of it. */
#define DELAY_HEARD_DB 10.0f
/* Applied this much less than measured: WebRTC's filter starts a little
 * before the delay it has anyway, and an echo a few ms early for it would
 * be one it cannot cancel at all, ms. */
#define DELAY_LEAD_MS 20

struct _ZcAecWebrtc {
  webrtc::AudioProcessing *apm;
  webrtc::StreamConfig config;
  guint frame_size;
  gboolean echo_cancel;
  float *capture; /* frame_size samples each, preallocated: nothing is */
  float *reverse; /* allocated per frame */
  /* The reference, delayed here by the delay found (less DELAY_LEAD_MS)
   * before WebRTC sees it: ref_len samples, the next one written at
   * ref_pos. */
  float *ref_ring;
  guint ref_len, ref_pos;
  /* The delay estimator: envelope rings (dB per DELAY_SUB_MS), newest at
   * env_pos - 1; env_fill sub-steps are valid. */
  float env_ref[DELAY_HISTORY];
  float env_mic[DELAY_HISTORY];
  guint env_pos, env_fill;
  float lin_ref[DELAY_HISTORY]; /* the window, unrolled oldest first */
  float lin_mic[DELAY_WINDOW];
  float lin_use[DELAY_WINDOW]; /* 1: the step counts, 0: it does not */
  guint frames_to_estimate;
  gint candidate_lag, candidate_count;
  gint fast_lag, fast_count;
  guint fast_holdoff; /* estimates left before the fast one looks again */
  gint delay_ms;  /* the delay found, -1: none yet (the audio thread's) */
};

extern "C" ZcAecWebrtc *
zc_aec_webrtc_new (guint rate_hz, gboolean echo_cancel, gboolean denoise, gboolean agc)
{
  webrtc::Config config;
  webrtc::AudioProcessing *apm;
  ZcAecWebrtc *w;

  if (rate_hz != 8000 && rate_hz != 16000 && rate_hz != 32000 && rate_hz != 48000)
    return NULL;
  /* The extended filter models a 128 ms echo path (at 16 kHz and above)
   * starting at the delay it is given, here 0 from a reference we delay
   * ourselves (zc_aec_webrtc_process()).  Not its delay-agnostic mode: that sets the
   * filter's start from the reported delay once, then starts correcting it
   * from its own estimate only after 15 s of audio (aec_core.cc,
   * kDelayCorrectionStart), so an echo more than about 110 ms behind our
   * reference went uncancelled for a call's first 15 s (offline, espeak-ng
   * speech at a 180 ms echo delay: median ERLE 15 dB against 65 dB with the
   * delay known; tests/net/echo-speech.test's 150 ms path), and a path
   * that changed mid-call was found again only seconds later.  So we
   * measure the delay ourselves (delay_update()) and apply it. */
  config.Set<webrtc::ExtendedFilter> (new webrtc::ExtendedFilter (true));
  config.Set<webrtc::DelayAgnostic> (new webrtc::DelayAgnostic (false));
  apm = webrtc::AudioProcessing::Create (config);
  if (apm == NULL)
    return NULL;

  apm->high_pass_filter ()->Enable (true);
  if (echo_cancel) {
    /* Drift between the devices' clocks moves the delay, which our
     * estimator follows; drift compensation wants a sample count we do not
     * have. */
    apm->echo_cancellation ()->enable_drift_compensation (false);
    apm->echo_cancellation ()->set_suppression_level (webrtc::EchoCancellation::kHighSuppression);
    apm->echo_cancellation ()->enable_metrics (true);
    apm->echo_cancellation ()->Enable (true);
  }
  apm->noise_suppression ()->set_level (webrtc::NoiseSuppression::kHigh);
  apm->noise_suppression ()->Enable (denoise ? true : false);
  if (agc) {
    apm->gain_control ()->set_mode (webrtc::GainControl::kAdaptiveDigital);
    apm->gain_control ()->Enable (true);
  }
  apm->voice_detection ()->Enable (true);

  w = new (std::nothrow) ZcAecWebrtc ();
  if (w == NULL) {
    delete apm;
    return NULL;
  }
  w->apm = apm;
  w->config = webrtc::StreamConfig ((int) rate_hz, 1, false);
  w->frame_size = rate_hz / 100;
  w->echo_cancel = echo_cancel;
  w->capture = g_new0 (float, w->frame_size);
  w->reverse = g_new0 (float, w->frame_size);
  w->ref_len = w->frame_size + rate_hz / 1000 * DELAY_MAX_MS;
  w->ref_ring = g_new0 (float, w->ref_len);
  w->delay_ms = -1;
  w->frames_to_estimate = DELAY_EVERY_FRAMES;
  return w;
}

extern "C" void
zc_aec_webrtc_free (ZcAecWebrtc *w)
{
  if (w == NULL)
    return;
  delete w->apm;
  g_free (w->capture);
  g_free (w->reverse);
  g_free (w->ref_ring);
  delete w;
}

static void
to_float (const gint16 *in, float *out, guint n)
{
  for (guint i = 0; i < n; i++)
    out[i] = in[i] / 32768.0f;
}

/* Appends the envelopes of one frame (@ref NULL: silence) to the rings. */
static void
delay_push (ZcAecWebrtc *w, const gint16 *mic, const gint16 *ref)
{
  guint sub = w->frame_size * DELAY_SUB_MS / 10;

  for (guint b = 0; b + sub <= w->frame_size; b += sub) {
    double em = 0, er = 0;

    for (guint i = b; i < b + sub; i++) {
      em += (double) mic[i] * mic[i];
      if (ref != NULL)
        er += (double) ref[i] * ref[i];
    }
    em /= sub * 32768.0 * 32768.0;
    er /= sub * 32768.0 * 32768.0;
    w->env_mic[w->env_pos] = em > 1e-7 ? 10.0f * log10f ((float) em) : DELAY_FLOOR_DB;
    w->env_ref[w->env_pos] = er > 1e-7 ? 10.0f * log10f ((float) er) : DELAY_FLOOR_DB;
    w->env_mic[w->env_pos] = MAX (w->env_mic[w->env_pos], DELAY_FLOOR_DB);
    w->env_ref[w->env_pos] = MAX (w->env_ref[w->env_pos], DELAY_FLOOR_DB);
    w->env_pos = (w->env_pos + 1) % DELAY_HISTORY;
    if (w->env_fill < DELAY_HISTORY)
      w->env_fill++;
  }
}

/* The lag (in sub-steps) at which the microphone's envelope follows the
 * reference's best over the newest @window steps, or -1 when too little of
 * it is there or the reference is silent in it; *@r: that lag's
 * correlation, *@r_at: the correlation at lag @at (-1 if @at < 0).  Only
 * the steps where the microphone hears something count (DELAY_HEARD_DB),
 * and there must be at least @min_heard (a share of the window) of them. */
static gint
delay_correlate (ZcAecWebrtc *w, guint window, float min_heard, gint at, double *r, double *r_at)
{
  /* The window: the newest n microphone steps, against reference steps
   * lag earlier; unrolled so that the loops below index plainly. */
  guint n = MIN (window, w->env_fill > DELAY_LAGS ? w->env_fill - DELAY_LAGS : 0);
  guint oldest = (w->env_pos + DELAY_HISTORY - n - DELAY_LAGS + 1) % DELAY_HISTORY;
  double sm = 0, smm = 0, best_r = -1, used = 0;
  guint active = 0;
  gint best = -1;

  *r = *r_at = -1;
  if (n < window / 2)
    return -1;
  /* lin_ref[k] is DELAY_LAGS - 1 steps before lin_mic[k]'s time... */
  for (guint k = 0; k < n + DELAY_LAGS - 1; k++)
    w->lin_ref[k] = w->env_ref[(oldest + k) % DELAY_HISTORY];
  for (guint k = 0; k < n; k++) {
    float m = w->env_mic[(oldest + DELAY_LAGS - 1 + k) % DELAY_HISTORY];

    w->lin_mic[k] = m;
    w->lin_use[k] = m > DELAY_FLOOR_DB + DELAY_HEARD_DB ? 1.0f : 0.0f;
    used += w->lin_use[k];
    sm += w->lin_use[k] * m;
    smm += w->lin_use[k] * (double) m * m;
    if (w->lin_ref[DELAY_LAGS - 1 + k] > DELAY_FLOOR_DB + 20)
      active++;
  }
  if (active < DELAY_MIN_ACTIVE * n || used < min_heard * n || used < 2 || smm - sm * sm / used <= 1e-6 * used)
    return -1;
  for (guint lag = 0; lag < DELAY_LAGS; lag++) {
    /* ... so lin_ref[k + DELAY_LAGS - 1 - lag] is lag steps before it. */
    const float *x = w->lin_ref + DELAY_LAGS - 1 - lag;
    double sr = 0, srr = 0, smr = 0, var_r, c;

    for (guint i = 0; i < n; i++) {
      float u = w->lin_use[i] * x[i];

      sr += u;
      srr += (double) u * x[i];
      smr += (double) w->lin_mic[i] * u;
    }
    var_r = srr - sr * sr / used;
    if (var_r <= 1e-6 * used)
      continue;
    c = (smr - sm * sr / used) / sqrt (var_r * (smm - sm * sm / used));
    if ((gint) lag == at)
      *r_at = c;
    if (c > best_r) {
      best_r = c;
      best = (gint) lag;
    }
  }
  *r = best_r;
  return best;
}

/* Every DELAY_EVERY_FRAMES frames: a new estimate, reported once it has
 * come out DELAY_CONFIRM times in a row -- or, when the echo has left the
 * lag reported (a changed path), once the recent window alone points
 * elsewhere, sooner than the long one, which must first hold more new echo
 * than old. */
static void
delay_update (ZcAecWebrtc *w)
{
  gint lag, now = w->delay_ms >= 0 ? w->delay_ms / DELAY_SUB_MS : -1;
  double r, r_now;

  if (--w->frames_to_estimate > 0)
    return;
  w->frames_to_estimate = DELAY_EVERY_FRAMES;

  if (w->fast_holdoff > 0) {
    w->fast_holdoff--;
  } else if (now >= 0) {
    lag = delay_correlate (w, DELAY_FAST_WINDOW, 0.5f, now, &r, &r_now);
    if (lag >= 0 && r >= DELAY_FAST_MIN_CORR && r_now < DELAY_FAST_MAX_LEFT && ABS (lag - now) > 1) {
      if (w->fast_count > 0 && ABS (lag - w->fast_lag) <= 1)
        w->fast_count++;
      else
        w->fast_count = 1;
      w->fast_lag = lag;
      if (w->fast_count >= DELAY_FAST_CONFIRM) {
        w->delay_ms = lag * DELAY_SUB_MS;
        w->fast_count = w->candidate_count = 0;
        /* Both windows still hold the old echo (the long one mostly), and
         * would take the old lag back: the long one starts again from
         * here, and the fast one looks again once its window is all new
         * (live, before this and DELAY_HEARD_DB, a 50 -> 150 ms change was
         * cancelled, then lost again for 0.5 s). */
        w->env_fill = DELAY_LAGS;
        w->fast_holdoff = DELAY_FAST_WINDOW * DELAY_SUB_MS / (DELAY_EVERY_FRAMES * 10);
        return;
      }
    } else {
      w->fast_count = 0;
    }
  }

  lag = delay_correlate (w, DELAY_WINDOW, DELAY_MIN_ACTIVE, -1, &r, &r_now);
  if (lag < 0 || r < DELAY_MIN_CORR)
    return;
  if (w->candidate_count > 0 && ABS (lag - w->candidate_lag) <= 1)
    w->candidate_count++;
  else
    w->candidate_count = 1;
  w->candidate_lag = lag;
  if (w->candidate_count >= DELAY_CONFIRM)
    w->delay_ms = lag * DELAY_SUB_MS;
}

extern "C" gboolean
zc_aec_webrtc_process (ZcAecWebrtc *w, const gint16 *capture, const gint16 *playback, gint16 *out)
{
  float *cap[1] = { w->capture };
  float *rev[1] = { w->reverse };

  if (w->echo_cancel) {
    guint shift, from;

    delay_push (w, capture, playback);
    delay_update (w);
    /* The reference is delayed here, and WebRTC told 0: told a changed
     * delay, it smooths it (0.95 old + 0.05 new a frame, in the extended
     * filter's EstBufDelayExtended) and moves its filter once that has
     * differed for 25 frames, in stages over half a second (offline, 250
     * -> 60 ms: cancelled again after 0.80 s, 0.30 s this way).  A shift
     * here applies on the next frame, and the filter it learned for the
     * room fits again at once. */
    for (guint i = 0; i < w->frame_size; i++)
      w->ref_ring[(w->ref_pos + i) % w->ref_len] = playback != NULL ? playback[i] / 32768.0f : 0;
    w->ref_pos = (w->ref_pos + w->frame_size) % w->ref_len;
    shift = w->delay_ms > DELAY_LEAD_MS ? (guint) (w->delay_ms - DELAY_LEAD_MS) * (w->frame_size / 10) : 0;
    from = (w->ref_pos + w->ref_len - w->frame_size - shift) % w->ref_len;
    for (guint i = 0; i < w->frame_size; i++)
      w->reverse[i] = w->ref_ring[(from + i) % w->ref_len];
    w->apm->ProcessReverseStream (rev, w->config, w->config, rev);
    w->apm->set_stream_delay_ms (0);
  }
  to_float (capture, w->capture, w->frame_size);
  w->apm->ProcessStream (cap, w->config, w->config, cap);
  for (guint i = 0; i < w->frame_size; i++) {
    float v = w->capture[i] * 32768.0f;

    out[i] = (gint16) (v >= 32767.0f ? 32767 : v <= -32768.0f ? -32768 : (gint) (v >= 0 ? v + 0.5f : v - 0.5f));
  }
  return w->apm->voice_detection ()->stream_has_voice () ? TRUE : FALSE;
}

extern "C" gint
zc_aec_webrtc_get_erle_db (ZcAecWebrtc *w)
{
  webrtc::EchoCancellation::Metrics metrics;

  if (!w->echo_cancel || w->apm->echo_cancellation ()->GetMetrics (&metrics) != 0)
    return -100;
  return metrics.echo_return_loss_enhancement.average;
}

extern "C" gint
zc_aec_webrtc_get_delay_ms (ZcAecWebrtc *w)
{
  return w->echo_cancel ? w->delay_ms : -1;
}
