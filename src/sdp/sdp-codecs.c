/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The audio formats zcall speaks and names. */
#define G_LOG_DOMAIN "sdp"
#include "config.h"

#include "sdp/sdp-private.h"

/* The codecs we can send and receive.  G.722, PCMU and PCMA have static
 * payload types (RFC 3551 6, table 4; G.722's clock is 8000 although it
 * samples at 16 kHz, RFC 3551 4.5.2); Opus gets the dynamic PT most phones
 * use for it, with RFC 7587 7 parameters: 10 ms frames are fine, and
 * in-band FEC is welcome. */
static const ZcSdpKnownCodec known_codecs[] = {
  { "opus", "opus", 111, 48000, 2, "minptime=10;useinbandfec=1" },
  { "g722", "G722", 9, 8000, 1, NULL },
  { "pcmu", "PCMU", 0, 8000, 1, NULL },
  { "pcma", "PCMA", 8, 8000, 1, NULL },
};

/* RFC 3551 table 4: static audio payload types that may come without an
 * a=rtpmap (sipp's default offer is "m=audio 6000 RTP/AVP 0"). */
static const struct {
  guint8 pt;
  const char *name;
  guint clock_rate;
} static_payload_types[] = {
  { 0, "PCMU", 8000 }, { 3, "GSM", 8000 }, { 4, "G723", 8000 }, { 8, "PCMA", 8000 },
  { 9, "G722", 8000 }, { 13, "CN", 8000 }, { 18, "G729", 8000 },
};

/* Wideband first: a desk phone without Opus gets G.722 before G.711. */
static const char *const default_codecs[] = { "opus", "g722", "pcmu", "pcma", NULL };

static const ZcSdpKnownCodec *
known_codec_by_config_name (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (known_codecs); i++) {
    if (g_ascii_strcasecmp (name, known_codecs[i].config_name) == 0)
      return &known_codecs[i];
  }
  return NULL;
}

gboolean
zc_sdp_codec_name_is_known (const char *name)
{
  return name != NULL && known_codec_by_config_name (name) != NULL;
}

gboolean
zc_sdp_codec_is (const ZcCodec *codec, const char *name, guint clock_rate)
{
  return g_ascii_strcasecmp (codec->name, name) == 0 && codec->clock_rate == clock_rate;
}

gboolean
zc_sdp_codec_is_telephone_event (const ZcCodec *codec)
{
  return g_ascii_strcasecmp (codec->name, ZC_SDP_TELEPHONE_EVENT) == 0;
}

GPtrArray *
zc_sdp_local_codecs (const ZcSdpLocal *local)
{
  const char *const *names = local->codecs;
  GPtrArray *list = g_ptr_array_new ();

  for (int pass = 0; pass < 2 && list->len == 0; pass++) {
    for (gsize i = 0; names != NULL && names[i] != NULL; i++) {
      const ZcSdpKnownCodec *known = known_codec_by_config_name (names[i]);

      if (known == NULL) {
        g_debug ("ignoring unknown codec '%s'", names[i]);
        continue;
      }
      if (!g_ptr_array_find (list, known, NULL))
        g_ptr_array_add (list, (gpointer) known);
    }
    names = default_codecs;
  }
  return list;
}

/* What goes on the wire for one audio format: ours for the formats we
 * describe (an a=fmtp says what its writer wants to receive). */
const char *
zc_sdp_codec_local_fmtp (const ZcCodec *codec)
{
  if (zc_sdp_codec_is_telephone_event (codec))
    return ZC_SDP_TE_FMTP;
  for (gsize i = 0; i < G_N_ELEMENTS (known_codecs); i++) {
    if (zc_sdp_codec_is (codec, known_codecs[i].name, known_codecs[i].clock_rate))
      return known_codecs[i].fmtp;
  }
  return NULL;
}

ZcCodec *
zc_sdp_codec_new_static (guint pt)
{
  for (gsize i = 0; i < G_N_ELEMENTS (static_payload_types); i++) {
    if (static_payload_types[i].pt == pt)
      return zc_codec_new (static_payload_types[i].name, pt, static_payload_types[i].clock_rate, 1, NULL);
  }
  return NULL;
}

char *
zc_sdp_codec_names (const GPtrArray *known)
{
  g_autoptr (GString) names = g_string_new (NULL);

  for (guint i = 0; i < known->len; i++) {
    const ZcSdpKnownCodec *k = g_ptr_array_index (known, i);
    g_string_append_printf (names, "%s%s", i > 0 ? ", " : "", k->name);
  }
  return g_string_free (g_steal_pointer (&names), FALSE);
}
