/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A notification server for notify.test: owns org.freedesktop.Notifications
 * on the session bus, prints one line per call it gets on stdout
 *   notify ID SUMMARY|BODY|ACTION-KEYS (comma-separated)
 *   close ID
 * and emits ActionInvoked from the name's owner, as a desktop's server
 * does when the user clicks, when told through its own test interface:
 *   dbus-send --session --dest=org.freedesktop.Notifications \
 *     /org/freedesktop/Notifications org.zcall.Test.Notifications.Invoke \
 *     uint32:ID string:ACTION
 * Prints "ready" once it owns the name. */
#include <gio/gio.h>
#include <stdio.h>

static const char introspection[] =
  "<node>"
  " <interface name='org.freedesktop.Notifications'>"
  "  <method name='Notify'>"
  "   <arg type='s' direction='in'/><arg type='u' direction='in'/><arg type='s' direction='in'/>"
  "   <arg type='s' direction='in'/><arg type='s' direction='in'/><arg type='as' direction='in'/>"
  "   <arg type='a{sv}' direction='in'/><arg type='i' direction='in'/><arg type='u' direction='out'/>"
  "  </method>"
  "  <method name='CloseNotification'><arg type='u' direction='in'/></method>"
  "  <method name='GetCapabilities'><arg type='as' direction='out'/></method>"
  "  <method name='GetServerInformation'>"
  "   <arg type='s' direction='out'/><arg type='s' direction='out'/>"
  "   <arg type='s' direction='out'/><arg type='s' direction='out'/>"
  "  </method>"
  "  <signal name='ActionInvoked'><arg type='u'/><arg type='s'/></signal>"
  "  <signal name='NotificationClosed'><arg type='u'/><arg type='u'/></signal>"
  " </interface>"
  " <interface name='org.zcall.Test.Notifications'>"
  "  <method name='Invoke'><arg type='u' direction='in'/><arg type='s' direction='in'/></method>"
  " </interface>"
  "</node>";

static guint32 next_id = 1;

static void
emit (GDBusConnection *connection, const char *signal, GVariant *parameters)
{
  g_dbus_connection_emit_signal (connection, NULL, "/org/freedesktop/Notifications", "org.freedesktop.Notifications",
                                 signal, parameters, NULL);
}

static void
method_cb (GDBusConnection *connection, const char *sender, const char *path, const char *interface,
           const char *method, GVariant *parameters, GDBusMethodInvocation *invocation, gpointer data)
{
  (void) sender, (void) path, (void) interface, (void) data;
  if (g_str_equal (method, "Notify")) {
    const char *app, *icon, *summary, *body;
    guint32 replaces;
    gint32 timeout;
    g_autofree const char **actions = NULL;
    g_autoptr (GVariant) hints = NULL;
    g_autofree char *keys = NULL;
    GString *k = g_string_new ("");
    guint32 id = next_id++;

    g_variant_get (parameters, "(&su&s&s&s^a&s@a{sv}i)", &app, &replaces, &icon, &summary, &body, &actions, &hints,
                   &timeout);
    for (gsize i = 0; actions[i] != NULL && actions[i + 1] != NULL; i += 2)
      g_string_append_printf (k, "%s%s", k->len ? "," : "", actions[i]);
    keys = g_string_free (k, FALSE);
    printf ("notify %u %s|%s|%s\n", id, summary, body, keys);
    fflush (stdout);
    g_dbus_method_invocation_return_value (invocation, g_variant_new ("(u)", id));
  } else if (g_str_equal (method, "CloseNotification")) {
    guint32 id;

    g_variant_get (parameters, "(u)", &id);
    printf ("close %u\n", id);
    fflush (stdout);
    g_dbus_method_invocation_return_value (invocation, NULL);
    emit (connection, "NotificationClosed", g_variant_new ("(uu)", id, 3)); /* 3: closed by CloseNotification */
  } else if (g_str_equal (method, "GetCapabilities")) {
    const char *caps[] = { "actions", "body", NULL };
    g_dbus_method_invocation_return_value (invocation, g_variant_new ("(^as)", caps));
  } else if (g_str_equal (method, "GetServerInformation")) {
    g_dbus_method_invocation_return_value (invocation, g_variant_new ("(ssss)", "notify-recorder", "zcall", "1", "1.2"));
  } else if (g_str_equal (method, "Invoke")) {
    guint32 id;
    const char *action;

    g_variant_get (parameters, "(u&s)", &id, &action);
    printf ("invoke %u %s\n", id, action);
    fflush (stdout);
    emit (connection, "ActionInvoked", g_variant_new ("(us)", id, action));
    g_dbus_method_invocation_return_value (invocation, NULL);
  }
}

static void
acquired_cb (GDBusConnection *connection, const char *name, gpointer data)
{
  (void) connection, (void) name, (void) data;
  printf ("ready\n");
  fflush (stdout);
}

static void
lost_cb (GDBusConnection *connection, const char *name, gpointer data)
{
  (void) connection, (void) data;
  fprintf (stderr, "notify-recorder: cannot own %s\n", name);
  exit (1);
}

int
main (void)
{
  static const GDBusInterfaceVTable vtable = { .method_call = method_cb };
  g_autoptr (GError) error = NULL;
  g_autoptr (GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_autoptr (GDBusNodeInfo) node = NULL;
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);

  if (bus == NULL) {
    fprintf (stderr, "notify-recorder: %s\n", error->message);
    return 1;
  }
  node = g_dbus_node_info_new_for_xml (introspection, &error);
  for (guint i = 0; i < 2; i++)
    if (g_dbus_connection_register_object (bus, "/org/freedesktop/Notifications", node->interfaces[i], &vtable, NULL,
                                           NULL, &error) == 0) {
      fprintf (stderr, "notify-recorder: %s\n", error->message);
      return 1;
    }
  g_bus_own_name_on_connection (bus, "org.freedesktop.Notifications", G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE, acquired_cb,
                                lost_cb, NULL, NULL);
  g_main_loop_run (loop);
  return 0;
}
