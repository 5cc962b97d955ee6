/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "discovery"

#include "config.h"
#include "discovery/discovery-private.h"

#include "common/i18n.h"
#include "common/sanitize.h"
#include "discovery/onlink.h"
#include "discovery/txt-follow.h"

#include <avahi-common/error.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>

const char *const zc_discovery_service_types[ZC_DISCOVERY_N_TYPES] = { "_sip._udp", "_sipuri._udp" };

/* How long to wait before trying again when even the system bus is
 * missing (avahi_client_new fails outright, NO_FAIL cannot help). */
#define RECONNECT_INTERVAL_S 5

/* avahi-daemon gives each client a limited number of objects (1024 by
 * default, objects-per-client-max), and a flood of made-up adverts must
 * not use them up, so resolvers are bounded (zcalld(8), LIMITS):
 * - at most MAX_RESOLVING resolves are under way at once; the others wait
 *   in arrival order;
 * - a resolver that found its service stays open (to follow its TXT: a
 *   peer going do-not-disturb) while fewer than MAX_FOLLOWING do, else it
 *   is closed once it has answered;
 * - at most MAX_SERVICES services are tracked at all; the browser's news
 *   of any more is ignored. */
#define MAX_RESOLVING 16
#define MAX_FOLLOWING 256
#define MAX_SERVICES 2048

/* When the client comes back after avahi-daemon went away, the services
 * seen before stay (and the peers built from them stay listed, pinged as
 * ever) until the new browsers have had their say: those reported again
 * are resolved anew, ahead of services never seen; the others are
 * reported removed once every browser has said "all for now" and at least
 * STALE_MIN_S have passed (a busy LAN answers late), or after STALE_MAX_S
 * in any case.  Clearing the peer table on a reconnect would drop every
 * colleague for as long as a flood keeps the resolvers busy. */
#define STALE_MIN_S 5
#define STALE_MAX_S 30

typedef enum {
  SERVICE_QUEUED,
  SERVICE_RESOLVING,
  SERVICE_FOLLOWING,
  SERVICE_DONE,         /* resolved (or failed) and its resolver closed */
} ServiceState;

/* One service the browsers reported, until they report it gone. */
typedef struct {
  ZcDiscovery *d;
  char *key;
  AvahiIfIndex ifindex;
  AvahiProtocol protocol;
  char *name;
  char *type;
  char *domain;
  ServiceState state;
  ZcResolve *resolver;
  ZcTxtFollow *follow;  /* while following: the TXT as it changes */
  gboolean found;       /* resolved at least once */
  gboolean stale;       /* seen through a client now gone, not reported since */
} Service;


static void client_connect (ZcDiscovery *d);

static void
service_close (Service *service)
{
  ZcDiscovery *d = service->d;

  if (service->state == SERVICE_RESOLVING)
    d->n_resolving--;
  else if (service->state == SERVICE_FOLLOWING)
    d->n_following--;
  else if (service->state == SERVICE_QUEUED && !g_queue_remove (&d->requeue, service))
    g_queue_remove (&d->queue, service);
  g_clear_pointer (&service->resolver, zc_resolve_free);
  g_clear_pointer (&service->follow, zc_txt_follow_free);
  service->state = SERVICE_DONE;
}

