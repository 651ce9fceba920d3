/* dv-run-setup.c — a run's memory and its life: arenas, creation, the
 * settings of a run, and small helpers around it.
 *
 * What this is for: the chunked float arenas values and gradients live in
 * (see "Memory" in dv-run.c for how training and inference cycle them),
 * dv_run_new / dv_run_free with the per-layer rings and local-recurrence
 * maps, the observer / cancel / response-gradient settings, and two helpers
 * that run a model (residual timesteps) or read a frame.
 * What it is not for: stepping a model in time (dv-run.c) or its backward
 * pass (dv-tape.c).
 */
#include "dv-run-private.h"

#include <string.h>

#define ARENA_FIRST_CHUNK (64u << 10) /* floats; later chunks double */

/* (cur, used) is the arena's fill; the high-water mark follows it. */
static inline void
arena_mark (DvArena *a)
{
  if (a->cur > a->hw_cur || (a->cur == a->hw_cur && a->used > a->hw_used))
    a->hw_cur = a->cur, a->hw_used = a->used;
}

float *
dv_arena_alloc (DvArena *a, gsize n)
{
  n = (n + 15) & ~(gsize) 15; /* 64-byte granules */
  while (a->cur < a->chunks->len)
    {
      gsize size = g_array_index (a->sizes, gsize, a->cur);
      if (a->used + n <= size)
        {
          float *p = (float *) g_ptr_array_index (a->chunks, a->cur) + a->used;
          a->used += n;
          arena_mark (a);
          return p;
        }
      a->cur++;
      a->used = 0;
    }
  gsize last = a->sizes->len ? g_array_index (a->sizes, gsize, a->sizes->len - 1) : ARENA_FIRST_CHUNK / 2;
  gsize size = MAX (n, 2 * last);
  float *chunk = g_aligned_alloc (size, sizeof (float), 64);
  g_ptr_array_add (a->chunks, chunk);
  g_array_append_val (a->sizes, size);
  a->cur = a->chunks->len - 1;
  a->used = n;
  arena_mark (a);
  return chunk;
}

void
dv_arena_init (DvArena *a)
{
  a->chunks = g_ptr_array_new_with_free_func (g_aligned_free);
  a->sizes = g_array_new (FALSE, FALSE, sizeof (gsize));
  a->cur = 0;
  a->used = 0;
  a->hw_cur = 0;
  a->hw_used = 0;
}

/* Everything handed out is dead: start again from the first chunk. */
void
dv_arena_reset (DvArena *a)
{
  a->cur = 0;
  a->used = 0;
}

/* The same, and nothing points into it any more (the tape included): an
 * arena that needed several chunks gets one chunk of their total size, so
 * the next round fits without the tails the doubling left unused. */
void
dv_arena_reset_consolidate (DvArena *a)
{
  dv_arena_reset (a);
  if (a->chunks->len > 1)
    {
      /* the high water, laid out in one chunk (an upper bound: chunk tails count) */
      gsize total = 0, hw = a->hw_used;
      for (guint i = 0; i < a->sizes->len; i++)
        {
          gsize size = g_array_index (a->sizes, gsize, i);
          total += size;
          if (i < a->hw_cur)
            hw += size;
        }
      g_ptr_array_set_size (a->chunks, 0);
      g_array_set_size (a->sizes, 0);
      g_ptr_array_add (a->chunks, g_aligned_alloc (total, sizeof (float), 64));
      g_array_append_val (a->sizes, total);
      a->hw_cur = 0;
      a->hw_used = hw;
    }
}

/* Zeroes everything handed out since the arena was made: the most any
 * round used (a gradient arena serves steps of different sizes). */
void
dv_arena_zero_used (DvArena *a)
{
  for (guint i = 0; i <= a->hw_cur && i < a->chunks->len; i++)
    {
      gsize n = i < a->hw_cur ? g_array_index (a->sizes, gsize, i) : a->hw_used;
      dv_zero (g_ptr_array_index (a->chunks, i), n);
    }
}

void
dv_arena_release (DvArena *a)
{
  g_ptr_array_set_size (a->chunks, 0);
  g_array_set_size (a->sizes, 0);
  a->cur = a->hw_cur = 0;
  a->used = a->hw_used = 0;
}

void
dv_arena_clear (DvArena *a)
{
  g_ptr_array_unref (a->chunks);
  g_array_unref (a->sizes);
}


