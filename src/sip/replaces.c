/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Replaces header (RFC 3891) on the SIP side of an attended transfer:
 * the REFER that names a dialog to replace in its Refer-To (RFC 5589 7),
 * what a REFER we receive asks to replace, and the dialog an INVITE with
 * Replaces names.  Whether a replacement is allowed is the core's. */
#define G_LOG_DOMAIN "sip"

#include "config.h"
#include "sip/ua-private.h"

#include <string.h>

/* ---- the header's value ---------------------------------------------------------- */

typedef struct {
  char *call_id;
  char *to_tag;
  char *from_tag;
  gboolean early_only;
} Replaces;

static void
replaces_clear (Replaces *r)
{
  g_free (r->call_id);
  g_free (r->to_tag);
  g_free (r->from_tag);
  memset (r, 0, sizeof *r);
}

/* "call-id;to-tag=a;from-tag=b[;early-only]" (RFC 3891 6.1).  FALSE when
 * a part is missing or the value could smuggle a header. */
static gboolean
replaces_parse (const char *value, Replaces *r)
{
  g_auto (GStrv) parts = NULL;

  memset (r, 0, sizeof *r);
  if (value == NULL || strpbrk (value, "\r\n<>\"") != NULL)
    return FALSE;
  parts = g_strsplit (value, ";", -1);
  r->call_id = g_strstrip (g_strdup (parts[0]));
  for (guint i = 1; parts[i] != NULL; i++) {
    char *p = g_strstrip (parts[i]);

    if (g_ascii_strncasecmp (p, "to-tag=", 7) == 0 && r->to_tag == NULL)
      r->to_tag = g_strdup (p + 7);
    else if (g_ascii_strncasecmp (p, "from-tag=", 9) == 0 && r->from_tag == NULL)
      r->from_tag = g_strdup (p + 9);
    else if (g_ascii_strcasecmp (p, "early-only") == 0)
      r->early_only = TRUE;
  }
  if (*r->call_id == '\0' || r->to_tag == NULL || r->from_tag == NULL || *r->to_tag == '\0' || *r->from_tag == '\0') {
    replaces_clear (r);
    return FALSE;
  }
  return TRUE;
}

char *
zc_sip_refer_to_replaces (const char *refer_to)
{
  const char *start = strchr (refer_to, '<');
  const char *end = start != NULL ? strchr (start, '>') : NULL;
  g_autofree char *uri = NULL;
  g_auto (GStrv) headers = NULL;
  const char *q;

  /* Without angle brackets a URI has no header part (RFC 3261 20). */
  if (start == NULL || end == NULL)
    return NULL;
  uri = g_strndup (start + 1, end - start - 1);
  if ((q = strchr (uri, '?')) == NULL)
    return NULL;
  headers = g_strsplit (q + 1, "&", -1);
  for (guint i = 0; headers[i] != NULL; i++) {
    g_autofree char *value = NULL;
    Replaces r;

    if (g_ascii_strncasecmp (headers[i], "Replaces=", 9) != 0)
      continue;
    value = g_uri_unescape_string (headers[i] + 9, NULL);
    if (value == NULL || !replaces_parse (value, &r))
      return NULL;
    replaces_clear (&r);
    return g_steal_pointer (&value);
  }
  return NULL;
}

/* ---- REFER with Replaces (the transferor) ------------------------------------- */

gboolean
zc_sip_session_refer_replacing (ZcSipSession *s, ZcSipSession *target)
{
  g_autofree char *remote_target = NULL;
  g_autofree char *replaces = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *refer_to = NULL;

  if (target->state != S_CONFIRMED || target->dialog == NULL || target->dialog->local_tag == NULL ||
      target->dialog->remote_tag == NULL)
    return FALSE;
  /* The target's Contact: where the transferee reaches that very UA. */
  remote_target = target->dialog->remote_contact_uri != NULL
                    ? zc_sip_uri_to_string (target->dialog->remote_contact_uri->url)
                    : g_strdup (target->remote_uri);
  if (remote_target == NULL || *remote_target == '\0' || strchr (remote_target, '?') != NULL)
    return FALSE;
  /* RFC 3891 3: the tags as the target sees its dialog: its own tag
   * (our remote one) is the to-tag. */
  replaces = g_strdup_printf ("%s;to-tag=%s;from-tag=%s", target->call_id, target->dialog->remote_tag,
                              target->dialog->local_tag);
  /* RFC 5589 7: escaped as a URI header value (';' '=' '@' as %XX). */
  escaped = g_uri_escape_string (replaces, NULL, FALSE);
  refer_to = g_strdup_printf ("%s?Replaces=%s", remote_target, escaped);
  return zc_sip_session_refer (s, refer_to);
}

