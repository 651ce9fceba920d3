/* dv-presets.c — DynVision's models (and the tutorial's CustomRCNN) as
 * descriptions, built from the same constructor keyword arguments the
 * Python classes take (aliases included).  Architectures follow
 * SPEC §6; CustomRCNN follows shared/golden/README.md (adaptations A1–A9). */
#include "dv-desc.h"
#include "dv-plugin.h"
#include "dv-kwargs.h"

#include <string.h>

/* The kwargs a builder sees went through dv_kwargs_normalize() (dv-kwargs.c):
 * canonical names, typed and range-checked values.  A key the builder never
 * looks up has no effect on that model and is refused (build_checked). */
static const DvJson *
kw (const DvJson *kwargs, const char *name)
{
  return kwargs ? dv_json_object_get (kwargs, name) : NULL;
}

static gboolean
is_null (const DvJson *v)
{
  return v == NULL || dv_json_type (v) == DV_JSON_NULL;
}

static double
kw_num (const DvJson *kwargs, const char *name, double dflt)
{
  const DvJson *v = kw (kwargs, name);
  return v && dv_json_type (v) == DV_JSON_NUMBER ? dv_json_number (v) : dflt;
}

/* DynVision's str_to_bool; the feedback modes "additive"/"multiplicative" are true. */
static gboolean
kw_bool (const DvJson *kwargs, const char *name, gboolean dflt)
{
  const DvJson *v = kw (kwargs, name);
  if (v == NULL)
    return dflt;
  if (dv_json_type (v) == DV_JSON_STRING)
    return TRUE;
  return dv_json_type (v) == DV_JSON_BOOL ? dv_json_bool (v) : dflt;
}

static const char *
kw_str (const DvJson *kwargs, const char *name, const char *dflt)
{
  const DvJson *v = kw (kwargs, name);
  if (v && dv_json_type (v) == DV_JSON_STRING)
    return dv_json_string (v);
  if (v && dv_json_type (v) == DV_JSON_NULL)
    return NULL;
  return dflt;
}

/* TemporalBase's common hyper-parameters with class-specific defaults. */
typedef struct {
  int n_classes;
  int T, C, H, W;
  double dt, tau, tff, trc;
  double tfb; /* < 0: None */
  double tsk; /* < 0: None */
  gboolean skip, feedback;
  const char *rctype;
  gboolean shuffle;
} Defaults;