static void
service_free (gpointer data)
{
  Service *service = data;

  service_close (service);
  g_free (service->key);
  g_free (service->name);
  g_free (service->type);
  g_free (service->domain);
  g_free (service);
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

void
zc_discovery_report_state (ZcDiscovery *d, ZcDiscoveryState state, const char *detail)
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

static void pump_queue (ZcDiscovery *d);

/* A resolve ended (found or failed): its slot goes to the next service
 * waiting; the resolver stays open to follow the service if there is room
 * for that and it found something. */
static void
service_resolved (Service *service, gboolean found)
{
  ZcDiscovery *d = service->d;

  if (service->state != SERVICE_RESOLVING)
    return;
  d->n_resolving--;
  service->state = SERVICE_DONE;
  service->found = service->found || found;
  if (found && d->n_following < MAX_FOLLOWING) {
    service->state = SERVICE_FOLLOWING;
    d->n_following++;
  } else {
    /* Freeing a resolver from its own callback is allowed. */
    g_clear_pointer (&service->resolver, zc_resolve_free);
  }
  pump_queue (d);
}

static void
txt_changed_cb (ZcServiceRecord *record, gpointer user_data)
{
  ZcDiscovery *d = user_data;

  g_debug ("TXT of “%s” (%s on %s) changed", record->name, record->type, record->ifname);
  if (d->events.service_resolved != NULL)
    d->events.service_resolved (record, d->user_data);
  else
    zc_service_record_free (record);
}

static void
resolver_cb (ZcResolve *resolver, const ZcResolved *found, const char *error, gpointer user_data)
{
  Service *service = user_data;
  ZcDiscovery *d = service->d;
  g_autoptr (ZcServiceRecord) record = NULL;
  char addr[AVAHI_ADDRESS_STR_MAX];

  if (found == NULL) {
    /* A timeout, most often.  A followed service may come back through its
     * resolver; one still being resolved gives its slot up, and only the
     * browser reporting it anew tries again.  A resolver avahi-daemon
     * refused (its per-client limit) is worth a warning. */
    if (zc_resolve_is_started (resolver))
      g_debug ("cannot resolve “%s” (%s): %s", service->name, service->type, error);
    else
      g_warning ("cannot resolve “%s”: %s", service->name, error);
    service_resolved (service, FALSE);
    return;
  }

  record = zc_service_record_new ();
  record->ifindex = found->ifindex;
  record->ifname = interface_name (found->ifindex);
  record->family = family_of (found->protocol);
  record->type = g_strdup (found->type);
  record->name = zc_sanitize_text (found->name, -1);
  record->domain = g_strdup (found->domain);
  record->host = zc_sanitize_text (found->host, -1);
  avahi_address_snprint (addr, sizeof addr, &found->address);
  if (found->address.proto == AVAHI_PROTO_INET6 && found->address.data.ipv6.address[0] == 0xfe &&
      (found->address.data.ipv6.address[1] & 0xc0) == 0x80)
    record->address = g_strdup_printf ("%s%%%s", addr, record->ifname);
  else
    record->address = g_strdup (addr);
  record->port = found->port;
  zc_txt_decode (found->txt, &record->txt);
  record->pingable = zc_port_is_sane (found->port) && zc_address_is_on_link (found->ifindex, addr);
  g_debug ("resolved “%s” (%s on %s) at %s port %u%s", record->name, found->type, record->ifname, record->address,
           found->port, record->pingable ? "" : ", not on this link or odd port: not pinged");
  /* The slot is given up first: the callee may not come back. */
  service_resolved (service, TRUE);
  if (service->state == SERVICE_FOLLOWING && service->follow == NULL)
    service->follow = zc_txt_follow_new (d->resolve_bus, service->ifindex, service->protocol, service->name,
                                         service->type, service->domain, txt_changed_cb, d);
  if (service->follow != NULL)
    zc_txt_follow_resolved (service->follow, record);
  if (d->events.service_resolved != NULL)
    d->events.service_resolved (g_steal_pointer (&record), d->user_data);
}

static gboolean
queued (ZcDiscovery *d)
{
  return !g_queue_is_empty (&d->requeue) || !g_queue_is_empty (&d->queue);
}

/* Resolvers start without waiting for avahi-daemon (resolve-bus.h), at
 * most MAX_RESOLVING at a time.  Until the bus connection is there the
 * queue waits; its ready callback pumps. */
static gboolean
pump_cb (gpointer user_data)
{
  ZcDiscovery *d = user_data;

  d->pump_id = 0;
  while (d->n_resolving < MAX_RESOLVING && queued (d) && zc_resolve_bus_is_ready (d->resolve_bus)) {
    Service *service = g_queue_is_empty (&d->requeue) ? g_queue_pop_head (&d->queue)
                                                      : g_queue_pop_head (&d->requeue);

    service->state = SERVICE_RESOLVING;
    d->n_resolving++;
    service->resolver = zc_resolve_start (d->resolve_bus, service->ifindex, service->protocol, service->name,
                                          service->type, service->domain, resolver_cb, service);
  }
  return G_SOURCE_REMOVE;
}

static gboolean
resolve_bus_ready_cb (gpointer user_data)
{
  pump_queue (user_data);
  return G_SOURCE_REMOVE;
}

static void
pump_queue (ZcDiscovery *d)
{
  if (d->pump_id == 0 && d->n_resolving < MAX_RESOLVING && queued (d))
    d->pump_id = g_idle_add_full (G_PRIORITY_DEFAULT, pump_cb, d, NULL);
}

static void
enqueue (ZcDiscovery *d, Service *service)
{
  service->state = SERVICE_QUEUED;
  g_queue_push_tail (service->found ? &d->requeue : &d->queue, service);
  pump_queue (d);
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
    Service *service;

    key = service_key (ifindex, protocol, type, name, domain);
    service = g_hash_table_lookup (d->services, key);
    if (service != NULL) {
      /* Seen before the client came back: resolved anew, its peer kept
       * meanwhile. */
      if (service->stale) {
        service->stale = FALSE;
        enqueue (d, service);
      }
      break;
    }
    if (g_hash_table_size (d->services) >= MAX_SERVICES) {
      if (!d->services_full_warned)
        g_message ("tracking %u DNS-SD services already; ignoring new ones (further ones at debug level)",
                   MAX_SERVICES);
      else
        g_debug ("ignoring service “%s” (%s): %u tracked already", name, type, MAX_SERVICES);
      d->services_full_warned = TRUE;
      break;
    }
    service = g_new0 (Service, 1);
    service->d = d;
    service->key = g_steal_pointer (&key);
    service->ifindex = ifindex;
    service->protocol = protocol;
    service->name = g_strdup (name);
    service->type = g_strdup (type);
    service->domain = g_strdup (domain);
    g_hash_table_insert (d->services, service->key, service);
    enqueue (d, service);
    break;
  }
  case AVAHI_BROWSER_REMOVE: {
    g_autofree char *clean_name = zc_sanitize_text (name, -1);

    key = service_key (ifindex, protocol, type, name, domain);
    if (g_hash_table_remove (d->services, key))
      pump_queue (d);
    if (d->events.service_removed != NULL)
      d->events.service_removed (ifindex, family_of (protocol), type, clean_name, domain, d->user_data);
    break;
  }
  case AVAHI_BROWSER_FAILURE:
    g_warning ("browsing for %s failed: %s", type,
               avahi_strerror (avahi_client_errno (avahi_service_browser_get_client (browser))));
    break;
  case AVAHI_BROWSER_ALL_FOR_NOW:
    for (gsize i = 0; i < ZC_DISCOVERY_N_TYPES; i++) {
      if (g_strcmp0 (type, zc_discovery_service_types[i]) == 0)
        d->all_for_now[i] = TRUE;
    }
    break;
  case AVAHI_BROWSER_CACHE_EXHAUSTED:
  default:
    break;
  }
}

