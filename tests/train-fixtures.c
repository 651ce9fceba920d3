/* train-fixtures.c — see train-fixtures.h. */
#include "train-fixtures.h"

#include <glib/gstdio.h>
#include <string.h>

/* A DyRCNNx2 with c1 and c2 channels (first conv 3×3 stride 2) on 32×32 RGB input. */
DvModel *
sized_model (int T, int c1, int c2, guint64 seed)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dims = g_strdup_printf ("input_dims=[%d,3,32,32]", T);
  const char *args[] = { dims, "n_classes=10" };
  g_autoptr (DvJson) kw = dv_kwargs_parse (args, 2, &error);
  g_assert_no_error (error);
  g_autoptr (DvModelDesc) d = dv_preset_build ("DyRCNNx2", kw, &error);
  g_assert_no_error (error);
  d->layers[0].out_channels = c1;
  d->layers[0].stride = 2;
  d->layers[1].in_channels = c1;
  d->layers[1].out_channels = c2;
  g_assert_true (dv_model_desc_validate (d, &error));
  g_assert_no_error (error);
  DvModel *m = dv_model_new (d, &error);
  g_assert_no_error (error);
  dv_model_init_params (m, seed);
  return m;
}

DvModel *
tiny_model (int T, guint64 seed)
{
  return sized_model (T, 4, 8, seed);
}

/* DynVision's training presentation for a one-frame dataset (as `dynvision train`). */
static void
train_presentation (DvPresentation *p, DvModel *m)
{
  const DvModelDesc *D = dv_model_get_desc (m);
  dv_presentation_init (p, DV_LOADER_STANDARD);
  p->model_timesteps = D->n_timesteps;
  g_strlcpy (p->data_presentation_pattern, D->pattern ? D->pattern : "1", DV_PATTERN_MAX);
  p->shuffle_presentation_pattern = D->shuffle_pattern;
  p->dt = D->dt;
  p->n_residual_timesteps = dv_model_residual_timesteps (m);
  g_assert_true (dv_presentation_validate (p, NULL));
}

DvLoader *
make_loader (DvDataset *ds, const int *idx, int n, DvModel *m, gboolean train, int batch)
{
  DvPresentation p;
  train_presentation (&p, m);
  DvLoaderConfig c;
  if (train)
    dv_loader_config_init_train (&c);
  else
    {
      dv_loader_config_init (&c);
      c.order = DV_ORDER_SEQUENTIAL;
    }
  c.batch_size = batch;
  c.seed = 7;
  g_autoptr (GError) error = NULL;
  DvLoader *l = dv_loader_new (ds, idx, n, &c, &p, &error);
  g_assert_no_error (error);
  return l;
}

char *
temp_dir (void)
{
  g_autoptr (GError) error = NULL;
  char *d = g_dir_make_tmp ("dv-train-XXXXXX", &error);
  g_assert_no_error (error);
  return d;
}

void
remove_dir (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      if (g_file_test (p, G_FILE_TEST_IS_DIR))
        remove_dir (p);
      else
        g_unlink (p);
    }
  g_rmdir (dir);
}

int *
first_indices (int n)
{
  int *idx = g_new (int, n);
  for (int i = 0; i < n; i++)
    idx[i] = i;
  return idx;
}

void
train_config (DvTrainConfig *c, const char *dir, int epochs)
{
  dv_train_config_init (c);
  c->epochs = epochs;
  c->optim.lr = 3e-3;
  c->out_dir = g_strdup (dir);
}

gboolean
params_equal (DvModel *a, DvModel *b)
{
  for (guint i = 0; i < dv_model_n_params (a); i++)
    {
      DvParam *p = dv_model_param (a, i), *q = dv_model_lookup (b, p->name);
      if (q == NULL || q->numel != p->numel)
        return FALSE;
      if (p->type == DV_PARAM_F32 && memcmp (p->data, q->data, sizeof (float) * p->numel) != 0)
        return FALSE;
      if (p->type != DV_PARAM_F32 && memcmp (p->idata, q->idata, sizeof (gint64) * p->numel) != 0)
        return FALSE;
    }
  return TRUE;
}
