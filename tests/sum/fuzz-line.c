/*
 * Fuzz target for kiln-sum's check-list parser (tools/kiln-sum/line.c).
 *
 * Each input is used twice:
 *  - as a check list: split into lines and parsed in the format of every
 *    algorithm, one parser state across them (as in a run of kiln-sum);
 *    a well-formed line must give a digest of hex digits and a name;
 *  - its bytes up to the first NUL, as a file name: the line kiln-sum
 *    would print for it (plain and --tag) must parse back to the same
 *    name and digest, and the name as quoted in messages must hold no
 *    control character.
 *
 * With clang: clang -g -O1 -fsanitize=fuzzer,address,undefined -I. \
 *	-Itools/kiln-sum tests/sum/fuzz-line.c tools/kiln-sum/line.c -o fuzz-line
 * (from a configured build directory, for config.h), then
 *	./fuzz-line tests/sum/corpus
 * Without: tests/sum/fuzz-replay.c runs it over files or random inputs.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "line.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct ks_format formats[] = {
	{ "SHA256", 64, 0 },
	{ "SHA1", 40, 0 },
	{ "SHA512", 128, 0 },
	{ "MD5", 32, 0 },
	{ "BLAKE2b", 128, 1 },
	{ "XXH128", 32, 0 },
};
#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz-line: %s\n", what);
		abort();
	}
}

static void as_list(const uint8_t *data, size_t size)
{
	struct ks_parser p;
	size_t f, i, len;
	char *buf, *line;

	ks_parser_init(&p);
	buf = malloc(size + 1);
	if (!buf)
		return;
	for (f = 0; f < NFORMATS; f++) {
		struct ks_lines it;
		struct ks_entry e;

		memcpy(buf, data, size);
		ks_lines_init(&it, buf, size);
		while (ks_lines_next(&it, &line, &len)) {
			check(strlen(line) <= len, "line longer than its length");
			if (!ks_parse_line(&p, &formats[f], line, len, &e))
				continue;
			check(e.hex_len >= 2 && e.hex_len <= formats[f].hex_len,
			    "digest length out of range");
			check(formats[f].blake2 ||
			    e.hex_len == formats[f].hex_len,
			    "digest length of a fixed-size format");
			for (i = 0; i < e.hex_len; i++)
				check(strchr("0123456789abcdefABCDEF",
				    e.hex[i]) != NULL && e.hex[i],
				    "digest not hex");
			check(e.hex[e.hex_len] == '\0', "digest not ended");
			check(e.name >= buf && e.name <= buf + size,
			    "name outside the line");
		}
	}
	free(buf);
}

static void round_trip(const char *name, const struct ks_format *f, int tag)
{
	static const char hexdigits[] = "0123456789abcdef";
	char hex[129], *out = NULL, *line;
	size_t n = 0, len, i;
	struct ks_parser p;
	struct ks_lines it;
	struct ks_entry e;
	int esc = ks_needs_escape(name);
	FILE *m;

	for (i = 0; i < f->hex_len; i++)
		hex[i] = hexdigits[(i * 7 + strlen(name)) % 16];
	hex[f->hex_len] = '\0';
	m = open_memstream(&out, &n);
	if (!m)
		return;
	if (esc)
		putc('\\', m);
	if (tag) {
		fprintf(m, "%s (", f->tag);
		ks_put_name(m, name, esc);
		fprintf(m, ") = %s\n", hex);
	} else {
		fprintf(m, "%s  ", hex);
		ks_put_name(m, name, esc);
		putc('\n', m);
	}
	fclose(m);
	ks_parser_init(&p);
	ks_lines_init(&it, out, n);
	check(ks_lines_next(&it, &line, &len), "printed line is empty");
	check(ks_parse_line(&p, f, line, len, &e), "printed line malformed");
	check(strcmp(e.name, name) == 0, "name changed on the way back");
	check(e.hex_len == f->hex_len && memcmp(e.hex, hex, f->hex_len) == 0,
	    "digest changed on the way back");
	check(!ks_lines_next(&it, &line, &len), "printed more than a line");
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = strnlen((const char *)data, size), f;
	char *name, *q, *s;

	as_list(data, size);
	if (n == 0)
		return 0;
	name = malloc(n + 1);
	if (!name)
		return 0;
	memcpy(name, data, n);
	name[n] = '\0';
	for (f = 0; f < NFORMATS; f++) {
		round_trip(name, &formats[f], 0);
		round_trip(name, &formats[f], 1);
	}
	q = ks_quote(name);
	check(q != NULL, "no quoted name");
	for (s = q; *s; s++)
		check((unsigned char)*s >= 0x20 && *s != 0x7f,
		    "control character in a quoted name");
	free(q);
	free(name);
	return 0;
}
