/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reading a session description (RFC 4566) from the network: libosip2
 * splits the text into fields, this file checks and interprets them. */
#define G_LOG_DOMAIN "sdp"
#include "config.h"

#include "sdp/sdp-private.h"

#include <osipparser2/osip_port.h>
#include <osipparser2/sdp_message.h>

#include <string.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sdp_message_t, sdp_message_free)

/* RFC 8839 5.4: ice-ufrag is 4-256 ice-chars, ice-pwd 22-256. */
#define ICE_CREDENTIAL_MAX 256
/* RFC 8839 5.1: foundation = 1*32ice-char. */
#define ICE_FOUNDATION_MAX 32

/* NUL bytes after a body handed to osip's parser (see zc_sdp_parse). */
#define PARSE_PADDING 8

/* RFC 3551: RTP payload types are 7 bits. */
#define PT_MAX 127

/* The attributes at @pos_media (-1: session level), walked with osip's
 * iterator: osip_list_get() (and sdp_message_attribute_get() over it)
 * starts from the head on every call.  The first one, or NULL; go on with
 * osip_list_get_next (it). */
static sdp_attribute_t *
first_attribute (sdp_message_t *sdp, int pos_media, osip_list_iterator_t *it)
{
  const osip_list_t *list = &sdp->a_attributes;

  if (pos_media != -1) {
    sdp_media_t *media = osip_list_get (&sdp->m_medias, pos_media);

    if (media == NULL)
      return NULL;
    list = &media->a_attributes;
  }
  return osip_list_get_first (list, it);
}

/* The first attribute @field at @pos_media (-1: session level). */
static const sdp_attribute_t *
find_attribute (sdp_message_t *sdp, int pos_media, const char *field)
{
  osip_list_iterator_t it;

  for (sdp_attribute_t *attr = first_attribute (sdp, pos_media, &it); attr != NULL;
       attr = osip_list_get_next (&it)) {
    if (attr->a_att_field != NULL && g_ascii_strcasecmp (attr->a_att_field, field) == 0)
      return attr;
  }
  return NULL;
}

/* RFC 4566 6: a=rtpmap:<pt> ... and a=fmtp:<pt> ... : the text after the
 * payload type of the first such attribute for @pt, or NULL. */
static const char *
find_pt_attribute (sdp_message_t *sdp, int pos_media, const char *field, guint pt)
{
  osip_list_iterator_t it;

  for (sdp_attribute_t *attr = first_attribute (sdp, pos_media, &it); attr != NULL;
       attr = osip_list_get_next (&it)) {
    const char *value = attr->a_att_value;
    char *end = NULL;
    guint64 n;

    if (attr->a_att_field == NULL || value == NULL || g_ascii_strcasecmp (attr->a_att_field, field) != 0)
      continue;
    if (!g_ascii_isdigit (*value))
      continue;
    n = g_ascii_strtoull (value, &end, 10);
    if (n != pt || (*end != ' ' && *end != '\t'))
      continue;
    while (*end == ' ' || *end == '\t')
      end++;
    return end;
  }
  return NULL;
}

static gboolean
parse_uint (const char *text, guint64 min, guint64 max, guint64 *out)
{
  return text != NULL && g_ascii_string_to_unsigned (text, 10, min, max, out, NULL);
}


/* An attribute value without surrounding blanks; NULL if nothing is
 * left. */
static char *
trimmed (const char *value)
{
  char *line = g_strstrip (g_strdup (value));

  if (*line == '\0')
    g_clear_pointer (&line, g_free);
  return line;
}

