/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A call's media as the core drives it: the stream's creation from the
 * configuration, its start once both descriptions are known, its events
 * (ready, digits, timeout, ICE failure, DTLS-SRTP keyed or failed), the
 * [security] policy and the ICE restart backstop.  Everything goes
 * through ZcCallStreamOps; the default wraps ZcMediaStream, reached
 * through the media module (core/media-loader.h). */
#define G_LOG_DOMAIN "calls"

#include "config.h"
#include "core/call-private.h"

#include <string.h>

#include "core/media-loader.h"
#include "media/dtls-srtp.h"
#include "media/sdes-srtp.h"
#include "trust/fingerprint.h"
#include "trust/identity.h"


/* ---- the default media: ZcMediaStream, from the module -------------------------------------------- */

#define STREAM(m) ((ZcMediaStream *) (m))
/* The module is open once a stream exists: only create can fail to load it. */
#define MODULE() (zc_media_loader_peek ())

static ZcCallStream *
stream_create (const ZcMediaStreamConfig *config, const ZcMediaStreamCallbacks *callbacks, gpointer user_data,
               GError **error)
{
  const ZcMediaModule *module = zc_media_loader_get (error);

  if (module == NULL)
    return NULL;
  return (ZcCallStream *) module->stream_new (config, callbacks, user_data, error);
}

static void
stream_free (ZcCallStream *media)
{
  MODULE ()->stream_free (STREAM (media));
}

static void
stream_get_local (ZcCallStream *media, const char **address, guint16 *rtp_port, guint16 *rtcp_port,
                  const char **ice_attributes)
{
  *address = MODULE ()->get_address (STREAM (media));
  *rtp_port = MODULE ()->get_rtp_port (STREAM (media));
  *rtcp_port = MODULE ()->get_rtcp_port (STREAM (media));
  *ice_attributes = MODULE ()->get_ice_attributes (STREAM (media));
}

static gboolean
stream_start (ZcCallStream *media, const ZcMediaRemote *remote, GError **error)
{
  return MODULE ()->start (STREAM (media), remote, error);
}

static gboolean
stream_is_started (ZcCallStream *media)
{
  return MODULE ()->is_started (STREAM (media));
}

static gboolean
stream_restart_ice (ZcCallStream *media, GError **error)
{
  return MODULE ()->restart_ice (STREAM (media), error);
}

static gboolean
stream_set_remote_ice (ZcCallStream *media, const char *ufrag, const char *pwd, const char *const *candidates,
                       GError **error)
{
  return MODULE ()->set_remote_ice (STREAM (media), ufrag, pwd, candidates, error);
}

static gboolean
stream_is_ice_restart (ZcCallStream *media, const char *ufrag)
{
  return MODULE ()->is_ice_restart (STREAM (media), ufrag);
}

static gboolean
stream_is_connected (ZcCallStream *media)
{
  return MODULE ()->is_connected (STREAM (media));
}

static gboolean
stream_can_relay (ZcCallStream *media)
{
  return MODULE ()->can_relay (STREAM (media));
}

static gboolean
stream_send_dtmf (ZcCallStream *media, const char *digits, GError **error)
{
  return MODULE ()->send_dtmf (STREAM (media), digits, error);
}

static void
stream_set_muted (ZcCallStream *media, gboolean muted)
{
  MODULE ()->set_muted (STREAM (media), muted);
}

static void
stream_set_conference (ZcCallStream *media, guint group)
{
  MODULE ()->set_conference (STREAM (media), group);
}

static void
stream_set_held (ZcCallStream *media, gboolean held)
{
  MODULE ()->set_held (STREAM (media), held);
}

static void
stream_set_waiting_tone (ZcCallStream *media, gboolean on)
{
  MODULE ()->set_waiting_tone (STREAM (media), on);
}

