/* SPDX-License-Identifier: MIT */
/* libFuzzer target: /proc/net/nf_conntrack text (lib/conntrack_proc.c). The
 * kernel writes it, but from what packets carry and what other tools set
 * (zones, labels, secctx), and vmnet deletes entries by what it parses. An
 * accepted line must give a complete tuple that fits its buffer. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vmnet/conntrack_proc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int each(const struct vmnet_ct_line *l, void *data)
{
	unsigned char buf[VMNET_CT_ORIG_MAX];

	(void)data;
	if (l->af != AF_INET && l->af != AF_INET6)
		abort();
	if (!vmnet_ctproc_orig(l, buf, sizeof(buf)))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmnet_ct_line l;
	size_t used = 0;

	/* The whole input as one line, then as the file's lines. */
	if (vmnet_ctproc_parse_line((const char *)data, size, &l) == 0)
		each(&l, NULL);
	if (vmnet_ctproc_parse((const char *)data, size, &used, each, NULL) == 0 && used > size)
		abort();
	return 0;
}
