// SPDX-License-Identifier: GPL-2.0
/*
 * What a namespace's XTCP looks like from user space:
 *
 * /proc/net/xtcp       one line per listener, connection, SYN-queue entry
 *                      and TIME_WAIT entry, in /proc/net/tcp's format:
 *                      addresses and ports in hex, the state as TCP's
 *                      number, queues, the pending timer (1 retransmit,
 *                      2 delayed ACK, 3 TIME_WAIT or FIN_WAIT_2) with the
 *                      jiffies left, retransmissions, uid and inode.
 * /proc/net/xtcp_stat  the counters, "Name value" per line.
 */
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "xtcp.h"

static const char * const xtcp_mib_names[XTCP_MIB_MAX] = {
	[XTCP_MIB_ACTIVEOPENS]		= "ActiveOpens",
	[XTCP_MIB_PASSIVEOPENS]		= "PassiveOpens",
	[XTCP_MIB_ATTEMPTFAILS]		= "AttemptFails",
	[XTCP_MIB_ESTABRESETS]		= "EstabResets",
	[XTCP_MIB_INSEGS]		= "InSegs",
	[XTCP_MIB_OUTSEGS]		= "OutSegs",
	[XTCP_MIB_RETRANSSEGS]		= "RetransSegs",
	[XTCP_MIB_INERRS]		= "InErrs",
	[XTCP_MIB_INCSUMERRORS]		= "InCsumErrors",
	[XTCP_MIB_NOSOCKET]		= "NoSocket",
	[XTCP_MIB_OUTRSTS]		= "OutRsts",
	[XTCP_MIB_LISTENOVERFLOWS]	= "ListenOverflows",
	[XTCP_MIB_LISTENDROPS]		= "ListenDrops",
	[XTCP_MIB_TIMEWAITENTRIES]	= "TimeWaitEntries",
	[XTCP_MIB_TWOVERFLOW]		= "TWOverflow",
	[XTCP_MIB_TWRECYCLED]		= "TWRecycled",
	[XTCP_MIB_DEFERACCEPTDROP]	= "DeferAcceptDrop",
	[XTCP_MIB_CHALLENGEACKS]	= "ChallengeACKs",
	[XTCP_MIB_CHALLENGEACKSSKIPPED]	= "ChallengeACKsSkipped",
	[XTCP_MIB_ACKSKIPPEDSEQ]	= "ACKSkippedSeq",
	[XTCP_MIB_ACKSKIPPEDPAWS]	= "ACKSkippedPAWS",
	[XTCP_MIB_ACKSKIPPEDCHALLENGE]	= "ACKSkippedChallenge",
	[XTCP_MIB_ACKSKIPPEDSYNRECV]	= "ACKSkippedSynRecv",
	[XTCP_MIB_ACKSKIPPEDTIMEWAIT]	= "ACKSkippedTimeWait",
	[XTCP_MIB_SYNCOOKIESSENT]	= "SyncookiesSent",
	[XTCP_MIB_SYNCOOKIESRECV]	= "SyncookiesRecv",
	[XTCP_MIB_SYNCOOKIESFAILED]	= "SyncookiesFailed",
	[XTCP_MIB_PAWSREJECTED]		= "PAWSRejected",
	[XTCP_MIB_TIMEOUTS]		= "Timeouts",
	[XTCP_MIB_RECOVERIES]		= "Recoveries",
	[XTCP_MIB_RECOVERYUNDO]		= "RecoveryUndo",
	[XTCP_MIB_BACKLOGDROP]		= "BacklogDrop",
	[XTCP_MIB_BACKLOGCOALESCE]	= "BacklogCoalesce",
	[XTCP_MIB_OFODROP]		= "OfoDrop",
	[XTCP_MIB_OFOPRUNED]		= "OfoPruned",
	[XTCP_MIB_RCVQDROP]		= "RcvQDrop",
	[XTCP_MIB_ZEROWINDOWDROP]	= "ZeroWindowDrop",
	[XTCP_MIB_WQUEUETOOBIG]		= "WQueueTooBig",
	[XTCP_MIB_SACKRENEGING]		= "SACKReneging",
	[XTCP_MIB_ABORTONMEMORY]	= "AbortOnMemory",
	[XTCP_MIB_LOSSPROBES]		= "LossProbes",
	[XTCP_MIB_LOSSPROBERECOVERY]	= "LossProbeRecovery",
	[XTCP_MIB_RACKLOST]		= "RackLost",
	[XTCP_MIB_SACKREORDER]		= "SACKReorder",
	[XTCP_MIB_DSACKRECV]		= "DSACKRecv",
	[XTCP_MIB_DSACKSENT]		= "DSACKSent",
	[XTCP_MIB_OUTOFWINDOWICMPS]	= "OutOfWindowIcmps",
	[XTCP_MIB_PMTUREDUCED]		= "PmtuReduced",
	[XTCP_MIB_MTUPSUCCESS]		= "MtuProbeSuccess",
	[XTCP_MIB_MTUPFAIL]		= "MtuProbeFail",
	[XTCP_MIB_MTUBLACKHOLE]		= "MtuBlackHole",
	[XTCP_MIB_GROAGGREGATED]	= "GROAggregated",
	[XTCP_MIB_HYSTARTTRAINDETECT]	= "HystartTrainDetect",
	[XTCP_MIB_HYSTARTTRAINCWND]	= "HystartTrainCwnd",
	[XTCP_MIB_HYSTARTDELAYDETECT]	= "HystartDelayDetect",
	[XTCP_MIB_HYSTARTDELAYCWND]	= "HystartDelayCwnd",
};

