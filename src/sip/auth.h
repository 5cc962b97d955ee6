/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Answering digest challenges (RFC 3261 22): the strongest challenge of a
 * 401 or 407 picked and dequoted, its answer computed (digest.h, the pure
 * computation), and a request re-sent with credentials.  Registrations
 * (register.c) and calls through the rendezvous proxy (session.c) both
 * come here.  Private to sip/. */
#pragma once

#include <glib.h>
#include <osip2/osip.h>

/* The strongest Digest challenge of a 401 or 407 (RFC 8760 2.4), its
 * values dequoted. */
typedef struct {
  char *realm, *nonce, *opaque, *algorithm, *qop;
  gboolean stale;
  gboolean proxy;   /* from a 407's Proxy-Authenticate: answer in Proxy-Authorization */
} ZcSipAuthChallenge;

/* FALSE when @response has no challenge we can answer.  With @realm,
 * only a challenge for that realm counts: credentials are for the
 * registrar, and anyone else who challenges must not get an answer
 * computed from them. */
gboolean zc_sip_auth_pick_challenge (osip_message_t *response, const char *realm, ZcSipAuthChallenge *out);
void zc_sip_auth_challenge_clear (ZcSipAuthChallenge *challenge);

/* Adds the (Proxy-)Authorization answering @challenge to @request, for
 * @method and @uri with nonce count @nc.  FALSE when the challenge cannot
 * be answered (unsupported algorithm or qop). */
gboolean zc_sip_auth_add_credentials (osip_message_t *request, const ZcSipAuthChallenge *challenge,
                                      const char *username, const char *password, const char *method,
                                      const char *uri, guint nc);

/* @request again with credentials for the challenge in @response: a new
 * CSeq and a new branch, as RFC 3261 22.2 asks of a new transaction.  NULL
 * when the challenge cannot be answered. */
osip_message_t *zc_sip_auth_retry_request (osip_message_t *request, osip_message_t *response, const char *realm,
                                           const char *username, const char *password);
