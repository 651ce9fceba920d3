/* test-data.c — tests of the data library: readers (good and bad files), the embedded set,
 * determinism of batches and the prefetch thread's clean shutdown.  Presentation timelines,
 * noise and augmentation are in test-data-presentation.c (same executable).
 *
 * For: `meson test --suite data`.  Not for: engine or plotting behaviour.
 * Files are written to a fresh temporary directory; Fashion-MNIST is used when installed and
 * the test skips otherwise.
 */
#include "dv-data.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

static char *tmpdir;

/* test-data-presentation.c: presentation timelines, noise and augmentation cases */
void dv_test_data_presentation_register (void);

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmpdir, name, NULL);
}

static void
write_bytes (const char *path, const void *data, gsize len)
{
  g_autoptr (GError) error = NULL;
  g_assert_true (g_file_set_contents (path, data, (gssize) len, &error));
  g_assert_no_error (error);
}

static void
assert_error_names (GError *error, int code, const char *path)
{
  g_assert_error (error, DV_DATA_ERROR, code);
  if (path && !strstr (error->message, path))
    g_error ("message '%s' does not name '%s'", error->message, path);
}

/* ---------------------------------------------------------------- rng */

static void
test_rng_moments (void)
{
  DvRng a, b;
  dv_rng_init (&a, 7);
  dv_rng_init (&b, 7);
  for (int i = 0; i < 100; i++)
    g_assert_cmpuint (dv_rng_next (&a), ==, dv_rng_next (&b));

  const int n = 200000;
  double su = 0, sn = 0, sn2 = 0, sn4 = 0, tail = 0, sp = 0, sp2 = 0, sq = 0, sq2 = 0;
  for (int i = 0; i < n; i++)
    {
      su += dv_rng_uniform (&a);
      double z = dv_rng_normal (&a);
      sn += z;
      sn2 += z * z;
      sn4 += z * z * z * z;
      tail += fabs (z) > 3.0;
      double p = dv_rng_poisson (&a, 3.0), q = dv_rng_poisson (&a, 40.0);
      sp += p;
      sp2 += p * p;
      sq += q;
      sq2 += q * q;
    }
  g_assert_cmpfloat_with_epsilon (su / n, 0.5, 0.005);
  g_assert_cmpfloat_with_epsilon (sn / n, 0.0, 0.01);
  g_assert_cmpfloat_with_epsilon (sn2 / n, 1.0, 0.02);
  g_assert_cmpfloat_with_epsilon (sn4 / n, 3.0, 0.15);          /* normal kurtosis */
  g_assert_cmpfloat_with_epsilon (tail / n, 0.0027, 0.0006);    /* P(|z| > 3) */
  g_assert_cmpfloat_with_epsilon (sp / n, 3.0, 0.03);
  g_assert_cmpfloat_with_epsilon (sp2 / n - (sp / n) * (sp / n), 3.0, 0.1);
  g_assert_cmpfloat_with_epsilon (sq / n, 40.0, 0.15);
  g_assert_cmpfloat_with_epsilon (sq2 / n - (sq / n) * (sq / n), 40.0, 1.2);

  int items[10], seen[10] = { 0 };
  for (int i = 0; i < 10; i++)
    items[i] = i;
  dv_rng_shuffle (&a, items, 10);
  for (int i = 0; i < 10; i++)
    seen[items[i]]++;
  for (int i = 0; i < 10; i++)
    g_assert_cmpint (seen[i], ==, 1);
}

/* ---------------------------------------------------------------- embedded */

static void
test_embedded_deterministic (void)
{
  g_autoptr (DvDataset) a = dv_dataset_open ("embedded", DV_SPLIT_TRAIN, NULL);
  g_autoptr (DvDataset) b = dv_embedded_new (DV_EMBEDDED_DEFAULT_SEED, DV_SPLIT_TRAIN, 0);
  g_autoptr (DvDataset) c = dv_dataset_open ("embedded:7", DV_SPLIT_TRAIN, NULL);
  g_autoptr (DvDataset) t = dv_dataset_open ("embedded", DV_SPLIT_TEST, NULL);
  g_assert_nonnull (a);
  g_assert_cmpint (dv_dataset_get_n (a), ==, DV_EMBEDDED_N_TRAIN);
  g_assert_cmpint (dv_dataset_get_n (t), ==, DV_EMBEDDED_N_TEST);
  g_assert_cmpint (dv_dataset_get_n_classes (a), ==, 10);
  g_assert_cmpint (dv_dataset_get_channels (a), ==, 3);
  g_assert_cmpint (dv_dataset_get_height (a), ==, 32);
  g_assert_cmpstr (dv_dataset_get_class_name (a, 4), ==, "disc");

  guint8 x[3072], y[3072];
  for (int i = 0; i < 20; i++)
    {
      dv_dataset_read_raw (a, i, x);
      dv_dataset_read_raw (b, i, y);
      g_assert_cmpmem (x, sizeof x, y, sizeof y);
      g_assert_cmpint (dv_dataset_get_label (a, i), ==, i % 10);
    }
  dv_dataset_read_raw (a, 3, x);
  dv_dataset_read_raw (c, 3, y);
  g_assert_true (memcmp (x, y, sizeof x) != 0);
  dv_dataset_read_raw (t, 3, y);
  g_assert_true (memcmp (x, y, sizeof x) != 0);

  g_autofree int *counts = dv_dataset_class_counts (a);
  for (int k = 0; k < 10; k++)
    g_assert_cmpint (counts[k], ==, DV_EMBEDDED_N_TRAIN / 10);
}

