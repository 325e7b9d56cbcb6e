/*
 * Pools through <kiln.h>: creation with default, small and oversubscribed
 * worker counts, option validation (-EINVAL, *pool left alone), the
 * minimum stack size, kiln_pool_destroy(NULL), repeated create/destroy, and
 * two pools side by side, calling each other through kiln_run.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include <kiln.h>

#include "common.h"

TestSuite(pool, .timeout = 60);

/* A small fork/join workload; records the worker ids it ran on. */
struct work {
	int workers;
	atomic_int bad_id, sum;
	atomic_int seen[16];
};

static void work_body(size_t b, size_t e, void *arg)
{
	struct work *w = arg;
	int id = kiln_worker_id();
	volatile size_t spin;

	for (spin = 0; spin < 2000; spin++)
		;
	if (id < 0 || id >= w->workers)
		atomic_fetch_add(&w->bad_id, 1);
	else if (id < 16)
		atomic_fetch_add(&w->seen[id], 1);
	atomic_fetch_add(&w->sum, (int)(e - b));
}

static void work_root(void *p)
{
	kiln_parallel_for(0, 1000, 1, work_body, p);
}

static void check_pool(kiln_pool *p, unsigned int workers);

/* After failed creations, a pool still works. */
static void check_pool_after_oom(void)
{
	kiln_pool *p = make_pool(4);

	check_pool(p, 4);
	kiln_pool_destroy(p);
}

static void check_pool(kiln_pool *p, unsigned int workers)
{
	struct kiln_stats s;
	struct work w;

	memset(&w, 0, sizeof(w));
	w.workers = (int)workers;
	run_on(p, work_root, &w);
	cr_expect(eq(int, ld(&w.sum), 1000));
	cr_expect(eq(int, ld(&w.bad_id), 0));
	kiln_pool_stats(p, &s);
	cr_expect(eq(u32, s.workers, workers));
	cr_expect(ge(u64, s.fibers, workers), "each worker starts on a fiber");
}

Test(pool, null_options_mean_defaults)
{
	kiln_pool *p = NULL;

	cr_assert(eq(int, kiln_pool_create(&p, NULL), 0));
	cr_assert(not(eq(ptr, p, NULL)));
	check_pool(p, cpus_allowed());
	kiln_pool_destroy(p);
}

Test(pool, zeroed_options_mean_defaults)
{
	struct kiln_options o;
	kiln_pool *p = NULL;

	memset(&o, 0, sizeof(o));
	cr_assert(eq(int, kiln_pool_create(&p, &o), 0));
	check_pool(p, cpus_allowed());
	kiln_pool_destroy(p);
}

Test(pool, one_worker)
{
	kiln_pool *p = make_pool(1);
	struct kiln_stats s;

	check_pool(p, 1);
	kiln_pool_stats(p, &s);
	cr_expect(eq(u64, s.steals, 0));
	kiln_pool_destroy(p);
}

Test(pool, more_workers_than_cores)
{
	kiln_pool *p = make_pool(8);

	check_pool(p, 8);
	check_pool(p, 8);
	kiln_pool_destroy(p);
}

Test(pool, fresh_pool_stats)
{
	kiln_pool *p = make_pool(3);
	struct kiln_stats s;

	memset(&s, 0xa5, sizeof(s));
	kiln_pool_stats(p, &s);
	cr_expect(eq(u32, s.workers, 3));
	cr_expect(eq(u64, s.spawns, 0));
	cr_expect(eq(u64, s.steals, 0));
	cr_expect(eq(u64, s.suspends, 0));
	cr_expect(eq(u64, s.resumes, 0));
	cr_expect(eq(u64, s.detached, 0));
	kiln_pool_destroy(p);
}

/* A rejected call leaves *pool as it was. */
static void expect_einval(const struct kiln_options *o, const char *what)
{
	kiln_pool *sentinel = (kiln_pool *)&sentinel, *p = sentinel;

	cr_expect(eq(int, kiln_pool_create(&p, o), -EINVAL), "%s", what);
	cr_expect(eq(ptr, p, sentinel), "%s: *pool was changed", what);
}

Test(pool, invalid_options)
{
	struct kiln_options o;

	memset(&o, 0, sizeof(o));
	o.flags = 0x100;
	expect_einval(&o, "unknown flag");
	o.flags = ~0u;
	expect_einval(&o, "all flags");
	o.flags = KILN_OPT_NO_URING | 0x2;
	expect_einval(&o, "a known flag with an unknown one");

	memset(&o, 0, sizeof(o));
	o.stack_size = 1024;
	expect_einval(&o, "1 KiB stacks");
	o.stack_size = 16 * 1024 - 1;
	expect_einval(&o, "stacks one byte under 16 KiB");
	o.stack_size = 1;
	expect_einval(&o, "1-byte stacks");

	memset(&o, 0, sizeof(o));
	o.workers = 4097;
	expect_einval(&o, "4097 workers");
	o.workers = UINT_MAX;
	expect_einval(&o, "UINT_MAX workers");

	cr_expect(eq(int, kiln_pool_create(NULL, NULL), -EINVAL));
}

