/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One call's media pipeline: between the audio engine's rings and RTP.
 *
 *   to_network ring --a ptime of PCM--> encode --> zc_rtp_session_send()
 *                                  (or an RFC 4733 telephone-event packet
 *                                   in its place while a digit is sent)
 *   zc_rtp_session_recv() --> codec decode / conceal --> from_network ring
 *                         \-> telephone-event --> ZcDtmfReceiver --> digit
 *
 * A media thread of its own runs this.  With sound devices
 * (zc_call_media_use_device_clock()) it follows their clocks: it encodes
 * and sends a frame when the audio engine says one was captured, and
 * decodes one when the engine says the playback device has played one, so
 * no clock of ours adds its phase to the delay and the playout buffer
 * drains exactly as fast as the device plays.  Without devices it runs a
 * clock of its own, a tick per ptime (absolute deadlines on
 * CLOCK_MONOTONIC), and so does a direction whose device fell silent.
 * It is not the thread that iterates the GMainContext driving libnice
 * (rtp-session.h: oRTP must not run there).  Everything the media thread
 * needs is allocated by zc_call_media_new(); per frame it takes no lock,
 * allocates nothing and logs nothing (oRTP itself allocates its mblk_t's:
 * that is rtp-session.h's business).
 *
 * Threads:
 *   - new/start/stop/free, and the callbacks, on the thread that iterates
 *     @context (the main loop);
 *   - zc_call_media_send_dtmf(), zc_call_media_get_stats() and
 *     zc_call_media_is_timed_out() from any thread (lock-free: an MPSC byte
 *     queue for digits, a seqlock for statistics);
 *   - the rings: the media thread is the consumer of to_network and the
 *     producer of from_network.  Nothing else may read to_network or write
 *     from_network while the media runs.
 *
 * Rare events (a received digit, media timeout and its end) cross to the
 * main loop through a fixed-size lock-free event queue and an eventfd
 * watched by a GSource on @context.  A callback may call stop (the thread
 * is joined, pending events are still delivered) but must not free the
 * media: free it from an idle callback or after the dispatch returns.
 *
 * Receive side: one tick delivers whatever oRTP says is due.  A tick whose
 * packet is missing is concealed: Opus rebuilds it from the in-band FEC of
 * the next packet when that one is in the playout buffer already, and runs
 * its PLC otherwise; G.711 uses zc_codec_conceal().  A sequence gap found
 * when a packet is due is concealed the same way, frame by frame.  The
 * Opus encoder's expected loss follows the peer's RTCP reports.  A tick with no packet writes nothing: the
 * audio engine plays its ring's underflow as silence (during the peer's
 * DTMF events and DTX, that is what it should hear). */
#pragma once

#include <gio/gio.h>

#include "audio/ring.h"
#include "media/jitter.h"
#include "media/rtp-session.h"
#include "media/format.h"
#include "media/codec.h"

#define ZC_CALL_MEDIA_ERROR (zc_call_media_error_quark ())

typedef enum {
  ZC_CALL_MEDIA_ERROR_INVALID, /* bad configuration */
  ZC_CALL_MEDIA_ERROR_FAILED,  /* a resource could not be created */
} ZcCallMediaError;

GQuark zc_call_media_error_quark (void);

#define ZC_CALL_MEDIA_PTIME_MS 20                /* packet time by default, ms (RFC 3551 4.5) */
#define ZC_CALL_MEDIA_DEFAULT_TIMEOUT_MS 20000   /* four RTCP intervals: a held or silent peer still sends RTCP */
#define ZC_CALL_MEDIA_DEFAULT_JITTER_MS 40       /* playout depth at the start of a call */
#define ZC_CALL_MEDIA_MAX_JITTER_MS 400          /* ... and the most it grows to (at least): room
                                                  * for a 200 ms delay step on a jittery path */
#define ZC_CALL_MEDIA_MAX_CONCEAL_MS 100         /* per gap; longer gaps are not filled */
#define ZC_CALL_MEDIA_EVENT_QUEUE 64             /* pending main-loop events */

typedef struct _ZcCallMedia ZcCallMedia;

/* A telephone-event digit from the peer ('0'-'9', '*', '#', 'A'-'D'), each
 * one once, in order.  On @context. */
typedef void (*ZcCallMediaDigitFunc) (ZcCallMedia *media, char digit, gpointer user_data);
/* @timed_out TRUE: no RTP/RTCP for the configured time (once); FALSE:
 * packets came again after a timeout.  On @context. */
typedef void (*ZcCallMediaTimeoutFunc) (ZcCallMedia *media, gboolean timed_out, gpointer user_data);

