/* SPDX-License-Identifier: GPL-3.0-or-later */
/* An INVITE session (RFC 3261 12-14): its life cycle, what the core asks
 * of it (ring, answer, reject, hang up, re-INVITE), what the peer sends in
 * it, and 2xx/ACK reliability.  The messages it builds inside its dialog
 * are in dialog.c; ua.c finds the session a message belongs to. */
#define G_LOG_DOMAIN "sip"

#include "config.h"
#include "sip/auth.h"
#include "sip/ua-private.h"

#include <string.h>

/* ---- life cycle ------------------------------------------------------------------ */

ZcSipSession *
zc_sip_session_new (ZcSipUa *ua, gboolean outgoing, const ZcSipFlow *flow)
{
  ZcSipSession *s = g_new0 (ZcSipSession, 1);

  s->kind = OWNER_SESSION;
  s->ua = ua;
  s->outgoing = outgoing;
  s->flow = *flow;
  s->local_address = ua->io.local_address_for (flow->address, ua->io.data);
  if (s->local_address == NULL)
    s->local_address = g_strdup (strchr (flow->address, ':') ? "::1" : "127.0.0.1");
  ua->sessions = g_list_prepend (ua->sessions, s);
  return s;
}

void
zc_sip_session_stop_retransmissions (ZcSipSession *s)
{
  g_clear_handle_id (&s->retransmit_id, g_source_remove);
  g_clear_pointer (&s->last_2xx, osip_message_free);
}

void
zc_sip_session_free (ZcSipSession *s)
{
  zc_sip_session_stop_retransmissions (s);
  g_clear_pointer (&s->first_2xx, osip_message_free);
  g_free (s->invite_from_tag);
  g_free (s->invite_cseq);
  if (s->dialog != NULL)
    osip_dialog_free (s->dialog);
  g_clear_pointer (&s->invite, osip_message_free);
  g_clear_pointer (&s->ack, osip_message_free);
  g_strfreev (s->redirect_contacts);
  g_free (s->refer_replaces);
  g_free (s->refer_referred_by);
  g_free (s->call_id);
  g_free (s->remote_uri);
  g_free (s->remote_display);
  g_free (s->local_address);
  g_free (s);
}

void
zc_sip_session_maybe_free (ZcSipSession *s)
{
  if (s->state != S_TERMINATING || s->live_transactions > 0 || s->retransmit_id != 0)
    return;
  s->ua->sessions = g_list_remove (s->ua->sessions, s);
  zc_sip_session_free (s);
}

/* Tells the core the session is over (once); the SIP side may go on. */
void
zc_sip_session_report_ended (ZcSipSession *s, ZcSipEndCause cause, int status, const char *reason)
{
  gpointer call = s->user_data;

  s->state = S_TERMINATING;
  s->user_data = NULL;
  if (call != NULL && s->ua->callbacks.ended != NULL) {
    s->user_data = call; /* let the callback still read it */
    s->ua->callbacks.ended (s, cause, status, reason, s->ua->user_data);
    s->user_data = NULL;
  }
}

void
zc_sip_session_own (ZcSipSession *s, osip_transaction_t *tr)
{
  zc_sip_stack_tx_set_owner (tr, s);
  s->live_transactions++;
}

