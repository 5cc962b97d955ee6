/* SPDX-License-Identifier: GPL-3.0-or-later */
/* SDP offer/answer for one audio stream (RFC 3264 over RFC 4566 SDP).
 *
 * A pure module: plain strings in, plain strings out, no sockets and no
 * main loop, so the SIP user agent, the unit tests and the fuzzer drive it
 * the same way.  Parsing and printing go through libosip2's SDP support
 * (sdp_message_parse / sdp_message_to_str); this module only interprets the
 * fields: sdp-parse.c reads a description, sdp-print.c writes ours,
 * sdp-negotiate.c is RFC 3264 offer/answer, sdp-codecs.c the formats we
 * speak.
 *
 * The caller must have called osip's parser_init() once before any
 * function here is used (the SIP stack does it at start-up; the test does
 * it in main()).
 *
 * Codecs zcall speaks: Opus (opus/48000/2, RFC 7587), G.722 (G722/8000,
 * RFC 3551 4.5.2), PCMU and PCMA (RFC 3551) and telephone-event (RFC 4733).
 *
 * Hold and resume (RFC 3264 8.4) need no helper: build a new offer with
 * zc_sdp_build_offer() where local->direction is SENDONLY (hold) or
 * SENDRECV (resume) and local->version is one more than in the previous
 * offer or answer of this session (RFC 3264 8: the o= version must grow
 * whenever the session description changes). */
#pragma once

#include <glib.h>

#include "media/format.h"

#define ZC_SDP_ERROR (zc_sdp_error_quark ())

typedef enum {
  ZC_SDP_ERROR_INVALID,         /* not SDP, or a field we need is malformed */
  ZC_SDP_ERROR_NO_AUDIO,        /* no m=audio line */
  ZC_SDP_ERROR_NO_COMMON_CODEC, /* audio rejected or no codec in common: SIP 488 */
} ZcSdpError;

GQuark zc_sdp_error_quark (void);

/* Bodies larger than this are refused before parsing.  Real offers are a
 * few hundred bytes (WebRTC ones a few KiB). */
#define ZC_SDP_MAX_SIZE (64 * 1024)

/* Codec names accepted in [media] codecs, case-insensitive: "opus",
 * "g722", "pcmu", "pcma".  For the configuration parser. */
gboolean zc_sdp_codec_name_is_known (const char *name);

/* The six RTP profiles we read (RTP/AVP, RTP/AVPF, RTP/SAVP, RTP/SAVPF,
 * UDP/TLS/RTP/SAVP, UDP/TLS/RTP/SAVPF): TRUE for the four SRTP ones. */
gboolean zc_sdp_proto_is_secure (const char *proto);

/* What this side puts in an offer or an answer. */
typedef struct {
  const char *user;                /* o= username; "-" when NULL, empty or not a token */
  guint64 session_id;              /* o= sess-id, fixed for the dialog */
  guint64 version;                 /* o= sess-version, +1 on every change;
                                    * both below 2^63 (RFC 3264 5) */
  const char *address;             /* local IPv4 or IPv6 address (c= and o=);
                                    * a "%zone" suffix is dropped */
  guint16 rtp_port;                /* the RTP port reserved for this call */
  ZcMediaDirection direction;      /* what we are willing to do */
  guint ptime_ms;                  /* a=ptime; 0 leaves it out */
  const char *const *codecs;       /* [media] codecs in preference order;
                                    * NULL or empty = opus, g722, pcmu, pcma.
                                    * Unknown names are skipped. */
  const char *ice_attributes;      /* ICE (RFC 8839) media-level lines as the
                                    * ICE agent writes them, each "a=...\r\n"
                                    * (or "\n"): a=ice-ufrag, a=ice-pwd, one
                                    * a=candidate per local candidate.  Copied
                                    * verbatim into the audio m= section of an
                                    * offer, and of an answer when the offer
                                    * shows ICE support (ice-ufrag and ice-pwd;
                                    * RFC 8839 4.3.2: otherwise no ICE
                                    * attribute at all).  Lines that do not
                                    * start with "a=" or carry a control
                                    * character are skipped.  NULL = no ICE. */
  guint16 rtcp_port;               /* RFC 3605 a=rtcp:PORT on the audio
                                    * stream; 0 leaves it out (the peer then
                                    * assumes rtp_port + 1).  An ICE agent
                                    * picks RTCP's port on its own, so with
                                    * ICE this is the RTCP component's
                                    * default candidate port (RFC 8839
                                    * 4.2.2). */
  gboolean no_rtcp_mux;            /* TRUE: never write a=rtcp-mux (RFC 5761),
                                    * for a media layer that keeps RTCP on its
                                    * own port.  FALSE: offers carry it and
                                    * answers repeat it when offered. */
  const char *proto;               /* the offer's m= profile; NULL = RTP/AVP.
                                    * An answer always repeats the offer's. */
  const char *fingerprint;         /* DTLS-SRTP (RFC 5763): our certificate's
                                    * "sha-256 AB:CD:..." for a=fingerprint,
                                    * with a=setup:actpass in offers (RFC 8842
                                    * 5.2; RFC 8643 over RTP/AVP too) and
                                    * a=setup:active in answers to offers that
                                    * carry one; NULL = no DTLS (plain RTP) */
  gboolean signalling_secure;      /* the SDP travels over TLS from us to the
                                    * next hop (sips:, transport=tls): only
                                    * then may it carry an SDES key */
  const char *sdes_key;            /* SDES (RFC 4568): our SRTP master key
                                    * and salt, 30 bytes as base64, for
                                    * a=crypto "inline:" (media/sdes-srtp.h
                                    * makes one).  Offers list
                                    * AES_CM_128_HMAC_SHA1_80 (tag 1) and
                                    * _32 (tag 2), answers the one agreed.
                                    * Ignored, and no a=crypto written at
                                    * all, unless signalling_secure. */
} ZcSdpLocal;

