/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The SIP user agent core (RFC 3261 12-15): INVITE sessions in both
 * directions with their dialogs, CANCEL, BYE, re-INVITE and UPDATE,
 * 2xx/ACK reliability, and OPTIONS, answered and sent as a ping.  Policy
 * (who may call, busy, do-not-disturb) and SDP contents belong to the
 * core; this module carries them and reports what happens. */
#pragma once

#include "sip/transport.h"

#include <glib.h>

typedef struct _ZcSipUa ZcSipUa;
typedef struct _ZcSipSession ZcSipSession;

typedef enum {
  ZC_SIP_END_LOCAL_HANGUP,     /* we sent BYE, CANCEL, or a rejection */
  ZC_SIP_END_REMOTE_HANGUP,    /* BYE received */
  ZC_SIP_END_CANCELLED,        /* the caller cancelled before answer */
  ZC_SIP_END_REJECTED,         /* a final error response to our INVITE */
  ZC_SIP_END_TIMEOUT,          /* no final response, or no ACK */
  ZC_SIP_END_TRANSPORT,        /* could not be sent */
} ZcSipEndCause;

typedef struct {
  /* A new incoming INVITE (100 Trying already sent).  The core answers
   * with zc_sip_session_ring/answer/reject, now or later. */
  void (*incoming) (ZcSipSession *session, const char *sdp, const ZcSipFlow *from, gpointer user_data);
  /* Our INVITE got a provisional response (180, 183). */
  void (*progress) (ZcSipSession *session, int status, gpointer user_data);
  /* The session is established: our INVITE got a 2xx (ACK sent; @sdp
   * is the answer), or our 2xx was ACKed (@sdp: an answer in the ACK). */
  void (*established) (ZcSipSession *session, const char *sdp, gpointer user_data);
  /* A re-INVITE or UPDATE with an offer (hold, resume).  Return the SDP
   * answer (taken), or NULL with *status set (488). */
  char *(*reoffer) (ZcSipSession *session, const char *sdp, int *status, gpointer user_data);
  /* Our re-INVITE finished with @status (@sdp: the answer on 2xx). */
  void (*reinvite_done) (ZcSipSession *session, int status, const char *sdp, gpointer user_data);
  /* A REFER (RFC 3515) from the dialog's peer on an established session:
   * @refer_to is the URI to call (header parameters such as ?Replaces=
   * dropped; zc_sip_session_get_refer_replaces() has that one).  Return the status to answer: 202 takes it on (the core
   * then reports the new call's progress with zc_sip_session_notify_refer),
   * 603 refuses it. */
  int (*refer) (ZcSipSession *session, const char *refer_to, gpointer user_data);
  /* Our REFER's progress: its own final response (@notify FALSE: 202, or
   * an error such as 405, 408, 603), then the status each NOTIFY's
   * message/sipfrag carries (@notify TRUE: 100, 180, 200, 486...; 0 for
   * a NOTIFY that ends the subscription without a status line).
   * @expires: the NOTIFY's Subscription-State, seconds the subscription
   * still lasts (active or pending with expires=), 0 when terminated, -1
   * when it says neither (and for the REFER's response). */
  void (*refer_progress) (ZcSipSession *session, gboolean notify, int status, int expires, gpointer user_data);
  /* The session is over; the core drops its reference now. */
  void (*ended) (ZcSipSession *session, ZcSipEndCause cause, int status, const char *reason, gpointer user_data);
} ZcSipUaCallbacks;

/* An OPTIONS ping finished: @status 0 when it got no answer. */
typedef void (*ZcSipPingFunc) (guint ping_id, int status, double rtt_ms, gpointer user_data);

typedef struct {
  const char *user;            /* our SIP user part */
  const char *display_name;
} ZcSipIdentity;

ZcSipUa *zc_sip_ua_new (ZcSipTransport *transport, const ZcSipIdentity *identity, const ZcSipUaCallbacks *callbacks,
                        gpointer user_data);

