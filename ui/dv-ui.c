/* dv-ui.c — one-time set-up of the widget library (see dv-ui.h).
 *
 * What this is for: the GResource bundle is registered by hand (it lives in a
 * static library, where a constructor could be dropped by the linker) and
 * the CSS is added for the default display.
 * What this is not for: anything per window.
 */
#include "dv-ui.h"

#include "dv-ui-resources.h"

#include <string.h>

static GThread *ui_thread; /* set once, before any window exists */

gboolean
dv_ui_is_ui_thread (void)
{
  GThread *t = g_atomic_pointer_get (&ui_thread);
  return t == NULL || t == g_thread_self ();
}

void
dv_ui_register_resources (void)
{
  static gsize done = 0;
  if (g_once_init_enter (&done))
    {
      dv_ui_register_resource ();
      g_once_init_leave (&done, 1);
    }
}

char *
dv_ui_dataset_label (const char *spec)
{
  g_return_val_if_fail (spec != NULL, NULL);
  const char *colon = strchr (spec, ':');
  if (colon == NULL)
    return g_strdup (spec);
  g_autofree char *kind = g_strndup (spec, colon - spec);
  g_autofree char *base = g_path_get_basename (colon + 1);
  return g_strdup_printf ("%s (%s)", base, kind);
}

void
dv_ui_init (void)
{
  static gsize done = 0;
  if (g_once_init_enter (&done))
    {
      g_atomic_pointer_set (&ui_thread, g_thread_self ());
      dv_ui_register_resources ();
      g_type_ensure (DV_TYPE_PLOT_VIEW);
      g_type_ensure (DV_TYPE_WB_WINDOW);
      GdkDisplay *display = gdk_display_get_default ();
      if (display != NULL)
        {
          GtkCssProvider *css = gtk_css_provider_new ();
          gtk_css_provider_load_from_resource (css, "/org/dynvision/Workbench/style.css");
          gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (css),
                                                      GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
          g_object_unref (css);
        }
      g_once_init_leave (&done, 1);
    }
}

/* The widget's current drawing as a render node, or NULL when it has been
 * invalidated since the last frame (its cached node is dropped by
 * gtk_widget_queue_draw until the next frame redraws it). */
static GskRenderNode *
current_node (GtkWidget *widget, int w, int h)
{
  GdkPaintable *paintable = gtk_widget_paintable_new (widget);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), w, h);
  g_object_unref (paintable);
  return gtk_snapshot_free_to_node (snapshot);
}

GdkTexture *
dv_ui_render_widget (GtkWidget *widget, GError **error)
{
  g_return_val_if_fail (GTK_IS_WIDGET (widget), NULL);
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  GtkNative *native = gtk_widget_get_native (widget);
  GskRenderer *renderer = native != NULL ? gtk_native_get_renderer (native) : NULL;
  if (w <= 0 || h <= 0 || renderer == NULL || !gtk_widget_get_mapped (widget))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                   "the window is not shown yet, nothing to render");
      return NULL;
    }
  GskRenderNode *node = current_node (widget, w, h);
  if (node == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PENDING,
                   "the window has not finished drawing; render after the next frame");
      return NULL;
    }
  GdkTexture *texture = gsk_renderer_render_texture (renderer, node,
                                                     &GRAPHENE_RECT_INIT (0, 0, w, h));
  gsk_render_node_unref (node);
  return texture;
}

gboolean
dv_ui_save_widget_png (GtkWidget *widget, const char *path, GError **error)
{
  g_return_val_if_fail (GTK_IS_WIDGET (widget) && path != NULL, FALSE);
  g_autoptr (GError) local = NULL;
  g_autoptr (GdkTexture) texture = dv_ui_render_widget (widget, &local);
  if (texture == NULL)
    {
      g_set_error (error, local->domain, local->code, "%s: %s", path, local->message);
      return FALSE;
    }
  if (!gdk_texture_save_to_png (texture, path))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: cannot write the PNG", path);
      return FALSE;
    }
  return TRUE;
}

