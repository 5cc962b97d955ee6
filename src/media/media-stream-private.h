/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What media-stream.c (the stream's life) and media-stream-report.c (what
 * it reports: its description for `zcall calls --json`, its security)
 * share. */
#pragma once

#include "media/media-stream.h"

#include "audio/engine.h"
#include "audio/ring.h"
#include "audio/tone.h"
#include "ice/ice-agent.h"
#include "media/call-media.h"
#include "media/dtls-srtp.h"
#include "media/rtp-session.h"
#include "media/sdes-srtp.h"

typedef enum {
  PENDING_READY = 1 << 0,
  PENDING_TIMEOUT = 1 << 1,
  PENDING_FAILED = 1 << 2,
  PENDING_SECURED = 1 << 3,
} Pending;

struct _ZcMediaStream {
  ZcMediaStreamConfig config;
  char *capture_device;
  char *playback_device;
  char *ring_device;
  char *call_id;
  char *log_prefix;     /* "call 3: ", or "" */
  gboolean muted;       /* zc_media_stream_set_muted(), for the media and port made at start() */
  gboolean held;        /* zc_media_stream_set_held(), likewise */
  gboolean waiting;     /* zc_media_stream_set_waiting_tone(), likewise */
  guint conference;     /* zc_media_stream_set_conference(), likewise */
  ZcMediaStreamCallbacks callbacks;
  gpointer user_data;

  ZcIceAgent *ice;
  gboolean ready;
  GError *gather_error;
  char *ice_attributes;
  char *address;
  guint16 rtp_port;
  guint16 rtcp_port;
  gboolean plain;
  char *remote_ufrag;   /* the peer's ice-ufrag in use: a new one is a restart */
  gboolean has_turn;    /* a TURN server was given: relayed candidates */

  ZcRing *to_network;
  ZcRing *from_network;
  ZcRtpSession *rtp;
  ZcDtlsSrtp *dtls;     /* NULL: SDES or plain RTP */
  ZcSrtp *sdes;         /* SRTP keyed by a=crypto (RFC 4568); NULL: DTLS or plain RTP */
  GError *dtls_error;   /* why DTLS-SRTP failed, for the secured callback */
  GQueue early_dtls;    /* GBytes: DTLS records that came before start() */
  ZcCallMedia *media;
  ZcAudioEngine *engine; /* shared with the other calls on these devices (engine.h) */
  ZcAudioPort *port;     /* our attachment to it: owns the two rings once made */
  char *codec_name;
  ZcTonePlayer *tone;

  /* Callbacks go out from an idle source, never from inside libnice's or
   * the media's own dispatch, so the user may free the stream in them. */
  guint pending;
  GString *pending_digits;
  guint dispatch_id;
  guint failed_reported : 1;
  guint timeout_reported : 1;
};
