/* SPDX-License-Identifier: MIT */
/*
 * Parked devices: DEL takes a host-wiring tap out of service instead of
 * deleting it (a device deletion costs the kernel an RCU barrier, 16-32 ms),
 * and a later ADD of the same kind of tap takes it back. A parked tap is
 * down, no bridge port, without address, in device group VMNET_PARK_GROUP,
 * in no nftables set (those name the attachment's device), named
 * "vmp<slot>" with slot < vmnet_park_max(), under the parked alias (see
 * VMNET_PREFIX_PARKED). The slots bound them: a tap that finds no free slot
 * is deleted. netd deletes parked taps older than VMNET_PARK_AGE_S, GC all.
 * ADD and DEL look slots up by name from vmp0 (one look-up per parked tap,
 * whatever else the host has); a reap finds them in every slot with one
 * dump and moves those it keeps into the lowest free slots.
 */
#ifndef VMNET_PARK_H
#define VMNET_PARK_H

#include <net/if.h>
#include <stdint.h>

struct vmnet_nl;
struct vmnet_record;
struct vmnet_tap_opts;
struct vmnet_err;
struct vmnet_link_change;
struct vmnet_link_snap;

#define VMNET_PARK_MAX_DEFAULT 32
#define VMNET_PARK_SLOTS 4096 /* the largest bound */
#define VMNET_PARK_AGE_S 5

/* The bound on parked taps per host for this process's calls (0: parking
 * off): $VMNET_PARK_MAX when it is a number up to VMNET_PARK_SLOTS (an
 * override), else what vmnet_park_set_max() was given (the network
 * configuration's "parkMax"), else VMNET_PARK_MAX_DEFAULT. */
unsigned vmnet_park_max(void);
/* The configuration's bound for the calls that follow; -1: it gives none. */
void vmnet_park_set_max(int max);

/* DEL of @rec's host-wiring tap: parked if our alias proves it @rec's
 * (else left alone: 0), deleted instead when parking is off, a queue is
 * still attached (a VMM holds it open), it has an owner or group (they
 * could open it again; a parked tap is reachable by root only), or every
 * slot is taken. "Already gone" is success. */
int vmnet_park_tap(struct vmnet_nl *nl, const struct vmnet_record *rec, struct vmnet_err *err);

/* ADD: take a parked tap made with the same @o (multi-queue, vnet header;
 * none for a tap with an owner or group) and no queue attached, and give
 * it @as (the attachment's name and alias, and its MTU and MAC if set) in
 * the request that takes it, in the default device group; it stays down
 * and without master. Claims are serialised by a lock on VMNET_PARK_LOCK
 * (an ADD that finds it held takes none). 1 and *ret_ifindex when one was
 * taken, 0 when none (one that refused @as is deleted: a new tap's rename
 * then reports why). */
int vmnet_park_claim_tap(struct vmnet_nl *nl, const struct vmnet_tap_opts *o,
			 const struct vmnet_link_change *as, int *ret_ifindex,
			 struct vmnet_err *err);

/* Delete the parked taps parked @min_age_s seconds ago or earlier (0:
 * all), and move the others down into free slots (when no ADD holds the
 * claim lock). Where it looks: @upto_slot < 0, every slot, with one dump of
 * every tap the host has; else slots 0 to @upto_slot, by name (a request
 * each: cheaper when the host has many more taps than parking slots in
 * use). *ret_left: how many stay parked; *ret_top: the highest slot still
 * taken, -1 none (either may be NULL). Keeps going; returns the first
 * error. */
int vmnet_park_reap(struct vmnet_nl *nl, unsigned min_age_s, int upto_slot, unsigned *ret_left,
		    int *ret_top, struct vmnet_err *err);
/* The highest parking slot a tap of snapshot @s takes, -1 if none: what
 * vmnet_park_reap need look up by name when the snapshot is recent (a tap
 * parked since is a link event the caller notes). */
int vmnet_park_top_in(const struct vmnet_link_snap *s);
/* The slot of a parking name ("vmp<slot>"), -1 if @name is none. */
int vmnet_park_slot_of(const char *name);

#endif
