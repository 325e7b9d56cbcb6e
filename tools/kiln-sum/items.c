/*
 * kiln-sum: the items of a run (see items.h).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "items.h"
#include "tool.h"

/* own: name came from malloc and goes with the item. */
static struct ks_item *add(struct ks_items *s, enum ks_kind kind, char *name,
    int own, unsigned int len)
{
	struct ks_item *it;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->v = xreallocarray(s->v, s->cap, sizeof(*s->v));
	}
	it = &s->v[s->n++];
	memset(it, 0, sizeof(*it));
	it->kind = (unsigned char)kind;
	it->name = name;
	it->own = (unsigned char)own;
	it->size = -1;
	it->len = (unsigned char)len;
	atomic_init(&it->done, 0);
	return it;
}

static void add_error(struct ks_items *s, char *name, int err)
{
	add(s, KS_ERROR, name, 1, 0)->err = err;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *join(const char *dir, const char *name)
{
	size_t d = strlen(dir), n = strlen(name);
	int slash = d && dir[d - 1] != '/';
	char *p = xmalloc(d + slash + n + 1);

	memcpy(p, dir, d);
	if (slash)
		p[d] = '/';
	memcpy(p + d + slash, name, n + 1);
	return p;
}

/* The names in dir but . and .., sorted bytewise, in *out; how many. */
static size_t list_dir(struct ks_items *s, const char *dir, char ***out)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d) {
		add_error(s, xstrdup(dir), errno);
		*out = NULL;
		return 0;
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de)
			break;
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = xreallocarray(names, cap, sizeof(*names));
		}
		names[n++] = xstrdup(de->d_name);
	}
	if (errno)
		add_error(s, xstrdup(dir), errno);
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	*out = names;
	return n;
}

/*
 * -r: the regular files under dir, names sorted bytewise at each level,
 * depth first.  Symbolic links are followed to regular files only, so the
 * walk cannot loop; other kinds of files are skipped.  One directory is
 * open at a time.
 */
static void walk(struct ks_items *s, const struct ks_options *o,
    const char *dir)
{
	char **names;
	size_t n = list_dir(s, dir, &names), i;

	for (i = 0; i < n; i++) {
		char *path = join(dir, names[i]);
		struct stat st;

		free(names[i]);
		if (lstat(path, &st) < 0) {
			add_error(s, path, errno);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			walk(s, o, path);
			free(path);
		} else if (S_ISREG(st.st_mode) || (S_ISLNK(st.st_mode) &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode))) {
			add(s, KS_FILE, path, 1, o->digest_len)->size =
			    st.st_size;
		} else {
			free(path);
		}
	}
	free(names);
}

void ks_items_add_operands(struct ks_items *s, const struct ks_options *o,
    int argc, char **argv)
{
	struct stat st;
	int i;

	if (argc == 0) {
		add(s, KS_STDIN, xstrdup("-"), 1, o->digest_len);
		return;
	}
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-") == 0)
			add(s, KS_STDIN, xstrdup("-"), 1, o->digest_len);
		else if (o->recursive && stat(argv[i], &st) == 0 &&
		    S_ISDIR(st.st_mode))
			walk(s, o, argv[i]);
		else
			add(s, KS_FILE, xstrdup(argv[i]), 1, o->digest_len);
	}
}

/* Read all of fd; NUL-terminated (one spare byte).  -errno on failure,
 * with what was read before it in *out all the same. */
