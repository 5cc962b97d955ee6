/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Drives src/audio/engine.c for tests/net/audio.test: runs one engine for
 * --seconds on the named ALSA devices while this thread plays the media
 * side:
 *   --mode=loopback  what arrives on the "to network" ring is fed back
 *                    into the "from network" ring (capture -> playback);
 *   --mode=tone      a --tone-hz sine is fed to playback, capture dropped.
 * It prints the engine's status and counters as key=value lines and exits
 * 0 when they are what the options say they must be, 1 otherwise, 2 on
 * bad usage. */
#include "config.h"

#include "audio/engine.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TONE_LEVEL 0.5  /* of full scale */
#define MEDIA_TICK_MS 5 /* how often the "media side" polls the rings */

static void
print_status (ZcAudioEngine *engine, ZcAudioDirection direction)
{
  ZcAudioDeviceStatus st;
  const gchar *dir = zc_audio_direction_to_string (direction);

  zc_audio_engine_get_status (engine, direction, &st);
  printf ("%s.device=%s\n%s.open=%d\n%s.error=%d\n%s.error_text=%s\n%s.rate_hz=%u\n%s.period_frames=%u\n"
          "%s.opens=%" G_GUINT64_FORMAT "\n%s.open_failures=%" G_GUINT64_FORMAT "\n%s.xruns=%" G_GUINT64_FORMAT
          "\n%s.failures=%" G_GUINT64_FORMAT "\n",
          dir, st.device, dir, st.open, dir, st.error, dir, st.error != 0 ? g_strerror (-st.error) : "none", dir,
          st.rate_hz, dir, st.period_frames, dir, st.opens, dir, st.open_failures, dir, st.xruns, dir,
          st.failures);
}

