/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sip"

#include "config.h"
#include "sip/ua-private.h"

#include "sip/digest.h"

#include <stdlib.h>
#include <string.h>

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

/* ---- stack events: requests ------------------------------------------------------- */

void
zc_ua_respond_simple (ZcSipUa *ua, osip_transaction_t *tr, osip_message_t *request, int status, const char *reason)
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
  const char *offer = zc_ua_body_of (request);
  g_autofree char *answer = NULL;
  int status = 488;
  osip_message_t *response;

  if (offer != NULL && ua->events.reoffer != NULL && s->user_data != NULL)
    answer = ua->events.reoffer (s, offer, &status, ua->user_data);
  else if (offer == NULL)
    status = 200;
  if (answer == NULL && status != 200) {
    zc_ua_respond_simple (ua, tr, request, status, NULL);
    return;
  }
  response = zc_sip_stack_build_response (ua->stack, request, 200, "OK", s->dialog->local_tag);
  if (response == NULL)
    return;
  {
    g_autofree char *contact = zc_ua_session_contact (s);
    osip_message_set_contact (response, contact);
  }
  zc_ua_set_sdp_body (response, answer);
  if (invite) {
    zc_ua_send_2xx (s, tr, response);
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
    s = zc_ua_find_session_for_request (ua, request);
    if (s == NULL || s->state == S_TERMINATING) {
      zc_ua_respond_simple (ua, tr, request, 481, "Call/Transaction Does Not Exist");
      return;
    }
    /* RFC 3261 14.2: one offer/answer at a time. */
    if (s->reinvite_tr != NULL || s->state != S_CONFIRMED) {
      zc_ua_respond_simple (ua, tr, request, s->reinvite_tr != NULL ? 491 : 500, NULL);
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
    zc_ua_respond_simple (ua, tr, request, 482, "Loop Detected");
    return;
  }

  s = zc_ua_session_new (ua, FALSE, from);
  s->state = S_INCOMING;
  {
    osip_generic_param_t *from_tag = NULL;
    osip_from_get_tag (request->from, &from_tag);
    s->invite_from_tag = g_strdup (from_tag ? from_tag->gvalue : NULL);
    s->invite_cseq = g_strdup (request->cseq->number);
  }
  s->invite_tr = tr;
  zc_ua_session_own (s, tr);
  s->call_id = request->call_id->host
                  ? g_strdup_printf ("%s@%s", request->call_id->number, request->call_id->host)
                  : g_strdup (request->call_id->number);
  s->remote_uri = zc_ua_uri_to_string (request->from->url);
  s->remote_display = g_strdup (request->from->displayname ? request->from->displayname : "");
  if (s->remote_display[0] == '"') {
    g_autofree char *quoted = s->remote_display;
    g_autofree char *inner = g_strndup (quoted + 1, strlen (quoted) >= 2 ? strlen (quoted) - 2 : 0);
    s->remote_display = g_strcompress (inner);
  }
  zc_ua_respond_simple (ua, tr, request, 100, "Trying");
  if (ua->events.incoming != NULL)
    ua->events.incoming (s, zc_ua_body_of (request), from, ua->user_data);
}

/* The INVITE still waiting for our answer ends with 487 (RFC 3261 9.2). */
static void
terminate_unanswered_invite (ZcSipSession *s)
{
  osip_message_t *response = zc_ua_session_response (s, 487, "Request Terminated");

  if (response != NULL)
    zc_sip_stack_respond (s->ua->stack, s->invite_tr, response);
}

static void
handle_cancel (ZcSipUa *ua, osip_transaction_t *tr, osip_message_t *request)
{
  osip_transaction_t *invite_tr = zc_sip_stack_find_invite_for_cancel (ua->stack, request);
  ZcSipSession *s = invite_tr ? zc_sip_stack_tx_owner (invite_tr) : NULL;

  if (invite_tr == NULL) {
    zc_ua_respond_simple (ua, tr, request, 481, "Call/Transaction Does Not Exist");
    return;
  }
  zc_ua_respond_simple (ua, tr, request, 200, "OK");
  if (s != NULL && s->kind == OWNER_SESSION && s->state == S_INCOMING) {
    terminate_unanswered_invite (s);
    zc_ua_report_ended (s, ZC_SIP_END_CANCELLED, 487, "cancelled");
    zc_ua_session_maybe_free (s);
  }
}