void
zc_sip_session_new_incoming (ZcSipUa *ua, osip_transaction_t *tr, osip_message_t *request, const ZcSipFlow *from)
{
  ZcSipSession *s = zc_sip_session_new (ua, FALSE, from);

  if (ua->replacing.replaced != NULL)
    ua->replacing.session = s;
  s->state = S_INCOMING;
  {
    osip_generic_param_t *from_tag = NULL;
    osip_from_get_tag (request->from, &from_tag);
    s->invite_from_tag = g_strdup (from_tag ? from_tag->gvalue : NULL);
    s->invite_cseq = g_strdup (request->cseq->number);
  }
  s->invite_tr = tr;
  zc_sip_session_own (s, tr);
  s->call_id = request->call_id->host
                  ? g_strdup_printf ("%s@%s", request->call_id->number, request->call_id->host)
                  : g_strdup (request->call_id->number);
  s->remote_uri = zc_sip_uri_to_string (request->from->url);
  s->remote_display = g_strdup (request->from->displayname ? request->from->displayname : "");
  if (s->remote_display[0] == '"') {
    g_autofree char *quoted = s->remote_display;
    g_autofree char *inner = g_strndup (quoted + 1, strlen (quoted) >= 2 ? strlen (quoted) - 2 : 0);
    s->remote_display = g_strcompress (inner);
  }
  zc_sip_ua_respond (ua, tr, request, 100, "Trying");
  if (ua->callbacks.incoming != NULL)
    ua->callbacks.incoming (s, zc_sip_message_body (request), from, ua->user_data);
}

/* ---- responses we send --------------------------------------------------------- */

void
zc_sip_session_ring (ZcSipSession *s)
{
  osip_message_t *response;

  if (s->state != S_INCOMING || (response = zc_sip_session_build_response (s, 180, "Ringing")) == NULL)
    return;
  zc_sip_stack_respond (s->ua->stack, s->invite_tr, response);
}

static gboolean
retransmit_2xx_cb (gpointer user_data)
{
  ZcSipSession *s = user_data;

  if (g_get_monotonic_time () >= s->retransmit_deadline_us) {
    /* RFC 3261 13.3.1.4: no ACK within 64*T1 ends the session with BYE. */
    s->retransmit_id = 0;
    g_clear_pointer (&s->last_2xx, osip_message_free);
    g_message ("no ACK for our 200 OK on %s: hanging up", s->call_id);
    if (s->state == S_ANSWERED) {
      zc_sip_session_send_request (s, "BYE");
      zc_sip_session_report_ended (s, ZC_SIP_END_TIMEOUT, 408, "no ACK");
    }
    zc_sip_session_maybe_free (s);
    return G_SOURCE_REMOVE;
  }
  if (ZC_SIP_PROTO_IS_STREAM (s->flow.proto)) {
    /* Woken a little early: wait out the rest of Timer H. */
    s->retransmit_id = g_timeout_add (100, retransmit_2xx_cb, s);
    return G_SOURCE_REMOVE;
  }
  zc_sip_stack_send_message (s->ua->stack, s->last_2xx, &s->flow);
  s->retransmit_interval_ms = MIN (s->retransmit_interval_ms * 2, T2_MS);
  s->retransmit_id = g_timeout_add (s->retransmit_interval_ms, retransmit_2xx_cb, s);
  return G_SOURCE_REMOVE;
}

/* Sends a 2xx to an INVITE (initial or re-) and keeps it going until the
 * ACK: the INVITE server transaction ends with the 2xx (RFC 3261 17.2.1). */
void
zc_sip_session_send_2xx (ZcSipSession *s, osip_transaction_t *tr, osip_message_t *response)
{
  zc_sip_session_stop_retransmissions (s);
  osip_message_clone (response, &s->last_2xx);
  zc_sip_stack_respond (s->ua->stack, tr, response);
  if (s->last_2xx == NULL)
    return;
  s->retransmit_deadline_us = g_get_monotonic_time () + (gint64) TIMER_H_MS * 1000;
  /* Reliable transports carry it once (RFC 3261 13.3.1.4), but the ACK
   * is awaited as long: a caller that never ACKs must not hold the call. */
  s->retransmit_interval_ms = ZC_SIP_PROTO_IS_STREAM (s->flow.proto) ? TIMER_H_MS : T1_MS;
  s->retransmit_id = g_timeout_add (s->retransmit_interval_ms, retransmit_2xx_cb, s);
}

