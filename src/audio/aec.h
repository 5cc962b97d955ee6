/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Echo cancellation and capture clean-up for one call: speexdsp's MDF echo
 * canceller followed by its preprocessor (residual echo suppression, noise
 * suppression, optional AGC, and a voice activity decision for DTX).
 *
 * Mono int16, one 10 ms frame at a time (zc_aec_get_frame_size() samples)
 * at one rate for both directions: resample first, so that capture and the
 * playback reference run at the same rate from the same clock.
 *
 * Created and freed off the real-time path; zc_aec_process() and
 * zc_aec_reset() neither allocate, lock nor log.  A frame the canceller
 * would make louder than the microphone frame goes out uncancelled, and a
 * filter that keeps doing so is reset (a divergence guard, aec.c).
 *
 * Lining the playback reference up with capture
 * ---------------------------------------------
 * The canceller models the echo in a capture frame as a linear filter, at
 * most tail-ms long, over the playback reference it is given with that
 * frame.  The filter is causal: the reference must reach the canceller no
 * later than its echo does, and the echo must come within tail-ms of it.
 * So the audio thread does what PipeWire's module-echo-cancel does with
 * its separate capture and sink rings:
 *
 *  - every sample it writes to the playback device it also writes to a
 *    reference ZcRing (audio/ring.h) -- the exact samples, after any
 *    resampling or mixing of tones, because the echo is of what was played,
 *    not of what the codec decoded;
 *  - the ring is primed with D samples of silence, D being the delay from
 *    "written to the playback device" to "read back from the capture
 *    device": the playback buffer fill (snd_pcm_delay() at write time) plus
 *    the capture buffer's latency, minus a safety margin of a few
 *    milliseconds so jitter in the device buffers never makes the
 *    reference late (an early reference only costs a little of the tail);
 *  - for each capture frame it reads one frame from the reference ring and
 *    calls zc_aec_process() with the pair.
 *
 * What is left -- the acoustic path, the converters' and the margin's few
 * milliseconds -- must fit in tail-ms (200 ms by default covers a room and
 * generous buffer jitter).  After an xrun, a device reopen or anything
 * else that changes D, re-prime the ring and call zc_aec_reset(); a moved
 * microphone or speaker needs no call, but speexdsp re-adapts slowly
 * to a path that changes under a converged filter (about 3 s in
 * tests/unit/test-aec.c, against about 1 s after zc_aec_reset()), because
 * it takes the new echo for near-end speech and holds its step size down.  If the reference ring runs dry, pass playback = NULL (silence)
 * rather than repeat old samples: a wrong reference makes the filter
 * diverge, a missing one only pauses adaptation. */
#pragma once

#include <gio/gio.h> /* G_IO_ERROR, the domain of our errors */

typedef struct _ZcAec ZcAec;

#define ZC_AEC_FRAME_MS 10
#define ZC_AEC_DEFAULT_TAIL_MS 200
#define ZC_AEC_MIN_TAIL_MS 10
#define ZC_AEC_MAX_TAIL_MS 1000

/* [audio] echo-canceller=: which library cleans the microphone.  The
 * agent's default is webrtc (core/conf.c); a zeroed ZcAecConfig is speex. */
typedef enum {
  ZC_AEC_SPEEX = 0,  /* speexdsp's MDF and preprocessor, as described above */
  ZC_AEC_WEBRTC = 1, /* WebRTC's AEC, told the delay we estimate (aec-webrtc.h) */
} ZcAecKind;

typedef struct {
  ZcAecKind kind;        /* [audio] echo-canceller= */
  guint rate_hz;         /* 8000..48000, a multiple of 100 so 10 ms is whole samples */
  guint tail_ms;         /* [audio] echo-tail-ms=; 0 means ZC_AEC_DEFAULT_TAIL_MS */
  gboolean echo_cancel;  /* [audio] echo-cancel=; FALSE: no canceller, the reference is ignored */
  gboolean denoise;      /* [audio] denoise=; stationary noise suppression */
  gboolean agc;          /* [audio] agc=; automatic gain control */
} ZcAecConfig;

/* The result of one frame's voice activity decision. */
typedef enum {
  ZC_AEC_VAD_SILENCE = 0, /* nothing but noise or residual echo: DTX may skip it */
  ZC_AEC_VAD_SPEECH = 1,
} ZcAecVad;

/* Returns NULL with @error set (G_IO_ERROR_INVALID_ARGUMENT) on a bad
 * configuration. */
ZcAec *zc_aec_new (const ZcAecConfig *config, GError **error);
void zc_aec_free (ZcAec *aec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcAec, zc_aec_free)

/* Samples per frame: rate_hz / 100. */
guint zc_aec_get_frame_size (const ZcAec *aec);

/* Real-time safe.  Clean one frame: @capture is what the microphone
 * recorded, @playback the reference lined up with it as described above
 * (NULL: nothing was played), @out receives the cleaned frame (it may be
 * @capture itself).  All three hold zc_aec_get_frame_size() samples.
 * Returns whether the cleaned frame holds speech. */
ZcAecVad zc_aec_process (ZcAec *aec, const gint16 *capture, const gint16 *playback, gint16 *out);

/* Real-time safe.  Forget the learned echo path, for when the delay
 * between reference and capture changed (device reopened, xrun, ring
 * re-primed); the noise estimate is kept.  With ZC_AEC_WEBRTC only
 * counted: its delay estimate (aec-webrtc.h) finds the moved echo again
 * within a second, and WebRTC keeps the filter it learned, where a reset
 * would throw away seconds of adaptation (xruns come every few seconds
 * under load).  Starting the estimate afresh instead would leave it
 * without one for the 0.8 s its window takes to fill, every time. */
void zc_aec_reset (ZcAec *aec);

/* How many times zc_aec_reset() was called; for statistics.  Read it on
 * the thread that calls zc_aec_process(). */
guint zc_aec_get_reset_count (const ZcAec *aec);

/* How many frames went out uncancelled because the canceller would have
 * made them louder (its divergence guard); for statistics, same thread. */
guint zc_aec_get_diverged_frames (const ZcAec *aec);

/* The canceller's own estimate of its echo return loss enhancement, dB,
 * and of the reference-to-echo delay it works with, ms (WebRTC only: -100
 * and -1 otherwise).  Not real-time safe: call from the audio thread
 * between frames, or not at all while it runs. */
gint zc_aec_get_erle_db (ZcAec *aec);
gint zc_aec_get_delay_ms (ZcAec *aec);

/* "webrtc" or "speex". */
const gchar *zc_aec_kind_to_string (ZcAecKind kind);
