/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"
#include "sip/raw.h"

#include <string.h>

typedef struct {
  const char *name;
  gsize name_len;
  const char *value;     /* first line of the value, trimmed */
  gsize value_len;
  const char *line;      /* whole header line(s), without the final CRLF */
  gsize line_len;
} ZcRawHeader;

/* Splits the header section into headers, joining folded lines (RFC 3261
 * 7.3.1).  Returns the offset where the body starts, or 0 when there is
 * no blank line (a datagram that ends with its headers). */
static gsize
split_headers (const char *data, gsize len, GArray *headers, gsize *start_line_len)
{
  /* One over the cap tells the caller it was reached; the rest of a bomb
   * is never looked at. */
  const char *p = data;
  const char *end = data + len;
  const char *eol = memchr (p, '\n', len);

  if (eol == NULL) {
    *start_line_len = len;
    return 0;
  }
  *start_line_len = (gsize) (eol - p) - (eol > p && eol[-1] == '\r' ? 1 : 0);
  p = eol + 1;
  while (p < end) {
    const char *line_end = memchr (p, '\n', (gsize) (end - p));
    gsize line_len;
    const char *colon;
    ZcRawHeader h = { 0 };

    if (line_end == NULL)
      line_end = end;
    line_len = (gsize) (line_end - p) - (line_end > p && line_end[-1] == '\r' ? 1 : 0);
    if (line_len == 0)
      return (gsize) (MIN (line_end + 1, end) - data);
    if ((*p == ' ' || *p == '\t') && headers->len > 0) {
      ZcRawHeader *last = &g_array_index (headers, ZcRawHeader, headers->len - 1);
      last->line_len = (gsize) (p + line_len - last->line);
      p = line_end + 1;
      continue;
    }
    colon = memchr (p, ':', line_len);
    if (colon != NULL) {
      h.name = p;
      h.name_len = (gsize) (colon - p);
      while (h.name_len > 0 && (p[h.name_len - 1] == ' ' || p[h.name_len - 1] == '\t'))
        h.name_len--;
      h.value = colon + 1;
      while (h.value < p + line_len && (*h.value == ' ' || *h.value == '\t'))
        h.value++;
      h.value_len = (gsize) (p + line_len - h.value);
      while (h.value_len > 0 && (h.value[h.value_len - 1] == ' ' || h.value[h.value_len - 1] == '\t'))
        h.value_len--;
      h.line = p;
      h.line_len = line_len;
      g_array_append_val (headers, h);
      if (headers->len > ZC_SIP_MAX_HEADERS)
        return 0;
    }
    p = line_end + 1;
  }
  return 0;
}

static gboolean
name_is (const ZcRawHeader *h, const char *full, const char *compact)
{
  return (h->name_len == strlen (full) && g_ascii_strncasecmp (h->name, full, h->name_len) == 0) ||
         (compact != NULL && h->name_len == 1 && g_ascii_tolower (h->name[0]) == compact[0]);
}

static const struct {
  const char *full, *compact;
} single_valued[] = {
  { "From", "f" }, { "To", "t" }, { "Call-ID", "i" }, { "CSeq", NULL }, { "Max-Forwards", NULL },
  { "Content-Length", "l" }, { "Content-Type", "c" },
};

/* Values in a header line: one more than its commas outside quotes and
 * angle brackets (RFC 3261 7.3.1). */
static guint
list_items (const ZcRawHeader *h)
{
  const char *end = h->line + h->line_len;
  gboolean quoted = FALSE;
  guint angle = 0, items = 1;

  for (const char *p = h->value; p < end; p++) {
    if (quoted) {
      if (*p == '\\' && p + 1 < end)
        p++;
      else if (*p == '"')
        quoted = FALSE;
    } else if (*p == '"') {
      quoted = TRUE;
    } else if (*p == '<') {
      angle++;
    } else if (*p == '>' && angle > 0) {
      angle--;
    } else if (*p == ',' && angle == 0) {
      items++;
    }
  }
  return items;
}

/* An SDP body within ZC_SIP_MAX_SDP_LINES lines and
 * ZC_SIP_MAX_SDP_FORMATS formats per m= line. */
static gboolean
sdp_within_caps (const char *body, gsize len)
{
  const char *p = body, *end = body + len;
  guint lines = 0;

  while (p < end) {
    const char *eol = memchr (p, '\n', (gsize) (end - p));
    const char *line_end = eol ? eol : end;

    if (++lines > ZC_SIP_MAX_SDP_LINES)
      return FALSE;
    if (line_end - p > 2 && p[0] == 'm' && p[1] == '=') {
      guint words = 0;

      for (const char *q = p; q < line_end; q++)
        words += *q == ' ';
      /* "m=audio port proto" before the formats. */
      if (words > ZC_SIP_MAX_SDP_FORMATS + 2)
        return FALSE;
    }
    p = line_end + 1;
  }
  return TRUE;
}

