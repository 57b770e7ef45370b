/* SPDX-License-Identifier: GPL-2.0 */
/*
 * XTCP's own types and the prototypes its files share.
 *
 * A reader's map, following a segment from the wire to recv():
 *   input.c      IP hands us a segment: checks, lookup, RFC 9293's rules
 *   table.c      the four-tuple, listener and bind tables; ephemeral ports
 *   minisocks.c  SYN-queue request entries and TIME_WAIT entries
 *   expiry.c     their timeouts, many on one timer
 *   output.c     every segment we send: SYN, SYN-ACK, ACK, data, FIN, RST
 *   recovery.c   SACK scoreboard, fast recovery, loss after a timeout
 *   cong.c       the congestion window
 *   timer.c      the timers: retransmission, delayed ACK, keep-alive; RTT and RTO
 *   buffer.c     send and receive buffer sizes, and their growth
 *   syncookies.c keyed initial sequence numbers
 *   icmp.c       ICMP errors about our segments; path MTU
 *   mtu_probe.c  path MTU found by probing (RFC 4821): black holes
 *   urgent.c     urgent data: MSG_OOB, SIOCATMARK, SIGURG
 *   socket.c     the socket calls, and the state changes they cause
 *   sockopt.c    TCP options beyond socket.c's first few
 *   info.c       TCP_INFO, TCP_CC_INFO, TCP_INQ: what a socket tells of itself
 *   proc.c       /proc/net/xtcp and /proc/net/xtcp_stat
 *   sysctl.c     net.xtcp.* for each namespace
 *   af_xtcp.c    module load and unload
 */
#ifndef _XTCP_H
#define _XTCP_H

#include <linux/hrtimer.h>
#include <linux/list.h>
#include <linux/list_nulls.h>
#include <linux/percpu.h>
#include <linux/percpu_counter.h>
#include <linux/rbtree.h>
#include <linux/skbuff.h>
#include <linux/types.h>
#include <net/inet_sock.h>
#include <net/ip.h>
#include <net/netns/generic.h>
#include <net/tcp_states.h>
#include <uapi/linux/xtcp.h>

#include "compat.h"

#define XTCP_RCV_WND	65535U	/* the largest window without scaling */
#define XTCP_MAX_WSCALE	14	/* RFC 7323 section 2.3 */
#define XTCP_RCV_RATIO_INIT	128	/* half the buffer is payload */
#define XTCP_RCV_RATIO_MIN	16

/* Sequence-number comparisons modulo 2^32 (RFC 9293 section 3.4). */
static inline bool xtcp_before(u32 a, u32 b)
{
	return (s32)(a - b) < 0;
}

#define xtcp_after(a, b)	xtcp_before(b, a)

/* a <= b <= c, modulo 2^32 */
static inline bool xtcp_between(u32 a, u32 b, u32 c)
{
	return c - a >= b - a;
}

/*
 * What the four-tuple table holds.  Full sockets, SYN-queue request
 * entries and TIME_WAIT entries all embed one, so a segment finds any of
 * them with a single lookup; @kind says which it is.
 */
enum xtcp_hkind {
	XTCP_HK_SOCK,
	XTCP_HK_REQ,
	XTCP_HK_TW,
};

struct xtcp_hnode {
	struct hlist_nulls_node node;	/* pprev NULL: not in the table */
	possible_net_t net;
	__be32 laddr;
	__be32 raddr;
	__be16 lport;
	__be16 rport;
	u8 kind;
};

/* What urg_data says of the peer's latest urgent byte (urgent.c). */
#define XTCP_URG_VALID		0x0100	/* here: the low byte */
#define XTCP_URG_NOTYET		0x0200	/* its pointer came, it did not */
#define XTCP_URG_READ		0x0400	/* recv(MSG_OOB) took it */

/*
 * What the bind table holds: one owner of a local port.  Which namespace,
 * address and port it owns a socket's inet_sock says, and a TIME_WAIT
 * entry's four-tuple (struct xtcp_tw), which saves each 16 bytes (see
 * xtcp_bhead_where()).
 */
struct xtcp_bhead {
	struct hlist_node node;
	u8 kind;		/* enum xtcp_hkind */
	u8 by_connect:1,	/* port picked by connect(), not bind() */
	   reuseaddr:1,
	   reuseport:1,
	   laddr_any:1;		/* bound to INADDR_ANY, whatever the source
				 * address a connection then gave it
				 */
	kuid_t uid;
};

/*
 * CUBIC's state (cong.c), in segments and milliseconds.  An epoch of
 * congestion avoidance and a round of HyStart never overlap: slow start
 * runs with no epoch (epoch_ms 0), and an epoch's start sets all of its
 * fields, so the two share their words.
 */
struct xtcp_cubic {
	u32 w_max;		/* the window at the last loss */
	u32 epoch_ms;		/* when the epoch began; 0: none */
	union {
		struct {	/* the epoch's curve */
			u32 origin;	/* its plateau */
			u32 k_ms;	/* when the curve reaches it */
			u32 w_est;	/* the TCP-friendly estimate */
			u32 est_cnt;
		};
		struct {	/* HyStart's round trip, in slow start */
			u32 end_seq;	/* snd_nxt when it began */
			u32 start_us;	/* then; 0: no round yet */
			u32 train_us;	/* the last ACK of its ACK train */
			u32 min_us;	/* its least RTT sample */
		} hs;
	};
};

#define XTCP_CC_NAME_MAX	16	/* TCP_CA_NAME_MAX */

/* What held a sender back, for TCP_INFO's busy and limited times. */
enum {
	XTCP_CHRONO_IDLE,	/* nothing to send, nothing unacknowledged */
	XTCP_CHRONO_BUSY,	/* sending, or waiting for ACKs */
	XTCP_CHRONO_RWND,	/* data waits for the peer's window */
	XTCP_CHRONO_SNDBUF,	/* all sent, and the writer waits for room */
	XTCP_CHRONO_MAX
};

/*
 * Counts and times kept only for TCP_INFO (info.c), each where the input
 * and output paths pass anyway; a new connection starts them from zero.
 * Times are ms stamps of the socket clock (xtcp_ms_stamp()).
 */
struct xtcp_stats {
	u64 bytes_sent;		/* payload sent, resends included */
	u64 bytes_retrans;	/* payload resent */
	u64 bytes_acked;	/* snd_una's advance, SYN and FIN included */
	u64 bytes_received;	/* rcv_nxt's advance, FIN included */
	/* When data last went out and came in, ms (Linux's lsndtime and
	 * lrcvtime): from the connection's start on, 0 before it.
	 */
	u32 last_data_sent;
	u32 last_data_recv;
	u32 chrono_start;	/* when the current XTCP_CHRONO_* began */
	/* ms in each XTCP_CHRONO_* but idle, which TCP_INFO never tells */
	u32 chrono_ms[XTCP_CHRONO_MAX - 1];
	u32 segs_out;		/* segments, a GSO skb's each counted */
	u32 segs_in;
	u32 data_segs_out;
	u32 data_segs_in;
	u32 delivered;		/* segments acknowledged or SACKed */
	u32 delivered_bytes;	/* their payload, modulo 2^32 (rate samples) */
	u32 rate_bytes;		/* the latest delivery-rate sample: bytes */
	u32 rate_us;		/* ... delivered in this time */
	u32 rcv_ooopack;	/* segments that arrived past a gap */
	u32 reord_seen;		/* reorderings seen (SACKs, undone recoveries) */
	u32 dsack_dups;		/* segments the peer says it got twice */
	u32 min_rtt_us;		/* 0: no sample */
	u32 min_rtt_stamp;	/* jiffies of that sample */
	u32 total_rto_ms;	/* time in timeout recoveries that ended */
	u16 total_rto;		/* retransmission timeouts */
	u16 total_rto_recoveries;
	u16 rcv_mss;		/* the largest in-order segment, to advmss */
	u8 chrono;		/* XTCP_CHRONO_* */
};

/* Why a socket's timers fired while its owner held the lock: bits of
 * sk->sk_tsq_flags, the word struct sock keeps for this (Linux's TCP
 * defers its own timers there, tcp_release_cb()).
 */
