/* SPDX-License-Identifier: MIT */
/*
 * GC (1.1.0): every recorded attachment of this network that is not in
 * cni.dev/valid-attachments is torn down like a DEL; then GC goes on to
 * the IPAM plugin, which frees addresses the same way. Errors are
 * collected and the first is reported after everything was tried.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "plugin.h"
#include "vmnet/err.h"
#include "vmnet/log.h"
#include "vmnet/record.h"

static bool is_valid(json_t *valid, const char *cid, const char *ifname)
{
	size_t i;
	json_t *it;

	json_array_foreach(valid, i, it) {
		const char *vc = json_string_value(json_object_get(it, "containerID"));
		const char *vi = json_string_value(json_object_get(it, "ifname"));

		if (vc && vi && !strcmp(vc, cid) && !strcmp(vi, ifname))
			return true;
	}
	return false;
}

int vmnet_cmd_gc(struct vmnet_call *c, struct vmnet_err *err)
{
	const struct vmnet_conf *cf = c->conf;
	_cleanup_close_ int lock = -1;
	char dir[PATH_MAX];
	struct dirent *de;
	int first = 0, r;
	DIR *d;

	if (cf->version < VMNET_CNI_V110)
		return vmnet_err_set(err, CNI_ERR_INCOMPATIBLE_VERSION, 0,
				     "config version %s does not allow GC", cf->version_str);
	/* No list means the runtime told us nothing: collect nothing. */
	if (!cf->valid_attachments)
		goto ipam;
	r = vmnet_record_lock(cf->state_dir, cf->name, VMNET_LOCK_TIMEOUT_MS, &lock, err);
	if (r < 0)
		return r;
	vmnet_record_dir(dir, sizeof(dir), cf->state_dir, cf->name);
	d = vmnet_record_opendir(dir);
	if (!d)
		goto ipam;
	while ((de = readdir(d))) {
		char path[PATH_MAX];
		struct vmnet_record rec;
		struct vmnet_err e = { 0 };
		size_t n = strlen(de->d_name);

		/* A record write killed before its rename (we hold the lock). */
		if (vmnet_record_is_tmp_name(de->d_name))
			unlinkat(dirfd(d), de->d_name, 0);
		if (de->d_name[0] == '.' || n < 6 || strcmp(de->d_name + n - 5, ".json"))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= sizeof(path))
			continue;
		if (vmnet_record_read_path(path, &rec, &e) < 0) {
			log_warn("GC: %s, ignoring", e.msg);
			continue;
		}
		if (!is_valid(cf->valid_attachments, rec.cid, rec.ifname)) {
			log_info("GC: removing %s/%s from network %s", rec.cid, rec.ifname, cf->name);
			/* IPAM's own GC below frees the address. */
			r = vmnet_teardown(c, &rec, false, first ? &e : err);
			if (r < 0 && !first)
				first = r;
		}
		vmnet_record_clear(&rec);
	}
	closedir(d);
ipam:
	if (cf->ipam_type) {
		r = vmnet_delegate(c->env->path, cf->ipam_type, "GC", c->stdin_buf, c->stdin_len, NULL,
				   first ? NULL : err);
		if (r < 0 && !first)
			first = r;
	}
	return first;
}
