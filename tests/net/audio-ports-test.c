/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Two calls on one audio engine (engine.h, issue 13 item 4), for
 * tests/net/audio.test: the engine plays into a PulseAudio null sink and
 * captures that sink's monitor, so what each port receives is the mix
 * that was played.  Two ports (one at the engine's 48 kHz, one at 8 kHz
 * as a G.711 call) each play their own tone; then:
 *
 *   mix      both ports receive both tones, each at its own level;
 *   mute     the muted port receives silence, the other both tones;
 *   conference  both ports in one group (engine-conf.c): muted, each
 *            receives the other's from_network tone and not its own;
 *            unmuted, its own tone (the capture) as well; out of the
 *            group, muted ports receive silence again;
 *   detach   the second port is freed while the engine runs: the first
 *            hears its tone go, and 200 ports attached and freed at once
 *            leave the engine running with one port;
 *   clip     two ports' sum beyond full scale saturates (no wrap);
 *   wake     the eventfd of zc_audio_port_set_wake() is written about
 *            once per 10 ms of capture (capture-driven media), and the
 *            8 kHz port's zc_audio_port_set_playout_clock() counts one
 *            per 20 ms its playback took (device-pulled playout), and
 *            drops the 40 ms its media side keeps standing, which the
 *            port without the clock keeps;
 *   shared   zc_audio_engine_acquire() hands out one engine per device
 *            pair and closes it ZC_AUDIO_ENGINE_LINGER_MS after the last
 *            release, not before.
 *
 * It prints key=value lines of what it measured and "ok"/"not ok" lines
 * per check; exits 0 when all hold, 1 otherwise, 2 on bad usage. */
#include "config.h"

#include "audio/engine.h"

#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define TICK_MS 5
#define TONE_A_HZ 700.0
#define TONE_B_HZ 1100.0
#define TONE_LEVEL 0.25     /* of full scale, each */
#define PLAY_AHEAD_MS 40    /* what a media side keeps queued */
#define PHASE_S 1.5         /* each phase; the last ANALYSE_S are measured */
#define ANALYSE_S 0.5
#define CLIP_DC 24000       /* two of these are 48000: beyond full scale */

typedef struct {
  ZcAudioPort *port;
  guint rate;
  gdouble hz, phase;
  gint16 dc;              /* nonzero: play this constant instead of the tone */
  gint16 *rec;            /* what its to_network gave, in the measured window */
  guint rec_len, rec_n;
} Call;

static gint failures;

static void
check (gboolean ok, const gchar *what)
{
  printf ("%s - %s\n", ok ? "ok" : "not ok", what);
  if (!ok)
    failures++;
}

static void
call_attach (Call *c, ZcAudioEngine *engine, guint rate, gdouble hz)
{
  g_autoptr (GError) error = NULL;

  memset (c, 0, sizeof (*c));
  c->rate = rate;
  c->hz = hz;
  c->port = zc_audio_port_new (engine, rate, &error);
  if (c->port == NULL)
    g_error ("audio-ports-test: %s", error->message);
  c->rec_len = (guint) (rate * ANALYSE_S);
  c->rec = g_new0 (gint16, c->rec_len);
}

static void
call_detach (Call *c)
{
  g_clear_pointer (&c->port, zc_audio_port_free);
  g_clear_pointer (&c->rec, g_free);
}

/* One media tick of @c: its playback topped up, its capture taken (kept
 * when @record). */
static void
call_tick (Call *c, gboolean record)
{
  ZcRing *from = zc_audio_port_get_from_network (c->port);
  ZcRing *to = zc_audio_port_get_to_network (c->port);
  guint want = c->rate * PLAY_AHEAD_MS / 1000;
  gint16 buf[480];
  guint n;

  while (zc_ring_get_fill (from) < want) {
    n = MIN (G_N_ELEMENTS (buf), want - zc_ring_get_fill (from));
    for (guint i = 0; i < n; i++) {
      buf[i] = c->dc != 0 ? c->dc : (gint16) (TONE_LEVEL * 32767.0 * sin (c->phase));
      c->phase = fmod (c->phase + 2.0 * G_PI * c->hz / c->rate, 2.0 * G_PI);
    }
    zc_ring_write (from, buf, n);
  }
  while ((n = zc_ring_read (to, buf, G_N_ELEMENTS (buf))) > 0) {
    if (!record)
      continue;
    n = MIN (n, c->rec_len - c->rec_n);
    memcpy (c->rec + c->rec_n, buf, n * sizeof (gint16));
    c->rec_n += n;
  }
}

