/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"
#include "discovery/txt.h"

#include "common/sanitize.h"

#include <string.h>

/* RFC 6763 6.1: each constituent string is at most 255 bytes. */
#define TXT_STRING_MAX 255

void
zc_txt_clear (ZcTxt *txt)
{
  g_clear_pointer (&txt->user, g_free);
  g_clear_pointer (&txt->display_name, g_free);
  g_clear_pointer (&txt->contact, g_free);
  g_clear_pointer (&txt->instance_id, g_free);
  g_clear_pointer (&txt->state, g_free);
  g_clear_pointer (&txt->version, g_free);
  g_clear_pointer (&txt->fingerprint, g_free);
  g_clear_pointer (&txt->tls_port, g_free);
  g_clear_pointer (&txt->note, g_free);
  g_clear_pointer (&txt->forward, g_free);
  txt->txtvers = 0;
}

void
zc_txt_copy (ZcTxt *dest, const ZcTxt *src)
{
  zc_txt_clear (dest);
  dest->txtvers = src->txtvers;
  dest->user = g_strdup (src->user);
  dest->display_name = g_strdup (src->display_name);
  dest->contact = g_strdup (src->contact);
  dest->instance_id = g_strdup (src->instance_id);
  dest->state = g_strdup (src->state);
  dest->version = g_strdup (src->version);
  dest->fingerprint = g_strdup (src->fingerprint);
  dest->tls_port = g_strdup (src->tls_port);
  dest->note = g_strdup (src->note);
  dest->forward = g_strdup (src->forward);
}

static AvahiStringList *
add_pair (AvahiStringList *list, const char *key, const char *value)
{
  size_t room;
  const char *end;

  if (value == NULL || *value == '\0')
    return list;
  room = TXT_STRING_MAX - strlen (key) - 1;
  if (strlen (value) <= room)
    return avahi_string_list_add_pair (list, key, value);

  /* Cut at the last character boundary that fits. */
  end = value + room;
  while (end > value && (*end & 0xc0) == 0x80)
    end--;
  {
    g_autofree char *cut = g_strndup (value, (gsize) (end - value));
    return avahi_string_list_add_pair (list, key, cut);
  }
}

AvahiStringList *
zc_txt_encode (const ZcTxt *txt)
{
  AvahiStringList *list = NULL;
  char vers[16];

  /* avahi keeps the strings in reverse wire order and serialises them in
   * the order they were added: txtvers goes first on the wire, as RFC 6763
   * 6.7 recommends. */
  g_snprintf (vers, sizeof vers, "%u", txt->txtvers ? txt->txtvers : ZC_TXT_VERSION);
  list = add_pair (list, "txtvers", vers);
  list = add_pair (list, "user", txt->user);
  list = add_pair (list, "name", txt->display_name);
  list = add_pair (list, "contact", txt->contact);
  list = add_pair (list, "instance_id", txt->instance_id);
  list = add_pair (list, "state", txt->state);
  list = add_pair (list, "ver", txt->version);
  list = add_pair (list, "fp", txt->fingerprint);
  list = add_pair (list, "tls", txt->tls_port);
  list = add_pair (list, "note", txt->note);
  list = add_pair (list, "fwd", txt->forward);
  return list;
}

static char **
field_for_key (ZcTxt *txt, const char *key, size_t key_len)
{
  static const struct {
    const char *key;
    size_t offset;
  } fields[] = {
    { "user", G_STRUCT_OFFSET (ZcTxt, user) },
    { "name", G_STRUCT_OFFSET (ZcTxt, display_name) },
    { "contact", G_STRUCT_OFFSET (ZcTxt, contact) },
    { "instance_id", G_STRUCT_OFFSET (ZcTxt, instance_id) },
    { "state", G_STRUCT_OFFSET (ZcTxt, state) },
    { "ver", G_STRUCT_OFFSET (ZcTxt, version) },
    { "fp", G_STRUCT_OFFSET (ZcTxt, fingerprint) },
    { "tls", G_STRUCT_OFFSET (ZcTxt, tls_port) },
    { "note", G_STRUCT_OFFSET (ZcTxt, note) },
    { "fwd", G_STRUCT_OFFSET (ZcTxt, forward) },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (fields); i++) {
    if (strlen (fields[i].key) == key_len && g_ascii_strncasecmp (fields[i].key, key, key_len) == 0)
      return G_STRUCT_MEMBER_P (txt, fields[i].offset);
  }
  return NULL;
}

void
zc_txt_decode (AvahiStringList *list, ZcTxt *txt)
{
  gboolean seen_txtvers = FALSE;

  zc_txt_clear (txt);
  /* Walk in wire order (avahi's list runs backwards) so that "first
   * occurrence" means the first on the wire. */
  list = avahi_string_list_reverse (avahi_string_list_copy (list));
  for (AvahiStringList *l = list; l != NULL; l = avahi_string_list_get_next (l)) {
    const char *text = (const char *) avahi_string_list_get_text (l);
    size_t size = avahi_string_list_get_size (l);
    const char *eq = memchr (text, '=', size);
    size_t key_len;
    char **field;

    if (eq == NULL || eq == text)
      continue; /* boolean attribute or empty key (RFC 6763 6.4): none we use */
    key_len = (size_t) (eq - text);
    if (key_len == 7 && g_ascii_strncasecmp (text, "txtvers", 7) == 0) {
      if (!seen_txtvers) {
        g_autofree char *value = g_strndup (eq + 1, size - key_len - 1);
        guint64 v = 0;
        if (g_ascii_string_to_unsigned (value, 10, 1, 255, &v, NULL))
          txt->txtvers = (guint) v;
        seen_txtvers = TRUE;
      }
      continue;
    }
    field = field_for_key (txt, text, key_len);
    if (field != NULL && *field == NULL)
      *field = zc_sanitize_text (eq + 1, (gssize) (size - key_len - 1));
  }
  avahi_string_list_free (list);
}
