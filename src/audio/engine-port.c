/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The ports of an audio engine (one per attached call) and the table of
 * engines shared by device pair; engine.h tells the design. */
#define G_LOG_DOMAIN "audio"

#include "config.h"

#include "audio/engine.h"

#include "audio/engine-private.h"
#include "audio/tone.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* Device-pulled playout: a from_network that never ran down to one read
 * plus this margin over this many reads holds delay and nothing else, ms
 * and 10 ms reads. */
#define PLAYOUT_MARGIN_MS 3
#define PLAYOUT_TRIM_READS 100

/* How often the main loop looks whether the audio thread is done with a
 * detached port, ms: a tick or two of the audio thread. */
#define REAP_INTERVAL_MS 20

/* ------------------------------------------------------------ audio thread
 * No allocation, no lock, no log. */

/* Write @n samples of @src (NULL: silence) to the port's to_network,
 * counting what did not fit. */
static void
port_write (ZcAudioPort *p, const gint16 *src, guint n)
{
  ZcAudioEngine *e = p->engine;

  while (n > 0) {
    guint chunk = MIN (n, e->zeros_len);
    guint done = zc_ring_write (p->to_network, src != NULL ? src : e->zeros, chunk);

    if (done < chunk) {
      atomic_fetch_add_explicit (&p->to_network_overflows, chunk - done, memory_order_relaxed);
      atomic_fetch_add_explicit (&e->to_network_overflows, chunk - done, memory_order_relaxed);
    }
    if (src != NULL)
      src += chunk;
    n -= chunk;
  }
}

/* Capture-driven media (zc_audio_port_set_wake()): a frame is there.
 * An eventfd write neither blocks (a full counter is EAGAIN, and the
 * reader is awake then anyway) nor takes a lock of ours. */
static void
port_wake (ZcAudioPort *p)
{
  int fd = atomic_load_explicit (&p->wake_fd, memory_order_acquire);
  guint64 one = 1;

  if (fd >= 0 && zc_ring_get_fill (p->to_network) >= atomic_load_explicit (&p->wake_samples, memory_order_relaxed)
      && write (fd, &one, sizeof one) < 0) {
    /* a wake-up already pending is as good */
  }
}

/* Device-pulled playout (zc_audio_port_set_playout_clock()): the device
 * took @n more samples of the port's playback, heard, padded or drained;
 * each whole frame of them is one tick of the media side's playout. */
static void
port_played (ZcAudioPort *p, guint n)
{
  int fd = atomic_load_explicit (&p->playout_fd, memory_order_acquire);
  guint step;

  if (fd < 0)
    return;
  step = atomic_load_explicit (&p->playout_samples, memory_order_relaxed);
  p->played_acc += n;
  if (p->played_acc < step)
    return;
  /* Fails only at a saturated counter, which the reader caps anyway. */
  (void) eventfd_write (fd, p->played_acc / step);
  p->played_acc %= step;
}

void
zc_audio_port_rt_push (ZcAudioPort *p, const gint16 *frame)
{
  /* Muted: silence in place of the microphone, through the resampler all
   * the same so that unmuting starts from a settled filter. */
  if (atomic_load_explicit (&p->muted, memory_order_relaxed))
    frame = p->engine->zeros;
  zc_audio_port_rt_push_as_is (p, frame);
}

void
zc_audio_port_rt_push_as_is (ZcAudioPort *p, const gint16 *frame)
{
  ZcAudioEngine *e = p->engine;

  atomic_store_explicit (&p->seen, TRUE, memory_order_relaxed);
  if (p->down == NULL) {
    port_write (p, frame, e->frame);
  } else {
    guint out = zc_resampler_process (p->down, frame, e->frame, p->scratch);

    port_write (p, p->scratch, out);
  }
  atomic_fetch_add_explicit (&p->frames_sent, 1, memory_order_relaxed);
  port_wake (p);
}

/* One port frame of its from_network into @dst (@n samples at its
 * rate), padded with silence when it ran dry; the latency control and
 * the counters. */
