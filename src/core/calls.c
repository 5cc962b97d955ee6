/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "calls"

#include "config.h"
#include "core/calls.h"

#include "common/i18n.h"
#include "core/rendezvous.h"
#include "core/targets.h"
#include "media/media-stream.h"
#include "sdp/sdp.h"

#include <string.h>
#include <sys/socket.h>

G_DEFINE_QUARK (zc-calls-error-quark, zc_calls_error)

/* Ended calls kept for `zcall calls`. */
#define HISTORY_LENGTH 50
/* An unanswered call stops ringing after this long, like a desk phone. */
#define RING_TIMEOUT_S 60
#define PTIME_MS 20
/* Issue 5: when no pair connects within ~2 s, restart ICE as a backstop;
 * the restarted checks (and a callee waiting for them after its own
 * checks failed) get ICE_BACKSTOP_GRACE_MS before the call ends. */
#define ICE_BACKSTOP_MS 2000
#define ICE_BACKSTOP_GRACE_MS 8000

typedef enum { CALL_CALLING, CALL_RINGING, CALL_ACTIVE, CALL_HELD, CALL_ENDED } ZcCallState;

static const char *const state_names[] = { "calling", "ringing", "active", "held", "ended" };

typedef struct {
  ZcCalls *calls;
  char *id;
  gboolean outgoing;
  ZcCallState state;
  ZcSipSession *session;
  char *peer_uri;
  char *peer_name;
  char *sip_call_id;
  GDateTime *started_at;
  GDateTime *answered_at;
  GDateTime *ended_at;
  gint64 answered_us;
  gint64 ended_us;
  char *end_reason;
  guint sip_status;
  char *codec;
  gboolean local_hold;
  gboolean remote_hold;
  int hold_pending;            /* -1 none, else the hold state asked for */
  ZcMediaStream *media;
  ZcSdpSession *remote_offer;  /* incoming: the offer, until media starts at the answer */
  ZcSipFlow flow;              /* outgoing: where the INVITE goes once media is ready */
  gboolean via_rendezvous;     /* through the rendezvous proxy, either way */
  char *local_address;
  guint64 sdp_session_id;
  guint64 sdp_version;
  ZcSdpSession *our_offer;     /* the last offer we sent */
  char *pending_answer;        /* incoming: SDP to send when answered */
  gboolean late_offer;         /* incoming INVITE had no SDP: we offer in the 200 */
  guint auto_answer_id;
  guint ring_timeout_id;
  guint ice_backstop_id;       /* through the rendezvous: no pair yet -> ICE restart */
  gboolean ice_restarted;      /* the backstop ran (once per call) */
  gboolean ice_restart_pending; /* our re-INVITE with the restarted offer is out */
} ZcCall;

struct _ZcCalls {
  const ZcConfig *config;
  ZcSipTransport *transport;
  ZcSipUa *ua;
  ZcPeerTable *peers;
  ZcRendezvous *rendezvous;    /* NULL without [rendezvous] registrar */
  ZcCallsObserver observer;
  gpointer observer_data;
  GPtrArray *calls;            /* ZcCall*, oldest first */
  guint next_id;
  gboolean dnd;
};

/* ---- call objects ---------------------------------------------------------- */

static void
call_free (ZcCall *call)
{
  g_clear_handle_id (&call->auto_answer_id, g_source_remove);
  g_clear_handle_id (&call->ring_timeout_id, g_source_remove);
  g_clear_handle_id (&call->ice_backstop_id, g_source_remove);
  if (call->session != NULL)
    zc_sip_session_set_user_data (call->session, NULL);
  g_free (call->id);
  g_free (call->peer_uri);
  g_free (call->peer_name);
  g_free (call->sip_call_id);
  g_clear_pointer (&call->started_at, g_date_time_unref);
  g_clear_pointer (&call->answered_at, g_date_time_unref);
  g_clear_pointer (&call->ended_at, g_date_time_unref);
  g_free (call->end_reason);
  g_free (call->codec);
  g_clear_pointer (&call->media, zc_media_stream_free);
  g_clear_pointer (&call->remote_offer, zc_sdp_session_free);
  g_free (call->local_address);
  g_clear_pointer (&call->our_offer, zc_sdp_session_free);
  g_free (call->pending_answer);
  g_free (call);
}

static char *
iso_time (GDateTime *time)
{
  return time ? g_date_time_format_iso8601 (time) : g_strdup ("");
}

static GVariant *
call_to_variant (ZcCall *call)
{
  GVariantBuilder b;
  g_autofree char *started = iso_time (call->started_at);
  g_autofree char *answered = iso_time (call->answered_at);
  g_autofree char *ended = iso_time (call->ended_at);
  double duration = 0;

  if (call->answered_us != 0)
    duration = (double) ((call->ended_us ? call->ended_us : g_get_monotonic_time ()) - call->answered_us) /
               G_USEC_PER_SEC;
  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "id", g_variant_new_string (call->id));
  g_variant_builder_add (&b, "{sv}", "direction", g_variant_new_string (call->outgoing ? "outgoing" : "incoming"));
  g_variant_builder_add (&b, "{sv}", "peer_uri", g_variant_new_string (call->peer_uri ? call->peer_uri : ""));
  g_variant_builder_add (&b, "{sv}", "peer_name", g_variant_new_string (call->peer_name ? call->peer_name : ""));
  g_variant_builder_add (&b, "{sv}", "state", g_variant_new_string (state_names[call->state]));
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
  if (call->media != NULL && zc_media_stream_is_started (call->media)) {
    g_autofree char *audio_error = zc_media_stream_get_audio_error (call->media);

    g_variant_builder_add (&b, "{sv}", "media", zc_media_stream_describe (call->media));
    g_variant_builder_add (&b, "{sv}", "audio_error", g_variant_new_string (audio_error ? audio_error : ""));
  }
  return g_variant_builder_end (&b);
}

