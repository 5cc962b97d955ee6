/* SPDX-License-Identifier: GPL-3.0-or-later */
/* RFC 4733 telephone-events: payload format, sender and receiver. */
#define G_LOG_DOMAIN "media"

#include "config.h"

#include "media/dtmf.h"

#include <errno.h>
#include <string.h>

/* ==== Payload ============================================================ */

/* RFC 4733 3.2, Table 7: the DTMF named events. */
static const char event_chars[16] = "0123456789*#ABCD";

int
zc_dtmf_event_from_char (char digit)
{
  char upper = g_ascii_toupper (digit);

  for (int i = 0; i < 16; i++) {
    if (event_chars[i] == upper)
      return i;
  }
  return -1;
}

char
zc_dtmf_event_to_char (guint event)
{
  return event < 16 ? event_chars[event] : '\0';
}

gsize
zc_dtmf_event_write (const ZcDtmfEvent *event, guint8 *out, gsize out_size)
{
  if (event == NULL || out == NULL || out_size < ZC_DTMF_PAYLOAD_SIZE)
    return 0;
  /* RFC 4733 2.3:  event | E R volume(6) | duration (network order) */
  out[0] = event->event;
  out[1] = (guint8) ((event->end ? 0x80 : 0x00) | (event->volume & 0x3F));
  out[2] = (guint8) (event->duration >> 8);
  out[3] = (guint8) (event->duration & 0xFF);
  return ZC_DTMF_PAYLOAD_SIZE;
}

gboolean
zc_dtmf_event_parse (const guint8 *payload, gsize len, ZcDtmfEvent *event)
{
  if (payload == NULL || event == NULL || len < ZC_DTMF_PAYLOAD_SIZE)
    return FALSE;
  event->event = payload[0];
  event->end = (payload[1] & 0x80) != 0;
  event->volume = payload[1] & 0x3F; /* R (0x40) ignored: RFC 4733 2.3.3 */
  event->duration = (guint16) ((payload[2] << 8) | payload[3]);
  return TRUE;
}

/* RTP timestamps wrap: compare them as RFC 1982 serial numbers. */
static gint32
ts_diff (guint32 a, guint32 b)
{
  return (gint32) (a - b);
}

/* ==== Sender ============================================================= */

typedef enum {
  SENDER_IDLE,   /* between digits (or in the gap after one) */
  SENDER_TONE,   /* start and update packets */
  SENDER_ENDING, /* end packet retransmissions */
} SenderState;

struct _ZcDtmfSender {
  guint tick_units;  /* RTP units per tick */
  guint tone_units;  /* RTP units per tone */
  guint gap_units;   /* RTP units of quiet between tones */

  /* Digits waiting: a ring of event codes. */
  guint8 queue[ZC_DTMF_QUEUE_MAX];
  guint queue_head;
  guint queue_len;

  SenderState state;
  guint8 event;          /* the event being sent */
  guint32 start_ts;      /* its RTP timestamp */
  guint16 duration;      /* duration sent last */
  guint ends_sent;       /* end packets sent so far */
  gboolean have_last_end;
  guint32 last_end_ts;   /* when the previous tone ended (start + duration) */
};

ZcDtmfSender *
zc_dtmf_sender_new (guint clock_rate, guint ptime_ms, guint tone_ms)
{
  ZcDtmfSender *self;

  g_return_val_if_fail (clock_rate >= 1000 && clock_rate <= 96000, NULL);
  g_return_val_if_fail (ptime_ms > 0 && ptime_ms <= 200, NULL);

  self = g_new0 (ZcDtmfSender, 1);
  tone_ms = CLAMP (tone_ms, ZC_DTMF_MIN_TONE_MS, ZC_DTMF_MAX_TONE_MS);
  self->tick_units = clock_rate / 1000 * ptime_ms;
  /* Whole ticks: the final duration is what the last update said. */
  self->tone_units = (tone_ms + ptime_ms - 1) / ptime_ms * self->tick_units;
  /* The 16-bit duration holds 1.36 s at 48 kHz but only 0.68 s at
   * 96 kHz: clamp rather than split the tone into segments. */
  self->tone_units = MIN (self->tone_units, G_MAXUINT16 / self->tick_units * self->tick_units);
  self->gap_units = clock_rate / 1000 * ZC_DTMF_GAP_MS;
  return self;
}

void
zc_dtmf_sender_free (ZcDtmfSender *sender)
{
  g_free (sender);
}

int
zc_dtmf_sender_queue (ZcDtmfSender *sender, const char *digits)
{
  gsize n;

  if (sender == NULL || digits == NULL)
    return -EINVAL;
  n = strlen (digits);
  for (gsize i = 0; i < n; i++) {
    if (zc_dtmf_event_from_char (digits[i]) < 0)
      return -EINVAL;
  }
  if (n > ZC_DTMF_QUEUE_MAX - sender->queue_len)
    return -ENOSPC;
  for (gsize i = 0; i < n; i++) {
    sender->queue[(sender->queue_head + sender->queue_len) % ZC_DTMF_QUEUE_MAX] =
      (guint8) zc_dtmf_event_from_char (digits[i]);
    sender->queue_len++;
  }
  return 0;
}

gboolean
zc_dtmf_sender_is_busy (const ZcDtmfSender *sender)
{
  return sender != NULL && (sender->state != SENDER_IDLE || sender->queue_len > 0);
}

