/*
 * TEMPORARY, until kiln_getaddrinfo lands in lib/ (same declaration as it
 * will have in kiln.h): delete this file and standin-getaddrinfo.c then.
 */
#ifndef KILN_FETCH_STANDIN_GETADDRINFO_H
#define KILN_FETCH_STANDIN_GETADDRINFO_H

#include <netdb.h>

int kiln_getaddrinfo(const char *node, const char *service,
    const struct addrinfo *hints, struct addrinfo **res);

#endif
