/* SPDX-License-Identifier: GPL-2.0 */
/*
 * XTCP's own types and the few prototypes its files share.
 *
 * A reader's map: af_xtcp.c registers everything; socket.c holds the socket
 * calls; input.c takes segments from IP; proc.c shows counters.
 */
#ifndef _XTCP_H
#define _XTCP_H

#include <linux/types.h>
#include <linux/percpu.h>
#include <net/inet_sock.h>
#include <net/tcp_states.h>
#include <uapi/linux/xtcp.h>

#include "compat.h"

/*
 * An XTCP socket.  It starts with an inet_sock so that the IP layer's
 * routing, output and option code can work on it unchanged; sk_state holds
 * the RFC 9293 state using the kernel's generic TCP_* state numbers.
 */
struct xtcp_sock {
	struct inet_sock inet;
};

static inline struct xtcp_sock *xtcp_sk(const struct sock *sk)
{
	return (struct xtcp_sock *)sk;
}

/* Counters shown in /proc/net/xtcp_stat, one set per network namespace. */
enum xtcp_mib_field {
	XTCP_MIB_INSEGS,	/* segments handed to us by IP */
	XTCP_MIB_INERRS,	/* dropped: malformed header */
	XTCP_MIB_INCSUMERRORS,	/* dropped: bad checksum */
	XTCP_MIB_NOSOCKET,	/* dropped: no socket for the four-tuple */
	XTCP_MIB_MAX
};

struct xtcp_mib {
	unsigned long mibs[XTCP_MIB_MAX];
};

/* Per-namespace state: counters now, sysctls and tables later. */
struct xtcp_net {
	struct xtcp_mib __percpu *mib;
};

struct xtcp_net *xtcp_pernet(const struct net *net);

#define XTCP_INC_STATS(net, field) \
	this_cpu_inc(xtcp_pernet(net)->mib->mibs[field])
#define __XTCP_INC_STATS(net, field) \
	__this_cpu_inc(xtcp_pernet(net)->mib->mibs[field])

/* af_xtcp.c: the numbers chosen at load time. */
extern int xtcp_family;
extern int xtcp_ipproto;

/* socket.c */
extern struct proto xtcp_prot;
extern const struct proto_ops xtcp_stream_ops;
int xtcp_create_socket(struct net *net, struct socket *sock, int protocol,
		       int kern);

/* input.c */
int xtcp_v4_rcv(struct sk_buff *skb);
int xtcp_v4_err(struct sk_buff *skb, u32 info);

/* proc.c */
int xtcp_proc_init_net(struct net *net);
void xtcp_proc_exit_net(struct net *net);

#endif /* _XTCP_H */
