/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "discovery"

#include "config.h"
#include "discovery/onlink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

static gboolean
parse_address (const char *text, int *family, guint8 out[16])
{
  g_autofree char *bare = g_strndup (text, strcspn (text, "%"));

  memset (out, 0, 16);
  if (inet_pton (AF_INET, bare, out) == 1) {
    *family = AF_INET;
    return TRUE;
  }
  if (inet_pton (AF_INET6, bare, out) == 1) {
    *family = AF_INET6;
    return TRUE;
  }
  return FALSE;
}

static gboolean
same_prefix (const guint8 *a, const guint8 *b, guint bits)
{
  guint bytes = bits / 8;

  if (memcmp (a, b, bytes) != 0)
    return FALSE;
  if (bits % 8 == 0)
    return TRUE;
  return ((a[bytes] ^ b[bytes]) & (guint8) (0xff << (8 - bits % 8))) == 0;
}

/* The host part (the bits after @bits) is all zeros or all ones: the
 * subnet's own address or its broadcast address. */
static gboolean
host_part_uniform (const guint8 *a, guint len_bits, guint bits, gboolean ones)
{
  for (guint i = bits; i < len_bits; i++) {
    gboolean bit = (a[i / 8] >> (7 - i % 8)) & 1;
    if (bit != ones)
      return FALSE;
  }
  return TRUE;
}

/* Addresses no ping may go to whatever the interfaces say. */
static gboolean
address_forbidden (int family, const guint8 *a)
{
  static const guint8 zero[16] = { 0 };

  if (family == AF_INET)
    return a[0] == 0 || a[0] >= 224; /* "this network", multicast, class E, broadcast */
  return memcmp (a, zero, 16) == 0 || a[0] == 0xff; /* unspecified, multicast */
}

gboolean
zc_onlink_check (const ZcIfAddress *addresses, gsize n_addresses, int ifindex, const char *address)
{
  guint8 a[16];
  int family;

  if (address == NULL || ifindex <= 0 || !parse_address (address, &family, a) || address_forbidden (family, a))
    return FALSE;
  /* fe80::/10 lives on every link; the resolve says which one. */
  if (family == AF_INET6 && a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
    return TRUE;
  for (gsize i = 0; i < n_addresses; i++) {
    const ZcIfAddress *ifa = &addresses[i];
    guint len_bits = family == AF_INET ? 32 : 128;

    if (ifa->ifindex != ifindex || ifa->family != family)
      continue;
    if (ifa->point_to_point) {
      if (memcmp (ifa->peer, a, len_bits / 8) == 0)
        return TRUE;
      continue;
    }
    if (ifa->prefix_len > len_bits || !same_prefix (ifa->address, a, ifa->prefix_len))
      continue;
    /* /31 and /32 (RFC 3021), /127 and /128 have no subnet or broadcast
     * address to avoid. */
    if (ifa->prefix_len + 1 < len_bits &&
        (host_part_uniform (a, len_bits, ifa->prefix_len, FALSE) ||
         (family == AF_INET && host_part_uniform (a, len_bits, ifa->prefix_len, TRUE))))
      continue;
    return TRUE;
  }
  return FALSE;
}

static guint
mask_to_prefix (const struct sockaddr *mask)
{
  const guint8 *bytes;
  gsize n;
  guint bits = 0;

  if (mask == NULL)
    return 0;
  if (mask->sa_family == AF_INET) {
    bytes = (const guint8 *) &((const struct sockaddr_in *) mask)->sin_addr;
    n = 4;
  } else {
    bytes = (const guint8 *) &((const struct sockaddr_in6 *) mask)->sin6_addr;
    n = 16;
  }
  for (gsize i = 0; i < n; i++)
    bits += (guint) __builtin_popcount (bytes[i]);
  return bits;
}

static void
copy_sockaddr (guint8 out[16], const struct sockaddr *sa)
{
  memset (out, 0, 16);
  if (sa->sa_family == AF_INET)
    memcpy (out, &((const struct sockaddr_in *) sa)->sin_addr, 4);
  else
    memcpy (out, &((const struct sockaddr_in6 *) sa)->sin6_addr, 16);
}

gboolean
zc_address_is_on_link (int ifindex, const char *address)
{
  g_autoptr (GArray) list = g_array_new (FALSE, TRUE, sizeof (ZcIfAddress));
  struct ifaddrs *all = NULL;
  gboolean on_link;

  if (getifaddrs (&all) != 0) {
    g_warning ("cannot list the network interfaces: %s", g_strerror (errno));
    return FALSE;
  }
  for (struct ifaddrs *i = all; i != NULL; i = i->ifa_next) {
    ZcIfAddress ifa = { 0 };

    if (i->ifa_addr == NULL || (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6))
      continue;
    ifa.ifindex = (int) if_nametoindex (i->ifa_name);
    ifa.family = i->ifa_addr->sa_family;
    copy_sockaddr (ifa.address, i->ifa_addr);
    ifa.prefix_len = mask_to_prefix (i->ifa_netmask);
    if ((i->ifa_flags & IFF_POINTOPOINT) && i->ifa_dstaddr != NULL &&
        i->ifa_dstaddr->sa_family == i->ifa_addr->sa_family) {
      ifa.point_to_point = TRUE;
      copy_sockaddr (ifa.peer, i->ifa_dstaddr);
    }
    g_array_append_val (list, ifa);
  }
  freeifaddrs (all);
  on_link = zc_onlink_check ((const ZcIfAddress *) (gpointer) list->data, list->len, ifindex, address);
  return on_link;
}

gboolean
zc_port_is_sane (guint port)
{
  return port == 5060 || port == 5061 || (port >= 1024 && port <= 65535);
}