static gboolean
apply_common (DvModelDesc *d, const char *cls, const DvJson *kwargs, const Defaults *df, GError **error)
{
  g_free (d->model_class);
  d->model_class = g_strdup (cls);
  dv_json_free (d->config);
  d->config = kwargs ? dv_json_copy (kwargs) : dv_json_new_object ();
  d->n_classes = (int) kw_num (kwargs, "n_classes", df->n_classes);
  d->n_timesteps = df->T;
  d->in_channels = df->C;
  d->in_h = df->H;
  d->in_w = df->W;
  const DvJson *dims = kw (kwargs, "input_dims");
  if (!is_null (dims))
    {
      guint n = dv_json_length (dims); /* 2 to 4 whole numbers ≥ 1 (dv_kwargs_normalize) */
      gint64 v[4] = { 1, 1, 1, 1 };
      for (guint i = 0; i < n; i++)
        v[4 - n + i] = dv_json_int (dv_json_array_get (dims, i));
      d->n_timesteps = v[0];
      d->in_channels = v[1];
      d->in_h = v[2];
      d->in_w = v[3];
    }
  int nt = (int) kw_num (kwargs, "n_timesteps", 1);
  /* SPEC §1.4: Td == 1 -> n_timesteps; n_timesteps == 1 -> Td; else the larger */
  if (d->n_timesteps == 1)
    d->n_timesteps = nt;
  else if (nt != 1)
    d->n_timesteps = MAX (nt, d->n_timesteps);
  d->dt = kw_num (kwargs, "dt", df->dt);
  d->tau = kw_num (kwargs, "tau", df->tau);
  d->t_feedforward = kw_num (kwargs, "t_feedforward", df->tff);
  d->t_recurrence = kw_num (kwargs, "t_recurrence", df->trc);
  const DvJson *v = kw (kwargs, "t_feedback");
  d->t_feedback = !is_null (v) ? kw_num (kwargs, "t_feedback", 0) : (df->tfb >= 0 ? df->tfb : d->t_feedforward);
  v = kw (kwargs, "t_skip");
  d->t_skip = !is_null (v) ? kw_num (kwargs, "t_skip", 0) : (df->tsk >= 0 ? df->tsk : d->t_feedback);
  const char *solver = kw_str (kwargs, "dynamics_solver", "euler");
  if (!dv_solver_from_name (solver, &d->solver, &d->solver_name))
    {
      g_set_error (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
                   "%s: dynamics_solver '%s' is unknown; use 'euler', 'rk4' or a registered solver", cls, solver);
      return FALSE;
    }
  d->idle_timesteps = (int) kw_num (kwargs, "idle_timesteps", 0);
  d->loss_reaction_time = kw_num (kwargs, "loss_reaction_time", 0);
  d->feedforward_only = kw_bool (kwargs, "feedforward_only", FALSE);
  d->tbptt = (int) kw_num (kwargs, "truncated_bptt_timesteps", 0);
  d->train_tau = kw_bool (kwargs, "train_tau", FALSE);
  d->non_input_value = kw_num (kwargs, "non_input_value", 0.0);
  d->non_label_index = (gint64) kw_num (kwargs, "non_label_index", -1);
  g_free (d->pattern);
  d->pattern = g_strdup (kw_str (kwargs, "data_presentation_pattern", "1")); /* digits, normalised */
  if (d->pattern == NULL)
    d->pattern = g_strdup ("1");
  d->shuffle_pattern = kw_bool (kwargs, "shuffle_presentation_pattern", df->shuffle);
  d->max_weight_init = kw_num (kwargs, "max_weight_init", 0.001);
  d->skip = kw_bool (kwargs, "skip", df->skip);
  d->feedback = kw_bool (kwargs, "feedback", df->feedback);
  kw_bool (kwargs, "store_responses", FALSE); /* what Python keeps; no effect on the computation */
  if (kw_bool (kwargs, "init_with_pretrained", FALSE))
    {
      g_set_error (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
                   "%s: init_with_pretrained=true: nothing pretrained is downloaded here; load a checkpoint "
                   "instead", cls);
      return FALSE;
    }
  return TRUE;
}

/* DynVision's history_length kwarg replaces the history its delays imply
 * (DyRCNN, CorNetRT pass it to every layer; CordsNet does not read it). */
static void
kw_history (DvModelDesc *d, const DvJson *kwargs)
{
  const DvJson *v = kw (kwargs, "history_length");
  if (!is_null (v))
    {
      d->history_set = TRUE;
      d->history_ms = kw_num (kwargs, "history_length", 0);
    }
}

/* ffonly_drops_rec: the class passes feedforward_only to its layers, which
 * then build no recurrence (DyRCNN, CorNetRT); CordsNet does not. */
static gboolean
layer_rec_full (DvLayerDesc *l, const DvModelDesc *d, const DvJson *kwargs, const char *dflt,
                gboolean ffonly_drops_rec, GError **error)
{
  const char *rt = kw_str (kwargs, "recurrence_type", dflt);
  if (d->feedforward_only && ffonly_drops_rec)
    rt = "none";
  if (!dv_rec_type_from_name (rt, &l->rec_type))
    {
      g_set_error (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
                   "recurrence_type '%s' is unknown; use none, self, full, depthpointwise, pointdepthwise, "
                   "local or localdepthwise (DynVision rejects 'depthwise' and 'pointwise' too)", rt);
      return FALSE;
    }
  const char *tg = kw_str (kwargs, "recurrence_target", "output");
  if (g_ascii_strcasecmp (tg, "output") == 0)
    l->rec_target = DV_TARGET_OUTPUT;
  else if (g_ascii_strcasecmp (tg, "middle") == 0)
    l->rec_target = DV_TARGET_MIDDLE;
  else if (g_ascii_strcasecmp (tg, "input") == 0)
    l->rec_target = DV_TARGET_INPUT;
  else
    {
      g_set_error (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
                   "recurrence_target '%s' is unknown; use output, middle or input", tg);
      return FALSE;
    }
  l->rec_bias = kw_bool (kwargs, "recurrence_bias", kw_bool (kwargs, "bias", TRUE));
  return TRUE;
}

