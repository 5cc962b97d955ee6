/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Desktop notifications of calls through org.freedesktop.Notifications
 * (Desktop Notifications Specification 1.2) with GDBus: no library of its
 * own, and nothing but a log line when no server answers. */
#define G_LOG_DOMAIN "notify"

#include "config.h"
#include "control/notify.h"

#include "common/i18n.h"

#include <string.h>

#define NOTIFY_NAME "org.freedesktop.Notifications"
#define NOTIFY_PATH "/org/freedesktop/Notifications"
#define NOTIFY_INTERFACE "org.freedesktop.Notifications"
/* The entry of a call's transfer request: this prefix and the call id. */
#define TRANSFER_KEY "transfer:"
/* A server that hangs must not pile up calls waiting on it. */
#define NOTIFY_TIMEOUT_MS 5000

/* Urgency hint values (specification, "Urgency Levels"). */
enum { URGENCY_NORMAL = 1, URGENCY_CRITICAL = 2 };

/* One ringing call's notification: its id once the server answered
 * Notify (0 before), and whether the call left ringing meanwhile. */
typedef struct {
  guint32 id;
  gboolean close_on_reply;
} Entry;

struct _ZcNotify {
  ZcAgent *agent;
  GDBusConnection *connection;
  GCancellable *cancellable;
  GHashTable *entries;          /* call id -> Entry* */
  guint action_sub;
  guint closed_sub;
  gboolean told_no_server;      /* logged once, not per call */
  gboolean plain_body;          /* the server shows no markup (no "body-markup" capability) */
};

typedef struct {
  ZcNotify *self;
  char *call_id;                /* NULL: a missed-call notification, not tracked */
} Reply;

static void
capabilities_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GVariant) ret = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, NULL);
  g_autofree const char **caps = NULL;

  if (ret == NULL)
    return; /* no server (yet), or we are gone */
  g_variant_get (ret, "(^a&s)", &caps);
  ((ZcNotify *) user_data)->plain_body = !g_strv_contains (caps, "body-markup");
}

/* Whether the body must be escaped: a caller's display name is the
 * caller's to choose, and must not become markup (links, images) on a
 * server that renders it; a server without markup shows text as is. */
static void
query_capabilities (ZcNotify *self)
{
  g_dbus_connection_call (self->connection, NOTIFY_NAME, NOTIFY_PATH, NOTIFY_INTERFACE, "GetCapabilities", NULL,
                          G_VARIANT_TYPE ("(as)"), G_DBUS_CALL_FLAGS_NO_AUTO_START, NOTIFY_TIMEOUT_MS,
                          self->cancellable, capabilities_cb, self);
}

static void
close_notification (ZcNotify *self, guint32 id)
{
  g_dbus_connection_call (self->connection, NOTIFY_NAME, NOTIFY_PATH, NOTIFY_INTERFACE, "CloseNotification",
                          g_variant_new ("(u)", id), NULL, G_DBUS_CALL_FLAGS_NONE, NOTIFY_TIMEOUT_MS,
                          self->cancellable, NULL, NULL);
}

static void
notify_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Reply *reply = user_data;
  ZcNotify *self = reply->self;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) ret = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  Entry *entry;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    goto out; /* self is gone */
  entry = reply->call_id != NULL ? g_hash_table_lookup (self->entries, reply->call_id) : NULL;
  if (ret == NULL) {
    if (!self->told_no_server)
      g_message ("no desktop notification (%s); calls go on without", error->message);
    self->told_no_server = TRUE;
    query_capabilities (self); /* for when a server comes */
    if (entry != NULL)
      g_hash_table_remove (self->entries, reply->call_id);
    goto out;
  }
  self->told_no_server = FALSE;
  if (entry == NULL)
    goto out;
  g_variant_get (ret, "(u)", &entry->id);
  g_debug ("call %s: notification %u", reply->call_id, entry->id);
  if (entry->close_on_reply) {
    close_notification (self, entry->id);
    g_hash_table_remove (self->entries, reply->call_id);
  }
out:
  g_free (reply->call_id);
  g_free (reply);
}

/* What a notification is: an incoming call's, a missed call's or a
 * transfer request's. */
typedef enum { KIND_INCOMING, KIND_MISSED, KIND_TRANSFER } Kind;

