/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"
#include "common/base64.h"

#include <string.h>

gboolean
zc_base64_decode_exact (const char *text, guint8 *out, gsize len)
{
  g_autofree guchar *bytes = NULL;
  gsize decoded = 0;

  /* Whole groups only: a key of a length base64 pads is not one we use. */
  if (text == NULL || len % 3 != 0 || strlen (text) != len / 3 * 4)
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '+' && *p != '/')
      return FALSE;
  bytes = g_base64_decode (text, &decoded);
  if (decoded == len)
    memcpy (out, bytes, len);
  memset (bytes, 0, decoded);
  return decoded == len;
}