static void
test_embedded_stats (void)
{
  g_autoptr (DvDataset) ds = dv_dataset_open ("embedded", DV_SPLIT_TRAIN, NULL);
  double mean[3], std[3];
  float m[3], s[3];
  dv_dataset_measure_stats (ds, 3000, mean, std);
  dv_dataset_get_stats (ds, m, s);
  for (int c = 0; c < 3; c++)
    {
      g_assert_cmpfloat_with_epsilon (mean[c], m[c], 0.01);
      g_assert_cmpfloat_with_epsilon (std[c], s[c], 0.01);
    }
  /* normalised: 0 is the mean colour, so the normalised images average ~0 with std ~1 */
  float img[3072];
  double sum = 0, sq = 0;
  for (int i = 0; i < 500; i++)
    {
      dv_dataset_get_image (ds, i, 0, img);
      for (int p = 0; p < 3072; p++)
        {
          sum += img[p];
          sq += img[p] * img[p];
        }
    }
  g_assert_cmpfloat_with_epsilon (sum / (500 * 3072.0), 0.0, 0.05);
  g_assert_cmpfloat_with_epsilon (sq / (500 * 3072.0), 1.0, 0.1);
}

/* ---------------------------------------------------------------- idx */

static GByteArray *
idx_images (guint32 magic, int n, int h, int w, int data_bytes)
{
  GByteArray *a = g_byte_array_new ();
  guint32 hdr[4] = { GUINT32_TO_BE (magic), GUINT32_TO_BE (n), GUINT32_TO_BE (h),
                     GUINT32_TO_BE (w) };
  g_byte_array_append (a, (guint8 *) hdr, 16);
  for (int i = 0; i < data_bytes; i++)
    {
      guint8 v = (guint8) (i * 7);
      g_byte_array_append (a, &v, 1);
    }
  return a;
}

static GByteArray *
idx_labels (int n, int count)
{
  GByteArray *a = g_byte_array_new ();
  guint32 hdr[2] = { GUINT32_TO_BE (0x801), GUINT32_TO_BE (n) };
  g_byte_array_append (a, (guint8 *) hdr, 8);
  for (int i = 0; i < count; i++)
    {
      guint8 v = (guint8) (i % 3);
      g_byte_array_append (a, &v, 1);
    }
  return a;
}

static void
write_gz (const char *path, const guint8 *data, gsize len)
{
  g_autoptr (GZlibCompressor) z = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, -1);
  g_autoptr (GFile) f = g_file_new_for_path (path);
  g_autoptr (GError) error = NULL;
  g_autoptr (GFileOutputStream) fo = g_file_replace (f, NULL, FALSE, 0, NULL, &error);
  g_assert_no_error (error);
  g_autoptr (GOutputStream) out = g_converter_output_stream_new (G_OUTPUT_STREAM (fo),
                                                                 G_CONVERTER (z));
  g_assert_true (g_output_stream_write_all (out, data, len, NULL, NULL, &error));
  g_assert_true (g_output_stream_close (out, NULL, &error));
  g_assert_no_error (error);
}

static void
test_idx_good (void)
{
  g_autoptr (GByteArray) img = idx_images (0x803, 5, 4, 6, 5 * 24);
  g_autoptr (GByteArray) lab = idx_labels (5, 5);
  g_autofree char *ip = tmp_path ("good-images-idx3-ubyte");
  g_autofree char *lp = tmp_path ("good-labels-idx1-ubyte");
  write_bytes (ip, img->data, img->len);
  write_bytes (lp, lab->data, lab->len);
  g_autofree char *spec = g_strdup_printf ("idx:%s/good", tmpdir);
  g_autoptr (GError) error = NULL;
  g_autoptr (DvDataset) ds = dv_dataset_open (spec, DV_SPLIT_TRAIN, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dv_dataset_get_n (ds), ==, 5);
  g_assert_cmpint (dv_dataset_get_channels (ds), ==, 1);
  g_assert_cmpint (dv_dataset_get_height (ds), ==, 4);
  g_assert_cmpint (dv_dataset_get_width (ds), ==, 6);
  g_assert_cmpint (dv_dataset_get_n_classes (ds), ==, 3);
  g_assert_cmpint (dv_dataset_get_label (ds, 4), ==, 1);
  guint8 raw[24];
  dv_dataset_read_raw (ds, 2, raw);
  g_assert_cmpint (raw[0], ==, (guint8) (48 * 7));

  /* the same through .gz files */
  g_autofree char *ipz = tmp_path ("gz-images-idx3-ubyte.gz");
  g_autofree char *lpz = tmp_path ("gz-labels-idx1-ubyte.gz");
  write_gz (ipz, img->data, img->len);
  write_gz (lpz, lab->data, lab->len);
  g_autofree char *specz = g_strdup_printf ("idx:%s/gz", tmpdir);
  g_autoptr (DvDataset) dz = dv_dataset_open (specz, DV_SPLIT_TRAIN, &error);
  g_assert_no_error (error);
  guint8 rawz[24];
  dv_dataset_read_raw (dz, 2, rawz);
  g_assert_cmpmem (raw, 24, rawz, 24);

  /* grey feeds a 3-channel model by repetition */
  float grey[24], rgb[72];
  dv_dataset_get_image (ds, 1, 1, grey);
  dv_dataset_get_image (ds, 1, 3, rgb);
  for (int p = 0; p < 24; p++)
    {
      g_assert_cmpfloat (rgb[p], ==, grey[p]);
      g_assert_cmpfloat (rgb[24 + p], ==, grey[p]);
      g_assert_cmpfloat (rgb[48 + p], ==, grey[p]);
    }
}

