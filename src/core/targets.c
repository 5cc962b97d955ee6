/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "calls"

#include "config.h"
#include "core/targets.h"

#include "common/i18n.h"
#include "core/calls.h"
#include "trust/fingerprint.h"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <osipparser2/osip_port.h>
#include <osipparser2/osip_uri.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

gboolean
zc_target_peer_is_refused (GVariant *peer, const char **reason)
{
  const char *trust = NULL;
  gboolean conflict = FALSE;

  g_variant_lookup (peer, "trust", "&s", &trust);
  g_variant_lookup (peer, "conflict", "b", &conflict);
  if (g_strcmp0 (trust, "changed") == 0) {
    *reason = "identity changed";
    return TRUE;
  }
  if (conflict) {
    *reason = "identity conflict";
    return TRUE;
  }
  return FALSE;
}

/* Addresses compare with their zone ("fe80::2%eth0") when both carry one:
 * the same link-local address on two links is two hosts.  A bare one (a
 * SIP URI cannot carry a zone) matches on any link. */
static gboolean
address_matches (const char *advertised, const char *address)
{
  gsize a = strcspn (advertised, "%");
  gsize b = strcspn (address, "%");

  if (advertised[a] != '\0' && address[b] != '\0')
    return g_str_equal (advertised, address);
  return a == b && strncmp (advertised, address, a) == 0;
}

static gboolean
view_has_address (GVariant *view, const char *address)
{
  g_autofree const char **addresses = NULL;

  if (!g_variant_lookup (view, "addresses", "^a&s", &addresses))
    return FALSE;
  for (guint a = 0; addresses[a] != NULL; a++) {
    if (address_matches (addresses[a], address))
      return TRUE;
  }
  return FALSE;
}

static gboolean
is_ipv6_link_local (const char *address)
{
  return g_ascii_strncasecmp (address, "fe80:", 5) == 0;
}

gboolean
zc_target_peer_flow (GVariant *view, guint index, ZcSipFlow *flow)
{
  g_autofree const char **addresses = NULL;
  guint32 port = 0;

  if (!g_variant_lookup (view, "addresses", "^a&s", &addresses) || addresses[0] == NULL ||
      !g_variant_lookup (view, "port", "u", &port) || port == 0 || port > G_MAXUINT16)
    return FALSE;
  memset (flow, 0, sizeof *flow);
  /* The table lists them routable first (see peer-table.c). */
  g_strlcpy (flow->address, addresses[index % g_strv_length ((char **) addresses)], sizeof flow->address);
  flow->port = (guint16) port;
  flow->proto = ZC_SIP_UDP;
  return TRUE;
}

/* A link-local address from a URI has no zone: the discovered peers say
 * which link it is on.  The same address on two links is ambiguous. */
static gboolean
scope_link_local (ZcPeerTable *peers, ZcSipFlow *flow, GError **error)
{
  g_autoptr (GPtrArray) list = NULL;
  g_autofree char *found = NULL;

  if (!is_ipv6_link_local (flow->address) || strchr (flow->address, '%') != NULL)
    return TRUE;
  list = zc_peer_table_list (peers, FALSE);
  for (guint i = 0; i < list->len; i++) {
    g_autoptr (GVariant) view = g_variant_ref_sink (zc_peer_to_variant (g_ptr_array_index (list, i)));
    g_autofree const char **addresses = NULL;

    if (!g_variant_lookup (view, "addresses", "^a&s", &addresses))
      continue;
    for (guint a = 0; addresses[a] != NULL; a++) {
      if (!address_matches (addresses[a], flow->address) || strchr (addresses[a], '%') == NULL)
        continue;
      if (found != NULL && !g_str_equal (found, addresses[a])) {
        g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_AMBIGUOUS,
                     _("%s is a link-local address on several links (%s, %s): call the peer by its name"),
                     flow->address, strchr (found, '%') + 1, strchr (addresses[a], '%') + 1);
        return FALSE;
      }
      if (found == NULL)
        found = g_strdup (addresses[a]);
    }
  }
  if (found == NULL) {
    g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_INVALID,
                 _("%s is a link-local address of no discovered peer: its link is unknown; call the peer by "
                   "its name"), flow->address);
    return FALSE;
  }
  g_strlcpy (flow->address, found, sizeof flow->address);
  return TRUE;
}

