/* dv-plot-view.c — a GtkWidget drawing a borrowed DvPlot (see dv-plot-view.h).
 *
 * What this is for: measure, snapshot and pointer input for the plot views.
 * What this is not for: layout of the plot itself (plot/ does that).
 */
#include "dv-plot-view.h"

struct _DvPlotView {
  GtkWidget parent_instance;
  DvPlot plot;
  int min_w, min_h;
  char *name;
};

G_DEFINE_FINAL_TYPE (DvPlotView, dv_plot_view, GTK_TYPE_WIDGET)

enum { SIGNAL_POINTER, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
dv_plot_view_measure (GtkWidget *widget, GtkOrientation orientation, int for_size, int *minimum,
                      int *natural, int *minimum_baseline, int *natural_baseline)
{
  DvPlotView *self = DV_PLOT_VIEW (widget);
  /* wider is better for time axes; height comes from the layout (expand) */
  int m = orientation == GTK_ORIENTATION_HORIZONTAL ? self->min_w : self->min_h;
  *minimum = m;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? m * 3 / 2 : m;
}

static void
dv_plot_view_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  DvPlotView *self = DV_PLOT_VIEW (widget);
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  if (self->plot.klass == NULL || w <= 0 || h <= 0)
    return;
  cairo_t *cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, w, h));
  dv_plot_draw (self->plot, cr, w, h);
  cairo_destroy (cr);
}

static void
on_pressed (GtkGestureClick *gesture, int n_press, double x, double y, DvPlotView *self)
{
  g_signal_emit (self, signals[SIGNAL_POINTER], 0, x, y);
}

static void
on_drag_update (GtkGestureDrag *gesture, double dx, double dy, DvPlotView *self)
{
  double x0, y0;
  if (gtk_gesture_drag_get_start_point (gesture, &x0, &y0))
    g_signal_emit (self, signals[SIGNAL_POINTER], 0, x0 + dx, y0 + dy);
}

static void
dv_plot_view_finalize (GObject *object)
{
  DvPlotView *self = DV_PLOT_VIEW (object);
  g_free (self->name);
  G_OBJECT_CLASS (dv_plot_view_parent_class)->finalize (object);
}

static void
dv_plot_view_class_init (DvPlotViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  object_class->finalize = dv_plot_view_finalize;
  widget_class->measure = dv_plot_view_measure;
  widget_class->snapshot = dv_plot_view_snapshot;
  gtk_widget_class_set_css_name (widget_class, "plotview");

  /* ::pointer (x, y): a press or a drag position in widget coordinates */
  signals[SIGNAL_POINTER] = g_signal_new ("pointer", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_DOUBLE,
                                          G_TYPE_DOUBLE);
}

static void
dv_plot_view_init (DvPlotView *self)
{
  self->min_w = 240;
  self->min_h = 160;
  GtkGesture *click = gtk_gesture_click_new ();
  g_signal_connect (click, "pressed", G_CALLBACK (on_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
  GtkGesture *drag = gtk_gesture_drag_new ();
  g_signal_connect (drag, "drag-update", G_CALLBACK (on_drag_update), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drag));
}

GtkWidget *
dv_plot_view_new (void)
{
  return g_object_new (DV_TYPE_PLOT_VIEW, NULL);
}

void
dv_plot_view_set_plot (DvPlotView *self, DvPlot plot)
{
  g_return_if_fail (DV_IS_PLOT_VIEW (self));
  self->plot = plot;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

DvPlot
dv_plot_view_get_plot (DvPlotView *self)
{
  DvPlot none = { NULL, NULL };
  g_return_val_if_fail (DV_IS_PLOT_VIEW (self), none);
  return self->plot;
}

void
dv_plot_view_set_min_size (DvPlotView *self, int width, int height)
{
  g_return_if_fail (DV_IS_PLOT_VIEW (self));
  self->min_w = width;
  self->min_h = height;
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

void
dv_plot_view_set_name (DvPlotView *self, const char *name)
{
  g_return_if_fail (DV_IS_PLOT_VIEW (self));
  g_free (self->name);
  self->name = g_strdup (name);
}

const char *
dv_plot_view_get_name (DvPlotView *self)
{
  g_return_val_if_fail (DV_IS_PLOT_VIEW (self), NULL);
  return self->name;
}

/* The size a view is exported at: its own, at least its minimum; 720×420 if never shown. */
static void
export_size (DvPlotView *self, double *width, double *height)
{
  double w = MAX (gtk_widget_get_width (GTK_WIDGET (self)), self->min_w);
  double h = MAX (gtk_widget_get_height (GTK_WIDGET (self)), self->min_h);
  /* a view that was never shown gets a readable default size */
  if (!gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      w = MAX (w, 720);
      h = MAX (h, 420);
    }
  *width = w;
  *height = h;
}

gboolean
dv_plot_view_export (DvPlotView *self, const char *stem, const DvPlotImage *images, int n_images,
                     const DvProvenance *provenance, GError **error)
{
  g_return_val_if_fail (DV_IS_PLOT_VIEW (self), FALSE);
  g_return_val_if_fail (self->plot.klass != NULL, FALSE);
  double w, h;
  export_size (self, &w, &h);
  return dv_plot_export_images (self->plot, stem, images, n_images, w, h, provenance, error);
}
