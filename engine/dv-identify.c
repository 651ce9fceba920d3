/* dv-identify.c — any checkpoint file (safetensors, torch.save, Lightning)
 * and which model it belongs to, from what the file, its path and the user
 * say (see dv-checkpoint.h, dv_checkpoint_identify).
 *
 * What this is for: one opening path for every place a checkpoint is taken,
 * and one answer to "which model is this?" with the reason for every value.
 * What this is not for: reading the formats (dv-safetensors.c, dv-torch.c)
 * or building models (dv-presets.c). */
#include "dv-checkpoint.h"
#include "dv-kwargs.h"
#include "dv-model-private.h"
#include "dv-torch.h"

#include <string.h>

gboolean
dv_checkpoint_path_is_supported (const char *path)
{
  static const char *const ext[] = { ".safetensors", ".pt", ".pth", ".ckpt" };
  if (path == NULL)
    return FALSE;
  g_autofree char *lower = g_ascii_strdown (path, -1);
  for (guint i = 0; i < G_N_ELEMENTS (ext); i++)
    if (g_str_has_suffix (lower, ext[i]))
      return TRUE;
  return FALSE;
}

DvSafetensors *
dv_checkpoint_open (const char *path, GError **error)
{
  g_autoptr (GMappedFile) mf = g_mapped_file_new (path, FALSE, error);
  if (mf == NULL)
    return NULL;
  g_autoptr (GBytes) bytes = g_mapped_file_get_bytes (mf);
  if (dv_torch_bytes_look_like_torch (bytes))
    return dv_torch_load_from_bytes (bytes, path, error);
  return dv_safetensors_load_from_bytes (bytes, path, error);
}

/* ---- the hint ---------------------------------------------------------------------- */

void
dv_model_hint_free (DvModelHint *h)
{
  if (h == NULL)
    return;
  g_free (h->model);
  g_free (h->desc);
  dv_json_free (h->kwargs);
  g_free (h);
}

DvModelHint *
dv_model_hint_new (const char *spec, const char *const *extra, int n_extra, GError **error)
{
  g_auto (GStrv) words = g_strsplit_set (spec ? spec : "", " \t\n", -1);
  g_autoptr (GPtrArray) kv = g_ptr_array_new ();
  const char *what = NULL;
  for (char **w = words; *w; w++)
    {
      if (**w == '\0')
        continue;
      if (what == NULL && strchr (*w, '=') == NULL)
        what = *w;
      else
        g_ptr_array_add (kv, *w);
    }
  for (int i = 0; i < n_extra; i++)
    g_ptr_array_add (kv, (gpointer) extra[i]);
  if (what == NULL)
    {
      g_set_error (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
                   "--model needs a preset name or a model description (.json) first, for example "
                   "`--model DyRCNNx4 n_classes=10`");
      return NULL;
    }
  g_autoptr (DvJson) kw = dv_kwargs_parse ((const char *const *) kv->pdata, (int) kv->len, error);
  if (kw == NULL)
    return NULL;
  DvModelHint *h = g_new0 (DvModelHint, 1);
  if (g_str_has_suffix (what, ".json") || dv_checkpoint_path_is_supported (what))
    h->desc = g_strdup (what);
  else
    h->model = g_strdup (what);
  h->kwargs = g_steal_pointer (&kw);
  return h;
}

/* ---- DynVision's data sets (configs/config_data.yaml: data_resolution; the
 * channels are the length of data_statistics' mean; the classes are each
 * data set's own) --------------------------------------------------------------------- */

typedef struct {
  const char *name;
  int resolution, channels, classes; /* 0: unknown */
} DataSet;

static const DataSet datasets[] = {
  { "mnist", 28, 1, 10 },         { "cifar10", 32, 3, 10 },      { "cifar100", 32, 3, 100 },
  { "tinyimagenet", 64, 3, 200 }, { "imagenet", 224, 3, 1000 },  { "imagenette", 224, 3, 10 },
  { "snakenet", 224, 0, 0 },
};

static const DataSet *
find_dataset (const char *name)
{
  /* "{data_name}" or "{data_name}:{data_group}" */
  g_autofree char *base = g_strndup (name, strcspn (name, ":"));
  for (guint i = 0; i < G_N_ELEMENTS (datasets); i++)
    if (g_ascii_strcasecmp (datasets[i].name, base) == 0)
      return &datasets[i];
  return NULL;
}

