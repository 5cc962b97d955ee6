/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What every harness shares: the libFuzzer entry points and a quiet log
 * that still turns a g_critical() (a broken precondition, so a bug the
 * input reached) into a crash the fuzzer reports. */
#pragma once

#include <glib.h>
#include <stdlib.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static GLogWriterOutput
fuzz_log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data G_GNUC_UNUSED)
{
  if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR)) {
    g_log_writer_standard_streams (level, fields, n_fields, NULL);
    abort ();
  }
  return G_LOG_WRITER_HANDLED;
}

static inline void
fuzz_quiet_log (void)
{
  g_log_set_writer_func (fuzz_log_writer, NULL, NULL);
}
