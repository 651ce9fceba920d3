/* dv-cli-model.c — taking a checkpoint on the command line: any format
 * (.safetensors, .pt, .pth, .ckpt), the model identified from the file, its
 * path or --model, how on stderr (dv_checkpoint_identify). */
#include "dv-cli.h"
#include "dv-checkpoint.h"

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
