/* dv-arch-edit-private.h — the inside of DvArchEdit, shared by dv-arch-edit.c
 * (the edit object, committing, areas, connections, presets, undo) and
 * dv-arch-edit-fields.c (values, paths, get and set of one field).
 *
 * What this is for: those two files only.  What it is not for: anything
 * else (it uses dv-arch-edit.h); not installed.
 */
#pragma once

#include "dv-arch-edit.h"
#include "dv-error.h"

G_BEGIN_DECLS

struct _DvArchEdit {
  DvModelDesc *desc;     /* as edited */
  DvModelDesc *applied;  /* what the engine runs */
  GPtrArray *undo;       /* Step*: the description before each edit, newest last */
  GPtrArray *redo;       /* Step*: undone edits, newest last */
  guint serial;
};

/* Validates `next`; on success it becomes the edit and the old one goes on
 * the undo stack; on failure `next` is dropped and error gets `what` as
 * prefix.  Takes `next`. */
gboolean dv_arch_edit_commit (DvArchEdit *e, DvModelDesc *next, const char *what, GError **error);
/* The index of the connection of that kind from source to target, or -1. */
int      dv_arch_edit_find_conn (const DvModelDesc *d, DvConnKind kind, const char *source,
                                 const char *target);
/* Renames an area and the modules whose names contain its name. */
void     dv_arch_edit_rename_modules (DvLayerDesc *l, const char *to);

G_END_DECLS
