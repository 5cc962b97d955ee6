/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One call's RTP/RTCP (RFC 3550): an oRTP 5.1 RtpSession carried by a
 * ZcIceAgent through oRTP's meta transport (lab notes, "libnice ICE and
 * oRTP together").
 *
 * How packets move:
 *   out: media thread -> zc_rtp_session_send() -> oRTP (header, RTCP
 *        scheduling) -> our endpoint's sendto -> zc_ice_agent_send() ->
 *        nice_agent_send() (thread-safe).
 *   in:  libnice, on the agent's GMainContext -> our receive callback
 *        copies the datagram into a queue -> media thread ->
 *        zc_rtp_session_recv() -> oRTP pulls it through the endpoint's
 *        recvfrom (which pops the queue, 0 when empty) -> jitter buffer.
 * oRTP runs non-blocking and unscheduled, and only on the media thread:
 * a blocking oRTP call on the thread that drives libnice would stall ICE
 * timers (and TURN refreshes later).
 *
 * RTCP goes on component 2, or with RTP on component 1 when rtcp-mux was
 * agreed (both offers carry a=rtcp-mux, RFC 5761 5.1.1): the session follows
 * the agent's component count.
 *
 * Per RFC 3550 5.1 the SSRC, the first sequence number and the first
 * timestamp are random (oRTP 5.1 would start the sequence at 0).
 *
 * Threads: zc_rtp_session_new() and _free() on the thread that iterates
 * the agent's context (with the media thread stopped before _free());
 * send, recv and get_stats on the media thread only.  Not for the
 * real-time audio thread: oRTP allocates and takes its own locks. */
#pragma once

#include <gio/gio.h>

#include "ice/ice-agent.h"
#include "media/dtls-srtp.h"

#define ZC_RTP_ERROR (zc_rtp_error_quark ())

typedef enum {
  ZC_RTP_ERROR_INVALID, /* bad configuration (payload type, clock rate) */
  ZC_RTP_ERROR_FAILED,
} ZcRtpError;

GQuark zc_rtp_error_quark (void);

/* Datagrams queued between libnice and the media thread before new ones
 * are dropped (counted in ZcRtpStats.queue_drops): 1 s of 20 ms audio. */
#define ZC_RTP_RECV_QUEUE_MAX 50

typedef struct {
  guint8 payload_type;        /* 0..127, from the negotiated codec */
  const char *encoding_name;  /* "PCMU", "opus", ... (for oRTP's profile) */
  guint clock_rate;           /* RTP clock, Hz (zc_codec_get_rtp_clock_rate()) */
  guint channels;             /* as in a=rtpmap; 0 = 1 */
  gint telephone_event_pt;    /* RFC 4733 payload type, -1 = none */
  guint rtcp_interval_ms;     /* RTCP report interval; 0 = 5000 (RFC 3550 6.2) */
  const char *cname;          /* SDES CNAME (RFC 3550 6.5.1); NULL = random */
  ZcDtlsSrtp *dtls;           /* SRTP keyed by DTLS (not owned, outlives the session); NULL = plain RTP.
                               * With it, DTLS records go to it and nothing is sent or taken in
                               * before it is keyed. */
  ZcSrtp *sdes;               /* SRTP keyed by SDES (media/sdes-srtp.h; not owned, outlives the
                               * session), used when dtls is NULL: keyed from the start. */
} ZcRtpSessionConfig;

/* Sets the fields above to a usable default for @payload_type/@name/@rate. */
void zc_rtp_session_config_init (ZcRtpSessionConfig *config, guint8 payload_type, const char *encoding_name,
                                 guint clock_rate);

/* What came with a received payload. */
typedef struct {
  guint8 payload_type;
  gboolean marker;
  guint16 sequence;
  guint32 timestamp;          /* as sent by the peer */
  guint32 ssrc;
} ZcRtpPacketInfo;

/* Statistics for `zcall calls --json` under "media". */
typedef struct {
  guint64 packets_sent;
  guint64 packets_received;
  guint64 bytes_sent;          /* RTP payload + header bytes handed to the transport */
  guint64 bytes_received;      /* payload bytes delivered */
  gint64 packets_lost;         /* cumulative, counted on each packet as RFC 3550 A.3 does (< 0 with duplicates) */
  double loss_pct;             /* of our incoming stream: lost / expected * 100 */
  double remote_loss_pct;      /* of our outgoing stream, from the peer's last RR; -1 = none yet */
  double jitter_ms;            /* interarrival jitter of the incoming stream (RFC 3550 6.4.1) */
  double rtt_ms;               /* from RTCP LSR/DLSR (RFC 3550 6.4.1); -1 = not measured yet */
  guint64 rtcp_sent;           /* RTCP packets carrying a report block */
  guint64 rtcp_received;
  guint64 queue_drops;         /* datagrams dropped because the media thread fell behind */
  guint64 foreign_dropped;     /* datagrams dropped because they came from elsewhere than the peer's
                                * plain-RTP address (zc_ice_agent_get_foreign_dropped()) */
  guint64 srtp_failures;       /* SRTP/SRTCP packets that failed authentication or replay checks */
  gint64 last_rx_monotonic_us; /* g_get_monotonic_time() of the last RTP/RTCP datagram accepted from
                                * the peer; 0 = never.  For the media timeout (no RTP/RTCP for N s):
                                * what the source filter drops never counts. */
} ZcRtpStats;

typedef struct _ZcRtpSession ZcRtpSession;

/* The session holds a pointer to @agent (not a reference: the call owns
 * both and frees the session first) and installs the agent's receive
 * function. */
ZcRtpSession *zc_rtp_session_new (ZcIceAgent *agent, const ZcRtpSessionConfig *config, GError **error);
void zc_rtp_session_free (ZcRtpSession *session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcRtpSession, zc_rtp_session_free)

guint32 zc_rtp_session_get_ssrc (const ZcRtpSession *session);

/* Media thread.  Sends one frame.  @timestamp counts clock units from 0
 * (the session adds its random start); @payload_type < 0 means the
 * configured one (pass the telephone-event PT for RFC 4733 packets).
 * Returns the bytes handed to the transport, -ENOTCONN before ICE has a
 * pair (the frame is dropped: media waits for CONNECTED), or another
 * negative errno. */
int zc_rtp_session_send (ZcRtpSession *session,
                         gint payload_type,
                         const guint8 *payload,
                         gsize len,
                         guint32 timestamp,
                         gboolean marker);

/* Media thread.  Takes in whatever libnice delivered, runs RTCP, and
 * returns the next payload received, in arrival order: timing them is the
 * caller's playout buffer's job (media/jitter.h; oRTP's is off).  @user_ts
 * is the caller's clock in RTP units, advancing one frame per tick (oRTP
 * wants it).  Returns the payload length (copied into @buf, which should
 * hold ZC_CODEC_MAX_PAYLOAD bytes), -EAGAIN when nothing is left, or
 * -ENOBUFS when @size is too small (the packet is dropped).  Call until
 * -EAGAIN each tick. */
int zc_rtp_session_recv (ZcRtpSession *session, guint32 user_ts, guint8 *buf, gsize size, ZcRtpPacketInfo *info);

/* Media thread.  Fills @stats. */
void zc_rtp_session_get_stats (ZcRtpSession *session, ZcRtpStats *stats);
