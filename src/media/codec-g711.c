/* SPDX-License-Identifier: GPL-3.0-or-later */
/* G.711 µ-law (PCMU) and A-law (PCMA): RFC 3551 makes PCMU the one codec
 * every phone has. */
#define G_LOG_DOMAIN "media"

#include "config.h"

#include "media/codec.h"

#include <errno.h>
#include <string.h>

/* ==== G.711 sample conversion ============================================
 *
 * ITU-T G.711 (11/88) defines both laws by tables of decision and
 * reconstruction values; the formulas below produce exactly those tables
 * and agree bit for bit with the reference most implementations descend
 * from, Sun Microsystems' public-domain g711.c as corrected by Borge
 * Lindberg in 1994 (checked on all 65536 inputs; test-codecs.c holds
 * vectors and a hash of the whole table).
 *
 * Both laws are segmented: a sign bit, a 3-bit segment number (a power-of-
 * two range of magnitudes) and a 4-bit position inside the segment.  The
 * encoders find the segment from the position of the magnitude's top bit
 * (g_bit_storage) instead of searching a table. */

/* µ-law works on 14-bit magnitudes with a bias of 33 (0x84 at 16 bits) so
 * every segment starts at a power of two (G.711 Table 2). */
#define ULAW_BIAS 33
#define ULAW_CLIP 8159 /* largest 14-bit magnitude before bias */

guint8
zc_g711_linear_to_ulaw (gint16 pcm)
{
  /* Arithmetic shift to 14 bits, as the reference: -1..-4 become -1, so
   * they encode as the smallest negative step (0x7E), not as zero. */
  int v = pcm >> 2;
  guint8 mask = 0xFF; /* the code word is transmitted inverted (G.711 Table 2 note) */
  int seg;

  if (v < 0) {
    v = -v;
    mask = 0x7F; /* sign bit 0 for negative */
  }
  if (v > ULAW_CLIP)
    v = ULAW_CLIP;
  v += ULAW_BIAS; /* 33..8192 */

  /* 33..63 -> segment 0, 64..127 -> 1, ..., 4096..8191 -> 7; 8192 (only
   * reached by clipping) saturates to the largest code of segment 7. */
  seg = (int) g_bit_storage ((gulong) v) - 6;
  if (seg > 7)
    return 0x7F ^ mask;
  return (guint8) (((seg << 4) | ((v >> (seg + 1)) & 0x0F)) ^ mask);
}

gint16
zc_g711_ulaw_to_linear (guint8 code)
{
  int u = ~code & 0xFF;
  int t = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4);

  /* Undo the bias; the result is the middle of the decision interval. */
  return (gint16) ((u & 0x80) != 0 ? 0x84 - t : t - 0x84);
}

guint8
zc_g711_linear_to_alaw (gint16 pcm)
{
  int v = pcm >> 3; /* A-law works on 13-bit values (G.711 Table 1) */
  guint8 mask = 0xD5; /* even bits inverted, sign bit 1 for positive */
  int seg;

  if (v < 0) {
    mask = 0x55;
    v = -v - 1; /* A-law is symmetric around -0.5: -1 -> 0, -4096 -> 4095 */
  }

  /* Segments 0 and 1 have the same step (A-law's linear first chord);
   * from segment 2 on the step doubles: 0..31 -> 0, 32..63 -> 1,
   * 64..127 -> 2, ..., 2048..4095 -> 7. */
  seg = v < 32 ? 0 : (int) g_bit_storage ((gulong) v) - 5;
  return (guint8) (((seg << 4) | ((v >> (seg < 2 ? 1 : seg)) & 0x0F)) ^ mask);
}

gint16
zc_g711_alaw_to_linear (guint8 code)
{
  int a = code ^ 0x55;
  int seg = (a & 0x70) >> 4;
  int t = (a & 0x0F) << 4;

  /* The reconstruction value is the middle of the step: +8 in segment 0,
   * and segment n > 0 starts at 256 << (n - 1) (+8 for the half step). */
  if (seg == 0)
    t += 8;
  else
    t = (t + 0x108) << (seg - 1);
  return (gint16) ((a & 0x80) != 0 ? t : -t);
}

/* ==== G.711 codec instance ============================================== */

/* Concealment history: the last decoded frame, up to 120 ms at 8 kHz. */
#define G711_HISTORY_SAMPLES 960
/* Fade the repeated frame to silence over this many frames (ITU-T G.711
 * Appendix I mutes after 60 ms; that is three 20 ms frames). */
