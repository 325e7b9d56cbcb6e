/*
 * The AArch64 context switch (lib/fiber_aarch64.S) on its own, cross-built
 * and run under qemu-user by tests/fiber-aarch64.sh: contexts ping-pong
 * many times; callee-saved registers (x19-x28, d8-d15) and each context's
 * FPCR must survive every switch, and a new context starts with FPCR 0.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

void kiln__ctx_switch(void **save_sp, void *load_sp);
void *kiln__ctx_make(void *stack_top, void (*entry)(void));

#define ROUNDS 100000
#define FPCR_RP (1u << 22)  /* round towards plus infinity */

static void *main_sp, *co_sp;
static volatile long counter;
static volatile int bad;

static uint64_t fpcr(void)
{
	uint64_t v;

	__asm__ volatile("mrs %0, fpcr" : "=r"(v));
	return v;
}

static void co(void)
{
	if (fpcr() != 0)
		bad = 1;
	for (;;) {
		counter++;
		/* Leave garbage in every callee-saved register: the switch
		 * must give main its own values back. */
		__asm__ volatile(
		    "mov x19, #1\n\tmov x20, #2\n\tmov x21, #3\n\t"
		    "mov x22, #4\n\tmov x23, #5\n\tmov x24, #6\n\t"
		    "mov x25, #7\n\tmov x26, #8\n\tmov x27, #9\n\t"
		    "mov x28, #10\n\tfmov d8, #1.0\n\tfmov d9, #1.0\n\t"
		    "fmov d10, #1.0\n\tfmov d11, #1.0\n\tfmov d12, #1.0\n\t"
		    "fmov d13, #1.0\n\tfmov d14, #1.0\n\tfmov d15, #1.0"
		    ::: "x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26",
		    "x27", "x28", "d8", "d9", "d10", "d11", "d12", "d13", "d14",
		    "d15");
		kiln__ctx_switch(&co_sp, main_sp);
	}
}

int main(void)
{
	size_t size = 64 * 1024;
	char *stack = malloc(size);
	register long x19 __asm__("x19") = 0x1919;
	register long x28 __asm__("x28") = 0x2828;
	register double d8 __asm__("d8") = 3.25;
	register double d15 __asm__("d15") = -7.5;
	int i;

	if (!stack)
		return 99;
	__asm__ volatile("msr fpcr, %0" :: "r"((uint64_t)FPCR_RP));
	co_sp = kiln__ctx_make(stack + size, co);
	for (i = 0; i < ROUNDS; i++) {
		kiln__ctx_switch(&main_sp, co_sp);
		/* Make the compiler keep them in those registers throughout. */
		__asm__ volatile("" : "+r"(x19), "+r"(x28), "+w"(d8), "+w"(d15));
	}
	if (bad || counter != ROUNDS || x19 != 0x1919 || x28 != 0x2828 ||
	    d8 != 3.25 || d15 != -7.5 || fpcr() != FPCR_RP) {
		printf("FAIL: bad=%d counter=%ld x19=%lx x28=%lx d8=%g d15=%g "
		    "fpcr=%llx\n", bad, counter, x19, x28, d8, d15,
		    (unsigned long long)fpcr());
		return 1;
	}
	printf("PASS: %d switches each way\n", ROUNDS);
	free(stack);
	return 0;
}