static GVariant *
stream_describe (ZcCallStream *media, char **audio_error)
{
  if (!MODULE ()->is_started (STREAM (media)))
    return NULL;
  *audio_error = MODULE ()->get_audio_error (STREAM (media));
  return MODULE ()->describe (STREAM (media));
}

static void
stream_play_tone (ZcCallStream *media, ZcMediaTone tone)
{
  MODULE ()->play_tone (STREAM (media), tone);
}

static void
stream_stop_tone (ZcCallStream *media)
{
  MODULE ()->stop_tone (STREAM (media));
}

static const char *
stream_peer_fingerprint (ZcCallStream *media)
{
  return MODULE ()->get_peer_fingerprint (STREAM (media));
}

static const char *
stream_srtp_suite (ZcCallStream *media)
{
  return MODULE ()->get_srtp_suite (STREAM (media));
}

const ZcCallStreamOps zc_call_stream_default_ops = {
  .create = stream_create,
  .free = stream_free,
  .get_local = stream_get_local,
  .start = stream_start,
  .is_started = stream_is_started,
  .restart_ice = stream_restart_ice,
  .set_remote_ice = stream_set_remote_ice,
  .is_ice_restart = stream_is_ice_restart,
  .is_connected = stream_is_connected,
  .can_relay = stream_can_relay,
  .send_dtmf = stream_send_dtmf,
  .set_muted = stream_set_muted,
  .set_conference = stream_set_conference,
  .set_held = stream_set_held,
  .set_waiting_tone = stream_set_waiting_tone,
  .describe = stream_describe,
  .play_tone = stream_play_tone,
  .stop_tone = stream_stop_tone,
  .peer_fingerprint = stream_peer_fingerprint,
  .srtp_suite = stream_srtp_suite,
};

/* ---- the ICE restart backstop ------------------------------------------------------ */

static gboolean ice_backstop (ZcCall *call);

static gboolean
ice_backstop_cb (gpointer user_data)
{
  ZcCall *call = user_data;

  call->ice_backstop_id = 0;
  if (call->media == NULL || call->calls->media_ops->is_connected (call->media))
    return G_SOURCE_REMOVE;
  if (!call->outgoing || call->ice_restarted) {
    /* The caller's restart never came, or the restarted checks failed too. */
    zc_call_end_for_media (call, "no media path");
    return G_SOURCE_REMOVE;
  }
  if (!ice_backstop (call))
    zc_call_end_for_media (call, "no media path");
  return G_SOURCE_REMOVE;
}

static void
ice_backstop_grace (ZcCall *call)
{
  call->ice_backstop_id = g_timeout_add (call->calls->timers.ice_backstop_grace_ms, ice_backstop_cb, call);
}

/* Calls through the rendezvous with a TURN server get a second chance
 * when no candidate pair works (RFC 8445 leaves it to us): the
 * caller restarts ICE in a re-INVITE, so a path that was blocked for a
 * moment is found again instead of the call ending.  ICE_BACKSTOP_MS
 * after the checks began, or at once when they all failed sooner.
 *
 * A network that lets no UDP out (hotel, guest Wi-Fi, strict egress)
 * also fails the UDP relay: while nothing is keyed yet (DTLS has not
 * run), the restart replaces the stream with a fresh one that gathers
 * relays over TCP and over TLS on the same server besides what the first
 * had (libnice gathers once per stream: a restart keeps the candidates,
 * a second gather is ignored).  Once keyed, or when the server is already
 * turns:, the restart keeps the stream and its candidates.  Not a
 * relay-only restart: libnice's force-relay set on a running agent gave
 * checks that never connected in the lab. */
static gboolean
ice_backstop_possible (ZcCall *call)
{
  return call->via_rendezvous && !call->ice_restarted && call->media != NULL
         && call->calls->media_ops->can_relay (call->media) && call->session != NULL;
}

