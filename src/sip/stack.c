/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sip"

#include "config.h"
#include "sip/stack.h"

#include "sip/inbound-check.h"
#include "sip/rate-limit.h"
#include "sip/raw.h"

#include <osipparser2/osip_parser.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <sys/random.h>

/* Our data on each osip transaction (reserved1). */
typedef struct {
  ZcSipFlow flow;      /* where the request came from / goes to */
  gpointer owner;
  gsize bytes;         /* server transactions: the request's size */
} ZcTxData;

struct _ZcSipStack {
  osip_t *osip;
  ZcSipSendFunc send;
  gpointer send_data;
  ZcSipStackCallbacks callbacks;
  gpointer user_data;
  char *user_agent;
  guint timer_id;
  GPtrArray *dead;            /* killed transactions, freed after the run */
  gboolean running;
  ZcSipRateLimit *rate_limit;
  guint freed_since_trim;
  guint trim_id;
};

static void schedule (ZcSipStack *stack);

/* ---- tokens ------------------------------------------------------------------ */

char *
zc_sip_random_token (void)
{
  guint8 bytes[10];

  /* Tags and branches guard dialogs against blind spoofing (RFC 3261
   * 19.3): they come from the kernel's CSPRNG, not g_random. */
  if (getrandom (bytes, sizeof bytes, 0) != sizeof bytes) {
    for (gsize i = 0; i < sizeof bytes; i++)
      bytes[i] = (guint8) g_random_int ();
  }
  return g_strdup_printf ("%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x", bytes[0], bytes[1], bytes[2], bytes[3],
                          bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9]);
}

char *
zc_sip_new_branch (void)
{
  g_autofree char *token = zc_sip_random_token ();
  /* RFC 3261 8.1.1.7 magic cookie. */
  return g_strconcat ("z9hG4bK", token, NULL);
}

/* ---- transaction data ---------------------------------------------------------- */

static ZcTxData *
tx_data (osip_transaction_t *tr)
{
  return osip_transaction_get_reserved1 (tr);
}

gpointer
zc_sip_stack_tx_owner (osip_transaction_t *tr)
{
  ZcTxData *d = tx_data (tr);
  return d ? d->owner : NULL;
}

void
zc_sip_stack_tx_set_owner (osip_transaction_t *tr, gpointer owner)
{
  ZcTxData *d = tx_data (tr);
  if (d != NULL)
    d->owner = owner;
}


static ZcSipStack *
stack_of (osip_transaction_t *tr)
{
  return osip_get_application_context ((osip_t *) tr->config);
}

/* ---- sending -------------------------------------------------------------------- */

/* RFC 3261 18.2.2 with RFC 3581: a response over TCP or TLS goes back on
 * the request's connection while it is open; once it closed, on a new
 * connection to the source address (what "received" says) at the
 * sent-by port, or the transport's default port: the source port of a
 * closed connection is an ephemeral one nobody listens on.  The flow
 * names both: the transport uses the connection when it still exists,
 * else the address and port.  Over UDP to the source address at the
 * rport, else the sent-by port.  maddr is ignored: honouring it would let
 * anyone make us send to a third party. */
static void
response_destination (osip_message_t *response, const ZcSipFlow *request_flow, ZcSipFlow *to)
{
  osip_via_t *via = osip_list_get (&response->vias, 0);
  osip_generic_param_t *rport = NULL;

  *to = *request_flow;
  if (via == NULL)
    return;
  if (!ZC_SIP_PROTO_IS_STREAM (request_flow->proto)) {
    osip_via_param_get_byname (via, "rport", &rport);
    if (rport != NULL && rport->gvalue != NULL && *rport->gvalue != '\0')
      return; /* source port */
  }
  to->port = request_flow->proto == ZC_SIP_TLS ? 5061 : 5060;
  if (via->port != NULL) {
    guint64 port;
    if (g_ascii_string_to_unsigned (via->port, 10, 1, 65535, &port, NULL))
      to->port = (guint16) port;
  }
}

