/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The real-time audio engine of one capture/playback device pair, shared
 * by every call that uses that pair:
 *
 *   ALSA capture -> resampler -> echo canceller --+--> port 1 to_network
 *                                                 +--> port 2 to_network ...
 *   port 1 from_network --+
 *   port 2 from_network --+-> mix (saturating) -> reference -> resampler
 *                                                   -> ALSA playback
 *
 * Engines and ports
 * -----------------
 * zc_audio_engine_acquire() finds the engine of a device pair or starts
 * it, and counts a reference; zc_audio_engine_release() drops one, and
 * the last release closes the devices ZC_AUDIO_ENGINE_LINGER_MS later
 * (so that the next call, or a held call's resume, does not reopen
 * them).  A call attaches to it as a PORT (zc_audio_port_new()): a pair
 * of rings at the call's PCM rate.  The cleaned capture goes to every
 * port's to_network ring (silence when the port is muted,
 * zc_audio_port_set_muted()), and every port's from_network ring is
 * mixed into the playback.  The echo canceller's reference is that mix,
 * exactly what the device plays: with two calls mixed (a conference),
 * each party's voice is cancelled from what the microphone picks up.
 * A port whose rate is not the engine's has its own resamplers.
 *
 * Conference (zc_audio_port_set_conference()): ports given the same
 * group number send the capture plus the other members' from_network
 * audio (at the engine rate, saturated), so each remote party hears us
 * and the others; the playback mix already lets us hear them all, and the
 * canceller's reference stays that mix.  Each from_network is still read
 * once per period: the frame the mix pulled is kept for the members'
 * next capture frame (engine-conf.c).  Without a capture device the
 * members get silence alone, as other ports do.
 *
 * Ports come and go on the main thread without a lock on the audio
 * side: a fixed array of ZC_AUDIO_MAX_PORTS slots, each an atomic
 * pointer the main thread stores and the audio thread loads once per
 * tick.  The audio thread counts its ticks (an atomic epoch); a port
 * taken out of its slot at epoch E is freed once the epoch has passed E
 * (or the thread has stopped), by a main-loop timeout, never by the audio
 * thread and never while it may still be reading the port.
 *
 * Threads
 * -------
 *  - the audio thread (SCHED_FIFO when the process may, else normal
 *    priority) runs the loop.  It neither allocates, locks, logs nor
 *    sleeps (except for its own tick): every buffer is allocated before
 *    it gets it, a suspended device is asked to resume once per tick
 *    instead of waited for, and it reports through the atomic counters
 *    and status below.  (ALSA plugins underneath may lock: the pulse
 *    plugin takes its own mainloop lock; a hw: device does not.)
 *  - a device thread (normal priority) opens and configures devices, and
 *    closes the ones the audio thread gave up on.  Opening a PCM allocates
 *    and may block (connecting to a sound server), so it never happens on
 *    the audio thread: an opened device, with its buffers and resampler,
 *    is handed over through an atomic pointer, and a failed one handed
 *    back the same way.  A device that cannot be opened is retried every
 *    retry_ms while the other direction keeps running.
 *  - the main thread adds and removes ports; each call's media side is
 *    the consumer of its to_network and the producer of its from_network,
 *    and polls the counters.
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
 * Media on the devices' clocks: a port may name two eventfds.  The audio
 * thread writes the first (zc_audio_port_set_wake()) once the port's
 * to_network holds a packet's worth, so the media thread encodes and
 * sends a frame the moment it exists; it adds one to the second
 * (zc_audio_port_set_playout_clock()) for every packet's worth of the
 * port's from_network the playback device took (heard, padded with
 * silence when the ring ran dry, or drained without a device), so the
 * media thread decodes the next frame from its playout buffer when the
 * device has made room for it.  The media side then has no clock of its
 * own: sending follows the capture device, playout the playback device
 * (or, without one, whichever clock drives the port, as above).
 *
 * Echo reference: the exact codec-rate samples sent to the playback device
 * (the mix) go into a reference ring primed with the playback delay
 * (aec.h), and each capture frame is cleaned with the frame it reads from
 * there.  After an xrun or a reopen the ring is re-primed and the
 * canceller reset.
 *
 * The ALSA calls themselves (open, configure, recover, read, write) are
 * in device-alsa.h; engine.c keeps the loop and the canceller,
 * engine-port.c the ports and the table of shared engines, engine-conf.c
 * the conference groups. */