/* The services not reported again since the client came back are gone:
 * reported removed, each. */
static gboolean
sweep_cb (gpointer user_data)
{
  ZcDiscovery *d = user_data;
  gint64 waited_s = (g_get_monotonic_time () - d->browse_start_us) / G_USEC_PER_SEC;
  g_autoptr (GPtrArray) gone = NULL;
  GHashTableIter iter;
  Service *service;
  gboolean all_for_now = TRUE;

  for (gsize i = 0; i < ZC_DISCOVERY_N_TYPES; i++)
    all_for_now = all_for_now && (d->all_for_now[i] || d->browsers[i] == NULL);
  if (waited_s < STALE_MAX_S && (waited_s < STALE_MIN_S || !all_for_now))
    return G_SOURCE_CONTINUE;
  d->sweep_id = 0;

  gone = g_ptr_array_new_with_free_func (service_free);
  g_hash_table_iter_init (&iter, d->services);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &service)) {
    if (service->stale) {
      g_hash_table_iter_steal (&iter);
      g_ptr_array_add (gone, service);
    }
  }
  if (gone->len > 0)
    g_message ("%u DNS-SD services seen before avahi-daemon came back are gone", gone->len);
  /* Reported after the walk: the callee may look at us. */
  for (guint i = 0; i < gone->len && d->events.service_removed != NULL; i++) {
    Service *old = g_ptr_array_index (gone, i);
    g_autofree char *clean_name = zc_sanitize_text (old->name, -1);

    d->events.service_removed (old->ifindex, family_of (old->protocol), old->type, clean_name, old->domain,
                               d->user_data);
  }
  return G_SOURCE_REMOVE;
}

static void
start_browsing (ZcDiscovery *d)
{
  GHashTableIter iter;
  Service *service;

  d->browse_start_us = g_get_monotonic_time ();
  memset (d->all_for_now, 0, sizeof d->all_for_now);
  g_hash_table_iter_init (&iter, d->services);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &service)) {
    if (service->stale && d->sweep_id == 0)
      d->sweep_id = g_timeout_add_seconds (1, sweep_cb, d);
  }
  for (gsize i = 0; i < ZC_DISCOVERY_N_TYPES; i++) {
    if (d->browsers[i] != NULL)
      continue;
    d->browsers[i] = avahi_service_browser_new (d->client, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC,
                                                zc_discovery_service_types[i], NULL, 0, browser_cb, d);
    if (d->browsers[i] == NULL)
      g_warning ("cannot browse for %s: %s", zc_discovery_service_types[i], avahi_strerror (avahi_client_errno (d->client)));
  }
}

/* ---- the client's life --------------------------------------------------- */

/* Drops every object tied to the current client; they die with it.  The
 * services stay, stale, and so do the peers built from them, until the
 * client is back and its browsers have spoken (STALE_MIN_S). */