/* Whole messages go to the debug log (--verbose), their credentials
 * never: Authorization values are replaced before printing. */
static void
log_message (const char *what, const ZcSipFlow *flow, const char *data, gsize len)
{
  g_autofree char *text = NULL;

  if (g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN))
    return;
  text = zc_sip_raw_redact (data, MIN (len, 2000));
  g_debug ("%s %s %s:%u (%zu bytes)\n%s", what, zc_sip_proto_to_string (flow->proto), flow->address, flow->port,
           len, text);
}

static gboolean
send_text (ZcSipStack *stack, const ZcSipFlow *to, const char *text, gsize len)
{
  log_message ("send to", to, text, len);
  return stack->send (to, text, len, stack->send_data);
}

static gboolean
send_message (ZcSipStack *stack, osip_message_t *message, const ZcSipFlow *to)
{
  char *text = NULL;
  size_t len = 0;
  gboolean ok;

  if (osip_message_to_str (message, &text, &len) != 0 || text == NULL)
    return FALSE;
  ok = send_text (stack, to, text, len);
  osip_free (text);
  return ok;
}

gboolean
zc_sip_stack_send_message (ZcSipStack *stack, osip_message_t *message, const ZcSipFlow *to)
{
  ZcSipFlow dest;

  if (MSG_IS_RESPONSE (message))
    response_destination (message, to, &dest);
  else
    dest = *to;
  return send_message (stack, message, &dest);
}

static int
osip_send_cb (osip_transaction_t *tr, osip_message_t *message, char *host G_GNUC_UNUSED, int port G_GNUC_UNUSED,
              int socket G_GNUC_UNUSED)
{
  ZcSipStack *stack = stack_of (tr);
  ZcTxData *d = tx_data (tr);

  if (d == NULL)
    return -1;
  /* libosip2 builds the ACK of a non-2xx itself (RFC 3261 17.1.1.3) and
   * leaves out Max-Forwards, which 8.1.1 requires of every request:
   * linphonec answers such an ACK 400 "Missing Max-Forwards". */
  if (MSG_IS_ACK (message))
    {
      osip_header_t *max_forwards = NULL;

      if (osip_message_get_max_forwards (message, 0, &max_forwards) < 0)
        osip_message_set_max_forwards (message, "70");
    }
  return zc_sip_stack_send_message (stack, message, &d->flow) ? 0 : -1;
}

/* ---- osip callbacks ------------------------------------------------------------- */

static void
osip_message_cb (int type, osip_transaction_t *tr, osip_message_t *message)
{
  ZcSipStack *stack = stack_of (tr);

  switch (type) {
  case OSIP_IST_INVITE_RECEIVED:
  case OSIP_NIST_REGISTER_RECEIVED:
  case OSIP_NIST_BYE_RECEIVED:
  case OSIP_NIST_OPTIONS_RECEIVED:
  case OSIP_NIST_INFO_RECEIVED:
  case OSIP_NIST_CANCEL_RECEIVED:
  case OSIP_NIST_NOTIFY_RECEIVED:
  case OSIP_NIST_SUBSCRIBE_RECEIVED:
  case OSIP_NIST_UNKNOWN_REQUEST_RECEIVED:
    if (stack->callbacks.request != NULL)
      stack->callbacks.request (tr, message, &tx_data (tr)->flow, stack->user_data);
    break;
  case OSIP_ICT_STATUS_1XX_RECEIVED:
  case OSIP_ICT_STATUS_2XX_RECEIVED:
  case OSIP_ICT_STATUS_3XX_RECEIVED:
  case OSIP_ICT_STATUS_4XX_RECEIVED:
  case OSIP_ICT_STATUS_5XX_RECEIVED:
  case OSIP_ICT_STATUS_6XX_RECEIVED:
  case OSIP_NICT_STATUS_1XX_RECEIVED:
  case OSIP_NICT_STATUS_2XX_RECEIVED:
  case OSIP_NICT_STATUS_3XX_RECEIVED:
  case OSIP_NICT_STATUS_4XX_RECEIVED:
  case OSIP_NICT_STATUS_5XX_RECEIVED:
  case OSIP_NICT_STATUS_6XX_RECEIVED:
    if (stack->callbacks.response != NULL)
      stack->callbacks.response (tr, message, stack->user_data);
    break;
  case OSIP_ICT_STATUS_TIMEOUT:
  case OSIP_NICT_STATUS_TIMEOUT:
    if (stack->callbacks.client_failed != NULL)
      stack->callbacks.client_failed (tr, 408, stack->user_data);
    break;
  default:
    break;
  }
}

