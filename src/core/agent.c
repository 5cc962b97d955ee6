/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "core"

#include "config.h"
#include "core/agent.h"

#include "common/i18n.h"
#include "common/instance-id.h"
#include "core/calls.h"
#include "core/rendezvous.h"
#include "core/targets.h"
#include "core/liveness.h"
#include "core/media-loader.h"
#include "core/history.h"
#include "core/presence.h"
#include "discovery/discovery.h"
#include "discovery/peer-table.h"
#include "sip/tls.h"
#include "sip/transport.h"
#include "trust/identity.h"
#include "trust/known-peers.h"
#include "trust/trust-error.h"

#include <string.h>

G_DEFINE_QUARK (zc-agent-error-quark, zc_agent_error)

struct _ZcAgent {
  ZcConfig *config;
  char *instance_id;
  char *service_name;       /* as configured: display name or user@host */
  char *presence;             /* as the user set it: available or dnd */
  char *advertised_state;     /* what TXT says: available, ringing, on-call or dnd */
  char *note;                 /* TXT note=, "" for none; kept in the state dir */
  char *state_dir;            /* $XDG_STATE_HOME/zcall */
  ZcHistory *history;
  ZcSipTransport *sip;
  ZcSipUa *ua;                 /* ours; the calls, rendezvous and liveness use it */
  ZcCalls *calls;
  ZcRendezvous *rendezvous;
  ZcLiveness *liveness;
  ZcDiscovery *discovery;
  ZcPeerTable *peers;
  ZcIdentity *identity;
  ZcKnownPeers *known_peers;
  GStrv restart_needed;        /* "[group] key" changed by a reload, waiting for a restart */

  ZcAgentCallbacks observer;
  gpointer observer_data;
};

static void
notify_status (ZcAgent *agent)
{
  if (agent->observer.status_changed != NULL)
    agent->observer.status_changed (agent->observer_data);
}

/* DND and forwarding as the user set them, kept for the next start
 * (core/presence.h). */
static gboolean
save_line (ZcAgent *agent, GError **error)
{
  g_autoptr (GVariant) forward = g_variant_ref_sink (zc_calls_describe_forward (agent->calls));
  ZcLineSettings line = { .dnd = g_str_equal (agent->presence, "dnd") };
  gboolean ok;

  g_variant_lookup (forward, "mode", "s", &line.forward_mode);
  g_variant_lookup (forward, "target", "s", &line.forward_target);
  g_variant_lookup (forward, "no_answer_s", "u", &line.forward_no_answer_s);
  ok = zc_line_settings_save (agent->state_dir, &line, error);
  zc_line_settings_clear (&line);
  return ok;
}

static void
restore_line (ZcAgent *agent)
{
  ZcLineSettings line = { 0 };
  g_autoptr (GError) error = NULL;

  zc_line_settings_load (agent->state_dir, &line);
  if (line.dnd) {
    g_free (agent->presence);
    agent->presence = g_strdup ("dnd");
    zc_calls_set_dnd (agent->calls, TRUE);
    g_message ("presence is dnd, as set before the restart");
  }
  if (!g_str_equal (line.forward_mode, "off") &&
      !zc_calls_restore_forward (agent->calls, line.forward_mode, line.forward_target, line.forward_no_answer_s,
                                 &error))
    g_warning ("presence: the forwarding kept from the last run is not taken over: %s", error->message);
  zc_line_settings_clear (&line);
}

/* ---- peer table events --------------------------------------------------- */

/* Peers see what the line is doing (core/presence.h).  TRUE when that
 * changed. */
static gboolean
update_advertised_state (ZcAgent *agent)
{
  guint on_call = 0, ringing = 0;
  const char *state;

  if (agent->calls != NULL)
    zc_calls_get_activity (agent->calls, &on_call, &ringing);
  state = zc_presence_state (g_str_equal (agent->presence, "dnd"), on_call, ringing);
  if (g_strcmp0 (agent->advertised_state, state) == 0)
    return FALSE;
  g_free (agent->advertised_state);
  agent->advertised_state = g_strdup (state);
  g_debug ("advertised state: %s", state);
  if (agent->discovery != NULL)
    zc_discovery_set_state (agent->discovery, state);
  return TRUE;
}

