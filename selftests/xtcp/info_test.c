// SPDX-License-Identifier: GPL-2.0
/*
 * What a socket tells about itself: TCP_INFO's counts, times and states,
 * TCP_INQ's control message and TCP_CC_INFO.
 *
 * Over loopback (fixture ns) each scenario runs on Linux TCP and on XTCP
 * and writes what it saw into a trace; both traces must be what Linux TCP
 * gives (xtcp_pair.h).  Against the scripted peer (fixture pr, as in
 * flow_test.c: SACK and a window shift of 7, no timestamps, MSS 1460)
 * XTCP alone shows what only a peer that drops or SACKs can make happen:
 * DISORDER, timeouts, a writer held by its send buffer.
 */
#include <linux/inet_diag.h>
#include <linux/tcp.h>
#include <stddef.h>

#include "kselftest_harness.h"
#include "xtcp_pair.h"
#include "peer.h"
#include "xtcp_conn.h"

/* struct tcp_info as 6.12 has it: 6.1's, then the fields 6.2 and 6.7
 * added (the test programs build against 6.1's headers).
 */
struct tinfo {
	struct tcp_info i;
	__u32 rcv_wnd;
	__u32 rehash;
	__u16 total_rto;
	__u16 total_rto_recoveries;
	__u32 total_rto_time;
};

#define TINFO_612	sizeof(struct tinfo)

/* TCP_INFO into @ti; returns the length the kernel filled (-1: failed). */
static int tinfo_get(int fd, struct tinfo *ti)
{
	socklen_t len = sizeof(*ti);

	memset(ti, 0, sizeof(*ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &len))
		return -1;
	return len;
}

/* Polls TCP_INFO until @fd is in @state; 0, or -1 after @timeout_ms. */
static int wait_info_state(int fd, int state, int timeout_ms)
{
	uint64_t end = now_ms() + timeout_ms;
	struct tinfo ti;

	for (;;) {
		if (tinfo_get(fd, &ti) > 0 && ti.i.tcpi_state == state)
			return 0;
		if (now_ms() >= end)
			return -1;
		msleep(2);
	}
}

/* Whether the running kernel's struct tcp_info is 6.12's, from TCP's. */
static int kernel_has_612_info(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct tinfo ti;
	int len = tinfo_get(fd, &ti);

	close(fd);
	return len >= (int)TINFO_612;
}

/* The loopback route's MTU (IP caps the device's 65536 at 65535): a
 * segment there carries 52 bytes less (IP and TCP headers, and the
 * timestamp option).
 */
static int route_mtu(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (ioctl(fd, SIOCGIFMTU, &ifr))
		ifr.ifr_mtu = -1;
	close(fd);
	return ifr.ifr_mtu < 65535 ? ifr.ifr_mtu : 65535;
}

XTCP_NS_FIXTURE(ns)

/* ---- counts of a known transfer ---- */

#define XFER_N	20000

static void log_counts(struct __test_metadata *_metadata, int family,
		       const char *who, const struct tinfo *t)
{
	TH_LOG("%s %s: segs out %u in %u, data %u/%u, delivered %u, rtt %u, min %u, rate %llu, mss %u/%u, adv %u, ato %u, busy %llu us",
	       family_name(family), who, t->i.tcpi_segs_out, t->i.tcpi_segs_in,
	       t->i.tcpi_data_segs_out, t->i.tcpi_data_segs_in,
	       t->i.tcpi_delivered, t->i.tcpi_rtt, t->i.tcpi_min_rtt,
	       (unsigned long long)t->i.tcpi_delivery_rate,
	       t->i.tcpi_snd_mss, t->i.tcpi_rcv_mss, t->i.tcpi_advmss,
	       t->i.tcpi_ato, (unsigned long long)t->i.tcpi_busy_time);
}

/*
 * a sends XFER_N bytes and its FIN; b reads them.  Byte counts follow
 * the sequence numbers as TCP's do (a's bytes_acked has the SYN and the
 * FIN, b's bytes_received the FIN); every segment one end sent, the other
 * counted (b's SYN-ACK went out before b existed); nothing is resent.
 */