static int slurp(int fd, char **out, size_t *len)
{
	size_t n = 0, cap = 65536;
	char *p = xmalloc(cap + 1);
	int err = 0;

	for (;;) {
		ssize_t r;

		if (n == cap) {
			cap *= 2;
			p = xreallocarray(p, cap + 1, 1);
		}
		r = read(fd, p + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	p[n] = '\0';
	*out = p;
	*len = n;
	return err;
}

/* The lines of the list in buf (kept to the end: the items point into
 * it), then the list's end. */
static void add_lines(struct ks_items *s, const struct ks_options *o,
    struct ks_parser *parser, const char *name, int is_stdin, char *buf,
    size_t len, int err)
{
	struct ks_lines lines;
	struct ks_entry e;
	struct ks_item *it;
	char *line;
	size_t n;

	ks_lines_init(&lines, buf, len);
	while (ks_lines_next(&lines, &line, &n)) {
		if (!ks_parse_line(parser, &o->algo->fmt, line, n, &e) ||
		    (is_stdin && strcmp(e.name, "-") == 0)) {
			add(s, KS_BADLINE, (char *)name, 0, 0)->line = lines.no;
			continue;
		}
		it = add(s, strcmp(e.name, "-") == 0 ? KS_STDIN : KS_FILE,
		    (char *)e.name, 0, (unsigned int)(e.hex_len / 2));
		it->hex = (char *)e.hex;
		it->binary = (unsigned char)e.binary;
	}
	it = add(s, KS_LIST_END, (char *)name, 0, 0);
	it->err = -err;
	it->hex = buf;
}

void ks_items_add_lists(struct ks_items *s, const struct ks_options *o,
    int argc, char **argv)
{
	static char dash[] = "-";
	struct ks_parser parser;
	char *buf;
	size_t len;
	int i, fd, err, is_stdin;

	ks_parser_init(&parser);
	for (i = 0; i < (argc ? argc : 1); i++) {
		const char *arg = argc ? argv[i] : dash;

		is_stdin = strcmp(arg, "-") == 0;
		s->stdin_list |= is_stdin;
		fd = is_stdin ? STDIN_FILENO : open(arg, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			add(s, KS_LIST_ERR, xstrdup(arg), 1, 0)->err = errno;
			continue;
		}
		if (is_stdin && o->closed_fd[STDIN_FILENO]) {
			/* /dev/null stands in for it, but it was closed:
			 * reading it fails, as coreutils finds. */
			buf = xstrdup("");
			len = 0;
			err = -EBADF;
		} else {
			err = slurp(fd, &buf, &len);
		}
		if (!is_stdin)
			close(fd);
		add_lines(s, o, &parser, is_stdin ? "standard input" : arg,
		    is_stdin, buf, len, err);
	}
}

void ks_items_free(struct ks_items *s)
{
	size_t k;

	for (k = 0; k < s->n; k++) {
		if (s->v[k].own)
			free(s->v[k].name);
		if (s->v[k].kind == KS_LIST_END)
			free(s->v[k].hex);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* What is left of standard input, if it is a regular file. */
static int stdin_left(uint64_t *left)
{
	struct stat st;
	off_t pos;

	if (fstat(STDIN_FILENO, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (pos = lseek(STDIN_FILENO, 0, SEEK_CUR)) < 0)
		return 0;
	*left = st.st_size > pos ? (uint64_t)(st.st_size - pos) : 0;
	return 1;
}

void ks_items_measure(struct ks_items *s, const struct ks_options *o,
    int lists)
{
	uint64_t left;
	size_t i;

	s->total_bytes = 0;
	s->total_known = 1;
	for (i = 0; i < s->n; i++) {
		struct ks_item *it = &s->v[i];
		struct stat st;

		if (it->kind == KS_STDIN) {
			if (stdin_left(&left))
				s->total_bytes += left;
			else
				s->total_known = 0;
			continue;
		}
		if (it->kind != KS_FILE || (o->check && !lists))
			continue;
		if (it->size < 0 && stat(it->name, &st) == 0) {
			if (S_ISREG(st.st_mode))
				it->size = st.st_size;
			else if (!S_ISDIR(st.st_mode))
				s->total_known = 0;
		}
		if (it->size > 0)
			s->total_bytes += (uint64_t)it->size;
	}
}

static int cmp_larger(const void *a, const void *b, void *arg)
{
	const struct ks_item *v = arg;
	const struct ks_item *x = &v[*(const size_t *)a];
	const struct ks_item *y = &v[*(const size_t *)b];

	if (x->size != y->size)
		return x->size < y->size ? 1 : -1;
	return x < y ? -1 : x > y;
}

/*
 * A file started last keeps one worker busy alone for as long as it takes
 * to hash; with the large ones started first, what is left at the end is
 * small.  Output is in the order given all the same.
 */
size_t ks_items_order(const struct ks_items *s, size_t block_size,
    unsigned int workers, size_t *work)
{
	uint64_t big = s->total_bytes / (16 * (uint64_t)workers);
	size_t k, n = 0;
	int pass;

	if (big < 4 * (uint64_t)block_size)
		big = 4 * (uint64_t)block_size;
	/* Pass 0 takes the large files (when there are workers to share
	 * them), pass 1 the others. */
	for (pass = 0; pass < 2; pass++) {
		for (k = 0; k < s->n; k++) {
			const struct ks_item *it = &s->v[k];
			int large = workers > 1 && it->size >= 0 &&
			    (uint64_t)it->size >= big;

			if (it->kind == KS_FILE && large == !pass)
				work[n++] = k;
		}
		if (pass == 0 && n)
			qsort_r(work, n, sizeof(*work), cmp_larger, s->v);
	}
	return n;
}
