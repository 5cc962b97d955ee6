/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "trust/fingerprint.h"
#include "trust/identity.h"
#include "trust/known-peers.h"
#include "trust/trust-error.h"
#include "trust/trust-file.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* SHA-256 ("abc"), FIPS 180-2 appendix B.1. */
#define ABC_SDP "sha-256 BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:" \
  "B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:15:AD"
#define ABC_COMPACT "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
#define ABC_HUMAN "BA78 16BF 8F01 CFEA 4141 40DE 5DAE 2223 B003 61A3 9617 7A9C B410 FF61 F200 15AD"

typedef struct {
  char *dir;
} Fixture;

static void
rm_rf (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL) {
    while ((name = g_dir_read_name (dir)) != NULL) {
      g_autofree char *child = g_build_filename (path, name, NULL);
      rm_rf (child);
    }
    g_dir_close (dir);
    g_rmdir (path);
  } else {
    g_unlink (path);
  }
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  (void) data;
  f->dir = g_dir_make_tmp ("zcall-trust-XXXXXX", NULL);
  g_assert_nonnull (f->dir);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  (void) data;
  rm_rf (f->dir);
  g_free (f->dir);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(char *const *) a, *(char *const *) b);
}

/* The names in @dir, sorted, space-separated: shows a stray temp file. */
static char *
dir_listing (const char *path)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_dir_close (dir);
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (" ", (char **) names->pdata);
}

static guint
mode_of (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return st.st_mode & 07777;
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

/* Runs the default main context for @ms milliseconds. */
static void
run_loop_ms (guint ms)
{
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);

  g_timeout_add (ms, quit_cb, loop);
  g_main_loop_run (loop);
}

/* Until the delayed write of known-peers is surely done. */
static void
wait_saved (void)
{
  run_loop_ms (ZC_KNOWN_PEERS_SAVE_DELAY_MS + 200);
}

static void
abc (ZcFingerprint *fp)
{
  zc_fingerprint_from_der ((const guint8 *) "abc", 3, fp);
}

/* ---- fingerprints --------------------------------------------------------- */

static void
test_fingerprint_forms (void)
{
  ZcFingerprint fp;
  g_autofree char *sdp = NULL, *compact = NULL, *human = NULL;

  abc (&fp);
  sdp = zc_fingerprint_to_sdp (&fp);
  compact = zc_fingerprint_to_compact (&fp);
  human = zc_fingerprint_to_human (&fp);
  g_assert_cmpstr (sdp, ==, ABC_SDP);
  g_assert_cmpstr (compact, ==, ABC_COMPACT);
  g_assert_cmpuint (strlen (compact), ==, ZC_FINGERPRINT_COMPACT_LEN);
  g_assert_cmpstr (human, ==, ABC_HUMAN);
  /* The TXT string "fp=<compact>" fits with room to spare (RFC 6763 6.1). */
  g_assert_cmpuint (strlen ("fp=") + strlen (compact), <=, 255);
}

static void
test_fingerprint_parse (void)
{
  const char *good[] = {
    ABC_SDP, ABC_COMPACT, ABC_HUMAN,
    "SHA-256 ba:78:16:bf:8f:01:cf:ea:41:41:40:de:5d:ae:22:23:b0:03:61:a3:96:17:7a:9c:b4:10:ff:61:f2:00:15:ad",
    "  " ABC_SDP "\n", "\t" ABC_COMPACT " ",
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:15:AD",
  };
  const char *bad[] = {
    "", "sha-256", "sha-256 BA:78", ABC_SDP ":00", "sha-256 BA-78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:"
    "B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:15:AD",
    /* The last character's unused bits set: not the canonical spelling. */
    "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa1",
    "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0",
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad0",
    "ga7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  };
  ZcFingerprint want, got;

  abc (&want);
  for (guint i = 0; i < G_N_ELEMENTS (good); i++) {
    g_autoptr (GError) error = NULL;

    memset (&got, 0, sizeof got);
    g_assert_true (zc_fingerprint_parse (good[i], &got, &error));
    g_assert_no_error (error);
    g_assert_true (zc_fingerprint_equal (&got, &want));
  }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;

    g_assert_false (zc_fingerprint_parse (bad[i], &got, &error));
    g_assert_error (error, ZC_TRUST_ERROR, ZC_TRUST_ERROR_INVALID);
  }
  {
    g_autoptr (GError) error = NULL;

    g_assert_false (zc_fingerprint_parse ("sha-1 A9:99:3E:36:47:06:81:6A:BA:3E:25:71:78:50:C2:6C:9C:D0:D8:9D",
                                          &got, &error));
    g_assert_error (error, ZC_TRUST_ERROR, ZC_TRUST_ERROR_UNSUPPORTED);
  }
  g_assert_false (zc_fingerprint_parse (NULL, &got, NULL));
}

