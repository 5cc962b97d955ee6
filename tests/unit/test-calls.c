/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The call core without sockets or sound cards: a socketless SIP user
 * agent (messages in through zc_sip_stack_receive(), what it sends is
 * recorded) and a scripted media stream in place of ZcMediaStream. */
#include "config.h"

#include "core/call-private.h"
#include "core/calls.h"
#include "core/forward.h"
#include "sip/ua.h"
#include "trust/fingerprint.h"

#include "sip-text.h"

#include <string.h>
#include <sys/socket.h>

#define PEER "198.18.0.2"

typedef struct _Fixture Fixture;

typedef struct {
  Fixture *f;
  const ZcMediaStreamCallbacks *callbacks;
  gpointer user_data;
  gboolean controlling;
  gboolean started;
  gboolean connected;
  gboolean can_relay;
  char *local_ufrag;
  char *ice_attributes;
  char *remote_ufrag;
  char *codec;                /* what start() was given */
  guint ptime_ms;
  gint te_pt;
  GString *dtmf;
  int tone;                   /* ZcMediaTone playing, -1 none */
  guint tones_played;         /* 1 << ZcMediaTone of each tone played */
  gboolean held;              /* set_held(): silent both ways */
  gboolean waiting;           /* set_waiting_tone() */
  gboolean has_turn;          /* created with a TURN server */
  gboolean has_stun;          /* ... a STUN server */
  guint extra_relays;         /* ... and ZC_TURN_EXTRA_* (the backstop's fresh stream) */
  char *peer_fingerprint;     /* what the scripted DTLS handshake proved */
  char *sdes_suite;           /* SDES as start() was given it */
  char *sdes_remote_key;
} FakeStream;

struct _Fixture {
  ZcConfig *config;
  ZcPeerTable *peers;
  ZcSipUa *ua;
  ZcCalls *calls;
  ZcIdentity *identity;
  GPtrArray *sent;            /* char*: every message the UA sent */
  GPtrArray *events;          /* char*: "event:state" as the observer saw them */
  FakeStream *stream;         /* the newest live stream */
  guint streams;
  gboolean fail_media_start;
  const ZcIceServers *ice_servers; /* as given to zc_calls_set_ice_servers() */
  ZcSipProto feed_proto;      /* what feed()'s messages arrive over; UDP unless a test says */
};

/* ---- the fake media ------------------------------------------------------------ */

static void
fake_set_ufrag (FakeStream *s, const char *ufrag)
{
  g_free (s->local_ufrag);
  g_free (s->ice_attributes);
  s->local_ufrag = g_strdup (ufrag);
  s->ice_attributes = g_strdup_printf ("a=ice-ufrag:%s\r\na=ice-pwd:fakepasswordfakepassword%s\r\n"
                                       "a=candidate:1 1 UDP 2130706431 198.18.0.1 40000 typ host\r\n",
                                       ufrag, ufrag);
}

static ZcCallStream *
fake_create (const ZcMediaStreamConfig *config, const ZcMediaStreamCallbacks *callbacks, gpointer user_data,
             GError **error G_GNUC_UNUSED)
{
  /* The fixture is reached through the call's list. */
  ZcCall *call = user_data;
  Fixture *f = call->calls->observer_data;
  FakeStream *s = g_new0 (FakeStream, 1);

  s->f = f;
  s->callbacks = callbacks;
  s->user_data = user_data;
  s->controlling = config->controlling;
  s->te_pt = -1;
  s->tone = -1;
  s->dtmf = g_string_new (NULL);
  s->has_turn = config->ice_servers.turn_server != NULL;
  s->has_stun = config->ice_servers.stun_server != NULL;
  s->extra_relays = config->ice_servers.extra_relays;
  fake_set_ufrag (s, "ufrag1");
  if (f->streams > 0 && f->ice_servers != NULL) {
    /* The relay gathered at answer time is another agent: new ufrag. */
    g_autofree char *ufrag = g_strdup_printf ("ufrag%u", f->streams + 1);

    fake_set_ufrag (s, ufrag);
  }
  f->stream = s;
  f->streams++;
  return (ZcCallStream *) s;
}

static void
fake_free (ZcCallStream *media)
{
  FakeStream *s = (FakeStream *) media;

  if (s->f->stream == s)
    s->f->stream = NULL;
  g_free (s->local_ufrag);
  g_free (s->ice_attributes);
  g_free (s->remote_ufrag);
  g_free (s->sdes_suite);
  g_free (s->sdes_remote_key);
  g_free (s->codec);
  g_string_free (s->dtmf, TRUE);
  g_free (s->peer_fingerprint);
  g_free (s);
}

static void
fake_get_local (ZcCallStream *media, const char **address, guint16 *rtp_port, guint16 *rtcp_port,
                const char **ice_attributes)
{
  FakeStream *s = (FakeStream *) media;

  *address = "198.18.0.1";
  *rtp_port = 40000;
  *rtcp_port = 40001;
  *ice_attributes = s->ice_attributes;
}

static gboolean
fake_start (ZcCallStream *media, const ZcMediaRemote *remote, GError **error)
{
  FakeStream *s = (FakeStream *) media;

  if (s->f->fail_media_start) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "scripted failure");
    return FALSE;
  }
  s->started = TRUE;
  s->tone = -1; /* as the real stream: starting stops the tone */
  s->codec = g_strdup (remote->codec->name);
  s->ptime_ms = remote->ptime_ms;
  s->te_pt = remote->telephone_event_pt;
  g_free (s->remote_ufrag);
  s->remote_ufrag = g_strdup (remote->ice_ufrag);
  g_free (s->sdes_suite);
  g_free (s->sdes_remote_key);
  s->sdes_suite = g_strdup (remote->sdes_suite);
  s->sdes_remote_key = g_strdup (remote->sdes_remote_key);
  return TRUE;
}

static gboolean
fake_is_started (ZcCallStream *media)
{
  return ((FakeStream *) media)->started;
}

static gboolean
fake_restart_ice (ZcCallStream *media, GError **error G_GNUC_UNUSED)
{
  FakeStream *s = (FakeStream *) media;
  g_autofree char *next = g_strdup_printf ("%s+", s->local_ufrag);

  fake_set_ufrag (s, next);
  return TRUE;
}

static gboolean
fake_set_remote_ice (ZcCallStream *media, const char *ufrag, const char *pwd G_GNUC_UNUSED,
                     const char *const *candidates G_GNUC_UNUSED, GError **error G_GNUC_UNUSED)
{
  FakeStream *s = (FakeStream *) media;

  g_free (s->remote_ufrag);
  s->remote_ufrag = g_strdup (ufrag);
  return TRUE;
}

static gboolean
fake_is_ice_restart (ZcCallStream *media, const char *ufrag)
{
  FakeStream *s = (FakeStream *) media;

  return s->remote_ufrag != NULL && ufrag != NULL && strcmp (s->remote_ufrag, ufrag) != 0;
}

static gboolean
fake_is_connected (ZcCallStream *media)
{
  return ((FakeStream *) media)->connected;
}

static gboolean
fake_can_relay (ZcCallStream *media)
{
  return ((FakeStream *) media)->can_relay;
}

static gboolean
fake_send_dtmf (ZcCallStream *media, const char *digits, GError **error G_GNUC_UNUSED)
{
  g_string_append (((FakeStream *) media)->dtmf, digits);
  return TRUE;
}

static GVariant *
fake_describe (ZcCallStream *media, char **audio_error G_GNUC_UNUSED)
{
  return ((FakeStream *) media)->started ? g_variant_new ("a{sv}", NULL) : NULL;
}

static void
fake_play_tone (ZcCallStream *media, ZcMediaTone tone)
{
  ((FakeStream *) media)->tone = (int) tone;
  ((FakeStream *) media)->tones_played |= 1u << tone;
}

static void
fake_stop_tone (ZcCallStream *media)
{
  ((FakeStream *) media)->tone = -1;
}

static void
fake_set_held (ZcCallStream *media, gboolean held)
{
  ((FakeStream *) media)->held = held;
}

static void
fake_set_waiting_tone (ZcCallStream *media, gboolean on)
{
  ((FakeStream *) media)->waiting = on;
}

static const char *
fake_peer_fingerprint (ZcCallStream *media)
{
  return ((FakeStream *) media)->peer_fingerprint;
}

static const char *
fake_srtp_suite (ZcCallStream *media)
{
  return ((FakeStream *) media)->peer_fingerprint != NULL ? "AES_CM_128_HMAC_SHA1_80" : NULL;
}

static const ZcCallStreamOps fake_ops = {
  .create = fake_create,
  .free = fake_free,
  .get_local = fake_get_local,
  .start = fake_start,
  .is_started = fake_is_started,
  .restart_ice = fake_restart_ice,
  .set_remote_ice = fake_set_remote_ice,
  .is_ice_restart = fake_is_ice_restart,
  .is_connected = fake_is_connected,
  .can_relay = fake_can_relay,
  .send_dtmf = fake_send_dtmf,
  .describe = fake_describe,
  .play_tone = fake_play_tone,
  .stop_tone = fake_stop_tone,
  .set_held = fake_set_held,
  .set_waiting_tone = fake_set_waiting_tone,
  .peer_fingerprint = fake_peer_fingerprint,
  .srtp_suite = fake_srtp_suite,
};

static void
fake_ready (Fixture *f)
{
  g_assert_nonnull (f->stream);
  f->stream->callbacks->ready (NULL, NULL, f->stream->user_data);
}

/* The DTLS handshake is over and proved @fingerprint ("sha-256 ..."). */
static void
fake_secured (Fixture *f, const char *fingerprint)
{
  g_assert_nonnull (f->stream);
  g_assert_true (f->stream->started);
  g_free (f->stream->peer_fingerprint);
  f->stream->peer_fingerprint = g_strdup (fingerprint);
  f->stream->callbacks->secured (NULL, NULL, f->stream->user_data);
}

/* ---- the fixture --------------------------------------------------------------- */

/* What the agent's pins say of a zcall peer: seen before unless a test
 * says otherwise. */
static const char *pinned_trust = "known";

static const char *
peer_trust_cb (const ZcPeer *peer, gpointer user_data G_GNUC_UNUSED)
{
  return zc_peer_get_fingerprint (peer) != NULL ? pinned_trust : "none";
}

static gboolean
record_send (const ZcSipFlow *to G_GNUC_UNUSED, const char *data, gsize len, gpointer user_data)
{
  Fixture *f = user_data;

  g_ptr_array_add (f->sent, g_strndup (data, len));
  return TRUE;
}

static char *
local_address (const char *remote G_GNUC_UNUSED, gpointer data G_GNUC_UNUSED)
{
  return g_strdup ("198.18.0.1");
}

static void
call_changed_cb (const char *event, GVariant *call, gpointer user_data)
{
  Fixture *f = user_data;
  const char *state = NULL;

  g_variant_lookup (call, "state", "&s", &state);
  g_ptr_array_add (f->events, g_strdup_printf ("%s:%s", event, state));
}