void
zc_sip_session_answer (ZcSipSession *s, const char *sdp)
{
  osip_message_t *response;

  if (s->state != S_INCOMING || (response = zc_sip_session_build_response (s, 200, "OK")) == NULL)
    return;
  zc_sip_message_set_sdp (response, sdp);
  if (s->dialog != NULL)
    osip_dialog_set_state (s->dialog, DIALOG_CONFIRMED);
  s->state = S_ANSWERED;
  osip_message_clone (response, &s->first_2xx);
  zc_sip_session_send_2xx (s, s->invite_tr, response);
}

void
zc_sip_session_reject (ZcSipSession *s, int status, const char *reason)
{
  osip_message_t *response;

  if (s->state != S_INCOMING)
    return;
  response = zc_sip_session_build_response (s, status, reason);
  if (response != NULL) {
    if (status == 480 || status == 486 || status == 503)
      osip_message_set_retry_after (response, "60");
    zc_sip_stack_respond (s->ua->stack, s->invite_tr, response);
  }
  zc_sip_session_report_ended (s, ZC_SIP_END_LOCAL_HANGUP, status, reason);
  zc_sip_session_maybe_free (s);
}

void
zc_sip_session_redirect (ZcSipSession *s, int status, const char *const *contacts)
{
  osip_message_t *response;

  if (s->state != S_INCOMING)
    return;
  response = zc_sip_session_build_response (s, status, status == 301 ? "Moved Permanently" : "Moved Temporarily");
  if (response != NULL) {
    /* RFC 3261 21.3.3: the Contacts are where the caller tries next. */
    for (gsize i = 0; contacts != NULL && contacts[i] != NULL; i++) {
      g_autofree char *contact = g_strdup_printf ("<%s>", contacts[i]);
      osip_message_set_contact (response, contact);
    }
    zc_sip_stack_respond (s->ua->stack, s->invite_tr, response);
  }
  zc_sip_session_report_ended (s, ZC_SIP_END_LOCAL_HANGUP, status, "forwarded");
  zc_sip_session_maybe_free (s);
}

/* ---- requests we send ---------------------------------------------------------- */

void
zc_sip_session_hangup (ZcSipSession *s)
{
  switch (s->state) {
  case S_CALLING:
  case S_EARLY:
    /* RFC 3261 9.1: no CANCEL before a provisional response. */
    if (s->got_provisional)
      zc_sip_session_send_cancel (s);
    else
      s->cancel_pending = TRUE;
    zc_sip_session_report_ended (s, ZC_SIP_END_LOCAL_HANGUP, 0, "cancelled");
    break;
  case S_INCOMING:
    zc_sip_session_reject (s, 603, "Decline");
    return;
  case S_ANSWERED:
  case S_CONFIRMED:
    zc_sip_session_send_request (s, "BYE");
    zc_sip_session_report_ended (s, ZC_SIP_END_LOCAL_HANGUP, 0, "hangup");
    break;
  case S_TERMINATING:
  default:
    break;
  }
  zc_sip_session_maybe_free (s);
}

gboolean
zc_sip_session_reinvite (ZcSipSession *s, const char *sdp)
{
  osip_message_t *req;
  ZcSipFlow to;

  if (s->state != S_CONFIRMED || s->reinvite_tr != NULL || s->dialog == NULL)
    return FALSE;
  s->dialog->local_cseq++;
  req = zc_sip_session_build_request (s, "INVITE", s->dialog->local_cseq);
  if (req == NULL)
    return FALSE;
  zc_sip_message_set_sdp (req, sdp);
  zc_sip_session_destination (s, &to);
  s->reinvite_tr = zc_sip_stack_send_request (s->ua->stack, req, &to, NULL);
  if (s->reinvite_tr == NULL)
    return FALSE;
  zc_sip_session_own (s, s->reinvite_tr);
  return TRUE;
}

/* Our INVITE through the rendezvous was challenged (401/407): send it
 * again with the account's credentials.  FALSE when it cannot (no
 * account, already tried). */
