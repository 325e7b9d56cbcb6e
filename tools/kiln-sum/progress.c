/*
 * kiln-sum: the progress line (see progress.h).
 */
#include "config.h"

#include <stdatomic.h>
#include <stdio.h>

#include "progress.h"
#include "tool.h"

#define DELAY_NS 500000000ull   /* before the first line */
#define TICK_NS 200000000ull    /* between lines */

/* Bytes read, for the line only: relaxed. */
static _Atomic uint64_t bytes_done;
/* The rest belongs to the printing thread. */
static struct {
	int on, shown, total_known;
	uint64_t total, start_ns, next_ns;
} p;

void ks_progress_start(int on, uint64_t total, int total_known)
{
	p.on = on;
	p.total = total;
	p.total_known = total_known;
	p.start_ns = tool_now_ns();
	p.next_ns = p.start_ns + DELAY_NS;
}

void ks_progress_add(uint64_t n)
{
	atomic_fetch_add_explicit(&bytes_done, n, memory_order_relaxed);
}

uint64_t ks_progress_due(void)
{
	return p.on ? p.next_ns : 0;
}

void ks_progress_erase(void)
{
	if (p.shown) {
		fputs("\r\033[K", stderr);
		p.shown = 0;
	}
}

static void human(char *out, size_t n, double v)
{
	static const char *unit[] = { "B", "KiB", "MiB", "GiB", "TiB",
	    "PiB" };
	unsigned int u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(out, n, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

/* ", H:MM:SS left" or ", M:SS left" at rate bytes a second. */
static void eta(char *out, size_t n, uint64_t left, double rate)
{
	unsigned long s;

	if (rate <= 0) {
		out[0] = '\0';
		return;
	}
	s = (unsigned long)((double)left / rate + 0.5);
	if (s >= 3600)
		snprintf(out, n, ", %lu:%02lu:%02lu left", s / 3600,
		    s / 60 % 60, s % 60);
	else
		snprintf(out, n, ", %lu:%02lu left", s / 60, s % 60);
}

static void draw(uint64_t now)
{
	uint64_t done = atomic_load_explicit(&bytes_done,
	    memory_order_relaxed);
	double secs = (double)(now - p.start_ns) * 1e-9;
	double rate = secs > 0 ? (double)done / secs : 0;
	char a[32], b[32], r[32], left[32];

	p.next_ns = now + TICK_NS;
	human(a, sizeof(a), (double)done);
	human(r, sizeof(r), rate);
	if (p.total_known && p.total) {
		human(b, sizeof(b), (double)p.total);
		eta(left, sizeof(left), p.total > done ? p.total - done : 0,
		    rate);
		fprintf(stderr, "\r%s: %s of %s (%.0f%%), %s/s%s\033[K",
		    tool_name(), a, b, 100.0 * (double)done / (double)p.total,
		    r, left);
	} else {
		fprintf(stderr, "\r%s: %s, %s/s\033[K", tool_name(), a, r);
	}
	p.shown = 1;
}

void ks_progress_tick(void)
{
	uint64_t now;

	if (!p.on)
		return;
	now = tool_now_ns();
	if (now >= p.next_ns)
		draw(now);
}