static void transfer(struct __test_metadata *_metadata, int family,
		     struct trace *t)
{
	static char buf[XFER_N];
	struct tinfo a, b;
	struct xpair p;
	int alen, blen;

	xpair_open(_metadata, &p, family);
	ASSERT_EQ(XFER_N, send(p.a, buf, XFER_N, 0));
	ASSERT_EQ(XFER_N, recv(p.b, buf, XFER_N, MSG_WAITALL));
	ASSERT_EQ(0, shutdown(p.a, SHUT_WR));
	ASSERT_EQ(0, recv(p.b, buf, 1, 0));
	ASSERT_EQ(0, wait_info_state(p.a, ST_FIN_WAIT2, 2000));
	msleep(50);	/* any ACK still on its way has arrived */
	alen = tinfo_get(p.a, &a);
	blen = tinfo_get(p.b, &b);
	log_counts(_metadata, family, "a", &a);
	log_counts(_metadata, family, "b", &b);
	tr_add(t, "len:%s", alen == blen && alen > 0 ? "same" : "differs");
	tr_add(t, "a:acked=%llu,recv=%llu,sent=%llu,retrans=%llu",
	       (unsigned long long)a.i.tcpi_bytes_acked,
	       (unsigned long long)a.i.tcpi_bytes_received,
	       (unsigned long long)a.i.tcpi_bytes_sent,
	       (unsigned long long)a.i.tcpi_bytes_retrans);
	tr_add(t, "b:acked=%llu,recv=%llu,sent=%llu",
	       (unsigned long long)b.i.tcpi_bytes_acked,
	       (unsigned long long)b.i.tcpi_bytes_received,
	       (unsigned long long)b.i.tcpi_bytes_sent);
	tr_add(t, "segs:%d%d%d%d", a.i.tcpi_segs_out == b.i.tcpi_segs_in,
	       a.i.tcpi_segs_in == b.i.tcpi_segs_out + 1,
	       a.i.tcpi_data_segs_out == b.i.tcpi_data_segs_in,
	       b.i.tcpi_data_segs_out == 0 && a.i.tcpi_data_segs_out > 0);
	tr_add(t, "delivered:%d", a.i.tcpi_delivered > a.i.tcpi_data_segs_out);
	tr_add(t, "rtt:%d%d%d", a.i.tcpi_rtt > 0,
	       a.i.tcpi_min_rtt > 0 && a.i.tcpi_min_rtt <= 1000000,
	       a.i.tcpi_delivery_rate > 0);
	tr_add(t, "st=%u,ca=%u,unacked=%u,notsent=%u,total_retrans=%u",
	       a.i.tcpi_state, a.i.tcpi_ca_state, a.i.tcpi_unacked,
	       a.i.tcpi_notsent_bytes, a.i.tcpi_total_retrans);
	tr_add(t, "advmss=%u,pmtu=%u,reordering=%u,ssthresh=%u,maxpacing=%s",
	       a.i.tcpi_advmss, a.i.tcpi_pmtu, a.i.tcpi_reordering,
	       a.i.tcpi_snd_ssthresh,
	       a.i.tcpi_max_pacing_rate == ~0ULL ? "none" : "set");
	if (blen >= (int)TINFO_612)
		tr_add(t, "rcv_wnd:%d", b.rcv_wnd > 0);
	if (family == AF_XTCP) {
		/* XTCP's own figures: one skb per write on loopback, a FIN
		 * of its own, the fixed delayed-ACK timeout.
		 */
		EXPECT_EQ(a.i.tcpi_data_segs_out + 2, a.i.tcpi_delivered);
		EXPECT_EQ(40000, b.i.tcpi_ato);
		EXPECT_EQ(XFER_N, b.i.tcpi_rcv_mss);
		EXPECT_EQ(get_int(p.a, IPPROTO_TCP, TCP_MAXSEG),
			  (int)a.i.tcpi_advmss);
		EXPECT_EQ(~0ULL, a.i.tcpi_pacing_rate);	/* no pacing */
	}
	xpair_close(&p);
}

