/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "rendezvous"

#include "config.h"
#include "core/rendezvous.h"

#include "common/i18n.h"
#include "sip/resolve.h"
#include "sip/tls.h"

#include <osipparser2/osip_parser.h>
#include <stdlib.h>
#include <string.h>

/* Retry after a failure: 2 s, doubling to 5 min (RFC 5626 4.5 suggests a
 * base of 30 s for a fleet; one desk agent retries sooner, and the cap
 * keeps a wrong password from hammering the server). */
#define RETRY_BASE_S 2
#define RETRY_MAX_S 300
#define DEFAULT_ICE_PORT 3478

struct _ZcRendezvous {
  const ZcConfig *config;
  ZcSipUa *ua;
  ZcSipTransport *transport;
  char *instance_id;
  ZcRendezvousChangedFunc changed;
  gpointer user_data;

  char *domain;
  GCancellable *cancellable;
  GPtrArray *targets;          /* ZcSipTarget*, from the last resolution */
  guint target_index;
  ZcSipRegistration *reg;
  const char *state;           /* "resolving", "registering", "registered", "failed" */
  int last_status;
  char *last_reason;
  guint failures;              /* in a row */
  guint retry_id;
  gint64 retry_at_us;
  guint keepalive_id;
  guint keepalive_ping;        /* OPTIONS keepalive in flight */
  guint keepalive_deadline_id;

  GCancellable *ice_cancellable; /* the STUN/TURN name lookups */
  char *stun_address, *turn_address;
  guint16 stun_port, turn_port;
  char *turn_name;             /* the TURN server's host name (or address) as configured */
  ZcTurnTransport turn_transport;
};

static void resolve_registrar (ZcRendezvous *rdv);
static void stop_keepalive (ZcRendezvous *rdv);

static void
changed (ZcRendezvous *rdv)
{
  if (rdv->changed != NULL)
    rdv->changed (rdv, rdv->user_data);
}

static void
set_result (ZcRendezvous *rdv, const char *state, int status, const char *reason)
{
  rdv->state = state;
  rdv->last_status = status;
  g_free (rdv->last_reason);
  rdv->last_reason = g_strdup (reason ? reason : "");
  changed (rdv);
}

static gboolean
retry_cb (gpointer user_data)
{
  ZcRendezvous *rdv = user_data;

  rdv->retry_id = 0;
  rdv->retry_at_us = 0;
  resolve_registrar (rdv);
  return G_SOURCE_REMOVE;
}

static void
schedule_retry (ZcRendezvous *rdv)
{
  guint delay_s = RETRY_BASE_S;

  for (guint i = 1; i < rdv->failures && delay_s < RETRY_MAX_S; i++)
    delay_s *= 2;
  delay_s = MIN (delay_s, RETRY_MAX_S);
  g_clear_handle_id (&rdv->retry_id, g_source_remove);
  stop_keepalive (rdv);
  rdv->retry_id = g_timeout_add_seconds (delay_s, retry_cb, rdv);
  rdv->retry_at_us = g_get_monotonic_time () + (gint64) delay_s * G_USEC_PER_SEC;
  g_message ("registration with %s failed (%d %s); retrying in %u s", rdv->config->registrar, rdv->last_status,
             rdv->last_reason, delay_s);
  changed (rdv);
}

/* ---- keepalive ------------------------------------------------------------------- */

static void
stop_keepalive (ZcRendezvous *rdv)
{
  g_clear_handle_id (&rdv->keepalive_id, g_source_remove);
  g_clear_handle_id (&rdv->keepalive_deadline_id, g_source_remove);
  if (rdv->keepalive_ping != 0)
    zc_sip_ua_ping_cancel (rdv->ua, rdv->keepalive_ping);
  rdv->keepalive_ping = 0;
}

/* The registrar stopped answering our OPTIONS: register again (the next
 * address of the list if it does not answer either), rather than wait for
 * the refresh to find out. */
