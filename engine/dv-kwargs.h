/* dv-kwargs.h — DynVision's constructor keyword arguments, one table
 * (engine/dv-kwargs.c). */
#pragma once

#include "dv-json.h"

G_BEGIN_DECLS

/* DynVision's keyword arguments (engine/dv-kwargs.c): the canonical name of
 * an alias ("tff" -> "t_feedforward"; other keys unchanged), and a new
 * object with every alias replaced by its canonical name and every value
 * typed and range-checked (numbers as numbers, booleans as booleans,
 * input_dims as a list of whole numbers, a pattern as "1011").  Unknown
 * keys and values out of range are refused with a DV_DESC_ERROR naming the
 * model, the key and the value.  Every preset, built-in or registered by a
 * plugin, receives its kwargs through this. */
const char *dv_kwargs_canonical (const char *key);
DvJson     *dv_kwargs_normalize (const char *model_class, const DvJson *kwargs, GError **error);

G_END_DECLS
