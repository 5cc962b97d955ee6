/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Local three-way conferences (`zcall conference ID ID`): two established
 * calls bridged in the audio engine (audio/engine.h, engine-conf.c), so
 * that each party hears us and the other.  The core keeps only the
 * membership: a number shared by the two calls. */
#define G_LOG_DOMAIN "calls"

#include "config.h"
#include "core/calls.h"

#include "common/i18n.h"
#include "core/call-private.h"

static ZcCall *
find_by_id (ZcCalls *calls, const char *id, GError **error)
{
  for (guint i = 0; i < calls->calls->len; i++) {
    ZcCall *call = g_ptr_array_index (calls->calls, i);

    if (!g_str_equal (call->id, id))
      continue;
    if (call->state != ZC_CALL_ACTIVE && call->state != ZC_CALL_HELD) {
      g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_STATE, _("call %s is not established"), call->id);
      return NULL;
    }
    return call;
  }
  g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_NOT_FOUND, _("no call %s"), id);
  return NULL;
}

static void
set_conference (ZcCall *call, guint group)
{
  call->conference = group;
  if (call->media != NULL && call->calls->media_ops->set_conference != NULL)
    call->calls->media_ops->set_conference (call->media, group);
}

gboolean
zc_calls_conference (ZcCalls *calls, const char *id1, const char *id2, GError **error)
{
  ZcCall *pair[2];
  guint group;

  if ((pair[0] = find_by_id (calls, id1, error)) == NULL || (pair[1] = find_by_id (calls, id2, error)) == NULL)
    return FALSE;
  if (pair[0] == pair[1]) {
    g_set_error_literal (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_INVALID, _("a conference needs two different calls"));
    return FALSE;
  }
  if (pair[0]->conference != 0 && pair[0]->conference == pair[1]->conference)
    return TRUE;
  for (guint i = 0; i < 2; i++)
    if (pair[i]->conference != 0) {
      /* Three-way only: a fourth party would need a mix per listener
       * and is not what a desk phone offers. */
      g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_STATE, _("call %s is in a conference already"),
                   pair[i]->id);
      return FALSE;
    }
  /* A call we hold sends and receives nothing: both must be talking.
   * The resume is a re-INVITE; the bridge is in place before its answer
   * and carries audio as soon as the media flows again. */
  group = ++calls->last_conference;
  for (guint i = 0; i < 2; i++)
    set_conference (pair[i], group);
  /* Members first: resuming one must not hold the other as a swap
   * would (calls-waiting.c). */
  for (guint i = 0; i < 2; i++)
    if (pair[i]->local_hold && !zc_calls_hold (calls, pair[i]->id, FALSE, error)) {
      for (guint j = 0; j < 2; j++)
        set_conference (pair[j], 0);
      return FALSE;
    }
  g_message ("conference %u: calls %s and %s bridged", group, pair[0]->id, pair[1]->id);
  for (guint i = 0; i < 2; i++)
    zc_call_emit (pair[i], "conference");
  return TRUE;
}

void
zc_call_conference_inherit (ZcCall *call, ZcCall *replaced)
{
  if (replaced->conference == 0 || call->conference != 0)
    return;
  /* An attended transfer of one of the parties: the conference goes on
   * with whom they passed us to, as it would on a desk phone. */
  g_message ("conference %u: call %s takes the place of call %s", replaced->conference, call->id, replaced->id);
  set_conference (call, replaced->conference);
  zc_call_emit (call, "conference");
}

void
zc_call_conference_ended (ZcCall *call)
{
  ZcCalls *calls = call->calls;
  ZcCall *left = NULL;
  guint members = 0;

  if (call->conference == 0)
    return;
  /* The ended call keeps its number (the history says it was in one). */
  for (guint i = 0; i < calls->calls->len; i++) {
    ZcCall *other = g_ptr_array_index (calls->calls, i);

    if (other != call && other->conference == call->conference && other->state != ZC_CALL_ENDED) {
      left = other;
      members++;
    }
  }
  if (members != 1)
    return;
  /* Our line to the one party left is an ordinary call again. */
  g_message ("conference %u: call %s ended, call %s goes on alone", call->conference, call->id, left->id);
  set_conference (left, 0);
  zc_call_emit (left, "conference");
}
