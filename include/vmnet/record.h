/* SPDX-License-Identifier: MIT */
/*
 * Attachment records: the contract between the plugin and netd. One JSON
 * file per attachment, <stateDir>/<network>/<containerID>@<ifname>.json
 * (a container ID cannot hold '@', so the split is unambiguous), written
 * atomically (the network's spare file ".spare" is filled, then swapped
 * with the record by renameat2(RENAME_EXCHANGE): see lib/record.c) with
 * mode 0600 in 0700 dirs. Read only through vmnet_record_read*().
 * A per-network lock file, <stateDir>/<network>/.lock, serialises ADD,
 * DEL, GC and netd's reconcile of that network.
 */
#ifndef VMNET_RECORD_H
#define VMNET_RECORD_H

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>
#include <jansson.h>

#include "inet.h"
#include "result.h"
#include "netns.h"
#include "nft.h"

struct vmnet_err;

enum vmnet_mode { VMNET_MODE_SHARED, VMNET_MODE_ISOLATED };
enum vmnet_wiring { VMNET_TAP_NETNS, VMNET_TAP_HOST };

#define VMNET_MAX_PORTS 256
/* Room for a recorded CNI_PATH, NUL included. */
#define VMNET_RECORD_CNI_PATH_MAX 1024

struct vmnet_record {
	bool pending;			/* written before an ADD's IPAM call (no address yet:
					   !vmnet_record_has_address) and again before its kernel work,
					   cleared when it completes: a pending record whose ADD is
					   not running (its lock is free) is a crashed ADD */
	char network[129];
	char cid[257];
	char ifname[IFNAMSIZ];
	enum vmnet_mode mode;
	enum vmnet_wiring wiring;
	char netns[512];		/* CNI_NETNS at ADD time */
	char host_if[IFNAMSIZ];		/* vmv… (veth host end) or vmt… (host tap) */
	char bridge[IFNAMSIZ];		/* shared mode */
	char tap_name[IFNAMSIZ];	/* netns wiring: the tap in the VM netns */
	uint8_t guest_mac[6];
	struct vmnet_prefix guest;	/* guest address and prefix length; addr 0:
					   no IPv4 (IPv6-only network) */
	uint32_t gateway;		/* 0 with guest.addr 0 */
	unsigned mtu;
	bool ip_masq;
	bool ip_masq6;			/* IPv6 masquerade (NAT66); "ipMasq6" in the
					   record, ipMasq when absent */
	bool port_isolation;
	bool multi_queue;
	bool host_access;
	bool localhost_ports;		/* published ports answer on 127.0.0.1 */
	long tap_uid, tap_gid;		/* -1 = unset */
	char ipam_type[64];
	char iso_label[64];
	struct vmnet_port *ports;	/* n_ports of them (at most VMNET_MAX_PORTS), owned:
					   vmnet_record_clear frees them */
	unsigned n_ports;
	/* The DNS the ADD result reported (the plugin's "dns" over IPAM's):
	   what netd hands the guest. */
	char nameservers[VMNET_RESULT_MAX_DNS][VMNET_ADDRSTRLEN];
	unsigned n_nameservers;
	char domain[256];
	int64_t created;		/* unix seconds */
	char boot_id[40];		/* /proc/sys/kernel/random/boot_id at ADD */
	json_t *ipam_result;		/* the IPAM plugin's result, owned (may be NULL) */
	json_t *netconf;		/* the network config used at ADD, owned (may be NULL):
					   lets DEL/GC/netd call IPAM like the ADD did */
	char search[VMNET_RESULT_MAX_DNS][256];	/* with nameservers and domain above */
	unsigned n_search;
	char cni_path[VMNET_RECORD_CNI_PATH_MAX];	/* CNI_PATH of the ADD, "" if unknown:
							   netd finds the IPAM plugin there */
	struct vmnet_netns_id netns_id;	/* fstat of CNI_NETNS at ADD (ino 0: recorded
					   by an older vmnet); with boot_id, what
					   proves the namespace is still the same */
	int host_nsid;			/* the VM namespace's nsid in the host namespace
					   at ADD, -1 = none: once unassigned, proof
					   that the namespace died (nsid.h) */
	bool routed_inbound;		/* ipMasq network open to routed connections */
	struct vmnet_prefix6 guest6;	/* the guest's IPv6 address and prefix length;
					   len 0: no IPv6 (IPv4-only attachment) */
	struct in6_addr gateway6;	/* the host side's IPv6 address, with guest6 */
	struct vmnet_cluster cluster;	/* clusterCIDRs ("clusterCIDRs", absent: none) */
};

/* true if @rec's guest has an IPv6 address. */
static inline bool vmnet_record_has6(const struct vmnet_record *rec)
{
	return rec->guest6.len != 0;
}

/* true if @rec's guest has an IPv4 address (not on an IPv6-only network,
 * nor in a pending record written before IPAM answered). */
static inline bool vmnet_record_has4(const struct vmnet_record *rec)
{
	return rec->guest.addr != 0;
}

/* true once IPAM gave @rec an address of either family: a pending record
 * without one is an ADD that died before IPAM answered. */
static inline bool vmnet_record_has_address(const struct vmnet_record *rec)
{
	return vmnet_record_has4(rec) || vmnet_record_has6(rec);
}

/* "<state_dir>/<network>" and "<state_dir>/<network>/<cid>@<ifname>.json". */
int vmnet_record_dir(char *buf, size_t size, const char *state_dir, const char *network);
int vmnet_record_path(char *buf, size_t size, const char *state_dir, const char *network,
		      const char *cid, const char *ifname);