/* "opus/48000/2" (RFC 4566 6, rtpmap: name/clock rate[/channels]). */
static ZcCodec *
parse_rtpmap (guint pt, const char *value)
{
  g_autofree char *copy = trimmed (value);
  g_auto (GStrv) parts = NULL;
  guint n;
  guint64 rate = 0, channels = 1;

  if (copy == NULL)
    return NULL;
  parts = g_strsplit (copy, "/", 0);
  n = g_strv_length (parts);
  if (n < 2 || n > 3 || *parts[0] == '\0' || !parse_uint (parts[1], 1, G_MAXUINT32, &rate))
    return NULL;
  if (n == 3 && !parse_uint (parts[2], 1, 255, &channels))
    return NULL;
  return zc_codec_new (parts[0], pt, (guint) rate, (guint) channels, NULL);
}

static gboolean
proto_is_rtp (const char *proto)
{
  /* RTP/AVPF (RFC 4585) peers talk to plain RTP/AVP ones; the SRTP
   * profiles carry the same RTP once keyed (by DTLS, RFC 5764 8; SDES we
   * only parse to decline). */
  static const char *const protos[] = { "RTP/AVP", "RTP/AVPF", "RTP/SAVP", "RTP/SAVPF", "UDP/TLS/RTP/SAVP",
                                        "UDP/TLS/RTP/SAVPF" };

  for (gsize i = 0; proto != NULL && i < G_N_ELEMENTS (protos); i++)
    if (g_ascii_strcasecmp (proto, protos[i]) == 0)
      return TRUE;
  return FALSE;
}

gboolean
zc_sdp_proto_is_secure (const char *proto)
{
  return proto != NULL && proto_is_rtp (proto) && g_strrstr (proto, "SAVP") != NULL;
}

/* RFC 4568 9.1: a=crypto is media level only.  A handful at most: an
 * offer lists one line per suite it proposes. */
#define MAX_CRYPTOS 8
static void
parse_cryptos (ZcSdpSession *session, sdp_message_t *sdp, int pos_media)
{
  osip_list_iterator_t it;

  for (sdp_attribute_t *attr = first_attribute (sdp, pos_media, &it);
       attr != NULL && session->cryptos->len < MAX_CRYPTOS; attr = osip_list_get_next (&it)) {
    ZcSdpCrypto *crypto;

    if (attr->a_att_field == NULL || g_ascii_strcasecmp (attr->a_att_field, "crypto") != 0)
      continue;
    crypto = zc_sdp_crypto_parse (attr->a_att_value);
    if (crypto != NULL)
      g_ptr_array_add (session->cryptos, crypto);
  }
}

/* RFC 8122 5: a=fingerprint:<hash-func> <hex:hex:...>, media level first,
 * then session level.  Kept as "<hash-func lower case> <HEX:HEX>" when
 * the hash is one DTLS-SRTP peers use and the value has its length. */
static char *
parse_fingerprint (sdp_message_t *sdp, int pos_media)
{
  static const struct {
    const char *name;
    gsize bytes;
  } hashes[] = { { "sha-1", 20 }, { "sha-224", 28 }, { "sha-256", 32 }, { "sha-384", 48 }, { "sha-512", 64 } };
  int levels[] = { pos_media, -1 };

  for (gsize l = 0; l < G_N_ELEMENTS (levels); l++) {
    const sdp_attribute_t *attr = find_attribute (sdp, levels[l], "fingerprint");
    g_auto (GStrv) parts = NULL;
    g_autofree char *value = NULL;

    if (attr == NULL || attr->a_att_value == NULL || strnlen (attr->a_att_value, 256) >= 256)
      continue;
    value = trimmed (attr->a_att_value);
    parts = g_strsplit (value != NULL ? value : "", " ", 2);
    if (g_strv_length (parts) != 2)
      return NULL;
    for (gsize h = 0; h < G_N_ELEMENTS (hashes); h++) {
      const char *hex = parts[1];

      if (g_ascii_strcasecmp (parts[0], hashes[h].name) != 0)
        continue;
      if (strlen (hex) != hashes[h].bytes * 3 - 1)
        return NULL;
      for (gsize i = 0; hex[i] != '\0'; i++)
        if (i % 3 == 2 ? hex[i] != ':' : !g_ascii_isxdigit (hex[i]))
          return NULL;
      {
        g_autofree char *upper = g_ascii_strup (hex, -1);

        return g_strconcat (hashes[h].name, " ", upper, NULL);
      }
    }
    return NULL;
  }
  return NULL;
}

