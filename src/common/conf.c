/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "config"

#include "config.h"
#include "common/conf.h"
#include "common/i18n.h"
#include "audio/aec.h"
#include "ice/ice-agent.h"

#include <osipparser2/osip_uri.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK (zc-config-error-quark, zc_config_error)

typedef gboolean (*ZcKeyParser) (ZcConfig *config, const char *value, char **reason);

typedef struct {
  const char *group;
  const char *key;
  ZcKeyParser parse;
} ZcKeySpec;

static gboolean
parse_bool (const char *value, gboolean *out, char **reason)
{
  if (g_ascii_strcasecmp (value, "true") == 0 || g_ascii_strcasecmp (value, "yes") == 0 ||
      g_strcmp0 (value, "1") == 0) {
    *out = TRUE;
    return TRUE;
  }
  if (g_ascii_strcasecmp (value, "false") == 0 || g_ascii_strcasecmp (value, "no") == 0 ||
      g_strcmp0 (value, "0") == 0) {
    *out = FALSE;
    return TRUE;
  }
  *reason = g_strdup_printf (_("“%s” is not a boolean (true or false)"), value);
  return FALSE;
}

static gboolean
parse_uint_range (const char *value, guint64 min, guint64 max, guint64 *out)
{
  return g_ascii_string_to_unsigned (value, 10, min, max, out, NULL);
}

gboolean
zc_config_is_valid_sip_user (const char *user)
{
  /* RFC 3261 25.1: user = 1*( unreserved / escaped / user-unreserved ) */
  static const char allowed[] = "-_.!~*'()&=+$,;?/%";

  if (user == NULL || *user == '\0' || strlen (user) > 64)
    return FALSE;
  for (const char *p = user; *p; p++) {
    if (!g_ascii_isalnum (*p) && strchr (allowed, *p) == NULL)
      return FALSE;
  }
  return TRUE;
}

static gboolean
parse_user (ZcConfig *config, const char *value, char **reason)
{
  if (!zc_config_is_valid_sip_user (value)) {
    *reason = g_strdup_printf (_("“%s” is not a valid SIP user name (letters, digits and -_.!~*'() only)"), value);
    return FALSE;
  }
  g_free (config->user);
  config->user = g_strdup (value);
  return TRUE;
}

static gboolean
parse_display_name (ZcConfig *config, const char *value, char **reason)
{
  if (!g_utf8_validate (value, -1, NULL)) {
    *reason = g_strdup (_("not valid UTF-8"));
    return FALSE;
  }
  if (strlen (value) > ZC_MAX_SERVICE_NAME_BYTES) {
    *reason = g_strdup_printf (_("longer than %d bytes (a DNS-SD name is one DNS label)"),
                               ZC_MAX_SERVICE_NAME_BYTES);
    return FALSE;
  }
  for (const char *p = value; *p; p = g_utf8_next_char (p)) {
    if (g_unichar_iscntrl (g_utf8_get_char (p))) {
      *reason = g_strdup (_("contains control characters"));
      return FALSE;
    }
  }
  g_free (config->display_name);
  config->display_name = g_strdup (value);
  return TRUE;
}

static gboolean
parse_sip_port (ZcConfig *config, const char *value, char **reason)
{
  guint64 port;

  if (!parse_uint_range (value, 1, 65535, &port)) {
    *reason = g_strdup_printf (_("“%s” is not a port number (1-65535)"), value);
    return FALSE;
  }
  config->sip_port = (guint16) port;
  return TRUE;
}

static gboolean
parse_rate_limit (ZcConfig *config, const char *value, char **reason)
{
  guint64 n;

  if (!parse_uint_range (value, 0, 100000, &n)) {
    *reason = g_strdup_printf (_("“%s” is not a number of requests per second (0-100000, 0 = no limit)"), value);
    return FALSE;
  }
  config->rate_limit = (guint) n;
  return TRUE;
}

