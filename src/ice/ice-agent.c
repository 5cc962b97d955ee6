/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ice"

#include "config.h"

#include "ice/ice-private.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

G_DEFINE_QUARK (zc-ice-error-quark, zc_ice_error)

static void relay_transport_fill (ZcIceAgent *agent, const NiceCandidate *cand, ZcIceCandidateInfo *info);

const char *
zc_ice_state_to_string (ZcIceState state)
{
  switch (state) {
  case ZC_ICE_STATE_DISCONNECTED: return "disconnected";
  case ZC_ICE_STATE_GATHERING: return "gathering";
  case ZC_ICE_STATE_CONNECTING: return "connecting";
  case ZC_ICE_STATE_CONNECTED: return "connected";
  case ZC_ICE_STATE_READY: return "ready";
  case ZC_ICE_STATE_FAILED: return "failed";
  }
  return "unknown";
}

static ZcIceState
state_from_nice (guint state)
{
  switch (state) {
  case NICE_COMPONENT_STATE_GATHERING: return ZC_ICE_STATE_GATHERING;
  case NICE_COMPONENT_STATE_CONNECTING: return ZC_ICE_STATE_CONNECTING;
  case NICE_COMPONENT_STATE_CONNECTED: return ZC_ICE_STATE_CONNECTED;
  case NICE_COMPONENT_STATE_READY: return ZC_ICE_STATE_READY;
  case NICE_COMPONENT_STATE_FAILED: return ZC_ICE_STATE_FAILED;
  default: return ZC_ICE_STATE_DISCONNECTED;
  }
}

/* fe80::/10 (RFC 4291 2.5.6).  libnice 0.1.21 declares
 * nice_address_is_linklocal() but does not export it. */
static gboolean
address_is_ipv6_linklocal (const NiceAddress *addr)
{
  struct sockaddr_storage ss;

  if (nice_address_ip_version (addr) != 6)
    return FALSE;
  nice_address_copy_to_sockaddr (addr, (struct sockaddr *) &ss);
  return IN6_IS_ADDR_LINKLOCAL (&((struct sockaddr_in6 *) &ss)->sin6_addr);
}

/* The peer's link-local candidates are on the link we gather on: a zone
 * the SDP cannot carry. */
static void
address_scope_to_link (ZcIceAgent *agent, NiceAddress *addr)
{
  if (agent->link_scope != 0 && address_is_ipv6_linklocal (addr) && addr->s.ip6.sin6_scope_id == 0)
    addr->s.ip6.sin6_scope_id = agent->link_scope;
}

/* Link-local candidates take part only in a call over a link-local
 * address (see the header). */
static gboolean
candidate_usable (const ZcIceAgent *agent, const NiceAddress *addr)
{
  return agent->link_scope != 0 || !address_is_ipv6_linklocal (addr);
}

static void
candidate_info_fill (ZcIceCandidateInfo *info, const NiceCandidate *cand)
{
  char addr[NICE_ADDRESS_STRING_LEN];

  memset (info, 0, sizeof (*info));
  g_strlcpy (info->type, nice_candidate_type_to_string (cand->type), sizeof info->type);
  nice_address_to_string (&cand->addr, addr);
  g_strlcpy (info->address, addr, sizeof info->address);
  info->port = (guint16) nice_address_get_port (&cand->addr);
}

static void
gathering_done_cb (NiceAgent *nagent G_GNUC_UNUSED, guint stream_id, gpointer user_data)
{
  ZcIceAgent *agent = user_data;

  if (stream_id != agent->stream_id)
    return;
  agent->gathering_done = TRUE;
  g_debug ("%sice: gathering done on stream %u", agent->log_prefix, stream_id);
  if (agent->callbacks.gathering_done != NULL)
    agent->callbacks.gathering_done (agent, agent->callbacks.user_data);
}

static void
state_changed_cb (NiceAgent *nagent G_GNUC_UNUSED, guint stream_id, guint component_id, guint state, gpointer user_data)
{
  ZcIceAgent *agent = user_data;

  if (stream_id != agent->stream_id)
    return;
  g_debug ("%sice: component %u is %s", agent->log_prefix, component_id, nice_component_state_to_string (state));
  if (component_id > agent->n_components)
    return; /* the idle RTCP component after rtcp-mux was agreed */
  if (agent->callbacks.state_changed != NULL)
    agent->callbacks.state_changed (agent, component_id, state_from_nice (state), agent->callbacks.user_data);
}

