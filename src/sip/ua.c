/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The user agent: its transport, the dispatch of the transaction layer's
 * events to the session, ping or registration that owns the transaction,
 * what it answers itself (requests outside any dialog; the stack answers
 * OPTIONS statelessly), and the
 * calls it starts. */
#define G_LOG_DOMAIN "sip"

#include "config.h"
#include "sip/ua-private.h"

#include <string.h>

/* ---- transport ---------------------------------------------------------------- */

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

guint16
zc_sip_ua_port_for (ZcSipUa *ua, ZcSipProto proto)
{
  return proto == ZC_SIP_TLS && ua->io.tls_port != 0 ? ua->io.tls_port : ua->io.port;
}

/* A TLS connection we opened failed (refused, handshake, or the peer's
 * certificate is not the one expected): the calls waiting for it end now,
 * with the reason, rather than after timer B. */
static void
transport_failed_cb (const ZcSipFlow *to, const char *reason, gpointer user_data)
{
  ZcSipUa *ua = user_data;
  g_autoptr (GPtrArray) failed = g_ptr_array_new ();

  for (GList *l = ua->sessions; l != NULL; l = l->next) {
    ZcSipSession *s = l->data;

    if (s->outgoing && (s->state == S_CALLING || s->state == S_EARLY) && s->flow.proto == to->proto &&
        g_str_equal (s->flow.address, to->address) &&
        (s->flow.port == to->port || g_ascii_strcasecmp (s->flow.fingerprint, to->fingerprint) == 0))
      g_ptr_array_add (failed, s);
  }
  for (guint i = 0; i < failed->len; i++) {
    ZcSipSession *s = g_ptr_array_index (failed, i);

    g_message ("call %s: %s", s->call_id, reason);
    if (s->invite_tr != NULL)
      zc_sip_stack_abandon (ua->stack, s->invite_tr);
    zc_sip_session_report_ended (s, ZC_SIP_END_TRANSPORT, 503, reason);
    zc_sip_session_maybe_free (s);
  }
  for (GList *l = ua->registrations; l != NULL;) {
    ZcSipRegistration *reg = l->data;

    /* The report may free the registration (and unlink it). */
    l = l->next;
    zc_sip_registration_flow_failed (reg, to, reason);
  }
}

static gboolean
transport_receive_cb (const char *data, gsize len, const ZcSipFlow *from, gpointer user_data)
{
  return zc_sip_ua_receive (user_data, data, len, from);
}

/* ---- stack events: requests ------------------------------------------------------- */

void
zc_sip_ua_respond (ZcSipUa *ua, osip_transaction_t *tr, osip_message_t *request, int status, const char *reason)
{
  osip_message_t *response = zc_sip_stack_build_response (ua->stack, request, status, reason, NULL);

  if (response != NULL)
    zc_sip_stack_respond (ua->stack, tr, response);
}

/* A request within a TLS dialog must come from the dialog's peer: the
 * certificate it presented (a call it made) or had to present (a call we
 * made).  Whoever else learnt the Call-ID and tags (a host with a key of
 * its own, or anyone on plain UDP) cannot end, move or re-offer the call.
 * A dialog without a known certificate (a phone) has nothing to hold the
 * request to. */
gboolean
zc_sip_from_dialog_peer (ZcSipSession *s, const ZcSipFlow *from)
{
  if (s->flow.proto != ZC_SIP_TLS || s->flow.fingerprint[0] == '\0')
    return TRUE;
  if (from->proto == ZC_SIP_TLS && g_ascii_strcasecmp (from->fingerprint, s->flow.fingerprint) == 0)
    return TRUE;
  g_message ("call %s: refusing an in-dialog request from %s %s port %u: not the dialog's peer (certificate %s)",
             s->call_id, zc_sip_proto_to_string (from->proto), from->address, from->port,
             from->fingerprint[0] ? from->fingerprint : "none");
  return FALSE;
}

