/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Audio codecs for RTP: G.711 µ-law and A-law (ITU-T G.711, RFC 3551 4.5.14),
 * G.722 (ITU-T G.722, RFC 3551 4.5.2) and Opus (RFC 6716, RTP payload
 * RFC 7587), behind one small interface.
 *
 * A pure module: PCM and payload bytes in, PCM and payload bytes out.  No
 * sockets, no RTP headers, no clock.  The media session picks the codec from
 * the negotiated SDP (media/format.h ZcCodec: name, clock rate, channels, fmtp),
 * creates one instance per call, and then runs every per-frame function
 * below on its media thread.
 *
 * Real-time rules: zc_codec_instance_new() allocates everything an instance
 * will ever need.  zc_codec_encode(), zc_codec_decode(), zc_codec_conceal()
 * and zc_codec_decode_fec() never allocate, lock or log; they report
 * trouble through a negative errno value.  An instance is not thread-safe:
 * one thread (the media thread) uses it at a time.
 *
 * PCM at this interface is always mono, signed 16-bit, at the codec's
 * rate zc_codec_get_pcm_rate() returns: 8000 Hz for G.711, 16000 Hz for
 * G.722 (whose RTP clock is nevertheless 8000 Hz, RFC 3551 4.5.2), for
 * Opus what ZcCodecOptions.opus_pcm_rate asks (libopus encodes and decodes
 * at any of its five rates whatever the other side uses); the audio side
 * resamples between that and the device rate.  Opus is signalled as
 * opus/48000/2 in SDP (RFC 7587 7) whatever it carries: we encode mono
 * packets, which every Opus decoder accepts, and decode any packet (mono
 * or stereo) to mono. */
#pragma once

#include <glib.h>

#define ZC_CODEC_ERROR (zc_codec_error_quark ())

typedef enum {
  ZC_CODEC_ERROR_UNKNOWN,     /* no codec of that name */
  ZC_CODEC_ERROR_UNSUPPORTED, /* known codec, but not at that rate/channel count */
  ZC_CODEC_ERROR_FAILED,      /* the codec library refused (e.g. out of memory) */
} ZcCodecError;

GQuark zc_codec_error_quark (void);

/* An output buffer this size always holds one packet: a 20 ms G.711 or
 * G.722 frame is 160 bytes, an Opus frame at most 1275 bytes (RFC 6716
 * 3.2.1), and libopus never writes more than the buffer size it is given. */
#define ZC_CODEC_MAX_PAYLOAD 1500

/* Largest frame, in samples per channel, that zc_codec_encode() takes and
 * zc_codec_decode() may return: 120 ms at 48 kHz (RFC 6716 3.2.5: an Opus
 * packet carries at most 120 ms). */
#define ZC_CODEC_MAX_FRAME_SAMPLES 5760

/* Encoder settings.  Only Opus uses them; G.711 and G.722 have none.  Start from
 * zc_codec_options_init() and change what you need. */
typedef struct {
  guint bitrate_bps;          /* target bitrate, 6000..510000; 0 = libopus
                               * chooses (OPUS_AUTO) */
  gboolean inband_fec;        /* Opus in-band FEC (LBRR, RFC 6716 2.1.7):
                               * each packet also carries a coarse copy of
                               * the previous frame */
  gboolean dtx;               /* discontinuous transmission: almost nothing
                               * is sent during silence (RFC 7587 3.1.3) */
  guint expected_loss_pct;    /* 0..100; FEC is only added when > 0 */
  gint complexity;            /* 0..10; -1 = libopus default (10) */
  guint opus_pcm_rate;        /* Opus only: the PCM rate at this interface
                               * and so the widest audio band sent, 8000,
                               * 12000, 16000, 24000 or 48000 Hz; 0 = 48000.
                               * The RTP clock stays 48000 (RFC 7587 4.1). */
} ZcCodecOptions;

/* Defaults for a voice call: 32 kbit/s, FEC on with 5 % expected loss (so
 * the first lost packet can already be recovered), DTX off, complexity 5
 * (quality close to 10 at about half the CPU), Opus PCM at 48 kHz. */
void zc_codec_options_init (ZcCodecOptions *options);

