/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"
#include "common/log.h"

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *log_program = "zcall";
static gboolean log_verbose;
static gboolean log_to_journal;

/* JOURNAL_STREAM is "DEV:INODE" of the stream systemd connected; it only
 * counts when stderr still is that stream (not redirected by a wrapper). */
static gboolean
stderr_is_journal (void)
{
  const char *stream = g_getenv ("JOURNAL_STREAM");
  struct stat st;
  unsigned long long dev, ino;

  if (stream == NULL || sscanf (stream, "%llu:%llu", &dev, &ino) != 2)
    return FALSE;
  if (fstat (STDERR_FILENO, &st) < 0)
    return FALSE;
  return st.st_dev == dev && st.st_ino == ino;
}

static int
syslog_priority (GLogLevelFlags level)
{
  if (level & G_LOG_LEVEL_ERROR)
    return 3;
  if (level & G_LOG_LEVEL_CRITICAL)
    return 3;
  if (level & G_LOG_LEVEL_WARNING)
    return 4;
  if (level & G_LOG_LEVEL_MESSAGE)
    return 5;
  if (level & G_LOG_LEVEL_INFO)
    return 6;
  return 7;
}

static const char *
level_word (GLogLevelFlags level)
{
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    return "error: ";
  if (level & G_LOG_LEVEL_WARNING)
    return "warning: ";
  if (level & G_LOG_LEVEL_DEBUG)
    return "debug: ";
  return "";
}

static GLogWriterOutput
zc_log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data G_GNUC_UNUSED)
{
  const char *message = NULL;
  const char *domain = NULL;

  for (gsize i = 0; i < n_fields; i++) {
    if (g_str_equal (fields[i].key, "MESSAGE"))
      message = fields[i].value;
    else if (g_str_equal (fields[i].key, "GLIB_DOMAIN"))
      domain = fields[i].value;
  }
  if (message == NULL)
    return G_LOG_WRITER_UNHANDLED;
  if (domain != NULL && g_str_equal (domain, log_program))
    domain = NULL;
  if ((level & G_LOG_LEVEL_DEBUG) && !log_verbose && g_log_writer_default_would_drop (level, domain))
    return G_LOG_WRITER_HANDLED;
  if ((level & G_LOG_LEVEL_INFO) && !log_verbose && g_log_writer_default_would_drop (level, domain))
    return G_LOG_WRITER_HANDLED;

  /* The journal already records the program name and time. */
  if (log_to_journal)
    fprintf (stderr, "<%d>%s%s%s\n", syslog_priority (level), domain ? domain : "", domain ? ": " : "",
             message);
  else
    fprintf (stderr, "%s: %s%s%s%s\n", log_program, level_word (level), domain ? domain : "",
             domain ? ": " : "", message);
  fflush (stderr);
  return G_LOG_WRITER_HANDLED;
}

void
zc_log_init (const char *program, gboolean verbose)
{
  log_program = program;
  log_verbose = verbose;
  log_to_journal = stderr_is_journal ();
  /* Also tells libraries that ask (g_log_writer_default_would_drop). */
  if (verbose)
    g_log_set_debug_enabled (TRUE);
  g_log_set_writer_func (zc_log_writer, NULL, NULL);
}
