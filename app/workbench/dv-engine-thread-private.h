/* dv-engine-thread-private.h — the engine thread's state, for the files that
 * add commands to it (dv-engine-thread-*.c).
 *
 * What this is for: letting a feature (editing the model, training) keep its
 * engine-side code in its own file: it queues a function with
 * dv_engine_thread_call() and that function runs ON THE ENGINE THREAD with
 * the state below, between timesteps.  The fields marked "engine thread
 * only" may be touched there and nowhere else; the "shared" ones under
 * `lock`.  Helpers from dv-engine-thread.c that such a function may call are
 * declared at the end.
 * What this is not for: the main thread (it uses dv-engine-thread.h).
 */
#pragma once

#include <time.h>

#include "dv-engine-thread.h"
#include "dv-tsan.h"

G_BEGIN_DECLS

typedef enum {
  CMD_COMPUTE,
  CMD_STEP,
  CMD_SELECT,
  CMD_SET_PARAMS,
  CMD_SET_DATASET,
  CMD_LOAD,
  CMD_AUTOADVANCE,
  CMD_CALL,
  CMD_STOP,
} CmdKind;

typedef struct {
  CmdKind kind;
  int arg;
  char *key;
  char *model_spec;            /* CMD_LOAD: the model where the checkpoint does not say, or NULL */
  char **assignments;
  DvDataset *dataset;
  DvEngineCall call;           /* CMD_CALL */
  gpointer call_data;
  GDestroyNotify call_destroy;
} Cmd;

struct _DvEngineThread {
  GThread *thread;
  GAsyncQueue *queue;
  gint interrupt;              /* atomic: a command that supersedes the running step */

  /* engine thread only */
  DvModel *model;
  DvRun *run;
  gboolean preset;
  char *model_label;
  DvProvenance *provenance;    /* where the weights came from (new_sequence adds the rest) */
  DvDataset *dataset;
  char *dataset_spec;
  DvPresentation presentation;
  DvSequence *seq;
  int sample;
  int target;                  /* compute up to this step */
  int head;
  gboolean autoadvance;        /* after the last step, go on with the next sample */
  guint64 steps_computed;      /* under lock: timesteps stepped since the start */
  clockid_t cpu_clock;         /* under lock: the engine thread's CPU-time clock */
  gboolean has_cpu_clock;
  float *frame;                /* [C,H,W] input of the step */
  float *logits;               /* [K] */
  float *means;                /* [n_layers] */
  float *maps;                 /* all layers' maps, history layout */
  guint8 *present;             /* [n_layers] */
  DvEngineCall model_release;  /* called before the model is replaced or freed (a trainer
                                * borrowing it lets go); cleared when called */
  gpointer model_release_data;

  /* shared, under lock */
  GMutex lock;
  DvHistory *history;
  GPtrArray *errors;
  GPtrArray *notes;
  GSource *idle;
  gboolean notified;           /* the callback ran and no sync has followed: no other until one */
  GMainContext *context;
  GThread *ui_thread;          /* the thread that made this one: it iterates context */
  DvEngineNotify notify;
  gpointer notify_data;
};


/* Engine thread: replaces the model (takes it), rebuilding the run and the
 * recorded history's layout, and starts a new sequence of the current
 * sample. */
void dv_engine_thread_replace_model (DvEngineThread *self, DvModel *model, const char *label,
                                     gboolean preset);
/* The same, saying where the new weights came from (provenance: transfer full; NULL:
 * "unrecorded", replaced by `label`). */
void dv_engine_thread_replace_model_with (DvEngineThread *self, DvModel *model, const char *label,
                                          gboolean preset, DvProvenance *provenance);
/* Engine thread: the weights changed in place (`what`: "trained in this session", …); exports
 * from now on say so (the history's provenance is updated at once, not at the next sequence). */
void dv_engine_thread_weights_changed (DvEngineThread *self, const char *what);
/* Engine thread: starts a new sequence for the current sample (clears the
 * run's state and the history). */
void dv_engine_thread_restart_sequence (DvEngineThread *self);
/* Engine thread: computes the current sequence up to step upto (clamped)
 * before returning, recording every step as usual. */
void dv_engine_thread_compute_now (DvEngineThread *self, int upto);
/* Engine thread: an error message for the window (printf-style). */
void dv_engine_thread_report (DvEngineThread *self, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
/* Information for the banner (dv_engine_thread_take_notes), not an error. */
void dv_engine_thread_note (DvEngineThread *self, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

G_END_DECLS