static void
selected_pair_cb (NiceAgent *nagent G_GNUC_UNUSED,
                  guint stream_id,
                  guint component_id,
                  NiceCandidate *lcand,
                  NiceCandidate *rcand,
                  gpointer user_data)
{
  ZcIceAgent *agent = user_data;
  ZcIceCandidateInfo local, remote;

  if (stream_id != agent->stream_id)
    return;
  candidate_info_fill (&local, lcand);
  candidate_info_fill (&remote, rcand);
  if (lcand->type == NICE_CANDIDATE_TYPE_RELAYED)
    relay_transport_fill (agent, lcand, &local);
  g_debug ("%sice: component %u selected %s %s:%u -> %s %s:%u", agent->log_prefix, component_id, local.type,
           local.address, local.port, remote.type, remote.address, remote.port);
  if (agent->callbacks.selected_pair != NULL)
    agent->callbacks.selected_pair (agent, component_id, &local, &remote, agent->callbacks.user_data);
}

static void
recv_cb (NiceAgent *nagent G_GNUC_UNUSED, guint stream_id, guint component_id, guint len, gchar *buf, gpointer user_data)
{
  ZcIceAgent *agent = user_data;

  if (stream_id != agent->stream_id || agent->recv_func == NULL)
    return;
  if (agent->plain) {
    /* Plain RTP is read by plain_read_cb(), which sees the source; libnice
     * reads only while that reader pauses under a flood, and its callback
     * does not say where a datagram came from. */
    atomic_fetch_add_explicit (&agent->foreign_dropped, 1, memory_order_relaxed);
    return;
  }
  agent->recv_func (agent, component_id, (const guint8 *) buf, len, agent->recv_data);
}

/* IPv6 link-local (fe80::/10) and loopback are left out of the default
 * address set (lab notes: link-local host candidates won on a shared LAN;
 * and without a zone libnice cannot bind them). */
static gboolean
add_default_addresses (ZcIceAgent *agent, GError **error)
{
  GList *ips = nice_interfaces_get_local_ips (FALSE);
  guint added = 0;

  for (GList *l = ips; l != NULL; l = l->next) {
    NiceAddress addr;

    if (!nice_address_set_from_string (&addr, l->data))
      continue;
    if (address_is_ipv6_linklocal (&addr))
      continue;
    if (nice_agent_add_local_address (agent->agent, &addr))
      added++;
  }
  g_list_free_full (ips, g_free);
  if (added == 0) {
    g_set_error (error, ZC_ICE_ERROR, ZC_ICE_ERROR_NO_ADDRESS, "ice: no usable local address to gather on");
    return FALSE;
  }
  return TRUE;
}

static gboolean
add_given_addresses (ZcIceAgent *agent, const char *const *addresses, GError **error)
{
  for (guint i = 0; addresses[i] != NULL; i++) {
    NiceAddress addr;

    if (!nice_address_set_from_string (&addr, addresses[i])) {
      g_set_error (error, ZC_ICE_ERROR, ZC_ICE_ERROR_NO_ADDRESS, "ice: cannot use local address '%s' (not numeric)",
                   addresses[i]);
      return FALSE;
    }
    /* Only with a zone ("fe80::1%eth0", a call over that link). */
    if (address_is_ipv6_linklocal (&addr) && addr.s.ip6.sin6_scope_id == 0)
      continue;
    if (address_is_ipv6_linklocal (&addr))
      agent->link_scope = addr.s.ip6.sin6_scope_id;
    if (!nice_agent_add_local_address (agent->agent, &addr)) {
      g_set_error (error, ZC_ICE_ERROR, ZC_ICE_ERROR_NO_ADDRESS, "ice: cannot use local address '%s'", addresses[i]);
      return FALSE;
    }
  }
  return TRUE;
}

