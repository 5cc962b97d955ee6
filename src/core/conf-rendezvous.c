/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The [rendezvous] keys: registrar URI, STUN/TURN servers and the secrets
 * read from their own files. */
#define G_LOG_DOMAIN "config"

#include "config.h"
#include "core/conf.h"
#include "core/conf-private.h"
#include "common/i18n.h"
#include "trust/fingerprint.h"

#include <gio/gio.h>
#include <osipparser2/osip_uri.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- [rendezvous] ------------------------------------------------------ */

/* A DNS name made of RFC 1123 2.1 labels, or an IPv4/IPv6 literal. */
static gboolean
is_valid_host (const char *host)
{
  g_auto (GStrv) labels = NULL;
  size_t len = strlen (host);

  if (g_hostname_is_ip_address (host))
    return TRUE;
  if (len == 0 || len > 253)
    return FALSE;
  labels = g_strsplit (host, ".", -1);
  for (guint i = 0; labels[i] != NULL; i++) {
    size_t label_len = strlen (labels[i]);

    if (label_len == 0 || label_len > 63 || labels[i][0] == '-' || labels[i][label_len - 1] == '-')
      return FALSE;
    for (const char *p = labels[i]; *p; p++) {
      if (!g_ascii_isalnum (*p) && *p != '-')
        return FALSE;
    }
  }
  return TRUE;
}

/* "host", "host:port", "[v6]", "[v6]:port" or a bare IPv6 literal, as
 * "host:port" with the host in lower case and IPv6 in brackets, so every
 * consumer splits it the same way. */
static gboolean
parse_host_port (const char *value, guint16 default_port, char **out, char **reason)
{
  g_autofree char *host = NULL;
  const char *port_text = NULL;
  guint64 port = default_port;

  if (value[0] == '[') {
    const char *close = strchr (value, ']');

    if (close != NULL) {
      host = g_strndup (value + 1, (gsize) (close - value - 1));
      if (close[1] == ':')
        port_text = close + 2;
      else if (close[1] != '\0')
        g_clear_pointer (&host, g_free);
    }
    if (host != NULL && (strchr (host, ':') == NULL || !g_hostname_is_ip_address (host)))
      g_clear_pointer (&host, g_free);
  } else {
    const char *colon = strchr (value, ':');

    if (colon != NULL && strchr (colon + 1, ':') != NULL) {
      /* Several colons: an IPv6 address, which cannot carry a port
       * without brackets. */
      if (g_hostname_is_ip_address (value))
        host = g_strdup (value);
    } else {
      host = colon != NULL ? g_strndup (value, (gsize) (colon - value)) : g_strdup (value);
      port_text = colon != NULL ? colon + 1 : NULL;
      if (!is_valid_host (host))
        g_clear_pointer (&host, g_free);
    }
  }
  if (host == NULL) {
    *reason = g_strdup_printf (_("“%s” is not a host name or address with an optional port (host[:port])"), value);
    return FALSE;
  }
  if (port_text != NULL && !zc_conf_parse_uint_range (port_text, 1, 65535, &port)) {
    *reason = g_strdup_printf (_("“%s” is not a port number (1-65535)"), port_text);
    return FALSE;
  }
  g_free (*out);
  if (strchr (host, ':') != NULL) {
    *out = g_strdup_printf ("[%s]:%u", host, (guint) port);
  } else {
    g_autofree char *lower = g_ascii_strdown (host, -1);
    *out = g_strdup_printf ("%s:%u", lower, (guint) port);
  }
  return TRUE;
}

/* Checks a parsed registrar URI and writes its normalised form: what the
 * RFC 3263 resolver needs (host, port, transport) plus lr, nothing else,
 * so a typo in a parameter is reported instead of silently sent. */
