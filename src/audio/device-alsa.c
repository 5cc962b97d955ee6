/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "audio"

#include "config.h"

#include "audio/device-alsa.h"

#include <alsa/asoundlib.h>

#include <errno.h>
#include <stdarg.h>

/* alsa-lib prints its own lines to stderr for every failed open (eight for
 * a missing "default"), once a second while we retry: our one warning per
 * outage says it all, so its messages go to the debug log only. */
static void
alsa_error_to_debug (const char *file, int line, const char *function, int err, const char *fmt, ...)
{
  g_autofree char *text = NULL;
  va_list args;

  if (!g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN)) {
    va_start (args, fmt);
    text = g_strdup_vprintf (fmt, args);
    va_end (args);
    g_debug ("alsa-lib %s:%d %s: %s (%s)", file, line, function, text, err != 0 ? snd_strerror (err) : "");
  }
}

void
zc_audio_device_quiet_alsa (void)
{
  static gsize quiet_alsa = 0;

  if (g_once_init_enter (&quiet_alsa)) {
    snd_lib_error_set_handler (alsa_error_to_debug);
    g_once_init_leave (&quiet_alsa, 1);
  }
}

const char *
zc_audio_device_strerror (int err)
{
  return snd_strerror (err);
}

/* ------------------------------------------------------------ device thread */

void
zc_audio_device_free (ZcAudioDevice *d)
{
  if (d == NULL)
    return;
  if (d->pcm != NULL) {
    snd_pcm_drop (d->pcm);
    snd_pcm_close (d->pcm);
  }
  zc_resampler_free (d->resampler);
  g_free (d->buf);
  g_free (d->resampled);
  zc_ring_free (d->ring);
  g_free (d);
}

#define CHECK(call)                                                                                    \
  do {                                                                                                 \
    if ((err = (call)) < 0) {                                                                          \
      what = #call;                                                                                    \
      goto out;                                                                                        \
    }                                                                                                  \
  } while (0)