/* One RFC 4568 a=crypto line we can use: "<tag> <suite> inline:<key>"
 * with one of our suites (AES_CM_128_HMAC_SHA1_80, _32), one 30-byte key
 * of base64, no MKI and no session parameters. */
typedef struct {
  guint tag;
  char *suite;
  char *key;
} ZcSdpCrypto;

/* One parsed (or built) session description, reduced to what a one-audio-
 * stream phone needs.  Opaque. */
typedef struct _ZcSdpSession ZcSdpSession;

void zc_sdp_session_free (ZcSdpSession *session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcSdpSession, zc_sdp_session_free)

/* o= line (RFC 4566 5.2). */
const char *zc_sdp_session_get_origin_user (const ZcSdpSession *session);
const char *zc_sdp_session_get_session_id (const ZcSdpSession *session);
const char *zc_sdp_session_get_session_version (const ZcSdpSession *session);

/* The audio stream's connection address (media-level c= if present, else
 * session-level), and its type: "IP4" or "IP6". */
const char *zc_sdp_session_get_address (const ZcSdpSession *session);
const char *zc_sdp_session_get_address_type (const ZcSdpSession *session);
/* RTP port of the audio stream; 0 = stream rejected or disabled. */
guint16 zc_sdp_session_get_port (const ZcSdpSession *session);
/* Media-level direction attribute, else session-level, else sendrecv.
 * A legacy hold offer (c=0.0.0.0, RFC 3264 8.4) is reported as not
 * receiving: sendrecv -> sendonly, recvonly -> inactive. */
ZcMediaDirection zc_sdp_session_get_direction (const ZcSdpSession *session);
/* a=ptime in milliseconds; 0 when not given. */
guint zc_sdp_session_get_ptime_ms (const ZcSdpSession *session);
/* a=rtcp-mux present on the audio stream (RFC 5761). */
gboolean zc_sdp_session_get_rtcp_mux (const ZcSdpSession *session);
/* a=rtcp on the audio stream (RFC 3605): the port RTCP goes to, 0 when
 * absent or malformed (then RTP port + 1, RFC 3605 2.1), and the address
 * when the attribute names one ("IN IP4 addr" / "IN IP6 addr"), else NULL
 * (then the audio stream's c= address). */
guint16 zc_sdp_session_get_rtcp_port (const ZcSdpSession *session);
const char *zc_sdp_session_get_rtcp_address (const ZcSdpSession *session);
/* ICE (RFC 8839) of the audio stream, for the ICE agent.  ice-ufrag and
 * ice-pwd are taken from the audio m= section, else from session level
 * (RFC 8839 5.4); NULL when absent or not made of ice-chars (ALPHA, DIGIT,
 * "+", "/"), or longer than 256.  The candidates are the audio section's
 * a=candidate lines without the "a=", e.g. "candidate:1 1 UDP 2013266431
 * 198.18.0.1 40000 typ host"; lines that do not follow the RFC 8839 5.1
 * grammar as far as "typ <type>", are longer than
 * ZC_SDP_MAX_ICE_CANDIDATE_LENGTH or hold control characters are dropped,
 * and only the first ZC_SDP_MAX_ICE_CANDIDATES are kept (the body comes
 * from the network).  Never NULL: an empty array when there are none, as
 * on a rejected stream. */
