/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sip"

#include "config.h"
#include "sip/register.h"

#include "sip/auth.h"
#include "sip/ua-private.h"

#include <stdlib.h>
#include <string.h>

/* Refresh this long before the binding expires (RFC 3261 10.2.4 leaves
 * the margin to us), but never later than half-way. */
#define REFRESH_MARGIN_S 30
/* A challenge answered this often in a row without success is a wrong
 * password, not a stale nonce. */
#define MAX_AUTH_ROUNDS 2
/* A registrar that has not answered in this long is taken as down, well
 * before the transaction's own 32 s (timer F): the caller then tries the
 * next address (RFC 3263 4.3) while the user is still looking. */
#define ATTEMPT_TIMEOUT_S 4

struct _ZcSipRegistration {
  OwnerKind kind; /* OWNER_REGISTRATION: ua.c dispatches on it */
  ZcSipUa *ua;
  ZcSipRegistrationConfig config;
  char *registrar_uri, *user, *auth_username, *password, *instance_id, *domain, *aor;
  char *realm;           /* the registrar's digest realm, once it challenged us */
  ZcSipFlow flow;
  char *call_id, *from_tag;
  guint cseq;
  guint expires_s;       /* what we ask for (raised by a 423) */
  guint granted_s;
  osip_transaction_t *tr;
  ZcSipRegState state;
  /* The last challenge, answered again on refreshes with a growing nc. */
  ZcSipAuthChallenge challenge;
  guint nc;
  guint auth_rounds;
  gboolean sent_credentials;   /* the REGISTER in flight carries them */
  guint refresh_id;
  guint attempt_timeout_id;
  char *public_address;
  guint16 public_port;
  ZcSipRegFunc func;
  gpointer user_data;
};

const char *
zc_sip_reg_state_to_string (ZcSipRegState state)
{
  switch (state) {
  case ZC_SIP_REG_REGISTERING: return "registering";
  case ZC_SIP_REG_REGISTERED: return "registered";
  case ZC_SIP_REG_FAILED: return "failed";
  default: return "unknown";
  }
}

static void
report (ZcSipRegistration *reg, ZcSipRegState state, int status, const char *reason)
{
  reg->state = state;
  if (reg->func != NULL)
    reg->func (reg, state, status, reason, reg->user_data);
}

static void
clear_challenge (ZcSipRegistration *reg)
{
  zc_sip_auth_challenge_clear (&reg->challenge);
  reg->nc = 0;
}

static osip_message_t *
build_register (ZcSipRegistration *reg, guint expires_s)
{
  ZcSipUa *ua = reg->ua;
  osip_message_t *req = NULL;
  g_autofree char *local = ua->io.local_address_for (reg->flow.address, ua->io.data);
  g_autofree char *host = NULL, *branch = zc_sip_new_branch ();
  g_autofree char *aor = g_strdup_printf ("<sip:%s>", reg->aor);
  g_autofree char *from = NULL, *via = NULL, *contact = NULL, *cseq = NULL, *expires = NULL;
  const char *transport = reg->flow.proto == ZC_SIP_TLS   ? ";transport=tls"
                          : reg->flow.proto == ZC_SIP_TCP ? ";transport=tcp"
                                                          : "";
  /* Over TLS the registrar reaches us on the connection we opened (RFC
   * 5923 alias, RFC 5626 style): Via and Contact name the TLS port. */
  guint16 port = zc_sip_ua_port_for (ua, reg->flow.proto);

  if (local == NULL)
    return NULL;
  host = zc_sip_host_for_uri (local);
  osip_message_init (&req);
  osip_message_set_method (req, osip_strdup ("REGISTER"));
  osip_message_set_version (req, osip_strdup ("SIP/2.0"));
  osip_uri_init (&req->req_uri);
  if (osip_uri_parse (req->req_uri, reg->registrar_uri) != 0) {
    osip_message_free (req);
    return NULL;
  }
  from = g_strdup_printf ("%s;tag=%s", aor, reg->from_tag);
  via = g_strdup_printf ("SIP/2.0/%s %s:%u;branch=%s;rport%s", zc_sip_proto_to_string (reg->flow.proto), host,
                         port, branch, reg->flow.proto == ZC_SIP_TLS ? ";alias" : "");
  contact = reg->instance_id != NULL
              ? g_strdup_printf ("<sip:%s@%s:%u%s>;+sip.instance=\"<urn:uuid:%s>\"", reg->user, host, port,
                                 transport, reg->instance_id)
              : g_strdup_printf ("<sip:%s@%s:%u%s>", reg->user, host, port, transport);
  cseq = g_strdup_printf ("%u REGISTER", ++reg->cseq);
  expires = g_strdup_printf ("%u", expires_s);
  osip_message_set_via (req, via);
  osip_message_set_from (req, from);
  osip_message_set_to (req, aor);
  osip_message_set_call_id (req, reg->call_id);
  osip_message_set_cseq (req, cseq);
  osip_message_set_contact (req, contact);
  osip_message_set_expires (req, expires);
  osip_message_set_max_forwards (req, "70");
  osip_message_set_allow (req, ZC_SIP_ALLOW);
  osip_message_set_user_agent (req, "zcall/" PACKAGE_VERSION);

  reg->sent_credentials = FALSE;
  if (reg->challenge.nonce != NULL && reg->password != NULL)
    reg->sent_credentials = zc_sip_auth_add_credentials (req, &reg->challenge, reg->auth_username, reg->password,
                                                         "REGISTER", reg->registrar_uri, ++reg->nc);
  return req;
}

