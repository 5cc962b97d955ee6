/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One call's media pipeline: see call-media.h. */
#define G_LOG_DOMAIN "media"

#include "config.h"

#include "media/call-media.h"
#include "audio/pcm-gap.h"
#include "media/dtmf.h"
#include "media/jitter.h"

#include <errno.h>
#include <glib-unix.h>
#include <poll.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

/* DTMF digits waiting for the media thread: a power of two. */
#define DIGIT_QUEUE_SIZE 64
/* Statistics snapshot every 100 ms. */
#define STATS_INTERVAL_US 100000
/* A tick this late resynchronises the clock instead of running the
 * missed ticks back to back. */
#define RESYNC_US 100000
/* A sequence jump larger than this is a restart, not a loss. */
#define MAX_SEQ_GAP 100
/* On the devices' clocks: a direction whose device said nothing for this
 * long (stalled, suspended, gone) runs on our own clock until it speaks
 * again, so the peer goes on getting packets and ours are played or
 * concealed. */
#define OWN_CLOCK_AFTER_US 60000
/* The most ticks run back to back for a device that took or gave many
 * frames at once (the media thread was not scheduled for a while). */
#define MAX_CATCH_UP_US 200000

typedef enum {
  EVENT_DIGIT,
  EVENT_TIMEOUT,
  EVENT_RESUMED,
} EventType;

typedef struct {
  EventType type;
  char digit;
} Event;

struct _ZcCallMedia {
  /* Configuration, constant after new(). */
  ZcRing *to_network;
  ZcRing *from_network;
  ZcRtpSession *rtp;
  guint8 pt;
  gint te_pt;
  guint ptime_ms;       /* packet time, and the playout tick */
  guint frame_samples;  /* PCM samples per ptime */
  guint ts_step;        /* RTP clock units per ptime */
  guint max_conceal;    /* frames concealed per gap at most (ZC_CALL_MEDIA_MAX_CONCEAL_MS) */
  guint max_catch_up;   /* ticks run back to back at most (MAX_CATCH_UP_US) */
  guint pcm_rate;
  guint configured_loss_pct; /* the codec options' expected loss: the floor */
  gint64 timeout_us;
  GMainContext *context;
  ZcCallMediaDigitFunc digit_received;
  ZcCallMediaTimeoutFunc media_timeout;
  gpointer user_data;

  /* Media thread only. */
  ZcCodecInstance *codec;
  ZcDtmfSender *dtmf_sender;
  ZcDtmfReceiver *dtmf_receiver;
  ZcJitter *jitter;
  ZcJitterPacket *arrived; /* scratch for one packet on its way into jitter */
  guint concealed_run;  /* frames concealed in a row for want of a packet */
  gint64 play_debt;     /* samples the ticks asked for minus samples played */
  gint16 *pcm;          /* ZC_CODEC_MAX_FRAME_SAMPLES */
  ZcPcmGap capture_gap; /* to_network's shortfalls, covered before the encoder */
  gint16 *given_back;   /* ZC_CODEC_MAX_FRAME_SAMPLES: the frame of a packet skipped to shorten the delay, */
  guint given_back_len; /* decoded, for what is played next to fade in from; 0: none */
  guint8 *payload;      /* ZC_CODEC_MAX_PAYLOAD */
  ZcCallMediaStats counters;
  char held_digit;      /* taken from the queue, not yet accepted by the sender */
  gboolean have_rx_seq;
  guint16 rx_seq;
  guint32 rx_ssrc;
  gboolean rx_timed_out;
  gboolean dtx_forced;  /* the codec's DTX is forced on for mute */

  /* Digits from any thread to the media thread: multi-producer,
   * single-consumer.  A producer reserves slots by CAS on digit_write, then
   * publishes each slot with a release store of the (non-zero) character;
   * the consumer takes slots in order while they are non-zero, clears them
   * and then advances digit_read (release), which frees them for
   * producers. */
  _Atomic guint32 digit_write;
  _Atomic guint32 digit_read;
  _Atomic char digits[DIGIT_QUEUE_SIZE];

  /* Events from the media thread to the main loop: single-producer,
   * single-consumer, plus an eventfd to wake the loop. */
  _Atomic guint32 event_write;
  _Atomic guint32 event_read;
  Event events[ZC_CALL_MEDIA_EVENT_QUEUE];
  int event_fd;
  int kick_fd;        /* eventfd: tick now instead of at the next ptime mark */
  int capture_fd;     /* eventfd from the audio engine: a frame was captured; -1: own clock */
  int playout_fd;     /* eventfd from the audio engine: frames the playback device took */
  GSource *event_source;

  /* Statistics snapshot, seqlock: odd while the media thread writes. */
  _Atomic guint32 stats_seq;
  ZcCallMediaStats stats;
  atomic_bool timed_out;
  atomic_bool muted;    /* set from any thread; the media thread applies it */

  GThread *thread;
  atomic_bool running;
  gboolean started;
};

G_DEFINE_QUARK (zc-call-media-error-quark, zc_call_media_error)

/* ---- Events to the main loop --------------------------------------------- */

