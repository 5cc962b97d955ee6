/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What engine.c (threads, devices, the loop) and engine-port.c (ports and
 * the table of shared engines) both see.  Not for the rest of the tree:
 * engine.h is the interface. */
#pragma once

#include "audio/engine.h"
#include "audio/pcm-gap.h"
#include "audio/resample.h"

#include <pthread.h>
#include <stdatomic.h>

typedef struct _ZcAudioDevice ZcAudioDevice;

typedef struct {
  gchar *name;
  _Atomic (ZcAudioDevice *) ready; /* device thread -> audio thread */
  _Atomic (ZcAudioDevice *) dead;  /* audio thread -> device thread */
  atomic_bool wanted;       /* the audio thread has none: open one */
  atomic_bool open;
  atomic_int error;
  atomic_uint rate_hz;
  atomic_uint period_frames;
  _Atomic guint64 opens, open_failures, xruns, failures;
} Slot;

/* One call's attachment.  Everything below "audio thread only" is
 * touched by the audio thread alone once the port is published, and by
 * the main thread only before publication or after the audio thread has
 * acknowledged its removal (engine-port.c). */
struct _ZcAudioPort {
  ZcAudioEngine *engine;
  guint index;             /* its slot in engine->ports */
  guint rate_hz;           /* the call's PCM rate: its rings' */
  guint frame;             /* port samples per 10 ms */
  ZcRing *to_network;      /* engine -> call: cleaned capture */
  ZcRing *from_network;    /* call -> engine: what the peer says */
  gboolean owns_rings;     /* FALSE for the rings of ZcAudioEngineConfig */
  guint64 retired_epoch;   /* main thread: engine->epoch when it was unpublished */
  atomic_bool muted;
  atomic_bool deaf;        /* its playback is not mixed (a held call) */
  atomic_int tone;         /* a ZcTone mixed into its playback (call waiting), -1: none */
  atomic_bool seen;        /* the audio thread has run it at least once */
  atomic_int wake_fd;      /* eventfd written when to_network reaches wake_samples; -1: none.
                            * The port's own dup, closed only after the audio thread let go */
  atomic_uint wake_samples;
  atomic_int playout_fd;   /* eventfd counting every playout_samples the device took; -1: none.
                            * Closed as wake_fd is */
  atomic_uint playout_samples;
  atomic_uint conference;  /* zc_audio_port_set_conference(): its group, 0: none */

  /* audio thread only */
  ZcResampler *down;       /* engine rate -> port rate (capture), NULL: same rate */
  ZcResampler *up;         /* port rate -> engine rate (playback) */
  ZcRing *up_ring;         /* engine-rate playback not yet mixed */
  gint16 *in;              /* one port frame */
  gint16 *scratch;         /* resampler output */
  guint64 silence_acc, drain_acc; /* engine samples * port rate not yet sent / drained */
  guint played_acc;        /* port samples the device took, not yet counted on playout_fd */
  guint fill_min;          /* device-pulled playout: the least from_network held before a read ... */
  guint fill_reads;        /* ... over this many reads */
  ZcRing *conf_ring;       /* engine-rate playback it pulled, for its group's capture (engine-conf.c) */
  gint16 *conf_frame;      /* this capture frame's share of conf_ring */
  guint conf_group;        /* the group it was in at this capture frame */
  guint conf_splice;       /* to drop from conf_ring at its next read, blended */
  ZcPcmGap conf_gap;       /* conf_ring's shortfalls */
  ZcPcmGap playback_gap;   /* port_read()'s shortfalls */
  gint16 *tone_frame;      /* one engine frame of the tone */
  int tone_playing;        /* the tone last rendered, -1: none */
  guint64 tone_position;   /* engine samples of it rendered since it started */

  _Atomic guint64 frames_sent, to_network_overflows, underruns, playback_trimmed, playback_backlog_samples,
    playback_backlog_reads;
};

