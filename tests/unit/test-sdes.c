/* SPDX-License-Identifier: GPL-3.0-or-later */
/* SDES-SRTP (RFC 4568): a=crypto in our offers and answers only over TLS
 * signalling (src/sdp/sdp-crypto.c, sdp-print.c, sdp-negotiate.c), the
 * peer's lines read and chosen, and the keys turned into SRTP that a peer
 * with the other half reads (src/media/sdes-srtp.c, srtp.c). */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <osipparser2/osip_parser.h>

#include "media/sdes-srtp.h"
#include "sdp/sdp.h"

#define FP_A "sha-256 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"
/* 30 bytes each, base64. */
#define KEY_OURS "MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1ub3BxcnN0"
#define KEY_PEER "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"

/* baresip 1.0 with mediaenc=srtp-mand, as it offers over SIP/TLS. */
static const char srtp_mand_offer[] =
  "v=0\r\no=- 1 2 IN IP4 198.18.0.3\r\ns=-\r\nc=IN IP4 198.18.0.3\r\nt=0 0\r\n"
  "m=audio 10000 RTP/SAVP 0 101\r\n"
  "a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n"
  "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_PEER "\r\n";

/* baresip with mediaenc=srtp (optional): RTP/AVP with a=crypto. */
static const char srtp_opt_offer[] =
  "v=0\r\no=- 1 2 IN IP4 198.18.0.3\r\ns=-\r\nc=IN IP4 198.18.0.3\r\nt=0 0\r\n"
  "m=audio 10000 RTP/AVP 0\r\n"
  "a=rtpmap:0 PCMU/8000\r\n"
  "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_PEER "\r\n";

static const char *const codecs[] = { "pcmu", NULL };

static ZcSdpLocal
local_for (gboolean secure)
{
  ZcSdpLocal local = {
    .user = "alice",
    .session_id = 1234,
    .version = 1,
    .address = "198.18.0.1",
    .rtp_port = 40000,
    .direction = ZC_MEDIA_DIRECTION_SENDRECV,
    .ptime_ms = 20,
    .codecs = codecs,
    .fingerprint = FP_A,
    .signalling_secure = secure,
    .sdes_key = KEY_OURS,
  };
  return local;
}

static ZcSdpSession *
parse_ok (const char *body)
{
  g_autoptr (GError) error = NULL;
  ZcSdpSession *session = zc_sdp_parse (body, &error);

  g_assert_no_error (error);
  g_assert_nonnull (session);
  return session;
}

/* The rule the whole feature rests on: a description built for a clear
 * transport carries no key, whatever else it is given. */
static void
test_clear_transport_no_crypto (void)
{
  static const char *const protos[] = { NULL, "RTP/SAVP", "UDP/TLS/RTP/SAVPF" };
  g_autoptr (ZcSdpSession) offer = parse_ok (srtp_opt_offer);
  g_autoptr (ZcSdpAgreement) agreement = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *answer = NULL;
  g_autofree char *negotiated = NULL;
  ZcSdpLocal local = local_for (FALSE);

  for (gsize i = 0; i < G_N_ELEMENTS (protos); i++) {
    for (int hold = 0; hold < 2; hold++) {
      g_autofree char *text = NULL;

      local.proto = protos[i];
      local.direction = hold ? ZC_MEDIA_DIRECTION_SENDONLY : ZC_MEDIA_DIRECTION_SENDRECV;
      text = zc_sdp_build_offer (&local);
      g_assert_nonnull (text);
      g_assert_null (strstr (text, "crypto"));
      g_assert_null (strstr (text, KEY_OURS));
      g_assert_nonnull (strstr (text, "a=fingerprint:"));
    }
  }
  local = local_for (FALSE);
  /* The peer's key over clear signalling: not taken, and our answer
   * carries none (RTP/AVP: plain, or DTLS when it has a fingerprint). */
  agreement = zc_sdp_agree (offer, codecs, FALSE, &error);
  g_assert_no_error (error);
  g_assert_null (zc_sdp_agreement_get_crypto (agreement));
  answer = zc_sdp_agreement_print_answer (agreement, &local);
  g_assert_nonnull (answer);
  g_assert_null (strstr (answer, "crypto"));
  g_assert_null (strstr (answer, KEY_OURS));
  g_assert_true (zc_sdp_negotiate_answer (offer, &local, NULL, &negotiated, NULL, &error));
  g_assert_null (strstr (negotiated, "crypto"));
}

