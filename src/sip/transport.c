/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sip"

#include "config.h"
#include "sip/transport.h"

#include "common/i18n.h"

struct _ZcSipTransport {
  GSocket *udp;
  GSocket *tcp;
  guint16 port;
};

static GSocket *
bind_socket (GSocketFamily family, GSocketType type, guint16 port, GError **error)
{
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GInetAddress) any = g_inet_address_new_any (family);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (any, port);

  socket = g_socket_new (family, type, type == G_SOCKET_TYPE_STREAM ? G_SOCKET_PROTOCOL_TCP : G_SOCKET_PROTOCOL_UDP,
                         error);
  if (socket == NULL)
    return NULL;
  /* GLib opens IPv6 sockets dual-stack (IPV6_V6ONLY off), so one socket
   * serves IPv4-mapped peers as well. */
  if (!g_socket_bind (socket, address, type == G_SOCKET_TYPE_STREAM, error))
    return NULL;
  if (type == G_SOCKET_TYPE_STREAM && !g_socket_listen (socket, error))
    return NULL;
  return g_steal_pointer (&socket);
}

static gboolean
bind_pair (ZcSipTransport *t, GSocketFamily family, guint16 port, GError **error)
{
  g_autoptr (GSocket) udp = bind_socket (family, G_SOCKET_TYPE_DATAGRAM, port, error);
  g_autoptr (GSocket) tcp = NULL;

  if (udp == NULL)
    return FALSE;
  tcp = bind_socket (family, G_SOCKET_TYPE_STREAM, port, error);
  if (tcp == NULL)
    return FALSE;
  t->udp = g_steal_pointer (&udp);
  t->tcp = g_steal_pointer (&tcp);
  t->port = port;
  return TRUE;
}

ZcSipTransport *
zc_sip_transport_new (guint16 port, GError **error)
{
  g_autofree ZcSipTransport *t = g_new0 (ZcSipTransport, 1);
  g_autoptr (GError) last_error = NULL;

  for (guint i = 0; i < ZC_SIP_PORT_ATTEMPTS && port + i <= 65535; i++) {
    guint16 candidate = (guint16) (port + i);

    g_clear_error (&last_error);
    if (bind_pair (t, G_SOCKET_FAMILY_IPV6, candidate, &last_error))
      break;
    /* A host without IPv6 (ipv6.disable=1) refuses the family itself. */
    if (g_error_matches (last_error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED) ||
        g_error_matches (last_error, G_IO_ERROR, G_IO_ERROR_FAILED)) {
      g_clear_error (&last_error);
      if (bind_pair (t, G_SOCKET_FAMILY_IPV4, candidate, &last_error))
        break;
    }
    if (!g_error_matches (last_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
      break;
    g_debug ("SIP port %u is taken, trying the next one", candidate);
  }
  if (t->udp == NULL) {
    g_set_error (error, G_IO_ERROR, last_error ? last_error->code : G_IO_ERROR_FAILED,
                 _("cannot bind a SIP port (UDP and TCP) from %u to %u: %s"), port,
                 MIN (port + ZC_SIP_PORT_ATTEMPTS - 1, 65535), last_error ? last_error->message : "");
    return NULL;
  }
  if (t->port != port)
    g_message (_("SIP port %u is in use, using %u instead"), port, t->port);
  return g_steal_pointer (&t);
}

void
zc_sip_transport_free (ZcSipTransport *t)
{
  if (t == NULL)
    return;
  g_clear_object (&t->udp);
  g_clear_object (&t->tcp);
  g_free (t);
}

guint16
zc_sip_transport_get_port (ZcSipTransport *t)
{
  return t->port;
}
