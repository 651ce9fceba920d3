/* dv-cli-model.c — taking a checkpoint on the command line: any format
 * (.safetensors, .pt, .pth, .ckpt), the model identified from the file, its
 * path or --model, how on stderr (dv_checkpoint_identify). */
#include "dv-cli.h"
#include "dv-checkpoint.h"
#include "dv-torch.h"

#include <string.h>

gboolean
dv_cli_is_kwarg (const char *word)
{
  if (!g_ascii_isalpha (word[0]) && word[0] != '_')
    return FALSE;
  for (const char *c = word; *c; c++)
    if (*c == '=')
      return c > word;
    else if (!g_ascii_isalnum (*c) && *c != '_')
      return FALSE;
  return FALSE;
}

static void
print_report (const char *command, const DvLoadReport *r, const char *path)
{
  for (guint i = 0; r->unexpected && i < r->unexpected->len; i++)
    g_printerr ("dynvision: warning: %s: ignored tensor '%s' (the model has no such parameter)\n", path,
                (char *) g_ptr_array_index (r->unexpected, i));
  for (guint i = 0; r->missing && i < r->missing->len; i++)
    g_printerr ("dynvision: warning: %s: no tensor for '%s'; it keeps its initial value\n", path,
                (char *) g_ptr_array_index (r->missing, i));
  (void) command;
}

DvModel *
dv_cli_load_checkpoint (const char *command, const char *path, const char *model_spec, char **words, int n_words,
                        int *status)
{
  GError *error = NULL;
  g_autoptr (DvModelHint) hint = NULL;
  for (int i = 0; i < n_words; i++)
    if (!dv_cli_is_kwarg (words[i]))
      {
        g_printerr ("dynvision %s: unexpected argument '%s' (key=value words after the options belong to "
                    "--model)\n", command, words[i]);
        *status = 2;
        return NULL;
      }
  if (model_spec == NULL && n_words > 0)
    {
      g_printerr ("dynvision %s: '%s': key=value words need --model PRESET (for example --model DyRCNNx4 %s)\n",
                  command, words[0], words[0]);
      *status = 2;
      return NULL;
    }
  if (model_spec)
    {
      hint = dv_model_hint_new (model_spec, (const char *const *) words, n_words, &error);
      if (hint == NULL)
        {
          g_printerr ("dynvision %s: --model: %s\n", command, error->message);
          g_error_free (error);
          *status = 2;
          return NULL;
        }
    }
  g_autoptr (GString) how = g_string_new (NULL);
  DvLoadReport rep = { 0 };
  DvModel *m = dv_checkpoint_load_identified (path, hint, &rep, how, &error);
  if (m && (hint != NULL || strstr (how->str, "own metadata") == NULL))
    {
      g_printerr ("dynvision %s: %s: the model was identified as follows:\n", command, path);
      g_auto (GStrv) lines = g_strsplit (how->str, "\n", -1);
      for (char **l = lines; *l; l++)
        if (**l)
          g_printerr ("  %s\n", *l);
    }
  if (m)
    print_report (command, &rep, path);
  dv_load_report_clear (&rep);
  if (m == NULL)
    *status = dv_cli_fail (error);
  else
    *status = 0;
  return m;
}

/* ---- dynvision convert IN OUT ----------------------------------------------------------- */

static gboolean
has_ext (const char *path, const char *ext)
{
  g_autofree char *lower = g_ascii_strdown (path, -1);
  return g_str_has_suffix (lower, ext);
}

/* The file's tensors exactly as stored (f16: F32 ones as F16 where every value fits;
 * weights_only: without the trainer's optimizer.* moments), with our metadata regenerated
 * from the identified model (what dv_checkpoint_save writes) and the trainer's train.* kept. */
