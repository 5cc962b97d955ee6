/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "discovery/onlink.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

static ZcIfAddress
ifaddr (int ifindex, const char *address, guint prefix_len)
{
  ZcIfAddress a = { .ifindex = ifindex, .prefix_len = prefix_len };

  a.family = strchr (address, ':') ? AF_INET6 : AF_INET;
  g_assert_cmpint (inet_pton (a.family, address, a.address), ==, 1);
  return a;
}

/* eth0 (2): 198.18.0.1/24 and 2001:db8::1/64; eth1 (3): 198.18.4.1/30;
 * ppp0 (4): 10.0.0.1 peer 10.0.0.2. */
static void
test_check (void)
{
  ZcIfAddress list[4];

  list[0] = ifaddr (2, "198.18.0.1", 24);
  list[1] = ifaddr (2, "2001:db8::1", 64);
  list[2] = ifaddr (3, "198.18.4.1", 30);
  list[3] = ifaddr (4, "10.0.0.1", 32);
  list[3].point_to_point = TRUE;
  g_assert_cmpint (inet_pton (AF_INET, "10.0.0.2", list[3].peer), ==, 1);

  /* On the link it was resolved on. */
  g_assert_true (zc_onlink_check (list, 4, 2, "198.18.0.3"));
  g_assert_true (zc_onlink_check (list, 4, 2, "2001:db8::42"));
  g_assert_true (zc_onlink_check (list, 4, 2, "fe80::1%eth0"));
  g_assert_true (zc_onlink_check (list, 4, 3, "198.18.4.2"));
  g_assert_true (zc_onlink_check (list, 4, 4, "10.0.0.2"));
  /* On another of our links, or none. */
  g_assert_false (zc_onlink_check (list, 4, 3, "198.18.0.3"));
  g_assert_false (zc_onlink_check (list, 4, 2, "198.18.1.3"));
  g_assert_false (zc_onlink_check (list, 4, 2, "192.0.2.1"));
  g_assert_false (zc_onlink_check (list, 4, 2, "8.8.8.8"));
  g_assert_false (zc_onlink_check (list, 4, 2, "2001:db8:1::42"));
  g_assert_false (zc_onlink_check (list, 4, 4, "10.0.0.3"));
  g_assert_false (zc_onlink_check (list, 4, 0, "198.18.0.3"));
  /* The subnet's own and broadcast addresses, multicast and the like. */
  g_assert_false (zc_onlink_check (list, 4, 2, "198.18.0.0"));
  g_assert_false (zc_onlink_check (list, 4, 2, "198.18.0.255"));
  g_assert_false (zc_onlink_check (list, 4, 3, "198.18.4.3"));
  g_assert_false (zc_onlink_check (list, 4, 2, "224.0.0.251"));
  g_assert_false (zc_onlink_check (list, 4, 2, "255.255.255.255"));
  g_assert_false (zc_onlink_check (list, 4, 2, "0.0.0.0"));
  g_assert_false (zc_onlink_check (list, 4, 2, "ff02::1"));
  g_assert_false (zc_onlink_check (list, 4, 2, "::"));
  g_assert_false (zc_onlink_check (list, 4, 2, "2001:db8::"));
  g_assert_false (zc_onlink_check (list, 4, 2, "not an address"));
  g_assert_false (zc_onlink_check (list, 4, 2, NULL));
}

static void
test_ports (void)
{
  g_assert_true (zc_port_is_sane (5060));
  g_assert_true (zc_port_is_sane (5061));
  g_assert_true (zc_port_is_sane (1024));
  g_assert_true (zc_port_is_sane (65535));
  g_assert_false (zc_port_is_sane (0));
  g_assert_false (zc_port_is_sane (7));    /* echo */
  g_assert_false (zc_port_is_sane (53));   /* DNS */
  g_assert_false (zc_port_is_sane (123));  /* NTP */
  g_assert_false (zc_port_is_sane (1023));
}

/* Against the host's own interfaces: loopback is a link too. */
static void
test_host (void)
{
  g_assert_true (zc_address_is_on_link (1, "127.0.0.2"));
  g_assert_false (zc_address_is_on_link (1, "192.0.2.1"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/onlink/check", test_check);
  g_test_add_func ("/onlink/ports", test_ports);
  g_test_add_func ("/onlink/host", test_host);
  return g_test_run ();
}