#define ZC_SDP_MAX_ICE_CANDIDATES 32
#define ZC_SDP_MAX_ICE_CANDIDATE_LENGTH 512
const char *zc_sdp_session_get_ice_ufrag (const ZcSdpSession *session);
const char *zc_sdp_session_get_ice_pwd (const ZcSdpSession *session);
const char *const *zc_sdp_session_get_ice_candidates (const ZcSdpSession *session);
/* The peer can do ICE on the audio stream: ice-ufrag, ice-pwd and at least
 * one candidate.  FALSE: plain RFC 3264 media to the c=/m= address. */
gboolean zc_sdp_session_has_ice (const ZcSdpSession *session);
/* DTLS-SRTP and SDES on the audio stream.  The m= profile of the audio
 * stream ("RTP/AVP", "UDP/TLS/RTP/SAVPF", ...).  a=fingerprint (RFC 8122,
 * media level else session level) as "<hash> <HEX:HEX:...>" with the hash
 * in lower case (sha-1, sha-224, sha-256, sha-384, sha-512) and the value
 * in upper case, NULL when absent or malformed; RFC 8643 lets it come
 * with RTP/AVP too (opportunistic DTLS-SRTP).  a=setup's role ("active",
 * "passive", "actpass", "holdconn") or NULL.  Whether an a=crypto (RFC
 * 4568 SDES) line is there: zcall never accepts SDES keys over
 * unprotected signalling, but needs to know that a peer offered only
 * those. */
const char *zc_sdp_session_get_proto (const ZcSdpSession *session);
const char *zc_sdp_session_get_fingerprint (const ZcSdpSession *session);
const char *zc_sdp_session_get_setup (const ZcSdpSession *session);
gboolean zc_sdp_session_has_crypto (const ZcSdpSession *session);
/* The first a=crypto line of the audio stream we could use, NULL when
 * none.  On the session zc_sdp_apply_answer() returns: the answer's line
 * only when it accepts one our offer carried (same tag and suite). */
const ZcSdpCrypto *zc_sdp_session_get_crypto (const ZcSdpSession *session);
/* The audio formats we could name, in m= order (telephone-event included).
 * Dynamic payload types without an a=rtpmap are left out.  Element type:
 * ZcCodec*, owned by the session. */
const GPtrArray *zc_sdp_session_get_codecs (const ZcSdpSession *session);
/* Number of m= lines, audio included. */
guint zc_sdp_session_get_n_media (const ZcSdpSession *session);
/* The codec in use, on sessions returned by zc_sdp_negotiate_answer()
 * (answer_out) and zc_sdp_apply_answer(); NULL on a plain parse. */
const ZcCodec *zc_sdp_session_get_chosen_codec (const ZcSdpSession *session);
/* The telephone-event format at @clock_rate (RFC 4733 7.1.1: it must run
 * at the rate of the audio codec), or NULL. */
const ZcCodec *zc_sdp_session_find_telephone_event (const ZcSdpSession *session, guint clock_rate);

/* Returns an SDP offer (CRLF line endings) owned by the caller: v=0, o=,
 * s=-, c=, t=0 0, one m=audio line with the configured codecs (Opus as PT
 * 111, G.722 9, PCMU 0, PCMA 8) followed by telephone-event/8000 (PT 101) and, when
 * Opus is offered, telephone-event/48000 (PT 110); a=rtpmap/a=fmtp for
 * each, a=ptime, the direction attribute, a=rtcp when local->rtcp_port is
 * set, a=rtcp-mux unless local->no_rtcp_mux, then local->ice_attributes.
 * To check an answer later, keep zc_sdp_parse() of this string. */
char *zc_sdp_build_offer (const ZcSdpLocal *local);

/* Parses an offer or an answer.  The audio stream is the first m=audio
 * line with a non-zero port over RTP/AVP or RTP/AVPF, else the first
 * m=audio line (then rejected, port 0).  Every other m= line is kept only
 * to be rejected in an answer. */
ZcSdpSession *zc_sdp_parse (const char *body, GError **error);

