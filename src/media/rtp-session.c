/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "rtp"

#include "config.h"

#include "media/rtp-session.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>

#include <ortp/ortp.h>

/* Largest datagram we carry: a UDP payload (RFC 768). */
#define ZC_RTP_DATAGRAM_MAX 65507

/* One oRTP endpoint (the thing at the bottom of oRTP's meta transport)
 * per component: 1 carries RTP (and RTCP when muxed), 2 carries RTCP. */
typedef struct {
  ZcRtpSession *session;
  guint component_id;
} Endpoint;

/* A datagram as libnice handed it over, with its arrival time. */
typedef struct {
  gint64 arrival_us; /* g_get_real_time(): oRTP's RTCP clock is gettimeofday() */
  gsize len;
  guint8 data[];
} Datagram;

/* Arrival times of the last RTCP datagrams, found again by their first
 * bytes (header, SSRC and, in an SR, the NTP timestamp): with rtcp-mux the
 * meta transport hands oRTP a dupmsg() of our buffer, which loses the
 * mblk's timestamp field. */
#define RTCP_ARRIVALS 8
#define RTCP_KEY_BYTES 16
typedef struct {
  gint64 arrival_us;
  guint8 key[RTCP_KEY_BYTES];
  gboolean is_sr;
  guint32 sr_ntp_mid; /* middle 32 bits of the SR's NTP timestamp = the LSR that refers to it */
} RtcpArrival;

/* Seconds from 1900 (NTP era 0) to 1970 (RFC 5905 6). */
#define NTP_UNIX_OFFSET_S G_GUINT64_CONSTANT (2208988800)

struct _ZcRtpSession {
  ZcIceAgent *agent;
  ZcDtlsSrtp *dtls;     /* NULL: no DTLS */
  ZcSrtp *sdes;         /* SRTP keyed by SDES; NULL with DTLS or plain RTP */
  RtpSession *rtp;
  RtpProfile *profile;
  OrtpEvQueue *events;
  /* Datagrams from libnice (GMainContext) to the media thread, one queue
   * per component; elements are Datagram. */
  GAsyncQueue *queue[3];
  guint n_components;
  guint32 ts_base;      /* random first timestamp (RFC 3550 5.1) */
  guint8 payload_type;
  int last_send_errno;  /* set by the endpoint during a send, media thread */
  guint clock_rate;
  double remote_loss_pct;
  double rtt_ms;        /* -1 until measured */
  /* RFC 3550 A.8 interarrival jitter on real arrival times (oRTP's own
   * uses the caller's tick as arrival time), media thread. */
  RtcpArrival rtcp_arrivals[RTCP_ARRIVALS];
  guint rtcp_arrival_next;
  gboolean jitter_started;
  guint32 jitter_ssrc;
  gint64 jitter_prev_transit; /* clock units */
  double jitter_units;
  /* Loss of the incoming stream as RFC 3550 A.3 counts it, on every
   * packet rather than oRTP's cum_packet_loss, which moves only when a
   * report is made (every 5 s or so: `zcall calls` showed a loss seconds
   * late, and a loss window shorter than the report interval as hardly
   * any).  Media thread. */
  gboolean seq_started;
  guint32 seq_ssrc;
  guint16 max_seq;
  guint32 bad_seq;      /* A.1: after a jump, the sequence number that confirms it */
  guint32 base_seq;
  guint32 seq_cycles;
  guint64 seq_received;
  gint64 lost_before;   /* of the SSRCs and sequences before this one */
  /* Touched by the libnice side, read by the media thread. */
  _Atomic gint64 last_rx_us;
  _Atomic guint64 queue_drops;
  _Atomic guint64 srtp_failures;
};

G_DEFINE_QUARK (zc-rtp-error-quark, zc_rtp_error)

static gpointer
ortp_init_once (gpointer data G_GNUC_UNUSED)
{
  ortp_init ();
  /* oRTP logs through bctoolbox to stdout at every level by default. */
  bctbx_set_log_level_mask ("ortp", BCTBX_LOG_ERROR | BCTBX_LOG_FATAL);
  bctbx_set_log_level_mask (NULL, BCTBX_LOG_ERROR | BCTBX_LOG_FATAL);
  return NULL;
}