#pragma once

#include "audio/aec.h"
#include "audio/ring.h"

#include <gio/gio.h>

typedef struct _ZcAudioEngine ZcAudioEngine;
typedef struct _ZcAudioPort ZcAudioPort;

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
/* Calls attached to one engine at a time: four call slots (the core's
 * max-calls), a conference and a call waiting with room to spare. */
#define ZC_AUDIO_MAX_PORTS 8
/* A shared engine outlives its last call by this much, ms. */
#define ZC_AUDIO_ENGINE_LINGER_MS 1000
/* Each ring of a port, in samples: 170 ms at 48 kHz; the rings run near
 * empty in steady state. */
#define ZC_AUDIO_PORT_RING_SAMPLES 8192

typedef struct {
  const gchar *capture_device;  /* ALSA PCM name, [audio] capture-device=; NULL: "default";
                                 * "none": no device */
  const gchar *playback_device; /* [audio] playback-device=; NULL: "default" */
  guint codec_rate_hz;          /* rate of the mix and the echo canceller; 0: 48000 */
  guint device_rate_hz;         /* rate asked of the devices (they may choose another, then the
                                 * resampler converts); 0: codec_rate_hz */
  guint period_ms;              /* device period; 0: 10 */
  guint retry_ms;               /* reopen interval of a missing device; 0: 1000 */
  gint rt_priority;             /* SCHED_FIFO priority; 0: default, < 0: do not ask */
  ZcAecConfig aec;              /* rate_hz is ignored (codec_rate_hz is used) */
  ZcRing *to_network;           /* optional: a port over these two borrowed rings (codec rate) is */
  ZcRing *from_network;         /* attached from the start; NULL: none, add ports */
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
  guint64 frames_sent;       /* capture frames cleaned and given to the ports */
  guint64 to_network_overflows; /* samples a to_network had no room for (media side too slow), all ports */
  guint64 underruns;         /* port frames padded with silence: a from_network ran dry, all ports */
  guint64 playback_periods;  /* periods written to the playback device */
  guint64 reference_misses;  /* capture frames cleaned without a reference (ring dry) */
  guint64 capture_aligned_ms; /* capture dropped to line frames up with what the device delivers */
  guint64 playback_trimmed;  /* samples of the from_networks dropped to keep the delay down */
  guint64 playback_backlog_samples; /* a from_network's fill before each read, summed ... */
  guint64 playback_backlog_reads;   /* ... over this many reads: the mean is delay (all ports) */
  guint64 aec_resets;        /* re-primings of the reference after an xrun / reopen */
  guint64 aec_guarded_frames; /* speex: frames its divergence guard sent uncancelled */
  gint aec_delay_ms;         /* webrtc: reference-to-echo delay it found, -1: none yet */
  gint aec_erle_db;          /* webrtc: its own ERLE estimate, -100: none */
  gboolean realtime;         /* the audio thread got SCHED_FIFO */
  gboolean running;          /* the audio thread is alive */
  guint ports;               /* ports attached now */
} ZcAudioEngineStats;

/* One port's share of the above (its own rings, at its own rate). */
typedef struct {
  guint64 frames_sent;       /* 10 ms frames of capture written to its to_network */
  guint64 to_network_overflows; /* samples its to_network had no room for */
  guint64 underruns;         /* its frames padded with silence: its from_network ran dry */
  guint64 playback_trimmed;  /* samples of its from_network dropped to keep the delay down */
  guint64 playback_backlog_samples; /* its from_network's fill before each read, summed ... */
  guint64 playback_backlog_reads;   /* ... over this many reads */
  gboolean muted;
  gboolean deaf;
  gboolean attached;         /* the audio thread has run it */
} ZcAudioPortStats;

/* Check @config and start the threads of an engine of one's own (tests,
 * tools; calls share engines through zc_audio_engine_acquire()); the device thread opens both
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

/* ------------------------------------------------------------ shared engines
 * Main thread only. */

/* The running engine of @config's capture/playback pair, with one more
 * reference, or a new one started from @config (the first caller's
 * settings stay until the engine closes; to_network/from_network must be
 * NULL).  NULL with @error as zc_audio_engine_start(). */
