/*
 * The engine.  kiln_run runs fetch_root, which starts one lane task per
 * URL that may be in flight (--parallel-max, at most one per URL).  A lane
 * takes the next URL from a shared cursor and fetches it, blocking-style:
 * each kiln call parks the lane, not its worker, so every lane's I/O is in
 * flight at once on the workers' rings, and the CPU work of each URL (TLS,
 * parsing, hashing, --cpu-work) runs on whichever worker is free.
 *
 * A URL: parse it, then try: take a connection (conn.c), exchange (http.c),
 * follow redirects with -L, and on a transient failure, with --retry,
 * back off (kiln_sleep) and try again, all within --max-time.  The body of
 * the last, successful response goes to the lane's sink (sink.c); bodies
 * of redirects and errors are read and dropped, so that the connection
 * can be kept.  Then the record is published to the printer (report.c).
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include <kiln.h>

#include "conn.h"
#include "fetch.h"
#include "http.h"
#include "options.h"
#include "park.h"
#include "parse.h"
#include "report.h"
#include "sink.h"
#include "tool.h"
#include "url.h"

#define RECV_BUF (64u * 1024)
#define REQ_BUF (16u * 1024)
#define MAX_BACKOFF_NS (600ull * 1000000000)

struct lane {
	struct run *run;
	kiln_task task;
	struct sink sink;
	struct resp_parser *rp;
	char *buf, *req;
	size_t req_cap;         /* req's size (larger for a long URL) */
	struct job *job;        /* the URL in hand */
	int begun;              /* its body goes to the sink */
};

static void failed(struct job *j, enum fail_kind kind, int err)
{
	j->fail.kind = kind;
	j->fail.err = err;
	j->fail.detail = 0;
}

/* The head of a response is in: keep a 2xx body, drop the others. */
static int body_head(void *ctx, const struct http_resp *r)
{
	struct lane *l = ctx;
	int e;

	if (r->status / 100 != 2)
		return 0;
	e = sink_begin(&l->sink, l->job->out,
	    (unsigned long)(l->job - l->run->jobs));
	if (e < 0)
		return e;
	l->begun = 1;
	return 1;
}

static int body_data(void *ctx, const char *p, size_t n)
{
	struct lane *l = ctx;

	report_bytes(n);
	return sink_write(&l->sink, p, n);
}

static ssize_t stream_send(void *io, const void *buf, size_t len)
{
	return conn_send(io, buf, len);
}

static ssize_t stream_recv(void *io, void *buf, size_t len)
{
	return conn_recv(io, buf, len);
}

/*
 * One request for u on a pooled connection.  A kept-alive connection may
 * have been closed by the server just as we took it: if it fails before
 * any byte of a response, the request goes once more on a new one.
 */
static int exchange(struct lane *l, const struct url *u, uint64_t deadline,
    struct http_resp *resp)
{
	struct job *j = l->job;
	const struct http_body body = { body_head, body_data, l };
	struct http_stream st = { stream_send, stream_recv, NULL };
	ssize_t len = http_request(&l->req, &l->req_cap, u, opt.agent);
	struct conn *c;
	int r, stale, tries;

	if (len < 0) {
		failed(j, F_NOMEM, (int)len);
		return (int)len;
	}
	for (tries = 0;; tries++) {
		memset(&j->fail, 0, sizeof(j->fail));
		r = conn_take(u, deadline, opt.connect_ns, &c, &j->fail);
		if (r < 0)
			return r;
		st.io = c;
		r = http_exchange(l->rp, &st, l->req, (size_t)len, l->buf,
		    RECV_BUF, &body, resp, &j->fail);
		if (r == -EPROTO && j->fail.kind == F_RECV)
			j->fail.detail = conn_tls_error(c);
		stale = r < 0 && c->uses && !resp->got_bytes && !tries &&
		    (j->fail.kind == F_SEND || j->fail.kind == F_RECV ||
		    j->fail.kind == F_EMPTY);
		conn_give(c, r == 0 && resp->keep_alive, r == 0);
		if (!stale)
			return r;
		http_resp_free(resp);
	}
}

static int is_redirect(unsigned int status)
{
	return status == 301 || status == 302 || status == 303 ||
	    status == 307 || status == 308;
}