static void
emit (ZcCall *call, const char *event)
{
  ZcCalls *calls = call->calls;
  g_autoptr (GVariant) view = g_variant_ref_sink (call_to_variant (call));

  g_debug ("call %s: %s", call->id, event);
  if (calls->observer.call_changed != NULL)
    calls->observer.call_changed (event, view, calls->observer_data);
}

static ZcCall *
call_new (ZcCalls *calls, gboolean outgoing)
{
  ZcCall *call = g_new0 (ZcCall, 1);

  call->calls = calls;
  call->id = g_strdup_printf ("%u", ++calls->next_id);
  call->outgoing = outgoing;
  call->started_at = g_date_time_new_now_local ();
  call->hold_pending = -1;
  call->sdp_session_id = g_random_int ();
  call->sdp_version = 1;
  g_ptr_array_add (calls->calls, call);
  return call;
}

static void
trim_history (ZcCalls *calls)
{
  guint ended = 0;

  for (guint i = 0; i < calls->calls->len; i++)
    ended += ((ZcCall *) g_ptr_array_index (calls->calls, i))->state == CALL_ENDED;
  for (guint i = 0; i < calls->calls->len && ended > HISTORY_LENGTH;) {
    ZcCall *call = g_ptr_array_index (calls->calls, i);

    if (call->state == CALL_ENDED) {
      g_ptr_array_remove_index (calls->calls, i);
      call_free (call);
      ended--;
    } else {
      i++;
    }
  }
}

static void
call_set_reason (ZcCall *call, const char *reason, guint status)
{
  if (call->end_reason != NULL)
    return;
  call->end_reason = g_strdup (reason);
  if (status != 0)
    call->sip_status = status;
}

/* The end of a call for the core: resources go, the event goes out. */
static void
call_finish (ZcCall *call)
{
  if (call->state == CALL_ENDED)
    return;
  call->state = CALL_ENDED;
  call->ended_at = g_date_time_new_now_local ();
  call->ended_us = g_get_monotonic_time ();
  g_clear_handle_id (&call->auto_answer_id, g_source_remove);
  g_clear_handle_id (&call->ring_timeout_id, g_source_remove);
  g_clear_handle_id (&call->ice_backstop_id, g_source_remove);
  g_clear_pointer (&call->media, zc_media_stream_free);
  g_clear_pointer (&call->remote_offer, zc_sdp_session_free);
  if (call->session != NULL) {
    zc_sip_session_set_user_data (call->session, NULL);
    call->session = NULL;
  }
  g_message (_("call %s with %s ended: %s"), call->id, call->peer_name && *call->peer_name ? call->peer_name : call->peer_uri,
             call->end_reason ? call->end_reason : "");
  emit (call, "ended");
  trim_history (call->calls);
}

static void
codec_describe (ZcCall *call, const ZcCodec *codec)
{
  g_free (call->codec);
  call->codec = codec->channels > 1 ? g_strdup_printf ("%s/%u/%u", codec->name, codec->clock_rate, codec->channels)
                                    : g_strdup_printf ("%s/%u", codec->name, codec->clock_rate);
}

static void
call_play_tone (ZcCall *call, ZcMediaTone tone)
{
  if (call->media != NULL)
    zc_media_stream_play_tone (call->media, tone);
}

static void
call_stop_tone (ZcCall *call)
{
  if (call->media != NULL)
    zc_media_stream_stop_tone (call->media);
}

static ZcSdpLocal
local_sdp (ZcCall *call, ZcMediaDirection direction)
{
  ZcSdpLocal local = {
    .user = call->calls->config->user,
    .session_id = call->sdp_session_id,
    .version = call->sdp_version,
    .address = call->media ? zc_media_stream_get_address (call->media) : call->local_address,
    .rtp_port = call->media ? zc_media_stream_get_rtp_port (call->media) : 0,
    .rtcp_port = call->media ? zc_media_stream_get_rtcp_port (call->media) : 0,
    .ice_attributes = call->media ? zc_media_stream_get_ice_attributes (call->media) : NULL,
    .direction = direction,
    .ptime_ms = PTIME_MS,
    .codecs = (const char *const *) call->calls->config->codecs,
  };
  return local;
}

static ZcMediaDirection
our_direction (gboolean hold)
{
  return hold ? ZC_MEDIA_DIRECTION_SENDONLY : ZC_MEDIA_DIRECTION_SENDRECV;
}

