/* SPDX-License-Identifier: GPL-3.0-or-later */
/* RTP over ICE, in one process on 127.0.0.1 only: two ZcIceAgents connect
 * with real connectivity checks (rtcp-mux, one component), and a second
 * pair talks plain RTP/RTCP to each other's c=/m= address (no ICE, two
 * components).  Each side sends 100 PCMU-sized frames on a 20 ms clock from
 * a media thread while the main thread iterates the GMainContext that
 * drives libnice; the frames must arrive complete and in order, with the
 * right payload type, sequence numbers and timestamps, and RTCP must have
 * produced statistics (RTT included).  In the plain pair a third socket
 * sends forged RTP to A's ports all along: none of it may arrive.  Last,
 * a raw socket plays a plain-RTP peer whose sequence numbers skip, wrap
 * and restart, and the loss must count as the packets come. */
#include "config.h"

#include "ice/ice-agent.h"
#include "media/rtp-session.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#define N_FRAMES 100
#define FRAME_BYTES 160     /* 20 ms of G.711 */
#define FRAME_TS 160        /* RTP clock units per frame at 8 kHz */
#define PTIME_US 20000
#define DRAIN_TICKS 25      /* ticks after the last send, to empty the jitter buffers */
#define PT_PCMU 0           /* RFC 3551 */
#define STEP_TIMEOUT_US (3 * G_USEC_PER_SEC)

static const char *const loopback_only[] = { "127.0.0.1", NULL };

/* ---- ICE agent side ------------------------------------------------------ */

typedef struct {
  gboolean gathered;
  ZcIceState state[3];
  gboolean have_pair;
  ZcIceCandidateInfo local, remote;
} Peer;

static void
gathering_done_cb (ZcIceAgent *agent G_GNUC_UNUSED, gpointer user_data)
{
  ((Peer *) user_data)->gathered = TRUE;
}

static void
state_changed_cb (ZcIceAgent *agent G_GNUC_UNUSED, guint component_id, ZcIceState state, gpointer user_data)
{
  Peer *peer = user_data;

  g_assert_cmpuint (component_id, <=, 2);
  peer->state[component_id] = state;
}

static void
selected_pair_cb (ZcIceAgent *agent G_GNUC_UNUSED,
                  guint component_id,
                  const ZcIceCandidateInfo *local,
                  const ZcIceCandidateInfo *remote,
                  gpointer user_data)
{
  Peer *peer = user_data;

  if (component_id != ZC_ICE_COMPONENT_RTP)
    return;
  peer->have_pair = TRUE;
  peer->local = *local;
  peer->remote = *remote;
}

static ZcIceAgent *
agent_new (Peer *peer, gboolean controlling, gboolean rtcp_mux)
{
  ZcIceAgentConfig config = {
    .context = g_main_context_default (),
    .controlling = controlling,
    .rtcp_mux = rtcp_mux,
    .local_addresses = loopback_only,
  };
  ZcIceAgentCallbacks callbacks = {
    .gathering_done = gathering_done_cb,
    .state_changed = state_changed_cb,
    .selected_pair = selected_pair_cb,
    .user_data = peer,
  };
  g_autoptr (GError) error = NULL;
  ZcIceAgent *agent = zc_ice_agent_new (&config, &callbacks, &error);

  g_assert_no_error (error);
  g_assert_nonnull (agent);
  return agent;
}

/* Iterates the default context until *@flag_a and *@flag_b, or fails. */
static void
iterate_until (const gboolean *flag_a, const gboolean *flag_b, const char *what)
{
  gint64 deadline = g_get_monotonic_time () + STEP_TIMEOUT_US;

  while (!(*flag_a && *flag_b)) {
    if (g_get_monotonic_time () > deadline)
      g_error ("timed out waiting for %s", what);
    g_main_context_iteration (NULL, FALSE);
    g_usleep (1000);
  }
}

static gboolean
state_up (ZcIceState s)
{
  return s == ZC_ICE_STATE_CONNECTED || s == ZC_ICE_STATE_READY;
}

