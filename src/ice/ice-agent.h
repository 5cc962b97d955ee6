/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The ICE transport of one call's media: a thin wrapper over a libnice
 * NiceAgent (RFC 8445, signalled as in RFC 5245 / RFC 8839 a= lines).
 *
 * One agent carries one media stream: one component (RTP with RTCP muxed,
 * RFC 5761) or two (1 = RTP, 2 = RTCP).  The agent runs on the caller's
 * GMainContext, and every callback below is called there, never with a
 * libnice lock held (libnice emits its signals after unlocking).
 *
 * Two ways to connect:
 *   - ICE: zc_ice_agent_gather(), put zc_ice_agent_get_local_sdp() into the
 *     offer/answer, hand the peer's ice-ufrag/ice-pwd/candidate lines to
 *     zc_ice_agent_set_remote_sdp(); connectivity checks then run and the
 *     state and selected-pair callbacks report progress.  Media may start at
 *     CONNECTED (the lab notes: READY can come seconds later).
 *   - plain RTP, for a peer whose SDP has no ICE attributes (desk phones,
 *     sipp): zc_ice_agent_set_plain_remote() forces the remote candidate to
 *     its c=/m= address; libnice then sends there without checks.  Media
 *     is then accepted only from that address and port (a=rtcp or port + 1
 *     for RTCP on component 2): libnice would take any source, so the
 *     agent reads these sockets itself.  On ICE calls libnice accepts only
 *     remote addresses that passed a connectivity check.
 *
 * Host candidates, plus server-reflexive and relayed ones when a STUN or
 * TURN server is configured, and ICE-TCP (RFC 6544) host candidates when
 * asked (ice_tcp): a way through firewalls that drop UDP, for calls beyond
 * the LAN.  Not on the LAN, where UDP always gets through: with them
 * libnice took 40 ms longer from INVITE to the first RTP (voice benchmark,
 * median 34 -> 74 ms).  IPv6
 * link-local addresses are not used by default: they were gathered and won
 * pairs on a shared LAN in the lab, and cannot be reached off-link.  A
 * call over a link-local address (two PCs on a cable, no DHCP) passes its
 * scoped local address ("fe80::1%eth0") in local_addresses: then its host
 * candidates are link-local, written without the zone, and the peer's
 * link-local candidates and c= address are taken to be on that link.
 * UPnP is off.
 *
 * zc_ice_agent_send() and zc_ice_agent_get_state() may be called from any
 * thread (the media thread; libnice locks the agent); everything else
 * belongs to the thread that iterates the GMainContext.  In plain-RTP mode
 * libnice reports the component CONNECTED then READY at once. */
#pragma once

#include <gio/gio.h>

#define ZC_ICE_ERROR (zc_ice_error_quark ())

typedef enum {
  ZC_ICE_ERROR_FAILED,    /* libnice refused (bad address, no stream, ...) */
  ZC_ICE_ERROR_NO_ADDRESS, /* no usable local address to gather on */
  ZC_ICE_ERROR_BAD_SDP,   /* a remote ice-ufrag/ice-pwd/candidate line is unusable */
  ZC_ICE_ERROR_NOT_READY, /* gathering has not finished yet */
} ZcIceError;

GQuark zc_ice_error_quark (void);

/* The local port range desk phones and softphones commonly use for media
 * ([media] rtp-port-min/max). */
#define ZC_RTP_PORT_MIN 16384
#define ZC_RTP_PORT_MAX 32766

/* Component ids (RFC 8445 5.1.1.1 / RFC 5245 4.1.1.1). */
#define ZC_ICE_COMPONENT_RTP 1
#define ZC_ICE_COMPONENT_RTCP 2

/* Per-component state, mirroring NiceComponentState. */
typedef enum {
  ZC_ICE_STATE_DISCONNECTED,
  ZC_ICE_STATE_GATHERING,
  ZC_ICE_STATE_CONNECTING,
  ZC_ICE_STATE_CONNECTED, /* a working pair: media can flow */
  ZC_ICE_STATE_READY,     /* checks are over, a pair is nominated */
  ZC_ICE_STATE_FAILED,
} ZcIceState;

const char *zc_ice_state_to_string (ZcIceState state);

