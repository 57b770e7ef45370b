/* SPDX-License-Identifier: GPL-2.0 */
/*
 * XTCP's tracepoints, the counterparts of Linux's tcp:* events: a
 * connection's state changes, resends, RSTs sent and taken, the
 * congestion state machine, and a per-ACK probe of the sender's window,
 * as tcp:tcp_probe.  Each is a static key: off, it is a jump over the call.
 *
 *   perf record -e 'xtcp:*' -a -- CMD; perf script
 *
 * The events are xtcp:state_change, xtcp:probe and so on, so the calls
 * are trace_state_change(), trace_probe(), ...: trace.c expands this
 * header into the events (CREATE_TRACE_POINTS); every other file that
 * fires one includes it for those calls.  module/Kbuild puts this folder
 * on trace.o's include path, where <trace/define_trace.h> looks for
 * TRACE_INCLUDE_FILE, as the kernel's samples/trace_events do for a
 * module built out of tree.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM xtcp

#if !defined(_XTCP_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _XTCP_TRACE_H

#include <linux/sock_diag.h>
#include <linux/tracepoint.h>
#include <net/tcp_states.h>

#include "xtcp.h"

/* The states' names in perf script's text, resolved from their numbers. */
TRACE_DEFINE_ENUM(TCP_ESTABLISHED);
TRACE_DEFINE_ENUM(TCP_SYN_SENT);
TRACE_DEFINE_ENUM(TCP_SYN_RECV);
TRACE_DEFINE_ENUM(TCP_FIN_WAIT1);
TRACE_DEFINE_ENUM(TCP_FIN_WAIT2);
TRACE_DEFINE_ENUM(TCP_TIME_WAIT);
TRACE_DEFINE_ENUM(TCP_CLOSE);
TRACE_DEFINE_ENUM(TCP_CLOSE_WAIT);
TRACE_DEFINE_ENUM(TCP_LAST_ACK);
TRACE_DEFINE_ENUM(TCP_LISTEN);
TRACE_DEFINE_ENUM(TCP_CLOSING);

/* 0: a RST that answers a segment no socket took. */
#define xtcp_show_state(state)					\
	__print_symbolic(state,					\
			 { 0, "NONE" },				\
			 { TCP_ESTABLISHED, "ESTABLISHED" },	\
			 { TCP_SYN_SENT, "SYN_SENT" },		\
			 { TCP_SYN_RECV, "SYN_RECV" },		\
			 { TCP_FIN_WAIT1, "FIN_WAIT1" },	\
			 { TCP_FIN_WAIT2, "FIN_WAIT2" },	\
			 { TCP_TIME_WAIT, "TIME_WAIT" },	\
			 { TCP_CLOSE, "CLOSE" },		\
			 { TCP_CLOSE_WAIT, "CLOSE_WAIT" },	\
			 { TCP_LAST_ACK, "LAST_ACK" },		\
			 { TCP_LISTEN, "LISTEN" },		\
			 { TCP_CLOSING, "CLOSING" })

TRACE_DEFINE_ENUM(XTCP_CA_OPEN);
TRACE_DEFINE_ENUM(XTCP_CA_RECOVERY);
TRACE_DEFINE_ENUM(XTCP_CA_LOSS);

/* Linux's TCP_CA_* names for the congestion states XTCP has. */
#define xtcp_show_ca_state(state)				\
	__print_symbolic(state,					\
			 { XTCP_CA_OPEN, "Open" },		\
			 { XTCP_CA_RECOVERY, "Recovery" },	\
			 { XTCP_CA_LOSS, "Loss" })

#ifndef _XTCP_TRACE_TUPLE
#define _XTCP_TRACE_TUPLE
/* A socket's four-tuple, ours first, into an event's fields. */
static inline void xtcp_trace_tuple(const struct sock *sk, u8 *saddr,
				    u8 *daddr, u16 *sport, u16 *dport)
{
	const struct inet_sock *inet = inet_sk(sk);

	memcpy(saddr, &inet->inet_saddr, 4);
	memcpy(daddr, &inet->inet_daddr, 4);
	*sport = ntohs(inet->inet_sport);
	*dport = ntohs(inet->inet_dport);
}
#endif

