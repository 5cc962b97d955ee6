/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "audio"

#include "config.h"

#include "audio/engine.h"

#include "audio/device-alsa.h"
#include "audio/engine-private.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <time.h>

/* The echo reference is primed this much earlier than the measured delay,
 * so that neither device-buffer jitter nor a sound server's latency report
 * that runs high (PulseAudio's did, by tens of ms now and then) makes it
 * late: a late reference cannot be cancelled at all, an early one only
 * costs that much of the tail (aec.h), ms. */
#define REFERENCE_MARGIN_MS 30
/* A running device that delivers nothing for this long is given up on and
 * reopened, ms.  Not shorter: a PulseAudio sink that was idle at a long
 * latency can take over a second to serve a new low-latency stream. */
#define STALL_TIMEOUT_MS 2000
/* How often the audio thread copies the canceller's own figures (delay,
 * ERLE) out for statistics, in capture frames of 10 ms. */
#define AEC_STATS_FRAMES 100
/* Capture framing (loop_align_capture()): the least that waited in the
 * capture ring for a frame's remainder is looked at over this many ticks
 * (about a second). */
#define CAPTURE_ALIGN_TICKS 100
/* Device thread's tick: how soon it notices stop or a dead device, ms. */
#define DEVICE_THREAD_TICK_MS 50

const gchar *
zc_audio_direction_to_string (ZcAudioDirection direction)
{
  return direction == ZC_AUDIO_CAPTURE ? "capture" : "playback";
}

/* ------------------------------------------------------------ devices
 * (device thread; never the audio thread) */

/* Open for @direction and hand it to the audio thread; status either way. */
static gboolean
slot_try_open (ZcAudioEngine *e, ZcAudioDirection direction, gboolean warn)
{
  Slot *s = &e->slot[direction];
  int err = 0;
  ZcAudioDeviceConfig config = {
    .name = s->name,
    .direction = direction,
    .rate_hz = e->device_rate_hz,
    .period_ms = e->period_ms,
    .codec_rate_hz = e->codec_rate_hz,
    .frame = e->frame,
    .log_prefix = e->log_prefix,
  };
  ZcAudioDevice *d = zc_audio_device_open (&config, &err);

  if (d == NULL) {
    atomic_store (&s->error, err);
    atomic_fetch_add (&s->open_failures, 1);
    if (warn)
      g_warning ("%scannot open %s device '%s' (%s); retrying every %u ms", e->log_prefix,
                 zc_audio_direction_to_string (direction), s->name, zc_audio_device_strerror (err), e->retry_ms);
    return FALSE;
  }
  atomic_store (&s->rate_hz, d->rate_hz);
  atomic_store (&s->period_frames, (guint) d->period);
  atomic_fetch_add (&s->opens, 1);
  /* Before publishing: the audio thread may give it back at once and
   * set wanted again. */
  atomic_store (&s->wanted, FALSE);
  atomic_store (&s->ready, d);
  return TRUE;
}