/* Media thread.  Drops the event when the main loop is that far behind
 * (64 events pending). */
static void
event_push (ZcCallMedia *media, EventType type, char digit)
{
  guint32 w = atomic_load_explicit (&media->event_write, memory_order_relaxed);
  guint32 r = atomic_load_explicit (&media->event_read, memory_order_acquire);
  guint64 one = 1;
  ssize_t n;

  if (w - r >= ZC_CALL_MEDIA_EVENT_QUEUE)
    return;
  media->events[w % ZC_CALL_MEDIA_EVENT_QUEUE] = (Event) { .type = type, .digit = digit };
  atomic_store_explicit (&media->event_write, w + 1, memory_order_release);
  /* Never blocks (EFD_NONBLOCK); EAGAIN only if the counter is saturated,
   * and then the loop is already woken. */
  n = write (media->event_fd, &one, sizeof one);
  (void) n;
}

static gboolean
event_dispatch_cb (gint fd, GIOCondition condition G_GNUC_UNUSED, gpointer user_data)
{
  ZcCallMedia *media = user_data;
  guint64 count;
  ssize_t n;

  n = read (fd, &count, sizeof count);
  (void) n;
  for (;;) {
    guint32 r = atomic_load_explicit (&media->event_read, memory_order_relaxed);
    guint32 w = atomic_load_explicit (&media->event_write, memory_order_acquire);
    Event event;

    if (r == w)
      break;
    event = media->events[r % ZC_CALL_MEDIA_EVENT_QUEUE];
    atomic_store_explicit (&media->event_read, r + 1, memory_order_release);
    /* No lock is held here: the callback may free nothing of ours but
     * may call any other function of this API, stop included. */
    switch (event.type) {
    case EVENT_DIGIT:
      if (media->digit_received != NULL)
        media->digit_received (media, event.digit, media->user_data);
      break;
    case EVENT_TIMEOUT:
    case EVENT_RESUMED:
      if (media->media_timeout != NULL)
        media->media_timeout (media, event.type == EVENT_TIMEOUT, media->user_data);
      break;
    }
  }
  return G_SOURCE_CONTINUE;
}

/* ---- DTMF queue ---------------------------------------------------------- */

int
zc_call_media_send_dtmf (ZcCallMedia *media, const char *digits)
{
  guint32 n, w, r;

  g_return_val_if_fail (media != NULL && digits != NULL, -EINVAL);
  if (media->te_pt < 0)
    return -ENOTSUP;
  n = (guint32) strlen (digits);
  if (n == 0)
    return 0;
  for (guint32 i = 0; i < n; i++)
    if (zc_dtmf_event_from_char (digits[i]) < 0)
      return -EINVAL;
  w = atomic_load_explicit (&media->digit_write, memory_order_relaxed);
  do {
    r = atomic_load_explicit (&media->digit_read, memory_order_acquire);
    if (n > DIGIT_QUEUE_SIZE - (w - r))
      return -ENOSPC;
  } while (!atomic_compare_exchange_weak_explicit (&media->digit_write, &w, w + n, memory_order_acq_rel,
                                                   memory_order_relaxed));
  for (guint32 i = 0; i < n; i++)
    atomic_store_explicit (&media->digits[(w + i) % DIGIT_QUEUE_SIZE], digits[i], memory_order_release);
  return 0;
}

/* Media thread: the next published digit, or 0. */
static char
digit_pop (ZcCallMedia *media)
{
  guint32 r = atomic_load_explicit (&media->digit_read, memory_order_relaxed);
  guint32 slot = r % DIGIT_QUEUE_SIZE;
  char c;

  if (r == atomic_load_explicit (&media->digit_write, memory_order_acquire))
    return 0;
  c = atomic_load_explicit (&media->digits[slot], memory_order_acquire);
  if (c == 0) /* reserved, not yet written */
    return 0;
  atomic_store_explicit (&media->digits[slot], 0, memory_order_relaxed);
  atomic_store_explicit (&media->digit_read, r + 1, memory_order_release);
  return c;
}

static void
digits_feed (ZcCallMedia *media)
{
  for (;;) {
    char one[2] = { 0, 0 };

    if (media->held_digit == 0)
      media->held_digit = digit_pop (media);
    if (media->held_digit == 0)
      return;
    one[0] = media->held_digit;
    if (zc_dtmf_sender_queue (media->dtmf_sender, one) == -ENOSPC)
      return; /* try again next tick */
    media->held_digit = 0;
  }
}

/* ---- Statistics ---------------------------------------------------------- */

/* Media thread: publishes the counters (counters.rtp refreshed by the caller). */
static void
stats_publish (ZcCallMedia *media)
{
  guint32 seq = atomic_load_explicit (&media->stats_seq, memory_order_relaxed);

  media->counters.media_timed_out = media->rx_timed_out;
  atomic_store_explicit (&media->stats_seq, seq + 1, memory_order_relaxed);
  atomic_thread_fence (memory_order_release);
  memcpy (&media->stats, &media->counters, sizeof media->stats);
  atomic_store_explicit (&media->stats_seq, seq + 2, memory_order_release);
}

