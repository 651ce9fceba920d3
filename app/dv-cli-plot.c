/* dv-cli-plot.c — `dynvision plot`: headless figures from the files the other commands write.
 *
 *   responses  FROM_{data,timecourse}.csv   per-layer response traces over time (ms) with
 *                                           stimulus bands (plot/'s responses renderer)
 *   accuracy   FROM_{data,timecourse}.csv   accuracy and confidence over time, one line per
 *                                           swept value
 *   latency    FROM_{data,timecourse}.csv   onset latency and peak per layer (plot/'s renderer)
 *   training   metrics.csv [more …]         loss and accuracy over epochs
 *   weights    CKPT.safetensors             weight distributions per layer and connection type
 *
 * Every figure is written by dv_plot_export_full: FIG.{png,svg,pdf} plus FIG.csv (the plotted data)
 * and FIG.json (the parameters, and the provenance: every FROM file with its SHA-256, for
 * `weights` the checkpoint and its model class, and for an experiment CSV what `dynvision test`
 * recorded in NAME_provenance.json beside it).  The drawing code is shared with the workbench. */
#include "dv-cli.h"
#include "dv-value.h"

#include "dv-checkpoint.h"
#include "dv-csv.h"
#include "dv-plot.h"
#include "dv-train-plots.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* An experiment table averaged per (value, timestep). */
typedef struct {
  GPtrArray *values;     /* char*: distinct values in order of appearance */
  char *parameter;       /* "contrast", … or NULL */
  int T;
  double dt;
  int n_cols;
  double *mean;          /* [n_values, T, n_cols] */
  double *count;         /* [n_values, T, n_cols] */
  DvCsv *csv;
} Table;

static void
table_free (Table *t)
{
  g_ptr_array_unref (t->values);
  g_free (t->parameter);
  g_free (t->mean);
  g_free (t->count);
  dv_csv_free (t->csv);
}

static gboolean
table_load (const char *path, Table *t, GError **error)
{
  memset (t, 0, sizeof *t);
  t->csv = dv_csv_load (path, error);
  if (t->csv == NULL)
    return FALSE;
  DvCsv *c = t->csv;
  int ct = dv_csv_column (c, "times_index"), cv = dv_csv_column (c, "value"), cp = dv_csv_column (c, "parameter");
  int cms = dv_csv_column (c, "time_ms");
  if (ct < 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   "%s has no times_index column; give an experiment CSV written by `dynvision test` "
                   "(NAME_data.csv or NAME_timecourse.csv)", path);
      return FALSE;
    }
  t->values = g_ptr_array_new_with_free_func (g_free);
  t->n_cols = dv_csv_n_columns (c);
  t->dt = 1;
  int n = dv_csv_n_rows (c);
  g_autofree int *vi = g_new (int, MAX (n, 1));
  for (int r = 0; r < n; r++)
    {
      const char *v = cv >= 0 ? dv_csv_get (c, r, cv) : "";
      int k = -1;
      for (guint i = 0; i < t->values->len && k < 0; i++)
        if (strcmp (g_ptr_array_index (t->values, i), v) == 0)
          k = (int) i;
      if (k < 0)
        {
          k = (int) t->values->len;
          g_ptr_array_add (t->values, g_strdup (v));
        }
      vi[r] = k;
      int step = (int) dv_csv_get_number (c, r, ct);
      t->T = MAX (t->T, step + 1);
      double ms = cms >= 0 ? dv_csv_get_number (c, r, cms) : NAN;
      if (step > 0 && isfinite (ms))
        t->dt = ms / step;
    }
  if (cp >= 0 && n > 0 && *dv_csv_get (c, 0, cp))
    t->parameter = g_strdup (dv_csv_get (c, 0, cp));
  gsize sz = (gsize) t->values->len * t->T * t->n_cols;
  t->mean = g_new0 (double, MAX (sz, 1));
  t->count = g_new0 (double, MAX (sz, 1));
  for (int r = 0; r < n; r++)
    {
      int step = (int) dv_csv_get_number (c, r, ct);
      if (step < 0)
        continue;
      for (int col = 0; col < t->n_cols; col++)
        {
          double x = dv_csv_get_number (c, r, col);
          if (isnan (x))
            continue;
          gsize i = ((gsize) vi[r] * t->T + step) * t->n_cols + col;
          t->mean[i] += x;
          t->count[i] += 1;
        }
    }
  for (gsize i = 0; i < sz; i++)
    t->mean[i] = t->count[i] > 0 ? t->mean[i] / t->count[i] : NAN;
  return TRUE;
}

