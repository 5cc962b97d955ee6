/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "media"

#include "config.h"
#include "media/media-stream-private.h"

#include <errno.h>
#include <string.h>

/* Devices ask for 48 kHz whatever the codec: every sound server runs there,
 * and the engine's resampler meets the codec's rate. */
#define DEVICE_RATE_HZ 48000
/* Between the audio thread and the media thread.  The media thread takes
 * a ptime (10 or 20 ms) at a time; 8192 samples is 170 ms at 48 kHz,
 * enough to ride out a late tick without adding latency in steady state
 * (the rings run near empty). */
#define RING_SAMPLES 8192

static gboolean dispatch_cb (gpointer user_data);

/* Delivers every pending event: the digits first (a digit callback only
 * reports), then at most one of ready, failed and timeout, since each of
 * those may free the stream; the others stay pending for the next idle
 * run, which free() cancels. */
static gboolean
dispatch_cb (gpointer user_data)
{
  ZcMediaStream *stream = user_data;
  const ZcMediaStreamCallbacks *cb = &stream->callbacks;
  g_autofree char *digits = g_strdup (stream->pending_digits->str);
  static const Pending order[] = { PENDING_READY, PENDING_SECURED, PENDING_FAILED, PENDING_TIMEOUT };

  stream->dispatch_id = 0;
  g_string_truncate (stream->pending_digits, 0);
  for (const char *d = digits; *d != '\0' && cb->digit != NULL; d++)
    cb->digit (stream, *d, stream->user_data);

  for (guint i = 0; i < G_N_ELEMENTS (order); i++) {
    Pending what = order[i];

    if (!(stream->pending & what))
      continue;
    stream->pending &= ~what;
    if ((what == PENDING_READY && cb->ready == NULL) || (what == PENDING_FAILED && cb->failed == NULL)
        || (what == PENDING_TIMEOUT && cb->timeout == NULL) || (what == PENDING_SECURED && cb->secured == NULL))
      continue;
    if ((stream->pending != 0 || stream->pending_digits->len > 0) && stream->dispatch_id == 0)
      stream->dispatch_id = g_idle_add (dispatch_cb, stream);
    if (what == PENDING_READY)
      cb->ready (stream, stream->gather_error, stream->user_data);
    else if (what == PENDING_SECURED)
      cb->secured (stream, stream->dtls_error, stream->user_data);
    else if (what == PENDING_FAILED)
      cb->failed (stream, stream->user_data);
    else
      cb->timeout (stream, stream->user_data);
    /* Nothing is touched after it: it may have freed the stream. */
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_REMOVE;
}

static void
schedule (ZcMediaStream *stream, Pending what)
{
  stream->pending |= what;
  if (stream->dispatch_id == 0)
    stream->dispatch_id = g_idle_add (dispatch_cb, stream);
}

/* Our ICE lines and default address, after gathering or a restart. */
static gboolean
read_local_description (ZcMediaStream *stream, GError **error)
{
  g_autofree char *rtcp_address = NULL;

  g_clear_pointer (&stream->ice_attributes, g_free);
  g_clear_pointer (&stream->address, g_free);
  stream->ice_attributes = zc_ice_agent_get_local_sdp (stream->ice, error);
  if (stream->ice_attributes == NULL
      || !zc_ice_agent_get_default_address (stream->ice, ZC_ICE_COMPONENT_RTP, &stream->address, &stream->rtp_port,
                                            error))
    return FALSE;
  if (zc_ice_agent_get_n_components (stream->ice) > 1)
    return zc_ice_agent_get_default_address (stream->ice, ZC_ICE_COMPONENT_RTCP, &rtcp_address, &stream->rtcp_port,
                                             error);
  return TRUE;
}

static void
gathering_done_cb (ZcIceAgent *ice G_GNUC_UNUSED, gpointer user_data)
{
  ZcMediaStream *stream = user_data;
  GError *error = NULL;

  if (stream->ready)
    return;
  read_local_description (stream, &error);
  stream->gather_error = error;
  stream->ready = TRUE;
  schedule (stream, PENDING_READY);
}

static void
ice_state_cb (ZcIceAgent *ice G_GNUC_UNUSED, guint component_id, ZcIceState state, gpointer user_data)
{
  ZcMediaStream *stream = user_data;

  /* The first packet goes out now, not up to a frame later. */
  if (component_id == ZC_ICE_COMPONENT_RTP && (state == ZC_ICE_STATE_CONNECTED || state == ZC_ICE_STATE_READY)
      && stream->dtls != NULL)
    zc_dtls_srtp_start (stream->dtls);
  if (component_id == ZC_ICE_COMPONENT_RTP && state == ZC_ICE_STATE_CONNECTED && stream->media != NULL)
    zc_call_media_kick (stream->media);
  if (component_id == ZC_ICE_COMPONENT_RTP && state == ZC_ICE_STATE_FAILED && !stream->failed_reported) {
    stream->failed_reported = TRUE;
    g_message ("%sno ICE candidate pair works", stream->log_prefix);
    schedule (stream, PENDING_FAILED);
  }
}

/* Before start(): the answerer's ClientHello can reach us before the 200
 * OK that tells us to expect it (its ICE connects first).  Kept, it saves
 * a retransmission (250 ms) of the handshake; everything else is dropped
 * as before. */
#define EARLY_DTLS_MAX 4
static void
early_recv_cb (ZcIceAgent *ice G_GNUC_UNUSED, guint component_id, const guint8 *buf, gsize len, gpointer user_data)
{
  ZcMediaStream *stream = user_data;

  if (component_id == ZC_ICE_COMPONENT_RTP && zc_dtls_srtp_is_dtls (buf, len)
      && stream->early_dtls.length < EARLY_DTLS_MAX)
    g_queue_push_tail (&stream->early_dtls, g_bytes_new (buf, len));
}

static void
ice_pair_cb (ZcIceAgent *ice G_GNUC_UNUSED,
             guint component_id,
             const ZcIceCandidateInfo *local,
             const ZcIceCandidateInfo *remote,
             gpointer user_data)
{
  ZcMediaStream *stream = user_data;

  g_message ("%scomponent %u uses %s%s%s %s:%u -> %s %s:%u", stream->log_prefix, component_id, local->type,
             local->relay_transport[0] != '\0' ? " over " : "", local->relay_transport, local->address, local->port,
             remote->type, remote->address, remote->port);
}

ZcMediaStream *
zc_media_stream_new (const ZcMediaStreamConfig *config,
                     const ZcMediaStreamCallbacks *callbacks,
                     gpointer user_data,
                     GError **error)
{
  g_autoptr (ZcMediaStream) stream = g_new0 (ZcMediaStream, 1);
  const char *addresses[] = { config->local_address, NULL };
  ZcIceAgentConfig ice_config = {
    .controlling = config->controlling,
    .rtcp_mux = config->rtcp_mux,
    .local_addresses = config->local_address != NULL ? addresses : NULL,
    .port_min = config->port_min,
    .port_max = config->port_max,
    .servers = config->ice_servers,
    .ice_tcp = config->ice_tcp,
    .call_id = config->call_id,
  };
  static const ZcIceAgentCallbacks ice_callbacks = {
    .gathering_done = gathering_done_cb,
    .state_changed = ice_state_cb,
    .selected_pair = ice_pair_cb,
  };
  ZcIceAgentCallbacks cbs = ice_callbacks;

  stream->config = *config;
  stream->capture_device = g_strdup (config->capture_device);
  stream->playback_device = g_strdup (config->playback_device);
  stream->config.capture_device = stream->capture_device;
  stream->config.playback_device = stream->playback_device;
  stream->ring_device = g_strdup (config->ring_device);
  stream->config.ring_device = stream->ring_device;
  stream->call_id = g_strdup (config->call_id);
  stream->config.call_id = stream->call_id;
  stream->log_prefix = config->call_id != NULL ? g_strdup_printf ("call %s: ", config->call_id) : g_strdup ("");
  /* Only used here: the strings are the caller's. */
  stream->config.local_address = NULL;
  stream->has_turn = config->ice_servers.turn_server != NULL;
  stream->config.ice_servers = (ZcIceServers) { 0 };
  if (callbacks != NULL)
    stream->callbacks = *callbacks;
  stream->user_data = user_data;
  stream->pending_digits = g_string_new (NULL);

  cbs.user_data = stream;
  g_queue_init (&stream->early_dtls);
  /* Now, while candidates are gathered, not after the answer. */
  if (config->certificate != NULL)
    zc_dtls_srtp_prepare ();
  stream->ice = zc_ice_agent_new (&ice_config, &cbs, error);
  if (stream->ice == NULL || !zc_ice_agent_gather (stream->ice, error))
    return NULL;
  zc_ice_agent_set_recv_func (stream->ice, early_recv_cb, stream);
  return g_steal_pointer (&stream);
}

static void
stop_media (ZcMediaStream *stream)
{
  /* The media thread first; then the port (its rings go once the audio
   * thread has let go of them, engine.h), then what they used. */
  if (stream->media != NULL)
    zc_call_media_stop (stream->media);
  g_clear_pointer (&stream->port, zc_audio_port_free);
  g_clear_pointer (&stream->engine, zc_audio_engine_release);
  g_clear_pointer (&stream->media, zc_call_media_free);
  g_clear_pointer (&stream->rtp, zc_rtp_session_free);
  g_clear_pointer (&stream->dtls, zc_dtls_srtp_free);
  g_clear_pointer (&stream->sdes, zc_srtp_free);
  g_clear_pointer (&stream->to_network, zc_ring_free);
  g_clear_pointer (&stream->from_network, zc_ring_free);
}

void
zc_media_stream_free (ZcMediaStream *stream)
{
  if (stream == NULL)
    return;
  zc_media_stream_stop_tone (stream);
  stop_media (stream);
  g_clear_handle_id (&stream->dispatch_id, g_source_remove);
  if (stream->ice != NULL)
    zc_ice_agent_set_recv_func (stream->ice, NULL, NULL);
  g_clear_pointer (&stream->ice, zc_ice_agent_free);
  g_clear_error (&stream->gather_error);
  g_clear_error (&stream->dtls_error);
  g_queue_clear_full (&stream->early_dtls, (GDestroyNotify) g_bytes_unref);
  g_free (stream->ice_attributes);
  g_free (stream->address);
  g_free (stream->remote_ufrag);
  g_free (stream->capture_device);
  g_free (stream->playback_device);
  g_free (stream->ring_device);
  g_free (stream->call_id);
  g_free (stream->log_prefix);
  g_free (stream->codec_name);
  if (stream->pending_digits != NULL)
    g_string_free (stream->pending_digits, TRUE);
  g_free (stream);
}

gboolean
zc_media_stream_is_ready (const ZcMediaStream *stream)
{
  return stream->ready && stream->gather_error == NULL;
}

const char *
zc_media_stream_get_ice_attributes (const ZcMediaStream *stream)
{
  return stream->ice_attributes;
}

const char *
zc_media_stream_get_address (const ZcMediaStream *stream)
{
  return stream->address;
}

guint16
zc_media_stream_get_rtp_port (const ZcMediaStream *stream)
{
  return stream->rtp_port;
}

guint16
zc_media_stream_get_rtcp_port (const ZcMediaStream *stream)
{
  return zc_ice_agent_get_n_components (stream->ice) > 1 ? stream->rtcp_port : 0;
}

gboolean
zc_media_stream_is_started (const ZcMediaStream *stream)
{
  return stream->media != NULL;
}

static void
media_digit_cb (ZcCallMedia *media G_GNUC_UNUSED, char digit, gpointer user_data)
{
  ZcMediaStream *stream = user_data;

  g_string_append_c (stream->pending_digits, digit);
  schedule (stream, 0);
}

static void
media_timeout_cb (ZcCallMedia *media G_GNUC_UNUSED, gboolean timed_out, gpointer user_data)
{
  ZcMediaStream *stream = user_data;

  if (timed_out && !stream->timeout_reported) {
    stream->timeout_reported = TRUE;
    schedule (stream, PENDING_TIMEOUT);
  }
}

static gboolean
connect_transport (ZcMediaStream *stream, const ZcMediaRemote *remote, GError **error)
{
  if (remote->rtcp_mux && zc_ice_agent_get_n_components (stream->ice) > 1)
    zc_ice_agent_use_rtcp_mux (stream->ice);
  if (remote->ice_ufrag != NULL && remote->ice_pwd != NULL && remote->ice_candidates != NULL &&
      remote->ice_candidates[0] != NULL)
    return zc_media_stream_set_remote_ice (stream, remote->ice_ufrag, remote->ice_pwd, remote->ice_candidates, error);
  /* RFC 3264 5.1: RTCP on port + 1 unless a=rtcp says otherwise. */
  stream->plain = TRUE;
  return zc_ice_agent_set_plain_remote (stream->ice, remote->address, remote->rtp_port,
                                        remote->rtcp_port != 0 ? remote->rtcp_port : remote->rtp_port + 1, error);
}

static void
dtls_done_cb (ZcDtlsSrtp *dtls G_GNUC_UNUSED, const GError *error, gpointer user_data)
{
  ZcMediaStream *stream = user_data;

  g_clear_error (&stream->dtls_error);
  if (error != NULL)
    stream->dtls_error = g_error_copy (error);
  else if (stream->media != NULL)
    zc_call_media_kick (stream->media); /* the first frame goes out now */
  schedule (stream, PENDING_SECURED);
}

/* DTLS-SRTP when the peer's SDP has a fingerprint (RFC 5763 5). */
static gboolean
setup_dtls (ZcMediaStream *stream, const ZcMediaRemote *remote, GError **error)
{
  ZcDtlsSrtpConfig config = {
    .certificate = stream->config.certificate,
    .private_key = stream->config.private_key,
    .client = remote->dtls_client,
    .remote_fingerprint = remote->fingerprint,
    .call_id = stream->call_id,
  };
  ZcIceState state;

  if (remote->fingerprint == NULL)
    return TRUE;
  stream->dtls = zc_dtls_srtp_new (stream->ice, &config, dtls_done_cb, stream, error);
  if (stream->dtls == NULL)
    return FALSE;
  for (GBytes *record; (record = g_queue_pop_head (&stream->early_dtls)) != NULL; g_bytes_unref (record))
    zc_dtls_srtp_receive (stream->dtls, g_bytes_get_data (record, NULL), g_bytes_get_size (record));
  state = zc_ice_agent_get_state (stream->ice, ZC_ICE_COMPONENT_RTP);
  if (stream->plain || state == ZC_ICE_STATE_CONNECTED || state == ZC_ICE_STATE_READY)
    zc_dtls_srtp_start (stream->dtls);
  return TRUE;
}

/* SDES (RFC 4568) when the core agreed on a=crypto: keyed at once, so
 * the secured callback follows the start as DTLS's would follow its
 * handshake. */
static gboolean
setup_sdes (ZcMediaStream *stream, const ZcMediaRemote *remote, GError **error)
{
  if (remote->fingerprint != NULL || remote->sdes_suite == NULL)
    return TRUE;
  stream->sdes = zc_sdes_srtp_new (remote->sdes_suite, remote->sdes_local_key, remote->sdes_remote_key, error);
  if (stream->sdes == NULL)
    return FALSE;
  g_message ("%sSDES-SRTP keyed: %s", stream->log_prefix, remote->sdes_suite);
  schedule (stream, PENDING_SECURED);
  return TRUE;
}

static const char *
security_name (ZcMediaStream *stream)
{
  return stream->dtls != NULL ? "DTLS-SRTP" : stream->sdes != NULL ? "SDES-SRTP" : "plain RTP";
}

/* The media thread follows the devices (audio/engine.h): it sends a frame
 * the moment the capture has one, and plays out one each time the
 * playback device has played one, with no ptime clock of its own adding
 * its phase to the delay in each direction. */
static gboolean
use_device_clock (ZcMediaStream *stream, GError **error)
{
  guint frame = zc_call_media_get_frame_samples (stream->media);
  int capture_fd, playout_fd;

  return zc_call_media_use_device_clock (stream->media, &capture_fd, &playout_fd, error)
         && zc_audio_port_set_wake (stream->port, capture_fd, frame, error)
         && zc_audio_port_set_playout_clock (stream->port, playout_fd, frame, error);
}

gboolean
zc_media_stream_start (ZcMediaStream *stream, const ZcMediaRemote *remote, GError **error)
{
  ZcRtpSessionConfig rtp_config;
  ZcCallMediaConfig media_config = { 0 };

  /* The tone's device may be the call's: let it go first. */
  zc_media_stream_stop_tone (stream);
  if (stream->media != NULL)
    return TRUE;
  if (!zc_media_stream_is_ready (stream)) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED, "media: candidates are not gathered");
    return FALSE;
  }
  if (remote->codec == NULL || remote->address == NULL || remote->rtp_port == 0) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "media: the peer's stream is not usable");
    return FALSE;
  }
  if (!connect_transport (stream, remote, error))
    return FALSE;

  zc_rtp_session_config_init (&rtp_config, remote->codec->pt, remote->codec->name, remote->codec->clock_rate);
  rtp_config.channels = remote->codec->channels;
  rtp_config.telephone_event_pt = remote->telephone_event_pt;
  if (!setup_dtls (stream, remote, error))
    goto fail;
  rtp_config.dtls = stream->dtls;
  if (!setup_sdes (stream, remote, error))
    goto fail;
  rtp_config.sdes = stream->sdes;
  stream->rtp = zc_rtp_session_new (stream->ice, &rtp_config, error);
  if (stream->rtp == NULL)
    goto fail;

  stream->to_network = zc_ring_new (RING_SAMPLES);
  stream->from_network = zc_ring_new (RING_SAMPLES);
  media_config.codec = remote->codec;
  media_config.telephone_event_pt = remote->telephone_event_pt;
  media_config.to_network = stream->to_network;
  media_config.from_network = stream->from_network;
  media_config.rtp = stream->rtp;
  media_config.codec_options = &stream->config.codec_options;
  media_config.jitter_ms = stream->config.jitter_ms;
  media_config.ptime_ms = remote->ptime_ms;
  media_config.media_timeout_ms = stream->config.media_timeout_ms != 0 ? stream->config.media_timeout_ms : G_MAXUINT;
  media_config.digit_received = media_digit_cb;
  media_config.media_timeout = media_timeout_cb;
  media_config.user_data = stream;
  stream->media = zc_call_media_new (&media_config, error);
  if (stream->media == NULL)
    goto fail;
  zc_call_media_set_muted (stream->media, stream->muted || stream->held);

  if (!stream->config.no_audio_devices) {
    /* One engine per device pair, shared by every call on them; this
     * call is a port at its codec's rate.  The engine (its canceller
     * above all) runs at the widest rate the agent's codecs use, the
     * configured Opus band (16 kHz for wideband): not 48 kHz whatever the
     * band, which would triple the canceller's CPU; a G.711 call's port
     * resamples from 8 kHz. */
    guint opus_rate = stream->config.codec_options.opus_pcm_rate;
    ZcAudioEngineConfig engine_config = {
      .capture_device = stream->capture_device,
      .playback_device = stream->playback_device,
      .codec_rate_hz = MAX (opus_rate != 0 ? opus_rate : DEVICE_RATE_HZ, zc_call_media_get_pcm_rate (stream->media)),
      .device_rate_hz = DEVICE_RATE_HZ,
      .aec = stream->config.aec,
    };
    stream->engine = zc_audio_engine_acquire (&engine_config, error);
    if (stream->engine == NULL)
      goto fail;
    stream->port = zc_audio_port_new_take_rings (stream->engine, zc_call_media_get_pcm_rate (stream->media),
                                                 g_steal_pointer (&stream->to_network),
                                                 g_steal_pointer (&stream->from_network), error);
    if (stream->port == NULL)
      goto fail;
    zc_audio_port_set_muted (stream->port, stream->muted || stream->held);
    zc_audio_port_set_deaf (stream->port, stream->held);
    zc_audio_port_set_tone (stream->port, stream->waiting ? ZC_TONE_WAITING : -1);
    zc_audio_port_set_conference (stream->port, stream->conference);
    if (!use_device_clock (stream, error))
      goto fail;
  }
  if (!zc_call_media_start (stream->media, error))
    goto fail;
  stream->codec_name = g_strdup (remote->codec->name);
  if (stream->plain)
    g_message ("%s%s (%u ms packets), %s to %s:%u", stream->log_prefix, remote->codec->name,
               zc_call_media_get_ptime_ms (stream->media), security_name (stream), remote->address,
               remote->rtp_port);
  else
    g_message ("%s%s (%u ms packets) over ICE%s%s: connectivity checks started (the pair follows)",
               stream->log_prefix, remote->codec->name, zc_call_media_get_ptime_ms (stream->media),
               stream->dtls != NULL || stream->sdes != NULL ? " with " : "",
               stream->dtls != NULL || stream->sdes != NULL ? security_name (stream) : "");
  return TRUE;

