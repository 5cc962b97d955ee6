/* SPDX-License-Identifier: GPL-3.0-or-later */
/* INVITE sessions: their dialogs, the responses and requests they send,
 * and 2xx/ACK reliability (RFC 3261 12-14). */
#define G_LOG_DOMAIN "sip"

#include "config.h"
#include "sip/auth.h"
#include "sip/ua-private.h"

#include <stdlib.h>
#include <string.h>

char *
zc_ua_host_for_uri (const char *address)
{
  return strchr (address, ':') ? g_strdup_printf ("[%s]", address) : g_strdup (address);
}

char *
zc_ua_session_contact (ZcSipSession *s)
{
  g_autofree char *host = zc_ua_host_for_uri (s->local_address);

  return g_strdup_printf ("<sip:%s@%s:%u%s>", s->ua->user, host, s->ua->io.port,
                          s->flow.proto == ZC_SIP_TCP ? ";transport=tcp" : "");
}

char *
zc_ua_session_via (ZcSipSession *s)
{
  g_autofree char *host = zc_ua_host_for_uri (s->local_address);
  g_autofree char *branch = zc_sip_new_branch ();

  return g_strdup_printf ("SIP/2.0/%s %s:%u;branch=%s;rport", zc_sip_proto_to_string (s->flow.proto), host,
                          s->ua->io.port, branch);
}

const char *
zc_ua_body_of (osip_message_t *message)
{
  osip_body_t *body = osip_list_get (&message->bodies, 0);
  return body != NULL && body->body != NULL && body->length > 0 ? body->body : NULL;
}

void
zc_ua_set_sdp_body (osip_message_t *message, const char *sdp)
{
  if (sdp == NULL)
    return;
  osip_message_set_body (message, sdp, strlen (sdp));
  osip_message_set_content_type (message, "application/sdp");
}

char *
zc_ua_uri_to_string (osip_uri_t *uri)
{
  char *text = NULL;
  char *copy;

  if (uri == NULL || osip_uri_to_str (uri, &text) != 0)
    return g_strdup ("");
  copy = g_strdup (text);
  osip_free (text);
  return copy;
}

/* ---- sessions ---------------------------------------------------------------- */

ZcSipSession *
zc_ua_session_new (ZcSipUa *ua, gboolean outgoing, const ZcSipFlow *flow)
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
zc_ua_stop_retransmissions (ZcSipSession *s)
{
  g_clear_handle_id (&s->retransmit_id, g_source_remove);
  g_clear_pointer (&s->last_2xx, osip_message_free);
}

void
zc_ua_session_free (ZcSipSession *s)
{
  zc_ua_stop_retransmissions (s);
  g_clear_pointer (&s->first_2xx, osip_message_free);
  g_free (s->invite_from_tag);
  g_free (s->invite_cseq);
  if (s->dialog != NULL)
    osip_dialog_free (s->dialog);
  g_clear_pointer (&s->invite, osip_message_free);
  g_clear_pointer (&s->ack, osip_message_free);
  g_free (s->call_id);
  g_free (s->remote_uri);
  g_free (s->remote_display);
  g_free (s->local_address);
  g_free (s);
}

void
zc_ua_session_maybe_free (ZcSipSession *s)
{
  if (s->state != S_TERMINATING || s->live_transactions > 0 || s->retransmit_id != 0)
    return;
  s->ua->sessions = g_list_remove (s->ua->sessions, s);
  zc_ua_session_free (s);
}

/* Tells the core the session is over (once); the SIP side may go on. */
void
zc_ua_report_ended (ZcSipSession *s, ZcSipEndCause cause, int status, const char *reason)
{
  gpointer call = s->user_data;

  s->state = S_TERMINATING;
  s->user_data = NULL;
  if (call != NULL && s->ua->events.ended != NULL) {
    s->user_data = call; /* let the callback still read it */
    s->ua->events.ended (s, cause, status, reason, s->ua->user_data);
    s->user_data = NULL;
  }
}

void
zc_ua_session_own (ZcSipSession *s, osip_transaction_t *tr)
{
  zc_sip_stack_tx_set_owner (tr, s);
  s->live_transactions++;
}

