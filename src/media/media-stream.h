/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The whole media side of one call, as the core sees it: an ICE transport
 * (ice-agent.h), and once the offer/answer is done an RTP session
 * (rtp-session.h), the codec pipeline (call-media.h) and the audio engine
 * (engine.h) with the two rings between them.
 *
 *   new() --gathering--> ready callback: get_ice_attributes() and
 *   get_default_address() go into our SDP --> start(remote) once the
 *   peer's SDP is known --> media flows --> free().
 *
 * ICE or plain RTP is the peer's choice: with ice-ufrag/ice-pwd/candidates
 * in its SDP connectivity checks run (the offerer controls, RFC 8445
 * 6.1.1); without, packets go straight to its c=/m= address (and a=rtcp
 * or port + 1), as every desk phone expects.
 *
 * Everything here runs on the thread of the main context; the callbacks
 * are dispatched from idle sources of their own, so a callback may free
 * the stream. */
#pragma once

#include <gio/gio.h>
#include <gnutls/x509.h>

#include "audio/aec.h"
#include "ice/ice-agent.h"
#include "media/codec.h"
#include "media/format.h"

typedef struct _ZcMediaStream ZcMediaStream;

typedef struct {
  const char *call_id;         /* media, ICE and audio log lines start "call <id>: "; NULL: bare */
  const char *local_address;   /* numeric address to gather host candidates on */
  gboolean controlling;        /* we send the offer */
  gboolean rtcp_mux;           /* only one component: the peer offered rtcp-mux */
  guint16 port_min, port_max;  /* [media] rtp-port-min/max; 0 = any */
  const char *capture_device;  /* ALSA PCM names; NULL = "default" */
  const char *playback_device;
  const char *ring_device;     /* [audio] ring-device=, for the ring tone; NULL = "default" */
  ZcAecConfig aec;             /* rate_hz is set per codec */
  ZcCodecOptions codec_options;
  guint media_timeout_ms;      /* 0 = never */
  guint jitter_ms;             /* playout depth to start with; 0 = call-media's default */
  gboolean no_audio_devices;   /* media without ALSA (tests, benchmarks) */
  ZcIceServers ice_servers;    /* for server-reflexive and relayed candidates */
  gboolean ice_tcp;            /* offer ICE-TCP candidates too: calls beyond the LAN */
  gnutls_x509_crt_t certificate; /* the agent's, for DTLS-SRTP (not copied: outlives the stream) */
  gnutls_x509_privkey_t private_key;
} ZcMediaStreamConfig;

/* The peer's side of the negotiated stream. */
typedef struct {
  const char *address;          /* c= */
  guint16 rtp_port;             /* m= */
  guint16 rtcp_port;            /* a=rtcp, or 0 for rtp_port + 1 */
  gboolean rtcp_mux;            /* both offered a=rtcp-mux */
  const char *ice_ufrag;        /* NULL: plain RTP */
  const char *ice_pwd;
  const char *const *ice_candidates;
  const ZcCodec *codec;         /* what we send: the peer's PT and fmtp */
  guint ptime_ms;               /* packet time to send and play out at; 0 = 20 ms */
  gint telephone_event_pt;      /* -1 = none */
  const char *fingerprint;      /* the peer's a=fingerprint: DTLS-SRTP; NULL = plain RTP */
  gboolean dtls_client;         /* our a=setup is active (we answered, RFC 8842 5.2) */
  /* SDES-SRTP (RFC 4568, media/sdes-srtp.h) when fingerprint is NULL: the
   * agreed suite ("AES_CM_128_HMAC_SHA1_80"), the key our a=crypto sent
   * and the peer's, base64; NULL suite = no SDES. */
  const char *sdes_suite;
  const char *sdes_local_key;
  const char *sdes_remote_key;
} ZcMediaRemote;

typedef struct {
  /* Candidates are gathered: the SDP accessors now work.  @error set when
   * gathering failed (then nothing else will happen). */
  void (*ready) (ZcMediaStream *stream, const GError *error, gpointer user_data);
  void (*digit) (ZcMediaStream *stream, char digit, gpointer user_data);
  /* No RTP/RTCP from the peer for media_timeout_ms (once). */
  void (*timeout) (ZcMediaStream *stream, gpointer user_data);
  /* ICE gave up: no candidate pair works. */
  void (*failed) (ZcMediaStream *stream, gpointer user_data);
  /* DTLS-SRTP is keyed (@error NULL), or failed: ZC_DTLS_ERROR (media/
   * dtls-srtp.h), identity mismatch, failure or timeout, with nothing
   * sent or played.  With SDES keys: once, soon after the start. */
  void (*secured) (ZcMediaStream *stream, const GError *error, gpointer user_data);
} ZcMediaStreamCallbacks;

/* Starts gathering. */
ZcMediaStream *zc_media_stream_new (const ZcMediaStreamConfig *config,
                                    const ZcMediaStreamCallbacks *callbacks,
                                    gpointer user_data,
                                    GError **error);
void zc_media_stream_free (ZcMediaStream *stream);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcMediaStream, zc_media_stream_free)

gboolean zc_media_stream_is_ready (const ZcMediaStream *stream);

/* What goes into our SDP, valid once ready: the a=ice-* and a=candidate
 * lines (CRLF-terminated), and the default candidates for c=/m= and
 * a=rtcp (*rtcp_port 0 when RTCP is muxed). */