static unsigned long xtcp_mib_sum(const struct xtcp_net *xn, int field)
{
	unsigned long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu_ptr(xn->mib, cpu)->mibs[field];
	return sum;
}

static int xtcp_stat_show(struct seq_file *seq, void *v)
{
	struct xtcp_net *xn = xtcp_pernet(seq_file_single_net(seq));
	int i;

	for (i = 0; i < XTCP_MIB_MAX; i++)
		seq_printf(seq, "%s %lu\n", xtcp_mib_names[i],
			   xtcp_mib_sum(xn, i));
	/* Gauges, not counters. */
	seq_printf(seq, "CurrEstab %d\n", atomic_read(&xn->curr_estab));
	seq_printf(seq, "CurrTimeWait %d\n", atomic_read(&xn->tw_count));
	return 0;
}

struct xtcp_proc_line {
	__be32 laddr, raddr;
	__be16 lport, rport;
	int state;
	u32 tx_queue, rx_queue;
	int timer;
	u64 timer_ns;
	int retransmits;
	uid_t uid;
	unsigned long inode;
};

static void xtcp_proc_print(struct seq_file *seq, const struct xtcp_proc_line *l)
{
	seq_printf(seq, "%08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %lu\n",
		   l->laddr, ntohs(l->lport), l->raddr, ntohs(l->rport),
		   l->state, l->tx_queue, l->rx_queue, l->timer,
		   (unsigned long)nsecs_to_jiffies(l->timer_ns),
		   l->retransmits, l->uid, 0, l->inode);
}

static void xtcp_proc_sock(struct seq_file *seq, struct sock *sk)
{
	const struct inet_sock *inet = inet_sk(sk);
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct xtcp_proc_line l = {
		.laddr = inet->inet_rcv_saddr,
		.raddr = inet->inet_daddr,
		.lport = inet->inet_sport,
		.rport = inet->inet_dport,
		.state = inet_sk_state_load(sk),
		.retransmits = xs->retransmits,
		.uid = from_kuid_munged(seq_user_ns(seq), sock_i_uid(sk)),
		.inode = sock_i_ino(sk),
	};

	if (l.state == TCP_LISTEN) {
		l.rx_queue = READ_ONCE(sk->sk_ack_backlog);
		l.tx_queue = READ_ONCE(sk->sk_max_ack_backlog);
	} else {
		l.tx_queue = READ_ONCE(xs->write_seq) - READ_ONCE(xs->snd_una);
		l.rx_queue = READ_ONCE(xs->rcv_nxt) - READ_ONCE(xs->copied_seq);
	}
	if (READ_ONCE(xs->rtx_at)) {
		l.timer = 1;
		l.timer_ns = xtcp_timer_left_ns(&xs->rtx_at);
	} else if (READ_ONCE(xs->delack_at)) {
		l.timer = 2;
		l.timer_ns = xtcp_timer_left_ns(&xs->delack_at);
	}
	xtcp_proc_print(seq, &l);
}

static void xtcp_proc_entry(struct xtcp_hnode *h, void *arg)
{
	struct seq_file *seq = arg;
	struct xtcp_proc_line l = {
		.laddr = h->laddr,
		.raddr = h->raddr,
		.lport = h->lport,
		.rport = h->rport,
	};

	if (h->kind == XTCP_HK_SOCK) {
		xtcp_proc_sock(seq, xtcp_hnode_sk(h));
		return;
	}
	if (h->kind == XTCP_HK_REQ) {
		struct xtcp_request *req = container_of(h, struct xtcp_request, h);

		l.state = TCP_SYN_RECV;
		l.timer = 1;
		l.timer_ns = xtcp_request_remaining_ns(req);
		l.retransmits = req->timeouts;	/* Linux's num_timeout */
	} else {
		struct xtcp_tw *tw = container_of(h, struct xtcp_tw, h);

		l.state = tw->substate;
		l.timer = 3;
		l.timer_ns = xtcp_tw_remaining_ns(tw);
	}
	xtcp_proc_print(seq, &l);
}

static void xtcp_proc_listener(struct sock *sk, void *arg)
{
	xtcp_proc_sock(arg, sk);
}

static int xtcp_conns_show(struct seq_file *seq, void *v)
{
	struct net *net = seq_file_single_net(seq);

	seq_puts(seq, "local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n");
	xtcp_listen_walk(net, xtcp_proc_listener, seq);
	xtcp_table_walk(net, xtcp_proc_entry, seq);
	return 0;
}

int xtcp_proc_init_net(struct net *net)
{
	if (!proc_create_net_single("xtcp_stat", 0444, net->proc_net,
				    xtcp_stat_show, NULL))
		return -ENOMEM;
	if (!proc_create_net_single("xtcp", 0444, net->proc_net,
				    xtcp_conns_show, NULL)) {
		remove_proc_entry("xtcp_stat", net->proc_net);
		return -ENOMEM;
	}
	return 0;
}

void xtcp_proc_exit_net(struct net *net)
{
	remove_proc_entry("xtcp", net->proc_net);
	remove_proc_entry("xtcp_stat", net->proc_net);
}
