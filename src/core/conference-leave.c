/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The host of a three-way conference leaving (`zcall hangup --all`): with
 * [calls] conference-hangup=transfer, as a desk phone does, the other two
 * are joined by an attended transfer (transfer-attended.c: REFER to one
 * with Replaces naming the other's dialog) and our calls end with it;
 * with end, or when that transfer fails, both calls are hung up.  A
 * transferee that never reports the end does not keep us in the calls:
 * the REFER's subscription bound fails the transfer (transfer.c).
 * Hanging up one call of a conference drops that party only
 * (conference.c). */
#define G_LOG_DOMAIN "calls"

#include "config.h"
#include "core/calls.h"

#include "core/call-private.h"

static void
hang_up (ZcCall *call)
{
  if (call->state == ZC_CALL_ENDED)
    return;
  zc_call_set_reason (call, "hangup", 0);
  if (call->session != NULL)
    zc_sip_session_hangup (call->session);
  zc_call_end (call);
}

static void
end_group (ZcCalls *calls, guint group)
{
  g_autoptr (GPtrArray) members = g_ptr_array_new ();

  for (guint i = 0; i < calls->calls->len; i++) {
    ZcCall *call = g_ptr_array_index (calls->calls, i);

    if (call->conference == group && call->conference_leaving)
      g_ptr_array_add (members, call);
  }
  for (guint i = 0; i < members->len; i++) {
    ZcCall *call = g_ptr_array_index (members, i);

    call->conference_leaving = FALSE;
    /* A failed transfer cleared the reason it set beforehand. */
    if (g_strcmp0 (call->end_reason, "transferred") == 0 && call->state != ZC_CALL_ENDED)
      g_clear_pointer (&call->end_reason, g_free);
    hang_up (call);
  }
}

void
zc_conference_leave_failed (ZcCall *call)
{
  g_message ("conference %u: joining the other two failed: hanging up", call->conference);
  end_group (call->calls, call->conference);
}

static guint
conference_leave (ZcCalls *calls)
{
  guint taken = 0;

  if (!calls->config->conference_hangup_transfer)
    return 0;
  for (guint i = 0; i < calls->calls->len; i++) {
    ZcCall *first = g_ptr_array_index (calls->calls, i);
    ZcCall *second = NULL;
    g_autoptr (GError) error = NULL;

    if (first->conference == 0 || first->conference_leaving || first->state == ZC_CALL_ENDED)
      continue;
    for (guint j = i + 1; j < calls->calls->len && second == NULL; j++) {
      ZcCall *c = g_ptr_array_index (calls->calls, j);

      if (c->conference == first->conference && c->state != ZC_CALL_ENDED)
        second = c;
    }
    if (second == NULL)
      continue;
    /* The older call's peer calls the other: either way round joins them. */
    if (!zc_calls_transfer_to (calls, first->id, second->id, &error)) {
      g_message ("conference %u: cannot join calls %s and %s (%s): hanging up", first->conference, first->id,
                 second->id, error->message);
      continue;
    }
    g_message ("conference %u: we leave, joining call %s's peer to call %s's", first->conference, first->id,
               second->id);
    first->conference_leaving = TRUE;
    second->conference_leaving = TRUE;
    taken += 2;
  }
  return taken;
}

guint
zc_calls_leave_all (ZcCalls *calls)
{
  g_autoptr (GPtrArray) rest = g_ptr_array_new_with_free_func (g_free);
  guint n = conference_leave (calls);

  /* Hanging up changes the list: ids first, as zc_calls_hangup_all(). */
  for (guint i = 0; i < calls->calls->len; i++) {
    ZcCall *call = g_ptr_array_index (calls->calls, i);

    if (call->state != ZC_CALL_ENDED && !call->conference_leaving)
      g_ptr_array_add (rest, g_strdup (call->id));
  }
  for (guint i = 0; i < rest->len; i++)
    if (zc_calls_hangup (calls, g_ptr_array_index (rest, i), NULL))
      n++;
  return n;
}