static void
test_fingerprint_normalize (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *a = zc_fingerprint_normalize (ABC_COMPACT, NULL);
  g_autofree char *b = zc_fingerprint_normalize (ABC_HUMAN, NULL);
  g_autofree char *c = zc_fingerprint_normalize ("nonsense", &error);
  ZcFingerprint x, y;

  g_assert_cmpstr (a, ==, ABC_SDP);
  g_assert_cmpstr (b, ==, ABC_SDP);
  g_assert_null (c);
  g_assert_error (error, ZC_TRUST_ERROR, ZC_TRUST_ERROR_INVALID);

  abc (&x);
  zc_fingerprint_from_der ((const guint8 *) "abd", 3, &y);
  g_assert_true (zc_fingerprint_equal (&x, &x));
  g_assert_false (zc_fingerprint_equal (&x, &y));
}

/* ---- identity ------------------------------------------------------------- */

static void
test_identity_create_reload (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = g_build_filename (f->dir, "state", "zcall", NULL);
  g_autofree char *path = g_build_filename (dir, ZC_IDENTITY_FILE, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (ZcIdentity) id = NULL;
  g_autoptr (ZcIdentity) again = NULL;
  g_autofree char *listing = NULL;
  g_autofree char *sdp = NULL;
  guint8 digest[32];
  size_t digest_len = sizeof digest;
  ZcFingerprint parsed;
  gnutls_ecc_curve_t curve;
  unsigned int bits = 0;

  (void) data;
  id = zc_identity_load_or_create (dir, "alice@pc1", &error);
  g_assert_no_error (error);
  g_assert_nonnull (id);
  g_assert_true (zc_identity_is_new (id));
  g_assert_cmpstr (zc_identity_get_path (id), ==, path);
  g_assert_cmpstr (zc_identity_get_common_name (id), ==, "alice@pc1");
  g_assert_cmpuint (mode_of (path), ==, 0600);
  g_assert_cmpuint (mode_of (dir), ==, 0700);
  listing = dir_listing (dir);
  g_assert_cmpstr (listing, ==, ZC_IDENTITY_FILE);

  /* ECDSA P-256 (the curve every DTLS-SRTP peer accepts). */
  g_assert_cmpint (gnutls_x509_privkey_get_pk_algorithm2 (zc_identity_get_private_key (id), &bits),
                   ==, GNUTLS_PK_ECDSA);
  g_assert_cmpint (gnutls_x509_privkey_export_ecc_raw (zc_identity_get_private_key (id), &curve,
                                                       NULL, NULL, NULL), ==, 0);
  g_assert_cmpint (curve, ==, GNUTLS_ECC_CURVE_SECP256R1);
  g_assert_cmpint (gnutls_x509_crt_get_expiration_time (zc_identity_get_certificate (id)),
                   ==, (time_t) 253402300799); /* 99991231235959Z, RFC 5280 4.1.2.5 */
  g_assert_cmpint (gnutls_x509_crt_get_activation_time (zc_identity_get_certificate (id)), <=, time (NULL));

  /* Our fingerprint is GnuTLS's, in all three spellings. */
  g_assert_cmpint (gnutls_x509_crt_get_fingerprint (zc_identity_get_certificate (id), GNUTLS_DIG_SHA256,
                                                    digest, &digest_len), ==, 0);
  g_assert_cmpmem (digest, digest_len, zc_identity_get_fingerprint_raw (id)->sha256, 32);
  g_assert_true (g_str_has_prefix (zc_identity_get_fingerprint (id), "sha-256 "));
  g_assert_cmpuint (strlen (zc_identity_get_fingerprint_compact (id)), ==, ZC_FINGERPRINT_COMPACT_LEN);
  g_assert_true (zc_fingerprint_parse (zc_identity_get_fingerprint_compact (id), &parsed, NULL));
  g_assert_true (zc_fingerprint_equal (&parsed, zc_identity_get_fingerprint_raw (id)));
  g_assert_true (zc_fingerprint_parse (zc_identity_get_fingerprint_human (id), &parsed, NULL));
  sdp = zc_fingerprint_to_sdp (&parsed);
  g_assert_cmpstr (sdp, ==, zc_identity_get_fingerprint (id));

  /* A restart finds the same identity; the name given then does not matter. */
  again = zc_identity_load_or_create (dir, "someone-else", &error);
  g_assert_no_error (error);
  g_assert_false (zc_identity_is_new (again));
  g_assert_cmpstr (zc_identity_get_fingerprint (again), ==, zc_identity_get_fingerprint (id));
  g_assert_cmpstr (zc_identity_get_common_name (again), ==, "alice@pc1");
  g_assert_cmpuint (mode_of (path), ==, 0600);
}

static void
test_identity_common_name (Fixture *f, gconstpointer data)
{
  g_autoptr (GString) name = g_string_new ("x");
  g_autoptr (ZcIdentity) id = NULL;
  g_autoptr (ZcIdentity) unnamed = NULL;
  g_autofree char *other = g_build_filename (f->dir, "other", NULL);
  const char *cn;

  (void) data;
  /* 1 + 40 * 2 bytes: the cut at 64 must not split a character. */
  for (guint i = 0; i < 40; i++)
    g_string_append (name, "\xc3\xa9");
  id = zc_identity_load_or_create (f->dir, name->str, NULL);
  g_assert_nonnull (id);
  cn = zc_identity_get_common_name (id);
  g_assert_cmpuint (strlen (cn), ==, 63);
  g_assert_true (g_utf8_validate (cn, -1, NULL));

  unnamed = zc_identity_load_or_create (other, "", NULL);
  g_assert_nonnull (unnamed);
  g_assert_cmpstr (zc_identity_get_common_name (unnamed), ==, "zcall");
  g_assert_cmpstr (zc_identity_get_fingerprint (unnamed), !=, zc_identity_get_fingerprint (id));
}

/* Loads @dir's identity, which must fail naming the file and leave it as
 * it was. */
static void
assert_refused (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, ZC_IDENTITY_FILE, NULL);
  g_autofree char *before = NULL, *after = NULL;
  g_autofree char *listing_before = dir_listing (dir), *listing_after = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (ZcIdentity) id = NULL;
  gsize before_len = 0, after_len = 0;
  GStatBuf st_before, st_after;
  gboolean regular;

  g_assert_cmpint (g_lstat (path, &st_before), ==, 0);
  regular = S_ISREG (st_before.st_mode);
  if (regular)
    g_assert_true (g_file_get_contents (path, &before, &before_len, NULL));

  id = zc_identity_load_or_create (dir, "alice", &error);
  g_assert_null (id);
  g_assert_error (error, ZC_TRUST_ERROR, ZC_TRUST_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, path));

  g_assert_cmpint (g_lstat (path, &st_after), ==, 0);
  g_assert_cmpint (st_after.st_mode, ==, st_before.st_mode);
  g_assert_cmpint (st_after.st_ino, ==, st_before.st_ino);
  g_assert_cmpint (st_after.st_mtim.tv_sec, ==, st_before.st_mtim.tv_sec);
  g_assert_cmpint (st_after.st_mtim.tv_nsec, ==, st_before.st_mtim.tv_nsec);
  if (regular) {
    g_assert_true (g_file_get_contents (path, &after, &after_len, NULL));
    g_assert_cmpmem (before, before_len, after, after_len);
  }
  listing_after = dir_listing (dir);
  g_assert_cmpstr (listing_after, ==, listing_before);
}