static void
ensure_ortp (void)
{
  static GOnce once = G_ONCE_INIT;

  g_once (&once, ortp_init_once, NULL);
}

void
zc_rtp_session_config_init (ZcRtpSessionConfig *config, guint8 payload_type, const char *encoding_name,
                            guint clock_rate)
{
  memset (config, 0, sizeof (*config));
  config->payload_type = payload_type;
  config->encoding_name = encoding_name;
  config->clock_rate = clock_rate;
  config->channels = 1;
  config->telephone_event_pt = -1;
  config->rtcp_interval_ms = 5000;
}

/* ---- The endpoint ------------------------------------------------------- */

static ortp_socket_t
endpoint_getsocket (RtpTransport *t G_GNUC_UNUSED)
{
  /* There is no socket oRTP may touch: libnice owns them (and handing
   * libnice's fd to oRTP breaks relay pairs and consent, lab notes). */
  return (ortp_socket_t) -1;
}

static guint32
read_be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

/* RFC 3550 6.4.1: DLSR is the delay between receiving the peer's last SR
 * and sending this report.  oRTP measures it from when it processed the
 * SR, which here is the media thread's next poll (up to a tick after the
 * datagram arrived), and may send the report in that same call: that made
 * the peer's RTT read up to 20 ms on loopback.  So every outgoing SR/RR
 * report block whose LSR names an SR we saw gets its DLSR recomputed from
 * the real arrival. */
static void
fix_dlsr (ZcRtpSession *session, guint8 *buf, gsize len)
{
  gsize off = 0;
  gint64 now_us = g_get_real_time ();

  while (off + 8 <= len) {
    guint8 *p = buf + off;
    guint count = p[0] & 0x1f;
    guint pt = p[1];
    gsize plen = ((gsize) ((p[2] << 8) | p[3]) + 1) * 4;
    gsize blocks;

    if ((p[0] >> 6) != 2 || off + plen > len)
      return;
    if (pt == 200)
      blocks = 8 + 20; /* header + SSRC, sender info (RFC 3550 6.4.1) */
    else if (pt == 201)
      blocks = 8;
    else
      blocks = 0;
    for (guint i = 0; blocks != 0 && i < count && blocks + (i + 1) * 24 <= plen; i++) {
      guint8 *rb = p + blocks + i * 24;
      guint32 lsr = read_be32 (rb + 16);

      if (lsr == 0)
        continue;
      for (guint j = 0; j < RTCP_ARRIVALS; j++) {
        const RtcpArrival *a = &session->rtcp_arrivals[j];

        if (a->is_sr && a->sr_ntp_mid == lsr && a->arrival_us != 0 && now_us >= a->arrival_us) {
          guint64 dlsr = (guint64) (now_us - a->arrival_us) * 65536 / G_USEC_PER_SEC;

          dlsr = MIN (dlsr, G_MAXUINT32);
          rb[20] = (guint8) (dlsr >> 24);
          rb[21] = (guint8) (dlsr >> 16);
          rb[22] = (guint8) (dlsr >> 8);
          rb[23] = (guint8) dlsr;
          break;
        }
      }
    }
    off += plen;
  }
}

/* The session encrypts (DTLS-SRTP or SDES): nothing goes out or comes in
 * in the clear, keyed or not yet. */
static gboolean
is_secured (ZcRtpSession *session)
{
  return session->dtls != NULL || session->sdes != NULL;
}

/* The SRTP contexts to use now: SDES ones from the start, DTLS ones once
 * the handshake installed them; NULL before. */
static ZcSrtp *
current_srtp (ZcRtpSession *session)
{
  return session->dtls != NULL ? zc_dtls_srtp_get_srtp (session->dtls) : session->sdes;
}

/* RFC 5761 4: RTCP's packet types 192-223 are what RTP payload types
 * 64-95 with the marker bit would read as, so the second byte tells them
 * apart on a muxed component. */