static double
table_at (const Table *t, int v, int step, int col)
{
  return col < 0 ? NAN : t->mean[((gsize) v * t->T + step) * t->n_cols + col];
}

/* Layer names: the columns named <layer>_response_avg, in order. */
static GPtrArray *
table_layers (const Table *t)
{
  GPtrArray *a = g_ptr_array_new_with_free_func (g_free);
  for (int i = 0; i < t->n_cols; i++)
    {
      const char *name = dv_csv_column_name (t->csv, i);
      if (g_str_has_suffix (name, "_response_avg"))
        g_ptr_array_add (a, g_strndup (name, strlen (name) - strlen ("_response_avg")));
    }
  return a;
}

static int
table_value_index (const Table *t, const char *value, GError **error)
{
  if (value == NULL)
    return (int) t->values->len - 1;
  double want = g_ascii_strtod (value, NULL);
  for (guint i = 0; i < t->values->len; i++)
    {
      const char *v = g_ptr_array_index (t->values, i);
      if (strcmp (v, value) == 0 || fabs (g_ascii_strtod (v, NULL) - want) < 1e-9)
        return (int) i;
    }
  GString *known = g_string_new (NULL);
  for (guint i = 0; i < t->values->len; i++)
    g_string_append_printf (known, "%s%s", i ? ", " : "", (char *) g_ptr_array_index (t->values, i));
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "no value %s in the table (values: %s)", value, known->str);
  g_string_free (known, TRUE);
  return -1;
}

/* The stimulus timeline of value v (flags, contrast) into the caller's arrays of T. */
static void
table_timeline (const Table *t, int v, guint8 *flags, float *contrast, DvPlotTimeline *tl)
{
  int cs = dv_csv_column (t->csv, "stimulus"), cc = dv_csv_column (t->csv, "contrast");
  int cl = dv_csv_column (t->csv, "label_index"), cn = dv_csv_column (t->csv, "labelled_accuracy");
  for (int s = 0; s < t->T; s++)
    {
      double on = table_at (t, v, s, cs);
      flags[s] = on > 0 ? DV_PLOT_STEP_STIMULUS : DV_PLOT_STEP_BLANK;
      if ((cl >= 0 && table_at (t, v, s, cl) >= 0) || (cn >= 0 && !isnan (table_at (t, v, s, cn))))
        flags[s] |= DV_PLOT_STEP_LABELLED;
      double c = table_at (t, v, s, cc);
      contrast[s] = on > 0 ? (isnan (c) ? 1.0f : (float) c) : 0.0f;
    }
  *tl = (DvPlotTimeline) { flags, contrast, t->T, t->dt };
}

static char *
value_label (const Table *t, int v)
{
  const char *s = g_ptr_array_index (t->values, v);
  if (t->parameter == NULL || *s == '\0' || g_ascii_strcasecmp (s, "nan") == 0)
    return g_strdup ("all");
  return g_strdup_printf ("%s = %s", t->parameter, s);
}

typedef struct {
  char *out, *value, *layer, *measure, *model;
  double width, height, scale;
  gboolean normalise;
  DvProvenance *provenance;   /* what the figure is drawn from */
} Opts;

static gboolean
export (DvPlot plot, const Opts *o, GError **error)
{
  if (!dv_plot_export_full (plot, o->out, o->width, o->height, o->scale, o->provenance, error))
    return FALSE;
  fprintf (stderr, "wrote %s (+ .csv, .json)\n", o->out);
  return TRUE;
}

