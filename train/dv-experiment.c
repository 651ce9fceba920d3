/* dv-experiment.c — DynVision's test experiments; see dv-experiment.h.  The protocol table
 * follows SPEC §4.5 (configs/config_experiments.yaml); choices where the SPEC leaves room are
 * listed in doc/training.md. */
#include "dv-experiment.h"

#include "dv-metrics.h"
#include "dv-trainer.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#define NOISE "loader=noise n_timesteps=20 tempmode=dynamic "
#define SSNR_02 "0.2,0.4,0.6,0.8,1.0"
#define SSNR_00 "0.0,0.2,0.4,0.6,0.8,1.0"
#define SSNR_01 "0.0,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1.0"

static const DvExperimentSpec specs[] = {
  { "response", "loader=duration n_timesteps=60 intro=1 stim=30", 20, DV_SWEEP_NONE, "", "", FALSE,
    "one 30-step presentation: the layers' response time courses" },
  { "responseffonly", "loader=duration n_timesteps=4 intro=0 stim=2", 20, DV_SWEEP_FFONLY, "ffonly", "0,1",
    FALSE, "a short presentation with and without recurrence/skip/feedback" },
  { "stability", "loader=duration n_timesteps=125 intro=0 stim=25", 20, DV_SWEEP_NONE, "", "", FALSE,
    "a long blank period after the stimulus: does activity settle?" },
  { "nullcondition", "loader=duration n_timesteps=200 intro=95 stim=10", 20, DV_SWEEP_NONE, "", "", FALSE,
    "a long blank intro before a short stimulus" },
  { "idleresponse", "loader=duration n_timesteps=30 intro=5 stim=15", 20, DV_SWEEP_IDLE, "idle",
    "0,1,5,10,20,40", FALSE, "the model's idle timesteps before the sequence" },
  { "duration", "loader=duration n_timesteps=30 intro=1", 20, DV_SWEEP_PRESENTATION, "stim",
    "1,2,3,4,5,10,15,20", FALSE, "stimulus duration (temporal summation)" },
  { "contrast", "loader=contrast n_timesteps=30 intro=1 stim=20", 20, DV_SWEEP_PRESENTATION, "contrast",
    "0.1,0.2,0.3,0.4,0.6,0.8,1.0", FALSE, "stimulus contrast around the dataset mean" },
  { "interval", "loader=interval n_timesteps=40 intro=1 stim=5", 20, DV_SWEEP_PRESENTATION, "interval",
    "1,2,3,4,6,8,10", FALSE, "two presentations separated by a blank interval (repetition suppression)" },
  { "uniformnoise", NOISE "noisetype=uniform", 20, DV_SWEEP_PRESENTATION, "ssnr", SSNR_02, FALSE,
    "uniform noise at signal-to-signal+noise ratios" },
  { "saltpeppernoise", NOISE "noisetype=saltpepper", 20, DV_SWEEP_PRESENTATION, "ssnr", SSNR_02, FALSE,
    "salt-and-pepper noise" },
  { "poissonnoise", NOISE "noisetype=poisson", 20, DV_SWEEP_PRESENTATION, "ssnr", SSNR_02, FALSE,
    "poisson noise" },
  { "gaussiannoise", NOISE "noisetype=gaussian", 20, DV_SWEEP_PRESENTATION, "ssnr", SSNR_01, FALSE,
    "white gaussian noise" },
  { "gaussiancorrnoise", NOISE "noisetype=gaussian spatialcorr=true", 20, DV_SWEEP_PRESENTATION, "ssnr",
    SSNR_01, FALSE, "spatially correlated gaussian noise" },
  { "phasescramblednoise", NOISE "noisetype=phasescrambled", 20, DV_SWEEP_PRESENTATION, "ssnr", SSNR_00,
    FALSE, "phase-scrambled 1/f noise" },
  { "hundred", "loader=duration n_timesteps=200 intro=0 stim=100", 100, DV_SWEEP_NONE, "", "", FALSE,
    "a 100-step presentation after 100 idle steps" },
  { "ten", "loader=duration n_timesteps=10 intro=0 stim=5", 0, DV_SWEEP_NONE, "", "", FALSE,
    "a 5-step presentation, no idle steps" },
};

guint
dv_experiment_n_specs (void)
{
  return G_N_ELEMENTS (specs);
}