static gboolean
layer_rec (DvLayerDesc *l, const DvModelDesc *d, const DvJson *kwargs, const char *dflt, GError **error)
{
  return layer_rec_full (l, d, kwargs, dflt, TRUE, error);
}

/* ------------------------------------------------------------------------ */

static DvModelDesc *
build_custom_rcnn (const DvJson *kwargs, GError **error)
{
  g_autoptr (DvModelDesc) d = dv_model_desc_new ();
  Defaults df = { 10, 20, 3, 224, 224, 1.0, 10.0, 1.0, 1.0, -1, -1, FALSE, FALSE, "full", FALSE };
  if (!apply_common (d, "CustomRCNN", kwargs, &df, error))
    return NULL;
  gboolean skip = kw_bool (kwargs, "use_skip_connections", TRUE);
  gboolean bias = kw_bool (kwargs, "bias", TRUE);
  d->skip = skip;
  g_free (d->init_scheme);
  d->init_scheme = g_strdup ("tutorial");
  const char *ops_skip[] = { "conv", "nonlin", "addskip", "recurrent", "tstep", "record", "delay", "pool", "norm", NULL };
  const char *ops_plain[] = { "conv", "nonlin", "recurrent", "tstep", "record", "delay", "pool", "norm", NULL };
  dv_model_desc_set_operations (d, skip ? ops_skip : ops_plain);
  const struct { const char *n; int out, k, s; } spec[] = { { "V1", 64, 7, 2 }, { "V2", 128, 3, 1 }, { "V3", 256, 3, 1 } };
  for (int i = 0; i < 3; i++)
    {
      DvLayerDesc *l = dv_model_desc_add_layer (d, spec[i].n);
      l->conv_name = g_strdup_printf ("%s_conv", spec[i].n);
      l->conv_out = spec[i].out;
      l->conv_kernel = spec[i].k;
      l->conv_stride = spec[i].s;
      l->conv_padding = spec[i].k / 2;
      l->conv_bias = bias;
      g_free (l->module_name);
      l->module_name = g_strdup_printf ("%s_recurrent", spec[i].n);
      l->in_channels = l->out_channels = spec[i].out;
      l->kernel = 3;
      l->bias = bias;
      if (!layer_rec (l, d, kwargs, "full", error))
        return NULL;
      g_free (l->tstep_name);
      l->tstep_name = g_strdup_printf ("%s_tstep", spec[i].n);
      l->pool_kind = DV_POOL_MAX;
      l->pool = (DvPoolDesc) { 3, 2, 1 };
      l->norm_kind = DV_NORM_BATCH;
      l->norm_name = g_strdup_printf ("%s_norm", spec[i].n);
    }
  if (skip && !d->feedforward_only)
    {
      DvConnDesc *c = dv_model_desc_add_conn (d, DV_CONN_SKIP, "skip_V1_V3", "V1", "V3");
      c->form = DV_CONN_FORM_CONV_BN;
      c->stride = 4;
      c->source_alias = FALSE;
      c = dv_model_desc_add_conn (d, DV_CONN_SKIP, "skip_V2_V3", "V2", "V3");
      c->form = DV_CONN_FORM_CONV_BN;
      c->stride = 2;
      c->source_alias = FALSE;
    }
  if (d->feedback && !d->feedforward_only)
    {
      /* The tutorial's "Adding Feedback Connections": ConvTranspose2d(256, 64,
       * k4, s4, no bias) + BatchNorm(64) from V3 (one step back) into V1,
       * added after nonlin and before the recurrent layer. */
      g_ptr_array_insert (d->operations, skip ? 3 : 2, g_strdup ("addfeedback"));
      DvConnDesc *c = dv_model_desc_add_conn (d, DV_CONN_FEEDBACK, "feedback_V3_V1", "V3", "V1");
      c->form = DV_CONN_FORM_CONVT_BN;
      c->stride = c->kernel = 4;
      c->source_alias = FALSE;
    }
  if (!dv_model_desc_validate (d, error))
    return NULL;
  return g_steal_pointer (&d);
}

