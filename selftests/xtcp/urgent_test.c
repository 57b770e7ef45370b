// SPDX-License-Identifier: GPL-2.0
/*
 * Urgent data (RFC 9293 section 3.8.5; MUST-30..33 and MUST-62), as
 * programs see it on Linux TCP: send(MSG_OOB), recv(MSG_OOB), the read
 * that stops at the mark, SIOCATMARK, SO_OOBINLINE, SIGURG and EPOLLPRI.
 * Each scenario runs on a TCP pair and on an XTCP pair over loopback and
 * must give what Linux TCP gives; the last two check the urgent pointer
 * on the wire against the scripted peer, on TCP and on XTCP.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <netinet/tcp.h>

#include "kselftest_harness.h"
#include "xtcp_util.h"
#include "xtcp_pair.h"
#include "peer.h"
#include "xtcp_conn.h"

XTCP_NS_FIXTURE(ns);

static void tr_atmark(struct trace *t, int fd)
{
	int mark = -1;

	if (ioctl(fd, SIOCATMARK, &mark))
		tr_ret(t, -1);
	else
		tr_add(t, "atmark=%d", mark);
}

/* Waits until @fd has an urgent byte to read (EPOLLPRI), or 2 s. */
static int wait_pri(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLPRI };

	return poll(&pfd, 1, 2000) == 1 && (pfd.revents & POLLPRI) ? 0 : -1;
}

/* Waits until recv(MSG_OOB) would give @want, or 2 s. */
static int wait_oob(int fd, char want)
{
	uint64_t end = now_ms() + 2000;
	char c;

	while (now_ms() < end) {
		if (recv(fd, &c, 1, MSG_OOB | MSG_PEEK) == 1 && c == want)
			return 0;
		msleep(2);
	}
	return -1;
}

static void oob_apart(struct __test_metadata *_metadata, int family,
		      struct trace *t)
{
	struct xpair p;
	char buf[64];

	xpair_open(_metadata, &p, family);
	ASSERT_EQ(6, send(p.a, "hello!", 6, MSG_OOB));
	ASSERT_EQ(5, send(p.a, "world", 5, 0));
	ASSERT_EQ(0, wait_pri(p.b));
	ASSERT_EQ(0, set_timeo(p.b, SO_RCVTIMEO, 2000));
	tr_atmark(t, p.b);
	/* SIOCINQ counts up to the mark only, as TCP's. */
	ASSERT_EQ(0, wait_inq(p.b, 5, 2000));
	tr_recv(t, p.b, buf, sizeof(buf), MSG_DONTWAIT);
	tr_atmark(t, p.b);
	tr_recv(t, p.b, buf, sizeof(buf), MSG_OOB | MSG_PEEK);
	tr_recv(t, p.b, buf, sizeof(buf), MSG_OOB);
	tr_recv(t, p.b, buf, sizeof(buf), MSG_OOB);
	tr_recv(t, p.b, buf, sizeof(buf), 0);
	tr_atmark(t, p.b);
	xpair_close(&p);
}

/*
 * The byte before the urgent pointer leaves the stream for recv(MSG_OOB),
 * once; a read stops at the mark, which SIOCATMARK then reports, and the
 * next read goes on past it.
 */
TEST_F(ns, the_urgent_byte_is_read_apart_and_a_read_stops_at_its_mark)
{
	SAME_AS_TCP(oob_apart, "atmark=0 5:'hello' atmark=1 1:'!' 1:'!' "
		    "-1:EINVAL 5:'world' atmark=0");
}

static void oob_none(struct __test_metadata *_metadata, int family,
		     struct trace *t)
{
	struct xpair p;
	char buf[64];

	xpair_open(_metadata, &p, family);
	tr_recv(t, p.b, buf, sizeof(buf), MSG_OOB | MSG_DONTWAIT);
	ASSERT_EQ(3, send(p.a, "abc", 3, 0));
	ASSERT_EQ(0, wait_inq(p.b, 3, 2000));
	tr_recv(t, p.b, buf, sizeof(buf), MSG_OOB | MSG_DONTWAIT);
	tr_recv(t, p.b, buf, sizeof(buf), MSG_DONTWAIT);
	xpair_close(&p);
}

