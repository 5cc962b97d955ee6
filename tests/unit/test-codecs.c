/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "media/codec.h"

#include <errno.h>
#include <math.h>
#include <string.h>

/* ---- Signal helpers ------------------------------------------------------ */

/* Amplitude of the component at @freq Hz (Goertzel over a Hann window, so a
 * frequency between DFT bins neither leaks far nor loses level).  A sine of
 * amplitude A at exactly @freq reads A. */
static double
goertzel_amplitude (const gint16 *x, gsize n, double freq, double rate)
{
  double coeff = 2.0 * cos (2.0 * G_PI * freq / rate);
  double s1 = 0.0, s2 = 0.0, wsum = 0.0;

  for (gsize i = 0; i < n; i++) {
    double w = 0.5 - 0.5 * cos (2.0 * G_PI * (double) i / (double) (n - 1));
    double s0 = w * x[i] + coeff * s1 - s2;

    s2 = s1;
    s1 = s0;
    wsum += w;
  }
  return 2.0 * sqrt (MAX (0.0, s1 * s1 + s2 * s2 - coeff * s1 * s2)) / wsum;
}

/* The frequency with the largest Goertzel amplitude between @lo and @hi. */
static double
peak_frequency (const gint16 *x, gsize n, double lo, double hi, double step, double rate)
{
  double best_f = lo, best_a = -1.0;

  for (double f = lo; f <= hi; f += step) {
    double a = goertzel_amplitude (x, n, f, rate);

    if (a > best_a) {
      best_a = a;
      best_f = f;
    }
  }
  return best_f;
}

static double
rms (const gint16 *x, gsize n)
{
  double sum = 0.0;

  for (gsize i = 0; i < n; i++)
    sum += (double) x[i] * x[i];
  return n == 0 ? 0.0 : sqrt (sum / (double) n);
}

static int
peak_abs (const gint16 *x, gsize n)
{
  int peak = 0;

  for (gsize i = 0; i < n; i++)
    peak = MAX (peak, ABS ((int) x[i]));
  return peak;
}

static double
error_energy (const gint16 *a, const gint16 *b, gsize n)
{
  double sum = 0.0;

  for (gsize i = 0; i < n; i++)
    sum += ((double) a[i] - b[i]) * ((double) a[i] - b[i]);
  return sum;
}

static double
db (double ratio)
{
  return 20.0 * log10 (ratio);
}

static void
make_sine (gint16 *x, gsize n, double freq, double rate, double amplitude)
{
  for (gsize i = 0; i < n; i++)
    x[i] = (gint16) lrint (amplitude * sin (2.0 * G_PI * freq * (double) i / rate));
}

/* Speech-like test signal: a harmonic series whose pitch glides between
 * 110 and 230 Hz, with a 4 Hz syllable envelope.  Unlike a steady sine, it
 * cannot be predicted across a lost frame, which is what PLC vs FEC needs. */
static void
make_voice (gint16 *x, gsize n, double rate)
{
  double phase = 0.0;

  for (gsize i = 0; i < n; i++) {
    double t = (double) i / rate;
    double f0 = 170.0 + 60.0 * sin (2.0 * G_PI * 1.3 * t);
    double env = 0.55 + 0.45 * sin (2.0 * G_PI * 4.0 * t);
    double v = 0.0;

    phase += 2.0 * G_PI * f0 / rate;
    for (int h = 1; h <= 12; h++)
      v += sin (h * phase) / h;
    x[i] = (gint16) lrint (6000.0 * env * v);
  }
}

/* ---- G.711 ---------------------------------------------------------------- */

/* Reference vectors: outputs of Sun Microsystems' g711.c (the 1994 version
 * with Borge Lindberg's corrections, the one SoX, Asterisk's tables and
 * many phones derive from) for the given inputs.  They match ITU-T G.711
 * Table 2 (µ-law) and Table 1 (A-law): e.g. µ-law 0x00/0x80 decode to
 * -/+32124, A-law 0xAA/0x2A to +/-32256, A-law has no zero (0xD5 = +8). */
typedef struct {
  gint16 linear;
  guint8 ulaw;
  gint16 ulaw_decoded;
  guint8 alaw;
  gint16 alaw_decoded;
} G711Vector;

static const G711Vector g711_vectors[] = {
  { 0, 0xFF, 0, 0xD5, 8 },
  { 1, 0xFF, 0, 0xD5, 8 },
  { -1, 0x7E, -8, 0x55, -8 }, /* 14-bit arithmetic shift: -1 is not zero */
  { 4, 0xFE, 8, 0xD5, 8 },
  { -4, 0x7E, -8, 0x55, -8 },
  { 9, 0xFE, 8, 0xD5, 8 },
  { -9, 0x7D, -16, 0x55, -8 },
  { 16, 0xFD, 16, 0xD4, 24 },
  { 32, 0xFB, 32, 0xD7, 40 },
  { -32, 0x7B, -32, 0x54, -24 },
  { 63, 0xF7, 64, 0xD6, 56 },
  { 64, 0xF7, 64, 0xD1, 72 },
  { 100, 0xF2, 104, 0xD3, 104 },
  { -100, 0x72, -104, 0x53, -104 },
  { 256, 0xE7, 260, 0xC5, 264 },
  { 1000, 0xCE, 988, 0xFA, 1008 },
  { -1000, 0x4E, -988, 0x7A, -1008 },
  { 4096, 0xAF, 4092, 0x85, 4224 },
  { -4096, 0x2F, -4092, 0x1A, -4032 },
  { 8159, 0x9F, 8316, 0x8A, 8064 },
  { 16384, 0x8F, 16764, 0xA5, 16896 },
  { -16384, 0x0F, -16764, 0x3A, -16128 },
  { 32124, 0x80, 32124, 0xAA, 32256 },
  { 32767, 0x80, 32124, 0xAA, 32256 },
  { -32767, 0x00, -32124, 0x2A, -32256 },
  { -32768, 0x00, -32124, 0x2A, -32256 },
};