/* ---- waiting for a drawn frame ------------------------------------------------------ */

#define DRAWN_TIMEOUT_S 120

typedef struct {
  GtkWidget *widget;        /* a reference */
  GdkFrameClock *clock;     /* a reference, NULL until the widget is shown */
  gulong paint_handler, map_handler, unmap_handler;
  guint timeout;
} RenderWait;

static void
render_wait_disconnect (RenderWait *rw)
{
  if (rw->clock != NULL)
    {
      g_clear_signal_handler (&rw->paint_handler, rw->clock);
      g_clear_object (&rw->clock);
    }
  g_clear_signal_handler (&rw->map_handler, rw->widget);
  g_clear_signal_handler (&rw->unmap_handler, rw->widget);
  g_clear_handle_id (&rw->timeout, g_source_remove);
}

static void
render_wait_free (gpointer data)
{
  RenderWait *rw = data;
  render_wait_disconnect (rw);
  g_object_unref (rw->widget);
  g_free (rw);
}

/* after-paint: the frame has just been drawn and nothing has had a chance
 * to invalidate it yet, so the widget's node is the one on screen */
static void
on_after_paint (GdkFrameClock *clock, GTask *task)
{
  RenderWait *rw = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  GdkTexture *texture = dv_ui_render_widget (rw->widget, &error);
  if (texture == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PENDING))
    {
      /* this frame did not redraw the widget (e.g. a resize froze it): the next one will */
      gtk_widget_queue_draw (rw->widget);
      return;
    }
  render_wait_disconnect (rw);
  if (texture != NULL)
    g_task_return_pointer (task, texture, g_object_unref);
  else
    g_task_return_error (task, g_steal_pointer (&error));
  g_object_unref (task);
}

static void
render_wait_attach (GTask *task)
{
  RenderWait *rw = g_task_get_task_data (task);
  GdkFrameClock *clock = gtk_widget_get_frame_clock (rw->widget);
  if (clock == NULL || rw->clock == clock)
    return;
  if (rw->clock != NULL)
    g_clear_signal_handler (&rw->paint_handler, rw->clock);
  g_set_object (&rw->clock, clock);
  rw->paint_handler = g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), task);
  gtk_widget_queue_draw (rw->widget);
}

static void on_unmap (GtkWidget *widget, GTask *task);

static void
on_map (GtkWidget *widget, GTask *task)
{
  RenderWait *rw = g_task_get_task_data (task);
  if (rw->unmap_handler == 0)
    rw->unmap_handler = g_signal_connect (widget, "unmap", G_CALLBACK (on_unmap), task);
  render_wait_attach (task);
}

static void
on_unmap (GtkWidget *widget, GTask *task)
{
  RenderWait *rw = g_task_get_task_data (task);
  render_wait_disconnect (rw);
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                           "the window was closed before it was drawn");
  g_object_unref (task);
}

static gboolean
on_render_timeout (gpointer data)
{
  GTask *task = data;
  RenderWait *rw = g_task_get_task_data (task);
  rw->timeout = 0;
  render_wait_disconnect (rw);
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                           "the window was not drawn within %d s", DRAWN_TIMEOUT_S);
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

void
dv_ui_render_widget_async (GtkWidget *widget, GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (GTK_IS_WIDGET (widget));
  GTask *task = g_task_new (widget, NULL, callback, user_data);
  g_task_set_source_tag (task, dv_ui_render_widget_async);
  RenderWait *rw = g_new0 (RenderWait, 1);
  rw->widget = g_object_ref (widget);
  g_task_set_task_data (task, rw, render_wait_free);
  /* the task holds itself until one of the handlers returns it */
  rw->timeout = g_timeout_add_seconds (DRAWN_TIMEOUT_S, on_render_timeout, task);
  rw->map_handler = g_signal_connect (widget, "map", G_CALLBACK (on_map), task);
  if (gtk_widget_get_mapped (widget))
    on_map (widget, task);
}

GdkTexture *
dv_ui_render_widget_finish (GtkWidget *widget, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, widget), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
