/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "common/conf.h"

#include <glib/gstdio.h>
#include <string.h>

typedef struct {
  char *dir;
  char *path;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  f->dir = g_dir_make_tmp ("zcall-conf-XXXXXX", NULL);
  f->path = g_build_filename (f->dir, "zcall.conf", NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_unlink (f->path);
  g_rmdir (f->dir);
  g_free (f->path);
  g_free (f->dir);
}

static ZcConfig *
load (Fixture *f, const char *text, GError **error)
{
  g_assert_true (g_file_set_contents (f->path, text, -1, NULL));
  return zc_config_load_file (f->path, error);
}

static void
test_defaults (void)
{
  g_autoptr (ZcConfig) config = zc_config_new_default ();

  g_assert_cmpuint (config->sip_port, ==, 5060);
  g_assert_true (config->discovery_enabled);
  g_assert_false (config->auto_answer);
  g_assert_cmpint (config->accept_from, ==, ZC_ACCEPT_FROM_LAN);
  g_assert_cmpuint (config->max_calls, ==, 4);
  g_assert_cmpstr (config->capture_device, ==, "default");
  g_assert_true (config->echo_cancel);
  g_assert_cmpuint (config->echo_tail_ms, ==, 200);
  g_assert_true (config->denoise);
  g_assert_false (config->agc);
  g_assert_cmpuint (g_strv_length (config->codecs), ==, 3);
  g_assert_cmpstr (config->codecs[0], ==, "opus");
  g_assert_cmpuint (config->media_timeout_ms, ==, 20000);
  g_assert_cmpuint (config->opus_bitrate_bps, ==, 32000);
  g_assert_false (config->opus_dtx);
  g_assert_cmpuint (config->jitter_ms, ==, 60);
  g_assert_cmpuint (config->rtp_port_min, ==, 16384);
  g_assert_cmpuint (config->rtp_port_max, ==, 32766);
  g_assert_true (zc_config_is_valid_sip_user (config->user));
}

static void
test_full_file (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ZcConfig) config = load (f,
                                      "# comment\n"
                                      "[identity]\nuser=alice\ndisplay-name=Alice Ünal\n"
                                      "[sip]\nport = 5070\n"
                                      "[discovery]\nenabled=false\n"
                                      "[calls]\nauto-answer=3\naccept-from=any\nmax-calls=2\n"
                                      "[audio]\ncapture-device=hw:1\nplayback-device=pulse\nring-device=spk\necho-cancel=no\n"
                                      "echo-tail-ms=120\ndenoise=false\nagc=yes\n"
                                      "[media]\ncodecs=PCMA, opus,pcma\n"
                                      "media-timeout=1.5\nopus-bitrate=64000\nopus-dtx=true\njitter-buffer=100\n"
                                      "rtp-port-min=40000\nrtp-port-max=40100\n",
                                      &error);

  g_assert_no_error (error);
  g_assert_nonnull (config);
  g_assert_cmpstr (config->path, ==, f->path);
  g_assert_cmpstr (config->user, ==, "alice");
  g_assert_cmpstr (config->display_name, ==, "Alice Ünal");
  g_assert_cmpuint (config->sip_port, ==, 5070);
  g_assert_false (config->discovery_enabled);
  g_assert_true (config->auto_answer);
  g_assert_cmpuint (config->auto_answer_delay_s, ==, 3);
  g_assert_cmpint (config->accept_from, ==, ZC_ACCEPT_FROM_ANY);
  g_assert_cmpuint (config->max_calls, ==, 2);
  g_assert_cmpstr (config->capture_device, ==, "hw:1");
  g_assert_cmpstr (config->playback_device, ==, "pulse");
  g_assert_cmpstr (config->ring_device, ==, "spk");
  g_assert_false (config->echo_cancel);
  g_assert_cmpuint (config->echo_tail_ms, ==, 120);
  g_assert_false (config->denoise);
  g_assert_true (config->agc);
  /* Duplicates dropped, order kept, case folded. */
  g_assert_cmpuint (g_strv_length (config->codecs), ==, 2);
  g_assert_cmpstr (config->codecs[0], ==, "pcma");
  g_assert_cmpstr (config->codecs[1], ==, "opus");
  g_assert_cmpuint (config->media_timeout_ms, ==, 1500);
  g_assert_cmpuint (config->opus_bitrate_bps, ==, 64000);
  g_assert_true (config->opus_dtx);
  g_assert_cmpuint (config->jitter_ms, ==, 100);
  g_assert_cmpuint (config->rtp_port_min, ==, 40000);
  g_assert_cmpuint (config->rtp_port_max, ==, 40100);
}

static void
test_media_timeout_off (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autoptr (ZcConfig) off = load (f, "[media]\nmedia-timeout=0\n", NULL);
  g_autoptr (ZcConfig) longest = NULL;

  g_assert_cmpuint (off->media_timeout_ms, ==, 0);
  longest = load (f, "[media]\nmedia-timeout=3600\n", NULL);
  g_assert_cmpuint (longest->media_timeout_ms, ==, 3600000);
}