/* Seconds, with a fraction if wanted ("0.5"), as milliseconds. */
static gboolean
parse_seconds_ms (const char *value, double min_s, double max_s, guint *out_ms, char **reason)
{
  char *end = NULL;
  double seconds = g_ascii_strtod (value, &end);

  if (end == value || *end != '\0' || !(seconds >= min_s && seconds <= max_s)) {
    *reason = g_strdup_printf (_("“%s” is not a time in seconds (%g-%g)"), value, min_s, max_s);
    return FALSE;
  }
  *out_ms = (guint) (seconds * 1000 + 0.5);
  return TRUE;
}

static gboolean
parse_probe_interval (ZcConfig *config, const char *value, char **reason)
{
  return parse_seconds_ms (value, 0.1, 3600, &config->probe_interval_ms, reason);
}

static gboolean
parse_unreachable_after (ZcConfig *config, const char *value, char **reason)
{
  return parse_seconds_ms (value, 0.1, 3600, &config->unreachable_after_ms, reason);
}

static gboolean
parse_remove_after (ZcConfig *config, const char *value, char **reason)
{
  return parse_seconds_ms (value, 0, 86400, &config->remove_after_ms, reason);
}

static gboolean
parse_discovery_enabled (ZcConfig *config, const char *value, char **reason)
{
  return parse_bool (value, &config->discovery_enabled, reason);
}

static gboolean
parse_auto_answer (ZcConfig *config, const char *value, char **reason)
{
  guint64 delay_s;
  g_autofree char *ignored = NULL;

  if (parse_bool (value, &config->auto_answer, &ignored)) {
    config->auto_answer_delay_s = 0;
    return TRUE;
  }
  if (parse_uint_range (value, 0, 3600, &delay_s)) {
    config->auto_answer = TRUE;
    config->auto_answer_delay_s = (guint) delay_s;
    return TRUE;
  }
  *reason = g_strdup_printf (_("“%s” is neither true, false nor a delay in seconds (0-3600)"), value);
  return FALSE;
}

static gboolean
parse_accept_from (ZcConfig *config, const char *value, char **reason)
{
  if (g_ascii_strcasecmp (value, "lan") == 0)
    config->accept_from = ZC_ACCEPT_FROM_LAN;
  else if (g_ascii_strcasecmp (value, "any") == 0)
    config->accept_from = ZC_ACCEPT_FROM_ANY;
  else {
    *reason = g_strdup_printf (_("“%s” is not one of: lan, any"), value);
    return FALSE;
  }
  return TRUE;
}

static gboolean
parse_max_calls (ZcConfig *config, const char *value, char **reason)
{
  guint64 n;

  if (!parse_uint_range (value, 1, 100, &n)) {
    *reason = g_strdup_printf (_("“%s” is not a number of calls (1-100)"), value);
    return FALSE;
  }
  config->max_calls = (guint) n;
  return TRUE;
}

static gboolean
parse_device (const char *value, char **out, char **reason)
{
  if (*value == '\0') {
    *reason = g_strdup (_("empty device name (use “default”)"));
    return FALSE;
  }
  g_free (*out);
  *out = g_strdup (value);
  return TRUE;
}

static gboolean
parse_capture_device (ZcConfig *config, const char *value, char **reason)
{
  return parse_device (value, &config->capture_device, reason);
}

static gboolean
parse_playback_device (ZcConfig *config, const char *value, char **reason)
{
  return parse_device (value, &config->playback_device, reason);
}

static gboolean
parse_ring_device (ZcConfig *config, const char *value, char **reason)
{
  return parse_device (value, &config->ring_device, reason);
}

static gboolean
parse_echo_cancel (ZcConfig *config, const char *value, char **reason)
{
  return parse_bool (value, &config->echo_cancel, reason);
}

static gboolean
parse_echo_tail (ZcConfig *config, const char *value, char **reason)
{
  guint64 ms;

  /* Narrower than the canceller accepts (ZC_AEC_MIN/MAX_TAIL_MS): below
   * 20 ms not even the device buffers' jitter fits, above 500 ms the filter
   * converges too slowly to follow a call. */
  if (!parse_uint_range (value, 20, 500, &ms)) {
    *reason = g_strdup_printf (_("“%s” is not an echo tail in milliseconds (20-500)"), value);
    return FALSE;
  }
  config->echo_tail_ms = (guint) ms;
  return TRUE;
}

