/* SPDX-License-Identifier: GPL-3.0-or-later */
/* RFC 3264 offer/answer: what we answer to an offer, and what an answer
 * to our offer settles. */
#define G_LOG_DOMAIN "sdp"
#include "config.h"

#include "sdp/sdp-private.h"

/* What we accept of an offer, decided once when it comes: the codecs and
 * the offer's shape the answer must mirror.  Our addresses, ports, ICE
 * lines and direction are only known later (zc_sdp_agreement_print_answer). */
struct _ZcSdpAgreement {
  GPtrArray *accepted;         /* ZcCodec*: audio codecs, ours first, then telephone-events */
  GPtrArray *media;            /* ZcSdpMedia*: copies of the offer's m= lines */
  guint audio_index;
  ZcMediaDirection offer_direction;
  gboolean offer_rtcp_mux;
  gboolean offer_ice;          /* the offer has ice-ufrag and ice-pwd */
  gboolean offer_dtls;         /* the offer has a=fingerprint: DTLS-SRTP (RFC 5763, RFC 8643) */
  ZcSdpCrypto *sdes;           /* without DTLS, over TLS: the offer's a=crypto we take (RFC 4568) */
  gint telephone_event_pt;
};

void
zc_sdp_agreement_free (ZcSdpAgreement *agreement)
{
  if (agreement == NULL)
    return;
  g_ptr_array_unref (agreement->accepted);
  g_ptr_array_unref (agreement->media);
  zc_sdp_crypto_free (agreement->sdes);
  g_free (agreement);
}

