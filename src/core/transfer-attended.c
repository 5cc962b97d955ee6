/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Attended transfer (RFC 5589 7) in its three roles.  The transferor
 * (`zcall transfer ID --to ID2`) REFERs the peer of one call to the peer
 * of the other, with Replaces (RFC 3891) naming that second dialog; both
 * calls end "transferred" once the NOTIFYs report the new call answered.
 * The transferee's new call carries the Refer-To's Replaces on (the REFER
 * policy itself is transfer.c's).  The target answers an INVITE that
 * replaces one of its calls at once, when the caller may replace it, and
 * ends the replaced call. */
#define G_LOG_DOMAIN "core"

#include "config.h"
#include "core/call-private.h"
#include "core/targets.h"
#include "common/i18n.h"

static ZcCall *
find_established (ZcCalls *calls, const char *id, GError **error)
{
  ZcCall *call = zc_calls_lookup (calls, id);

  if (call == NULL) {
    g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_NOT_FOUND, _("no call %s"), id);
    return NULL;
  }
  if (!zc_call_is_established (call) || call->session == NULL) {
    g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_STATE, _("call %s is not established"), call->id);
    return NULL;
  }
  return call;
}

/* ---- transferor --------------------------------------------------------------- */

gboolean
zc_calls_transfer_to (ZcCalls *calls, const char *id, const char *other_id, GError **error)
{
  ZcCall *call, *other;

  if ((call = find_established (calls, id, error)) == NULL || (other = find_established (calls, other_id, error)) == NULL)
    return FALSE;
  if (call == other) {
    g_set_error_literal (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_INVALID, _("a transfer needs two different calls"));
    return FALSE;
  }
  if (call->transfer_with != NULL || other->transfer_with != NULL ||
      !zc_sip_session_refer_replacing (call->session, other->session)) {
    g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_STATE, _("call %s cannot be transferred now"), call->id);
    return FALSE;
  }
  g_message ("call %s: transferring to the peer of call %s (REFER with Replaces)", call->id, other->id);
  call->transfer_with = g_strdup (other->id);
  /* The target ends our second call with BYE as soon as the new call
   * replaced it, which may come before the transferee's NOTIFY 200: that
   * BYE is the transfer's.  A failed transfer takes it back. */
  zc_call_set_reason (other, "transferred", 0);
  zc_transfer_set_stage (call, "requested");
  zc_transfer_set_stage (other, "requested");
  zc_transfer_watch (call);
  return TRUE;
}

void
zc_transfer_attended_progress (ZcCall *call)
{
  ZcCall *other = zc_calls_lookup (call->calls, call->transfer_with);
  gboolean done, failed;

  if (other == NULL || call->transfer == NULL)
    return;
  done = g_str_equal (call->transfer, "done");
  failed = g_str_equal (call->transfer, "failed");
  if (g_strcmp0 (other->transfer, call->transfer) != 0)
    zc_transfer_set_stage (other, call->transfer);
  if (!done && !failed)
    return;
  g_clear_pointer (&call->transfer_with, g_free);
  if (done) {
    if (other->state != ZC_CALL_ENDED) {
      /* The target did not end it (yet): we leave it. */
      if (other->session != NULL)
        zc_sip_session_hangup (other->session);
      zc_call_end (other);
    }
    return;
  }
  if (other->state != ZC_CALL_ENDED && g_strcmp0 (other->end_reason, "transferred") == 0)
    g_clear_pointer (&other->end_reason, g_free);
  if (call->conference_leaving)
    zc_conference_leave_failed (call);
}

/* ---- transferee --------------------------------------------------------------- */

void
zc_transfer_take_refer_headers (ZcSipSession *session, ZcCall *fresh)
{
  const char *replaces = zc_sip_session_get_refer_replaces (session);
  const char *referred_by = zc_sip_session_get_refer_referred_by (session);

  /* The INVITE goes out once the new call's media is ready, after this. */
  fresh->replaces = g_strdup (replaces);
  fresh->referred_by = g_strdup (referred_by);
  if (replaces != NULL)
    g_message ("call %s: replaces the transferor's call with our target (Replaces: %s)", fresh->id, replaces);
}

/* ---- target --------------------------------------------------------------------- */

/* RFC 3891 6: who may take over a call of ours.  Its own peer (the
 * certificate of a TLS dialog, else its address); a discovered zcall
 * peer whose key the user verified (zcall trust), held to that key as an
 * auto-answered caller is (the offer carries it, DTLS must prove it);
 * anyone with [calls] accept-transfer=any; no one else with none. */
