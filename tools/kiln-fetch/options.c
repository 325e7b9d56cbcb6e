/*
 * The command line.  Option names are curl's wherever curl has the
 * option, so that hands used to curl need nothing new; -i FILE (a list of
 * URLs) is wget's and aria2c's; the digest options are kiln-sum's
 * algorithms (tools/kiln-sum/hash.c).  Numbers, sizes, usage errors and
 * --version are tools/common's.  Used by main.c.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "options.h"
#include "tool.h"

#define MAX_PARALLEL 65535u

struct options opt = {
	.max_redirs = 50,
	.connect_ns = 300000000000ull,  /* curl's default: 300 s */
	.parallel_max = 50,
	.max_per_host = 6,
	.progress = -1,
};

static size_t cap_urls;

static void usage(void)
{
	fputs("Usage: kiln-fetch [options] URL...\n"
	    "       kiln-fetch [options] -i FILE [URL...]\n"
	    "Fetch many URLs at once over HTTP/1.1 (and TLS); print one line\n"
	    "per URL, in the order given: STATUS BYTES SECONDS URL.\n\n"
	    "  -i, --input-file FILE   URLs from FILE, one a line ('-': stdin)\n"
	    "  -L, --location          follow redirects\n"
	    "      --max-redirs N      at most N redirects (default 50)\n"
	    "      --retry N           retry transient failures N times\n"
	    "      --retry-delay SECS  wait SECS between retries\n"
	    "      --connect-timeout SECS  bound each connection's set-up\n"
	    "  -m, --max-time SECS     bound each URL's whole fetch\n"
	    "  -k, --insecure          do not verify TLS certificates\n"
	    "      --cacert FILE       trust the CA certificates in FILE\n"
	    "      --parallel-max N    at most N URLs at once (default 50)\n"
	    "      --max-per-host N    at most N connections per host "
	    "(default 6,\n"
	    "                          0: no limit)\n"
	    "  -O, --remote-name       save each body under its URL's file "
	    "name\n"
	    "  -o, --output FILE       save the body (one URL) in FILE\n"
	    "      --output-dir DIR    save files in DIR\n"
	    "      --create-dirs       create the directories needed\n"
	    "      --sha256            print 'DIGEST  URL' lines instead "
	    "(also\n"
	    "                          --sha1, --sha512, --md5, --blake2b,\n"
	    "                          --xxh128 if built with libxxhash)\n"
	    "      --progress, --no-progress  the progress line on stderr\n"
	    "  -s, --silent            no progress, summary or error "
	    "messages\n"
	    "  -S, --show-error        error messages even with -s\n"
	    "  -A, --user-agent NAME   send NAME as User-Agent\n"
	    "      --workers N         kiln worker threads (default: one per "
	    "CPU)\n"
	    "      --cpu-work PRE,POST hash PRE bytes before each request, "
	    "POST\n"
	    "                          after (benchmarks)\n"
	    "  -Z, --parallel, --parallel-immediate, -f, --fail, "
	    "--remote-name-all:\n"
	    "                          accepted for curl's sake (always so)\n"
	    "  -h, --help              this help\n"
	    "  -V, --version           the version\n"
	    "See kiln-fetch(1).\n", stdout);
}

/* Seconds, maybe with a fraction, as nanoseconds (0 stays 0). */
static uint64_t seconds(const char *s, const char *what)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno || !(v >= 0) || v > 1e9)
		tool_usage_error("%s must be a number of seconds, not '%s'",
		    what, s);
	return (uint64_t)llround(v * 1e9);
}

/* --cpu-work PRE,POST: two sizes (tools/common's rule). */
static void cpu_work(const char *s)
{
	const char *comma = strchr(s, ',');
	char *pre = comma ? strndup(s, (size_t)(comma - s)) : NULL;
	size_t most = (size_t)1 << 40;

	if (!comma || !pre || tool_parse_size(pre, 0, most,
	    &opt.cpu_before) < 0 || tool_parse_size(comma + 1, 0, most,
	    &opt.cpu_after) < 0)
		tool_usage_error("--cpu-work must be PRE,POST (sizes), not "
		    "'%s'", s);
	free(pre);
}

