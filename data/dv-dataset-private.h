/* dv-dataset-private.h — the DvDataset struct and helpers shared by the readers.
 *
 * For: dv-dataset.c, dv-idx.c, dv-cifar.c, dv-folder.c and dv-embedded.c only.
 * Not for: users of the library, who go through dv-dataset.h.
 */
#pragma once

#include "dv-dataset.h"

G_BEGIN_DECLS

typedef void (*DvDatasetGenerate) (const DvDataset *ds, int i, guint8 *out);

struct _DvDataset
{
  gint ref_count;
  char *name;
  char *source;
  int n, C, H, W;
  int n_classes;
  char **class_names;         /* n_classes entries, NULL-terminated */
  float mean[3], std[3];
  DvAugmentPreset preset;
  guint8 *pixels;             /* n × C×H×W, or NULL when generated on demand */
  gint32 *labels;             /* n */
  DvDatasetGenerate generate; /* used when pixels == NULL */
  guint64 gen_seed;
  int gen_split;
};

DvDataset *dv_dataset_new_internal (const char *name, const char *source,
                                    int n, int C, int H, int W, int n_classes,
                                    gboolean allocate_pixels);
void       dv_dataset_set_class_names (DvDataset *ds, const char *const *names);
void       dv_dataset_set_stats_from_data (DvDataset *ds);

/* Whole file into memory; transparently gunzips names ending in ".gz". */
gboolean   dv_data_read_file (const char *path, guint8 **data, gsize *len, GError **error);

G_END_DECLS
