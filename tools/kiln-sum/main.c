/*
 * kiln-sum: checksums of many files, in coreutils' formats, with reads
 * through kiln's per-worker io_uring overlapping the hashing on every core.
 * Uses only <kiln.h> from kiln; hashes with OpenSSL's libcrypto (and
 * libxxhash for xxh128).
 *
 * The parts, by concern:
 *	main.c      the options (struct ks_options) and main
 *	items.c     what to hash and print, in order: operands, -r, -c lists
 *	lanes.c     the tasks that read and hash: where kiln is used
 *	hash.c      the algorithms and hashers (blake2b.c: short BLAKE2b)
 *	output.c    printing in order, messages; progress.c, the progress line
 *	line.c      the text of checksum lines: parsing, escaping, quoting
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kiln.h>

#include "fds.h"
#include "hash.h"
#include "items.h"
#include "lanes.h"
#include "options.h"
#include "output.h"
#include "progress.h"
#include "tool.h"

#define DEFAULT_BLOCK (1024u * 1024)
#define MIN_BLOCK (4u * 1024)
#define MAX_BLOCK (64u * 1024 * 1024)
/* --progress by default: stderr a terminal and at least this much. */
#define PROGRESS_MIN_TOTAL (256ull * 1024 * 1024)

enum {
	OPT_PROGRESS = 256, OPT_NO_PROGRESS, OPT_TAG, OPT_BINARY, OPT_TEXT,
	OPT_QUIET, OPT_STATUS, OPT_STRICT, OPT_WARN, OPT_IGNORE_MISSING,
};

static const struct option longopts[] = {
	{ "algorithm", required_argument, NULL, 'a' },
	{ "block-size", required_argument, NULL, 'b' },
	{ "length", required_argument, NULL, 'l' },
	{ "check", no_argument, NULL, 'c' },
	{ "recursive", no_argument, NULL, 'r' },
	TOOL_WORKERS_LONGOPT,
	{ "zero", no_argument, NULL, 'z' },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "tag", no_argument, NULL, OPT_TAG },
	{ "binary", no_argument, NULL, OPT_BINARY },
	{ "text", no_argument, NULL, OPT_TEXT },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "status", no_argument, NULL, OPT_STATUS },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "warn", no_argument, NULL, OPT_WARN },
	{ "ignore-missing", no_argument, NULL, OPT_IGNORE_MISSING },
	TOOL_COMMON_LONGOPTS,
};

static void usage(void)
{
	size_t i;

	printf("usage: %s [-chrV] [-a algorithm] [-b blocksize] [-l bits] [-w workers]\n"
	    "       [--progress] [--tag] [-z] [FILE...]\n"
	    "Print or check checksums of files in coreutils' formats, reading\n"
	    "through io_uring while other cores hash.  With no FILE, or when\n"
	    "FILE is -, read standard input.\n\n"
	    "  -a, --algorithm=ALGO  ", tool_name());
	for (i = 0; i < ks_nalgos; i++)
		printf("%s%s", i ? ", " : "", ks_algos[i].name);
	printf(" (sha256)\n"
	    "  -b, --block-size=SIZE read SIZE bytes at a time; K, M suffixes\n"
	    "                        (1M; from 4K to 64M)\n"
	    "  -c, --check           read checksums from the FILEs and check them\n"
	    "  -l, --length=BITS     blake2b only: digest length, a multiple of 8\n"
	    "                        from 8 to 512 (512)\n"
	    "  -r, --recursive       hash the regular files under directories\n"
	    "  -w, --workers=N       worker threads (default: one per CPU)\n"
	    "      --progress        show bytes done, rate and time left on stderr\n"
	    "                        (default when stderr is a terminal and the\n"
	    "                        files are large)\n"
	    "      --no-progress     never show it\n"
	    "      --tag             create a BSD-style checksum\n"
	    "      --binary, --text  mark names with '*' or ' ' (no difference)\n"
	    "  -z, --zero            end each output line with NUL, not newline,\n"
	    "                        and disable file name escaping\n"
	    "\nWhen checking:\n"
	    "      --ignore-missing  don't fail or report status for missing files\n"
	    "      --quiet           don't print OK for each verified file\n"
	    "      --status          don't output anything, exit status tells\n"
	    "      --strict          exit non-zero for improperly formatted lines\n"
	    "      --warn            warn about improperly formatted lines\n"
	    "\n  -h, --help            print this help and exit\n"
	    "  -V, --version         print the version and exit\n");
}

