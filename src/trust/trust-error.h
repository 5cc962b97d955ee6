/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

/* Errors of the trust module.  I/O failures keep their G_FILE_ERROR codes;
 * these are the ones a caller acts on differently (a corrupt identity stops
 * the agent, a full known-peers file only leaves a peer unpinned). */
#define ZC_TRUST_ERROR (zc_trust_error_quark ())

typedef enum {
  ZC_TRUST_ERROR_CORRUPT,      /* a stored key, certificate or file header is unusable */
  ZC_TRUST_ERROR_INVALID,      /* an argument (fingerprint text, peer id) is malformed */
  ZC_TRUST_ERROR_UNSUPPORTED,  /* a hash function other than SHA-256, a newer file version */
  ZC_TRUST_ERROR_CRYPTO,       /* GnuTLS failed to generate or sign */
  ZC_TRUST_ERROR_FULL,         /* the known-peers file holds its cap of pins */
  ZC_TRUST_ERROR_UNKNOWN_PEER, /* no pin for this peer */
  ZC_TRUST_ERROR_CHANGED,      /* the peer shows another key than its pin */
} ZcTrustError;

GQuark zc_trust_error_quark (void);