/* Run @calls for PHASE_S, measuring the last ANALYSE_S. */
static void
run_phase (Call **calls, guint n_calls)
{
  gint64 start = g_get_monotonic_time ();
  gint64 end = start + (gint64) (PHASE_S * G_USEC_PER_SEC);
  gint64 record_from = end - (gint64) (ANALYSE_S * G_USEC_PER_SEC);

  for (guint i = 0; i < n_calls; i++)
    calls[i]->rec_n = 0;
  while (g_get_monotonic_time () < end) {
    gboolean record = g_get_monotonic_time () >= record_from;

    for (guint i = 0; i < n_calls; i++)
      call_tick (calls[i], record);
    /* Detached ports are freed from the main loop. */
    while (g_main_context_iteration (NULL, FALSE))
      ;
    g_usleep (TICK_MS * 1000);
  }
}

/* Amplitude (of full scale) of @hz in @n samples at @rate: Goertzel. */
static gdouble
goertzel (const gint16 *x, guint n, guint rate, gdouble hz)
{
  gdouble w = 2.0 * G_PI * hz / rate, coeff = 2.0 * cos (w), s1 = 0, s2 = 0;

  if (n == 0)
    return 0.0;
  for (guint i = 0; i < n; i++) {
    gdouble s0 = x[i] / 32768.0 + coeff * s1 - s2;

    s2 = s1;
    s1 = s0;
  }
  return 2.0 * sqrt (MAX (s1 * s1 + s2 * s2 - coeff * s1 * s2, 0.0)) / n;
}

/* The loudest @hz in 100 ms blocks of @c's recording (both tones make
 * whole cycles in 100 ms).  The best block, not the whole window: on a
 * loaded machine the sound server's own xruns put gaps into what the
 * monitor gives back, which would lower a whole-window figure although
 * the engine mixed right. */
static gdouble
level_at (const Call *c, gdouble hz)
{
  guint block = c->rate / 10;
  gdouble best = 0.0;

  for (guint at = 0; at + block <= c->rec_n; at += block)
    best = MAX (best, goertzel (c->rec + at, block, c->rate, hz));
  return best;
}

/* The largest mean of a 100 ms block. */
static gdouble
block_mean (const Call *c)
{
  guint block = c->rate / 10;
  gdouble best = -32768.0;

  for (guint at = 0; at + block <= c->rec_n; at += block) {
    gdouble sum = 0;

    for (guint i = at; i < at + block; i++)
      sum += c->rec[i];
    best = MAX (best, sum / block);
  }
  return best;
}

static gdouble
rms (const Call *c)
{
  gdouble sum = 0;

  for (guint i = 0; i < c->rec_n; i++)
    sum += (c->rec[i] / 32768.0) * (c->rec[i] / 32768.0);
  return c->rec_n != 0 ? sqrt (sum / c->rec_n) : 0.0;
}

static gboolean
near_level (gdouble level)
{
  /* +-3 dB of TONE_LEVEL */
  return level > TONE_LEVEL / 1.413 && level < TONE_LEVEL * 1.413;
}

static void
report_levels (const gchar *phase, const gchar *name, const Call *c)
{
  printf ("%s.%s.samples=%u\n%s.%s.level_%.0f=%.4f\n%s.%s.level_%.0f=%.4f\n%s.%s.rms=%.5f\n", phase, name, c->rec_n,
          phase, name, TONE_A_HZ, level_at (c, TONE_A_HZ), phase, name, TONE_B_HZ, level_at (c, TONE_B_HZ), phase,
          name, rms (c));
}

