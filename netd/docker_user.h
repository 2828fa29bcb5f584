/* SPDX-License-Identifier: MIT */
/* netd's side of living with Docker (include/vmnet/docker.h). */
#ifndef NETD_DOCKER_USER_H
#define NETD_DOCKER_USER_H

struct netd_daemon;

/* After a pass: vmnet's accepts in Docker's DOCKER-USER chains for the
 * device of every record netd knows (only adds; the plugin's last DEL
 * removes them). Docker rebuilding its chains takes them away, and its chain
 * events schedule a pass (lib/events.c). Nothing without records or without
 * the chain; a failure is logged (once while it repeats) and retried by the
 * next pass. */
void netd_docker_sync(struct netd_daemon *d);

#endif