fail:
  stop_media (stream);
  return FALSE;
}

gboolean
zc_media_stream_restart_ice (ZcMediaStream *stream, GError **error)
{
  if (stream->plain || stream->ice == NULL) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "media: the peer does not do ICE");
    return FALSE;
  }
  if (!zc_ice_agent_restart (stream->ice, error) || !read_local_description (stream, error))
    return FALSE;
  g_clear_pointer (&stream->remote_ufrag, g_free);
  stream->failed_reported = FALSE;
  g_message ("%sICE restarted", stream->log_prefix);
  return TRUE;
}

gboolean
zc_media_stream_set_remote_ice (ZcMediaStream *stream,
                                const char *ufrag,
                                const char *pwd,
                                const char *const *candidates,
                                GError **error)
{
  /* The agent refuses missing credentials and candidates itself. */
  if (!zc_ice_agent_set_remote_sdp (stream->ice, ufrag, pwd, candidates, error))
    return FALSE;
  g_free (stream->remote_ufrag);
  stream->remote_ufrag = g_strdup (ufrag);
  return TRUE;
}

gboolean
zc_media_stream_is_ice_restart (const ZcMediaStream *stream, const char *ufrag)
{
  return !stream->plain && stream->remote_ufrag != NULL && ufrag != NULL && strcmp (stream->remote_ufrag, ufrag) != 0;
}

