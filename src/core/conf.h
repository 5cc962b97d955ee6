/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The agent's configuration: parsed once at start-up from a GKeyFile and
 * validated completely, so a bad value stops the start instead of
 * surprising the user in the middle of a call. */
#pragma once

#include <glib.h>

#define ZC_CONFIG_ERROR (zc_config_error_quark ())
GQuark zc_config_error_quark (void);

typedef enum {
  ZC_CONFIG_ERROR_SYNTAX,
  ZC_CONFIG_ERROR_INVALID_VALUE,
  ZC_CONFIG_ERROR_NOT_FOUND,
} ZcConfigError;

/* [calls] accept-from: where incoming calls may come from, a set. */
typedef enum {
  ZC_ACCEPT_FROM_LAN = 1 << 0,        /* local subnets, link-local, discovered peers */
  ZC_ACCEPT_FROM_RENDEZVOUS = 1 << 1, /* relayed by the [rendezvous] registrar/proxy */
  ZC_ACCEPT_FROM_ANY = 1 << 2,        /* any address */
} ZcAcceptFrom;

/* [calls] accept-transfer: whose REFER (a transfer of our call to a
 * third party) we carry out.  ASK carries out a trusted peer's at once
 * and asks the user about any other (core/transfer-ask.c). */
typedef enum {
  ZC_ACCEPT_TRANSFER_TRUSTED,  /* a pinned peer whose key the user verified */
  ZC_ACCEPT_TRANSFER_ASK,
  ZC_ACCEPT_TRANSFER_ANY,      /* the other party of any established call */
  ZC_ACCEPT_TRANSFER_NONE,
} ZcAcceptTransfer;

#define ZC_ACCEPT_FROM_DEFAULT (ZC_ACCEPT_FROM_LAN | ZC_ACCEPT_FROM_RENDEZVOUS)

/* What holds the NAT binding toward the registrar open between
 * registrations: a CRLF ping (RFC 5626 4.4.1, one datagram, no answer
 * needed) or an OPTIONS request, which also proves the proxy is alive. */
typedef enum {
  ZC_KEEPALIVE_CRLF,
  ZC_KEEPALIVE_OPTIONS,
} ZcKeepalive;

/* DNS labels are limited to 63 octets (RFC 1035 2.3.4), and the DNS-SD
 * instance name is one label. */
#define ZC_MAX_SERVICE_NAME_BYTES 63
#define ZC_DEFAULT_SIP_PORT 5060
#define ZC_DEFAULT_SIP_TLS_PORT 5061
/* RFC 8489 9 / RFC 8656 19: STUN and TURN over UDP and TCP. */
#define ZC_DEFAULT_STUN_PORT 3478
#define ZC_DEFAULT_TURNS_PORT 5349

/* Defaults zcall.conf(5) promises.  They are the configuration's own
 * numbers rather than the audio and ICE layers' constants, so the
 * configuration depends on no layer below the core and a change there
 * cannot move a documented default unnoticed; tests/unit/test-conf.c
 * checks that they still lie within what those layers accept. */
#define ZC_CONFIG_DEFAULT_ECHO_TAIL_MS 200    /* as ZC_AEC_DEFAULT_TAIL_MS */
#define ZC_CONFIG_DEFAULT_RTP_PORT_MIN 16384  /* as ZC_RTP_PORT_MIN */
#define ZC_CONFIG_DEFAULT_RTP_PORT_MAX 32766  /* as ZC_RTP_PORT_MAX */

/* [security] media-encryption: DTLS-SRTP is offered and accepted with
 * every peer; this says when plain RTP is still allowed. */
typedef enum {
  ZC_MEDIA_ENCRYPTION_REQUIRED_FOR_ZCALL, /* default: plain only with peers that cannot encrypt */
  ZC_MEDIA_ENCRYPTION_REQUIRED,           /* never plain: SAVPF offers, plain offers get 488 */
} ZcMediaEncryption;

