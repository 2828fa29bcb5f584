/* SPDX-License-Identifier: MIT */
/* The daemon's state, shared by its loop (main.c) and its server. */
#ifndef NETD_DAEMON_H
#define NETD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "conn.h"
#include "doomed.h"
#include "vmnet/events.h"
#include "lease.h"
#include "reconcile.h"
#include "state.h"

struct netd_dhcp;
struct netd_guest6;
struct netd_feed6;
struct netd_fwd;

struct netd_opts {
	const char *state_dir;
	const char *socket;
	const char *cni_path;
	unsigned interval_s;
	unsigned step_ms;	/* a full pass's steps (loop.c) */
	bool dhcp;
	bool json;
	bool kernel_arg;
};

struct netd_daemon {
	const struct netd_opts *o;
	struct netd_state st;
	struct netd_reconcile_stats last_pass;
	struct netd_targets targets;	/* what the next pass looks at (reconcile.h) */
	int64_t last_pass_end;		/* monotonic ms the last pass ended */
	/* When the loop means to run the next pass (monotonic ms; 0: not):
	 * for events, for what the last pass asked, and the periodic one. */
	int64_t due_ev, due_pass, due_periodic;
	/* A full pass under way (loop.c): its steps (full, reconcile.h),
	 * then its end, then the rest of the pass, each a step of the loop. */
	enum { NETD_FULL_NONE, NETD_FULL_STEPS, NETD_FULL_END, NETD_FULL_REST } full_stage;
	struct netd_full *full;
	int64_t full_due;		/* monotonic ms its next step may run */
	int64_t pass_us;		/* what it has cost so far */
	int64_t step_max_us;		/* its longest step so far */
	struct vmnet_link_snap *full_links; /* its devices' snapshot, for the look
					   at parked and doomed devices (reap.h) */
	int64_t next_reap;		/* monotonic ms the next look may be (reap.h) */
	bool reap_owed;			/* a pass skipped the look */
	bool reap_seen;			/* an event named a parked or doomed device */
	bool reap_known;		/* every parked tap is in slots 0..reap_top: the
					   last look saw every slot, events named the
					   slots parked since */
	int reap_top;			/* with reap_known; -1: no slot taken */
	uint64_t reap_looks;		/* looks made (status: parked_looks) */
	uint64_t reap_by_name;		/* of them, by name (parked_looks_by_name) */
	struct netd_doomed_q doomed;	/* devices DELs handed over (doomed.h) */
	/* A whole pass (main.c): reconcile (reconcile.c) over targets, then
	 * firewalld, parked taps and doomed host ends, Docker's chain;
	 * "reconcile" runs it with targets.all set (a full pass). */
	void (*run_pass)(struct netd_daemon *d);
	struct vmnet_events ev;
	struct netd_dhcp *dhcp;
	struct netd_guest6 *guest6;	/* RA and DHCPv6 (NULL: off) */
	struct netd_feed6 *feed6;	/* the records' guests into guest6 (feed6.h) */
	struct netd_fwd *fwd;		/* firewalld (firewalld.h), never NULL once set up */
	bool fwd_retry;			/* a firewalld sync failed: again soon */
	char dhcp_error[256];
	/* netd status reads the ruleset through it (server.c): kept open,
	 * since every netfilter socket's close waits for nf_tables' commit
	 * mutex (linger.h), and a client polling status would fill the
	 * lingering list. */
	struct vmnet_nft *status_nft;
	int listen_fd;
	struct netd_conns conns;	/* clients of listen_fd */
	int64_t started;		/* unix seconds */
	uint32_t host_dns[NETD_LEASE_MAX_DNS];
	unsigned n_host_dns;
};

#endif
