/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Conference groups of an audio engine's ports (engine.h): a port in a
 * group sends the cleaned capture plus what the other ports of its group
 * receive, so each remote party of a local conference hears us and the
 * others.  The mix pulls each port's from_network once per playback
 * period (engine.c); that same frame is kept here in the port's
 * conf_ring, and each capture frame takes one frame from every group
 * member's conf_ring, so a from_network is consumed once whatever the
 * number of listeners.  The echo canceller's reference stays the
 * playback mix: the others' voices added here never reach the
 * loudspeaker. */
#define G_LOG_DOMAIN "audio"

#include "config.h"

#include "audio/engine.h"

#include "audio/engine-private.h"

/* ------------------------------------------------------------ audio thread
 * No allocation, no lock, no log. */

void
zc_audio_conf_rt_played (ZcAudioPort *p, const gint16 *frame)
{
  ZcAudioEngine *e = p->engine;
  guint fill = zc_ring_get_fill (p->conf_ring);

  if (atomic_load_explicit (&p->conference, memory_order_relaxed) == 0) {
    /* Out of a group: nothing stale waits for the day it joins one. */
    if (fill > 0)
      zc_ring_skip (p->conf_ring, fill);
    p->conf_splice = 0;
    p->conf_gap = (ZcPcmGap) { 0 };
    return;
  }
  /* The playback clock ahead of the capture clock piles frames up here:
   * beyond four, keep the newest two (as port_read() trims its own), the
   * cut blended at the next read. */
  if (fill - p->conf_splice > 4 * e->frame)
    p->conf_splice = fill - 2 * e->frame;
  zc_ring_write (p->conf_ring, frame, e->frame);
}

void
zc_audio_conf_rt_push (ZcAudioEngine *e, ZcAudioPort *const *ports, const gint16 *clean)
{
  guint fade = zc_ring_splice_samples (e->codec_rate_hz);
  gboolean any = FALSE;

  /* Each member's share for this capture frame, read once. */
  for (guint i = 0; i < ZC_AUDIO_MAX_PORTS; i++) {
    ZcAudioPort *p = ports[i];
    guint got;

    if (p == NULL)
      continue;
    p->conf_group = atomic_load_explicit (&p->conference, memory_order_relaxed);
    if (p->conf_group == 0)
      continue;
    any = TRUE;
    got = zc_ring_read_spliced (p->conf_ring, p->conf_frame, e->frame, p->conf_splice, fade);
    p->conf_splice = 0;
    /* Dry (the capture clock ahead of the playback's): a ramp to silence
     * and back, not a click in the other members' ears (pcm-gap.h). */
    zc_pcm_gap_cover (&p->conf_gap, p->conf_frame, got, e->frame, fade);
  }
  for (guint i = 0; i < ZC_AUDIO_MAX_PORTS; i++) {
    ZcAudioPort *p = ports[i];
    gboolean muted;

    if (p == NULL)
      continue;
    if (!any || p->conf_group == 0) {
      zc_audio_port_rt_push (p, clean);
      continue;
    }
    /* Muted mutes our microphone, not the other parties. */
    muted = atomic_load_explicit (&p->muted, memory_order_relaxed);
    for (guint k = 0; k < e->frame; k++)
      e->mix[k] = muted ? 0 : clean[k];
    for (guint j = 0; j < ZC_AUDIO_MAX_PORTS; j++) {
      ZcAudioPort *q = ports[j];

      if (j == i || q == NULL || q->conf_group != p->conf_group)
        continue;
      for (guint k = 0; k < e->frame; k++)
        e->mix[k] += q->conf_frame[k];
    }
    for (guint k = 0; k < e->frame; k++)
      e->frame_conf[k] = (gint16) CLAMP (e->mix[k], G_MININT16, G_MAXINT16);
    zc_audio_port_rt_push_as_is (p, e->frame_conf);
  }
}

/* ------------------------------------------------------------ any thread */

void
zc_audio_port_set_conference (ZcAudioPort *p, guint group)
{
  atomic_store (&p->conference, group);
}

guint
zc_audio_port_get_conference (ZcAudioPort *p)
{
  return atomic_load (&p->conference);
}