static void
call_changed_cb (const char *event, GVariant *call, gpointer user_data)
{
  ZcAgent *agent = user_data;
  gboolean changed = update_advertised_state (agent);

  if (g_str_equal (event, "ended") && agent->history != NULL) {
    zc_history_add_call (agent->history, call);
    changed = TRUE; /* missed_calls may have grown */
  }
  if (agent->observer.call_changed != NULL)
    agent->observer.call_changed (event, call, agent->observer_data);
  if (changed)
    notify_status (agent);
}

/* The verdict for an entry the table has not seen before.  Discovery
 * reports the fingerprint; trust (the pins) decides. */
static const char *
peer_trust_cb (const ZcPeer *peer, gpointer user_data)
{
  ZcAgent *agent = user_data;
  const char *instance_id = zc_peer_get_instance_id (peer);
  const char *compact = zc_peer_get_fingerprint (peer);
  g_autoptr (GError) error = NULL;
  ZcFingerprint fp;
  ZcTrustVerdict verdict;
  gboolean was_pinned;

  if (instance_id == NULL || *instance_id == '\0')
    return "none";
  /* Our own instance_id with another key (the table made it no "self"). */
  if (g_str_equal (instance_id, agent->instance_id))
    return "changed";
  if (compact == NULL || *compact == '\0') {
    /* A zcall instance_id without fp=: an older agent, or a copy of a
     * pinned peer's advert that cannot show its key. */
    return zc_known_peers_lookup (agent->known_peers, instance_id) != NULL ? "changed" : "none";
  }
  if (!zc_fingerprint_parse (compact, &fp, &error)) {
    g_message ("peer “%s” advertises an unreadable fp= (%s)", zc_peer_get_name (peer), error->message);
    return zc_known_peers_lookup (agent->known_peers, instance_id) != NULL ? "changed" : "none";
  }
  was_pinned = zc_known_peers_lookup (agent->known_peers, instance_id) != NULL;
  verdict = zc_known_peers_verdict (agent->known_peers, instance_id, zc_peer_get_user (peer), &fp, &error);
  if (error != NULL)
    g_warning ("known peers: %s", error->message);
  if (verdict == ZC_TRUST_CHANGED)
    g_warning ("peer “%s” (%s) shows another key than the one pinned for %s", zc_peer_get_name (peer),
               zc_peer_get_user (peer), instance_id);
  else if (verdict == ZC_TRUST_NEW && !was_pinned)
    g_message ("peer “%s” (%s) seen for the first time; its key is now pinned", zc_peer_get_name (peer),
               zc_peer_get_user (peer));
  return zc_trust_verdict_to_string (verdict);
}