#define XTCP_TP_TUPLE_FMT	"src=%pI4:%u dst=%pI4:%u"

/* Called wherever sk_state changes (xtcp_set_state()). */
TRACE_EVENT(state_change,
	TP_PROTO(const struct sock *sk, int oldstate, int newstate),
	TP_ARGS(sk, oldstate, newstate),
	TP_STRUCT__entry(
		__field(const void *, skaddr)
		__array(__u8, saddr, 4)
		__array(__u8, daddr, 4)
		__field(__u16, sport)
		__field(__u16, dport)
		__field(int, oldstate)
		__field(int, newstate)
	),
	TP_fast_assign(
		__entry->skaddr = sk;
		xtcp_trace_tuple(sk, __entry->saddr, __entry->daddr,
				 &__entry->sport, &__entry->dport);
		__entry->oldstate = oldstate;
		__entry->newstate = newstate;
	),
	TP_printk(XTCP_TP_TUPLE_FMT " %s->%s skaddr=%p",
		  __entry->saddr, __entry->sport, __entry->daddr,
		  __entry->dport,
		  xtcp_show_state(__entry->oldstate),
		  xtcp_show_state(__entry->newstate), __entry->skaddr)
);

/*
 * A queued skb sent again (xtcp_resend_skb()): it may hold several
 * segments (GSO), @segs of them, each counted in RetransSegs.
 */
TRACE_EVENT(retransmit_skb,
	TP_PROTO(const struct sock *sk, const struct sk_buff *skb, u16 segs),
	TP_ARGS(sk, skb, segs),
	TP_STRUCT__entry(
		__field(const void *, skaddr)
		__field(const void *, skbaddr)
		__array(__u8, saddr, 4)
		__array(__u8, daddr, 4)
		__field(__u16, sport)
		__field(__u16, dport)
		__field(__u32, seq)
		__field(__u32, len)
		__field(__u16, segs)
		__field(int, state)
	),
	TP_fast_assign(
		__entry->skaddr = sk;
		__entry->skbaddr = skb;
		xtcp_trace_tuple(sk, __entry->saddr, __entry->daddr,
				 &__entry->sport, &__entry->dport);
		__entry->seq = XTCP_SKB_CB(skb)->seq;
		__entry->len = skb->len;
		__entry->segs = segs;
		__entry->state = sk->sk_state;
	),
	TP_printk(XTCP_TP_TUPLE_FMT " seq=%u len=%u segs=%u state=%s skaddr=%p skbaddr=%p",
		  __entry->saddr, __entry->sport, __entry->daddr,
		  __entry->dport, __entry->seq, __entry->len,
		  __entry->segs, xtcp_show_state(__entry->state),
		  __entry->skaddr, __entry->skbaddr)
);

/* A SYN-queue entry's SYN-ACK sent again (one segment of RetransSegs). */
TRACE_EVENT(retransmit_synack,
	TP_PROTO(const struct xtcp_request *req),
	TP_ARGS(req),
	TP_STRUCT__entry(
		__field(const void *, reqaddr)
		__array(__u8, saddr, 4)
		__array(__u8, daddr, 4)
		__field(__u16, sport)
		__field(__u16, dport)
		__field(__u32, seq)
		__field(__u8, retransmits)
	),
	TP_fast_assign(
		__entry->reqaddr = req;
		memcpy(__entry->saddr, &req->h.laddr, 4);
		memcpy(__entry->daddr, &req->h.raddr, 4);
		__entry->sport = ntohs(req->h.lport);
		__entry->dport = ntohs(req->h.rport);
		__entry->seq = req->iss;
		__entry->retransmits = req->retransmits;
	),
	TP_printk(XTCP_TP_TUPLE_FMT " seq=%u retransmits=%u reqaddr=%p",
		  __entry->saddr, __entry->sport, __entry->daddr,
		  __entry->dport, __entry->seq,
		  __entry->retransmits, __entry->reqaddr)
);

