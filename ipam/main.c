/* SPDX-License-Identifier: MIT */
/*
 * vmnet-ipam: the CNI IPAM plugin. Parses the protocol, opens the store
 * under its lock, runs one allocator verb, and prints once.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmnet/cni.h"
#include "vmnet/err.h"
#include "vmnet/json.h"
#include "vmnet/log.h"
#include "vmnet/result.h"
#include "alloc.h"
#include "conf.h"
#include "store.h"

#define LOCK_TIMEOUT_MS 10000

static char reply_version[16] = "1.1.0";

static void jsonp(json_t **v)
{
	json_decref(*v);
}

static int lock_timeout(void)
{
	const char *s = getenv("VMNET_IPAM_LOCK_TIMEOUT_MS");
	long v = s ? strtol(s, NULL, 10) : 0;

	return v > 0 && v < 600000 ? (int)v : LOCK_TIMEOUT_MS;
}

static int print_version(struct vmnet_err *err)
{
	_cleanup_(jsonp) json_t *v = json_object();

	if (!v || vmnet_json_set(v, "cniVersion", json_string("1.1.0")) < 0 ||
	    vmnet_json_set(v, "supportedVersions", vmnet_cni_supported_versions()) < 0)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "building the version reply");
	return vmnet_cni_print(stdout, v);
}

static int run(struct vmnet_ipam_conf *conf, struct vmnet_err *err)
{
	_cleanup_(vmnet_ipam_disk_closep) struct vmnet_ipam_disk *d = NULL;
	_cleanup_(jsonp) json_t *root = NULL, *out = NULL;
	_cleanup_free_ char *buf = NULL;
	struct vmnet_cni_args args = { 0 };
	struct vmnet_cni_env env;
	struct vmnet_ipam_owner o = { 0 };
	struct vmnet_ipam_store *s;
	struct vmnet_result res;
	size_t len;
	int r;

	if ((r = vmnet_cni_env_parse(&env, err)) < 0)
		return r;
	if ((r = vmnet_json_read_all(stdin, &buf, &len, err)) < 0)
		return r;
	if (env.cmd == VMNET_CNI_VERSION)
		return print_version(err);
	if (!(root = vmnet_json_load(buf, len, err)))
		return -EINVAL;
	if (json_is_string(json_object_get(root, "cniVersion")))
		snprintf(reply_version, sizeof(reply_version), "%s",
			 json_string_value(json_object_get(root, "cniVersion")));
	if ((r = vmnet_cni_args_parse(env.args, &args, err)) < 0)
		return r;
	if ((r = vmnet_ipam_conf_parse(root, &args, conf, err)) < 0)
		return r;

	if (env.cmd == VMNET_CNI_CHECK && conf->version < VMNET_CNI_V040)
		return vmnet_err_set(err, CNI_ERR_INCOMPATIBLE_VERSION, 0,
				     "CHECK needs cniVersion 0.4.0 or later, not %s",
				     conf->cni_version);
	if ((env.cmd == VMNET_CNI_GC || env.cmd == VMNET_CNI_STATUS) &&
	    conf->version < VMNET_CNI_V110)
		return vmnet_err_set(err, CNI_ERR_INCOMPATIBLE_VERSION, 0,
				     "%s needs cniVersion 1.1.0 or later, not %s", env.command,
				     conf->cni_version);
	if (env.containerid)
		snprintf(o.id, sizeof(o.id), "%s", env.containerid);
	if (env.ifname)
		snprintf(o.ifname, sizeof(o.ifname), "%s", env.ifname);

	r = vmnet_ipam_disk_open(conf->data_dir, conf->name, lock_timeout(), &d, err);
	if (r < 0) {
		if (env.cmd == VMNET_CNI_STATUS && err->code != CNI_ERR_TRY_AGAIN)
			err->code = CNI_ERR_NOT_AVAILABLE;
		return r;
	}
	s = vmnet_ipam_disk_store(d);

	switch (env.cmd) {
	case VMNET_CNI_ADD:
		if ((r = vmnet_ipam_alloc(s, conf, &o, &res, err)) < 0)
			return r;
		out = vmnet_result_render(&res, conf->version);
		if (!out)
			return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "rendering the result");
		/* Unlock only after the result exists; then print. */
		vmnet_ipam_disk_close(steal_ptr(d));
		return vmnet_cni_print(stdout, out);
	case VMNET_CNI_DEL:
		r = vmnet_ipam_release(s, &o, err);
		if (r > 0)
			log_debug("released %d address(es) of %s/%s", r, o.id, o.ifname);
		return r < 0 ? r : 0;
	case VMNET_CNI_CHECK:
		return vmnet_ipam_check(s, conf, &o, err);
	case VMNET_CNI_GC:
		r = vmnet_ipam_gc(s, conf, err);
		if (r > 0)
			log_info("gc released the addresses of %d attachment(s)", r);
		return r < 0 ? r : 0;
	case VMNET_CNI_STATUS:
		return vmnet_ipam_status(s, conf, err);
	default:
		return vmnet_err_set(err, CNI_ERR_INVALID_ENV, 0, "CNI_COMMAND: unsupported");
	}
}

int main(void)
{
	struct vmnet_ipam_conf conf;
	struct vmnet_err err = { 0 };
	int r;

	vmnet_log_init("vmnet-ipam");
	memset(&conf, 0, sizeof(conf));
	r = run(&conf, &err);
	vmnet_ipam_conf_done(&conf);
	if (r < 0) {
		log_err("%s", err.msg);
		vmnet_cni_print_error(stdout, reply_version, &err);
		return 1;
	}
	return 0;
}
