// SPDX-License-Identifier: GPL-2.0
/*
 * What a socket tells about itself: TCP_INFO, with TCP's layout and
 * meanings, as far as XTCP keeps each field; the rest reads zero.
 */
#include <linux/tcp.h>
#include <net/sock.h>

#include "xtcp.h"

/* TCP_INFO, as far as XTCP keeps each field; the rest reads zero. */
static void xtcp_get_info(struct sock *sk, struct tcp_info *info)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb;
	u32 unacked = 0;

	memset(info, 0, sizeof(*info));
	info->tcpi_state = inet_sk_state_load(sk);
	lock_sock(sk);
	info->tcpi_retransmits = xs->retransmits;
	info->tcpi_backoff = xs->retransmits;
	info->tcpi_rto = div_u64(xs->rto_ns, NSEC_PER_USEC);
	info->tcpi_rtt = xs->srtt_us;
	info->tcpi_rttvar = xs->rttvar_us;
	if (xs->opts & XTCP_OPT_TS)
		info->tcpi_options |= TCPI_OPT_TIMESTAMPS;
	if (xs->opts & XTCP_OPT_SACK)
		info->tcpi_options |= TCPI_OPT_SACK;
	if (xs->opts & XTCP_OPT_WSCALE) {
		info->tcpi_options |= TCPI_OPT_WSCALE;
		info->tcpi_snd_wscale = xs->snd_wscale;
		info->tcpi_rcv_wscale = xs->rcv_wscale;
	}
	info->tcpi_snd_mss = xtcp_payload_mss(xs);
	info->tcpi_rcv_mss = xtcp_payload_mss(xs);
	skb_queue_walk(&sk->sk_write_queue, skb) {
		if (skb == xs->send_head)
			break;
		unacked++;
	}
	info->tcpi_unacked = unacked;
	info->tcpi_total_retrans = xs->total_retrans;
	info->tcpi_ca_state = xs->ca_state == XTCP_CA_LOSS ? TCP_CA_Loss :
			      xs->ca_state == XTCP_CA_RECOVERY ? TCP_CA_Recovery :
			      TCP_CA_Open;
	info->tcpi_snd_cwnd = xs->cwnd;
	info->tcpi_snd_ssthresh = xs->ssthresh;
	info->tcpi_sacked = xs->sacked_out;
	info->tcpi_lost = xs->lost_out;
	info->tcpi_retrans = xs->retrans_out;
	if (__sk_dst_get(sk))
		info->tcpi_pmtu = dst_mtu(__sk_dst_get(sk));
	info->tcpi_rcv_space = xtcp_rcv_wnd(xs);
	info->tcpi_snd_wnd = xs->snd_wnd;
	release_sock(sk);
}

/*
 * getsockopt(TCP_INFO); @len is the caller's buffer, known not negative.
 */
int xtcp_info_getsockopt(struct sock *sk, int optname, char __user *optval,
			 int __user *optlen, int len)
{
	struct tcp_info info;

	xtcp_get_info(sk, &info);
	len = min_t(unsigned int, len, sizeof(info));
	if (put_user(len, optlen) || copy_to_user(optval, &info, len))
		return -EFAULT;
	return 0;
}