static void
update_hold_state (ZcCall *call)
{
  ZcCallState before = call->state;

  if (call->state != CALL_ACTIVE && call->state != CALL_HELD)
    return;
  call->state = (call->local_hold || call->remote_hold) ? CALL_HELD : CALL_ACTIVE;
  if (call->state != before)
    emit (call, call->state == CALL_HELD ? "held" : "resumed");
}

/* ---- finding calls and peers -------------------------------------------------- */

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
  return !call->outgoing && call->state == CALL_RINGING;
}

static gboolean
fits_live (ZcCall *call)
{
  return call->state != CALL_ENDED;
}

static gboolean
fits_established (ZcCall *call)
{
  return call->state == CALL_ACTIVE || call->state == CALL_HELD;
}

/* ---- media ------------------------------------------------------------------------ */

static void media_ready_cb (ZcMediaStream *stream, const GError *error, gpointer user_data);

static void
media_digit_cb (ZcMediaStream *stream G_GNUC_UNUSED, char digit, gpointer user_data)
{
  ZcCall *call = user_data;
  ZcCalls *calls = call->calls;
  g_autoptr (GVariant) view = g_variant_ref_sink (call_to_variant (call));
  GVariantDict dict;

  g_message (_("call %s: DTMF %c"), call->id, digit);
  g_variant_dict_init (&dict, view);
  g_variant_dict_insert (&dict, "dtmf_digit", "s", (char[]){ digit, '\0' });
  if (calls->observer.call_changed != NULL) {
    g_autoptr (GVariant) with_digit = g_variant_ref_sink (g_variant_dict_end (&dict));
    calls->observer.call_changed ("dtmf", with_digit, calls->observer_data);
  } else {
    g_variant_dict_clear (&dict);
  }
}

static void
end_for_media (ZcCall *call, const char *reason)
{
  g_message (_("call %s: %s, hanging up"), call->id, reason);
  call_set_reason (call, reason, 0);
  if (call->session != NULL)
    zc_sip_session_hangup (call->session);
  call_finish (call);
}

static void
media_timeout_cb (ZcMediaStream *stream G_GNUC_UNUSED, gpointer user_data)
{
  end_for_media (user_data, "media timeout");
}

static gboolean ice_backstop (ZcCall *call);

static gboolean
ice_backstop_cb (gpointer user_data)
{
  ZcCall *call = user_data;

  call->ice_backstop_id = 0;
  if (call->media == NULL || zc_media_stream_is_connected (call->media))
    return G_SOURCE_REMOVE;
  if (!call->outgoing || call->ice_restarted) {
    /* The caller's restart never came, or the restarted checks failed too. */
    end_for_media (call, "no media path");
    return G_SOURCE_REMOVE;
  }
  if (!ice_backstop (call))
    end_for_media (call, "no media path");
  return G_SOURCE_REMOVE;
}

/* Calls through the rendezvous with a TURN server get a second chance
 * when no candidate pair works (issue 5; RFC 8445 leaves it to us): the
 * caller restarts ICE in a re-INVITE, with the same candidates (the
 * relayed ones need nothing but the TURN server), so a path that was
 * blocked for a moment is found again instead of the call ending.
 * ICE_BACKSTOP_MS after the checks began, or at once when they all failed
 * sooner.  Issue 5 asks for a relay-only restart: libnice's force-relay
 * set on a running agent gave checks that never connected in the lab, and
 * a fresh relay-only agent would need new allocations (not built). */
static gboolean
ice_backstop_possible (ZcCall *call)
{
  return call->via_rendezvous && !call->ice_restarted && call->media != NULL
         && zc_media_stream_can_relay (call->media) && call->session != NULL;
}

static void
ice_backstop_arm (ZcCall *call)
{
  if (ice_backstop_possible (call) && call->ice_backstop_id == 0)
    call->ice_backstop_id = g_timeout_add (call->outgoing ? ICE_BACKSTOP_MS : ICE_BACKSTOP_GRACE_MS,
                                           ice_backstop_cb, call);
}

static void
media_failed_cb (ZcMediaStream *stream G_GNUC_UNUSED, gpointer user_data)
{
  ZcCall *call = user_data;

  /* After a restart the grace timer decides: libnice may still report
   * the first round's failure, and the new checks get their full time. */
  if (call->ice_restarted && call->ice_backstop_id != 0)
    return;
  if (ice_backstop_possible (call)) {
    g_clear_handle_id (&call->ice_backstop_id, g_source_remove);
    if (!call->outgoing) {
      ice_backstop_arm (call); /* wait for the caller's restart */
      return;
    }
    if (ice_backstop (call))
      return;
  }
  end_for_media (call, "no media path");
}

