/* SPDX-License-Identifier: GPL-3.0-or-later */
/* nice-pair - one end of a pair of plain libnice agents: the anchor of
 * bench/offlan-bench.sh.  Two of these run, one per lab
 * host, and connect with ICE through the lab exactly as zcalld's agents do
 * (src/ice/ice-agent.c): NICE_COMPATIBILITY_RFC5245, no UPnP, ICE-TCP only
 * with --ice-tcp (zcalld offers it on calls through the rendezvous),
 * host candidates on every address but loopback and IPv6 link-local,
 * server-reflexive ones from the STUN server unless it is the TURN server
 * itself, relayed ones from TURN over UDP, one component (RTP with RTCP
 * muxed), the same port range.
 *
 *   nice-pair --controlling|--controlled --out FILE --in FILE
 *             [--stun IP:PORT] [--turn IP:PORT --turn-user U --turn-pass P]
 *             [--port-min N --port-max N] [--timeout S]
 *
 * 1. Gathers; when done writes its credentials and candidates to FILE
 *    (line 1 ufrag, line 2 pwd, then RFC 5245 a=candidate lines; written
 *    to FILE.tmp and renamed, so FILE appears complete).
 * 2. Waits for SIGUSR1 (the launcher sends it to both ends once both
 *    files exist), then reads the peer's file (--in),
 *    nice_agent_set_remote_credentials() and
 *    nice_agent_set_remote_candidates(): t0, the checks start.
 * 3. On component CONNECTED sends a 172-byte RTP-like datagram at once and
 *    every 20 ms after, as a media stream would.
 * 4. Prints one JSON line on stdout and exits 0 once it is CONNECTED, has
 *    received the peer's first datagram and kept sending 300 ms more (so
 *    the peer gets ours too); exit 1 on FAILED or --timeout (default 10 s):
 *      {"role", "gather_ms", "connected_ms", "first_recv_ms",
 *       "local_type", "remote_type", "local", "remote", "ok"}
 *    *_ms are from t0 (g_get_monotonic_time); the pair is the one selected
 *    when CONNECTED was reached.  TURN allocations are released
 *    (nice_agent_close_async) before exiting.
 *
 * Build: cc -o nice-pair nice-pair.c $(pkg-config --cflags --libs nice glib-2.0 gio-2.0) */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>
#include <glib-unix.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <nice.h>

typedef struct {
  GMainLoop *loop;
  NiceAgent *agent;
  guint stream_id;
  gboolean controlling;
  const char *out_path;
  const char *in_path;
  gint64 t_gather_start, t_gathered, t0, t_connected, t_first_recv, t_done;
  char local_type[8], remote_type[8];
  char local_addr[64], remote_addr[64];
  guint send_timer;
  guint16 seq;
  gboolean started, finished, failed, has_turn;
  const char *why;
  int rc;
} Pair;

static const char *
cand_type (NiceCandidateType t)
{
  switch (t) {
  case NICE_CANDIDATE_TYPE_HOST:
    return "host";
  case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE:
    return "srflx";
  case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE:
    return "prflx";
  case NICE_CANDIDATE_TYPE_RELAYED:
    return "relay";
  default:
    return "?";
  }
}

static gboolean
is_ipv6_linklocal (const NiceAddress *a)
{
  return a->s.addr.sa_family == AF_INET6 && a->s.ip6.sin6_addr.s6_addr[0] == 0xfe
         && (a->s.ip6.sin6_addr.s6_addr[1] & 0xc0) == 0x80;
}

static double
ms_since_t0 (Pair *p, gint64 t)
{
  return t == 0 || p->t0 == 0 ? -1.0 : (double) (t - p->t0) / 1000.0;
}

static void
close_done_cb (GObject *source G_GNUC_UNUSED, GAsyncResult *res G_GNUC_UNUSED, gpointer user_data)
{
  g_main_loop_quit (((Pair *) user_data)->loop);
}

static gboolean
close_timeout_cb (gpointer user_data)
{
  g_main_loop_quit (((Pair *) user_data)->loop);
  return G_SOURCE_REMOVE;
}