static void
handle_invite (ZcSipUa *ua, osip_transaction_t *tr, osip_message_t *request, const ZcSipFlow *from)
{
  osip_generic_param_t *to_tag = NULL;
  ZcSipSession *s;

  osip_to_get_tag (request->to, &to_tag);
  if (to_tag != NULL) {
    s = zc_sip_ua_find_session_for_request (ua, request);
    if (s == NULL || s->state == S_TERMINATING) {
      zc_sip_ua_respond (ua, tr, request, 481, "Call/Transaction Does Not Exist");
      return;
    }
    if (!zc_sip_from_dialog_peer (s, from)) {
      zc_sip_ua_respond (ua, tr, request, 403, "Forbidden");
      return;
    }
    zc_sip_session_receive_reinvite (s, tr, request);
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
    zc_sip_ua_respond (ua, tr, request, 482, "Loop Detected");
    return;
  }

  if (!zc_sip_replaces_check (ua, tr, request, from))
    return;
  zc_sip_session_new_incoming (ua, tr, request, from);
  ua->replacing.session = NULL;
  ua->replacing.replaced = NULL;
}

static void
handle_cancel (ZcSipUa *ua, osip_transaction_t *tr, osip_message_t *request, const ZcSipFlow *from)
{
  osip_transaction_t *invite_tr = zc_sip_stack_find_invite_for_cancel (ua->stack, request);
  ZcSipSession *s = invite_tr ? zc_sip_stack_tx_owner (invite_tr) : NULL;

  if (invite_tr == NULL) {
    zc_sip_ua_respond (ua, tr, request, 481, "Call/Transaction Does Not Exist");
    return;
  }
  if (s != NULL && s->kind == OWNER_SESSION && !zc_sip_from_dialog_peer (s, from)) {
    zc_sip_ua_respond (ua, tr, request, 403, "Forbidden");
    return;
  }
  zc_sip_ua_respond (ua, tr, request, 200, "OK");
  if (s != NULL && s->kind == OWNER_SESSION)
    zc_sip_session_receive_cancel (s);
}

static void
handle_bye (ZcSipUa *ua, osip_transaction_t *tr, osip_message_t *request, const ZcSipFlow *from)
{
  ZcSipSession *s = zc_sip_ua_find_session_for_request (ua, request);

  if (s == NULL) {
    zc_sip_ua_respond (ua, tr, request, 481, "Call/Transaction Does Not Exist");
    return;
  }
  if (!zc_sip_from_dialog_peer (s, from)) {
    zc_sip_ua_respond (ua, tr, request, 403, "Forbidden");
    return;
  }
  zc_sip_ua_respond (ua, tr, request, 200, "OK");
  zc_sip_session_receive_bye (s);
}

static void
handle_update (ZcSipUa *ua, osip_transaction_t *tr, osip_message_t *request, const ZcSipFlow *from)
{
  ZcSipSession *s = zc_sip_ua_find_session_for_request (ua, request);

  if (s == NULL || s->state == S_TERMINATING) {
    zc_sip_ua_respond (ua, tr, request, 481, "Call/Transaction Does Not Exist");
    return;
  }
  if (!zc_sip_from_dialog_peer (s, from)) {
    zc_sip_ua_respond (ua, tr, request, 403, "Forbidden");
    return;
  }
  zc_sip_session_receive_update (s, tr, request);
}

static void
stack_request_cb (osip_transaction_t *tr, osip_message_t *request, const ZcSipFlow *from, gpointer user_data)
{
  ZcSipUa *ua = user_data;
  const char *method = request->sip_method;

  if (strcmp (method, "INVITE") == 0)
    handle_invite (ua, tr, request, from);
  else if (strcmp (method, "CANCEL") == 0)
    handle_cancel (ua, tr, request, from);
  else if (strcmp (method, "BYE") == 0)
    handle_bye (ua, tr, request, from);
  else if (strcmp (method, "UPDATE") == 0)
    handle_update (ua, tr, request, from);
  else if (strcmp (method, "REFER") == 0)
    zc_sip_refer_receive (ua, tr, request, from);
  else if (strcmp (method, "NOTIFY") == 0)
    zc_sip_notify_receive (ua, tr, request, from);
  else
    zc_sip_ua_respond (ua, tr, request, 405, "Method Not Allowed");
}