static void
test_g711_vectors (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (g711_vectors); i++) {
    const G711Vector *v = &g711_vectors[i];

    g_test_message ("linear %d", v->linear);
    g_assert_cmphex (zc_g711_linear_to_ulaw (v->linear), ==, v->ulaw);
    g_assert_cmpint (zc_g711_ulaw_to_linear (v->ulaw), ==, v->ulaw_decoded);
    g_assert_cmphex (zc_g711_linear_to_alaw (v->linear), ==, v->alaw);
    g_assert_cmpint (zc_g711_alaw_to_linear (v->alaw), ==, v->alaw_decoded);
  }
}

/* FNV-1a, 32 bits. */
static guint32
fnv1a (guint32 hash, guint8 byte)
{
  return (hash ^ byte) * 16777619u;
}

/* The whole conversion tables against hashes of the reference's tables
 * (same g711.c as above): encoders over every input from -32768 up,
 * decoders over every code, each value as two little-endian bytes. */
static void
test_g711_full_tables (void)
{
  guint32 enc_u = 2166136261u, enc_a = 2166136261u, dec_u = 2166136261u, dec_a = 2166136261u;

  for (int x = -32768; x <= 32767; x++) {
    enc_u = fnv1a (enc_u, zc_g711_linear_to_ulaw ((gint16) x));
    enc_a = fnv1a (enc_a, zc_g711_linear_to_alaw ((gint16) x));
  }
  for (int c = 0; c < 256; c++) {
    guint16 u = (guint16) zc_g711_ulaw_to_linear ((guint8) c);
    guint16 a = (guint16) zc_g711_alaw_to_linear ((guint8) c);

    dec_u = fnv1a (fnv1a (dec_u, u & 0xFF), u >> 8);
    dec_a = fnv1a (fnv1a (dec_a, a & 0xFF), a >> 8);
  }
  g_assert_cmphex (enc_u, ==, 0xF2471A71);
  g_assert_cmphex (enc_a, ==, 0x826FE2C5);
  g_assert_cmphex (dec_u, ==, 0x715D95A8);
  g_assert_cmphex (dec_a, ==, 0x12FB6645);
}

/* Position of a code on the amplitude axis, 0 (most negative) to 255.
 * µ-law: sign bit set = positive, the rest inverted.  A-law: even bits
 * inverted (XOR 0x55), then sign-magnitude with sign bit set = positive. */
static int
ulaw_rank (guint8 c)
{
  return (c & 0x80) != 0 ? 128 + (0x7F - (c & 0x7F)) : c;
}

static int
alaw_rank (guint8 c)
{
  int m = (c ^ 0x55) & 0x7F;

  return (c & 0x80) != 0 ? 128 + m : 127 - m;
}

static void
test_g711_round_trip (void)
{
  gint16 by_rank_u[256], by_rank_a[256];
  int last_u = -1, last_a = -1;

  for (int c = 0; c < 256; c++) {
    guint8 code = (guint8) c;

    /* Every code survives decode + encode, except µ-law's negative zero
     * (0x7F), which re-encodes as positive zero (0xFF). */
    if (code == 0x7F)
      g_assert_cmphex (zc_g711_linear_to_ulaw (zc_g711_ulaw_to_linear (code)), ==, 0xFF);
    else
      g_assert_cmphex (zc_g711_linear_to_ulaw (zc_g711_ulaw_to_linear (code)), ==, code);
    g_assert_cmphex (zc_g711_linear_to_alaw (zc_g711_alaw_to_linear (code)), ==, code);

    by_rank_u[ulaw_rank (code)] = zc_g711_ulaw_to_linear (code);
    by_rank_a[alaw_rank (code)] = zc_g711_alaw_to_linear (code);
  }

  /* Decoding is monotonic along the amplitude axis: strictly for A-law,
   * and for µ-law with the one tie at its two zeros. */
  for (int r = 1; r < 256; r++) {
    if (r == 128)
      g_assert_cmpint (by_rank_u[r], ==, by_rank_u[r - 1]); /* 0x7F and 0xFF */
    else
      g_assert_cmpint (by_rank_u[r], >, by_rank_u[r - 1]);
    g_assert_cmpint (by_rank_a[r], >, by_rank_a[r - 1]);
  }

  /* Encoding is monotonic too, and every input lands within one step of
   * its reconstruction (the step is at most 1/16 of the segment start, so
   * the error is at most 1/32 of the value plus the smallest step). */
  for (int x = -32768; x <= 32767; x++) {
    guint8 u = zc_g711_linear_to_ulaw ((gint16) x);
    guint8 a = zc_g711_linear_to_alaw ((gint16) x);
    int err_u = ABS (x - zc_g711_ulaw_to_linear (u));
    int err_a = ABS (x - zc_g711_alaw_to_linear (a));

    g_assert_cmpint (ulaw_rank (u), >=, last_u);
    g_assert_cmpint (alaw_rank (a), >=, last_a);
    last_u = ulaw_rank (u);
    last_a = alaw_rank (a);
    if (ABS (x) <= 32124) /* beyond that, clipping */
      g_assert_cmpint (err_u, <=, ABS (x) / 32 + 8);
    if (ABS (x) <= 32256)
      g_assert_cmpint (err_a, <=, ABS (x) / 32 + 16);
  }
}

/* A sine through each law at 8 kHz: the level at the tone must be right,
 * the level at a frequency where nothing should be must be low, and the
 * quantisation noise must be G.711's (~38 dB below a loud sine).
 * Two tones, because 1 kHz has an 8-sample period at 8 kHz: its
 * quantisation error repeats with the tone and sits only on harmonics, so
 * a probe at a non-harmonic frequency reads (almost) exact silence whatever
 * the codec does.  The second tone is not a divisor of the sample rate, so
 * its noise spreads over the band and the SNR check means something. */