static gboolean
parse_denoise (ZcConfig *config, const char *value, char **reason)
{
  return parse_bool (value, &config->denoise, reason);
}

static gboolean
parse_agc (ZcConfig *config, const char *value, char **reason)
{
  return parse_bool (value, &config->agc, reason);
}

static gboolean
parse_codecs (ZcConfig *config, const char *value, char **reason)
{
  static const char *const known[] = { "opus", "pcmu", "pcma", NULL };
  g_auto (GStrv) tokens = g_strsplit_set (value, ",; \t", -1);
  g_autoptr (GPtrArray) codecs = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; tokens[i] != NULL; i++) {
    g_autofree char *name = g_ascii_strdown (tokens[i], -1);

    if (*name == '\0')
      continue;
    if (!g_strv_contains (known, name)) {
      *reason = g_strdup_printf (_("unknown codec “%s” (known: opus, pcmu, pcma)"), tokens[i]);
      return FALSE;
    }
    if (!g_ptr_array_find_with_equal_func (codecs, name, g_str_equal, NULL))
      g_ptr_array_add (codecs, g_steal_pointer (&name));
  }
  if (codecs->len == 0) {
    *reason = g_strdup (_("no codec given"));
    return FALSE;
  }
  g_ptr_array_add (codecs, NULL);
  g_strfreev (config->codecs);
  config->codecs = (GStrv) g_ptr_array_free (g_steal_pointer (&codecs), FALSE);
  return TRUE;
}

static gboolean
parse_media_timeout (ZcConfig *config, const char *value, char **reason)
{
  g_autofree char *ignored = NULL;
  char *end = NULL;
  double seconds = g_ascii_strtod (value, &end);

  /* 0 switches the timeout off; anything between 0 and 1 s would end calls
   * over a short network stall, so it is refused rather than rounded. */
  if (end != value && *end == '\0' && seconds == 0) {
    config->media_timeout_ms = 0;
    return TRUE;
  }
  if (parse_seconds_ms (value, 1, 3600, &config->media_timeout_ms, &ignored))
    return TRUE;
  *reason = g_strdup_printf (_("“%s” is not a time in seconds (0 = never, or 1-3600)"), value);
  return FALSE;
}

static gboolean
parse_opus_bitrate (ZcConfig *config, const char *value, char **reason)
{
  guint64 bps;

  /* The range libopus accepts (RFC 6716 2.1.1 goes from 6 to 510 kbit/s). */
  if (!parse_uint_range (value, 6000, 510000, &bps)) {
    *reason = g_strdup_printf (_("“%s” is not a bitrate in bits per second (6000-510000)"), value);
    return FALSE;
  }
  config->opus_bitrate_bps = (guint) bps;
  return TRUE;
}

/* Opus's audio bandwidths (RFC 6716 2) by the sample rate that carries
 * each. */
static const struct {
  const char *name;
  guint rate_hz;
} opus_bandwidths[] = {
  { "narrowband", 8000 }, { "mediumband", 12000 }, { "wideband", 16000 },
  { "super-wideband", 24000 }, { "fullband", 48000 },
};

static gboolean
parse_opus_bandwidth (ZcConfig *config, const char *value, char **reason)
{
  for (gsize i = 0; i < G_N_ELEMENTS (opus_bandwidths); i++) {
    if (g_ascii_strcasecmp (value, opus_bandwidths[i].name) == 0) {
      config->opus_rate_hz = opus_bandwidths[i].rate_hz;
      return TRUE;
    }
  }
  *reason = g_strdup_printf (_("“%s” is not narrowband, mediumband, wideband, super-wideband or fullband"), value);
  return FALSE;
}

static gboolean
parse_opus_dtx (ZcConfig *config, const char *value, char **reason)
{
  return parse_bool (value, &config->opus_dtx, reason);
}

