/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Small helpers over libosip2 messages and URIs, shared by the user
 * agent's files. */
#define G_LOG_DOMAIN "sip"

#include "config.h"
#include "sip/ua-private.h"

#include <string.h>

char *
zc_sip_host_for_uri (const char *address)
{
  return strchr (address, ':') ? g_strdup_printf ("[%s]", address) : g_strdup (address);
}

char *
zc_sip_uri_to_string (osip_uri_t *uri)
{
  char *text = NULL;
  char *copy;

  if (uri == NULL || osip_uri_to_str (uri, &text) != 0)
    return g_strdup ("");
  copy = g_strdup (text);
  osip_free (text);
  return copy;
}

const char *
zc_sip_message_body (osip_message_t *message)
{
  osip_body_t *body = osip_list_get (&message->bodies, 0);
  return body != NULL && body->body != NULL && body->length > 0 ? body->body : NULL;
}

void
zc_sip_message_set_sdp (osip_message_t *message, const char *sdp)
{
  if (sdp == NULL)
    return;
  osip_message_set_body (message, sdp, strlen (sdp));
  osip_message_set_content_type (message, "application/sdp");
}

gboolean
zc_sip_uri_to_flow (const char *uri, ZcSipFlow *flow)
{
  osip_uri_t *parsed = NULL;
  osip_uri_param_t *transport = NULL;
  g_autoptr (GInetAddress) ip = NULL;
  gboolean ok = FALSE;
  guint64 port = 5060;

  memset (flow, 0, sizeof *flow);
  if (osip_uri_init (&parsed) != 0)
    return FALSE;
  if (osip_uri_parse (parsed, uri) == 0 && parsed->host != NULL) {
    g_autofree char *host = g_strdup (parsed->host);

    if (host[0] == '[') {
      memmove (host, host + 1, strlen (host));
      host[strcspn (host, "]")] = '\0';
    }
    ip = g_inet_address_new_from_string (host);
    if (ip != NULL && (parsed->port == NULL || g_ascii_string_to_unsigned (parsed->port, 10, 1, 65535, &port, NULL))) {
      g_strlcpy (flow->address, host, sizeof flow->address);
      flow->port = (guint16) port;
      osip_uri_uparam_get_byname (parsed, "transport", &transport);
      flow->proto = transport && transport->gvalue && g_ascii_strcasecmp (transport->gvalue, "tcp") == 0
                        ? ZC_SIP_TCP
                        : ZC_SIP_UDP;
      /* RFC 3261 26.2.2: sips: is TLS on every hop, whatever else it says;
       * RFC 5630: transport=tls means TLS on this one. */
      if ((parsed->scheme != NULL && g_ascii_strcasecmp (parsed->scheme, "sips") == 0) ||
          (transport && transport->gvalue && g_ascii_strcasecmp (transport->gvalue, "tls") == 0)) {
        flow->proto = ZC_SIP_TLS;
        if (parsed->port == NULL)
          flow->port = 5061;
      }
      ok = TRUE;
    }
  }
  osip_uri_free (parsed);
  return ok;
}
