/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Following redirections of our INVITEs (RFC 3261 8.1.3.4): a 3xx's
 * Contacts become the call's next targets, tried in q order, one at a
 * time, each once; a target tried before is a loop and is skipped, and a
 * call follows at most ZC_CALL_REDIRECT_MAX_HOPS redirections.  A new
 * target is routed as a dialed one is (a discovered peer's address gets
 * its pinned key and transport) and gets a new INVITE with the same
 * media. */
#define G_LOG_DOMAIN "calls"

#include "config.h"
#include "core/forward.h"

#include "core/rendezvous.h"
#include "core/targets.h"

#include <string.h>

struct _ZcCallRedirect {
  GPtrArray *tried;            /* target keys (zc_redirect_target_key) */
  GQueue pending;              /* URIs still to try, next first */
  guint hops;                  /* 3xx responses followed */
  gboolean sips_only;          /* the call was to a sips: URI */
};

void
zc_call_redirect_free (ZcCallRedirect *redirect)
{
  if (redirect == NULL)
    return;
  g_ptr_array_unref (redirect->tried);
  g_queue_clear_full (&redirect->pending, g_free);
  g_free (redirect);
}

char *
zc_redirect_target_key (const char *uri)
{
  const char *rest, *at, *host, *end;
  g_autofree char *user = NULL;
  g_autofree char *hostpart = NULL;
  g_autofree char *key = NULL;

  if (uri == NULL)
    return NULL;
  if (g_ascii_strncasecmp (uri, "sip:", 4) == 0)
    rest = uri + 4;
  else if (g_ascii_strncasecmp (uri, "sips:", 5) == 0)
    rest = uri + 5;
  else
    return NULL;
  end = rest + strcspn (rest, ";?>");
  at = memchr (rest, '@', (gsize) (end - rest));
  user = at != NULL ? g_strndup (rest, (gsize) (at - rest)) : g_strdup ("");
  host = at != NULL ? at + 1 : rest;
  if (*host == '[') {
    const char *close = memchr (host, ']', (gsize) (end - host));
    if (close == NULL)
      return NULL;
    hostpart = g_strndup (host, (gsize) (close + 1 - host));
  } else {
    const char *colon = memchr (host, ':', (gsize) (end - host));
    hostpart = g_strndup (host, (gsize) ((colon != NULL ? colon : end) - host));
  }
  if (*hostpart == '\0')
    return NULL;
  key = g_strdup_printf ("%s@%s", user, hostpart);
  return g_ascii_strdown (key, -1);
}

static gboolean
was_tried (ZcCallRedirect *redirect, const char *uri)
{
  g_autofree char *key = zc_redirect_target_key (uri);

  for (guint i = 0; key != NULL && i < redirect->tried->len; i++)
    if (g_str_equal (g_ptr_array_index (redirect->tried, i), key))
      return TRUE;
  return key == NULL;
}

static void
mark_tried (ZcCallRedirect *redirect, const char *uri)
{
  char *key = zc_redirect_target_key (uri);

  if (key != NULL)
    g_ptr_array_add (redirect->tried, key);
}

static gboolean
is_pending (ZcCallRedirect *redirect, const char *uri)
{
  g_autofree char *key = zc_redirect_target_key (uri);

  for (GList *l = redirect->pending.head; l != NULL; l = l->next) {
    g_autofree char *other = zc_redirect_target_key (l->data);
    if (g_strcmp0 (key, other) == 0)
      return TRUE;
  }
  return FALSE;
}

/* Points the call at @uri, as zc_calls_dial would: through the
 * rendezvous for a domain we are registered with, else on the LAN with
 * the key pinned for the peer at that address.  FALSE when it cannot be
 * reached (the next target is tried). */
