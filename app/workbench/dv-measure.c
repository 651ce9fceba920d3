/* dv-measure.c — throughput with and without the window, and frame times (see dv-measure.h).
 *
 * What this is for: a small state machine on the main loop: phase 0 and 2
 * run a headless engine thread flat out, phase 1 and 3 a workbench window
 * whose cursor follows the newest step at every frame; each phase warms up
 * for half a second and then counts the engine's timesteps for `seconds`.
 * What this is not for: correctness (the tests) or kernel speed (bench/).
 */
#include "dv-measure.h"

#include <stdlib.h>
#include <time.h>

#include "dv-ui.h"

#define N_PHASES 4
#define WARMUP_MS 500

typedef struct {
  GtkApplication *app;
  DvWorkbenchOptions options;
  char *checkpoint, *dataset;
  char **presentation;
  double seconds;
  DvMeasureDone done;
  gpointer done_data;

  int phase;
  DvEngineThread *engine;     /* headless phases */
  DvWorkbench *wb;            /* window phases */
  DvWbWindow *window;
  guint tick, timer;
  gboolean measuring;
  guint64 steps0;
  gint64 t0, last_frame;
  double cpu0, main_cpu0, last_frame_cpu;
  double frame_cpu_max_ms;      /* the most main-thread CPU time between two frames */
  GArray *frames;             /* double, ms between frames */
  double rate[N_PHASES];        /* steps per wall-clock second */
  double cpu_rate[N_PHASES];    /* steps per second of engine-thread CPU time */
  double main_share[N_PHASES];  /* main thread's CPU time / wall time */
  double news_max_ms;
  guint64 news0, syncs0, n_news, n_syncs;
} Measure;

static void next_phase (Measure *m);

static double
main_thread_cpu (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void
measure_free (Measure *m)
{
  g_free (m->checkpoint);
  g_free (m->dataset);
  g_strfreev (m->presentation);
  g_array_unref (m->frames);
  g_free (m);
}

static int
compare_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static void
finish (Measure *m, const char *error)
{
  DvMeasureResult r = { 0 };
  if (error == NULL)
    {
      r.headless_steps_per_s = (m->rate[0] + m->rate[2]) / 2;
      r.ui_steps_per_s = (m->rate[1] + m->rate[3]) / 2;
      r.ratio = r.headless_steps_per_s > 0 ? r.ui_steps_per_s / r.headless_steps_per_s : 0;
      r.headless_cpu_steps_per_s = (m->cpu_rate[0] + m->cpu_rate[2]) / 2;
      r.ui_cpu_steps_per_s = (m->cpu_rate[1] + m->cpu_rate[3]) / 2;
      r.cpu_ratio = r.headless_cpu_steps_per_s > 0
                    ? r.ui_cpu_steps_per_s / r.headless_cpu_steps_per_s : 0;
      r.main_thread_share = (m->main_share[1] + m->main_share[3]) / 2;
      g_array_sort (m->frames, compare_double);
      r.n_frames = (int) m->frames->len;
      if (r.n_frames > 0)
        {
          double *f = (double *) m->frames->data;
          r.frame_max_ms = f[r.n_frames - 1];
          r.frame_p99_ms = f[MIN (r.n_frames - 1, (int) (0.99 * r.n_frames))];
          r.frame_median_ms = f[r.n_frames / 2];
        }
      r.news_max_ms = m->news_max_ms;
      r.n_news = m->n_news;
      r.n_syncs = m->n_syncs;
      r.frame_cpu_max_ms = m->frame_cpu_max_ms;
      r.seconds = m->seconds;
      r.headless_each[0] = m->rate[0];
      r.headless_each[1] = m->rate[2];
      r.ui_each[0] = m->rate[1];
      r.ui_each[1] = m->rate[3];
    }
  m->done (error == NULL ? &r : NULL, error, m->done_data);
  if (m->app != NULL)
    g_application_release (G_APPLICATION (m->app));
  measure_free (m);
}

/* ---- counting ------------------------------------------------------------------------ */

static gboolean
phase_over (gpointer data)
{
  Measure *m = data;
  m->timer = 0;
  DvEngineThread *engine = m->engine != NULL ? m->engine : dv_workbench_get_engine (m->wb);
  double s = (g_get_monotonic_time () - m->t0) / (double) G_USEC_PER_SEC;
  double steps = dv_engine_thread_get_steps_computed (engine) - m->steps0;
  double cpu = dv_engine_thread_get_cpu_seconds (engine) - m->cpu0;
  m->rate[m->phase] = steps / s;
  m->cpu_rate[m->phase] = cpu > 0 ? steps / cpu : 0;
  m->main_share[m->phase] = (main_thread_cpu () - m->main_cpu0) / s;
  m->measuring = FALSE;
  if (m->wb != NULL)
    {
      double news_ms = dv_workbench_take_max_news_us (m->wb) / 1000.0;
      m->news_max_ms = MAX (m->news_max_ms, news_ms);
      guint64 news, syncs;
      dv_workbench_get_news_counts (m->wb, &news, &syncs);
      m->n_news += news - m->news0;
      m->n_syncs += syncs - m->syncs0;
      gtk_widget_remove_tick_callback (GTK_WIDGET (m->window), m->tick);
      m->tick = 0;
      gtk_window_destroy (GTK_WINDOW (m->window));
      m->wb = NULL;
      m->window = NULL;
    }
  g_clear_pointer (&m->engine, dv_engine_thread_free);
  m->phase++;
  next_phase (m);
  return G_SOURCE_REMOVE;
}

static gboolean
warmed_up (gpointer data)
{
  Measure *m = data;
  DvEngineThread *engine = m->engine != NULL ? m->engine : dv_workbench_get_engine (m->wb);
  m->steps0 = dv_engine_thread_get_steps_computed (engine);
  m->cpu0 = dv_engine_thread_get_cpu_seconds (engine);
  m->main_cpu0 = main_thread_cpu ();
  m->t0 = g_get_monotonic_time ();
  m->last_frame = 0;
  m->measuring = TRUE;
  if (m->wb != NULL)
    {
      dv_workbench_take_max_news_us (m->wb);
      dv_workbench_get_news_counts (m->wb, &m->news0, &m->syncs0);
    }
  m->timer = g_timeout_add ((guint) (m->seconds * 1000), phase_over, m);
  return G_SOURCE_REMOVE;
}

static void
headless_notify (gpointer user_data)
{
  /* nobody looks: the engine's own bookkeeping is all that runs */
}

/* Every frame: note the time since the last one and show the newest step. */
static gboolean
follow_head (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  Measure *m = data;
  gint64 now = g_get_monotonic_time ();
  double cpu = main_thread_cpu ();
  if (m->measuring && m->last_frame > 0)
    {
      double ms = (now - m->last_frame) / 1000.0;
      g_array_append_val (m->frames, ms);
      m->frame_cpu_max_ms = MAX (m->frame_cpu_max_ms, (cpu - m->last_frame_cpu) * 1000);
    }
  m->last_frame = m->measuring ? now : 0;
  m->last_frame_cpu = cpu;
  DvHistory *h = dv_live_page_get_history (dv_wb_window_get_live_page (m->window));
  if (h->head >= 0 && dv_live_page_get_cursor (dv_wb_window_get_live_page (m->window)) != h->head)
    dv_live_page_seek (dv_wb_window_get_live_page (m->window), h->head);
  return G_SOURCE_CONTINUE;
}

static void
window_drawn (GObject *source, GAsyncResult *result, gpointer data)
{
  Measure *m = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkTexture) texture = dv_ui_render_widget_finish (GTK_WIDGET (source), result, &error);
  if (texture == NULL)
    {
      finish (m, error->message);
      return;
    }
  dv_engine_thread_set_autoadvance (dv_workbench_get_engine (m->wb), TRUE);
  m->tick = gtk_widget_add_tick_callback (GTK_WIDGET (m->window), follow_head, m, NULL);
  g_timeout_add (WARMUP_MS, warmed_up, m);
}