static void
test_tls_offer (void)
{
  ZcSdpLocal local = local_for (TRUE);
  g_autofree char *text = zc_sdp_build_offer (&local);
  g_autoptr (ZcSdpSession) parsed = parse_ok (text);
  const ZcSdpCrypto *crypto = zc_sdp_session_get_crypto (parsed);

  g_assert_nonnull (strstr (text, "m=audio 40000 RTP/AVP "));
  g_assert_nonnull (strstr (text, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_OURS "\r\n"));
  g_assert_nonnull (strstr (text, "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" KEY_OURS "\r\n"));
  g_assert_nonnull (strstr (text, "a=fingerprint:" FP_A "\r\n"));
  g_assert_nonnull (crypto);
  g_assert_cmpuint (crypto->tag, ==, 1);
  g_assert_cmpstr (crypto->suite, ==, "AES_CM_128_HMAC_SHA1_80");
  g_assert_cmpstr (crypto->key, ==, KEY_OURS);

  /* A key that is not 30 bytes of base64 is never written. */
  local.sdes_key = "c2hvcnQ=";
  g_free (text);
  text = zc_sdp_build_offer (&local);
  g_assert_null (strstr (text, "crypto"));
}

static void
test_agree_tls (void)
{
  const char *const offers[] = { srtp_mand_offer, srtp_opt_offer };

  for (gsize i = 0; i < G_N_ELEMENTS (offers); i++) {
    g_autoptr (ZcSdpSession) offer = parse_ok (offers[i]);
    g_autoptr (GError) error = NULL;
    g_autoptr (ZcSdpAgreement) agreement = zc_sdp_agree (offer, codecs, TRUE, &error);
    g_autofree char *answer = NULL;
    g_autofree char *clear = NULL;
    const ZcSdpCrypto *crypto;
    ZcSdpLocal local = local_for (TRUE);

    g_assert_no_error (error);
    crypto = zc_sdp_agreement_get_crypto (agreement);
    g_assert_nonnull (crypto);
    g_assert_cmpuint (crypto->tag, ==, 1);
    g_assert_cmpstr (crypto->suite, ==, "AES_CM_128_HMAC_SHA1_80");
    g_assert_cmpstr (crypto->key, ==, KEY_PEER);
    answer = zc_sdp_agreement_print_answer (agreement, &local);
    g_assert_nonnull (answer);
    /* RFC 4568 5.1.2: the offer's tag and suite, our key; the profile
     * the offer's; no DTLS attributes in an answer to an offer without. */
    g_assert_nonnull (strstr (answer, i == 0 ? "m=audio 40000 RTP/SAVP 0" : "m=audio 40000 RTP/AVP 0"));
    g_assert_nonnull (strstr (answer, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_OURS "\r\n"));
    g_assert_null (strstr (answer, KEY_PEER));
    g_assert_null (strstr (answer, "a=crypto:2"));
    g_assert_null (strstr (answer, "fingerprint"));
    /* Agreed over TLS, but the answer is to go out in the clear: none. */
    local.signalling_secure = FALSE;
    g_test_expect_message ("sdp", G_LOG_LEVEL_WARNING, "*clear signalling*");
    clear = zc_sdp_agreement_print_answer (agreement, &local);
    g_test_assert_expected_messages ();
    g_assert_null (clear);
  }
}

static void
test_agree_clear_savp (void)
{
  g_autoptr (ZcSdpSession) offer = parse_ok (srtp_mand_offer);
  g_autoptr (GError) error = NULL;
  g_autoptr (ZcSdpAgreement) agreement = zc_sdp_agree (offer, codecs, FALSE, &error);

  /* RTP/SAVP with only SDES over clear signalling: 488. */
  g_assert_null (agreement);
  g_assert_error (error, ZC_SDP_ERROR, ZC_SDP_ERROR_NO_COMMON_CODEC);
  g_assert_nonnull (strstr (error->message, "only over TLS"));
}

static void
test_agree_dtls_preferred (void)
{
  g_autofree char *both = g_strconcat (srtp_mand_offer, "a=fingerprint:" FP_A "\r\na=setup:actpass\r\n", NULL);
  g_autoptr (ZcSdpSession) offer = parse_ok (both);
  g_autoptr (GError) error = NULL;
  g_autoptr (ZcSdpAgreement) agreement = zc_sdp_agree (offer, codecs, TRUE, &error);
  g_autofree char *answer = NULL;
  ZcSdpLocal local = local_for (TRUE);

  g_assert_no_error (error);
  g_assert_null (zc_sdp_agreement_get_crypto (agreement));
  answer = zc_sdp_agreement_print_answer (agreement, &local);
  g_assert_nonnull (strstr (answer, "a=fingerprint:" FP_A "\r\n"));
  g_assert_nonnull (strstr (answer, "a=setup:active\r\n"));
  g_assert_null (strstr (answer, "crypto"));
}

