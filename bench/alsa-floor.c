/* SPDX-License-Identifier: GPL-3.0-or-later */
/* alsa-floor - the latency floor of a pair of sound devices: capture one
 * period, play it, forever, with the device settings of zcalld's audio
 * engine (src/audio/engine.c: S16 mono, 10 ms periods, three per buffer,
 * playback started once all but one period is queued).  No codec, no
 * network, no jitter buffer, no resampling: what bench/voice-bench.sh's
 * mouth-to-ear figure would be if the agents added nothing.
 *
 *   alsa-floor CAPTURE-PCM PLAYBACK-PCM SECONDS
 */
#include <alsa/asoundlib.h>
#include <stdio.h>
#include <stdlib.h>

#define RATE 48000
#define PERIOD (RATE / 100)
#define PERIODS 3

static snd_pcm_t *
open_pcm (const char *name, snd_pcm_stream_t stream)
{
  snd_pcm_t *pcm;
  snd_pcm_hw_params_t *hw;
  snd_pcm_sw_params_t *sw;
  snd_pcm_uframes_t period = PERIOD, buffer = PERIOD * PERIODS;
  unsigned rate = RATE;

  if (snd_pcm_open (&pcm, name, stream, 0) < 0)
    return NULL;
  snd_pcm_hw_params_alloca (&hw);
  snd_pcm_sw_params_alloca (&sw);
  if (snd_pcm_hw_params_any (pcm, hw) < 0 || snd_pcm_hw_params_set_access (pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED) < 0
      || snd_pcm_hw_params_set_format (pcm, hw, SND_PCM_FORMAT_S16) < 0
      || snd_pcm_hw_params_set_channels (pcm, hw, 1) < 0
      || snd_pcm_hw_params_set_rate_near (pcm, hw, &rate, NULL) < 0
      || snd_pcm_hw_params_set_period_size_near (pcm, hw, &period, NULL) < 0
      || snd_pcm_hw_params_set_buffer_size_near (pcm, hw, &buffer) < 0 || snd_pcm_hw_params (pcm, hw) < 0
      || snd_pcm_sw_params_current (pcm, sw) < 0
      || snd_pcm_sw_params_set_avail_min (pcm, sw, period) < 0
      || snd_pcm_sw_params_set_start_threshold (pcm, sw, stream == SND_PCM_STREAM_PLAYBACK ? buffer - period : 1) < 0
      || snd_pcm_sw_params (pcm, sw) < 0) {
    snd_pcm_close (pcm);
    return NULL;
  }
  return pcm;
}

int
main (int argc, char **argv)
{
  snd_pcm_t *cap, *play;
  short buf[PERIOD];
  long periods;

  if (argc != 4) {
    fprintf (stderr, "usage: alsa-floor CAPTURE-PCM PLAYBACK-PCM SECONDS\n");
    return 2;
  }
  cap = open_pcm (argv[1], SND_PCM_STREAM_CAPTURE);
  play = open_pcm (argv[2], SND_PCM_STREAM_PLAYBACK);
  if (cap == NULL || play == NULL) {
    fprintf (stderr, "alsa-floor: cannot open %s or %s\n", argv[1], argv[2]);
    return 1;
  }
  snd_pcm_start (cap);
  periods = atol (argv[3]) * 100;
  for (long i = 0; i < periods; i++) {
    snd_pcm_sframes_t n = snd_pcm_readi (cap, buf, PERIOD);

    if (n < 0) {
      snd_pcm_recover (cap, (int) n, 1);
      continue;
    }
    if (snd_pcm_writei (play, buf, (snd_pcm_uframes_t) n) < 0) {
      snd_pcm_prepare (play);
      fprintf (stderr, "alsa-floor: playback underrun\n");
    }
  }
  snd_pcm_close (cap);
  snd_pcm_close (play);
  return 0;
}
