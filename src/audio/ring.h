/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A lock-free single-producer/single-consumer ring of int16 samples.
 *
 * This is how PCM crosses between the audio thread and the media thread
 * (and, inside the audio thread, how the playback reference waits for the
 * capture it belongs to).  One thread only writes, one thread only reads;
 * neither ever blocks, locks or allocates, so both ends may be called from
 * a real-time thread.
 *
 * The unit is one gint16 sample.  The rings carry mono audio, so a sample
 * is a frame; a caller with N interleaved channels moves N * frames samples
 * and keeps its counts multiples of N (the ring never splits a write it
 * accepts, so alignment is preserved as long as the caller's counts are).
 *
 * Modelled on PipeWire's spa_ringbuffer (spa/include/spa/utils/ringbuffer.h):
 * the read and write indices are 32-bit counters that only ever increase
 * and wrap naturally at 2^32; the position in the buffer is index & mask,
 * which is why the size must be a power of two (and at most 2^31, so that
 * write_index - read_index is never ambiguous).  The producer publishes
 * data with a release store of write_index after copying, and the consumer
 * sees it with an acquire load; symmetrically for read_index, which tells
 * the producer that space is free again.  Each side loads its own index
 * relaxed, because only it ever stores it.
 *
 * Overflow and underflow are the caller's policy: zc_ring_write() stores
 * what fits and returns how much that was, zc_ring_read() returns what was
 * there.  The audio thread counts the shortfall as an xrun; it never
 * waits.
 *
 * Header-only: every operation is a few instructions and belongs inlined
 * into the audio loop. */
#pragma once

#include "audio/pcm-gap.h"

#include <glib.h>

#include <stdatomic.h>
#include <string.h>

/* Largest ring: keeps write_index - read_index below 2^31. */
#define ZC_RING_MAX_SIZE ((guint32) 1 << 31)

/* Bytes between the two indices, so that they never share a cache line
 * and the producer's stores do not keep evicting the consumer's line (and
 * the reverse).  64 is the line size of every CPU we run on; the padding
 * works without any alignment of the struct itself. */
#define ZC_RING_CACHE_LINE 64

typedef struct {
  _Atomic guint32 write_index; /* stored by the producer only */
  guint8 pad0[ZC_RING_CACHE_LINE - sizeof (guint32)];
  _Atomic guint32 read_index; /* stored by the consumer only */
  guint8 pad1[ZC_RING_CACHE_LINE - sizeof (guint32)];
  guint32 size; /* in samples, a power of two; constant after init */
  guint32 mask; /* size - 1 */
  gint16 *data; /* size samples; owned by whoever called zc_ring_init() */
  gboolean owns_data; /* TRUE when zc_ring_new() allocated data */
} ZcRing;

/* Set up @ring over caller-owned storage of @size samples.  @size must be a
 * power of two no larger than ZC_RING_MAX_SIZE; returns FALSE otherwise.
 * Not thread-safe: call before either side starts. */
static inline gboolean
zc_ring_init (ZcRing *ring, gint16 *data, guint32 size)
{
  if (size == 0 || size > ZC_RING_MAX_SIZE || (size & (size - 1)) != 0 || data == NULL)
    return FALSE;
  memset (ring, 0, sizeof (*ring));
  atomic_init (&ring->write_index, 0);
  atomic_init (&ring->read_index, 0);
  ring->size = size;
  ring->mask = size - 1;
  ring->data = data;
  return TRUE;
}

/* Allocate a ring of at least @min_size samples (rounded up to a power of
 * two).  Call from the main thread when the stream is set up, never from
 * the audio thread.  Returns NULL if @min_size is 0 or above
 * ZC_RING_MAX_SIZE. */
static inline ZcRing *
zc_ring_new (guint32 min_size)
{
  ZcRing *ring;
  guint32 size = 1;

  if (min_size == 0 || min_size > ZC_RING_MAX_SIZE)
    return NULL;
  while (size < min_size)
    size <<= 1;
  ring = g_new0 (ZcRing, 1);
  (void) zc_ring_init (ring, g_new0 (gint16, size), size);
  ring->owns_data = TRUE;
  return ring;
}

static inline void
zc_ring_free (ZcRing *ring)
{
  if (ring == NULL)
    return;
  if (ring->owns_data)
    g_free (ring->data);
  g_free (ring);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcRing, zc_ring_free)

static inline guint32
zc_ring_get_size (const ZcRing *ring)
{
  return ring->size;
}

/* Samples waiting to be read.  Exact for the consumer (only the producer
 * can make it grow meanwhile); from the producer's side it may be an
 * overestimate, never an underestimate of the space in use. */
static inline guint32
zc_ring_get_fill (ZcRing *ring)
{
  guint32 w = atomic_load_explicit (&ring->write_index, memory_order_acquire);
  guint32 r = atomic_load_explicit (&ring->read_index, memory_order_acquire);

  /* Unsigned subtraction is correct across the 2^32 wrap. */
  return w - r;
}

/* Samples the producer may write now (a lower bound: the consumer may free
 * more meanwhile). */
static inline guint32
zc_ring_get_space (ZcRing *ring)
{
  guint32 w = atomic_load_explicit (&ring->write_index, memory_order_relaxed);
  guint32 r = atomic_load_explicit (&ring->read_index, memory_order_acquire);

  return ring->size - (w - r);
}

/* Producer: copy up to @n samples from @src in, returns how many were
 * copied (less than @n when the ring is full: the rest is the caller's
 * overflow). */
static inline guint32
zc_ring_write (ZcRing *ring, const gint16 *src, guint32 n)
{
  guint32 w = atomic_load_explicit (&ring->write_index, memory_order_relaxed);
  /* Acquire: the consumer's reads of these slots happen before we
   * overwrite them. */
  guint32 r = atomic_load_explicit (&ring->read_index, memory_order_acquire);
  guint32 space = ring->size - (w - r);
  guint32 offset = w & ring->mask;
  guint32 first;

  if (n > space)
    n = space;
  if (n == 0)
    return 0;
  /* At most two parts: up to the end of the buffer, then from its start. */
  first = MIN (n, ring->size - offset);
  memcpy (ring->data + offset, src, first * sizeof (gint16));
  if (n > first)
    memcpy (ring->data, src + first, (n - first) * sizeof (gint16));
  /* Release: the samples are in place before the consumer can see them. */
  atomic_store_explicit (&ring->write_index, w + n, memory_order_release);
  return n;
}

/* Consumer: copy up to @n samples out into @dst, returns how many (less
 * than @n when the ring ran dry: the caller's underflow). */
static inline guint32
zc_ring_read (ZcRing *ring, gint16 *dst, guint32 n)
{
  guint32 r = atomic_load_explicit (&ring->read_index, memory_order_relaxed);
  /* Acquire: pairs with the producer's release, so the samples it wrote
   * before moving write_index are visible to the memcpy below. */
  guint32 w = atomic_load_explicit (&ring->write_index, memory_order_acquire);
  guint32 fill = w - r;
  guint32 offset = r & ring->mask;
  guint32 first;

  if (n > fill)
    n = fill;
  if (n == 0)
    return 0;
  first = MIN (n, ring->size - offset);
  memcpy (dst, ring->data + offset, first * sizeof (gint16));
  if (n > first)
    memcpy (dst + first, ring->data, (n - first) * sizeof (gint16));
  /* Release: our copy is done before the producer may reuse the slots. */
  atomic_store_explicit (&ring->read_index, r + n, memory_order_release);
  return n;
}

/* Consumer: drop up to @n samples without copying them (to shed latency
 * that built up, or to line the playback reference up with capture);
 * returns how many were dropped. */
static inline guint32
zc_ring_skip (ZcRing *ring, guint32 n)
{
  guint32 r = atomic_load_explicit (&ring->read_index, memory_order_relaxed);
  guint32 w = atomic_load_explicit (&ring->write_index, memory_order_acquire);

  if (n > w - r)
    n = w - r;
  atomic_store_explicit (&ring->read_index, r + n, memory_order_release);
  return n;
}

/* Most samples zc_ring_read_spliced() blends: 2.5 ms at 96 kHz. */
#define ZC_RING_MAX_FADE 240

/* The blend that hides a cut, in samples at @rate_hz: 2.5 ms, long enough
 * that the join is no click, short enough that what is blended is not
 * heard twice (the cross-fade of Opus's own frames is as long). */
#define ZC_RING_SPLICE_MS 2.5
#define zc_ring_splice_samples(rate_hz) ((guint32) ((rate_hz) * ZC_RING_SPLICE_MS / 1000))

/* Consumer: zc_ring_read() after dropping @skip samples ahead of the read,
 * to shed latency.  A plain skip joins two points of the waveform with a
 * step: a click at the speaker, and worse through an encoder (Opus turns a
 * step in a steady tone into a swell of +3 dB over 20-30 ms of its output,
 * up to +5 dB seen at the far speaker).  So the first @fade samples after
 * the cut are cross-faded from the ones that would have played there
 * (@fade is capped by @skip, @n and ZC_RING_MAX_FADE).  Real-time safe;
 * returns how many samples went into @dst. */
static inline guint32
zc_ring_read_spliced (ZcRing *ring, gint16 *dst, guint32 n, guint32 skip, guint32 fade)
{
  gint16 before[ZC_RING_MAX_FADE];
  guint32 got;

  fade = MIN (MIN (fade, skip), MIN (n, ZC_RING_MAX_FADE));
  fade = zc_ring_read (ring, before, fade);
  zc_ring_skip (ring, skip - fade);
  got = zc_ring_read (ring, dst, n);
  zc_pcm_fade_from (dst, before, MIN (fade, got));
  return got;
}
