/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Loading zcall.conf: the search order, the line scan that gives errors
 * their line numbers, and the checks that need the whole file. */
#define G_LOG_DOMAIN "config"

#include "config.h"
#include "core/conf.h"
#include "core/conf-private.h"
#include "common/i18n.h"

#include <string.h>

G_DEFINE_QUARK (zc-config-error-quark, zc_config_error)

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
  config->sip_tls_port = ZC_DEFAULT_SIP_TLS_PORT;
  config->rate_limit = 50;
  config->discovery_enabled = TRUE;
  /* A crashed peer (pinged every second): unreachable within ~2.5 s and
   * gone from lists within ~4 s, inside the 5 s a user would tolerate. */
  config->probe_interval_ms = 1000;
  config->unreachable_after_ms = 1500;
  config->remove_after_ms = 1500;
  config->auto_answer = FALSE;
  /* Only peers whose key the user verified: auto-answer opens the
   * microphone, so it must never be for a caller who only claims a name. */
  config->auto_answer_from = g_strsplit ("trusted", ";", -1);
  config->accept_from = ZC_ACCEPT_FROM_DEFAULT;
  config->max_calls = 4;
  config->call_waiting = TRUE;
  config->accept_transfer = ZC_ACCEPT_TRANSFER_TRUSTED;
  /* As a desk phone: the host leaving does not end the others' call. */
  config->conference_hangup_transfer = TRUE;
  config->capture_device = g_strdup ("default");
  config->playback_device = g_strdup ("default");
  config->ring_device = g_strdup ("default");
  config->echo_cancel = TRUE;
  config->echo_tail_ms = ZC_CONFIG_DEFAULT_ECHO_TAIL_MS;
  config->denoise = TRUE;
  config->agc = FALSE;
  config->codecs = g_strsplit ("opus;g722;pcmu;pcma", ";", -1);
  config->media_timeout_ms = 20000;   /* ZC_CALL_MEDIA_DEFAULT_TIMEOUT_MS */
  config->opus_bitrate_bps = 32000;   /* as zc_codec_options_init() */
  config->opus_dtx = FALSE;
  /* Wideband: what HD-voice desk phones carry (G.722, AMR-WB), and at
   * 16 kHz the echo canceller, the noise suppressor and libopus (SILK
   * alone) cost a third of what they cost at 48 kHz. */
  config->opus_rate_hz = 16000;
  config->jitter_ms = 40;             /* ZC_CALL_MEDIA_DEFAULT_JITTER_MS */
  config->ptime_ms = 10;
  config->rtp_port_min = ZC_CONFIG_DEFAULT_RTP_PORT_MIN;
  config->rtp_port_max = ZC_CONFIG_DEFAULT_RTP_PORT_MAX;
  config->rdv_username = g_strdup (config->user);
  config->register_expires_s = 600;
  config->keepalive_interval_s = 25;
  config->keepalive_method = ZC_KEEPALIVE_CRLF;
  config->notifications = TRUE;
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
  g_strfreev (config->auto_answer_from);
  g_free (config->registrar);
  g_free (config->rdv_username);
  zc_conf_free_secret (config->rdv_password);
  g_free (config->stun_server);
  g_free (config->turn_server);
  g_free (config->turn_ca_file);
  g_free (config->rdv_ca_file);
  g_free (config->rdv_server_fingerprint);
  g_free (config->turn_username);
  zc_conf_free_secret (config->turn_password);
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
    { "turn-ca-file", "turn-server" },
    { "ca-file", "registrar" },
    { "server-fingerprint", "registrar" },
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
  /* A CA or pin for a registrar reached in clear would check nothing. */
  for (gsize i = 0; i < 2; i++) {
    const char *key = i == 0 ? "ca-file" : "server-fingerprint";

    if (!g_key_file_has_key (keyfile, "rendezvous", key, NULL) || zc_conf_registrar_is_tls (config))
      continue;
    g_set_error (error, ZC_CONFIG_ERROR, ZC_CONFIG_ERROR_INVALID_VALUE,
                 _("%s:%u: [%s] %s: needs a TLS registrar (sips: or ;transport=tls)"), config->path,
                 line_of (lines, "rendezvous", key), "rendezvous", key);
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

    if (!zc_conf_is_known_group (groups[g])) {
      g_warning ("%s: unknown group [%s], ignored", path, groups[g]);
      continue;
    }
    for (guint k = 0; keys != NULL && keys[k] != NULL; k++) {
      const ZcKeySpec *spec = zc_conf_find_key_spec (groups[g], keys[k]);
      guint line_no = line_of (lines, groups[g], keys[k]);
      g_autofree char *value = NULL;
      g_autofree char *reason = NULL;

      if (spec == NULL) {
        g_warning ("%s:%u: [%s] %s: unknown key, ignored", path, line_no, groups[g], keys[k]);
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
  if (config->auto_answer && g_strv_length (config->auto_answer_from) == 0)
    g_warning ("%s:%u: [calls] auto-answer is on, but auto-answer-from allows nobody: every call rings", path,
               line_of (lines, "calls", "auto-answer-from"));
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

/* ---- reload ------------------------------------------------------------------------ */

static gboolean
strv_equal0 (GStrv a, GStrv b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return g_strv_equal ((const char *const *) a, (const char *const *) b);
}

static void
take_string (char **live, const char *fresh, gboolean *changed)
{
  if (g_strcmp0 (*live, fresh) == 0)
    return;
  g_free (*live);
  *live = g_strdup (fresh);
  *changed = TRUE;
}

#define TAKE(field)                   \
  G_STMT_START {                      \
    if (live->field != fresh->field) { \
      live->field = fresh->field;     \
      changed = TRUE;                 \
    }                                 \
  } G_STMT_END

#define RESTART_IF(cond, name)              \
  G_STMT_START {                            \
    if (cond)                               \
      g_ptr_array_add (restart, g_strdup (name)); \
  } G_STMT_END

gboolean
zc_config_apply_live (ZcConfig *live, const ZcConfig *fresh, GPtrArray *restart)
{
  gboolean changed = FALSE;

  /* What each new call, each incoming call's policy or the advert reads
   * when it needs it: taken over now. */
  take_string (&live->display_name, fresh->display_name, &changed);
  TAKE (rate_limit);
  TAKE (auto_answer);
  TAKE (auto_answer_delay_s);
  if (!strv_equal0 (live->auto_answer_from, fresh->auto_answer_from)) {
    g_strfreev (live->auto_answer_from);
    live->auto_answer_from = g_strdupv (fresh->auto_answer_from);
    changed = TRUE;
  }
  TAKE (accept_from);
  TAKE (max_calls);
  TAKE (call_waiting);
  TAKE (accept_transfer);
  TAKE (conference_hangup_transfer);
  take_string (&live->capture_device, fresh->capture_device, &changed);
  take_string (&live->playback_device, fresh->playback_device, &changed);
  take_string (&live->ring_device, fresh->ring_device, &changed);
  TAKE (echo_cancel);
  TAKE (echo_tail_ms);
  TAKE (denoise);
  TAKE (agc);
  if (!strv_equal0 (live->codecs, fresh->codecs)) {
    g_strfreev (live->codecs);
    live->codecs = g_strdupv (fresh->codecs);
    changed = TRUE;
  }
  TAKE (media_timeout_ms);
  TAKE (opus_bitrate_bps);
  TAKE (opus_dtx);
  TAKE (opus_rate_hz);
  TAKE (jitter_ms);
  TAKE (ptime_ms);
  TAKE (rtp_port_min);
  TAKE (rtp_port_max);
  TAKE (ice_tcp);
  TAKE (media_encryption);
  TAKE (notifications);

  /* What was bound, registered or started with the agent. */
  RESTART_IF (g_strcmp0 (live->user, fresh->user) != 0, "[identity] user");
  RESTART_IF (live->sip_port != fresh->sip_port, "[sip] port");
  RESTART_IF (live->discovery_enabled != fresh->discovery_enabled, "[discovery] enabled");
  RESTART_IF (live->probe_interval_ms != fresh->probe_interval_ms, "[discovery] probe-interval");
  RESTART_IF (live->unreachable_after_ms != fresh->unreachable_after_ms, "[discovery] unreachable-after");
  RESTART_IF (live->remove_after_ms != fresh->remove_after_ms, "[discovery] remove-after");
  RESTART_IF (g_strcmp0 (live->registrar, fresh->registrar) != 0, "[rendezvous] registrar");
  RESTART_IF (g_strcmp0 (live->rdv_username, fresh->rdv_username) != 0, "[rendezvous] username");
  RESTART_IF (g_strcmp0 (live->rdv_password, fresh->rdv_password) != 0, "[rendezvous] password-file");
  RESTART_IF (g_strcmp0 (live->stun_server, fresh->stun_server) != 0, "[rendezvous] stun-server");
  RESTART_IF (g_strcmp0 (live->turn_server, fresh->turn_server) != 0, "[rendezvous] turn-server");
  RESTART_IF (g_strcmp0 (live->turn_username, fresh->turn_username) != 0, "[rendezvous] turn-username");
  RESTART_IF (g_strcmp0 (live->turn_password, fresh->turn_password) != 0, "[rendezvous] turn-password-file");
  RESTART_IF (live->register_expires_s != fresh->register_expires_s, "[rendezvous] register-expires");
  RESTART_IF (live->keepalive_interval_s != fresh->keepalive_interval_s, "[rendezvous] keepalive-interval");
  RESTART_IF (live->keepalive_method != fresh->keepalive_method, "[rendezvous] keepalive");
  return changed;
}
