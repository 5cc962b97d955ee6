/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The configuration keys zcall.conf(5) documents: one parser per key and
 * the table that names them (tests/unit/doc-drift.test reads that table). */
#define G_LOG_DOMAIN "config"

#include "config.h"
#include "core/conf.h"
#include "core/conf-private.h"
#include "common/i18n.h"

#include <string.h>

gboolean
zc_conf_parse_bool (const char *value, gboolean *out, char **reason)
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

gboolean
zc_conf_parse_uint_range (const char *value, guint64 min, guint64 max, guint64 *out)
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

  if (!zc_conf_parse_uint_range (value, 1, 65535, &port)) {
    *reason = g_strdup_printf (_("“%s” is not a port number (1-65535)"), value);
    return FALSE;
  }
  config->sip_port = (guint16) port;
  return TRUE;
}

/* A port, or "off": no SIP over TLS (nothing listens, nothing is
 * advertised, calls go over UDP). */
static gboolean
parse_sip_tls_port (ZcConfig *config, const char *value, char **reason)
{
  guint64 port;

  if (g_ascii_strcasecmp (value, "off") == 0) {
    config->sip_tls_port = 0;
    return TRUE;
  }
  if (!zc_conf_parse_uint_range (value, 1, 65535, &port)) {
    *reason = g_strdup_printf (_("“%s” is not a port number (1-65535) or off"), value);
    return FALSE;
  }
  config->sip_tls_port = (guint16) port;
  return TRUE;
}

