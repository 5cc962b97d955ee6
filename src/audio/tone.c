/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "audio"

#include "config.h"
#include "audio/tone.h"

#include <alsa/asoundlib.h>
#include <math.h>
#include <stdatomic.h>

#define TONE_RATE_HZ 48000
#define TONE_PERIOD_FRAMES 960 /* 20 ms */
#define TONE_AMPLITUDE 0.25    /* -12 dBFS: audible, never startling */

struct _ZcTonePlayer {
  char *device;
  ZcTone tone;
  atomic_bool stop;
  GThread *thread;
};

typedef struct {
  double on_s, period_s;  /* cadence */
  double hz[2];           /* alternating frequencies (the same twice for a steady tone) */
  double alternate_s;     /* how long each frequency lasts */
  double amplitude;       /* of full scale; 0: TONE_AMPLITUDE */
} Cadence;

static const Cadence cadences[] = {
  [ZC_TONE_RINGBACK] = { 1.0, 5.0, { 425, 425 }, 1.0 },
  [ZC_TONE_RING] = { 1.0, 3.0, { 1000, 1300 }, 0.05 },
  [ZC_TONE_ALERT] = { 0.15, 0.3, { 1400, 1400 }, 1.0 },
  [ZC_TONE_WAITING] = { 0.3, 10.0, { 440, 440 }, 1.0, 0.1 },
};

void
zc_tone_render (ZcTone tone, guint rate_hz, guint64 position, gint16 *out, gsize n)
{
  const Cadence *c = &cadences[tone];
  guint64 period = (guint64) (c->period_s * rate_hz);
  guint64 on = (guint64) (c->on_s * rate_hz);
  guint64 alternate = (guint64) (c->alternate_s * rate_hz);
  double amplitude = c->amplitude > 0 ? c->amplitude : TONE_AMPLITUDE;

  for (gsize i = 0; i < n; i++) {
    guint64 t = (position + i) % period;
    double hz = c->hz[(t / alternate) % 2];

    /* The phase runs on with the absolute position, so switching between
     * two frequencies or starting a period clicks no more than it must. */
    out[i] = t < on ? (gint16) (amplitude * 32767.0 * sin (2.0 * G_PI * hz * (double) (position + i) / rate_hz))
                    : 0;
  }
}

static snd_pcm_t *
open_device (const char *device)
{
  snd_pcm_t *pcm = NULL;
  int err = snd_pcm_open (&pcm, device, SND_PCM_STREAM_PLAYBACK, 0);

  if (err >= 0)
    /* 100 ms of buffer: stop cuts the tone within that. */
    err = snd_pcm_set_params (pcm, SND_PCM_FORMAT_S16, SND_PCM_ACCESS_RW_INTERLEAVED, 1, TONE_RATE_HZ, 1, 100000);
  if (err < 0) {
    g_warning ("cannot play tones on '%s': %s", device, snd_strerror (err));
    if (pcm != NULL)
      snd_pcm_close (pcm);
    return NULL;
  }
  return pcm;
}

static gpointer
player_thread (gpointer data)
{
  ZcTonePlayer *player = data;
  snd_pcm_t *pcm = open_device (player->device);
  gint16 buf[TONE_PERIOD_FRAMES];
  guint64 position = 0;

  if (pcm == NULL)
    return NULL;
  while (!atomic_load (&player->stop)) {
    snd_pcm_sframes_t n;

    zc_tone_render (player->tone, TONE_RATE_HZ, position, buf, G_N_ELEMENTS (buf));
    n = snd_pcm_writei (pcm, buf, G_N_ELEMENTS (buf));
    if (n < 0)
      n = snd_pcm_recover (pcm, (int) n, 1);
    if (n < 0) {
      g_warning ("tone on '%s' stopped: %s", player->device, snd_strerror ((int) n));
      break;
    }
    position += G_N_ELEMENTS (buf);
  }
  snd_pcm_drop (pcm);
  snd_pcm_close (pcm);
  return NULL;
}

ZcTonePlayer *
zc_tone_player_start (const char *device, ZcTone tone)
{
  ZcTonePlayer *player = g_new0 (ZcTonePlayer, 1);

  player->device = g_strdup (device != NULL ? device : "default");
  player->tone = tone;
  atomic_init (&player->stop, FALSE);
  player->thread = g_thread_new ("zc-tone", player_thread, player);
  return player;
}

void
zc_tone_player_stop (ZcTonePlayer *player)
{
  if (player == NULL)
    return;
  atomic_store (&player->stop, TRUE);
  g_thread_join (player->thread);
  g_free (player->device);
  g_free (player);
}