static void
test_g711_sine (void)
{
  static const char *const names[] = { "PCMU", "PCMA" };
  static const double tones[] = { 1000.0, 1237.0 };
  enum { N = 8000 }; /* 1 s */
  static gint16 in[N], out[N];
  guint8 payload[160];

  for (gsize c = 0; c < G_N_ELEMENTS (names); c++) {
    for (gsize t = 0; t < G_N_ELEMENTS (tones); t++) {
      g_autoptr (GError) error = NULL;
      g_autoptr (ZcCodecInstance) codec = zc_codec_instance_new (names[c], 8000, 1, NULL, &error);
      double f = tones[t], amplitude = 10000.0;
      double level, probe, peak, noise, snr_db;

      g_assert_no_error (error);
      g_assert_cmpuint (zc_codec_get_pcm_rate (codec), ==, 8000);
      make_sine (in, N, f, 8000.0, amplitude);
      for (gsize i = 0; i < N; i += 160) {
        g_assert_cmpint (zc_codec_encode (codec, in + i, 160, payload, sizeof payload), ==, 160);
        g_assert_cmpint (zc_codec_decode (codec, payload, 160, out + i, 160), ==, 160);
      }

      level = goertzel_amplitude (out, N, f, 8000.0);
      probe = goertzel_amplitude (out, N, f * 1.37, 8000.0); /* between harmonics */
      peak = peak_frequency (out, N, f * 0.5, f * 1.5, 1.0, 8000.0);
      noise = sqrt (error_energy (in, out, N) / N);
      snr_db = db ((amplitude / G_SQRT2) / noise);
      g_test_message ("%s %.0f Hz: level %.1f dB, probe %.1f dB, peak %.0f Hz, SNR %.1f dB", names[c], f,
                      db (level / amplitude), db (probe / amplitude), peak, snr_db);

      g_assert_cmpfloat (fabs (peak - f), <=, 0.02 * f);
      g_assert_cmpfloat (fabs (db (level / amplitude)), <=, 0.2);
      g_assert_cmpfloat (db (probe / amplitude), <, -50.0);
      /* G.711 gives ~38 dB for a sine at this level.  The upper bound
       * (the codec really quantised) only holds for the non-harmonic tone:
       * the 1 kHz tone hits just 8 sample values, whose errors happen to be
       * small for A-law (~50 dB). */
      g_assert_cmpfloat (snr_db, >, 33.0);
      if (t == 1)
        g_assert_cmpfloat (snr_db, <, 43.0);
    }
  }
}

static void
test_g711_conceal (void)
{
  g_autoptr (ZcCodecInstance) codec = zc_codec_instance_new ("pcmu", 0, 0, NULL, NULL);
  gint16 in[160], out[160], lost[4][160];
  guint8 payload[160];
  double in_rms;

  /* Nothing decoded yet: silence. */
  g_assert_cmpint (zc_codec_conceal (codec, out, 160), ==, 160);
  g_assert_cmpint (peak_abs (out, 160), ==, 0);
  /* G.711 has no FEC. */
  g_assert_false (zc_codec_has_fec (codec));
  g_assert_cmpint (zc_codec_decode_fec (codec, payload, 1, out, 160), ==, -ENOTSUP);

  make_sine (in, 160, 440.0, 8000.0, 12000.0);
  in_rms = rms (in, 160);
  g_assert_cmpint (zc_codec_encode (codec, in, 160, payload, sizeof payload), ==, 160);
  g_assert_cmpint (zc_codec_decode (codec, payload, 160, out, 160), ==, 160);
  for (int k = 0; k < 4; k++)
    g_assert_cmpint (zc_codec_conceal (codec, lost[k], 160), ==, 160);

  g_test_message ("concealed RMS: %.0f %.0f %.0f %.0f (input %.0f)", rms (lost[0], 160), rms (lost[1], 160),
                  rms (lost[2], 160), rms (lost[3], 160), in_rms);
  /* First lost frame: the signal goes on, a little quieter, never louder. */
  g_assert_cmpfloat (rms (lost[0], 160), >, 0.6 * in_rms);
  for (int k = 0; k < 4; k++)
    g_assert_cmpint (peak_abs (lost[k], 160), <=, peak_abs (out, 160));
  /* Fading: each frame quieter than the one before, silence after three. */
  g_assert_cmpfloat (rms (lost[1], 160), <, rms (lost[0], 160));
  g_assert_cmpfloat (rms (lost[2], 160), <, rms (lost[1], 160));
  g_assert_cmpfloat (rms (lost[2], 160), >, 0.0);
  g_assert_cmpint (peak_abs (lost[3], 160), ==, 0);

  /* A good packet resets the fade. */
  g_assert_cmpint (zc_codec_decode (codec, payload, 160, out, 160), ==, 160);
  g_assert_cmpint (zc_codec_conceal (codec, lost[0], 160), ==, 160);
  g_assert_cmpfloat (rms (lost[0], 160), >, 0.6 * in_rms);
}

/* ---- G.722 ------------------------------------------------------------------ */

#define G722_FRAME 320 /* 20 ms at 16 kHz */

