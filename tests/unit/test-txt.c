/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "discovery/txt.h"

#include <avahi-common/malloc.h>

#include <string.h>

static char *
lookup (AvahiStringList *list, const char *key)
{
  AvahiStringList *item = avahi_string_list_find (list, key);
  char *k = NULL, *v = NULL;

  if (item == NULL)
    return NULL;
  avahi_string_list_get_pair (item, &k, &v, NULL);
  avahi_free (k);
  {
    char *copy = g_strdup (v);
    avahi_free (v);
    return copy;
  }
}

static void
test_encode (void)
{
  ZcTxt txt = {
    .txtvers = 1,
    .user = (char *) "alice",
    .display_name = (char *) "Alice Example",
    .contact = (char *) "sip:alice@pc1.local:5060",
    .instance_id = (char *) "0f8fad5b-d9cb-469f-a165-70867728950e",
    .state = (char *) "available",
    .version = (char *) "0.1.0",
    .fingerprint = (char *) "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA",
  };
  AvahiStringList *list = zc_txt_encode (&txt);
  g_autofree char *wire = avahi_string_list_to_string (list);
  g_autofree char *user = lookup (list, "user");
  g_autofree char *name = lookup (list, "name");
  g_autofree char *contact = lookup (list, "contact");
  g_autofree char *id = lookup (list, "instance_id");
  g_autofree char *state = lookup (list, "state");
  g_autofree char *ver = lookup (list, "ver");
  g_autofree char *fp = lookup (list, "fp");

  /* RFC 6763 6.7: txtvers first. */
  g_assert_true (g_str_has_prefix (wire, "\"txtvers=1\" \"user=alice\""));
  g_assert_cmpuint (avahi_string_list_length (list), ==, 8);
  /* The whole key: 46 bytes of the ~400 RFC 6763 6.2 asks a record to stay under. */
  g_assert_cmpstr (fp, ==, "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA");
  g_assert_cmpstr (user, ==, "alice");
  g_assert_cmpstr (name, ==, "Alice Example");
  g_assert_cmpstr (contact, ==, "sip:alice@pc1.local:5060");
  g_assert_cmpstr (id, ==, "0f8fad5b-d9cb-469f-a165-70867728950e");
  g_assert_cmpstr (state, ==, "available");
  g_assert_cmpstr (ver, ==, "0.1.0");
  avahi_string_list_free (list);
}

static void
test_round_trip (void)
{
  ZcTxt in = { .txtvers = 1, .user = (char *) "bob", .display_name = (char *) "Böb", .state = (char *) "dnd" };
  ZcTxt out = { 0 };
  AvahiStringList *list = zc_txt_encode (&in);

  zc_txt_decode (list, &out);
  g_assert_cmpuint (out.txtvers, ==, 1);
  g_assert_cmpstr (out.user, ==, "bob");
  g_assert_cmpstr (out.display_name, ==, "Böb");
  g_assert_cmpstr (out.state, ==, "dnd");
  g_assert_null (out.contact);     /* empty values are left out */
  g_assert_null (out.instance_id);
  zc_txt_clear (&out);
  avahi_string_list_free (list);
}

/* fp= survives the round trip, is matched case-insensitively by key (RFC
 * 6763 6.4) but keeps its value's case (base64url is case-sensitive), and
 * only the first occurrence counts: a second fp= cannot override the
 * first. */
static void
test_fingerprint (void)
{
  ZcTxt in = { .txtvers = 1, .instance_id = (char *) "id", .fingerprint = (char *) "aB-_0123456789aB-_0123456789aB-_0123456789a" };
  ZcTxt out = { 0 };
  AvahiStringList *list = zc_txt_encode (&in);

  zc_txt_decode (list, &out);
  g_assert_cmpstr (out.fingerprint, ==, in.fingerprint);
  g_assert_cmpuint (strlen (out.fingerprint), ==, 43);
  zc_txt_clear (&out);
  g_assert_null (out.fingerprint);
  avahi_string_list_free (list);

  /* avahi_string_list_new takes strings in wire order. */
  list = avahi_string_list_new ("txtvers=1", "FP=first", "fp=second", NULL);
  zc_txt_decode (list, &out);
  g_assert_cmpstr (out.fingerprint, ==, "first");
  {
    ZcTxt copy = { 0 };

    zc_txt_copy (&copy, &out);
    g_assert_cmpstr (copy.fingerprint, ==, "first");
    zc_txt_clear (&copy);
  }
  zc_txt_clear (&out);
  avahi_string_list_free (list);

  /* "fp=" is an empty value (RFC 6763 6.4), kept as ""; the peer table
   * and the core take it as no key at all. */
  list = avahi_string_list_new ("txtvers=1", "fp=", NULL);
  zc_txt_decode (list, &out);
  g_assert_cmpstr (out.fingerprint, ==, "");
  zc_txt_clear (&out);
  avahi_string_list_free (list);
}

