/* dv-engine-thread-edit.h — applying architecture edits on the engine thread.
 *
 * What this is for: the architecture editor's three commands, each run ON
 * THE ENGINE THREAD between timesteps (dv_engine_thread_call) and answered
 * on the main context:
 *   apply       dv_model_apply_desc: a description that differs only in soft
 *               fields (tau, dt, solver, delays within the history capacity)
 *               changes the running model in place; the sequence goes on,
 *               except that a new dt starts a new sequence (its time axis
 *               changes).  Anything else rebuilds: a new DvModel that keeps
 *               the learnt values the edit did not redefine (the result's
 *               report), then dv_engine_thread_replace_model.
 *   apply fresh a new DvModel of the description with every weight drawn
 *               from a seed (a preset from Use Preset: nothing of the running
 *               model's weights), labelled "CLASS (fresh weights, seed N)".
 *   soft reset  clears the state: the current stimulus starts again.
 *   full reset  re-initialises every weight from a seed, then starts again.
 *   describe    the running model's description (after a checkpoint opened).
 * What this is not for: the editor itself (engine/dv-arch-edit.h) or widgets.
 *
 * Threads: call from the main thread; `done` runs on the engine thread's
 * main context and may find its user_data gone (use a weak reference).
 */
#pragma once

#include "dv-engine-thread.h"
#include "dv-model-edit.h"

G_BEGIN_DECLS

typedef struct {
  gboolean ok;
  gboolean rebuilt;          /* the model was rebuilt (else changed in place, or reset) */
  char *message;             /* what happened, or why not (one sentence or more) */
  DvTransferReport report;   /* apply: every tensor's fate (kept / re-initialised / changed by
                              * the edit / dropped); items NULL for resets and failures */
  DvModelDesc *desc;         /* the running model's description afterwards */
} DvEditResult;

/* Main thread; the result is freed after it returns. */
typedef void (*DvEditDone) (const DvEditResult *result, gpointer user_data);

void dv_engine_thread_apply_desc (DvEngineThread *self, const DvModelDesc *desc, DvEditDone done,
                                  gpointer user_data, GDestroyNotify destroy);
void dv_engine_thread_apply_desc_fresh (DvEngineThread *self, const DvModelDesc *desc, guint64 seed,
                                        DvEditDone done, gpointer user_data, GDestroyNotify destroy);
/* full: re-initialise every weight from seed (dv_model_init_params); else the seed is unused. */
void dv_engine_thread_reset_model (DvEngineThread *self, gboolean full, guint64 seed,
                                   DvEditDone done, gpointer user_data, GDestroyNotify destroy);
void dv_engine_thread_describe (DvEngineThread *self, DvEditDone done, gpointer user_data,
                                GDestroyNotify destroy);

G_END_DECLS