ZcSipSession *
zc_ua_find_session_for_request (ZcSipUa *ua, osip_message_t *request)
{
  for (GList *l = ua->sessions; l != NULL; l = l->next) {
    ZcSipSession *s = l->data;

    if (s->dialog != NULL && osip_dialog_match_as_uas (s->dialog, request) == 0)
      return s;
  }
  return NULL;
}

ZcSipSession *
zc_ua_find_session_for_response (ZcSipUa *ua, osip_message_t *response)
{
  for (GList *l = ua->sessions; l != NULL; l = l->next) {
    ZcSipSession *s = l->data;

    if (s->outgoing && s->dialog != NULL && osip_dialog_match_as_uac (s->dialog, response) == 0)
      return s;
  }
  return NULL;
}

/* Where requests inside the dialog go (RFC 3261 12.2.1.1, 8.1.2): the
 * first Route of the route set when there is one (a proxy that
 * Record-Routed), else the remote target, when they are addresses we can
 * use; else where the peer was. */
void
zc_ua_dialog_destination (ZcSipSession *s, ZcSipFlow *to)
{
  osip_route_t *route;
  osip_uri_t *next_hop = NULL;

  *to = s->flow;
  if (s->flow.proto != ZC_SIP_UDP || s->dialog == NULL)
    return;
  route = osip_list_get (&s->dialog->route_set, 0);
  if (route != NULL)
    next_hop = route->url;
  else if (s->dialog->remote_contact_uri != NULL)
    next_hop = s->dialog->remote_contact_uri->url;
  if (next_hop != NULL) {
    g_autofree char *target = zc_ua_uri_to_string (next_hop);
    ZcSipFlow parsed;

    if (zc_sip_uri_to_flow (target, &parsed) && parsed.proto == ZC_SIP_UDP)
      *to = parsed;
  }
}

/* A request within the dialog (RFC 3261 12.2.1.1), loose routing. */
osip_message_t *
zc_ua_build_in_dialog (ZcSipSession *s, const char *method, int cseq)
{
  osip_dialog_t *d = s->dialog;
  osip_message_t *req = NULL;
  osip_generic_param_t *tag = NULL;
  g_autofree char *via = zc_ua_session_via (s);
  g_autofree char *contact = zc_ua_session_contact (s);
  g_autofree char *cseq_text = NULL;

  if (d == NULL || osip_message_init (&req) != 0)
    return NULL;
  osip_message_set_method (req, osip_strdup (method));
  osip_message_set_version (req, osip_strdup ("SIP/2.0"));
  if (d->remote_contact_uri != NULL && d->remote_contact_uri->url != NULL)
    osip_uri_clone (d->remote_contact_uri->url, &req->req_uri);
  else
    osip_uri_clone (d->remote_uri->url, &req->req_uri);
  for (int i = 0; i < osip_list_size (&d->route_set); i++) {
    osip_route_t *route = osip_list_get (&d->route_set, i), *copy = NULL;
    if (osip_route_clone (route, &copy) == 0)
      osip_list_add (&req->routes, copy, -1);
  }
  osip_to_clone (d->remote_uri, &req->to);
  osip_to_get_tag (req->to, &tag);
  if (tag == NULL && d->remote_tag != NULL)
    osip_to_set_tag (req->to, osip_strdup (d->remote_tag));
  osip_from_clone (d->local_uri, &req->from);
  tag = NULL;
  osip_from_get_tag (req->from, &tag);
  if (tag == NULL && d->local_tag != NULL)
    osip_from_set_tag (req->from, osip_strdup (d->local_tag));
  osip_message_set_call_id (req, d->call_id);
  cseq_text = g_strdup_printf ("%d %s", cseq, method);
  osip_message_set_cseq (req, cseq_text);
  osip_message_set_via (req, via);
  osip_message_set_max_forwards (req, "70");
  osip_message_set_contact (req, contact);
  osip_message_set_user_agent (req, "zcall/" PACKAGE_VERSION);
  if (strcmp (method, "INVITE") == 0 || strcmp (method, "UPDATE") == 0) {
    osip_message_set_allow (req, ZC_SIP_ALLOW);
    osip_message_set_supported (req, ZC_SIP_SUPPORTED);
  }
  return req;
}