/* One TURN server for every component, reached over @transport at @port. */
static gboolean
add_relay (ZcIceAgent *agent, const ZcIceServers *servers, ZcTurnTransport transport, guint16 port, GError **error)
{
  const char *relay_address = servers->turn_server;
  guint16 relay_port = port;
  NiceRelayType relay_type = transport == ZC_TURN_UDP ? NICE_RELAY_TYPE_TURN_UDP : NICE_RELAY_TYPE_TURN_TCP;

  agent->has_turn = TRUE;
  if (transport == ZC_TURN_TLS) {
    /* libnice's own TURN_TLS is no TLS (a pseudo-SSL handshake for old
     * Google servers): it talks TCP to our loopback end, we do TLS.  One
     * per agent: the backstop never adds TLS to a turns: server. */
    g_return_val_if_fail (agent->turn_tls == NULL, FALSE);
    agent->turn_tls = zc_turn_tls_new (agent->context, servers->turn_server, port, servers->turn_name,
                                       servers->turn_ca_file, agent->log_prefix, error);
    if (agent->turn_tls == NULL)
      return FALSE;
    relay_address = "127.0.0.1";
    relay_port = zc_turn_tls_get_port (agent->turn_tls);
  }
  for (guint c = 1; c <= agent->n_components; c++)
    if (!nice_agent_set_relay_info (agent->agent, agent->stream_id, c, relay_address, relay_port,
                                    servers->turn_username ? servers->turn_username : "",
                                    servers->turn_password ? servers->turn_password : "", relay_type)) {
      g_set_error (error, ZC_ICE_ERROR, ZC_ICE_ERROR_FAILED, "ice: TURN server %s:%u refused by libnice",
                   servers->turn_server, port);
      return FALSE;
    }
  agent->relays[agent->n_relays++] = transport;
  return TRUE;
}

ZcIceAgent *
zc_ice_agent_new (const ZcIceAgentConfig *config, const ZcIceAgentCallbacks *callbacks, GError **error)
{
  g_autoptr (ZcIceAgent) agent = g_new0 (ZcIceAgent, 1);
  const ZcIceServers *servers = &config->servers;
  GMainContext *context = config->context != NULL ? config->context : g_main_context_get_thread_default ();

  if (context == NULL)
    context = g_main_context_default ();
  agent->context = g_main_context_ref (context);
  agent->log_prefix = config->call_id != NULL ? g_strdup_printf ("call %s: ", config->call_id) : g_strdup ("");
  agent->rtcp_mux = config->rtcp_mux;
  agent->n_components = config->rtcp_mux ? 1 : 2;
  agent->n_stream_components = agent->n_components;
  if (callbacks != NULL)
    agent->callbacks = *callbacks;

  /* NICE_COMPATIBILITY_RFC5245 is libnice's standard ICE (it follows
   * RFC 8445 where the two differ); aggressive nomination is its default
   * and fine with one stream. */
  agent->agent = nice_agent_new_full (agent->context, NICE_COMPATIBILITY_RFC5245, NICE_AGENT_OPTION_NONE);
  g_object_set (agent->agent, "controlling-mode", config->controlling, "upnp", FALSE, "ice-tcp", config->ice_tcp,
                "force-relay", config->force_relay && servers->turn_server != NULL, NULL);
  if (servers->stun_server != NULL
      && !(servers->turn_server != NULL && g_str_equal (servers->stun_server, servers->turn_server)
           && servers->stun_port == servers->turn_port))
    g_object_set (agent->agent, "stun-server", servers->stun_server, "stun-server-port", (guint) servers->stun_port,
                  NULL);

  if (config->local_addresses != NULL) {
    if (!add_given_addresses (agent, config->local_addresses, error))
      return NULL;
  } else if (!add_default_addresses (agent, error)) {
    return NULL;
  }

  agent->stream_id = nice_agent_add_stream (agent->agent, agent->n_components);
  if (agent->stream_id == 0) {
    g_set_error (error, ZC_ICE_ERROR, ZC_ICE_ERROR_FAILED, "ice: cannot add a stream");
    return NULL;
  }
  nice_agent_set_stream_name (agent->agent, agent->stream_id, "audio");
  if (servers->turn_server != NULL) {
    if (!add_relay (agent, servers, servers->turn_transport, servers->turn_port, error))
      return NULL;
    /* The configured transport first: libnice ranks relays in the order
     * they are added. */
    for (ZcTurnTransport t = ZC_TURN_TCP; t <= ZC_TURN_TLS; t++)
      if (t != servers->turn_transport && (servers->extra_relays & (1u << t)) != 0
          && !add_relay (agent, servers, t, t == ZC_TURN_TLS ? servers->turn_tls_port : servers->turn_port, error))
        return NULL;
  }
  if (config->port_min != 0 && config->port_max >= config->port_min)
    for (guint c = 1; c <= agent->n_components; c++)
      nice_agent_set_port_range (agent->agent, agent->stream_id, c, config->port_min, config->port_max);

  agent->handlers[0] = g_signal_connect (agent->agent, "candidate-gathering-done", G_CALLBACK (gathering_done_cb), agent);
  agent->handlers[1] = g_signal_connect (agent->agent, "component-state-changed", G_CALLBACK (state_changed_cb), agent);
  agent->handlers[2] = g_signal_connect (agent->agent, "new-selected-pair-full", G_CALLBACK (selected_pair_cb), agent);

  /* Attach the receive callback now: libnice drops (and does not read)
   * datagrams on a component without one. */
  for (guint c = 1; c <= agent->n_components; c++)
    nice_agent_attach_recv (agent->agent, agent->stream_id, c, agent->context, recv_cb, agent);

  return g_steal_pointer (&agent);
}

