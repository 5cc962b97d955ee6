/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"
#include "cli/json.h"

#include <math.h>

static gboolean
is_string_keyed_dict (const GVariantType *type)
{
  const GVariantType *entry;
  const GVariantType *key;

  if (!g_variant_type_is_array (type))
    return FALSE;
  entry = g_variant_type_element (type);
  if (!g_variant_type_is_dict_entry (entry))
    return FALSE;
  key = g_variant_type_key (entry);
  return g_variant_type_equal (key, G_VARIANT_TYPE_STRING) || g_variant_type_equal (key, G_VARIANT_TYPE_OBJECT_PATH);
}

JsonNode *
zc_json_from_variant (GVariant *value)
{
  const GVariantType *type = g_variant_get_type (value);

  if (g_variant_type_equal (type, G_VARIANT_TYPE_VARIANT)) {
    g_autoptr (GVariant) inner = g_variant_get_variant (value);
    return zc_json_from_variant (inner);
  }
  if (g_variant_type_equal (type, G_VARIANT_TYPE_DOUBLE)) {
    double d = g_variant_get_double (value);

    /* JSON has no NaN or infinity: a loss rate of nothing received is
     * unknown, and null says so. */
    return isfinite (d) ? json_node_init_double (json_node_alloc (), d) : json_node_init_null (json_node_alloc ());
  }
  if (g_variant_type_equal (type, G_VARIANT_TYPE_UINT64) && g_variant_get_uint64 (value) > G_MAXINT64)
    return json_node_init_double (json_node_alloc (), (double) g_variant_get_uint64 (value));
  if (is_string_keyed_dict (type)) {
    g_autoptr (JsonObject) object = json_object_new ();
    GVariantIter iter;
    const char *key;
    GVariant *member;

    g_variant_iter_init (&iter, value);
    while (g_variant_iter_next (&iter, "{&s@*}", &key, &member)) {
      json_object_set_member (object, key, zc_json_from_variant (member));
      g_variant_unref (member);
    }
    return json_node_init_object (json_node_alloc (), object);
  }
  /* Arrays (but "ay", which json-glib prints as a string) and tuples;
   * their elements may hold any of the above. */
  if ((g_variant_type_is_array (type) && !g_variant_type_equal (type, G_VARIANT_TYPE_BYTESTRING) &&
       !g_variant_type_is_dict_entry (g_variant_type_element (type))) ||
      g_variant_type_is_tuple (type)) {
    g_autoptr (JsonArray) array = json_array_sized_new ((guint) g_variant_n_children (value));

    for (gsize i = 0; i < g_variant_n_children (value); i++) {
      g_autoptr (GVariant) element = g_variant_get_child_value (value, i);
      json_array_add_element (array, zc_json_from_variant (element));
    }
    return json_node_init_array (json_node_alloc (), array);
  }
  return json_gvariant_serialize (value);
}

char *
zc_json_to_string (GVariant *value, gboolean compact)
{
  g_autoptr (JsonNode) node = zc_json_from_variant (value);
  g_autoptr (JsonGenerator) generator = json_generator_new ();

  json_generator_set_root (generator, node);
  json_generator_set_pretty (generator, !compact);
  json_generator_set_indent (generator, 2);
  return json_generator_to_data (generator, NULL);
}
