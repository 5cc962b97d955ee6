/* SPDX-License-Identifier: GPL-3.0-or-later */
/* [calls] accept-transfer=ask: a peer's REFER that policy does not carry
 * out at once waits for the user.  RFC 3515 2.4.2 lets the REFER be
 * accepted (202) before the transfer is decided, the NOTIFYs telling
 * what became of it: the REFER is answered 202 with a NOTIFY "100
 * Trying" (its transaction cannot wait for a person: Timer F would fire
 * at the transferor after 32 s), the call shows the request
 * (transfer_request, a "transfer-request" event, a desktop
 * notification), and the user accepts (the transfer goes on as a
 * trusted peer's would) or refuses; unanswered after
 * ZC_TRANSFER_ASK_TIMEOUT_MS it is refused.  A refusal is a NOTIFY "603
 * Declined" that ends the subscription, and the call goes on. */
#define G_LOG_DOMAIN "core"

#include "config.h"
#include "core/call-private.h"
#include "common/i18n.h"

static void
set_stage (ZcCall *call, const char *stage)
{
  g_free (call->transfer);
  call->transfer = g_strdup (stage);
  zc_call_emit (call, "transfer");
}

static void
forget_request (ZcCall *call)
{
  g_clear_pointer (&call->transfer_request, g_free);
  g_clear_handle_id (&call->transfer_ask_id, g_source_remove);
}

static void
refuse (ZcCall *call, const char *why)
{
  g_message ("call %s: transfer to %s refused (%s)", call->id, call->transfer_request, why);
  forget_request (call);
  if (call->session != NULL)
    zc_sip_session_notify_refer (call->session, 603, "Declined");
  set_stage (call, "refused");
}

static gboolean
ask_timeout_cb (gpointer user_data)
{
  ZcCall *call = user_data;

  call->transfer_ask_id = 0;
  refuse (call, "not answered in time");
  return G_SOURCE_REMOVE;
}

/* The NOTIFY that RFC 3515 2.4.4 wants right after the 202: from idle,
 * so that the 202 goes first. */
static gboolean
trying_cb (gpointer user_data)
{
  ZcCall *call = user_data;

  call->transfer_notify_id = 0;
  if (call->session != NULL && call->transfer_request != NULL)
    zc_sip_session_notify_refer (call->session, 100, "Trying");
  return G_SOURCE_REMOVE;
}

int
zc_transfer_ask (ZcCall *call, const char *refer_to)
{
  /* One question at a time: a second REFER meanwhile is refused. */
  if (call->transfer_request != NULL) {
    g_message ("call %s: refusing a transfer to %s (another one waits for the user)", call->id, refer_to);
    return 603;
  }
  g_message ("call %s: the peer asks to transfer the call to %s; waiting for the user ([calls] accept-transfer=ask)",
             call->id, refer_to);
  call->transfer_request = g_strdup (refer_to);
  call->transfer_ask_id = zc_call_timeout_add_ms (ZC_TRANSFER_ASK_TIMEOUT_MS, ask_timeout_cb, call);
  g_clear_handle_id (&call->transfer_notify_id, g_source_remove);
  call->transfer_notify_id = g_idle_add (trying_cb, call);
  g_free (call->transfer);
  call->transfer = g_strdup ("asking");
  zc_call_emit (call, "transfer-request");
  return 202;
}

/* The call with a pending request: @id's, or the only one when @id is
 * empty. */
static ZcCall *
find_asking (ZcCalls *calls, const char *id, GError **error)
{
  ZcCall *found = NULL;

  for (guint i = 0; i < calls->calls->len; i++) {
    ZcCall *call = g_ptr_array_index (calls->calls, i);

    if (id != NULL && *id != '\0') {
      if (!g_str_equal (call->id, id))
        continue;
      if (call->transfer_request == NULL) {
        g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_STATE, _("call %s has no transfer request"), id);
        return NULL;
      }
      return call;
    }
    if (call->transfer_request == NULL)
      continue;
    if (found != NULL) {
      g_set_error_literal (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_AMBIGUOUS,
                           _("several calls ask to be transferred; give a call id (zcall calls)"));
      return NULL;
    }
    found = call;
  }
  if (found == NULL) {
    if (id != NULL && *id != '\0')
      g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_NOT_FOUND, _("no call %s"), id);
    else
      g_set_error_literal (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_NOT_FOUND, _("no call asks to be transferred"));
  }
  return found;
}

gboolean
zc_calls_accept_transfer (ZcCalls *calls, const char *id, GError **error)
{
  ZcCall *call = find_asking (calls, id, error);
  g_autofree char *target = NULL;

  if (call == NULL)
    return FALSE;
  target = g_steal_pointer (&call->transfer_request);
  forget_request (call);
  g_message ("call %s: transfer to %s accepted by the user", call->id, target);
  if (zc_transfer_carry_out (call, target) != 202) {
    /* The 202 went out already: the failure is a final NOTIFY. */
    if (call->session != NULL)
      zc_sip_session_notify_refer (call->session, 503, "Service Unavailable");
    set_stage (call, "failed");
    g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_FAILED, _("cannot call %s"), target);
    return FALSE;
  }
  return TRUE;
}

gboolean
zc_calls_refuse_transfer (ZcCalls *calls, const char *id, GError **error)
{
  ZcCall *call = find_asking (calls, id, error);

  if (call == NULL)
    return FALSE;
  refuse (call, "by the user");
  return TRUE;
}

void
zc_transfer_ask_clear (ZcCall *call)
{
  forget_request (call);
}