static gboolean
call_media_new (ZcCall *call, gboolean controlling, gboolean rtcp_mux, GError **error)
{
  static const ZcMediaStreamCallbacks callbacks = {
    .ready = media_ready_cb,
    .digit = media_digit_cb,
    .timeout = media_timeout_cb,
    .failed = media_failed_cb,
  };
  const ZcConfig *config = call->calls->config;
  ZcMediaStreamConfig media = {
    .call_id = call->id,
    .local_address = call->local_address,
    .controlling = controlling,
    .rtcp_mux = rtcp_mux,
    .port_min = config->rtp_port_min,
    .port_max = config->rtp_port_max,
    .capture_device = config->capture_device,
    .playback_device = config->playback_device,
    .ring_device = config->ring_device,
    .aec = {
      .tail_ms = config->echo_tail_ms,
      .echo_cancel = config->echo_cancel,
      .denoise = config->denoise,
      .agc = config->agc,
    },
    .media_timeout_ms = config->media_timeout_ms,
    .jitter_ms = config->jitter_ms,
  };

  zc_rendezvous_get_ice_servers (call->calls->rendezvous, &media.ice_servers);
  media.ice_tcp = call->via_rendezvous && config->ice_tcp;
  zc_codec_options_init (&media.codec_options);
  media.codec_options.bitrate_bps = config->opus_bitrate_bps;
  media.codec_options.dtx = config->opus_dtx;
  media.codec_options.opus_pcm_rate = config->opus_rate_hz;
  call->media = zc_media_stream_new (&media, &callbacks, call, error);
  return call->media != NULL;
}

/* Starts the media once both descriptions are known: @remote is the peer's
 * offer or answer, @chosen the codec to send with. */
static gboolean
call_media_start (ZcCall *call, const ZcSdpSession *remote, const ZcCodec *chosen)
{
  g_autoptr (GError) error = NULL;
  const ZcCodec *te = zc_sdp_session_find_telephone_event (remote, chosen->clock_rate);
  ZcMediaRemote peer = {
    .address = zc_sdp_session_get_address (remote),
    .rtp_port = zc_sdp_session_get_port (remote),
    .rtcp_port = zc_sdp_session_get_rtcp_port (remote),
    .rtcp_mux = zc_sdp_session_get_rtcp_mux (remote),
    .ice_ufrag = zc_sdp_session_get_ice_ufrag (remote),
    .ice_pwd = zc_sdp_session_get_ice_pwd (remote),
    .ice_candidates = zc_sdp_session_get_ice_candidates (remote),
    .codec = chosen,
    .telephone_event_pt = te != NULL ? te->pt : -1,
  };

  if (call->media == NULL || !zc_media_stream_start (call->media, &peer, &error)) {
    g_warning (_("call %s: no media: %s"), call->id, error ? error->message : _("no media stream"));
    return FALSE;
  }
  return TRUE;
}

/* The backstop's restart: new ICE credentials in a re-INVITE.  FALSE when
 * it cannot be sent. */
static gboolean
ice_backstop (ZcCall *call)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *offer = NULL;
  ZcSdpLocal local;

  call->ice_restarted = TRUE;
  if (call->session == NULL || !zc_media_stream_restart_ice (call->media, &error)) {
    g_message (_("call %s: no ICE restart: %s"), call->id, error ? error->message : _("no dialog"));
    return FALSE;
  }
  g_message (_("call %s: no candidate pair works; restarting ICE"), call->id);
  call->sdp_version++;
  local = local_sdp (call, our_direction (call->local_hold));
  offer = zc_sdp_build_offer (&local);
  g_clear_pointer (&call->our_offer, zc_sdp_session_free);
  call->our_offer = zc_sdp_parse (offer, NULL);
  if (!zc_sip_session_reinvite (call->session, offer)) {
    g_message (_("call %s: cannot send the re-INVITE for the ICE restart"), call->id);
    return FALSE;
  }
  call->ice_restart_pending = TRUE;
  /* The restarted checks get as long again; then the call ends. */
  call->ice_backstop_id = g_timeout_add (ICE_BACKSTOP_GRACE_MS, ice_backstop_cb, call);
  return TRUE;
}

/* ---- UA events ------------------------------------------------------------------ */

static gboolean
ring_timeout_cb (gpointer user_data)
{
  ZcCall *call = user_data;

  call->ring_timeout_id = 0;
  call_set_reason (call, "no answer", call->outgoing ? 0 : 480);
  if (call->session != NULL) {
    if (call->outgoing)
      zc_sip_session_hangup (call->session);
    else
      zc_sip_session_reject (call->session, 480, "Temporarily Unavailable");
  }
  call_finish (call);
  return G_SOURCE_REMOVE;
}

static gboolean answer_call (ZcCall *call, GError **error);

static gboolean
auto_answer_cb (gpointer user_data)
{
  ZcCall *call = user_data;

  call->auto_answer_id = 0;
  answer_call (call, NULL);
  return G_SOURCE_REMOVE;
}

