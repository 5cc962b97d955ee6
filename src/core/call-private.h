/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Inside the call core: one call (call.c) and the list that owns the
 * calls and routes the user agent's events to them (calls.c).  A call's
 * state changes only through zc_call_fire() and its table; the media is
 * reached through ZcCallStreamOps so that tests drive it without devices. */
#pragma once

#include "core/calls.h"
#include "core/rendezvous.h"
#include "media/media-stream.h"
#include "sdp/sdp.h"
#include "trust/identity.h"

/* Ended calls kept for `zcall calls`. */
#define ZC_CALL_HISTORY_LENGTH 50
/* An unanswered call stops ringing after this long, like a desk phone. */
#define ZC_CALL_RING_TIMEOUT_MS (60 * 1000)
/* Through the rendezvous, when no candidate pair connects within ~2 s,
 * the caller restarts ICE as a backstop; the restarted checks (and a
 * callee waiting for them after its own checks failed) get the grace
 * time before the call ends. */
/* An auto-answered call plays an alert on its playback device first,
 * then answers: whoever sits at the PC hears that a line opens before the
 * caller hears the room (ZC_MEDIA_TONE_ALERT, two short beeps). */
#define ZC_CALL_ALERT_MS 600
#define ZC_CALL_ICE_BACKSTOP_MS 2000
#define ZC_CALL_ICE_BACKSTOP_GRACE_MS 8000
/* RFC 3551's packet time, which every phone takes: what we ask of a peer
 * that is not another agent on the LAN, and send when a peer asks for a
 * packet time we do not send ([media] ptime: 10 or 20 ms). */
#define ZC_CALL_DEFAULT_PTIME_MS 20
#define ZC_CALL_SENDS_PTIME(ms) ((ms) == 10 || (ms) == ZC_CALL_DEFAULT_PTIME_MS)

/* INCOMING is a call still gathering its candidates before it rings; it
 * shows as "ringing" outside, but cannot be answered yet. */
typedef enum {
  ZC_CALL_CALLING,
  ZC_CALL_INCOMING,
  ZC_CALL_RINGING,
  ZC_CALL_ACTIVE,
  ZC_CALL_HELD,
  ZC_CALL_ENDED,
} ZcCallState;

typedef enum {
  ZC_CALL_EV_MEDIA_READY,      /* candidates gathered */
  ZC_CALL_EV_OFFERED,          /* incoming: the answer is ready, the user is asked */
  ZC_CALL_EV_PROGRESS,         /* outgoing: 180/183 */
  ZC_CALL_EV_ANSWER,           /* incoming: we answer */
  ZC_CALL_EV_ACCEPTED,         /* outgoing: the peer's 2xx */
  ZC_CALL_EV_HOLD,             /* either side holds */
  ZC_CALL_EV_UNHOLD,           /* neither side holds */
  ZC_CALL_EV_END,
  ZC_CALL_EV_REPLACING,        /* incoming: the answer is ready, it replaces a call (RFC 3891) */
} ZcCallEvent;

const char *zc_call_state_to_string (ZcCallState state);
const char *zc_call_event_to_string (ZcCallEvent event);

/* The media of one call as the core uses it; the default wraps
 * ZcMediaStream (media/media-stream.h), tests give a scripted fake.  The
 * callbacks' stream argument is not used by the core. */
