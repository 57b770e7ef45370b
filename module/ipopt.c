// SPDX-License-Identifier: GPL-2.0
/*
 * The IP options a passive open answers with (RFC 9293 MUST-53, RFC 1122
 * section 3.2.1.8): a SYN's options, or a cookie's final ACK's, turned
 * around the way Linux's tcp_v4_save_options() turns them with
 * __ip_options_echo(), which modules cannot call.  A record route or
 * timestamp option goes back as it came, with the slot IP is to fill for
 * us marked if the sender left one; a source route goes back reversed,
 * its last hop the first hop of the answer; a CIPSO label goes back as it
 * came; other options are not echoed.  IP delivered a source-routed
 * packet only if accept_source_route allowed it, so nothing is checked
 * for that here.
 *
 * The result rides on the SYN-ACKs (ip_build_and_send_pkt() writes it in)
 * and, copied, becomes the child's inet_opt, which every later segment
 * carries and routes by.
 */
#include <linux/ip.h>
#include <linux/slab.h>
#include <net/ip.h>
#include <net/route.h>

#include "xtcp.h"

/* What IP noted about @skb's options, kept in skb->cb from here on. */
void xtcp_ip_opts_note(struct xtcp_ip_seen *seen, const struct sk_buff *skb)
{
	const struct ip_options *opt = &IPCB(skb)->opt;

	seen->len = opt->optlen;
	seen->srr = opt->srr;
	seen->rr = opt->rr;
	seen->ts = opt->ts;
	seen->cipso = opt->cipso;
	seen->strict = opt->is_strictroute;
	seen->rr_needaddr = opt->rr_needaddr;
	seen->ts_needaddr = opt->ts_needaddr;
	seen->ts_needtime = opt->ts_needtime;
}

/* Appends the option at @src (already checked by IP) as it came. */
static u8 *xtcp_echo_copy(struct ip_options *d, const u8 *src, u8 *offset)
{
	u8 *o = d->__data + d->optlen;

	memcpy(o, src, src[1]);
	*offset = sizeof(struct iphdr) + d->optlen;
	d->optlen += src[1];
	return o;
}

/*
 * Record route: IP wrote our address into the SYN's option if it had a
 * free slot; if another is left after it, the answer records ours again.
 */
static int xtcp_echo_rr(struct ip_options *d, const u8 *src,
			const struct xtcp_ip_seen *seen)
{
	u8 *o = xtcp_echo_copy(d, src, &d->rr);
	u8 len = src[1], ptr = src[2];

	if (!seen->rr_needaddr || ptr > len)
		return 0;
	if (ptr + 3 > len)
		return -EINVAL;
	o[2] = ptr + 4;
	d->rr_needaddr = 1;
	return 0;
}

/*
 * Timestamp: as for a record route, the next free entry is ours to fill,
 * an address and a time, a time, or (prespecified addresses) a time when
 * the address the entry names is not some other host's.
 */
static int xtcp_echo_ts(struct net *net, struct ip_options *d, const u8 *src,
			const struct xtcp_ip_seen *seen)
{
	u8 *o = xtcp_echo_copy(d, src, &d->ts);
	int len = src[1], ptr = src[2];
	__be32 addr;

	if (ptr > len)
		return 0;	/* full: IP counted the overflow */
	if (seen->ts_needaddr) {
		if (ptr + 3 > len)
			return -EINVAL;
		d->ts_needaddr = 1;
		ptr += 4;
	}
	if (seen->ts_needtime) {
		if (ptr + 3 > len)
			return -EINVAL;
		if ((o[3] & 0xf) != IPOPT_TS_PRESPEC) {
			d->ts_needtime = 1;
			ptr += 4;
		} else if (ptr + 7 <= len) {
			memcpy(&addr, o + ptr - 1, 4);
			if (inet_addr_type(net, addr) != RTN_UNICAST) {
				d->ts_needtime = 1;
				ptr += 8;
			}
		}
	}
	o[2] = ptr;
	return 0;
}

