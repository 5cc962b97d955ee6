/* SPDX-License-Identifier: GPL-3.0-or-later */
/* An INVITE that opens a new call: who may call (accept-from, the
 * per-source bound on calls in set-up), a replacement (Replaces),
 * forwarding, do-not-disturb, busy or call waiting, and the call it
 * becomes (call.c). */
#define G_LOG_DOMAIN "calls"

#include "config.h"
#include "core/calls.h"

#include "common/sanitize.h"
#include "core/call-private.h"
#include "core/forward.h"
#include "core/rendezvous.h"
#include "core/targets.h"
#include "sdp/sdp.h"

/* Incoming calls one source address may have in set-up (not answered
 * yet) at once: a burst of INVITEs from one host that never ACKs or
 * cancels must not take the slots everyone else's calls need. */
#define MAX_SETUP_PER_SOURCE 2

static guint
count_setup_from (ZcCalls *calls, const char *address)
{
  guint n = 0;

  for (guint i = 0; i < calls->calls->len; i++) {
    ZcCall *c = g_ptr_array_index (calls->calls, i);

    /* A call being auto-answered is one from a caller the user allowed
     * ([calls] auto-answer-from), and it leaves set-up within the alert
     * or the configured delay: it cannot hold the PC's ringing hostage.
     * So is one that will be, still gathering its media (slow on a busy
     * PC: SIPp's ten calls a second got 486 meanwhile). */
    if (c->outgoing || (c->state != ZC_CALL_INCOMING && c->state != ZC_CALL_RINGING) || c->auto_answer_id != 0
        || !g_str_equal (c->flow.address, address))
      continue;
    n += !(calls->config->auto_answer && zc_call_auto_answer_match (c) != NULL);
  }
  return n;
}

/* What a caller's INVITE says about it goes to D-Bus (GVariant strings
 * must be UTF-8) and to terminals: made valid UTF-8 without control
 * characters or escape sequences first. */
static char *
sip_text (const char *text)
{
  return text != NULL ? zc_sanitize_text (text, -1) : NULL;
}

/* [calls] accept-from.  A call through the rendezvous is one whose
 * request comes from the registrar's (or outbound proxy's) resolved
 * address: it relays callers from anywhere, so it counts as
 * "rendezvous", never as "lan", even when the registrar sits on the LAN;
 * that keeps accept-from=lan meaning "only from the local network". */
gboolean
zc_calls_source_accepted (guint accept_from, gboolean from_registrar, gboolean on_lan)
{
  if (accept_from & ZC_ACCEPT_FROM_ANY)
    return TRUE;
  if (from_registrar)
    return (accept_from & ZC_ACCEPT_FROM_RENDEZVOUS) != 0;
  return (accept_from & ZC_ACCEPT_FROM_LAN) && on_lan;
}

static gboolean
accepted_source (ZcCalls *calls, const ZcSipFlow *from)
{
  gboolean from_registrar = zc_rendezvous_is_registrar (calls->rendezvous, from->address);

  /* The LAN test walks the interfaces: only when it can matter. */
  return zc_calls_source_accepted (calls->config->accept_from, from_registrar,
                                   !from_registrar && (calls->config->accept_from & ZC_ACCEPT_FROM_LAN)
                                     && zc_target_address_is_local (calls->peers, from->address));
}

/* Two fingerprints in any of their spellings (TLS gives the SDP one, the
 * peer table the human one). */
static gboolean
same_fingerprint (const char *a, const char *b)
{
  ZcFingerprint fa, fb;

  return zc_fingerprint_parse (a, &fa, NULL) && zc_fingerprint_parse (b, &fb, NULL) && zc_fingerprint_equal (&fa, &fb);
}

