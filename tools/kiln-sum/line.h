/*
 * kiln-sum: the text formats of checksum lines, shared by the tool and its
 * fuzz harness (tests/sum/fuzz-line.c).  No kiln, no I/O but stdio output.
 *
 * What coreutils 9.1 (sha256sum, b2sum, ...) writes and accepts:
 *  - a line "HEX  NAME" or, with --tag, "TAG (NAME) = HEX";
 *  - a name containing a backslash, newline or carriage return is written
 *    with those escaped (\\, \n, \r) and the line starts with a backslash;
 *  - in error messages, names are quoted as gnulib's quotef() does (shell
 *    escape style, colons quoted too).
 */
#ifndef KS_LINE_H
#define KS_LINE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* How the lines of one algorithm look. */
struct ks_format {
	const char *tag;        /* "SHA256", "BLAKE2b", ... */
	size_t hex_len;         /* hex digits of a full digest */
	int blake2;             /* b2sum's syntax: "BLAKE2b-BITS", any length */
};

/* State kept across the lines of every list of a run, as coreutils does. */
struct ks_parser {
	int bsd_reversed;       /* -1 unknown, 0 "HEX  NAME", 1 "HEX NAME" */
};

/* One well-formed line, pointing into the (modified) line buffer. */
struct ks_entry {
	const char *hex;        /* hex_len hex digits, NUL-terminated */
	size_t hex_len;         /* for blake2: 2 to 128; else format's */
	const char *name;       /* unescaped, NUL-terminated */
	int binary;             /* '*' before the name */
};

/* The lines of a check list, as coreutils reads them. */
struct ks_lines {
	char *p, *end;
	uintmax_t no;           /* number of the line last returned */
};

/* buf[0..len) is the list; buf[len] must exist (it is overwritten). */
void ks_lines_init(struct ks_lines *it, char *buf, size_t len);

/*
 * The next line to parse, NUL-terminated in place, without its newline
 * and one carriage return before it.  Comments (a '#' first) and empty
 * lines are skipped but counted in it->no.  0 at the end of the list.
 */
int ks_lines_next(struct ks_lines *it, char **line, size_t *len);

void ks_parser_init(struct ks_parser *p);

/*
 * Parse one line of a check list: s[0..len) without its end of line,
 * with s[len] == '\0'.  s is modified.  Returns 1 and fills *e if the line
 * is well formed, 0 if not.  Never reads outside s[0..len].
 */
int ks_parse_line(struct ks_parser *p, const struct ks_format *f, char *s,
    size_t len, struct ks_entry *e);

/* Does the name need coreutils' escaping (backslash, newline, CR)? */
int ks_needs_escape(const char *name);

/* Write name, escaped if escape is set. */
void ks_put_name(FILE *out, const char *name, int escape);

/*
 * Quote name for an error message as coreutils' quotef() does in the
 * current locale.  Returns a string from malloc, or NULL without memory.
 */
char *ks_quote(const char *name);

/* Lower-case hex of n bytes into out (2n + 1 bytes). */
void ks_hex(char *out, const unsigned char *d, size_t n);

/* Does hex (n digits, either case) spell the digest d of n / 2 bytes? */
int ks_hex_equal(const char *hex, const unsigned char *d, size_t n);

#endif /* KS_LINE_H */