struct _ZcAudioEngine {
  Slot slot[ZC_AUDIO_N_DIRECTIONS];
  char *log_prefix;        /* "call 3: ", or "" */
  guint codec_rate_hz;     /* the mix's and the canceller's rate */
  guint device_rate_hz;
  guint period_ms;
  guint retry_ms;
  gint rt_priority;
  guint frame;             /* codec samples per 10 ms */
  ZcAec *aec;
  ZcRing *reference;       /* codec-rate samples sent to playback, primed with the delay */
  gint16 *frame_in, *frame_ref, *frame_out, *frame_port;
  gint32 *mix;             /* one frame: the ports' sum before saturation */
  gint16 *frame_conf;      /* a conference port's capture plus its group's playback */
  gint16 *zeros;           /* zeros_len samples of silence */
  guint zeros_len;

  /* Ports: published by the main thread with a store, taken by the audio
   * thread with one load per tick.  epoch counts the audio thread's
   * ticks: a port unpublished at epoch E is no longer in use once the
   * epoch has passed E (engine-port.c). */
  _Atomic (ZcAudioPort *) ports[ZC_AUDIO_MAX_PORTS];
  _Atomic guint64 epoch;
  GSList *retired;         /* main thread: ports waiting for the audio thread's acknowledgement */
  guint reap_id;           /* main thread: the timeout that frees them */
  ZcAudioPort *own_port;   /* over config->to_network/from_network, or NULL */

  /* The table of shared engines (engine-port.c), main thread only. */
  gchar *key;              /* NULL: not shared */
  guint refs;
  guint linger_id;

  atomic_bool stop;
  GMutex lock;             /* device thread's wait only; never taken by the audio thread */
  GCond cond;
  pthread_t audio_thread, device_thread;
  gboolean audio_started, device_started;
  ZcAudioDevice *final[ZC_AUDIO_N_DIRECTIONS]; /* what the audio thread held when it stopped */

  _Atomic guint64 periods, frames_sent, to_network_overflows, underruns, playback_periods,
    reference_misses, aec_resets, playback_trimmed, playback_backlog_samples, playback_backlog_reads,
    aec_guarded_frames, capture_aligned;
  atomic_int aec_delay_ms, aec_erle_db;
  guint aec_stats_countdown; /* audio thread only */
  atomic_bool realtime, running;
};

/* engine-port.c, audio thread: one cleaned capture frame (e->frame
 * samples at the engine's rate) to @port, silence when it is muted. */
void zc_audio_port_rt_push (ZcAudioPort *port, const gint16 *frame);
/* The same without the mute: @frame is what the port sends as it is. */
void zc_audio_port_rt_push_as_is (ZcAudioPort *port, const gint16 *frame);
/* One frame of @port's playback at the engine's rate into @out (silence
 * where it ran dry). */
void zc_audio_port_rt_pull (ZcAudioPort *port, gint16 *out);
/* @n engine-rate samples' worth of silence to the network / of the
 * network's audio dropped, when a device is missing. */
void zc_audio_port_rt_silence (ZcAudioPort *port, guint n);
void zc_audio_port_rt_drain (ZcAudioPort *port, guint n);

/* engine-port.c, main thread: free the retired ports the audio thread is
 * done with (all of them when @all: its thread has stopped). */
void zc_audio_engine_reap_ports (ZcAudioEngine *engine, gboolean all);
ZcAudioPort *zc_audio_port_new_internal (ZcAudioEngine *engine, guint rate_hz, ZcRing *to_network,
                                         ZcRing *from_network, GError **error);

/* engine-conf.c, audio thread: conference groups (engine.h). */
/* @port's playback frame (engine rate) just pulled for the mix: kept for
 * the capture of the other ports of its group. */
void zc_audio_conf_rt_played (ZcAudioPort *port, const gint16 *frame);
/* One cleaned capture frame @clean to each of @ports (this tick's, NULL
 * slots allowed): a port in a group gets it plus the others' playback. */
void zc_audio_conf_rt_push (ZcAudioEngine *engine, ZcAudioPort *const *ports, const gint16 *clean);