static void
abandon_attempt (ZcSipRegistration *reg)
{
  g_clear_handle_id (&reg->attempt_timeout_id, g_source_remove);
  if (reg->tr != NULL) {
    zc_sip_stack_tx_set_owner (reg->tr, NULL);
    zc_sip_stack_abandon (reg->ua->stack, reg->tr);
    reg->tr = NULL;
  }
}

static gboolean
attempt_timeout_cb (gpointer user_data)
{
  ZcSipRegistration *reg = user_data;

  reg->attempt_timeout_id = 0;
  abandon_attempt (reg);
  report (reg, ZC_SIP_REG_FAILED, 408, "no answer from the registrar");
  return G_SOURCE_REMOVE;
}

static void
send_register (ZcSipRegistration *reg, guint expires_s)
{
  osip_message_t *req = build_register (reg, expires_s);

  abandon_attempt (reg);
  if (req == NULL) {
    report (reg, ZC_SIP_REG_FAILED, 0, "no route to the registrar");
    return;
  }
  reg->tr = zc_sip_stack_send_request (reg->ua->stack, req, &reg->flow, reg);
  if (reg->tr == NULL) {
    report (reg, ZC_SIP_REG_FAILED, 503, "cannot send to the registrar");
    return;
  }
  reg->attempt_timeout_id = g_timeout_add_seconds (ATTEMPT_TIMEOUT_S, attempt_timeout_cb, reg);
}

static gboolean
refresh_cb (gpointer user_data)
{
  ZcSipRegistration *reg = user_data;

  reg->refresh_id = 0;
  reg->auth_rounds = 0;
  send_register (reg, reg->expires_s);
  return G_SOURCE_REMOVE;
}

/* The expiry the registrar granted our contact (RFC 3261 10.2.4): its
 * expires parameter in the 200's Contact list, else the Expires header,
 * else what we asked for. */
static guint
granted_expires (ZcSipRegistration *reg, osip_message_t *response)
{
  osip_header_t *expires = NULL;
  g_autofree char *needle = reg->instance_id != NULL ? g_strdup (reg->instance_id) : NULL;

  osip_list_iterator_t it;

  for (osip_contact_t *contact = osip_list_get_first (&response->contacts, &it); contact != NULL;
       contact = osip_list_get_next (&it)) {
    osip_generic_param_t *param = NULL;
    char *text = NULL;
    gboolean ours;

    if (osip_contact_to_str (contact, &text) != 0)
      continue;
    ours = needle != NULL ? strstr (text, needle) != NULL : contact->url && contact->url->username
                                                            && g_str_equal (contact->url->username, reg->user);
    osip_free (text);
    if (ours && osip_contact_param_get_byname (contact, "expires", &param) == 0 && param != NULL
        && param->gvalue != NULL)
      return (guint) strtoul (param->gvalue, NULL, 10);
  }
  if (osip_message_get_expires (response, 0, &expires) >= 0 && expires != NULL && expires->hvalue != NULL)
    return (guint) strtoul (expires->hvalue, NULL, 10);
  return reg->expires_s;
}