static void
test_idx_bad (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GByteArray) lab = idx_labels (5, 5);
  g_autofree char *lp = tmp_path ("bad-labels-idx1-ubyte");
  write_bytes (lp, lab->data, lab->len);

  /* bad magic */
  g_autoptr (GByteArray) m = idx_images (0x1234, 5, 4, 6, 120);
  g_autofree char *mp = tmp_path ("magic-images-idx3-ubyte");
  write_bytes (mp, m->data, m->len);
  g_assert_null (dv_dataset_open_idx (mp, lp, &error));
  assert_error_names (error, DV_DATA_ERROR_BAD_MAGIC, mp);
  g_clear_error (&error);

  /* truncated data */
  g_autoptr (GByteArray) t = idx_images (0x803, 5, 4, 6, 100);
  g_autofree char *tp = tmp_path ("trunc-images-idx3-ubyte");
  write_bytes (tp, t->data, t->len);
  g_assert_null (dv_dataset_open_idx (tp, lp, &error));
  assert_error_names (error, DV_DATA_ERROR_TRUNCATED, tp);
  g_clear_error (&error);

  /* truncated header */
  write_bytes (tp, t->data, 10);
  g_assert_null (dv_dataset_open_idx (tp, lp, &error));
  assert_error_names (error, DV_DATA_ERROR_TRUNCATED, tp);
  g_clear_error (&error);

  /* count mismatch */
  g_autoptr (GByteArray) six = idx_images (0x803, 6, 4, 6, 144);
  g_autofree char *sp = tmp_path ("six-images-idx3-ubyte");
  write_bytes (sp, six->data, six->len);
  g_assert_null (dv_dataset_open_idx (sp, lp, &error));
  assert_error_names (error, DV_DATA_ERROR_COUNT_MISMATCH, sp);
  g_assert_nonnull (strstr (error->message, lp));
  g_clear_error (&error);

  /* dimensions whose product wraps past 2^64 (to 0 and to 2^32): refused
   * before anything is read, not taken as an empty or small data set */
  static const guint32 wrapping[][3] = { { 4, 1u << 31, 1u << 31 },
                                         { 1u << 22, 1u << 21, 1u << 21 },
                                         { 1u << 24, 1u << 20, 1u << 20 } };
  g_autoptr (GByteArray) lab4 = idx_labels (4, 4);
  g_autofree char *lp4 = tmp_path ("four-labels-idx1-ubyte");
  write_bytes (lp4, lab4->data, lab4->len);
  for (gsize k = 0; k < G_N_ELEMENTS (wrapping); k++)
    {
      guint32 hdr[8] = { GUINT32_TO_BE (0x803), GUINT32_TO_BE (wrapping[k][0]),
                         GUINT32_TO_BE (wrapping[k][1]), GUINT32_TO_BE (wrapping[k][2]) };
      g_autofree char *wp = tmp_path ("wrap-images-idx3-ubyte");
      write_bytes (wp, (const guint8 *) hdr, sizeof hdr);
      g_assert_null (dv_dataset_open_idx (wp, lp4, &error));
      assert_error_names (error, DV_DATA_ERROR_BAD_MAGIC, wp);
      g_assert_nonnull (strstr (error->message, "implausible idx dimensions"));
      g_clear_error (&error);
    }

  /* truncated gzip stream */
  g_autofree char *zp = tmp_path ("z-images-idx3-ubyte.gz");
  write_gz (zp, six->data, six->len);
  g_autofree char *zdata = NULL;
  gsize zlen;
  g_assert_true (g_file_get_contents (zp, &zdata, &zlen, NULL));
  write_bytes (zp, zdata, zlen / 2);
  g_assert_null (dv_dataset_open_idx (zp, lp, &error));
  g_assert_true (error->domain == DV_DATA_ERROR);
  g_assert_nonnull (strstr (error->message, zp));
  g_clear_error (&error);

  /* missing files and bad specs */
  g_autofree char *spec = g_strdup_printf ("idx:%s/nothing", tmpdir);
  g_assert_null (dv_dataset_open (spec, DV_SPLIT_TRAIN, &error));
  assert_error_names (error, DV_DATA_ERROR_NOT_FOUND, "nothing");
  g_clear_error (&error);
  g_assert_null (dv_dataset_open ("imagenet-22k", DV_SPLIT_TRAIN, &error));
  g_assert_error (error, DV_DATA_ERROR, DV_DATA_ERROR_BAD_SPEC);
  g_clear_error (&error);
  g_assert_null (dv_dataset_open ("embedded:x", DV_SPLIT_TRAIN, &error));
  g_assert_error (error, DV_DATA_ERROR, DV_DATA_ERROR_BAD_SPEC);
}