static void
peer_added_cb (const ZcPeer *peer, gpointer user_data)
{
  ZcAgent *agent = user_data;
  g_autoptr (GVariant) view = g_variant_ref_sink (zc_peer_to_variant (peer));

  if (agent->liveness != NULL && !zc_peer_is_self (peer))
    zc_liveness_probe_soon (agent->liveness);

  if (!zc_peer_is_self (peer))
    g_message ("peer “%s” (%s) appeared, trust %s%s", zc_peer_get_name (peer), zc_peer_get_user (peer),
               zc_peer_get_trust (peer), zc_peer_is_conflict (peer) ? ", claims another peer's identity" : "");
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

/* The key and the pins live beside the instance id.  Neither is ever
 * replaced behind the user's back: an unreadable key or pins file stops the
 * start with the file's name (a new key would make every colleague see an
 * impostor; lost pins would make every impostor "new"). */
static gboolean
load_trust (ZcAgent *agent, GError **error)
{
  g_autofree char *dir = g_build_filename (g_get_user_state_dir (), "zcall", NULL);
  GPtrArray *problems;

  agent->identity = zc_identity_load_or_create (dir, agent->config->user, error);
  if (agent->identity == NULL)
    return FALSE;
  if (zc_identity_is_new (agent->identity))
    g_message ("created the identity %s (fingerprint %s)", zc_identity_get_path (agent->identity),
               zc_identity_get_fingerprint_human (agent->identity));
  agent->known_peers = zc_known_peers_load (dir, error);
  if (agent->known_peers == NULL)
    return FALSE;
  problems = zc_known_peers_get_problems (agent->known_peers);
  for (guint i = 0; i < problems->len; i++)
    g_warning ("%s", (const char *) g_ptr_array_index (problems, i));
  return TRUE;
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
    .peer_trust = peer_trust_cb,
  };

  agent->config = config;
  agent->presence = g_strdup ("available");
  agent->state_dir = g_build_filename (g_get_user_state_dir (), "zcall", NULL);
  agent->note = zc_presence_load_note (agent->state_dir);
  {
    g_autofree char *path = g_build_filename (agent->state_dir, ZC_HISTORY_FILE, NULL);

    agent->history = zc_history_load (path, ZC_HISTORY_MAX_ENTRIES);
  }
  agent->instance_id = zc_instance_id_load_or_create (&id_error);
  if (agent->instance_id == NULL) {
    agent->instance_id = g_uuid_string_random ();
    g_warning ("cannot keep the instance identity (%s); using %s for this run only", id_error->message,
               agent->instance_id);
  }
  if (!load_trust (agent, error))
    return NULL;
  agent->service_name = make_service_name (config);
  agent->peers = zc_peer_table_new (agent->instance_id, &peer_events, agent);
  zc_peer_table_set_self_fingerprint (agent->peers, zc_identity_get_fingerprint_compact (agent->identity));
  agent->sip = zc_sip_transport_new (config->sip_port, error);
  if (agent->sip == NULL)
    return NULL;
  if (config->sip_tls_port != 0) {
    g_autoptr (GError) tls_error = NULL;
    ZcSipTls *tls = zc_sip_tls_new (config->sip_tls_port, zc_identity_get_certificate (agent->identity),
                                    zc_identity_get_private_key (agent->identity), &tls_error);

    /* The agent still works without it: calls go over UDP. */
    if (tls == NULL)
      g_warning ("SIP over TLS is off: %s", tls_error->message);
    else
      zc_sip_transport_set_tls (agent->sip, tls);
  }
  {
    static const ZcCallsCallbacks calls_observer = { .call_changed = call_changed_cb };
    ZcSipIdentity identity = { .user = config->user, .display_name = config->display_name };

    /* The call core installs its session handlers (zc_calls_new). */
    agent->ua = zc_sip_ua_new (agent->sip, &identity, NULL, NULL);
    zc_sip_ua_set_rate_limit (agent->ua, config->rate_limit);
    agent->calls = zc_calls_new (agent->ua, agent->sip, config, agent->peers, &calls_observer, agent);
    zc_calls_set_identity (agent->calls, agent->identity);
  }
  restore_line (agent);
  return g_steal_pointer (&agent);
}

static void
rendezvous_changed_cb (ZcRendezvous *rdv G_GNUC_UNUSED, gpointer user_data)
{
  notify_status (user_data);
}

static void
start_discovery (ZcAgent *agent)
{
  static const ZcDiscoveryCallbacks discovery_events = {
    .state_changed = discovery_state_cb,
    .name_changed = discovery_name_cb,
    .service_resolved = service_resolved_cb,
    .service_removed = service_removed_cb,
  };
  ZcAdvert advert;

  /* The state as of now: DND taken over from the last run included. */
  update_advertised_state (agent);
  advert = (ZcAdvert){
    .service_name = agent->service_name,
    .port = zc_sip_transport_get_port (agent->sip),
    .user = agent->config->user,
    .display_name = agent->config->display_name,
    .instance_id = agent->instance_id,
    .state = agent->advertised_state,
    .note = agent->note,
    .fingerprint = (char *) zc_identity_get_fingerprint_compact (agent->identity),
    .tls_port = zc_sip_transport_get_tls_port (agent->sip),
    .forwarding = zc_calls_is_forwarding (agent->calls),
  };

  agent->discovery = zc_discovery_new (&advert, &discovery_events, agent);
}