void
zc_ua_send_in_dialog (ZcSipSession *s, const char *method)
{
  osip_message_t *req;
  ZcSipFlow to;
  osip_transaction_t *tr;

  if (s->dialog == NULL)
    return;
  s->dialog->local_cseq++;
  req = zc_ua_build_in_dialog (s, method, s->dialog->local_cseq);
  if (req == NULL)
    return;
  zc_ua_dialog_destination (s, &to);
  tr = zc_sip_stack_send_request (s->ua->stack, req, &to, NULL);
  if (tr != NULL)
    zc_ua_session_own (s, tr);
}

/* ---- responses we send --------------------------------------------------------- */

osip_message_t *
zc_ua_session_response (ZcSipSession *s, int status, const char *reason)
{
  osip_message_t *request = s->invite_tr ? s->invite_tr->orig_request : NULL;
  const char *local_tag = s->dialog ? s->dialog->local_tag : NULL;
  osip_message_t *response;

  if (request == NULL)
    return NULL;
  response = zc_sip_stack_build_response (s->ua->stack, request, status, reason, local_tag);
  if (response != NULL && status > 100 && status < 300) {
    g_autofree char *contact = zc_ua_session_contact (s);

    /* RFC 3261 12.1.1: proxies that Record-Routed stay in the path. */
    for (int i = 0; i < osip_list_size (&request->record_routes); i++) {
      osip_record_route_t *rr = osip_list_get (&request->record_routes, i), *copy = NULL;
      if (osip_record_route_clone (rr, &copy) == 0)
        osip_list_add (&response->record_routes, copy, -1);
    }
    osip_message_set_contact (response, contact);
    osip_message_set_allow (response, ZC_SIP_ALLOW);
    osip_message_set_supported (response, ZC_SIP_SUPPORTED);
  }
  /* The dialog starts with our first tagged response (RFC 3261 12.1.1). */
  if (response != NULL && status > 100 && status < 300 && s->dialog == NULL &&
      osip_dialog_init_as_uas (&s->dialog, request, response) != 0)
    s->dialog = NULL;
  return response;
}

void
zc_sip_session_ring (ZcSipSession *s)
{
  osip_message_t *response;

  if (s->state != S_INCOMING || (response = zc_ua_session_response (s, 180, "Ringing")) == NULL)
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
      zc_ua_send_in_dialog (s, "BYE");
      zc_ua_report_ended (s, ZC_SIP_END_TIMEOUT, 408, "no ACK");
    }
    zc_ua_session_maybe_free (s);
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
zc_ua_send_2xx (ZcSipSession *s, osip_transaction_t *tr, osip_message_t *response)
{
  zc_ua_stop_retransmissions (s);
  osip_message_clone (response, &s->last_2xx);
  zc_sip_stack_respond (s->ua->stack, tr, response);
  if (s->last_2xx == NULL || s->flow.proto == ZC_SIP_TCP)
    return; /* reliable transports carry it once (RFC 3261 13.3.1.4) */
  s->retransmit_interval_ms = T1_MS;
  s->retransmit_deadline_us = g_get_monotonic_time () + (gint64) TIMER_H_MS * 1000;
  s->retransmit_id = g_timeout_add (T1_MS, retransmit_2xx_cb, s);
}

void
zc_sip_session_answer (ZcSipSession *s, const char *sdp)
{
  osip_message_t *response;

  if (s->state != S_INCOMING || (response = zc_ua_session_response (s, 200, "OK")) == NULL)
    return;
  zc_ua_set_sdp_body (response, sdp);
  if (s->dialog != NULL)
    osip_dialog_set_state (s->dialog, DIALOG_CONFIRMED);
  s->state = S_ANSWERED;
  osip_message_clone (response, &s->first_2xx);
  zc_ua_send_2xx (s, s->invite_tr, response);
}