/* Splits our own SDP lines back into what the peer would parse. */
static void
split_ice_sdp (const char *sdp, char **ufrag, char **pwd, GPtrArray *candidates)
{
  g_auto (GStrv) lines = g_strsplit (sdp, "\r\n", -1);

  *ufrag = *pwd = NULL;
  for (guint i = 0; lines[i] != NULL; i++) {
    if (g_str_has_prefix (lines[i], "a=ice-ufrag:"))
      *ufrag = g_strdup (lines[i] + strlen ("a=ice-ufrag:"));
    else if (g_str_has_prefix (lines[i], "a=ice-pwd:"))
      *pwd = g_strdup (lines[i] + strlen ("a=ice-pwd:"));
    else if (g_str_has_prefix (lines[i], "a=candidate:"))
      g_ptr_array_add (candidates, g_strdup (lines[i]));
    else
      g_assert_cmpstr (lines[i], ==, ""); /* nothing else, and CRLF-terminated */
  }
  g_ptr_array_add (candidates, NULL);
}

static void
exchange (ZcIceAgent *from, ZcIceAgent *to)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *sdp = zc_ice_agent_get_local_sdp (from, &error);
  g_autofree char *ufrag = NULL, *pwd = NULL;
  g_autoptr (GPtrArray) candidates = g_ptr_array_new_with_free_func (g_free);

  g_assert_no_error (error);
  g_test_message ("SDP:\n%s", sdp);
  /* Loopback only: no other address may appear. */
  g_assert_null (strstr (sdp, "fe80"));
  split_ice_sdp (sdp, &ufrag, &pwd, candidates);
  g_assert_nonnull (ufrag);
  g_assert_nonnull (pwd);
  g_assert_cmpuint (candidates->len, >=, 2);
  for (guint i = 0; i + 1 < candidates->len; i++) {
    g_assert_nonnull (strstr (candidates->pdata[i], " 127.0.0.1 "));
    g_assert_nonnull (strstr (candidates->pdata[i], " typ host"));
  }
  g_assert_true (zc_ice_agent_set_remote_sdp (to, ufrag, pwd, (const char *const *) candidates->pdata, &error));
  g_assert_no_error (error);
}

/* ---- Media thread --------------------------------------------------------- */

typedef struct {
  guint16 seq;
  guint32 ts;
  guint8 pt;
  gboolean payload_ok;
  guint index;
} Rx;

/* A PCMU packet's RTP header (RFC 3550 5.1). */
static void
rtp_header_fill (guint8 *pkt, guint32 ssrc, guint16 seq, guint32 ts)
{
  pkt[0] = 0x80;
  pkt[1] = PT_PCMU;
  pkt[2] = (guint8) (seq >> 8);
  pkt[3] = (guint8) seq;
  for (guint i = 0; i < 4; i++) {
    pkt[4 + i] = (guint8) (ts >> (24 - 8 * i));
    pkt[8 + i] = (guint8) (ssrc >> (24 - 8 * i));
  }
}

/* A third host on the LAN (another socket on 127.0.0.1) that sends forged
 * RTP, with B's SSRC and payload type and wild sequence numbers and
 * timestamps, to A's RTP and RTCP ports every 5 ms. */
typedef struct {
  GSocket *socket;
  GSocketAddress *to[2];
  guint32 ssrc;
  guint sent;
} Injector;

static gboolean
inject_cb (gpointer user_data)
{
  Injector *inj = user_data;
  guint8 pkt[12 + FRAME_BYTES];
  guint32 ts = g_random_int ();
  guint16 seq = (guint16) g_random_int ();

  memset (pkt, 0xee, sizeof pkt); /* index 0xee: check_stream() would notice one played */
  rtp_header_fill (pkt, inj->ssrc, seq, ts);
  for (guint c = 0; c < 2; c++)
    if (g_socket_send_to (inj->socket, inj->to[c], (const gchar *) pkt, sizeof pkt, NULL, NULL) > 0)
      inj->sent++;
  return G_SOURCE_CONTINUE;
}

typedef struct {
  ZcRtpSession *session[2];
  Rx rx[2][N_FRAMES * 2];
  guint n_rx[2];
  int send_errors[2];
  atomic_bool done;
} Media;

