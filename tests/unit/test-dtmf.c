/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "media/dtmf.h"

#include <errno.h>
#include <string.h>

static void
test_event_chars (void)
{
  static const char all[] = "0123456789*#ABCD";

  for (int i = 0; i < 16; i++) {
    g_assert_cmpint (zc_dtmf_event_from_char (all[i]), ==, i);
    g_assert_cmpint (zc_dtmf_event_to_char ((guint) i), ==, all[i]);
  }
  g_assert_cmpint (zc_dtmf_event_from_char ('a'), ==, 12);
  g_assert_cmpint (zc_dtmf_event_from_char ('d'), ==, 15);
  g_assert_cmpint (zc_dtmf_event_from_char ('E'), ==, -1);
  g_assert_cmpint (zc_dtmf_event_from_char (' '), ==, -1);
  g_assert_cmpint (zc_dtmf_event_from_char ('\0'), ==, -1);
  g_assert_cmpint (zc_dtmf_event_to_char (16), ==, '\0'); /* flash */
}

/* RFC 4733 2.3 layout, byte by byte. */
static void
test_payload (void)
{
  ZcDtmfEvent ev = { .event = 5, .end = TRUE, .volume = 10, .duration = 800 };
  ZcDtmfEvent back;
  guint8 buf[8];
  static const guint8 expected[] = { 0x05, 0x8A, 0x03, 0x20 };
  /* '#' not ended, R bit set (must be ignored), volume 63, duration 65535. */
  static const guint8 with_r[] = { 0x0B, 0x7F, 0xFF, 0xFF };

  g_assert_cmpuint (zc_dtmf_event_write (&ev, buf, 3), ==, 0);
  g_assert_cmpuint (zc_dtmf_event_write (&ev, buf, sizeof buf), ==, 4);
  g_assert_cmpmem (buf, 4, expected, sizeof expected);

  g_assert_true (zc_dtmf_event_parse (buf, 4, &back));
  g_assert_cmpuint (back.event, ==, 5);
  g_assert_true (back.end);
  g_assert_cmpuint (back.volume, ==, 10);
  g_assert_cmpuint (back.duration, ==, 800);

  g_assert_true (zc_dtmf_event_parse (with_r, sizeof with_r, &back));
  g_assert_cmpuint (back.event, ==, 11);
  g_assert_false (back.end);
  g_assert_cmpuint (back.volume, ==, 63);
  g_assert_cmpuint (back.duration, ==, 65535);

  g_assert_false (zc_dtmf_event_parse (buf, 3, &back));
}

/* Everything the sender emits for @digits at @clock_rate, ticking every
 * 20 ms from @ts0 until it is idle. */
static GArray *
send_all (guint clock_rate, const char *digits, guint32 ts0, guint *ticks_out)
{
  g_autoptr (ZcDtmfSender) sender = zc_dtmf_sender_new (clock_rate, 20, 100);
  GArray *packets = g_array_new (FALSE, FALSE, sizeof (ZcDtmfPacket));
  guint32 ts = ts0;
  guint ticks = 0;

  g_assert_cmpint (zc_dtmf_sender_queue (sender, digits), ==, 0);
  while (zc_dtmf_sender_is_busy (sender)) {
    ZcDtmfPacket p;

    if (zc_dtmf_sender_tick (sender, ts, &p))
      g_array_append_val (packets, p);
    ts += clock_rate / 50;
    ticks++;
    g_assert_cmpuint (ticks, <, 1000);
  }
  if (ticks_out != NULL)
    *ticks_out = ticks;
  return packets;
}

/* The packet pattern of each digit: marker on the first packet only, one
 * timestamp, durations growing by one tick, the end packet three times
 * with the final duration of 100 ms, and at least 50 ms between the end of
 * one tone and the start of the next. */
static void
check_sender_pattern (guint clock_rate, guint32 ts0)
{
  static const char digits[] = "123#*0";
  g_autoptr (GArray) packets = send_all (clock_rate, digits, ts0, NULL);
  guint tick = clock_rate / 50, tone = clock_rate / 10, gap = clock_rate / 20;
  guint per_digit = 4 + ZC_DTMF_END_PACKETS; /* 20, 40, 60, 80 ms, then 3 x end at 100 ms */

  g_assert_cmpuint (packets->len, ==, strlen (digits) * per_digit);
  for (guint d = 0; d < strlen (digits); d++) {
    const ZcDtmfPacket *first = &g_array_index (packets, ZcDtmfPacket, d * per_digit);

    for (guint k = 0; k < per_digit; k++) {
      const ZcDtmfPacket *p = &g_array_index (packets, ZcDtmfPacket, d * per_digit + k);
      ZcDtmfEvent parsed;

      g_assert_cmpint (p->event.event, ==, zc_dtmf_event_from_char (digits[d]));
      g_assert_cmpuint (p->timestamp, ==, first->timestamp);
      g_assert_cmpint (p->marker, ==, k == 0);
      g_assert_cmpint (p->event.end, ==, k >= 4);
      g_assert_cmpuint (p->event.duration, ==, k < 4 ? (k + 1) * tick : tone);
      g_assert_cmpuint (p->event.volume, ==, ZC_DTMF_VOLUME);
      /* The payload bytes say the same. */
      g_assert_true (zc_dtmf_event_parse (p->payload, sizeof p->payload, &parsed));
      g_assert_cmpuint (parsed.event, ==, p->event.event);
      g_assert_cmpint (parsed.end, ==, p->event.end);
      g_assert_cmpuint (parsed.volume, ==, p->event.volume);
      g_assert_cmpuint (parsed.duration, ==, p->event.duration);
    }
    if (d > 0) {
      const ZcDtmfPacket *prev = &g_array_index (packets, ZcDtmfPacket, (d - 1) * per_digit);
      guint32 quiet = first->timestamp - (prev->timestamp + tone);

      g_assert_cmpuint (quiet, >=, gap);
      g_assert_cmpuint (quiet, <, gap + tick);
    }
  }
}