void
zc_call_ice_backstop_arm (ZcCall *call)
{
  const ZcCallTimers *timers = &call->calls->timers;

  if (ice_backstop_possible (call) && call->ice_backstop_id == 0)
    call->ice_backstop_id = g_timeout_add (call->outgoing ? timers->ice_backstop_ms : timers->ice_backstop_grace_ms,
                                           ice_backstop_cb, call);
}

/* The restart offer (new ICE credentials, and a fresh stream's
 * candidates) in a re-INVITE.  FALSE when it cannot be sent. */
static gboolean
ice_backstop_offer (ZcCall *call)
{
  g_autofree char *offer = NULL;
  ZcSdpLocal local;

  call->sdp_version++;
  local = zc_call_local_sdp (call, zc_call_our_direction (call->local_hold));
  offer = zc_sdp_build_offer (&local);
  g_clear_pointer (&call->our_offer, zc_sdp_session_free);
  call->our_offer = zc_sdp_parse (offer, NULL);
  if (!zc_sip_session_reinvite (call->session, offer)) {
    g_message ("call %s: cannot send the re-INVITE for the ICE restart", call->id);
    return FALSE;
  }
  call->ice_restart_pending = TRUE;
  /* The restarted checks get as long again; then the call ends. */
  g_clear_handle_id (&call->ice_backstop_id, g_source_remove);
  ice_backstop_grace (call);
  return TRUE;
}

static gboolean call_stream_create (ZcCall *call, gboolean controlling, gboolean rtcp_mux, guint extra_relays,
                                    GError **error);

/* The relays a fresh stream adds to the configured one: TCP and TLS
 * beside UDP, TLS beside TCP; none beside turns: (its port says nothing
 * of where plain TCP would be).  0 when the call cannot have one. */
static guint
ice_backstop_extra_relays (ZcCall *call)
{
  ZcIceServers servers;

  if (call->encryption != NULL || !zc_call_stream_is_started (call))
    return 0;
  if (call->calls->test_ice_servers != NULL)
    servers = *call->calls->test_ice_servers;
  else
    zc_rendezvous_get_ice_servers (call->calls->rendezvous, &servers);
  if (servers.turn_server == NULL || servers.turn_transport == ZC_TURN_TLS)
    return 0;
  return (ZC_TURN_EXTRA_TCP | ZC_TURN_EXTRA_TLS) & ~(1u << servers.turn_transport);
}

/* Replaces the unkeyed stream with one that gathers @extra relays too;
 * the offer goes out once it is ready (media_ready_cb). */
static gboolean
ice_backstop_regather (ZcCall *call, guint extra)
{
  g_autoptr (GError) error = NULL;

  g_message ("call %s: no candidate pair works; restarting ICE on a fresh stream that adds TURN over%s%s%s", call->id,
             (extra & ZC_TURN_EXTRA_TCP) != 0 ? " TCP" : "",
             (extra & ZC_TURN_EXTRA_TCP) != 0 && (extra & ZC_TURN_EXTRA_TLS) != 0 ? " and"
             : "",
             (extra & ZC_TURN_EXTRA_TLS) != 0 ? " TLS" : "");
  call->calls->media_ops->free (g_steal_pointer (&call->media));
  /* The offer offers rtcp-mux again; the answer decides. */
  if (!call_stream_create (call, TRUE, FALSE, extra, &error)) {
    g_message ("call %s: no fresh stream for the ICE restart: %s", call->id, error->message);
    return FALSE;
  }
  if (call->muted && call->calls->media_ops->set_muted != NULL)
    call->calls->media_ops->set_muted (call->media, TRUE);
  call->ice_regathering = TRUE;
  /* Gathering the new relays counts against the grace time too. */
  ice_backstop_grace (call);
  return TRUE;
}

