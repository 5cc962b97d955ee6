/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The call list: the commands of zcall, and the user agent's events
 * routed to their call (call.c); new incoming calls are calls-incoming.c's. */
#define G_LOG_DOMAIN "calls"

#include "config.h"
#include "core/calls.h"

#include "common/i18n.h"
#include "core/call-private.h"
#include "core/forward.h"
#include "core/rendezvous.h"
#include "core/targets.h"
#include "sdp/sdp.h"

#include <string.h>

G_DEFINE_QUARK (zc-calls-error-quark, zc_calls_error)

/* Ended calls beyond the history go when a call is added or the list is
 * read, never while an event is being handled: a caller may still hold
 * the call that just ended, or be walking the array. */
void
zc_calls_trim_history (ZcCalls *calls)
{
  guint ended = 0;

  for (guint i = 0; i < calls->calls->len; i++)
    ended += ((ZcCall *) g_ptr_array_index (calls->calls, i))->state == ZC_CALL_ENDED;
  for (guint i = 0; i < calls->calls->len && ended > ZC_CALL_HISTORY_LENGTH;) {
    ZcCall *call = g_ptr_array_index (calls->calls, i);

    if (call->state == ZC_CALL_ENDED) {
      g_ptr_array_remove_index (calls->calls, i);
      zc_call_free (call);
      ended--;
    } else {
      i++;
    }
  }
}

ZcCall *
zc_calls_add (ZcCalls *calls, gboolean outgoing, ZcCallState state)
{
  zc_calls_trim_history (calls);
  return zc_call_new (calls, outgoing, state);
}

/* ---- finding calls ---------------------------------------------------------------- */

static ZcCall *
find_call (ZcCalls *calls, const char *id, gboolean (*fits) (ZcCall *), GError **error)
{
  ZcCall *found = NULL;
  guint matches = 0;

  for (guint i = 0; i < calls->calls->len; i++) {
    ZcCall *call = g_ptr_array_index (calls->calls, i);

    if (id != NULL && *id != '\0') {
      if (g_str_equal (call->id, id))
        return call;
      continue;
    }
    if (fits (call)) {
      if (found == NULL)
        found = call;
      matches++;
    }
  }
  if (id != NULL && *id != '\0') {
    g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_NOT_FOUND, _("no call %s"), id);
    return NULL;
  }
  if (matches == 0) {
    g_set_error_literal (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_NOT_FOUND, _("no call to act on"));
    return NULL;
  }
  if (matches > 1 && fits != NULL) {
    g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_AMBIGUOUS, _("%u calls fit; give a call id (zcall calls)"),
                 matches);
    return NULL;
  }
  return found;
}

static gboolean
fits_ringing_incoming (ZcCall *call)
{
  /* A replacement is the agent's to answer, not the user's. */
  return !call->outgoing && (call->state == ZC_CALL_RINGING || call->state == ZC_CALL_INCOMING) &&
         call->replaces_call == NULL;
}

static gboolean
fits_live (ZcCall *call)
{
  return call->state != ZC_CALL_ENDED;
}

static gboolean
is_established (ZcCall *call)
{
  return call->state == ZC_CALL_ACTIVE || call->state == ZC_CALL_HELD;
}

/* ---- UA events ------------------------------------------------------------------ */

static void
ua_progress_cb (ZcSipSession *session, int status G_GNUC_UNUSED, gpointer user_data G_GNUC_UNUSED)
{
  ZcCall *call = zc_sip_session_get_user_data (session);

  if (call != NULL)
    zc_call_fire (call, ZC_CALL_EV_PROGRESS);
}

static gboolean
is_holding (ZcMediaDirection direction)
{
  return direction == ZC_MEDIA_DIRECTION_SENDONLY || direction == ZC_MEDIA_DIRECTION_INACTIVE;
}