/* The peer whose advertised address is @address, for naming callers and
 * deciding whether to take their calls.  When several entries share the
 * address, one that is not refused wins: anyone can publish an advert with
 * a bogus fp= whose SRV record names a colleague's host (and during an
 * mDNS name conflict a resolve can even mix two hosts' records), and that
 * must not stop the colleague's calls.  An address proves no key either
 * way; the key-proven caller identity is the DTLS handshake's job. */
GVariant *
zc_target_peer_by_address (ZcPeerTable *peers, const char *address)
{
  g_autoptr (GPtrArray) list = zc_peer_table_list (peers, FALSE);
  GVariant *found = NULL;

  for (guint i = 0; i < list->len; i++) {
    GVariant *view = g_variant_ref_sink (zc_peer_to_variant (g_ptr_array_index (list, i)));
    const char *reason;

    if (!view_has_address (view, address)) {
      g_variant_unref (view);
      continue;
    }
    if (!zc_target_peer_is_refused (view, &reason)) {
      g_clear_pointer (&found, g_variant_unref);
      return view;
    }
    if (found == NULL)
      found = view;
    else
      g_variant_unref (view);
  }
  return found;
}

GVariant *
zc_target_peer_for_uri (ZcPeerTable *peers, const char *uri)
{
  g_autoptr (GPtrArray) list = NULL;
  osip_uri_t *parsed = NULL;
  ZcSipFlow flow;
  GVariant *best = NULL;
  int best_score = -1;

  if (uri == NULL || !zc_target_flow_for_uri (peers, uri, &flow, NULL) || osip_uri_init (&parsed) != 0)
    return NULL;
  if (osip_uri_parse (parsed, uri) != 0) {
    osip_uri_free (parsed);
    return NULL;
  }
  list = zc_peer_table_list (peers, FALSE);
  for (guint i = 0; i < list->len; i++) {
    GVariant *view = g_variant_ref_sink (zc_peer_to_variant (g_ptr_array_index (list, i)));
    const char *user = NULL;
    const char *reason;
    guint32 port = 0;
    int score;

    if (!view_has_address (view, flow.address)) {
      g_variant_unref (view);
      continue;
    }
    g_variant_lookup (view, "user", "&s", &user);
    g_variant_lookup (view, "port", "u", &port);
    /* Two agents on one host (two users of one PC) share its addresses;
     * the user and port in the URI tell them apart. */
    score = (parsed->username != NULL && g_strcmp0 (user, parsed->username) == 0) * 4 + (port == flow.port) * 2 +
            !zc_target_peer_is_refused (view, &reason);
    if (score > best_score) {
      g_clear_pointer (&best, g_variant_unref);
      best = view;
      best_score = score;
    } else {
      g_variant_unref (view);
    }
  }
  osip_uri_free (parsed);
  return best;
}

GVariant *
zc_target_claimed_peer (ZcPeerTable *peers, const char *uri, const char *address)
{
  GVariant *peer = zc_target_peer_for_uri (peers, uri);

  return peer != NULL ? peer : zc_target_peer_by_address (peers, address);
}

