/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels XTCP builds for (6.1 and 6.12), and
 * nothing else.  The rest of the module is written against the helpers
 * below and never tests LINUX_VERSION_CODE itself.
 */
#ifndef _XTCP_COMPAT_H
#define _XTCP_COMPAT_H

#include <linux/version.h>
#include <linux/net.h>
#include <net/inet_sock.h>
#include <linux/sysctl.h>
#include <linux/tcp.h>
#include <linux/errqueue.h>
#include <linux/icmp.h>
#include <linux/inet_diag.h>
#include <net/gro.h>
#include <net/ip.h>
#include <net/net_namespace.h>

/* 6.12 moved the unaligned-access helpers to <linux/unaligned.h>. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
/* 6.10 folded accept()'s flags, kern and err into struct proto_accept_arg. */
#define XTCP_ACCEPT_ARGS	struct proto_accept_arg *arg
#define XTCP_ACCEPT_FLAGS	(arg->flags)
#else
#define XTCP_ACCEPT_ARGS	int flags, bool kern
#define XTCP_ACCEPT_FLAGS	(flags)
#endif

/* 6.6 moved inet_sock's one-bit fields into inet->inet_flags. */
static inline void xtcp_inet_set_mc_all(struct sock *sk)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
	inet_set_bit(MC_ALL, sk);
#else
	inet_sk(sk)->mc_all = 1;
#endif
}

/* ... and IP_RECVERR's. */
static inline bool xtcp_inet_recverr(const struct sock *sk)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
	return inet_test_bit(RECVERR, sk);
#else
	return inet_sk(sk)->recverr;
#endif
}

/*
 * Queues an ICMP error for MSG_ERRQUEUE, as ip_icmp_error(), which 6.12
 * exports and 6.1 does not: there, the same fields by hand (without RFC
 * 4884's extension data).  @payload is the quoted transport header.
 */
static inline void xtcp_ip_icmp_error(struct sock *sk, struct sk_buff *skb,
				      int err, __be16 port, u32 info,
				      u8 *payload)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	ip_icmp_error(sk, skb, err, port, info, payload);
#else
	struct sock_exterr_skb *serr;
	const struct iphdr *quoted;

	skb = skb_clone(skb, GFP_ATOMIC);
	if (!skb)
		return;
	quoted = (const struct iphdr *)(icmp_hdr(skb) + 1);
	serr = SKB_EXT_ERR(skb);
	memset(&serr->ee, 0, sizeof(serr->ee));
	serr->ee.ee_errno = err;
	serr->ee.ee_origin = SO_EE_ORIGIN_ICMP;
	serr->ee.ee_type = icmp_hdr(skb)->type;
	serr->ee.ee_code = icmp_hdr(skb)->code;
	serr->ee.ee_info = info;
	/* ip_recv_error() reports the quoted destination as the offender. */
	serr->addr_offset = (const u8 *)&quoted->daddr -
			    skb_network_header(skb);
	serr->port = port;
	if (skb_pull(skb, payload - skb->data)) {
		skb_reset_transport_header(skb);
		if (!sock_queue_err_skb(sk, skb))
			return;
	}
	kfree_skb(skb);
#endif
}

/*
 * 6.5 made register_net_sysctl() take the table's size (a macro over
 * register_net_sysctl_sz() since); a table built at run time passes it.
 * @n counts the entries before the empty sentinel 6.1 needs.
 */
static inline struct ctl_table_header *
xtcp_register_net_sysctl(struct net *net, const char *path,
			 struct ctl_table *table, size_t n)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
	return register_net_sysctl_sz(net, path, table, n);
#else
	return register_net_sysctl(net, path, table);
#endif
}

/* 6.11 made proc handlers take their table const. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
#define xtcp_ctl_table	const struct ctl_table
#else
#define xtcp_ctl_table	struct ctl_table
#endif

/* 6.10 moved the protocol-memory helpers (sk_under_memory_pressure()...)
 * out of <net/sock.h>.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
#include <net/proto_memory.h>
#endif

/* 6.11 moved the page-fragment reference helpers (skb_frag_unref()...)
 * out of <linux/skbuff.h>.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
#include <linux/skbuff_ref.h>
#endif

/* 6.2 added tcpi_rcv_wnd (and tcpi_rehash) at struct tcp_info's end. */
static inline void xtcp_info_set_rcv_wnd(struct tcp_info *info, u32 rcv_wnd)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
	info->tcpi_rcv_wnd = rcv_wnd;
#endif
}

/* 6.7 added the retransmission-timeout counts after them. */
static inline void xtcp_info_set_rto_stats(struct tcp_info *info, u16 rtos,
					   u16 recoveries, u32 ms)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
	info->tcpi_total_rto = rtos;
	info->tcpi_total_rto_recoveries = recoveries;
	info->tcpi_total_rto_time = ms;
#endif
}

/* 6.9 gave struct inet_diag_handler an owner, the module a dump pins
 * (6.1 holds a mutex across dumps and unregistering instead).
 */
static inline void xtcp_diag_set_owner(struct inet_diag_handler *h,
				       struct module *owner)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
	h->owner = owner;
#endif
}

/*
 * GRO (gro.c).  6.10 moved the comparison of a held segment's IP header
 * with a new one's (TTL, TOS, DF, the IP ID's progression) from
 * inet_gro_receive() to the transport's gro_receive, and with it
 * NAPI_GRO_CB's is_atomic and flush_id gave way to ip_fixedid.  Before,
 * inet_gro_receive() left its verdict in @p's flush and the ID's in
 * flush_id, for the transport to read as TCP does.  Nonzero: the IP
 * headers forbid merging the segment whose header is @th into @p (whose
 * header is @th2).
 */
static inline int xtcp_gro_ip_flush(struct sk_buff *p, const void *th,
				    const void *th2)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
	return gro_receive_network_flush(th, th2, p);
#else
	struct napi_gro_cb *cb = NAPI_GRO_CB(p);
	int flush = cb->flush;

	/* At the second segment: a fixed ID (0) or one that counts up (1). */
	if (cb->flush_id != 1 || cb->count != 1 || !cb->is_atomic)
		flush |= cb->flush_id;
	else
		cb->is_atomic = false;
	return flush;
#endif
}

/* 6.3 gave IPv4 a GRO size limit of its own (gro_ipv4_max_size). */
static inline unsigned int xtcp_gro_max_size(const struct net_device *dev)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	return READ_ONCE(dev->gro_ipv4_max_size);
#else
	return READ_ONCE(dev->gro_max_size);
#endif
}

#endif /* _XTCP_COMPAT_H */