static void
fill_packet (ZcDtmfSender *self, gboolean marker, gboolean end, ZcDtmfPacket *packet)
{
  packet->timestamp = self->start_ts;
  packet->marker = marker;
  packet->event.event = self->event;
  packet->event.end = end;
  packet->event.volume = ZC_DTMF_VOLUME;
  packet->event.duration = self->duration;
  zc_dtmf_event_write (&packet->event, packet->payload, sizeof packet->payload);
}

gboolean
zc_dtmf_sender_tick (ZcDtmfSender *sender, guint32 rtp_timestamp, ZcDtmfPacket *packet)
{
  ZcDtmfSender *self = sender;
  guint32 elapsed;

  if (self == NULL || packet == NULL)
    return FALSE;

  switch (self->state) {
  case SENDER_IDLE:
    if (self->queue_len == 0)
      return FALSE;
    if (self->have_last_end && ts_diff (rtp_timestamp, self->last_end_ts) < (gint32) self->gap_units)
      return FALSE; /* still in the gap */
    self->event = self->queue[self->queue_head];
    self->queue_head = (self->queue_head + 1) % ZC_DTMF_QUEUE_MAX;
    self->queue_len--;
    self->start_ts = rtp_timestamp;
    self->ends_sent = 0;
    self->state = SENDER_TONE;
    /* Like an audio packet, this one covers one tick from its timestamp. */
    self->duration = (guint16) MIN (self->tick_units, self->tone_units);
    if (self->duration < self->tone_units) {
      fill_packet (self, TRUE, FALSE, packet);
      return TRUE;
    }
    /* A tone of one tick: start and end at once. */
    self->state = SENDER_ENDING;
    self->ends_sent = 1;
    fill_packet (self, TRUE, TRUE, packet);
    return TRUE;

  case SENDER_TONE:
    /* Duration from the timestamps, so a late or skipped tick does not
     * stretch or shrink the tone. */
    elapsed = rtp_timestamp - self->start_ts + self->tick_units;
    if (elapsed < self->tone_units) {
      self->duration = (guint16) elapsed;
      fill_packet (self, FALSE, FALSE, packet);
      return TRUE;
    }
    self->duration = (guint16) self->tone_units;
    self->state = SENDER_ENDING;
    self->ends_sent = 1;
    fill_packet (self, FALSE, TRUE, packet);
    return TRUE;

  case SENDER_ENDING:
    /* RFC 4733 2.5.1.4: the same final packet, three times in all. */
    fill_packet (self, FALSE, TRUE, packet);
    if (++self->ends_sent >= ZC_DTMF_END_PACKETS) {
      self->state = SENDER_IDLE;
      self->have_last_end = TRUE;
      self->last_end_ts = self->start_ts + self->duration;
    }
    return TRUE;

  default:
    g_assert_not_reached ();
  }
}

/* ==== Receiver =========================================================== */

struct _ZcDtmfReceiver {
  gint32 stale_window;    /* how far back a packet counts as late, RTP units */

  gboolean have_last;
  guint32 last_ts;        /* the newest event seen */
  guint8 last_event;
  gboolean last_ended;    /* an end packet of it arrived */
  guint16 last_duration;  /* the longest duration seen for it */
};

ZcDtmfReceiver *
zc_dtmf_receiver_new (guint clock_rate)
{
  ZcDtmfReceiver *self;

  g_return_val_if_fail (clock_rate >= 1000 && clock_rate <= 96000, NULL);

  self = g_new0 (ZcDtmfReceiver, 1);
  self->stale_window = (gint32) clock_rate * 5;
  return self;
}

void
zc_dtmf_receiver_free (ZcDtmfReceiver *receiver)
{
  g_free (receiver);
}

void
zc_dtmf_receiver_reset (ZcDtmfReceiver *receiver)
{
  if (receiver != NULL)
    receiver->have_last = FALSE;
}

int
zc_dtmf_receiver_push (ZcDtmfReceiver *receiver,
                       guint32 rtp_timestamp,
                       gboolean marker,
                       const guint8 *payload,
                       gsize len,
                       ZcDtmfDigit *digit)
{
  ZcDtmfReceiver *self = receiver;
  ZcDtmfEvent ev;

  if (self == NULL || digit == NULL)
    return -EINVAL;
  if (!zc_dtmf_event_parse (payload, len, &ev))
    return -EBADMSG;
  if (zc_dtmf_event_to_char (ev.event) == '\0')
    return 0; /* not a DTMF digit (flash, tones of RFC 4734...) */

  if (self->have_last) {
    gint32 delta = ts_diff (rtp_timestamp, self->last_ts);

    if (delta == 0 && ev.event == self->last_event) {
      /* An update or a (repeated) end of the current event. */
      self->last_ended |= ev.end;
      self->last_duration = MAX (self->last_duration, ev.duration);
      return 0;
    }
    if (delta < 0 && delta >= -self->stale_window)
      return 0; /* late packet of an earlier event: reported already, or too late */
    if (delta > 0 && !marker && ev.event == self->last_event && !self->last_ended
        && (guint32) delta <= self->last_duration) {
      /* RFC 4733 2.5.1.3: the next segment of a long event starts where
       * the previous one ended; same digit, not a new one. */
      self->last_ts = rtp_timestamp;
      self->last_ended = ev.end;
      self->last_duration = ev.duration;
      return 0;
    }
    /* Newer (or far older: the sender restarted its timestamps): new. */
  }

  self->have_last = TRUE;
  self->last_ts = rtp_timestamp;
  self->last_event = ev.event;
  self->last_ended = ev.end;
  self->last_duration = ev.duration;

  digit->digit = zc_dtmf_event_to_char (ev.event);
  digit->event = ev.event;
  digit->timestamp = rtp_timestamp;
  return 1;
}