void
dv_run_build_local_maps (DvRun *run)
{
  DvModel *m = run->model;
  int N = run->N;
  for (int li = 0; li < m->desc->n_layers; li++)
    {
      const DvLayer *L = &m->layers[li];
      if (!L->has_rec || (L->rec.type != DV_REC_LOCAL && L->rec.type != DV_REC_LOCALDEPTHWISE))
        continue;
      const DvRecMod *r = &L->rec;
      int HW = r->H * r->W, n = r->C * HW, PHW = n; /* the plane has C·H·W pixels, one channel */
      DvLocalMaps *tp = &run->to_plane[li], *tl = &run->to_layer[li];
      if (tp->src == NULL)
        {
          tp->src = g_new (int32_t, n);
          tp->dst = g_new (int32_t, n);
          tl->src = g_new (int32_t, n);
          tl->dst = g_new (int32_t, n);
        }
      tp->n = tl->n = n;
      for (int p = 0; p < n; p++)
        {
          gint64 q = CLAMP (r->plane_map->idata[p], 0, n - 1); /* layer flat index c*HW + hw */
          tp->dst[p] = p;                                       /* plane channel 0 */
          tp->src[p] = (int32_t) ((q / HW) * N * HW + q % HW);
          gint64 pp = CLAMP (r->layer_map->idata[p], 0, PHW - 1);
          tl->dst[p] = (int32_t) ((p / HW) * N * HW + p % HW);
          tl->src[p] = (int32_t) pp;
        }
    }
}

DvRun *
dv_run_new (DvModel *model, int batch, const DvRunOptions *options)
{
  g_return_val_if_fail (model != NULL && batch > 0, NULL);
  DvRun *run = g_new0 (DvRun, 1);
  const DvModelDesc *D = model->desc;
  run->model = model;
  run->N = batch;
  if (options)
    run->opt = *options;
  int cap = D->n_hidden_states;
  if (run->opt.bptt_checkpoint < 0 || !run->opt.training)
    run->opt.bptt_checkpoint = 0;
  /* recomputation's first pass cycles arenas as inference does; its backward uses the first */
  run->n_arenas = run->opt.training && !run->opt.bptt_checkpoint ? 1 : cap + 2;
  run->arenas = g_new0 (DvArena, run->n_arenas);
  for (int i = 0; i < run->n_arenas; i++)
    dv_arena_init (&run->arenas[i]);
  run->arena = &run->arenas[0];
  run->n_grad_arenas = run->opt.training ? cap + 2 : 0;
  run->grad_arenas = g_new0 (DvArena, MAX (run->n_grad_arenas, 1));
  for (int i = 0; i < run->n_grad_arenas; i++)
    dv_arena_init (&run->grad_arenas[i]);
  run->grad_arena = &run->grad_arenas[0];
  run->step_begin = g_array_new (FALSE, FALSE, sizeof (guint));
  run->rings = g_new0 (DvRing, D->n_layers);
  run->own = g_new0 (DvVal, D->n_layers);
  run->own_buf = g_new0 (float *, D->n_layers);
  run->own_n = g_new0 (gsize, D->n_layers);
  run->ckpts = g_ptr_array_new_with_free_func (dv_checkpoint_free);
  run->frames = g_ptr_array_new_with_free_func (g_free);
  run->to_plane = g_new0 (DvLocalMaps, D->n_layers);
  run->to_layer = g_new0 (DvLocalMaps, D->n_layers);
  run->observe = g_new0 (gboolean, D->n_layers);
  run->recorded = g_new0 (DvVal, D->n_layers);
  run->resp_ptrs = g_new0 (const float *, D->n_layers);
  run->present = g_new0 (gboolean, D->n_layers);
  for (int i = 0; i < D->n_layers; i++)
    {
      const DvLayerDesc *l = &D->layers[i];
      run->rings[i].cap = cap;
      run->rings[i].items = g_new0 (DvVal, MAX (cap, 1));
      run->rings[i].n = g_new0 (gsize, MAX (cap, 1));
      run->own_buf[i] = g_new0 (float, (gsize) l->out_channels * batch * MAX (l->out_h * l->out_w,
                                                                              l->state_h * l->state_w));
      run->observe[i] = run->opt.record_all;
    }
  run->tape = g_array_new (FALSE, FALSE, sizeof (DvTapeEntry));
  run->logit_vals = g_array_new (FALSE, FALSE, sizeof (DvVal));
  run->rec_vals = g_array_new (FALSE, FALSE, sizeof (DvVal));
  dv_run_reset (run);
  return run;
}

