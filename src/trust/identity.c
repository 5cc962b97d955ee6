/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "trust"

#include "config.h"
#include "trust/identity.h"
#include "trust/trust-error.h"
#include "trust/trust-file.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <string.h>
#include <sys/stat.h>

/* A key and a certificate in PEM take about 1.3 KB; anything much larger
 * is not ours. */
#define IDENTITY_MAX_BYTES (64 * 1024)
/* RFC 5280 Appendix A: ub-common-name. */
#define CN_MAX_BYTES 64
/* Hosts on a LAN disagree about the time; a peer whose clock runs behind
 * ours must not see a certificate that is not valid yet. */
#define ACTIVATION_BACKDATE_S (24 * 3600)
/* 9999-12-31T23:59:59Z, RFC 5280 4.1.2.5's "no well-defined expiration
 * date".  GnuTLS 3.7's GNUTLS_X509_NO_WELL_DEFINED_EXPIRATION is not
 * this time but one in 2106, and writes it as such. */
#define NO_WELL_DEFINED_EXPIRATION ((time_t) 253402300799)

struct _ZcIdentity {
  char *path;
  char *common_name;
  gboolean is_new;
  gnutls_x509_privkey_t key;
  gnutls_x509_crt_t crt;
  ZcFingerprint fp;
  char *fp_sdp;
  char *fp_compact;
  char *fp_human;
};

void
zc_identity_free (ZcIdentity *id)
{
  if (id == NULL)
    return;
  if (id->key != NULL)
    gnutls_x509_privkey_deinit (id->key);
  if (id->crt != NULL)
    gnutls_x509_crt_deinit (id->crt);
  g_free (id->path);
  g_free (id->common_name);
  g_free (id->fp_sdp);
  g_free (id->fp_compact);
  g_free (id->fp_human);
  g_free (id);
}

static gboolean
gnutls_failed (GError **error, int code, ZcTrustError kind, const char *path, const char *what)
{
  g_set_error (error, ZC_TRUST_ERROR, kind, "%s: %s (%s)", path, what, gnutls_strerror (code));
  return FALSE;
}

static char *
common_name_of (const char *name)
{
  const char *end;

  if (name == NULL || *name == '\0' || !g_utf8_validate (name, -1, NULL))
    name = "zcall";
  /* Cut on a character boundary. */
  end = name + strlen (name);
  if (end - name > CN_MAX_BYTES) {
    end = name + CN_MAX_BYTES;
    while (end > name && (*end & 0xc0) == 0x80)
      end--;
  }
  return g_strndup (name, end - name);
}

/* Fills in what is derived from the certificate: fingerprints and CN. */
static gboolean
describe (ZcIdentity *id, GError **error)
{
  gnutls_datum_t der = { NULL, 0 };
  char cn[256];
  size_t cn_len = sizeof cn;
  int rc;

  rc = gnutls_x509_crt_export2 (id->crt, GNUTLS_X509_FMT_DER, &der);
  if (rc < 0)
    return gnutls_failed (error, rc, ZC_TRUST_ERROR_CORRUPT, id->path, _("cannot encode the certificate"));
  zc_fingerprint_from_der (der.data, der.size, &id->fp);
  gnutls_free (der.data);
  id->fp_sdp = zc_fingerprint_to_sdp (&id->fp);
  id->fp_compact = zc_fingerprint_to_compact (&id->fp);
  id->fp_human = zc_fingerprint_to_human (&id->fp);
  if (id->common_name == NULL) {
    rc = gnutls_x509_crt_get_dn_by_oid (id->crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn, &cn_len);
    id->common_name = g_strdup (rc >= 0 ? cn : "");
  }
  return TRUE;
}

