/*
 * TEMPORARY stand-in for kiln_getaddrinfo, which the library is about to
 * gain: plain getaddrinfo(3), which blocks the worker thread instead of
 * parking the task, and ignores kiln_timeout.  Delete with its header when
 * the real call is on main.
 */
#include "config.h"

#include "standin-getaddrinfo.h"

int kiln_getaddrinfo(const char *node, const char *service,
    const struct addrinfo *hints, struct addrinfo **res)
{
	return getaddrinfo(node, service, hints, res);
}