typedef struct {
  const char *name;
  int out, k, s;
  int mid_k2, mid_s2; /* two-stage (x8): second conv kernel/stride, 0 = single stage */
  int pool_k, pool_s, pool_p; /* pool_k 0 = no pool */
} DyLayerSpec;

static DvModelDesc *
build_dyrcnn (const char *cls, const DyLayerSpec *spec, int n, const char *const skips[][2],
              const char *const fbs[][2], int n_links, gboolean root_tau, gboolean with_norm_op,
              const DvJson *kwargs, GError **error)
{
  g_autoptr (DvModelDesc) d = dv_model_desc_new ();
  Defaults df = { 1000, 20, 3, 224, 224, 2.0, 5.0, 0.0, 6.0, 30.0, 0.0, TRUE, FALSE, "full", TRUE };
  if (!apply_common (d, cls, kwargs, &df, error))
    return NULL;
  kw_history (d, kwargs);
  const char *fbmode = kw_str (kwargs, "feedback_mode", "additive");
  const DvJson *fbv = kw (kwargs, "feedback");
  DvIntegration fb_integ = DV_INTEGRATE_ADDITIVE;
  if (fbv && dv_json_type (fbv) == DV_JSON_STRING)
    fbmode = dv_json_string (fbv);
  if (fbmode && (g_ascii_strcasecmp (fbmode, "mul") == 0 || g_ascii_strcasecmp (fbmode, "multiplicative") == 0))
    fb_integ = DV_INTEGRATE_MULTIPLICATIVE;
  gboolean bias = kw_bool (kwargs, "bias", TRUE);
  double supralin = kw_num (kwargs, "supralinearity", 1.0);
  if (kw_bool (kwargs, "use_retina", FALSE))
    {
      g_set_error (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
                   "%s: use_retina is not supported: DynVision builds the retina but never applies it "
                   "(SPEC §2.10), so V1 would receive the wrong number of channels", cls);
      return NULL;
    }
  if (kw_num (kwargs, "input_adaption_weight", 0) != 0)
    {
      g_set_error (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
                   "%s: input_adaption_weight is not available yet in this engine; leave it at 0", cls);
      return NULL;
    }
  const char *ops[] = { "layer", "addext", "addskip", "addfeedback", "tstep", "nonlin", "supralin",
                        "record", "delay", "pool", with_norm_op ? "norm" : NULL, NULL };
  dv_model_desc_set_operations (d, ops);
  for (int i = 0; i < n; i++)
    {
      DvLayerDesc *l = dv_model_desc_add_layer (d, spec[i].name);
      l->out_channels = spec[i].out;
      l->kernel = spec[i].k;
      l->stride = spec[i].s;
      l->bias = bias;
      if (spec[i].mid_k2 > 0)
        {
          l->mid_channels = spec[i].out;
          l->kernel2 = spec[i].mid_k2;
          l->stride2 = spec[i].mid_s2;
          l->bias2 = bias;
        }
      if (!layer_rec (l, d, kwargs, "full", error))
        return NULL;
      /* DyRCNN does not pass recurrence_bias to its RConv2d layers, whose
       * default (None) is the layer's bias: the kwarg has no effect there. */
      l->rec_bias = bias;
      if (root_tau)
        l->tau_name = g_strdup_printf ("tau_%s", spec[i].name);
      l->supralinearity = supralin;
      if (spec[i].pool_k > 0)
        {
          l->pool_kind = DV_POOL_MAX;
          l->pool = (DvPoolDesc) { spec[i].pool_k, spec[i].pool_s, spec[i].pool_p };
        }
    }
  /* With feedforward_only DynVision still builds the Skip/Feedback modules
   * (addskip_*.source.* are in its state_dict) and counts their delays in the
   * history length; only their use is skipped at run time. */
  for (int i = 0; i < n_links; i++)
    {
      if (d->skip && skips[i][0])
        {
          g_autofree char *name = g_strdup_printf ("addskip_%s", skips[i][1]);
          dv_model_desc_add_conn (d, DV_CONN_SKIP, name, skips[i][0], skips[i][1]);
        }
    }
  for (int i = 0; i < n_links; i++)
    {
      if (d->feedback && fbs[i][0])
        {
          g_autofree char *name = g_strdup_printf ("addfeedback_%s", fbs[i][1]);
          DvConnDesc *c = dv_model_desc_add_conn (d, DV_CONN_FEEDBACK, name, fbs[i][0], fbs[i][1]);
          c->integration = fb_integ;
        }
    }
  if (!dv_model_desc_validate (d, error))
    return NULL;
  return g_steal_pointer (&d);
}

