/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "media"

#include "config.h"
#include "media/rtp-ports.h"

#include "common/i18n.h"

struct _ZcRtpPorts {
  GSocket *rtp;
  GSocket *rtcp;
  guint16 port;
};

static GSocket *
bind_udp (guint16 port)
{
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV6, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr (GInetAddress) any = NULL;
  g_autoptr (GSocketAddress) address = NULL;

  if (socket == NULL) {
    socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
    if (socket == NULL)
      return NULL;
  }
  any = g_inet_address_new_any (g_socket_get_family (socket));
  address = g_inet_socket_address_new (any, port);
  if (!g_socket_bind (socket, address, FALSE, NULL))
    return NULL;
  return g_steal_pointer (&socket);
}

ZcRtpPorts *
zc_rtp_ports_reserve (GError **error)
{
  guint span = (ZC_RTP_PORT_MAX - ZC_RTP_PORT_MIN) / 2;
  /* A random start spreads calls over the range, so a late packet of an
   * old call rarely lands on a new one. */
  guint start = (guint) g_random_int_range (0, (gint32) span);

  for (guint i = 0; i < span; i++) {
    guint16 port = (guint16) (ZC_RTP_PORT_MIN + 2 * ((start + i) % span));
    g_autoptr (GSocket) rtp = bind_udp (port);
    g_autoptr (GSocket) rtcp = NULL;
    ZcRtpPorts *ports;

    if (rtp == NULL)
      continue;
    rtcp = bind_udp (port + 1);
    if (rtcp == NULL)
      continue;
    ports = g_new0 (ZcRtpPorts, 1);
    ports->rtp = g_steal_pointer (&rtp);
    ports->rtcp = g_steal_pointer (&rtcp);
    ports->port = port;
    return ports;
  }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE, _("no free RTP port pair between %u and %u"),
               ZC_RTP_PORT_MIN, ZC_RTP_PORT_MAX + 1);
  return NULL;
}

guint16
zc_rtp_ports_get_rtp_port (ZcRtpPorts *ports)
{
  return ports->port;
}

void
zc_rtp_ports_release (ZcRtpPorts *ports)
{
  if (ports == NULL)
    return;
  g_clear_object (&ports->rtp);
  g_clear_object (&ports->rtcp);
  g_free (ports);
}