static void
test_sender_pattern (void)
{
  check_sender_pattern (8000, 1000);
  check_sender_pattern (48000, 123456);
  /* Timestamps wrapping around 2^32 in the middle of the digits. */
  check_sender_pattern (8000, G_MAXUINT32 - 2000);
}

static void
test_sender_queue (void)
{
  g_autoptr (ZcDtmfSender) sender = zc_dtmf_sender_new (8000, 20, 40); /* raised to 100 ms */
  char many[ZC_DTMF_QUEUE_MAX + 1];
  ZcDtmfPacket p;
  guint n = 0;

  g_assert_false (zc_dtmf_sender_is_busy (sender));
  g_assert_false (zc_dtmf_sender_tick (sender, 0, &p));

  /* All or nothing. */
  g_assert_cmpint (zc_dtmf_sender_queue (sender, "12x3"), ==, -EINVAL);
  g_assert_false (zc_dtmf_sender_is_busy (sender));
  memset (many, '5', ZC_DTMF_QUEUE_MAX);
  many[ZC_DTMF_QUEUE_MAX] = '\0';
  g_assert_cmpint (zc_dtmf_sender_queue (sender, many), ==, 0);
  g_assert_cmpint (zc_dtmf_sender_queue (sender, "1"), ==, -ENOSPC);
  g_assert_cmpint (zc_dtmf_sender_queue (sender, ""), ==, 0);

  /* The minimum tone is 100 ms even when asked for less. */
  for (guint32 ts = 0; zc_dtmf_sender_tick (sender, ts, &p) && !p.event.end; ts += 160)
    n++;
  g_assert_cmpuint (n, ==, 4);
  g_assert_cmpuint (p.event.duration, ==, 800);
}

/* Feeds @packets in the order of @order (indexes), collects the digits. */
static char *
receive (ZcDtmfReceiver *receiver, GArray *packets, const guint *order, guint n_order)
{
  GString *got = g_string_new (NULL);

  for (guint i = 0; i < n_order; i++) {
    const ZcDtmfPacket *p = &g_array_index (packets, ZcDtmfPacket, order[i]);
    ZcDtmfDigit digit;
    int r = zc_dtmf_receiver_push (receiver, p->timestamp, p->marker, p->payload, sizeof p->payload, &digit);

    g_assert_cmpint (r, >=, 0);
    if (r == 1) {
      g_assert_cmpuint (digit.timestamp, ==, p->timestamp);
      g_string_append_c (got, digit.digit);
    }
  }
  return g_string_free (got, FALSE);
}

/* "123#*0" through a bad network: every end packet delivered twice more,
 * one update of '3' lost, the start packet of '#' lost, two updates of '*'
 * swapped, and an end packet of '1' arriving late, after '2' began.  Each
 * digit must come out exactly once, in order. */
