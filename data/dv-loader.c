/* dv-loader.c — sample order, splits, batch assembly and the prefetch thread.
 *
 * For: DvLoader (see dv-loader.h).  Not for: presentation semantics or file formats.
 * The worker thread takes a "slot" token before building each batch and the consumer returns
 * it when it takes the batch, so at most `prefetch` batches wait in the ready queue; an
 * end-of-epoch marker follows the last batch of every epoch.  Shutdown sets a cancel flag,
 * hands the worker a token so it cannot stay blocked, joins it and frees what was queued.
 */
#include "dv-loader.h"
#include "dv-rng.h"
#include "dv-tsan.h"

#include <string.h>

struct _DvLoader
{
  DvDataset *ds;
  int *indices, n;
  DvLoaderConfig cfg;
  DvAugmentConfig augment;
  DvPresentation pres;
  int C, H, W, n_batches;

  GMutex order_lock;          /* guards the cached order of one epoch */
  int order_epoch;
  int *order;

  int epoch, next_batch;      /* consumer position */
  GThread *thread;
  GAsyncQueue *ready;         /* Msg* */
  GAsyncQueue *slots;         /* tokens */
  gint cancel;
  int worker_epoch;
};

typedef struct
{
  DvSequence *seq;            /* NULL: end of epoch */
} Msg;

#define TOKEN GINT_TO_POINTER (1)

void
dv_loader_config_init (DvLoaderConfig *config)
{
  *config = (DvLoaderConfig) {
    .batch_size = 32, .order = DV_ORDER_SHUFFLE, .drop_last = FALSE, .augment = FALSE,
    .channels = 0, .seed = 42, .prefetch = 2,
  };
}

void
dv_loader_config_init_train (DvLoaderConfig *config)
{
  dv_loader_config_init (config);
  config->augment = TRUE;
}

void
dv_loader_config_init_test (DvLoaderConfig *config)
{
  dv_loader_config_init (config);
  config->order = DV_ORDER_ROUND_ROBIN;
  config->drop_last = TRUE;
}

void
dv_split_indices (int n, double train_ratio, guint64 seed, int **train, int *n_train,
                  int **val, int *n_val)
{
  g_return_if_fail (n >= 0 && train_ratio >= 0.0 && train_ratio <= 1.0);
  int *perm = g_new (int, MAX (n, 1));
  for (int i = 0; i < n; i++)
    perm[i] = i;
  DvRng rng;
  dv_rng_init (&rng, dv_rng_mix (seed, 0x73706c6974ull));
  dv_rng_shuffle (&rng, perm, n);
  int nt = (int) (train_ratio * n);
  *n_train = nt;
  *n_val = n - nt;
  *train = g_memdup2 (perm, sizeof (int) * MAX (nt, 1));
  *val = g_memdup2 (perm + nt, sizeof (int) * MAX (n - nt, 1));
  g_free (perm);
}

int *
dv_round_robin_order (const DvDataset *ds, const int *indices, int n)
{
  int K = dv_dataset_get_n_classes (ds);
  int *count = g_new0 (int, K), *start = g_new0 (int, K + 1), *fill = g_new0 (int, K);
  int *by_class = g_new (int, MAX (n, 1)), *out = g_new (int, MAX (n, 1));
  for (int i = 0; i < n; i++)
    count[dv_dataset_get_label (ds, indices ? indices[i] : i)]++;
  for (int k = 0; k < K; k++)
    start[k + 1] = start[k] + count[k];
  for (int i = 0; i < n; i++)
    {
      int idx = indices ? indices[i] : i, k = dv_dataset_get_label (ds, idx);
      by_class[start[k] + fill[k]++] = idx;
    }
  int o = 0;
  for (int round = 0; o < n; round++)
    for (int k = 0; k < K; k++)
      if (round < count[k])
        out[o++] = by_class[start[k] + round];
  g_free (count);
  g_free (start);
  g_free (fill);
  g_free (by_class);
  return out;
}