static void
stack_ack_cb (osip_message_t *ack, const ZcSipFlow *from, gpointer user_data)
{
  ZcSipUa *ua = user_data;
  ZcSipSession *s = zc_sip_ua_find_session_for_request (ua, ack);

  if (s != NULL && zc_sip_from_dialog_peer (s, from))
    zc_sip_session_receive_ack (s, ack);
}

/* ---- stack events: responses ----------------------------------------------------- */

/* A ping's answer (@status 0: none) to its own handler, else the UA's. */
static void
report_ping (ZcSipUa *ua, ZcSipPing *ping, int status, double rtt_ms)
{
  ZcSipPingFunc func = ping->func != NULL ? ping->func : ua->ping_func;

  ping->reported = TRUE;
  if (func != NULL)
    func (ping->id, status, rtt_ms, ping->func != NULL ? ping->func_data : ua->ping_data);
}

static void
stack_response_cb (osip_transaction_t *tr, osip_message_t *response, gpointer user_data)
{
  ZcSipUa *ua = user_data;
  gpointer owner = zc_sip_stack_tx_owner (tr);

  if (owner == NULL)
    return;
  if (*(OwnerKind *) owner == OWNER_REGISTRATION) {
    zc_sip_registration_response (owner, response);
    return;
  }
  if (*(OwnerKind *) owner == OWNER_PING) {
    ZcSipPing *ping = owner;

    if (response->status_code >= 200 && !ping->reported)
      report_ping (ua, ping, response->status_code, (double) (g_get_monotonic_time () - ping->sent_us) / 1000.0);
    return;
  }
  zc_sip_session_receive_response (owner, tr, response);
}

static void
stack_stray_2xx_cb (osip_message_t *response, const ZcSipFlow *from G_GNUC_UNUSED, gpointer user_data)
{
  ZcSipUa *ua = user_data;
  ZcSipSession *s = zc_sip_ua_find_session_for_response (ua, response);

  if (s != NULL)
    zc_sip_session_resend_ack (s);
}

static void
stack_client_failed_cb (osip_transaction_t *tr, int status, gpointer user_data)
{
  ZcSipUa *ua = user_data;
  gpointer owner = zc_sip_stack_tx_owner (tr);

  if (owner == NULL)
    return;
  if (*(OwnerKind *) owner == OWNER_REGISTRATION) {
    zc_sip_registration_failed (owner, status);
    return;
  }
  if (*(OwnerKind *) owner == OWNER_PING) {
    ZcSipPing *ping = owner;

    if (!ping->reported)
      report_ping (ua, ping, 0, -1);
    return;
  }
  zc_sip_session_transaction_failed (owner, tr, status);
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
    zc_sip_registration_tx_gone (owner, tr);
    return;
  }
  if (*(OwnerKind *) owner == OWNER_PING) {
    ZcSipPing *ping = owner;
    g_hash_table_remove (ua->pings, GUINT_TO_POINTER (ping->id));
    return;
  }
  zc_sip_session_transaction_gone (owner, tr);
}

/* ---- life cycle ----------------------------------------------------------------------- */

ZcSipUa *
zc_sip_ua_new (ZcSipTransport *transport, const ZcSipIdentity *identity, const ZcSipUaCallbacks *callbacks,
               gpointer user_data)
{
  ZcSipUaIo io = {
    .send = transport_send_cb,
    .local_address_for = transport_local_address_cb,
    .port = zc_sip_transport_get_port (transport),
    .tls_port = zc_sip_transport_get_tls_port (transport),
    .data = transport,
  };
  ZcSipUa *ua = zc_sip_ua_new_with_io (&io, identity, callbacks, user_data);

  ua->transport = transport;
  zc_sip_transport_set_receiver (transport, transport_receive_cb, ua);
  zc_sip_transport_set_failed_handler (transport, transport_failed_cb, ua);
  return ua;
}