static void *
device_thread_cb (void *data)
{
  ZcAudioEngine *e = data;
  gint64 next_attempt[ZC_AUDIO_N_DIRECTIONS];
  gboolean warned[ZC_AUDIO_N_DIRECTIONS];

  /* The first attempt is made here at once: opening a PCM can block for a
   * while (a sound server's handshake), and the caller is the main loop. */
  for (int i = 0; i < ZC_AUDIO_N_DIRECTIONS; i++) {
    next_attempt[i] = g_get_monotonic_time ();
    warned[i] = FALSE;
  }

  g_mutex_lock (&e->lock);
  while (!atomic_load (&e->stop)) {
    gint64 now = g_get_monotonic_time ();

    for (int i = 0; i < ZC_AUDIO_N_DIRECTIONS; i++) {
      Slot *s = &e->slot[i];
      ZcAudioDevice *dead = atomic_exchange (&s->dead, NULL);

      if (dead != NULL) {
        g_mutex_unlock (&e->lock);
        g_warning ("%s%s device '%s' failed (%s); reopening every %u ms", e->log_prefix,
                   zc_audio_direction_to_string (i), s->name, zc_audio_device_strerror (atomic_load (&s->error)), e->retry_ms);
        zc_audio_device_free (dead);
        g_mutex_lock (&e->lock);
        next_attempt[i] = now + (gint64) e->retry_ms * 1000;
        warned[i] = TRUE;
      }
      if (atomic_load (&s->wanted) && atomic_load (&s->ready) == NULL && now >= next_attempt[i]) {
        gboolean ok;

        g_mutex_unlock (&e->lock);
        ok = slot_try_open (e, i, !warned[i]);
        g_mutex_lock (&e->lock);
        warned[i] = !ok;
        if (ok && (atomic_load (&s->open_failures) > 0 || atomic_load (&s->failures) > 0))
          g_message ("%s%s device '%s' is back", e->log_prefix, zc_audio_direction_to_string (i), s->name);
        next_attempt[i] = g_get_monotonic_time () + (gint64) e->retry_ms * 1000;
      }
    }
    g_cond_wait_until (&e->cond, &e->lock, g_get_monotonic_time () + DEVICE_THREAD_TICK_MS * 1000);
  }
  g_mutex_unlock (&e->lock);
  return NULL;
}

/* ------------------------------------------------------------ audio thread
 * Everything below runs on the real-time thread: no allocation, no lock,
 * no log. */

typedef struct {
  ZcAudioEngine *e;
  ZcAudioPort *ports[ZC_AUDIO_MAX_PORTS]; /* this tick's, loaded once at its start */
  ZcAudioDevice *cap, *play;
  gboolean reprime;
  guint stall_ms;
  guint64 silence_acc; /* playback-paced: device frames * codec rate not yet sent as silence */
  guint cap_rest_min;   /* the least the capture ring held after framing ... */
  guint cap_rest_ticks; /* ... over this many ticks */
  guint cap_splice;     /* to drop ahead of the next frame, blended (ring.h) */
} Loop;

/* Give @d up: hand it to the device thread to close, ask for a new one. */
static void
loop_give_back (Loop *l, ZcAudioDevice **dp, int err)
{
  Slot *s = &l->e->slot[(*dp)->direction];

  atomic_store (&s->error, err);
  atomic_fetch_add (&s->failures, 1);
  atomic_store (&s->open, FALSE);
  atomic_store (&s->dead, *dp);
  atomic_store (&s->wanted, TRUE);
  *dp = NULL;
  l->reprime = TRUE;
}

/* @n samples (engine rate) of silence to every port. */
static void
send_silence (Loop *l, guint n)
{
  for (guint i = 0; i < ZC_AUDIO_MAX_PORTS; i++)
    if (l->ports[i] != NULL)
      zc_audio_port_rt_silence (l->ports[i], n);
}

/* Consume @n samples' worth (engine rate) of every port's from_network
 * without playing them.  A port in a conference still has its frame
 * pulled when @n is one: the other parties hear it even when we do not. */
static void
drain_network (Loop *l, guint n)
{
  ZcAudioEngine *e = l->e;

  for (guint i = 0; i < ZC_AUDIO_MAX_PORTS; i++) {
    ZcAudioPort *p = l->ports[i];

    if (p == NULL)
      continue;
    if (n == e->frame && atomic_load_explicit (&p->conference, memory_order_relaxed) != 0) {
      zc_audio_port_rt_pull (p, e->frame_port);
      zc_audio_conf_rt_played (p, e->frame_port);
    } else {
      zc_audio_port_rt_drain (p, n);
    }
  }
}

/* This tick's ports.  Acquire pairs with the main thread's store: the
 * port is complete before it is seen. */
static void
load_ports (Loop *l)
{
  for (guint i = 0; i < ZC_AUDIO_MAX_PORTS; i++)
    l->ports[i] = atomic_load_explicit (&l->e->ports[i], memory_order_seq_cst);
}

