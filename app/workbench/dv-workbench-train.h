/* dv-workbench-train.h — the session's side of training, checkpoints and projects.
 *
 * What this is for: turning the window's ::train-start, ::train-control,
 * ::export-checkpoint, ::export-dynvision, ::save-project and ::open-project into work on the
 * engine thread (dv-engine-thread-train.h, engine calls), and the training job's
 * news into the window's training panel.  Runs go to
 * g_get_user_data_dir()/dynvision/runs/YYYYMMDD-HHMMSS/.
 * What this is not for: widgets (ui/) or the training loop (train/).
 */
#pragma once

#include "dv-engine-thread.h"
#include "dv-wb-window.h"

G_BEGIN_DECLS

typedef struct _DvWorkbenchTrain DvWorkbenchTrain;

DvWorkbenchTrain *dv_workbench_train_new (DvWbWindow *window, DvEngineThread *engine);
/* Stops a run and disconnects; call before the engine thread is freed. */
void              dv_workbench_train_free (DvWorkbenchTrain *wt);

/* The folder new runs go into. */
char             *dv_workbench_runs_dir (void);

G_END_DECLS
