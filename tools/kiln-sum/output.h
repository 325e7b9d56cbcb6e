/*
 * kiln-sum: output, in the order the items were given, whatever order the
 * lanes finish them in.  One thread, the printing one, writes to the
 * standard output and error; it waits for each item a lane hashes, which
 * the lane signals with ks_publish.  Messages and check-mode lines are
 * worded as coreutils 9.1 words them.  No kiln here.
 */
#ifndef KS_OUTPUT_H
#define KS_OUTPUT_H

#include "items.h"
#include "options.h"

/* Before any item is published: 0, or a negative errno value. */
int ks_output_init(void);
void ks_output_fini(void);

/* Any thread, once per hashed item: its err and digest are final. */
void ks_publish(struct ks_item *it);

/*
 * Print every item, each as soon as it is done, drawing the progress
 * line meanwhile.  Returns the exit status they call for: 0 or 1.
 */
int ks_print_items(struct ks_items *s, const struct ks_options *o);

/* "kiln-sum: " fmt, on stderr, after what stdout has so far. */
void ks_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* KS_OUTPUT_H */