/* RFC 4145 4: a=setup, media level first; NULL when absent or unknown. */
static char *
parse_setup (sdp_message_t *sdp, int pos_media)
{
  static const char *const roles[] = { "active", "passive", "actpass", "holdconn" };
  int levels[] = { pos_media, -1 };

  for (gsize l = 0; l < G_N_ELEMENTS (levels); l++) {
    const sdp_attribute_t *attr = find_attribute (sdp, levels[l], "setup");

    if (attr == NULL || attr->a_att_value == NULL)
      continue;
    for (gsize r = 0; r < G_N_ELEMENTS (roles); r++)
      if (g_ascii_strncasecmp (attr->a_att_value, roles[r], strlen (roles[r])) == 0)
        return g_strdup (roles[r]);
    return NULL;
  }
  return NULL;
}

/* Media-level attribute first, then session level (RFC 4566 6). */
static ZcMediaDirection
parse_direction (sdp_message_t *sdp, int pos_media)
{
  int levels[] = { pos_media, -1 };

  for (gsize l = 0; l < G_N_ELEMENTS (levels); l++) {
    osip_list_iterator_t it;

    for (sdp_attribute_t *attr = first_attribute (sdp, levels[l], &it); attr != NULL;
         attr = osip_list_get_next (&it)) {
      ZcMediaDirection direction;

      if (zc_media_direction_from_string (attr->a_att_field, &direction))
        return direction;
    }
  }
  /* RFC 3264 5.1: no attribute means sendrecv. */
  return ZC_MEDIA_DIRECTION_SENDRECV;
}

static guint
parse_ptime (sdp_message_t *sdp, int pos_media)
{
  const sdp_attribute_t *attr = find_attribute (sdp, pos_media, "ptime");
  guint64 ms = 0;

  if (attr == NULL)
    attr = find_attribute (sdp, -1, "ptime"); /* misplaced, but seen in the wild */
  if (attr != NULL && attr->a_att_value != NULL) {
    g_autofree char *value = trimmed (attr->a_att_value);
    if (!parse_uint (value, 1, 1000, &ms))
      ms = 0; /* a bad ptime is only a hint lost */
  }
  return (guint) ms;
}

/* RFC 3605 2.1: a=rtcp:<port> [IN IP4|IP6 <address>].  Like ptime, a bad
 * one is a hint lost: RTCP then goes to RTP port + 1. */
static void
parse_rtcp (ZcSdpSession *session, sdp_message_t *sdp, int pos_media)
{
  const sdp_attribute_t *attr = find_attribute (sdp, pos_media, "rtcp");
  g_autofree char *value = NULL;
  g_auto (GStrv) parts = NULL;
  guint64 port;

  if (attr == NULL || attr->a_att_value == NULL || (value = trimmed (attr->a_att_value)) == NULL)
    return;
  parts = g_strsplit_set (value, " \t", 0);
  if (!parse_uint (parts[0], 1, G_MAXUINT16, &port))
    return;
  if (parts[1] != NULL) {
    if (g_strv_length (parts) != 4 || g_ascii_strcasecmp (parts[1], "IN") != 0
        || (g_ascii_strcasecmp (parts[2], "IP4") != 0 && g_ascii_strcasecmp (parts[2], "IP6") != 0)
        || !g_hostname_is_ip_address (parts[3]))
      return;
    session->rtcp_address = g_strdup (parts[3]);
  }
  session->rtcp_port = (guint16) port;
}

