/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The SDES key the core writes into a=crypto, apart from sdes-srtp.c: the
 * core offers it before any media exists, in zcalld itself, and
 * sdes-srtp.c would bring libsrtp2 with it, which only the media module
 * (media-module.h) links.  GnuTLS and GLib only. */
#define G_LOG_DOMAIN "sdes"

#include "config.h"

#include "media/sdes-srtp.h"

#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

G_DEFINE_QUARK (zc-sdes-error-quark, zc_sdes_error)

char *
zc_sdes_key_new (GError **error)
{
  guint8 master[ZC_SRTP_MASTER_LEN];
  char *key;
  int ret;

  /* GNUTLS_RND_KEY: the level for long-lived secrets, as a session key
   * that protects a whole call is. */
  if ((ret = gnutls_rnd (GNUTLS_RND_KEY, master, sizeof master)) < 0) {
    g_set_error (error, ZC_SDES_ERROR, ZC_SDES_ERROR_FAILED, "SDES: no random key (%s)", gnutls_strerror (ret));
    return NULL;
  }
  key = g_base64_encode (master, sizeof master);
  memset (master, 0, sizeof master);
  return key;
}