static void
finish (Pair *p, gboolean ok, const char *why)
{
  if (p->finished)
    return;
  p->finished = TRUE;
  p->t_done = g_get_monotonic_time ();
  if (p->send_timer != 0) {
    g_source_remove (p->send_timer);
    p->send_timer = 0;
  }
  printf ("{\"role\": \"%s\", \"ok\": %s, \"why\": \"%s\", \"gather_ms\": %.3f, \"connected_ms\": %.3f, "
          "\"first_recv_ms\": %.3f, \"local_type\": \"%s\", \"remote_type\": \"%s\", "
          "\"local\": \"%s\", \"remote\": \"%s\"}\n",
          p->controlling ? "controlling" : "controlled", ok ? "true" : "false", why,
          p->t_gathered ? (double) (p->t_gathered - p->t_gather_start) / 1000.0 : -1.0,
          ms_since_t0 (p, p->t_connected), ms_since_t0 (p, p->t_first_recv), p->local_type, p->remote_type,
          p->local_addr, p->remote_addr);
  fflush (stdout);
  p->rc = ok ? 0 : 1;
  /* Release the TURN allocations; give up after 2 s. */
  nice_agent_close_async (p->agent, close_done_cb, p);
  g_timeout_add (2000, close_timeout_cb, p);
}

static void
send_one (Pair *p)
{
  guint8 pkt[172];

  memset (pkt, 0, sizeof pkt);
  pkt[0] = 0x80;   /* RTP version 2 */
  pkt[1] = 0;      /* PT 0 (PCMU) */
  pkt[2] = (guint8) (p->seq >> 8);
  pkt[3] = (guint8) p->seq;
  p->seq++;
  nice_agent_send (p->agent, p->stream_id, 1, sizeof pkt, (const gchar *) pkt);
}

static gboolean
send_timer_cb (gpointer user_data)
{
  Pair *p = user_data;

  send_one (p);
  if (p->t_connected && p->t_first_recv && g_get_monotonic_time () - MAX (p->t_connected, p->t_first_recv) > 300000)
    finish (p, TRUE, "connected");
  return G_SOURCE_CONTINUE;
}

static void
recv_cb (NiceAgent *agent G_GNUC_UNUSED,
         guint stream_id G_GNUC_UNUSED,
         guint component_id G_GNUC_UNUSED,
         guint len G_GNUC_UNUSED,
         gchar *buf G_GNUC_UNUSED,
         gpointer user_data)
{
  Pair *p = user_data;

  if (p->t_first_recv == 0)
    p->t_first_recv = g_get_monotonic_time ();
}

static void
selected_pair_cb (NiceAgent *agent G_GNUC_UNUSED,
                  guint stream_id G_GNUC_UNUSED,
                  guint component_id G_GNUC_UNUSED,
                  NiceCandidate *l,
                  NiceCandidate *r,
                  gpointer user_data)
{
  Pair *p = user_data;
  char a[NICE_ADDRESS_STRING_LEN];

  if (p->t_connected != 0)   /* keep the pair media started on */
    return;
  g_strlcpy (p->local_type, cand_type (l->type), sizeof p->local_type);
  g_strlcpy (p->remote_type, cand_type (r->type), sizeof p->remote_type);
  nice_address_to_string (&l->addr, a);
  g_snprintf (p->local_addr, sizeof p->local_addr, "%s:%u", a, nice_address_get_port (&l->addr));
  nice_address_to_string (&r->addr, a);
  g_snprintf (p->remote_addr, sizeof p->remote_addr, "%s:%u", a, nice_address_get_port (&r->addr));
}

static void
state_cb (NiceAgent *agent G_GNUC_UNUSED, guint stream_id G_GNUC_UNUSED, guint component_id G_GNUC_UNUSED,
          guint state, gpointer user_data)
{
  Pair *p = user_data;

  if ((state == NICE_COMPONENT_STATE_CONNECTED || state == NICE_COMPONENT_STATE_READY) && p->t_connected == 0) {
    p->t_connected = g_get_monotonic_time ();
    send_one (p);
    p->send_timer = g_timeout_add (20, send_timer_cb, p);
  } else if (state == NICE_COMPONENT_STATE_FAILED && p->t0 != 0) {
    finish (p, FALSE, "failed");
  }
}

static gboolean
write_file (const char *path, const char *text)
{
  g_autofree char *tmp = g_strconcat (path, ".tmp", NULL);
  g_autoptr (GError) error = NULL;

  if (!g_file_set_contents (tmp, text, -1, &error) || g_rename (tmp, path) != 0) {
    g_printerr ("nice-pair: cannot write %s: %s\n", path, error ? error->message : g_strerror (errno));
    return FALSE;
  }
  return TRUE;
}