static gboolean
answer_challenge (ZcSipSession *s, osip_message_t *response)
{
  ZcSipUa *ua = s->ua;
  osip_message_t *req;

  if (!s->as_account || ua->account_password == NULL || s->auth_tries > 0 || s->invite == NULL)
    return FALSE;
  /* Only the registrar's realm (or, before it challenged us, the
   * account's domain) gets an answer. */
  req = zc_sip_auth_retry_request (s->invite, response,
                                   ua->account_realm != NULL ? ua->account_realm : ua->account_domain,
                                   ua->account_auth_user, ua->account_password);
  if (req == NULL)
    return FALSE;
  s->auth_tries++;
  osip_message_free (s->invite);
  osip_message_clone (req, &s->invite);
  s->invite_tr = zc_sip_stack_send_request (ua->stack, req, &s->flow, NULL);
  if (s->invite_tr == NULL)
    return FALSE;
  zc_sip_session_own (s, s->invite_tr);
  return TRUE;
}

ZcSipSession *
zc_sip_session_new_outgoing (ZcSipUa *ua, const char *uri, const ZcSipFlow *to, const char *sdp, gboolean as_account,
                             const ZcSipInviteHeaders *headers, GError **error)
{
  ZcSipSession *s = zc_sip_session_new (ua, TRUE, to);
  osip_message_t *req = NULL;
  g_autofree char *tag = zc_sip_random_token ();
  g_autofree char *call_token = zc_sip_random_token ();
  g_autofree char *host = zc_sip_host_for_uri (s->local_address);
  g_autofree char *from = NULL;
  g_autofree char *via = zc_sip_session_via (s);
  g_autofree char *contact = zc_sip_session_contact (s);
  g_autofree char *escaped_name = NULL;

  s->call_id = g_strdup_printf ("%s@%s", call_token, s->local_address);
  s->remote_uri = g_strdup (uri);
  osip_message_init (&req);
  osip_message_set_method (req, osip_strdup ("INVITE"));
  osip_message_set_version (req, osip_strdup ("SIP/2.0"));
  osip_uri_init (&req->req_uri);
  if (osip_uri_parse (req->req_uri, uri) != 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "“%s” is not a SIP URI", uri);
    osip_message_free (req);
    s->state = S_TERMINATING;
    zc_sip_session_maybe_free (s);
    return NULL;
  }
  escaped_name = g_strescape (ua->display_name ? ua->display_name : "", NULL);
  s->as_account = as_account;
  {
    g_autofree char *address = as_account ? g_strdup_printf ("sip:%s@%s", ua->user, ua->account_domain)
                                          : g_strdup_printf ("sip:%s@%s:%u", ua->user, host, ua->io.port);

    from = *escaped_name ? g_strdup_printf ("\"%s\" <%s>;tag=%s", escaped_name, address, tag)
                         : g_strdup_printf ("<%s>;tag=%s", address, tag);
  }
  osip_message_set_from (req, from);
  {
    g_autofree char *to_header = g_strdup_printf ("<%s>", uri);
    osip_message_set_to (req, to_header);
  }
  osip_message_set_call_id (req, s->call_id);
  osip_message_set_cseq (req, "1 INVITE");
  osip_message_set_via (req, via);
  osip_message_set_max_forwards (req, "70");
  osip_message_set_contact (req, contact);
  osip_message_set_user_agent (req, "zcall/" PACKAGE_VERSION);
  osip_message_set_allow (req, ZC_SIP_ALLOW);
  osip_message_set_supported (req, ZC_SIP_SUPPORTED);
  /* The values were checked for line breaks where they came in (refer.c). */
  if (headers != NULL && headers->replaces != NULL)
    osip_message_set_header (req, "Replaces", headers->replaces);
  if (headers != NULL && headers->referred_by != NULL)
    osip_message_set_header (req, "Referred-By", headers->referred_by);
  zc_sip_message_set_sdp (req, sdp);
  osip_message_clone (req, &s->invite);
  s->state = S_CALLING;
  s->invite_tr = zc_sip_stack_send_request (ua->stack, req, to, NULL);
  if (s->invite_tr == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot start the INVITE transaction");
    s->state = S_TERMINATING;
    zc_sip_session_maybe_free (s);
    return NULL;
  }
  zc_sip_session_own (s, s->invite_tr);
  return s;
}

