/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What a media stream reports: its description for `zcall calls --json`
 * (transport, security, ICE pair, RTP and playout figures, the audio
 * engine and its devices), its audio error and its keying. */
#define G_LOG_DOMAIN "media"

#include "config.h"

#include "media/media-stream-private.h"

static void
add_double (GVariantBuilder *b, const char *key, double value)
{
  g_variant_builder_add (b, "{sv}", key, g_variant_new_double (value));
}

/* The mean of @reads samples summing to @sum, in ms at @rate_hz. */
static double
mean_ms (guint64 sum, guint64 reads, guint rate_hz)
{
  return reads == 0 || rate_hz == 0 ? 0.0 : (double) sum / (double) reads * 1000.0 / rate_hz;
}

static void
add_u64 (GVariantBuilder *b, const char *key, guint64 value)
{
  g_variant_builder_add (b, "{sv}", key, g_variant_new_uint64 (value));
}

static GVariant *
describe_candidate (const ZcIceCandidateInfo *info)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "type", g_variant_new_string (info->type));
  g_variant_builder_add (&b, "{sv}", "address", g_variant_new_string (info->address));
  g_variant_builder_add (&b, "{sv}", "port", g_variant_new_uint32 (info->port));
  if (info->relay_transport[0] != '\0')
    g_variant_builder_add (&b, "{sv}", "relay_transport", g_variant_new_string (info->relay_transport));
  return g_variant_builder_end (&b);
}

static GVariant *
describe_device (ZcAudioEngine *engine, ZcAudioDirection direction)
{
  ZcAudioDeviceStatus status;
  GVariantBuilder b;

  zc_audio_engine_get_status (engine, direction, &status);
  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "device", g_variant_new_string (status.device ? status.device : ""));
  g_variant_builder_add (&b, "{sv}", "open", g_variant_new_boolean (status.open));
  g_variant_builder_add (&b, "{sv}", "error",
                         g_variant_new_string (status.error != 0 ? g_strerror (-status.error) : ""));
  g_variant_builder_add (&b, "{sv}", "rate_hz", g_variant_new_uint32 (status.rate_hz));
  add_u64 (&b, "xruns", status.xruns);
  add_u64 (&b, "open_failures", status.open_failures);
  return g_variant_builder_end (&b);
}

