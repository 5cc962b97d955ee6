/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The codec front end: instances created by name, options, and dispatch
 * to the backends (codec-g711.c, codec-g722.c, codec-opus.c). */
#define G_LOG_DOMAIN "media"

#include "config.h"

#include "media/codec.h"

#include <errno.h>
#include <string.h>

G_DEFINE_QUARK (zc-codec-error-quark, zc_codec_error)

/* zc_codec_options_init() is in codec-options.c: the core fills the
 * options before the media module is loaded. */

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

  if (g_ascii_strcasecmp (name, "G722") == 0) {
    /* RFC 3551 4.5.2: G722/8000 in SDP and on the RTP clock, whatever its
     * 16 kHz sampling; mono. */
    if ((clock_rate != 0 && clock_rate != 8000) || channels > 1) {
      g_set_error (error, ZC_CODEC_ERROR, ZC_CODEC_ERROR_UNSUPPORTED,
                   "codec %s/%u/%u is not supported (G.722 is G722/8000 mono)", name, clock_rate, channels);
      return NULL;
    }
    return zc_codec_g722_new (error);
  }

  if (g_ascii_strcasecmp (name, "opus") == 0) {
    /* RFC 7587 7: always opus/48000/2 in SDP. */
    if ((clock_rate != 0 && clock_rate != 48000) || channels > 2) {
      g_set_error (error, ZC_CODEC_ERROR, ZC_CODEC_ERROR_UNSUPPORTED,
                   "codec opus/%u/%u is not supported (Opus is opus/48000/2)", clock_rate, channels);
      return NULL;
    }
    switch (options->opus_pcm_rate) {
    case 0:
    case 8000:
    case 12000:
    case 16000:
    case 24000:
    case 48000:
      break;
    default:
      g_set_error (error, ZC_CODEC_ERROR, ZC_CODEC_ERROR_UNSUPPORTED,
                   "Opus cannot run at %u Hz (8000, 12000, 16000, 24000 or 48000)", options->opus_pcm_rate);
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
  return instance->pcm_rate != 0 ? instance->pcm_rate : instance->klass->pcm_rate;
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


guint
zc_codec_adapt_expected_loss (guint configured_pct, double reported_pct)
{
  guint want = configured_pct;

  if (reported_pct > 0)
    want = MAX (want, (guint) MIN (reported_pct + 0.999, (double) ZC_CODEC_MAX_EXPECTED_LOSS_PCT));
  return MIN (want, 100u);
}

int
zc_codec_force_dtx (ZcCodecInstance *instance, gboolean on)
{
  if (instance == NULL)
    return -EINVAL;
  if (instance->klass->force_dtx == NULL)
    return -ENOTSUP;
  return instance->klass->force_dtx (instance, on);
}

