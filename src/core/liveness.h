/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Peer liveness: a crashed PC sends no mDNS goodbye and its records live
 * on for their TTL, so every discovered peer gets an OPTIONS ping when it
 * appears and then every probe-interval.  No answer for unreachable-after
 * makes it "unreachable"; remove-after more takes a zcall peer out of the
 * list until it answers again. */
#pragma once

#include "discovery/peer-table.h"
#include "sip/ua.h"

typedef struct _ZcLiveness ZcLiveness;

typedef struct {
  guint probe_interval_ms;
  guint unreachable_after_ms;
  guint remove_after_ms;
} ZcLivenessTimes;

ZcLiveness *zc_liveness_new (ZcSipUa *ua, ZcPeerTable *peers, const ZcLivenessTimes *times);
void zc_liveness_free (ZcLiveness *liveness);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcLiveness, zc_liveness_free)

/* A peer appeared: probe it now rather than at the next tick. */
void zc_liveness_probe_soon (ZcLiveness *liveness);