static void
setup (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  static const ZcCallsCallbacks observer = { .call_changed = call_changed_cb };
  ZcSipUaIo io = { .send = record_send, .local_address_for = local_address, .port = 5060, .data = f };
  ZcSipIdentity identity = { .user = "alice", .display_name = "Alice" };
  /* Short timers: the tests wait milliseconds, not a minute. */
  ZcCallTimers timers = { .ring_timeout_ms = 60 * 1000, .alert_ms = 5, .ice_backstop_ms = 20,
                          .ice_backstop_grace_ms = 40 };

  pinned_trust = "known";
  f->config = zc_config_new_default ();
  g_free (f->config->user);
  f->config->user = g_strdup ("alice");
  f->config->accept_from = ZC_ACCEPT_FROM_ANY;
  f->config->max_calls = 4;
  f->config->auto_answer = FALSE;
  g_free (f->config->ring_device);
  f->config->ring_device = g_strdup ("none");
  g_free (f->config->playback_device);
  f->config->playback_device = g_strdup ("none");
  f->peers = zc_peer_table_new ("self-instance", &(ZcPeerTableCallbacks){ .peer_trust = peer_trust_cb }, NULL);
  f->sent = g_ptr_array_new_with_free_func (g_free);
  f->events = g_ptr_array_new_with_free_func (g_free);
  f->ua = zc_sip_ua_new_with_io (&io, &identity, NULL, NULL);
  f->calls = zc_calls_new (f->ua, NULL, f->config, f->peers, &observer, f);
  zc_calls_set_local_address_func (f->calls, local_address, NULL);
  zc_calls_set_media_ops (f->calls, &fake_ops);
  zc_calls_set_timers (f->calls, &timers);
  /* The agent hands its key to the calls; here one in the test's own
   * state directory (G_TEST_OPTION_ISOLATE_DIRS). */
  {
    g_autofree char *dir = g_build_filename (g_get_user_state_dir (), "zcall", NULL);
    g_autoptr (GError) error = NULL;

    f->identity = zc_identity_load_or_create (dir, "alice", &error);
    g_assert_no_error (error);
    zc_calls_set_identity (f->calls, f->identity);
  }
}

static void
teardown (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  zc_calls_free (f->calls);
  g_clear_pointer (&f->identity, zc_identity_free);
  zc_sip_ua_free (f->ua);
  zc_peer_table_free (f->peers);
  zc_config_free (f->config);
  g_ptr_array_unref (f->sent);
  g_ptr_array_unref (f->events);
}

/* ---- SIP messages ------------------------------------------------------------- */

static void
feed (Fixture *f, const char *text)
{
  ZcSipFlow from = { .proto = f->feed_proto, .address = PEER, .port = 5062 };
  zc_sip_ua_receive (f->ua, text, strlen (text), &from);
}

static const char *
last_sent (Fixture *f)
{
  g_assert_cmpuint (f->sent->len, >, 0);
  return g_ptr_array_index (f->sent, f->sent->len - 1);
}

/* The newest message that starts with @prefix, or NULL. */
static const char *
find_sent (Fixture *f, const char *prefix)
{
  for (guint i = f->sent->len; i > 0; i--) {
    const char *text = g_ptr_array_index (f->sent, i - 1);

    if (g_str_has_prefix (text, prefix))
      return text;
  }
  return NULL;
}

static const char *
last_event (Fixture *f)
{
  g_assert_cmpuint (f->events->len, >, 0);
  return g_ptr_array_index (f->events, f->events->len - 1);
}

static char *
with_length (GString *s, const char *body)
{
  if (body != NULL)
    g_string_append (s, "Content-Type: application/sdp\r\n");
  g_string_append_printf (s, "Content-Length: %zu\r\n\r\n%s", body ? strlen (body) : 0, body ? body : "");
  return g_string_free (s, FALSE);
}

/* The peer's response to a request we sent. */
static char *
response_to (const char *request, const char *status, const char *body)
{
  GString *s = g_string_new (NULL);
  g_autofree char *via = sip_text_header (request, "Via");
  g_autofree char *from = sip_text_header (request, "From");
  g_autofree char *to = sip_text_header (request, "To");
  g_autofree char *call_id = sip_text_header (request, "Call-ID");
  g_autofree char *cseq = sip_text_header (request, "CSeq");

  g_string_append_printf (s, "SIP/2.0 %s\r\nVia: %s\r\nFrom: %s\r\nTo: %s%s\r\nCall-ID: %s\r\nCSeq: %s\r\n"
                             "Contact: <sip:bob@" PEER ":5062>\r\n",
                          status, via, from, to, strstr (to, ";tag=") ? "" : ";tag=bobtag", call_id, cseq);
  return with_length (s, body);
}

/* A request of the peer's: a new INVITE (@to NULL) or one in the dialog
 * whose To is @to. */
static char *
peer_request (const char *method, guint cseq, const char *branch, const char *call_id, const char *from,
              const char *to, const char *body)
{
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, "%s sip:alice@198.18.0.1:5060 SIP/2.0\r\n"
                             "Via: SIP/2.0/UDP " PEER ":5062;branch=z9hG4bK%s;rport\r\nMax-Forwards: 70\r\n"
                             "From: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %u %s\r\n"
                             "Contact: <sip:bob@" PEER ":5062>\r\n",
                          method, branch, from, to ? to : "<sip:alice@198.18.0.1:5060>", call_id, cseq,
                          method);
  return with_length (s, body);
}

#define BOB "\"Bob\" <sip:bob@" PEER ":5062>;tag=bobtag"

static const char offer_pcmu[] =
    "v=0\r\no=- 1 1 IN IP4 " PEER "\r\ns=-\r\nc=IN IP4 " PEER "\r\nt=0 0\r\n"
    "m=audio 4000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
    "a=ice-ufrag:bobu1\r\na=ice-pwd:bobpasswordbobpassword1\r\n"
    "a=candidate:1 1 UDP 2130706431 " PEER " 4000 typ host\r\n";

static char *
sdp_with (const char *direction, const char *ufrag)
{
  return g_strdup_printf ("v=0\r\no=- 1 2 IN IP4 " PEER "\r\ns=-\r\nc=IN IP4 " PEER "\r\nt=0 0\r\n"
                          "m=audio 4000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
                          "a=rtpmap:101 telephone-event/8000\r\na=%s\r\n"
                          "a=ice-ufrag:%s\r\na=ice-pwd:bobpasswordbobpassword1\r\n"
                          "a=candidate:1 1 UDP 2130706431 " PEER " 4000 typ host\r\n",
                          direction, ufrag);
}

static ZcCall *
call_by_id (Fixture *f, const char *id)
{
  for (guint i = 0; i < f->calls->calls->len; i++) {
    ZcCall *call = g_ptr_array_index (f->calls->calls, i);

    if (g_str_equal (call->id, id))
      return call;
  }
  g_assert_not_reached ();
}

/* ---- scenarios ---------------------------------------------------------------- */

/* Dials bob, lets the media get ready, 180, 200: returns the call id and
 * the INVITE we sent (*invite). */
static char *
outgoing_established (Fixture *f, char **invite, gboolean with_ringing)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *answer = sdp_with ("sendrecv", "bobu1");
  g_autofree char *ok = NULL;
  char *id = zc_calls_dial (f->calls, "sip:bob@" PEER ":5062", &error);

  g_assert_no_error (error);
  g_assert_cmpstr (last_event (f), ==, "calling:calling");
  /* No INVITE until the candidates are known. */
  g_assert_null (find_sent (f, "INVITE "));
  fake_ready (f);
  g_assert_nonnull (find_sent (f, "INVITE "));
  *invite = g_strdup (find_sent (f, "INVITE "));
  g_assert_nonnull (strstr (*invite, "a=ice-ufrag:ufrag1"));
  if (with_ringing) {
    g_autofree char *ringing = response_to (*invite, "180 Ringing", NULL);

    feed (f, ringing);
    g_assert_cmpstr (last_event (f), ==, "ringing:ringing");
    g_assert_cmpint (f->stream->tone, ==, ZC_MEDIA_TONE_RINGBACK);
  }
  ok = response_to (*invite, "200 OK", answer);
  feed (f, ok);
  g_assert_nonnull (find_sent (f, "ACK "));
  g_assert_cmpstr (last_event (f), ==, "answered:active");
  g_assert_true (f->stream->started);
  g_assert_cmpint (f->stream->tone, ==, -1);
  g_assert_cmpstr (f->stream->codec, ==, "PCMU");
  g_assert_cmpint (f->stream->te_pt, ==, 101);
  return id;
}

static void
test_outgoing (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autofree char *invite = NULL;
  g_autofree char *id = outgoing_established (f, &invite, TRUE);
  g_autoptr (GError) error = NULL;

  /* Not a discovered zcall agent: RFC 3551's 20 ms. */
  g_assert_nonnull (strstr (invite, "a=ptime:20\r\n"));
  g_assert_true (zc_calls_send_dtmf (f->calls, id, "12ab", &error));
  g_assert_cmpstr (f->stream->dtmf->str, ==, "12AB");
  g_assert_true (zc_calls_hangup (f->calls, id, &error));
  g_assert_nonnull (find_sent (f, "BYE "));
  g_assert_cmpstr (last_event (f), ==, "ended:ended");
  g_assert_cmpstr (call_by_id (f, id)->end_reason, ==, "hangup");
  /* Hanging up an ended call is refused. */
  g_assert_false (zc_calls_hangup (f->calls, id, &error));
  g_assert_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_STATE);
}

/* An INVITE from bob with @sdp; media ready when @ready. */
static void
incoming (Fixture *f, const char *branch, const char *sdp, gboolean ready)
{
  g_autofree char *call_id = g_strdup_printf ("call-%s@" PEER, branch);
  g_autofree char *invite = peer_request ("INVITE", 1, branch, call_id, BOB, NULL, sdp);

  feed (f, invite);
  if (ready)
    fake_ready (f);
}

/* A caller's INVITE is anyone's bytes: invalid UTF-8 and an escape
 * sequence in its display name and Call-ID reach D-Bus as valid UTF-8
 * without the escape (GVariant refuses the raw bytes with a critical). */
static void
test_incoming_hostile_text (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autofree char *invite = peer_request ("INVITE", 1, "hostile", "bad\xff\xfe@" PEER,
                                          "\"B\xc3\x28ob\x1b]0;pwned\x07\" <sip:bob@" PEER ":5062>;tag=t1",
                                          NULL, offer_pcmu);
  g_autoptr (GVariant) list = NULL;
  g_autoptr (GVariant) call = NULL;
  const char *display = NULL, *call_id = NULL;

  feed (f, invite);
  fake_ready (f);
  list = zc_calls_list (f->calls);
  g_assert_cmpuint (g_variant_n_children (list), ==, 1);
  call = g_variant_get_child_value (list, 0);
  g_assert_true (g_variant_lookup (call, "peer_display", "&s", &display));
  g_assert_true (g_variant_lookup (call, "sip_call_id", "&s", &call_id));
  g_assert_true (g_utf8_validate (display, -1, NULL));
  g_assert_true (g_utf8_validate (call_id, -1, NULL));
  g_assert_null (strchr (display, '\x1b'));
  g_assert_nonnull (strstr (display, "(unverified)"));
}

static void
test_incoming_answer (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) list = NULL;
  const char *ok;

  incoming (f, "in1", offer_pcmu, FALSE);
  g_assert_nonnull (find_sent (f, "SIP/2.0 100 "));
  /* Still gathering: "ringing" outside, but not to be answered yet. */
  g_assert_cmpuint (f->events->len, ==, 0);
  g_assert_false (zc_calls_answer (f->calls, "1", &error));
  g_assert_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_STATE);
  g_clear_error (&error);
  fake_ready (f);
  g_assert_nonnull (find_sent (f, "SIP/2.0 180 "));
  g_assert_cmpstr (last_event (f), ==, "incoming:ringing");
  g_assert_cmpint (f->stream->tone, ==, ZC_MEDIA_TONE_RING);
  g_assert_false (f->stream->controlling);
  g_assert_true (zc_calls_answer (f->calls, "", &error));
  g_assert_no_error (error);
  ok = find_sent (f, "SIP/2.0 200 ");
  g_assert_nonnull (ok);
  /* The answer negotiated when the offer came: our media, bob's codec. */
  g_assert_nonnull (strstr (ok, "m=audio 40000 RTP/AVP 0"));
  g_assert_nonnull (strstr (ok, "a=ice-ufrag:ufrag1"));
  g_assert_cmpstr (last_event (f), ==, "answered:active");
  g_assert_cmpint (f->stream->tone, ==, -1);
  g_assert_cmpstr (f->stream->codec, ==, "PCMU");
  g_assert_cmpint (f->stream->te_pt, ==, 101);
  /* Bob's offer says no a=ptime: RFC 3551's 20 ms, asked for in return. */
  g_assert_cmpuint (f->stream->ptime_ms, ==, 20);
  g_assert_nonnull (strstr (ok, "a=ptime:20\r\n"));
  g_assert_cmpstr (call_by_id (f, "1")->codec, ==, "PCMU/8000");
  /* Answering twice is refused. */
  g_assert_false (zc_calls_answer (f->calls, "1", &error));
  g_assert_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_STATE);
  list = zc_calls_list (f->calls);
  g_assert_cmpuint (g_variant_n_children (list), ==, 1);
}

