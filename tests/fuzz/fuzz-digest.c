/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer harness for digest challenges (RFC 3261 22.4, RFC 7616,
 * RFC 8760): each input line is the value of one WWW-Authenticate header
 * (Proxy-Authenticate when the first byte is odd) of a 401/407.  The
 * challenge is picked and parsed as the user agent does
 * (zc_sip_auth_pick_challenge() in sip/auth.c) and answered
 * (zc_digest_authorization(), as zc_sip_auth_add_credentials() does). */
#include "config.h"

#include "sip/digest.h"
#include "sip/auth.h"
#include "fuzz-common.h"

#include <osipparser2/osip_parser.h>
#include <string.h>

/* More headers than any server sends; the cost per input stays bounded. */
#define MAX_CHALLENGES 16

int
LLVMFuzzerInitialize (int *argc G_GNUC_UNUSED, char ***argv G_GNUC_UNUSED)
{
  parser_init ();
  fuzz_quiet_log ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  osip_message_t *response = NULL;
  ZcSipAuthChallenge challenge;
  gboolean proxy;

  if (size == 0 || size > 8192)
    return 0;
  proxy = data[0] & 1;
  text = g_strndup ((const char *) data + 1, size - 1);
  lines = g_strsplit (text, "\n", MAX_CHALLENGES + 1);
  if (osip_message_init (&response) != 0)
    return 0;
  osip_message_set_status_code (response, proxy ? 407 : 401);
  for (guint i = 0; lines[i] != NULL && i < MAX_CHALLENGES; i++) {
    if (proxy)
      osip_message_set_proxy_authenticate (response, lines[i]);
    else
      osip_message_set_www_authenticate (response, lines[i]);
  }

  if (zc_sip_auth_pick_challenge (response, NULL, &challenge)) {
    ZcDigestChallenge picked = {
      .realm = challenge.realm,
      .nonce = challenge.nonce,
      .opaque = challenge.opaque,
      .algorithm = challenge.algorithm,
      .qop = challenge.qop,
    };
    g_autofree char *answer = zc_digest_authorization (&picked, "fuzz", "secret", "INVITE", "sip:fuzz@198.18.0.1",
                                                       NULL, 1);
    g_autofree char *again = zc_digest_authorization (&picked, "fuzz", "secret", "REGISTER", "sip:198.18.0.1",
                                                      NULL, G_MAXUINT);

    g_assert ((answer == NULL) == (again == NULL));
    if (answer != NULL)
      g_assert (g_str_has_prefix (answer, "Digest username=\"fuzz\""));
    zc_sip_auth_challenge_clear (&challenge);
  }
  osip_message_free (response);

  /* The compute half alone, on raw fields: the last lines, unparsed. */
  {
    guint n = g_strv_length (lines);
    ZcDigestChallenge raw = {
      .realm = n > 0 ? lines[0] : NULL,
      .nonce = n > 1 ? lines[1] : NULL,
      .algorithm = n > 2 ? lines[2] : NULL,
      .qop = n > 3 ? lines[3] : NULL,
      .opaque = n > 4 ? lines[4] : NULL,
    };
    g_autofree char *answer = zc_digest_authorization (&raw, "fuzz", "secret", "BYE", "sip:x", "0a4f113b", 1);

    (void) zc_digest_algorithm_strength (raw.algorithm);
    (void) answer;
  }
  return 0;
}
