/*
 * nqueens.h: counting the placements of N non-attacking queens, the
 * irregular tree: subtrees differ widely in size, and no runtime can know
 * how much work a placement holds until it has searched it.  Rows are
 * filled top down; a position holds the columns and both diagonals already
 * attacked, as bit masks.  The serial search below is shared by every
 * runtime, which makes a task per placement in the first DEPTH rows and
 * searches serially below.
 */
#ifndef NQUEENS_H
#define NQUEENS_H

#include <stdint.h>

#define NQ_MAX_N 24

struct nq_pos {
	uint32_t cols;  /* columns taken */
	uint32_t left;  /* squares of this row on a taken "/" diagonal */
	uint32_t right; /* squares of this row on a taken "\" diagonal */
	unsigned int row;
};

/* The squares of pos's row no queen attacks. */
static inline uint32_t nq_free(unsigned int n, struct nq_pos p)
{
	return ~(p.cols | p.left | p.right) & ((1u << n) - 1);
}

/* The position after a queen is put on square bit of p's row. */
static inline struct nq_pos nq_place(struct nq_pos p, uint32_t bit)
{
	struct nq_pos c;

	c.cols = p.cols | bit;
	c.left = (p.left | bit) << 1;
	c.right = (p.right | bit) >> 1;
	c.row = p.row + 1;
	return c;
}

static uint64_t nq_serial(unsigned int n, struct nq_pos p)
{
	uint32_t free, bit;
	uint64_t count = 0;

	if (p.row == n)
		return 1;
	for (free = nq_free(n, p); free; free ^= bit) {
		bit = free & -free;
		count += nq_serial(n, nq_place(p, bit));
	}
	return count;
}

#endif /* NQUEENS_H */
