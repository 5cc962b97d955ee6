/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The office phone's part of the call list: mute, and what the calls
 * say about the line for presence (core/presence.h). */
#define G_LOG_DOMAIN "calls"

#include "config.h"
#include "core/calls.h"

#include "common/i18n.h"
#include "core/call-private.h"

/* @id "" means the one call we talk on: the only active one, else the
 * only established one (a held call is muted by its hold already, but
 * one may still mute it ahead of the resume). */
static ZcCall *
find_established (ZcCalls *calls, const char *id, GError **error)
{
  ZcCall *active = NULL, *established = NULL;
  guint n_active = 0, n_established = 0;

  for (guint i = 0; i < calls->calls->len; i++) {
    ZcCall *call = g_ptr_array_index (calls->calls, i);

    if (*id != '\0') {
      if (!g_str_equal (call->id, id))
        continue;
      if (!zc_call_is_established (call)) {
        g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_STATE, _("call %s is not established"), call->id);
        return NULL;
      }
      return call;
    }
    if (call->state == ZC_CALL_ACTIVE) {
      active = call;
      n_active++;
    }
    if (zc_call_is_established (call)) {
      established = call;
      n_established++;
    }
  }
  if (*id != '\0') {
    g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_NOT_FOUND, _("no call %s"), id);
    return NULL;
  }
  if (n_active == 1)
    return active;
  if (n_established == 1)
    return established;
  if (n_established == 0)
    g_set_error_literal (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_NOT_FOUND, _("no call to act on"));
  else
    g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_AMBIGUOUS, _("%u calls fit; give a call id (zcall calls)"),
                 n_established);
  return NULL;
}

gboolean
zc_calls_set_muted (ZcCalls *calls, const char *id, gboolean muted, GError **error)
{
  ZcCall *call = find_established (calls, id != NULL ? id : "", error);

  if (call == NULL)
    return FALSE;
  if (call->muted == muted)
    return TRUE;
  call->muted = muted;
  if (call->media != NULL && calls->media_ops->set_muted != NULL)
    calls->media_ops->set_muted (call->media, muted);
  g_message ("call %s: microphone %s", call->id, muted ? "muted" : "unmuted");
  zc_call_emit (call, muted ? "muted" : "unmuted");
  return TRUE;
}

void
zc_calls_get_activity (ZcCalls *calls, guint *on_call, guint *ringing)
{
  *on_call = 0;
  *ringing = 0;
  for (guint i = 0; i < calls->calls->len; i++) {
    ZcCall *call = g_ptr_array_index (calls->calls, i);

    gboolean being_set_up = call->state == ZC_CALL_INCOMING || call->state == ZC_CALL_RINGING;

    /* An outgoing call being set up takes the line as a call does: the
     * colleague is on the phone, not free to be called.  So does a
     * replacement being answered (an ended one is history, as every
     * ended call). */
    if (zc_call_is_established (call) || call->state == ZC_CALL_CALLING || (call->outgoing && call->state == ZC_CALL_RINGING) ||
        (call->replaces_call != NULL && being_set_up))
      (*on_call)++;
    else if (!call->outgoing && (call->state == ZC_CALL_INCOMING || call->state == ZC_CALL_RINGING))
      (*ringing)++;
  }
}
