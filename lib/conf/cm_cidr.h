/* cm_cidr - IPv4/IPv6 network lists ("192.0.2.0/24, 2001:db8::/32, 127.0.0.1"). */
#ifndef CM_CIDR_H
#define CM_CIDR_H

#include <stddef.h>

typedef struct cm_cidr {
    int family;                 /* AF_INET or AF_INET6 */
    unsigned char addr[16];
    unsigned prefix;
} cm_cidr;

typedef struct cm_cidr_list {
    cm_cidr *v;
    size_t n;
} cm_cidr_list;

/* 0 or -1 (malformed) */
int cm_cidr_parse(const char *s, cm_cidr *out);
int cm_cidr_list_add(cm_cidr_list *l, const cm_cidr *c);
void cm_cidr_list_free(cm_cidr_list *l);
/* 1 if the textual address addr is in the list; 0 otherwise (also if unparsable).
 * IPv4-mapped IPv6 addresses and an "IPv6:" prefix are understood. */
int cm_cidr_list_match(const cm_cidr_list *l, const char *addr);

#endif