enum {
	XTCP_DEFER_TIMER,	/* the hrtimer: one of the three is due */
	XTCP_DEFER_MTU,		/* an ICMP lowered the path MTU (icmp.c) */
	XTCP_DEFER_TSQ,		/* a device freed a throttled one's skb */
	/* Not handled at release_sock(): small queues' state (tsq.c). */
	XTCP_TSQ_THROTTLED,	/* it stopped with too much below it */
	XTCP_TSQ_QUEUED,	/* on a CPU's list for the tasklet */
};

/*
 * An XTCP socket.  It starts with an inet_sock so that the IP layer's
 * routing, output and option code works on it unchanged; sk_state holds the
 * RFC 9293 state with the kernel's generic TCP_* numbers.
 */
struct xtcp_sock {
	struct inet_sock inet;
	struct xtcp_hnode ehash;	/* four-tuple table, once connected */
	struct xtcp_bhead bind;		/* bind table, while it owns a port */
	/* The listener table, while listening, links inet.sk.sk_node. */

	/* Send sequence space, RFC 9293 section 3.3.1. */
	struct sk_buff *send_head;	/* first queued segment not yet sent */
	u32 snd_una;
	u32 snd_nxt;
	u32 snd_wnd;
	u32 max_snd_wnd;	/* the largest window the peer offered */
	u32 snd_wl1;
	u32 snd_wl2;
	u32 write_seq;		/* sequence number of the next byte queued */
	u32 snd_sml;		/* end of the last small segment sent (Nagle) */
	u32 pushed_seq;		/* where the last PSH went */
	u32 snd_up;		/* the urgent point; snd_una: none (urgent.c) */
	/* Receive sequence space. */
	u32 rcv_nxt;
	u32 rcv_edge;		/* right edge of the window last advertised */
	u32 rcv_wup;		/* rcv_nxt when we last sent an ACK */
	u32 copied_seq;		/* next byte recvmsg() hands out */
	/* The receive buffer's right-sizing (buffer.c): what the reader
	 * copied in the round trip measured last, and where and when the
	 * current measure began (with timestamps, our TSval then; else the
	 * clock, us).
	 */
	u32 rcvq_space;
	u32 rcvq_seq;
	u32 rcvq_stamp;
	u32 urg_seq;		/* the peer's urgent byte, while urg_data */
	u16 urg_data;		/* XTCP_URG_*, and the byte once it came */

	u16 mss;		/* options + payload that fit the path */
	u16 user_mss;		/* TCP_MAXSEG, 0 when unset */
	u16 mss_clamp;		/* the peer's MSS; 0 before its SYN */
	u32 pmtu_cookie;	/* the path MTU that mss was sized for */
	u32 mtu_info;		/* the MTU the latest ICMP reported */
	/* Path MTU probing (mtu_probe.c): the search is between MTUs that
	 * work (low) and may not (high); probe is the one being tried.
	 */
	u32 mtup_stamp;		/* jiffies when the search last began */
	u32 mtup_end;		/* the probe's end (its skb is marked) */
	u16 mtup_low;
	u16 mtup_high;
	u16 mtup_probe;		/* 0: no probe out */
	u8 mtup_on;		/* the MSS follows mtup_low; probes go */
	u8 fin_sent:1,		/* our FIN has a sequence number */
	   ack_pending:1,	/* an ACK is owed (delayed-ACK timer runs) */
	   nodelay:1,		/* TCP_NODELAY */
	   corked:1,		/* TCP_CORK */
	   more:1,		/* the last send() said MSG_MORE */
	   keepalive_on:1,	/* the keep-alive timer is wanted */
	   orphan_counted:1,	/* in xtcp_net.orphans */
	   pingpong:1,		/* interactive: ACKs wait for replies */
	   recvmsg_inq:1,	/* TCP_INQ: recvmsg() says what is left */
	   rcvq_rtt_done:1,	/* the peer echoed a TSval of this measure */
	   cwnd_limited:1;	/* this round trip, cwnd held a send back */
	u8 quick;		/* ACKs still to send at once (quick-ACK) */
	u16 rcv_ratio;		/* payload per truesize of data we got, /256 */
	u8 probes_out;		/* unanswered zero-window or keep-alive probes */
	u8 backoff;		/* rto_us doublings since the last RTT sample */
	u16 keepidle;		/* TCP_KEEPIDLE, seconds; 0: net.xtcp.* */
	u16 keepintvl;		/* TCP_KEEPINTVL */
	u8 keepcnt;		/* TCP_KEEPCNT */
	u8 syn_retries;		/* TCP_SYNCNT; 0: net.xtcp.syn_retries */
	u8 defer_accept;	/* TCP_DEFER_ACCEPT, as SYN-ACK timeouts */
	/* What both SYNs agreed on (RFC 7323, RFC 2018; ts_* below). */
	u8 opts;		/* XTCP_OPT_* */
	u8 snd_wscale;		/* the peer's shift for its windows */
	u8 rcv_wscale;		/* ours */
	int linger2;		/* TCP_LINGER2, s; 0: fin_timeout, -1: none */
	u32 window_clamp;	/* TCP_WINDOW_CLAMP, bytes; 0: none */
	u32 notsent_lowat;	/* TCP_NOTSENT_LOWAT, bytes; 0: none */
	u32 user_timeout;	/* TCP_USER_TIMEOUT, ms; 0: the retry limits */
	/* ms stamps (xtcp_ms_stamp()), 0: none.  The first resend of what
	 * is outstanding, or while connecting the first SYN; the first
	 * zero-window probe of a stall; the peer's latest segment.
	 */
	u32 retrans_stamp;
	u32 probe_stamp;
	u32 rcv_tstamp;
	u32 rto_us;		/* the RTO (timer.c, xtcp_rto_ns()) */
	u64 clock_ns;		/* now, read once per event (below) */

	/* The timestamp option's state (RFC 7323). */
	u32 ts_off;		/* our timestamp clock's offset */
	u32 ts_recent;		/* the peer's TSval to echo */
	u32 ts_recent_stamp;	/* when it was taken, seconds (PAWS) */

	/* RTT estimation, RFC 6298 (timer.c). */
	u32 srtt_us;		/* 0: no sample yet */
	u32 rttvar_us;		/* 4 * RTTVAR, at least rto_min_ms */
	u32 mdev_us;		/* 4 * the smoothed deviation */
	u32 mdev_max_us;	/* its largest this round trip */
	u32 rtt_seq;		/* snd_nxt when this round trip began */
	u32 total_retrans;	/* for TCP_INFO */
	u8 dupacks;		/* duplicate ACKs in a row (fast retransmit) */