/* Incoming, media ready: the answer (or our offer in the 200) can be written. */
static void
incoming_ready (ZcCall *call)
{
  const ZcConfig *config = call->calls->config;
  ZcSdpLocal local = local_sdp (call, ZC_MEDIA_DIRECTION_SENDRECV);

  if (call->remote_offer != NULL) {
    g_autoptr (GError) error = NULL;
    g_autoptr (ZcCodec) chosen = NULL;

    if (!zc_sdp_negotiate_answer (call->remote_offer, &local, NULL, &call->pending_answer, &chosen, &error)) {
      g_message (_("refusing a call from %s: %s"), call->peer_uri, error->message);
      call_set_reason (call, "incompatible media", 488);
      zc_sip_session_reject (call->session, 488, "Not Acceptable Here");
      call_finish (call);
      return;
    }
    codec_describe (call, chosen);
  } else {
    call->late_offer = TRUE;
    call->pending_answer = zc_sdp_build_offer (&local);
    call->our_offer = zc_sdp_parse (call->pending_answer, NULL);
  }

  g_message (_("incoming call %s from %s"), call->id, call->peer_name && *call->peer_name ? call->peer_name : call->peer_uri);
  emit (call, "incoming");
  if (config->auto_answer && config->auto_answer_delay_s == 0) {
    answer_call (call, NULL); /* no 180: the answer is immediate */
    return;
  }
  zc_sip_session_ring (call->session);
  call_play_tone (call, ZC_MEDIA_TONE_RING);
  if (config->auto_answer)
    call->auto_answer_id = g_timeout_add_seconds (config->auto_answer_delay_s, auto_answer_cb, call);
  /* A long auto-answer delay must not lose against the ring timeout. */
  call->ring_timeout_id = g_timeout_add_seconds (MAX (RING_TIMEOUT_S, config->auto_answer_delay_s + 30),
                                                 ring_timeout_cb, call);
}

static void
outgoing_ready (ZcCall *call)
{
  ZcCalls *calls = call->calls;
  g_autoptr (GError) error = NULL;
  g_autofree char *offer = NULL;
  ZcSdpLocal local = local_sdp (call, ZC_MEDIA_DIRECTION_SENDRECV);

  offer = zc_sdp_build_offer (&local);
  call->our_offer = zc_sdp_parse (offer, NULL);
  call->session = call->via_rendezvous
                    ? zc_sip_ua_invite_as_account (calls->ua, call->peer_uri, &call->flow, offer, &error)
                    : zc_sip_ua_invite (calls->ua, call->peer_uri, &call->flow, offer, &error);
  if (call->session == NULL) {
    g_message (_("call %s to %s failed: %s"), call->id, call->peer_uri, error->message);
    call_set_reason (call, "failed", 0);
    call_finish (call);
    return;
  }
  zc_sip_session_set_user_data (call->session, call);
  call->sip_call_id = g_strdup (zc_sip_session_get_call_id (call->session));
}

static void
media_ready_cb (ZcMediaStream *stream G_GNUC_UNUSED, const GError *error, gpointer user_data)
{
  ZcCall *call = user_data;

  if (call->state == CALL_ENDED)
    return;
  if (error != NULL) {
    g_warning (_("call %s: no media transport: %s"), call->id, error->message);
    call_set_reason (call, "no media", call->outgoing ? 0 : 500);
    if (call->session != NULL)
      zc_sip_session_reject (call->session, 500, "No Media Transport");
    call_finish (call);
    return;
  }
  if (call->outgoing)
    outgoing_ready (call);
  else
    incoming_ready (call);
}

static void
ua_incoming_cb (ZcSipSession *session, const char *sdp, const ZcSipFlow *from, gpointer user_data)
{
  ZcCalls *calls = user_data;
  const ZcConfig *config = calls->config;
  ZcCall *call;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) peer = NULL;
  guint live = zc_calls_count_live (calls);

  /* Calls the rendezvous proxy relays are calls to our address of record:
   * whom to accept from there is the proxy's business. */
  if (config->accept_from == ZC_ACCEPT_FROM_LAN && !zc_target_address_is_local (calls->peers, from->address)
      && !zc_rendezvous_is_registrar (calls->rendezvous, from->address)) {
    g_message (_("refusing a call from %s: not on the LAN (see [calls] accept-from)"), from->address);
    zc_sip_session_reject (session, 403, "Forbidden");
    return;
  }

  call = call_new (calls, FALSE);
  call->session = session;
  call->via_rendezvous = zc_rendezvous_is_registrar (calls->rendezvous, from->address);
  zc_sip_session_set_user_data (session, call);
  call->peer_uri = g_strdup (zc_sip_session_get_remote_uri (session));
  call->sip_call_id = g_strdup (zc_sip_session_get_call_id (session));
  peer = zc_target_peer_by_address (calls->peers, from->address);
  if (peer != NULL)
    g_variant_lookup (peer, "name", "s", &call->peer_name);
  else
    call->peer_name = g_strdup (zc_sip_session_get_remote_display_name (session));
  call->local_address = g_strdup (zc_sip_session_get_local_address (session));
  call->state = CALL_RINGING;

  if (calls->dnd) {
    call_set_reason (call, "do not disturb", 480);
    zc_sip_session_reject (session, 480, "Do Not Disturb");
    call_finish (call);
    return;
  }
  if (live >= config->max_calls) {
    call_set_reason (call, "busy", 486);
    zc_sip_session_reject (session, 486, "Busy Here");
    call_finish (call);
    return;
  }
  /* Refuse an offer we cannot take before gathering anything for it. */
  if (sdp != NULL) {
    ZcSdpLocal local = local_sdp (call, ZC_MEDIA_DIRECTION_SENDRECV);

    call->remote_offer = zc_sdp_parse (sdp, &error);
    if (call->remote_offer == NULL ||
        !zc_sdp_negotiate_answer (call->remote_offer, &local, NULL, NULL, NULL, &error)) {
      g_message (_("refusing a call from %s: %s"), call->peer_uri, error->message);
      call_set_reason (call, "incompatible media", 488);
      zc_sip_session_reject (session, 488, "Not Acceptable Here");
      call_finish (call);
      return;
    }
  }
  /* Without an offer we offer in the 200 and so control ICE. */
  if (!call_media_new (call, call->remote_offer == NULL,
                       call->remote_offer != NULL && zc_sdp_session_get_rtcp_mux (call->remote_offer), &error)) {
    g_warning (_("call %s: no media transport: %s"), call->id, error->message);
    call_set_reason (call, "no media", 500);
    zc_sip_session_reject (session, 500, "No Media Transport");
    call_finish (call);
  }
}

