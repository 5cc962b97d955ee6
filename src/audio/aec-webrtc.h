/* SPDX-License-Identifier: GPL-3.0-or-later */
/* WebRTC's audio processing (libwebrtc-audio-processing 0.3, the module
 * PipeWire's echo-cancel uses) behind a small C API, for audio/aec.c's
 * [audio] echo-canceller=webrtc.  The canceller is WebRTC's AEC with the
 * extended filter, told the delay between the reference and its echo, which
 * we estimate from the two signals and follow when it moves (xruns,
 * re-priming, a sound server that resamples, a path that changes), what
 * speexdsp's MDF cannot -- see README, "Echo cancellation".
 *
 * Mono int16, 10 ms frames, rate 8000, 16000, 32000 or 48000 Hz.
 * zc_aec_webrtc_process() is what the audio thread calls; it takes no lock
 * of ours and logs nothing. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _ZcAecWebrtc ZcAecWebrtc;

/* Returns NULL when the library refuses the configuration (an unsupported
 * rate).  @echo_cancel FALSE: noise suppression and VAD only. */
ZcAecWebrtc *zc_aec_webrtc_new (guint rate_hz, gboolean echo_cancel, gboolean denoise, gboolean agc);
void zc_aec_webrtc_free (ZcAecWebrtc *w);

/* One frame: @capture (the microphone) with @playback (the reference lined
 * up with it, or NULL: nothing played) into @out (may be @capture).
 * Returns whether @out holds voice. */
gboolean zc_aec_webrtc_process (ZcAecWebrtc *w, const gint16 *capture, const gint16 *playback, gint16 *out);

/* The canceller's own echo return loss enhancement estimate, dB (its
 * metrics, averaged over the last seconds); -100 when it has none. */
gint zc_aec_webrtc_get_erle_db (ZcAecWebrtc *w);

/* The delay between reference and echo found (and reported to WebRTC), ms;
 * -1 when none yet. */
gint zc_aec_webrtc_get_delay_ms (ZcAecWebrtc *w);

G_END_DECLS
