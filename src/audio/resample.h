/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Sample-rate conversion of mono int16 audio between the device rate and
 * the codec rate (44100 <-> 48000, 48000 <-> 8000, 16000 <-> 48000, ...),
 * through speexdsp's resampler.
 *
 * One ZcResampler converts one direction of one stream.  It is created and
 * freed off the real-time path; zc_resampler_process() neither allocates,
 * locks nor logs, so the audio thread may call it once per period.  The
 * largest input it will be given per call is fixed at creation, which
 * fixes the largest output (zc_resampler_get_max_out()), so the caller can
 * size its buffers once.
 *
 * The converter is a windowed-sinc filter: its output lags its input by
 * zc_resampler_get_latency() output samples (about a millisecond at the
 * VoIP quality), which the echo canceller's alignment must count when one
 * of its two paths is resampled and the other is not.  The filter starts
 * from silence rather than skipping its first outputs, so the output count
 * is exactly the rate ratio and the delay is constant from the first
 * sample. */
#pragma once

#include <gio/gio.h> /* G_IO_ERROR, the domain of our errors */

typedef struct _ZcResampler ZcResampler;

/* speexdsp quality, 0 (cheapest) to 10 (best).  3 is speexdsp's own
 * SPEEX_RESAMPLER_QUALITY_VOIP: a short filter whose aliasing stays below
 * what a speech codec adds. */
#define ZC_RESAMPLER_QUALITY_MIN 0
#define ZC_RESAMPLER_QUALITY_MAX 10
#define ZC_RESAMPLER_QUALITY_VOIP 3

/* @in_rate_hz and @out_rate_hz between 8000 and 192000; @max_in_samples > 0
 * is the largest count any call to zc_resampler_process() will pass.  With
 * equal rates the resampler is a plain copy.  Returns NULL with @error set
 * (G_IO_ERROR_INVALID_ARGUMENT) on bad arguments. */
ZcResampler *zc_resampler_new (guint in_rate_hz, guint out_rate_hz, gint quality, guint max_in_samples,
                               GError **error);
void zc_resampler_free (ZcResampler *resampler);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcResampler, zc_resampler_free)

/* Room the output buffer needs for one call of up to max_in_samples. */
guint zc_resampler_get_max_out (const ZcResampler *resampler);

/* Filter delay, in output samples. */
guint zc_resampler_get_latency (const ZcResampler *resampler);

/* Real-time safe.  Converts all @n_in samples of @in (n_in <=
 * max_in_samples) into @out, which has room for zc_resampler_get_max_out()
 * samples, and returns the number written.  The output count varies by one
 * from call to call as the fractional phase advances, but over any stretch
 * it is n_in * out_rate / in_rate to within one sample.  Returns 0 and
 * writes nothing if @n_in exceeds max_in_samples: a caller bug, reported
 * without logging because this runs on the audio thread. */
guint zc_resampler_process (ZcResampler *resampler, const gint16 *in, guint n_in, gint16 *out);

/* Forget the filter history (after an xrun or a device reopen), so stale
 * samples do not bleed into the new stream.  Real-time safe. */
void zc_resampler_reset (ZcResampler *resampler);