typedef struct _ZcCallStream ZcCallStream;
typedef struct {
  ZcCallStream *(*create) (const ZcMediaStreamConfig *config, const ZcMediaStreamCallbacks *callbacks,
                          gpointer user_data, GError **error);
  void (*free) (ZcCallStream *media);
  /* What goes into our SDP, once ready. */
  void (*get_local) (ZcCallStream *media, const char **address, guint16 *rtp_port, guint16 *rtcp_port,
                     const char **ice_attributes);
  gboolean (*start) (ZcCallStream *media, const ZcMediaRemote *remote, GError **error);
  gboolean (*is_started) (ZcCallStream *media);
  gboolean (*restart_ice) (ZcCallStream *media, GError **error);
  gboolean (*set_remote_ice) (ZcCallStream *media, const char *ufrag, const char *pwd,
                              const char *const *candidates, GError **error);
  gboolean (*is_ice_restart) (ZcCallStream *media, const char *ufrag);
  gboolean (*is_connected) (ZcCallStream *media);
  gboolean (*can_relay) (ZcCallStream *media);
  gboolean (*send_dtmf) (ZcCallStream *media, const char *digits, GError **error);
  /* The microphone's frames go out as silence (NULL: a fake without audio). */
  void (*set_muted) (ZcCallStream *media, gboolean muted);
  /* Bridges the calls of conference @group (0: none) in the audio engine
   * (NULL: a fake without audio). */
  void (*set_conference) (ZcCallStream *media, guint group);
  /* Held: silent both ways; the call-waiting tone in its playback
   * (either may be NULL in a fake). */
  void (*set_held) (ZcCallStream *media, gboolean held);
  void (*set_waiting_tone) (ZcCallStream *media, gboolean on);
  /* NULL until started; else a{sv}, and *audio_error a failing device or NULL. */
  GVariant *(*describe) (ZcCallStream *media, char **audio_error);
  /* Ringback or ring while the call rings; the media stops it itself
   * when it starts or is freed. */
  void (*play_tone) (ZcCallStream *media, ZcMediaTone tone);
  void (*stop_tone) (ZcCallStream *media);
  /* Once secured: the certificate DTLS proved ("sha-256 AB:...") and the
   * SRTP suite. */
  const char *(*peer_fingerprint) (ZcCallStream *media);
  const char *(*srtp_suite) (ZcCallStream *media);
} ZcCallStreamOps;

extern const ZcCallStreamOps zc_call_stream_default_ops;

/* What was negotiated when an offer arrived, kept until it is answered. */
typedef struct {
  ZcSdpSession *remote;        /* the peer's offer */
  ZcSdpAgreement *agreement;   /* what we accept of it: codec, telephone-event */
  char *answer;                /* our answer (or our offer in the 200, late offer) */
} ZcCallOffer;

typedef struct _ZcCall ZcCall;
typedef struct _ZcCallRedirect ZcCallRedirect;
typedef struct _ZcForward ZcForward;

