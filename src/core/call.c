/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One call: its life from creation to the history, its state machine as a
 * table, its media (through ZcCallStreamOps) and the ICE restart backstop. */
#define G_LOG_DOMAIN "calls"

#include "config.h"
#include "core/call-private.h"
#include "core/forward.h"

#include "common/i18n.h"
#include "common/sanitize.h"

#include <string.h>

/* ---- names ------------------------------------------------------------------------ */

const char *
zc_call_state_to_string (ZcCallState state)
{
  /* INCOMING is internal: outside the call rings already. */
  static const char *const names[] = { "calling", "ringing", "ringing", "active", "held", "ended" };

  return state < G_N_ELEMENTS (names) ? names[state] : "?";
}

static const char *
state_debug_name (ZcCallState state)
{
  return state == ZC_CALL_INCOMING ? "incoming" : zc_call_state_to_string (state);
}

const char *
zc_call_event_to_string (ZcCallEvent event)
{
  static const char *const names[] = {
    "media-ready", "offered", "progress", "answer", "accepted", "hold", "unhold", "end", "replacing",
  };

  return event < G_N_ELEMENTS (names) ? names[event] : "?";
}

/* ---- tones ------------------------------------------------------------------------ */

/* The media plays them on its devices: the core never opens a sound card. */
static void
call_play_tone (ZcCall *call, ZcMediaTone tone)
{
  if (call->media != NULL)
    call->calls->media_ops->play_tone (call->media, tone);
}

void
zc_call_stop_tone (ZcCall *call)
{
  if (call->media != NULL)
    call->calls->media_ops->stop_tone (call->media);
}

/* ---- life cycle ------------------------------------------------------------------- */

static void
call_offer_clear (ZcCallOffer *offer)
{
  g_clear_pointer (&offer->remote, zc_sdp_session_free);
  g_clear_pointer (&offer->agreement, zc_sdp_agreement_free);
  g_clear_pointer (&offer->answer, g_free);
}

static void
call_media_free (ZcCall *call)
{
  if (call->media != NULL)
    call->calls->media_ops->free (g_steal_pointer (&call->media));
}

ZcCall *
zc_call_new (ZcCalls *calls, gboolean outgoing, ZcCallState state)
{
  ZcCall *call = g_new0 (ZcCall, 1);

  call->calls = calls;
  call->id = g_strdup_printf ("%u", ++calls->next_id);
  call->outgoing = outgoing;
  call->state = state;
  call->started_at = g_date_time_new_now_local ();
  call->hold_pending = -1;
  call->sdp_session_id = g_random_int ();
  call->sdp_version = 1;
  g_ptr_array_add (calls->calls, call);
  return call;
}

void
zc_call_free (ZcCall *call)
{
  g_clear_handle_id (&call->auto_answer_id, g_source_remove);
  g_free (call->transfer_with);
  g_free (call->replaces);
  g_free (call->referred_by);
  g_free (call->replaces_call);
  g_clear_handle_id (&call->ring_timeout_id, g_source_remove);
  g_clear_handle_id (&call->ice_backstop_id, g_source_remove);
  g_clear_handle_id (&call->security_end_id, g_source_remove);
  g_clear_handle_id (&call->forward_timer_id, g_source_remove);
  g_clear_pointer (&call->redirect, zc_call_redirect_free);
  if (call->session != NULL)
    zc_sip_session_set_user_data (call->session, NULL);
  g_free (call->id);
  g_free (call->peer_uri);
  g_free (call->transfer);
  g_free (call->referred_by_call);
  g_clear_handle_id (&call->transfer_notify_id, g_source_remove);
  g_clear_handle_id (&call->transfer_expire_id, g_source_remove);
  zc_transfer_ask_clear (call);
  g_free (call->peer_name);
  g_free (call->asserted_name);
  g_free (call->claimed_fingerprint);
  g_free (call->peer_trust);
  g_free (call->sip_call_id);
  g_clear_pointer (&call->started_at, g_date_time_unref);
  g_clear_pointer (&call->answered_at, g_date_time_unref);
  g_clear_pointer (&call->ended_at, g_date_time_unref);
  g_free (call->end_reason);
  g_free (call->codec);
  g_free (call->security);
  g_free (call->srtp_suite);
  g_free (call->sdes_key);
  g_free (call->peer_fingerprint);
  zc_call_stop_tone (call);
  call_media_free (call);
  call_offer_clear (&call->offer);
  g_free (call->local_address);
  g_clear_pointer (&call->our_offer, zc_sdp_session_free);
  g_free (call->media_proto);
  g_free (call);
}

