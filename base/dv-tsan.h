/* dv-tsan.h — make GLib's thread hand-offs visible to ThreadSanitizer.
 *
 * GLib is not built with TSan, and its GMutex and GAsyncQueue are futex
 * based, so TSan cannot see the happens-before they give: every hand-off
 * between the workbench's engine thread and its main thread would be
 * reported as a race.  The workbench's own threads therefore lock, queue and
 * post through these wrappers, which tell TSan what GLib guarantees:
 * an unlock (a push, an attach) releases, the matching lock (pop, dispatch)
 * acquires.  Outside a TSan build they are the GLib calls and nothing else.
 * (Condition variables are not wrapped: the engine code uses none.)
 */
#pragma once

#include <glib.h>

#if defined(__SANITIZE_THREAD__)
#define DV_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define DV_TSAN 1
#endif
#endif

#ifdef DV_TSAN
void __tsan_acquire (void *addr);
void __tsan_release (void *addr);
#define DV_TSAN_ACQUIRE(p) __tsan_acquire ((void *) (p))
#define DV_TSAN_RELEASE(p) __tsan_release ((void *) (p))
#else
#define DV_TSAN_ACQUIRE(p) ((void) 0)
#define DV_TSAN_RELEASE(p) ((void) 0)
#endif

static inline void
dv_mutex_lock (GMutex *m)
{
  g_mutex_lock (m);
  DV_TSAN_ACQUIRE (m);
}

static inline void
dv_mutex_unlock (GMutex *m)
{
  DV_TSAN_RELEASE (m);
  g_mutex_unlock (m);
}

static inline void
dv_async_queue_push (GAsyncQueue *q, gpointer item)
{
  DV_TSAN_RELEASE (q);
  g_async_queue_push (q, item);
}

static inline gpointer
dv_async_queue_pop (GAsyncQueue *q)
{
  gpointer item = g_async_queue_pop (q);
  DV_TSAN_ACQUIRE (q);
  return item;
}

static inline gpointer
dv_async_queue_try_pop (GAsyncQueue *q)
{
  gpointer item = g_async_queue_try_pop (q);
  if (item != NULL)
    DV_TSAN_ACQUIRE (q);
  return item;
}

/* A source attached by one thread and dispatched by another: the attach
 * releases, the callback's first statement acquires (on the GSource). */
static inline guint
dv_source_attach (GSource *source, GMainContext *context)
{
  DV_TSAN_RELEASE (source);
  return g_source_attach (source, context);
}

/* First statement of a callback of a source attached with dv_source_attach. */
static inline void
dv_source_dispatched (void)
{
  DV_TSAN_ACQUIRE (g_main_current_source ());
}

/* A GTask run in GLib's thread pool: dv_task_run_in_thread releases, the
 * thread function starts with DV_TSAN_ACQUIRE (task) and releases right before
 * g_task_return_*, and the completion callback starts with DV_TSAN_ACQUIRE
 * (result). */
#define dv_task_run_in_thread(task, func) \
  G_STMT_START { DV_TSAN_RELEASE (task); g_task_run_in_thread ((task), (func)); } G_STMT_END