static void add_url(const char *u)
{
	if (opt.nurls == cap_urls) {
		cap_urls = cap_urls ? cap_urls * 2 : 64;
		opt.urls = xreallocarray(opt.urls, cap_urls, sizeof(*opt.urls));
	}
	opt.urls[opt.nurls++] = xstrdup(u);
}

/* -i: one URL a line; blank lines and '#' comments skipped. */
static void read_list(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *line = NULL, *s, *e;
	size_t cap = 0;

	if (f == stdin && opt.stdin_closed) {
		f = NULL;
		errno = EBADF;
	}
	if (!f) {
		fprintf(stderr, "%s: %s: %s\n", tool_name(), path,
		    strerror(errno));
		exit(26);
	}
	while (getline(&line, &cap, f) >= 0) {
		for (s = line; isspace((unsigned char)*s); s++)
			;
		for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]);)
			*--e = '\0';
		if (*s && *s != '#')
			add_url(s);
	}
	if (ferror(f)) {
		fprintf(stderr, "%s: %s: %s\n", tool_name(), path,
		    strerror(errno));
		exit(26);
	}
	free(line);
	if (f != stdin)
		fclose(f);
}

enum {
	O_MAX_REDIRS = 256, O_RETRY, O_RETRY_DELAY, O_CONNECT_TIMEOUT,
	O_CACERT, O_PARALLEL_MAX, O_PARALLEL_IMMEDIATE, O_MAX_PER_HOST,
	O_OUTPUT_DIR, O_CREATE_DIRS, O_REMOTE_NAME_ALL, O_PROGRESS,
	O_NO_PROGRESS, O_WORKERS, O_CPU_WORK,
	O_DIGEST,       /* O_DIGEST + i: --NAME of ks_algos[i] */
};

/* The options but the digests', which options_parse adds from kiln-sum's
 * table before --help and --version. */
static const struct option fixed_longopts[] = {
	/* What to fetch, and how far to follow it. */
	{ "input-file", required_argument, NULL, 'i' },
	{ "location", no_argument, NULL, 'L' },
	{ "max-redirs", required_argument, NULL, O_MAX_REDIRS },
	{ "user-agent", required_argument, NULL, 'A' },
	/* Failures: retries, time bounds, certificates. */
	{ "retry", required_argument, NULL, O_RETRY },
	{ "retry-delay", required_argument, NULL, O_RETRY_DELAY },
	{ "connect-timeout", required_argument, NULL, O_CONNECT_TIMEOUT },
	{ "max-time", required_argument, NULL, 'm' },
	{ "insecure", no_argument, NULL, 'k' },
	{ "cacert", required_argument, NULL, O_CACERT },
	/* How much at once. */
	{ "parallel", no_argument, NULL, 'Z' },
	{ "parallel-max", required_argument, NULL, O_PARALLEL_MAX },
	{ "parallel-immediate", no_argument, NULL, O_PARALLEL_IMMEDIATE },
	{ "max-per-host", required_argument, NULL, O_MAX_PER_HOST },
	{ "workers", required_argument, NULL, O_WORKERS },
	/* Where the bodies go. */
	{ "remote-name", no_argument, NULL, 'O' },
	{ "remote-name-all", no_argument, NULL, O_REMOTE_NAME_ALL },
	{ "output", required_argument, NULL, 'o' },
	{ "output-dir", required_argument, NULL, O_OUTPUT_DIR },
	{ "create-dirs", no_argument, NULL, O_CREATE_DIRS },
	/* What is said. */
	{ "progress", no_argument, NULL, O_PROGRESS },
	{ "no-progress", no_argument, NULL, O_NO_PROGRESS },
	{ "silent", no_argument, NULL, 's' },
	{ "show-error", no_argument, NULL, 'S' },
	{ "fail", no_argument, NULL, 'f' },
	/* Benchmarks. */
	{ "cpu-work", required_argument, NULL, O_CPU_WORK },
};

#define NFIXED (sizeof(fixed_longopts) / sizeof(fixed_longopts[0]))