/* ---- DynVision's path convention ----------------------------------------------------- */

typedef struct {
  char *model, *seed, *data, *status, *identifier;
  GPtrArray *args; /* "key=value" strings */
} PathInfo;

static void
path_info_clear (PathInfo *p)
{
  g_free (p->model);
  g_free (p->seed);
  g_free (p->data);
  g_free (p->status);
  g_free (p->identifier);
  g_clear_pointer (&p->args, g_ptr_array_unref);
}

static gboolean
all_digits (const char *s)
{
  if (*s == '\0')
    return FALSE;
  for (; *s; s++)
    if (!g_ascii_isdigit (*s))
      return FALSE;
  return TRUE;
}

/* models/{Model}/{Model}{:k=v+k=v}_{seed}/{data}[/checkpoints]/{status}[-last-E-M].{pt,ckpt,…} */
static gboolean
parse_path (const char *path, PathInfo *pi)
{
  memset (pi, 0, sizeof *pi);
  g_auto (GStrv) c = g_strsplit (path, G_DIR_SEPARATOR_S, -1);
  int n = (int) g_strv_length (c);
  int i = n - 2;
  if (i >= 0 && strcmp (c[i], "checkpoints") == 0)
    i--;
  if (i < 1)
    return FALSE;
  const char *file = c[n - 1], *data = c[i], *ident = c[i - 1];
  const char *model_dir = i >= 2 ? c[i - 2] : NULL;
  const char *us = strrchr (ident, '_');
  if (us == NULL || !all_digits (us + 1))
    return FALSE;
  const char *colon = strchr (ident, ':');
  if (colon && colon > us)
    colon = NULL;
  const char *name_end = colon ? colon : us;
  g_autofree char *model = g_strndup (ident, name_end - ident);
  if (model_dir && *model_dir && strcmp (model_dir, model) != 0 && !g_str_has_prefix (ident, model_dir))
    return FALSE;
  if (model_dir && *model_dir && strcmp (model_dir, model) != 0)
    {
      /* a class name that itself contains ':' or '_' — the folder above says where it ends */
      g_free (model);
      model = g_strdup (model_dir);
      name_end = ident + strlen (model_dir);
      colon = *name_end == ':' ? name_end : NULL;
    }
  if (*model == '\0' || !g_ascii_isalpha (*model))
    return FALSE;
  pi->model = g_steal_pointer (&model);
  pi->identifier = g_strdup (ident);
  pi->seed = g_strdup (us + 1);
  pi->data = g_strdup (data);
  pi->status = g_strndup (file, strcspn (file, ".-"));
  pi->args = g_ptr_array_new_with_free_func (g_free);
  if (colon)
    {
      g_autofree char *args = g_strndup (colon + 1, us - colon - 1);
      g_auto (GStrv) parts = g_strsplit (args, "+", -1);
      for (char **p = parts; *p; p++)
        if (**p)
          g_ptr_array_add (pi->args, g_strdup (*p));
    }
  return TRUE;
}

/* ---- matching presets ------------------------------------------------------------------ */

static guint
n_state_tensors (const DvSafetensors *st)
{
  guint n = 0;
  for (guint i = 0; i < dv_safetensors_n_tensors (st); i++)
    n += !g_str_has_prefix (dv_safetensors_tensor (st, i)->name, "optimizer.");
  return n;
}

static DvModel *
preset_model_quietly (const char *name, const DvJson *kwargs)
{
  g_autoptr (DvJson) empty = dv_json_new_object ();
  DvModelDesc *d = dv_preset_build (name, kwargs ? kwargs : empty, NULL);
  if (d == NULL)
    return NULL;
  DvModel *m = dv_model_new (d, NULL);
  dv_model_desc_free (d);
  return m;
}

typedef struct {
  char *name;
  double score;
} Match;

static int
cmp_match (gconstpointer a, gconstpointer b)
{
  const Match *x = a, *y = b;
  return x->score < y->score ? 1 : x->score > y->score ? -1 : strcmp (x->name, y->name);
}

