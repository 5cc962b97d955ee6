/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "srtp"

#include "config.h"

#include "media/srtp.h"

#include <errno.h>
#include <string.h>

#include <srtp2/srtp.h>

struct _ZcSrtp {
  ZcSrtpSuite suite;
  srtp_t tx;                    /* media thread */
  srtp_t rx;                    /* main context */
};

static const char *const suite_names[] = {
  [ZC_SRTP_AES_CM_128_HMAC_SHA1_80] = "AES_CM_128_HMAC_SHA1_80",
  [ZC_SRTP_AES_CM_128_HMAC_SHA1_32] = "AES_CM_128_HMAC_SHA1_32",
};

const char *
zc_srtp_suite_to_string (ZcSrtpSuite suite)
{
  return (gsize) suite < G_N_ELEMENTS (suite_names) ? suite_names[suite] : "unknown";
}

gboolean
zc_srtp_suite_from_string (const char *name, ZcSrtpSuite *suite)
{
  for (gsize i = 0; name != NULL && i < G_N_ELEMENTS (suite_names); i++) {
    if (strcmp (name, suite_names[i]) == 0) {
      *suite = (ZcSrtpSuite) i;
      return TRUE;
    }
  }
  return FALSE;
}

static gpointer
srtp_init_once (gpointer data G_GNUC_UNUSED)
{
  srtp_err_status_t status = srtp_init ();

  if (status != srtp_err_status_ok)
    g_warning ("srtp: libsrtp2 did not initialise (error %d)", status);
  return GINT_TO_POINTER (status == srtp_err_status_ok);
}

gboolean
zc_srtp_prepare (void)
{
  static GOnce once = G_ONCE_INIT;

  return GPOINTER_TO_INT (g_once (&once, srtp_init_once, NULL));
}

static srtp_t
context_new (ZcSrtpSuite suite, const guint8 *master_in, gboolean outbound)
{
  srtp_policy_t policy;
  guint8 master[ZC_SRTP_MASTER_LEN];
  srtp_t ctx = NULL;

  memset (&policy, 0, sizeof policy);
  if (suite == ZC_SRTP_AES_CM_128_HMAC_SHA1_32)
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32 (&policy.rtp);
  else
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy.rtp);
  /* RFC 4568 6.2.2, RFC 5764 4.1.2: SRTCP always carries the 80-bit tag. */
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80 (&policy.rtcp);
  memcpy (master, master_in, sizeof master);
  policy.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
  policy.key = master;
  policy.window_size = 1024;
  policy.next = NULL;
  if (srtp_create (&ctx, &policy) != srtp_err_status_ok)
    ctx = NULL;
  memset (master, 0, sizeof master);
  return ctx;
}

ZcSrtp *
zc_srtp_new (ZcSrtpSuite suite, const guint8 *tx_master, const guint8 *rx_master)
{
  g_autoptr (ZcSrtp) srtp = NULL;

  if (!zc_srtp_prepare ())
    return NULL;
  srtp = g_new0 (ZcSrtp, 1);
  srtp->suite = suite;
  srtp->tx = context_new (suite, tx_master, TRUE);
  srtp->rx = context_new (suite, rx_master, FALSE);
  if (srtp->tx == NULL || srtp->rx == NULL)
    return NULL;
  return g_steal_pointer (&srtp);
}

void
zc_srtp_free (ZcSrtp *srtp)
{
  if (srtp == NULL)
    return;
  if (srtp->tx != NULL)
    srtp_dealloc (srtp->tx);
  if (srtp->rx != NULL)
    srtp_dealloc (srtp->rx);
  g_free (srtp);
}

ZcSrtpSuite
zc_srtp_get_suite (const ZcSrtp *srtp)
{
  return srtp->suite;
}

int
zc_srtp_protect (ZcSrtp *srtp, guint8 *buf, gsize size, gsize *len, gboolean rtcp)
{
  int n = (int) *len;
  srtp_err_status_t status;

  if (size < *len + ZC_SRTP_MAX_TRAILER)
    return -EMSGSIZE;
  status = rtcp ? srtp_protect_rtcp (srtp->tx, buf, &n) : srtp_protect (srtp->tx, buf, &n);
  if (status != srtp_err_status_ok)
    return -EIO;
  *len = (gsize) n;
  return 0;
}

int
zc_srtp_unprotect (ZcSrtp *srtp, guint8 *buf, gsize *len, gboolean rtcp)
{
  int n = (int) *len;
  srtp_err_status_t status;

  status = rtcp ? srtp_unprotect_rtcp (srtp->rx, buf, &n) : srtp_unprotect (srtp->rx, buf, &n);
  if (status != srtp_err_status_ok)
    return -EBADMSG;
  *len = (gsize) n;
  return 0;
}