static void
test_shared (void)
{
  ZcAudioEngineConfig config = { .capture_device = ZC_AUDIO_NO_DEVICE, .playback_device = ZC_AUDIO_NO_DEVICE };
  ZcAudioEngineConfig other = { .capture_device = ZC_AUDIO_NO_DEVICE, .playback_device = "zc-other-pcm" };
  g_autoptr (GError) error = NULL;
  ZcAudioEngine *a, *b, *c;
  gint64 end;
  gboolean alive_in_linger;

  a = zc_audio_engine_acquire (&config, &error);
  b = zc_audio_engine_acquire (&config, &error);
  c = zc_audio_engine_acquire (&other, &error);
  check (a != NULL && a == b && c != NULL && c != a && zc_audio_engine_count_shared () == 2,
         "shared: one engine per device pair");
  zc_audio_engine_release (a);
  zc_audio_engine_release (c);
  zc_audio_engine_release (b);
  /* Half the linger: still there, and taken up again by a new call. */
  end = g_get_monotonic_time () + ZC_AUDIO_ENGINE_LINGER_MS * 500;
  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE), g_usleep (1000);
  alive_in_linger = zc_audio_engine_count_shared () == 2;
  b = zc_audio_engine_acquire (&config, &error);
  check (alive_in_linger && b == a, "shared: the last release lingers and a new call takes the engine up again");
  zc_audio_engine_release (b);
  end = g_get_monotonic_time () + ZC_AUDIO_ENGINE_LINGER_MS * 1500;
  while (g_get_monotonic_time () < end && zc_audio_engine_count_shared () > 0)
    g_main_context_iteration (NULL, FALSE), g_usleep (1000);
  check (zc_audio_engine_count_shared () == 0, "shared: closed once the linger is over");
}