char **
dv_checkpoint_matching_presets (const DvSafetensors *st, GArray **scores)
{
  guint total = n_state_tensors (st);
  g_autoptr (GArray) found = g_array_new (FALSE, FALSE, sizeof (Match));
  for (const char *const *n = dv_preset_names (); total > 0 && *n; n++)
    {
      g_autoptr (DvModel) m = preset_model_quietly (*n, NULL);
      if (m == NULL)
        continue;
      guint hit = 0;
      for (guint i = 0; i < dv_safetensors_n_tensors (st); i++)
        {
          const char *t = dv_safetensors_tensor (st, i)->name;
          hit += !g_str_has_prefix (t, "optimizer.") && dv_model_lookup (m, t) != NULL;
        }
      if (hit == 0)
        continue;
      /* the share of the file's names the preset has, and of the preset's the file has */
      double share = (double) hit / total;
      double cover = MIN (1.0, (double) hit / MAX (1u, m->params->len));
      Match x = { g_strdup (*n), share * cover };
      g_array_append_val (found, x);
    }
  g_array_sort (found, cmp_match);
  char **out = g_new0 (char *, found->len + 1);
  if (scores)
    *scores = g_array_new (FALSE, FALSE, sizeof (double));
  for (guint i = 0; i < found->len; i++)
    {
      Match *x = &g_array_index (found, Match, i);
      out[i] = x->name;
      if (scores)
        g_array_append_val (*scores, x->score);
    }
  return out;
}

/* The classifier: the last 2-D weight with n_classes rows. */
static const DvParam *
classifier_param (DvModel *m)
{
  const DvParam *found = NULL;
  for (guint k = 0; k < m->params->len; k++)
    {
      const DvParam *p = g_ptr_array_index (m->params, k);
      if (p->type == DV_PARAM_F32 && !p->is_buffer && p->ndim == 2 && p->shape[0] == m->desc->n_classes)
        found = p;
    }
  return found;
}

/* The first convolution: the first 4-D weight taking the input's channels. */
static const DvParam *
first_conv_param (DvModel *m)
{
  for (guint k = 0; k < m->params->len; k++)
    {
      const DvParam *p = g_ptr_array_index (m->params, k);
      if (p->type == DV_PARAM_F32 && !p->is_buffer && p->ndim == 4 && p->shape[1] == m->desc->in_channels)
        return p;
    }
  return NULL;
}

static const DvStTensor *
file_tensor_of (const DvSafetensors *st, const DvParam *p)
{
  const DvStTensor *t = dv_safetensors_lookup (st, p->name);
  for (guint a = 0; t == NULL && a < p->aliases->len; a++)
    t = dv_safetensors_lookup (st, g_ptr_array_index (p->aliases, a));
  return t;
}

static void
unidentified_error (const DvSafetensors *st, const char *path, const char *why, GError **error)
{
  g_auto (GStrv) names = dv_checkpoint_matching_presets (st, NULL);
  GString *s = g_string_new (NULL);
  g_string_printf (s, "%s: %s; say which model it is with --model PRESET [key=value …] or --model DESC.json", path,
                   why);
  if (names[0])
    {
      long classes = 0;
      g_autoptr (DvModel) m = preset_model_quietly (names[0], NULL);
      const DvParam *c = m ? classifier_param (m) : NULL;
      const DvStTensor *t = c ? file_tensor_of (st, c) : NULL;
      if (t && t->ndim == 2)
        classes = (long) t->shape[0];
      if (classes > 0)
        g_string_append_printf (s, ", for example `--model %s n_classes=%ld`", names[0], classes);
      else
        g_string_append_printf (s, ", for example `--model %s n_classes=10`", names[0]);
      g_string_append (s, "; presets whose parameter names match the file's, best first:");
      for (char **n = names; *n; n++)
        g_string_append_printf (s, "%s %s", n == names ? "" : ",", *n);
    }
  else
    g_string_append (s, ", for example `--model DyRCNNx4 n_classes=10`; no preset has the file's parameter names, "
                        "so it may need a model description (`dynvision describe PRESET > M.json`, edited)");
  g_set_error_literal (error, DV_MODEL_ERROR, DV_MODEL_ERROR_UNIDENTIFIED, s->str);
  g_string_free (s, TRUE);
}

/* ---- identification -------------------------------------------------------------------- */