/* One end of the RTP range may move alone as long as the other end's
 * default still leaves a range. */
static void
test_rtp_port_range (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autoptr (ZcConfig) low = load (f, "[media]\nrtp-port-max=20000\n", NULL);
  g_autoptr (ZcConfig) narrow = NULL;

  g_assert_cmpuint (low->rtp_port_min, ==, 16384);
  g_assert_cmpuint (low->rtp_port_max, ==, 20000);
  narrow = load (f, "[media]\nrtp-port-min=50000\nrtp-port-max=50001\n", NULL);
  g_assert_cmpuint (narrow->rtp_port_min, ==, 50000);
  g_assert_cmpuint (narrow->rtp_port_max, ==, 50001);
}

static void
test_auto_answer_forms (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autoptr (ZcConfig) on = load (f, "[calls]\nauto-answer=true\n", NULL);
  g_autoptr (ZcConfig) off = NULL;

  g_assert_true (on->auto_answer);
  g_assert_cmpuint (on->auto_answer_delay_s, ==, 0);
  off = load (f, "[calls]\nauto-answer=false\n", NULL);
  g_assert_false (off->auto_answer);
}

/* Each broken file must fail and name file, line, group and key. */
static void
test_invalid_values (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  static const struct {
    const char *text;
    const char *expect; /* substring of the message after the path */
  } cases[] = {
    { "[sip]\nport=abc\n", ":2: [sip] port: “abc” is not a port number" },
    { "[sip]\n\nport=70000\n", ":3: [sip] port:" },
    { "[sip]\nport=0\n", ":2: [sip] port:" },
    { "[sip]\nport=-1\n", ":2: [sip] port:" },
    { "[identity]\nuser=al ice\n", ":2: [identity] user:" },
    { "[identity]\nuser=\n", ":2: [identity] user:" },
    { "[identity]\ndisplay-name=0123456789012345678901234567890123456789012345678901234567890123\n",
      ":2: [identity] display-name: longer than 63 bytes" },
    { "[discovery]\nenabled=maybe\n", ":2: [discovery] enabled: “maybe” is not a boolean" },
    { "[calls]\nauto-answer=soon\n", ":2: [calls] auto-answer:" },
    { "[calls]\nauto-answer=9999\n", ":2: [calls] auto-answer:" },
    { "[calls]\naccept-from=everyone\n", ":2: [calls] accept-from:" },
    { "[calls]\nmax-calls=0\n", ":2: [calls] max-calls:" },
    { "[audio]\necho-cancel=2\n", ":2: [audio] echo-cancel:" },
    { "[audio]\ncapture-device=\n", ":2: [audio] capture-device:" },
    { "[media]\ncodecs=opus;g729\n", ":2: [media] codecs: unknown codec “g729”" },
    { "[media]\ncodecs=;\n", ":2: [media] codecs: no codec given" },
    { "[audio]\necho-tail-ms=10\n", ":2: [audio] echo-tail-ms: “10” is not an echo tail" },
    { "[audio]\necho-tail-ms=501\n", ":2: [audio] echo-tail-ms:" },
    { "[audio]\necho-tail-ms=200ms\n", ":2: [audio] echo-tail-ms:" },
    { "[audio]\ndenoise=loud\n", ":2: [audio] denoise: “loud” is not a boolean" },
    { "[audio]\nagc=2\n", ":2: [audio] agc: “2” is not a boolean" },
    { "[media]\nmedia-timeout=0.5\n", ":2: [media] media-timeout: “0.5” is not a time in seconds" },
    { "[media]\nmedia-timeout=3601\n", ":2: [media] media-timeout:" },
    { "[media]\nmedia-timeout=-1\n", ":2: [media] media-timeout:" },
    { "[media]\nmedia-timeout=never\n", ":2: [media] media-timeout:" },
    { "[media]\nopus-bitrate=5999\n", ":2: [media] opus-bitrate: “5999” is not a bitrate" },
    { "[media]\nopus-bitrate=510001\n", ":2: [media] opus-bitrate:" },
    { "[media]\nopus-dtx=sometimes\n", ":2: [media] opus-dtx: “sometimes” is not a boolean" },
    { "[media]\njitter-buffer=19\n", ":2: [media] jitter-buffer: “19” is not a jitter buffer depth" },
    { "[media]\njitter-buffer=1001\n", ":2: [media] jitter-buffer:" },
    { "[media]\nrtp-port-min=1022\n", ":2: [media] rtp-port-min: “1022” is not a port number (1024-65535)" },
    { "[media]\nrtp-port-min=20001\n", ":2: [media] rtp-port-min: “20001” is odd" },
    { "[media]\nrtp-port-max=65536\n", ":2: [media] rtp-port-max: “65536” is not a port number" },
    /* The range is checked once both ends are known; the message names
     * the line of the key that was set. */
    { "[media]\nrtp-port-min=40000\n", ":2: [media] rtp-port-min: rtp-port-min (40000) must be below rtp-port-max (32766)" },
    { "[media]\nrtp-port-max=2000\n", ":2: [media] rtp-port-max: rtp-port-min (16384) must be below rtp-port-max (2000)" },
    { "[media]\nrtp-port-max=20000\n\nrtp-port-min=20000\n", ":2: [media] rtp-port-max: rtp-port-min (20000)" },
    { "[audio]\nagc=true\n[media]\nrtp-port-min=20000\nrtp-port-max=10000\n", ":5: [media] rtp-port-max:" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (ZcConfig) config = load (f, cases[i].text, &error);
    g_autofree char *expected = g_strconcat (f->path, cases[i].expect, NULL);

    g_assert_null (config);
    g_assert_error (error, ZC_CONFIG_ERROR, ZC_CONFIG_ERROR_INVALID_VALUE);
    if (!g_str_has_prefix (error->message, expected))
      g_error ("case %zu: got “%s”, expected a message starting “%s”", i, error->message, expected);
  }
}

static void
test_syntax_errors (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  static const struct {
    const char *text;
    const char *expect;
  } cases[] = {
    { "[sip]\nport 5060\n", ":2: not a “key=value” line" },
    { "port=5060\n", ":1: key before the first [group] header" },
    { "[sip\nport=1\n", ":1: malformed group header" },
    { "[sip]\n=5060\n", ":2: not a “key=value” line" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (ZcConfig) config = load (f, cases[i].text, &error);
    g_autofree char *expected = g_strconcat (f->path, cases[i].expect, NULL);

    g_assert_null (config);
    g_assert_error (error, ZC_CONFIG_ERROR, ZC_CONFIG_ERROR_SYNTAX);
    if (!g_str_has_prefix (error->message, expected))
      g_error ("case %zu: got “%s”, expected a message starting “%s”", i, error->message, expected);
  }
}

static void
test_binary_file (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ZcConfig) config = NULL;

  g_assert_true (g_file_set_contents (f->path, "[sip]\nport=\xff\xfe\n", -1, NULL));
  config = zc_config_load_file (f->path, &error);
  g_assert_null (config);
  g_assert_error (error, ZC_CONFIG_ERROR, ZC_CONFIG_ERROR_SYNTAX);
}

static void
test_unknown_keys_warn (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autoptr (ZcConfig) config = NULL;
  g_autofree char *key_pattern = g_strdup_printf ("*%s:3: [sip] colour: unknown key*", f->path);
  g_autofree char *group_pattern = g_strdup_printf ("*%s: unknown group [video]*", f->path);

  g_test_expect_message ("config", G_LOG_LEVEL_WARNING, key_pattern);
  g_test_expect_message ("config", G_LOG_LEVEL_WARNING, group_pattern);
  config = load (f, "[sip]\nport=5062\ncolour=blue\n[video]\nfps=30\n", NULL);
  g_test_assert_expected_messages ();
  g_assert_nonnull (config);
  g_assert_cmpuint (config->sip_port, ==, 5062);
}

static void
test_missing_explicit_file (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ZcConfig) config = zc_config_load ("/nonexistent/zcall.conf", &error);

  g_assert_null (config);
  g_assert_error (error, ZC_CONFIG_ERROR, ZC_CONFIG_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "/nonexistent/zcall.conf"));
}