static guint16
via_response_port (const ZcRawHeader *via)
{
  g_autofree char *value = g_strndup (via->value, via->value_len);
  char *comma = strchr (value, ',');
  char *params;
  char *sent_by;
  char *colon;
  guint64 port = 5060;

  if (comma != NULL)
    *comma = '\0';
  params = strchr (value, ';');
  if (params != NULL) {
    g_auto (GStrv) list = g_strsplit (params + 1, ";", -1);

    *params = '\0';
    for (guint i = 0; list[i] != NULL; i++) {
      g_strstrip (list[i]);
      if (g_ascii_strcasecmp (list[i], "rport") == 0 || g_ascii_strncasecmp (list[i], "rport=", 6) == 0)
        return 0;
    }
  }
  /* "SIP/2.0/UDP host:port": the sent-by follows the protocol. */
  sent_by = strrchr (value, '/');
  sent_by = sent_by ? strpbrk (sent_by, " \t") : NULL;
  if (sent_by == NULL)
    return 5060;
  g_strstrip (sent_by);
  colon = strrchr (sent_by, ':');
  if (colon != NULL && strchr (colon, ']') == NULL)
    g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &port, NULL);
  return (guint16) port;
}

/* RFC 5118 4.2: "sip:2001:db8::10" has an IPv6 host without the brackets
 * a reference needs. */
static gboolean
uri_has_bare_ipv6 (const char *uri)
{
  const char *colon = strchr (uri, ':');
  const char *host, *end;
  guint colons = 0;

  if (colon == NULL)
    return FALSE;
  host = colon + 1;
  end = host + strcspn (host, ";?>");
  for (const char *at = host; at < end; at++) {
    if (*at == '@')
      host = at + 1;
  }
  if (*host == '[')
    return FALSE;
  for (const char *p = host; p < end; p++)
    colons += *p == ':';
  return colons > 1;
}

gboolean
zc_sip_method_is_known (const char *method)
{
  static const char *const methods[] = { "INVITE", "ACK", "CANCEL", "BYE", "OPTIONS", "UPDATE", "REGISTER",
                                         "PRACK", "INFO", "MESSAGE", "SUBSCRIBE", "NOTIFY", "REFER", "PUBLISH",
                                         NULL };
  return g_strv_contains (methods, method);
}

