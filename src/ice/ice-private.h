/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What ice-agent.c and plain-rtp.c share: the agent's state, and the
 * plain RTP path (a peer without ICE) that plain-rtp.c runs beside
 * libnice on the same sockets. */
#pragma once

#include "ice/ice-agent.h"
#include "ice/turn-tls.h"

#include <stdatomic.h>

#include <nice.h>

struct _ZcIceAgent {
  NiceAgent *agent;
  GMainContext *context;
  guint stream_id;
  guint n_components;      /* in use: 1 once RTCP is muxed */
  guint n_stream_components; /* libnice's stream, fixed at creation */
  gboolean rtcp_mux;
  gboolean gathering_done;
  gboolean has_turn;
  ZcTurnTls *turn_tls;     /* turns: the TLS leg libnice cannot do itself */
  ZcTurnTransport relays[3]; /* the TURN servers' transports, in libnice's order */
  guint n_relays;
  gboolean plain;
  /* Interface index of the link-local address we gather on (a call over
   * a link-local address), 0 when none: link-local candidates are then
   * used, and the peer's get this zone. */
  guint32 link_scope;
  /* Plain RTP: the peer's RTP and RTCP source per component (index 1, 2),
   * and our own readers of the component's sockets (see plain_read_cb()). */
  GInetSocketAddress *plain_from[3];
  GPtrArray *plain_sources;   /* GSource, destroyed and unreffed on free */
  guint8 *plain_buf;
  _Atomic guint64 foreign_dropped;
  ZcIceAgentCallbacks callbacks;
  ZcIceRecvFunc recv_func;
  gpointer recv_data;
  gulong handlers[3];
  char *log_prefix;        /* "call 3: ", or "" */
};

/* Reads the component sockets ourselves and takes only what comes from
 * @address (RTP port, RTCP port): libnice would take anything. */
gboolean zc_ice_plain_start (ZcIceAgent *agent, const char *address, guint16 rtp_port, guint16 rtcp_port,
                             GError **error);
void zc_ice_plain_stop (ZcIceAgent *agent);
