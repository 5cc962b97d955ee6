/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The entry point of zcalld-media.so (media-module.h).  Built into the
 * module only: the version script media-module.map exports this one
 * symbol and keeps every other one (ours, and the static copies of
 * common/ and media-base the module carries) private to it. */
#include "config.h"

#include "media/media-module.h"

static const ZcMediaModule module = {
  .abi = ZC_MEDIA_MODULE_ABI,
  .size = sizeof (ZcMediaModule),
  .stream_new = zc_media_stream_new,
  .stream_free = zc_media_stream_free,
  .get_ice_attributes = zc_media_stream_get_ice_attributes,
  .get_address = zc_media_stream_get_address,
  .get_rtp_port = zc_media_stream_get_rtp_port,
  .get_rtcp_port = zc_media_stream_get_rtcp_port,
  .start = zc_media_stream_start,
  .is_started = zc_media_stream_is_started,
  .restart_ice = zc_media_stream_restart_ice,
  .set_remote_ice = zc_media_stream_set_remote_ice,
  .is_ice_restart = zc_media_stream_is_ice_restart,
  .is_connected = zc_media_stream_is_connected,
  .can_relay = zc_media_stream_can_relay,
  .play_tone = zc_media_stream_play_tone,
  .stop_tone = zc_media_stream_stop_tone,
  .close_audio = zc_media_stream_close_audio,
  .set_muted = zc_media_stream_set_muted,
  .set_conference = zc_media_stream_set_conference,
  .set_held = zc_media_stream_set_held,
  .set_waiting_tone = zc_media_stream_set_waiting_tone,
  .send_dtmf = zc_media_stream_send_dtmf,
  .get_peer_fingerprint = zc_media_stream_get_peer_fingerprint,
  .get_srtp_suite = zc_media_stream_get_srtp_suite,
  .describe = zc_media_stream_describe,
  .get_audio_error = zc_media_stream_get_audio_error,
};

const ZcMediaModule *
zc_media_module_entry (guint abi)
{
  return abi == ZC_MEDIA_MODULE_ABI ? &module : NULL;
}