static void
frame_fill (guint8 *buf, guint index)
{
  buf[0] = (guint8) index;
  for (guint j = 1; j < FRAME_BYTES; j++)
    buf[j] = (guint8) (index * 7 + j);
}

static void
receive_all (Media *m, guint side, guint32 user_ts)
{
  guint8 buf[1500];
  ZcRtpPacketInfo info;
  int len;

  while ((len = zc_rtp_session_recv (m->session[side], user_ts, buf, sizeof buf, &info)) != -EAGAIN) {
    guint8 expect[FRAME_BYTES];
    Rx *rx;

    g_assert_cmpint (len, ==, FRAME_BYTES);
    g_assert_cmpuint (m->n_rx[side], <, G_N_ELEMENTS (m->rx[side]));
    rx = &m->rx[side][m->n_rx[side]++];
    rx->seq = info.sequence;
    rx->ts = info.timestamp;
    rx->pt = info.payload_type;
    rx->index = buf[0];
    frame_fill (expect, buf[0]);
    rx->payload_ok = memcmp (expect, buf, FRAME_BYTES) == 0;
  }
}

static gpointer
media_thread (gpointer data)
{
  Media *m = data;
  gint64 start = g_get_monotonic_time ();
  guint8 frame[FRAME_BYTES];

  for (guint tick = 0; tick < N_FRAMES + DRAIN_TICKS; tick++) {
    gint64 wait = start + (gint64) tick * PTIME_US - g_get_monotonic_time ();

    if (wait > 0)
      g_usleep ((gulong) wait);
    for (guint side = 0; side < 2; side++) {
      if (tick < N_FRAMES) {
        int ret;

        frame_fill (frame, tick);
        ret = zc_rtp_session_send (m->session[side], -1, frame, sizeof frame, tick * FRAME_TS, tick == 0);
        if (ret < 0)
          m->send_errors[side]++;
      }
      /* The receiver's own playout clock: random start, one frame a tick. */
      receive_all (m, side, 12345u + tick * FRAME_TS);
    }
  }
  atomic_store (&m->done, TRUE);
  g_main_context_wakeup (NULL);
  return NULL;
}

static void
check_stream (const Media *m, guint side)
{
  const char *name = side == 0 ? "A<-B" : "B<-A";

  g_test_message ("%s: %u frames received, first seq %u ts %u", name, m->n_rx[side], m->rx[side][0].seq,
                  m->rx[side][0].ts);
  g_assert_cmpuint (m->n_rx[side], ==, N_FRAMES);
  for (guint i = 0; i < m->n_rx[side]; i++) {
    const Rx *rx = &m->rx[side][i];

    g_assert_cmpuint (rx->pt, ==, PT_PCMU);
    g_assert_true (rx->payload_ok);
    g_assert_cmpuint (rx->index, ==, i); /* in order, none missing */
    g_assert_cmpuint ((guint16) (rx->seq - m->rx[side][0].seq), ==, i);
    g_assert_cmpuint ((guint32) (rx->ts - m->rx[side][0].ts), ==, i * FRAME_TS);
  }
}

static void
check_stats (Media *m)
{
  for (guint side = 0; side < 2; side++) {
    ZcRtpStats st;

    zc_rtp_session_get_stats (m->session[side], &st);
    g_test_message ("side %c: sent %" G_GUINT64_FORMAT " recv %" G_GUINT64_FORMAT " lost %" G_GINT64_FORMAT
                    " loss %.1f%% remote-loss %.1f%% jitter %.2f ms rtt %.3f ms rtcp %" G_GUINT64_FORMAT
                    "/%" G_GUINT64_FORMAT " drops %" G_GUINT64_FORMAT,
                    'A' + side, st.packets_sent, st.packets_received, st.packets_lost, st.loss_pct,
                    st.remote_loss_pct, st.jitter_ms, st.rtt_ms, st.rtcp_sent, st.rtcp_received, st.queue_drops);
    g_assert_cmpuint (st.packets_sent, ==, N_FRAMES);
    g_assert_cmpuint (st.packets_received, ==, N_FRAMES);
    g_assert_cmpint (st.packets_lost, ==, 0);
    g_assert_cmpfloat (st.loss_pct, ==, 0.0);
    g_assert_cmpuint (st.rtcp_sent, >, 0);
    g_assert_cmpuint (st.rtcp_received, >, 0);
    g_assert_cmpfloat (st.rtt_ms, >, 0.0);
    /* Loopback: normally under a millisecond (8.5 ms seen with three
     * busy loops on two cores: libnice's callback ran late).  Without the
     * arrival-time corrections in rtp-session.c it read 20-44 ms (the
     * 20 ms polling of the media thread, counted once or twice). */
    g_assert_cmpfloat (st.rtt_ms, <, 20.0);
    g_assert_cmpfloat (st.remote_loss_pct, ==, 0.0);
    g_assert_cmpfloat (st.jitter_ms, >=, 0.0);
    g_assert_cmpuint (st.queue_drops, ==, 0);
    g_assert_cmpint (st.last_rx_monotonic_us, >, 0);
  }
}