GVariant *
zc_media_stream_describe (ZcMediaStream *stream)
{
  GVariantBuilder b;
  ZcIceCandidateInfo local, remote;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "transport", g_variant_new_string (stream->plain ? "rtp" : "ice"));
  /* "encrypted" only once keyed: a call whose handshake is still running
   * carries no media at all. */
  g_variant_builder_add (&b, "{sv}", "security",
                         g_variant_new_string (stream->sdes != NULL                     ? "encrypted"
                                               : stream->dtls == NULL                 ? "PLAIN"
                                               : zc_dtls_srtp_is_keyed (stream->dtls) ? "encrypted"
                                                                                      : "pending"));
  if (zc_media_stream_get_keying (stream) != NULL)
    g_variant_builder_add (&b, "{sv}", "encryption", g_variant_new_string (zc_media_stream_get_keying (stream)));
  if (zc_media_stream_get_srtp_suite (stream) != NULL) {
    g_variant_builder_add (&b, "{sv}", "srtp_suite", g_variant_new_string (zc_media_stream_get_srtp_suite (stream)));
    if (zc_media_stream_get_peer_fingerprint (stream) != NULL)
      g_variant_builder_add (&b, "{sv}", "peer_fingerprint",
                             g_variant_new_string (zc_media_stream_get_peer_fingerprint (stream)));
  }
  g_variant_builder_add (&b, "{sv}", "ice_state",
                         g_variant_new_string (zc_ice_state_to_string (
                             zc_ice_agent_get_state (stream->ice, ZC_ICE_COMPONENT_RTP))));
  g_variant_builder_add (&b, "{sv}", "rtcp_mux", g_variant_new_boolean (zc_ice_agent_get_rtcp_mux (stream->ice)));
  if (zc_ice_agent_get_selected_pair (stream->ice, ZC_ICE_COMPONENT_RTP, &local, &remote)) {
    g_variant_builder_add (&b, "{sv}", "local_candidate", describe_candidate (&local));
    g_variant_builder_add (&b, "{sv}", "remote_candidate", describe_candidate (&remote));
  }
  if (stream->media != NULL) {
    ZcCallMediaStats st;

    zc_call_media_get_stats (stream->media, &st);
    add_u64 (&b, "ptime_ms", zc_call_media_get_ptime_ms (stream->media));
    add_u64 (&b, "packets_sent", st.rtp.packets_sent);
    add_u64 (&b, "packets_received", st.rtp.packets_received);
    add_u64 (&b, "bytes_sent", st.rtp.bytes_sent);
    add_u64 (&b, "bytes_received", st.rtp.bytes_received);
    g_variant_builder_add (&b, "{sv}", "packets_lost", g_variant_new_int64 (st.rtp.packets_lost));
    add_double (&b, "loss_pct", st.rtp.loss_pct);
    add_double (&b, "remote_loss_pct", st.rtp.remote_loss_pct);
    add_double (&b, "jitter_ms", st.rtp.jitter_ms);
    add_double (&b, "rtt_ms", st.rtp.rtt_ms);
    add_u64 (&b, "jitter_buffer_ms", st.jitter.target_ms);
    add_u64 (&b, "jitter_buffer_max_ms", st.jitter.max_target_ms);
    add_u64 (&b, "late_packets", st.jitter.late);
    add_u64 (&b, "discarded_packets", st.jitter.dropped);
    add_u64 (&b, "skipped_packets", st.jitter.shrinks);
    g_variant_builder_add (&b, "{sv}", "expected_loss_pct", g_variant_new_uint32 (st.expected_loss_pct));
    add_u64 (&b, "rtp_foreign_dropped", st.rtp.foreign_dropped);
    add_u64 (&b, "rtcp_sent", st.rtp.rtcp_sent);
    add_u64 (&b, "rtcp_received", st.rtp.rtcp_received);
    add_u64 (&b, "srtp_failures", st.rtp.srtp_failures);
    add_u64 (&b, "frames_concealed", st.frames_concealed);
    add_u64 (&b, "frames_fec", st.frames_fec);
    add_u64 (&b, "dtmf_sent", st.dtmf_sent);
    add_u64 (&b, "dtmf_received", st.dtmf_received);
    g_variant_builder_add (&b, "{sv}", "timed_out", g_variant_new_boolean (st.media_timed_out));
    add_u64 (&b, "capture_trimmed_samples", st.capture_trimmed_samples);
    g_variant_builder_add (&b, "{sv}", "device_clock", g_variant_new_boolean (st.device_clock));
    add_u64 (&b, "own_clock_ticks", st.own_clock_ticks);
    /* Where the mouth-to-ear delay sits: mean waits in the two rings. */
    add_double (&b, "capture_backlog_ms", mean_ms (st.capture_backlog_samples, st.capture_backlog_reads,
                                                   zc_call_media_get_pcm_rate (stream->media)));
  }
  if (stream->engine != NULL) {
    ZcAudioEngineStats engine_stats;
    ZcAudioPortStats port_stats = { 0 };

    zc_audio_engine_get_stats (stream->engine, &engine_stats);
    if (stream->port != NULL)
      zc_audio_port_get_stats (stream->port, &port_stats);
    /* This call's own share; the canceller's figures are the device's. */
    add_u64 (&b, "playback_trimmed_samples", port_stats.playback_trimmed);
    add_u64 (&b, "playback_underruns", port_stats.underruns);
    if (stream->media != NULL)
      add_double (&b, "playback_backlog_ms",
                  mean_ms (port_stats.playback_backlog_samples, port_stats.playback_backlog_reads,
                           zc_call_media_get_pcm_rate (stream->media)));
    add_u64 (&b, "capture_aligned_ms", engine_stats.capture_aligned_ms);
    g_variant_builder_add (&b, "{sv}", "audio_calls", g_variant_new_uint32 (engine_stats.ports));
    /* The canceller's state (issue 13): how often the reference was
     * re-primed, frames cleaned without one, and its own figures. */
    add_u64 (&b, "aec_resets", engine_stats.aec_resets);
    add_u64 (&b, "aec_reference_misses", engine_stats.reference_misses);
    add_u64 (&b, "aec_guarded_frames", engine_stats.aec_guarded_frames);
    g_variant_builder_add (&b, "{sv}", "aec_delay_ms", g_variant_new_int32 (engine_stats.aec_delay_ms));
    g_variant_builder_add (&b, "{sv}", "aec_erle_db", g_variant_new_int32 (engine_stats.aec_erle_db));
    g_variant_builder_add (&b, "{sv}", "capture", describe_device (stream->engine, ZC_AUDIO_CAPTURE));
    g_variant_builder_add (&b, "{sv}", "playback", describe_device (stream->engine, ZC_AUDIO_PLAYBACK));
  }
  return g_variant_builder_end (&b);
}

char *
zc_media_stream_get_audio_error (ZcMediaStream *stream)
{
  ZcAudioDirection direction;
  ZcAudioDeviceStatus status;
  gint error;

  if (stream->engine == NULL || !zc_audio_engine_get_error (stream->engine, &direction, &error) || error == 0)
    return NULL;
  zc_audio_engine_get_status (stream->engine, direction, &status);
  return g_strdup_printf ("%s device “%s”: %s", zc_audio_direction_to_string (direction),
                          status.device ? status.device : "default", g_strerror (-error));
}

const char *
zc_media_stream_get_peer_fingerprint (ZcMediaStream *stream)
{
  return stream->dtls != NULL ? zc_dtls_srtp_get_peer_fingerprint (stream->dtls) : NULL;
}

const char *
zc_media_stream_get_srtp_suite (ZcMediaStream *stream)
{
  if (stream->sdes != NULL)
    return zc_srtp_suite_to_string (zc_srtp_get_suite (stream->sdes));
  return stream->dtls != NULL ? zc_dtls_srtp_get_suite (stream->dtls) : NULL;
}

const char *
zc_media_stream_get_keying (ZcMediaStream *stream)
{
  if (stream->sdes != NULL)
    return "sdes-srtp";
  return stream->dtls != NULL && zc_dtls_srtp_is_keyed (stream->dtls) ? "dtls-srtp" : NULL;
}
