/* dv-dataset.h — labelled image collections: the embedded stimulus set, idx (MNIST,
 * Fashion-MNIST), CIFAR-10/100 binary batches and image folders, behind one type.
 *
 * For: opening a dataset from a spec string, reading image i as raw bytes or as a normalised
 * float CHW image (optionally converted between grey and RGB), its label, class names and the
 * per-channel mean/std used for normalisation (SPEC §4.1), so that 0 is the mean colour.
 * Not for: batching, augmentation or temporal presentation (dv-loader.h, dv-augment.h,
 * dv-presentation.h).
 *
 * Ownership and threads: a DvDataset is immutable after it is opened and reference counted;
 * any number of threads may read it at once (the prefetch thread does).
 * Layout: images are planar C×H×W; raw pixels are bytes 0..255 (value/255 is the [0,1]
 * intensity that the mean/std refer to).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define DV_DATA_ERROR (dv_data_error_quark ())
GQuark dv_data_error_quark (void);

typedef enum
{
  DV_DATA_ERROR_NOT_FOUND,        /* a file or folder is missing */
  DV_DATA_ERROR_BAD_SPEC,         /* the dataset spec string is not understood */
  DV_DATA_ERROR_BAD_MAGIC,        /* idx: wrong magic number */
  DV_DATA_ERROR_TRUNCATED,        /* a file is shorter than its header or record size says */
  DV_DATA_ERROR_COUNT_MISMATCH,   /* images and labels disagree in number */
  DV_DATA_ERROR_BAD_LABEL,        /* a label outside the class range */
  DV_DATA_ERROR_UNREADABLE_IMAGE, /* folder: an image file that cannot be decoded */
  DV_DATA_ERROR_EMPTY,            /* no samples at all */
  DV_DATA_ERROR_INVALID,          /* a presentation/loader setting that makes no sense */
  DV_DATA_ERROR_IO,               /* read or decompression failure */
} DvDataError;

typedef enum
{
  DV_SPLIT_TRAIN,
  DV_SPLIT_TEST,
} DvSplit;

/* Which of DynVision's train-time transform presets fits this dataset (dv-augment.h). */
typedef enum
{
  DV_AUGMENT_PRESET_BASE,      /* rotation ±10°, translate 0.1, h-flip, colour jitter 0.2 */
  DV_AUGMENT_PRESET_MNIST,     /* rotation ±10°, translate 0.1 (DynVision's "mnist" preset) */
  DV_AUGMENT_PRESET_EMBEDDED,  /* base without the flip: mirrored 45° gratings are 135° ones */
} DvAugmentPreset;

/* folder: the largest image (width × height) decoded; bigger ones are refused
 * from their header, before gdk-pixbuf allocates them.  (The fuzzing build sets
 * a smaller limit so that each input decodes in milliseconds.) */
#ifndef DV_DATASET_MAX_IMAGE_PIXELS
#define DV_DATASET_MAX_IMAGE_PIXELS (8192 * 8192)
#endif

typedef struct
{
  int height, width;      /* folder: resize every image to this; 0 = size of the first image */
  gboolean has_stats;     /* override the normalisation statistics */
  float mean[3], std[3];
} DvDatasetOptions;

typedef struct _DvDataset DvDataset;

/* Spec strings:
 *   embedded | embedded:SEED       the generated default set (dv-embedded.h)
 *   fashion-mnist | mnist          idx files under $DV_DATA_DIR/NAME or /usr/share/datasets/NAME
 *   cifar10 | cifar100             binary batches under $DV_DATA_DIR/cifar-10-batches-bin etc.
 *   idx:PREFIX                     PREFIX-images-idx3-ubyte[.gz] + PREFIX-labels-idx1-ubyte[.gz]
 *   cifar10:DIR  cifar100:DIR      data_batch_{1..5}.bin / test_batch.bin;  train.bin / test.bin
 *   folder:DIR                     one sub-folder per class (sorted); DIR/train, DIR/test used
 *                                  for the split when both exist
 * `split` picks train or test files for named datasets and directories; idx:PREFIX ignores it. */
DvDataset  *dv_dataset_open (const char *spec, DvSplit split, GError **error);
DvDataset  *dv_dataset_open_full (const char *spec, DvSplit split,
                                  const DvDatasetOptions *options, GError **error);
DvDataset  *dv_dataset_open_idx (const char *images_path, const char *labels_path,
                                 GError **error);
DvDataset  *dv_dataset_open_cifar (const char *dir, int n_classes /* 10 or 100 */,
                                   DvSplit split, GError **error);
DvDataset  *dv_dataset_open_folder (const char *dir, const DvDatasetOptions *options,
                                    GError **error);

DvDataset  *dv_dataset_ref (DvDataset *ds);
void        dv_dataset_unref (DvDataset *ds);

const char *dv_dataset_get_name (const DvDataset *ds);    /* "embedded", "fashion-mnist", "idx", … */
const char *dv_dataset_get_source (const DvDataset *ds);  /* file(s) or folder it came from */
int         dv_dataset_get_n (const DvDataset *ds);
int         dv_dataset_get_channels (const DvDataset *ds);
int         dv_dataset_get_height (const DvDataset *ds);
int         dv_dataset_get_width (const DvDataset *ds);
int         dv_dataset_get_n_classes (const DvDataset *ds);
const char *dv_dataset_get_class_name (const DvDataset *ds, int k);
int         dv_dataset_get_label (const DvDataset *ds, int i);
void        dv_dataset_get_stats (const DvDataset *ds, float mean[3], float std[3]);
DvAugmentPreset dv_dataset_get_augment_preset (const DvDataset *ds);

/* Raw bytes of image i, C×H×W in the dataset's own channel count. */
void        dv_dataset_read_raw (const DvDataset *ds, int i, guint8 *out);
/* Image i as normalised floats, channels×H×W; channels 0 = the dataset's own, 1 = grey
 * (mean of R,G,B), 3 = RGB (grey repeated). */
void        dv_dataset_get_image (const DvDataset *ds, int i, int channels, float *out);
/* Convert an image of [0,1] intensities in the dataset's own channels into normalised floats
 * with `channels` channels (the last step of dv_dataset_get_image, used after augmentation). */
void        dv_dataset_normalize (const DvDataset *ds, const float *in01, int channels,
                                  float *out);
/* Mean and std (population) of [0,1] intensities per native channel over the first
 * `max_images` images (all when <= 0). */
void        dv_dataset_measure_stats (const DvDataset *ds, int max_images,
                                      double mean[3], double std[3]);
/* counts[k] = number of samples of class k; returns a new array of n_classes ints. */
int        *dv_dataset_class_counts (const DvDataset *ds);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvDataset, dv_dataset_unref)

G_END_DECLS
