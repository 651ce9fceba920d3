/* dv-arch-edit.h — editing a model description field by field, with undo.
 *
 * What this is for: the workbench's architecture editor (and anything else
 * that edits a model as text): an editable copy of a DvModelDesc whose
 * fields are addressed by short paths, where every edit is validated as it
 * is made — a refused edit changes nothing and its GError names the path,
 * the value, why it does not fit and what would — plus adding, removing and
 * reordering areas and connections, loading presets (built-in and
 * plugin-registered) and an undo/redo stack.  It also remembers the
 * description the engine runs ("applied"), so a caller can tell whether the
 * current edit needs a rebuild or is a soft change.
 * What this is not for: building or running models (dv-model.h), carrying
 * weights over (dv-model-edit.h), widgets.  No GTK.
 *
 * Path grammar (names are case-sensitive, keywords are not):
 *
 *   model-wide   dt | tau | t_feedforward | t_recurrence | t_skip | t_feedback
 *                | dynamics_solver | idle_timesteps | feedforward_only
 *                | recurrence_type | recurrence_target
 *                tau, t_feedforward, t_recurrence, recurrence_type and
 *                recurrence_target also set every area's own value;
 *                t_skip / t_feedback every skip / feedback delay.
 *                Aliases: solver, idle, ffonly, tff, trc, tsk, tfb, rctype,
 *                rctarget (DynVision's).
 *   per area     AREA.FIELD, FIELD one of
 *                name | channels | kernel | stride | pool | pool_kernel
 *                | pool_stride | recurrence_type | recurrence_target
 *                | recurrence_kernel | tau | t_feedforward | t_recurrence
 *                "kernel"/"stride" are the area's feedforward convolution
 *                (its pre-convolution when it has one); "channels" its
 *                output channels (and the following area's input).
 *   connection   KIND.SOURCE->TARGET.FIELD, KIND skip | feedback, FIELD
 *                delay (ms) | integration (additive | multiplicative)
 *                | source | target
 *
 * Values are text: numbers in C locale ("20", "2.5"), booleans
 * true/false/1/0/yes/no/on/off, enum names as DynVision writes them
 * ("depthpointwise", "rk4", "max").
 *
 * Threads: an edit belongs to one thread (the workbench's main thread).
 */
#pragma once

#include "dv-desc.h"

G_BEGIN_DECLS

typedef struct _DvArchEdit DvArchEdit;

/* Starts editing a copy of `applied` (validated; must be valid). */
DvArchEdit *dv_arch_edit_new (const DvModelDesc *applied);
void        dv_arch_edit_free (DvArchEdit *e);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvArchEdit, dv_arch_edit_free)

/* The description as edited (always valid: refused edits never land). */
const DvModelDesc *dv_arch_edit_get_desc (DvArchEdit *e);
/* What the engine runs now. */
const DvModelDesc *dv_arch_edit_get_applied (DvArchEdit *e);
/* The engine now runs `desc` (after an apply: the edit stays as it is and
 * keeps its undo history).  With `follow`, the model changed from outside
 * (a checkpoint was opened): the edit restarts from it and the undo history
 * is cleared. */
void        dv_arch_edit_set_applied (DvArchEdit *e, const DvModelDesc *desc, gboolean follow);
/* The edit differs from what runs / that difference needs a rebuild (else
 * it is a soft change: tau, dt, solver, delays within the history). */
gboolean    dv_arch_edit_is_modified (DvArchEdit *e);
gboolean    dv_arch_edit_needs_rebuild (DvArchEdit *e);
/* Changes with every edit, undo, redo and set_applied (for views). */
guint       dv_arch_edit_get_serial (DvArchEdit *e);

/* A field's current value as text (g_free), or NULL with an error for an
 * unknown path. */
char       *dv_arch_edit_get (DvArchEdit *e, const char *path, GError **error);
/* Sets a field; refused (nothing changes) with a message naming the path,
 * the value, the reason and what would fit. */
gboolean    dv_arch_edit_set (DvArchEdit *e, const char *path, const char *value, GError **error);

/* Areas: a new area at `position` (0 … n_layers) shaped like its
 * neighbour, named *name_out (g_free, may be NULL); removing drops the
 * connections that touch it; move by delta positions. */
gboolean    dv_arch_edit_add_area (DvArchEdit *e, int position, char **name_out, GError **error);
gboolean    dv_arch_edit_remove_area (DvArchEdit *e, const char *area, GError **error);
gboolean    dv_arch_edit_move_area (DvArchEdit *e, const char *area, int delta, GError **error);

/* Connections (DynVision's Skip/Feedback: a 1×1 conv when the channel
 * counts differ, then a nearest resize), addressed by kind, source and
 * target. */
gboolean    dv_arch_edit_add_conn (DvArchEdit *e, DvConnKind kind, const char *source,
                                   const char *target, GError **error);
gboolean    dv_arch_edit_remove_conn (DvArchEdit *e, DvConnKind kind, const char *source,
                                      const char *target, GError **error);
/* "skip.V1->V3" (g_free): the path prefix of connection i. */
char       *dv_arch_edit_conn_path (const DvModelDesc *desc, int i);

/* Replaces the model by a preset (built-in or registered by a plugin),
 * keeping the input size and number of classes. */
gboolean    dv_arch_edit_load_preset (DvArchEdit *e, const char *name, GError **error);
/* Every preset name, built-in ones first (g_strfreev). */
char      **dv_arch_edit_preset_names (void);

gboolean    dv_arch_edit_can_undo (DvArchEdit *e);
gboolean    dv_arch_edit_can_redo (DvArchEdit *e);
/* What the next undo / redo would revert / repeat ("V1.tau = 20"), or NULL. */
const char *dv_arch_edit_undo_label (DvArchEdit *e);
const char *dv_arch_edit_redo_label (DvArchEdit *e);
gboolean    dv_arch_edit_undo (DvArchEdit *e);
gboolean    dv_arch_edit_redo (DvArchEdit *e);

G_END_DECLS