static void
handle_bye (ZcSipUa *ua, osip_transaction_t *tr, osip_message_t *request)
{
  ZcSipSession *s = zc_ua_find_session_for_request (ua, request);

  if (s == NULL) {
    zc_ua_respond_simple (ua, tr, request, 481, "Call/Transaction Does Not Exist");
    return;
  }
  zc_ua_respond_simple (ua, tr, request, 200, "OK");
  zc_ua_stop_retransmissions (s);
  if (s->state == S_INCOMING)
    terminate_unanswered_invite (s);
  zc_ua_report_ended (s, ZC_SIP_END_REMOTE_HANGUP, 0, "remote hangup");
  zc_ua_session_maybe_free (s);
}

static void
handle_update (ZcSipUa *ua, osip_transaction_t *tr, osip_message_t *request)
{
  ZcSipSession *s = zc_ua_find_session_for_request (ua, request);

  if (s == NULL || s->state == S_TERMINATING) {
    zc_ua_respond_simple (ua, tr, request, 481, "Call/Transaction Does Not Exist");
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
    zc_ua_respond_simple (ua, tr, request, 405, "Method Not Allowed");
}

static void
stack_ack_cb (osip_message_t *ack, const ZcSipFlow *from G_GNUC_UNUSED, gpointer user_data)
{
  ZcSipUa *ua = user_data;
  ZcSipSession *s = zc_ua_find_session_for_request (ua, ack);

  if (s == NULL)
    return;
  zc_ua_stop_retransmissions (s);
  if (s->state == S_ANSWERED) {
    s->state = S_CONFIRMED;
    if (s->user_data != NULL && ua->events.established != NULL)
      ua->events.established (s, zc_ua_body_of (ack), ua->user_data);
  }
  zc_ua_session_maybe_free (s);
}

/* ---- digest challenges (register.c, session.c) ------------------------------------ */

static char *
dequoted (const char *value)
{
  char *copy;

  if (value == NULL)
    return NULL;
  copy = g_strdup (value);
  osip_dequote (copy);
  return copy;
}

gboolean
zc_ua_pick_challenge (osip_message_t *response, ZcUaChallenge *out)
{
  osip_list_t *list = response->status_code == 407 ? &response->proxy_authenticates : &response->www_authenticates;
  osip_www_authenticate_t *best = NULL;
  int best_strength = 0;
  g_autofree char *stale = NULL;

  memset (out, 0, sizeof *out);
  for (int pos = 0; pos < osip_list_size (list); pos++) {
    osip_www_authenticate_t *wa = osip_list_get (list, pos);
    g_autofree char *algorithm = dequoted (osip_www_authenticate_get_algorithm (wa));
    int strength = zc_digest_algorithm_strength (algorithm);

    if (wa->auth_type == NULL || g_ascii_strcasecmp (wa->auth_type, "Digest") != 0)
      continue;
    if (strength > best_strength) {
      best = wa;
      best_strength = strength;
    }
  }
  if (best == NULL)
    return FALSE;
  out->realm = dequoted (osip_www_authenticate_get_realm (best));
  out->nonce = dequoted (osip_www_authenticate_get_nonce (best));
  out->opaque = dequoted (osip_www_authenticate_get_opaque (best));
  out->algorithm = dequoted (osip_www_authenticate_get_algorithm (best));
  out->qop = dequoted (osip_www_authenticate_get_qop_options (best));
  stale = dequoted (osip_www_authenticate_get_stale (best));
  out->stale = stale != NULL && g_ascii_strcasecmp (stale, "true") == 0;
  if (out->realm == NULL || out->nonce == NULL) {
    zc_ua_challenge_clear (out);
    return FALSE;
  }
  return TRUE;
}

void
zc_ua_challenge_clear (ZcUaChallenge *challenge)
{
  g_clear_pointer (&challenge->realm, g_free);
  g_clear_pointer (&challenge->nonce, g_free);
  g_clear_pointer (&challenge->opaque, g_free);
  g_clear_pointer (&challenge->algorithm, g_free);
  g_clear_pointer (&challenge->qop, g_free);
  challenge->stale = FALSE;
}

char *
zc_ua_challenge_answer (const ZcUaChallenge *challenge, const char *username, const char *password,
                        const char *method, const char *uri, guint nc)
{
  ZcDigestChallenge digest = {
    .realm = challenge->realm, .nonce = challenge->nonce, .opaque = challenge->opaque,
    .algorithm = challenge->algorithm, .qop = challenge->qop,
  };

  return zc_digest_authorization (&digest, username, password, method, uri, NULL, nc);
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
      zc_ua_send_cancel (s);
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
      zc_ua_report_ended (s, ZC_SIP_END_REJECTED, 500, "bad 2xx");
      return;
    }
    osip_dialog_set_state (s->dialog, DIALOG_CONFIRMED);
    zc_ua_send_ack (s, response);
    if (s->state == S_TERMINATING) {
      /* We hung up while the answer was on its way: end it properly. */
      zc_ua_send_in_dialog (s, "BYE");
      return;
    }
    s->state = S_CONFIRMED;
    if (s->user_data != NULL && ua->events.established != NULL)
      ua->events.established (s, zc_ua_body_of (response), ua->user_data);
    return;
  }
  if ((status == 401 || status == 407) && s->state != S_TERMINATING && zc_ua_session_answer_challenge (s, response))
    return;
  zc_ua_report_ended (s, status == 487 ? ZC_SIP_END_CANCELLED : ZC_SIP_END_REJECTED, status,
                response->reason_phrase ? response->reason_phrase : "");
}

