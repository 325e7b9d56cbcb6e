/*
 * The printer, on the main thread: it waits for URL i, prints its line
 * (and its failure on stderr), then goes on with URL i+1, so the lines
 * come in the order given whatever order the URLs finish in.  It is the
 * only thread that writes to stdout and stderr during the run.
 *
 * A URL's task publishes its record by setting done; the printer, when
 * the URL it needs is not done, names it in awaited and sleeps in poll on
 * an eventfd (with a timeout when it draws the progress line), which the
 * task of that URL, and only that one, writes to.  So the printer wakes
 * about once per line it can print, not once per URL, and an eventfd
 * write is a non-blocking system call: no task ever blocks its worker to
 * hand a result over.  The progress counters are relaxed atomics: hints.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "line.h"
#include "options.h"
#include "parse.h"
#include "report.h"
#include "sink.h"
#include "tls.h"
#include "tool.h"

#define PROGRESS_MIN_URLS 8
#define PROGRESS_DELAY_MS 300
#define PROGRESS_TICK_MS 200

static struct job *jobs;
static size_t njobs;
static unsigned int dlen;
static int efd = -1;
static int progress, progress_shown, lines_tty;
static FILE *lines;                     /* where the lines go */
static uint64_t start_ns;
static _Atomic uint64_t bytes_in;
static _Atomic unsigned int in_flight;
static _Atomic size_t finished;
static _Atomic(struct job *) awaited;   /* the printer sleeps for it */

int report_setup(struct job *j, size_t n, unsigned int digest_len)
{
	jobs = j;
	njobs = n;
	dlen = digest_len;
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0)
		return -errno;
	progress = opt.progress > 0 || (opt.progress < 0 && !opt.silent &&
	    n >= PROGRESS_MIN_URLS && isatty(STDERR_FILENO));
	/* With -o -, the body is the standard output: the lines go to
	 * stderr. */
	lines = opt.output && strcmp(opt.output, SINK_STDOUT) == 0 ? stderr :
	    stdout;
	lines_tty = isatty(fileno(lines));
	start_ns = tool_now_ns();
	return 0;
}

void report_cleanup(void)
{
	if (efd >= 0)
		close(efd);
	efd = -1;
}

void report_started(struct job *j)
{
	/* Relaxed: a hint for the progress line. */
	atomic_fetch_add_explicit(&in_flight, 1, memory_order_relaxed);
}

void report_bytes(uint64_t n)
{
	atomic_fetch_add_explicit(&bytes_in, n, memory_order_relaxed);
}

void report_done(struct job *j)
{
	uint64_t one = 1;

	atomic_fetch_sub_explicit(&in_flight, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&finished, 1, memory_order_relaxed);
	/*
	 * Seq_cst, the store of done and the load of awaited here, the store
	 * of awaited and the load of done in wait_done: of two threads that
	 * each store then load, at least one sees the other's store, so
	 * either the printer sees done or we see it waiting and wake it.
	 * The store is also the release that publishes the record.
	 */
	atomic_store_explicit(&j->done, 1, memory_order_seq_cst);
	if (atomic_load_explicit(&awaited, memory_order_seq_cst) == j)
		(void)!write(efd, &one, sizeof(one));
}

static void progress_erase(void)
{
	if (progress_shown) {
		fputs("\r\033[K", stderr);
		progress_shown = 0;
	}
}

static void progress_draw(void)
{
	double mib = (double)atomic_load_explicit(&bytes_in,
	    memory_order_relaxed) / (1024 * 1024);
	double secs = (double)(tool_now_ns() - start_ns) * 1e-9;

	fprintf(stderr, "\rkiln-fetch: %zu/%zu URLs, %.1f MiB, %.1f MiB/s, "
	    "%u in flight\033[K",
	    atomic_load_explicit(&finished, memory_order_relaxed), njobs, mib,
	    secs > 0 ? mib / secs : 0,
	    atomic_load_explicit(&in_flight, memory_order_relaxed));
	fflush(stderr);
	progress_shown = 1;
}

static void wait_done(struct job *j)
{
	uint64_t v;

	/* Acquire: pairs with the store in report_done (and in the loop,
	 * seq_cst: see there). */
	if (atomic_load_explicit(&j->done, memory_order_acquire))
		return;
	atomic_store_explicit(&awaited, j, memory_order_seq_cst);
	while (!atomic_load_explicit(&j->done, memory_order_seq_cst)) {
		struct pollfd p = { .fd = efd, .events = POLLIN };
		int ms = -1;

		if (progress) {
			uint64_t age = (tool_now_ns() - start_ns) / 1000000;

			ms = age < PROGRESS_DELAY_MS ?
			    (int)(PROGRESS_DELAY_MS - age) : PROGRESS_TICK_MS;
			fflush(lines);
		}
		if (poll(&p, 1, ms) == 0 && progress)
			progress_draw();
		(void)!read(efd, &v, sizeof(v));
	}
	/* Relaxed: only the printer writes it; a task that still sees j
	 * makes one needless write, which the next wait empties. */
	atomic_store_explicit(&awaited, NULL, memory_order_relaxed);
}

