/* dv-workbench-edit.h — wiring the window's architecture editor to the
 * engine thread (part of the session, dv-workbench.c).
 *
 * What this is for: ::apply-architecture and ::reset-model become engine
 * commands (dv-engine-thread-edit.h) whose answers go back to the window's
 * editor; when a new sequence shows a model the editor has not seen (a
 * checkpoint was opened, seeds changed the label), the editor follows the
 * running model's description.
 * What this is not for: the editor (ui/dv-wb-window-editor.c) or the
 * engine side (dv-engine-thread-edit.c).
 */
#pragma once

#include "dv-engine-thread.h"
#include "dv-wb-window.h"

G_BEGIN_DECLS

/* desc: the model the engine starts with. */
void dv_workbench_edit_attach (DvWbWindow *window, DvEngineThread *engine, const DvModelDesc *desc);
/* Main thread, after each sync that brought a new sequence. */
void dv_workbench_edit_news (DvWbWindow *window, DvEngineThread *engine);

G_END_DECLS
