/* dv-project.h — a workbench session as a JSON project file.
 *
 * What this is for: saving and reopening what a session is: the model
 * description (engine/dv-desc-json), the weights (a checkpoint beside the
 * project, optional), the weight seed, the stimulus (data set, sample,
 * presentation settings), the training settings and the view layout, so a
 * session can be saved, shared and reproduced.  GTK-free: tests check it
 * without a display.
 *
 *   { "format": "dynvision-workbench-project", "version": 1,
 *     "model": { …description… }, "weights": "run.safetensors" | null, "seed": 0,
 *     "stimulus": { "dataset": "embedded", "sample": 3,
 *                   "presentation": "loader=StimulusDuration n_timesteps=20 …" },
 *     "training": { "epochs": "5", … }, "view": { "layer": "V2", … },
 *     "run": { …the training panel's last run (dv-project-run.c)… } }
 *
 * "weights" is relative to the project file's folder.  Saving writes a
 * temporary file and renames it over the old one, so a failed save never
 * destroys the file that was there.  Loading checks everything and names
 * the file, the entry and the fix.  "run" is optional (files saved before it
 * existed open without one).
 * What this is not for: applying a project to a running session (dv-workbench-train.c).
 */
#pragma once

#include "dv-desc.h"

G_BEGIN_DECLS

#define DV_PROJECT_FORMAT "dynvision-workbench-project"
#define DV_PROJECT_VERSION 1

/* What the training panel showed of its last run: the state it was in, the
 * run folder (a reference: the checkpoints stay there) and a copy of the
 * curves and the dynamics-over-training heatmap, so they come back even when
 * the folder has gone.  Arrays are owned. */
typedef struct {
  char *state;             /* "finished", "stopped", "failed", "running", "paused", "preparing" */
  char *message;           /* what the panel said, or NULL */
  char *folder;            /* the run folder (absolute), or NULL */
  char *best, *last;       /* checkpoint file names inside folder, or NULL */
  char *probe;             /* the probe stimulus' caption, or NULL */
  int epochs;              /* planned */
  int n_epochs;            /* finished epochs: the four arrays below have n_epochs */
  double *train_loss, *val_loss, *train_accuracy, *val_accuracy;
  int n_running;           /* the running mean within epochs ("train (running)") */
  double *running_x, *running_loss, *running_accuracy;
  int n_rows, n_layers, T; /* the heatmap: values [n_rows][n_layers][T] */
  double dt;
  char **layers;           /* n_layers names */
  int *row_epochs;         /* [n_rows] */
  guint8 *flags;           /* [T] DvPlotStepFlags, or NULL */
  float *values;
} DvProjectRun;

DvProjectRun *dv_project_run_new (void);
void          dv_project_run_free (DvProjectRun *run);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvProjectRun, dv_project_run_free)
DvJson       *dv_project_run_to_json (const DvProjectRun *run);
/* Every array checked against its count; the message names the member. */
DvProjectRun *dv_project_run_from_json (const DvJson *node, GError **error);

typedef struct {
  DvModelDesc *desc;       /* owned; validated */
  char *weights;           /* absolute path of the checkpoint, or NULL (fresh weights) */
  guint64 seed;
  char *dataset;           /* data set spec ("embedded") */
  int sample;
  char *presentation;      /* "key=value key=value …" (dv_presentation_to_string) */
  char **training;         /* "key=value" training settings, or NULL */
  char **view;             /* "key=value" view layout, or NULL */
  DvProjectRun *run;       /* the training panel's last run, or NULL (none, or an older file) */
} DvProject;

DvProject *dv_project_new (void);
void       dv_project_free (DvProject *project);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvProject, dv_project_free)

/* weights, when set, is stored relative to path's folder when it lies inside it. */
gboolean   dv_project_save (const DvProject *project, const char *path, GError **error);
DvProject *dv_project_load (const char *path, GError **error);

G_END_DECLS
