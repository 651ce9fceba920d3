/* test-workbench-frames.c — the main thread's work per frame is bounded.
 *
 * What this is for: the places where a fast engine used to cost the main
 * thread more the faster it ran, checked by counting instead of timing: the
 * engine's news are taken in by at most one history sync per frame however
 * many steps the engine makes, and the engine calls back at most once per
 * sync (app/workbench/dv-workbench.c, dv-engine-thread.c); the feature maps'
 * whole-sequence colour range reads each new step once as the head moves
 * on, while holding the same range a full scan gives
 * (ui/dv-live-page-views.c); the sample picker waits for the engine's samples
 * to settle before it follows (ui/dv-live-page-stimuli.c).  The frame times themselves are `--measure`'s
 * (doc/workbench.md, "Keeping up with the engine").
 * Needs a display (xvfb-run); skips without one.
 * What this is not for: what the views draw (test-workbench.c, test-plot.c).
 */
#include <gtk/gtk.h>

#include "dv-test-gui.h"
#include "dv-engine-thread.h"
#include "dv-ui.h"
#include "dv-wb-window-private.h"
#include "dv-live-page-private.h" /* the colour range and its counter */
#include "dv-workbench.h"

#include "dv-test-wait.h"

#define LIVE(w) dv_wb_window_get_live_page (w)

typedef struct {
  DvWbWindow *window;
  DvWorkbench *wb;
} Session;

static gboolean
mapped (gpointer data)
{
  return gtk_widget_get_mapped (GTK_WIDGET (data));
}

static Session
launch_with (const char *const *presentation)
{
  g_autoptr (GError) error = NULL;
  DvWorkbenchOptions o = { .presentation = presentation };
  Session s = { 0 };
  s.wb = dv_workbench_new (NULL, &o, &error);
  g_assert_no_error (error);
  g_assert_nonnull (s.wb);
  s.window = dv_workbench_get_window (s.wb);
  gtk_window_set_default_size (GTK_WINDOW (s.window), 1400, 900);
  gtk_window_present (GTK_WINDOW (s.window));
  g_assert_true (wait_for (mapped, s.window, 60));
  return s;
}

static Session
launch (void)
{
  return launch_with (NULL);
}