/* Tell the main thread this tick no longer uses the ports it loaded. */
static void
release_ports (Loop *l)
{
  memset (l->ports, 0, sizeof (l->ports));
  atomic_fetch_add_explicit (&l->e->epoch, 1, memory_order_seq_cst);
}

/* Recover from an ALSA error on @d: 0 when recovered (an xrun), -EAGAIN
 * when it is suspended still (leave it until the next tick), else the
 * error that made the device unusable. */
static int
loop_recover (Loop *l, ZcAudioDevice *d, int err)
{
  /* -EAGAIN: suspended, not resumed yet; asked again next tick. */
  if ((err = zc_audio_device_recover (d, err)) < 0)
    return err;
  atomic_fetch_add_explicit (&l->e->slot[d->direction].xruns, 1, memory_order_relaxed);
  l->reprime = TRUE;
  return 0;
}

/* Take the devices the device thread opened. */
static void
loop_adopt (Loop *l)
{
  ZcAudioEngine *e = l->e;

  for (int i = 0; i < ZC_AUDIO_N_DIRECTIONS; i++) {
    ZcAudioDevice **dp = i == ZC_AUDIO_CAPTURE ? &l->cap : &l->play;
    ZcAudioDevice *d;

    if (*dp != NULL || (d = atomic_exchange (&e->slot[i].ready, NULL)) == NULL)
      continue;
    *dp = d;
    if (i == ZC_AUDIO_CAPTURE) {
      int err = zc_audio_device_start (d);

      if (err < 0 && (err = loop_recover (l, d, err)) < 0 && err != -EAGAIN) {
        loop_give_back (l, dp, err);
        continue;
      }
      l->stall_ms = 0;
    }
    atomic_store (&e->slot[i].error, 0);
    atomic_store (&e->slot[i].open, TRUE);
    l->reprime = TRUE;
  }
}

/* Line the reference up again (aec.h): drop what it held, prime it with
 * the current playback + capture delay less the margin, reset the
 * canceller. */
static void
loop_reprime (Loop *l)
{
  ZcAudioEngine *e = l->e;
  guint64 delay = 0; /* codec samples */

  l->reprime = FALSE;
  zc_ring_skip (e->reference, zc_ring_get_fill (e->reference));
  l->cap_rest_ticks = 0;
  l->cap_splice = 0;
  if (l->cap != NULL) {
    zc_ring_skip (l->cap->ring, zc_ring_get_fill (l->cap->ring));
    zc_resampler_reset (l->cap->resampler);
  }
  if (l->play != NULL) {
    glong play_delay;

    zc_ring_skip (l->play->ring, zc_ring_get_fill (l->play->ring));
    zc_resampler_reset (l->play->resampler);
    play_delay = zc_audio_device_get_delay (l->play);
    if (play_delay < 0)
      play_delay = 0;
    /* A stopped stream (just opened or recovered) fills up to the target
     * before it starts. */
    if ((gulong) play_delay < l->play->buffer - l->play->period)
      play_delay = (glong) (l->play->buffer - l->play->period);
    delay += (guint64) play_delay * e->codec_rate_hz / l->play->rate_hz;
    if (l->cap != NULL)
      delay += (guint64) l->cap->period * e->codec_rate_hz / l->cap->rate_hz;
    delay = delay > e->codec_rate_hz * REFERENCE_MARGIN_MS / 1000
              ? delay - e->codec_rate_hz * REFERENCE_MARGIN_MS / 1000
              : 0;
    delay = MIN (delay, zc_ring_get_space (e->reference));
    for (guint64 left = delay; left > 0;) {
      guint chunk = (guint) MIN (left, e->zeros_len);

      zc_ring_write (e->reference, e->zeros, chunk);
      left -= chunk;
    }
  }
  zc_aec_reset (e->aec);
  atomic_fetch_add_explicit (&e->aec_resets, 1, memory_order_relaxed);
}