/* The traces of a responses or latency figure from a loaded table. */
static gboolean
draw_responses (const char *from, Table *t, GPtrArray *layers, int v, const Opts *o, gboolean latency,
                GError **error)
{
  const char *measure = o->measure ? o->measure : "response_avg";
  gboolean ok = FALSE;
  /* traces: every layer at one value, or one layer at every value (--layer) */
  gboolean by_value = o->layer != NULL && !latency;
  guint n = by_value ? t->values->len : layers->len;
  g_autoptr (DvSeries) series = dv_series_new (n, MAX (t->T, 1));
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree int *cols = g_new (int, n);
  for (guint k = 0; k < n; k++)
    {
      const char *layer = by_value ? o->layer : g_ptr_array_index (layers, k);
      g_autofree char *col = g_strdup_printf ("%s_%s", layer, measure);
      cols[k] = dv_csv_column (t->csv, col);
      if (cols[k] < 0)
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s has no column %s", from, col);
          return FALSE;
        }
      g_ptr_array_add (names, by_value ? value_label (t, (int) k) : g_strdup (layer));
    }
  g_autofree float *row = g_new (float, n);
  for (int s = 0; s < t->T; s++)
    {
      for (guint k = 0; k < n; k++)
        row[k] = (float) table_at (t, by_value ? (int) k : v, s, cols[k]);
      dv_series_push (series, s, row);
    }
  g_autofree guint8 *flags = g_new0 (guint8, MAX (t->T, 1));
  g_autofree float *contrast = g_new0 (float, MAX (t->T, 1));
  DvPlotTimeline tl;
  table_timeline (t, v, flags, contrast, &tl);
  g_autofree char *vl = value_label (t, v);
  g_autofree char *title = NULL;
  if (latency)
    {
      DvLatencyPlot p;
      dv_latency_plot_init (&p);
      title = g_strdup_printf ("Latency & peaks (%s)", vl);
      p.title = title;
      p.series = series;
      p.names = (const char *const *) names->pdata;
      p.timeline = tl;
      ok = export (dv_latency_plot_as_plot (&p), o, error);
    }
  else
    {
      DvResponsesPlot p;
      dv_responses_plot_init (&p);
      title = by_value ? g_strdup_printf ("%s responses by %s", o->layer, t->parameter ? t->parameter : "value")
                       : g_strdup_printf ("Layer responses (%s)", vl);
      p.title = title;
      p.series = series;
      p.names = (const char *const *) names->pdata;
      p.timeline = tl;
      p.normalise = o->normalise;
      g_autofree char *yl = g_strcmp0 (measure, "response_avg") == 0 ? NULL : g_strdup (measure);
      p.y_label = yl;
      ok = export (dv_responses_plot_as_plot (&p), o, error);
    }
  return ok;
}

static gboolean
plot_responses (const char *from, const Opts *o, gboolean latency, GError **error)
{
  Table t;
  if (!table_load (from, &t, error))
    return FALSE;
  g_autoptr (GPtrArray) layers = table_layers (&t);
  if (layers->len == 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s has no <layer>_response_avg columns", from);
      table_free (&t);
      return FALSE;
    }
  int v = table_value_index (&t, o->value, error);
  if (v < 0)
    {
      table_free (&t);
      return FALSE;
    }
  gboolean ok = draw_responses (from, &t, layers, v, o, latency, error);
  table_free (&t);
  return ok;
}