/* kwargs under construction: key -> value, with where each came from */
typedef struct {
  DvJson *kw;
  GHashTable *source; /* key -> char* */
} Kw;

static void
kw_put (Kw *k, const char *key, DvJson *value, const char *source)
{
  dv_json_object_set (k->kw, key, value);
  g_hash_table_insert (k->source, g_strdup (key), g_strdup (source));
}

static DvModelDesc *
build_quiet (const char *cls, const DvJson *kw, GError **error)
{
  return dv_preset_build (cls, kw, error);
}

/* input_dims [1, C, H, W]: what DynVision's init_model passes (the data's
 * (T, C, H, W), data_timesteps 1), so n_timesteps is what the path or the
 * hyper-parameters say, as it was for DynVision (SPEC §1.4). */
static void
put_dims (Kw *k, int C, int H, int W, const char *source)
{
  DvJson *dims = dv_json_new_array ();
  dv_json_array_append (dims, dv_json_new_int (1));
  dv_json_array_append (dims, dv_json_new_int (C));
  dv_json_array_append (dims, dv_json_new_int (H));
  dv_json_array_append (dims, dv_json_new_int (W));
  kw_put (k, "input_dims", dims, source);
}

/* Keeps the keys of `cand` (in order) that `cls` takes together with what is
 * already in k; the others are named in `dropped`. */
static void
accept_keys (Kw *k, const char *cls, const DvJson *cand, const char *source, GString *dropped)
{
  for (guint i = 0; i < dv_json_length (cand); i++)
    {
      const char *key = dv_kwargs_canonical (dv_json_object_key (cand, i));
      const DvJson *v = dv_json_object_value (cand, i);
      if (dv_json_type (v) == DV_JSON_OBJECT)
        {
          g_string_append_printf (dropped, "%s%s", dropped->len ? ", " : "", key);
          continue;
        }
      g_autoptr (DvJson) trial = dv_json_copy (k->kw);
      dv_json_object_set (trial, key, dv_json_copy (v));
      g_autoptr (DvModelDesc) d = build_quiet (cls, trial, NULL);
      if (d == NULL)
        {
          g_string_append_printf (dropped, "%s%s", dropped->len ? ", " : "", key);
          continue;
        }
      kw_put (k, key, dv_json_copy (v), source);
    }
}