static gboolean
parse_rate_limit (ZcConfig *config, const char *value, char **reason)
{
  guint64 n;

  if (!zc_conf_parse_uint_range (value, 0, 100000, &n)) {
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
  return zc_conf_parse_bool (value, &config->discovery_enabled, reason);
}

static gboolean
parse_auto_answer (ZcConfig *config, const char *value, char **reason)
{
  guint64 delay_s;
  g_autofree char *ignored = NULL;

  if (zc_conf_parse_bool (value, &config->auto_answer, &ignored)) {
    config->auto_answer_delay_s = 0;
    return TRUE;
  }
  if (zc_conf_parse_uint_range (value, 0, 3600, &delay_s)) {
    config->auto_answer = TRUE;
    config->auto_answer_delay_s = (guint) delay_s;
    return TRUE;
  }
  *reason = g_strdup_printf (_("“%s” is neither true, false nor a delay in seconds (0-3600)"), value);
  return FALSE;
}

/* A comma-separated list, each item trimmed; empty items are skipped. */
static GStrv
split_list (const char *value)
{
  g_auto (GStrv) items = g_strsplit (value, ",", -1);
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();

  for (guint i = 0; items[i] != NULL; i++) {
    g_strstrip (items[i]);
    if (*items[i] != '\0')
      g_strv_builder_add (b, items[i]);
  }
  return g_strv_builder_end (b);
}

static gboolean
parse_accept_from (ZcConfig *config, const char *value, char **reason)
{
  g_auto (GStrv) items = split_list (value);
  guint flags = 0;

  for (guint i = 0; items[i] != NULL; i++) {
    if (g_ascii_strcasecmp (items[i], "lan") == 0)
      flags |= ZC_ACCEPT_FROM_LAN;
    else if (g_ascii_strcasecmp (items[i], "rendezvous") == 0)
      flags |= ZC_ACCEPT_FROM_RENDEZVOUS;
    else if (g_ascii_strcasecmp (items[i], "any") == 0)
      flags |= ZC_ACCEPT_FROM_ANY;
    else {
      *reason = g_strdup_printf (_("“%s” is not one of: lan, rendezvous, any (or a comma-separated list of them)"),
                                 items[i]);
      return FALSE;
    }
  }
  if (flags == 0) {
    *reason = g_strdup (_("no source given: lan, rendezvous, any, or a list such as lan,rendezvous"));
    return FALSE;
  }
  config->accept_from = flags;
  return TRUE;
}

/* Entries are checked here so that a typo fails at start-up: a URI must
 * have a user and a host (the host is kept lower-case, as hosts compare),
 * a name must fit a DNS-SD instance name.  A display name is no entry:
 * anyone can send any. */
static gboolean
parse_auto_answer_from (ZcConfig *config, const char *value, char **reason)
{
  g_auto (GStrv) items = split_list (value);
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();

  for (guint i = 0; items[i] != NULL; i++) {
    const char *item = items[i];

    if (g_str_equal (item, "*") || g_ascii_strcasecmp (item, "trusted") == 0
        || g_ascii_strcasecmp (item, "known") == 0) {
      g_autofree char *lower = g_ascii_strdown (item, -1);

      g_strv_builder_add (b, lower);
    } else if (g_ascii_strncasecmp (item, "sip:", 4) == 0 || strchr (item, '@') != NULL) {
      const char *user = g_ascii_strncasecmp (item, "sip:", 4) == 0 ? item + 4 : item;
      const char *at = strchr (user, '@');
      g_autofree char *host = NULL;
      g_autofree char *uri = NULL;

      if (at == NULL || at == user || at[1] == '\0' || strpbrk (at + 1, "@;?> <") != NULL) {
        *reason = g_strdup_printf (_("“%s” is not a SIP address (sip:user@host or user@host)"), item);
        return FALSE;
      }
      host = g_ascii_strdown (at + 1, -1);
      uri = g_strdup_printf ("sip:%.*s@%s", (int) (at - user), user, host);
      g_strv_builder_add (b, uri);
    } else if (strlen (item) > ZC_MAX_SERVICE_NAME_BYTES || !g_utf8_validate (item, -1, NULL)) {
      *reason = g_strdup_printf (_("“%s” is not a peer name (at most %d bytes of UTF-8)"), item,
                                 ZC_MAX_SERVICE_NAME_BYTES);
      return FALSE;
    } else {
      g_strv_builder_add (b, item);
    }
  }
  g_strfreev (config->auto_answer_from);
  config->auto_answer_from = g_strv_builder_end (b);
  return TRUE;
}

static gboolean
parse_conference_hangup (ZcConfig *config, const char *value, char **reason)
{
  if (g_ascii_strcasecmp (value, "transfer") == 0 || g_ascii_strcasecmp (value, "end") == 0) {
    config->conference_hangup_transfer = g_ascii_strcasecmp (value, "transfer") == 0;
    return TRUE;
  }
  *reason = g_strdup_printf (_("“%s” is not transfer or end"), value);
  return FALSE;
}

static gboolean
parse_accept_transfer (ZcConfig *config, const char *value, char **reason)
{
  static const char *const names[] = { "trusted", "ask", "any", "none" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    if (g_ascii_strcasecmp (value, names[i]) == 0) {
      config->accept_transfer = (ZcAcceptTransfer) i;
      return TRUE;
    }
  }
  *reason = g_strdup_printf (_("“%s” is not trusted, ask, any or none"), value);
  return FALSE;
}

static gboolean
parse_max_calls (ZcConfig *config, const char *value, char **reason)
{
  guint64 n;

  if (!zc_conf_parse_uint_range (value, 1, 100, &n)) {
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
  return zc_conf_parse_bool (value, &config->echo_cancel, reason);
}

static gboolean
parse_echo_canceller (ZcConfig *config, const char *value, char **reason)
{
  if (g_str_equal (value, "webrtc") || g_str_equal (value, "speex")) {
    config->echo_canceller_speex = g_str_equal (value, "speex");
    return TRUE;
  }
  *reason = g_strdup_printf (_("“%s” is not an echo canceller (webrtc or speex)"), value);
  return FALSE;
}

static gboolean
parse_echo_tail (ZcConfig *config, const char *value, char **reason)
{
  guint64 ms;

  /* Narrower than the canceller accepts (ZC_AEC_MIN/MAX_TAIL_MS): below
   * 20 ms not even the device buffers' jitter fits, above 500 ms the filter
   * converges too slowly to follow a call. */
  if (!zc_conf_parse_uint_range (value, 20, 500, &ms)) {
    *reason = g_strdup_printf (_("“%s” is not an echo tail in milliseconds (20-500)"), value);
    return FALSE;
  }
  config->echo_tail_ms = (guint) ms;
  return TRUE;
}

static gboolean
parse_denoise (ZcConfig *config, const char *value, char **reason)
{
  return zc_conf_parse_bool (value, &config->denoise, reason);
}

static gboolean
parse_agc (ZcConfig *config, const char *value, char **reason)
{
  return zc_conf_parse_bool (value, &config->agc, reason);
}

static gboolean
parse_codecs (ZcConfig *config, const char *value, char **reason)
{
  static const char *const known[] = { "opus", "g722", "pcmu", "pcma", NULL };
  g_auto (GStrv) tokens = g_strsplit_set (value, ",; \t", -1);
  g_autoptr (GPtrArray) codecs = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; tokens[i] != NULL; i++) {
    g_autofree char *name = g_ascii_strdown (tokens[i], -1);

    if (*name == '\0')
      continue;
    if (!g_strv_contains (known, name)) {
      *reason = g_strdup_printf (_("unknown codec “%s” (known: opus, g722, pcmu, pcma)"), tokens[i]);
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
  if (!zc_conf_parse_uint_range (value, 6000, 510000, &bps)) {
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
  return zc_conf_parse_bool (value, &config->opus_dtx, reason);
}

static gboolean
parse_jitter_buffer (ZcConfig *config, const char *value, char **reason)
{
  guint64 ms;

  /* At least one 20 ms packet; more than a second of delay makes
   * conversation impossible anyway. */
  if (!zc_conf_parse_uint_range (value, 20, 1000, &ms)) {
    *reason = g_strdup_printf (_("“%s” is not a jitter buffer depth in milliseconds (20-1000)"), value);
    return FALSE;
  }
  config->jitter_ms = (guint) ms;
  return TRUE;
}

static gboolean
parse_ptime (ZcConfig *config, const char *value, char **reason)
{
  guint64 ms;

  /* What every codec frames and every peer takes: 10 ms halves the
   * packetisation delay and the playout steps, 20 ms is RFC 3551's. */
  if (!zc_conf_parse_uint_range (value, 10, 20, &ms) || (ms != 10 && ms != 20)) {
    *reason = g_strdup_printf (_("“%s” is not a packet time in milliseconds (10 or 20)"), value);
    return FALSE;
  }
  config->ptime_ms = (guint) ms;
  return TRUE;
}

static gboolean
parse_rtp_port (const char *value, guint16 *out, char **reason)
{
  guint64 port;

  /* Unprivileged ports only: zcalld runs as the user. */
  if (!zc_conf_parse_uint_range (value, 1024, 65535, &port)) {
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

static gboolean
parse_media_encryption (ZcConfig *config, const char *value, char **reason)
{
  if (g_ascii_strcasecmp (value, "required-for-zcall") == 0)
    config->media_encryption = ZC_MEDIA_ENCRYPTION_REQUIRED_FOR_ZCALL;
  else if (g_ascii_strcasecmp (value, "required") == 0)
    config->media_encryption = ZC_MEDIA_ENCRYPTION_REQUIRED;
  else {
    *reason = g_strdup_printf (_("“%s” is not required-for-zcall or required"), value);
    return FALSE;
  }
  return TRUE;
}

static gboolean
parse_notifications (ZcConfig *config, const char *value, char **reason)
{
  return zc_conf_parse_bool (value, &config->notifications, reason);
}

static gboolean
parse_call_waiting (ZcConfig *config, const char *value, char **reason)
{
  return zc_conf_parse_bool (value, &config->call_waiting, reason);
}

static const ZcKeySpec key_specs[] = {
  { "identity", "user", parse_user },
  { "identity", "display-name", parse_display_name },
  { "sip", "port", parse_sip_port },
  { "sip", "tls-port", parse_sip_tls_port },
  { "sip", "rate-limit", parse_rate_limit },
  { "discovery", "enabled", parse_discovery_enabled },
  { "discovery", "probe-interval", parse_probe_interval },
  { "discovery", "unreachable-after", parse_unreachable_after },
  { "discovery", "remove-after", parse_remove_after },
  { "calls", "auto-answer", parse_auto_answer },
  { "calls", "auto-answer-from", parse_auto_answer_from },
  { "calls", "accept-from", parse_accept_from },
  { "calls", "max-calls", parse_max_calls },
  { "calls", "call-waiting", parse_call_waiting },
  { "calls", "accept-transfer", parse_accept_transfer },
  { "calls", "conference-hangup", parse_conference_hangup },
  { "audio", "capture-device", parse_capture_device },
  { "audio", "playback-device", parse_playback_device },
  { "audio", "ring-device", parse_ring_device },
  { "audio", "echo-cancel", parse_echo_cancel },
  { "audio", "echo-canceller", parse_echo_canceller },
  { "audio", "echo-tail-ms", parse_echo_tail },
  { "audio", "denoise", parse_denoise },
  { "audio", "agc", parse_agc },
  { "media", "codecs", parse_codecs },
  { "media", "media-timeout", parse_media_timeout },
  { "media", "opus-bitrate", parse_opus_bitrate },
  { "media", "opus-dtx", parse_opus_dtx },
  { "media", "opus-bandwidth", parse_opus_bandwidth },
  { "media", "jitter-buffer", parse_jitter_buffer },
  { "media", "ptime", parse_ptime },
  { "media", "rtp-port-min", parse_rtp_port_min },
  { "media", "rtp-port-max", parse_rtp_port_max },
  { "rendezvous", "registrar", zc_conf_parse_registrar },
  { "rendezvous", "ca-file", zc_conf_parse_rdv_ca_file },
  { "rendezvous", "server-fingerprint", zc_conf_parse_server_fingerprint },
  { "rendezvous", "username", zc_conf_parse_rdv_username },
  { "rendezvous", "password-file", zc_conf_parse_rdv_password_file },
  { "rendezvous", "stun-server", zc_conf_parse_stun_server },
  { "rendezvous", "turn-server", zc_conf_parse_turn_server },
  { "rendezvous", "turn-ca-file", zc_conf_parse_turn_ca_file },
  { "rendezvous", "turn-username", zc_conf_parse_turn_username },
  { "rendezvous", "turn-password-file", zc_conf_parse_turn_password_file },
  { "rendezvous", "register-expires", zc_conf_parse_register_expires },
  { "rendezvous", "keepalive-interval", zc_conf_parse_keepalive_interval },
  { "rendezvous", "keepalive", zc_conf_parse_keepalive },
  { "rendezvous", "ice-tcp", zc_conf_parse_ice_tcp },
  { "security", "media-encryption", parse_media_encryption },
  { "ui", "notifications", parse_notifications },
};

const ZcKeySpec *
zc_conf_find_key_spec (const char *group, const char *key)
{
  for (gsize i = 0; i < G_N_ELEMENTS (key_specs); i++) {
    if (g_str_equal (key_specs[i].group, group) && g_str_equal (key_specs[i].key, key))
      return &key_specs[i];
  }
  return NULL;
}

gboolean
zc_conf_is_known_group (const char *group)
{
  for (gsize i = 0; i < G_N_ELEMENTS (key_specs); i++) {
    if (g_str_equal (key_specs[i].group, group))
      return TRUE;
  }
  return FALSE;
}