static gboolean
is_rtcp (guint component_id, const guint8 *data, gsize len)
{
  return component_id == ZC_ICE_COMPONENT_RTCP || (len >= 2 && data[1] >= 192 && data[1] <= 223);
}

static int
endpoint_sendto (RtpTransport *t, mblk_t *msg, int flags G_GNUC_UNUSED, const struct sockaddr *to G_GNUC_UNUSED,
                 socklen_t tolen G_GNUC_UNUSED)
{
  Endpoint *ep = t->data;
  guint8 buf[ZC_RTP_DATAGRAM_MAX];
  gsize len = 0;
  int ret;

  /* RTCP compound packets may be chained blocks: flatten. */
  for (mblk_t *m = msg; m != NULL; m = m->b_cont) {
    gsize part = (gsize) (m->b_wptr - m->b_rptr);

    if (len + part > sizeof buf) {
      ep->session->last_send_errno = EMSGSIZE;
      errno = EMSGSIZE;
      return -1;
    }
    memcpy (buf + len, m->b_rptr, part);
    len += part;
  }
  fix_dlsr (ep->session, buf, len);
  if (is_secured (ep->session)) {
    ZcSrtp *srtp = current_srtp (ep->session);

    ret = srtp != NULL ? zc_srtp_protect (srtp, buf, sizeof buf, &len, is_rtcp (ep->component_id, buf, len))
                       : -ENOTCONN;
    if (ret == -ENOTCONN)
      return (int) len; /* RTCP before the keys: never in the clear */
    if (ret < 0) {
      ep->session->last_send_errno = -ret;
      errno = -ret;
      return -1;
    }
  }
  ret = zc_ice_agent_send (ep->session->agent, ep->component_id, buf, len);
  if (ret < 0) {
    ep->session->last_send_errno = -ret;
    errno = -ret;
    return -1;
  }
  return ret;
}

/* RFC 3550 6.4.1 / A.8, on the time libnice handed us the packet. */
static void
jitter_update (ZcRtpSession *session, const guint8 *data, gsize len, gint64 arrival_us)
{
  guint8 pt;
  guint32 ts, ssrc;
  gint64 arrival, transit, d;

  if (len < RTP_FIXED_HEADER_SIZE || (data[0] >> 6) != 2)
    return;
  pt = data[1] & 0x7f;
  if (pt != session->payload_type) /* RTCP (mux) and telephone-events */
    return;
  ts = ((guint32) data[4] << 24) | ((guint32) data[5] << 16) | ((guint32) data[6] << 8) | data[7];
  ssrc = ((guint32) data[8] << 24) | ((guint32) data[9] << 16) | ((guint32) data[10] << 8) | data[11];
  /* In clock units; split so that wall-clock µs times the rate cannot
   * overflow 64 bits (UBSan caught arrival_us * rate). */
  arrival = (arrival_us / G_USEC_PER_SEC) * (gint64) session->clock_rate +
            (arrival_us % G_USEC_PER_SEC) * (gint64) session->clock_rate / G_USEC_PER_SEC;
  /* Transit in 32-bit wrapping clock units; only differences matter. */
  transit = (gint64) (gint32) ((guint32) arrival - ts);
  if (!session->jitter_started || ssrc != session->jitter_ssrc) {
    session->jitter_started = TRUE;
    session->jitter_ssrc = ssrc;
    session->jitter_prev_transit = transit;
    session->jitter_units = 0;
    return;
  }
  d = (gint64) (gint32) (guint32) (transit - session->jitter_prev_transit);
  session->jitter_prev_transit = transit;
  session->jitter_units += ((double) ABS (d) - session->jitter_units) / 16.0;
}