	/* Congestion control (cong.c) and loss recovery (recovery.c), in
	 * segments.
	 */
	u8 ca_state;		/* XTCP_CA_* */
	u8 cc;			/* the congestion control algorithm (cong.c) */
	u8 retransmits;		/* timeouts in a row (timer.c) */
	struct xtcp_cubic cubic;
	u32 cwnd;
	u32 ssthresh;
	u32 cwnd_cnt;		/* ACKed segments toward the next cwnd++ */
	u32 packets_out;	/* sent, not cumulatively acknowledged */
	u32 sacked_out;
	u32 lost_out;
	u32 retrans_out;	/* lost ones resent, not yet acknowledged */
	u32 recover;		/* snd_nxt when recovery or loss began */
	struct sk_buff *rtx_hint;	/* where the resend walk goes on */
	/* RACK-TLP (RFC 8985): the latest send time the peer has confirmed;
	 * the round trip of the newest segment the last ACK delivered, and
	 * that ACK's clock; the end of the last tail-loss probe and whether
	 * it was a resend.
	 */
	u64 rack_ns;
	u32 rack_rtt_us;
	u32 rack_rtt_at;	/* the low 32 bits of that clock_ns */
	u32 rack_end_seq;	/* that segment's end: ties in send time */
	u32 sack_high;		/* the highest SACK block's end, or snd_una */
	u32 tlp_high_seq;	/* snd_nxt when a probe went; 0: none out */
	u32 tlp_tsval;		/* the TSval a resent probe carried */
	u8 tlp_retrans:1;
	u8 reord_now:1;		/* this ACK reached data below sack_high */
	u8 hs_done:1;		/* HyStart ended this slow start (cong.c) */
	u8 hs_samples:4;	/* RTT samples this HyStart round */
	u8 timer_event;		/* what rtx_at is set for: XTCP_TIMER_* */
	/* RACK's reordering window, in quarters of the least RTT, and how
	 * many recoveries it keeps that width (RFC 8985 section 6.2).
	 */
	u8 reo_wnd_steps;
	u8 reo_wnd_persist;
	u32 retrans_ts;		/* our timestamp at its first resend; 0: none */
	u32 reo_wnd_at_us;	/* clock_ns in us, modulo 2^32, when a D-SACK
				 * last widened it; 0: never
				 */
	u32 undo_cwnd;		/* cwnd and ssthresh before this recovery */
	u32 undo_ssthresh;
	u32 loss_start;		/* the current timeout recovery's, for
				 * TCP_INFO; 0: none
				 */
	/* Data past a gap, keyed by sequence, no two skbs overlapping; its
	 * last (highest) skb at hand, where new data usually goes.
	 */
	struct rb_root ooo_root;
	struct sk_buff *ooo_last;
	u32 sack_last;		/* where the latest out-of-order data went */
	/* Data that arrived twice, for the next segment's first SACK block
	 * (a D-SACK, RFC 2883); none while the two are equal.
	 */
	u32 dsack_start;
	u32 dsack_end;
	u32 last_oow_ack;	/* jiffies of the last answer to a bad segment */

	/* The timers (timer.c): deadlines in ktime_get() ns, 0 when not
	 * set, and the one hrtimer that serves them.  Retransmission: the
	 * head of sk_write_queue is what it resends; every expiry doubles
	 * rto_us (above) up to net.xtcp.rto_max_ms.
	 */
	struct hrtimer timer;
	u64 rtx_at;
	u64 delack_at;
	u64 keepalive_at;
	struct llist_node tsq_node;	/* on a CPU's list (tsq.c) */

	/* A listener's queues.  A child sits on its listener's accept
	 * queue from the handshake's end until accept() takes it; its
	 * length and limit are sk_ack_backlog and sk_max_ack_backlog, as
	 * Linux's sk_acceptq_*() keep them.  A socket on an accept queue
	 * has no file yet, so it cannot listen, and one that listens is
	 * nobody's child: the queue's head and a child's link share room
	 * (both are empty lists when a socket is made or accepted).
	 */
	union {
		struct list_head accept_queue;	/* a listener's */
		struct list_head accept_node;	/* a child's, until accepted */
	};
	atomic_t syn_len;
	u32 cookie_jiffies;	/* its last cookie SYN-ACK; 0: never */

	struct xtcp_stats stats;	/* for TCP_INFO only */
};

static inline struct xtcp_sock *xtcp_sk(const struct sock *sk)
{
	return (struct xtcp_sock *)sk;
}

/* The retransmission timer serves three purposes, one at a time. */
enum {
	XTCP_TIMER_RTO,		/* retransmission (or persist) timeout */
	XTCP_TIMER_TLP,		/* tail-loss probe */
	XTCP_TIMER_REO,		/* RACK's reordering window ends */
};

enum {
	XTCP_CA_OPEN,
	XTCP_CA_RECOVERY,	/* fast recovery after duplicate ACKs */
	XTCP_CA_LOSS,		/* after a retransmission timeout */
};

/* Duplicate ACKs (or SACKed segments above a hole) that mean a loss;
 * TCP_INFO's reordering.
 */
#define XTCP_DUPTHRESH	3

/* Segments in the network: RFC 6675's pipe (recovery.c). */
static inline u32 xtcp_in_flight(const struct xtcp_sock *xs)
{
	return xs->packets_out - xs->sacked_out - xs->lost_out +
	       xs->retrans_out;
}

/* What the peer may still send: up to the edge we advertised, which
 * never moves left (RFC 9293 section 3.8.6.2.2).
 */
static inline u32 xtcp_rcv_wnd(const struct xtcp_sock *xs)
{
	s32 wnd = xs->rcv_edge - xs->rcv_nxt;

	return wnd > 0 ? wnd : 0;
}

/* The payload @room bytes of receive buffer hold (rcv_ratio). */
static inline s64 xtcp_room_to_payload(const struct xtcp_sock *xs, int room)
{
	return ((s64)room * xs->rcv_ratio) >> 8;
}

/* The window the free receive buffer could offer now (negative when the
 * queues hold more than the buffer).
 */
static inline s64 xtcp_free_window(const struct sock *sk)
{
	return xtcp_room_to_payload(xtcp_sk(sk),
				    READ_ONCE(sk->sk_rcvbuf) -
				    atomic_read(&sk->sk_rmem_alloc));
}

/* The most window we may advertise: TCP_WINDOW_CLAMP, if set. */
static inline u32 xtcp_window_clamp(const struct xtcp_sock *xs)
{
	return READ_ONCE(xs->window_clamp) ?: U32_MAX;
}

/* The window an ACK could offer now, before silly-window avoidance: the
 * free buffer's, at most what the scaled field and TCP_WINDOW_CLAMP say
 * (negative when the queues hold more than the buffer).
 */
static inline s64 xtcp_window_room(const struct sock *sk)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);

	return min_t(s64, xtcp_free_window(sk),
		     min(XTCP_RCV_WND << xs->rcv_wscale,
			 xtcp_window_clamp(xs)));
}

/*
 * The window a SYN or SYN-ACK offers (never scaled, RFC 7323 section
 * 2.2): what the free receive buffer holds, at most 65535 and
 * TCP_WINDOW_CLAMP, as tcp_select_initial_window() sizes it.  A small
 * SO_RCVBUF set before connect() or listen() is a small window from the
 * first segment on, not one the buffer cannot hold.
 */
static inline u32 xtcp_syn_window(const struct sock *sk)
{
	return clamp_t(s64, xtcp_free_window(sk), 0,
		       min(XTCP_RCV_WND, xtcp_window_clamp(xtcp_sk(sk))));
}

/* The receive window a new connection starts with (its SYN said so). */
static inline void xtcp_init_rcv_wnd(struct xtcp_sock *xs)
{
	xs->rcv_edge = xs->rcv_nxt + xtcp_syn_window(&xs->inet.sk);
}

/*
 * What may wait on a busy socket's backlog, counted with its receive
 * queue (and, while release_sock() works through the backlog, with what
 * it already moved there): Linux 6.1's figure, twice the receive buffer,
 * half the send buffer (ACKs free it) and 64 KiB, so that a window's
 * worth in flight is never dropped.
 */
static inline u32 xtcp_backlog_limit(const struct sock *sk)
{
	u64 limit = 2ULL * READ_ONCE(sk->sk_rcvbuf) +
		    (u32)READ_ONCE(sk->sk_sndbuf) / 2 + 65536;

	return min_t(u64, limit, UINT_MAX);
}

/* Linux admits one connection more than the backlog; so does XTCP. */
static inline bool xtcp_accept_queue_full(const struct xtcp_sock *lx)
{
	return sk_acceptq_is_full(&lx->inet.sk);
}

/*
 * Many entries' timeouts on one timer (expiry.c): lanes of entries of
 * one lifetime each, in expiry order, and one soft hrtimer set for the
 * earliest.
 */
#define XTCP_EXPIRY_LANES	8

struct xtcp_expiry_lane {
	struct list_head head;
	u32 life_ms;		/* its entries' lifetime; empty: free */
};

struct xtcp_expiry_queue {
	spinlock_t lock;	/* the lanes, armed_ns */
	struct xtcp_expiry_lane lane[XTCP_EXPIRY_LANES];
	struct hrtimer timer;
	u64 armed_ns;		/* the timer's expiry; 0: not set */
	int expires_off;	/* an entry's u32 expiry, from its node */
	void (*expire)(struct list_head *node);	/* off the queue, unlocked */
};

