/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Several calls at once, as a desk phone has them: one call is active
 * (not held by us), the others wait on hold.  Placing or answering a call
 * holds the active one, resuming a held call holds the active one (a
 * swap), and a call that comes in during a call is announced by the
 * call-waiting tone in the active call's playback instead of the ring;
 * [calls] call-waiting=false answers it 486 instead.  A call we placed
 * that is still ringing when the user turns to another one is answered
 * into hold, not taking the line from the call the user is on. */
#define G_LOG_DOMAIN "calls"

#include "config.h"

#include "core/call-private.h"

/* The call we talk on: established, and neither held by us nor being
 * put on hold.  A call the peer holds is still ours to talk on once the
 * peer resumes it, so it counts. */
static gboolean
is_talking (const ZcCall *call)
{
  return zc_call_is_established (call) && !call->local_hold && call->hold_pending != 1;
}

static gboolean
is_ringing_here (const ZcCall *call)
{
  /* A replacement being answered does not ring (transfer-attended.c). */
  return !call->outgoing && call->state == ZC_CALL_RINGING && call->replaces_call == NULL;
}

static ZcCall *
find_talking (ZcCalls *calls, const ZcCall *except)
{
  for (guint i = 0; i < calls->calls->len; i++) {
    ZcCall *call = g_ptr_array_index (calls->calls, i);

    if (call != except && is_talking (call))
      return call;
  }
  return NULL;
}

gboolean
zc_calls_waiting_refuses (ZcCalls *calls)
{
  guint on_call, ringing;

  if (calls->config->call_waiting)
    return FALSE;
  zc_calls_get_activity (calls, &on_call, &ringing);
  return on_call > 0;
}

void
zc_calls_hold_others (ZcCalls *calls, ZcCall *keep)
{
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);

  /* Holding sends re-INVITEs, which may end a call on the spot (a dead
   * transport): walk a copy of the ids, not the array. */
  for (guint i = 0; i < calls->calls->len; i++) {
    ZcCall *call = g_ptr_array_index (calls->calls, i);

    /* The other members of keep's conference are talked on with it. */
    if (call == keep || (keep->conference != 0 && call->conference == keep->conference))
      continue;
    if (is_talking (call))
      g_ptr_array_add (ids, g_strdup (call->id));
    else if (call->outgoing && (call->state == ZC_CALL_CALLING || call->state == ZC_CALL_RINGING))
      call->hold_when_answered = TRUE; /* still ringing: the user left it all the same */
  }
  for (guint i = 0; i < ids->len; i++) {
    g_autoptr (GError) error = NULL;
    const char *id = g_ptr_array_index (ids, i);

    if (zc_calls_hold (calls, id, TRUE, &error))
      g_message ("call %s: held for call %s", id, keep->id);
    else
      g_message ("call %s: cannot hold it for call %s: %s", id, keep->id, error->message);
  }
}

void
zc_call_apply_hold (ZcCall *call)
{
  const ZcCallStreamOps *ops = call->calls->media_ops;

  /* Silent both ways from the moment we ask for the hold: the user has
   * turned to the other call already. */
  if (call->media != NULL && ops->set_held != NULL)
    ops->set_held (call->media, call->local_hold || call->remote_hold || call->hold_pending == 1);
}

gboolean
zc_call_waiting_replaces_ring (ZcCall *call)
{
  return call->calls->config->call_waiting && find_talking (call->calls, call) != NULL;
}

/* The tone plays in the first call we talk on while any incoming call
 * rings, and nowhere else.  A call whose ring the tone replaced rings
 * after all once no call is left to talk on (the other party hung up). */
static void
waiting_update (ZcCalls *calls)
{
  const ZcCallStreamOps *ops = calls->media_ops;
  ZcCall *talking = find_talking (calls, NULL);
  gboolean ringing = FALSE;

  for (guint i = 0; i < calls->calls->len; i++) {
    ZcCall *call = g_ptr_array_index (calls->calls, i);

    if (!is_ringing_here (call))
      continue;
    ringing = TRUE;
    if (talking == NULL && call->ring_deferred && call->media != NULL) {
      call->ring_deferred = FALSE;
      ops->play_tone (call->media, ZC_MEDIA_TONE_RING);
    }
  }
  for (guint i = 0; i < calls->calls->len; i++) {
    ZcCall *call = g_ptr_array_index (calls->calls, i);
    gboolean wanted = ringing && call == talking && calls->config->call_waiting;

    if (call->waiting_tone == wanted || call->media == NULL || ops->set_waiting_tone == NULL)
      continue;
    call->waiting_tone = wanted;
    ops->set_waiting_tone (call->media, wanted);
    g_message ("call %s: call-waiting tone %s", call->id, wanted ? "on" : "off");
  }
}

/* The user turned to another call while this one rang at the peer's: the
 * peer answering late does not put that call on hold under them (placed to
 * bob, then to carol, who answers first: alice talks to carol until she
 * swaps): this one is held from the start instead.  FALSE when it was not
 * (no other call talked on, or the hold failed: not two calls talked on at
 * once, then, but the usual rule). */
static gboolean
hold_late_answer (ZcCalls *calls, ZcCall *call)
{
  ZcCall *talking = call->hold_when_answered ? find_talking (calls, call) : NULL;
  g_autoptr (GError) error = NULL;

  call->hold_when_answered = FALSE;
  if (talking == NULL)
    return FALSE;
  if (!zc_calls_hold (calls, call->id, TRUE, &error)) {
    g_message ("call %s: answered while call %s is talked on, cannot hold it: %s", call->id, talking->id,
               error->message);
    return FALSE;
  }
  g_message ("call %s: answered while call %s is talked on: held", call->id, talking->id);
  return TRUE;
}

void
zc_calls_waiting_event (ZcCall *call, const char *event)
{
  ZcCalls *calls = call->calls;

  /* Only one call is talked on: the one just answered, either way.  Not
   * one the agent answered by itself (an intercom, an automated line):
   * the user did not choose to leave the call they are on, and a load of
   * such calls (SIPp's) would re-INVITE every earlier one. */
  if (g_str_equal (event, "answered") && !call->auto_answered && !hold_late_answer (calls, call))
    zc_calls_hold_others (calls, call);
  waiting_update (calls);
}
