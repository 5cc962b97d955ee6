/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Calls: the core's call objects, the policy for incoming calls
 * ([calls] accept-from, max-calls, auto-answer, do-not-disturb), call
 * targets (peer names, SIP URIs, user@host), SDP offer/answer and RTP port
 * reservation.  The SIP user agent reports; this decides. */
#pragma once

#include "core/conf.h"
#include "discovery/peer-table.h"
#include "sip/transport.h"
#include "sip/ua.h"

#include <gio/gio.h>

#define ZC_CALLS_ERROR (zc_calls_error_quark ())
GQuark zc_calls_error_quark (void);

typedef enum {
  ZC_CALLS_ERROR_NOT_FOUND,     /* no such call, or no peer matches the target */
  ZC_CALLS_ERROR_AMBIGUOUS,     /* several calls or peers match */
  ZC_CALLS_ERROR_INVALID,       /* a target that is no SIP address, or bad DTMF digits */
  ZC_CALLS_ERROR_STATE,         /* not possible in the call's state */
  ZC_CALLS_ERROR_FAILED,
  ZC_CALLS_ERROR_UNTRUSTED,     /* the peer's key changed since it was pinned */
} ZcCallsError;

typedef struct {
  /* @event: incoming, calling, ringing, answered, held, resumed, muted,
   * unmuted, conference, ended;
   * @call: the call dictionary (see data/org.zcall.Agent1.xml). */
  void (*call_changed) (const char *event, GVariant *call, gpointer user_data);
} ZcCallsCallbacks;

typedef struct _ZcCalls ZcCalls;

/* The calls take @ua's session events (the agent owns @ua, which must
 * outlive the calls); @transport tells the local address for a peer. */
ZcCalls *zc_calls_new (ZcSipUa *ua, ZcSipTransport *transport, const ZcConfig *config, ZcPeerTable *peers,
                       const ZcCallsCallbacks *observer, gpointer user_data);
void zc_calls_free (ZcCalls *calls);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcCalls, zc_calls_free)

/* Off-LAN calls go through @rendezvous (not owned; NULL = none). */
typedef struct _ZcRendezvous ZcRendezvous;
void zc_calls_set_rendezvous (ZcCalls *calls, ZcRendezvous *rendezvous);
/* The agent's key and certificate for DTLS-SRTP (not owned; NULL = none). */
typedef struct _ZcIdentity ZcIdentity;
void zc_calls_set_identity (ZcCalls *calls, ZcIdentity *identity);

void zc_calls_set_dnd (ZcCalls *calls, gboolean dnd);
/* Calls that are not over (they count against max-calls). */
guint zc_calls_count_live (ZcCalls *calls);

/* Returns the new call's id. */
char *zc_calls_dial (ZcCalls *calls, const char *target, GError **error);
/* @id "" picks the only fitting call (the oldest ringing one for answer
 * and decline). */
gboolean zc_calls_answer (ZcCalls *calls, const char *id, GError **error);
gboolean zc_calls_decline (ZcCalls *calls, const char *id, GError **error);
gboolean zc_calls_hangup (ZcCalls *calls, const char *id, GError **error);
guint zc_calls_hangup_all (ZcCalls *calls);
gboolean zc_calls_hold (ZcCalls *calls, const char *id, gboolean hold, GError **error);
/* Sends @digits (0-9 * # A-D, at most ZC_CALLS_DTMF_MAX_DIGITS) as RFC 4733
 * telephone-events on an established call; @id "" picks the only one. */
#define ZC_CALLS_DTMF_MAX_DIGITS 64 /* what the media's queue holds (ZC_DTMF_QUEUE_MAX) */
gboolean zc_calls_send_dtmf (ZcCalls *calls, const char *id, const char *digits, GError **error);

/* Mute or unmute our microphone on an established call (@id "" picks
 * the only active one, else the only established one): its frames go out
 * as silence, the device stays open; "muted"/"unmuted" goes out. */
gboolean zc_calls_set_muted (ZcCalls *calls, const char *id, gboolean muted, GError **error);
/* `zcall conference ID ID`: both established calls are taken off our
 * hold (re-INVITE) and bridged: each party hears us and the other (the
 * audio engine mixes them locally).  Both get the same "conference"
 * number and "conference" goes out for each.  A call in a conference
 * already, or the same call twice, is refused.  The conference ends with
 * either call (the other stays with us); hanging both up, or the agent's
 * exit, ends it for everyone. */
gboolean zc_calls_conference (ZcCalls *calls, const char *id1, const char *id2, GError **error);
/* Blind transfer (RFC 3515): asks the peer of the established call @id
 * ("" picks the only one) to call @target (a peer name, URI or
 * user@host, as for a call).  Progress goes out as "transfer" events
 * (the call's "transfer" tells the stage); once the peer's new call is
 * answered ours ends with the reason "transferred".  On failure
 * *about_target tells whether @error is about the target (no such peer)
 * rather than the call. */
gboolean zc_calls_transfer (ZcCalls *calls, const char *id, const char *target, gboolean *about_target,
                            GError **error);

/* Attended transfer (RFC 5589 7): asks the peer of established call @id
 * to call the peer of established call @other_id, whose dialog it
 * replaces (REFER with Replaces, RFC 3891).  Both calls show the stages
 * in "transfer" events and end with the reason "transferred" once the
 * new call is answered; on failure both go on as they were. */
gboolean zc_calls_transfer_to (ZcCalls *calls, const char *id, const char *other_id, GError **error);
/* The user hangs up everything (zcall hangup --all): as
 * zc_calls_hangup_all(), except that with [calls]
 * conference-hangup=transfer the two other parties of a conference are
 * joined by zc_calls_transfer_to() and our two calls end when that is
 * done (or are hung up when it fails).  Returns how many calls are
 * ended or left this way.  (The agent's exit hangs up everything.) */
guint zc_calls_leave_all (ZcCalls *calls);

/* How many calls occupy the line (established, or outgoing being set up)
 * and how many incoming ones ring, for presence. */
void zc_calls_get_activity (ZcCalls *calls, guint *on_call, guint *ringing);

GVariant *zc_calls_list (ZcCalls *calls);

/* A peer's transfer request waiting for the user ([calls]
 * accept-transfer=ask; the call's "transfer_request" names the target):
 * accepted, the transfer goes on as for a trusted peer; refused, the
 * peer hears 603 and the call goes on.  @id may be empty for the only
 * call with a request. */
gboolean zc_calls_accept_transfer (ZcCalls *calls, const char *id, GError **error);
gboolean zc_calls_refuse_transfer (ZcCalls *calls, const char *id, GError **error);

/* `zcall forward`: @mode "always" (every incoming call is answered 302
 * to @target's contact), "busy" (instead of 486), "no-answer" (after
 * ringing @no_answer_s seconds unanswered) or "off".  @target is a peer
 * name, a URI or user@host as for a call; it is checked now and resolved
 * again for each call.  The agent keeps it across restarts
 * (core/presence.h). */
gboolean zc_calls_set_forward (ZcCalls *calls, const char *mode, const char *target, guint no_answer_s,
                               GError **error);
/* The same for the setting kept from the last run: the target is not
 * resolved now (at start no peer has been discovered yet); each call
 * resolves it, and rings here when it cannot. */
gboolean zc_calls_restore_forward (ZcCalls *calls, const char *mode, const char *target, guint no_answer_s,
                                   GError **error);
/* a{sv}: mode s ("off", ...), target s, no_answer_s u (floating). */
GVariant *zc_calls_describe_forward (ZcCalls *calls);
gboolean zc_calls_is_forwarding (ZcCalls *calls);