void
zc_sip_session_reject (ZcSipSession *s, int status, const char *reason)
{
  osip_message_t *response;

  if (s->state != S_INCOMING)
    return;
  response = zc_ua_session_response (s, status, reason);
  if (response != NULL) {
    if (status == 480 || status == 486 || status == 503)
      osip_message_set_retry_after (response, "60");
    zc_sip_stack_respond (s->ua->stack, s->invite_tr, response);
  }
  zc_ua_report_ended (s, ZC_SIP_END_LOCAL_HANGUP, status, reason);
  zc_ua_session_maybe_free (s);
}

/* ---- requests we send ---------------------------------------------------------- */

static osip_message_t *
build_cancel (ZcSipSession *s)
{
  osip_message_t *cancel = NULL;
  osip_via_t *via = NULL, *via_copy = NULL;
  g_autofree char *cseq = NULL;

  /* RFC 3261 9.1: CANCEL copies Request-URI, Call-ID, To, From, the
   * CSeq number and the top Via of the INVITE. */
  if (s->invite == NULL || osip_message_init (&cancel) != 0)
    return NULL;
  osip_message_set_method (cancel, osip_strdup ("CANCEL"));
  osip_message_set_version (cancel, osip_strdup ("SIP/2.0"));
  osip_uri_clone (s->invite->req_uri, &cancel->req_uri);
  osip_to_clone (s->invite->to, &cancel->to);
  osip_from_clone (s->invite->from, &cancel->from);
  osip_call_id_clone (s->invite->call_id, &cancel->call_id);
  cseq = g_strdup_printf ("%s CANCEL", s->invite->cseq->number);
  osip_message_set_cseq (cancel, cseq);
  osip_message_get_via (s->invite, 0, &via);
  if (via != NULL && osip_via_clone (via, &via_copy) == 0)
    osip_list_add (&cancel->vias, via_copy, -1);
  osip_message_set_max_forwards (cancel, "70");
  osip_message_set_user_agent (cancel, "zcall/" PACKAGE_VERSION);
  return cancel;
}

void
zc_ua_send_cancel (ZcSipSession *s)
{
  osip_message_t *cancel = build_cancel (s);
  osip_transaction_t *tr;

  s->cancel_pending = FALSE;
  if (cancel == NULL)
    return;
  tr = zc_sip_stack_send_request (s->ua->stack, cancel, &s->flow, NULL);
  if (tr != NULL)
    zc_ua_session_own (s, tr);
}

void
zc_sip_session_hangup (ZcSipSession *s)
{
  switch (s->state) {
  case S_CALLING:
  case S_EARLY:
    /* RFC 3261 9.1: no CANCEL before a provisional response. */
    if (s->got_provisional)
      zc_ua_send_cancel (s);
    else
      s->cancel_pending = TRUE;
    zc_ua_report_ended (s, ZC_SIP_END_LOCAL_HANGUP, 0, "cancelled");
    break;
  case S_INCOMING:
    zc_sip_session_reject (s, 603, "Decline");
    return;
  case S_ANSWERED:
  case S_CONFIRMED:
    zc_ua_send_in_dialog (s, "BYE");
    zc_ua_report_ended (s, ZC_SIP_END_LOCAL_HANGUP, 0, "hangup");
    break;
  case S_TERMINATING:
  default:
    break;
  }
  zc_ua_session_maybe_free (s);
}

gboolean
zc_sip_session_reinvite (ZcSipSession *s, const char *sdp)
{
  osip_message_t *req;
  ZcSipFlow to;

  if (s->state != S_CONFIRMED || s->reinvite_tr != NULL || s->dialog == NULL)
    return FALSE;
  s->dialog->local_cseq++;
  req = zc_ua_build_in_dialog (s, "INVITE", s->dialog->local_cseq);
  if (req == NULL)
    return FALSE;
  zc_ua_set_sdp_body (req, sdp);
  zc_ua_dialog_destination (s, &to);
  s->reinvite_tr = zc_sip_stack_send_request (s->ua->stack, req, &to, NULL);
  if (s->reinvite_tr == NULL)
    return FALSE;
  zc_ua_session_own (s, s->reinvite_tr);
  return TRUE;
}