ZcSipUa *
zc_sip_ua_new_with_io (const ZcSipUaIo *io, const ZcSipIdentity *identity, const ZcSipUaCallbacks *callbacks,
                       gpointer user_data)
{
  static const ZcSipStackCallbacks stack_callbacks = {
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
  zc_sip_ua_set_callbacks (ua, callbacks, user_data);
  ua->pings = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  ua->stack = zc_sip_stack_new (ua_send_cb, ua, &stack_callbacks, ua);
  return ua;
}

void
zc_sip_ua_set_callbacks (ZcSipUa *ua, const ZcSipUaCallbacks *callbacks, gpointer user_data)
{
  ua->callbacks = callbacks != NULL ? *callbacks : (ZcSipUaCallbacks){ 0 };
  ua->user_data = user_data;
}

void
zc_sip_ua_set_display_name (ZcSipUa *ua, const char *display_name)
{
  g_free (ua->display_name);
  ua->display_name = g_strdup (display_name);
}

void
zc_sip_ua_free (ZcSipUa *ua)
{
  if (ua == NULL)
    return;
  if (ua->transport != NULL)
    zc_sip_transport_set_receiver (ua->transport, NULL, NULL);
  if (ua->transport != NULL)
    zc_sip_transport_set_failed_handler (ua->transport, NULL, NULL);
  ua->callbacks = (ZcSipUaCallbacks){ 0 };
  ua->ping_func = NULL;
  /* Transactions first: their tx_gone callbacks touch sessions and pings. */
  g_clear_pointer (&ua->stack, zc_sip_stack_free);
  g_list_free_full (ua->sessions, (GDestroyNotify) zc_sip_session_free);
  g_hash_table_unref (ua->pings);
  g_free (ua->user);
  g_free (ua->display_name);
  zc_sip_ua_set_account (ua, NULL, NULL, NULL);
  g_free (ua);
}

gboolean
zc_sip_ua_receive (ZcSipUa *ua, const char *data, gsize len, const ZcSipFlow *from)
{
  return zc_sip_stack_receive (ua->stack, data, len, from);
}

void
zc_sip_ua_set_rate_limit (ZcSipUa *ua, guint requests_per_second)
{
  zc_sip_stack_set_rate_limit (ua->stack, requests_per_second);
}

/* ---- calls ------------------------------------------------------------------- */

ZcSipSession *
zc_sip_ua_invite (ZcSipUa *ua, const char *uri, const ZcSipFlow *to, const char *sdp, GError **error)
{
  return zc_sip_session_new_outgoing (ua, uri, to, sdp, FALSE, NULL, error);
}

ZcSipSession *
zc_sip_ua_invite_full (ZcSipUa *ua, const char *uri, const ZcSipFlow *to, const char *sdp, gboolean as_account,
                       const ZcSipInviteHeaders *headers, GError **error)
{
  return zc_sip_session_new_outgoing (ua, uri, to, sdp, as_account && ua->account_domain != NULL, headers, error);
}

ZcSipSession *
zc_sip_ua_invite_as_account (ZcSipUa *ua, const char *uri, const ZcSipFlow *to, const char *sdp, GError **error)
{
  return zc_sip_session_new_outgoing (ua, uri, to, sdp, ua->account_domain != NULL, NULL, error);
}

void
zc_sip_ua_set_account (ZcSipUa *ua, const char *domain, const char *auth_username, const char *password)
{
  g_free (ua->account_domain);
  g_free (ua->account_auth_user);
  if (ua->account_password != NULL)
    memset (ua->account_password, 0, strlen (ua->account_password));
  g_free (ua->account_password);
  g_clear_pointer (&ua->account_realm, g_free);
  ua->account_domain = g_strdup (domain);
  ua->account_auth_user = g_strdup (auth_username);
  ua->account_password = g_strdup (password);
}

ZcSipSession *
zc_sip_ua_find_session_for_request (ZcSipUa *ua, osip_message_t *request)
{
  for (GList *l = ua->sessions; l != NULL; l = l->next) {
    ZcSipSession *s = l->data;

    if (s->dialog != NULL && osip_dialog_match_as_uas (s->dialog, request) == 0)
      return s;
  }
  return NULL;
}

ZcSipSession *
zc_sip_ua_find_session_for_response (ZcSipUa *ua, osip_message_t *response)
{
  for (GList *l = ua->sessions; l != NULL; l = l->next) {
    ZcSipSession *s = l->data;

    if (s->outgoing && s->dialog != NULL && osip_dialog_match_as_uac (s->dialog, response) == 0)
      return s;
  }
  return NULL;
}
