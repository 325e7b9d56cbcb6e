/*
 * Files: many concurrent reads of one file, writes to distinct regions
 * then fsync and read back, kiln_openat with O_CREAT and a mode, and
 * off = -1 (the file position) in kiln_read and kiln_write.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io-suite.h"

/* ------------------------------------------------------------------ */
/* Many concurrent reads at different offsets of one file.             */

#define RFILE (1024 * 1024 + 4093)
#define NREAD 512
#define MAXREAD (64 * 1024)
#define RSEED 11

struct rd {
	kiln_task t;
	int fd;
	off_t off;
	size_t len;
	ssize_t r;
	size_t good;    /* bytes that matched before the first that did not */
	uint8_t *buf;
};

static void reader(void *p)
{
	struct rd *r = p;

	r->r = kiln_read(r->fd, r->buf, r->len, r->off);
	r->good = r->r > 0 ? mismatch(r->buf, (size_t)r->r, RSEED,
	    (uint64_t)r->off) : 0;
}

struct reads {
	struct rd *rd;
	unsigned int n;
};

static void reads_root(void *p)
{
	struct reads *s = p;
	unsigned int i;

	for (i = 0; i < s->n; i++)
		kiln_spawn(&s->rd[i].t, reader, &s->rd[i]);
	/* Oldest first: out of order, so the scheduler's slow paths run. */
	for (i = 0; i < s->n; i++)
		kiln_sync(&s->rd[i].t);
}

Test(io, concurrent_reads_content_checked)
{
	struct reads s = { calloc(NREAD, sizeof(struct rd)), NREAD };
	uint64_t rng = 0x1234567;
	unsigned int i, bad = 0;
	int fd;

	cr_assert(not(eq(ptr, s.rd, NULL)));
	make_file("r", RFILE, RSEED);
	fd = openat(dir, "r", O_RDONLY | O_CLOEXEC);
	cr_assert(ge(int, fd, 0));
	for (i = 0; i < NREAD; i++) {
		struct rd *r = &s.rd[i];

		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		r->fd = fd;
		/* Some reads cross the end of the file, some start past it. */
		r->off = (off_t)(rng % (RFILE + MAXREAD / 2));
		r->len = 1 + (size_t)((rng >> 32) % MAXREAD);
		r->buf = malloc(r->len);
		cr_assert(not(eq(ptr, r->buf, NULL)));
	}
	run_on(pool, reads_root, &s);
	for (i = 0; i < NREAD; i++) {
		struct rd *r = &s.rd[i];
		long want = r->off >= RFILE ? 0 : (long)(RFILE - r->off);

		if (want > (long)r->len)
			want = (long)r->len;
		cr_expect(eq(long, (long)r->r, want),
		    "read %u: %zu bytes at %ld", i, r->len, (long)r->off);
		if (r->r > 0 && r->good != (size_t)r->r && bad++ < 5)
			cr_expect(eq(sz, r->good, (size_t)r->r),
			    "read %u: wrong byte at offset %ld", i,
			    (long)r->off + (long)r->good);
		free(r->buf);
	}
	cr_expect(eq(uint, bad, 0u), "%u reads returned wrong content", bad);
	close(fd);
	free(s.rd);
}

/* ------------------------------------------------------------------ */
/* Write to distinct regions, fsync, close, reopen, read back.         */

#define NWR 64
#define REGION (16 * 1024 + 7)
#define WSEED 23

struct wr {
	kiln_task t;
	int fd;
	unsigned int i;
	ssize_t w, r;
	size_t good;
	uint8_t *buf;
};

static void region_writer(void *p)
{
	struct wr *w = p;
	off_t off = (off_t)w->i * REGION;

	fill(w->buf, REGION, WSEED, (uint64_t)off);
	w->w = kiln_write(w->fd, w->buf, REGION, off);
}

static void region_reader(void *p)
{
	struct wr *w = p;
	off_t off = (off_t)w->i * REGION;

	memset(w->buf, 0, REGION);
	w->r = kiln_read(w->fd, w->buf, REGION, off);
	w->good = w->r > 0 ? mismatch(w->buf, (size_t)w->r, WSEED,
	    (uint64_t)off) : 0;
}