static gboolean
plot_accuracy (const char *from, const Opts *o, GError **error)
{
  Table t;
  if (!table_load (from, &t, error))
    return FALSE;
  int v = table_value_index (&t, o->value, error);
  if (v < 0)
    {
      table_free (&t);
      return FALSE;
    }
  int nv = (int) t.values->len;
  const char *keys[2] = { o->measure ? o->measure : "accuracy", "guess_confidence" };
  int cols[2] = { dv_csv_column (t.csv, keys[0]), dv_csv_column (t.csv, keys[1]) };
  if (cols[0] < 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s has no column %s", from, keys[0]);
      table_free (&t);
      return FALSE;
    }
  int np = cols[1] >= 0 && o->measure == NULL ? 2 : 1;
  g_autofree double *x = g_new (double, MAX (t.T, 1));
  g_autofree double *y = g_new (double, (gsize) 2 * nv * MAX (t.T, 1));
  g_autofree DvLine *lines = g_new0 (DvLine, (gsize) 2 * nv);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree DvRgb *colors = g_new (DvRgb, MAX (nv, 1));
  for (int s = 0; s < t.T; s++)
    x[s] = s * t.dt;
  for (int i = 0; i < nv; i++)
    {
      /* a sequential map: low values light, high values dark (as DynVision's parameter hues) */
      colors[i] = dv_colormap_eval (DV_COLORMAP_VIRIDIS, nv > 1 ? 0.85 * (1.0 - (double) i / (nv - 1)) : 0.3);
      g_ptr_array_add (names, value_label (&t, i));
    }
  for (int p = 0; p < np; p++)
    for (int i = 0; i < nv; i++)
      {
        double *yy = y + ((gsize) p * nv + i) * t.T;
        for (int s = 0; s < t.T; s++)
          yy[s] = table_at (&t, i, s, cols[p]);
        lines[p * nv + i] = (DvLine) { g_ptr_array_index (names, i), x, yy, t.T, &colors[i], FALSE };
      }
  g_autofree guint8 *flags = g_new0 (guint8, MAX (t.T, 1));
  g_autofree float *contrast = g_new0 (float, MAX (t.T, 1));
  DvLinesPlot panels[2];
  for (int p = 0; p < np; p++)
    {
      dv_lines_plot_init (&panels[p]);
      panels[p].x_label = "time (ms)";
      panels[p].y_label = p == 0 ? keys[0] : "guess confidence";
      panels[p].lines = lines + p * nv;
      panels[p].n_lines = nv;
      panels[p].unit_range = TRUE;
      table_timeline (&t, v, flags, contrast, &panels[p].timeline);
    }
  g_autofree char *title = g_strdup_printf ("%s over time%s%s", keys[0], t.parameter ? " by " : "",
                                            t.parameter ? t.parameter : "");
  DvPanelsPlot pp = { NULL, title, panels, np };
  gboolean ok = export (dv_panels_plot_as_plot (&pp), o, error);
  table_free (&t);
  return ok;
}

