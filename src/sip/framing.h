/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Splitting a SIP byte stream (TCP or TLS plain text) into messages
 * (RFC 3261 18.3: Content-Length frames them), with RFC 5626 3.5.1
 * keep-alives in between: a CRLFCRLF ping, answered with a CRLF pong, and
 * lone CRLFs (pongs, or stray lines, RFC 3261 7.5).  The connection owns
 * the socket and the answer; the framer only says what the buffered bytes
 * are. */
#pragma once

#include "sip/transport.h"

typedef struct {
  GByteArray *in;               /* bytes received, not yet a whole message */
  gsize max_keepalive_bytes;    /* CRLFs allowed between two messages */
  gint64 incomplete_since_us;   /* part of a message waits for the rest; 0: none */
  gsize scanned;                /* bytes of in searched for the end of the headers */
  gsize needed;                 /* length of the message in in, once its headers are */
  gsize keepalive_bytes;        /* CRLFs since the last message */
  gboolean keepalives_skipped;  /* a ping was just reported: look for a message only */
} ZcSipFramer;

typedef enum {
  ZC_SIP_FRAME_NEED_MORE,  /* wait for more bytes (incomplete_since_us is set if some wait) */
  ZC_SIP_FRAME_MESSAGE,    /* the first *length bytes of in are one message */
  ZC_SIP_FRAME_PING,       /* a ping was skipped: answer CRLF, then ask again */
  ZC_SIP_FRAME_FLOOD,      /* more keep-alive bytes than allowed: close */
  ZC_SIP_FRAME_BROKEN,     /* bad or oversized framing: the stream cannot be resynchronised */
} ZcSipFrame;

void zc_sip_framer_init (ZcSipFramer *f, gsize max_keepalive_bytes);
void zc_sip_framer_clear (ZcSipFramer *f);
/* What the start of f->in is; *length is set for ZC_SIP_FRAME_MESSAGE. */
ZcSipFrame zc_sip_framer_next (ZcSipFramer *f, gsize *length);
/* Drops the @length bytes of a message zc_sip_framer_next() reported. */
void zc_sip_framer_consumed (ZcSipFramer *f, gsize length);