const char *zc_media_stream_get_ice_attributes (const ZcMediaStream *stream);
const char *zc_media_stream_get_address (const ZcMediaStream *stream);
guint16 zc_media_stream_get_rtp_port (const ZcMediaStream *stream);
guint16 zc_media_stream_get_rtcp_port (const ZcMediaStream *stream);

/* Connects to the peer and starts RTP, the codec and the audio devices.
 * Once only; a later re-offer that keeps the codec changes nothing. */
gboolean zc_media_stream_start (ZcMediaStream *stream, const ZcMediaRemote *remote, GError **error);
gboolean zc_media_stream_is_started (const ZcMediaStream *stream);

/* ICE restart (RFC 8445 9, RFC 8839 4.4.1.1): new credentials, our
 * candidates (relayed ones included) kept.  The new description is then
 * what zc_media_stream_get_ice_attributes() and _get_address() return:
 * offer it, and give the peer's answer to zc_media_stream_set_remote_ice(). */
gboolean zc_media_stream_restart_ice (ZcMediaStream *stream, GError **error);
/* The peer's new ICE attributes (after a restart, either side); starts
 * the checks again. */
gboolean zc_media_stream_set_remote_ice (ZcMediaStream *stream,
                                         const char *ufrag,
                                         const char *pwd,
                                         const char *const *candidates,
                                         GError **error);
/* TRUE when @ufrag (from a new offer) is not the peer's ufrag in use: the
 * peer restarts ICE (RFC 8839 4.4.1.1.2). */
gboolean zc_media_stream_is_ice_restart (const ZcMediaStream *stream, const char *ufrag);
/* The RTP component has a working pair (always TRUE for plain RTP). */
gboolean zc_media_stream_is_connected (ZcMediaStream *stream);
/* ICE with a TURN server: relayed candidates, so a restart (the backstop
 * when no pair connected) has a path that needs only the TURN server. */
gboolean zc_media_stream_can_relay (const ZcMediaStream *stream);

typedef enum {
  ZC_MEDIA_TONE_RINGBACK, /* the caller's, while the other phone rings: on the playback device */
  ZC_MEDIA_TONE_RING,     /* an incoming call's: on the ring device */
  ZC_MEDIA_TONE_ALERT,    /* an auto-answered call's, before the line opens: on the playback device */
} ZcMediaTone;

/* Call-progress tones (audio/tone.h), so that the core never opens a
 * sound card itself.  Nothing happens while a tone plays already or when
 * the tone's device is "none".  zc_media_stream_start() and _free() stop
 * the tone first: its device may be the call's. */
void zc_media_stream_play_tone (ZcMediaStream *stream, ZcMediaTone tone);
void zc_media_stream_stop_tone (ZcMediaStream *stream);

/* Closes the sound devices that no call uses any more now, instead of a
 * second later (the audio engines linger for the next call, engine.h):
 * at exit, once every stream is freed. */
void zc_media_stream_close_audio (void);

/* Mute: the microphone's frames become silence for this call only (its
 * port of the shared audio engine, engine.h); the device stays open and
 * the other calls on it still hear it; the encoder sends silence (DTX
 * where the codec has it, media/call-media.h).  Before start() it is kept
 * for the media and port made then. */
void zc_media_stream_set_muted (ZcMediaStream *stream, gboolean muted);
gboolean zc_media_stream_get_muted (const ZcMediaStream *stream);
/* Puts the call's audio port in conference group @group (0: none), now
 * or when the port is made (audio/engine.h).  Without devices, nothing. */
void zc_media_stream_set_conference (ZcMediaStream *stream, guint group);

/* Held (by us, or by the peer): neither side of the call is heard, our
 * microphone goes out as silence as with mute and the peer's audio is
 * not mixed into the playback, so that only the active call of several
 * is heard.  Independent of mute; kept, as mute is, for start(). */
void zc_media_stream_set_held (ZcMediaStream *stream, gboolean held);
/* The call-waiting tone (ZC_TONE_WAITING) mixed into this call's
 * playback, while another call rings; kept for start() too. */
void zc_media_stream_set_waiting_tone (ZcMediaStream *stream, gboolean on);

/* RFC 4733 digits; FALSE with @error for a bad digit, a full queue or a
 * peer that took no telephone-event. */
gboolean zc_media_stream_send_dtmf (ZcMediaStream *stream, const char *digits, GError **error);

/* DTLS-SRTP: the peer's certificate as its SDP wrote it ("sha-256
 * AB:CD:..."), once the handshake proved it, and the SRTP suite; NULL for
 * plain RTP or before the keys. */
const char *zc_media_stream_get_peer_fingerprint (ZcMediaStream *stream);
const char *zc_media_stream_get_srtp_suite (ZcMediaStream *stream);
/* How the SRTP keys came: "dtls-srtp" once the handshake keyed it,
 * "sdes-srtp" (a=crypto), NULL for plain RTP or before the keys. */
const char *zc_media_stream_get_keying (ZcMediaStream *stream);

/* For `zcall calls --json`: a{sv} with packets, loss, jitter, RTT, the ICE
 * pair and the audio devices. */
GVariant *zc_media_stream_describe (ZcMediaStream *stream);
/* A one-line description of a failing audio device, or NULL. */
char *zc_media_stream_get_audio_error (ZcMediaStream *stream);