TEST_F(ns, tcp_info_counts_a_known_transfer_as_tcp_does)
{
	char expected[512];

	snprintf(expected, sizeof(expected),
		 "len:same a:acked=%d,recv=0,sent=%d,retrans=0 "
		 "b:acked=0,recv=%d,sent=0 segs:1111 delivered:1 rtt:111 "
		 "st=%d,ca=0,unacked=0,notsent=0,total_retrans=0 "
		 "advmss=%d,pmtu=%d,reordering=3,ssthresh=2147483647,"
		 "maxpacing=none%s",
		 XFER_N + 2, XFER_N, XFER_N + 1, ST_FIN_WAIT2,
		 route_mtu() - 52, route_mtu(),
		 kernel_has_612_info() ? " rcv_wnd:1" : "");
	SAME_AS_TCP(transfer, expected);
}

/* ---- the times since the last data ---- */

static const char *age(unsigned int ms)
{
	return ms >= 250 ? "old" : ms < 100 ? "new" : "between";
}

/*
 * 100 bytes a to b, then 300 ms of silence: every "last" time has grown
 * past 250 ms; then 10 bytes b to a: those of that data start again.
 */
static void idle_times(struct __test_metadata *_metadata, int family,
		       struct trace *t)
{
	struct tinfo a, b;
	struct xpair p;
	char buf[100] = "";

	xpair_open(_metadata, &p, family);
	ASSERT_EQ(100, send(p.a, buf, 100, 0));
	ASSERT_EQ(100, recv(p.b, buf, 100, MSG_WAITALL));
	msleep(300);
	tinfo_get(p.a, &a);
	tinfo_get(p.b, &b);
	TH_LOG("%s idle: a sent %u ms, ack %u ms; b recv %u ms",
	       family_name(family), a.i.tcpi_last_data_sent,
	       a.i.tcpi_last_ack_recv, b.i.tcpi_last_data_recv);
	tr_add(t, "idle:a.sent=%s,a.ack=%s,b.recv=%s",
	       age(a.i.tcpi_last_data_sent), age(a.i.tcpi_last_ack_recv),
	       age(b.i.tcpi_last_data_recv));
	ASSERT_EQ(10, send(p.b, buf, 10, 0));
	ASSERT_EQ(10, recv(p.a, buf, 10, MSG_WAITALL));
	tinfo_get(p.a, &a);
	tinfo_get(p.b, &b);
	tr_add(t, "then:b.sent=%s,a.recv=%s,a.sent=%s",
	       age(b.i.tcpi_last_data_sent), age(a.i.tcpi_last_data_recv),
	       age(a.i.tcpi_last_data_sent));
	xpair_close(&p);
}

TEST_F(ns, last_data_times_grow_while_idle_as_tcp_does)
{
	SAME_AS_TCP(idle_times, "idle:a.sent=old,a.ack=old,b.recv=old "
		    "then:b.sent=new,a.recv=new,a.sent=old");
}

/* ---- TCP_INQ ---- */

/*
 * recvmsg() into a small buffer, traced: what it returned, the
 * TCP_CM_INQ message (or "nocmsg") and SIOCINQ after it.
 */
static void tr_recv_inq(struct trace *t, int fd, size_t len, int flags)
{
	char buf[64], cbuf[CMSG_SPACE(sizeof(int)) * 2];
	struct iovec iov = { buf, len };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int inq = -1, n_cm = 0, siocinq = -1;
	ssize_t n;

	n = recvmsg(fd, &m, flags);
	if (n < 0) {
		tr_ret(t, n);
		return;
	}
	for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
		if (cm->cmsg_level == IPPROTO_TCP && cm->cmsg_type == TCP_CM_INQ &&
		    cm->cmsg_len == CMSG_LEN(sizeof(int))) {
			memcpy(&inq, CMSG_DATA(cm), sizeof(inq));
			n_cm++;
		}
	}
	ioctl(fd, SIOCINQ, &siocinq);
	if (n_cm == 1)
		tr_add(t, "%zd:inq=%d:siocinq=%d", n, inq, siocinq);
	else
		tr_add(t, "%zd:cmsgs=%d:siocinq=%d", n, n_cm, siocinq);
}