static void
forget_client_objects (ZcDiscovery *d)
{
  GHashTableIter iter;
  Service *service;

  g_clear_handle_id (&d->pump_id, g_source_remove);
  g_clear_handle_id (&d->sweep_id, g_source_remove);
  /* Before the services, which would each look for themselves in them. */
  g_queue_clear (&d->requeue);
  g_queue_clear (&d->queue);
  g_hash_table_iter_init (&iter, d->services);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &service)) {
    service_close (service);
    service->stale = TRUE;
  }
  for (gsize i = 0; i < ZC_DISCOVERY_N_TYPES; i++)
    g_clear_pointer (&d->browsers[i], avahi_service_browser_free);
  g_clear_pointer (&d->group, avahi_entry_group_free);
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
    /* The system bus restarted under us: the resolvers need a new
     * connection (the old one's resolvers went with the old client). */
    if (zc_resolve_bus_is_dead (d->resolve_bus) && d->n_resolving == 0 && d->n_following == 0) {
      zc_resolve_bus_free (d->resolve_bus);
      d->resolve_bus = zc_resolve_bus_new (resolve_bus_ready_cb, d);
    }
    zc_discovery_publish (d);
    start_browsing (d);
    break;
  case AVAHI_CLIENT_S_COLLISION:
  case AVAHI_CLIENT_S_REGISTERING:
    /* The daemon is (re)claiming the host name: our records go out again
     * once it runs. */
    if (d->group != NULL)
      avahi_entry_group_reset (d->group);
    zc_discovery_report_state (d, state == AVAHI_CLIENT_S_COLLISION ? ZC_DISCOVERY_COLLISION : ZC_DISCOVERY_REGISTERING,
               _("avahi-daemon is registering the host name"));
    break;
  case AVAHI_CLIENT_CONNECTING:
    g_message ("waiting for avahi-daemon; peers will appear once it runs");
    zc_discovery_report_state (d, ZC_DISCOVERY_WAITING, _("waiting for avahi-daemon to start"));
    break;
  case AVAHI_CLIENT_FAILURE:
    if (avahi_client_errno (client) == AVAHI_ERR_DISCONNECTED) {
      g_message ("avahi-daemon went away; waiting for it to return");
      forget_client_objects (d);
      zc_discovery_set_published_name (d, NULL);
      /* The client cannot be freed from inside its own callback. */
      if (d->reconnect_id == 0)
        d->reconnect_id = g_idle_add (reconnect_cb, d);
      zc_discovery_report_state (d, ZC_DISCOVERY_WAITING, _("avahi-daemon stopped; waiting for it to return"));
    } else {
      g_warning ("avahi client failed: %s", avahi_strerror (avahi_client_errno (client)));
      zc_discovery_report_state (d, ZC_DISCOVERY_FAILURE, avahi_strerror (avahi_client_errno (client)));
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
  zc_discovery_set_published_name (d, d->advert.service_name);
  d->client = avahi_client_new (avahi_glib_poll_get (d->poll), AVAHI_CLIENT_NO_FAIL, client_cb, d, &error);
  if (d->client == NULL) {
    g_autofree char *detail = g_strdup_printf (_("cannot reach the system D-Bus for avahi-daemon: %s"),
                                               avahi_strerror (error));
    /* Say it once, not every few seconds while the system bus is down. */
    if (d->state != ZC_DISCOVERY_WAITING || g_strcmp0 (d->detail, detail) != 0)
      g_warning ("%s; %s", detail, "retrying");
    zc_discovery_report_state (d, ZC_DISCOVERY_WAITING, detail);
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
  d->advert.note = g_strdup (advert->note);
  d->advert.forwarding = advert->forwarding;
  d->services = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, service_free);
  g_queue_init (&d->queue);
  g_queue_init (&d->requeue);
  d->state = ZC_DISCOVERY_WAITING;
  d->poll = avahi_glib_poll_new (NULL, G_PRIORITY_DEFAULT);
  d->resolve_bus = zc_resolve_bus_new (resolve_bus_ready_cb, d);
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
  g_clear_handle_id (&d->pump_id, g_source_remove);
  g_clear_handle_id (&d->sweep_id, g_source_remove);
  /* Before the services, which would each look for themselves in them. */
  g_queue_clear (&d->requeue);
  g_queue_clear (&d->queue);
  g_hash_table_remove_all (d->services);
  g_clear_pointer (&d->resolve_bus, zc_resolve_bus_free);
  for (gsize i = 0; i < ZC_DISCOVERY_N_TYPES; i++)
    g_clear_pointer (&d->browsers[i], avahi_service_browser_free);
  /* Freeing the group makes avahi-daemon send the goodbye packets. */
  g_clear_pointer (&d->group, avahi_entry_group_free);
  g_clear_pointer (&d->client, avahi_client_free);
  g_clear_pointer (&d->poll, avahi_glib_poll_free);
  g_hash_table_unref (d->services);
  g_free (d->advert.service_name);
  g_free (d->advert.user);
  g_free (d->advert.display_name);
  g_free (d->advert.instance_id);
  g_free (d->advert.fingerprint);
  g_free (d->advert.state);
  g_free (d->advert.note);
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