void
zc_call_media_get_stats (ZcCallMedia *media, ZcCallMediaStats *stats)
{
  g_return_if_fail (media != NULL && stats != NULL);
  for (;;) {
    guint32 s1 = atomic_load_explicit (&media->stats_seq, memory_order_acquire);

    if (s1 & 1) {
      g_thread_yield ();
      continue;
    }
    memcpy (stats, &media->stats, sizeof *stats);
    atomic_thread_fence (memory_order_acquire);
    if (atomic_load_explicit (&media->stats_seq, memory_order_relaxed) == s1)
      return;
  }
}

gboolean
zc_call_media_is_timed_out (ZcCallMedia *media)
{
  return atomic_load_explicit (&media->timed_out, memory_order_acquire);
}

guint
zc_call_media_get_frame_samples (const ZcCallMedia *media)
{
  return media->frame_samples;
}

guint
zc_call_media_get_pcm_rate (const ZcCallMedia *media)
{
  return media->pcm_rate;
}

guint
zc_call_media_get_ptime_ms (const ZcCallMedia *media)
{
  return media->ptime_ms;
}

/* ---- Media thread -------------------------------------------------------- */

static void
playback_write (ZcCallMedia *media, gint16 *pcm, guint n)
{
  guint32 written;

  if (media->given_back_len > 0) {
    zc_pcm_fade_from (pcm, media->given_back,
                      MIN (MIN (n, media->given_back_len), zc_ring_splice_samples (media->pcm_rate)));
    media->given_back_len = 0;
  }
  written = zc_ring_write (media->from_network, pcm, n);

  media->counters.playback_overflow_samples += n - written;
  media->play_debt -= n;
}

static void
conceal_one (ZcCallMedia *media)
{
  if (zc_codec_conceal (media->codec, media->pcm, media->frame_samples) > 0) {
    playback_write (media, media->pcm, media->frame_samples);
    media->counters.frames_concealed++;
  }
}

/* @lost audio frames are missing before @payload, which arrived. */
static void
conceal_gap (ZcCallMedia *media, guint lost, const guint8 *payload, gsize len)
{
  lost = MIN (lost, media->max_conceal);
  for (guint i = 0; i < lost; i++) {
    if (i + 1 == lost && zc_codec_has_fec (media->codec)
        && zc_codec_decode_fec (media->codec, payload, len, media->pcm, media->frame_samples) > 0) {
      playback_write (media, media->pcm, media->frame_samples);
      media->counters.frames_fec++;
    } else {
      conceal_one (media); /* also when the packet carries no FEC (-ENODATA) */
    }
  }
}

/* A tick whose packet is missing.  When the packet after it is already in
 * the playout buffer (it always is with a loss and a buffer deeper than
 * one tick), its in-band FEC rebuilds this frame; otherwise PLC.  Waiting
 * for that packet to be due instead, as conceal_gap() does, would find the
 * frame concealed already. */
static void
conceal_tick (ZcCallMedia *media)
{
  const ZcJitterPacket *next = zc_jitter_peek (media->jitter);

  if (next != NULL && zc_codec_has_fec (media->codec) && next->ssrc == media->rx_ssrc
      && (guint16) (next->seq - media->rx_seq) == media->concealed_run + 2u
      && zc_codec_decode_fec (media->codec, next->data, next->len, media->pcm, media->frame_samples) > 0) {
    playback_write (media, media->pcm, media->frame_samples);
    media->counters.frames_fec++;
    return;
  }
  conceal_one (media);
}

/* One packet the playout buffer handed out. */
static void
play_packet (ZcCallMedia *media, const ZcJitterPacket *p)
{
  guint lost = 0;
  int len;

  if (!media->have_rx_seq || p->ssrc != media->rx_ssrc) {
    if (media->have_rx_seq)
      zc_dtmf_receiver_reset (media->dtmf_receiver);
    media->have_rx_seq = TRUE;
    media->rx_ssrc = p->ssrc;
  } else {
    guint16 gap = (guint16) (p->seq - media->rx_seq);

    if (gap == 0 || gap > 0x8000)
      return; /* duplicate or older than what we played */
    if (gap <= MAX_SEQ_GAP)
      lost = gap - 1u;
  }
  media->rx_seq = p->seq;

  if (!p->audio) {
    ZcDtmfDigit digit;

    if (zc_dtmf_receiver_push (media->dtmf_receiver, p->ts, p->marker, p->data, p->len, &digit) == 1) {
      media->counters.dtmf_received++;
      event_push (media, EVENT_DIGIT, digit.digit);
    }
    return;
  }
  if (p->discard || p->len == 0) {
    /* Skipped to shorten the delay (jitter.h): it owes nothing.  Decoded
     * all the same, so that the decoder runs on through it and what plays
     * next fades in from it: dropped whole, it was a step in the waveform
     * (a click; ring.h). */
    int skipped = p->len > 0 ? zc_codec_decode (media->codec, p->data, p->len, media->given_back,
                                                ZC_CODEC_MAX_FRAME_SAMPLES)
                             : 0;

    media->given_back_len = skipped > 0 ? (guint) skipped : 0;
    media->play_debt -= media->frame_samples;
    return;
  }
  /* Ticks already concealed while this packet was missing count against
   * the gap: each missing frame is concealed once. */
  lost = lost > media->concealed_run ? lost - media->concealed_run : 0;
  media->concealed_run = 0;
  if (lost > 0)
    conceal_gap (media, lost, p->data, p->len);
  len = zc_codec_decode (media->codec, p->data, p->len, media->pcm, ZC_CODEC_MAX_FRAME_SAMPLES);
  if (len < 0) {
    media->counters.decode_errors++;
    conceal_one (media);
    return;
  }
  playback_write (media, media->pcm, (guint) len);
  media->counters.frames_decoded++;
}