static gboolean
plot_training (char **files, int n_files, const Opts *o, GError **error)
{
  static const char *const loss_cols[] = { "train_loss", "val_loss" };
  static const char *const acc_cols[] = { "train_accuracy", "val_accuracy", "val_guess_confidence" };
  g_autoptr (GPtrArray) keep = g_ptr_array_new_with_free_func (g_free);   /* arrays and names */
  g_autofree DvLine *loss = g_new0 (DvLine, (gsize) 2 * n_files);
  g_autofree DvLine *acc = g_new0 (DvLine, (gsize) 3 * n_files);
  g_autofree DvRgb *colors = g_new (DvRgb, (gsize) 3 * n_files);
  int nl = 0, na = 0;
  for (int f = 0; f < n_files; f++)
    {
      g_autoptr (DvCsv) csv = dv_csv_load (files[f], error);
      if (csv == NULL)
        return FALSE;
      int ce = dv_csv_column (csv, "epoch"), n = dv_csv_n_rows (csv);
      if (ce < 0)
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s has no epoch column; give the metrics.csv "
                       "that `dynvision train` writes", files[f]);
          return FALSE;
        }
      double *x = g_new (double, MAX (n, 1));
      g_ptr_array_add (keep, x);
      for (int r = 0; r < n; r++)
        x[r] = dv_csv_get_number (csv, r, ce);
      g_autofree char *dir = g_path_get_dirname (files[f]);
      g_autofree char *run = g_path_get_basename (dir);
      for (int pass = 0; pass < 2; pass++)
        for (int k = 0; k < (pass == 0 ? 2 : 3); k++)
          {
            const char *name = pass == 0 ? loss_cols[k] : acc_cols[k];
            int c = dv_csv_column (csv, name);
            if (c < 0)
              continue;
            double *y = g_new (double, MAX (n, 1));
            g_ptr_array_add (keep, y);
            for (int r = 0; r < n; r++)
              y[r] = dv_csv_get_number (csv, r, c);
            char *label = n_files > 1 ? g_strdup_printf ("%s %s", run, name) : g_strdup (name);
            g_ptr_array_add (keep, label);
            int ci = f * 3 + k;
            colors[ci] = dv_palette_layer (n_files > 1 ? f : 0);
            DvLine l = { label, x, y, n, &colors[ci], strncmp (name, "val", 3) == 0 };
            if (n_files == 1)
              colors[ci] = dv_palette_layer (k);
            if (pass == 0)
              loss[nl++] = l;
            else
              acc[na++] = l;
          }
    }
  DvLinesPlot panels[2];
  for (int p = 0; p < 2; p++)
    {
      dv_lines_plot_init (&panels[p]);
      panels[p].x_label = "epoch";
      panels[p].markers = TRUE;
    }
  panels[0].y_label = "loss";
  panels[0].lines = loss;
  panels[0].n_lines = nl;
  panels[0].include_zero = TRUE;
  panels[1].y_label = "accuracy";
  panels[1].lines = acc;
  panels[1].n_lines = na;
  panels[1].unit_range = TRUE;
  DvPanelsPlot pp = { NULL, "Training", panels, 2 };
  return export (dv_panels_plot_as_plot (&pp), o, error);
}

static gboolean
plot_weights (DvModel *m, const char *from, const Opts *o, GError **error)
{
  const DvModelDesc *D = dv_model_get_desc (m);
  g_autoptr (GArray) groups = g_array_new (FALSE, TRUE, sizeof (DvWeightGroup));
  g_autoptr (GPtrArray) keep = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < dv_model_n_params (m); i++)
    {
      DvParam *p = dv_model_param (m, i);
      if (p->type != DV_PARAM_F32 || p->is_buffer || strstr (p->name, "weight") == NULL)
        continue;
      /* the layer whose name occurs in the key (the longest such name), else the key's root */
      const char *layer = NULL;
      for (int l = 0; l < D->n_layers; l++)
        if (strstr (p->name, D->layers[l].name) && (layer == NULL || strlen (D->layers[l].name) > strlen (layer)))
          layer = D->layers[l].name;
      if (layer == NULL)
        {
          char *root = g_strndup (p->name, strcspn (p->name, "."));
          g_ptr_array_add (keep, root);
          layer = root;
        }
      const char *kind = dv_connection_type (p->name);
      DvWeightGroup *g = NULL;
      for (guint k = 0; k < groups->len && g == NULL; k++)
        {
          DvWeightGroup *q = &g_array_index (groups, DvWeightGroup, k);
          if (strcmp (q->layer, layer) == 0 && strcmp (q->kind, kind) == 0)
            g = q;
        }
      if (g == NULL)
        {
          DvWeightGroup ng = { layer, kind, NULL, 0 };
          g_array_append_val (groups, ng);
          g = &g_array_index (groups, DvWeightGroup, groups->len - 1);
        }
      float *v = g_renew (float, (float *) g->values, g->n + p->numel);
      memcpy (v + g->n, p->data, sizeof (float) * p->numel);
      g->values = v;
      g->n += p->numel;
    }
  g_autofree char *base = g_path_get_basename (from);
  g_autofree char *title = g_strdup_printf ("Weight distributions — %s", base);
  DvWeightsPlot wp = { NULL, title, (const DvWeightGroup *) groups->data, (int) groups->len };
  gboolean ok = export (dv_weights_plot_as_plot (&wp), o, error);
  for (guint k = 0; k < groups->len; k++)
    g_free ((float *) g_array_index (groups, DvWeightGroup, k).values);
  return ok;
}