/* The backstop's restart.  FALSE when it cannot be sent. */
static gboolean
ice_backstop (ZcCall *call)
{
  g_autoptr (GError) error = NULL;
  guint extra;

  call->ice_restarted = TRUE;
  if (call->session == NULL) {
    g_message ("call %s: no ICE restart: no dialog", call->id);
    return FALSE;
  }
  if ((extra = ice_backstop_extra_relays (call)) != 0)
    return ice_backstop_regather (call, extra);
  if (!call->calls->media_ops->restart_ice (call->media, &error)) {
    g_message ("call %s: no ICE restart: %s", call->id, error->message);
    return FALSE;
  }
  g_message ("call %s: no candidate pair works; restarting ICE", call->id);
  return ice_backstop_offer (call);
}

gboolean
zc_call_ice_restart_answered (ZcCall *call, const ZcSdpSession *answer, const ZcCodec *chosen, GError **error)
{
  const ZcCodec *te;

  if (call->media == NULL) {
    g_set_error_literal (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_FAILED, "no media stream");
    return FALSE;
  }
  if (zc_call_stream_is_started (call))
    return call->calls->media_ops->set_remote_ice (call->media, zc_sdp_session_get_ice_ufrag (answer),
                                                   zc_sdp_session_get_ice_pwd (answer),
                                                   zc_sdp_session_get_ice_candidates (answer), error);
  /* The backstop's fresh stream: it starts as the first did. */
  zc_call_codec_describe (call, chosen);
  te = zc_sdp_session_find_telephone_event (answer, chosen->clock_rate);
  if (!zc_call_stream_start (call, answer, chosen, te != NULL ? te->pt : -1, zc_sdp_session_get_crypto (answer))) {
    g_set_error_literal (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_FAILED, "the fresh stream did not start");
    return FALSE;
  }
  return TRUE;
}

gboolean
zc_call_ice_restart_by_peer (ZcCall *call, const ZcSdpSession *offer, GError **error)
{
  const ZcCallStreamOps *ops = call->calls->media_ops;

  if (call->media == NULL || !ops->is_ice_restart (call->media, zc_sdp_session_get_ice_ufrag (offer)))
    return TRUE;
  /* RFC 8839 4.4.1.1.2: a new ufrag is an ICE restart; ours restarts
   * too, and the answer carries our new credentials. */
  call->ice_restarted = TRUE;
  g_clear_handle_id (&call->ice_backstop_id, g_source_remove);
  if (!ops->restart_ice (call->media, error)
      || !ops->set_remote_ice (call->media, zc_sdp_session_get_ice_ufrag (offer), zc_sdp_session_get_ice_pwd (offer),
                               zc_sdp_session_get_ice_candidates (offer), error)) {
    g_message ("call %s: cannot restart ICE: %s", call->id, (*error)->message);
    return FALSE;
  }
  g_message ("call %s: the peer restarted ICE", call->id);
  ice_backstop_grace (call);
  return TRUE;
}

/* ---- the agent's identity and the [security] policy -------------------------------- */

static ZcIdentity *
call_identity (ZcCall *call)
{
  return call->calls->identity;
}

const char *
zc_call_stream_fingerprint (ZcCall *call)
{
  ZcIdentity *identity = call_identity (call);

  return identity != NULL ? zc_identity_get_fingerprint (identity) : NULL;
}

gboolean
zc_call_signalling_secure (ZcCall *call)
{
  return call->flow.proto == ZC_SIP_TLS;
}

const char *
zc_call_stream_sdes_key (ZcCall *call)
{
  g_autoptr (GError) error = NULL;

  if (!zc_call_signalling_secure (call))
    return NULL;
  if (call->sdes_key == NULL && (call->sdes_key = zc_sdes_key_new (&error)) == NULL)
    g_warning ("call %s: %s", call->id, error->message);
  return call->sdes_key;
}

gboolean
zc_call_stream_plain_allowed (ZcCall *call)
{
  /* required-for-zcall: a zcall agent always offers and answers with a
   * fingerprint, so plain RTP only ever happens with a peer that cannot
   * encrypt; a discovered zcall peer whose SDP comes without one is
   * refused by zc_call_stream_check_pin() whatever this says. */
  return call->calls->config->media_encryption != ZC_MEDIA_ENCRYPTION_REQUIRED;
}

