/* SPDX-License-Identifier: MIT */
/*
 * Releasing an attachment's address the way the plugin's DEL does: exec the
 * IPAM plugin the ADD used (from the record) with CNI_COMMAND=DEL and the
 * network config the ADD used on stdin.
 */
#ifndef NETD_IPAM_H
#define NETD_IPAM_H

struct vmnet_record;
struct vmnet_err;

/* 0 when released (or the record names no IPAM plugin); code 7 when the
 * plugin is neither in the record's CNI_PATH nor in @cni_path (searched in
 * that order), else the plugin's code and message. */
int netd_ipam_release(const char *cni_path, const struct vmnet_record *rec,
		      struct vmnet_err *err);

#endif
