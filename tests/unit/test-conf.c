/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "core/conf.h"
#include "audio/aec.h"
#include "ice/ice-agent.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

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
  g_autoptr (GDir) dir = g_dir_open (f->dir, 0, NULL);
  const char *name;

  /* The config file and any password files a test wrote beside it. */
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
    g_autofree char *path = g_build_filename (f->dir, name, NULL);
    if (g_rmdir (path) != 0)
      g_unlink (path);
  }
  g_rmdir (f->dir);
  g_free (f->path);
  g_free (f->dir);
}

/* The configuration keeps its own copies of these defaults (so it includes
 * no audio/ or ice/ header); here both are in view, so a change on either
 * side shows. */
static void
test_defaults_match_layers (void)
{
  g_autoptr (ZcConfig) config = zc_config_new_default ();

  g_assert_cmpuint (ZC_CONFIG_DEFAULT_ECHO_TAIL_MS, ==, ZC_AEC_DEFAULT_TAIL_MS);
  g_assert_cmpuint (config->echo_tail_ms, >=, ZC_AEC_MIN_TAIL_MS);
  g_assert_cmpuint (config->echo_tail_ms, <=, ZC_AEC_MAX_TAIL_MS);
  g_assert_cmpuint (ZC_CONFIG_DEFAULT_RTP_PORT_MIN, ==, ZC_RTP_PORT_MIN);
  g_assert_cmpuint (ZC_CONFIG_DEFAULT_RTP_PORT_MAX, ==, ZC_RTP_PORT_MAX);
  g_assert_cmpuint (config->rtp_port_min, ==, ZC_RTP_PORT_MIN);
  g_assert_cmpuint (config->rtp_port_max, ==, ZC_RTP_PORT_MAX);
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
  /* LAN and, once a registrar is configured, calls it relays. */
  g_assert_cmpuint (config->accept_from, ==, ZC_ACCEPT_FROM_LAN | ZC_ACCEPT_FROM_RENDEZVOUS);
  /* Auto-answer, once on, answers only peers whose key the user verified. */
  g_assert_cmpuint (g_strv_length (config->auto_answer_from), ==, 1);
  g_assert_cmpstr (config->auto_answer_from[0], ==, "trusted");
  g_assert_cmpuint (config->max_calls, ==, 4);
  g_assert_cmpstr (config->capture_device, ==, "default");
  g_assert_true (config->echo_cancel);
  g_assert_cmpuint (config->echo_tail_ms, ==, 200);
  g_assert_true (config->denoise);
  g_assert_false (config->agc);
  g_assert_cmpuint (g_strv_length (config->codecs), ==, 4);
  g_assert_cmpstr (config->codecs[0], ==, "opus");
  g_assert_cmpstr (config->codecs[1], ==, "g722"); /* wideband before G.711 */
  g_assert_cmpstr (config->codecs[2], ==, "pcmu");
  g_assert_cmpuint (config->media_timeout_ms, ==, 20000);
  g_assert_cmpuint (config->opus_bitrate_bps, ==, 32000);
  g_assert_false (config->opus_dtx);
  g_assert_cmpuint (config->opus_rate_hz, ==, 16000);
  g_assert_cmpuint (config->jitter_ms, ==, 40);
  g_assert_cmpuint (config->ptime_ms, ==, 10);
  g_assert_cmpuint (config->rtp_port_min, ==, 16384);
  g_assert_cmpuint (config->rtp_port_max, ==, 32766);
  g_assert_true (zc_config_is_valid_sip_user (config->user));
  g_assert_null (config->registrar);
  g_assert_cmpstr (config->rdv_username, ==, config->user);
  g_assert_null (config->rdv_password);
  g_assert_null (config->stun_server);
  g_assert_null (config->turn_server);
  g_assert_null (config->turn_username);
  g_assert_null (config->turn_password);
  g_assert_cmpuint (config->register_expires_s, ==, 600);
  g_assert_cmpuint (config->keepalive_interval_s, ==, 25);
  g_assert_cmpint (config->keepalive_method, ==, ZC_KEEPALIVE_CRLF);
  g_assert_false (config->ice_tcp);
  /* Between zcall agents never plain; plain only with peers that cannot encrypt. */
  g_assert_cmpint (config->media_encryption, ==, ZC_MEDIA_ENCRYPTION_REQUIRED_FOR_ZCALL);
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
                                      "media-timeout=1.5\nopus-bitrate=64000\nopus-dtx=true\nopus-bandwidth=Fullband\njitter-buffer=100\nptime=20\n"
                                      "rtp-port-min=40000\nrtp-port-max=40100\n"
                                      "[security]\nmedia-encryption=Required\n",
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
  g_assert_cmpint (config->media_encryption, ==, ZC_MEDIA_ENCRYPTION_REQUIRED);
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
  g_assert_cmpuint (config->opus_rate_hz, ==, 48000);
  g_assert_cmpuint (config->jitter_ms, ==, 100);
  g_assert_cmpuint (config->ptime_ms, ==, 20);
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

static void
test_auto_answer_from (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  static const char *const bad[] = {
    "sip:@host", "bob@", "sip:bob@host;transport=tcp", "a@b@c", "sip:bob",
    "0123456789012345678901234567890123456789012345678901234567890123", /* 64 bytes: no instance name */
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (ZcConfig) list = load (f,
                                    "[calls]\nauto-answer-from= Trusted , KNOWN,Bob's PC, bob@Example.ORG,"
                                    "sip:carol@[2001:DB8::1],,*\n",
                                    &error);
  g_autoptr (ZcConfig) nobody = NULL;

  g_assert_no_error (error);
  /* Keywords folded, URIs normalised (host lower-case, user as is). */
  g_assert_cmpuint (g_strv_length (list->auto_answer_from), ==, 6);
  g_assert_cmpstr (list->auto_answer_from[0], ==, "trusted");
  g_assert_cmpstr (list->auto_answer_from[1], ==, "known");
  g_assert_cmpstr (list->auto_answer_from[2], ==, "Bob's PC");
  g_assert_cmpstr (list->auto_answer_from[3], ==, "sip:bob@example.org");
  g_assert_cmpstr (list->auto_answer_from[4], ==, "sip:carol@[2001:db8::1]");
  g_assert_cmpstr (list->auto_answer_from[5], ==, "*");
  /* Allowed, but said once at load: auto-answer on would do nothing. */
  g_test_expect_message ("config", G_LOG_LEVEL_WARNING, "*:3: [calls] auto-answer is on, but auto-answer-from allows nobody*");
  nobody = load (f, "[calls]\nauto-answer=true\nauto-answer-from=\n", &error);
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (nobody->auto_answer_from), ==, 0);
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autofree char *text = g_strdup_printf ("[calls]\nauto-answer-from=known,%s\n", bad[i]);
    g_autoptr (ZcConfig) config = load (f, text, &error);

    g_assert_null (config);
    g_assert_error (error, ZC_CONFIG_ERROR, ZC_CONFIG_ERROR_INVALID_VALUE);
    g_assert_nonnull (strstr (error->message, ":2: [calls] auto-answer-from: "));
    g_clear_error (&error);
  }
}