/* We send at the packet time the offer asks for when it is one we send
 * (10 or 20 ms), else at 20 ms. */
static void
test_ptime_asked (Fixture *f, gconstpointer data)
{
  const char *asked = data;
  g_autofree char *offer = g_strdup_printf ("%sa=ptime:%s\r\n", offer_pcmu, asked);
  g_autoptr (GError) error = NULL;

  incoming (f, "pt1", offer, TRUE);
  g_assert_true (zc_calls_answer (f->calls, "1", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f->stream->ptime_ms, ==, g_str_equal (asked, "10") ? 10 : 20);
}

static void
test_decline (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autoptr (GError) error = NULL;

  incoming (f, "de1", offer_pcmu, TRUE);
  g_assert_true (zc_calls_decline (f->calls, "", &error));
  g_assert_nonnull (find_sent (f, "SIP/2.0 603 "));
  g_assert_cmpstr (last_event (f), ==, "ended:ended");
  g_assert_cmpstr (call_by_id (f, "1")->end_reason, ==, "declined");
  g_assert_cmpuint (call_by_id (f, "1")->sip_status, ==, 603);
  g_assert_null (f->stream);

  /* A refusal needs no media: it may come while the call gathers. */
  incoming (f, "de2", offer_pcmu, FALSE);
  g_assert_true (zc_calls_decline (f->calls, "2", &error));
  g_assert_cmpstr (call_by_id (f, "2")->end_reason, ==, "declined");
  g_assert_null (f->stream);
}

static void
test_busy (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  f->config->max_calls = 1;
  incoming (f, "bu1", offer_pcmu, TRUE);
  incoming (f, "bu2", offer_pcmu, FALSE);
  g_assert_nonnull (find_sent (f, "SIP/2.0 486 "));
  g_assert_cmpstr (call_by_id (f, "2")->end_reason, ==, "busy");
  g_assert_cmpuint (f->streams, ==, 1); /* nothing gathered for the refused call */
  g_assert_cmpuint (zc_calls_count_live (f->calls), ==, 1);
}

/* Call waiting: a call during a call is the waiting tone in the one we
 * talk on, not a ring; answering it holds the first (re-INVITE
 * a=sendonly, silent from the request on); resuming the first holds the
 * second (a swap). */
static void
test_waiting (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autofree char *invite = NULL;
  g_autofree char *first_id = outgoing_established (f, &invite, FALSE);
  FakeStream *first = f->stream, *second;
  g_autoptr (GError) error = NULL;
  g_autofree char *recvonly = sdp_with ("recvonly", "bobu1");
  g_autofree char *ok = NULL, *ack = NULL;
  const char *reinvite;

  incoming (f, "cw1", offer_pcmu, TRUE);
  second = f->stream;
  g_assert_true (second != first);
  g_assert_cmpstr (last_event (f), ==, "incoming:ringing");
  g_assert_nonnull (find_sent (f, "SIP/2.0 180 "));
  g_assert_cmpuint (second->tones_played, ==, 0);
  g_assert_true (first->waiting);
  g_assert_false (second->waiting);

  g_assert_true (zc_calls_answer (f->calls, "2", &error));
  g_assert_no_error (error);
  g_assert_false (first->waiting);
  {
    /* Bob's ACK completes the second dialog (its To: our 200's). */
    const char *to = strstr (find_sent (f, "SIP/2.0 200 "), "\r\nTo: ");
    g_autofree char *to_value = g_strndup (to + 6, strstr (to + 2, "\r\n") - (to + 6));

    ack = peer_request ("ACK", 1, "cw1ack", "call-cw1@" PEER, BOB, to_value, NULL);
  }
  reinvite = last_sent (f);
  g_assert_true (g_str_has_prefix (reinvite, "INVITE "));
  g_assert_nonnull (strstr (reinvite, "a=sendonly"));
  g_assert_true (first->held);
  g_assert_false (second->held);
  ok = response_to (reinvite, "200 OK", recvonly);
  feed (f, ok);
  g_assert_true (call_by_id (f, first_id)->local_hold);
  g_assert_cmpint (call_by_id (f, first_id)->state, ==, ZC_CALL_HELD);
  g_assert_cmpint (call_by_id (f, "2")->state, ==, ZC_CALL_ACTIVE);
  feed (f, ack);

  /* The swap: the second call is held before the first resumes. */
  g_assert_true (zc_calls_hold (f->calls, first_id, FALSE, &error));
  g_assert_no_error (error);
  g_assert_true (second->held);
  g_assert_cmpint (call_by_id (f, "2")->hold_pending, ==, 1);
  g_assert_cmpint (call_by_id (f, first_id)->hold_pending, ==, 0);
  g_assert_nonnull (strstr (last_sent (f), "a=sendrecv"));
}

/* A call we placed that the peer answers only after the user turned to
 * another call (here: answered an incoming one) is held as it is
 * answered, and the call the user is on stays active: the late answer
 * does not take the line. */
static void
test_waiting_late_answer (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *answer = sdp_with ("sendrecv", "bobu1");
  g_autofree char *first_id = zc_calls_dial (f->calls, "sip:bob@" PEER ":5062", &error);
  g_autofree char *invite = NULL, *ringing = NULL, *ok = NULL, *call_id = NULL;
  FakeStream *first, *second;
  const char *reinvite, *cid;

  g_assert_no_error (error);
  fake_ready (f);
  first = f->stream;
  invite = g_strdup (find_sent (f, "INVITE "));
  ringing = response_to (invite, "180 Ringing", NULL);
  feed (f, ringing);
  g_assert_cmpstr (last_event (f), ==, "ringing:ringing");

  incoming (f, "la1", offer_pcmu, TRUE);
  second = f->stream;
  g_assert_true (zc_calls_answer (f->calls, "2", &error));
  g_assert_no_error (error);
  {
    /* The caller's ACK confirms the second dialog: a re-INVITE could go
     * out in either. */
    const char *to = strstr (find_sent (f, "SIP/2.0 200 "), "\r\nTo: ");
    g_autofree char *to_value = g_strndup (to + 6, strstr (to + 2, "\r\n") - (to + 6));
    g_autofree char *ack = peer_request ("ACK", 1, "la1ack", "call-la1@" PEER, BOB, to_value, NULL);

    feed (f, ack);
  }

  ok = response_to (invite, "200 OK", answer);
  feed (f, ok);
  g_assert_nonnull (find_sent (f, "ACK "));
  g_assert_cmpint (call_by_id (f, first_id)->state, ==, ZC_CALL_ACTIVE);
  /* The first call's re-INVITE on hold goes out at once. */
  reinvite = last_sent (f);
  cid = strstr (invite, "\r\nCall-ID: ");
  call_id = g_strndup (cid, strstr (cid + 2, "\r\n") - cid);
  g_assert_true (g_str_has_prefix (reinvite, "INVITE "));
  g_assert_nonnull (strstr (reinvite, call_id));
  g_assert_nonnull (strstr (reinvite, "a=sendonly"));
  g_assert_cmpint (call_by_id (f, first_id)->hold_pending, ==, 1);
  g_assert_true (first->held);
  /* The call the user is on is left alone. */
  g_assert_false (second->held);
  g_assert_cmpint (call_by_id (f, "2")->state, ==, ZC_CALL_ACTIVE);
  g_assert_cmpint (call_by_id (f, "2")->hold_pending, ==, -1);
  g_assert_false (call_by_id (f, "2")->local_hold);
}

/* [calls] call-waiting=false: busy while a call is going on. */
static void
test_waiting_off (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autofree char *invite = NULL;
  g_autofree char *id = outgoing_established (f, &invite, FALSE);

  f->config->call_waiting = FALSE;
  incoming (f, "cw2", offer_pcmu, FALSE);
  g_assert_nonnull (find_sent (f, "SIP/2.0 486 "));
  g_assert_cmpstr (call_by_id (f, "2")->end_reason, ==, "busy");
  g_assert_cmpint (call_by_id (f, id)->state, ==, ZC_CALL_ACTIVE);
}

static void
test_dnd (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  zc_calls_set_dnd (f->calls, TRUE);
  incoming (f, "dn1", offer_pcmu, FALSE);
  g_assert_nonnull (find_sent (f, "SIP/2.0 480 "));
  g_assert_nonnull (strstr (last_sent (f), "Do Not Disturb"));
  g_assert_cmpstr (call_by_id (f, "1")->end_reason, ==, "do not disturb");
  g_assert_cmpstr (last_event (f), ==, "ended:ended");
}

static void
test_incompatible (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  static const char offer_nothing[] = "v=0\r\no=- 1 1 IN IP4 " PEER "\r\ns=-\r\nc=IN IP4 " PEER "\r\nt=0 0\r\n"
                                      "m=audio 4000 RTP/AVP 98\r\na=rtpmap:98 NOSUCH/8000\r\n";

  incoming (f, "ic1", offer_nothing, FALSE);
  g_assert_nonnull (find_sent (f, "SIP/2.0 488 "));
  g_assert_cmpstr (call_by_id (f, "1")->end_reason, ==, "incompatible media");
  g_assert_cmpuint (f->streams, ==, 0);
}

/* [security] media-encryption=required: a plain offer is refused before
 * anything is gathered for it; SDES keys (RTP/SAVP with a=crypto) never
 * are accepted, whatever the policy. */
static void
test_encryption_required (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  f->config->media_encryption = ZC_MEDIA_ENCRYPTION_REQUIRED;
  incoming (f, "er1", offer_pcmu, FALSE);
  g_assert_nonnull (find_sent (f, "SIP/2.0 488 "));
  g_assert_cmpstr (call_by_id (f, "1")->end_reason, ==, "incompatible media");
  g_assert_cmpuint (f->streams, ==, 0);
}

#define SDES_PEER_KEY "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"
static const char offer_sdes[] = "v=0\r\no=- 1 1 IN IP4 " PEER "\r\ns=-\r\nc=IN IP4 " PEER "\r\nt=0 0\r\n"
                                 "m=audio 4000 RTP/SAVP 0\r\n"
                                 "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" SDES_PEER_KEY "\r\n";

/* The same offer over TLS: taken, answered with our own key in a=crypto
 * (tag 1, the offer's suite), and the media keyed from both lines. */
static void
test_sdes_over_tls (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autoptr (GError) error = NULL;
  const char *ok;

  f->feed_proto = ZC_SIP_TLS;
  incoming (f, "st1", offer_sdes, TRUE);
  g_assert_null (find_sent (f, "SIP/2.0 488 "));
  g_assert_true (zc_calls_answer (f->calls, "1", &error));
  g_assert_no_error (error);
  ok = find_sent (f, "SIP/2.0 200 ");
  g_assert_nonnull (ok);
  g_assert_nonnull (strstr (ok, "m=audio 40000 RTP/SAVP 0"));
  g_assert_nonnull (strstr (ok, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"));
  g_assert_null (strstr (ok, SDES_PEER_KEY));
  g_assert_null (strstr (ok, "a=fingerprint"));
  g_assert_true (f->stream->started);
  g_assert_cmpstr (f->stream->sdes_suite, ==, "AES_CM_128_HMAC_SHA1_80");
  g_assert_cmpstr (f->stream->sdes_remote_key, ==, SDES_PEER_KEY);
  g_assert_null (call_by_id (f, "1")->security); /* "encrypted" once the media says it is keyed */
  g_assert_cmpstr (call_by_id (f, "1")->keying, ==, "sdes-srtp");

  /* What an outgoing offer on this dialog would try after each 488:
   * RFC 8643 RTP/AVP, then SDES's RTP/SAVP, then DTLS's profile. */
  g_assert_cmpstr (zc_call_offer_proto (call_by_id (f, "1"), 0), ==, "RTP/AVP");
  g_assert_cmpstr (zc_call_offer_proto (call_by_id (f, "1"), 1), ==, "RTP/SAVP");
  g_assert_cmpstr (zc_call_offer_proto (call_by_id (f, "1"), 2), ==, "UDP/TLS/RTP/SAVPF");
  g_assert_null (zc_call_offer_proto (call_by_id (f, "1"), 3));
  f->config->media_encryption = ZC_MEDIA_ENCRYPTION_REQUIRED;
  g_assert_cmpstr (zc_call_offer_proto (call_by_id (f, "1"), 0), ==, "UDP/TLS/RTP/SAVPF");
  g_assert_cmpstr (zc_call_offer_proto (call_by_id (f, "1"), 1), ==, "RTP/SAVP");
  g_assert_null (zc_call_offer_proto (call_by_id (f, "1"), 2));
}

static void
test_sdes_declined (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{

  incoming (f, "sd1", offer_sdes, FALSE);
  g_assert_nonnull (find_sent (f, "SIP/2.0 488 "));
  g_assert_cmpstr (call_by_id (f, "1")->end_reason, ==, "incompatible media");
  g_assert_cmpuint (f->streams, ==, 0);
  /* No key on this dialog: offers would never name RTP/SAVP. */
  g_assert_null (call_by_id (f, "1")->sdes_key);
  g_assert_cmpstr (zc_call_offer_proto (call_by_id (f, "1"), 0), ==, "RTP/AVP");
  g_assert_cmpstr (zc_call_offer_proto (call_by_id (f, "1"), 1), ==, "UDP/TLS/RTP/SAVPF");
  g_assert_null (zc_call_offer_proto (call_by_id (f, "1"), 2));
}

static void
test_cancel_ringing (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autofree char *cancel = peer_request ("CANCEL", 1, "ca1", "call-ca1@" PEER, BOB, NULL, NULL);

  incoming (f, "ca1", offer_pcmu, TRUE);
  g_assert_cmpstr (last_event (f), ==, "incoming:ringing");
  feed (f, cancel);
  g_assert_nonnull (find_sent (f, "SIP/2.0 487 "));
  g_assert_cmpstr (last_event (f), ==, "ended:ended");
  g_assert_cmpstr (call_by_id (f, "1")->end_reason, ==, "cancelled");
}

static void
test_ring_timeout (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  ZcCallTimers timers = { .ring_timeout_ms = 10, .alert_ms = 5, .ice_backstop_ms = 20, .ice_backstop_grace_ms = 40 };

  f->config->auto_answer_delay_s = 0;
  zc_calls_set_timers (f->calls, &timers);
  incoming (f, "rt1", offer_pcmu, TRUE);
  /* The ring lasts at least auto-answer delay + 30 s: cut it short here. */
  zc_call_arm_ring_timeout (call_by_id (f, "1"), 10);
  while (zc_calls_count_live (f->calls) > 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_nonnull (find_sent (f, "SIP/2.0 480 "));
  g_assert_cmpstr (call_by_id (f, "1")->end_reason, ==, "no answer");
}

/* The dialog's requests from bob for a call we placed. */
static char *
bob_in_dialog (const char *invite, const char *method, guint cseq, const char *branch, const char *body)
{
  g_autofree char *from = sip_text_header (invite, "From");      /* ours, with our tag */
  g_autofree char *to = sip_text_header (invite, "To");
  g_autofree char *call_id = sip_text_header (invite, "Call-ID");
  g_autofree char *bob = g_strdup_printf ("%s;tag=bobtag", to);

  return peer_request (method, cseq, branch, call_id, bob, from, body);
}

static void
test_hold_resume (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autofree char *invite = NULL;
  g_autofree char *id = outgoing_established (f, &invite, FALSE);
  g_autoptr (GError) error = NULL;
  const char *reinvite;
  g_autofree char *ok = NULL, *ok2 = NULL, *hold_us = NULL, *resume_us = NULL;
  g_autofree char *recvonly = sdp_with ("recvonly", "bobu1");
  g_autofree char *sendrecv = sdp_with ("sendrecv", "bobu1");
  g_autofree char *sendonly = sdp_with ("sendonly", "bobu1");
  guint before;

  /* We hold: re-INVITE sendonly, the 200 makes it held. */
  g_assert_true (zc_calls_hold (f->calls, id, TRUE, &error));
  reinvite = last_sent (f);
  g_assert_true (g_str_has_prefix (reinvite, "INVITE "));
  g_assert_nonnull (strstr (reinvite, "a=sendonly"));
  ok = response_to (reinvite, "200 OK", recvonly);
  feed (f, ok);
  g_assert_cmpstr (last_event (f), ==, "held:held");
  g_assert_true (call_by_id (f, id)->local_hold);

  /* We resume. */
  g_assert_true (zc_calls_hold (f->calls, id, FALSE, &error));
  reinvite = last_sent (f);
  g_assert_nonnull (strstr (reinvite, "a=sendrecv"));
  ok2 = response_to (reinvite, "200 OK", sendrecv);
  feed (f, ok2);
  g_assert_cmpstr (last_event (f), ==, "resumed:active");

  /* Bob holds us, then resumes. */
  hold_us = bob_in_dialog (invite, "INVITE", 2, "bh1", sendonly);
  feed (f, hold_us);
  g_assert_true (g_str_has_prefix (last_sent (f), "SIP/2.0 200 "));
  g_assert_nonnull (strstr (last_sent (f), "a=recvonly"));
  g_assert_cmpstr (last_event (f), ==, "held:held");
  g_assert_true (call_by_id (f, id)->remote_hold);
  resume_us = bob_in_dialog (invite, "INVITE", 3, "bh2", sendrecv);
  before = f->events->len;
  feed (f, resume_us);
  g_assert_true (g_str_has_prefix (last_sent (f), "SIP/2.0 200 "));
  g_assert_cmpuint (f->events->len, ==, before + 1);
  g_assert_cmpstr (last_event (f), ==, "resumed:active");
}

static void
test_glare (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autofree char *invite = NULL;
  g_autofree char *id = outgoing_established (f, &invite, FALSE);
  g_autoptr (GError) error = NULL;
  g_autofree char *ours = NULL, *theirs = NULL, *refused = NULL;
  g_autofree char *sendonly = sdp_with ("sendonly", "bobu1");

  g_assert_true (zc_calls_hold (f->calls, id, TRUE, &error));
  ours = g_strdup (last_sent (f));
  /* Bob's re-INVITE crosses ours: RFC 3261 14.2, 491 to his. */
  theirs = bob_in_dialog (invite, "INVITE", 2, "gl1", sendonly);
  feed (f, theirs);
  g_assert_true (g_str_has_prefix (last_sent (f), "SIP/2.0 491 "));
  /* A second change while ours is out is refused. */
  g_assert_false (zc_calls_hold (f->calls, id, TRUE, &error));
  g_assert_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_STATE);
  /* His 491 to ours: the hold did not happen; the call goes on. */
  refused = response_to (ours, "491 Request Pending", NULL);
  feed (f, refused);
  g_assert_false (call_by_id (f, id)->local_hold);
  g_assert_cmpint (call_by_id (f, id)->state, ==, ZC_CALL_ACTIVE);
  g_assert_cmpint (call_by_id (f, id)->hold_pending, ==, -1);
}

/* A replacement (an INVITE with Replaces from the replaced call's own
 * peer) is answered at once, never announced as incoming; it keeps the
 * line taken while it is being answered and while it lasts, and an ended
 * one is history like any other call: presence must not stay on-call.
 * Once answered it is a call like any other, which a second transfer
 * may replace in turn. */
static void
test_replacement_activity (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *to = NULL;
  g_autofree char *replacing = NULL;
  g_autofree char *to2 = NULL;
  g_autofree char *bye = NULL;
  GString *invite;
  guint on_call, ringing, incoming_events = 0;

  incoming (f, "in1", offer_pcmu, TRUE);
  g_assert_true (zc_calls_answer (f->calls, "1", &error));
  g_assert_no_error (error);
  to = sip_text_header (find_sent (f, "SIP/2.0 200 "), "To");
  g_assert_nonnull (strstr (to, ";tag="));

  invite = g_string_new (NULL);
  g_string_append_printf (invite,
                          "INVITE sip:alice@198.18.0.1:5060 SIP/2.0\r\n"
                          "Via: SIP/2.0/UDP " PEER ":5062;branch=z9hG4bKrp1;rport\r\nMax-Forwards: 70\r\n"
                          "From: \"Bob\" <sip:bob@" PEER ":5062>;tag=bobtag2\r\n"
                          "To: <sip:alice@198.18.0.1:5060>\r\nCall-ID: call-rp1@" PEER "\r\nCSeq: 1 INVITE\r\n"
                          "Contact: <sip:bob@" PEER ":5062>\r\n"
                          "Replaces: call-in1@" PEER ";to-tag=%s;from-tag=bobtag\r\n",
                          strstr (to, ";tag=") + 5);
  replacing = with_length (invite, offer_pcmu);
  feed (f, replacing);
  zc_calls_get_activity (f->calls, &on_call, &ringing);
  g_assert_cmpuint (ringing, ==, 0);
  g_assert_cmpuint (on_call, >=, 1);
  fake_ready (f);
  for (guint i = 0; i < f->events->len; i++)
    incoming_events += g_str_has_prefix (g_ptr_array_index (f->events, i), "incoming:");
  g_assert_cmpuint (incoming_events, ==, 1); /* call 1's alone */
  g_assert_cmpstr (call_by_id (f, "1")->end_reason, ==, "replaced");
  g_assert_cmpint (call_by_id (f, "2")->state, ==, ZC_CALL_ACTIVE);
  zc_calls_get_activity (f->calls, &on_call, &ringing);
  g_assert_cmpuint (on_call, ==, 1);

  /* The replacement can itself be replaced: a second transfer onward. */
  to2 = sip_text_header (find_sent (f, "SIP/2.0 200 "), "To");
  invite = g_string_new (NULL);
  g_string_append_printf (invite,
                          "INVITE sip:alice@198.18.0.1:5060 SIP/2.0\r\n"
                          "Via: SIP/2.0/UDP " PEER ":5062;branch=z9hG4bKrp2;rport\r\nMax-Forwards: 70\r\n"
                          "From: \"Bob\" <sip:bob@" PEER ":5062>;tag=bobtag3\r\n"
                          "To: <sip:alice@198.18.0.1:5060>\r\nCall-ID: call-rp2@" PEER "\r\nCSeq: 1 INVITE\r\n"
                          "Contact: <sip:bob@" PEER ":5062>\r\n"
                          "Replaces: call-rp1@" PEER ";to-tag=%s;from-tag=bobtag2\r\n",
                          strstr (to2, ";tag=") + 5);
  g_free (replacing);
  replacing = with_length (invite, offer_pcmu);
  feed (f, replacing);
  fake_ready (f);
  g_assert_cmpstr (call_by_id (f, "2")->end_reason, ==, "replaced");
  g_assert_cmpint (call_by_id (f, "3")->state, ==, ZC_CALL_ACTIVE);

  g_free (to2);
  to2 = sip_text_header (find_sent (f, "SIP/2.0 200 "), "To");
  bye = peer_request ("BYE", 2, "rpbye", "call-rp2@" PEER, "\"Bob\" <sip:bob@" PEER ":5062>;tag=bobtag3", to2, NULL);
  feed (f, bye);
  g_assert_cmpint (call_by_id (f, "3")->state, ==, ZC_CALL_ENDED);
  zc_calls_get_activity (f->calls, &on_call, &ringing);
  g_assert_cmpuint (on_call, ==, 0);
  g_assert_cmpuint (ringing, ==, 0);
}

static void
test_remote_bye (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autofree char *invite = NULL;
  g_autofree char *id = outgoing_established (f, &invite, TRUE);
  g_autofree char *bye = bob_in_dialog (invite, "BYE", 2, "by1", NULL);

  feed (f, bye);
  g_assert_true (g_str_has_prefix (last_sent (f), "SIP/2.0 200 "));
  g_assert_cmpstr (last_event (f), ==, "ended:ended");
  g_assert_cmpstr (call_by_id (f, id)->end_reason, ==, "remote hangup");
  g_assert_null (f->stream);
}

static void
test_media_timeout (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autofree char *invite = NULL;
  g_autofree char *id = outgoing_established (f, &invite, TRUE);

  f->stream->callbacks->timeout (NULL, f->stream->user_data);
  g_assert_true (g_str_has_prefix (last_sent (f), "BYE "));
  g_assert_cmpstr (last_event (f), ==, "ended:ended");
  g_assert_cmpstr (call_by_id (f, id)->end_reason, ==, "media timeout");
}

/* Caller side: through the rendezvous with a relay, no pair -> a
 * re-INVITE with new ICE credentials. */
static void
test_ice_backstop (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autofree char *invite = NULL;
  g_autofree char *id = outgoing_established (f, &invite, FALSE);
  g_autofree char *answer = sdp_with ("sendrecv", "bobu2");
  g_autofree char *ok = NULL;
  ZcCall *call = call_by_id (f, id);
  const char *reinvite;

  /* A LAN call has no backstop: the failure ends it at once... */
  /* ...so make it one through the rendezvous, with a relay. */
  call->via_rendezvous = TRUE;
  f->stream->can_relay = TRUE;
  f->stream->callbacks->failed (NULL, f->stream->user_data);
  reinvite = last_sent (f);
  g_assert_true (g_str_has_prefix (reinvite, "INVITE "));
  g_assert_nonnull (strstr (reinvite, "a=ice-ufrag:ufrag1+"));
  ok = response_to (reinvite, "200 OK", answer);
  feed (f, ok);
  g_assert_cmpstr (f->stream->remote_ufrag, ==, "bobu2");
  g_assert_cmpint (call->state, ==, ZC_CALL_ACTIVE);
  /* The restarted checks never connect: the grace timer ends the call. */
  while (zc_calls_count_live (f->calls) > 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (call->end_reason, ==, "no media path");
  g_assert_true (g_str_has_prefix (last_sent (f), "BYE "));
}

/* Caller side with a UDP TURN server and nothing keyed yet: the restart
 * comes from a fresh stream that adds TURN over TCP and TLS; the answer
 * starts it.  Once keyed, the stream is kept. */
static void
test_ice_backstop_fresh (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  static const ZcIceServers servers = { .turn_server = "198.51.100.20", .turn_port = 3478 };
  g_autofree char *invite = NULL;
  g_autofree char *id = NULL;
  g_autofree char *answer = sdp_with ("sendrecv", "bobu2");
  g_autofree char *ok = NULL;
  guint invites = 0;
  ZcCall *call;
  const char *reinvite;

  f->ice_servers = &servers;
  zc_calls_set_ice_servers (f->calls, &servers);
  id = outgoing_established (f, &invite, FALSE);
  call = call_by_id (f, id);
  call->via_rendezvous = TRUE;
  f->stream->can_relay = TRUE;
  g_assert_cmpuint (f->stream->extra_relays, ==, 0);
  for (guint i = 0; i < f->sent->len; i++)
    invites += g_str_has_prefix (g_ptr_array_index (f->sent, i), "INVITE ");
  f->stream->callbacks->failed (NULL, f->stream->user_data);
  g_assert_cmpuint (f->streams, ==, 2);
  g_assert_cmpuint (f->stream->extra_relays, ==, ZC_TURN_EXTRA_TCP | ZC_TURN_EXTRA_TLS);
  g_assert_true (f->stream->has_turn);
  g_assert_true (f->stream->controlling);
  g_assert_false (f->stream->started);
  /* No re-INVITE until the fresh stream has gathered. */
  g_assert_false (g_str_has_prefix (last_sent (f), "INVITE "));
  fake_ready (f);
  reinvite = last_sent (f);
  g_assert_true (g_str_has_prefix (reinvite, "INVITE "));
  g_assert_nonnull (strstr (reinvite, "a=ice-ufrag:ufrag2"));
  ok = response_to (reinvite, "200 OK", answer);
  feed (f, ok);
  g_assert_true (f->stream->started);
  g_assert_cmpstr (f->stream->remote_ufrag, ==, "bobu2");
  g_assert_cmpstr (f->stream->codec, ==, "PCMU");
  g_assert_cmpint (call->state, ==, ZC_CALL_ACTIVE);
  f->stream->connected = TRUE;
  g_assert_cmpuint (invites, ==, 1);
}

static void
test_ice_backstop_keyed (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  static const ZcIceServers servers = { .turn_server = "198.51.100.20", .turn_port = 3478 };
  g_autofree char *invite = NULL;
  g_autofree char *id = NULL;
  ZcCall *call;

  f->ice_servers = &servers;
  zc_calls_set_ice_servers (f->calls, &servers);
  id = outgoing_established (f, &invite, FALSE);
  call = call_by_id (f, id);
  call->via_rendezvous = TRUE;
  call->encryption = "dtls-srtp";
  f->stream->can_relay = TRUE;
  f->stream->callbacks->failed (NULL, f->stream->user_data);
  g_assert_cmpuint (f->streams, ==, 1);
  g_assert_true (g_str_has_prefix (last_sent (f), "INVITE "));
  g_assert_nonnull (strstr (last_sent (f), "a=ice-ufrag:ufrag1+"));
}

/* Callee side: bob's re-INVITE with a new ufrag restarts ours too. */
static void
test_ice_restart_by_peer (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autofree char *invite = NULL;
  g_autofree char *id = outgoing_established (f, &invite, FALSE);
  g_autofree char *restart = sdp_with ("sendrecv", "bobu2");
  g_autofree char *reinvite = bob_in_dialog (invite, "INVITE", 2, "ir1", restart);

  feed (f, reinvite);
  g_assert_true (g_str_has_prefix (last_sent (f), "SIP/2.0 200 "));
  g_assert_nonnull (strstr (last_sent (f), "a=ice-ufrag:ufrag1+"));
  g_assert_cmpstr (f->stream->remote_ufrag, ==, "bobu2");
  g_assert_true (call_by_id (f, id)->ice_restarted);
  f->stream->connected = TRUE;
  g_assert_cmpint (call_by_id (f, id)->state, ==, ZC_CALL_ACTIVE);
}

static void
test_refused_transitions (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *invite = NULL;
  g_autofree char *id = NULL;

  /* Hold a ringing call. */
  incoming (f, "rf1", offer_pcmu, TRUE);
  g_assert_false (zc_calls_hold (f->calls, "1", TRUE, &error));
  g_assert_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_STATE);
  g_clear_error (&error);
  g_assert_false (zc_calls_send_dtmf (f->calls, "1", "1", &error));
  g_assert_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_STATE);
  g_clear_error (&error);
  g_assert_true (zc_calls_hangup (f->calls, "1", &error));
  g_assert_nonnull (find_sent (f, "SIP/2.0 603 "));

  /* Answer a call that is not ringing (ours, established). */
  id = outgoing_established (f, &invite, FALSE);
  g_assert_false (zc_calls_answer (f->calls, id, &error));
  g_assert_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_STATE);
  g_clear_error (&error);
  g_assert_false (zc_calls_decline (f->calls, id, &error));
  g_assert_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_STATE);
  g_clear_error (&error);

  /* An event the table has no row for is a bug, said so. */
  g_test_expect_message ("calls", G_LOG_LEVEL_WARNING, "call 2: event progress in state active*");
  g_assert_false (zc_call_fire (call_by_id (f, id), ZC_CALL_EV_PROGRESS));
  g_test_assert_expected_messages ();
  g_assert_cmpint (call_by_id (f, id)->state, ==, ZC_CALL_ACTIVE);

  g_assert_true (zc_calls_hangup (f->calls, id, &error));
  g_test_expect_message ("calls", G_LOG_LEVEL_WARNING, "call 2: event answer in state ended*");
  g_assert_false (zc_call_fire (call_by_id (f, id), ZC_CALL_EV_ANSWER));
  g_test_assert_expected_messages ();
  g_assert_false (zc_calls_hangup (f->calls, id, &error));
  g_assert_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_STATE);
}

