/* dv-arch-edit-fields.c — one field of a model description, by path:
 * parsing values (ms, ints, booleans, enums), the path grammar
 * ("tau", "V1.channels", "skip.V1->V3.delay") and dv_arch_edit_get/_set.
 *
 * What this is not for: the edit object, areas, connections and undo
 * (dv-arch-edit.c), or the engine's own checks (validation does those).
 */
#include "dv-arch-edit-private.h"
#include "dv-value.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- values ------------------------------------------------------------------------- */

/* Values go through base/dv-value.h (the whole text, no NaN/inf, the range
 * named: "V1.tau=-5: give a time in ms, a number > 0 …"); the domain stays
 * DV_DESC_ERROR_INVALID, as for the rest of the editor's refusals. */
static gboolean
refused (GError **error, GError *local)
{
  dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID, "%s", local->message);
  g_error_free (local);
  return FALSE;
}

/* A time in ms ("20", "20ms", "0.02s"): > 0 if positive, else a delay ≥ 0. */
static gboolean
parse_ms (const char *path, const char *value, gboolean positive, double *out, GError **error)
{
  GError *local = NULL;
  if (!dv_value_parse_duration (path, value, 0, 1e6, positive ? DV_VALUE_MIN_OPEN : 0, out, &local))
    return refused (error, local);
  return TRUE;
}

static gboolean
parse_int (const char *path, const char *value, int min, int *out, GError **error)
{
  GError *local = NULL;
  gint64 v;
  if (!dv_value_parse_int (path, value, min, 1 << 20, &v, &local))
    return refused (error, local);
  *out = (int) v;
  return TRUE;
}

static gboolean
parse_bool (const char *path, const char *value, gboolean *out, GError **error)
{
  GError *local = NULL;
  if (!dv_value_parse_bool (path, value, out, &local))
    return refused (error, local);
  return TRUE;
}

static const char *const target_names[] = { "output", "middle", "input", NULL };
static const char *const pool_names[] = { "none", "max", "avg", NULL };
static const char *const integration_names[] = { "additive", "multiplicative", NULL };

static gboolean
parse_enum (const char *path, const char *value, const char *const *names, int n, int *out,
            GError **error)
{
  GError *local = NULL;
  if (!dv_value_parse_enum (path, value, names, out, &local))
    return refused (error, local);
  return TRUE;
}

static gboolean
parse_rec_type (const char *path, const char *value, DvRecType *t, GError **error)
{
  static const char *const names[] = { "none", "self", "full", "depthpointwise", "pointdepthwise",
                                       "local", "localdepthwise", NULL };
  int i;
  if (!parse_enum (path, value, names, G_N_ELEMENTS (names), &i, error))
    return FALSE;
  *t = i;
  return TRUE;
}

static char *
fmt_num (double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  return g_strdup (g_ascii_dtostr (buf, sizeof buf, v));
}

/* ---- paths ------------------------------------------------------------------------- */

static const struct {
  const char *alias, *name;
} aliases[] = {
  { "solver", "dynamics_solver" }, { "idle", "idle_timesteps" }, { "ffonly", "feedforward_only" },
  { "tff", "t_feedforward" }, { "trc", "t_recurrence" }, { "tsk", "t_skip" }, { "tfb", "t_feedback" },
  { "rctype", "recurrence_type" }, { "rctarget", "recurrence_target" },
};

static const char *
canonical (const char *key)
{
  for (guint i = 0; i < G_N_ELEMENTS (aliases); i++)
    if (g_ascii_strcasecmp (key, aliases[i].alias) == 0)
      return aliases[i].name;
  return key;
}

typedef enum { PATH_MODEL, PATH_AREA, PATH_CONN } PathKind;

typedef struct {
  PathKind kind;
  int index;          /* area or connection */
  const char *field;  /* canonical, points into `buf` or a static string */
  char *buf;
} Path;

