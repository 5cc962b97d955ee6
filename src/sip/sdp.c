/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sdp"
#include "config.h"

#include "sip/sdp.h"

#include <osipparser2/osip_port.h>
#include <osipparser2/sdp_message.h>

#include <string.h>

G_DEFINE_QUARK (zc-sdp-error-quark, zc_sdp_error)

/* One m= line as offered or answered, kept so that an answer can repeat
 * every line of the offer (RFC 3264 6). */
typedef struct {
  char *type;   /* "audio", "video", ... */
  guint16 port;
  char *proto;  /* "RTP/AVP", ... */
  GStrv fmts;   /* the format list, as written */
} Media;

struct _ZcSdpSession {
  char *origin_user;
  char *session_id;
  char *session_version;
  char *address;
  char *address_type;   /* "IP4" or "IP6" */
  guint audio_index;    /* position of the audio stream in media */
  guint16 port;         /* of the audio stream */
  ZcMediaDirection direction;
  guint ptime_ms;
  gboolean rtcp_mux;
  guint16 rtcp_port;    /* a=rtcp (RFC 3605), 0 if none */
  char *rtcp_address;   /* its address, NULL if not given */
  char *ice_ufrag;      /* RFC 8839 5.4, media level else session level */
  char *ice_pwd;
  GPtrArray *ice_candidates; /* char*, "candidate:...", NULL-terminated */
  GPtrArray *codecs;    /* ZcCodec* */
  GPtrArray *media;     /* Media*, every m= line in order */
  ZcCodec *chosen;
};

/* The codecs we can send and receive.  PCMU and PCMA have static payload
 * types (RFC 3551 6, table 4); Opus gets the dynamic PT most phones use for
 * it, with RFC 7587 7 parameters: 10 ms frames are fine, and in-band FEC
 * is welcome. */
typedef struct {
  const char *config_name;
  const char *name;
  guint8 pt;
  guint clock_rate;
  guint channels;
  const char *fmtp;
} KnownCodec;

static const KnownCodec known_codecs[] = {
  { "opus", "opus", 111, 48000, 2, "minptime=10;useinbandfec=1" },
  { "pcmu", "PCMU", 0, 8000, 1, NULL },
  { "pcma", "PCMA", 8, 8000, 1, NULL },
};

#define TELEPHONE_EVENT "telephone-event"
/* RFC 4733 7.1.1: telephone-event runs at the clock rate of the audio
 * codec, so Opus needs its own at 48 kHz. */
#define TE_PT_8K 101
#define TE_PT_48K 110
/* RFC 4733 3.2: events 0-15 are the DTMF digits, 16 is flash. */
#define TE_FMTP "0-16"

/* RFC 3551 table 4: static audio payload types that may come without an
 * a=rtpmap (sipp's default offer is "m=audio 6000 RTP/AVP 0"). */
static const struct {
  guint8 pt;
  const char *name;
  guint clock_rate;
} static_payload_types[] = {
  { 0, "PCMU", 8000 }, { 3, "GSM", 8000 }, { 4, "G723", 8000 }, { 8, "PCMA", 8000 },
  { 9, "G722", 8000 }, { 13, "CN", 8000 }, { 18, "G729", 8000 },
};

/* RFC 8839 5.4: ice-ufrag is 4-256 ice-chars, ice-pwd 22-256. */
#define ICE_CREDENTIAL_MAX 256
/* RFC 8839 5.1: foundation = 1*32ice-char. */
#define ICE_FOUNDATION_MAX 32

/* NUL bytes after a body handed to osip's parser (see zc_sdp_parse). */
#define PARSE_PADDING 8

/* RFC 3551: RTP payload types are 7 bits. */
#define PT_MAX 127

static const char *const default_codecs[] = { "opus", "pcmu", "pcma", NULL };

/* Direction */

static const char *const direction_names[] = {
  [ZC_MEDIA_DIRECTION_SENDRECV] = "sendrecv",
  [ZC_MEDIA_DIRECTION_SENDONLY] = "sendonly",
  [ZC_MEDIA_DIRECTION_RECVONLY] = "recvonly",
  [ZC_MEDIA_DIRECTION_INACTIVE] = "inactive",
};

const char *
zc_media_direction_to_string (ZcMediaDirection direction)
{
  g_return_val_if_fail ((guint) direction < G_N_ELEMENTS (direction_names), "sendrecv");
  return direction_names[direction];
}