/* ---------------------------------------------------------------- cifar */

static void
write_cifar (const char *path, int n, int label_bytes, int bad_label_at, int chop)
{
  gsize rec = label_bytes + 3072;
  g_autofree guint8 *buf = g_malloc0 (rec * n);
  for (int i = 0; i < n; i++)
    {
      guint8 *r = buf + i * rec;
      r[0] = (guint8) (i % 2);                   /* coarse (100) or the label (10) */
      r[label_bytes - 1] = (guint8) (i == bad_label_at ? 200 : i % 10);
      for (int p = 0; p < 3072; p++)
        r[label_bytes + p] = (guint8) (p / 1024 * 100 + i);   /* R, G, B planes */
    }
  write_bytes (path, buf, rec * n - chop);
}

static void
test_cifar (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = tmp_path ("cifar10");
  g_mkdir_with_parents (dir, 0755);
  g_autofree char *b1 = g_build_filename (dir, "data_batch_1.bin", NULL);
  g_autofree char *b2 = g_build_filename (dir, "data_batch_2.bin", NULL);
  g_autofree char *tb = g_build_filename (dir, "test_batch.bin", NULL);
  write_cifar (b1, 4, 1, -1, 0);
  write_cifar (b2, 3, 1, -1, 0);
  write_cifar (tb, 2, 1, -1, 0);
  g_autofree char *spec = g_strdup_printf ("cifar10:%s", dir);
  g_autoptr (DvDataset) tr = dv_dataset_open (spec, DV_SPLIT_TRAIN, &error);
  g_assert_no_error (error);
  g_autoptr (DvDataset) te = dv_dataset_open (spec, DV_SPLIT_TEST, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dv_dataset_get_n (tr), ==, 7);
  g_assert_cmpint (dv_dataset_get_n (te), ==, 2);
  g_assert_cmpint (dv_dataset_get_channels (tr), ==, 3);
  g_assert_cmpint (dv_dataset_get_label (tr, 5), ==, 1);      /* record 1 of batch 2 */
  g_assert_cmpstr (dv_dataset_get_class_name (tr, 9), ==, "truck");
  guint8 raw[3072];
  dv_dataset_read_raw (tr, 5, raw);
  g_assert_cmpint (raw[0], ==, 1);
  g_assert_cmpint (raw[1024], ==, 101);
  g_assert_cmpint (raw[2048], ==, 201);
  /* RGB feeds a grey model by the channel mean */
  float grey[1024];
  float m[3], s[3];
  dv_dataset_get_stats (tr, m, s);
  dv_dataset_get_image (tr, 5, 1, grey);
  double mm = (m[0] + m[1] + m[2]) / 3, ss = (s[0] + s[1] + s[2]) / 3;
  g_assert_cmpfloat_with_epsilon (grey[0], ((1 + 101 + 201) / 3.0 / 255.0 - mm) / ss, 1e-4);

  /* truncated */
  write_cifar (b2, 3, 1, -1, 5);
  g_assert_null (dv_dataset_open (spec, DV_SPLIT_TRAIN, &error));
  assert_error_names (error, DV_DATA_ERROR_TRUNCATED, b2);
  g_clear_error (&error);
  /* label out of range */
  write_cifar (b2, 3, 1, 2, 0);
  g_assert_null (dv_dataset_open (spec, DV_SPLIT_TRAIN, &error));
  assert_error_names (error, DV_DATA_ERROR_BAD_LABEL, b2);
  g_clear_error (&error);
  /* missing directory */
  g_assert_null (dv_dataset_open ("cifar10:/nonexistent/dir", DV_SPLIT_TRAIN, &error));
  assert_error_names (error, DV_DATA_ERROR_NOT_FOUND, "/nonexistent/dir");
  g_clear_error (&error);

  /* CIFAR-100: two label bytes, fine label used */
  g_autofree char *dir100 = tmp_path ("cifar100");
  g_mkdir_with_parents (dir100, 0755);
  g_autofree char *t100 = g_build_filename (dir100, "train.bin", NULL);
  write_cifar (t100, 5, 2, -1, 0);
  g_autofree char *spec100 = g_strdup_printf ("cifar100:%s", dir100);
  g_autoptr (DvDataset) c100 = dv_dataset_open (spec100, DV_SPLIT_TRAIN, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dv_dataset_get_n_classes (c100), ==, 100);
  g_assert_cmpint (dv_dataset_get_label (c100, 3), ==, 3);
  dv_dataset_read_raw (c100, 3, raw);
  g_assert_cmpint (raw[0], ==, 3);
  g_assert_null (dv_dataset_open (spec100, DV_SPLIT_TEST, &error));
  g_assert_true (error->domain == G_FILE_ERROR || error->domain == DV_DATA_ERROR);
}

