/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Blind call transfer (RFC 3515) in both roles (the attended one's
 * Replaces is transfer-attended.c's).  As the transferor we
 * REFER the peer to a target and end our call once its NOTIFYs report the
 * new call answered.  As the transferee we decide by [calls]
 * accept-transfer whether to carry a REFER out, place the new call like
 * `zcall call` would, report its progress back as sipfrag NOTIFYs and
 * hang up the old call once the new one is answered. */
#define G_LOG_DOMAIN "core"

#include "config.h"
#include "core/call-private.h"
#include "core/targets.h"
#include "common/i18n.h"

#include <string.h>

static gboolean
stage_final (const char *stage)
{
  return stage != NULL && (g_str_equal (stage, "done") || g_str_equal (stage, "failed"));
}

static void
set_transfer (ZcCall *call, const char *stage)
{
  g_free (call->transfer);
  call->transfer = g_strdup (stage);
  if (stage_final (stage))
    g_clear_handle_id (&call->transfer_expire_id, g_source_remove);
  zc_call_emit (call, "transfer");
}

/* ---- the REFER's subscription bound (RFC 3515 2.4.4) ------------------------ */

static gboolean
refer_expired_cb (gpointer data)
{
  ZcCall *call = data;

  call->transfer_expire_id = 0;
  if (call->state == ZC_CALL_ENDED || call->transfer == NULL || stage_final (call->transfer))
    return G_SOURCE_REMOVE;
  /* The implicit subscription is over: the peer will not tell us any
   * more, and our call goes on as after a failure it reported. */
  g_message ("call %s: transfer failed: no final NOTIFY before the REFER's subscription expired", call->id);
  set_transfer (call, "failed");
  zc_transfer_attended_progress (call);
  return G_SOURCE_REMOVE;
}

static void
arm_expiry (ZcCall *call, gint64 deadline_us)
{
  gint64 left_ms = MAX (deadline_us - g_get_monotonic_time (), 0) / 1000;

  call->transfer_deadline_us = deadline_us;
  g_clear_handle_id (&call->transfer_expire_id, g_source_remove);
  /* To the millisecond: whole seconds could be coalesced early. */
  call->transfer_expire_id = g_timeout_add ((guint) left_ms, refer_expired_cb, call);
}

void
zc_transfer_watch (ZcCall *call)
{
  arm_expiry (call, g_get_monotonic_time () + (gint64) ZC_SIP_REFER_SUBSCRIPTION_S * G_USEC_PER_SEC);
}

/* A NOTIFY's Subscription-State may end the subscription sooner; never
 * later than the bound we set when the REFER went out. */
static void
subscription_lasts (ZcCall *call, int expires)
{
  gint64 deadline_us;

  if (expires <= 0 || call->transfer_expire_id == 0)
    return;
  deadline_us = g_get_monotonic_time () + (gint64) expires * G_USEC_PER_SEC;
  if (deadline_us < call->transfer_deadline_us) {
    g_message ("call %s: the transfer's subscription expires in %d s", call->id, expires);
    arm_expiry (call, deadline_us);
  }
}

/* ---- transferor --------------------------------------------------------------- */

gboolean
zc_calls_transfer (ZcCalls *calls, const char *id, const char *target, gboolean *about_target, GError **error)
{
  ZcCall *call = NULL;
  g_autofree char *uri = NULL;

  *about_target = FALSE;
  if (id != NULL && *id != '\0') {
    call = zc_calls_lookup (calls, id);
    if (call == NULL) {
      g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_NOT_FOUND, _("no call %s"), id);
      return FALSE;
    }
  } else {
    for (guint i = 0; i < calls->calls->len; i++) {
      ZcCall *c = g_ptr_array_index (calls->calls, i);

      if (!zc_call_is_established (c))
        continue;
      if (call != NULL) {
        g_set_error_literal (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_AMBIGUOUS,
                             _("several calls are established; give a call id (zcall calls)"));
        return FALSE;
      }
      call = c;
    }
    if (call == NULL) {
      g_set_error_literal (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_NOT_FOUND, _("no call to act on"));
      return FALSE;
    }
  }
  if (!zc_call_is_established (call) || call->session == NULL) {
    g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_STATE, _("call %s is not established"), call->id);
    return FALSE;
  }
  uri = zc_target_resolve (calls->peers, target, error);
  if (uri == NULL) {
    *about_target = TRUE;
    return FALSE;
  }
  if (!zc_sip_session_refer (call->session, uri)) {
    g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_STATE, _("call %s cannot be transferred now"), call->id);
    return FALSE;
  }
  g_message ("call %s: transferring to %s (REFER)", call->id, uri);
  set_transfer (call, "requested");
  zc_transfer_watch (call);
  return TRUE;
}

void
zc_transfer_set_stage (ZcCall *call, const char *stage)
{
  set_transfer (call, stage);
}

