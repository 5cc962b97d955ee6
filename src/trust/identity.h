/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The agent's long-term identity: an ECDSA P-256 key pair and a
 * self-signed X.509 certificate.  Peers pin the certificate's SHA-256
 * fingerprint (known-peers.h); DTLS-SRTP presents the certificate and SDP
 * carries its fingerprint (RFC 8122), so the key must never change behind
 * the user's back: a new key looks like an impostor to every colleague.
 *
 * Why GnuTLS and not OpenSSL: zcalld already loads GnuTLS through libnice,
 * whose STUN code computes its message-integrity HMACs with it (RFC 8489
 * 14.5), so X.509, ECDSA and, later, DTLS add no second TLS
 * library to the process: one set of security updates to follow, one
 * library's bugs to know, and the system's crypto policy applies to all of
 * it.  libsrtp2 will protect the packets with the keys GnuTLS exports from
 * the DTLS handshake (RFC 5764 4.2).
 *
 * Storage: one file, identity.pem, in the directory the caller names
 * (the agent passes $XDG_STATE_HOME/zcall/), holding the PKCS #8 private
 * key and then the certificate, both PEM.  One file, so a single rename
 * makes a new identity appear whole: a crash between writing a key and a
 * certificate in two files would leave a pair the next start must refuse.
 * Mode 0600 in a directory created 0700. */
#pragma once

#include "trust/fingerprint.h"

#include <glib.h>
#include <gnutls/x509.h>

#define ZC_IDENTITY_FILE "identity.pem"

typedef struct _ZcIdentity ZcIdentity;

/* Loads @dir/identity.pem, or creates it (with @common_name as the
 * certificate's CN, cut to 64 bytes, RFC 5280's upper bound; an empty one
 * becomes "zcall") when the name does not exist at all.  A loaded identity
 * keeps the CN it was made with: a renamed user keeps their key.  Anything else that is there, but is not a
 * readable key and matching certificate (a directory, garbage, a
 * truncated file, a certificate of another key), fails with a GError that
 * names the file, and the file is left exactly as it was: the user decides
 * whether to restore it or remove it. */
ZcIdentity *zc_identity_load_or_create (const char  *dir,
                                        const char  *common_name,
                                        GError     **error);
void zc_identity_free (ZcIdentity *id);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcIdentity, zc_identity_free)

/* Whether this call created the identity (for a log line on first start). */
gboolean zc_identity_is_new (const ZcIdentity *id);
const char *zc_identity_get_path (const ZcIdentity *id);
const char *zc_identity_get_common_name (const ZcIdentity *id);

const ZcFingerprint *zc_identity_get_fingerprint_raw (const ZcIdentity *id);
/* "sha-256 AB:CD:..." for SDP a=fingerprint (RFC 8122). */
const char *zc_identity_get_fingerprint (const ZcIdentity *id);
/* 43 characters of base64url for the TXT record's fp= (fingerprint.h). */
const char *zc_identity_get_fingerprint_compact (const ZcIdentity *id);
/* "AB12 CD34 ..." for comparing over the phone. */
const char *zc_identity_get_fingerprint_human (const ZcIdentity *id);

/* Borrowed; valid as long as @id.  For the DTLS and TLS credentials
 * (gnutls_certificate_set_x509_key). */
gnutls_x509_crt_t zc_identity_get_certificate (const ZcIdentity *id);
gnutls_x509_privkey_t zc_identity_get_private_key (const ZcIdentity *id);