void
zc_sip_raw_inspect (const char *data, gsize len, ZcSipRawInfo *info)
{
  g_autoptr (GArray) headers = g_array_new (FALSE, TRUE, sizeof (ZcRawHeader));
  gsize start_len = 0;
  gsize body_offset;
  g_autofree char *start = NULL;
  g_auto (GStrv) parts = NULL;
  const ZcRawHeader *content_length = NULL;

  memset (info, 0, sizeof *info);
  info->verdict = ZC_SIP_RAW_OK;
  info->message_len = len;
  info->response_port = 5060;

  body_offset = split_headers (data, len, headers, &start_len);
  start = g_strndup (data, start_len);
  gboolean malformed_line = FALSE;
  if (g_str_has_prefix (start, "SIP/")) {
    info->is_request = FALSE;
  } else {
    /* Method SP Request-URI SP SIP-Version (RFC 3261 7.1).  Trailing
     * blanks are forgiven (RFC 4475 3.1.2.10 allows it); extra spaces
     * inside are a malformed line (3.1.2.8, 3.1.2.9) that still deserves
     * a 400 when the method and version can be told. */
    guint n;

    g_strchomp (start);
    parts = g_strsplit (start, " ", -1);
    n = g_strv_length (parts);
    if (n < 3 || *parts[0] == '\0' || !g_str_has_prefix (parts[n - 1], "SIP/")) {
      info->verdict = ZC_SIP_RAW_GARBAGE;
      return;
    }
    if (n > 3) {
      /* Joined before parts[1] is freed: the join reads it. */
      char *uri = g_strjoinv (" ", parts + 1);

      malformed_line = TRUE;
      g_free (parts[1]);
      parts[1] = uri;
      parts[1][strlen (parts[1]) - strlen (parts[n - 1]) - 1] = '\0';
      g_free (parts[2]);
      parts[2] = g_strdup (parts[n - 1]);
      for (guint i = 3; i < n; i++)
        g_clear_pointer (&parts[i], g_free);
    }
    info->is_request = TRUE;
    info->is_ack = g_str_equal (parts[0], "ACK");
    info->method_unknown = !zc_sip_method_is_known (parts[0]);
  }

  if (headers->len > ZC_SIP_MAX_HEADERS) {
    info->verdict = ZC_SIP_RAW_TOO_LARGE;
    info->reason = "Too Many Headers";
    return;
  }
  {
    guint items = 0, vias = 0;

    for (guint i = 0; i < headers->len; i++) {
      const ZcRawHeader *h = &g_array_index (headers, ZcRawHeader, i);
      guint n = list_items (h);

      items += n;
      if (name_is (h, "Via", "v"))
        vias += n;
      else if (name_is (h, "Content-Length", "l"))
        content_length = h;
      else if (name_is (h, "Content-Type", "c") && h->value_len >= 15 &&
               g_ascii_strncasecmp (h->value, "application/sdp", 15) == 0)
        info->body_is_sdp = TRUE;
    }
    if (vias > ZC_SIP_MAX_VIAS || items > ZC_SIP_MAX_LIST_ITEMS) {
      info->verdict = ZC_SIP_RAW_TOO_LARGE;
      info->reason = vias > ZC_SIP_MAX_VIAS ? "Too Many Via Headers" : "Too Many Header Values";
      return;
    }
  }
  for (guint i = 0; i < headers->len; i++) {
    const ZcRawHeader *h = &g_array_index (headers, ZcRawHeader, i);
    if (name_is (h, "Via", "v")) {
      info->response_port = via_response_port (h);
      break;
    }
  }
  for (gsize s = 0; s < G_N_ELEMENTS (single_valued); s++) {
    guint count = 0;

    for (guint i = 0; i < headers->len; i++)
      count += name_is (&g_array_index (headers, ZcRawHeader, i), single_valued[s].full, single_valued[s].compact);
    if (count > 1) {
      info->verdict = g_ascii_strcasecmp (single_valued[s].full, "Content-Length") == 0 ? ZC_SIP_RAW_BAD_FRAMING
                                                                                        : ZC_SIP_RAW_BAD_REQUEST;
      info->reason = "Repeated Single-Valued Header";
      return;
    }
  }

  if (content_length != NULL) {
    g_autofree char *value = g_strndup (content_length->value, content_length->value_len);
    guint64 declared;
    gsize available = body_offset ? len - body_offset : 0;

    if (!g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT32, &declared, NULL)) {
      info->verdict = ZC_SIP_RAW_BAD_FRAMING;
      info->reason = "Bad Content-Length";
      return;
    }
    if (declared > available) {
      info->verdict = ZC_SIP_RAW_BAD_REQUEST;
      info->reason = "Content-Length Larger Than Message";
      return;
    }
    /* Octets after the declared body are not part of the message
     * (RFC 3261 18.3; RFC 4475 3.1.1.8). */
    if (body_offset != 0)
      info->message_len = body_offset + (gsize) declared;
  }
  if (body_offset != 0 && info->message_len > body_offset) {
    gsize body_len = info->message_len - body_offset;

    if (body_len > ZC_SIP_MAX_BODY || (info->body_is_sdp && !sdp_within_caps (data + body_offset, body_len))) {
      info->verdict = ZC_SIP_RAW_BODY_TOO_LARGE;
      info->reason = "Request Entity Too Large";
      return;
    }
  }

  if (info->is_request) {
    if (malformed_line) {
      info->verdict = ZC_SIP_RAW_BAD_REQUEST;
      info->reason = "Malformed Request-Line";
      return;
    }
    if (g_ascii_strcasecmp (parts[2], "SIP/2.0") != 0) {
      info->verdict = ZC_SIP_RAW_BAD_VERSION;
      info->reason = "Version Not Supported";
      return;
    }
    if (uri_has_bare_ipv6 (parts[1])) {
      info->verdict = ZC_SIP_RAW_BAD_REQUEST;
      info->reason = "Malformed Request-URI";
      return;
    }
    if (!g_str_has_prefix (parts[1], "sip:") && !g_str_has_prefix (parts[1], "sips:") &&
        !g_str_has_prefix (parts[1], "SIP:") && !g_str_has_prefix (parts[1], "SIPS:")) {
      /* "<sip:...>" is a malformed SIP URI, not another scheme. */
      info->verdict = parts[1][0] == '<' ? ZC_SIP_RAW_BAD_REQUEST : ZC_SIP_RAW_BAD_SCHEME;
      info->reason = parts[1][0] == '<' ? "Malformed Request-URI" : "Unsupported URI Scheme";
      return;
    }
  }
}