static void
test_round_trip (void)
{
  g_autoptr (GArray) packets = send_all (8000, "123#*0", 5000, NULL);
  g_autoptr (ZcDtmfReceiver) receiver = zc_dtmf_receiver_new (8000);
  g_autoptr (GArray) order = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autofree char *clean = NULL;
  g_autofree char *got = NULL;
  guint per_digit = 7, late_end_of_1 = 0;

  for (guint i = 0; i < packets->len; i++) {
    const ZcDtmfPacket *p = &g_array_index (packets, ZcDtmfPacket, i);
    guint digit = i / per_digit, k = i % per_digit;

    if (digit == 2 && k == 2)
      continue; /* lost update of '3' */
    if (digit == 3 && k == 0)
      continue; /* lost start of '#' */
    if (digit == 4 && k == 1) {
      guint next = i + 1; /* '*': update 2 before update 1 */

      g_array_append_val (order, next);
      g_array_append_val (order, i);
      i++;
      continue;
    }
    if (digit == 0 && k == 6) {
      late_end_of_1 = i; /* held back ... */
      continue;
    }
    g_array_append_val (order, i);
    if (digit == 1 && k == 1)
      g_array_append_val (order, late_end_of_1); /* ... until '2' is under way */
    if (p->event.end) {
      g_array_append_val (order, i);
      g_array_append_val (order, i);
    }
  }
  g_assert_cmpuint (late_end_of_1, !=, 0);

  got = receive (receiver, packets, (const guint *) (void *) order->data, order->len);
  g_assert_cmpstr (got, ==, "123#*0");

  /* The same packets again (a replay, or a jitter buffer flushing
   * duplicates): nothing new. */
  g_free (got);
  got = receive (receiver, packets, (const guint *) (void *) order->data, order->len);
  g_assert_cmpstr (got, ==, "");

  /* After a reset (new SSRC) the clean stream is new again. */
  zc_dtmf_receiver_reset (receiver);
  {
    g_autofree guint *all = g_new (guint, packets->len);

    for (guint i = 0; i < packets->len; i++)
      all[i] = i;
    clean = receive (receiver, packets, all, packets->len);
  }
  g_assert_cmpstr (clean, ==, "123#*0");
}

/* The same digit twice ("55") is two events; a long event split into
 * segments (RFC 4733 2.5.1.3) is one. */
static void
test_receiver_repeats_and_segments (void)
{
  g_autoptr (GArray) packets = send_all (8000, "55", 0, NULL);
  g_autoptr (ZcDtmfReceiver) receiver = zc_dtmf_receiver_new (8000);
  guint8 buf[4];
  ZcDtmfEvent ev = { .event = 7, .end = FALSE, .volume = 10, .duration = 0 };
  ZcDtmfDigit digit;
  g_autofree char *got = NULL;
  guint order[14];

  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    order[i] = i;
  g_assert_cmpuint (packets->len, ==, 14);
  got = receive (receiver, packets, order, packets->len);
  g_assert_cmpstr (got, ==, "55");

  /* Segment 1 of a long '7' at ts 100000 up to the 16-bit limit, then
   * segment 2 at ts 100000 + 65535 without marker, then its end. */
  ev.duration = 160;
  zc_dtmf_event_write (&ev, buf, sizeof buf);
  g_assert_cmpint (zc_dtmf_receiver_push (receiver, 100000, TRUE, buf, 4, &digit), ==, 1);
  g_assert_cmpint (digit.digit, ==, '7');
  ev.duration = 65535;
  zc_dtmf_event_write (&ev, buf, sizeof buf);
  g_assert_cmpint (zc_dtmf_receiver_push (receiver, 100000, FALSE, buf, 4, &digit), ==, 0);
  ev.duration = 160;
  zc_dtmf_event_write (&ev, buf, sizeof buf);
  g_assert_cmpint (zc_dtmf_receiver_push (receiver, 100000 + 65535, FALSE, buf, 4, &digit), ==, 0);
  ev.end = TRUE;
  ev.duration = 8000;
  zc_dtmf_event_write (&ev, buf, sizeof buf);
  g_assert_cmpint (zc_dtmf_receiver_push (receiver, 100000 + 65535, FALSE, buf, 4, &digit), ==, 0);

  /* Then a new '7' (marker, later timestamp): a new digit. */
  ev.end = FALSE;
  ev.duration = 160;
  zc_dtmf_event_write (&ev, buf, sizeof buf);
  g_assert_cmpint (zc_dtmf_receiver_push (receiver, 300000, TRUE, buf, 4, &digit), ==, 1);
  g_assert_cmpint (digit.digit, ==, '7');

  /* Non-DTMF events and short payloads. */
  ev.event = 16;
  zc_dtmf_event_write (&ev, buf, sizeof buf);
  g_assert_cmpint (zc_dtmf_receiver_push (receiver, 400000, TRUE, buf, 4, &digit), ==, 0);
  g_assert_cmpint (zc_dtmf_receiver_push (receiver, 400000, TRUE, buf, 3, &digit), ==, -EBADMSG);

  /* A sender that restarted its timestamps far back (> 5 s) is heard. */
  ev.event = 1;
  zc_dtmf_event_write (&ev, buf, sizeof buf);
  g_assert_cmpint (zc_dtmf_receiver_push (receiver, 10, TRUE, buf, 4, &digit), ==, 1);
  g_assert_cmpint (digit.digit, ==, '1');
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/dtmf/event/chars", test_event_chars);
  g_test_add_func ("/dtmf/event/payload", test_payload);
  g_test_add_func ("/dtmf/sender/pattern", test_sender_pattern);
  g_test_add_func ("/dtmf/sender/queue", test_sender_queue);
  g_test_add_func ("/dtmf/receiver/round-trip", test_round_trip);
  g_test_add_func ("/dtmf/receiver/repeats-and-segments", test_receiver_repeats_and_segments);
  return g_test_run ();
}
