/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Trust on first use, as ssh's known_hosts: the first time a zcall peer is
 * seen its certificate fingerprint is pinned under its instance_id, and
 * from then on the key it shows is compared with the pin.
 *
 * The file, known-peers in the directory the caller names (the agent
 * passes $XDG_STATE_HOME/zcall/), is UTF-8 text, one pin a line:
 *
 *   zcall-known-peers 1
 *   # comment lines start with '#'; blank lines are ignored
 *   <instance_id> <state> <fingerprint> <name>
 *
 * separated by single spaces.  instance_id: 1-128 printable ASCII
 * characters without space (a UUID in practice).  state: "pinned" or
 * "verified" (the user compared fingerprints and ran `zcall trust NAME`).
 * fingerprint: the 43-character compact form (fingerprint.h).  name: the
 * rest of the line, possibly empty: the user/name the peer advertised
 * when its key was last seen, for display only (trust never goes by
 * name).  A line is at most 1024 bytes.
 *
 * The first line names the format's version.  A file of a later version
 * is refused whole (and never rewritten), so running an older zcalld
 * cannot strip what a newer one recorded.  A damaged line is reported
 * (zc_known_peers_get_problems) and skipped; it is written back unchanged
 * when the file is saved, so no pin is lost to a typo and the report
 * stands until the user mends the line.  Comments are not kept. */
#pragma once

#include "trust/fingerprint.h"

#include <glib.h>

#define ZC_KNOWN_PEERS_FILE "known-peers"
/* A hostile LAN can advertise any number of made-up peers, each pinned on
 * first sight.  Beyond this many lines the file takes no new pins: a new
 * peer's verdict is still "new" (and stays so at every sighting), with
 * ZC_TRUST_ERROR_FULL.  Existing pins are never evicted to make room, since
 * a flood of fake adverts must not be able to unpin a real colleague and
 * make their impostor "new" again. */
#define ZC_KNOWN_PEERS_MAX 4096
#define ZC_KNOWN_PEERS_LINE_MAX 1024
#define ZC_KNOWN_PEERS_ID_MAX 128
/* Names are cut (on a character boundary) to this many bytes. */
#define ZC_KNOWN_PEERS_NAME_MAX 256

typedef enum {
  ZC_TRUST_NONE,     /* no fingerprint: not a zcall agent (a desk phone) */
  ZC_TRUST_NEW,      /* first seen, now pinned */
  ZC_TRUST_KNOWN,    /* matches the pin */
  ZC_TRUST_VERIFIED, /* matches the pin, which the user verified */
  ZC_TRUST_CHANGED,  /* shows another key than the pin */
} ZcTrustVerdict;

/* "none", "new", "known", "verified", "changed": the JSON and D-Bus
 * spelling (the table may print CHANGED in capitals). */
const char *zc_trust_verdict_to_string (ZcTrustVerdict verdict);

typedef struct {
  char *instance_id;
  char *name;
  ZcFingerprint fingerprint;
  gboolean verified;
} ZcKnownPeer;

typedef struct _ZcKnownPeers ZcKnownPeers;

/* Reads @dir/known-peers; a missing file is an empty store.  Fails only
 * when the file cannot be read at all, is larger than the cap allows, or
 * has a later version; damaged lines are not failures. */
ZcKnownPeers *zc_known_peers_load (const char *dir, GError **error);
/* Writes the changes still waiting (zc_known_peers_flush; a failure is
 * logged), then frees. */
void zc_known_peers_free (ZcKnownPeers *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcKnownPeers, zc_known_peers_free)

/* One "known-peers:LINE: what is wrong" string per damaged line, in file
 * order; the caller logs them.  Borrowed. */
GPtrArray *zc_known_peers_get_problems (ZcKnownPeers *store);

guint zc_known_peers_get_size (ZcKnownPeers *store);
/* The pin of @instance_id, or NULL.  Borrowed until the store changes. */
const ZcKnownPeer *zc_known_peers_lookup (ZcKnownPeers *store, const char *instance_id);

/* A new pin (or a pinned peer's new name) reaches the file this long
 * after the first change since the last write, with every change made
 * meanwhile: a flood of made-up adverts, each pinned on first sight, costs
 * one write and fsync per delay instead of one per advert, on the main
 * loop.  `zcall trust`, zc_known_peers_flush() and zc_known_peers_free()
 * (at shutdown) write at once. */
#define ZC_KNOWN_PEERS_SAVE_DELAY_MS 1000

/* The verdict for a peer that shows @fingerprint (NULL: it shows none).
 * A peer without a pin is pinned, with @name, and its verdict stays NEW
 * for as long as this store lives (zcall(1): "first seen during this run
 * of the agent"), KNOWN once loaded from the file; a matching peer whose name
 * changed has the name updated.  Either change is written
 * ZC_KNOWN_PEERS_SAVE_DELAY_MS later, from a timeout on the thread-default
 * main context (a failed write is logged; the pins live in memory until a
 * later write succeeds).  A changed key leaves the pin as it was.  @error
 * is set, beside the verdict, when the pin could not be made
 * (ZC_TRUST_ERROR_FULL) or @instance_id is not one the file can hold
 * (ZC_TRUST_ERROR_INVALID, verdict NONE). */
ZcTrustVerdict zc_known_peers_verdict (ZcKnownPeers         *store,
                                       const char           *instance_id,
                                       const char           *name,
                                       const ZcFingerprint  *fingerprint,
                                       GError              **error);

/* `zcall trust NAME [--replace]`: the user compared @fingerprint, the key
 * the peer shows now, with the peer.  If it matches the pin, the pin is
 * marked verified (@verdict VERIFIED).  If it differs, the call fails with
 * ZC_TRUST_ERROR_CHANGED unless @replace: then @fingerprint becomes the pin
 * and the verified mark goes (@verdict KNOWN), so the new key is verified
 * by a second `zcall trust NAME` after comparing it.  A peer never pinned
 * fails with ZC_TRUST_ERROR_UNKNOWN_PEER.  Saves the file at once, with
 * any change still waiting: the user's decision is on disk when this
 * returns. */
gboolean zc_known_peers_trust (ZcKnownPeers         *store,
                               const char           *instance_id,
                               const ZcFingerprint  *fingerprint,
                               gboolean              replace,
                               ZcTrustVerdict       *verdict,
                               GError              **error);

/* Writes the file atomically and durably (trust-file.h) now, with any
 * change still waiting for its delayed write. */
gboolean zc_known_peers_save (ZcKnownPeers *store, GError **error);
/* Writes the file now if a change waits for its delayed write; TRUE when
 * none does. */
gboolean zc_known_peers_flush (ZcKnownPeers *store, GError **error);
