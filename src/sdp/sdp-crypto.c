/* SPDX-License-Identifier: GPL-3.0-or-later */
/* RFC 4568 a=crypto (SDES): reading a peer's lines and choosing one.
 * The keys are only text here; media/sdes-srtp.c turns them into SRTP. */
#define G_LOG_DOMAIN "sdp"
#include "config.h"

#include "common/base64.h"
#include "sdp/sdp-private.h"

#include <string.h>

/* RFC 4568 6.2: the suites both ends of ours speak, preferred first. */
static const char *const our_suites[] = { "AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32" };

/* 30 bytes (RFC 4568 6.2.1: 128-bit key, 112-bit salt) of base64. */
#define KEY_BYTES 30
/* RFC 4568 9.1: tag = 1*9DIGIT. */
#define TAG_MAX 999999999u

const char *const *
zc_sdp_crypto_suites (gsize *n)
{
  *n = G_N_ELEMENTS (our_suites);
  return our_suites;
}

gboolean
zc_sdp_crypto_key_is_valid (const char *key)
{
  guint8 bytes[KEY_BYTES];
  gboolean valid = zc_base64_decode_exact (key, bytes, sizeof bytes);

  memset (bytes, 0, sizeof bytes);
  return valid;
}

ZcSdpCrypto *
zc_sdp_crypto_new (guint tag, const char *suite, const char *key)
{
  ZcSdpCrypto *crypto = g_new0 (ZcSdpCrypto, 1);

  crypto->tag = tag;
  crypto->suite = g_strdup (suite);
  crypto->key = g_strdup (key);
  return crypto;
}

ZcSdpCrypto *
zc_sdp_crypto_copy (const ZcSdpCrypto *crypto)
{
  return crypto != NULL ? zc_sdp_crypto_new (crypto->tag, crypto->suite, crypto->key) : NULL;
}

void
zc_sdp_crypto_free (ZcSdpCrypto *crypto)
{
  if (crypto == NULL)
    return;
  g_free (crypto->suite);
  if (crypto->key != NULL)
    memset (crypto->key, 0, strlen (crypto->key));
  g_free (crypto->key);
  g_free (crypto);
}

/* "<tag> <suite> inline:<key>[|<lifetime>]" and nothing else: several
 * keys (";"), an MKI ("|n:len"), other key methods and session parameters
 * (RFC 4568 6.3: an unknown one makes the line unusable) are not ours. */
ZcSdpCrypto *
zc_sdp_crypto_parse (const char *value)
{
  g_auto (GStrv) fields = NULL;
  g_auto (GStrv) key_parts = NULL;
  const char *suite = NULL;
  guint64 tag;
  char *end = NULL;
  gsize n_suites;
  const char *const *suites = zc_sdp_crypto_suites (&n_suites);

  if (value == NULL)
    return NULL;
  fields = g_strsplit_set (value, " \t", -1);
  if (g_strv_length (fields) != 3 || !g_ascii_isdigit (fields[0][0]) || strlen (fields[0]) > 9)
    return NULL;
  tag = g_ascii_strtoull (fields[0], &end, 10);
  if (*end != '\0' || tag > TAG_MAX)
    return NULL;
  for (gsize i = 0; i < n_suites; i++)
    if (strcmp (fields[1], suites[i]) == 0)
      suite = suites[i];
  if (suite == NULL || !g_str_has_prefix (fields[2], "inline:") || strchr (fields[2], ';') != NULL)
    return NULL;
  key_parts = g_strsplit (fields[2] + strlen ("inline:"), "|", -1);
  /* key, then at most a lifetime (no ':'); an MKI has one. */
  if (g_strv_length (key_parts) > 2 || (key_parts[0] != NULL && key_parts[1] != NULL && strchr (key_parts[1], ':')))
    return NULL;
  if (!zc_sdp_crypto_key_is_valid (key_parts[0]))
    return NULL;
  return zc_sdp_crypto_new ((guint) tag, suite, key_parts[0]);
}

const ZcSdpCrypto *
zc_sdp_session_get_crypto (const ZcSdpSession *session)
{
  return session->cryptos != NULL && session->cryptos->len > 0 ? g_ptr_array_index (session->cryptos, 0) : NULL;
}