/* Without urgent data, recv(MSG_OOB) is EINVAL and takes nothing. */
TEST_F(ns, without_urgent_data_recv_msg_oob_is_einval)
{
	SAME_AS_TCP(oob_none, "-1:EINVAL -1:EINVAL 3:'abc'");
}

static void oob_inline(struct __test_metadata *_metadata, int family,
		       struct trace *t)
{
	struct xpair p;
	char buf[64];
	int on = 1;

	xpair_open(_metadata, &p, family);
	ASSERT_EQ(0, setsockopt(p.b, SOL_SOCKET, SO_OOBINLINE, &on,
				sizeof(on)));
	ASSERT_EQ(6, send(p.a, "hello!", 6, MSG_OOB));
	ASSERT_EQ(5, send(p.a, "world", 5, 0));
	ASSERT_EQ(0, wait_inq(p.b, 11, 2000));
	tr_recv(t, p.b, buf, sizeof(buf), MSG_DONTWAIT);
	tr_atmark(t, p.b);
	tr_recv(t, p.b, buf, sizeof(buf), MSG_OOB);
	tr_recv(t, p.b, buf, sizeof(buf), MSG_DONTWAIT);
	xpair_close(&p);
}

/* SO_OOBINLINE leaves the urgent byte in the stream; the mark stays. */
TEST_F(ns, oobinline_keeps_the_urgent_byte_in_the_stream)
{
	SAME_AS_TCP(oob_inline, "5:'hello' atmark=1 -1:EINVAL 6:'!world'");
}

static volatile sig_atomic_t sigurgs;

static void on_sigurg(int sig)
{
	sigurgs++;
}

static void oob_signal(struct __test_metadata *_metadata, int family,
		       struct trace *t)
{
	struct sigaction sa = { .sa_handler = on_sigurg };
	struct pollfd pfd;
	struct xpair p;
	char c;

	xpair_open(_metadata, &p, family);
	ASSERT_EQ(0, sigaction(SIGURG, &sa, NULL));
	ASSERT_EQ(0, fcntl(p.b, F_SETOWN, getpid()));
	sigurgs = 0;
	pfd.fd = p.b;
	pfd.events = POLLIN | POLLPRI;
	tr_add(t, "poll=%d", poll(&pfd, 1, 0));
	ASSERT_EQ(1, send(p.a, "x", 1, MSG_OOB));
	tr_add(t, "pri=%d", !wait_pri(p.b));
	tr_add(t, "sigurg=%d", sigurgs > 0);
	/* The urgent byte alone is nothing to read in the stream. */
	pfd.revents = 0;
	poll(&pfd, 1, 0);
	tr_add(t, "in=%d", !!(pfd.revents & POLLIN));
	tr_ret(t, recv(p.b, &c, 1, MSG_OOB));
	tr_add(t, "poll=%d", poll(&pfd, 1, 0));
	xpair_close(&p);
	signal(SIGURG, SIG_DFL);
}

static void oob_inherited(struct __test_metadata *_metadata, int family,
			  struct trace *t)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t len = sizeof(sin);
	int l, a, b, on = 1, val = -1;

	l = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, setsockopt(l, SOL_SOCKET, SO_OOBINLINE, &on, sizeof(on)));
	ASSERT_EQ(0, bind(l, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, listen(l, 1));
	ASSERT_EQ(0, getsockname(l, (struct sockaddr *)&sin, &len));
	a = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_EQ(0, connect(a, (struct sockaddr *)&sin, sizeof(sin)));
	b = accept(l, NULL, NULL);
	ASSERT_LE(0, b);
	len = sizeof(val);
	ASSERT_EQ(0, getsockopt(b, SOL_SOCKET, SO_OOBINLINE, &val, &len));
	tr_add(t, "oobinline=%d", val);
	close(a);
	close(b);
	close(l);
}