static void
port_read (ZcAudioPort *p, gint16 *dst, guint n)
{
  ZcAudioEngine *e = p->engine;
  guint fill = zc_ring_get_fill (p->from_network);
  guint got, trim = 0, fade = zc_ring_splice_samples (p->rate_hz);

  /* Latency control.  Media on its own clock writes 20 ms per tick (more
   * when the jitter buffer catches up) and we play 10 ms per period:
   * more than 40 ms waiting is delay that would stay for the rest of the
   * call, so the oldest goes, keeping 20 ms.  Playout pulled by the
   * device (port_played()) leaves a ring that, read by read, runs down
   * to one read's worth just before the media side refills it; what it
   * never gave up over a second (a burst at the start, a late frame that
   * came after its padding) is dropped, once a second at most. */
  if (fill > 4 * n)
    trim = fill - 2 * n;
  if (atomic_load_explicit (&p->playout_fd, memory_order_relaxed) >= 0) {
    guint margin = n * PLAYOUT_MARGIN_MS / 10;

    p->fill_min = p->fill_reads == 0 ? fill : MIN (p->fill_min, fill);
    if (++p->fill_reads == PLAYOUT_TRIM_READS) {
      if (p->fill_min > n + 2 * margin)
        trim = MAX (trim, p->fill_min - n - margin);
      p->fill_reads = 0;
    }
  }
  if (trim > 0) {
    atomic_fetch_add_explicit (&p->playback_trimmed, trim, memory_order_relaxed);
    atomic_fetch_add_explicit (&e->playback_trimmed, trim, memory_order_relaxed);
  }
  fill -= trim;
  atomic_fetch_add_explicit (&p->playback_backlog_samples, fill, memory_order_relaxed);
  atomic_fetch_add_explicit (&p->playback_backlog_reads, 1, memory_order_relaxed);
  atomic_fetch_add_explicit (&e->playback_backlog_samples, fill, memory_order_relaxed);
  atomic_fetch_add_explicit (&e->playback_backlog_reads, 1, memory_order_relaxed);
  /* The cut blended, not a click at the speaker (ring.h). */
  got = zc_ring_read_spliced (p->from_network, dst, n, trim, fade);
  zc_pcm_gap_cover (&p->playback_gap, dst, got, n, fade);
  if (got < n) {
    atomic_fetch_add_explicit (&p->underruns, 1, memory_order_relaxed);
    atomic_fetch_add_explicit (&e->underruns, 1, memory_order_relaxed);
  }
  port_played (p, n);
}

/* A held call's playback is read (its ring keeps draining at the
 * device's clock) but not heard; the call-waiting tone goes on top of
 * whatever the port plays, so the user hears it in the call's audio and
 * not on the ring device. */
static void
port_finish_playback (ZcAudioPort *p, gint16 *out)
{
  ZcAudioEngine *e = p->engine;
  int tone = atomic_load_explicit (&p->tone, memory_order_relaxed);

  if (atomic_load_explicit (&p->deaf, memory_order_relaxed))
    memset (out, 0, e->frame * sizeof (gint16));
  if (tone != p->tone_playing) {
    p->tone_playing = tone;
    p->tone_position = 0;
  }
  if (tone < 0)
    return;
  zc_tone_render ((ZcTone) tone, e->codec_rate_hz, p->tone_position, p->tone_frame, e->frame);
  p->tone_position += e->frame;
  for (guint k = 0; k < e->frame; k++)
    out[k] = (gint16) CLAMP ((gint32) out[k] + p->tone_frame[k], G_MININT16, G_MAXINT16);
}

void
zc_audio_port_rt_pull (ZcAudioPort *p, gint16 *out)
{
  ZcAudioEngine *e = p->engine;

  atomic_store_explicit (&p->seen, TRUE, memory_order_relaxed);
  if (p->up == NULL) {
    port_read (p, out, e->frame);
    port_finish_playback (p, out);
    return;
  }
  /* The resampler's output per call need not be exactly a frame: what it
   * gives waits in up_ring until a whole engine frame is there. */
  for (int round = 0; round < 4 && zc_ring_get_fill (p->up_ring) < e->frame; round++) {
    guint n;

    port_read (p, p->in, p->frame);
    n = zc_resampler_process (p->up, p->in, p->frame, p->scratch);
    zc_ring_write (p->up_ring, p->scratch, n);
  }
  if (zc_ring_read (p->up_ring, out, e->frame) < e->frame)
    memset (out, 0, e->frame * sizeof (gint16));
  port_finish_playback (p, out);
}

void
zc_audio_port_rt_silence (ZcAudioPort *p, guint n)
{
  ZcAudioEngine *e = p->engine;

  p->silence_acc += (guint64) n * p->rate_hz;
  port_write (p, NULL, (guint) (p->silence_acc / e->codec_rate_hz));
  p->silence_acc %= e->codec_rate_hz;
  port_wake (p);
}