static gboolean
parse_jitter_buffer (ZcConfig *config, const char *value, char **reason)
{
  guint64 ms;

  /* At least one 20 ms packet; more than a second of delay makes
   * conversation impossible anyway. */
  if (!parse_uint_range (value, 20, 1000, &ms)) {
    *reason = g_strdup_printf (_("“%s” is not a jitter buffer depth in milliseconds (20-1000)"), value);
    return FALSE;
  }
  config->jitter_ms = (guint) ms;
  return TRUE;
}

static gboolean
parse_rtp_port (const char *value, guint16 *out, char **reason)
{
  guint64 port;

  /* Unprivileged ports only: zcalld runs as the user. */
  if (!parse_uint_range (value, 1024, 65535, &port)) {
    *reason = g_strdup_printf (_("“%s” is not a port number (1024-65535)"), value);
    return FALSE;
  }
  *out = (guint16) port;
  return TRUE;
}

static gboolean
parse_rtp_port_min (ZcConfig *config, const char *value, char **reason)
{
  guint16 port;

  if (!parse_rtp_port (value, &port, reason))
    return FALSE;
  /* RFC 3550 11: RTP on an even port, RTCP on the odd one above it. */
  if (port % 2 != 0) {
    *reason = g_strdup_printf (_("“%s” is odd; RTP ports are even (RFC 3550)"), value);
    return FALSE;
  }
  config->rtp_port_min = port;
  return TRUE;
}

