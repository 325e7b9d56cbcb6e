/* Futex wait and wake on a 32-bit word: where idle threads block. */
#ifndef KILN_FUTEX_H
#define KILN_FUTEX_H

#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Sleep while *word == expect; returns at once if it differs already. */
static inline void kiln__futex_wait(_Atomic uint32_t *word, uint32_t expect)
{
	syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expect, NULL, NULL, 0);
}

/* The same, for at most *ts (NULL: no limit). */
static inline void kiln__futex_wait_timeout(_Atomic uint32_t *word,
    uint32_t expect, const struct timespec *ts)
{
	syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expect, ts, NULL, 0);
}

static inline void kiln__futex_wake(_Atomic uint32_t *word, int n)
{
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

#endif /* KILN_FUTEX_H */