static void
registrar_lost (ZcRendezvous *rdv)
{
  g_message ("the registrar at %s stopped answering; registering again",
             zc_sip_registration_get_flow (rdv->reg)->address);
  stop_keepalive (rdv);
  resolve_registrar (rdv);
}

static gboolean
keepalive_deadline_cb (gpointer user_data)
{
  ZcRendezvous *rdv = user_data;

  rdv->keepalive_deadline_id = 0;
  registrar_lost (rdv);
  return G_SOURCE_REMOVE;
}

static void
keepalive_answered_cb (guint ping_id, int status, double rtt_ms G_GNUC_UNUSED, gpointer user_data)
{
  ZcRendezvous *rdv = user_data;

  if (ping_id != rdv->keepalive_ping)
    return;
  rdv->keepalive_ping = 0;
  g_clear_handle_id (&rdv->keepalive_deadline_id, g_source_remove);
  /* Any answer, even an error, shows the path is open. */
  if (status == 0)
    registrar_lost (rdv);
}

static gboolean
keepalive_cb (gpointer user_data)
{
  ZcRendezvous *rdv = user_data;
  const ZcSipFlow *flow = zc_sip_registration_get_flow (rdv->reg);

  /* RFC 5626 3.5.1 uses a double CRLF on streams; over UDP a registrar
   * drops it as an empty message, and the NAT sees traffic either way.
   * OPTIONS costs the server more but also tells us it is alive. */
  if (rdv->config->keepalive_method == ZC_KEEPALIVE_OPTIONS) {
    if (rdv->keepalive_ping == 0) {
      rdv->keepalive_ping = zc_sip_ua_ping_full (rdv->ua, rdv->config->registrar, flow, keepalive_answered_cb, rdv);
      rdv->keepalive_deadline_id = g_timeout_add_seconds (MIN (rdv->config->keepalive_interval_s, 5),
                                                          keepalive_deadline_cb, rdv);
    }
  } else {
    zc_sip_transport_send (rdv->transport, flow, "\r\n\r\n", 4, NULL);
  }
  return G_SOURCE_CONTINUE;
}

/* ---- registration ---------------------------------------------------------------- */

static void
try_target (ZcRendezvous *rdv)
{
  const ZcSipTarget *target = g_ptr_array_index (rdv->targets, rdv->target_index);
  ZcSipFlow flow = { .proto = target->proto, .port = target->port };

  g_strlcpy (flow.address, target->address, sizeof flow.address);
  g_message ("registering with %s at %s:%u (%s)", rdv->config->registrar, flow.address, flow.port,
             zc_sip_proto_to_string (flow.proto));
  set_result (rdv, "registering", 0, "");
  zc_sip_registration_start (rdv->reg, &flow);
}

static void
registration_cb (ZcSipRegistration *reg G_GNUC_UNUSED, ZcSipRegState state, int status, const char *reason,
                 gpointer user_data)
{
  ZcRendezvous *rdv = user_data;

  switch (state) {
  case ZC_SIP_REG_REGISTERED:
    rdv->failures = 0;
    set_result (rdv, "registered", status, reason);
    stop_keepalive (rdv);
    if (rdv->config->keepalive_interval_s > 0)
      rdv->keepalive_id = g_timeout_add_seconds (rdv->config->keepalive_interval_s, keepalive_cb, rdv);
    break;
  case ZC_SIP_REG_FAILED:
    /* No answer at all, or the server says it cannot serve now: the next
     * address of the RFC 3263 list (RFC 3263 4.3); anything else is the
     * server's word and the same from every node. */
    if ((status == 408 || status == 503 || status == 0) && rdv->targets != NULL
        && rdv->target_index + 1 < rdv->targets->len) {
      rdv->target_index++;
      try_target (rdv);
      return;
    }
    rdv->failures++;
    set_result (rdv, "failed", status, reason);
    schedule_retry (rdv);
    break;
  case ZC_SIP_REG_REGISTERING:
  default:
    break;
  }
}