static void
write_identity (const char *dir, const char *data, gssize len)
{
  g_autofree char *path = g_build_filename (dir, ZC_IDENTITY_FILE, NULL);

  g_assert_true (g_file_set_contents_full (path, data, len, G_FILE_SET_CONTENTS_NONE, 0600, NULL));
}

static void
test_identity_refuses_damage (Fixture *f, gconstpointer data)
{
  g_autofree char *good_dir = g_build_filename (f->dir, "good", NULL);
  g_autofree char *other_dir = g_build_filename (f->dir, "other", NULL);
  g_autofree char *path = g_build_filename (f->dir, ZC_IDENTITY_FILE, NULL);
  g_autofree char *good_path = g_build_filename (good_dir, ZC_IDENTITY_FILE, NULL);
  g_autofree char *other_path = g_build_filename (other_dir, ZC_IDENTITY_FILE, NULL);
  g_autofree char *good = NULL, *other = NULL;
  g_autofree char *key_only = NULL, *mixed = NULL, *flipped = NULL;
  g_autoptr (ZcIdentity) a = zc_identity_load_or_create (good_dir, "a", NULL);
  g_autoptr (ZcIdentity) b = zc_identity_load_or_create (other_dir, "b", NULL);
  const char *cert_a, *cert_b;
  gsize good_len = 0;

  (void) data;
  g_assert_nonnull (a);
  g_assert_nonnull (b);
  g_assert_true (g_file_get_contents (good_path, &good, &good_len, NULL));
  g_assert_true (g_file_get_contents (other_path, &other, NULL, NULL));
  cert_a = strstr (good, "-----BEGIN CERTIFICATE");
  cert_b = strstr (other, "-----BEGIN CERTIFICATE");
  g_assert_nonnull (cert_a);
  g_assert_nonnull (cert_b);

  /* Garbage, empty, truncated, one half, and a's key with b's certificate. */
  write_identity (f->dir, "not a key\n", -1);
  assert_refused (f->dir);
  write_identity (f->dir, "", 0);
  assert_refused (f->dir);
  write_identity (f->dir, good, (gssize) good_len / 2);
  assert_refused (f->dir);
  key_only = g_strndup (good, cert_a - good);
  write_identity (f->dir, key_only, -1);
  assert_refused (f->dir);
  write_identity (f->dir, cert_a, -1);
  assert_refused (f->dir);
  mixed = g_strconcat (key_only, cert_b, NULL);
  write_identity (f->dir, mixed, -1);
  assert_refused (f->dir);
  /* One base64 character of the key changed. */
  flipped = g_strdup (good);
  flipped[40] = flipped[40] == 'A' ? 'B' : 'A';
  write_identity (f->dir, flipped, -1);
  assert_refused (f->dir);

  /* Unreadable even as root: a directory, a dangling symlink. */
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_mkdir (path, 0700), ==, 0);
  assert_refused (f->dir);
  g_assert_cmpint (g_rmdir (path), ==, 0);
  g_assert_cmpint (symlink ("nowhere", path), ==, 0);
  assert_refused (f->dir);

  /* The intact file still loads. */
  {
    g_autoptr (ZcIdentity) again = zc_identity_load_or_create (good_dir, "a", NULL);

    g_assert_nonnull (again);
    g_assert_cmpstr (zc_identity_get_fingerprint (again), ==, zc_identity_get_fingerprint (a));
  }
}