static int
endpoint_recvfrom (RtpTransport *t, mblk_t *msg, int flags G_GNUC_UNUSED, struct sockaddr *from, socklen_t *fromlen)
{
  Endpoint *ep = t->data;
  Datagram *d = g_async_queue_try_pop (ep->session->queue[ep->component_id]);
  gsize len, room;

  if (d == NULL)
    return 0; /* empty: oRTP stops reading for this round */
  len = d->len;
  room = (gsize) (dblk_lim (msg->b_datap) - msg->b_wptr);
  if (len > room)
    len = room;
  /* Copy at b_wptr and do not advance it: the meta transport and
   * rtp_session_rtp_recv() advance it by the returned length. */
  memcpy (msg->b_wptr, d->data, len);
  if (len >= RTCP_KEY_BYTES
      && (ep->component_id == ZC_ICE_COMPONENT_RTCP || (d->data[1] >= 192 && d->data[1] <= 223))) {
    /* RTCP: its packet types 192-223 are what RTP payload types 64-95 with
     * the marker bit would read as (RFC 5761 4), so the second byte tells
     * them apart.  Not "PT >= 64": that took Opus (111) for RTCP. */
    RtcpArrival *a = &ep->session->rtcp_arrivals[ep->session->rtcp_arrival_next++ % RTCP_ARRIVALS];

    a->arrival_us = d->arrival_us;
    memcpy (a->key, d->data, RTCP_KEY_BYTES);
    /* An SR leads its compound (RFC 3550 6.1); NTP msw/lsw at 8..15. */
    a->is_sr = d->data[1] == 200;
    a->sr_ntp_mid = a->is_sr ? read_be32 (d->data + 10) : 0;
  } else {
    jitter_update (ep->session, d->data, len, d->arrival_us);
  }
  g_free (d);
  if (from != NULL && fromlen != NULL) {
    /* libnice does not tell us the source; oRTP only needs a family. */
    struct sockaddr_in sin = { .sin_family = AF_INET };

    if (*fromlen >= sizeof sin) {
      memcpy (from, &sin, sizeof sin);
      *fromlen = sizeof sin;
    } else {
      *fromlen = 0;
    }
  }
  return (int) len;
}

static void
endpoint_close (RtpTransport *t G_GNUC_UNUSED)
{
}

static void
endpoint_destroy (RtpTransport *t)
{
  g_free (t->data);
  g_free (t);
}

static RtpTransport *
endpoint_new (ZcRtpSession *session, guint component_id)
{
  RtpTransport *t = g_new0 (RtpTransport, 1);
  Endpoint *ep = g_new0 (Endpoint, 1);

  ep->session = session;
  ep->component_id = component_id;
  t->data = ep;
  t->t_getsocket = endpoint_getsocket;
  t->t_sendto = endpoint_sendto;
  t->t_recvfrom = endpoint_recvfrom;
  t->t_close = endpoint_close;
  t->t_destroy = endpoint_destroy;
  return t;
}

/* libnice's receive callback, on the agent's GMainContext. */
static void
agent_recv_cb (ZcIceAgent *agent G_GNUC_UNUSED, guint component_id, const guint8 *buf, gsize len, gpointer user_data)
{
  ZcRtpSession *session = user_data;
  GAsyncQueue *queue;
  Datagram *d;

  if (component_id == 0 || component_id > session->n_components || len == 0)
    return;
  /* The media timeout counts what is accepted: the handshake, and packets
   * that pass SRTP; forged ones must not keep a dead call alive. */
  if (session->dtls != NULL) {
    /* RFC 7983 7: 20-63 DTLS, 128-191 RTP and RTCP; the rest is dropped,
     * and so is all RTP before the keys. */
    if (zc_dtls_srtp_is_dtls (buf, len)) {
      /* One handshake, on component 1 (dtls-srtp.h); a peer's second one
       * on the RTCP component (baresip without rtcp-mux) is not ours. */
      if (component_id == ZC_ICE_COMPONENT_RTP) {
        atomic_store_explicit (&session->last_rx_us, g_get_monotonic_time (), memory_order_relaxed);
        zc_dtls_srtp_receive (session->dtls, buf, len);
      }
      return;
    }
  }
  if (is_secured (session) && (buf[0] < 128 || buf[0] > 191 || current_srtp (session) == NULL))
    return;
  queue = session->queue[component_id];
  if (g_async_queue_length (queue) >= ZC_RTP_RECV_QUEUE_MAX) {
    atomic_fetch_add_explicit (&session->queue_drops, 1, memory_order_relaxed);
    return;
  }
  d = g_malloc (sizeof (Datagram) + len);
  d->arrival_us = g_get_real_time ();
  d->len = len;
  memcpy (d->data, buf, len);
  if (is_secured (session)
      && zc_srtp_unprotect (current_srtp (session), d->data, &d->len, is_rtcp (component_id, buf, len)) < 0) {
    /* Forged, replayed or from before a rekey: never played. */
    atomic_fetch_add_explicit (&session->srtp_failures, 1, memory_order_relaxed);
    g_free (d);
    return;
  }
  atomic_store_explicit (&session->last_rx_us, g_get_monotonic_time (), memory_order_relaxed);
  g_async_queue_push (queue, d);
}

