/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "audio/aec-webrtc.h"

#include <webrtc/modules/audio_processing/include/audio_processing.h>

#include <new>

struct _ZcAecWebrtc {
  webrtc::AudioProcessing *apm;
  webrtc::StreamConfig config;
  guint frame_size;
  gboolean echo_cancel;
  float *capture; /* frame_size samples each, preallocated: nothing is */
  float *reverse; /* allocated per frame */
};

extern "C" ZcAecWebrtc *
zc_aec_webrtc_new (guint rate_hz, gboolean echo_cancel, gboolean denoise, gboolean agc)
{
  webrtc::Config config;
  webrtc::AudioProcessing *apm;
  ZcAecWebrtc *w;

  if (rate_hz != 8000 && rate_hz != 16000 && rate_hz != 32000 && rate_hz != 48000)
    return NULL;
  /* The extended filter models a longer echo path and moves its delay
   * estimate more cautiously; delay-agnostic mode ignores the delay we
   * report (set_stream_delay_ms) and finds the echo in the reference
   * itself, what PipeWire's module-echo-cancel enables too. */
  config.Set<webrtc::ExtendedFilter> (new webrtc::ExtendedFilter (true));
  config.Set<webrtc::DelayAgnostic> (new webrtc::DelayAgnostic (true));
  apm = webrtc::AudioProcessing::Create (config);
  if (apm == NULL)
    return NULL;

  apm->high_pass_filter ()->Enable (true);
  if (echo_cancel) {
    /* The devices' clocks are compensated by the delay-agnostic estimator;
     * drift compensation wants a sample count we do not have. */
    apm->echo_cancellation ()->enable_drift_compensation (false);
    apm->echo_cancellation ()->set_suppression_level (webrtc::EchoCancellation::kHighSuppression);
    apm->echo_cancellation ()->enable_metrics (true);
    apm->echo_cancellation ()->enable_delay_logging (true);
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
  delete w;
}

static void
to_float (const gint16 *in, float *out, guint n)
{
  for (guint i = 0; i < n; i++)
    out[i] = in[i] / 32768.0f;
}

extern "C" gboolean
zc_aec_webrtc_process (ZcAecWebrtc *w, const gint16 *capture, const gint16 *playback, gint16 *out)
{
  float *cap[1] = { w->capture };
  float *rev[1] = { w->reverse };

  if (w->echo_cancel) {
    if (playback != NULL)
      to_float (playback, w->reverse, w->frame_size);
    else
      for (guint i = 0; i < w->frame_size; i++)
        w->reverse[i] = 0;
    w->apm->ProcessReverseStream (rev, w->config, w->config, rev);
    /* Ignored in delay-agnostic mode but required before each frame. */
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
  int median = -1, std = 0;
  float fraction_poor = 0;

  if (!w->echo_cancel || w->apm->echo_cancellation ()->GetDelayMetrics (&median, &std, &fraction_poor) != 0)
    return -1;
  return median;
}