static void
hold_state_changed (ZcCall *call)
{
  zc_call_apply_hold (call);
  zc_call_fire (call, call->local_hold || call->remote_hold ? ZC_CALL_EV_HOLD : ZC_CALL_EV_UNHOLD);
}

static void
ua_established_cb (ZcSipSession *session, const char *sdp, gpointer user_data G_GNUC_UNUSED)
{
  ZcCall *call = zc_sip_session_get_user_data (session);
  g_autoptr (GError) error = NULL;
  g_autoptr (ZcCodec) chosen = NULL;
  g_autoptr (ZcSdpSession) answer = NULL;

  if (call == NULL)
    return;
  if (call->outgoing || call->late_offer) {
    const ZcCodec *te;

    if (sdp == NULL || call->our_offer == NULL ||
        (answer = zc_sdp_apply_answer (call->our_offer, sdp, &chosen, &error)) == NULL) {
      g_message ("call %s: unusable answer (%s), hanging up", call->id, error ? error->message : "no SDP");
      zc_call_set_reason (call, "incompatible media", 488);
      zc_sip_session_hangup (session);
      zc_call_end (call);
      return;
    }
    zc_call_codec_describe (call, chosen);
    te = zc_sdp_session_find_telephone_event (answer, chosen->clock_rate);
    zc_call_stream_start (call, answer, chosen, te != NULL ? te->pt : -1, zc_sdp_session_get_crypto (answer));
  }
  if (call->outgoing) {
    zc_call_fire (call, ZC_CALL_EV_ACCEPTED);
    zc_call_ice_backstop_arm (call);
    /* Answered on hold (sendonly or inactive): the target of an attended
     * transfer answers so in place of a call it held.  Held from the
     * start, as a re-offer would make it. */
    if (answer != NULL && call->state == ZC_CALL_ACTIVE && is_holding (zc_sdp_session_get_direction (answer))) {
      g_message ("call %s: answered on hold by the peer", call->id);
      call->remote_hold = TRUE;
      hold_state_changed (call);
    }
  }
}

static char *
ua_reoffer_cb (ZcSipSession *session, const char *sdp, int *status, gpointer user_data G_GNUC_UNUSED)
{
  ZcCall *call = zc_sip_session_get_user_data (session);
  g_autoptr (GError) error = NULL;
  g_autoptr (ZcSdpSession) offer = NULL;
  g_autoptr (ZcCodec) chosen = NULL;
  char *answer = NULL;
  ZcSdpLocal local;

  *status = 488;
  if (call == NULL || (offer = zc_sdp_parse (sdp, &error)) == NULL)
    return NULL;
  call->sdp_version++;
  if (!zc_call_ice_restart_by_peer (call, offer, &error))
    return NULL;
  local = zc_call_local_sdp (call, zc_call_our_direction (call->local_hold));
  if (!zc_sdp_negotiate_answer (offer, &local, NULL, &answer, &chosen, &error)) {
    g_message ("call %s: cannot accept the new offer: %s", call->id, error->message);
    return NULL;
  }
  zc_call_codec_describe (call, chosen);
  call->remote_hold = is_holding (zc_sdp_session_get_direction (offer));
  hold_state_changed (call);
  *status = 200;
  return answer;
}

static void
ice_restart_done (ZcCall *call, int status, const char *sdp)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ZcSdpSession) answer = NULL;
  g_autoptr (ZcCodec) chosen = NULL;

  call->ice_restart_pending = FALSE;
  if (status >= 200 && status < 300 && sdp != NULL && call->our_offer != NULL
      && (answer = zc_sdp_apply_answer (call->our_offer, sdp, &chosen, &error)) != NULL
      && zc_call_ice_restart_answered (call, answer, chosen, &error))
    return;
  g_message ("call %s: the ICE restart failed (%d%s%s)", call->id, status, error ? ": " : "",
             error ? error->message : "");
  zc_call_end_for_media (call, "no media path");
}

