/* train-fixtures.h — seeded tiny models, loaders and temporary folders shared by the
 * training tests (test-train.c, test-trainer.c).  Test code only. */
#pragma once

#include "dv-data.h"
#include "dv-trainer.h"

G_BEGIN_DECLS

/* A DyRCNNx2 with c1 and c2 channels (first conv 3×3 stride 2) on 32×32 RGB input, 10 classes. */
DvModel  *sized_model (int T, int c1, int c2, guint64 seed);
/* sized_model with 4 and 8 channels. */
DvModel  *tiny_model (int T, guint64 seed);
/* A loader with DynVision's training presentation (shuffled and augmented when train),
 * loader seed 7. */
DvLoader *make_loader (DvDataset *ds, const int *idx, int n, DvModel *m, gboolean train, int batch);
char     *temp_dir (void);
void      remove_dir (const char *dir);
int      *first_indices (int n);
/* Defaults, `epochs` epochs, Adam 3e-3, checkpoints in dir. */
void      train_config (DvTrainConfig *c, const char *dir, int epochs);
/* Every tensor bit-identical (looked up by name in b). */
gboolean  params_equal (DvModel *a, DvModel *b);

G_END_DECLS
