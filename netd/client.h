/* SPDX-License-Identifier: MIT */
/* The same binary as a client of the control socket. */
#ifndef NETD_CLIENT_H
#define NETD_CLIENT_H

#include "daemon.h"
#include "proto.h"

/* Send @req to @o->socket and print the answer (JSON with o->json, else a
 * table or, for lease with o->kernel_arg, the ip= argument). Exit status. */
int netd_client_run(const struct netd_opts *o, const struct netd_request *req);

#endif
