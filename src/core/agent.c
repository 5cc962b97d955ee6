/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "core"

#include "config.h"
#include "core/agent.h"

#include "common/i18n.h"
#include "common/instance-id.h"
#include "core/calls.h"
#include "core/rendezvous.h"
#include "core/liveness.h"
#include "discovery/discovery.h"
#include "discovery/peer-table.h"
#include "sip/transport.h"

#include <string.h>

G_DEFINE_QUARK (zc-agent-error-quark, zc_agent_error)

struct _ZcAgent {
  ZcConfig *config;
  char *instance_id;
  char *service_name;       /* as configured: display name or user@host */
  char *presence;             /* as the user set it: available or dnd */
  char *advertised_state;     /* what TXT says: available, busy or dnd */
  ZcSipTransport *sip;
  ZcSipUa *ua;                 /* ours; the calls, rendezvous and liveness use it */
  ZcCalls *calls;
  ZcRendezvous *rendezvous;
  ZcLiveness *liveness;
  ZcDiscovery *discovery;
  ZcPeerTable *peers;

  ZcAgentCallbacks observer;
  gpointer observer_data;
};

static void
notify_status (ZcAgent *agent)
{
  if (agent->observer.status_changed != NULL)
    agent->observer.status_changed (agent->observer_data);
}

/* ---- peer table events --------------------------------------------------- */

/* Peers see "busy" while every call slot is taken, "dnd" when the user
 * asked for quiet. */
static void
update_advertised_state (ZcAgent *agent)
{
  const char *state = agent->presence;

  if (g_str_equal (state, "available") && agent->calls != NULL &&
      zc_calls_count_live (agent->calls) >= agent->config->max_calls)
    state = "busy";
  if (g_strcmp0 (agent->advertised_state, state) == 0)
    return;
  g_free (agent->advertised_state);
  agent->advertised_state = g_strdup (state);
  if (agent->discovery != NULL)
    zc_discovery_set_state (agent->discovery, state);
}

static void
call_changed_cb (const char *event, GVariant *call, gpointer user_data)
{
  ZcAgent *agent = user_data;

  update_advertised_state (agent);
  if (agent->observer.call_changed != NULL)
    agent->observer.call_changed (event, call, agent->observer_data);
}

static void
peer_added_cb (const ZcPeer *peer, gpointer user_data)
{
  ZcAgent *agent = user_data;
  g_autoptr (GVariant) view = g_variant_ref_sink (zc_peer_to_variant (peer));

  if (agent->liveness != NULL && !zc_peer_is_self (peer))
    zc_liveness_probe_soon (agent->liveness);

  if (!zc_peer_is_self (peer))
    g_message ("peer “%s” (%s) appeared", zc_peer_get_name (peer), zc_peer_get_user (peer));
  if (agent->observer.peer_added != NULL)
    agent->observer.peer_added (view, agent->observer_data);
  notify_status (agent);
}

static void
peer_changed_cb (const ZcPeer *peer, gpointer user_data)
{
  ZcAgent *agent = user_data;
  g_autoptr (GVariant) view = g_variant_ref_sink (zc_peer_to_variant (peer));

  g_debug ("peer “%s” changed", zc_peer_get_name (peer));
  if (agent->observer.peer_changed != NULL)
    agent->observer.peer_changed (view, agent->observer_data);
}

static void
peer_removed_cb (const ZcPeer *peer, gpointer user_data)
{
  ZcAgent *agent = user_data;
  g_autoptr (GVariant) view = g_variant_ref_sink (zc_peer_to_variant (peer));

  if (!zc_peer_is_self (peer))
    g_message ("peer “%s” left", zc_peer_get_name (peer));
  if (agent->observer.peer_removed != NULL)
    agent->observer.peer_removed (view, agent->observer_data);
  notify_status (agent);
}

/* ---- discovery events ---------------------------------------------------- */

static void
discovery_state_cb (ZcDiscoveryState state G_GNUC_UNUSED, const char *detail G_GNUC_UNUSED, gpointer user_data)
{
  notify_status (user_data);
}

static void
discovery_name_cb (const char *service_name G_GNUC_UNUSED, gpointer user_data)
{
  notify_status (user_data);
}

static void
service_resolved_cb (ZcServiceRecord *record, gpointer user_data)
{
  ZcAgent *agent = user_data;
  zc_peer_table_update (agent->peers, record);
}

static void
service_removed_cb (int ifindex, int family, const char *type, const char *name, const char *domain,
                    gpointer user_data)
{
  ZcAgent *agent = user_data;
  zc_peer_table_remove (agent->peers, ifindex, family, type, name, domain);
}

static void
services_flushed_cb (gpointer user_data)
{
  ZcAgent *agent = user_data;
  zc_peer_table_clear (agent->peers);
}

