/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Call-progress tones: frequency and cadence of what zc_tone_render()
 * writes (the player thread only copies it to ALSA). */
#include "config.h"

#include "audio/tone.h"

#include <math.h>

#define RATE 48000

/* Frequency from zero crossings over @n samples starting at @from. */
static double
measured_hz (const gint16 *pcm, gsize from, gsize n)
{
  guint crossings = 0;

  for (gsize i = from + 1; i < from + n; i++)
    crossings += (pcm[i - 1] < 0) != (pcm[i] < 0);
  return crossings / 2.0 / ((double) n / RATE);
}

static double
rms (const gint16 *pcm, gsize from, gsize n)
{
  double sum = 0;

  for (gsize i = from; i < from + n; i++)
    sum += (double) pcm[i] * pcm[i];
  return sqrt (sum / n) / 32768.0;
}

static void
test_ringback (void)
{
  gsize n = 6 * RATE;
  g_autofree gint16 *pcm = g_new (gint16, n);

  zc_tone_render (ZC_TONE_RINGBACK, RATE, 0, pcm, n);
  /* 425 Hz for 1 s, silence for 4 s, then again. */
  g_assert_cmpfloat (fabs (measured_hz (pcm, 0, RATE) - 425), <, 425 * 0.01);
  g_assert_cmpfloat (rms (pcm, 0, RATE), >, 0.15);
  g_assert_cmpfloat (rms (pcm, RATE + 100, 3 * RATE), ==, 0);
  g_assert_cmpfloat (rms (pcm, 5 * RATE, RATE / 2), >, 0.15);
  /* Rendering in pieces gives the same samples as in one go. */
  {
    gint16 piece[960];

    zc_tone_render (ZC_TONE_RINGBACK, RATE, 12345, piece, G_N_ELEMENTS (piece));
    g_assert_cmpmem (piece, sizeof piece, pcm + 12345, sizeof piece);
  }
}

static void
test_ring (void)
{
  gsize n = 3 * RATE;
  g_autofree gint16 *pcm = g_new (gint16, n);
  gsize slice = RATE / 20; /* 50 ms per frequency */

  zc_tone_render (ZC_TONE_RING, RATE, 0, pcm, n);
  g_assert_cmpfloat (fabs (measured_hz (pcm, 0, slice) - 1000), <, 1000 * 0.03);
  g_assert_cmpfloat (fabs (measured_hz (pcm, slice, slice) - 1300), <, 1300 * 0.03);
  g_assert_cmpfloat (rms (pcm, RATE + 10, RATE), ==, 0);
}

/* The auto-answer alert: 1.4 kHz beeps of 150 ms every 300 ms; the call
 * stops it after 600 ms (ZC_CALL_ALERT_MS), two beeps. */
static void
test_alert (void)
{
  gsize n = RATE * 6 / 10;
  g_autofree gint16 *pcm = g_new (gint16, n);
  gsize beep = RATE * 15 / 100;

  zc_tone_render (ZC_TONE_ALERT, RATE, 0, pcm, n);
  g_assert_cmpfloat (fabs (measured_hz (pcm, 0, beep) - 1400), <, 1400 * 0.01);
  g_assert_cmpfloat (rms (pcm, 0, beep), >, 0.15);
  g_assert_cmpfloat (rms (pcm, beep + 10, beep - 20), ==, 0);
  g_assert_cmpfloat (rms (pcm, 2 * beep, beep), >, 0.15);
}

/* Call waiting: 440 Hz for 300 ms every 10 s, at a tenth of full scale
 * (RMS 0.071): under the voice of the call it is mixed into. */
static void
test_waiting (void)
{
  gsize n = RATE * 11;
  g_autofree gint16 *pcm = g_new (gint16, n);
  gsize burst = RATE * 3 / 10;

  zc_tone_render (ZC_TONE_WAITING, RATE, 0, pcm, n);
  g_assert_cmpfloat (fabs (measured_hz (pcm, 0, burst) - 440), <, 440 * 0.01);
  g_assert_cmpfloat (rms (pcm, 0, burst), >, 0.06);
  g_assert_cmpfloat (rms (pcm, 0, burst), <, 0.08);
  g_assert_cmpfloat (rms (pcm, burst + 10, RATE * 10 - burst - 20), ==, 0);
  g_assert_cmpfloat (rms (pcm, RATE * 10, burst), >, 0.06);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tone/ringback", test_ringback);
  g_test_add_func ("/tone/ring", test_ring);
  g_test_add_func ("/tone/alert", test_alert);
  g_test_add_func ("/tone/waiting", test_waiting);
  return g_test_run ();
}