/* ---------------------------------------------------------------- folder */

static void
save_png (const char *path, int w, int h, guint8 r, guint8 g, guint8 b, const char *type)
{
  g_autoptr (GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, w, h);
  gdk_pixbuf_fill (pb, ((guint32) r << 24) | ((guint32) g << 16) | ((guint32) b << 8) | 0xff);
  g_autoptr (GError) error = NULL;
  g_assert_true (gdk_pixbuf_save (pb, path, type, &error, NULL));
}

static void
test_folder (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *root = tmp_path ("folder");
  const char *classes[] = { "cat", "ant", "bee" };   /* sorted: ant, bee, cat */
  for (int k = 0; k < 3; k++)
    {
      g_autofree char *d = g_build_filename (root, classes[k], NULL);
      g_mkdir_with_parents (d, 0755);
      for (int i = 0; i < 2; i++)
        {
          g_autofree char *name = g_strdup_printf ("%d.png", i);
          g_autofree char *p = g_build_filename (d, name, NULL);
          save_png (p, i ? 12 : 8, 8, (guint8) (50 * k), 10, 200, "png");
        }
    }
  g_autofree char *jp = g_build_filename (root, "bee", "2.jpg", NULL);
  save_png (jp, 8, 8, 100, 100, 100, "jpeg");
  g_autofree char *txt = g_build_filename (root, "bee", "notes.txt", NULL);
  write_bytes (txt, "not an image", 12);

  g_autofree char *spec = g_strdup_printf ("folder:%s", root);
  g_autoptr (DvDataset) ds = dv_dataset_open (spec, DV_SPLIT_TRAIN, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dv_dataset_get_n (ds), ==, 7);
  g_assert_cmpint (dv_dataset_get_n_classes (ds), ==, 3);
  g_assert_cmpstr (dv_dataset_get_class_name (ds, 0), ==, "ant");
  g_assert_cmpstr (dv_dataset_get_class_name (ds, 2), ==, "cat");
  g_assert_cmpint (dv_dataset_get_height (ds), ==, 8);
  g_assert_cmpint (dv_dataset_get_width (ds), ==, 8);      /* the 12-wide one was resized */
  g_assert_cmpint (dv_dataset_get_label (ds, 4), ==, 1);   /* bee/2.jpg */
  guint8 raw[3 * 8 * 8];
  dv_dataset_read_raw (ds, 5, raw);                         /* cat/0.png: k=0 colour */
  g_assert_cmpint (raw[0], ==, 0);
  g_assert_cmpint (raw[64], ==, 10);
  g_assert_cmpint (raw[128], ==, 200);

  DvDatasetOptions opt = { .height = 4, .width = 5 };
  g_autoptr (DvDataset) small = dv_dataset_open_full (spec, DV_SPLIT_TRAIN, &opt, &error);
  g_assert_no_error (error);
  g_assert_cmpint (dv_dataset_get_height (small), ==, 4);
  g_assert_cmpint (dv_dataset_get_width (small), ==, 5);

  g_autofree char *bad = g_build_filename (root, "ant", "broken.png", NULL);
  write_bytes (bad, "\x89PNG garbage", 12);
  g_assert_null (dv_dataset_open (spec, DV_SPLIT_TRAIN, &error));
  assert_error_names (error, DV_DATA_ERROR_UNREADABLE_IMAGE, bad);
  g_clear_error (&error);

  /* a 70-byte BMP announcing 10000×10000 pixels: refused from its header,
   * not decoded into 300 MB of zeros */
  g_remove (bad);
  static const guint8 bmp_head[54] = {
    'B', 'M', 70, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0,
    40, 0, 0, 0, 0x10, 0x27, 0, 0, 0x10, 0x27, 0, 0, 1, 0, 24, 0 };
  guint8 bmp[70] = { 0 };
  memcpy (bmp, bmp_head, sizeof bmp_head);
  g_autofree char *huge = g_build_filename (root, "ant", "huge.bmp", NULL);
  write_bytes (huge, bmp, sizeof bmp);
  g_assert_null (dv_dataset_open (spec, DV_SPLIT_TRAIN, &error));
  assert_error_names (error, DV_DATA_ERROR_UNREADABLE_IMAGE, huge);
  g_assert_nonnull (strstr (error->message, "10000×10000"));
  g_clear_error (&error);
  g_remove (huge);

  g_autofree char *empty = tmp_path ("empty-folder");
  g_mkdir_with_parents (empty, 0755);
  g_autofree char *espec = g_strdup_printf ("folder:%s", empty);
  g_assert_null (dv_dataset_open (espec, DV_SPLIT_TRAIN, &error));
  g_assert_error (error, DV_DATA_ERROR, DV_DATA_ERROR_EMPTY);
}

