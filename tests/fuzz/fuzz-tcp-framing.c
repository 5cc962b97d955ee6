/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer harness for SIP stream framing (RFC 3261 18.3), the
 * ZcSipFramer of sip/framing.c that TCP (transport.c) and TLS (tls.c)
 * connections share: the byte stream of one connection is split into
 * messages by Content-Length, with CRLF keep-alives (RFC 5626 3.5.1) in
 * between, consumed the way both connection loops consume it.
 *
 * The framer holds a malloc'd copy of exactly the bytes a connection
 * would hold, without a NUL after it (a socket does not add one), so ASan
 * reports any read past the end. */
#include "config.h"
#include "sip/framing.h"

#include "fuzz-common.h"

#include <string.h>

/* As both transports allow. */
#define KEEPALIVE_CAP 4096

int
LLVMFuzzerInitialize (int *argc G_GNUC_UNUSED, char ***argv G_GNUC_UNUSED)
{
  fuzz_quiet_log ();
  return 0;
}

/* Hands @len bytes to @f, exactly sized, and consumes what it can as a
 * connection does; each message's offset in the stream goes to @messages.
 * Returns how the loop stopped. */
static ZcSipFrame
feed (ZcSipFramer *f, const guint8 *buf, gsize len, gsize *stream_offset, GArray *messages)
{
  GByteArray *grown;

  /* A read of nothing is the end of the stream, never framed. */
  if (len == 0)
    return ZC_SIP_FRAME_NEED_MORE;
  /* A fresh, exactly sized copy: reads past the end are ASan's. */
  grown = g_byte_array_sized_new ((guint) (f->in->len + len));
  g_byte_array_append (grown, f->in->data, f->in->len);
  g_byte_array_append (grown, buf, (guint) len);
  g_byte_array_unref (f->in);
  f->in = grown;
  for (;;) {
    gsize length = 0;
    gsize before = f->in->len;
    ZcSipFrame frame = zc_sip_framer_next (f, &length);

    *stream_offset += before - f->in->len;  /* keep-alives skipped */
    switch (frame) {
    case ZC_SIP_FRAME_PING:
      continue;
    case ZC_SIP_FRAME_MESSAGE:
      g_assert (length > 0 && length <= f->in->len && length <= ZC_SIP_MAX_MESSAGE);
      /* Keep-alives are skipped before a message, never part of it. */
      g_assert (!(length >= 2 && f->in->data[0] == '\r' && f->in->data[1] == '\n'));
      g_assert (f->incomplete_since_us == 0);
      g_array_append_val (messages, *stream_offset);
      g_array_append_val (messages, length);
      zc_sip_framer_consumed (f, length);
      *stream_offset += length;
      continue;
    case ZC_SIP_FRAME_NEED_MORE:
      g_assert (f->in->len == 0 || f->incomplete_since_us != 0);
      return frame;
    case ZC_SIP_FRAME_FLOOD:
      g_assert (f->keepalive_bytes > KEEPALIVE_CAP);
      return frame;
    case ZC_SIP_FRAME_BROKEN:
      return frame;
    }
    g_assert_not_reached ();
  }
}

/* What a fresh framer holding exactly @len bytes of @buf says. */
static ZcSipFrame
frame_alone (const guint8 *buf, gsize len, gsize *length)
{
  ZcSipFramer f;
  ZcSipFrame frame;

  zc_sip_framer_init (&f, KEEPALIVE_CAP);
  g_byte_array_unref (f.in);
  f.in = g_byte_array_new_take (g_memdup2 (buf, MAX (len, 1)), len);
  frame = zc_sip_framer_next (&f, length);
  zc_sip_framer_clear (&f);
  return frame;
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  ZcSipFramer whole, pieces;
  g_autoptr (GArray) whole_messages = g_array_new (FALSE, FALSE, sizeof (gsize));
  g_autoptr (GArray) piece_messages = g_array_new (FALSE, FALSE, sizeof (gsize));
  gsize whole_offset = 0, piece_offset = 0;
  gsize split = size > 0 ? size * data[0] / 255 : 0;
  ZcSipFrame whole_end, piece_end;

  /* A connection buffers at most one message and one read beyond it. */
  if (size > ZC_SIP_MAX_MESSAGE + 16384)
    return 0;
  zc_sip_framer_init (&whole, KEEPALIVE_CAP);
  zc_sip_framer_init (&pieces, KEEPALIVE_CAP);
  whole_end = feed (&whole, data, size, &whole_offset, whole_messages);
  /* The same bytes in two reads: the scan resumes where it stopped. */
  piece_end = feed (&pieces, data, split, &piece_offset, piece_messages);
  if (piece_end == ZC_SIP_FRAME_NEED_MORE)
    piece_end = feed (&pieces, data + split, size - split, &piece_offset, piece_messages);

  /* The same messages, however the bytes arrive; a keep-alive flood may
   * be noticed a CRLF earlier or later, so only then may one list stop
   * short of the other. */
  if (whole_end == ZC_SIP_FRAME_FLOOD || piece_end == ZC_SIP_FRAME_FLOOD) {
    guint n = MIN (whole_messages->len, piece_messages->len);

    g_assert (n == 0 || memcmp (whole_messages->data, piece_messages->data, n * sizeof (gsize)) == 0);
  } else {
    g_assert (whole_end == piece_end);
    g_assert (whole_messages->len == piece_messages->len);
    g_assert (whole_messages->len == 0 ||
              memcmp (whole_messages->data, piece_messages->data, whole_messages->len * sizeof (gsize)) == 0);
  }

  for (guint i = 0; i < whole_messages->len; i += 2) {
    gsize offset = g_array_index (whole_messages, gsize, i);
    gsize length = g_array_index (whole_messages, gsize, i + 1);
    gsize alone = 0;

    /* Framing depends on the message's own bytes only ... */
    g_assert (frame_alone (data + offset, length, &alone) == ZC_SIP_FRAME_MESSAGE && alone == length);
    /* ... and one byte short of it is never a message, nor broken. */
    g_assert (frame_alone (data + offset, length - 1, &alone) == ZC_SIP_FRAME_NEED_MORE);
  }
  zc_sip_framer_clear (&whole);
  zc_sip_framer_clear (&pieces);
  return 0;
}
