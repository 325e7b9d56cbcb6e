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
	uint64_t spawns;       /* tasks spawned, where counted (KILN_STATS) */
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
 * Private: one slot of a task deque, a cache line.  Every task spawned is a
 * record kept in a slot of the spawning fiber's deque (lib/split.c), so
 * that the caller's frame holds only where it went: the record's first
 * word is its run function with KILN__REC in the low bits, the second its
 * state, then what the kind of task needs (function and argument; or the
 * typed task's argument and result).
 */
struct kiln__slot {
	uintptr_t kiln__w[8];
};

#define KILN__REC ((uintptr_t)2)
/* Every deque is an aligned region this large: its first page holds its
 * struct kiln__wfast, slots fill the rest, so the end of the slots is the
 * end of the region and a slot's deque is its address rounded down. */
#define KILN__DEQUE_BYTES ((uintptr_t)1 << 24)
#define KILN__DEQUE_OF(s) ((struct kiln__wfast *)((uintptr_t)(s) &         \
	~(KILN__DEQUE_BYTES - 1)))
/* A frame's slot that says its task ran at once: the end of a full deque,
 * or NULL (outside a pool, or a context task that could not be pushed). */
#define KILN__RAN(s) (((uintptr_t)(s) & (KILN__DEQUE_BYTES - 1)) == 0)

/*
 * The task frame of kiln_spawn: owned by the caller, usually a local
 * variable.  It must stay alive until kiln_sync returns for it.  Its fields
 * are private to kiln: where the task's record went (KILN__RAN: the task
 * already ran), and the task again, so that the inline sync calls it with
 * what the compiler knows of the frame: directly, when it can see the
 * spawn.
 */
typedef struct kiln_task {
	struct kiln__slot *kiln__s;
	void (*kiln__fn)(void *);
	void *kiln__arg;
} kiln_task;

/*
 * Private: the part of a task deque that the inline fast paths touch.  Each
 * fiber has a deque, which moves with it from worker to worker; its owner is
 * whichever thread runs the fiber.  The first line is the owner's only;
 * movesplit sits on its own cache line because thieves write it.  Not part
 * of the API.  The fields that two threads touch are only ever accessed
 * through __atomic builtins (plain types, so that this header compiles as
 * C++ too), each with its order explained where it is used.
 */
struct kiln__wfast {
	struct kiln__slot *tail;  /* next free slot */
	struct kiln__slot *split; /* slots below are visible to thieves */
	struct kiln__slot *end;   /* one past the last slot */
	uint64_t spawns;          /* with KILN_STATS; kiln_pool_stats reads it */
	void *kiln__owner;        /* the library's: the worker running it */
	char kiln__pad[64 - 4 * sizeof(void *) - sizeof(uint64_t)];
	unsigned int movesplit;   /* thieves set it to ask the owner to share */
} __attribute__((aligned(64)));

/* The deque of the fiber running on this thread. */
extern KILN_API __thread struct kiln__wfast *kiln__self
    __attribute__((tls_model("initial-exec")));

KILN_API void kiln__share(void);
KILN_API void kiln__run_now(void (*fn)(void *), void *arg);
KILN_API struct kiln__slot *kiln__sync_rec(struct kiln__slot *s);
KILN_API int kiln__ctx_slow(struct kiln__slot *tail);
KILN_API struct kiln__wfast *kiln__current_slow(void);

/*
 * The current fiber's deque, read anew at every call: a task's fiber may
 * move to another thread at any suspension point, so a cached thread-local
 * address would name another thread's.  The asm is volatile so the compiler
 * cannot reuse an earlier read.  Outside a pool this is an inert deque that
 * is always full, so every path below turns into a plain call.
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
 * Statistics: a spawn is counted only in code compiled with KILN_STATS
 * defined (a load and a store more per spawn); see kiln_pool_stats(3).
 * Only the deque's owner writes the counter; relaxed atomics because
 * kiln_pool_stats reads it from another thread.
 */
#ifdef KILN_STATS
#define KILN__COUNT_SPAWN(w) __atomic_store_n(&(w)->spawns,                \
	__atomic_load_n(&(w)->spawns, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED)