static void
call_set_security (ZcCall *call, const char *security, const char *suite, const char *peer_fingerprint)
{
  g_free (call->security);
  g_free (call->srtp_suite);
  g_free (call->peer_fingerprint);
  call->security = g_strdup (security);
  call->srtp_suite = g_strdup (suite);
  call->peer_fingerprint = g_strdup (peer_fingerprint);
}

static gboolean
security_end_cb (gpointer user_data)
{
  ZcCall *call = user_data;

  call->security_end_id = 0;
  if (call->state != ZC_CALL_ENDED)
    zc_call_end_for_media (call, call->security_end_reason ? call->security_end_reason : "encryption required");
  return G_SOURCE_REMOVE;
}

/* The caller is still inside the SIP event that brought the description:
 * the call ends from the main loop. */
static void
security_end_later (ZcCall *call, const char *reason)
{
  call->security_end_reason = reason;
  if (call->security_end_id == 0)
    call->security_end_id = g_idle_add (security_end_cb, call);
}

static gboolean
same_key (const char *a, const char *b)
{
  ZcFingerprint fa, fb;

  return a != NULL && b != NULL && zc_fingerprint_parse (a, &fa, NULL) && zc_fingerprint_parse (b, &fb, NULL)
         && zc_fingerprint_equal (&fa, &fb);
}

/* DTLS checks the certificate against the SDP's a=fingerprint before any
 * key is installed, so an SDP fingerprint equal to the pin makes the
 * handshake prove the pinned key before the first frame goes out or is
 * played; checking here, before the media starts, keeps an impostor's
 * key from ever getting one. */
const char *
zc_call_stream_check_pin (ZcCall *call, const ZcSdpSession *remote)
{
  const char *offered;

  if (call->claimed_fingerprint == NULL)
    return NULL;
  offered = zc_sdp_session_get_fingerprint (remote);
  if (offered == NULL || zc_call_stream_fingerprint (call) == NULL)
    return "encryption required";
  if (!same_key (offered, call->claimed_fingerprint)) {
    g_message ("call %s: the SDP offers key %s, the peer is pinned with %s", call->id, offered,
               call->claimed_fingerprint);
    return "identity mismatch";
  }
  return NULL;
}

/* The key DTLS proved names the peer when it is the pinned key of a
 * discovered zcall peer (not one whose key changed); a caller's name
 * comes from here, never from its address or From header.  SECURITY says
 * "verified" only for a pin the user compared and confirmed (zcall trust):
 * a pin taken on first sight (new) or kept since (known) proves that the
 * key is the one first seen, not whose it is, so those calls stay
 * "encrypted" — the word means what it means in the TRUST column. */
static void
call_prove_peer (ZcCall *call, const char *proven)
{
  ZcPeer *peer = call->calls->peers != NULL ? zc_peer_table_lookup_fingerprint (call->calls->peers, proven) : NULL;
  const char *trust = peer != NULL ? zc_peer_get_trust (peer) : NULL;

  if (peer == NULL || zc_peer_is_conflict (peer)
      || !(g_strcmp0 (trust, "new") == 0 || g_strcmp0 (trust, "known") == 0 || g_strcmp0 (trust, "verified") == 0))
    return;
  call->peer_verified = TRUE;
  g_free (call->peer_trust);
  call->peer_trust = g_strdup (trust);
  /* Also for an outgoing call: what was dialed may be an address or an
   * entry without a key, and the name shown must be the proven one. */
  g_free (call->peer_name);
  call->peer_name = g_strdup (zc_peer_get_name (peer));
  if (g_strcmp0 (trust, "verified") == 0) {
    g_free (call->security);
    call->security = g_strdup ("verified");
  }
  g_message ("call %s: the peer's key is the one pinned for “%s” (%s)", call->id, call->peer_name, trust);
}