/* ---------------------------------------------------------------- Fashion-MNIST */

static void
test_fashion_mnist (void)
{
  if (!g_file_test ("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz",
                    G_FILE_TEST_EXISTS) && !g_getenv ("DV_DATA_DIR"))
    {
      g_test_skip ("Fashion-MNIST is not installed");
      return;
    }
  g_autoptr (GError) error = NULL;
  g_autoptr (DvDataset) te = dv_dataset_open ("fashion-mnist", DV_SPLIT_TEST, &error);
  if (!te && g_error_matches (error, DV_DATA_ERROR, DV_DATA_ERROR_NOT_FOUND))
    {
      g_test_skip ("Fashion-MNIST is not installed");
      return;
    }
  g_assert_no_error (error);
  g_assert_cmpint (dv_dataset_get_n (te), ==, 10000);
  g_assert_cmpint (dv_dataset_get_channels (te), ==, 1);
  g_assert_cmpint (dv_dataset_get_height (te), ==, 28);
  g_assert_cmpint (dv_dataset_get_n_classes (te), ==, 10);
  g_assert_cmpint (dv_dataset_get_label (te, 0), ==, 9);
  g_assert_cmpstr (dv_dataset_get_class_name (te, 9), ==, "Ankle boot");
  g_autofree int *counts = dv_dataset_class_counts (te);
  for (int k = 0; k < 10; k++)
    g_assert_cmpint (counts[k], ==, 1000);
  double mean[3], std[3];
  dv_dataset_measure_stats (te, 0, mean, std);
  float m[3], s[3];
  dv_dataset_get_stats (te, m, s);
  g_assert_cmpfloat_with_epsilon (mean[0], m[0], 0.01);
  g_assert_cmpfloat_with_epsilon (std[0], s[0], 0.01);
  if (g_test_slow ())
    {
      g_autoptr (DvDataset) tr = dv_dataset_open ("fashion-mnist", DV_SPLIT_TRAIN, &error);
      g_assert_no_error (error);
      g_assert_cmpint (dv_dataset_get_n (tr), ==, 60000);
    }
}

/* ---------------------------------------------------------------- loader */

static DvLoader *
make_loader (DvDataset *ds, const int *idx, int n, DvOrder order, gboolean augment,
             int prefetch, guint64 seed, const char *const *kv)
{
  DvLoaderConfig cfg;
  dv_loader_config_init (&cfg);
  cfg.batch_size = 8;
  cfg.order = order;
  cfg.augment = augment;
  cfg.prefetch = prefetch;
  cfg.seed = seed;
  DvPresentation p;
  dv_presentation_init (&p, DV_LOADER_STANDARD);
  g_assert_true (dv_presentation_parse (&p, kv, NULL));
  g_autoptr (GError) error = NULL;
  DvLoader *l = dv_loader_new (ds, idx, n, &cfg, &p, &error);
  g_assert_no_error (error);
  return l;
}

static float *
materialize (const DvSequence *seq)
{
  float *out = g_new (float, dv_sequence_frame_size (seq) * seq->T);
  dv_sequence_materialize (seq, out);
  return out;
}

static void
test_loader_contents (void)
{
  g_autoptr (DvDataset) ds = dv_embedded_new (1, DV_SPLIT_TEST, 100);
  int idx[20];
  for (int i = 0; i < 20; i++)
    idx[i] = 99 - i;
  const char *kv[] = { "loader=duration", "n_timesteps=4", "intro=1", "stim=2", NULL };
  g_autoptr (DvLoader) l = make_loader (ds, idx, 20, DV_ORDER_SEQUENTIAL, FALSE, 0, 1, kv);
  g_assert_cmpint (dv_loader_get_n_batches (l), ==, 3);
  g_assert_cmpint (dv_loader_get_timesteps (l), ==, 4);
  float img[3072];
  int seen = 0;
  DvSequence *seq;
  while ((seq = dv_loader_next (l)))
    {
      g_assert_cmpint (seq->T, ==, 4);
      g_autofree float *all = materialize (seq);
      for (int b = 0; b < seq->B; b++, seen++)
        {
          g_assert_cmpint (seq->indices[b], ==, idx[seen]);
          dv_dataset_get_image (ds, idx[seen], 0, img);
          g_assert_cmpmem (all + ((gsize) b * 4 + 1) * 3072, sizeof img, img, sizeof img);
          for (int i = 0; i < 3072; i++)
            g_assert_cmpfloat (all[((gsize) b * 4 + 3) * 3072 + i], ==, 0.0f);
          g_assert_cmpint (seq->labels[b * 4 + 1], ==, dv_dataset_get_label (ds, idx[seen]));
          g_assert_cmpint (seq->labels[b * 4 + 0], ==, -1);
        }
      /* frame-by-frame equals the materialised tensor */
      g_autofree float *frame = g_new (float, dv_sequence_frame_size (seq));
      for (int t = 0; t < seq->T; t++)
        {
          dv_sequence_frame (seq, t, frame);
          for (int b = 0; b < seq->B; b++)
            g_assert_cmpmem (frame + b * 3072, sizeof img, all + ((gsize) b * 4 + t) * 3072,
                             sizeof img);
        }
      dv_sequence_free (seq);
    }
  g_assert_cmpint (seen, ==, 20);
  g_assert_cmpint (dv_loader_get_epoch (l), ==, 1);

  /* grey model from an RGB dataset */
  DvLoaderConfig cfg;
  dv_loader_config_init (&cfg);
  cfg.channels = 1;
  cfg.prefetch = 0;
  DvPresentation p;
  dv_presentation_init (&p, DV_LOADER_STANDARD);
  g_autoptr (DvLoader) g = dv_loader_new (ds, NULL, 0, &cfg, &p, NULL);
  g_autoptr (DvSequence) gs = dv_loader_next (g);
  g_assert_cmpint (gs->C, ==, 1);
  g_assert_cmpint (gs->B, ==, 32);
}

