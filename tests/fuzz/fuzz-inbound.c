/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer harness for the inbound SIP path: framing checks, libosip2
 * parsing, the transaction layer and the user agent, with no sockets.
 * An input may hold several messages separated by a line "%%%%", so the
 * fuzzer can build dialogs (INVITE, then ACK, BYE, CANCEL...).  Incoming
 * calls are answered at once to reach the dialog code. */
#include "config.h"

#include "sip/ua.h"

#include <string.h>

static const char answer_sdp[] =
    "v=0\r\no=- 1 1 IN IP4 198.18.0.1\r\ns=-\r\nc=IN IP4 198.18.0.1\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

static gboolean
discard_send (const ZcSipFlow *to G_GNUC_UNUSED, const char *data G_GNUC_UNUSED, gsize len G_GNUC_UNUSED,
              gpointer user_data G_GNUC_UNUSED)
{
  return TRUE;
}

static char *
fixed_local_address (const char *remote G_GNUC_UNUSED, gpointer data G_GNUC_UNUSED)
{
  return g_strdup ("198.18.0.1");
}

static void
incoming_cb (ZcSipSession *session, const char *sdp G_GNUC_UNUSED, const ZcSipFlow *from G_GNUC_UNUSED,
             gpointer user_data G_GNUC_UNUSED)
{
  zc_sip_session_set_user_data (session, session);
  zc_sip_session_ring (session);
  zc_sip_session_answer (session, answer_sdp);
}

static char *
reoffer_cb (ZcSipSession *session G_GNUC_UNUSED, const char *sdp G_GNUC_UNUSED, int *status G_GNUC_UNUSED,
            gpointer user_data G_GNUC_UNUSED)
{
  return g_strdup (answer_sdp);
}

static void
ended_cb (ZcSipSession *session G_GNUC_UNUSED, ZcSipEndCause cause G_GNUC_UNUSED, int status G_GNUC_UNUSED,
          const char *reason G_GNUC_UNUSED, gpointer user_data G_GNUC_UNUSED)
{
}

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  static const ZcSipUaCallbacks events = { .incoming = incoming_cb, .reoffer = reoffer_cb, .ended = ended_cb };
  static const ZcSipUaIo io = { .send = discard_send, .local_address_for = fixed_local_address, .port = 5060 };
  ZcSipIdentity identity = { .user = "fuzz", .display_name = "Fuzz" };
  ZcSipFlow from = { .proto = ZC_SIP_UDP, .address = "198.18.0.2", .port = 5060 };
  g_autoptr (ZcSipUa) ua = NULL;
  const char *p = (const char *) data;
  const char *end = p + size;

  if (size > ZC_SIP_MAX_MESSAGE)
    return 0;
  ua = zc_sip_ua_new_with_io (&io, &identity, &events, NULL);
  /* Half the inputs arrive "over TCP", where framing errors close. */
  if (size > 0 && (data[0] & 1))
    from.proto = ZC_SIP_TCP;
  while (p < end) {
    const char *sep = g_strstr_len (p, end - p, "\n%%%%\n");
    const char *stop = sep ? sep + 1 : end;
    g_autofree char *message = g_strndup (p, (gsize) (stop - p));

    /* The transport hands over NUL-terminated copies; so do we. */
    zc_sip_ua_receive (ua, message, (gsize) (stop - p), &from);
    p = sep ? sep + 6 : end;
  }
  return 0;
}