/* An accepted socket has its listener's SO_OOBINLINE. */
TEST_F(ns, oobinline_is_inherited_from_the_listener)
{
	SAME_AS_TCP(oob_inherited, "oobinline=1");
}

/* The owner hears of the mark by SIGURG, and poll() by EPOLLPRI. */
TEST_F(ns, sigurg_and_epollpri_announce_urgent_data)
{
	SAME_AS_TCP(oob_signal, "poll=0 pri=1 sigurg=1 in=0 1 poll=0");
}

static void oob_twice(struct __test_metadata *_metadata, int family,
		      struct trace *t)
{
	struct xpair p;
	char buf[64];

	xpair_open(_metadata, &p, family);
	ASSERT_EQ(2, send(p.a, "aX", 2, MSG_OOB));
	ASSERT_EQ(2, send(p.a, "bY", 2, MSG_OOB));
	ASSERT_EQ(0, wait_oob(p.b, 'Y'));
	tr_recv(t, p.b, buf, sizeof(buf), MSG_OOB);
	tr_recv(t, p.b, buf, sizeof(buf), MSG_DONTWAIT);
	tr_atmark(t, p.b);
	tr_recv(t, p.b, buf, sizeof(buf), MSG_DONTWAIT);
	xpair_close(&p);
}

/* A new mark replaces one not yet read: the older byte is ordinary data. */
TEST_F(ns, a_new_mark_replaces_an_unread_one)
{
	SAME_AS_TCP(oob_twice, "1:'Y' 3:'aXb' atmark=1 -1:EAGAIN");
}

/* ---- the urgent pointer on the wire ---- */

#define RPORT		43001
#define PISN		0x70000000u

FIXTURE(wire) {
	struct xpeer p;
	struct xconn c;
};

XC_TCP_AND_XTCP(wire);

/* An active open of @c to the peer's @rport; @rcvbuf, if not 0, first. */
static void wire_connect(struct __test_metadata *_metadata, struct xpeer *p,
			 struct xconn *c, int family, uint16_t rport,
			 int rcvbuf)
{
	struct sockaddr_in to = xc_addr(XPEER_REMOTE_ADDR, rport);
	struct xseg s;

	c->fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ASSERT_LE(0, c->fd);
	if (rcvbuf)
		ASSERT_EQ(0, setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
					sizeof(rcvbuf)));
	ASSERT_EQ(-1, connect(c->fd, (struct sockaddr *)&to, sizeof(to)));
	XSEG_EXPECT(p, &s, 2000, F_SYN, XSEG_ANY, XSEG_ANY);
	c->lport = s.sport;
	c->rport = rport;
	c->isn = s.seq;
	c->pisn = PISN;
	PEER_SEND(p, rport, c->lport, PISN, c->isn + 1, F_SYN | F_ACK, NULL, 0);
	XSEG_EXPECT(p, &s, 2000, F_ACK, c->isn + 1, PISN + 1);
	ASSERT_EQ(0, xc_set_nonblock(c->fd, 0));
}

FIXTURE_SETUP(wire)
{
	ASSERT_EQ(0, xtcp_ensure_loaded());
	ASSERT_EQ(0, xpeer_setup(&self->p));
	self->p.proto = variant->proto;
	wire_connect(_metadata, &self->p, &self->c, variant->family, RPORT, 0);
}

FIXTURE_TEARDOWN(wire)
{
	xc_close_abort(self->c.fd);
	xpeer_teardown(&self->p);
}

#define F_URG	XTCP_FLAG_URG

/*
 * send(MSG_OOB) of "hello!": the segment carries URG with the pointer
 * just past '!' (RFC 9293 section 3.8.5), and so does a resend until the
 * peer acknowledged it; after that, nothing is urgent.
 */