/*
 * A RST sent (each one OutRsts counts): by a socket that aborts (@sk), or
 * in answer to a segment @in (then @sk is NULL, state NONE, and the
 * four-tuple is @in's turned around).
 */
TRACE_EVENT(send_reset,
	TP_PROTO(const struct sock *sk, const struct sk_buff *in, u32 seq,
		 u32 ack),
	TP_ARGS(sk, in, seq, ack),
	TP_STRUCT__entry(
		__field(const void *, skaddr)
		__array(__u8, saddr, 4)
		__array(__u8, daddr, 4)
		__field(__u16, sport)
		__field(__u16, dport)
		__field(__u32, seq)
		__field(__u32, ack)
		__field(int, state)
	),
	TP_fast_assign(
		__entry->skaddr = sk;
		if (sk) {
			xtcp_trace_tuple(sk, __entry->saddr, __entry->daddr,
					 &__entry->sport, &__entry->dport);
			__entry->state = sk->sk_state;
		} else {
			const struct iphdr *iph = ip_hdr(in);
			const struct xtcphdr *th = xtcp_hdr(in);

			memcpy(__entry->saddr, &iph->daddr, 4);
			memcpy(__entry->daddr, &iph->saddr, 4);
			__entry->sport = ntohs(th->dest);
			__entry->dport = ntohs(th->source);
			__entry->state = 0;
		}
		__entry->seq = seq;
		__entry->ack = ack;
	),
	TP_printk(XTCP_TP_TUPLE_FMT " seq=%u ack=%u state=%s skaddr=%p",
		  __entry->saddr, __entry->sport, __entry->daddr,
		  __entry->dport, __entry->seq, __entry->ack,
		  xtcp_show_state(__entry->state), __entry->skaddr)
);

/* An acceptable RST ends a connection (in the state shown). */
TRACE_EVENT(receive_reset,
	TP_PROTO(const struct sock *sk),
	TP_ARGS(sk),
	TP_STRUCT__entry(
		__field(const void *, skaddr)
		__array(__u8, saddr, 4)
		__array(__u8, daddr, 4)
		__field(__u16, sport)
		__field(__u16, dport)
		__field(int, state)
	),
	TP_fast_assign(
		__entry->skaddr = sk;
		xtcp_trace_tuple(sk, __entry->saddr, __entry->daddr,
				 &__entry->sport, &__entry->dport);
		__entry->state = sk->sk_state;
	),
	TP_printk(XTCP_TP_TUPLE_FMT " state=%s skaddr=%p",
		  __entry->saddr, __entry->sport, __entry->daddr,
		  __entry->dport,
		  xtcp_show_state(__entry->state), __entry->skaddr)
);

/* The congestion state machine moves (xtcp_set_ca_state()): the window
 * and threshold are the new state's, in segments.
 */
TRACE_EVENT(cong_state,
	TP_PROTO(const struct sock *sk, int oldstate, int newstate),
	TP_ARGS(sk, oldstate, newstate),
	TP_STRUCT__entry(
		__field(const void *, skaddr)
		__array(__u8, saddr, 4)
		__array(__u8, daddr, 4)
		__field(__u16, sport)
		__field(__u16, dport)
		__field(int, oldstate)
		__field(int, newstate)
		__field(__u32, snd_una)
		__field(__u32, snd_nxt)
		__field(__u32, snd_cwnd)
		__field(__u32, ssthresh)
	),
	TP_fast_assign(
		const struct xtcp_sock *xs = xtcp_sk(sk);

		__entry->skaddr = sk;
		xtcp_trace_tuple(sk, __entry->saddr, __entry->daddr,
				 &__entry->sport, &__entry->dport);
		__entry->oldstate = oldstate;
		__entry->newstate = newstate;
		__entry->snd_una = xs->snd_una;
		__entry->snd_nxt = xs->snd_nxt;
		__entry->snd_cwnd = xs->cwnd;
		__entry->ssthresh = xs->ssthresh;
	),
	TP_printk(XTCP_TP_TUPLE_FMT " %s->%s snd_una=%u snd_nxt=%u snd_cwnd=%u ssthresh=%u skaddr=%p",
		  __entry->saddr, __entry->sport, __entry->daddr,
		  __entry->dport,
		  xtcp_show_ca_state(__entry->oldstate),
		  xtcp_show_ca_state(__entry->newstate), __entry->snd_una,
		  __entry->snd_nxt, __entry->snd_cwnd, __entry->ssthresh,
		  __entry->skaddr)
);

