/* dv-dataset.c — the common part of DvDataset: spec parsing, lookup of installed datasets,
 * file reading (plain or gzip), normalisation statistics, grey/RGB conversion.
 *
 * For: everything a reader does not need to know about its neighbours.
 * Not for: format parsing (dv-idx.c, dv-cifar.c, dv-folder.c) or image generation
 * (dv-embedded.c).
 */
#include "dv-dataset-private.h"
#include "dv-embedded.h"

#include <gio/gio.h>
#include <math.h>
#include <string.h>

G_DEFINE_QUARK (dv-data-error-quark, dv_data_error)

/* Normalisation statistics (SPEC §4.1, DynVision configs/config_data.yaml).  DynVision has no
 * entry for Fashion-MNIST; the commonly published values are used. */
typedef struct
{
  const char *name;
  float mean[3], std[3];
} DvKnownStats;

static const DvKnownStats known_stats[] = {
  { "mnist", { 0.1307f }, { 0.3081f } },
  { "fashion-mnist", { 0.2860f }, { 0.3530f } },
  { "cifar10", { 0.5071f, 0.4867f, 0.4408f }, { 0.2675f, 0.2565f, 0.2761f } },
  { "cifar100", { 0.5071f, 0.4867f, 0.4408f }, { 0.2675f, 0.2565f, 0.2761f } },
};

static const char *const fashion_names[] = {
  "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
  "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot", NULL
};

DvDataset *
dv_dataset_new_internal (const char *name, const char *source, int n, int C, int H, int W,
                         int n_classes, gboolean allocate_pixels)
{
  DvDataset *ds = g_new0 (DvDataset, 1);
  ds->ref_count = 1;
  ds->name = g_strdup (name);
  ds->source = g_strdup (source);
  ds->n = n;
  ds->C = C;
  ds->H = H;
  ds->W = W;
  ds->n_classes = n_classes;
  ds->preset = DV_AUGMENT_PRESET_BASE;
  for (int c = 0; c < 3; c++)
    {
      ds->mean[c] = 0.5f;
      ds->std[c] = 0.25f;
    }
  if (allocate_pixels)
    ds->pixels = g_malloc ((gsize) n * C * H * W);
  ds->labels = g_new0 (gint32, MAX (n, 1));
  dv_dataset_set_class_names (ds, NULL);
  return ds;
}

/* names == NULL gives "0", "1", … */
void
dv_dataset_set_class_names (DvDataset *ds, const char *const *names)
{
  g_strfreev (ds->class_names);
  ds->class_names = g_new0 (char *, ds->n_classes + 1);
  for (int k = 0; k < ds->n_classes; k++)
    ds->class_names[k] = names && names[k] ? g_strdup (names[k]) : g_strdup_printf ("%d", k);
}

void
dv_dataset_set_stats_from_data (DvDataset *ds)
{
  double mean[3], std[3];
  dv_dataset_measure_stats (ds, 0, mean, std);
  for (int c = 0; c < ds->C; c++)
    {
      ds->mean[c] = (float) mean[c];
      ds->std[c] = std[c] > 1e-6 ? (float) std[c] : 1.0f;
    }
}

static void
apply_known_stats (DvDataset *ds, const char *name)
{
  for (gsize k = 0; k < G_N_ELEMENTS (known_stats); k++)
    if (g_str_equal (known_stats[k].name, name))
      {
        for (int c = 0; c < ds->C && c < 3; c++)
          {
            ds->mean[c] = known_stats[k].mean[c];
            ds->std[c] = known_stats[k].std[c];
          }
        return;
      }
}

gboolean
dv_data_read_file (const char *path, guint8 **data, gsize *len, GError **error)
{
  if (!g_str_has_suffix (path, ".gz"))
    {
      char *contents = NULL;
      if (!g_file_get_contents (path, &contents, len, error))
        return FALSE;
      *data = (guint8 *) contents;
      return TRUE;
    }

  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileInputStream) raw = g_file_read (file, NULL, error);
  if (!raw)
    return FALSE;
  g_autoptr (GZlibDecompressor) gz = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);
  g_autoptr (GInputStream) in = g_converter_input_stream_new (G_INPUT_STREAM (raw),
                                                              G_CONVERTER (gz));
  g_autoptr (GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr (GError) local = NULL;
  if (g_output_stream_splice (out, in, G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE
                              | G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, &local) < 0)
    {
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT))
        g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_TRUNCATED,
                     "'%s': truncated gzip stream (%s)", path, local->message);
      else
        g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_IO,
                     "'%s': cannot decompress: %s", path, local->message);
      return FALSE;
    }
  GMemoryOutputStream *mem = G_MEMORY_OUTPUT_STREAM (out);
  *len = g_memory_output_stream_get_data_size (mem);
  *data = g_memory_output_stream_steal_data (mem);
  return TRUE;
}