static void
test_sip_user_chars (void)
{
  g_assert_true (zc_config_is_valid_sip_user ("alice"));
  g_assert_true (zc_config_is_valid_sip_user ("a.b-c_d!~*'()"));
  g_assert_false (zc_config_is_valid_sip_user (""));
  g_assert_false (zc_config_is_valid_sip_user ("a b"));
  g_assert_false (zc_config_is_valid_sip_user ("a@b"));
  g_assert_false (zc_config_is_valid_sip_user ("a:b"));
  g_assert_false (zc_config_is_valid_sip_user ("é"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/conf/defaults", test_defaults);
  g_test_add ("/conf/full-file", Fixture, NULL, fixture_setup, test_full_file, fixture_teardown);
  g_test_add ("/conf/auto-answer", Fixture, NULL, fixture_setup, test_auto_answer_forms, fixture_teardown);
  g_test_add ("/conf/media-timeout-off", Fixture, NULL, fixture_setup, test_media_timeout_off, fixture_teardown);
  g_test_add ("/conf/rtp-port-range", Fixture, NULL, fixture_setup, test_rtp_port_range, fixture_teardown);
  g_test_add ("/conf/invalid-values", Fixture, NULL, fixture_setup, test_invalid_values, fixture_teardown);
  g_test_add ("/conf/syntax-errors", Fixture, NULL, fixture_setup, test_syntax_errors, fixture_teardown);
  g_test_add ("/conf/binary-file", Fixture, NULL, fixture_setup, test_binary_file, fixture_teardown);
  g_test_add ("/conf/unknown-keys", Fixture, NULL, fixture_setup, test_unknown_keys_warn, fixture_teardown);
  g_test_add_func ("/conf/missing-explicit-file", test_missing_explicit_file);
  g_test_add_func ("/conf/sip-user", test_sip_user_chars);
  return g_test_run ();
}
