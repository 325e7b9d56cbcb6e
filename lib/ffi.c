/*
 * Out-of-line, exported copies of the inline functions of kiln.h, for
 * callers that cannot use the header's inline code (other languages, or
 * taking a function's address).
 */
#include "config.h"

/* The header declares them only as its inline definitions. */
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#define KILN_INLINE KILN_API
#include "kiln.h"