/* What the user agent needs of a transport: the agent passes the real
 * one (zc_sip_ua_new), tests and the fuzzer a stand-in without sockets,
 * feeding messages through zc_sip_ua_receive(). */
typedef struct {
  ZcSipSendFunc send;
  /* The local address that reaches @remote (for Via, Contact, SDP). */
  char *(*local_address_for) (const char *remote, gpointer data);
  guint16 port;
  guint16 tls_port;            /* 0: no SIP over TLS */
  gpointer data;
} ZcSipUaIo;

ZcSipUa *zc_sip_ua_new_with_io (const ZcSipUaIo *io, const ZcSipIdentity *identity, const ZcSipUaCallbacks *callbacks,
                                gpointer user_data);
void zc_sip_ua_free (ZcSipUa *ua);
/* The From display name of the requests made from now on (a reload). */
void zc_sip_ua_set_display_name (ZcSipUa *ua, const char *display_name);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcSipUa, zc_sip_ua_free)
/* Replaces the session callbacks (NULL @callbacks: none), so that the
 * owner of the UA can hand it to the call core built after it. */
void zc_sip_ua_set_callbacks (ZcSipUa *ua, const ZcSipUaCallbacks *callbacks, gpointer user_data);

/* One whole message from the transport (the stand-in io's way in).
 * Returns FALSE when a stream's framing cannot be trusted any more (the
 * caller closes the connection). */
gboolean zc_sip_ua_receive (ZcSipUa *ua, const char *data, gsize len, const ZcSipFlow *from);

/* Requests per second and source address before 503s (flood defence);
 * 0: no limit.  The default is ZC_SIP_DEFAULT_RATE_LIMIT (rate-limit.h). */
void zc_sip_ua_set_rate_limit (ZcSipUa *ua, guint requests_per_second);

/* Parses "sip:user@host:port;transport=tcp" with a numeric host into the
 * flow to send to.  FALSE when the host is not an IP address. */
gboolean zc_sip_uri_to_flow (const char *uri, ZcSipFlow *flow);

/* Starts a call to @uri at @to with @sdp as the offer. */
ZcSipSession *zc_sip_ua_invite (ZcSipUa *ua, const char *uri, const ZcSipFlow *to, const char *sdp,
                                GError **error);
/* The same through the rendezvous proxy at @to: From is the account's
 * address of record (user@domain, so the callee can call back) and the
 * proxy's digest challenge (407) is answered with its credentials. */
ZcSipSession *zc_sip_ua_invite_as_account (ZcSipUa *ua, const char *uri, const ZcSipFlow *to, const char *sdp,
                                           GError **error);
/* Headers of an INVITE beyond the usual ones (NULL: none): Replaces
 * (RFC 3891, "call-id;to-tag=..;from-tag=..") and Referred-By (RFC 3892)
 * for the call a transferee places on a REFER. */
typedef struct {
  const char *replaces;
  const char *referred_by;
} ZcSipInviteHeaders;
/* zc_sip_ua_invite (or, with @as_account, _as_account) with @headers. */
ZcSipSession *zc_sip_ua_invite_full (ZcSipUa *ua, const char *uri, const ZcSipFlow *to, const char *sdp,
                                     gboolean as_account, const ZcSipInviteHeaders *headers, GError **error);
/* The rendezvous account (NULL @domain: none). */
void zc_sip_ua_set_account (ZcSipUa *ua, const char *domain, const char *auth_username, const char *password);

/* Sends OPTIONS to @uri at @to; ping_done reports the result.  Returns an
 * id for zc_sip_ua_ping_cancel. */
guint zc_sip_ua_ping (ZcSipUa *ua, const char *uri, const ZcSipFlow *to);
void zc_sip_ua_set_ping_handler (ZcSipUa *ua, ZcSipPingFunc func, gpointer user_data);
/* The same with a handler of its own for this ping (the handler set
 * above is for the peers' liveness pings). */