static void
learn_public_address (ZcSipRegistration *reg, osip_message_t *response)
{
  osip_via_t *via = osip_list_get (&response->vias, 0);
  osip_generic_param_t *received = NULL, *rport = NULL;

  if (via == NULL)
    return;
  osip_via_param_get_byname (via, "received", &received);
  osip_via_param_get_byname (via, "rport", &rport);
  if (received != NULL && received->gvalue != NULL) {
    g_free (reg->public_address);
    reg->public_address = g_strdup (received->gvalue);
  }
  if (rport != NULL && rport->gvalue != NULL)
    reg->public_port = (guint16) strtoul (rport->gvalue, NULL, 10);
}

void
zc_sip_registration_response (ZcSipRegistration *reg, osip_message_t *response)
{
  int status = response->status_code;
  const char *phrase = response->reason_phrase ? response->reason_phrase : "";

  if (status < 200)
    return;
  reg->tr = NULL; /* done: the stack frees it */
  g_clear_handle_id (&reg->attempt_timeout_id, g_source_remove);
  if (status < 300) {
    guint granted = granted_expires (reg, response);

    learn_public_address (reg, response);
    reg->auth_rounds = 0;
    if (granted == 0) {
      report (reg, ZC_SIP_REG_FAILED, status, "the registrar kept no binding");
      return;
    }
    reg->granted_s = granted;
    g_clear_handle_id (&reg->refresh_id, g_source_remove);
    reg->refresh_id = g_timeout_add_seconds (MAX (granted / 2, granted > REFRESH_MARGIN_S ? granted - REFRESH_MARGIN_S : 1),
                                             refresh_cb, reg);
    g_message ("registered as %s at %s:%u for %u s (public address %s:%u)", reg->aor, reg->flow.address, reg->flow.port,
               granted, reg->public_address ? reg->public_address : "?", reg->public_port);
    report (reg, ZC_SIP_REG_REGISTERED, status, phrase);
    return;
  }
  if ((status == 401 || status == 407) && reg->password != NULL && reg->auth_rounds < MAX_AUTH_ROUNDS) {
    ZcSipAuthChallenge challenge = { 0 };
    /* The registrar's realm is the first it challenges us with; a
     * challenge for another realm later is someone else's. */
    gboolean usable = zc_sip_auth_pick_challenge (response, reg->realm, &challenge);

    /* A second challenge for the same credentials is a refusal, unless
     * the registrar only says the nonce went stale (RFC 2617 3.2.1). */
    if (usable && (reg->auth_rounds == 0 || challenge.stale)) {
      if (reg->realm == NULL) {
        reg->realm = g_strdup (challenge.realm);
        g_free (reg->ua->account_realm);
        reg->ua->account_realm = g_strdup (challenge.realm);
      }
      clear_challenge (reg);
      reg->challenge = challenge;
      reg->auth_rounds++;
      send_register (reg, reg->expires_s);
      return;
    }
    zc_sip_auth_challenge_clear (&challenge);
    report (reg, ZC_SIP_REG_FAILED, status, "authentication failed (check username and password-file)");
    return;
  }
  if (status == 423) {
    osip_header_t *min = NULL;

    /* RFC 3261 10.2.8: ask again with at least Min-Expires. */
    if (osip_message_header_get_byname (response, "min-expires", 0, &min) >= 0 && min != NULL && min->hvalue
        && strtoul (min->hvalue, NULL, 10) > reg->expires_s && strtoul (min->hvalue, NULL, 10) <= 86400) {
      reg->expires_s = (guint) strtoul (min->hvalue, NULL, 10);
      send_register (reg, reg->expires_s);
      return;
    }
  }
  if (status == 403 && reg->sent_credentials) {
    /* Kamailio and most registrars answer wrong credentials this way. */
    report (reg, ZC_SIP_REG_FAILED, status, "authentication failed: forbidden (check username and password-file)");
    return;
  }
  report (reg, ZC_SIP_REG_FAILED, status,
          status == 401 || status == 407 ? "authentication needed but no password-file configured" : phrase);
}

void
zc_sip_registration_failed (ZcSipRegistration *reg, int status)
{
  reg->tr = NULL;
  g_clear_handle_id (&reg->attempt_timeout_id, g_source_remove);
  report (reg, ZC_SIP_REG_FAILED, status, status == 408 ? "no answer from the registrar" : "registrar unreachable");
}

