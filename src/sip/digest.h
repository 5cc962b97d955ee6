/* SPDX-License-Identifier: GPL-3.0-or-later */
/* HTTP digest authentication as SIP uses it (RFC 3261 22.4, RFC 2617,
 * RFC 7616 for SHA-256, RFC 8760 for SIP): the answer to a 401's
 * WWW-Authenticate or a 407's Proxy-Authenticate.  Pure: strings in,
 * a header value out. */
#pragma once

#include <glib.h>

typedef struct {
  const char *realm;
  const char *nonce;
  const char *opaque;     /* NULL when the challenge has none */
  const char *algorithm;  /* "MD5", "SHA-256" (the -sess variants too), NULL = MD5 */
  const char *qop;        /* the challenge's qop list, e.g. "auth,auth-int"; NULL = none (RFC 2069) */
} ZcDigestChallenge;

/* Algorithms we can answer, for choosing among several challenges
 * (RFC 8760 2.4: the strongest supported one). 0 = unsupported. */
int zc_digest_algorithm_strength (const char *algorithm);

/* The Authorization / Proxy-Authorization value ("Digest username=...").
 * @cnonce and @nc are the client nonce and nonce count (1 for a fresh
 * nonce); @cnonce NULL makes a random one.  NULL for an unsupported
 * algorithm or a qop without "auth". */
char *zc_digest_authorization (const ZcDigestChallenge *challenge,
                               const char *username,
                               const char *password,
                               const char *method,
                               const char *uri,
                               const char *cnonce,
                               guint nc);