int
main (int argc, char **argv)
{
  g_autofree gchar *capture = NULL, *playback = NULL;
  gint churn = 200;
  GOptionEntry entries[] = {
    { "capture", 0, 0, G_OPTION_ARG_STRING, &capture, "capture PCM: the playback's monitor", "NAME" },
    { "playback", 0, 0, G_OPTION_ARG_STRING, &playback, "playback PCM", "NAME" },
    { "churn", 0, 0, G_OPTION_ARG_INT, &churn, "ports attached and freed while running", "N" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- two calls on one zcall audio engine");
  g_autoptr (GError) error = NULL;
  ZcAudioEngineConfig config = { 0 };
  ZcAudioEngine *engine;
  ZcAudioEngineStats stats;
  ZcAudioPortStats pstats;
  Call a, b;
  Call *both[] = { &a, &b };
  Call *one[] = { &a };
  gdouble b_level_before;
  int wake_fd, playout_fd;
  guint64 wakes = 0, played = 0;
  gboolean wake_ok;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || capture == NULL || playback == NULL) {
    fprintf (stderr, "audio-ports-test: %s\n", error != NULL ? error->message : "--capture and --playback");
    return 2;
  }

  /* This thread plays two calls' media sides, which keep only 40 ms
   * queued (the engine trims more): on a loaded machine a normal thread
   * misses that and the tones get gaps that are no fault of the engine.
   * Below the audio thread's priority; without the right, as it is. */
  {
    struct sched_param param = { .sched_priority = ZC_AUDIO_DEFAULT_RT_PRIORITY / 2 };

    printf ("driver_realtime=%d\n", pthread_setschedparam (pthread_self (), SCHED_FIFO, &param) == 0);
  }
  config.capture_device = capture;
  config.playback_device = playback;
  /* The capture is the playback itself: a canceller would (rightly)
   * remove all of it, and the denoiser takes steady tones for noise. */
  config.aec.echo_cancel = FALSE;
  config.aec.denoise = FALSE;
  engine = zc_audio_engine_acquire (&config, &error);
  if (engine == NULL) {
    fprintf (stderr, "audio-ports-test: %s\n", error->message);
    return 1;
  }
  call_attach (&a, engine, 48000, TONE_A_HZ);
  call_attach (&b, engine, 8000, TONE_B_HZ);

  /* wake: at each 10 ms of capture (480 samples at 48 kHz; this media
   * side reads every 5 ms, so a larger threshold would seldom be met) */
  wake_fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
  wake_ok = zc_audio_port_set_wake (a.port, wake_fd, 480, NULL) && !zc_audio_port_set_wake (a.port, wake_fd, 480, NULL);
  playout_fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
  wake_ok = wake_ok && zc_audio_port_set_playout_clock (b.port, playout_fd, 160, NULL)
            && !zc_audio_port_set_playout_clock (b.port, playout_fd, 160, NULL);

  /* mix: the devices open during the first phase; measure the second. */
  run_phase (both, 2);
  if (read (wake_fd, &wakes, sizeof wakes) != sizeof wakes)
    wakes = 0;
  if (read (playout_fd, &played, sizeof played) != sizeof played)
    played = 0;
  run_phase (both, 2);
  if (read (wake_fd, &wakes, sizeof wakes) != sizeof wakes)
    wakes = 0;
  if (read (playout_fd, &played, sizeof played) != sizeof played)
    played = 0;
  close (wake_fd); /* the port keeps its own copy */
  close (playout_fd);
  printf ("wake.count=%" G_GUINT64_FORMAT "\nplayout.frames=%" G_GUINT64_FORMAT "\n", wakes, played);
  /* A phase is 1.5 s: 150 engine frames, 75 of 20 ms. */
  check (wake_ok && wakes >= 100 && wakes <= 200, "wake: the capture-driven eventfd is written once per frame");
  check (played >= 60 && played <= 90, "wake: the playout clock counts one per 20 ms the device played");
  {
    ZcAudioPortStats a_stats, b_stats;

    /* Both media sides keep 40 ms queued.  On the playout clock that is
     * standing delay, dropped once a second down to one read and a
     * margin, at least 12 ms of it once in the 3 s; a port without the
     * clock keeps it (below the 40 ms cap). */
    zc_audio_port_get_stats (a.port, &a_stats);
    zc_audio_port_get_stats (b.port, &b_stats);
    printf ("playout.trimmed_a=%" G_GUINT64_FORMAT "\nplayout.trimmed_b=%" G_GUINT64_FORMAT "\n",
            a_stats.playback_trimmed, b_stats.playback_trimmed);
    check (b_stats.playback_trimmed >= 8 * 12 && a_stats.playback_trimmed == 0,
           "wake: the standing excess of a port on the playout clock is dropped, of one without it kept");
  }
  report_levels ("mix", "a", &a);
  report_levels ("mix", "b", &b);
  check (near_level (level_at (&a, TONE_A_HZ)) && near_level (level_at (&a, TONE_B_HZ)),
         "mix: the 48 kHz port receives both calls' tones");
  check (near_level (level_at (&b, TONE_A_HZ)) && near_level (level_at (&b, TONE_B_HZ)),
         "mix: the 8 kHz port receives both calls' tones");
  b_level_before = level_at (&a, TONE_B_HZ);

  /* mute */
  zc_audio_port_set_muted (b.port, TRUE);
  run_phase (both, 2);
  report_levels ("mute", "a", &a);
  report_levels ("mute", "b", &b);
  zc_audio_port_get_stats (b.port, &pstats);
  check (b.rec_n > 0 && rms (&b) < 0.0001 && pstats.muted, "mute: the muted port receives silence");
  check (near_level (level_at (&a, TONE_A_HZ)) && near_level (level_at (&a, TONE_B_HZ)),
         "mute: the other port still receives both tones (the muted call is still heard)");
  zc_audio_port_set_muted (b.port, FALSE);

  /* conference: muted, the capture is silence, so what a member receives
   * is the other member's playback alone. */
  zc_audio_port_set_conference (a.port, 1);
  zc_audio_port_set_conference (b.port, 1);
  zc_audio_port_set_muted (a.port, TRUE);
  zc_audio_port_set_muted (b.port, TRUE);
  run_phase (both, 2);
  report_levels ("conference_muted", "a", &a);
  report_levels ("conference_muted", "b", &b);
  check (near_level (level_at (&a, TONE_B_HZ)) && level_at (&a, TONE_A_HZ) < TONE_LEVEL / 20,
         "conference: a muted 48 kHz member receives the other member's tone, not its own");
  check (near_level (level_at (&b, TONE_A_HZ)) && level_at (&b, TONE_B_HZ) < TONE_LEVEL / 20,
         "conference: a muted 8 kHz member receives the other member's tone, not its own");
  /* Unmuted: the capture (both tones, from the monitor) goes out too.  The
   * other's tone arrives twice, out of phase by the playback delay, so
   * only each member's own tone has a level to expect. */
  zc_audio_port_set_muted (a.port, FALSE);
  zc_audio_port_set_muted (b.port, FALSE);
  run_phase (both, 2);
  report_levels ("conference", "a", &a);
  report_levels ("conference", "b", &b);
  check (zc_audio_port_get_conference (a.port) == 1 && near_level (level_at (&a, TONE_A_HZ))
           && near_level (level_at (&b, TONE_B_HZ)),
         "conference: unmuted members send the capture as well");
  zc_audio_port_set_muted (a.port, TRUE);
  zc_audio_port_set_muted (b.port, TRUE);
  zc_audio_port_set_conference (a.port, 0);
  zc_audio_port_set_conference (b.port, 0);
  run_phase (both, 2);
  report_levels ("conference_left", "a", &a);
  report_levels ("conference_left", "b", &b);
  check (a.rec_n > 0 && b.rec_n > 0 && rms (&a) < 0.0001 && rms (&b) < 0.0001,
         "conference: out of the group, muted ports receive silence again");
  zc_audio_port_set_muted (a.port, FALSE);
  zc_audio_port_set_muted (b.port, FALSE);

  /* detach while running, then churn */
  call_detach (&b);
  run_phase (one, 1);
  report_levels ("detach", "a", &a);
  check (near_level (level_at (&a, TONE_A_HZ)) && level_at (&a, TONE_B_HZ) < b_level_before / 20,
         "detach: the freed port's tone is gone from the mix, the other plays on");
  for (gint i = 0; i < churn; i++) {
    g_autoptr (ZcAudioPort) p = zc_audio_port_new (engine, i % 2 == 0 ? 16000 : 48000, &error);
    gint16 pcm[160] = { 0 };

    if (p == NULL)
      g_error ("audio-ports-test: %s", error->message);
    zc_ring_write (zc_audio_port_get_from_network (p), pcm, G_N_ELEMENTS (pcm));
    if (i % 7 == 0)
      g_usleep (3000); /* now and then across a tick of the audio thread */
    while (g_main_context_iteration (NULL, FALSE))
      ;
  }
  run_phase (one, 1);
  zc_audio_engine_get_stats (engine, &stats);
  printf ("churn.ports=%u\nchurn.running=%d\n", stats.ports, stats.running);
  report_levels ("churn", "a", &a);
  check (stats.running && stats.ports == 1 && near_level (level_at (&a, TONE_A_HZ)),
         "detach: after ports attached and freed while running, one port plays on");

  /* clip */
  call_attach (&b, engine, 48000, TONE_B_HZ);
  a.dc = b.dc = CLIP_DC;
  run_phase (both, 2);
  printf ("clip.a.block_mean=%.0f\n", block_mean (&a));
  check (block_mean (&a) > 30000, "clip: a sum beyond full scale saturates instead of wrapping");
  call_detach (&b);

  zc_audio_engine_get_stats (engine, &stats);
  printf ("periods=%" G_GUINT64_FORMAT "\nframes_sent=%" G_GUINT64_FORMAT "\nunderruns=%" G_GUINT64_FORMAT
          "\nplayback_periods=%" G_GUINT64_FORMAT "\n",
          stats.periods, stats.frames_sent, stats.underruns, stats.playback_periods);
  call_detach (&a);
  zc_audio_engine_release (engine);
  zc_audio_engine_close_all ();
  check (zc_audio_engine_count_shared () == 0, "close_all stops a lingering engine");

  test_shared ();
  fflush (stdout);
  return failures == 0 ? 0 : 1;
}
