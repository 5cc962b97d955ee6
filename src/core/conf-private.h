/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Shared between the configuration's files (conf.c loads, conf-keys.c and
 * conf-rendezvous.c parse); nothing outside src/core/conf*.c includes it. */
#pragma once

#include "core/conf.h"

/* Sets the key's field of @config from @value, or returns FALSE with a
 * human *reason (the caller adds file, line, group and key). */
typedef gboolean (*ZcKeyParser) (ZcConfig *config, const char *value, char **reason);

typedef struct {
  const char *group;
  const char *key;
  ZcKeyParser parse;
} ZcKeySpec;

const ZcKeySpec *zc_conf_find_key_spec (const char *group, const char *key);
gboolean zc_conf_is_known_group (const char *group);

gboolean zc_conf_parse_bool (const char *value, gboolean *out, char **reason);
gboolean zc_conf_parse_uint_range (const char *value, guint64 min, guint64 max, guint64 *out);

/* [rendezvous] */
gboolean zc_conf_parse_ice_tcp (ZcConfig *config, const char *value, char **reason);
gboolean zc_conf_parse_keepalive (ZcConfig *config, const char *value, char **reason);
gboolean zc_conf_parse_keepalive_interval (ZcConfig *config, const char *value, char **reason);
gboolean zc_conf_parse_rdv_password_file (ZcConfig *config, const char *value, char **reason);
gboolean zc_conf_parse_rdv_username (ZcConfig *config, const char *value, char **reason);
gboolean zc_conf_parse_register_expires (ZcConfig *config, const char *value, char **reason);
gboolean zc_conf_parse_registrar (ZcConfig *config, const char *value, char **reason);
gboolean zc_conf_parse_stun_server (ZcConfig *config, const char *value, char **reason);
gboolean zc_conf_parse_turn_password_file (ZcConfig *config, const char *value, char **reason);
gboolean zc_conf_parse_turn_server (ZcConfig *config, const char *value, char **reason);
gboolean zc_conf_parse_turn_ca_file (ZcConfig *config, const char *value, char **reason);
gboolean zc_conf_parse_rdv_ca_file (ZcConfig *config, const char *value, char **reason);
gboolean zc_conf_parse_server_fingerprint (ZcConfig *config, const char *value, char **reason);
/* registrar= is sips: or ;transport=tls. */
gboolean zc_conf_registrar_is_tls (const ZcConfig *config);
gboolean zc_conf_parse_turn_username (ZcConfig *config, const char *value, char **reason);
/* Overwrites a secret before its memory goes back to the allocator. */
void zc_conf_free_secret (char *secret);