/*
 * tcp:tcp_probe's figures, once an ESTABLISHED socket has taken an ACK
 * (and before what it lets out goes): windows in bytes but snd_cwnd and
 * ssthresh in segments, srtt in microseconds (0: no sample yet), the
 * sock cookie SO_COOKIE and ss(8) report.
 */
TRACE_EVENT_CONDITION(probe,
	TP_PROTO(struct sock *sk, const struct sk_buff *skb),
	TP_ARGS(sk, skb),
	TP_CONDITION(sk->sk_state == TCP_ESTABLISHED),
	TP_STRUCT__entry(
		__field(const void *, skaddr)
		__array(__u8, saddr, 4)
		__array(__u8, daddr, 4)
		__field(__u16, sport)
		__field(__u16, dport)
		__field(__u32, mark)
		__field(__u32, data_len)
		__field(__u32, snd_nxt)
		__field(__u32, snd_una)
		__field(__u32, snd_cwnd)
		__field(__u32, ssthresh)
		__field(__u32, snd_wnd)
		__field(__u32, srtt)
		__field(__u32, rcv_wnd)
		__field(__u64, sock_cookie)
	),
	TP_fast_assign(
		const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
		const struct xtcp_sock *xs = xtcp_sk(sk);
		u32 cookie[2];

		__entry->skaddr = sk;
		xtcp_trace_tuple(sk, __entry->saddr, __entry->daddr,
				 &__entry->sport, &__entry->dport);
		__entry->mark = skb->mark;
		__entry->data_len = cb->end_seq - cb->seq -
			!!(cb->flags & XTCP_FLAG_SYN) -
			!!(cb->flags & XTCP_FLAG_FIN);
		__entry->snd_nxt = xs->snd_nxt;
		__entry->snd_una = xs->snd_una;
		__entry->snd_cwnd = xs->cwnd;
		__entry->ssthresh = xs->ssthresh;
		__entry->snd_wnd = xs->snd_wnd;
		__entry->srtt = xs->srtt_us;
		__entry->rcv_wnd = xtcp_rcv_wnd(xs);
		/* The exported way to sock_gen_cookie(): made once per socket. */
		sock_diag_save_cookie(sk, cookie);
		__entry->sock_cookie = (u64)cookie[1] << 32 | cookie[0];
	),
	TP_printk(XTCP_TP_TUPLE_FMT " mark=%#x data_len=%u snd_nxt=%#x snd_una=%#x snd_cwnd=%u ssthresh=%u snd_wnd=%u srtt=%u rcv_wnd=%u sock_cookie=%llx skaddr=%p",
		  __entry->saddr, __entry->sport, __entry->daddr,
		  __entry->dport, __entry->mark,
		  __entry->data_len, __entry->snd_nxt, __entry->snd_una,
		  __entry->snd_cwnd, __entry->ssthresh, __entry->snd_wnd,
		  __entry->srtt, __entry->rcv_wnd, __entry->sock_cookie,
		  __entry->skaddr)
);

#endif /* _XTCP_TRACE_H */

/* Where <trace/define_trace.h> finds this file again: trace.o's -I. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
