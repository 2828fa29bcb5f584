/* SPDX-License-Identifier: MIT */
/*
 * netd's side of firewalld (issue 16): vmnet's host-side devices go into a
 * firewalld zone of vmnet's own, through firewalld's D-Bus API on the system
 * bus (sd-bus). The zone and its policy are permanent configuration (a
 * `firewall-cmd --reload` keeps them); the interface bindings are runtime
 * only, so netd binds them again after every reload and firewalld restart.
 * Without a system bus or without firewalld, every call here is a no-op.
 */
#ifndef NETD_FIREWALLD_H
#define NETD_FIREWALLD_H

#include <stdbool.h>
#include <stddef.h>

#define NETD_FWD_ZONE "vmnet"
#define NETD_FWD_POLICY "vmnet-to-host"

struct netd_fwd;

struct netd_fwd_status {
	bool bus;	 /* connected to a system bus */
	bool running;	 /* firewalld owns its bus name */
	size_t bound;	 /* devices netd bound to NETD_FWD_ZONE and firewalld has */
	size_t want;	 /* devices that should be bound */
	char error[256]; /* the last failure, "" if none */
};

/* Connect to the system bus (DBUS_SYSTEM_BUS_ADDRESS, else the standard
 * socket) and watch firewalld's name and its Reloaded signal. Never fails:
 * without a bus *ret is a handle that does nothing (and logs one info line).
 * -ENOMEM only. */
int netd_fwd_open(struct netd_fwd **ret);
void netd_fwd_close(struct netd_fwd *f);

/* Without a bus (none at start, or it went away), try again if the last
 * try is a few seconds old: 1 if now connected (a new fd to poll), else 0. */
int netd_fwd_reconnect(struct netd_fwd *f);

/* The bus fd to poll for input, -1 if none. */
int netd_fwd_fd(const struct netd_fwd *f);

/* Read what the bus has: 1 if firewalld appeared, reloaded or went away
 * (a netd_fwd_sync is due), 0 if not. */
int netd_fwd_handle(struct netd_fwd *f);

/* Make firewalld's runtime bindings of NETD_FWD_ZONE the devices @devs
 * (@n of them): creates the zone and policy first if firewalld lacks them,
 * binds new devices, unbinds those no longer listed. Returns 1 if something
 * failed that a retry soon may fix (firewalld still starting), else 0. */
int netd_fwd_sync(struct netd_fwd *f, const char *const *devs, size_t n);

void netd_fwd_get_status(const struct netd_fwd *f, struct netd_fwd_status *ret);

#endif
