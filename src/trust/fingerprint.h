/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A certificate's SHA-256 fingerprint and its three spellings.  Pure: no
 * I/O and no GnuTLS, so discovery and SDP code can parse and compare
 * fingerprints without loading a TLS library.
 *
 *   SDP (RFC 8122 5): "sha-256 AB:CD:...:EF", 32 colon-separated upper-case
 *     hex pairs; for a=fingerprint.
 *   compact: the 32 bytes in unpadded base64url (RFC 4648 5), 43
 *     characters; for the DNS-SD TXT record as "fp=<compact>".  46 bytes
 *     of the 255 a TXT string may hold, and little of the ~400 bytes RFC
 *     6763 6.2 asks a whole record to stay under.  All 256 bits are kept:
 *     the TXT value is what a peer gets pinned by, and a shortened hash
 *     would let an impostor search for a key that matches it.
 *   human: 64 upper-case hex digits in 16 groups of 4 ("AB12 CD34 ..."),
 *     for two people reading it to each other; every digit is compared,
 *     for the same reason.
 *
 * zc_fingerprint_parse() reads all three (and bare hex), ignoring case, so
 * whatever a user pastes back is understood. */
#pragma once

#include <glib.h>

#define ZC_FINGERPRINT_LEN 32            /* bytes of SHA-256 */
#define ZC_FINGERPRINT_COMPACT_LEN 43    /* ceil (32 * 8 / 6) */

typedef struct {
  guint8 sha256[ZC_FINGERPRINT_LEN];
} ZcFingerprint;

/* The fingerprint of a DER-encoded certificate (RFC 8122 5: the hash is
 * over the certificate's DER form, as DTLS presents it). */
void zc_fingerprint_from_der (const guint8 *der, gsize len, ZcFingerprint *out);

/* Each returns a new string. */
char *zc_fingerprint_to_sdp (const ZcFingerprint *fp);
char *zc_fingerprint_to_compact (const ZcFingerprint *fp);
char *zc_fingerprint_to_human (const ZcFingerprint *fp);

/* Accepts the SDP form (hash name case-insensitive; only sha-256, other
 * hash functions fail with ZC_TRUST_ERROR_UNSUPPORTED), the compact form,
 * the human form and 64 bare hex digits; surrounding white space is
 * ignored.  Anything else fails with ZC_TRUST_ERROR_INVALID. */
gboolean zc_fingerprint_parse (const char *text, ZcFingerprint *out, GError **error);

/* Parses @text and returns it in the SDP form, or NULL with @error set. */
char *zc_fingerprint_normalize (const char *text, GError **error);

gboolean zc_fingerprint_equal (const ZcFingerprint *a, const ZcFingerprint *b);
