/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "audio/pcm-gap.h"
#include "audio/ring.h"

#include <math.h>

static void
test_init_sizes (void)
{
  gint16 storage[8];
  ZcRing ring;
  g_autoptr (ZcRing) rounded = zc_ring_new (100);

  g_assert_true (zc_ring_init (&ring, storage, 8));
  g_assert_cmpuint (zc_ring_get_size (&ring), ==, 8);
  g_assert_false (zc_ring_init (&ring, storage, 6)); /* not a power of two */
  g_assert_false (zc_ring_init (&ring, storage, 0));
  g_assert_false (zc_ring_init (&ring, NULL, 8));
  g_assert_null (zc_ring_new (0));
  g_assert_null (zc_ring_new (ZC_RING_MAX_SIZE + 1));

  g_assert_nonnull (rounded);
  g_assert_cmpuint (zc_ring_get_size (rounded), ==, 128);
  g_assert_cmpuint (zc_ring_get_fill (rounded), ==, 0);
  g_assert_cmpuint (zc_ring_get_space (rounded), ==, 128);
}

static void
test_empty_and_full (void)
{
  g_autoptr (ZcRing) ring = zc_ring_new (8);
  gint16 in[12], out[12];

  for (guint i = 0; i < G_N_ELEMENTS (in); i++)
    in[i] = (gint16) (100 + i);

  /* Empty: nothing to read or skip. */
  g_assert_cmpuint (zc_ring_read (ring, out, 4), ==, 0);
  g_assert_cmpuint (zc_ring_skip (ring, 4), ==, 0);

  /* Full: a write larger than the ring stores what fits and says so. */
  g_assert_cmpuint (zc_ring_write (ring, in, 12), ==, 8);
  g_assert_cmpuint (zc_ring_get_fill (ring), ==, 8);
  g_assert_cmpuint (zc_ring_get_space (ring), ==, 0);
  g_assert_cmpuint (zc_ring_write (ring, in, 1), ==, 0);

  /* A short read returns what is there, in order. */
  memset (out, 0, sizeof (out));
  g_assert_cmpuint (zc_ring_read (ring, out, 12), ==, 8);
  g_assert_cmpmem (out, 8 * sizeof (gint16), in, 8 * sizeof (gint16));
  g_assert_cmpuint (zc_ring_get_fill (ring), ==, 0);
  g_assert_cmpuint (zc_ring_get_space (ring), ==, 8);
  g_assert_cmpuint (zc_ring_write (ring, in, 0), ==, 0);
  g_assert_cmpuint (zc_ring_read (ring, out, 0), ==, 0);
}

static void
test_wrap_around (void)
{
  g_autoptr (ZcRing) ring = zc_ring_new (8);
  gint16 seq = 0, expect = 0;

  /* Writes and reads of sizes prime to 8 put every split point of the two
   * memcpy parts through its paces. */
  for (guint round = 0; round < 200; round++) {
    gint16 in[7], out[7];
    guint32 n_in = 1 + round % 7, n_out = 1 + (round * 3) % 5, got;

    n_in = MIN (n_in, zc_ring_get_space (ring));
    for (guint i = 0; i < n_in; i++)
      in[i] = seq++;
    g_assert_cmpuint (zc_ring_write (ring, in, n_in), ==, n_in);

    got = zc_ring_read (ring, out, n_out);
    g_assert_cmpuint (got, <=, n_out);
    for (guint i = 0; i < got; i++)
      g_assert_cmpint (out[i], ==, expect++);
  }
}

/* The 32-bit indices wrap at 2^32 in a long call (about a day at 48 kHz);
 * fill and space must not notice. */
