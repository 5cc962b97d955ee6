/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The SIP transaction layer: libosip2's four state machines (RFC 3261 17)
 * driven from the GMainLoop.  Inbound messages pass the checks of
 * inbound-check.h and the per-source rate limit of rate-limit.h first.
 * The inbound path, zc_sip_stack_receive(), takes bytes and needs no
 * socket, so tests and the fuzzer drive it directly.  Private to sip/:
 * nothing above the SIP layer sees osip. */
#pragma once

#include "sip/transport.h"

#include <glib.h>
#include <osip2/osip.h>

typedef struct _ZcSipStack ZcSipStack;

typedef struct {
  /* A new request in a fresh server transaction; answer it with
   * zc_sip_stack_respond().  @tr stays valid until tx_gone. */
  void (*request) (osip_transaction_t *tr, osip_message_t *request, const ZcSipFlow *from, gpointer user_data);
  /* An ACK that matched no transaction: the ACK of a 2xx (RFC 3261 13.3.1.4). */
  void (*ack) (osip_message_t *ack, const ZcSipFlow *from, gpointer user_data);
  /* A response in a client transaction we started. */
  void (*response) (osip_transaction_t *tr, osip_message_t *response, gpointer user_data);
  /* A 2xx to an INVITE after its transaction ended: a retransmission
   * that wants our ACK again (RFC 3261 13.2.2.4). */
  void (*stray_2xx) (osip_message_t *response, const ZcSipFlow *from, gpointer user_data);
  /* A client transaction got no final response (timer B or F) or could
   * not be sent. */
  void (*client_failed) (osip_transaction_t *tr, int status, gpointer user_data);
  /* The transaction is about to be freed: forget pointers to it. */
  void (*tx_gone) (osip_transaction_t *tr, gpointer user_data);
} ZcSipStackCallbacks;

#define ZC_SIP_ALLOW "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, REFER, NOTIFY"
#define ZC_SIP_SUPPORTED "replaces"
#define ZC_SIP_ACCEPT "application/sdp"

/* Server transactions kept at once, and the bytes of their requests, in
 * all and per source address; beyond them a new request gets 503
 * (zcalld(8), LIMITS).  A call's BYE lives 32 s (timer J): 512 is a
 * source making 16 calls a second, while the bytes stop one whose
 * requests are all of the largest kind long before. */
#define ZC_SIP_MAX_SERVER_TRANSACTIONS 2048
#define ZC_SIP_MAX_SERVER_TRANSACTIONS_PER_SOURCE 512
#define ZC_SIP_MAX_SERVER_TRANSACTION_BYTES (8 * 1024 * 1024)
#define ZC_SIP_MAX_SERVER_TRANSACTION_BYTES_PER_SOURCE (2 * 1024 * 1024)

ZcSipStack *zc_sip_stack_new (ZcSipSendFunc send, gpointer send_data, const ZcSipStackCallbacks *callbacks,
                              gpointer user_data);
void zc_sip_stack_free (ZcSipStack *stack);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcSipStack, zc_sip_stack_free)

void zc_sip_stack_set_rate_limit (ZcSipStack *stack, guint requests_per_second);
void zc_sip_stack_set_user_agent (ZcSipStack *stack, const char *user_agent);

/* One whole message from the transport.  Returns FALSE when a stream's
 * framing cannot be trusted any more (caller closes the connection). */
gboolean zc_sip_stack_receive (ZcSipStack *stack, const char *data, gsize len, const ZcSipFlow *from);

/* A response to @request with To-tag @local_tag (NULL: keep the request's),
 * Server, and for 405/501 an Allow header.  Caller may add headers. */
osip_message_t *zc_sip_stack_build_response (ZcSipStack *stack, osip_message_t *request, int status,
                                             const char *reason, const char *local_tag);
/* Hands @response (taken) to server transaction @tr. */
void zc_sip_stack_respond (ZcSipStack *stack, osip_transaction_t *tr, osip_message_t *response);

/* Starts a client transaction for @request (taken), sent to @to.
 * @owner is returned by zc_sip_stack_tx_owner(). */
osip_transaction_t *zc_sip_stack_send_request (ZcSipStack *stack, osip_message_t *request, const ZcSipFlow *to,
                                               gpointer owner);
/* Sends outside any transaction (ACK to a 2xx, 2xx retransmissions). */
gboolean zc_sip_stack_send_message (ZcSipStack *stack, osip_message_t *message, const ZcSipFlow *to);

/* Kills a client transaction we no longer care about (probe timeouts). */
void zc_sip_stack_abandon (ZcSipStack *stack, osip_transaction_t *tr);

gpointer zc_sip_stack_tx_owner (osip_transaction_t *tr);
void zc_sip_stack_tx_set_owner (osip_transaction_t *tr, gpointer owner);

/* Runs pending transaction events now (after adding events from outside
 * the receive path). */
void zc_sip_stack_run (ZcSipStack *stack);

/* Random tokens for tags, branches (with the RFC 3261 magic cookie) and
 * Call-IDs. */
char *zc_sip_random_token (void);
char *zc_sip_new_branch (void);

/* Finds the INVITE server transaction a CANCEL refers to (RFC 3261 9.2). */
osip_transaction_t *zc_sip_stack_find_invite_for_cancel (ZcSipStack *stack, osip_message_t *cancel);