/* ---- life cycle ------------------------------------------------------------ */

/* The DNS-SD instance name: the display name, else user@host, cut to one
 * DNS label at a character boundary. */
static char *
make_service_name (const ZcConfig *config)
{
  g_autofree char *name = NULL;
  char *end;

  if (config->display_name != NULL && *config->display_name != '\0')
    name = g_strdup (config->display_name);
  else
    name = g_strdup_printf ("%s@%s", config->user, g_get_host_name ());
  if (strlen (name) > ZC_MAX_SERVICE_NAME_BYTES) {
    end = name + ZC_MAX_SERVICE_NAME_BYTES;
    while (end > name && (*end & 0xc0) == 0x80)
      end--;
    *end = '\0';
  }
  return g_steal_pointer (&name);
}

ZcAgent *
zc_agent_new (ZcConfig *config, GError **error)
{
  g_autoptr (ZcAgent) agent = g_new0 (ZcAgent, 1);
  g_autoptr (GError) id_error = NULL;
  static const ZcPeerTableCallbacks peer_events = {
    .peer_added = peer_added_cb,
    .peer_changed = peer_changed_cb,
    .peer_removed = peer_removed_cb,
  };

  agent->config = config;
  agent->presence = g_strdup ("available");
  agent->instance_id = zc_instance_id_load_or_create (&id_error);
  if (agent->instance_id == NULL) {
    agent->instance_id = g_uuid_string_random ();
    g_warning ("cannot keep the instance identity (%s); using %s for this run only", id_error->message,
               agent->instance_id);
  }
  agent->service_name = make_service_name (config);
  agent->peers = zc_peer_table_new (agent->instance_id, &peer_events, agent);
  agent->sip = zc_sip_transport_new (config->sip_port, error);
  if (agent->sip == NULL)
    return NULL;
  {
    static const ZcCallsCallbacks calls_observer = { .call_changed = call_changed_cb };
    ZcSipIdentity identity = { .user = config->user, .display_name = config->display_name };

    /* The call core installs its session handlers (zc_calls_new). */
    agent->ua = zc_sip_ua_new (agent->sip, &identity, NULL, NULL);
    zc_sip_ua_set_rate_limit (agent->ua, config->rate_limit);
    agent->calls = zc_calls_new (agent->ua, agent->sip, config, agent->peers, &calls_observer, agent);
  }
  return g_steal_pointer (&agent);
}

static void
rendezvous_changed_cb (ZcRendezvous *rdv G_GNUC_UNUSED, gpointer user_data)
{
  notify_status (user_data);
}

void
zc_agent_start (ZcAgent *agent)
{
  static const ZcDiscoveryCallbacks discovery_events = {
    .state_changed = discovery_state_cb,
    .name_changed = discovery_name_cb,
    .service_resolved = service_resolved_cb,
    .service_removed = service_removed_cb,
    .services_flushed = services_flushed_cb,
  };
  ZcAdvert advert = {
    .service_name = agent->service_name,
    .port = zc_sip_transport_get_port (agent->sip),
    .user = agent->config->user,
    .display_name = agent->config->display_name,
    .instance_id = agent->instance_id,
    .state = agent->advertised_state ? agent->advertised_state : agent->presence,
  };
  ZcLivenessTimes times = {
    .probe_interval_ms = agent->config->probe_interval_ms,
    .unreachable_after_ms = agent->config->unreachable_after_ms,
    .remove_after_ms = agent->config->remove_after_ms,
  };

  if (agent->rendezvous == NULL) {
    agent->rendezvous = zc_rendezvous_new (agent->config, agent->ua, agent->sip,
                                           agent->instance_id, rendezvous_changed_cb, agent);
    zc_calls_set_rendezvous (agent->calls, agent->rendezvous);
  }
  if (agent->discovery != NULL)
    return;
  if (!agent->config->discovery_enabled) {
    g_message ("discovery is disabled in the configuration");
    return;
  }
  agent->discovery = zc_discovery_new (&advert, &discovery_events, agent);
  agent->liveness = zc_liveness_new (agent->ua, agent->peers, &times);
}

void
zc_agent_stop (ZcAgent *agent)
{
  /* Calls first: their BYEs go out while the sockets are still open. */
  if (agent->calls != NULL)
    zc_calls_hangup_all (agent->calls);
  if (agent->calls != NULL)
    zc_calls_set_rendezvous (agent->calls, NULL);
  g_clear_pointer (&agent->rendezvous, zc_rendezvous_free);
  g_clear_pointer (&agent->liveness, zc_liveness_free);
  g_clear_pointer (&agent->discovery, zc_discovery_free);
}