/* The smallest accepted stack still runs tasks that park. */
static uint64_t fib(unsigned int n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

struct small_stack {
	uint64_t r;
	int yields_done;
};

static void park_on_small_stack(void *p)
{
	struct small_stack *s = p;
	int i;

	for (i = 0; i < 10; i++)
		kiln_yield();
	s->yields_done = 1;
	s->r = fib(15);
}

Test(pool, minimum_stack_size)
{
	struct kiln_options o = { .workers = 2, .stack_size = 16 * 1024 };
	struct small_stack s = { 0, 0 };
	kiln_pool *p = make_pool_with(&o);

	run_on(p, park_on_small_stack, &s);
	cr_expect(eq(int, s.yields_done, 1));
	cr_expect(eq(u64, s.r, fib_ref(15)));
	check_pool(p, 2);
	kiln_pool_destroy(p);
}

/* Stack sizes that do not fit in the address space: -ENOMEM, *pool left
 * alone, never a wrapped size (SIZE_MAX rounded up to pages is 0). */
Test(pool, huge_stack_sizes_fail_cleanly)
{
	const size_t sizes[] = { SIZE_MAX, SIZE_MAX - 1, SIZE_MAX - 4095,
	    SIZE_MAX - 4096, SIZE_MAX / 2 + 1, (size_t)1 << 60 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct kiln_options o = { .workers = 1,
		    .stack_size = sizes[i] };
		kiln_pool *p = (kiln_pool *)&o;

		cr_expect(eq(int, kiln_pool_create(&p, &o), -ENOMEM),
		    "stack_size %zu", sizes[i]);
		cr_expect(eq(ptr, p, (kiln_pool *)&o), "*pool was changed");
	}
}

Test(pool, no_uring_flag_accepted)
{
	struct kiln_options o = { .workers = 2, .flags = KILN_OPT_NO_URING };
	kiln_pool *p = make_pool_with(&o);

	check_pool(p, 2);
	kiln_pool_destroy(p);
}

Test(pool, destroy_null_is_noop)
{
	kiln_pool_destroy(NULL);
}

Test(pool, create_destroy_repeatedly)
{
	int i;

	for (i = 0; i < 30; i++) {
		unsigned int workers = 1 + (unsigned int)i % 4;
		kiln_pool *p = make_pool(workers);

		if (i % 3 == 0)
			check_pool(p, workers);
		kiln_pool_destroy(p);
	}
}

/*
 * Creation that runs out of memory part of the way (address space capped
 * with RLIMIT_AS at various points) fails with -ENOMEM or -EAGAIN, leaves
 * *pool alone and cleans up the workers it had made (some already running
 * when a later pthread_create fails).  Not under AddressSanitizer, whose
 * shadow memory needs the address space.
 */
#ifdef __SANITIZE_ADDRESS__
#define UNDER_ASAN 1
#else
#define UNDER_ASAN 0
#endif

static long vm_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &pages) != 1)
		pages = -1;
	fclose(f);
	return pages < 0 ? -1 : pages * sysconf(_SC_PAGESIZE);
}

Test(pool, create_fails_cleanly_without_memory, .disabled = UNDER_ASAN)
{
	static const long extra_mib[] = { 1, 4, 16, 32, 64, 96, 128, 192, 256 };
	int ret[sizeof(extra_mib) / sizeof(extra_mib[0])];
	int unchanged[sizeof(extra_mib) / sizeof(extra_mib[0])];
	struct rlimit saved, lim;
	long vm = vm_bytes();
	size_t i;
	int failures = 0;

	cr_assert(gt(long, vm, 0));
	cr_assert(eq(int, getrlimit(RLIMIT_AS, &saved), 0));
	for (i = 0; i < sizeof(extra_mib) / sizeof(extra_mib[0]); i++) {
		struct kiln_options o = { .workers = 16 };
		kiln_pool *sentinel = (kiln_pool *)&sentinel, *p = sentinel;

		lim = saved;
		lim.rlim_cur = (rlim_t)(vm_bytes() + (extra_mib[i] << 20));
		if (setrlimit(RLIMIT_AS, &lim) != 0) {
			ret[i] = 1;
			break;
		}
		ret[i] = kiln_pool_create(&p, &o);
		unchanged[i] = p == sentinel;
		setrlimit(RLIMIT_AS, &saved);
		if (ret[i] == 0)
			kiln_pool_destroy(p);
	}
	cr_assert(eq(int, setrlimit(RLIMIT_AS, &saved), 0));
	for (i = 0; i < sizeof(extra_mib) / sizeof(extra_mib[0]); i++) {
		cr_assert(le(int, ret[i], 0), "setrlimit failed");
		cr_log_info("+%ld MiB: %d", extra_mib[i], ret[i]);
		if (ret[i] == 0)
			continue;
		failures++;
		cr_expect(ret[i] == -ENOMEM || ret[i] == -EAGAIN,
		    "+%ld MiB: kiln_pool_create returned %d", extra_mib[i],
		    ret[i]);
		cr_expect(unchanged[i], "+%ld MiB: failed, but *pool changed",
		    extra_mib[i]);
	}
	/* 16 workers cannot fit in 1 MiB more: the error path did run. */
	cr_expect(gt(int, failures, 0));
	check_pool_after_oom();
}

