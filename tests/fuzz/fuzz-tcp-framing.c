/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer harness for SIP over TCP framing (RFC 3261 18.3): the byte
 * stream of one connection is split into messages by Content-Length, with
 * CRLF keep-alives (RFC 5626 3.5.1) in between, as connection_read() in
 * sip/transport.c does.  The splitter is static there, so this file
 * includes transport.c and links nothing else of ours.
 *
 * Each call sees a malloc'd copy of exactly the bytes a connection would
 * hold, without a NUL after it (a socket does not add one), so ASan
 * reports any read past the end. */
#include "../../src/sip/transport.c"

#include "fuzz-common.h"

int
LLVMFuzzerInitialize (int *argc G_GNUC_UNUSED, char ***argv G_GNUC_UNUSED)
{
  fuzz_quiet_log ();
  return 0;
}

/* tcp_message_length() on the first @len bytes of @buf, as a connection
 * that holds exactly those bytes (a malloc'd copy, no NUL after it); the
 * scan state in @c carries over from an earlier call, as it does while a
 * slow peer's bytes trickle in. */
static gssize
frame (ZcTcpConnection *c, const guint8 *buf, gsize len)
{
  gssize n;

  c->in = g_byte_array_new_take (g_memdup2 (buf, MAX (len, 1)), len);
  n = tcp_message_length (c);
  g_byte_array_unref (c->in);
  c->in = NULL;
  return n;
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  gsize off = 0;

  /* A connection buffers at most one message and one read beyond it. */
  if (size > ZC_SIP_MAX_MESSAGE + 16384)
    return 0;
  while (off < size) {
    const guint8 *buf = data + off;
    gsize len = size - off;
    ZcTcpConnection whole = { 0 };
    ZcTcpConnection pieces = { 0 };
    gssize message, in_pieces;

    if (len >= 4 && memcmp (buf, "\r\n\r\n", 4) == 0) {
      off += 4;
      continue;
    }
    if (len >= 2 && buf[0] == '\r' && buf[1] == '\n') {
      off += 2;
      continue;
    }
    message = frame (&whole, buf, len);
    /* The same bytes in two pieces give the same answer. */
    in_pieces = frame (&pieces, buf, len / 2);
    if (in_pieces == 0)
      in_pieces = frame (&pieces, buf, len);
    g_assert (in_pieces == message || (message > 0 && in_pieces > 0 && in_pieces <= (gssize) (len / 2)));
    if (message <= 0)
      break;
    g_assert ((gsize) message <= len && (gsize) message <= ZC_SIP_MAX_MESSAGE);
    /* Bytes arrive in any pieces: one short of the message is never a
     * message, nor broken framing. */
    {
      ZcTcpConnection shorter = { 0 };

      g_assert (frame (&shorter, buf, (gsize) message - 1) == 0);
    }
    off += (gsize) message;
  }
  return 0;
}