static void
how_line (GString *how, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
static void
how_line (GString *how, const char *fmt, ...)
{
  if (how == NULL)
    return;
  va_list ap;
  va_start (ap, fmt);
  g_string_append_vprintf (how, fmt, ap);
  va_end (ap);
  g_string_append_c (how, '\n');
}

/* --model FILE: a description (.json), or a checkpoint of ours whose metadata
 * describes the model (the one a model was exported from, to read the weights
 * DynVision trained for it). */
static DvModelDesc *
desc_from_file (const char *file, GError **error)
{
  if (!g_str_has_suffix (file, ".json"))
    {
      g_autoptr (DvSafetensors) st = dv_checkpoint_open (file, error);
      if (st == NULL)
        return NULL;
      if (!dv_safetensors_metadata (st, "dynvision.description") && !dv_safetensors_metadata (st, "dynvision.model"))
        {
          g_set_error (error, DV_MODEL_ERROR, DV_MODEL_ERROR_UNIDENTIFIED,
                       "%s: --model names a checkpoint that does not describe its model itself; give a preset, a "
                       "description (.json) or a checkpoint written by this engine", file);
          return NULL;
        }
      return dv_checkpoint_read_desc (st, file, error);
    }
  g_autoptr (DvJson) j = dv_json_parse_file (file, error);
  if (j == NULL)
    return NULL;
  DvModelDesc *d = dv_model_desc_from_json (j, error);
  if (d == NULL)
    g_prefix_error (error, "%s: ", file);
  return d;
}

DvModelDesc *
dv_checkpoint_identify (const DvSafetensors *st, const char *path, const DvModelHint *hint, GString *how,
                        GError **error)
{
  /* 1. our own metadata */
  if (dv_safetensors_metadata (st, "dynvision.description") || dv_safetensors_metadata (st, "dynvision.model"))
    {
      DvModelDesc *d = dv_checkpoint_read_desc (st, path, error);
      if (d)
        {
          how_line (how, "model %s: from the file's own metadata (%s)", d->model_class ? d->model_class : "custom",
                    dv_safetensors_metadata (st, "dynvision.description") ? "dynvision.description"
                                                                          : "dynvision.model, dynvision.config");
          if (hint)
            how_line (how, "--model ignored: the file describes its model itself");
        }
      return d;
    }
  if (hint && hint->desc)
    {
      DvModelDesc *d = desc_from_file (hint->desc, error);
      if (d)
        how_line (how, "model: the description %s (--model)", hint->desc);
      if (d && dv_json_length (hint->kwargs) > 0)
        how_line (how, "--model key=value ignored beside a description; edit the description instead");
      return d;
    }

  /* what the file and its path say */
  g_autoptr (DvJson) hp = NULL;
  const char *hp_text = dv_safetensors_metadata (st, "dynvision.hyper_parameters");
  if (hp_text)
    {
      hp = dv_json_parse (hp_text, -1, NULL);
      if (hp && dv_json_type (hp) != DV_JSON_OBJECT)
        g_clear_pointer (&hp, dv_json_free);
      if (hp == NULL)
        how_line (how, "the Lightning hyper-parameters are not a JSON object; not used");
    }
  PathInfo pi;
  gboolean on_path = parse_path (path, &pi);

  /* 2.–4. the class */
  g_autofree char *cls = NULL;
  g_autofree char *cls_source = NULL;
  static const char *const class_keys[] = { "model_name", "model_class", "class_name" };
  for (guint i = 0; hp && cls == NULL && i < G_N_ELEMENTS (class_keys); i++)
    {
      const char *v = dv_json_get_string (hp, class_keys[i], NULL);
      if (v && *v)
        {
          cls = g_strdup (v);
          cls_source = g_strdup_printf ("the Lightning hyper-parameter %s", class_keys[i]);
        }
    }
  if (cls == NULL && on_path)
    {
      cls = g_strdup (pi.model);
      cls_source = g_strdup_printf ("the path (DynVision's models/%s/%s/%s/ convention)", pi.model, pi.identifier,
                                    pi.data);
    }
  if (hint && hint->model)
    {
      if (cls && g_ascii_strcasecmp (cls, hint->model) != 0)
        how_line (how, "--model %s overrides %s from %s", hint->model, cls, cls_source);
      g_free (cls);
      g_free (cls_source);
      cls = g_strdup (hint->model);
      cls_source = g_strdup ("--model");
    }
  if (cls == NULL)
    {
      unidentified_error (st, path,
                          hp ? "its Lightning hyper-parameters do not name the model class and its path does not "
                               "follow DynVision's models/{Model}/{Model}:{args}_{seed}/{data}/ convention"
                             : "nothing in the file names its model (no dynvision metadata, no Lightning "
                               "hyper-parameters) and its path does not follow DynVision's "
                               "models/{Model}/{Model}:{args}_{seed}/{data}/ convention",
                          error);
      if (on_path)
        path_info_clear (&pi);
      return NULL;
    }
  {
    GError *e = NULL;
    g_autoptr (DvJson) empty = dv_json_new_object ();
    g_autoptr (DvModelDesc) probe = dv_preset_build (cls, empty, &e);
    if (probe == NULL && g_error_matches (e, DV_DESC_ERROR, DV_DESC_ERROR_UNKNOWN))
      {
        g_autofree char *why = g_strdup_printf ("%s names the model '%s', which is no known preset (%s)", cls_source,
                                                cls, e->message);
        g_error_free (e);
        unidentified_error (st, path, why, error);
        if (on_path)
          path_info_clear (&pi);
        return NULL;
      }
    g_clear_error (&e);
  }
  how_line (how, "model %s: from %s", cls, cls_source);

  Kw k = { dv_json_new_object (), g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free) };
  g_autoptr (GString) dropped = g_string_new (NULL);
  g_autoptr (GString) dropped_hp = g_string_new (NULL);
  /* priority: hint > hyper-parameters > path arguments > data set; the later
   * a source is applied, the more it counts */
  const DataSet *ds = on_path ? find_dataset (pi.data) : NULL;
  if (on_path && ds == NULL)
    how_line (how, "data set '%s' (from the path): not one of DynVision's config_data.yaml, so its size and "
                   "classes are not known from it", pi.data);
  if (ds)
    {
      g_autofree char *src = g_strdup_printf ("the data set %s in the path (DynVision's config_data.yaml: %d×%d, "
                                              "%d channels, %d classes)", ds->name, ds->resolution, ds->resolution,
                                              ds->channels, ds->classes);
      if (ds->classes)
        {
          g_autoptr (DvJson) c = dv_json_new_object ();
          dv_json_object_set (c, "n_classes", dv_json_new_int (ds->classes));
          accept_keys (&k, cls, c, src, dropped);
        }
      if (ds->channels)
        {
          DvJson *before = dv_json_copy (k.kw);
          put_dims (&k, ds->channels, ds->resolution, ds->resolution, src);
          g_autoptr (DvModelDesc) d1 = build_quiet (cls, k.kw, NULL);
          if (d1)
            dv_json_free (before);
          else
            {
              dv_json_free (k.kw);
              k.kw = before;
              g_hash_table_remove (k.source, "input_dims");
              g_string_append_printf (dropped, "%sinput_dims", dropped->len ? ", " : "");
            }
        }
    }
  if (on_path && pi.args->len > 0)
    {
      GError *e = NULL;
      g_autoptr (DvJson) a = dv_kwargs_parse ((const char *const *) pi.args->pdata, (int) pi.args->len, &e);
      if (a == NULL)
        {
          how_line (how, "the path's arguments %s are not key=value+key=value (%s); not used", pi.identifier,
                    e->message);
          g_clear_error (&e);
        }
      else
        accept_keys (&k, cls, a, "the path's arguments", dropped);
    }
  if (on_path)
    how_line (how, "seed %s, status %s: from the path (the weights are the file's)", pi.seed, pi.status);
  if (hp)
    {
      g_autoptr (DvJson) cand = dv_json_copy (hp);
      for (guint i = 0; i < G_N_ELEMENTS (class_keys); i++)
        dv_json_object_remove (cand, class_keys[i]);
      accept_keys (&k, cls, cand, "the Lightning hyper-parameters", dropped_hp);
    }
  if (dropped->len)
    how_line (how, "not keyword arguments of %s (ignored): %s", cls, dropped->str);
  if (dropped_hp->len)
    {
      /* DynVision saves every serialisable attribute, most of them derived or runtime state:
       * a count and the first few names, not all of them */
      g_auto (GStrv) names = g_strsplit (dropped_hp->str, ", ", -1);
      guint n = g_strv_length (names);
      g_autofree char *first = n > 4 ? g_strjoinv (", ", (char *[]) { names[0], names[1], names[2], names[3], NULL })
                                     : g_strdup (dropped_hp->str);
      how_line (how, "%u Lightning hyper-parameters are not keyword arguments of %s (ignored): %s%s", n, cls, first,
                n > 4 ? ", …" : "");
    }
  if (hint)
    for (guint i = 0; i < dv_json_length (hint->kwargs); i++)
      kw_put (&k, dv_kwargs_canonical (dv_json_object_key (hint->kwargs, i)),
              dv_json_copy (dv_json_object_value (hint->kwargs, i)), "--model");

  /* 5. the shapes */
  DvModelDesc *d = NULL;
  for (int round = 0; round < 3; round++)
    {
      g_clear_pointer (&d, dv_model_desc_free);
      d = build_quiet (cls, k.kw, error);
      if (d == NULL)
        break;
      g_autoptr (DvModel) m = dv_model_new (d, NULL);
      if (m == NULL)
        break;
      gboolean changed = FALSE;
      const DvParam *c = classifier_param (m);
      const DvStTensor *t = c ? file_tensor_of (st, c) : NULL;
      if (t && t->ndim == 2 && t->shape[0] != d->n_classes && t->shape[0] > 0)
        {
          g_autofree char *src = g_strdup_printf ("the shape of %s [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "]",
                                                  t->name, t->shape[0], t->shape[1]);
          const char *was = g_hash_table_lookup (k.source, "n_classes");
          if (was)
            how_line (how, "n_classes: %s says %d, but %s", was, d->n_classes, src);
          kw_put (&k, "n_classes", dv_json_new_int (t->shape[0]), src);
          changed = TRUE;
        }
      const DvParam *f = first_conv_param (m);
      t = f ? file_tensor_of (st, f) : NULL;
      if (t && t->ndim == 4 && t->shape[1] != d->in_channels && t->shape[1] > 0)
        {
          g_autofree char *src = g_strdup_printf ("the shape of %s (%" G_GINT64_FORMAT " input channels)", t->name,
                                                  t->shape[1]);
          const char *was = g_hash_table_lookup (k.source, "input_dims");
          if (was)
            how_line (how, "input channels: %s says %d, but %s", was, d->in_channels, src);
          put_dims (&k, (int) t->shape[1], d->in_h, d->in_w, src);
          changed = TRUE;
        }
      if (!changed)
        break;
    }
  if (d)
    {
      /* one line per source, in the order the sources first appear */
      g_autoptr (GPtrArray) sources = g_ptr_array_new ();
      for (guint i = 0; i < dv_json_length (k.kw); i++)
        {
          const char *src = g_hash_table_lookup (k.source, dv_json_object_key (k.kw, i));
          if (!g_ptr_array_find_with_equal_func (sources, src, g_str_equal, NULL))
            g_ptr_array_add (sources, (gpointer) src);
        }
      for (guint s = 0; s < sources->len; s++)
        {
          g_autoptr (GString) line = g_string_new (NULL);
          for (guint i = 0; i < dv_json_length (k.kw); i++)
            {
              const char *key = dv_json_object_key (k.kw, i);
              if (g_strcmp0 (g_hash_table_lookup (k.source, key), g_ptr_array_index (sources, s)) != 0)
                continue;
              g_autofree char *v = dv_json_to_string (dv_json_object_value (k.kw, i), FALSE);
              g_string_append_printf (line, "%s%s=%s", line->len ? " " : "", key, v);
            }
          how_line (how, "from %s: %s", (const char *) g_ptr_array_index (sources, s), line->str);
        }
      if (g_hash_table_lookup (k.source, "input_dims") == NULL)
        how_line (how, "input %d×%d×%d (C×H×W): %s's default — nothing in the file fixes the resolution; give "
                  "input_dims=[1,C,H,W] with --model if it was trained on another", d->in_channels, d->in_h, d->in_w,
                  cls);
      how_line (how, "everything else: %s's defaults", cls);
    }
  else
    g_prefix_error (error, "%s: model %s (from %s) with the keyword arguments found: ", path, cls, cls_source);
  dv_json_free (k.kw);
  g_hash_table_unref (k.source);
  if (on_path)
    path_info_clear (&pi);
  return d;
}

