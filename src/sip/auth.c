/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sip"

#include "config.h"
#include "sip/auth.h"

#include "sip/digest.h"
#include "sip/stack.h"

#include <stdlib.h>
#include <string.h>

static char *
dequoted (const char *value)
{
  char *copy;

  if (value == NULL)
    return NULL;
  copy = g_strdup (value);
  osip_dequote (copy);
  return copy;
}

gboolean
zc_sip_auth_pick_challenge (osip_message_t *response, const char *realm, ZcSipAuthChallenge *out)
{
  osip_list_t *list = response->status_code == 407 ? &response->proxy_authenticates : &response->www_authenticates;
  osip_www_authenticate_t *best = NULL;
  int best_strength = 0;
  g_autofree char *stale = NULL;
  osip_list_iterator_t it;

  memset (out, 0, sizeof *out);
  for (osip_www_authenticate_t *wa = osip_list_get_first (list, &it); wa != NULL; wa = osip_list_get_next (&it)) {
    g_autofree char *algorithm = dequoted (osip_www_authenticate_get_algorithm (wa));
    int strength = zc_digest_algorithm_strength (algorithm);

    if (wa->auth_type == NULL || g_ascii_strcasecmp (wa->auth_type, "Digest") != 0)
      continue;
    if (realm != NULL) {
      g_autofree char *its_realm = dequoted (osip_www_authenticate_get_realm (wa));

      /* RFC 2617 1.2: realms compare as strings, case matters. */
      if (g_strcmp0 (its_realm, realm) != 0) {
        g_message ("ignoring a digest challenge for realm “%s”: the registrar's is “%s”", its_realm ? its_realm : "",
                   realm);
        continue;
      }
    }
    if (strength > best_strength) {
      best = wa;
      best_strength = strength;
    }
  }
  if (best == NULL)
    return FALSE;
  out->realm = dequoted (osip_www_authenticate_get_realm (best));
  out->nonce = dequoted (osip_www_authenticate_get_nonce (best));
  out->opaque = dequoted (osip_www_authenticate_get_opaque (best));
  out->algorithm = dequoted (osip_www_authenticate_get_algorithm (best));
  out->qop = dequoted (osip_www_authenticate_get_qop_options (best));
  stale = dequoted (osip_www_authenticate_get_stale (best));
  out->stale = stale != NULL && g_ascii_strcasecmp (stale, "true") == 0;
  out->proxy = response->status_code == 407;
  if (out->realm == NULL || out->nonce == NULL) {
    zc_sip_auth_challenge_clear (out);
    return FALSE;
  }
  return TRUE;
}

void
zc_sip_auth_challenge_clear (ZcSipAuthChallenge *challenge)
{
  g_clear_pointer (&challenge->realm, g_free);
  g_clear_pointer (&challenge->nonce, g_free);
  g_clear_pointer (&challenge->opaque, g_free);
  g_clear_pointer (&challenge->algorithm, g_free);
  g_clear_pointer (&challenge->qop, g_free);
  challenge->stale = FALSE;
  challenge->proxy = FALSE;
}

gboolean
zc_sip_auth_add_credentials (osip_message_t *request, const ZcSipAuthChallenge *challenge, const char *username,
                             const char *password, const char *method, const char *uri, guint nc)
{
  ZcDigestChallenge digest = {
    .realm = challenge->realm, .nonce = challenge->nonce, .opaque = challenge->opaque,
    .algorithm = challenge->algorithm, .qop = challenge->qop,
  };
  g_autofree char *auth = zc_digest_authorization (&digest, username, password, method, uri, NULL, nc);

  if (auth == NULL)
    return FALSE;
  if (challenge->proxy)
    osip_message_set_proxy_authorization (request, auth);
  else
    osip_message_set_authorization (request, auth);
  return TRUE;
}

osip_message_t *
zc_sip_auth_retry_request (osip_message_t *request, osip_message_t *response, const char *realm,
                           const char *username, const char *password)
{
  ZcSipAuthChallenge challenge = { 0 };
  osip_message_t *req = NULL;
  osip_via_t *via = NULL;
  g_autofree char *uri = NULL, *branch = zc_sip_new_branch ();
  g_autofree char *cseq = NULL;
  char *text = NULL;
  gboolean ok;

  if (!zc_sip_auth_pick_challenge (response, realm, &challenge))
    return NULL;
  if (request->req_uri != NULL && osip_uri_to_str (request->req_uri, &text) == 0) {
    uri = g_strdup (text);
    osip_free (text);
  } else {
    uri = g_strdup ("");
  }
  if (osip_message_clone (request, &req) != 0) {
    zc_sip_auth_challenge_clear (&challenge);
    return NULL;
  }
  ok = zc_sip_auth_add_credentials (req, &challenge, username, password, request->sip_method, uri, 1);
  zc_sip_auth_challenge_clear (&challenge);
  if (!ok) {
    osip_message_free (req);
    return NULL;
  }
  cseq = g_strdup_printf ("%d", atoi (req->cseq->number) + 1);
  osip_free (req->cseq->number);
  req->cseq->number = osip_strdup (cseq);
  via = osip_list_get (&req->vias, 0);
  if (via != NULL) {
    osip_generic_param_t *param = NULL;

    osip_via_param_get_byname (via, "branch", &param);
    if (param != NULL) {
      osip_free (param->gvalue);
      param->gvalue = osip_strdup (branch);
    }
  }
  return req;
}