/* PREFIX-KIND-ubyte or PREFIX-KIND-ubyte.gz, whichever exists (NULL if neither). */
static char *
find_idx_file (const char *prefix, const char *kind)
{
  char *plain = g_strdup_printf ("%s-%s-ubyte", prefix, kind);
  if (g_file_test (plain, G_FILE_TEST_IS_REGULAR))
    return plain;
  char *gz = g_strconcat (plain, ".gz", NULL);
  g_free (plain);
  if (g_file_test (gz, G_FILE_TEST_IS_REGULAR))
    return gz;
  g_free (gz);
  return NULL;
}

static DvDataset *
open_idx_prefix (const char *prefix, GError **error)
{
  g_autofree char *images = find_idx_file (prefix, "images-idx3");
  g_autofree char *labels = find_idx_file (prefix, "labels-idx1");
  if (!images || !labels)
    {
      g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_NOT_FOUND,
                   "'%s-%s-ubyte[.gz]': no such file", prefix,
                   images ? "labels-idx1" : "images-idx3");
      return NULL;
    }
  return dv_dataset_open_idx (images, labels, error);
}

/* Folders searched for a named dataset: $DV_DATA_DIR/SUB, then /usr/share/datasets/SUB. */
static char *
find_named_dir (const char *sub, const char *probe, GString *tried)
{
  const char *roots[] = { g_getenv ("DV_DATA_DIR"), "/usr/share/datasets" };
  for (gsize r = 0; r < G_N_ELEMENTS (roots); r++)
    {
      if (!roots[r] || !*roots[r])
        continue;
      char *dir = g_build_filename (roots[r], sub, NULL);
      g_autofree char *p = g_build_filename (dir, probe, NULL);
      g_autofree char *pgz = g_strconcat (p, ".gz", NULL);
      gboolean ok = g_file_test (p, G_FILE_TEST_EXISTS) || g_file_test (pgz, G_FILE_TEST_EXISTS);
      if (ok)
        return dir;
      g_string_append_printf (tried, "%s%s", tried->len ? ", " : "", dir);
      g_free (dir);
    }
  return NULL;
}

static DvDataset *
open_named_idx (const char *name, DvSplit split, GError **error)
{
  const char *stem = split == DV_SPLIT_TEST ? "t10k" : "train";
  g_autofree char *probe = g_strdup_printf ("%s-images-idx3-ubyte", stem);
  g_autoptr (GString) tried = g_string_new (NULL);
  g_autofree char *dir = find_named_dir (name, probe, tried);
  if (!dir)
    {
      g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_NOT_FOUND,
                   "dataset '%s' not found (looked for %s[.gz] in %s; set DV_DATA_DIR or use "
                   "idx:PREFIX)", name, probe, tried->str);
      return NULL;
    }
  g_autofree char *prefix = g_build_filename (dir, stem, NULL);
  DvDataset *ds = open_idx_prefix (prefix, error);
  if (!ds)
    return NULL;
  g_free (ds->name);
  ds->name = g_strdup (name);
  apply_known_stats (ds, name);
  ds->preset = g_str_equal (name, "mnist") ? DV_AUGMENT_PRESET_MNIST : DV_AUGMENT_PRESET_BASE;
  if (g_str_equal (name, "fashion-mnist") && ds->n_classes == 10)
    dv_dataset_set_class_names (ds, fashion_names);
  return ds;
}

static DvDataset *
open_named_cifar (const char *name, DvSplit split, GError **error)
{
  gboolean c100 = g_str_equal (name, "cifar100");
  const char *sub = c100 ? "cifar-100-binary" : "cifar-10-batches-bin";
  const char *probe = c100 ? (split == DV_SPLIT_TEST ? "test.bin" : "train.bin")
                           : (split == DV_SPLIT_TEST ? "test_batch.bin" : "data_batch_1.bin");
  g_autoptr (GString) tried = g_string_new (NULL);
  g_autofree char *dir = find_named_dir (sub, probe, tried);
  if (!dir)
    {
      g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_NOT_FOUND,
                   "dataset '%s' not found (looked for %s in %s; use %s:DIR)",
                   name, probe, tried->str, name);
      return NULL;
    }
  return dv_dataset_open_cifar (dir, c100 ? 100 : 10, split, error);
}