char *
zc_call_peer_display (ZcCall *call)
{
  const char *uri = call->peer_uri ? call->peer_uri : "";

  if (call->peer_verified || (call->outgoing && call->peer_name != NULL && *call->peer_name != '\0'))
    return g_strdup (call->peer_name);
  if (call->outgoing)
    return g_strdup (uri);
  /* Whatever an incoming call says of itself, the network asserts it. */
  if (call->asserted_name != NULL && *call->asserted_name != '\0')
    return g_strdup_printf ("\"%s\" <%s> (unverified)", call->asserted_name, uri);
  return g_strdup_printf ("<%s> (unverified)", uri);
}

static char *
iso_time (GDateTime *time)
{
  return time ? g_date_time_format_iso8601 (time) : g_strdup ("");
}

GVariant *
zc_call_to_variant (ZcCall *call)
{
  GVariantBuilder b;
  g_autofree char *started = iso_time (call->started_at);
  g_autofree char *answered = iso_time (call->answered_at);
  g_autofree char *ended = iso_time (call->ended_at);
  double duration = 0;
  GVariant *media = NULL;
  g_autofree char *audio_error = NULL;

  if (call->answered_us != 0)
    duration = (double) ((call->ended_us ? call->ended_us : g_get_monotonic_time ()) - call->answered_us) /
               G_USEC_PER_SEC;
  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "id", g_variant_new_string (call->id));
  g_variant_builder_add (&b, "{sv}", "direction", g_variant_new_string (call->outgoing ? "outgoing" : "incoming"));
  g_variant_builder_add (&b, "{sv}", "peer_uri", g_variant_new_string (call->peer_uri ? call->peer_uri : ""));
  g_variant_builder_add (&b, "{sv}", "peer_name", g_variant_new_string (call->peer_name ? call->peer_name : ""));
  g_variant_builder_add (&b, "{sv}", "peer_display", g_variant_new_take_string (zc_call_peer_display (call)));
  g_variant_builder_add (&b, "{sv}", "peer_verified", g_variant_new_boolean (call->peer_verified));
  g_variant_builder_add (&b, "{sv}", "peer_trust", g_variant_new_string (call->peer_trust ? call->peer_trust : ""));
  g_variant_builder_add (&b, "{sv}", "state", g_variant_new_string (zc_call_state_to_string (call->state)));
  g_variant_builder_add (&b, "{sv}", "transport", g_variant_new_string (zc_sip_proto_to_string (call->flow.proto)));
  g_variant_builder_add (&b, "{sv}", "sip_call_id", g_variant_new_string (call->sip_call_id ? call->sip_call_id : ""));
  g_variant_builder_add (&b, "{sv}", "started_at", g_variant_new_string (started));
  g_variant_builder_add (&b, "{sv}", "answered_at", g_variant_new_string (answered));
  g_variant_builder_add (&b, "{sv}", "ended_at", g_variant_new_string (ended));
  g_variant_builder_add (&b, "{sv}", "duration_s", g_variant_new_double (duration));
  g_variant_builder_add (&b, "{sv}", "end_reason", g_variant_new_string (call->end_reason ? call->end_reason : ""));
  g_variant_builder_add (&b, "{sv}", "sip_status", g_variant_new_uint32 (call->sip_status));
  g_variant_builder_add (&b, "{sv}", "codec", g_variant_new_string (call->codec ? call->codec : ""));
  g_variant_builder_add (&b, "{sv}", "local_hold", g_variant_new_boolean (call->local_hold));
  g_variant_builder_add (&b, "{sv}", "remote_hold", g_variant_new_boolean (call->remote_hold));
  g_variant_builder_add (&b, "{sv}", "muted", g_variant_new_boolean (call->muted));
  g_variant_builder_add (&b, "{sv}", "conference", g_variant_new_uint32 (call->conference));
  g_variant_builder_add (&b, "{sv}", "transfer", g_variant_new_string (call->transfer ? call->transfer : ""));
  g_variant_builder_add (&b, "{sv}", "transfer_request",
                         g_variant_new_string (call->transfer_request ? call->transfer_request : ""));
  g_variant_builder_add (&b, "{sv}", "security", g_variant_new_string (call->security ? call->security : ""));
  g_variant_builder_add (&b, "{sv}", "srtp_suite", g_variant_new_string (call->srtp_suite ? call->srtp_suite : ""));
  g_variant_builder_add (&b, "{sv}", "encryption", g_variant_new_string (call->encryption ? call->encryption : ""));
  g_variant_builder_add (&b, "{sv}", "peer_fingerprint",
                         g_variant_new_string (call->peer_fingerprint ? call->peer_fingerprint : ""));
  if (call->media != NULL)
    media = call->calls->media_ops->describe (call->media, &audio_error);
  if (media != NULL) {
    g_variant_builder_add (&b, "{sv}", "media", media);
    g_variant_builder_add (&b, "{sv}", "audio_error", g_variant_new_string (audio_error ? audio_error : ""));
  }
  return g_variant_builder_end (&b);
}