static const char *const model_fields[] = {
  "dt", "tau", "t_feedforward", "t_recurrence", "t_skip", "t_feedback", "dynamics_solver",
  "idle_timesteps", "feedforward_only", "recurrence_type", "recurrence_target", NULL,
};
static const char *const area_fields[] = {
  "name", "channels", "kernel", "stride", "pool", "pool_kernel", "pool_stride", "recurrence_type",
  "recurrence_target", "recurrence_kernel", "tau", "t_feedforward", "t_recurrence", NULL,
};
static const char *const conn_fields[] = { "delay", "integration", "source", "target", NULL };

static const char *
find_field (const char *key, const char *const *fields)
{
  key = canonical (key);
  for (int i = 0; fields[i]; i++)
    if (g_ascii_strcasecmp (key, fields[i]) == 0)
      return fields[i];
  return NULL;
}

int
dv_arch_edit_find_conn (const DvModelDesc *d, DvConnKind kind, const char *source, const char *target)
{
  for (int i = 0; i < d->n_conns; i++)
    if (d->conns[i].kind == kind && g_strcmp0 (d->conns[i].source, source) == 0
        && g_strcmp0 (d->conns[i].target, target) == 0)
      return i;
  return -1;
}

static gboolean
parse_path (const DvModelDesc *d, const char *path, Path *p, GError **error)
{
  memset (p, 0, sizeof *p);
  if (path == NULL || *path == '\0')
    return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_UNKNOWN, "an empty path; write e.g. “tau”, “V1.tau” or "
            "“feedback.V4->V1.delay”");
  const char *dot = strrchr (path, '.');
  if (dot == NULL)
    {
      p->kind = PATH_MODEL;
      p->field = find_field (path, model_fields);
      if (p->field == NULL)
        return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_UNKNOWN, "“%s” is not a model setting; known: dt, tau, "
                "t_feedforward, t_recurrence, t_skip, t_feedback, dynamics_solver, idle_timesteps, "
                "feedforward_only, recurrence_type, recurrence_target (or AREA.FIELD)", path);
      return TRUE;
    }
  g_autofree char *head = g_strndup (path, dot - path);
  const char *key = dot + 1;
  const char *arrow = strstr (head, "->");
  const char *kdot = strchr (head, '.');
  if (arrow != NULL && kdot != NULL && kdot < arrow)
    {
      g_autofree char *kind = g_strndup (head, kdot - head);
      g_autofree char *src = g_strndup (kdot + 1, arrow - kdot - 1);
      const char *tgt = arrow + 2;
      DvConnKind k;
      if (g_ascii_strcasecmp (kind, "skip") == 0)
        k = DV_CONN_SKIP;
      else if (g_ascii_strcasecmp (kind, "feedback") == 0)
        k = DV_CONN_FEEDBACK;
      else
        return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_UNKNOWN, "%s: a connection is “skip.SRC->TGT” or "
                "“feedback.SRC->TGT”, not “%s”", path, kind);
      p->kind = PATH_CONN;
      p->index = dv_arch_edit_find_conn (d, k, src, tgt);
      if (p->index < 0)
        return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_UNKNOWN, "%s: the model has no %s connection from %s to %s",
                path, kind, src, tgt);
      p->field = find_field (key, conn_fields);
      if (p->field == NULL)
        return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_UNKNOWN, "%s: a connection has delay, integration, source "
                "and target, not “%s”", path, key);
      return TRUE;
    }
  p->kind = PATH_AREA;
  p->index = dv_model_desc_layer_index (d, head);
  if (p->index < 0)
    {
      GString *s = g_string_new (NULL);
      for (int i = 0; i < d->n_layers; i++)
        g_string_append_printf (s, "%s%s", i ? ", " : "", d->layers[i].name);
      dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_UNKNOWN, "%s: the model has no area named “%s”; its areas are %s",
       path, head, s->str);
      g_string_free (s, TRUE);
      return FALSE;
    }
  p->field = find_field (key, area_fields);
  if (p->field == NULL)
    return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_UNKNOWN, "%s: an area has name, channels, kernel, stride, pool, "
            "pool_kernel, pool_stride, recurrence_type, recurrence_target, recurrence_kernel, tau, "
            "t_feedforward and t_recurrence, not “%s”", path, key);
  return TRUE;
}

