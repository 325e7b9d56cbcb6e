/* Starting kiln's own threads (workers, I/O helpers). */
#ifndef KILN_THREAD_H
#define KILN_THREAD_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>

/*
 * pthread_create with every signal blocked in the new thread: signals are
 * for the application's threads, not kiln's.  stack: 0 for the default.
 * Returns 0 or a negative errno value.
 */
static inline int kiln__thread_start(pthread_t *t, void *(*fn)(void *),
    void *arg, size_t stack)
{
	pthread_attr_t attr;
	sigset_t all, old;
	int ret;

	ret = pthread_attr_init(&attr);
	if (ret != 0)
		return -ret;
	if (stack)
		pthread_attr_setstacksize(&attr, stack);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = pthread_create(t, &attr, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return -ret;
}

#endif /* KILN_THREAD_H */