gboolean
zc_call_is_established (const ZcCall *call)
{
  return call->state == ZC_CALL_ACTIVE || call->state == ZC_CALL_HELD;
}

ZcCall *
zc_calls_lookup (ZcCalls *calls, const char *id)
{
  for (guint i = 0; id != NULL && i < calls->calls->len; i++) {
    ZcCall *call = g_ptr_array_index (calls->calls, i);

    if (g_str_equal (call->id, id))
      return call;
  }
  return NULL;
}

void
zc_call_emit (ZcCall *call, const char *event)
{
  ZcCalls *calls = call->calls;
  g_autoptr (GVariant) view = g_variant_ref_sink (zc_call_to_variant (call));

  g_debug ("call %s: %s", call->id, event);
  if (calls->observer.call_changed != NULL)
    calls->observer.call_changed (event, view, calls->observer_data);
  zc_calls_waiting_event (call, event);
  zc_transfer_call_changed (call, event);
}

void
zc_call_set_reason (ZcCall *call, const char *reason, guint status)
{
  if (call->end_reason != NULL)
    return;
  /* Some reasons are a peer's SIP reason phrase: it reaches the history
   * and terminals only sanitised. */
  call->end_reason = reason != NULL ? zc_sanitize_text (reason, -1) : NULL;
  if (status != 0)
    call->sip_status = status;
}

/* ---- the state machine ------------------------------------------------------------ */

typedef void (*ZcCallAction) (ZcCall *call);

typedef struct {
  ZcCallState from;
  ZcCallEvent event;
  ZcCallState to;
  ZcCallAction action;         /* runs in the new state, before the event goes out */
  const char *emits;           /* the observer's event, or NULL */
} ZcCallTransition;

static void act_send_invite (ZcCall *call);
static void act_prepare_answer (ZcCall *call);
static void act_announce (ZcCall *call);
static void act_ringback (ZcCall *call);
static void act_answered (ZcCall *call);
static void act_finish (ZcCall *call);