const DvExperimentSpec *
dv_experiment_spec (guint i)
{
  g_return_val_if_fail (i < G_N_ELEMENTS (specs), NULL);
  return &specs[i];
}

gboolean
dv_experiment_lookup (const char *name, DvExperimentSpec *out, GError **error)
{
  g_autofree char *base = g_ascii_strdown (name, -1);
  gboolean ffonly = FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    if (strcmp (base, specs[i].name) == 0)
      {
        *out = specs[i];
        return TRUE;
      }
  if (g_str_has_suffix (base, "ffonly"))
    {
      base[strlen (base) - strlen ("ffonly")] = '\0';
      ffonly = TRUE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    if (strcmp (base, specs[i].name) == 0 && specs[i].sweep != DV_SWEEP_FFONLY)
      {
        *out = specs[i];
        out->ffonly = ffonly;
        return TRUE;
      }
  GString *known = g_string_new (NULL);
  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    g_string_append_printf (known, "%s%s", i ? ", " : "", specs[i].name);
  g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_INVALID,
               "no experiment named '%s'; known: %s (add 'ffonly' for a feedforward-only variant)", name,
               known->str);
  g_string_free (known, TRUE);
  return FALSE;
}

void
dv_experiment_config_init (DvExperimentConfig *c)
{
  memset (c, 0, sizeof *c);
  c->samples = 256;
  c->batch = 32;
  c->seed = 42;
}

/* ---- models ------------------------------------------------------------------------ */

DvModel *
dv_model_rebuild (DvModel *model, void (*edit) (DvModelDesc *desc, gpointer data), gpointer data, GError **error)
{
  g_autoptr (DvModelDesc) d = dv_model_desc_copy (dv_model_get_desc (model));
  edit (d, data);
  if (!dv_model_desc_validate (d, error))
    return NULL;
  DvModel *m = dv_model_new (d, error);
  if (m == NULL)
    return NULL;
  for (guint i = 0; i < dv_model_n_params (model); i++)
    {
      DvParam *src = dv_model_param (model, i), *dst = dv_model_lookup (m, src->name);
      if (dst == NULL || dst->numel != src->numel || dst->type != src->type)
        continue;
      if (src->type == DV_PARAM_F32)
        memcpy (dst->data, src->data, sizeof (float) * src->numel);
      else if (src->idata && dst->idata)
        memcpy (dst->idata, src->idata, sizeof (gint64) * src->numel);
    }
  return m;
}

static void
set_idle (DvModelDesc *d, gpointer data)
{
  d->idle_timesteps = GPOINTER_TO_INT (data);
}

/* ---- one run over the samples ------------------------------------------------------ */

typedef struct {
  DvModel *model;
  int B, T, L;
  double *meas;        /* [B,T,L,4] of the current batch */
  int *C, *H, *W;
} Observe;

static void
observe (DvRun *run, const DvFrame *f, gpointer user_data)
{
  Observe *o = user_data;
  g_autofree DvLayerMeasures *lm = g_new0 (DvLayerMeasures, f->batch);
  for (int l = 0; l < o->L; l++)
    {
      if (f->responses[l])
        dv_layer_measures_cnhw (f->responses[l], o->C[l], f->batch, o->H[l], o->W[l], lm);
      else
        memset (lm, 0, sizeof (DvLayerMeasures) * f->batch);
      for (int b = 0; b < f->batch; b++)
        for (int k = 0; k < DV_N_LAYER_MEASURES; k++)
          o->meas[(((gsize) b * o->T + f->t) * o->L + l) * DV_N_LAYER_MEASURES + k] =
            dv_layer_measures_get (&lm[b], k);
    }
}

typedef struct {
  const DvSequence *seq;
} FrameSource;

static void
frame_of (int t, float *dst, gpointer user_data)
{
  FrameSource *s = user_data;
  dv_sequence_frame (s->seq, t, dst);
}

/* Per value accumulators over samples. */
typedef struct {
  int T, L;
  DvMetricTotals *totals;
  double *meas_sum;    /* [T,L,4] */
  double *n;           /* [T] */
  DvScheduleEntry *schedule;
  int n_samples;
} ValueResult;

static void
value_result_clear (ValueResult *r)
{
  dv_metric_totals_free (r->totals);
  g_free (r->meas_sum);
  g_free (r->n);
  g_free (r->schedule);
}