struct wfr {
	struct wr w[NWR];
	int fd, fd2, fsync_ret, close_ret, close2_ret;
	ssize_t eof;
	off_t size;
};

static void wfr_root(void *p)
{
	struct wfr *s = p;
	struct stat st;
	char c;
	int i;

	s->fd = kiln_openat(dir, "w", O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC,
	    0600);
	if (s->fd < 0)
		return;
	for (i = 0; i < NWR; i++) {
		s->w[i].fd = s->fd;
		kiln_spawn(&s->w[i].t, region_writer, &s->w[i]);
	}
	for (i = NWR - 1; i >= 0; i--)
		kiln_sync(&s->w[i].t);
	s->fsync_ret = kiln_fsync(s->fd);
	s->close_ret = kiln_close(s->fd);
	s->fd2 = kiln_openat(dir, "w", O_RDONLY | O_CLOEXEC, 0);
	if (s->fd2 < 0)
		return;
	for (i = 0; i < NWR; i++) {
		s->w[i].fd = s->fd2;
		kiln_spawn(&s->w[i].t, region_reader, &s->w[i]);
	}
	for (i = NWR - 1; i >= 0; i--)
		kiln_sync(&s->w[i].t);
	s->eof = kiln_read(s->fd2, &c, 1, (off_t)NWR * REGION);
	s->size = fstat(s->fd2, &st) == 0 ? st.st_size : -1;
	s->close2_ret = kiln_close(s->fd2);
}

Test(io, write_fsync_read_back)
{
	struct wfr *s = calloc(1, sizeof(*s));
	int i;

	cr_assert(not(eq(ptr, s, NULL)));
	for (i = 0; i < NWR; i++) {
		s->w[i].i = (unsigned int)i;
		s->w[i].buf = malloc(REGION);
		cr_assert(not(eq(ptr, s->w[i].buf, NULL)));
	}
	s->fd2 = -1;
	run_on(pool, wfr_root, s);
	cr_assert(ge(int, s->fd, 0), "kiln_openat O_CREAT: %d", s->fd);
	cr_expect(eq(int, s->fsync_ret, 0));
	cr_expect(eq(int, s->close_ret, 0));
	cr_assert(ge(int, s->fd2, 0), "kiln_openat O_RDONLY: %d", s->fd2);
	for (i = 0; i < NWR; i++) {
		cr_expect(eq(long, (long)s->w[i].w, (long)REGION),
		    "write %d", i);
		cr_expect(eq(long, (long)s->w[i].r, (long)REGION),
		    "read back %d", i);
		cr_expect(eq(sz, s->w[i].good, (size_t)REGION),
		    "region %d: wrong byte at %zu", i, s->w[i].good);
		free(s->w[i].buf);
	}
	cr_expect(eq(long, (long)s->eof, 0L), "a read at EOF returns 0");
	cr_expect(eq(long, (long)s->size, (long)NWR * REGION));
	cr_expect(eq(int, s->close2_ret, 0));
	free(s);
}

/* ------------------------------------------------------------------ */
/* kiln_openat with O_CREAT and a mode; kiln_close.                    */

struct opens {
	int fd, excl, fd2, rel, close_ret, close_again, still_open;
	mode_t mode, mode2;
	char abs[128];
};

static void opens_root(void *p)
{
	struct opens *o = p;
	struct stat st;

	o->fd = kiln_openat(dir, "m", O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC,
	    0640);
	o->excl = kiln_openat(dir, "m", O_CREAT | O_EXCL | O_WRONLY |
	    O_CLOEXEC, 0640);
	if (o->fd >= 0 && fstat(o->fd, &st) == 0)
		o->mode = st.st_mode & 07777;
	/* Absolute path, dirfd ignored; the umask applies to the mode. */
	o->fd2 = kiln_openat(AT_FDCWD, o->abs, O_CREAT | O_RDWR | O_CLOEXEC,
	    0666);
	if (o->fd2 >= 0 && fstat(o->fd2, &st) == 0)
		o->mode2 = st.st_mode & 07777;
	/* Relative to the current directory. */
	o->rel = kiln_openat(AT_FDCWD, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC, 0);
	if (o->fd >= 0) {
		o->close_ret = kiln_close(o->fd);
		o->still_open = fcntl(o->fd, F_GETFD) != -1;
		o->close_again = kiln_close(o->fd);
	}
	if (o->fd2 >= 0)
		kiln_close(o->fd2);
	if (o->rel >= 0)
		kiln_close(o->rel);
}