static const ZcCallTransition transitions[] = {
  { ZC_CALL_CALLING,  ZC_CALL_EV_MEDIA_READY, ZC_CALL_CALLING,  act_send_invite,    NULL },
  { ZC_CALL_INCOMING, ZC_CALL_EV_MEDIA_READY, ZC_CALL_INCOMING, act_prepare_answer, NULL },
  { ZC_CALL_INCOMING, ZC_CALL_EV_OFFERED,     ZC_CALL_RINGING,  act_announce,       "incoming" },
  /* A replacement is answered at once in the replaced call's place: no
   * "incoming" (ring, notification, call-waiting tone), "answered" next. */
  { ZC_CALL_INCOMING, ZC_CALL_EV_REPLACING,   ZC_CALL_RINGING,  NULL,               NULL },
  { ZC_CALL_CALLING,  ZC_CALL_EV_PROGRESS,    ZC_CALL_RINGING,  act_ringback,       "ringing" },
  { ZC_CALL_RINGING,  ZC_CALL_EV_PROGRESS,    ZC_CALL_RINGING,  NULL,               NULL },
  { ZC_CALL_RINGING,  ZC_CALL_EV_ANSWER,      ZC_CALL_ACTIVE,   act_answered,       "answered" },
  { ZC_CALL_CALLING,  ZC_CALL_EV_ACCEPTED,    ZC_CALL_ACTIVE,   act_answered,       "answered" },
  { ZC_CALL_RINGING,  ZC_CALL_EV_ACCEPTED,    ZC_CALL_ACTIVE,   act_answered,       "answered" },
  /* A re-offer in an early dialog (UPDATE) sets the hold flags only;
   * the state follows them once the call is established. */
  { ZC_CALL_CALLING,  ZC_CALL_EV_HOLD,        ZC_CALL_CALLING,  NULL,               NULL },
  { ZC_CALL_CALLING,  ZC_CALL_EV_UNHOLD,      ZC_CALL_CALLING,  NULL,               NULL },
  { ZC_CALL_INCOMING, ZC_CALL_EV_HOLD,        ZC_CALL_INCOMING, NULL,               NULL },
  { ZC_CALL_INCOMING, ZC_CALL_EV_UNHOLD,      ZC_CALL_INCOMING, NULL,               NULL },
  { ZC_CALL_RINGING,  ZC_CALL_EV_HOLD,        ZC_CALL_RINGING,  NULL,               NULL },
  { ZC_CALL_RINGING,  ZC_CALL_EV_UNHOLD,      ZC_CALL_RINGING,  NULL,               NULL },
  { ZC_CALL_ACTIVE,   ZC_CALL_EV_HOLD,        ZC_CALL_HELD,     NULL,               "held" },
  { ZC_CALL_ACTIVE,   ZC_CALL_EV_UNHOLD,      ZC_CALL_ACTIVE,   NULL,               NULL },
  { ZC_CALL_HELD,     ZC_CALL_EV_HOLD,        ZC_CALL_HELD,     NULL,               NULL },
  { ZC_CALL_HELD,     ZC_CALL_EV_UNHOLD,      ZC_CALL_ACTIVE,   NULL,               "resumed" },
  { ZC_CALL_CALLING,  ZC_CALL_EV_END,         ZC_CALL_ENDED,    act_finish,         "ended" },
  { ZC_CALL_INCOMING, ZC_CALL_EV_END,         ZC_CALL_ENDED,    act_finish,         "ended" },
  { ZC_CALL_RINGING,  ZC_CALL_EV_END,         ZC_CALL_ENDED,    act_finish,         "ended" },
  { ZC_CALL_ACTIVE,   ZC_CALL_EV_END,         ZC_CALL_ENDED,    act_finish,         "ended" },
  { ZC_CALL_HELD,     ZC_CALL_EV_END,         ZC_CALL_ENDED,    act_finish,         "ended" },
};

static const ZcCallTransition *
transition_find (ZcCallState from, ZcCallEvent event)
{
  for (gsize i = 0; i < G_N_ELEMENTS (transitions); i++)
    if (transitions[i].from == from && transitions[i].event == event)
      return &transitions[i];
  return NULL;
}

gboolean
zc_call_can (ZcCall *call, ZcCallEvent event)
{
  return transition_find (call->state, event) != NULL;
}

gboolean
zc_call_fire (ZcCall *call, ZcCallEvent event)
{
  const ZcCallTransition *row = transition_find (call->state, event);

  if (row == NULL) {
    g_warning ("call %s: event %s in state %s (a bug: no transition)", call->id, zc_call_event_to_string (event),
               state_debug_name (call->state));
    return FALSE;
  }
  call->state = row->to;
  if (row->action != NULL)
    row->action (call);
  /* An action may have moved the call on (a refusal ends it): the event
   * of a state it has left is not sent. */
  if (row->emits != NULL && call->state == row->to)
    zc_call_emit (call, row->emits);
  return TRUE;
}

void
zc_call_end (ZcCall *call)
{
  if (call->state != ZC_CALL_ENDED)
    zc_call_fire (call, ZC_CALL_EV_END);
}