static void
ua_reinvite_done_cb (ZcSipSession *session, int status, const char *sdp, gpointer user_data G_GNUC_UNUSED)
{
  ZcCall *call = zc_sip_session_get_user_data (session);
  int wanted;

  if (call == NULL)
    return;
  if (call->ice_restart_pending) {
    ice_restart_done (call, status, sdp);
    return;
  }
  wanted = call->hold_pending;
  call->hold_pending = -1;
  zc_call_apply_hold (call);
  if (status < 200 || status >= 300 || wanted < 0) {
    g_message ("call %s: the peer refused the %s (%d)", call->id, wanted == 1 ? "hold" : "resume", status);
    return;
  }
  if (sdp != NULL && call->our_offer != NULL) {
    g_autoptr (ZcSdpSession) answer = zc_sdp_apply_answer (call->our_offer, sdp, NULL, NULL);
    /* Their answer to our resume may still say they hold us. */
    if (answer != NULL && !wanted)
      call->remote_hold = is_holding (zc_sdp_session_get_direction (answer));
  }
  call->local_hold = wanted == 1;
  hold_state_changed (call);
}

static const char *
reason_for_status (int status, const char *phrase)
{
  switch (status) {
  case 486:
  case 600:
    return "busy";
  case 603:
    return "declined";
  case 480:
    return phrase && g_strrstr (phrase, "Disturb") ? "do not disturb" : "unavailable";
  case 404:
  case 604:
    return "not found";
  case 408:
    return "no answer";
  case 403:
    /* The callee does not take our key (zcall's refusal of a changed or
     * copied identity). */
    if (phrase != NULL && g_str_has_prefix (phrase, "Identity Changed"))
      return "identity changed";
    if (phrase != NULL && g_str_has_prefix (phrase, "Identity Conflict"))
      return "identity conflict";
    return "rejected";
  case 487:
    return "cancelled";
  case 488:
  case 606:
    return "incompatible media";
  default:
    return "failed";
  }
}

static void
ua_ended_cb (ZcSipSession *session, ZcSipEndCause cause, int status, const char *reason, gpointer user_data G_GNUC_UNUSED)
{
  ZcCall *call = zc_sip_session_get_user_data (session);

  if (call == NULL)
    return;
  if (cause == ZC_SIP_END_REJECTED && zc_call_retry_secure (call, status))
    return;
  if (zc_call_follow_redirect (call, session, cause, status))
    return;
  switch (cause) {
  case ZC_SIP_END_LOCAL_HANGUP:
    zc_call_set_reason (call, status >= 300 ? reason_for_status (status, reason) : reason, (guint) status);
    break;
  case ZC_SIP_END_REMOTE_HANGUP:
    zc_call_set_reason (call, "remote hangup", 0);
    break;
  case ZC_SIP_END_CANCELLED:
    zc_call_set_reason (call, "cancelled", 487);
    break;
  case ZC_SIP_END_REJECTED:
    zc_call_set_reason (call, reason_for_status (status, reason), (guint) status);
    break;
  case ZC_SIP_END_TIMEOUT:
    zc_call_set_reason (call, status == 408 ? "no answer" : reason, (guint) status);
    break;
  case ZC_SIP_END_TRANSPORT:
  default:
    /* "identity mismatch" or "TLS: ..." when a TLS connection failed. */
    zc_call_set_reason (call, reason != NULL ? reason : "unreachable", (guint) status);
    break;
  }
  zc_call_end (call);
}

/* ---- commands ------------------------------------------------------------------- */

