/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Our side's session descriptions as text: offers, and the printing that
 * answers share (sdp-negotiate.c decides what goes in them). */
#define G_LOG_DOMAIN "sdp"
#include "config.h"

#include "sdp/sdp-private.h"

#include <osipparser2/osip_port.h>
#include <osipparser2/sdp_message.h>

#include <string.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sdp_message_t, sdp_message_free)

/* osip's setters take ownership of strings allocated with its allocator. */
static char *
os (const char *s)
{
  return s != NULL ? osip_strdup (s) : NULL;
}

static char *
osf (const char *format, ...) G_GNUC_PRINTF (1, 2);

static char *
osf (const char *format, ...)
{
  va_list args;
  g_autofree char *s = NULL;

  va_start (args, format);
  s = g_strdup_vprintf (format, args);
  va_end (args);
  return osip_strdup (s);
}

/* RFC 4566 5.2: the username is a non-whitespace string, "-" if none. */
static const char *
origin_user (const char *user)
{
  return zc_sdp_is_token (user) ? user : "-";
}

/* Adds local->ice_attributes to the m= section at @pos.  They come from
 * our ICE agent, not the network, but a stray CR or LF in one would split
 * it into lines of its own and a line that is not "a=" would break the
 * section, so such lines are left out (with a warning: it is our bug). */
static void
add_ice_attributes (sdp_message_t *sdp, int pos, const char *ice_attributes)
{
  g_auto (GStrv) lines = g_strsplit (ice_attributes, "\n", 0);

  for (gsize i = 0; lines[i] != NULL; i++) {
    char *line = lines[i];
    gsize len = strlen (line);
    g_autofree char *field = NULL;
    const char *name, *colon = NULL;
    gboolean clean = TRUE;

    /* libnice ends its lines with LF, SDP with CRLF: take both. */
    if (len > 0 && line[len - 1] == '\r')
      line[--len] = '\0';
    if (len == 0)
      continue;
    for (const guchar *p = (const guchar *) line; *p != '\0' && clean; p++)
      clean = *p >= ' ' && *p != 0x7f;
    if (clean && g_str_has_prefix (line, "a=")) {
      name = line + 2;
      colon = strchr (name, ':');
      field = colon != NULL ? g_strndup (name, (gsize) (colon - name)) : g_strdup (name);
    }
    if (field == NULL || !zc_sdp_is_token (field)) {
      g_autofree char *shown = g_strescape (line, NULL);
      g_warning ("ignoring ICE attribute line '%s': not a=<attribute>", shown);
      continue;
    }
    /* osip prints "a=<field>:<value>" or "a=<field>", so the split at the
     * first colon gives back the line as it was. */
    sdp_message_a_attribute_add (sdp, pos, os (field), colon != NULL ? os (colon + 1) : NULL);
  }
}