void
zc_audio_port_rt_drain (ZcAudioPort *p, guint n)
{
  ZcAudioEngine *e = p->engine;
  guint skip;

  p->drain_acc += (guint64) n * p->rate_hz;
  skip = (guint) (p->drain_acc / e->codec_rate_hz);
  zc_ring_skip (p->from_network, skip);
  p->drain_acc %= e->codec_rate_hz;
  port_played (p, skip);
}

/* ------------------------------------------------------------ main thread */

static void
port_destroy (ZcAudioPort *p)
{
  int fd = atomic_load (&p->wake_fd);

  if (fd >= 0)
    close (fd);
  if ((fd = atomic_load (&p->playout_fd)) >= 0)
    close (fd);
  if (p->owns_rings) {
    zc_ring_free (p->to_network);
    zc_ring_free (p->from_network);
  }
  zc_resampler_free (p->down);
  zc_resampler_free (p->up);
  zc_ring_free (p->up_ring);
  zc_ring_free (p->conf_ring);
  g_free (p->conf_frame);
  g_free (p->in);
  g_free (p->scratch);
  g_free (p->tone_frame);
  g_free (p);
}

ZcAudioPort *
zc_audio_port_new_internal (ZcAudioEngine *e, guint rate_hz, ZcRing *to_network, ZcRing *from_network,
                            GError **error)
{
  ZcAudioPort *p;
  guint index = ZC_AUDIO_MAX_PORTS;
  guint max_out = 0;

  if (rate_hz == 0)
    rate_hz = e->codec_rate_hz;
  if (rate_hz < 8000 || rate_hz > 192000 || rate_hz % 100 != 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "audio engine: a port at %u Hz is not possible",
                 rate_hz);
    return NULL;
  }
  /* Only the main thread stores into the slots: a NULL one stays free. */
  for (guint i = 0; i < ZC_AUDIO_MAX_PORTS && index == ZC_AUDIO_MAX_PORTS; i++)
    if (atomic_load (&e->ports[i]) == NULL)
      index = i;
  if (index == ZC_AUDIO_MAX_PORTS) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY, "audio engine: all %u ports are in use", ZC_AUDIO_MAX_PORTS);
    return NULL;
  }

  p = g_new0 (ZcAudioPort, 1);
  atomic_init (&p->wake_fd, -1);
  atomic_init (&p->playout_fd, -1);
  atomic_init (&p->tone, -1);
  p->tone_playing = -1;
  p->engine = e;
  p->index = index;
  p->rate_hz = rate_hz;
  p->frame = rate_hz / 100;
  if (to_network != NULL) {
    p->to_network = to_network;
    p->from_network = from_network;
  } else {
    p->to_network = zc_ring_new (ZC_AUDIO_PORT_RING_SAMPLES);
    p->from_network = zc_ring_new (ZC_AUDIO_PORT_RING_SAMPLES);
    p->owns_rings = TRUE;
  }
  if (rate_hz != e->codec_rate_hz) {
    p->down = zc_resampler_new (e->codec_rate_hz, rate_hz, ZC_RESAMPLER_QUALITY_VOIP, e->frame, error);
    p->up = p->down != NULL ? zc_resampler_new (rate_hz, e->codec_rate_hz, ZC_RESAMPLER_QUALITY_VOIP, p->frame, error)
                            : NULL;
    if (p->up == NULL) {
      port_destroy (p);
      return NULL;
    }
    max_out = MAX (zc_resampler_get_max_out (p->down), zc_resampler_get_max_out (p->up));
    p->up_ring = zc_ring_new (4 * (zc_resampler_get_max_out (p->up) + e->frame));
  }
  /* Eight frames: the capture and playback clocks drift apart by far
   * less before engine-conf.c trims it. */
  p->conf_ring = zc_ring_new (8 * e->frame);
  p->conf_frame = g_new0 (gint16, e->frame);
  p->in = g_new0 (gint16, p->frame);
  p->tone_frame = g_new0 (gint16, e->frame);
  p->scratch = g_new0 (gint16, MAX (max_out, 1));
  /* Release (seq_cst): everything above is in place before the audio
   * thread can load the pointer. */
  atomic_store (&e->ports[index], p);
  return p;
}

ZcAudioPort *
zc_audio_port_new (ZcAudioEngine *engine, guint rate_hz, GError **error)
{
  ZcAudioPort *p;

  zc_audio_engine_reap_ports (engine, FALSE);
  p = zc_audio_port_new_internal (engine, rate_hz, NULL, NULL, error);
  if (p != NULL)
    g_debug ("%sport %u attached at %u Hz", engine->log_prefix, p->index, p->rate_hz);
  return p;
}

