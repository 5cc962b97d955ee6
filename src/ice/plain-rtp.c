/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Plain RTP beside libnice: with a peer that offered no ICE, libnice
 * would hand up whatever reaches the component's sockets, so we read them
 * ourselves and keep only what comes from the address the peer's SDP
 * gave (RFC 3550 has no better source check for unencrypted media). */
#define G_LOG_DOMAIN "ice"

#include "config.h"

#include "ice/ice-private.h"

/* Datagrams read per dispatch before the reader pauses for a round of the
 * main loop: a flood on the RTP port must not starve SIP and timers, which
 * run at default priority below ours. */
#define PLAIN_READ_BUDGET 256
#define PLAIN_BUF_SIZE 65536

static gboolean plain_read_cb (GSocket *socket, GIOCondition condition, gpointer user_data);

static void
plain_source_destroy (gpointer data)
{
  g_source_destroy (data);
  g_source_unref (data);
}

static gboolean
plain_source_ok (ZcIceAgent *agent, guint component_id, GSocketAddress *from)
{
  GInetSocketAddress *want = agent->plain_from[component_id];
  GInetSocketAddress *got;

  if (want == NULL || !G_IS_INET_SOCKET_ADDRESS (from))
    return FALSE;
  got = G_INET_SOCKET_ADDRESS (from);
  return g_inet_socket_address_get_port (got) == g_inet_socket_address_get_port (want)
         && g_inet_address_equal (g_inet_socket_address_get_address (got), g_inet_socket_address_get_address (want));
}

typedef struct {
  ZcIceAgent *agent;
  guint component_id;
  GSocket *socket;
} PlainReader;

static void
plain_reader_free (gpointer data)
{
  PlainReader *r = data;

  g_object_unref (r->socket);
  g_free (r);
}

static void
plain_reader_attach (ZcIceAgent *agent, guint component_id, GSocket *socket)
{
  PlainReader *r = g_new0 (PlainReader, 1);
  GSource *source = g_socket_create_source (socket, G_IO_IN, NULL);

  r->agent = agent;
  r->component_id = component_id;
  r->socket = g_object_ref (socket);
  g_source_set_priority (source, G_PRIORITY_HIGH);
  g_source_set_callback (source, G_SOURCE_FUNC (plain_read_cb), r, plain_reader_free);
  g_source_attach (source, agent->context);
  g_ptr_array_add (agent->plain_sources, source);
}

/* The reader's pause is over: read again, at high priority. */
static gboolean
plain_resume_cb (gpointer user_data)
{
  PlainReader *r = user_data;

  plain_reader_attach (r->agent, r->component_id, r->socket);
  g_ptr_array_remove_fast (r->agent->plain_sources, g_main_current_source ());
  return G_SOURCE_REMOVE;
}

static gboolean
plain_read_cb (GSocket *socket, GIOCondition condition G_GNUC_UNUSED, gpointer user_data)
{
  PlainReader *r = user_data;
  ZcIceAgent *agent = r->agent;
  guint n;

  for (n = 0; n < PLAIN_READ_BUDGET; n++) {
    g_autoptr (GSocketAddress) from = NULL;
    g_autoptr (GError) error = NULL;
    gssize len = g_socket_receive_from (socket, &from, (gchar *) agent->plain_buf, PLAIN_BUF_SIZE, NULL, &error);

    if (len < 0)
      break; /* would block; or an ICMP error from a peer not listening yet */
    if (!plain_source_ok (agent, r->component_id, from)) {
      guint64 before = atomic_fetch_add_explicit (&agent->foreign_dropped, 1, memory_order_relaxed);

      if (before == 0 && G_IS_INET_SOCKET_ADDRESS (from)) {
        GInetSocketAddress *sa = G_INET_SOCKET_ADDRESS (from);
        g_autofree char *a = g_inet_address_to_string (g_inet_socket_address_get_address (sa));

        g_debug ("%sice: dropping media from %s:%u, not the peer's address", agent->log_prefix, a,
                 g_inet_socket_address_get_port (sa));
      }
      continue;
    }
    if (len > 0 && agent->recv_func != NULL)
      agent->recv_func (agent, r->component_id, agent->plain_buf, (gsize) len, agent->recv_data);
  }
  if (n < PLAIN_READ_BUDGET)
    return G_SOURCE_CONTINUE;
  {
    /* Out of budget: yield to the default-priority sources for one round
     * (libnice may read meanwhile; recv_cb() drops what it reads). */
    PlainReader *again = g_new0 (PlainReader, 1);
    GSource *idle = g_idle_source_new ();

    again->agent = agent;
    again->component_id = r->component_id;
    again->socket = g_object_ref (socket);
    g_source_set_callback (idle, plain_resume_cb, again, plain_reader_free);
    g_source_attach (idle, agent->context);
    g_ptr_array_add (agent->plain_sources, idle);
    g_ptr_array_remove_fast (agent->plain_sources, g_main_current_source ());
    return G_SOURCE_REMOVE;
  }
}

void
zc_ice_plain_stop (ZcIceAgent *agent)
{
  if (agent->plain_sources != NULL)
    g_ptr_array_set_size (agent->plain_sources, 0);
  for (guint c = 0; c < G_N_ELEMENTS (agent->plain_from); c++)
    g_clear_object (&agent->plain_from[c]);
}

gboolean
zc_ice_plain_start (ZcIceAgent *agent, const char *address, guint16 rtp_port, guint16 rtcp_port, GError **error)
{
  g_autoptr (GInetAddress) inet = g_inet_address_new_from_string (address);

  if (inet == NULL) {
    g_set_error (error, ZC_ICE_ERROR, ZC_ICE_ERROR_BAD_SDP, "ice: remote media address '%s' is not numeric", address);
    return FALSE;
  }
  zc_ice_plain_stop (agent);
  if (agent->plain_sources == NULL)
    agent->plain_sources = g_ptr_array_new_with_free_func (plain_source_destroy);
  if (agent->plain_buf == NULL)
    agent->plain_buf = g_malloc (PLAIN_BUF_SIZE);
  for (guint c = 1; c <= agent->n_components; c++) {
    g_autoptr (GPtrArray) sockets = nice_agent_get_sockets (agent->agent, agent->stream_id, c);

    agent->plain_from[c] = G_INET_SOCKET_ADDRESS (
        g_inet_socket_address_new (inet, c == ZC_ICE_COMPONENT_RTP || agent->n_components == 1 ? rtp_port : rtcp_port));
    /* Every UDP socket of the component: the peer sends to the address in
     * our c=, which need not be the local candidate libnice paired.  (A
     * TURN allocation's base socket is among them: unused in plain mode,
     * its refreshes are dropped and it lapses.) */
    for (guint i = 0; sockets != NULL && i < sockets->len; i++) {
      GSocket *socket = g_ptr_array_index (sockets, i);

      if (g_socket_get_socket_type (socket) == G_SOCKET_TYPE_DATAGRAM)
        plain_reader_attach (agent, c, socket);
    }
  }
  return TRUE;
}