static DvModelDesc *
build_dyrcnnx2 (const DvJson *kwargs, GError **error)
{
  static const DyLayerSpec spec[] = {
    { "layer1", 36, 3, 1, 0, 0, 3, 2, 1 },
    { "layer2", 64, 3, 1, 0, 0, 0, 0, 0 },
  };
  static const char *const skips[][2] = { { "layer1", "layer2" } };
  static const char *const fbs[][2] = { { "layer2", "layer1" } };
  DvModelDesc *d = build_dyrcnn ("DyRCNNx2", spec, 2, skips, fbs, 1, FALSE, TRUE, kwargs, error);
  /* DyRCNNx2 gives its EulerSteps the float tau (no tau_* Parameter with
   * requires_grad=train_tau as x4/x8 do): its tau stays frozen whatever
   * train_tau says (the kwarg is still recorded in the config). */
  if (d)
    d->train_tau = FALSE;
  return d;
}

static DvModelDesc *
build_dyrcnnx4 (const DvJson *kwargs, GError **error)
{
  static const DyLayerSpec spec[] = {
    { "V1", 36, 3, 1, 0, 0, 3, 2, 1 },
    { "V2", 64, 3, 1, 0, 0, 3, 2, 1 },
    { "V4", 121, 3, 1, 0, 0, 1, 1, 0 },
    { "IT", 256, 3, 2, 0, 0, 0, 0, 0 },
  };
  static const char *const skips[][2] = { { "V1", "V4" }, { "V2", "IT" } };
  static const char *const fbs[][2] = { { "V4", "V1" }, { "IT", "V2" } };
  return build_dyrcnn ("DyRCNNx4", spec, 4, skips, fbs, 2, TRUE, FALSE, kwargs, error);
}

static DvModelDesc *
build_dyrcnnx8 (const DvJson *kwargs, GError **error)
{
  static const DyLayerSpec spec[] = {
    { "V1", 64, 5, 2, 5, 1, 3, 2, 1 },
    { "V2", 144, 3, 2, 3, 1, 3, 2, 1 },
    { "V4", 256, 3, 2, 3, 1, 0, 0, 0 },
    { "IT", 529, 3, 2, 3, 1, 0, 0, 0 },
  };
  static const char *const skips[][2] = { { "V1", "V4" }, { "V2", "IT" } };
  static const char *const fbs[][2] = { { "V4", "V1" }, { "IT", "V2" } };
  DvModelDesc *d = build_dyrcnn ("DyRCNNx8", spec, 4, skips, fbs, 2, TRUE, TRUE, kwargs, error);
  return d;
}

/* CorNetRT (SPEC §6): four two-stage areas conv -> GroupNorm -> ReLU ->
 * (+ fixed self recurrence at the middle) -> conv2 -> GroupNorm -> ReLU, a
 * one-step delay, and the zero-state filter; no leak (no tstep).  Without
 * pretrained weights (nothing is downloaded) PyTorch's default init. */
