/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Private to src/discovery/: a peer-table entry, shared by the table
 * (peer-table.c) and the view of it the API shows (peer-view.c). */
#pragma once

#include "discovery/peer-table.h"

struct _ZcPeer {
  char *key;            /* "id:UUID" or "name:NAME" */
  gboolean self;
  GPtrArray *records;   /* ZcServiceRecord*, owned */
  GVariant *view;       /* last reported dictionary (without rtt), to detect changes */
  gboolean hidden;
  ZcPeerLiveness liveness;
  const char *trust;    /* static verdict string */
  gboolean conflict;    /* another entry has a better claim to our id or name */
  guint64 serial;       /* order of arrival, for eviction */
};

/* The record that speaks for the peer: the newest _sip._udp one, else the
 * newest of any type. */
const ZcServiceRecord *zc_peer_main_record (const ZcPeer *peer);
/* The dictionary zc_peer_to_variant() returns; without "rtt_ms" when
 * @with_rtt is FALSE (to compare two reports). */
GVariant *zc_peer_build_view (const ZcPeer *peer, gboolean with_rtt);