typedef struct {
  char *path;                 /* file read, NULL when built-in defaults */

  char *user;
  char *display_name;

  guint16 sip_port;
  guint16 sip_tls_port;       /* SIP over TLS, 0 = off */
  guint rate_limit;           /* requests/s per source, 0 = off */

  gboolean discovery_enabled;
  guint probe_interval_ms;
  guint unreachable_after_ms;
  guint remove_after_ms;

  gboolean auto_answer;
  guint auto_answer_delay_s;
  /* [calls] auto-answer-from: whom auto-answer applies to, each entry
   * "*", "trusted", "known", "sip:user@host" (a URI, lower-case host) or a
   * peer name; empty: nobody. */
  GStrv auto_answer_from;
  guint accept_from;          /* ZcAcceptFrom flags */
  guint max_calls;
  /* [calls] call-waiting: a call during a call rings as a tone in it
   * (calls-waiting.c); FALSE: it gets 486 Busy Here. */
  gboolean call_waiting;
  ZcAcceptTransfer accept_transfer;
  /* [calls] conference-hangup: when we hang up both calls of a
   * conference, TRUE joins the other two (attended transfer,
   * conference-leave.c), FALSE ends both. */
  gboolean conference_hangup_transfer;

  char *capture_device;
  char *playback_device;
  char *ring_device;
  gboolean echo_cancel;
  gboolean echo_canceller_speex; /* [audio] echo-canceller=speex (default webrtc) */
  guint echo_tail_ms;         /* longest echo the canceller models */
  gboolean denoise;           /* stationary noise suppression */
  gboolean agc;               /* automatic gain control of the microphone */

  GStrv codecs;               /* lower-case names, preference order */
  guint media_timeout_ms;     /* no RTP/RTCP this long ends the call; 0 = never
                               * (ZcCallMediaConfig reads 0 as its default) */
  guint opus_bitrate_bps;     /* Opus encoder target */
  gboolean opus_dtx;          /* Opus discontinuous transmission */
  guint opus_rate_hz;         /* Opus audio band as a PCM rate: 8000..48000 */
  guint jitter_ms;            /* initial jitter buffer depth */
  guint ptime_ms;             /* packet time we ask for (a=ptime): 10 or 20 */
  guint16 rtp_port_min;       /* even, below rtp_port_max; RTP takes even */
  guint16 rtp_port_max;       /* ports of the range, RTCP the port above */

  /* [rendezvous]: off-LAN calls through a SIP registrar/proxy and STUN/TURN.
   * Every string is NULL when not configured; no registrar, no rendezvous. */
  /* normalised: "sip:host[:port][;transport=udp|tcp|tls][;lr]" or "sips:host[:port][;lr]" */
  char *registrar;
  char *rdv_ca_file;          /* CAs a TLS registrar's certificate must chain to; NULL: the system's */
  char *rdv_server_fingerprint; /* "sha-256 AB:..." pinned TLS registrar certificate, instead of a chain */
  char *rdv_username;         /* digest user; [identity] user unless set */
  char *rdv_password;         /* read from password-file; never log it */
  char *stun_server;          /* "host:port" ("[v6]:port"), port 3478 unless set */
  /* "host:port" (TURN over UDP), "turn:host:port?transport=tcp" or
   * "turns:host:port" (TURN over TCP or TLS, RFC 7065) */
  char *turn_server;
  char *turn_ca_file;         /* CAs a turns: server's certificate must chain to; NULL: the system's */
  char *turn_username;
  char *turn_password;        /* read from turn-password-file; never log it */
  guint register_expires_s;   /* Expires asked for in REGISTER */
  guint keepalive_interval_s; /* 0 = no keepalives */
  ZcKeepalive keepalive_method;
  gboolean ice_tcp;           /* ICE-TCP candidates on calls through the rendezvous */

  /* [security] */
  ZcMediaEncryption media_encryption;

  /* [ui] */
  gboolean notifications;     /* desktop notifications of incoming and missed calls */
} ZcConfig;

/* Defaults only (user from the login name, etc.). */
ZcConfig *zc_config_new_default (void);

/* Reads and validates @path.  Warnings about unknown groups/keys go to
 * g_warning; a syntax error or invalid value fails with a message naming
 * file, line, group and key. */
ZcConfig *zc_config_load_file (const char *path, GError **error);

/* The search order of zcalld: @explicit_path if given (must exist), else
 * $XDG_CONFIG_HOME/zcall/zcall.conf, else each of $XDG_CONFIG_DIRS
 * (/etc/xdg) /zcall/zcall.conf, else built-in defaults. */
ZcConfig *zc_config_load (const char *explicit_path, GError **error);

void zc_config_free (ZcConfig *config);

/* A reload (SIGHUP): copies into @live, the agent's configuration that the
 * modules point into, every value of @fresh that takes effect without a
 * restart (display name, auto-answer, accept-from, max-calls, audio,
 * media, codecs, rate-limit, media-encryption: for the next call or the
 * next incoming request); adds to @restart ("[group] key" strings) each
 * key whose new value waits for a restart (user, port, discovery,
 * rendezvous).  TRUE when something was taken over. */
gboolean zc_config_apply_live (ZcConfig *live, const ZcConfig *fresh, GPtrArray *restart);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcConfig, zc_config_free)

/* SIP user part: RFC 3261 "user" unreserved + user-unreserved chars. */
gboolean zc_config_is_valid_sip_user (const char *user);