ZcAudioDevice *
zc_audio_device_open (const ZcAudioDeviceConfig *config, int *error_out)
{
  const gchar *name = config->name;
  ZcAudioDirection direction = config->direction;
  snd_pcm_hw_params_t *hw;
  snd_pcm_sw_params_t *sw;
  snd_pcm_t *pcm = NULL;
  ZcAudioDevice *d = NULL;
  const char *what = "snd_pcm_open";
  unsigned int rate = config->rate_hz;
  snd_pcm_uframes_t period, buffer;
  g_autoptr (GError) gerror = NULL;
  int err;

  err = snd_pcm_open (&pcm, name, direction == ZC_AUDIO_CAPTURE ? SND_PCM_STREAM_CAPTURE : SND_PCM_STREAM_PLAYBACK,
                      SND_PCM_NONBLOCK);
  if (err < 0) {
    pcm = NULL;
    goto out;
  }
  snd_pcm_hw_params_alloca (&hw);
  snd_pcm_sw_params_alloca (&sw);
  CHECK (snd_pcm_hw_params_any (pcm, hw));
  CHECK (snd_pcm_hw_params_set_access (pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED));
  CHECK (snd_pcm_hw_params_set_format (pcm, hw, SND_PCM_FORMAT_S16));
  CHECK (snd_pcm_hw_params_set_channels (pcm, hw, 1));
  CHECK (snd_pcm_hw_params_set_rate_near (pcm, hw, &rate, NULL));
  period = (snd_pcm_uframes_t) rate * config->period_ms / 1000;
  CHECK (snd_pcm_hw_params_set_period_size_near (pcm, hw, &period, NULL));
  buffer = period * ZC_AUDIO_DEVICE_BUFFER_PERIODS;
  CHECK (snd_pcm_hw_params_set_buffer_size_near (pcm, hw, &buffer));
  CHECK (snd_pcm_hw_params (pcm, hw));
  CHECK (snd_pcm_hw_params_get_period_size (hw, &period, NULL));
  CHECK (snd_pcm_hw_params_get_buffer_size (hw, &buffer));
  CHECK (snd_pcm_hw_params_get_rate (hw, &rate, NULL));
  if (rate < 8000 || rate > 192000 || period == 0 || period > rate || buffer < 2 * period) {
    err = -EINVAL;
    what = "device parameters";
    goto out;
  }

  CHECK (snd_pcm_sw_params_current (pcm, sw));
  if (direction == ZC_AUDIO_CAPTURE) {
    CHECK (snd_pcm_sw_params_set_start_threshold (pcm, sw, 1));
    CHECK (snd_pcm_sw_params_set_avail_min (pcm, sw, period));
  } else {
    /* Starts once topped up (loop_playback()). */
    CHECK (snd_pcm_sw_params_set_start_threshold (pcm, sw, buffer - period));
    CHECK (snd_pcm_sw_params_set_avail_min (pcm, sw, period));
  }
  CHECK (snd_pcm_sw_params (pcm, sw));
  CHECK (snd_pcm_prepare (pcm));

  d = g_new0 (ZcAudioDevice, 1);
  d->pcm = pcm;
  pcm = NULL;
  d->direction = direction;
  d->rate_hz = rate;
  d->period = period;
  d->buffer = buffer;
  if (direction == ZC_AUDIO_CAPTURE)
    d->resampler = zc_resampler_new (rate, config->codec_rate_hz, ZC_RESAMPLER_QUALITY_VOIP, (guint) period, &gerror);
  else
    d->resampler = zc_resampler_new (config->codec_rate_hz, rate, ZC_RESAMPLER_QUALITY_VOIP, config->frame, &gerror);
  if (d->resampler == NULL) {
    err = -EINVAL;
    what = "resampler";
    goto out;
  }
  d->buf = g_new0 (gint16, period);
  d->resampled = g_new0 (gint16, zc_resampler_get_max_out (d->resampler));
  if (direction == ZC_AUDIO_CAPTURE)
    d->ring = zc_ring_new (4 * (zc_resampler_get_max_out (d->resampler) + config->frame));
  else
    d->ring = zc_ring_new (4 * ((guint) period + zc_resampler_get_max_out (d->resampler)));
  err = 0;

out:
  if (err < 0) {
    g_debug ("%scannot open %s device '%s': %s (%s)", config->log_prefix, zc_audio_direction_to_string (direction),
             name, what,
             snd_strerror (err));
    if (pcm != NULL)
      snd_pcm_close (pcm);
    zc_audio_device_free (d);
    *error_out = err;
    return NULL;
  }
  g_debug ("%sopened %s device '%s' at %u Hz, period %lu, buffer %lu frames", config->log_prefix,
           zc_audio_direction_to_string (direction), name, rate, (unsigned long) period, (unsigned long) buffer);
  return d;
}

/* ------------------------------------------------------------ audio thread
 * No allocation, no lock of ours, no log. */

int
zc_audio_device_start (ZcAudioDevice *d)
{
  return snd_pcm_start (d->pcm);
}

int
zc_audio_device_recover (ZcAudioDevice *d, int err)
{
  if (err == -ESTRPIPE) {
    /* Suspended: resume, or prepare when the driver cannot resume.  One
     * attempt per tick, never a wait here: the audio thread must not
     * sleep, and the other device goes on meanwhile. */
    err = snd_pcm_resume (d->pcm);
    if (err == -EAGAIN && ++d->resume_attempts < ZC_AUDIO_DEVICE_RESUME_ATTEMPTS)
      return -EAGAIN;
    d->resume_attempts = 0;
    if (err < 0)
      err = snd_pcm_prepare (d->pcm);
  } else if (err == -EPIPE) {
    err = snd_pcm_prepare (d->pcm);
  } else {
    return err;
  }
  if (err < 0)
    return err;
  if (d->direction == ZC_AUDIO_CAPTURE)
    snd_pcm_start (d->pcm);
  return 0;
}

glong
zc_audio_device_avail (ZcAudioDevice *d)
{
  return snd_pcm_avail_update (d->pcm);
}

glong
zc_audio_device_get_delay (ZcAudioDevice *d)
{
  snd_pcm_sframes_t delay = 0;
  int err = snd_pcm_delay (d->pcm, &delay);

  return err < 0 ? err : delay;
}

glong
zc_audio_device_read (ZcAudioDevice *d, gulong frames)
{
  return snd_pcm_readi (d->pcm, d->buf, MIN (frames, d->period));
}

glong
zc_audio_device_write_period (ZcAudioDevice *d)
{
  return snd_pcm_writei (d->pcm, d->buf, d->period);
}