static void
ua_progress_cb (ZcSipSession *session, int status G_GNUC_UNUSED, gpointer user_data G_GNUC_UNUSED)
{
  ZcCall *call = zc_sip_session_get_user_data (session);

  if (call == NULL || call->state != CALL_CALLING)
    return;
  call->state = CALL_RINGING;
  call_play_tone (call, ZC_MEDIA_TONE_RINGBACK);
  emit (call, "ringing");
}

static void
mark_answered (ZcCall *call)
{
  g_clear_handle_id (&call->ring_timeout_id, g_source_remove);
  call_stop_tone (call);
  call->state = CALL_ACTIVE;
  call->answered_at = g_date_time_new_now_local ();
  call->answered_us = g_get_monotonic_time ();
  if (call->sip_status == 0)
    call->sip_status = 200;
  emit (call, "answered");
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
    if (sdp == NULL || call->our_offer == NULL ||
        (answer = zc_sdp_apply_answer (call->our_offer, sdp, &chosen, &error)) == NULL) {
      g_message (_("call %s: unusable answer (%s), hanging up"), call->id, error ? error->message : _("no SDP"));
      call_set_reason (call, "incompatible media", 488);
      zc_sip_session_hangup (session);
      call_finish (call);
      return;
    }
    codec_describe (call, chosen);
    call_media_start (call, answer, chosen);
  }
  if (call->outgoing) {
    mark_answered (call);
    ice_backstop_arm (call);
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
  ZcMediaDirection direction;

  *status = 488;
  if (call == NULL || (offer = zc_sdp_parse (sdp, &error)) == NULL)
    return NULL;
  call->sdp_version++;
  if (call->media != NULL && zc_media_stream_is_ice_restart (call->media, zc_sdp_session_get_ice_ufrag (offer))) {
    /* RFC 8839 4.4.1.1.2: a new ufrag is an ICE restart; ours restarts
     * too, and the answer carries our new credentials. */
    call->ice_restarted = TRUE;
    g_clear_handle_id (&call->ice_backstop_id, g_source_remove);
    if (!zc_media_stream_restart_ice (call->media, &error)
        || !zc_media_stream_set_remote_ice (call->media, zc_sdp_session_get_ice_ufrag (offer),
                                            zc_sdp_session_get_ice_pwd (offer),
                                            zc_sdp_session_get_ice_candidates (offer), &error)) {
      g_message (_("call %s: cannot restart ICE: %s"), call->id, error->message);
      return NULL;
    }
    g_message (_("call %s: the peer restarted ICE"), call->id);
    call->ice_backstop_id = g_timeout_add (ICE_BACKSTOP_GRACE_MS, ice_backstop_cb, call);
  }
  local = local_sdp (call, our_direction (call->local_hold));
  if (!zc_sdp_negotiate_answer (offer, &local, NULL, &answer, &chosen, &error)) {
    g_message (_("call %s: cannot accept the new offer: %s"), call->id, error->message);
    return NULL;
  }
  codec_describe (call, chosen);
  direction = zc_sdp_session_get_direction (offer);
  call->remote_hold = direction == ZC_MEDIA_DIRECTION_SENDONLY || direction == ZC_MEDIA_DIRECTION_INACTIVE;
  update_hold_state (call);
  *status = 200;
  return answer;
}

