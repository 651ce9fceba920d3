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
  h->budget = DV_HISTORY_DEFAULT_BUDGET;
  return h;
}

static void
free_data (DvHistory *h)
{
  for (int l = 0; l < h->n_layers; l++)
    g_free (h->layers[l].name);
  g_clear_pointer (&h->layers, g_free);
  g_clear_pointer (&h->class_names, g_strfreev);
  g_clear_pointer (&h->label_name, g_free);
  g_clear_pointer (&h->readout_note, g_free);
  g_clear_pointer (&h->flags, g_free);
  g_clear_pointer (&h->contrast, g_free);
  g_clear_pointer (&h->means, dv_series_free);
  g_clear_pointer (&h->logits, dv_series_free);
  g_clear_pointer (&h->present, g_free);
  g_clear_pointer (&h->frames, g_free);
  g_clear_pointer (&h->input_step, g_free);
  g_clear_pointer (&h->maps_step, g_free);
  h->frame_capacity = 0;
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
  g_free (h->presentation_params);
  g_free (h->dataset);
  g_free (h->fit);
  dv_provenance_free (h->provenance);
  g_free (h);
}

void
dv_history_set_budget (DvHistory *h, gsize bytes)
{
  g_return_if_fail (h != NULL);
  h->budget = bytes;
}

gsize
dv_history_get_memory (const DvHistory *h)
{
  g_return_val_if_fail (h != NULL, 0);
  if (h->T == 0)
    return 0;
  gsize series = (gsize) h->T * (h->n_layers + h->n_classes) * (sizeof (float) + sizeof (int));
  return (gsize) h->frame_capacity * (h->frame_floats * sizeof (float) + 2 * sizeof (int))
         + series + (gsize) h->T * (2 + sizeof (float) + h->n_layers);
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
  h->present = g_new0 (guint8, (gsize) T * MAX (n_layers, 1));
  h->frame_floats = MAX ((gsize) in_c * in_h * in_w + h->map_floats, 1);
  gsize per_step = h->frame_floats * sizeof (float) + 2 * sizeof (int);
  h->frame_capacity = (int) MIN ((gsize) T, MAX (h->budget / per_step, 1));
  h->frames = g_new (float, (gsize) h->frame_capacity * h->frame_floats);
  h->input_step = g_new (int, h->frame_capacity);
  h->maps_step = g_new (int, h->frame_capacity);
  for (int i = 0; i < h->frame_capacity; i++)
    h->input_step[i] = h->maps_step[i] = -1;
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
  int slot = t % h->frame_capacity;
  float *frame = h->frames + (gsize) slot * h->frame_floats;
  h->input_step[slot] = input != NULL ? t : -1;
  if (input != NULL)
    memcpy (frame, input, in_n * sizeof (float));
  h->maps_step[slot] = maps != NULL ? t : -1;
  if (maps != NULL)
    memcpy (frame + in_n, maps, h->map_floats * sizeof (float));
  for (int l = 0; l < h->n_layers; l++)
    h->present[(gsize) t * h->n_layers + l] = present != NULL ? present[l] : 1;
  h->head = t;
}

gboolean
dv_history_frame_kept (const DvHistory *h, int t)
{
  if (h == NULL || t < 0 || t > h->head)
    return FALSE;
  int slot = t % h->frame_capacity;
  return h->input_step[slot] == t || h->maps_step[slot] == t;
}

const float *
dv_history_input (const DvHistory *h, int t)
{
  if (h == NULL || t < 0 || t > h->head)
    return NULL;
  int slot = t % h->frame_capacity;
  if (h->input_step[slot] != t)
    return NULL;
  return h->frames + (gsize) slot * h->frame_floats;
}

/* All maps of step t, or NULL. */
static const float *
step_maps (const DvHistory *h, int t)
{
  if (h == NULL || t < 0 || t > h->head || h->frame_capacity == 0)
    return NULL;
  int slot = t % h->frame_capacity;
  if (h->maps_step[slot] != t)
    return NULL;
  return h->frames + (gsize) slot * h->frame_floats + (gsize) h->in_c * h->in_h * h->in_w;
}

const float *
dv_history_layer_maps (const DvHistory *h, int t, int layer)
{
  if (h == NULL || layer < 0 || layer >= h->n_layers)
    return NULL;
  const float *m = step_maps (h, t);
  return m != NULL ? m + h->layers[layer].offset : NULL;
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
  g_free (dst->label_name);
  dst->label_name = g_strdup (src->label_name);
  g_free (dst->readout_note);
  dst->readout_note = g_strdup (src->readout_note);
  dst->sample = src->sample;
  g_free (dst->caption);
  dst->caption = g_strdup (src->caption);
  g_free (dst->model_label);
  dst->model_label = g_strdup (src->model_label);
  g_free (dst->presentation);
  dst->presentation = g_strdup (src->presentation);
  g_free (dst->presentation_params);
  dst->presentation_params = g_strdup (src->presentation_params);
  g_free (dst->dataset);
  dst->dataset = g_strdup (src->dataset);
  g_free (dst->fit);
  dst->fit = g_strdup (src->fit);
  dst->n_samples = src->n_samples;
  dst->seq_id = src->seq_id;
}

static void
copy_provenance (DvHistory *dst, const DvHistory *src)
{
  dv_provenance_free (dst->provenance);
  dst->provenance = dv_provenance_copy (src->provenance);
  dst->provenance_serial = src->provenance_serial;
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
  gboolean prov = fresh || dst->provenance_serial != src->provenance_serial;
  if (prov)
    copy_provenance (dst, src);
  if (src->head <= dst->head)
    return fresh || prov;
  for (int t = dst->head + 1; t <= src->head; t++)
    {
      int i = dv_series_find (src->means, t);
      int k = dv_series_find (src->logits, t);
      g_return_val_if_fail (i >= 0 && k >= 0, TRUE);
      /* frames the destination will not keep are not copied */
      gboolean keep = t > src->head - dst->frame_capacity;
      dv_history_record (dst, t, dv_series_row (src->means, i), dv_series_row (src->logits, k),
                         keep ? dv_history_input (src, t) : NULL, keep ? step_maps (src, t) : NULL,
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