ZcAudioPort *
zc_audio_port_new_take_rings (ZcAudioEngine *engine, guint rate_hz, ZcRing *to_network, ZcRing *from_network,
                              GError **error)
{
  ZcAudioPort *p;

  zc_audio_engine_reap_ports (engine, FALSE);
  p = zc_audio_port_new_internal (engine, rate_hz, to_network, from_network, error);
  if (p == NULL) {
    zc_ring_free (to_network);
    zc_ring_free (from_network);
    return NULL;
  }
  p->owns_rings = TRUE;
  g_debug ("%sport %u attached at %u Hz", engine->log_prefix, p->index, p->rate_hz);
  return p;
}

/* The audio thread is done with @p: the epoch moved past the one read
 * after @p left its slot (engine-private.h), or the thread is gone. */
static gboolean
port_is_released (ZcAudioPort *p)
{
  ZcAudioEngine *e = p->engine;

  return atomic_load (&e->epoch) > p->retired_epoch || !atomic_load (&e->running);
}

void
zc_audio_engine_reap_ports (ZcAudioEngine *e, gboolean all)
{
  GSList *keep = NULL;

  for (GSList *l = e->retired; l != NULL; l = l->next) {
    ZcAudioPort *p = l->data;

    if (all || port_is_released (p))
      port_destroy (p);
    else
      keep = g_slist_prepend (keep, p);
  }
  g_slist_free (e->retired);
  e->retired = keep;
  if (e->retired == NULL && e->reap_id != 0) {
    g_source_remove (e->reap_id);
    e->reap_id = 0;
  }
}

static gboolean
reap_cb (gpointer data)
{
  ZcAudioEngine *e = data;

  zc_audio_engine_reap_ports (e, FALSE);
  if (e->retired != NULL)
    return G_SOURCE_CONTINUE;
  e->reap_id = 0;
  return G_SOURCE_REMOVE;
}

void
zc_audio_port_free (ZcAudioPort *p)
{
  ZcAudioEngine *e;

  if (p == NULL)
    return;
  e = p->engine;
  /* Out of the slot first; then the epoch as it is now.  In the single
   * order of these seq_cst operations, any tick that loaded @p started
   * before the store and ends with the increment after which the epoch
   * is larger than what we read here. */
  atomic_store (&e->ports[p->index], NULL);
  p->retired_epoch = atomic_load (&e->epoch);
  g_debug ("%sport %u detached", e->log_prefix, p->index);
  if (port_is_released (p)) {
    port_destroy (p);
    return;
  }
  e->retired = g_slist_prepend (e->retired, p);
  if (e->reap_id == 0)
    e->reap_id = g_timeout_add (REAP_INTERVAL_MS, reap_cb, e);
}

ZcRing *
zc_audio_port_get_to_network (ZcAudioPort *p)
{
  return p->to_network;
}

ZcRing *
zc_audio_port_get_from_network (ZcAudioPort *p)
{
  return p->from_network;
}

guint
zc_audio_port_get_rate (ZcAudioPort *p)
{
  return p->rate_hz;
}

ZcAudioEngine *
zc_audio_port_get_engine (ZcAudioPort *p)
{
  return p->engine;
}

/* Gives @slot a dup() of @fd, once: the caller may close its descriptor
 * while the audio thread still holds the port, and the audio thread may
 * be writing to the first one when a second comes. */
static gboolean
port_keep_fd (atomic_int *slot, atomic_uint *samples_slot, int fd, guint samples, const char *what, GError **error)
{
  int own;

  if (fd < 0 || samples == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "audio engine: no %s fd or frame size", what);
    return FALSE;
  }
  if (atomic_load (slot) >= 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "audio engine: the port has a %s fd already", what);
    return FALSE;
  }
  own = dup (fd);
  if (own < 0) {
    int errsv = errno;

    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "audio engine: cannot keep the %s fd (%s)", what,
                 g_strerror (errsv));
    return FALSE;
  }
  atomic_store (samples_slot, samples);
  atomic_store (slot, own);
  return TRUE;
}

gboolean
zc_audio_port_set_wake (ZcAudioPort *p, int fd, guint samples, GError **error)
{
  return port_keep_fd (&p->wake_fd, &p->wake_samples, fd, samples, "wake-up", error);
}

gboolean
zc_audio_port_set_playout_clock (ZcAudioPort *p, int fd, guint samples, GError **error)
{
  return port_keep_fd (&p->playout_fd, &p->playout_samples, fd, samples, "playout clock", error);
}

void
zc_audio_port_set_muted (ZcAudioPort *p, gboolean muted)
{
  atomic_store (&p->muted, muted != FALSE);
}