/* An offer answered in two steps: what we accept of it, decided once when
 * it comes (the codecs, in OUR preference order with the OFFERER's payload
 * types, and the telephone-event at the chosen codec's rate), and the
 * answer's text, written once our addresses, ports and ICE lines are known
 * (as zc_sdp_negotiate_answer() below describes).  The agreement keeps
 * what it needs of the offer. */
typedef struct _ZcSdpAgreement ZcSdpAgreement;
/* @codecs: our configured codec names (ZcSdpLocal.codecs).
 * @signalling_secure: the offer came over TLS (ZcSdpLocal).  Keys: DTLS
 * when the offer has a=fingerprint (preferred); else, over TLS only, the
 * offer's first usable a=crypto (SDES, RFC 4568); else none.  NULL with
 * ZC_SDP_ERROR_NO_COMMON_CODEC as zc_sdp_negotiate_answer() fails, and
 * for an SRTP profile that would be left without keys: no a=fingerprint
 * and no a=crypto we can take (SDES keys that came in the clear are never
 * taken).  The caller answers 488. */
ZcSdpAgreement *zc_sdp_agree (const ZcSdpSession *offer,
                              const char *const *codecs,
                              gboolean signalling_secure,
                              GError **error);
/* The offer's a=crypto line the answer accepts (its key is the peer's),
 * NULL without SDES. */
const ZcSdpCrypto *zc_sdp_agreement_get_crypto (const ZcSdpAgreement *agreement);
/* The codec to send with: the offerer's PT and a=fmtp. */
const ZcCodec *zc_sdp_agreement_get_codec (const ZcSdpAgreement *agreement);
/* The offer's telephone-event PT at that codec's rate, -1 = none. */
gint zc_sdp_agreement_get_telephone_event_pt (const ZcSdpAgreement *agreement);
/* The answer with @local's address, ports, ICE lines and direction;
 * with SDES agreed, our a=crypto with the offer's tag and suite and
 * local->sdes_key (NULL when @local cannot carry it: not
 * signalling_secure, or no key). */
char *zc_sdp_agreement_print_answer (const ZcSdpAgreement *agreement, const ZcSdpLocal *local);
void zc_sdp_agreement_free (ZcSdpAgreement *agreement);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcSdpAgreement, zc_sdp_agreement_free)

/* RFC 3264 6: answers @offer (zc_sdp_agree() and the answer's text at once).  The answer has as many m= lines as the
 * offer, in the same order, all but our audio stream rejected with port 0.
 * Audio lists the offered codecs we also have, in OUR preference order and
 * with the OFFERER's payload types, then the offered telephone-event
 * formats at those codecs' clock rates.  The first codec is the one in
 * use; the peer may still switch to another listed one (RFC 3264 6.1), so
 * the media layer should look at each packet's PT.  Direction is what both
 * sides allow (RFC 3264 6.1), a=rtcp-mux only if offered (RFC 5761 5.1.1)
 * and local->no_rtcp_mux is FALSE, a=rtcp as in an offer, and our ICE
 * lines only on the audio m= line and only if the offer has ice-ufrag and
 * ice-pwd (RFC 8839 4.3.2; an ICE offer may come without candidates,
 * 4.3.1); rejected m= lines never get any (RFC 8839 4.4.1.1.2).
 *
 * *chosen_out gets the codec to send with: the offerer's PT and a=fmtp
 * (what it wants to receive).  Every out argument may be NULL.
 * ZC_SDP_ERROR_NO_COMMON_CODEC when the offer's audio is disabled or has
 * no codec we have: the caller answers 488 Not Acceptable Here. */
gboolean zc_sdp_negotiate_answer (const ZcSdpSession *offer,
                                  const ZcSdpLocal *local,
                                  ZcSdpSession **answer_out,
                                  char **answer_sdp_out,
                                  ZcCodec **chosen_out,
                                  GError **error);

/* Checks @answer_body against the offer we sent (zc_sdp_parse() of what
 * zc_sdp_build_offer() returned) and returns the parsed answer: remote
 * address, port and direction through the accessors.  The chosen codec is
 * the answer's first codec that we offered (matched by name and clock
 * rate), with the answer's PT and a=fmtp; also in *chosen_out if not NULL.
 * ZC_SDP_ERROR_INVALID when the answer does not have one m= line per
 * offered one (RFC 3264 6), ZC_SDP_ERROR_NO_COMMON_CODEC when it rejects
 * the audio or names none of our codecs. */
ZcSdpSession *zc_sdp_apply_answer (const ZcSdpSession *offer_we_sent,
                                   const char *answer_body,
                                   ZcCodec **chosen_out,
                                   GError **error);
