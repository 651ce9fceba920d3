/* dv-history.c — recorded frames of one sequence (see dv-history.h).
 *
 * What this is for: sizing, recording, syncing and reading the per-step data
 * of the current sequence.
 * What this is not for: drawing or threads.
 */
#include "dv-history.h"

#include <math.h>
#include <string.h>

DvHistory *
dv_history_new (void)
{
  DvHistory *h = g_new0 (DvHistory, 1);
  h->head = -1;
  h->label = -1;
  h->dt = 1;
  return h;
}

static void
free_data (DvHistory *h)
{
  for (int l = 0; l < h->n_layers; l++)
    g_free (h->layers[l].name);
  g_clear_pointer (&h->layers, g_free);
  g_clear_pointer (&h->class_names, g_strfreev);
  g_clear_pointer (&h->flags, g_free);
  g_clear_pointer (&h->contrast, g_free);
  g_clear_pointer (&h->means, dv_series_free);
  g_clear_pointer (&h->logits, dv_series_free);
  g_clear_pointer (&h->inputs, g_free);
  g_clear_pointer (&h->present, g_free);
  g_clear_pointer (&h->maps, g_free);
  h->n_layers = 0;
  h->n_classes = 0;
  h->T = 0;
}

void
dv_history_free (DvHistory *h)
{
  if (h == NULL)
    return;
  free_data (h);
  g_free (h->model_label);
  g_free (h->caption);
  g_free (h->presentation);
  g_free (h);
}

void
dv_history_configure (DvHistory *h, int T, double dt, int n_layers,
                      const char *const *layer_names, const int *shapes, int n_classes,
                      const char *const *class_names, int in_c, int in_h, int in_w)
{
  g_return_if_fail (h != NULL);
  g_return_if_fail (T > 0 && T <= DV_HISTORY_MAX_STEPS);
  g_return_if_fail (n_layers >= 0 && n_classes > 0);
  free_data (h);
  h->seq_id++;
  h->T = T;
  h->dt = dt > 0 ? dt : 1;
  h->n_layers = n_layers;
  h->layers = g_new0 (DvHistoryLayer, MAX (n_layers, 1));
  h->map_floats = 0;
  for (int l = 0; l < n_layers; l++)
    {
      DvHistoryLayer *L = &h->layers[l];
      L->name = g_strdup (layer_names[l]);
      L->C = shapes[3 * l];
      L->H = shapes[3 * l + 1];
      L->W = shapes[3 * l + 2];
      L->offset = h->map_floats;
      h->map_floats += (gsize) L->C * L->H * L->W;
    }
  h->n_classes = n_classes;
  h->class_names = g_new0 (char *, n_classes + 1);
  for (int k = 0; k < n_classes; k++)
    h->class_names[k] = class_names != NULL && class_names[k] != NULL
                        ? g_strdup (class_names[k]) : g_strdup_printf ("class %d", k);
  h->in_c = in_c;
  h->in_h = in_h;
  h->in_w = in_w;
  for (int c = 0; c < 3; c++)
    {
      h->in_mean[c] = 0;
      h->in_std[c] = 1;
    }
  h->flags = g_new0 (guint8, T);
  h->contrast = g_new0 (float, T);
  h->means = dv_series_new (n_layers, T);
  h->logits = dv_series_new (n_classes, T);
  h->inputs = g_new0 (float, (gsize) T * in_c * in_h * in_w);
  h->present = g_new0 (guint8, (gsize) T * MAX (n_layers, 1));
  gsize per_step = MAX (h->map_floats, 1) * sizeof (float);
  h->maps_capacity = (int) MIN ((gsize) T, MAX (DV_HISTORY_MAP_BUDGET / per_step, 1));
  h->maps = g_new0 (float, (gsize) h->maps_capacity * MAX (h->map_floats, 1));
  h->head = -1;
}

void
dv_history_clear (DvHistory *h)
{
  g_return_if_fail (h != NULL);
  h->seq_id++;
  h->head = -1;
  if (h->means)
    dv_series_clear (h->means);
  if (h->logits)
    dv_series_clear (h->logits);
}

void
dv_history_record (DvHistory *h, int t, const float *means, const float *logits,
                   const float *input, const float *maps, const guint8 *present)
{
  g_return_if_fail (h != NULL && h->T > 0);
  g_return_if_fail (t >= 0 && t < h->T && t <= h->head + 1);
  dv_series_push (h->means, t, means);
  dv_series_push (h->logits, t, logits);
  gsize in_n = (gsize) h->in_c * h->in_h * h->in_w;
  if (input != NULL)
    memcpy (h->inputs + t * in_n, input, in_n * sizeof (float));
  else
    memset (h->inputs + t * in_n, 0, in_n * sizeof (float));
  if (maps != NULL && h->map_floats > 0)
    memcpy (h->maps + (gsize) (t % h->maps_capacity) * h->map_floats, maps,
            h->map_floats * sizeof (float));
  for (int l = 0; l < h->n_layers; l++)
    h->present[(gsize) t * h->n_layers + l] = present != NULL ? present[l] : 1;
  h->head = t;
}

