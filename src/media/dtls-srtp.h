/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DTLS-SRTP (RFC 5763, RFC 5764) for one call's media: a GnuTLS DTLS
 * handshake over the RTP component of a ZcIceAgent (ICE or plain RTP
 * alike), the peer's certificate checked against the a=fingerprint of its
 * SDP, then libsrtp2 sessions keyed from the handshake (RFC 5764 4.2).
 *
 * The RTP session (rtp-session.c) demultiplexes what the agent delivers
 * (RFC 7983: 20-63 DTLS, 128-191 RTP/RTCP; libnice keeps STUN) and hands
 * DTLS records here.  Until the handshake is over and the certificate
 * matched, no RTP goes out and none comes in: nothing is played or sent
 * in the clear, nor to a peer that is not the one its SDP names.
 *
 * Roles (RFC 8842 5.2): the offerer says actpass, the answerer active, so
 * the answerer is the DTLS client.  One handshake on component 1: the keys
 * protect RTCP on component 2 too when RTCP is not muxed (every peer
 * zcall meets muxes; RFC 5764 4.1 would want a second handshake).
 *
 * Threads: new, start, receive, unprotect and free on the thread of the
 * main context (where libnice delivers); protect on the media thread,
 * once zc_dtls_srtp_is_keyed() said TRUE there.  The outbound and inbound
 * SRTP contexts are separate objects, so the two threads never share
 * one. */
#pragma once

#include <gio/gio.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "ice/ice-agent.h"
#include "media/srtp.h"

#define ZC_DTLS_ERROR (zc_dtls_error_quark ())

typedef enum {
  ZC_DTLS_ERROR_IDENTITY_MISMATCH, /* the certificate is not the one a=fingerprint names */
  ZC_DTLS_ERROR_FAILED,            /* the handshake failed (alert, no SRTP profile, ...) */
  ZC_DTLS_ERROR_TIMED_OUT,         /* no handshake within ZC_DTLS_HANDSHAKE_TIMEOUT_MS */
} ZcDtlsError;

GQuark zc_dtls_error_quark (void);

/* From the transport's connection to keys; gnutls retransmits inside it
 * (first after ZC_DTLS_RETRANSMIT_MS, then doubling, RFC 6347 4.2.4.1). */
#define ZC_DTLS_HANDSHAKE_TIMEOUT_MS 10000
#define ZC_DTLS_RETRANSMIT_MS 250

typedef struct _ZcDtlsSrtp ZcDtlsSrtp;

/* The handshake is over: @error NULL (keyed) or why not.  On the main
 * context, from inside zc_dtls_srtp_receive() or a timer: do not free
 * @dtls in it. */
typedef void (*ZcDtlsSrtpDoneFunc) (ZcDtlsSrtp *dtls, const GError *error, gpointer user_data);

typedef struct {
  gnutls_x509_crt_t certificate;   /* ours (trust/identity.h), not copied: must outlive the session */
  gnutls_x509_privkey_t private_key;
  gboolean client;                 /* we said a=setup:active */
  const char *remote_fingerprint;  /* the peer's a=fingerprint, "sha-256 AB:CD:..." */
  const char *call_id;             /* log lines start "call <id>: " */
} ZcDtlsSrtpConfig;

/* zc_srtp_prepare() (media/srtp.h): done from wherever it costs least (a
 * call that gathers candidates, not one that has just answered). */
gboolean zc_dtls_srtp_prepare (void);

ZcDtlsSrtp *zc_dtls_srtp_new (ZcIceAgent *agent,
                              const ZcDtlsSrtpConfig *config,
                              ZcDtlsSrtpDoneFunc done,
                              gpointer user_data,
                              GError **error);
void zc_dtls_srtp_free (ZcDtlsSrtp *dtls);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcDtlsSrtp, zc_dtls_srtp_free)

/* The transport has a working pair: the client sends its ClientHello, and
 * the handshake's deadline starts for both roles.  Later calls do
 * nothing. */
void zc_dtls_srtp_start (ZcDtlsSrtp *dtls);
/* A datagram whose first byte is 20..63 (RFC 7983).  Before start it is
 * kept (a few) for then. */
void zc_dtls_srtp_receive (ZcDtlsSrtp *dtls, const guint8 *buf, gsize len);
static inline gboolean
zc_dtls_srtp_is_dtls (const guint8 *buf, gsize len)
{
  return len > 0 && buf[0] >= 20 && buf[0] <= 63;
}

/* Any thread: the SRTP contexts exist. */
gboolean zc_dtls_srtp_is_keyed (ZcDtlsSrtp *dtls);
/* Any thread: the keyed contexts (media/srtp.h), NULL before. */
ZcSrtp *zc_dtls_srtp_get_srtp (ZcDtlsSrtp *dtls);
/* Media thread: protects the RTP (or RTCP) packet in @buf in place;
 * @size is the room in @buf (at least *len + ZC_SRTP_MAX_TRAILER).
 * 0 or a negative errno (-ENOTCONN before the keys). */
int zc_dtls_srtp_protect (ZcDtlsSrtp *dtls, guint8 *buf, gsize size, gsize *len, gboolean rtcp);
/* Main context: authenticates and decrypts in place; 0 or a negative
 * errno (-EBADMSG for a forged or replayed packet). */
int zc_dtls_srtp_unprotect (ZcDtlsSrtp *dtls, guint8 *buf, gsize *len, gboolean rtcp);

/* Once keyed: "AES_CM_128_HMAC_SHA1_80" or "AES_CM_128_HMAC_SHA1_32",
 * and the peer's certificate as "sha-256 AB:CD:..." (the hash its SDP
 * used), for the core to compare with a pin.  NULL before. */
const char *zc_dtls_srtp_get_suite (ZcDtlsSrtp *dtls);
const char *zc_dtls_srtp_get_peer_fingerprint (ZcDtlsSrtp *dtls);