/* Two agents starting at once: the second never writes over the first. */
static void
test_file_no_replace (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "x", NULL);
  g_autofree char *contents = NULL, *listing = NULL;
  g_autoptr (GError) error = NULL;

  (void) data;
  g_assert_true (zc_trust_file_write (f->dir, "x", "first", 5, FALSE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (mode_of (path), ==, 0600);
  g_assert_false (zc_trust_file_write (f->dir, "x", "second", 6, FALSE, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_EXIST);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "first");
  g_clear_pointer (&contents, g_free);
  g_assert_true (zc_trust_file_write (f->dir, "x", "third", 5, TRUE, NULL));
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "third");
  listing = dir_listing (f->dir);
  g_assert_cmpstr (listing, ==, "x");
}

/* ---- known peers ---------------------------------------------------------- */

#define BOB "0f8fad5b-d9cb-469f-a165-70867728950e"
#define CAROL "7c9e6679-7425-40de-944b-e07fc1f90ae7"

static void
key_of (const char *seed, ZcFingerprint *fp)
{
  zc_fingerprint_from_der ((const guint8 *) seed, strlen (seed), fp);
}

static ZcKnownPeers *
reload (const char *dir)
{
  g_autoptr (GError) error = NULL;
  ZcKnownPeers *store = zc_known_peers_load (dir, &error);

  g_assert_no_error (error);
  g_assert_nonnull (store);
  return store;
}

static void
test_peers_tofu (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = g_build_filename (f->dir, "zcall", NULL);
  g_autofree char *path = g_build_filename (dir, ZC_KNOWN_PEERS_FILE, NULL);
  g_autoptr (ZcKnownPeers) store = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL, *listing = NULL;
  ZcFingerprint bob_key, new_key;
  const ZcKnownPeer *pin;
  ZcTrustVerdict verdict = ZC_TRUST_NONE;

  (void) data;
  key_of ("bob's certificate", &bob_key);
  key_of ("bob's new certificate", &new_key);

  /* A missing file (and directory) is an empty store. */
  store = reload (dir);
  g_assert_cmpuint (zc_known_peers_get_size (store), ==, 0);
  g_assert_cmpuint (zc_known_peers_get_problems (store)->len, ==, 0);
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));

  /* First sight: new, and pinned on disk once the delayed write is done. */
  g_assert_cmpint (zc_known_peers_verdict (store, BOB, "bob", &bob_key, &error), ==, ZC_TRUST_NEW);
  g_assert_no_error (error);
  /* Seen again in the same run (its TXT followed): still new. */
  g_assert_cmpint (zc_known_peers_verdict (store, BOB, "bob", &bob_key, &error), ==, ZC_TRUST_NEW);
  g_assert_no_error (error);
  wait_saved ();
  pin = zc_known_peers_lookup (store, BOB);
  g_assert_nonnull (pin);
  g_assert_cmpstr (pin->name, ==, "bob");
  g_assert_false (pin->verified);
  g_assert_true (zc_fingerprint_equal (&pin->fingerprint, &bob_key));
  g_assert_cmpuint (mode_of (dir), ==, 0700);
  g_assert_cmpuint (mode_of (path), ==, 0600);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_true (g_str_has_prefix (contents, "zcall-known-peers 1\n"));

  /* After a restart: known. */
  g_clear_pointer (&store, zc_known_peers_free);
  store = reload (dir);
  g_assert_cmpuint (zc_known_peers_get_problems (store)->len, ==, 0);
  g_assert_cmpint (zc_known_peers_verdict (store, BOB, "bob", &bob_key, NULL), ==, ZC_TRUST_KNOWN);
  /* Without a fingerprint: not a zcall agent, nothing pinned. */
  g_assert_cmpint (zc_known_peers_verdict (store, CAROL, "desk phone", NULL, NULL), ==, ZC_TRUST_NONE);
  g_assert_null (zc_known_peers_lookup (store, CAROL));

  /* Another key: changed, and the pin stays, in memory and on disk. */
  g_assert_cmpint (zc_known_peers_verdict (store, BOB, "bob", &new_key, NULL), ==, ZC_TRUST_CHANGED);
  g_assert_true (zc_fingerprint_equal (&zc_known_peers_lookup (store, BOB)->fingerprint, &bob_key));
  g_clear_pointer (&store, zc_known_peers_free);
  store = reload (dir);
  g_assert_cmpint (zc_known_peers_verdict (store, BOB, "bob", &new_key, NULL), ==, ZC_TRUST_CHANGED);
  g_assert_cmpint (zc_known_peers_verdict (store, BOB, "bob", &bob_key, NULL), ==, ZC_TRUST_KNOWN);

  /* `zcall trust bob` on the changed key is refused without --replace. */
  g_assert_false (zc_known_peers_trust (store, BOB, &new_key, FALSE, &verdict, &error));
  g_assert_error (error, ZC_TRUST_ERROR, ZC_TRUST_ERROR_CHANGED);
  g_clear_error (&error);
  g_assert_false (zc_known_peers_trust (store, CAROL, &new_key, FALSE, &verdict, &error));
  g_assert_error (error, ZC_TRUST_ERROR, ZC_TRUST_ERROR_UNKNOWN_PEER);
  g_clear_error (&error);

  /* --replace: known with the new key; the old one is now the stranger. */
  g_assert_true (zc_known_peers_trust (store, BOB, &new_key, TRUE, &verdict, &error));
  g_assert_no_error (error);
  g_assert_cmpint (verdict, ==, ZC_TRUST_KNOWN);
  g_assert_cmpint (zc_known_peers_verdict (store, BOB, "bob", &new_key, NULL), ==, ZC_TRUST_KNOWN);
  g_assert_cmpint (zc_known_peers_verdict (store, BOB, "bob", &bob_key, NULL), ==, ZC_TRUST_CHANGED);

  /* `zcall trust bob` after comparing: verified, and it survives a restart. */
  g_assert_true (zc_known_peers_trust (store, BOB, &new_key, FALSE, &verdict, &error));
  g_assert_no_error (error);
  g_assert_cmpint (verdict, ==, ZC_TRUST_VERIFIED);
  g_clear_pointer (&store, zc_known_peers_free);
  store = reload (dir);
  g_assert_true (zc_known_peers_lookup (store, BOB)->verified);
  g_assert_cmpint (zc_known_peers_verdict (store, BOB, "bob", &new_key, NULL), ==, ZC_TRUST_VERIFIED);
  g_assert_cmpint (zc_known_peers_verdict (store, BOB, "bob", &bob_key, NULL), ==, ZC_TRUST_CHANGED);

  /* A replaced pin needs verifying again. */
  g_assert_true (zc_known_peers_trust (store, BOB, &bob_key, TRUE, &verdict, NULL));
  g_assert_cmpint (verdict, ==, ZC_TRUST_KNOWN);
  g_assert_false (zc_known_peers_lookup (store, BOB)->verified);

  /* The spellings the CLI's JSON and the D-Bus API will carry. */
  g_assert_cmpstr (zc_trust_verdict_to_string (ZC_TRUST_NONE), ==, "none");
  g_assert_cmpstr (zc_trust_verdict_to_string (ZC_TRUST_NEW), ==, "new");
  g_assert_cmpstr (zc_trust_verdict_to_string (ZC_TRUST_KNOWN), ==, "known");
  g_assert_cmpstr (zc_trust_verdict_to_string (ZC_TRUST_VERIFIED), ==, "verified");
  g_assert_cmpstr (zc_trust_verdict_to_string (ZC_TRUST_CHANGED), ==, "changed");

  /* Every write went through a temporary that is gone. */
  listing = dir_listing (dir);
  g_assert_cmpstr (listing, ==, ZC_KNOWN_PEERS_FILE);
}