static void
resolved_cb (GObject *source G_GNUC_UNUSED, GAsyncResult *result, gpointer user_data)
{
  ZcRendezvous *rdv = user_data;
  g_autoptr (GError) error = NULL;
  GPtrArray *targets = zc_sip_resolve_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&rdv->cancellable);
  if (targets == NULL || targets->len == 0) {
    if (targets != NULL)
      g_ptr_array_unref (targets);
    rdv->failures++;
    set_result (rdv, "failed", 0, error ? error->message : _("the registrar's name resolves to nothing"));
    schedule_retry (rdv);
    return;
  }
  /* RFC 5922: a TLS registrar is checked against the registrar URI's
   * domain (not the SRV target's name), by the configured CA file or the
   * system's trust store, or by the pinned certificate; every target
   * before anything is sent to it. */
  for (guint i = 0; i < targets->len; i++) {
    const ZcSipTarget *t = g_ptr_array_index (targets, i);
    ZcSipTls *tls = rdv->transport != NULL ? zc_sip_transport_get_tls (rdv->transport) : NULL;

    if (t->proto != ZC_SIP_TLS)
      continue;
    if (tls == NULL) {
      g_ptr_array_unref (targets);
      rdv->failures++;
      set_result (rdv, "failed", 0, _("the registrar needs SIP over TLS, which is off"));
      schedule_retry (rdv);
      return;
    }
    zc_sip_tls_expect_server (tls, t->address, t->port, rdv->domain, rdv->config->rdv_ca_file,
                              rdv->config->rdv_server_fingerprint);
  }
  g_clear_pointer (&rdv->targets, g_ptr_array_unref);
  rdv->targets = targets;
  rdv->target_index = 0;
  try_target (rdv);
}

static void
resolve_registrar (ZcRendezvous *rdv)
{
  set_result (rdv, "resolving", 0, "");
  g_clear_object (&rdv->cancellable);
  rdv->cancellable = g_cancellable_new ();
  zc_sip_resolve_async (rdv->config->registrar, rdv->cancellable, resolved_cb, rdv);
}

/* ---- STUN / TURN --------------------------------------------------------------- */

/* "host[:port]" -> host, port; IPv6 in brackets. */
static char *
split_host_port (const char *text, guint16 *port)
{
  const char *colon;

  *port = DEFAULT_ICE_PORT;
  if (text[0] == '[') {
    const char *end = strchr (text, ']');

    if (end == NULL)
      return g_strdup (text);
    if (end[1] == ':')
      *port = (guint16) strtoul (end + 2, NULL, 10);
    return g_strndup (text + 1, (gsize) (end - text - 1));
  }
  colon = strrchr (text, ':');
  if (colon != NULL && strchr (text, ':') == colon) {
    *port = (guint16) strtoul (colon + 1, NULL, 10);
    return g_strndup (text, (gsize) (colon - text));
  }
  return g_strdup (text);
}

typedef struct {
  ZcRendezvous *rdv;
  gboolean turn;
  guint16 port;
} IceLookup;

static void
ice_server_resolved_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  IceLookup *lookup = user_data;
  g_autoptr (GError) error = NULL;
  GList *addresses = g_resolver_lookup_by_name_finish (G_RESOLVER (source), result, &error);

  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    ZcRendezvous *rdv = lookup->rdv;

    if (addresses == NULL) {
      g_warning ("cannot resolve the %s server: %s", lookup->turn ? "TURN" : "STUN", error->message);
    } else {
      char *address = g_inet_address_to_string (addresses->data);

      if (lookup->turn) {
        g_free (rdv->turn_address);
        rdv->turn_address = address;
        rdv->turn_port = lookup->port;
      } else {
        g_free (rdv->stun_address);
        rdv->stun_address = address;
        rdv->stun_port = lookup->port;
      }
    }
  }
  g_resolver_free_addresses (addresses);
  g_free (lookup);
}

static void
resolve_ice_server (ZcRendezvous *rdv, const char *text, gboolean turn)
{
  IceLookup *lookup = g_new0 (IceLookup, 1);
  g_autofree char *host = split_host_port (text, &lookup->port);
  g_autoptr (GResolver) resolver = g_resolver_get_default ();

  lookup->rdv = rdv;
  lookup->turn = turn;
  g_resolver_lookup_by_name_async (resolver, host, rdv->ice_cancellable, ice_server_resolved_cb, lookup);
}