gboolean
zc_media_direction_from_string (const char *string, ZcMediaDirection *direction)
{
  if (string == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (direction_names); i++) {
    if (strcmp (string, direction_names[i]) == 0) {
      *direction = (ZcMediaDirection) i;
      return TRUE;
    }
  }
  return FALSE;
}

static gboolean
direction_sends (ZcMediaDirection d)
{
  return d == ZC_MEDIA_DIRECTION_SENDRECV || d == ZC_MEDIA_DIRECTION_SENDONLY;
}

static gboolean
direction_receives (ZcMediaDirection d)
{
  return d == ZC_MEDIA_DIRECTION_SENDRECV || d == ZC_MEDIA_DIRECTION_RECVONLY;
}

static ZcMediaDirection
direction_from_flags (gboolean sends, gboolean receives)
{
  if (sends && receives)
    return ZC_MEDIA_DIRECTION_SENDRECV;
  if (sends)
    return ZC_MEDIA_DIRECTION_SENDONLY;
  if (receives)
    return ZC_MEDIA_DIRECTION_RECVONLY;
  return ZC_MEDIA_DIRECTION_INACTIVE;
}

/* Codecs */

static ZcCodec *
codec_new (const char *name, guint pt, guint clock_rate, guint channels, const char *fmtp)
{
  ZcCodec *codec = g_new0 (ZcCodec, 1);

  codec->name = g_strdup (name);
  codec->pt = (guint8) pt;
  codec->clock_rate = clock_rate;
  codec->channels = channels;
  codec->fmtp = g_strdup (fmtp);
  return codec;
}

ZcCodec *
zc_codec_copy (const ZcCodec *codec)
{
  if (codec == NULL)
    return NULL;
  return codec_new (codec->name, codec->pt, codec->clock_rate, codec->channels, codec->fmtp);
}

void
zc_codec_free (ZcCodec *codec)
{
  if (codec == NULL)
    return;
  g_free (codec->name);
  g_free (codec->fmtp);
  g_free (codec);
}

static const KnownCodec *
known_codec_by_config_name (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (known_codecs); i++) {
    if (g_ascii_strcasecmp (name, known_codecs[i].config_name) == 0)
      return &known_codecs[i];
  }
  return NULL;
}

gboolean
zc_sdp_codec_name_is_known (const char *name)
{
  return name != NULL && known_codec_by_config_name (name) != NULL;
}

/* Encoding names are case-insensitive (RFC 4566 6, rtpmap). */
static gboolean
codec_is (const ZcCodec *codec, const char *name, guint clock_rate)
{
  return g_ascii_strcasecmp (codec->name, name) == 0 && codec->clock_rate == clock_rate;
}

static gboolean
codec_is_telephone_event (const ZcCodec *codec)
{
  return g_ascii_strcasecmp (codec->name, TELEPHONE_EVENT) == 0;
}

/* Our configured codecs, known ones only, without repeats, defaults when
 * nothing is left. */
static GPtrArray *
local_codec_list (const ZcSdpLocal *local)
{
  const char *const *names = local->codecs;
  GPtrArray *list = g_ptr_array_new ();

  for (int pass = 0; pass < 2 && list->len == 0; pass++) {
    for (gsize i = 0; names != NULL && names[i] != NULL; i++) {
      const KnownCodec *known = known_codec_by_config_name (names[i]);

      if (known == NULL) {
        g_debug ("ignoring unknown codec '%s'", names[i]);
        continue;
      }
      if (!g_ptr_array_find (list, known, NULL))
        g_ptr_array_add (list, (gpointer) known);
    }
    names = default_codecs;
  }
  return list;
}

/* Sessions */

static void
media_free (Media *media)
{
  g_free (media->type);
  g_free (media->proto);
  g_strfreev (media->fmts);
  g_free (media);
}

void
zc_sdp_session_free (ZcSdpSession *session)
{
  if (session == NULL)
    return;
  g_free (session->origin_user);
  g_free (session->session_id);
  g_free (session->session_version);
  g_free (session->address);
  g_free (session->address_type);
  g_free (session->rtcp_address);
  g_free (session->ice_ufrag);
  g_free (session->ice_pwd);
  g_ptr_array_unref (session->ice_candidates);
  g_ptr_array_unref (session->codecs);
  g_ptr_array_unref (session->media);
  zc_codec_free (session->chosen);
  g_free (session);
}