/* Take the per-network lock (creating the directories), waiting at most
 * @timeout_ms; code 11 (try again later) on timeout. *ret_fd is closed by
 * the caller to release it. */
int vmnet_record_lock(const char *state_dir, const char *network, int timeout_ms, int *ret_fd,
		      struct vmnet_err *err);

int vmnet_record_write(const char *state_dir, const struct vmnet_record *rec,
		       struct vmnet_err *err);
/* -ENOENT (without filling err) when there is no record. */
int vmnet_record_read(const char *state_dir, const char *network, const char *cid,
		      const char *ifname, struct vmnet_record *ret, struct vmnet_err *err);
int vmnet_record_read_path(const char *path, struct vmnet_record *ret, struct vmnet_err *err);
/* true if @name (a file name in a network's directory) is the temporary
 * file of a record write that was killed before its rename: whoever holds
 * the network's lock may remove it (the write it belonged to is over). */
bool vmnet_record_is_tmp_name(const char *name);

/* 0 when removed or already gone; a temporary file a killed writer left
 * goes too, and the network's spare with its last record. */
int vmnet_record_remove(const char *state_dir, const struct vmnet_record *rec,
			struct vmnet_err *err);
int vmnet_record_remove_key(const char *state_dir, const char *network, const char *cid,
			    const char *ifname, struct vmnet_err *err);
/* The same for a caller that has looked already (vmnet_record_others,
 * under the network's lock, which it still holds): @others, whether other
 * records remain, decides between keeping the inode and the last record's
 * clean-up; a failed look counts as others. */
int vmnet_record_remove_seen(const char *state_dir, const struct vmnet_record *rec, bool others,
			     struct vmnet_err *err);
/* 1 if the network has a record other than (cid, ifname), 0 if not. Stops at
 * the first one found, so it does not read the whole directory. */
int vmnet_record_others(const char *state_dir, const char *network, const char *cid,
			const char *ifname, struct vmnet_err *err);

/* The guest address a record that no longer parses (cut short by a crash
 * or a full disk) still shows in its first bytes: the value of its first
 * "address" key, if whole and valid, into *ret. -ENOENT when there is none
 * (an empty file, a cut before it). Evidence, not proof: DEL uses it only
 * for an address no readable record holds (vmnet_record_guest_taken), and
 * removes port elements only while they still map to it. _text works on
 * @len bytes of @buf (fuzzed), _address on the record of (@cid, @ifname). */
int vmnet_record_salvage_text(const char *buf, size_t len, struct vmnet_prefix *ret);
int vmnet_record_salvage_address(const char *state_dir, const char *network, const char *cid,
				 const char *ifname, struct vmnet_prefix *ret);

/* 1 if a readable record of any network under @state_dir holds guest
 * address @addr (host order), 0 if none does. Reads every record: for the
 * rare DEL without a record, which must prove an address is not another
 * attachment's before it removes anything keyed by it. */
int vmnet_record_guest_taken(const char *state_dir, uint32_t addr);
/* The same for a guest's IPv6 address. */
int vmnet_record_guest6_taken(const char *state_dir, const struct in6_addr *addr);

/* The isolation group id of @rec (0 = none): a hash of network and label,
 * so equal labels of different networks never meet. */
uint32_t vmnet_record_iso_id(const struct vmnet_record *rec);

/* 0 if @s can be recorded as a CNI_PATH: shorter than
 * VMNET_RECORD_CNI_PATH_MAX, ':'-separated absolute directories, no control
 * characters; -EINVAL otherwise. Records are read back by netd, which runs
 * programs from there. */
int vmnet_record_cni_path_check(const char *s);

/* opendir() of the state folder or a network's folder, not through a
 * symlink (NULL with errno set). */
DIR *vmnet_record_opendir(const char *path);

/* The walk over the state folder: @fn is called with a network's name and
 * the path of its folder (vmnet_record_walk_networks) or of one of its
 * record files, "<cid>@<ifname>.json" (vmnet_record_walk). Returning
 * non-zero stops the walk, which returns that value; else 0 once every
 * entry was seen. */
typedef int (*vmnet_record_walk_fn)(const char *network, const char *path, void *data);

/* Every network folder of @state_dir (the hidden ones and files such as
 * .netd.lock are not networks). -errno when @state_dir cannot be read. */
int vmnet_record_walk_networks(const char *state_dir, vmnet_record_walk_fn fn, void *data);

/* Every record file of @network, or of every network when @network is NULL
 * (a network folder that cannot be read is skipped). With @clean (the
 * caller holds the network's lock) a temporary file a killed writer left
 * is removed on the way: the record it was to become was never read by
 * anyone. -errno when @network's folder cannot be read (-ENOENT: none). */
int vmnet_record_walk(const char *state_dir, const char *network, bool clean,
		      vmnet_record_walk_fn fn, void *data);

/* Release what @rec owns (its JSON and its ports); the struct itself is
 * the caller's. */
void vmnet_record_clear(struct vmnet_record *rec);
/* @n ports of @ports into @rec, a copy it owns (its old ones freed). -ENOMEM */
int vmnet_record_set_ports(struct vmnet_record *rec, const struct vmnet_port *ports, unsigned n);
/* @dst a copy of @src that owns its JSON references and its ports (@dst's
 * own are not released first). -ENOMEM, @dst then owning nothing. */
int vmnet_record_copy(struct vmnet_record *dst, const struct vmnet_record *src);

json_t *vmnet_record_to_json(const struct vmnet_record *rec);
int vmnet_record_from_json(json_t *v, struct vmnet_record *ret, struct vmnet_err *err);

#endif