/* ---- public ------------------------------------------------------------------ */

ZcRendezvous *
zc_rendezvous_new (const ZcConfig *config,
                   ZcSipUa *ua,
                   ZcSipTransport *transport,
                   const char *instance_id,
                   ZcRendezvousChangedFunc changed_func,
                   gpointer user_data)
{
  ZcRendezvous *rdv;
  osip_uri_t *uri = NULL;
  ZcSipRegistrationConfig reg_config = { 0 };

  if (config->registrar == NULL)
    return NULL;
  rdv = g_new0 (ZcRendezvous, 1);
  rdv->config = config;
  rdv->ua = ua;
  rdv->transport = transport;
  rdv->instance_id = g_strdup (instance_id);
  rdv->changed = changed_func;
  rdv->user_data = user_data;
  osip_uri_init (&uri);
  rdv->domain = g_strdup (osip_uri_parse (uri, config->registrar) == 0 && uri->host ? uri->host : "");
  osip_uri_free (uri);

  reg_config.registrar_uri = config->registrar;
  reg_config.user = config->rdv_username != NULL ? config->rdv_username : config->user;
  reg_config.password = config->rdv_password;
  reg_config.instance_id = instance_id;
  reg_config.expires_s = config->register_expires_s;
  rdv->reg = zc_sip_registration_new (ua, &reg_config, registration_cb, rdv);
  zc_sip_ua_set_account (ua, rdv->domain, reg_config.user, config->rdv_password);

  rdv->ice_cancellable = g_cancellable_new ();
  if (config->stun_server != NULL)
    resolve_ice_server (rdv, config->stun_server, FALSE);
  if (config->turn_server != NULL) {
    /* The forms conf-rendezvous.c writes: "host:port",
     * "turn:host:port?transport=tcp", "turns:host:port". */
    g_autofree char *hostport = NULL;
    guint16 port;

    rdv->turn_transport = ZC_TURN_UDP;
    if (g_str_has_prefix (config->turn_server, "turns:")) {
      rdv->turn_transport = ZC_TURN_TLS;
      hostport = g_strdup (config->turn_server + 6);
    } else if (g_str_has_prefix (config->turn_server, "turn:")) {
      rdv->turn_transport = ZC_TURN_TCP;
      hostport = g_strndup (config->turn_server + 5, strcspn (config->turn_server + 5, "?"));
    } else {
      hostport = g_strdup (config->turn_server);
    }
    rdv->turn_name = split_host_port (hostport, &port);
    resolve_ice_server (rdv, hostport, TRUE);
  }
  resolve_registrar (rdv);
  return rdv;
}

void
zc_rendezvous_free (ZcRendezvous *rdv)
{
  if (rdv == NULL)
    return;
  if (rdv->cancellable != NULL)
    g_cancellable_cancel (rdv->cancellable);
  g_clear_object (&rdv->cancellable);
  g_cancellable_cancel (rdv->ice_cancellable);
  g_clear_object (&rdv->ice_cancellable);
  g_clear_handle_id (&rdv->retry_id, g_source_remove);
  stop_keepalive (rdv);
  g_clear_pointer (&rdv->reg, zc_sip_registration_free);
  zc_sip_ua_set_account (rdv->ua, NULL, NULL, NULL);
  g_clear_pointer (&rdv->targets, g_ptr_array_unref);
  g_free (rdv->instance_id);
  g_free (rdv->domain);
  g_free (rdv->last_reason);
  g_free (rdv->stun_address);
  g_free (rdv->turn_address);
  g_free (rdv->turn_name);
  g_free (rdv);
}

