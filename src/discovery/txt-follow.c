/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "discovery"

#include "config.h"
#include "discovery/txt-follow.h"

#include <avahi-common/defs.h>
#include <avahi-common/domain.h>
#include <avahi-common/error.h>
#include <string.h>

struct _ZcTxtFollow {
  ZcResolve *browser;
  char *name;
  ZcTxtFollowFunc func;
  gpointer user_data;
  ZcServiceRecord *base;   /* as last resolved, NULL before */
  /* The TXT records avahi-daemon holds for the service (GBytes rdata), in
   * the order they came: the last is the newest, which is the truth. */
  GPtrArray *held;
  ZcTxt newest;            /* the last one decoded */
};

static ZcServiceRecord *
record_copy (const ZcServiceRecord *r)
{
  ZcServiceRecord *copy = zc_service_record_new ();

  copy->ifindex = r->ifindex;
  copy->ifname = g_strdup (r->ifname);
  copy->family = r->family;
  copy->type = g_strdup (r->type);
  copy->name = g_strdup (r->name);
  copy->domain = g_strdup (r->domain);
  copy->host = g_strdup (r->host);
  copy->address = g_strdup (r->address);
  copy->port = r->port;
  zc_txt_copy (&copy->txt, &r->txt);
  copy->pingable = r->pingable;
  return copy;
}

static gboolean
bytes_equal_data (gconstpointer held, gconstpointer wanted)
{
  return g_bytes_equal (held, wanted);
}

static void
record_cb (ZcResolve *browser G_GNUC_UNUSED, gboolean added, const guint8 *rdata, gsize size, gpointer user_data)
{
  ZcTxtFollow *follow = user_data;
  g_autoptr (GBytes) bytes = g_bytes_new (rdata, size);
  GBytes *newest;
  AvahiStringList *txt = NULL;
  ZcServiceRecord *record;
  guint index;
  gboolean was_newest;

  if (g_ptr_array_find_with_equal_func (follow->held, bytes, bytes_equal_data, &index)) {
    was_newest = index == follow->held->len - 1;
    g_ptr_array_remove_index (follow->held, index);
  } else {
    was_newest = FALSE;
  }
  if (added) {
    g_ptr_array_add (follow->held, g_bytes_ref (bytes));
  } else if (!was_newest || follow->held->len == 0) {
    /* Normally the old record leaving the cache, a second after the new
     * one came (cache flush): nothing to report. */
    return;
  }
  /* Either a new record, or the newest left and the one before it is
   * what remains: a change back within the second the old record still
   * lives in the cache comes as no new item (avahi refreshes the old
   * one), only as the removal of the one in between. */
  newest = g_ptr_array_index (follow->held, follow->held->len - 1);
  if (avahi_string_list_parse (g_bytes_get_data (newest, NULL), g_bytes_get_size (newest), &txt) < 0) {
    g_debug ("unreadable TXT record for “%s”", follow->name);
    return;
  }
  zc_txt_clear (&follow->newest);
  zc_txt_decode (txt, &follow->newest);
  avahi_string_list_free (txt);
  if (follow->base == NULL)
    return;
  record = record_copy (follow->base);
  zc_txt_clear (&record->txt);
  zc_txt_copy (&record->txt, &follow->newest);
  /* The peer table reports a change only when there is one. */
  follow->func (record, follow->user_data);
}

ZcTxtFollow *
zc_txt_follow_new (ZcResolveBus *bus, int ifindex, int protocol, const char *name, const char *type,
                   const char *domain, ZcTxtFollowFunc func, gpointer user_data)
{
  char full[AVAHI_DOMAIN_NAME_MAX];
  ZcTxtFollow *follow;

  if (avahi_service_name_join (full, sizeof full, name, type, domain) < 0)
    return NULL;
  follow = g_new0 (ZcTxtFollow, 1);
  follow->func = func;
  follow->user_data = user_data;
  follow->name = g_strdup (name);
  follow->held = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  follow->browser = zc_record_browse_start (bus, ifindex, protocol, full, AVAHI_DNS_CLASS_IN, AVAHI_DNS_TYPE_TXT,
                                            record_cb, follow);
  if (follow->browser == NULL) {
    g_debug ("cannot follow the TXT record of “%s”: no system bus", name);
    g_ptr_array_unref (follow->held);
    g_free (follow->name);
    g_free (follow);
    return NULL;
  }
  return follow;
}

void
zc_txt_follow_free (ZcTxtFollow *follow)
{
  if (follow == NULL)
    return;
  zc_resolve_free (follow->browser);
  g_free (follow->name);
  zc_service_record_free (follow->base);
  zc_txt_clear (&follow->newest);
  g_ptr_array_unref (follow->held);
  g_free (follow);
}

void
zc_txt_follow_resolved (ZcTxtFollow *follow, ZcServiceRecord *record)
{
  if (follow->held->len > 0) {
    zc_txt_clear (&record->txt);
    zc_txt_copy (&record->txt, &follow->newest);
  }
  zc_service_record_free (follow->base);
  follow->base = record_copy (record);
}
