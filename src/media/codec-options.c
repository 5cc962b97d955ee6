/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The encoder defaults, apart from codec.c: the core fills a call's
 * ZcCodecOptions in zcalld itself, and codec.c would bring libopus and
 * spandsp with it, which only the media module (media-module.h) links. */
#include "config.h"

#include "media/codec.h"

void
zc_codec_options_init (ZcCodecOptions *options)
{
  g_return_if_fail (options != NULL);

  options->bitrate_bps = 32000;
  options->inband_fec = TRUE;
  options->dtx = FALSE;
  options->expected_loss_pct = 5;
  options->complexity = 5;
  options->opus_pcm_rate = 48000;
}