/*
 * A SYN-queue entry: what a listener remembers of a peer between SYN and
 * final ACK, without a socket (RFC 9293's SYN-RECEIVED for a passive open).
 */
struct xtcp_request {
	struct xtcp_hnode h;
	refcount_t refcnt;
	struct sock *listener;		/* holds a reference */
	u32 iss;
	u32 irs;
	u32 snd_wnd;
	u16 mss;
	u8 retransmits;		/* SYN-ACKs resent */
	u8 timeouts;		/* timer expiries, resent or not */
	u8 opts;		/* XTCP_OPT_* both sides agreed on */
	u8 snd_wscale;
	u8 rcv_wscale;
	u8 cookie:1;		/* on the stack for a cookie SYN-ACK */
	u8 acked:1;		/* a final ACK came, and was not taken */
	u32 ts_recent;
	u32 last_oow_ack;	/* its last answer to a bad segment, jiffies */
	u32 rto_ms;		/* the SYN-ACK timeout */
	u32 synack_us;		/* when its last SYN-ACK left; 0: sent twice */
	u32 expires;		/* its next timeout (expiry.c) */
	/* The SYN's IP options turned for the answer (ipopt.c), or NULL;
	 * set before the entry is hashed, freed with it.
	 */
	struct ip_options_rcu *ipopt;
	/* Its namespace's SYN-ACK timer queue holds it on @node (empty: not
	 * on it); the RCU callback that frees it comes only after it left.
	 */
	union {
		struct list_head node;
		struct rcu_head rcu;
	};
};

/*
 * A TIME_WAIT entry: the four-tuple and the little RFC 9293 needs to
 * re-acknowledge a retransmitted FIN and to judge a new SYN, for 2*MSL.
 * As in Linux, an orphan waiting in FIN_WAIT_2 for the peer's FIN is one
 * too (@substate TCP_FIN_WAIT2), for fin_timeout.  With timestamps it
 * keeps what RFC 7323 needs: its ACKs carry them, PAWS judges what
 * arrives, and connect() may take the four-tuple over (tw_reuse).  The
 * small fields share one word, so it is no bigger than without them.
 */
struct xtcp_tw {
	struct xtcp_hnode h;
	struct xtcp_bhead bind;
	refcount_t refcnt;
	u8 substate;
	u8 rcv_wscale;
	u8 tos;
	u32 expires;		/* when it goes (expiry.c) */
	u32 snd_nxt;
	u32 rcv_nxt;
	u32 rcv_wnd;
	u32 last_oow_ack;	/* its last answer to a bad segment, jiffies */
	u32 ts_recent;		/* the peer's TSval to echo */
	u32 ts_recent_stamp;	/* when taken, seconds; 0: no timestamps */
	u32 ts_off;		/* our timestamp clock's offset */
	/* Its namespace's TIME_WAIT queue holds it on @node (empty: not
	 * on it); the RCU callback that frees it comes only after it left.
	 */
	union {
		struct list_head node;
		struct rcu_head rcu;
	};
};

/* What a TIME_WAIT entry makes of a segment. */
enum xtcp_tw_verdict {
	XTCP_TW_DONE,		/* consumed (answered or dropped) */
	XTCP_TW_NEW_SYN,	/* a new incarnation: give it to the listener */
};

/* net.xtcp.hystart_detect: what may end slow start (cong.c). */
#define XTCP_HYSTART_ACK_TRAIN	0x1
#define XTCP_HYSTART_DELAY	0x2

/* Options of a connection, as in xtcp_sock.opts and a SYN's cb. */
#define XTCP_OPT_WSCALE		0x01
#define XTCP_OPT_SACK		0x02
#define XTCP_OPT_TS		0x04

/* What an incoming segment's options said. */
/*
 * What IP found among a segment's IP options (its struct ip_options, which
 * skb->cb has no room for beside ours): offsets from the IP header, 0 when
 * absent, and what IP left for the answer to fill in.
 */
struct xtcp_ip_seen {
	u8 len;			/* bytes of options, 0: none */
	u8 srr;
	u8 rr;
	u8 ts;
	u8 cipso;
	u8 strict:1,		/* the source route is SSRR */
	   rr_needaddr:1,
	   ts_needaddr:1,
	   ts_needtime:1;
};

struct xtcp_rcv_opts {
	u32 tsval;
	u32 tsecr;
	u32 tw_isn;		/* a SYN a TIME_WAIT entry let by: its ISN */
	u16 sack_off;		/* SACK option's offset in the header, or 0 */
	u8 wscale;		/* a SYN's window shift */
	u8 opts;		/* XTCP_OPT_* present (TS: in any segment) */
	struct xtcp_ip_seen ip;
};

/* Where a segment waiting on sk_write_queue stands. */
#define XTCP_SKB_RETRANS	0x01	/* sent more than once (Karn) */
#define XTCP_SKB_SACKED		0x02	/* the peer has it (SACK) */
#define XTCP_SKB_LOST		0x04	/* presumed lost */
#define XTCP_SKB_RTX_OUT	0x08	/* lost, resent, resend in flight */
#define XTCP_SKB_MTU_PROBE	0x10	/* one segment, larger than the MSS */

struct xtcp_snd_state {
	u64 sent_ns;		/* last sent, for RTT samples */
	u32 delivered_bytes;	/* xtcp_stats' then, for rate samples */
	u16 pcount;		/* segments on the wire (splits, trims) */
	u8 state;		/* XTCP_SKB_* */
};

/* Per-segment facts in skb->cb.  The first part is IP's while IP owns the
 * skb; after input.c parsed the header it holds the options, and on
 * sk_write_queue the segment's send state (only the clones we send go
 * to IP).
 */
struct xtcp_skb_cb {
	union {
		struct inet_skb_parm h4;
		struct xtcp_rcv_opts in;
		struct xtcp_snd_state out;
	} header;
	u32 seq;
	u32 end_seq;		/* seq + payload + SYN + FIN */
	u32 ack_seq;
	u16 window;
	u16 mss;		/* MSS option of a SYN, 0 when absent */
	u8 flags;		/* XTCP_FLAG_* */
};

#define XTCP_SKB_CB(skb)	((struct xtcp_skb_cb *)&((skb)->cb[0]))

static inline struct xtcp_rcv_opts *xtcp_rcv_opts(struct sk_buff *skb)
{
	return &XTCP_SKB_CB(skb)->header.in;
}

/* The options every data segment carries take room from its payload. */
#define XTCPOLEN_TS_ALIGNED	12
#define XTCP_MAX_OPT_SPACE	40
/* Room reserved in front of a segment for every header below ours. */
#define XTCP_MAX_HEADER		L1_CACHE_ALIGN(128 + MAX_HEADER)
static inline unsigned int xtcp_payload_mss(const struct xtcp_sock *xs)
{
	return xs->mss - (xs->opts & XTCP_OPT_TS ? XTCPOLEN_TS_ALIGNED : 0);
}

/*
 * GSO (offload.c): one queued skb may hold several segments' payload, in
 * page fragments (sendmsg.c), up to XTCP_GSO_BYTES (what a 64 KiB linear
 * skb once held: well inside an IP packet's 64 KiB with every header), and
 * at most half the congestion window and half the peer's largest window,
 * so that ACKs keep coming while a window is sent.  On loopback one
 * segment is that big already.
 */
#define XTCP_GSO_TYPE		SKB_GSO_SCTP	/* see offload.c */
/* The header the core's GSO arithmetic assumes for that type (SCTP's). */
#define XTCP_GSO_CORE_HDRLEN	12
#define XTCP_GSO_BYTES		(SKB_WITH_OVERHEAD(65536) - XTCP_MAX_HEADER)
/* What gso_size says beyond the MSS for a header of @thlen bytes. */
static inline unsigned int xtcp_gso_extra(unsigned int thlen)
{
	return thlen - XTCP_GSO_CORE_HDRLEN;
}