/*
 * Source route: the hops the packet went through (the addresses before
 * its pointer), last one first.  The last becomes the answer's next hop
 * (faddr); the others, in reverse, its route; the final slot is the
 * sender's address, which ip_options_build() writes.  A route that names
 * the sender itself as its first hop loses that hop (RFC 1812 section
 * 5.2.4.1).  A pointer between entries, which IP lets by, counts the
 * whole entries before it.
 */
static void xtcp_echo_srr(struct ip_options *d, const u8 *src, __be32 saddr,
			  bool strict)
{
	u8 *o = d->__data + d->optlen;
	int len = src[1], end = min_t(int, src[2], len + 1);
	int passed = end > 4 ? (end - 4) / 4 : 0;
	const u8 *hop = src + 3;	/* the i-th address at hop + 4 * i */
	int first = 0, i, n = 0;

	if (passed && !memcmp(hop, &saddr, 4))
		first = 1;
	if (passed - first < 1)
		return;
	memcpy(&d->faddr, hop + 4 * (passed - 1), 4);
	for (i = passed - 2; i >= first; i--)
		memcpy(o + 3 + 4 * n++, hop + 4 * i, 4);
	memset(o + 3 + 4 * n, 0, 4);
	o[0] = src[0];
	o[1] = 3 + 4 * (n + 1);
	o[2] = 4;
	d->srr = sizeof(struct iphdr) + d->optlen;
	d->is_strictroute = strict;
	d->optlen += o[1];
}

static int xtcp_ip_opts_echo(struct net *net, struct ip_options *d,
			     const struct sk_buff *skb,
			     const struct xtcp_ip_seen *seen)
{
	const u8 *iph = skb_network_header(skb);
	int err;

	if (seen->rr) {
		err = xtcp_echo_rr(d, iph + seen->rr, seen);
		if (err)
			return err;
	}
	if (seen->ts) {
		err = xtcp_echo_ts(net, d, iph + seen->ts, seen);
		if (err)
			return err;
	}
	if (seen->srr)
		xtcp_echo_srr(d, iph + seen->srr, ip_hdr(skb)->saddr,
			      seen->strict);
	if (seen->cipso)
		xtcp_echo_copy(d, iph + seen->cipso, &d->cipso);
	while (d->optlen & 3)
		d->__data[d->optlen++] = IPOPT_END;
	return 0;
}

/*
 * The options to answer @skb with, or NULL: none came, no memory, or they
 * cannot be answered (Linux then answers without options too).  The
 * answer is never longer than what came, whose length is a multiple of 4.
 */
struct ip_options_rcu *xtcp_ip_opts_save(struct net *net,
					 const struct sk_buff *skb)
{
	const struct xtcp_ip_seen *seen = &XTCP_SKB_CB(skb)->header.in.ip;
	struct ip_options_rcu *opt;

	if (!seen->len)
		return NULL;
	opt = kzalloc(sizeof(*opt) + seen->len, GFP_ATOMIC);
	if (opt && xtcp_ip_opts_echo(net, &opt->opt, skb, seen)) {
		kfree(opt);
		opt = NULL;
	}
	if (opt && !opt->opt.optlen) {
		kfree(opt);	/* nothing to echo: no options, as Linux */
		opt = NULL;
	}
	return opt;
}

/* A copy of @opt for a child socket's inet_opt; 0 or -ENOMEM. */
int xtcp_ip_opts_give(struct sock *child, const struct ip_options_rcu *opt)
{
	struct ip_options_rcu *copy;

	if (!opt)
		return 0;
	copy = kmemdup(opt, sizeof(*opt) + opt->opt.optlen, GFP_ATOMIC);
	if (!copy)
		return -ENOMEM;
	RCU_INIT_POINTER(inet_sk(child)->inet_opt, copy);
	return 0;
}

/* Where a segment to @daddr under @opt goes first: a source route's next
 * hop, else @daddr itself.
 */
__be32 xtcp_ip_opts_nexthop(const struct ip_options_rcu *opt, __be32 daddr)
{
	return opt && opt->opt.srr ? opt->opt.faddr : daddr;
}

/* A strict source route allows no gateway on the way to its next hop. */
bool xtcp_ip_opts_route_ok(const struct ip_options_rcu *opt,
			   const struct rtable *rt)
{
	return !(opt && opt->opt.is_strictroute && rt->rt_uses_gateway);
}