const float *
dv_history_input (const DvHistory *h, int t)
{
  if (h == NULL || t < 0 || t > h->head)
    return NULL;
  return h->inputs + (gsize) t * h->in_c * h->in_h * h->in_w;
}

const float *
dv_history_layer_maps (const DvHistory *h, int t, int layer)
{
  if (h == NULL || t < 0 || t > h->head || layer < 0 || layer >= h->n_layers)
    return NULL;
  if (t <= h->head - h->maps_capacity)
    return NULL;
  return h->maps + (gsize) (t % h->maps_capacity) * h->map_floats + h->layers[layer].offset;
}

gboolean
dv_history_layer_present (const DvHistory *h, int t, int layer)
{
  if (h == NULL || t < 0 || t > h->head || layer < 0 || layer >= h->n_layers)
    return FALSE;
  return h->present[(gsize) t * h->n_layers + layer] != 0;
}

static void
copy_meta (DvHistory *dst, const DvHistory *src)
{
  const char *names[MAX (src->n_layers, 1)];
  int shapes[3 * MAX (src->n_layers, 1)];
  for (int l = 0; l < src->n_layers; l++)
    {
      names[l] = src->layers[l].name;
      shapes[3 * l] = src->layers[l].C;
      shapes[3 * l + 1] = src->layers[l].H;
      shapes[3 * l + 2] = src->layers[l].W;
    }
  dv_history_configure (dst, src->T, src->dt, src->n_layers, names, shapes, src->n_classes,
                        (const char *const *) src->class_names, src->in_c, src->in_h, src->in_w);
  memcpy (dst->in_mean, src->in_mean, sizeof dst->in_mean);
  memcpy (dst->in_std, src->in_std, sizeof dst->in_std);
  memcpy (dst->flags, src->flags, src->T);
  memcpy (dst->contrast, src->contrast, src->T * sizeof (float));
  dst->label = src->label;
  dst->sample = src->sample;
  g_free (dst->caption);
  dst->caption = g_strdup (src->caption);
  g_free (dst->model_label);
  dst->model_label = g_strdup (src->model_label);
  g_free (dst->presentation);
  dst->presentation = g_strdup (src->presentation);
  dst->seq_id = src->seq_id;
}

gboolean
dv_history_sync (DvHistory *dst, const DvHistory *src, gboolean *new_sequence)
{
  g_return_val_if_fail (dst != NULL && src != NULL, FALSE);
  gboolean fresh = dst->seq_id != src->seq_id || dst->T != src->T;
  if (new_sequence)
    *new_sequence = fresh;
  if (src->T == 0)
    return FALSE;
  if (fresh)
    copy_meta (dst, src);
  if (src->head <= dst->head)
    return fresh;
  for (int t = dst->head + 1; t <= src->head; t++)
    {
      int i = dv_series_find (src->means, t);
      int k = dv_series_find (src->logits, t);
      g_return_val_if_fail (i >= 0 && k >= 0, TRUE);
      const float *maps = t > src->head - src->maps_capacity
                          ? src->maps + (gsize) (t % src->maps_capacity) * src->map_floats : NULL;
      dv_history_record (dst, t, dv_series_row (src->means, i), dv_series_row (src->logits, k),
                         dv_history_input (src, t), maps,
                         src->present + (gsize) t * src->n_layers);
    }
  return TRUE;
}

DvSeries *
dv_history_unit_trace (const DvHistory *h, int layer, int c, int y, int x)
{
  g_return_val_if_fail (h != NULL && h->T > 0, NULL);
  DvSeries *s = dv_series_new (1, h->T);
  if (layer < 0 || layer >= h->n_layers)
    return s;
  const DvHistoryLayer *L = &h->layers[layer];
  if (c < 0 || c >= L->C || y < 0 || y >= L->H || x < 0 || x >= L->W)
    return s;
  for (int t = 0; t <= h->head; t++)
    {
      const float *m = dv_history_layer_maps (h, t, layer);
      float v = m != NULL && dv_history_layer_present (h, t, layer)
                ? m[(gsize) c * L->H * L->W + (gsize) y * L->W + x] : NAN;
      dv_series_push (s, t, &v);
    }
  return s;
}
