/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer harness for SIP over TCP framing (RFC 3261 18.3): the byte
 * stream of one connection is split into messages by Content-Length, with
 * CRLF keep-alives (RFC 5626 3.5.1) in between, as connection_read() in
 * sip/transport.c does.  The splitter is static there, so this file
 * includes transport.c and links nothing else of ours.
 *
 * The stream is a malloc'd copy of exactly the fuzzer's bytes, without a
 * NUL after it (a socket does not add one), so ASan reports any read past
 * the end. */
#include "../../src/sip/transport.c"

#include "fuzz-common.h"

int
LLVMFuzzerInitialize (int *argc G_GNUC_UNUSED, char ***argv G_GNUC_UNUSED)
{
  fuzz_quiet_log ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  guint8 *stream;
  gsize off = 0;

  /* A connection buffers at most one message and one read beyond it. */
  if (size > ZC_SIP_MAX_MESSAGE + 16384)
    return 0;
  stream = g_malloc (MAX (size, 1));
  memcpy (stream, data, size);
  while (off < size) {
    const guint8 *buf = stream + off;
    gsize len = size - off;
    gssize message;

    if (len >= 4 && memcmp (buf, "\r\n\r\n", 4) == 0) {
      off += 4;
      continue;
    }
    if (len >= 2 && buf[0] == '\r' && buf[1] == '\n') {
      off += 2;
      continue;
    }
    message = tcp_message_length (buf, len);
    if (message <= 0)
      break;
    g_assert ((gsize) message <= len && (gsize) message <= ZC_SIP_MAX_MESSAGE);
    /* Bytes arrive in any pieces: one short of the message is never a
     * message, nor broken framing. */
    g_assert (tcp_message_length (buf, (gsize) message - 1) == 0);
    off += (gsize) message;
  }
  g_free (stream);
  return 0;
}