void
zc_sip_registration_flow_failed (ZcSipRegistration *reg, const ZcSipFlow *to, const char *reason)
{
  if (reg->tr == NULL || reg->flow.proto != to->proto || reg->flow.port != to->port ||
      !g_str_equal (reg->flow.address, to->address))
    return;
  abandon_attempt (reg);
  /* Status 0, as for no answer: the next address of the RFC 3263 list is
   * tried (each is checked the same way), then the back-off. */
  report (reg, ZC_SIP_REG_FAILED, 0, reason);
}

void
zc_sip_registration_tx_gone (ZcSipRegistration *reg, osip_transaction_t *tr)
{
  if (reg->tr == tr)
    reg->tr = NULL;
}

ZcSipRegistration *
zc_sip_registration_new (ZcSipUa *ua, const ZcSipRegistrationConfig *config, ZcSipRegFunc func, gpointer user_data)
{
  ZcSipRegistration *reg = g_new0 (ZcSipRegistration, 1);
  osip_uri_t *uri = NULL;

  reg->kind = OWNER_REGISTRATION;
  reg->ua = ua;
  reg->registrar_uri = g_strdup (config->registrar_uri);
  reg->user = g_strdup (config->user);
  reg->auth_username = g_strdup (config->auth_username != NULL ? config->auth_username : config->user);
  reg->password = g_strdup (config->password);
  reg->instance_id = g_strdup (config->instance_id);
  reg->expires_s = config->expires_s != 0 ? config->expires_s : 600;
  osip_uri_init (&uri);
  if (osip_uri_parse (uri, reg->registrar_uri) == 0 && uri->host != NULL)
    reg->domain = g_strdup (uri->host);
  else
    reg->domain = g_strdup ("invalid");
  osip_uri_free (uri);
  reg->aor = g_strdup_printf ("%s@%s", reg->user, reg->domain);
  {
    g_autofree char *token = zc_sip_random_token ();
    reg->call_id = g_strdup_printf ("%s@zcall", token);
  }
  reg->from_tag = zc_sip_random_token ();
  reg->func = func;
  reg->user_data = user_data;
  reg->state = ZC_SIP_REG_REGISTERING;
  ua->registrations = g_list_prepend (ua->registrations, reg);
  return reg;
}

void
zc_sip_registration_start (ZcSipRegistration *reg, const ZcSipFlow *to)
{
  g_clear_handle_id (&reg->refresh_id, g_source_remove);
  reg->flow = *to;
  reg->auth_rounds = 0;
  reg->state = ZC_SIP_REG_REGISTERING;
  send_register (reg, reg->expires_s);
}

void
zc_sip_registration_free (ZcSipRegistration *reg)
{
  if (reg == NULL)
    return;
  g_clear_handle_id (&reg->refresh_id, g_source_remove);
  reg->func = NULL;
  reg->ua->registrations = g_list_remove (reg->ua->registrations, reg);
  if (reg->state == ZC_SIP_REG_REGISTERED) {
    /* Best effort, nobody waits for the answer: its transaction has no
     * owner. */
    osip_message_t *req = build_register (reg, 0);

    if (req != NULL)
      zc_sip_stack_send_request (reg->ua->stack, req, &reg->flow, NULL);
  }
  abandon_attempt (reg);
  clear_challenge (reg);
  g_free (reg->registrar_uri);
  g_free (reg->user);
  g_free (reg->auth_username);
  if (reg->password != NULL)
    memset (reg->password, 0, strlen (reg->password));
  g_free (reg->password);
  g_free (reg->instance_id);
  g_free (reg->domain);
  g_free (reg->realm);
  g_free (reg->aor);
  g_free (reg->call_id);
  g_free (reg->from_tag);
  g_free (reg->public_address);
  g_free (reg);
}

ZcSipRegState
zc_sip_registration_get_state (const ZcSipRegistration *reg)
{
  return reg->state;
}

const ZcSipFlow *
zc_sip_registration_get_flow (const ZcSipRegistration *reg)
{
  return &reg->flow;
}

guint
zc_sip_registration_get_expires (const ZcSipRegistration *reg)
{
  return reg->state == ZC_SIP_REG_REGISTERED ? reg->granted_s : 0;
}

const char *
zc_sip_registration_get_public_address (const ZcSipRegistration *reg)
{
  return reg->public_address;
}

guint16
zc_sip_registration_get_public_port (const ZcSipRegistration *reg)
{
  return reg->public_port;
}

const char *
zc_sip_registration_get_aor (const ZcSipRegistration *reg)
{
  return reg->aor;
}