/* Two pools at once; a task of one may kiln_run on the other. */
struct two {
	kiln_pool *other;
	int ret, inner_id;
	struct work w;
};

static void run_other_inner(void *p)
{
	struct two *t = p;

	t->inner_id = kiln_worker_id();
	kiln_parallel_for(0, 1000, 1, work_body, &t->w);
}

static void run_other(void *p)
{
	struct two *t = p;

	t->ret = kiln_run(t->other, run_other_inner, t);
}

Test(pool, two_pools)
{
	kiln_pool *a = make_pool(2), *b = make_pool(3);
	struct two t;

	cr_assert(not(eq(ptr, a, b)));
	check_pool(a, 2);
	check_pool(b, 3);
	memset(&t, 0, sizeof(t));
	t.other = b;
	t.inner_id = -2;
	t.w.workers = 3;
	run_on(a, run_other, &t);
	cr_expect(eq(int, t.ret, 0));
	cr_expect(ge(int, t.inner_id, 0));
	cr_expect(lt(int, t.inner_id, 3));
	cr_expect(eq(int, ld(&t.w.sum), 1000));
	cr_expect(eq(int, ld(&t.w.bad_id), 0));
	kiln_pool_destroy(a);
	kiln_pool_destroy(b);
}

/*
 * kiln_run from a task of another pool parks that task: its worker goes on.
 * Chains of one-worker pools that come back to the first pool (A -> B -> A,
 * A -> B -> C -> A) can then only complete if every worker that waits in
 * kiln_run is free: a blocked worker would deadlock the chain.  The last
 * link forks and parks (kiln_sleep) too.
 */
struct chain {
	kiln_pool *pools[3];
	unsigned int len;     /* pools in the cycle */
	unsigned int level;   /* links below the first task */
	int ret[4];           /* each link's call, then the leaf's sleep */
	int outer;            /* the first kiln_run's */
	uint64_t leaf;
	atomic_int done;
};

#define MS_NS 1000000ull

struct link {
	struct chain *c;
	unsigned int i;
};

static void chain_link(void *p)
{
	struct link *l = p, next = { l->c, l->i + 1 };

	if (l->i == l->c->len) {  /* back on the first pool: the leaf */
		l->c->leaf = pfib(20);
		l->c->ret[l->i] = kiln_sleep(MS_NS);
		return;
	}
	l->c->ret[l->i] = kiln_run(l->c->pools[next.i % l->c->len],
	    chain_link, &next);
}

static void *chain_thread(void *p)
{
	struct chain *c = p;
	struct link first = { c, 0 };

	c->outer = kiln_run(c->pools[0], chain_link, &first);
	atomic_store(&c->done, 1);
	return NULL;
}

static void nested_chain(unsigned int len)
{
	struct chain *c = calloc(1, sizeof(*c));
	pthread_t t;
	uint64_t end;

	cr_assert(not(eq(ptr, c, NULL)));
	c->len = len;
	for (unsigned int i = 0; i < len; i++)
		c->pools[i] = make_pool(1);
	cr_assert(eq(int, pthread_create(&t, NULL, chain_thread, c), 0));
	/* Milliseconds when it works; 20 s only turns a deadlock into a
	 * failure with a name. */
	end = now_ns() + 20000 * MS_NS;
	while (!ld(&c->done) && now_ns() < end)
		usleep(1000);
	cr_assert(eq(int, ld(&c->done), 1), "a chain of %u one-worker pools "
	    "through kiln_run did not complete: a waiting worker is blocked",
	    len);
	pthread_join(t, NULL);
	for (unsigned int i = 0; i < len; i++)
		cr_expect(eq(int, c->ret[i], 0), "kiln_run at link %u", i);
	cr_expect(eq(int, c->ret[len], 0), "the leaf's kiln_sleep");
	cr_expect(eq(int, c->outer, 0), "the outer kiln_run");
	cr_expect(eq(u64, c->leaf, fib_ref(20)));
	for (unsigned int i = 0; i < len; i++)
		kiln_pool_destroy(c->pools[i]);
	free(c);
}

Test(pool, kiln_run_a_b_a_with_one_worker_each)
{
	nested_chain(2);
}

Test(pool, kiln_run_a_b_c_a_with_one_worker_each)
{
	nested_chain(3);
}

/* kiln_pool_destroy from a task of the pool itself would wait for its own
 * end: it returns at once and leaves the pool working. */
static void destroy_own(void *p)
{
	kiln_pool_destroy(*(kiln_pool **)p);
	*(kiln_pool **)p = NULL;
}

Test(pool, destroy_from_its_own_task_returns)
{
	kiln_pool *p = make_pool(2), *arg = p;

	run_on(p, destroy_own, &arg);
	cr_expect(eq(ptr, arg, NULL), "kiln_pool_destroy did not return");
	check_pool(p, 2);
	kiln_pool_destroy(p);
}