static gboolean
parse_rtp_port_max (ZcConfig *config, const char *value, char **reason)
{
  return parse_rtp_port (value, &config->rtp_port_max, reason);
}

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
  if (port_text != NULL && !parse_uint_range (port_text, 1, 65535, &port)) {
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
normalise_registrar (const osip_uri_t *uri, const char *value, char **out, char **reason)
{
  g_autoptr (GString) text = g_string_new ("sip:");
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
  if (uri->port != NULL && !parse_uint_range (uri->port, 1, 65535, &port)) {
    *reason = g_strdup_printf (_("“%s”: “%s” is not a port number (1-65535)"), value, uri->port);
    return FALSE;
  }
  for (int i = 0; i < osip_list_size (&uri->url_params); i++) {
    const osip_uri_param_t *param = osip_list_get (&uri->url_params, i);

    if (g_ascii_strcasecmp (param->gname, "transport") == 0) {
      if (param->gvalue == NULL ||
          (g_ascii_strcasecmp (param->gvalue, "udp") != 0 && g_ascii_strcasecmp (param->gvalue, "tcp") != 0)) {
        *reason = g_strdup_printf (_("“%s”: transport must be udp or tcp"), value);
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

static gboolean
parse_registrar (ZcConfig *config, const char *value, char **reason)
{
  g_autofree char *uri_text = NULL;
  osip_uri_t *uri = NULL;
  gboolean ok;

  /* No TLS transport in this agent: better refused here than a
   * registration that never succeeds. */
  if (g_ascii_strncasecmp (value, "sips:", 5) == 0) {
    *reason = g_strdup_printf (_("“%s”: sips: (SIP over TLS) is not supported"), value);
    return FALSE;
  }
  /* A bare domain or host[:port] is the sip: URI of that host. */
  if (g_ascii_strncasecmp (value, "sip:", 4) == 0)
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
    ok = normalise_registrar (uri, value, &config->registrar, reason);
  }
  osip_uri_free (uri);
  return ok;
}

static gboolean
parse_rdv_username (ZcConfig *config, const char *value, char **reason)
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
static void
free_secret (char *secret)
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
  free_secret (*out);
  *out = g_strndup (buf, len);
  explicit_bzero (buf, sizeof buf);
  return TRUE;
}

static gboolean
parse_rdv_password_file (ZcConfig *config, const char *value, char **reason)
{
  return read_secret_file (config, value, &config->rdv_password, reason);
}

static gboolean
parse_stun_server (ZcConfig *config, const char *value, char **reason)
{
  return parse_host_port (value, ZC_DEFAULT_STUN_PORT, &config->stun_server, reason);
}

static gboolean
parse_turn_server (ZcConfig *config, const char *value, char **reason)
{
  return parse_host_port (value, ZC_DEFAULT_STUN_PORT, &config->turn_server, reason);
}

static gboolean
parse_turn_username (ZcConfig *config, const char *value, char **reason)
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

static gboolean
parse_turn_password_file (ZcConfig *config, const char *value, char **reason)
{
  return read_secret_file (config, value, &config->turn_password, reason);
}

static gboolean
parse_register_expires (ZcConfig *config, const char *value, char **reason)
{
  guint64 s;

  /* Below a minute registrars answer 423 Interval Too Brief (RFC 3261
   * 10.2.8); a day is as long as a binding should outlive a vanished
   * agent. */
  if (!parse_uint_range (value, 60, 86400, &s)) {
    *reason = g_strdup_printf (_("“%s” is not a registration time in seconds (60-86400)"), value);
    return FALSE;
  }
  config->register_expires_s = (guint) s;
  return TRUE;
}

static gboolean
parse_keepalive_interval (ZcConfig *config, const char *value, char **reason)
{
  guint64 s;

  /* Faster than every 5 s only floods the proxy; NAT UDP bindings last at
   * least 2 minutes by RFC 4787 REQ-5, though many routers keep them for
   * only 30 s, hence the 25 s default. */
  if (!parse_uint_range (value, 0, 3600, &s) || (s != 0 && s < 5)) {
    *reason = g_strdup_printf (_("“%s” is not a keepalive interval in seconds (0 = off, or 5-3600)"), value);
    return FALSE;
  }
  config->keepalive_interval_s = (guint) s;
  return TRUE;
}

static gboolean
parse_ice_tcp (ZcConfig *config, const char *value, char **reason)
{
  return parse_bool (value, &config->ice_tcp, reason);
}

static gboolean
parse_keepalive (ZcConfig *config, const char *value, char **reason)
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

static const ZcKeySpec key_specs[] = {
  { "identity", "user", parse_user },
  { "identity", "display-name", parse_display_name },
  { "sip", "port", parse_sip_port },
  { "sip", "rate-limit", parse_rate_limit },
  { "discovery", "enabled", parse_discovery_enabled },
  { "discovery", "probe-interval", parse_probe_interval },
  { "discovery", "unreachable-after", parse_unreachable_after },
  { "discovery", "remove-after", parse_remove_after },
  { "calls", "auto-answer", parse_auto_answer },
  { "calls", "accept-from", parse_accept_from },
  { "calls", "max-calls", parse_max_calls },
  { "audio", "capture-device", parse_capture_device },
  { "audio", "playback-device", parse_playback_device },
  { "audio", "ring-device", parse_ring_device },
  { "audio", "echo-cancel", parse_echo_cancel },
  { "audio", "echo-tail-ms", parse_echo_tail },
  { "audio", "denoise", parse_denoise },
  { "audio", "agc", parse_agc },
  { "media", "codecs", parse_codecs },
  { "media", "media-timeout", parse_media_timeout },
  { "media", "opus-bitrate", parse_opus_bitrate },
  { "media", "opus-dtx", parse_opus_dtx },
  { "media", "opus-bandwidth", parse_opus_bandwidth },
  { "media", "jitter-buffer", parse_jitter_buffer },
  { "media", "rtp-port-min", parse_rtp_port_min },
  { "media", "rtp-port-max", parse_rtp_port_max },
  { "rendezvous", "registrar", parse_registrar },
  { "rendezvous", "username", parse_rdv_username },
  { "rendezvous", "password-file", parse_rdv_password_file },
  { "rendezvous", "stun-server", parse_stun_server },
  { "rendezvous", "turn-server", parse_turn_server },
  { "rendezvous", "turn-username", parse_turn_username },
  { "rendezvous", "turn-password-file", parse_turn_password_file },
  { "rendezvous", "register-expires", parse_register_expires },
  { "rendezvous", "keepalive-interval", parse_keepalive_interval },
  { "rendezvous", "keepalive", parse_keepalive },
  { "rendezvous", "ice-tcp", parse_ice_tcp },
};

static const ZcKeySpec *
find_key_spec (const char *group, const char *key)
{
  for (gsize i = 0; i < G_N_ELEMENTS (key_specs); i++) {
    if (g_str_equal (key_specs[i].group, group) && g_str_equal (key_specs[i].key, key))
      return &key_specs[i];
  }
  return NULL;
}

static gboolean
is_known_group (const char *group)
{
  for (gsize i = 0; i < G_N_ELEMENTS (key_specs); i++) {
    if (g_str_equal (key_specs[i].group, group))
      return TRUE;
  }
  return FALSE;
}

ZcConfig *
zc_config_new_default (void)
{
  ZcConfig *config = g_new0 (ZcConfig, 1);
  const char *login = g_get_user_name ();
  const char *real_name = g_get_real_name ();

  config->user = zc_config_is_valid_sip_user (login) ? g_strdup (login) : g_strdup ("user");
  /* GLib reports "Unknown" when the passwd entry has no GECOS name. */
  if (real_name != NULL && *real_name != '\0' && g_strcmp0 (real_name, "Unknown") != 0 &&
      g_utf8_validate (real_name, -1, NULL) && strlen (real_name) <= ZC_MAX_SERVICE_NAME_BYTES)
    config->display_name = g_strdup (real_name);
  else
    config->display_name = g_strdup ("");
  config->sip_port = ZC_DEFAULT_SIP_PORT;
  config->rate_limit = 50;
  config->discovery_enabled = TRUE;
  /* A crashed peer (pinged every second): unreachable within ~2.5 s and
   * gone from lists within ~4 s, inside the 5 s a user would tolerate. */
  config->probe_interval_ms = 1000;
  config->unreachable_after_ms = 1500;
  config->remove_after_ms = 1500;
  config->auto_answer = FALSE;
  config->accept_from = ZC_ACCEPT_FROM_LAN;
  config->max_calls = 4;
  config->capture_device = g_strdup ("default");
  config->playback_device = g_strdup ("default");
  config->ring_device = g_strdup ("default");
  config->echo_cancel = TRUE;
  config->echo_tail_ms = ZC_AEC_DEFAULT_TAIL_MS;
  config->denoise = TRUE;
  config->agc = FALSE;
  config->codecs = g_strsplit ("opus;pcmu;pcma", ";", -1);
  config->media_timeout_ms = 20000;   /* ZC_CALL_MEDIA_DEFAULT_TIMEOUT_MS */
  config->opus_bitrate_bps = 32000;   /* as zc_codec_options_init() */
  config->opus_dtx = FALSE;
  /* Wideband: what HD-voice desk phones carry (G.722, AMR-WB), and at
   * 16 kHz the echo canceller, the noise suppressor and libopus (SILK
   * alone) cost a third of what they cost at 48 kHz. */
  config->opus_rate_hz = 16000;
  config->jitter_ms = 40;             /* ZC_CALL_MEDIA_DEFAULT_JITTER_MS */
  config->rtp_port_min = ZC_RTP_PORT_MIN;
  config->rtp_port_max = ZC_RTP_PORT_MAX;
  config->rdv_username = g_strdup (config->user);
  config->register_expires_s = 600;
  config->keepalive_interval_s = 25;
  config->keepalive_method = ZC_KEEPALIVE_CRLF;
  return config;
}

void
zc_config_free (ZcConfig *config)
{
  if (config == NULL)
    return;
  g_free (config->path);
  g_free (config->user);
  g_free (config->display_name);
  g_free (config->capture_device);
  g_free (config->playback_device);
  g_free (config->ring_device);
  g_strfreev (config->codecs);
  g_free (config->registrar);
  g_free (config->rdv_username);
  free_secret (config->rdv_password);
  g_free (config->stun_server);
  g_free (config->turn_server);
  g_free (config->turn_username);
  free_secret (config->turn_password);
  g_free (config);
}

/* GKeyFile keeps no line numbers, yet a user fixing a file wants one.  This
 * pass reads the same lines GKeyFile will, checks their shape and records
 * where each group/key sits ("group\nkey" -> line). */
static gboolean
scan_lines (const char *path, const char *contents, GHashTable *lines, GError **error)
{
  g_auto (GStrv) split = g_strsplit (contents, "\n", -1);
  g_autofree char *group = NULL;

  for (guint i = 0; split[i] != NULL; i++) {
    guint line_no = i + 1;
    g_autofree char *line = g_strstrip (g_strdup (split[i]));
    const char *eq;

    if (*line == '\0' || *line == '#')
      continue;
    if (*line == '[') {
      size_t len = strlen (line);

      if (len < 3 || line[len - 1] != ']') {
        g_set_error (error, ZC_CONFIG_ERROR, ZC_CONFIG_ERROR_SYNTAX,
                     _("%s:%u: malformed group header “%s”"), path, line_no, line);
        return FALSE;
      }
      g_free (group);
      group = g_strndup (line + 1, len - 2);
      continue;
    }
    eq = strchr (line, '=');
    if (eq == NULL || eq == line) {
      g_set_error (error, ZC_CONFIG_ERROR, ZC_CONFIG_ERROR_SYNTAX,
                   _("%s:%u: not a “key=value” line, [group] header or comment"), path, line_no);
      return FALSE;
    }
    if (group == NULL) {
      g_set_error (error, ZC_CONFIG_ERROR, ZC_CONFIG_ERROR_SYNTAX,
                   _("%s:%u: key before the first [group] header"), path, line_no);
      return FALSE;
    }
    {
      g_autofree char *key = g_strstrip (g_strndup (line, (gsize) (eq - line)));
      g_hash_table_insert (lines, g_strconcat (group, "\n", key, NULL), GUINT_TO_POINTER (line_no));
    }
  }
  return TRUE;
}

static guint
line_of (GHashTable *lines, const char *group, const char *key)
{
  g_autofree char *id = g_strconcat (group, "\n", key, NULL);
  return GPOINTER_TO_UINT (g_hash_table_lookup (lines, id));
}

/* The two ends of the RTP port range can only be compared once both are
 * known, each from the file or the default.  The error names the key the
 * file set (rtp-port-max when it set both, as the range ends there). */
static gboolean
check_rtp_port_range (ZcConfig *config, GKeyFile *keyfile, GHashTable *lines, GError **error)
{
  gboolean max_set = g_key_file_has_key (keyfile, "media", "rtp-port-max", NULL);
  const char *key = max_set ? "rtp-port-max" : "rtp-port-min";
  g_autofree char *reason = NULL;

  if (config->rtp_port_min < config->rtp_port_max)
    return TRUE;
  reason = g_strdup_printf (_("rtp-port-min (%u) must be below rtp-port-max (%u)"), (guint) config->rtp_port_min,
                            (guint) config->rtp_port_max);
  g_set_error (error, ZC_CONFIG_ERROR, ZC_CONFIG_ERROR_INVALID_VALUE, "%s:%u: [%s] %s: %s", config->path,
               line_of (lines, "media", key), "media", key, reason);
  return FALSE;
}

/* Keys of [rendezvous] that are useless without another one; checked once
 * the whole file is read, since the keys may come in any order. */
static gboolean
check_rendezvous (ZcConfig *config, GKeyFile *keyfile, GHashTable *lines, GError **error)
{
  static const struct {
    const char *key;
    const char *needs;
  } needs[] = {
    { "username", "registrar" },
    { "password-file", "registrar" },
    { "turn-username", "turn-server" },
    /* Long-term TURN credentials (RFC 8656 9.2) come as a pair. */
    { "turn-password-file", "turn-username" },
    { "turn-username", "turn-password-file" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (needs); i++) {
    if (!g_key_file_has_key (keyfile, "rendezvous", needs[i].key, NULL) ||
        g_key_file_has_key (keyfile, "rendezvous", needs[i].needs, NULL))
      continue;
    g_set_error (error, ZC_CONFIG_ERROR, ZC_CONFIG_ERROR_INVALID_VALUE, _("%s:%u: [%s] %s: needs %s= as well"),
                 config->path, line_of (lines, "rendezvous", needs[i].key), "rendezvous", needs[i].key,
                 needs[i].needs);
    return FALSE;
  }
  /* "default: the [identity] user", whichever order the groups came in. */
  if (!g_key_file_has_key (keyfile, "rendezvous", "username", NULL)) {
    g_free (config->rdv_username);
    config->rdv_username = g_strdup (config->user);
  }
  return TRUE;
}

ZcConfig *
zc_config_load_file (const char *path, GError **error)
{
  g_autoptr (ZcConfig) config = zc_config_new_default ();
  g_autoptr (GKeyFile) keyfile = g_key_file_new ();
  g_autoptr (GHashTable) lines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GError) local_error = NULL;
  g_autofree char *contents = NULL;
  gsize length;
  g_auto (GStrv) groups = NULL;

  if (!g_file_get_contents (path, &contents, &length, &local_error)) {
    g_set_error (error, ZC_CONFIG_ERROR, ZC_CONFIG_ERROR_NOT_FOUND, "%s", local_error->message);
    return NULL;
  }
  if (!g_utf8_validate (contents, (gssize) length, NULL)) {
    g_set_error (error, ZC_CONFIG_ERROR, ZC_CONFIG_ERROR_SYNTAX, _("%s: not valid UTF-8"), path);
    return NULL;
  }
  if (!scan_lines (path, contents, lines, error))
    return NULL;
  if (!g_key_file_load_from_data (keyfile, contents, length, G_KEY_FILE_NONE, &local_error)) {
    g_set_error (error, ZC_CONFIG_ERROR, ZC_CONFIG_ERROR_SYNTAX, "%s: %s", path, local_error->message);
    return NULL;
  }

  config->path = g_strdup (path);
  groups = g_key_file_get_groups (keyfile, NULL);
  for (guint g = 0; groups[g] != NULL; g++) {
    g_auto (GStrv) keys = g_key_file_get_keys (keyfile, groups[g], NULL, NULL);

    if (!is_known_group (groups[g])) {
      g_warning (_("%s: unknown group [%s], ignored"), path, groups[g]);
      continue;
    }
    for (guint k = 0; keys != NULL && keys[k] != NULL; k++) {
      const ZcKeySpec *spec = find_key_spec (groups[g], keys[k]);
      guint line_no = line_of (lines, groups[g], keys[k]);
      g_autofree char *value = NULL;
      g_autofree char *reason = NULL;

      if (spec == NULL) {
        g_warning (_("%s:%u: [%s] %s: unknown key, ignored"), path, line_no, groups[g], keys[k]);
        continue;
      }
      value = g_key_file_get_string (keyfile, groups[g], keys[k], &local_error);
      if (value == NULL) {
        reason = g_strdup (local_error->message);
        g_clear_error (&local_error);
      } else {
        g_strstrip (value);
      }
      if (reason != NULL || !spec->parse (config, value, &reason)) {
        g_set_error (error, ZC_CONFIG_ERROR, ZC_CONFIG_ERROR_INVALID_VALUE,
                     "%s:%u: [%s] %s: %s", path, line_no, groups[g], keys[k], reason);
        return NULL;
      }
    }
  }
  if (!check_rtp_port_range (config, keyfile, lines, error))
    return NULL;
  if (!check_rendezvous (config, keyfile, lines, error))
    return NULL;
  return g_steal_pointer (&config);
}

ZcConfig *
zc_config_load (const char *explicit_path, GError **error)
{
  g_autofree char *user_path = NULL;
  const char *const *system_dirs;

  if (explicit_path != NULL)
    return zc_config_load_file (explicit_path, error);

  user_path = g_build_filename (g_get_user_config_dir (), "zcall", "zcall.conf", NULL);
  if (g_file_test (user_path, G_FILE_TEST_EXISTS))
    return zc_config_load_file (user_path, error);

  system_dirs = g_get_system_config_dirs ();
  for (guint i = 0; system_dirs[i] != NULL; i++) {
    g_autofree char *path = g_build_filename (system_dirs[i], "zcall", "zcall.conf", NULL);

    if (g_file_test (path, G_FILE_TEST_EXISTS))
      return zc_config_load_file (path, error);
  }
  return zc_config_new_default ();
}