char *
zc_calls_dial (ZcCalls *calls, const char *target, GError **error)
{
  g_autofree char *uri = NULL;
  ZcSipFlow flow;
  ZcCall *call;
  g_autoptr (GVariant) peer = NULL;
  gboolean via_rendezvous = FALSE;

  /* user@domain or a sip: URI with a domain goes through the rendezvous
   * proxy when we are registered; everything else is a LAN target. */
  if (strchr (target, '@') != NULL) {
    g_autofree char *as_uri = g_str_has_prefix (target, "sip:") ? g_strdup (target) : g_strconcat ("sip:", target, NULL);

    if (zc_rendezvous_route (calls->rendezvous, as_uri, &flow)) {
      uri = g_steal_pointer (&as_uri);
      via_rendezvous = TRUE;
    }
  }
  if (uri == NULL) {
    uri = zc_target_route (calls->peers, target, &flow, error);
    if (uri == NULL)
      return NULL;
  }
  /* A URI or address typed by hand that only a refused entry advertises
   * gets the refusal its name would (a name was checked when resolved). */
  peer = zc_target_peer_by_address (calls->peers, flow.address);
  {
    const char *reason;

    /* Through the rendezvous proxy the address is the proxy's, no peer's. */
    if (peer != NULL && !via_rendezvous && zc_target_peer_is_refused (peer, &reason)) {
      const char *name = NULL;

      g_variant_lookup (peer, "name", "&s", &name);
      if (g_str_equal (reason, "identity changed"))
        g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_UNTRUSTED,
                     _("the key of “%s” changed since it was first seen: this may be an impostor.  Compare the "
                       "fingerprint in “zcall list” with the one “zcall identity” shows on their side, then "
                       "accept it with “zcall trust %s --replace”"),
                     name, name);
      else
        g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_UNTRUSTED,
                     _("%s is “%s”, an entry that copies another peer’s identity without its key: refusing to call it"),
                     flow.address, name);
      return NULL;
    }
  }
  if (!via_rendezvous && !zc_target_choose_transport (peer, &uri, &flow, calls->tls_on, error))
    return NULL;
  call = zc_calls_add (calls, TRUE, ZC_CALL_CALLING);
  call->peer_uri = g_strdup (uri);
  call->flow = flow;
  call->via_rendezvous = via_rendezvous;
  if (peer != NULL) {
    const char *pinned = NULL;

    g_variant_lookup (peer, "name", "s", &call->peer_name);
    if (g_variant_lookup (peer, "fingerprint", "&s", &pinned) && *pinned != '\0')
      call->claimed_fingerprint = g_strdup (pinned);
  }
  call->local_address = calls->local_address_for (flow.address, calls->local_address_data);
  if (call->local_address == NULL) {
    g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_FAILED, _("no route to %s"), flow.address);
    goto fail;
  }
  /* The INVITE goes out once the candidates are known (media ready). */
  if (!zc_call_stream_new (call, TRUE, FALSE, error))
    goto fail;
  zc_call_arm_ring_timeout (call, calls->timers.ring_timeout_ms);
  zc_calls_hold_others (calls, call);
  g_message ("calling %s (call %s)", uri, call->id);
  zc_call_emit (call, "calling");
  return g_strdup (call->id);

fail:
  g_ptr_array_remove (calls->calls, call);
  zc_call_free (call);
  return NULL;
}

gboolean
zc_calls_answer (ZcCalls *calls, const char *id, GError **error)
{
  ZcCall *call = find_call (calls, id, fits_ringing_incoming, error);
  return call != NULL && zc_call_answer (call, error);
}

gboolean
zc_calls_decline (ZcCalls *calls, const char *id, GError **error)
{
  ZcCall *call = find_call (calls, id, fits_ringing_incoming, error);

  if (call == NULL)
    return FALSE;
  /* Unlike an answer, a refusal needs no media: it may come while the
   * call still gathers. */
  if (!fits_ringing_incoming (call) || call->session == NULL) {
    g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_STATE, _("call %s is not ringing here"), call->id);
    return FALSE;
  }
  zc_call_refuse (call, "declined", 603, "Decline");
  return TRUE;
}