#else
#define KILN__COUNT_SPAWN(w) ((void)0)
#endif

/* Private: a thief asked for work (relaxed: a hint; a late read only
 * delays sharing by one spawn). */
#define KILN__ASKED(w) KILN_UNLIKELY(__atomic_load_n(&(w)->movesplit,       \
	__ATOMIC_RELAXED))

#if defined(__GNUC__)
/* A run function's address carries KILN__REC in its low bits. */
#define KILN__RUN_ALIGNED __attribute__((aligned(4)))
/* Out of the recursion's hot path (a task run at once, the deque full). */
#define KILN__COLD __attribute__((noinline, cold))
#else
#define KILN__RUN_ALIGNED
#define KILN__COLD
#endif

/* Private: the fields every record begins with. */
#define KILN__REC_FIELDS                                                     \
	uintptr_t kiln__w;                                                   \
	uintptr_t kiln__state

/* Private: the record of a kiln_spawn task. */
struct kiln__task_rec {
	KILN__REC_FIELDS;
	void (*kiln__fn)(void *);
	void *kiln__arg;
};

/*
 * Private: the run word of kiln_spawn's records.  No function lives at this
 * address: the library runs such a record as fn(arg) from its fields.  A
 * constant, so that the spawn stores an immediate rather than loading a
 * function's address from the GOT.
 */
#define KILN__RUN_PLAIN ((void (*)(void *))(uintptr_t)8)

/* Private: publish the record at s (its fields written) as a task of w. */
static inline void kiln__push_rec(struct kiln__wfast *w, struct kiln__slot *s,
    void (*run)(void *))
{
	/*
	 * Relaxed: private until the owner shares it (release).  + rather
	 * than |: the same for an aligned run (KILN__RUN_ALIGNED), and the
	 * compiler folds it into the address (one lea).
	 */
	__atomic_store_n(&s->kiln__w[0], (uintptr_t)run + KILN__REC,
	    __ATOMIC_RELAXED);
	w->tail = s + 1;
	KILN__COUNT_SPAWN(w);
	if (KILN__ASKED(w))
		kiln__share();
}

/*
 * Private: the record at s is the top of its deque w, whose tail is tail,
 * and private: no thief can take it, so the owner takes it back by lowering
 * tail.  (The record stays the spawner's until its sync: only then can
 * another record take the slot, so a slot on top holds the frame's task.
 * Comparing addresses as integers also keeps the compare with a NULL s, a
 * task that already ran, well defined.)  Taking the new tail from the frame
 * keeps the store to tail independent of the previous load of tail, so
 * spawns and syncs do not form one long chain through memory.
 */
#define KILN__REC_ON_TOP(s, tail, w)                                         \
	((uintptr_t)(s) + sizeof(struct kiln__slot) == (uintptr_t)(tail) &&  \
	    (uintptr_t)(s) >= (uintptr_t)(w)->split)

/*
 * kiln_spawn - make fn(arg) a task that another worker may steal.  The caller
 * must later call kiln_sync(t) before t goes out of scope.
 * Inside a task only (outside a pool it calls fn(arg) at once).
 */
KILN_INLINE void kiln_spawn(kiln_task *t, void (*fn)(void *), void *arg)
{
	struct kiln__wfast *w = kiln__current();
	struct kiln__slot *s = w->tail;
	struct kiln__task_rec *r = (struct kiln__task_rec *)(void *)s;

	t->kiln__fn = fn;
	t->kiln__arg = arg;
	if (KILN_UNLIKELY(s == w->end)) {
		/* Full, or outside a pool: run it now (KILN__RAN(s)). */
		t->kiln__s = s;
		kiln__run_now(fn, arg);
		return;
	}
	r->kiln__fn = fn;
	r->kiln__arg = arg;
	kiln__push_rec(w, s, KILN__RUN_PLAIN);
	t->kiln__s = s;
}

/*
 * Private: if t's task is the private top of this fiber's deque, take it
 * back and return 1; the caller then runs it.  Otherwise 0.  The deque is
 * found from the record's slot, not from thread-local storage: the task
 * was spawned by this fiber, whose deque came along wherever it runs.
 */