bool xtcp_gso_on(void);
void xtcp_gso_fix_size(struct sk_buff *skb);
unsigned int xtcp_gso_rcv_mss(const struct sk_buff *skb);
void xtcp_offload_init(void);
void xtcp_offload_exit(void);
/* gro.c */
struct sk_buff *xtcp_gro_receive(struct list_head *head, struct sk_buff *skb);
int xtcp_gro_complete(struct sk_buff *skb, int thoff);

static inline unsigned int xtcp_size_goal(const struct xtcp_sock *xs)
{
	unsigned int segs = XTCP_GSO_BYTES / xs->mss;

	if (!xtcp_gso_on())
		segs = 1;
	segs = min(segs, xs->cwnd / 2);
	segs = min(segs, xs->max_snd_wnd / 2 / xtcp_payload_mss(xs));
	return max(segs, 1U) * xtcp_payload_mss(xs);
}

/* The segments a queued skb of @len bytes makes on the wire. */
static inline u16 xtcp_pcount(const struct xtcp_sock *xs, u32 len)
{
	return max_t(u32, DIV_ROUND_UP(len, xtcp_payload_mss(xs)), 1);
}

void xtcp_fill_checksum(struct sk_buff *skb, __be32 saddr, __be32 daddr,
			bool hw);
struct sk_buff *xtcp_split_skb(struct sock *sk, struct sk_buff *skb, u32 len);
struct sk_buff *xtcp_alloc_hdr_skb(unsigned int payload, gfp_t gfp);
void xtcp_queue_skb(struct sock *sk, struct sk_buff *skb);
struct sk_buff *xtcp_fit_rwnd_resend(struct sock *sk, struct sk_buff *skb);
struct sk_buff *xtcp_fit_cwnd(struct sock *sk, struct sk_buff *skb,
			      bool may_defer);
void xtcp_account_resize(struct xtcp_sock *xs, u8 state, int delta);

/*
 * The clock, read once per segment that arrives, per burst sent and per
 * timer, as Linux's tcp_mstamp: reading it per segment cost 5 % of the
 * CPU in a TCG guest (HPET).  It only moves forward, so timestamps sent
 * from it never go back.
 */
static inline void xtcp_clock_refresh(struct xtcp_sock *xs)
{
	xs->clock_ns = ktime_get_ns();
}

/*
 * Times that Linux keeps in u32 jiffies or ms are u32 ms stamps here, 4
 * bytes rather than 8: @ns, a reading of the socket clock or of
 * ktime_get_ns(), in ms modulo 2^32, 0 standing for "none" (a stamp
 * that falls on it is taken a ms late).  Only their differences mean
 * anything, good for 24 days as Linux's jiffies deltas are.
 */
static inline u32 xtcp_ms_stamp(u64 ns)
{
	return (u32)div_u64(ns, NSEC_PER_MSEC) ?: 1;
}

/* @ns in us modulo 2^32, for differences below 71 minutes. */
static inline u32 xtcp_us_stamp(u64 ns)
{
	return (u32)div_u64(ns, NSEC_PER_USEC);
}

/* The ns from @stamp to the clock reading @now_ns, to the ms; negative
 * when the stamp is the later.
 */
static inline s64 xtcp_ms_age_ns(u64 now_ns, u32 stamp)
{
	s32 ms = (u32)div_u64(now_ns, NSEC_PER_MSEC) - stamp;

	return (s64)ms * NSEC_PER_MSEC;
}

/* The RTO, kept in us (it is a sum of us samples, or ms sysctls). */
static inline u64 xtcp_rto_ns(const struct xtcp_sock *xs)
{
	return (u64)xs->rto_us * NSEC_PER_USEC;
}

static inline void xtcp_rto_set(struct xtcp_sock *xs, u64 ns)
{
	xs->rto_us = div_u64(ns, NSEC_PER_USEC);
}

/* The timestamp option's clock for this connection (ms, offset). */
static inline u32 xtcp_ts_now(const struct xtcp_sock *xs)
{
	return (u32)div_u64(xs->clock_ns, NSEC_PER_MSEC) + xs->ts_off;
}

/* How many segments the queued @skb makes on the wire. */
static inline u16 xtcp_skb_pcount(const struct sk_buff *skb)
{
	return XTCP_SKB_CB(skb)->header.out.pcount;
}

static inline const struct xtcphdr *xtcp_hdr(const struct sk_buff *skb)
{
	return (const struct xtcphdr *)skb_transport_header(skb);
}

#define XTCP_DELACK_NS		(40ULL * NSEC_PER_MSEC)
/* R1 of RFC 9293 section 3.8.3: timeouts in a row after which the path
 * is in doubt (Linux's tcp_retries1 default).
 */
#define XTCP_RETRIES1		3
#define XTCP_DELACK_MAX_NS	(200ULL * NSEC_PER_MSEC)	/* TCP_DELACK_MAX */
#define XTCP_MAX_QUICKACKS	16
#define XTCP_MSS_DEFAULT	536	/* RFC 9293: no MSS option */
/* An MTU less this is an MSS (no IP or XTCP options). */
#define XTCP_HDRS		((int)(sizeof(struct iphdr) + sizeof(struct xtcphdr)))
#define XTCP_MIN_MSS		88	/* TCP_MAXSEG's bounds, TCP's */
#define XTCP_MIN_SND_MSS	48	/* net.xtcp.min_snd_mss's least, TCP's */
#define XTCP_MAX_USER_MSS	32767
#define XTCP_MAX_KEEPIDLE	32767	/* seconds; TCP_KEEPIDLE's bound, TCP's */
#define XTCP_MAX_KEEPCNT	127

/* Counters in /proc/net/xtcp_stat, one set per network namespace. */
enum xtcp_mib_field {
	XTCP_MIB_ACTIVEOPENS,
	XTCP_MIB_PASSIVEOPENS,
	XTCP_MIB_ATTEMPTFAILS,
	XTCP_MIB_ESTABRESETS,
	XTCP_MIB_INSEGS,
	XTCP_MIB_OUTSEGS,
	XTCP_MIB_RETRANSSEGS,
	XTCP_MIB_INERRS,	/* malformed header or bad checksum */
	XTCP_MIB_INCSUMERRORS,
	XTCP_MIB_NOSOCKET,	/* no socket for the four-tuple */
	XTCP_MIB_OUTRSTS,
	XTCP_MIB_LISTENOVERFLOWS,
	XTCP_MIB_LISTENDROPS,
	XTCP_MIB_TIMEWAITENTRIES,
	XTCP_MIB_TWOVERFLOW,
	XTCP_MIB_TWRECYCLED,		/* a TIME_WAIT four-tuple connect() took */
	XTCP_MIB_DEFERACCEPTDROP,	/* a bare final ACK TCP_DEFER_ACCEPT held */
	XTCP_MIB_CHALLENGEACKS,
	XTCP_MIB_CHALLENGEACKSSKIPPED,	/* over challenge_ack_limit */
	XTCP_MIB_ACKSKIPPEDSEQ,		/* out-of-window answer rate-limited */
	XTCP_MIB_ACKSKIPPEDPAWS,	/* PAWS answer rate-limited */
	XTCP_MIB_ACKSKIPPEDCHALLENGE,	/* challenge ACK rate-limited */
	XTCP_MIB_ACKSKIPPEDSYNRECV,	/* a SYN-queue entry's answer, likewise */
	XTCP_MIB_ACKSKIPPEDTIMEWAIT,	/* a TIME_WAIT entry's answer, likewise */
	XTCP_MIB_SYNCOOKIESSENT,
	XTCP_MIB_SYNCOOKIESRECV,
	XTCP_MIB_SYNCOOKIESFAILED,
	XTCP_MIB_PAWSREJECTED,		/* old timestamp (RFC 7323 PAWS) */
	XTCP_MIB_TIMEOUTS,		/* retransmission timer expiries */
	XTCP_MIB_RECOVERIES,		/* fast recoveries begun */
	XTCP_MIB_RECOVERYUNDO,		/* ... found spurious and undone */
	XTCP_MIB_BACKLOGDROP,		/* owner busy and backlog full */
	XTCP_MIB_BACKLOGCOALESCE,	/* ... a segment merged into the last */
	XTCP_MIB_OFODROP,		/* out-of-order data not kept */
	XTCP_MIB_OFOPRUNED,		/* ... dropped later to make room */
	XTCP_MIB_RCVQDROP,		/* data dropped: over net.xtcp.mem */
	XTCP_MIB_ZEROWINDOWDROP,	/* data at RCV.NXT, the window closed */
	XTCP_MIB_WQUEUETOOBIG,		/* a sent skb not cut: queue at 2 x sndbuf */
	XTCP_MIB_SACKRENEGING,		/* SACKed data found dropped at a timeout */
	XTCP_MIB_ABORTONMEMORY,		/* an orphan killed: too many, or no memory */
	XTCP_MIB_LOSSPROBES,		/* tail-loss probes sent */
	XTCP_MIB_LOSSPROBERECOVERY,	/* ... that repaired a loss */
	XTCP_MIB_RACKLOST,		/* segments RACK found lost */
	XTCP_MIB_SACKREORDER,		/* ACKs that showed data reordered */
	XTCP_MIB_DSACKRECV,		/* D-SACKs the peer sent */
	XTCP_MIB_DSACKSENT,		/* D-SACKs we sent */
	XTCP_MIB_OUTOFWINDOWICMPS,	/* ICMP quoting no segment in flight */
	XTCP_MIB_PMTUREDUCED,		/* ... that lowered a connection's MSS */
	XTCP_MIB_MTUPSUCCESS,		/* MTU probes that arrived */
	XTCP_MIB_MTUPFAIL,		/* ... that did not */
	XTCP_MIB_MTUBLACKHOLE,		/* timeouts that lowered the MSS */
	XTCP_MIB_GROAGGREGATED,		/* segments GRO merged into an earlier one */
	/* HyStart's exits from slow start, and the sum of their windows:
	 * each kind's window count follows its count (cong.c).
	 */
	XTCP_MIB_HYSTARTTRAINDETECT,
	XTCP_MIB_HYSTARTTRAINCWND,
	XTCP_MIB_HYSTARTDELAYDETECT,
	XTCP_MIB_HYSTARTDELAYCWND,
	XTCP_MIB_MAX
};

