/* kiln-fetch's command line: curl's option names wherever curl has one. */
#ifndef KILN_FETCH_OPTIONS_H
#define KILN_FETCH_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

struct options {
	int follow;                     /* -L */
	long max_redirs;                /* -1: no limit */
	unsigned int retry;
	uint64_t retry_delay_ns;        /* 0: back off from 1 s */
	uint64_t connect_ns, max_time_ns;       /* 0: none */
	int insecure;
	const char *cacert;
	unsigned int parallel_max, max_per_host;        /* 0: no limit */
	int remote_name;                /* -O */
	const char *output_dir, *output;
	int create_dirs;
	const char *digest;             /* kiln-sum's algorithm, or NULL */
	int progress;                   /* -1: if stderr is a terminal */
	int silent, show_error;
	unsigned int workers;           /* 0: kiln's default */
	const char *agent;
	size_t cpu_before, cpu_after;   /* --cpu-work */
	int stdin_closed;               /* -i - is an error (set by main) */
	char **urls;                    /* in the order given */
	size_t nurls;
};

extern struct options opt;

/* Fill opt from the command line.  Exits on a usage error, --help and
 * --version. */
void options_parse(int argc, char **argv);
void options_free(void);

#endif