static void
osip_transport_error_cb (int type G_GNUC_UNUSED, osip_transaction_t *tr, int error G_GNUC_UNUSED)
{
  ZcSipStack *stack = stack_of (tr);

  if ((tr->ctx_type == ICT || tr->ctx_type == NICT) && stack->callbacks.client_failed != NULL)
    stack->callbacks.client_failed (tr, 503, stack->user_data);
}

/* osip removes nothing by itself: the application takes the transaction
 * out of the lists and frees it once the state machines are done with it. */
static void
osip_kill_cb (int type G_GNUC_UNUSED, osip_transaction_t *tr)
{
  ZcSipStack *stack = stack_of (tr);

  if (stack->callbacks.tx_gone != NULL)
    stack->callbacks.tx_gone (tr, stack->user_data);
  osip_remove_transaction (stack->osip, tr);
  g_ptr_array_add (stack->dead, tr);
}

/* After a burst of calls, thousands of transactions end together; glibc
 * keeps the freed heap unless asked, and a desk agent should shrink back
 * after a flood rather than keep its high-water mark. */
#define TRIM_AFTER_TRANSACTIONS 256

static gboolean
trim_cb (gpointer user_data)
{
  ZcSipStack *stack = user_data;

  stack->trim_id = 0;
  stack->freed_since_trim = 0;
#ifdef __GLIBC__
  malloc_trim (0);
#endif
  return G_SOURCE_REMOVE;
}

static void
free_dead_transactions (ZcSipStack *stack)
{
  stack->freed_since_trim += stack->dead->len;
  if (stack->freed_since_trim >= TRIM_AFTER_TRANSACTIONS && stack->trim_id == 0)
    stack->trim_id = g_timeout_add_seconds (2, trim_cb, stack);
  for (guint i = 0; i < stack->dead->len; i++) {
    osip_transaction_t *tr = g_ptr_array_index (stack->dead, i);

    g_free (tx_data (tr));
    osip_transaction_set_reserved1 (tr, NULL);
    osip_transaction_free (tr);
  }
  g_ptr_array_set_size (stack->dead, 0);
}

/* ---- the loop ------------------------------------------------------------------ */

static void
execute_all (osip_t *osip)
{
  osip_ict_execute (osip);
  osip_ist_execute (osip);
  osip_nict_execute (osip);
  osip_nist_execute (osip);
}

void
zc_sip_stack_run (ZcSipStack *stack)
{
  if (stack->running)
    return; /* osip forbids re-entering its state machines from callbacks */
  stack->running = TRUE;
  execute_all (stack->osip);
  osip_timers_ict_execute (stack->osip);
  osip_timers_ist_execute (stack->osip);
  osip_timers_nict_execute (stack->osip);
  osip_timers_nist_execute (stack->osip);
  osip_retransmissions_execute (stack->osip);
  execute_all (stack->osip);
  stack->running = FALSE;
  free_dead_transactions (stack);
  schedule (stack);
}

static gboolean
timer_cb (gpointer user_data)
{
  ZcSipStack *stack = user_data;

  stack->timer_id = 0;
  zc_sip_stack_run (stack);
  return G_SOURCE_REMOVE;
}

static gboolean
has_transactions (osip_t *osip)
{
  return osip_list_size (&osip->osip_ict_transactions) > 0 || osip_list_size (&osip->osip_nict_transactions) > 0
         || osip_list_size (&osip->osip_ist_transactions) > 0 || osip_list_size (&osip->osip_nist_transactions) > 0
         || osip_list_size (&osip->ixt_retransmissions) > 0;
}