/* Frame and clean what the capture device delivered (@n frames in cap->buf). */
static void
loop_capture (Loop *l, gulong n)
{
  ZcAudioEngine *e = l->e;
  ZcAudioDevice *d = l->cap;
  guint out = zc_resampler_process (d->resampler, d->buf, (guint) n, d->resampled);

  zc_ring_write (d->ring, d->resampled, out);
  while (zc_ring_get_fill (d->ring) >= e->frame + l->cap_splice) {
    const gint16 *ref = NULL;

    zc_ring_read_spliced (d->ring, e->frame_in, e->frame, l->cap_splice, zc_ring_splice_samples (e->codec_rate_hz));
    l->cap_splice = 0;
    if (l->play != NULL) {
      if (zc_ring_get_fill (e->reference) >= e->frame) {
        zc_ring_read (e->reference, e->frame_ref, e->frame);
        ref = e->frame_ref;
      } else {
        atomic_fetch_add_explicit (&e->reference_misses, 1, memory_order_relaxed);
      }
    } else {
      /* Nobody hears it: keep the network side's clock going. */
      drain_network (l, e->frame);
    }
    zc_aec_process (e->aec, e->frame_in, ref, e->frame_out);
    /* Between frames, where the canceller's getters may run (aec.h). */
    if (e->aec_stats_countdown-- == 0) {
      e->aec_stats_countdown = AEC_STATS_FRAMES;
      atomic_store_explicit (&e->aec_delay_ms, zc_aec_get_delay_ms (e->aec), memory_order_relaxed);
      atomic_store_explicit (&e->aec_erle_db, zc_aec_get_erle_db (e->aec), memory_order_relaxed);
      atomic_store_explicit (&e->aec_guarded_frames, zc_aec_get_diverged_frames (e->aec), memory_order_relaxed);
    }
    zc_audio_conf_rt_push (e, l->ports, e->frame_out);
    atomic_fetch_add_explicit (&e->frames_sent, 1, memory_order_relaxed);
  }
}

/* One frame of every port's playback, summed and saturated, into
 * e->frame_in. */
static void
mix_ports (Loop *l)
{
  ZcAudioEngine *e = l->e;
  guint n = 0;

  memset (e->mix, 0, e->frame * sizeof (gint32));
  for (guint i = 0; i < ZC_AUDIO_MAX_PORTS; i++) {
    if (l->ports[i] == NULL)
      continue;
    zc_audio_port_rt_pull (l->ports[i], e->frame_port);
    zc_audio_conf_rt_played (l->ports[i], e->frame_port);
    for (guint k = 0; k < e->frame; k++)
      e->mix[k] += e->frame_port[k];
    n++;
  }
  if (n <= 1) {
    /* One call (the usual case): its samples as they are. */
    for (guint k = 0; k < e->frame; k++)
      e->frame_in[k] = (gint16) e->mix[k];
    return;
  }
  for (guint k = 0; k < e->frame; k++)
    e->frame_in[k] = (gint16) CLAMP (e->mix[k], G_MININT16, G_MAXINT16);
}

/* Top the playback buffer up to its target fill, one period at a time,
 * from the mix of the ports.  Returns the frames written, or a negative error
 * when the device is unusable. */
static glong
loop_playback (Loop *l)
{
  ZcAudioEngine *e = l->e;
  ZcAudioDevice *d = l->play;
  gulong target = d->buffer - d->period;
  glong written = 0;

  for (int round = 0; round < ZC_AUDIO_DEVICE_BUFFER_PERIODS; round++) {
    glong avail = zc_audio_device_avail (d);
    glong n;
    int err;

    if (avail < 0) {
      if ((err = loop_recover (l, d, (int) avail)) == -EAGAIN)
        break;
      if (err < 0)
        return err;
      continue;
    }
    /* Fill = buffer - avail; a prepared, not yet started stream has the
     * whole buffer available. */
    if ((gulong) avail > d->buffer || d->buffer - (gulong) avail >= target
        || (gulong) avail < d->period)
      break;

    while (zc_ring_get_fill (d->ring) < d->period) {
      guint out;

      mix_ports (l);
      /* The reference is exactly what goes to the device (aec.h). */
      zc_ring_write (e->reference, e->frame_in, e->frame);
      out = zc_resampler_process (d->resampler, e->frame_in, e->frame, d->resampled);
      zc_ring_write (d->ring, d->resampled, out);
    }
    zc_ring_read (d->ring, d->buf, (guint32) d->period);
    n = zc_audio_device_write_period (d);
    if (n == -EAGAIN)
      break;
    if (n < 0) {
      if ((err = loop_recover (l, d, (int) n)) == -EAGAIN)
        break;
      if (err < 0)
        return err;
      continue;
    }
    written += n;
    atomic_fetch_add_explicit (&e->playback_periods, 1, memory_order_relaxed);
  }
  return written;
}