/* SIGHUP: what takes effect live is copied into the configuration in use
 * (whose strings the modules may point at for the moment), the rest is
 * named for a restart and keeps its old value. */
static void
test_apply_live (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ZcConfig) live = load (f, "[identity]\nuser=alice\ndisplay-name=Alice\n[sip]\nport=5060\n", &error);
  g_autoptr (ZcConfig) same = NULL;
  g_autoptr (ZcConfig) fresh = NULL;
  g_autoptr (GPtrArray) restart = g_ptr_array_new_with_free_func (g_free);

  g_assert_no_error (error);
  same = load (f, "[identity]\nuser=alice\ndisplay-name=Alice\n[sip]\nport=5060\n", &error);
  g_assert_false (zc_config_apply_live (live, same, restart));
  g_assert_cmpuint (restart->len, ==, 0);

  fresh = load (f,
                "[identity]\nuser=alicia\ndisplay-name=Alice (desk 2)\n[sip]\nport=5070\nrate-limit=7\n"
                "[discovery]\nprobe-interval=5\n"
                "[calls]\nauto-answer=2\nauto-answer-from=known,*\naccept-from=lan\nmax-calls=1\n"
                "[audio]\nplayback-device=hw:2\n[media]\ncodecs=pcma\njitter-buffer=80\n"
                "[rendezvous]\nregistrar=sip:198.51.100.1\n[security]\nmedia-encryption=required\n",
                &error);
  g_assert_no_error (error);
  g_assert_true (zc_config_apply_live (live, fresh, restart));
  /* Taken over. */
  g_assert_cmpstr (live->display_name, ==, "Alice (desk 2)");
  g_assert_cmpuint (live->rate_limit, ==, 7);
  g_assert_true (live->auto_answer);
  g_assert_cmpuint (live->auto_answer_delay_s, ==, 2);
  g_assert_cmpstr (live->auto_answer_from[0], ==, "known");
  g_assert_cmpstr (live->auto_answer_from[1], ==, "*");
  g_assert_cmpuint (live->accept_from, ==, ZC_ACCEPT_FROM_LAN);
  g_assert_cmpuint (live->max_calls, ==, 1);
  g_assert_cmpstr (live->playback_device, ==, "hw:2");
  g_assert_cmpstr (live->codecs[0], ==, "pcma");
  g_assert_null (live->codecs[1]);
  g_assert_cmpuint (live->jitter_ms, ==, 80);
  g_assert_cmpint (live->media_encryption, ==, ZC_MEDIA_ENCRYPTION_REQUIRED);
  /* Copies, not borrowed from @fresh. */
  g_assert_true (live->codecs != fresh->codecs);
  g_assert_true (live->auto_answer_from != fresh->auto_answer_from);
  /* Waiting for a restart, old values kept. */
  g_assert_cmpstr (live->user, ==, "alice");
  g_assert_cmpuint (live->sip_port, ==, 5060);
  g_assert_cmpuint (live->probe_interval_ms, ==, 1000);
  g_assert_null (live->registrar);
  /* The rendezvous user name follows [identity] user by default. */
  g_assert_cmpuint (restart->len, ==, 5);
  g_assert_cmpstr (g_ptr_array_index (restart, 0), ==, "[identity] user");
  g_assert_cmpstr (g_ptr_array_index (restart, 1), ==, "[sip] port");
  g_assert_cmpstr (g_ptr_array_index (restart, 2), ==, "[discovery] probe-interval");
  g_assert_cmpstr (g_ptr_array_index (restart, 3), ==, "[rendezvous] registrar");
  g_assert_cmpstr (g_ptr_array_index (restart, 4), ==, "[rendezvous] username");
}

