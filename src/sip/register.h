/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Registration with a SIP registrar (RFC 3261 10), so calls to our
 * address-of-record reach us through the rendezvous proxy: REGISTER with
 * digest authentication (digest.h), the binding refreshed before it
 * expires, +sip.instance (RFC 5626 4.1) so the registrar keys the binding
 * on this PC's stable UUID, and rport (RFC 3581) so it learns our public
 * address behind a NAT.
 *
 * One registration is one binding through one registrar address; trying
 * the next address of an RFC 3263 list, backing off after failures and
 * keeping the NAT binding alive between refreshes are the caller's job. */
#pragma once

#include "sip/ua.h"

typedef struct _ZcSipRegistration ZcSipRegistration;

typedef enum {
  ZC_SIP_REG_REGISTERING,
  ZC_SIP_REG_REGISTERED,
  ZC_SIP_REG_FAILED,      /* @status/@reason say why (403, 401 "authentication failed", 408 ...) */
} ZcSipRegState;

const char *zc_sip_reg_state_to_string (ZcSipRegState state);

typedef void (*ZcSipRegFunc) (ZcSipRegistration *reg, ZcSipRegState state, int status, const char *reason,
                              gpointer user_data);

typedef struct {
  const char *registrar_uri;  /* Request-URI: "sip:example.test" */
  const char *user;           /* address-of-record user; the domain is the registrar URI's host */
  const char *auth_username;  /* NULL = user */
  const char *password;       /* NULL: no credentials (a challenge then fails) */
  const char *instance_id;    /* UUID for +sip.instance, or NULL */
  guint expires_s;            /* asked for; the registrar may grant less */
} ZcSipRegistrationConfig;

ZcSipRegistration *zc_sip_registration_new (ZcSipUa *ua,
                                            const ZcSipRegistrationConfig *config,
                                            ZcSipRegFunc func,
                                            gpointer user_data);
/* Unregisters (Expires: 0, not waited for) when registered, then frees. */
void zc_sip_registration_free (ZcSipRegistration *reg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcSipRegistration, zc_sip_registration_free)

/* REGISTER to @to now (a registrar address from RFC 3263); the binding is
 * then refreshed on its own until it fails or the registration is freed. */
void zc_sip_registration_start (ZcSipRegistration *reg, const ZcSipFlow *to);

ZcSipRegState zc_sip_registration_get_state (const ZcSipRegistration *reg);
const ZcSipFlow *zc_sip_registration_get_flow (const ZcSipRegistration *reg);
/* Seconds the registrar granted, 0 until registered. */
guint zc_sip_registration_get_expires (const ZcSipRegistration *reg);
/* Our address and port as the registrar saw them (Via received/rport of
 * its 200), NULL until known. */
const char *zc_sip_registration_get_public_address (const ZcSipRegistration *reg);
guint16 zc_sip_registration_get_public_port (const ZcSipRegistration *reg);
/* "alice@example.test" */
const char *zc_sip_registration_get_aor (const ZcSipRegistration *reg);