static void
send_notify (ZcNotify *self, const char *key, const char *summary, const char *body, Kind kind)
{
  GVariantBuilder actions, hints;
  Reply *reply = g_new0 (Reply, 1);
  static const char *const categories[] = { "call.incoming", "call.missed", "call" };
  static const char *const icons[] = { "call-start", "call-missed", "call-start" };

  g_variant_builder_init (&actions, G_VARIANT_TYPE_STRING_ARRAY);
  /* Pairs of key and label; "default" (a click on the body) is not
   * offered: answering must be a deliberate choice. */
  if (kind == KIND_INCOMING) {
    g_variant_builder_add (&actions, "s", "answer");
    g_variant_builder_add (&actions, "s", _("Answer"));
    g_variant_builder_add (&actions, "s", "decline");
    g_variant_builder_add (&actions, "s", _("Decline"));
  } else if (kind == KIND_TRANSFER) {
    g_variant_builder_add (&actions, "s", "accept-transfer");
    g_variant_builder_add (&actions, "s", _("Accept"));
    g_variant_builder_add (&actions, "s", "refuse-transfer");
    g_variant_builder_add (&actions, "s", _("Decline"));
  }
  g_variant_builder_init (&hints, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&hints, "{sv}", "urgency",
                         g_variant_new_byte (kind == KIND_MISSED ? URGENCY_NORMAL : URGENCY_CRITICAL));
  g_variant_builder_add (&hints, "{sv}", "category", g_variant_new_string (categories[kind]));
  reply->self = self;
  reply->call_id = g_strdup (key);
  /* A ringing call's or a request's notification stays until it is
   * answered (expire 0); a missed call's follows the server's default
   * (-1). */
  g_dbus_connection_call (self->connection, NOTIFY_NAME, NOTIFY_PATH, NOTIFY_INTERFACE, "Notify",
                          g_variant_new ("(susssasa{sv}i)", "zcall", (guint32) 0, icons[kind], summary, body,
                                         &actions, &hints, kind == KIND_MISSED ? -1 : 0),
                          G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, NOTIFY_TIMEOUT_MS, self->cancellable,
                          notify_done_cb, reply);
}

/* The call no longer rings: its notification goes (now, or when the
 * server tells its id). */
static void
forget_call (ZcNotify *self, const char *call_id)
{
  Entry *entry = g_hash_table_lookup (self->entries, call_id);

  if (entry == NULL)
    return;
  if (entry->id == 0) {
    entry->close_on_reply = TRUE;
    return;
  }
  close_notification (self, entry->id);
  g_hash_table_remove (self->entries, call_id);
}

/* Ended without an answer, and not by the user's own refusal or a
 * forwarding rule: the user should learn someone called. */
static gboolean
is_missed (GVariant *call)
{
  static const char *const not_missed[] = { "declined", "forwarded", NULL };
  const char *answered = "", *reason = "";

  g_variant_lookup (call, "answered_at", "&s", &answered);
  g_variant_lookup (call, "end_reason", "&s", &reason);
  return *answered == '\0' && !g_strv_contains (not_missed, reason);
}

/* A peer's transfer request waiting for the user (core/transfer-ask.c),
 * in either direction of call: raised with Accept and Decline, closed
 * once answered (here, by the CLI, or by the timeout) or the call ends.
 * Tracked as "transfer:ID", beside the call's own ringing entry. */
static void
transfer_changed (ZcNotify *self, const char *event, const char *id, const char *peer, GVariant *call)
{
  g_autofree char *key = g_strconcat (TRANSFER_KEY, id, NULL);
  const char *target = "";

  if (!g_str_equal (event, "transfer-request")) {
    if (g_str_equal (event, "transfer") || g_str_equal (event, "ended"))
      forget_call (self, key);
    return;
  }
  if (!zc_agent_get_config (self->agent)->notifications)
    return;
  g_variant_lookup (call, "transfer_request", "&s", &target);
  {
    /* Both are the peer's to choose: no markup from them. */
    g_autofree char *text = g_strdup_printf (_("%s asks to transfer the call to %s"), peer, target);
    g_autofree char *body = self->plain_body ? g_strdup (text) : g_markup_escape_text (text, -1);

    g_hash_table_insert (self->entries, g_strdup (key), g_new0 (Entry, 1));
    send_notify (self, key, _("Transfer request"), body, KIND_TRANSFER);
  }
}

void
zc_notify_call_changed (ZcNotify *self, const char *event, GVariant *call)
{
  const char *id = "", *direction = "", *peer = "";
  gboolean rang;

  if (self == NULL)
    return;
  g_variant_lookup (call, "id", "&s", &id);
  g_variant_lookup (call, "direction", "&s", &direction);
  g_variant_lookup (call, "peer_display", "&s", &peer);
  transfer_changed (self, event, id, peer, call);
  if (!g_str_equal (direction, "incoming"))
    return;
  rang = g_hash_table_contains (self->entries, id);
  if (!g_str_equal (event, "incoming"))
    forget_call (self, id);
  if (!zc_agent_get_config (self->agent)->notifications)
    return;
  if (g_str_equal (event, "incoming")) {
    g_autofree char *body = self->plain_body ? g_strdup (peer) : g_markup_escape_text (peer, -1);

    g_hash_table_insert (self->entries, g_strdup (id), g_new0 (Entry, 1));
    send_notify (self, id, _("Incoming call"), body, KIND_INCOMING);
  } else if (g_str_equal (event, "ended") && rang && is_missed (call)) {
    g_autofree char *body = self->plain_body ? g_strdup (peer) : g_markup_escape_text (peer, -1);

    send_notify (self, NULL, _("Missed call"), body, KIND_MISSED);
  }
}

