/* SPDX-License-Identifier: MIT */
/*
 * Tearing one recorded attachment down: what the plugin's DEL and GC and
 * netd's reconcile all do, in one place. Which namespace may be entered is
 * the caller's business (DEL proves it with vmnet_netns_open_proven, netd
 * with vmnet_netns_prove); this only acts on what it is given.
 */
#ifndef VMNET_TEARDOWN_H
#define VMNET_TEARDOWN_H

struct vmnet_record;
struct vmnet_release;
struct vmnet_err;

/* Under the network's lock: nftables elements and devices (vmnet_detach,
 * inside the VM namespace only with @nsfd >= 0, borrowed; the bridge with
 * the network's last record), then the address (@release, NULL: it stays,
 * as in GC, whose IPAM GC frees it), then, only if all that worked, the
 * record: while it exists a retried DEL or netd's next pass can finish the
 * job. Keeps going after failures; returns the first. */
int vmnet_teardown_record(const char *state_dir, const struct vmnet_record *rec, int nsfd,
			  const struct vmnet_release *release, struct vmnet_err *err);

#endif
