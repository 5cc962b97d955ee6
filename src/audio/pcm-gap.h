/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Covering a shortfall: when a ring runs dry, what is played or encoded
 * in its place.
 *
 * Silence padded straight after the last sample is a step: a click at the
 * speaker, and a burst out of an encoder (see zc_ring_read_spliced()).
 * So the last sample heard decays to silence over a few ms instead, and
 * when samples come again they fade in.  One ZcPcmGap per stream, used by
 * the thread that reads it; real-time safe. */
#pragma once

#include <glib.h>

#include <string.h>

/* A join blended: the first @n samples of @dst fade in from @before, the
 * samples that would have played there had nothing been cut (ring.h's
 * splice, a playout buffer's given-back frame). */
static inline void
zc_pcm_fade_from (gint16 *dst, const gint16 *before, guint n)
{
  for (guint i = 0; i < n; i++) {
    gint32 in = (gint32) i + 1;

    dst[i] = (gint16) ((before[i] * ((gint32) n + 1 - in) + dst[i] * in) / ((gint32) n + 1));
  }
}

typedef struct {
  gint16 last;    /* the last sample of the last read */
  gboolean dry;   /* the last read ran dry: the next samples fade in */
} ZcPcmGap;

/* @buf holds @got samples just read of the @n wanted: ramp the first of
 * them in after a shortfall, and fill the rest of @n (if any) with a decay
 * of the last sample over @fade samples, then silence. */
static inline void
zc_pcm_gap_cover (ZcPcmGap *gap, gint16 *buf, guint got, guint n, guint fade)
{
  if (n == 0)
    return;
  if (gap->dry && got > 0) {
    guint k = MIN (got, fade);

    for (guint i = 0; i < k; i++)
      buf[i] = (gint16) ((gint32) buf[i] * (gint32) (i + 1) / (gint32) (k + 1));
    gap->dry = FALSE;
  }
  if (got < n) {
    gint32 from = got > 0 ? buf[got - 1] : gap->last;
    guint k = gap->dry ? 0 : MIN (n - got, fade);

    for (guint i = 0; i < k; i++)
      buf[got + i] = (gint16) (from * (gint32) (k - i) / (gint32) (k + 1));
    memset (buf + got + k, 0, (n - got - k) * sizeof (gint16));
    gap->dry = TRUE;
  }
  gap->last = buf[n - 1];
}
