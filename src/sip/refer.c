/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Call transfer in the dialog: REFER (RFC 3515) in both directions and
 * the NOTIFYs of its implicit subscription, whose message/sipfrag bodies
 * carry the status line of the call the transferee makes.  Whether to
 * take a REFER on, and the new call, are the core's. */
#define G_LOG_DOMAIN "sip"

#include "config.h"
#include "sip/ua-private.h"

#include <stdlib.h>
#include <string.h>

static const char *
header_value (osip_message_t *request, const char *name, const char *compact)
{
  osip_header_t *h = NULL;

  if (osip_message_header_get_byname (request, name, 0, &h) >= 0 && h != NULL && h->hvalue != NULL)
    return h->hvalue;
  h = NULL;
  if (compact != NULL && osip_message_header_get_byname (request, compact, 0, &h) >= 0 && h != NULL)
    return h->hvalue;
  return NULL;
}

/* "Name <sip:c@h;transport=tcp?Replaces=...>;p=v" -> "sip:c@h;transport=tcp".
 * NULL when it is no sip: or sips: URI. */
static char *
refer_to_uri (const char *value)
{
  const char *start = strchr (value, '<');
  g_autofree char *uri = NULL;
  char *q;

  if (start != NULL) {
    const char *end = strchr (start, '>');

    if (end == NULL)
      return NULL;
    uri = g_strndup (start + 1, end - start - 1);
  } else {
    /* Without angle brackets a URI has no header part (RFC 3261 20). */
    uri = g_strstrip (g_strndup (value, strcspn (value, ";")));
  }
  q = strchr (uri, '?');
  if (q != NULL)
    *q = '\0';
  if (g_ascii_strncasecmp (uri, "sip:", 4) != 0 && g_ascii_strncasecmp (uri, "sips:", 5) != 0)
    return NULL;
  if (strpbrk (uri, " \t\r\n<>\"") != NULL)
    return NULL;
  return g_steal_pointer (&uri);
}

/* On a dialog without a certificate to hold the peer to, the REFER must
 * at least come from the peer's address: a REFER makes us call someone,
 * and a stranger who learnt the Call-ID and tags must not steer that. */
static gboolean
from_peer_address (ZcSipSession *s, const ZcSipFlow *from)
{
  gsize len = strcspn (s->flow.address, "%");

  if (s->flow.proto == ZC_SIP_TLS && s->flow.fingerprint[0] != '\0')
    return TRUE;
  return strncmp (from->address, s->flow.address, len) == 0 &&
         (from->address[len] == '\0' || from->address[len] == '%');
}

/* What the new call's INVITE carries on (RFC 3891 and 3892): the
 * Refer-To's Replaces and who referred (the Referred-By, else the
 * REFER's From), for the core to read during its refer callback. */
static void
take_refer_headers (ZcSipSession *s, osip_message_t *request, const char *refer_to)
{
  const char *referred_by = header_value (request, "referred-by", "b");
  g_autofree char *from = NULL;
  char *raw = NULL;

  s->refer_replaces = zc_sip_refer_to_replaces (refer_to);
  if (referred_by == NULL && request->from != NULL && osip_from_to_str (request->from, &raw) == 0) {
    /* A From's tag is its dialog's, not the referrer's identity. */
    char *tag;

    from = g_strdup (raw);
    osip_free (raw);
    tag = strstr (from, ";tag=");

    if (tag != NULL)
      *tag = '\0';
    referred_by = from;
  }
  if (referred_by != NULL && strpbrk (referred_by, "\r\n") == NULL)
    s->refer_referred_by = g_strdup (referred_by);
}

const char *
zc_sip_session_get_refer_replaces (ZcSipSession *s)
{
  return s->refer_replaces;
}

const char *
zc_sip_session_get_refer_referred_by (ZcSipSession *s)
{
  return s->refer_referred_by;
}

void
zc_sip_refer_receive (ZcSipUa *ua, osip_transaction_t *tr, osip_message_t *request, const ZcSipFlow *from)
{
  ZcSipSession *s = zc_sip_ua_find_session_for_request (ua, request);
  const char *value;
  g_autofree char *uri = NULL;
  int status = 603;

  /* RFC 3515 2.4.2: a REFER outside any dialog of ours names no call to
   * transfer; we take none. */
  if (s == NULL || s->state == S_TERMINATING) {
    zc_sip_ua_respond (ua, tr, request, 481, "Call/Transaction Does Not Exist");
    return;
  }
  if (!zc_sip_from_dialog_peer (s, from) || !from_peer_address (s, from)) {
    g_message ("call %s: REFER from %s port %u, not the dialog's peer: refused", s->call_id, from->address,
               from->port);
    zc_sip_ua_respond (ua, tr, request, 403, "Forbidden");
    return;
  }
  if (s->state != S_CONFIRMED) {
    zc_sip_ua_respond (ua, tr, request, 491, "Request Pending");
    return;
  }
  value = header_value (request, "refer-to", "r");
  if (value == NULL || (uri = refer_to_uri (value)) == NULL) {
    zc_sip_ua_respond (ua, tr, request, 400, "Bad Refer-To");
    return;
  }
  take_refer_headers (s, request, value);
  if (s->user_data != NULL && ua->callbacks.refer != NULL)
    status = ua->callbacks.refer (s, uri, ua->user_data);
  g_clear_pointer (&s->refer_replaces, g_free);
  g_clear_pointer (&s->refer_referred_by, g_free);
  zc_sip_ua_respond (ua, tr, request, status, status == 202 ? "Accepted" : "Decline");
}

