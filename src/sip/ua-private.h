/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The user agent's insides, shared by its files (src/sip/ua.c, session.c,
 * dialog.c, message.c, ping.c, register.c); nothing outside src/sip/
 * includes this, except test-sip and the fuzzer. */
#pragma once

#include "sip/stack.h"
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
  osip_transaction_t *refer_tr;  /* our REFER (refer.c), until its final response */
  GStrv redirect_contacts;       /* a 3xx to our INVITE: its Contacts, highest q first */
  /* An incoming REFER while the core decides on it (refer.c): the
   * Replaces its Refer-To carries (unescaped) and who referred. */
  char *refer_replaces;
  char *refer_referred_by;
};

typedef struct {
  OwnerKind kind;
  guint id;
  gint64 sent_us;
  osip_transaction_t *tr;
  gboolean reported;
  ZcSipPingFunc func;           /* this ping's own handler, else the UA's */
  gpointer func_data;
} ZcSipPing;

struct _ZcSipUa {
  ZcSipTransport *transport;      /* NULL with a stand-in io */
  ZcSipUaIo io;
  ZcSipStack *stack;
  char *user;
  char *display_name;
  char *account_domain;           /* zc_sip_ua_set_account() */
  char *account_auth_user;
  char *account_password;
  char *account_realm;            /* the registrar's digest realm (register.c) */
  ZcSipUaCallbacks callbacks;
  gpointer user_data;
  GList *sessions;
  GList *registrations;           /* ZcSipRegistration*, for transport failures */
  GHashTable *pings;              /* id -> ZcSipPing* */
  ZcSipPingFunc ping_func;
  gpointer ping_data;
  guint next_ping_id;
  /* An INVITE with Replaces (replaces.c) while the core hears of it: the
   * new session, the one it replaces, and whether it came from that
   * dialog's own peer. */
  struct {
    ZcSipSession *session;
    ZcSipSession *replaced;
    gboolean from_its_peer;
  } replacing;
};


/* The port we listen on for @proto (Via, Contact). */
guint16 zc_sip_ua_port_for (ZcSipUa *ua, ZcSipProto proto);

/* message.c: helpers over osip messages. */
char *zc_sip_host_for_uri (const char *address);
char *zc_sip_uri_to_string (osip_uri_t *uri);
const char *zc_sip_message_body (osip_message_t *message);
void zc_sip_message_set_sdp (osip_message_t *message, const char *sdp);

/* ua.c */
void zc_sip_ua_respond (ZcSipUa *ua, osip_transaction_t *tr, osip_message_t *request, int status,
                        const char *reason);
ZcSipSession *zc_sip_ua_find_session_for_request (ZcSipUa *ua, osip_message_t *request);
ZcSipSession *zc_sip_ua_find_session_for_response (ZcSipUa *ua, osip_message_t *response);
/* An in-dialog request over TLS comes with the dialog peer's certificate. */
gboolean zc_sip_from_dialog_peer (ZcSipSession *s, const ZcSipFlow *from);

/* refer.c: REFER (RFC 3515) and the NOTIFYs of its implicit subscription. */
void zc_sip_refer_receive (ZcSipUa *ua, osip_transaction_t *tr, osip_message_t *request, const ZcSipFlow *from);
void zc_sip_notify_receive (ZcSipUa *ua, osip_transaction_t *tr, osip_message_t *request, const ZcSipFlow *from);
/* The final response to our REFER, or its failure (@status 408, 503). */
void zc_sip_refer_response (ZcSipSession *s, int status);

/* replaces.c: an INVITE's Replaces header (RFC 3891 3).  TRUE to go on
 * (ua->replacing names the dialog it replaces, if any); FALSE when it was
 * answered (400, 481, 486, 603). */
gboolean zc_sip_replaces_check (ZcSipUa *ua, osip_transaction_t *tr, osip_message_t *request, const ZcSipFlow *from);
/* The unescaped Replaces of a Refer-To value ("<sip:...?Replaces=...>"),
 * NULL when none or malformed. */
char *zc_sip_refer_to_replaces (const char *refer_to);

/* session.c: life cycle. */
ZcSipSession *zc_sip_session_new (ZcSipUa *ua, gboolean outgoing, const ZcSipFlow *flow);
/* Our INVITE to @uri at @to (zc_sip_ua_invite and _as_account). */
ZcSipSession *zc_sip_session_new_outgoing (ZcSipUa *ua, const char *uri, const ZcSipFlow *to, const char *sdp,
                                           gboolean as_account, const ZcSipInviteHeaders *headers,
                                           GError **error);
/* Their initial INVITE in server transaction @tr: 100 Trying, then the
 * core hears of it. */
void zc_sip_session_new_incoming (ZcSipUa *ua, osip_transaction_t *tr, osip_message_t *request,
                                  const ZcSipFlow *from);
void zc_sip_session_free (ZcSipSession *s);
void zc_sip_session_maybe_free (ZcSipSession *s);
void zc_sip_session_own (ZcSipSession *s, osip_transaction_t *tr);
void zc_sip_session_stop_retransmissions (ZcSipSession *s);
void zc_sip_session_report_ended (ZcSipSession *s, ZcSipEndCause cause, int status, const char *reason);

/* session.c: what the peer sends, dispatched by ua.c once it found the
 * session. */
void zc_sip_session_receive_reinvite (ZcSipSession *s, osip_transaction_t *tr, osip_message_t *request);
void zc_sip_session_receive_update (ZcSipSession *s, osip_transaction_t *tr, osip_message_t *request);
void zc_sip_session_receive_cancel (ZcSipSession *s);
void zc_sip_session_receive_bye (ZcSipSession *s);
void zc_sip_session_receive_ack (ZcSipSession *s, osip_message_t *ack);
void zc_sip_session_receive_response (ZcSipSession *s, osip_transaction_t *tr, osip_message_t *response);
/* A 2xx to our INVITE came again: our ACK was lost. */
void zc_sip_session_resend_ack (ZcSipSession *s);
void zc_sip_session_transaction_failed (ZcSipSession *s, osip_transaction_t *tr, int status);
void zc_sip_session_transaction_gone (ZcSipSession *s, osip_transaction_t *tr);

/* dialog.c: what a session sends inside its dialog. */
char *zc_sip_session_contact (ZcSipSession *s);
char *zc_sip_session_via (ZcSipSession *s);
void zc_sip_session_destination (ZcSipSession *s, ZcSipFlow *to);
osip_message_t *zc_sip_session_build_request (ZcSipSession *s, const char *method, int cseq);
void zc_sip_session_send_request (ZcSipSession *s, const char *method);
osip_message_t *zc_sip_session_build_response (ZcSipSession *s, int status, const char *reason);
void zc_sip_session_send_2xx (ZcSipSession *s, osip_transaction_t *tr, osip_message_t *response);
void zc_sip_session_send_ack (ZcSipSession *s, osip_message_t *response);
void zc_sip_session_send_cancel (ZcSipSession *s);

/* register.c's side of the dispatch in ua.c. */
typedef struct _ZcSipRegistration ZcSipRegistration;
void zc_sip_registration_response (ZcSipRegistration *reg, osip_message_t *response);
void zc_sip_registration_failed (ZcSipRegistration *reg, int status);
void zc_sip_registration_tx_gone (ZcSipRegistration *reg, osip_transaction_t *tr);
/* The connection to @to failed before it carried anything (a TLS
 * registrar whose certificate is refused): the REGISTER waiting for it
 * fails now with @reason. */
void zc_sip_registration_flow_failed (ZcSipRegistration *reg, const ZcSipFlow *to, const char *reason);