gboolean
zc_media_stream_is_connected (ZcMediaStream *stream)
{
  ZcIceState state = zc_ice_agent_get_state (stream->ice, ZC_ICE_COMPONENT_RTP);

  return stream->plain || state == ZC_ICE_STATE_CONNECTED || state == ZC_ICE_STATE_READY;
}

gboolean
zc_media_stream_can_relay (const ZcMediaStream *stream)
{
  return !stream->plain && stream->has_turn;
}

gboolean
zc_media_stream_send_dtmf (ZcMediaStream *stream, const char *digits, GError **error)
{
  int rc;

  if (stream->media == NULL) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "the call has no media yet");
    return FALSE;
  }
  rc = zc_call_media_send_dtmf (stream->media, digits);
  switch (rc) {
  case 0:
    return TRUE;
  case -EINVAL:
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "“%s” is not a string of DTMF digits", digits);
    return FALSE;
  case -ENOTSUP:
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                         "the peer accepts no telephone-events (RFC 4733)");
    return FALSE;
  default:
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY, "too many digits are waiting to be sent");
    return FALSE;
  }
}

void
zc_media_stream_close_audio (void)
{
  zc_audio_engine_close_all ();
}

static void
apply_silence (ZcMediaStream *stream)
{
  gboolean silent = stream->muted || stream->held;

  /* The encoder's side sends silence (and DTX) even without devices; the
   * port's keeps the engine's other calls hearing the microphone. */
  if (stream->media != NULL)
    zc_call_media_set_muted (stream->media, silent);
  if (stream->port != NULL) {
    zc_audio_port_set_muted (stream->port, silent);
    zc_audio_port_set_deaf (stream->port, stream->held);
  }
}