/* Ending a call trims the history: zc_calls_hangup_all() used to lose
 * its place in the array and skip a live call. */
static void
test_hangup_all_beyond_history (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  zc_calls_set_dnd (f->calls, TRUE);
  for (guint i = 0; i < ZC_CALL_HISTORY_LENGTH; i++) {
    g_autofree char *branch = g_strdup_printf ("h%u", i);

    incoming (f, branch, offer_pcmu, FALSE);
  }
  zc_calls_set_dnd (f->calls, FALSE);
  incoming (f, "live1", offer_pcmu, TRUE);
  incoming (f, "live2", offer_pcmu, TRUE);
  g_assert_cmpuint (zc_calls_count_live (f->calls), ==, 2);
  g_assert_cmpuint (zc_calls_hangup_all (f->calls), ==, 2);
  g_assert_cmpuint (zc_calls_count_live (f->calls), ==, 0);
  {
    g_autoptr (GVariant) list = zc_calls_list (f->calls);

    g_assert_cmpuint (g_variant_n_children (list), ==, ZC_CALL_HISTORY_LENGTH);
  }
}


/* ---- the key proves the name ---------------------------------------------------- */

/* A zcall peer's key: every byte @b; *sdp is its "sha-256 AB:..." form. */
static char *
key_compact (guint8 b, char **sdp)
{
  ZcFingerprint fp;

  memset (fp.sha256, b, sizeof fp.sha256);
  if (sdp != NULL)
    *sdp = zc_fingerprint_to_sdp (&fp);
  return zc_fingerprint_to_compact (&fp);
}