static void tr_setsockopt(struct trace *t, int fd, int opt, int val,
			  socklen_t len)
{
	tr_ret(t, setsockopt(fd, IPPROTO_TCP, opt, &val, len));
}

/*
 * TCP_INQ on the listener carries over to the accepted socket; bad
 * values fail with EINVAL; the message says how many bytes recv() left,
 * SIOCINQ's count, and after the peer's FIN one more (never 0), so that
 * the reader comes back for the end of file.  A failed recv() carries
 * none, and without TCP_INQ there is none.
 */
static void inq(struct __test_metadata *_metadata, int family,
		struct trace *t)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t slen = sizeof(sin);
	struct pollfd pfd;
	int l, a, b;

	l = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, l);
	tr_add(t, "default=%d", get_int(l, IPPROTO_TCP, TCP_INQ));
	tr_setsockopt(t, l, TCP_INQ, 1, sizeof(int));
	ASSERT_EQ(0, bind(l, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, listen(l, 1));
	ASSERT_EQ(0, getsockname(l, (struct sockaddr *)&sin, &slen));
	b = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_EQ(0, connect(b, (struct sockaddr *)&sin, sizeof(sin)));
	a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	ASSERT_LE(0, a);
	close(l);
	tr_add(t, "accepted=%d,peer=%d", get_int(a, IPPROTO_TCP, TCP_INQ),
	       get_int(b, IPPROTO_TCP, TCP_INQ));
	tr_setsockopt(t, a, TCP_INQ, 2, sizeof(int));
	tr_setsockopt(t, a, TCP_INQ, -1, sizeof(int));
	tr_setsockopt(t, a, TCP_INQ, 1, 2);
	tr_setsockopt(t, a, TCP_INQ, 1, sizeof(int));

	ASSERT_EQ(12, send(b, "hello, world", 12, 0));
	ASSERT_EQ(0, wait_inq(a, 12, 2000));
	tr_recv_inq(t, a, 5, 0);
	tr_recv_inq(t, a, 3, MSG_PEEK);
	tr_recv_inq(t, a, 64, 0);
	tr_recv_inq(t, a, 64, MSG_DONTWAIT);

	ASSERT_EQ(3, send(b, "abc", 3, 0));
	ASSERT_EQ(0, shutdown(b, SHUT_WR));
	pfd.fd = a;
	pfd.events = POLLRDHUP;
	ASSERT_EQ(1, poll(&pfd, 1, 2000));
	tr_recv_inq(t, a, 1, 0);
	tr_recv_inq(t, a, 64, 0);
	tr_recv_inq(t, a, 64, 0);
	tr_setsockopt(t, a, TCP_INQ, 0, sizeof(int));
	tr_recv_inq(t, a, 64, 0);
	close(a);
	close(b);
}

TEST_F(ns, tcp_inq_tells_the_bytes_left_as_tcp_does)
{
	SAME_AS_TCP(inq, "default=0 0 accepted=1,peer=0 -1:EINVAL -1:EINVAL "
		    "-1:EINVAL 0 5:inq=7:siocinq=7 3:inq=7:siocinq=7 "
		    "7:inq=0:siocinq=0 -1:EAGAIN 1:inq=3:siocinq=2 "
		    "2:inq=1:siocinq=0 0:inq=1:siocinq=0 0 "
		    "0:cmsgs=0:siocinq=0");
}

/* ---- TCP_CC_INFO ---- */

static void tr_cc_info(struct trace *t, int fd, int len)
{
	union tcp_cc_info info;
	socklen_t l = len;
	int ret;

	ret = getsockopt(fd, IPPROTO_TCP, TCP_CC_INFO, &info, &l);
	if (ret)
		tr_ret(t, ret);
	else
		tr_add(t, "0:len=%d", (int)l);
}