const char *
zc_sdp_session_get_origin_user (const ZcSdpSession *session)
{
  return session->origin_user;
}

const char *
zc_sdp_session_get_session_id (const ZcSdpSession *session)
{
  return session->session_id;
}

const char *
zc_sdp_session_get_session_version (const ZcSdpSession *session)
{
  return session->session_version;
}

const char *
zc_sdp_session_get_address (const ZcSdpSession *session)
{
  return session->address;
}

const char *
zc_sdp_session_get_address_type (const ZcSdpSession *session)
{
  return session->address_type;
}

guint16
zc_sdp_session_get_port (const ZcSdpSession *session)
{
  return session->port;
}

ZcMediaDirection
zc_sdp_session_get_direction (const ZcSdpSession *session)
{
  return session->direction;
}

guint
zc_sdp_session_get_ptime_ms (const ZcSdpSession *session)
{
  return session->ptime_ms;
}

gboolean
zc_sdp_session_get_rtcp_mux (const ZcSdpSession *session)
{
  return session->rtcp_mux;
}

guint16
zc_sdp_session_get_rtcp_port (const ZcSdpSession *session)
{
  return session->rtcp_port;
}

const char *
zc_sdp_session_get_rtcp_address (const ZcSdpSession *session)
{
  return session->rtcp_address;
}

const char *
zc_sdp_session_get_ice_ufrag (const ZcSdpSession *session)
{
  return session->ice_ufrag;
}

const char *
zc_sdp_session_get_ice_pwd (const ZcSdpSession *session)
{
  return session->ice_pwd;
}

const char *const *
zc_sdp_session_get_ice_candidates (const ZcSdpSession *session)
{
  return (const char *const *) session->ice_candidates->pdata;
}

gboolean
zc_sdp_session_has_ice (const ZcSdpSession *session)
{
  /* The array ends with its NULL, so one candidate makes len 2. */
  return session->ice_ufrag != NULL && session->ice_pwd != NULL && session->ice_candidates->len > 1;
}

const GPtrArray *
zc_sdp_session_get_codecs (const ZcSdpSession *session)
{
  return session->codecs;
}

guint
zc_sdp_session_get_n_media (const ZcSdpSession *session)
{
  return session->media->len;
}

const ZcCodec *
zc_sdp_session_get_chosen_codec (const ZcSdpSession *session)
{
  return session->chosen;
}

const ZcCodec *
zc_sdp_session_find_telephone_event (const ZcSdpSession *session, guint clock_rate)
{
  for (guint i = 0; i < session->codecs->len; i++) {
    const ZcCodec *codec = g_ptr_array_index (session->codecs, i);

    if (codec_is (codec, TELEPHONE_EVENT, clock_rate))
      return codec;
  }
  return NULL;
}

/* Building */

/* RFC 4566 9: token / non-ws-string, bytes above space.  osip splits o=
 * and m= fields at single spaces only, so a tab or another control
 * character can end up inside one; such a field must not reach an answer
 * we print or a log line. */
static gboolean
is_token (const char *s)
{
  if (s == NULL || *s == '\0')
    return FALSE;
  for (const guchar *p = (const guchar *) s; *p != '\0'; p++) {
    if (*p <= ' ' || *p == 0x7f)
      return FALSE;
  }
  return TRUE;
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sdp_message_t, sdp_message_free)

/* osip's setters take ownership of strings allocated with its allocator. */
static char *
os (const char *s)
{
  return s != NULL ? osip_strdup (s) : NULL;
}

static char *
osf (const char *format, ...) G_GNUC_PRINTF (1, 2);

static char *
osf (const char *format, ...)
{
  va_list args;
  g_autofree char *s = NULL;

  va_start (args, format);
  s = g_strdup_vprintf (format, args);
  va_end (args);
  return osip_strdup (s);
}

/* RFC 4566 5.2: the username is a non-whitespace string, "-" if none. */
static const char *
origin_user (const char *user)
{
  return is_token (user) ? user : "-";
}

/* What goes on the wire for one audio format: ours for the formats we
 * describe (an a=fmtp says what its writer wants to receive). */