void
zc_call_refuse (ZcCall *call, const char *reason, int status, const char *phrase)
{
  if (status == 486 && zc_call_forward_busy (call))
    return;
  zc_call_set_reason (call, reason, (guint) status);
  zc_call_stop_tone (call);
  if (call->session != NULL)
    zc_sip_session_reject (call->session, status, phrase);
  zc_call_end (call);
}

void
zc_call_end_for_media (ZcCall *call, const char *reason)
{
  g_message ("call %s: %s, hanging up", call->id, reason);
  zc_call_set_reason (call, reason, 0);
  if (call->session != NULL)
    zc_sip_session_hangup (call->session);
  zc_call_end (call);
}

/* The end of a call for the core: resources go (the event goes out
 * after). */
static void
act_finish (ZcCall *call)
{
  g_autofree char *display = zc_call_peer_display (call);

  call->ended_at = g_date_time_new_now_local ();
  call->ended_us = g_get_monotonic_time ();
  g_clear_handle_id (&call->auto_answer_id, g_source_remove);
  g_clear_handle_id (&call->ring_timeout_id, g_source_remove);
  g_clear_handle_id (&call->ice_backstop_id, g_source_remove);
  zc_call_stop_tone (call);
  call_media_free (call);
  zc_call_conference_ended (call);
  g_clear_pointer (&call->offer.remote, zc_sdp_session_free);
  if (call->session != NULL) {
    zc_sip_session_set_user_data (call->session, NULL);
    call->session = NULL;
  }
  g_message ("call %s with %s ended: %s", call->id, display,
             call->end_reason ? call->end_reason : "");
}

static void
act_answered (ZcCall *call)
{
  g_clear_handle_id (&call->auto_answer_id, g_source_remove);
  g_clear_handle_id (&call->ring_timeout_id, g_source_remove);
  zc_call_stop_tone (call);
  call->answered_at = g_date_time_new_now_local ();
  call->answered_us = g_get_monotonic_time ();
  if (call->sip_status == 0)
    call->sip_status = 200;
}

static void
act_ringback (ZcCall *call)
{
  call_play_tone (call, ZC_MEDIA_TONE_RINGBACK);
}

static gboolean
ring_timeout_cb (gpointer user_data)
{
  ZcCall *call = user_data;

  call->ring_timeout_id = 0;
  if (call->outgoing) {
    zc_call_set_reason (call, "no answer", 0);
    if (call->session != NULL)
      zc_sip_session_hangup (call->session);
    zc_call_end (call);
  } else {
    zc_call_refuse (call, "no answer", 480, "Temporarily Unavailable");
  }
  return G_SOURCE_REMOVE;
}

static gboolean
alert_done_cb (gpointer user_data)
{
  ZcCall *call = user_data;

  call->auto_answer_id = 0;
  call->auto_answered = TRUE;
  zc_call_answer (call, NULL);
  return G_SOURCE_REMOVE;
}

/* As intercoms do: the alert first, then the line opens (the answer
 * starts the media, which stops the tone). */
static void
call_alert_then_answer (ZcCall *call)
{
  zc_call_stop_tone (call);
  call_play_tone (call, ZC_MEDIA_TONE_ALERT);
  g_clear_handle_id (&call->auto_answer_id, g_source_remove);
  call->auto_answer_id = zc_call_timeout_add_ms (call->calls->timers.alert_ms, alert_done_cb, call);
}

static gboolean
auto_answer_cb (gpointer user_data)
{
  ZcCall *call = user_data;

  call->auto_answer_id = 0;
  call_alert_then_answer (call);
  return G_SOURCE_REMOVE;
}

guint
zc_call_timeout_add_ms (guint ms, GSourceFunc func, gpointer data)
{
  /* Whole seconds may be coalesced with other wake-ups. */
  return ms % 1000 == 0 ? g_timeout_add_seconds (ms / 1000, func, data) : g_timeout_add (ms, func, data);
}

void
zc_call_arm_ring_timeout (ZcCall *call, guint ms)
{
  g_clear_handle_id (&call->ring_timeout_id, g_source_remove);
  call->ring_timeout_id = zc_call_timeout_add_ms (ms, ring_timeout_cb, call);
}

