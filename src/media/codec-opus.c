/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Opus (RFC 6716) through libopus, for RTP as RFC 7587 describes it.
 *
 * Mono in both directions, at the PCM rate the options ask (48 kHz unless
 * told otherwise; at 16 kHz libopus codes wideband speech with SILK alone,
 * for a fraction of the CPU of the 48 kHz hybrid modes, and so does
 * everything around it): the encoder makes mono packets (valid
 * in an opus/48000/2 stream, RFC 7587 7), the decoder downmixes whatever
 * arrives.  OPUS_APPLICATION_VOIP and OPUS_SIGNAL_VOICE tune libopus for
 * speech (SILK or hybrid modes, which are also the modes that carry in-band
 * FEC).
 *
 * libopus keeps its work memory inside the encoder and decoder states
 * allocated here and takes no locks, so the per-frame functions obey the
 * real-time rules of codec.h. */
#define G_LOG_DOMAIN "media"

#include "config.h"

#include "media/codec.h"

#include <errno.h>
#include <opus.h>

#define OPUS_RATE 48000

typedef struct {
  ZcCodecInstance parent;
  OpusEncoder *encoder;
  OpusDecoder *decoder;
  guint samples_2_5_ms; /* frame sizes are multiples of 2.5 ms (RFC 6716 2.1.4) */
  gboolean dtx;         /* as configured, for when a forced DTX ends */
} ZcOpus;

/* libopus error codes to negative errno values. */
static int
opus_errno (int opus_error)
{
  switch (opus_error) {
  case OPUS_BAD_ARG:
    return -EINVAL;
  case OPUS_BUFFER_TOO_SMALL:
    return -ENOBUFS;
  case OPUS_INVALID_PACKET:
    return -EBADMSG;
  case OPUS_UNIMPLEMENTED:
    return -ENOTSUP;
  case OPUS_ALLOC_FAIL:
    return -ENOMEM;
  default:
    return -EIO;
  }
}

/* RFC 6716 2.1.4: 2.5, 5, 10, 20, 40 or 60 ms per encoded frame. */
static gboolean
is_encoder_frame_size (const ZcOpus *self, guint samples)
{
  static const guint multiples_of_2_5_ms[] = { 1, 2, 4, 8, 16, 24 };

  for (gsize i = 0; i < G_N_ELEMENTS (multiples_of_2_5_ms); i++)
    if (samples == multiples_of_2_5_ms[i] * self->samples_2_5_ms)
      return TRUE;
  return FALSE;
}

static int
opus_encode_frame (ZcCodecInstance *instance, const gint16 *pcm, guint samples, guint8 *out, gsize out_size)
{
  ZcOpus *self = (ZcOpus *) instance;
  int n;

  if (!is_encoder_frame_size (self, samples))
    return -EINVAL;
  n = opus_encode (self->encoder, pcm, (int) samples, out, (opus_int32) MIN (out_size, (gsize) G_MAXINT32));
  if (n < 0)
    return opus_errno (n);
  /* libopus: "If the return value is 2 bytes or less, then the packet does
   * not need to be transmitted (DTX)". */
  return n <= 2 ? 0 : n;
}

static int
opus_decode_frame (ZcCodecInstance *instance, const guint8 *payload, gsize len, gint16 *pcm, guint max_samples)
{
  ZcOpus *self = (ZcOpus *) instance;
  int n;

  if (len > G_MAXINT32)
    return -EBADMSG;
  n = opus_decode (self->decoder, payload, (opus_int32) len, pcm, (int) max_samples, 0);
  return n < 0 ? opus_errno (n) : n;
}

static int
opus_conceal (ZcCodecInstance *instance, gint16 *pcm, guint samples)
{
  ZcOpus *self = (ZcOpus *) instance;
  int n;

  if (samples % self->samples_2_5_ms != 0)
    return -EINVAL;
  /* No data: libopus extrapolates from its state (PLC, RFC 6716 4.4). */
  n = opus_decode (self->decoder, NULL, 0, pcm, (int) samples, 0);
  return n < 0 ? opus_errno (n) : n;
}

/* TRUE when @payload carries LBRR data for the frame before it.  The
 * SILK layer of an Opus packet begins with its VAD flags and then its LBRR
 * flag(s), each range coded at probability 1/2, which makes them the first
 * bits of the first frame's first byte (RFC 6716 4.2.3; libopus 1.5's
 * opus_packet_has_lbrr() reads them so, Debian 12 has 1.3).  CELT-only
 * packets carry none. */
static gboolean
packet_has_lbrr (const guint8 *payload, gsize len)
{
  const unsigned char *frames[48];
  opus_int16 sizes[48];
  int frame_samples, silk_frames = 1, lbrr;

  if (len == 0 || len > G_MAXINT32 || (payload[0] >> 3) >= 16) /* TOC configs 16..31: CELT only */
    return FALSE;
  frame_samples = opus_packet_get_samples_per_frame (payload, OPUS_RATE);
  if (frame_samples > 960)
    silk_frames = frame_samples / 960; /* 40 and 60 ms: two or three SILK frames, one VAD flag each */
  if (opus_packet_parse (payload, (opus_int32) len, NULL, frames, sizes, NULL) <= 0 || sizes[0] == 0)
    return FALSE;
  lbrr = (frames[0][0] >> (7 - silk_frames)) & 1;
  if (opus_packet_get_nb_channels (payload) == 2)
    lbrr |= (frames[0][0] >> (6 - 2 * silk_frames)) & 1;
  return lbrr != 0;
}