static const char *
local_fmtp (const ZcCodec *codec)
{
  if (codec_is_telephone_event (codec))
    return TE_FMTP;
  for (gsize i = 0; i < G_N_ELEMENTS (known_codecs); i++) {
    if (codec_is (codec, known_codecs[i].name, known_codecs[i].clock_rate))
      return known_codecs[i].fmtp;
  }
  return NULL;
}

/* Adds local->ice_attributes to the m= section at @pos.  They come from
 * our ICE agent, not the network, but a stray CR or LF in one would split
 * it into lines of its own and a line that is not "a=" would break the
 * section, so such lines are left out (with a warning: it is our bug). */
static void
add_ice_attributes (sdp_message_t *sdp, int pos, const char *ice_attributes)
{
  g_auto (GStrv) lines = g_strsplit (ice_attributes, "\n", 0);

  for (gsize i = 0; lines[i] != NULL; i++) {
    char *line = lines[i];
    gsize len = strlen (line);
    g_autofree char *field = NULL;
    const char *name, *colon = NULL;
    gboolean clean = TRUE;

    /* libnice ends its lines with LF, SDP with CRLF: take both. */
    if (len > 0 && line[len - 1] == '\r')
      line[--len] = '\0';
    if (len == 0)
      continue;
    for (const guchar *p = (const guchar *) line; *p != '\0' && clean; p++)
      clean = *p >= ' ' && *p != 0x7f;
    if (clean && g_str_has_prefix (line, "a=")) {
      name = line + 2;
      colon = strchr (name, ':');
      field = colon != NULL ? g_strndup (name, (gsize) (colon - name)) : g_strdup (name);
    }
    if (field == NULL || !is_token (field)) {
      g_autofree char *shown = g_strescape (line, NULL);
      g_warning ("ignoring ICE attribute line '%s': not a=<attribute>", shown);
      continue;
    }
    /* osip prints "a=<field>:<value>" or "a=<field>", so the split at the
     * first colon gives back the line as it was. */
    sdp_message_a_attribute_add (sdp, pos, os (field), colon != NULL ? os (colon + 1) : NULL);
  }
}

/* Prints a session description from our side: @media are the m= lines
 * (the audio one at @audio_index gets @codecs and the attributes, every
 * other one is printed as it is, rejected ones with port 0). */
