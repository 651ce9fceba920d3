/* dv-wb-application.h — the GtkApplication of dynvision-workbench.
 *
 * What this is for: id org.dynvision.Workbench, the command line (a
 * checkpoint to open, --sample, --seed, --dataset, --presentation,
 * --screenshot FILE --steps N, --export-all DIR, --version), app.about and
 * app.quit, the settings an interactive window starts from (dv-wb-settings.h),
 * and one window per invocation.
 * What this is not for: the session (dv-workbench.c) or the window (ui/).
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define DV_TYPE_WB_APPLICATION (dv_wb_application_get_type ())
G_DECLARE_FINAL_TYPE (DvWbApplication, dv_wb_application, DV, WB_APPLICATION, GtkApplication)

DvWbApplication *dv_wb_application_new (void);
/* Non-zero when a --screenshot/--export-all run failed. */
int              dv_wb_application_get_status (DvWbApplication *self);

G_END_DECLS
