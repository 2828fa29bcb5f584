/* SPDX-License-Identifier: MIT */
/*
 * vmnet: the CNI plugin. Reads the CNI environment and the network
 * configuration, dispatches the verb, and is the only place that prints:
 * a result or an error JSON on stdout, logs on stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "plugin.h"
#include "vmnet/err.h"
#include "vmnet/json.h"
#include "vmnet/log.h"

static int version(const char *buf, size_t len)
{
	json_auto_t *in = len ? vmnet_json_load(buf, len, NULL) : NULL;
	json_auto_t *out = json_object();
	const char *v = in ? json_string_value(json_object_get(in, "cniVersion")) : NULL;

	if (!out || vmnet_json_set(out, "cniVersion", json_string(v ? v : "1.1.0")) < 0 ||
	    vmnet_json_set(out, "supportedVersions", vmnet_cni_supported_versions()) < 0)
		return -ENOMEM;
	return vmnet_cni_print(stdout, out);
}

static int fail(const char *ver, const struct vmnet_err *e)
{
	vmnet_cni_print_error(stdout, ver, e);
	log_err("%s", e->msg);
	return 1;
}

int main(void)
{
	_cleanup_(vmnet_conf_freep) struct vmnet_conf *conf = NULL;
	_cleanup_free_ char *buf = NULL;
	struct vmnet_err err = { 0 };
	struct vmnet_cni_env env;
	struct vmnet_call call = { 0 };
	const char *ver = NULL;
	json_auto_t *result = NULL;
	size_t len = 0;
	int r;

	vmnet_log_init("vmnet");
	if (vmnet_cni_env_parse(&env, &err) < 0) {
		if (!getenv("CNI_COMMAND"))
			fprintf(stderr, "vmnet: CNI plugin for container VMs; supports CNI spec "
					"0.3.0 to 1.1.0 (see README.md)\n");
		return fail(NULL, &err);
	}
	if (vmnet_json_read_all(stdin, &buf, &len, &err) < 0)
		return fail(NULL, &err);
	if (env.cmd == VMNET_CNI_VERSION)
		return version(buf, len) < 0 ? 1 : 0;

	if (vmnet_conf_parse(buf, len, &conf, &ver, &err) < 0)
		return fail(ver, &err);
	ver = conf->version_str;
	if (env.cmd == VMNET_CNI_ADD || env.cmd == VMNET_CNI_DEL || env.cmd == VMNET_CNI_CHECK) {
		if (vmnet_cni_args_parse(env.args, &call.args, &err) < 0)
			return fail(ver, &err);
	}
	call.env = &env;
	call.conf = conf;
	call.stdin_buf = buf;
	call.stdin_len = len;

	switch (env.cmd) {
	case VMNET_CNI_ADD:
		r = vmnet_cmd_add(&call, &result, &err);
		break;
	case VMNET_CNI_DEL:
		r = vmnet_cmd_del(&call, &err);
		break;
	case VMNET_CNI_CHECK:
		r = vmnet_cmd_check(&call, &err);
		break;
	case VMNET_CNI_GC:
		r = vmnet_cmd_gc(&call, &err);
		break;
	case VMNET_CNI_STATUS:
		r = vmnet_cmd_status(&call, &err);
		break;
	default:
		r = vmnet_err_set(&err, CNI_ERR_INVALID_ENV, 0, "CNI_COMMAND: unexpected");
	}
	if (r < 0)
		return fail(ver, &err);
	if (result && vmnet_cni_print(stdout, result) < 0) {
		vmnet_err_set(&err, CNI_ERR_IO, EIO, "writing the result");
		return fail(ver, &err);
	}
	return 0;
}