struct _ZcCall {
  ZcCalls *calls;
  char *id;
  gboolean outgoing;
  ZcCallState state;
  ZcSipSession *session;
  char *peer_uri;
  /* Outgoing: the name dialed.  Incoming: the name of the pinned peer
   * whose key the DTLS handshake proved, NULL until then (an address or
   * a From header prove nothing); asserted_name is the From display name,
   * shown as unverified. */
  char *peer_name;
  char *asserted_name;
  /* The key the discovered zcall peer we call, or whose address the call
   * comes from, is pinned with (compact fp=); NULL for other peers.  Its
   * SDP must carry this fingerprint and DTLS must prove it. */
  char *claimed_fingerprint;
  gboolean peer_verified;      /* DTLS proved the key of a pinned peer */
  char *peer_trust;            /* that peer's trust ("new", "known", "verified"), else NULL */
  char *sip_call_id;
  GDateTime *started_at;
  GDateTime *answered_at;
  GDateTime *ended_at;
  gint64 answered_us;
  gint64 ended_us;
  char *end_reason;
  guint sip_status;
  char *codec;
  gboolean local_hold;
  gboolean remote_hold;
  int hold_pending;            /* -1 none, else the hold state asked for */
  gboolean hold_when_answered; /* outgoing: the user turned to another call before it was answered */
  gboolean muted;              /* our microphone sends silence (calls-office.c) */
  guint conference;            /* its local conference (conference.c), 0: none */
  gboolean waiting_tone;       /* the call-waiting tone plays in it (calls-waiting.c) */
  gboolean ring_deferred;      /* incoming during a call: the tone rang instead */
  ZcCallStream *media;
  ZcCallOffer offer;           /* incoming: the negotiated offer, until answered */
  ZcSipFlow flow;              /* outgoing: where the INVITE goes; incoming: where it came from */
  gboolean via_rendezvous;     /* through the rendezvous proxy, either way */
  char *local_address;
  guint64 sdp_session_id;
  guint64 sdp_version;
  ZcSdpSession *our_offer;     /* the last offer we sent */
  /* Incoming: the m= profile of the offer we answered.  Our re-offers
   * (hold, ICE restart) keep it: a phone that offered only
   * UDP/TLS/RTP/SAVPF (linphonec, encryption mandatory) declines an
   * RTP/AVP re-offer with 488.  Outgoing calls keep theirs by
   * zc_call_offer_proto(). */
  char *media_proto;
  gboolean late_offer;         /* incoming INVITE had no SDP: we offer in the 200 */
  guint auto_answer_id;
  gboolean auto_answered;      /* answered by [calls] auto-answer, not by the user */
  guint ring_timeout_id;
  guint ice_backstop_id;       /* through the rendezvous: no pair yet -> ICE restart */
  gboolean ice_restarted;      /* the backstop ran (once per call) */
  gboolean ice_restart_pending; /* our re-INVITE with the restarted offer is out */
  gboolean ice_regathering;    /* the backstop's fresh stream gathers; its offer goes out when ready */
  /* Media security, kept after the media is gone: "encrypted" once
   * DTLS-SRTP is keyed, "PLAIN" for plain RTP, NULL before the media
   * starts; the suite and the peer's certificate ("sha-256 AB:...") as
   * the handshake proved it, for the pins to compare later. */
  char *security;
  char *srtp_suite;
  char *peer_fingerprint;
  guint security_end_id;       /* a call that may not go plain ends from here */
  const char *security_end_reason; /* "encryption required" or "identity mismatch" */
  guint secure_retries;        /* outgoing: offers refused with 488 so far (zc_call_offer_proto) */
  /* SDES (RFC 4568) on a dialog whose signalling is TLS: our a=crypto
   * key (base64), made for the first description that may carry it. */
  char *sdes_key;
  /* How the media is keyed: "dtls-srtp" or "sdes-srtp" as decided when
   * it starts (keying), and once it is keyed (encryption); NULL for
   * plain RTP or before. */
  const char *keying;
  const char *encryption;
  /* Incoming with a TURN server: gathered without it (an INVITE is
   * anyone's to send; a relay is an allocation on the server).  Through
   * the rendezvous the answer gathers once more with the relay and sends
   * the 200 when that is done (answering); from the LAN it answers
   * without one. */
  gboolean relay_at_answer;
  gboolean answering;
  gint64 answering_since_us;   /* when the answer started gathering the relay */
  ZcCallRedirect *redirect;    /* outgoing: the 3xx followed (forward.h) */
  guint forward_timer_id;      /* incoming: forwarding after no answer */
  /* transfer.c: how a transfer of this call goes ("requested",
   * "accepted", "trying", "ringing", "done", "failed"; NULL: none), and
   * for a call we placed on a peer's REFER, the id of the call whose
   * dialog hears its progress (NOTIFY). */
  char *transfer;
  char *referred_by_call;
  guint transfer_notify_id;    /* the first NOTIFY, sent after our 202 */
  /* Our REFER: its implicit subscription's end (monotonic time), and
   * the timer that fails the transfer then if no final NOTIFY came. */
  gint64 transfer_deadline_us;
  guint transfer_expire_id;
  /* transfer-ask.c: a peer's REFER waiting for the user's answer
   * ([calls] accept-transfer=ask): its target, and the timer that
   * refuses it. */
  char *transfer_request;
  guint transfer_ask_id;
  /* transfer-attended.c: an attended transfer (RFC 5589 7).  Ours: the
   * call whose dialog our REFER asks the peer to replace.  A call placed
   * on a peer's REFER: the Replaces and Referred-By its INVITE carries.
   * An incoming call with Replaces (RFC 3891): the call it replaces. */
  char *transfer_with;
  char *replaces;
  char *referred_by;
  char *replaces_call;
  /* conference-leave.c: we hung up the conference and join the other
   * two; the calls end when the transfer does (or fails, which its
   * subscription's bound makes sure it does in time). */
  gboolean conference_leaving;
};