static void
act_announce (ZcCall *call)
{
  g_autofree char *display = zc_call_peer_display (call);

  g_message ("incoming call %s from %s", call->id, display);
}

/* Incoming, the user has been told: a ring, or the auto-answer. */
static void
call_ring (ZcCall *call)
{
  const ZcConfig *config = call->calls->config;
  const char *allowed = NULL;

  if (config->auto_answer) {
    allowed = zc_call_auto_answer_match (call);
    if (allowed == NULL)
      g_message ("call %s rings: the caller is none of [calls] auto-answer-from, no auto-answer", call->id);
    else
      g_message ("call %s: auto-answer (auto-answer-from: %s) in %u s", call->id, allowed,
                 config->auto_answer_delay_s);
  }
  if (allowed != NULL && config->auto_answer_delay_s == 0) {
    call_alert_then_answer (call); /* no 180: the answer is immediate */
    return;
  }
  zc_sip_session_ring (call->session);
  call->ring_deferred = zc_call_waiting_replaces_ring (call);
  if (!call->ring_deferred)
    call_play_tone (call, ZC_MEDIA_TONE_RING);
  if (allowed != NULL)
    call->auto_answer_id = g_timeout_add_seconds (config->auto_answer_delay_s, auto_answer_cb, call);
  /* A long auto-answer delay must not lose against the ring timeout. */
  zc_call_arm_ring_timeout (call, MAX (call->calls->timers.ring_timeout_ms, (config->auto_answer_delay_s + 30) * 1000));
}

/* Incoming, media ready: the answer (or our offer in the 200) is written
 * from what was negotiated when the offer came. */
static gboolean
call_write_answer (ZcCall *call)
{
  /* Held from the start only as the replacement of a held call. */
  ZcSdpLocal local = zc_call_local_sdp (call, zc_call_our_direction (call->local_hold));

  g_clear_pointer (&call->offer.answer, g_free);
  if (call->offer.agreement != NULL) {
    /* Only the text is written now, with the media's addresses: what we
     * accept was settled when the offer came. */
    call->offer.answer = zc_sdp_agreement_print_answer (call->offer.agreement, &local);
    if (call->offer.answer == NULL) {
      g_message ("call %s: cannot write the SDP answer", call->id);
      zc_call_refuse (call, "no media", 500, "Server Internal Error");
      return FALSE;
    }
  } else {
    call->late_offer = TRUE;
    call->offer.answer = zc_sdp_build_offer (&local);
    g_clear_pointer (&call->our_offer, zc_sdp_session_free);
    call->our_offer = zc_sdp_parse (call->offer.answer, NULL);
  }
  return TRUE;
}

static void
act_prepare_answer (ZcCall *call)
{
  if (!call_write_answer (call))
    return;
  if (call->replaces_call != NULL) {
    if (zc_call_fire (call, ZC_CALL_EV_REPLACING) && call->state == ZC_CALL_RINGING)
      zc_transfer_replacing_answer (call);
    return;
  }
  if (zc_call_fire (call, ZC_CALL_EV_OFFERED) && call->state == ZC_CALL_RINGING)
    call_ring (call);
}

static void
act_send_invite (ZcCall *call)
{
  ZcCalls *calls = call->calls;
  g_autoptr (GError) error = NULL;
  g_autofree char *offer = NULL;
  ZcSdpLocal local = zc_call_local_sdp (call, ZC_MEDIA_DIRECTION_SENDRECV);

  offer = zc_sdp_build_offer (&local);
  call->our_offer = zc_sdp_parse (offer, NULL);
  call->session = zc_sip_ua_invite_full (calls->ua, call->peer_uri, &call->flow, offer, call->via_rendezvous,
                                         &(ZcSipInviteHeaders){ call->replaces, call->referred_by }, &error);
  if (call->session == NULL) {
    g_message ("call %s to %s failed: %s", call->id, call->peer_uri, error->message);
    zc_call_set_reason (call, "failed", 0);
    zc_call_end (call);
    return;
  }
  zc_sip_session_set_user_data (call->session, call);
  call->sip_call_id = g_strdup (zc_sip_session_get_call_id (call->session));
}

