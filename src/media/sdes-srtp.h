/* SPDX-License-Identifier: GPL-3.0-or-later */
/* SDES-SRTP (RFC 4568): SRTP keyed from the a=crypto lines of the two
 * session descriptions, each side's own master key and salt sent inline.
 * Anyone who reads the SDP has the keys, so the core uses it only on
 * dialogs whose signalling is TLS from us to the next hop, and only with
 * peers without DTLS-SRTP (plain SIP phones behind a TLS-capable PBX);
 * two zcall agents always key with DTLS (dtls-srtp.h).
 *
 * The keys are installed at once: there is no handshake, the session is
 * keyed before the first packet.  libsrtp2 is behind media/srtp.h, the
 * same code DTLS-SRTP uses. */
#pragma once

#include <glib.h>

#include "media/srtp.h"

#define ZC_SDES_ERROR (zc_sdes_error_quark ())

typedef enum {
  ZC_SDES_ERROR_FAILED, /* a key that is not 30 bytes of base64, an unknown suite, libsrtp2 */
} ZcSdesError;

GQuark zc_sdes_error_quark (void);

/* Our inline key for a=crypto: ZC_SRTP_MASTER_LEN bytes from
 * gnutls_rnd (GNUTLS_RND_KEY), base64 (RFC 4568 6.1: key || salt; 40
 * characters).  NULL when the random generator fails. */
char *zc_sdes_key_new (GError **error);
/* Decodes a key as zc_sdes_key_new() writes it (and a=crypto carries it):
 * FALSE unless exactly ZC_SRTP_MASTER_LEN bytes of strict base64. */
gboolean zc_sdes_key_decode (const char *key, guint8 master[ZC_SRTP_MASTER_LEN]);

/* The contexts for a call: we protect with @local_key (what our SDP said),
 * the peer with @remote_key (what its SDP said), both with @suite
 * ("AES_CM_128_HMAC_SHA1_80" or "AES_CM_128_HMAC_SHA1_32"). */
ZcSrtp *zc_sdes_srtp_new (const char *suite, const char *local_key, const char *remote_key, GError **error);
