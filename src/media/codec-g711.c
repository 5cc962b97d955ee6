/* SPDX-License-Identifier: GPL-3.0-or-later */
/* G.711 µ-law (PCMU) and A-law (PCMA), and the codec front end.
 *
 * The front end (instance creation by name, dispatch, options) lives here
 * rather than in a file of its own because G.711 is always built: RFC 3551
 * makes PCMU the one codec every phone has. */
#define G_LOG_DOMAIN "media"

#include "config.h"

#include "media/codec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK (zc-codec-error-quark, zc_codec_error)

/* ==== Front end ========================================================== */

void
zc_codec_options_init (ZcCodecOptions *options)
{
  g_return_if_fail (options != NULL);

  options->bitrate_bps = 32000;
  options->inband_fec = TRUE;
  options->dtx = FALSE;
  options->expected_loss_pct = 5;
  options->complexity = 5;
}

/* Parses a decimal unsigned integer filling the whole of @s. */
static gboolean
parse_uint (const char *s, guint64 max, guint64 *value)
{
  guint64 v;

  if (!g_ascii_string_to_unsigned (s, 10, 0, max, &v, NULL))
    return FALSE;
  *value = v;
  return TRUE;
}

void
zc_codec_options_apply_opus_fmtp (ZcCodecOptions *options, const char *fmtp)
{
  g_auto (GStrv) params = NULL;

  g_return_if_fail (options != NULL);
  if (fmtp == NULL)
    return;

  /* RFC 7587 6.1 / RFC 4566 6: "name=value; name=value", names
   * case-insensitive in practice (some peers write them in capitals). */
  params = g_strsplit (fmtp, ";", -1);
  for (guint i = 0; params[i] != NULL; i++) {
    g_autofree char *param = g_strstrip (g_strdup (params[i]));
    char *eq = strchr (param, '=');
    guint64 v;

    if (eq == NULL)
      continue;
    *eq = '\0';
    g_strstrip (param);
    if (!parse_uint (g_strstrip (eq + 1), 510000, &v))
      continue;

    if (g_ascii_strcasecmp (param, "maxaveragebitrate") == 0) {
      /* RFC 7587 6.1: 6000..510000; the receiver's ceiling, not a target. */
      if (v >= 6000 && (options->bitrate_bps == 0 || options->bitrate_bps > v))
        options->bitrate_bps = (guint) v;
    } else if (g_ascii_strcasecmp (param, "useinbandfec") == 0) {
      if (v <= 1)
        options->inband_fec = v == 1;
    } else if (g_ascii_strcasecmp (param, "usedtx") == 0) {
      if (v <= 1)
        options->dtx = v == 1;
    }
  }
}

ZcCodecInstance *
zc_codec_instance_new (const char *name,
                       guint clock_rate,
                       guint channels,
                       const ZcCodecOptions *options,
                       GError **error)
{
  ZcCodecOptions defaults;

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (options == NULL) {
    zc_codec_options_init (&defaults);
    options = &defaults;
  }

  /* Encoding names are case-insensitive (RFC 4855 3). */
  if (g_ascii_strcasecmp (name, "PCMU") == 0 || g_ascii_strcasecmp (name, "PCMA") == 0) {
    /* RFC 3551 4.5.14: G.711 is 8000 Hz, one channel per stream here. */
    if ((clock_rate != 0 && clock_rate != 8000) || channels > 1) {
      g_set_error (error, ZC_CODEC_ERROR, ZC_CODEC_ERROR_UNSUPPORTED,
                   "codec %s/%u/%u is not supported (G.711 is 8000 Hz mono)", name, clock_rate, channels);
      return NULL;
    }
    return zc_codec_g711_new (g_ascii_strcasecmp (name, "PCMA") == 0, error);
  }

  if (g_ascii_strcasecmp (name, "opus") == 0) {
    /* RFC 7587 7: always opus/48000/2 in SDP. */
    if ((clock_rate != 0 && clock_rate != 48000) || channels > 2) {
      g_set_error (error, ZC_CODEC_ERROR, ZC_CODEC_ERROR_UNSUPPORTED,
                   "codec opus/%u/%u is not supported (Opus is opus/48000/2)", clock_rate, channels);
      return NULL;
    }
    return zc_codec_opus_new (channels == 0 ? 2 : channels, options, error);
  }

  g_set_error (error, ZC_CODEC_ERROR, ZC_CODEC_ERROR_UNKNOWN, "codec '%s' is unknown", name);
  return NULL;
}

void
zc_codec_instance_free (ZcCodecInstance *instance)
{
  if (instance != NULL)
    instance->klass->free (instance);
}

const char *
zc_codec_get_name (const ZcCodecInstance *instance)
{
  g_return_val_if_fail (instance != NULL, NULL);
  return instance->klass->name;
}

guint
zc_codec_get_pcm_rate (const ZcCodecInstance *instance)
{
  g_return_val_if_fail (instance != NULL, 0);
  return instance->klass->pcm_rate;
}

guint
zc_codec_get_rtp_clock_rate (const ZcCodecInstance *instance)
{
  g_return_val_if_fail (instance != NULL, 0);
  return instance->klass->rtp_clock_rate;
}

gboolean
zc_codec_has_fec (const ZcCodecInstance *instance)
{
  g_return_val_if_fail (instance != NULL, FALSE);
  return instance->klass->decode_fec != NULL;
}

/* The per-frame entry points check their arguments with plain ifs, not
 * g_return_val_if_fail(): that one logs, and these run on the media thread. */

int
zc_codec_encode (ZcCodecInstance *instance, const gint16 *pcm, guint samples_per_channel, guint8 *out, gsize out_size)
{
  if (instance == NULL || pcm == NULL || out == NULL || samples_per_channel == 0
      || samples_per_channel > ZC_CODEC_MAX_FRAME_SAMPLES)
    return -EINVAL;
  return instance->klass->encode (instance, pcm, samples_per_channel, out, out_size);
}

int
zc_codec_decode (ZcCodecInstance *instance, const guint8 *payload, gsize len, gint16 *pcm, guint max_samples)
{
  if (instance == NULL || payload == NULL || len == 0 || pcm == NULL || max_samples == 0)
    return -EINVAL;
  return instance->klass->decode (instance, payload, len, pcm, max_samples);
}

int
zc_codec_conceal (ZcCodecInstance *instance, gint16 *pcm, guint samples)
{
  if (instance == NULL || pcm == NULL || samples == 0 || samples > ZC_CODEC_MAX_FRAME_SAMPLES)
    return -EINVAL;
  return instance->klass->conceal (instance, pcm, samples);
}

int
zc_codec_decode_fec (ZcCodecInstance *instance, const guint8 *next_payload, gsize next_len, gint16 *pcm, guint samples)
{
  if (instance == NULL || next_payload == NULL || next_len == 0 || pcm == NULL || samples == 0
      || samples > ZC_CODEC_MAX_FRAME_SAMPLES)
    return -EINVAL;
  if (instance->klass->decode_fec == NULL)
    return -ENOTSUP;
  return instance->klass->decode_fec (instance, next_payload, next_len, pcm, samples);
}

int
zc_codec_set_expected_loss (ZcCodecInstance *instance, guint loss_pct)
{
  if (instance == NULL || loss_pct > 100)
    return -EINVAL;
  if (instance->klass->set_expected_loss == NULL)
    return 0;
  return instance->klass->set_expected_loss (instance, loss_pct);
}

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