char *
zc_sdp_print (const ZcSdpLocal *local,
              const GPtrArray *media,
              guint audio_index,
              const GPtrArray *codecs,
              ZcMediaDirection direction,
              gboolean rtcp_mux,
              gboolean ice,
              const char *setup,
              const GPtrArray *cryptos)
{
  g_auto (GStrv) address_parts = NULL;
  const char *address;
  const char *address_type;
  g_autoptr (sdp_message_t) sdp = NULL;
  char *text = NULL;
  char *result;

  /* A zone index ("fe80::1%eth0") has no place in SDP (RFC 4566 9,
   * IP6-address). */
  address_parts = g_strsplit (local->address, "%", 2);
  address = address_parts[0];
  g_return_val_if_fail (g_hostname_is_ip_address (address), NULL);
  address_type = strchr (address, ':') != NULL ? "IP6" : "IP4";

  if (sdp_message_init (&sdp) != 0)
    return NULL;
  /* RFC 4566 5: v=, o=, s=, c=, t= in this order.  RFC 3264 5: s= may
   * be a dash, and t=0 0 since the session is not bounded in time. */
  sdp_message_v_version_set (sdp, os ("0"));
  sdp_message_o_origin_set (sdp, os (origin_user (local->user)),
                            osf ("%" G_GUINT64_FORMAT, local->session_id),
                            osf ("%" G_GUINT64_FORMAT, local->version),
                            os ("IN"), os (address_type), os (address));
  sdp_message_s_name_set (sdp, os ("-"));
  sdp_message_c_connection_add (sdp, -1, os ("IN"), os (address_type), os (address), NULL, NULL);
  sdp_message_t_time_descr_add (sdp, os ("0"), os ("0"));

  for (guint m = 0; m < media->len; m++) {
    const ZcSdpMedia *line = g_ptr_array_index (media, m);
    int pos = (int) m;

    if (m != audio_index) {
      sdp_message_m_media_add (sdp, os (line->type), osf ("%u", line->port), NULL, os (line->proto));
      for (gsize f = 0; line->fmts[f] != NULL; f++)
        sdp_message_m_payload_add (sdp, pos, os (line->fmts[f]));
      continue;
    }

    sdp_message_m_media_add (sdp, os ("audio"), osf ("%u", line->port), NULL, os (line->proto));
    for (guint i = 0; i < codecs->len; i++) {
      const ZcCodec *codec = g_ptr_array_index (codecs, i);
      sdp_message_m_payload_add (sdp, pos, osf ("%u", codec->pt));
    }
    for (guint i = 0; i < codecs->len; i++) {
      const ZcCodec *codec = g_ptr_array_index (codecs, i);
      const char *fmtp = zc_sdp_codec_local_fmtp (codec);

      /* RFC 4566 6: encoding channels only when not 1. */
      if (codec->channels > 1)
        sdp_message_a_attribute_add (sdp, pos, os ("rtpmap"),
                                     osf ("%u %s/%u/%u", codec->pt, codec->name, codec->clock_rate,
                                          codec->channels));
      else
        sdp_message_a_attribute_add (sdp, pos, os ("rtpmap"),
                                     osf ("%u %s/%u", codec->pt, codec->name, codec->clock_rate));
      if (fmtp != NULL)
        sdp_message_a_attribute_add (sdp, pos, os ("fmtp"), osf ("%u %s", codec->pt, fmtp));
    }
    if (local->ptime_ms > 0)
      sdp_message_a_attribute_add (sdp, pos, os ("ptime"), osf ("%u", local->ptime_ms));
    sdp_message_a_attribute_add (sdp, pos, os (zc_media_direction_to_string (direction)), NULL);
    /* RFC 3605 2.1: the address may be left out when it is c='s, and ours
     * always is. */
    if (local->rtcp_port != 0)
      sdp_message_a_attribute_add (sdp, pos, os ("rtcp"), osf ("%u", local->rtcp_port));
    if (rtcp_mux)
      sdp_message_a_attribute_add (sdp, pos, os ("rtcp-mux"), NULL);
    /* RFC 5763 5, RFC 8842 5.2: our certificate and the DTLS role. */
    if (local->fingerprint != NULL && setup != NULL) {
      sdp_message_a_attribute_add (sdp, pos, os ("fingerprint"), os (local->fingerprint));
      sdp_message_a_attribute_add (sdp, pos, os ("setup"), os (setup));
    }
    /* RFC 4568 8.3: an SDES key only where the signalling is protected;
     * the check is here, where the text is written, so that no caller
     * can put a key on a clear transport. */
    if (cryptos != NULL && local->signalling_secure && zc_sdp_crypto_key_is_valid (local->sdes_key)) {
      for (guint i = 0; i < cryptos->len; i++) {
        const ZcSdpCrypto *crypto = g_ptr_array_index (cryptos, i);

        sdp_message_a_attribute_add (sdp, pos, os ("crypto"),
                                     osf ("%u %s inline:%s", crypto->tag, crypto->suite, local->sdes_key));
      }
    }
    /* RFC 8839 4.4.1.1.2: only the accepted stream carries ICE. */
    if (ice && local->ice_attributes != NULL)
      add_ice_attributes (sdp, pos, local->ice_attributes);
  }

  if (sdp_message_to_str (sdp, &text) != 0 || text == NULL) {
    g_warning ("cannot print session description for '%s'", address);
    return NULL;
  }
  result = g_strdup (text);
  osip_free (text);
  return result;
}

char *
zc_sdp_build_offer (const ZcSdpLocal *local)
{
  g_autoptr (GPtrArray) known = NULL;
  g_autoptr (GPtrArray) codecs = g_ptr_array_new_with_free_func ((GDestroyNotify) zc_codec_free);
  g_autoptr (GPtrArray) media = g_ptr_array_new_with_free_func ((GDestroyNotify) zc_sdp_media_free);
  g_autoptr (GPtrArray) cryptos = g_ptr_array_new_with_free_func ((GDestroyNotify) zc_sdp_crypto_free);
  gboolean opus = FALSE;
  ZcSdpMedia *audio;

  g_return_val_if_fail (local != NULL, NULL);
  g_return_val_if_fail (local->address != NULL, NULL);

  known = zc_sdp_local_codecs (local);
  for (guint i = 0; i < known->len; i++) {
    const ZcSdpKnownCodec *k = g_ptr_array_index (known, i);

    g_ptr_array_add (codecs, zc_codec_new (k->name, k->pt, k->clock_rate, k->channels, k->fmtp));
    opus |= k->clock_rate == 48000;
  }
  /* RFC 4733 7.1.1: one telephone-event per clock rate in use. */
  g_ptr_array_add (codecs, zc_codec_new (ZC_SDP_TELEPHONE_EVENT, ZC_SDP_TE_PT_8K, 8000, 1, ZC_SDP_TE_FMTP));
  if (opus)
    g_ptr_array_add (codecs, zc_codec_new (ZC_SDP_TELEPHONE_EVENT, ZC_SDP_TE_PT_48K, 48000, 1, ZC_SDP_TE_FMTP));

  audio = g_new0 (ZcSdpMedia, 1);
  audio->type = g_strdup ("audio");
  audio->port = local->rtp_port;
  audio->proto = g_strdup (local->proto != NULL ? local->proto : "RTP/AVP");
  audio->fmts = g_new0 (char *, 1);
  g_ptr_array_add (media, audio);

  /* RFC 4568 5.1.1: one line per suite we accept, preferred first, each
   * with its own tag; the key is the same, only one suite is ever used. */
  {
    gsize n_suites;
    const char *const *suites = zc_sdp_crypto_suites (&n_suites);

    for (gsize i = 0; i < n_suites; i++)
      g_ptr_array_add (cryptos, zc_sdp_crypto_new ((guint) i + 1, suites[i], NULL));
  }
  /* RFC 5761 5.1.1: offer rtcp-mux, the answer says whether it is used. */
  return zc_sdp_print (local, media, 0, codecs, local->direction, !local->no_rtcp_mux, TRUE, "actpass", cryptos);
}
