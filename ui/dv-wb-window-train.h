/* dv-wb-window-train.h — the window's training, checkpoint and project calls.
 *
 * What this is for: showing the training panel (DvTrainingPanel,
 * dv-training-panel.h) under the pages, and the window's actions on files
 * that training leads to: win.export-checkpoint, win.open-project,
 * win.save-project (Ctrl+S: to the project last saved or opened),
 * win.save-project-as and win.show-training (Ctrl+T).  They ask the owner
 * through the window's signals:
 *   ::export-checkpoint (char *path) write the model as it is now
 *   ::save-project (char *path)      ::open-project (char *path)
 * What this is not for: the panel itself, the trainer or files (app/workbench/).
 */
#pragma once

#include "dv-training-panel.h"
#include "dv-wb-window.h"

G_BEGIN_DECLS

DvTrainingPanel *dv_wb_window_get_training_panel (DvWbWindow *self);
void           dv_wb_window_show_training (DvWbWindow *self, gboolean show);

/* The same as the actions, with the file given (no chooser): they emit the signals. */
void           dv_wb_window_export_checkpoint (DvWbWindow *self, const char *path);
void           dv_wb_window_save_project (DvWbWindow *self, const char *path);
void           dv_wb_window_open_project (DvWbWindow *self, const char *path);

G_END_DECLS
