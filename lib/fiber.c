/*
 * Fiber stacks and the context switch around the per-architecture assembly
 * (fiber_x86_64.S, fiber_aarch64.S) or, when configure chose it, the
 * portable but slower ucontext(3) (swapcontext makes a system call).
 *
 * Stacks are mmap'd with a PROT_NONE guard page below them, so an overflow
 * faults instead of writing into a neighbour.  Only touched pages cost
 * memory, so the default of 256 KiB is address space, not RAM.
 *
 * Under AddressSanitizer and ThreadSanitizer every switch is announced to
 * the sanitizer, which otherwise takes the new stack for a corruption.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include "alloc.h"
#include "fiber.h"

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef __SANITIZE_THREAD__
#include <sanitizer/tsan_interface.h>
#endif

#ifndef KILN_FIBER_UCONTEXT
void kiln__ctx_switch(void **save_sp, void *load_sp);
void *kiln__ctx_make(void *stack_top, void (*entry)(void));
#endif

int kiln__fiber_create(struct kiln__fiber **out, size_t stack_size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t len;
	struct kiln__fiber *f;
	char *map;

	/* Rounded up to pages, plus the guard page: it must not wrap. */
	if (stack_size > SIZE_MAX - 2 * page)
		return -ENOMEM;
	len = (stack_size + page - 1) / page * page;
	f = kiln__zalloc(sizeof(*f));
	if (!f)
		return -ENOMEM;
	map = mmap(NULL, len + page, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (map == MAP_FAILED) {
		kiln__free(f);
		return -ENOMEM;
	}
	if (mprotect(map, page, PROT_NONE) != 0) {
		munmap(map, len + page);
		kiln__free(f);
		return -ENOMEM;
	}
	f->job.kind = KILN__JOB_FIBER;
	f->map = map;
	f->map_len = len + page;
	f->lo = map + page;
	f->len = len;
	*out = f;
	return 0;
}

/*
 * Tell the sanitizers that the frames on f's stack are gone (they were
 * abandoned, not returned from).  ASan: their redzones stay poisoned
 * otherwise, also after munmap, and memory mapped there later by a raw
 * system call (liburing's rings) would look like a stack underflow.
 * TSan: the fiber's shadow stack goes with them.
 */
static void forget_frames(struct kiln__fiber *f)
{
#ifdef __SANITIZE_ADDRESS__
	ASAN_UNPOISON_MEMORY_REGION(f->lo, f->len);
#endif
#ifdef __SANITIZE_THREAD__
	if (f->tsan)
		__tsan_destroy_fiber(f->tsan);
	f->tsan = NULL;
#endif
	(void)f;
}

void kiln__fiber_destroy(struct kiln__fiber *f)
{
	forget_frames(f);
	munmap(f->map, f->map_len);
	kiln__free(f);
}

/* Describe the calling thread's own stack, to switch back to it later. */
void kiln__fiber_native(struct kiln__fiber *f)
{
	pthread_attr_t attr;
	void *lo = NULL;
	size_t len = 0;

	if (pthread_getattr_np(pthread_self(), &attr) == 0) {
		pthread_attr_getstack(&attr, &lo, &len);
		pthread_attr_destroy(&attr);
	}
	f->job.kind = KILN__JOB_FIBER;
	f->map = NULL;
	f->lo = lo;
	f->len = len;
#ifdef __SANITIZE_THREAD__
	f->tsan = __tsan_get_current_fiber();
#endif
}

/* Make f begin at entry() when next switched to; its old frames are gone. */
void kiln__fiber_start(struct kiln__fiber *f, void (*entry)(void))
{
	forget_frames(f);
#ifdef __SANITIZE_THREAD__
	f->tsan = __tsan_create_fiber(0);
#endif
#ifdef KILN_FIBER_UCONTEXT
	getcontext(&f->uc);
#ifdef __x86_64__
	/* The ABI's initial modes, not those of the task that parked. */
	f->uc.uc_mcontext.fpregs->mxcsr = 0x1f80;
	f->uc.uc_mcontext.fpregs->cwd = 0x037f;
#endif
	f->uc.uc_stack.ss_sp = f->lo;
	f->uc.uc_stack.ss_size = f->len;
	f->uc.uc_link = NULL;
	makecontext(&f->uc, entry, 0);
#else
	f->sp = kiln__ctx_make(f->lo + f->len, entry);
#endif
	f->timeout = 0;
}

/* First thing a fiber's entry function calls. */
void kiln__fiber_entered(void)
{
#ifdef __SANITIZE_ADDRESS__
	__sanitizer_finish_switch_fiber(NULL, NULL, NULL);
#endif
}

/*
 * Save the running context in from and continue in to.  Returns when some
 * thread switches back to from.  from_is_done: from will never be resumed
 * (it goes back to a pool and restarts at its entry).
 */
void kiln__fiber_switch(struct kiln__fiber *from, struct kiln__fiber *to,
    int from_is_done)
{
#ifdef __SANITIZE_ADDRESS__
	void *fake = NULL;

	__sanitizer_start_switch_fiber(from_is_done ? NULL : &fake, to->lo,
	    to->len);
#else
	(void)from_is_done;
#endif
#ifdef __SANITIZE_THREAD__
	/* Flags 0: the switch orders what from did before what to does. */
	__tsan_switch_to_fiber(to->tsan, 0);
#endif
#ifdef KILN_FIBER_UCONTEXT
	swapcontext(&from->uc, &to->uc);
#else
	kiln__ctx_switch(&from->sp, to->sp);
#endif
#ifdef __SANITIZE_ADDRESS__
	__sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
}
