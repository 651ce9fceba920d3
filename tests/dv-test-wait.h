/* dv-test-wait.h — running the main loop until something holds, for the
 * workbench's GUI tests.
 *
 * What this is for: wait_for () is event-driven: every state the tests look
 * at changes in a main-loop dispatch (engine news are idle sources, frames
 * come from the frame clock), so blocking iterations wake exactly when
 * something may have changed, and a timeout source ends the wait.
 * What it is not for: anything outside tests/.
 */
#pragma once

#include <glib.h>

typedef gboolean (*CondFunc) (gpointer data);

static gboolean
dv_test_flag_set (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main loop until cond (data) holds; FALSE after timeout_s seconds. */
static inline gboolean
wait_for (CondFunc cond, gpointer data, double timeout_s)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add ((guint) (timeout_s * 1000), dv_test_flag_set, &timed_out);
  while (!cond (data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  return cond (data);
}
