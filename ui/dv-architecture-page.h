/* dv-architecture-page.h — the "Architecture" page of the workbench window.
 *
 * What this is for: editing the model the engine runs: the model-wide
 * settings, the areas and connections as fields (each edit validated at once
 * by a DvArchEdit; a refused value stays in its field, marked, with the
 * reason under it), presets (built-in and from plugins), undo/redo, the
 * diagram (click an element to select it), apply and the two resets.
 *
 * Properties (read-only unless said): "edit" (DvArchEdit*, owned by the
 * page), "modified", "can-undo", "can-redo", "apply-label", "state",
 * "report" (the answer to the last apply/reset), "warnings", "preset" (the
 * preset list's selection), "reset-seed" (read-write: the seed a full reset
 * draws new weights from, 0 .. G_MAXINT32), "sequence-steps" (read-write: the
 * length of the sequence on show — the window binds it to the live view's "steps" —
 * so that a delay it is too short for is warned about; 0: unknown), "keep-weights"
 * (read-write, the "Keep matching weights" check button: applying a preset put in the
 * edit by Use Preset keeps the current model's weights whose name and shape match;
 * off, the default, it gets fresh weights from "reset-seed").
 *
 * Actions (dv-architecture-page-actions.c; reachable from the page and its
 * children): arch.apply, arch.soft-reset, arch.full-reset, arch.undo
 * (Ctrl+Z), arch.redo (Ctrl+Shift+Z), arch.use-preset, arch.add-area,
 * arch.move-area (int: -1 earlier, +1 later), arch.remove-area,
 * arch.add-connection, arch.remove-connection.
 *
 * Signals: ::apply-architecture (DvModelDesc *desc) and ::reset-model
 * (gboolean full) ask the owner to run them on its engine thread; it answers
 * with dv_architecture_page_applied().  ::error (char *message): something
 * the window's banner should say.
 *
 * What this is not for: validation (engine/dv-arch-edit.c) or running and
 * rebuilding models (app/workbench/).
 */
#pragma once

#include <gtk/gtk.h>

#include "dv-arch-edit.h"
#include "dv-model-edit.h"
#include "dv-plot-view.h"

G_BEGIN_DECLS

#define DV_TYPE_ARCHITECTURE_PAGE (dv_architecture_page_get_type ())
G_DECLARE_FINAL_TYPE (DvArchitecturePage, dv_architecture_page, DV, ARCHITECTURE_PAGE, GtkBox)

DvArchEdit *dv_architecture_page_get_edit (DvArchitecturePage *self);
/* The model the engine runs now; follow: it changed from outside (a
 * checkpoint), the edit restarts from it. */
void        dv_architecture_page_set_model_desc (DvArchitecturePage *self, const DvModelDesc *desc,
                                                 gboolean follow);
/* The answer to ::apply-architecture / ::reset-model: shown in the report
 * (message, then every tensor's fate when `transfer` is not NULL) and, when
 * !ok, emitted as ::error. */
void        dv_architecture_page_applied (DvArchitecturePage *self, gboolean ok, const char *message,
                                          const DvTransferReport *transfer, const DvModelDesc *desc);
/* Sets a field as typing it would: TRUE when accepted; a refused value stays
 * in its field, marked, with its message (and in *error). */
gboolean    dv_architecture_page_set_field (DvArchitecturePage *self, const char *path,
                                            const char *value, GError **error);
/* The message under the field of `path` ("" when none). */
const char *dv_architecture_page_get_field_message (DvArchitecturePage *self, const char *path);
/* What the field of `path` shows: a text field's text, a drop-down's chosen option (NULL for
 * none chosen, switches, unknown paths). */
const char *dv_architecture_page_get_field_text (DvArchitecturePage *self, const char *path);
const char *dv_architecture_page_get_preset (DvArchitecturePage *self);
const char *dv_architecture_page_get_report (DvArchitecturePage *self);
/* Loads a model plugin: its presets join the preset list.  A failure is
 * also emitted as ::error. */
gboolean    dv_architecture_page_load_plugin (DvArchitecturePage *self, const char *path,
                                              GError **error);
/* TRUE when the apply being asked for builds a preset that Use Preset put in the edit (since
 * the model last changed) with fresh weights of *seed ("reset-seed"): "keep-weights" is off.
 * FALSE: an edit, or a preset that keeps the weights that match. */
gboolean    dv_architecture_page_get_fresh_apply (DvArchitecturePage *self, guint *seed);
guint       dv_architecture_page_get_reset_seed (DvArchitecturePage *self);
void        dv_architecture_page_set_reset_seed (DvArchitecturePage *self, guint seed);
/* The diagram (exported as the "architecture" view). */
DvPlotView *dv_architecture_page_get_diagram (DvArchitecturePage *self);

G_END_DECLS