ZcPeer *
zc_target_find_peer (ZcPeerTable *peers, const char *target, ZcTargetPurpose purpose, GError **error)
{
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GPtrArray) exact = g_ptr_array_new ();
  g_autoptr (GPtrArray) by_name_or_user = g_ptr_array_new ();
  g_autofree char *folded = NULL;
  GPtrArray *matches;
  guint flagged = 0;
  ZcPeer *peer;

  folded = g_utf8_casefold (target, -1);
  list = zc_peer_table_list (peers, FALSE);
  for (guint i = 0; i < list->len; i++) {
    ZcPeer *p = g_ptr_array_index (list, i);
    g_autofree char *name = g_utf8_casefold (zc_peer_get_name (p), -1);
    gboolean matches_exact = g_str_equal (zc_peer_get_name (p), target);
    gboolean matches_loose = g_str_equal (name, folded) || g_ascii_strcasecmp (zc_peer_get_user (p), target) == 0;

    /* A copy of another peer's identity is never what a name means. */
    if (zc_peer_is_conflict (p)) {
      flagged += matches_exact || matches_loose;
      continue;
    }
    if (matches_exact)
      g_ptr_array_add (exact, p);
    if (matches_loose)
      g_ptr_array_add (by_name_or_user, p);
  }
  /* A name typed exactly as advertised is unambiguous ("Twin" beside
   * "Twin #2"); otherwise every peer whose name or user matches counts,
   * and two of them make the target ambiguous. */
  matches = exact->len == 1 ? exact : by_name_or_user;
  if (matches->len == 0 && flagged > 0) {
    g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_UNTRUSTED,
                 _("“%s” matches only entries that copy another peer’s identity without its key "
                   "(CONFLICT in “zcall list”): refusing to use them"), target);
    return NULL;
  }
  if (matches->len == 0) {
    g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_NOT_FOUND,
                 _("no peer matches “%s” (“zcall list” shows the peers; a SIP URI or user@host also works)"), target);
    return NULL;
  }
  if (matches->len > 1) {
    GString *names = g_string_new (NULL);

    for (guint i = 0; i < matches->len; i++) {
      g_autoptr (GVariant) view = g_variant_ref_sink (zc_peer_to_variant (g_ptr_array_index (matches, i)));
      const char *name = NULL, *uri = NULL;

      g_variant_lookup (view, "name", "&s", &name);
      g_variant_lookup (view, "uri", "&s", &uri);
      g_string_append_printf (names, "%s%s (%s)", i ? ", " : "", name, uri);
    }
    g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_AMBIGUOUS, _("“%s” matches several peers: %s"), target,
                 names->str);
    g_string_free (names, TRUE);
    return NULL;
  }
  peer = g_ptr_array_index (matches, 0);
  if (purpose == ZC_TARGET_FOR_CALL && g_str_equal (zc_peer_get_trust (peer), "changed")) {
    g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_UNTRUSTED,
                 _("the key of “%s” changed since it was first seen: this may be an impostor.  Compare the "
                   "fingerprint in “zcall list” with the one “zcall identity” shows on their side, then "
                   "accept it with “zcall trust %s --replace”"),
                 zc_peer_get_name (peer), target);
    return NULL;
  }
  return peer;
}

/* The peer's URI, and where to send to reach it when @flow is not NULL. */
static char *
peer_route (ZcPeer *peer, const char *target, ZcSipFlow *flow, GError **error)
{
  g_autoptr (GVariant) view = g_variant_ref_sink (zc_peer_to_variant (peer));
  const char *uri = NULL;

  g_variant_lookup (view, "uri", "&s", &uri);
  if (uri == NULL || *uri == '\0' ||
      (flow != NULL && !zc_target_peer_flow (view, zc_peer_get_liveness (peer)->address_index, flow))) {
    g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_NOT_FOUND, _("peer “%s” has no address yet"), target);
    return NULL;
  }
  return g_strdup (uri);
}

static char *
target_route (ZcPeerTable *peers, const char *target, ZcSipFlow *flow, GError **error)
{
  g_autofree char *uri = NULL;
  ZcPeer *peer;

  if (target == NULL || *target == '\0') {
    g_set_error_literal (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_INVALID, _("no target given"));
    return NULL;
  }
  if (g_ascii_strncasecmp (target, "sip:", 4) == 0 || g_ascii_strncasecmp (target, "sips:", 5) == 0)
    uri = g_strdup (target);
  else if (strchr (target, '@') != NULL)
    uri = g_strconcat ("sip:", target, NULL);
  if (uri != NULL)
    return flow == NULL || zc_target_flow_for_uri (peers, uri, flow, error) ? g_steal_pointer (&uri) : NULL;

  peer = zc_target_find_peer (peers, target, ZC_TARGET_FOR_CALL, error);
  if (peer == NULL)
    return NULL;
  return peer_route (peer, target, flow, error);
}