static void
stack_response_cb (osip_transaction_t *tr, osip_message_t *response, gpointer user_data)
{
  ZcSipUa *ua = user_data;
  gpointer owner = zc_sip_stack_tx_owner (tr);

  if (owner == NULL)
    return;
  if (*(OwnerKind *) owner == OWNER_REGISTRATION) {
    zc_ua_registration_response (owner, response);
    return;
  }
  if (*(OwnerKind *) owner == OWNER_PING) {
    ZcPing *ping = owner;

    if (response->status_code >= 200 && !ping->reported) {
      ping->reported = TRUE;
      ZcSipPingFunc func = ping->func != NULL ? ping->func : ua->ping_func;

      if (func != NULL)
        func (ping->id, response->status_code, (double) (g_get_monotonic_time () - ping->sent_us) / 1000.0,
              ping->func != NULL ? ping->func_data : ua->ping_data);
    }
    return;
  }
  {
    ZcSipSession *s = owner;

    if (tr == s->invite_tr && s->outgoing)
      invite_response (ua, s, response);
    else if (tr == s->reinvite_tr && response->status_code >= 200) {
      if (response->status_code < 300)
        zc_ua_send_ack (s, response);
      if (s->user_data != NULL && ua->events.reinvite_done != NULL)
        ua->events.reinvite_done (s, response->status_code,
                                  response->status_code < 300 ? zc_ua_body_of (response) : NULL, ua->user_data);
    }
  }
}

static void
stack_stray_2xx_cb (osip_message_t *response, const ZcSipFlow *from G_GNUC_UNUSED, gpointer user_data)
{
  ZcSipUa *ua = user_data;
  ZcSipSession *s = zc_ua_find_session_for_response (ua, response);
  ZcSipFlow to;

  /* The 2xx came again: our ACK was lost (RFC 3261 13.2.2.4). */
  if (s == NULL || s->ack == NULL)
    return;
  zc_ua_dialog_destination (s, &to);
  zc_sip_stack_send_message (ua->stack, s->ack, &to);
}

static void
stack_client_failed_cb (osip_transaction_t *tr, int status, gpointer user_data)
{
  ZcSipUa *ua = user_data;
  gpointer owner = zc_sip_stack_tx_owner (tr);

  if (owner == NULL)
    return;
  if (*(OwnerKind *) owner == OWNER_REGISTRATION) {
    zc_ua_registration_failed (owner, status);
    return;
  }
  if (*(OwnerKind *) owner == OWNER_PING) {
    ZcPing *ping = owner;

    if (!ping->reported) {
      ping->reported = TRUE;
      ZcSipPingFunc func = ping->func != NULL ? ping->func : ua->ping_func;

      if (func != NULL)
        func (ping->id, 0, -1, ping->func != NULL ? ping->func_data : ua->ping_data);
    }
    return;
  }
  {
    ZcSipSession *s = owner;

    if (tr == s->invite_tr && s->outgoing && s->state != S_CONFIRMED)
      zc_ua_report_ended (s, status == 408 ? ZC_SIP_END_TIMEOUT : ZC_SIP_END_TRANSPORT, status,
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
  if (*(OwnerKind *) owner == OWNER_REGISTRATION) {
    zc_ua_registration_tx_gone (owner, tr);
    return;
  }
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
    zc_ua_session_maybe_free (s);
  }
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
  zc_sip_ua_set_events (ua, events, user_data);
  ua->pings = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  ua->stack = zc_sip_stack_new (ua_send_cb, ua, &stack_events, ua);
  return ua;
}

void
zc_sip_ua_set_events (ZcSipUa *ua, const ZcSipUaEvents *events, gpointer user_data)
{
  ua->events = events != NULL ? *events : (ZcSipUaEvents){ 0 };
  ua->user_data = user_data;
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
  g_list_free_full (ua->sessions, (GDestroyNotify) zc_ua_session_free);
  g_hash_table_unref (ua->pings);
  g_free (ua->user);
  g_free (ua->display_name);
  zc_sip_ua_set_account (ua, NULL, NULL, NULL);
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

