/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DTMF digits as RTP telephone-events (RFC 4733).
 *
 * A pure module: the payload format, a sender that turns a digit string
 * into the packets to send on each 20 ms media tick, and a receiver that
 * turns the packets that arrive (lost, duplicated, reordered) into digits,
 * each reported once.  No sockets and no clock: the media session supplies
 * RTP timestamps and puts the payloads into RTP packets with the negotiated
 * telephone-event payload type, at the clock rate of the audio codec in use
 * (RFC 4733 7.1.1: 8000 with G.711, 48000 with Opus).
 *
 * After creation nothing here allocates, locks or logs, so the media thread
 * may call everything.  Neither object is thread-safe: the media thread
 * owns both (digits to send reach it through the session's command queue). */
#pragma once

#include <glib.h>

/* RFC 4733 2.3: event (8 bits), E (1), R (1), volume (6), duration (16). */
#define ZC_DTMF_PAYLOAD_SIZE 4

/* Sender timing.  RFC 4733 does not fix tone lengths; these are what
 * ITU-T Q.24 receivers need (at least ~40 ms tone and pause) with margin,
 * and what desk phones send. */
#define ZC_DTMF_MIN_TONE_MS 100 /* shortest tone we send */
#define ZC_DTMF_MAX_TONE_MS 1000 /* so one event never needs segments (RFC 4733 2.5.1.3) */
#define ZC_DTMF_GAP_MS 50        /* at least this much quiet between two tones */
#define ZC_DTMF_END_PACKETS 3    /* RFC 4733 2.5.1.4: the end packet goes out three times */
#define ZC_DTMF_VOLUME 10        /* -10 dBm0 (RFC 4733 2.3.4: power level, 0..63 as -dBm0) */
#define ZC_DTMF_QUEUE_MAX 64     /* digits waiting to be sent */

/* One telephone-event payload (RFC 4733 2.3). */
typedef struct {
  guint8 event;      /* 0-9, 10 = '*', 11 = '#', 12-15 = 'A'-'D' (RFC 4733 3.2) */
  gboolean end;      /* E bit: the event has ended */
  guint8 volume;     /* 0..63, -dBm0 */
  guint16 duration;  /* in RTP timestamp units, since the event's timestamp */
} ZcDtmfEvent;

/* '0'-'9', '*', '#', 'A'-'D' (also 'a'-'d') to the event code; -1 otherwise. */
int zc_dtmf_event_from_char (char digit);
/* Event code 0..15 to its character ('A'-'D' in capitals); '\0' otherwise. */
char zc_dtmf_event_to_char (guint event);

/* Writes the 4-byte payload; returns ZC_DTMF_PAYLOAD_SIZE, or 0 if
 * @out_size is too small.  Volume is masked to 6 bits, R is sent as 0. */
gsize zc_dtmf_event_write (const ZcDtmfEvent *event, guint8 *out, gsize out_size);
/* Reads the first event of a payload (RFC 4733 2.5.1.5 allows several
 * back to back; the first is the current one).  R is ignored (RFC 4733
 * 2.3.3).  FALSE if @len < 4. */
gboolean zc_dtmf_event_parse (const guint8 *payload, gsize len, ZcDtmfEvent *event);

/* ---- Sender ---------------------------------------------------------------
 * Each digit: a first packet with the RTP marker bit (RFC 4733 2.5.1.2), an
 * update every tick with the growing duration, and when the tone has lasted
 * its length, the end packet (E bit, final duration) on three consecutive
 * ticks (RFC 4733 2.5.1.4).  All packets of one digit carry the RTP
 * timestamp of its first tick.  The next digit starts on the first tick at
 * least ZC_DTMF_GAP_MS after the previous tone ended (60 ms with 20 ms
 * ticks). */

typedef struct _ZcDtmfSender ZcDtmfSender;

/* A packet to send now: RTP header fields and payload. */
typedef struct {
  guint32 timestamp;  /* RTP timestamp: the event's start */
  gboolean marker;    /* RTP M bit: first packet of the event */
  ZcDtmfEvent event;
  guint8 payload[ZC_DTMF_PAYLOAD_SIZE];
} ZcDtmfPacket;

/* @clock_rate: the telephone-event clock (8000 or 48000); @ptime_ms: the
 * tick period (20); @tone_ms: tone length, clamped to
 * [ZC_DTMF_MIN_TONE_MS, ZC_DTMF_MAX_TONE_MS]. */
ZcDtmfSender *zc_dtmf_sender_new (guint clock_rate, guint ptime_ms, guint tone_ms);
void zc_dtmf_sender_free (ZcDtmfSender *sender);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcDtmfSender, zc_dtmf_sender_free)

/* Queues @digits (the characters of zc_dtmf_event_from_char()).  All or
 * nothing: 0, -EINVAL if a character is not a DTMF digit, -ENOSPC if they do
 * not fit in the queue. */
int zc_dtmf_sender_queue (ZcDtmfSender *sender, const char *digits);

/* Called once per tick with the RTP timestamp the audio packet of this tick
 * would carry.  TRUE and *@packet filled when a telephone-event packet is
 * to be sent (the session then skips this tick's audio packet: the event
 * stands in for the tone's audio).  FALSE when there is nothing to
 * send (idle, or in the gap between digits). */
gboolean zc_dtmf_sender_tick (ZcDtmfSender *sender, guint32 rtp_timestamp, ZcDtmfPacket *packet);

/* TRUE while a digit is being sent or waits in the queue. */
gboolean zc_dtmf_sender_is_busy (const ZcDtmfSender *sender);

/* ---- Receiver --------------------------------------------------------------
 * An event is identified by its RTP timestamp (RFC 4733 2.3.1, 2.5.2), so a digit
 * is reported on the first packet of a new timestamp that arrives, whichever
 * it is (start, update or end): a lost start packet loses nothing, and
 * updates, retransmitted ends and late packets of an event already reported
 * are dropped.  A packet older than the newest event is dropped too (a
 * digit must not be reported after the one that followed it).  The next
 * segment of a long event (RFC 4733 2.5.1.3: same event, new timestamp =
 * old timestamp + old duration, no marker) is not a new digit. */

typedef struct _ZcDtmfReceiver ZcDtmfReceiver;

typedef struct {
  char digit;          /* '0'-'9', '*', '#', 'A'-'D' */
  guint8 event;        /* its event code */
  guint32 timestamp;   /* RTP timestamp of the event */
} ZcDtmfDigit;

/* @clock_rate: the telephone-event clock, used to tell a late packet (up to
 * 5 s old) from a sender that restarted its timestamps. */
ZcDtmfReceiver *zc_dtmf_receiver_new (guint clock_rate);
void zc_dtmf_receiver_free (ZcDtmfReceiver *receiver);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcDtmfReceiver, zc_dtmf_receiver_free)

/* Forgets the stream, e.g. when the remote SSRC changes. */
void zc_dtmf_receiver_reset (ZcDtmfReceiver *receiver);

/* Feeds one telephone-event RTP packet (header fields and payload).
 * Returns 1 with *@digit filled for a new digit, 0 for nothing new
 * (repeats, stale packets, non-DTMF events such as 16 = flash), or
 * -EBADMSG for a payload shorter than 4 bytes. */
int zc_dtmf_receiver_push (ZcDtmfReceiver *receiver,
                           guint32 rtp_timestamp,
                           gboolean marker,
                           const guint8 *payload,
                           gsize len,
                           ZcDtmfDigit *digit);
