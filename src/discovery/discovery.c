/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "discovery"

#include "config.h"
#include "discovery/discovery.h"

#include "common/i18n.h"
#include "common/sanitize.h"

#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-glib/glib-watch.h>
#include <net/if.h>
#include <sys/socket.h>

static const char *const service_types[] = { "_sip._udp", "_sipuri._udp" };

/* How long to wait before trying again when even the system bus is
 * missing (avahi_client_new fails outright, NO_FAIL cannot help). */
#define RECONNECT_INTERVAL_S 5

struct _ZcDiscovery {
  ZcDiscoveryCallbacks events;
  gpointer user_data;

  ZcAdvert advert;            /* as configured */
  char *published_name;       /* after collision renaming */
  char *host;

  AvahiGLibPoll *poll;
  AvahiClient *client;
  AvahiEntryGroup *group;
  AvahiServiceBrowser *browsers[G_N_ELEMENTS (service_types)];
  GHashTable *resolvers;      /* service key -> AvahiServiceResolver* */
  guint reconnect_id;

  ZcDiscoveryState state;
  char *detail;
};

static void client_connect (ZcDiscovery *d);

static void
resolver_free (gpointer resolver)
{
  avahi_service_resolver_free (resolver);
}

const char *
zc_discovery_state_to_string (ZcDiscoveryState state)
{
  switch (state) {
  case ZC_DISCOVERY_DISABLED:
    return "disabled";
  case ZC_DISCOVERY_WAITING:
    return "waiting";
  case ZC_DISCOVERY_REGISTERING:
    return "registering";
  case ZC_DISCOVERY_RUNNING:
    return "running";
  case ZC_DISCOVERY_COLLISION:
    return "collision";
  case ZC_DISCOVERY_FAILURE:
  default:
    return "failure";
  }
}

static void
set_state (ZcDiscovery *d, ZcDiscoveryState state, const char *detail)
{
  if (d->state == state && g_strcmp0 (d->detail, detail) == 0)
    return;
  d->state = state;
  g_free (d->detail);
  d->detail = g_strdup (detail);
  g_debug ("state %s: %s", zc_discovery_state_to_string (state), detail);
  if (d->events.state_changed != NULL)
    d->events.state_changed (state, detail, d->user_data);
}

static void
set_published_name (ZcDiscovery *d, const char *name)
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
    .version = (char *) PACKAGE_VERSION,
  };
  return zc_txt_encode (&txt);
}

/* ---- publishing ---------------------------------------------------------- */

static void create_services (ZcDiscovery *d);

static void
pick_alternative_name (ZcDiscovery *d)
{
  g_autofree char *alt = avahi_alternative_service_name (d->published_name);

  g_message ("service name “%s” is taken on the network, renaming to “%s”", d->published_name, alt);
  set_published_name (d, alt);
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
    set_state (d, ZC_DISCOVERY_RUNNING, _("published and browsing"));
    break;
  case AVAHI_ENTRY_GROUP_COLLISION:
    pick_alternative_name (d);
    create_services (d);
    break;
  case AVAHI_ENTRY_GROUP_FAILURE:
    g_warning ("cannot publish “%s”: %s", d->published_name,
               avahi_strerror (avahi_client_errno (avahi_entry_group_get_client (group))));
    set_state (d, ZC_DISCOVERY_FAILURE, avahi_strerror (avahi_client_errno (avahi_entry_group_get_client (group))));
    break;
  case AVAHI_ENTRY_GROUP_UNCOMMITED:
  case AVAHI_ENTRY_GROUP_REGISTERING:
  default:
    break;
  }
}