/* ---- getters ---------------------------------------------------------------- */

gpointer
zc_sip_session_get_user_data (ZcSipSession *s)
{
  return s->user_data;
}

void
zc_sip_session_set_user_data (ZcSipSession *s, gpointer data)
{
  s->user_data = data;
}

const char *
zc_sip_session_get_call_id (ZcSipSession *s)
{
  return s->call_id ? s->call_id : "";
}

const char *
zc_sip_session_get_remote_uri (ZcSipSession *s)
{
  return s->remote_uri ? s->remote_uri : "";
}

const char *
zc_sip_session_get_remote_display_name (ZcSipSession *s)
{
  return s->remote_display ? s->remote_display : "";
}

const char *
zc_sip_session_get_local_address (ZcSipSession *s)
{
  return s->local_address;
}

const char *const *
zc_sip_session_get_redirect_contacts (ZcSipSession *s)
{
  return (const char *const *) s->redirect_contacts;
}

/* ---- what the peer sends ------------------------------------------------------ */

/* A re-INVITE or UPDATE: the core answers its offer. */
static void
receive_offer (ZcSipSession *s, osip_transaction_t *tr, osip_message_t *request, gboolean invite)
{
  ZcSipUa *ua = s->ua;
  const char *offer = zc_sip_message_body (request);
  g_autofree char *answer = NULL;
  int status = 488;
  osip_message_t *response;

  if (offer != NULL && ua->callbacks.reoffer != NULL && s->user_data != NULL)
    answer = ua->callbacks.reoffer (s, offer, &status, ua->user_data);
  else if (offer == NULL)
    status = 200;
  if (answer == NULL && status != 200) {
    zc_sip_ua_respond (ua, tr, request, status, NULL);
    return;
  }
  response = zc_sip_stack_build_response (ua->stack, request, 200, "OK", s->dialog->local_tag);
  if (response == NULL)
    return;
  {
    g_autofree char *contact = zc_sip_session_contact (s);
    osip_message_set_contact (response, contact);
  }
  zc_sip_message_set_sdp (response, answer);
  if (invite) {
    zc_sip_session_send_2xx (s, tr, response);
  } else {
    zc_sip_stack_respond (ua->stack, tr, response);
  }
}

/* The INVITE still waiting for our answer ends with 487 (RFC 3261 9.2). */
static void
terminate_unanswered_invite (ZcSipSession *s)
{
  osip_message_t *response = zc_sip_session_build_response (s, 487, "Request Terminated");

  if (response != NULL)
    zc_sip_stack_respond (s->ua->stack, s->invite_tr, response);
}

typedef struct {
  char *uri;
  double q;
  guint order;
} RedirectTarget;

static int
redirect_target_compare (gconstpointer a, gconstpointer b)
{
  const RedirectTarget *x = a, *y = b;

  /* Highest q first; equal q in the order the response lists them. */
  if (x->q != y->q)
    return x->q > y->q ? -1 : 1;
  return x->order < y->order ? -1 : x->order > y->order;
}

/* RFC 3261 8.1.3.4: a 3xx's Contacts are the new targets, tried in q
 * order (q absent: 1.0).  The core decides whether to follow them. */