struct xtcp_mib {
	unsigned long mibs[XTCP_MIB_MAX];
};

/* net.xtcp.* */
struct xtcp_sysctl {
	int rmem[3];		/* min, default, max: as tcp_rmem */
	int wmem[3];		/* as tcp_wmem */
	int syn_retries;
	int synack_retries;
	int max_syn_backlog;
	int fin_timeout;	/* seconds */
	int msl_ms;
	int timewait_reuse;	/* net.xtcp.tw_reuse (a name <net/inet_timewait_sock.h> takes) */
	int max_tw_buckets;
	int orphan_retries;
	int retries2;
	int abort_on_overflow;
	int rto_initial_ms;
	int rto_min_ms;
	int rto_max_ms;		/* the backed-off RTO's ceiling */
	int max_orphans;	/* per namespace, as tcp_max_orphans */
	int window_scaling;
	int slow_start_after_idle;	/* RFC 5681 section 4.1, as Linux */
	int hystart_detect;	/* XTCP_HYSTART_*: how slow start may end */
	int limit_output_bytes;	/* small queues' most (tsq.c) */
	int recovery;		/* 1: RACK-TLP (RFC 8985), 0: duplicate ACKs */
	int timestamps;
	int sack;
	int syncookies;
	int syncookie_period_ms;
	int challenge_ack_limit;	/* per second, per namespace */
	int invalid_ratelimit_ms;	/* per socket, as tcp_invalid_ratelimit */
	int keepalive_time;	/* seconds */
	int keepalive_intvl;	/* seconds */
	int keepalive_probes;
	int min_snd_mss;	/* floor on the peer's MSS, as tcp_min_snd_mss */
	int mtu_probing;	/* as tcp_mtu_probing: 0, 1 (black holes), 2 */
	int base_mss;		/* as tcp_base_mss: where probing starts */
	int mtu_probe_floor;	/* as tcp_mtu_probe_floor */
	int probe_threshold;	/* as tcp_probe_threshold: bytes */
	int probe_interval;	/* as tcp_probe_interval: seconds */
	char congestion_control[XTCP_CC_NAME_MAX];
};

/* Per-namespace state. */
struct xtcp_net {
	struct xtcp_mib __percpu *mib;
	struct sock *ctl_sk;		/* sends RSTs and ACKs for no socket */
	struct xtcp_sysctl sysctl;
	struct ctl_table_header *sysctl_hdr;
	atomic_t tw_count;
	struct xtcp_expiry_queue tw_queue;	/* its TIME_WAIT entries */
	struct xtcp_expiry_queue req_queue;	/* its SYN-queue entries */
	atomic_t curr_estab;
	atomic_t orphans;		/* closed sockets still finishing */
	/* Challenge ACKs sent in the current second (RFC 5961 section 7). */
	unsigned long challenge_second;
	atomic_t challenge_count;	/* left this second */
};

extern unsigned int xtcp_net_id;

/*
 * Our part of @net: net_generic() without its rcu_read_lock(), a call
 * each way on Debian's PREEMPT_RCU kernels, paid for every counter and
 * sysctl read.  The array read is replaced and freed by kfree_rcu() when
 * another module's part is added; a preempt-disabled section holds that
 * back as a read-side section does (one RCU since Linux 5.0), and our
 * part itself lives as long as the namespace.
 */
static inline struct xtcp_net *xtcp_pernet(const struct net *net)
{
	struct xtcp_net *xn;

	preempt_disable();
	xn = rcu_dereference_sched(net->gen)->ptr[xtcp_net_id];
	preempt_enable();
	return xn;
}

static inline struct xtcp_sysctl *xtcp_sysctl(const struct net *net)
{
	return &xtcp_pernet(net)->sysctl;
}

#define XTCP_INC_STATS(net, field) \
	this_cpu_inc(xtcp_pernet(net)->mib->mibs[field])
#define __XTCP_INC_STATS(net, field) \
	__this_cpu_inc(xtcp_pernet(net)->mib->mibs[field])
#define XTCP_ADD_STATS(net, field, n) \
	this_cpu_add(xtcp_pernet(net)->mib->mibs[field], n)

/* af_xtcp.c: the numbers chosen at load time. */
extern int xtcp_family;
extern int xtcp_ipproto;

/* socket.c */
extern struct proto xtcp_prot;
extern const struct proto_ops xtcp_stream_ops;
int xtcp_create_socket(struct net *net, struct socket *sock, int protocol,
		       int kern);
void xtcp_set_state(struct sock *sk, int state);
void xtcp_done(struct sock *sk);
void xtcp_destroy_sock(struct sock *sk);
void xtcp_reset(struct sock *sk, int err);
bool xtcp_orphan_out_of_resources(struct sock *sk);
void xtcp_init_sock(struct sock *sk);
void xtcp_inherit(struct sock *child, const struct sock *parent);

/* table.c */
int xtcp_table_init(unsigned int entries);
void xtcp_table_exit(void);
struct xtcp_hnode *xtcp_lookup(struct net *net, __be32 raddr, __be16 rport,
			       __be32 laddr, __be16 lport);
struct sock *xtcp_lookup_listener(struct net *net, __be32 raddr,
				  __be16 rport, __be32 laddr, __be16 lport);
int xtcp_ehash_insert(struct xtcp_hnode *h);
bool xtcp_ehash_remove(struct xtcp_hnode *h);
bool xtcp_ehash_replace(struct xtcp_hnode *old, struct xtcp_hnode *new);
int xtcp_bind_port(struct sock *sk, __be32 laddr, u16 port);
int xtcp_listen_check_port(struct sock *sk);
void xtcp_bind_add(struct xtcp_bhead *b);
void xtcp_bind_del(struct xtcp_bhead *b);
int xtcp_connect_port(struct sock *sk);
void xtcp_listen_hash(struct sock *sk);
void xtcp_listen_unhash(struct sock *sk);
void xtcp_sock_unhash(struct sock *sk);
void xtcp_table_purge_net(struct net *net);
void xtcp_table_walk(struct net *net,
		     void (*fn)(struct xtcp_hnode *h, void *arg), void *arg);
