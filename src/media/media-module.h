/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The media layer (media/, audio/, ice/) as a module zcalld loads for its
 * first call (core/media-loader.h): zcalld-media.so exports one symbol,
 * ZC_MEDIA_MODULE_ENTRY, which returns this table.  Everything the core
 * does with a call's media goes through it, so that zcalld itself links
 * none of libnice, oRTP, libsrtp2, Opus, spandsp, speexdsp, WebRTC's audio
 * processing or ALSA, and an idle agent maps none of them (issue 13).
 *
 * The table is versioned as PipeWire's and GStreamer's plugin entry points
 * are: the loader asks for ZC_MEDIA_MODULE_ABI and the module answers NULL
 * for any other; a change to this struct, to a signature or to a type the
 * functions take (media-stream.h) bumps it.  Module and daemon are built
 * and installed together, so the check catches a stale module left in
 * $(pkglibdir), not a planned mix.
 *
 * The functions are those of media-stream.h, same contracts. */
#pragma once

#include "media/media-stream.h"

#define ZC_MEDIA_MODULE_ABI 1
#define ZC_MEDIA_MODULE_ENTRY "zc_media_module_entry"

typedef struct {
  guint abi;   /* ZC_MEDIA_MODULE_ABI */
  gsize size;  /* sizeof (ZcMediaModule) as the module was built */

  ZcMediaStream *(*stream_new) (const ZcMediaStreamConfig *config,
                                const ZcMediaStreamCallbacks *callbacks,
                                gpointer user_data,
                                GError **error);
  void (*stream_free) (ZcMediaStream *stream);
  const char *(*get_ice_attributes) (const ZcMediaStream *stream);
  const char *(*get_address) (const ZcMediaStream *stream);
  guint16 (*get_rtp_port) (const ZcMediaStream *stream);
  guint16 (*get_rtcp_port) (const ZcMediaStream *stream);
  gboolean (*start) (ZcMediaStream *stream, const ZcMediaRemote *remote, GError **error);
  gboolean (*is_started) (const ZcMediaStream *stream);
  gboolean (*restart_ice) (ZcMediaStream *stream, GError **error);
  gboolean (*set_remote_ice) (ZcMediaStream *stream,
                              const char *ufrag,
                              const char *pwd,
                              const char *const *candidates,
                              GError **error);
  gboolean (*is_ice_restart) (const ZcMediaStream *stream, const char *ufrag);
  gboolean (*is_connected) (ZcMediaStream *stream);
  gboolean (*can_relay) (const ZcMediaStream *stream);
  void (*play_tone) (ZcMediaStream *stream, ZcMediaTone tone);
  void (*stop_tone) (ZcMediaStream *stream);
  void (*close_audio) (void);
  void (*set_muted) (ZcMediaStream *stream, gboolean muted);
  void (*set_conference) (ZcMediaStream *stream, guint group);
  void (*set_held) (ZcMediaStream *stream, gboolean held);
  void (*set_waiting_tone) (ZcMediaStream *stream, gboolean on);
  gboolean (*send_dtmf) (ZcMediaStream *stream, const char *digits, GError **error);
  const char *(*get_peer_fingerprint) (ZcMediaStream *stream);
  const char *(*get_srtp_suite) (ZcMediaStream *stream);
  GVariant *(*describe) (ZcMediaStream *stream);
  char *(*get_audio_error) (ZcMediaStream *stream);
} ZcMediaModule;

/* The entry point: the table for @abi, or NULL when the module was built
 * for another ABI.  The table is static: never freed. */
typedef const ZcMediaModule *(*ZcMediaModuleEntryFunc) (guint abi);
const ZcMediaModule *zc_media_module_entry (guint abi);