static void
create_services (ZcDiscovery *d)
{
  AvahiStringList *txt = NULL;
  int ret;

  if (d->group == NULL) {
    d->group = avahi_entry_group_new (d->client, entry_group_cb, d);
    if (d->group == NULL) {
      g_warning ("cannot create an avahi entry group: %s", avahi_strerror (avahi_client_errno (d->client)));
      set_state (d, ZC_DISCOVERY_FAILURE, avahi_strerror (avahi_client_errno (d->client)));
      return;
    }
  }
  avahi_entry_group_reset (d->group);
  txt = build_txt (d);

  for (;;) {
    ret = AVAHI_OK;
    for (gsize i = 0; i < G_N_ELEMENTS (service_types) && ret == AVAHI_OK; i++)
      ret = avahi_entry_group_add_service_strlst (d->group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, 0,
                                                  d->published_name, service_types[i], NULL, NULL,
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
    set_state (d, ZC_DISCOVERY_FAILURE, avahi_strerror (ret));
    return;
  }
  set_state (d, ZC_DISCOVERY_REGISTERING, _("announcing this agent on the network"));
}

void
zc_discovery_set_state (ZcDiscovery *d, const char *state)
{
  AvahiStringList *txt;

  if (g_strcmp0 (d->advert.state, state) == 0)
    return;
  g_free (d->advert.state);
  d->advert.state = g_strdup (state);
  if (d->group == NULL || avahi_entry_group_is_empty (d->group) || d->host == NULL)
    return;

  txt = build_txt (d);
  for (gsize i = 0; i < G_N_ELEMENTS (service_types); i++) {
    int ret = avahi_entry_group_update_service_txt_strlst (d->group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, 0,
                                                          d->published_name, service_types[i], NULL, txt);
    if (ret != AVAHI_OK)
      g_warning ("cannot update the TXT record of %s: %s", service_types[i], avahi_strerror (ret));
  }
  avahi_string_list_free (txt);
}

/* ---- browsing and resolving --------------------------------------------- */

static char *
service_key (AvahiIfIndex ifindex, AvahiProtocol protocol, const char *type, const char *name,
             const char *domain)
{
  return g_strdup_printf ("%d\n%d\n%s\n%s\n%s", ifindex, protocol, type, name, domain);
}

static int
family_of (AvahiProtocol protocol)
{
  return protocol == AVAHI_PROTO_INET6 ? AF_INET6 : AF_INET;
}

static char *
interface_name (AvahiIfIndex ifindex)
{
  char buf[IF_NAMESIZE + 1] = { 0 };

  if (ifindex > 0 && if_indextoname ((unsigned) ifindex, buf) != NULL)
    return g_strdup (buf);
  return g_strdup_printf ("if%d", ifindex);
}

static void
resolver_cb (AvahiServiceResolver *resolver, AvahiIfIndex ifindex, AvahiProtocol protocol,
             AvahiResolverEvent event, const char *name, const char *type, const char *domain,
             const char *host_name, const AvahiAddress *address, uint16_t port, AvahiStringList *txt,
             AvahiLookupResultFlags flags G_GNUC_UNUSED, void *user_data)
{
  ZcDiscovery *d = user_data;
  g_autoptr (ZcServiceRecord) record = NULL;
  char addr[AVAHI_ADDRESS_STR_MAX];

  if (event != AVAHI_RESOLVER_FOUND) {
    /* A timeout: the service may come back through a later resolve; the
     * browser's REMOVE is what ends it. */
    g_debug ("cannot resolve “%s” (%s): %s", name, type,
             avahi_strerror (avahi_client_errno (avahi_service_resolver_get_client (resolver))));
    return;
  }

  record = zc_service_record_new ();
  record->ifindex = ifindex;
  record->ifname = interface_name (ifindex);
  record->family = family_of (protocol);
  record->type = g_strdup (type);
  record->name = zc_sanitize_text (name, -1);
  record->domain = g_strdup (domain);
  record->host = zc_sanitize_text (host_name, -1);
  avahi_address_snprint (addr, sizeof addr, address);
  if (address->proto == AVAHI_PROTO_INET6 && address->data.ipv6.address[0] == 0xfe &&
      (address->data.ipv6.address[1] & 0xc0) == 0x80)
    record->address = g_strdup_printf ("%s%%%s", addr, record->ifname);
  else
    record->address = g_strdup (addr);
  record->port = port;
  zc_txt_decode (txt, &record->txt);
  g_debug ("resolved “%s” (%s on %s) at %s port %u", record->name, type, record->ifname, record->address,
           port);
  if (d->events.service_resolved != NULL)
    d->events.service_resolved (g_steal_pointer (&record), d->user_data);
}

static void
browser_cb (AvahiServiceBrowser *browser, AvahiIfIndex ifindex, AvahiProtocol protocol,
            AvahiBrowserEvent event, const char *name, const char *type, const char *domain,
            AvahiLookupResultFlags flags G_GNUC_UNUSED, void *user_data)
{
  ZcDiscovery *d = user_data;
  g_autofree char *key = NULL;

  switch (event) {
  case AVAHI_BROWSER_NEW: {
    AvahiServiceResolver *resolver;

    key = service_key (ifindex, protocol, type, name, domain);
    if (g_hash_table_contains (d->resolvers, key))
      break;
    /* The resolver stays alive while the service exists, so a TXT change
     * (a peer going do-not-disturb) is reported again. */
    resolver = avahi_service_resolver_new (d->client, ifindex, protocol, name, type, domain, protocol, 0,
                                           resolver_cb, d);
    if (resolver == NULL) {
      g_warning ("cannot resolve “%s”: %s", name, avahi_strerror (avahi_client_errno (d->client)));
      break;
    }
    g_hash_table_insert (d->resolvers, g_steal_pointer (&key), resolver);
    break;
  }
  case AVAHI_BROWSER_REMOVE: {
    g_autofree char *clean_name = zc_sanitize_text (name, -1);

    key = service_key (ifindex, protocol, type, name, domain);
    g_hash_table_remove (d->resolvers, key);
    if (d->events.service_removed != NULL)
      d->events.service_removed (ifindex, family_of (protocol), type, clean_name, domain, d->user_data);
    break;
  }
  case AVAHI_BROWSER_FAILURE:
    g_warning ("browsing for %s failed: %s", type,
               avahi_strerror (avahi_client_errno (avahi_service_browser_get_client (browser))));
    break;
  case AVAHI_BROWSER_ALL_FOR_NOW:
  case AVAHI_BROWSER_CACHE_EXHAUSTED:
  default:
    break;
  }
}

static void
start_browsing (ZcDiscovery *d)
{
  for (gsize i = 0; i < G_N_ELEMENTS (service_types); i++) {
    if (d->browsers[i] != NULL)
      continue;
    d->browsers[i] = avahi_service_browser_new (d->client, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC,
                                                service_types[i], NULL, 0, browser_cb, d);
    if (d->browsers[i] == NULL)
      g_warning ("cannot browse for %s: %s", service_types[i], avahi_strerror (avahi_client_errno (d->client)));
  }
}

/* ---- the client's life --------------------------------------------------- */

/* Drops every object tied to the current client; they die with it. */
static void
forget_client_objects (ZcDiscovery *d)
{
  g_hash_table_remove_all (d->resolvers);
  for (gsize i = 0; i < G_N_ELEMENTS (service_types); i++)
    g_clear_pointer (&d->browsers[i], avahi_service_browser_free);
  g_clear_pointer (&d->group, avahi_entry_group_free);
  if (d->events.services_flushed != NULL)
    d->events.services_flushed (d->user_data);
}

static gboolean
reconnect_cb (gpointer user_data)
{
  ZcDiscovery *d = user_data;

  d->reconnect_id = 0;
  client_connect (d);
  return G_SOURCE_REMOVE;
}

static void
client_cb (AvahiClient *client, AvahiClientState state, void *user_data)
{
  ZcDiscovery *d = user_data;

  d->client = client; /* the first callback comes from inside avahi_client_new */
  switch (state) {
  case AVAHI_CLIENT_S_RUNNING:
    g_free (d->host);
    d->host = g_strdup (avahi_client_get_host_name_fqdn (client));
    g_message ("connected to avahi-daemon (host name %s)", d->host);
    create_services (d);
    start_browsing (d);
    break;
  case AVAHI_CLIENT_S_COLLISION:
  case AVAHI_CLIENT_S_REGISTERING:
    /* The daemon is (re)claiming the host name: our records go out again
     * once it runs. */
    if (d->group != NULL)
      avahi_entry_group_reset (d->group);
    set_state (d, state == AVAHI_CLIENT_S_COLLISION ? ZC_DISCOVERY_COLLISION : ZC_DISCOVERY_REGISTERING,
               _("avahi-daemon is registering the host name"));
    break;
  case AVAHI_CLIENT_CONNECTING:
    g_message ("waiting for avahi-daemon; peers will appear once it runs");
    set_state (d, ZC_DISCOVERY_WAITING, _("waiting for avahi-daemon to start"));
    break;
  case AVAHI_CLIENT_FAILURE:
    if (avahi_client_errno (client) == AVAHI_ERR_DISCONNECTED) {
      g_message ("avahi-daemon went away; waiting for it to return");
      forget_client_objects (d);
      set_published_name (d, NULL);
      /* The client cannot be freed from inside its own callback. */
      if (d->reconnect_id == 0)
        d->reconnect_id = g_idle_add (reconnect_cb, d);
      set_state (d, ZC_DISCOVERY_WAITING, _("avahi-daemon stopped; waiting for it to return"));
    } else {
      g_warning ("avahi client failed: %s", avahi_strerror (avahi_client_errno (client)));
      set_state (d, ZC_DISCOVERY_FAILURE, avahi_strerror (avahi_client_errno (client)));
    }
    break;
  default:
    break;
  }
}

static void
client_connect (ZcDiscovery *d)
{
  int error = 0;

  if (d->client != NULL) {
    avahi_client_free (d->client);
    d->client = NULL;
  }
  set_published_name (d, d->advert.service_name);
  d->client = avahi_client_new (avahi_glib_poll_get (d->poll), AVAHI_CLIENT_NO_FAIL, client_cb, d, &error);
  if (d->client == NULL) {
    g_autofree char *detail = g_strdup_printf (_("cannot reach the system D-Bus for avahi-daemon: %s"),
                                               avahi_strerror (error));
    /* Say it once, not every few seconds while the system bus is down. */
    if (d->state != ZC_DISCOVERY_WAITING || g_strcmp0 (d->detail, detail) != 0)
      g_warning ("%s; %s", detail, "retrying");
    set_state (d, ZC_DISCOVERY_WAITING, detail);
    d->reconnect_id = g_timeout_add_seconds (RECONNECT_INTERVAL_S, reconnect_cb, d);
  }
}

ZcDiscovery *
zc_discovery_new (const ZcAdvert *advert, const ZcDiscoveryCallbacks *events, gpointer user_data)
{
  ZcDiscovery *d = g_new0 (ZcDiscovery, 1);

  d->events = *events;
  d->user_data = user_data;
  d->advert.service_name = g_strdup (advert->service_name);
  d->advert.port = advert->port;
  d->advert.user = g_strdup (advert->user);
  d->advert.display_name = g_strdup (advert->display_name);
  d->advert.instance_id = g_strdup (advert->instance_id);
  d->advert.fingerprint = g_strdup (advert->fingerprint);
  d->advert.tls_port = advert->tls_port;
  d->advert.state = g_strdup (advert->state);
  d->resolvers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        resolver_free);
  d->state = ZC_DISCOVERY_WAITING;
  d->poll = avahi_glib_poll_new (NULL, G_PRIORITY_DEFAULT);
  client_connect (d);
  return d;
}