static void
test_index_overflow (void)
{
  g_autoptr (ZcRing) ring = zc_ring_new (16);
  gint16 in[10] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, out[10];

  atomic_store (&ring->write_index, G_MAXUINT32 - 4);
  atomic_store (&ring->read_index, G_MAXUINT32 - 4);
  g_assert_cmpuint (zc_ring_write (ring, in, 10), ==, 10);
  g_assert_cmpuint (atomic_load (&ring->write_index), ==, 5); /* wrapped */
  g_assert_cmpuint (zc_ring_get_fill (ring), ==, 10);
  g_assert_cmpuint (zc_ring_get_space (ring), ==, 6);
  g_assert_cmpuint (zc_ring_skip (ring, 2), ==, 2);
  g_assert_cmpuint (zc_ring_read (ring, out, 10), ==, 8);
  g_assert_cmpmem (out, 8 * sizeof (gint16), in + 2, 8 * sizeof (gint16));
  g_assert_cmpuint (zc_ring_get_fill (ring), ==, 0);
}

/* Two threads: the producer writes a counting sequence in random-sized
 * chunks, the consumer reads in other random-sized chunks and checks that
 * every sample arrives once and in order.  The ring is small so that both
 * the full and the empty case are hit all the time. */

#define STRESS_SAMPLES (2 * 1000 * 1000)
#define STRESS_RING_SIZE 1024
#define STRESS_MAX_CHUNK 700
#define STRESS_TIME_LIMIT_US (2 * G_USEC_PER_SEC)

typedef struct {
  ZcRing *ring;
  gint64 deadline_us;
  _Atomic gboolean stop; /* set by the consumer on error or completion */
  guint64 produced;
  guint64 consumed;
  guint64 errors;
  guint64 full_hits;
  guint64 empty_hits;
} Stress;

static gpointer
producer_thread (gpointer user_data)
{
  Stress *s = user_data;
  g_autoptr (GRand) rand = g_rand_new_with_seed (0x5eed1);
  gint16 chunk[STRESS_MAX_CHUNK];
  guint32 counter = 0;

  while (!atomic_load (&s->stop) && counter < STRESS_SAMPLES) {
    guint32 n = (guint32) g_rand_int_range (rand, 1, STRESS_MAX_CHUNK + 1);
    guint32 done = 0;

    n = MIN (n, STRESS_SAMPLES - counter);
    for (guint32 i = 0; i < n; i++)
      chunk[i] = (gint16) (counter + i); /* wraps every 65536: still checkable */
    while (done < n && !atomic_load (&s->stop)) {
      guint32 wrote = zc_ring_write (s->ring, chunk + done, n - done);

      if (wrote == 0) {
        s->full_hits++;
        g_thread_yield ();
      }
      done += wrote;
    }
    counter += done;
  }
  s->produced = counter;
  return NULL;
}

static gpointer
consumer_thread (gpointer user_data)
{
  Stress *s = user_data;
  g_autoptr (GRand) rand = g_rand_new_with_seed (0x5eed2);
  gint16 chunk[STRESS_MAX_CHUNK];
  guint32 expect = 0;

  while (expect < STRESS_SAMPLES) {
    guint32 n = (guint32) g_rand_int_range (rand, 1, STRESS_MAX_CHUNK + 1);
    guint32 got = zc_ring_read (s->ring, chunk, n);

    if (got == 0) {
      s->empty_hits++;
      if (g_get_monotonic_time () > s->deadline_us)
        break; /* slow machine or valgrind: stop, check what we have */
      g_thread_yield ();
      continue;
    }
    for (guint32 i = 0; i < got; i++) {
      if (chunk[i] != (gint16) (expect + i))
        s->errors++;
    }
    expect += got;
    if (s->errors > 0)
      break;
  }
  s->consumed = expect;
  atomic_store (&s->stop, TRUE);
  return NULL;
}