/* Each kind of failure: curl's exit code for it, and what it says. */
static const struct {
	int code;
	const char *what;
} reasons[] = {
	[F_NONE] = { 0, "no error" },
	[F_URL] = { 3, "malformed URL" },
	[F_SCHEME] = { 1, "unsupported protocol (http and https only)" },
	[F_NONAME] = { 23, "no file name in the URL for -O" },
	[F_DNS] = { 6, "cannot resolve the host name" },
	[F_CONNECT] = { 7, "cannot connect" },
	[F_TLS] = { 35, "TLS handshake failed" },
	[F_VERIFY] = { 60, "certificate verification failed" },
	[F_TIMEOUT] = { 28, "timed out" },
	[F_SEND] = { 55, "send failed" },
	[F_RECV] = { 56, "receive failed" },
	[F_EMPTY] = { 52, "empty reply from server" },
	[F_PROTO] = { 8, "malformed response" },
	[F_PARTIAL] = { 18, "the body ended early" },
	[F_REDIRS] = { 47, "too many redirects" },
	[F_HTTP] = { 22, "HTTP status" },
	[F_WRITE] = { 23, "cannot write the file" },
	[F_NOMEM] = { 27, "out of memory" },
	[F_CANCELED] = { 1, "cancelled" },
};

/* The specifics of f, into e ("" if none). */
static void detail(const struct failure *f, char *e, size_t len)
{
	e[0] = '\0';
	switch (f->kind) {
	case F_DNS:
		snprintf(e, len, "%s", gai_strerror(f->err));
		break;
	case F_TLS:
	case F_RECV:
		if (f->detail)
			tls_strerror(f->detail, e, len);
		else
			snprintf(e, len, "%s", f->err == -EPROTO ?
			    "the connection was closed" : strerror(-f->err));
		break;
	case F_VERIFY:
		snprintf(e, len, "%s", tls_verify_string(f->err));
		break;
	case F_CONNECT:
	case F_SEND:
	case F_WRITE:
		snprintf(e, len, "%s", strerror(-f->err));
		break;
	case F_PROTO:
		snprintf(e, len, "%s", f->err >= 0 ? rp_strerror(f->err) :
		    strerror(-f->err));
		break;
	case F_REDIRS:
		snprintf(e, len, "more than %d", f->err);
		break;
	case F_HTTP:
		snprintf(e, len, "%d%s", f->err, f->detail ?
		    " (a redirect without a Location)" :
		    f->err / 100 == 3 && !opt.follow ?
		    " (redirect not followed: -L follows)" : "");
		break;
	default:
		break;
	}
}

/* The reason for a failure, and curl's exit code for it. */
static int describe(const struct failure *f, char *buf, size_t len)
{
	char e[256];

	detail(f, e, sizeof(e));
	snprintf(buf, len, "%s%s%s", reasons[f->kind].what, !e[0] ? "" :
	    f->kind == F_HTTP ? " " : ": ", e);
	return reasons[f->kind].code;
}

/* A URL in a line or a message: its control characters (a CR from a
 * list, say) percent-encoded, so that it stays on its line. */
static void put_url(FILE *f, const char *u)
{
	for (; *u; u++)
		if ((unsigned char)*u < 0x20 || *u == 0x7f)
			fprintf(f, "%%%02X", (unsigned int)(unsigned char)*u);
		else
			putc(*u, f);
}

static void print_job(const struct job *j, const char *what)
{
	char hex[2 * MAX_DIGEST + 1];
	int esc;

	if (lines_tty)
		progress_erase();
	if (!opt.digest) {
		fprintf(lines, "%03u %" PRIu64 " %.3f ", j->status, j->bytes,
		    (double)j->ns * 1e-9);
		put_url(lines, j->url);
		putc('\n', lines);
	} else if (j->fail.kind == F_NONE) {
		/* sha256sum's line, the name escaped as it escapes it. */
		ks_hex(hex, j->digest, dlen);
		esc = ks_needs_escape(j->url);
		fprintf(lines, "%s%s  ", esc ? "\\" : "", hex);
		ks_put_name(lines, j->url, esc);
		putc('\n', lines);
	}
	if (j->fail.kind != F_NONE && (!opt.silent || opt.show_error)) {
		fflush(lines);
		progress_erase();
		fputs("kiln-fetch: ", stderr);
		put_url(stderr, j->url);
		fprintf(stderr, ": %s\n", what);
	}
}

int report_all(void)
{
	char what[512];
	size_t failed = 0, i;
	int status = 0, http = 0, code;

	for (i = 0; i < njobs; i++) {
		wait_done(&jobs[i]);
		code = describe(&jobs[i].fail, what, sizeof(what));
		print_job(&jobs[i], what);
		if (!code)
			continue;
		failed++;
		if (code == 22)
			http = 1;
		else if (!status)
			status = code;
	}
	fflush(lines);
	progress_erase();
	if (!opt.silent) {
		fprintf(stderr, "Downloaded %zu URL%s in %.2f s", njobs - failed,
		    njobs - failed == 1 ? "" : "s",
		    (double)(tool_now_ns() - start_ns) * 1e-9);
		if (failed)
			fprintf(stderr, ", %zu failed", failed);
		fputc('\n', stderr);
	}
	return status ? status : http ? 22 : 0;
}
