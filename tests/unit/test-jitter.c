/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The playout buffer (media/jitter.h) against made-up arrival patterns:
 * one 20 ms tick per loop turn, packets put when they "arrive". */
#include "config.h"

#include "media/jitter.h"

#define RATE 8000
#define TICK_TS 160 /* 20 ms */

static ZcJitterPacket
audio (guint16 seq, guint32 ts)
{
  ZcJitterPacket p = { .seq = seq, .ts = ts, .ssrc = 0x1234, .pt = 0, .audio = TRUE, .len = 4 };

  p.data[0] = (guint8) seq;
  return p;
}

/* Pops everything due this tick; returns how many, checks the order. */
static guint
pop_all (ZcJitter *jb, gint *last_seq, guint *discarded)
{
  const ZcJitterPacket *p;
  guint n = 0;

  while ((p = zc_jitter_pop (jb)) != NULL) {
    if (*last_seq >= 0)
      g_assert_true ((gint16) (guint16) (p->seq - (guint16) *last_seq) > 0);
    *last_seq = p->seq;
    g_assert_cmpuint (p->data[0], ==, (guint8) p->seq);
    if (p->discard && discarded != NULL)
      (*discarded)++;
    n++;
  }
  return n;
}

/* A steady stream plays one packet per tick after the initial depth, and
 * nothing is late, dropped or skipped. */
static void
test_jitter_steady (void)
{
  g_autoptr (ZcJitter) jb = zc_jitter_new (RATE, 20, 40, 20, 200);
  ZcJitterStats st;
  gint last = -1;
  guint first_out = 0, out = 0;

  for (guint t = 0; t < 200; t++) {
    ZcJitterPacket p = audio ((guint16) (65500 + t), 1000 + t * TICK_TS); /* wraps */
    guint n;

    zc_jitter_put (jb, &p);
    zc_jitter_tick (jb);
    n = pop_all (jb, &last, NULL);
    g_assert_cmpuint (n, <=, 1);
    if (n == 1 && out == 0)
      first_out = t;
    out += n;
  }
  zc_jitter_get_stats (jb, &st);
  g_test_message ("steady: first packet out at tick %u, %u out of 200, target %u ms", first_out, out, st.target_ms);
  g_assert_cmpuint (first_out, ==, 1); /* 40 ms: put at tick 0, out at the end of tick 1 */
  g_assert_cmpuint (out, ==, 199);
  g_assert_cmpuint (st.late, ==, 0);
  g_assert_cmpuint (st.dropped, ==, 0);
  g_assert_cmpuint (st.target_ms, ==, 40);
}

/* A packet two ticks late: the buffer grows one tick per late packet, the
 * order holds, and the late one is dropped once its successor played. */
static void
test_jitter_late (void)
{
  g_autoptr (ZcJitter) jb = zc_jitter_new (RATE, 20, 20, 20, 200);
  ZcJitterPacket held = audio (50, 50 * TICK_TS);
  ZcJitterStats st;
  gint last = -1;

  for (guint t = 0; t < 100; t++) {
    ZcJitterPacket p = audio ((guint16) t, t * TICK_TS);

    if (t != 50)
      zc_jitter_put (jb, &p);
    if (t == 53)
      g_assert_false (zc_jitter_put (jb, &held));
    zc_jitter_tick (jb);
    pop_all (jb, &last, NULL);
  }
  zc_jitter_get_stats (jb, &st);
  g_test_message ("late: %" G_GUINT64_FORMAT " late, %" G_GUINT64_FORMAT " dropped, target %u ms", st.late,
                  st.dropped, st.target_ms);
  g_assert_cmpuint (st.late, >=, 1);
  g_assert_cmpuint (st.dropped, ==, 1);
  g_assert_cmpuint (st.target_ms, >, 20);
  g_assert_cmpuint (st.target_ms, <=, 200);
}

/* Bursts of jitter push the depth up; five quiet seconds give ticks back,
 * one skipped packet each, down to the least depth. */
static void
test_jitter_shrink (void)
{
  g_autoptr (ZcJitter) jb = zc_jitter_new (RATE, 20, 120, 20, 200);
  ZcJitterStats st;
  gint last = -1;
  guint discarded = 0;

  for (guint t = 0; t < 40 * 50; t++) {
    ZcJitterPacket p = audio ((guint16) t, t * TICK_TS);

    zc_jitter_put (jb, &p);
    zc_jitter_tick (jb);
    pop_all (jb, &last, &discarded);
  }
  zc_jitter_get_stats (jb, &st);
  g_test_message ("shrink: target %u ms after 40 s, %" G_GUINT64_FORMAT " shrinks, %u skipped", st.target_ms,
                  st.shrinks, discarded);
  g_assert_cmpuint (st.target_ms, ==, 20);
  g_assert_cmpuint (st.shrinks, ==, discarded);
  g_assert_cmpuint (st.late, ==, 0);
}