static void
close_window (DvWbWindow *window)
{
  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* ---- news: one sync per frame ---------------------------------------------------------- */

typedef struct {
  DvEngineThread *engine;
  guint64 frames;
  guint64 until_steps;
  int max_head;
} Counting;

static gboolean
count_frame (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  Counting *c = data;
  c->frames++;
  /* the newest step the window has taken in, over the whole run (at its end a new
   * sequence may just have come, with none yet) */
  DvHistory *h = dv_live_page_get_history (dv_wb_window_get_live_page (DV_WB_WINDOW (widget)));
  c->max_head = MAX (c->max_head, h->head);
  return G_SOURCE_CONTINUE;
}

static gboolean
enough_steps (gpointer data)
{
  Counting *c = data;
  return dv_engine_thread_get_steps_computed (c->engine) >= c->until_steps;
}

static void
test_news_once_per_frame (void)
{
  Session s = launch ();
  DvEngineThread *engine = dv_workbench_get_engine (s.wb);
  Counting c = { engine, 0, dv_engine_thread_get_steps_computed (engine) + 600, -1 };
  guint tick = gtk_widget_add_tick_callback (GTK_WIDGET (s.window), count_frame, &c, NULL);
  guint64 news0, syncs0;
  dv_workbench_get_news_counts (s.wb, &news0, &syncs0);
  /* the engine flat out through the samples, as --measure runs it */
  dv_engine_thread_set_autoadvance (engine, TRUE);
  g_assert_true (wait_for (enough_steps, &c, 120));
  dv_engine_thread_set_autoadvance (engine, FALSE);
  guint64 news, syncs;
  dv_workbench_get_news_counts (s.wb, &news, &syncs);
  gtk_widget_remove_tick_callback (GTK_WIDGET (s.window), tick);
  g_test_message ("600 steps: %" G_GUINT64_FORMAT " news, %" G_GUINT64_FORMAT " syncs, %"
                  G_GUINT64_FORMAT " frames", news - news0, syncs - syncs0, c.frames);
  /* one sync per frame at most (the one in flight when counting began, and the frame
   * in which the count ended, aside), and no more than one engine callback per sync:
   * the engine waits for the sync before it calls again */
  g_assert_cmpuint (syncs - syncs0, >, 0);
  g_assert_cmpuint (syncs - syncs0, <=, c.frames + 2);
  g_assert_cmpuint (news - news0, <=, syncs - syncs0 + 2);
  /* the session did take the steps in */
  g_assert_cmpint (c.max_head, >=, 0);
  close_window (s.window);
}

/* ---- the whole-sequence colour range: only new steps ----------------------------------- */

typedef struct {
  DvWbWindow *window;
  int t;
} CursorAt;

static gboolean
cursor_at (gpointer data)
{
  CursorAt *c = data;
  DvHistory *h = dv_live_page_get_history (LIVE (c->window));
  return h->head >= c->t && dv_live_page_get_cursor (LIVE (c->window)) == c->t;
}

/* The range a full scan of steps 0..head of layer 0 gives (values or changes). */
static DvRange
full_scan (const DvHistory *h, gboolean diff)
{
  DvRange r;
  dv_range_init (&r);
  const DvHistoryLayer *L = &h->layers[0];
  gsize n = (gsize) L->C * L->H * L->W;
  for (int t = 0; t <= h->head; t++)
    {
      const float *m = dv_history_layer_maps (h, t, 0);
      g_assert_nonnull (m); /* the default budget keeps every step of T = 20 */
      if (!dv_history_layer_present (h, t, 0))
        continue;
      const float *prev = dv_history_layer_present (h, t - 1, 0)
                          ? dv_history_layer_maps (h, t - 1, 0) : NULL;
      for (gsize i = 0; i < n; i++)
        dv_range_include_value (&r, m[i] - (diff && prev ? prev[i] : 0));
    }
  return r;
}

static void
test_global_range_incremental (void)
{
  Session s = launch ();
  DvLivePage *live = LIVE (s.window);
  DvHistory *h = dv_live_page_get_history (live);
  dv_live_page_set_view_options (live, DV_COLORMAP_VIRIDIS, DV_SCALE_GLOBAL, FALSE, FALSE);
  dv_live_page_seek (live, 0);
  CursorAt at = { s.window, 0 };
  g_assert_true (wait_for (cursor_at, &at, 60));
  int head0 = h->head;
  guint64 scanned0 = live->global_steps_scanned;
  /* the head moves on a step at a time; the view follows each */
  for (int t = head0 + 1; t < h->T; t++)
    {
      dv_live_page_seek (live, t);
      at.t = t;
      g_assert_true (wait_for (cursor_at, &at, 60));
    }
  g_assert_cmpint (h->head, ==, h->T - 1);
  g_assert_cmpint (live->global_head, ==, h->head);
  /* each new step was read once, not the whole sequence at every step */
  g_assert_cmpuint (live->global_steps_scanned - scanned0, ==, (guint64) (h->head - head0));
  DvRange full = full_scan (h, FALSE);
  g_assert_cmpfloat (live->global.min, ==, full.min);
  g_assert_cmpfloat (live->global.max, ==, full.max);
  g_assert_cmpfloat (live->fmap.global.max, ==, full.max);
  /* another mode reads the kept steps again, once */
  guint64 scanned1 = live->global_steps_scanned;
  dv_live_page_set_view_options (live, DV_COLORMAP_DIVERGING, DV_SCALE_GLOBAL, TRUE, FALSE);
  g_assert_cmpuint (live->global_steps_scanned - scanned1, ==, (guint64) h->head + 1);
  DvRange dfull = full_scan (h, TRUE);
  g_assert_cmpfloat (live->global.min, ==, dfull.min);
  g_assert_cmpfloat (live->global.max, ==, dfull.max);
  /* scrubbing back reads nothing */
  guint64 scanned2 = live->global_steps_scanned;
  dv_live_page_seek (live, 3);
  g_assert_cmpint (dv_live_page_get_cursor (live), ==, 3);
  g_assert_cmpuint (live->global_steps_scanned, ==, scanned2);
  close_window (s.window);
}

/* ---- the sample picker follows settled samples ---------------------------------------- */

typedef struct {
  DvLivePage *live;
  int samples_seen, last_sample;
  int until;
} Samples;

static gboolean
count_samples (gpointer data)
{
  Samples *c = data;
  DvHistory *h = dv_live_page_get_history (c->live);
  if (h->T > 0 && h->sample != c->last_sample)
    {
      c->last_sample = h->sample;
      c->samples_seen++;
    }
  return c->samples_seen >= c->until;
}

static void
on_selected (GObject *obj, GParamSpec *pspec, int *changes)
{
  (*changes)++;
}

static gboolean
picker_shows_sample (gpointer data)
{
  DvLivePage *live = data;
  return live->thumb_follow_source == 0
         && gtk_single_selection_get_selected (live->thumb_selection)
            == (guint) dv_live_page_get_history (live)->sample;
}

static void
test_picker_follows_settled (void)
{
  /* short sequences: many samples a second, even on a loaded machine */
  const char *const presentation[] = { "loader=StimulusDuration", "n_timesteps=4",
                                       "intro_duration=1", "stimulus_duration=2", NULL };
  Session s = launch_with (presentation);
  DvLivePage *live = LIVE (s.window);
  /* the window's first sample is followed at once */
  g_assert_true (wait_for (picker_shows_sample, live, 60));
  int changes = 0;
  gulong id = g_signal_connect (live->thumb_selection, "notify::selected",
                                G_CALLBACK (on_selected), &changes);
  Samples c = { live, 0, dv_live_page_get_history (live)->sample, 40 };
  dv_engine_thread_set_autoadvance (dv_workbench_get_engine (s.wb), TRUE);
  g_assert_true (wait_for (count_samples, &c, 120));
  dv_engine_thread_set_autoadvance (dv_workbench_get_engine (s.wb), FALSE);
  int during = changes;
  g_test_message ("%d samples shown, the picker moved %d times", c.samples_seen, during);
  /* samples a few ms apart: the picker waits for them to settle */
  g_assert_cmpint (during, <, c.samples_seen / 2);
  /* and then shows the sample the window shows */
  g_assert_true (wait_for (picker_shows_sample, live, 30));
  g_signal_handler_disconnect (live->thumb_selection, id);
  close_window (s.window);
}

int
main (int argc, char **argv)
{
  dv_test_gui_init (&argc, &argv);
  dv_test_add_gui ("/workbench/frames/news-once-per-frame", test_news_once_per_frame);
  dv_test_add_gui ("/workbench/frames/global-range-only-new-steps", test_global_range_incremental);
  dv_test_add_gui ("/workbench/frames/picker-follows-settled-samples", test_picker_follows_settled);
  return g_test_run ();
}
