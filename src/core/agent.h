/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The agent's core: it owns the configuration, the identity, the peer
 * table and the presence, starts the modules and decides what their
 * events mean.  Front-ends (the D-Bus face) observe it; nothing below it
 * knows they exist. */
#pragma once

#include "core/conf.h"
#include "core/calls.h"

#include <gio/gio.h>

typedef struct _ZcAgent ZcAgent;

typedef struct {
  /* @peer is an a{sv} dictionary (see data/org.zcall.Agent1.xml). */
  void (*peer_added) (GVariant *peer, gpointer user_data);
  void (*peer_changed) (GVariant *peer, gpointer user_data);
  void (*peer_removed) (GVariant *peer, gpointer user_data);
  void (*status_changed) (gpointer user_data);
  /* @event: incoming, calling, ringing, answered, held, resumed, muted,
   * unmuted, ended. */
  void (*call_changed) (const char *event, GVariant *call, gpointer user_data);
} ZcAgentCallbacks;

/* Takes ownership of @config.  Binds the SIP port and loads the instance
 * identity; discovery starts with zc_agent_start(). */
ZcAgent *zc_agent_new (ZcConfig *config, GError **error);
void zc_agent_free (ZcAgent *agent);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcAgent, zc_agent_free)

void zc_agent_set_observer (ZcAgent *agent, const ZcAgentCallbacks *observer, gpointer user_data);
void zc_agent_start (ZcAgent *agent);
/* Withdraws the DNS-SD adverts now (before exit). */
void zc_agent_stop (ZcAgent *agent);
/* SIGHUP: takes over what @fresh (a configuration loaded and validated
 * completely; owned) changes and can change live (zc_config_apply_live),
 * re-advertises under a new display name, keeps the calls; the keys that
 * wait for a restart are logged and listed in the status
 * (restart_needed). */
void zc_agent_reload (ZcAgent *agent, ZcConfig *fresh);

GVariant *zc_agent_get_status (ZcAgent *agent);
GVariant *zc_agent_list_peers (ZcAgent *agent, gboolean include_self);

#define ZC_AGENT_ERROR (zc_agent_error_quark ())
GQuark zc_agent_error_quark (void);
typedef enum {
  ZC_AGENT_ERROR_INVALID_ARGUMENT,
  ZC_AGENT_ERROR_UNTRUSTED,     /* the peer's key changed: --replace needed */
  ZC_AGENT_ERROR_FAILED,
} ZcAgentError;

ZcCalls *zc_agent_get_calls (ZcAgent *agent);
/* `zcall forward` (zc_calls_set_forward), advertised as TXT fwd=1. */
gboolean zc_agent_set_forward (ZcAgent *agent, const char *mode, const char *target, guint no_answer_s,
                               GError **error);
/* The live configuration (a reload changes it in place). */
const ZcConfig *zc_agent_get_config (ZcAgent *agent);

/* "available" or "dnd". */
gboolean zc_agent_set_presence (ZcAgent *agent, const char *presence, GError **error);
/* The presence note (TXT note=), cleaned as core/presence.h says, kept in
 * the state directory; "" removes it. */
gboolean zc_agent_set_note (ZcAgent *agent, const char *note, GError **error);

/* The call history (core/history.h), newest first (floating aa{sv}). */
GVariant *zc_agent_list_history (ZcAgent *agent, gboolean missed_only);
/* The missed calls count as seen; *@count (may be NULL): how many were new. */
gboolean zc_agent_mark_history_seen (ZcAgent *agent, guint *count, GError **error);

/* This agent's key: fingerprint (human form), compact, sdp, common_name,
 * path, instance_id (floating a{sv}). */
GVariant *zc_agent_get_identity (ZcAgent *agent);

/* `zcall trust TARGET [--replace]`: marks the pin of the peer @target names
 * verified, or with @replace pins the key it shows now.  Returns the
 * peer's dictionary as it is afterwards (floating). */
GVariant *zc_agent_trust_peer (ZcAgent *agent, const char *target, gboolean replace, GError **error);