static void
test_accept_from (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  static const struct {
    const char *value;
    guint flags;
  } good[] = {
    { "lan", ZC_ACCEPT_FROM_LAN },
    { "LAN, rendezvous", ZC_ACCEPT_FROM_LAN | ZC_ACCEPT_FROM_RENDEZVOUS },
    { "rendezvous", ZC_ACCEPT_FROM_RENDEZVOUS },
    { "any", ZC_ACCEPT_FROM_ANY },
  };
  static const char *const bad[] = { "", " , ", "lan,internet", "wan" };
  g_autoptr (GError) error = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++) {
    g_autofree char *text = g_strdup_printf ("[calls]\naccept-from=%s\n", good[i].value);
    g_autoptr (ZcConfig) config = load (f, text, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (config->accept_from, ==, good[i].flags);
  }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autofree char *text = g_strdup_printf ("[calls]\naccept-from=%s\n", bad[i]);
    g_autoptr (ZcConfig) config = load (f, text, &error);

    g_assert_null (config);
    g_assert_error (error, ZC_CONFIG_ERROR, ZC_CONFIG_ERROR_INVALID_VALUE);
    g_clear_error (&error);
  }
}

/* A file beside the configuration, with @mode; returns its full path. */
static char *
write_secret (Fixture *f, const char *name, const char *contents, int mode)
{
  char *path = g_build_filename (f->dir, name, NULL);

  g_assert_true (g_file_set_contents (path, contents, -1, NULL));
  g_assert_cmpint (g_chmod (path, mode), ==, 0);
  return path;
}