/* The next timer of any transaction (A..K), so the loop sleeps exactly
 * until then.  2xx/ACK retransmissions outside the state machines are not
 * in osip's answer: while there are any, wake at T1/5.  No transaction, no
 * timer: an idle agent sleeps, and every new one runs the stack, which
 * schedules again. */
static void
schedule (ZcSipStack *stack)
{
  struct timeval tv = { 0, 0 };
  guint64 ms;

  g_clear_handle_id (&stack->timer_id, g_source_remove);
  if (!has_transactions (stack->osip))
    return;
  osip_timers_gettimeout (stack->osip, &tv);
  ms = (guint64) tv.tv_sec * 1000 + (guint64) tv.tv_usec / 1000;
  if (osip_list_size (&stack->osip->ixt_retransmissions) > 0)
    ms = MIN (ms, 100);
  ms = MIN (ms, 10000);
  stack->timer_id = g_timeout_add ((guint) ms, timer_cb, stack);
}

/* ---- inbound --------------------------------------------------------------------- */

osip_message_t *
zc_sip_stack_build_response (ZcSipStack *stack, osip_message_t *request, int status, const char *reason,
                             const char *local_tag)
{
  osip_message_t *response = NULL;
  osip_generic_param_t *tag = NULL;

  if (osip_message_init (&response) != 0)
    return NULL;
  osip_message_set_version (response, osip_strdup ("SIP/2.0"));
  osip_message_set_status_code (response, status);
  osip_message_set_reason_phrase (response, osip_strdup (reason ? reason : osip_message_get_reason (status)));
  {
    osip_list_iterator_t it;

    /* Iterators: osip_list_get (list, i) walks from the head each time. */
    for (osip_via_t *via = osip_list_get_first (&request->vias, &it); via != NULL; via = osip_list_get_next (&it)) {
      osip_via_t *copy = NULL;

      if (osip_via_clone (via, &copy) == 0)
        osip_list_add (&response->vias, copy, -1);
    }
  }
  if (request->from != NULL)
    osip_from_clone (request->from, &response->from);
  if (request->to != NULL) {
    osip_to_clone (request->to, &response->to);
    osip_to_get_tag (response->to, &tag);
    /* RFC 3261 8.2.6.2: a response other than 100 carries our To-tag. */
    if (tag == NULL && status != 100) {
      if (local_tag != NULL)
        osip_to_set_tag (response->to, osip_strdup (local_tag));
      else {
        g_autofree char *fresh = zc_sip_random_token ();
        osip_to_set_tag (response->to, osip_strdup (fresh));
      }
    }
  }
  if (request->call_id != NULL)
    osip_call_id_clone (request->call_id, &response->call_id);
  if (request->cseq != NULL)
    osip_cseq_clone (request->cseq, &response->cseq);
  if (stack->user_agent != NULL)
    osip_message_set_server (response, stack->user_agent);
  if (status == 405 || status == 501)
    osip_message_set_allow (response, ZC_SIP_ALLOW);
  return response;
}

void
zc_sip_stack_respond (ZcSipStack *stack, osip_transaction_t *tr, osip_message_t *response)
{
  osip_transaction_add_event (tr, osip_new_outgoing_sipmessage (response));
  zc_sip_stack_run (stack);
}

static void
respond_stateless (ZcSipStack *stack, osip_message_t *request, const ZcSipFlow *from, int status, const char *reason,
                   const char *header, const char *value)
{
  osip_message_t *response = zc_sip_stack_build_response (stack, request, status, reason, NULL);

  if (response == NULL)
    return;
  if (header != NULL)
    osip_message_set_header (response, header, value);
  zc_sip_stack_send_message (stack, response, from);
  osip_message_free (response);
}