ZcSdpAgreement *
zc_sdp_agree (const ZcSdpSession *offer, const char *const *codecs, gboolean signalling_secure, GError **error)
{
  const ZcSdpLocal prefs = { .codecs = codecs };
  g_autoptr (GPtrArray) known = NULL;
  g_autoptr (ZcSdpAgreement) agreement = NULL;
  const ZcCodec *te;
  const ZcSdpCrypto *sdes;
  guint n_audio;

  g_return_val_if_fail (offer != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (offer->port == 0) {
    g_set_error_literal (error, ZC_SDP_ERROR, ZC_SDP_ERROR_NO_COMMON_CODEC, "SDP offer has no active audio stream");
    return NULL;
  }
  /* SRTP without DTLS is SDES: keys in the SDP, which anyone on a clear
   * path reads (RFC 4568 8.3 wants the signalling protected): taken only
   * when the offer came over TLS. */
  sdes = offer->fingerprint == NULL && signalling_secure ? zc_sdp_session_get_crypto (offer) : NULL;
  if (zc_sdp_proto_is_secure (zc_sdp_session_get_proto (offer)) && offer->fingerprint == NULL && sdes == NULL) {
    g_set_error (error, ZC_SDP_ERROR, ZC_SDP_ERROR_NO_COMMON_CODEC, "SDP offer is %s without a=fingerprint%s",
                 zc_sdp_session_get_proto (offer),
                 !offer->has_crypto      ? ""
                 : !signalling_secure    ? " (SDES a=crypto over clear signalling: keys only over TLS)"
                                         : " (no a=crypto line we can use: suites AES_CM_128_HMAC_SHA1_80/_32, one inline key)");
    return NULL;
  }
  agreement = g_new0 (ZcSdpAgreement, 1);
  agreement->accepted = g_ptr_array_new_with_free_func ((GDestroyNotify) zc_codec_free);
  agreement->media = g_ptr_array_new_with_free_func ((GDestroyNotify) zc_sdp_media_free);

  /* RFC 3264 6.1: the answer keeps the offer's payload types; the order
   * is the answerer's preference. */
  known = zc_sdp_local_codecs (&prefs);
  for (guint k = 0; k < known->len; k++) {
    const ZcSdpKnownCodec *ours = g_ptr_array_index (known, k);

    for (guint i = 0; i < offer->codecs->len; i++) {
      const ZcCodec *offered = g_ptr_array_index (offer->codecs, i);

      if (zc_sdp_codec_is (offered, ours->name, ours->clock_rate)) {
        g_ptr_array_add (agreement->accepted, zc_codec_copy (offered));
        break;
      }
    }
  }
  n_audio = agreement->accepted->len;
  if (n_audio == 0) {
    g_autofree char *names = zc_sdp_codec_names (known);
    g_set_error (error, ZC_SDP_ERROR, ZC_SDP_ERROR_NO_COMMON_CODEC, "SDP offer has none of our codecs (%s)", names);
    return NULL;
  }
  /* RFC 4733 7.1.1: DTMF events at the rate of each codec we accept. */
  for (guint i = 0; i < n_audio; i++) {
    const ZcCodec *codec = g_ptr_array_index (agreement->accepted, i);
    gboolean listed = FALSE;

    te = zc_sdp_session_find_telephone_event (offer, codec->clock_rate);
    for (guint j = n_audio; te != NULL && j < agreement->accepted->len; j++)
      listed |= ((ZcCodec *) g_ptr_array_index (agreement->accepted, j))->pt == te->pt;
    if (te != NULL && !listed)
      g_ptr_array_add (agreement->accepted, zc_codec_copy (te));
  }
  te = zc_sdp_session_find_telephone_event (offer, zc_sdp_agreement_get_codec (agreement)->clock_rate);
  agreement->telephone_event_pt = te != NULL ? (gint) te->pt : -1;

  for (guint m = 0; m < offer->media->len; m++)
    g_ptr_array_add (agreement->media, zc_sdp_media_copy (g_ptr_array_index (offer->media, m)));
  agreement->audio_index = offer->audio_index;
  agreement->offer_direction = offer->direction;
  agreement->offer_rtcp_mux = offer->rtcp_mux;
  agreement->offer_ice = offer->ice_ufrag != NULL && offer->ice_pwd != NULL;
  agreement->offer_dtls = offer->fingerprint != NULL;
  agreement->sdes = zc_sdp_crypto_copy (sdes);
  return g_steal_pointer (&agreement);
}

const ZcSdpCrypto *
zc_sdp_agreement_get_crypto (const ZcSdpAgreement *agreement)
{
  return agreement->sdes;
}

const ZcCodec *
zc_sdp_agreement_get_codec (const ZcSdpAgreement *agreement)
{
  return g_ptr_array_index (agreement->accepted, 0);
}

gint
zc_sdp_agreement_get_telephone_event_pt (const ZcSdpAgreement *agreement)
{
  return agreement->telephone_event_pt;
}

char *
zc_sdp_agreement_print_answer (const ZcSdpAgreement *agreement, const ZcSdpLocal *local)
{
  g_autoptr (GPtrArray) media = g_ptr_array_new_with_free_func ((GDestroyNotify) zc_sdp_media_free);
  const ZcCodec *chosen = zc_sdp_agreement_get_codec (agreement);
  g_autoptr (GPtrArray) cryptos = g_ptr_array_new_with_free_func ((GDestroyNotify) zc_sdp_crypto_free);
  ZcMediaDirection direction;
  gboolean we_send, we_receive;

  g_return_val_if_fail (local != NULL && local->address != NULL, NULL);
  /* RFC 4568 5.1.2: the answer takes one offered line, its tag and suite,
   * with our key; an answer without it would leave the peer sending SRTP
   * that we cannot read. */
  if (agreement->sdes != NULL) {
    if (!local->signalling_secure || !zc_sdp_crypto_key_is_valid (local->sdes_key)) {
      g_warning ("SDES agreed, but the answer cannot carry our key (%s)",
                 local->signalling_secure ? "no key" : "clear signalling");
      return NULL;
    }
    g_ptr_array_add (cryptos, zc_sdp_crypto_new (agreement->sdes->tag, agreement->sdes->suite, NULL));
  }

  /* RFC 3264 6: one m= line per offered one, in order; everything but our
   * audio stream refused with port 0. */
  for (guint m = 0; m < agreement->media->len; m++) {
    ZcSdpMedia *line = zc_sdp_media_copy (g_ptr_array_index (agreement->media, m));

    line->port = m == agreement->audio_index ? local->rtp_port : 0;
    g_ptr_array_add (media, line);
  }

  /* RFC 3264 6.1: we send only if the offerer receives, and receive only
   * if it sends; within that, what we are willing to do. */
  we_send = zc_sdp_direction_receives (agreement->offer_direction) && zc_sdp_direction_sends (local->direction);
  we_receive = zc_sdp_direction_sends (agreement->offer_direction) && zc_sdp_direction_receives (local->direction);
  direction = zc_sdp_direction_from_flags (we_send, we_receive);
  g_debug ("answering with %s/%u (PT %u), %s", chosen->name, chosen->clock_rate, chosen->pt,
           zc_media_direction_to_string (direction));

  /* RFC 5761 5.1.1: accept rtcp-mux only when offered.  RFC 8839 4.3.2:
   * ICE only when the offer shows support for it; credentials suffice, an
   * ICE offer may hold no candidate yet (RFC 8839 4.3.1). */
  return zc_sdp_print (local, media, agreement->audio_index, agreement->accepted, direction,
                       agreement->offer_rtcp_mux && !local->no_rtcp_mux, agreement->offer_ice,
                       agreement->offer_dtls ? "active" : NULL, cryptos);
}

gboolean
zc_sdp_negotiate_answer (const ZcSdpSession *offer,
                         const ZcSdpLocal *local,
                         ZcSdpSession **answer_out,
                         char **answer_sdp_out,
                         ZcCodec **chosen_out,
                         GError **error)
{
  g_autoptr (ZcSdpAgreement) agreement = NULL;
  g_autofree char *text = NULL;

  g_return_val_if_fail (offer != NULL, FALSE);
  g_return_val_if_fail (local != NULL && local->address != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  agreement = zc_sdp_agree (offer, local->codecs, local->signalling_secure, error);
  if (agreement == NULL)
    return FALSE;
  text = zc_sdp_agreement_print_answer (agreement, local);
  if (text == NULL) {
    g_set_error_literal (error, ZC_SDP_ERROR, ZC_SDP_ERROR_INVALID, "SDP answer cannot be built");
    return FALSE;
  }
  if (answer_out != NULL) {
    g_autoptr (ZcSdpSession) answer = zc_sdp_parse (text, error);

    if (answer == NULL)
      return FALSE;
    answer->chosen = zc_codec_copy (zc_sdp_agreement_get_codec (agreement));
    *answer_out = g_steal_pointer (&answer);
  }
  if (chosen_out != NULL)
    *chosen_out = zc_codec_copy (zc_sdp_agreement_get_codec (agreement));
  if (answer_sdp_out != NULL)
    *answer_sdp_out = g_steal_pointer (&text);
  return TRUE;
}

/* RFC 4568 5.1.3: the answer's a=crypto must name a line of the offer,
 * tag and suite; any other (or any at all when we offered none, as over
 * clear signalling) is dropped, and the answer then has no SDES keys. */
static void
keep_answered_crypto (const ZcSdpSession *offer_we_sent, ZcSdpSession *answer)
{
  const ZcSdpCrypto *answered = zc_sdp_session_get_crypto (answer);
  gboolean offered = FALSE;

  for (guint i = 0; answered != NULL && i < offer_we_sent->cryptos->len && !offered; i++) {
    const ZcSdpCrypto *ours = g_ptr_array_index (offer_we_sent->cryptos, i);

    offered = ours->tag == answered->tag && g_str_equal (ours->suite, answered->suite);
  }
  if (answered != NULL && !offered)
    g_message ("SDP answer's a=crypto (tag %u, %s) is none our offer made: ignored", answered->tag, answered->suite);
  if (!offered)
    g_ptr_array_set_size (answer->cryptos, 0);
  else
    g_ptr_array_set_size (answer->cryptos, 1);
}

ZcSdpSession *
zc_sdp_apply_answer (const ZcSdpSession *offer_we_sent, const char *answer_body, ZcCodec **chosen_out, GError **error)
{
  g_autoptr (ZcSdpSession) answer = NULL;
  const ZcCodec *chosen = NULL;

  g_return_val_if_fail (offer_we_sent != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  answer = zc_sdp_parse (answer_body, error);
  if (answer == NULL)
    return NULL;
  if (answer->media->len != offer_we_sent->media->len || answer->audio_index != offer_we_sent->audio_index) {
    g_set_error (error, ZC_SDP_ERROR, ZC_SDP_ERROR_INVALID,
                 "SDP answer has %u m= lines (audio at %u), the offer %u (audio at %u)", answer->media->len,
                 answer->audio_index, offer_we_sent->media->len, offer_we_sent->audio_index);
    return NULL;
  }
  if (answer->port == 0) {
    g_set_error_literal (error, ZC_SDP_ERROR, ZC_SDP_ERROR_NO_COMMON_CODEC, "SDP answer rejects the audio stream");
    return NULL;
  }

  /* RFC 3264 6.1: the answerer lists what it accepts, preferred first;
   * it should keep our PTs, but what it writes is what it sends. */
  for (guint i = 0; i < answer->codecs->len && chosen == NULL; i++) {
    const ZcCodec *answered = g_ptr_array_index (answer->codecs, i);

    if (zc_sdp_codec_is_telephone_event (answered))
      continue;
    for (guint j = 0; j < offer_we_sent->codecs->len && chosen == NULL; j++) {
      const ZcCodec *offered = g_ptr_array_index (offer_we_sent->codecs, j);

      if (zc_sdp_codec_is (offered, answered->name, answered->clock_rate))
        chosen = answered;
    }
  }
  if (chosen == NULL) {
    g_set_error_literal (error, ZC_SDP_ERROR, ZC_SDP_ERROR_NO_COMMON_CODEC, "SDP answer has none of the offered codecs");
    return NULL;
  }
  answer->chosen = zc_codec_copy (chosen);
  if (chosen_out != NULL)
    *chosen_out = zc_codec_copy (chosen);
  keep_answered_crypto (offer_we_sent, answer);
  return g_steal_pointer (&answer);
}