typedef struct {
  guint ring_timeout_ms;
  guint alert_ms;
  guint ice_backstop_ms;
  guint ice_backstop_grace_ms;
} ZcCallTimers;

typedef char *(*ZcCallsLocalAddressFunc) (const char *remote, gpointer data);

struct _ZcCalls {
  const ZcConfig *config;
  const ZcIceServers *test_ice_servers; /* tests: instead of the rendezvous's */
  ZcSipUa *ua;
  gboolean tls_on;             /* we have SIP over TLS (sip/tls.h) */
  ZcCallsLocalAddressFunc local_address_for;
  gpointer local_address_data;
  ZcPeerTable *peers;
  ZcRendezvous *rendezvous;    /* NULL without [rendezvous] registrar */
  ZcIdentity *identity;        /* the agent's key for DTLS; NULL: offers go without a=fingerprint */
  ZcCallsCallbacks observer;
  gpointer observer_data;
  const ZcCallStreamOps *media_ops;
  ZcCallTimers timers;
  GPtrArray *calls;            /* ZcCall*, oldest first */
  guint next_id;
  gboolean dnd;
  ZcForward *forward;          /* `zcall forward` (forward.h); NULL: off */
  guint last_conference;       /* the number of the latest conference (conference.c) */
};

/* call.c */
ZcCall *zc_call_new (ZcCalls *calls, gboolean outgoing, ZcCallState state);
void zc_call_free (ZcCall *call);
GVariant *zc_call_to_variant (ZcCall *call);
void zc_call_emit (ZcCall *call, const char *event);
/* Answered and not ended: active, or held at either end. */
gboolean zc_call_is_established (const ZcCall *call);
/* The call with @id, NULL when there is none. */
ZcCall *zc_calls_lookup (ZcCalls *calls, const char *id);
/* The one way a state changes: looks up (state, event) in the table.  An
 * event without a row is a bug, logged and otherwise ignored: FALSE. */
gboolean zc_call_fire (ZcCall *call, ZcCallEvent event);
/* TRUE when the table has a row for @event in the call's state. */
gboolean zc_call_can (ZcCall *call, ZcCallEvent event);
void zc_call_set_reason (ZcCall *call, const char *reason, guint status);
/* Ends the call for the core (resources go, "ended" goes out); a call
 * that has ended already stays as it is, since the user agent may report
 * the end of a session the core ended itself. */
void zc_call_end (ZcCall *call);
/* The one way to refuse an incoming call: @reason for the history, the
 * SIP rejection, the end. */
void zc_call_refuse (ZcCall *call, const char *reason, int status, const char *phrase);
/* An outgoing call whose RFC 8643 offer (RTP/AVP with a=fingerprint, and
 * a=crypto over TLS) got 488 from a peer that insists on an SRTP profile
 * tries the next one zc_call_offer_proto() names: RTP/SAVP (SDES, over
 * TLS only), then UDP/TLS/RTP/SAVPF.  TRUE when the call is taken care of
 * (a new INVITE is out, or the call ended trying): the caller must not
 * end it. */
gboolean zc_call_retry_secure (ZcCall *call, int status);
/* The m= profile of our offer after @retries 488s, NULL when there is
 * nothing left to try. */
const char *zc_call_offer_proto (ZcCall *call, guint retries);
/* Sends the INVITE anew (a new session, the same media) to the call's
 * peer_uri and flow as they are now: the 488 retry, a redirection. */
void zc_call_send_invite_again (ZcCall *call);
/* Hangs up (BYE/CANCEL) and ends with @reason when the media fails. */
void zc_call_end_for_media (ZcCall *call, const char *reason);
void zc_call_codec_describe (ZcCall *call, const ZcCodec *codec);
ZcSdpLocal zc_call_local_sdp (ZcCall *call, ZcMediaDirection direction);
ZcMediaDirection zc_call_our_direction (gboolean hold);
/* Negotiates an incoming offer once and keeps the result in call->offer. */
gboolean zc_call_negotiate_offer (ZcCall *call, const char *sdp, GError **error);
gboolean zc_call_stream_new (ZcCall *call, gboolean controlling, gboolean rtcp_mux, GError **error);
/* Our certificate's fingerprint for a=fingerprint ("sha-256 AB:..."), or
 * NULL when the agent has no identity (then media is plain). */