/* RFC 8839 5.1: ice-char = ALPHA / DIGIT / "+" / "/". */
static gboolean
is_ice_chars (const char *s, gsize max)
{
  gsize n = 0;

  for (; s[n] != '\0'; n++) {
    if (n >= max || !(g_ascii_isalnum (s[n]) || s[n] == '+' || s[n] == '/'))
      return FALSE;
  }
  return n > 0;
}

static gboolean
is_digits (const char *s, gsize max)
{
  gsize n = 0;

  for (; s[n] != '\0'; n++) {
    if (n >= max || !g_ascii_isdigit (s[n]))
      return FALSE;
  }
  return n > 0;
}

/* ice-ufrag / ice-pwd, media level first, then session level (RFC 8839
 * 5.4).  The RFC's minimum lengths (4 and 22) are a rule for the writer;
 * a peer that breaks it still talks ICE, so only the charset and the
 * maximum are checked, to keep garbage out of the ICE agent. */
static char *
parse_ice_credential (sdp_message_t *sdp, int pos_media, const char *field)
{
  int levels[] = { pos_media, -1 };

  for (gsize l = 0; l < G_N_ELEMENTS (levels); l++) {
    const sdp_attribute_t *attr = find_attribute (sdp, levels[l], field);
    g_autofree char *value = NULL;

    if (attr == NULL)
      continue;
    value = attr->a_att_value != NULL ? trimmed (attr->a_att_value) : NULL;
    if (value != NULL && is_ice_chars (value, ICE_CREDENTIAL_MAX))
      return g_steal_pointer (&value);
    g_debug ("ignoring malformed a=%s", field);
    return NULL; /* present but bad: do not fall back to another level */
  }
  return NULL;
}

/* RFC 8839 5.1: foundation SP component-id SP transport SP priority SP
 * connection-address SP port SP "typ" SP cand-type *(SP ...).  The ICE
 * agent parses it for real; this only keeps out what is surely not a
 * candidate, and anything that could not go back into a log or an SDP
 * line unchanged. */
static gboolean
candidate_is_sane (const char *value)
{
  g_auto (GStrv) fields = NULL;

  for (const guchar *p = (const guchar *) value; *p != '\0'; p++) {
    if (*p < ' ' || *p >= 0x7f)
      return FALSE;
  }
  fields = g_strsplit (value, " ", 0);
  return g_strv_length (fields) >= 8 && is_ice_chars (fields[0], ICE_FOUNDATION_MAX) && is_digits (fields[1], 3)
         && zc_sdp_is_token (fields[2]) && is_digits (fields[3], 10) && zc_sdp_is_token (fields[4]) && is_digits (fields[5], 5)
         && strcmp (fields[6], "typ") == 0 && zc_sdp_is_token (fields[7]);
}

/* ICE attributes of the audio stream at @pos_media.  a=candidate is media
 * level only (RFC 8839 5.1). */
static void
parse_ice (ZcSdpSession *session, sdp_message_t *sdp, int pos_media)
{
  osip_list_iterator_t it;
  guint n = 0;
  int i = 0;

  session->ice_ufrag = parse_ice_credential (sdp, pos_media, "ice-ufrag");
  session->ice_pwd = parse_ice_credential (sdp, pos_media, "ice-pwd");

  g_ptr_array_set_size (session->ice_candidates, 0);
  for (sdp_attribute_t *attr = first_attribute (sdp, pos_media, &it); attr != NULL;
       attr = osip_list_get_next (&it), i++) {
    g_autofree char *value = NULL;

    if (attr->a_att_field == NULL || g_ascii_strcasecmp (attr->a_att_field, "candidate") != 0)
      continue;
    if (n == ZC_SDP_MAX_ICE_CANDIDATES) {
      g_debug ("ignoring ICE candidates after the first %u", ZC_SDP_MAX_ICE_CANDIDATES);
      break;
    }
    /* "candidate:" + value must fit the limit; strnlen first so that a
     * huge one is not copied. */
    if (attr->a_att_value == NULL
        || strnlen (attr->a_att_value, ZC_SDP_MAX_ICE_CANDIDATE_LENGTH) >= ZC_SDP_MAX_ICE_CANDIDATE_LENGTH
        || (value = trimmed (attr->a_att_value)) == NULL
        || strlen (value) + strlen ("candidate:") > ZC_SDP_MAX_ICE_CANDIDATE_LENGTH || !candidate_is_sane (value)) {
      g_debug ("ignoring malformed ICE candidate %d", i + 1);
      continue;
    }
    g_ptr_array_add (session->ice_candidates, g_strconcat ("candidate:", value, NULL));
    n++;
  }
  g_ptr_array_add (session->ice_candidates, NULL);
}