static void
test_peers_hostile_names (Fixture *f, gconstpointer data)
{
  g_autoptr (ZcKnownPeers) store = reload (f->dir);
  g_autoptr (ZcKnownPeers) again = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) long_name = g_string_new (NULL);
  g_autofree char *bad_id = g_strnfill (ZC_KNOWN_PEERS_ID_MAX + 1, 'a');
  ZcFingerprint key, other;

  (void) data;
  key_of ("k", &key);
  key_of ("other", &other);
  /* A newline in an advertised name must not forge a second pin. */
  g_assert_cmpint (zc_known_peers_verdict (store, BOB, "bob\n" CAROL " verified " ABC_COMPACT " x\x1b[2J",
                                           &key, &error), ==, ZC_TRUST_NEW);
  g_assert_no_error (error);
  for (guint i = 0; i < 200; i++)
    g_string_append (long_name, "\xe2\x82\xac");
  g_assert_cmpint (zc_known_peers_verdict (store, CAROL, long_name->str, &other, NULL), ==, ZC_TRUST_NEW);
  g_assert_true (zc_known_peers_flush (store, &error));
  g_assert_no_error (error);

  again = reload (f->dir);
  g_assert_cmpuint (zc_known_peers_get_problems (again)->len, ==, 0);
  g_assert_cmpuint (zc_known_peers_get_size (again), ==, 2);
  g_assert_true (zc_fingerprint_equal (&zc_known_peers_lookup (again, CAROL)->fingerprint, &other));
  g_assert_null (strchr (zc_known_peers_lookup (again, BOB)->name, '\x1b'));
  g_assert_cmpuint (strlen (zc_known_peers_lookup (again, CAROL)->name), <=, ZC_KNOWN_PEERS_NAME_MAX);
  g_assert_true (g_utf8_validate (zc_known_peers_lookup (again, CAROL)->name, -1, NULL));

  /* Ids the file cannot hold are refused, not pinned. */
  g_assert_cmpint (zc_known_peers_verdict (again, "two words", "x", &key, &error), ==, ZC_TRUST_NONE);
  g_assert_error (error, ZC_TRUST_ERROR, ZC_TRUST_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpint (zc_known_peers_verdict (again, bad_id, "x", &key, &error), ==, ZC_TRUST_NONE);
  g_assert_error (error, ZC_TRUST_ERROR, ZC_TRUST_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpint (zc_known_peers_verdict (again, "", "x", &key, &error), ==, ZC_TRUST_NONE);
  g_assert_error (error, ZC_TRUST_ERROR, ZC_TRUST_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (zc_known_peers_trust (again, "two words", &key, TRUE, NULL, &error));
  g_assert_error (error, ZC_TRUST_ERROR, ZC_TRUST_ERROR_INVALID);
  g_assert_cmpuint (zc_known_peers_get_size (again), ==, 2);

  /* A name the key's holder changes is followed; trust never goes by it. */
  g_assert_cmpint (zc_known_peers_verdict (again, CAROL, "carol", &other, NULL), ==, ZC_TRUST_KNOWN);
  g_assert_cmpstr (zc_known_peers_lookup (again, CAROL)->name, ==, "carol");
  g_assert_cmpint (zc_known_peers_verdict (again, CAROL, "mallory", &key, NULL), ==, ZC_TRUST_CHANGED);
  g_assert_cmpstr (zc_known_peers_lookup (again, CAROL)->name, ==, "carol");
}

static gboolean
problems_have (ZcKnownPeers *store, const char *needle)
{
  GPtrArray *problems = zc_known_peers_get_problems (store);

  for (guint i = 0; i < problems->len; i++)
    if (strstr (g_ptr_array_index (problems, i), needle) != NULL)
      return TRUE;
  return FALSE;
}

static void
test_peers_damaged_lines (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, ZC_KNOWN_PEERS_FILE, NULL);
  g_autofree char *overlong = g_strnfill (ZC_KNOWN_PEERS_LINE_MAX + 10, 'z');
  g_autofree char *file = NULL, *at = NULL, *written = NULL, *listing = NULL;
  g_autoptr (ZcKnownPeers) store = NULL;
  g_autoptr (ZcKnownPeers) again = NULL;
  g_autoptr (GError) error = NULL;
  ZcFingerprint abc_fp, key;

  (void) data;
  abc (&abc_fp);
  key_of ("k", &key);
  file = g_strconcat ("zcall-known-peers 1\n",
                      "# a comment\n",
                      "\n",
                      BOB " pinned " ABC_COMPACT " bob\n",                   /* 4: good */
                      "dave pinned not-a-fingerprint dave\n",                /* 5 */
                      "erin trusted " ABC_COMPACT " erin\n",                  /* 6 */
                      "frank\n",                                             /* 7 */
                      BOB " verified " ABC_COMPACT " bob again\n",           /* 8: duplicate */
                      overlong, "\n",                                        /* 9 */
                      CAROL " verified ", ABC_SDP + 8, " carol\r\n",        /* 10: good, colon hex */
                      "gina pinned sha-256 " ABC_COMPACT "\n",               /* 11: fields shifted */
                      NULL);
  g_assert_true (g_file_set_contents (path, file, -1, NULL));

  store = zc_known_peers_load (f->dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (zc_known_peers_get_size (store), ==, 2);
  g_assert_cmpuint (zc_known_peers_get_problems (store)->len, ==, 6);
  for (guint line = 5; line <= 9; line++) {
    g_free (at);
    at = g_strdup_printf ("%s:%u: ", path, line);
    g_assert_true (problems_have (store, at));
  }
  g_free (at);
  at = g_strdup_printf ("%s:11: ", path);
  g_assert_true (problems_have (store, at));
  g_assert_true (problems_have (store, "second pin"));
  g_assert_cmpint (zc_known_peers_verdict (store, BOB, "bob", &abc_fp, NULL), ==, ZC_TRUST_KNOWN);
  g_assert_cmpint (zc_known_peers_verdict (store, CAROL, "carol", &abc_fp, NULL), ==, ZC_TRUST_VERIFIED);
  g_assert_cmpstr (zc_known_peers_lookup (store, CAROL)->name, ==, "carol");
  /* A damaged line pins nothing. */
  g_assert_null (zc_known_peers_lookup (store, "erin"));

  /* A save keeps the damaged lines (but the overlong one), so they are
   * reported again until mended, and loses no pin. */
  g_assert_cmpint (zc_known_peers_verdict (store, "henry", "henry", &key, NULL), ==, ZC_TRUST_NEW);
  g_assert_true (zc_known_peers_flush (store, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &written, NULL, NULL));
  g_assert_nonnull (strstr (written, "erin trusted " ABC_COMPACT " erin\n"));
  g_assert_null (strstr (written, "zzzz"));
  again = reload (f->dir);
  g_assert_cmpuint (zc_known_peers_get_size (again), ==, 3);
  g_assert_cmpuint (zc_known_peers_get_problems (again)->len, ==, 5);
  g_assert_true (problems_have (again, "second pin"));
  g_assert_cmpint (zc_known_peers_verdict (again, BOB, "bob", &abc_fp, NULL), ==, ZC_TRUST_KNOWN);
  g_assert_cmpint (zc_known_peers_verdict (again, "henry", "henry", &key, NULL), ==, ZC_TRUST_KNOWN);

  listing = dir_listing (f->dir);
  g_assert_cmpstr (listing, ==, ZC_KNOWN_PEERS_FILE);
}

static void
test_peers_header (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, ZC_KNOWN_PEERS_FILE, NULL);
  const char *newer = "zcall-known-peers 2\n" BOB " pinned " ABC_COMPACT " bob\n";
  g_autofree char *after = NULL;
  g_autoptr (GError) error = NULL;
  ZcKnownPeers *store;

  (void) data;
  /* Without a header: reported, and read as version 1. */
  g_assert_true (g_file_set_contents (path, BOB " pinned " ABC_COMPACT " bob\n", -1, NULL));
  store = reload (f->dir);
  g_assert_cmpuint (zc_known_peers_get_size (store), ==, 1);
  g_assert_cmpuint (zc_known_peers_get_problems (store)->len, ==, 1);
  g_assert_true (problems_have (store, ":1: "));
  zc_known_peers_free (store);

  /* A later version is refused whole and left alone. */
  g_assert_true (g_file_set_contents (path, newer, -1, NULL));
  store = zc_known_peers_load (f->dir, &error);
  g_assert_null (store);
  g_assert_error (error, ZC_TRUST_ERROR, ZC_TRUST_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_true (g_file_get_contents (path, &after, NULL, NULL));
  g_assert_cmpstr (after, ==, newer);
  g_clear_error (&error);

  /* Not a file: an error, not an empty store that would be written over it. */
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_mkdir (path, 0700), ==, 0);
  store = zc_known_peers_load (f->dir, &error);
  g_assert_null (store);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, path));
}