int
main (int argc, char **argv)
{
  g_autofree gchar *capture = NULL, *playback = NULL, *mode = NULL;
  gdouble seconds = 3.0, tone_hz = 1000.0;
  gint rate = 48000, device_rate = 0, period_ms = 10;
  gboolean aec = FALSE, expect_capture_error = FALSE, expect_capture_recovery = FALSE;
  gint seen_capture_error = 0;
  guint64 last_played = 0;
  gint64 last_progress = 0, max_stall_us = 0, max_stall_end = 0, now, start;
  gdouble seen_capture_error_at = -1;
  GOptionEntry entries[] = {
    { "capture", 0, 0, G_OPTION_ARG_STRING, &capture, "capture PCM", "NAME" },
    { "playback", 0, 0, G_OPTION_ARG_STRING, &playback, "playback PCM", "NAME" },
    { "mode", 0, 0, G_OPTION_ARG_STRING, &mode, "loopback or tone", "MODE" },
    { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds, "run time", "S" },
    { "tone-hz", 0, 0, G_OPTION_ARG_DOUBLE, &tone_hz, "tone frequency (tone mode)", "HZ" },
    { "rate", 0, 0, G_OPTION_ARG_INT, &rate, "codec rate", "HZ" },
    { "device-rate", 0, 0, G_OPTION_ARG_INT, &device_rate, "device rate (0: codec rate)", "HZ" },
    { "period-ms", 0, 0, G_OPTION_ARG_INT, &period_ms, "device period", "MS" },
    { "aec", 0, 0, G_OPTION_ARG_NONE, &aec, "echo canceller on", NULL },
    { "expect-capture-error", 0, 0, G_OPTION_ARG_NONE, &expect_capture_error,
      "the capture device must be reported failing while playback runs", NULL },
    { "expect-capture-recovery", 0, 0, G_OPTION_ARG_NONE, &expect_capture_recovery,
      "the capture device must be seen failing during the run and be running again at the end", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- run the zcall audio engine");
  g_autoptr (GError) error = NULL;
  g_autoptr (ZcRing) to_net = NULL;
  g_autoptr (ZcRing) from_net = NULL;
  ZcAudioEngineConfig config = { 0 };
  ZcAudioEngine *engine;
  ZcAudioEngineStats stats;
  ZcAudioDeviceStatus cap, play;
  gboolean loopback;
  gint16 *buf;
  guint buf_len, tone_fill;
  gdouble phase = 0.0;
  gint64 end;
  guint64 looped = 0;
  gint ok = TRUE;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    fprintf (stderr, "audio-engine-test: %s\n", error->message);
    return 2;
  }
  loopback = mode == NULL || g_str_equal (mode, "loopback");
  if (!loopback && !g_str_equal (mode, "tone")) {
    fprintf (stderr, "audio-engine-test: --mode is loopback or tone\n");
    return 2;
  }

  to_net = zc_ring_new ((guint32) rate); /* 1 s each way */
  from_net = zc_ring_new ((guint32) rate);
  buf_len = (guint) rate / 10;
  buf = g_new0 (gint16, buf_len);
  tone_fill = (guint) rate * 40 / 1000; /* keep 40 ms queued for playback */

  config.capture_device = capture;
  config.playback_device = playback;
  config.codec_rate_hz = (guint) rate;
  config.device_rate_hz = (guint) device_rate;
  config.period_ms = (guint) period_ms;
  /* Loopback feeds capture back to playback: the reference is then a
   * delayed copy of the capture and a canceller would (rightly) remove
   * it, and the denoiser takes a steady tone for noise.  So both are off
   * unless --aec. */
  config.aec.echo_cancel = aec;
  config.aec.denoise = aec;
  config.to_network = to_net;
  config.from_network = from_net;

  engine = zc_audio_engine_start (&config, &error);
  if (engine == NULL) {
    fprintf (stderr, "audio-engine-test: %s\n", error->message);
    g_free (buf);
    return 1;
  }

  start = g_get_monotonic_time ();
  end = start + (gint64) (seconds * G_USEC_PER_SEC);
  while (g_get_monotonic_time () < end) {
    ZcAudioDirection dir;
    gint err;
    guint n;

    /* The longest time playback made no progress, after it first did. */
    zc_audio_engine_get_stats (engine, &stats);
    now = g_get_monotonic_time ();
    if (stats.playback_periods != last_played) {
      if (last_played != 0 && now - last_progress > max_stall_us) {
        max_stall_us = now - last_progress;
        max_stall_end = now - start;
      }
      last_played = stats.playback_periods;
      last_progress = now;
    }

    /* What a main loop would poll: the first failure seen. */
    if (seen_capture_error == 0 && zc_audio_engine_get_error (engine, &dir, &err) && dir == ZC_AUDIO_CAPTURE
        && err != 0) {
      seen_capture_error = err;
      seen_capture_error_at = seconds - (end - g_get_monotonic_time ()) / (gdouble) G_USEC_PER_SEC;
    }

    if (loopback) {
      while ((n = zc_ring_read (to_net, buf, buf_len)) > 0) {
        zc_ring_write (from_net, buf, n);
        looped += n;
      }
    } else {
      zc_ring_skip (to_net, zc_ring_get_fill (to_net));
      while (zc_ring_get_fill (from_net) < tone_fill) {
        guint k = MIN (buf_len, tone_fill);

        for (guint i = 0; i < k; i++) {
          buf[i] = (gint16) (TONE_LEVEL * 32767.0 * sin (phase));
          phase += 2.0 * G_PI * tone_hz / rate;
          if (phase > 2.0 * G_PI)
            phase -= 2.0 * G_PI;
        }
        zc_ring_write (from_net, buf, k);
      }
    }
    g_usleep (MEDIA_TICK_MS * 1000);
  }

  zc_audio_engine_get_stats (engine, &stats);
  zc_audio_engine_get_status (engine, ZC_AUDIO_CAPTURE, &cap);
  zc_audio_engine_get_status (engine, ZC_AUDIO_PLAYBACK, &play);
  print_status (engine, ZC_AUDIO_CAPTURE);
  print_status (engine, ZC_AUDIO_PLAYBACK);
  printf ("periods=%" G_GUINT64_FORMAT "\nframes_sent=%" G_GUINT64_FORMAT "\nto_network_overflows=%" G_GUINT64_FORMAT
          "\nunderruns=%" G_GUINT64_FORMAT "\nplayback_periods=%" G_GUINT64_FORMAT
          "\nreference_misses=%" G_GUINT64_FORMAT "\naec_resets=%" G_GUINT64_FORMAT
          "\nrealtime=%d\nrunning=%d\nlooped_samples=%" G_GUINT64_FORMAT "\nseen_capture_error=%d\n"
          "seen_capture_error_at_s=%.2f\nmax_playback_stall_ms=%" G_GINT64_FORMAT "\nmax_playback_stall_end_s=%.2f\n",
          stats.periods, stats.frames_sent, stats.to_network_overflows, stats.underruns, stats.playback_periods,
          stats.reference_misses, stats.aec_resets, stats.realtime, stats.running, looped,
          seen_capture_error, seen_capture_error_at, max_stall_us / 1000,
          max_stall_end / (gdouble) G_USEC_PER_SEC);
  fflush (stdout);

  /* What must hold: the thread ran, playback ran for most of the time. */
  if (!stats.running || stats.playback_periods < (guint64) (seconds * 1000 / period_ms / 2) || !play.open
      || play.error != 0) {
    fprintf (stderr, "audio-engine-test: playback did not run\n");
    ok = FALSE;
  }
  if (loopback && !expect_capture_recovery && stats.frames_sent < (guint64) (seconds * 100 / 2)) {
    fprintf (stderr, "audio-engine-test: capture did not run\n");
    ok = FALSE;
  }
  if (expect_capture_error) {
    if (cap.open || cap.error == 0 || cap.open_failures < 2) {
      fprintf (stderr, "audio-engine-test: the capture failure was not reported (or not retried)\n");
      ok = FALSE;
    }
  } else if (expect_capture_recovery) {
    if (seen_capture_error == 0 || !cap.open || cap.error != 0 || cap.opens < 2) {
      fprintf (stderr, "audio-engine-test: the capture device was not seen failing and then running again\n");
      ok = FALSE;
    }
  } else if (!cap.open || cap.error != 0) {
    fprintf (stderr, "audio-engine-test: capture is not running\n");
    ok = FALSE;
  }

  zc_audio_engine_stop (engine);
  g_free (buf);
  return ok ? 0 : 1;
}