static int
opus_decode_fec_frame (ZcCodecInstance *instance, const guint8 *payload, gsize len, gint16 *pcm, guint samples)
{
  ZcOpus *self = (ZcOpus *) instance;
  int n;

  if (samples % self->samples_2_5_ms != 0)
    return -EINVAL;
  if (len > G_MAXINT32)
    return -EBADMSG;
  /* Without LBRR libopus would conceal and call it decoded: say so, so
   * that the caller conceals (and counts a concealed frame, not an FEC
   * one). */
  if (!packet_has_lbrr (payload, len))
    return -ENODATA;
  /* decode_fec = 1: decode the LBRR data in @payload, which describes the
   * frame before it (RFC 6716 2.1.7, 4.2.4).  @samples must be the lost
   * frame's duration. */
  n = opus_decode (self->decoder, payload, (opus_int32) len, pcm, (int) samples, 1);
  return n < 0 ? opus_errno (n) : n;
}

static int
opus_set_expected_loss (ZcCodecInstance *instance, guint loss_pct)
{
  ZcOpus *self = (ZcOpus *) instance;
  int err = opus_encoder_ctl (self->encoder, OPUS_SET_PACKET_LOSS_PERC ((opus_int32) loss_pct));

  return err == OPUS_OK ? 0 : opus_errno (err);
}

static int
opus_force_dtx (ZcCodecInstance *instance, gboolean on)
{
  ZcOpus *self = (ZcOpus *) instance;
  int err = opus_encoder_ctl (self->encoder, OPUS_SET_DTX (on || self->dtx ? 1 : 0));

  return err == OPUS_OK ? 0 : opus_errno (err);
}

static void
opus_free (ZcCodecInstance *instance)
{
  ZcOpus *self = (ZcOpus *) instance;

  if (self->encoder != NULL)
    opus_encoder_destroy (self->encoder);
  if (self->decoder != NULL)
    opus_decoder_destroy (self->decoder);
  g_free (self);
}

static const ZcCodecClass opus_class = {
  .name = "opus",
  .pcm_rate = OPUS_RATE, /* unless the options ask another */
  .rtp_clock_rate = OPUS_RATE, /* RFC 7587 4.1: always 48000 */
  .encode = opus_encode_frame,
  .decode = opus_decode_frame,
  .conceal = opus_conceal,
  .decode_fec = opus_decode_fec_frame,
  .set_expected_loss = opus_set_expected_loss,
  .force_dtx = opus_force_dtx,
  .free = opus_free,
};

/* Applies the encoder settings; returns the first failing call's name. */
static const char *
configure_encoder (OpusEncoder *encoder, const ZcCodecOptions *options)
{
  opus_int32 bitrate = options->bitrate_bps == 0 ? OPUS_AUTO : (opus_int32) CLAMP (options->bitrate_bps, 6000, 510000);

  if (opus_encoder_ctl (encoder, OPUS_SET_BITRATE (bitrate)) != OPUS_OK)
    return "bitrate";
  /* Speech: biases the mode decision toward SILK/hybrid, where FEC lives. */
  if (opus_encoder_ctl (encoder, OPUS_SET_SIGNAL (OPUS_SIGNAL_VOICE)) != OPUS_OK)
    return "signal";
  if (opus_encoder_ctl (encoder, OPUS_SET_INBAND_FEC (options->inband_fec ? 1 : 0)) != OPUS_OK)
    return "in-band FEC";
  if (opus_encoder_ctl (encoder, OPUS_SET_PACKET_LOSS_PERC ((opus_int32) MIN (options->expected_loss_pct, 100u)))
      != OPUS_OK)
    return "expected packet loss";
  if (opus_encoder_ctl (encoder, OPUS_SET_DTX (options->dtx ? 1 : 0)) != OPUS_OK)
    return "DTX";
  if (options->complexity >= 0
      && opus_encoder_ctl (encoder, OPUS_SET_COMPLEXITY (MIN (options->complexity, 10))) != OPUS_OK)
    return "complexity";
  return NULL;
}

ZcCodecInstance *
zc_codec_opus_new (guint channels, const ZcCodecOptions *options, GError **error)
{
  ZcOpus *self = g_new0 (ZcOpus, 1);
  guint rate = options->opus_pcm_rate != 0 ? options->opus_pcm_rate : OPUS_RATE;
  const char *failed;
  int err;

  /* @channels is what the SDP says the stream may carry; we send and play
   * mono either way (see the top of this file). */
  (void) channels;
  self->parent.klass = &opus_class;
  self->parent.pcm_rate = rate;
  self->samples_2_5_ms = rate / 400;
  self->dtx = options->dtx;

  self->encoder = opus_encoder_create ((opus_int32) rate, 1, OPUS_APPLICATION_VOIP, &err);
  if (self->encoder == NULL) {
    g_set_error (error, ZC_CODEC_ERROR, ZC_CODEC_ERROR_FAILED, "cannot create the Opus encoder (%s)",
                 opus_strerror (err));
    goto out;
  }
  failed = configure_encoder (self->encoder, options);
  if (failed != NULL) {
    g_set_error (error, ZC_CODEC_ERROR, ZC_CODEC_ERROR_FAILED, "cannot set the Opus encoder's %s", failed);
    goto out;
  }

  self->decoder = opus_decoder_create ((opus_int32) rate, 1, &err);
  if (self->decoder == NULL) {
    g_set_error (error, ZC_CODEC_ERROR, ZC_CODEC_ERROR_FAILED, "cannot create the Opus decoder (%s)",
                 opus_strerror (err));
    goto out;
  }
  return &self->parent;

out:
  opus_free (&self->parent);
  return NULL;
}