static void
test_peers_cap (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, ZC_KNOWN_PEERS_FILE, NULL);
  g_autoptr (GString) file = g_string_new ("zcall-known-peers 1\n");
  g_autoptr (ZcKnownPeers) store = NULL;
  g_autoptr (ZcKnownPeers) again = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *written = NULL;
  ZcFingerprint abc_fp, key;
  gsize written_len = 0;

  (void) data;
  abc (&abc_fp);
  key_of ("k", &key);
  /* Four over the cap, as a hand-edited or older file might be. */
  for (guint i = 0; i < ZC_KNOWN_PEERS_MAX + 4; i++)
    g_string_append_printf (file, "peer-%u pinned " ABC_COMPACT " flood %u\n", i, i);
  g_assert_true (g_file_set_contents (path, file->str, (gssize) file->len, NULL));

  store = reload (f->dir);
  g_assert_cmpuint (zc_known_peers_get_size (store), ==, ZC_KNOWN_PEERS_MAX);
  g_assert_cmpuint (zc_known_peers_get_problems (store)->len, ==, 4);
  g_assert_true (problems_have (store, "cap"));
  g_assert_null (zc_known_peers_lookup (store, "peer-4096"));

  /* A new peer is new, every time, and not pinned; pins already there hold. */
  g_assert_cmpint (zc_known_peers_verdict (store, BOB, "bob", &key, &error), ==, ZC_TRUST_NEW);
  g_assert_error (error, ZC_TRUST_ERROR, ZC_TRUST_ERROR_FULL);
  g_clear_error (&error);
  g_assert_cmpint (zc_known_peers_verdict (store, BOB, "bob", &key, &error), ==, ZC_TRUST_NEW);
  g_assert_error (error, ZC_TRUST_ERROR, ZC_TRUST_ERROR_FULL);
  g_clear_error (&error);
  g_assert_null (zc_known_peers_lookup (store, BOB));
  g_assert_cmpint (zc_known_peers_verdict (store, "peer-0", "flood 0", &abc_fp, NULL), ==, ZC_TRUST_KNOWN);
  g_assert_cmpint (zc_known_peers_verdict (store, "peer-4095", "x", &key, NULL), ==, ZC_TRUST_CHANGED);

  /* The file stays bounded: a save writes the cap, not more. */
  g_assert_true (zc_known_peers_save (store, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &written, &written_len, NULL));
  g_assert_cmpuint (written_len, <=, (gsize) ZC_KNOWN_PEERS_MAX * ZC_KNOWN_PEERS_LINE_MAX);
  again = reload (f->dir);
  g_assert_cmpuint (zc_known_peers_get_size (again), ==, ZC_KNOWN_PEERS_MAX);
  g_assert_cmpuint (zc_known_peers_get_problems (again)->len, ==, 0);
}

