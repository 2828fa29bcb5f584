/* SPDX-License-Identifier: MIT */
/*
 * Names vmnet puts into the kernel. They are how DEL (without a netns),
 * GC and netd's reconcile recognise what is ours, so they live here only.
 *
 * Host-side devices are named <prefix><12 hex digits>, the digits being a
 * hash of (network, container ID, ifname): DEL finds them with no netns and
 * no prevResult. Their IFLA_IFALIAS holds "vmnet:<network>/<cid>/<ifname>"
 * so a hash collision is detected instead of silently sharing a device.
 */
#ifndef VMNET_NAMES_H
#define VMNET_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>

#define VMNET_NFT_TABLE "vmnet"		/* inet vmnet (and bridge vmnet for L2 rules) */
/* netns wiring's forwarding in the VM namespace (lib/nft_fwd.c): table
 * netdev "vmnet_<16 hex>" of (network, container ID, ifname), chains
 * "peer" (the veth peer's ingress, to the tap) and "tap" (the way back). */
#define VMNET_FWD_TABLE_PREFIX "vmnet_"
#define VMNET_FWD_CHAIN_PEER "peer"
#define VMNET_FWD_CHAIN_TAP "tap"
#define VMNET_PREFIX_VETH "vmv"		/* host end of the veth (netns wiring) */
#define VMNET_PREFIX_TAP "vmt"		/* host tap (host wiring) */
#define VMNET_PREFIX_BRIDGE "vmbr"	/* default bridge name prefix */
/* A device vmnet is still creating: "vmq<12 hex>" of (network, container ID,
 * ifname) for an attachment's tap or veth, of (network, "", "") for a bridge.
 * It is renamed to its real name together with its alias in one request, so
 * a crash in between leaves a device whose name alone proves whose it is. */
#define VMNET_PREFIX_TEMP "vmq"
#define VMNET_ALIAS_PREFIX "vmnet:"
/* A host tap DEL took out of service for a later ADD to reuse (lib/park.c):
 * named "vmp<slot>", in device group VMNET_PARK_GROUP, under the alias
 * "vmnet:-parked/<unix time>/<kind>" (no network name starts with '-', so
 * no attachment's alias looks like it). */
#define VMNET_PREFIX_PARKED "vmp"
#define VMNET_ALIAS_PARKED VMNET_ALIAS_PREFIX "-parked/"
#define VMNET_PARK_GROUP 0x766d7070u	/* "vmpp" */
/* The host end of a netns-wired attachment a DEL handed to netd
 * (include/vmnet/handoff.h): down, off the bridge, named "vmdh<x>" under
 * the alias "vmnet:-doomed/<CLOCK_BOOTTIME seconds>", x drawn by that DEL (its
 * VM side is "vmdt<x>"/"vmdp<x>"). netd deletes it with
 * the devices in the VM namespace; one left behind by a crash is deleted
 * by netd's passes and by GC once a few seconds old. */
#define VMNET_PREFIX_DOOMED "vmd"
#define VMNET_ALIAS_DOOMED VMNET_ALIAS_PREFIX "-doomed/"
#define VMNET_PARK_LOCK "/run/vmnet/park.lock"
#define VMNET_RTPROT 0xd6		/* rtm_protocol of our routes (214, unassigned) */
/* rtm_protocol of an isolated network's aggregate: a blackhole route for the
 * node's whole block (lib/aggregate.c), which routing daemons pick by this
 * number to announce (215, unassigned; "vmnet-agg" in contrib/routing/). */
#define VMNET_RTPROT_AGGREGATE 0xd7
#define VMNET_STATE_DIR "/var/lib/vmnet"
#define VMNET_IPAM_DIR "/var/lib/cni/networks"
#define VMNET_NETD_SOCK "/run/vmnet/netd.sock"

/* The one rule set for names that come from outside (CNI environment and
 * configuration, netd requests, records) or go to the kernel. Container IDs
 * and network names: [A-Za-z0-9][A-Za-z0-9_.-]*, at most 256 and 128
 * bytes (they become file name parts). Interface names: 1..15 printable
 * ASCII bytes without '/' or ':', not "." or "..", as the kernel and
 * libcni's skel accept them. */
#define VMNET_NETNAME_MAX 128
bool vmnet_name_valid_containerid(const char *s);
bool vmnet_name_valid_netname(const char *s);
bool vmnet_name_valid_ifname(const char *s);

/* 64-bit FNV-1a over the NUL-separated strings; stable across versions. */
uint64_t vmnet_hash(const char *a, const char *b, const char *c);

/* "<prefix><12 hex>" into @buf (IFNAMSIZ). */
void vmnet_name_host_if(char buf[IFNAMSIZ], const char *prefix, const char *net, const char *cid,
			const char *ifname);

/* Deterministic locally administered unicast MAC for a guest or a device:
 * @salt separates the guest MAC from host-side device MACs. */
void vmnet_name_mac(uint8_t mac[6], const char *salt, const char *net, const char *cid,
		    const char *ifname);

/* "vmnet:<net>/<cid>/<ifname>" into @buf of @size. */
int vmnet_name_alias(char *buf, size_t size, const char *net, const char *cid, const char *ifname);

#endif