static gboolean
normalise_registrar (const osip_uri_t *uri, const char *value, gboolean sips, char **out, char **reason)
{
  g_autoptr (GString) text = g_string_new (sips ? "sips:" : "sip:");
  g_autofree char *transport = NULL;
  gboolean lr = FALSE;
  guint64 port = 0;

  if (uri->username != NULL) {
    *reason = g_strdup_printf (_("“%s”: a registrar URI has no user part"), value);
    return FALSE;
  }
  if (osip_list_size (&uri->url_headers) > 0) {
    *reason = g_strdup_printf (_("“%s”: URI headers (?…) are not allowed here"), value);
    return FALSE;
  }
  if (strchr (uri->host, ':') != NULL ? !g_hostname_is_ip_address (uri->host) : !is_valid_host (uri->host)) {
    *reason = g_strdup_printf (_("“%s”: “%s” is not a host name or IP address"), value, uri->host);
    return FALSE;
  }
  if (uri->port != NULL && !zc_conf_parse_uint_range (uri->port, 1, 65535, &port)) {
    *reason = g_strdup_printf (_("“%s”: “%s” is not a port number (1-65535)"), value, uri->port);
    return FALSE;
  }
  for (int i = 0; i < osip_list_size (&uri->url_params); i++) {
    const osip_uri_param_t *param = osip_list_get (&uri->url_params, i);

    if (g_ascii_strcasecmp (param->gname, "transport") == 0) {
      if (param->gvalue == NULL ||
          (g_ascii_strcasecmp (param->gvalue, "udp") != 0 && g_ascii_strcasecmp (param->gvalue, "tcp") != 0 &&
           g_ascii_strcasecmp (param->gvalue, "tls") != 0)) {
        *reason = g_strdup_printf (_("“%s”: transport must be udp, tcp or tls"), value);
        return FALSE;
      }
      /* RFC 3261 26.2.2: sips: is TLS on every hop, never UDP. */
      if (sips && g_ascii_strcasecmp (param->gvalue, "udp") == 0) {
        *reason = g_strdup_printf (_("“%s”: a sips: URI cannot use transport=udp"), value);
        return FALSE;
      }
      g_free (transport);
      transport = g_ascii_strdown (param->gvalue, -1);
    } else if (g_ascii_strcasecmp (param->gname, "lr") == 0) {
      lr = TRUE;
    } else {
      *reason = g_strdup_printf (_("“%s”: unsupported URI parameter “%s” (only transport= and lr)"), value,
                                 param->gname);
      return FALSE;
    }
  }

  if (strchr (uri->host, ':') != NULL) {
    g_string_append_printf (text, "[%s]", uri->host);
  } else {
    g_autofree char *host = g_ascii_strdown (uri->host, -1);
    g_string_append (text, host);
  }
  if (port != 0)
    g_string_append_printf (text, ":%u", (guint) port);
  if (transport != NULL)
    g_string_append_printf (text, ";transport=%s", transport);
  if (lr)
    g_string_append (text, ";lr");
  g_free (*out);
  *out = g_string_free (g_steal_pointer (&text), FALSE);
  return TRUE;
}

gboolean
zc_conf_parse_registrar (ZcConfig *config, const char *value, char **reason)
{
  g_autofree char *uri_text = NULL;
  osip_uri_t *uri = NULL;
  gboolean ok;

  gboolean sips = g_ascii_strncasecmp (value, "sips:", 5) == 0;

  /* A bare domain or host[:port] is the sip: URI of that host. */
  if (sips)
    uri_text = g_strconcat ("sip:", value + 5, NULL);
  else if (g_ascii_strncasecmp (value, "sip:", 4) == 0)
    uri_text = g_strconcat ("sip:", value + 4, NULL);
  else
    uri_text = g_strconcat ("sip:", value, NULL);
  for (const char *p = value; *p; p++) {
    if (g_ascii_isspace (*p) || g_ascii_iscntrl (*p)) {
      *reason = g_strdup_printf (_("“%s” contains spaces or control characters"), value);
      return FALSE;
    }
  }
  if (osip_uri_init (&uri) != 0) {
    *reason = g_strdup (_("out of memory"));
    return FALSE;
  }
  if (osip_uri_parse (uri, uri_text) != 0 || uri->host == NULL || *uri->host == '\0') {
    *reason = g_strdup_printf (_("“%s” is not a SIP URI, domain or host[:port]"), value);
    ok = FALSE;
  } else {
    ok = normalise_registrar (uri, value, sips, &config->registrar, reason);
  }
  osip_uri_free (uri);
  return ok;
}