const char *zc_call_stream_fingerprint (ZcCall *call);
/* The dialog's signalling is TLS from us to the next hop (the INVITE went
 * or came over TLS): only then do our descriptions carry an SDES key, and
 * only then is the peer's taken. */
gboolean zc_call_signalling_secure (ZcCall *call);
/* Our SDES key for this call (made once, media/sdes-srtp.h), NULL on
 * clear signalling or when no key could be made. */
const char *zc_call_stream_sdes_key (ZcCall *call);
/* [security] media-encryption: whether plain RTP is acceptable for this
 * call. */
gboolean zc_call_stream_plain_allowed (ZcCall *call);
/* The pin check before any media starts: the peer's SDP (offer or answer)
 * against call->claimed_fingerprint.  NULL when it passes, else the
 * reason to end or refuse the call with ("encryption required",
 * "identity mismatch"). */
const char *zc_call_stream_check_pin (ZcCall *call, const ZcSdpSession *remote);
/* How the call's peer is shown: the proven name, or what the network
 * asserts marked "(unverified)".  A new string. */
char *zc_call_peer_display (ZcCall *call);
/* @sdes: the peer's a=crypto line agreed on (zc_sdp_agreement_get_crypto()
 * for an offer, zc_sdp_session_get_crypto() of an applied answer), NULL
 * when none: used only without DTLS and over TLS signalling. */
gboolean zc_call_stream_start (ZcCall *call,
                               const ZcSdpSession *remote,
                               const ZcCodec *chosen,
                               gint te_pt,
                               const ZcSdpCrypto *sdes);
gboolean zc_call_stream_is_started (ZcCall *call);
void zc_call_stop_tone (ZcCall *call);
void zc_call_ice_backstop_arm (ZcCall *call);
/* The peer's re-offer carries a new ufrag: ours restarts too. */
gboolean zc_call_ice_restart_by_peer (ZcCall *call, const ZcSdpSession *offer, GError **error);
/* The peer's answer to the backstop's restart offer: its new ICE
 * attributes, or the start of the fresh stream (@chosen from the answer). */
gboolean zc_call_ice_restart_answered (ZcCall *call, const ZcSdpSession *answer, const ZcCodec *chosen, GError **error);
gboolean zc_call_answer (ZcCall *call, GError **error);
guint zc_call_timeout_add_ms (guint ms, GSourceFunc func, gpointer data);
/* Unanswered after @ms: an outgoing call hangs up, an incoming one gets 480. */
void zc_call_arm_ring_timeout (ZcCall *call, guint ms);

/* conference.c: @call ends; the conference it leaves with one call is
 * over. */
void zc_call_conference_ended (ZcCall *call);
/* conference.c: @call, answered in place of @replaced (RFC 3891), takes
 * its place in its conference, if it was in one; before @replaced ends. */
void zc_call_conference_inherit (ZcCall *call, ZcCall *replaced);

/* auto-answer.c: the [calls] auto-answer-from entry the caller matches
 * ("*", "trusted", "known", a URI, a peer name), or NULL. */
const char *zc_call_auto_answer_match (ZcCall *call);

/* calls.c: a new call in the list, the history trimmed first. */
ZcCall *zc_calls_add (ZcCalls *calls, gboolean outgoing, ZcCallState state);

/* calls-incoming.c: [calls] accept-from (ZcAcceptFrom flags) for a call
 * whose request came from the rendezvous registrar/proxy, or from an
 * address on the LAN. */
gboolean zc_calls_source_accepted (guint accept_from, gboolean from_registrar, gboolean on_lan);
/* calls-incoming.c: the user agent's new INVITE, outside any dialog. */
void zc_calls_ua_incoming_cb (ZcSipSession *session, const char *sdp, const ZcSipFlow *from, gpointer user_data);

