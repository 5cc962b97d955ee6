/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sip"

#include "config.h"
#include "sip/rate-limit.h"

/* Bounded: a spoofed flood from many addresses must not grow the table. */
#define MAX_SOURCES 4096

typedef struct {
  double tokens;
  gint64 last_us;
} ZcSipRateBucket;

struct _ZcSipRateLimit {
  GHashTable *buckets;        /* source address -> ZcSipRateBucket */
  guint rate;
};

ZcSipRateLimit *
zc_sip_rate_limit_new (guint requests_per_second)
{
  ZcSipRateLimit *limit = g_new0 (ZcSipRateLimit, 1);

  limit->buckets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  limit->rate = requests_per_second;
  return limit;
}

void
zc_sip_rate_limit_free (ZcSipRateLimit *limit)
{
  if (limit == NULL)
    return;
  g_hash_table_unref (limit->buckets);
  g_free (limit);
}

void
zc_sip_rate_limit_set_rate (ZcSipRateLimit *limit, guint requests_per_second)
{
  limit->rate = requests_per_second;
}

ZcSipRateVerdict
zc_sip_rate_limit_check (ZcSipRateLimit *limit, const char *source, gint64 now_us)
{
  ZcSipRateBucket *bucket;
  double burst = 2.0 * limit->rate;

  if (limit->rate == 0)
    return ZC_SIP_RATE_PASS;
  bucket = g_hash_table_lookup (limit->buckets, source);
  if (bucket == NULL) {
    if (g_hash_table_size (limit->buckets) > MAX_SOURCES)
      g_hash_table_remove_all (limit->buckets);
    bucket = g_new0 (ZcSipRateBucket, 1);
    bucket->tokens = burst;
    bucket->last_us = now_us;
    g_hash_table_insert (limit->buckets, g_strdup (source), bucket);
  }
  bucket->tokens = MIN (burst, bucket->tokens + (double) (now_us - bucket->last_us) / G_USEC_PER_SEC * limit->rate);
  bucket->last_us = now_us;
  bucket->tokens -= 1.0;
  if (bucket->tokens >= 0)
    return ZC_SIP_RATE_PASS;
  /* Answer 503 while the excess is moderate; beyond that even answering
   * costs too much, so stay silent. */
  if (bucket->tokens < -burst) {
    bucket->tokens = -burst;
    return ZC_SIP_RATE_DROP;
  }
  return ZC_SIP_RATE_REJECT;
}
