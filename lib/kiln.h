/*
 * kiln: a work-stealing task scheduler whose workers also own io_uring rings.
 *
 * Conventions for every function declared here:
 *  - int and ssize_t returns are >= 0 on success, a negative errno value on
 *    failure; errors are never reported through errno.
 *  - A failed call has no effect: out-parameters are left unchanged.
 *  - Each declaration says who may call it: "Any thread", "Inside a task
 *    only" (code running on one of a pool's workers), "Not from a worker".
 *
 * See kiln(7) for the model and one page in section 3 per function family.
 */
#ifndef KILN_H
#define KILN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KILN_VERSION_MAJOR 0
#define KILN_VERSION_MINOR 2
#define KILN_VERSION_PATCH 0

#if defined(__GNUC__)
#define KILN_API __attribute__((visibility("default")))
#define KILN_MUST_CHECK __attribute__((warn_unused_result))
#define KILN_LIKELY(x) __builtin_expect(!!(x), 1)
#define KILN_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define KILN_API
#define KILN_MUST_CHECK
#define KILN_LIKELY(x) (x)
#define KILN_UNLIKELY(x) (x)
#endif

/* The inline fast paths below; lib/ffi.c redefines this to export copies. */
#ifndef KILN_INLINE
#define KILN_INLINE static inline
#endif

typedef struct kiln_pool kiln_pool;

/* kiln_options.flags */
#define KILN_OPT_NO_URING 0x1u /* I/O through blocking helper threads */

struct kiln_options {          /* zero it; 0 in a field means "the default" */
	unsigned int workers;  /* 0: one per CPU the caller may run on */
	size_t stack_size;     /* fiber stack bytes; 0: 256 KiB */
	unsigned int ring_entries; /* io_uring entries per worker; 0: 256 */
	unsigned int flags;    /* KILN_OPT_* */
};

struct kiln_stats {            /* sums over all workers since creation */
	uint64_t spawns;       /* kiln_spawn calls (and their typed forms) */
	uint64_t steals;       /* tasks taken from another worker */
	uint64_t steal_attempts; /* tries at a victim, successful or not */
	uint64_t suspends;     /* fibers parked (sync, I/O, sleep, yield) */
	uint64_t resumes;      /* parked fibers continued */
	uint64_t fibers;       /* fiber stacks created */
	uint64_t detached;     /* kiln_go tasks run */
	uint64_t sleeps;       /* times a worker went to sleep idle */
	uint64_t io_submitted; /* I/O operations handed to a ring or helper */
	uint64_t io_completed; /* I/O operations finished */
	uint64_t io_batches;   /* io_uring_enter calls that submitted work */
	uint64_t io_waiting;   /* operations in flight at the time of the call */
	uint32_t io_fallback;  /* workers doing I/O through helper threads */
	uint32_t workers;      /* number of workers */
};

/*
 * The task frame of kiln_spawn: owned by the caller, usually a local
 * variable.  It must stay alive until kiln_sync returns for it.  Its fields
 * are private to kiln.  They are plain types, not _Atomic, so that this
 * header compiles as C++ too; the fields that two threads touch are only
 * ever accessed through __atomic builtins, each with its order explained
 * where it is used.
 */
typedef struct kiln_task {
	void (*kiln__fn)(void *);
	void *kiln__arg;
	uintptr_t kiln__state;  /* 0 pending, 1 done, else a waiting fiber */
	struct kiln_task **kiln__slot; /* its deque slot; NULL once taken */
} kiln_task;

/*
 * Private: the part of a worker that the inline fast paths touch.  The
 * owner's line is written by the worker's own thread only; movesplit sits on
 * its own cache line because thieves write it.  Not part of the API.
 */
struct kiln__wfast {
	kiln_task **tail;      /* next free slot of the task deque */
	kiln_task **split;     /* slots below are visible to thieves */
	kiln_task **end;       /* one past the last slot */
	uint64_t spawns;       /* read by kiln_pool_stats: __atomic relaxed */
	char kiln__pad[64 - 3 * sizeof(void *) - sizeof(uint64_t)];
	unsigned int movesplit; /* thieves set it to ask the owner to share */
} __attribute__((aligned(64)));