/* 30 ms packets (a desk phone's ptime) on 20 ms ticks, then a second of
 * silence suppression (no packets, timestamps jump): every packet plays,
 * in time, none late. */
static void
test_jitter_ptime_and_dtx (void)
{
  g_autoptr (ZcJitter) jb = zc_jitter_new (RATE, 20, 40, 20, 200);
  ZcJitterStats st;
  gint last = -1;
  guint16 seq = 0;
  guint out = 0, sent = 0;
  guint32 next_ts = 0;

  /* Time in ms; a 30 ms packet leaves every 30 ms, except 3000-4000. */
  for (guint ms = 0; ms < 8000; ms += 10) {
    if (ms % 30 == 0) {
      if (ms < 3000 || ms >= 4000) {
        ZcJitterPacket p = audio (seq++, next_ts);

        g_assert_true (zc_jitter_put (jb, &p));
        sent++;
      }
      next_ts += 240;
    }
    if (ms % 20 == 0) {
      zc_jitter_tick (jb);
      out += pop_all (jb, &last, NULL);
    }
  }
  for (guint i = 0; i < 5; i++) {
    zc_jitter_tick (jb);
    out += pop_all (jb, &last, NULL);
  }
  zc_jitter_get_stats (jb, &st);
  g_test_message ("30 ms packets with a DTX gap: %u of %u out, %" G_GUINT64_FORMAT " late, target %u ms", out, sent,
                  st.late, st.target_ms);
  g_assert_cmpuint (out, ==, sent);
  g_assert_cmpuint (st.late, ==, 0);
}

/* Telephone-events come out as soon as they are next in sequence, whatever
 * their timestamp; duplicates are dropped; a new SSRC starts afresh. */
static void
test_jitter_events_and_ssrc (void)
{
  g_autoptr (ZcJitter) jb = zc_jitter_new (RATE, 20, 60, 20, 200);
  ZcJitterPacket event = audio (7, 0);
  ZcJitterPacket a = audio (6, 6 * TICK_TS);
  ZcJitterPacket other = audio (1000, 99999);
  const ZcJitterPacket *p;

  event.audio = FALSE;
  event.pt = 101;
  g_assert_true (zc_jitter_put (jb, &event));
  p = zc_jitter_pop (jb);
  g_assert_nonnull (p);
  g_assert_cmpuint (p->seq, ==, 7);

  g_assert_false (zc_jitter_put (jb, &a)); /* older than what was handed out */

  other.ssrc = 0x9999;
  g_assert_true (zc_jitter_put (jb, &other));
  g_assert_false (zc_jitter_put (jb, &other)); /* duplicate */
  g_assert_null (zc_jitter_pop (jb));      /* 60 ms to go */
  for (guint i = 0; i < 2; i++)
    zc_jitter_tick (jb);
  g_assert_null (zc_jitter_pop (jb));
  zc_jitter_tick (jb);
  p = zc_jitter_pop (jb);
  g_assert_nonnull (p);
  g_assert_cmpuint (p->seq, ==, 1000);

  /* The same SSRC, a new source behind it: sequence far back, timestamp
   * minutes away.  Playout starts again at the configured depth. */
  other.seq = 200;
  other.ts = 99999 + 60 * RATE;
  g_assert_true (zc_jitter_put (jb, &other));
  g_assert_null (zc_jitter_pop (jb));
  for (guint i = 0; i < 3; i++)
    zc_jitter_tick (jb);
  p = zc_jitter_pop (jb);
  g_assert_nonnull (p);
  g_assert_cmpuint (p->seq, ==, 200);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/jitter/steady", test_jitter_steady);
  g_test_add_func ("/jitter/late", test_jitter_late);
  g_test_add_func ("/jitter/shrink", test_jitter_shrink);
  g_test_add_func ("/jitter/ptime-and-dtx", test_jitter_ptime_and_dtx);
  g_test_add_func ("/jitter/events-and-ssrc", test_jitter_events_and_ssrc);
  return g_test_run ();
}