/* One end of a candidate pair, for logs and `zcall calls --json`. */
typedef struct {
  char type[8];      /* "host", "srflx", "prflx", "relay" (RFC 8839 5.1) */
  char address[48];  /* numeric IPv4 or IPv6 address */
  guint16 port;
  /* A local relayed candidate of the selected pair: how the TURN server
   * is reached, "udp", "tcp" or "tls"; "" otherwise or unknown. */
  char relay_transport[4];
} ZcIceCandidateInfo;

typedef struct _ZcIceAgent ZcIceAgent;

/* How the TURN server is reached (RFC 8656 3.1; RFC 7065 turn:/turns:).
 * The relayed candidates are UDP in every case: only the leg to the
 * server changes, for networks that let no UDP out. */
typedef enum {
  ZC_TURN_UDP,
  ZC_TURN_TCP,
  ZC_TURN_TLS,
} ZcTurnTransport;

/* The STUN and TURN servers of off-LAN candidates, numeric addresses;
 * each NULL when there is none: server-reflexive candidates from a STUN
 * server, relayed ones from a TURN server (RFC 8656, long-term
 * credentials, over turn_transport).  When both are the same server only TURN is asked: its
 * Allocate answer carries the mapped address too, and libnice drops the
 * separate Binding answers from it (lab notes: gathering then takes 2 s
 * longer).  The strings are borrowed. */
typedef struct {
  const char *stun_server;
  guint16 stun_port;
  const char *turn_server;
  guint16 turn_port;
  const char *turn_username;
  const char *turn_password;
  ZcTurnTransport turn_transport;
  /* ZC_TURN_TLS: the name the server's certificate must carry (NULL: the
   * address), and the CAs it must chain to (NULL: the system's). */
  const char *turn_name;
  const char *turn_ca_file;
  /* More relays on the same server besides turn_transport's (the ICE
   * restart backstop's fresh stream, for networks that let no UDP out):
   * ZC_TURN_EXTRA_TCP over TCP to turn_port, ZC_TURN_EXTRA_TLS over TLS to
   * turn_tls_port.  0: none. */
  guint extra_relays;
  guint16 turn_tls_port;
} ZcIceServers;

#define ZC_TURN_EXTRA_TCP (1u << ZC_TURN_TCP)
#define ZC_TURN_EXTRA_TLS (1u << ZC_TURN_TLS)
/* The turns: port when none is configured (RFC 7065 3.2). */
#define ZC_TURN_TLS_DEFAULT_PORT 5349

/* Host candidates have been gathered: zc_ice_agent_get_local_sdp() and
 * zc_ice_agent_get_default_address() are now valid. */
typedef void (*ZcIceGatheringDoneFunc) (ZcIceAgent *agent, gpointer user_data);
typedef void (*ZcIceStateFunc) (ZcIceAgent *agent, guint component_id, ZcIceState state, gpointer user_data);
typedef void (*ZcIceSelectedPairFunc) (ZcIceAgent *agent,
                                       guint component_id,
                                       const ZcIceCandidateInfo *local,
                                       const ZcIceCandidateInfo *remote,
                                       gpointer user_data);
/* A datagram that is not ICE's own (RTP or RTCP), on the GMainContext. */
typedef void (*ZcIceRecvFunc) (ZcIceAgent *agent, guint component_id, const guint8 *buf, gsize len, gpointer user_data);

typedef struct {
  ZcIceGatheringDoneFunc gathering_done;
  ZcIceStateFunc state_changed;
  ZcIceSelectedPairFunc selected_pair;
  gpointer user_data;
} ZcIceAgentCallbacks;

typedef struct {
  GMainContext *context;   /* NULL = the thread-default/global default */
  gboolean controlling;    /* RFC 8445 6.1.1: the offerer is controlling */
  gboolean rtcp_mux;       /* one component instead of two (RFC 5761) */
  /* Numeric addresses to gather host candidates on (e.g. { "127.0.0.1",
   * NULL } in tests); NULL = every interface address except loopback and
   * IPv6 link-local.  An IPv6 link-local one needs its zone ("%eth0"). */
  const char *const *local_addresses;
  /* Local UDP ports to bind host candidates in ([media] rtp-port-min/max,
   * so a firewall can let media through); 0 = any. */
  guint16 port_min, port_max;
  ZcIceServers servers;    /* off-LAN candidates */
  gboolean force_relay;    /* relayed candidates only (the backstop when nothing else connects) */
  gboolean ice_tcp;        /* also TCP host candidates (RFC 6544) */
  const char *call_id;     /* its log lines start "call <id>: "; NULL: a bare line */
} ZcIceAgentConfig;

