/* SPDX-License-Identifier: GPL-3.0-or-later */
/* OPTIONS pings with round-trip times, for peer liveness. */
#define G_LOG_DOMAIN "sip"

#include "config.h"
#include "sip/ua-private.h"

#include <stdlib.h>
#include <string.h>

/* ---- pings --------------------------------------------------------------------------- */

guint
zc_sip_ua_ping (ZcSipUa *ua, const char *uri, const ZcSipFlow *to)
{
  return zc_sip_ua_ping_full (ua, uri, to, NULL, NULL); /* the UA's handler, as of the answer */
}

guint
zc_sip_ua_ping_full (ZcSipUa *ua, const char *uri, const ZcSipFlow *to, ZcSipPingFunc func, gpointer user_data)
{
  osip_message_t *req = NULL;
  g_autofree char *local = ua->io.local_address_for (to->address, ua->io.data);
  g_autofree char *host = NULL;
  g_autofree char *tag = zc_sip_random_token ();
  g_autofree char *call_token = zc_sip_random_token ();
  g_autofree char *branch = zc_sip_new_branch ();
  g_autofree char *from = NULL, *via = NULL, *call_id = NULL, *to_header = NULL;
  ZcSipPing *ping;

  if (local == NULL)
    return 0;
  host = zc_sip_host_for_uri (local);
  osip_message_init (&req);
  osip_message_set_method (req, osip_strdup ("OPTIONS"));
  osip_message_set_version (req, osip_strdup ("SIP/2.0"));
  osip_uri_init (&req->req_uri);
  if (osip_uri_parse (req->req_uri, uri) != 0) {
    osip_message_free (req);
    return 0;
  }
  from = g_strdup_printf ("<sip:%s@%s:%u>;tag=%s", ua->user, host, ua->io.port, tag);
  via = g_strdup_printf ("SIP/2.0/%s %s:%u;branch=%s;rport", zc_sip_proto_to_string (to->proto), host,
                         ua->io.port, branch);
  call_id = g_strdup_printf ("%s@%s", call_token, local);
  to_header = g_strdup_printf ("<%s>", uri);
  osip_message_set_from (req, from);
  osip_message_set_to (req, to_header);
  osip_message_set_call_id (req, call_id);
  osip_message_set_cseq (req, "1 OPTIONS");
  osip_message_set_via (req, via);
  osip_message_set_max_forwards (req, "70");
  osip_message_set_accept (req, ZC_SIP_ACCEPT);
  osip_message_set_user_agent (req, "zcall/" PACKAGE_VERSION);

  ping = g_new0 (ZcSipPing, 1);
  ping->kind = OWNER_PING;
  ping->id = ++ua->next_ping_id ? ua->next_ping_id : ++ua->next_ping_id;
  ping->sent_us = g_get_monotonic_time ();
  ping->func = func;
  ping->func_data = user_data;
  g_hash_table_insert (ua->pings, GUINT_TO_POINTER (ping->id), ping);
  ping->tr = zc_sip_stack_send_request (ua->stack, req, to, ping);
  if (ping->tr == NULL) {
    g_hash_table_remove (ua->pings, GUINT_TO_POINTER (ping->id));
    return 0;
  }
  return ping->id;
}

void
zc_sip_ua_set_ping_handler (ZcSipUa *ua, ZcSipPingFunc func, gpointer user_data)
{
  ua->ping_func = func;
  ua->ping_data = user_data;
}

void
zc_sip_ua_ping_cancel (ZcSipUa *ua, guint ping_id)
{
  ZcSipPing *ping = g_hash_table_lookup (ua->pings, GUINT_TO_POINTER (ping_id));

  if (ping == NULL)
    return;
  ping->reported = TRUE;
  if (ping->tr != NULL)
    zc_sip_stack_abandon (ua->stack, ping->tr); /* tx_gone frees the ping */
  else
    g_hash_table_remove (ua->pings, GUINT_TO_POINTER (ping_id));
}

