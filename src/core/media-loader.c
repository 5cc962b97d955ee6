/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "media"

#include "config.h"

#include "core/media-loader.h"

#include <gio/gio.h>
#include <gmodule.h>

#include "common/i18n.h"

#define MODULE_NAME "zcalld-media.so"

/* Main-loop thread only, as the whole core. */
static const ZcMediaModule *loaded;
static GError *load_error; /* the first failure, kept: logged once, told to every call */

static char *
module_path (void)
{
  const char *env = g_getenv ("ZCALL_MEDIA_MODULE");
  g_autofree char *exe = NULL;
  g_autofree char *exe_dir = NULL;

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  /* The tests and benchmarks run the build tree's src/zcalld without
   * installing it; only that binary looks beside itself, so an installed
   * zcalld never picks up a module from a build tree. */
  exe = g_file_read_link ("/proc/self/exe", NULL);
  exe_dir = exe != NULL ? g_path_get_dirname (exe) : NULL;
  if (exe_dir != NULL && g_str_equal (exe_dir, ZC_BUILD_MODULE_DIR))
    return g_build_filename (ZC_BUILD_MODULE_DIR, MODULE_NAME, NULL);
  return g_build_filename (ZC_MEDIA_MODULE_DIR, MODULE_NAME, NULL);
}

static const ZcMediaModule *
load (const char *path, GError **error)
{
  ZcMediaModuleEntryFunc entry = NULL;
  const ZcMediaModule *table;
  GModule *module;
  gint64 start_us = g_get_monotonic_time ();

  if (!g_file_test (path, G_FILE_TEST_EXISTS)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                 _("the voice module %s is not installed: calls are not possible"), path);
    return NULL;
  }
  /* Lazy binding: the module's libraries resolve what a call uses as it
   * uses it; local: its symbols (the only exported one is the entry
   * point) stay out of the global scope. */
  module = g_module_open (path, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
  if (module == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("the voice module cannot be loaded: %s"),
                 g_module_error ());
    return NULL;
  }
  if (!g_module_symbol (module, ZC_MEDIA_MODULE_ENTRY, (gpointer *) &entry) || entry == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("%s is not a zcall voice module (no %s)"), path,
                 ZC_MEDIA_MODULE_ENTRY);
    g_module_close (module);
    return NULL;
  }
  table = entry (ZC_MEDIA_MODULE_ABI);
  if (table == NULL || table->abi != ZC_MEDIA_MODULE_ABI || table->size != sizeof (ZcMediaModule)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                 _("the voice module %s belongs to another version of zcalld: reinstall zcall"), path);
    g_module_close (module);
    return NULL;
  }
  /* Never unloaded (media-loader.h). */
  g_module_make_resident (module);
  g_message ("media: loaded %s in %.1f ms", path, (g_get_monotonic_time () - start_us) / 1000.0);
  return table;
}

const ZcMediaModule *
zc_media_loader_get (GError **error)
{
  g_autofree char *path = NULL;

  if (loaded != NULL)
    return loaded;
  if (load_error == NULL) {
    path = module_path ();
    loaded = load (path, &load_error);
    if (loaded != NULL)
      return loaded;
    g_warning ("media: %s", load_error->message);
  }
  g_propagate_error (error, g_error_copy (load_error));
  return NULL;
}

const ZcMediaModule *
zc_media_loader_peek (void)
{
  return loaded;
}
