/* dv-engine-thread.h — the workbench's engine thread: model, run and stimuli.
 *
 * What this is for: one dedicated thread that owns the DvModel, its DvRun,
 * the data set and the current DvSequence, and takes commands from a
 * GAsyncQueue (compute up to a step / pause, step, select a stimulus, set
 * presentation parameters, switch the data set, load a checkpoint, run flat
 * out through the samples, stop).  After every timestep it
 * copies the frame (per-layer mean |x|, every layer's feature maps and the
 * input of batch sample 0, the logits, the schedule) into its own DvHistory
 * under a mutex and schedules at most ONE pending idle callback on the main
 * context, and none after it until the main thread has pulled the news with
 * dv_engine_thread_sync(); a burst of steps collapses into one callback, and
 * since the history keeps every step nothing is lost.  The engine thread never touches a widget.
 * What this is not for: drawing, or deciding what the user sees.
 *
 * Threads: create, command, sync and free from the main thread.
 */
#pragma once

#include <glib.h>

#include "dv-data.h"
#include "dv-history.h"
#include "dv-checkpoint.h"
#include "dv-model.h"

G_BEGIN_DECLS

typedef struct _DvEngineThread DvEngineThread;

/* Called on the main context when new frames, a new sequence or errors are
 * waiting; call dv_engine_thread_sync() from it or soon after (the workbench
 * waits for its next frame): there is no other callback until then. */
typedef void (*DvEngineNotify) (gpointer user_data);

typedef struct {
  DvModel *model;            /* transfer full */
  char *model_label;         /* transfer full; e.g. "CustomRCNN (fresh weights, seed 0)" */
  DvProvenance *provenance;  /* transfer full; where the weights came from, or NULL: unrecorded */
  gboolean preset;           /* the model came from a preset: "seed" re-initialises it */
  DvDataset *dataset;        /* a reference is taken */
  const char *dataset_spec;  /* how it was opened ("embedded", "folder:DIR"); NULL: its name */
  DvPresentation presentation;
  int sample;
  gsize history_budget;      /* bytes for the recorded frames; 0: the default */
  char *note;                /* transfer full; how the checkpoint's model was identified (for
                              * the banner, as information), or NULL; not read by the thread */
  gboolean unidentified;     /* the checkpoint did not say its model (the window asks) */
} DvEngineSetup;

DvEngineThread *dv_engine_thread_new (DvEngineSetup *setup, GMainContext *context,
                                      DvEngineNotify notify, gpointer user_data);
/* Stops the thread, waits for it, and drops any pending callback. */
void            dv_engine_thread_free (DvEngineThread *self);

/* Compute the current sequence up to step upto (clamped to T-1); -1 stops
 * computing ahead. */
void            dv_engine_thread_compute (DvEngineThread *self, int upto);
void            dv_engine_thread_step (DvEngineThread *self);
/* A new sequence for data set index `sample` (wraps around). */
void            dv_engine_thread_select_sample (DvEngineThread *self, int sample);
/* Presentation settings "key=value" by DynVision name, applied together
 * (dv_presentation_parse: a loader= entry resets the others to that
 * loader's defaults first) and validated once, or "seed=N" (re-initialise a
 * preset model's weights); starts a new sequence.  A rejected set changes
 * nothing and is reported. */
void            dv_engine_thread_set_params (DvEngineThread *self,
                                             const char *const *assignments);
void            dv_engine_thread_set_param (DvEngineThread *self, const char *key,
                                            const char *value);
/* Switches to another (opened) data set, at sample 0. */
void            dv_engine_thread_set_dataset (DvEngineThread *self, DvDataset *dataset,
                                              const char *spec);
/* A model from a file: a checkpoint (.safetensors, .pt, .pth, .ckpt; the
 * model identified as dv_checkpoint_identify says, with `model_spec` —
 * "PRESET key=value …" or "DESC.json", may be NULL — where the file does not
 * say), or a model description (.json, as `dynvision describe` writes it)
 * built with fresh weights (seed 0; *fresh = TRUE).  *label names it for the
 * window.  NULL with a message (DV_MODEL_ERROR_UNIDENTIFIED: ask for the model). */
DvModel        *dv_workbench_load_model (const char *path, DvLoadReport *rep, char **label,
                                         gboolean *fresh, GError **error);
/* *how (may be NULL) receives the banner note on how the model was identified when the file's
 * own metadata did not say it (NULL otherwise). */
DvModel        *dv_workbench_load_model_as (const char *path, const char *model_spec, DvLoadReport *rep,
                                            char **label, gboolean *fresh, char **how, GError **error);
/* Where the weights of dv_workbench_load_model_as (path, …) came from: the checkpoint and its
 * SHA-256 (shipped: the shipped trained default), or for a description (fresh) "fresh weights,
 * seed 0" with the description as an input file.  producer: "dynvision-workbench". */
DvProvenance   *dv_workbench_weights_provenance (const char *path, gboolean fresh, gboolean shipped);
/* Replaces the model by a checkpoint's or a description's (dv_workbench_load_model);
 * on failure the old one stays. */
void            dv_engine_thread_load_checkpoint (DvEngineThread *self, const char *path);
/* The same with the model given (`--model`'s "PRESET key=value …" or "DESC.json"). */
void            dv_engine_thread_load_checkpoint_as (DvEngineThread *self, const char *path,
                                                     const char *model_spec);
/* Runs func (self, data) ON THE ENGINE THREAD between timesteps, after the
 * commands queued before it; destroy (may be NULL) frees data afterwards,
 * also when the thread stops first.  interrupt: supersede the step being
 * computed.  func may use dv-engine-thread-private.h. */
typedef void (*DvEngineCall) (DvEngineThread *self, gpointer data);
void            dv_engine_thread_call (DvEngineThread *self, DvEngineCall func, gpointer data,
                                       GDestroyNotify destroy, gboolean interrupt);
/* Flat out: compute every sequence to its end and go on with the next
 * sample, until turned off (for measuring throughput). */
void            dv_engine_thread_set_autoadvance (DvEngineThread *self, gboolean autoadvance);
/* Timesteps computed since the thread started (any thread). */
guint64         dv_engine_thread_get_steps_computed (DvEngineThread *self);
/* CPU time the engine thread has used so far, in s; -1 if unknown. */
double          dv_engine_thread_get_cpu_seconds (DvEngineThread *self);

/* Any thread: queues func (data) on context (NULL: the default one) at
 * priority, to run when the thread owning that context next iterates it;
 * destroy (may be NULL) frees data afterwards.  Unlike
 * g_main_context_invoke, it never runs func in the calling thread, even when
 * no thread owns the context at that moment: the engine thread uses it to
 * hand work to the main thread. */
void            dv_main_context_post (GMainContext *context, int priority, GSourceFunc func,
                                      gpointer data, GDestroyNotify destroy);

/* Main thread: brings dst up to the engine's history.  Returns TRUE when
 * dst changed.  *errors (may be NULL) receives the error messages raised
 * since the last sync (a NULL-terminated array to g_strfreev, or NULL). */
gboolean        dv_engine_thread_sync (DvEngineThread *self, DvHistory *dst,
                                       gboolean *new_sequence, char ***errors);
/* The notes (information, not errors: how a checkpoint's model was
 * identified) raised since the last call, NULL-terminated, or NULL. */
char          **dv_engine_thread_take_notes (DvEngineThread *self);

G_END_DECLS