static void
test_rendezvous_full (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ZcConfig) config = NULL;
  g_autofree char *pw = write_secret (f, "sip.pw", "s3cret pass\nsecond line ignored\n", 0600);
  g_autofree char *turn_pw = write_secret (f, "turn.pw", "turnpw\r\n", 0400);
  g_autofree char *text = g_strdup_printf ("[rendezvous]\n"
                                           "registrar=sip:K1.Example.TEST:5060;transport=TCP\n"
                                           "username=alice.r\n"
                                           "password-file=%s\n"
                                           "stun-server=STUN.example.test\n"
                                           "turn-server=turn.example.test:3479\n"
                                           "turn-username=1700000000:alice\n"
                                           /* relative: beside the configuration file */
                                           "turn-password-file=turn.pw\n"
                                           "register-expires=3600\n"
                                           "keepalive-interval=0\n"
                                           "keepalive=OPTIONS\n"
                                           "ice-tcp=true\n",
                                           pw);

  config = load (f, text, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (config->registrar, ==, "sip:k1.example.test:5060;transport=tcp");
  g_assert_cmpstr (config->rdv_username, ==, "alice.r");
  g_assert_cmpstr (config->rdv_password, ==, "s3cret pass");
  g_assert_cmpstr (config->stun_server, ==, "stun.example.test:3478");
  g_assert_cmpstr (config->turn_server, ==, "turn.example.test:3479");
  g_assert_cmpstr (config->turn_username, ==, "1700000000:alice");
  g_assert_cmpstr (config->turn_password, ==, "turnpw");
  g_assert_cmpuint (config->register_expires_s, ==, 3600);
  g_assert_cmpuint (config->keepalive_interval_s, ==, 0);
  g_assert_cmpint (config->keepalive_method, ==, ZC_KEEPALIVE_OPTIONS);
  g_assert_true (config->ice_tcp);
}

#define FP_HEX "ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12"
#define FP_SDP "sha-256 AB:12:CD:34:EF:56:AB:12:CD:34:EF:56:AB:12:CD:34:EF:56:AB:12:CD:34:EF:56:AB:12:CD:34:EF:56:AB:12"

/* ca-file= and server-fingerprint= for a TLS registrar: a relative CA
 * path is the configuration file's folder, a pin in any spelling is kept
 * in the SDP form tls.c compares with. */
