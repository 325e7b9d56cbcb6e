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

#include <kiln.h>

#include "conn.h"
#include "dns.h"
#include "fetch.h"
#include "options.h"
#include "report.h"
#include "sink.h"
#include "tls.h"
#include "tool.h"
#include "url.h"

static kiln_pool *pool;
static struct run run;

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

	if (opt.output)
		name = xstrdup(opt.output);
	else if (!opt.remote_name)
		return NULL;
	else if (!(name = url_remote_name(u))) {
		j->fail.kind = F_NONAME;
		return NULL;
	}
	if (!dir || name[0] == '/')
		return name;
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

int main(int argc, char **argv)
{
	struct kiln_options ko = { 0 };
	pthread_t thr;
	int dlen, r, status;

	tool_set_name("kiln-fetch");
	options_parse(argc, argv);
	if ((dlen = sink_setup(opt.digest, opt.cpu_before ||
	    opt.cpu_after)) < 0) {
		fprintf(stderr, "kiln-fetch: OpenSSL has no %s\n", opt.digest);
		return 2;
	}
	run.njobs = opt.nurls;
	run.jobs = make_jobs();
	if (fetch_setup(&run) < 0) {
		fputs("kiln-fetch: out of memory\n", stderr);
		return 1;
	}
	if (opt.create_dirs && create_dirs() < 0)
		return 23;
	if (needs_tls() && tls_setup(opt.cacert, opt.insecure) < 0 &&
	    !opt.follow)
		return 77;
	ko.workers = opt.workers;
	if ((r = kiln_pool_create(&pool, &ko)) < 0) {
		fprintf(stderr, "kiln-fetch: cannot create the pool: %s\n",
		    strerror(-r));
		return 1;
	}
	if (report_setup(run.jobs, run.njobs, (unsigned int)dlen) < 0 ||
	    (r = pthread_create(&thr, NULL, runner, NULL)) != 0) {
		fputs("kiln-fetch: cannot start\n", stderr);
		return 1;
	}
	status = report_all();
	pthread_join(thr, NULL);
	cleanup();
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "kiln-fetch: write error: %s\n",
		    strerror(errno));
		return 23;
	}
	return status;
}