static struct option *make_longopts(void)
{
	static const struct option tail[] = { TOOL_COMMON_LONGOPTS };
	struct option *o = xcalloc(NFIXED + ks_nalgos + 3, sizeof(*o));
	size_t i;

	memcpy(o, fixed_longopts, sizeof(fixed_longopts));
	for (i = 0; i < ks_nalgos; i++) {
		o[NFIXED + i].name = ks_algos[i].name;
		o[NFIXED + i].has_arg = no_argument;
		o[NFIXED + i].val = O_DIGEST + (int)i;
	}
	memcpy(o + NFIXED + ks_nalgos, tail, sizeof(tail));
	return o;
}

/* Options that take numbers; 0 if c is not one of them. */
static int value_option(int c, const char *arg)
{
	switch (c) {
	case O_MAX_REDIRS:
		opt.max_redirs = strcmp(arg, "-1") == 0 ? -1 :
		    (long)tool_number(arg, "--max-redirs", 0, 1000000);
		return 1;
	case O_RETRY:
		opt.retry = (unsigned int)tool_number(arg, "--retry", 0,
		    1000000);
		return 1;
	case O_RETRY_DELAY:
		opt.retry_delay_ns = seconds(arg, "--retry-delay");
		return 1;
	case O_CONNECT_TIMEOUT:
		opt.connect_ns = seconds(arg, "--connect-timeout");
		return 1;
	case 'm':
		opt.max_time_ns = seconds(arg, "--max-time");
		return 1;
	case O_PARALLEL_MAX:
		opt.parallel_max = (unsigned int)tool_number(arg,
		    "--parallel-max", 1, MAX_PARALLEL);
		return 1;
	case O_MAX_PER_HOST:
		opt.max_per_host = (unsigned int)tool_number(arg,
		    "--max-per-host", 0, MAX_PARALLEL);
		return 1;
	case O_WORKERS:
		opt.workers = tool_workers(arg);
		return 1;
	case O_CPU_WORK:
		cpu_work(arg);
		return 1;
	}
	return 0;
}

static int flag_option(int c, const char *arg)
{
	if (c >= O_DIGEST && (size_t)(c - O_DIGEST) < ks_nalgos) {
		opt.digest = ks_algos[c - O_DIGEST].name;
		return 1;
	}
	switch (c) {
	case 'L': opt.follow = 1; break;
	case 'k': opt.insecure = 1; break;
	case O_CACERT: opt.cacert = arg; break;
	case 'O': case O_REMOTE_NAME_ALL: opt.remote_name = 1; break;
	case 'o': opt.output = arg; break;
	case O_OUTPUT_DIR: opt.output_dir = arg; break;
	case O_CREATE_DIRS: opt.create_dirs = 1; break;
	case O_PROGRESS: opt.progress = 1; break;
	case O_NO_PROGRESS: opt.progress = 0; break;
	case 's': opt.silent = 1; break;
	case 'S': opt.show_error = 1; break;
	case 'A': opt.agent = arg; break;
	case 'i': read_list(arg); break;
	case 'Z': case O_PARALLEL_IMMEDIATE: case 'f': break;
	default: return 0;
	}
	return 1;
}

void options_parse(int argc, char **argv)
{
	struct option *longopts = make_longopts();
	int c;

	while ((c = getopt_long(argc, argv, "i:Lm:kOo:sSfA:ZhV", longopts,
	    NULL)) != -1)
		if (!value_option(c, optarg) && !flag_option(c, optarg))
			tool_common_option(c, usage);
	free(longopts);
	for (; optind < argc; optind++)
		add_url(argv[optind]);
	if (!opt.nurls)
		tool_usage_error("no URL given");
	if (opt.output && (opt.nurls != 1 || opt.remote_name))
		tool_usage_error("-o takes one URL, and not with -O");
	if (!opt.agent)
		opt.agent = "kiln-fetch/" PACKAGE_VERSION;
}

void options_free(void)
{
	size_t i;

	for (i = 0; i < opt.nurls; i++)
		free(opt.urls[i]);
	free(opt.urls);
}
