/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sip"

#include "config.h"
#include "sip/ua.h"

#include <osip2/osip_dialog.h>
#include <string.h>

/* RFC 3261 17.1.1.1 and 13.3.1.4: 2xx retransmissions start at T1,
 * double up to T2 and give up after 64*T1. */
#define T1_MS 500
#define T2_MS 4000
#define TIMER_H_MS (64 * T1_MS)

/* Owners of transactions are sessions or pings; both start with a kind. */
typedef enum { OWNER_SESSION = 1, OWNER_PING } OwnerKind;

typedef enum {
  S_CALLING,       /* our INVITE sent */
  S_EARLY,         /* provisional received */
  S_INCOMING,      /* their INVITE, not answered */
  S_ANSWERED,      /* our 2xx sent, waiting for the ACK */
  S_CONFIRMED,
  S_TERMINATING,   /* over for the core; SIP still finishing */
} SessionState;

struct _ZcSipSession {
  OwnerKind kind;
  ZcSipUa *ua;
  gboolean outgoing;
  SessionState state;
  gpointer user_data;            /* the core's call, NULL once ended is reported */
  char *call_id;
  char *remote_uri;
  char *remote_display;
  char *local_address;
  ZcSipFlow flow;
  osip_dialog_t *dialog;
  osip_transaction_t *invite_tr;
  osip_transaction_t *reinvite_tr;
  osip_message_t *invite;        /* our INVITE, for CANCEL */
  osip_message_t *last_2xx;      /* our last 2xx to an INVITE, retransmitted until ACKed */
  osip_message_t *first_2xx;     /* our 2xx to the initial INVITE, for late retransmissions */
  char *invite_from_tag;         /* identify retransmissions of their initial INVITE */
  char *invite_cseq;
  osip_message_t *ack;           /* our ACK, re-sent on a retransmitted 2xx */
  guint retransmit_id;
  guint retransmit_interval_ms;
  gint64 retransmit_deadline_us;
  gboolean got_provisional;
  gboolean cancel_pending;
  guint live_transactions;
};

typedef struct {
  OwnerKind kind;
  guint id;
  gint64 sent_us;
  osip_transaction_t *tr;
  gboolean reported;
} ZcPing;

struct _ZcSipUa {
  ZcSipTransport *transport;      /* NULL with a stand-in io */
  ZcSipUaIo io;
  ZcSipStack *stack;
  char *user;
  char *display_name;
  ZcSipUaEvents events;
  gpointer user_data;
  GList *sessions;
  GHashTable *pings;              /* id -> ZcPing* */
  ZcSipPingFunc ping_func;
  gpointer ping_data;
  guint next_ping_id;
};

static void session_maybe_free (ZcSipSession *s);

/* ---- helpers ---------------------------------------------------------------- */

static gboolean
transport_send_cb (const ZcSipFlow *to, const char *data, gsize len, gpointer user_data)
{
  ZcSipTransport *transport = user_data;
  g_autoptr (GError) error = NULL;

  if (!zc_sip_transport_send (transport, to, data, len, &error)) {
    g_debug ("cannot send to %s:%u: %s", to->address, to->port, error->message);
    return FALSE;
  }
  return TRUE;
}

static char *
transport_local_address_cb (const char *remote, gpointer user_data)
{
  return zc_sip_transport_local_address_for (user_data, remote);
}

static gboolean
ua_send_cb (const ZcSipFlow *to, const char *data, gsize len, gpointer user_data)
{
  ZcSipUa *ua = user_data;
  return ua->io.send (to, data, len, ua->io.data);
}

static gboolean
transport_receive_cb (const char *data, gsize len, const ZcSipFlow *from, gpointer user_data)
{
  ZcSipUa *ua = user_data;
  return zc_sip_stack_receive (ua->stack, data, len, from);
}

gboolean
zc_sip_uri_to_flow (const char *uri, ZcSipFlow *flow)
{
  osip_uri_t *parsed = NULL;
  osip_uri_param_t *transport = NULL;
  g_autoptr (GInetAddress) ip = NULL;
  gboolean ok = FALSE;
  guint64 port = 5060;

  memset (flow, 0, sizeof *flow);
  if (osip_uri_init (&parsed) != 0)
    return FALSE;
  if (osip_uri_parse (parsed, uri) == 0 && parsed->host != NULL) {
    g_autofree char *host = g_strdup (parsed->host);

    if (host[0] == '[') {
      memmove (host, host + 1, strlen (host));
      host[strcspn (host, "]")] = '\0';
    }
    ip = g_inet_address_new_from_string (host);
    if (ip != NULL && (parsed->port == NULL || g_ascii_string_to_unsigned (parsed->port, 10, 1, 65535, &port, NULL))) {
      g_strlcpy (flow->address, host, sizeof flow->address);
      flow->port = (guint16) port;
      osip_uri_uparam_get_byname (parsed, "transport", &transport);
      flow->proto = transport && transport->gvalue && g_ascii_strcasecmp (transport->gvalue, "tcp") == 0
                        ? ZC_SIP_TCP
                        : ZC_SIP_UDP;
      ok = TRUE;
    }
  }
  osip_uri_free (parsed);
  return ok;
}

