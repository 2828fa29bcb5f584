/* SPDX-License-Identifier: MIT */
/*
 * What feeds the IPv6 guest service (guest6.h): one description (link6.h)
 * per attachment record with IPv6, kept in step with the records. Each
 * reconcile pass (it follows every state change and every link event of
 * ours) calls netd_feed6_sync() once the pass has re-read the records and
 * repaired the devices: a record that appears, changes or goes, a device
 * re-created under a new ifindex, all end there. An unchanged record costs
 * two ioctls on one long-lived socket and a memcmp, no socket of the
 * service is opened or closed.
 */
#ifndef NETD_FEED6_H
#define NETD_FEED6_H

#include <stdbool.h>
#include <stdint.h>

#include "link6.h"

struct netd_feed6;
struct netd_guest6;
struct netd_state;
struct vmnet_record;

/* The router lifetime guests are told when the record has a gateway6. */
#define NETD_FEED6_ROUTER_LIFETIME 1800

/* Pure: what netd tells the guest of @rec over IPv6 on the host link
 * @ifindex (the bridge in shared mode, the host device in isolated) whose
 * MAC is @mac: the recorded address by DHCPv6 (M on), its network on-link
 * and not autonomous (an address of the guest's own making would be
 * dropped as spoofed), a default router when the record has a gateway6,
 * the record's MTU (none below 1280), its IPv6 nameservers (not IPv4 ones,
 * loopback, link-local or multicast) and its search names followed by its
 * domain (valid host names only, as the DHCPv4 lease). -ENOENT when @rec
 * has no IPv6 or its ADD has not finished, -EINVAL when the result would
 * not be a valid description. */
int netd_feed6_link(const struct vmnet_record *rec, int ifindex, const uint8_t mac[6],
		    struct netd_link6 *ret);

/* An empty feed (nothing served); -ENOMEM. */
int netd_feed6_open(struct netd_feed6 **ret);
/* Serve every ready record of @st with IPv6 through @g (add, update,
 * delete): ready means its ADD finished and its host link exists. @st must
 * be sorted as netd_state keeps it. A guest the service cannot take (a
 * socket that cannot be set up) is logged once and tried again after a
 * while or when its description changes. */
void netd_feed6_sync(struct netd_feed6 *f, struct netd_guest6 *g, struct netd_state *st);
/* Whether the attachment of @rec is served now; its ifindex in *ret_ifindex. */
bool netd_feed6_served(const struct netd_feed6 *f, const struct vmnet_record *rec,
		       int *ret_ifindex);
/* How many attachments are served. */
unsigned netd_feed6_count(const struct netd_feed6 *f);
/* Forget everything, serving nothing (@g may be NULL when it is already
 * closed); NULL-safe; returns NULL. */
struct netd_feed6 *netd_feed6_close(struct netd_feed6 *f, struct netd_guest6 *g);

#endif