DvDataset *
dv_dataset_open (const char *spec, DvSplit split, GError **error)
{
  return dv_dataset_open_full (spec, split, NULL, error);
}

DvDataset *
dv_dataset_open_full (const char *spec, DvSplit split, const DvDatasetOptions *options,
                      GError **error)
{
  g_return_val_if_fail (spec != NULL, NULL);
  DvDataset *ds = NULL;
  const char *colon = strchr (spec, ':');
  g_autofree char *kind = colon ? g_strndup (spec, colon - spec) : g_strdup (spec);
  const char *arg = colon ? colon + 1 : NULL;

  if (g_str_equal (kind, "embedded"))
    {
      guint64 seed = DV_EMBEDDED_DEFAULT_SEED;
      if (arg && !g_ascii_string_to_unsigned (arg, 10, 0, G_MAXUINT64, &seed, NULL))
        {
          g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_BAD_SPEC,
                       "dataset spec '%s': embedded:SEED needs an unsigned integer", spec);
          return NULL;
        }
      ds = dv_embedded_new (seed, split, 0);
    }
  else if (!arg && (g_str_equal (kind, "fashion-mnist") || g_str_equal (kind, "mnist")))
    ds = open_named_idx (kind, split, error);
  else if (!arg && (g_str_equal (kind, "cifar10") || g_str_equal (kind, "cifar100")))
    ds = open_named_cifar (kind, split, error);
  else if (arg && *arg && g_str_equal (kind, "idx"))
    ds = open_idx_prefix (arg, error);
  else if (arg && *arg && g_str_equal (kind, "cifar10"))
    ds = dv_dataset_open_cifar (arg, 10, split, error);
  else if (arg && *arg && g_str_equal (kind, "cifar100"))
    ds = dv_dataset_open_cifar (arg, 100, split, error);
  else if (arg && *arg && g_str_equal (kind, "folder"))
    {
      g_autofree char *tr = g_build_filename (arg, "train", NULL);
      g_autofree char *te = g_build_filename (arg, "test", NULL);
      gboolean split_dirs = g_file_test (tr, G_FILE_TEST_IS_DIR)
                            && g_file_test (te, G_FILE_TEST_IS_DIR);
      ds = dv_dataset_open_folder (split_dirs ? (split == DV_SPLIT_TEST ? te : tr) : arg,
                                   options, error);
    }
  else
    {
      g_set_error (error, DV_DATA_ERROR, DV_DATA_ERROR_BAD_SPEC,
                   "dataset spec '%s' not understood (use embedded, fashion-mnist, mnist, "
                   "cifar10, cifar100, idx:PREFIX, cifar10:DIR, cifar100:DIR or folder:DIR)",
                   spec);
      return NULL;
    }

  if (ds && options && options->has_stats)
    for (int c = 0; c < 3; c++)
      {
        ds->mean[c] = options->mean[c];
        ds->std[c] = options->std[c] > 0 ? options->std[c] : 1.0f;
      }
  return ds;
}

DvDataset *
dv_dataset_ref (DvDataset *ds)
{
  g_return_val_if_fail (ds != NULL, NULL);
  g_atomic_int_inc (&ds->ref_count);
  return ds;
}

void
dv_dataset_unref (DvDataset *ds)
{
  if (!ds || !g_atomic_int_dec_and_test (&ds->ref_count))
    return;
  g_free (ds->name);
  g_free (ds->source);
  g_strfreev (ds->class_names);
  g_free (ds->pixels);
  g_free (ds->labels);
  g_free (ds);
}

const char *dv_dataset_get_name (const DvDataset *ds) { return ds->name; }
const char *dv_dataset_get_source (const DvDataset *ds) { return ds->source; }
int dv_dataset_get_n (const DvDataset *ds) { return ds->n; }
int dv_dataset_get_channels (const DvDataset *ds) { return ds->C; }
int dv_dataset_get_height (const DvDataset *ds) { return ds->H; }
int dv_dataset_get_width (const DvDataset *ds) { return ds->W; }
int dv_dataset_get_n_classes (const DvDataset *ds) { return ds->n_classes; }
DvAugmentPreset dv_dataset_get_augment_preset (const DvDataset *ds) { return ds->preset; }

