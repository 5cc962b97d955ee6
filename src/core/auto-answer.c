/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Whom auto-answer applies to ([calls] auto-answer-from).  Auto-answer
 * opens the microphone to a caller without anyone touching the PC, so it
 * rests on what the call proves, never on what it claims: a From display
 * name is anyone's to set, and so is the name in a DNS-SD advert. */
#define G_LOG_DOMAIN "calls"

#include "config.h"
#include "core/call-private.h"

#include "core/targets.h"

#include <string.h>

/* "sip:user@host" of a URI, host lower-case, without port or parameters;
 * NULL when it has no user or host. */
static char *
uri_user_host (const char *uri)
{
  const char *p = uri;
  const char *at, *host_end;
  g_autofree char *host = NULL;

  if (g_ascii_strncasecmp (p, "sip:", 4) == 0)
    p += 4;
  else if (g_ascii_strncasecmp (p, "sips:", 5) == 0)
    p += 5;
  at = strchr (p, '@');
  if (at == NULL || at == p)
    return NULL;
  if (at[1] == '[')
    host_end = strchr (at + 1, ']') ? strchr (at + 1, ']') + 1 : NULL;
  else
    host_end = at + 1 + strcspn (at + 1, ":;?>");
  if (host_end == NULL || host_end == at + 1)
    return NULL;
  host = g_ascii_strdown (at + 1, host_end - (at + 1));
  return g_strdup_printf ("sip:%.*s@%s", (int) (at - p), p, host);
}

/* The host of "sip:user@host" without IPv6 brackets. */
static char *
entry_host (const char *entry)
{
  const char *host = strchr (entry, '@') + 1;

  if (*host == '[')
    return g_strndup (host + 1, strcspn (host + 1, "]"));
  return g_strdup (host);
}

/* A URI entry names a caller the network cannot simply claim to be:
 * through the rendezvous, the registrar asserts the From address of its
 * authenticated users; on the LAN, the host must be the address the
 * request came from (a forged source address gets no responses, so the
 * dialog never forms). */
static gboolean
uri_matches (ZcCall *call, const char *entry)
{
  g_autofree char *from = call->peer_uri != NULL ? uri_user_host (call->peer_uri) : NULL;
  g_autofree char *host = NULL;

  if (from == NULL || strcmp (from, entry) != 0)
    return FALSE;
  if (call->via_rendezvous)
    return TRUE;
  host = entry_host (entry);
  return g_strcmp0 (host, call->flow.address) == 0;
}

/* The discovered zcall peer at the call's source address whose pinned key
 * the offer carries: DTLS then has to prove that key before a frame is
 * sent or played (call-stream.c), or the call ends.  NULL otherwise; a
 * call without an offer (late offer) proves nothing yet. */
static GVariant *
pinned_caller (ZcCall *call)
{
  g_autoptr (GVariant) peer = NULL;
  const char *fingerprint = "";

  if (call->via_rendezvous || call->claimed_fingerprint == NULL || call->offer.remote == NULL
      || call->calls->peers == NULL)
    return NULL;
  peer = zc_target_peer_by_address (call->calls->peers, call->flow.address);
  if (peer == NULL || !g_variant_lookup (peer, "fingerprint", "&s", &fingerprint)
      || g_strcmp0 (fingerprint, call->claimed_fingerprint) != 0
      || zc_call_stream_check_pin (call, call->offer.remote) != NULL)
    return NULL;
  return g_steal_pointer (&peer);
}

static gboolean
names_equal (const char *a, const char *b)
{
  g_autofree char *fa = g_utf8_casefold (a, -1);
  g_autofree char *fb = g_utf8_casefold (b, -1);

  return g_strcmp0 (fa, fb) == 0;
}

const char *
zc_call_auto_answer_match (ZcCall *call)
{
  const char *const *entries = (const char *const *) call->calls->config->auto_answer_from;
  g_autoptr (GVariant) peer = pinned_caller (call);
  const char *trust = "";
  const char *name = "";

  if (peer != NULL) {
    g_variant_lookup (peer, "trust", "&s", &trust);
    g_variant_lookup (peer, "name", "&s", &name);
    /* "new" is a key first seen now: whoever advertised it. */
    if (!g_str_equal (trust, "known") && !g_str_equal (trust, "verified"))
      g_clear_pointer (&peer, g_variant_unref);
  }
  for (guint i = 0; entries != NULL && entries[i] != NULL; i++) {
    const char *entry = entries[i];

    if (g_str_equal (entry, "*"))
      return entry;
    if (g_str_equal (entry, "trusted")) {
      if (peer != NULL && g_str_equal (trust, "verified"))
        return entry;
    } else if (g_str_equal (entry, "known")) {
      if (peer != NULL)
        return entry;
    } else if (g_str_has_prefix (entry, "sip:")) {
      if (uri_matches (call, entry))
        return entry;
    } else if (peer != NULL && names_equal (entry, name)) {
      return entry;
    }
  }
  return NULL;
}