static gboolean
replaces_allowed (ZcCall *call, gboolean from_its_peer)
{
  ZcAcceptTransfer policy = call->calls->config->accept_transfer;
  g_autoptr (GVariant) peer = NULL;
  const char *trust = "";
  const char *fingerprint = "";

  if (from_its_peer || policy == ZC_ACCEPT_TRANSFER_ANY)
    return TRUE;
  if (policy == ZC_ACCEPT_TRANSFER_NONE || call->via_rendezvous || call->claimed_fingerprint == NULL ||
      call->calls->peers == NULL)
    return FALSE;
  peer = zc_target_peer_by_address (call->calls->peers, call->flow.address);
  return peer != NULL && g_variant_lookup (peer, "fingerprint", "&s", &fingerprint) &&
         g_strcmp0 (fingerprint, call->claimed_fingerprint) == 0 && g_variant_lookup (peer, "trust", "&s", &trust) &&
         g_str_equal (trust, "verified");
}

gboolean
zc_transfer_replaces_incoming (ZcCall *call)
{
  gboolean from_its_peer = FALSE;
  ZcSipSession *replaced = zc_sip_session_get_replaced (call->session, &from_its_peer);
  ZcCall *old;

  if (replaced == NULL)
    return TRUE;
  old = zc_sip_session_get_user_data (replaced);
  /* A replacement still being answered cannot be replaced yet; once it
   * is the call, it can be, as any call (a second transfer onward). */
  if (old == NULL || old->state == ZC_CALL_ENDED || (old->replaces_call != NULL && !zc_call_is_established (old))) {
    zc_call_refuse (call, "declined", 603, "Declined");
    return FALSE;
  }
  if (!replaces_allowed (call, from_its_peer)) {
    g_message ("call %s from %s: refusing to let it replace call %s (not that call's peer, not a verified peer; "
               "[calls] accept-transfer)", call->id, call->peer_uri, old->id);
    zc_call_refuse (call, "transfer refused", 403, "Forbidden");
    return FALSE;
  }
  g_message ("call %s from %s replaces call %s (RFC 3891)", call->id, call->peer_uri, old->id);
  call->replaces_call = g_strdup (old->id);
  /* It inherits the call's place: one we hold is answered on hold
   * (a=sendonly), before the media is ready and the answer written. */
  call->local_hold = old->local_hold;
  return TRUE;
}

gboolean
zc_transfer_replacing_answer (ZcCall *call)
{
  ZcCall *old = zc_calls_lookup (call->calls, call->replaces_call);
  g_autoptr (GError) error = NULL;

  if (call->replaces_call == NULL)
    return FALSE;
  if (old == NULL || old->state == ZC_CALL_ENDED) {
    zc_call_refuse (call, "declined", 603, "Declined");
    return TRUE;
  }
  /* It takes the replaced call's place: no ring, and it holds none of
   * our other calls (the user did not pick it up). */
  call->auto_answered = TRUE;
  if (!zc_call_answer (call, &error)) {
    g_message ("call %s: cannot answer the replacement of call %s (%s)", call->id, old->id, error->message);
    zc_call_refuse (call, "no media", 500, "Server Internal Error");
  }
  return TRUE;
}

void
zc_transfer_attended_call_changed (ZcCall *call, const char *event)
{
  ZcCall *old;

  if (g_str_equal (event, "ended") && call->transfer_with != NULL && g_strcmp0 (call->transfer, "done") != 0) {
    /* Our REFER'd call ended before the transfer was done: the other
     * call is ours again. */
    zc_transfer_set_stage (call, "failed");
    zc_transfer_attended_progress (call);
    return;
  }
  if (!g_str_equal (event, "answered") || call->replaces_call == NULL)
    return;
  old = zc_calls_lookup (call->calls, call->replaces_call);
  if (old == NULL || old->state == ZC_CALL_ENDED)
    return;
  g_message ("call %s replaced by call %s: hanging up", old->id, call->id);
  zc_call_conference_inherit (call, old);
  zc_call_set_reason (old, "replaced", 0);
  if (old->session != NULL)
    zc_sip_session_hangup (old->session);
  zc_call_end (old);
  if (call->local_hold && call->state == ZC_CALL_ACTIVE) {
    /* Answered on hold: silent both ways, shown held, as the old one was. */
    g_message ("call %s: on hold, as call %s was", call->id, old->id);
    zc_call_apply_hold (call);
    zc_call_fire (call, ZC_CALL_EV_HOLD);
  }
}