/* Sleep until *@next + @period_ms and advance *@next; after a long stall
 * (more than a few ticks late) restart from now instead of bursting. */
static void
tick (struct timespec *next, guint period_ms)
{
  struct timespec now;

  next->tv_nsec += (long) period_ms * 1000000L;
  while (next->tv_nsec >= 1000000000L) {
    next->tv_nsec -= 1000000000L;
    next->tv_sec++;
  }
  clock_gettime (CLOCK_MONOTONIC, &now);
  if ((now.tv_sec - next->tv_sec) * 1000 + (now.tv_nsec - next->tv_nsec) / 1000000 > 4 * (long) period_ms)
    *next = now;
  clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, next, NULL);
}

/* Read everything the capture device has (a period at a time) and frame
 * it.  Returns whether anything came. */
static gboolean
loop_run_capture (Loop *l)
{
  gboolean got = FALSE;

  for (int round = 0; round <= ZC_AUDIO_DEVICE_BUFFER_PERIODS && l->cap != NULL; round++) {
    ZcAudioDevice *d = l->cap;
    glong avail = zc_audio_device_avail (d);
    glong n;
    int err;

    if (avail < 0) {
      if ((err = loop_recover (l, d, (int) avail)) == -EAGAIN)
        break; /* the stall timeout gives it up if it stays suspended */
      if (err < 0)
        loop_give_back (l, &l->cap, err);
      continue;
    }
    if (avail == 0)
      break;
    n = zc_audio_device_read (d, (gulong) avail);
    if (n == -EAGAIN)
      break;
    if (n < 0) {
      if ((err = loop_recover (l, d, (int) n)) == -EAGAIN)
        break;
      if (err < 0)
        loop_give_back (l, &l->cap, err);
      continue;
    }
    got = TRUE;
    loop_capture (l, (gulong) n);
  }
  return got;
}

/* Keep capture frames lined up with what the device delivers.  A frame is
 * cleaned and sent once its last sample is read; when the ring always
 * keeps part of a frame after framing, every sample waits that much longer
 * than it need (up to a frame: the phase between the sound server's
 * chunks and our frames is chance, set when the stream starts).  What it
 * kept over a whole window is dropped, with as much of the reference so
 * that the echo stays where the canceller found it: a few ms of audio
 * once, then every frame goes out as soon as the device has it. */
static void
loop_align_capture (Loop *l)
{
  ZcAudioEngine *e = l->e;
  guint fill = zc_ring_get_fill (l->cap->ring);
  guint rest = fill - MIN (fill, l->cap_splice);

  l->cap_rest_min = l->cap_rest_ticks == 0 ? rest : MIN (l->cap_rest_min, rest);
  if (++l->cap_rest_ticks < CAPTURE_ALIGN_TICKS)
    return;
  l->cap_rest_ticks = 0;
  if (l->cap_rest_min == 0)
    return;
  l->cap_splice = l->cap_rest_min;
  zc_ring_skip (e->reference, MIN (l->cap_rest_min, zc_ring_get_fill (e->reference)));
  atomic_fetch_add_explicit (&e->capture_aligned, l->cap_rest_min, memory_order_relaxed);
}