static char *
host_for_uri (const char *address)
{
  return strchr (address, ':') ? g_strdup_printf ("[%s]", address) : g_strdup (address);
}

static char *
session_contact (ZcSipSession *s)
{
  g_autofree char *host = host_for_uri (s->local_address);

  return g_strdup_printf ("<sip:%s@%s:%u%s>", s->ua->user, host, s->ua->io.port,
                          s->flow.proto == ZC_SIP_TCP ? ";transport=tcp" : "");
}

static char *
session_via (ZcSipSession *s)
{
  g_autofree char *host = host_for_uri (s->local_address);
  g_autofree char *branch = zc_sip_new_branch ();

  return g_strdup_printf ("SIP/2.0/%s %s:%u;branch=%s;rport", zc_sip_proto_to_string (s->flow.proto), host,
                          s->ua->io.port, branch);
}

static const char *
body_of (osip_message_t *message)
{
  osip_body_t *body = osip_list_get (&message->bodies, 0);
  return body != NULL && body->body != NULL && body->length > 0 ? body->body : NULL;
}

static void
set_sdp_body (osip_message_t *message, const char *sdp)
{
  if (sdp == NULL)
    return;
  osip_message_set_body (message, sdp, strlen (sdp));
  osip_message_set_content_type (message, "application/sdp");
}

static char *
uri_to_string (osip_uri_t *uri)
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

static ZcSipSession *
session_new (ZcSipUa *ua, gboolean outgoing, const ZcSipFlow *flow)
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

static void
stop_retransmissions (ZcSipSession *s)
{
  g_clear_handle_id (&s->retransmit_id, g_source_remove);
  g_clear_pointer (&s->last_2xx, osip_message_free);
}

static void
session_free (ZcSipSession *s)
{
  stop_retransmissions (s);
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

static void
session_maybe_free (ZcSipSession *s)
{
  if (s->state != S_TERMINATING || s->live_transactions > 0 || s->retransmit_id != 0)
    return;
  s->ua->sessions = g_list_remove (s->ua->sessions, s);
  session_free (s);
}

/* Tells the core the session is over (once); the SIP side may go on. */
static void
report_ended (ZcSipSession *s, ZcSipEndCause cause, int status, const char *reason)
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

static void
session_own (ZcSipSession *s, osip_transaction_t *tr)
{
  zc_sip_stack_tx_set_owner (tr, s);
  s->live_transactions++;
}

static ZcSipSession *
find_session_for_request (ZcSipUa *ua, osip_message_t *request)
{
  for (GList *l = ua->sessions; l != NULL; l = l->next) {
    ZcSipSession *s = l->data;

    if (s->dialog != NULL && osip_dialog_match_as_uas (s->dialog, request) == 0)
      return s;
  }
  return NULL;
}

static ZcSipSession *
find_session_for_response (ZcSipUa *ua, osip_message_t *response)
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
static void
dialog_destination (ZcSipSession *s, ZcSipFlow *to)
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
    g_autofree char *target = uri_to_string (next_hop);
    ZcSipFlow parsed;

    if (zc_sip_uri_to_flow (target, &parsed) && parsed.proto == ZC_SIP_UDP)
      *to = parsed;
  }
}

