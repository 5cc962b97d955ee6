/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"
#define G_LOG_DOMAIN "media"

#include "media/format.h"

#include <string.h>

static const char *const direction_names[] = {
  [ZC_MEDIA_DIRECTION_SENDRECV] = "sendrecv",
  [ZC_MEDIA_DIRECTION_SENDONLY] = "sendonly",
  [ZC_MEDIA_DIRECTION_RECVONLY] = "recvonly",
  [ZC_MEDIA_DIRECTION_INACTIVE] = "inactive",
};

const char *
zc_media_direction_to_string (ZcMediaDirection direction)
{
  g_return_val_if_fail ((guint) direction < G_N_ELEMENTS (direction_names), "sendrecv");
  return direction_names[direction];
}

gboolean
zc_media_direction_from_string (const char *string, ZcMediaDirection *direction)
{
  if (string == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (direction_names); i++) {
    if (strcmp (string, direction_names[i]) == 0) {
      *direction = (ZcMediaDirection) i;
      return TRUE;
    }
  }
  return FALSE;
}

ZcCodec *
zc_codec_new (const char *name, guint pt, guint clock_rate, guint channels, const char *fmtp)
{
  ZcCodec *codec = g_new0 (ZcCodec, 1);

  codec->name = g_strdup (name);
  codec->pt = (guint8) pt;
  codec->clock_rate = clock_rate;
  codec->channels = channels;
  codec->fmtp = g_strdup (fmtp);
  return codec;
}

ZcCodec *
zc_codec_copy (const ZcCodec *codec)
{
  if (codec == NULL)
    return NULL;
  return zc_codec_new (codec->name, codec->pt, codec->clock_rate, codec->channels, codec->fmtp);
}

void
zc_codec_free (ZcCodec *codec)
{
  if (codec == NULL)
    return;
  g_free (codec->name);
  g_free (codec->fmtp);
  g_free (codec);
}
