/* SPDX-License-Identifier: MIT */
/*
 * vmnet-ipam: the CNI IPAM plugin. The engine's skeleton (vmnet/plugin.h)
 * reads the environment, answers VERSION and prints (or, in-process, hands
 * back); this file parses the configuration, opens the store under its lock
 * and runs one allocator verb.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmnet/cni.h"
#include "vmnet/delegate.h"
#include "vmnet/err.h"
#include "vmnet/ipam.h"
#include "vmnet/json.h"
#include "vmnet/log.h"
#include "vmnet/plugin.h"
#include "vmnet/result.h"
#include "alloc.h"
#include "conf.h"
#include "store.h"

#define LOCK_TIMEOUT_MS 10000

struct ipam {
	json_t *root;
	struct vmnet_ipam_conf conf;
	struct vmnet_ipam_owner owner;
};

static int lock_timeout(const struct vmnet_plugin_call *pc)
{
	const char *s = vmnet_cni_env_get(&pc->env, "VMNET_IPAM_LOCK_TIMEOUT_MS");
	long v = s ? strtol(s, NULL, 10) : 0;

	return v > 0 && v < 600000 ? (int)v : LOCK_TIMEOUT_MS;
}

static int need_version(const struct vmnet_plugin_call *pc, const struct vmnet_ipam_conf *conf,
			struct vmnet_err *err)
{
	if (pc->env.cmd == VMNET_CNI_CHECK && conf->version < VMNET_CNI_V040)
		return vmnet_err_set(err, CNI_ERR_INCOMPATIBLE_VERSION, 0,
				     "CHECK needs cniVersion 0.4.0 or later, not %s",
				     conf->cni_version);
	if ((pc->env.cmd == VMNET_CNI_GC || pc->env.cmd == VMNET_CNI_STATUS) &&
	    conf->version < VMNET_CNI_V110)
		return vmnet_err_set(err, CNI_ERR_INCOMPATIBLE_VERSION, 0,
				     "%s needs cniVersion 1.1.0 or later, not %s", pc->env.command,
				     conf->cni_version);
	return 0;
}

static int parse(struct vmnet_plugin_call *pc, struct vmnet_err *err)
{
	struct ipam *p = pc->data;
	struct vmnet_cni_args args = { 0 };
	json_t *v;
	int r;

	if (!(p->root = vmnet_json_load(pc->stdin_buf, pc->stdin_len, err)))
		return -EINVAL;
	v = json_object_get(p->root, "cniVersion");
	if (json_is_string(v))
		snprintf(pc->version, sizeof(pc->version), "%s", json_string_value(v));
	if ((r = vmnet_cni_args_parse(pc->env.args, &args, err)) < 0)
		return r;
	r = vmnet_ipam_conf_parse(p->root, &args, &p->conf, err);
	/* A subnet file not written yet: DEL releases by owner and needs no
	 * ranges (the network's name and dataDir are parsed); STATUS says the
	 * plugin cannot serve an ADD. */
	if (r < 0 && p->conf.subnet_file_pending && pc->env.cmd == VMNET_CNI_DEL) {
		vmnet_err_clear(err);
		r = 0;
	} else if (r < 0 && p->conf.subnet_file_pending && pc->env.cmd == VMNET_CNI_STATUS) {
		vmnet_err_recode(err, CNI_ERR_NOT_AVAILABLE);
	}
	if (r < 0 || (r = need_version(pc, &p->conf, err)) < 0)
		return r;
	if (pc->env.containerid)
		snprintf(p->owner.id, sizeof(p->owner.id), "%s", pc->env.containerid);
	if (pc->env.ifname)
		snprintf(p->owner.ifname, sizeof(p->owner.ifname), "%s", pc->env.ifname);
	return 0;
}

static int open_store(struct vmnet_plugin_call *pc, struct vmnet_ipam_disk **ret,
		      struct vmnet_err *err)
{
	struct ipam *p = pc->data;
	int r;

	r = vmnet_ipam_disk_open(p->conf.data_dir, p->conf.name, lock_timeout(pc), ret, err);
	if (r < 0 && pc->env.cmd == VMNET_CNI_STATUS && err->code != CNI_ERR_TRY_AGAIN)
		vmnet_err_recode(err, CNI_ERR_NOT_AVAILABLE);
	return r;
}