static void
csv_num (GString *s, double v)
{
  if (isnan (v))
    g_string_append (s, ",nan");
  else
    {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];
      g_string_append_c (s, ',');
      g_string_append (s, g_ascii_formatd (buf, sizeof buf, "%.7g", v));
    }
}

static void
value_text (char *buf, gsize len, double v)
{
  g_ascii_formatd (buf, len, "%.6g", v);
}

static gboolean
run_value (DvModel *model, DvDataset *ds, const int *indices, int n, const DvPresentation *pr,
           const DvExperimentConfig *cfg, gboolean ffonly, const DvExperimentSpec *spec, double value,
           int vi, int nv, GString *rows, ValueResult *res, DvExperimentProgressFunc progress,
           gpointer user_data, GError **error)
{
  const DvModelDesc *D = dv_model_get_desc (model);
  int K = D->n_classes, L = D->n_layers;
  DvLoaderConfig lc;
  dv_loader_config_init (&lc);
  lc.batch_size = cfg->batch > 0 ? cfg->batch : 32;
  lc.order = DV_ORDER_SEQUENTIAL;
  lc.channels = cfg->channels > 0 ? cfg->channels : D->in_channels;
  lc.seed = cfg->seed;
  lc.prefetch = 1;
  g_autoptr (DvLoader) loader = dv_loader_new (ds, indices, n, &lc, pr, error);
  if (loader == NULL)
    return FALSE;
  int T = dv_loader_get_timesteps (loader);
  res->T = T;
  res->L = L;
  res->totals = dv_metric_totals_new (T);
  res->meas_sum = g_new0 (double, (gsize) T * L * DV_N_LAYER_MEASURES);
  res->n = g_new0 (double, T);
  res->schedule = g_new0 (DvScheduleEntry, T);
  if (!dv_presentation_schedule (pr, cfg->seed, res->schedule, error))
    return FALSE;

  Observe ob = { model, 0, T, L, NULL, g_new (int, L), g_new (int, L), g_new (int, L) };
  for (int l = 0; l < L; l++)
    dv_model_layer_shape (model, l, &ob.C[l], &ob.H[l], &ob.W[l]);
  DvRun *run = NULL;
  float *logits = NULL;
  DvStepRecord *rec = NULL;
  gboolean ok = TRUE;
  int nb = dv_loader_get_n_batches (loader), sample0 = 0;
  char vbuf[G_ASCII_DTOSTR_BUF_SIZE];
  value_text (vbuf, sizeof vbuf, value);
  DvSequence *seq;
  for (int b = 0; ok && (seq = dv_loader_next (loader)) != NULL; b++)
    {
      int B = seq->B;
      if (run == NULL || ob.B != B)
        {
          g_clear_pointer (&run, dv_run_free);
          DvRunOptions o = { .feedforward_only = ffonly, .record_all = TRUE };
          run = dv_run_new (model, B, &o);
          dv_run_set_observer (run, observe, &ob);
          ob.B = B;
          g_free (ob.meas);
          ob.meas = g_new0 (double, (gsize) B * T * L * DV_N_LAYER_MEASURES);
          logits = g_renew (float, logits, (gsize) B * T * K);
          rec = g_renew (DvStepRecord, rec, (gsize) B * T);
        }
      FrameSource src = { seq };
      ok = dv_run_forward_frames (run, frame_of, &src, T, logits, error);
      if (ok)
        {
          dv_metrics_records (logits, seq->labels, B, T, K, rec);
          dv_metric_totals_add (res->totals, rec, B, T);
          for (int i = 0; i < B; i++)
            for (int t = 0; t < T; t++)
              {
                const double *m = ob.meas + ((gsize) i * T + t) * L * DV_N_LAYER_MEASURES;
                for (int k = 0; k < L * DV_N_LAYER_MEASURES; k++)
                  res->meas_sum[(gsize) t * L * DV_N_LAYER_MEASURES + k] += m[k];
                res->n[t] += 1;
                if (rows == NULL)
                  continue;
                const DvStepRecord *r = &rec[(gsize) i * T + t];
                const DvScheduleEntry *e = &res->schedule[t];
                g_string_append_printf (rows, "%s,%s,%s,%d,%d,%d", spec->name, spec->parameter, vbuf,
                                        sample0 + i, seq->indices ? seq->indices[i] : -1, t);
                csv_num (rows, t * D->dt);
                g_string_append_printf (rows, ",%d", e->kind == DV_FRAME_STIMULUS);
                csv_num (rows, e->contrast);
                g_string_append_printf (rows, ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",%d", r->label,
                                        r->first_label, r->guess);
                double v[] = { r->guess_confidence, r->first_label_confidence, r->label_confidence, r->accuracy,
                               r->top3, r->top5 };
                for (guint j = 0; j < G_N_ELEMENTS (v); j++)
                  csv_num (rows, v[j]);
                for (int k = 0; k < L * DV_N_LAYER_MEASURES; k++)
                  csv_num (rows, m[k]);
                g_string_append_c (rows, '\n');
              }
          sample0 += B;
        }
      dv_sequence_free (seq);
      if (progress)
        progress (vi, nv, b + 1, nb, user_data);
    }
  res->n_samples = sample0;
  g_clear_pointer (&run, dv_run_free);
  g_free (logits);
  g_free (rec);
  g_free (ob.meas);
  g_free (ob.C);
  g_free (ob.H);
  g_free (ob.W);
  return ok;
}