DvLoader *
dv_loader_new (DvDataset *ds, const int *indices, int n_indices, const DvLoaderConfig *config,
               const DvPresentation *presentation, GError **error)
{
  g_return_val_if_fail (ds && config && presentation, NULL);
  if (!dv_presentation_validate (presentation, error))
    return NULL;
  int n = indices ? n_indices : dv_dataset_get_n (ds);
  if (config->batch_size < 1 || config->prefetch < 0
      || !(config->channels == 0 || config->channels == 1 || config->channels == 3))
    {
      g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_INVALID,
                   "loader: batch_size must be >= 1, prefetch >= 0, channels 0, 1 or 3 "
                   "(got %d, %d, %d)", config->batch_size, config->prefetch, config->channels);
      return NULL;
    }
  int nb = config->drop_last ? n / config->batch_size
                             : (n + config->batch_size - 1) / config->batch_size;
  if (nb == 0)
    {
      g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_EMPTY,
                   "loader: %d samples make no batch of %d%s", n, config->batch_size,
                   config->drop_last ? " (drop_last)" : "");
      return NULL;
    }
  for (int i = 0; indices && i < n; i++)
    if (indices[i] < 0 || indices[i] >= dv_dataset_get_n (ds))
      {
        g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_INVALID,
                     "loader: sample index %d outside the dataset (0..%d)", indices[i],
                     dv_dataset_get_n (ds) - 1);
        return NULL;
      }

  DvLoader *l = g_new0 (DvLoader, 1);
  l->ds = dv_dataset_ref (ds);
  l->n = n;
  l->indices = g_new (int, n);
  for (int i = 0; i < n; i++)
    l->indices[i] = indices ? indices[i] : i;
  l->cfg = *config;
  if (config->has_augment_config)
    l->augment = config->augment_config;
  else
    dv_augment_config_from_preset (&l->augment, dv_dataset_get_augment_preset (ds));
  l->pres = *presentation;
  l->C = config->channels ? config->channels : dv_dataset_get_channels (ds);
  l->H = dv_dataset_get_height (ds);
  l->W = dv_dataset_get_width (ds);
  l->n_batches = nb;
  g_mutex_init (&l->order_lock);
  l->order_epoch = -1;
  if (config->order == DV_ORDER_ROUND_ROBIN)
    {
      l->order = dv_round_robin_order (ds, l->indices, n);
      l->order_epoch = G_MAXINT;            /* valid for every epoch */
    }
  else
    l->order = g_new (int, n);
  return l;
}

/* Copies the samples of one batch of `epoch` into idx[0..count). */
static int
batch_indices (DvLoader *l, int epoch, int batch, int *idx)
{
  int bs = l->cfg.batch_size, first = batch * bs, count = MIN (bs, l->n - first);
  dv_mutex_lock (&l->order_lock);
  if (l->order_epoch != G_MAXINT && l->order_epoch != epoch)
    {
      memcpy (l->order, l->indices, sizeof (int) * l->n);
      if (l->cfg.order == DV_ORDER_SHUFFLE)
        {
          DvRng rng;
          dv_rng_init (&rng, dv_rng_mix (l->cfg.seed, 0x65706f6368ull + (guint64) epoch));
          dv_rng_shuffle (&rng, l->order, l->n);
        }
      l->order_epoch = epoch;
    }
  memcpy (idx, l->order + first, sizeof (int) * count);
  dv_mutex_unlock (&l->order_lock);
  return count;
}

DvSequence *
dv_loader_get_batch (DvLoader *l, int epoch, int batch)
{
  g_return_val_if_fail (l && epoch >= 0 && batch >= 0 && batch < l->n_batches, NULL);
  int B_max = l->cfg.batch_size, Cn = dv_dataset_get_channels (l->ds);
  gsize npix = (gsize) l->H * l->W;
  g_autofree int *idx = g_new (int, B_max);
  int B = batch_indices (l, epoch, batch, idx);
  guint64 batch_seed = dv_rng_mix (dv_rng_mix (l->cfg.seed, (guint64) epoch), (guint64) batch);

  g_autofree guint8 *raw = g_malloc (Cn * npix);
  g_autofree float *f01 = g_new (float, Cn * npix);
  g_autofree float *scratch = g_new (float, Cn * npix);
  g_autofree float *images = g_new (float, (gsize) B * l->C * npix);
  g_autofree int *classes = g_new (int, B);
  for (int b = 0; b < B; b++)
    {
      dv_dataset_read_raw (l->ds, idx[b], raw);
      for (gsize p = 0; p < Cn * npix; p++)
        f01[p] = raw[p] * (1.0f / 255.0f);
      if (l->cfg.augment)
        {
          DvRng rng;
          dv_rng_init (&rng, dv_rng_mix (batch_seed, 0x617567ull + (guint64) b));
          dv_augment_apply (&l->augment, &rng, f01, Cn, l->H, l->W, scratch);
        }
      dv_dataset_normalize (l->ds, f01, l->C, images + (gsize) b * l->C * npix);
      classes[b] = dv_dataset_get_label (l->ds, idx[b]);
    }
  DvSequence *seq = dv_presentation_build (&l->pres, images, classes, B, l->C, l->H, l->W,
                                           batch_seed, NULL);
  memcpy (seq->indices, idx, sizeof (int) * B);
  seq->epoch = epoch;
  seq->batch = batch;
  return seq;
}