gboolean
zc_conf_parse_rdv_username (ZcConfig *config, const char *value, char **reason)
{
  if (!zc_config_is_valid_sip_user (value)) {
    *reason = g_strdup_printf (_("“%s” is not a valid SIP user name (letters, digits and -_.!~*'() only)"), value);
    return FALSE;
  }
  g_free (config->rdv_username);
  config->rdv_username = g_strdup (value);
  return TRUE;
}

/* Overwrites a secret before its memory goes back to the allocator. */
void
zc_conf_free_secret (char *secret)
{
  if (secret == NULL)
    return;
  explicit_bzero (secret, strlen (secret));
  g_free (secret);
}

/* The longest first line taken from a password file. */
#define SECRET_MAX_BYTES 4096

/* Secrets live in their own files, not in zcall.conf, which is shared and
 * copied around (and /etc/xdg/zcall/zcall.conf is world-readable).  Like
 * ssh with a private key, a file other users could read or change is
 * refused rather than used.  A relative name is taken from the directory of
 * the configuration file.  Nothing here ever prints the secret. */
static gboolean
read_secret_file (ZcConfig *config, const char *value, char **out, char **reason)
{
  g_autofree char *path = NULL;
  char buf[SECRET_MAX_BYTES + 1];
  gsize len = 0;
  struct stat st;
  const char *newline;
  int fd;

  if (*value == '\0') {
    *reason = g_strdup (_("empty file name"));
    return FALSE;
  }
  if (g_path_is_absolute (value)) {
    path = g_strdup (value);
  } else {
    g_autofree char *dir = g_path_get_dirname (config->path);
    path = g_build_filename (dir, value, NULL);
  }
  /* O_NONBLOCK: a FIFO must not hang the start; it is refused below. */
  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    int saved = errno;
    *reason = g_strdup_printf (_("cannot open password file “%s”: %s"), path, g_strerror (saved));
    return FALSE;
  }
  /* fstat on the descriptor read from: no window between check and use. */
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode)) {
    *reason = g_strdup_printf (_("password file “%s” is not a regular file"), path);
    close (fd);
    return FALSE;
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    *reason = g_strdup_printf (_("password file “%s” has mode %04o: other users could read or change it; "
                                 "run “chmod 600 %s”"),
                               path, (guint) (st.st_mode & 07777), path);
    close (fd);
    return FALSE;
  }
  while (len < SECRET_MAX_BYTES) {
    ssize_t n = read (fd, buf + len, SECRET_MAX_BYTES - len);

    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int saved = errno;
      *reason = g_strdup_printf (_("cannot read password file “%s”: %s"), path, g_strerror (saved));
      close (fd);
      explicit_bzero (buf, sizeof buf);
      return FALSE;
    }
    if (n == 0)
      break;
    len += (gsize) n;
  }
  close (fd);
  buf[len] = '\0';

  newline = memchr (buf, '\n', len);
  if (newline == NULL && len == SECRET_MAX_BYTES) {
    *reason = g_strdup_printf (_("password file “%s”: the first line is longer than %d bytes"), path,
                               SECRET_MAX_BYTES);
    explicit_bzero (buf, sizeof buf);
    return FALSE;
  }
  if (newline != NULL)
    len = (gsize) (newline - buf);
  if (len > 0 && buf[len - 1] == '\r')
    len--;
  buf[len] = '\0';
  if (len == 0 || memchr (buf, '\0', len) != NULL) {
    *reason = g_strdup_printf (len == 0 ? _("password file “%s” is empty (the password is its first line)")
                                        : _("password file “%s” contains a NUL byte"),
                               path);
    explicit_bzero (buf, sizeof buf);
    return FALSE;
  }
  zc_conf_free_secret (*out);
  *out = g_strndup (buf, len);
  explicit_bzero (buf, sizeof buf);
  return TRUE;
}

