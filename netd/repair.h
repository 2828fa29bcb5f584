/* SPDX-License-Identifier: MIT */
/*
 * Put back what is missing of one recorded attachment whose VM namespace
 * still exists. The VM's tap is kept whenever it survived, because a
 * running VMM holds it open: re-creating it would cut the guest off for
 * good. Only when the tap itself is gone (a reboot-like loss) does this
 * fall back to the plugin's own detach + attach.
 */
#ifndef NETD_REPAIR_H
#define NETD_REPAIR_H

struct vmnet_record;
struct vmnet_err;

/* @nsfd: the VM netns (borrowed), -1 when the record has none. 0 when the
 * attachment passes vmnet_attach_check() afterwards. */
int netd_repair(const struct vmnet_record *rec, int nsfd, struct vmnet_err *err);

#endif