/* -l BITS: the digest length in bits, 8 to 512 (for blake2b only: see
 * check_modes). */
static unsigned long parse_length(const char *arg)
{
	unsigned long bits = tool_number(arg, "length", 8, 512);

	if (bits % 8)
		tool_usage_error("length '%s' is not a multiple of 8", arg);
	return bits;
}

/* The options that only set a field; 0 if c is none of them. */
static int set_flag(struct ks_options *o, int c)
{
	switch (c) {
	case 'c': o->check = 1; break;
	case 'r': o->recursive = 1; break;
	case 'z': o->zero = 1; break;
	case OPT_PROGRESS: o->progress = 1; break;
	case OPT_NO_PROGRESS: o->progress = 0; break;
	case OPT_TAG: o->tag = 1; break;
	case OPT_BINARY: o->binary = 1; break;
	case OPT_TEXT: o->binary = 0; break;
	case OPT_STRICT: o->strict = 1; break;
	case OPT_IGNORE_MISSING: o->ignore_missing = 1; break;
	/* The last of --quiet, --status and --warn wins, as in coreutils. */
	case OPT_QUIET:
		o->status_only = o->warn_lines = 0;
		o->quiet = 1;
		break;
	case OPT_STATUS:
		o->quiet = o->warn_lines = 0;
		o->status_only = 1;
		break;
	case OPT_WARN:
		o->status_only = o->quiet = 0;
		o->warn_lines = 1;
		break;
	default:
		return 0;
	}
	return 1;
}

/* Options that make no sense together, or in this mode; bits is 0 if -l
 * was not given. */
static void check_modes(const struct ks_options *o, unsigned long bits)
{
	const char *only;

	if (bits && !o->algo->fmt.blake2)
		tool_usage_error("--length is only supported with "
		    "--algorithm=blake2b");
	if (o->tag && o->binary == 0)
		tool_usage_error("--tag does not support --text mode");
	if (o->check) {
		if (o->zero)
			tool_usage_error("the --zero option is not supported "
			    "when verifying checksums");
		if (o->tag)
			tool_usage_error("the --tag option is meaningless "
			    "when verifying checksums");
		if (o->binary >= 0)
			tool_usage_error("the --binary and --text options "
			    "are meaningless when verifying checksums");
		if (o->recursive)
			tool_usage_error("the --recursive option is "
			    "meaningless when verifying checksums");
		return;
	}
	only = o->ignore_missing ? "--ignore-missing" :
	    o->status_only ? "--status" : o->warn_lines ? "--warn" :
	    o->quiet ? "--quiet" : o->strict ? "--strict" : NULL;
	if (only)
		tool_usage_error("the %s option is meaningful only when "
		    "verifying checksums", only);
}

/* Fills *o from the command line; exits on a usage error, --help and
 * --version.  Returns the index of the first operand. */
static int parse_options(struct ks_options *o, int argc, char **argv)
{
	unsigned long bits = 0;
	int c;

	o->algo = &ks_algos[0];
	o->block_size = DEFAULT_BLOCK;
	o->progress = -1;
	o->binary = -1;
	while ((c = getopt_long(argc, argv, "a:b:cl:rw:zhV", longopts,
	    NULL)) != -1) {
		if (set_flag(o, c))
			continue;
		switch (c) {
		case 'a':
			o->algo = ks_algo_find(optarg);
			if (!o->algo)
				tool_usage_error("unknown algorithm '%s' (see "
				    "--help)", optarg);
			break;
		case 'b':
			if (tool_parse_size(optarg, MIN_BLOCK, MAX_BLOCK,
			    &o->block_size) < 0)
				tool_usage_error("block size must be from 4K "
				    "to 64M (a number of bytes, or with a K or "
				    "M suffix), not '%s'", optarg);
			break;
		case 'l':
			bits = parse_length(optarg);
			break;
		case 'w':
			o->pool.workers = tool_workers(optarg);
			break;
		default:
			tool_common_option(c, usage);
		}
	}
	check_modes(o, bits);
	o->digest_len = bits ? (unsigned int)bits / 8 : o->algo->size;
	return optind;
}