void xtcp_listen_walk(struct net *net,
		      void (*fn)(struct sock *sk, void *arg), void *arg);
unsigned int xtcp_ehash_size(void);

/* An entry not (yet) in the four-tuple table. */
static inline void xtcp_hnode_init(struct xtcp_hnode *h)
{
	h->node.pprev = NULL;
}

static inline bool xtcp_hnode_hashed(const struct xtcp_hnode *h)
{
	return !hlist_nulls_unhashed_lockless(&h->node);
}

static inline struct sock *xtcp_hnode_sk(struct xtcp_hnode *h)
{
	return (struct sock *)container_of(h, struct xtcp_sock, ehash);
}

/* input.c */
int xtcp_v4_rcv(struct sk_buff *skb);
int xtcp_do_rcv(struct sock *sk, struct sk_buff *skb);
int xtcp_backlog_rcv(struct sock *sk, struct sk_buff *skb);
bool xtcp_seq_acceptable(u32 seq, u32 end_seq, u32 rcv_nxt, u32 rcv_wnd);
void xtcp_sync_with_peer(struct xtcp_sock *xs, u32 irs,
			 const struct xtcp_skb_cb *cb, u16 peer_mss);
void xtcp_set_opts(struct xtcp_sock *xs, u8 opts, u8 snd_wscale,
		   u32 ts_recent);
void xtcp_ooo_purge(struct xtcp_sock *xs);
bool xtcp_oow_rate_limited(struct net *net, const struct xtcp_skb_cb *cb,
			   u32 *last, int mib);

/* output.c */
int xtcp_ctl_init_net(struct net *net);
void xtcp_ctl_exit_net(struct net *net);
int xtcp_send_syn(struct sock *sk);
void xtcp_push(struct sock *sk);
void xtcp_push_on_input(struct sock *sk);
void xtcp_push_partial(struct sock *sk);
void xtcp_send_probe(struct sock *sk);
void xtcp_send_window_probe(struct sock *sk);
void xtcp_send_loss_probe(struct sock *sk);
void xtcp_send_ack(struct sock *sk);
void xtcp_send_ack_now(struct sock *sk);
void xtcp_send_fin(struct sock *sk);
void xtcp_send_active_reset(struct sock *sk, gfp_t gfp);
void xtcp_send_reset_reply(struct net *net, struct sk_buff *skb);
/* A bare ACK for an entry without a socket of its own. */
struct xtcp_reply {
	u32 seq;
	u32 ack;
	u16 win;
	u8 tos;
	u8 ts;			/* with a timestamp option: */
	u32 tsval;
	u32 tsecr;
};

void xtcp_send_ack_reply(struct net *net, struct sk_buff *skb,
			 const struct xtcp_reply *r);
int xtcp_send_request_synack(struct xtcp_request *req);
int xtcp_resend_skb(struct sock *sk, struct sk_buff *skb);
int xtcp_route_connected(struct sock *sk);
void xtcp_set_mss(struct sock *sk, const struct dst_entry *dst);
void xtcp_sync_mss(struct sock *sk, u32 mtu);
int xtcp_sendmsg_queue(struct sock *sk, struct msghdr *msg, size_t len);
bool xtcp_send_new(struct sock *sk, struct sk_buff *skb);
u16 xtcp_advmss(struct sock *sk);
u64 xtcp_clean_acked(struct sock *sk, u32 ack, u32 *acked);
u8 xtcp_choose_wscale(const struct sock *sk);
u8 xtcp_syn_opts_wanted(const struct net *net);

/* tsq.c */
bool xtcp_small_queue_full(struct sock *sk, const struct sk_buff *skb);
void xtcp_tsq_write(struct sock *sk);
void xtcp_wfree(struct sk_buff *skb);
void xtcp_set_owner(struct sk_buff *skb, struct sock *sk);
void xtcp_tsq_init(void);
void xtcp_tsq_exit(void);

/* recovery.c */
void xtcp_set_ca_state(struct sock *sk, u8 state);
void xtcp_unaccount_skb(struct xtcp_sock *xs, struct sk_buff *skb);
void xtcp_enter_loss(struct sock *sk);
#define XTCP_ACK_DUP	0x01	/* a duplicate ACK (RFC 5681) */
#define XTCP_ACK_RTT	0x02	/* its cumulative part gave an RTT sample */
bool xtcp_recovery_ack(struct sock *sk, struct sk_buff *skb, u32 acked,
		       int flag);
void xtcp_retransmit_lost(struct sock *sk);
struct sk_buff *xtcp_last_sent(const struct sock *sk);
bool xtcp_rack_on(const struct sock *sk);
void xtcp_rack_timeout(struct sock *sk);
void xtcp_tlp_ack(struct sock *sk, const struct xtcp_skb_cb *cb,
		  bool advanced);
void xtcp_mark_oversized_lost(struct sock *sk);
void xtcp_mtu_loss(struct sock *sk);

/* cong.c */
void xtcp_cong_reset(struct sock *sk);
void xtcp_cong_init(struct sock *sk);
u32 xtcp_cong_ssthresh(const struct sock *sk);
void xtcp_cong_on_ack(struct sock *sk, u32 acked, u32 in_flight);
void xtcp_cong_rtt_sample(struct sock *sk, u32 rtt_us);
u64 xtcp_pacing_rate(const struct xtcp_sock *xs);
void xtcp_cwnd_restart_after_idle(struct sock *sk);
bool xtcp_cong_known(const char *name);
const char *xtcp_cong_name(const struct sock *sk);
int xtcp_cong_set(struct sock *sk, const char *name);

/* buffer.c */
extern atomic_long_t xtcp_memory_allocated;
DECLARE_PER_CPU(int, xtcp_fw_alloc);
extern struct percpu_counter xtcp_sockets_allocated;
extern unsigned long xtcp_memory_pressure;
extern long xtcp_mem[3];
extern int xtcp_rmem_floor[3];
extern int xtcp_wmem_floor[3];
void xtcp_enter_memory_pressure(struct sock *sk);
void xtcp_leave_memory_pressure(struct sock *sk);
int xtcp_mem_init(void);
void xtcp_mem_exit(void);
bool xtcp_wmem_schedule(struct sock *sk, const struct sk_buff *skb, int size);
void xtcp_wmem_charge_bytes(struct sock *sk, int size);
void xtcp_wmem_uncharge_bytes(struct sock *sk, int size);
void xtcp_wmem_charge(struct sock *sk, struct sk_buff *skb);
void xtcp_leave_memcg(struct sock *sk);
void xtcp_wmem_free(struct sock *sk, struct sk_buff *skb);
bool xtcp_rmem_schedule(struct sock *sk, struct sk_buff *skb, bool in_order);
void xtcp_init_buffers(struct sock *sk);
u32 xtcp_rcvbuf_max(const struct sock *sk);
void xtcp_buffers_established(struct sock *sk);
void xtcp_rcv_space_restart(struct xtcp_sock *xs);
void xtcp_rcv_space_adjust(struct sock *sk);
void xtcp_sndbuf_follow_cwnd(struct sock *sk, u32 cwnd);

/* timer.c */
void xtcp_timers_init(struct sock *sk);
void xtcp_timers_stop(struct sock *sk);
void xtcp_arm_rtx(struct sock *sk);
void xtcp_arm_reo(struct sock *sk, u64 ns);
bool xtcp_schedule_loss_probe(struct sock *sk, bool after_ack);
void xtcp_arm_rtx_if_idle(struct sock *sk);
void xtcp_stop_rtx(struct sock *sk);
void xtcp_arm_delack(struct sock *sk);
void xtcp_arm_delack_for(struct sock *sk, u64 ns);
u64 xtcp_timer_left_ns(const u64 *at);
void xtcp_stop_delack(struct sock *sk);
void xtcp_release_cb(struct sock *sk);
void xtcp_run_or_defer(struct sock *sk, int bit);
u64 xtcp_rto_initial_ns(const struct net *net);
u64 xtcp_rto_max_ns(const struct net *net);
void xtcp_rtt_sample(struct sock *sk, u64 rtt_ns);
void xtcp_set_rto(struct sock *sk);
void xtcp_rto_established(struct sock *sk);
void xtcp_keepalive_reset(struct sock *sk);
void xtcp_set_keepalive(struct sock *sk, int on);
int xtcp_keepidle(const struct sock *sk);
int xtcp_keepintvl(const struct sock *sk);
int xtcp_keepcnt(const struct sock *sk);