static void
test_loader_determinism (void)
{
  g_autoptr (DvDataset) ds = dv_embedded_new (3, DV_SPLIT_TRAIN, 60);
  const char *kv[] = { "loader=noise", "dsteps=3", "ssnr=0.6", "noisetype=gaussian", NULL };
  g_autoptr (DvLoader) a = make_loader (ds, NULL, 0, DV_ORDER_SHUFFLE, TRUE, 3, 9, kv);
  g_autoptr (DvLoader) b = make_loader (ds, NULL, 0, DV_ORDER_SHUFFLE, TRUE, 0, 9, kv);
  g_autoptr (DvLoader) c = make_loader (ds, NULL, 0, DV_ORDER_SHUFFLE, TRUE, 2, 10, kv);
  int nb = dv_loader_get_n_batches (a), differs = 0;
  g_assert_cmpint (nb, ==, 8);
  for (int epoch = 0; epoch < 2; epoch++)
    {
      for (int k = 0; k < nb; k++)
        {
          g_autoptr (DvSequence) sa = dv_loader_next (a);
          g_autoptr (DvSequence) sb = dv_loader_next (b);
          g_autoptr (DvSequence) sc = dv_loader_next (c);
          g_autoptr (DvSequence) sd = dv_loader_get_batch (a, epoch, k);
          g_assert_nonnull (sa);
          g_assert_nonnull (sb);
          g_assert_cmpint (sa->epoch, ==, epoch);
          g_assert_cmpint (sa->batch, ==, k);
          gsize len = dv_sequence_frame_size (sa) * sa->T * sizeof (float);
          g_autofree float *ma = materialize (sa), *mb = materialize (sb);
          g_autofree float *mc = materialize (sc), *md = materialize (sd);
          g_assert_cmpmem (ma, len, mb, len);
          g_assert_cmpmem (ma, len, md, len);
          g_assert_cmpmem (sa->labels, sa->B * sa->T * 8, sb->labels, sb->B * sb->T * 8);
          differs += memcmp (ma, mc, MIN (len, dv_sequence_frame_size (sc) * sc->T * 4)) != 0;
        }
      g_assert_null (dv_loader_next (a));
      g_assert_null (dv_loader_next (b));
      g_assert_null (dv_loader_next (c));
    }
  g_assert_cmpint (differs, ==, 2 * nb);

  /* the shuffle differs between epochs but covers every sample once */
  g_autoptr (DvSequence) e0 = dv_loader_get_batch (b, 0, 0);
  g_autoptr (DvSequence) e1 = dv_loader_get_batch (b, 1, 0);
  g_assert_true (memcmp (e0->indices, e1->indices, 8 * sizeof (int)) != 0);
  int count[60] = { 0 };
  for (int k = 0; k < nb; k++)
    {
      g_autoptr (DvSequence) s = dv_loader_get_batch (b, 5, k);
      for (int i = 0; i < s->B; i++)
        count[s->indices[i]]++;
    }
  for (int i = 0; i < 60; i++)
    g_assert_cmpint (count[i], ==, 1);
}

static void
test_loader_shutdown (void)
{
  g_autoptr (DvDataset) ds = dv_embedded_new (3, DV_SPLIT_TRAIN, 200);
  const char *kv[] = { "loader=repetition", "repeat=4", NULL };
  /* never started */
  DvLoader *l = make_loader (ds, NULL, 0, DV_ORDER_SHUFFLE, TRUE, 2, 1, kv);
  dv_loader_free (l);
  /* freed mid-epoch with a full queue and a worker blocked on a slot */
  for (int prefetch = 1; prefetch <= 4; prefetch++)
    {
      l = make_loader (ds, NULL, 0, DV_ORDER_SHUFFLE, TRUE, prefetch, 1, kv);
      DvSequence *s = dv_loader_next (l);
      g_assert_nonnull (s);
      dv_sequence_free (s);
      g_usleep (2000);
      dv_loader_free (l);
    }
  /* restart mid-epoch: continues with batch 0 of the epoch asked for */
  l = make_loader (ds, NULL, 0, DV_ORDER_SHUFFLE, FALSE, 2, 1, kv);
  for (int k = 0; k < 3; k++)
    dv_sequence_free (dv_loader_next (l));
  dv_loader_restart (l, 4);
  g_autoptr (DvSequence) s = dv_loader_next (l);
  g_autoptr (DvSequence) ref = dv_loader_get_batch (l, 4, 0);
  g_assert_cmpint (s->epoch, ==, 4);
  g_assert_cmpint (s->batch, ==, 0);
  g_assert_cmpmem (s->indices, 8 * sizeof (int), ref->indices, 8 * sizeof (int));
  dv_loader_free (l);
  /* the dataset outlives its loaders by reference counting */
  g_assert_cmpint (dv_dataset_get_n (ds), ==, 200);
}