static void
test_two_thread_stress (void)
{
  g_autoptr (ZcRing) ring = zc_ring_new (STRESS_RING_SIZE);
  Stress s = { .ring = ring, .deadline_us = g_get_monotonic_time () + STRESS_TIME_LIMIT_US };
  GThread *producer, *consumer;
  gint64 start_us = g_get_monotonic_time ();

  atomic_init (&s.stop, FALSE);
  consumer = g_thread_new ("ring-consumer", consumer_thread, &s);
  producer = g_thread_new ("ring-producer", producer_thread, &s);
  g_thread_join (producer);
  g_thread_join (consumer);

  g_test_message ("moved %" G_GUINT64_FORMAT " of %u samples in %.3f s; ring full %" G_GUINT64_FORMAT
                  " times, empty %" G_GUINT64_FORMAT " times",
                  s.consumed, STRESS_SAMPLES, (g_get_monotonic_time () - start_us) / 1e6, s.full_hits,
                  s.empty_hits);
  g_assert_cmpuint (s.errors, ==, 0);
  /* Everything consumed was produced, and whatever the consumer did not
   * get before the deadline is still in the ring: nothing lost. */
  g_assert_cmpuint (s.consumed + zc_ring_get_fill (ring), ==, s.produced);
  /* Under valgrind the deadline may cut the run short; it must still have
   * moved enough to wrap the ring many times. */
  g_assert_cmpuint (s.consumed, >=, 100 * STRESS_RING_SIZE);
}

/* The largest step between neighbouring samples, @prev before @buf. */
static gint32
largest_step (gint16 prev, const gint16 *buf, guint n)
{
  gint32 worst = 0;

  for (guint i = 0; i < n; prev = buf[i], i++)
    worst = MAX (worst, ABS ((gint32) buf[i] - prev));
  return worst;
}

/* A 1 kHz tone at 48 kHz cut by 215 samples (from +0.92 to -0.92): the blended cut
 * steps no more than the tone itself does, a plain one (fade 0) steps
 * much more, and either way exactly @skip samples go and what follows the
 * blend is the ring's own. */
static void
test_splice (void)
{
  enum { RATE = 48000, N = 480, SKIP = 215 };
  g_autoptr (ZcRing) ring = zc_ring_new (4096);
  gint16 tone[2048], head[10], out[N];
  gint32 tone_step = 0;

  for (guint i = 0; i < G_N_ELEMENTS (tone); i++)
    tone[i] = (gint16) (16000 * sin (2 * G_PI * 1000 * i / RATE));
  tone_step = largest_step (tone[0], tone, G_N_ELEMENTS (tone));

  for (guint fade = 0; fade <= zc_ring_splice_samples (RATE); fade += zc_ring_splice_samples (RATE)) {
    gint32 step;

    zc_ring_skip (ring, zc_ring_get_fill (ring));
    g_assert_cmpuint (zc_ring_write (ring, tone, G_N_ELEMENTS (tone)), ==, G_N_ELEMENTS (tone));
    g_assert_cmpuint (zc_ring_read (ring, head, G_N_ELEMENTS (head)), ==, G_N_ELEMENTS (head));
    g_assert_cmpuint (zc_ring_read_spliced (ring, out, N, SKIP, fade), ==, N);
    g_assert_cmpuint (zc_ring_get_fill (ring), ==, G_N_ELEMENTS (tone) - G_N_ELEMENTS (head) - SKIP - N);
    g_assert_cmpmem (out + MIN (fade, SKIP), (N - MIN (fade, SKIP)) * sizeof (gint16),
                     tone + G_N_ELEMENTS (head) + SKIP + MIN (fade, SKIP), (N - MIN (fade, SKIP)) * sizeof (gint16));
    step = largest_step (head[G_N_ELEMENTS (head) - 1], out, N);
    g_test_message ("fade %u: largest step %d (the tone's own %d)", fade, step, tone_step);
    if (fade == 0)
      g_assert_cmpint (step, >, 4 * tone_step);
    else
      g_assert_cmpint (step, <=, tone_step + tone_step / 4);
  }
}

/* The blend never reaches further than the cut, the read or what the
 * ring holds. */