/* Inode of @path, 0 when it does not exist: each write renames a new
 * file over the name, so a changed inode means a write. */
static guint64
inode_of (const char *path)
{
  GStatBuf st;

  return g_stat (path, &st) == 0 ? (guint64) st.st_ino : 0;
}

typedef struct {
  ZcKnownPeers *store;
  const char *path;
  guint next;                 /* peers pinned so far */
  guint until;
  guint64 inodes[64];         /* the file's inode after each pin */
  GMainLoop *loop;
} Trickle;

/* One new peer every 50 ms, as a steady flood brings them. */
static gboolean
trickle_cb (gpointer user_data)
{
  Trickle *t = user_data;
  g_autofree char *id = g_strdup_printf ("trickle-%u", t->next);
  ZcFingerprint key;

  key_of (id, &key);
  g_assert_cmpint (zc_known_peers_verdict (t->store, id, id, &key, NULL), ==, ZC_TRUST_NEW);
  t->inodes[t->next++] = inode_of (t->path);
  if (t->next < t->until)
    return G_SOURCE_CONTINUE;
  g_main_loop_quit (t->loop);
  return G_SOURCE_REMOVE;
}

static void
test_peers_coalesced (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, ZC_KNOWN_PEERS_FILE, NULL);
  g_autoptr (ZcKnownPeers) again = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  ZcKnownPeers *store = reload (f->dir);
  Trickle t = { 0 };
  guint64 inode, writes = 0;
  gint64 started, elapsed_ms;
  ZcFingerprint key;
  ZcTrustVerdict verdict;

  (void) data;
  /* A burst of 300 new peers: no write during the burst, then one. */
  for (guint i = 0; i < 300; i++) {
    g_autofree char *id = g_strdup_printf ("flood-%u", i);

    key_of (id, &key);
    g_assert_cmpint (zc_known_peers_verdict (store, id, id, &key, &error), ==, ZC_TRUST_NEW);
    g_assert_no_error (error);
  }
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  wait_saved ();
  inode = inode_of (path);
  g_assert_cmpuint (inode, !=, 0);
  again = reload (f->dir);
  g_assert_cmpuint (zc_known_peers_get_size (again), ==, 300);
  g_clear_pointer (&again, zc_known_peers_free);

  /* Sightings of pinned peers write nothing (pinned in this run: new). */
  for (guint i = 0; i < 300; i++) {
    g_autofree char *id = g_strdup_printf ("flood-%u", i);

    key_of (id, &key);
    g_assert_cmpint (zc_known_peers_verdict (store, id, id, &key, NULL), ==, ZC_TRUST_NEW);
  }
  wait_saved ();
  g_assert_cmpuint (inode_of (path), ==, inode);

  /* A steady trickle (one every 50 ms for 2.5 delays): later pins do not
   * push the write back, so the file follows within about a delay, with
   * a write per delay, not per pin. */
  t.store = store;
  t.path = path;
  t.loop = loop;
  t.until = (ZC_KNOWN_PEERS_SAVE_DELAY_MS * 5 / 2) / 50;
  g_assert_cmpuint (t.until, <=, G_N_ELEMENTS (t.inodes));
  started = g_get_monotonic_time ();
  g_timeout_add (50, trickle_cb, &t);
  g_main_loop_run (loop);
  elapsed_ms = (g_get_monotonic_time () - started) / 1000;
  for (guint i = 0; i < t.until; i++)
    writes += (i == 0 ? t.inodes[i] != inode : t.inodes[i] != t.inodes[i - 1]);
  g_test_message ("%u pins in %" G_GINT64_FORMAT " ms: %" G_GUINT64_FORMAT " writes", t.until, elapsed_ms,
                  writes);
  /* At least one write came during the trickle, and at most one per
   * delay (a loaded machine stretches the trickle, not the rule). */
  g_assert_cmpuint (writes, >=, 1);
  g_assert_cmpuint (writes, <=, (guint64) (elapsed_ms / ZC_KNOWN_PEERS_SAVE_DELAY_MS) + 1);
  g_assert_cmpuint (writes, <, t.until / 4);

  /* `zcall trust` is durable at once, and takes the waiting pins along. */
  key_of ("bob", &key);
  g_assert_cmpint (zc_known_peers_verdict (store, "bob", "bob", &key, NULL), ==, ZC_TRUST_NEW);
  g_assert_true (zc_known_peers_trust (store, "bob", &key, FALSE, &verdict, &error));
  g_assert_no_error (error);
  g_assert_cmpint (verdict, ==, ZC_TRUST_VERIFIED);
  again = reload (f->dir);
  g_assert_true (zc_known_peers_lookup (again, "bob")->verified);
  g_assert_cmpuint (zc_known_peers_get_size (again), ==, 300 + t.until + 1);
  g_clear_pointer (&again, zc_known_peers_free);

  /* At shutdown the waiting pins are written, and no timeout is left. */
  key_of ("carol", &key);
  g_assert_cmpint (zc_known_peers_verdict (store, "carol", "carol", &key, NULL), ==, ZC_TRUST_NEW);
  zc_known_peers_free (store);
  again = reload (f->dir);
  g_assert_nonnull (zc_known_peers_lookup (again, "carol"));
  g_assert_false (g_main_context_pending (NULL));
  run_loop_ms (ZC_KNOWN_PEERS_SAVE_DELAY_MS + 200);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  g_test_add_func ("/trust/fingerprint/forms", test_fingerprint_forms);
  g_test_add_func ("/trust/fingerprint/parse", test_fingerprint_parse);
  g_test_add_func ("/trust/fingerprint/normalize", test_fingerprint_normalize);
  ADD ("/trust/identity/create-reload", test_identity_create_reload);
  ADD ("/trust/identity/common-name", test_identity_common_name);
  ADD ("/trust/identity/refuses-damage", test_identity_refuses_damage);
  ADD ("/trust/file/no-replace", test_file_no_replace);
  ADD ("/trust/known-peers/tofu", test_peers_tofu);
  ADD ("/trust/known-peers/hostile-names", test_peers_hostile_names);
  ADD ("/trust/known-peers/damaged-lines", test_peers_damaged_lines);
  ADD ("/trust/known-peers/header", test_peers_header);
  ADD ("/trust/known-peers/cap", test_peers_cap);
  ADD ("/trust/known-peers/coalesced", test_peers_coalesced);
#undef ADD
  return g_test_run ();
}
