/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "cli/json.h"

#include <math.h>

/* A call as ListCalls returns it, with the "media" dictionary nested in
 * the call's a{sv}: it must come out as a nested object with its numbers. */
static void
test_nested_dict (void)
{
  GVariantBuilder media, call, calls;
  g_autoptr (GVariant) value = NULL;
  g_autofree char *text = NULL;

  g_variant_builder_init (&media, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&media, "{sv}", "packets_sent", g_variant_new_uint64 (1500));
  g_variant_builder_add (&media, "{sv}", "loss_pct", g_variant_new_double (2.5));
  g_variant_builder_init (&call, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&call, "{sv}", "id", g_variant_new_string ("1"));
  g_variant_builder_add (&call, "{sv}", "local_hold", g_variant_new_boolean (FALSE));
  g_variant_builder_add (&call, "{sv}", "media", g_variant_builder_end (&media));
  g_variant_builder_add (&call, "{sv}", "addresses", g_variant_new_strv ((const char *[]){ "a", "b" }, 2));
  g_variant_builder_init (&calls, G_VARIANT_TYPE ("aa{sv}"));
  g_variant_builder_add_value (&calls, g_variant_builder_end (&call));
  value = g_variant_ref_sink (g_variant_builder_end (&calls));

  text = zc_json_to_string (value, TRUE);
  g_assert_cmpstr (text, ==,
                   "[{\"id\":\"1\",\"local_hold\":false,"
                   "\"media\":{\"packets_sent\":1500,\"loss_pct\":2.5},"
                   "\"addresses\":[\"a\",\"b\"]}]");
}

/* What json-glib alone would print as "nan.0" or a negative number. */
static void
test_awkward_numbers (void)
{
  GVariantBuilder b;
  g_autoptr (GVariant) value = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  JsonObject *object;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "loss_pct", g_variant_new_double (NAN));
  g_variant_builder_add (&b, "{sv}", "rtt_ms", g_variant_new_double (INFINITY));
  g_variant_builder_add (&b, "{sv}", "big", g_variant_new_uint64 (G_MAXUINT64));
  g_variant_builder_add (&b, "{sv}", "wrapped", g_variant_new_variant (g_variant_new_double (NAN)));
  value = g_variant_ref_sink (g_variant_builder_end (&b));

  text = zc_json_to_string (value, FALSE);
  g_assert_true (json_parser_load_from_data (parser, text, -1, &error));
  g_assert_no_error (error);
  object = json_node_get_object (json_parser_get_root (parser));
  g_assert_true (json_object_get_null_member (object, "loss_pct"));
  g_assert_true (json_object_get_null_member (object, "rtt_ms"));
  g_assert_true (json_object_get_null_member (object, "wrapped"));
  g_assert_cmpfloat (json_object_get_double_member (object, "big"), >, 1e19);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cli-json/nested-dict", test_nested_dict);
  g_test_add_func ("/cli-json/awkward-numbers", test_awkward_numbers);
  return g_test_run ();
}