static void *
audio_thread_cb (void *data)
{
  ZcAudioEngine *e = data;
  Loop loop = { .e = e, .reprime = TRUE };
  Loop *l = &loop;
  struct timespec next;
  guint tick_samples = e->codec_rate_hz * e->period_ms / 1000;

  if (e->rt_priority > 0) {
    struct sched_param param = { .sched_priority = e->rt_priority };

    atomic_store (&e->realtime, pthread_setschedparam (pthread_self (), SCHED_FIFO, &param) == 0);
  }
  clock_gettime (CLOCK_MONOTONIC, &next);

  /* A clock paces the loop, not the devices: each tick reads what capture
   * has and tops playback up, so either device may stall, vanish or come
   * back without the other noticing.  (Waiting on a device's poll
   * descriptors is no safer: the pulse plugin keeps its descriptor
   * readable while it has less than a fragment, and snd_pcm_wait() then
   * spins inside alsa-lib, ignoring its timeout, until the fragment
   * comes -- a second or more after a sound server restart.)  The ticks
   * cost up to one period of extra capture latency (bench calls' chunks
   * waited 0.3-9.8 ms for them, 6.4 on average).  Ticking when capture's
   * chunk comes instead (its descriptor polled, the clock as the fallback)
   * was tried: with both ends on one sound server, mouth-to-ear went from
   * 65 to 75 ms (`make bench`, interleaved runs), most likely because the
   * ticks also set the playback writes, and the peer's packets, sent on
   * the same server's phase, then came just after a write and waited a
   * period for the next.  For it to pay, the playback writes would have to
   * follow the decoded frames instead. */
  while (!atomic_load_explicit (&e->stop, memory_order_acquire)) {
    tick (&next, e->period_ms);
    load_ports (l);
    loop_adopt (l);
    if (l->reprime)
      loop_reprime (l);

    if (l->cap != NULL) {
      if (loop_run_capture (l)) {
        l->stall_ms = 0;
        if (l->cap != NULL)
          loop_align_capture (l);
      } else if (l->cap != NULL && (l->stall_ms += e->period_ms) >= STALL_TIMEOUT_MS)
        loop_give_back (l, &l->cap, -ETIMEDOUT);
    }

    if (l->play != NULL) {
      ZcAudioDevice *d = l->play;
      glong n = loop_playback (l);

      if (n < 0) {
        loop_give_back (l, &l->play, (int) n);
      } else if (l->cap == NULL) {
        /* No capture: as much silence to the network as was played. */
        l->silence_acc += (guint64) n * e->codec_rate_hz;
        send_silence (l, (guint) (l->silence_acc / d->rate_hz));
        l->silence_acc %= d->rate_hz;
      }
    } else if (l->cap == NULL) {
      /* No device at all: the clock alone keeps the network side going. */
      send_silence (l, tick_samples);
      drain_network (l, tick_samples);
    }
    atomic_fetch_add_explicit (&e->periods, 1, memory_order_relaxed);
    release_ports (l);
  }

  e->final[ZC_AUDIO_CAPTURE] = l->cap;
  e->final[ZC_AUDIO_PLAYBACK] = l->play;
  for (int i = 0; i < ZC_AUDIO_N_DIRECTIONS; i++)
    atomic_store (&e->slot[i].open, FALSE);
  atomic_store (&e->running, FALSE);
  return NULL;
}

/* ------------------------------------------------------------ main thread */

