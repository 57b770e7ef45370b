/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What xtcp.ko lends xtcp_diag.ko (diag.c), the sock_diag module: the
 * only XTCP functions another module calls, each EXPORT_SYMBOL_GPL where
 * it is defined.  xtcp_diag.ko is separate so that xtcp.ko does not
 * depend on inet_diag.ko, as tcp_diag.ko is separate from TCP.
 *
 * Besides these, xtcp_diag.ko reads struct xtcp_sock, xtcp_request and
 * xtcp_tw fields (xtcp.h) and ends connections through
 * sk->sk_prot->diag_destroy (xtcp_abort(), socket.c), which
 * sock_diag_destroy() calls.
 */
#ifndef _XTCP_DIAG_H
#define _XTCP_DIAG_H

#include <linux/tcp.h>

#include "xtcp.h"

/* Where a walk of a namespace's tables stands (table.c). */
enum {
	XTCP_WALK_LISTENERS,	/* the listener table */
	XTCP_WALK_EHASH,	/* the four-tuple table */
	XTCP_WALK_DONE,
};

struct xtcp_walk_pos {
	unsigned int table;	/* XTCP_WALK_* */
	unsigned int bucket;
	unsigned int skip;	/* the namespace's entries passed in it */
};

/* table.c */
int xtcp_walk(struct net *net, struct xtcp_walk_pos *pos,
	      int (*fn)(struct xtcp_hnode *h, void *arg), void *arg);
bool xtcp_hnode_hold(struct xtcp_hnode *h);
void xtcp_hnode_put(struct xtcp_hnode *h);
/* and xtcp_lookup(), xtcp_lookup_listener() (xtcp.h) */

/* info.c: TCP_INFO's answer, the socket locked inside (may sleep). */
void xtcp_get_info(struct sock *sk, struct tcp_info *info);

/* and, from xtcp.h: xtcp_cong_name() (cong.c), xtcp_timer_left_ns()
 * (timer.c), xtcp_request_remaining_ns(), xtcp_request_kill(),
 * xtcp_tw_kill(), xtcp_tw_remaining_ns() (minisocks.c), xtcp_ipproto
 * (af_xtcp.c).
 */

#endif /* _XTCP_DIAG_H */
