/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Call forwarding (`zcall forward`): incoming calls answered 302 Moved
 * Temporarily with the target's contact (RFC 3261 21.3.3), always, when
 * busy instead of 486, or after ringing unanswered.  The caller follows
 * the redirection itself (a zcall caller does so in redirect.c), so the
 * call never passes through this agent.  Only calls this agent would
 * take get forwarded: [calls] accept-from and the pins are checked
 * first, so a stranger cannot bounce calls off us. */
#define G_LOG_DOMAIN "calls"

#include "config.h"
#include "core/forward.h"

#include "common/i18n.h"
#include "core/targets.h"

#include <string.h>

static const char *const mode_names[] = { "off", "always", "busy", "no-answer" };

void
zc_forward_clear (ZcForward *forward)
{
  g_clear_pointer (&forward->target, g_free);
  forward->mode = ZC_FORWARD_OFF;
}

/* The contact the target has now: a discovered peer's address (it may
 * have moved since forwarding was set), or the URI as given. */
static char *
forward_contact (ZcCalls *calls, const char *target, GError **error)
{
  ZcSipFlow flow;
  g_autoptr (GError) local_error = NULL;
  char *uri = zc_target_route (calls->peers, target, &flow, &local_error);

  if (uri != NULL)
    return uri;
  /* user@domain or a URI with a name the caller resolves (through its
   * rendezvous, or DNS). */
  if (g_str_has_prefix (target, "sip:") || g_str_has_prefix (target, "sips:"))
    return g_strdup (target);
  if (strchr (target, '@') != NULL)
    return g_strconcat ("sip:", target, NULL);
  g_propagate_error (error, g_steal_pointer (&local_error));
  return NULL;
}

static gboolean
forward_now (ZcCall *call, const char *why)
{
  ZcForward *forward = call->calls->forward;
  g_autoptr (GError) error = NULL;
  g_autofree char *contact = NULL;

  if (forward == NULL || call->session == NULL)
    return FALSE;
  contact = forward_contact (call->calls, forward->target, &error);
  if (contact == NULL) {
    g_message ("call %s: cannot forward to %s (%s); it rings here", call->id, forward->target, error->message);
    return FALSE;
  }
  g_message ("call %s from %s: forwarded (%s) to %s", call->id, call->peer_uri, why, contact);
  zc_call_set_reason (call, "forwarded", 302);
  zc_call_stop_tone (call);
  zc_sip_session_redirect (call->session, 302, (const char *const[]){ contact, NULL });
  zc_call_end (call);
  return TRUE;
}

static gboolean
no_answer_cb (gpointer user_data)
{
  ZcCall *call = user_data;

  call->forward_timer_id = 0;
  /* Answered, cancelled or refused meanwhile: nothing to do (a CANCEL
   * that crossed the 302 is answered by the user agent with the INVITE
   * already final, RFC 3261 9.2). */
  if (call->state == ZC_CALL_INCOMING || call->state == ZC_CALL_RINGING)
    forward_now (call, "no answer");
  return G_SOURCE_REMOVE;
}

gboolean
zc_call_forward_incoming (ZcCall *call)
{
  ZcForward *forward = call->calls->forward;

  if (forward == NULL)
    return FALSE;
  if (forward->mode == ZC_FORWARD_ALWAYS)
    return forward_now (call, "always");
  if (forward->mode == ZC_FORWARD_NO_ANSWER)
    call->forward_timer_id = zc_call_timeout_add_ms (forward->no_answer_s * 1000, no_answer_cb, call);
  return FALSE;
}

gboolean
zc_call_forward_busy (ZcCall *call)
{
  ZcForward *forward = call->calls->forward;

  return forward != NULL && forward->mode == ZC_FORWARD_BUSY && forward_now (call, "busy");
}

static gboolean
set_forward (ZcCalls *calls, const char *mode, const char *target, guint no_answer_s, gboolean check_target,
             GError **error)
{
  ZcForwardMode m = ZC_FORWARD_OFF;
  g_autofree char *contact = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (mode_names); i++)
    if (g_strcmp0 (mode, mode_names[i]) == 0)
      m = (ZcForwardMode) i, mode = NULL;
  if (mode != NULL) {
    g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_INVALID, _("unknown forwarding “%s” (always, busy, no-answer or off)"),
                 mode);
    return FALSE;
  }
  if (m == ZC_FORWARD_OFF) {
    if (calls->forward != NULL)
      g_message ("call forwarding off");
    if (calls->forward != NULL)
      zc_forward_clear (calls->forward);
    g_clear_pointer (&calls->forward, g_free);
    return TRUE;
  }
  if (target == NULL || *target == '\0') {
    g_set_error_literal (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_INVALID, _("forwarding needs a target"));
    return FALSE;
  }
  /* Ringing a second or two is needed to answer at all; longer than the
   * ring timeout never forwards. */
  if (m == ZC_FORWARD_NO_ANSWER && (no_answer_s < 1 || no_answer_s * 1000 >= calls->timers.ring_timeout_ms)) {
    g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_INVALID,
                 _("the ring time before forwarding must be 1 to %u seconds"),
                 calls->timers.ring_timeout_ms / 1000 - 1);
    return FALSE;
  }
  if (check_target && (contact = forward_contact (calls, target, error)) == NULL)
    return FALSE;
  if (calls->forward == NULL)
    calls->forward = g_new0 (ZcForward, 1);
  zc_forward_clear (calls->forward);
  calls->forward->mode = m;
  calls->forward->target = g_strdup (target);
  calls->forward->no_answer_s = m == ZC_FORWARD_NO_ANSWER ? no_answer_s : 0;
  if (contact != NULL)
    g_message ("call forwarding %s to %s (%s now)", mode_names[m], target, contact);
  else
    g_message ("call forwarding %s to %s, kept from the last run (resolved for each call)", mode_names[m], target);
  return TRUE;
}

gboolean
zc_calls_set_forward (ZcCalls *calls, const char *mode, const char *target, guint no_answer_s, GError **error)
{
  return set_forward (calls, mode, target, no_answer_s, TRUE, error);
}

gboolean
zc_calls_restore_forward (ZcCalls *calls, const char *mode, const char *target, guint no_answer_s, GError **error)
{
  return set_forward (calls, mode, target, no_answer_s, FALSE, error);
}

GVariant *
zc_calls_describe_forward (ZcCalls *calls)
{
  ZcForward *forward = calls->forward;
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "mode", g_variant_new_string (mode_names[forward ? forward->mode : ZC_FORWARD_OFF]));
  g_variant_builder_add (&b, "{sv}", "target", g_variant_new_string (forward && forward->target ? forward->target : ""));
  g_variant_builder_add (&b, "{sv}", "no_answer_s", g_variant_new_uint32 (forward ? forward->no_answer_s : 0));
  return g_variant_builder_end (&b);
}

gboolean
zc_calls_is_forwarding (ZcCalls *calls)
{
  return calls->forward != NULL && calls->forward->mode != ZC_FORWARD_OFF;
}
