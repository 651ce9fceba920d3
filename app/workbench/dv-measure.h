/* dv-measure.h — `dynvision-workbench --measure`: how much the window costs the engine.
 *
 * What this is for: running the engine flat out (every sequence to its end,
 * then the next sample) on the session's model and stimuli, first headless
 * (an engine thread with no window) and then with the workbench window
 * following the newest step every frame, alternating twice; it reports the
 * engine's steps/s in both (per wall-clock second, and per second of the
 * engine thread's CPU time, which other programs' load does not skew),
 * their ratios, the main thread's CPU share, the main loop's frame
 * intervals (longest, 99th percentile, median), the most main-thread CPU
 * time between two frames (the frame's own cost, without time the thread
 * waited for a core), its longest batch of engine news, and how many engine
 * callbacks and history syncs there were (at most one sync per frame) while
 * the window is attached.  The figures are handed to
 * `done` (the application prints them).
 * What this is not for: benchmarking the engine's kernels (bench/).
 */
#pragma once

#include <gtk/gtk.h>

#include "dv-workbench.h"

G_BEGIN_DECLS

typedef struct {
  double seconds;            /* per phase */
  double headless_steps_per_s;
  double ui_steps_per_s;
  double headless_each[2], ui_each[2];
  double ratio;              /* ui / headless */
  double headless_cpu_steps_per_s, ui_cpu_steps_per_s;  /* per engine-thread CPU second */
  double cpu_ratio;
  double main_thread_share;  /* main thread CPU time / wall time with the window */
  double frame_max_ms, frame_p99_ms, frame_median_ms;
  double frame_cpu_max_ms;   /* the most main-thread CPU time spent between two frames */
  int n_frames;
  double news_max_ms;        /* longest engine-news handling on the main thread (wall clock) */
  guint64 n_news, n_syncs;   /* engine callbacks and history syncs while the window follows */
} DvMeasureResult;

typedef void (*DvMeasureDone) (const DvMeasureResult *result, const char *error,
                               gpointer user_data);

/* `seconds` per phase (four phases, each after a 0.5 s warm-up); holds app
 * (may be NULL) while it runs.  done gets the result, or NULL and an error. */
void dv_measure_start (GtkApplication *app, const DvWorkbenchOptions *options, double seconds,
                       DvMeasureDone done, gpointer user_data);

G_END_DECLS