/* ---- media events ------------------------------------------------------------------ */

static void
media_secured_cb (ZcMediaStream *stream G_GNUC_UNUSED, const GError *error, gpointer user_data)
{
  ZcCall *call = user_data;

  if (call->state == ZC_CALL_ENDED)
    return;
  if (error != NULL) {
    /* Nothing was sent or played: the media never had keys. */
    zc_call_end_for_media (call, g_error_matches (error, ZC_DTLS_ERROR, ZC_DTLS_ERROR_IDENTITY_MISMATCH)
                                   ? "identity mismatch"
                                 : g_error_matches (error, ZC_DTLS_ERROR, ZC_DTLS_ERROR_TIMED_OUT)
                                   ? "DTLS handshake timed out"
                                   : "DTLS handshake failed");
    return;
  }
  call_set_security (call, "encrypted", call->calls->media_ops->srtp_suite (call->media),
                     call->calls->media_ops->peer_fingerprint (call->media));
  call->encryption = call->keying;
  /* The SDP was checked against the pin before the media started; this
   * catches a description that changed since (a re-INVITE). */
  if (call->claimed_fingerprint != NULL && !same_key (call->peer_fingerprint, call->claimed_fingerprint)) {
    g_message ("call %s: DTLS proved key %s, the peer is pinned with %s", call->id,
               call->peer_fingerprint ? call->peer_fingerprint : "(none)", call->claimed_fingerprint);
    zc_call_end_for_media (call, "identity mismatch");
    return;
  }
  /* SDES proves no key: its keys are whatever the signalling carried. */
  if (call->peer_fingerprint != NULL)
    call_prove_peer (call, call->peer_fingerprint);
  zc_call_emit (call, "secured");
}

static void
media_ready_cb (ZcMediaStream *stream G_GNUC_UNUSED, const GError *error, gpointer user_data)
{
  ZcCall *call = user_data;

  if (call->state == ZC_CALL_ENDED)
    return;
  if (call->ice_regathering) {
    call->ice_regathering = FALSE;
    if (error != NULL)
      g_message ("call %s: the fresh stream gathered nothing: %s", call->id, error->message);
    if (error != NULL || !ice_backstop_offer (call))
      zc_call_end_for_media (call, "no media path");
    return;
  }
  if (error != NULL) {
    g_warning ("call %s: no media transport: %s", call->id, error->message);
    call->answering = FALSE;
    if (call->outgoing) {
      zc_call_set_reason (call, "no media", 0);
      zc_call_end (call);
    } else {
      zc_call_refuse (call, "no media", 500, "No Media Transport");
    }
    return;
  }
  if (call->answering) {
    zc_call_finish_answer (call);
    return;
  }
  zc_call_fire (call, ZC_CALL_EV_MEDIA_READY);
}

static void
media_digit_cb (ZcMediaStream *stream G_GNUC_UNUSED, char digit, gpointer user_data)
{
  ZcCall *call = user_data;
  ZcCalls *calls = call->calls;
  g_autoptr (GVariant) view = g_variant_ref_sink (zc_call_to_variant (call));
  GVariantDict dict;

  g_message ("call %s: DTMF %c", call->id, digit);
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
media_timeout_cb (ZcMediaStream *stream G_GNUC_UNUSED, gpointer user_data)
{
  zc_call_end_for_media (user_data, "media timeout");
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
      zc_call_ice_backstop_arm (call); /* wait for the caller's restart */
      return;
    }
    if (ice_backstop (call))
      return;
  }
  zc_call_end_for_media (call, "no media path");
}

/* ---- creation and start ------------------------------------------------------------ */

gboolean
zc_call_stream_new (ZcCall *call, gboolean controlling, gboolean rtcp_mux, GError **error)
{
  return call_stream_create (call, controlling, rtcp_mux, 0, error);
}

