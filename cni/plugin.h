/* SPDX-License-Identifier: MIT */
/*
 * The vmnet plugin's verbs. The engine's skeleton (vmnet/plugin.h) reads
 * the environment and main.c the config, then one of these runs; each
 * returns >= 0 or a negative errno with @err filled, and prints nothing
 * (the skeleton prints the result or the error).
 */
#ifndef VMNET_CNI_PLUGIN_H
#define VMNET_CNI_PLUGIN_H

#include <jansson.h>

#include "conf.h"
#include "vmnet/cni.h"
#include "vmnet/delegate.h"
#include "vmnet/record.h"

struct vmnet_err;

/* How long a verb waits for the per-network lock before answering 11. */
#define VMNET_LOCK_TIMEOUT_MS 30000

struct vmnet_call {
	const struct vmnet_cni_env *env;
	struct vmnet_conf *conf;
	struct vmnet_cni_args args;
	const char *stdin_buf;	/* the raw config, passed on to IPAM as it came */
	size_t stdin_len;
};

int vmnet_cmd_add(struct vmnet_call *c, json_t **ret_result, struct vmnet_err *err);
int vmnet_cmd_del(struct vmnet_call *c, struct vmnet_err *err);
int vmnet_cmd_check(struct vmnet_call *c, struct vmnet_err *err);
int vmnet_cmd_gc(struct vmnet_call *c, struct vmnet_err *err);
int vmnet_cmd_status(struct vmnet_call *c, struct vmnet_err *err);

/* The guest MAC ADD gives this call's attachment: runtimeConfig.mac >
 * args.cni.mac > CNI_ARGS MAC > derived from (network, container ID,
 * ifname). Code 4 for a bad CNI_ARGS MAC. */
int vmnet_call_guest_mac(struct vmnet_call *c, uint8_t mac[6], struct vmnet_err *err);

/* Take the network's lock (*ret_lock, closed by the caller to release it)
 * and read this call's record: -ENOENT, @err untouched, when there is none;
 * the lock is held on return whenever it was taken. */
int vmnet_call_read_record(struct vmnet_call *c, int *ret_lock, struct vmnet_record *ret,
			   struct vmnet_err *err);

/* The guest's address of each family from IPAM's result into @rec (pick.c);
 * one of IPv6 alone makes an IPv6-only attachment (rec->guest.addr and
 * rec->gateway stay 0). Code 7 when there is none or one cannot serve the
 * network's mode. */
int vmnet_pick_address(const struct vmnet_result *ipam, struct vmnet_record *rec,
		       struct vmnet_err *err);

/* Tear down one recorded attachment: nft elements, devices, IPAM address,
 * record. Keeps going after failures and returns the first real one.
 * The caller holds the network lock. */
int vmnet_teardown(struct vmnet_call *c, const struct vmnet_record *rec, bool release_ipam,
		   struct vmnet_err *err);

#endif