static gboolean
hangup_call (ZcCall *call, GError **error)
{
  if (!zc_call_can (call, ZC_CALL_EV_END)) {
    g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_STATE, _("call %s has already ended"), call->id);
    return FALSE;
  }
  if (!call->outgoing && (call->state == ZC_CALL_RINGING || call->state == ZC_CALL_INCOMING))
    zc_call_set_reason (call, "declined", 603);
  else
    zc_call_set_reason (call, call->state == ZC_CALL_CALLING || call->state == ZC_CALL_RINGING ? "cancelled" : "hangup",
                        0);
  if (call->session != NULL)
    zc_sip_session_hangup (call->session);
  zc_call_end (call);
  return TRUE;
}

gboolean
zc_calls_hangup (ZcCalls *calls, const char *id, GError **error)
{
  ZcCall *call = find_call (calls, id, fits_live, error);

  return call != NULL && hangup_call (call, error);
}

guint
zc_calls_hangup_all (ZcCalls *calls)
{
  g_autoptr (GPtrArray) live = g_ptr_array_new ();
  guint n = 0;

  /* Hanging up changes the list (an observer may dial or trim it): walk
   * a copy of the calls to end, not the array itself. */
  for (guint i = 0; i < calls->calls->len; i++) {
    ZcCall *call = g_ptr_array_index (calls->calls, i);

    if (call->state != ZC_CALL_ENDED)
      g_ptr_array_add (live, g_strdup (call->id));
  }
  g_ptr_array_set_free_func (live, g_free);
  for (guint i = 0; i < live->len; i++)
    if (zc_calls_hangup (calls, g_ptr_array_index (live, i), NULL))
      n++;
  return n;
}

gboolean
zc_calls_hold (ZcCalls *calls, const char *id, gboolean hold, GError **error)
{
  ZcCall *call = find_call (calls, id, is_established, error);
  g_autofree char *offer = NULL;
  ZcSdpLocal local;

  if (call == NULL)
    return FALSE;
  if (!is_established (call) || call->session == NULL) {
    g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_STATE, _("call %s is not established"), call->id);
    return FALSE;
  }
  if (call->local_hold == hold)
    return TRUE;
  if (!hold)
    zc_calls_hold_others (calls, call); /* a swap: one call is talked on */
  call->sdp_version++;
  local = zc_call_local_sdp (call, zc_call_our_direction (hold));
  offer = zc_sdp_build_offer (&local);
  if (!zc_sip_session_reinvite (call->session, offer)) {
    g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_STATE, _("call %s is busy with another change; try again"),
                 call->id);
    return FALSE;
  }
  g_clear_pointer (&call->our_offer, zc_sdp_session_free);
  call->our_offer = zc_sdp_parse (offer, NULL);
  call->hold_pending = hold ? 1 : 0;
  zc_call_apply_hold (call);
  return TRUE;
}

gboolean
zc_calls_send_dtmf (ZcCalls *calls, const char *id, const char *digits, GError **error)
{
  ZcCall *call = find_call (calls, id, is_established, error);
  gsize n = strlen (digits);

  if (call == NULL)
    return FALSE;
  if (!is_established (call) || call->session == NULL) {
    g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_STATE, _("call %s is not established"), call->id);
    return FALSE;
  }
  /* The 16 events of RFC 4733 3.2; lower-case a-d are taken as A-D. */
  if (n == 0 || n > ZC_CALLS_DTMF_MAX_DIGITS || strspn (digits, "0123456789*#ABCDabcd") != n) {
    g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_INVALID,
                 _("DTMF digits must be 1 to %d of 0-9, *, #, A-D"), ZC_CALLS_DTMF_MAX_DIGITS);
    return FALSE;
  }
  if (!zc_call_stream_is_started (call)) {
    g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_STATE, _("call %s has no media stream yet"), call->id);
    return FALSE;
  }
  g_autofree char *upper = g_ascii_strup (digits, -1);
  return calls->media_ops->send_dtmf (call->media, upper, error);
}

GVariant *
zc_calls_list (ZcCalls *calls)
{
  GVariantBuilder b;

  zc_calls_trim_history (calls);
  g_variant_builder_init (&b, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < calls->calls->len; i++)
    g_variant_builder_add_value (&b, zc_call_to_variant (g_ptr_array_index (calls->calls, i)));
  return g_variant_builder_end (&b);
}