static DvModelDesc *
build_cornetrt (const DvJson *kwargs, GError **error)
{
  g_autoptr (DvModelDesc) d = dv_model_desc_new ();
  Defaults df = { 1000, 5, 3, 224, 224, 2.0, 5.0, 2.0, 2.0, 30.0, 0.0, FALSE, FALSE, "self", TRUE };
  if (!apply_common (d, "CorNetRT", kwargs, &df, error))
    return NULL;
  kw_history (d, kwargs);
  d->ffonly_keeps_recurrence = TRUE; /* CorNetRT does not pass feedforward_only to its areas */
  if (d->skip || d->feedback)
    {
      g_set_error (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
                   "CorNetRT: skip and feedback connections are not part of CORnet-RT; use DyRCNNx4 for them");
      return NULL;
    }
  g_free (d->init_scheme);
  d->init_scheme = g_strdup ("pytorch");
  const char *ops[] = { "layer", "norm", "nonlin", "record", "delay", "skipzeros", NULL };
  dv_model_desc_set_operations (d, ops);
  double fixed = kw_num (kwargs, "fixed_self_weight", 1.0);
  const struct { const char *n; int out, k, s; } spec[] = {
    { "V1", 64, 7, 4 }, { "V2", 128, 3, 2 }, { "V4", 256, 3, 2 }, { "IT", 512, 3, 2 },
  };
  for (int i = 0; i < 4; i++)
    {
      DvLayerDesc *l = dv_model_desc_add_layer (d, spec[i].n);
      l->out_channels = l->mid_channels = spec[i].out;
      l->kernel = spec[i].k;
      l->stride = spec[i].s;
      l->bias = TRUE;
      l->kernel2 = 3;
      l->stride2 = 1;
      l->bias2 = FALSE;
      l->mid_groupnorm = 32;
      /* DynVision's CorNetRT never passes recurrence_type to its RConv2d
       * areas: their recurrence is always "self", whatever the kwarg says. */
      /* nor feedforward_only: with it the areas keep their recurrence */
      if (!layer_rec_full (l, d, kwargs, "self", FALSE, error))
        return NULL;
      if (l->rec_type != DV_REC_NONE)
        l->rec_type = DV_REC_SELF;
      if (is_null (kw (kwargs, "recurrence_target")))
        l->rec_target = DV_TARGET_MIDDLE;
      l->rec_bias = kw_bool (kwargs, "recurrence_bias", FALSE);
      if (l->rec_type == DV_REC_SELF)
        l->rec_fixed = TRUE, l->rec_fixed_weight = fixed;
      g_clear_pointer (&l->tstep_name, g_free);
      l->norm_kind = DV_NORM_GROUP;
      l->norm_groups = 32;
      l->norm_name = g_strdup_printf ("norm_%s", spec[i].n);
      if (i == 3)
        l->t_feedforward = 0.0;
    }
  if (!dv_model_desc_validate (d, error))
    return NULL;
  return g_steal_pointer (&d);
}

/* CordsNet (SPEC §6): an input area (weight-normed 7×7 s2 conv, average
 * pool, no nonlinearity) and eight recurrent areas (weight-normed 3×3 convs,
 * full recurrence without bias, per-unit spatial bias, ReLU → Euler → ReLU),
 * fixed skips into the area inputs, and a readout that adds layer7's state
 * to layer8's.  idle_timesteps defaults to 100.  No pretrained download:
 * PyTorch's default init. */
