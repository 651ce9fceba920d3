/* dv-workbench.h — one workbench session: a window wired to an engine thread.
 *
 * What this is for: building the model (the trained CustomRCNN the project ships, the
 * CustomRCNN preset with fresh weights, or a checkpoint), opening the stimulus set, starting the engine
 * thread and connecting it to a DvWbWindow: the window's requests become
 * engine commands, the engine's frames become the window's history, and
 * every error becomes the window's banner (never a crash).
 * What this is not for: the application object or command-line parsing
 * (main.c, dv-wb-application.c).
 */
#pragma once

#include <gtk/gtk.h>

#include "dv-engine-thread.h"
#include "dv-wb-window.h"

G_BEGIN_DECLS

typedef struct {
  const char *checkpoint;          /* NULL: the preset */
  const char *model_spec;          /* the checkpoint's model where it does not say ("PRESET k=v …"), or NULL */
  const char *dataset;             /* data set spec, NULL: "embedded" */
  gsize history_bytes;             /* memory for recorded frames, both copies; 0: default */
  int sample;                      /* first stimulus */
  guint64 seed;                    /* preset weights */
  gboolean trained_default;        /* no checkpoint: open the shipped trained CustomRCNN
                                    * (dv_workbench_trained_model_path) instead of fresh weights */
  const char *const *presentation; /* extra "key=value" presentation settings, or NULL */
  gboolean autoplay;               /* start playing */
} DvWorkbenchOptions;

typedef struct _DvWorkbench DvWorkbench;

/* The default presentation: StimulusDuration, T = 20, intro 2, stimulus 10. */
extern const char *const dv_workbench_default_presentation[];
/* Default of DvWorkbenchOptions.history_bytes: 512 MB (256 MB per copy). */
#define DV_WORKBENCH_DEFAULT_HISTORY_BYTES ((gsize) 512 << 20)

/* The model, data set and presentation a session with these options starts
 * from (for the session, or a headless engine thread).  A checkpoint or data
 * set that cannot be opened falls back to the preset / the embedded set and
 * adds a message to problems (g_free'd strings); FALSE only when not even the
 * preset can be built.  setup_clear frees what the engine thread did not take. */
gboolean     dv_workbench_setup_init (DvEngineSetup *setup, const DvWorkbenchOptions *options,
                                      GPtrArray *problems, GError **error);
void         dv_workbench_setup_clear (DvEngineSetup *setup);

/* Never fails for a bad checkpoint or data set (the preset / the embedded
 * set is used instead and the banner says why); NULL only when not even the
 * preset can be built.  The session belongs to its window: destroying the
 * window stops the engine thread and frees the session. */
/* The shipped trained CustomRCNN (train/models/customrcnn-embedded.safetensors): the source
 * tree's copy when this program runs from its build tree, else the installed one
 * (DATADIR/dynvision/models), else the source tree's; NULL when neither exists. */
char        *dv_workbench_trained_model_path (void);
/* The labels the window shows for the start model. */
#define DV_WORKBENCH_TRAINED_LABEL "CustomRCNN (trained on the embedded set)"

DvWorkbench *dv_workbench_new (GtkApplication *app, const DvWorkbenchOptions *options,
                               GError **error);
DvWbWindow  *dv_workbench_get_window (DvWorkbench *wb);
/* The session's engine thread (valid while the window lives). */
DvEngineThread *dv_workbench_get_engine (DvWorkbench *wb);
/* The longest time the main thread spent taking in one batch of engine
 * news (syncing the history and refilling the views) since the last call,
 * in µs; resets it. */
gint64       dv_workbench_take_max_news_us (DvWorkbench *wb);
/* How many times the engine said it had news, and how many syncs took them
 * in, since the session began: at most one sync per frame of a mapped window
 * however many news arrive in between. */
void         dv_workbench_get_news_counts (DvWorkbench *wb, guint64 *n_news, guint64 *n_syncs);

G_END_DECLS