ZcAudioEngine *
zc_audio_engine_start (const ZcAudioEngineConfig *config, GError **error)
{
  g_autoptr (ZcAudioEngine) e = NULL;
  ZcAecConfig aec_config;
  int err;

  zc_audio_device_quiet_alsa ();

  if ((config->to_network == NULL) != (config->from_network == NULL)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "audio engine: both rings or neither");
    return NULL;
  }
  e = g_new0 (ZcAudioEngine, 1);
  g_mutex_init (&e->lock);
  g_cond_init (&e->cond);
  e->log_prefix = config->call_id != NULL ? g_strdup_printf ("call %s: ", config->call_id) : g_strdup ("");
  e->slot[ZC_AUDIO_CAPTURE].name = g_strdup (config->capture_device != NULL ? config->capture_device : "default");
  e->slot[ZC_AUDIO_PLAYBACK].name = g_strdup (config->playback_device != NULL ? config->playback_device : "default");
  e->codec_rate_hz = config->codec_rate_hz != 0 ? config->codec_rate_hz : ZC_AUDIO_DEFAULT_RATE_HZ;
  e->device_rate_hz = config->device_rate_hz != 0 ? config->device_rate_hz : e->codec_rate_hz;
  e->period_ms = config->period_ms != 0 ? config->period_ms : ZC_AUDIO_DEFAULT_PERIOD_MS;
  e->retry_ms = config->retry_ms != 0 ? config->retry_ms : ZC_AUDIO_DEFAULT_RETRY_MS;
  e->rt_priority = config->rt_priority == 0 ? ZC_AUDIO_DEFAULT_RT_PRIORITY : config->rt_priority;
  if (e->period_ms < 1 || e->period_ms > 100) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "audio engine: period %u ms is outside 1..100",
                 e->period_ms);
    return NULL;
  }
  if (e->device_rate_hz < 8000 || e->device_rate_hz > 192000) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "audio engine: device rate %u Hz is outside 8000..192000", e->device_rate_hz);
    return NULL;
  }

  aec_config = config->aec;
  aec_config.rate_hz = e->codec_rate_hz;
  e->aec = zc_aec_new (&aec_config, error);
  if (e->aec == NULL)
    return NULL;
  e->frame = zc_aec_get_frame_size (e->aec);
  atomic_store (&e->aec_delay_ms, -1);
  atomic_store (&e->aec_erle_db, -100);
  e->frame_in = g_new0 (gint16, e->frame);
  e->frame_ref = g_new0 (gint16, e->frame);
  e->frame_out = g_new0 (gint16, e->frame);
  e->frame_port = g_new0 (gint16, e->frame);
  e->mix = g_new0 (gint32, e->frame);
  e->frame_conf = g_new0 (gint16, e->frame);
  e->zeros_len = e->codec_rate_hz / 10; /* 100 ms */
  e->zeros = g_new0 (gint16, e->zeros_len);
  /* Room for the whole playback delay plus a second of slack. */
  e->reference = zc_ring_new (e->codec_rate_hz * 2);
  /* Before the audio thread starts: its first tick has it. */
  if (config->to_network != NULL) {
    e->own_port = zc_audio_port_new_internal (e, e->codec_rate_hz, config->to_network, config->from_network, error);
    if (e->own_port == NULL)
      return NULL;
  }

  for (int i = 0; i < ZC_AUDIO_N_DIRECTIONS; i++)
    atomic_store (&e->slot[i].wanted, !g_str_equal (e->slot[i].name, ZC_AUDIO_NO_DEVICE));

  atomic_store (&e->running, TRUE);
  err = pthread_create (&e->audio_thread, NULL, audio_thread_cb, e);
  if (err != 0) {
    atomic_store (&e->running, FALSE);
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err), "audio engine: cannot start the audio thread (%s)",
                 g_strerror (err));
    return NULL;
  }
  e->audio_started = TRUE;
  /* Names for top(1) and the benchmark's CPU split by thread. */
  pthread_setname_np (e->audio_thread, "zc-audio");
  err = pthread_create (&e->device_thread, NULL, device_thread_cb, e);
  if (err != 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
                 "audio engine: cannot start the device thread (%s)", g_strerror (err));
    return NULL;
  }
  pthread_setname_np (e->device_thread, "zc-audio-dev");
  e->device_started = TRUE;
  return g_steal_pointer (&e);
}