/* One playout tick: what arrived goes into the playout buffer, what is due
 * comes out.  When what was played falls a whole frame behind the ticks
 * while packets flow, that frame is concealed (a few in a row at most:
 * then it is silence, e.g. the peer's DTX).  Counting samples, not
 * packets, keeps a peer's 30 ms packets on our 20 ms ticks from being
 * "concealed" every third tick. */
static void
receive_tick (ZcCallMedia *media, guint32 user_ts)
{
  ZcJitterPacket *in = media->arrived;
  const ZcJitterPacket *p;
  ZcRtpPacketInfo info;
  int len;

  while ((len = zc_rtp_session_recv (media->rtp, user_ts, in->data, sizeof in->data, &info)) != -EAGAIN) {
    if (len < 0)
      continue; /* -ENOBUFS: dropped */
    in->audio = info.payload_type == media->pt;
    if (!in->audio && (media->te_pt < 0 || info.payload_type != (guint8) media->te_pt))
      continue;
    in->seq = info.sequence;
    in->ts = info.timestamp;
    in->ssrc = info.ssrc;
    in->pt = info.payload_type;
    in->marker = info.marker;
    in->len = (gsize) len;
    zc_jitter_put (media->jitter, in);
  }
  zc_jitter_tick (media->jitter);
  media->play_debt += media->frame_samples;
  while ((p = zc_jitter_pop (media->jitter)) != NULL)
    play_packet (media, p);
  if (media->play_debt >= (gint64) media->frame_samples && media->have_rx_seq
      && media->concealed_run < media->max_conceal) {
    conceal_tick (media);
    media->concealed_run++;
  }
  /* Silence from the peer (DTX, hold) owes nothing; a burst of packets
   * after a stall is the playback side's to trim. */
  media->play_debt = CLAMP (media->play_debt, -2 * (gint64) media->frame_samples, (gint64) media->frame_samples);
}

/* Mute, at the one point where a captured frame is taken for encoding:
 * the frame becomes silence and the codec's DTX is forced on (Opus then
 * sends next to nothing), while the capture device stays open and its
 * ring keeps draining.  When the audio engine grows ports with a muted
 * flag, this is the function that moves there. */
static void
capture_frame_mute (ZcCallMedia *media)
{
  gboolean muted = atomic_load_explicit (&media->muted, memory_order_relaxed);

  if (muted != media->dtx_forced) {
    /* -ENOTSUP (G.711): silence is sent as it is. */
    zc_codec_force_dtx (media->codec, muted);
    media->dtx_forced = muted;
  }
  if (muted)
    memset (media->pcm, 0, media->frame_samples * sizeof (gint16));
}

/* One outgoing frame: a telephone-event packet, or audio. */
static void
send_tick (ZcCallMedia *media, guint32 ts, gboolean *marker)
{
  guint32 fill = zc_ring_get_fill (media->to_network);
  guint32 excess = 0, got, fade = zc_ring_splice_samples (media->pcm_rate);
  ZcDtmfPacket packet;
  int ret;

  /* Latency control: the engine delivers 10 ms at a time at its device's
   * clock, we take a ptime per tick at ours, so a frame and a half is the
   * most that waits here in steady state.  More than three frames is
   * delay that would otherwise stay for the rest of the call (a burst
   * from the sound server, late ticks): drop the oldest of it, down to a
   * frame and a half, with the cut blended (ring.h). */
  if (fill > 3 * media->frame_samples) {
    excess = fill - media->frame_samples - media->frame_samples / 2;
    media->counters.capture_trimmed_samples += excess;
  }
  media->counters.capture_backlog_samples += fill - excess;
  media->counters.capture_backlog_reads++;
  got = zc_ring_read_spliced (media->to_network, media->pcm, media->frame_samples, excess, fade);
  zc_pcm_gap_cover (&media->capture_gap, media->pcm, got, media->frame_samples, fade);
  if (got < media->frame_samples)
    media->counters.capture_underruns++;
  capture_frame_mute (media);
  if (media->te_pt >= 0) {
    digits_feed (media);
    if (zc_dtmf_sender_tick (media->dtmf_sender, ts, &packet)) {
      /* RFC 4733: the event stands in for this tick's audio. */
      if (packet.marker)
        media->counters.dtmf_sent++;
      ret = zc_rtp_session_send (media->rtp, media->te_pt, packet.payload, sizeof packet.payload, packet.timestamp,
                                 packet.marker);
      if (ret < 0 && ret != -ENOTCONN)
        media->counters.send_errors++;
      return;
    }
  }
  ret = zc_codec_encode (media->codec, media->pcm, media->frame_samples, media->payload, ZC_CODEC_MAX_PAYLOAD);
  if (ret == 0) {
    /* DTX: nothing to send; the next packet starts a talkspurt (RFC 3551 4.1). */
    media->counters.dtx_frames++;
    *marker = TRUE;
    return;
  }
  if (ret < 0) {
    media->counters.send_errors++;
    return;
  }
  ret = zc_rtp_session_send (media->rtp, -1, media->payload, (gsize) ret, ts, *marker);
  if (ret >= 0) {
    media->counters.frames_sent++;
    *marker = FALSE;
  } else if (ret != -ENOTCONN) {
    media->counters.send_errors++;
  }
}