/* @extra_relays: ZC_TURN_EXTRA_* (the ICE restart backstop). */
static gboolean
call_stream_create (ZcCall *call, gboolean controlling, gboolean rtcp_mux, guint extra_relays, GError **error)
{
  static const ZcMediaStreamCallbacks callbacks = {
    .ready = media_ready_cb,
    .digit = media_digit_cb,
    .timeout = media_timeout_cb,
    .failed = media_failed_cb,
    .secured = media_secured_cb,
  };
  const ZcConfig *config = call->calls->config;
  ZcIdentity *identity = call_identity (call);
  const char *zone = strchr (call->flow.address, '%');
  /* A call over a link-local address gathers on our link-local address of
   * that link: it cannot be bound, nor its peer reached, without the zone
   * (the SDP shows it without, SIP and SDP have no syntax for zones). */
  g_autofree char *scoped = call->local_address != NULL && zone != NULL &&
                                    g_ascii_strncasecmp (call->local_address, "fe80:", 5) == 0
                                ? g_strconcat (call->local_address, zone, NULL)
                                : NULL;
  ZcMediaStreamConfig media = {
    .call_id = call->id,
    .local_address = scoped != NULL ? scoped : call->local_address,
    .controlling = controlling,
    .rtcp_mux = rtcp_mux,
    .port_min = config->rtp_port_min,
    .port_max = config->rtp_port_max,
    .capture_device = config->capture_device,
    .playback_device = config->playback_device,
    .ring_device = config->ring_device,
    .aec = {
      .kind = config->echo_canceller_speex ? ZC_AEC_SPEEX : ZC_AEC_WEBRTC,
      .tail_ms = config->echo_tail_ms,
      .echo_cancel = config->echo_cancel,
      .denoise = config->denoise,
      .agc = config->agc,
    },
    .media_timeout_ms = config->media_timeout_ms,
    .jitter_ms = config->jitter_ms,
    .certificate = identity != NULL ? zc_identity_get_certificate (identity) : NULL,
    .private_key = identity != NULL ? zc_identity_get_private_key (identity) : NULL,
  };

  if (call->calls->test_ice_servers != NULL)
    media.ice_servers = *call->calls->test_ice_servers;
  else
    zc_rendezvous_get_ice_servers (call->calls->rendezvous, &media.ice_servers);
  media.ice_servers.extra_relays = extra_relays;
  media.ice_servers.turn_tls_port = ZC_TURN_TLS_DEFAULT_PORT;
  /* An incoming call gathers host and server-reflexive candidates (a STUN
   * Binding costs the server nothing) while it rings; the TURN allocation
   * waits for the answer (zc_call_answer), so that INVITEs from anyone
   * cannot make the agent hold relays on the TURN server.  A call from the
   * LAN gets none at all: host candidates reach its caller, whose own
   * relay candidates (an outgoing call gathers them) cover the rest, and
   * its answer is not held up by an allocation. */
  if (!call->outgoing && call->state == ZC_CALL_INCOMING && media.ice_servers.turn_server != NULL) {
    if (media.ice_servers.stun_server == NULL) {
      /* libnice learns the mapped address from the allocation otherwise. */
      media.ice_servers.stun_server = media.ice_servers.turn_server;
      media.ice_servers.stun_port = media.ice_servers.turn_port;
    }
    media.ice_servers.turn_server = NULL;
    media.ice_servers.turn_port = 0;
    media.ice_servers.turn_username = NULL;
    media.ice_servers.turn_password = NULL;
    call->relay_at_answer = TRUE;
  }
  media.ice_tcp = call->via_rendezvous && config->ice_tcp;
  zc_codec_options_init (&media.codec_options);
  media.codec_options.bitrate_bps = config->opus_bitrate_bps;
  media.codec_options.dtx = config->opus_dtx;
  media.codec_options.opus_pcm_rate = config->opus_rate_hz;
  call->media = call->calls->media_ops->create (&media, &callbacks, call, error);
  return call->media != NULL;
}