void
zc_agent_start (ZcAgent *agent)
{
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
  start_discovery (agent);
  agent->liveness = zc_liveness_new (agent->ua, agent->peers, &times);
}

/* A new display name is a new DNS-SD instance name: the old advert says
 * goodbye and the new one is announced, as a restart would, but the
 * calls, the SIP socket and the registration stay.  The peer table starts
 * over too: nothing would ever remove our own entry under the old name,
 * and the new browser reports every peer again at once. */
static void
readvertise (ZcAgent *agent)
{
  g_free (agent->service_name);
  agent->service_name = make_service_name (agent->config);
  if (agent->discovery == NULL)
    return;
  g_clear_pointer (&agent->discovery, zc_discovery_free);
  zc_peer_table_clear (agent->peers);
  start_discovery (agent);
}

void
zc_agent_reload (ZcAgent *agent, ZcConfig *fresh)
{
  g_autoptr (ZcConfig) owned = fresh;
  g_autoptr (GPtrArray) restart = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *old_name = g_strdup (agent->config->display_name);
  gboolean changed = zc_config_apply_live (agent->config, fresh, restart);

  g_message ("reloaded the configuration from %s: %s", fresh->path ? fresh->path : "built-in defaults",
             changed ? "changes taken over" : "nothing to take over");
  for (guint i = 0; i < restart->len; i++)
    g_warning ("reload: %s changed; it takes effect when zcalld restarts",
               (const char *) g_ptr_array_index (restart, i));
  g_ptr_array_add (restart, NULL);
  g_strfreev (agent->restart_needed);
  agent->restart_needed = (char **) g_ptr_array_free (g_steal_pointer (&restart), FALSE);
  zc_sip_ua_set_rate_limit (agent->ua, agent->config->rate_limit);
  if (g_strcmp0 (old_name, agent->config->display_name) != 0) {
    zc_sip_ua_set_display_name (agent->ua, agent->config->display_name);
    readvertise (agent);
  }
  /* Keep the advertised state in step with what was taken over. */
  update_advertised_state (agent);
  notify_status (agent);
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
  /* The calls let go of the sound devices; close them now rather than a
   * linger later, which would come after the main loop.  Without a call
   * the media module was never opened, and there is nothing to close. */
  if (zc_media_loader_peek () != NULL)
    zc_media_loader_peek ()->close_audio ();
  g_clear_pointer (&agent->ua, zc_sip_ua_free);
  g_clear_pointer (&agent->peers, zc_peer_table_free);
  g_clear_pointer (&agent->sip, zc_sip_transport_free);
  g_clear_pointer (&agent->known_peers, zc_known_peers_free);
  g_clear_pointer (&agent->identity, zc_identity_free);
  zc_config_free (agent->config);
  g_free (agent->instance_id);
  g_free (agent->service_name);
  g_free (agent->presence);
  g_free (agent->advertised_state);
  g_free (agent->note);
  g_free (agent->state_dir);
  g_clear_pointer (&agent->history, zc_history_free);
  g_strfreev (agent->restart_needed);
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
  g_variant_builder_add (&b, "{sv}", "fingerprint",
                         g_variant_new_string (zc_identity_get_fingerprint_human (agent->identity)));
  g_variant_builder_add (&b, "{sv}", "service_name", g_variant_new_string (service_name ? service_name : ""));
  g_variant_builder_add (&b, "{sv}", "host", g_variant_new_string (mdns_host ? mdns_host : ""));
  g_variant_builder_add (&b, "{sv}", "uri", g_variant_new_string (uri));
  g_variant_builder_add (&b, "{sv}", "sip_port", g_variant_new_uint32 (port));
  g_variant_builder_add (&b, "{sv}", "sip_tls_port", g_variant_new_uint32 (zc_sip_transport_get_tls_port (agent->sip)));
  g_variant_builder_add (&b, "{sv}", "discovery", g_variant_new_string (zc_discovery_state_to_string (state)));
  g_variant_builder_add (&b, "{sv}", "discovery_detail", g_variant_new_string (detail));
  g_variant_builder_add (&b, "{sv}", "presence", g_variant_new_string (agent->presence));
  g_variant_builder_add (&b, "{sv}", "state",
                         g_variant_new_string (agent->advertised_state ? agent->advertised_state : "available"));
  g_variant_builder_add (&b, "{sv}", "note", g_variant_new_string (agent->note));
  g_variant_builder_add (&b, "{sv}", "missed_calls", g_variant_new_uint32 (zc_history_count_unseen (agent->history)));
  g_variant_builder_add (&b, "{sv}", "forward", zc_calls_describe_forward (agent->calls));
  g_variant_builder_add (&b, "{sv}", "calls", g_variant_new_uint32 (zc_calls_count_live (agent->calls)));
  g_variant_builder_add (&b, "{sv}", "peers", g_variant_new_uint32 (zc_peer_table_count (agent->peers, FALSE)));
  if (agent->rendezvous != NULL)
    g_variant_builder_add (&b, "{sv}", "rendezvous", zc_rendezvous_describe (agent->rendezvous));
  g_variant_builder_add (&b, "{sv}", "restart_needed",
                         g_variant_new_strv ((const char *const *) agent->restart_needed,
                                             agent->restart_needed ? -1 : 0));
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
  g_autoptr (GError) save_error = NULL;

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
  /* Set all the same: DND must not fail for a full disk. */
  if (!save_line (agent, &save_error))
    g_warning ("presence: cannot keep DND and forwarding for the next start: %s", save_error->message);
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

gboolean
zc_agent_set_note (ZcAgent *agent, const char *note, GError **error)
{
  g_autofree char *clean = zc_presence_clean_note (note);
  g_autoptr (GError) save_error = NULL;

  if (g_str_equal (clean, agent->note))
    return TRUE;
  if (!zc_presence_save_note (agent->state_dir, clean, &save_error)) {
    g_set_error (error, ZC_AGENT_ERROR, ZC_AGENT_ERROR_FAILED, _("cannot keep the note: %s"), save_error->message);
    return FALSE;
  }
  g_free (agent->note);
  agent->note = g_steal_pointer (&clean);
  g_message ("presence note is now “%s”", agent->note);
  if (agent->discovery != NULL)
    zc_discovery_set_note (agent->discovery, agent->note);
  notify_status (agent);
  return TRUE;
}

gboolean
zc_agent_set_forward (ZcAgent *agent, const char *mode, const char *target, guint no_answer_s, GError **error)
{
  g_autoptr (GError) save_error = NULL;

  if (!zc_calls_set_forward (agent->calls, mode, target, no_answer_s, error))
    return FALSE;
  if (!save_line (agent, &save_error))
    g_warning ("presence: cannot keep DND and forwarding for the next start: %s", save_error->message);
  if (agent->discovery != NULL)
    zc_discovery_set_forwarding (agent->discovery, zc_calls_is_forwarding (agent->calls));
  notify_status (agent);
  return TRUE;
}

GVariant *
zc_agent_list_history (ZcAgent *agent, gboolean missed_only)
{
  return zc_history_list (agent->history, missed_only);
}

gboolean
zc_agent_mark_history_seen (ZcAgent *agent, guint *count, GError **error)
{
  g_autoptr (GError) save_error = NULL;

  if (!zc_history_mark_seen (agent->history, count, &save_error)) {
    g_set_error (error, ZC_AGENT_ERROR, ZC_AGENT_ERROR_FAILED, _("cannot save the call history: %s"),
                 save_error->message);
    return FALSE;
  }
  if (count == NULL || *count > 0)
    notify_status (agent);
  return TRUE;
}

const ZcConfig *
zc_agent_get_config (ZcAgent *agent)
{
  return agent->config;
}

/* ---- trust ---------------------------------------------------------------- */

GVariant *
zc_agent_get_identity (ZcAgent *agent)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "fingerprint",
                         g_variant_new_string (zc_identity_get_fingerprint_human (agent->identity)));
  g_variant_builder_add (&b, "{sv}", "compact",
                         g_variant_new_string (zc_identity_get_fingerprint_compact (agent->identity)));
  g_variant_builder_add (&b, "{sv}", "sdp", g_variant_new_string (zc_identity_get_fingerprint (agent->identity)));
  g_variant_builder_add (&b, "{sv}", "common_name",
                         g_variant_new_string (zc_identity_get_common_name (agent->identity)));
  g_variant_builder_add (&b, "{sv}", "path", g_variant_new_string (zc_identity_get_path (agent->identity)));
  g_variant_builder_add (&b, "{sv}", "instance_id", g_variant_new_string (agent->instance_id));
  return g_variant_builder_end (&b);
}

