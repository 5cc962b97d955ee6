/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The SIP stack and user agent in-process: messages go in through
 * zc_sip_stack_receive(), what the agent sends is recorded. */
#include "config.h"

#include "sip/rate-limit.h"
#include "sip/raw.h"
#include "sip/register.h"
#include "sip/stack.h"
#include "sip/ua.h"

#include "sip-text.h"

#include <string.h>

typedef struct {
  ZcSipFlow to;
  char *text;
} Sent;

typedef struct {
  ZcSipUa *ua;
  GPtrArray *sent;            /* Sent* */
  GPtrArray *events;          /* strings */
  ZcSipSession *last_session;
  int reject_with;            /* 0: answer incoming calls */
  const char *redirect_to;    /* answer incoming calls 302 to this URI */
} Fixture;

static const char sdp_offer[] =
    "v=0\r\no=- 1 1 IN IP4 198.18.0.2\r\ns=-\r\nc=IN IP4 198.18.0.2\r\nt=0 0\r\n"
    "m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

static void
sent_free (gpointer data)
{
  Sent *s = data;
  g_free (s->text);
  g_free (s);
}

static gboolean
record_send (const ZcSipFlow *to, const char *data, gsize len, gpointer user_data)
{
  Fixture *f = user_data;
  Sent *s = g_new0 (Sent, 1);

  s->to = *to;
  s->text = g_strndup (data, len);
  g_ptr_array_add (f->sent, s);
  return TRUE;
}

static char *
local_address (const char *remote G_GNUC_UNUSED, gpointer data G_GNUC_UNUSED)
{
  return g_strdup ("198.18.0.1");
}

static void
incoming_cb (ZcSipSession *session, const char *sdp, const ZcSipFlow *from G_GNUC_UNUSED, gpointer user_data)
{
  Fixture *f = user_data;
  gboolean from_its_peer = FALSE;
  ZcSipSession *replaced = zc_sip_session_get_replaced (session, &from_its_peer);

  g_ptr_array_add (f->events, g_strdup_printf ("incoming:%s", sdp ? "sdp" : "nosdp"));
  if (replaced != NULL)
    g_ptr_array_add (f->events, g_strdup_printf ("replaces:%s:%s", zc_sip_session_get_call_id (replaced),
                                                 from_its_peer ? "peer" : "other"));
  f->last_session = session;
  zc_sip_session_set_user_data (session, f);
  if (f->redirect_to != NULL)
    zc_sip_session_redirect (session, 302, (const char *const[]){ f->redirect_to, NULL });
  else if (f->reject_with != 0)
    zc_sip_session_reject (session, f->reject_with, NULL);
  else
    zc_sip_session_ring (session);
}

static void
progress_cb (ZcSipSession *session G_GNUC_UNUSED, int status, gpointer user_data)
{
  Fixture *f = user_data;
  g_ptr_array_add (f->events, g_strdup_printf ("progress:%d", status));
}

static void
established_cb (ZcSipSession *session G_GNUC_UNUSED, const char *sdp, gpointer user_data)
{
  Fixture *f = user_data;
  g_ptr_array_add (f->events, g_strdup_printf ("established:%s", sdp ? "sdp" : "nosdp"));
}

static void
ended_cb (ZcSipSession *session, ZcSipEndCause cause, int status, const char *reason G_GNUC_UNUSED,
          gpointer user_data)
{
  Fixture *f = user_data;
  const char *const *contacts = zc_sip_session_get_redirect_contacts (session);

  g_ptr_array_add (f->events, g_strdup_printf ("ended:%d:%d", cause, status));
  if (contacts != NULL) {
    g_autofree char *list = g_strjoinv (" ", (char **) contacts);
    g_ptr_array_add (f->events, g_strdup_printf ("contacts:%s", list));
  }
}

static int
refer_cb (ZcSipSession *session, const char *refer_to, gpointer user_data)
{
  Fixture *f = user_data;
  const char *replaces = zc_sip_session_get_refer_replaces (session);

  g_ptr_array_add (f->events, g_strdup_printf ("refer:%s", refer_to));
  if (replaces != NULL)
    g_ptr_array_add (f->events, g_strdup_printf ("refer-replaces:%s", replaces));
  return 202;
}

static void
refer_progress_cb (ZcSipSession *session G_GNUC_UNUSED, gboolean notify, int status, int expires, gpointer user_data)
{
  Fixture *f = user_data;
  g_ptr_array_add (f->events, g_strdup_printf ("refer-progress:%d:%d:%d", notify, status, expires));
}

static void
setup (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  static const ZcSipUaCallbacks events = {
    .incoming = incoming_cb, .progress = progress_cb, .established = established_cb, .ended = ended_cb,
    .refer = refer_cb, .refer_progress = refer_progress_cb,
  };
  ZcSipUaIo io = { .send = record_send, .local_address_for = local_address, .port = 5060, .data = f };
  ZcSipIdentity identity = { .user = "alice", .display_name = "Alice" };

  f->sent = g_ptr_array_new_with_free_func (sent_free);
  f->events = g_ptr_array_new_with_free_func (g_free);
  f->ua = zc_sip_ua_new_with_io (&io, &identity, &events, f);
}

static void
teardown (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  zc_sip_ua_free (f->ua);
  g_ptr_array_unref (f->sent);
  g_ptr_array_unref (f->events);
}

/* Builds a request from a template with \n line ends, a body, and a
 * correct Content-Length. */
