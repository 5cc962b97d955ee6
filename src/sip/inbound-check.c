/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sip"

#include "config.h"
#include "sip/inbound-check.h"

#include "sip/raw.h"
#include "sip/stack.h"

#include <string.h>

static gboolean
is_known_method (const char *method)
{
  static const char *const ours[] = { "INVITE", "ACK", "CANCEL", "BYE", "OPTIONS", "UPDATE", "REFER", "NOTIFY", NULL };
  return g_strv_contains (ours, method);
}

/* Methods of SIP extensions that a UA may receive: they are understood,
 * just not offered here (405, not 501). */
static gboolean
is_other_sip_method (const char *method)
{
  static const char *const others[] = { "REGISTER", "PRACK", "INFO", "MESSAGE", "SUBSCRIBE", "PUBLISH",
                                        NULL };
  return g_strv_contains (others, method);
}

/* The RFC 3261 8.2 checks a UA makes before the transaction layer, in the
 * order that gives the most useful answer.  Returns 0 when the request
 * may go on, else the status to answer; header and value name a header to
 * add (Unsupported, Accept). */
int
zc_sip_check_request (osip_message_t *sip, const char **reason, const char **header, char **value)
{
  osip_header_t *require = NULL;
  guint64 cseq_number;

  *reason = NULL;
  *header = NULL;
  *value = NULL;
  if (sip->sip_version == NULL || g_ascii_strncasecmp (sip->sip_version, "SIP/2.0", 7) != 0 ||
      sip->sip_version[7 + strspn (sip->sip_version + 7, " \t")] != '\0')
    return 505;
  if (sip->from == NULL || sip->from->url == NULL || sip->to == NULL || sip->to->url == NULL ||
      sip->call_id == NULL || sip->call_id->number == NULL || sip->cseq == NULL || sip->cseq->number == NULL ||
      sip->cseq->method == NULL || sip->req_uri == NULL) {
    *reason = "Missing or Malformed Required Header";
    return 400;
  }
  if (!g_ascii_string_to_unsigned (sip->cseq->number, 10, 0, G_MAXUINT32, &cseq_number, NULL)) {
    *reason = "Bad CSeq";
    return 400;
  }
  if (!is_known_method (sip->sip_method) && !is_other_sip_method (sip->sip_method))
    return 501;
  if (strcmp (sip->cseq->method, sip->sip_method) != 0) {
    *reason = "CSeq Method Does Not Match";
    return 400;
  }
  if (sip->req_uri->scheme == NULL || (g_ascii_strcasecmp (sip->req_uri->scheme, "sip") != 0 &&
                                       g_ascii_strcasecmp (sip->req_uri->scheme, "sips") != 0))
    return 416;
  /* RFC 5118 4.2: an IPv6 host must be a bracketed reference. */
  if (sip->req_uri->host == NULL ||
      (sip->req_uri->port != NULL && !g_ascii_string_to_unsigned (sip->req_uri->port, 10, 0, 65535, NULL, NULL))) {
    *reason = "Malformed Request-URI";
    return 400;
  }
  if (is_other_sip_method (sip->sip_method))
    return 405;
  /* RFC 3261 8.2.2.3: we support no extension that a request may require
   * (ACK and CANCEL are exempt). */
  if (strcmp (sip->sip_method, "ACK") != 0 && strcmp (sip->sip_method, "CANCEL") != 0 &&
      osip_message_header_get_byname (sip, "require", 0, &require) >= 0 && require != NULL) {
    GString *tags = g_string_new (NULL);

    for (int pos = 0; osip_message_header_get_byname (sip, "require", pos, &require) >= 0; pos++) {
      if (require->hvalue != NULL) {
        if (tags->len > 0)
          g_string_append (tags, ", ");
        g_string_append (tags, require->hvalue);
      }
    }
    *header = "Unsupported";
    *value = g_string_free (tags, FALSE);
    return 420;
  }
  /* RFC 3261 8.2.3: a body we cannot read gets 415 with what we accept. */
  if ((strcmp (sip->sip_method, "INVITE") == 0 || strcmp (sip->sip_method, "UPDATE") == 0 ||
       strcmp (sip->sip_method, "ACK") == 0) &&
      osip_list_size (&sip->bodies) > 0) {
    osip_content_type_t *ct = sip->content_type;
    osip_header_t *encoding = NULL;

    if (ct == NULL || ct->type == NULL || ct->subtype == NULL || g_ascii_strcasecmp (ct->type, "application") != 0 ||
        g_ascii_strcasecmp (ct->subtype, "sdp") != 0 ||
        (osip_message_header_get_byname (sip, "content-encoding", 0, &encoding) >= 0 && encoding != NULL &&
         encoding->hvalue != NULL && g_ascii_strcasecmp (encoding->hvalue, "identity") != 0)) {
      if (strcmp (sip->sip_method, "ACK") == 0)
        return -1; /* an ACK gets no response */
      *header = "Accept";
      *value = g_strdup (ZC_SIP_ACCEPT);
      return 415;
    }
  }
  /* RFC 3261 21.4.7 / RFC 4475 3.3.15: an INVITE that accepts no SDP in
   * the answer cannot be served. */
  if (strcmp (sip->sip_method, "INVITE") == 0 && osip_list_size (&sip->accepts) > 0) {
    gboolean sdp_ok = FALSE;
    osip_list_iterator_t it;

    for (osip_accept_t *accept = osip_list_get_first (&sip->accepts, &it); accept != NULL;
         accept = osip_list_get_next (&it)) {
      if (accept->type == NULL || accept->subtype == NULL)
        continue;
      if ((g_ascii_strcasecmp (accept->type, "application") == 0 || strcmp (accept->type, "*") == 0) &&
          (g_ascii_strcasecmp (accept->subtype, "sdp") == 0 || strcmp (accept->subtype, "*") == 0))
        sdp_ok = TRUE;
    }
    if (!sdp_ok) {
      *header = "Warning";
      *value = g_strdup ("399 zcall \"SDP is the only body this agent can send\"");
      return 406;
    }
  }
  return 0;
}

/* RFC 3261 8.1.3.3 and 18.1.2: a response with more than one Via, or
 * whose code or CSeq is out of range, is discarded. */
gboolean
zc_sip_check_response (osip_message_t *sip, const char *data, gsize len)
{
  guint64 cseq_number;

  if (!zc_sip_raw_status_code_valid (data, len))
    return FALSE;
  if (sip->status_code < 100 || sip->status_code > 699)
    return FALSE;
  if (osip_list_size (&sip->vias) != 1 || sip->cseq == NULL || sip->cseq->number == NULL || sip->call_id == NULL ||
      sip->from == NULL || sip->to == NULL)
    return FALSE;
  return g_ascii_string_to_unsigned (sip->cseq->number, 10, 0, G_MAXUINT32, &cseq_number, NULL);
}
