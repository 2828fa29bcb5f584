/* SPDX-License-Identifier: MIT */
/*
 * vmnet: the CNI plugin. The engine's skeleton (vmnet/plugin.h) reads the
 * environment, answers VERSION and prints; this file parses the network
 * configuration and names the verbs.
 */
#include <stdio.h>

#include "plugin.h"
#include "vmnet/delegate.h"
#include "vmnet/err.h"
#include "vmnet/handoff.h"
#include "vmnet/ipam.h"
#include "vmnet/nfnl.h"
#include "vmnet/nl.h"
#include "vmnet/park.h"
#include "vmnet/plugin.h"

static int parse(struct vmnet_plugin_call *pc, struct vmnet_err *err)
{
	struct vmnet_call *call = pc->data;
	const char *ver = NULL;
	int r;

	r = vmnet_conf_parse(pc->stdin_buf, pc->stdin_len, &call->conf, &ver, err);
	if (r >= 0)
		ver = call->conf->version_str;
	if (ver)
		snprintf(pc->version, sizeof(pc->version), "%s", ver);
	if (r < 0)
		return r;
	vmnet_park_set_max(call->conf->park_max);
	if (pc->env.cmd == VMNET_CNI_ADD || pc->env.cmd == VMNET_CNI_DEL ||
	    pc->env.cmd == VMNET_CNI_CHECK) {
		if ((r = vmnet_cni_args_parse(pc->env.args, &call->args, err)) < 0)
			return r;
	}
	call->env = &pc->env;
	call->stdin_buf = pc->stdin_buf;
	call->stdin_len = pc->stdin_len;
	return 0;
}

/* Every verb that talks to nf_tables hands its netfilter sockets to netd at
 * the end instead of closing them (include/vmnet/handoff.h): DEL and GC
 * delete elements, and any close right after a deletion (another call's
 * too: the destroy work is the kernel's, not this call's) waits for an RCU
 * grace period. Calls run back to back (a DEL, then the next ADD) would
 * otherwise each pay it. Its conversations in the host namespace share one
 * netfilter socket (vmnet_nfnl_share), handed over with the rest, and one
 * route socket (vmnet_nl_share). */
static void begin(void)
{
	vmnet_handoff_enable();
	vmnet_nfnl_share(true);
	vmnet_nl_share(true);
}

static int end(int r)
{
	vmnet_nl_share(false);
	vmnet_nfnl_share(false);
	vmnet_handoff_release();
	return r;
}

static int add(struct vmnet_plugin_call *pc, json_t **ret_result, struct vmnet_err *err)
{
	begin();
	return end(vmnet_cmd_add(pc->data, ret_result, err));
}

static int del(struct vmnet_plugin_call *pc, json_t **ret_result, struct vmnet_err *err)
{
	begin();
	return end(vmnet_cmd_del(pc->data, err));
}

static int check(struct vmnet_plugin_call *pc, json_t **ret_result, struct vmnet_err *err)
{
	begin();
	return end(vmnet_cmd_check(pc->data, err));
}

static int gc(struct vmnet_plugin_call *pc, json_t **ret_result, struct vmnet_err *err)
{
	begin();
	return end(vmnet_cmd_gc(pc->data, err));
}

static int status(struct vmnet_plugin_call *pc, json_t **ret_result, struct vmnet_err *err)
{
	return vmnet_cmd_status(pc->data, err);
}

static const struct vmnet_plugin plugin = {
	.name = "vmnet",
	.about = "CNI plugin for container VMs; supports CNI spec 0.3.0 to 1.1.0 (see README.md)",
	.parse = parse,
	.verbs = {
		[VMNET_CNI_ADD] = add,
		[VMNET_CNI_DEL] = del,
		[VMNET_CNI_CHECK] = check,
		[VMNET_CNI_GC] = gc,
		[VMNET_CNI_STATUS] = status,
	},
};

int main(void)
{
	struct vmnet_call call = { 0 };
	int r;

	vmnet_delegate_register(&vmnet_ipam_inproc);
	r = vmnet_plugin_main(&plugin, &call);

	vmnet_conf_free(call.conf);
	return r;
}
