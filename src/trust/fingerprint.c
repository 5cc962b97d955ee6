/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "trust"

#include "config.h"
#include "trust/fingerprint.h"
#include "trust/trust-error.h"

#include <glib/gi18n.h>
#include <string.h>

void
zc_fingerprint_from_der (const guint8 *der, gsize len, ZcFingerprint *out)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize n = sizeof out->sha256;

  g_checksum_update (sum, der, (gssize) len);
  g_checksum_get_digest (sum, out->sha256, &n);
  g_assert (n == sizeof out->sha256);
}

static char *
hex_joined (const ZcFingerprint *fp, guint group_bytes, char sep)
{
  GString *s = g_string_sized_new (ZC_FINGERPRINT_LEN * 3);

  for (guint i = 0; i < ZC_FINGERPRINT_LEN; i++) {
    if (i > 0 && i % group_bytes == 0)
      g_string_append_c (s, sep);
    g_string_append_printf (s, "%02X", fp->sha256[i]);
  }
  return g_string_free (s, FALSE);
}

char *
zc_fingerprint_to_sdp (const ZcFingerprint *fp)
{
  g_autofree char *hex = hex_joined (fp, 1, ':');

  return g_strconcat ("sha-256 ", hex, NULL);
}

char *
zc_fingerprint_to_human (const ZcFingerprint *fp)
{
  return hex_joined (fp, 2, ' ');
}

char *
zc_fingerprint_to_compact (const ZcFingerprint *fp)
{
  char *b64 = g_base64_encode (fp->sha256, sizeof fp->sha256);

  /* RFC 4648 5: the URL- and filename-safe alphabet, without padding, so
   * the value needs no quoting in TXT records, file names or URLs. */
  for (char *p = b64; *p != '\0'; p++) {
    if (*p == '+')
      *p = '-';
    else if (*p == '/')
      *p = '_';
  }
  b64[ZC_FINGERPRINT_COMPACT_LEN] = '\0';
  return b64;
}

static gboolean
is_base64url (const char *s, gsize len)
{
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (s[i]) && s[i] != '-' && s[i] != '_')
      return FALSE;
  return TRUE;
}

static gboolean
parse_compact (const char *s, ZcFingerprint *out)
{
  char b64[ZC_FINGERPRINT_COMPACT_LEN + 2];
  g_autofree guint8 *raw = NULL;
  g_autofree char *again = NULL;
  gsize n = 0;

  for (guint i = 0; i < ZC_FINGERPRINT_COMPACT_LEN; i++)
    b64[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
  b64[ZC_FINGERPRINT_COMPACT_LEN] = '=';
  b64[ZC_FINGERPRINT_COMPACT_LEN + 1] = '\0';
  raw = g_base64_decode (b64, &n);
  if (n != ZC_FINGERPRINT_LEN)
    return FALSE;
  memcpy (out->sha256, raw, n);
  /* The last character carries 4 unused bits; only the canonical spelling
   * is accepted, so one fingerprint has one compact form. */
  again = zc_fingerprint_to_compact (out);
  return memcmp (again, s, ZC_FINGERPRINT_COMPACT_LEN) == 0;
}

/* Reads 64 hex digits, skipping ' ' and ':' between them. */
static gboolean
parse_hex (const char *s, ZcFingerprint *out)
{
  guint digits = 0;

  for (; *s != '\0'; s++) {
    int v;

    if (*s == ' ' || *s == ':')
      continue;
    v = g_ascii_xdigit_value (*s);
    if (v < 0 || digits >= ZC_FINGERPRINT_LEN * 2)
      return FALSE;
    if (digits % 2 == 0)
      out->sha256[digits / 2] = (guint8) (v << 4);
    else
      out->sha256[digits / 2] |= (guint8) v;
    digits++;
  }
  return digits == ZC_FINGERPRINT_LEN * 2;
}

/* RFC 8122 5: fingerprint = 2UHEX *(":" 2UHEX), here exactly 32 pairs. */
static gboolean
parse_colon_hex (const char *s, ZcFingerprint *out)
{
  if (strlen (s) != ZC_FINGERPRINT_LEN * 3 - 1)
    return FALSE;
  for (guint i = 0; i < ZC_FINGERPRINT_LEN; i++) {
    const char *p = s + i * 3;
    int hi = g_ascii_xdigit_value (p[0]), lo = g_ascii_xdigit_value (p[1]);

    if (hi < 0 || lo < 0 || (i + 1 < ZC_FINGERPRINT_LEN && p[2] != ':'))
      return FALSE;
    out->sha256[i] = (guint8) (hi << 4 | lo);
  }
  return TRUE;
}

gboolean
zc_fingerprint_parse (const char *text, ZcFingerprint *out, GError **error)
{
  g_autofree char *s = g_strstrip (g_strdup (text != NULL ? text : ""));
  gsize len = strlen (s);
  const char *space = strpbrk (s, " \t");
  ZcFingerprint fp;

  if (len == ZC_FINGERPRINT_COMPACT_LEN && is_base64url (s, len)) {
    if (!parse_compact (s, &fp))
      goto invalid;
  } else if (space != NULL && g_ascii_isalpha (s[0]) && strchr (space, ':') != NULL) {
    g_autofree char *hash = g_ascii_strdown (s, space - s);
    const char *hex = space;

    while (*hex == ' ' || *hex == '\t')
      hex++;
    /* RFC 8122 5: hash names are case-insensitive. */
    if (strcmp (hash, "sha-256") != 0) {
      g_set_error (error, ZC_TRUST_ERROR, ZC_TRUST_ERROR_UNSUPPORTED,
                   _("unsupported fingerprint hash function '%.16s' (only sha-256)"), hash);
      return FALSE;
    }
    if (!parse_colon_hex (hex, &fp))
      goto invalid;
  } else if (!parse_hex (s, &fp)) {
    goto invalid;
  }
  *out = fp;
  return TRUE;

invalid:
  /* The text may come from anyone on the LAN: not echoed. */
  g_set_error_literal (error, ZC_TRUST_ERROR, ZC_TRUST_ERROR_INVALID,
                       _("not a SHA-256 fingerprint"));
  return FALSE;
}

char *
zc_fingerprint_normalize (const char *text, GError **error)
{
  ZcFingerprint fp;

  if (!zc_fingerprint_parse (text, &fp, error))
    return NULL;
  return zc_fingerprint_to_sdp (&fp);
}

gboolean
zc_fingerprint_equal (const ZcFingerprint *a, const ZcFingerprint *b)
{
  return memcmp (a->sha256, b->sha256, sizeof a->sha256) == 0;
}
