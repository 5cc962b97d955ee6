/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Strict base64 for keys that arrive from the network (SDES a=crypto). */
#pragma once

#include <glib.h>

/* Decodes @text into exactly @len bytes at @out: TRUE only when @text is
 * the unpadded base64 of @len bytes (len * 4 / 3 characters, the alphabet
 * only).  g_base64_decode() skips what is not base64, so a key with junk
 * in it would come out shortened instead of refused.  Nothing is written
 * to @out on failure; the temporary copy is wiped. */
gboolean zc_base64_decode_exact (const char *text, guint8 *out, gsize len);