/* A request within the dialog (RFC 3261 12.2.1.1), loose routing. */
static osip_message_t *
build_in_dialog (ZcSipSession *s, const char *method, int cseq)
{
  osip_dialog_t *d = s->dialog;
  osip_message_t *req = NULL;
  osip_generic_param_t *tag = NULL;
  g_autofree char *via = session_via (s);
  g_autofree char *contact = session_contact (s);
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

static void
send_in_dialog (ZcSipSession *s, const char *method)
{
  osip_message_t *req;
  ZcSipFlow to;
  osip_transaction_t *tr;

  if (s->dialog == NULL)
    return;
  s->dialog->local_cseq++;
  req = build_in_dialog (s, method, s->dialog->local_cseq);
  if (req == NULL)
    return;
  dialog_destination (s, &to);
  tr = zc_sip_stack_send_request (s->ua->stack, req, &to, NULL);
  if (tr != NULL)
    session_own (s, tr);
}

/* ---- responses we send --------------------------------------------------------- */

static osip_message_t *
session_response (ZcSipSession *s, int status, const char *reason)
{
  osip_message_t *request = s->invite_tr ? s->invite_tr->orig_request : NULL;
  const char *local_tag = s->dialog ? s->dialog->local_tag : NULL;
  osip_message_t *response;

  if (request == NULL)
    return NULL;
  response = zc_sip_stack_build_response (s->ua->stack, request, status, reason, local_tag);
  if (response != NULL && status > 100 && status < 300) {
    g_autofree char *contact = session_contact (s);

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

  if (s->state != S_INCOMING || (response = session_response (s, 180, "Ringing")) == NULL)
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
      send_in_dialog (s, "BYE");
      report_ended (s, ZC_SIP_END_TIMEOUT, 408, "no ACK");
    }
    session_maybe_free (s);
    return G_SOURCE_REMOVE;
  }
  zc_sip_stack_send_message (s->ua->stack, s->last_2xx, &s->flow);
  s->retransmit_interval_ms = MIN (s->retransmit_interval_ms * 2, T2_MS);
  s->retransmit_id = g_timeout_add (s->retransmit_interval_ms, retransmit_2xx_cb, s);
  return G_SOURCE_REMOVE;
}

/* Sends a 2xx to an INVITE (initial or re-) and keeps it going until the
 * ACK: the INVITE server transaction ends with the 2xx (RFC 3261 17.2.1). */
static void
send_2xx (ZcSipSession *s, osip_transaction_t *tr, osip_message_t *response)
{
  stop_retransmissions (s);
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

  if (s->state != S_INCOMING || (response = session_response (s, 200, "OK")) == NULL)
    return;
  set_sdp_body (response, sdp);
  if (s->dialog != NULL)
    osip_dialog_set_state (s->dialog, DIALOG_CONFIRMED);
  s->state = S_ANSWERED;
  osip_message_clone (response, &s->first_2xx);
  send_2xx (s, s->invite_tr, response);
}

void
zc_sip_session_reject (ZcSipSession *s, int status, const char *reason)
{
  osip_message_t *response;

  if (s->state != S_INCOMING)
    return;
  response = session_response (s, status, reason);
  if (response != NULL) {
    if (status == 480 || status == 486 || status == 503)
      osip_message_set_retry_after (response, "60");
    zc_sip_stack_respond (s->ua->stack, s->invite_tr, response);
  }
  report_ended (s, ZC_SIP_END_LOCAL_HANGUP, status, reason);
  session_maybe_free (s);
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

static void
send_cancel (ZcSipSession *s)
{
  osip_message_t *cancel = build_cancel (s);
  osip_transaction_t *tr;

  s->cancel_pending = FALSE;
  if (cancel == NULL)
    return;
  tr = zc_sip_stack_send_request (s->ua->stack, cancel, &s->flow, NULL);
  if (tr != NULL)
    session_own (s, tr);
}

void
zc_sip_session_hangup (ZcSipSession *s)
{
  switch (s->state) {
  case S_CALLING:
  case S_EARLY:
    /* RFC 3261 9.1: no CANCEL before a provisional response. */
    if (s->got_provisional)
      send_cancel (s);
    else
      s->cancel_pending = TRUE;
    report_ended (s, ZC_SIP_END_LOCAL_HANGUP, 0, "cancelled");
    break;
  case S_INCOMING:
    zc_sip_session_reject (s, 603, "Decline");
    return;
  case S_ANSWERED:
  case S_CONFIRMED:
    send_in_dialog (s, "BYE");
    report_ended (s, ZC_SIP_END_LOCAL_HANGUP, 0, "hangup");
    break;
  case S_TERMINATING:
  default:
    break;
  }
  session_maybe_free (s);
}

gboolean
zc_sip_session_reinvite (ZcSipSession *s, const char *sdp)
{
  osip_message_t *req;
  ZcSipFlow to;

  if (s->state != S_CONFIRMED || s->reinvite_tr != NULL || s->dialog == NULL)
    return FALSE;
  s->dialog->local_cseq++;
  req = build_in_dialog (s, "INVITE", s->dialog->local_cseq);
  if (req == NULL)
    return FALSE;
  set_sdp_body (req, sdp);
  dialog_destination (s, &to);
  s->reinvite_tr = zc_sip_stack_send_request (s->ua->stack, req, &to, NULL);
  if (s->reinvite_tr == NULL)
    return FALSE;
  session_own (s, s->reinvite_tr);
  return TRUE;
}

ZcSipSession *
zc_sip_ua_invite (ZcSipUa *ua, const char *uri, const ZcSipFlow *to, const char *sdp, GError **error)
{
  ZcSipSession *s = session_new (ua, TRUE, to);
  osip_message_t *req = NULL;
  g_autofree char *tag = zc_sip_random_token ();
  g_autofree char *call_token = zc_sip_random_token ();
  g_autofree char *host = host_for_uri (s->local_address);
  g_autofree char *from = NULL;
  g_autofree char *via = session_via (s);
  g_autofree char *contact = session_contact (s);
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
    session_maybe_free (s);
    return NULL;
  }
  escaped_name = g_strescape (ua->display_name ? ua->display_name : "", NULL);
  from = *escaped_name ? g_strdup_printf ("\"%s\" <sip:%s@%s:%u>;tag=%s", escaped_name, ua->user, host,
                                          ua->io.port, tag)
                       : g_strdup_printf ("<sip:%s@%s:%u>;tag=%s", ua->user, host,
                                          ua->io.port, tag);
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
  set_sdp_body (req, sdp);
  osip_message_clone (req, &s->invite);
  s->state = S_CALLING;
  s->invite_tr = zc_sip_stack_send_request (ua->stack, req, to, NULL);
  if (s->invite_tr == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot start the INVITE transaction");
    s->state = S_TERMINATING;
    session_maybe_free (s);
    return NULL;
  }
  session_own (s, s->invite_tr);
  return s;
}

