/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Publishing our own service: the entry group, its TXT record and its
 * name, renamed on a collision (avahi_alternative_service_name). */
#define G_LOG_DOMAIN "discovery"

#include "config.h"

#include "discovery/discovery-private.h"

#include "common/i18n.h"
#include "discovery/txt.h"

#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/error.h>

void
zc_discovery_set_published_name (ZcDiscovery *d, const char *name)
{
  if (g_strcmp0 (d->published_name, name) == 0)
    return;
  g_free (d->published_name);
  d->published_name = g_strdup (name);
  if (d->events.name_changed != NULL)
    d->events.name_changed (name, d->user_data);
}

char *
zc_discovery_build_contact (const char *user, const char *host, guint16 port)
{
  return g_strdup_printf ("sip:%s@%s:%u", user, host, port);
}

static AvahiStringList *
build_txt (ZcDiscovery *d)
{
  g_autofree char *contact = zc_discovery_build_contact (d->advert.user, d->host, d->advert.port);
  g_autofree char *tls_port = d->advert.tls_port != 0 ? g_strdup_printf ("%u", d->advert.tls_port) : NULL;
  ZcTxt txt = {
    .txtvers = ZC_TXT_VERSION,
    .user = d->advert.user,
    .display_name = d->advert.display_name,
    .contact = contact,
    .instance_id = d->advert.instance_id,
    .fingerprint = d->advert.fingerprint,
    .tls_port = tls_port,
    .state = d->advert.state,
    .note = d->advert.note,
    .version = (char *) PACKAGE_VERSION,
    .forward = d->advert.forwarding ? (char *) "1" : NULL,
  };

  /* Every version of the record differs from the ones before: a change
   * back (dnd on, then off) within the second the old record still lives
   * in the colleagues' caches would otherwise be the old record refreshed,
   * which their record browsers do not report until the one in between
   * is flushed, a second later (txt-follow.h). */
  return avahi_string_list_add_printf (zc_txt_encode (&txt), "rev=%u", d->txt_rev++);
}


static void
pick_alternative_name (ZcDiscovery *d)
{
  g_autofree char *alt = avahi_alternative_service_name (d->published_name);

  g_message ("service name “%s” is taken on the network, renaming to “%s”", d->published_name, alt);
  zc_discovery_set_published_name (d, alt);
}

static void
entry_group_cb (AvahiEntryGroup *group, AvahiEntryGroupState state, void *user_data)
{
  ZcDiscovery *d = user_data;

  d->group = group; /* the callback can run before avahi_entry_group_new returns */
  switch (state) {
  case AVAHI_ENTRY_GROUP_ESTABLISHED:
    g_message ("published “%s” as _sip._udp and _sipuri._udp on port %u", d->published_name,
               d->advert.port);
    zc_discovery_report_state (d, ZC_DISCOVERY_RUNNING, _("published and browsing"));
    break;
  case AVAHI_ENTRY_GROUP_COLLISION:
    pick_alternative_name (d);
    zc_discovery_publish (d);
    break;
  case AVAHI_ENTRY_GROUP_FAILURE:
    g_warning ("cannot publish “%s”: %s", d->published_name,
               avahi_strerror (avahi_client_errno (avahi_entry_group_get_client (group))));
    zc_discovery_report_state (d, ZC_DISCOVERY_FAILURE, avahi_strerror (avahi_client_errno (avahi_entry_group_get_client (group))));
    break;
  case AVAHI_ENTRY_GROUP_UNCOMMITED:
  case AVAHI_ENTRY_GROUP_REGISTERING:
  default:
    break;
  }
}

void
zc_discovery_publish (ZcDiscovery *d)
{
  AvahiStringList *txt = NULL;
  int ret;

  if (d->group == NULL) {
    d->group = avahi_entry_group_new (d->client, entry_group_cb, d);
    if (d->group == NULL) {
      g_warning ("cannot create an avahi entry group: %s", avahi_strerror (avahi_client_errno (d->client)));
      zc_discovery_report_state (d, ZC_DISCOVERY_FAILURE, avahi_strerror (avahi_client_errno (d->client)));
      return;
    }
  }
  avahi_entry_group_reset (d->group);
  txt = build_txt (d);

  for (;;) {
    ret = AVAHI_OK;
    for (gsize i = 0; i < ZC_DISCOVERY_N_TYPES && ret == AVAHI_OK; i++)
      ret = avahi_entry_group_add_service_strlst (d->group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, 0,
                                                  d->published_name, zc_discovery_service_types[i], NULL, NULL,
                                                  d->advert.port, txt);
    if (ret != AVAHI_ERR_COLLISION)
      break;
    /* Another service on this very host has the name (a second agent of
     * another user on the same PC): avahi knows without probing. */
    avahi_entry_group_reset (d->group);
    pick_alternative_name (d);
  }
  avahi_string_list_free (txt);

  if (ret == AVAHI_OK)
    ret = avahi_entry_group_commit (d->group);
  if (ret != AVAHI_OK) {
    g_warning ("cannot publish “%s”: %s", d->published_name, avahi_strerror (ret));
    zc_discovery_report_state (d, ZC_DISCOVERY_FAILURE, avahi_strerror (ret));
    return;
  }
  zc_discovery_report_state (d, ZC_DISCOVERY_REGISTERING, _("announcing this agent on the network"));
}

static void
update_txt (ZcDiscovery *d)
{
  AvahiStringList *txt;

  if (d->group == NULL || avahi_entry_group_is_empty (d->group) || d->host == NULL)
    return;

  txt = build_txt (d);
  for (gsize i = 0; i < ZC_DISCOVERY_N_TYPES; i++) {
    int ret = avahi_entry_group_update_service_txt_strlst (d->group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, 0,
                                                          d->published_name, zc_discovery_service_types[i], NULL, txt);
    if (ret != AVAHI_OK)
      g_warning ("cannot update the TXT record of %s: %s", zc_discovery_service_types[i], avahi_strerror (ret));
  }
  avahi_string_list_free (txt);
}

void
zc_discovery_set_state (ZcDiscovery *d, const char *state)
{
  if (g_strcmp0 (d->advert.state, state) == 0)
    return;
  g_free (d->advert.state);
  d->advert.state = g_strdup (state);
  update_txt (d);
}

void
zc_discovery_set_note (ZcDiscovery *d, const char *note)
{
  if (g_strcmp0 (d->advert.note, note) == 0)
    return;
  g_free (d->advert.note);
  d->advert.note = g_strdup (note);
  update_txt (d);
}

void
zc_discovery_set_forwarding (ZcDiscovery *d, gboolean forwarding)
{
  if (d->advert.forwarding == forwarding)
    return;
  d->advert.forwarding = forwarding;
  update_txt (d);
}
