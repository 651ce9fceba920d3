/* dv-ui.c — one-time set-up of the widget library (see dv-ui.h).
 *
 * What this is for: the GResource bundle is registered by hand (it lives in a
 * static library, where a constructor could be dropped by the linker) and
 * the CSS is added for the default display.
 * What this is not for: anything per window.
 */
#include "dv-ui.h"

#include "dv-ui-resources.h"

void
dv_ui_init (void)
{
  static gsize done = 0;
  if (g_once_init_enter (&done))
    {
      dv_ui_register_resource ();
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

gboolean
dv_ui_save_widget_png (GtkWidget *widget, const char *path, GError **error)
{
  g_return_val_if_fail (GTK_IS_WIDGET (widget), FALSE);
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  GtkNative *native = gtk_widget_get_native (widget);
  GskRenderer *renderer = native != NULL ? gtk_native_get_renderer (native) : NULL;
  if (w <= 0 || h <= 0 || renderer == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "%s: the window is not shown yet, nothing to render", path);
      return FALSE;
    }
  GdkPaintable *paintable = gtk_widget_paintable_new (widget);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), w, h);
  GskRenderNode *node = gtk_snapshot_free_to_node (snapshot);
  g_object_unref (paintable);
  if (node == NULL)
    {
      /* the widget's last drawing was invalidated and the next frame has not
       * been drawn yet */
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "%s: the window has not finished drawing; render after the next frame", path);
      return FALSE;
    }
  GdkTexture *texture = gsk_renderer_render_texture (renderer, node,
                                                     &GRAPHENE_RECT_INIT (0, 0, w, h));
  gsk_render_node_unref (node);
  gboolean ok = gdk_texture_save_to_png (texture, path);
  g_object_unref (texture);
  if (!ok)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: cannot write the PNG", path);
  return ok;
}