/* Fetch start, following redirects with -L.  *after: Retry-After. */
static int follow(struct lane *l, const struct url *start,
    uint64_t deadline, long *after)
{
	struct job *j = l->job;
	const struct url *cur = start;
	struct url next, hop;
	struct http_resp resp;
	long redirs = 0;
	int r;

	memset(&resp, 0, sizeof(resp));
	for (;;) {
		l->begun = 0;
		r = exchange(l, cur, deadline, &resp);
		j->status = resp.status;
		j->bytes = resp.bytes;
		*after = r < 0 ? -1 : resp.retry_after;
		if (l->begun) {
			if (!r && (r = sink_end(&l->sink, j->digest)) < 0)
				failed(j, F_WRITE, r);
			if (r < 0)
				sink_abort(&l->sink);
			break;
		}
		if (r < 0)
			break;
		r = -1;
		if (!opt.follow || !is_redirect(resp.status) ||
		    !resp.location || !resp.location[strspn(resp.location,
		    " \t")]) {
			failed(j, F_HTTP, (int)resp.status);
			/* Said so: -L was given, but nothing to follow. */
			j->fail.detail = opt.follow && is_redirect(resp.status);
			break;
		}
		if (opt.max_redirs >= 0 && redirs++ >= opt.max_redirs) {
			failed(j, F_REDIRS, (int)opt.max_redirs);
			break;
		}
		if ((r = url_resolve(cur, resp.location, &next)) < 0) {
			failed(j, r == -EPROTONOSUPPORT ? F_SCHEME : F_URL, r);
			break;
		}
		if (cur != start)
			url_free(&hop);
		hop = next;
		cur = &hop;
		http_resp_free(&resp);
	}
	http_resp_free(&resp);
	if (cur != start)
		url_free(&hop);
	return r;
}

/* Worth another try with --retry? */
static int transient(const struct failure *f)
{
	switch (f->kind) {
	case F_CONNECT: case F_TIMEOUT: case F_SEND: case F_RECV:
	case F_EMPTY: case F_PARTIAL:
		return 1;
	case F_DNS:
		return f->err == EAI_AGAIN;
	case F_HTTP:
		return f->err >= 500 || f->err == 429 || f->err == 408;
	default:
		return 0;
	}
}

/* Before retry number attempt+1: Retry-After, --retry-delay, or curl's
 * backoff (1 s, doubling, at most 10 minutes). */
static uint64_t backoff(unsigned int attempt, long after)
{
	uint64_t ns = 1000000000ull << (attempt < 10 ? attempt : 10);

	if (after >= 0)
		return (uint64_t)after * 1000000000;
	if (opt.retry_delay_ns)
		return opt.retry_delay_ns;
	return ns < MAX_BACKOFF_NS ? ns : MAX_BACKOFF_NS;
}

static void fetch_one(struct lane *l, struct job *j)
{
	uint64_t start = tool_now_ns(), wait;
	uint64_t deadline = opt.max_time_ns ? start + opt.max_time_ns : 0;
	unsigned int attempt;
	struct url u;
	long after = -1;
	int r;

	report_started(j);
	l->job = j;
	if (j->fail.kind != F_NONE)     /* found wrong before the run */
		goto out;
	if ((r = url_parse(j->url, &u)) < 0) {
		failed(j, r == -EPROTONOSUPPORT ? F_SCHEME :
		    r == -ENOMEM ? F_NOMEM : F_URL, r);
		goto out;
	}
	sink_burn(opt.cpu_before);
	for (attempt = 0;; attempt++) {
		r = follow(l, &u, deadline, &after);
		if (!r || attempt >= opt.retry || !transient(&j->fail))
			break;
		wait = backoff(attempt, after);
		if ((deadline && tool_now_ns() + wait >= deadline) ||
		    kiln_sleep(wait) < 0)
			break;
	}
	if (!r)
		sink_burn(opt.cpu_after);
	url_free(&u);
out:
	j->ns = tool_now_ns() - start;
	report_done(j);
}

static void lane_main(void *p)
{
	struct lane *l = p;
	struct run *r = l->run;
	size_t k;

	/* Relaxed: the cursor only hands out indices; the jobs were
	 * written before kiln_run. */
	while ((k = atomic_fetch_add_explicit(&r->next, 1,
	    memory_order_relaxed)) < r->njobs)
		fetch_one(l, &r->jobs[k]);
}

void fetch_root(void *p)
{
	struct run *r = p;
	unsigned int i;

	for (i = 1; i < r->nlanes; i++)
		kiln_spawn(&r->lanes[i].task, lane_main, &r->lanes[i]);
	lane_main(&r->lanes[0]);
	for (i = r->nlanes; i-- > 1;)
		kiln_sync(&r->lanes[i].task);
}

int fetch_setup(struct run *r, unsigned int lanes)
{
	unsigned int i;

	r->nlanes = lanes;
	atomic_init(&r->next, 0);
	r->lanes = xcalloc(r->nlanes, sizeof(*r->lanes));
	for (i = 0; i < r->nlanes; i++) {
		struct lane *l = &r->lanes[i];

		l->run = r;
		l->buf = xmalloc(RECV_BUF);
		l->req = xmalloc(REQ_BUF);
		l->req_cap = REQ_BUF;
		if (sink_init(&l->sink) < 0 || !(l->rp = http_new_parser()))
			return -ENOMEM;
	}
	conn_setup(opt.max_per_host, r->nlanes);
	return 0;
}

void fetch_cleanup(struct run *r)
{
	unsigned int i;

	for (i = 0; r->lanes && i < r->nlanes; i++) {
		sink_fini(&r->lanes[i].sink);
		rp_free(r->lanes[i].rp);
		free(r->lanes[i].buf);
		free(r->lanes[i].req);
	}
	free(r->lanes);
	r->lanes = NULL;
}