static void
respond_options (ZcSipStack *stack, osip_message_t *request, const ZcSipFlow *from)
{
  osip_message_t *response = zc_sip_stack_build_response (stack, request, 200, "OK", NULL);

  if (response == NULL)
    return;
  /* RFC 3261 11.2: what we can do. */
  osip_message_set_allow (response, ZC_SIP_ALLOW);
  osip_message_set_accept (response, ZC_SIP_ACCEPT);
  osip_message_set_supported (response, ZC_SIP_SUPPORTED);
  osip_message_set_header (response, "Accept-Language", "en");
  zc_sip_stack_send_message (stack, response, from);
  osip_message_free (response);
}

/* Server transactions hold their request for up to 32 s: bounded in
 * number and in bytes, in all and per source, so that one host cannot
 * take them all nor make them hold its largest messages. */
static gboolean
too_many_transactions (ZcSipStack *stack, const ZcSipFlow *from, gsize bytes)
{
  osip_list_t *lists[] = { &stack->osip->osip_ist_transactions, &stack->osip->osip_nist_transactions };
  guint total = 0, mine = 0;
  gsize total_bytes = bytes, my_bytes = bytes;

  for (gsize l = 0; l < G_N_ELEMENTS (lists); l++) {
    osip_list_iterator_t it;
    osip_transaction_t *tr = osip_list_get_first (lists[l], &it);

    total += (guint) osip_list_size (lists[l]);
    for (; tr != NULL; tr = osip_list_get_next (&it)) {
      ZcTxData *d = tx_data (tr);

      if (d == NULL)
        continue;
      total_bytes += d->bytes;
      if (g_str_equal (d->flow.address, from->address)) {
        mine++;
        my_bytes += d->bytes;
      }
    }
  }
  if (total >= ZC_SIP_MAX_SERVER_TRANSACTIONS || mine >= ZC_SIP_MAX_SERVER_TRANSACTIONS_PER_SOURCE ||
      total_bytes > ZC_SIP_MAX_SERVER_TRANSACTION_BYTES || my_bytes > ZC_SIP_MAX_SERVER_TRANSACTION_BYTES_PER_SOURCE) {
    g_debug ("503 to %s: %u server transactions (%zu bytes), %u of them (%zu bytes) its own", from->address, total,
             total_bytes, mine, my_bytes);
    return TRUE;
  }
  return FALSE;
}

static void
receive_response (ZcSipStack *stack, osip_event_t *evt, const char *data, gsize len, const ZcSipFlow *from)
{
  osip_message_t *sip = evt->sip;

  if (!zc_sip_check_response (sip, data, len)) {
    g_debug ("dropping a malformed response from %s", from->address);
    osip_event_free (evt);
    return;
  }
  if (osip_find_transaction_and_add_event (stack->osip, evt) == 0)
    return;
  if (MSG_IS_STATUS_2XX (sip) && sip->cseq->method != NULL && strcmp (sip->cseq->method, "INVITE") == 0 &&
      stack->callbacks.stray_2xx != NULL)
    stack->callbacks.stray_2xx (sip, from, stack->user_data);
  osip_event_free (evt);
}

/* An ACK from an RFC 2543 peer (no z9hG4bK branch) for our error
 * response: matched by Call-ID, CSeq number and From tag (RFC 3261
 * 17.2.3, last paragraph), where libosip2's own matching misses it. */
static gboolean
absorb_rfc2543_ack (ZcSipStack *stack, osip_event_t *evt)
{
  osip_message_t *ack = evt->sip;
  osip_generic_param_t *ack_tag = NULL;

  osip_list_iterator_t it;

  osip_from_get_tag (ack->from, &ack_tag);
  for (osip_transaction_t *tr = osip_list_get_first (&stack->osip->osip_ist_transactions, &it); tr != NULL;
       tr = osip_list_get_next (&it)) {
    osip_generic_param_t *tag = NULL;

    if (tr->state != IST_COMPLETED || tr->callid == NULL || tr->cseq == NULL || tr->from == NULL ||
        osip_call_id_match (tr->callid, ack->call_id) != 0 ||
        g_ascii_strtoull (tr->cseq->number, NULL, 10) != g_ascii_strtoull (ack->cseq->number, NULL, 10))
      continue;
    osip_from_get_tag (tr->from, &tag);
    if ((tag == NULL) != (ack_tag == NULL) ||
        (tag != NULL && g_strcmp0 (tag->gvalue, ack_tag->gvalue) != 0))
      continue;
    osip_transaction_add_event (tr, evt);
    return TRUE;
  }
  return FALSE;
}