static gboolean
parse_connection (ZcSdpSession *session, sdp_message_t *sdp, int pos_media, GError **error)
{
  sdp_connection_t *conn = sdp_message_connection_get (sdp, pos_media, 0);
  const char *type;

  /* RFC 4566 5.7: c= at session level or in every m= section. */
  if (conn == NULL || conn->c_addr == NULL)
    conn = sdp_message_connection_get (sdp, -1, 0);
  if (conn == NULL || conn->c_addr == NULL || conn->c_addrtype == NULL) {
    g_set_error_literal (error, ZC_SDP_ERROR, ZC_SDP_ERROR_INVALID, "SDP has no connection address (c=) for audio");
    return FALSE;
  }
  if (g_ascii_strcasecmp (conn->c_addrtype, "IP4") == 0)
    type = "IP4";
  else if (g_ascii_strcasecmp (conn->c_addrtype, "IP6") == 0)
    type = "IP6";
  else {
    g_autofree char *shown = g_strescape (conn->c_addrtype, NULL);
    g_set_error (error, ZC_SDP_ERROR, ZC_SDP_ERROR_INVALID, "SDP connection address type '%s' is not IP4 or IP6",
                 shown);
    return FALSE;
  }
  /* Host names are legal (RFC 4566 5.7) but resolving one is not this
   * module's job, and no phone we know sends them. */
  if (!g_hostname_is_ip_address (conn->c_addr)) {
    g_autofree char *shown = g_strescape (conn->c_addr, NULL);
    g_set_error (error, ZC_SDP_ERROR, ZC_SDP_ERROR_INVALID, "SDP connection address '%s' is not an IP address",
                 shown);
    return FALSE;
  }
  session->address = g_strdup (conn->c_addr);
  session->address_type = g_strdup (type);
  return TRUE;
}

static gboolean
parse_codecs (ZcSdpSession *session, sdp_message_t *sdp, int pos_media, const ZcSdpMedia *line, GError **error)
{
  for (gsize f = 0; line->fmts[f] != NULL; f++) {
    const char *rtpmap, *fmtp;
    gboolean seen = FALSE;
    ZcCodec *codec;
    guint64 pt;

    if (!parse_uint (line->fmts[f], 0, PT_MAX, &pt)) {
      g_set_error (error, ZC_SDP_ERROR, ZC_SDP_ERROR_INVALID, "SDP RTP payload type '%s' is not 0..%u",
                   line->fmts[f], PT_MAX);
      return FALSE;
    }
    for (guint i = 0; i < session->codecs->len && !seen; i++)
      seen = ((ZcCodec *) g_ptr_array_index (session->codecs, i))->pt == pt;
    if (seen)
      continue;

    /* rtpmap is media-level only (RFC 4566 6); without one only the
     * static types can be named (RFC 3551 6). */
    rtpmap = find_pt_attribute (sdp, pos_media, "rtpmap", (guint) pt);
    codec = rtpmap != NULL ? parse_rtpmap ((guint) pt, rtpmap) : zc_sdp_codec_new_static ((guint) pt);
    if (codec == NULL) {
      g_debug ("ignoring payload type %s: no usable rtpmap", line->fmts[f]);
      continue;
    }
    fmtp = find_pt_attribute (sdp, pos_media, "fmtp", (guint) pt);
    if (fmtp != NULL)
      codec->fmtp = trimmed (fmtp);
    g_ptr_array_add (session->codecs, codec);
  }
  return TRUE;
}