static void
send_ack (ZcSipSession *s, osip_message_t *response)
{
  osip_message_t *ack;
  ZcSipFlow to;
  int cseq = atoi (response->cseq->number);

  /* RFC 3261 13.2.2.4: the ACK of a 2xx is a new request in the dialog
   * with the INVITE's CSeq number, sent by us, not by the transaction. */
  ack = build_in_dialog (s, "ACK", cseq);
  if (ack == NULL)
    return;
  dialog_destination (s, &to);
  zc_sip_stack_send_message (s->ua->stack, ack, &to);
  if (response->cseq != NULL && s->invite != NULL && s->invite->cseq != NULL &&
      strcmp (response->cseq->number, s->invite->cseq->number) == 0) {
    g_clear_pointer (&s->ack, osip_message_free);
    s->ack = ack;
  } else {
    osip_message_free (ack);
  }
}

/* ---- stack events: requests ------------------------------------------------------- */

static void
respond_simple (ZcSipUa *ua, osip_transaction_t *tr, osip_message_t *request, int status, const char *reason)
{
  osip_message_t *response = zc_sip_stack_build_response (ua->stack, request, status, reason, NULL);

  if (response != NULL)
    zc_sip_stack_respond (ua->stack, tr, response);
}

static void
handle_options (ZcSipUa *ua, osip_transaction_t *tr, osip_message_t *request)
{
  osip_message_t *response = zc_sip_stack_build_response (ua->stack, request, 200, "OK", NULL);

  if (response == NULL)
    return;
  /* RFC 3261 11.2: what we can do. */
  osip_message_set_allow (response, ZC_SIP_ALLOW);
  osip_message_set_accept (response, ZC_SIP_ACCEPT);
  osip_message_set_supported (response, ZC_SIP_SUPPORTED);
  osip_message_set_header (response, "Accept-Language", "en");
  zc_sip_stack_respond (ua->stack, tr, response);
}

static void
handle_reoffer (ZcSipUa *ua, ZcSipSession *s, osip_transaction_t *tr, osip_message_t *request, gboolean invite)
{
  const char *offer = body_of (request);
  g_autofree char *answer = NULL;
  int status = 488;
  osip_message_t *response;

  if (offer != NULL && ua->events.reoffer != NULL && s->user_data != NULL)
    answer = ua->events.reoffer (s, offer, &status, ua->user_data);
  else if (offer == NULL)
    status = 200;
  if (answer == NULL && status != 200) {
    respond_simple (ua, tr, request, status, NULL);
    return;
  }
  response = zc_sip_stack_build_response (ua->stack, request, 200, "OK", s->dialog->local_tag);
  if (response == NULL)
    return;
  {
    g_autofree char *contact = session_contact (s);
    osip_message_set_contact (response, contact);
  }
  set_sdp_body (response, answer);
  if (invite) {
    send_2xx (s, tr, response);
  } else {
    zc_sip_stack_respond (ua->stack, tr, response);
  }
}

