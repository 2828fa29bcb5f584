/* SPDX-License-Identifier: MIT */
/*
 * GC (1.1.0): every recorded attachment of this network that is not in
 * cni.dev/valid-attachments is torn down like a DEL; then GC goes on to
 * the IPAM plugin, which frees addresses the same way. Errors are
 * collected and the first is reported after everything was tried.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "plugin.h"
#include "vmnet/err.h"
#include "vmnet/handoff.h"
#include "vmnet/log.h"
#include "vmnet/nl.h"
#include "vmnet/park.h"
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

struct gc {
	struct vmnet_call *c;
	struct vmnet_err *err;
	int first;
};

/* One record of the network: torn down unless the runtime listed it. */
static int collect(const char *network, const char *path, void *data)
{
	struct gc *g = data;
	struct vmnet_record rec;
	struct vmnet_err e = { 0 };
	int r;

	if (vmnet_record_read_path(path, &rec, &e) < 0) {
		log_warn("GC: %s, ignoring", e.msg);
		return 0;
	}
	if (!is_valid(g->c->conf->valid_attachments, rec.cid, rec.ifname)) {
		log_info("GC: removing %s/%s from network %s", rec.cid, rec.ifname, network);
		/* IPAM's own GC below frees the address. */
		r = vmnet_teardown(g->c, &rec, false, g->first ? &e : g->err);
		if (r < 0 && !g->first)
			g->first = r;
	}
	vmnet_record_clear(&rec);
	return 0;
}

/* Parked taps (lib/park.c) belong to no attachment: GC takes them all. */
static int gc_parked(struct vmnet_err *err)
{
	_cleanup_(vmnet_nl_closep) struct vmnet_nl *nl = NULL;
	int r = vmnet_nl_open(-1, &nl, err);

	if (r < 0 || (r = vmnet_park_reap(nl, 0, -1, NULL, NULL, err)) < 0)
		return r;
	/* And host ends a DEL handed to a netd that died before deleting
	 * them (a live DEL's are at most a moment old). */
	return vmnet_handoff_reap(nl, NULL, VMNET_DOOMED_AGE_S, NULL, err);
}

int vmnet_cmd_gc(struct vmnet_call *c, struct vmnet_err *err)
{
	const struct vmnet_conf *cf = c->conf;
	_cleanup_close_ int lock = -1;
	struct gc g = { c, err, 0 };
	int r;

	if (cf->version < VMNET_CNI_V110)
		return vmnet_err_set(err, CNI_ERR_INCOMPATIBLE_VERSION, 0,
				     "config version %s does not allow GC", cf->version_str);
	/* No list means the runtime told us nothing: collect nothing. */
	if (cf->valid_attachments) {
		r = vmnet_record_lock(cf->state_dir, cf->name, VMNET_LOCK_TIMEOUT_MS, &lock, err);
		if (r < 0)
			return r;
		/* Under the lock: a record write killed before its rename goes. */
		vmnet_record_walk(cf->state_dir, cf->name, true, collect, &g);
	}
	r = gc_parked(g.first ? NULL : err);
	if (r < 0 && !g.first)
		g.first = r;
	if (cf->ipam_type) {
		r = vmnet_delegate(c->env->path, cf->ipam_type, "GC", c->stdin_buf, c->stdin_len, NULL,
				   g.first ? NULL : err);
		if (r < 0 && !g.first)
			g.first = r;
	}
	return g.first;
}