/* Subscription-State (RFC 6665 8.2.3): "active;expires=30" -> 30,
 * "terminated;reason=noresource" -> 0, anything else (or no header) -> -1. */
static int
subscription_expires (const char *value)
{
  g_auto (GStrv) parts = NULL;
  int expires = -1;

  if (value == NULL)
    return -1;
  parts = g_strsplit (value, ";", -1);
  if (parts[0] == NULL) /* an empty header */
    return -1;
  if (g_ascii_strcasecmp (g_strstrip (parts[0]), "terminated") == 0)
    return 0;
  for (guint i = 1; parts[i] != NULL; i++) {
    const char *p = g_strstrip (parts[i]);

    if (g_ascii_strncasecmp (p, "expires=", 8) == 0 && g_ascii_isdigit (p[8])) {
      guint64 v = g_ascii_strtoull (p + 8, NULL, 10);

      expires = (int) MIN (v, (guint64) G_MAXINT);
    }
  }
  return expires;
}

void
zc_sip_notify_receive (ZcSipUa *ua, osip_transaction_t *tr, osip_message_t *request, const ZcSipFlow *from)
{
  ZcSipSession *s = zc_sip_ua_find_session_for_request (ua, request);
  const char *event = header_value (request, "event", "o");
  const char *body;
  int status = 0;
  int expires;

  if (s == NULL) {
    zc_sip_ua_respond (ua, tr, request, 481, "Subscription Does Not Exist");
    return;
  }
  if (!zc_sip_from_dialog_peer (s, from)) {
    zc_sip_ua_respond (ua, tr, request, 403, "Forbidden");
    return;
  }
  if (event == NULL || g_ascii_strncasecmp (event, "refer", 5) != 0 ||
      (event[5] != '\0' && event[5] != ';' && event[5] != ' ')) {
    zc_sip_ua_respond (ua, tr, request, 489, "Bad Event");
    return;
  }
  zc_sip_ua_respond (ua, tr, request, 200, "OK");
  expires = subscription_expires (header_value (request, "subscription-state", NULL));
  /* RFC 3515 2.4.5: the body is a sipfrag, at least the status line. */
  body = zc_sip_message_body (request);
  if (body != NULL && g_ascii_strncasecmp (body, "SIP/2.0 ", 8) == 0)
    status = atoi (body + 8);
  if (status < 100 || status > 699) {
    g_message ("call %s: NOTIFY without a sipfrag status line%s", s->call_id,
               expires == 0 ? ", ending the subscription" : "");
    /* One that ends the subscription still ends the transfer. */
    if (expires != 0)
      return;
    status = 0;
  }
  if (s->user_data != NULL && ua->callbacks.refer_progress != NULL)
    ua->callbacks.refer_progress (s, TRUE, status, expires, ua->user_data);
}

void
zc_sip_refer_response (ZcSipSession *s, int status)
{
  ZcSipUa *ua = s->ua;

  if (s->user_data != NULL && ua->callbacks.refer_progress != NULL)
    ua->callbacks.refer_progress (s, FALSE, status, -1, ua->user_data);
}

static osip_transaction_t *
send_in_dialog (ZcSipSession *s, osip_message_t *req)
{
  ZcSipFlow to;
  osip_transaction_t *tr;

  zc_sip_session_destination (s, &to);
  tr = zc_sip_stack_send_request (s->ua->stack, req, &to, NULL);
  if (tr != NULL)
    zc_sip_session_own (s, tr);
  return tr;
}

gboolean
zc_sip_session_refer (ZcSipSession *s, const char *refer_to)
{
  osip_message_t *req;
  g_autofree char *refer_to_header = NULL;
  g_autofree char *referred_by = NULL;
  g_autofree char *host = NULL;

  if (s->state != S_CONFIRMED || s->dialog == NULL || s->refer_tr != NULL)
    return FALSE;
  s->dialog->local_cseq++;
  req = zc_sip_session_build_request (s, "REFER", s->dialog->local_cseq);
  if (req == NULL)
    return FALSE;
  refer_to_header = g_strdup_printf ("<%s>", refer_to);
  host = zc_sip_host_for_uri (s->local_address);
  referred_by = g_strdup_printf ("<sip:%s@%s>", s->ua->user, host);
  osip_message_set_header (req, "Refer-To", refer_to_header);
  osip_message_set_header (req, "Referred-By", referred_by);
  s->refer_tr = send_in_dialog (s, req);
  return s->refer_tr != NULL;
}

void
zc_sip_session_notify_refer (ZcSipSession *s, int status, const char *reason)
{
  osip_message_t *req;
  g_autofree char *frag = NULL;
  g_autofree char *state = NULL;

  if (s->dialog == NULL || s->state == S_TERMINATING)
    return;
  s->dialog->local_cseq++;
  req = zc_sip_session_build_request (s, "NOTIFY", s->dialog->local_cseq);
  if (req == NULL)
    return;
  frag = g_strdup_printf ("SIP/2.0 %d %s\r\n", status, reason != NULL ? reason : "");
  state = status >= 200 ? g_strdup ("terminated;reason=noresource")
                        : g_strdup_printf ("active;expires=%u", ZC_SIP_REFER_SUBSCRIPTION_S);
  osip_message_set_header (req, "Event", "refer");
  osip_message_set_header (req, "Subscription-State", state);
  osip_message_set_body (req, frag, strlen (frag));
  osip_message_set_content_type (req, "message/sipfrag;version=2.0");
  send_in_dialog (s, req);
}
