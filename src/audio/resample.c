/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "audio"

#include "config.h"

#include "audio/resample.h"

#include <speex/speex_resampler.h>

#include <string.h>

struct _ZcResampler {
  SpeexResamplerState *speex; /* NULL when the rates are equal */
  guint in_rate_hz;
  guint out_rate_hz;
  guint max_in;
  guint max_out;
};

ZcResampler *
zc_resampler_new (guint in_rate_hz, guint out_rate_hz, gint quality, guint max_in_samples, GError **error)
{
  ZcResampler *resampler;

  if (in_rate_hz < 8000 || in_rate_hz > 192000 || out_rate_hz < 8000 || out_rate_hz > 192000) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "resampler: rate %u -> %u Hz is outside 8000..192000 Hz", in_rate_hz, out_rate_hz);
    return NULL;
  }
  if (quality < ZC_RESAMPLER_QUALITY_MIN || quality > ZC_RESAMPLER_QUALITY_MAX) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "resampler: quality %d is outside %d..%d", quality, ZC_RESAMPLER_QUALITY_MIN,
                 ZC_RESAMPLER_QUALITY_MAX);
    return NULL;
  }
  /* One second of input is far more than a period; the bound keeps
   * max_in * out_rate inside 64 bits with room to spare. */
  if (max_in_samples == 0 || max_in_samples > in_rate_hz) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "resampler: frame of %u samples is outside 1..%u", max_in_samples, in_rate_hz);
    return NULL;
  }

  resampler = g_new0 (ZcResampler, 1);
  resampler->in_rate_hz = in_rate_hz;
  resampler->out_rate_hz = out_rate_hz;
  resampler->max_in = max_in_samples;
  /* The phase carried between calls can add one sample to the exact
   * ratio's ceiling; one more is slack against rounding inside speexdsp. */
  resampler->max_out = (guint) (((guint64) max_in_samples * out_rate_hz + in_rate_hz - 1) / in_rate_hz) + 2;

  if (in_rate_hz != out_rate_hz) {
    int err = RESAMPLER_ERR_SUCCESS;

    resampler->speex = speex_resampler_init (1, in_rate_hz, out_rate_hz, quality, &err);
    if (resampler->speex == NULL) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "resampler: cannot convert %u -> %u Hz (%s)",
                   in_rate_hz, out_rate_hz, speex_resampler_strerror (err));
      g_free (resampler);
      return NULL;
    }
  }
  return resampler;
}

void
zc_resampler_free (ZcResampler *resampler)
{
  if (resampler == NULL)
    return;
  if (resampler->speex != NULL)
    speex_resampler_destroy (resampler->speex);
  g_free (resampler);
}

guint
zc_resampler_get_max_out (const ZcResampler *resampler)
{
  return resampler->max_out;
}

guint
zc_resampler_get_latency (const ZcResampler *resampler)
{
  if (resampler->speex == NULL)
    return 0;
  return (guint) speex_resampler_get_output_latency (resampler->speex);
}

guint
zc_resampler_process (ZcResampler *resampler, const gint16 *in, guint n_in, gint16 *out)
{
  spx_uint32_t in_len = n_in, out_len = resampler->max_out;

  if (n_in > resampler->max_in)
    return 0;
  if (resampler->speex == NULL) {
    memcpy (out, in, n_in * sizeof (gint16));
    return n_in;
  }
  /* With max_out of room speexdsp consumes the whole input in one call
   * (in_len comes back equal to n_in); it keeps the filter tail itself. */
  speex_resampler_process_int (resampler->speex, 0, in, &in_len, out, &out_len);
  return out_len;
}

void
zc_resampler_reset (ZcResampler *resampler)
{
  if (resampler->speex == NULL)
    return;
  speex_resampler_reset_mem (resampler->speex);
}
