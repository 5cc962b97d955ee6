/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A peer as the D-Bus API shows it: the a{sv} dictionary documented in
 * data/org.zcall.Agent1.xml, merged from the entry's records. */
#define G_LOG_DOMAIN "discovery"

#include "config.h"
#include "discovery/peer-private.h"

#include "trust/fingerprint.h"

#include <string.h>

static void
add_unique (GPtrArray *strings, const char *value)
{
  if (value != NULL && *value != '\0' &&
      !g_ptr_array_find_with_equal_func (strings, value, g_str_equal, NULL))
    g_ptr_array_add (strings, (gpointer) value);
}

/* 0 for routable IPv4, 1 routable IPv6, 2 IPv4 link-local (169.254/16,
 * RFC 3927), 3 IPv6 link-local: the order a caller should try them in, so
 * a peer with a routable address is never called on a link-local one
 * (which reaches it only while both sit on the same link). */
static int
address_rank (const char *address)
{
  if (strchr (address, ':') == NULL)
    return g_str_has_prefix (address, "169.254.") ? 2 : 0;
  return g_ascii_strncasecmp (address, "fe80:", 5) == 0 ? 3 : 1;
}

static int
compare_addresses (gconstpointer a, gconstpointer b)
{
  const char *x = *(const char *const *) a;
  const char *y = *(const char *const *) b;
  int rx = address_rank (x);
  int ry = address_rank (y);

  if (rx != ry)
    return rx < ry ? -1 : 1;
  return strcmp (x, y);
}

static const char *
known_state (const ZcPeer *peer, const char *state)
{
  /* "busy": what agents before the on-call state said with every slot taken. */
  static const char *const states[] = { "available", "ringing", "on-call", "busy", "dnd", NULL };

  if (!peer->liveness.reachable)
    return "unreachable";
  if (state != NULL && g_strv_contains (states, state))
    return state;
  return "unknown";
}

static GVariant *
strv_variant (GPtrArray *strings)
{
  return g_variant_new_strv ((const char *const *) strings->pdata, strings->len);
}

static char *
build_uri (const char *user, const char *address, guint16 port)
{
  if (address == NULL)
    return g_strdup ("");
  if (strchr (address, ':') != NULL) {
    /* RFC 6874 zone IDs are not allowed in SIP URIs; a link-local peer is
     * still reachable through the interface list. */
    g_autofree char *bare = g_strndup (address, strcspn (address, "%"));
    return g_strdup_printf ("sip:%s%s[%s]:%u", user ? user : "", user && *user ? "@" : "", bare, port);
  }
  return g_strdup_printf ("sip:%s%s%s:%u", user ? user : "", user && *user ? "@" : "", address, port);
}

/* "endpoints": (address, interface) pairs in the order a call tries
 * them.  The interface is the one the address was resolved on: the only
 * way to reach a link-local address, and for a routable one where the
 * peer was seen.  @scoped holds "address%interface" strings. */
static GVariant *
endpoints_variant (GPtrArray *scoped)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(ss)"));
  for (guint i = 0; i < scoped->len; i++) {
    const char *text = g_ptr_array_index (scoped, i);
    gsize len = strcspn (text, "%");
    g_autofree char *address = g_strndup (text, len);

    g_variant_builder_add (&b, "(ss)", address, text[len] == '%' ? text + len + 1 : "");
  }
  return g_variant_builder_end (&b);
}