/*
 * Neither CUBIC nor Reno has anything to tell (Linux's have no get_info):
 * an empty answer, not an error, before and after connecting.
 */
static void cc_info(struct __test_metadata *_metadata, int family,
		    struct trace *t)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct xpair p;

	ASSERT_LE(0, fd);
	tr_cc_info(t, fd, sizeof(union tcp_cc_info));
	tr_cc_info(t, fd, 0);
	tr_cc_info(t, fd, -1);
	close(fd);
	xpair_open(_metadata, &p, family);
	tr_cc_info(t, p.a, sizeof(union tcp_cc_info));
	tr_ret(t, setsockopt(p.a, IPPROTO_TCP, TCP_CONGESTION, "reno", 4));
	tr_cc_info(t, p.a, sizeof(union tcp_cc_info));
	tr_setsockopt(t, p.a, TCP_CC_INFO, 0, sizeof(int));
	xpair_close(&p);
}

TEST_F(ns, tcp_cc_info_is_empty_for_cubic_and_reno_as_on_tcp)
{
	SAME_AS_TCP(cc_info, "0:len=0 0:len=0 -1:EINVAL 0:len=0 0 0:len=0 "
		    "-1:ENOPROTOOPT");
}

/* ---- a listener ---- */

/* A listener's TCP_INFO has its accept queue: length and limit. */
static void listener(struct __test_metadata *_metadata, int family,
		     struct trace *t)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t slen = sizeof(sin);
	uint64_t end = now_ms() + 2000;
	struct tinfo ti;
	int l, c[2], i;

	l = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, bind(l, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, listen(l, 5));
	ASSERT_EQ(0, getsockname(l, (struct sockaddr *)&sin, &slen));
	for (i = 0; i < 2; i++) {
		c[i] = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ASSERT_EQ(0, connect(c[i], (struct sockaddr *)&sin,
				     sizeof(sin)));
	}
	do {
		tinfo_get(l, &ti);
		if (ti.i.tcpi_unacked == 2)
			break;
		msleep(5);
	} while (now_ms() < end);
	tr_add(t, "state=%u,unacked=%u,sacked=%u,cwnd=%u,reordering=%u",
	       ti.i.tcpi_state, ti.i.tcpi_unacked, ti.i.tcpi_sacked,
	       ti.i.tcpi_snd_cwnd, ti.i.tcpi_reordering);
	for (i = 0; i < 2; i++)
		close(c[i]);
	close(l);
}

TEST_F(ns, a_listener_reports_its_accept_queue_as_tcp_does)
{
	SAME_AS_TCP(listener, "state=10,unacked=2,sacked=5,cwnd=10,reordering=3");
}

/* ---- busy and window-limited time ---- */

/*
 * b reads nothing with a small buffer, so a's data waits for b's window;
 * a's send() waits 300 ms for room.  That time is busy, and limited by
 * the receiver's window.
 */
static void rwnd_limited(struct __test_metadata *_metadata, int family,
			 struct trace *t)
{
	static char big[4 << 20];
	struct tinfo a;
	struct xpair p;
	ssize_t n;

	xpair_open(_metadata, &p, family);
	ASSERT_EQ(0, set_int(p.b, SOL_SOCKET, SO_RCVBUF, 4096));
	ASSERT_EQ(0, set_timeo(p.a, SO_SNDTIMEO, 300));
	n = send(p.a, big, sizeof(big), 0);
	ASSERT_LT(0, n);
	ASSERT_GT((ssize_t)sizeof(big), n);
	tinfo_get(p.a, &a);
	TH_LOG("%s: sent %zd, busy %llu us, rwnd-limited %llu us, sndbuf-limited %llu us",
	       family_name(family), n, (unsigned long long)a.i.tcpi_busy_time,
	       (unsigned long long)a.i.tcpi_rwnd_limited,
	       (unsigned long long)a.i.tcpi_sndbuf_limited);
	tr_add(t, "rwnd>=150ms:%d busy>=rwnd:%d",
	       a.i.tcpi_rwnd_limited >= 150000,
	       a.i.tcpi_busy_time >= a.i.tcpi_rwnd_limited);
	xpair_close(&p);
}

