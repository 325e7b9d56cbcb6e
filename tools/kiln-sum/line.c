/*
 * kiln-sum: checksum line formats (see line.h).
 *
 * The grammar accepted by ks_parse_line is the one of coreutils 9.1's
 * md5sum/sha*sum/b2sum --check, quirks included, as observed on their
 * output and checked by tests/sum/check.sh:
 *
 *	line    = *WS ["\"] (tagged | plain)
 *	tagged  = TAG [ONE] ["-" BITS] [" "] "(" NAME ")" *WS "=" *WS HEX
 *	plain   = HEX WS1 ((" " | "*") NAME | NAME)
 *
 * where WS is a space or a tab; ONE is exactly one character, any at all,
 * consumed by b2sum after its tag (so "BLAKE2b(" and "BLAKE2bX(" both
 * parse), absent for the other algorithms; the ")" ending NAME is the last
 * one on the line.  The first plain line decides for the whole run whether
 * a space or star follows the digest ("HEX  NAME") or not (BSD's reversed
 * "HEX NAME"); later lines of the other kind are malformed.  A leading
 * backslash means NAME is escaped: only \\, \n and \r may appear, and a
 * NUL byte is an error.  Unescaped names end at a NUL byte.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include "line.h"

#define BLAKE2B_MAX_BITS 512

static int is_white(char c)
{
	return c == ' ' || c == '\t';
}

/* Locale-independent, as coreutils' c_isxdigit. */
static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

void ks_lines_init(struct ks_lines *it, char *buf, size_t len)
{
	it->p = buf;
	it->end = buf + len;
	it->no = 0;
	*it->end = '\0';
}

int ks_lines_next(struct ks_lines *it, char **line, size_t *len)
{
	while (it->p < it->end) {
		char *s = it->p;
		char *nl = memchr(s, '\n', (size_t)(it->end - s));
		size_t n = nl ? (size_t)(nl - s) : (size_t)(it->end - s);

		it->p = nl ? nl + 1 : it->end;
		it->no++;
		if (s[0] == '#')
			continue;
		if (n && s[n - 1] == '\r')
			n--;
		s[n] = '\0';
		if (n == 0)
			continue;
		*line = s;
		*len = n;
		return 1;
	}
	return 0;
}

void ks_parser_init(struct ks_parser *p)
{
	p->bsd_reversed = -1;
}

/*
 * Undo the escapes of s[0..n) in place and NUL-terminate it.  0 if the
 * name is not validly escaped.
 */
static int unescape(char *s, size_t n)
{
	char *d = s;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\0')
			return 0;
		if (s[i] != '\\') {
			*d++ = s[i];
			continue;
		}
		if (++i == n)
			return 0;
		switch (s[i]) {
		case 'n':
			*d++ = '\n';
			break;
		case 'r':
			*d++ = '\r';
			break;
		case '\\':
			*d++ = '\\';
			break;
		default:
			return 0;
		}
	}
	*d = '\0';
	return 1;
}

/* Exactly want hex digits at s, then the end of the string. */
static int valid_hex(const char *s, size_t len, size_t want)
{
	size_t i;

	if (len != want)
		return 0;
	for (i = 0; i < len; i++)
		if (!is_hex(s[i]))
			return 0;
	return s[len] == '\0';
}

/* The part after "TAG (": "NAME) = HEX", s[0..len), s[len] == '\0'. */
static int parse_tagged_rest(char *s, size_t len, int escaped,
    size_t hex_len, struct ks_entry *e)
{
	size_t i;

	if (len == 0)
		return 0;
	i = len - 1;
	while (i && s[i] != ')')
		i--;
	if (s[i] != ')')
		return 0;
	if (escaped && !unescape(s, i))
		return 0;
	s[i++] = '\0';
	while (is_white(s[i]))
		i++;
	if (s[i] != '=')
		return 0;
	i++;
	while (is_white(s[i]))
		i++;
	if (!valid_hex(s + i, len - i, hex_len))
		return 0;
	e->name = s;
	e->hex = s + i;
	e->hex_len = hex_len;
	e->binary = 0;
	return 1;
}

/*
 * b2sum's "-BITS": a number as strtoumax reads it with base 0 (so 0x200
 * and octal 01000 are accepted), not negative, from 8 to 512 and a multiple
 * of 8.  Returns the index after it, or 0.
 */
static size_t parse_bits(const char *s, size_t i, size_t *bits)
{
	const char *p = s + i;
	char *end;
	uintmax_t v;
	int saved = errno;

	while (isspace((unsigned char)*p))
		p++;
	if (*p == '-')
		return 0;
	errno = 0;
	v = strtoumax(s + i, &end, 0);
	if (end == s + i || errno == ERANGE) {
		errno = saved;
		return 0;
	}
	errno = saved;
	if (v == 0 || v > BLAKE2B_MAX_BITS || v % 8)
		return 0;
	*bits = (size_t)v;
	return (size_t)(end - s);
}

