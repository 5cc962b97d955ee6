/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sip"

#include "config.h"
#include "sip/stream.h"

#include <string.h>

static guint
connections_from (GHashTable *connections, gsize flow_offset, const char *address)
{
  GHashTableIter iter;
  gpointer c;
  guint n = 0;

  g_hash_table_iter_init (&iter, connections);
  while (g_hash_table_iter_next (&iter, NULL, &c))
    n += g_str_equal (((const ZcSipFlow *) G_STRUCT_MEMBER_P (c, flow_offset))->address, address);
  return n;
}

GSocket *
zc_sip_stream_accept (GSocket *listener, GHashTable *connections, gsize flow_offset, ZcSipProto proto,
                      ZcSipFlow *flow)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketAddress) remote = NULL;
  GSocket *socket = g_socket_accept (listener, NULL, &error);
  const char *name = zc_sip_proto_to_string (proto);

  if (socket == NULL) {
    g_debug ("%s accept failed: %s", name, error->message);
    return NULL;
  }
  remote = g_socket_get_remote_address (socket, NULL);
  if (remote == NULL || g_hash_table_size (connections) >= ZC_SIP_STREAM_MAX_CONNECTIONS) {
    g_debug ("refusing a %s connection (%u open)", name, g_hash_table_size (connections));
    g_object_unref (socket);
    return NULL;
  }
  memset (flow, 0, sizeof *flow);
  zc_sip_flow_from_address (flow, proto, remote);
  if (connections_from (connections, flow_offset, flow->address) >= ZC_SIP_STREAM_MAX_PER_SOURCE) {
    g_debug ("refusing a %s connection from %s: %u open already", name, flow->address,
             ZC_SIP_STREAM_MAX_PER_SOURCE);
    g_object_unref (socket);
    return NULL;
  }
  return socket;
}

gboolean
zc_sip_stream_stale (gint64 last_activity_us, const ZcSipFramer *framer, gint64 now_us)
{
  return now_us - last_activity_us > ZC_SIP_STREAM_IDLE_TIMEOUT_S * G_USEC_PER_SEC ||
         (framer->incomplete_since_us != 0 &&
          now_us - framer->incomplete_since_us > ZC_SIP_STREAM_INCOMPLETE_TIMEOUT_S * G_USEC_PER_SEC);
}
