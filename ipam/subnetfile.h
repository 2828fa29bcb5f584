/* SPDX-License-Identifier: MIT */
/*
 * ipam.subnetFile: the node's prefixes in a file cluster tooling writes
 * (a node's podCIDR, a block handed out by a fleet manager), so one conflist
 * serves every node. One prefix per line, at most one per family; blank
 * lines and text after '#' are ignored. Each prefix becomes a range set with
 * host-local's defaults, the IPv4 one first.
 */
#ifndef VMNET_IPAM_SUBNETFILE_H
#define VMNET_IPAM_SUBNETFILE_H

#include <stddef.h>

struct vmnet_ipam_conf;
struct vmnet_err;

#define VMNET_IPAM_SUBNET_FILE_MAX 4096

/* Parse @len bytes of @text (the contents of @file, named in messages) into
 * new range sets of @c. Code 7 for a line that is not a prefix vmnet-ipam
 * accepts, two prefixes of one family, a NUL byte or too many range sets;
 * code 11 when the text holds no prefix at all (the tooling has not written
 * it yet). */
int vmnet_ipam_subnetfile_parse(const char *text, size_t len, const char *file,
				struct vmnet_ipam_conf *c, struct vmnet_err *err);

/* Read @file (an absolute path) and parse it as above. Code 11 when it
 * does not exist or is empty, 7 when it cannot be read otherwise (not a
 * regular file, permissions, larger than VMNET_IPAM_SUBNET_FILE_MAX). */
int vmnet_ipam_subnetfile_read(const char *file, struct vmnet_ipam_conf *c,
			       struct vmnet_err *err);

#endif