static void
test_splice_bounds (void)
{
  g_autoptr (ZcRing) ring = zc_ring_new (64);
  gint16 in[40], out[40];

  for (guint i = 0; i < G_N_ELEMENTS (in); i++)
    in[i] = (gint16) (1000 * (i + 1));

  /* A cut shorter than the fade blends over the cut's length only. */
  zc_ring_write (ring, in, 40);
  g_assert_cmpuint (zc_ring_read_spliced (ring, out, 10, 4, 120), ==, 10);
  g_assert_cmpint (out[4], ==, in[8]);
  g_assert_cmpint (out[0], >, in[0]);
  g_assert_cmpint (out[0], <, in[4]);
  g_assert_cmpuint (zc_ring_get_fill (ring), ==, 26);

  /* No cut: a plain read. */
  g_assert_cmpuint (zc_ring_read_spliced (ring, out, 6, 0, 120), ==, 6);
  g_assert_cmpmem (out, 6 * sizeof (gint16), in + 14, 6 * sizeof (gint16));

  /* A cut and a read beyond what is there: all of it goes, what was
   * there after the cut is returned. */
  g_assert_cmpuint (zc_ring_read_spliced (ring, out, 30, 10, 120), ==, 10);
  g_assert_cmpuint (zc_ring_get_fill (ring), ==, 0);
  g_assert_cmpuint (zc_ring_read_spliced (ring, out, 30, 10, 120), ==, 0);
}

/* A stream that runs dry mid-read, stays dry, then comes back: what there
 * was is kept, the step to silence becomes a decay of the last sample, the
 * silence is silence, and the samples that come back fade in; a read in
 * full after that is untouched. */
static void
test_gap_cover (void)
{
  enum { N = 48, FADE = 8, LEVEL = 16000 };
  ZcPcmGap gap = { 0 };
  gint16 buf[N];

  /* In full: nothing changes. */
  for (guint i = 0; i < N; i++)
    buf[i] = LEVEL;
  zc_pcm_gap_cover (&gap, buf, N, N, FADE);
  for (guint i = 0; i < N; i++)
    g_assert_cmpint (buf[i], ==, LEVEL);

  /* Dry after 10: those 10 kept, then a strictly falling ramp below the
   * last sample, then zeros. */
  memset (buf, 0x55, sizeof buf);
  for (guint i = 0; i < 10; i++)
    buf[i] = LEVEL;
  zc_pcm_gap_cover (&gap, buf, 10, N, FADE);
  for (guint i = 0; i < 10; i++)
    g_assert_cmpint (buf[i], ==, LEVEL);
  g_assert_cmpint (buf[10], <, LEVEL);
  g_assert_cmpint (buf[10], >, LEVEL / 2);
  for (guint i = 11; i < 10 + FADE; i++)
    g_assert_cmpint (buf[i], <, buf[i - 1]);
  for (guint i = 10 + FADE; i < N; i++)
    g_assert_cmpint (buf[i], ==, 0);

  /* Dry again with nothing at all: silence, no second ramp. */
  memset (buf, 0x55, sizeof buf);
  zc_pcm_gap_cover (&gap, buf, 0, N, FADE);
  for (guint i = 0; i < N; i++)
    g_assert_cmpint (buf[i], ==, 0);

  /* Back: the first FADE samples rise from near silence, the rest are as read. */
  for (guint i = 0; i < N; i++)
    buf[i] = LEVEL;
  zc_pcm_gap_cover (&gap, buf, N, N, FADE);
  g_assert_cmpint (buf[0], <, LEVEL / FADE + 1);
  for (guint i = 1; i < FADE; i++)
    g_assert_cmpint (buf[i], >, buf[i - 1]);
  for (guint i = FADE; i < N; i++)
    g_assert_cmpint (buf[i], ==, LEVEL);

  /* Dry at the very start of a read after a full one: the decay starts
   * from the last sample of that read. */
  memset (buf, 0x55, sizeof buf);
  zc_pcm_gap_cover (&gap, buf, 0, N, FADE);
  g_assert_cmpint (buf[0], >, LEVEL / 2);
  g_assert_cmpint (buf[FADE], ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ring/init-sizes", test_init_sizes);
  g_test_add_func ("/ring/empty-and-full", test_empty_and_full);
  g_test_add_func ("/ring/wrap-around", test_wrap_around);
  g_test_add_func ("/ring/index-overflow", test_index_overflow);
  g_test_add_func ("/ring/two-thread-stress", test_two_thread_stress);
  g_test_add_func ("/ring/splice", test_splice);
  g_test_add_func ("/ring/splice-bounds", test_splice_bounds);
  g_test_add_func ("/pcm/gap-cover", test_gap_cover);
  return g_test_run ();
}
