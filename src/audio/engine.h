/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The real-time audio engine of one call (or one capture/playback device
 * pair): ALSA capture -> resampler -> echo canceller -> "to network" ring,
 * and "from network" ring -> resampler -> ALSA playback.
 *
 * Threads
 * -------
 *  - the audio thread (SCHED_FIFO when the process may, else normal
 *    priority) runs the loop.  It neither allocates, locks nor logs: every
 *    buffer is allocated before it gets it, and it reports through the
 *    atomic counters and status below.  (ALSA plugins underneath may lock:
 *    the pulse plugin takes its own mainloop lock; a hw: device does not.)
 *  - a device thread (normal priority) opens and configures devices, and
 *    closes the ones the audio thread gave up on.  Opening a PCM allocates
 *    and may block (connecting to a sound server), so it never happens on
 *    the audio thread: an opened device, with its buffers and resampler,
 *    is handed over through an atomic pointer, and a failed one handed
 *    back the same way.  A device that cannot be opened is retried every
 *    retry_ms while the other direction keeps running.
 *  - the caller's thread (the media side) is the consumer of to_network
 *    and the producer of from_network, and polls the counters.
 *
 * Pacing: a monotonic clock ticks every period_ms; each tick reads all the
 * capture device has and tops the playback buffer up to all but one
 * period, so each direction runs at its own device's clock and either may
 * stall, vanish or come back without the other noticing.  (Not the
 * devices' poll descriptors: with the pulse plugin, snd_pcm_wait() can
 * spin inside alsa-lib for a second, ignoring its timeout.)  to_network
 * gets the capture (silence at the playback clock, or the tick clock,
 * when there is no capture device) and from_network is consumed at the
 * playback clock (or drained at the capture / tick clock without a
 * playback device), so the media side sees a steady clock whatever the
 * devices do.
 *
 * Echo reference: the exact codec-rate samples sent to the playback device
 * go into a reference ring primed with the playback delay (aec.h), and
 * each capture frame is cleaned with the frame it reads from there.  After
 * an xrun or a reopen the ring is re-primed and the canceller reset.
 *
 * The ALSA calls themselves (open, configure, recover, read, write) are
 * in device-alsa.h; this file keeps the loop, the rings and the canceller. */
#pragma once

#include "audio/aec.h"
#include "audio/ring.h"

#include <gio/gio.h>

typedef struct _ZcAudioEngine ZcAudioEngine;

typedef enum {
  ZC_AUDIO_CAPTURE = 0,
  ZC_AUDIO_PLAYBACK = 1,
} ZcAudioDirection;

#define ZC_AUDIO_N_DIRECTIONS 2
#define ZC_AUDIO_NO_DEVICE "none"
#define ZC_AUDIO_DEFAULT_RATE_HZ 48000
#define ZC_AUDIO_DEFAULT_PERIOD_MS 10
#define ZC_AUDIO_DEFAULT_RETRY_MS 1000
#define ZC_AUDIO_DEFAULT_RT_PRIORITY 20 /* SCHED_FIFO 1..99; PipeWire's data loop uses 88 */

typedef struct {
  const gchar *capture_device;  /* ALSA PCM name, [audio] capture-device=; NULL: "default";
                                 * "none": no device */
  const gchar *playback_device; /* [audio] playback-device=; NULL: "default" */
  guint codec_rate_hz;          /* rate of the two rings and the echo canceller; 0: 48000 */
  guint device_rate_hz;         /* rate asked of the devices (they may choose another, then the
                                 * resampler converts); 0: codec_rate_hz */
  guint period_ms;              /* device period; 0: 10 */
  guint retry_ms;               /* reopen interval of a missing device; 0: 1000 */
  gint rt_priority;             /* SCHED_FIFO priority; 0: default, < 0: do not ask */
  ZcAecConfig aec;              /* rate_hz is ignored (codec_rate_hz is used) */
  ZcRing *to_network;           /* engine produces cleaned capture here (codec rate) */
  ZcRing *from_network;         /* engine consumes playback from here (codec rate) */
  const gchar *call_id;         /* its log lines start "call <id>: "; NULL: a bare line */
} ZcAudioEngineConfig;

/* One direction's device, as the main thread sees it. */
typedef struct {
  ZcAudioDirection direction;
  const gchar *device;   /* the configured PCM name, owned by the engine */
  gboolean open;         /* the audio thread is running it now */
  gint error;            /* 0, or the negative errno (snd_strerror()) of the last failure to open
                          * it or of its disappearance; cleared when it is running again */
  guint rate_hz;         /* rate the device accepted, 0 until first opened */
  guint period_frames;   /* period the device accepted */
  guint64 opens;         /* successful opens, the first one included */
  guint64 open_failures; /* failed attempts */
  guint64 xruns;         /* -EPIPE / -ESTRPIPE recovered */
  guint64 failures;      /* times it failed while running and was given up on */
} ZcAudioDeviceStatus;

typedef struct {
  guint64 periods;           /* loop iterations (clock ticks of period_ms) */
  guint64 frames_sent;       /* codec frames written to to_network */
  guint64 to_network_overflows; /* samples to_network had no room for (media side too slow) */
  guint64 underruns;         /* playback frames padded with silence: from_network ran dry */
  guint64 playback_periods;  /* periods written to the playback device */
  guint64 reference_misses;  /* capture frames cleaned without a reference (ring dry) */
  guint64 playback_trimmed;  /* samples of from_network dropped to keep the delay down */
  guint64 playback_backlog_samples; /* from_network's fill before each read, summed ... */
  guint64 playback_backlog_reads;   /* ... over this many reads: the mean is delay */
  guint64 aec_resets;        /* re-primings of the reference after an xrun / reopen */
  guint64 aec_guarded_frames; /* speex: frames its divergence guard sent uncancelled */
  gint aec_delay_ms;         /* webrtc: reference-to-echo delay it found, -1: none yet */
  gint aec_erle_db;          /* webrtc: its own ERLE estimate, -100: none */
  gboolean realtime;         /* the audio thread got SCHED_FIFO */
  gboolean running;          /* the audio thread is alive */
} ZcAudioEngineStats;

/* Check @config and start the threads; the device thread opens both
 * devices at once (a device that fails to open is not an error: it is
 * reported in its status and retried).  A device named "none" is never
 * opened: that direction runs on the clock alone.  Returns NULL with @error set on a bad configuration or when a
 * thread cannot be created.  The rings are borrowed and must outlive the
 * engine. */
ZcAudioEngine *zc_audio_engine_start (const ZcAudioEngineConfig *config, GError **error);

/* Stop (atomic flag), join both threads, close the devices, free.  NULL is
 * allowed. */
void zc_audio_engine_stop (ZcAudioEngine *engine);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcAudioEngine, zc_audio_engine_stop)

/* Any thread; lock-free snapshots of atomics (each field is exact, the
 * set need not be from one instant). */
void zc_audio_engine_get_status (ZcAudioEngine *engine, ZcAudioDirection direction, ZcAudioDeviceStatus *status);
void zc_audio_engine_get_stats (ZcAudioEngine *engine, ZcAudioEngineStats *stats);

/* The device worst off, for a one-line report: returns FALSE when both are
 * running, else TRUE with the direction and error of the first one
 * (capture first) that is not running; *error is 0 when that device has
 * not failed but is not running yet (opened, not yet taken up by the
 * audio thread). */
gboolean zc_audio_engine_get_error (ZcAudioEngine *engine, ZcAudioDirection *direction, gint *error);

const gchar *zc_audio_direction_to_string (ZcAudioDirection direction);
