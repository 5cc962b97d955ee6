/* SPDX-License-Identifier: GPL-3.0-or-later */
/* G.722 (ITU-T G.722, 64 kbit/s SB-ADPCM) through spandsp, for RTP as
 * RFC 3551 4.5.2 describes it: wideband speech (50-7000 Hz) for desk
 * phones that have no Opus.
 *
 * The clock-rate quirk: G.722 samples at 16 kHz, but RFC 3551 4.5.2 fixed
 * its RTP clock at 8000 Hz "for historical reasons" (an error in RFC 1890
 * that every implementation now keeps), and SDP says G722/8000.  So the
 * PCM rate at codec.h is 16000 while the RTP timestamp advances 8000 per
 * second: a 20 ms frame is 320 samples, 160 bytes (4 bits per sample) and
 * 160 timestamp units.
 *
 * spandsp's coder is bit exact with the ITU test vectors and is the one
 * baresip and Asterisk ship.  Its encoder and decoder keep their state in
 * the structures allocated here and take no locks; the packet loss
 * concealment is spandsp's pitch-repeating plc_fillin() (its buffers live
 * in this instance), so the per-frame functions obey codec.h's real-time
 * rules. */
#define G_LOG_DOMAIN "media"

#include "config.h"

#include "media/codec.h"

#include <errno.h>
#include <stdint.h>

/* Not <spandsp.h>: the umbrella header drags in libtiff's for the fax
 * parts. */
#include <spandsp/telephony.h>
#include <spandsp/g722.h>
#include <spandsp/plc.h>

#define G722_PCM_RATE 16000
#define G722_RTP_CLOCK 8000 /* RFC 3551 4.5.2 */
#define G722_BITRATE 64000  /* the only mode RFC 3551 payload type 9 carries */

typedef struct {
  ZcCodecInstance parent;
  g722_encode_state_t *encoder;
  g722_decode_state_t *decoder;
  plc_state_t plc;
} ZcG722;

static int
g722_encode_frame (ZcCodecInstance *instance, const gint16 *pcm, guint samples, guint8 *out, gsize out_size)
{
  ZcG722 *self = (ZcG722 *) instance;

  /* Two samples make one byte at 64 kbit/s (4 bits per 16 kHz sample, the
   * two sub-bands together); an odd count would leave half a byte. */
  if (samples % 2 != 0)
    return -EINVAL;
  if (out_size < samples / 2)
    return -ENOBUFS;
  return g722_encode (self->encoder, out, pcm, (int) samples);
}

static int
g722_decode_frame (ZcCodecInstance *instance, const guint8 *payload, gsize len, gint16 *pcm, guint max_samples)
{
  ZcG722 *self = (ZcG722 *) instance;
  int n;

  if (len > max_samples / 2)
    return -ENOBUFS;
  n = g722_decode (self->decoder, pcm, payload, (int) len);
  if (n < 0)
    return -EBADMSG;
  /* Remember the good audio: what plc_fillin() repeats. */
  plc_rx (&self->plc, pcm, n);
  return n;
}

static int
g722_conceal (ZcCodecInstance *instance, gint16 *pcm, guint samples)
{
  ZcG722 *self = (ZcG722 *) instance;

  /* Repeats the last pitch period with an overlap-add at the seams and
   * fades it out; before any packet, silence.  spandsp counts in samples
   * tuned for 8 kHz, so at 16 kHz the fade reaches silence after 25 ms
   * (not 50) and the pitch search spans 133-400 Hz (not 66-200): a low
   * voice repeats twice its period, still smoother than zeros. */
  return plc_fillin (&self->plc, pcm, (int) samples);
}

static void
g722_free (ZcCodecInstance *instance)
{
  ZcG722 *self = (ZcG722 *) instance;

  if (self->encoder != NULL)
    g722_encode_free (self->encoder);
  if (self->decoder != NULL)
    g722_decode_free (self->decoder);
  g_free (self);
}

static const ZcCodecClass g722_class = {
  .name = "G722",
  .pcm_rate = G722_PCM_RATE,
  .rtp_clock_rate = G722_RTP_CLOCK,
  .encode = g722_encode_frame,
  .decode = g722_decode_frame,
  .conceal = g722_conceal,
  .decode_fec = NULL,
  .set_expected_loss = NULL,
  .free = g722_free,
};

ZcCodecInstance *
zc_codec_g722_new (GError **error)
{
  ZcG722 *self = g_new0 (ZcG722, 1);

  self->parent.klass = &g722_class;
  /* Options 0: 16 kHz PCM, one 8-bit code word per byte (unpacked), as
   * RFC 3551 4.5.2 puts them in the payload. */
  self->encoder = g722_encode_init (NULL, G722_BITRATE, 0);
  self->decoder = g722_decode_init (NULL, G722_BITRATE, 0);
  if (self->encoder == NULL || self->decoder == NULL) {
    g_set_error (error, ZC_CODEC_ERROR, ZC_CODEC_ERROR_FAILED, "cannot create the G.722 encoder and decoder");
    g722_free (&self->parent);
    return NULL;
  }
  plc_init (&self->plc);
  return &self->parent;
}