const char *
zc_call_offer_proto (ZcCall *call, guint retries)
{
  const char *order[3];
  guint n = 0;

  /* RFC 8643: DTLS-SRTP (and over TLS SDES) offered over RTP/AVP, so that
   * a phone without SRTP still answers; with plain RTP refused, the SRTP
   * profile itself (RFC 5764 8), which such phones reject outright.  A
   * phone that refuses RTP/AVP gets RTP/SAVP when it may have SDES keys
   * (RFC 4568 phones: baresip srtp-mand, linphone), then the DTLS
   * profile. */
  if (zc_call_stream_plain_allowed (call))
    order[n++] = "RTP/AVP";
  else if (zc_call_stream_fingerprint (call) != NULL)
    order[n++] = "UDP/TLS/RTP/SAVPF";
  if (zc_call_stream_sdes_key (call) != NULL)
    order[n++] = "RTP/SAVP";
  if (zc_call_stream_plain_allowed (call) && zc_call_stream_fingerprint (call) != NULL)
    order[n++] = "UDP/TLS/RTP/SAVPF";
  if (n == 0)
    order[n++] = "RTP/AVP"; /* nothing to encrypt with: the policy refuses the answer */
  return retries < n ? order[retries] : NULL;
}

gboolean
zc_call_retry_secure (ZcCall *call, int status)
{
  const char *next;

  if (!call->outgoing || status != 488 || call->state != ZC_CALL_CALLING || call->our_offer == NULL
      || (next = zc_call_offer_proto (call, call->secure_retries + 1)) == NULL)
    return FALSE;
  g_message ("call %s: %s refused %s (488); offering %s", call->id, call->peer_uri,
             zc_sdp_session_get_proto (call->our_offer), next);
  call->secure_retries++;
  zc_call_send_invite_again (call);
  return TRUE;
}

void
zc_call_send_invite_again (ZcCall *call)
{
  /* The ended INVITE's session is over; a new one takes its place. */
  if (call->session != NULL)
    zc_sip_session_set_user_data (call->session, NULL);
  call->session = NULL;
  g_clear_pointer (&call->sip_call_id, g_free);
  g_clear_pointer (&call->our_offer, zc_sdp_session_free);
  act_send_invite (call);
}

static void
call_send_answer (ZcCall *call)
{
  if (call->offer.remote != NULL && zc_sdp_session_get_proto (call->offer.remote) != NULL) {
    g_free (call->media_proto);
    call->media_proto = g_strdup (zc_sdp_session_get_proto (call->offer.remote));
  }
  zc_sip_session_answer (call->session, call->offer.answer);
  g_clear_pointer (&call->offer.answer, g_free);
  if (call->offer.agreement != NULL)
    zc_call_stream_start (call, call->offer.remote, zc_sdp_agreement_get_codec (call->offer.agreement),
                          zc_sdp_agreement_get_telephone_event_pt (call->offer.agreement),
                          zc_sdp_agreement_get_crypto (call->offer.agreement));
  call_offer_clear (&call->offer);
  zc_call_fire (call, ZC_CALL_EV_ANSWER);
}

/* The media gathered without the TURN server while the call rang: it is
 * replaced by one that gathers with it, and the 200 goes out once that is
 * done (zc_call_finish_answer).  Nothing was sent from the first one: the
 * caller has not seen our candidates yet. */
static gboolean
call_gather_relay (ZcCall *call)
{
  g_autoptr (GError) error = NULL;

  call->relay_at_answer = FALSE;
  zc_call_stop_tone (call);
  call_media_free (call);
  if (!zc_call_stream_new (call, call->offer.remote == NULL,
                           call->offer.remote != NULL && zc_sdp_session_get_rtcp_mux (call->offer.remote), &error)) {
    g_warning ("call %s: no media transport: %s", call->id, error->message);
    zc_call_refuse (call, "no media", 500, "No Media Transport");
    return FALSE;
  }
  g_message ("call %s: answering once the TURN relay is allocated", call->id);
  call->answering = TRUE;
  call->answering_since_us = g_get_monotonic_time ();
  return TRUE;
}

void
zc_call_finish_answer (ZcCall *call)
{
  call->answering = FALSE;
  g_message ("call %s: relay gathered in %" G_GINT64_FORMAT " ms, sending the answer", call->id,
             (g_get_monotonic_time () - call->answering_since_us) / 1000);
  if (call_write_answer (call))
    call_send_answer (call);
}