ZcIceAgent *zc_ice_agent_new (const ZcIceAgentConfig *config, const ZcIceAgentCallbacks *callbacks, GError **error);
/* Closes the agent; with a TURN server, through nice_agent_close_async()
 * so the allocation is released (a Refresh with lifetime 0) rather than
 * left to time out on the server (lab notes). */
void zc_ice_agent_free (ZcIceAgent *agent);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcIceAgent, zc_ice_agent_free)

guint zc_ice_agent_get_n_components (const ZcIceAgent *agent);
gboolean zc_ice_agent_get_rtcp_mux (const ZcIceAgent *agent);
/* The answer agreed to rtcp-mux although we offered RTCP candidates too:
 * from now on RTCP goes with RTP on component 1 and component 2 is left
 * idle.  Call before zc_ice_agent_set_remote_sdp()/_set_plain_remote() and
 * before an RTP session is made on the agent. */
void zc_ice_agent_use_rtcp_mux (ZcIceAgent *agent);

/* Starts gathering; gathering_done follows on the context. */
gboolean zc_ice_agent_gather (ZcIceAgent *agent, GError **error);
gboolean zc_ice_agent_is_gathering_done (const ZcIceAgent *agent);

/* The ICE lines of our media description, each ending in CRLF:
 * "a=ice-ufrag:..", "a=ice-pwd:..", then one "a=candidate:.." per local
 * candidate (nice_agent_generate_local_candidate_sdp(), RFC 5245 15.1).
 * NULL with ZC_ICE_ERROR_NOT_READY before gathering is done. */
char *zc_ice_agent_get_local_sdp (ZcIceAgent *agent, GError **error);

/* The default candidate of a component: what goes into c=/m= (and
 * a=rtcp for component 2, RFC 3605, since libnice does not pick port+1).
 * *@address is newly allocated. */
gboolean zc_ice_agent_get_default_address (ZcIceAgent *agent,
                                           guint component_id,
                                           char **address,
                                           guint16 *port,
                                           GError **error);

/* The peer's ICE attributes.  @candidates: NULL-terminated lines, with or
 * without the "a=" prefix and line end.  Lines for a component we do not
 * have (component 2 when muxing) and lines libnice cannot parse are
 * ignored; no usable RTP candidate at all is an error.  Starts connectivity checks. */
gboolean zc_ice_agent_set_remote_sdp (ZcIceAgent *agent,
                                      const char *ufrag,
                                      const char *pwd,
                                      const char *const *candidates,
                                      GError **error);

/* ICE restart (RFC 8445 9): new local credentials, the peer's forgotten
 * until zc_ice_agent_set_remote_sdp() gives the new ones; the gathered
 * candidates stay.  Read zc_ice_agent_get_local_sdp() and the default
 * address again afterwards. */
gboolean zc_ice_agent_restart (ZcIceAgent *agent, GError **error);

/* Plain RTP: send to @address:@rtp_port (and @rtcp_port for component 2,
 * normally rtp_port + 1 or the peer's a=rtcp) without checks.  Needs
 * gathering to be done (a local host candidate of the same family). */
gboolean zc_ice_agent_set_plain_remote (ZcIceAgent *agent,
                                        const char *address,
                                        guint16 rtp_port,
                                        guint16 rtcp_port,
                                        GError **error);

/* Where received media goes.  Called on the GMainContext; NULL detaches. */
void zc_ice_agent_set_recv_func (ZcIceAgent *agent, ZcIceRecvFunc func, gpointer user_data);
/* Datagrams dropped because they did not come from the peer's plain-RTP
 * address (zc_ice_agent_set_plain_remote()).  Any thread. */
guint64 zc_ice_agent_get_foreign_dropped (ZcIceAgent *agent);

/* Sends one datagram on a component.  Any thread.  Returns @len, or
 * -ENOTCONN when there is no selected pair yet, -EINVAL for a bad
 * component, -EIO when the socket refused it. */
int zc_ice_agent_send (ZcIceAgent *agent, guint component_id, const guint8 *buf, gsize len);

ZcIceState zc_ice_agent_get_state (ZcIceAgent *agent, guint component_id);
/* The pair in use now; FALSE when there is none. */
gboolean zc_ice_agent_get_selected_pair (ZcIceAgent *agent,
                                         guint component_id,
                                         ZcIceCandidateInfo *local,
                                         ZcIceCandidateInfo *remote);
