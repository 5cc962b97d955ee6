/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Opens the media module (media/media-module.h) the first time the core
 * needs a call's media, so that an agent that has not called yet maps
 * none of the voice path's libraries.  Once opened it stays resident: the
 * audio engine and libnice keep threads and sources that must not lose
 * their code, and a second call should not pay the load again.
 *
 * Where (the first that applies):
 *   - $ZCALL_MEDIA_MODULE, a path to the .so (tests of a broken module);
 *   - src/zcalld-media.so of the build tree, only when this zcalld is the
 *     build tree's src/zcalld (tests and benchmarks run it uninstalled);
 *   - $(pkglibdir)/zcalld-media.so.
 * A module that is missing, fails to load or answers for another ABI is
 * logged once, and every later call fails with the same error: the agent
 * keeps serving discovery, presence and SIP. */
#pragma once

#include "media/media-module.h"

/* The module's table, opening it on the first use.  NULL with @error set
 * (G_IO_ERROR, a message for the user) when it cannot be had. */
const ZcMediaModule *zc_media_loader_get (GError **error);

/* The table if the module is already open, else NULL; never opens it
 * (for work that only matters after a call: closing the sound devices). */
const ZcMediaModule *zc_media_loader_peek (void);