TEST_F(ns, time_behind_a_closed_window_is_rwnd_limited_as_on_tcp)
{
	SAME_AS_TCP(rwnd_limited, "rwnd>=150ms:1 busy>=rwnd:1");
}

/* ---- against the scripted peer ---- */

#define PEER_PORT	4002
#define PISN		0x60000000u
#define MSS		1460
#define WSCALE		7

FIXTURE(pr) {
	struct xpeer p;
	struct xseg s;
	struct xconn c;
};

/* Our own active open: the SYN-ACK carries SACK-permitted and a shift. */
FIXTURE_SETUP(pr)
{
	self->c.fd = -1;
	ASSERT_EQ(0, xtcp_ensure_loaded());
	ASSERT_EQ(0, xpeer_setup(&self->p));
	/* The scripts here count the timeouts and see Disorder stay: no
	 * tail-loss probe or RACK marking between (conform_test.c has them).
	 */
	ASSERT_EQ(0, xtcp_sysctl_set("recovery", 0));
	xc_active_open_sack(_metadata, &self->p, &self->c, PEER_PORT, PISN,
			    WSCALE, NULL);
}

FIXTURE_TEARDOWN(pr)
{
	xc_close_abort(self->c.fd);
	xpeer_teardown(&self->p);
}

/* An ACK from the peer, with SACK blocks. */
static int pr_ack(struct xpeer *p, struct xconn *c, uint32_t ack, int nsack,
		  const uint32_t *blocks)
{
	struct xseg a = xc_seg(c->rport, c->lport, PISN + 1, ack, F_ACK);
	int i;

	a.win = 1000;		/* << 7: 128000 bytes */
	a.nsack = nsack;
	for (i = 0; i < nsack; i++) {
		a.sack[i].left = blocks[2 * i];
		a.sack[i].right = blocks[2 * i + 1];
	}
	return xpeer_send(p, &a);
}

/*
 *	module  P.  three full segments
 *	peer    .   ack isn+1, SACK the third
 * One segment SACKed, fewer than three: not yet a loss, but DISORDER
 * (TCP_CA_Disorder, 1), as Linux shows it; the cumulative ACK for all
 * ends it.
 */
TEST_F(pr, one_sack_block_for_later_data_shows_disorder)
{
	struct xconn *c = &self->c;
	static char data[3 * MSS];
	uint32_t b[2], base = c->isn + 1;
	struct tinfo ti;
	int k;

	ASSERT_EQ((ssize_t)sizeof(data), send(c->fd, data, sizeof(data), 0));
	for (k = 0; k < 3; k++)
		XSEG_EXPECT_DATA(&self->p, &self->s, 1000, base + k * MSS,
				 PISN + 1);
	ASSERT_LT(0, tinfo_get(c->fd, &ti));
	EXPECT_EQ(TCP_CA_Open, ti.i.tcpi_ca_state);
	EXPECT_EQ(3, ti.i.tcpi_unacked);

	b[0] = base + 2 * MSS;
	b[1] = base + 3 * MSS;
	ASSERT_EQ(0, pr_ack(&self->p, c, base, 1, b));
	usleep(50 * 1000);
	ASSERT_LT(0, tinfo_get(c->fd, &ti));
	EXPECT_EQ(TCP_CA_Disorder, ti.i.tcpi_ca_state);
	EXPECT_EQ(1, ti.i.tcpi_sacked);
	EXPECT_EQ(0, ti.i.tcpi_lost);
	EXPECT_EQ(3, ti.i.tcpi_unacked);
	EXPECT_EQ(2, ti.i.tcpi_delivered);	/* the SYN, the SACKed one */
	EXPECT_EQ(1, ti.i.tcpi_bytes_acked);	/* the SYN */
	XSEG_EXPECT_SILENCE(&self->p, 100);	/* nothing resent */

	ASSERT_EQ(0, pr_ack(&self->p, c, base + 3 * MSS, 0, NULL));
	usleep(50 * 1000);
	ASSERT_LT(0, tinfo_get(c->fd, &ti));
	EXPECT_EQ(TCP_CA_Open, ti.i.tcpi_ca_state);
	EXPECT_EQ(0, ti.i.tcpi_sacked);
	EXPECT_EQ(0, ti.i.tcpi_unacked);
	EXPECT_EQ(4, ti.i.tcpi_delivered);
	EXPECT_EQ(1 + 3 * MSS, ti.i.tcpi_bytes_acked);
	EXPECT_EQ(3 * MSS, ti.i.tcpi_bytes_sent);
	EXPECT_EQ(3, ti.i.tcpi_data_segs_out);
	EXPECT_EQ(0, ti.i.tcpi_bytes_retrans);
}