gboolean
zc_call_answer (ZcCall *call, GError **error)
{
  if (call->outgoing || !zc_call_can (call, ZC_CALL_EV_ANSWER) || call->session == NULL || call->answering) {
    g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_STATE, _("call %s is not ringing here"), call->id);
    return FALSE;
  }
  g_clear_handle_id (&call->auto_answer_id, g_source_remove);
  /* Through the rendezvous the relay may be the only path; from the LAN
   * the caller's relay candidates are enough (call-stream.c). */
  if (call->relay_at_answer && call->via_rendezvous) {
    if (call_gather_relay (call))
      return TRUE;
    g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_FAILED, _("call %s: no media transport"), call->id);
    return FALSE;
  }
  call_send_answer (call);
  return TRUE;
}

/* ---- SDP -------------------------------------------------------------------------- */

void
zc_call_codec_describe (ZcCall *call, const ZcCodec *codec)
{
  g_free (call->codec);
  call->codec = codec->channels > 1 ? g_strdup_printf ("%s/%u/%u", codec->name, codec->clock_rate, codec->channels)
                                    : g_strdup_printf ("%s/%u", codec->name, codec->clock_rate);
}

/* The packet time our SDP asks for: [media] ptime of another zcall agent
 * on the LAN (a discovered peer, whose key is pinned), the default of
 * anything else: desk phones and softphones expect it, and a call beyond
 * the LAN, through relays, is better off with half the packets. */
static guint
local_ptime_ms (ZcCall *call)
{
  return call->claimed_fingerprint != NULL ? call->calls->config->ptime_ms : ZC_CALL_DEFAULT_PTIME_MS;
}

ZcSdpLocal
zc_call_local_sdp (ZcCall *call, ZcMediaDirection direction)
{
  ZcSdpLocal local = {
    .user = call->calls->config->user,
    .session_id = call->sdp_session_id,
    .version = call->sdp_version,
    .address = call->local_address,
    .direction = direction,
    .ptime_ms = local_ptime_ms (call),
    .codecs = (const char *const *) call->calls->config->codecs,
    .fingerprint = zc_call_stream_fingerprint (call),
    .signalling_secure = zc_call_signalling_secure (call),
    .sdes_key = zc_call_stream_sdes_key (call),
  };

  local.proto = call->media_proto != NULL ? call->media_proto : zc_call_offer_proto (call, call->secure_retries);
  if (call->media != NULL)
    call->calls->media_ops->get_local (call->media, &local.address, &local.rtp_port, &local.rtcp_port,
                                       &local.ice_attributes);
  return local;
}

ZcMediaDirection
zc_call_our_direction (gboolean hold)
{
  return hold ? ZC_MEDIA_DIRECTION_SENDONLY : ZC_MEDIA_DIRECTION_SENDRECV;
}

gboolean
zc_call_negotiate_offer (ZcCall *call, const char *sdp, GError **error)
{
  g_autoptr (ZcSdpSession) remote = zc_sdp_parse (sdp, error);
  g_autoptr (ZcSdpAgreement) agreement = NULL;

  if (remote == NULL
      || (agreement = zc_sdp_agree (remote, (const char *const *) call->calls->config->codecs,
                                    zc_call_stream_sdes_key (call) != NULL, error)) == NULL)
    return FALSE;
  if ((zc_sdp_session_get_fingerprint (remote) == NULL || zc_call_stream_fingerprint (call) == NULL)
      && zc_sdp_agreement_get_crypto (agreement) == NULL && !zc_call_stream_plain_allowed (call)) {
    g_set_error_literal (error, ZC_SDP_ERROR, ZC_SDP_ERROR_NO_COMMON_CODEC,
                         "plain RTP offered, and [security] media-encryption allows none");
    return FALSE;
  }
  call_offer_clear (&call->offer);
  zc_call_codec_describe (call, zc_sdp_agreement_get_codec (agreement));
  call->offer.remote = g_steal_pointer (&remote);
  call->offer.agreement = g_steal_pointer (&agreement);
  return TRUE;
}