static void
layer_columns (GString *s, const DvModelDesc *D, const char *const *names, int n)
{
  for (int l = 0; l < D->n_layers; l++)
    for (int k = 0; k < n; k++)
      g_string_append_printf (s, ",%s_%s", D->layers[l].name, names[k]);
}

static gboolean
write_file (const char *dir, const char *name, const char *suffix, const GString *s, GError **error)
{
  g_autofree char *file = g_strdup_printf ("%s_%s.csv", name, suffix);
  g_autofree char *path = g_build_filename (dir, file, NULL);
  return g_file_set_contents (path, s->str, (gssize) s->len, error);
}

static double *
parse_values (const char *text, int *n)
{
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);
  int count = 0;
  double *v = g_new0 (double, g_strv_length (parts) + 1);
  for (int i = 0; parts[i]; i++)
    if (*g_strstrip (parts[i]))
      v[count++] = g_ascii_strtod (parts[i], NULL);
  *n = count;
  return v;
}

static void
append_summary (GString *sum, GString *tc, const DvExperimentSpec *spec, const DvModelDesc *D, double value,
                const ValueResult *r, double *summed_out)
{
  char vbuf[G_ASCII_DTOSTR_BUF_SIZE];
  value_text (vbuf, sizeof vbuf, value);
  int T = r->T, L = r->L, M = DV_N_LAYER_MEASURES;
  int onset = -1, w1 = T;
  for (int t = 0; t < T; t++)
    if (r->schedule[t].kind == DV_FRAME_STIMULUS)
      {
        if (onset < 0)
          onset = t;
        w1 = t + 1;
        if (t + 1 < T && r->schedule[t + 1].kind != DV_FRAME_STIMULUS)
          break;
      }
  for (int t = 0; t < T; t++)
    {
      const DvScheduleEntry *e = &r->schedule[t];
      g_string_append_printf (tc, "%s,%s,%s,%d", spec->name, spec->parameter, vbuf, t);
      csv_num (tc, t * D->dt);
      g_string_append_printf (tc, ",%d", e->kind == DV_FRAME_STIMULUS);
      csv_num (tc, e->contrast);
      csv_num (tc, e->ssnr);
      g_string_append_printf (tc, ",%d", (int) r->n[t]);
      double v[] = { dv_metric_totals_accuracy (r->totals, t), dv_metric_totals_labelled_accuracy (r->totals, t),
                     dv_metric_totals_top (r->totals, 3, t), dv_metric_totals_top (r->totals, 5, t),
                     dv_metric_totals_guess_confidence (r->totals, t),
                     dv_metric_totals_first_label_confidence (r->totals, t) };
      for (guint j = 0; j < G_N_ELEMENTS (v); j++)
        csv_num (tc, v[j]);
      for (int k = 0; k < L * M; k++)
        csv_num (tc, r->n[t] > 0 ? r->meas_sum[(gsize) t * L * M + k] / r->n[t] : NAN);
      g_string_append_c (tc, '\n');
    }

  /* accuracy trace: its peak and final value */
  double best = -1, final = NAN;
  int best_t = -1;
  for (int t = 0; t < T; t++)
    {
      double a = dv_metric_totals_accuracy (r->totals, t);
      if (!isnan (a))
        final = a;
      if (!isnan (a) && a > best)
        best = a, best_t = t;
    }
  g_string_append_printf (sum, "%s,%s,%s,%d,%d", spec->name, spec->parameter, vbuf, r->n_samples, T);
  double v[] = { dv_metric_totals_labelled_accuracy (r->totals, -1), dv_metric_totals_accuracy (r->totals, -1), final,
                 best_t >= 0 ? best : NAN, best_t >= 0 ? best_t * D->dt : NAN,
                 dv_metric_totals_guess_confidence (r->totals, -1),
                 dv_metric_totals_first_label_confidence (r->totals, -1) };
  for (guint j = 0; j < G_N_ELEMENTS (v); j++)
    csv_num (sum, v[j]);
  g_autofree double *trace = g_new (double, T);
  for (int l = 0; l < L; l++)
    {
      for (int t = 0; t < T; t++)
        trace[t] = r->n[t] > 0 ? r->meas_sum[((gsize) t * L + l) * M] / r->n[t] : NAN;
      DvTraceMeasures tm;
      dv_trace_measures (trace, T, MAX (onset, 0), w1, 0.5, 5, &tm);
      summed_out[l] = tm.summed_response;
      csv_num (sum, tm.peak_step >= 0 ? tm.peak_step * D->dt : NAN);
      csv_num (sum, tm.peak_height);
      csv_num (sum, tm.peak_ratio);
      csv_num (sum, tm.summed_response);
      g_string_append (sum, ",@");   /* normalised summed response: filled in at the end */
      csv_num (sum, tm.adaptation_ratio);
      csv_num (sum, tm.onset_step >= 0 ? (tm.onset_step - MAX (onset, 0)) * D->dt : NAN);
    }
  g_string_append_c (sum, '\n');
}