static gpointer
worker_main (gpointer data)
{
  DvLoader *l = data;
  for (int epoch = l->worker_epoch;; epoch++)
    {
      for (int b = 0; b < l->n_batches; b++)
        {
          dv_async_queue_pop (l->slots);
          if (g_atomic_int_get (&l->cancel))
            return NULL;
          DvSequence *seq = dv_loader_get_batch (l, epoch, b);
          if (g_atomic_int_get (&l->cancel))
            {
              dv_sequence_free (seq);
              return NULL;
            }
          Msg *m = g_new (Msg, 1);
          m->seq = seq;
          dv_async_queue_push (l->ready, m);
        }
      dv_async_queue_push (l->ready, g_new0 (Msg, 1));
    }
}

static void
stop_worker (DvLoader *l)
{
  if (!l->thread)
    return;
  g_atomic_int_set (&l->cancel, 1);
  dv_async_queue_push (l->slots, TOKEN);
  g_thread_join (l->thread);
  l->thread = NULL;
  Msg *m;
  while ((m = dv_async_queue_try_pop (l->ready)))
    {
      dv_sequence_free (m->seq);
      g_free (m);
    }
  g_async_queue_unref (l->ready);
  g_async_queue_unref (l->slots);
  l->ready = l->slots = NULL;
}

static void
start_worker (DvLoader *l)
{
  l->ready = g_async_queue_new ();
  l->slots = g_async_queue_new ();
  for (int i = 0; i < l->cfg.prefetch; i++)
    dv_async_queue_push (l->slots, TOKEN);
  g_atomic_int_set (&l->cancel, 0);
  l->worker_epoch = l->epoch;
  l->thread = g_thread_new ("dv-prefetch", worker_main, l);
}

DvSequence *
dv_loader_next (DvLoader *l)
{
  g_return_val_if_fail (l != NULL, NULL);
  if (l->cfg.prefetch == 0)
    {
      if (l->next_batch == l->n_batches)
        {
          l->next_batch = 0;
          l->epoch++;
          return NULL;
        }
      return dv_loader_get_batch (l, l->epoch, l->next_batch++);
    }
  if (!l->thread)
    start_worker (l);
  Msg *m = dv_async_queue_pop (l->ready);
  DvSequence *seq = m->seq;
  g_free (m);
  if (!seq)
    {
      l->next_batch = 0;
      l->epoch++;
      return NULL;
    }
  dv_async_queue_push (l->slots, TOKEN);
  l->next_batch++;
  return seq;
}

void
dv_loader_restart (DvLoader *l, int epoch)
{
  g_return_if_fail (l && epoch >= 0);
  stop_worker (l);
  l->epoch = epoch;
  l->next_batch = 0;
}

void
dv_loader_free (DvLoader *l)
{
  if (!l)
    return;
  stop_worker (l);
  g_mutex_clear (&l->order_lock);
  dv_dataset_unref (l->ds);
  g_free (l->indices);
  g_free (l->order);
  g_free (l);
}

int dv_loader_get_n_batches (const DvLoader *l) { return l->n_batches; }
int dv_loader_get_n_samples (const DvLoader *l) { return l->n; }
int dv_loader_get_epoch (const DvLoader *l) { return l->epoch; }
DvDataset *dv_loader_get_dataset (const DvLoader *l) { return l->ds; }
const DvPresentation *dv_loader_get_presentation (const DvLoader *l) { return &l->pres; }

int
dv_loader_get_timesteps (const DvLoader *l)
{
  return dv_presentation_get_timesteps (&l->pres);
}

void
dv_loader_get_shape (const DvLoader *l, int *C, int *H, int *W)
{
  if (C)
    *C = l->C;
  if (H)
    *H = l->H;
  if (W)
    *W = l->W;
}