int ks_parse_line(struct ks_parser *p, const struct ks_format *f, char *s,
    size_t len, struct ks_entry *e)
{
	size_t tag_len = strlen(f->tag);
	size_t i = 0, hex_len = f->hex_len, start, min_len;
	int escaped = 0;
	char *hex;

	while (i < len && is_white(s[i]))
		i++;
	if (i < len && s[i] == '\\') {
		i++;
		escaped = 1;
	}

	if (len - i >= tag_len && memcmp(s + i, f->tag, tag_len) == 0) {
		i += tag_len;
		if (f->blake2) {
			int length_given = s[i] == '-';
			int paren = s[i] == '(';

			/* b2sum consumes one character here, whatever it is;
			 * at the end of the line there is none to take. */
			if (i >= len)
				return 0;
			i++;
			if (paren)
				i--;
			hex_len = f->hex_len;
			if (length_given) {
				size_t bits;

				i = parse_bits(s, i, &bits);
				if (i == 0)
					return 0;
				hex_len = bits / 4;
			}
		}
		if (s[i] == ' ')
			i++;
		if (s[i] != '(')
			return 0;
		i++;
		return parse_tagged_rest(s + i, len - i, escaped, hex_len, e);
	}

	/* Too short to hold a digest, a blank and a one-byte name. */
	min_len = f->blake2 ? 3 : f->hex_len + 2;
	if (len - i < min_len + (s[i] == '\\'))
		return 0;

	start = i;
	if (f->blake2) {
		/* The digest's length is what the line has, as in b2sum. */
		hex_len = 0;
		while (is_hex(s[i + hex_len]))
			hex_len++;
		if (hex_len < 2 || hex_len % 2 || hex_len > f->hex_len)
			return 0;
	}
	while (s[i] && !is_white(s[i]))
		i++;
	if (i == len)
		return 0;
	hex = s + start;
	s[i++] = '\0';
	if (!valid_hex(hex, strlen(hex), hex_len))
		return 0;

	if (len - i == 1 || (s[i] != ' ' && s[i] != '*')) {
		/* "HEX NAME": only if no line of this run was "HEX  NAME",
		 * so that a name with a leading blank cannot be mistaken. */
		if (p->bsd_reversed == 0)
			return 0;
		p->bsd_reversed = 1;
		e->binary = 0;
	} else if (p->bsd_reversed != 1) {
		p->bsd_reversed = 0;
		e->binary = s[i++] == '*';
	} else {
		e->binary = 0;
	}
	if (escaped && !unescape(s + i, len - i))
		return 0;
	e->name = s + i;
	e->hex = hex;
	e->hex_len = hex_len;
	return 1;
}

int ks_needs_escape(const char *name)
{
	return name[strcspn(name, "\\\n\r")] != '\0';
}

