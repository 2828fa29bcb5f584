/* SPDX-License-Identifier: MIT */
/*
 * The control socket: AF_UNIX stream, root only (SO_PEERCRED), one request
 * line -> one reply line (proto.h). This half opens the socket and answers
 * decoded requests; conn.h serves the connections without blocking.
 */
#ifndef NETD_SERVER_H
#define NETD_SERVER_H

#include <jansson.h>

#include "proto.h"

struct netd_daemon;
struct vmnet_err;

/* Bind and listen on @path (its directory is created 0755; a stale socket
 * is replaced, a live one is an error). Caller owns *ret_fd. */
int netd_server_open(const char *path, int *ret_fd, struct vmnet_err *err);

/* Answer one decoded request: the "data" object (new reference) or NULL
 * with @err set (its code is an enum netd_proto_err). */
json_t *netd_server_dispatch(struct netd_daemon *d, const struct netd_request *req,
			     struct vmnet_err *err);

#endif
