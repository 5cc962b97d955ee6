/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The SDP module's insides, shared by its files (src/sdp/sdp-session.c,
 * sdp-codecs.c, sdp-parse.c, sdp-print.c, sdp-negotiate.c).  Nothing
 * outside src/sdp/ includes this. */
#pragma once

#include "sdp/sdp.h"

/* One m= line as offered or answered, kept so that an answer can repeat
 * every line of the offer (RFC 3264 6). */
typedef struct {
  char *type;   /* "audio", "video", ... */
  guint16 port;
  char *proto;  /* "RTP/AVP", ... */
  GStrv fmts;   /* the format list, as written */
} ZcSdpMedia;

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
  GPtrArray *media;     /* ZcSdpMedia*, every m= line in order */
  ZcCodec *chosen;
  char *fingerprint;    /* RFC 8122 a=fingerprint, "sha-256 AB:CD:...", or NULL */
  char *setup;          /* RFC 4145 a=setup role, or NULL */
  gboolean has_crypto;  /* RFC 4568 a=crypto (SDES) on the audio stream */
  GPtrArray *cryptos;   /* ZcSdpCrypto*: those of its lines we could use, in order */
};

/* A codec we can send and receive (the table is in sdp-codecs.c). */
typedef struct {
  const char *config_name;
  const char *name;
  guint8 pt;
  guint clock_rate;
  guint channels;
  const char *fmtp;
} ZcSdpKnownCodec;

#define ZC_SDP_TELEPHONE_EVENT "telephone-event"
/* RFC 4733 7.1.1: telephone-event runs at the clock rate of the audio
 * codec, so Opus needs its own at 48 kHz. */
#define ZC_SDP_TE_PT_8K 101
#define ZC_SDP_TE_PT_48K 110
/* RFC 4733 3.2: events 0-15 are the DTMF digits, 16 is flash. */
#define ZC_SDP_TE_FMTP "0-16"

/* sdp-session.c */
ZcSdpSession *zc_sdp_session_new (void);
void zc_sdp_media_free (ZcSdpMedia *media);
ZcSdpMedia *zc_sdp_media_copy (const ZcSdpMedia *media);
/* RFC 4566 9: token / non-ws-string, bytes above space. */
gboolean zc_sdp_is_token (const char *s);

/* sdp-codecs.c */
/* Our configured codecs (ZcSdpKnownCodec*, not owned), known ones only,
 * without repeats, defaults when nothing is left. */
GPtrArray *zc_sdp_local_codecs (const ZcSdpLocal *local);
/* Encoding names are case-insensitive (RFC 4566 6, rtpmap). */
gboolean zc_sdp_codec_is (const ZcCodec *codec, const char *name, guint clock_rate);
gboolean zc_sdp_codec_is_telephone_event (const ZcCodec *codec);
/* The a=fmtp we write for @codec, or NULL. */
const char *zc_sdp_codec_local_fmtp (const ZcCodec *codec);
/* RFC 3551 table 4: the static payload type @pt without a=rtpmap, or
 * NULL. */
ZcCodec *zc_sdp_codec_new_static (guint pt);
/* "opus, PCMU" for a list from zc_sdp_local_codecs(). */
char *zc_sdp_codec_names (const GPtrArray *known);

/* sdp-crypto.c */
/* Our suites, preferred first. */
const char *const *zc_sdp_crypto_suites (gsize *n);
/* 40 characters of base64 for 30 bytes (RFC 4568 6.2.1). */
gboolean zc_sdp_crypto_key_is_valid (const char *key);
ZcSdpCrypto *zc_sdp_crypto_new (guint tag, const char *suite, const char *key);
ZcSdpCrypto *zc_sdp_crypto_copy (const ZcSdpCrypto *crypto);
void zc_sdp_crypto_free (ZcSdpCrypto *crypto);
/* One a=crypto value, or NULL when it is not a line we can use. */
ZcSdpCrypto *zc_sdp_crypto_parse (const char *value);

/* sdp-print.c */
/* Prints a session description from our side: @media are the m= lines
 * (the audio one at @audio_index gets @codecs and the attributes, every
 * other one is printed as it is, rejected ones with port 0).  @setup:
 * the a=setup role written with local->fingerprint; NULL writes
 * neither.  @cryptos (ZcSdpCrypto*, tag and suite; NULL = none): one
 * a=crypto each with local->sdes_key, written only when
 * local->signalling_secure (never a key over clear signalling). */
char *zc_sdp_print (const ZcSdpLocal *local,
                    const GPtrArray *media,
                    guint audio_index,
                    const GPtrArray *codecs,
                    ZcMediaDirection direction,
                    gboolean rtcp_mux,
                    gboolean ice,
                    const char *setup,
                    const GPtrArray *cryptos);

static inline gboolean
zc_sdp_direction_sends (ZcMediaDirection d)
{
  return d == ZC_MEDIA_DIRECTION_SENDRECV || d == ZC_MEDIA_DIRECTION_SENDONLY;
}

static inline gboolean
zc_sdp_direction_receives (ZcMediaDirection d)
{
  return d == ZC_MEDIA_DIRECTION_SENDRECV || d == ZC_MEDIA_DIRECTION_RECVONLY;
}

static inline ZcMediaDirection
zc_sdp_direction_from_flags (gboolean sends, gboolean receives)
{
  if (sends && receives)
    return ZC_MEDIA_DIRECTION_SENDRECV;
  if (sends)
    return ZC_MEDIA_DIRECTION_SENDONLY;
  if (receives)
    return ZC_MEDIA_DIRECTION_RECVONLY;
  return ZC_MEDIA_DIRECTION_INACTIVE;
}