static void
receive_request (ZcSipStack *stack, osip_event_t *evt, gsize bytes, const ZcSipFlow *from)
{
  osip_message_t *sip = evt->sip;
  const char *reason, *header;
  g_autofree char *value = NULL;
  int status;
  osip_transaction_t *tr;

  if (osip_list_size (&sip->vias) == 0) {
    osip_event_free (evt); /* nowhere to answer */
    return;
  }
  /* received= and rport (RFC 3261 18.2.1, RFC 3581 4). */
  {
    /* No zone in received=: SIP has no syntax for it (the reply goes
     * back on @from, zone and all). */
    g_autofree char *source = g_strndup (from->address, strcspn (from->address, "%"));

    osip_message_fix_last_via_header (sip, source, from->port);
  }

  status = zc_sip_check_request (sip, &reason, &header, &value);
  if (status != 0) {
    if (status > 0 && !MSG_IS_ACK (sip))
      respond_stateless (stack, sip, from, status, reason, header, value);
    osip_event_free (evt);
    return;
  }
  if (osip_find_transaction_and_add_event (stack->osip, evt) == 0)
    return; /* a retransmission, or the ACK of a non-2xx */
  if (MSG_IS_ACK (sip) && absorb_rfc2543_ack (stack, evt))
    return;
  if (MSG_IS_ACK (sip)) {
    if (stack->callbacks.ack != NULL)
      stack->callbacks.ack (sip, from, stack->user_data);
    osip_event_free (evt);
    return;
  }
  /* RFC 3261 11.2 lets OPTIONS be answered statelessly: a ping, or a
   * flood of them, keeps nothing for the 32 s of a transaction. */
  if (MSG_IS_OPTIONS (sip)) {
    respond_options (stack, sip, from);
    osip_event_free (evt);
    return;
  }
  if (too_many_transactions (stack, from, bytes)) {
    respond_stateless (stack, sip, from, 503, "Service Unavailable", "Retry-After", "5");
    osip_event_free (evt);
    return;
  }
  tr = osip_create_transaction (stack->osip, evt);
  if (tr == NULL) {
    respond_stateless (stack, sip, from, 400, "Bad Request", NULL, NULL);
    osip_event_free (evt);
    return;
  }
  {
    ZcTxData *d = g_new0 (ZcTxData, 1);
    d->flow = *from;
    d->bytes = bytes;
    osip_transaction_set_reserved1 (tr, d);
  }
  osip_transaction_add_event (tr, evt);
}

/* A 400/416/501/505 from the request's raw headers, for what libosip2
 * cannot (or must not) take. */
static void
respond_raw (ZcSipStack *stack, const char *data, gsize len, const ZcSipRawInfo *raw, const ZcSipFlow *from)
{
  g_autofree char *response = NULL;
  gsize response_len;
  ZcSipFlow to = *from;

  if (!raw->is_request || raw->is_ack)
    return;
  response = zc_sip_raw_error_response (data, len, raw, stack->user_agent, &response_len);
  if (response == NULL)
    return;
  if (from->proto == ZC_SIP_UDP && raw->response_port != 0)
    to.port = raw->response_port;
  send_text (stack, &to, response, response_len);
}