/* The peer's receiver reports tell how much of our stream it loses: Opus
 * puts that much redundancy in (OPUS_SET_PACKET_LOSS_PERC), never less
 * than configured. */
static void
adapt_expected_loss (ZcCallMedia *media)
{
  guint want = zc_codec_adapt_expected_loss (media->configured_loss_pct, media->counters.rtp.remote_loss_pct);

  if (want != media->counters.expected_loss_pct && zc_codec_set_expected_loss (media->codec, want) == 0)
    media->counters.expected_loss_pct = want;
}

static void
check_timeout (ZcCallMedia *media, gint64 now_us, gint64 start_us)
{
  gint64 last = MAX (media->counters.rtp.last_rx_monotonic_us, start_us);
  gboolean out = now_us - last > media->timeout_us;

  if (out == media->rx_timed_out)
    return;
  media->rx_timed_out = out;
  atomic_store_explicit (&media->timed_out, out, memory_order_release);
  event_push (media, out ? EVENT_TIMEOUT : EVENT_RESUMED, 0);
}

static void
timespec_add_ns (struct timespec *t, long ns)
{
  t->tv_nsec += ns;
  while (t->tv_nsec >= 1000000000L) {
    t->tv_nsec -= 1000000000L;
    t->tv_sec++;
  }
}

/* Sleeps until @next, or until zc_call_media_kick(): then the clock is
 * moved to now, so this tick and the following ones come at once. */
static void
wait_until (ZcCallMedia *media, struct timespec *next)
{
  struct pollfd pfd = { .fd = media->kick_fd, .events = POLLIN };

  for (;;) {
    struct timespec now, rel;
    gint64 left_ns;
    int n;

    clock_gettime (CLOCK_MONOTONIC, &now);
    left_ns = (next->tv_sec - now.tv_sec) * 1000000000LL + (next->tv_nsec - now.tv_nsec);
    if (left_ns <= 0)
      return;
    rel.tv_sec = (time_t) (left_ns / 1000000000LL);
    rel.tv_nsec = (long) (left_ns % 1000000000LL);
    n = ppoll (&pfd, 1, &rel, NULL);
    if (n > 0 && (pfd.revents & POLLIN)) {
      guint64 count;

      if (read (media->kick_fd, &count, sizeof count) < 0) {
        /* nothing to do: the flag is cleared either way */
      }
      clock_gettime (CLOCK_MONOTONIC, next);
      return;
    }
    if (n == 0)
      return;
    /* EINTR: go round again */
  }
}

void
zc_call_media_set_muted (ZcCallMedia *media, gboolean muted)
{
  atomic_store_explicit (&media->muted, muted, memory_order_relaxed);
}

void
zc_call_media_kick (ZcCallMedia *media)
{
  guint64 one = 1;

  if (write (media->kick_fd, &one, sizeof one) < 0) {
    /* a kick already pending is as good */
  }
}

/* Every 100 ms: the snapshot, the peer's loss, the media timeout. */
static void
housekeeping (ZcCallMedia *media, gint64 start_us)
{
  zc_rtp_session_get_stats (media->rtp, &media->counters.rtp);
  zc_jitter_get_stats (media->jitter, &media->counters.jitter);
  adapt_expected_loss (media);
  check_timeout (media, g_get_monotonic_time (), start_us);
  stats_publish (media);
}

/* No audio device (a test, a tool): a ptime clock of our own sends a
 * frame and plays one out per tick. */
static void
own_clock_loop (ZcCallMedia *media, gint64 start_us)
{
  const long ptime_ns = media->ptime_ms * 1000000L;
  struct timespec next;
  guint32 send_ts = 0, play_ts = 0;
  gboolean marker = TRUE; /* first packet of the stream */
  gint64 next_stats_us = g_get_monotonic_time () + STATS_INTERVAL_US;

  clock_gettime (CLOCK_MONOTONIC, &next);
  while (atomic_load_explicit (&media->running, memory_order_acquire)) {
    struct timespec now;
    gint64 late_ns, now_us;

    send_tick (media, send_ts, &marker);
    send_ts += media->ts_step;
    receive_tick (media, play_ts);
    play_ts += media->ts_step;

    now_us = g_get_monotonic_time ();
    if (now_us >= next_stats_us) {
      housekeeping (media, start_us);
      next_stats_us = now_us + STATS_INTERVAL_US;
    }

    timespec_add_ns (&next, ptime_ns);
    clock_gettime (CLOCK_MONOTONIC, &now);
    late_ns = (now.tv_sec - next.tv_sec) * 1000000000LL + (now.tv_nsec - next.tv_nsec);
    if (late_ns > 0) {
      media->counters.late_ticks++;
      if (late_ns > RESYNC_US * 1000L)
        next = now; /* stalled: do not burst the missed ticks */
      continue;
    }
    wait_until (media, &next);
  }
}