/* Bob as discovery reports him: a zcall agent at PEER advertising key @b. */
static void
add_bob (Fixture *f, guint8 b)
{
  ZcServiceRecord *r = zc_service_record_new ();

  r->ifindex = 2;
  r->ifname = g_strdup ("eth0");
  r->family = AF_INET;
  r->type = g_strdup ("_sip._udp");
  r->name = g_strdup ("Bob Builder");
  r->domain = g_strdup ("local");
  r->host = g_strdup ("bob.local");
  r->address = g_strdup (PEER);
  r->port = 5062;
  r->txt.txtvers = 1;
  r->txt.user = g_strdup ("bob");
  r->txt.instance_id = g_strdup ("bob-instance");
  r->txt.fingerprint = key_compact (b, NULL);
  zc_peer_table_update (f->peers, r);
}

static char *
offer_with_key (const char *sdp_fingerprint)
{
  return g_strdup_printf ("%sa=fingerprint:%s\r\na=setup:actpass\r\n", offer_pcmu, sdp_fingerprint);
}

static GVariant *
call_view (Fixture *f, const char *id)
{
  return g_variant_ref_sink (zc_call_to_variant (call_by_id (f, id)));
}

/* An incoming call's name comes from the key DTLS proves: before, the
 * From display name shows as unverified (the address is bob's, but an
 * address proves nothing); after, the pinned peer's name.  SECURITY is
 * "encrypted" while the pin is only known (taken on first sight), and
 * "verified" once the user confirmed it (zcall trust). */
