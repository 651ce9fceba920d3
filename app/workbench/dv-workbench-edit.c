/* dv-workbench-edit.c — the editor's requests to the engine thread and its
 * answers back (see dv-workbench-edit.h). */
#include "dv-workbench-edit.h"

#include "dv-engine-thread-edit.h"
#include "dv-wb-window.h"

#define LABEL_KEY "dv-edit-model-label"

static gpointer
weak_page (DvArchitecturePage *page)
{
  GWeakRef *ref = g_new0 (GWeakRef, 1);
  g_weak_ref_init (ref, page);
  return ref;
}

static void
weak_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

/* Main thread: the engine's answer; the window may be gone. */
static void
on_done (const DvEditResult *r, gpointer user_data)
{
  g_autoptr (DvArchitecturePage) page = g_weak_ref_get (user_data);
  if (page == NULL)
    return;
  dv_architecture_page_applied (page, r->ok, r->message, r->report.items ? &r->report : NULL, r->desc);
}

static void
on_described (const DvEditResult *r, gpointer user_data)
{
  g_autoptr (DvArchitecturePage) page = g_weak_ref_get (user_data);
  if (page != NULL && r->desc != NULL)
    dv_architecture_page_set_model_desc (page, r->desc, TRUE);
}

/* A preset put in the edit by Use Preset is built with fresh weights of the page's seed,
 * unless "Keep matching weights" is ticked; any other edit keeps what fits. */
static void
on_apply (DvArchitecturePage *page, gpointer desc, DvEngineThread *engine)
{
  guint seed = 0;
  if (dv_architecture_page_get_fresh_apply (page, &seed))
    dv_engine_thread_apply_desc_fresh (engine, desc, seed, on_done, weak_page (page), weak_free);
  else
    dv_engine_thread_apply_desc (engine, desc, on_done, weak_page (page), weak_free);
}

static void
on_reset (DvArchitecturePage *page, gboolean full, DvEngineThread *engine)
{
  dv_engine_thread_reset_model (engine, full, dv_architecture_page_get_reset_seed (page), on_done,
                                weak_page (page), weak_free);
}

void
dv_workbench_edit_attach (DvWbWindow *window, DvEngineThread *engine, const DvModelDesc *desc)
{
  g_return_if_fail (DV_IS_WB_WINDOW (window) && engine != NULL && desc != NULL);
  DvArchitecturePage *page = dv_wb_window_get_architecture_page (window);
  dv_architecture_page_set_model_desc (page, desc, TRUE);
  g_signal_connect (page, "apply-architecture", G_CALLBACK (on_apply), engine);
  g_signal_connect (page, "reset-model", G_CALLBACK (on_reset), engine);
}

void
dv_workbench_edit_news (DvWbWindow *window, DvEngineThread *engine)
{
  const char *label = dv_live_page_get_history (dv_wb_window_get_live_page (window))->model_label;
  const char *seen = g_object_get_data (G_OBJECT (window), LABEL_KEY);
  if (seen == NULL)
    {
      /* the first sequence shows the model the editor started from */
      g_object_set_data_full (G_OBJECT (window), LABEL_KEY, g_strdup (label), g_free);
      return;
    }
  if (g_strcmp0 (seen, label) == 0)
    return;
  g_object_set_data_full (G_OBJECT (window), LABEL_KEY, g_strdup (label), g_free);
  dv_engine_thread_describe (engine, on_described, weak_page (dv_wb_window_get_architecture_page (window)), weak_free);
}