static void
rejudge (ZcAgent *agent, const char *instance_id)
{
  g_autoptr (GPtrArray) all = zc_peer_table_list_all (agent->peers);

  for (guint i = 0; i < all->len; i++) {
    ZcPeer *peer = g_ptr_array_index (all, i);

    if (!zc_peer_is_self (peer) && g_strcmp0 (zc_peer_get_instance_id (peer), instance_id) == 0)
      zc_peer_table_set_trust (agent->peers, peer, peer_trust_cb (peer, agent));
  }
}

GVariant *
zc_agent_trust_peer (ZcAgent *agent, const char *target, gboolean replace, GError **error)
{
  ZcPeer *peer = zc_target_find_peer (agent->peers, target, ZC_TARGET_FOR_TRUST, error);
  const char *compact;
  ZcFingerprint fp;
  ZcTrustVerdict verdict;
  g_autoptr (GError) trust_error = NULL;

  if (peer == NULL)
    return NULL;
  compact = zc_peer_get_fingerprint (peer);
  if (compact == NULL || !zc_fingerprint_parse (compact, &fp, NULL)) {
    g_set_error (error, ZC_AGENT_ERROR, ZC_AGENT_ERROR_INVALID_ARGUMENT,
                 _("“%s” advertises no key (not a zcall agent, or an older one): there is nothing to trust"),
                 zc_peer_get_name (peer));
    return NULL;
  }
  if (!zc_known_peers_trust (agent->known_peers, zc_peer_get_instance_id (peer), &fp, replace, &verdict,
                             &trust_error)) {
    if (g_error_matches (trust_error, ZC_TRUST_ERROR, ZC_TRUST_ERROR_CHANGED))
      g_set_error (error, ZC_AGENT_ERROR, ZC_AGENT_ERROR_UNTRUSTED,
                   _("the key of “%s” changed since it was pinned: compare its fingerprint with its owner "
                     "(“zcall identity” on their side), then run “zcall trust %s --replace”"),
                   zc_peer_get_name (peer), target);
    else if (g_error_matches (trust_error, ZC_TRUST_ERROR, ZC_TRUST_ERROR_UNKNOWN_PEER))
      /* A peer whose key could not be pinned (the file full); pin it now. */
      g_set_error (error, ZC_AGENT_ERROR, ZC_AGENT_ERROR_FAILED, _("“%s” is not pinned: %s"),
                   zc_peer_get_name (peer), trust_error->message);
    else
      g_set_error (error, ZC_AGENT_ERROR, ZC_AGENT_ERROR_FAILED, "%s", trust_error->message);
    return NULL;
  }
  g_message ("peer “%s” (%s): key %s by the user", zc_peer_get_name (peer), zc_peer_get_user (peer),
             verdict == ZC_TRUST_VERIFIED ? "verified" : "accepted");
  /* Every entry of this instance_id is judged again: the one that was
   * genuine a moment ago may now be the copy. */
  rejudge (agent, zc_peer_get_instance_id (peer));
  return zc_peer_to_variant (peer);
}