static void
handle_invite (ZcSipUa *ua, osip_transaction_t *tr, osip_message_t *request, const ZcSipFlow *from)
{
  osip_generic_param_t *to_tag = NULL;
  ZcSipSession *s;

  osip_to_get_tag (request->to, &to_tag);
  if (to_tag != NULL) {
    s = find_session_for_request (ua, request);
    if (s == NULL || s->state == S_TERMINATING) {
      respond_simple (ua, tr, request, 481, "Call/Transaction Does Not Exist");
      return;
    }
    /* RFC 3261 14.2: one offer/answer at a time. */
    if (s->reinvite_tr != NULL || s->state != S_CONFIRMED) {
      respond_simple (ua, tr, request, s->reinvite_tr != NULL ? 491 : 500, NULL);
      return;
    }
    handle_reoffer (ua, s, tr, request, TRUE);
    return;
  }

  /* The INVITE server transaction ends with our 2xx, so a retransmitted
   * INVITE arrives as new (the gap RFC 6026 closes): answer it with the
   * same 2xx instead of ringing twice. */
  for (GList *l = ua->sessions; l != NULL; l = l->next) {
    ZcSipSession *old = l->data;
    osip_generic_param_t *from_tag = NULL;

    osip_from_get_tag (request->from, &from_tag);
    if (old->outgoing || old->invite_from_tag == NULL || from_tag == NULL || from_tag->gvalue == NULL ||
        strcmp (old->invite_from_tag, from_tag->gvalue) != 0 ||
        g_strcmp0 (old->invite_cseq, request->cseq->number) != 0 ||
        !g_str_has_prefix (old->call_id, request->call_id->number))
      continue;
    if (old->first_2xx != NULL) {
      osip_message_t *again = NULL;

      if (osip_message_clone (old->first_2xx, &again) == 0) {
        zc_sip_stack_respond (ua->stack, tr, again);
        return;
      }
    }
    respond_simple (ua, tr, request, 482, "Loop Detected");
    return;
  }

  s = session_new (ua, FALSE, from);
  s->state = S_INCOMING;
  {
    osip_generic_param_t *from_tag = NULL;
    osip_from_get_tag (request->from, &from_tag);
    s->invite_from_tag = g_strdup (from_tag ? from_tag->gvalue : NULL);
    s->invite_cseq = g_strdup (request->cseq->number);
  }
  s->invite_tr = tr;
  session_own (s, tr);
  s->call_id = request->call_id->host
                  ? g_strdup_printf ("%s@%s", request->call_id->number, request->call_id->host)
                  : g_strdup (request->call_id->number);
  s->remote_uri = uri_to_string (request->from->url);
  s->remote_display = g_strdup (request->from->displayname ? request->from->displayname : "");
  if (s->remote_display[0] == '"') {
    g_autofree char *quoted = s->remote_display;
    g_autofree char *inner = g_strndup (quoted + 1, strlen (quoted) >= 2 ? strlen (quoted) - 2 : 0);
    s->remote_display = g_strcompress (inner);
  }
  respond_simple (ua, tr, request, 100, "Trying");
  if (ua->events.incoming != NULL)
    ua->events.incoming (s, body_of (request), from, ua->user_data);
}

static void
handle_cancel (ZcSipUa *ua, osip_transaction_t *tr, osip_message_t *request)
{
  osip_transaction_t *invite_tr = zc_sip_stack_find_invite_for_cancel (ua->stack, request);
  ZcSipSession *s = invite_tr ? zc_sip_stack_tx_owner (invite_tr) : NULL;

  if (invite_tr == NULL) {
    respond_simple (ua, tr, request, 481, "Call/Transaction Does Not Exist");
    return;
  }
  respond_simple (ua, tr, request, 200, "OK");
  if (s != NULL && s->kind == OWNER_SESSION && s->state == S_INCOMING) {
    osip_message_t *response = session_response (s, 487, "Request Terminated");
    if (response != NULL)
      zc_sip_stack_respond (ua->stack, s->invite_tr, response);
    report_ended (s, ZC_SIP_END_CANCELLED, 487, "cancelled");
    session_maybe_free (s);
  }
}