Test(io, openat_create_mode_and_close)
{
	struct opens o;

	memset(&o, 0, sizeof(o));
	snprintf(o.abs, sizeof(o.abs), "%s/m2", dirpath);
	umask(022);
	run_on(pool, opens_root, &o);
	cr_assert(ge(int, o.fd, 0), "kiln_openat: %d", o.fd);
	cr_expect(eq(int, o.excl, -EEXIST));
	cr_expect(eq(uint, (unsigned int)o.mode, 0640u));
	cr_expect(ge(int, o.fd2, 0));
	cr_expect(eq(uint, (unsigned int)o.mode2, 0644u), "umask not applied");
	cr_expect(ge(int, o.rel, 0));
	cr_expect(eq(int, o.close_ret, 0));
	cr_expect(eq(int, o.still_open, 0), "kiln_close left the fd open");
	cr_expect(eq(int, o.close_again, -EBADF));
}

/* ------------------------------------------------------------------ */
/* off = -1 in kiln_read and kiln_write: the file position.            */

struct posio {
	int fd;
	ssize_t r1, r2, w1, r3, pr;
	off_t pos1, pos2, pos3;
	char b1[4], b2[4], b3[8], b4[8];
};

static void posio_root(void *p)
{
	struct posio *s = p;

	/* The file holds "0123456789"; its position is 2. */
	s->r1 = kiln_read(s->fd, s->b1, 3, -1);
	s->r2 = kiln_read(s->fd, s->b2, 3, -1);
	s->pos1 = lseek(s->fd, 0, SEEK_CUR);
	/* A read at an offset leaves the position alone. */
	s->pr = kiln_read(s->fd, s->b4, 2, 0);
	s->pos2 = lseek(s->fd, 0, SEEK_CUR);
	s->w1 = kiln_write(s->fd, "ab", 2, -1);
	s->pos3 = lseek(s->fd, 0, SEEK_CUR);
	s->r3 = kiln_read(s->fd, s->b3, sizeof(s->b3), 0);
}

Test(io, offset_minus_one_uses_file_position)
{
	struct posio s;

	memset(&s, 0, sizeof(s));
	s.fd = openat(dir, "pos", O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	cr_assert(ge(int, s.fd, 0));
	cr_assert(eq(long, (long)write(s.fd, "0123456789", 10), 10L));
	cr_assert(eq(long, (long)lseek(s.fd, 2, SEEK_SET), 2L));
	run_on(pool, posio_root, &s);
	cr_expect(eq(long, (long)s.r1, 3L));
	cr_expect(eq(int, memcmp(s.b1, "234", 3), 0), "first read: %.3s",
	    s.b1);
	cr_expect(eq(long, (long)s.r2, 3L));
	cr_expect(eq(int, memcmp(s.b2, "567", 3), 0), "second read: %.3s",
	    s.b2);
	cr_expect(eq(long, (long)s.pos1, 8L));
	cr_expect(eq(long, (long)s.pr, 2L));
	cr_expect(eq(long, (long)s.pos2, 8L), "a read at offset 0 moved it");
	cr_expect(eq(long, (long)s.w1, 2L));
	cr_expect(eq(long, (long)s.pos3, 10L));
	cr_expect(eq(long, (long)s.r3, 8L));
	cr_expect(eq(int, memcmp(s.b3, "01234567", 8), 0));
	{
		char all[10];

		cr_expect(eq(long, (long)pread(s.fd, all, 10, 0), 10L));
		cr_expect(eq(int, memcmp(all, "01234567ab", 10), 0),
		    "file: %.10s", all);
	}
	close(s.fd);
}