static gboolean
route_to (ZcCall *call, const char *target)
{
  ZcCalls *calls = call->calls;
  g_autofree char *uri = g_strdup (target);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) peer = NULL;
  ZcSipFlow flow;
  gboolean via_rendezvous = FALSE;
  const char *reason;
  char *local;

  if (zc_target_flow_for_uri (calls->peers, uri, &flow, NULL)) {
    peer = zc_target_peer_by_address (calls->peers, flow.address);
    if (peer != NULL && zc_target_peer_is_refused (peer, &reason)) {
      g_message ("call %s: not following the redirection to %s: %s", call->id, uri, reason);
      return FALSE;
    }
    if (!zc_target_choose_transport (peer, &uri, &flow, calls->tls_on, &error)) {
      g_message ("call %s: not following the redirection to %s: %s", call->id, uri, error->message);
      return FALSE;
    }
  } else if (zc_rendezvous_route (calls->rendezvous, uri, &flow)) {
    via_rendezvous = TRUE;
  } else {
    g_message ("call %s: no route to the redirection target %s", call->id, uri);
    return FALSE;
  }
  if ((local = calls->local_address_for (flow.address, calls->local_address_data)) == NULL) {
    g_message ("call %s: no local address toward %s", call->id, flow.address);
    return FALSE;
  }
  g_free (call->local_address);
  call->local_address = local;
  g_free (call->peer_uri);
  call->peer_uri = g_steal_pointer (&uri);
  call->flow = flow;
  call->via_rendezvous = via_rendezvous;
  /* Whoever answers now is held to the key pinned for the new address,
   * not to the one first dialed. */
  g_clear_pointer (&call->peer_name, g_free);
  g_clear_pointer (&call->claimed_fingerprint, g_free);
  if (peer != NULL) {
    const char *pinned = NULL;

    g_variant_lookup (peer, "name", "s", &call->peer_name);
    if (g_variant_lookup (peer, "fingerprint", "&s", &pinned) && *pinned != '\0')
      call->claimed_fingerprint = g_strdup (pinned);
  }
  return TRUE;
}

static gboolean
try_next (ZcCall *call)
{
  ZcCallRedirect *redirect = call->redirect;
  char *uri;

  while ((uri = g_queue_pop_head (&redirect->pending)) != NULL) {
    g_autofree char *owned = uri;

    if (was_tried (redirect, uri))
      continue;
    mark_tried (redirect, uri);
    /* RFC 3261 8.1.3.4 and 26.2.2: a sips: request is never redirected
     * to a target reached in clear. */
    if (redirect->sips_only && g_ascii_strncasecmp (uri, "sips:", 5) != 0) {
      g_message ("call %s: not following the redirection of a sips: call to %s", call->id, uri);
      continue;
    }
    if (!route_to (call, uri))
      continue;
    g_message ("call %s: redirected to %s (hop %u)", call->id, call->peer_uri, redirect->hops);
    call->sip_status = 0;
    zc_call_send_invite_again (call);
    if (call->state != ZC_CALL_ENDED)
      zc_call_emit (call, "redirected");
    return TRUE;
  }
  return FALSE;
}

gboolean
zc_call_follow_redirect (ZcCall *call, ZcSipSession *session, ZcSipEndCause cause, int status)
{
  ZcCallRedirect *redirect;

  if (!call->outgoing || (call->state != ZC_CALL_CALLING && call->state != ZC_CALL_RINGING))
    return FALSE;
  if (cause == ZC_SIP_END_REJECTED && status >= 300 && status < 400) {
    const char *const *contacts = zc_sip_session_get_redirect_contacts (session);
    guint added = 0;

    if (call->redirect == NULL) {
      call->redirect = g_new0 (ZcCallRedirect, 1);
      call->redirect->tried = g_ptr_array_new_with_free_func (g_free);
      g_queue_init (&call->redirect->pending);
      call->redirect->sips_only = g_ascii_strncasecmp (call->peer_uri, "sips:", 5) == 0;
      mark_tried (call->redirect, call->peer_uri);
    }
    redirect = call->redirect;
    if (++redirect->hops > ZC_CALL_REDIRECT_MAX_HOPS) {
      g_message ("call %s: %d from %s, but %u redirections is the limit", call->id, status, call->peer_uri,
                 ZC_CALL_REDIRECT_MAX_HOPS);
      zc_call_set_reason (call, "too many redirects", (guint) status);
      return FALSE;
    }
    /* This answer's targets go before older ones still pending: a chain
     * of forwardings is followed to its end first. */
    for (gssize i = contacts != NULL ? (gssize) g_strv_length ((char **) contacts) - 1 : -1; i >= 0; i--) {
      if (was_tried (redirect, contacts[i]) || is_pending (redirect, contacts[i])) {
        g_message ("call %s: skipping %s, tried already (a redirection loop)", call->id, contacts[i]);
        continue;
      }
      g_queue_push_head (&redirect->pending, g_strdup (contacts[i]));
      added++;
    }
    if (added == 0 && g_queue_is_empty (&redirect->pending)) {
      zc_call_set_reason (call, contacts != NULL && contacts[0] != NULL ? "redirect loop" : "redirected nowhere",
                          (guint) status);
      return FALSE;
    }
    return try_next (call);
  }
  /* A target that failed: the next one of the set, if any (a 6xx is a
   * final answer for all of them, RFC 3261 16.7). */
  if (call->redirect == NULL || g_queue_is_empty (&call->redirect->pending) || status >= 600 ||
      (cause != ZC_SIP_END_REJECTED && cause != ZC_SIP_END_TIMEOUT && cause != ZC_SIP_END_TRANSPORT))
    return FALSE;
  return try_next (call);
}
