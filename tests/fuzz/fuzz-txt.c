/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer harness for DNS-SD TXT records: the input is the record's
 * RDATA as it comes off the wire (length-prefixed strings, RFC 6763 6.1),
 * decoded the way discovery.c gets it from avahi, then encoded again as
 * our own advert would be. */
#include "config.h"

#include "discovery/txt.h"
#include "fuzz-common.h"

#include <string.h>

/* What zc_txt_decode() promises: printable, valid UTF-8. */
static void
check_value (const char *value)
{
  if (value == NULL)
    return;
  g_assert (g_utf8_validate (value, -1, NULL));
  for (const char *p = value; *p != '\0'; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);

    g_assert (c >= 0x20 && c != 0x7f && !(c >= 0x80 && c < 0xa0));
  }
}

static void
check_txt (const ZcTxt *txt)
{
  check_value (txt->user);
  check_value (txt->display_name);
  check_value (txt->contact);
  check_value (txt->instance_id);
  check_value (txt->state);
  check_value (txt->version);
  g_assert (txt->txtvers <= 255);
}

int
LLVMFuzzerInitialize (int *argc G_GNUC_UNUSED, char ***argv G_GNUC_UNUSED)
{
  fuzz_quiet_log ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  AvahiStringList *list = NULL;
  AvahiStringList *encoded;
  ZcTxt txt = { 0 }, again = { 0 };

  /* A DNS message, hence a TXT record, is at most 64 KiB. */
  if (size > 65535 || avahi_string_list_parse (data, size, &list) < 0)
    return 0;
  zc_txt_decode (list, &txt);
  check_txt (&txt);

  /* Our own advert re-publishes what we decoded (a copy of a peer's
   * fields never goes out, but the encoder must bear any value). */
  encoded = zc_txt_encode (&txt);
  for (AvahiStringList *l = encoded; l != NULL; l = avahi_string_list_get_next (l))
    g_assert (avahi_string_list_get_size (l) <= 255);
  zc_txt_decode (encoded, &again);
  check_txt (&again);

  zc_txt_clear (&again);
  zc_txt_clear (&txt);
  avahi_string_list_free (encoded);
  avahi_string_list_free (list);
  return 0;
}