gboolean
zc_conf_parse_rdv_password_file (ZcConfig *config, const char *value, char **reason)
{
  return read_secret_file (config, value, &config->rdv_password, reason);
}

gboolean
zc_conf_parse_stun_server (ZcConfig *config, const char *value, char **reason)
{
  return parse_host_port (value, ZC_DEFAULT_STUN_PORT, &config->stun_server, reason);
}

/* RFC 7065 TURN URIs besides a bare host[:port] (TURN over UDP):
 * "turn:host[:port][?transport=udp|tcp]" and "turns:host[:port]" (TLS over
 * TCP, port 5349 unless set), for networks that let only TCP or only TLS
 * out.  Stored as "host:port", "turn:host:port?transport=tcp" or
 * "turns:host:port". */
gboolean
zc_conf_parse_turn_server (ZcConfig *config, const char *value, char **reason)
{
  g_autofree char *hostport = NULL;
  g_autofree char *rest = NULL;
  const char *query;
  gboolean tls = FALSE, tcp = FALSE;

  if (g_ascii_strncasecmp (value, "turns:", 6) == 0) {
    tls = TRUE;
    rest = g_strdup (value + 6);
  } else if (g_ascii_strncasecmp (value, "turn:", 5) == 0) {
    rest = g_strdup (value + 5);
  } else {
    return parse_host_port (value, ZC_DEFAULT_STUN_PORT, &config->turn_server, reason);
  }
  query = strchr (rest, '?');
  if (query != NULL) {
    /* turns: is TLS over TCP by definition (RFC 7065 3.1). */
    if (!tls && g_ascii_strcasecmp (query, "?transport=tcp") == 0) {
      tcp = TRUE;
    } else if (tls || g_ascii_strcasecmp (query, "?transport=udp") != 0) {
      *reason = g_strdup_printf (_("“%s”: only ?transport=udp or ?transport=tcp (turn:) may follow the host"),
                                 value);
      return FALSE;
    }
    rest[query - rest] = '\0';
  }
  if (!parse_host_port (rest, tls ? ZC_DEFAULT_TURNS_PORT : ZC_DEFAULT_STUN_PORT, &hostport, reason))
    return FALSE;
  g_free (config->turn_server);
  if (tls)
    config->turn_server = g_strconcat ("turns:", hostport, NULL);
  else if (tcp)
    config->turn_server = g_strconcat ("turn:", hostport, "?transport=tcp", NULL);
  else
    config->turn_server = g_steal_pointer (&hostport);
  return TRUE;
}

/* A PEM file of CA certificates for a TLS server's chain: relative to the
 * configuration file's directory, and read now, so that a wrong path is
 * reported at start, not as a connection that fails with "not trusted". */
static gboolean
parse_ca_file (const ZcConfig *config, const char *value, char **out, char **reason)
{
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;
  g_autolist (GTlsCertificate) certs = NULL;

  if (*value == '\0') {
    *reason = g_strdup (_("empty file name"));
    return FALSE;
  }
  if (g_path_is_absolute (value)) {
    path = g_strdup (value);
  } else {
    g_autofree char *dir = g_path_get_dirname (config->path);
    path = g_build_filename (dir, value, NULL);
  }
  certs = g_tls_certificate_list_new_from_file (path, &error);
  if (certs == NULL) {
    *reason = g_strdup_printf (_("cannot read CA certificates from “%s”: %s"), path,
                               error != NULL ? error->message : _("no certificate in the file"));
    return FALSE;
  }
  g_free (*out);
  *out = g_steal_pointer (&path);
  return TRUE;
}

gboolean
zc_conf_parse_turn_ca_file (ZcConfig *config, const char *value, char **reason)
{
  return parse_ca_file (config, value, &config->turn_ca_file, reason);
}