void
dv_run_free (DvRun *run)
{
  if (run == NULL)
    return;
  int n = run->model->desc->n_layers;
  for (int i = 0; i < run->n_arenas; i++)
    dv_arena_clear (&run->arenas[i]);
  g_free (run->arenas);
  for (int i = 0; i < run->n_grad_arenas; i++)
    dv_arena_clear (&run->grad_arenas[i]);
  g_free (run->grad_arenas);
  g_array_unref (run->step_begin);
  for (int i = 0; i < n; i++)
    {
      g_free (run->rings[i].items);
      g_free (run->rings[i].n);
      g_free (run->own_buf[i]);
      g_free (run->to_plane[i].src);
      g_free (run->to_plane[i].dst);
      g_free (run->to_layer[i].src);
      g_free (run->to_layer[i].dst);
    }
  g_free (run->rings);
  g_free (run->own);
  g_free (run->own_buf);
  g_free (run->own_n);
  g_ptr_array_unref (run->ckpts);
  g_ptr_array_unref (run->frames);
  g_free (run->to_plane);
  g_free (run->to_layer);
  g_free (run->observe);
  g_free (run->recorded);
  g_free (run->resp_ptrs);
  g_free (run->present);
  g_array_unref (run->tape);
  g_array_unref (run->logit_vals);
  g_array_unref (run->rec_vals);
  dv_scratch_clear (&run->scratch);
  g_free (run);
}

DvModel *
dv_run_get_model (DvRun *run)
{
  return run->model;
}

void
dv_run_observe_layer (DvRun *run, int layer, gboolean observe)
{
  g_return_if_fail (layer >= 0 && layer < run->model->desc->n_layers);
  run->observe[layer] = observe;
}

void
dv_run_set_observer (DvRun *run, DvObserverFunc func, gpointer user_data)
{
  run->observer = func;
  run->observer_data = user_data;
}

void
dv_run_set_response_grad (DvRun *run, DvResponseGradFunc func, gpointer user_data)
{
  run->response_grad = func;
  run->response_grad_data = user_data;
}

void
dv_run_set_cancel (DvRun *run, DvCancelFunc func, gpointer user_data)
{
  run->cancel = func;
  run->cancel_data = user_data;
}

void
dv_run_set_check_finite (DvRun *run, gboolean check)
{
  run->check_finite = check;
}

int
dv_run_get_t (const DvRun *run)
{
  return run->t;
}

void
dv_frame_copy_response (const DvModel *model, const DvFrame *frame, int layer, float *dst)
{
  int C, H, W;
  dv_model_layer_shape (model, layer, &C, &H, &W);
  if (frame->responses[layer] == NULL)
    {
      memset (dst, 0, sizeof (float) * frame->batch * C * H * W);
      return;
    }
  dv_cnhw_to_sequence (dst, frame->responses[layer], frame->batch, 1, 0, C, H * W);
}

int
dv_model_residual_timesteps (DvModel *model)
{
  /* SPEC §1.7, DynVision's _determine_residual_timesteps: the same random
   * frame through _forward(t, feedforward_only=True) until the classifier has
   * input.  That pass skips only addskip/addfeedback: recurrence stays on
   * (a layer whose recurrence alone drives it yields output earlier) and the
   * idle steps do not run (they belong to forward(), not _forward()).  With
   * presence flags this is exact (all-zero outputs only arise from degenerate
   * weights). */
  const DvModelDesc *D = model->desc;
  DvRunOptions opt = { .residual_probe = TRUE };
  DvRun *run = dv_run_new (model, 1, &opt);
  gsize fn = (gsize) D->in_channels * D->in_h * D->in_w;
  float *frame = g_new (float, fn);
  float *lg = g_new (float, D->n_classes);
  for (gsize i = 0; i < fn; i++)
    frame[i] = (float) ((i * 2654435761u) % 1000) / 1000.0f;
  int n = 0;
  for (; n < 100; n++)
    {
      dv_run_step (run, frame, lg, NULL);
      if (run->last_present)
        break;
    }
  g_free (frame);
  g_free (lg);
  dv_run_free (run);
  model->n_res->idata[0] = n;
  return n;
}
