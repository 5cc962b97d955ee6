/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Call-progress tones on an ALSA device: the ringback the caller hears
 * while the other phone rings, and the ring of an incoming call.
 *
 * Each player has a thread of its own that opens the device, writes the
 * cadence with blocking writes and closes the device when stopped: a tone
 * is not real-time audio (a late period is a click in a ring, not in a
 * conversation), and nothing of it runs on the main loop, where opening a
 * PCM could block.  A device that cannot be opened is logged and the
 * player stays silent: a missing ringer must not cost the call. */
#pragma once

#include <glib.h>

typedef enum {
  /* ETSI ES 201 970 / ITU-T E.180: 425 Hz, 1 s on, 4 s off. */
  ZC_TONE_RINGBACK,
  /* A desk-phone ring: 1 kHz and 1.3 kHz alternating every 50 ms for 1 s
   * (a warble that cuts through office noise), then 2 s of silence. */
  ZC_TONE_RING,
  /* An intercom's alert before the line opens: 1.4 kHz beeps of 150 ms
   * every 300 ms (the caller stops it after two). */
  ZC_TONE_ALERT,
  /* Call waiting, mixed into the call's playback (engine.h): 440 Hz for
   * 300 ms every 10 s at -20 dBFS, as North American phones do (ITU-T
   * E.180 Supplement 2); under the voice, never over it. */
  ZC_TONE_WAITING,
} ZcTone;

typedef struct _ZcTonePlayer ZcTonePlayer;

/* Starts playing @tone on @device ("default" when NULL) until stopped. */
ZcTonePlayer *zc_tone_player_start (const char *device, ZcTone tone);
/* Stops at once (the rest of the buffer is dropped), joins, frees.  NULL
 * is allowed. */
void zc_tone_player_stop (ZcTonePlayer *player);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcTonePlayer, zc_tone_player_stop)

/* For tests: fills @out with @n samples of @tone at @rate_hz starting at
 * sample @position of the cadence. */
void zc_tone_render (ZcTone tone, guint rate_hz, guint64 position, gint16 *out, gsize n);
