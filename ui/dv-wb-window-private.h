/* dv-wb-window-private.h — DvWbWindow's instance struct, shared by its files.
 *
 * What this is for: dv-wb-window.c (the object, banner, pages),
 * dv-wb-window-actions.c (win.* actions, file dialogs, dropped files),
 * dv-wb-window-export.c (exporting views), dv-wb-window-model.c (which model
 * is this checkpoint?) and dv-wb-window-train.c (the training panel) see
 * the struct.
 * What this is not for: anything outside the window.
 */
#pragma once

#include "dv-live-page.h"
#include "dv-training-panel.h"
#include "dv-plot-view.h"
#include "dv-wb-window.h"

G_BEGIN_DECLS

struct _DvWbWindow {
  GtkApplicationWindow parent_instance;

  /* template children */
  GtkRevealer *banner_revealer;
  GtkLabel *banner_label;
  GtkImage *banner_icon;
  GtkRevealer *toast_revealer;
  GtkLabel *toast_label;
  guint toast_source;
  GtkStack *view_stack;
  DvLivePage *live_page;
  DvArchitecturePage *architecture_page;
  GtkRevealer *train_revealer;
  DvTrainingPanel *training_panel;

  gboolean training_shown;   /* property, bound to train_revealer's reveal-child */
  char *project_path;        /* the project last saved or opened: Ctrl+S saves there */
  gboolean trained_unsaved;  /* a run finished since the project was last saved or opened */
  gboolean quit_confirmed;   /* the user said to close with unsaved changes */

  char *error;               /* the banner's text, NULL when hidden */
  char *note;                /* the banner's text when it informs (show_note), or NULL */
  char *error_sequence;      /* the live view's "sequence" when the error came: a later,
                              * different sequence (the next request carried out) clears it */
};

/* dv-wb-window-actions.c: every win.* action, installed in class_init */
void        dv_wb_window_class_init_actions (GtkWidgetClass *widget_class);
void        dv_wb_window_init_actions (DvWbWindow *self);
/* The data set spec of a folder: cifar10:DIR / cifar100:DIR when it holds CIFAR
 * batches, else folder:DIR (g_free). */
char       *dv_wb_window_folder_spec (const char *dir);
/* A chosen or dropped file without a local path: says what to do, in the banner. */
void        dv_wb_window_refuse_nonlocal (DvWbWindow *self);

/* dv-wb-window-train.c: the training panel's requests, checkpoint/project actions */
void        dv_wb_window_class_init_train (GtkWidgetClass *widget_class);

/* dv-wb-window-export.c */
typedef enum {
  DV_WB_CHOOSE_EXPORT_VIEW,
  DV_WB_CHOOSE_EXPORT_ALL,
  DV_WB_CHOOSE_CHECKPOINT,
  DV_WB_CHOOSE_IMAGE_FOLDER,
  DV_WB_CHOOSE_CIFAR_FOLDER,
  DV_WB_CHOOSE_EXPORT_DYNVISION,
} DvWbChooser;

void        dv_wb_window_install_export_actions (DvWbWindow *self);
DvPlotView *dv_wb_window_view_by_name (DvWbWindow *self, const char *name);
void        dv_wb_window_run_chooser (DvWbWindow *self, DvWbChooser kind, const char *view);

G_END_DECLS