static void
test_parse_lines (void)
{
  static const struct {
    const char *line;
    gboolean usable;
  } cases[] = {
    { "1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_PEER, TRUE },
    { "7 AES_CM_128_HMAC_SHA1_32 inline:" KEY_PEER "|2^31", TRUE },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_PEER "|2^20|1:4", FALSE }, /* MKI */
    { "1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_PEER "|1:4", FALSE },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:c2hvcnQ=", FALSE },                /* short key */
    { "1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubG!!", FALSE },
    { "1 AEAD_AES_256_GCM inline:" KEY_PEER, FALSE },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_PEER " UNENCRYPTED_SRTP", FALSE },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_PEER ";inline:" KEY_OURS, FALSE },
    { "x AES_CM_128_HMAC_SHA1_80 inline:" KEY_PEER, FALSE },
    { "1234567890 AES_CM_128_HMAC_SHA1_80 inline:" KEY_PEER, FALSE },
    { "1 AES_CM_128_HMAC_SHA1_80", FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *body = g_strdup_printf ("v=0\r\no=- 1 2 IN IP4 198.18.0.3\r\ns=-\r\nc=IN IP4 198.18.0.3\r\n"
                                             "t=0 0\r\nm=audio 10000 RTP/SAVP 0\r\na=crypto:%s\r\n",
                                             cases[i].line);
    g_autoptr (ZcSdpSession) s = parse_ok (body);

    g_test_message ("a=crypto:%s", cases[i].line);
    g_assert_true (zc_sdp_session_has_crypto (s));
    g_assert_cmpint (zc_sdp_session_get_crypto (s) != NULL, ==, cases[i].usable);
  }
}