guint
zc_calls_count_live (ZcCalls *calls)
{
  guint n = 0;

  for (guint i = 0; i < calls->calls->len; i++)
    n += ((ZcCall *) g_ptr_array_index (calls->calls, i))->state != ZC_CALL_ENDED;
  return n;
}

void
zc_calls_set_dnd (ZcCalls *calls, gboolean dnd)
{
  calls->dnd = dnd;
}

void
zc_calls_set_identity (ZcCalls *calls, ZcIdentity *identity)
{
  calls->identity = identity;
}

void
zc_calls_set_rendezvous (ZcCalls *calls, ZcRendezvous *rendezvous)
{
  calls->rendezvous = rendezvous;
}

/* ---- life cycle ----------------------------------------------------------------- */

static char *
transport_local_address_for (const char *remote, gpointer data)
{
  return zc_sip_transport_local_address_for (data, remote);
}

ZcCalls *
zc_calls_new (ZcSipUa *ua, ZcSipTransport *transport, const ZcConfig *config, ZcPeerTable *peers,
              const ZcCallsCallbacks *observer, gpointer user_data)
{
  static const ZcSipUaCallbacks ua_events = {
    .incoming = zc_calls_ua_incoming_cb,
    .progress = ua_progress_cb,
    .established = ua_established_cb,
    .reoffer = ua_reoffer_cb,
    .reinvite_done = ua_reinvite_done_cb,
    .refer = zc_transfer_refer_cb,
    .refer_progress = zc_transfer_progress_cb,
    .ended = ua_ended_cb,
  };
  ZcCalls *calls = g_new0 (ZcCalls, 1);

  calls->config = config;
  calls->ua = ua;
  calls->tls_on = transport != NULL && zc_sip_transport_get_tls_port (transport) != 0;
  calls->local_address_for = transport_local_address_for;
  calls->local_address_data = transport;
  calls->peers = peers;
  calls->observer = *observer;
  calls->observer_data = user_data;
  calls->media_ops = &zc_call_stream_default_ops;
  calls->timers = (ZcCallTimers){
    .ring_timeout_ms = ZC_CALL_RING_TIMEOUT_MS,
    .alert_ms = ZC_CALL_ALERT_MS,
    .ice_backstop_ms = ZC_CALL_ICE_BACKSTOP_MS,
    .ice_backstop_grace_ms = ZC_CALL_ICE_BACKSTOP_GRACE_MS,
  };
  calls->calls = g_ptr_array_new ();
  zc_sip_ua_set_callbacks (ua, &ua_events, calls);
  return calls;
}

void
zc_calls_free (ZcCalls *calls)
{
  if (calls == NULL)
    return;
  calls->observer = (ZcCallsCallbacks){ 0 };
  zc_calls_hangup_all (calls);
  zc_sip_ua_set_callbacks (calls->ua, NULL, NULL);
  zc_calls_set_forward (calls, "off", NULL, 0, NULL);
  g_ptr_array_foreach (calls->calls, (GFunc) (void (*) (void)) zc_call_free, NULL);
  g_ptr_array_unref (calls->calls);
  g_free (calls);
}

void
zc_calls_set_media_ops (ZcCalls *calls, const ZcCallStreamOps *ops)
{
  calls->media_ops = ops;
}

void
zc_calls_set_ice_servers (ZcCalls *calls, const ZcIceServers *servers)
{
  calls->test_ice_servers = servers;
}

void
zc_calls_set_timers (ZcCalls *calls, const ZcCallTimers *timers)
{
  calls->timers = *timers;
}

void
zc_calls_set_local_address_func (ZcCalls *calls, ZcCallsLocalAddressFunc func, gpointer data)
{
  calls->local_address_for = func;
  calls->local_address_data = data;
}
