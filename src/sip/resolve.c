/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "resolve"

#include "config.h"
#include "sip/resolve.h"
#include "common/i18n.h"

#include <osipparser2/osip_uri.h>

#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <string.h>

G_DEFINE_QUARK (zc-sip-resolve-error-quark, zc_sip_resolve_error)

#define SIP_DEFAULT_PORT 5060
#define SIPS_DEFAULT_PORT 5061

/* What the URI fixes before any lookup (RFC 3263 4.1, 4.2). */
typedef struct {
  char *input;            /* as given, for messages */
  char *host;             /* without brackets */
  guint16 port;           /* 0: none in the URI */
  gboolean has_transport;
  ZcSipProto proto;       /* when has_transport */
  gboolean sips;          /* RFC 3261 26.2.2: TLS on every hop */
} Request;

static void
request_free (Request *req)
{
  g_free (req->input);
  g_free (req->host);
  g_free (req);
}

/* A host name GResolver can look up, or an IP literal. */
static gboolean
is_usable_host (const char *host)
{
  if (g_hostname_is_ip_address (host))
    return TRUE;
  if (*host == '\0' || strlen (host) > 253)
    return FALSE;
  for (const char *p = host; *p; p++) {
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.' && *p != '_')
      return FALSE;
  }
  return TRUE;
}

static gboolean
parse_uri_into (const char *input, const char *uri_text, Request *req, GError **error)
{
  osip_uri_t *uri = NULL;
  guint64 port = 0;
  gboolean ok = FALSE;

  if (osip_uri_init (&uri) != 0) {
    g_set_error (error, ZC_SIP_RESOLVE_ERROR, ZC_SIP_RESOLVE_ERROR_INVALID, _("out of memory"));
    return FALSE;
  }
  if (osip_uri_parse (uri, uri_text) != 0 || uri->host == NULL || !is_usable_host (uri->host)) {
    g_set_error (error, ZC_SIP_RESOLVE_ERROR, ZC_SIP_RESOLVE_ERROR_INVALID,
                 _("“%s” is not a SIP URI or host name"), input);
    goto out;
  }
  if (uri->port != NULL && !g_ascii_string_to_unsigned (uri->port, 10, 1, 65535, &port, NULL)) {
    g_set_error (error, ZC_SIP_RESOLVE_ERROR, ZC_SIP_RESOLVE_ERROR_INVALID,
                 _("“%s”: “%s” is not a port number (1-65535)"), input, uri->port);
    goto out;
  }
  osip_list_iterator_t it;

  for (const osip_uri_param_t *param = osip_list_get_first (&uri->url_params, &it); param != NULL;
       param = osip_list_get_next (&it)) {
    /* Other parameters (user=phone, lr, ...) do not change where to send. */
    if (g_ascii_strcasecmp (param->gname, "transport") != 0)
      continue;
    if (param->gvalue != NULL && g_ascii_strcasecmp (param->gvalue, "udp") == 0) {
      req->proto = ZC_SIP_UDP;
    } else if (param->gvalue != NULL && g_ascii_strcasecmp (param->gvalue, "tcp") == 0) {
      req->proto = ZC_SIP_TCP;
    } else if (param->gvalue != NULL && g_ascii_strcasecmp (param->gvalue, "tls") == 0) {
      req->proto = ZC_SIP_TLS;
    } else {
      g_set_error (error, ZC_SIP_RESOLVE_ERROR, ZC_SIP_RESOLVE_ERROR_INVALID,
                   _("“%s”: transport “%s” is not supported (udp, tcp or tls)"), input,
                   param->gvalue != NULL ? param->gvalue : "");
      goto out;
    }
    req->has_transport = TRUE;
  }
  /* sips: is TLS whatever transport= says (tcp is TLS over TCP); never UDP. */
  if (req->sips) {
    if (req->has_transport && req->proto == ZC_SIP_UDP) {
      g_set_error (error, ZC_SIP_RESOLVE_ERROR, ZC_SIP_RESOLVE_ERROR_INVALID,
                   _("“%s”: a sips: URI cannot use transport=udp"), input);
      goto out;
    }
    req->proto = ZC_SIP_TLS;
  }
  req->host = g_strdup (uri->host);
  req->port = (guint16) port;
  ok = TRUE;
out:
  osip_uri_free (uri);
  return ok;
}