/* Applies the peer's a=fmtp parameters for Opus (RFC 7587 6.1): what the
 * remote decoder asks us, the sender, to do.  maxaveragebitrate caps
 * bitrate_bps; useinbandfec=1/0 turns FEC on/off; usedtx=1/0 turns DTX
 * on/off.  Unknown or malformed parameters are ignored (RFC 7587 6.1: the
 * receiver of the SDP must ignore what it does not know).  @fmtp may be
 * NULL.  Not for the real-time path. */
void zc_codec_options_apply_opus_fmtp (ZcCodecOptions *options, const char *fmtp);

typedef struct _ZcCodecInstance ZcCodecInstance;

/* Creates an encoder/decoder pair.  @name is the SDP encoding name,
 * case-insensitive (RFC 4855 3): "PCMU", "PCMA", "G722" or "opus".
 * @clock_rate and @channels are the RTP clock rate and channel count from
 * a=rtpmap; 0 means the codec's standard value.  PCMU/PCMA take only
 * 8000/1 (RFC 3551 4.5.14), G722 only 8000/1 (RFC 3551 4.5.2), Opus
 * only 48000 with 1 or 2 channels (RFC 7587 7 says 2; 1 is accepted from
 * sloppy peers).  @options may be NULL (defaults).
 * Returns NULL with ZC_CODEC_ERROR set on failure. */
ZcCodecInstance *zc_codec_instance_new (const char *name,
                                        guint clock_rate,
                                        guint channels,
                                        const ZcCodecOptions *options,
                                        GError **error);
void zc_codec_instance_free (ZcCodecInstance *instance);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcCodecInstance, zc_codec_instance_free)

/* "PCMU", "PCMA", "G722" or "opus", as in SDP. */
const char *zc_codec_get_name (const ZcCodecInstance *instance);
/* Rate of the PCM at this interface, Hz: 8000 (G.711), 16000 (G.722),
 * 8000..48000 (Opus). */
guint zc_codec_get_pcm_rate (const ZcCodecInstance *instance);
/* RTP timestamp rate, Hz (RFC 3550 5.1): 8000 (G.711), 8000 (G.722: half
 * its PCM rate, RFC 3551 4.5.2) or 48000 (Opus). */
guint zc_codec_get_rtp_clock_rate (const ZcCodecInstance *instance);
/* TRUE when zc_codec_decode_fec() can recover a lost frame (Opus). */
gboolean zc_codec_has_fec (const ZcCodecInstance *instance);

/* Encodes one frame of @samples_per_channel mono samples.  Opus takes
 * 2.5, 5, 10, 20, 40 or 60 ms frames (120..2880 samples at 48 kHz; we use
 * 960 = 20 ms); G.711 takes any count, G.722 any even count (two samples
 * per byte).
 * Returns the payload size in bytes, or:
 *   0         nothing to send: Opus DTX during silence (the libopus
 *             contract: a packet of 2 bytes or less need not be sent).  The
 *             RTP timestamp still advances; set the marker bit on the next
 *             packet that is sent (RFC 3551 4.1).
 *   -EINVAL   bad arguments or frame size
 *   -ENOBUFS  @out_size too small
 *   -EIO      the codec library failed */
int zc_codec_encode (ZcCodecInstance *instance,
                     const gint16 *pcm,
                     guint samples_per_channel,
                     guint8 *out,
                     gsize out_size);

/* Decodes one RTP payload into at most @max_samples mono samples.
 * Returns the number of samples written, or -EINVAL (bad arguments, empty
 * payload: call zc_codec_conceal() for a missing packet), -ENOBUFS
 * (@max_samples too small for the packet), -EBADMSG (corrupt payload) or
 * -EIO. */
int zc_codec_decode (ZcCodecInstance *instance,
                     const guint8 *payload,
                     gsize len,
                     gint16 *pcm,
                     guint max_samples);

/* Packet loss concealment: writes @samples samples to stand in for a packet
 * that never came.  Opus runs its own PLC (@samples must be a multiple of
 * 2.5 ms, 120 samples); G.722 runs spandsp's pitch-repeating concealer
 * (silence after 25 ms); G.711 repeats the last decoded frame while fading it
 * to silence over three frames (a simple form of ITU-T G.711 Appendix I),
 * and gives silence before anything was decoded.  Returns @samples or a
 * negative errno. */
int zc_codec_conceal (ZcCodecInstance *instance, gint16 *pcm, guint samples);