gboolean
zc_sip_stack_receive (ZcSipStack *stack, const char *data, gsize len, const ZcSipFlow *from)
{
  ZcSipRawInfo raw;
  osip_event_t *evt;

  /* Framing and the caps first: RFC 3261 18.3 on datagrams, with RFC
   * 4475's traps, in one linear pass over the bytes. */
  zc_sip_raw_inspect (data, len, &raw);
  if (raw.verdict == ZC_SIP_RAW_GARBAGE) {
    g_debug ("dropping %zu unparsable bytes from %s", len, from->address);
    return from->proto == ZC_SIP_UDP;
  }
  /* The rate limit before the parse, so that a flood costs a bucket
   * lookup per message, not a parse.  ACKs and responses count too (a
   * flood of them costs the same parse) but are never answered. */
  {
    ZcSipRateVerdict verdict = zc_sip_rate_limit_check (stack->rate_limit, from->address, g_get_monotonic_time ());

    if (verdict != ZC_SIP_RATE_PASS) {
      if (verdict == ZC_SIP_RATE_REJECT && raw.is_request && !raw.is_ack && raw.verdict == ZC_SIP_RAW_OK) {
        raw.verdict = ZC_SIP_RAW_BUSY;
        respond_raw (stack, data, len, &raw, from);
      }
      return from->proto == ZC_SIP_UDP || raw.verdict != ZC_SIP_RAW_BAD_FRAMING;
    }
  }
  if (raw.verdict != ZC_SIP_RAW_OK) {
    respond_raw (stack, data, len, &raw, from);
    return from->proto == ZC_SIP_UDP && raw.verdict != ZC_SIP_RAW_BAD_FRAMING;
  }

  evt = osip_parse (data, raw.message_len);
  if (evt == NULL || evt->sip == NULL) {
    if (evt != NULL)
      osip_event_free (evt);
    /* osip could not make sense of it: answer 400 from the raw headers
     * when it is a request we can address. */
    raw.verdict = ZC_SIP_RAW_BAD_REQUEST;
    respond_raw (stack, data, len, &raw, from);
    return TRUE;
  }
  log_message ("received from", from, data, raw.message_len);
  if (MSG_IS_REQUEST (evt->sip))
    receive_request (stack, evt, raw.message_len, from);
  else
    receive_response (stack, evt, data, raw.message_len, from);
  zc_sip_stack_run (stack);
  return TRUE;
}

/* ---- client transactions ----------------------------------------------------------- */

osip_transaction_t *
zc_sip_stack_send_request (ZcSipStack *stack, osip_message_t *request, const ZcSipFlow *to, gpointer owner)
{
  osip_transaction_t *tr = NULL;
  osip_fsm_type_t type = MSG_IS_INVITE (request) ? ICT : NICT;
  ZcTxData *d;

  if (osip_transaction_init (&tr, type, stack->osip, request) != 0) {
    osip_message_free (request);
    return NULL;
  }
  d = g_new0 (ZcTxData, 1);
  d->flow = *to;
  d->owner = owner;
  osip_transaction_set_reserved1 (tr, d);
  osip_transaction_add_event (tr, osip_new_outgoing_sipmessage (request));
  zc_sip_stack_run (stack);
  return tr;
}

void
zc_sip_stack_abandon (ZcSipStack *stack, osip_transaction_t *tr)
{
  zc_sip_stack_tx_set_owner (tr, NULL);
  if (stack->callbacks.tx_gone != NULL)
    stack->callbacks.tx_gone (tr, stack->user_data);
  osip_remove_transaction (stack->osip, tr);
  g_ptr_array_add (stack->dead, tr);
  /* Inside a run the state machines may still hold it: freed at its end. */
  if (!stack->running)
    free_dead_transactions (stack);
}

osip_transaction_t *
zc_sip_stack_find_invite_for_cancel (ZcSipStack *stack, osip_message_t *cancel)
{
  osip_via_t *cancel_via = osip_list_get (&cancel->vias, 0);
  osip_generic_param_t *cancel_branch = NULL;

  if (cancel_via == NULL)
    return NULL;
  osip_list_iterator_t it;

  osip_via_param_get_byname (cancel_via, "branch", &cancel_branch);
  for (osip_transaction_t *tr = osip_list_get_first (&stack->osip->osip_ist_transactions, &it); tr != NULL;
       tr = osip_list_get_next (&it)) {
    osip_generic_param_t *branch = NULL;

    if (tr->topvia == NULL || tr->callid == NULL || cancel->call_id == NULL)
      continue;
    if (osip_call_id_match (tr->callid, cancel->call_id) != 0)
      continue;
    osip_via_param_get_byname (tr->topvia, "branch", &branch);
    if (cancel_branch != NULL && branch != NULL && cancel_branch->gvalue != NULL && branch->gvalue != NULL &&
        strcmp (cancel_branch->gvalue, branch->gvalue) == 0)
      return tr;
  }
  return NULL;
}


