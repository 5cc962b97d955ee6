/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One ALSA PCM of the audio engine (engine.h): opened and configured on
 * the engine's device thread, with every buffer the audio thread needs to
 * run it, then read, written and recovered from the audio thread.  The
 * engine keeps the loop, the rings and the canceller; the PCM calls are
 * all here, so nothing else of the engine knows ALSA.
 *
 * zc_audio_device_open() and _free() allocate and may block (a sound
 * server's handshake): never on the audio thread.  The others neither
 * allocate, lock (ALSA plugins underneath may: engine.h) nor log. */
#pragma once

#include "audio/engine.h"
#include "audio/resample.h"
#include "audio/ring.h"

#include <glib.h>

/* Device buffer, in periods.  Playback is topped up to all but one
 * period (the engine's loop_playback()): enough to ride out one late
 * wake-up, little enough for a mouth-to-ear budget of about 60 ms (a
 * desk phone's).  Not less: the pulse plugin sets PulseAudio's prebuf to
 * buffer - period, and a stream kept below prebuf never (re)starts after
 * an underrun. */
#define ZC_AUDIO_DEVICE_BUFFER_PERIODS 3
/* A suspended device (-ESTRPIPE) is asked to resume once per tick, this
 * many times (a second at 10 ms), before it is prepared afresh: the old
 * loop slept on the audio thread for that second instead. */
#define ZC_AUDIO_DEVICE_RESUME_ATTEMPTS 100

typedef struct _ZcAudioDevice {
  struct _snd_pcm *pcm;       /* snd_pcm_t */
  ZcAudioDirection direction;
  guint rate_hz;
  gulong period;              /* frames */
  gulong buffer;              /* frames */
  ZcResampler *resampler;     /* capture: device -> codec; playback: codec -> device */
  gint16 *buf;                /* one period, device rate */
  gint16 *resampled;          /* resampler output */
  ZcRing *ring;               /* capture: codec-rate samples not yet framed;
                               * playback: device-rate samples not yet written */
  guint resume_attempts;      /* audio thread: ticks a suspended device refused to resume */
} ZcAudioDevice;

typedef struct {
  const char *name;           /* ALSA PCM name */
  ZcAudioDirection direction;
  guint rate_hz;              /* asked of the device; it may choose another */
  guint period_ms;
  guint codec_rate_hz;        /* the engine's side of the resampler */
  guint frame;                /* codec samples the engine moves at a time */
  const char *log_prefix;     /* "call 3: " or "" */
} ZcAudioDeviceConfig;

/* Routes alsa-lib's own error lines to the debug log (once per process). */
void zc_audio_device_quiet_alsa (void);

/* Returns the prepared device, or NULL with *@error_out a negative errno. */
ZcAudioDevice *zc_audio_device_open (const ZcAudioDeviceConfig *config, int *error_out);
/* Drops what is buffered, closes, frees.  NULL is allowed. */
void zc_audio_device_free (ZcAudioDevice *device);

const char *zc_audio_device_strerror (int err);

/* Audio thread.  Negative errno on failure, as ALSA's. */
int zc_audio_device_start (ZcAudioDevice *device);
/* Recovers from @err (an xrun or a suspend): 0 when the device runs again
 * (a capture device restarted), -EAGAIN when a suspended device does not
 * resume yet (call again on a later tick: this never sleeps; after
 * ZC_AUDIO_DEVICE_RESUME_ATTEMPTS calls it is prepared afresh instead),
 * else the error that made it unusable. */
int zc_audio_device_recover (ZcAudioDevice *device, int err);
/* Frames that may be read or written now. */
glong zc_audio_device_avail (ZcAudioDevice *device);
/* Frames until what is written now is heard; negative on failure. */
glong zc_audio_device_get_delay (ZcAudioDevice *device);
/* Reads up to @frames (at most a period) into device->buf. */
glong zc_audio_device_read (ZcAudioDevice *device, gulong frames);
/* Writes one period from device->buf. */
glong zc_audio_device_write_period (ZcAudioDevice *device);