/* Reads and clears an eventfd's counter: 0 when nothing was written. */
static guint64
eventfd_take (int fd)
{
  eventfd_t count;

  return eventfd_read (fd, &count) == 0 ? count : 0;
}

/* One direction's pace on the devices' clocks: when its device last
 * spoke, and the ticks our own clock has run since. */
typedef struct {
  gint64 heard_us;
  guint64 own_ticks;
} DevicePace;

static void
pace_heard (DevicePace *pace, gint64 now_us)
{
  pace->heard_us = now_us;
  pace->own_ticks = 0;
}

/* The ticks of our own clock due now for a direction whose device has
 * said nothing for OWN_CLOCK_AFTER_US or more: tick k (from 1) comes k
 * ptimes after that, less one, so the first stands in for the first tick
 * the device missed and the rest follow one per ptime.  After a stall of
 * this thread the ticks it missed are not run back to back beyond
 * max_catch_up. */
static guint
own_clock_due (ZcCallMedia *media, DevicePace *pace, gint64 now_us)
{
  const gint64 ptime_us = media->ptime_ms * 1000;
  gint64 silent_us = now_us - pace->heard_us;
  guint64 owed;
  guint due;

  if (silent_us < OWN_CLOCK_AFTER_US)
    return 0;
  owed = (guint64) ((silent_us - OWN_CLOCK_AFTER_US) / ptime_us) + 1;
  due = (guint) MIN (owed - pace->own_ticks, media->max_catch_up);
  pace->own_ticks = owed;
  media->counters.own_clock_ticks += due;
  return due;
}

/* On the devices' clocks (zc_call_media_use_device_clock()): a frame is
 * encoded and sent the moment the capture side has one, and a frame is
 * taken from the playout buffer each time the playback device has played
 * one.  No clock of ours adds its phase to the delay, and the playout
 * buffer drains exactly as fast as the device plays. */
static void
device_clock_loop (ZcCallMedia *media, gint64 start_us)
{
  struct pollfd pfd[3] = {
    { .fd = media->capture_fd, .events = POLLIN },
    { .fd = media->playout_fd, .events = POLLIN },
    { .fd = media->kick_fd, .events = POLLIN },
  };
  guint32 send_ts = 0, play_ts = 0;
  gboolean marker = TRUE;
  gint64 now_us = g_get_monotonic_time ();
  gint64 next_stats_us = now_us + STATS_INTERVAL_US;
  DevicePace capture = { .heard_us = now_us }, playout = { .heard_us = now_us };
  guint64 held = 0;     /* playout ticks the device took, held back ... */
  gint64 held_until_us = 0; /* ... until then */

  while (atomic_load_explicit (&media->running, memory_order_acquire)) {
    gint64 wait_us = media->ptime_ms * 1000;
    struct timespec timeout;
    guint64 due = 0, taken;
    guint sent = 0;

    /* The timeout bounds zc_call_media_stop() and runs our own clock for
     * a silent device. */
    if (held > 0)
      wait_us = CLAMP (held_until_us - g_get_monotonic_time (), 0, wait_us);
    timeout.tv_sec = (time_t) (wait_us / G_USEC_PER_SEC);
    timeout.tv_nsec = (long) (wait_us % G_USEC_PER_SEC) * 1000;
    if (ppoll (pfd, G_N_ELEMENTS (pfd), &timeout, NULL) > 0 && (pfd[2].revents & POLLIN))
      eventfd_take (media->kick_fd); /* frames go out as they are captured anyway */
    now_us = g_get_monotonic_time ();

    /* Playout ticks wait half a ptime after the device took its frame:
     * decoded at once, the next frame would sit in the engine's ring a
     * whole ptime before the device's next pull, and a packet that came
     * just after the pull would wait a tick more (a traced bench call's
     * packets came 1-10 ms before the next pull).  Half a ptime later the
     * frame still reaches the ring half a ptime before it is wanted.  It
     * also spreads a burst (the device took two frames at once when the
     * sound server's timer and the engine's met) over the time it stands
     * for, rather than concealing the second frame whose packet is on its
     * way and then growing the playout buffer for it.  `make bench`, 3
     * calls a codec: mouth-to-ear medians 68.7 / 65.0 ms (Opus / PCMU)
     * against 75.5 / 68.9 ms with ticks at once. */
    taken = eventfd_take (media->playout_fd);
    if (taken > 0) {
      pace_heard (&playout, now_us);
      due = held; /* the device is on to its next frame: those are due now */
      held = taken;
      held_until_us = now_us + media->ptime_ms * 1000 / 2;
    } else if (held > 0 && now_us >= held_until_us) {
      due = held;
      held = 0;
    } else if (held == 0) {
      due = own_clock_due (media, &playout, now_us);
    }
    for (due = MIN (due, media->max_catch_up); due > 0; due--) {
      receive_tick (media, play_ts);
      play_ts += media->ts_step;
    }

    eventfd_take (media->capture_fd);
    while (zc_ring_get_fill (media->to_network) >= media->frame_samples && sent < media->max_catch_up) {
      send_tick (media, send_ts, &marker);
      send_ts += media->ts_step;
      sent++;
    }
    if (sent > 0)
      pace_heard (&capture, now_us);
    for (guint own = own_clock_due (media, &capture, now_us); own > 0; own--) {
      send_tick (media, send_ts, &marker); /* silence, counted as a capture underrun */
      send_ts += media->ts_step;
    }

    if (now_us >= next_stats_us) {
      housekeeping (media, start_us);
      next_stats_us = now_us + STATS_INTERVAL_US;
    }
  }
}

