/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A look at a SIP message's bytes before any parser trusts them:
 * framing on datagrams (RFC 3261 18.3), the single-valued headers that
 * must not repeat, and, when the message is too broken for libosip2, a
 * 400/416/505 built from its raw header lines so that the sender learns
 * why (RFC 4475 3.1.2). */
#pragma once

#include <glib.h>

typedef enum {
  ZC_SIP_RAW_OK,
  ZC_SIP_RAW_GARBAGE,        /* no start line: drop */
  ZC_SIP_RAW_BAD_REQUEST,    /* 400 */
  ZC_SIP_RAW_BAD_FRAMING,    /* 400, and a stream must be closed */
  ZC_SIP_RAW_BAD_VERSION,    /* 505 */
  ZC_SIP_RAW_BAD_SCHEME,     /* 416 */
  ZC_SIP_RAW_TOO_LARGE,      /* 513: more headers or list items than we parse */
  ZC_SIP_RAW_BODY_TOO_LARGE, /* 413: a body (SDP) beyond its caps */
  ZC_SIP_RAW_BUSY,           /* 503 with Retry-After: set by the caller (rate limit) */
} ZcSipRawVerdict;

/* What a message may hold before anything parses it in full.  libosip2
 * appends to its lists by walking them, so thousands of tiny headers or
 * list items cost seconds; these caps keep every message that fits in a
 * datagram to milliseconds, far above what real agents send. */
#define ZC_SIP_MAX_HEADERS 128        /* header lines */
#define ZC_SIP_MAX_LIST_ITEMS 512     /* comma-separated values, all headers together */
#define ZC_SIP_MAX_VIAS 70            /* Via values: Max-Forwards 70 hops (RFC 3261 8.1.1.6) */
#define ZC_SIP_MAX_BODY 16384         /* bytes of body */
#define ZC_SIP_MAX_SDP_LINES 256
#define ZC_SIP_MAX_SDP_FORMATS 64     /* payload types on one m= line */

typedef struct {
  ZcSipRawVerdict verdict;
  gboolean is_request;
  gboolean is_ack;           /* an ACK is never answered */
  gboolean method_unknown;   /* not a method of SIP or its extensions: 501 */
  gsize message_len;         /* headers + Content-Length bytes of body */
  guint16 response_port;     /* top Via sent-by port; 0 = source port (rport) */
  const char *reason;        /* reason phrase for the error response */
  gboolean body_is_sdp;
} ZcSipRawInfo;

void zc_sip_raw_inspect (const char *data, gsize len, ZcSipRawInfo *info);

/* The error response for a request that failed inspection or parsing,
 * or NULL when it has no Via to answer to (or is an ACK).  It may hold
 * NUL bytes echoed from the request: *out_len is its length. */
char *zc_sip_raw_error_response (const char *data, gsize len, const ZcSipRawInfo *info, const char *server,
                                 gsize *out_len);

/* Methods of RFC 3261 and its extensions. */
gboolean zc_sip_method_is_known (const char *method);

/* "SIP/2.0 NNN " with exactly three digits (RFC 3261 25.1 Status-Code). */
gboolean zc_sip_raw_status_code_valid (const char *data, gsize len);

/* A copy of @len bytes of a message for the logs, with the values of
 * Authorization and Proxy-Authorization (and their folded lines)
 * replaced: credentials never reach a log. */
char *zc_sip_raw_redact (const char *data, gsize len);