static const char *
nonnull (const char *s)
{
  return s != NULL ? s : "";
}

ZcSdpSession *
zc_sdp_parse (const char *body, GError **error)
{
  g_autoptr (ZcSdpSession) session = NULL;
  g_autoptr (sdp_message_t) sdp = NULL;
  g_autofree char *padded = NULL;
  const char *version;
  const ZcSdpMedia *audio = NULL;
  osip_list_iterator_t media_it;
  gsize len;
  int pos, n_media = 0;

  if (body == NULL || *body == '\0') {
    g_set_error_literal (error, ZC_SDP_ERROR, ZC_SDP_ERROR_INVALID, "SDP body is empty");
    return NULL;
  }
  if (strnlen (body, ZC_SDP_MAX_SIZE + 1) > ZC_SDP_MAX_SIZE) {
    g_set_error (error, ZC_SDP_ERROR, ZC_SDP_ERROR_INVALID, "SDP body is larger than %u bytes", ZC_SDP_MAX_SIZE);
    return NULL;
  }
  /* libosip2 5.3's m= parser can step one byte past the terminating NUL
   * of a body that ends inside a short m= line (it calls strchr (tmp + 1)
   * with tmp on the NUL; found by the mutation test under valgrind).  A
   * copy with a few more NULs keeps that read inside our buffer. */
  {
    /* RFC 4566 wants a character after "s=", but real offers (RFC 5118
     * 4.8 among them) leave it empty; libosip2 refuses those. */
    g_autoptr (GString) normalized = g_string_new (body);

    if (g_str_has_prefix (normalized->str, "s=\r\n") || g_str_has_prefix (normalized->str, "s=\n"))
      g_string_insert_c (normalized, 2, '-');
    g_string_replace (normalized, "\ns=\r\n", "\ns=-\r\n", 0);
    g_string_replace (normalized, "\ns=\n", "\ns=-\n", 0);
    len = normalized->len;
    padded = g_malloc0 (len + PARSE_PADDING);
    memcpy (padded, normalized->str, len);
  }
  if (sdp_message_init (&sdp) != 0 || sdp_message_parse (sdp, padded) != 0) {
    g_set_error_literal (error, ZC_SDP_ERROR, ZC_SDP_ERROR_INVALID, "SDP body cannot be parsed");
    return NULL;
  }
  version = sdp_message_v_version_get (sdp);
  if (version == NULL || strcmp (version, "0") != 0) {
    g_set_error_literal (error, ZC_SDP_ERROR, ZC_SDP_ERROR_INVALID, "SDP version (v=) is not 0");
    return NULL;
  }

  session = zc_sdp_session_new ();
  if (!zc_sdp_is_token (sdp_message_o_username_get (sdp)) || !zc_sdp_is_token (sdp_message_o_sess_id_get (sdp))
      || !zc_sdp_is_token (sdp_message_o_sess_version_get (sdp))) {
    g_set_error_literal (error, ZC_SDP_ERROR, ZC_SDP_ERROR_INVALID, "SDP origin (o=) is malformed");
    return NULL;
  }
  session->origin_user = g_strdup (sdp_message_o_username_get (sdp));
  session->session_id = g_strdup (sdp_message_o_sess_id_get (sdp));
  session->session_version = g_strdup (sdp_message_o_sess_version_get (sdp));

  for (sdp_media_t *media = osip_list_get_first (&sdp->m_medias, &media_it); media != NULL && media->m_media != NULL;
       media = osip_list_get_next (&media_it), n_media++) {
    const char *port = media->m_port;
    g_autoptr (GPtrArray) fmts = g_ptr_array_new ();
    ZcSdpMedia *line = g_new0 (ZcSdpMedia, 1);
    guint64 port_number = 0;
    osip_list_iterator_t fmt_it;

    line->type = g_strdup (media->m_media);
    line->proto = g_strdup (nonnull (media->m_proto));
    for (char *fmt = osip_list_get_first (&media->m_payloads, &fmt_it); fmt != NULL; fmt = osip_list_get_next (&fmt_it))
      g_ptr_array_add (fmts, g_strdup (fmt));
    g_ptr_array_add (fmts, NULL);
    line->fmts = (GStrv) g_ptr_array_steal (fmts, NULL);
    g_ptr_array_add (session->media, line);
    /* Checked before any of it goes into an error message. */
    if (!zc_sdp_is_token (line->type) || !zc_sdp_is_token (line->proto) || !zc_sdp_is_token (port)) {
      g_set_error (error, ZC_SDP_ERROR, ZC_SDP_ERROR_INVALID, "SDP m= line %d is malformed", n_media + 1);
      return NULL;
    }
    for (gsize f = 0; line->fmts[f] != NULL; f++) {
      if (!zc_sdp_is_token (line->fmts[f])) {
        g_set_error (error, ZC_SDP_ERROR, ZC_SDP_ERROR_INVALID, "SDP m=%s format list is malformed", line->type);
        return NULL;
      }
    }
    if (!parse_uint (port, 0, G_MAXUINT16, &port_number)) {
      g_set_error (error, ZC_SDP_ERROR, ZC_SDP_ERROR_INVALID, "SDP m=%s port '%s' is not 0..65535", line->type, port);
      return NULL;
    }
    line->port = (guint16) port_number;
  }

  /* The first live RTP audio stream is ours (RFC 3264 5.1 lets an offer
   * carry several); failing that the first audio line, rejected. */
  for (int pass = 0; pass < 2 && audio == NULL; pass++) {
    for (guint m = 0; m < session->media->len && audio == NULL; m++) {
      const ZcSdpMedia *line = g_ptr_array_index (session->media, m);

      if (g_ascii_strcasecmp (line->type, "audio") != 0)
        continue;
      if (pass == 1 || (line->port != 0 && proto_is_rtp (line->proto))) {
        audio = line;
        session->audio_index = m;
      }
    }
  }
  if (audio == NULL) {
    g_set_error_literal (error, ZC_SDP_ERROR, ZC_SDP_ERROR_NO_AUDIO, "SDP has no audio stream (m=audio)");
    return NULL;
  }
  pos = (int) session->audio_index;
  session->port = audio->port;
  session->direction = parse_direction (sdp, pos);
  session->ptime_ms = parse_ptime (sdp, pos);
  session->rtcp_mux = find_attribute (sdp, pos, "rtcp-mux") != NULL;

  if (session->port == 0)
    return g_steal_pointer (&session); /* disabled: nothing more to learn */

  if (!parse_connection (session, sdp, pos, error))
    return NULL;
  /* RFC 3264 8.4: an RFC 2543 peer puts a call on hold with c=0.0.0.0:
   * it will not receive anything. */
  if (strcmp (session->address, "0.0.0.0") == 0)
    session->direction = zc_sdp_direction_from_flags (zc_sdp_direction_sends (session->direction), FALSE);
  if (proto_is_rtp (audio->proto) && !parse_codecs (session, sdp, pos, audio, error))
    return NULL;
  parse_rtcp (session, sdp, pos);
  parse_ice (session, sdp, pos);
  session->fingerprint = parse_fingerprint (sdp, pos);
  session->setup = parse_setup (sdp, pos);
  session->has_crypto = find_attribute (sdp, pos, "crypto") != NULL;
  parse_cryptos (session, sdp, pos);
  return g_steal_pointer (&session);
}
