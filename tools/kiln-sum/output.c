/*
 * kiln-sum: printing in order (see output.h).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "line.h"
#include "output.h"
#include "progress.h"
#include "tool.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv;       /* on CLOCK_MONOTONIC */
static struct ks_item *waiting; /* under mu: what the printer waits for */

/* The printing thread's own state. */
static const struct ks_options *opt;
static int stdout_tty, status;
/* The counters of the -c list being printed. */
static struct {
	uintmax_t bad_lines, unreadable, mismatched;
	int formatted, matched;
} list;

int ks_output_init(void)
{
	pthread_condattr_t ca;
	int r;

	r = pthread_condattr_init(&ca);
	if (r)
		return -r;
	r = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (!r)
		r = pthread_cond_init(&cv, &ca);
	pthread_condattr_destroy(&ca);
	return -r;
}

void ks_output_fini(void)
{
	pthread_cond_destroy(&cv);
}

void ks_publish(struct ks_item *it)
{
	pthread_mutex_lock(&mu);
	/* Release: pairs with the printer's acquire load of done, which then
	 * reads err and digest. */
	atomic_store_explicit(&it->done, 1, memory_order_release);
	if (waiting == it)
		pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
}

/* Wait until a lane has published it, drawing progress meanwhile. */
static void wait_done(struct ks_item *it)
{
	uint64_t due;

	/* Acquire: pairs with the release store in ks_publish(). */
	if (atomic_load_explicit(&it->done, memory_order_acquire))
		return;
	fflush(stdout);
	pthread_mutex_lock(&mu);
	while (!atomic_load_explicit(&it->done, memory_order_acquire)) {
		waiting = it;
		due = ks_progress_due();
		if (due) {
			struct timespec ts = {
				.tv_sec = (time_t)(due / 1000000000u),
				.tv_nsec = (long)(due % 1000000000u),
			};

			if (pthread_cond_timedwait(&cv, &mu, &ts) ==
			    ETIMEDOUT) {
				pthread_mutex_unlock(&mu);
				ks_progress_tick();
				pthread_mutex_lock(&mu);
			}
		} else {
			pthread_cond_wait(&cv, &mu);
		}
	}
	waiting = NULL;
	pthread_mutex_unlock(&mu);
}

void ks_msg(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	ks_progress_erase();
	fprintf(stderr, "%s: ", tool_name());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	putc('\n', stderr);
}

/* "kiln-sum: NAME: strerror(err)", NAME quoted as coreutils does. */
static void msg_errno(const char *name, int err)
{
	char *q = ks_quote(name);

	ks_msg("%s: %s", q ? q : name, strerror(err));
	free(q);
}

/* A line on stdout is coming: the progress line goes first if both are
 * on the terminal. */
static void before_stdout(void)
{
	if (stdout_tty)
		ks_progress_erase();
}

static void print_sum(const struct ks_item *it)
{
	char hex[2 * KS_MAX_DIGEST + 1];
	int esc = !opt->zero && ks_needs_escape(it->name);

	before_stdout();
	ks_hex(hex, it->digest, it->len);
	if (esc)
		putchar('\\');
	if (opt->tag) {
		fputs(opt->algo->fmt.tag, stdout);
		if (it->len != opt->algo->size)
			printf("-%u", 8 * it->len);
		fputs(" (", stdout);
		ks_put_name(stdout, it->name, esc);
		printf(") = %s", hex);
	} else {
		printf("%s %c", hex, opt->binary > 0 ? '*' : ' ');
		ks_put_name(stdout, it->name, esc);
	}
	putchar(opt->zero ? '\0' : '\n');
}

/* One line of check mode: NAME: WHAT, the name escaped as coreutils does. */
static void verdict(const char *name, int esc, const char *what)
{
	before_stdout();
	if (esc)
		putchar('\\');
	ks_put_name(stdout, name, esc);
	printf(": %s\n", what);
}

static void print_check(const struct ks_item *it)
{
	/* coreutils 9.1 escapes a name in these lines only if it has a
	 * newline (then its backslashes and CRs too). */
	int esc = !opt->status_only && strchr(it->name, '\n');
	int match;

	list.formatted = 1;
	if (it->err == ENOENT && opt->ignore_missing)
		return;
	if (it->err) {
		msg_errno(it->name, it->err);
		list.unreadable++;
		status = 1;
		if (!opt->status_only)
			verdict(it->name, esc, "FAILED open or read");
		return;
	}
	match = ks_hex_equal(it->hex, it->digest, 2 * (size_t)it->len);
	if (match)
		list.matched = 1;
	else
		list.mismatched++;
	if (opt->status_only || (match && opt->quiet))
		return;
	verdict(it->name, esc, match ? "OK" : "FAILED");
}

/* "WARNING: N WHAT" if n, WHAT in the singular or plural. */
static void warn_count(uintmax_t n, const char *one, const char *many)
{
	if (n)
		ks_msg("WARNING: %ju %s", n, n == 1 ? one : many);
}

/* The end of a -c list: coreutils' warnings, and whether it passed. */
static void print_list_end(const struct ks_item *it)
{
	char *q = ks_quote(it->name);
	const char *name = q ? q : it->name;

	if (it->err) {
		/* Its lines so far were checked; no summary, as coreutils. */
		ks_msg("%s: read error", name);
		status = 1;
	} else if (!list.formatted) {
		ks_msg("%s: no properly formatted checksum lines found", name);
		status = 1;
	} else {
		if (!opt->status_only) {
			warn_count(list.bad_lines,
			    "line is improperly formatted",
			    "lines are improperly formatted");
			warn_count(list.unreadable,
			    "listed file could not be read",
			    "listed files could not be read");
			warn_count(list.mismatched,
			    "computed checksum did NOT match",
			    "computed checksums did NOT match");
			if (opt->ignore_missing && !list.matched)
				ks_msg("%s: no file was verified", name);
		}
		if (!list.matched || list.mismatched || list.unreadable ||
		    (opt->strict && list.bad_lines))
			status = 1;
	}
	free(q);
	memset(&list, 0, sizeof(list));
}

static void print_bad_line(const struct ks_item *it)
{
	char *q;

	list.bad_lines++;
	if (!opt->warn_lines)
		return;
	q = ks_quote(it->name);
	ks_msg("%s: %ju: improperly formatted %s checksum line",
	    q ? q : it->name, it->line, opt->algo->fmt.tag);
	free(q);
}

static void print_item(const struct ks_item *it)
{
	switch ((enum ks_kind)it->kind) {
	case KS_FILE:
	case KS_STDIN:
		if (opt->check) {
			print_check(it);
		} else if (it->err) {
			msg_errno(it->name, it->err);
			status = 1;
		} else {
			print_sum(it);
		}
		break;
	case KS_ERROR:
		msg_errno(it->name, it->err);
		status = 1;
		break;
	case KS_BADLINE:
		print_bad_line(it);
		break;
	case KS_LIST_ERR:
		msg_errno(it->name, it->err);
		status = 1;
		memset(&list, 0, sizeof(list));
		break;
	case KS_LIST_END:
		print_list_end(it);
		break;
	}
	ks_progress_tick();
}

int ks_print_items(struct ks_items *s, const struct ks_options *o)
{
	size_t k;

	opt = o;
	status = 0;
	stdout_tty = isatty(STDOUT_FILENO);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (k = 0; k < s->n; k++) {
		if (ks_item_hashed(&s->v[k]))
			wait_done(&s->v[k]);
		print_item(&s->v[k]);
	}
	ks_progress_erase();
	return status;
}