typedef struct {
  const ZcCodec *codec;              /* negotiated: name, pt, clock_rate, channels, fmtp */
  gint telephone_event_pt;           /* RFC 4733 PT at the codec's clock rate; -1 = none */
  ZcRing *to_network;                /* mono PCM at the codec's PCM rate, from the engine */
  ZcRing *from_network;              /* mono PCM at the codec's PCM rate, for the engine */
  ZcRtpSession *rtp;                 /* set up with the same PTs; not owned */
  const ZcCodecOptions *codec_options; /* NULL = zc_codec_options_init(); the
                                        * peer's Opus fmtp is applied on top */
  guint media_timeout_ms;            /* no RTP/RTCP this long = timeout; 0 = default */
  guint dtmf_tone_ms;                /* 0 = ZC_DTMF_MIN_TONE_MS */
  guint jitter_ms;                   /* playout depth to start with (media/jitter.h);
                                      * 0 = ZC_CALL_MEDIA_DEFAULT_JITTER_MS */
  guint ptime_ms;                    /* packet time we send and play out at: 10, 20, 40
                                      * or 60 (what every codec frames); 0 = ZC_CALL_MEDIA_PTIME_MS */
  GMainContext *context;             /* callbacks run here; NULL = global default */
  ZcCallMediaDigitFunc digit_received;
  ZcCallMediaTimeoutFunc media_timeout;
  gpointer user_data;
} ZcCallMediaConfig;

typedef struct {
  ZcRtpStats rtp;                    /* as of the last snapshot (every 100 ms) */
  ZcJitterStats jitter;              /* the playout buffer, same snapshot */
  guint64 frames_sent;               /* audio packets handed to RTP */
  guint64 frames_decoded;
  guint64 frames_concealed;          /* PLC or G.711 concealment */
  guint64 frames_fec;                /* rebuilt from Opus in-band FEC */
  guint expected_loss_pct;           /* the Opus encoder's, adapted to the peer's reports */
  guint64 dtx_frames;                /* encoded to nothing (Opus DTX) */
  guint64 capture_underruns;         /* ticks where to_network had less than a frame */
  guint64 capture_trimmed_samples;   /* backlog dropped to keep the delay down */
  guint64 capture_backlog_samples;   /* to_network's fill before each read, summed ... */
  guint64 capture_backlog_reads;     /* ... over this many reads: the mean is delay */
  guint64 playback_overflow_samples; /* decoded samples from_network had no room for */
  guint64 decode_errors;
  guint64 send_errors;               /* other than -ENOTCONN */
  guint64 late_ticks;                /* own clock: ticks that started more than one ptime late */
  gboolean device_clock;             /* sending and playout follow the audio devices' clocks */
  guint64 own_clock_ticks;           /* ... except these ticks, run while a device was silent */
  guint64 dtmf_sent;                 /* digits started */
  guint64 dtmf_received;             /* digits reported */
  gboolean media_timed_out;
} ZcCallMediaStats;

/* Creates the codec, the DTMF sender/receiver and the event source.  Does
 * not take ownership of the rings or the RTP session, which must outlive
 * the media.  NULL with @error set on failure (ZC_CODEC_ERROR for an
 * unusable codec). */
ZcCallMedia *zc_call_media_new (const ZcCallMediaConfig *config, GError **error);
/* Stops (if running), removes the event source, frees. */
void zc_call_media_free (ZcCallMedia *media);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcCallMedia, zc_call_media_free)

/* Starts the media thread.  FALSE if it is already running or has run. */
gboolean zc_call_media_start (ZcCallMedia *media, GError **error);
/* Atomic flag + join: returns within one ptime.  Idempotent. */
void zc_call_media_stop (ZcCallMedia *media);

/* Queues DTMF digits to send as RFC 4733 events.  Any thread, lock-free.
 * All or nothing: 0; -EINVAL for a character that is not a DTMF digit;
 * -ENOTSUP when no telephone-event PT was negotiated; -ENOSPC when the
 * queue (ZC_DTMF_QUEUE_MAX) is full. */
int zc_call_media_send_dtmf (ZcCallMedia *media, const char *digits);

/* Any thread: the microphone's frames become silence from the next tick
 * on (and Opus goes DTX) until unmuted; the capture device stays open. */
void zc_call_media_set_muted (ZcCallMedia *media, gboolean muted);

/* Before zc_call_media_start(): the media thread runs on the audio
 * devices' clocks instead of a ptime clock of its own (audio/engine.h).
 * Gives two eventfds, still owned by @media, for the engine's port:
 * @capture_fd for zc_audio_port_set_wake() (encode and send a frame as
 * soon as it is captured) and @playout_fd for
 * zc_audio_port_set_playout_clock() (take one frame from the playout
 * buffer per frame the playback device played), both with
 * zc_call_media_get_frame_samples().  A direction whose device falls
 * silent for 60 ms runs on a clock of its own until it speaks
 * again. */
gboolean zc_call_media_use_device_clock (ZcCallMedia *media, int *capture_fd, int *playout_fd, GError **error);

/* Any thread: run the next tick now rather than at the next ptime mark
 * (the transport just became usable: the first packet need not wait). */
void zc_call_media_kick (ZcCallMedia *media);

/* Any thread. */
void zc_call_media_get_stats (ZcCallMedia *media, ZcCallMediaStats *stats);
gboolean zc_call_media_is_timed_out (ZcCallMedia *media);

/* Samples per frame (a ptime) at the codec's PCM rate (960 for 20 ms of
 * Opus, 80 for 10 ms of G.711). */
guint zc_call_media_get_frame_samples (const ZcCallMedia *media);
guint zc_call_media_get_pcm_rate (const ZcCallMedia *media);
guint zc_call_media_get_ptime_ms (const ZcCallMedia *media);