void
zc_audio_port_set_deaf (ZcAudioPort *p, gboolean deaf)
{
  atomic_store (&p->deaf, deaf != FALSE);
}

void
zc_audio_port_set_tone (ZcAudioPort *p, int tone)
{
  atomic_store (&p->tone, tone);
}

gboolean
zc_audio_port_get_muted (ZcAudioPort *p)
{
  return atomic_load (&p->muted);
}

void
zc_audio_port_get_stats (ZcAudioPort *p, ZcAudioPortStats *stats)
{
  stats->frames_sent = atomic_load (&p->frames_sent);
  stats->to_network_overflows = atomic_load (&p->to_network_overflows);
  stats->underruns = atomic_load (&p->underruns);
  stats->playback_trimmed = atomic_load (&p->playback_trimmed);
  stats->playback_backlog_samples = atomic_load (&p->playback_backlog_samples);
  stats->playback_backlog_reads = atomic_load (&p->playback_backlog_reads);
  stats->muted = atomic_load (&p->muted);
  stats->deaf = atomic_load (&p->deaf);
  stats->attached = atomic_load (&p->seen);
}

/* ------------------------------------------------------------ shared engines
 * Keyed by device pair and settings; main thread only. */

static GHashTable *shared; /* key -> ZcAudioEngine (the engine owns the key) */

/* The devices, and the settings an engine cannot change while it runs:
 * after a configuration reload that changes them, new calls get an engine
 * of their own (as each call did before engines were shared) and the old
 * one closes with its last call. */
static gchar *
shared_key (const ZcAudioEngineConfig *config)
{
  return g_strdup_printf ("%s\n%s\n%u/%u/%u/%u/%d/%u/%d/%d/%d",
                          config->capture_device != NULL ? config->capture_device : "default",
                          config->playback_device != NULL ? config->playback_device : "default",
                          config->codec_rate_hz, config->device_rate_hz, config->period_ms, config->retry_ms,
                          config->rt_priority, config->aec.tail_ms, (int) config->aec.kind, config->aec.echo_cancel,
                          config->aec.denoise * 2 + config->aec.agc);
}

static void
shared_close (ZcAudioEngine *e)
{
  g_debug ("audio engine for '%s' closes", e->slot[ZC_AUDIO_CAPTURE].name);
  g_hash_table_remove (shared, e->key);
  if (g_hash_table_size (shared) == 0)
    g_clear_pointer (&shared, g_hash_table_unref);
  zc_audio_engine_stop (e);
}

static gboolean
linger_cb (gpointer data)
{
  ZcAudioEngine *e = data;

  e->linger_id = 0;
  shared_close (e);
  return G_SOURCE_REMOVE;
}

ZcAudioEngine *
zc_audio_engine_acquire (const ZcAudioEngineConfig *config, GError **error)
{
  g_autofree gchar *key = shared_key (config);
  ZcAudioEngine *e = shared != NULL ? g_hash_table_lookup (shared, key) : NULL;

  if (config->to_network != NULL || config->from_network != NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "audio engine: a shared engine takes ports");
    return NULL;
  }
  if (e != NULL) {
    if (e->linger_id != 0) {
      g_source_remove (e->linger_id);
      e->linger_id = 0;
    }
    e->refs++;
    return e;
  }
  e = zc_audio_engine_start (config, error);
  if (e == NULL)
    return NULL;
  e->key = g_steal_pointer (&key);
  e->refs = 1;
  if (shared == NULL)
    shared = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_insert (shared, e->key, e);
  return e;
}

void
zc_audio_engine_release (ZcAudioEngine *e)
{
  if (e == NULL)
    return;
  g_return_if_fail (e->key != NULL && e->refs > 0);
  if (--e->refs > 0)
    return;
  e->linger_id = g_timeout_add (ZC_AUDIO_ENGINE_LINGER_MS, linger_cb, e);
}

void
zc_audio_engine_close_all (void)
{
  while (shared != NULL) {
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init (&iter, shared);
    if (!g_hash_table_iter_next (&iter, NULL, &value))
      break;
    if (((ZcAudioEngine *) value)->refs > 0)
      g_warning ("audio engine for '%s' closed with %u calls still on it",
                 ((ZcAudioEngine *) value)->slot[ZC_AUDIO_CAPTURE].name, ((ZcAudioEngine *) value)->refs);
    shared_close (value);
  }
}

guint
zc_audio_engine_count_shared (void)
{
  return shared != NULL ? g_hash_table_size (shared) : 0;
}