/* The packet time we send and play out at: what the peer's a=ptime asks
 * for when it is one we send, else the default. */
static guint
negotiated_ptime_ms (const ZcSdpSession *remote)
{
  guint asked = zc_sdp_session_get_ptime_ms (remote);

  return ZC_CALL_SENDS_PTIME (asked) ? asked : ZC_CALL_DEFAULT_PTIME_MS;
}

/* Starts the media once both descriptions are known: @remote is the peer's
 * offer or answer, @chosen the codec to send with. */
gboolean
zc_call_stream_start (ZcCall *call,
                      const ZcSdpSession *remote,
                      const ZcCodec *chosen,
                      gint te_pt,
                      const ZcSdpCrypto *sdes)
{
  g_autoptr (GError) error = NULL;
  ZcMediaRemote peer = {
    .address = zc_sdp_session_get_address (remote),
    .rtp_port = zc_sdp_session_get_port (remote),
    .rtcp_port = zc_sdp_session_get_rtcp_port (remote),
    .rtcp_mux = zc_sdp_session_get_rtcp_mux (remote),
    .ice_ufrag = zc_sdp_session_get_ice_ufrag (remote),
    .ice_pwd = zc_sdp_session_get_ice_pwd (remote),
    .ice_candidates = zc_sdp_session_get_ice_candidates (remote),
    .codec = chosen,
    .ptime_ms = negotiated_ptime_ms (remote),
    .telephone_event_pt = te_pt,
  };
  gboolean we_offered = call->outgoing || call->late_offer;
  const char *refusal = zc_call_stream_check_pin (call, remote);

  if (refusal != NULL) {
    g_message ("call %s: a discovered zcall peer: %s", call->id, refusal);
    security_end_later (call, refusal);
    return FALSE;
  }

  /* DTLS-SRTP when both descriptions carry a fingerprint (ours is in every
   * offer and in answers to offers with one).  RFC 8842 5.2: the answerer
   * is active, so the offerer is the server unless the answer says
   * passive. */
  if (zc_call_stream_fingerprint (call) != NULL && zc_sdp_session_get_fingerprint (remote) != NULL) {
    const char *setup = zc_sdp_session_get_setup (remote);

    peer.fingerprint = zc_sdp_session_get_fingerprint (remote);
    peer.dtls_client = !we_offered || g_strcmp0 (setup, "passive") == 0;
    call->keying = "dtls-srtp";
  } else if (sdes != NULL && zc_call_stream_sdes_key (call) != NULL) {
    /* SDES only as the fallback: the peer's SDP has no fingerprint, and
     * both descriptions went over TLS (our key is only ever written
     * then, and the peer's only taken then). */
    peer.sdes_suite = sdes->suite;
    peer.sdes_remote_key = sdes->key;
    peer.sdes_local_key = zc_call_stream_sdes_key (call);
    call->keying = "sdes-srtp";
    g_message ("call %s: SDES-SRTP (%s, tag %u) over TLS signalling", call->id, sdes->suite, sdes->tag);
  } else if (!zc_call_stream_plain_allowed (call)) {
    /* The caller is still inside the SIP event that brought the answer:
     * end from the main loop. */
    g_message ("call %s: the peer's SDP has no a=fingerprint and plain RTP is not allowed", call->id);
    security_end_later (call, "encryption required");
    return FALSE;
  }
  if (peer.fingerprint == NULL && peer.sdes_suite == NULL)
    call_set_security (call, "PLAIN", NULL, NULL);

  if (call->media == NULL || !call->calls->media_ops->start (call->media, &peer, &error)) {
    g_warning ("call %s: no media: %s", call->id, error ? error->message : "no media stream");
    return FALSE;
  }
  return TRUE;
}

gboolean
zc_call_stream_is_started (ZcCall *call)
{
  return call->media != NULL && call->calls->media_ops->is_started (call->media);
}
