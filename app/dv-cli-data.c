/* dv-cli-data.c — `dynvision data show`, `data info` and `data export`.
 *
 * For: looking at a dataset and at the timeline one sample gets under a presentation, from a
 * terminal: `show` renders the frames of one sample as a PNG strip (Cairo) with t, ms and the
 * label under each frame and a coloured schedule band above it, and prints the schedule;
 * `info` prints counts, classes, shape and statistics; `export` writes samples under a
 * presentation as the input tensors (x, labels) of `dynvision run` and `grad`.
 * Not for: training or evaluation, nor anything the workbench draws.
 */
#include "dv-cli-data.h"
#include "dv-cli.h"
#include "dv-value.h"
#include "dv-data.h"
#include "dv-safetensors.h"
#include "dv-plot-private.h"

#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static DvSplit
parse_split (const char *s, gboolean *ok)
{
  *ok = TRUE;
  if (!s || g_str_equal (s, "train"))
    return DV_SPLIT_TRAIN;
  if (g_str_equal (s, "test"))
    return DV_SPLIT_TEST;
  *ok = FALSE;
  return DV_SPLIT_TRAIN;
}

static gboolean
parse_size (const char *s, DvDatasetOptions *opt)
{
  if (!s)
    return TRUE;
  return sscanf (s, "%dx%d", &opt->height, &opt->width) == 2 && opt->height > 0
         && opt->width > 0;
}

/* ---- info ---- */

static int
cmd_info (int argc, char **argv)
{
  g_autofree char *spec = NULL, *split_s = NULL, *size = NULL;
  int max_images = 10000;
  GOptionEntry entries[] = {
    { "dataset", 'd', 0, G_OPTION_ARG_STRING, &spec, "Dataset spec (default embedded)", "SPEC" },
    { "split", 0, 0, G_OPTION_ARG_STRING, &split_s, "train or test (default train)", "SPLIT" },
    { "size", 0, 0, G_OPTION_ARG_STRING, &size, "Resize folder images to HxW", "HxW" },
    { "max", 0, 0, G_OPTION_ARG_INT, &max_images, "Images used for measured statistics",
      "N" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- print dataset information");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_summary (ctx, "Specs: embedded[:SEED], fashion-mnist, mnist, cifar10, "
                                "cifar100, idx:PREFIX, cifar10:DIR, cifar100:DIR, folder:DIR");
  g_autoptr (GError) error = NULL;
  DvDatasetOptions opt = { 0 };
  gboolean ok;
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("dynvision data info: %s\n", error->message);
      return 2;
    }
  const DvCliRange ranges[] = { DV_CLI_INT ("max", &max_images, 1, G_MAXINT) };
  if (dv_cli_check_ranges ("data info", ranges, 1) != 0)
    return 2;
  DvSplit split = parse_split (split_s, &ok);
  if (!ok || !parse_size (size, &opt))
    {
      g_printerr ("dynvision data info: bad --split or --size\n");
      return 2;
    }
  g_autoptr (DvDataset) ds = dv_dataset_open_full (spec ? spec : "embedded", split, &opt,
                                                   &error);
  if (!ds)
    {
      g_printerr ("dynvision data info: %s\n", error->message);
      return 1;
    }

  static const char *const presets[] = { "base (rotation 10, translate 0.1, h-flip, jitter 0.2)",
                                         "mnist (rotation 10, translate 0.1)",
                                         "embedded (rotation 10, translate 0.1, jitter 0.2)" };
  int C = dv_dataset_get_channels (ds), K = dv_dataset_get_n_classes (ds);
  g_print ("dataset:   %s\n", spec ? spec : "embedded");
  g_print ("kind:      %s\n", dv_dataset_get_name (ds));
  g_print ("source:    %s\n", dv_dataset_get_source (ds));
  g_print ("split:     %s\n", split == DV_SPLIT_TEST ? "test" : "train");
  g_print ("samples:   %d\n", dv_dataset_get_n (ds));
  g_print ("shape:     %d x %d x %d (C x H x W)\n", C, dv_dataset_get_height (ds),
           dv_dataset_get_width (ds));
  g_print ("classes:   %d\n", K);
  g_autofree int *counts = dv_dataset_class_counts (ds);
  for (int k = 0; k < K; k++)
    g_print ("  %3d  %-24s %d\n", k, dv_dataset_get_class_name (ds, k), counts[k]);
  float m[3], s[3];
  double mm[3], ms[3];
  dv_dataset_get_stats (ds, m, s);
  dv_dataset_measure_stats (ds, max_images, mm, ms);
  g_print ("normalisation mean/std:");
  for (int c = 0; c < C; c++)
    g_print (" %.4f/%.4f", m[c], s[c]);
  g_print ("\nmeasured mean/std (%d images):", MIN (max_images, dv_dataset_get_n (ds)));
  for (int c = 0; c < C; c++)
    g_print (" %.4f/%.4f", mm[c], ms[c]);
  g_print ("\naugmentation preset: %s\n", presets[dv_dataset_get_augment_preset (ds)]);
  return 0;
}