GVariant *
zc_peer_build_view (const ZcPeer *peer, gboolean with_rtt)
{
  const ZcServiceRecord *main_record = zc_peer_main_record (peer);
  g_autoptr (GPtrArray) addresses = g_ptr_array_new ();
  g_autoptr (GPtrArray) interfaces = g_ptr_array_new ();
  g_autoptr (GPtrArray) types = g_ptr_array_new ();
  g_autoptr (GPtrArray) scoped = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *uri = NULL;
  g_autofree char *fingerprint = NULL;
  ZcFingerprint fp;
  GVariantBuilder b;

  /* Shown in the form people compare over the phone (`zcall identity`). */
  if (main_record->txt.fingerprint != NULL && zc_fingerprint_parse (main_record->txt.fingerprint, &fp, NULL))
    fingerprint = zc_fingerprint_to_human (&fp);
  for (guint i = 0; i < peer->records->len; i++) {
    const ZcServiceRecord *r = g_ptr_array_index (peer->records, i);

    add_unique (addresses, r->address);
    add_unique (interfaces, r->ifname);
    add_unique (types, r->type);
    if (r->address != NULL && *r->address != '\0') {
      g_autofree char *pair = g_strdup_printf ("%.*s%%%s", (int) strcspn (r->address, "%"), r->address,
                                               r->ifname ? r->ifname : "");

      if (!g_ptr_array_find_with_equal_func (scoped, pair, g_str_equal, NULL))
        g_ptr_array_add (scoped, g_steal_pointer (&pair));
    }
  }
  g_ptr_array_sort (addresses, compare_addresses);
  g_ptr_array_sort (scoped, compare_addresses);
  g_ptr_array_sort (interfaces, (GCompareFunc) g_strcmp0);
  g_ptr_array_sort (types, (GCompareFunc) g_strcmp0);
  uri = build_uri (main_record->txt.user, addresses->len ? g_ptr_array_index (addresses, 0) : NULL,
                   main_record->port);

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "name", g_variant_new_string (main_record->name));
  g_variant_builder_add (&b, "{sv}", "user", g_variant_new_string (main_record->txt.user ? main_record->txt.user : ""));
  g_variant_builder_add (&b, "{sv}", "display_name",
                         g_variant_new_string (main_record->txt.display_name ? main_record->txt.display_name : ""));
  g_variant_builder_add (&b, "{sv}", "host", g_variant_new_string (main_record->host ? main_record->host : ""));
  g_variant_builder_add (&b, "{sv}", "addresses", strv_variant (addresses));
  g_variant_builder_add (&b, "{sv}", "endpoints", endpoints_variant (scoped));
  g_variant_builder_add (&b, "{sv}", "port", g_variant_new_uint32 (main_record->port));
  {
    guint64 tls_port = 0;

    /* Only with a key to check it against: TLS to a peer we cannot
     * authenticate would be encryption without knowing to whom. */
    if (fingerprint == NULL || main_record->txt.tls_port == NULL ||
        !g_ascii_string_to_unsigned (main_record->txt.tls_port, 10, 1, 65535, &tls_port, NULL))
      tls_port = 0;
    g_variant_builder_add (&b, "{sv}", "tls_port", g_variant_new_uint32 ((guint32) tls_port));
  }
  g_variant_builder_add (&b, "{sv}", "uri", g_variant_new_string (uri));
  g_variant_builder_add (&b, "{sv}", "instance_id",
                         g_variant_new_string (main_record->txt.instance_id ? main_record->txt.instance_id : ""));
  g_variant_builder_add (&b, "{sv}", "state", g_variant_new_string (known_state (peer, main_record->txt.state)));
  g_variant_builder_add (&b, "{sv}", "note", g_variant_new_string (main_record->txt.note ? main_record->txt.note : ""));
  g_variant_builder_add (&b, "{sv}", "interfaces", strv_variant (interfaces));
  g_variant_builder_add (&b, "{sv}", "types", strv_variant (types));
  g_variant_builder_add (&b, "{sv}", "self", g_variant_new_boolean (peer->self));
  g_variant_builder_add (&b, "{sv}", "reachable", g_variant_new_boolean (peer->liveness.reachable));
  g_variant_builder_add (&b, "{sv}", "trust", g_variant_new_string (peer->trust));
  g_variant_builder_add (&b, "{sv}", "fingerprint", g_variant_new_string (fingerprint ? fingerprint : ""));
  g_variant_builder_add (&b, "{sv}", "conflict", g_variant_new_boolean (peer->conflict));
  /* The round trip changes with every ping: it is shown, but it is no
   * reason for a change event. */
  if (with_rtt)
    g_variant_builder_add (&b, "{sv}", "rtt_ms", g_variant_new_double (peer->liveness.rtt_ms));
  return g_variant_builder_end (&b);
}

GVariant *
zc_peer_to_variant (const ZcPeer *peer)
{
  return zc_peer_build_view (peer, TRUE);
}