static void
test_apply_answer (void)
{
  ZcSdpLocal local = local_for (TRUE);
  ZcSdpLocal clear_local = local_for (FALSE);
  g_autofree char *offer_text = zc_sdp_build_offer (&local);
  g_autofree char *clear_text = zc_sdp_build_offer (&clear_local);
  g_autoptr (ZcSdpSession) offer = parse_ok (offer_text);
  g_autoptr (ZcSdpSession) clear_offer = parse_ok (clear_text);
  static const char head[] = "v=0\r\no=- 1 2 IN IP4 198.18.0.3\r\ns=-\r\nc=IN IP4 198.18.0.3\r\nt=0 0\r\n"
                             "m=audio 10000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
  g_autofree char *tag2 = g_strconcat (head, "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" KEY_PEER "\r\n", NULL);
  g_autofree char *tag3 = g_strconcat (head, "a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:" KEY_PEER "\r\n", NULL);
  g_autofree char *swapped = g_strconcat (head, "a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:" KEY_PEER "\r\n", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (ZcSdpSession) a2 = zc_sdp_apply_answer (offer, tag2, NULL, &error);
  g_autoptr (ZcSdpSession) a3 = zc_sdp_apply_answer (offer, tag3, NULL, &error);
  g_autoptr (ZcSdpSession) aswap = zc_sdp_apply_answer (offer, swapped, NULL, &error);
  g_autoptr (ZcSdpSession) aclear = zc_sdp_apply_answer (clear_offer, tag2, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (zc_sdp_session_get_crypto (a2));
  g_assert_cmpuint (zc_sdp_session_get_crypto (a2)->tag, ==, 2);
  g_assert_cmpstr (zc_sdp_session_get_crypto (a2)->suite, ==, "AES_CM_128_HMAC_SHA1_32");
  g_assert_cmpstr (zc_sdp_session_get_crypto (a2)->key, ==, KEY_PEER);
  /* RFC 4568 5.1.3: a tag we did not offer, or our tag with another
   * suite: no keys.  Nor any when we offered none (clear signalling). */
  g_assert_null (zc_sdp_session_get_crypto (a3));
  g_assert_null (zc_sdp_session_get_crypto (aswap));
  g_assert_null (zc_sdp_session_get_crypto (aclear));
}

static void
test_keys (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *a = zc_sdes_key_new (&error);
  g_autofree char *b = zc_sdes_key_new (&error);
  guint8 master[ZC_SRTP_MASTER_LEN];

  g_assert_no_error (error);
  g_assert_cmpuint (strlen (a), ==, 40);
  g_assert_cmpstr (a, !=, b);
  g_assert_true (zc_sdes_key_decode (a, master));
  g_assert_true (zc_sdes_key_decode (KEY_PEER, master));
  g_assert_false (zc_sdes_key_decode ("c2hvcnQ=", master));
  g_assert_false (zc_sdes_key_decode ("WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubG!!", master));
  g_assert_false (zc_sdes_key_decode (NULL, master));
  g_assert_null (zc_sdes_srtp_new ("AEAD_AES_256_GCM", a, b, &error));
  g_assert_error (error, ZC_SDES_ERROR, ZC_SDES_ERROR_FAILED);
}

/* An RTP packet with a PCMU payload of @fill. */
static gsize
rtp_packet (guint8 *buf, guint16 seq, guint8 fill)
{
  memset (buf, 0, 12);
  buf[0] = 0x80;
  buf[1] = 0;
  buf[2] = seq >> 8;
  buf[3] = seq & 0xff;
  buf[7] = 160;
  buf[11] = 0x42; /* SSRC */
  memset (buf + 12, fill, 160);
  return 172;
}

/* Each side protects with its own key and reads with the other's, as the
 * two a=crypto lines say; the tag is 10 bytes (_80) or 4 (_32). */
static void
test_srtp_round_trip (void)
{
  static const struct {
    const char *suite;
    gsize tag;
  } suites[] = { { "AES_CM_128_HMAC_SHA1_80", 10 }, { "AES_CM_128_HMAC_SHA1_32", 4 } };

  for (gsize s = 0; s < G_N_ELEMENTS (suites); s++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (ZcSrtp) alice = zc_sdes_srtp_new (suites[s].suite, KEY_OURS, KEY_PEER, &error);
    g_autoptr (ZcSrtp) bob = zc_sdes_srtp_new (suites[s].suite, KEY_PEER, KEY_OURS, &error);
    g_autoptr (ZcSrtp) eve = zc_sdes_srtp_new (suites[s].suite, KEY_PEER, KEY_PEER, &error);
    guint8 buf[172 + ZC_SRTP_MAX_TRAILER], plain[172], copy[sizeof buf];
    gsize len = rtp_packet (buf, 1, 0x55), copy_len;

    g_assert_no_error (error);
    memcpy (plain, buf, len);
    g_assert_cmpint (zc_srtp_protect (alice, buf, sizeof buf, &len, FALSE), ==, 0);
    g_assert_cmpuint (len, ==, 172 + suites[s].tag);
    /* The header stays, the payload does not. */
    g_assert_cmpmem (buf, 12, plain, 12);
    g_assert_true (memcmp (buf + 12, plain + 12, 160) != 0);
    memcpy (copy, buf, len);
    copy_len = len;
    /* A key that is not alice's cannot read it. */
    g_assert_cmpint (zc_srtp_unprotect (eve, copy, &copy_len, FALSE), ==, -EBADMSG);
    g_assert_cmpint (zc_srtp_unprotect (bob, buf, &len, FALSE), ==, 0);
    g_assert_cmpmem (buf, len, plain, sizeof plain);
    /* The packet once more (a replay): refused by bob's window. */
    g_assert_cmpint (zc_srtp_unprotect (bob, copy, &copy_len, FALSE), ==, -EBADMSG);
    /* A flipped payload bit: refused. */
    len = rtp_packet (buf, 2, 0x55);
    g_assert_cmpint (zc_srtp_protect (alice, buf, sizeof buf, &len, FALSE), ==, 0);
    buf[40] ^= 1;
    g_assert_cmpint (zc_srtp_unprotect (bob, buf, &len, FALSE), ==, -EBADMSG);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  parser_init ();

  g_test_add_func ("/sdes/offer/clear-transport-has-no-crypto", test_clear_transport_no_crypto);
  g_test_add_func ("/sdes/offer/tls", test_tls_offer);
  g_test_add_func ("/sdes/agree/tls", test_agree_tls);
  g_test_add_func ("/sdes/agree/clear-savp-refused", test_agree_clear_savp);
  g_test_add_func ("/sdes/agree/dtls-preferred", test_agree_dtls_preferred);
  g_test_add_func ("/sdes/parse/lines", test_parse_lines);
  g_test_add_func ("/sdes/apply/answer", test_apply_answer);
  g_test_add_func ("/sdes/keys", test_keys);
  g_test_add_func ("/sdes/srtp/round-trip", test_srtp_round_trip);
  return g_test_run ();
}
