// SPDX-License-Identifier: GPL-2.0
/*
 * ICMP errors about the module's segments (RFC 9293 section 3.9.4, RFC
 * 1122 section 4.2.3.9, RFC 1191, RFC 5927), each case run twice: on a
 * Linux TCP socket and on an XTCP socket, with the same script and the
 * same expectations.  The scripted peer answers a segment with an ICMP
 * message that quotes it (or a forged one that quotes a segment that was
 * never in flight).
 */
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <time.h>
#include <linux/errqueue.h>

#include "kselftest_harness.h"
#include "xtcp_util.h"
#include "peer.h"
#include "xtcp_conn.h"

#define RPORT		42001
#define LPORT		6101
#define PISN		0x60000000u
#define PEER_MSS	1460

FIXTURE(icmp) {
	struct xpeer p;
	struct xconn c;
	int lfd;
};

XC_TCP_AND_XTCP(icmp);

FIXTURE_SETUP(icmp)
{
	self->c.fd = self->lfd = -1;
	ASSERT_EQ(0, xtcp_ensure_loaded());
	ASSERT_EQ(0, xpeer_setup(&self->p));
	self->p.proto = variant->proto;
}

FIXTURE_TEARDOWN(icmp)
{
	if (self->c.fd >= 0)
		xc_close_abort(self->c.fd);
	if (self->lfd >= 0)
		close(self->lfd);
	xpeer_teardown(&self->p);
}

/* The data retry limit, for the variant's protocol. */
static int set_retries2(const FIXTURE_VARIANT(icmp) *variant, long n)
{
	if (variant->proto == IPPROTO_TCP)
		return write_knob("/proc/sys/net/ipv4/tcp_retries2", n);
	return xtcp_sysctl_set("retries2", n);
}

/*
 * A non-blocking connect() to the peer; its SYN in *@syn.  With @finish,
 * the peer completes the handshake (MSS 1460, timestamps) and the socket
 * is made blocking.
 */
static void open_conn(struct __test_metadata *_metadata,
		      FIXTURE_DATA(icmp) *self,
		      const FIXTURE_VARIANT(icmp) *variant, struct xseg *syn,
		      int finish)
{
	struct sockaddr_in to = xc_addr(XPEER_REMOTE_ADDR, RPORT);
	struct xconn *c = &self->c;
	struct xseg s;

	c->fd = socket(variant->family, SOCK_STREAM | SOCK_CLOEXEC |
		       SOCK_NONBLOCK, 0);
	ASSERT_LE(0, c->fd);
	ASSERT_EQ(-1, connect(c->fd, (struct sockaddr *)&to, sizeof(to)));
	ASSERT_EQ(EINPROGRESS, errno);
	XSEG_EXPECT(&self->p, syn, 2000, F_SYN, XSEG_ANY, XSEG_ANY);
	c->lport = syn->sport;
	c->rport = RPORT;
	c->isn = syn->seq;
	c->pisn = PISN;
	if (!finish)
		return;
	s = xc_seg(RPORT, c->lport, PISN, c->isn + 1, F_SYN | F_ACK);
	s.has_mss = 1;
	s.mss = PEER_MSS;
	s.has_ts = 1;
	s.tsval = 1;
	s.tsecr = syn->tsval;
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	XSEG_EXPECT(&self->p, &s, 2000, F_ACK, c->isn + 1, PISN + 1);
	ASSERT_EQ(0, xc_set_nonblock(c->fd, 0));
}

/* The connection's result once poll() says it is settled: SO_ERROR. */
static int connect_result(struct __test_metadata *_metadata, int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int err = -1;

	EXPECT_EQ(1, poll(&pfd, 1, ms));
	EXPECT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len));
	return err;
}

/* The peer acknowledges everything before @ack. */
static void peer_ack(struct __test_metadata *_metadata, struct xpeer *p,
		     struct xconn *c, uint32_t ack)
{
	struct xseg s = xc_seg(c->rport, c->lport, c->pisn + 1, ack, F_ACK);