char *
dv_arch_edit_conn_path (const DvModelDesc *d, int i)
{
  g_return_val_if_fail (d != NULL && i >= 0 && i < d->n_conns, NULL);
  const DvConnDesc *c = &d->conns[i];
  return g_strdup_printf ("%s.%s->%s", c->kind == DV_CONN_SKIP ? "skip" : "feedback", c->source,
                          c->target);
}

/* ---- get ----------------------------------------------------------------------------- */

char *
dv_arch_edit_get (DvArchEdit *e, const char *path, GError **error)
{
  g_return_val_if_fail (e != NULL, NULL);
  const DvModelDesc *d = e->desc;
  Path p;
  if (!parse_path (d, path, &p, error))
    return NULL;
  const char *f = p.field;
  if (p.kind == PATH_MODEL)
    {
      /* a model-wide value an area may set alone: what every area runs, or "mixed" */
      static const char *const per_area[] = { "tau", "t_feedforward", "t_recurrence", "recurrence_type",
                                              "recurrence_target", NULL };
      if (d->n_layers > 0 && g_strv_contains (per_area, f))
        {
          char *first = NULL;
          for (int i = 0; i < d->n_layers; i++)
            {
              g_autofree char *lpath = g_strdup_printf ("%s.%s", d->layers[i].name, f);
              g_autofree char *v = dv_arch_edit_get (e, lpath, NULL);
              if (first == NULL)
                first = g_steal_pointer (&v);
              else if (g_strcmp0 (first, v) != 0)
                {
                  g_free (first);
                  return g_strdup ("mixed");
                }
            }
          return first;
        }
      if (g_str_equal (f, "dt")) return fmt_num (d->dt);
      if (g_str_equal (f, "t_skip")) return fmt_num (d->t_skip);
      if (g_str_equal (f, "t_feedback")) return fmt_num (d->t_feedback);
      if (g_str_equal (f, "dynamics_solver")) return g_strdup (dv_model_desc_solver_name (d));
      if (g_str_equal (f, "idle_timesteps")) return g_strdup_printf ("%d", d->idle_timesteps);
      if (g_str_equal (f, "feedforward_only")) return g_strdup (d->feedforward_only ? "true" : "false");
      /* no area yet: the model's defaults */
      if (g_str_equal (f, "tau")) return fmt_num (d->tau);
      if (g_str_equal (f, "t_feedforward")) return fmt_num (d->t_feedforward);
      if (g_str_equal (f, "t_recurrence")) return fmt_num (d->t_recurrence);
      if (g_str_equal (f, "recurrence_type")) return g_strdup (dv_rec_type_name (DV_REC_NONE));
      return g_strdup (target_names[0]);
    }
  if (p.kind == PATH_CONN)
    {
      const DvConnDesc *c = &d->conns[p.index];
      if (g_str_equal (f, "delay")) return fmt_num (c->t_ms);
      if (g_str_equal (f, "integration")) return g_strdup (integration_names[c->integration]);
      return g_strdup (g_str_equal (f, "source") ? c->source : c->target);
    }
  const DvLayerDesc *l = &d->layers[p.index];
  if (g_str_equal (f, "name")) return g_strdup (l->name);
  if (g_str_equal (f, "channels")) return g_strdup_printf ("%d", l->out_channels);
  if (g_str_equal (f, "kernel")) return g_strdup_printf ("%d", l->conv_name ? l->conv_kernel : l->kernel);
  if (g_str_equal (f, "stride")) return g_strdup_printf ("%d", l->conv_name ? l->conv_stride : l->stride);
  if (g_str_equal (f, "pool")) return g_strdup (pool_names[l->pool_kind]);
  if (g_str_equal (f, "pool_kernel")) return g_strdup_printf ("%d", l->pool.kernel);
  if (g_str_equal (f, "pool_stride")) return g_strdup_printf ("%d", l->pool.stride);
  if (g_str_equal (f, "recurrence_type")) return g_strdup (dv_rec_type_name (l->rec_type));
  if (g_str_equal (f, "recurrence_target")) return g_strdup (target_names[l->rec_target]);
  if (g_str_equal (f, "recurrence_kernel")) return g_strdup_printf ("%d", l->rec_kernel);
  if (g_str_equal (f, "tau")) return fmt_num (l->tau);
  if (g_str_equal (f, "t_feedforward")) return fmt_num (l->t_feedforward);
  return fmt_num (l->t_recurrence);
}