extern KILN_API __thread struct kiln__wfast *kiln__self
    __attribute__((tls_model("initial-exec")));

KILN_API void kiln__spawn_slow(kiln_task *t);
KILN_API void kiln__share(void);
KILN_API void kiln__sync_slow(kiln_task *t);
KILN_API struct kiln__wfast *kiln__current_slow(void);

/*
 * The current worker, read anew at every call: a task's fiber may move to
 * another thread at any suspension point, so a cached thread-local address
 * would name the wrong worker.  The asm is volatile so the compiler cannot
 * reuse an earlier read.  Outside a pool this is a shared inert worker whose
 * deque is always full, so every path below turns into a plain call.
 */
KILN_INLINE struct kiln__wfast *kiln__current(void)
{
#if defined(__x86_64__) && defined(__GNUC__) && !defined(KILN_PORTABLE_TLS)
	struct kiln__wfast *w;
	__asm__ volatile("movq kiln__self@gottpoff(%%rip), %0\n\t"
			 "movq %%fs:(%0), %0" : "=r"(w));
	return w;
#else
	return kiln__current_slow();
#endif
}

/*
 * kiln_spawn - make fn(arg) a task that another worker may steal.  The caller
 * must later call kiln_sync(t) before t goes out of scope.
 * Inside a task only (outside a pool it calls fn(arg) at once).
 */
KILN_INLINE void kiln_spawn(kiln_task *t, void (*fn)(void *), void *arg)
{
	struct kiln__wfast *w = kiln__current();
	kiln_task **tail = w->tail;

	t->kiln__fn = fn;
	t->kiln__arg = arg;
	/* Relaxed: published to thieves by the release that shares the slot. */
	__atomic_store_n(&t->kiln__state, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&t->kiln__slot, tail, __ATOMIC_RELAXED);
	if (KILN_UNLIKELY(tail == w->end)) {
		kiln__spawn_slow(t);
		return;
	}
	/* Relaxed: the slot is private until the owner shares it (release). */
	__atomic_store_n(tail, t, __ATOMIC_RELAXED);
	w->tail = tail + 1;
	/* Only this thread writes spawns; relaxed atomics because
	 * kiln_pool_stats reads it from another thread. */
	__atomic_store_n(&w->spawns,
	    __atomic_load_n(&w->spawns, __ATOMIC_RELAXED) + 1,
	    __ATOMIC_RELAXED);
	/* Relaxed: a hint; a late read only delays sharing by one spawn. */
	if (KILN_UNLIKELY(__atomic_load_n(&w->movesplit, __ATOMIC_RELAXED)))
		kiln__share();
}

/*
 * Private: if t is the newest task of this worker and no thief can see it,
 * take it back and return 1; the caller then runs it.  Otherwise 0.
 *
 * t's slot is read from the frame, not from the deque: whoever else takes
 * a task (a thief, or a worker running tasks left by a parked fiber) sets
 * kiln__slot to NULL before the slot can be reused, so a slot that is this
 * worker's top and private holds t.  (Relaxed: a thief's NULL is ordered
 * before the slot's reuse by the release/acquire on the slot in split.c;
 * a stale pointer only fails the comparison.)  Taking the new tail from the
 * frame also keeps the store to tail independent of the previous load of
 * tail, so spawns and syncs do not form one long chain through memory.
 */
KILN_INLINE int kiln__sync_pop(kiln_task *t)
{
	struct kiln__wfast *w = kiln__current();
	kiln_task **slot = __atomic_load_n(&t->kiln__slot, __ATOMIC_RELAXED);

	if (KILN_LIKELY((uintptr_t)slot + sizeof(slot) == (uintptr_t)w->tail &&
			(uintptr_t)slot >= (uintptr_t)w->split)) {
		w->tail = slot;
		return 1;
	}
	return 0;
}

/*
 * kiln_sync - wait until the task spawned with t has run; syncs may come in
 * any order.  If no thief took it, it runs here, now.
 * Inside a task only.
 */