/* ---- show ---- */

static void
draw_frame (cairo_t *cr, const float *frame, int C, int H, int W, const float *mean,
            const float *std, double x0, double y0, int scale)
{
  cairo_surface_t *img = cairo_image_surface_create (CAIRO_FORMAT_RGB24, W, H);
  guint8 *px = cairo_image_surface_get_data (img);
  int stride = cairo_image_surface_get_stride (img), hw = H * W;
  cairo_surface_flush (img);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      {
        guint8 rgb[3];
        for (int c = 0; c < 3; c++)
          {
            int cc = C == 3 ? c : 0;
            double v = frame[cc * hw + y * W + x] * std[cc] + mean[cc];
            rgb[c] = (guint8) lround (CLAMP (v, 0.0, 1.0) * 255.0);
          }
        *(guint32 *) (px + y * stride + x * 4) = ((guint32) rgb[0] << 16)
                                                 | ((guint32) rgb[1] << 8) | rgb[2];
      }
  cairo_surface_mark_dirty (img);
  cairo_save (cr);
  cairo_translate (cr, x0, y0);
  cairo_scale (cr, scale, scale);
  cairo_set_source_surface (cr, img, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
  cairo_paint (cr);
  cairo_restore (cr);
  cairo_surface_destroy (img);
}

static gboolean
render_strip (const DvSequence *seq, const DvDataset *ds, int channels, double dt,
              const char *title, int columns, int scale, const char *path, GError **error)
{
  int T = seq->T, C = seq->C, H = seq->H, W = seq->W;
  int cols = MIN (T, columns), rows = (T + cols - 1) / cols;
  double pad = 6, band = 8, text = dt > 0 ? 40 : 28, head = 24;
  double cw = W * scale + pad, ch = band + 2 + H * scale + text;
  int width = (int) ceil (pad + cols * cw), height = (int) ceil (head + rows * ch + pad);

  float m[3], s[3];
  dv_dataset_get_stats (ds, m, s);
  if (C == 1 && dv_dataset_get_channels (ds) == 3)
    {
      m[0] = (m[0] + m[1] + m[2]) / 3;
      s[0] = (s[0] + s[1] + s[2]) / 3;
    }
  (void) channels;

  cairo_surface_t *surf = cairo_image_surface_create (CAIRO_FORMAT_RGB24, width, height);
  cairo_t *cr = cairo_create (surf);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  /* text through plot/'s Pango helper; y below is the top of each line */
  cairo_set_source_rgb (cr, 0, 0, 0);
  dvp_text_fit (cr, pad, 4, title, 12, FALSE, 0, 0, width - 2 * pad);

  g_autofree float *frame = g_new (float, dv_sequence_frame_size (seq));
  for (int t = 0; t < T; t++)
    {
      const DvScheduleEntry *e = &seq->schedule[t];
      double x0 = pad + (t % cols) * cw, y0 = head + (t / cols) * ch;
      /* schedule band: stimulus (blue, lighter when its label is masked), blank (grey) */
      if (e->kind == DV_FRAME_STIMULUS)
        cairo_set_source_rgb (cr, e->label_masked ? 0.6 : 0.15, e->label_masked ? 0.7 : 0.4,
                              0.85);
      else
        cairo_set_source_rgb (cr, 0.82, 0.82, 0.82);
      cairo_rectangle (cr, x0, y0, W * scale, band);
      cairo_fill (cr);

      dv_sequence_frame (seq, t, frame);
      draw_frame (cr, frame, C, H, W, m, s, x0, y0 + band + 2, scale);

      gint64 y = seq->labels[t];               /* sample 0 of the sequence */
      char line[64];
      double ty = y0 + band + 2 + H * scale + 2;
      cairo_set_source_rgb (cr, 0, 0, 0);
      g_snprintf (line, sizeof line, "t=%d", t);
      dvp_text (cr, x0, ty, line, 10, FALSE, 0, 0);
      if (dt > 0)
        {
          g_snprintf (line, sizeof line, "%g ms", t * dt);
          dvp_text (cr, x0, ty + 12, line, 10, FALSE, 0, 0);
          ty += 12;
        }
      /* the band says blank (grey) or masked (light blue) */
      g_snprintf (line, sizeof line, "y=%" G_GINT64_FORMAT, y);
      cairo_set_source_rgb (cr, y >= 0 ? 0 : 0.45, y >= 0 ? 0 : 0.45, y >= 0 ? 0 : 0.45);
      dvp_text (cr, x0, ty + 12, line, 10, FALSE, 0, 0);
    }
  cairo_destroy (cr);
  cairo_status_t st = cairo_surface_write_to_png (surf, path);
  cairo_surface_destroy (surf);
  if (st != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "'%s': cannot write PNG: %s",
                   path, cairo_status_to_string (st));
      return FALSE;
    }
  return TRUE;
}