	s.win = PEER_WIN;
	ASSERT_EQ(0, xpeer_send(p, &s));
}

/*
 * Each unreachable ends a connection attempt at once with its errno, as
 * RFC 1122 section 4.2.3.9 and Linux's icmp_err_convert[] have it, and
 * leaves the ICMP on the error queue: MSG_ERRQUEUE returns it with the
 * address it was about in msg_name (msg_namelen set) and the extended
 * error in a cmsg.
 */
TEST_F(icmp, each_unreachable_ends_a_connect_with_its_errno)
{
	static const struct { int code, err; } cases[] = {
		{ ICMP_NET_UNREACH, ENETUNREACH },
		{ ICMP_HOST_UNREACH, EHOSTUNREACH },
		{ ICMP_PROT_UNREACH, ENOPROTOOPT },
		{ ICMP_PORT_UNREACH, ECONNREFUSED },
	};
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char data[64], ctl[256];
		struct sockaddr_in from = { 0 };
		struct iovec iov = { data, sizeof(data) };
		struct msghdr msg = {
			.msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl, .msg_controllen = sizeof(ctl),
		};
		struct sock_extended_err *ee = NULL;
		struct cmsghdr *cm;
		uint64_t t0;
		struct xseg syn;

		open_conn(_metadata, self, variant, &syn, 0);
		t0 = xpeer_now_ns();
		ASSERT_EQ(0, xpeer_send_icmp(&self->p, ICMP_DEST_UNREACH,
					     cases[i].code, 0, &syn));
		EXPECT_EQ(cases[i].err, connect_result(_metadata,
						       self->c.fd, 2000))
			TH_LOG("code %d", cases[i].code);
		/* Long before the SYN's first retransmission. */
		EXPECT_GT(500, ms_between(t0, xpeer_now_ns()));

		ASSERT_LE(0, recvmsg(self->c.fd, &msg, MSG_ERRQUEUE))
			TH_LOG("MSG_ERRQUEUE: %s", strerror(errno));
		EXPECT_EQ(sizeof(from), msg.msg_namelen);
		EXPECT_EQ(inet_addr(XPEER_REMOTE_ADDR), from.sin_addr.s_addr);
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
			if (cm->cmsg_level == SOL_IP &&
			    cm->cmsg_type == IP_RECVERR)
				ee = (struct sock_extended_err *)CMSG_DATA(cm);
		ASSERT_NE(NULL, ee);
		EXPECT_EQ(cases[i].err, ee->ee_errno);
		EXPECT_EQ(SO_EE_ORIGIN_ICMP, ee->ee_origin);
		EXPECT_EQ(ICMP_DEST_UNREACH, ee->ee_type);
		EXPECT_EQ(cases[i].code, ee->ee_code);
		close(self->c.fd);
		self->c.fd = -1;
	}
}

/*
 * RFC 5927 section 4.1: an ICMP message must quote a segment that may be
 * in flight, or anyone who knows the four-tuple could end a connection.
 * A sequence number outside snd_una..snd_nxt, or a port nobody uses,
 * changes nothing: the handshake then completes.
 */