KILN_INLINE void kiln_sync(kiln_task *t)
{
	if (KILN_LIKELY(kiln__sync_pop(t)))
		t->kiln__fn(t->kiln__arg);
	else
		kiln__sync_slow(t);
}

/*
 * Typed tasks: KILN_TASK(name, RET, fn, ARG) defines, for a function
 * RET fn(ARG), a frame type struct name and two inline functions:
 *
 *	void name_spawn(struct name *frame, ARG arg);
 *	RET  name_sync(struct name *frame);
 *
 * name_sync calls fn directly when no thief took the task, so the compiler
 * can inline it; this is the fastest way to write fine-grained fork/join.
 * KILN_TASK_VOID(name, fn, ARG) does the same for void fn(ARG).
 */
#define KILN_TASK(name, RET, fn, ARG)                                        \
	struct name {                                                        \
		kiln_task kiln__t;                                           \
		ARG kiln__a;                                                 \
		RET kiln__r;                                                 \
	};                                                                   \
	static void name##_kiln__run(void *kiln__p)                          \
	{                                                                    \
		struct name *kiln__f = (struct name *)kiln__p;               \
		kiln__f->kiln__r = fn(kiln__f->kiln__a);                     \
	}                                                                    \
	static inline void name##_spawn(struct name *kiln__f, ARG kiln__a)   \
	{                                                                    \
		kiln__f->kiln__a = kiln__a;                                  \
		kiln_spawn(&kiln__f->kiln__t, name##_kiln__run, kiln__f);    \
	}                                                                    \
	static inline RET name##_sync(struct name *kiln__f)                  \
	{                                                                    \
		if (KILN_LIKELY(kiln__sync_pop(&kiln__f->kiln__t)))          \
			return fn(kiln__f->kiln__a);                         \
		kiln__sync_slow(&kiln__f->kiln__t);                          \
		return kiln__f->kiln__r;                                     \
	}                                                                    \
	struct name

#define KILN_TASK_VOID(name, fn, ARG)                                        \
	struct name {                                                        \
		kiln_task kiln__t;                                           \
		ARG kiln__a;                                                 \
	};                                                                   \
	static void name##_kiln__run(void *kiln__p)                          \
	{                                                                    \
		struct name *kiln__f = (struct name *)kiln__p;               \
		fn(kiln__f->kiln__a);                                        \
	}                                                                    \
	static inline void name##_spawn(struct name *kiln__f, ARG kiln__a)   \
	{                                                                    \
		kiln__f->kiln__a = kiln__a;                                  \
		kiln_spawn(&kiln__f->kiln__t, name##_kiln__run, kiln__f);    \
	}                                                                    \
	static inline void name##_sync(struct name *kiln__f)                 \
	{                                                                    \
		if (KILN_LIKELY(kiln__sync_pop(&kiln__f->kiln__t)))          \
			fn(kiln__f->kiln__a);                                \
		else                                                         \
			kiln__sync_slow(&kiln__f->kiln__t);                  \
	}                                                                    \
	struct name

/* Pools.  Not from a worker.  On success *pool is owned by the caller. */
KILN_API KILN_MUST_CHECK int kiln_pool_create(kiln_pool **pool,
    const struct kiln_options *opt);

/*
 * Not from a worker of this pool (there it returns at once, doing
 * nothing).  Waits for detached tasks and in-flight I/O, then frees
 * everything; pool must not be used afterwards.
 */
KILN_API void kiln_pool_destroy(kiln_pool *pool);

/*
 * Run fn(arg) as a task on pool and wait until it returns.  Any thread; from
 * a task of the same pool it calls fn(arg) directly; from a task of another
 * pool the calling task parks (its worker goes on) until fn returns.
 */
KILN_API KILN_MUST_CHECK int kiln_run(kiln_pool *pool, void (*fn)(void *),
    void *arg);

/* Any thread.  Fills *out with counters summed over the workers. */
KILN_API void kiln_pool_stats(kiln_pool *pool, struct kiln_stats *out);

/*
 * Run a(aa) and b(ba) in parallel, return when both are done.
 * Inside a task only (outside a pool: both run here, in no fixed order).
 */
KILN_API void kiln_join(void (*a)(void *), void *aa, void (*b)(void *),
    void *ba);

/*
 * Call body on disjoint subranges covering [begin, end), each at most grain
 * long (0: chosen from the range and the worker count), in parallel.
 * Inside a task only (outside a pool: one call over the whole range).
 */
KILN_API void kiln_parallel_for(size_t begin, size_t end, size_t grain,
    void (*body)(size_t begin, size_t end, void *arg), void *arg);

/*
 * Start fn(arg) as a detached task; kiln_pool_destroy waits for it.
 * Inside a task only.  Returns 0, -ENOMEM, or -EPERM outside a pool.
 */
KILN_API KILN_MUST_CHECK int kiln_go(void (*fn)(void *), void *arg);

/* Let other tasks and ready I/O run first.  Inside a task (else a no-op). */
KILN_API void kiln_yield(void);

/* The number of the calling worker (0..workers-1), or -1 outside a pool.
 * Any thread. */
KILN_API int kiln_worker_id(void);

/*
 * I/O that reads like blocking C: inside a task, the call parks the task
 * (not the worker, which goes on with other tasks) until the operation
 * completes on the worker's io_uring, or on a helper thread when io_uring is
 * unavailable (KILN_OPT_NO_URING, or KILN_NO_URING=1 in the environment).
 * Outside a pool they make the plain system call.  Each returns what the
 * system call returns, or a negative errno value; -ECANCELED once
 * kiln_pool_destroy has begun; -ETIME when a kiln_timeout ran out.
 * off = -1 in kiln_read and kiln_write means the file's current position.
 */
KILN_API ssize_t kiln_read(int fd, void *buf, size_t len, off_t off);
KILN_API ssize_t kiln_write(int fd, const void *buf, size_t len, off_t off);
/* Scatter/gather forms of kiln_read and kiln_write (readv(2), preadv(2)). */
KILN_API ssize_t kiln_readv(int fd, const struct iovec *iov, int iovcnt,
    off_t off);
KILN_API ssize_t kiln_writev(int fd, const struct iovec *iov, int iovcnt,
    off_t off);
KILN_API int kiln_openat(int dirfd, const char *path, int flags, mode_t mode);
KILN_API int kiln_close(int fd);
KILN_API int kiln_fsync(int fd);
KILN_API ssize_t kiln_recv(int fd, void *buf, size_t len, int flags);
KILN_API ssize_t kiln_send(int fd, const void *buf, size_t len, int flags);
KILN_API ssize_t kiln_recvmsg(int fd, struct msghdr *msg, int flags);
KILN_API ssize_t kiln_sendmsg(int fd, const struct msghdr *msg, int flags);
KILN_API int kiln_accept(int fd, struct sockaddr *addr, socklen_t *len,
    int flags);
KILN_API int kiln_connect(int fd, const struct sockaddr *addr, socklen_t len);
/* Wait until fd has one of events (POLLIN, ...); returns the events seen. */
KILN_API int kiln_poll(int fd, short events);
/* Park the calling task for ns nanoseconds.  Returns 0 (-ECANCELED if the
 * pool is being destroyed). */
KILN_API int kiln_sleep(uint64_t ns);
/*
 * getaddrinfo(3), with the calling task parked while a helper thread
 * resolves.  Returns 0 (free *res with freeaddrinfo), getaddrinfo's
 * EAI_* code (negative in glibc), -ECANCELED, -ETIME, or -EINVAL if res
 * is NULL.  Outside a pool: getaddrinfo itself.
 */
struct addrinfo;
KILN_API int kiln_getaddrinfo(const char *node, const char *service,
    const struct addrinfo *hints, struct addrinfo **res);
/*
 * Bound the calling task's next I/O call (only that one) to ns nanoseconds:
 * if it has not completed by then it is cancelled and returns -ETIME.
 * Inside a task only: -EPERM elsewhere.
 */
KILN_API int kiln_timeout(uint64_t ns);

#ifdef __cplusplus
}
#endif

#endif /* KILN_H */
