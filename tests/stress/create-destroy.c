/*
 * create-destroy: pools created and destroyed in a loop, from several
 * threads at once: idle (workers may not even have started), after a
 * fork/join run, and with detached tasks still pending (spawning, yielding
 * and starting more detached tasks) when kiln_pool_destroy is called,
 * which must wait for all of them.
 *
 *	create-destroy [iterations [threads]]
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include <kiln.h>

#include "../common.h"
#include "stress.h"

#define DETACHED 8

struct pending {
	atomic_int started, finished, bad, go_failed;
};

static void late(void *p)
{
	struct pending *d = p;

	atomic_fetch_add(&d->started, 1);
	kiln_yield();
	if (pfib(10) != fib_ref(10))
		atomic_fetch_add(&d->bad, 1);
	atomic_fetch_add(&d->finished, 1);
}

static void detached(void *p)
{
	struct pending *d = p;
	int i;

	atomic_fetch_add(&d->started, 1);
	for (i = 0; i < 3; i++)
		kiln_yield();
	if (pfib(14) != fib_ref(14))
		atomic_fetch_add(&d->bad, 1);
	if (kiln_go(late, d) != 0)
		atomic_fetch_add(&d->go_failed, 1);
	atomic_fetch_add(&d->finished, 1);
}

static void start_detached(void *p)
{
	struct pending *d = p;
	int i;

	for (i = 0; i < DETACHED; i++)
		if (kiln_go(detached, d) != 0)
			atomic_fetch_add(&d->go_failed, 1);
}

struct fibjob {
	unsigned int n;
	uint64_t r;
};

static void fib_root(void *p)
{
	struct fibjob *f = p;

	f->r = pfib(f->n);
}

struct loop {
	pthread_t th;
	unsigned long iterations, id;
	atomic_ulong failures;
};

static void *loop_main(void *p)
{
	struct loop *l = p;
	unsigned long i;

	for (i = 0; i < l->iterations; i++) {
		struct kiln_options o = {
			.workers = 1 + (unsigned int)((i + l->id) % 4),
		};
		kiln_pool *pool = NULL;
		int ret = kiln_pool_create(&pool, &o);

		if (ret < 0) {
			fprintf(stderr, "create-destroy: create: %d\n", ret);
			atomic_fetch_add(&l->failures, 1);
			continue;
		}
		switch (i % 3) {
		case 0:		/* idle */
			break;
		case 1: {	/* a fork/join run */
			struct fibjob f = { 16, 0 };

			if (kiln_run(pool, fib_root, &f) != 0 ||
			    f.r != fib_ref(16)) {
				fprintf(stderr, "create-destroy: fib wrong\n");
				atomic_fetch_add(&l->failures, 1);
			}
			break;
		}
		case 2: {	/* detached tasks pending at destroy */
			struct pending d;

			memset(&d, 0, sizeof(d));
			if (kiln_run(pool, start_detached, &d) != 0)
				atomic_fetch_add(&l->failures, 1);
			kiln_pool_destroy(pool);
			pool = NULL;
			if (atomic_load(&d.go_failed) ||
			    atomic_load(&d.bad) ||
			    atomic_load(&d.started) != 2 * DETACHED ||
			    atomic_load(&d.finished) != 2 * DETACHED) {
				fprintf(stderr, "create-destroy: after destroy: "
				    "%d started, %d finished of %d, %d bad, "
				    "%d kiln_go failed\n",
				    atomic_load(&d.started),
				    atomic_load(&d.finished), 2 * DETACHED,
				    atomic_load(&d.bad),
				    atomic_load(&d.go_failed));
				atomic_fetch_add(&l->failures, 1);
			}
			break;
		}
		}
		kiln_pool_destroy(pool);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned long iterations = stress_arg(argc, argv, 1, 60);
	unsigned long nthreads = stress_arg(argc, argv, 2, 2);
	struct loop *l = calloc(nthreads, sizeof(*l));
	unsigned long i;

	stress_prog = "create-destroy";
	if (!l)
		stress_die("out of memory");
	for (i = 0; i < nthreads; i++) {
		l[i].iterations = iterations;
		l[i].id = i;
		if (pthread_create(&l[i].th, NULL, loop_main, &l[i]) != 0)
			stress_die("pthread_create");
	}
	for (i = 0; i < nthreads; i++) {
		pthread_join(l[i].th, NULL);
		if (atomic_load(&l[i].failures))
			stress_fail("thread %lu: %lu failed iterations", i,
			    atomic_load(&l[i].failures));
	}
	printf("create-destroy: %lu iterations on %lu threads\n", iterations,
	    nthreads);
	free(l);
	return stress_exit();
}
