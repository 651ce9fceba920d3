/* dv-wb-window-editor.h — the workbench window's architecture editor page.
 *
 * What this is for: the "Architecture" page of the window: the model-wide
 * settings, the areas and connections of the model as editable fields
 * (each edit validated at once by a DvArchEdit, a refused one shown under
 * its field), presets (built-in and from plugins, "Load Model Plugin…"),
 * undo/redo, the diagram (click an element to select it), and the actions
 *   win.apply-architecture  apply the edit: ::apply-architecture (DvModelDesc*)
 *   win.soft-reset          clear the state: ::reset-model (FALSE)
 *   win.full-reset          re-initialise every weight: ::reset-model (TRUE), from the
 *                           seed in the spin button beside it (dv_wb_window_get_reset_seed)
 *   win.undo-architecture / win.redo-architecture
 *   win.load-plugin         file chooser, then dv_wb_window_load_plugin
 *   win.show-editor (bool)  switch to the Architecture page (TRUE) or the live view
 * The owner runs them on its engine thread and answers with
 * dv_wb_window_architecture_applied(); when the model changes otherwise (a
 * checkpoint) it calls dv_wb_window_set_model_desc (…, TRUE).
 * What this is not for: running or rebuilding models (app/workbench/).
 */
#pragma once

#include "dv-arch-edit.h"
#include "dv-model-edit.h"
#include "dv-plot-view.h"
#include "dv-wb-window.h"

G_BEGIN_DECLS

/* The window's editor (owned by the window). */
DvArchEdit *dv_wb_window_get_arch_edit (DvWbWindow *win);
/* The model the engine runs now; follow: it changed from outside, the edit
 * restarts from it. */
void        dv_wb_window_set_model_desc (DvWbWindow *win, const DvModelDesc *desc, gboolean follow);
/* The answer to ::apply-architecture / ::reset-model: shown in the editor's
 * report (message, then every tensor's fate when `transfer` is not NULL) and,
 * when !ok, in the banner. */
void        dv_wb_window_architecture_applied (DvWbWindow *win, gboolean ok, const char *message,
                                               const DvTransferReport *transfer, const DvModelDesc *desc);
/* Sets a field as typing it in the editor would: TRUE when accepted; a
 * refused value leaves its message on the field (and in *error). */
gboolean    dv_wb_window_edit_set (DvWbWindow *win, const char *path, const char *value,
                                   GError **error);
/* The message shown under the field of `path` ("" when none). */
const char *dv_wb_window_edit_message (DvWbWindow *win, const char *path);
/* The preset the editor's preset list shows (NULL when none is selected). */
const char *dv_wb_window_edit_preset (DvWbWindow *win);
/* The text a text field of `path` shows now (NULL for drop-downs, switches and unknown paths). */
const char *dv_wb_window_edit_field_text (DvWbWindow *win, const char *path);
/* The editor's report of the last apply or reset. */
const char *dv_wb_window_edit_report (DvWbWindow *win);
/* Loads a model plugin; its presets join the preset list.  Errors go to the
 * banner as well. */
gboolean    dv_wb_window_load_plugin (DvWbWindow *win, const char *path, GError **error);
void        dv_wb_window_show_editor (DvWbWindow *win, gboolean show);
/* The seed a full reset draws new weights from (0 .. G_MAXINT32; 0 at start). */
guint64     dv_wb_window_get_reset_seed (DvWbWindow *win);
void        dv_wb_window_set_reset_seed (DvWbWindow *win, guint64 seed);
/* The diagram, the view exported as "architecture" (dv-wb-window-export.c). */
DvPlotView *dv_wb_window_get_arch_view (DvWbWindow *win);

/* dv-wb-window.c's class_init / init / finalize call these. */
void        dv_wb_window_class_init_editor (GtkWidgetClass *widget_class);
void        dv_wb_window_init_editor (DvWbWindow *win);
void        dv_wb_window_finalize_editor (DvWbWindow *win);

G_END_DECLS
