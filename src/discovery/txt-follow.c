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
  ZcTxt newest;
  GBytes *newest_raw;      /* its rdata; NULL until one is seen */
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

static void
record_cb (ZcResolve *browser G_GNUC_UNUSED, gboolean added, const guint8 *rdata, gsize size, gpointer user_data)
{
  ZcTxtFollow *follow = user_data;
  AvahiStringList *txt = NULL;
  ZcServiceRecord *record;

  /* REMOVE is normally the old record leaving the cache, a second after
   * the new one came: nothing to report.  If it is the one taken for the
   * newest (both were in the cache when the browser started, in no
   * telling order), the resolver's next report has the truth. */
  if (!added && follow->newest_raw != NULL &&
      g_bytes_get_size (follow->newest_raw) == size && memcmp (g_bytes_get_data (follow->newest_raw, NULL), rdata, size) == 0)
    g_clear_pointer (&follow->newest_raw, g_bytes_unref);
  if (!added)
    return;
  if (avahi_string_list_parse (rdata, size, &txt) < 0) {
    g_debug ("unreadable TXT record for “%s”", follow->name);
    return;
  }
  zc_txt_clear (&follow->newest);
  zc_txt_decode (txt, &follow->newest);
  avahi_string_list_free (txt);
  g_clear_pointer (&follow->newest_raw, g_bytes_unref);
  follow->newest_raw = g_bytes_new (rdata, size);
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
  follow->browser = zc_record_browse_start (bus, ifindex, protocol, full, AVAHI_DNS_CLASS_IN, AVAHI_DNS_TYPE_TXT,
                                            record_cb, follow);
  if (follow->browser == NULL) {
    g_debug ("cannot follow the TXT record of “%s”: no system bus", name);
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
  g_clear_pointer (&follow->newest_raw, g_bytes_unref);
  g_free (follow);
}

void
zc_txt_follow_resolved (ZcTxtFollow *follow, ZcServiceRecord *record)
{
  if (follow->newest_raw != NULL) {
    zc_txt_clear (&record->txt);
    zc_txt_copy (&record->txt, &follow->newest);
  }
  zc_service_record_free (follow->base);
  follow->base = record_copy (record);
}