static const char *
call_for_notification (ZcNotify *self, guint32 id)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (((Entry *) value)->id == id && id != 0)
      return key;
  return NULL;
}

static void
action_invoked_cb (GDBusConnection *connection G_GNUC_UNUSED, const char *sender G_GNUC_UNUSED,
                   const char *path G_GNUC_UNUSED, const char *interface G_GNUC_UNUSED,
                   const char *signal G_GNUC_UNUSED, GVariant *parameters, gpointer user_data)
{
  ZcNotify *self = user_data;
  guint32 id;
  const char *action;
  g_autofree char *call_id = NULL;
  g_autoptr (GError) error = NULL;
  gboolean ok;

  if (!g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(us)")))
    return;
  g_variant_get (parameters, "(u&s)", &id, &action);
  /* Only our own notifications, and only what they offered. */
  call_id = g_strdup (call_for_notification (self, id));
  if (call_id == NULL)
    return;
  if (g_str_has_prefix (call_id, TRANSFER_KEY)) {
    const char *call = call_id + strlen (TRANSFER_KEY);

    if (g_str_equal (action, "accept-transfer"))
      ok = zc_calls_accept_transfer (zc_agent_get_calls (self->agent), call, &error);
    else if (g_str_equal (action, "refuse-transfer"))
      ok = zc_calls_refuse_transfer (zc_agent_get_calls (self->agent), call, &error);
    else
      return;
    g_message ("call %s: %s from the desktop notification%s%s", call, action, ok ? "" : " failed: ",
               ok ? "" : error->message);
    return;
  }
  if (g_str_equal (action, "answer"))
    ok = zc_calls_answer (zc_agent_get_calls (self->agent), call_id, &error);
  else if (g_str_equal (action, "decline"))
    ok = zc_calls_decline (zc_agent_get_calls (self->agent), call_id, &error);
  else
    return;
  g_message ("call %s: %s from the desktop notification%s%s", call_id, action, ok ? "" : " failed: ",
             ok ? "" : error->message);
}

static void
notification_closed_cb (GDBusConnection *connection G_GNUC_UNUSED, const char *sender G_GNUC_UNUSED,
                        const char *path G_GNUC_UNUSED, const char *interface G_GNUC_UNUSED,
                        const char *signal G_GNUC_UNUSED, GVariant *parameters, gpointer user_data)
{
  ZcNotify *self = user_data;
  guint32 id, reason;
  const char *call_id;

  if (!g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(uu)")))
    return;
  g_variant_get (parameters, "(uu)", &id, &reason);
  /* Dismissed: the call still rings, but there is nothing left to close. */
  if ((call_id = call_for_notification (self, id)) != NULL)
    g_hash_table_remove (self->entries, call_id);
}

ZcNotify *
zc_notify_new (ZcAgent *agent, GDBusConnection *connection)
{
  ZcNotify *self = g_new0 (ZcNotify, 1);

  self->agent = agent;
  self->connection = g_object_ref (connection);
  self->cancellable = g_cancellable_new ();
  self->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  /* Matching the well-known name: GDBus follows its owner, so another
   * client of the bus cannot answer our calls with a forged signal. */
  self->action_sub = g_dbus_connection_signal_subscribe (connection, NOTIFY_NAME, NOTIFY_INTERFACE, "ActionInvoked",
                                                         NOTIFY_PATH, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                         action_invoked_cb, self, NULL);
  self->closed_sub = g_dbus_connection_signal_subscribe (connection, NOTIFY_NAME, NOTIFY_INTERFACE,
                                                         "NotificationClosed", NOTIFY_PATH, NULL,
                                                         G_DBUS_SIGNAL_FLAGS_NONE, notification_closed_cb, self, NULL);
  query_capabilities (self);
  return self;
}

void
zc_notify_free (ZcNotify *self)
{
  if (self == NULL)
    return;
  g_cancellable_cancel (self->cancellable);
  g_dbus_connection_signal_unsubscribe (self->connection, self->action_sub);
  g_dbus_connection_signal_unsubscribe (self->connection, self->closed_sub);
  g_hash_table_unref (self->entries);
  g_object_unref (self->cancellable);
  g_object_unref (self->connection);
  g_free (self);
}