static void
gathering_done_cb (NiceAgent *agent, guint stream_id, gpointer user_data)
{
  Pair *p = user_data;
  g_autofree char *ufrag = NULL;
  g_autofree char *pwd = NULL;
  g_autoptr (GString) out = g_string_new (NULL);
  GSList *cands;

  if (p->t_gathered != 0)
    return;
  p->t_gathered = g_get_monotonic_time ();
  nice_agent_get_local_credentials (agent, stream_id, &ufrag, &pwd);
  g_string_append_printf (out, "%s\n%s\n", ufrag, pwd);
  cands = nice_agent_get_local_candidates (agent, stream_id, 1);
  for (GSList *l = cands; l != NULL; l = l->next) {
    NiceCandidate *c = l->data;
    g_autofree char *line = NULL;

    if (is_ipv6_linklocal (&c->addr))
      continue;
    line = nice_agent_generate_local_candidate_sdp (agent, c);
    if (line != NULL)
      g_string_append_printf (out, "%s\n", line);
  }
  g_slist_free_full (cands, (GDestroyNotify) nice_candidate_free);
  if (!write_file (p->out_path, out->str))
    finish (p, FALSE, "write");
}

static gboolean
start_checks_cb (gpointer user_data)
{
  Pair *p = user_data;
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) lines = NULL;
  GSList *remote = NULL;

  if (p->started || p->finished)
    return G_SOURCE_CONTINUE;
  p->started = TRUE;
  if (!g_file_get_contents (p->in_path, &text, NULL, &error)) {
    g_printerr ("nice-pair: %s\n", error->message);
    finish (p, FALSE, "no peer file");
    return G_SOURCE_CONTINUE;
  }
  lines = g_strsplit (text, "\n", -1);
  if (g_strv_length (lines) < 3) {
    finish (p, FALSE, "short peer file");
    return G_SOURCE_CONTINUE;
  }
  for (guint i = 2; lines[i] != NULL; i++) {
    NiceCandidate *c;

    if (lines[i][0] == '\0')
      continue;
    c = nice_agent_parse_remote_candidate_sdp (p->agent, p->stream_id, lines[i]);
    if (c == NULL)
      g_printerr ("nice-pair: cannot parse '%s'\n", lines[i]);
    else if (c->component_id == 1)
      remote = g_slist_append (remote, c);
    else
      nice_candidate_free (c);
  }
  nice_agent_set_remote_credentials (p->agent, p->stream_id, lines[0], lines[1]);
  p->t0 = g_get_monotonic_time ();
  if (nice_agent_set_remote_candidates (p->agent, p->stream_id, 1, remote) <= 0)
    finish (p, FALSE, "no remote candidate accepted");
  g_slist_free_full (remote, (GDestroyNotify) nice_candidate_free);
  return G_SOURCE_CONTINUE;
}

static gboolean
timeout_cb (gpointer user_data)
{
  finish (user_data, FALSE, "timeout");
  return G_SOURCE_REMOVE;
}

static gboolean
term_cb (gpointer user_data)
{
  finish (user_data, FALSE, "terminated");
  return G_SOURCE_CONTINUE;
}

static gboolean
split_hostport (const char *s, char **host, guint *port)
{
  const char *colon = s ? strrchr (s, ':') : NULL;

  if (colon == NULL)
    return FALSE;
  *host = g_strndup (s, (gsize) (colon - s));
  *port = (guint) g_ascii_strtoull (colon + 1, NULL, 10);
  return *port > 0 && *port < 65536;
}