static char *
print_sdp (const ZcSdpLocal *local,
           const GPtrArray *media,
           guint audio_index,
           const GPtrArray *codecs,
           ZcMediaDirection direction,
           gboolean rtcp_mux,
           gboolean ice)
{
  g_auto (GStrv) address_parts = NULL;
  const char *address;
  const char *address_type;
  g_autoptr (sdp_message_t) sdp = NULL;
  char *text = NULL;
  char *result;

  /* A zone index ("fe80::1%eth0") has no place in SDP (RFC 4566 9,
   * IP6-address). */
  address_parts = g_strsplit (local->address, "%", 2);
  address = address_parts[0];
  g_return_val_if_fail (g_hostname_is_ip_address (address), NULL);
  address_type = strchr (address, ':') != NULL ? "IP6" : "IP4";

  if (sdp_message_init (&sdp) != 0)
    return NULL;
  /* RFC 4566 5: v=, o=, s=, c=, t= in this order.  RFC 3264 5: s= may
   * be a dash, and t=0 0 since the session is not bounded in time. */
  sdp_message_v_version_set (sdp, os ("0"));
  sdp_message_o_origin_set (sdp, os (origin_user (local->user)),
                            osf ("%" G_GUINT64_FORMAT, local->session_id),
                            osf ("%" G_GUINT64_FORMAT, local->version),
                            os ("IN"), os (address_type), os (address));
  sdp_message_s_name_set (sdp, os ("-"));
  sdp_message_c_connection_add (sdp, -1, os ("IN"), os (address_type), os (address), NULL, NULL);
  sdp_message_t_time_descr_add (sdp, os ("0"), os ("0"));

  for (guint m = 0; m < media->len; m++) {
    const Media *line = g_ptr_array_index (media, m);
    int pos = (int) m;

    if (m != audio_index) {
      sdp_message_m_media_add (sdp, os (line->type), osf ("%u", line->port), NULL, os (line->proto));
      for (gsize f = 0; line->fmts[f] != NULL; f++)
        sdp_message_m_payload_add (sdp, pos, os (line->fmts[f]));
      continue;
    }

    sdp_message_m_media_add (sdp, os ("audio"), osf ("%u", line->port), NULL, os (line->proto));
    for (guint i = 0; i < codecs->len; i++) {
      const ZcCodec *codec = g_ptr_array_index (codecs, i);
      sdp_message_m_payload_add (sdp, pos, osf ("%u", codec->pt));
    }
    for (guint i = 0; i < codecs->len; i++) {
      const ZcCodec *codec = g_ptr_array_index (codecs, i);
      const char *fmtp = local_fmtp (codec);

      /* RFC 4566 6: encoding channels only when not 1. */
      if (codec->channels > 1)
        sdp_message_a_attribute_add (sdp, pos, os ("rtpmap"),
                                     osf ("%u %s/%u/%u", codec->pt, codec->name, codec->clock_rate,
                                          codec->channels));
      else
        sdp_message_a_attribute_add (sdp, pos, os ("rtpmap"),
                                     osf ("%u %s/%u", codec->pt, codec->name, codec->clock_rate));
      if (fmtp != NULL)
        sdp_message_a_attribute_add (sdp, pos, os ("fmtp"), osf ("%u %s", codec->pt, fmtp));
    }
    if (local->ptime_ms > 0)
      sdp_message_a_attribute_add (sdp, pos, os ("ptime"), osf ("%u", local->ptime_ms));
    sdp_message_a_attribute_add (sdp, pos, os (zc_media_direction_to_string (direction)), NULL);
    /* RFC 3605 2.1: the address may be left out when it is c='s, and ours
     * always is. */
    if (local->rtcp_port != 0)
      sdp_message_a_attribute_add (sdp, pos, os ("rtcp"), osf ("%u", local->rtcp_port));
    if (rtcp_mux)
      sdp_message_a_attribute_add (sdp, pos, os ("rtcp-mux"), NULL);
    /* RFC 8839 4.4.1.1.2: only the accepted stream carries ICE. */
    if (ice && local->ice_attributes != NULL)
      add_ice_attributes (sdp, pos, local->ice_attributes);
  }

  if (sdp_message_to_str (sdp, &text) != 0 || text == NULL) {
    g_warning ("cannot print session description for '%s'", address);
    return NULL;
  }
  result = g_strdup (text);
  osip_free (text);
  return result;
}

char *
zc_sdp_build_offer (const ZcSdpLocal *local)
{
  g_autoptr (GPtrArray) known = NULL;
  g_autoptr (GPtrArray) codecs = g_ptr_array_new_with_free_func ((GDestroyNotify) zc_codec_free);
  g_autoptr (GPtrArray) media = g_ptr_array_new_with_free_func ((GDestroyNotify) media_free);
  gboolean opus = FALSE;
  Media *audio;

  g_return_val_if_fail (local != NULL, NULL);
  g_return_val_if_fail (local->address != NULL, NULL);

  known = local_codec_list (local);
  for (guint i = 0; i < known->len; i++) {
    const KnownCodec *k = g_ptr_array_index (known, i);

    g_ptr_array_add (codecs, codec_new (k->name, k->pt, k->clock_rate, k->channels, k->fmtp));
    opus |= k->clock_rate == 48000;
  }
  /* RFC 4733 7.1.1: one telephone-event per clock rate in use. */
  g_ptr_array_add (codecs, codec_new (TELEPHONE_EVENT, TE_PT_8K, 8000, 1, TE_FMTP));
  if (opus)
    g_ptr_array_add (codecs, codec_new (TELEPHONE_EVENT, TE_PT_48K, 48000, 1, TE_FMTP));

  audio = g_new0 (Media, 1);
  audio->type = g_strdup ("audio");
  audio->port = local->rtp_port;
  audio->proto = g_strdup ("RTP/AVP");
  audio->fmts = g_new0 (char *, 1);
  g_ptr_array_add (media, audio);

  /* RFC 5761 5.1.1: offer rtcp-mux, the answer says whether it is used. */
  return print_sdp (local, media, 0, codecs, local->direction, !local->no_rtcp_mux, TRUE);
}

/* Parsing */