/* ---- set ----------------------------------------------------------------------------- */

static void
set_str (char **s, const char *v)
{
  char *copy = g_strdup (v);
  g_free (*s);
  *s = copy;
}

/* A module name that contains the area's name follows a rename. */
static void
rename_in (char **s, const char *from, const char *to)
{
  if (*s == NULL || strstr (*s, from) == NULL)
    return;
  g_auto (GStrv) parts = g_strsplit (*s, from, -1);
  g_free (*s);
  *s = g_strjoinv (to, parts);
}

void
dv_arch_edit_rename_modules (DvLayerDesc *l, const char *to)
{
  g_autofree char *from = g_strdup (l->name);
  char **names[] = { &l->conv_name, &l->module_name, &l->tstep_name, &l->tau_name, &l->norm_name };
  for (guint k = 0; k < G_N_ELEMENTS (names); k++)
    rename_in (names[k], from, to);
  set_str (&l->name, to);
}

static void
rename_area (DvModelDesc *d, int i, const char *to)
{
  g_autofree char *from = g_strdup (d->layers[i].name);
  dv_arch_edit_rename_modules (&d->layers[i], to);
  for (int k = 0; k < d->n_conns; k++)
    {
      DvConnDesc *c = &d->conns[k];
      if (g_strcmp0 (c->source, from) == 0 || g_strcmp0 (c->target, from) == 0)
        rename_in (&c->name, from, to);
      if (g_strcmp0 (c->source, from) == 0)
        set_str (&c->source, to);
      if (g_strcmp0 (c->target, from) == 0)
        set_str (&c->target, to);
    }
  if (g_strcmp0 (d->classifier_skip, from) == 0)
    set_str (&d->classifier_skip, to);
}

static gboolean
set_kernel (int *kernel, int *padding, int v)
{
  /* a padding that followed the kernel ("same") keeps following it */
  if (*padding < 0 || *padding == *kernel / 2)
    *padding = v / 2;
  *kernel = v;
  return TRUE;
}

