/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sip"

#include "config.h"
#include "sip/rate-limit.h"

typedef struct {
  char *source;
  double tokens;
  gint64 last_us;
  GList link;                 /* in ZcSipRateLimit.lru, most recent last */
} ZcSipRateBucket;

struct _ZcSipRateLimit {
  GHashTable *buckets;        /* source address -> ZcSipRateBucket */
  GQueue lru;                 /* the buckets, least recently used first */
  ZcSipRateBucket global;     /* all sources together */
  guint rate;
};

static void
bucket_free (gpointer data)
{
  ZcSipRateBucket *bucket = data;

  g_free (bucket->source);
  g_free (bucket);
}

ZcSipRateLimit *
zc_sip_rate_limit_new (guint requests_per_second)
{
  ZcSipRateLimit *limit = g_new0 (ZcSipRateLimit, 1);

  limit->buckets = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, bucket_free);
  g_queue_init (&limit->lru);
  limit->rate = requests_per_second;
  limit->global.last_us = G_MININT64;
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

guint
zc_sip_rate_limit_size (ZcSipRateLimit *limit)
{
  return g_hash_table_size (limit->buckets);
}

/* Takes a token from @bucket (refilled at @rate, holding up to @burst);
 * the balance left, negative when over. */
static double
take (ZcSipRateBucket *bucket, double rate, double burst, gint64 now_us)
{
  if (bucket->last_us == G_MININT64)
    bucket->tokens = burst;
  else
    bucket->tokens = MIN (burst, bucket->tokens + (double) (now_us - bucket->last_us) / G_USEC_PER_SEC * rate);
  bucket->last_us = now_us;
  bucket->tokens -= 1.0;
  return bucket->tokens;
}

ZcSipRateVerdict
zc_sip_rate_limit_check (ZcSipRateLimit *limit, const char *source, gint64 now_us)
{
  ZcSipRateBucket *bucket;
  double burst = 2.0 * limit->rate;
  double global_rate = (double) limit->rate * ZC_SIP_RATE_GLOBAL_FACTOR;

  if (limit->rate == 0)
    return ZC_SIP_RATE_PASS;
  bucket = g_hash_table_lookup (limit->buckets, source);
  if (bucket == NULL) {
    /* Bounded: a spoofed flood from many addresses must not grow the
     * table; the source heard from least recently makes room, so the
     * peers of the moment keep their state. */
    if (g_hash_table_size (limit->buckets) >= ZC_SIP_RATE_MAX_SOURCES) {
      ZcSipRateBucket *oldest = g_queue_peek_head (&limit->lru);

      g_queue_unlink (&limit->lru, &oldest->link);
      g_hash_table_remove (limit->buckets, oldest->source);
    }
    bucket = g_new0 (ZcSipRateBucket, 1);
    bucket->source = g_strdup (source);
    bucket->last_us = G_MININT64;
    bucket->link.data = bucket;
    g_hash_table_insert (limit->buckets, bucket->source, bucket);
  } else {
    g_queue_unlink (&limit->lru, &bucket->link);
  }
  g_queue_push_tail_link (&limit->lru, &bucket->link);

  if (take (bucket, limit->rate, burst, now_us) >= 0) {
    /* Within its own limit, a source still shares the global one, which
     * holds the line against floods from many (spoofed) addresses. */
    if (take (&limit->global, global_rate, 2.0 * global_rate, now_us) >= 0)
      return ZC_SIP_RATE_PASS;
    limit->global.tokens = MAX (limit->global.tokens, -2.0 * global_rate);
    bucket->tokens += 1.0; /* not this source's fault */
    return ZC_SIP_RATE_DROP;
  }
  /* Answer 503 while the excess is moderate; beyond that even answering
   * costs too much, so stay silent. */
  if (bucket->tokens < -burst) {
    bucket->tokens = -burst;
    return ZC_SIP_RATE_DROP;
  }
  return ZC_SIP_RATE_REJECT;
}
