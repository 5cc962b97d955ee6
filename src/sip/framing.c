/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sip"

#include "config.h"
#include "sip/framing.h"

#include <string.h>

void
zc_sip_framer_init (ZcSipFramer *f, gsize max_keepalive_bytes)
{
  memset (f, 0, sizeof *f);
  f->in = g_byte_array_new ();
  f->max_keepalive_bytes = max_keepalive_bytes;
}

void
zc_sip_framer_clear (ZcSipFramer *f)
{
  g_clear_pointer (&f->in, g_byte_array_unref);
}

/* Length of the first complete message in f->in, 0 when more bytes are
 * needed, -1 when the framing is broken (RFC 3261 18.3: Content-Length is
 * mandatory on streams; a bad one means the stream cannot be resynced). */
static gssize
message_length (ZcSipFramer *f)
{
  const char *text = (const char *) f->in->data;
  gsize len = f->in->len;
  gsize from = f->scanned > 3 ? f->scanned - 3 : 0;
  const char *end;
  gsize header_len;
  gint64 content_length = -1;

  /* A peer that sends a byte at a time must not make each byte cost a
   * scan of all it sent before: where the search stopped and, once the
   * headers are in, the length they announce are kept. */
  if (f->needed != 0)
    return len >= f->needed ? (gssize) f->needed : 0;
  end = memmem (text + from, len - from, "\r\n\r\n", 4);
  if (end == NULL) {
    f->scanned = len;
    return len > ZC_SIP_MAX_MESSAGE ? -1 : 0;
  }
  header_len = (gsize) (end - text) + 4;
  for (const char *line = text; line < end;) {
    /* memmem: a NUL inside the headers must not end the search. */
    const char *eol = memmem (line, (gsize) (end + 2 - line), "\r\n", 2);
    gsize line_len = (gsize) (eol - line);
    const char *colon = memchr (line, ':', line_len);

    if (colon != NULL) {
      g_autofree char *name = g_strstrip (g_strndup (line, (gsize) (colon - line)));

      if (g_ascii_strcasecmp (name, "Content-Length") == 0 || g_ascii_strcasecmp (name, "l") == 0) {
        g_autofree char *value = g_strstrip (g_strndup (colon + 1, line_len - (gsize) (colon + 1 - line)));
        guint64 v;

        if (content_length >= 0 || !g_ascii_string_to_unsigned (value, 10, 0, ZC_SIP_MAX_MESSAGE, &v, NULL))
          return -1;
        content_length = (gint64) v;
      }
    }
    line = eol + 2;
  }
  if (content_length < 0)
    content_length = 0;
  if (header_len + (gsize) content_length > ZC_SIP_MAX_MESSAGE)
    return -1;
  f->needed = header_len + (gsize) content_length;
  if (len < f->needed)
    return 0;
  return (gssize) f->needed;
}

ZcSipFrame
zc_sip_framer_next (ZcSipFramer *f, gsize *length)
{
  GByteArray *in = f->in;
  gssize len;

  /* Keep-alives before a message: a flood of them is skipped in one pass
   * and reported as one ping, so that it costs one pong, not one send per
   * ping.  A lone CRLF at the end may be half a ping: kept.  Once a ping
   * is reported, the call after it looks for a message only: skipping
   * again would take that lone CRLF for a pong. */
  if (!f->keepalives_skipped) {
    gsize skip = 0;
    gboolean ping = FALSE;

    while (f->needed == 0 && in->len - skip >= 2 && in->data[skip] == '\r' && in->data[skip + 1] == '\n') {
      if (in->len - skip >= 4 && memcmp (in->data + skip, "\r\n\r\n", 4) == 0) {
        ping = TRUE;
        skip += 4;
      } else if (in->len - skip == 2 && skip > 0) {
        break;
      } else {
        skip += 2;
      }
    }
    if (skip > 0) {
      g_byte_array_remove_range (in, 0, (guint) skip);
      f->scanned = 0;
      f->keepalive_bytes += skip;
      if (f->keepalive_bytes > f->max_keepalive_bytes)
        return ZC_SIP_FRAME_FLOOD;
    }
    if (ping) {
      f->keepalives_skipped = TRUE;
      return ZC_SIP_FRAME_PING;
    }
  }
  f->keepalives_skipped = FALSE;
  len = message_length (f);
  if (len < 0)
    return ZC_SIP_FRAME_BROKEN;
  if (len == 0) {
    if (in->len > 0 && f->incomplete_since_us == 0)
      f->incomplete_since_us = g_get_monotonic_time ();
    return ZC_SIP_FRAME_NEED_MORE;
  }
  f->incomplete_since_us = 0;
  *length = (gsize) len;
  return ZC_SIP_FRAME_MESSAGE;
}

void
zc_sip_framer_consumed (ZcSipFramer *f, gsize length)
{
  g_byte_array_remove_range (f->in, 0, (guint) length);
  f->scanned = 0;
  f->needed = 0;
  f->keepalive_bytes = 0;
}