static void
print_schedule (const DvSequence *seq, double dt)
{
  g_print ("%4s %8s %-9s %-12s %4s %8s %6s %6s\n", "t", "ms", "kind", "phase", "pres",
           "contrast", "ssnr", "label");
  for (int t = 0; t < seq->T; t++)
    {
      const DvScheduleEntry *e = &seq->schedule[t];
      char ms[32] = "-";
      if (dt > 0)
        g_snprintf (ms, sizeof ms, "%g", t * dt);
      g_print ("%4d %8s %-9s %-12s %4d %8.3g %6.3g %6" G_GINT64_FORMAT "%s\n", t, ms,
               e->kind == DV_FRAME_STIMULUS ? "stimulus" : "blank", dv_phase_to_string (e->phase),
               e->presentation, e->contrast, e->ssnr, seq->labels[t],
               e->label_masked ? " (masked)" : "");
    }
}

/* ---- one sample (or a run of samples) under a presentation: show, export ---- */

typedef struct {
  char *spec, *split_s, *loader, *size, *noise;
  char **sets;
  int intro, stim, steps, interval, index, channels;
  double dt, contrast, ssnr;
  gint64 seed;
} SampleArgs;

static void
sample_args_clear (SampleArgs *a)
{
  g_free (a->spec);
  g_free (a->split_s);
  g_free (a->loader);
  g_free (a->size);
  g_free (a->noise);
  g_strfreev (a->sets);
}

/* Puts the options show and export share at the start of `e` (room for 17); returns how many. */
static int
sample_args_entries (SampleArgs *a, GOptionEntry *e)
{
  *a = (SampleArgs) { .intro = -1, .stim = -1, .steps = -1, .interval = -1, .contrast = -1, .ssnr = -1,
                      .seed = 42 };
  const GOptionEntry own[] = {
    { "dataset", 'd', 0, G_OPTION_ARG_STRING, &a->spec, "Dataset spec (default embedded)", "SPEC" },
    { "split", 0, 0, G_OPTION_ARG_STRING, &a->split_s, "train or test (default test)", "SPLIT" },
    { "index", 'i', 0, G_OPTION_ARG_INT, &a->index, "Sample index (default 0)", "I" },
    { "loader", 'l', 0, G_OPTION_ARG_STRING, &a->loader,
      "standard, repetition, duration (default), interval, contrast, noise", "NAME" },
    { "steps", 0, 0, G_OPTION_ARG_INT, &a->steps, "n_timesteps of the loader", "T" },
    { "intro", 0, 0, G_OPTION_ARG_INT, &a->intro, "intro_duration (steps)", "N" },
    { "stim", 0, 0, G_OPTION_ARG_INT, &a->stim, "stimulus_duration (steps)", "N" },
    { "interval", 0, 0, G_OPTION_ARG_INT, &a->interval, "interval_duration (steps)", "N" },
    { "contrast", 0, 0, G_OPTION_ARG_DOUBLE, &a->contrast, "stimulus_contrast", "C" },
    { "noise", 0, 0, G_OPTION_ARG_STRING, &a->noise, "noise_type", "TYPE" },
    { "ssnr", 0, 0, G_OPTION_ARG_DOUBLE, &a->ssnr, "noise level in [0,1]", "S" },
    { "set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &a->sets,
      "Any presentation parameter by DynVision name or alias (repeatable)", "KEY=VALUE" },
    { "dt", 0, 0, G_OPTION_ARG_DOUBLE, &a->dt, "Timestep in ms (default: the presentation's, 2)", "MS" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &a->seed, "Seed for noise and pattern shuffling", "N" },
    { "channels", 0, 0, G_OPTION_ARG_INT, &a->channels, "Model channels: 0 (as data), 1, 3", "C" },
    { "size", 0, 0, G_OPTION_ARG_STRING, &a->size, "Resize folder images to HxW", "HxW" },
  };
  memcpy (e, own, sizeof own);
  return G_N_ELEMENTS (own);
}