gboolean
zc_sip_raw_status_code_valid (const char *data, gsize len)
{
  const char *space = memchr (data, ' ', MIN (len, 16));

  if (space == NULL || (gsize) (space - data) + 5 > len)
    return FALSE;
  return g_ascii_isdigit (space[1]) && g_ascii_isdigit (space[2]) && g_ascii_isdigit (space[3]) &&
         (space[4] == ' ' || space[4] == '\r' || space[4] == '\n');
}

char *
zc_sip_raw_error_response (const char *data, gsize len, const ZcSipRawInfo *info, const char *server,
                           gsize *out_len)
{
  g_autoptr (GArray) headers = g_array_new (FALSE, TRUE, sizeof (ZcRawHeader));
  gsize start_len;
  GString *out;
  gboolean has_via = FALSE;
  int status;
  const char *reason;

  *out_len = 0;
  if (info->is_ack)
    return NULL;
  split_headers (data, len, headers, &start_len);
  switch (info->verdict) {
  case ZC_SIP_RAW_BAD_VERSION:
    status = 505;
    break;
  case ZC_SIP_RAW_BAD_SCHEME:
    status = 416;
    break;
  case ZC_SIP_RAW_TOO_LARGE:
    status = 513;
    break;
  case ZC_SIP_RAW_BODY_TOO_LARGE:
    status = 413;
    break;
  case ZC_SIP_RAW_BUSY:
    status = 503;
    break;
  default:
    status = 400;
    break;
  }
  /* A method we do not know is the first thing to say (RFC 4475 3.1.1.2). */
  if (status == 400 && info->method_unknown && info->verdict == ZC_SIP_RAW_BAD_REQUEST && info->reason == NULL)
    status = 501;
  reason = info->reason ? info->reason
         : status == 400 ? "Bad Request"
         : status == 501 ? "Not Implemented"
         : status == 503 ? "Service Unavailable"
                         : "Error";
  out = g_string_new (NULL);
  g_string_append_printf (out, "SIP/2.0 %d %s\r\n", status, reason);
  /* Copy the headers a response must echo (RFC 3261 8.2.6.2) verbatim. */
  for (guint i = 0; i < headers->len; i++) {
    const ZcRawHeader *h = &g_array_index (headers, ZcRawHeader, i);

    if (name_is (h, "Via", "v")) {
      has_via = TRUE;
      g_string_append_len (out, h->line, (gssize) h->line_len);
      g_string_append (out, "\r\n");
    } else if (name_is (h, "From", "f") || name_is (h, "Call-ID", "i") || name_is (h, "CSeq", NULL)) {
      g_string_append_len (out, h->line, (gssize) h->line_len);
      g_string_append (out, "\r\n");
    } else if (name_is (h, "To", "t")) {
      g_string_append_len (out, h->line, (gssize) h->line_len);
      if (g_strstr_len (h->value, (gssize) h->value_len, "tag=") == NULL)
        g_string_append (out, ";tag=zc400");
      g_string_append (out, "\r\n");
    }
  }
  if (!has_via) {
    g_string_free (out, TRUE);
    return NULL;
  }
  if (server != NULL)
    g_string_append_printf (out, "Server: %s\r\n", server);
  if (status == 501)
    g_string_append (out, "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE\r\n");
  if (status == 503)
    g_string_append (out, "Retry-After: 5\r\n");
  g_string_append (out, "Content-Length: 0\r\n\r\n");
  *out_len = out->len;
  return g_string_free (out, FALSE);
}

char *
zc_sip_raw_redact (const char *data, gsize len)
{
  GString *out = g_string_sized_new (len + 1);
  const char *p = data, *end = data + len;
  gboolean redacting = FALSE;

  while (p < end) {
    const char *eol = memchr (p, '\n', (gsize) (end - p));
    const char *next = eol ? eol + 1 : end;
    gsize line_len = (gsize) (next - p);

    if (redacting && (*p == ' ' || *p == '\t')) {
      p = next; /* a folded line of the credentials */
      continue;
    }
    redacting = (line_len > 14 && g_ascii_strncasecmp (p, "Authorization:", 14) == 0) ||
                (line_len > 20 && g_ascii_strncasecmp (p, "Proxy-Authorization:", 20) == 0);
    if (redacting) {
      const char *colon = memchr (p, ':', line_len);

      g_string_append_len (out, p, colon + 1 - p);
      g_string_append (out, " [redacted]");
      g_string_append (out, eol != NULL && eol > p && eol[-1] == '\r' ? "\r\n" : eol ? "\n" : "");
    } else {
      g_string_append_len (out, p, (gssize) line_len);
    }
    p = next;
  }
  return g_string_free (out, FALSE);
}
