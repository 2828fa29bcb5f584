/* SPDX-License-Identifier: MIT */
/* Records for the unit tests, written as a plugin writes them. */
#ifndef VMNET_RECORD_TEST_H
#define VMNET_RECORD_TEST_H

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vmnet/err.h"
#include "vmnet/record.h"

/* @network/@cid@eth0, host device vmv0123, guest @addr/@len, gateway the
 * first address of its /24: what the tests then change. */
__attribute__((unused)) static void record_fixture(struct vmnet_record *rec, const char *network,
						   const char *cid, uint32_t addr, uint8_t len)
{
	memset(rec, 0, sizeof(*rec));
	rec->tap_uid = rec->tap_gid = -1;
	rec->host_nsid = -1;
	snprintf(rec->network, sizeof(rec->network), "%s", network);
	snprintf(rec->cid, sizeof(rec->cid), "%s", cid);
	strcpy(rec->ifname, "eth0");
	strcpy(rec->host_if, "vmv0123");
	rec->guest_mac[0] = 0x02;
	rec->guest.addr = addr;
	rec->guest.len = len;
	rec->gateway = (addr & 0xffffff00u) | 1;
}

/* @rec into @state under its network's lock: 0, or < 0 (said on stdout). */
__attribute__((unused)) static int record_put(const char *state, const struct vmnet_record *rec)
{
	struct vmnet_err err = {0};
	int lock = -1, r;

	r = vmnet_record_lock(state, rec->network, 5000, &lock, &err);
	if (r == 0)
		r = vmnet_record_write(state, rec, &err);
	if (r < 0)
		printf("# %s\n", err.msg);
	if (lock >= 0)
		close(lock);
	return r;
}

#endif