/* calls-waiting.c: several calls, one talked on. */
/* [calls] call-waiting=false and the line is taken: a new call gets 486. */
gboolean zc_calls_waiting_refuses (ZcCalls *calls);
/* Holds every call we talk on but @keep (re-INVITE, as zcall hold). */
void zc_calls_hold_others (ZcCalls *calls, ZcCall *keep);
/* The media follows the hold flags: silent both ways while held. */
void zc_call_apply_hold (ZcCall *call);
/* An incoming call rings as the call-waiting tone: TRUE when another
 * call is talked on (the ring device stays quiet). */
gboolean zc_call_waiting_replaces_ring (ZcCall *call);
/* After each event of a call: the answered one is the only one talked
 * on, and the tone plays where it should. */
void zc_calls_waiting_event (ZcCall *call, const char *event);
/* transfer.c: the user agent's REFER events, and every event of a call
 * (from zc_call_emit) for the NOTIFYs of a call placed on a REFER. */
int zc_transfer_refer_cb (ZcSipSession *session, const char *refer_to, gpointer user_data);
void zc_transfer_progress_cb (ZcSipSession *session, gboolean notify, int status, int expires, gpointer user_data);
void zc_transfer_call_changed (ZcCall *call, const char *event);
/* Places the new call a REFER of @call asks for (after the policy, or
 * the user, said yes): 202, or 603 when it cannot be placed. */
int zc_transfer_carry_out (ZcCall *call, const char *refer_to);

/* transfer-ask.c: a REFER to ask the user about (202: accepted, the
 * answer comes as NOTIFY), and the end of the question with the call. */
#define ZC_TRANSFER_ASK_TIMEOUT_MS 30000
int zc_transfer_ask (ZcCall *call, const char *refer_to);
void zc_transfer_ask_clear (ZcCall *call);

/* transfer-attended.c */
/* The transfer stage our REFER reached on @call (transfer.c) moves the
 * call it replaces along: done ends it, failed leaves it as it was. */
void zc_transfer_attended_progress (ZcCall *call);
/* Every event of a call: an answered replacement ends the call it
 * replaces; a transferor's call that ends undoes the other's. */
void zc_transfer_attended_call_changed (ZcCall *call, const char *event);
/* A REFER we carry out: the Replaces and Referred-By its new call's
 * INVITE carries on (@fresh: that call). */
void zc_transfer_take_refer_headers (ZcSipSession *session, ZcCall *fresh);
/* An incoming call: FALSE when it replaces a call (RFC 3891) and was
 * refused (it ended); TRUE otherwise, call->replaces_call set for one
 * that replaces a call of ours. */
gboolean zc_transfer_replaces_incoming (ZcCall *call);
/* Instead of ringing: TRUE when the call replaces one and was answered
 * at once. */
gboolean zc_transfer_replacing_answer (ZcCall *call);
/* The same for the agent: the state the call was moved to. */
void zc_transfer_set_stage (ZcCall *call, const char *stage);
/* Our REFER on @call went out: the transfer fails unless a final NOTIFY
 * comes within the implicit subscription (ZC_SIP_REFER_SUBSCRIPTION_S,
 * or less when the peer's Subscription-State says so). */
void zc_transfer_watch (ZcCall *call);

/* conference-leave.c: the transfer that joined the other two failed:
 * both calls end as a hang-up would have ended them. */
void zc_conference_leave_failed (ZcCall *call);

/* calls.c: what call.c asks of the list */
void zc_calls_trim_history (ZcCalls *calls);

/* call.c: the answer of a call whose relay was gathered at answer time
 * (call-stream.c, once the media is ready again). */
void zc_call_finish_answer (ZcCall *call);

/* Test hooks: the media, the timers, the local-address look-up and the
 * STUN/TURN servers (not owned; NULL: the rendezvous's). */
void zc_calls_set_ice_servers (ZcCalls *calls, const ZcIceServers *servers);
void zc_calls_set_media_ops (ZcCalls *calls, const ZcCallStreamOps *ops);
void zc_calls_set_timers (ZcCalls *calls, const ZcCallTimers *timers);
void zc_calls_set_local_address_func (ZcCalls *calls, ZcCallsLocalAddressFunc func, gpointer data);
