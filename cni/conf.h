/* SPDX-License-Identifier: MIT */
/*
 * The vmnet plugin's network configuration: everything on stdin, validated
 * before anything touches the kernel. Keys are documented in README.md.
 */
#ifndef VMNET_CNI_CONF_H
#define VMNET_CNI_CONF_H

#include <limits.h>
#include <stdbool.h>
#include <net/if.h>
#include <jansson.h>

#include "vmnet/cni.h"
#include "vmnet/record.h"
#include "vmnet/result.h"

struct vmnet_err;

struct vmnet_conf {
	json_t *root;			/* the whole input, owned; passed on to IPAM */
	const char *version_str;	/* the version we answer in */
	enum vmnet_cni_version version;
	const char *name;
	enum vmnet_mode mode;
	enum vmnet_wiring wiring;
	char bridge[IFNAMSIZ];
	char tap_name[IFNAMSIZ];
	unsigned mtu;
	bool ip_masq;
	bool ip_masq6;			/* NAT66 for IPv6 guests (default: ipMasq) */
	bool port_isolation;
	bool multi_queue;
	bool host_access;
	bool localhost_ports;
	bool require_netd;
	bool routed_inbound;		/* ipMasq network open to routed connections */
	struct vmnet_cluster cluster;	/* clusterCIDRs */
	long tap_uid, tap_gid;		/* -1 = unset */
	int park_max;			/* parkMax, -1 = unset (include/vmnet/park.h) */
	char state_dir[PATH_MAX];
	const char *ipam_type;		/* NULL when the config has no ipam */
	bool has_mac;
	uint8_t mac[6];			/* runtimeConfig.mac > args.cni.mac */
	char iso_label[64];		/* runtimeConfig.vmnetGroup */
	struct vmnet_port ports[VMNET_MAX_PORTS];
	unsigned n_ports;
	bool has_dns;			/* the config's own "dns" replaces IPAM's */
	struct vmnet_result_dns dns;
	json_t *prev_result;		/* borrowed from root, NULL if absent */
	json_t *valid_attachments;	/* GC: borrowed, NULL when absent */
};

/* Parse and validate @len bytes. On success *ret is the caller's, freed
 * with vmnet_conf_free(). On failure err says why (6 decode, 7 invalid,
 * 1 version, 2 unsupported) and, when the version could be read,
 * *ret_version points at it (for the error JSON). */
int vmnet_conf_parse(const char *buf, size_t len, struct vmnet_conf **ret,
		     const char **ret_version, struct vmnet_err *err);
struct vmnet_conf *vmnet_conf_free(struct vmnet_conf *c);
static inline void vmnet_conf_freep(struct vmnet_conf **c)
{
	vmnet_conf_free(*c);
}

#endif
