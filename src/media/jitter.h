/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The playout buffer for one incoming RTP stream: packets in, in sequence
 * order and on time for a playout tick (the packet time, 10 or 20 ms) out.
 *
 * Why our own and not oRTP's: on a LAN with under 1 ms of jitter oRTP's
 * buffer held 60-90 ms whatever depth it was given (the voice benchmark's
 * media.jitter_buffer_ms and mouth-to-ear both moved by 60-80 ms with it
 * switched off), most of zcalld's mouth-to-ear delay.  This one holds what
 * the path needs: it starts at the configured depth and grows each time a
 * packet comes after its playout time, by as many ticks as it came late
 * (one for jitter; ten at once when the path's delay steps up by 200 ms, so
 * the voice goes on from where it stopped rather than conceal tick after
 * tick), up to max_ms.  After two seconds in which every packet came at
 * least a tick before its turn it gives back what they had to spare (a
 * path that calmed down, or whose delay stepped down), down to min_ms: one
 * tick per three, skipping one packet's worth of audio each (the packet is
 * marked discard, for the caller to blend out).  The first look at a
 * stream's starting depth comes after half a second, not two.
 *
 * Playout follows the RTP timestamps, not the sequence numbers, so any
 * packet duration (a desk phone's 30 ms) and silence suppression (DTX,
 * where timestamps jump) play at the right time.  Packets that are not
 * audio (RFC 4733 telephone-events: their timestamp is the event's start)
 * are handed out as soon as they are next in sequence.
 *
 * A pure module, for the media thread: fixed storage allocated by new(),
 * no allocation, lock or log afterwards. */
#pragma once

#include <glib.h>

#define ZC_JITTER_MAX_PAYLOAD 1500
/* Packets held: at least ZC_JITTER_MIN_SLOTS, and the deepest playout
 * (max_ms of ticks) with ZC_JITTER_SPARE_SLOTS beyond it for a burst,
 * reordering and DTMF. */
#define ZC_JITTER_MIN_SLOTS 32
#define ZC_JITTER_SPARE_SLOTS 12

typedef struct {
  guint16 seq;
  guint32 ts;
  guint32 ssrc;
  guint8 pt;
  gboolean marker;
  gboolean audio;     /* FALSE: hand out when next, whatever its timestamp */
  gboolean discard;   /* set by zc_jitter_pop(): skipped to shorten the delay */
  gsize len;
  guint8 data[ZC_JITTER_MAX_PAYLOAD];
} ZcJitterPacket;

typedef struct {
  guint target_ms;    /* the depth now: the playout delay the buffer adds */
  guint max_target_ms; /* the most it was since new() */
  guint64 late;       /* audio packets that came after their playout time */
  guint64 dropped;    /* duplicates, packets too old to play, overflow */
  guint64 shrinks;    /* packets skipped to give a tick back */
  guint64 grows;      /* times late packets made it deeper */
  guint64 probation;  /* packets of a new stream (SSRC or timeline) dropped while it was on probation */
} ZcJitterStats;

typedef struct _ZcJitter ZcJitter;

/* @clock_rate: RTP clock (Hz); @tick_ms: playout tick (20); depths in ms. */
ZcJitter *zc_jitter_new (guint clock_rate, guint tick_ms, guint initial_ms, guint min_ms, guint max_ms);
void zc_jitter_free (ZcJitter *jitter);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcJitter, zc_jitter_free)

/* Stores a copy of @packet (its discard field is ignored).  Returns FALSE
 * when it is dropped: a duplicate, older than what was already handed out,
 * no room, or a new stream on probation.  A new SSRC starts playout afresh,
 * and so does a jump of seconds in the timestamps or of hundreds in the
 * sequence numbers, once three packets of the new stream came over two
 * ticks with none of the current one in between (until then the current
 * stream plays on); an audio packet whose timestamp is out of line with
 * the packets after it is skipped rather than waited for. */
gboolean zc_jitter_put (ZcJitter *jitter, const ZcJitterPacket *packet);

/* Advances playout by one tick; call once per tick before zc_jitter_pop(). */
void zc_jitter_tick (ZcJitter *jitter);

/* The next packet due by the end of this tick, or NULL.  Valid until the
 * next call on @jitter.  Call until NULL each tick. */
const ZcJitterPacket *zc_jitter_pop (ZcJitter *jitter);

/* The audio packet next in sequence, held but not due yet, or NULL; it
 * stays in the buffer.  For Opus FEC: when this tick's packet is missing
 * and the one after it is here, its redundancy rebuilds the missing frame
 * (codec.h zc_codec_decode_fec()).  Valid until the next call on @jitter. */
const ZcJitterPacket *zc_jitter_peek (const ZcJitter *jitter);

void zc_jitter_get_stats (const ZcJitter *jitter, ZcJitterStats *stats);