static DvModelDesc *
build_cordsnet (const DvJson *kwargs, GError **error)
{
  g_autoptr (DvModelDesc) d = dv_model_desc_new ();
  Defaults df = { 1000, 100, 3, 224, 224, 2.0, 10.0, 2.0, 2.0, 0.0, 2.0, TRUE, FALSE, "full", TRUE };
  if (!apply_common (d, "CordsNet", kwargs, &df, error))
    return NULL;
  d->idle_timesteps = (int) kw_num (kwargs, "idle_timesteps", 100);
  g_free (d->init_scheme);
  d->init_scheme = g_strdup ("pytorch");
  g_free (d->classifier_name);
  d->classifier_name = g_strdup ("classifier.3");
  d->classifier_wn = TRUE;
  d->classifier_skip = g_strdup ("layer7");
  const char *ops[] = { "addskip", "layer", "addbias", "pool", "nonlin", "tstep", "nonlin", "record", "delay", NULL };
  dv_model_desc_set_operations (d, ops);
  static const int ch[] = { 64, 64, 64, 128, 128, 256, 256, 512, 512 };
  static const int st[] = { 1, 1, 2, 1, 2, 1, 2, 1 };
  DvLayerDesc *l0 = dv_model_desc_add_layer (d, "layer0");
  l0->out_channels = 64;
  l0->kernel = 7;
  l0->stride = 2;
  l0->padding = 3;
  l0->bias = FALSE;
  l0->weight_norm = TRUE;
  l0->t_feedforward = 0.0;
  l0->nonlin = DV_NONLIN_IDENTITY;
  g_clear_pointer (&l0->tstep_name, g_free);
  l0->pool_kind = DV_POOL_AVG;
  l0->pool = (DvPoolDesc) { 3, 2, 1 };
  for (int i = 0; i < 8; i++)
    {
      g_autofree char *name = g_strdup_printf ("layer%d", i + 1);
      DvLayerDesc *l = dv_model_desc_add_layer (d, name);
      l->in_channels = ch[i];
      l->out_channels = ch[i + 1];
      l->kernel = 3;
      l->stride = st[i];
      l->padding = 1;
      l->bias = FALSE;
      l->weight_norm = TRUE;
      /* CordsNet's layers keep their recurrence with feedforward_only: only
       * the skips are left out at run time */
      if (!layer_rec_full (l, d, kwargs, "full", FALSE, error))
        return NULL;
      if (l->rec_type == DV_REC_SELF)
        {
          g_set_error (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
                       "CordsNet: recurrence_type 'self' cannot be built: DynVision weight-norms the "
                       "self-recurrence's bare weight Parameter and fails (no Module to parametrise)");
          return NULL;
        }
      l->rec_kernel = 3;
      l->rec_bias = FALSE;
      l->spatial_bias = TRUE;
      l->tau_name = g_strdup_printf ("tau_%s", name);
      if (i == 7)
        l->t_feedforward = 0.0;
    }
  d->ffonly_keeps_recurrence = TRUE;
  if (d->skip) /* built with feedforward_only too (construction-time transforms) */
    {
      /* target <- source, kernel (0 = identity), stride, same-step */
      static const struct { int dst, src, k, s; gboolean now; } sk[] = {
        { 2, 0, 3, 1, TRUE }, { 3, 1, 0, 1, FALSE }, { 4, 2, 1, 2, FALSE }, { 5, 3, 0, 1, FALSE },
        { 6, 4, 1, 2, FALSE }, { 7, 5, 0, 1, FALSE }, { 8, 6, 1, 2, FALSE },
      };
      for (guint i = 0; i < G_N_ELEMENTS (sk); i++)
        {
          g_autofree char *dst = g_strdup_printf ("layer%d", sk[i].dst);
          g_autofree char *src = g_strdup_printf ("layer%d", sk[i].src);
          g_autofree char *nm = g_strdup_printf ("addskip_%s", dst);
          DvConnDesc *c = dv_model_desc_add_conn (d, DV_CONN_SKIP, nm, src, dst);
          c->form = DV_CONN_FORM_CONV;
          c->kernel = sk[i].k;
          c->stride = sk[i].s;
          c->weight_norm = TRUE;
          c->t_ms = sk[i].now ? 0.0 : d->t_skip;
        }
    }
  if (!dv_model_desc_validate (d, error))
    return NULL;
  return g_steal_pointer (&d);
}

typedef struct {
  const char *name;
  DvModelDesc *(*build) (const DvJson *kwargs, GError **error);
} Preset;

static const Preset presets[] = {
  { "CustomRCNN", build_custom_rcnn },
  { "DyRCNNx2", build_dyrcnnx2 },
  { "DyRCNNx4", build_dyrcnnx4 },
  { "DyRCNNx8", build_dyrcnnx8 },
  { "CorNetRT", build_cornetrt },
  { "CordsNet", build_cordsnet },
};

/* Presets registered at run time (plugins, programs): name -> Registered. */
typedef struct {
  char *name;
  DvPresetBuildFunc build;
  char *plugin;
} Registered;

static GMutex preset_lock;
static GPtrArray *registered; /* Registered* */

static const Registered *
find_registered (const char *name)
{
  for (guint i = 0; registered && i < registered->len; i++)
    {
      const Registered *r = g_ptr_array_index (registered, i);
      if (g_ascii_strcasecmp (r->name, name) == 0)
        return r;
    }
  return NULL;
}