static void
refer_progress (ZcSipSession *session, gboolean notify, int status, int expires)
{
  ZcCall *call = zc_sip_session_get_user_data (session);

  if (call == NULL || call->transfer == NULL || stage_final (call->transfer))
    return;
  g_message ("call %s: transfer %s %d", call->id, notify ? "progress" : "answered", status);
  if (!notify) {
    /* The REFER's own answer: 202 only says the peer will try. */
    set_transfer (call, status < 300 ? "accepted" : "failed");
    return;
  }
  if (status < 200 && expires == 0) {
    /* RFC 3515 2.4.7: the subscription ended without a final status;
     * nothing tells us the new call was made. */
    g_message ("call %s: transfer failed: the peer ended the subscription without a final status", call->id);
    set_transfer (call, "failed");
    return;
  }
  subscription_lasts (call, expires);
  if (status < 180) {
    set_transfer (call, "trying");
  } else if (status < 200) {
    set_transfer (call, "ringing");
  } else if (status < 300) {
    /* RFC 5589 6.1: the transferee talks to the target now; the
     * transferor leaves. */
    set_transfer (call, "done");
    zc_call_set_reason (call, "transferred", 0);
    zc_sip_session_hangup (session);
    zc_call_end (call);
  } else {
    /* The target did not answer: our call goes on as it was. */
    set_transfer (call, "failed");
  }
}

void
zc_transfer_progress_cb (ZcSipSession *session, gboolean notify, int status, int expires,
                         gpointer user_data G_GNUC_UNUSED)
{
  ZcCall *call = zc_sip_session_get_user_data (session);

  refer_progress (session, notify, status, expires);
  /* An attended transfer's other call follows (transfer-attended.c). */
  if (call != NULL)
    zc_transfer_attended_progress (call);
}

/* ---- transferee --------------------------------------------------------------- */

static gboolean
peer_trusted (ZcCall *call)
{
  return call->peer_verified && g_strcmp0 (call->peer_trust, "verified") == 0;
}

/* RFC 3515 2.4.4: a NOTIFY follows the 202 at once; sent from idle so
 * that the 202 goes first.  The source belongs to the new call (@data),
 * which removes it when freed. */
static gboolean
initial_notify_cb (gpointer data)
{
  ZcCall *fresh = data;
  ZcCall *old = zc_calls_lookup (fresh->calls, fresh->referred_by_call);

  fresh->transfer_notify_id = 0;
  if (old != NULL && old->session != NULL && old->state != ZC_CALL_ENDED && fresh->state == ZC_CALL_CALLING)
    zc_sip_session_notify_refer (old->session, 100, "Trying");
  return G_SOURCE_REMOVE;
}

int
zc_transfer_refer_cb (ZcSipSession *session, const char *refer_to, gpointer user_data)
{
  ZcCalls *calls = user_data;
  ZcCall *call = zc_sip_session_get_user_data (session);
  ZcAcceptTransfer policy = calls->config->accept_transfer;

  if (call == NULL || !zc_call_is_established (call))
    return 603;
  if (policy == ZC_ACCEPT_TRANSFER_ASK && !peer_trusted (call))
    return zc_transfer_ask (call, refer_to);
  if (policy == ZC_ACCEPT_TRANSFER_NONE ||
      (policy != ZC_ACCEPT_TRANSFER_ANY && !peer_trusted (call))) {
    g_message ("call %s: refusing a transfer to %s ([calls] accept-transfer: the peer is not trusted)", call->id,
               refer_to);
    return 603;
  }
  return zc_transfer_carry_out (call, refer_to);
}

int
zc_transfer_carry_out (ZcCall *call, const char *refer_to)
{
  ZcCalls *calls = call->calls;
  g_autoptr (GError) error = NULL;
  g_autofree char *new_id = NULL;
  ZcCall *fresh;

  new_id = zc_calls_dial (calls, refer_to, &error);
  if (new_id == NULL) {
    g_message ("call %s: cannot carry out the transfer to %s (%s)", call->id, refer_to, error->message);
    return 603;
  }
  g_message ("call %s: transferred to %s by the peer (call %s)", call->id, refer_to, new_id);
  fresh = zc_calls_lookup (calls, new_id);
  fresh->referred_by_call = g_strdup (call->id);
  if (call->session != NULL)
    zc_transfer_take_refer_headers (call->session, fresh);
  set_transfer (call, "accepted");
  fresh->transfer_notify_id = g_idle_add (initial_notify_cb, fresh);
  return 202;
}

void
zc_transfer_call_changed (ZcCall *call, const char *event)
{
  ZcCall *old;

  if (g_str_equal (event, "ended"))
    zc_transfer_ask_clear (call);
  zc_transfer_attended_call_changed (call, event);
  if (call->referred_by_call == NULL)
    return;
  old = zc_calls_lookup (call->calls, call->referred_by_call);
  if (old == NULL || old->session == NULL || old->state == ZC_CALL_ENDED)
    return;
  if (g_str_equal (event, "ringing")) {
    zc_sip_session_notify_refer (old->session, 180, "Ringing");
    set_transfer (old, "ringing");
  } else if (g_str_equal (event, "answered")) {
    zc_sip_session_notify_refer (old->session, 200, "OK");
    g_clear_pointer (&call->referred_by_call, g_free);
    set_transfer (old, "done");
    zc_call_set_reason (old, "transferred", 0);
    zc_sip_session_hangup (old->session);
    zc_call_end (old);
  } else if (g_str_equal (event, "ended")) {
    zc_sip_session_notify_refer (old->session, call->sip_status >= 300 ? (int) call->sip_status : 503,
                                 call->end_reason != NULL ? call->end_reason : "Service Unavailable");
    g_clear_pointer (&call->referred_by_call, g_free);
    set_transfer (old, "failed");
  }
}