char *
zc_target_resolve (ZcPeerTable *peers, const char *target, GError **error)
{
  return target_route (peers, target, NULL, error);
}

char *
zc_target_route (ZcPeerTable *peers, const char *target, ZcSipFlow *flow, GError **error)
{
  return target_route (peers, target, flow, error);
}

/* A URI whose host is a discovered peer's mDNS name ("pc7.local") is sent
 * to that peer's address: the agent resolves nothing else by itself. */
gboolean
zc_target_flow_for_uri (ZcPeerTable *peers, const char *uri, ZcSipFlow *flow, GError **error)
{
  osip_uri_t *parsed = NULL;
  g_autoptr (GPtrArray) list = NULL;
  gboolean ok = FALSE;

  if (zc_sip_uri_to_flow (uri, flow))
    return scope_link_local (peers, flow, error);
  if (osip_uri_init (&parsed) != 0)
    return FALSE;
  if (osip_uri_parse (parsed, uri) == 0 && parsed->host != NULL) {
    list = zc_peer_table_list (peers, FALSE);
    for (guint i = 0; i < list->len && !ok; i++) {
      g_autoptr (GVariant) view = g_variant_ref_sink (zc_peer_to_variant (g_ptr_array_index (list, i)));
      const char *host = NULL;
      g_autofree const char **addresses = NULL;
      guint32 port = 0;

      g_variant_lookup (view, "host", "&s", &host);
      g_variant_lookup (view, "port", "u", &port);
      if (host == NULL || g_ascii_strcasecmp (host, parsed->host) != 0 ||
          !g_variant_lookup (view, "addresses", "^a&s", &addresses) || addresses[0] == NULL)
        continue;
      memset (flow, 0, sizeof *flow);
      g_strlcpy (flow->address, addresses[0], sizeof flow->address);
      flow->port = parsed->port ? (guint16) atoi (parsed->port) : (guint16) port;
      flow->proto = ZC_SIP_UDP;
      ok = TRUE;
    }
    if (!ok)
      g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_INVALID,
                   _("cannot reach “%s”: use an IP address or the name of a discovered peer"), parsed->host);
  } else {
    g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_INVALID, _("“%s” is not a valid SIP URI"), uri);
  }
  osip_uri_free (parsed);
  return ok;
}

/* accept-from=lan: the caller is on one of our subnets, or a peer we
 * discovered (which may be on a routed part of the LAN). */
gboolean
zc_target_address_is_local (ZcPeerTable *peers, const char *address)
{
  /* A link-local source carries its zone ("%eth0"), which GInetAddress
   * does not parse; link-local is local anyway. */
  g_autofree char *bare = g_strndup (address, strcspn (address, "%"));
  g_autoptr (GInetAddress) ip = g_inet_address_new_from_string (bare);
  struct ifaddrs *ifaddrs = NULL;
  gboolean local = FALSE;

  if (ip == NULL)
    return FALSE;
  if (g_inet_address_get_is_loopback (ip) || g_inet_address_get_is_link_local (ip))
    return TRUE;
  if (getifaddrs (&ifaddrs) == 0) {
    for (struct ifaddrs *ifa = ifaddrs; ifa != NULL && !local; ifa = ifa->ifa_next) {
      g_autoptr (GSocketAddress) sa = NULL;
      g_autoptr (GSocketAddress) mask = NULL;
      const guint8 *a, *n, *m;
      gsize len;

      if (ifa->ifa_addr == NULL || ifa->ifa_netmask == NULL ||
          (ifa->ifa_addr->sa_family != AF_INET && ifa->ifa_addr->sa_family != AF_INET6))
        continue;
      sa = g_socket_address_new_from_native (ifa->ifa_addr, ifa->ifa_addr->sa_family == AF_INET ? sizeof (struct sockaddr_in) : sizeof (struct sockaddr_in6));
      mask = g_socket_address_new_from_native (ifa->ifa_netmask, ifa->ifa_addr->sa_family == AF_INET ? sizeof (struct sockaddr_in) : sizeof (struct sockaddr_in6));
      if (sa == NULL || mask == NULL ||
          g_inet_address_get_family (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (sa))) !=
              g_inet_address_get_family (ip))
        continue;
      a = g_inet_address_to_bytes (ip);
      n = g_inet_address_to_bytes (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (sa)));
      m = g_inet_address_to_bytes (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (mask)));
      len = g_inet_address_get_native_size (ip);
      local = TRUE;
      for (gsize i = 0; i < len; i++) {
        if ((a[i] & m[i]) != (n[i] & m[i])) {
          local = FALSE;
          break;
        }
      }
    }
    freeifaddrs (ifaddrs);
  }
  if (!local) {
    g_autoptr (GVariant) peer = zc_target_peer_by_address (peers, address);
    local = peer != NULL;
  }
  return local;
}