void
zc_audio_engine_stop (ZcAudioEngine *e)
{
  if (e == NULL)
    return;
  g_mutex_lock (&e->lock);
  atomic_store_explicit (&e->stop, TRUE, memory_order_release);
  g_cond_signal (&e->cond);
  g_mutex_unlock (&e->lock);
  if (e->audio_started)
    pthread_join (e->audio_thread, NULL);
  if (e->device_started)
    pthread_join (e->device_thread, NULL);
  /* The audio thread is gone: every port may go.  Ports other than our
   * own must have been freed by their callers already. */
  g_clear_pointer (&e->own_port, zc_audio_port_free);
  zc_audio_engine_reap_ports (e, TRUE);
  for (guint i = 0; i < ZC_AUDIO_MAX_PORTS; i++)
    if (atomic_load (&e->ports[i]) != NULL)
      g_critical ("%saudio engine stopped with port %u still attached", e->log_prefix, i);
  if (e->linger_id != 0)
    g_source_remove (e->linger_id);
  g_free (e->key);
  for (int i = 0; i < ZC_AUDIO_N_DIRECTIONS; i++) {
    zc_audio_device_free (e->final[i]);
    zc_audio_device_free (atomic_exchange (&e->slot[i].ready, NULL));
    zc_audio_device_free (atomic_exchange (&e->slot[i].dead, NULL));
    g_free (e->slot[i].name);
  }
  zc_aec_free (e->aec);
  zc_ring_free (e->reference);
  g_free (e->frame_in);
  g_free (e->frame_ref);
  g_free (e->frame_out);
  g_free (e->frame_port);
  g_free (e->mix);
  g_free (e->frame_conf);
  g_free (e->zeros);
  g_mutex_clear (&e->lock);
  g_cond_clear (&e->cond);
  g_free (e->log_prefix);
  g_free (e);
}

void
zc_audio_engine_get_status (ZcAudioEngine *e, ZcAudioDirection direction, ZcAudioDeviceStatus *status)
{
  Slot *s = &e->slot[direction];

  status->direction = direction;
  status->device = s->name;
  status->open = atomic_load (&s->open);
  status->error = atomic_load (&s->error);
  status->rate_hz = atomic_load (&s->rate_hz);
  status->period_frames = atomic_load (&s->period_frames);
  status->opens = atomic_load (&s->opens);
  status->open_failures = atomic_load (&s->open_failures);
  status->xruns = atomic_load (&s->xruns);
  status->failures = atomic_load (&s->failures);
}

void
zc_audio_engine_get_stats (ZcAudioEngine *e, ZcAudioEngineStats *stats)
{
  stats->periods = atomic_load (&e->periods);
  stats->frames_sent = atomic_load (&e->frames_sent);
  stats->to_network_overflows = atomic_load (&e->to_network_overflows);
  stats->underruns = atomic_load (&e->underruns);
  stats->playback_periods = atomic_load (&e->playback_periods);
  stats->reference_misses = atomic_load (&e->reference_misses);
  stats->capture_aligned_ms = atomic_load (&e->capture_aligned) * 1000 / e->codec_rate_hz;
  stats->aec_resets = atomic_load (&e->aec_resets);
  stats->aec_guarded_frames = atomic_load (&e->aec_guarded_frames);
  stats->aec_delay_ms = atomic_load (&e->aec_delay_ms);
  stats->aec_erle_db = atomic_load (&e->aec_erle_db);
  stats->playback_trimmed = atomic_load (&e->playback_trimmed);
  stats->playback_backlog_samples = atomic_load (&e->playback_backlog_samples);
  stats->playback_backlog_reads = atomic_load (&e->playback_backlog_reads);
  stats->realtime = atomic_load (&e->realtime);
  stats->running = atomic_load (&e->running);
  stats->ports = 0;
  for (guint i = 0; i < ZC_AUDIO_MAX_PORTS; i++)
    stats->ports += atomic_load (&e->ports[i]) != NULL;
}

gboolean
zc_audio_engine_get_error (ZcAudioEngine *e, ZcAudioDirection *direction, gint *error)
{
  for (int i = 0; i < ZC_AUDIO_N_DIRECTIONS; i++) {
    gint err = atomic_load (&e->slot[i].error);

    if (err != 0 || !atomic_load (&e->slot[i].open)) {
      if (direction != NULL)
        *direction = i;
      if (error != NULL)
        *error = err;
      return TRUE;
    }
  }
  return FALSE;
}