static gboolean
set_area (DvModelDesc *d, int i, const char *path, const char *f, const char *value, GError **error)
{
  DvLayerDesc *l = &d->layers[i];
  double ms;
  int n;
  if (g_str_equal (f, "name"))
    {
      if (value == NULL || !g_regex_match_simple ("^[A-Za-z_][A-Za-z0-9_]*$", value, 0, 0))
        return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID, "%s: “%s” is not a name; use letters, digits and _, "
                "starting with a letter, e.g. V5", path, value ? value : "");
      if (dv_model_desc_layer_index (d, value) >= 0 && !g_str_equal (value, l->name))
        return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID, "%s: another area is already named %s; area names "
                "must be unique", path, value);
      rename_area (d, i, value);
      return TRUE;
    }
  if (g_str_equal (f, "channels"))
    {
      if (!parse_int (path, value, 1, &n, error))
        return FALSE;
      if (l->conv_name)
        l->conv_out = n;
      l->out_channels = n;
      return TRUE;
    }
  if (g_str_equal (f, "kernel") || g_str_equal (f, "stride") || g_str_equal (f, "pool_kernel")
      || g_str_equal (f, "pool_stride") || g_str_equal (f, "recurrence_kernel"))
    {
      if (!parse_int (path, value, 1, &n, error))
        return FALSE;
      if (g_str_equal (f, "kernel"))
        {
          /* the map the feedforward kernel slides over (shapes of the valid edit) */
          int h = l->conv_name ? (i == 0 ? d->in_h : d->layers[i - 1].pool_h) : l->in_h;
          int w = l->conv_name ? (i == 0 ? d->in_w : d->layers[i - 1].pool_w) : l->in_w;
          if (n > MAX (h, w))
            return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_SHAPE, "%s = %d: %s's input is %d×%d, and a kernel larger "
                    "than the map sees mostly padding; use a kernel ≤ %d", path, n, l->name, h, w,
                    MAX (h, w));
          if (l->conv_name)
            set_kernel (&l->conv_kernel, &l->conv_padding, n);
          else
            {
              if (l->rec_kernel == l->kernel)
                l->rec_kernel = n;
              set_kernel (&l->kernel, &l->padding, n);
            }
        }
      else if (g_str_equal (f, "stride"))
        *(l->conv_name ? &l->conv_stride : &l->stride) = n;
      else if (g_str_equal (f, "pool_kernel"))
        set_kernel (&l->pool.kernel, &l->pool.padding, n);
      else if (g_str_equal (f, "pool_stride"))
        l->pool.stride = n;
      else
        l->rec_kernel = n;
      if ((g_str_equal (f, "pool_kernel") || g_str_equal (f, "pool_stride")) && l->pool_kind == DV_POOL_NONE)
        return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID, "%s: %s has no pooling; set %s.pool to max or avg first",
                path, l->name, l->name);
      return TRUE;
    }
  if (g_str_equal (f, "pool"))
    {
      if (!parse_enum (path, value, pool_names, G_N_ELEMENTS (pool_names), &n, error))
        return FALSE;
      if (n != DV_POOL_NONE && l->pool.kernel < 1)
        l->pool = (DvPoolDesc) { .kernel = 2, .stride = 2, .padding = 0 };
      l->pool_kind = n;
      gboolean has_op = FALSE;
      for (guint k = 0; k < d->operations->len; k++)
        has_op |= g_str_equal (g_ptr_array_index (d->operations, k), "pool");
      if (n != DV_POOL_NONE && !has_op)
        g_ptr_array_add (d->operations, g_strdup ("pool"));
      return TRUE;
    }
  if (g_str_equal (f, "recurrence_type"))
    return parse_rec_type (path, value, &l->rec_type, error);
  if (g_str_equal (f, "recurrence_target"))
    {
      if (!parse_enum (path, value, target_names, G_N_ELEMENTS (target_names), &n, error))
        return FALSE;
      l->rec_target = n;
      return TRUE;
    }
  if (g_str_equal (f, "tau"))
    {
      if (!parse_ms (path, value, TRUE, &ms, error))
        return FALSE;
      if (l->tstep_name == NULL)
        return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID, "%s: %s has no leaky dynamics (no tstep), so it has "
                "no tau", path, l->name);
      l->tau = ms;
      return TRUE;
    }
  if (!parse_ms (path, value, FALSE, &ms, error))
    return FALSE;
  *(g_str_equal (f, "t_feedforward") ? &l->t_feedforward : &l->t_recurrence) = ms;
  return TRUE;
}

static gboolean
set_conn (DvModelDesc *d, int i, const char *path, const char *f, const char *value, GError **error)
{
  DvConnDesc *c = &d->conns[i];
  if (g_str_equal (f, "delay"))
    return parse_ms (path, value, FALSE, &c->t_ms, error);
  if (g_str_equal (f, "integration"))
    {
      int n;
      if (!parse_enum (path, value, integration_names, G_N_ELEMENTS (integration_names), &n, error))
        return FALSE;
      c->integration = n;
      return TRUE;
    }
  if (value == NULL || dv_model_desc_layer_index (d, value) < 0)
    return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_UNKNOWN, "%s: the model has no area named “%s”", path,
            value ? value : "");
  char **end = g_str_equal (f, "source") ? &c->source : &c->target;
  DvConnKind kind = c->kind;
  const char *src = g_str_equal (f, "source") ? value : c->source;
  const char *tgt = g_str_equal (f, "target") ? value : c->target;
  if (dv_arch_edit_find_conn (d, kind, src, tgt) >= 0 && dv_arch_edit_find_conn (d, kind, src, tgt) != i)
    return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID, "%s: there already is a %s connection from %s to %s",
            path, kind == DV_CONN_SKIP ? "skip" : "feedback", src, tgt);
  rename_in (&c->name, *end, value);
  set_str (end, value);
  return TRUE;
}