static void
test_loader_orders (void)
{
  g_autoptr (DvDataset) ds = dv_embedded_new (3, DV_SPLIT_TEST, 40);
  /* classes of these indices: 0,0,0,1,1,2 → round robin 0,1,2,0,1,0 */
  int idx[6] = { 0, 10, 20, 1, 11, 2 };
  g_autofree int *rr = dv_round_robin_order (ds, idx, 6);
  int want[6] = { 0, 1, 2, 10, 11, 20 };
  g_assert_cmpmem (rr, sizeof want, want, sizeof want);

  DvLoaderConfig cfg;
  dv_loader_config_init_test (&cfg);
  g_assert_cmpint (cfg.order, ==, DV_ORDER_ROUND_ROBIN);
  g_assert_true (cfg.drop_last);
  cfg.batch_size = 16;
  cfg.prefetch = 0;
  DvPresentation p;
  dv_presentation_init (&p, DV_LOADER_STANDARD);
  g_autoptr (DvLoader) l = dv_loader_new (ds, NULL, 0, &cfg, &p, NULL);
  g_assert_cmpint (dv_loader_get_n_batches (l), ==, 2);      /* 40 / 16, last dropped */
  g_autoptr (DvSequence) s = dv_loader_next (l);
  for (int b = 0; b < 16; b++)
    g_assert_cmpint (s->classes[b], ==, b % 10);

  int *tr, *va, ntr, nva;
  dv_split_indices (100, 0.9, 42, &tr, &ntr, &va, &nva);
  g_assert_cmpint (ntr, ==, 90);
  g_assert_cmpint (nva, ==, 10);
  int seen[100] = { 0 };
  for (int i = 0; i < ntr; i++)
    seen[tr[i]]++;
  for (int i = 0; i < nva; i++)
    seen[va[i]]++;
  for (int i = 0; i < 100; i++)
    g_assert_cmpint (seen[i], ==, 1);
  int *tr2, *va2, n2, m2;
  dv_split_indices (100, 0.9, 42, &tr2, &n2, &va2, &m2);
  g_assert_cmpmem (tr, 90 * sizeof (int), tr2, 90 * sizeof (int));
  g_free (tr2);
  g_free (va2);
  dv_split_indices (100, 0.9, 43, &tr2, &n2, &va2, &m2);
  g_assert_true (memcmp (tr, tr2, 90 * sizeof (int)) != 0);
  g_free (tr);
  g_free (va);
  g_free (tr2);
  g_free (va2);

  /* errors */
  g_autoptr (GError) error = NULL;
  cfg.batch_size = 64;
  g_assert_null (dv_loader_new (ds, NULL, 0, &cfg, &p, &error));
  g_assert_error (error, DV_DATA_ERROR, DV_DATA_ERROR_EMPTY);
}

static void
rm_tree (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      GDir *d = g_dir_open (path, 0, NULL);
      const char *name;
      while (d && (name = g_dir_read_name (d)))
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          rm_tree (child);
        }
      if (d)
        g_dir_close (d);
    }
  g_remove (path);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("dv-test-data-XXXXXX", NULL);

  g_test_add_func ("/data/rng/moments-and-determinism", test_rng_moments);
  g_test_add_func ("/data/embedded/deterministic", test_embedded_deterministic);
  g_test_add_func ("/data/embedded/stats-match-constants", test_embedded_stats);
  g_test_add_func ("/data/idx/good-plain-and-gz", test_idx_good);
  g_test_add_func ("/data/idx/bad-files", test_idx_bad);
  g_test_add_func ("/data/cifar/good-and-bad", test_cifar);
  g_test_add_func ("/data/folder/good-and-bad", test_folder);
  g_test_add_func ("/data/fashion-mnist/installed", test_fashion_mnist);
  dv_test_data_presentation_register ();
  g_test_add_func ("/data/loader/contents", test_loader_contents);
  g_test_add_func ("/data/loader/determinism", test_loader_determinism);
  g_test_add_func ("/data/loader/prefetch-shutdown", test_loader_shutdown);
  g_test_add_func ("/data/loader/orders-and-split", test_loader_orders);

  int ret = g_test_run ();
  rm_tree (tmpdir);
  g_free (tmpdir);
  return ret;
}