void
zc_agent_free (ZcAgent *agent)
{
  if (agent == NULL)
    return;
  agent->observer = (ZcAgentCallbacks){ 0 };
  zc_agent_stop (agent);
  g_clear_pointer (&agent->calls, zc_calls_free);
  g_clear_pointer (&agent->ua, zc_sip_ua_free);
  g_clear_pointer (&agent->peers, zc_peer_table_free);
  g_clear_pointer (&agent->sip, zc_sip_transport_free);
  zc_config_free (agent->config);
  g_free (agent->instance_id);
  g_free (agent->service_name);
  g_free (agent->presence);
  g_free (agent->advertised_state);
  g_free (agent);
}

void
zc_agent_set_observer (ZcAgent *agent, const ZcAgentCallbacks *observer, gpointer user_data)
{
  agent->observer = *observer;
  agent->observer_data = user_data;
}

/* ---- queries and commands ------------------------------------------------ */

GVariant *
zc_agent_get_status (ZcAgent *agent)
{
  const ZcConfig *config = agent->config;
  guint16 port = zc_sip_transport_get_port (agent->sip);
  ZcDiscoveryState state = agent->discovery ? zc_discovery_get_state (agent->discovery) : ZC_DISCOVERY_DISABLED;
  const char *detail = agent->discovery ? zc_discovery_get_detail (agent->discovery)
                                        : _("discovery is disabled in the configuration");
  const char *service_name = agent->discovery ? zc_discovery_get_service_name (agent->discovery) : NULL;
  const char *mdns_host = agent->discovery ? zc_discovery_get_host (agent->discovery) : NULL;
  g_autofree char *local_host = g_strconcat (g_get_host_name (), ".local", NULL);
  g_autofree char *uri = zc_discovery_build_contact (config->user, mdns_host ? mdns_host : local_host, port);
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "version", g_variant_new_string (PACKAGE_VERSION));
  g_variant_builder_add (&b, "{sv}", "user", g_variant_new_string (config->user));
  g_variant_builder_add (&b, "{sv}", "display_name", g_variant_new_string (config->display_name));
  g_variant_builder_add (&b, "{sv}", "instance_id", g_variant_new_string (agent->instance_id));
  g_variant_builder_add (&b, "{sv}", "service_name", g_variant_new_string (service_name ? service_name : ""));
  g_variant_builder_add (&b, "{sv}", "host", g_variant_new_string (mdns_host ? mdns_host : ""));
  g_variant_builder_add (&b, "{sv}", "uri", g_variant_new_string (uri));
  g_variant_builder_add (&b, "{sv}", "sip_port", g_variant_new_uint32 (port));
  g_variant_builder_add (&b, "{sv}", "discovery", g_variant_new_string (zc_discovery_state_to_string (state)));
  g_variant_builder_add (&b, "{sv}", "discovery_detail", g_variant_new_string (detail));
  g_variant_builder_add (&b, "{sv}", "presence", g_variant_new_string (agent->presence));
  g_variant_builder_add (&b, "{sv}", "calls", g_variant_new_uint32 (zc_calls_count_live (agent->calls)));
  g_variant_builder_add (&b, "{sv}", "peers", g_variant_new_uint32 (zc_peer_table_count (agent->peers, FALSE)));
  if (agent->rendezvous != NULL)
    g_variant_builder_add (&b, "{sv}", "rendezvous", zc_rendezvous_describe (agent->rendezvous));
  return g_variant_builder_end (&b);
}

GVariant *
zc_agent_list_peers (ZcAgent *agent, gboolean include_self)
{
  g_autoptr (GPtrArray) peers = zc_peer_table_list (agent->peers, include_self);
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < peers->len; i++)
    g_variant_builder_add_value (&b, zc_peer_to_variant (g_ptr_array_index (peers, i)));
  return g_variant_builder_end (&b);
}

gboolean
zc_agent_set_presence (ZcAgent *agent, const char *presence, GError **error)
{
  if (g_strcmp0 (presence, "available") != 0 && g_strcmp0 (presence, "dnd") != 0) {
    g_set_error (error, ZC_AGENT_ERROR, ZC_AGENT_ERROR_INVALID_ARGUMENT,
                 _("unknown presence “%s” (available or dnd)"), presence);
    return FALSE;
  }
  if (g_strcmp0 (agent->presence, presence) == 0)
    return TRUE;
  g_free (agent->presence);
  agent->presence = g_strdup (presence);
  g_message ("presence is now %s", presence);
  zc_calls_set_dnd (agent->calls, g_str_equal (presence, "dnd"));
  update_advertised_state (agent);
  notify_status (agent);
  return TRUE;
}

ZcCalls *
zc_agent_get_calls (ZcAgent *agent)
{
  return agent->calls;
}
