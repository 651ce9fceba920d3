/* dv-model-edit.c — changing a model without losing work and without
 * keeping what the edit changed (see dv-model-edit.h): the structured
 * transfer report, which module each tensor belongs to, carrying learnt
 * values over to a rebuilt model, "soft" changes that need no rebuild (tau,
 * dt, solver, delays within the history capacity), and the warnings a
 * description deserves before it runs.  Used by the workbench's editor and
 * the tests; what it is not for: the editing itself (dv-arch-edit.c). */
#include "dv-model-edit.h"
#include "dv-model-private.h"

#include <math.h>
#include <string.h>

/* ---- the report --------------------------------------------------------------------- */

static const char *const fate_names[] = { "kept", "re-initialised", "changed by the edit", "dropped" };

const char *
dv_transfer_fate_name (DvTransferFate fate)
{
  g_return_val_if_fail (fate < DV_TRANSFER_N_FATES, NULL);
  return fate_names[fate];
}

static void
item_free (gpointer data)
{
  DvTransferItem *it = data;
  g_free (it->name);
  g_free (it->why);
  g_free (it);
}

void
dv_transfer_report_clear (DvTransferReport *r)
{
  g_clear_pointer (&r->items, g_ptr_array_unref);
}

static void
report_start (DvTransferReport *r)
{
  if (r == NULL)
    return;
  dv_transfer_report_clear (r);
  r->items = g_ptr_array_new_with_free_func (item_free);
}

/* Takes `why`. */
static void
report_add (DvTransferReport *r, const DvParam *p, DvTransferFate fate, char *why)
{
  if (r == NULL)
    {
      g_free (why);
      return;
    }
  DvTransferItem *it = g_new0 (DvTransferItem, 1);
  it->name = g_strdup (p->name);
  it->fate = fate;
  it->buffer = p->is_buffer;
  it->why = why;
  g_ptr_array_add (r->items, it);
}

guint
dv_transfer_report_count (const DvTransferReport *r, DvTransferFate fate, gboolean buffers)
{
  g_return_val_if_fail (r != NULL, 0);
  guint n = 0;
  for (guint i = 0; r->items && i < r->items->len; i++)
    {
      const DvTransferItem *it = g_ptr_array_index (r->items, i);
      n += it->fate == fate && !it->buffer == !buffers;
    }
  return n;
}

const DvTransferItem *
dv_transfer_report_find (const DvTransferReport *r, const char *name)
{
  g_return_val_if_fail (r != NULL && name != NULL, NULL);
  for (guint i = 0; r->items && i < r->items->len; i++)
    {
      const DvTransferItem *it = g_ptr_array_index (r->items, i);
      if (strcmp (it->name, name) == 0)
        return it;
    }
  return NULL;
}

char *
dv_transfer_report_to_text (const DvTransferReport *r, guint max_kept)
{
  g_return_val_if_fail (r != NULL, NULL);
  GString *s = g_string_new (NULL);
  for (int buffers = 0; buffers < 2; buffers++)
    {
      gboolean any = FALSE;
      for (int f = 0; f < DV_TRANSFER_N_FATES; f++)
        {
          guint n = dv_transfer_report_count (r, f, buffers);
          if (n == 0 && (buffers || f != DV_TRANSFER_KEPT))
            continue;
          if (!any)
            g_string_append (s, buffers ? "; buffers: " : "Parameters: ");
          g_string_append_printf (s, "%s%u %s", any ? ", " : "", n, fate_names[f]);
          any = TRUE;
        }
    }
  g_string_append_c (s, '.');
  static const DvTransferFate order[] = { DV_TRANSFER_CHANGED, DV_TRANSFER_REINITIALISED, DV_TRANSFER_DROPPED,
                                          DV_TRANSFER_KEPT };
  for (guint o = 0; o < G_N_ELEMENTS (order); o++)
    for (int buffers = 0; buffers < 2; buffers++)
      {
        DvTransferFate f = order[o];
        guint n = dv_transfer_report_count (r, f, buffers), shown = 0;
        if (n == 0)
          continue;
        g_string_append_printf (s, "\n%s %s:", buffers ? "Buffers" : "Parameters", fate_names[f]);
        for (guint i = 0; i < r->items->len; i++)
          {
            const DvTransferItem *it = g_ptr_array_index (r->items, i);
            if (it->fate != f || !it->buffer != !buffers)
              continue;
            if (f == DV_TRANSFER_KEPT && shown == max_kept)
              {
                g_string_append_printf (s, " … (%u more)", n - shown);
                break;
              }
            g_string_append_printf (s, "%s %s", shown ? "," : "", it->name);
            if (it->why)
              g_string_append_printf (s, " (%s)", it->why);
            shown++;
          }
      }
  return g_string_free (s, FALSE);
}