guint zc_sip_ua_ping_full (ZcSipUa *ua, const char *uri, const ZcSipFlow *to, ZcSipPingFunc func, gpointer user_data);
void zc_sip_ua_ping_cancel (ZcSipUa *ua, guint ping_id);

void zc_sip_session_ring (ZcSipSession *session);
void zc_sip_session_answer (ZcSipSession *session, const char *sdp);
/* Rejects an incoming INVITE (486, 480, 603, 488, 403...).  The session
 * ends (ended is reported). */
void zc_sip_session_reject (ZcSipSession *session, int status, const char *reason);
/* Answers an incoming INVITE with a redirection (302, RFC 3261 21.3.3)
 * to @contacts (URIs, most preferred first).  The session ends. */
void zc_sip_session_redirect (ZcSipSession *session, int status, const char *const *contacts);
/* CANCEL before a final response, BYE after, 603 for an unanswered
 * incoming call.  The session ends at once for the core; the SIP side
 * finishes in the background. */
void zc_sip_session_hangup (ZcSipSession *session);
/* Sends REFER (RFC 3515) in the dialog asking the peer to call
 * @refer_to (a sip: URI); refer_progress reports what follows.  FALSE
 * when the session is not established or a REFER is still unanswered. */
gboolean zc_sip_session_refer (ZcSipSession *session, const char *refer_to);
/* An attended transfer (RFC 5589 7): REFER asking the peer to call the
 * remote target of @target, another of our established sessions, with
 * Replaces naming @target's dialog.  FALSE as zc_sip_session_refer, or
 * when @target is not confirmed. */
gboolean zc_sip_session_refer_replacing (ZcSipSession *session, ZcSipSession *target);
/* During the refer callback: the Replaces the Refer-To carried
 * (unescaped), and the REFER's Referred-By (or its From); NULL when none. */
const char *zc_sip_session_get_refer_replaces (ZcSipSession *session);
const char *zc_sip_session_get_refer_referred_by (ZcSipSession *session);
/* During the incoming callback: the session an INVITE with Replaces
 * (RFC 3891) names, one of ours still going (its user data is the core's
 * call); NULL for an ordinary INVITE.  *@from_its_peer: the INVITE came
 * from that dialog's own peer (its certificate, else its address). */
ZcSipSession *zc_sip_session_get_replaced (ZcSipSession *session, gboolean *from_its_peer);
/* RFC 3515 2.4.4: how long the implicit subscription of a REFER lasts
 * (the expires= of our NOTIFYs; the bound a transferor waits for the
 * final one). */
#define ZC_SIP_REFER_SUBSCRIPTION_S 60
/* The NOTIFY of an accepted REFER: @status of the call it made, as a
 * message/sipfrag status line; a final status (>= 200) ends the implicit
 * subscription. */
void zc_sip_session_notify_refer (ZcSipSession *session, int status, const char *reason);
/* Sends a re-INVITE with @sdp (hold: sendonly; resume: sendrecv). */
gboolean zc_sip_session_reinvite (ZcSipSession *session, const char *sdp);

gpointer zc_sip_session_get_user_data (ZcSipSession *session);
void zc_sip_session_set_user_data (ZcSipSession *session, gpointer data);
const char *zc_sip_session_get_call_id (ZcSipSession *session);
/* The other side's URI (From of an incoming call, To of ours). */
const char *zc_sip_session_get_remote_uri (ZcSipSession *session);
const char *zc_sip_session_get_remote_display_name (ZcSipSession *session);
/* After a 3xx to our INVITE (readable in the ended callback): the
 * Contacts it named, highest q first; NULL when none.  At most
 * ZC_SIP_MAX_REDIRECT_CONTACTS are kept. */
#define ZC_SIP_MAX_REDIRECT_CONTACTS 8
const char *const *zc_sip_session_get_redirect_contacts (ZcSipSession *session);
/* Our address as the peer reaches us (for SDP c= lines). */
const char *zc_sip_session_get_local_address (ZcSipSession *session);
