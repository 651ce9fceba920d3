/* dv-workbench.h — one workbench session: a window wired to an engine thread.
 *
 * What this is for: building the model (the CustomRCNN preset with fresh
 * weights, or a checkpoint), opening the stimulus set, starting the engine
 * thread and connecting it to a DvWbWindow: the window's requests become
 * engine commands, the engine's frames become the window's history, and
 * every error becomes the window's banner (never a crash).
 * What this is not for: the application object or command-line parsing
 * (main.c, dv-wb-application.c).
 */
#pragma once

#include <gtk/gtk.h>

#include "dv-wb-window.h"

G_BEGIN_DECLS

typedef struct {
  const char *checkpoint;          /* NULL: the preset */
  const char *dataset;             /* data set spec, NULL: "embedded" */
  int sample;                      /* first stimulus */
  guint64 seed;                    /* preset weights */
  const char *const *presentation; /* extra "key=value" presentation settings, or NULL */
  gboolean autoplay;               /* start playing */
} DvWorkbenchOptions;

typedef struct _DvWorkbench DvWorkbench;

/* The default presentation: StimulusDuration, T = 20, intro 2, stimulus 10. */
extern const char *const dv_workbench_default_presentation[];

/* Never fails for a bad checkpoint or data set (the preset / the embedded
 * set is used instead and the banner says why); NULL only when not even the
 * preset can be built.  The session belongs to its window: destroying the
 * window stops the engine thread and frees the session. */
DvWorkbench *dv_workbench_new (GtkApplication *app, const DvWorkbenchOptions *options,
                               GError **error);
DvWbWindow  *dv_workbench_get_window (DvWorkbench *wb);

G_END_DECLS