void
zc_calls_ua_incoming_cb (ZcSipSession *session, const char *sdp, const ZcSipFlow *from, gpointer user_data)
{
  ZcCalls *calls = user_data;
  const ZcConfig *config = calls->config;
  ZcCall *call;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) peer = NULL;
  guint live = zc_calls_count_live (calls);

  if (!accepted_source (calls, from)) {
    g_message ("refusing a call from %s: %s (see [calls] accept-from)", from->address,
               zc_rendezvous_is_registrar (calls->rendezvous, from->address) ? "through the rendezvous"
                                                                             : "not on the LAN");
    zc_sip_session_reject (session, 403, "Forbidden");
    return;
  }

  if (count_setup_from (calls, from->address) >= MAX_SETUP_PER_SOURCE) {
    g_message ("refusing a call from %s: %u calls from there still ringing", from->address, MAX_SETUP_PER_SOURCE);
    zc_sip_session_reject (session, 486, "Busy Here");
    return;
  }
  call = zc_calls_add (calls, FALSE, ZC_CALL_INCOMING);
  call->session = session;
  call->flow = *from;
  call->via_rendezvous = zc_rendezvous_is_registrar (calls->rendezvous, from->address);
  zc_sip_session_set_user_data (session, call);
  call->peer_uri = sip_text (zc_sip_session_get_remote_uri (session));
  call->sip_call_id = sip_text (zc_sip_session_get_call_id (session));
  /* The name comes from the key DTLS proves (call-stream.c); until then
   * the From display name is shown as what it is, an assertion. */
  call->asserted_name = sip_text (zc_sip_session_get_remote_display_name (session));
  peer = call->via_rendezvous ? NULL
                              : zc_target_claimed_peer (calls->peers, zc_sip_session_get_remote_uri (session),
                                                        from->address);
  call->local_address = g_strdup (zc_sip_session_get_local_address (session));

  /* A peer whose key no longer matches its pin (or a copy of another's
   * identity) does not ring here until the user accepted the new key.
   * Over TLS the caller proved its key in the handshake already: it must
   * be the pin of the peer the request claims to come from, whatever
   * host it was sent from. */
  {
    const char *reason;
    const char *name = "";
    const char *pinned = NULL;

    if (peer != NULL)
      g_variant_lookup (peer, "name", "&s", &name);
    if (peer != NULL && zc_target_peer_is_refused (peer, &reason)) {
      g_message ("refusing a call from %s (%s): %s; see “zcall trust --replace”", call->peer_uri, name, reason);
      zc_call_refuse (call, reason, 403, g_str_equal (reason, "identity changed") ? "Identity Changed"
                                                                                    : "Identity Conflict");
      return;
    }
    if (peer != NULL && g_variant_lookup (peer, "fingerprint", "&s", &pinned) && *pinned != '\0')
      call->claimed_fingerprint = g_strdup (pinned);
    if (from->proto == ZC_SIP_TLS && call->claimed_fingerprint != NULL &&
        !same_fingerprint (from->fingerprint, call->claimed_fingerprint)) {
      g_message ("refusing a call from %s (%s port %u) claiming to be %s: its TLS certificate (%s) is not the key "
                 "pinned for that peer", call->peer_uri, from->address, from->port, *name ? name : "a peer",
                 *from->fingerprint ? from->fingerprint : "none");
      zc_call_refuse (call, "identity mismatch", 403, "Identity Mismatch");
      return;
    }
  }

  /* A call that replaces one of ours (RFC 3891) takes its line. */
  if (!zc_transfer_replaces_incoming (call))
    return;
  if (call->replaces_call == NULL && zc_call_forward_incoming (call))
    return;
  if (call->replaces_call == NULL && calls->dnd) {
    zc_call_refuse (call, "do not disturb", 480, "Do Not Disturb");
    return;
  }
  if (call->replaces_call == NULL && (live >= config->max_calls || zc_calls_waiting_refuses (calls))) {
    zc_call_refuse (call, "busy", 486, "Busy Here");
    return;
  }
  /* Refuse an offer we cannot take before gathering anything for it. */
  if (sdp != NULL && !zc_call_negotiate_offer (call, sdp, &error)) {
    g_message ("refusing a call from %s: %s", call->peer_uri, error->message);
    zc_call_refuse (call, "incompatible media", 488, "Not Acceptable Here");
    return;
  }
  /* A call from a discovered zcall agent is held to the key pinned for
   * it: encrypted, and with that key in the offer. */
  {
    const char *refusal;

    if (call->offer.remote != NULL && (refusal = zc_call_stream_check_pin (call, call->offer.remote)) != NULL) {
      g_message ("refusing a call from %s: %s", call->peer_uri, refusal);
      zc_call_refuse (call, refusal, g_str_equal (refusal, "identity mismatch") ? 403 : 488,
                      g_str_equal (refusal, "identity mismatch") ? "Identity Mismatch" : "Not Acceptable Here");
      return;
    }
  }
  /* Without an offer we offer in the 200 and so control ICE. */
  if (!zc_call_stream_new (call, call->offer.remote == NULL,
                          call->offer.remote != NULL && zc_sdp_session_get_rtcp_mux (call->offer.remote), &error)) {
    g_warning ("call %s: no media transport: %s", call->id, error->message);
    zc_call_refuse (call, "no media", 500, "No Media Transport");
  }
}