/*
 * 1000 bytes the peer never acknowledges: the timer resends them after
 * 200 ms and 400 ms more.  Two timeouts in a row: retransmits and backoff
 * 2, 2000 bytes resent, LOSS; on 6.12's struct two timeouts in one
 * recovery, 400 ms long so far, which the peer's ACK ends.
 */
TEST_F_TIMEOUT(pr, timeouts_count_in_retransmits_backoff_and_bytes_resent, 20)
{
	struct xconn *c = &self->c;
	char data[1000] = "";
	uint32_t base = c->isn + 1;
	struct tinfo ti;
	int k, len;

	ASSERT_EQ(1000, send(c->fd, data, sizeof(data), 0));
	for (k = 0; k < 3; k++)
		XSEG_EXPECT(&self->p, &self->s, 2000, F_PSH | F_ACK, base,
			    PISN + 1);
	usleep(50 * 1000);
	len = tinfo_get(c->fd, &ti);
	ASSERT_LT(0, len);
	EXPECT_EQ(TCP_CA_Loss, ti.i.tcpi_ca_state);
	EXPECT_EQ(2, ti.i.tcpi_retransmits);
	EXPECT_EQ(2, ti.i.tcpi_backoff);
	EXPECT_EQ(2, ti.i.tcpi_total_retrans);
	EXPECT_EQ(2000, ti.i.tcpi_bytes_retrans);
	EXPECT_EQ(3000, ti.i.tcpi_bytes_sent);
	EXPECT_EQ(3, ti.i.tcpi_data_segs_out);
	EXPECT_GT(100, ti.i.tcpi_last_data_sent);
	if (len >= (int)TINFO_612) {
		EXPECT_EQ(2, ti.total_rto);
		EXPECT_EQ(1, ti.total_rto_recoveries);
		EXPECT_LE(350, ti.total_rto_time);	/* since the first */
	}

	ASSERT_EQ(0, pr_ack(&self->p, c, base + 1000, 0, NULL));
	usleep(50 * 1000);
	len = tinfo_get(c->fd, &ti);
	EXPECT_EQ(TCP_CA_Open, ti.i.tcpi_ca_state);
	EXPECT_EQ(0, ti.i.tcpi_retransmits);
	EXPECT_EQ(1001, ti.i.tcpi_bytes_acked);
	if (len >= (int)TINFO_612) {
		uint32_t ms = ti.total_rto_time;

		EXPECT_EQ(1, ti.total_rto_recoveries);
		usleep(100 * 1000);	/* over: its time stays */
		tinfo_get(c->fd, &ti);
		EXPECT_EQ(ms, ti.total_rto_time);
	}
}

/*
 * A small send buffer the peer never frees (no ACK): everything queued
 * is sent, and the writer waits 300 ms for room.  The send buffer, not
 * the window, held it back: sndbuf-limited, and busy, time.
 */
