/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ZC_DTLS_ERROR, apart from dtls-srtp.c: the core matches these errors in
 * zcalld, which does not link the media module (media-module.h).  A quark
 * is interned by its string, so the module's copy of this function returns
 * the same value. */
#include "config.h"

#include "media/dtls-srtp.h"

G_DEFINE_QUARK (zc-dtls-error-quark, zc_dtls_error)
