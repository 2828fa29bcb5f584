/* SPDX-License-Identifier: MIT */
/*
 * vmnet-ipam, the allocator as a library (build/libvmnet-ipam.a): the same
 * verbs, store, lock and on-disk format whether the plugin is exec'd or the
 * vmnet plugin and netd call it in their own process.
 */
#ifndef VMNET_IPAM_H
#define VMNET_IPAM_H

#include <stddef.h>
#include <jansson.h>

struct vmnet_delegate_inproc;
struct vmnet_err;

/* The vmnet-ipam executable: one CNI invocation from the process's
 * environment and stdin; prints; returns the exit code. */
int vmnet_ipam_main(void);

/* One invocation in this process: @envp is the environment the exec'd
 * plugin would get (CNI_COMMAND among it), @conf its stdin. On success
 * *ret_result is what it would print (NULL for nothing; caller owns); on
 * failure @err is the error it would print, code and message. */
int vmnet_ipam_call(char *const envp[], const char *conf, size_t len, json_t **ret_result,
		    struct vmnet_err *err);

/* The IPv4 subnets of the ranges a network config @netconf (borrowed; the
 * whole config an ADD passed on) gives vmnet-ipam (and host-local, whose
 * keys they are), its subnetFile read now, into @ret (at most @max).
 * Returns how many, or a negative errno and @err (the plugin's codes). */
struct vmnet_prefix;
int vmnet_ipam_subnets4(json_t *netconf, struct vmnet_prefix *ret, size_t max,
			struct vmnet_err *err);
/* The same for the IPv6 ranges. */
struct vmnet_prefix6;
int vmnet_ipam_subnets6(json_t *netconf, struct vmnet_prefix6 *ret, size_t max,
			struct vmnet_err *err);

/* Where vmnet-ipam keeps the inode pool (include/vmnet/pool.h) of the store
 * of network config @netconf (borrowed): "<dataDir>/<name>/" VMNET_IPAM_POOL,
 * into @buf. -ENOENT when the config's IPAM is not vmnet-ipam, -EINVAL when
 * it names no usable store. */
#define VMNET_IPAM_POOL ".vmnet/pool"
int vmnet_ipam_pool_dir(json_t *netconf, char *buf, size_t size);

/* vmnet_ipam_call registered under "vmnet-ipam" for vmnet_delegate_register(). */
extern const struct vmnet_delegate_inproc vmnet_ipam_inproc;

#endif
