/* SPDX-License-Identifier: MIT */
/*
 * Every device of a namespace from one RTM_GETLINK dump, sorted by name
 * (vmnet/link.h): a pass checking thousands of attachments looks their
 * devices up here instead of asking the kernel for each.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmnet/common.h"
#include "vmnet/link.h"

static int add(const struct vmnet_link_info *li, void *arg)
{
	struct vmnet_link_snap *s = arg;

	if (vmnet_grow(&s->v, &s->cap, s->n, sizeof(*s->v), 64) < 0)
		return -ENOMEM;
	s->v[s->n++] = *li;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct vmnet_link_info *)a)->name,
		      ((const struct vmnet_link_info *)b)->name);
}

int vmnet_link_snap_take(struct vmnet_nl *nl, struct vmnet_link_snap **ret,
			 struct vmnet_err *err)
{
	struct vmnet_link_snap *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return vmnet_err_set(err, VMNET_ERR_SYSTEM, ENOMEM, "listing links");
	r = vmnet_link_walk(nl, NULL, 0, add, s, err);
	if (r < 0) {
		vmnet_link_snap_free(s);
		return r;
	}
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), by_name);
	*ret = s;
	return 0;
}

const struct vmnet_link_info *vmnet_link_snap_find(const struct vmnet_link_snap *s,
						   const char *name)
{
	struct vmnet_link_info key;

	if (!s || !name || strlen(name) >= sizeof(key.name))
		return NULL;
	strcpy(key.name, name);
	return bsearch(&key, s->v, s->n, sizeof(*s->v), by_name);
}

struct vmnet_link_snap *vmnet_link_snap_free(struct vmnet_link_snap *s)
{
	if (s) {
		free(s->v);
		free(s);
	}
	return NULL;
}