TEST_F(icmp, an_icmp_quoting_no_segment_in_flight_is_ignored)
{
	long before = xtcp_stat("OutOfWindowIcmps");
	struct xseg syn, forged, s;

	open_conn(_metadata, self, variant, &syn, 0);
	forged = syn;
	forged.seq = syn.seq + 1000;
	ASSERT_EQ(0, xpeer_send_icmp(&self->p, ICMP_DEST_UNREACH,
				     ICMP_PORT_UNREACH, 0, &forged));
	forged.seq = syn.seq - 1;
	ASSERT_EQ(0, xpeer_send_icmp(&self->p, ICMP_DEST_UNREACH,
				     ICMP_HOST_UNREACH, 0, &forged));
	forged = syn;
	forged.sport++;
	ASSERT_EQ(0, xpeer_send_icmp(&self->p, ICMP_DEST_UNREACH,
				     ICMP_PORT_UNREACH, 0, &forged));
	sleep_ms(100);

	s = xc_seg(RPORT, self->c.lport, PISN, self->c.isn + 1,
		   F_SYN | F_ACK);
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	XSEG_EXPECT(&self->p, &s, 2000, F_ACK, self->c.isn + 1, PISN + 1);
	EXPECT_EQ(0, connect_result(_metadata, self->c.fd, 2000));
	if (variant->proto == IPPROTO_XTCP)
		EXPECT_EQ(before + 2, xtcp_stat("OutOfWindowIcmps"));
}

/*
 * Once connected, an unreachable is a soft error (routes come back): the
 * connection goes on, and only if it then times out is the ICMP's error
 * what it reports, instead of ETIMEDOUT (tcp_write_err()).
 */
TEST_F(icmp, an_unreachable_is_the_error_a_timeout_reports)
{
	char buf[100] = "soft";
	struct xseg syn, d, s;
	uint64_t t0;

	ASSERT_EQ(0, set_retries2(variant, 2));
	open_conn(_metadata, self, variant, &syn, 1);
	ASSERT_EQ(sizeof(buf), send(self->c.fd, buf, sizeof(buf), 0));
	XSEG_EXPECT(&self->p, &d, 2000, F_ACK | F_PSH, self->c.isn + 1,
		    PISN + 1);
	ASSERT_EQ(0, xpeer_send_icmp(&self->p, ICMP_DEST_UNREACH,
				     ICMP_HOST_UNREACH, 0, &d));
	/* Not reported now: the next write is taken. */
	t0 = xpeer_now_ns();
	ASSERT_EQ(sizeof(buf), send(self->c.fd, buf, sizeof(buf),
				    MSG_DONTWAIT));
	/* The first resend still goes. */
	XSEG_EXPECT(&self->p, &s, 2000, F_ACK | F_PSH, self->c.isn + 1,
		    PISN + 1);
	EXPECT_EQ(-1, recv(self->c.fd, buf, sizeof(buf), 0));
	EXPECT_EQ(EHOSTUNREACH, errno);
	/* Retries after 200, 400 and 800 ms or so: not before a second. */
	EXPECT_LT(1000, ms_between(t0, xpeer_now_ns()));
}

/* IP_RECVERR asks to hear of it at once; the connection still goes on. */
TEST_F(icmp, ip_recverr_reports_an_unreachable_at_once)
{
	char buf[100] = "hard";
	struct pollfd pfd;
	struct xseg syn, d;
	int on = 1;

	open_conn(_metadata, self, variant, &syn, 1);
	ASSERT_EQ(0, setsockopt(self->c.fd, SOL_IP, IP_RECVERR, &on,
				sizeof(on)));
	ASSERT_EQ(sizeof(buf), send(self->c.fd, buf, sizeof(buf), 0));
	XSEG_EXPECT(&self->p, &d, 2000, F_ACK | F_PSH, self->c.isn + 1,
		    PISN + 1);
	ASSERT_EQ(0, xpeer_send_icmp(&self->p, ICMP_DEST_UNREACH,
				     ICMP_HOST_UNREACH, 0, &d));
	pfd.fd = self->c.fd;
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, 2000));
	EXPECT_TRUE(pfd.revents & POLLERR);
	EXPECT_EQ(-1, recv(self->c.fd, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EHOSTUNREACH, errno);
	/* Reported once; the peer's ACK is taken and the connection lives. */
	peer_ack(_metadata, &self->p, &self->c, self->c.isn + 1 + sizeof(buf));
	ASSERT_EQ(sizeof(buf), send(self->c.fd, buf, sizeof(buf), 0));
	XSEG_EXPECT(&self->p, &d, 2000, F_ACK | F_PSH,
		    self->c.isn + 1 + sizeof(buf), PISN + 1);
}