static void
handle_bye (ZcSipUa *ua, osip_transaction_t *tr, osip_message_t *request)
{
  ZcSipSession *s = find_session_for_request (ua, request);

  if (s == NULL) {
    respond_simple (ua, tr, request, 481, "Call/Transaction Does Not Exist");
    return;
  }
  respond_simple (ua, tr, request, 200, "OK");
  stop_retransmissions (s);
  if (s->state == S_INCOMING) {
    osip_message_t *response = session_response (s, 487, "Request Terminated");
    if (response != NULL)
      zc_sip_stack_respond (ua->stack, s->invite_tr, response);
  }
  report_ended (s, ZC_SIP_END_REMOTE_HANGUP, 0, "remote hangup");
  session_maybe_free (s);
}

static void
handle_update (ZcSipUa *ua, osip_transaction_t *tr, osip_message_t *request)
{
  ZcSipSession *s = find_session_for_request (ua, request);

  if (s == NULL || s->state == S_TERMINATING) {
    respond_simple (ua, tr, request, 481, "Call/Transaction Does Not Exist");
    return;
  }
  handle_reoffer (ua, s, tr, request, FALSE);
}

static void
stack_request_cb (osip_transaction_t *tr, osip_message_t *request, const ZcSipFlow *from, gpointer user_data)
{
  ZcSipUa *ua = user_data;
  const char *method = request->sip_method;

  if (strcmp (method, "INVITE") == 0)
    handle_invite (ua, tr, request, from);
  else if (strcmp (method, "CANCEL") == 0)
    handle_cancel (ua, tr, request);
  else if (strcmp (method, "BYE") == 0)
    handle_bye (ua, tr, request);
  else if (strcmp (method, "OPTIONS") == 0)
    handle_options (ua, tr, request);
  else if (strcmp (method, "UPDATE") == 0)
    handle_update (ua, tr, request);
  else
    respond_simple (ua, tr, request, 405, "Method Not Allowed");
}

static void
stack_ack_cb (osip_message_t *ack, const ZcSipFlow *from G_GNUC_UNUSED, gpointer user_data)
{
  ZcSipUa *ua = user_data;
  ZcSipSession *s = find_session_for_request (ua, ack);

  if (s == NULL)
    return;
  stop_retransmissions (s);
  if (s->state == S_ANSWERED) {
    s->state = S_CONFIRMED;
    if (s->user_data != NULL && ua->events.established != NULL)
      ua->events.established (s, body_of (ack), ua->user_data);
  }
  session_maybe_free (s);
}

/* ---- stack events: responses ----------------------------------------------------- */

static void
invite_response (ZcSipUa *ua, ZcSipSession *s, osip_message_t *response)
{
  int status = response->status_code;

  if (status < 200) {
    osip_generic_param_t *tag = NULL;

    s->got_provisional = TRUE;
    osip_to_get_tag (response->to, &tag);
    if (tag != NULL && s->dialog == NULL && status > 100)
      osip_dialog_init_as_uac (&s->dialog, response);
    if (s->cancel_pending) {
      send_cancel (s);
      return;
    }
    if (s->state == S_CALLING && status > 100)
      s->state = S_EARLY;
    if (status > 100 && s->user_data != NULL && ua->events.progress != NULL)
      ua->events.progress (s, status, ua->user_data);
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
      report_ended (s, ZC_SIP_END_REJECTED, 500, "bad 2xx");
      return;
    }
    osip_dialog_set_state (s->dialog, DIALOG_CONFIRMED);
    send_ack (s, response);
    if (s->state == S_TERMINATING) {
      /* We hung up while the answer was on its way: end it properly. */
      send_in_dialog (s, "BYE");
      return;
    }
    s->state = S_CONFIRMED;
    if (s->user_data != NULL && ua->events.established != NULL)
      ua->events.established (s, body_of (response), ua->user_data);
    return;
  }
  report_ended (s, status == 487 ? ZC_SIP_END_CANCELLED : ZC_SIP_END_REJECTED, status,
                response->reason_phrase ? response->reason_phrase : "");
}