/* ---- INVITE with Replaces (the target) ----------------------------------------- */

static gboolean
session_matches (ZcSipSession *s, const Replaces *r)
{
  if (s->call_id == NULL || strcmp (s->call_id, r->call_id) != 0)
    return FALSE;
  if (s->dialog != NULL && s->dialog->local_tag != NULL && s->dialog->remote_tag != NULL)
    return strcmp (s->dialog->local_tag, r->to_tag) == 0 && strcmp (s->dialog->remote_tag, r->from_tag) == 0;
  /* An incoming call not answered yet: only the caller's tag is known. */
  return !s->outgoing && g_strcmp0 (s->invite_from_tag, r->from_tag) == 0;
}

/* The request comes from the replaced dialog's own peer: the certificate
 * of a TLS dialog, else its address. */
static gboolean
from_session_peer (ZcSipSession *s, const ZcSipFlow *from)
{
  gsize len = strcspn (s->flow.address, "%");

  if (s->flow.proto == ZC_SIP_TLS && s->flow.fingerprint[0] != '\0')
    return from->proto == ZC_SIP_TLS && g_ascii_strcasecmp (from->fingerprint, s->flow.fingerprint) == 0;
  return strncmp (from->address, s->flow.address, len) == 0 &&
         (from->address[len] == '\0' || from->address[len] == '%');
}

gboolean
zc_sip_replaces_check (ZcSipUa *ua, osip_transaction_t *tr, osip_message_t *request, const ZcSipFlow *from)
{
  osip_header_t *h = NULL;
  osip_header_t *again = NULL;
  int pos;
  ZcSipSession *match = NULL;
  guint matches = 0;
  gboolean early_only;
  Replaces r;

  ua->replacing.replaced = NULL;
  if ((pos = osip_message_header_get_byname (request, "replaces", 0, &h)) < 0 || h == NULL)
    return TRUE;
  /* RFC 3891 3: one Replaces only (the search starts at a list index). */
  if (osip_message_header_get_byname (request, "replaces", pos + 1, &again) >= 0 || !replaces_parse (h->hvalue, &r)) {
    zc_sip_ua_respond (ua, tr, request, 400, "Bad Replaces");
    return FALSE;
  }
  for (GList *l = ua->sessions; l != NULL; l = l->next)
    if (session_matches (l->data, &r)) {
      match = l->data;
      matches++;
    }
  early_only = r.early_only;
  replaces_clear (&r);
  /* RFC 3891 3: no dialog (or several) and an early dialog that we did
   * not start: 481; one that has ended: 603; early-only on a confirmed
   * one: 486. */
  if (matches != 1 || (!match->outgoing && match->state == S_INCOMING)) {
    g_message ("INVITE from %s port %u replaces no dialog of ours: 481", from->address, from->port);
    zc_sip_ua_respond (ua, tr, request, 481, "Call/Transaction Does Not Exist");
    return FALSE;
  }
  if (match->state == S_TERMINATING || match->user_data == NULL) {
    zc_sip_ua_respond (ua, tr, request, 603, "Declined");
    return FALSE;
  }
  if (early_only && (match->state == S_CONFIRMED || match->state == S_ANSWERED)) {
    zc_sip_ua_respond (ua, tr, request, 486, "Busy Here");
    return FALSE;
  }
  ua->replacing.replaced = match;
  ua->replacing.from_its_peer = from_session_peer (match, from);
  return TRUE;
}

ZcSipSession *
zc_sip_session_get_replaced (ZcSipSession *s, gboolean *from_its_peer)
{
  if (s->ua->replacing.session != s || s->ua->replacing.replaced == NULL)
    return NULL;
  if (from_its_peer != NULL)
    *from_its_peer = s->ua->replacing.from_its_peer;
  return s->ua->replacing.replaced;
}