static ZcCodecInstance *
new_g722 (void)
{
  g_autoptr (GError) error = NULL;
  ZcCodecInstance *codec = zc_codec_instance_new ("G722", 8000, 1, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (codec);
  return codec;
}

/* The samples by which the decoded signal lags the input (the two QMF
 * filter banks): the lag in 0..63 with the smallest error. */
static guint
best_lag (const gint16 *in, const gint16 *out, gsize n)
{
  guint best = 0;
  double best_e = G_MAXDOUBLE;

  for (guint lag = 0; lag < 64; lag++) {
    double e = error_energy (in, out + lag, n - 64);

    if (e < best_e) {
      best_e = e;
      best = lag;
    }
  }
  return best;
}

/* RFC 3551 4.5.2: G.722 samples at 16 kHz but its RTP clock runs at 8 kHz,
 * so a 20 ms frame is 320 samples in, 160 bytes out, and 160 RTP
 * timestamp units.  Tones round-trip at their level with a G.722 SNR;
 * 1237 Hz (not a divisor of 16 kHz) spreads its coding noise, and 5500 Hz
 * lies in the upper sub-band, which narrowband G.711 cannot carry at all. */
static void
test_g722_sine (void)
{
  static const double tones[] = { 1000.0, 1237.0, 5500.0 };
  /* Measured 47, 49 and 26 dB (spandsp 0.0.6); the upper band has 2 bits
   * a sample, the lower 6. */
  static const double min_snr_db[] = { 40.0, 40.0, 20.0 };
  enum { N = 16000 }; /* 1 s */
  static gint16 in[N], out[N];
  guint8 payload[ZC_CODEC_MAX_PAYLOAD];

  for (gsize t = 0; t < G_N_ELEMENTS (tones); t++) {
    g_autoptr (ZcCodecInstance) codec = new_g722 ();
    double f = tones[t], amplitude = 10000.0;
    double level, probe, peak, noise, snr_db;
    gsize skip = 800; /* 50 ms: the ADPCM predictors adapt */
    guint lag;

    g_assert_cmpstr (zc_codec_get_name (codec), ==, "G722");
    g_assert_cmpuint (zc_codec_get_pcm_rate (codec), ==, 16000);
    g_assert_cmpuint (zc_codec_get_rtp_clock_rate (codec), ==, 8000);
    g_assert_false (zc_codec_has_fec (codec));
    /* The media pipeline's step: 20 ms of RTP clock is 160 units. */
    g_assert_cmpuint (zc_codec_get_rtp_clock_rate (codec) * 20 / 1000, ==, 160);

    make_sine (in, N, f, 16000.0, amplitude);
    for (gsize i = 0; i < N; i += G722_FRAME) {
      g_assert_cmpint (zc_codec_encode (codec, in + i, G722_FRAME, payload, sizeof payload), ==, 160);
      g_assert_cmpint (zc_codec_decode (codec, payload, 160, out + i, G722_FRAME), ==, G722_FRAME);
    }

    lag = best_lag (in + skip, out + skip, N - skip);
    level = goertzel_amplitude (out + skip, N - skip, f, 16000.0);
    probe = goertzel_amplitude (out + skip, N - skip, f * 0.63, 16000.0);
    peak = peak_frequency (out + skip, N - skip, f * 0.5, MIN (f * 1.5, 7900.0), 1.0, 16000.0);
    noise = sqrt (error_energy (in + skip, out + skip + lag, N - skip - 64) / (double) (N - skip - 64));
    snr_db = db ((amplitude / G_SQRT2) / noise);
    g_test_message ("G722 %.0f Hz: level %.2f dB, probe %.1f dB, peak %.0f Hz, lag %u samples, SNR %.1f dB", f,
                    db (level / amplitude), db (probe / amplitude), peak, lag, snr_db);

    g_assert_cmpfloat (fabs (peak - f), <=, 0.01 * f);
    g_assert_cmpfloat (fabs (db (level / amplitude)), <=, 1.0);
    g_assert_cmpfloat (db (probe / amplitude), <, -40.0);
    g_assert_cmpfloat (snr_db, >, min_snr_db[t]);
    /* It was coded, not passed through. */
    g_assert_cmpfloat (snr_db, <, 70.0);
  }
}

/* Speech-like sound through G.722 keeps its waveform (ADPCM follows the
 * signal, it does not just match the spectrum as Opus does). */
static void
test_g722_voice (void)
{
  enum { N = 32000 }; /* 2 s */
  static gint16 in[N], out[N];
  g_autoptr (ZcCodecInstance) codec = new_g722 ();
  guint8 payload[160];
  gsize skip = 800;
  double snr_db;
  guint lag;

  make_voice (in, N, 16000.0);
  for (gsize i = 0; i < N; i += G722_FRAME) {
    g_assert_cmpint (zc_codec_encode (codec, in + i, G722_FRAME, payload, sizeof payload), ==, 160);
    g_assert_cmpint (zc_codec_decode (codec, payload, 160, out + i, G722_FRAME), ==, G722_FRAME);
  }
  lag = best_lag (in + skip, out + skip, N - skip);
  snr_db = db (rms (in + skip, N - skip - 64)
               / sqrt (error_energy (in + skip, out + skip + lag, N - skip - 64) / (double) (N - skip - 64)));
  g_test_message ("G722 voice: lag %u samples, SNR %.1f dB", lag, snr_db);
  g_assert_cmpfloat (snr_db, >, 30.0); /* measured 37 dB */
}

/* Concealment: silence before anything was decoded; after a good frame the
 * first lost frame goes on at about the signal's level, never louder, and a
 * long loss fades to silence. */
static void
test_g722_conceal (void)
{
  g_autoptr (ZcCodecInstance) codec = new_g722 ();
  gint16 in[G722_FRAME], out[G722_FRAME], lost[4][G722_FRAME];
  guint8 payload[160];
  double in_rms;

  g_assert_cmpint (zc_codec_conceal (codec, out, G722_FRAME), ==, G722_FRAME);
  g_assert_cmpint (peak_abs (out, G722_FRAME), ==, 0);
  g_assert_cmpint (zc_codec_decode_fec (codec, payload, 1, out, G722_FRAME), ==, -ENOTSUP);

  /* A 200 Hz tone: a pitch the concealer can find at 16 kHz (80 samples). */
  for (int k = 0; k < 5; k++) {
    for (guint i = 0; i < G722_FRAME; i++)
      in[i] = (gint16) lrint (12000.0 * sin (2.0 * G_PI * 200.0 * (double) (k * G722_FRAME + i) / 16000.0));
    g_assert_cmpint (zc_codec_encode (codec, in, G722_FRAME, payload, sizeof payload), ==, 160);
    g_assert_cmpint (zc_codec_decode (codec, payload, 160, out, G722_FRAME), ==, G722_FRAME);
  }
  in_rms = rms (out, G722_FRAME);
  for (int k = 0; k < 4; k++)
    g_assert_cmpint (zc_codec_conceal (codec, lost[k], G722_FRAME), ==, G722_FRAME);
  g_test_message ("G722 concealed RMS: %.0f (first 5 ms %.0f) %.0f %.0f %.0f (decoded %.0f)", rms (lost[0], G722_FRAME),
                  rms (lost[0], 80), rms (lost[1], G722_FRAME), rms (lost[2], G722_FRAME), rms (lost[3], G722_FRAME),
                  in_rms);
  g_assert_cmpfloat (rms (lost[0], 80), >, 0.6 * in_rms);
  g_assert_cmpfloat (rms (lost[0], G722_FRAME), <=, 1.1 * in_rms);
  g_assert_cmpint (peak_abs (lost[2], G722_FRAME), ==, 0);
  g_assert_cmpint (peak_abs (lost[3], G722_FRAME), ==, 0);
}

static void
test_g722_errors (void)
{
  g_autoptr (ZcCodecInstance) codec = new_g722 ();
  gint16 pcm[G722_FRAME] = { 0 };
  guint8 payload[160];

  /* Two samples make a byte: an odd count cannot be coded. */
  g_assert_cmpint (zc_codec_encode (codec, pcm, G722_FRAME - 1, payload, sizeof payload), ==, -EINVAL);
  g_assert_cmpint (zc_codec_encode (codec, pcm, G722_FRAME, payload, 159), ==, -ENOBUFS);
  g_assert_cmpint (zc_codec_encode (codec, pcm, G722_FRAME, payload, sizeof payload), ==, 160);
  /* 160 bytes are 320 samples: they do not fit in 319. */
  g_assert_cmpint (zc_codec_decode (codec, payload, 160, pcm, G722_FRAME - 1), ==, -ENOBUFS);
  g_assert_cmpint (zc_codec_decode (codec, payload, 0, pcm, G722_FRAME), ==, -EINVAL);
  g_assert_cmpint (zc_codec_set_expected_loss (codec, 20), ==, 0);
}

/* ---- Opus ------------------------------------------------------------------ */

#define OPUS_FRAME 960 /* 20 ms at 48 kHz */

static ZcCodecInstance *
new_opus (const ZcCodecOptions *options)
{
  g_autoptr (GError) error = NULL;
  ZcCodecInstance *codec = zc_codec_instance_new ("opus", 48000, 2, options, &error);

  g_assert_no_error (error);
  g_assert_nonnull (codec);
  return codec;
}

/* 1 s of 1 kHz through Opus: the tone comes out at 1 kHz at about its level,
 * and it is most of what comes out. */
static void
test_opus_sine (void)
{
  enum { N = 48000 };
  static gint16 in[N], out[N];
  g_autoptr (ZcCodecInstance) codec = new_opus (NULL);
  guint8 packet[ZC_CODEC_MAX_PAYLOAD];
  const gint16 *tail = out + N / 5; /* skip 200 ms of codec start-up */
  gsize tail_n = N - N / 5;
  double amplitude = 16384.0, level, peak, tone_share;

  g_assert_cmpstr (zc_codec_get_name (codec), ==, "opus");
  g_assert_cmpuint (zc_codec_get_pcm_rate (codec), ==, 48000);
  g_assert_cmpuint (zc_codec_get_rtp_clock_rate (codec), ==, 48000);
  g_assert_true (zc_codec_has_fec (codec));

  make_sine (in, N, 1000.0, 48000.0, amplitude);
  for (gsize i = 0; i < N; i += OPUS_FRAME) {
    int len = zc_codec_encode (codec, in + i, OPUS_FRAME, packet, sizeof packet);

    g_assert_cmpint (len, >, 2);
    g_assert_cmpint (len, <=, 1275);
    g_assert_cmpint (zc_codec_decode (codec, packet, (gsize) len, out + i, OPUS_FRAME), ==, OPUS_FRAME);
  }

  level = goertzel_amplitude (tail, tail_n, 1000.0, 48000.0);
  peak = peak_frequency (tail, tail_n, 700.0, 1300.0, 2.0, 48000.0);
  /* The tone's power (A^2/2) against everything that came out. */
  tone_share = (level * level / 2.0) / (rms (tail, tail_n) * rms (tail, tail_n));
  g_test_message ("opus 1 kHz: peak %.0f Hz, level %.2f dB, tone share %.3f", peak, db (level / amplitude),
                  tone_share);
  g_assert_cmpfloat (fabs (peak - 1000.0), <=, 20.0);
  g_assert_cmpfloat (fabs (db (level / amplitude)), <=, 1.0);
  g_assert_cmpfloat (tone_share, >, 0.95);
}

/* Wideband Opus (opus_pcm_rate 16000, zcalld's default): 20 ms is 320
 * samples at this interface, 1 kHz still comes out at 1 kHz, the RTP clock
 * is still 48 kHz, and a fullband decoder (any other Opus peer) plays what
 * a wideband encoder sent. */
static void
test_opus_wideband (void)
{
  enum { N = 16000, FRAME = 320 };
  static gint16 in[N], out[N], out_fb[3 * N];
  ZcCodecOptions options;
  g_autoptr (ZcCodecInstance) codec = NULL;
  g_autoptr (ZcCodecInstance) fullband = new_opus (NULL);
  g_autoptr (GError) error = NULL;
  guint8 packet[ZC_CODEC_MAX_PAYLOAD];
  double level, level_fb;

  zc_codec_options_init (&options);
  options.opus_pcm_rate = 16000;
  codec = new_opus (&options);
  g_assert_cmpuint (zc_codec_get_pcm_rate (codec), ==, 16000);
  g_assert_cmpuint (zc_codec_get_rtp_clock_rate (codec), ==, 48000);
  g_assert_cmpint (zc_codec_encode (codec, in, 2 * FRAME + 1, packet, sizeof packet), ==, -EINVAL);

  make_sine (in, N, 1000.0, 16000.0, 16384.0);
  for (gsize i = 0; i < N; i += FRAME) {
    int len = zc_codec_encode (codec, in + i, FRAME, packet, sizeof packet);

    g_assert_cmpint (len, >, 2);
    g_assert_cmpint (zc_codec_decode (codec, packet, (gsize) len, out + i, FRAME), ==, FRAME);
    g_assert_cmpint (zc_codec_decode (fullband, packet, (gsize) len, out_fb + 3 * i, OPUS_FRAME), ==, OPUS_FRAME);
  }
  g_assert_cmpint (zc_codec_conceal (codec, out, FRAME), ==, FRAME);

  level = goertzel_amplitude (out + N / 5, N - N / 5, 1000.0, 16000.0);
  level_fb = goertzel_amplitude (out_fb + 3 * N / 5, 3 * (N - N / 5), 1000.0, 48000.0);
  g_test_message ("wideband opus 1 kHz: %.2f dB at 16 kHz, %.2f dB through a 48 kHz decoder", db (level / 16384.0),
                  db (level_fb / 16384.0));
  g_assert_cmpfloat (fabs (peak_frequency (out + N / 5, N - N / 5, 700.0, 1300.0, 2.0, 16000.0) - 1000.0), <=, 20.0);
  g_assert_cmpfloat (fabs (db (level / 16384.0)), <=, 1.0);
  g_assert_cmpfloat (fabs (db (level_fb / 16384.0)), <=, 1.0);

  options.opus_pcm_rate = 44100;
  g_assert_null (zc_codec_instance_new ("opus", 48000, 2, &options, &error));
  g_assert_error (error, ZC_CODEC_ERROR, ZC_CODEC_ERROR_UNSUPPORTED);
}

/* Encodes @n samples of @in into @packets (one per 20 ms frame). */
static guint
encode_all (ZcCodecInstance *codec, const gint16 *in, gsize n, guint8 (*packets)[ZC_CODEC_MAX_PAYLOAD], int *lens)
{
  guint frames = 0;

  for (gsize i = 0; i + OPUS_FRAME <= n; i += OPUS_FRAME, frames++) {
    lens[frames] = zc_codec_encode (codec, in + i, OPUS_FRAME, packets[frames], ZC_CODEC_MAX_PAYLOAD);
    g_assert_cmpint (lens[frames], >, 2);
  }
  return frames;
}

enum { LOSS_FRAMES = 100 }; /* 2 s */
static guint8 loss_packets[LOSS_FRAMES][ZC_CODEC_MAX_PAYLOAD];
static int loss_lens[LOSS_FRAMES];

/* Frames lost in the PLC and FEC tests: spread over the signal, never two in
 * a row (FEC recovers one frame from the next packet). */
static gboolean
is_lost (guint frame)
{
  return frame >= 10 && frame % 7 == 3;
}

/* A lost frame concealed by Opus PLC is neither silence nor louder than the
 * signal around it. */
static void
test_opus_plc (void)
{
  enum { N = LOSS_FRAMES * OPUS_FRAME };
  static gint16 in[N], out[OPUS_FRAME];
  g_autoptr (ZcCodecInstance) codec = new_opus (NULL);
  double in_rms = 0.0;
  int in_peak, lost = 0;

  make_sine (in, N, 440.0, 48000.0, 12000.0);
  in_rms = rms (in, N);
  in_peak = peak_abs (in, N);
  encode_all (codec, in, N, loss_packets, loss_lens);

  for (guint f = 0; f < LOSS_FRAMES; f++) {
    if (!is_lost (f)) {
      g_assert_cmpint (zc_codec_decode (codec, loss_packets[f], (gsize) loss_lens[f], out, OPUS_FRAME), ==, OPUS_FRAME);
      continue;
    }
    g_assert_cmpint (zc_codec_conceal (codec, out, OPUS_FRAME), ==, OPUS_FRAME);
    g_test_message ("frame %u concealed: RMS %.0f, peak %d (input RMS %.0f, peak %d)", f, rms (out, OPUS_FRAME),
                    peak_abs (out, OPUS_FRAME), in_rms, in_peak);
    g_assert_cmpfloat (rms (out, OPUS_FRAME), >, 0.25 * in_rms);
    g_assert_cmpfloat (rms (out, OPUS_FRAME), <=, 1.05 * in_rms);
    g_assert_cmpint (peak_abs (out, OPUS_FRAME), <=, in_peak * 11 / 10);
    lost++;
  }
  g_assert_cmpint (lost, >, 5);
  /* PLC sizes must be whole 2.5 ms steps. */
  g_assert_cmpint (zc_codec_conceal (codec, out, 100), ==, -EINVAL);
}

/* The same lossy stream decoded twice: once concealing each lost frame,
 * once rebuilding it from the next packet's FEC.  Against a decoder that
 * lost nothing, FEC must come closer. */
static void
test_opus_fec (void)
{
  enum { N = LOSS_FRAMES * OPUS_FRAME };
  static gint16 in[N], ref[N], plc[N], fec[N];
  ZcCodecOptions options;
  g_autoptr (ZcCodecInstance) sender = NULL;
  g_autoptr (ZcCodecInstance) ref_dec = NULL;
  g_autoptr (ZcCodecInstance) plc_dec = NULL;
  g_autoptr (ZcCodecInstance) fec_dec = NULL;
  double err_plc = 0.0, err_fec = 0.0;
  guint rebuilt = 0, no_lbrr = 0;
  int n;

  zc_codec_options_init (&options);
  options.expected_loss_pct = 15;
  sender = new_opus (&options);
  ref_dec = new_opus (NULL);
  plc_dec = new_opus (NULL);
  fec_dec = new_opus (NULL);

  make_voice (in, N, 48000.0);
  encode_all (sender, in, N, loss_packets, loss_lens);

  for (guint f = 0; f < LOSS_FRAMES; f++) {
    gsize at = (gsize) f * OPUS_FRAME;

    g_assert_cmpint (zc_codec_decode (ref_dec, loss_packets[f], (gsize) loss_lens[f], ref + at, OPUS_FRAME), ==, OPUS_FRAME);
    if (!is_lost (f)) {
      g_assert_cmpint (zc_codec_decode (plc_dec, loss_packets[f], (gsize) loss_lens[f], plc + at, OPUS_FRAME), ==, OPUS_FRAME);
      g_assert_cmpint (zc_codec_decode (fec_dec, loss_packets[f], (gsize) loss_lens[f], fec + at, OPUS_FRAME), ==, OPUS_FRAME);
      continue;
    }
    g_assert_cmpint (f + 1, <, LOSS_FRAMES);
    g_assert_cmpint (zc_codec_conceal (plc_dec, plc + at, OPUS_FRAME), ==, OPUS_FRAME);
    n = zc_codec_decode_fec (fec_dec, loss_packets[f + 1], (gsize) loss_lens[f + 1], fec + at, OPUS_FRAME);
    if (n == -ENODATA) {
      /* No LBRR for this frame in the next packet (SILK codes it only for
       * frames it found active enough): conceal, as the media does. */
      g_assert_cmpint (zc_codec_conceal (fec_dec, fec + at, OPUS_FRAME), ==, OPUS_FRAME);
      no_lbrr++;
    } else {
      g_assert_cmpint (n, ==, OPUS_FRAME);
      rebuilt++;
    }
  }
  g_test_message ("lost frames rebuilt from FEC: %u, without LBRR in the next packet: %u", rebuilt, no_lbrr);
  g_assert_cmpuint (rebuilt, >, 2 * no_lbrr);
  /* Error over each lost frame and the frame after it (where a decoder
   * that lost track is still catching up). */
  for (guint f = 0; f + 1 < LOSS_FRAMES; f++) {
    if (is_lost (f)) {
      gsize at = (gsize) f * OPUS_FRAME;

      err_plc += error_energy (ref + at, plc + at, 2 * OPUS_FRAME);
      err_fec += error_energy (ref + at, fec + at, 2 * OPUS_FRAME);
    }
  }
  g_test_message ("error energy vs lossless decode: PLC %.3g, FEC %.3g (%.1f dB better)", err_plc, err_fec,
                  10.0 * log10 (err_plc / MAX (err_fec, 1.0)));
  g_assert_cmpfloat (err_fec * 2.0, <, err_plc); /* at least 3 dB better */
}

/* The encoder's expected loss follows the peer's reports: never below the
 * configured floor, the reported share rounded up, capped at 30 %.  And a
 * packet without LBRR (G.711 has no FEC at all) rebuilds nothing. */
static void
test_opus_expected_loss (void)
{
  g_autoptr (ZcCodecInstance) opus = new_opus (NULL);
  g_autoptr (ZcCodecInstance) pcmu = zc_codec_instance_new ("PCMU", 8000, 1, NULL, NULL);
  gint16 pcm[OPUS_FRAME] = { 0 };
  guint8 packet[ZC_CODEC_MAX_PAYLOAD];
  int len;

  g_assert_cmpuint (zc_codec_adapt_expected_loss (5, -1), ==, 5);
  g_assert_cmpuint (zc_codec_adapt_expected_loss (5, 0), ==, 5);
  g_assert_cmpuint (zc_codec_adapt_expected_loss (5, 3.9), ==, 5);
  g_assert_cmpuint (zc_codec_adapt_expected_loss (5, 5.1), ==, 6);
  g_assert_cmpuint (zc_codec_adapt_expected_loss (5, 12.0), ==, 12);
  g_assert_cmpuint (zc_codec_adapt_expected_loss (5, 80.0), ==, 30);
  g_assert_cmpuint (zc_codec_adapt_expected_loss (0, 0.4), ==, 1);
  g_assert_cmpint (zc_codec_set_expected_loss (opus, 12), ==, 0);
  g_assert_cmpint (zc_codec_set_expected_loss (opus, 101), ==, -EINVAL);

  /* The first packet of a stream has no frame before it to carry. */
  len = zc_codec_encode (opus, pcm, OPUS_FRAME, packet, sizeof packet);
  g_assert_cmpint (len, >, 0);
  g_assert_cmpint (zc_codec_decode_fec (opus, packet, (gsize) len, pcm, OPUS_FRAME), ==, -ENODATA);
  g_assert_cmpint (zc_codec_decode_fec (pcmu, packet, (gsize) len, pcm, 160), ==, -ENOTSUP);
}

/* With DTX, silence costs (almost) nothing: most frames need not be sent;
 * the few that are (background-noise updates, every 400 ms in libopus) are
 * ordinary small packets.  Without it, every frame is sent. */
static void
test_opus_dtx (void)
{
  enum { N = 2 * 48000 }; /* 2 s */
  static gint16 silence[N];
  ZcCodecOptions options;
  g_autoptr (ZcCodecInstance) dtx = NULL;
  g_autoptr (ZcCodecInstance) no_dtx = new_opus (NULL);
  guint8 packet[ZC_CODEC_MAX_PAYLOAD];
  guint skipped = 0, sent = 0;
  int largest = 0, no_dtx_smallest = G_MAXINT;
  gsize dtx_bytes = 0, no_dtx_bytes = 0;

  zc_codec_options_init (&options);
  options.dtx = TRUE;
  dtx = new_opus (&options);

  /* Near silence: a faint noise at about -70 dBFS, as a quiet room gives. */
  for (gsize i = 0; i < N; i++)
    silence[i] = (gint16) (g_test_rand_int_range (-10, 11));

  for (gsize i = 0; i < N; i += OPUS_FRAME) {
    int len = zc_codec_encode (dtx, silence + i, OPUS_FRAME, packet, sizeof packet);
    int no_dtx_len = zc_codec_encode (no_dtx, silence + i, OPUS_FRAME, packet, sizeof packet);

    g_assert_cmpint (len, >=, 0);
    g_assert_cmpint (no_dtx_len, >, 2);
    if (i < N / 2)
      continue; /* let the encoder notice the silence (~200 ms) */
    if (len == 0) {
      skipped++;
    } else {
      sent++;
      largest = MAX (largest, len);
    }
    dtx_bytes += (gsize) len;
    no_dtx_bytes += (gsize) no_dtx_len;
    no_dtx_smallest = MIN (no_dtx_smallest, no_dtx_len);
  }
  g_test_message ("last second of silence: DTX %u frames skipped, %u sent (largest %d bytes), %" G_GSIZE_FORMAT
                  " bytes; without DTX %" G_GSIZE_FORMAT " bytes (smallest packet %d)",
                  skipped, sent, largest, dtx_bytes, no_dtx_bytes, no_dtx_smallest);
  g_assert_cmpuint (skipped, >=, 40); /* of 50 */
  g_assert_cmpuint (dtx_bytes * 5, <, no_dtx_bytes);
}

static void
test_opus_errors (void)
{
  g_autoptr (ZcCodecInstance) codec = new_opus (NULL);
  gint16 pcm[OPUS_FRAME] = { 0 };
  guint8 packet[ZC_CODEC_MAX_PAYLOAD];
  guint8 garbage[] = { 0xFF, 0xFF, 0xFF, 0xFF }; /* code 3, 63 frames, no data */
  int len;

  g_assert_cmpint (zc_codec_encode (codec, pcm, 1000, packet, sizeof packet), ==, -EINVAL);
  g_assert_cmpint (zc_codec_encode (codec, pcm, OPUS_FRAME, packet, 0), <, 0);
  g_assert_cmpint (zc_codec_decode (codec, packet, 0, pcm, OPUS_FRAME), ==, -EINVAL);
  g_assert_cmpint (zc_codec_decode (codec, garbage, sizeof garbage, pcm, OPUS_FRAME), ==, -EBADMSG);

  /* A 20 ms packet does not fit in 10 ms of PCM. */
  make_sine (pcm, OPUS_FRAME, 1000.0, 48000.0, 8000.0);
  len = zc_codec_encode (codec, pcm, OPUS_FRAME, packet, sizeof packet);
  g_assert_cmpint (len, >, 2);
  g_assert_cmpint (zc_codec_decode (codec, packet, (gsize) len, pcm, OPUS_FRAME / 2), ==, -ENOBUFS);
  g_assert_cmpint (zc_codec_decode (codec, packet, (gsize) len, pcm, OPUS_FRAME), ==, OPUS_FRAME);

  g_assert_cmpint (zc_codec_set_expected_loss (codec, 20), ==, 0);
  g_assert_cmpint (zc_codec_set_expected_loss (codec, 101), ==, -EINVAL);
}

/* ---- Front end ------------------------------------------------------------ */

static void
test_codec_new (void)
{
  static const struct {
    const char *name;
    guint rate, channels;
    gint code; /* -1 = accepted */
    const char *canonical;
    guint pcm_rate;
  } cases[] = {
    { "PCMU", 8000, 1, -1, "PCMU", 8000 },
    { "pcmu", 0, 0, -1, "PCMU", 8000 },
    { "PCMA", 8000, 1, -1, "PCMA", 8000 },
    { "opus", 48000, 2, -1, "opus", 48000 },
    { "OPUS", 48000, 1, -1, "opus", 48000 },
    { "G722", 8000, 1, -1, "G722", 16000 },
    { "g722", 0, 0, -1, "G722", 16000 },
    { "G722", 16000, 1, ZC_CODEC_ERROR_UNSUPPORTED, NULL, 0 }, /* RFC 3551 4.5.2: the clock is 8000 */
    { "G722", 8000, 2, ZC_CODEC_ERROR_UNSUPPORTED, NULL, 0 },
    { "PCMU", 16000, 1, ZC_CODEC_ERROR_UNSUPPORTED, NULL, 0 },
    { "PCMA", 8000, 2, ZC_CODEC_ERROR_UNSUPPORTED, NULL, 0 },
    { "opus", 16000, 2, ZC_CODEC_ERROR_UNSUPPORTED, NULL, 0 },
    { "G729", 8000, 1, ZC_CODEC_ERROR_UNKNOWN, NULL, 0 },
    { "telephone-event", 8000, 1, ZC_CODEC_ERROR_UNKNOWN, NULL, 0 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (ZcCodecInstance) codec = zc_codec_instance_new (cases[i].name, cases[i].rate, cases[i].channels, NULL, &error);

    g_test_message ("%s/%u/%u: %s", cases[i].name, cases[i].rate, cases[i].channels,
                    error != NULL ? error->message : "ok");
    if (cases[i].code < 0) {
      g_assert_no_error (error);
      g_assert_cmpstr (zc_codec_get_name (codec), ==, cases[i].canonical);
      g_assert_cmpuint (zc_codec_get_pcm_rate (codec), ==, cases[i].pcm_rate);
    } else {
      g_assert_null (codec);
      g_assert_error (error, ZC_CODEC_ERROR, cases[i].code);
    }
  }
}

static void
test_opus_fmtp (void)
{
  ZcCodecOptions o;

  zc_codec_options_init (&o);
  g_assert_cmpuint (o.bitrate_bps, ==, 32000);
  g_assert_true (o.inband_fec);
  g_assert_false (o.dtx);

  /* The peer's ceiling lowers our bitrate, never raises it. */
  zc_codec_options_apply_opus_fmtp (&o, "maxaveragebitrate=20000; useinbandfec=0;usedtx=1");
  g_assert_cmpuint (o.bitrate_bps, ==, 20000);
  g_assert_false (o.inband_fec);
  g_assert_true (o.dtx);
  zc_codec_options_apply_opus_fmtp (&o, "maxaveragebitrate=64000;useinbandfec=1");
  g_assert_cmpuint (o.bitrate_bps, ==, 20000);
  g_assert_true (o.inband_fec);

  /* Garbage and unknown parameters change nothing. */
  zc_codec_options_apply_opus_fmtp (&o, "minptime=10;stereo=1;usedtx=7;maxaveragebitrate=12ab;=;;x");
  zc_codec_options_apply_opus_fmtp (&o, NULL);
  zc_codec_options_apply_opus_fmtp (&o, "maxaveragebitrate=100");
  g_assert_cmpuint (o.bitrate_bps, ==, 20000);
  g_assert_true (o.inband_fec);
  g_assert_true (o.dtx);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/codecs/new", test_codec_new);
  g_test_add_func ("/codecs/g711/vectors", test_g711_vectors);
  g_test_add_func ("/codecs/g711/full-tables", test_g711_full_tables);
  g_test_add_func ("/codecs/g711/round-trip", test_g711_round_trip);
  g_test_add_func ("/codecs/g711/sine", test_g711_sine);
  g_test_add_func ("/codecs/g711/conceal", test_g711_conceal);
  g_test_add_func ("/codecs/g722/sine", test_g722_sine);
  g_test_add_func ("/codecs/g722/voice", test_g722_voice);
  g_test_add_func ("/codecs/g722/conceal", test_g722_conceal);
  g_test_add_func ("/codecs/g722/errors", test_g722_errors);
  g_test_add_func ("/codecs/opus/sine", test_opus_sine);
  g_test_add_func ("/codecs/opus/wideband", test_opus_wideband);
  g_test_add_func ("/codecs/opus/plc", test_opus_plc);
  g_test_add_func ("/codecs/opus/fec", test_opus_fec);
  g_test_add_func ("/codecs/opus/dtx", test_opus_dtx);
  g_test_add_func ("/codecs/opus/expected-loss", test_opus_expected_loss);
  g_test_add_func ("/codecs/opus/errors", test_opus_errors);
  g_test_add_func ("/codecs/opus/fmtp", test_opus_fmtp);
  return g_test_run ();
}