/* ---- Session ----------------------------------------------------------- */

static PayloadType *
payload_type_make (const char *name, guint clock_rate, guint channels)
{
  PayloadType *pt = payload_type_new ();

  pt->type = PAYLOAD_AUDIO_PACKETIZED;
  pt->clock_rate = (int) clock_rate;
  pt->channels = channels != 0 ? (int) channels : 1;
  pt->mime_type = ortp_strdup (name);
  return pt;
}

ZcRtpSession *
zc_rtp_session_new (ZcIceAgent *agent, const ZcRtpSessionConfig *config, GError **error)
{
  ZcRtpSession *session;
  RtpTransport *rtp_tr = NULL, *rtcp_tr = NULL;
  JBParameters jbp;
  g_autofree char *cname = NULL;

  if (config->payload_type > 127 || config->clock_rate == 0 || config->encoding_name == NULL ||
      config->telephone_event_pt > 127 || config->telephone_event_pt == config->payload_type) {
    g_set_error (error, ZC_RTP_ERROR, ZC_RTP_ERROR_INVALID, "rtp: bad payload configuration (pt %u, %s/%u)",
                 config->payload_type, config->encoding_name != NULL ? config->encoding_name : "?",
                 config->clock_rate);
    return NULL;
  }
  ensure_ortp ();

  session = g_new0 (ZcRtpSession, 1);
  session->agent = agent;
  session->dtls = config->dtls;
  session->sdes = config->dtls == NULL ? config->sdes : NULL;
  session->n_components = zc_ice_agent_get_n_components (agent);
  session->payload_type = config->payload_type;
  session->remote_loss_pct = -1;
  session->rtt_ms = -1;
  session->clock_rate = config->clock_rate;
  for (guint c = 1; c <= session->n_components; c++)
    session->queue[c] = g_async_queue_new_full (g_free);

  session->profile = rtp_profile_new ("zcall");
  rtp_profile_set_payload (session->profile, config->payload_type,
                           payload_type_make (config->encoding_name, config->clock_rate, config->channels));
  if (config->telephone_event_pt >= 0)
    /* Not named "telephone-event": oRTP would take those packets into
     * its own telephone-event queue, and zcall's dtmf.c wants them. */
    rtp_profile_set_payload (session->profile, config->telephone_event_pt,
                             payload_type_make ("x-zcall-telephone-event", config->clock_rate, 1));

  session->rtp = rtp_session_new (RTP_SESSION_SENDRECV);
  rtp_session_set_profile (session->rtp, session->profile);
  rtp_session_set_payload_type (session->rtp, config->payload_type);
  rtp_session_set_scheduling_mode (session->rtp, FALSE);
  rtp_session_set_blocking_mode (session->rtp, FALSE);
  rtp_session_set_symmetric_rtp (session->rtp, FALSE);

  /* RFC 3550 5.1: random SSRC (oRTP picks one too; make it ours), random
   * first sequence number and timestamp. */
  rtp_session_set_ssrc (session->rtp, g_random_int ());
  rtp_session_set_seq_number (session->rtp, (guint16) g_random_int_range (0, 65536));
  session->ts_base = g_random_int ();

  /* Packets go to the media thread as they come: its own playout buffer
   * (media/jitter.h) times them.  oRTP's held 60-90 ms on a LAN with under
   * 1 ms of jitter, whatever depth it was given. */
  rtp_session_get_jitter_buffer_params (session->rtp, &jbp);
  jbp.enabled = FALSE;
  jbp.adaptive = FALSE; /* nor rewrite the timestamps for its drift correction */
  rtp_session_set_jitter_buffer_params (session->rtp, &jbp);

  rtp_session_enable_rtcp (session->rtp, TRUE);
  rtp_session_set_rtcp_report_interval (session->rtp,
                                        config->rtcp_interval_ms != 0 ? (int) config->rtcp_interval_ms : 5000);
  cname = config->cname != NULL ? g_strdup (config->cname) : g_strdup_printf ("zcall-%08x", g_random_int ());
  rtp_session_set_source_description (session->rtp, cname, NULL, NULL, NULL, NULL, "zcall", NULL);

  /* The meta transports oRTP created get our endpoints at their bottom. */
  rtp_session_get_transports (session->rtp, &rtp_tr, &rtcp_tr);
  if (rtp_tr == NULL || rtcp_tr == NULL) {
    g_set_error (error, ZC_RTP_ERROR, ZC_RTP_ERROR_FAILED, "rtp: oRTP session has no meta transports");
    zc_rtp_session_free (session);
    return NULL;
  }
  meta_rtp_transport_set_endpoint (rtp_tr, endpoint_new (session, ZC_ICE_COMPONENT_RTP));
  if (session->n_components == 1) {
    /* RFC 5761: RTCP rides on the RTP component; oRTP's RTCP meta
     * transport forwards to the RTP one and sorts incoming RTCP out by
     * payload type 64..95. */
    rtp_session_enable_rtcp_mux (session->rtp, TRUE);
  } else {
    meta_rtp_transport_set_endpoint (rtcp_tr, endpoint_new (session, ZC_ICE_COMPONENT_RTCP));
  }

  session->events = ortp_ev_queue_new ();
  rtp_session_register_event_queue (session->rtp, session->events);

  zc_ice_agent_set_recv_func (agent, agent_recv_cb, session);
  return session;
}