/* What `dynvision test` recorded beside an experiment CSV (NAME_{data,timecourse,summary}.csv:
 * NAME_provenance.json) into p: the checkpoint and the SHA-256 it had then, the model class, the
 * data set, the seed and the presentation.  Nothing when there is none (older runs). */
static void
read_test_provenance (DvProvenance *p, const char *from)
{
  static const char *const suffixes[] = { "_data.csv", "_timecourse.csv", "_summary.csv" };
  g_autofree char *path = NULL;
  for (guint i = 0; i < G_N_ELEMENTS (suffixes) && path == NULL; i++)
    if (g_str_has_suffix (from, suffixes[i]))
      {
        g_autofree char *stem = g_strndup (from, strlen (from) - strlen (suffixes[i]));
        path = g_strconcat (stem, "_provenance.json", NULL);
      }
  if (path == NULL || !g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return;
  g_autoptr (GError) error = NULL;
  g_autoptr (DvJson) json = dv_json_parse_file (path, &error);
  DvJson *rec = json ? dv_json_object_get (json, "provenance") : NULL;
  if (rec == NULL || dv_json_type (rec) != DV_JSON_OBJECT)
    return;
  dv_provenance_add_input (p, path, NULL);
  DvJson *ck = dv_json_object_get (rec, "checkpoint");
  DvJson *ck_path = ck && dv_json_type (ck) == DV_JSON_OBJECT ? dv_json_object_get (ck, "path") : NULL;
  DvJson *ck_sha = ck && dv_json_type (ck) == DV_JSON_OBJECT ? dv_json_object_get (ck, "sha256") : NULL;
  if (ck_path && dv_json_type (ck_path) == DV_JSON_STRING)
    {
      p->weights = DV_WEIGHTS_CHECKPOINT;
      p->checkpoint = g_strdup (dv_json_string (ck_path));
      p->checkpoint_sha256 = ck_sha && dv_json_type (ck_sha) == DV_JSON_STRING ? g_strdup (dv_json_string (ck_sha))
                                                                                : NULL;
    }
  const char *keys[] = { "model_class", "dataset", "presentation_settings" };
  char **dst[] = { &p->model_class, &p->dataset, &p->presentation };
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      DvJson *v = dv_json_object_get (rec, keys[i]);
      if (v && dv_json_type (v) == DV_JSON_STRING)
        *dst[i] = g_strdup (dv_json_string (v));
    }
  DvJson *seed = dv_json_object_get (rec, "seed");
  if (seed && dv_json_type (seed) == DV_JSON_NUMBER)
    {
      p->has_seed = TRUE;
      p->seed = (guint64) dv_json_int (seed);
    }
}

/* The figure's provenance: every FROM file with its SHA-256, and for an experiment CSV what
 * `dynvision test` recorded beside it. */
static gboolean
gather_provenance (DvProvenance *p, const char *kind, char **files, int n_files, GError **error)
{
  for (int i = 0; i < n_files; i++)
    if (g_file_test (files[i], G_FILE_TEST_IS_REGULAR) && !dv_provenance_add_input (p, files[i], error))
      return FALSE;
  if (strcmp (kind, "weights") != 0 && n_files > 0)
    read_test_provenance (p, files[0]);
  return TRUE;
}