gboolean
dv_experiment_run (DvModel *model, DvDataset *ds, const DvExperimentSpec *spec_in, const DvExperimentConfig *cfg,
                   DvExperimentProgressFunc progress, gpointer user_data, GError **error)
{
  g_return_val_if_fail (cfg->out_dir != NULL, FALSE);
  g_autofree char *ename = g_strdup_printf ("%s%s", spec_in->name,
                                            spec_in->ffonly && !g_str_has_suffix (spec_in->name, "ffonly")
                                            ? "ffonly" : "");
  DvExperimentSpec local = *spec_in;
  local.name = ename;
  const DvExperimentSpec *spec = &local;
  if (g_mkdir_with_parents (cfg->out_dir, 0755) != 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "cannot create folder %s: %s",
                   cfg->out_dir, g_strerror (errno));
      return FALSE;
    }
  const DvModelDesc *D = dv_model_get_desc (model);
  if (!dv_model_check_data (D, ds, NULL, error))
    return FALSE;
  int n_all = dv_dataset_get_n (ds);
  int n = cfg->samples > 0 ? MIN (cfg->samples, n_all) : MIN (256, n_all);
  g_autofree int *order = dv_round_robin_order (ds, NULL, n_all);

  int nv = 1;
  g_autofree double *values = NULL;
  if (spec->sweep != DV_SWEEP_NONE)
    {
      if (cfg->values && cfg->n_values > 0)
        {
          nv = cfg->n_values;
          values = g_memdup2 (cfg->values, sizeof (double) * nv);
        }
      else
        values = parse_values (spec->values, &nv);
    }
  else
    {
      values = g_new0 (double, 1);
      values[0] = NAN;
    }

  static const char *const tc_names[] = { "response_avg", "response_std", "spatial_variance", "feature_variance" };
  static const char *const sum_names[] = { "peak_time_ms", "peak_height", "peak_ratio", "summed_response",
                                           "summed_response_normalised", "adaptation_ratio", "latency_ms" };
  g_autoptr (GString) rows = cfg->no_samples_csv ? NULL : g_string_new (NULL);
  g_autoptr (GString) tc = g_string_new (NULL), sum = g_string_new (NULL);
  if (rows)
    {
      g_string_append (rows, "experiment,parameter,value,sample_index,image_index,times_index,time_ms,stimulus,"
                             "contrast,label_index,first_label_index,guess_index,guess_confidence,"
                             "first_label_confidence,label_confidence,accuracy,accuracy_top3,accuracy_top5");
      layer_columns (rows, D, tc_names, 4);
      g_string_append_c (rows, '\n');
    }
  g_string_append (tc, "experiment,parameter,value,times_index,time_ms,stimulus,contrast,ssnr,n,accuracy,"
                       "labelled_accuracy,accuracy_top3,accuracy_top5,guess_confidence,first_label_confidence");
  layer_columns (tc, D, tc_names, 4);
  g_string_append_c (tc, '\n');
  g_string_append (sum, "experiment,parameter,value,n_samples,timesteps,labelled_accuracy,accuracy,"
                        "accuracy_final,accuracy_peak,accuracy_peak_time_ms,guess_confidence,"
                        "first_label_confidence");
  layer_columns (sum, D, sum_names, G_N_ELEMENTS (sum_names));
  g_string_append_c (sum, '\n');

  g_autofree double *summed = g_new0 (double, (gsize) nv * D->n_layers);
  gboolean ok = TRUE;
  for (int vi = 0; vi < nv && ok; vi++)
    {
      double value = values[vi];
      g_autoptr (DvModel) rebuilt = NULL;
      int idle = spec->idle;
      if (spec->sweep == DV_SWEEP_IDLE)
        idle = (int) value;
      if (idle != D->idle_timesteps)
        {
          rebuilt = dv_model_rebuild (model, set_idle, GINT_TO_POINTER (idle), error);
          if (rebuilt == NULL)
            return FALSE;
        }
      DvModel *m = rebuilt ? rebuilt : model;
      DvPresentation pr;
      dv_presentation_init (&pr, DV_LOADER_DURATION);
      g_auto (GStrv) base = g_strsplit (spec->presentation, " ", -1);
      if (!dv_presentation_parse (&pr, (const char *const *) base, error))
        return FALSE;
      if (cfg->overrides && !dv_presentation_parse (&pr, (const char *const *) cfg->overrides, error))
        return FALSE;
      if (spec->sweep == DV_SWEEP_PRESENTATION)
        {
          char vbuf[G_ASCII_DTOSTR_BUF_SIZE];
          value_text (vbuf, sizeof vbuf, value);
          if (!dv_presentation_set (&pr, spec->parameter, vbuf, error))
            return FALSE;
        }
      pr.dt = D->dt;
      pr.non_label_index = (int) D->non_label_index;
      pr.non_input_value = (float) D->non_input_value;
      pr.n_residual_timesteps = dv_model_residual_timesteps (m);
      if (!dv_presentation_validate (&pr, error))
        {
          g_prefix_error (error, "experiment %s, %s = %g: ", spec->name, spec->parameter, value);
          return FALSE;
        }
      gboolean ffonly = spec->ffonly || (spec->sweep == DV_SWEEP_FFONLY && value != 0);
      ValueResult res = { 0 };
      ok = run_value (m, ds, order, n, &pr, cfg, ffonly, spec, value, vi, nv, rows, &res, progress, user_data,
                      error);
      if (ok)
        append_summary (sum, tc, spec, D, value, &res, summed + (gsize) vi * D->n_layers);
      value_result_clear (&res);
    }
  if (!ok)
    return FALSE;

  /* the normalised summed response (Groen et al.): per layer over the sweep */
  for (int l = 0; l < D->n_layers; l++)
    {
      g_autofree double *col = g_new (double, nv);
      for (int vi = 0; vi < nv; vi++)
        col[vi] = summed[(gsize) vi * D->n_layers + l];
      dv_normalise_by_max (col, nv);
      for (int vi = 0; vi < nv; vi++)
        summed[(gsize) vi * D->n_layers + l] = col[vi];
    }
  GString *filled = g_string_new (NULL);
  int k = 0;
  for (const char *p = sum->str; *p; p++)
    {
      if (*p != '@')
        {
          g_string_append_c (filled, *p);
          continue;
        }
      char buf[G_ASCII_DTOSTR_BUF_SIZE];
      double v = summed[k++];
      g_string_append (filled, isnan (v) ? "nan" : g_ascii_formatd (buf, sizeof buf, "%.7g", v));
    }
  g_string_free (sum, TRUE);
  sum = filled;

  if (rows && !write_file (cfg->out_dir, spec->name, "data", rows, error))
    return FALSE;
  if (!write_file (cfg->out_dir, spec->name, "timecourse", tc, error))
    return FALSE;
  return write_file (cfg->out_dir, spec->name, "summary", sum, error);
}
