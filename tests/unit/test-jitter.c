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
 * nothing is late or dropped.  Every packet comes a tick before its turn,
 * so after the two-second window that tick is given back: one packet is
 * skipped, and the depth is the least one from then on. */
static void
test_jitter_steady (void)
{
  g_autoptr (ZcJitter) jb = zc_jitter_new (RATE, 20, 40, 20, 200);
  ZcJitterStats st;
  gint last = -1;
  guint first_out = 0, out = 0, discarded = 0;

  for (guint t = 0; t < 200; t++) {
    ZcJitterPacket p = audio ((guint16) (65500 + t), 1000 + t * TICK_TS); /* wraps */
    guint skipped = discarded;
    guint n;

    zc_jitter_put (jb, &p);
    zc_jitter_tick (jb);
    n = pop_all (jb, &last, &discarded);
    g_assert_cmpuint (n - (discarded - skipped), <=, 1);
    if (n == 1 && out == 0)
      first_out = t;
    out += n;
  }
  zc_jitter_get_stats (jb, &st);
  g_test_message ("steady: first packet out at tick %u, %u out of 200, %u skipped, target %u ms", first_out, out,
                  discarded, st.target_ms);
  g_assert_cmpuint (first_out, ==, 1); /* 40 ms: put at tick 0, out at the end of tick 1 */
  g_assert_cmpuint (out, ==, 200); /* the skipped one included: a tick less behind at the end */
  g_assert_cmpuint (discarded, ==, 1);
  g_assert_cmpuint (st.late, ==, 0);
  g_assert_cmpuint (st.dropped, ==, 0);
  g_assert_cmpuint (st.target_ms, ==, 20);
  g_assert_cmpuint (st.max_target_ms, ==, 40);
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

/* A depth more than the path needs is given back after two quiet seconds,
 * one tick and one skipped packet per 100 ms, down to the least depth. */
static void
test_jitter_shrink (void)
{
  g_autoptr (ZcJitter) jb = zc_jitter_new (RATE, 20, 120, 20, 200);
  ZcJitterStats st;
  gint last = -1;
  guint discarded = 0;

  for (guint t = 0; t < 3 * 50; t++) {
    ZcJitterPacket p = audio ((guint16) t, t * TICK_TS);

    zc_jitter_put (jb, &p);
    zc_jitter_tick (jb);
    pop_all (jb, &last, &discarded);
  }
  zc_jitter_get_stats (jb, &st);
  g_test_message ("shrink: target %u ms after 3 s, %" G_GUINT64_FORMAT " shrinks, %u skipped", st.target_ms,
                  st.shrinks, discarded);
  g_assert_cmpuint (st.target_ms, ==, 20);
  g_assert_cmpuint (st.shrinks, ==, discarded);
  g_assert_cmpuint (st.late, ==, 0);
}

/* 10 ms packets on 10 ms ticks (two zcall agents): the first look at the
 * starting depth comes half a second in and the shrink windows after it
 * last two seconds, not 50 and 200 ticks' worth of 20 ms; the depth comes
 * down to one 10 ms tick; a burst of 400 ms (the deepest) of packets is
 * held whole. */
static void
feed_10ms (ZcJitter *jb, guint *t, guint until, gint *last, guint *discarded)
{
  for (; *t < until; (*t)++) {
    ZcJitterPacket p = audio ((guint16) *t, *t * TICK_TS / 2);

    zc_jitter_put (jb, &p);
    zc_jitter_tick (jb);
    pop_all (jb, last, discarded);
  }
}

static void
test_jitter_10ms (void)
{
  g_autoptr (ZcJitter) jb = zc_jitter_new (RATE, 10, 120, 10, 400);
  ZcJitterStats st;
  gint last = -1;
  guint discarded = 0, t = 0, late_at;

  feed_10ms (jb, &t, 49, &last, &discarded);
  zc_jitter_get_stats (jb, &st);
  g_assert_cmpuint (st.shrinks, ==, 0); /* 0.49 s: no look yet */
  feed_10ms (jb, &t, 100, &last, &discarded);
  zc_jitter_get_stats (jb, &st);
  g_test_message ("10 ms: target %u ms after 1 s, %" G_GUINT64_FORMAT " shrinks", st.target_ms, st.shrinks);
  g_assert_cmpuint (st.target_ms, ==, 10); /* all 110 ms of spare given back, a tick per three */
  g_assert_cmpuint (st.shrinks, ==, 11);

  /* One packet a tick late: the depth grows, and the next look is two
   * seconds after it. */
  {
    ZcJitterPacket p = audio ((guint16) t, t * TICK_TS / 2), next = audio ((guint16) (t + 1), (t + 1) * TICK_TS / 2);

    zc_jitter_tick (jb);
    pop_all (jb, &last, &discarded);
    zc_jitter_put (jb, &p);
    zc_jitter_put (jb, &next);
    zc_jitter_tick (jb);
    pop_all (jb, &last, &discarded);
    late_at = t;
    t += 2;
  }
  zc_jitter_get_stats (jb, &st);
  g_assert_cmpuint (st.late, ==, 1);
  g_assert_cmpuint (st.target_ms, ==, 20);
  feed_10ms (jb, &t, late_at + 190, &last, &discarded);
  zc_jitter_get_stats (jb, &st);
  g_assert_cmpuint (st.shrinks, ==, 11); /* 1.9 s: the window is not over */
  feed_10ms (jb, &t, late_at + 260, &last, &discarded);
  zc_jitter_get_stats (jb, &st);
  g_test_message ("10 ms: target %u ms 2.6 s after a late packet, %" G_GUINT64_FORMAT " shrinks", st.target_ms,
                  st.shrinks);
  g_assert_cmpuint (st.target_ms, ==, 10);
  g_assert_cmpuint (st.shrinks, ==, discarded);
  g_assert_cmpuint (st.late, ==, 1);

  /* 40 packets at once, none dropped for want of room. */
  for (guint i = 0; i < 40; i++) {
    ZcJitterPacket p = audio ((guint16) (t + i), (t + i) * TICK_TS / 2);

    g_assert_true (zc_jitter_put (jb, &p));
  }
  zc_jitter_get_stats (jb, &st);
  g_assert_cmpuint (st.dropped, ==, 0);
}

/* The path's delay steps from 0 to 200 ms for 4 s and back (netem.test's
 * third phase).  Up: the first packet after the step is late by nearly the
 * whole step and the depth takes it at once, so the packets after it play
 * in order, each on time (not one late packet per tick while the depth
 * creeps up).  Down: packets come 200 ms early, and within 3 s the depth
 * is what it was before the step. */
static void
test_jitter_delay_step (void)
{
  enum { UP = 150, DOWN = 350, END = 500, STEP = 10 /* ticks: 200 ms */ };
  g_autoptr (ZcJitter) jb = zc_jitter_new (RATE, 20, 40, 20, 400);
  ZcJitterStats before, up, st;
  gint last = -1;
  guint discarded = 0, idle_after_up = 0;
  guint16 sent = 0;

  for (guint t = 0; t < END; t++) {
    guint n;

    /* What was sent at tick s arrives at s + delay(s). */
    for (guint s = sent; s <= t; s++) {
      guint delay = s >= UP && s < DOWN ? STEP : 0;

      if (s + delay > t)
        break;
      {
        ZcJitterPacket p = audio ((guint16) s, s * TICK_TS);

        zc_jitter_put (jb, &p);
      }
      sent = (guint16) (s + 1);
    }
    if (t == UP)
      zc_jitter_get_stats (jb, &before);
    zc_jitter_tick (jb);
    n = pop_all (jb, &last, &discarded);
    if (t > UP + STEP + 2 && t < DOWN && n == 0)
      idle_after_up++;
    if (t == DOWN - 1)
      zc_jitter_get_stats (jb, &up);
  }
  zc_jitter_get_stats (jb, &st);
  g_test_message ("delay step: depth %u ms before, %u ms during (%" G_GUINT64_FORMAT " late), %u ms 3 s after; "
                  "%u ticks without a packet once it caught up, %u skipped",
                  before.target_ms, up.target_ms, up.late, st.target_ms, idle_after_up, discarded);
  g_assert_cmpuint (up.target_ms, >=, before.target_ms + 160);
  g_assert_cmpuint (up.late, <=, 2);
  g_assert_cmpuint (idle_after_up, ==, 0);
  g_assert_cmpuint (st.target_ms, ==, before.target_ms);
  g_assert_cmpuint (st.late, ==, up.late);
}

/* 60 ms of jitter for 5 s, easing to 20 ms for a second before the path
 * is calm (netem.test's second phase, as a path's jitter dies down): the
 * depth taken for it is back where it was about the two-second window
 * and the give-back after the jitter ended.  The window that first looks
 * still holds the last second, so it can give back only part of the
 * spare: the rest must not wait for two more seconds of their own. */
static guint
jitter_delay (guint s, guint from, guint easing, guint to)
{
  /* 0 to 3 ticks (0-60 ms), then 0 to 1, in a fixed pseudo-random order. */
  if (s < from || s >= to)
    return 0;
  return (s * 7919u + 13u) % (s < easing ? 4u : 2u);
}

static void
test_jitter_recovers (void)
{
  enum { FROM = 150, EASING = 400, TO = 450, END = 1000 };
  g_autoptr (ZcJitter) jb = zc_jitter_new (RATE, 20, 40, 20, 400);
  ZcJitterStats before, during, st;
  gint last = -1;
  guint back_at = 0;

  for (guint t = 0; t < END; t++) {
    /* What was sent at tick s arrives at s + delay(s), in send order
     * within a tick. */
    for (guint s = t >= 3 ? t - 3 : 0; s <= t; s++)
      if (s + jitter_delay (s, FROM, EASING, TO) == t) {
        ZcJitterPacket p = audio ((guint16) s, s * TICK_TS);

        zc_jitter_put (jb, &p);
      }
    if (t == FROM)
      zc_jitter_get_stats (jb, &before);
    zc_jitter_tick (jb);
    pop_all (jb, &last, NULL);
    if (t == EASING - 1)
      zc_jitter_get_stats (jb, &during);
    zc_jitter_get_stats (jb, &st);
    if (t >= TO && back_at == 0 && st.target_ms <= before.target_ms)
      back_at = t;
  }
  g_test_message ("recovers: depth %u ms before, %u ms during the jitter, back %u ms after it ended",
                  before.target_ms, during.target_ms, back_at ? (back_at - TO) * 20 : 0);
  g_assert_cmpuint (during.target_ms, >=, before.target_ms + 40);
  g_assert_cmpuint (back_at, >, 0);
  /* 2 s of window, a quarter's wait, 60 ms per tick given back. */
  g_assert_cmpuint ((back_at - TO) * 20, <=, 2800);
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
   * minutes away.  Once the new timeline passed probation (its third
   * packet, two ticks after the first) playout starts again at the
   * configured depth. */
  for (guint i = 0; i < 3; i++) {
    if (i > 0)
      zc_jitter_tick (jb);
    other.seq = (guint16) (200 + i);
    other.ts = 99999 + 60 * RATE + i * TICK_TS;
    g_assert_cmpint (zc_jitter_put (jb, &other), ==, i == 2);
    g_assert_null (zc_jitter_pop (jb));
  }
  for (guint i = 0; i < 3; i++)
    zc_jitter_tick (jb);
  p = zc_jitter_pop (jb);
  g_assert_nonnull (p);
  g_assert_cmpuint (p->seq, ==, 202);
}

/* What comes out of a steady stream of N ticks, one entry per tick: the
 * sequence number played, or -1; forged packets played count as -2.
 * @forge(t) may put forged packets at tick t, before the real one. */
#define STEADY_TICKS 200
#define FORGED_MARK 0xee
typedef void (*ForgeFunc) (ZcJitter *jb, guint tick, guint16 seq, guint32 ts);

static void
run_steady (ForgeFunc forge, gboolean forged_first, gint out[STEADY_TICKS])
{
  g_autoptr (ZcJitter) jb = zc_jitter_new (RATE, 20, 40, 20, 200);

  for (guint t = 0; t < STEADY_TICKS; t++) {
    guint16 seq = (guint16) (30000 + t);
    guint32 ts = 5000 + t * TICK_TS;
    ZcJitterPacket p = audio (seq, ts);
    const ZcJitterPacket *o;

    if (forge != NULL && forged_first)
      forge (jb, t, seq, ts);
    zc_jitter_put (jb, &p);
    if (forge != NULL && !forged_first)
      forge (jb, t, seq, ts);
    zc_jitter_tick (jb);
    out[t] = -1;
    while ((o = zc_jitter_pop (jb)) != NULL)
      out[t] = o->data[1] == FORGED_MARK ? -2 : o->seq;
  }
}

static void
forge_put (ZcJitter *jb, guint16 seq, guint32 ts, guint32 ssrc)
{
  ZcJitterPacket f = audio (seq, ts);

  f.ssrc = ssrc;
  f.data[1] = FORGED_MARK;
  zc_jitter_put (jb, &f);
}

/* Timestamp 10 s ahead, the next sequence number, the right SSRC. */
static void
forge_ts_jump (ZcJitter *jb, guint tick, guint16 seq, guint32 ts)
{
  if (tick == 100)
    forge_put (jb, (guint16) (seq + 1), ts + TICK_TS + 10 * RATE, 0x1234);
}

/* Under the restart threshold: 1.5 s ahead, which used to hold playout. */
static void
forge_ts_near (ZcJitter *jb, guint tick, guint16 seq, guint32 ts)
{
  if (tick == 100)
    forge_put (jb, (guint16) (seq + 1), ts + TICK_TS + 3 * RATE / 2, 0x1234);
}

/* A new SSRC with a plausible timeline. */
static void
forge_ssrc (ZcJitter *jb, guint tick, guint16 seq, guint32 ts)
{
  if (tick == 100)
    forge_put (jb, (guint16) (seq + 1), ts + TICK_TS, 0xbad);
}

/* A sequence number far ahead, timestamp in line. */
static void
forge_seq_jump (ZcJitter *jb, guint tick, guint16 seq, guint32 ts)
{
  if (tick == 100)
    forge_put (jb, (guint16) (seq + 20000), ts + TICK_TS, 0x1234);
}

/* A burst: ten packets of a consistent new stream within one tick, and
 * one more every tick after it while the real stream goes on. */
static void
forge_burst (ZcJitter *jb, guint tick, guint16 seq G_GNUC_UNUSED, guint32 ts G_GNUC_UNUSED)
{
  if (tick == 100)
    for (guint i = 0; i < 10; i++)
      forge_put (jb, (guint16) (7000 + i), 900000 + i * TICK_TS, 0xbad);
  else if (tick > 100 && tick < 150)
    forge_put (jb, (guint16) (7000 + tick), 900000 + tick * TICK_TS, 0xbad);
}

/* One forged packet (or a burst) in the middle of a steady stream changes
 * at most one frame of what plays, whether it comes before or after the
 * real packet of its tick. */
static void
test_jitter_forged (void)
{
  static const struct {
    const char *name;
    ForgeFunc forge;
  } cases[] = {
    { "timestamp +10 s", forge_ts_jump }, { "timestamp +1.5 s", forge_ts_near },
    { "new SSRC", forge_ssrc },           { "sequence +20000", forge_seq_jump },
    { "burst", forge_burst },
  };
  gint ref[STEADY_TICKS], out[STEADY_TICKS];

  run_steady (NULL, FALSE, ref);
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    for (guint first = 0; first < 2; first++) {
      guint diff = 0;

      run_steady (cases[c].forge, first, out);
      for (guint t = 0; t < STEADY_TICKS; t++)
        diff += out[t] != ref[t];
      g_test_message ("forged %s (%s the real packet): %u frames differ", cases[c].name, first ? "before" : "after",
                      diff);
      g_assert_cmpuint (diff, <=, 1);
    }
}

/* The peer really restarts (a new SSRC and timeline, for good): playout
 * follows within a few frames, then plays every packet again. */
static void
test_jitter_real_restart (void)
{
  g_autoptr (ZcJitter) jb = zc_jitter_new (RATE, 20, 40, 20, 200);
  ZcJitterStats st;
  gint first_new = -1;
  guint new_out = 0;

  for (guint t = 0; t < 200; t++) {
    ZcJitterPacket p = t < 100 ? audio ((guint16) (100 + t), 1000 + t * TICK_TS)
                               : audio ((guint16) (50000 + t), 777777 + t * TICK_TS);
    const ZcJitterPacket *o;

    if (t >= 100)
      p.ssrc = 0x5678;
    zc_jitter_put (jb, &p);
    zc_jitter_tick (jb);
    while ((o = zc_jitter_pop (jb)) != NULL)
      if (o->ssrc == 0x5678) {
        if (first_new < 0)
          first_new = (gint) t;
        new_out++;
      }
  }
  zc_jitter_get_stats (jb, &st);
  g_test_message ("restart at tick 100: new stream out at tick %d, %u packets, %" G_GUINT64_FORMAT " on probation",
                  first_new, new_out, st.probation);
  g_assert_cmpint (first_new, >=, 100);
  g_assert_cmpint (first_new, <=, 105);
  g_assert_cmpuint (new_out, >=, 100 - 5);
  g_assert_cmpuint (st.probation, ==, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/jitter/steady", test_jitter_steady);
  g_test_add_func ("/jitter/late", test_jitter_late);
  g_test_add_func ("/jitter/shrink", test_jitter_shrink);
  g_test_add_func ("/jitter/recovers", test_jitter_recovers);
  g_test_add_func ("/jitter/delay-step", test_jitter_delay_step);
  g_test_add_func ("/jitter/ptime-and-dtx", test_jitter_ptime_and_dtx);
  g_test_add_func ("/jitter/10ms", test_jitter_10ms);
  g_test_add_func ("/jitter/events-and-ssrc", test_jitter_events_and_ssrc);
  g_test_add_func ("/jitter/forged", test_jitter_forged);
  g_test_add_func ("/jitter/real-restart", test_jitter_real_restart);
  return g_test_run ();
}
