/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The per-source request rate limit (flood defence): a token bucket per
 * source address.  Plain data in, a verdict out; the caller passes the
 * clock so tests need not sleep. */
#pragma once

#include <glib.h>

typedef struct _ZcSipRateLimit ZcSipRateLimit;

/* Requests per second and source address before 503s. */
#define ZC_SIP_DEFAULT_RATE_LIMIT 50
/* Sources with a bucket; beyond, the least recently heard from goes. */
#define ZC_SIP_RATE_MAX_SOURCES 4096
/* All sources together may send this many times one source's rate. */
#define ZC_SIP_RATE_GLOBAL_FACTOR 10

typedef enum {
  ZC_SIP_RATE_PASS,     /* within the limit */
  ZC_SIP_RATE_REJECT,   /* over it: answer 503 */
  ZC_SIP_RATE_DROP,     /* far over it: even a 503 costs too much */
} ZcSipRateVerdict;

/* @requests_per_second 0: no limit. */
ZcSipRateLimit *zc_sip_rate_limit_new (guint requests_per_second);
void zc_sip_rate_limit_free (ZcSipRateLimit *limit);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcSipRateLimit, zc_sip_rate_limit_free)

void zc_sip_rate_limit_set_rate (ZcSipRateLimit *limit, guint requests_per_second);

/* Sources with a bucket now. */
guint zc_sip_rate_limit_size (ZcSipRateLimit *limit);

/* Counts one request from @source at @now_us (monotonic clock). */
ZcSipRateVerdict zc_sip_rate_limit_check (ZcSipRateLimit *limit, const char *source, gint64 now_us);