void
zc_media_stream_set_muted (ZcMediaStream *stream, gboolean muted)
{
  stream->muted = muted;
  apply_silence (stream);
}

void
zc_media_stream_set_held (ZcMediaStream *stream, gboolean held)
{
  stream->held = held;
  apply_silence (stream);
}

void
zc_media_stream_set_waiting_tone (ZcMediaStream *stream, gboolean on)
{
  stream->waiting = on;
  if (stream->port != NULL)
    zc_audio_port_set_tone (stream->port, on ? ZC_TONE_WAITING : -1);
}

void
zc_media_stream_set_conference (ZcMediaStream *stream, guint group)
{
  stream->conference = group;
  if (stream->port != NULL)
    zc_audio_port_set_conference (stream->port, group);
}

gboolean
zc_media_stream_get_muted (const ZcMediaStream *stream)
{
  return stream->muted;
}

void
zc_media_stream_play_tone (ZcMediaStream *stream, ZcMediaTone tone)
{
  const char *device = tone == ZC_MEDIA_TONE_RING ? stream->ring_device : stream->playback_device;

  if (stream->tone == NULL && g_strcmp0 (device, ZC_AUDIO_NO_DEVICE) != 0)
    stream->tone = zc_tone_player_start (device, tone == ZC_MEDIA_TONE_RING    ? ZC_TONE_RING
                                                 : tone == ZC_MEDIA_TONE_ALERT ? ZC_TONE_ALERT
                                                                               : ZC_TONE_RINGBACK);
}

void
zc_media_stream_stop_tone (ZcMediaStream *stream)
{
  g_clear_pointer (&stream->tone, zc_tone_player_stop);
}