static gpointer
media_thread (gpointer data)
{
  ZcCallMedia *media = data;
  gint64 start_us = g_get_monotonic_time ();

  if (media->capture_fd >= 0)
    device_clock_loop (media, start_us);
  else
    own_clock_loop (media, start_us);
  zc_rtp_session_get_stats (media->rtp, &media->counters.rtp);
  zc_jitter_get_stats (media->jitter, &media->counters.jitter);
  stats_publish (media);
  return NULL;
}

/* ---- Life cycle ---------------------------------------------------------- */

ZcCallMedia *
zc_call_media_new (const ZcCallMediaConfig *config, GError **error)
{
  g_autoptr (ZcCodecInstance) codec = NULL;
  ZcCodecOptions options;
  ZcCallMedia *media;
  guint rtp_rate, ptime_ms;

  g_return_val_if_fail (config != NULL, NULL);
  ptime_ms = config->ptime_ms != 0 ? config->ptime_ms : ZC_CALL_MEDIA_PTIME_MS;
  if (ptime_ms != 10 && ptime_ms != 20 && ptime_ms != 40 && ptime_ms != 60) {
    g_set_error (error, ZC_CALL_MEDIA_ERROR, ZC_CALL_MEDIA_ERROR_INVALID,
                 "media: a packet time of %u ms is not one of 10, 20, 40 or 60", ptime_ms);
    return NULL;
  }
  if (config->codec == NULL || config->codec->name == NULL || config->to_network == NULL ||
      config->from_network == NULL || config->rtp == NULL || config->telephone_event_pt > 127 ||
      config->telephone_event_pt == (gint) config->codec->pt) {
    g_set_error (error, ZC_CALL_MEDIA_ERROR, ZC_CALL_MEDIA_ERROR_INVALID,
                 "media: invalid configuration (codec, rings, RTP session or telephone-event PT %d)",
                 config->telephone_event_pt);
    return NULL;
  }
  if (config->codec_options != NULL)
    options = *config->codec_options;
  else
    zc_codec_options_init (&options);
  if (g_ascii_strcasecmp (config->codec->name, "opus") == 0)
    zc_codec_options_apply_opus_fmtp (&options, config->codec->fmtp);
  codec = zc_codec_instance_new (config->codec->name, config->codec->clock_rate, config->codec->channels, &options,
                                 error);
  if (codec == NULL)
    return NULL;

  media = g_new0 (ZcCallMedia, 1);
  media->event_fd = media->kick_fd = media->capture_fd = media->playout_fd = -1;
  media->to_network = config->to_network;
  media->from_network = config->from_network;
  media->rtp = config->rtp;
  media->pt = config->codec->pt;
  media->te_pt = config->telephone_event_pt;
  media->pcm_rate = zc_codec_get_pcm_rate (codec);
  rtp_rate = zc_codec_get_rtp_clock_rate (codec);
  media->ptime_ms = ptime_ms;
  media->frame_samples = media->pcm_rate * ptime_ms / 1000;
  media->ts_step = rtp_rate * ptime_ms / 1000;
  media->max_conceal = MAX (ZC_CALL_MEDIA_MAX_CONCEAL_MS / ptime_ms, 1u);
  media->max_catch_up = MAX (MAX_CATCH_UP_US / 1000 / ptime_ms, 1u);
  media->timeout_us = (gint64) (config->media_timeout_ms != 0 ? config->media_timeout_ms
                                                               : ZC_CALL_MEDIA_DEFAULT_TIMEOUT_MS) * 1000;
  media->context = g_main_context_ref (config->context != NULL ? config->context : g_main_context_default ());
  media->digit_received = config->digit_received;
  media->media_timeout = config->media_timeout;
  media->user_data = config->user_data;
  media->codec = g_steal_pointer (&codec);
  /* RFC 4733 7.1.1: telephone-events run at the audio codec's clock. */
  media->dtmf_sender = zc_dtmf_sender_new (rtp_rate, ptime_ms,
                                           config->dtmf_tone_ms != 0 ? config->dtmf_tone_ms : ZC_DTMF_MIN_TONE_MS);
  media->dtmf_receiver = zc_dtmf_receiver_new (rtp_rate);
  {
    guint initial_ms = config->jitter_ms != 0 ? config->jitter_ms : ZC_CALL_MEDIA_DEFAULT_JITTER_MS;

    media->jitter = zc_jitter_new (rtp_rate, ptime_ms, initial_ms, ptime_ms,
                                   MAX (4 * initial_ms, ZC_CALL_MEDIA_MAX_JITTER_MS));
  }
  media->arrived = g_new0 (ZcJitterPacket, 1);
  media->pcm = g_new0 (gint16, ZC_CODEC_MAX_FRAME_SAMPLES);
  media->given_back = g_new0 (gint16, ZC_CODEC_MAX_FRAME_SAMPLES);
  media->payload = g_new0 (guint8, ZC_CODEC_MAX_PAYLOAD);
  for (guint i = 0; i < DIGIT_QUEUE_SIZE; i++)
    atomic_init (&media->digits[i], 0);
  media->configured_loss_pct = options.expected_loss_pct;
  media->counters.expected_loss_pct = options.expected_loss_pct;
  media->counters.rtp.rtt_ms = -1;
  media->counters.rtp.remote_loss_pct = -1;
  media->stats = media->counters;

  media->event_fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
  media->kick_fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (media->event_fd < 0 || media->kick_fd < 0) {
    int saved = errno;

    g_set_error (error, ZC_CALL_MEDIA_ERROR, ZC_CALL_MEDIA_ERROR_FAILED, "media: cannot create eventfd (%s)",
                 g_strerror (saved));
    zc_call_media_free (media);
    return NULL;
  }
  media->event_source = g_unix_fd_source_new (media->event_fd, G_IO_IN);
  g_source_set_callback (media->event_source, G_SOURCE_FUNC (event_dispatch_cb), media, NULL);
  g_source_set_name (media->event_source, "zcall call media events");
  g_source_attach (media->event_source, media->context);
  return media;
}