/* ---- life cycle --------------------------------------------------------------------- */

/* libosip2 prints its complaints about every malformed message to stdout
 * unless told otherwise: they become debug messages of ours. */
static void
osip_trace_cb (const char *file, int line, osip_trace_level_t level G_GNUC_UNUSED, const char *format, va_list args)
{
  g_autofree char *text = NULL;

  if (g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN))
    return;
  text = g_strdup_vprintf (format, args);
  g_debug ("osip %s:%d: %s", file, line, g_strchomp (text));
}

ZcSipStack *
zc_sip_stack_new (ZcSipSendFunc send, gpointer send_data, const ZcSipStackCallbacks *callbacks, gpointer user_data)
{
  ZcSipStack *stack = g_new0 (ZcSipStack, 1);

  osip_trace_initialize_func (OSIP_WARNING, osip_trace_cb);
  if (osip_init (&stack->osip) != 0) {
    g_free (stack);
    return NULL;
  }
  osip_set_application_context (stack->osip, stack);
  osip_set_cb_send_message (stack->osip, osip_send_cb);
  for (int type = 0; type < OSIP_MESSAGE_CALLBACK_COUNT; type++)
    osip_set_message_callback (stack->osip, type, osip_message_cb);
  for (int type = 0; type < OSIP_KILL_CALLBACK_COUNT; type++)
    osip_set_kill_transaction_callback (stack->osip, type, osip_kill_cb);
  for (int type = 0; type < OSIP_TRANSPORT_ERROR_CALLBACK_COUNT; type++)
    osip_set_transport_error_callback (stack->osip, type, osip_transport_error_cb);
  stack->send = send;
  stack->send_data = send_data;
  stack->callbacks = *callbacks;
  stack->user_data = user_data;
  stack->dead = g_ptr_array_new ();
  stack->rate_limit = zc_sip_rate_limit_new (ZC_SIP_DEFAULT_RATE_LIMIT);
  stack->user_agent = g_strdup ("zcall/" PACKAGE_VERSION);
  return stack;
}

static void
free_transaction_list (ZcSipStack *stack, osip_list_t *list)
{
  while (osip_list_size (list) > 0) {
    osip_transaction_t *tr = osip_list_get (list, 0);

    osip_remove_transaction (stack->osip, tr);
    g_free (tx_data (tr));
    osip_transaction_set_reserved1 (tr, NULL);
    osip_transaction_free (tr);
  }
}

void
zc_sip_stack_free (ZcSipStack *stack)
{
  if (stack == NULL)
    return;
  g_clear_handle_id (&stack->timer_id, g_source_remove);
  g_clear_handle_id (&stack->trim_id, g_source_remove);
  stack->callbacks = (ZcSipStackCallbacks){ 0 };
  free_dead_transactions (stack);
  free_transaction_list (stack, &stack->osip->osip_ict_transactions);
  free_transaction_list (stack, &stack->osip->osip_ist_transactions);
  free_transaction_list (stack, &stack->osip->osip_nict_transactions);
  free_transaction_list (stack, &stack->osip->osip_nist_transactions);
  osip_release (stack->osip);
  g_ptr_array_unref (stack->dead);
  zc_sip_rate_limit_free (stack->rate_limit);
  g_free (stack->user_agent);
  g_free (stack);
}

void
zc_sip_stack_set_rate_limit (ZcSipStack *stack, guint requests_per_second)
{
  zc_sip_rate_limit_set_rate (stack->rate_limit, requests_per_second);
}

void
zc_sip_stack_set_user_agent (ZcSipStack *stack, const char *user_agent)
{
  g_free (stack->user_agent);
  stack->user_agent = g_strdup (user_agent);
}