/* Plain RTP: A took nothing from the injector, and what it dropped does not
 * count as media received (the media timeout reads last_rx). */
static void
check_injected (Media *m, Injector *inj)
{
  ZcRtpStats st;
  gint64 last_rx, deadline;

  zc_rtp_session_get_stats (m->session[0], &st);
  g_test_message ("injector sent %u datagrams, A dropped %" G_GUINT64_FORMAT " as foreign", inj->sent,
                  st.foreign_dropped);
  g_assert_cmpuint (inj->sent, >, 100);
  g_assert_cmpuint (st.foreign_dropped, >=, inj->sent / 2);
  last_rx = st.last_rx_monotonic_us;
  deadline = g_get_monotonic_time () + 100 * 1000;
  while (g_get_monotonic_time () < deadline) /* B is silent now, the injector is not */
    g_main_context_iteration (NULL, FALSE);
  zc_rtp_session_get_stats (m->session[0], &st);
  g_assert_cmpint (st.last_rx_monotonic_us, ==, last_rx);
}

static void
run_media (ZcIceAgent *a, ZcIceAgent *b, Injector *inj)
{
  guint inject_id = 0;
  ZcRtpSessionConfig config;
  g_autoptr (GError) error = NULL;
  g_autofree Media *m = g_new0 (Media, 1);
  GThread *thread;

  zc_rtp_session_config_init (&config, PT_PCMU, "PCMU", 8000);
  config.telephone_event_pt = 101;
  config.rtcp_interval_ms = 500; /* so RTCP (and RTT) shows up within the test */
  m->session[0] = zc_rtp_session_new (a, &config, &error);
  g_assert_no_error (error);
  m->session[1] = zc_rtp_session_new (b, &config, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (zc_rtp_session_get_ssrc (m->session[0]), !=, zc_rtp_session_get_ssrc (m->session[1]));

  if (inj != NULL) {
    inj->ssrc = zc_rtp_session_get_ssrc (m->session[1]);
    inject_id = g_timeout_add (5, inject_cb, inj);
  }
  thread = g_thread_new ("media", media_thread, m);
  while (!atomic_load (&m->done))
    g_main_context_iteration (NULL, TRUE);
  g_thread_join (thread);

  g_assert_cmpint (m->send_errors[0], ==, 0);
  g_assert_cmpint (m->send_errors[1], ==, 0);
  check_stream (m, 0);
  check_stream (m, 1);
  check_stats (m);
  if (inj != NULL) {
    check_injected (m, inj);
    g_source_remove (inject_id);
  }

  zc_rtp_session_free (m->session[0]);
  zc_rtp_session_free (m->session[1]);
}

/* ---- Tests ---------------------------------------------------------------- */

static void
test_ice (void)
{
  Peer pa = { 0 }, pb = { 0 };
  g_autoptr (ZcIceAgent) a = agent_new (&pa, TRUE, TRUE);
  g_autoptr (ZcIceAgent) b = agent_new (&pb, FALSE, TRUE);
  g_autoptr (GError) error = NULL;
  gboolean a_up = FALSE, b_up = FALSE;
  gint64 deadline;

  g_assert_cmpuint (zc_ice_agent_get_n_components (a), ==, 1);
  g_assert_true (zc_ice_agent_gather (a, &error));
  g_assert_true (zc_ice_agent_gather (b, &error));
  g_assert_no_error (error);
  iterate_until (&pa.gathered, &pb.gathered, "gathering");
  g_assert_true (zc_ice_agent_is_gathering_done (a));

  exchange (a, b);
  exchange (b, a);

  deadline = g_get_monotonic_time () + STEP_TIMEOUT_US;
  while (!(a_up && b_up && pa.have_pair && pb.have_pair)) {
    if (g_get_monotonic_time () > deadline)
      g_error ("timed out waiting for ICE (A %s, B %s)", zc_ice_state_to_string (pa.state[1]),
               zc_ice_state_to_string (pb.state[1]));
    g_main_context_iteration (NULL, FALSE);
    g_usleep (1000);
    a_up = state_up (pa.state[1]);
    b_up = state_up (pb.state[1]);
  }
  g_test_message ("A selected %s %s:%u -> %s %s:%u", pa.local.type, pa.local.address, pa.local.port, pa.remote.type,
                  pa.remote.address, pa.remote.port);
  g_assert_cmpstr (pa.local.type, ==, "host");
  g_assert_cmpstr (pa.local.address, ==, "127.0.0.1");
  g_assert_cmpstr (pa.remote.address, ==, "127.0.0.1");
  g_assert_cmpstr (pb.remote.address, ==, "127.0.0.1");
  /* Each side's remote is the other's local. */
  g_assert_cmpuint (pa.remote.port, ==, pb.local.port);
  g_assert_cmpuint (pb.remote.port, ==, pa.local.port);

  run_media (a, b, NULL);
}

static void
test_plain (void)
{
  Peer pa = { 0 }, pb = { 0 };
  g_autoptr (ZcIceAgent) a = agent_new (&pa, TRUE, FALSE);
  g_autoptr (ZcIceAgent) b = agent_new (&pb, FALSE, FALSE);
  g_autoptr (GError) error = NULL;
  g_autofree char *a_addr = NULL, *a_rtcp_addr = NULL, *b_addr = NULL, *b_rtcp_addr = NULL;
  guint16 a_port, a_rtcp, b_port, b_rtcp;
  Injector inj = { 0 };

  g_assert_cmpuint (zc_ice_agent_get_n_components (a), ==, 2);
  /* Plain RTP needs the local candidates first. */
  g_assert_false (zc_ice_agent_set_plain_remote (a, "127.0.0.1", 4000, 4001, &error));
  g_assert_error (error, ZC_ICE_ERROR, ZC_ICE_ERROR_NOT_READY);
  g_clear_error (&error);

  g_assert_true (zc_ice_agent_gather (a, &error));
  g_assert_true (zc_ice_agent_gather (b, &error));
  iterate_until (&pa.gathered, &pb.gathered, "gathering");

  /* What each side would write in c=/m= (and a=rtcp). */
  g_assert_true (zc_ice_agent_get_default_address (a, 1, &a_addr, &a_port, &error));
  g_assert_true (zc_ice_agent_get_default_address (a, 2, &a_rtcp_addr, &a_rtcp, &error));
  g_assert_true (zc_ice_agent_get_default_address (b, 1, &b_addr, &b_port, &error));
  g_assert_true (zc_ice_agent_get_default_address (b, 2, &b_rtcp_addr, &b_rtcp, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (a_addr, ==, "127.0.0.1");
  g_assert_cmpstr (b_addr, ==, "127.0.0.1");
  g_test_message ("A rtp %s:%u rtcp %u, B rtp %s:%u rtcp %u", a_addr, a_port, a_rtcp, b_addr, b_port, b_rtcp);

  g_assert_true (zc_ice_agent_set_plain_remote (a, b_addr, b_port, b_rtcp, &error));
  g_assert_true (zc_ice_agent_set_plain_remote (b, a_addr, a_port, a_rtcp, &error));
  g_assert_no_error (error);

  inj.socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  inj.to[0] = g_inet_socket_address_new_from_string (a_addr, a_port);
  inj.to[1] = g_inet_socket_address_new_from_string (a_rtcp_addr, a_rtcp);
  run_media (a, b, &inj);
  g_object_unref (inj.socket);
  g_object_unref (inj.to[0]);
  g_object_unref (inj.to[1]);
}

static void
test_bad_remote (void)
{
  Peer pa = { 0 };
  g_autoptr (ZcIceAgent) a = agent_new (&pa, TRUE, TRUE);
  g_autoptr (GError) error = NULL;
  const char *const junk[] = { "a=candidate:garbage", NULL };
  g_autofree char *sdp = NULL;

  sdp = zc_ice_agent_get_local_sdp (a, &error);
  g_assert_error (error, ZC_ICE_ERROR, ZC_ICE_ERROR_NOT_READY);
  g_assert_null (sdp);
  g_clear_error (&error);
  g_assert_false (zc_ice_agent_set_remote_sdp (a, "ufrag", "pwd", junk, &error));
  g_assert_error (error, ZC_ICE_ERROR, ZC_ICE_ERROR_BAD_SDP);
  g_clear_error (&error);
  g_assert_false (zc_ice_agent_set_remote_sdp (a, NULL, "pwd", NULL, &error));
  g_assert_error (error, ZC_ICE_ERROR, ZC_ICE_ERROR_BAD_SDP);
  g_clear_error (&error);
  g_assert_cmpint (zc_ice_agent_send (a, 1, (const guint8 *) "x", 1), ==, -ENOTCONN);
  g_assert_cmpint (zc_ice_agent_send (a, 2, (const guint8 *) "x", 1), ==, -EINVAL);

  /* RTP before ICE has a pair: the frame is refused, nothing queued. */
  {
    ZcRtpSessionConfig config;
    g_autoptr (ZcRtpSession) rtp = NULL;
    guint8 frame[FRAME_BYTES] = { 0 };
    guint8 buf[1500];
    ZcRtpStats st;

    zc_rtp_session_config_init (&config, 200, "PCMU", 8000);
    g_assert_null (zc_rtp_session_new (a, &config, &error));
    g_assert_error (error, ZC_RTP_ERROR, ZC_RTP_ERROR_INVALID);
    g_clear_error (&error);
    zc_rtp_session_config_init (&config, PT_PCMU, "PCMU", 8000);
    rtp = zc_rtp_session_new (a, &config, &error);
    g_assert_no_error (error);
    g_assert_cmpint (zc_rtp_session_send (rtp, -1, frame, sizeof frame, 0, TRUE), ==, -ENOTCONN);
    g_assert_cmpint (zc_rtp_session_recv (rtp, 0, buf, sizeof buf, NULL), ==, -EAGAIN);
    zc_rtp_session_get_stats (rtp, &st);
    g_assert_cmpuint (st.packets_received, ==, 0);
    g_assert_cmpfloat (st.rtt_ms, ==, -1.0);
    g_assert_cmpfloat (st.remote_loss_pct, ==, -1.0);
  }
}

/* The incoming stream's loss counts at once, not when an RTCP report is
 * next made: a plain-RTP peer (a raw socket) sends 100 packets across the
 * sequence number's wrap with every tenth missing, then one that jumps
 * 20000 ahead (a stray, not counted) and then two that follow each other
 * from there (a restarted sender: loss goes on from where it was), and
 * last one after a gap of three in the new sequence. */
static void
raw_rtp_send (GSocket *socket, GSocketAddress *to, guint32 ssrc, guint16 seq, guint32 ts)
{
  guint8 pkt[12 + FRAME_BYTES];

  memset (pkt, 0, sizeof pkt);
  rtp_header_fill (pkt, ssrc, seq, ts);
  g_assert_cmpint (g_socket_send_to (socket, to, (const gchar *) pkt, sizeof pkt, NULL, NULL), ==, sizeof pkt);
}

/* Takes in what came until @n more packets were handed out; the stats. */
static void
raw_rtp_take (ZcRtpSession *session, guint n, ZcRtpStats *stats)
{
  static guint32 user_ts; /* oRTP hands out what its clock says is due */
  gint64 deadline = g_get_monotonic_time () + STEP_TIMEOUT_US;
  guint8 buf[1500];
  ZcRtpPacketInfo info;

  while (n > 0) {
    if (g_get_monotonic_time () > deadline)
      g_error ("timed out waiting for %u more packets", n);
    g_main_context_iteration (NULL, FALSE);
    while (n > 0 && zc_rtp_session_recv (session, user_ts += 2 * FRAME_TS, buf, sizeof buf, &info) >= 0)
      n--;
    g_usleep (1000);
  }
  zc_rtp_session_get_stats (session, stats);
}

static void
test_loss_count (void)
{
  Peer pa = { 0 };
  g_autoptr (ZcIceAgent) a = agent_new (&pa, TRUE, FALSE);
  g_autoptr (GError) error = NULL;
  g_autofree char *a_addr = NULL;
  g_autoptr (GSocket) peer = NULL;
  g_autoptr (GSocketAddress) bind_to = NULL, to = NULL, local = NULL;
  g_autoptr (ZcRtpSession) session = NULL;
  ZcRtpSessionConfig config;
  ZcRtpStats st;
  guint16 a_port, peer_port;
  guint sent = 0;

  g_assert_true (zc_ice_agent_gather (a, &error));
  iterate_until (&pa.gathered, &pa.gathered, "gathering");
  g_assert_true (zc_ice_agent_get_default_address (a, 1, &a_addr, &a_port, &error));
  peer = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  bind_to = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_assert_true (g_socket_bind (peer, bind_to, FALSE, &error));
  local = g_socket_get_local_address (peer, &error);
  g_assert_no_error (error);
  peer_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  g_assert_true (zc_ice_agent_set_plain_remote (a, "127.0.0.1", peer_port, peer_port + 1, &error));
  g_assert_no_error (error);
  zc_rtp_session_config_init (&config, PT_PCMU, "PCMU", 8000);
  session = zc_rtp_session_new (a, &config, &error);
  g_assert_no_error (error);
  to = g_inet_socket_address_new_from_string (a_addr, a_port);

  /* Ten at a time: the session queues ZC_RTP_RECV_QUEUE_MAX at most. */
  for (guint i = 0; i < 100; i++) {
    if (i % 10 == 9)
      continue;
    raw_rtp_send (peer, to, 0xabcd, (guint16) (65500 + i), i * FRAME_TS);
    if (++sent % 9 == 0)
      raw_rtp_take (session, 9, &st);
  }
  g_assert_cmpuint (sent % 9, ==, 0);
  g_test_message ("across the wrap: %" G_GUINT64_FORMAT " received, %" G_GINT64_FORMAT " lost, %.1f %%",
                  st.packets_received, st.packets_lost, st.loss_pct);
  /* The last one sent is the 99th: the missing 100th is not known yet. */
  g_assert_cmpint (st.packets_lost, ==, 9);
  g_assert_cmpfloat_with_epsilon (st.loss_pct, 100.0 * 9 / 99, 0.01);

  raw_rtp_send (peer, to, 0xabcd, (guint16) (65500 + 99 + 20000), 100 * FRAME_TS);
  raw_rtp_send (peer, to, 0xabcd, 30000, 101 * FRAME_TS);
  raw_rtp_send (peer, to, 0xabcd, 30001, 102 * FRAME_TS);
  raw_rtp_take (session, 3, &st);
  g_test_message ("after a stray and a restart: %" G_GINT64_FORMAT " lost", st.packets_lost);
  g_assert_cmpint (st.packets_lost, ==, 9);

  raw_rtp_send (peer, to, 0xabcd, 30005, 106 * FRAME_TS);
  raw_rtp_take (session, 1, &st);
  g_test_message ("a gap of three in the new sequence: %" G_GINT64_FORMAT " lost", st.packets_lost);
  g_assert_cmpint (st.packets_lost, ==, 12);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* A hung step must fail the run, not stall it: the whole test takes
   * ~5 s (two 2.5 s media runs), each ICE step gives up after 3 s. */
  alarm (9);
  g_test_add_func ("/rtp/bad-remote", test_bad_remote);
  g_test_add_func ("/rtp/ice", test_ice);
  g_test_add_func ("/rtp/plain", test_plain);
  g_test_add_func ("/rtp/loss-count", test_loss_count);
  return g_test_run ();
}