static void
close_done_cb (GObject *source, GAsyncResult *result G_GNUC_UNUSED, gpointer user_data)
{
  g_object_unref (source);
  /* The allocations' release went through the TLS leg: only now may it go. */
  zc_turn_tls_free (user_data);
}

void
zc_ice_agent_free (ZcIceAgent *agent)
{
  if (agent == NULL)
    return;
  zc_ice_plain_stop (agent);
  g_clear_pointer (&agent->plain_sources, g_ptr_array_unref);
  g_free (agent->plain_buf);
  if (agent->agent != NULL) {
    for (guint i = 0; i < G_N_ELEMENTS (agent->handlers); i++)
      if (agent->handlers[i] != 0)
        g_signal_handler_disconnect (agent->agent, agent->handlers[i]);
    if (agent->stream_id != 0) {
      for (guint c = 1; c <= agent->n_stream_components; c++)
        nice_agent_attach_recv (agent->agent, agent->stream_id, c, agent->context, NULL, NULL);
      nice_agent_remove_stream (agent->agent, agent->stream_id);
    }
    if (agent->has_turn)
      /* The callback holds the last reference until the allocations are
       * released (or given up on), on the agent's context. */
      nice_agent_close_async (agent->agent, close_done_cb, g_steal_pointer (&agent->turn_tls));
    else
      g_object_unref (agent->agent);
  }
  g_clear_pointer (&agent->turn_tls, zc_turn_tls_free);
  if (agent->context != NULL)
    g_main_context_unref (agent->context);
  g_free (agent->log_prefix);
  g_free (agent);
}

guint
zc_ice_agent_get_n_components (const ZcIceAgent *agent)
{
  return agent->n_components;
}

void
zc_ice_agent_use_rtcp_mux (ZcIceAgent *agent)
{
  agent->rtcp_mux = TRUE;
  agent->n_components = 1;
}

gboolean
zc_ice_agent_get_rtcp_mux (const ZcIceAgent *agent)
{
  return agent->rtcp_mux;
}

gboolean
zc_ice_agent_gather (ZcIceAgent *agent, GError **error)
{
  if (!nice_agent_gather_candidates (agent->agent, agent->stream_id)) {
    g_set_error (error, ZC_ICE_ERROR, ZC_ICE_ERROR_FAILED, "ice: cannot gather candidates on stream %u",
                 agent->stream_id);
    return FALSE;
  }
  return TRUE;
}

gboolean
zc_ice_agent_is_gathering_done (const ZcIceAgent *agent)
{
  return agent->gathering_done;
}