const char *
dv_dataset_get_class_name (const DvDataset *ds, int k)
{
  g_return_val_if_fail (k >= 0 && k < ds->n_classes, NULL);
  return ds->class_names[k];
}

int
dv_dataset_get_label (const DvDataset *ds, int i)
{
  g_return_val_if_fail (i >= 0 && i < ds->n, -1);
  return ds->labels[i];
}

void
dv_dataset_get_stats (const DvDataset *ds, float mean[3], float std[3])
{
  for (int c = 0; c < 3; c++)
    {
      mean[c] = c < ds->C ? ds->mean[c] : ds->mean[0];
      std[c] = c < ds->C ? ds->std[c] : ds->std[0];
    }
}

void
dv_dataset_read_raw (const DvDataset *ds, int i, guint8 *out)
{
  g_return_if_fail (i >= 0 && i < ds->n);
  gsize sz = (gsize) ds->C * ds->H * ds->W;
  if (ds->pixels)
    memcpy (out, ds->pixels + (gsize) i * sz, sz);
  else
    ds->generate (ds, i, out);
}

void
dv_dataset_normalize (const DvDataset *ds, const float *in01, int channels, float *out)
{
  int C = ds->C, hw = ds->H * ds->W;
  if (channels <= 0)
    channels = C;
  g_return_if_fail (channels == 1 || channels == 3 || channels == C);

  if (channels == C)
    {
      for (int c = 0; c < C; c++)
        {
          float m = ds->mean[c], inv = 1.0f / ds->std[c];
          for (int p = 0; p < hw; p++)
            out[c * hw + p] = (in01[c * hw + p] - m) * inv;
        }
    }
  else if (channels == 3 && C == 1)
    {
      float m = ds->mean[0], inv = 1.0f / ds->std[0];
      for (int p = 0; p < hw; p++)
        out[p] = out[hw + p] = out[2 * hw + p] = (in01[p] - m) * inv;
    }
  else /* grey from RGB: mean of the channels, normalised with the mean statistics */
    {
      float m = (ds->mean[0] + ds->mean[1] + ds->mean[2]) / 3.0f;
      float inv = 3.0f / (ds->std[0] + ds->std[1] + ds->std[2]);
      for (int p = 0; p < hw; p++)
        out[p] = ((in01[p] + in01[hw + p] + in01[2 * hw + p]) / 3.0f - m) * inv;
    }
}

void
dv_dataset_get_image (const DvDataset *ds, int i, int channels, float *out)
{
  gsize sz = (gsize) ds->C * ds->H * ds->W;
  g_autofree guint8 *raw = g_malloc (sz);
  g_autofree float *f = g_new (float, sz);
  dv_dataset_read_raw (ds, i, raw);
  for (gsize p = 0; p < sz; p++)
    f[p] = raw[p] * (1.0f / 255.0f);
  dv_dataset_normalize (ds, f, channels, out);
}

void
dv_dataset_measure_stats (const DvDataset *ds, int max_images, double mean[3], double std[3])
{
  int n = max_images > 0 ? MIN (max_images, ds->n) : ds->n;
  int hw = ds->H * ds->W;
  double sum[3] = { 0 }, sq[3] = { 0 };
  g_autofree guint8 *raw = g_malloc ((gsize) ds->C * hw);
  for (int i = 0; i < n; i++)
    {
      dv_dataset_read_raw (ds, i, raw);
      for (int c = 0; c < ds->C; c++)
        {
          guint64 s = 0, s2 = 0;
          for (int p = 0; p < hw; p++)
            {
              guint v = raw[c * hw + p];
              s += v;
              s2 += v * v;
            }
          sum[c] += (double) s;
          sq[c] += (double) s2;
        }
    }
  for (int c = 0; c < 3; c++)
    {
      double cnt = (double) n * hw;
      if (c >= ds->C || cnt == 0)
        {
          mean[c] = std[c] = 0.0;
          continue;
        }
      double m = sum[c] / cnt / 255.0;
      double v = sq[c] / cnt / (255.0 * 255.0) - m * m;
      mean[c] = m;
      std[c] = sqrt (MAX (v, 0.0));
    }
}

int *
dv_dataset_class_counts (const DvDataset *ds)
{
  int *counts = g_new0 (int, ds->n_classes);
  for (int i = 0; i < ds->n; i++)
    counts[ds->labels[i]]++;
  return counts;
}
