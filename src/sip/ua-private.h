/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The user agent's insides, shared by its files (src/sip/ua.c,
 * session.c, ping.c). */
#pragma once

#include "sip/ua.h"

#include <osip2/osip_dialog.h>

/* RFC 3261 17.1.1.1 and 13.3.1.4: 2xx retransmissions start at T1,
 * double up to T2 and give up after 64*T1. */
#define T1_MS 500
#define T2_MS 4000
#define TIMER_H_MS (64 * T1_MS)

/* Owners of transactions are sessions, pings or registrations; each
 * starts with a kind. */
typedef enum { OWNER_SESSION = 1, OWNER_PING, OWNER_REGISTRATION } OwnerKind;

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
  gboolean as_account;           /* From the rendezvous account; answers its challenges */
  guint auth_tries;
  gboolean cancel_pending;
  guint live_transactions;
};

typedef struct {
  OwnerKind kind;
  guint id;
  gint64 sent_us;
  osip_transaction_t *tr;
  gboolean reported;
  ZcSipPingFunc func;           /* this ping's own handler, else the UA's */
  gpointer func_data;
} ZcPing;

struct _ZcSipUa {
  ZcSipTransport *transport;      /* NULL with a stand-in io */
  ZcSipUaIo io;
  ZcSipStack *stack;
  char *user;
  char *display_name;
  char *account_domain;           /* zc_sip_ua_set_account() */
  char *account_auth_user;
  char *account_password;
  ZcSipUaEvents events;
  gpointer user_data;
  GList *sessions;
  GHashTable *pings;              /* id -> ZcPing* */
  ZcSipPingFunc ping_func;
  gpointer ping_data;
  guint next_ping_id;
};


/* Shared by ua.c (dispatch of stack events), session.c (sessions and
 * their dialogs) and ping.c; nothing outside src/sip/ includes this. */
char *zc_ua_host_for_uri (const char *address);
char *zc_ua_uri_to_string (osip_uri_t *uri);
const char *zc_ua_body_of (osip_message_t *message);
void zc_ua_set_sdp_body (osip_message_t *message, const char *sdp);
void zc_ua_respond_simple (ZcSipUa *ua, osip_transaction_t *tr, osip_message_t *request, int status,
                           const char *reason);

char *zc_ua_session_contact (ZcSipSession *s);
char *zc_ua_session_via (ZcSipSession *s);
ZcSipSession *zc_ua_session_new (ZcSipUa *ua, gboolean outgoing, const ZcSipFlow *flow);
void zc_ua_session_free (ZcSipSession *s);
void zc_ua_session_maybe_free (ZcSipSession *s);
void zc_ua_session_own (ZcSipSession *s, osip_transaction_t *tr);
void zc_ua_stop_retransmissions (ZcSipSession *s);
void zc_ua_report_ended (ZcSipSession *s, ZcSipEndCause cause, int status, const char *reason);
ZcSipSession *zc_ua_find_session_for_request (ZcSipUa *ua, osip_message_t *request);
ZcSipSession *zc_ua_find_session_for_response (ZcSipUa *ua, osip_message_t *response);
void zc_ua_dialog_destination (ZcSipSession *s, ZcSipFlow *to);
osip_message_t *zc_ua_build_in_dialog (ZcSipSession *s, const char *method, int cseq);
void zc_ua_send_in_dialog (ZcSipSession *s, const char *method);
osip_message_t *zc_ua_session_response (ZcSipSession *s, int status, const char *reason);
void zc_ua_send_2xx (ZcSipSession *s, osip_transaction_t *tr, osip_message_t *response);
void zc_ua_send_ack (ZcSipSession *s, osip_message_t *response);
void zc_ua_send_cancel (ZcSipSession *s);

/* register.c's side of the dispatch in ua.c. */
typedef struct _ZcSipRegistration ZcSipRegistration;
void zc_ua_registration_response (ZcSipRegistration *reg, osip_message_t *response);
void zc_ua_registration_failed (ZcSipRegistration *reg, int status);
void zc_ua_registration_tx_gone (ZcSipRegistration *reg, osip_transaction_t *tr);

/* session.c: our INVITE was challenged (401/407): send it again with
 * credentials.  FALSE when it cannot (no account, already tried). */
gboolean zc_ua_session_answer_challenge (ZcSipSession *s, osip_message_t *response);