void
zc_rtp_session_free (ZcRtpSession *session)
{
  if (session == NULL)
    return;
  if (session->agent != NULL)
    zc_ice_agent_set_recv_func (session->agent, NULL, NULL);
  if (session->rtp != NULL) {
    if (session->events != NULL)
      rtp_session_unregister_event_queue (session->rtp, session->events);
    rtp_session_destroy (session->rtp); /* destroys the transports and our endpoints */
  }
  if (session->events != NULL)
    ortp_ev_queue_destroy (session->events);
  if (session->profile != NULL)
    rtp_profile_destroy (session->profile); /* and its payload types */
  for (guint c = 1; c < G_N_ELEMENTS (session->queue); c++)
    if (session->queue[c] != NULL)
      g_async_queue_unref (session->queue[c]);
  g_free (session);
}

guint32
zc_rtp_session_get_ssrc (const ZcRtpSession *session)
{
  return rtp_session_get_send_ssrc ((RtpSession *) session->rtp);
}

int
zc_rtp_session_send (ZcRtpSession *session,
                     gint payload_type,
                     const guint8 *payload,
                     gsize len,
                     guint32 timestamp,
                     gboolean marker)
{
  mblk_t *m;
  int ret;
  ZcIceState state;

  if (payload_type > 127 || (payload == NULL && len > 0) || len > ZC_RTP_DATAGRAM_MAX - RTP_FIXED_HEADER_SIZE)
    return -EINVAL;
  /* Before ICE has a working pair, drop the frame here: oRTP would log an
   * error for every refused send (50 a second). */
  state = zc_ice_agent_get_state (session->agent, ZC_ICE_COMPONENT_RTP);
  if (state != ZC_ICE_STATE_CONNECTED && state != ZC_ICE_STATE_READY)
    return -ENOTCONN;
  /* Nothing in the clear: media waits for the DTLS-SRTP keys. */
  if (is_secured (session) && current_srtp (session) == NULL)
    return -ENOTCONN;
  m = rtp_session_create_packet (session->rtp, RTP_FIXED_HEADER_SIZE, payload, len);
  rtp_set_markbit (m, marker ? 1 : 0);
  rtp_set_payload_type (m, payload_type >= 0 ? payload_type : session->payload_type);
  session->last_send_errno = 0;
  /* Takes ownership of m; also sends RTCP when one is due. */
  ret = rtp_session_sendm_with_ts (session->rtp, m, session->ts_base + timestamp);
  if (session->last_send_errno != 0)
    return -session->last_send_errno;
  if (ret < 0)
    return -EIO;
  return ret;
}

