/*
 * io-stress: many tasks doing file I/O at once, on io_uring and on the
 * fallback (KILN_OPT_NO_URING; with KILN_NO_URING=1 in the environment both
 * passes use the fallback).  Each task, round after round:
 *  - reads a random range of a read-only part of the file and checks every
 *    byte (ranges may cross the end of the file: the short count is
 *    checked too);
 *  - writes its own region of the writable part with a pattern new to the
 *    round, reads it back (through the file position or at an offset) and
 *    compares; every few rounds it fsyncs, sleeps or yields.
 * At the end the whole writable part is checked with plain preads.
 *
 * The buffers are the non-atomic payload: written by the kernel or by a
 * helper thread, read by the task, which may have moved to another
 * worker meanwhile; ThreadSanitizer sees the helper's write (its read(2)
 * interceptor) and must see it ordered before the task's check.
 *
 *	io-stress [tasks [rounds [workers]]]
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include <kiln.h>

#include "../common.h"
#include "stress.h"

#define RO_SIZE (1024 * 1024 + 517)  /* read-only part, at offset 0 */
#define MAX_READ (48 * 1024)
#define REGION (12 * 1024 + 9)       /* each task's part, after RO_SIZE */
#define RO_SEED 3

/* The pattern of task i's region after round r. */
static uint64_t region_seed(unsigned int i, unsigned int r)
{
	return 1000 + (uint64_t)i * 100003 + r;
}

static off_t region_off(unsigned int i)
{
	return (off_t)RO_SIZE + (off_t)i * REGION;
}

struct job {
	kiln_task t;
	int fd;
	unsigned int i, rounds;
	uint64_t rng;
	uint8_t *rbuf, *wbuf;
	/* Results: plain fields, read by the root after kiln_sync. */
	unsigned long reads, writes, errors;
	char what[160];
};

static void job_fail(struct job *j, const char *what, long got, long want)
{
	if (!j->errors++)
		snprintf(j->what, sizeof(j->what), "task %u: %s: got %ld, "
		    "want %ld", j->i, what, got, want);
}

static void job_run(void *p)
{
	struct job *j = p;
	unsigned int r;

	for (r = 0; r < j->rounds; r++) {
		uint64_t x = stress_rand(&j->rng);
		off_t off = (off_t)(x % (RO_SIZE + MAX_READ / 2));
		size_t len = 1 + (size_t)((x >> 32) % MAX_READ), good;
		long want = off >= RO_SIZE ? 0 : (long)(RO_SIZE - off);
		ssize_t n;

		/* A random read of the read-only part; past its end lie the
		 * regions, so read only up to it. */
		if (want > (long)len)
			want = (long)len;
		n = kiln_read(j->fd, j->rbuf, (size_t)want, off);
		j->reads++;
		if (n != want) {
			job_fail(j, "read of the read-only part", (long)n,
			    want);
		} else if ((good = mismatch(j->rbuf, (size_t)n, RO_SEED,
		    (uint64_t)off)) != (size_t)n) {
			job_fail(j, "content of the read-only part, offset",
			    (long)(off + (off_t)good), -1);
		}

		/* Write this round's pattern over our region, read it back. */
		fill(j->wbuf, REGION, region_seed(j->i, r),
		    (uint64_t)region_off(j->i));
		n = kiln_write(j->fd, j->wbuf, REGION, region_off(j->i));
		j->writes++;
		if (n != REGION)
			job_fail(j, "write of the region", (long)n, REGION);
		if (r % 8 == 3) {
			int f = kiln_fsync(j->fd);

			if (f != 0)
				job_fail(j, "fsync", f, 0);
		}
		memset(j->rbuf, 0, REGION);
		n = kiln_read(j->fd, j->rbuf, REGION, region_off(j->i));
		j->reads++;
		if (n != REGION)
			job_fail(j, "read back of the region", (long)n, REGION);
		else if ((good = mismatch(j->rbuf, REGION, region_seed(j->i, r),
		    (uint64_t)region_off(j->i))) != REGION)
			job_fail(j, "content read back, byte", (long)good, -1);

		switch (x % 16) {
		case 0:
			kiln_sleep((x >> 8) % 2000000);
			break;
		case 1:
			kiln_yield();
			break;
		}
	}
}

struct run {
	struct job *jobs;
	unsigned int n;
};

static void root(void *p)
{
	struct run *run = p;
	unsigned int i;

	for (i = 0; i < run->n; i++)
		kiln_spawn(&run->jobs[i].t, job_run, &run->jobs[i]);
	for (i = run->n; i-- > 0;)
		kiln_sync(&run->jobs[i].t);
}

