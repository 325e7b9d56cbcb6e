/*
 * The command line.  Option names are curl's wherever curl has the
 * option, so that hands used to curl need nothing new; -i FILE (a list of
 * URLs) is wget's and aria2c's.  Used by main.c.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kiln.h>

#include "options.h"

#define MAX_PARALLEL 65535u

struct options opt = {
	.max_redirs = 50,
	.connect_ns = 300000000000ull,  /* curl's default: 300 s */
	.parallel_max = 50,
	.max_per_host = 6,
	.progress = -1,
};

static size_t cap_urls;

static void usage(FILE *f)
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
	    "                          --sha1, --sha512, --md5, --blake2b)\n"
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
	    "See kiln-fetch(1).\n", f);
}

static void __attribute__((noreturn)) usage_error(const char *fmt,
    const char *arg)
{
	fputs("kiln-fetch: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\nTry 'kiln-fetch --help' for more information.\n", stderr);
	exit(2);
}

static unsigned long number(const char *s, const char *what,
    unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!isdigit((unsigned char)*s) || *end || errno || v > max)
		usage_error(what, s);
	return v;
}

/* Seconds, maybe with a fraction, as nanoseconds (0 stays 0). */
static uint64_t seconds(const char *s, const char *what)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno || !(v >= 0) || v > 1e9)
		usage_error(what, s);
	return (uint64_t)llround(v * 1e9);
}

static size_t bytes(const char *s, char **end, const char *what,
    const char *arg)
{
	unsigned long long v;

	errno = 0;
	v = strtoull(s, end, 10);
	if (!isdigit((unsigned char)*s) || errno)
		usage_error(what, arg);
	switch (**end) {
	case 'k': case 'K': v <<= 10; ++*end; break;
	case 'm': case 'M': v <<= 20; ++*end; break;
	}
	if (v > (1ull << 40))
		usage_error(what, arg);
	return (size_t)v;
}

static void cpu_work(const char *s)
{
	char *end;

	opt.cpu_before = bytes(s, &end, "invalid --cpu-work: '%s'", s);
	if (*end != ',')
		usage_error("invalid --cpu-work: '%s' (PRE,POST)", s);
	opt.cpu_after = bytes(end + 1, &end, "invalid --cpu-work: '%s'", s);
	if (*end)
		usage_error("invalid --cpu-work: '%s'", s);
}

static void add_url(char *u)
{
	if (opt.nurls == cap_urls) {
		size_t cap = cap_urls ? cap_urls * 2 : 64;
		char **v = realloc(opt.urls, cap * sizeof(*v));

		if (!v) {
			fputs("kiln-fetch: out of memory\n", stderr);
			exit(27);
		}
		opt.urls = v;
		cap_urls = cap;
	}
	if (!(opt.urls[opt.nurls++] = strdup(u))) {
		fputs("kiln-fetch: out of memory\n", stderr);
		exit(27);
	}
}

/* -i: one URL a line; blank lines and '#' comments skipped. */
static void read_list(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *line = NULL, *s, *e;
	size_t cap = 0;

	if (!f) {
		fprintf(stderr, "kiln-fetch: %s: %s\n", path, strerror(errno));
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
		fprintf(stderr, "kiln-fetch: %s: %s\n", path, strerror(errno));
		exit(26);
	}
	free(line);
	if (f != stdin)
		fclose(f);
}

enum {
	O_MAX_REDIRS = 256, O_RETRY, O_RETRY_DELAY, O_CONNECT_TIMEOUT,
	O_CACERT, O_PARALLEL_MAX, O_PARALLEL_IMMEDIATE, O_MAX_PER_HOST,
	O_OUTPUT_DIR, O_CREATE_DIRS, O_REMOTE_NAME_ALL, O_SHA256, O_SHA1,
	O_SHA512, O_MD5, O_BLAKE2B, O_PROGRESS, O_NO_PROGRESS, O_WORKERS,
	O_CPU_WORK,
};