char *
zc_ice_agent_get_local_sdp (ZcIceAgent *agent, GError **error)
{
  g_autoptr (GString) out = g_string_new (NULL);
  g_autofree char *ufrag = NULL;
  g_autofree char *pwd = NULL;

  if (!agent->gathering_done) {
    g_set_error (error, ZC_ICE_ERROR, ZC_ICE_ERROR_NOT_READY, "ice: candidates are not gathered yet");
    return NULL;
  }
  if (!nice_agent_get_local_credentials (agent->agent, agent->stream_id, &ufrag, &pwd)) {
    g_set_error (error, ZC_ICE_ERROR, ZC_ICE_ERROR_FAILED, "ice: no local credentials on stream %u",
                 agent->stream_id);
    return NULL;
  }
  /* RFC 8839 5.4 */
  g_string_append_printf (out, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", ufrag, pwd);
  for (guint c = 1; c <= agent->n_components; c++) {
    GSList *cands = nice_agent_get_local_candidates (agent->agent, agent->stream_id, c);

    for (GSList *l = cands; l != NULL; l = l->next) {
      NiceCandidate *cand = l->data;
      g_autofree char *line = NULL;

      /* Belt and braces: link-local never reaches the SDP even if an
       * address slipped in, unless the call is over that link. */
      if (!candidate_usable (agent, &cand->addr))
        continue;
      line = nice_agent_generate_local_candidate_sdp (agent->agent, cand);
      if (line != NULL)
        g_string_append_printf (out, "%s\r\n", line);
    }
    g_slist_free_full (cands, (GDestroyNotify) nice_candidate_free);
  }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* libnice 0.1.21 only ever names an IPv4 candidate the default, and may
 * name a TCP one; then the default is the best UDP candidate we have
 * (RFC 8839 4.2.1.2: the one most likely to work, i.e. the highest
 * priority). */
static NiceCandidate *
best_local_candidate (ZcIceAgent *agent, guint component_id)
{
  GSList *cands = nice_agent_get_local_candidates (agent->agent, agent->stream_id, component_id);
  NiceCandidate *best = NULL;

  for (GSList *l = cands; l != NULL; l = l->next) {
    NiceCandidate *cand = l->data;

    if (cand->transport == NICE_CANDIDATE_TRANSPORT_UDP && candidate_usable (agent, &cand->addr)
        && (best == NULL || cand->priority > best->priority))
      best = cand;
  }
  best = best != NULL ? nice_candidate_copy (best) : NULL;
  g_slist_free_full (cands, (GDestroyNotify) nice_candidate_free);
  return best;
}

gboolean
zc_ice_agent_get_default_address (ZcIceAgent *agent, guint component_id, char **address, guint16 *port, GError **error)
{
  NiceCandidate *cand;
  char addr[NICE_ADDRESS_STRING_LEN];

  if (component_id == 0 || component_id > agent->n_components) {
    g_set_error (error, ZC_ICE_ERROR, ZC_ICE_ERROR_FAILED, "ice: no component %u", component_id);
    return FALSE;
  }
  if (!agent->gathering_done) {
    g_set_error (error, ZC_ICE_ERROR, ZC_ICE_ERROR_NOT_READY, "ice: candidates are not gathered yet");
    return FALSE;
  }
  cand = nice_agent_get_default_local_candidate (agent->agent, agent->stream_id, component_id);
  /* c=/m= name a UDP address: RTP/AVP is UDP, whatever ICE-TCP adds. */
  if (cand != NULL && cand->transport != NICE_CANDIDATE_TRANSPORT_UDP)
    g_clear_pointer (&cand, nice_candidate_free);
  if (cand == NULL)
    cand = best_local_candidate (agent, component_id);
  if (cand == NULL) {
    g_set_error (error, ZC_ICE_ERROR, ZC_ICE_ERROR_FAILED, "ice: no default candidate for component %u",
                 component_id);
    return FALSE;
  }
  nice_address_to_string (&cand->addr, addr);
  *address = g_strdup (addr);
  *port = (guint16) nice_address_get_port (&cand->addr);
  nice_candidate_free (cand);
  return TRUE;
}

gboolean
zc_ice_agent_restart (ZcIceAgent *agent, GError **error)
{
  if (!agent->gathering_done) {
    g_set_error (error, ZC_ICE_ERROR, ZC_ICE_ERROR_NOT_READY, "ice: candidates are not gathered yet");
    return FALSE;
  }
  /* RFC 8445 9: new credentials, the remote side forgotten, our
   * candidates kept (no new gathering, so the offer or answer can go at
   * once; the relayed ones and their TURN allocations stay). */
  if (!nice_agent_restart_stream (agent->agent, agent->stream_id)) {
    g_set_error (error, ZC_ICE_ERROR, ZC_ICE_ERROR_FAILED, "ice: libnice refused to restart stream %u",
                 agent->stream_id);
    return FALSE;
  }
  return TRUE;
}

gboolean
zc_ice_agent_set_remote_sdp (ZcIceAgent *agent,
                             const char *ufrag,
                             const char *pwd,
                             const char *const *candidates,
                             GError **error)
{
  GSList *per_component[3] = { NULL, NULL, NULL };
  gboolean ok = FALSE;

  if (ufrag == NULL || pwd == NULL || *ufrag == '\0' || *pwd == '\0') {
    g_set_error (error, ZC_ICE_ERROR, ZC_ICE_ERROR_BAD_SDP, "ice: remote ice-ufrag/ice-pwd missing");
    return FALSE;
  }
  if (!nice_agent_set_remote_credentials (agent->agent, agent->stream_id, ufrag, pwd)) {
    g_set_error (error, ZC_ICE_ERROR, ZC_ICE_ERROR_BAD_SDP, "ice: remote credentials refused");
    return FALSE;
  }

  for (guint i = 0; candidates != NULL && candidates[i] != NULL; i++) {
    g_autofree char *line = g_strstrip (g_strdup (candidates[i]));
    const char *text = line;
    NiceCandidate *cand;

    /* libnice wants "a=candidate:..." */
    g_autofree char *with_prefix = g_str_has_prefix (text, "a=") ? g_strdup (text) : g_strconcat ("a=", text, NULL);

    cand = nice_agent_parse_remote_candidate_sdp (agent->agent, agent->stream_id, with_prefix);
    if (cand == NULL) {
      /* A transport or extension libnice does not know must not cost the
       * call the candidates it does know (RFC 8839 5.1: ignore). */
      g_debug ("%sice: ignoring remote candidate '%s'", agent->log_prefix, text);
      continue;
    }
    if (cand->component_id == 0 || cand->component_id > agent->n_components ||
        !candidate_usable (agent, &cand->addr)) {
      nice_candidate_free (cand);
      continue;
    }
    address_scope_to_link (agent, &cand->addr);
    per_component[cand->component_id] = g_slist_append (per_component[cand->component_id], cand);
  }

  if (per_component[ZC_ICE_COMPONENT_RTP] == NULL) {
    g_set_error (error, ZC_ICE_ERROR, ZC_ICE_ERROR_BAD_SDP, "ice: no usable remote candidate for RTP");
    goto out;
  }
  for (guint c = 1; c <= agent->n_components; c++) {
    if (per_component[c] == NULL)
      continue;
    if (nice_agent_set_remote_candidates (agent->agent, agent->stream_id, c, per_component[c]) < 0) {
      g_set_error (error, ZC_ICE_ERROR, ZC_ICE_ERROR_BAD_SDP, "ice: remote candidates for component %u refused", c);
      goto out;
    }
  }
  ok = TRUE;

out:
  for (guint c = 0; c < G_N_ELEMENTS (per_component); c++)
    g_slist_free_full (per_component[c], (GDestroyNotify) nice_candidate_free);
  return ok;
}

/* ---- Plain RTP from the right source only ------------------------------
 *
 * libnice (>= 0.1.15) delivers ICE data only from remote addresses that
 * passed a connectivity check, i.e. that know the peer's ice-pwd: on ICE
 * calls an injector on the LAN is already shut out.  But a forced pair
 * (nice_agent_set_selected_remote_candidate(), our plain RTP) puts the
 * component in libnice's "fallback mode", which accepts any source, and
 * its receive callback does not say where a datagram came from.  So in
 * plain mode we read the component's UDP sockets ourselves, at a priority
 * above libnice's own socket sources (GLib dispatches only the most urgent
 * ready sources, so libnice finds nothing left to read), and keep what
 * comes from the peer's c= address and m= port (a=rtcp or port + 1 on
 * component 2; with rtcp-mux RTCP shares the RTP port).
 *
 * No latching (RFC 4961 symmetric RTP learnt from the first source, the
 * "comedia" of Asterisk and baresip): plain RTP is for LAN desk phones and
 * sipp, which send from the port they signal; calls through NATs use ICE.
 * A latch would hand the stream to whichever host sends first while the
 * peer has not (a phone ringing silently, a sendonly hold), which is the
 * hijack this filter exists to stop.  A phone that sends from elsewhere
 * shows as one-way audio with rtp_foreign_dropped climbing, and a debug
 * line names the first foreign source. */

gboolean
zc_ice_agent_set_plain_remote (ZcIceAgent *agent,
                               const char *address,
                               guint16 rtp_port,
                               guint16 rtcp_port,
                               GError **error)
{
  if (!agent->gathering_done) {
    g_set_error (error, ZC_ICE_ERROR, ZC_ICE_ERROR_NOT_READY, "ice: candidates are not gathered yet");
    return FALSE;
  }
  for (guint c = 1; c <= agent->n_components; c++) {
    NiceCandidate *cand = nice_candidate_new (NICE_CANDIDATE_TYPE_HOST);
    gboolean ok;

    cand->stream_id = agent->stream_id;
    cand->component_id = c;
    cand->transport = NICE_CANDIDATE_TRANSPORT_UDP;
    if (!nice_address_set_from_string (&cand->addr, address)) {
      nice_candidate_free (cand);
      g_set_error (error, ZC_ICE_ERROR, ZC_ICE_ERROR_BAD_SDP, "ice: remote media address '%s' is not numeric",
                   address);
      return FALSE;
    }
    nice_address_set_port (&cand->addr, c == ZC_ICE_COMPONENT_RTP ? rtp_port : rtcp_port);
    address_scope_to_link (agent, &cand->addr);
    ok = nice_agent_set_selected_remote_candidate (agent->agent, agent->stream_id, c, cand);
    nice_candidate_free (cand);
    if (!ok) {
      g_set_error (error, ZC_ICE_ERROR, ZC_ICE_ERROR_FAILED,
                   "ice: cannot send to %s:%u on component %u (no local candidate of that family?)", address,
                   c == ZC_ICE_COMPONENT_RTP ? rtp_port : rtcp_port, c);
      return FALSE;
    }
  }
  if (!zc_ice_plain_start (agent, address, rtp_port, rtcp_port, error))
    return FALSE;
  agent->plain = TRUE;
  return TRUE;
}

guint64
zc_ice_agent_get_foreign_dropped (ZcIceAgent *agent)
{
  return atomic_load_explicit (&agent->foreign_dropped, memory_order_relaxed);
}

void
zc_ice_agent_set_recv_func (ZcIceAgent *agent, ZcIceRecvFunc func, gpointer user_data)
{
  agent->recv_func = func;
  agent->recv_data = user_data;
}

int
zc_ice_agent_send (ZcIceAgent *agent, guint component_id, const guint8 *buf, gsize len)
{
  gint sent;

  if (component_id == 0 || component_id > agent->n_components || len > G_MAXUINT)
    return -EINVAL;
  sent = nice_agent_send (agent->agent, agent->stream_id, component_id, (guint) len, (const gchar *) buf);
  if (sent < 0) {
    ZcIceState state = zc_ice_agent_get_state (agent, component_id);

    return (state == ZC_ICE_STATE_CONNECTED || state == ZC_ICE_STATE_READY || agent->plain) ? -EIO : -ENOTCONN;
  }
  return sent;
}

ZcIceState
zc_ice_agent_get_state (ZcIceAgent *agent, guint component_id)
{
  return state_from_nice (nice_agent_get_component_state (agent->agent, agent->stream_id, component_id));
}

/* A relayed candidate says nothing of how its TURN server is reached,
 * but libnice writes the server's place in the component's list (the
 * order of nice_agent_set_relay_info(), add_relay()) into its local
 * preference: priority bits 14-16 (RFC 8445 5.1.2.1 local preference,
 * bits 6-8 of it, libnice >= 0.1.18). */
static void
relay_transport_fill (ZcIceAgent *agent, const NiceCandidate *cand, ZcIceCandidateInfo *info)
{
  static const char *const names[] = { [ZC_TURN_UDP] = "udp", [ZC_TURN_TCP] = "tcp", [ZC_TURN_TLS] = "tls" };
  guint index = (cand->priority >> 14) & 7;

  if (index < agent->n_relays)
    g_strlcpy (info->relay_transport, names[agent->relays[index]], sizeof info->relay_transport);
}

gboolean
zc_ice_agent_get_selected_pair (ZcIceAgent *agent,
                                guint component_id,
                                ZcIceCandidateInfo *local,
                                ZcIceCandidateInfo *remote)
{
  NiceCandidate *lcand = NULL, *rcand = NULL;

  if (!nice_agent_get_selected_pair (agent->agent, agent->stream_id, component_id, &lcand, &rcand))
    return FALSE;
  candidate_info_fill (local, lcand);
  candidate_info_fill (remote, rcand);
  if (lcand->type == NICE_CANDIDATE_TYPE_RELAYED)
    relay_transport_fill (agent, lcand, local);
  return TRUE;
}
