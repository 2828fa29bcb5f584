/* SPDX-License-Identifier: MIT */
/*
 * Inside netd's record cache (state.c, state_load.c): the sorted entries
 * and how an entry is made from a record.
 */
#ifndef NETD_STATE_PRIV_H
#define NETD_STATE_PRIV_H

#include <sys/types.h>

#include "state.h"

void netd_cache_sort(struct netd_state *st);
ssize_t netd_cache_search(struct netd_entry *const *v, size_t n, const char *network,
			  const char *cid, const char *ifname, size_t *ret_at);
int netd_cache_insert(struct netd_state *st, size_t at, struct netd_entry *e);
void netd_entry_free(struct netd_entry *e);
struct netd_entry *netd_entry_of(const struct vmnet_record *rec);
struct netd_entry *netd_entry_read(const char *path);
void netd_state_watch(struct netd_state *st, const char *network);

#endif