static ZcSipSession *invite (ZcSipUa *ua, const char *uri, const ZcSipFlow *to, const char *sdp, gboolean as_account,
                              GError **error);

ZcSipSession *
zc_sip_ua_invite (ZcSipUa *ua, const char *uri, const ZcSipFlow *to, const char *sdp, GError **error)
{
  return invite (ua, uri, to, sdp, FALSE, error);
}

ZcSipSession *
zc_sip_ua_invite_as_account (ZcSipUa *ua, const char *uri, const ZcSipFlow *to, const char *sdp, GError **error)
{
  return invite (ua, uri, to, sdp, ua->account_domain != NULL, error);
}

void
zc_sip_ua_set_account (ZcSipUa *ua, const char *domain, const char *auth_username, const char *password)
{
  g_free (ua->account_domain);
  g_free (ua->account_auth_user);
  if (ua->account_password != NULL)
    memset (ua->account_password, 0, strlen (ua->account_password));
  g_free (ua->account_password);
  ua->account_domain = g_strdup (domain);
  ua->account_auth_user = g_strdup (auth_username);
  ua->account_password = g_strdup (password);
}

gboolean
zc_ua_session_answer_challenge (ZcSipSession *s, osip_message_t *response)
{
  ZcSipUa *ua = s->ua;
  osip_message_t *req;

  if (!s->as_account || ua->account_password == NULL || s->auth_tries > 0 || s->invite == NULL)
    return FALSE;
  req = zc_sip_auth_retry_request (s->invite, response, ua->account_auth_user, ua->account_password);
  if (req == NULL)
    return FALSE;
  s->auth_tries++;
  osip_message_free (s->invite);
  osip_message_clone (req, &s->invite);
  s->invite_tr = zc_sip_stack_send_request (ua->stack, req, &s->flow, NULL);
  if (s->invite_tr == NULL)
    return FALSE;
  zc_ua_session_own (s, s->invite_tr);
  return TRUE;
}

static ZcSipSession *
invite (ZcSipUa *ua, const char *uri, const ZcSipFlow *to, const char *sdp, gboolean as_account, GError **error)
{
  ZcSipSession *s = zc_ua_session_new (ua, TRUE, to);
  osip_message_t *req = NULL;
  g_autofree char *tag = zc_sip_random_token ();
  g_autofree char *call_token = zc_sip_random_token ();
  g_autofree char *host = zc_ua_host_for_uri (s->local_address);
  g_autofree char *from = NULL;
  g_autofree char *via = zc_ua_session_via (s);
  g_autofree char *contact = zc_ua_session_contact (s);
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
    zc_ua_session_maybe_free (s);
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
  zc_ua_set_sdp_body (req, sdp);
  osip_message_clone (req, &s->invite);
  s->state = S_CALLING;
  s->invite_tr = zc_sip_stack_send_request (ua->stack, req, to, NULL);
  if (s->invite_tr == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot start the INVITE transaction");
    s->state = S_TERMINATING;
    zc_ua_session_maybe_free (s);
    return NULL;
  }
  zc_ua_session_own (s, s->invite_tr);
  return s;
}

void
zc_ua_send_ack (ZcSipSession *s, osip_message_t *response)
{
  osip_message_t *ack;
  ZcSipFlow to;
  int cseq = atoi (response->cseq->number);

  /* RFC 3261 13.2.2.4: the ACK of a 2xx is a new request in the dialog
   * with the INVITE's CSeq number, sent by us, not by the transaction. */
  ack = zc_ua_build_in_dialog (s, "ACK", cseq);
  if (ack == NULL)
    return;
  zc_ua_dialog_destination (s, &to);
  zc_sip_stack_send_message (s->ua->stack, ack, &to);
  if (response->cseq != NULL && s->invite != NULL && s->invite->cseq != NULL &&
      strcmp (response->cseq->number, s->invite->cseq->number) == 0) {
    g_clear_pointer (&s->ack, osip_message_free);
    s->ack = ack;
  } else {
    osip_message_free (ack);
  }
}

