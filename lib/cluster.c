/* SPDX-License-Identifier: MIT */
/* clusterCIDRs from and to JSON (include/vmnet/cluster.h). */
#include <errno.h>
#include <string.h>

#include "vmnet/cluster.h"
#include "vmnet/err.h"

/* Does one of two prefixes hold the other? */
static bool overlap4(const struct vmnet_prefix *a, const struct vmnet_prefix *b)
{
	const struct vmnet_prefix *wide = a->len <= b->len ? a : b;

	return vmnet_prefix_contains(wide, a == wide ? b->addr : a->addr);
}

static bool overlap6(const struct vmnet_prefix6 *a, const struct vmnet_prefix6 *b)
{
	const struct vmnet_prefix6 *wide = a->len <= b->len ? a : b;

	return vmnet_prefix6_contains(wide, a == wide ? &b->addr : &a->addr);
}

/* Append the prefix @s to @c, or say why not. */
static int add_one(struct vmnet_cluster *c, const char *s, const char *path, size_t i,
		   struct vmnet_err *err)
{
	struct vmnet_prefix p4;
	struct vmnet_prefix6 p6;
	int fam = vmnet_ip_text_family(s);
	bool clash = false;

	if (fam == 4 && vmnet_prefix_parse(s, true, false, &p4) == 0) {
		for (unsigned j = 0; j < c->n4; j++)
			clash = clash || overlap4(&c->v4[j], &p4);
		if (!clash && c->n4 < VMNET_MAX_CLUSTER) {
			c->v4[c->n4++] = p4;
			return 0;
		}
	} else if (fam == 6 && vmnet_prefix6_parse(s, true, false, &p6) == 0) {
		for (unsigned j = 0; j < c->n6; j++)
			clash = clash || overlap6(&c->v6[j], &p6);
		if (!clash && c->n6 < VMNET_MAX_CLUSTER) {
			c->v6[c->n6++] = p6;
			return 0;
		}
	} else {
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "%s[%zu]: \"%.64s\" is not a prefix (addr/len, host bits zero)",
				     path, i, s);
	}
	if (clash)
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
				     "%s[%zu]: \"%.64s\" overlaps an earlier prefix", path, i, s);
	return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0, "%s: more than %d prefixes of a family",
			     path, VMNET_MAX_CLUSTER);
}

int vmnet_cluster_parse(json_t *arr, const char *path, struct vmnet_cluster *ret,
			struct vmnet_err *err)
{
	struct vmnet_cluster c;
	size_t i;
	json_t *it;

	memset(&c, 0, sizeof(c));
	if (!arr) {
		*ret = c;
		return 0;
	}
	if (!json_is_array(arr))
		return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0, "%s: must be an array", path);
	json_array_foreach(arr, i, it) {
		int r;

		if (!json_is_string(it))
			return vmnet_err_set(err, CNI_ERR_INVALID_CONFIG, 0,
					     "%s[%zu]: must be a string", path, i);
		r = add_one(&c, json_string_value(it), path, i, err);
		if (r < 0)
			return r;
	}
	*ret = c;
	return 0;
}

json_t *vmnet_cluster_to_json(const struct vmnet_cluster *c)
{
	json_t *a = json_array();
	char buf[VMNET_PREFIXSTRLEN];

	for (unsigned i = 0; a && i < c->n4 + c->n6; i++) {
		const char *s = i < c->n4 ? vmnet_prefix_fmt(&c->v4[i], buf)
					  : vmnet_prefix6_fmt(&c->v6[i - c->n4], buf);

		if (json_array_append_new(a, json_string(s)) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}