static void
stack_response_cb (osip_transaction_t *tr, osip_message_t *response, gpointer user_data)
{
  ZcSipUa *ua = user_data;
  gpointer owner = zc_sip_stack_tx_owner (tr);

  if (owner == NULL)
    return;
  if (*(OwnerKind *) owner == OWNER_PING) {
    ZcPing *ping = owner;

    if (response->status_code >= 200 && !ping->reported) {
      ping->reported = TRUE;
      if (ua->ping_func != NULL)
        ua->ping_func (ping->id, response->status_code, (double) (g_get_monotonic_time () - ping->sent_us) / 1000.0,
                       ua->ping_data);
    }
    return;
  }
  {
    ZcSipSession *s = owner;

    if (tr == s->invite_tr && s->outgoing)
      invite_response (ua, s, response);
    else if (tr == s->reinvite_tr && response->status_code >= 200) {
      if (response->status_code < 300)
        send_ack (s, response);
      if (s->user_data != NULL && ua->events.reinvite_done != NULL)
        ua->events.reinvite_done (s, response->status_code,
                                  response->status_code < 300 ? body_of (response) : NULL, ua->user_data);
    }
  }
}

static void
stack_stray_2xx_cb (osip_message_t *response, const ZcSipFlow *from G_GNUC_UNUSED, gpointer user_data)
{
  ZcSipUa *ua = user_data;
  ZcSipSession *s = find_session_for_response (ua, response);
  ZcSipFlow to;

  /* The 2xx came again: our ACK was lost (RFC 3261 13.2.2.4). */
  if (s == NULL || s->ack == NULL)
    return;
  dialog_destination (s, &to);
  zc_sip_stack_send_message (ua->stack, s->ack, &to);
}

static void
stack_client_failed_cb (osip_transaction_t *tr, int status, gpointer user_data)
{
  ZcSipUa *ua = user_data;
  gpointer owner = zc_sip_stack_tx_owner (tr);

  if (owner == NULL)
    return;
  if (*(OwnerKind *) owner == OWNER_PING) {
    ZcPing *ping = owner;

    if (!ping->reported) {
      ping->reported = TRUE;
      if (ua->ping_func != NULL)
        ua->ping_func (ping->id, 0, -1, ua->ping_data);
    }
    return;
  }
  {
    ZcSipSession *s = owner;

    if (tr == s->invite_tr && s->outgoing && s->state != S_CONFIRMED)
      report_ended (s, status == 408 ? ZC_SIP_END_TIMEOUT : ZC_SIP_END_TRANSPORT, status,
                    status == 408 ? "no answer" : "unreachable");
    else if (tr == s->reinvite_tr && s->user_data != NULL && ua->events.reinvite_done != NULL)
      ua->events.reinvite_done (s, status, NULL, ua->user_data);
  }
}

static void
stack_tx_gone_cb (osip_transaction_t *tr, gpointer user_data)
{
  ZcSipUa *ua = user_data;
  gpointer owner = zc_sip_stack_tx_owner (tr);

  if (owner == NULL)
    return;
  zc_sip_stack_tx_set_owner (tr, NULL);
  if (*(OwnerKind *) owner == OWNER_PING) {
    ZcPing *ping = owner;
    g_hash_table_remove (ua->pings, GUINT_TO_POINTER (ping->id));
    return;
  }
  {
    ZcSipSession *s = owner;

    if (tr == s->invite_tr)
      s->invite_tr = NULL;
    if (tr == s->reinvite_tr)
      s->reinvite_tr = NULL;
    if (s->live_transactions > 0)
      s->live_transactions--;
    /* An incoming call whose INVITE transaction died unanswered (timer
     * H, or our rejection done) has nothing left. */
    session_maybe_free (s);
  }
}

/* ---- pings --------------------------------------------------------------------------- */