/* The middle 32 bits of the NTP timestamp of @unix_us (RFC 3550 4). */
static guint32
ntp_middle32 (gint64 unix_us)
{
  guint64 sec = (guint64) (unix_us / G_USEC_PER_SEC) + NTP_UNIX_OFFSET_S;
  guint64 frac16 = (guint64) (unix_us % G_USEC_PER_SEC) * 65536 / G_USEC_PER_SEC;

  return (guint32) (((sec & 0xffff) << 16) | frac16);
}

/* What oRTP gets wrong when it reads datagrams long after they arrived:
 * it stamps RTCP with the time it processes it (gettimeofday() in
 * process_rtcp_packet()), which here is when the media thread next polls,
 * up to one tick late.  That inflated RTT by up to two ticks on loopback
 * (our delay, plus the peer's in its DLSR).  So, from the RTCP packets oRTP
 * posted on our event queue, matched to the arrival times the endpoint
 * recorded (rtcp_arrivals):
 *   - RTT = arrival - LSR - DLSR (RFC 3550 6.4.1), computed here (the
 *     DLSR we send is corrected in fix_dlsr());
 *   - the fraction lost the peer reports about our stream. */
static void
drain_events (ZcRtpSession *session)
{
  OrtpEvent *ev;
  guint32 our_ssrc = rtp_session_get_send_ssrc (session->rtp);

  while ((ev = ortp_ev_queue_get (session->events)) != NULL) {
    mblk_t *m = ortp_event_get_data (ev)->packet;

    if (ortp_event_get_type (ev) == ORTP_EVENT_RTCP_PACKET_RECEIVED && m != NULL) {
      gint64 arrival_us = 0;

      if ((gsize) (m->b_wptr - m->b_rptr) >= RTCP_KEY_BYTES)
        for (guint i = 0; i < RTCP_ARRIVALS; i++)
          if (session->rtcp_arrivals[i].arrival_us != 0 &&
              memcmp (session->rtcp_arrivals[i].key, m->b_rptr, RTCP_KEY_BYTES) == 0)
            arrival_us = session->rtcp_arrivals[i].arrival_us;

      do {
        const report_block_t *rb = NULL;

        if (rtcp_is_SR (m))
          rb = rtcp_SR_get_report_block (m, 0);
        else if (rtcp_is_RR (m))
          rb = rtcp_RR_get_report_block (m, 0);
        /* oRTP bounds the block by the packet's length field, not by the
         * bytes that came: a forged length made us read past the datagram. */
        if (rb != NULL && (const guint8 *) (rb + 1) > m->b_wptr)
          rb = NULL;
        if (rb == NULL || report_block_get_ssrc (rb) != our_ssrc)
          continue;
        session->remote_loss_pct = report_block_get_fraction_lost (rb) * 100.0 / 256.0;
        if (arrival_us > 0) {
          guint32 lsr = report_block_get_last_SR_time (rb);
          guint32 dlsr = report_block_get_last_SR_delay (rb);
          gint32 rtt = (gint32) (ntp_middle32 (arrival_us) - lsr - dlsr);

          if (lsr != 0 && rtt >= 0)
            session->rtt_ms = rtt * 1000.0 / 65536.0;
        }
      } while (rtcp_next_packet (m));
      rtcp_rewind (m);
    }
    ortp_event_destroy (ev);
  }
}

/* RFC 3550 A.1 in short: a packet too far from the last to be a reorder
 * or a gap starts a new sequence only when the next follows it. */
#define RTP_SEQ_MOD (1u << 16)
#define MAX_DROPOUT 3000
#define MAX_MISORDER 100