/* ---- what each tensor belongs to ------------------------------------------------------ */

typedef enum {
  ROLE_LEARNT,   /* weights, biases, norm statistics: carried over while their module stays the same */
  ROLE_TAU,      /* a time constant: the description's, unless trained and left alone by the edit */
  ROLE_DESC,     /* constants the description sets (supralinearity, local index maps) */
  ROLE_RESIDUAL, /* n_residual_timesteps: derived from delays and dt */
} Role;

typedef struct {
  Role role;
  int layer;   /* ROLE_TAU: the layer whose tau it is */
  char *what;  /* ROLE_LEARNT: the module's definition, in words */
} Owner;

static void
owner_free (gpointer data)
{
  Owner *o = data;
  g_free (o->what);
  g_free (o);
}

static void
own (GHashTable *h, DvParam *p, Role role, int layer, const char *what)
{
  if (p == NULL)
    return;
  Owner *o = g_new0 (Owner, 1);
  o->role = role;
  o->layer = layer;
  o->what = g_strdup (what);
  g_hash_table_replace (h, p, o);
}

static void
own_conv (GHashTable *h, const DvConvMod *c, const char *what)
{
  if (c->wn)
    {
      own (h, c->wn->g, ROLE_LEARNT, -1, what);
      own (h, c->wn->v, ROLE_LEARNT, -1, what);
    }
  else
    own (h, c->w, ROLE_LEARNT, -1, what);
  own (h, c->b, ROLE_LEARNT, -1, what);
}

static char *
conv_what (const char *role, const DvConvMod *c)
{
  return g_strdup_printf ("%s %d→%d, kernel %d%s%s", role, c->cfg.cin, c->cfg.cout, c->cfg.kh,
                          c->cfg.groups > 1 ? ", grouped" : "", c->wn ? ", weight norm" : "");
}

static void
own_conv_as (GHashTable *h, const DvConvMod *c, const char *role)
{
  g_autofree char *what = conv_what (role, c);
  own_conv (h, c, what);
}

static void
own_bn (GHashTable *h, const DvBnMod *bn, const char *what)
{
  DvParam *ps[] = { bn->gamma, bn->beta, bn->rmean, bn->rvar, bn->nbt };
  for (guint k = 0; k < G_N_ELEMENTS (ps); k++)
    own (h, ps[k], ROLE_LEARNT, -1, what);
}

static const char *const target_names[] = { "output", "middle", "input" };
static const char *const form_names[] = { "adapt", "conv+bn", "convtranspose+bn", "conv" };