int
dv_cli_plot (int argc, char **argv)
{
  Opts o = { .width = 900, .height = 520, .scale = 2 };
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &o.out, "Figure file: .png, .svg or .pdf", "FIG" },
    { "value", 'v', 0, G_OPTION_ARG_STRING, &o.value, "Swept value to show (default: the last)", "V" },
    { "layer", 'l', 0, G_OPTION_ARG_STRING, &o.layer, "responses: one layer across all values", "NAME" },
    { "measure", 'm', 0, G_OPTION_ARG_STRING, &o.measure,
      "responses: response_avg (default), response_std, spatial_variance, feature_variance; accuracy: the "
      "column to plot (accuracy)", "NAME" },
    { "normalise", 0, 0, G_OPTION_ARG_NONE, &o.normalise, "responses: divide each trace by its maximum", NULL },
    { "width", 0, 0, G_OPTION_ARG_DOUBLE, &o.width, "Width in points (900)", "W" },
    { "height", 0, 0, G_OPTION_ARG_DOUBLE, &o.height, "Height in points (520)", "H" },
    { "scale", 0, 0, G_OPTION_ARG_DOUBLE, &o.scale, "PNG pixels per point (2)", "S" },
    DV_CLI_MODEL_ENTRY (&o.model),
    { NULL }
  };
  GOptionContext *ctx = g_option_context_new ("responses|accuracy|latency|training|weights FROM… -o FIG — draw a "
                                              "figure");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_description (ctx,
    "FROM is an experiment CSV of `dynvision test` (NAME_data.csv or NAME_timecourse.csv) for\n"
    "responses, accuracy and latency; the metrics.csv of `dynvision train` (several to compare)\n"
    "for training; a checkpoint (.safetensors, .pt, .pth, .ckpt; --model when it does not say\n"
    "which model it is) for weights.  FIG.csv and FIG.json are written beside the figure.");
  GError *error = NULL;
  gboolean parsed = g_option_context_parse (ctx, &argc, &argv, &error);
  g_option_context_free (ctx);
  if (!parsed)
    return dv_cli_fail (error);
  const DvCliRange ranges[] = {
    DV_CLI_DOUBLE ("width", &o.width, 16, 100000, 0), DV_CLI_DOUBLE ("height", &o.height, 16, 100000, 0),
    DV_CLI_DOUBLE ("scale", &o.scale, 0, 64, DV_VALUE_MIN_OPEN),
  };
  if (dv_cli_check_ranges ("plot", ranges, G_N_ELEMENTS (ranges)) != 0)
    return 2;
  if (argc < 3 || o.out == NULL)
    {
      g_printerr ("usage: dynvision plot responses|accuracy|latency|training|weights FROM… -o FIG.{png,svg,pdf}\n");
      return 2;
    }
  const char *kind = argv[1];
  gboolean ok;
  g_autoptr (DvProvenance) provenance = dv_provenance_new ("dynvision plot");
  o.provenance = provenance;
  if (!gather_provenance (provenance, kind, argv + 2, argc - 2, &error))
    ok = FALSE;
  else if (strcmp (kind, "responses") == 0)
    ok = plot_responses (argv[2], &o, FALSE, &error);
  else if (strcmp (kind, "latency") == 0)
    ok = plot_responses (argv[2], &o, TRUE, &error);
  else if (strcmp (kind, "accuracy") == 0)
    ok = plot_accuracy (argv[2], &o, &error);
  else if (strcmp (kind, "training") == 0)
    ok = plot_training (argv + 2, argc - 2, &o, &error);
  else if (strcmp (kind, "weights") == 0)
    {
      int status = 0;
      DvModel *m = dv_cli_load_checkpoint ("plot", argv[2], o.model, argv + 3, argc - 3, &status);
      if (m == NULL)
        {
          g_free (o.out);
          g_free (o.value);
          g_free (o.layer);
          g_free (o.measure);
          g_free (o.model);
          return status;
        }
      provenance->model_class = g_strdup (dv_model_get_desc (m)->model_class);
      ok = dv_provenance_set_checkpoint (provenance, argv[2], FALSE, &error)
           && plot_weights (m, argv[2], &o, &error);
      dv_model_free (m);
    }
  else
    {
      g_printerr ("dynvision plot: unknown figure '%s'; use responses, accuracy, latency, training or weights\n",
                  kind);
      return 2;
    }
  g_free (o.out);
  g_free (o.value);
  g_free (o.layer);
  g_free (o.measure);
  g_free (o.model);
  return ok ? 0 : dv_cli_fail (error);
}