gboolean
dv_preset_register (const char *name, DvPresetBuildFunc build, GError **error)
{
  g_return_val_if_fail (name != NULL && build != NULL, FALSE);
  g_mutex_lock (&preset_lock);
  gboolean taken = find_registered (name) != NULL;
  for (guint i = 0; i < G_N_ELEMENTS (presets); i++)
    taken |= g_ascii_strcasecmp (presets[i].name, name) == 0;
  if (!taken)
    {
      if (registered == NULL)
        registered = g_ptr_array_new ();
      Registered *r = g_new0 (Registered, 1);
      r->name = g_strdup (name);
      r->build = build;
      r->plugin = g_strdup (dv_plugin_current ());
      g_ptr_array_add (registered, r);
    }
  g_mutex_unlock (&preset_lock);
  if (taken)
    g_set_error (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID, "a model named '%s' already exists", name);
  return !taken;
}

const char *
dv_preset_plugin (const char *name)
{
  g_mutex_lock (&preset_lock);
  const Registered *r = find_registered (name);
  g_mutex_unlock (&preset_lock);
  return r ? r->plugin : NULL;
}

const char *const *
dv_preset_names (void)
{
  static GPtrArray *names;
  g_mutex_lock (&preset_lock);
  if (names == NULL)
    names = g_ptr_array_new ();
  g_ptr_array_set_size (names, 0);
  for (guint i = 0; i < G_N_ELEMENTS (presets); i++)
    g_ptr_array_add (names, (gpointer) presets[i].name);
  for (guint i = 0; registered && i < registered->len; i++)
    g_ptr_array_add (names, ((Registered *) g_ptr_array_index (registered, i))->name);
  g_ptr_array_add (names, NULL);
  g_mutex_unlock (&preset_lock);
  return (const char *const *) names->pdata;
}

/* A preset, built-in or a plugin's, from normalised kwargs (DynVision's
 * aliases, typed values); a key its builder never looked up
 * (dv_json_reads_begin) has no effect on the model and is refused. */
static DvModelDesc *
build_checked (const char *name, DvPresetBuildFunc build, const DvJson *kwargs, GError **error)
{
  g_autoptr (DvJson) norm = dv_kwargs_normalize (name, kwargs, error);
  if (norm == NULL)
    return NULL;
  DvJsonReads *reads = dv_json_reads_begin (norm);
  DvModelDesc *d = build (norm, error);
  g_auto (GStrv) unread = dv_json_reads_end (reads);
  if (d != NULL && unread[0] != NULL)
    {
      g_autofree char *v = dv_json_to_string (dv_json_object_get (norm, unread[0]), FALSE);
      const char *plugin = dv_preset_plugin (name);
      g_set_error (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID,
                   "%s does not use '%s' (%s=%s would have no effect on this model); see "
                   "`dynvision describe %s`%s%s%s for the parameters it takes", name, unread[0], unread[0], v,
                   name, plugin ? " (with the plugin '" : "", plugin ? plugin : "", plugin ? "' loaded)" : "");
      g_clear_pointer (&d, dv_model_desc_free);
    }
  return d;
}

DvModelDesc *
dv_preset_build (const char *model_class, const DvJson *kwargs, GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (presets); i++)
    if (g_ascii_strcasecmp (presets[i].name, model_class) == 0)
      return build_checked (presets[i].name, presets[i].build, kwargs, error);
  g_mutex_lock (&preset_lock);
  const Registered *r = find_registered (model_class);
  DvPresetBuildFunc build = r ? r->build : NULL;
  g_mutex_unlock (&preset_lock);
  if (build)
    {
      DvModelDesc *d = build_checked (model_class, build, kwargs, error);
      if (d && g_strcmp0 (d->model_class, model_class) != 0)
        {
          g_free (d->model_class);
          d->model_class = g_strdup (model_class);
        }
      return d;
    }
  GString *known = g_string_new (NULL);
  for (const char *const *n = dv_preset_names (); *n; n++)
    g_string_append_printf (known, "%s%s", known->len ? ", " : "", *n);
  g_set_error (error, DV_DESC_ERROR, DV_DESC_ERROR_UNKNOWN, "no preset model named '%s'; known: %s",
               model_class, known->str);
  g_string_free (known, TRUE);
  return NULL;
}