static void
own_layer (GHashTable *h, const DvModel *m, int i)
{
  const DvLayer *L = &m->layers[i];
  const DvLayerDesc *l = L->desc;
  if (L->has_preconv)
    own_conv_as (h, &L->preconv, "pre-convolution");
  own_conv_as (h, &L->conv, "convolution");
  if (L->two_stage)
    own_conv_as (h, &L->conv2, "second convolution");
  if (L->has_midnorm)
    {
      g_autofree char *w = g_strdup_printf ("group norm, %d groups", L->midnorm.G);
      own (h, L->midnorm.gamma, ROLE_LEARNT, -1, w);
      own (h, L->midnorm.beta, ROLE_LEARNT, -1, w);
    }
  if (L->has_rec)
    {
      const DvRecMod *r = &L->rec;
      /* every tensor of a recurrence means what its type, target and kernel say:
       * depthpointwise and pointdepthwise share names and, with equal channels, shapes */
      g_autofree char *w = g_strdup_printf ("recurrence %s, target %s, kernel %d%s", dv_rec_type_name (r->type),
                                            target_names[l->rec_target], l->rec_kernel,
                                            l->rec_bias ? ", bias" : "");
      const DvConvMod *cs[] = { &r->conv, &r->first, &r->second };
      for (guint k = 0; k < G_N_ELEMENTS (cs); k++)
        if (cs[k]->w)
          own_conv (h, cs[k], w);
      own (h, r->self_w, ROLE_LEARNT, -1, w);
      own (h, r->self_b, ROLE_LEARNT, -1, w);
      own (h, r->plane_map, ROLE_DESC, -1, NULL);
      own (h, r->layer_map, ROLE_DESC, -1, NULL);
    }
  if (L->has_tstep)
    own (h, L->tau, ROLE_TAU, i, NULL);
  if (L->has_bn)
    own_bn (h, &L->bn, "batch norm");
  if (L->has_gn)
    {
      g_autofree char *w = g_strdup_printf ("group norm, %d groups", L->gn.G);
      own (h, L->gn.gamma, ROLE_LEARNT, -1, w);
      own (h, L->gn.beta, ROLE_LEARNT, -1, w);
    }
  own (h, L->spbias, ROLE_LEARNT, -1, "spatial bias");
}

static void
own_conn (GHashTable *h, const DvModel *m, int i)
{
  const DvConn *C = &m->conns[i];
  const DvConnDesc *c = C->desc;
  /* a connection's weights mean what its kind, form, ends and slot say */
  g_autofree char *w = g_strdup_printf ("%s %s→%s, %s into %s, kernel %d, stride %d%s",
                                        c->kind == DV_CONN_SKIP ? "skip" : "feedback", c->source, c->target,
                                        form_names[c->form], dv_op_name (c->op), C->conv.cfg.kh,
                                        C->conv.cfg.stride, C->conv.wn ? ", weight norm" : "");
  if (C->has_conv)
    own_conv (h, &C->conv, w);
  if (C->has_bn)
    own_bn (h, &C->bn, w);
}

/* DvParam* -> Owner* for every tensor whose role is known; the rest
 * (custom operations' parameters) are learnt and defined by name and shape. */
static GHashTable *
owners (const DvModel *m)
{
  GHashTable *h = g_hash_table_new_full (NULL, NULL, NULL, owner_free);
  const DvModelDesc *D = m->desc;
  for (int i = 0; i < D->n_layers; i++)
    own_layer (h, m, i);
  for (int i = 0; i < D->n_conns; i++)
    own_conn (h, m, i);
  g_autofree char *w = g_strdup_printf ("readout %d→%d%s%s%s", (int) m->cls_b->shape[0],
                                        (int) (m->cls_wn ? m->cls_wn->v : m->cls_w)->shape[1],
                                        m->cls_wn ? ", weight norm" : "", D->classifier_skip ? ", adds " : "",
                                        D->classifier_skip ? D->classifier_skip : "");
  if (m->cls_wn)
    {
      own (h, m->cls_wn->g, ROLE_LEARNT, -1, w);
      own (h, m->cls_wn->v, ROLE_LEARNT, -1, w);
    }
  else
    own (h, m->cls_w, ROLE_LEARNT, -1, w);
  own (h, m->cls_b, ROLE_LEARNT, -1, w);
  own (h, m->supralin_n, ROLE_DESC, -1, NULL);
  own (h, m->supralin_k, ROLE_DESC, -1, NULL);
  own (h, m->n_res, ROLE_RESIDUAL, -1, NULL);
  return h;
}

/* ---- carrying values over ------------------------------------------------------------- */

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