static Request *
request_parse (const char *uri_or_host, GError **error)
{
  Request *req = g_new0 (Request, 1);
  g_autofree char *uri_text = NULL;

  req->input = g_strdup (uri_or_host != NULL ? uri_or_host : "");
  req->proto = ZC_SIP_UDP;
  if (*req->input == '\0') {
    g_set_error (error, ZC_SIP_RESOLVE_ERROR, ZC_SIP_RESOLVE_ERROR_INVALID, _("no SIP server name given"));
    goto fail;
  }
  for (const char *p = req->input; *p; p++) {
    if (g_ascii_isspace (*p) || g_ascii_iscntrl (*p)) {
      g_set_error (error, ZC_SIP_RESOLVE_ERROR, ZC_SIP_RESOLVE_ERROR_INVALID,
                   _("“%s” contains spaces or control characters"), req->input);
      goto fail;
    }
  }
  if (g_ascii_strncasecmp (req->input, "sips:", 5) == 0) {
    req->sips = TRUE;
    req->proto = ZC_SIP_TLS;
  }
  /* A bare IPv6 literal cannot go behind "sip:" without brackets. */
  if (g_hostname_is_ip_address (req->input)) {
    req->host = g_strdup (req->input);
    return req;
  }
  if (req->sips)
    uri_text = g_strconcat ("sip:", req->input + 5, NULL);
  else if (g_ascii_strncasecmp (req->input, "sip:", 4) == 0)
    uri_text = g_strconcat ("sip:", req->input + 4, NULL);
  else
    uri_text = g_strconcat ("sip:", req->input, NULL);
  if (!parse_uri_into (req->input, uri_text, req, error))
    goto fail;
  return req;
fail:
  request_free (req);
  return NULL;
}

/* ---- the targets list ---------------------------------------------------- */

/* Appends a target unless it is there already or the list is full;
 * returns FALSE once the list is full, to stop the caller early. */
static gboolean
add_target (GPtrArray *targets, ZcSipProto proto, const char *address, guint16 port)
{
  ZcSipTarget *target;

  if (targets->len >= ZC_SIP_RESOLVE_MAX_TARGETS)
    return FALSE;
  for (guint i = 0; i < targets->len; i++) {
    const ZcSipTarget *t = targets->pdata[i];

    if (t->proto == proto && t->port == port && g_str_equal (t->address, address))
      return TRUE;
  }
  target = g_new0 (ZcSipTarget, 1);
  target->proto = proto;
  g_strlcpy (target->address, address, sizeof target->address);
  target->port = port;
  g_ptr_array_add (targets, target);
  return targets->len < ZC_SIP_RESOLVE_MAX_TARGETS;
}