static void
ua_reinvite_done_cb (ZcSipSession *session, int status, const char *sdp, gpointer user_data G_GNUC_UNUSED)
{
  ZcCall *call = zc_sip_session_get_user_data (session);
  int wanted;

  if (call == NULL)
    return;
  if (call->ice_restart_pending) {
    g_autoptr (GError) error = NULL;
    g_autoptr (ZcSdpSession) answer = NULL;

    call->ice_restart_pending = FALSE;
    if (status >= 200 && status < 300 && sdp != NULL && call->our_offer != NULL
        && (answer = zc_sdp_apply_answer (call->our_offer, sdp, NULL, &error)) != NULL
        && zc_media_stream_set_remote_ice (call->media, zc_sdp_session_get_ice_ufrag (answer),
                                           zc_sdp_session_get_ice_pwd (answer),
                                           zc_sdp_session_get_ice_candidates (answer), &error))
      return;
    g_message (_("call %s: the ICE restart failed (%d%s%s)"), call->id, status, error ? ": " : "",
               error ? error->message : "");
    end_for_media (call, "no media path");
    return;
  }
  wanted = call->hold_pending;
  call->hold_pending = -1;
  if (status < 200 || status >= 300 || wanted < 0) {
    g_message (_("call %s: the peer refused the %s (%d)"), call->id, wanted == 1 ? _("hold") : _("resume"), status);
    return;
  }
  if (sdp != NULL && call->our_offer != NULL) {
    g_autoptr (ZcSdpSession) answer = zc_sdp_apply_answer (call->our_offer, sdp, NULL, NULL);
    if (answer != NULL) {
      ZcMediaDirection d = zc_sdp_session_get_direction (answer);
      /* Their answer to our resume may still say they hold us. */
      if (!wanted)
        call->remote_hold = d == ZC_MEDIA_DIRECTION_SENDONLY || d == ZC_MEDIA_DIRECTION_INACTIVE;
    }
  }
  call->local_hold = wanted == 1;
  update_hold_state (call);
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
  switch (cause) {
  case ZC_SIP_END_LOCAL_HANGUP:
    call_set_reason (call, status >= 300 ? reason_for_status (status, reason) : reason, (guint) status);
    break;
  case ZC_SIP_END_REMOTE_HANGUP:
    call_set_reason (call, "remote hangup", 0);
    break;
  case ZC_SIP_END_CANCELLED:
    call_set_reason (call, "cancelled", 487);
    break;
  case ZC_SIP_END_REJECTED:
    call_set_reason (call, reason_for_status (status, reason), (guint) status);
    break;
  case ZC_SIP_END_TIMEOUT:
    call_set_reason (call, status == 408 ? "no answer" : reason, (guint) status);
    break;
  case ZC_SIP_END_TRANSPORT:
  default:
    call_set_reason (call, "unreachable", (guint) status);
    break;
  }
  call_finish (call);
}

/* ---- commands ------------------------------------------------------------------- */

static gboolean
answer_call (ZcCall *call, GError **error)
{
  if (call->outgoing || call->state != CALL_RINGING || call->session == NULL) {
    g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_STATE, _("call %s is not ringing here"), call->id);
    return FALSE;
  }
  g_clear_handle_id (&call->auto_answer_id, g_source_remove);
  zc_sip_session_answer (call->session, call->pending_answer);
  g_clear_pointer (&call->pending_answer, g_free);
  if (call->remote_offer != NULL) {
    g_autoptr (ZcSdpSession) answer = NULL;
    g_autoptr (ZcCodec) chosen = NULL;
    ZcSdpLocal local = local_sdp (call, ZC_MEDIA_DIRECTION_SENDRECV);

    /* The same negotiation as for the answer just sent, for its codec. */
    if (zc_sdp_negotiate_answer (call->remote_offer, &local, &answer, NULL, &chosen, NULL))
      call_media_start (call, call->remote_offer, chosen);
    g_clear_pointer (&call->remote_offer, zc_sdp_session_free);
  }
  mark_answered (call);
  return TRUE;
}

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
    uri = zc_target_resolve (calls->peers, target, error);
    if (uri == NULL || !zc_target_flow_for_uri (calls->peers, uri, &flow, error))
      return NULL;
  }
  call = call_new (calls, TRUE);
  call->peer_uri = g_strdup (uri);
  call->flow = flow;
  call->via_rendezvous = via_rendezvous;
  peer = zc_target_peer_by_address (calls->peers, flow.address);
  if (peer != NULL)
    g_variant_lookup (peer, "name", "s", &call->peer_name);
  call->local_address = zc_sip_transport_local_address_for (calls->transport, flow.address);
  if (call->local_address == NULL) {
    g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_FAILED, _("no route to %s"), flow.address);
    goto fail;
  }
  /* The INVITE goes out once the candidates are known (media_ready_cb). */
  if (!call_media_new (call, TRUE, FALSE, error))
    goto fail;
  call->state = CALL_CALLING;
  call->ring_timeout_id = g_timeout_add_seconds (RING_TIMEOUT_S, ring_timeout_cb, call);
  g_message (_("calling %s (call %s)"), uri, call->id);
  emit (call, "calling");
  return g_strdup (call->id);

fail:
  g_ptr_array_remove (calls->calls, call);
  call_free (call);
  return NULL;
}

gboolean
zc_calls_answer (ZcCalls *calls, const char *id, GError **error)
{
  ZcCall *call = find_call (calls, id, fits_ringing_incoming, error);
  return call != NULL && answer_call (call, error);
}

gboolean
zc_calls_decline (ZcCalls *calls, const char *id, GError **error)
{
  ZcCall *call = find_call (calls, id, fits_ringing_incoming, error);

  if (call == NULL)
    return FALSE;
  if (call->outgoing || call->state != CALL_RINGING || call->session == NULL) {
    g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_STATE, _("call %s is not ringing here"), call->id);
    return FALSE;
  }
  call_set_reason (call, "declined", 603);
  call_stop_tone (call);
  zc_sip_session_reject (call->session, 603, "Decline");
  return TRUE;
}

gboolean
zc_calls_hangup (ZcCalls *calls, const char *id, GError **error)
{
  ZcCall *call = find_call (calls, id, fits_live, error);

  if (call == NULL)
    return FALSE;
  if (call->state == CALL_ENDED) {
    g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_STATE, _("call %s has already ended"), call->id);
    return FALSE;
  }
  if (!call->outgoing && call->state == CALL_RINGING)
    call_set_reason (call, "declined", 603);
  else
    call_set_reason (call, call->state == CALL_CALLING || call->state == CALL_RINGING ? "cancelled" : "hangup", 0);
  if (call->session != NULL)
    zc_sip_session_hangup (call->session);
  call_finish (call);
  return TRUE;
}