static char *
shape_text (const DvParam *p)
{
  GString *s = g_string_new ("[");
  for (int i = 0; i < p->ndim; i++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i ? "," : "", p->shape[i]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

static gboolean
same_values (const DvParam *a, const DvParam *b)
{
  if (a->type == DV_PARAM_F32)
    return memcmp (a->data, b->data, sizeof (float) * a->numel) == 0;
  return memcmp (a->idata, b->idata, sizeof (gint64) * a->numel) == 0;
}

static void
copy_values (DvParam *dst, const DvParam *src)
{
  if (dst->type == DV_PARAM_F32)
    memcpy (dst->data, src->data, sizeof (float) * dst->numel);
  else
    memcpy (dst->idata, src->idata, sizeof (gint64) * dst->numel);
}

/* A value the description sets: kept when the old model had the same. */
static void
follow (DvTransferReport *r, const DvParam *p, const DvParam *q, const char *what)
{
  if (q == NULL || !same_shape (p, q))
    report_add (r, p, DV_TRANSFER_REINITIALISED, g_strdup_printf ("new; %s", what));
  else if (same_values (p, q))
    report_add (r, p, DV_TRANSFER_KEPT, NULL);
  else if (p->numel == 1 && p->type == DV_PARAM_F32)
    report_add (r, p, DV_TRANSFER_CHANGED, g_strdup_printf ("%g → %g", q->data[0], p->data[0]));
  else if (p->numel == 1)
    report_add (r, p, DV_TRANSFER_CHANGED,
                g_strdup_printf ("%" G_GINT64_FORMAT " → %" G_GINT64_FORMAT, q->idata[0], p->idata[0]));
  else
    report_add (r, p, DV_TRANSFER_CHANGED, g_strdup (what));
}

/* n_residual_timesteps depends on delays and dt: recomputed for the new
 * model when the old one had it computed (0 = not computed yet). */
static void
follow_residual (DvModel *dst, DvTransferReport *r, const DvParam *q)
{
  if (q != NULL && q->idata[0] != 0)
    dv_model_residual_timesteps (dst);
  follow (r, dst->n_res, q, "computed when the model first trains");
}

void
dv_model_transfer_weights (DvModel *dst, DvModel *src, DvTransferReport *report)
{
  g_return_if_fail (dst != NULL && src != NULL);
  report_start (report);
  g_autoptr (GHashTable) od = owners (dst);
  g_autoptr (GHashTable) os = owners (src);
  gboolean trained_tau = dst->desc->train_tau && src->desc->train_tau;
  DvParam *residual_src = NULL;
  for (guint k = 0; k < dst->params->len; k++)
    {
      DvParam *p = g_ptr_array_index (dst->params, k);
      DvParam *q = dv_model_lookup (src, p->name);
      const Owner *a = g_hash_table_lookup (od, p);
      const Owner *b = q ? g_hash_table_lookup (os, q) : NULL;
      Role role = a ? a->role : ROLE_LEARNT;
      if (role == ROLE_RESIDUAL)
        {
          residual_src = q;
          continue; /* after every weight is in place */
        }
      if (role == ROLE_TAU)
        {
          double tau = dst->desc->layers[a->layer].tau;
          gboolean untouched = b && b->role == ROLE_TAU && src->desc->layers[b->layer].tau == tau;
          if (trained_tau && untouched && same_shape (p, q))
            {
              copy_values (p, q); /* learnt, and the edit left this tau alone */
              report_add (report, p, DV_TRANSFER_KEPT, g_strdup ("trained tau"));
            }
          else
            {
              p->data[0] = (float) tau;
              g_autofree char *what = g_strdup_printf ("tau %g ms from the description", tau);
              follow (report, p, q, what);
            }
          continue;
        }
      if (role == ROLE_DESC)
        {
          follow (report, p, q, "set by the description");
          continue;
        }
      if (q == NULL)
        report_add (report, p, DV_TRANSFER_REINITIALISED, g_strdup ("new"));
      else if (!same_shape (p, q))
        {
          g_autofree char *was = shape_text (q), *now = shape_text (p);
          report_add (report, p, DV_TRANSFER_REINITIALISED, g_strdup_printf ("shape %s → %s", was, now));
        }
      else if ((b ? b->role : ROLE_LEARNT) != ROLE_LEARNT || g_strcmp0 (a ? a->what : NULL, b ? b->what : NULL) != 0)
        report_add (report, p, DV_TRANSFER_REINITIALISED,
                    g_strdup_printf ("redefined: %s → %s", b && b->what ? b->what : "another tensor",
                                     a && a->what ? a->what : "another tensor"));
      else
        {
          copy_values (p, q);
          report_add (report, p, DV_TRANSFER_KEPT, NULL);
        }
    }
  dv_model_sync_weights (dst);
  follow_residual (dst, report, residual_src);
  for (guint k = 0; k < src->params->len; k++)
    {
      DvParam *q = g_ptr_array_index (src->params, k);
      if (dv_model_lookup (dst, q->name) == NULL)
        report_add (report, q, DV_TRANSFER_DROPPED, NULL);
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

/* The soft change itself; report (may be NULL) lists every tensor. */
static gboolean
soft_update (DvModel *m, const DvModelDesc *wanted, DvTransferReport *report, GError **error)
{
  if (dv_model_desc_needs_rebuild (m->desc, wanted))
    {
      g_set_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_INPUT,
                   "this change needs the model to be rebuilt (its structure or history length changes); "
                   "apply it with a rebuild, which keeps every weight that still fits");
      return FALSE;
    }
  g_autoptr (DvModelDesc) before = dv_model_desc_copy (m->desc);
  copy_soft (m->desc, wanted);
  if (!dv_model_desc_validate (m->desc, error))
    {
      copy_soft (m->desc, before);
      dv_model_desc_validate (m->desc, NULL);
      return FALSE;
    }
  report_start (report);
  gint64 residual = m->n_res->idata[0];
  g_autofree float *old_tau = g_new0 (float, MAX (m->desc->n_layers, 1));
  for (int i = 0; i < m->desc->n_layers; i++)
    {
      DvLayer *L = &m->layers[i];
      L->d_ff = (int) (L->desc->t_feedforward / m->desc->dt);
      L->d_rc = (int) (L->desc->t_recurrence / m->desc->dt);
      if (!L->has_tstep)
        continue;
      old_tau[i] = L->tau->data[0];
      /* a trained tau the edit left alone keeps what it learnt; every other follows the description */
      if (!m->desc->train_tau || before->layers[i].tau != L->desc->tau)
        L->tau->data[0] = (float) L->desc->tau;
    }
  if (residual != 0)
    dv_model_residual_timesteps (m); /* delays in steps follow dt */
  if (report == NULL)
    return TRUE;
  for (guint k = 0; k < m->params->len; k++)
    {
      DvParam *p = g_ptr_array_index (m->params, k);
      char *why = NULL;
      for (int i = 0; i < m->desc->n_layers && why == NULL; i++)
        if (m->layers[i].has_tstep && m->layers[i].tau == p && old_tau[i] != p->data[0])
          why = g_strdup_printf ("%g → %g", old_tau[i], p->data[0]);
      if (p == m->n_res && residual != p->idata[0])
        why = g_strdup_printf ("%" G_GINT64_FORMAT " → %" G_GINT64_FORMAT, residual, p->idata[0]);
      report_add (report, p, why ? DV_TRANSFER_CHANGED : DV_TRANSFER_KEPT, why);
    }
  return TRUE;
}

gboolean
dv_model_soft_update (DvModel *m, const DvModelDesc *wanted, GError **error)
{
  g_return_val_if_fail (m != NULL && wanted != NULL, FALSE);
  return soft_update (m, wanted, NULL, error);
}

DvModel *
dv_model_apply_desc (DvModel *model, const DvModelDesc *wanted, guint64 seed, gboolean *rebuilt,
                     DvTransferReport *report, GError **error)
{
  g_return_val_if_fail (model != NULL && wanted != NULL, NULL);
  gboolean dummy;
  if (rebuilt == NULL)
    rebuilt = &dummy;
  *rebuilt = FALSE;
  if (!dv_model_desc_needs_rebuild (model->desc, wanted))
    return soft_update (model, wanted, report, error) ? model : NULL;
  DvModel *fresh = dv_model_new (wanted, error);
  if (fresh == NULL)
    return NULL;
  dv_model_init_params (fresh, seed);
  dv_model_transfer_weights (fresh, model, report);
  *rebuilt = TRUE;
  return fresh;
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