/* The first attribute @field at @pos_media (-1: session level). */
static const sdp_attribute_t *
find_attribute (sdp_message_t *sdp, int pos_media, const char *field)
{
  sdp_attribute_t *attr;

  for (int i = 0; (attr = sdp_message_attribute_get (sdp, pos_media, i)) != NULL; i++) {
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
  sdp_attribute_t *attr;

  for (int i = 0; (attr = sdp_message_attribute_get (sdp, pos_media, i)) != NULL; i++) {
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
  return codec_new (parts[0], pt, (guint) rate, (guint) channels, NULL);
}

static ZcCodec *
static_codec (guint pt)
{
  for (gsize i = 0; i < G_N_ELEMENTS (static_payload_types); i++) {
    if (static_payload_types[i].pt == pt)
      return codec_new (static_payload_types[i].name, pt, static_payload_types[i].clock_rate, 1, NULL);
  }
  return NULL;
}

static gboolean
proto_is_rtp (const char *proto)
{
  /* RTP/AVPF (RFC 4585) peers talk to plain RTP/AVP ones; SRTP profiles
   * we cannot do. */
  return proto != NULL && (g_ascii_strcasecmp (proto, "RTP/AVP") == 0 || g_ascii_strcasecmp (proto, "RTP/AVPF") == 0);
}

/* Media-level attribute first, then session level (RFC 4566 6). */
static ZcMediaDirection
parse_direction (sdp_message_t *sdp, int pos_media)
{
  int levels[] = { pos_media, -1 };

  for (gsize l = 0; l < G_N_ELEMENTS (levels); l++) {
    sdp_attribute_t *attr;

    for (int i = 0; (attr = sdp_message_attribute_get (sdp, levels[l], i)) != NULL; i++) {
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
         && is_token (fields[2]) && is_digits (fields[3], 10) && is_token (fields[4]) && is_digits (fields[5], 5)
         && strcmp (fields[6], "typ") == 0 && is_token (fields[7]);
}

/* ICE attributes of the audio stream at @pos_media.  a=candidate is media
 * level only (RFC 8839 5.1). */
static void
parse_ice (ZcSdpSession *session, sdp_message_t *sdp, int pos_media)
{
  sdp_attribute_t *attr;
  guint n = 0;

  session->ice_ufrag = parse_ice_credential (sdp, pos_media, "ice-ufrag");
  session->ice_pwd = parse_ice_credential (sdp, pos_media, "ice-pwd");

  g_ptr_array_set_size (session->ice_candidates, 0);
  for (int i = 0; (attr = sdp_message_attribute_get (sdp, pos_media, i)) != NULL; i++) {
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
parse_codecs (ZcSdpSession *session, sdp_message_t *sdp, int pos_media, const Media *line, GError **error)
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
    codec = rtpmap != NULL ? parse_rtpmap ((guint) pt, rtpmap) : static_codec ((guint) pt);
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
  const Media *audio = NULL;
  gsize len;
  int pos;

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

  session = g_new0 (ZcSdpSession, 1);
  session->codecs = g_ptr_array_new_with_free_func ((GDestroyNotify) zc_codec_free);
  session->media = g_ptr_array_new_with_free_func ((GDestroyNotify) media_free);
  session->ice_candidates = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (session->ice_candidates, NULL); /* none until parse_ice () */
  if (!is_token (sdp_message_o_username_get (sdp)) || !is_token (sdp_message_o_sess_id_get (sdp))
      || !is_token (sdp_message_o_sess_version_get (sdp))) {
    g_set_error_literal (error, ZC_SDP_ERROR, ZC_SDP_ERROR_INVALID, "SDP origin (o=) is malformed");
    return NULL;
  }
  session->origin_user = g_strdup (sdp_message_o_username_get (sdp));
  session->session_id = g_strdup (sdp_message_o_sess_id_get (sdp));
  session->session_version = g_strdup (sdp_message_o_sess_version_get (sdp));

  for (int m = 0; sdp_message_m_media_get (sdp, m) != NULL; m++) {
    const char *port = sdp_message_m_port_get (sdp, m);
    g_autoptr (GPtrArray) fmts = g_ptr_array_new ();
    Media *line = g_new0 (Media, 1);
    guint64 port_number = 0;
    char *fmt;

    line->type = g_strdup (sdp_message_m_media_get (sdp, m));
    line->proto = g_strdup (nonnull (sdp_message_m_proto_get (sdp, m)));
    for (int f = 0; (fmt = sdp_message_m_payload_get (sdp, m, f)) != NULL; f++)
      g_ptr_array_add (fmts, g_strdup (fmt));
    g_ptr_array_add (fmts, NULL);
    line->fmts = (GStrv) g_ptr_array_steal (fmts, NULL);
    g_ptr_array_add (session->media, line);
    /* Checked before any of it goes into an error message. */
    if (!is_token (line->type) || !is_token (line->proto) || !is_token (port)) {
      g_set_error (error, ZC_SDP_ERROR, ZC_SDP_ERROR_INVALID, "SDP m= line %d is malformed", m + 1);
      return NULL;
    }
    for (gsize f = 0; line->fmts[f] != NULL; f++) {
      if (!is_token (line->fmts[f])) {
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
      const Media *line = g_ptr_array_index (session->media, m);

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
    session->direction = direction_from_flags (direction_sends (session->direction), FALSE);
  if (proto_is_rtp (audio->proto) && !parse_codecs (session, sdp, pos, audio, error))
    return NULL;
  parse_rtcp (session, sdp, pos);
  parse_ice (session, sdp, pos);
  return g_steal_pointer (&session);
}

/* Offer/answer */

static Media *
media_copy (const Media *media)
{
  Media *copy = g_new0 (Media, 1);

  copy->type = g_strdup (media->type);
  copy->port = media->port;
  copy->proto = g_strdup (media->proto);
  copy->fmts = g_strdupv (media->fmts);
  return copy;
}

static char *
codec_names (const GPtrArray *known)
{
  g_autoptr (GString) names = g_string_new (NULL);

  for (guint i = 0; i < known->len; i++) {
    const KnownCodec *k = g_ptr_array_index (known, i);
    g_string_append_printf (names, "%s%s", i > 0 ? ", " : "", k->name);
  }
  return g_string_free (g_steal_pointer (&names), FALSE);
}

gboolean
zc_sdp_negotiate_answer (const ZcSdpSession *offer,
                         const ZcSdpLocal *local,
                         ZcSdpSession **answer_out,
                         char **answer_sdp_out,
                         ZcCodec **chosen_out,
                         GError **error)
{
  g_autoptr (GPtrArray) known = NULL;
  g_autoptr (GPtrArray) accepted = g_ptr_array_new_with_free_func ((GDestroyNotify) zc_codec_free);
  g_autoptr (GPtrArray) media = g_ptr_array_new_with_free_func ((GDestroyNotify) media_free);
  g_autoptr (ZcSdpSession) answer = NULL;
  g_autofree char *text = NULL;
  ZcMediaDirection direction;
  guint n_audio;

  g_return_val_if_fail (offer != NULL, FALSE);
  g_return_val_if_fail (local != NULL && local->address != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (offer->port == 0) {
    g_set_error_literal (error, ZC_SDP_ERROR, ZC_SDP_ERROR_NO_COMMON_CODEC, "SDP offer has no active audio stream");
    return FALSE;
  }

  /* RFC 3264 6.1: the answer keeps the offer's payload types; the order
   * is the answerer's preference. */
  known = local_codec_list (local);
  for (guint k = 0; k < known->len; k++) {
    const KnownCodec *ours = g_ptr_array_index (known, k);

    for (guint i = 0; i < offer->codecs->len; i++) {
      const ZcCodec *offered = g_ptr_array_index (offer->codecs, i);

      if (codec_is (offered, ours->name, ours->clock_rate)) {
        g_ptr_array_add (accepted, zc_codec_copy (offered));
        break;
      }
    }
  }
  n_audio = accepted->len;
  if (n_audio == 0) {
    g_autofree char *names = codec_names (known);
    g_set_error (error, ZC_SDP_ERROR, ZC_SDP_ERROR_NO_COMMON_CODEC, "SDP offer has none of our codecs (%s)", names);
    return FALSE;
  }
  /* RFC 4733 7.1.1: DTMF events at the rate of each codec we accept. */
  for (guint i = 0; i < n_audio; i++) {
    const ZcCodec *codec = g_ptr_array_index (accepted, i);
    const ZcCodec *te = zc_sdp_session_find_telephone_event (offer, codec->clock_rate);
    gboolean listed = FALSE;

    for (guint j = n_audio; te != NULL && j < accepted->len; j++)
      listed |= ((ZcCodec *) g_ptr_array_index (accepted, j))->pt == te->pt;
    if (te != NULL && !listed)
      g_ptr_array_add (accepted, zc_codec_copy (te));
  }

  /* RFC 3264 6: one m= line per offered one, in order; everything but our
   * audio stream refused with port 0. */
  for (guint m = 0; m < offer->media->len; m++) {
    Media *line = media_copy (g_ptr_array_index (offer->media, m));

    line->port = m == offer->audio_index ? local->rtp_port : 0;
    g_ptr_array_add (media, line);
  }

  /* RFC 3264 6.1: we send only if the offerer receives, and receive only
   * if it sends; within that, what we are willing to do. */
  direction = direction_from_flags (direction_receives (offer->direction) && direction_sends (local->direction),
                                    direction_sends (offer->direction) && direction_receives (local->direction));

  /* RFC 5761 5.1.1: accept rtcp-mux only when offered.  RFC 8839 4.3.2:
   * ICE only when the offer shows support for it; credentials suffice, an
   * ICE offer may hold no candidate yet (RFC 8839 4.3.1). */
  text = print_sdp (local, media, offer->audio_index, accepted, direction, offer->rtcp_mux && !local->no_rtcp_mux,
                    offer->ice_ufrag != NULL && offer->ice_pwd != NULL);
  if (text == NULL) {
    g_set_error_literal (error, ZC_SDP_ERROR, ZC_SDP_ERROR_INVALID, "SDP answer cannot be built");
    return FALSE;
  }
  g_debug ("answering with %s/%u (PT %u), %s", ((ZcCodec *) accepted->pdata[0])->name,
           ((ZcCodec *) accepted->pdata[0])->clock_rate, ((ZcCodec *) accepted->pdata[0])->pt,
           zc_media_direction_to_string (direction));

  if (answer_out != NULL) {
    answer = zc_sdp_parse (text, error);
    if (answer == NULL)
      return FALSE;
    answer->chosen = zc_codec_copy (g_ptr_array_index (accepted, 0));
    *answer_out = g_steal_pointer (&answer);
  }
  if (chosen_out != NULL)
    *chosen_out = zc_codec_copy (g_ptr_array_index (accepted, 0));
  if (answer_sdp_out != NULL)
    *answer_sdp_out = g_steal_pointer (&text);
  return TRUE;
}

ZcSdpSession *
zc_sdp_apply_answer (const ZcSdpSession *offer_we_sent, const char *answer_body, ZcCodec **chosen_out, GError **error)
{
  g_autoptr (ZcSdpSession) answer = NULL;
  const ZcCodec *chosen = NULL;

  g_return_val_if_fail (offer_we_sent != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  answer = zc_sdp_parse (answer_body, error);
  if (answer == NULL)
    return NULL;
  if (answer->media->len != offer_we_sent->media->len || answer->audio_index != offer_we_sent->audio_index) {
    g_set_error (error, ZC_SDP_ERROR, ZC_SDP_ERROR_INVALID,
                 "SDP answer has %u m= lines (audio at %u), the offer %u (audio at %u)", answer->media->len,
                 answer->audio_index, offer_we_sent->media->len, offer_we_sent->audio_index);
    return NULL;
  }
  if (answer->port == 0) {
    g_set_error_literal (error, ZC_SDP_ERROR, ZC_SDP_ERROR_NO_COMMON_CODEC, "SDP answer rejects the audio stream");
    return NULL;
  }

  /* RFC 3264 6.1: the answerer lists what it accepts, preferred first;
   * it should keep our PTs, but what it writes is what it sends. */
  for (guint i = 0; i < answer->codecs->len && chosen == NULL; i++) {
    const ZcCodec *answered = g_ptr_array_index (answer->codecs, i);

    if (codec_is_telephone_event (answered))
      continue;
    for (guint j = 0; j < offer_we_sent->codecs->len && chosen == NULL; j++) {
      const ZcCodec *offered = g_ptr_array_index (offer_we_sent->codecs, j);

      if (codec_is (offered, answered->name, answered->clock_rate))
        chosen = answered;
    }
  }
  if (chosen == NULL) {
    g_set_error_literal (error, ZC_SDP_ERROR, ZC_SDP_ERROR_NO_COMMON_CODEC, "SDP answer has none of the offered codecs");
    return NULL;
  }
  answer->chosen = zc_codec_copy (chosen);
  if (chosen_out != NULL)
    *chosen_out = zc_codec_copy (chosen);
  return g_steal_pointer (&answer);
}