static gint64
seq_lost (const ZcRtpSession *session)
{
  gint64 expected;

  if (!session->seq_started)
    return session->lost_before;
  expected = (gint64) session->seq_cycles + session->max_seq - session->base_seq + 1;
  return session->lost_before + expected - (gint64) session->seq_received;
}

static void
seq_init (ZcRtpSession *session, guint32 ssrc, guint16 seq)
{
  session->lost_before = seq_lost (session);
  session->seq_started = TRUE;
  session->seq_ssrc = ssrc;
  session->base_seq = seq;
  session->max_seq = seq;
  session->bad_seq = RTP_SEQ_MOD + 1;
  session->seq_cycles = 0;
  session->seq_received = 0;
}

static void
seq_update (ZcRtpSession *session, guint32 ssrc, guint16 seq)
{
  guint16 udelta;

  if (!session->seq_started || ssrc != session->seq_ssrc)
    seq_init (session, ssrc, seq);
  udelta = (guint16) (seq - session->max_seq);
  if (udelta < MAX_DROPOUT) {
    if (seq < session->max_seq)
      session->seq_cycles += RTP_SEQ_MOD;
    session->max_seq = seq;
  } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
    if (seq != session->bad_seq) {
      session->bad_seq = (seq + 1u) & (RTP_SEQ_MOD - 1u);
      return;
    }
    seq_init (session, ssrc, seq);
  }
  /* else a duplicate or a reordered packet: counted, as A.3 counts it */
  session->seq_received++;
}

int
zc_rtp_session_recv (ZcRtpSession *session, guint32 user_ts, guint8 *buf, gsize size, ZcRtpPacketInfo *info)
{
  mblk_t *mp;
  unsigned char *payload = NULL;
  int len;

  mp = rtp_session_recvm_with_ts (session->rtp, user_ts);
  /* Without rtcp-mux oRTP reads the RTCP endpoint in the same call. */
  drain_events (session);
  if (mp == NULL)
    return -EAGAIN;
  seq_update (session, rtp_get_ssrc (mp), rtp_get_seqnumber (mp));
  len = rtp_get_payload (mp, &payload);
  if (len < 0 || (gsize) len > size) {
    freemsg (mp);
    return -ENOBUFS;
  }
  if (info != NULL) {
    info->payload_type = (guint8) rtp_get_payload_type (mp);
    info->marker = rtp_get_markbit (mp) != 0;
    info->sequence = rtp_get_seqnumber (mp);
    info->timestamp = rtp_get_timestamp (mp);
    info->ssrc = rtp_get_ssrc (mp);
  }
  if (len > 0)
    memcpy (buf, payload, (gsize) len);
  freemsg (mp);
  return len;
}

void
zc_rtp_session_get_stats (ZcRtpSession *session, ZcRtpStats *stats)
{
  const rtp_stats_t *s = rtp_session_get_stats (session->rtp);
  double expected;

  drain_events (session);
  memset (stats, 0, sizeof (*stats));
  stats->packets_sent = s->packet_sent;
  stats->packets_received = s->packet_recv;
  stats->bytes_sent = s->sent;
  stats->bytes_received = s->recv;
  stats->packets_lost = seq_lost (session);
  expected = (double) s->packet_recv + (double) MAX (stats->packets_lost, 0);
  stats->loss_pct = expected > 0 ? MAX (stats->packets_lost, 0) * 100.0 / expected : 0.0;
  stats->remote_loss_pct = session->remote_loss_pct;
  stats->jitter_ms = session->jitter_units * 1000.0 / session->clock_rate;
  stats->rtt_ms = session->rtt_ms;
  stats->rtcp_sent = s->sent_rtcp_packets;
  stats->rtcp_received = s->recv_rtcp_packets;
  stats->queue_drops = atomic_load_explicit (&session->queue_drops, memory_order_relaxed);
  stats->foreign_dropped = zc_ice_agent_get_foreign_dropped (session->agent);
  stats->srtp_failures = atomic_load_explicit (&session->srtp_failures, memory_order_relaxed);
  stats->last_rx_monotonic_us = atomic_load_explicit (&session->last_rx_us, memory_order_relaxed);
}
