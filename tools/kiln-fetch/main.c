/*
 * kiln-fetch: download many URLs at once, one kiln task per URL in flight,
 * HTTP/1.1 over TCP and TLS.  See kiln-fetch(1).
 *
 * The files, by concern:
 *	options.c   the command line          url.c     URLs, redirects
 *	fetch.c     the engine (lanes, retries, redirects)
 *	conn.c      connection pools          dns.c     the DNS cache
 *	tls.c       OpenSSL over memory BIOs  http.c    one exchange
 *	parse.c     the response parser       sink.c    bodies to files
 *	report.c    ordered lines, progress, exit status
 *	park.c      waiting without a mutex   table.c   the shared tables
 *	budget.c    the descriptors free, and the wait when they run out
 * main() sets up, runs the engine on a runner thread while this thread
 * prints, and cleans up.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <kiln.h>

#include "budget.h"
#include "conn.h"
#include "dns.h"
#include "fds.h"
#include "fetch.h"
#include "options.h"
#include "report.h"
#include "sink.h"
#include "tls.h"
#include "tool.h"
#include "url.h"

static kiln_pool *pool;
static struct run run;
static unsigned int digest_len;         /* bytes; 0 without a digest */

/* mkdir -p: 0 or a negative errno. */
static int make_dirs(const char *path)
{
	char *p = strdup(path), *s;
	int r = 0;

	if (!p)
		return -ENOMEM;
	for (s = p + 1; r == 0; s++) {
		char c = *s;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (mkdir(p, 0777) < 0 && errno != EEXIST)
			r = -errno;
		if (!(*s = c))
			break;
	}
	free(p);
	return r;
}

/* Where the body of u goes (-o, -O and --output-dir), or NULL. */
static char *out_path(const char *u, struct job *j)
{
	const char *dir = opt.output_dir;
	char *name, *path;

	if (opt.output && strcmp(opt.output, SINK_STDOUT) == 0)
		return xstrdup(SINK_STDOUT);
	if (opt.output)
		name = xstrdup(opt.output);
	else if (!opt.remote_name)
		return NULL;
	else if (!(name = url_remote_name(u))) {
		j->fail.kind = F_NONAME;
		return NULL;
	}
	if (!dir || name[0] == '/') {
		/* A file named "-" is not the standard output. */
		if (strcmp(name, SINK_STDOUT) != 0)
			return name;
		dir = ".";
	}
	path = xmalloc(strlen(dir) + strlen(name) + 2);
	sprintf(path, "%s/%s", dir, name);
	free(name);
	return path;
}

static struct job *make_jobs(void)
{
	struct job *jobs = xcalloc(opt.nurls, sizeof(*jobs));
	size_t i;

	for (i = 0; i < opt.nurls; i++) {
		jobs[i].url = opt.urls[i];
		atomic_init(&jobs[i].done, 0);
		jobs[i].out = out_path(opt.urls[i], &jobs[i]);
	}
	return jobs;
}

/* --create-dirs: the directories the files go in. */
static int create_dirs(void)
{
	char *dir, *slash;
	int r = 0;

	if (opt.output_dir)
		r = make_dirs(opt.output_dir);
	if (!r && opt.output && (slash = strrchr(opt.output, '/')) &&
	    slash != opt.output) {
		if (!(dir = strndup(opt.output, (size_t)(slash - opt.output))))
			return -ENOMEM;
		r = make_dirs(dir);
		free(dir);
	}
	if (r < 0)
		fprintf(stderr, "kiln-fetch: cannot create directories: %s\n",
		    strerror(-r));
	return r;
}

static int needs_tls(void)
{
	size_t i;

	if (opt.follow)
		return 1;
	for (i = 0; i < opt.nurls; i++)
		if (strncasecmp(opt.urls[i], "https://", 8) == 0)
			return 1;
	return 0;
}

static void *runner(void *p)
{
	int r = kiln_run(pool, fetch_root, &run);
	size_t i;

	if (r < 0)      /* nothing ran: fail every URL */
		for (i = 0; i < run.njobs; i++) {
			run.jobs[i].fail.kind = F_CANCELED;
			report_done(&run.jobs[i]);
		}
	return p;
}

