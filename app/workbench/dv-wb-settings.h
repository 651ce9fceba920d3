/* dv-wb-settings.h — what the workbench remembers between runs (GSettings
 * schema org.dynvision.Workbench, app/workbench/data/).
 *
 * What this is for: finding the schema (installed, or compiled in the build
 * tree when run from there), the window's size and maximised state, the
 * recent checkpoints and projects (newest first, at most DV_WB_RECENT_MAX)
 * with the main menu's Open Recent submenu, the last data set and the
 * history memory.  Without a schema nothing is remembered and nothing fails.
 * What this is not for: project files or command-line options (they win
 * over what is remembered; dv-wb-application.c decides that).
 */
#pragma once

#include <gtk/gtk.h>

#include "dv-wb-window.h"

G_BEGIN_DECLS

#define DV_WB_SETTINGS_SCHEMA "org.dynvision.Workbench"
#define DV_WB_RECENT_MAX 10

/* The workbench's settings (a new reference), or NULL when the schema is
 * neither installed (GSETTINGS_SCHEMA_DIR, XDG_DATA_DIRS) nor compiled in
 * the build tree this program was built in. */
GSettings *dv_wb_settings_new (void);

/* Puts path first in the string-array key (recent-checkpoints or
 * recent-projects), dropping an older copy and anything beyond
 * DV_WB_RECENT_MAX. */
void       dv_wb_settings_add_recent (GSettings *settings, const char *key, const char *path);
/* Removes path from the string-array key. */
void       dv_wb_settings_remove_recent (GSettings *settings, const char *key, const char *path);

/* Binds the window's default size and maximised state to the settings,
 * fills the main menu's Open Recent submenu (the submenu whose item carries
 * the attribute dv-role "recent") and keeps it current, installs
 * win.open-recent (a path) and records what the window opens: checkpoints
 * and projects in the recent lists, the data set in last-dataset.
 * bind_size FALSE leaves the window's size alone (unattended runs). */
void       dv_wb_settings_attach (GSettings *settings, DvWbWindow *window, gboolean bind_size);

/* The Open Recent submenu of window's main menu, or NULL (for tests). */
GMenuModel *dv_wb_settings_get_recent_menu (DvWbWindow *window);

G_END_DECLS