static char *
request (const char *head, const char *body)
{
  g_autoptr (GString) s = g_string_new (NULL);
  g_auto (GStrv) lines = g_strsplit (head, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++) {
    if (*lines[i] == '\0')
      continue;
    g_string_append_printf (s, "%s\r\n", lines[i]);
  }
  g_string_append_printf (s, "Content-Length: %zu\r\n\r\n%s", body ? strlen (body) : 0, body ? body : "");
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static void
feed (Fixture *f, const char *text)
{
  ZcSipFlow from = { .proto = ZC_SIP_UDP, .address = "198.18.0.2", .port = 5062 };
  zc_sip_ua_receive (f->ua, text, strlen (text), &from);
}

static const Sent *
last_sent (Fixture *f)
{
  g_assert_cmpuint (f->sent->len, >, 0);
  return g_ptr_array_index (f->sent, f->sent->len - 1);
}

static void
assert_status (Fixture *f, guint index, const char *status_line)
{
  const Sent *s;

  g_assert_cmpuint (f->sent->len, >, index);
  s = g_ptr_array_index (f->sent, index);
  if (!g_str_has_prefix (s->text, status_line))
    g_error ("message %u: expected “%s”, got:\n%s", index, status_line, s->text);
}

#define BASE(method, cseq, branch) \
  method " sip:alice@198.18.0.1:5060 SIP/2.0\n" \
  "Via: SIP/2.0/UDP 198.18.0.2:5062;branch=z9hG4bK" branch ";rport\n" \
  "Max-Forwards: 70\n" \
  "From: \"Bob\" <sip:bob@198.18.0.2:5062>;tag=bobtag\n" \
  "To: <sip:alice@198.18.0.1:5060>\n" \
  "Call-ID: call-" branch "@198.18.0.2\n" \
  "CSeq: " cseq " " method "\n" \
  "Contact: <sip:bob@198.18.0.2:5062>\n"

static void
test_options (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autofree char *msg = request (BASE ("OPTIONS", "1", "o1"), NULL);
  g_autofree char *allow = NULL, *accept = NULL;

  feed (f, msg);
  assert_status (f, 0, "SIP/2.0 200 ");
  allow = sip_text_header (last_sent (f)->text, "Allow");
  accept = sip_text_header (last_sent (f)->text, "Accept");
  g_assert_nonnull (allow);
  g_assert_nonnull (strstr (allow, "INVITE"));
  g_assert_cmpstr (accept, ==, "application/sdp");
  /* rport: back to the source port, not the Via's. */
  g_assert_cmpuint (last_sent (f)->to.port, ==, 5062);
  g_assert_cmpstr (last_sent (f)->to.address, ==, "198.18.0.2");
  g_assert_nonnull (strstr (last_sent (f)->text, "rport=5062"));
}

static void
test_response_port_without_rport (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autofree char *msg = request ("OPTIONS sip:alice@198.18.0.1 SIP/2.0\n"
                                  "Via: SIP/2.0/UDP 203.0.113.9:5070;maddr=203.0.113.10;branch=z9hG4bKm\n"
                                  "From: <sip:bob@198.18.0.2>;tag=1\nTo: <sip:alice@198.18.0.1>\n"
                                  "Call-ID: m1\nCSeq: 1 OPTIONS\n",
                                  NULL);

  feed (f, msg);
  assert_status (f, 0, "SIP/2.0 200 ");
  /* RFC 3261 18.2.2: received address, sent-by port; maddr is ignored so
   * no third party can be made a target. */
  g_assert_cmpstr (last_sent (f)->to.address, ==, "198.18.0.2");
  g_assert_cmpuint (last_sent (f)->to.port, ==, 5070);
}

static void
test_invite_answer_ack_bye (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autofree char *invite = request (BASE ("INVITE", "1", "i1") "Content-Type: application/sdp\n", sdp_offer);
  g_autofree char *to_tag = NULL, *to = NULL, *ack = NULL, *bye = NULL, *retransmit = NULL;

  feed (f, invite);
  assert_status (f, 0, "SIP/2.0 100 ");
  assert_status (f, 1, "SIP/2.0 180 ");
  g_assert_cmpstr (g_ptr_array_index (f->events, 0), ==, "incoming:sdp");
  zc_sip_session_answer (f->last_session, sdp_offer);
  assert_status (f, 2, "SIP/2.0 200 ");
  g_assert_nonnull (strstr (last_sent (f)->text, "Contact: <sip:alice@198.18.0.1:5060>"));
  g_assert_nonnull (strstr (last_sent (f)->text, "Content-Type: application/sdp"));
  to = sip_text_header (last_sent (f)->text, "To");
  g_assert_nonnull (strstr (to, ";tag="));

  /* A retransmitted INVITE is absorbed: the 200 goes again, no new call. */
  feed (f, invite);
  g_assert_cmpuint (f->events->len, ==, 1);

  ack = request ("ACK sip:alice@198.18.0.1:5060 SIP/2.0\n"
                 "Via: SIP/2.0/UDP 198.18.0.2:5062;branch=z9hG4bKa1;rport\nMax-Forwards: 70\n"
                 "From: \"Bob\" <sip:bob@198.18.0.2:5062>;tag=bobtag\n",
                 NULL);
  retransmit = g_strdup_printf ("%.*sTo: %s\r\nCall-ID: call-i1@198.18.0.2\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
                                (int) (strstr (ack, "Content-Length") - ack), ack, to);
  feed (f, retransmit);
  g_assert_cmpstr (g_ptr_array_index (f->events, 1), ==, "established:nosdp");

  bye = g_strdup_printf ("BYE sip:alice@198.18.0.1:5060 SIP/2.0\r\n"
                         "Via: SIP/2.0/UDP 198.18.0.2:5062;branch=z9hG4bKb1;rport\r\nMax-Forwards: 70\r\n"
                         "From: \"Bob\" <sip:bob@198.18.0.2:5062>;tag=bobtag\r\nTo: %s\r\n"
                         "Call-ID: call-i1@198.18.0.2\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n",
                         to);
  feed (f, bye);
  g_assert_true (g_str_has_prefix (last_sent (f)->text, "SIP/2.0 200 "));
  g_assert_nonnull (strstr (last_sent (f)->text, "CSeq: 2 BYE"));
  g_assert_cmpstr (g_ptr_array_index (f->events, 2), ==, "ended:1:0"); /* REMOTE_HANGUP */
}

/* A request in the established dialog of test_refer, from @address. */
static void
feed_in_dialog (Fixture *f, const char *to, const char *method, int cseq, const char *extra, const char *body,
                const char *address)
{
  ZcSipFlow from = { .proto = ZC_SIP_UDP, .port = 5062 };
  g_autofree char *text =
    g_strdup_printf ("%s sip:alice@198.18.0.1:5060 SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP %s:5062;branch=z9hG4bKd%d;rport\r\nMax-Forwards: 70\r\n"
                     "From: \"Bob\" <sip:bob@198.18.0.2:5062>;tag=bobtag\r\nTo: %s\r\n"
                     "Call-ID: call-x1@198.18.0.2\r\nCSeq: %d %s\r\n%sContent-Length: %zu\r\n\r\n%s",
                     method, address, cseq, to, cseq, method, extra, body ? strlen (body) : 0, body ? body : "");

  g_strlcpy (from.address, address, sizeof from.address);
  zc_sip_ua_receive (f->ua, text, strlen (text), &from);
}

/* REFER (RFC 3515) inside an established dialog: the core hears the
 * Refer-To URI without its headers and its 202 is sent; from another
 * address the REFER is refused; our NOTIFY carries a sipfrag; the peer's
 * NOTIFY reaches the core. */
static void
test_refer (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autofree char *invite = request (BASE ("INVITE", "1", "x1") "Content-Type: application/sdp\n", sdp_offer);
  g_autofree char *to = NULL;
  const char *notify;
  guint events;

  feed (f, invite);
  zc_sip_session_answer (f->last_session, sdp_offer);
  to = sip_text_header (last_sent (f)->text, "To");
  feed_in_dialog (f, to, "ACK", 1, "", NULL, "198.18.0.2");
  g_assert_cmpstr (g_ptr_array_index (f->events, 1), ==, "established:nosdp");
  g_assert_nonnull (strstr (last_sent (f)->text, "REFER"));   /* Allow */

  feed_in_dialog (f, to, "REFER", 2, "Refer-To: <sip:carol@198.18.0.3:5060?Replaces=abc%3Bto-tag%3D1>\r\n", NULL,
                  "198.18.0.2");
  g_assert_true (g_str_has_prefix (last_sent (f)->text, "SIP/2.0 202 "));
  g_assert_cmpstr (g_ptr_array_index (f->events, 2), ==, "refer:sip:carol@198.18.0.3:5060");

  events = f->events->len;
  feed_in_dialog (f, to, "REFER", 3, "Refer-To: <sip:mallory@198.18.0.9>\r\n", NULL, "198.18.0.9");
  g_assert_true (g_str_has_prefix (last_sent (f)->text, "SIP/2.0 403 "));
  feed_in_dialog (f, to, "REFER", 4, "", NULL, "198.18.0.2");
  g_assert_true (g_str_has_prefix (last_sent (f)->text, "SIP/2.0 400 "));
  g_assert_cmpuint (f->events->len, ==, events);

  zc_sip_session_notify_refer (f->last_session, 180, "Ringing");
  notify = last_sent (f)->text;
  g_assert_true (g_str_has_prefix (notify, "NOTIFY sip:bob@198.18.0.2:5062 SIP/2.0\r\n"));
  g_assert_nonnull (strstr (notify, "Event: refer\r\n"));
  g_assert_nonnull (strstr (notify, "Subscription-State: active;expires=60\r\n"));
  g_assert_nonnull (strstr (notify, "Content-Type: message/sipfrag"));
  g_assert_true (g_str_has_suffix (notify, "\r\n\r\nSIP/2.0 180 Ringing\r\n"));
  zc_sip_session_notify_refer (f->last_session, 200, "OK");
  g_assert_nonnull (strstr (last_sent (f)->text, "Subscription-State: terminated;reason=noresource\r\n"));

  feed_in_dialog (f, to, "NOTIFY", 5, "Event: refer\r\nContent-Type: message/sipfrag\r\n", "SIP/2.0 200 OK\r\n",
                  "198.18.0.2");
  g_assert_true (g_str_has_prefix (last_sent (f)->text, "SIP/2.0 200 "));
  g_assert_cmpstr (g_ptr_array_index (f->events, f->events->len - 1), ==, "refer-progress:1:200:-1");
  feed_in_dialog (f, to, "NOTIFY", 6, "Event: presence\r\n", NULL, "198.18.0.2");
  g_assert_true (g_str_has_prefix (last_sent (f)->text, "SIP/2.0 489 "));

  /* The Subscription-State reaches the core: how long it still lasts,
   * 0 once terminated; a NOTIFY without a sipfrag status line matters
   * only when it ends the subscription (status 0). */
  feed_in_dialog (f, to, "NOTIFY", 7,
                  "Event: refer\r\nSubscription-State: active ; expires=12\r\nContent-Type: message/sipfrag\r\n",
                  "SIP/2.0 100 Trying\r\n", "198.18.0.2");
  g_assert_cmpstr (g_ptr_array_index (f->events, f->events->len - 1), ==, "refer-progress:1:100:12");
  events = f->events->len;
  feed_in_dialog (f, to, "NOTIFY", 8, "Event: refer\r\nSubscription-State: active;expires=30\r\n", NULL,
                  "198.18.0.2");
  g_assert_true (g_str_has_prefix (last_sent (f)->text, "SIP/2.0 200 "));
  g_assert_cmpuint (f->events->len, ==, events);
  /* An empty Subscription-State says nothing (and is no crash). */
  feed_in_dialog (f, to, "NOTIFY", 9,
                  "Event: refer\r\nSubscription-State: \r\nContent-Type: message/sipfrag\r\n",
                  "SIP/2.0 180 Ringing\r\n", "198.18.0.2");
  g_assert_cmpstr (g_ptr_array_index (f->events, f->events->len - 1), ==, "refer-progress:1:180:-1");
  feed_in_dialog (f, to, "NOTIFY", 10, "Event: refer\r\nSubscription-State: Terminated;reason=timeout\r\n", NULL,
                  "198.18.0.2");
  g_assert_cmpstr (g_ptr_array_index (f->events, f->events->len - 1), ==, "refer-progress:1:0:0");
}

/* A raw INVITE from @address outside any dialog, Call-ID @call_id, with
 * the header lines @extra. */
static void
feed_invite (Fixture *f, const char *call_id, const char *extra, const char *address)
{
  ZcSipFlow from = { .proto = ZC_SIP_UDP, .port = 5064 };
  g_autofree char *text =
    g_strdup_printf ("INVITE sip:alice@198.18.0.1:5060 SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP %s:5064;branch=z9hG4bK%s;rport\r\nMax-Forwards: 70\r\n"
                     "From: <sip:carol@%s:5064>;tag=caroltag\r\nTo: <sip:alice@198.18.0.1:5060>\r\n"
                     "Call-ID: %s\r\nCSeq: 1 INVITE\r\nContact: <sip:carol@%s:5064>\r\n%s"
                     "Content-Length: 0\r\n\r\n",
                     address, call_id, address, call_id, address, extra);

  g_strlcpy (from.address, address, sizeof from.address);
  zc_sip_ua_receive (f->ua, text, strlen (text), &from);
}

/* Replaces (RFC 3891): our REFER names the dialog as its target sees it,
 * escaped in the Refer-To; a REFER's Replaces reaches the core unescaped;
 * an INVITE's Replaces finds the dialog by Call-ID and both tags, else
 * 481, two of them 400, early-only on a confirmed dialog 486. */
static void
test_replaces (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autofree char *invite = request (BASE ("INVITE", "1", "x1") "Content-Type: application/sdp\n", sdp_offer);
  g_autofree char *to = NULL;
  g_autofree char *refer_to = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *header = NULL;
  const char *our_tag;
  ZcSipSession *dialog;

  feed (f, invite);
  zc_sip_session_answer (f->last_session, sdp_offer);
  dialog = f->last_session;
  to = sip_text_header (last_sent (f)->text, "To");
  our_tag = strstr (to, ";tag=") + 5;
  feed_in_dialog (f, to, "ACK", 1, "", NULL, "198.18.0.2");

  /* The target (bob) sees its own tag as the to-tag. */
  g_assert_true (zc_sip_session_refer_replacing (dialog, dialog));
  refer_to = sip_text_header (last_sent (f)->text, "Refer-To");
  expected = g_strdup_printf ("<sip:bob@198.18.0.2:5062?Replaces=call-x1%%40198.18.0.2%%3Bto-tag%%3Dbobtag"
                              "%%3Bfrom-tag%%3D%s>", our_tag);
  g_assert_cmpstr (refer_to, ==, expected);

  header = g_strdup_printf ("Refer-To: <sip:carol@198.18.0.3?Replaces=c%%40h%%3Bto-tag%%3Da%%3Bfrom-tag%%3Db>\r\n");
  feed_in_dialog (f, to, "REFER", 2, header, NULL, "198.18.0.2");
  g_assert_true (g_str_has_prefix (last_sent (f)->text, "SIP/2.0 202 "));
  g_assert_cmpstr (g_ptr_array_index (f->events, f->events->len - 1), ==, "refer-replaces:c@h;to-tag=a;from-tag=b");

  g_clear_pointer (&header, g_free);
  header = g_strdup_printf ("Replaces: call-x1@198.18.0.2;to-tag=%s;from-tag=bobtag\r\n", our_tag);
  feed_invite (f, "new-1@198.18.0.3", header, "198.18.0.3");
  g_assert_cmpstr (g_ptr_array_index (f->events, f->events->len - 1), ==, "replaces:call-x1@198.18.0.2:other");
  g_clear_pointer (&header, g_free);
  header = g_strdup_printf ("Replaces: call-x1@198.18.0.2;to-tag=%s;from-tag=bobtag\r\n", our_tag);
  feed_invite (f, "new-2@198.18.0.2", header, "198.18.0.2");
  g_assert_cmpstr (g_ptr_array_index (f->events, f->events->len - 1), ==, "replaces:call-x1@198.18.0.2:peer");

  feed_invite (f, "new-3@198.18.0.3", "Replaces: call-x1@198.18.0.2;to-tag=bobtag;from-tag=wrong\r\n", "198.18.0.3");
  g_assert_true (g_str_has_prefix (last_sent (f)->text, "SIP/2.0 481 "));
  feed_invite (f, "new-4@198.18.0.3", "Replaces: nowhere@198.18.0.9;to-tag=a;from-tag=b\r\n", "198.18.0.3");
  g_assert_true (g_str_has_prefix (last_sent (f)->text, "SIP/2.0 481 "));
  feed_invite (f, "new-5@198.18.0.3", "Replaces: a@b;to-tag=a;from-tag=b\r\nReplaces: c@d;to-tag=a;from-tag=b\r\n",
               "198.18.0.3");
  g_assert_true (g_str_has_prefix (last_sent (f)->text, "SIP/2.0 400 "));
  g_clear_pointer (&header, g_free);
  header = g_strdup_printf ("Replaces: call-x1@198.18.0.2;to-tag=%s;from-tag=bobtag;early-only\r\n", our_tag);
  feed_invite (f, "new-6@198.18.0.3", header, "198.18.0.3");
  g_assert_true (g_str_has_prefix (last_sent (f)->text, "SIP/2.0 486 "));
}

static void
test_invite_cancel (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autofree char *invite = request (BASE ("INVITE", "1", "c1"), NULL);
  g_autofree char *cancel = request (BASE ("CANCEL", "1", "c1"), NULL);
  gboolean saw_487 = FALSE, saw_200_cancel = FALSE;

  feed (f, invite);
  feed (f, cancel);
  for (guint i = 0; i < f->sent->len; i++) {
    const Sent *s = g_ptr_array_index (f->sent, i);

    saw_487 |= g_str_has_prefix (s->text, "SIP/2.0 487 ") && strstr (s->text, "CSeq: 1 INVITE") != NULL;
    saw_200_cancel |= g_str_has_prefix (s->text, "SIP/2.0 200 ") && strstr (s->text, "CSeq: 1 CANCEL") != NULL;
  }
  g_assert_true (saw_487);
  g_assert_true (saw_200_cancel);
  g_assert_cmpstr (g_ptr_array_index (f->events, 1), ==, "ended:2:487"); /* CANCELLED */
}

static void
test_reject_busy (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autofree char *invite = request (BASE ("INVITE", "1", "r1"), NULL);

  f->reject_with = 486;
  feed (f, invite);
  assert_status (f, 1, "SIP/2.0 486 ");
  g_assert_nonnull (strstr (last_sent (f)->text, "Retry-After"));
}

static void
test_bye_unknown_dialog (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autofree char *bye = request (BASE ("BYE", "2", "u1"), NULL);
  g_autofree char *tagged = NULL;
  char *to = strstr (bye, "To: <sip:alice@198.18.0.1:5060>");

  g_assert_nonnull (to);
  tagged = g_strdup_printf ("%.*sTo: <sip:alice@198.18.0.1:5060>;tag=nosuch%s", (int) (to - bye), bye,
                            to + strlen ("To: <sip:alice@198.18.0.1:5060>"));
  feed (f, tagged);
  assert_status (f, 0, "SIP/2.0 481 ");
}

/* What a user agent must answer to broken or unsupported requests
 * (RFC 3261 8.2, RFC 4475 3.1.2 and 3.3). */
static void
test_rejections (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  static const struct {
    const char *head;
    const char *body;
    const char *status;
    const char *header; /* expected header, or NULL */
  } cases[] = {
    { "OPTIONS sip:alice@198.18.0.1 SIP/7.0\nVia: SIP/2.0/UDP 198.18.0.2;branch=z9hG4bKv\nFrom: <sip:b@x>;tag=1\n"
      "To: <sip:alice@198.18.0.1>\nCall-ID: v\nCSeq: 1 OPTIONS\n", NULL, "SIP/2.0 505 ", NULL },
    { "OPTIONS sip:alice@198.18.0.1 SIP/2.0\nVia: SIP/2.0/UDP 198.18.0.2;branch=z9hG4bKn\nFrom: <sip:b@x>;tag=1\n"
      "To: <sip:alice@198.18.0.1>\nCSeq: 1 OPTIONS\n", NULL, "SIP/2.0 400 ", NULL },
    { "FOO sip:alice@198.18.0.1 SIP/2.0\nVia: SIP/2.0/UDP 198.18.0.2;branch=z9hG4bKf\nFrom: <sip:b@x>;tag=1\n"
      "To: <sip:alice@198.18.0.1>\nCall-ID: f\nCSeq: 1 FOO\n", NULL, "SIP/2.0 501 ", "Allow" },
    { "REGISTER sip:198.18.0.1 SIP/2.0\nVia: SIP/2.0/UDP 198.18.0.2;branch=z9hG4bKr\nFrom: <sip:b@x>;tag=1\n"
      "To: <sip:b@x>\nCall-ID: r\nCSeq: 1 REGISTER\n", NULL, "SIP/2.0 405 ", "Allow" },
    { "OPTIONS sip:alice@198.18.0.1 SIP/2.0\nVia: SIP/2.0/UDP 198.18.0.2;branch=z9hG4bKq\nFrom: <sip:b@x>;tag=1\n"
      "To: <sip:alice@198.18.0.1>\nCall-ID: q\nCSeq: 1 OPTIONS\nRequire: nothing-we-know\n", NULL, "SIP/2.0 420 ",
      "Unsupported" },
    { "INVITE sip:alice@198.18.0.1 SIP/2.0\nVia: SIP/2.0/UDP 198.18.0.2;branch=z9hG4bKt\nFrom: <sip:b@x>;tag=1\n"
      "To: <sip:alice@198.18.0.1>\nCall-ID: t\nCSeq: 1 INVITE\nContent-Type: text/plain\n", "hello", "SIP/2.0 415 ",
      "Accept" },
    { "OPTIONS sip:alice@198.18.0.1 SIP/2.0\nVia: SIP/2.0/UDP 198.18.0.2;branch=z9hG4bKm\nFrom: <sip:b@x>;tag=1\n"
      "To: <sip:alice@198.18.0.1>\nCall-ID: m\nCSeq: 8 INVITE\n", NULL, "SIP/2.0 400 ", NULL },
    { "OPTIONS nobodyKnowsThisScheme:foo SIP/2.0\nVia: SIP/2.0/UDP 198.18.0.2;branch=z9hG4bKs\nFrom: <sip:b@x>;tag=1\n"
      "To: <sip:alice@198.18.0.1>\nCall-ID: s\nCSeq: 1 OPTIONS\n", NULL, "SIP/2.0 416 ", NULL },
    { "OPTIONS sip:alice@198.18.0.1 SIP/2.0\nVia: SIP/2.0/UDP 198.18.0.2;branch=z9hG4bKd\nFrom: <sip:b@x>;tag=1\n"
      "From: <sip:c@x>;tag=2\nTo: <sip:alice@198.18.0.1>\nCall-ID: d\nCSeq: 1 OPTIONS\n", NULL, "SIP/2.0 400 ", NULL },
    { "OPTIONS sip:alice@198.18.0.1 SIP/2.0\nVia: SIP/2.0/UDP 198.18.0.2;branch=z9hG4bKx\nFrom: <sip:b@x>;tag=1\n"
      "To: <sip:alice@198.18.0.1>\nCall-ID: x\nCSeq: 4294967296 OPTIONS\n", NULL, "SIP/2.0 400 ", NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *msg = request (cases[i].head, cases[i].body);
    guint before = f->sent->len;

    feed (f, msg);
    if (f->sent->len != before + 1)
      g_error ("case %zu: %u responses to:\n%s", i, f->sent->len - before, msg);
    assert_status (f, before, cases[i].status);
    if (cases[i].header != NULL) {
      g_autofree char *value = sip_text_header (last_sent (f)->text, cases[i].header);
      g_assert_nonnull (value);
    }
  }
}

static void
test_content_length_too_large (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  const char *msg = "OPTIONS sip:alice@198.18.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.0.2;branch=z9hG4bKcl\r\n"
                    "From: <sip:b@x>;tag=1\r\nTo: <sip:alice@198.18.0.1>\r\nCall-ID: cl\r\nCSeq: 1 OPTIONS\r\n"
                    "Content-Length: 9999\r\n\r\nshort";

  feed (f, msg);
  assert_status (f, 0, "SIP/2.0 400 ");
}

static void
test_dropped_responses (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  feed (f, "SIP/2.0 4294967301 Big\r\nVia: SIP/2.0/UDP 198.18.0.1;branch=z9hG4bKz\r\nFrom: <sip:a@x>;tag=1\r\n"
           "To: <sip:b@x>;tag=2\r\nCall-ID: z\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
  feed (f, "garbage\r\n\r\n");
  g_assert_cmpuint (f->sent->len, ==, 0);
}

/* OPTIONS number @i from 198.18.0.2, its own transaction (branch and
 * Call-ID @prefix@i). */
static void
feed_options (Fixture *f, const char *prefix, int i)
{
  g_autofree char *branch = g_strdup_printf ("%s%d", prefix, i);
  g_autofree char *msg = g_strdup_printf ("OPTIONS sip:alice@198.18.0.1 SIP/2.0\r\n"
                                          "Via: SIP/2.0/UDP 198.18.0.2;branch=z9hG4bK%s\r\nFrom: <sip:b@x>;tag=1\r\n"
                                          "To: <sip:alice@198.18.0.1>\r\nCall-ID: %s\r\nCSeq: 1 OPTIONS\r\n"
                                          "Content-Length: 0\r\n\r\n",
                                          branch, branch);
  feed (f, msg);
}

static void
test_rate_limit (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  guint ok = 0, busy = 0;

  zc_sip_ua_set_rate_limit (f->ua, 10);
  for (int i = 0; i < 100; i++) {
    feed_options (f, "rl", i);
  }
  for (guint i = 0; i < f->sent->len; i++) {
    const Sent *s = g_ptr_array_index (f->sent, i);
    ok += g_str_has_prefix (s->text, "SIP/2.0 200 ");
    if (g_str_has_prefix (s->text, "SIP/2.0 503 ")) {
      g_assert_nonnull (strstr (s->text, "Retry-After: 5"));
      busy++;
    }
  }
  /* Burst of 2x the rate answered, then 503s, then silence. */
  g_assert_cmpuint (ok, >=, 20);
  g_assert_cmpuint (ok, <=, 22);
  g_assert_cmpuint (busy, >, 0);
  g_assert_cmpuint (ok + busy, <, 100);
}

/* Server transactions are capped per source, in number and in bytes:
 * beyond, 503 without a transaction; OPTIONS keeps none at all. */
static guint
feed_byes (Fixture *f, const char *source, guint n, gsize body_len, guint *busy)
{
  ZcSipFlow from = { .proto = ZC_SIP_UDP, .port = 5062 };
  g_autofree char *body = g_strnfill (body_len, 'x');
  guint answered = 0;

  g_strlcpy (from.address, source, sizeof from.address);
  *busy = 0;
  g_ptr_array_set_size (f->sent, 0);
  for (guint i = 0; i < n; i++) {
    g_autofree char *msg = g_strdup_printf ("BYE sip:alice@198.18.0.1 SIP/2.0\r\n"
                                            "Via: SIP/2.0/UDP %s;branch=z9hG4bKb%u\r\nFrom: <sip:b@x>;tag=1\r\n"
                                            "To: <sip:alice@198.18.0.1>;tag=2\r\nCall-ID: b%u@%s\r\nCSeq: 1 BYE\r\n"
                                            "Content-Type: text/plain\r\nContent-Length: %zu\r\n\r\n%s",
                                            source, i, i, source, body_len, body);
    zc_sip_ua_receive (f->ua, msg, strlen (msg), &from);
  }
  for (guint i = 0; i < f->sent->len; i++) {
    const Sent *sent = g_ptr_array_index (f->sent, i);

    answered += g_str_has_prefix (sent->text, "SIP/2.0 481 ");
    *busy += g_str_has_prefix (sent->text, "SIP/2.0 503 ");
  }
  return answered;
}

static void
test_transaction_cap (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  guint busy = 0;

  zc_sip_ua_set_rate_limit (f->ua, 0);
  for (int i = 0; i < 200; i++) {
    feed_options (f, "o", i);
  }
  /* 200 OPTIONS took no slot: 512 small BYEs do, the rest get 503. */
  g_assert_cmpuint (feed_byes (f, "198.18.0.2", 600, 0, &busy), ==, ZC_SIP_MAX_SERVER_TRANSACTIONS_PER_SOURCE);
  g_assert_cmpuint (busy, ==, 600 - ZC_SIP_MAX_SERVER_TRANSACTIONS_PER_SOURCE);
  /* Large ones from another source: its 2 MiB are reached first. */
  g_assert_cmpuint (feed_byes (f, "198.18.0.3", 200, 16000, &busy), ==,
                    ZC_SIP_MAX_SERVER_TRANSACTION_BYTES_PER_SOURCE / 16200);
  g_assert_cmpuint (busy, >, 0);
}

/* The bucket on its own, with a clock of our choosing. */
static void
test_rate_limit_bucket (void)
{
  g_autoptr (ZcSipRateLimit) limit = zc_sip_rate_limit_new (10);
  gint64 now = 1000 * G_USEC_PER_SEC;
  guint passed = 0;
  int i;

  for (i = 0; i < 20; i++)
    passed += zc_sip_rate_limit_check (limit, "198.18.0.2", now) == ZC_SIP_RATE_PASS;
  g_assert_cmpuint (passed, ==, 20); /* the burst: twice the rate */
  g_assert_cmpint (zc_sip_rate_limit_check (limit, "198.18.0.2", now), ==, ZC_SIP_RATE_REJECT);
  g_assert_cmpint (zc_sip_rate_limit_check (limit, "198.18.0.3", now), ==, ZC_SIP_RATE_PASS);
  for (i = 0; i < 19; i++)
    g_assert_cmpint (zc_sip_rate_limit_check (limit, "198.18.0.2", now), ==, ZC_SIP_RATE_REJECT);
  g_assert_cmpint (zc_sip_rate_limit_check (limit, "198.18.0.2", now), ==, ZC_SIP_RATE_DROP);
  /* Refills at the rate: 10 s later the burst is back. */
  g_assert_cmpint (zc_sip_rate_limit_check (limit, "198.18.0.2", now + 10 * G_USEC_PER_SEC), ==, ZC_SIP_RATE_PASS);
  zc_sip_rate_limit_set_rate (limit, 0);
  for (i = 0; i < 100; i++)
    g_assert_cmpint (zc_sip_rate_limit_check (limit, "198.18.0.2", now), ==, ZC_SIP_RATE_PASS);
}

/* A flood from many addresses neither grows the table nor wipes the
 * state of the source being limited; all sources together share a cap. */
static void
test_rate_limit_lru (void)
{
  g_autoptr (ZcSipRateLimit) limit = zc_sip_rate_limit_new (10);
  gint64 now = 1000 * G_USEC_PER_SEC;
  guint passed = 0, dropped = 0;

  for (int i = 0; i < 20; i++)
    zc_sip_rate_limit_check (limit, "198.18.0.2", now);
  g_assert_cmpint (zc_sip_rate_limit_check (limit, "198.18.0.2", now), ==, ZC_SIP_RATE_REJECT);
  /* 10,000 spoofed sources in 10 ms, the drained one heard from now and then. */
  for (int i = 0; i < 10000; i++) {
    g_autofree char *source = g_strdup_printf ("2001:db8::%x", i);

    now += 1;
    zc_sip_rate_limit_check (limit, source, now);
    if (i % 1000 == 0)
      g_assert_cmpint (zc_sip_rate_limit_check (limit, "198.18.0.2", now), !=, ZC_SIP_RATE_PASS);
    g_assert_cmpuint (zc_sip_rate_limit_size (limit), <=, ZC_SIP_RATE_MAX_SOURCES);
  }
  /* The global bucket: a burst from many addresses at one instant. */
  for (int i = 0; i < 1000; i++) {
    g_autofree char *source = g_strdup_printf ("198.19.%d.%d", i / 256, i % 256);
    ZcSipRateVerdict v = zc_sip_rate_limit_check (limit, source, now);

    passed += v == ZC_SIP_RATE_PASS;
    dropped += v == ZC_SIP_RATE_DROP;
  }
  g_assert_cmpuint (passed, <=, 2 * 10 * ZC_SIP_RATE_GLOBAL_FACTOR);
  g_assert_cmpuint (dropped, >=, 1000 - 2 * 10 * ZC_SIP_RATE_GLOBAL_FACTOR);
}

static void
test_outgoing_call (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  ZcSipFlow to = { .proto = ZC_SIP_UDP, .address = "198.18.0.2", .port = 5062 };
  ZcSipSession *s = zc_sip_ua_invite (f->ua, "sip:bob@198.18.0.2:5062", &to, sdp_offer, NULL);
  g_autofree char *via = NULL, *from = NULL, *call_id = NULL, *ringing = NULL, *ok = NULL;

  g_assert_nonnull (s);
  zc_sip_session_set_user_data (s, f);
  g_assert_true (g_str_has_prefix (last_sent (f)->text, "INVITE sip:bob@198.18.0.2:5062 SIP/2.0"));
  via = sip_text_header (last_sent (f)->text, "Via");
  from = sip_text_header (last_sent (f)->text, "From");
  call_id = sip_text_header (last_sent (f)->text, "Call-ID");
  g_assert_nonnull (strstr (via, ";branch=z9hG4bK"));
  ringing = g_strdup_printf ("SIP/2.0 180 Ringing\r\nVia: %s\r\nFrom: %s\r\nTo: <sip:bob@198.18.0.2:5062>;tag=b1\r\n"
                             "Call-ID: %s\r\nCSeq: 1 INVITE\r\nContact: <sip:bob@198.18.0.2:5062>\r\n"
                             "Content-Length: 0\r\n\r\n",
                             via, from, call_id);
  feed (f, ringing);
  g_assert_cmpstr (g_ptr_array_index (f->events, 0), ==, "progress:180");
  ok = g_strdup_printf ("SIP/2.0 200 OK\r\nVia: %s\r\nFrom: %s\r\nTo: <sip:bob@198.18.0.2:5062>;tag=b1\r\n"
                        "Call-ID: %s\r\nCSeq: 1 INVITE\r\nContact: <sip:bob@198.18.0.2:5062>\r\n"
                        "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s",
                        via, from, call_id, strlen (sdp_offer), sdp_offer);
  feed (f, ok);
  g_assert_cmpstr (g_ptr_array_index (f->events, 1), ==, "established:sdp");
  g_assert_true (g_str_has_prefix (last_sent (f)->text, "ACK sip:bob@198.18.0.2:5062 SIP/2.0"));
  g_assert_nonnull (strstr (last_sent (f)->text, "CSeq: 1 ACK"));
  g_assert_nonnull (strstr (last_sent (f)->text, "tag=b1"));
  /* The 200 again: our ACK was lost, send it again. */
  feed (f, ok);
  g_assert_true (g_str_has_prefix (last_sent (f)->text, "ACK "));
  zc_sip_session_hangup (s);
  g_assert_true (g_str_has_prefix (last_sent (f)->text, "BYE sip:bob@198.18.0.2:5062 SIP/2.0"));
  g_assert_nonnull (strstr (last_sent (f)->text, "CSeq: 2 BYE"));
}

/* A proxy that Record-Routes stays in the path: our 200 echoes the
 * Record-Route and our BYE goes through it with a Route header. */
static void
test_record_route (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autofree char *invite = request (BASE ("INVITE", "1", "rr1") "Record-Route: <sip:198.18.0.9:5060;lr>\n"
                                     "Content-Type: application/sdp\n", sdp_offer);

  feed (f, invite);
  zc_sip_session_answer (f->last_session, sdp_offer);
  g_assert_true (g_str_has_prefix (last_sent (f)->text, "SIP/2.0 200 "));
  g_assert_nonnull (strstr (last_sent (f)->text, "Record-Route: <sip:198.18.0.9:5060;lr>"));
  zc_sip_session_hangup (f->last_session);
  g_assert_true (g_str_has_prefix (last_sent (f)->text, "BYE sip:bob@198.18.0.2:5062 SIP/2.0"));
  g_assert_nonnull (strstr (last_sent (f)->text, "Route: <sip:198.18.0.9:5060;lr>"));
  g_assert_cmpstr (last_sent (f)->to.address, ==, "198.18.0.9");
}


/* ---- registration ---------------------------------------------------------------------- */

typedef struct {
  ZcSipRegState state;
  int status;
  guint reports;
} RegSeen;

static void
reg_cb (ZcSipRegistration *reg G_GNUC_UNUSED, ZcSipRegState state, int status, const char *reason G_GNUC_UNUSED,
        gpointer user_data)
{
  RegSeen *seen = user_data;
  seen->state = state;
  seen->status = status;
  seen->reports++;
}

/* A response to request @req, from the registrar or proxy at
 * 198.18.0.2:5062, with @extra header lines. */
static char *
response_to (const char *req, const char *status_line, const char *extra)
{
  g_autofree char *via = sip_text_header (req, "Via");
  g_autofree char *from = sip_text_header (req, "From");
  g_autofree char *to = sip_text_header (req, "To");
  g_autofree char *call_id = sip_text_header (req, "Call-ID");
  g_autofree char *cseq = sip_text_header (req, "CSeq");
  g_autofree char *head = g_strdup_printf ("%s\nVia: %s;received=198.19.0.1;rport=31000\nFrom: %s\nTo: %s;tag=reg\n"
                                           "Call-ID: %s\nCSeq: %s\n%s",
                                           status_line, via, from, to, call_id, cseq, extra);
  g_autofree char *with_rport = NULL;

  /* The registrar fills in the rport the client left empty. */
  with_rport = g_strdup (head);
  {
    char *p = strstr (with_rport, ";rport;received");
    if (p != NULL)
      memmove (p, p + strlen (";rport"), strlen (p + strlen (";rport")) + 1);
  }
  return request (with_rport, NULL);
}

/* The same for the last request sent. */
static char *
register_response (Fixture *f, const char *status_line, const char *extra)
{
  return response_to (last_sent (f)->text, status_line, extra);
}

/* RFC 3261 8.1.3.4: a 3xx ends the INVITE (ACKed by the transaction)
 * and hands its Contacts to the core, highest q first, equal q in the
 * order given, q absent meaning 1. */
static void
test_redirect_contacts (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  ZcSipFlow to = { .proto = ZC_SIP_UDP, .address = "198.18.0.2", .port = 5062 };
  ZcSipSession *s = zc_sip_ua_invite (f->ua, "sip:bob@198.18.0.2:5062", &to, sdp_offer, NULL);
  g_autofree char *moved = NULL;

  g_assert_nonnull (s);
  zc_sip_session_set_user_data (s, f);
  moved = register_response (f, "SIP/2.0 302 Moved Temporarily",
                             "Contact: <sip:low@198.18.0.5>;q=0.1, <sip:first@198.18.0.3:5070>\n"
                             "Contact: <sip:half@198.18.0.4>;q=0.5\nContact: <sip:second@198.18.0.6>;q=1.0\n");
  feed (f, moved);
  g_assert_cmpuint (f->events->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (f->events, 0), ==, "ended:3:302");
  g_assert_cmpstr (g_ptr_array_index (f->events, 1), ==,
                   "contacts:sip:first@198.18.0.3:5070 sip:second@198.18.0.6 sip:half@198.18.0.4 sip:low@198.18.0.5");
  g_assert_true (g_str_has_prefix (last_sent (f)->text, "ACK sip:bob@198.18.0.2:5062 SIP/2.0"));
  /* libosip2's own ACK lacks it; linphonec answers such an ACK 400. */
  g_assert_nonnull (strstr (last_sent (f)->text, "\r\nMax-Forwards: 70\r\n"));
}

/* Call forwarding answers an INVITE 302 with the target as Contact. */
static void
test_redirect_answer (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autofree char *invite = request (BASE ("INVITE", "1", "f1"), sdp_offer);
  g_autofree char *contact = NULL;

  f->redirect_to = "sip:carol@198.18.0.3:5060";
  feed (f, invite);
  assert_status (f, 1, "SIP/2.0 302 Moved Temporarily");
  contact = sip_text_header (last_sent (f)->text, "Contact");
  g_assert_cmpstr (contact, ==, "<sip:carol@198.18.0.3:5060>");
  g_assert_cmpstr (g_ptr_array_index (f->events, f->events->len - 1), ==, "ended:0:302");
}

/* A call through the rendezvous proxy: its 407 is answered once, with the
 * same INVITE in a new transaction (RFC 3261 22.2). */
static void
test_invite_proxy_auth (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  ZcSipFlow to = { .proto = ZC_SIP_UDP, .address = "198.18.0.2", .port = 5062 };
  ZcSipSession *s;
  g_autofree char *first_via = NULL, *challenge = NULL, *again = NULL, *auth = NULL, *via = NULL, *cseq = NULL;
  const char *retry = NULL;

  zc_sip_ua_set_account (f->ua, "example.test", "alice-auth", "secret");
  s = zc_sip_ua_invite_as_account (f->ua, "sip:bob@example.test", &to, sdp_offer, NULL);
  g_assert_nonnull (s);
  zc_sip_session_set_user_data (s, f);
  g_assert_true (g_str_has_prefix (last_sent (f)->text, "INVITE sip:bob@example.test SIP/2.0"));
  g_assert_nonnull (strstr (last_sent (f)->text, "<sip:alice@example.test>;tag="));
  first_via = sip_text_header (last_sent (f)->text, "Via");
  challenge = register_response (f, "SIP/2.0 407 Proxy Authentication Required",
                                 "Proxy-Authenticate: Digest realm=\"example.test\", nonce=\"n1\", qop=\"auth\"\n");
  feed (f, challenge);
  for (guint i = 0; i < f->sent->len; i++) {
    const Sent *sent = g_ptr_array_index (f->sent, i);
    if (g_str_has_prefix (sent->text, "INVITE "))
      retry = sent->text;
  }
  g_assert_nonnull (retry);
  auth = sip_text_header (retry, "Proxy-Authorization");
  g_assert_nonnull (auth);
  g_assert_nonnull (strstr (auth, "username=\"alice-auth\""));
  g_assert_nonnull (strstr (auth, "uri=\"sip:bob@example.test\""));
  g_assert_null (sip_text_header (retry, "Authorization"));
  cseq = sip_text_header (retry, "CSeq");
  g_assert_cmpstr (cseq, ==, "2 INVITE");
  via = sip_text_header (retry, "Via");
  g_assert_cmpstr (via, !=, first_via);
  g_assert_nonnull (strstr (retry, "\r\n\r\nv=0"));
  /* A second challenge is a refusal: the call ends. */
  again = response_to (retry, "SIP/2.0 407 Proxy Authentication Required",
                             "Proxy-Authenticate: Digest realm=\"example.test\", nonce=\"n2\", qop=\"auth\"\n");
  feed (f, again);
  g_assert_cmpstr (g_ptr_array_index (f->events, f->events->len - 1), ==, "ended:3:407");
}

/* A challenge from another realm than the account's gets no answer: the
 * credentials are the registrar's alone. */
static void
test_invite_foreign_realm (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  ZcSipFlow to = { .proto = ZC_SIP_UDP, .address = "198.18.0.2", .port = 5062 };
  ZcSipSession *s;
  g_autofree char *challenge = NULL;
  guint invites = 0;

  zc_sip_ua_set_account (f->ua, "example.test", "alice-auth", "secret");
  s = zc_sip_ua_invite_as_account (f->ua, "sip:bob@example.test", &to, sdp_offer, NULL);
  g_assert_nonnull (s);
  zc_sip_session_set_user_data (s, f);
  challenge = register_response (f, "SIP/2.0 407 Proxy Authentication Required",
                                 "Proxy-Authenticate: Digest realm=\"evil.test\", nonce=\"n1\", qop=\"auth\"\n");
  feed (f, challenge);
  for (guint i = 0; i < f->sent->len; i++) {
    const Sent *sent = g_ptr_array_index (f->sent, i);

    invites += g_str_has_prefix (sent->text, "INVITE ");
    g_assert_null (sip_text_header (sent->text, "Proxy-Authorization"));
  }
  g_assert_cmpuint (invites, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f->events, f->events->len - 1), ==, "ended:3:407");
}

static void
test_register_digest (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  RegSeen seen = { 0 };
  ZcSipRegistrationConfig config = {
    .registrar_uri = "sip:example.test", .user = "alice", .password = "secret",
    .instance_id = "6a1c4f0e-1111-2222-3333-444455556666", .expires_s = 600,
  };
  ZcSipFlow to = { .proto = ZC_SIP_UDP, .address = "198.18.0.2", .port = 5062 };
  g_autoptr (ZcSipRegistration) reg = zc_sip_registration_new (f->ua, &config, reg_cb, &seen);
  g_autofree char *challenge = NULL, *ok = NULL, *auth = NULL, *contact = NULL;

  zc_sip_registration_start (reg, &to);
  g_assert_true (g_str_has_prefix (last_sent (f)->text, "REGISTER sip:example.test SIP/2.0\r\n"));
  contact = sip_text_header (last_sent (f)->text, "Contact");
  g_assert_nonnull (strstr (contact, "+sip.instance=\"<urn:uuid:6a1c4f0e-1111-2222-3333-444455556666>\""));
  g_assert_null (sip_text_header (last_sent (f)->text, "Authorization"));

  challenge = register_response (f, "SIP/2.0 401 Unauthorized",
                                 "WWW-Authenticate: Digest realm=\"example.test\", nonce=\"abc123\", qop=\"auth\"\n");
  feed (f, challenge);
  g_assert_cmpuint (seen.reports, ==, 0);
  auth = sip_text_header (last_sent (f)->text, "Authorization");
  g_assert_nonnull (auth);
  g_assert_nonnull (strstr (auth, "username=\"alice\""));
  g_assert_nonnull (strstr (auth, "uri=\"sip:example.test\""));
  g_assert_nonnull (strstr (auth, "nc=00000001"));
  g_assert_nonnull (strstr (sip_text_header (last_sent (f)->text, "CSeq"), "2 REGISTER"));

  ok = register_response (f, "SIP/2.0 200 OK",
                          "Contact: <sip:alice@198.18.0.1:5060>;+sip.instance=\"<urn:uuid:6a1c4f0e-1111-2222-3333-"
                          "444455556666>\";expires=300\n");
  feed (f, ok);
  g_assert_cmpint (seen.state, ==, ZC_SIP_REG_REGISTERED);
  g_assert_cmpuint (zc_sip_registration_get_expires (reg), ==, 300);
  g_assert_cmpstr (zc_sip_registration_get_public_address (reg), ==, "198.19.0.1");
  g_assert_cmpuint (zc_sip_registration_get_public_port (reg), ==, 31000);
  g_assert_cmpstr (zc_sip_registration_get_aor (reg), ==, "alice@example.test");
}

static void
test_register_wrong_password (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  RegSeen seen = { 0 };
  ZcSipRegistrationConfig config = { .registrar_uri = "sip:example.test", .user = "alice", .password = "wrong" };
  ZcSipFlow to = { .proto = ZC_SIP_UDP, .address = "198.18.0.2", .port = 5062 };
  g_autoptr (ZcSipRegistration) reg = zc_sip_registration_new (f->ua, &config, reg_cb, &seen);
  const char *www = "WWW-Authenticate: Digest realm=\"example.test\", nonce=\"n1\"\n";

  zc_sip_registration_start (reg, &to);
  for (int round = 0; round < 3 && seen.reports == 0; round++) {
    g_autofree char *challenge = register_response (f, "SIP/2.0 401 Unauthorized", www);
    feed (f, challenge);
  }
  g_assert_cmpuint (seen.reports, ==, 1);
  g_assert_cmpint (seen.state, ==, ZC_SIP_REG_FAILED);
  g_assert_cmpint (seen.status, ==, 401);
  /* One REGISTER without credentials, one with: then it gives up. */
  g_assert_cmpuint (f->sent->len, ==, 2);
}

/* The costliest messages the transport accepts (one 64 KB datagram):
 * each must cost a few milliseconds, not seconds (a bomb of 12,000 tiny
 * headers once froze the agent for 3 s per datagram). */
static char *
bomb (const char *method, const char *line, gsize body_lines, guint repeat)
{
  g_autoptr (GString) s = g_string_new (NULL);
  g_autoptr (GString) body = g_string_new (NULL);

  g_string_append_printf (s, "%s sip:alice@198.18.0.1 SIP/2.0\r\n"
                          "Via: SIP/2.0/UDP 198.18.0.2:5062;branch=z9hG4bKbomb;rport\r\n"
                          "From: <sip:bob@198.18.0.2>;tag=b\r\nTo: <sip:alice@198.18.0.1>\r\n"
                          "Call-ID: bomb@198.18.0.2\r\nCSeq: 1 %s\r\nMax-Forwards: 70\r\n"
                          "Contact: <sip:bob@198.18.0.2:5062>\r\n",
                          method, method);
  if (body_lines > 0) {
    g_string_append (body, "v=0\r\no=- 1 1 IN IP4 198.18.0.2\r\ns=-\r\nc=IN IP4 198.18.0.2\r\nt=0 0\r\n"
                     "m=audio 4000 RTP/AVP");
    for (gsize i = 0; i < 128; i++)
      g_string_append_printf (body, " %zu", i % 128);
    g_string_append (body, "\r\n");
    while (body->len + s->len < 60000)
      g_string_append (body, "a=rtpmap:0 PCMU/8000\r\n");
    g_string_append (s, "Content-Type: application/sdp\r\n");
  } else {
    for (guint i = 0; s->len < 60000 && (repeat == 0 || i < repeat); i++)
      g_string_append (s, line);
  }
  g_string_append_printf (s, "Content-Length: %zu\r\n\r\n%s", body->len, body->str);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static void
test_bounded_cost (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autofree char *long_line = g_strdup_printf ("X-Long: %0500d\r\n", 0);
  g_autofree char *many_items = g_strdup_printf ("Accept: a/b%s\r\n", "");
  struct {
    const char *name, *method, *line;
    gsize body_lines;
    const char *status;
    guint repeat;
  } bombs[] = {
    { "header bomb", "OPTIONS", "a:b\r\n", 0, "SIP/2.0 513 ", 0 },
    { "Via bomb", "OPTIONS", "v:SIP/2.0/UDP h\r\n", 0, "SIP/2.0 513 ", 0 },
    { "Via list bomb", "OPTIONS", "v:SIP/2.0/UDP h,SIP/2.0/UDP h,SIP/2.0/UDP h,SIP/2.0/UDP h\r\n", 0, "SIP/2.0 513 ", 0 },
    { "Record-Route bomb", "INVITE", "Record-Route: <sip:h>\r\n", 0, "SIP/2.0 513 ", 0 },
    { "Accept bomb", "OPTIONS", "Accept: a/b,a/b,a/b,a/b,a/b,a/b,a/b\r\n", 0, "SIP/2.0 513 ", 0 },
    { "SDP bomb", "INVITE", NULL, 1, "SIP/2.0 413 ", 0 },
    /* Within the caps: parsed in full, answered. */
    { "long headers", "OPTIONS", long_line, 0, "SIP/2.0 200 ", 0 },
    { "list items at the cap", "OPTIONS", many_items, 0, "SIP/2.0 200 ", 1 },
  };
  ZcSipFlow from = { .proto = ZC_SIP_UDP, .address = "198.18.0.2", .port = 5062 };
  double worst_ms = 0;

  /* 120 items a line, four lines: 480 values, under ZC_SIP_MAX_LIST_ITEMS. */
  {
    g_autoptr (GString) items = g_string_new ("Accept: a/b");
    for (int i = 1; i < 120; i++)
      g_string_append (items, ",a/b");
    g_string_append (items, "\r\n");
    g_free (many_items);
    many_items = g_strdup_printf ("%s%s%s%s", items->str, items->str, items->str, items->str);
    bombs[7].line = many_items;
  }
  f->reject_with = 486;
  for (gsize b = 0; b < G_N_ELEMENTS (bombs); b++) {
    g_autofree char *msg = bomb (bombs[b].method, bombs[b].line, bombs[b].body_lines, bombs[b].repeat);
    gsize len = strlen (msg);
    gint64 start = g_get_monotonic_time ();
    double ms;

    g_assert_cmpuint (len, <=, 65535);
    g_ptr_array_set_size (f->sent, 0);
    for (int i = 0; i < 5; i++)
      zc_sip_ua_receive (f->ua, msg, len, &from);
    assert_status (f, 0, bombs[b].status);
    ms = (double) (g_get_monotonic_time () - start) / 1000.0 / 5;
    /* TAP comment: the figure, before and after. */
    g_printerr ("# %s (%zu bytes): %.2f ms per message\n", bombs[b].name, len, ms);
    worst_ms = MAX (worst_ms, ms);
  }
  /* "A few milliseconds"; generous for a loaded CI machine. */
  g_assert_cmpfloat (worst_ms, <, 50.0);
}

/* ---- TCP on loopback ---------------------------------------------------------- */

static void
spin (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
}

static GSocket *
tcp_client (guint16 port)
{
  g_autoptr (GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) to = g_inet_socket_address_new (lo, port);
  GSocket *s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (s);
  if (!g_socket_connect (s, to, NULL, &error))
    g_error ("connect to port %u: %s", port, error->message);
  g_socket_set_blocking (s, FALSE);
  return s;
}

/* Bytes readable now; -1 once the agent closed the connection. */
static gssize
drain (GSocket *s)
{
  char buf[65536];
  gssize total = 0;

  for (;;) {
    g_autoptr (GError) error = NULL;
    gssize n = g_socket_receive (s, buf, sizeof buf, NULL, &error);

    /* EOF, or a reset when it closed with our bytes unread. */
    if (n == 0 || (n < 0 && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)))
      return -1;
    if (n < 0)
      return total;
    total += n;
  }
}

/* One host gets a few TCP connections, not all of them; a flood of CRLF
 * keep-alives is answered with a handful of pongs, not one per ping. */
static void
test_tcp_limits (void)
{
  g_autoptr (GError) error = NULL;
  ZcSipTransport *t = zc_sip_transport_new (42000 + g_random_int_range (0, 2000), &error);
  GSocket *clients[12];
  guint closed = 0;
  g_autofree char *flood = NULL;
  gsize flood_len = 60000;
  gssize pongs;

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (clients); i++) {
    clients[i] = tcp_client (zc_sip_transport_get_port (t));
    spin (20); /* the agent accepts: the listen backlog is short */
  }
  spin (300);
  for (guint i = 0; i < G_N_ELEMENTS (clients); i++)
    closed += drain (clients[i]) < 0;
  g_assert_cmpuint (closed, ==, G_N_ELEMENTS (clients) - 8);

  flood = g_malloc (flood_len);
  for (gsize i = 0; i < flood_len; i += 2)
    memcpy (flood + i, "\r\n", 2);
  /* 500 pings at once: a few pongs. */
  g_assert_cmpint (g_socket_send (clients[0], flood, 2000, NULL, NULL), ==, 2000);
  spin (300);
  pongs = drain (clients[0]);
  g_printerr ("# 2000 bytes of CRLF keep-alives answered with %zd bytes\n", pongs);
  g_assert_cmpint (pongs, >, 0);
  g_assert_cmpint (pongs, <=, 2 * 4);
  /* A flood: the connection is closed. */
  g_socket_send (clients[0], flood, flood_len, NULL, NULL);
  spin (300);
  g_assert_cmpint (drain (clients[0]), ==, -1);

  for (guint i = 0; i < G_N_ELEMENTS (clients); i++)
    g_object_unref (clients[i]);
  zc_sip_transport_free (t);
}

static void
test_redact (void)
{
  static const char msg[] = "REGISTER sip:example.org SIP/2.0\r\n"
                            "Authorization: Digest username=\"alice\", response=\"secret1\"\r\n"
                            "proxy-authorization: Digest username=\"alice\",\r\n response=\"secret2\"\r\n"
                            "Call-ID: x\r\n\r\n";
  g_autofree char *text = zc_sip_raw_redact (msg, strlen (msg));

  g_assert_null (strstr (text, "secret"));
  g_assert_null (strstr (text, "alice"));
  g_assert_nonnull (strstr (text, "Authorization: [redacted]\r\nproxy-authorization: [redacted]\r\nCall-ID: x\r\n"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, setup, fn, teardown)
  ADD ("/sip/register/digest", test_register_digest);
  ADD ("/sip/register/wrong-password", test_register_wrong_password);
  ADD ("/sip/options", test_options);
  ADD ("/sip/response-port-without-rport", test_response_port_without_rport);
  ADD ("/sip/invite-answer-ack-bye", test_invite_answer_ack_bye);
  ADD ("/sip/invite-cancel", test_invite_cancel);
  ADD ("/sip/refer", test_refer);
  ADD ("/sip/replaces", test_replaces);
  ADD ("/sip/reject-busy", test_reject_busy);
  ADD ("/sip/bye-unknown-dialog", test_bye_unknown_dialog);
  ADD ("/sip/rejections", test_rejections);
  ADD ("/sip/content-length-too-large", test_content_length_too_large);
  ADD ("/sip/dropped-responses", test_dropped_responses);
  ADD ("/sip/rate-limit", test_rate_limit);
  ADD ("/sip/bounded-cost", test_bounded_cost);
  ADD ("/sip/transaction-cap", test_transaction_cap);
  g_test_add_func ("/sip/redact", test_redact);
  g_test_add_func ("/sip/tcp-limits", test_tcp_limits);
  g_test_add_func ("/sip/rate-limit/bucket", test_rate_limit_bucket);
  g_test_add_func ("/sip/rate-limit/lru", test_rate_limit_lru);
  ADD ("/sip/outgoing-call", test_outgoing_call);
  ADD ("/sip/invite-proxy-auth", test_invite_proxy_auth);
  ADD ("/sip/invite-foreign-realm", test_invite_foreign_realm);
  ADD ("/sip/record-route", test_record_route);
  ADD ("/sip/redirect/contacts", test_redirect_contacts);
  ADD ("/sip/redirect/answer", test_redirect_answer);
  return g_test_run ();
}