gboolean
zc_conf_registrar_is_tls (const ZcConfig *config)
{
  return config->registrar != NULL &&
         (g_str_has_prefix (config->registrar, "sips:") || strstr (config->registrar, ";transport=tls") != NULL);
}

gboolean
zc_conf_parse_rdv_ca_file (ZcConfig *config, const char *value, char **reason)
{
  return parse_ca_file (config, value, &config->rdv_ca_file, reason);
}

gboolean
zc_conf_parse_server_fingerprint (ZcConfig *config, const char *value, char **reason)
{
  g_autoptr (GError) error = NULL;
  char *normal = zc_fingerprint_normalize (value, &error);

  if (normal == NULL) {
    *reason = g_strdup_printf (_("“%s” is not a SHA-256 certificate fingerprint: %s"), value, error->message);
    return FALSE;
  }
  g_free (config->rdv_server_fingerprint);
  config->rdv_server_fingerprint = normal;
  return TRUE;
}

gboolean
zc_conf_parse_turn_username (ZcConfig *config, const char *value, char **reason)
{
  /* RFC 8489 14.3: USERNAME is UTF-8 of fewer than 513 bytes.  Colons are
   * fine (coturn's time-limited credentials are "expiry:user"). */
  if (*value == '\0' || strlen (value) > 512) {
    *reason = g_strdup (_("a TURN user name has 1 to 512 bytes"));
    return FALSE;
  }
  for (const char *p = value; *p; p = g_utf8_next_char (p)) {
    if (g_unichar_iscntrl (g_utf8_get_char (p))) {
      *reason = g_strdup (_("contains control characters"));
      return FALSE;
    }
  }
  g_free (config->turn_username);
  config->turn_username = g_strdup (value);
  return TRUE;
}

gboolean
zc_conf_parse_turn_password_file (ZcConfig *config, const char *value, char **reason)
{
  return read_secret_file (config, value, &config->turn_password, reason);
}

gboolean
zc_conf_parse_register_expires (ZcConfig *config, const char *value, char **reason)
{
  guint64 s;

  /* Below a minute registrars answer 423 Interval Too Brief (RFC 3261
   * 10.2.8); a day is as long as a binding should outlive a vanished
   * agent. */
  if (!zc_conf_parse_uint_range (value, 60, 86400, &s)) {
    *reason = g_strdup_printf (_("“%s” is not a registration time in seconds (60-86400)"), value);
    return FALSE;
  }
  config->register_expires_s = (guint) s;
  return TRUE;
}

gboolean
zc_conf_parse_keepalive_interval (ZcConfig *config, const char *value, char **reason)
{
  guint64 s;

  /* Faster than every 5 s only floods the proxy; NAT UDP bindings last at
   * least 2 minutes by RFC 4787 REQ-5, though many routers keep them for
   * only 30 s, hence the 25 s default. */
  if (!zc_conf_parse_uint_range (value, 0, 3600, &s) || (s != 0 && s < 5)) {
    *reason = g_strdup_printf (_("“%s” is not a keepalive interval in seconds (0 = off, or 5-3600)"), value);
    return FALSE;
  }
  config->keepalive_interval_s = (guint) s;
  return TRUE;
}

gboolean
zc_conf_parse_ice_tcp (ZcConfig *config, const char *value, char **reason)
{
  return zc_conf_parse_bool (value, &config->ice_tcp, reason);
}

gboolean
zc_conf_parse_keepalive (ZcConfig *config, const char *value, char **reason)
{
  if (g_ascii_strcasecmp (value, "crlf") == 0)
    config->keepalive_method = ZC_KEEPALIVE_CRLF;
  else if (g_ascii_strcasecmp (value, "options") == 0)
    config->keepalive_method = ZC_KEEPALIVE_OPTIONS;
  else {
    *reason = g_strdup_printf (_("“%s” is not one of: crlf, options"), value);
    return FALSE;
  }
  return TRUE;
}