/* Checks the shared options, builds the presentation (loader, the shortcuts, then --set, in
 * that order) and opens the data set; 0, or the exit status after a message. */
static int
sample_args_open (SampleArgs *a, const char *cmd, DvPresentation *pres, DvSplit *split, DvDataset **ds)
{
  const DvCliRange ranges[] = {
    DV_CLI_INT ("index", &a->index, 0, G_MAXINT),
    DV_CLI_INT ("steps", &a->steps, -1, 100000),
    DV_CLI_INT ("intro", &a->intro, -1, 100000),
    DV_CLI_INT ("stim", &a->stim, -1, 100000),
    DV_CLI_INT ("interval", &a->interval, -1, 100000),
    DV_CLI_DOUBLE ("dt", &a->dt, 0, 1e6, 0),
    DV_CLI_INT64 ("seed", &a->seed, 0, G_MAXINT64),
  };
  int bad = dv_cli_check_ranges (cmd, ranges, G_N_ELEMENTS (ranges));
  if (bad != 0)
    return bad;
  gboolean ok;
  DvDatasetOptions opt = { 0 };
  *split = parse_split (a->split_s ? a->split_s : "test", &ok);
  if (!ok || !parse_size (a->size, &opt) || !(a->channels == 0 || a->channels == 1 || a->channels == 3))
    {
      g_printerr ("dynvision %s: bad --split (train or test), --size (HxW) or --channels (0, 1 or 3)\n", cmd);
      return 2;
    }

  g_autoptr (GPtrArray) kv = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (kv, g_strdup_printf ("loader=%s", a->loader ? a->loader : "duration"));
  if (a->steps >= 0)
    g_ptr_array_add (kv, g_strdup_printf ("n_timesteps=%d", a->steps));
  if (a->intro >= 0)
    g_ptr_array_add (kv, g_strdup_printf ("intro_duration=%d", a->intro));
  if (a->stim >= 0)
    g_ptr_array_add (kv, g_strdup_printf ("stimulus_duration=%d", a->stim));
  if (a->interval >= 0)
    g_ptr_array_add (kv, g_strdup_printf ("interval_duration=%d", a->interval));
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  if (a->contrast >= 0)
    g_ptr_array_add (kv, g_strconcat ("stimulus_contrast=", g_ascii_dtostr (buf, sizeof buf, a->contrast), NULL));
  if (a->noise)
    g_ptr_array_add (kv, g_strdup_printf ("noise_type=%s", a->noise));
  if (a->ssnr >= 0)
    g_ptr_array_add (kv, g_strconcat ("ssnr=", g_ascii_dtostr (buf, sizeof buf, a->ssnr), NULL));
  if (a->dt > 0)
    g_ptr_array_add (kv, g_strconcat ("dt=", g_ascii_dtostr (buf, sizeof buf, a->dt), NULL));
  for (int i = 0; a->sets && a->sets[i]; i++)
    g_ptr_array_add (kv, g_strdup (a->sets[i]));
  g_ptr_array_add (kv, NULL);

  g_autoptr (GError) error = NULL;
  dv_presentation_init (pres, DV_LOADER_DURATION);
  if (!dv_presentation_parse (pres, (const char *const *) kv->pdata, &error)
      || !dv_presentation_validate (pres, &error))
    {
      g_printerr ("dynvision %s: %s\n", cmd, error->message);
      return 2;
    }
  *ds = dv_dataset_open_full (a->spec ? a->spec : "embedded", *split, &opt, &error);
  if (*ds == NULL)
    {
      g_printerr ("dynvision %s: %s\n", cmd, error->message);
      return 1;
    }
  if (a->index >= dv_dataset_get_n (*ds))
    {
      g_printerr ("dynvision %s: --index %d outside 0..%d\n", cmd, a->index, dv_dataset_get_n (*ds) - 1);
      g_clear_pointer (ds, dv_dataset_unref);
      return 2;
    }
  return 0;
}

