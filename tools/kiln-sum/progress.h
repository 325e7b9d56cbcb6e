/*
 * kiln-sum: the progress line on the standard error (--progress): bytes
 * done, their total, the rate and the time left, redrawn in place.  Drawn
 * and erased by the printing thread only; the lanes only add the bytes
 * they read.  No kiln here.
 */
#ifndef KS_PROGRESS_H
#define KS_PROGRESS_H

#include <stdint.h>

/*
 * Start the clock.  on: draw the line at all.  total: the bytes to read,
 * if known (0 otherwise).  The first line is drawn after a short delay.
 */
void ks_progress_start(int on, uint64_t total, int total_known);

/* Any thread: n more bytes read. */
void ks_progress_add(uint64_t n);

/* Redraw the line if it is time; nothing if it is off. */
void ks_progress_tick(void);

/* When the next redraw is due (CLOCK_MONOTONIC, ns); 0 if it is off. */
uint64_t ks_progress_due(void);

/* Take the line off the terminal, before other output to it. */
void ks_progress_erase(void);

#endif /* KS_PROGRESS_H */