static gboolean
generate (ZcIdentity *id, GError **error)
{
  gnutls_privkey_t signer = NULL;
  guint8 serial[16];
  time_t now = time (NULL);
  int rc;

  if ((rc = gnutls_x509_privkey_init (&id->key)) < 0 ||
      (rc = gnutls_x509_privkey_generate (id->key, GNUTLS_PK_ECDSA,
                                          GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1), 0)) < 0)
    return gnutls_failed (error, rc, ZC_TRUST_ERROR_CRYPTO, id->path, _("cannot generate a key"));

  /* RFC 5280 4.1.2.2: a positive serial of up to 20 octets; random, so two
   * agents' certificates never share issuer and serial. */
  if ((rc = gnutls_rnd (GNUTLS_RND_NONCE, serial, sizeof serial)) < 0)
    return gnutls_failed (error, rc, ZC_TRUST_ERROR_CRYPTO, id->path, _("cannot draw a serial number"));
  serial[0] = (serial[0] & 0x7f) | 0x40;

  if ((rc = gnutls_x509_crt_init (&id->crt)) < 0 ||
      (rc = gnutls_x509_crt_set_version (id->crt, 3)) < 0 ||
      (rc = gnutls_x509_crt_set_serial (id->crt, serial, sizeof serial)) < 0 ||
      (rc = gnutls_x509_crt_set_dn_by_oid (id->crt, GNUTLS_OID_X520_COMMON_NAME, 0,
                                           id->common_name, strlen (id->common_name))) < 0 ||
      (rc = gnutls_x509_crt_set_activation_time (id->crt, now - ACTIVATION_BACKDATE_S)) < 0 ||
      /* The certificate is pinned by its hash: an expiry would only force
       * a new identity on colleagues who pinned this one. */
      (rc = gnutls_x509_crt_set_expiration_time (id->crt, NO_WELL_DEFINED_EXPIRATION)) < 0 ||
      (rc = gnutls_x509_crt_set_key (id->crt, id->key)) < 0 ||
      (rc = gnutls_x509_crt_set_basic_constraints (id->crt, 0, -1)) < 0 ||
      (rc = gnutls_x509_crt_set_key_usage (id->crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0)
    return gnutls_failed (error, rc, ZC_TRUST_ERROR_CRYPTO, id->path, _("cannot build the certificate"));

  if ((rc = gnutls_privkey_init (&signer)) < 0 ||
      (rc = gnutls_privkey_import_x509 (signer, id->key, 0)) < 0 ||
      (rc = gnutls_x509_crt_privkey_sign (id->crt, id->crt, signer, GNUTLS_DIG_SHA256, 0)) < 0) {
    gnutls_privkey_deinit (signer);
    return gnutls_failed (error, rc, ZC_TRUST_ERROR_CRYPTO, id->path, _("cannot sign the certificate"));
  }
  gnutls_privkey_deinit (signer);
  return TRUE;
}

static gboolean
store (ZcIdentity *id, const char *dir, GError **error)
{
  gnutls_datum_t key_pem = { NULL, 0 }, crt_pem = { NULL, 0 };
  g_autoptr (GByteArray) file = g_byte_array_new ();
  gboolean ok;
  int rc;

  if ((rc = gnutls_x509_privkey_export2_pkcs8 (id->key, GNUTLS_X509_FMT_PEM, NULL,
                                                GNUTLS_PKCS_PLAIN, &key_pem)) < 0 ||
      (rc = gnutls_x509_crt_export2 (id->crt, GNUTLS_X509_FMT_PEM, &crt_pem)) < 0) {
    gnutls_free (key_pem.data);
    return gnutls_failed (error, rc, ZC_TRUST_ERROR_CRYPTO, id->path, _("cannot encode the identity"));
  }
  g_byte_array_append (file, key_pem.data, key_pem.size);
  g_byte_array_append (file, crt_pem.data, crt_pem.size);
  /* The private key's copies in memory go when the agent does; the
   * temporary buffers at least are not left lying in the heap. */
  memset (key_pem.data, 0, key_pem.size);
  gnutls_free (key_pem.data);
  gnutls_free (crt_pem.data);

  ok = zc_trust_file_write (dir, ZC_IDENTITY_FILE, file->data, file->len, FALSE, error);
  memset (file->data, 0, file->len);
  return ok;
}

static gboolean
load (ZcIdentity *id, GError **error)
{
  g_autofree char *contents = NULL;
  g_autoptr (GError) local = NULL;
  gnutls_datum_t data;
  guint8 key_id[64], crt_id[64];
  size_t key_id_len = sizeof key_id, crt_id_len = sizeof crt_id;
  gsize len = 0;
  int rc;

  if (!zc_trust_file_read (id->path, IDENTITY_MAX_BYTES, &contents, &len, &local)) {
    g_set_error (error, ZC_TRUST_ERROR, ZC_TRUST_ERROR_CORRUPT,
                 _("cannot load the identity: %s"), local->message);
    return FALSE;
  }
  data.data = (unsigned char *) contents;
  data.size = (unsigned int) len;

  if ((rc = gnutls_x509_privkey_init (&id->key)) < 0 ||
      (rc = gnutls_x509_privkey_import (id->key, &data, GNUTLS_X509_FMT_PEM)) < 0) {
    memset (contents, 0, len);
    return gnutls_failed (error, rc, ZC_TRUST_ERROR_CORRUPT, id->path, _("no usable private key"));
  }
  if ((rc = gnutls_x509_crt_init (&id->crt)) < 0 ||
      (rc = gnutls_x509_crt_import (id->crt, &data, GNUTLS_X509_FMT_PEM)) < 0) {
    memset (contents, 0, len);
    return gnutls_failed (error, rc, ZC_TRUST_ERROR_CORRUPT, id->path, _("no usable certificate"));
  }
  memset (contents, 0, len);

  /* A certificate of some other key would make every DTLS handshake fail
   * later, far from the cause. */
  if ((rc = gnutls_x509_privkey_get_key_id (id->key, GNUTLS_KEYID_USE_SHA256, key_id, &key_id_len)) < 0 ||
      (rc = gnutls_x509_crt_get_key_id (id->crt, GNUTLS_KEYID_USE_SHA256, crt_id, &crt_id_len)) < 0)
    return gnutls_failed (error, rc, ZC_TRUST_ERROR_CORRUPT, id->path, _("cannot compare key and certificate"));
  if (key_id_len != crt_id_len || memcmp (key_id, crt_id, key_id_len) != 0) {
    g_set_error (error, ZC_TRUST_ERROR, ZC_TRUST_ERROR_CORRUPT,
                 _("%s: the certificate does not belong to the private key"), id->path);
    return FALSE;
  }
  return TRUE;
}

ZcIdentity *
zc_identity_load_or_create (const char  *dir,
                            const char  *common_name,
                            GError     **error)
{
  g_autoptr (ZcIdentity) id = g_new0 (ZcIdentity, 1);
  g_autoptr (GError) local = NULL;
  GStatBuf st;

  id->path = g_build_filename (dir, ZC_IDENTITY_FILE, NULL);

  /* Only a name that does not exist at all may be created; lstat, so a
   * dangling symlink counts as there (and fails to load) rather than
   * being followed to a new file somewhere else. */
  if (g_lstat (id->path, &st) == 0)
    return load (id, error) && describe (id, error) ? g_steal_pointer (&id) : NULL;
  if (errno != ENOENT) {
    int saved_errno = errno;
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                 _("cannot load the identity: %s: %s"), id->path, g_strerror (saved_errno));
    return NULL;
  }

  id->common_name = common_name_of (common_name);
  if (!generate (id, error))
    return NULL;
  if (!store (id, dir, &local)) {
    /* Another agent of this user created it first: use that one. */
    if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_EXIST)) {
      g_autoptr (ZcIdentity) theirs = g_new0 (ZcIdentity, 1);

      theirs->path = g_strdup (id->path);
      return load (theirs, error) && describe (theirs, error) ? g_steal_pointer (&theirs) : NULL;
    }
    g_propagate_prefixed_error (error, g_steal_pointer (&local), _("cannot store the identity: "));
    return NULL;
  }
  id->is_new = TRUE;
  return describe (id, error) ? g_steal_pointer (&id) : NULL;
}

gboolean
zc_identity_is_new (const ZcIdentity *id)
{
  return id->is_new;
}

const char *
zc_identity_get_path (const ZcIdentity *id)
{
  return id->path;
}

const char *
zc_identity_get_common_name (const ZcIdentity *id)
{
  return id->common_name;
}

const ZcFingerprint *
zc_identity_get_fingerprint_raw (const ZcIdentity *id)
{
  return &id->fp;
}

const char *
zc_identity_get_fingerprint (const ZcIdentity *id)
{
  return id->fp_sdp;
}

const char *
zc_identity_get_fingerprint_compact (const ZcIdentity *id)
{
  return id->fp_compact;
}

const char *
zc_identity_get_fingerprint_human (const ZcIdentity *id)
{
  return id->fp_human;
}

gnutls_x509_crt_t
zc_identity_get_certificate (const ZcIdentity *id)
{
  return id->crt;
}

gnutls_x509_privkey_t
zc_identity_get_private_key (const ZcIdentity *id)
{
  return id->key;
}