/* Samples index … index+count−1 of ds under the presentation, as one sequence. */
static DvSequence *
sample_args_sequence (const SampleArgs *a, DvDataset *ds, const DvPresentation *pres, int count, int *C_out,
                      GError **error)
{
  int C = a->channels ? a->channels : dv_dataset_get_channels (ds);
  int H = dv_dataset_get_height (ds), W = dv_dataset_get_width (ds);
  gsize frame = (gsize) C * H * W;
  g_autofree float *img = g_new (float, frame * count);
  g_autofree int *cls = g_new (int, count);
  for (int b = 0; b < count; b++)
    {
      dv_dataset_get_image (ds, a->index + b, C, img + frame * b);
      cls[b] = dv_dataset_get_label (ds, a->index + b);
    }
  *C_out = C;
  DvSequence *seq = dv_presentation_build (pres, img, cls, count, C, H, W, (guint64) a->seed, error);
  for (int b = 0; seq && seq->indices && b < count; b++)
    seq->indices[b] = a->index + b;
  return seq;
}

static int
cmd_show (int argc, char **argv)
{
  SampleArgs a;
  g_autofree char *out = NULL;
  int columns = 20, scale = 0;
  GOptionEntry entries[21] = { { NULL } };
  int n = sample_args_entries (&a, entries);
  entries[n++] = (GOptionEntry) { "columns", 0, 0, G_OPTION_ARG_INT, &columns, "Frames per row (default 20)", "N" };
  entries[n++] = (GOptionEntry) { "scale", 0, 0, G_OPTION_ARG_INT, &scale, "Pixel magnification (default: auto)", "K" };
  entries[n++] = (GOptionEntry) { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out, "PNG file (default strip.png)", "FILE" };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- render one sample's timeline");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  int status = 0;
  g_autoptr (DvDataset) ds = NULL;
  DvPresentation pres;
  DvSplit split;
  const DvCliRange ranges[] = { DV_CLI_INT ("columns", &columns, 1, 10000), DV_CLI_INT ("scale", &scale, 0, 256) };
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("dynvision data show: %s\n", error->message);
      status = 2;
    }
  else if ((status = dv_cli_check_ranges ("data show", ranges, G_N_ELEMENTS (ranges))) == 0)
    status = sample_args_open (&a, "data show", &pres, &split, &ds);
  if (status != 0)
    {
      sample_args_clear (&a);
      return status;
    }

  int C;
  g_autoptr (DvSequence) seq = sample_args_sequence (&a, ds, &pres, 1, &C, &error);
  if (!seq)
    {
      g_printerr ("dynvision data show: %s\n", error->message);
      sample_args_clear (&a);
      return 1;
    }
  int H = dv_dataset_get_height (ds), W = dv_dataset_get_width (ds);
  if (scale == 0)
    scale = MAX (1, (64 + MAX (H, W) - 1) / MAX (H, W));
  double dt = a.dt > 0 ? a.dt : pres.dt; /* the presentation's (DynVision's default 2 ms): frames in ms */
  int cls = seq->classes[0];
  g_autofree char *title = g_strdup_printf ("%s [%s] #%d: class %d (%s), %s, T=%d",
                                            a.spec ? a.spec : "embedded",
                                            split == DV_SPLIT_TEST ? "test" : "train", a.index,
                                            cls, dv_dataset_get_class_name (ds, cls),
                                            dv_loader_kind_to_string (pres.loader), seq->T);
  const char *path = out ? out : "strip.png";
  sample_args_clear (&a);
  if (!render_strip (seq, ds, C, dt, title, columns, scale, path, &error))
    {
      g_printerr ("dynvision data show: %s\n", error->message);
      return 1;
    }
  g_autofree char *pstr = dv_presentation_to_string (&pres);
  g_print ("%s\n%s\n", title, pstr);
  print_schedule (seq, dt);
  g_print ("wrote %s\n", path);
  return 0;
}

/* `data export`: x [B,T,C,H,W] and labels [B,T] (−1: no label), the input of `dynvision
 * run`/`grad`, with what made them in the metadata. */