static void one_pass(const char *dir, unsigned int flags, unsigned long tasks,
    unsigned long rounds, unsigned long workers)
{
	struct kiln_options o = { .workers = (unsigned int)workers,
	    .flags = flags };
	/* The first pass is the default: io_uring, unless KILN_NO_URING=1. */
	const char *name = flags ? "KILN_OPT_NO_URING" : "default";
	struct job *jobs = calloc(tasks, sizeof(*jobs));
	size_t size = (size_t)region_off((unsigned int)tasks);
	uint8_t *all = malloc(size);
	struct kiln_stats st;
	struct run run = { jobs, (unsigned int)tasks };
	char path[256];
	kiln_pool *pool;
	unsigned long i, reads = 0, writes = 0;
	int fd, ret;

	if (!jobs || !all)
		stress_die("out of memory");
	snprintf(path, sizeof(path), "%s/file-%s", dir, name);
	fd = open(path, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		stress_die("%s: open %s failed", name, path);
	fill(all, RO_SIZE, RO_SEED, 0);
	memset(all + RO_SIZE, 0, size - RO_SIZE);
	if (pwrite(fd, all, size, 0) != (ssize_t)size)
		stress_die("%s: cannot write %s", name, path);
	for (i = 0; i < tasks; i++) {
		jobs[i].fd = fd;
		jobs[i].i = (unsigned int)i;
		jobs[i].rounds = (unsigned int)rounds;
		jobs[i].rng = 0x9e3779b97f4a7c15ull * (i + 1) + flags;
		jobs[i].rbuf = malloc(MAX_READ > REGION ? MAX_READ : REGION);
		jobs[i].wbuf = malloc(REGION);
		if (!jobs[i].rbuf || !jobs[i].wbuf)
			stress_die("out of memory");
	}
	ret = kiln_pool_create(&pool, &o);
	if (ret < 0)
		stress_die("%s: kiln_pool_create: %d", name, ret);
	ret = kiln_run(pool, root, &run);
	if (ret < 0)
		stress_die("%s: kiln_run: %d", name, ret);
	kiln_pool_stats(pool, &st);
	for (i = 0; i < tasks; i++) {
		if (jobs[i].errors)
			stress_fail("%s: %lu errors; first: %s", name,
			    jobs[i].errors, jobs[i].what);
		reads += jobs[i].reads;
		writes += jobs[i].writes;
	}
	if (reads + writes != tasks * rounds * 3)
		stress_fail("%s: %lu reads and %lu writes of %lu", name, reads,
		    writes, tasks * rounds * 3);
	if (st.io_submitted != st.io_completed || st.io_waiting)
		stress_fail("%s: io_submitted %llu, io_completed %llu", name,
		    (unsigned long long)st.io_submitted,
		    (unsigned long long)st.io_completed);
	if (st.io_submitted < reads + writes)
		stress_fail("%s: io_submitted %llu < %lu calls", name,
		    (unsigned long long)st.io_submitted, reads + writes);
	/* Only the fallback pass is sure to fall back; the ring pass does
	 * too under KILN_NO_URING=1, or where io_uring is unavailable. */
	if (flags && st.io_fallback != workers)
		stress_fail("%s: io_fallback %u of %lu workers", name,
		    st.io_fallback, workers);
	kiln_pool_destroy(pool);

	/* Every region holds its task's last round. */
	if (pread(fd, all, size, 0) != (ssize_t)size)
		stress_fail("%s: cannot read the file back", name);
	for (i = 0; i < tasks; i++) {
		size_t good = mismatch(all + region_off((unsigned int)i),
		    REGION, region_seed((unsigned int)i,
		    (unsigned int)rounds - 1),
		    (uint64_t)region_off((unsigned int)i));

		if (good != REGION) {
			stress_fail("%s: region %lu: wrong byte %zu in the file",
			    name, i, good);
			break;
		}
	}
	if (mismatch(all, RO_SIZE, RO_SEED, 0) != RO_SIZE)
		stress_fail("%s: the read-only part changed", name);
	printf("io-stress: %s: %lu tasks x %lu rounds on %lu workers "
	    "(%u without io_uring): %lu reads, %lu writes, %llu batches\n",
	    name, tasks, rounds, workers, st.io_fallback, reads, writes,
	    (unsigned long long)st.io_batches);
	for (i = 0; i < tasks; i++) {
		free(jobs[i].rbuf);
		free(jobs[i].wbuf);
	}
	free(jobs);
	free(all);
	close(fd);
	unlink(path);
}

int main(int argc, char **argv)
{
	unsigned long tasks = stress_arg(argc, argv, 1, 64);
	unsigned long rounds = stress_arg(argc, argv, 2, 24);
	unsigned long workers = stress_arg(argc, argv, 3, 2);
	const char *tmp = getenv("TMPDIR");
	char dir[256];

	stress_prog = "io-stress";
	snprintf(dir, sizeof(dir), "%s/kiln-io-stress.XXXXXX",
	    tmp && strlen(tmp) < 200 ? tmp : "/tmp");
	if (!mkdtemp(dir))
		stress_die("mkdtemp %s failed", dir);
	one_pass(dir, 0, tasks, rounds, workers);
	one_pass(dir, KILN_OPT_NO_URING, tasks, rounds, workers);
	rmdir(dir);
	return stress_exit();
}