guint
zc_sip_ua_ping (ZcSipUa *ua, const char *uri, const ZcSipFlow *to)
{
  osip_message_t *req = NULL;
  g_autofree char *local = ua->io.local_address_for (to->address, ua->io.data);
  g_autofree char *host = NULL;
  g_autofree char *tag = zc_sip_random_token ();
  g_autofree char *call_token = zc_sip_random_token ();
  g_autofree char *branch = zc_sip_new_branch ();
  g_autofree char *from = NULL, *via = NULL, *call_id = NULL, *to_header = NULL;
  ZcPing *ping;

  if (local == NULL)
    return 0;
  host = host_for_uri (local);
  osip_message_init (&req);
  osip_message_set_method (req, osip_strdup ("OPTIONS"));
  osip_message_set_version (req, osip_strdup ("SIP/2.0"));
  osip_uri_init (&req->req_uri);
  if (osip_uri_parse (req->req_uri, uri) != 0) {
    osip_message_free (req);
    return 0;
  }
  from = g_strdup_printf ("<sip:%s@%s:%u>;tag=%s", ua->user, host, ua->io.port, tag);
  via = g_strdup_printf ("SIP/2.0/%s %s:%u;branch=%s;rport", zc_sip_proto_to_string (to->proto), host,
                         ua->io.port, branch);
  call_id = g_strdup_printf ("%s@%s", call_token, local);
  to_header = g_strdup_printf ("<%s>", uri);
  osip_message_set_from (req, from);
  osip_message_set_to (req, to_header);
  osip_message_set_call_id (req, call_id);
  osip_message_set_cseq (req, "1 OPTIONS");
  osip_message_set_via (req, via);
  osip_message_set_max_forwards (req, "70");
  osip_message_set_accept (req, ZC_SIP_ACCEPT);
  osip_message_set_user_agent (req, "zcall/" PACKAGE_VERSION);

  ping = g_new0 (ZcPing, 1);
  ping->kind = OWNER_PING;
  ping->id = ++ua->next_ping_id ? ua->next_ping_id : ++ua->next_ping_id;
  ping->sent_us = g_get_monotonic_time ();
  g_hash_table_insert (ua->pings, GUINT_TO_POINTER (ping->id), ping);
  ping->tr = zc_sip_stack_send_request (ua->stack, req, to, ping);
  if (ping->tr == NULL) {
    g_hash_table_remove (ua->pings, GUINT_TO_POINTER (ping->id));
    return 0;
  }
  return ping->id;
}

void
zc_sip_ua_set_ping_handler (ZcSipUa *ua, ZcSipPingFunc func, gpointer user_data)
{
  ua->ping_func = func;
  ua->ping_data = user_data;
}

void
zc_sip_ua_ping_cancel (ZcSipUa *ua, guint ping_id)
{
  ZcPing *ping = g_hash_table_lookup (ua->pings, GUINT_TO_POINTER (ping_id));

  if (ping == NULL)
    return;
  ping->reported = TRUE;
  if (ping->tr != NULL)
    zc_sip_stack_abandon (ua->stack, ping->tr); /* tx_gone frees the ping */
  else
    g_hash_table_remove (ua->pings, GUINT_TO_POINTER (ping_id));
}

/* ---- life cycle ----------------------------------------------------------------------- */

ZcSipUa *
zc_sip_ua_new (ZcSipTransport *transport, const ZcSipIdentity *identity, const ZcSipUaEvents *events,
               gpointer user_data)
{
  ZcSipUaIo io = {
    .send = transport_send_cb,
    .local_address_for = transport_local_address_cb,
    .port = zc_sip_transport_get_port (transport),
    .data = transport,
  };
  ZcSipUa *ua = zc_sip_ua_new_with_io (&io, identity, events, user_data);

  ua->transport = transport;
  zc_sip_transport_set_receiver (transport, transport_receive_cb, ua);
  return ua;
}

ZcSipUa *
zc_sip_ua_new_with_io (const ZcSipUaIo *io, const ZcSipIdentity *identity, const ZcSipUaEvents *events,
                       gpointer user_data)
{
  static const ZcSipStackEvents stack_events = {
    .request = stack_request_cb,
    .ack = stack_ack_cb,
    .response = stack_response_cb,
    .stray_2xx = stack_stray_2xx_cb,
    .client_failed = stack_client_failed_cb,
    .tx_gone = stack_tx_gone_cb,
  };
  ZcSipUa *ua = g_new0 (ZcSipUa, 1);

  ua->io = *io;
  ua->user = g_strdup (identity->user);
  ua->display_name = g_strdup (identity->display_name);
  ua->events = *events;
  ua->user_data = user_data;
  ua->pings = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  ua->stack = zc_sip_stack_new (ua_send_cb, ua, &stack_events, ua);
  return ua;
}

void
zc_sip_ua_free (ZcSipUa *ua)
{
  if (ua == NULL)
    return;
  if (ua->transport != NULL)
    zc_sip_transport_set_receiver (ua->transport, NULL, NULL);
  ua->events = (ZcSipUaEvents){ 0 };
  ua->ping_func = NULL;
  /* Transactions first: their tx_gone callbacks touch sessions and pings. */
  g_clear_pointer (&ua->stack, zc_sip_stack_free);
  g_list_free_full (ua->sessions, (GDestroyNotify) session_free);
  g_hash_table_unref (ua->pings);
  g_free (ua->user);
  g_free (ua->display_name);
  g_free (ua);
}

ZcSipStack *
zc_sip_ua_get_stack (ZcSipUa *ua)
{
  return ua->stack;
}

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

const ZcSipFlow *
zc_sip_session_get_flow (ZcSipSession *s)
{
  return &s->flow;
}