TEST_F(wire, the_urgent_pointer_points_past_the_urgent_byte)
{
	struct xseg s;

	ASSERT_EQ(6, send(self->c.fd, "hello!", 6, MSG_OOB));
	XSEG_EXPECT(&self->p, &s, 2000, F_ACK | F_PSH | F_URG,
		    self->c.isn + 1, PISN + 1);
	EXPECT_EQ(6, s.urg);
	EXPECT_EQ(6, s.len);
	/* Not acknowledged: the resend is urgent too. */
	XSEG_EXPECT(&self->p, &s, 3000, F_ACK | F_PSH | F_URG,
		    self->c.isn + 1, PISN + 1);
	EXPECT_EQ(6, s.urg);
	PEER_SEND(&self->p, RPORT, self->c.lport, PISN + 1,
		  self->c.isn + 7, F_ACK, NULL, 0);
	ASSERT_EQ(5, send(self->c.fd, "world", 5, 0));
	XSEG_EXPECT(&self->p, &s, 2000, F_ACK | F_PSH, self->c.isn + 7,
		    PISN + 1);
	EXPECT_EQ(0, s.urg);
}

/* The peer's URG segment: the byte before its pointer is out of band. */
TEST_F(wire, a_peer_urgent_pointer_sets_its_byte_apart)
{
	struct xseg s = xc_seg(RPORT, self->c.lport, PISN + 1,
			       self->c.isn + 1, F_ACK | F_PSH | F_URG);
	char buf[16];

	s.data = (const uint8_t *)"abcd";
	s.len = 4;
	s.urg = 3;
	s.win = PEER_WIN;
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	XSEG_EXPECT(&self->p, &s, 2000, F_ACK, self->c.isn + 1, PISN + 5);
	EXPECT_EQ(2, recv(self->c.fd, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(1, recv(self->c.fd, buf, sizeof(buf), MSG_OOB));
	EXPECT_EQ('c', buf[0]);
	EXPECT_EQ(1, recv(self->c.fd, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ('d', buf[0]);
}

/*
 * RFC 9293 section 3.4 (MUST-66): with the receive window closed, a
 * segment at RCV.NXT still brings its URG (and its ACK).  Its data is
 * dropped for want of room, as Linux's tcp_data_queue() does, but the
 * urgent byte it carries is set apart (Linux's tcp_urg()).
 */
TEST_F(wire, urg_is_taken_with_the_window_closed)
{
	struct xconn c = { .fd = -1 };
	char fill[1000] = { 0 }, buf[4];
	uint32_t seq = PISN + 1;
	struct xseg s;
	int i;

	wire_connect(_metadata, &self->p, &c, variant->family, RPORT + 1, 2048);
	/* Fill the window: the reader reads nothing. */
	for (i = 0, s.win = 1; s.win && i < 64; i++) {
		uint32_t len = s.win < sizeof(fill) ? s.win : sizeof(fill);

		if (i == 0)
			len = sizeof(fill);
		CONN_SEND(&self->p, &c, seq, c.isn + 1, F_ACK, fill, len);
		XSEG_EXPECT(&self->p, &s, 1000, F_ACK, c.isn + 1, XSEG_ANY);
		seq = s.ack;
	}
	ASSERT_EQ(0, s.win) TH_LOG("the window never closed");
	/* One urgent byte at RCV.NXT: the data does not fit, URG counts. */
	s = xc_seg(RPORT + 1, c.lport, seq, c.isn + 1, F_ACK | F_PSH | F_URG);
	s.data = (const uint8_t *)"!";
	s.len = 1;
	s.urg = 1;
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	XSEG_EXPECT(&self->p, &s, 1000, F_ACK, c.isn + 1, seq);
	EXPECT_EQ(0, s.win);
	EXPECT_EQ(1, recv(c.fd, buf, sizeof(buf), MSG_OOB | MSG_DONTWAIT));
	EXPECT_EQ('!', buf[0]);
	if (variant->proto == IPPROTO_XTCP)
		EXPECT_EQ(1, xtcp_stat("ZeroWindowDrop"));
	xc_close_abort(c.fd);
}

TEST_HARNESS_MAIN
