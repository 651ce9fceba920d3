/* dv-provenance.h — what produced an exported figure, gathered once and written into its JSON.
 *
 * What this is for: the one record both the workbench and `dynvision plot` fill in and the plot
 * library writes as the "provenance" object of every <stem>.json (plot/dv-plot-export.c): the
 * program and engine version (DV_VERSION), where the weights came from — a checkpoint's path and
 * the SHA-256 of its bytes, the shipped trained default (its path and SHA-256 too), or "fresh
 * weights, seed N" — and what changed them since (an edit, a training run), the model class, the
 * data set, the sample index, every presentation setting, the stimulus seed, and for figures
 * drawn from files (the CLI) each input file with its SHA-256.  doc/workbench.md lists the fields.
 * What this is not for: reading provenance back, or deciding what to record (the callers know
 * their model and data); GLib only, so it knows the presentation as its "key=value …" text
 * (dv_presentation_to_string), written back as typed JSON members.
 */
#pragma once

#include <glib.h>

#include "dv-json-writer.h"

G_BEGIN_DECLS

typedef enum {
  DV_WEIGHTS_UNRECORDED,   /* nobody said (written as "unrecorded") */
  DV_WEIGHTS_FRESH,        /* initialised from weights_seed */
  DV_WEIGHTS_CHECKPOINT,   /* read from checkpoint (a file the user chose) */
  DV_WEIGHTS_SHIPPED,      /* read from the shipped trained default (checkpoint is its path) */
} DvWeightsOrigin;

typedef struct {
  char *producer;          /* "dynvision-workbench", "dynvision plot" */
  DvWeightsOrigin weights;
  char *checkpoint;        /* CHECKPOINT, SHIPPED: the file's path */
  char *checkpoint_sha256; /* its bytes' SHA-256 (hex), NULL when it could not be read */
  guint64 weights_seed;    /* FRESH */
  char *weights_changed;   /* what changed the weights since they were loaded ("edited in the
                            * Architecture page", "trained in this session"), or NULL */
  char *model_class;       /* "CustomRCNN", or NULL */
  char *dataset;           /* the data set's spec ("embedded", "folder:DIR"), or NULL */
  int sample;              /* index in the data set, -1: none */
  gboolean has_seed;
  guint64 seed;            /* the stimulus seed (pattern shuffling, noise) */
  char *presentation;      /* every presentation setting, "key=value …", or NULL */
  GPtrArray *inputs;       /* char*: path, sha256, path, sha256, … of files a figure was drawn from */
} DvProvenance;

DvProvenance *dv_provenance_new (const char *producer);
DvProvenance *dv_provenance_copy (const DvProvenance *p);
void          dv_provenance_free (DvProvenance *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvProvenance, dv_provenance_free)

/* The SHA-256 of a file's bytes as 64 hex digits (g_free), read in pieces; NULL with an error. */
char         *dv_sha256_file (const char *path, GError **error);

/* Weights read from path (shipped: the shipped trained default); hashes the file.  When it cannot
 * be read the path stays and the hash is NULL (returns FALSE, error set).  Clears weights_changed. */
gboolean      dv_provenance_set_checkpoint (DvProvenance *p, const char *path, gboolean shipped,
                                            GError **error);
void          dv_provenance_set_fresh (DvProvenance *p, guint64 seed);
/* Notes what changed the weights after they were loaded (replaces an earlier note). */
void          dv_provenance_set_weights_changed (DvProvenance *p, const char *what);
/* "fresh weights, seed 3", "checkpoint /x/y.safetensors", "the shipped trained default …",
 * followed by "; then <weights_changed>" (g_free). */
char         *dv_provenance_describe_weights (const DvProvenance *p);
/* Adds a file a figure was drawn from, with its SHA-256. */
gboolean      dv_provenance_add_input (DvProvenance *p, const char *path, GError **error);

/* Writes the object `key` ("provenance") into the open object of j. */
void          dv_provenance_write_json (const DvProvenance *p, DvJsonWriter *j, const char *key);

G_END_DECLS