/* tls= carries the SIP over TLS port; absent when there is none. */
static void
test_tls_port (void)
{
  ZcTxt in = { .txtvers = 1, .user = (char *) "bob", .tls_port = (char *) "5061" };
  ZcTxt out = { 0 };
  AvahiStringList *list = zc_txt_encode (&in);

  g_assert_nonnull (avahi_string_list_find (list, "tls"));
  zc_txt_decode (list, &out);
  g_assert_cmpstr (out.tls_port, ==, "5061");
  zc_txt_clear (&out);
  g_assert_null (out.tls_port);
  avahi_string_list_free (list);

  in.tls_port = NULL;
  list = zc_txt_encode (&in);
  g_assert_null (avahi_string_list_find (list, "tls"));
  zc_txt_decode (list, &out);
  g_assert_null (out.tls_port);
  zc_txt_clear (&out);
  avahi_string_list_free (list);
}

/* fwd=1 while calls are forwarded (zcall forward); absent otherwise. */
static void
test_forward (void)
{
  ZcTxt in = { .txtvers = 1, .user = (char *) "alice", .forward = (char *) "1" };
  ZcTxt out = { 0 };
  AvahiStringList *list = zc_txt_encode (&in);

  zc_txt_decode (list, &out);
  g_assert_cmpstr (out.forward, ==, "1");
  zc_txt_clear (&out);
  g_assert_null (out.forward);
  avahi_string_list_free (list);

  in.forward = NULL;
  list = zc_txt_encode (&in);
  g_assert_null (avahi_string_list_find (list, "fwd"));
  avahi_string_list_free (list);
}

static void
test_long_value_cut (void)
{
  g_autoptr (GString) name = g_string_new (NULL);
  ZcTxt in = { 0 };
  AvahiStringList *list;

  /* 200 two-byte characters: 400 bytes, must be cut at a boundary. */
  for (int i = 0; i < 200; i++)
    g_string_append (name, "é");
  in.display_name = name->str;
  list = zc_txt_encode (&in);
  for (AvahiStringList *l = list; l; l = avahi_string_list_get_next (l)) {
    g_assert_cmpuint (avahi_string_list_get_size (l), <=, 255);
    g_assert_true (g_utf8_validate ((const char *) avahi_string_list_get_text (l),
                                    (gssize) avahi_string_list_get_size (l), NULL));
  }
  avahi_string_list_free (list);
}

static void
test_decode_hostile (void)
{
  ZcTxt out = { 0 };
  AvahiStringList *list = avahi_string_list_new ("txtvers=1", "USER=\033[2Jmallory\007", "name=A\nB",
                                                 "flag", "=novalue", "state=on-fire", "txtvers=x",
                                                 "unknown=1", NULL);

  zc_txt_decode (list, &out);
  g_assert_cmpuint (out.txtvers, ==, 1);
  g_assert_cmpstr (out.user, ==, "mallory");      /* keys are case-insensitive, value sanitised */
  g_assert_cmpstr (out.display_name, ==, "AB");
  g_assert_cmpstr (out.state, ==, "on-fire");     /* kept; the peer table maps it to "unknown" */
  zc_txt_clear (&out);
  avahi_string_list_free (list);
}

static void
test_decode_binary_value (void)
{
  ZcTxt out = { 0 };
  AvahiStringList *list = avahi_string_list_add_arbitrary (NULL, (const uint8_t *) "user=a\0b\xff", 10);

  zc_txt_decode (list, &out);
  g_assert_true (g_utf8_validate (out.user, -1, NULL));
  g_assert_true (g_str_has_prefix (out.user, "a"));
  zc_txt_clear (&out);
  avahi_string_list_free (list);
}

static void
test_first_occurrence_wins (void)
{
  ZcTxt out = { 0 };
  AvahiStringList *list = avahi_string_list_new ("user=first", "user=second", NULL);

  zc_txt_decode (list, &out);
  g_assert_cmpstr (out.user, ==, "first");
  zc_txt_clear (&out);
  avahi_string_list_free (list);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/txt/encode", test_encode);
  g_test_add_func ("/txt/round-trip", test_round_trip);
  g_test_add_func ("/txt/fingerprint", test_fingerprint);
  g_test_add_func ("/txt/tls-port", test_tls_port);
  g_test_add_func ("/txt/forward", test_forward);
  g_test_add_func ("/txt/long-value-cut", test_long_value_cut);
  g_test_add_func ("/txt/decode-hostile", test_decode_hostile);
  g_test_add_func ("/txt/decode-binary-value", test_decode_binary_value);
  g_test_add_func ("/txt/first-occurrence-wins", test_first_occurrence_wins);
  return g_test_run ();
}