/*
 * Fragmentation Needed (RFC 1191): the route learns the path MTU, the MSS
 * follows (IP_MTU, TCP_MAXSEG), and what was in flight goes again at once
 * in segments that fit, long before the retransmission timeout.
 */
TEST_F(icmp, fragmentation_needed_resends_at_the_new_size_at_once)
{
	static char buf[6000];
	const int mtu = 1000, seg_max = mtu - 20 - 20 - 12;
	long before = xtcp_stat("PmtuReduced");
	uint32_t una, end;
	struct xseg syn, d, s;
	socklen_t len = sizeof(int);
	int val = 0, got = 0;
	uint64_t t0;

	open_conn(_metadata, self, variant, &syn, 1);
	ASSERT_EQ(0, getsockopt(self->c.fd, SOL_IP, IP_MTU, &val, &len));
	EXPECT_EQ(1500, val);
	ASSERT_EQ(sizeof(buf), send(self->c.fd, buf, sizeof(buf), 0));
	XSEG_EXPECT(&self->p, &d, 2000, F_ACK, self->c.isn + 1, PISN + 1);
	EXPECT_LT(seg_max, d.len);
	while (xpeer_recv(&self->p, &s, 100) == 1)
		;	/* the rest of the initial window */

	t0 = xpeer_now_ns();
	ASSERT_EQ(0, xpeer_send_icmp(&self->p, ICMP_DEST_UNREACH,
				     ICMP_FRAG_NEEDED, mtu, &d));
	XSEG_EXPECT(&self->p, &s, 3000, F_ACK, self->c.isn + 1, PISN + 1);
	EXPECT_EQ(seg_max, s.len);
	/* The RTO is 200 ms at least; a resend at once takes a few. */
	EXPECT_GT(150, ms_between(t0, s.when_ns));

	len = sizeof(int);
	ASSERT_EQ(0, getsockopt(self->c.fd, SOL_IP, IP_MTU, &val, &len));
	EXPECT_EQ(mtu, val);
	len = sizeof(int);
	ASSERT_EQ(0, getsockopt(self->c.fd, IPPROTO_TCP, TCP_MAXSEG, &val,
				&len));
	EXPECT_EQ(seg_max, val);

	/* Acknowledged piece by piece, the rest comes in segments that fit. */
	una = self->c.isn + 1 + s.len;
	end = self->c.isn + 1 + sizeof(buf);
	while (una != end && got < 40) {
		peer_ack(_metadata, &self->p, &self->c, una);
		if (xpeer_recv(&self->p, &s, 2000) != 1)
			break;
		got++;
		EXPECT_GE(seg_max, s.len);
		if (s.seq == una)
			una += s.len;
	}
	EXPECT_EQ(end, una);
	if (variant->proto == IPPROTO_XTCP)
		EXPECT_EQ(before + 1, xtcp_stat("PmtuReduced"));
}

/*
 * A Fragmentation Needed that quotes a segment not in flight is not
 * believed: the route's MTU stays, and nothing is resent early.
 */
TEST_F(icmp, fragmentation_needed_for_no_segment_in_flight_is_ignored)
{
	static char buf[3000];
	struct xseg syn, d, forged;
	socklen_t len = sizeof(int);
	int val = 0;

	open_conn(_metadata, self, variant, &syn, 1);
	ASSERT_EQ(sizeof(buf), send(self->c.fd, buf, sizeof(buf), 0));
	XSEG_EXPECT(&self->p, &d, 2000, F_ACK, self->c.isn + 1, PISN + 1);
	forged = d;
	forged.seq = d.seq + 100000;
	ASSERT_EQ(0, xpeer_send_icmp(&self->p, ICMP_DEST_UNREACH,
				     ICMP_FRAG_NEEDED, 1000, &forged));
	sleep_ms(50);
	ASSERT_EQ(0, getsockopt(self->c.fd, SOL_IP, IP_MTU, &val, &len));
	EXPECT_EQ(1500, val);
}

