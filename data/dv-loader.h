/* dv-loader.h — batches of temporal stimuli from a dataset, prepared ahead in a thread.
 *
 * For: the order of samples (sequential, seeded shuffle per epoch, or DynVision's class-
 * balanced round robin), the seeded train/validation split, optional train-time augmentation,
 * grey↔RGB conversion, and one DvSequence per batch built by dv_presentation_build.
 * With prefetch > 0 a worker thread (GThread + GAsyncQueue) builds up to `prefetch` batches
 * ahead while the caller computes; dv_loader_free stops and joins it cleanly.
 * Not for: the presentation semantics (dv-presentation.h) or reading files (dv-dataset.h).
 *
 * Determinism: batch b of epoch e depends only on (seed, e, b) — the same seed gives the same
 * batches bit for bit, with or without the thread, in any thread timing.
 * Threads: a DvLoader is driven from one thread (the one calling dv_loader_next); the worker
 * only reads the dataset.  dv_loader_get_batch may be called from any thread.
 */
#pragma once

#include "dv-augment.h"
#include "dv-dataset.h"
#include "dv-presentation.h"

G_BEGIN_DECLS

typedef enum
{
  DV_ORDER_SEQUENTIAL,    /* indices as given */
  DV_ORDER_SHUFFLE,       /* a new seeded permutation every epoch */
  DV_ORDER_ROUND_ROBIN,   /* one of each class in turn, sorted class ids (SPEC §4.1) */
} DvOrder;

typedef struct
{
  int batch_size;             /* 32 */
  DvOrder order;
  gboolean drop_last;
  gboolean augment;           /* train-time augmentation */
  gboolean has_augment_config;/* FALSE: the dataset's preset (dv_dataset_get_augment_preset) */
  DvAugmentConfig augment_config;
  int channels;               /* 0 = the dataset's, 1 = grey, 3 = RGB */
  guint64 seed;               /* 42 */
  int prefetch;               /* batches built ahead in a thread; 0 = synchronous */
} DvLoaderConfig;

/* Defaults: batch 32, shuffle, keep the last partial batch, no augmentation, seed 42,
 * prefetch 2. */
void dv_loader_config_init (DvLoaderConfig *config);
/* DynVision's training loader: shuffle + augmentation. */
void dv_loader_config_init_train (DvLoaderConfig *config);
/* DynVision's test loader: round robin, drop_last, no augmentation. */
void dv_loader_config_init_test (DvLoaderConfig *config);

/* Seeded random split; train gets int(train_ratio · n) indices (DynVision: 0.9). */
void dv_split_indices (int n, double train_ratio, guint64 seed,
                       int **train, int *n_train, int **val, int *n_val);
/* Class-balanced round-robin order of `indices` (all samples when NULL); new array of n. */
int *dv_round_robin_order (const DvDataset *ds, const int *indices, int n);

typedef struct _DvLoader DvLoader;

/* indices: the samples to draw from (NULL = all); copied.  ds is referenced. */
DvLoader   *dv_loader_new (DvDataset *ds, const int *indices, int n_indices,
                           const DvLoaderConfig *config, const DvPresentation *presentation,
                           GError **error);
void        dv_loader_free (DvLoader *loader);

int         dv_loader_get_n_batches (const DvLoader *loader);
int         dv_loader_get_n_samples (const DvLoader *loader);
int         dv_loader_get_timesteps (const DvLoader *loader);
void        dv_loader_get_shape (const DvLoader *loader, int *C, int *H, int *W);
DvDataset  *dv_loader_get_dataset (const DvLoader *loader);
const DvPresentation *dv_loader_get_presentation (const DvLoader *loader);
/* The epoch dv_loader_next is in. */
int         dv_loader_get_epoch (const DvLoader *loader);

/* Batch `batch` of epoch `epoch`, built now in the calling thread (pure function of the
 * seed).  Free with dv_sequence_free. */
DvSequence *dv_loader_get_batch (DvLoader *loader, int epoch, int batch);
/* The next batch of the current epoch, from the prefetch thread when enabled; NULL once at the
 * end of each epoch, after which the next call starts the next epoch. */
DvSequence *dv_loader_next (DvLoader *loader);
/* Stop any prefetching and continue with batch 0 of `epoch`. */
void        dv_loader_restart (DvLoader *loader, int epoch);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvLoader, dv_loader_free)

G_END_DECLS