static void
keep_redirect_contacts (ZcSipSession *s, osip_message_t *response)
{
  g_autoptr (GArray) targets = g_array_new (FALSE, FALSE, sizeof (RedirectTarget));
  osip_contact_t *contact = NULL;
  GPtrArray *uris = g_ptr_array_new ();

  for (int pos = 0; osip_message_get_contact (response, pos, &contact) >= 0 && contact != NULL; pos++) {
    osip_generic_param_t *q = NULL;
    RedirectTarget t = { .q = 1.0, .order = (guint) pos };

    if (contact->url == NULL)
      continue;
    t.uri = zc_sip_uri_to_string (contact->url);
    if (*t.uri == '\0') {
      g_free (t.uri);
      continue;
    }
    if (osip_contact_param_get_byname (contact, (char *) "q", &q) == 0 && q != NULL && q->gvalue != NULL)
      t.q = g_ascii_strtod (q->gvalue, NULL);
    g_array_append_val (targets, t);
    if (targets->len >= ZC_SIP_MAX_REDIRECT_CONTACTS)
      break;
  }
  g_array_sort (targets, redirect_target_compare);
  for (guint i = 0; i < targets->len; i++)
    g_ptr_array_add (uris, g_array_index (targets, RedirectTarget, i).uri);
  g_ptr_array_add (uris, NULL);
  g_strfreev (s->redirect_contacts);
  s->redirect_contacts = (GStrv) g_ptr_array_free (uris, FALSE);
}

static void
invite_response (ZcSipSession *s, osip_message_t *response)
{
  ZcSipUa *ua = s->ua;
  int status = response->status_code;

  if (status < 200) {
    osip_generic_param_t *tag = NULL;

    s->got_provisional = TRUE;
    osip_to_get_tag (response->to, &tag);
    if (tag != NULL && s->dialog == NULL && status > 100)
      osip_dialog_init_as_uac (&s->dialog, response);
    if (s->cancel_pending) {
      zc_sip_session_send_cancel (s);
      return;
    }
    if (s->state == S_CALLING && status > 100)
      s->state = S_EARLY;
    if (status > 100 && s->user_data != NULL && ua->callbacks.progress != NULL)
      ua->callbacks.progress (s, status, ua->user_data);
    return;
  }
  if (status < 300) {
    if (s->dialog == NULL) {
      if (osip_dialog_init_as_uac (&s->dialog, response) != 0)
        s->dialog = NULL;
    } else {
      osip_dialog_update_route_set_as_uac (s->dialog, response);
      osip_dialog_update_tag_as_uac (s->dialog, response);
    }
    if (s->dialog == NULL) {
      zc_sip_session_report_ended (s, ZC_SIP_END_REJECTED, 500, "bad 2xx");
      return;
    }
    osip_dialog_set_state (s->dialog, DIALOG_CONFIRMED);
    zc_sip_session_send_ack (s, response);
    if (s->state == S_TERMINATING) {
      /* We hung up while the answer was on its way: end it properly. */
      zc_sip_session_send_request (s, "BYE");
      return;
    }
    s->state = S_CONFIRMED;
    if (s->user_data != NULL && ua->callbacks.established != NULL)
      ua->callbacks.established (s, zc_sip_message_body (response), ua->user_data);
    return;
  }
  if ((status == 401 || status == 407) && s->state != S_TERMINATING && answer_challenge (s, response))
    return;
  if (status >= 300 && status < 400)
    keep_redirect_contacts (s, response);
  zc_sip_session_report_ended (s, status == 487 ? ZC_SIP_END_CANCELLED : ZC_SIP_END_REJECTED, status,
                response->reason_phrase ? response->reason_phrase : "");
}

void
zc_sip_session_receive_reinvite (ZcSipSession *s, osip_transaction_t *tr, osip_message_t *request)
{
  /* RFC 3261 14.2: one offer/answer at a time. */
  if (s->reinvite_tr != NULL || s->state != S_CONFIRMED) {
    zc_sip_ua_respond (s->ua, tr, request, s->reinvite_tr != NULL ? 491 : 500, NULL);
    return;
  }
  receive_offer (s, tr, request, TRUE);
}

