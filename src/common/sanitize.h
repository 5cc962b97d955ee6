/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Names and TXT values arrive from anyone on the LAN.  Before they reach a
 * terminal (or a GUI label) they lose control characters and terminal
 * escape sequences, so a hostile advert cannot clear a screen, retitle a
 * window or fake a line of output. */
#pragma once

#include <glib.h>

/* Returns valid UTF-8 with: ESC sequences (CSI, OSC, DCS/PM/APC/SOS up to
 * their terminator, two-byte escapes) removed; C0 and C1 controls and DEL
 * removed; invisible and reordering characters removed (zero-width
 * U+200B-U+200F, bidi embeddings, overrides and isolates U+202A-U+202E and
 * U+2066-U+2069, U+FEFF, line/paragraph separators, tags, Hangul fillers,
 * every other format character); more than 4 combining marks on one
 * character cut to 4; invalid UTF-8 replaced by U+FFFD.  (Emoji joined
 * with U+200D fall apart into their parts: the price of a name that
 * cannot hide text.)  @len may be -1. */
char *zc_sanitize_text (const char *text, gssize len);