static gboolean
is_cancelled (GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* The A/AAAA records of @host (in the order getaddrinfo gives them,
 * RFC 6724), each as a target on @port.  FALSE with @error when the lookup
 * failed or was cancelled. */
static gboolean
add_address_targets (GResolver *resolver, const char *host, ZcSipProto proto, guint16 port, GPtrArray *targets,
                     GCancellable *cancellable, GError **error)
{
  GList *addresses = g_resolver_lookup_by_name (resolver, host, cancellable, error);

  if (addresses == NULL)
    return FALSE;
  for (GList *l = addresses; l != NULL; l = l->next) {
    g_autofree char *text = g_inet_address_to_string (l->data);

    g_debug ("%s -> %s %s %u", host, zc_sip_proto_to_string (proto), text, (guint) port);
    if (!add_target (targets, proto, text, port))
      break;
  }
  g_resolver_free_addresses (addresses);
  return TRUE;
}

/* The SRV records of @name in RFC 2782 order (priority, then weighted
 * random within a priority: g_srv_target_list_sort), then each target's
 * addresses.  Returns FALSE only when cancelled; a name without SRV
 * records or a target without addresses is just skipped. */
static gboolean
add_srv_targets (GResolver *resolver, const char *name, ZcSipProto proto, GPtrArray *targets,
                 GCancellable *cancellable, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  GList *records = g_resolver_lookup_records (resolver, name, G_RESOLVER_RECORD_SRV, cancellable, &local_error);
  GList *srvs = NULL;

  if (records == NULL) {
    if (is_cancelled (local_error)) {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
    g_debug ("no SRV records for %s: %s", name, local_error->message);
    return TRUE;
  }
  for (GList *l = records; l != NULL; l = l->next) {
    guint16 priority, weight, port;
    const char *host;

    g_variant_get (l->data, "(qqq&s)", &priority, &weight, &port, &host);
    srvs = g_list_prepend (srvs, g_srv_target_new (host, port, priority, weight));
  }
  g_list_free_full (records, (GDestroyNotify) g_variant_unref);
  /* Also drops the lone "." record that says "no such service here". */
  srvs = g_srv_target_list_sort (srvs);

  for (GList *l = srvs; l != NULL && targets->len < ZC_SIP_RESOLVE_MAX_TARGETS; l = l->next) {
    const char *host = g_srv_target_get_hostname (l->data);
    guint16 port = g_srv_target_get_port (l->data);

    g_debug ("%s -> SRV %s:%u", name, host, (guint) port);
    g_clear_error (&local_error);
    if (!add_address_targets (resolver, host, proto, port, targets, cancellable, &local_error)) {
      if (is_cancelled (local_error)) {
        g_propagate_error (error, g_steal_pointer (&local_error));
        g_list_free_full (srvs, (GDestroyNotify) g_srv_target_free);
        return FALSE;
      }
      g_debug ("SRV target %s of %s has no address: %s", host, name, local_error->message);
    }
  }
  g_list_free_full (srvs, (GDestroyNotify) g_srv_target_free);
  return TRUE;
}

/* ---- NAPTR through libresolv ------------------------------------------- */

typedef struct {
  guint16 order;
  guint16 preference;
  guint index;                    /* position in the answer: keeps ties stable */
  ZcSipProto proto;
  char replacement[NS_MAXDNAME];
} Naptr;

static int
naptr_compare (gconstpointer a, gconstpointer b)
{
  const Naptr *x = a;
  const Naptr *y = b;

  if (x->order != y->order)
    return x->order < y->order ? -1 : 1;
  if (x->preference != y->preference)
    return x->preference < y->preference ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

/* One <character-string> (RFC 1035 3.3) at *@p, copied into @out. */
static gboolean
read_character_string (const unsigned char **p, const unsigned char *end, char *out, gsize out_size)
{
  gsize len;

  if (*p >= end)
    return FALSE;
  len = **p;
  if ((gsize) (end - *p - 1) < len || len >= out_size)
    return FALSE;
  memcpy (out, *p + 1, len);
  out[len] = '\0';
  *p += 1 + len;
  return TRUE;
}

/* Parses one NAPTR RDATA (RFC 3403 4.1) and keeps it when it says "SIP over
 * UDP or TCP, look up the SRV records of the replacement" (RFC 3263 4.1). */
static gboolean
parse_naptr (ns_msg *msg, ns_rr *rr, Naptr *out)
{
  const unsigned char *p = ns_rr_rdata (*rr);
  const unsigned char *end = p + ns_rr_rdlen (*rr);
  char flags[256], services[256], regexp[256];

  if (end - p < 4)
    return FALSE;
  out->order = (guint16) (p[0] << 8 | p[1]);
  out->preference = (guint16) (p[2] << 8 | p[3]);
  p += 4;
  if (!read_character_string (&p, end, flags, sizeof flags) ||
      !read_character_string (&p, end, services, sizeof services) ||
      !read_character_string (&p, end, regexp, sizeof regexp))
    return FALSE;
  if (dn_expand (ns_msg_base (*msg), ns_msg_end (*msg), p, out->replacement, sizeof out->replacement) < 0)
    return FALSE;

  if (g_ascii_strcasecmp (services, "SIP+D2U") == 0)
    out->proto = ZC_SIP_UDP;
  else if (g_ascii_strcasecmp (services, "SIP+D2T") == 0)
    out->proto = ZC_SIP_TCP;
  else if (g_ascii_strcasecmp (services, "SIPS+D2T") == 0)
    out->proto = ZC_SIP_TLS;
  else
    return FALSE;   /* SIP+D2S (SCTP), ...: not ours */
  /* RFC 3263 4.1: SIP NAPTRs are terminal with flag "S" and use the
   * replacement, never a regexp. */
  if (g_ascii_strcasecmp (flags, "s") != 0 || *regexp != '\0' || out->replacement[0] == '\0' ||
      g_str_equal (out->replacement, "."))
    return FALSE;
  return TRUE;
}

/* The usable NAPTR records of @domain, sorted by order then preference
 * (the client sorts, RFC 3403 4.1).  Empty when there are none or DNS did
 * not answer: RFC 3263 4.1 then goes on with SRV. */
static GArray *
lookup_naptr (const char *domain)
{
  GArray *naptrs = g_array_new (FALSE, TRUE, sizeof (Naptr));
  /* Answers come over TCP when truncated, so they may be long. */
  g_autofree unsigned char *answer = g_malloc (NS_MAXMSG);
  struct __res_state state;
  ns_msg msg;
  int len;

  /* A private resolver state per lookup: res_nquery is thread-safe on it. */
  memset (&state, 0, sizeof state);
  if (res_ninit (&state) != 0) {
    g_debug ("res_ninit failed; no NAPTR lookup for %s", domain);
    return naptrs;
  }
  len = res_nquery (&state, domain, ns_c_in, ns_t_naptr, answer, NS_MAXMSG);
  if (len < 0)
    g_debug ("no NAPTR records for %s (%s)", domain, hstrerror (state.res_h_errno));
  res_nclose (&state);
  if (len < 0)
    return naptrs;
  if (ns_initparse (answer, MIN (len, NS_MAXMSG), &msg) < 0) {
    g_debug ("unparsable NAPTR answer for %s", domain);
    return naptrs;
  }
  for (int i = 0; i < ns_msg_count (msg, ns_s_an); i++) {
    ns_rr rr;
    Naptr naptr = { 0 };

    /* CNAMEs in the chain come first; only the NAPTRs count. */
    if (ns_parserr (&msg, ns_s_an, i, &rr) < 0 || ns_rr_type (rr) != ns_t_naptr)
      continue;
    naptr.index = (guint) i;
    if (parse_naptr (&msg, &rr, &naptr)) {
      g_debug ("%s -> NAPTR %u %u %s %s", domain, naptr.order, naptr.preference,
               zc_sip_proto_to_string (naptr.proto), naptr.replacement);
      g_array_append_val (naptrs, naptr);
    }
  }
  g_array_sort (naptrs, naptr_compare);
  return naptrs;
}

/* ---- the lookup, in a worker thread ----------------------------------- */

/* The addresses of @host as targets.  A failed lookup is kept in
 * *@last_error for the final message; FALSE only when cancelled. */
static gboolean
try_addresses (GResolver *resolver, const char *host, ZcSipProto proto, guint16 port, GPtrArray *targets,
               GCancellable *cancellable, GError **last_error, GError **error)
{
  g_clear_error (last_error);
  if (add_address_targets (resolver, host, proto, port, targets, cancellable, last_error))
    return TRUE;
  if (is_cancelled (*last_error)) {
    g_propagate_error (error, g_steal_pointer (last_error));
    return FALSE;
  }
  return TRUE;
}

/* RFC 3263 4.1/4.2 for a host name.  FALSE only when cancelled; an empty
 * @targets with *@last_error set otherwise means nothing was found. */
static gboolean
resolve_name (GResolver *resolver, const Request *req, GPtrArray *targets, GCancellable *cancellable,
              GError **last_error, GError **error)
{
  ZcSipProto proto = req->has_transport || req->sips ? req->proto : ZC_SIP_UDP;
  guint16 default_port = proto == ZC_SIP_TLS ? SIPS_DEFAULT_PORT : SIP_DEFAULT_PORT;

  /* An explicit port: the host's addresses only (RFC 3263 4.2). */
  if (req->port != 0)
    return try_addresses (resolver, req->host, proto, req->port, targets, cancellable, last_error, error);

  if (req->has_transport) {
    /* Transport fixed by the URI: no NAPTR, the SRV of that transport. */
    g_autofree char *name = g_strdup_printf (proto == ZC_SIP_TLS   ? "_sips._tcp.%s"
                                             : proto == ZC_SIP_TCP ? "_sip._tcp.%s"
                                                                   : "_sip._udp.%s",
                                             req->host);

    if (!add_srv_targets (resolver, name, proto, targets, cancellable, error))
      return FALSE;
  } else {
    g_autoptr (GArray) naptrs = lookup_naptr (req->host);

    if (g_cancellable_set_error_if_cancelled (cancellable, error))
      return FALSE;
    for (guint i = 0; i < naptrs->len && targets->len < ZC_SIP_RESOLVE_MAX_TARGETS; i++) {
      const Naptr *naptr = &g_array_index (naptrs, Naptr, i);

      /* A sips: URI takes SIPS+D2T only (RFC 3263 4.1); a sip: one
       * leaves TLS to servers that ask for it by NAPTR, so that an agent
       * configured for plain SIP keeps what it had. */
      if (req->sips != (naptr->proto == ZC_SIP_TLS))
        continue;
      if (!add_srv_targets (resolver, naptr->replacement, naptr->proto, targets, cancellable, error))
        return FALSE;
    }
    /* No NAPTR: SRV for each transport we support, UDP first (RFC 3263
     * 4.1 leaves the order to the client; UDP is what every server has). */
    if (naptrs->len == 0 && req->sips) {
      g_autofree char *sips = g_strdup_printf ("_sips._tcp.%s", req->host);

      if (!add_srv_targets (resolver, sips, ZC_SIP_TLS, targets, cancellable, error))
        return FALSE;
    } else if (naptrs->len == 0) {
      g_autofree char *udp = g_strdup_printf ("_sip._udp.%s", req->host);
      g_autofree char *tcp = g_strdup_printf ("_sip._tcp.%s", req->host);

      if (!add_srv_targets (resolver, udp, ZC_SIP_UDP, targets, cancellable, error) ||
          !add_srv_targets (resolver, tcp, ZC_SIP_TCP, targets, cancellable, error))
        return FALSE;
    }
  }
  if (targets->len > 0)
    return TRUE;
  /* No SRV (or none that resolved): the host itself, port 5060 (5061). */
  return try_addresses (resolver, req->host, proto, default_port, targets, cancellable, last_error, error);
}

static void
resolve_thread (GTask *task, gpointer source G_GNUC_UNUSED, gpointer task_data, GCancellable *cancellable)
{
  const Request *req = task_data;
  g_autoptr (GResolver) resolver = g_resolver_get_default ();
  g_autoptr (GPtrArray) targets = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) last_error = NULL;
  g_autoptr (GError) error = NULL;
  gboolean ok = resolve_name (resolver, req, targets, cancellable, &last_error, &error);

  if (ok && targets->len == 0) {
    /* The name's own lookup says why best: unknown name or no answer. */
    gboolean temporary = g_error_matches (last_error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_TEMPORARY_FAILURE);

    g_set_error (&error, ZC_SIP_RESOLVE_ERROR,
                 temporary ? ZC_SIP_RESOLVE_ERROR_FAILED : ZC_SIP_RESOLVE_ERROR_NOT_FOUND,
                 temporary ? _("cannot look up the SIP server “%s”: %s")
                           : _("no SIP server found for “%s” (no NAPTR, SRV or address records): %s"),
                 req->host, last_error != NULL ? last_error->message : _("no records"));
    ok = FALSE;
  }
  /* The caller may have had its cancellation already (return-on-cancel). */
  if (!g_task_set_return_on_cancel (task, FALSE))
    return;
  if (ok)
    g_task_return_pointer (task, g_steal_pointer (&targets), (GDestroyNotify) g_ptr_array_unref);
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

void
zc_sip_resolve_async (const char *uri_or_host, GCancellable *cancellable, GAsyncReadyCallback callback,
                      gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr (GError) error = NULL;
  Request *req;

  g_task_set_source_tag (task, zc_sip_resolve_async);
  if (g_task_return_error_if_cancelled (task))
    return;
  req = request_parse (uri_or_host, &error);
  if (req == NULL) {
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }
  /* A numeric host needs no lookup (RFC 3263 4.1, 4.2). */
  if (g_hostname_is_ip_address (req->host)) {
    GPtrArray *targets = g_ptr_array_new_with_free_func (g_free);
    g_autoptr (GInetAddress) address = g_inet_address_new_from_string (req->host);
    g_autofree char *text = address != NULL ? g_inet_address_to_string (address) : g_strdup (req->host);

    ZcSipProto proto = req->has_transport || req->sips ? req->proto : ZC_SIP_UDP;

    add_target (targets, proto, text,
                req->port != 0 ? req->port : proto == ZC_SIP_TLS ? SIPS_DEFAULT_PORT : SIP_DEFAULT_PORT);
    request_free (req);
    g_task_return_pointer (task, targets, (GDestroyNotify) g_ptr_array_unref);
    return;
  }
  g_task_set_task_data (task, req, (GDestroyNotify) request_free);
  /* A DNS server that does not answer must not hold up a cancel. */
  g_task_set_return_on_cancel (task, TRUE);
  g_task_run_in_thread (task, resolve_thread);
}

GPtrArray *
zc_sip_resolve_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == zc_sip_resolve_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
