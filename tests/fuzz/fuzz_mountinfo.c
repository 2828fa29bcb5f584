/* SPDX-License-Identifier: MIT */
/* libFuzzer target: /proc/<pid>/mountinfo lines (mount points are chosen by
 * whoever mounts, unprivileged users in user namespaces included). */
#include <stdlib.h>
#include <string.h>

#include "vmnet/netns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	const char *mp;
	uint64_t ino;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (vmnet_netns_mount_parse(s, &ino, &mp) == 1 && mp[0] != '/')
		abort();
	free(s);
	return 0;
}