int
main (int argc, char **argv)
{
  gboolean controlling = FALSE, controlled = FALSE, ice_tcp = FALSE;
  char *out_path = NULL, *in_path = NULL, *stun = NULL, *turn = NULL, *turn_user = NULL, *turn_pass = NULL;
  int port_min = 0, port_max = 0, timeout_s = 10;
  GOptionEntry entries[] = {
    { "controlling", 0, 0, G_OPTION_ARG_NONE, &controlling, "controlling agent (the caller)", NULL },
    { "controlled", 0, 0, G_OPTION_ARG_NONE, &controlled, "controlled agent (the callee)", NULL },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &out_path, "write local credentials and candidates here", "FILE" },
    { "in", 0, 0, G_OPTION_ARG_FILENAME, &in_path, "read the peer's from here (on SIGUSR1)", "FILE" },
    { "stun", 0, 0, G_OPTION_ARG_STRING, &stun, "STUN server", "IP:PORT" },
    { "turn", 0, 0, G_OPTION_ARG_STRING, &turn, "TURN server (UDP)", "IP:PORT" },
    { "turn-user", 0, 0, G_OPTION_ARG_STRING, &turn_user, "TURN username", "U" },
    { "turn-pass", 0, 0, G_OPTION_ARG_STRING, &turn_pass, "TURN password", "P" },
    { "port-min", 0, 0, G_OPTION_ARG_INT, &port_min, "lowest local port", "N" },
    { "port-max", 0, 0, G_OPTION_ARG_INT, &port_max, "highest local port", "N" },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout_s, "give up after S seconds (default 10)", "S" },
    { "ice-tcp", 0, 0, G_OPTION_ARG_NONE, &ice_tcp, "TCP candidates too, as zcalld's calls through the rendezvous", NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_autoptr (GOptionContext) octx = g_option_context_new ("- one end of a plain libnice ICE pair");
  g_autoptr (GError) error = NULL;
  g_autofree char *stun_host = NULL;
  g_autofree char *turn_host = NULL;
  guint stun_port = 0, turn_port = 0;
  GList *ips;
  guint added = 0;
  Pair p = { 0 };

  g_option_context_add_main_entries (octx, entries, NULL);
  if (!g_option_context_parse (octx, &argc, &argv, &error)) {
    g_printerr ("nice-pair: %s\n", error->message);
    return 2;
  }
  if (controlling == controlled || out_path == NULL || in_path == NULL || (stun && !split_hostport (stun, &stun_host, &stun_port))
      || (turn && !split_hostport (turn, &turn_host, &turn_port))) {
    g_printerr ("nice-pair: need one of --controlling/--controlled, --out, --in (and IP:PORT servers)\n");
    return 2;
  }

  p.loop = g_main_loop_new (NULL, FALSE);
  p.controlling = controlling;
  p.out_path = out_path;
  p.in_path = in_path;
  g_strlcpy (p.local_type, "-", sizeof p.local_type);
  g_strlcpy (p.remote_type, "-", sizeof p.remote_type);

  /* As zcalld's ice-agent.c. */
  p.agent = nice_agent_new_full (NULL, NICE_COMPATIBILITY_RFC5245, NICE_AGENT_OPTION_NONE);
  g_object_set (p.agent, "controlling-mode", controlling, "upnp", FALSE, "ice-tcp", ice_tcp, NULL);
  if (stun_host != NULL && !(turn_host != NULL && g_str_equal (stun_host, turn_host) && stun_port == turn_port))
    g_object_set (p.agent, "stun-server", stun_host, "stun-server-port", stun_port, NULL);
  ips = nice_interfaces_get_local_ips (FALSE);
  for (GList *l = ips; l != NULL; l = l->next) {
    NiceAddress a;

    if (nice_address_set_from_string (&a, l->data) && !is_ipv6_linklocal (&a) && nice_agent_add_local_address (p.agent, &a))
      added++;
  }
  g_list_free_full (ips, g_free);
  if (added == 0) {
    g_printerr ("nice-pair: no local address\n");
    return 1;
  }
  p.stream_id = nice_agent_add_stream (p.agent, 1);
  nice_agent_set_stream_name (p.agent, p.stream_id, "audio");
  if (turn_host != NULL) {
    p.has_turn = TRUE;
    if (!nice_agent_set_relay_info (p.agent, p.stream_id, 1, turn_host, turn_port, turn_user ? turn_user : "",
                                    turn_pass ? turn_pass : "", NICE_RELAY_TYPE_TURN_UDP)) {
      g_printerr ("nice-pair: TURN server refused by libnice\n");
      return 1;
    }
  }
  if (port_min > 0 && port_max >= port_min)
    nice_agent_set_port_range (p.agent, p.stream_id, 1, (guint) port_min, (guint) port_max);
  g_signal_connect (p.agent, "candidate-gathering-done", G_CALLBACK (gathering_done_cb), &p);
  g_signal_connect (p.agent, "component-state-changed", G_CALLBACK (state_cb), &p);
  g_signal_connect (p.agent, "new-selected-pair-full", G_CALLBACK (selected_pair_cb), &p);
  nice_agent_attach_recv (p.agent, p.stream_id, 1, g_main_loop_get_context (p.loop), recv_cb, &p);

  g_unix_signal_add (SIGUSR1, start_checks_cb, &p);
  g_unix_signal_add (SIGTERM, term_cb, &p);
  g_unix_signal_add (SIGINT, term_cb, &p);
  g_timeout_add_seconds ((guint) timeout_s, timeout_cb, &p);

  p.t_gather_start = g_get_monotonic_time ();
  if (!nice_agent_gather_candidates (p.agent, p.stream_id)) {
    g_printerr ("nice-pair: cannot gather\n");
    return 1;
  }
  g_main_loop_run (p.loop);
  g_object_unref (p.agent);
  g_main_loop_unref (p.loop);
  return p.rc;
}
