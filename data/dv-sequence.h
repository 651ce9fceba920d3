/* dv-sequence.h — one batch of stimuli over time in compact form, plus its schedule.
 *
 * For: handing the engine and the plots a [B,T,C,H,W] input and [B,T] labels without T copies
 * of the images: a DvSequence holds a few B×C×H×W image buffers ("variants": the stimulus,
 * or one noisy version per frame when noise is dynamic), a per-timestep schedule saying which
 * variant (or the blank value) frame t shows and why, and the labels.  Frame t can be read
 * in place (dv_sequence_frame_data), copied (dv_sequence_frame) or the whole tensor
 * materialised (dv_sequence_materialize).
 * Not for: building sequences (dv-presentation.h) or batching (dv-loader.h).
 *
 * Labels: labels[b*T + t], int64, the class during shown (and scored) stimulus frames and
 * non_label_index (−1) on blank frames, pattern-off frames and reaction-time-masked frames.
 * With residual timesteps (SPEC §1.7) the last n_residual frames are blank inputs and the
 * labels are shifted right by n_residual (so labels[t] belongs to input frame t − n_residual).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  DV_FRAME_BLANK,
  DV_FRAME_STIMULUS,
} DvFrameKind;

/* Which part of the timeline a frame belongs to. */
typedef enum
{
  DV_PHASE_INTRO,         /* blank before the (first) stimulus */
  DV_PHASE_STIMULUS,      /* stimulus shown */
  DV_PHASE_INTERVAL,      /* blank gap between two presentations */
  DV_PHASE_OUTRO,         /* blank after the (last) stimulus */
  DV_PHASE_PATTERN_OFF,   /* blank because the presentation pattern is 0 here (SPEC §1.8) */
  DV_PHASE_RESIDUAL,      /* blank appended for residual timesteps (SPEC §1.7) */
} DvPhase;

typedef struct
{
  DvFrameKind kind;
  DvPhase phase;
  int presentation;       /* 1 = first presentation, 2 = second, …; 0 on blank frames */
  float contrast;         /* stimulus contrast factor; 0 on blank frames */
  float ssnr;             /* noise level of the frame; 1 = no noise (blank frames: 1) */
  int variant;            /* image buffer shown, −1 on blank frames */
  gboolean label_masked;  /* stimulus shown but its label is masked (loss reaction time) */
} DvScheduleEntry;

typedef struct
{
  int B, T, C, H, W;
  int n_variants;
  float *variants;            /* n_variants × B×C×H×W, normalised */
  float blank_value;          /* non_input_value */
  gint64 *labels;             /* B×T */
  DvScheduleEntry *schedule;  /* T */
  int *classes;               /* B: class of each sample */
  int *indices;               /* B: dataset index of each sample, −1 if unknown */
  int n_residual;             /* trailing residual frames, included in T */
  int epoch, batch;           /* origin in a loader, −1 otherwise */
} DvSequence;

DvSequence  *dv_sequence_new (int B, int T, int C, int H, int W, int n_variants);
void         dv_sequence_free (DvSequence *seq);
gsize        dv_sequence_frame_size (const DvSequence *seq);      /* B×C×H×W */
/* The B×C×H×W floats of frame t, or NULL when the frame is blank (every value blank_value). */
const float *dv_sequence_frame_data (const DvSequence *seq, int t);
void         dv_sequence_frame (const DvSequence *seq, int t, float *out);   /* B×C×H×W */
void         dv_sequence_materialize (const DvSequence *seq, float *out);    /* B×T×C×H×W */
/* TRUE when frames t1 and t2 have identical input for the whole batch. */
gboolean     dv_sequence_frames_equal (const DvSequence *seq, int t1, int t2);
const char  *dv_phase_to_string (DvPhase phase);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DvSequence, dv_sequence_free)

G_END_DECLS
