/* SPDX-License-Identifier: MIT */
/*
 * What attach.c (host side, nftables, the whole ADD/DEL/CHECK) and
 * attach_vm.c (the VM-namespace side of netns wiring) share.
 */
#ifndef VMNET_ATTACH_PRIV_H
#define VMNET_ATTACH_PRIV_H

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

#include "vmnet/attach.h"
#include "vmnet/err.h"
#include "vmnet/names.h"

struct vmnet_nl;

/* "vmnet:<network>/<cid>/<ifname>": the alias that proves a device ours. */
static inline void attach_alias(const struct vmnet_record *rec, char *buf, size_t size)
{
	vmnet_name_alias(buf, size, rec->network, rec->cid, rec->ifname);
}

/* The name of @rec's tap or veth host end while it is being created. */
static inline void attach_temp_name(const struct vmnet_record *rec, char buf[IFNAMSIZ])
{
	vmnet_name_host_if(buf, VMNET_PREFIX_TEMP, rec->network, rec->cid, rec->ifname);
}

/* Teardown keeps going: "already gone" is success, the first error wins. */
static inline void attach_keep_first(int *first, int r)
{
	if (r < 0 && !vmnet_err_is_gone(r) && *first == 0)
		*first = r;
}

/* A CHECK failure (code 110) with a formatted message. */
int vmnet_attach_mismatch(struct vmnet_err *err, const char *fmt, ...) _printf_(2, 3);

/* netns wiring, in attach_vm.c: the veth pair, the tap and the VM side
 * (vmnet_attach_vm_side); on failure what was created is removed again. */
int vmnet_attach_wire_netns(struct vmnet_nl *host, struct vmnet_nl *vm, int nsfd, int br_idx,
			    const struct vmnet_record *rec, struct vmnet_attach_state *st,
			    struct vmnet_err *err);

/* Remove @rec's devices in the VM namespace (@vm): the tap under our alias
 * with its device group, a tap still under its temporary name, a veth peer
 * with the guest MAC and our group. Returns the first real error. */
int vmnet_attach_vm_clear(struct vmnet_nl *vm, const struct vmnet_record *rec,
			  struct vmnet_err *err);

/* CHECK of the VM-namespace side (@nsfd < 0: the namespace is gone). */
int vmnet_attach_check_vm(const struct vmnet_record *rec, int nsfd, struct vmnet_err *err);

#endif
