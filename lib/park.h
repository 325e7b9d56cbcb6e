/*
 * What a waiting operation needs from the scheduler, and nothing more:
 * park the running fiber, and make a parked fiber ready again.  Declared
 * here for io.c (and task.c); implemented by worker.c, which is the layer
 * above io.c: io.c calls down into its rings and helpers, and back up only
 * through these functions.  A worker appears here only as its I/O state.
 */
#ifndef KILN_PARK_H
#define KILN_PARK_H

struct kiln__fiber;
struct kiln__wio;

/*
 * Runs on the fiber switched to, first thing, with the fiber f that parked,
 * once f is completely switched out: only from then on may any thread
 * resume f, so this is where a wait is published (the suspend race).
 */
typedef void kiln__after_fn(struct kiln__fiber *f, void *arg);

/* The calling worker's I/O state, or NULL outside a pool.  Any thread.  A
 * fiber may move to another worker at every park: read it again after. */
struct kiln__wio *kiln__wio_self(void);

/* The fiber running on the calling worker.  On a worker only. */
struct kiln__fiber *kiln__fiber_self(void);

/*
 * Park the running fiber and go on with other work; after(f, arg) runs as
 * described above.  Returns 0 once f has been resumed (perhaps on another
 * worker), or -ENOMEM at once, without calling after, if no fiber could be
 * made to go on with.  Inside a task only.
 */
int kiln__park(kiln__after_fn *after, void *arg);

/* Make f ready on w, quietly (see kiln__wake_idle).  w's own thread only. */
void kiln__fiber_ready(struct kiln__wio *w, struct kiln__fiber *f);

/* Make f ready on w and make sure some worker will run it.  Any thread. */
void kiln__fiber_ready_remote(struct kiln__wio *w, struct kiln__fiber *f);

/* After making fibers ready on w quietly: wake a sleeping worker of w's
 * pool if w has more ready than it takes next.  w's own thread only. */
void kiln__wake_idle(struct kiln__wio *w);

#endif /* KILN_PARK_H */