GVariant *
zc_rendezvous_describe (ZcRendezvous *rdv)
{
  GVariantBuilder b;
  const ZcSipFlow *flow = zc_sip_registration_get_flow (rdv->reg);
  const char *public_address = zc_sip_registration_get_public_address (rdv->reg);
  g_autofree char *target = flow->port != 0 ? g_strdup_printf ("%s:%u/%s", flow->address, flow->port,
                                                               zc_sip_proto_to_string (flow->proto))
                                            : g_strdup ("");
  g_autofree char *public = public_address != NULL
                              ? g_strdup_printf ("%s:%u", public_address, zc_sip_registration_get_public_port (rdv->reg))
                              : g_strdup ("");
  double retry_in = rdv->retry_at_us != 0 ? MAX (0.0, (double) (rdv->retry_at_us - g_get_monotonic_time ()) / G_USEC_PER_SEC)
                                          : 0.0;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "state", g_variant_new_string (rdv->state));
  g_variant_builder_add (&b, "{sv}", "registrar", g_variant_new_string (rdv->config->registrar));
  g_variant_builder_add (&b, "{sv}", "aor", g_variant_new_string (zc_sip_registration_get_aor (rdv->reg)));
  g_variant_builder_add (&b, "{sv}", "target", g_variant_new_string (target));
  g_variant_builder_add (&b, "{sv}", "status", g_variant_new_int32 (rdv->last_status));
  g_variant_builder_add (&b, "{sv}", "reason", g_variant_new_string (rdv->last_reason ? rdv->last_reason : ""));
  g_variant_builder_add (&b, "{sv}", "public_address", g_variant_new_string (public));
  g_variant_builder_add (&b, "{sv}", "expires_s", g_variant_new_uint32 (zc_sip_registration_get_expires (rdv->reg)));
  g_variant_builder_add (&b, "{sv}", "retry_in_s", g_variant_new_double (retry_in));
  g_variant_builder_add (&b, "{sv}", "failures", g_variant_new_uint32 (rdv->failures));
  return g_variant_builder_end (&b);
}

const char *
zc_rendezvous_get_domain (ZcRendezvous *rdv)
{
  return rdv->domain;
}

gboolean
zc_rendezvous_route (ZcRendezvous *rdv, const char *uri, ZcSipFlow *flow)
{
  osip_uri_t *parsed = NULL;
  gboolean ours = FALSE;

  if (rdv == NULL || zc_sip_registration_get_state (rdv->reg) != ZC_SIP_REG_REGISTERED)
    return FALSE;
  osip_uri_init (&parsed);
  if (osip_uri_parse (parsed, uri) == 0 && parsed->host != NULL) {
    g_autoptr (GInetAddress) numeric = g_inet_address_new_from_string (parsed->host);

    /* A name that is not a LAN (.local) host goes through the rendezvous:
     * our own domain, or another one the proxy may know. */
    ours = numeric == NULL && !g_str_has_suffix (parsed->host, ".local");
  }
  osip_uri_free (parsed);
  if (ours)
    *flow = *zc_sip_registration_get_flow (rdv->reg);
  return ours;
}

gboolean
zc_rendezvous_is_registrar (ZcRendezvous *rdv, const char *address)
{
  if (rdv == NULL || rdv->targets == NULL)
    return FALSE;
  for (guint i = 0; i < rdv->targets->len; i++)
    if (g_str_equal (((ZcSipTarget *) g_ptr_array_index (rdv->targets, i))->address, address))
      return TRUE;
  return FALSE;
}

void
zc_rendezvous_get_ice_servers (ZcRendezvous *rdv, ZcIceServers *servers)
{
  memset (servers, 0, sizeof *servers);
  if (rdv == NULL)
    return;
  servers->stun_server = rdv->stun_address;
  servers->stun_port = rdv->stun_port;
  servers->turn_server = rdv->turn_address;
  servers->turn_port = rdv->turn_port;
  servers->turn_username = rdv->config->turn_username;
  servers->turn_password = rdv->config->turn_password;
  servers->turn_transport = rdv->turn_transport;
  servers->turn_name = rdv->turn_name;
  servers->turn_ca_file = rdv->config->turn_ca_file;
}