static void
test_proof_verified (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autofree char *bob_sdp = NULL;
  g_autofree char *bob G_GNUC_UNUSED = key_compact (0xB0, &bob_sdp);
  g_autofree char *offer = offer_with_key (bob_sdp);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) before = NULL;
  g_autoptr (GVariant) after = NULL;
  gboolean verified = TRUE;
  const char *text = NULL;

  add_bob (f, 0xB0);
  incoming (f, "pv1", offer, TRUE);
  g_assert_cmpstr (last_event (f), ==, "incoming:ringing");
  before = call_view (f, "1");
  g_assert_true (g_variant_lookup (before, "peer_display", "&s", &text));
  g_assert_cmpstr (text, ==, "\"Bob\" <sip:bob@" PEER ":5062> (unverified)");
  g_assert_true (g_variant_lookup (before, "peer_verified", "b", &verified));
  g_assert_false (verified);
  g_assert_true (g_variant_lookup (before, "peer_name", "&s", &text));
  g_assert_cmpstr (text, ==, "");
  g_assert_true (zc_calls_answer (f->calls, "1", &error));
  g_assert_no_error (error);
  g_assert_nonnull (strstr (find_sent (f, "SIP/2.0 200 "), "a=fingerprint:sha-256 "));
  /* Bob is a discovered zcall agent: [media] ptime, 10 ms by default. */
  g_assert_nonnull (strstr (find_sent (f, "SIP/2.0 200 "), "a=ptime:10\r\n"));
  fake_secured (f, bob_sdp);
  g_assert_cmpstr (last_event (f), ==, "secured:active");
  after = call_view (f, "1");
  g_assert_true (g_variant_lookup (after, "security", "&s", &text));
  g_assert_cmpstr (text, ==, "encrypted");
  g_assert_true (g_variant_lookup (after, "peer_verified", "b", &verified));
  g_assert_true (verified);
  g_assert_true (g_variant_lookup (after, "peer_display", "&s", &text));
  g_assert_cmpstr (text, ==, "Bob Builder");
  g_assert_true (g_variant_lookup (after, "peer_trust", "&s", &text));
  g_assert_cmpstr (text, ==, "known");
  g_assert_cmpstr (call_by_id (f, "1")->srtp_suite, ==, "AES_CM_128_HMAC_SHA1_80");

  /* The user compared fingerprints and confirmed Bob's key. */
  g_assert_cmpuint (zc_calls_hangup_all (f->calls), ==, 1);
  zc_peer_table_set_trust (f->peers, zc_peer_table_lookup_fingerprint (f->peers, bob_sdp), "verified");
  incoming (f, "pv2", offer, TRUE);
  g_assert_true (zc_calls_answer (f->calls, "2", &error));
  g_assert_no_error (error);
  fake_secured (f, bob_sdp);
  {
    g_autoptr (GVariant) confirmed = call_view (f, "2");

    g_assert_true (g_variant_lookup (confirmed, "security", "&s", &text));
    g_assert_cmpstr (text, ==, "verified");
    g_assert_true (g_variant_lookup (confirmed, "peer_trust", "&s", &text));
    g_assert_cmpstr (text, ==, "verified");
  }
}

/* An incoming call offered only in the DTLS profile (linphonec with
 * media_encryption_mandatory): our hold re-offer keeps that profile.  An
 * RTP/AVP re-offer (RFC 8643, right for a first offer) got 488 from
 * linphonec, and the call could not be held for a transfer's new call. */
static void
test_reoffer_keeps_profile (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autofree char *key_sdp = NULL;
  g_autofree char *key G_GNUC_UNUSED = key_compact (0x52, &key_sdp);
  g_autofree char *avp = offer_with_key (key_sdp);
  g_autoptr (GString) offer = g_string_new (avp);
  g_autoptr (GError) error = NULL;
  g_autofree char *ack = NULL;
  const char *reinvite;

  g_string_replace (offer, " RTP/AVP ", " UDP/TLS/RTP/SAVPF ", 1);
  incoming (f, "rk1", offer->str, TRUE);
  g_assert_true (zc_calls_answer (f->calls, "1", &error));
  g_assert_no_error (error);
  g_assert_nonnull (strstr (find_sent (f, "SIP/2.0 200 "), " UDP/TLS/RTP/SAVPF "));
  fake_secured (f, key_sdp);
  {
    const char *to = strstr (find_sent (f, "SIP/2.0 200 "), "\r\nTo: ");
    g_autofree char *to_value = g_strndup (to + 6, strstr (to + 2, "\r\n") - (to + 6));

    ack = peer_request ("ACK", 1, "rk1ack", "call-rk1@" PEER, BOB, to_value, NULL);
  }
  feed (f, ack);
  g_assert_true (zc_calls_hold (f->calls, "1", TRUE, &error));
  g_assert_no_error (error);
  reinvite = last_sent (f);
  g_assert_true (g_str_has_prefix (reinvite, "INVITE "));
  g_assert_nonnull (strstr (reinvite, "a=sendonly"));
  g_assert_nonnull (strstr (reinvite, " UDP/TLS/RTP/SAVPF "));
  g_assert_null (strstr (reinvite, " RTP/AVP "));
}

/* A key pinned for nobody: encrypted, but the name stays unverified. */
static void
test_proof_unpinned (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autofree char *key_sdp = NULL;
  g_autofree char *key G_GNUC_UNUSED = key_compact (0x51, &key_sdp);
  g_autofree char *offer = offer_with_key (key_sdp);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) view = NULL;
  gboolean verified = TRUE;
  const char *text = NULL;

  add_bob (f, 0xB0); /* bob is at PEER; this caller is elsewhere */
  {
    g_autofree char *invite = peer_request ("INVITE", 1, "pu1", "call-pu1@198.18.0.9", "\"Bob\" <sip:x@198.18.0.9>;tag=t9",
                                            NULL, offer);
    ZcSipFlow from = { .proto = ZC_SIP_UDP, .address = "198.18.0.9", .port = 5062 };

    zc_sip_ua_receive (f->ua, invite, strlen (invite), &from);
  }
  fake_ready (f);
  g_assert_true (zc_calls_answer (f->calls, "1", &error));
  g_assert_no_error (error);
  fake_secured (f, key_sdp);
  view = call_view (f, "1");
  g_assert_true (g_variant_lookup (view, "security", "&s", &text));
  g_assert_cmpstr (text, ==, "encrypted");
  g_assert_true (g_variant_lookup (view, "peer_verified", "b", &verified));
  g_assert_false (verified);
  g_assert_true (g_variant_lookup (view, "peer_display", "&s", &text));
  g_assert_cmpstr (text, ==, "\"Bob\" <sip:x@198.18.0.9> (unverified)");
  g_assert_true (g_variant_lookup (view, "peer_trust", "&s", &text));
  g_assert_cmpstr (text, ==, "");
  g_assert_cmpint (call_by_id (f, "1")->state, ==, ZC_CALL_ACTIVE);
}

/* From bob's address: an offer with another key is refused outright; one
 * that copies bob's a=fingerprint but whose handshake proves another key
 * ends with "identity mismatch" (DTLS itself refuses a certificate that
 * differs from the SDP; here the fake proves what the test says). */
static void
test_proof_mismatch (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autofree char *bob_sdp = NULL;
  g_autofree char *bob G_GNUC_UNUSED = key_compact (0xB0, &bob_sdp);
  g_autofree char *eve_sdp = NULL;
  g_autofree char *eve G_GNUC_UNUSED = key_compact (0xE0, &eve_sdp);
  g_autofree char *eve_offer = offer_with_key (eve_sdp);
  g_autofree char *copied_offer = offer_with_key (bob_sdp);
  g_autoptr (GError) error = NULL;

  add_bob (f, 0xB0);
  incoming (f, "pm1", eve_offer, FALSE);
  g_assert_nonnull (find_sent (f, "SIP/2.0 403 "));
  g_assert_cmpstr (call_by_id (f, "1")->end_reason, ==, "identity mismatch");
  g_assert_cmpuint (f->streams, ==, 0);

  incoming (f, "pm2", copied_offer, TRUE);
  g_assert_true (zc_calls_answer (f->calls, "2", &error));
  g_assert_no_error (error);
  fake_secured (f, eve_sdp);
  g_assert_cmpstr (call_by_id (f, "2")->end_reason, ==, "identity mismatch");
  g_assert_cmpstr (last_event (f), ==, "ended:ended");
  g_assert_nonnull (find_sent (f, "BYE "));
  g_assert_false (call_by_id (f, "2")->peer_verified);
  g_assert_null (call_by_id (f, "2")->peer_name);
}

/* A discovered zcall peer never gets plain media, whatever the policy:
 * its plain offer is refused, its plain answer ends our call. */
static void
test_proof_no_fingerprint (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *invite = NULL;
  g_autofree char *answer = sdp_with ("sendrecv", "bobu1");
  g_autofree char *ok = NULL;

  g_assert_cmpint (f->config->media_encryption, !=, ZC_MEDIA_ENCRYPTION_REQUIRED);
  add_bob (f, 0xB0);
  incoming (f, "nf1", offer_pcmu, FALSE);
  g_assert_nonnull (find_sent (f, "SIP/2.0 488 "));
  g_assert_cmpstr (call_by_id (f, "1")->end_reason, ==, "encryption required");
  g_assert_cmpuint (f->streams, ==, 0);

  id = zc_calls_dial (f->calls, "sip:bob@" PEER ":5062", &error);
  g_assert_no_error (error);
  fake_ready (f);
  invite = g_strdup (find_sent (f, "INVITE "));
  ok = response_to (invite, "200 OK", answer);
  feed (f, ok);
  g_assert_false (f->stream != NULL && f->stream->started);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpstr (call_by_id (f, id)->end_reason, ==, "encryption required");
  g_assert_null (call_by_id (f, id)->security);
}

/* ---- auto-answer-from ----------------------------------------------------------- */

static void
set_auto_answer_from (Fixture *f, const char *entries)
{
  f->config->auto_answer = TRUE;
  f->config->auto_answer_delay_s = 0;
  g_strfreev (f->config->auto_answer_from);
  f->config->auto_answer_from = g_strsplit (entries, "|", -1);
}

/* Lets the alert run out; TRUE when the call was answered by itself. */
static gboolean
auto_answered (Fixture *f, const char *id)
{
  ZcCall *call = call_by_id (f, id);

  while (call->auto_answer_id != 0)
    g_main_context_iteration (NULL, TRUE);
  return call->state == ZC_CALL_ACTIVE;
}

/* The default: auto-answer on, the caller not verified -> it rings. */
static void
test_auto_answer_default_rings (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  f->config->auto_answer = TRUE;
  f->config->auto_answer_delay_s = 0;
  incoming (f, "aa1", offer_pcmu, TRUE);
  g_assert_false (auto_answered (f, "1"));
  g_assert_nonnull (find_sent (f, "SIP/2.0 180 "));
  g_assert_null (find_sent (f, "SIP/2.0 200 "));
  g_assert_cmpint (f->stream->tone, ==, ZC_MEDIA_TONE_RING);
  g_assert_cmpstr (last_event (f), ==, "incoming:ringing");
}

/* "*": anyone, but never silently: the alert plays before the answer. */
static void
test_auto_answer_anyone_alert (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  set_auto_answer_from (f, "*");
  incoming (f, "aa2", offer_pcmu, TRUE);
  /* Alerting, not answered yet: the line opens after the beeps. */
  g_assert_cmpint (f->stream->tone, ==, ZC_MEDIA_TONE_ALERT);
  g_assert_false (f->stream->started);
  g_assert_null (find_sent (f, "SIP/2.0 200 "));
  g_assert_true (auto_answered (f, "1"));
  g_assert_nonnull (find_sent (f, "SIP/2.0 200 "));
  g_assert_null (find_sent (f, "SIP/2.0 180 "));
  g_assert_true (f->stream->started);
  g_assert_cmpint (f->stream->tone, ==, -1);
  g_assert_cmpuint (f->stream->tones_played, ==, 1u << ZC_MEDIA_TONE_ALERT);
  g_assert_cmpstr (last_event (f), ==, "answered:active");
}