static void
next_phase (Measure *m)
{
  if (m->phase == N_PHASES)
    {
      finish (m, NULL);
      return;
    }
  g_autoptr (GError) error = NULL;
  if (m->phase % 2 == 0)
    {
      g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
      DvEngineSetup setup;
      if (!dv_workbench_setup_init (&setup, &m->options, problems, &error))
        {
          finish (m, error->message);
          return;
        }
      m->engine = dv_engine_thread_new (&setup, NULL, headless_notify, m);
      dv_workbench_setup_clear (&setup);
      dv_engine_thread_set_autoadvance (m->engine, TRUE);
      g_timeout_add (WARMUP_MS, warmed_up, m);
      return;
    }
  m->wb = dv_workbench_new (m->app, &m->options, &error);
  if (m->wb == NULL)
    {
      finish (m, error->message);
      return;
    }
  m->window = dv_workbench_get_window (m->wb);
  gtk_window_present (GTK_WINDOW (m->window));
  dv_ui_render_widget_async (GTK_WIDGET (m->window), window_drawn, m);
}

void
dv_measure_start (GtkApplication *app, const DvWorkbenchOptions *options, double seconds,
                  DvMeasureDone done, gpointer user_data)
{
  g_return_if_fail ((app == NULL || GTK_IS_APPLICATION (app)) && options != NULL && done != NULL);
  Measure *m = g_new0 (Measure, 1);
  m->app = app;
  m->options = *options;
  m->checkpoint = g_strdup (options->checkpoint);
  m->dataset = g_strdup (options->dataset);
  m->presentation = g_strdupv ((char **) options->presentation);
  m->options.checkpoint = m->checkpoint;
  m->options.dataset = m->dataset;
  m->options.presentation = (const char *const *) m->presentation;
  m->options.autoplay = FALSE;
  m->seconds = seconds > 0 ? seconds : 5;
  m->done = done;
  m->done_data = user_data;
  m->frames = g_array_new (FALSE, FALSE, sizeof (double));
  if (app != NULL)
    g_application_hold (G_APPLICATION (app));
  next_phase (m);
}