static const struct option longopts[] = {
	{ "input-file", required_argument, NULL, 'i' },
	{ "location", no_argument, NULL, 'L' },
	{ "max-redirs", required_argument, NULL, O_MAX_REDIRS },
	{ "retry", required_argument, NULL, O_RETRY },
	{ "retry-delay", required_argument, NULL, O_RETRY_DELAY },
	{ "connect-timeout", required_argument, NULL, O_CONNECT_TIMEOUT },
	{ "max-time", required_argument, NULL, 'm' },
	{ "insecure", no_argument, NULL, 'k' },
	{ "cacert", required_argument, NULL, O_CACERT },
	{ "parallel", no_argument, NULL, 'Z' },
	{ "parallel-max", required_argument, NULL, O_PARALLEL_MAX },
	{ "parallel-immediate", no_argument, NULL, O_PARALLEL_IMMEDIATE },
	{ "max-per-host", required_argument, NULL, O_MAX_PER_HOST },
	{ "remote-name", no_argument, NULL, 'O' },
	{ "remote-name-all", no_argument, NULL, O_REMOTE_NAME_ALL },
	{ "output", required_argument, NULL, 'o' },
	{ "output-dir", required_argument, NULL, O_OUTPUT_DIR },
	{ "create-dirs", no_argument, NULL, O_CREATE_DIRS },
	{ "sha256", no_argument, NULL, O_SHA256 },
	{ "sha1", no_argument, NULL, O_SHA1 },
	{ "sha512", no_argument, NULL, O_SHA512 },
	{ "md5", no_argument, NULL, O_MD5 },
	{ "blake2b", no_argument, NULL, O_BLAKE2B },
	{ "progress", no_argument, NULL, O_PROGRESS },
	{ "no-progress", no_argument, NULL, O_NO_PROGRESS },
	{ "silent", no_argument, NULL, 's' },
	{ "show-error", no_argument, NULL, 'S' },
	{ "fail", no_argument, NULL, 'f' },
	{ "user-agent", required_argument, NULL, 'A' },
	{ "workers", required_argument, NULL, O_WORKERS },
	{ "cpu-work", required_argument, NULL, O_CPU_WORK },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* Options that take numbers and names; 0 if c is not one of them. */
static int value_option(int c, const char *arg)
{
	switch (c) {
	case O_MAX_REDIRS:
		opt.max_redirs = strcmp(arg, "-1") == 0 ? -1 :
		    (long)number(arg, "invalid --max-redirs: '%s'", 1000000);
		return 1;
	case O_RETRY:
		opt.retry = (unsigned int)number(arg, "invalid --retry: '%s'",
		    1000000);
		return 1;
	case O_RETRY_DELAY:
		opt.retry_delay_ns = seconds(arg, "invalid --retry-delay: '%s'");
		return 1;
	case O_CONNECT_TIMEOUT:
		opt.connect_ns = seconds(arg, "invalid --connect-timeout: '%s'");
		return 1;
	case 'm':
		opt.max_time_ns = seconds(arg, "invalid --max-time: '%s'");
		return 1;
	case O_PARALLEL_MAX:
		opt.parallel_max = (unsigned int)number(arg,
		    "invalid --parallel-max: '%s'", MAX_PARALLEL);
		if (!opt.parallel_max)
			usage_error("invalid --parallel-max: '%s'", arg);
		return 1;
	case O_MAX_PER_HOST:
		opt.max_per_host = (unsigned int)number(arg,
		    "invalid --max-per-host: '%s'", MAX_PARALLEL);
		return 1;
	case O_WORKERS:
		opt.workers = (unsigned int)number(arg,
		    "invalid --workers: '%s'", 4096);
		return 1;
	case O_CPU_WORK:
		cpu_work(arg);
		return 1;
	}
	return 0;
}

static int flag_option(int c, const char *arg)
{
	static const char *const digests[] = {
		[O_SHA256 - O_SHA256] = "SHA256", [O_SHA1 - O_SHA256] = "SHA1",
		[O_SHA512 - O_SHA256] = "SHA512", [O_MD5 - O_SHA256] = "MD5",
		[O_BLAKE2B - O_SHA256] = "BLAKE2B-512",
	};

	switch (c) {
	case 'L': opt.follow = 1; break;
	case 'k': opt.insecure = 1; break;
	case O_CACERT: opt.cacert = arg; break;
	case 'O': case O_REMOTE_NAME_ALL: opt.remote_name = 1; break;
	case 'o': opt.output = arg; break;
	case O_OUTPUT_DIR: opt.output_dir = arg; break;
	case O_CREATE_DIRS: opt.create_dirs = 1; break;
	case O_SHA256: case O_SHA1: case O_SHA512: case O_MD5: case O_BLAKE2B:
		opt.digest = digests[c - O_SHA256];
		break;
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
	int c;

	while ((c = getopt_long(argc, argv, "i:Lm:kOo:sSfA:ZhV", longopts,
	    NULL)) != -1) {
		if (value_option(c, optarg) || flag_option(c, optarg))
			continue;
		if (c == 'h') {
			usage(stdout);
			exit(0);
		}
		if (c == 'V') {
			printf("kiln-fetch (kiln) %d.%d.%d\n",
			    KILN_VERSION_MAJOR, KILN_VERSION_MINOR,
			    KILN_VERSION_PATCH);
			exit(0);
		}
		fputs("Try 'kiln-fetch --help' for more information.\n",
		    stderr);
		exit(2);
	}
	for (; optind < argc; optind++)
		add_url(argv[optind]);
	if (!opt.nurls)
		usage_error("%s", "no URL given");
	if (opt.output && (opt.nurls != 1 || opt.remote_name))
		usage_error("%s", "-o takes one URL, and not with -O");
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
