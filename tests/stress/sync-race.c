/*
 * sync-race: make parents reach kiln_sync while a thief is finishing the
 * child, to exercise the suspend/resume handshake (the parent publishes
 * itself in the task's state word only after it has switched away; the
 * thief that finishes the child resumes it).
 *
 *	sync-race [rounds [children]]
 *
 * Patterns, on pools of 2 and 4 workers:
 *  - tiny: many tiny children spawned in a row, synced newest first;
 *  - sweep: one child, shared by a second spawn; the parent's delay
 *    before the sync and the child's running time each sweep from nothing
 *    to a few microseconds, so that the sync lands before, during and
 *    after the thief's run, around the parent's bounded spin and its
 *    switch away, and around the thief's finishing exchange;
 *  - nested: children that spawn and sync grandchildren themselves.
 * Each child writes a non-atomic result that the parent reads right after
 * the sync.  Suspends are counted via kiln_pool_stats and must all have
 * been resumed.
 */
#include <stdatomic.h>
#include <string.h>

#include <kiln.h>

#include "stress.h"

struct child {
	uint64_t in, out;      /* plain: the handshake must publish out */
	unsigned int work;     /* spin this long first */
};

static void spin(unsigned int n)
{
	volatile unsigned int i;

	for (i = 0; i < n; i++)
		;
}

static void tiny(void *p)
{
	struct child *c = p;

	spin(c->work);
	c->out = c->in * 3 + 1;
}

static void nested(void *p)
{
	struct child *c = p, g[2];
	kiln_task t[2];
	int i;

	for (i = 0; i < 2; i++) {
		g[i].in = c->in + (uint64_t)i;
		g[i].work = 0;
		kiln_spawn(&t[i], tiny, &g[i]);
	}
	kiln_sync(&t[1]);
	kiln_sync(&t[0]);
	c->out = g[0].out + g[1].out;
}

struct job {
	unsigned long rounds, children;
	unsigned long errors;
};

static void race_root(void *p)
{
	struct job *j = p;
	struct child *c = calloc(j->children, sizeof(*c));
	kiln_task *t = calloc(j->children, sizeof(*t));
	unsigned long r, i;

	if (!c || !t) {
		j->errors++;
		free(c);
		free(t);
		return;
	}
	for (r = 0; r < j->rounds; r++) {
		/* tiny */
		for (i = 0; i < j->children; i++) {
			c[i].in = r * j->children + i;
			c[i].out = 0;
			c[i].work = 0;
			kiln_spawn(&t[i], tiny, &c[i]);
		}
		for (i = j->children; i-- > 0;) {
			kiln_sync(&t[i]);
			if (c[i].out != c[i].in * 3 + 1)
				j->errors++;
		}

		/* sweep: parent delay (i % 16)^2 * 4, child work (i / 16)^2 * 64 */
		for (i = 0; i < 256; i++) {
			unsigned int pd = (unsigned int)(i % 16), cw = (unsigned int)(i / 16);

			c[0].in = r + i;
			c[0].out = 0;
			c[0].work = cw * cw * 64;
			kiln_spawn(&t[0], tiny, &c[0]);
			/* A second spawn shares the first if a thief asked. */
			c[1].in = i;
			c[1].out = 0;
			c[1].work = 0;
			kiln_spawn(&t[1], tiny, &c[1]);
			kiln_sync(&t[1]);
			spin(pd * pd * 4);
			kiln_sync(&t[0]);
			if (c[0].out != c[0].in * 3 + 1 ||
			    c[1].out != c[1].in * 3 + 1)
				j->errors++;
		}

		/* nested, synced oldest first */
		for (i = 0; i < j->children; i++) {
			c[i].in = r + i;
			c[i].out = 0;
			c[i].work = 0;
			kiln_spawn(&t[i], nested, &c[i]);
		}
		for (i = 0; i < j->children; i++) {
			kiln_sync(&t[i]);
			if (c[i].out != (c[i].in * 3 + 1) +
			    ((c[i].in + 1) * 3 + 1))
				j->errors++;
		}
	}
	free(c);
	free(t);
}

int main(int argc, char **argv)
{
	static const unsigned int workers[] = { 2, 4 };
	unsigned long rounds = stress_arg(argc, argv, 1, 200);
	unsigned long children = stress_arg(argc, argv, 2, 32);
	unsigned int w;

	stress_prog = "sync-race";
	if (children < 2)
		children = 2;
	for (w = 0; w < sizeof(workers) / sizeof(workers[0]); w++) {
		struct kiln_options o = { .workers = workers[w] };
		struct job j = { rounds, children, 0 };
		struct kiln_stats s;
		kiln_pool *pool;
		int ret = kiln_pool_create(&pool, &o);

		if (ret < 0)
			stress_die("kiln_pool_create: %d", ret);
		ret = kiln_run(pool, race_root, &j);
		if (ret < 0)
			stress_die("kiln_run: %d", ret);
		if (j.errors)
			stress_fail("%u workers: %lu wrong results after sync",
			    workers[w], j.errors);
		kiln_pool_stats(pool, &s);
		if (s.suspends != s.resumes)
			stress_fail("%u workers: %" PRIu64 " suspends, %"
			    PRIu64 " resumes", workers[w], s.suspends,
			    s.resumes);
		printf("sync-race: %u workers, %lu rounds of %lu: %" PRIu64
		    " steals, %" PRIu64 " suspends\n", workers[w], rounds,
		    children, s.steals, s.suspends);
		kiln_pool_destroy(pool);
	}
	return stress_exit();
}