/* "sip:user@host:port;transport=tls" from @uri, keeping the rest. */
static char *
uri_with_tls_port (const char *uri, guint16 port)
{
  osip_uri_t *parsed = NULL;
  char *text = NULL;
  g_autofree char *result = NULL;

  if (osip_uri_init (&parsed) != 0)
    return NULL;
  if (osip_uri_parse (parsed, uri) == 0) {
    g_autofree char *port_text = g_strdup_printf ("%u", port);

    osip_free (parsed->port);
    parsed->port = osip_strdup (port_text);
    osip_uri_uparam_add (parsed, osip_strdup ("transport"), osip_strdup ("tls"));
    if (osip_uri_to_str (parsed, &text) == 0) {
      result = g_strdup (text);
      osip_free (text);
    }
  }
  osip_uri_free (parsed);
  return g_steal_pointer (&result);
}

gboolean
zc_target_choose_transport (GVariant *peer, char **uri, ZcSipFlow *flow, gboolean tls_on, GError **error)
{
  guint32 tls_port = 0;
  const char *human = NULL;
  ZcFingerprint fp;
  gboolean explicit_transport = strstr (*uri, ";transport=") != NULL;

  if (peer != NULL)
    g_variant_lookup (peer, "tls_port", "u", &tls_port);
  if (flow->proto == ZC_SIP_TLS) {
    if (!tls_on) {
      g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_FAILED,
                   _("%s needs SIP over TLS, which is off here ([sip] tls-port)"), *uri);
      return FALSE;
    }
    if (peer != NULL && tls_port == 0) {
      g_set_error (error, ZC_CALLS_ERROR, ZC_CALLS_ERROR_FAILED,
                   _("%s offers no SIP over TLS: a sips: call is never sent in the clear"), flow->address);
      return FALSE;
    }
  } else if (peer == NULL || tls_port == 0 || !tls_on || explicit_transport) {
    return TRUE;
  } else {
    g_autofree char *upgraded = uri_with_tls_port (*uri, (guint16) tls_port);

    if (upgraded == NULL)
      return TRUE;
    g_free (*uri);
    *uri = g_steal_pointer (&upgraded);
    flow->proto = ZC_SIP_TLS;
  }
  if (peer != NULL && tls_port != 0) {
    guint32 sip_port = 0;

    /* sips:bob@host (5061 assumed) or the SIP port from `zcall list`: the
     * peer's TLS port is where its TLS is. */
    g_variant_lookup (peer, "port", "u", &sip_port);
    if (flow->port == 5061 || flow->port == sip_port)
      flow->port = (guint16) tls_port;
    if (g_variant_lookup (peer, "fingerprint", "&s", &human) && zc_fingerprint_parse (human, &fp, NULL)) {
      g_autofree char *sdp_form = zc_fingerprint_to_sdp (&fp);
      g_strlcpy (flow->fingerprint, sdp_form, sizeof flow->fingerprint);
    }
  }
  return TRUE;
}