/* Two calls from one address may ring at once, a third gets 486; calls
 * being auto-answered for an allowed caller do not count (sipp's load
 * test sends 10 a second, each alerting 0.6 s). */
static void
test_setup_cap_per_source (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  f->config->max_calls = 10;
  incoming (f, "cap1", offer_pcmu, TRUE);
  incoming (f, "cap2", offer_pcmu, TRUE);
  g_assert_null (find_sent (f, "SIP/2.0 486 "));
  incoming (f, "cap3", offer_pcmu, FALSE); /* refused: no media to make ready */
  g_assert_nonnull (find_sent (f, "SIP/2.0 486 "));
  g_assert_cmpuint (zc_calls_count_live (f->calls), ==, 2);
}

static void
test_setup_cap_auto_answer (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  /* An alert long enough that all four are still in it. */
  ZcCallTimers timers = { .ring_timeout_ms = 60 * 1000, .alert_ms = 60 * 1000, .ice_backstop_ms = 20,
                          .ice_backstop_grace_ms = 40 };

  zc_calls_set_timers (f->calls, &timers);
  f->config->max_calls = 10;
  set_auto_answer_from (f, "*");
  for (guint i = 0; i < 4; i++) {
    g_autofree char *branch = g_strdup_printf ("cap-aa%u", i);

    incoming (f, branch, offer_pcmu, TRUE);
  }
  g_assert_null (find_sent (f, "SIP/2.0 486 "));
  g_assert_null (find_sent (f, "SIP/2.0 200 "));
  g_assert_cmpuint (zc_calls_count_live (f->calls), ==, 4);
}

/* With a delay it rings first, then alerts, then answers. */
static void
test_auto_answer_delay (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  set_auto_answer_from (f, "*");
  f->config->auto_answer_delay_s = 1;
  incoming (f, "aa3", offer_pcmu, TRUE);
  g_assert_nonnull (find_sent (f, "SIP/2.0 180 "));
  g_assert_cmpint (f->stream->tone, ==, ZC_MEDIA_TONE_RING);
  while (f->stream->tone == ZC_MEDIA_TONE_RING)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (f->stream->tone, ==, ZC_MEDIA_TONE_ALERT);
  g_assert_true (auto_answered (f, "1"));
  g_assert_cmpuint (f->stream->tones_played, ==, (1u << ZC_MEDIA_TONE_RING) | (1u << ZC_MEDIA_TONE_ALERT));
}

/* A display name, a From URI or a discovered name prove nothing alone:
 * bob's advert and From header, but no key in the offer. */
static void
test_auto_answer_claims_only (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  add_bob (f, 0xB0);
  /* "Bob" is the From display name, "Bob Builder" the advert's name;
   * the URI's host is a name, which a LAN caller cannot prove. */
  set_auto_answer_from (f, "Bob|known|trusted|sip:bob@bob.local");
  f->config->media_encryption = ZC_MEDIA_ENCRYPTION_REQUIRED_FOR_ZCALL;
  {
    g_autofree char *invite = peer_request ("INVITE", 1, "aa4", "call-aa4@" PEER,
                                            "\"Bob\" <sip:bob@bob.local>;tag=t4", NULL, offer_pcmu);

    feed (f, invite);
  }
  /* bob is pinned: his offer without his key is refused outright. */
  g_assert_nonnull (find_sent (f, "SIP/2.0 488 "));
  g_assert_null (find_sent (f, "SIP/2.0 200 "));
}

/* Bob's pinned key in the offer: "known" and his advert's name qualify,
 * "trusted" only once the user verified him. */
static void
test_auto_answer_pinned (Fixture *f, gconstpointer data)
{
  const char *entries = data;
  g_autofree char *bob_sdp = NULL;
  g_autofree char *bob G_GNUC_UNUSED = key_compact (0xB0, &bob_sdp);
  g_autofree char *offer = offer_with_key (bob_sdp);
  gboolean verified = g_str_has_prefix (entries, "verified:");
  gboolean expect = strstr (entries, "=yes") != NULL;
  g_autofree char *list = g_strndup (strchr (entries, ':') + 1, strcspn (strchr (entries, ':') + 1, "="));

  pinned_trust = verified ? "verified" : "known";
  add_bob (f, 0xB0);
  set_auto_answer_from (f, list);
  incoming (f, "aa5", offer, TRUE);
  g_assert_cmpint (auto_answered (f, "1"), ==, expect);
  if (expect) {
    /* DTLS still has to prove the key before a frame flows. */
    g_assert_true (f->stream->tones_played & (1u << ZC_MEDIA_TONE_ALERT));
    fake_secured (f, bob_sdp);
    g_assert_true (call_by_id (f, "1")->peer_verified);
  } else {
    g_assert_nonnull (find_sent (f, "SIP/2.0 180 "));
  }
}

/* A "new" key (first seen now) is whatever the advert said: no entry
 * but "*" answers it. */
static void
test_auto_answer_new_key (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autofree char *bob_sdp = NULL;
  g_autofree char *bob G_GNUC_UNUSED = key_compact (0xB0, &bob_sdp);
  g_autofree char *offer = offer_with_key (bob_sdp);

  pinned_trust = "new";
  add_bob (f, 0xB0);
  set_auto_answer_from (f, "known|trusted|Bob Builder");
  incoming (f, "aa6", offer, TRUE);
  g_assert_false (auto_answered (f, "1"));
}

/* A URI entry on the LAN: its host must be the request's source. */
static void
test_auto_answer_uri (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  set_auto_answer_from (f, "sip:carol@" PEER);
  incoming (f, "aa7", offer_pcmu, TRUE); /* From bob */
  g_assert_false (auto_answered (f, "1"));
  g_clear_pointer (&f->config->auto_answer_from, g_strfreev);
  f->config->auto_answer_from = g_strsplit ("sip:bob@" PEER, "|", -1);
  incoming (f, "aa8", offer_pcmu, TRUE);
  g_assert_true (auto_answered (f, "2"));
  /* The same user at a host the request did not come from. */
  g_clear_pointer (&f->config->auto_answer_from, g_strfreev);
  f->config->auto_answer_from = g_strsplit ("sip:bob@198.18.0.99", "|", -1);
  {
    g_autofree char *invite = peer_request ("INVITE", 1, "aa9", "call-aa9@" PEER,
                                            "<sip:bob@198.18.0.99>;tag=t9", NULL, offer_pcmu);

    feed (f, invite);
    fake_ready (f);
  }
  g_assert_false (auto_answered (f, "3"));
}

static void
test_accept_from_sources (void)
{
  const guint lan = ZC_ACCEPT_FROM_LAN, rdv = ZC_ACCEPT_FROM_RENDEZVOUS, any = ZC_ACCEPT_FROM_ANY;

  /* accept-from=lan: "only from the local network" -- not what the
   * rendezvous relays, even from a registrar on the LAN. */
  g_assert_true (zc_calls_source_accepted (lan, FALSE, TRUE));
  g_assert_false (zc_calls_source_accepted (lan, FALSE, FALSE));
  g_assert_false (zc_calls_source_accepted (lan, TRUE, FALSE));
  g_assert_false (zc_calls_source_accepted (lan, TRUE, TRUE));
  /* lan,rendezvous (the default). */
  g_assert_true (zc_calls_source_accepted (lan | rdv, TRUE, FALSE));
  g_assert_true (zc_calls_source_accepted (lan | rdv, FALSE, TRUE));
  g_assert_false (zc_calls_source_accepted (lan | rdv, FALSE, FALSE));
  /* rendezvous alone. */
  g_assert_true (zc_calls_source_accepted (rdv, TRUE, FALSE));
  g_assert_false (zc_calls_source_accepted (rdv, FALSE, TRUE));
  /* any. */
  g_assert_true (zc_calls_source_accepted (any, FALSE, FALSE));
  g_assert_true (zc_calls_source_accepted (any, TRUE, FALSE));
}

/* accept-from=lan refuses an off-LAN source with 403 before anything. */
static void
test_accept_from_lan (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  f->config->accept_from = ZC_ACCEPT_FROM_LAN;
  {
    g_autofree char *invite = peer_request ("INVITE", 1, "af1", "call-af1@" PEER, BOB, NULL, offer_pcmu);
    ZcSipFlow from = { .proto = ZC_SIP_UDP, .address = "203.0.113.77", .port = 5062 };

    zc_sip_ua_receive (f->ua, invite, strlen (invite), &from);
  }
  g_assert_nonnull (find_sent (f, "SIP/2.0 403 "));
  g_assert_cmpuint (zc_calls_count_live (f->calls), ==, 0);
}

/* ---- TURN only once answered ----------------------------------------------------- */

/* An INVITE from anyone must not make the agent allocate a relay: the call
 * rings with host and server-reflexive candidates; the answer gathers again
 * with the TURN server and only then sends the 200, with the new ones. */
static void
test_relay_at_answer (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  static const ZcIceServers servers = {
    .turn_server = "198.51.100.20", .turn_port = 3478, .turn_username = "u", .turn_password = "p",
  };
  g_autoptr (GError) error = NULL;
  const char *ok;

  f->ice_servers = &servers;
  zc_calls_set_ice_servers (f->calls, &servers);
  incoming (f, "ra1", offer_pcmu, FALSE);
  /* As a call the rendezvous proxy relays (calls.c sets it from the
   * registrar's address). */
  call_by_id (f, "1")->via_rendezvous = TRUE;
  fake_ready (f);
  g_assert_cmpstr (last_event (f), ==, "incoming:ringing");
  g_assert_cmpuint (f->streams, ==, 1);
  g_assert_false (f->stream->has_turn);
  /* STUN alone on the TURN server's address: the server-reflexive address
   * still comes. */
  g_assert_true (f->stream->has_stun);
  g_assert_true (zc_calls_answer (f->calls, "1", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f->streams, ==, 2);
  g_assert_true (f->stream->has_turn);
  g_assert_null (find_sent (f, "SIP/2.0 200 "));
  /* Answering again while it gathers is refused, not doubled. */
  g_assert_false (zc_calls_answer (f->calls, "1", &error));
  g_assert_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_STATE);
  g_clear_error (&error);
  fake_ready (f);
  ok = find_sent (f, "SIP/2.0 200 ");
  g_assert_nonnull (ok);
  g_assert_nonnull (strstr (ok, "a=ice-ufrag:ufrag2"));
  g_assert_true (f->stream->started);
  g_assert_cmpstr (last_event (f), ==, "answered:active");
}

/* A call from the LAN gathers no relay, neither while ringing nor at the
 * answer, which goes out at once. */
static void
test_relay_lan (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  static const ZcIceServers servers = { .turn_server = "198.51.100.20", .turn_port = 3478 };

  zc_calls_set_ice_servers (f->calls, &servers);
  incoming (f, "rl1", offer_pcmu, TRUE);
  g_assert_false (f->stream->has_turn);
  g_assert_true (zc_calls_answer (f->calls, "1", NULL));
  g_assert_cmpuint (f->streams, ==, 1);
  g_assert_nonnull (find_sent (f, "SIP/2.0 200 "));
}

/* An outgoing call gathers with the relay from the start: the user asked. */
static void
test_relay_outgoing (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  static const ZcIceServers servers = { .turn_server = "198.51.100.20", .turn_port = 3478 };
  g_autoptr (GError) error = NULL;
  g_autofree char *id = NULL;

  zc_calls_set_ice_servers (f->calls, &servers);
  id = zc_calls_dial (f->calls, "sip:bob@" PEER ":5062", &error);
  g_assert_no_error (error);
  g_assert_true (f->stream->has_turn);
}