ZcAudioEngine *zc_audio_engine_acquire (const ZcAudioEngineConfig *config, GError **error);
/* Drops a reference; the last one stops the engine
 * ZC_AUDIO_ENGINE_LINGER_MS later on the default main context, unless it
 * is acquired again meanwhile.  NULL is allowed. */
void zc_audio_engine_release (ZcAudioEngine *engine);
/* Stops every shared engine now, referenced or lingering (at exit). */
void zc_audio_engine_close_all (void);
/* Shared engines alive (referenced or lingering), for tests. */
guint zc_audio_engine_count_shared (void);

/* ------------------------------------------------------------ ports
 * Main thread only (the getters of the rings and stats excepted). */

/* Attaches a call: two new rings of ZC_AUDIO_PORT_RING_SAMPLES at
 * @rate_hz (0: the engine's rate; else 8000..192000, a multiple of 100).
 * The port takes no reference on the engine: free it before releasing.
 * NULL with @error when every slot is taken or the rate is not usable. */
ZcAudioPort *zc_audio_port_new (ZcAudioEngine *engine, guint rate_hz, GError **error);
/* The same over rings the caller made (at @rate_hz, of any size), which
 * the port owns from now on, freed with it (also when this fails).  For a
 * call whose PCM rate is known only once its rings exist. */
ZcAudioPort *zc_audio_port_new_take_rings (ZcAudioEngine *engine, guint rate_hz, ZcRing *to_network,
                                           ZcRing *from_network, GError **error);
/* Detaches: the audio thread stops using it at its next tick; the rings
 * are freed once it has (the media side must be done with them before
 * this call).  NULL is allowed. */
void zc_audio_port_free (ZcAudioPort *port);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcAudioPort, zc_audio_port_free)

/* The call's side of the rings: it reads cleaned capture from
 * to_network and writes what it plays into from_network, at the port's
 * rate.  Any thread, one consumer and one producer. */
ZcRing *zc_audio_port_get_to_network (ZcAudioPort *port);
ZcRing *zc_audio_port_get_from_network (ZcAudioPort *port);
guint zc_audio_port_get_rate (ZcAudioPort *port);
ZcAudioEngine *zc_audio_port_get_engine (ZcAudioPort *port);

/* Muted: the port's to_network gets silence (the device stays open and
 * the other ports still get the microphone).  Any thread. */
void zc_audio_port_set_muted (ZcAudioPort *port, gboolean muted);
gboolean zc_audio_port_get_muted (ZcAudioPort *port);
/* Puts the port in conference group @group (0: none): see above.  A
 * muted member still sends the others' audio.  Any thread. */
void zc_audio_port_set_conference (ZcAudioPort *port, guint group);
guint zc_audio_port_get_conference (ZcAudioPort *port);
/* Deaf: the port's from_network is still read at the device's clock but
 * not mixed into the playback (a held call's far end is not heard over
 * the active call).  Any thread. */
void zc_audio_port_set_deaf (ZcAudioPort *port, gboolean deaf);
/* A ZcTone (audio/tone.h) rendered at the engine's rate and mixed into
 * the port's playback, from the start of its cadence; -1 stops it.  The
 * call-waiting tone is heard in the call, on the call's device.  Any
 * thread. */
void zc_audio_port_set_tone (ZcAudioPort *port, int tone);
void zc_audio_port_get_stats (ZcAudioPort *port, ZcAudioPortStats *stats);

/* Capture-driven sending: the audio thread writes 1 to the eventfd @fd
 * each time it has given the port's to_network new capture and the ring
 * holds at least @samples.  The port keeps a dup() of @fd (closed with the
 * port, after the audio thread let go).  Once per port; FALSE with @error
 * otherwise. */
gboolean zc_audio_port_set_wake (ZcAudioPort *port, int fd, guint samples, GError **error);
/* Device-pulled playout: the audio thread adds to the eventfd @fd's
 * counter one for every @samples (at the port's rate) of from_network the
 * device took, so a reader's count is the frames it owes the device.  As
 * zc_audio_port_set_wake() otherwise. */
gboolean zc_audio_port_set_playout_clock (ZcAudioPort *port, int fd, guint samples, GError **error);
