/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A session description as the rest of zcall sees it: what sdp-parse.c read
 * (or sdp-negotiate.c settled), behind accessors. */
#define G_LOG_DOMAIN "sdp"
#include "config.h"

#include "sdp/sdp-private.h"

G_DEFINE_QUARK (zc-sdp-error-quark, zc_sdp_error)

void
zc_sdp_media_free (ZcSdpMedia *media)
{
  g_free (media->type);
  g_free (media->proto);
  g_strfreev (media->fmts);
  g_free (media);
}

ZcSdpMedia *
zc_sdp_media_copy (const ZcSdpMedia *media)
{
  ZcSdpMedia *copy = g_new0 (ZcSdpMedia, 1);

  copy->type = g_strdup (media->type);
  copy->port = media->port;
  copy->proto = g_strdup (media->proto);
  copy->fmts = g_strdupv (media->fmts);
  return copy;
}

/* RFC 4566 9: token / non-ws-string, bytes above space.  osip splits o=
 * and m= fields at single spaces only, so a tab or another control
 * character can end up inside one; such a field must not reach an answer
 * we print or a log line. */
gboolean
zc_sdp_is_token (const char *s)
{
  if (s == NULL || *s == '\0')
    return FALSE;
  for (const guchar *p = (const guchar *) s; *p != '\0'; p++) {
    if (*p <= ' ' || *p == 0x7f)
      return FALSE;
  }
  return TRUE;
}

ZcSdpSession *
zc_sdp_session_new (void)
{
  ZcSdpSession *session = g_new0 (ZcSdpSession, 1);

  session->codecs = g_ptr_array_new_with_free_func ((GDestroyNotify) zc_codec_free);
  session->media = g_ptr_array_new_with_free_func ((GDestroyNotify) zc_sdp_media_free);
  session->ice_candidates = g_ptr_array_new_with_free_func (g_free);
  session->cryptos = g_ptr_array_new_with_free_func ((GDestroyNotify) zc_sdp_crypto_free);
  g_ptr_array_add (session->ice_candidates, NULL); /* none until the ICE attributes are parsed */
  return session;
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
  g_free (session->fingerprint);
  g_free (session->setup);
  g_ptr_array_unref (session->ice_candidates);
  g_ptr_array_unref (session->cryptos);
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

    if (zc_sdp_codec_is (codec, ZC_SDP_TELEPHONE_EVENT, clock_rate))
      return codec;
  }
  return NULL;
}

const char *
zc_sdp_session_get_proto (const ZcSdpSession *session)
{
  const ZcSdpMedia *audio;

  if (session->audio_index >= session->media->len)
    return NULL;
  audio = g_ptr_array_index (session->media, session->audio_index);
  return audio->proto;
}

const char *
zc_sdp_session_get_fingerprint (const ZcSdpSession *session)
{
  return session->fingerprint;
}

const char *
zc_sdp_session_get_setup (const ZcSdpSession *session)
{
  return session->setup;
}

gboolean
zc_sdp_session_has_crypto (const ZcSdpSession *session)
{
  return session->has_crypto;
}