guint
zc_calls_hangup_all (ZcCalls *calls)
{
  guint n = 0;

  for (guint i = 0; i < calls->calls->len; i++) {
    ZcCall *call = g_ptr_array_index (calls->calls, i);

    if (call->state != CALL_ENDED && zc_calls_hangup (calls, call->id, NULL))
      n++;
  }
  return n;
}

gboolean
zc_calls_hold (ZcCalls *calls, const char *id, gboolean hold, GError **error)
{
  ZcCall *call = find_call (calls, id, fits_established, error);
  g_autofree char *offer = NULL;
  ZcSdpLocal local;

  if (call == NULL)
    return FALSE;
  if ((call->state != CALL_ACTIVE && call->state != CALL_HELD) || call->session == NULL) {
    g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_STATE, _("call %s is not established"), call->id);
    return FALSE;
  }
  if (call->local_hold == hold)
    return TRUE;
  call->sdp_version++;
  local = local_sdp (call, our_direction (hold));
  offer = zc_sdp_build_offer (&local);
  if (!zc_sip_session_reinvite (call->session, offer)) {
    g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_STATE, _("call %s is busy with another change; try again"),
                 call->id);
    return FALSE;
  }
  g_clear_pointer (&call->our_offer, zc_sdp_session_free);
  call->our_offer = zc_sdp_parse (offer, NULL);
  call->hold_pending = hold ? 1 : 0;
  return TRUE;
}

gboolean
zc_calls_send_dtmf (ZcCalls *calls, const char *id, const char *digits, GError **error)
{
  ZcCall *call = find_call (calls, id, fits_established, error);
  gsize n = strlen (digits);

  if (call == NULL)
    return FALSE;
  if ((call->state != CALL_ACTIVE && call->state != CALL_HELD) || call->session == NULL) {
    g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_STATE, _("call %s is not established"), call->id);
    return FALSE;
  }
  /* The 16 events of RFC 4733 3.2; lower-case a-d are taken as A-D. */
  if (n == 0 || n > ZC_CALLS_DTMF_MAX_DIGITS || strspn (digits, "0123456789*#ABCDabcd") != n) {
    g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_INVALID,
                 _("DTMF digits must be 1 to %d of 0-9, *, #, A-D"), ZC_CALLS_DTMF_MAX_DIGITS);
    return FALSE;
  }
  if (call->media == NULL || !zc_media_stream_is_started (call->media)) {
    g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_STATE, _("call %s has no media stream yet"), call->id);
    return FALSE;
  }
  g_autofree char *upper = g_ascii_strup (digits, -1);
  return zc_media_stream_send_dtmf (call->media, upper, error);
}

GVariant *
zc_calls_list (ZcCalls *calls)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < calls->calls->len; i++)
    g_variant_builder_add_value (&b, call_to_variant (g_ptr_array_index (calls->calls, i)));
  return g_variant_builder_end (&b);
}


guint
zc_calls_count_live (ZcCalls *calls)
{
  guint n = 0;

  for (guint i = 0; i < calls->calls->len; i++)
    n += ((ZcCall *) g_ptr_array_index (calls->calls, i))->state != CALL_ENDED;
  return n;
}

void
zc_calls_set_dnd (ZcCalls *calls, gboolean dnd)
{
  calls->dnd = dnd;
}

void
zc_calls_set_rendezvous (ZcCalls *calls, ZcRendezvous *rendezvous)
{
  calls->rendezvous = rendezvous;
}

ZcSipUa *
zc_calls_get_ua (ZcCalls *calls)
{
  return calls->ua;
}

ZcCalls *
zc_calls_new (ZcSipTransport *transport, const ZcConfig *config, ZcPeerTable *peers, const ZcCallsObserver *observer,
              gpointer user_data)
{
  static const ZcSipUaCallbacks ua_events = {
    .incoming = ua_incoming_cb,
    .progress = ua_progress_cb,
    .established = ua_established_cb,
    .reoffer = ua_reoffer_cb,
    .reinvite_done = ua_reinvite_done_cb,
    .ended = ua_ended_cb,
  };
  ZcCalls *calls = g_new0 (ZcCalls, 1);
  ZcSipIdentity identity = { .user = config->user, .display_name = config->display_name };

  calls->config = config;
  calls->transport = transport;
  calls->peers = peers;
  calls->observer = *observer;
  calls->observer_data = user_data;
  calls->calls = g_ptr_array_new ();
  calls->ua = zc_sip_ua_new (transport, &identity, &ua_events, calls);
  return calls;
}

void
zc_calls_free (ZcCalls *calls)
{
  if (calls == NULL)
    return;
  calls->observer = (ZcCallsObserver){ 0 };
  zc_calls_hangup_all (calls);
  g_clear_pointer (&calls->ua, zc_sip_ua_free);
  g_ptr_array_foreach (calls->calls, (GFunc) (void (*) (void)) call_free, NULL);
  g_ptr_array_unref (calls->calls);
  g_free (calls);
}
