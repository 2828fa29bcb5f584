/* SPDX-License-Identifier: MIT */
/*
 * The nfnetlink transport that nftables (lib/nft*.c) and conntrack
 * (lib/conntrack.c) share: one NETLINK_NETFILTER socket, bound to the netns
 * it was opened in, with NETLINK_CAP_ACK (error acks carry no copy of the
 * request, which may be megabytes). Callers build the messages; this sends
 * them, reads the acks and runs dumps.
 */
#ifndef VMNET_NFNL_H
#define VMNET_NFNL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct nlmsghdr;
struct vmnet_nfnl;

/* Open a socket in the netns @nsfd (borrowed; -1: the calling thread's).
 * The thread enters @nsfd only to create the socket (vmnet_netns_enter).
 * Caller owns *ret. */
int vmnet_nfnl_open(int nsfd, struct vmnet_nfnl **ret, struct vmnet_err *err);

/* NULL-safe; returns NULL. */
struct vmnet_nfnl *vmnet_nfnl_close(struct vmnet_nfnl *s);

/* A plugin call's (not netd's): between vmnet_nfnl_share(true) and
 * vmnet_nfnl_share(false), a socket of the thread's own namespace is not
 * closed but kept, and the next open there takes it back (what was left
 * unread on it dropped): one socket for the call's conversations. Turning
 * it off closes the kept one, as vmnet_nfnl_close would (to netd, when
 * handing off is on): call it before vmnet_handoff_release. */
void vmnet_nfnl_share(bool on);

static inline void vmnet_nfnl_closep(struct vmnet_nfnl **s)
{
	vmnet_nfnl_close(*s);
}

/* The next unused sequence number: messages built from it on are ours.
 * vmnet_nfnl_send and vmnet_nfnl_request move it past what they sent. */
uint32_t vmnet_nfnl_seq(const struct vmnet_nfnl *s);

/*
 * Send @len bytes at @buf holding @n messages with sequence numbers @seq ..
 * @seq + @n - 1, each with NLM_F_ACK (@batch: framed by NFNL_MSG_BATCH_BEGIN
 * at @seq - 1 and BATCH_END, acked only on error), and read one ack per
 * message. nfnetlink handles the messages inside sendmsg, so the acks are
 * queued when it returns; once one is a refusal, no more are waited for.
 * @ret_errs (may be NULL) gets each message's ack: 0 or -errno, -ETIMEDOUT
 * if none came. Returns 0 if every message was acked without error, else
 * the first refusal with its index in *ret_idx (may be NULL; SIZE_MAX: the
 * batch as a whole), or -ETIMEDOUT, or another -errno. Never sets an error
 * object: what a refusal means is the caller's to say.
 */
int vmnet_nfnl_send(struct vmnet_nfnl *s, const void *buf, size_t len, uint32_t seq, size_t n,
		    bool batch, int *ret_errs, size_t *ret_idx);

/*
 * Send one request @nh (a GET, or a dump with NLM_F_DUMP); its sequence
 * number is set here. @cb sees each reply message and returns 1 to go on
 * (libmnl's MNL_CB_OK), or -1 with errno set; it should not stop a dump
 * early, or the rest stays queued. Returns 0 at the end of the replies, the
 * kernel's -errno (a missing object: -ENOENT), or @cb's (-EIO without errno).
 */
typedef int (*vmnet_nfnl_cb)(const struct nlmsghdr *nh, void *data);
int vmnet_nfnl_request(struct vmnet_nfnl *s, struct nlmsghdr *nh, vmnet_nfnl_cb cb, void *data);

/* Read and drop whatever is queued on @s without waiting: what an earlier
 * request left unread (a dump its callback stopped, a late ack), so that a
 * socket kept open for many requests (netd's status socket) answers the
 * next one. The kernel produces a dump's next part as the last is read, so
 * an unfinished dump is read to its end. */
void vmnet_nfnl_drain(struct vmnet_nfnl *s);

#endif