/* Opus in-band FEC: when packet N was lost and packet N+1 has arrived, call
 * this with packet N+1's payload and @samples = the duration of the lost
 * frame (a multiple of 120; normally 960) to rebuild frame N from the
 * redundancy in N+1; then decode N+1 normally.  Returns @samples, or
 * -ENODATA when N+1 carries no redundancy (nothing written: conceal with
 * zc_codec_conceal()), -ENOTSUP for codecs without FEC (G.711, G.722), or
 * another negative errno as zc_codec_decode(). */
int zc_codec_decode_fec (ZcCodecInstance *instance,
                         const guint8 *next_payload,
                         gsize next_len,
                         gint16 *pcm,
                         guint samples);

/* Updates the encoder's expected packet loss, e.g. from RTCP receiver
 * reports, so Opus scales its FEC.  Media thread only (libopus is not
 * thread-safe); no allocation.  A no-op for G.711 and G.722.  0 or -EINVAL. */
int zc_codec_set_expected_loss (ZcCodecInstance *instance, guint loss_pct);

/* The expected loss to give the encoder when the peer's receiver report
 * says @reported_pct of our packets were lost (RFC 3550 6.4.1 fraction
 * lost, in percent; < 0: no report yet): the configured
 * @configured_pct at least, so that FEC covers the first loss of a clean
 * path, and the reported loss rounded up, at most
 * ZC_CODEC_MAX_EXPECTED_LOSS_PCT (beyond it libopus only spends more of the
 * bitrate on redundancy that a burst defeats anyway).  Pure. */
#define ZC_CODEC_MAX_EXPECTED_LOSS_PCT 30
guint zc_codec_adapt_expected_loss (guint configured_pct, double reported_pct);

/* Mute: while @on, the encoder runs DTX whatever its options say, so the
 * silence a muted microphone gives costs (almost) no packets; off restores
 * the configured setting.  Media thread only; no allocation.  0, or
 * -ENOTSUP for a codec without DTX (G.711 sends its silence). */
int zc_codec_force_dtx (ZcCodecInstance *instance, gboolean on);

/* ---- Backend interface: for codec-*.c only -------------------------------
 * Each backend embeds ZcCodecInstance as its first member and points it at
 * its function table.  Callers treat ZcCodecInstance as opaque. */
typedef struct {
  const char *name;
  guint pcm_rate;
  guint rtp_clock_rate;
  int (*encode) (ZcCodecInstance *instance, const gint16 *pcm, guint samples, guint8 *out, gsize out_size);
  int (*decode) (ZcCodecInstance *instance, const guint8 *payload, gsize len, gint16 *pcm, guint max_samples);
  int (*conceal) (ZcCodecInstance *instance, gint16 *pcm, guint samples);
  /* NULL when the codec has no FEC. */
  int (*decode_fec) (ZcCodecInstance *instance, const guint8 *payload, gsize len, gint16 *pcm, guint samples);
  /* NULL when the codec has no such setting. */
  int (*set_expected_loss) (ZcCodecInstance *instance, guint loss_pct);
  /* NULL when the codec has no DTX. */
  int (*force_dtx) (ZcCodecInstance *instance, gboolean on);
  void (*free) (ZcCodecInstance *instance);
} ZcCodecClass;

struct _ZcCodecInstance {
  const ZcCodecClass *klass;
  guint pcm_rate; /* 0: klass->pcm_rate */
};

/* Backend constructors, called by zc_codec_instance_new() once the name is
 * known.  @channels is already checked. */
ZcCodecInstance *zc_codec_g711_new (gboolean alaw, GError **error);
ZcCodecInstance *zc_codec_g722_new (GError **error);
ZcCodecInstance *zc_codec_opus_new (guint channels, const ZcCodecOptions *options, GError **error);

/* G.711 sample conversion (ITU-T G.711 Table 1 A-law, Table 2 µ-law;
 * bit-exact with the Sun Microsystems reference g711.c of 1994 on all
 * 65536 inputs), exposed for tones and tests.  Pure functions. */
guint8 zc_g711_linear_to_ulaw (gint16 pcm);
gint16 zc_g711_ulaw_to_linear (guint8 code);
guint8 zc_g711_linear_to_alaw (gint16 pcm);
gint16 zc_g711_alaw_to_linear (guint8 code);