static DvSafetensors *
converted (const DvSafetensors *in, DvModel *m, const char *in_path, gboolean f16, gboolean weights_only,
           GError **error)
{
  g_autoptr (DvSafetensorsWriter) meta_w = dv_checkpoint_writer (m, NULL);
  g_autoptr (GBytes) meta_b = dv_safetensors_writer_to_bytes (meta_w);
  g_autoptr (DvSafetensors) meta = dv_safetensors_load_from_bytes (meta_b, "(metadata)", error);
  if (meta == NULL)
    return NULL;
  g_autoptr (DvSafetensorsWriter) w = dv_safetensors_writer_new ();
  for (guint i = 0; i < dv_safetensors_n_tensors (in); i++)
    {
      const DvStTensor *t = dv_safetensors_tensor (in, i);
      if (weights_only && g_str_has_prefix (t->name, "optimizer."))
        continue;
      if (f16 && t->dtype == DV_DTYPE_F32)
        {
          g_autofree float *v = dv_st_tensor_to_f32 (t);
          g_autofree guint16 *h = g_new (guint16, MAX (t->numel, 1));
          if (dv_f32_array_to_f16 (h, v, t->numel))
            {
              dv_safetensors_writer_add (w, t->name, DV_DTYPE_F16, t->ndim, t->shape, h);
              continue;
            }
        }
      dv_safetensors_writer_add (w, t->name, t->dtype, t->ndim, t->shape, t->data);
    }
  for (const char *const *k = dv_safetensors_metadata_keys (in); *k; k++)
    if (g_str_has_prefix (*k, "train."))
      dv_safetensors_writer_set_metadata (w, *k, dv_safetensors_metadata (in, *k));
  for (const char *const *k = dv_safetensors_metadata_keys (meta); *k; k++)
    dv_safetensors_writer_set_metadata (w, *k, dv_safetensors_metadata (meta, *k));
  const char *hp = dv_safetensors_metadata (in, "dynvision.hyper_parameters");
  if (hp)
    dv_safetensors_writer_set_metadata (w, "dynvision.hyper_parameters", hp);
  g_autofree char *base = g_path_get_basename (in_path);
  dv_safetensors_writer_set_metadata (w, "dynvision.converted_from", base);
  g_autoptr (GBytes) b = dv_safetensors_writer_to_bytes (w);
  return dv_safetensors_load_from_bytes (b, in_path, error);
}

int
dv_cli_convert (int argc, char **argv)
{
  g_autofree char *model_spec = NULL;
  gboolean f16 = FALSE, weights_only = FALSE;
  GOptionEntry entries[] = {
    DV_CLI_MODEL_ENTRY (&model_spec),
    { "f16", 0, 0, G_OPTION_ARG_NONE, &f16, "Store float32 tensors as F16 (half the size; a tensor with a "
      "value beyond ±65504 stays F32)", NULL },
    { "weights-only", 0, 0, G_OPTION_ARG_NONE, &weights_only, "Leave out the trainer's optimizer moments "
      "(optimizer.m, optimizer.v)", NULL },
    { NULL } };
  GOptionContext *ctx = g_option_context_new ("IN OUT [key=value …] — write a checkpoint as .safetensors or .pt");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_description (ctx,
    "IN is any checkpoint (.safetensors, .pt, .pth, .ckpt); the model is identified as everywhere\n"
    "(its metadata, Lightning hyper-parameters, DynVision's path convention, --model) and its\n"
    "weights must fit it.  OUT's extension chooses the format: .safetensors, or .pt/.pth\n"
    "(torch.save of the state_dict).  Tensors are written exactly as stored (--f16, --weights-only\n"
    "aside); the metadata is regenerated from the identified model, the trainer's train.* kept.");
  GError *error = NULL;
  gboolean parsed = g_option_context_parse (ctx, &argc, &argv, &error);
  g_option_context_free (ctx);
  if (!parsed)
    {
      g_printerr ("dynvision convert: %s\n", error->message);
      g_error_free (error);
      return 2;
    }
  if (argc < 3)
    {
      g_printerr ("usage: dynvision convert IN OUT [--model PRESET|DESC.json|CKPT [key=value …]]\n");
      return 2;
    }
  const char *in = argv[1], *out = argv[2];
  gboolean to_torch = has_ext (out, ".pt") || has_ext (out, ".pth");
  if (!to_torch && !has_ext (out, ".safetensors"))
    {
      g_printerr ("dynvision convert: %s: write .safetensors, .pt or .pth (a Lightning .ckpt is not written)\n",
                  out);
      return 2;
    }
  int status = 0;
  g_autoptr (DvModel) m = dv_cli_load_checkpoint ("convert", in, model_spec, argv + 3, argc - 3, &status);
  if (m == NULL)
    return status;
  g_autoptr (DvSafetensors) st = dv_checkpoint_open (in, &error);
  g_autoptr (DvSafetensors) conv = st ? converted (st, m, in, f16, weights_only, &error) : NULL;
  gboolean ok = conv != NULL;
  if (ok && to_torch)
    ok = dv_torch_save (conv, out, &error);
  else if (ok)
    {
      g_autoptr (DvSafetensorsWriter) w = dv_safetensors_writer_new ();
      for (guint i = 0; i < dv_safetensors_n_tensors (conv); i++)
        {
          const DvStTensor *t = dv_safetensors_tensor (conv, i);
          dv_safetensors_writer_add (w, t->name, t->dtype, t->ndim, t->shape, t->data);
        }
      for (const char *const *k = dv_safetensors_metadata_keys (conv); *k; k++)
        dv_safetensors_writer_set_metadata (w, *k, dv_safetensors_metadata (conv, *k));
      ok = dv_safetensors_writer_save (w, out, &error);
    }
  if (!ok)
    return dv_cli_fail (error);
  g_printerr ("wrote %s (%u tensors, %s)\n", out, dv_safetensors_n_tensors (conv),
              dv_model_get_desc (m)->model_class ? dv_model_get_desc (m)->model_class : "custom model");
  return 0;
}