/* ipopt.c */
void xtcp_ip_opts_note(struct xtcp_ip_seen *seen, const struct sk_buff *skb);
struct ip_options_rcu *xtcp_ip_opts_save(struct net *net,
					 const struct sk_buff *skb);
int xtcp_ip_opts_give(struct sock *child, const struct ip_options_rcu *opt);
__be32 xtcp_ip_opts_nexthop(const struct ip_options_rcu *opt, __be32 daddr);
bool xtcp_ip_opts_route_ok(const struct ip_options_rcu *opt,
			   const struct rtable *rt);

/* minisocks.c */
int xtcp_minisocks_init(void);
void xtcp_minisocks_exit(void);
int xtcp_listen_rcv(struct sock *listener, struct sk_buff *skb);
bool xtcp_listen_rcv_busy(struct sock *listener, struct sk_buff *skb);
void xtcp_request_put(struct xtcp_request *req);
void xtcp_time_wait(struct sock *sk, int substate);
enum xtcp_tw_verdict xtcp_tw_rcv(struct xtcp_tw *tw, struct sk_buff *skb);
void xtcp_tw_put(struct xtcp_tw *tw);
void xtcp_tw_kill(struct xtcp_tw *tw);
void xtcp_minisocks_init_net(struct xtcp_net *xn);
void xtcp_minisocks_exit_net(struct xtcp_net *xn);
bool xtcp_tw_reusable(const struct sock *sk, const struct xtcp_tw *tw,
		      bool port_bound);
void xtcp_tw_reuse(struct sock *sk, struct xtcp_tw *tw);
void xtcp_request_kill(struct xtcp_request *req);
u64 xtcp_request_remaining_ns(const struct xtcp_request *req);
u64 xtcp_tw_remaining_ns(const struct xtcp_tw *tw);

/* expiry.c */
void __xtcp_expiry_add(struct xtcp_expiry_queue *q, struct list_head *node,
		       u32 life_ms);
void xtcp_expiry_add(struct xtcp_expiry_queue *q, struct list_head *node,
		     u32 life_ms);
bool xtcp_expiry_del(struct xtcp_expiry_queue *q, struct list_head *node);
void xtcp_expiry_restart(struct xtcp_expiry_queue *q, struct list_head *node,
			 u32 life_ms);
u64 xtcp_expiry_left_ns(const u32 *expires);
void xtcp_expiry_init(struct xtcp_expiry_queue *q, int expires_off,
		      void (*expire)(struct list_head *node));
void xtcp_expiry_exit(struct xtcp_expiry_queue *q);

/* syncookies.c */
void xtcp_isn_init(void);
u32 xtcp_isn(__be32 saddr, __be32 daddr, __be16 sport, __be16 dport);
u32 xtcp_ts_offset(__be32 saddr, __be32 daddr, __be16 sport, __be16 dport);
u32 xtcp_ts_clock(void);
u32 xtcp_cookie_ts(u32 now, u8 opts, u8 snd_wscale);
bool xtcp_cookie_ts_opts(u32 tsecr, u8 *opts, u8 *snd_wscale);
void xtcp_cookie_sent(struct sock *listener);
bool xtcp_cookie_recent(const struct sock *listener);
u32 xtcp_cookie_make(const struct net *net, const struct xtcp_hnode *h,
		     u32 peer_isn, u16 peer_mss);
u16 xtcp_cookie_check(const struct net *net, const struct xtcp_hnode *h,
		      u32 peer_isn, u32 cookie);

/* sockopt.c */
bool xtcp_sockopt_known(int optname);
int xtcp_sockopt_set(struct sock *sk, int optname, int val);
int xtcp_sockopt_get(struct sock *sk, int optname, int *val);
void xtcp_sockopt_inherit(struct sock *child, const struct sock *parent);
int xtcp_setsockopt(struct socket *sock, int level, int optname,
		    sockptr_t optval, unsigned int optlen);
int xtcp_getsockopt(struct socket *sock, int level, int optname,
		    char __user *optval, int __user *optlen);
u64 xtcp_fin_time_ns(const struct sock *sk);
bool xtcp_stream_memory_free(const struct sock *sk, int wake);
void xtcp_notsent_check(struct sock *sk);
void xtcp_fin_wait2_orphan(struct sock *sk, struct sk_buff *in);

/* info.c */
int xtcp_info_getsockopt(struct sock *sk, int optname, char __user *optval,
			 int __user *optlen, int len);
void xtcp_recv_inq(struct sock *sk, struct msghdr *msg);
void xtcp_stats_established(struct xtcp_sock *xs, bool passive);
void xtcp_stats_data_in(struct sock *sk, u32 seg);
void xtcp_stats_rtt(struct xtcp_sock *xs, u32 rtt_us);
void xtcp_stats_rate(struct xtcp_sock *xs, u32 tx_bytes, u64 rtt_ns);
void xtcp_stats_rto(struct xtcp_sock *xs);
void xtcp_stats_loss_over(struct xtcp_sock *xs);
void xtcp_chrono_update(struct sock *sk, bool rwnd_limited);

/* A segment reached the socket: TCP_INFO's segs_in and data_segs_in. */
static inline void xtcp_stats_seg_in(struct xtcp_sock *xs,
				     const struct sk_buff *skb)
{
	u32 segs = max_t(u16, 1, skb_shinfo(skb)->gso_segs);

	xs->stats.segs_in += segs;
	if (skb->len)
		xs->stats.data_segs_in += segs;
}

/* @pcount segments of @bytes payload reached the peer (ACK or SACK). */
static inline void xtcp_stats_delivered(struct xtcp_sock *xs, u32 pcount,
					u32 bytes)
{
	xs->stats.delivered += pcount;
	xs->stats.delivered_bytes += bytes;
}

/* icmp.c */
int xtcp_v4_err(struct sk_buff *skb, u32 info);
void xtcp_mtu_reduced(struct sock *sk);

/* urgent.c */
u16 xtcp_urg_ptr(const struct xtcp_sock *xs, u32 seq);
void xtcp_urg_mark(struct xtcp_sock *xs);
void xtcp_urg_acked(struct xtcp_sock *xs, u32 prior_una);
void xtcp_rcv_urg(struct sock *sk, const struct sk_buff *skb);
int xtcp_urg_limit(const struct sock *sk, u32 seq, u32 avail, size_t copied,
		   bool *skip);
void xtcp_urg_passed(struct xtcp_sock *xs);
int xtcp_recv_urg(struct sock *sk, struct msghdr *msg, size_t len, int flags);
bool xtcp_at_mark(const struct sock *sk);
int xtcp_inq(const struct sock *sk);

/* Urgent mode: an urgent point not yet acknowledged. */
static inline bool xtcp_urg_mode(const struct xtcp_sock *xs)
{
	return xs->snd_up != xs->snd_una;
}

/* mtu_probe.c */
void xtcp_mtup_init(struct sock *sk);
int xtcp_mss_limit_by_probing(const struct sock *sk, int mss);
void xtcp_mtu_probe(struct sock *sk);
void xtcp_mtu_probe_acked(struct sock *sk);
bool xtcp_mtu_probe_lost(struct sock *sk);
void xtcp_mtu_probe_unmark(struct sock *sk, struct sk_buff *skb);
void xtcp_mtu_black_hole(struct sock *sk);

/* proc.c */
int xtcp_proc_init_net(struct net *net);
void xtcp_proc_exit_net(struct net *net);

/* sysctl.c */
int xtcp_sysctl_init_net(struct net *net);
void xtcp_sysctl_exit_net(struct net *net);

#endif /* _XTCP_H */