/* Each verb holds the store's lock until it returns, before anything prints. */
static int ipam_add(struct vmnet_plugin_call *pc, json_t **ret_result, struct vmnet_err *err)
{
	_cleanup_(vmnet_ipam_disk_closep) struct vmnet_ipam_disk *d = NULL;
	struct ipam *p = pc->data;
	struct vmnet_ipam_result res;
	int r;

	if ((r = open_store(pc, &d, err)) < 0 ||
	    (r = vmnet_ipam_alloc(vmnet_ipam_disk_store(d), &p->conf, &p->owner, &res, err)) < 0)
		return r;
	*ret_result = vmnet_ipam_result_render(&res, p->conf.version);
	if (!*ret_result)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "rendering the result");
	return 0;
}

static int ipam_del(struct vmnet_plugin_call *pc, json_t **ret_result, struct vmnet_err *err)
{
	_cleanup_(vmnet_ipam_disk_closep) struct vmnet_ipam_disk *d = NULL;
	struct ipam *p = pc->data;
	int r;

	if ((r = open_store(pc, &d, err)) < 0 ||
	    (r = vmnet_ipam_release(vmnet_ipam_disk_store(d), &p->owner, err)) < 0)
		return r;
	if (r > 0)
		log_debug("released %d address(es) of %s/%s", r, p->owner.id, p->owner.ifname);
	return 0;
}

static int ipam_check(struct vmnet_plugin_call *pc, json_t **ret_result, struct vmnet_err *err)
{
	_cleanup_(vmnet_ipam_disk_closep) struct vmnet_ipam_disk *d = NULL;
	struct ipam *p = pc->data;
	int r;

	if ((r = open_store(pc, &d, err)) < 0)
		return r;
	return vmnet_ipam_check(vmnet_ipam_disk_store(d), &p->conf, &p->owner, err);
}

static int ipam_gc(struct vmnet_plugin_call *pc, json_t **ret_result, struct vmnet_err *err)
{
	_cleanup_(vmnet_ipam_disk_closep) struct vmnet_ipam_disk *d = NULL;
	struct ipam *p = pc->data;
	int r;

	if ((r = open_store(pc, &d, err)) < 0 ||
	    (r = vmnet_ipam_gc(vmnet_ipam_disk_store(d), &p->conf, err)) < 0)
		return r;
	if (r > 0)
		log_info("gc released the addresses of %d attachment(s)", r);
	return 0;
}

static int ipam_status(struct vmnet_plugin_call *pc, json_t **ret_result, struct vmnet_err *err)
{
	_cleanup_(vmnet_ipam_disk_closep) struct vmnet_ipam_disk *d = NULL;
	struct ipam *p = pc->data;
	int r;

	if ((r = open_store(pc, &d, err)) < 0)
		return r;
	return vmnet_ipam_status(vmnet_ipam_disk_store(d), &p->conf, err);
}

static const struct vmnet_plugin plugin = {
	.name = "vmnet-ipam",
	.parse = parse,
	.verbs = {
		[VMNET_CNI_ADD] = ipam_add,
		[VMNET_CNI_DEL] = ipam_del,
		[VMNET_CNI_CHECK] = ipam_check,
		[VMNET_CNI_GC] = ipam_gc,
		[VMNET_CNI_STATUS] = ipam_status,
	},
};

static void done(struct ipam *p)
{
	vmnet_ipam_conf_done(&p->conf);
	json_decref(p->root);
}

int vmnet_ipam_main(void)
{
	struct ipam p = { 0 };
	int r = vmnet_plugin_main(&plugin, &p);

	done(&p);
	return r;
}

int vmnet_ipam_call(char *const envp[], const char *conf, size_t len, json_t **ret_result,
		    struct vmnet_err *err)
{
	struct ipam p = { 0 };
	int r = vmnet_plugin_call(&plugin, &p, envp, conf, len, ret_result, err);

	done(&p);
	return r;
}

const struct vmnet_delegate_inproc vmnet_ipam_inproc = {
	.type = "vmnet-ipam",
	.call = vmnet_ipam_call,
};