void
zc_sip_session_receive_update (ZcSipSession *s, osip_transaction_t *tr, osip_message_t *request)
{
  receive_offer (s, tr, request, FALSE);
}

void
zc_sip_session_receive_cancel (ZcSipSession *s)
{
  if (s->state != S_INCOMING)
    return;
  terminate_unanswered_invite (s);
  zc_sip_session_report_ended (s, ZC_SIP_END_CANCELLED, 487, "cancelled");
  zc_sip_session_maybe_free (s);
}

void
zc_sip_session_receive_bye (ZcSipSession *s)
{
  zc_sip_session_stop_retransmissions (s);
  if (s->state == S_INCOMING)
    terminate_unanswered_invite (s);
  zc_sip_session_report_ended (s, ZC_SIP_END_REMOTE_HANGUP, 0, "remote hangup");
  zc_sip_session_maybe_free (s);
}

void
zc_sip_session_receive_ack (ZcSipSession *s, osip_message_t *ack)
{
  ZcSipUa *ua = s->ua;

  zc_sip_session_stop_retransmissions (s);
  if (s->state == S_ANSWERED) {
    s->state = S_CONFIRMED;
    if (s->user_data != NULL && ua->callbacks.established != NULL)
      ua->callbacks.established (s, zc_sip_message_body (ack), ua->user_data);
  }
  zc_sip_session_maybe_free (s);
}

void
zc_sip_session_receive_response (ZcSipSession *s, osip_transaction_t *tr, osip_message_t *response)
{
  ZcSipUa *ua = s->ua;

  if (tr == s->invite_tr && s->outgoing)
    invite_response (s, response);
  else if (tr == s->reinvite_tr && response->status_code >= 200) {
    if (response->status_code < 300)
      zc_sip_session_send_ack (s, response);
    if (s->user_data != NULL && ua->callbacks.reinvite_done != NULL)
      ua->callbacks.reinvite_done (s, response->status_code,
                                   response->status_code < 300 ? zc_sip_message_body (response) : NULL,
                                   ua->user_data);
  } else if (tr == s->refer_tr && response->status_code >= 200) {
    s->refer_tr = NULL;
    zc_sip_refer_response (s, response->status_code);
  }
}

void
zc_sip_session_resend_ack (ZcSipSession *s)
{
  ZcSipFlow to;

  /* RFC 3261 13.2.2.4: the 2xx is retransmitted until it is ACKed. */
  if (s->ack == NULL)
    return;
  zc_sip_session_destination (s, &to);
  zc_sip_stack_send_message (s->ua->stack, s->ack, &to);
}

void
zc_sip_session_transaction_failed (ZcSipSession *s, osip_transaction_t *tr, int status)
{
  ZcSipUa *ua = s->ua;

  if (tr == s->invite_tr && s->outgoing && s->state != S_CONFIRMED)
    zc_sip_session_report_ended (s, status == 408 ? ZC_SIP_END_TIMEOUT : ZC_SIP_END_TRANSPORT, status,
                                 status == 408 ? "no answer" : "unreachable");
  else if (tr == s->reinvite_tr && s->user_data != NULL && ua->callbacks.reinvite_done != NULL)
    ua->callbacks.reinvite_done (s, status, NULL, ua->user_data);
  else if (tr == s->refer_tr) {
    s->refer_tr = NULL;
    zc_sip_refer_response (s, status);
  }
}

void
zc_sip_session_transaction_gone (ZcSipSession *s, osip_transaction_t *tr)
{
  if (tr == s->invite_tr)
    s->invite_tr = NULL;
  if (tr == s->reinvite_tr)
    s->reinvite_tr = NULL;
  if (tr == s->refer_tr)
    s->refer_tr = NULL;
  if (s->live_transactions > 0)
    s->live_transactions--;
  /* An incoming call whose INVITE transaction died unanswered (timer H,
   * or our rejection done) has nothing left. */
  zc_sip_session_maybe_free (s);
}
