/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The agent's GVariant replies as JSON, for --json.  Nested dictionaries
 * (a{sv} inside a{sv}, such as a call's "media") become nested objects. */
#pragma once

#include <json-glib/json-glib.h>

/* Like json_gvariant_serialize(), except where that would print what is
 * not JSON or not the value: a NaN or infinite double becomes null (it
 * would print "nan.0"), a uint64 above G_MAXINT64 a floating-point number
 * (it would wrap to a negative integer). */
JsonNode *zc_json_from_variant (GVariant *value);

/* @value as JSON text, on one line when @compact, else indented by 2. */
char *zc_json_to_string (GVariant *value, gboolean compact);
