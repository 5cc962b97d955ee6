/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sip"

#include "config.h"
#include "sip/digest.h"

#include <string.h>

static GChecksumType
checksum_type (const char *algorithm, gboolean *sess)
{
  *sess = FALSE;
  if (algorithm == NULL || g_ascii_strcasecmp (algorithm, "MD5") == 0)
    return G_CHECKSUM_MD5;
  if (g_ascii_strcasecmp (algorithm, "MD5-sess") == 0) {
    *sess = TRUE;
    return G_CHECKSUM_MD5;
  }
  if (g_ascii_strcasecmp (algorithm, "SHA-256") == 0)
    return G_CHECKSUM_SHA256;
  if (g_ascii_strcasecmp (algorithm, "SHA-256-sess") == 0) {
    *sess = TRUE;
    return G_CHECKSUM_SHA256;
  }
  return (GChecksumType) -1;
}

int
zc_digest_algorithm_strength (const char *algorithm)
{
  gboolean sess;
  GChecksumType type = checksum_type (algorithm, &sess);

  return type == G_CHECKSUM_SHA256 ? 2 : type == G_CHECKSUM_MD5 ? 1 : 0;
}

static char *
hash_join (GChecksumType type, const char *first, ...)
{
  g_autoptr (GChecksum) sum = g_checksum_new (type);
  va_list args;

  va_start (args, first);
  for (const char *part = first; part != NULL; part = va_arg (args, const char *)) {
    if (part != first)
      g_checksum_update (sum, (const guchar *) ":", 1);
    g_checksum_update (sum, (const guchar *) part, (gssize) strlen (part));
  }
  va_end (args);
  return g_strdup (g_checksum_get_string (sum));
}

/* qop="auth,auth-int" offers auth: RFC 2617 3.2.1 lets us choose. */
static gboolean
offers_auth (const char *qop)
{
  g_auto (GStrv) options = g_strsplit (qop, ",", -1);

  for (guint i = 0; options[i] != NULL; i++)
    if (g_ascii_strcasecmp (g_strstrip (options[i]), "auth") == 0)
      return TRUE;
  return FALSE;
}

/* name="value" with the value's quotes and backslashes escaped
 * (RFC 3261 25.1 quoted-pair): a challenge's values come from the
 * network, and a bare quote in them would let its sender write our
 * header's other parameters.  Line ends cannot be quoted: dropped. */
static void
append_quoted (GString *out, const char *name, const char *value)
{
  g_string_append_printf (out, "%s=\"", name);
  for (const char *p = value; *p != '\0'; p++) {
    if (*p == '\r' || *p == '\n')
      continue;
    if (*p == '"' || *p == '\\')
      g_string_append_c (out, '\\');
    g_string_append_c (out, *p);
  }
  g_string_append_c (out, '"');
}

char *
zc_digest_authorization (const ZcDigestChallenge *challenge,
                         const char *username,
                         const char *password,
                         const char *method,
                         const char *uri,
                         const char *cnonce,
                         guint nc)
{
  gboolean sess;
  GChecksumType type = checksum_type (challenge->algorithm, &sess);
  g_autofree char *random_cnonce = NULL;
  g_autofree char *ha1 = NULL, *ha2 = NULL, *response = NULL;
  char nc_text[9];
  GString *out;

  if ((int) type == -1 || challenge->realm == NULL || challenge->nonce == NULL)
    return NULL;
  if (challenge->qop != NULL && !offers_auth (challenge->qop))
    return NULL; /* auth-int only: we do not hash bodies */
  if (cnonce == NULL)
    cnonce = random_cnonce = g_strdup_printf ("%08x%08x", g_random_int (), g_random_int ());
  g_snprintf (nc_text, sizeof nc_text, "%08x", nc);

  ha1 = hash_join (type, username, challenge->realm, password, NULL);
  if (sess) {
    g_autofree char *base = g_steal_pointer (&ha1);
    ha1 = hash_join (type, base, challenge->nonce, cnonce, NULL);
  }
  ha2 = hash_join (type, method, uri, NULL);
  response = challenge->qop != NULL ? hash_join (type, ha1, challenge->nonce, nc_text, cnonce, "auth", ha2, NULL)
                                    : hash_join (type, ha1, challenge->nonce, ha2, NULL);

  out = g_string_new ("Digest");
  append_quoted (out, " username", username);
  append_quoted (out, ", realm", challenge->realm);
  append_quoted (out, ", nonce", challenge->nonce);
  append_quoted (out, ", uri", uri);
  append_quoted (out, ", response", response);
  g_string_append_printf (out, ", algorithm=%s", challenge->algorithm != NULL ? challenge->algorithm : "MD5");
  if (challenge->opaque != NULL)
    append_quoted (out, ", opaque", challenge->opaque);
  if (challenge->qop != NULL) {
    g_string_append_printf (out, ", qop=auth, nc=%s", nc_text);
    append_quoted (out, ", cnonce", cnonce);
  }
  return g_string_free (out, FALSE);
}