/*
 * RFC 9293 section 3.7.1 (MUST-16): the peer's MSS counts none of our
 * options; IP options (IP_OPTIONS) come out of it as TCP's timestamps do.
 * Peer MSS 536, four bytes of IP options, timestamps: 520 bytes a
 * segment.
 */
TEST_F(icmp, ip_options_come_out_of_the_peers_mss)
{
	static const unsigned char opts[4] = { 1, 1, 1, 0 };	/* NOPs, EOL */
	struct sockaddr_in to = xc_addr(XPEER_REMOTE_ADDR, RPORT);
	static char buf[3000];
	struct xconn *c = &self->c;
	struct xseg syn, s;

	c->fd = socket(variant->family, SOCK_STREAM | SOCK_CLOEXEC |
		       SOCK_NONBLOCK, 0);
	ASSERT_LE(0, c->fd);
	ASSERT_EQ(0, setsockopt(c->fd, SOL_IP, IP_OPTIONS, opts,
				sizeof(opts)));
	ASSERT_EQ(-1, connect(c->fd, (struct sockaddr *)&to, sizeof(to)));
	XSEG_EXPECT(&self->p, &syn, 2000, F_SYN, XSEG_ANY, XSEG_ANY);
	c->lport = syn.sport;
	c->isn = syn.seq;
	s = xc_seg(RPORT, c->lport, PISN, c->isn + 1, F_SYN | F_ACK);
	s.has_mss = 1;
	s.mss = 536;
	s.has_ts = 1;
	s.tsval = 1;
	s.tsecr = syn.tsval;
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	XSEG_EXPECT(&self->p, &s, 2000, F_ACK, c->isn + 1, PISN + 1);
	ASSERT_EQ(0, xc_set_nonblock(c->fd, 0));
	ASSERT_EQ(sizeof(buf), send(c->fd, buf, sizeof(buf), 0));
	XSEG_EXPECT(&self->p, &s, 2000, F_ACK, c->isn + 1, PISN + 1);
	EXPECT_EQ(536 - 4 - 12, s.len);
}

/*
 * A SYN-queue entry whose SYN-ACK the network says cannot arrive ends
 * silently (no socket to tell; accept() reports no network errors): the
 * peer's late final ACK finds nothing, and gets a RST.
 */
TEST_F(icmp, a_syn_queue_entry_ends_at_an_unreachable)
{
	struct sockaddr_in sin = xc_addr(XPEER_LOCAL_ADDR, LPORT);
	struct xseg s, synack;

	self->lfd = socket(variant->family, SOCK_STREAM | SOCK_CLOEXEC |
			   SOCK_NONBLOCK, 0);
	ASSERT_LE(0, self->lfd);
	ASSERT_EQ(0, bind(self->lfd, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, listen(self->lfd, 8));
	PEER_SEND(&self->p, RPORT, LPORT, PISN, 0, F_SYN, NULL, 0);
	XSEG_EXPECT(&self->p, &synack, 2000, F_SYN | F_ACK, XSEG_ANY,
		    PISN + 1);
	ASSERT_EQ(0, xpeer_send_icmp(&self->p, ICMP_DEST_UNREACH,
				     ICMP_HOST_UNREACH, 0, &synack));
	sleep_ms(50);
	PEER_SEND(&self->p, RPORT, LPORT, PISN + 1, synack.seq + 1, F_ACK,
		  NULL, 0);
	XSEG_EXPECT(&self->p, &s, 2000, F_RST, synack.seq + 1, XSEG_ANY);
	EXPECT_EQ(-1, accept(self->lfd, NULL, NULL));
	EXPECT_EQ(EAGAIN, errno);
}

TEST_HARNESS_MAIN
