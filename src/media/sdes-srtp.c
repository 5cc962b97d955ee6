/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sdes"

#include "config.h"

#include "common/base64.h"
#include "media/sdes-srtp.h"

#include <string.h>


/* The error quark and zc_sdes_key_new() are in sdes-key.c: the core
 * writes a=crypto keys in zcalld, without the media module. */

gboolean
zc_sdes_key_decode (const char *key, guint8 master[ZC_SRTP_MASTER_LEN])
{
  return zc_base64_decode_exact (key, master, ZC_SRTP_MASTER_LEN);
}

ZcSrtp *
zc_sdes_srtp_new (const char *suite_name, const char *local_key, const char *remote_key, GError **error)
{
  guint8 tx[ZC_SRTP_MASTER_LEN], rx[ZC_SRTP_MASTER_LEN];
  ZcSrtpSuite suite;
  ZcSrtp *srtp = NULL;

  if (!zc_srtp_suite_from_string (suite_name, &suite)) {
    g_set_error (error, ZC_SDES_ERROR, ZC_SDES_ERROR_FAILED, "SDES: crypto suite %s is not one of ours",
                 suite_name != NULL ? suite_name : "(none)");
    return NULL;
  }
  if (!zc_sdes_key_decode (local_key, tx) || !zc_sdes_key_decode (remote_key, rx)) {
    g_set_error_literal (error, ZC_SDES_ERROR, ZC_SDES_ERROR_FAILED, "SDES: a key is not 30 bytes of base64");
    return NULL;
  }
  srtp = zc_srtp_new (suite, tx, rx);
  memset (tx, 0, sizeof tx);
  memset (rx, 0, sizeof rx);
  if (srtp == NULL)
    g_set_error_literal (error, ZC_SDES_ERROR, ZC_SDES_ERROR_FAILED, "SDES: libsrtp2 refused the keys");
  return srtp;
}