gboolean
zc_call_media_use_device_clock (ZcCallMedia *media, int *capture_fd, int *playout_fd, GError **error)
{
  g_return_val_if_fail (media != NULL && capture_fd != NULL && playout_fd != NULL, FALSE);
  if (media->started) {
    g_set_error (error, ZC_CALL_MEDIA_ERROR, ZC_CALL_MEDIA_ERROR_INVALID, "media: already started");
    return FALSE;
  }
  if (media->capture_fd < 0) {
    media->capture_fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
    media->playout_fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (media->capture_fd < 0 || media->playout_fd < 0) {
      int saved = errno;

      if (media->capture_fd >= 0)
        close (media->capture_fd);
      if (media->playout_fd >= 0)
        close (media->playout_fd);
      media->capture_fd = media->playout_fd = -1;
      g_set_error (error, ZC_CALL_MEDIA_ERROR, ZC_CALL_MEDIA_ERROR_FAILED, "media: cannot create eventfd (%s)",
                   g_strerror (saved));
      return FALSE;
    }
  }
  media->counters.device_clock = TRUE;
  *capture_fd = media->capture_fd;
  *playout_fd = media->playout_fd;
  return TRUE;
}

gboolean
zc_call_media_start (ZcCallMedia *media, GError **error)
{
  g_return_val_if_fail (media != NULL, FALSE);
  if (media->started) {
    g_set_error (error, ZC_CALL_MEDIA_ERROR, ZC_CALL_MEDIA_ERROR_INVALID, "media: already started");
    return FALSE;
  }
  media->started = TRUE;
  atomic_store_explicit (&media->running, TRUE, memory_order_release);
  media->thread = g_thread_try_new ("zc-media", media_thread, media, error);
  if (media->thread == NULL) {
    atomic_store_explicit (&media->running, FALSE, memory_order_release);
    g_prefix_error (error, "media: cannot start the media thread: ");
    return FALSE;
  }
  return TRUE;
}

void
zc_call_media_stop (ZcCallMedia *media)
{
  g_return_if_fail (media != NULL);
  if (media->thread == NULL)
    return;
  atomic_store_explicit (&media->running, FALSE, memory_order_release);
  g_thread_join (g_steal_pointer (&media->thread));
}

void
zc_call_media_free (ZcCallMedia *media)
{
  if (media == NULL)
    return;
  zc_call_media_stop (media);
  if (media->event_source != NULL) {
    g_source_destroy (media->event_source);
    g_source_unref (media->event_source);
  }
  if (media->event_fd >= 0)
    close (media->event_fd);
  if (media->kick_fd >= 0)
    close (media->kick_fd);
  if (media->capture_fd >= 0)
    close (media->capture_fd);
  if (media->playout_fd >= 0)
    close (media->playout_fd);
  g_main_context_unref (media->context);
  zc_codec_instance_free (media->codec);
  zc_dtmf_sender_free (media->dtmf_sender);
  zc_dtmf_receiver_free (media->dtmf_receiver);
  zc_jitter_free (media->jitter);
  g_free (media->arrived);
  g_free (media->pcm);
  g_free (media->given_back);
  g_free (media->payload);
  g_free (media);
}
