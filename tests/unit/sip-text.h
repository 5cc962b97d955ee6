/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reading the SIP text the socketless user agent sends, for the unit tests
 * that drive it (test-sip.c, test-calls.c). */
#pragma once

#include <glib.h>
#include <string.h>

/* The value of the first @name header in @text (full header names, as
 * our stack writes them), or NULL. */
static inline char *
sip_text_header (const char *text, const char *name)
{
  g_autofree char *needle = g_strdup_printf ("\r\n%s: ", name);
  const char *p = strstr (text, needle);
  const char *end;

  if (p == NULL)
    return NULL;
  p += strlen (needle);
  end = strstr (p, "\r\n");
  return end != NULL ? g_strndup (p, (gsize) (end - p)) : g_strdup (p);
}