/* A 302 to @request whose Contact header is @contacts. */
static char *
moved_to (const char *request, const char *contacts)
{
  g_autofree char *r = response_to (request, "302 Moved Temporarily", NULL);
  g_auto (GStrv) parts = g_strsplit (r, "Contact: <sip:bob@" PEER ":5062>", 2);

  return g_strconcat (parts[0], "Contact: ", contacts, parts[1], NULL);
}

/* RFC 3261 8.1.3.4: the Contacts in q order, a target tried already
 * skipped, the next target after a failure, the reason of the last one. */
static void
test_redirect_follow (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *id = zc_calls_dial (f->calls, "sip:bob@" PEER ":5062", &error);
  g_autofree char *invite = NULL, *moved = NULL, *second = NULL, *back = NULL, *third = NULL, *busy = NULL;

  g_assert_no_error (error);
  fake_ready (f);
  invite = g_strdup (find_sent (f, "INVITE "));
  moved = moved_to (invite, "<sip:nobody@198.18.0.9>;q=0.1, <sip:carol@198.18.0.3:5060>;q=0.8");
  feed (f, moved);
  second = g_strdup (find_sent (f, "INVITE "));
  g_assert_true (g_str_has_prefix (second, "INVITE sip:carol@198.18.0.3:5060 SIP/2.0"));
  g_assert_cmpstr (last_event (f), ==, "redirected:calling");
  g_assert_cmpstr (call_by_id (f, id)->peer_uri, ==, "sip:carol@198.18.0.3:5060");
  /* carol sends it back to bob (tried: a loop); nobody (q=0.1) is next. */
  back = moved_to (second, "<sip:bob@" PEER ":5062>");
  feed (f, back);
  third = g_strdup (find_sent (f, "INVITE "));
  g_assert_true (g_str_has_prefix (third, "INVITE sip:nobody@198.18.0.9 SIP/2.0"));
  g_assert_cmpuint (call_by_id (f, id)->state, ==, ZC_CALL_CALLING);
  /* The last target is busy: the call ends as a busy one would. */
  busy = response_to (third, "486 Busy Here", NULL);
  feed (f, busy);
  g_assert_cmpstr (last_event (f), ==, "ended:ended");
  g_assert_cmpstr (call_by_id (f, id)->end_reason, ==, "busy");
}

static void
test_redirect_loop (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *id = zc_calls_dial (f->calls, "sip:bob@" PEER ":5062", &error);
  g_autofree char *moved = NULL;
  guint invites = 0;

  g_assert_no_error (error);
  fake_ready (f);
  moved = moved_to (find_sent (f, "INVITE "), "<sip:bob@" PEER ":5070;transport=tcp>");
  feed (f, moved);
  for (guint i = 0; i < f->sent->len; i++)
    invites += g_str_has_prefix (g_ptr_array_index (f->sent, i), "INVITE ");
  g_assert_cmpuint (invites, ==, 1);
  g_assert_cmpstr (call_by_id (f, id)->end_reason, ==, "redirect loop");
  g_assert_cmpuint (call_by_id (f, id)->sip_status, ==, 302);
}

/* Messages sent that start with @prefix and contain @part (UDP
 * retransmissions of a final response count each time). */
static guint
count_sent (Fixture *f, const char *prefix, const char *part)
{
  guint n = 0;

  for (guint i = 0; i < f->sent->len; i++) {
    const char *text = g_ptr_array_index (f->sent, i);
    n += g_str_has_prefix (text, prefix) && strstr (text, part) != NULL;
  }
  return n;
}

static void
test_forward_always (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autoptr (GError) error = NULL;

  g_assert_false (zc_calls_set_forward (f->calls, "sometimes", "sip:carol@198.18.0.3:5060", 0, &error));
  g_assert_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (zc_calls_set_forward (f->calls, "no-answer", "sip:carol@198.18.0.3:5060", 60, &error));
  g_assert_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_true (zc_calls_set_forward (f->calls, "always", "sip:carol@198.18.0.3:5060", 0, &error));
  g_assert_true (zc_calls_is_forwarding (f->calls));
  incoming (f, "fw1", offer_pcmu, FALSE);
  g_assert_nonnull (find_sent (f, "SIP/2.0 302 "));
  g_assert_nonnull (strstr (last_sent (f), "Contact: <sip:carol@198.18.0.3:5060>"));
  g_assert_cmpstr (call_by_id (f, "1")->end_reason, ==, "forwarded");
  g_assert_cmpuint (call_by_id (f, "1")->sip_status, ==, 302);
  g_assert_cmpuint (f->streams, ==, 0); /* nothing gathered for it */
  g_assert_true (zc_calls_set_forward (f->calls, "off", "", 0, &error));
  g_assert_false (zc_calls_is_forwarding (f->calls));
  incoming (f, "fw2", offer_pcmu, TRUE);
  g_assert_cmpstr (last_event (f), ==, "incoming:ringing");
}

static void
test_forward_busy (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autoptr (GError) error = NULL;

  f->config->max_calls = 1;
  g_assert_true (zc_calls_set_forward (f->calls, "busy", "sip:carol@198.18.0.3:5060", 0, &error));
  incoming (f, "fb1", offer_pcmu, TRUE);
  g_assert_cmpstr (last_event (f), ==, "incoming:ringing");
  g_assert_null (find_sent (f, "SIP/2.0 302 "));
  incoming (f, "fb2", offer_pcmu, FALSE);
  g_assert_nonnull (find_sent (f, "SIP/2.0 302 "));
  g_assert_null (find_sent (f, "SIP/2.0 486 "));
  g_assert_cmpstr (call_by_id (f, "2")->end_reason, ==, "forwarded");
}

/* After the ring time a ringing call is forwarded; one cancelled before
 * stays cancelled. */
static void
test_forward_no_answer (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *cancel = peer_request ("CANCEL", 1, "nb2", "call-nb2@" PEER, BOB, NULL, NULL);
  gint64 deadline;

  g_assert_true (zc_calls_set_forward (f->calls, "no-answer", "sip:carol@198.18.0.3:5060", 1, &error));
  incoming (f, "nb1", offer_pcmu, TRUE);
  g_assert_cmpstr (last_event (f), ==, "incoming:ringing");
  deadline = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
  while (zc_calls_count_live (f->calls) > 0 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpstr (call_by_id (f, "1")->end_reason, ==, "forwarded");
  g_assert_cmpuint (count_sent (f, "SIP/2.0 302 ", "call-nb1@"), >=, 1);

  incoming (f, "nb2", offer_pcmu, TRUE);
  feed (f, cancel);
  g_assert_cmpstr (call_by_id (f, "2")->end_reason, ==, "cancelled");
  deadline = g_get_monotonic_time () + 1300 * 1000;
  while (g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (count_sent (f, "SIP/2.0 302 ", "call-nb2@"), ==, 0);
  g_assert_cmpstr (call_by_id (f, "2")->end_reason, ==, "cancelled");
}

/* Loop detection knows a target by user and host: the same agent over
 * UDP, on another port or over TLS is the same target. */
static void
test_redirect_target_key (void)
{
  static const struct {
    const char *uri, *key;
  } cases[] = {
    { "sip:alice@198.18.0.1:5060", "alice@198.18.0.1" },
    { "sip:Alice@198.18.0.1:5061;transport=tls", "alice@198.18.0.1" },
    { "sips:bob@Example.TEST", "bob@example.test" },
    { "sip:carol@[2001:db8::3]:5060;lr", "carol@[2001:db8::3]" },
    { "sip:198.18.0.4", "@198.18.0.4" },
    { "sip:dave@host?subject=x", "dave@host" },
    { "tel:+15551234", NULL },
    { "sip:@", NULL },
    { "sip:x@[2001:db8::1", NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *key = zc_redirect_target_key (cases[i].uri);
    g_assert_cmpstr (key, ==, cases[i].key);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
#define ADD(path, fn) g_test_add ("/calls/" path, Fixture, NULL, setup, fn, teardown)
  ADD ("outgoing", test_outgoing);
  ADD ("reoffer-keeps-profile", test_reoffer_keeps_profile);
  ADD ("incoming-answer", test_incoming_answer);
  ADD ("incoming-hostile-text", test_incoming_hostile_text);
  ADD ("decline", test_decline);
  ADD ("busy", test_busy);
  ADD ("waiting", test_waiting);
  ADD ("waiting-late-answer", test_waiting_late_answer);
  ADD ("waiting-off", test_waiting_off);
  ADD ("dnd", test_dnd);
  ADD ("encryption-required", test_encryption_required);
  ADD ("sdes-declined", test_sdes_declined);
  ADD ("sdes-over-tls", test_sdes_over_tls);
  ADD ("incompatible", test_incompatible);
  ADD ("cancel-ringing", test_cancel_ringing);
  ADD ("redirect-follow", test_redirect_follow);
  ADD ("redirect-loop", test_redirect_loop);
  ADD ("forward-always", test_forward_always);
  ADD ("forward-busy", test_forward_busy);
  ADD ("forward-no-answer", test_forward_no_answer);
  ADD ("ring-timeout", test_ring_timeout);
  ADD ("hold-resume", test_hold_resume);
  ADD ("glare", test_glare);
  ADD ("remote-bye", test_remote_bye);
  ADD ("replacement-activity", test_replacement_activity);
  ADD ("media-timeout", test_media_timeout);
  ADD ("ice-backstop", test_ice_backstop);
  ADD ("ice-backstop-fresh", test_ice_backstop_fresh);
  ADD ("ice-backstop-keyed", test_ice_backstop_keyed);
  ADD ("ice-restart-by-peer", test_ice_restart_by_peer);
  ADD ("refused-transitions", test_refused_transitions);
  ADD ("hangup-all-beyond-history", test_hangup_all_beyond_history);
  ADD ("proof-verified", test_proof_verified);
  ADD ("proof-unpinned", test_proof_unpinned);
  ADD ("proof-mismatch", test_proof_mismatch);
  ADD ("proof-no-fingerprint", test_proof_no_fingerprint);
  ADD ("setup-cap/per-source", test_setup_cap_per_source);
  ADD ("setup-cap/auto-answer", test_setup_cap_auto_answer);
  ADD ("auto-answer-default-rings", test_auto_answer_default_rings);
  ADD ("auto-answer-anyone-alert", test_auto_answer_anyone_alert);
  ADD ("auto-answer-delay", test_auto_answer_delay);
  ADD ("auto-answer-claims-only", test_auto_answer_claims_only);
  ADD ("auto-answer-new-key", test_auto_answer_new_key);
  ADD ("auto-answer-uri", test_auto_answer_uri);
  ADD ("accept-from-lan", test_accept_from_lan);
  ADD ("relay-at-answer", test_relay_at_answer);
  ADD ("relay-outgoing", test_relay_outgoing);
  ADD ("relay-lan", test_relay_lan);
  g_test_add_func ("/calls/accept-from-sources", test_accept_from_sources);
  g_test_add ("/calls/ptime-10", Fixture, "10", setup, test_ptime_asked, teardown);
  g_test_add ("/calls/ptime-20", Fixture, "20", setup, test_ptime_asked, teardown);
  g_test_add ("/calls/ptime-30", Fixture, "30", setup, test_ptime_asked, teardown);
  g_test_add_func ("/calls/redirect-target-key", test_redirect_target_key);
  g_test_add ("/calls/auto-answer-known", Fixture, "known:known=yes", setup, test_auto_answer_pinned, teardown);
  g_test_add ("/calls/auto-answer-name", Fixture, "known:bob builder=yes", setup, test_auto_answer_pinned,
              teardown);
  g_test_add ("/calls/auto-answer-trusted-unverified", Fixture, "known:trusted=no", setup,
              test_auto_answer_pinned, teardown);
  g_test_add ("/calls/auto-answer-trusted", Fixture, "verified:trusted=yes", setup, test_auto_answer_pinned,
              teardown);
  g_test_add ("/calls/auto-answer-display-name", Fixture, "known:Bob=no", setup, test_auto_answer_pinned,
              teardown);
  return g_test_run ();
}