TEST_F(pr, a_writer_waiting_for_its_send_buffer_is_sndbuf_limited)
{
	struct xconn *c = &self->c;
	static char data[64 * 1024];
	struct tinfo ti;
	ssize_t n;

	ASSERT_EQ(0, pr_ack(&self->p, c, c->isn + 1, 0, NULL));
	usleep(50 * 1000);
	ASSERT_EQ(0, set_int(c->fd, SOL_SOCKET, SO_SNDBUF, 4096));
	ASSERT_EQ(0, set_timeo(c->fd, SO_SNDTIMEO, 300));
	n = send(c->fd, data, sizeof(data), 0);
	ASSERT_LT(0, n);
	ASSERT_GT((ssize_t)sizeof(data), n);
	ASSERT_LT(0, tinfo_get(c->fd, &ti));
	TH_LOG("sent %zd: busy %llu us, sndbuf-limited %llu us, rwnd-limited %llu us, notsent %u",
	       n, (unsigned long long)ti.i.tcpi_busy_time,
	       (unsigned long long)ti.i.tcpi_sndbuf_limited,
	       (unsigned long long)ti.i.tcpi_rwnd_limited,
	       ti.i.tcpi_notsent_bytes);
	EXPECT_EQ(0, ti.i.tcpi_notsent_bytes);
	EXPECT_LE(150000, ti.i.tcpi_sndbuf_limited);
	EXPECT_EQ(0, ti.i.tcpi_rwnd_limited);
	EXPECT_LE(ti.i.tcpi_sndbuf_limited, ti.i.tcpi_busy_time);
}

/*
 * What the peer sends: 100 bytes, 1000 bytes, 300 bytes past a 500-byte
 * gap, then the gap.  rcv_mss starts at 536 (RFC 9293's default) and
 * grows to the largest in-order segment; the one past the gap counts as
 * out of order; bytes and data segments count all of it.
 */
TEST_F(pr, segments_received_set_rcv_mss_and_the_out_of_order_count)
{
	struct xconn *c = &self->c;
	uint32_t s0 = PISN + 1;
	static char data[1000];
	struct tinfo ti;

	ASSERT_LT(0, tinfo_get(c->fd, &ti));
	EXPECT_EQ(536, ti.i.tcpi_rcv_mss);
	EXPECT_EQ(MSS, ti.i.tcpi_advmss);	/* no timestamps */
	EXPECT_EQ(MSS, ti.i.tcpi_snd_mss);
	EXPECT_EQ(1, ti.i.tcpi_segs_in);	/* the SYN-ACK */
	EXPECT_EQ(2, ti.i.tcpi_segs_out);	/* SYN, ACK */

	CONN_SEND(&self->p, c, s0, c->isn + 1, F_ACK | F_PSH, data, 100);
	usleep(30 * 1000);
	ASSERT_LT(0, tinfo_get(c->fd, &ti));
	EXPECT_EQ(536, ti.i.tcpi_rcv_mss);
	CONN_SEND(&self->p, c, s0 + 100, c->isn + 1, F_ACK | F_PSH, data,
		  1000);
	CONN_SEND(&self->p, c, s0 + 1600, c->isn + 1, F_ACK | F_PSH, data,
		  300);
	usleep(30 * 1000);
	ASSERT_LT(0, tinfo_get(c->fd, &ti));
	EXPECT_EQ(1000, ti.i.tcpi_rcv_mss);
	EXPECT_EQ(1, ti.i.tcpi_rcv_ooopack);
	EXPECT_EQ(1100, ti.i.tcpi_bytes_received);
	CONN_SEND(&self->p, c, s0 + 1100, c->isn + 1, F_ACK | F_PSH, data,
		  500);
	usleep(30 * 1000);
	ASSERT_LT(0, tinfo_get(c->fd, &ti));
	EXPECT_EQ(1000, ti.i.tcpi_rcv_mss);
	EXPECT_EQ(1, ti.i.tcpi_rcv_ooopack);
	EXPECT_EQ(1900, ti.i.tcpi_bytes_received);
	EXPECT_EQ(4, ti.i.tcpi_data_segs_in);
	EXPECT_EQ(5, ti.i.tcpi_segs_in);
	EXPECT_GT(100, ti.i.tcpi_last_data_recv);
}

TEST_HARNESS_MAIN
