/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the media layer is told about a negotiated stream: the audio format
 * (ZcCodec) and the direction.  SDP produces them, media consumes them;
 * this header sits below both so that media needs nothing from SDP or SIP.
 * A leaf: GLib only. */
#pragma once

#include <glib.h>

/* RFC 3264 5.1 / RFC 4566 6: the direction attributes, from the point of
 * view of the side that wrote the SDP. */
typedef enum {
  ZC_MEDIA_DIRECTION_SENDRECV,
  ZC_MEDIA_DIRECTION_SENDONLY,
  ZC_MEDIA_DIRECTION_RECVONLY,
  ZC_MEDIA_DIRECTION_INACTIVE,
} ZcMediaDirection;

/* "sendrecv", "sendonly", "recvonly", "inactive". */
const char *zc_media_direction_to_string (ZcMediaDirection direction);
/* Case-sensitive, as attribute names are (RFC 4566 9).  FALSE for anything
 * else; *direction is then left alone. */
gboolean zc_media_direction_from_string (const char *string, ZcMediaDirection *direction);

typedef struct {
  char *name;        /* as in a=rtpmap: "opus", "PCMU", "PCMA", "telephone-event" */
  guint8 pt;         /* RTP payload type, 0..127 */
  guint clock_rate;  /* Hz */
  guint channels;    /* 1 unless the rtpmap says otherwise */
  char *fmtp;        /* a=fmtp parameters without the PT, or NULL */
} ZcCodec;

/* @fmtp may be NULL; the strings are copied. */
ZcCodec *zc_codec_new (const char *name, guint pt, guint clock_rate, guint channels, const char *fmtp);
ZcCodec *zc_codec_copy (const ZcCodec *codec);
void zc_codec_free (ZcCodec *codec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcCodec, zc_codec_free)