/* Measure the files if the progress line or the lanes' order needs it,
 * and decide whether to show the line; then start its clock. */
static void start_progress(struct ks_items *items, const struct ks_options *o,
    unsigned int workers)
{
	int want = o->progress > 0 || (o->progress < 0 &&
	    isatty(STDERR_FILENO));
	int on = o->progress;

	if (want || workers > 1)
		ks_items_measure(items, o, want);
	if (on < 0)
		on = want && items->total_bytes >= PROGRESS_MIN_TOTAL;
	ks_progress_start(on, items->total_bytes, items->total_known);
}

/* Hash and print everything on pool: the exit status. */
static int run(kiln_pool *pool, struct ks_items *items,
    const struct ks_options *o, const struct ks_hash *hash)
{
	struct ks_lanes *lanes;
	struct kiln_stats st;
	int status, r;

	kiln_pool_stats(pool, &st);
	start_progress(items, o, st.workers);
	r = ks_output_init();
	if (r == 0)
		r = ks_lanes_start(&lanes, pool, items, o, hash);
	if (r < 0) {
		ks_msg("cannot start hashing: %s", strerror(-r));
		return 1;
	}
	status = ks_print_items(items, o);
	r = ks_lanes_finish(lanes);
	if (r < 0)
		ks_msg("cannot run the tasks: %s", strerror(-r));
	ks_output_fini();
	return status;
}

/* The end of output: what coreutils says of closed or failing streams. */
static int finish_output(const struct ks_options *o, int read_stdin,
    int status)
{
	if (o->closed_fd[STDIN_FILENO] && read_stdin) {
		/* As coreutils, whose fclose(stdin) fails then. */
		ks_msg("standard input: %s", strerror(EBADF));
		status = 1;
	}
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0 ||
	    (o->closed_fd[STDOUT_FILENO] && (errno = EBADF))) {
		fprintf(stderr, "%s: write error: %s\n", tool_name(),
		    strerror(errno));
		return 1;
	}
	return status;
}

/* Would the run read standard input, as a file or as a list? */
static int reads_stdin(const struct ks_items *items)
{
	size_t k;

	if (items->stdin_list)
		return 1;
	for (k = 0; k < items->n; k++)
		if (items->v[k].kind == KS_STDIN)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	struct ks_options o = { 0 };
	struct ks_items items = { 0 };
	struct ks_hash hash;
	kiln_pool *pool;
	int first, r, status;

	tool_set_name("kiln-sum", argv);
	setlocale(LC_ALL, "");
	if (tool_guard_std_fds(o.closed_fd) < 0)
		return 2;
	first = parse_options(&o, argc, argv);
	if (ks_hash_open(&hash, o.algo) < 0) {
		fprintf(stderr, "%s: OpenSSL has no %s\n", tool_name(),
		    o.algo->evp);
		return 1;
	}
	if (o.check)
		ks_items_add_lists(&items, &o, argc - first, argv + first);
	else
		ks_items_add_operands(&items, &o, argc - first, argv + first);
	r = tool_pool_create(&pool, &o.pool, 1, NULL);  /* a file */
	if (r < 0) {
		fprintf(stderr, "%s: cannot create the pool: %s\n",
		    tool_name(), strerror(-r));
		return 1;
	}
	status = run(pool, &items, &o, &hash);
	kiln_pool_destroy(pool);
	status = finish_output(&o, reads_stdin(&items), status);
	ks_items_free(&items);
	ks_hash_close(&hash);
	return status;
}