static void
test_rendezvous_tls (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (f->path);
  g_autofree char *ca = g_build_filename (dir, "rdv-ca.pem", NULL);
  g_autofree char *pem = NULL;
  g_autoptr (ZcConfig) config = NULL;
  g_autoptr (ZcConfig) pinned = NULL;
  g_autoptr (ZcConfig) plain = NULL;

  g_assert_true (g_file_get_contents ("/etc/ssl/certs/ca-certificates.crt", &pem, NULL, NULL));
  g_assert_true (g_file_set_contents (ca, pem, -1, NULL));
  config = load (f, "[rendezvous]\nregistrar=sips:rdv.example.test\nca-file=rdv-ca.pem\n", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (config->registrar, ==, "sips:rdv.example.test");
  g_assert_cmpstr (config->rdv_ca_file, ==, ca);
  g_assert_null (config->rdv_server_fingerprint);

  pinned = load (f, "[rendezvous]\nserver-fingerprint= " FP_HEX "\nregistrar=sip:rdv.example.test;transport=tls\n",
                 &error);
  g_assert_no_error (error);
  g_assert_cmpstr (pinned->rdv_server_fingerprint, ==, FP_SDP);
  g_assert_null (pinned->rdv_ca_file);

  /* Neither: the system's trust store (NULL). */
  plain = load (f, "[rendezvous]\nregistrar=sips:rdv.example.test\n", &error);
  g_assert_no_error (error);
  g_assert_null (plain->rdv_ca_file);
  g_assert_null (plain->rdv_server_fingerprint);
  g_unlink (ca);
}

static void
test_rendezvous_forms (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  static const struct {
    const char *value;
    const char *registrar;
  } registrars[] = {
    { "example.test", "sip:example.test" },
    { "sip:example.test", "sip:example.test" },
    { "SIP:Example.Test", "sip:example.test" },
    { "k1.example.test:5070", "sip:k1.example.test:5070" },
    { "sip:proxy.example.test;lr;transport=udp", "sip:proxy.example.test;transport=udp;lr" },
    { "198.19.53.1", "sip:198.19.53.1" },
    { "[2001:db8::1]:5062", "sip:[2001:db8::1]:5062" },
    /* Over TLS: sips: keeps its scheme, transport=tls is lower-cased. */
    { "sips:Example.Test", "sips:example.test" },
    { "SIPS:k1.example.test:5071;lr", "sips:k1.example.test:5071;lr" },
    { "sips:example.test;transport=tcp", "sips:example.test;transport=tcp" },
    { "sip:example.test;transport=TLS", "sip:example.test;transport=tls" },
  };
  static const struct {
    const char *value;
    const char *server;
  } servers[] = {
    { "stun.example.test", "stun.example.test:3478" },
    { "198.19.53.1:3479", "198.19.53.1:3479" },
    { "[2001:db8::1]:19302", "[2001:db8::1]:19302" },
    { "[2001:db8::1]", "[2001:db8::1]:3478" },
    { "2001:db8::1", "[2001:db8::1]:3478" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (registrars); i++) {
    g_autoptr (GError) error = NULL;
    g_autofree char *text = g_strdup_printf ("[rendezvous]\nregistrar=%s\n", registrars[i].value);
    g_autoptr (ZcConfig) config = load (f, text, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (config->registrar, ==, registrars[i].registrar);
  }
  for (gsize i = 0; i < G_N_ELEMENTS (servers); i++) {
    g_autoptr (GError) error = NULL;
    g_autofree char *text = g_strdup_printf ("[rendezvous]\nstun-server=%s\nturn-server=%s\n",
                                             servers[i].value, servers[i].value);
    g_autoptr (ZcConfig) config = load (f, text, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (config->stun_server, ==, servers[i].server);
    g_assert_cmpstr (config->turn_server, ==, servers[i].server);
  }
  /* RFC 7065 TURN URIs: the transport to the server, TLS on 5349. */
  {
    static const struct {
      const char *value;
      const char *server;
    } turns[] = {
      { "turn:Turn.example.test", "turn.example.test:3478" },
      { "turn:turn.example.test?transport=udp", "turn.example.test:3478" },
      { "turn:turn.example.test?transport=tcp", "turn:turn.example.test:3478?transport=tcp" },
      { "TURN:turn.example.test:80?transport=TCP", "turn:turn.example.test:80?transport=tcp" },
      { "turns:turn.example.test", "turns:turn.example.test:5349" },
      { "turns:[2001:db8::1]:443", "turns:[2001:db8::1]:443" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS (turns); i++) {
      g_autoptr (GError) error = NULL;
      g_autofree char *text = g_strdup_printf ("[rendezvous]\nturn-server=%s\n", turns[i].value);
      g_autoptr (ZcConfig) config = load (f, text, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (config->turn_server, ==, turns[i].server);
    }
  }
}

/* The registration user defaults to [identity] user, even when that group
 * comes after [rendezvous]. */
static void
test_rendezvous_username_default (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ZcConfig) config = load (f, "[rendezvous]\nregistrar=example.test\n[identity]\nuser=bob\n", &error);

  g_assert_no_error (error);
  g_assert_cmpstr (config->user, ==, "bob");
  g_assert_cmpstr (config->rdv_username, ==, "bob");
  g_assert_null (config->rdv_password);
}

/* A password file must be a regular file nobody but its owner can read or
 * change; the message names the file, its mode and the fix, and never
 * carries the password. */
static void
test_rendezvous_password_files (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_autofree char *open_pw = write_secret (f, "open.pw", "hunter2\n", 0644);
  g_autofree char *group_pw = write_secret (f, "group.pw", "hunter2\n", 0640);
  g_autofree char *empty_pw = write_secret (f, "empty.pw", "\n", 0600);
  g_autofree char *ok_pw = write_secret (f, "ok.pw", "hunter2", 0600);
  g_autofree char *subdir = g_build_filename (f->dir, "sub", NULL);
  const struct {
    const char *key;
    const char *file;
    const char *expect; /* substring of the message after the path */
  } cases[] = {
    { "password-file", open_pw, ":3: [rendezvous] password-file: password file “" },
    { "password-file", group_pw, ":3: [rendezvous] password-file: password file “" },
    { "turn-password-file", open_pw, ":5: [rendezvous] turn-password-file: password file “" },
    { "password-file", empty_pw, ":3: [rendezvous] password-file: password file “" },
    { "password-file", "/nonexistent/zcall.pw", ":3: [rendezvous] password-file: cannot open password file “/nonexistent/zcall.pw”" },
    { "password-file", subdir, ":3: [rendezvous] password-file: password file “" },
    { "password-file", "", ":3: [rendezvous] password-file: empty file name" },
  };

  g_assert_cmpint (g_mkdir (subdir, 0700), ==, 0);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (ZcConfig) config = NULL;
    g_autofree char *expected = g_strconcat (f->path, cases[i].expect, NULL);
    g_autofree char *text = NULL;

    if (g_str_equal (cases[i].key, "password-file"))
      text = g_strdup_printf ("[rendezvous]\nregistrar=example.test\n%s=%s\n", cases[i].key, cases[i].file);
    else
      text = g_strdup_printf ("[rendezvous]\nturn-server=turn.example.test\nturn-username=u\n\n%s=%s\n",
                              cases[i].key, cases[i].file);
    config = load (f, text, &error);
    g_assert_null (config);
    g_assert_error (error, ZC_CONFIG_ERROR, ZC_CONFIG_ERROR_INVALID_VALUE);
    if (!g_str_has_prefix (error->message, expected))
      g_error ("case %zu: got “%s”, expected a message starting “%s”", i, error->message, expected);
    g_assert_null (strstr (error->message, "hunter2"));
  }

  /* The mode case in full: file, mode and the command that fixes it. */
  {
    g_autoptr (GError) error = NULL;
    g_autofree char *text = g_strdup_printf ("[rendezvous]\nregistrar=example.test\npassword-file=%s\n", open_pw);
    g_autofree char *fix = g_strdup_printf ("run “chmod 600 %s”", open_pw);
    g_autoptr (ZcConfig) config = load (f, text, &error);

    g_assert_null (config);
    g_assert_nonnull (strstr (error->message, open_pw));
    g_assert_nonnull (strstr (error->message, "mode 0644"));
    g_assert_nonnull (strstr (error->message, fix));
  }
  {
    g_autoptr (GError) error = NULL;
    g_autofree char *text = g_strdup_printf ("[rendezvous]\nregistrar=example.test\npassword-file=%s\n", empty_pw);
    g_autoptr (ZcConfig) config = load (f, text, &error);

    g_assert_null (config);
    g_assert_nonnull (strstr (error->message, "is empty"));
  }
  /* No newline at the end is fine; the file name may be relative. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (ZcConfig) config = load (f, "[rendezvous]\nregistrar=example.test\npassword-file=ok.pw\n", &error);

    g_assert_no_error (error);
    g_assert_cmpstr (config->rdv_password, ==, "hunter2");
  }
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
    { "[media]\nopus-bandwidth=16000\n",
      ":2: [media] opus-bandwidth: “16000” is not narrowband, mediumband, wideband, super-wideband or fullband" },
    { "[security]\nmedia-encryption=sdes\n",
      ":2: [security] media-encryption: “sdes” is not required-for-zcall or required" },
    { "[media]\njitter-buffer=19\n", ":2: [media] jitter-buffer: “19” is not a jitter buffer depth" },
    { "[media]\njitter-buffer=1001\n", ":2: [media] jitter-buffer:" },
    { "[media]\nptime=15\n", ":2: [media] ptime: “15” is not a packet time in milliseconds (10 or 20)" },
    { "[media]\nptime=30\n", ":2: [media] ptime:" },
    { "[media]\nrtp-port-min=1022\n", ":2: [media] rtp-port-min: “1022” is not a port number (1024-65535)" },
    { "[media]\nrtp-port-min=20001\n", ":2: [media] rtp-port-min: “20001” is odd" },
    { "[media]\nrtp-port-max=65536\n", ":2: [media] rtp-port-max: “65536” is not a port number" },
    /* The range is checked once both ends are known; the message names
     * the line of the key that was set. */
    { "[media]\nrtp-port-min=40000\n", ":2: [media] rtp-port-min: rtp-port-min (40000) must be below rtp-port-max (32766)" },
    { "[media]\nrtp-port-max=2000\n", ":2: [media] rtp-port-max: rtp-port-min (16384) must be below rtp-port-max (2000)" },
    { "[media]\nrtp-port-max=20000\n\nrtp-port-min=20000\n", ":2: [media] rtp-port-max: rtp-port-min (20000)" },
    { "[audio]\nagc=true\n[media]\nrtp-port-min=20000\nrtp-port-max=10000\n", ":5: [media] rtp-port-max:" },
    { "[rendezvous]\nregistrar=\n", ":2: [rendezvous] registrar: “” is not a SIP URI" },
    { "[rendezvous]\nregistrar=sip:\n", ":2: [rendezvous] registrar: “sip:” is not a SIP URI" },
    { "[rendezvous]\nregistrar=exa mple.test\n", ":2: [rendezvous] registrar: “exa mple.test” contains spaces" },
    { "[rendezvous]\nregistrar=sips:example.test;transport=udp\n", ":2: [rendezvous] registrar: “sips:example.test;transport=udp”: a sips: URI cannot use transport=udp" },
    { "[rendezvous]\nregistrar=sips:\n", ":2: [rendezvous] registrar: “sips:” is not a SIP URI" },
    { "[rendezvous]\nregistrar=sip:alice@example.test\n", ":2: [rendezvous] registrar: “sip:alice@example.test”: a registrar URI has no user part" },
    { "[rendezvous]\nregistrar=sip:example.test;transport=sctp\n", ":2: [rendezvous] registrar: “sip:example.test;transport=sctp”: transport must be udp, tcp or tls" },
    { "[rendezvous]\nregistrar=sips:r\nca-file=/nonexistent/ca.pem\n", ":3: [rendezvous] ca-file: cannot read CA certificates from “/nonexistent/ca.pem”" },
    { "[rendezvous]\nregistrar=sips:r\nca-file=\n", ":3: [rendezvous] ca-file: empty file name" },
    { "[rendezvous]\nregistrar=sips:r\nserver-fingerprint=sha-256 AB:CD\n", ":3: [rendezvous] server-fingerprint: “sha-256 AB:CD” is not a SHA-256 certificate fingerprint" },
    { "[rendezvous]\nregistrar=sips:r\nserver-fingerprint=sha-1 AB:CD\n", ":3: [rendezvous] server-fingerprint: “sha-1 AB:CD” is not a SHA-256" },
    { "[rendezvous]\nregistrar=sip:example.test;maddr=1.2.3.4\n", ":2: [rendezvous] registrar: “sip:example.test;maddr=1.2.3.4”: unsupported URI parameter “maddr”" },
    { "[rendezvous]\nregistrar=example.test:65536\n", ":2: [rendezvous] registrar: “example.test:65536”: “65536” is not a port number" },
    { "[rendezvous]\nregistrar=sip:example.test:abc\n", ":2: [rendezvous] registrar: “sip:example.test:abc”: “abc” is not a port number" },
    { "[rendezvous]\nregistrar=sip:example.test?subject=x\n", ":2: [rendezvous] registrar: “sip:example.test?subject=x”: URI headers" },
    { "[rendezvous]\nregistrar=-bad-.test\n", ":2: [rendezvous] registrar: “-bad-.test”: “-bad-.test” is not a host name" },
    { "[rendezvous]\nregistrar=example.test\nusername=al ice\n", ":3: [rendezvous] username: “al ice” is not a valid SIP user name" },
    { "[rendezvous]\nstun-server=stun.example.test:0\n", ":2: [rendezvous] stun-server: “0” is not a port number" },
    { "[rendezvous]\nstun-server=[2001:db8::1\n", ":2: [rendezvous] stun-server: “[2001:db8::1” is not a host name" },
    { "[rendezvous]\nstun-server=a..b\n", ":2: [rendezvous] stun-server: “a..b” is not a host name" },
    { "[rendezvous]\nstun-server=\n", ":2: [rendezvous] stun-server:" },
    { "[rendezvous]\nturn-server=turn.example.test:x\n", ":2: [rendezvous] turn-server: “x” is not a port number" },
    { "[rendezvous]\nturn-server=t\nturn-username=\n", ":3: [rendezvous] turn-username: a TURN user name has 1 to 512 bytes" },
    { "[rendezvous]\nturn-server=turns:t?transport=tcp\n", ":2: [rendezvous] turn-server: “turns:t?transport=tcp”: only ?transport=" },
    { "[rendezvous]\nturn-server=turn:t?transport=sctp\n", ":2: [rendezvous] turn-server: “turn:t?transport=sctp”: only ?transport=" },
    { "[rendezvous]\nturn-server=turns:t:0\n", ":2: [rendezvous] turn-server: “0” is not a port number" },
    { "[rendezvous]\nturn-server=turns:t\nturn-ca-file=/nonexistent/ca.pem\n", ":3: [rendezvous] turn-ca-file: cannot read CA certificates from “/nonexistent/ca.pem”" },
    { "[rendezvous]\nturn-ca-file=/etc/ssl/certs/ca-certificates.crt\n", ":2: [rendezvous] turn-ca-file: needs turn-server= as well" },
    { "[rendezvous]\nregister-expires=59\n", ":2: [rendezvous] register-expires: “59” is not a registration time" },
    { "[rendezvous]\nregister-expires=86401\n", ":2: [rendezvous] register-expires:" },
    { "[rendezvous]\nkeepalive-interval=4\n", ":2: [rendezvous] keepalive-interval: “4” is not a keepalive interval" },
    { "[rendezvous]\nkeepalive-interval=3601\n", ":2: [rendezvous] keepalive-interval:" },
    { "[rendezvous]\nkeepalive-interval=25s\n", ":2: [rendezvous] keepalive-interval:" },
    { "[rendezvous]\nkeepalive=ping\n", ":2: [rendezvous] keepalive: “ping” is not one of: crlf, options" },
    { "[rendezvous]\npassword-file=/nonexistent/pw\n", ":2: [rendezvous] password-file: cannot open password file" },
    /* Consistency, checked after the whole file: the message names the
     * key that needs another. */
    { "[rendezvous]\nstun-server=s\nusername=alice\n", ":3: [rendezvous] username: needs registrar= as well" },
    { "[rendezvous]\nturn-username=alice\n", ":2: [rendezvous] turn-username: needs turn-server= as well" },
    { "[rendezvous]\nca-file=/etc/ssl/certs/ca-certificates.crt\n", ":2: [rendezvous] ca-file: needs registrar= as well" },
    { "[rendezvous]\nserver-fingerprint=" FP_HEX "\n", ":2: [rendezvous] server-fingerprint: needs registrar= as well" },
    /* A CA or a pin for a registrar reached in clear would check nothing. */
    { "[rendezvous]\nregistrar=sip:r;transport=tcp\nca-file=/etc/ssl/certs/ca-certificates.crt\n", ":3: [rendezvous] ca-file: needs a TLS registrar" },
    { "[rendezvous]\nserver-fingerprint=" FP_HEX "\nregistrar=r\n", ":2: [rendezvous] server-fingerprint: needs a TLS registrar" },
    { "[rendezvous]\nturn-server=t\n\nturn-username=alice\n", ":4: [rendezvous] turn-username: needs turn-password-file= as well" },
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
  g_test_add ("/conf/auto-answer-from", Fixture, NULL, fixture_setup, test_auto_answer_from, fixture_teardown);
  g_test_add ("/conf/accept-from", Fixture, NULL, fixture_setup, test_accept_from, fixture_teardown);
  g_test_add ("/conf/apply-live", Fixture, NULL, fixture_setup, test_apply_live, fixture_teardown);
  g_test_add ("/conf/media-timeout-off", Fixture, NULL, fixture_setup, test_media_timeout_off, fixture_teardown);
  g_test_add ("/conf/rtp-port-range", Fixture, NULL, fixture_setup, test_rtp_port_range, fixture_teardown);
  g_test_add ("/conf/rendezvous/full", Fixture, NULL, fixture_setup, test_rendezvous_full, fixture_teardown);
  g_test_add ("/conf/rendezvous/forms", Fixture, NULL, fixture_setup, test_rendezvous_forms, fixture_teardown);
  g_test_add ("/conf/rendezvous/tls", Fixture, NULL, fixture_setup, test_rendezvous_tls, fixture_teardown);
  g_test_add ("/conf/rendezvous/username-default", Fixture, NULL, fixture_setup, test_rendezvous_username_default,
              fixture_teardown);
  g_test_add ("/conf/rendezvous/password-files", Fixture, NULL, fixture_setup, test_rendezvous_password_files,
              fixture_teardown);
  g_test_add ("/conf/invalid-values", Fixture, NULL, fixture_setup, test_invalid_values, fixture_teardown);
  g_test_add ("/conf/syntax-errors", Fixture, NULL, fixture_setup, test_syntax_errors, fixture_teardown);
  g_test_add ("/conf/binary-file", Fixture, NULL, fixture_setup, test_binary_file, fixture_teardown);
  g_test_add ("/conf/unknown-keys", Fixture, NULL, fixture_setup, test_unknown_keys_warn, fixture_teardown);
  g_test_add_func ("/conf/missing-explicit-file", test_missing_explicit_file);
  g_test_add_func ("/conf/sip-user", test_sip_user_chars);
  g_test_add_func ("/conf/defaults-match-layers", test_defaults_match_layers);
  return g_test_run ();
}