static void cleanup(void)
{
	size_t i;

	if (pool)
		kiln_pool_destroy(pool);
	conn_fini();
	dns_fini();
	fetch_cleanup(&run);
	report_cleanup();
	sink_cleanup();
	tls_cleanup();
	for (i = 0; run.jobs && i < run.njobs; i++)
		free(run.jobs[i].out);
	free(run.jobs);
	options_free();
}

/* "cannot start", with why; exit status 1. */
static int cannot_start(int err, unsigned int free_fds, unsigned int need)
{
	if (need)
		fprintf(stderr, "kiln-fetch: cannot start: too few file "
		    "descriptors (%u free, need %u)\n", free_fds, need);
	else if (err == -EMFILE || err == -ENFILE)
		fprintf(stderr, "kiln-fetch: cannot start: too few file "
		    "descriptors (%u free)\n", free_fds);
	else
		fprintf(stderr, "kiln-fetch: cannot start: %s\n",
		    strerror(-err));
	return 1;
}

/*
 * The pool, the printer's eventfd, and as many lanes as the descriptors
 * left allow (budget.c): 0, or the exit status.  at_start: the
 * descriptors free before.
 */
static int start(unsigned int at_start)
{
	struct kiln_options ko = { 0 };
	unsigned int want = opt.parallel_max, lanes, free_fds, need = 0;
	unsigned int per_lane = opt.output || opt.remote_name ? 2 : 1;
	int r;

	if ((r = report_setup(run.jobs, run.njobs, digest_len)) < 0)
		return cannot_start(r, at_start, 0);
	ko.workers = opt.workers;
	if ((r = tool_pool_create(&pool, &ko, per_lane, &need)) < 0)
		return cannot_start(r, at_start, need ? at_start + need : 0);
	if (want > run.njobs)
		want = (unsigned int)run.njobs;
	lanes = budget_lanes(want ? want : 1, per_lane, opt.max_per_host,
	    &free_fds, &need);
	if (!lanes)
		return cannot_start(-EMFILE, at_start,
		    at_start - free_fds + need);
	if (fetch_setup(&run, lanes) < 0) {
		fputs("kiln-fetch: out of memory\n", stderr);
		return 1;
	}
	return 0;
}

/* The end of the output: a closed standard output is an error, as for
 * coreutils. */
static int finish_output(int status, int stdout_closed)
{
	if (fflush(stdout) != 0 || ferror(stdout) ||
	    (stdout_closed && (errno = EBADF))) {
		fprintf(stderr, "kiln-fetch: write error: %s\n",
		    strerror(errno));
		return 23;
	}
	return status;
}

int main(int argc, char **argv)
{
	pthread_t thr;
	int closed[3], r, status;
	unsigned int at_start;

	tool_set_name("kiln-fetch", argv);
	if (tool_guard_std_fds(closed) < 0)
		return 1;
	at_start = tool_fds_free(64);
	opt.stdin_closed = closed[STDIN_FILENO];
	options_parse(argc, argv);
	if ((r = sink_setup(opt.digest, opt.cpu_before ||
	    opt.cpu_after)) < 0) {
		fprintf(stderr, "kiln-fetch: OpenSSL has no %s\n", opt.digest);
		return 2;
	}
	digest_len = (unsigned int)r;
	run.njobs = opt.nurls;
	run.jobs = make_jobs();
	if (opt.create_dirs && create_dirs() < 0)
		return 23;
	if (needs_tls() && tls_setup(opt.cacert, opt.insecure) < 0 &&
	    !opt.follow)
		return 77;
	if ((r = start(at_start)) != 0)
		return r;
	sink_catch_signals();
	if ((r = pthread_create(&thr, NULL, runner, NULL)) != 0) {
		sink_release_signals();
		return cannot_start(-r, at_start, 0);
	}
	status = report_all();
	pthread_join(thr, NULL);
	sink_release_signals();
	cleanup();
	return finish_output(status, closed[STDOUT_FILENO]);
}
