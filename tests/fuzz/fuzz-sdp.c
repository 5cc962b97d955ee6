/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer harness for SDP from the network: parse a body, answer it as an
 * offer against our local description, and check it as an answer to the
 * offer we would have sent (the body of an INVITE, of its 200 OK, of a
 * re-INVITE). */
#include "config.h"

#include "sdp/sdp.h"

#include "fuzz-common.h"

#include <osipparser2/osip_parser.h>
#include <string.h>

static const char ice_lines[] =
    "a=ice-ufrag:Fz1a\r\na=ice-pwd:fuzzfuzzfuzzfuzzfuzzfuzz\r\n"
    "a=candidate:1 1 UDP 2013266431 198.18.0.1 40000 typ host\r\n";

static char *our_offer;

/* 30 bytes of base64 (RFC 4568 6.2.1). */
#define SDES_KEY "MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1ub3BxcnN0"

int
LLVMFuzzerInitialize (int *argc G_GNUC_UNUSED, char ***argv G_GNUC_UNUSED)
{
  static const char *const codecs[] = { "opus", "pcmu", "pcma", NULL };
  ZcSdpLocal local = {
    .address = "198.18.0.1", .rtp_port = 40000, .direction = ZC_MEDIA_DIRECTION_SENDRECV, .ptime_ms = 20,
    .codecs = codecs, .ice_attributes = ice_lines, .session_id = 1, .version = 1,
    /* An offer over TLS, so that answers' a=crypto are matched against it. */
    .signalling_secure = TRUE, .sdes_key = SDES_KEY,
  };

  parser_init ();
  fuzz_quiet_log ();
  our_offer = zc_sdp_build_offer (&local);
  return 0;
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  static const char *const g711[] = { "pcma", "pcmu", NULL };
  /* Like the agent: the body is a NUL-terminated copy of at most 64 KiB. */
  g_autofree char *body = NULL;
  g_autoptr (ZcSdpSession) offer = NULL;
  g_autoptr (ZcSdpSession) offer_we_sent = NULL;
  g_autoptr (ZcSdpSession) applied = NULL;
  g_autoptr (ZcSdpSession) answer = NULL;
  g_autofree char *answer_sdp = NULL;
  ZcCodec *chosen = NULL;
  ZcSdpLocal local = {
    .address = "198.18.0.1", .rtp_port = 40000, .rtcp_port = 40001, .ptime_ms = 20,
    .session_id = 2, .version = 1, .sdes_key = SDES_KEY,
  };

  if (size > ZC_SDP_MAX_SIZE)
    return 0;
  body = g_strndup ((const char *) data, size);
  /* Vary our side with the first byte so both local shapes get answered. */
  if (size > 0) {
    local.direction = (ZcMediaDirection) (data[0] & 3);
    local.codecs = (data[0] & 4) ? g711 : NULL;
    local.ice_attributes = (data[0] & 8) ? ice_lines : NULL;
    local.no_rtcp_mux = (data[0] & 16) != 0;
    local.signalling_secure = (data[0] & 32) != 0;
  }

  offer = zc_sdp_parse (body, NULL);
  if (offer != NULL) {
    const GPtrArray *codecs = zc_sdp_session_get_codecs (offer);

    /* Touch every accessor: they hand network strings to the ICE agent
     * and the media layer. */
    (void) zc_sdp_session_get_origin_user (offer);
    (void) zc_sdp_session_get_address (offer);
    (void) zc_sdp_session_get_address_type (offer);
    (void) zc_sdp_session_get_port (offer);
    (void) zc_sdp_session_get_direction (offer);
    (void) zc_sdp_session_get_ptime_ms (offer);
    (void) zc_sdp_session_get_rtcp_port (offer);
    (void) zc_sdp_session_get_rtcp_address (offer);
    (void) zc_sdp_session_has_ice (offer);
    for (const char *const *c = zc_sdp_session_get_ice_candidates (offer); *c != NULL; c++)
      g_assert (strlen (*c) <= ZC_SDP_MAX_ICE_CANDIDATE_LENGTH);
    g_assert (codecs != NULL);
    (void) zc_sdp_session_find_telephone_event (offer, 8000);
    if (zc_sdp_session_get_crypto (offer) != NULL)
      g_assert (strlen (zc_sdp_session_get_crypto (offer)->key) == 40);
    if (zc_sdp_negotiate_answer (offer, &local, &answer, &answer_sdp, &chosen, NULL)) {
      /* Our answer must parse back: the peer has to read it. */
      g_autoptr (ZcSdpSession) reparsed = zc_sdp_parse (answer_sdp, NULL);

      g_assert (reparsed != NULL);
      /* RFC 4568 8.3: no key of ours in an answer over clear signalling.
       * Read back as a peer would: a rejected m-line echoes the offer's
       * proto token, which may well contain the text "a=crypto". */
      g_assert (local.signalling_secure || zc_sdp_session_get_crypto (reparsed) == NULL);
      g_assert (local.signalling_secure || strstr (answer_sdp, "\na=crypto:") == NULL);
      g_assert (chosen != NULL);
      zc_codec_free (chosen);
    }
  }

  offer_we_sent = zc_sdp_parse (our_offer, NULL);
  g_assert (offer_we_sent != NULL);
  applied = zc_sdp_apply_answer (offer_we_sent, body, &chosen, NULL);
  if (applied != NULL)
    zc_codec_free (chosen);
  return 0;
}
