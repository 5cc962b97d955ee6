/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Names and TXT values arrive from anyone on the LAN.  Before they reach a
 * terminal (or a GUI label) they lose control characters and terminal
 * escape sequences, so a hostile advert cannot clear a screen, retitle a
 * window or fake a line of output. */
#pragma once

#include <glib.h>

/* Returns valid UTF-8 with: ESC sequences (CSI, OSC, DCS/PM/APC/SOS up to
 * their terminator, two-byte escapes) removed; C0 and C1 controls and DEL
 * removed; invalid UTF-8 replaced by U+FFFD.  @len may be -1. */
char *zc_sanitize_text (const char *text, gssize len);