KILN_INLINE int kiln__sync_pop(kiln_task *t)
{
	struct kiln__slot *s = t->kiln__s;

	if (KILN_LIKELY(!KILN__RAN(s) && KILN__REC_ON_TOP(s,
	    KILN__DEQUE_OF(s)->tail, KILN__DEQUE_OF(s)))) {
		KILN__DEQUE_OF(s)->tail = s;
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
	if (KILN_LIKELY(kiln__sync_pop(t))) {
		t->kiln__fn(t->kiln__arg);
	} else if (!KILN__RAN(t->kiln__s)) {
		(void)kiln__sync_rec(t->kiln__s);
	}
}

/* A record must fit its slot (pass larger arguments by address). */
#define KILN__REC_FITS(name)                                                 \
	typedef char name##_kiln__fits[sizeof(struct name##_kiln__rec) <=     \
	    sizeof(struct kiln__slot) && __alignof__(struct name##_kiln__rec) \
	    <= sizeof(struct kiln__slot) ? 1 : -1]

/*
 * Private: a typed frame's result field is only read when the task ran at
 * once (kiln__s NULL), but compilers cannot tell, and warn at the caller's
 * frame: give it a value on the other path too (a store that disappears
 * when the frame lives in registers, as it does in recursive code).
 */
#define KILN__NO_RESULT_YET(f)                                               \
	__builtin_memset(&(f)->kiln__r, 0, sizeof((f)->kiln__r))

/*
 * Typed tasks: KILN_TASK(name, RET, fn, ARG) defines, for a function
 * RET fn(ARG), a frame type struct name and two inline functions:
 *
 *	void name_spawn(struct name *frame, ARG arg);
 *	RET  name_sync(struct name *frame);
 *
 * name_sync calls fn directly when no thief took the task, so the compiler
 * can inline it.  KILN_TASK_VOID(name, fn, ARG) does the same for
 * void fn(ARG).  KILN_CTX_TASK below is faster still.
 */
#define KILN_TASK(name, RET, fn, ARG)                                        \
	struct name##_kiln__rec {                                            \
		KILN__REC_FIELDS;                                            \
		ARG kiln__a;                                                 \
		RET kiln__r;                                                 \
	};                                                                   \
	KILN__REC_FITS(name);                                                \
	struct name {                                                        \
		struct kiln__slot *kiln__s;                                  \
		RET kiln__r;                                                 \
	};                                                                   \
	static void name##_kiln__run(void *) KILN__RUN_ALIGNED;              \
	static void name##_kiln__run(void *kiln__p)                          \
	{                                                                    \
		struct name##_kiln__rec *kiln__q =                           \
		    (struct name##_kiln__rec *)kiln__p;                      \
		kiln__q->kiln__r = fn(kiln__q->kiln__a);                     \
	}                                                                    \
	static RET name##_kiln__now(ARG) KILN__COLD;                         \
	static RET name##_kiln__now(ARG kiln__a)                             \
	{                                                                    \
		return fn(kiln__a);                                          \
	}                                                                    \
	static inline void name##_spawn(struct name *kiln__f, ARG kiln__a)   \
	{                                                                    \
		struct kiln__wfast *kiln__w = kiln__current();               \
		struct kiln__slot *kiln__s = kiln__w->tail;                  \
		if (KILN_UNLIKELY(kiln__s == kiln__w->end)) {                \
			kiln__f->kiln__s = kiln__s;                          \
			kiln__f->kiln__r = name##_kiln__now(kiln__a);        \
			return;                                              \
		}                                                            \
		((struct name##_kiln__rec *)(void *)kiln__s)->kiln__a =      \
		    kiln__a;                                                 \
		kiln__push_rec(kiln__w, kiln__s, name##_kiln__run);          \
		kiln__f->kiln__s = kiln__s;                                  \
		KILN__NO_RESULT_YET(kiln__f);                                \
	}                                                                    \
	static inline RET name##_sync(struct name *kiln__f)                  \
	{                                                                    \
		struct kiln__slot *kiln__s = kiln__f->kiln__s;               \
		struct kiln__wfast *kiln__w = KILN__DEQUE_OF(kiln__s);       \
		if (KILN_LIKELY(!KILN__RAN(kiln__s) &&                       \
		    KILN__REC_ON_TOP(kiln__s, kiln__w->tail, kiln__w))) {    \
			kiln__w->tail = kiln__s;                             \
			return fn(((struct name##_kiln__rec *)(void *)       \
			    kiln__s)->kiln__a);                              \
		}                                                            \
		if (KILN__RAN(kiln__s))                                      \
			return kiln__f->kiln__r;                             \
		(void)kiln__sync_rec(kiln__s);                               \
		return ((struct name##_kiln__rec *)(void *)kiln__s)->kiln__r; \
	}                                                                    \
	struct name

#define KILN_TASK_VOID(name, fn, ARG)                                        \
	struct name##_kiln__rec {                                            \
		KILN__REC_FIELDS;                                            \
		ARG kiln__a;                                                 \
	};                                                                   \
	KILN__REC_FITS(name);                                                \
	struct name {                                                        \
		struct kiln__slot *kiln__s;                                  \
	};                                                                   \
	static void name##_kiln__run(void *) KILN__RUN_ALIGNED;              \
	static void name##_kiln__run(void *kiln__p)                          \
	{                                                                    \
		fn(((struct name##_kiln__rec *)kiln__p)->kiln__a);           \
	}                                                                    \
	static void name##_kiln__now(ARG) KILN__COLD;                        \
	static void name##_kiln__now(ARG kiln__a)                            \
	{                                                                    \
		fn(kiln__a);                                                 \
	}                                                                    \
	static inline void name##_spawn(struct name *kiln__f, ARG kiln__a)   \
	{                                                                    \
		struct kiln__wfast *kiln__w = kiln__current();               \
		struct kiln__slot *kiln__s = kiln__w->tail;                  \
		if (KILN_UNLIKELY(kiln__s == kiln__w->end)) {                \
			kiln__f->kiln__s = kiln__s;                          \
			name##_kiln__now(kiln__a);                           \
			return;                                              \
		}                                                            \
		((struct name##_kiln__rec *)(void *)kiln__s)->kiln__a =      \
		    kiln__a;                                                 \
		kiln__push_rec(kiln__w, kiln__s, name##_kiln__run);          \
		kiln__f->kiln__s = kiln__s;                                  \
	}                                                                    \
	static inline void name##_sync(struct name *kiln__f)                 \
	{                                                                    \
		struct kiln__slot *kiln__s = kiln__f->kiln__s;               \
		struct kiln__wfast *kiln__w = KILN__DEQUE_OF(kiln__s);       \
		if (KILN_LIKELY(!KILN__RAN(kiln__s) &&                       \
		    KILN__REC_ON_TOP(kiln__s, kiln__w->tail, kiln__w))) {    \
			kiln__w->tail = kiln__s;                             \
			fn(((struct name##_kiln__rec *)(void *)kiln__s)->kiln__a); \
		} else if (!KILN__RAN(kiln__s)) {                            \
			(void)kiln__sync_rec(kiln__s);                       \
		}                                                            \
	}                                                                    \
	struct name

/*
 * Context tasks: like KILN_TASK, for a function that takes the calling
 * task's context first, RET fn(kiln_ctx c, ARG arg), and hands it on to
 * what it spawns, syncs and calls:
 *
 *	KILN_CTX_TASK(name, RET, fn, ARG);
 *	KILN_CTX_SPAWN(name, c, &frame, arg);     (frame: a struct name)
 *	RET r = KILN_CTX_SYNC(name, c, &frame);
 *
 * The context c, a variable (usually fn's parameter), is where the task's
 * deque stands: the spawn and the sync move it, so the compiler keeps it in
 * a register from call to call instead of reading thread-local storage and
 * memory at every spawn and sync.  It stays valid when the fiber moves to
 * another worker, because the deque moves with the fiber.  kiln_ctx_get()
 * gives one to code that has none.  KILN_CTX_TASK_VOID(name, fn, ARG) does
 * the same for void fn(kiln_ctx, ARG).  KILN_CTX_SPAWN and KILN_CTX_SYNC
 * evaluate c and &frame more than once.  See kiln_ctx_get(3).
 */
typedef struct kiln__ctx *kiln_ctx;

/* The calling task's context.  Any thread (outside a pool, a context in
 * which every spawn runs its task at once). */
KILN_INLINE kiln_ctx kiln_ctx_get(void)
{
	return (kiln_ctx)(void *)kiln__current()->tail;
}

#define KILN_CTX_SPAWN(name, c, f, a)                                        \
	((void)((c) = name##_kiln__spawn((c), (f), (a))))
#define KILN_CTX_SYNC(name, c, f)                                            \
	((c) = name##_kiln__pop((c), (f)), name##_kiln__result((c), (f)))

#define KILN__CTX_SLOT(c) ((struct kiln__slot *)(void *)(c))

/* Private: a context deque is full when its tail is at the end of the
 * region (outside a pool, it is NULL: full too). */
#define KILN__CTX_FULL(s)                                                    \
	KILN_UNLIKELY(((uintptr_t)(s) & (KILN__DEQUE_BYTES - 1)) == 0)

/*
 * Private: where the record of a spawn with context c goes, or NULL if the
 * deque is full.  The context is the deque's tail unless something moved
 * the tail behind its back: a callee that synced out of order left dead
 * slots above it, or the caller itself spawned with kiln_spawn or KILN_TASK
 * since it got c.  Then, and when a thief asked for work, kiln__ctx_slot
 * sorts it out before any slot is written (split.c).
 */
static inline struct kiln__slot *kiln__ctx_slot(kiln_ctx c)
{
	struct kiln__slot *s = KILN__CTX_SLOT(c);
	struct kiln__wfast *w = KILN__DEQUE_OF(s);

	if (KILN__CTX_FULL(s))
		return 0;
	if ((KILN_UNLIKELY(s != w->tail) || KILN__ASKED(w)) &&
	    !kiln__ctx_slow(s))
		return 0;
	return s;
}

/* Private: publish the record at s (its fields written) as a task. */
static inline void kiln__ctx_push(struct kiln__slot *s, void (*run)(void *))
{
	/* Relaxed: private until the owner shares it (release); + as in
	 * kiln__push_rec. */
	__atomic_store_n(&s->kiln__w[0], (uintptr_t)run + KILN__REC,
	    __ATOMIC_RELAXED);
	KILN__DEQUE_OF(s)->tail = s + 1;
	KILN__COUNT_SPAWN(KILN__DEQUE_OF(s));
}

/*
 * Private: the first half of a context sync: if the record is the private
 * top, pop it (the caller then calls fn: *fast = 1); else sync it in the
 * library.  Returns the context after.
 */
static inline kiln_ctx kiln__ctx_pop(kiln_ctx c, struct kiln__slot *s,
    int *fast)
{
	*fast = 0;
	if (KILN_LIKELY(s && KILN__REC_ON_TOP(s, KILN__DEQUE_OF(s)->tail,
	    KILN__DEQUE_OF(s)))) {
		KILN__DEQUE_OF(s)->tail = s;
		*fast = 1;
		return (kiln_ctx)(void *)s;
	}
	if (KILN__RAN(s))
		return c;
	return (kiln_ctx)(void *)kiln__sync_rec(s);
}

#define KILN__CTX_SPAWN(name, ARG, RUN_AT_ONCE, PUSHED)                      \
	static inline kiln_ctx name##_kiln__spawn(kiln_ctx kiln__c,          \
	    struct name *kiln__f, ARG kiln__a)                               \
	{                                                                    \
		struct kiln__slot *kiln__s = kiln__ctx_slot(kiln__c);        \
		if (KILN_UNLIKELY(!kiln__s)) {                               \
			kiln__f->kiln__s = 0;                                \
			RUN_AT_ONCE;                                         \
			return kiln__c;                                      \
		}                                                            \
		((struct name##_kiln__rec *)(void *)kiln__s)->kiln__a =      \
		    kiln__a;                                                 \
		kiln__ctx_push(kiln__s, name##_kiln__run);                   \
		kiln__f->kiln__s = kiln__s;                                  \
		PUSHED;                                                      \
		return (kiln_ctx)(void *)(kiln__s + 1);                      \
	}                                                                    \
	static inline kiln_ctx name##_kiln__pop(kiln_ctx kiln__c,            \
	    struct name *kiln__f)                                            \
	{                                                                    \
		return kiln__ctx_pop(kiln__c, kiln__f->kiln__s,              \
		    &kiln__f->kiln__fast);                                   \
	}

#define KILN_CTX_TASK(name, RET, fn, ARG)                                    \
	struct name##_kiln__rec {                                            \
		KILN__REC_FIELDS;                                            \
		ARG kiln__a;                                                 \
		RET kiln__r;                                                 \
	};                                                                   \
	KILN__REC_FITS(name);                                                \
	struct name {                                                        \
		struct kiln__slot *kiln__s;                                  \
		int kiln__fast;                                              \
		RET kiln__r;                                                 \
	};                                                                   \
	static void name##_kiln__run(void *) KILN__RUN_ALIGNED;              \
	static void name##_kiln__run(void *kiln__p)                          \
	{                                                                    \
		struct name##_kiln__rec *kiln__q =                           \
		    (struct name##_kiln__rec *)kiln__p;                      \
		kiln__q->kiln__r = fn(kiln_ctx_get(), kiln__q->kiln__a);     \
	}                                                                    \
	static RET name##_kiln__now(kiln_ctx, ARG) KILN__COLD;               \
	static RET name##_kiln__now(kiln_ctx kiln__c, ARG kiln__a)           \
	{                                                                    \
		return fn(kiln__c, kiln__a);                                 \
	}                                                                    \
	KILN__CTX_SPAWN(name, ARG,                                           \
	    kiln__f->kiln__r = name##_kiln__now(kiln__c, kiln__a),           \
	    KILN__NO_RESULT_YET(kiln__f))                                    \
	static inline RET name##_kiln__result(kiln_ctx kiln__c,              \
	    struct name *kiln__f)                                            \
	{                                                                    \
		if (KILN_LIKELY(kiln__f->kiln__fast))                        \
			return fn(kiln__c, ((struct name##_kiln__rec *)      \
			    (void *)kiln__f->kiln__s)->kiln__a);             \
		if (KILN__RAN(kiln__f->kiln__s))                             \
			return kiln__f->kiln__r;                             \
		return ((struct name##_kiln__rec *)(void *)kiln__f->kiln__s)-> \
		    kiln__r;                                                 \
	}                                                                    \
	struct name

#define KILN_CTX_TASK_VOID(name, fn, ARG)                                    \
	struct name##_kiln__rec {                                            \
		KILN__REC_FIELDS;                                            \
		ARG kiln__a;                                                 \
	};                                                                   \
	KILN__REC_FITS(name);                                                \
	struct name {                                                        \
		struct kiln__slot *kiln__s;                                  \
		int kiln__fast;                                              \
	};                                                                   \
	static void name##_kiln__run(void *) KILN__RUN_ALIGNED;              \
	static void name##_kiln__run(void *kiln__p)                          \
	{                                                                    \
		fn(kiln_ctx_get(),                                           \
		    ((struct name##_kiln__rec *)kiln__p)->kiln__a);          \
	}                                                                    \
	static void name##_kiln__now(kiln_ctx, ARG) KILN__COLD;              \
	static void name##_kiln__now(kiln_ctx kiln__c, ARG kiln__a)          \
	{                                                                    \
		fn(kiln__c, kiln__a);                                        \
	}                                                                    \
	KILN__CTX_SPAWN(name, ARG, name##_kiln__now(kiln__c, kiln__a),       \
	    (void)0)                                                         \
	static inline void name##_kiln__result(kiln_ctx kiln__c,             \
	    struct name *kiln__f)                                            \
	{                                                                    \
		if (KILN_LIKELY(kiln__f->kiln__fast))                        \
			fn(kiln__c, ((struct name##_kiln__rec *)             \
			    (void *)kiln__f->kiln__s)->kiln__a);             \
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