void
zc_discovery_free (ZcDiscovery *d)
{
  if (d == NULL)
    return;
  g_clear_handle_id (&d->reconnect_id, g_source_remove);
  d->events = (ZcDiscoveryCallbacks){ 0 };
  g_hash_table_remove_all (d->resolvers);
  for (gsize i = 0; i < G_N_ELEMENTS (service_types); i++)
    g_clear_pointer (&d->browsers[i], avahi_service_browser_free);
  /* Freeing the group makes avahi-daemon send the goodbye packets. */
  g_clear_pointer (&d->group, avahi_entry_group_free);
  g_clear_pointer (&d->client, avahi_client_free);
  g_clear_pointer (&d->poll, avahi_glib_poll_free);
  g_hash_table_unref (d->resolvers);
  g_free (d->advert.service_name);
  g_free (d->advert.user);
  g_free (d->advert.display_name);
  g_free (d->advert.instance_id);
  g_free (d->advert.fingerprint);
  g_free (d->advert.state);
  g_free (d->published_name);
  g_free (d->host);
  g_free (d->detail);
  g_free (d);
}

ZcDiscoveryState
zc_discovery_get_state (ZcDiscovery *d)
{
  return d->state;
}

const char *
zc_discovery_get_detail (ZcDiscovery *d)
{
  return d->detail ? d->detail : "";
}

const char *
zc_discovery_get_service_name (ZcDiscovery *d)
{
  return d->state == ZC_DISCOVERY_RUNNING ? d->published_name : NULL;
}

const char *
zc_discovery_get_host (ZcDiscovery *d)
{
  return d->host;
}
