/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What a session sends inside its dialog (RFC 3261 12): in-dialog
 * requests and their routing, its responses to the INVITE, ACK and
 * CANCEL. */
#define G_LOG_DOMAIN "sip"

#include "config.h"
#include "sip/ua-private.h"

#include <stdlib.h>
#include <string.h>

char *
zc_sip_session_contact (ZcSipSession *s)
{
  g_autofree char *host = zc_sip_host_for_uri (s->local_address);

  return g_strdup_printf ("<sip:%s@%s:%u%s>", s->ua->user, host, zc_sip_ua_port_for (s->ua, s->flow.proto),
                          s->flow.proto == ZC_SIP_TLS   ? ";transport=tls"
                          : s->flow.proto == ZC_SIP_TCP ? ";transport=tcp"
                                                        : "");
}

char *
zc_sip_session_via (ZcSipSession *s)
{
  g_autofree char *host = zc_sip_host_for_uri (s->local_address);
  g_autofree char *branch = zc_sip_new_branch ();

  /* alias (RFC 5923): the peer may send its requests back on our
   * connection rather than open one. */
  return g_strdup_printf ("SIP/2.0/%s %s:%u;branch=%s;rport%s", zc_sip_proto_to_string (s->flow.proto), host,
                          zc_sip_ua_port_for (s->ua, s->flow.proto), branch,
                          s->flow.proto == ZC_SIP_TLS ? ";alias" : "");
}

/* Where requests inside the dialog go (RFC 3261 12.2.1.1, 8.1.2): the
 * first Route of the route set when there is one (a proxy that
 * Record-Routed), else the remote target, when they are addresses we can
 * use; else where the peer was. */
void
zc_sip_session_destination (ZcSipSession *s, ZcSipFlow *to)
{
  osip_route_t *route;
  osip_uri_t *next_hop = NULL;

  *to = s->flow;
  if (s->dialog == NULL)
    return;
  if (s->flow.proto != ZC_SIP_UDP) {
    /* The dialog's connection while it is open; once it closed, a new
     * one to the port the peer's Contact listens on (not the source port
     * of the old connection), at the same address and with the same
     * certificate expected. */
    ZcSipFlow parsed;
    g_autofree char *target =
      s->dialog->remote_contact_uri != NULL ? zc_sip_uri_to_string (s->dialog->remote_contact_uri->url) : NULL;

    if (target != NULL && zc_sip_uri_to_flow (target, &parsed) && parsed.proto == s->flow.proto &&
        strncmp (parsed.address, s->flow.address, strcspn (s->flow.address, "%")) == 0 &&
        parsed.address[strcspn (s->flow.address, "%")] == '\0')
      to->port = parsed.port;
    return;
  }
  route = osip_list_get (&s->dialog->route_set, 0);
  if (route != NULL)
    next_hop = route->url;
  else if (s->dialog->remote_contact_uri != NULL)
    next_hop = s->dialog->remote_contact_uri->url;
  if (next_hop != NULL) {
    g_autofree char *target = zc_sip_uri_to_string (next_hop);
    ZcSipFlow parsed;

    if (zc_sip_uri_to_flow (target, &parsed) && parsed.proto == ZC_SIP_UDP) {
      const char *zone = strchr (s->flow.address, '%');

      /* A Contact has no zone: a link-local one is on the link the
       * dialog's first request came or went on. */
      if (zone != NULL && strchr (parsed.address, '%') == NULL &&
          g_ascii_strncasecmp (parsed.address, "fe80:", 5) == 0)
        g_strlcat (parsed.address, zone, sizeof parsed.address);
      *to = parsed;
    }
  }
}

/* A request within the dialog (RFC 3261 12.2.1.1), loose routing. */
osip_message_t *
zc_sip_session_build_request (ZcSipSession *s, const char *method, int cseq)
{
  osip_dialog_t *d = s->dialog;
  osip_message_t *req = NULL;
  osip_generic_param_t *tag = NULL;
  g_autofree char *via = zc_sip_session_via (s);
  g_autofree char *contact = zc_sip_session_contact (s);
  g_autofree char *cseq_text = NULL;

  if (d == NULL || osip_message_init (&req) != 0)
    return NULL;
  osip_message_set_method (req, osip_strdup (method));
  osip_message_set_version (req, osip_strdup ("SIP/2.0"));
  if (d->remote_contact_uri != NULL && d->remote_contact_uri->url != NULL)
    osip_uri_clone (d->remote_contact_uri->url, &req->req_uri);
  else
    osip_uri_clone (d->remote_uri->url, &req->req_uri);
  osip_list_iterator_t it;

  for (osip_route_t *route = osip_list_get_first (&d->route_set, &it); route != NULL;
       route = osip_list_get_next (&it)) {
    osip_route_t *copy = NULL;
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
zc_sip_session_send_request (ZcSipSession *s, const char *method)
{
  osip_message_t *req;
  ZcSipFlow to;
  osip_transaction_t *tr;

  if (s->dialog == NULL)
    return;
  s->dialog->local_cseq++;
  req = zc_sip_session_build_request (s, method, s->dialog->local_cseq);
  if (req == NULL)
    return;
  zc_sip_session_destination (s, &to);
  tr = zc_sip_stack_send_request (s->ua->stack, req, &to, NULL);
  if (tr != NULL)
    zc_sip_session_own (s, tr);
}

osip_message_t *
zc_sip_session_build_response (ZcSipSession *s, int status, const char *reason)
{
  osip_message_t *request = s->invite_tr ? s->invite_tr->orig_request : NULL;
  const char *local_tag = s->dialog ? s->dialog->local_tag : NULL;
  osip_message_t *response;

  if (request == NULL)
    return NULL;
  response = zc_sip_stack_build_response (s->ua->stack, request, status, reason, local_tag);
  if (response != NULL && status > 100 && status < 300) {
    g_autofree char *contact = zc_sip_session_contact (s);

    osip_list_iterator_t it;

    /* RFC 3261 12.1.1: proxies that Record-Routed stay in the path. */
    for (osip_record_route_t *rr = osip_list_get_first (&request->record_routes, &it); rr != NULL;
         rr = osip_list_get_next (&it)) {
      osip_record_route_t *copy = NULL;
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
zc_sip_session_send_cancel (ZcSipSession *s)
{
  osip_message_t *cancel = build_cancel (s);
  osip_transaction_t *tr;

  s->cancel_pending = FALSE;
  if (cancel == NULL)
    return;
  tr = zc_sip_stack_send_request (s->ua->stack, cancel, &s->flow, NULL);
  if (tr != NULL)
    zc_sip_session_own (s, tr);
}

void
zc_sip_session_send_ack (ZcSipSession *s, osip_message_t *response)
{
  osip_message_t *ack;
  ZcSipFlow to;
  int cseq = atoi (response->cseq->number);

  /* RFC 3261 13.2.2.4: the ACK of a 2xx is a new request in the dialog
   * with the INVITE's CSeq number, sent by us, not by the transaction. */
  ack = zc_sip_session_build_request (s, "ACK", cseq);
  if (ack == NULL)
    return;
  zc_sip_session_destination (s, &to);
  zc_sip_stack_send_message (s->ua->stack, ack, &to);
  if (response->cseq != NULL && s->invite != NULL && s->invite->cseq != NULL &&
      strcmp (response->cseq->number, s->invite->cseq->number) == 0) {
    g_clear_pointer (&s->ack, osip_message_free);
    s->ack = ack;
  } else {
    osip_message_free (ack);
  }
}