DvModel *
dv_checkpoint_load_identified (const char *path, const DvModelHint *hint, DvLoadReport *report, GString *how,
                               GError **error)
{
  g_autoptr (DvSafetensors) st = dv_checkpoint_open (path, error);
  if (st == NULL)
    return NULL;
  g_autoptr (DvModelDesc) d = dv_checkpoint_identify (st, path, hint, how, error);
  if (d == NULL)
    return NULL;
  g_autoptr (DvModel) m = dv_model_new (d, error);
  if (m == NULL)
    return NULL;
  if (!dv_model_load_state (m, st, path, report, error))
    return NULL;
  return g_steal_pointer (&m);
}

char *
dv_load_report_describe (const DvLoadReport *r, guint limit)
{
  if (r == NULL || ((r->missing == NULL || r->missing->len == 0) && (r->unexpected == NULL || r->unexpected->len == 0)))
    return NULL;
  GString *s = g_string_new (NULL);
  GPtrArray *lists[2] = { r->missing, r->unexpected };
  const char *what[2] = { "missing from the file (kept as initialised)", "unexpected in the file (ignored)" };
  for (int w = 0; w < 2; w++)
    {
      if (lists[w] == NULL || lists[w]->len == 0)
        continue;
      g_string_append_printf (s, "%s%u %s: ", s->len ? "; " : "", lists[w]->len, what[w]);
      for (guint i = 0; i < lists[w]->len && i < limit; i++)
        g_string_append_printf (s, "%s%s", i ? ", " : "", (const char *) g_ptr_array_index (lists[w], i));
      if (lists[w]->len > limit)
        g_string_append_printf (s, ", … (%u more)", lists[w]->len - limit);
    }
  return g_string_free (s, FALSE);
}