void ks_put_name(FILE *out, const char *name, int escape)
{
	const char *s;

	if (!escape) {
		fputs(name, out);
		return;
	}
	for (s = name; *s; s++) {
		switch (*s) {
		case '\n':
			fputs("\\n", out);
			break;
		case '\r':
			fputs("\\r", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		default:
			putc(*s, out);
		}
	}
}

/* --- quoting names in messages, as gnulib's quotef() --- */

/*
 * How one character of a name behaves under the shell-escape quoting
 * style: whether it forces quotes, whether it would read the same inside
 * double quotes (then a name with an apostrophe is put in "..."), and how
 * it is written inside single quotes.
 */
enum q_out { Q_LIT, Q_APOS, Q_ESC, Q_OCT };

struct q_char {
	size_t len;             /* bytes of the character */
	int force;              /* the name must be quoted */
	int dq_ok;              /* reads the same inside "..." */
	enum q_out out;
	char esc;               /* Q_ESC: the letter after the backslash */
};

static void classify(const char *s, size_t i, size_t n, mbstate_t *st,
    struct q_char *q)
{
	unsigned char c = (unsigned char)s[i];

	q->len = 1;
	q->force = 1;
	q->dq_ok = 0;
	q->out = Q_LIT;
	switch (c) {
	case '\a': q->out = Q_ESC; q->esc = 'a'; return;
	case '\b': q->out = Q_ESC; q->esc = 'b'; return;
	case '\f': q->out = Q_ESC; q->esc = 'f'; return;
	case '\n': q->out = Q_ESC; q->esc = 'n'; return;
	case '\r': q->out = Q_ESC; q->esc = 'r'; return;
	case '\t': q->out = Q_ESC; q->esc = 't'; return;
	case '\v': q->out = Q_ESC; q->esc = 'v'; return;
	case '\'':
		q->dq_ok = 1;
		q->out = Q_APOS;
		return;
	case '{': case '}':
	case '#': case '~':
		/* Special to the shell only alone (a brace) or first (a
		 * comment, a tilde); elsewhere they need no quotes. */
		if (c == '{' || c == '}' ? n != 1 : i != 0)
			q->force = 0;
		else
			q->dq_ok = 1;
		return;
	case ' ':
		q->dq_ok = 1;
		return;
	case '!': case '"': case '$': case '&': case '(': case ')':
	case '*': case ';': case '<': case '=': case '>': case '[':
	case '^': case '`': case '|': case '?': case '\\':
		return;
	case ':':
		/* quotef quotes colons, so that "FILE: message" is clear. */
		q->dq_ok = 1;
		return;
	}
	if (c == '%' || c == '+' || c == ',' || c == '-' || c == '.' ||
	    c == '/' || c == ']' || c == '_' || isalnum(c)) {
		if (c < 0x80) {
			q->force = 0;
			q->dq_ok = 1;
			return;
		}
	}
	/* Anything else: printable characters of the locale pass as they
	 * are; others are written as octal escapes, byte by byte. */
	if (MB_CUR_MAX == 1) {
		q->force = !isprint(c);
		q->dq_ok = !q->force;
		q->out = q->force ? Q_OCT : Q_LIT;
		return;
	} else {
		wchar_t w;
		size_t r = mbrtowc(&w, s + i, n - i, st);

		if (r == (size_t)-1) {
			memset(st, 0, sizeof(*st));
			q->out = Q_OCT;
			return;
		}
		if (r == (size_t)-2) {
			/* Incomplete at the end: all the rest, escaped. */
			memset(st, 0, sizeof(*st));
			q->len = n - i;
			q->out = Q_OCT;
			return;
		}
		if (r == 0)
			r = 1;
		q->len = r;
		if (iswprint((wint_t)w)) {
			q->force = 0;
			q->dq_ok = 1;
			return;
		}
		q->out = Q_OCT;
	}
}

struct buf {
	char *p;
	size_t n, cap;
};

static int put(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 64) + n;
		char *p = realloc(b->p, cap);

		if (!p)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
	return 0;
}

char *ks_quote(const char *name)
{
	size_t n = strlen(name), i;
	int force = n == 0, dq = 1, apos = 0, in_esc = 0, err = 0;
	struct buf b = { NULL, 0, 0 };
	struct q_char q;
	mbstate_t st;

	memset(&st, 0, sizeof(st));
	for (i = 0; i < n; i += q.len) {
		classify(name, i, n, &st, &q);
		force |= q.force;
		dq &= q.dq_ok;
		apos |= q.out == Q_APOS;
	}
	if (!force) {
		err |= put(&b, name, n);
		return err ? (free(b.p), NULL) : b.p;
	}
	if (apos && dq) {
		/* An apostrophe and nothing else special: "it's". */
		err |= put(&b, "\"", 1);
		err |= put(&b, name, n);
		err |= put(&b, "\"", 1);
		return err ? (free(b.p), NULL) : b.p;
	}
	/* 'plain'$'\escapes''plain': a $'...' run opens at the first
	 * escape and closes before the next plain character. */
	memset(&st, 0, sizeof(st));
	err |= put(&b, "'", 1);
	for (i = 0; i < n; i += q.len) {
		size_t k;

		classify(name, i, n, &st, &q);
		switch (q.out) {
		case Q_APOS:
			err |= put(&b, "'\\''", 4);
			in_esc = 0;
			break;
		case Q_ESC:
			if (!in_esc)
				err |= put(&b, "'$'", 3);
			in_esc = 1;
			err |= put(&b, "\\", 1);
			err |= put(&b, &q.esc, 1);
			break;
		case Q_OCT:
			if (!in_esc)
				err |= put(&b, "'$'", 3);
			in_esc = 1;
			for (k = 0; k < q.len; k++) {
				unsigned char c = (unsigned char)name[i + k];
				char o[4] = { '\\', (char)('0' + (c >> 6)),
				    (char)('0' + ((c >> 3) & 7)),
				    (char)('0' + (c & 7)) };

				err |= put(&b, o, 4);
			}
			break;
		case Q_LIT:
			if (in_esc)
				err |= put(&b, "''", 2);
			in_esc = 0;
			err |= put(&b, name + i, q.len);
			break;
		}
	}
	err |= put(&b, "'", 1);
	return err ? (free(b.p), NULL) : b.p;
}

void ks_hex(char *out, const unsigned char *d, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = '\0';
}

int ks_hex_equal(const char *hex, const unsigned char *d, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n / 2; i++)
		if (tolower((unsigned char)hex[2 * i]) != digits[d[i] >> 4] ||
		    tolower((unsigned char)hex[2 * i + 1]) !=
		    digits[d[i] & 15])
			return 0;
	return 1;
}