static gboolean
set_model (DvModelDesc *d, const char *path, const char *f, const char *value, GError **error)
{
  double ms;
  if (g_str_equal (f, "dt") || g_str_equal (f, "tau"))
    {
      if (!parse_ms (path, value, TRUE, &ms, error))
        return FALSE;
      if (g_str_equal (f, "dt"))
        d->dt = ms;
      else
        {
          d->tau = ms;
          for (int i = 0; i < d->n_layers; i++)
            d->layers[i].tau = ms;
        }
      return TRUE;
    }
  if (g_str_has_prefix (f, "t_"))
    {
      if (!parse_ms (path, value, FALSE, &ms, error))
        return FALSE;
      if (g_str_equal (f, "t_feedforward") || g_str_equal (f, "t_recurrence"))
        {
          gboolean ff = g_str_equal (f, "t_feedforward");
          *(ff ? &d->t_feedforward : &d->t_recurrence) = ms;
          for (int i = 0; i < d->n_layers; i++)
            *(ff ? &d->layers[i].t_feedforward : &d->layers[i].t_recurrence) = ms;
          return TRUE;
        }
      DvConnKind kind = g_str_equal (f, "t_skip") ? DV_CONN_SKIP : DV_CONN_FEEDBACK;
      *(kind == DV_CONN_SKIP ? &d->t_skip : &d->t_feedback) = ms;
      for (int i = 0; i < d->n_conns; i++)
        if (d->conns[i].kind == kind)
          d->conns[i].t_ms = ms;
      return TRUE;
    }
  if (g_str_equal (f, "dynamics_solver"))
    {
      DvSolver s;
      char *custom = NULL;
      if (value == NULL || !dv_solver_from_name (value, &s, &custom))
        return dv_error_set (error, DV_DESC_ERROR, DV_DESC_ERROR_INVALID, "%s: “%s” is not a solver; use euler, rk4 or the name "
                "of a registered solver", path, value ? value : "");
      d->solver = s;
      g_free (d->solver_name);
      d->solver_name = custom;
      return TRUE;
    }
  if (g_str_equal (f, "idle_timesteps"))
    return parse_int (path, value, 0, &d->idle_timesteps, error);
  if (g_str_equal (f, "feedforward_only"))
    return parse_bool (path, value, &d->feedforward_only, error);
  for (int i = 0; i < d->n_layers; i++)
    {
      g_autofree char *sub = g_strdup_printf ("%s.%s", d->layers[i].name, f);
      if (!set_area (d, i, sub, f, value, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
dv_arch_edit_set (DvArchEdit *e, const char *path, const char *value, GError **error)
{
  g_return_val_if_fail (e != NULL, FALSE);
  Path p;
  if (!parse_path (e->desc, path, &p, error))
    return FALSE;
  DvModelDesc *next = dv_model_desc_copy (e->desc);
  gboolean ok = p.kind == PATH_MODEL ? set_model (next, path, p.field, value, error)
                : p.kind == PATH_AREA ? set_area (next, p.index, path, p.field, value, error)
                : set_conn (next, p.index, path, p.field, value, error);
  if (!ok)
    {
      dv_model_desc_free (next);
      return FALSE;
    }
  g_autofree char *what = g_strdup_printf ("%s = %s", path, value);
  return dv_arch_edit_commit (e, next, what, error);
}
