/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ZcMediaStream's event delivery, in one process on 127.0.0.1 with no
 * audio devices: events that arrive together (digits and a media timeout,
 * ICE failure and a timeout) must all reach the user, the digits first,
 * and nothing may touch the stream after a callback that frees it.
 *
 * The events come in through media-stream.c's own static entry points
 * (what call-media and the ICE agent call), so that they can be made to
 * arrive in one main-loop iteration without racing real packets: the file
 * is compiled in here, and the library's copy is then not linked. */
#include "media/media-stream.c"

#include <unistd.h>

typedef struct {
  ZcMediaStream *stream;
  GString *log;          /* "r" ready, "f" failed, "t" timeout, digits as themselves */
  gboolean free_on_terminal;
} Fixture;

static void
ready_cb (ZcMediaStream *stream G_GNUC_UNUSED, const GError *error, gpointer user_data)
{
  Fixture *f = user_data;

  g_assert_no_error ((GError *) error);
  g_string_append_c (f->log, 'r');
}

static void
digit_cb (ZcMediaStream *stream G_GNUC_UNUSED, char digit, gpointer user_data)
{
  Fixture *f = user_data;

  g_string_append_c (f->log, digit);
}

static void
terminal (Fixture *f, char what)
{
  g_string_append_c (f->log, what);
  if (f->free_on_terminal)
    g_clear_pointer (&f->stream, zc_media_stream_free);
}

static void
timeout_cb (ZcMediaStream *stream G_GNUC_UNUSED, gpointer user_data)
{
  terminal (user_data, 't');
}

static void
failed_cb (ZcMediaStream *stream G_GNUC_UNUSED, gpointer user_data)
{
  terminal (user_data, 'f');
}

static void
fixture_setup (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  static const ZcMediaStreamCallbacks callbacks = {
    .ready = ready_cb,
    .digit = digit_cb,
    .timeout = timeout_cb,
    .failed = failed_cb,
  };
  ZcMediaStreamConfig config = {
    .call_id = "7",
    .local_address = "127.0.0.1",
    .controlling = TRUE,
    .capture_device = ZC_AUDIO_NO_DEVICE,
    .playback_device = ZC_AUDIO_NO_DEVICE,
    .ring_device = ZC_AUDIO_NO_DEVICE,
    .no_audio_devices = TRUE,
  };
  g_autoptr (GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  f->log = g_string_new (NULL);
  f->stream = zc_media_stream_new (&config, &callbacks, f, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->stream);
  while (f->log->len == 0 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpstr (f->log->str, ==, "r");
  g_assert_true (zc_media_stream_is_ready (f->stream));
  g_string_truncate (f->log, 0);
}

static void
fixture_teardown (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  g_clear_pointer (&f->stream, zc_media_stream_free);
  g_string_free (f->log, TRUE);
}

/* Runs the main context until nothing of the stream's is pending. */
static void
drain (Fixture *f)
{
  for (int i = 0; i < 100; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_true (f->stream == NULL || f->stream->dispatch_id == 0);
}

static void
test_digits_and_timeout (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  media_digit_cb (NULL, '1', f->stream);
  media_timeout_cb (NULL, TRUE, f->stream);
  media_digit_cb (NULL, '2', f->stream);
  drain (f);
  g_assert_cmpstr (f->log->str, ==, "12t");
}

static void
test_failed_and_timeout (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  media_timeout_cb (NULL, TRUE, f->stream);
  ice_state_cb (NULL, ZC_ICE_COMPONENT_RTP, ZC_ICE_STATE_FAILED, f->stream);
  media_digit_cb (NULL, '#', f->stream);
  drain (f);
  g_assert_cmpstr (f->log->str, ==, "#ft");
  /* Each once. */
  media_timeout_cb (NULL, TRUE, f->stream);
  ice_state_cb (NULL, ZC_ICE_COMPONENT_RTP, ZC_ICE_STATE_FAILED, f->stream);
  drain (f);
  g_assert_cmpstr (f->log->str, ==, "#ft");
}

/* The first terminal callback frees the stream: the second event is not
 * delivered, and nothing runs on the freed stream. */
static void
test_free_in_callback (Fixture *f, gconstpointer data G_GNUC_UNUSED)
{
  f->free_on_terminal = TRUE;
  media_digit_cb (NULL, '5', f->stream);
  media_timeout_cb (NULL, TRUE, f->stream);
  ice_state_cb (NULL, ZC_ICE_COMPONENT_RTP, ZC_ICE_STATE_FAILED, f->stream);
  drain (f);
  g_assert_null (f->stream);
  g_assert_cmpstr (f->log->str, ==, "5f");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* A hung gathering must fail the run, not stall it. */
  alarm (g_getenv ("ZC_TEST_SLOW") != NULL ? 60 : 10); /* ZC_TEST_SLOW=1 under valgrind */
  g_test_add ("/media-stream/digits-and-timeout", Fixture, NULL, fixture_setup, test_digits_and_timeout,
              fixture_teardown);
  g_test_add ("/media-stream/failed-and-timeout", Fixture, NULL, fixture_setup, test_failed_and_timeout,
              fixture_teardown);
  g_test_add ("/media-stream/free-in-callback", Fixture, NULL, fixture_setup, test_free_in_callback,
              fixture_teardown);
  return g_test_run ();
}