#define G711_FADE_FRAMES 3

typedef struct {
  ZcCodecInstance parent;
  gboolean alaw;

  gint16 history[G711_HISTORY_SAMPLES]; /* last decoded frame */
  guint history_len;                    /* its length; 0 = nothing yet */
  guint replay_pos;                     /* next history sample to replay */
  guint concealed;                      /* samples concealed since the last good packet */
} ZcG711;

static int
g711_encode (ZcCodecInstance *instance, const gint16 *pcm, guint samples, guint8 *out, gsize out_size)
{
  ZcG711 *self = (ZcG711 *) instance;

  if (out_size < samples)
    return -ENOBUFS;
  if (self->alaw) {
    for (guint i = 0; i < samples; i++)
      out[i] = zc_g711_linear_to_alaw (pcm[i]);
  } else {
    for (guint i = 0; i < samples; i++)
      out[i] = zc_g711_linear_to_ulaw (pcm[i]);
  }
  return (int) samples;
}

static int
g711_decode (ZcCodecInstance *instance, const guint8 *payload, gsize len, gint16 *pcm, guint max_samples)
{
  ZcG711 *self = (ZcG711 *) instance;
  guint keep;

  /* One byte per sample (RFC 3551 4.5.14). */
  if (len > max_samples)
    return -ENOBUFS;
  if (self->alaw) {
    for (gsize i = 0; i < len; i++)
      pcm[i] = zc_g711_alaw_to_linear (payload[i]);
  } else {
    for (gsize i = 0; i < len; i++)
      pcm[i] = zc_g711_ulaw_to_linear (payload[i]);
  }

  /* Remember the frame (its last 120 ms if longer) for concealment. */
  keep = MIN ((guint) len, G711_HISTORY_SAMPLES);
  memcpy (self->history, pcm + len - keep, keep * sizeof (gint16));
  self->history_len = keep;
  self->replay_pos = 0;
  self->concealed = 0;
  return (int) len;
}

/* Repeat-and-fade concealment: the last good frame is played again and
 * again, its gain falling linearly from 1 at the first lost sample to 0
 * after G711_FADE_FRAMES frame lengths, then silence until a packet comes.
 * Repeating real signal keeps a short loss (one packet, the common case)
 * close to inaudible where zeros would click; fading out keeps a long loss
 * from buzzing.  G.711 Appendix I refines this with pitch-period repetition
 * and an overlap-add at the seams; this is the cheap version. */
static int
g711_conceal (ZcCodecInstance *instance, gint16 *pcm, guint samples)
{
  ZcG711 *self = (ZcG711 *) instance;
  guint fade_len = self->history_len * G711_FADE_FRAMES;

  for (guint i = 0; i < samples; i++) {
    if (self->concealed >= fade_len) {
      pcm[i] = 0; /* also the case before any packet (fade_len == 0) */
    } else {
      /* Integer gain in 1/fade_len steps: no float in the loop, exact 0 at
       * the end of the fade. */
      gint64 gain = fade_len - self->concealed;

      pcm[i] = (gint16) ((self->history[self->replay_pos] * gain) / fade_len);
      self->replay_pos = (self->replay_pos + 1) % self->history_len;
      self->concealed++;
    }
  }
  return (int) samples;
}

static void
g711_free (ZcCodecInstance *instance)
{
  g_free (instance);
}

static const ZcCodecClass pcmu_class = {
  .name = "PCMU",
  .pcm_rate = 8000,
  .rtp_clock_rate = 8000,
  .encode = g711_encode,
  .decode = g711_decode,
  .conceal = g711_conceal,
  .decode_fec = NULL,
  .set_expected_loss = NULL,
  .free = g711_free,
};

static const ZcCodecClass pcma_class = {
  .name = "PCMA",
  .pcm_rate = 8000,
  .rtp_clock_rate = 8000,
  .encode = g711_encode,
  .decode = g711_decode,
  .conceal = g711_conceal,
  .decode_fec = NULL,
  .set_expected_loss = NULL,
  .free = g711_free,
};

ZcCodecInstance *
zc_codec_g711_new (gboolean alaw, GError **error)
{
  ZcG711 *self = g_new0 (ZcG711, 1);

  (void) error; /* G.711 cannot fail to start */
  self->parent.klass = alaw ? &pcma_class : &pcmu_class;
  self->alaw = alaw;
  return &self->parent;
}