static int
cmd_export (int argc, char **argv)
{
  SampleArgs a;
  g_autofree char *out = NULL;
  int count = 1;
  GOptionEntry entries[21] = { { NULL } };
  int n = sample_args_entries (&a, entries);
  entries[n++] = (GOptionEntry) { "count", 'n', 0, G_OPTION_ARG_INT, &count,
                                  "Samples index … index+N−1, one batch row each (default 1)", "N" };
  entries[n++] = (GOptionEntry) { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out, "The .safetensors file to write", "FILE" };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("-o X.safetensors - write samples under a presentation "
                                                         "as the input tensors of dynvision run / grad");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  int status = 0;
  g_autoptr (DvDataset) ds = NULL;
  DvPresentation pres;
  DvSplit split;
  const DvCliRange ranges[] = { DV_CLI_INT ("count", &count, 1, 65536) };
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("dynvision data export: %s\n", error->message);
      status = 2;
    }
  else if ((status = dv_cli_check_ranges ("data export", ranges, G_N_ELEMENTS (ranges))) == 0 && out == NULL)
    {
      g_printerr ("dynvision data export: give the file to write with -o X.safetensors\n");
      status = 2;
    }
  if (status == 0)
    status = sample_args_open (&a, "data export", &pres, &split, &ds);
  if (status == 0 && a.index + (gint64) count > dv_dataset_get_n (ds))
    {
      g_printerr ("dynvision data export: --index %d --count %d runs past the last sample (%d); give "
                  "--count %d or less\n", a.index, count, dv_dataset_get_n (ds) - 1, dv_dataset_get_n (ds) - a.index);
      status = 2;
    }
  int C = 0;
  g_autoptr (DvSequence) seq = status == 0 ? sample_args_sequence (&a, ds, &pres, count, &C, &error) : NULL;
  if (status == 0 && seq == NULL)
    {
      g_printerr ("dynvision data export: %s\n", error->message);
      status = 1;
    }
  if (status != 0)
    {
      sample_args_clear (&a);
      return status;
    }

  gsize numel = (gsize) seq->T * dv_sequence_frame_size (seq); /* frames are B×C×H×W */
  g_autofree float *x = g_new (float, numel);
  dv_sequence_materialize (seq, x);
  g_autoptr (DvSafetensorsWriter) w = dv_safetensors_writer_new ();
  gint64 xs[5] = { seq->B, seq->T, seq->C, seq->H, seq->W }, ls[2] = { seq->B, seq->T };
  dv_safetensors_writer_add (w, "x", DV_DTYPE_F32, 5, xs, x);
  dv_safetensors_writer_add (w, "labels", DV_DTYPE_I64, 2, ls, seq->labels);
  g_autofree char *pstr = dv_presentation_to_string (&pres);
  g_autofree char *idx = g_strdup_printf ("%d-%d", a.index, a.index + count - 1);
  g_autofree char *seed = g_strdup_printf ("%" G_GINT64_FORMAT, a.seed);
  dv_safetensors_writer_set_metadata (w, "dynvision.data", a.spec ? a.spec : "embedded");
  dv_safetensors_writer_set_metadata (w, "dynvision.split", split == DV_SPLIT_TEST ? "test" : "train");
  dv_safetensors_writer_set_metadata (w, "dynvision.indices", idx);
  dv_safetensors_writer_set_metadata (w, "dynvision.presentation", pstr);
  dv_safetensors_writer_set_metadata (w, "dynvision.seed", seed);
  sample_args_clear (&a);
  if (!dv_safetensors_writer_save (w, out, &error))
    {
      g_printerr ("dynvision data export: %s\n", error->message);
      return 1;
    }
  g_print ("%s\nwrote %s: x [%d, %d, %d, %d, %d] (float32), labels [%d, %d] (int64, −1 = no label); samples %s of "
           "the %s split\n", pstr, out, seq->B, seq->T, seq->C, seq->H, seq->W, seq->B, seq->T, idx,
           split == DV_SPLIT_TEST ? "test" : "train");
  return 0;
}

int
dv_cli_data_main (int argc, char **argv)
{
  if (argc < 2 || g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h")
      || g_str_equal (argv[1], "help"))
    {
      g_print ("Usage: dynvision data COMMAND [OPTIONS]\n\n"
               "Commands:\n"
               "  show   render one sample's timeline as a PNG strip and print its schedule\n"
               "  info   print counts, classes, shape and statistics of a dataset\n"
               "  export write samples under a presentation as x [B,T,C,H,W] and labels [B,T]\n"
               "         (a .safetensors file) for dynvision run and grad\n\n"
               "Run 'dynvision data COMMAND --help' for the options.\n");
      return argc < 2 ? 2 : 0;
    }
  if (g_str_equal (argv[1], "show"))
    return cmd_show (argc - 1, argv + 1);
  if (g_str_equal (argv[1], "info"))
    return cmd_info (argc - 1, argv + 1);
  if (g_str_equal (argv[1], "export"))
    return cmd_export (argc - 1, argv + 1);
  g_printerr ("dynvision data: unknown command '%s' (show, info, export)\n", argv[1]);
  return 2;
}
