/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The libsrtp2 side of encrypted media (RFC 3711), shared by the two ways
 * zcall keys it: DTLS-SRTP (dtls-srtp.c, keys from the handshake) and SDES
 * (sdes-srtp.c, keys from a=crypto over TLS signalling).  One object is
 * the outbound and the inbound context of one call; nothing here knows
 * where the keys came from.
 *
 * Threads: protect on the media thread, unprotect on the main context;
 * the two directions are separate libsrtp2 contexts, so the threads never
 * share one. */
#pragma once

#include <glib.h>

/* AES_CM_128 (RFC 3711 8.2): 128-bit master key, 112-bit salt; a=crypto
 * and the DTLS exporter give them as key || salt. */
#define ZC_SRTP_KEY_LEN 16
#define ZC_SRTP_SALT_LEN 14
#define ZC_SRTP_MASTER_LEN (ZC_SRTP_KEY_LEN + ZC_SRTP_SALT_LEN)
/* Room an SRTP/SRTCP packet needs beyond the RTP/RTCP one (libsrtp2's
 * SRTP_MAX_TRAILER_LEN). */
#define ZC_SRTP_MAX_TRAILER 144

/* The suites zcall speaks, RFC 4568 6.2 names (RFC 5764 4.1.2 profiles). */
typedef enum {
  ZC_SRTP_AES_CM_128_HMAC_SHA1_80,
  ZC_SRTP_AES_CM_128_HMAC_SHA1_32,
} ZcSrtpSuite;

/* "AES_CM_128_HMAC_SHA1_80" ... */
const char *zc_srtp_suite_to_string (ZcSrtpSuite suite);
/* Case-sensitive, as RFC 4568 9.2 writes the names: FALSE for any other. */
gboolean zc_srtp_suite_from_string (const char *name, ZcSrtpSuite *suite);

/* libsrtp2's initialisation runs its self-tests (75 ms here): done once,
 * from wherever it costs least.  FALSE when libsrtp2 cannot be used. */
gboolean zc_srtp_prepare (void);

typedef struct _ZcSrtp ZcSrtp;

/* @tx_master: what we protect with, @rx_master: what the peer protects
 * with, each ZC_SRTP_MASTER_LEN bytes (copied, then wiped here).  SRTCP
 * always carries the 80-bit tag (RFC 4568 6.2.2, RFC 5764 4.1.2).  NULL
 * when libsrtp2 refuses the keys. */
ZcSrtp *zc_srtp_new (ZcSrtpSuite suite, const guint8 *tx_master, const guint8 *rx_master);
void zc_srtp_free (ZcSrtp *srtp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcSrtp, zc_srtp_free)

ZcSrtpSuite zc_srtp_get_suite (const ZcSrtp *srtp);
/* Media thread: protects the RTP (or RTCP) packet in @buf in place;
 * @size is the room in @buf (at least *len + ZC_SRTP_MAX_TRAILER).
 * 0 or a negative errno. */
int zc_srtp_protect (ZcSrtp *srtp, guint8 *buf, gsize size, gsize *len, gboolean rtcp);
/* Main context: authenticates and decrypts in place; 0 or -EBADMSG for a
 * forged or replayed packet. */
int zc_srtp_unprotect (ZcSrtp *srtp, guint8 *buf, gsize *len, gboolean rtcp);
