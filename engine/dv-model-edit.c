/* dv-model-edit.c — changing a model without losing work: carrying weights
 * over to a rebuilt model by name and shape, "soft" changes that need no
 * rebuild (tau, dt, solver, delays within the history capacity), and the
 * warnings a description deserves before it runs (dt ≥ tau, delays that the
 * history can never serve).  Used by the workbench's editor. */
#include "dv-model-edit.h"
#include "dv-model-private.h"

#include <math.h>
#include <string.h>

void
dv_transfer_report_clear (DvTransferReport *r)
{
  g_clear_pointer (&r->kept, g_ptr_array_unref);
  g_clear_pointer (&r->reinitialised, g_ptr_array_unref);
}

static gboolean
same_shape (const DvParam *a, const DvParam *b)
{
  if (a->type != b->type || a->numel != b->numel || a->ndim != b->ndim)
    return FALSE;
  for (int i = 0; i < a->ndim; i++)
    if (a->shape[i] != b->shape[i])
      return FALSE;
  return TRUE;
}

void
dv_model_transfer_weights (DvModel *dst, DvModel *src, DvTransferReport *report)
{
  if (report)
    {
      dv_transfer_report_clear (report);
      report->kept = g_ptr_array_new_with_free_func (g_free);
      report->reinitialised = g_ptr_array_new_with_free_func (g_free);
    }
  for (guint k = 0; k < dst->params->len; k++)
    {
      DvParam *p = g_ptr_array_index (dst->params, k);
      DvParam *q = dv_model_lookup (src, p->name);
      gboolean ok = q != NULL && same_shape (p, q);
      if (ok && p->type == DV_PARAM_F32)
        memcpy (p->data, q->data, sizeof (float) * p->numel);
      else if (ok)
        memcpy (p->idata, q->idata, sizeof (gint64) * p->numel);
      if (report)
        g_ptr_array_add (ok ? report->kept : report->reinitialised, g_strdup (p->name));
    }
  /* the classes it was trained on, while the readout keeps their number */
  if (dst->desc->n_classes == src->desc->n_classes)
    dv_model_set_class_names (dst, dv_model_get_class_names (src));
}

/* Fields a running model may change between timesteps. */
static void
copy_soft (DvModelDesc *to, const DvModelDesc *from)
{
  to->dt = from->dt;
  to->tau = from->tau;
  to->solver = from->solver;
  to->t_feedforward = from->t_feedforward;
  to->t_recurrence = from->t_recurrence;
  to->t_skip = from->t_skip;
  to->t_feedback = from->t_feedback;
  for (int i = 0; i < to->n_layers; i++)
    {
      to->layers[i].tau = from->layers[i].tau;
      to->layers[i].t_feedforward = from->layers[i].t_feedforward;
      to->layers[i].t_recurrence = from->layers[i].t_recurrence;
    }
  for (int i = 0; i < to->n_conns; i++)
    to->conns[i].t_ms = from->conns[i].t_ms;
}

gboolean
dv_model_desc_needs_rebuild (const DvModelDesc *current, const DvModelDesc *wanted)
{
  if (current->n_layers != wanted->n_layers || current->n_conns != wanted->n_conns)
    return TRUE;
  g_autoptr (DvModelDesc) probe = dv_model_desc_copy (current);
  copy_soft (probe, wanted);
  if (!dv_model_desc_validate (probe, NULL))
    return TRUE;
  if (probe->n_hidden_states != current->n_hidden_states)
    return TRUE; /* a longer history needs new rings */
  g_autoptr (DvJson) a = dv_model_desc_to_json (probe);
  g_autoptr (DvJson) b = dv_model_desc_to_json (wanted);
  g_autofree char *sa = dv_json_to_string (a, FALSE), *sb = dv_json_to_string (b, FALSE);
  return strcmp (sa, sb) != 0;
}

gboolean
dv_model_soft_update (DvModel *m, const DvModelDesc *wanted, GError **error)
{
  if (dv_model_desc_needs_rebuild (m->desc, wanted))
    {
      g_set_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_INPUT,
                   "this change needs the model to be rebuilt (its structure or history length changes); "
                   "apply it with a rebuild, which keeps every weight that still fits");
      return FALSE;
    }
  copy_soft (m->desc, wanted);
  if (!dv_model_desc_validate (m->desc, error))
    return FALSE;
  for (int i = 0; i < m->desc->n_layers; i++)
    {
      DvLayer *L = &m->layers[i];
      L->d_ff = (int) (L->desc->t_feedforward / m->desc->dt);
      L->d_rc = (int) (L->desc->t_recurrence / m->desc->dt);
      if (L->has_tstep)
        L->tau->data[0] = (float) L->desc->tau;
    }
  return TRUE;
}

GPtrArray *
dv_model_desc_warnings (const DvModelDesc *d)
{
  GPtrArray *w = g_ptr_array_new_with_free_func (g_free);
  for (int i = 0; i < d->n_layers; i++)
    {
      const DvLayerDesc *l = &d->layers[i];
      if (l->tstep_name && d->dt >= l->tau)
        g_ptr_array_add (w, g_strdup_printf ("layer %s: dt (%g ms) ≥ tau (%g ms): the leak has no memory "
                                             "(dt/tau = %.2g) and larger ratios oscillate or diverge; "
                                             "use dt < tau, e.g. dt ≤ %g ms", l->name, d->dt, l->tau,
                                             d->dt / l->tau, l->tau / 5));
      int d_ff = (int) (l->t_feedforward / d->dt), d_rc = (int) (l->t_recurrence / d->dt);
      if (d_ff > d->n_hidden_states || d_rc > d->n_hidden_states)
        g_ptr_array_add (w, g_strdup_printf ("layer %s: a delay of %d steps exceeds the history of %d "
                                             "steps and will never be served", l->name, MAX (d_ff, d_rc),
                                             d->n_hidden_states));
      if (l->rec_type != DV_REC_NONE && d->n_hidden_states == 0)
        g_ptr_array_add (w, g_strdup_printf ("layer %s: recurrence '%s' is inactive: with all delays 0 "
                                             "and no skip or feedback the history holds nothing (as in "
                                             "DynVision); set t_recurrence ≥ dt (%g ms) to switch it on",
                                             l->name, dv_rec_type_name (l->rec_type), d->dt));
    }
  return w;
}
