/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A stand-in ICE agent for the RTP session (fuzz-rtp and
 * test-fuzz-regressions): datagrams go straight to the session through
 * its receive function.  Defining these in the test keeps ice/ice-agent.o
 * (and libnice's sockets) out of it.  Include from one .c file only. */
#pragma once

#include "ice/ice-agent.h"

#include <errno.h>

struct _ZcIceAgent {
  guint n_components;
  ZcIceRecvFunc recv;
  gpointer recv_data;
};

guint
zc_ice_agent_get_n_components (const ZcIceAgent *agent)
{
  return agent->n_components;
}

void
zc_ice_agent_set_recv_func (ZcIceAgent *agent, ZcIceRecvFunc func, gpointer user_data)
{
  agent->recv = func;
  agent->recv_data = user_data;
}

int
zc_ice_agent_send (ZcIceAgent *agent, guint component_id, const guint8 *buf G_GNUC_UNUSED, gsize len)
{
  return component_id >= 1 && component_id <= agent->n_components ? (int) len : -EINVAL;
}

ZcIceState
zc_ice_agent_get_state (ZcIceAgent *agent G_GNUC_UNUSED, guint component_id G_GNUC_UNUSED)
{
  return ZC_ICE_STATE_READY;
}

/* The stand-in reads no sockets itself, so it drops nothing. */
guint64
zc_ice_agent_get_foreign_dropped (ZcIceAgent *agent G_GNUC_UNUSED)
{
  return 0;
}
