// SPDX-License-Identifier: GPL-2.0
/*
 * TIME_WAIT with timestamps (RFC 7323), each case next to Linux TCP in
 * the same namespace:
 * - a TIME_WAIT entry's ACKs carry TSval (our clock, the connection's
 *   offset) and TSecr (the peer's latest TSval), and PAWS drops what
 *   arrives with an older TSval (a RST with one leaves the entry be);
 * - connect() takes over a four-tuple in TIME_WAIT under net.xtcp.tw_reuse
 *   as Linux's net.ipv4.tcp_tw_reuse (0 never, 1 always, 2 over loopback
 *   only; each once the peer's last timestamp is a second old), starting
 *   a window past the old connection's sequence; a socket bound to its
 *   port takes it over whatever tw_reuse says, as in Linux, if the
 *   connection had timestamps.
 * The scripted peer (a TUN device, 10.0.0.2) serves the cases that look
 * at segments or need an address that is not loopback; the others run
 * over loopback.
 */
#include <netinet/in.h>
#include <sys/socket.h>

#include "kselftest_harness.h"
#include "xtcp_util.h"
#include "peer.h"
#include "xtcp_conn.h"

#define PISN		0x40000000u
#define PEER_TS0	1000000u	/* the peer's first TSval */
#define LO_PORT		5000		/* the loopback listeners' */

/* One protocol's run of a script. */
struct run {
	const char *name;
	int family;
	struct xpeer *p;
	struct xconn c;
	uint32_t pts;		/* the peer's TSval clock */
	uint32_t tsecr;		/* the socket's last TSval, to echo */
};

/* net.xtcp.tw_reuse and net.ipv4.tcp_tw_reuse at once. */
static int set_tw_reuse(int v)
{
	char buf[8];

	snprintf(buf, sizeof(buf), "%d", v);
	if (write_file("/proc/sys/net/ipv4/tcp_tw_reuse", buf))
		return -1;
	return xtcp_sysctl_set("tw_reuse", v);
}

/* The only ephemeral port, in this namespace. */
static int one_port(uint16_t port)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%u %u", port, port);
	return write_file("/proc/sys/net/ipv4/ip_local_port_range", buf);
}

/*
 * The state of @proto's line (/proc/net/tcp or /proc/net/xtcp) for local
 * port @lport and remote port @rport, or -1.
 */
static int proc_state(int family, uint16_t lport, uint16_t rport)
{
	FILE *f = fopen(family == AF_XTCP ? "/proc/net/xtcp" : "/proc/net/tcp",
			"re");
	unsigned int lp, rp, st;
	char line[512];
	int ret = -1;

	if (!f)
		return -2;
	while (fgets(line, sizeof(line), f)) {
		/* TCP's lines begin with a slot number, XTCP's do not. */
		if (family == AF_XTCP ?
		    sscanf(line, "%*x:%x %*x:%x %x", &lp, &rp, &st) != 3 :
		    sscanf(line, " %*d: %*x:%x %*x:%x %x", &lp, &rp, &st) != 3)
			continue;
		if (lp == lport && rp == rport) {
			ret = st;
			break;
		}
	}
	fclose(f);
	return ret;
}

static int wait_proc_state(int family, uint16_t lport, uint16_t rport,
			   int want)
{
	int i, st = -1;

	for (i = 0; i < 400; i++) {
		st = proc_state(family, lport, rport);
		if (st == want)
			break;
		sleep_ms(5);
	}
	return st;
}

/* ---- against the scripted peer ---- */

FIXTURE(tw) {
	struct xpeer p;
	struct run tcp, xtcp;
};

FIXTURE_SETUP(tw)
{
	self->tcp.c.fd = self->xtcp.c.fd = -1;
	ASSERT_EQ(0, xtcp_ensure_loaded());
	ASSERT_EQ(0, xpeer_setup(&self->p));
	/* Every answer to a bad segment counts here: none rate-limited. */
	ASSERT_EQ(0, write_file("/proc/sys/net/ipv4/tcp_invalid_ratelimit",
				"0"));
	ASSERT_EQ(0, xtcp_sysctl_set("invalid_ratelimit_ms", 0));
	ASSERT_EQ(0, xtcp_sysctl_set("msl_ms", 30000));
	self->tcp = (struct run){ "TCP", AF_INET, &self->p, { .fd = -1 } };
	self->xtcp = (struct run){ "XTCP", AF_XTCP, &self->p, { .fd = -1 } };
}

FIXTURE_TEARDOWN(tw)
{
	xc_close_abort(self->tcp.c.fd);
	xc_close_abort(self->xtcp.c.fd);
	xpeer_teardown(&self->p);
}

/* A segment from the peer with its next timestamp. */
static struct xseg peer_seg(struct run *r, uint32_t seq, uint32_t ack,
			    uint8_t flags)
{
	struct xseg s = xc_seg(r->c.rport, r->c.lport, seq, ack, flags);

	s.has_ts = 1;
	s.tsval = ++r->pts;
	s.tsecr = r->tsecr;
	return s;
}

/* Receives a segment and checks it as XSEG_EXPECT, with a timestamp. */
#define EXPECT_TS_SEG(r, s, flags_, seq_, ack_) do {			\
	XSEG_EXPECT((r)->p, (s), 2000, (flags_), (seq_), (ack_));	\
	ASSERT_EQ(1, (s)->has_ts) TH_LOG("%s: no timestamp", (r)->name); \
} while (0)

/*
 * The socket connects to the peer's @rport, both offering timestamps;
 * with @port it binds that port first (SO_REUSEADDR).  *@syn gets its SYN.
 */
static int open_ts(struct __test_metadata *_metadata, struct run *r,
		   uint16_t rport, uint16_t port, struct xseg *syn)
{
	struct sockaddr_in to = xc_addr(XPEER_REMOTE_ADDR, rport);
	struct sockaddr_in me = xc_addr(XPEER_LOCAL_ADDR, port);
	struct xconn *c = &r->c;
	int one = 1, ret, err;
	struct pollfd pfd;
	struct xseg s;

	r->p->proto = r->family == AF_XTCP ? IPPROTO_XTCP : IPPROTO_TCP;
	c->fd = socket(r->family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		       0);
	if (c->fd < 0)
		return -errno;
	if (port) {
		setsockopt(c->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(c->fd, (struct sockaddr *)&me, sizeof(me)))
			return -errno;
	}
	ret = connect(c->fd, (struct sockaddr *)&to, sizeof(to));
	err = errno;
	if (ret != -1 || err != EINPROGRESS)
		return ret ? -err : -EINVAL;
	XSEG_EXPECT(r->p, syn, 2000, F_SYN, XSEG_ANY, XSEG_ANY);
	c->lport = syn->sport;
	c->rport = rport;
	c->isn = syn->seq;
	c->pisn = PISN;
	r->tsecr = syn->tsval;
	if (!r->pts)
		r->pts = PEER_TS0;
	s = peer_seg(r, PISN, c->isn + 1, F_SYN | F_ACK);
	ASSERT_EQ(0, xpeer_send(r->p, &s));
	EXPECT_TS_SEG(r, &s, F_ACK, c->isn + 1, PISN + 1);
	r->tsecr = s.tsval;
	pfd.fd = c->fd;
	pfd.events = POLLOUT;
	ASSERT_EQ(1, poll(&pfd, 1, 2000));
	return 0;
}

/*
 * The socket closes first; the peer's FIN (TSval returned) puts it in
 * TIME_WAIT.  *@ack gets the socket's last ACK.
 *	socket  F.  seq isn+1, ack pisn+1
 *	peer    F.  seq pisn+1, ack isn+2
 *	socket  .   seq isn+2, ack pisn+2     TIME_WAIT
 */
static uint32_t close_to_time_wait(struct __test_metadata *_metadata,
				   struct run *r, struct xseg *ack)
{
	struct xconn *c = &r->c;
	struct xseg s;

	close(c->fd);
	c->fd = -1;
	EXPECT_TS_SEG(r, &s, F_FIN | F_ACK, c->isn + 1, PISN + 1);
	r->tsecr = s.tsval;
	s = peer_seg(r, PISN + 1, c->isn + 2, F_FIN | F_ACK);
	EXPECT_EQ(0, xpeer_send(r->p, &s));
	EXPECT_TS_SEG(r, ack, F_ACK, c->isn + 2, PISN + 2);
	r->tsecr = ack->tsval;
	EXPECT_EQ(0x06, wait_proc_state(r->family, c->lport, c->rport, 0x06))
		TH_LOG("%s: not in TIME_WAIT", r->name);
	return s.tsval;
}

/* Sends @s from the peer and expects the entry's ACK with timestamps. */
static void expect_tw_ack(struct __test_metadata *_metadata, struct run *r,
			  struct xseg *s, uint32_t tsecr, uint32_t last_tsval,
			  const char *what)
{
	struct xconn *c = &r->c;
	struct xseg a;

	ASSERT_EQ(0, xpeer_send(r->p, s));
	XSEG_EXPECT(r->p, &a, 2000, F_ACK, c->isn + 2, PISN + 2);
	EXPECT_EQ(1, a.has_ts) TH_LOG("%s, %s: no timestamp", r->name, what);
	EXPECT_EQ(tsecr, a.tsecr) TH_LOG("%s, %s: TSecr", r->name, what);
	/* Our clock, at the connection's offset, went on. */
	EXPECT_LE(0, (int32_t)(a.tsval - last_tsval))
		TH_LOG("%s, %s: TSval %u after %u", r->name, what, a.tsval,
		       last_tsval);
	EXPECT_GT(10000, (int32_t)(a.tsval - last_tsval))
		TH_LOG("%s, %s: TSval %u after %u", r->name, what, a.tsval,
		       last_tsval);
}

/*
 *	(open, close to TIME_WAIT: the peer's FIN has TSval t1)
 *	peer    F.  seq pisn+1, TSval t1+1     again: our ACK was lost
 *	entry   .   ack pisn+2, TSecr t1       (the FIN was not new)
 *	peer    .   seq pisn+2, TSval t1+2     in the window: taken
 *	peer    .   seq pisn+2+100000          out of the window
 *	entry   .   ack pisn+2, TSecr t1+2
 */
static void time_wait_acks(struct __test_metadata *_metadata, struct run *r,
			   uint16_t rport)
{
	struct xconn *c = &r->c;
	struct xseg s, ack;
	uint32_t t1;

	ASSERT_EQ(0, open_ts(_metadata, r, rport, 0, &s));
	t1 = close_to_time_wait(_metadata, r, &ack);
	sleep_ms(50);
	s = peer_seg(r, PISN + 1, c->isn + 2, F_FIN | F_ACK);
	expect_tw_ack(_metadata, r, &s, t1, ack.tsval + 40, "FIN again");
	s = peer_seg(r, PISN + 2, c->isn + 2, F_ACK);
	ASSERT_EQ(0, xpeer_send(r->p, &s));
	XSEG_EXPECT_SILENCE(r->p, 100);
	s = peer_seg(r, PISN + 2 + 100000, c->isn + 2, F_ACK);
	expect_tw_ack(_metadata, r, &s, t1 + 2, ack.tsval + 40,
		      "out of the window");
}

TEST_F(tw, time_wait_acks_carry_timestamps)
{
	time_wait_acks(_metadata, &self->tcp, 4001);
	time_wait_acks(_metadata, &self->xtcp, 4002);
}

/*
 *	(open, close to TIME_WAIT: the peer's FIN has TSval t1)
 *	peer    .   seq pisn+2, TSval t1-1000  old: fails PAWS
 *	entry   .   ack pisn+2, TSecr t1       PAWSRejected
 *	peer    R   seq pisn+2, TSval t1-1000  old: ignored, still 06
 *	peer    R   seq pisn+2, TSval t1+1     the entry goes
 */
static void time_wait_paws(struct __test_metadata *_metadata, struct run *r,
			   uint16_t rport)
{
	struct xconn *c = &r->c;
	long paws = xtcp_stat("PAWSRejected");
	struct xseg s, ack;
	uint32_t t1;

	ASSERT_EQ(0, open_ts(_metadata, r, rport, 0, &s));
	t1 = close_to_time_wait(_metadata, r, &ack);
	s = peer_seg(r, PISN + 2, c->isn + 2, F_ACK);
	s.tsval = t1 - 1000;
	expect_tw_ack(_metadata, r, &s, t1, ack.tsval, "an old TSval");
	if (r->family == AF_XTCP)
		EXPECT_EQ(paws + 1, xtcp_stat("PAWSRejected"));

	s = peer_seg(r, PISN + 2, 0, F_RST);
	s.tsval = t1 - 1000;
	ASSERT_EQ(0, xpeer_send(r->p, &s));
	XSEG_EXPECT_SILENCE(r->p, 100);
	EXPECT_EQ(0x06, proc_state(r->family, c->lport, c->rport))
		TH_LOG("%s: a RST with an old TSval ended TIME_WAIT", r->name);

	s = peer_seg(r, PISN + 2, 0, F_RST);
	ASSERT_EQ(0, xpeer_send(r->p, &s));
	EXPECT_EQ(-1, wait_proc_state(r->family, c->lport, c->rport, -1))
		TH_LOG("%s: a RST with a new TSval left TIME_WAIT", r->name);
}

TEST_F(tw, paws_in_time_wait_answers_and_ignores_old_timestamps)
{
	time_wait_paws(_metadata, &self->tcp, 4011);
	time_wait_paws(_metadata, &self->xtcp, 4012);
}

/*
 * One ephemeral port, its four-tuple to 10.0.0.2 in TIME_WAIT for over a
 * second: tw_reuse 2 (not loopback) and 0 refuse it, 1 takes it over.
 *	(open from port P, close to TIME_WAIT: the old snd_nxt is isn+2,
 *	 the peer's last TSval t1)
 *	connect() with tw_reuse 2, 0       EADDRNOTAVAIL
 *	connect() with tw_reuse 1
 *	socket  S   from P, seq isn+2+65535+2, TSecr t1
 */
static void tw_reuse_off_loopback(struct __test_metadata *_metadata,
				  struct run *r, uint16_t rport)
{
	struct xconn *c = &r->c;
	long recycled = xtcp_stat("TWRecycled");
	uint32_t old_isn, t1;
	uint16_t old_port;
	struct xseg s, ack;

	ASSERT_EQ(0, open_ts(_metadata, r, rport, 0, &s));
	old_isn = c->isn;
	old_port = c->lport;
	t1 = close_to_time_wait(_metadata, r, &ack);
	sleep_ms(1100);

	ASSERT_EQ(0, set_tw_reuse(2));
	EXPECT_EQ(-EADDRNOTAVAIL, open_ts(_metadata, r, rport, 0, &s))
		TH_LOG("%s: tw_reuse 2 took a four-tuple off loopback",
		       r->name);
	close(c->fd);
	ASSERT_EQ(0, set_tw_reuse(0));
	EXPECT_EQ(-EADDRNOTAVAIL, open_ts(_metadata, r, rport, 0, &s))
		TH_LOG("%s: tw_reuse 0 took a four-tuple", r->name);
	close(c->fd);
	c->fd = -1;

	ASSERT_EQ(0, set_tw_reuse(1));
	ASSERT_EQ(0, open_ts(_metadata, r, rport, 0, &s))
		TH_LOG("%s: tw_reuse 1 did not take the four-tuple", r->name);
	EXPECT_EQ(old_port, s.sport);
	EXPECT_EQ(old_isn + 2 + 65535 + 2, s.seq)
		TH_LOG("%s: ISN %u, old snd_nxt %u", r->name, s.seq,
		       old_isn + 2);
	EXPECT_EQ(1, s.has_ts);
	EXPECT_EQ(t1, s.tsecr) TH_LOG("%s: the SYN's TSecr", r->name);
	if (r->family == AF_XTCP)
		EXPECT_EQ(recycled + 1, xtcp_stat("TWRecycled"));
}

TEST_F(tw, tw_reuse_1_takes_a_four_tuple_over_and_2_only_on_loopback)
{
	ASSERT_EQ(0, one_port(40100));
	tw_reuse_off_loopback(_metadata, &self->tcp, 4021);
	tw_reuse_off_loopback(_metadata, &self->xtcp, 4022);
}

/*
 * A socket bound to its port (SO_REUSEADDR) connects from a four-tuple
 * in TIME_WAIT at once, tw_reuse 0: Linux's connect() checks a bound
 * port's four-tuple without tw_reuse's rule.
 */
static void bound_port(struct __test_metadata *_metadata, struct run *r,
		       uint16_t rport, uint16_t port)
{
	struct xconn *c = &r->c;
	struct xseg s, ack;
	uint32_t old_isn;

	ASSERT_EQ(0, open_ts(_metadata, r, rport, port, &s));
	old_isn = c->isn;
	close_to_time_wait(_metadata, r, &ack);
	ASSERT_EQ(0, open_ts(_metadata, r, rport, port, &s))
		TH_LOG("%s: a bound port did not take the four-tuple",
		       r->name);
	EXPECT_EQ(port, s.sport);
	EXPECT_EQ(old_isn + 2 + 65535 + 2, s.seq);
}

TEST_F(tw, a_socket_bound_to_its_port_takes_a_time_wait_four_tuple_over)
{
	ASSERT_EQ(0, set_tw_reuse(0));
	bound_port(_metadata, &self->tcp, 4031, 40200);
	bound_port(_metadata, &self->xtcp, 4032, 40200);
}

/* ---- over loopback ---- */

FIXTURE(lo) {
	int tcp_l, xtcp_l;
};

static int lo_listener(int family)
{
	struct sockaddr_in sin = xc_addr("127.0.0.1", LO_PORT);
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) || listen(fd, 8)) {
		close(fd);
		return -1;
	}
	return fd;
}

FIXTURE_SETUP(lo)
{
	ASSERT_EQ(0, xtcp_ensure_loaded());
	ASSERT_EQ(0, xtcp_netns_with_lo());
	ASSERT_EQ(0, xtcp_sysctl_set("msl_ms", 30000));
	ASSERT_EQ(0, one_port(40300));
	self->tcp_l = lo_listener(AF_INET);
	self->xtcp_l = lo_listener(AF_XTCP);
	ASSERT_LE(0, self->tcp_l);
	ASSERT_LE(0, self->xtcp_l);
}

FIXTURE_TEARDOWN(lo)
{
	close(self->tcp_l);
	close(self->xtcp_l);
}

/* connect() to the listener from the one ephemeral port: 0 or -errno;
 * *@fd and *@afd get the two ends.
 */
static int lo_connect(int family, int lfd, int *fd, int *afd)
{
	struct sockaddr_in to = xc_addr("127.0.0.1", LO_PORT);

	*afd = -1;
	*fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*fd < 0)
		return -errno;
	if (connect(*fd, (struct sockaddr *)&to, sizeof(to))) {
		int err = errno;

		close(*fd);
		*fd = -1;
		return -err;
	}
	*afd = accept(lfd, NULL, NULL);
	return *afd < 0 ? -errno : 0;
}

/* A connection from port 40300 that the client closed first: its
 * four-tuple is in TIME_WAIT when this returns.
 */
static void lo_time_wait(struct __test_metadata *_metadata, int family,
			 int lfd)
{
	int fd, afd;
	char b;

	ASSERT_EQ(0, lo_connect(family, lfd, &fd, &afd));
	close(fd);
	EXPECT_EQ(0, recv(afd, &b, 1, 0));
	close(afd);
	ASSERT_EQ(0x06, wait_proc_state(family, 40300, LO_PORT, 0x06));
}

/* Another connection on the four-tuple, and a byte each way over it. */
static void lo_expect_reuse(struct __test_metadata *_metadata, int family,
			    int lfd, const char *name, int reuse)
{
	int fd, afd, ret;
	char b = 0;

	ret = lo_connect(family, lfd, &fd, &afd);
	ASSERT_EQ(0, ret) TH_LOG("%s, tw_reuse %d: %s", name, reuse,
				 strerror(-ret));
	EXPECT_EQ(40300, xc_local_port(fd));
	EXPECT_EQ(1, send(fd, "a", 1, 0));
	EXPECT_EQ(1, recv(afd, &b, 1, 0));
	EXPECT_EQ('a', b);
	EXPECT_EQ(1, send(afd, "b", 1, 0));
	EXPECT_EQ(1, recv(fd, &b, 1, 0));
	EXPECT_EQ('b', b);
	xc_close_abort(fd);
	xc_close_abort(afd);
}

static uint64_t mono_ns(void)
{
	return xpeer_now_ns();
}

/*
 * Over loopback, tw_reuse 0 refuses the four-tuple (EADDRNOTAVAIL, as
 * TCP), and 1 and 2 refuse it within the second its last timestamp
 * came in (the entry is made early in a second, 100 ms past its start,
 * and the case is tried again if the second ended before connect()); a
 * second later 1 and 2 take it over.
 */
static int lo_tw_reuse(struct __test_metadata *_metadata, int family,
		       int lfd, const char *name)
{
	int fd, afd, ret, reuse, tries, taken = 0;
	uint64_t t0;

	for (reuse = 0; reuse <= 2; reuse++) {
		ASSERT_EQ(0, set_tw_reuse(reuse));
		for (tries = 0; tries < 5; tries++) {
			/* Not right at the second's start either: the
			 * kernel's second (ktime_get_seconds(), the entry's
			 * stamp) follows the clock at the next tick, later
			 * still after an idle spell, and an entry stamped
			 * with the second before would be taken.
			 */
			while (mono_ns() % 1000000000ull < 100000000ull ||
			       mono_ns() % 1000000000ull > 400000000ull)
				sleep_ms(10);
			t0 = mono_ns() / 1000000000ull;
			lo_time_wait(_metadata, family, lfd);
			ret = lo_connect(family, lfd, &fd, &afd);
			if (mono_ns() / 1000000000ull == t0)
				break;
			/* Too late: whatever it gave, take the entry away and
			 * try again.
			 */
			xc_close_abort(fd);
			xc_close_abort(afd);
			taken++;
			if (ret) {
				sleep_ms(1100);
				ASSERT_EQ(0, set_tw_reuse(1));
				ASSERT_EQ(0, lo_connect(family, lfd, &fd,
							&afd));
				xc_close_abort(fd);
				xc_close_abort(afd);
				ASSERT_EQ(0, set_tw_reuse(reuse));
			}
		}
		ASSERT_GT(5, tries);
		EXPECT_EQ(-EADDRNOTAVAIL, ret)
			TH_LOG("%s, tw_reuse %d: within the second: %s", name,
			       reuse, strerror(-ret));
		xc_close_abort(fd);
		xc_close_abort(afd);

		sleep_ms(1100);
		if (!reuse) {
			EXPECT_EQ(-EADDRNOTAVAIL,
				  lo_connect(family, lfd, &fd, &afd));
			xc_close_abort(fd);
			xc_close_abort(afd);
			/* Let the next round start from a free port. */
			ASSERT_EQ(0, set_tw_reuse(1));
		}
		lo_expect_reuse(_metadata, family, lfd, name, reuse);
		taken++;
	}
	return taken;
}

TEST_F_TIMEOUT(lo, tw_reuse_0_1_2_over_loopback, 60)
{
	long recycled = xtcp_stat("TWRecycled");
	int taken;

	lo_tw_reuse(_metadata, AF_INET, self->tcp_l, "TCP");
	taken = lo_tw_reuse(_metadata, AF_XTCP, self->xtcp_l, "XTCP");
	EXPECT_EQ(recycled + taken, xtcp_stat("TWRecycled"));
}

/* A socket bound (SO_REUSEADDR) to 127.0.0.1:40301 connects to the
 * listener: 0 or -errno.
 */
static int lo_bound_connect(int family, int *fd)
{
	struct sockaddr_in me = xc_addr("127.0.0.1", 40301);
	struct sockaddr_in to = xc_addr("127.0.0.1", LO_PORT);
	int one = 1, ret = 0;

	*fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*fd < 0)
		return -errno;
	if (setsockopt(*fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(*fd, (struct sockaddr *)&me, sizeof(me)) ||
	    connect(*fd, (struct sockaddr *)&to, sizeof(to)))
		ret = -errno;
	return ret;
}

/* Without timestamps no four-tuple is taken over, bound port or not. */
static void lo_no_timestamps(struct __test_metadata *_metadata, int family,
			     int lfd, const char *name)
{
	int fd, afd;
	char b;

	lo_time_wait(_metadata, family, lfd);
	sleep_ms(1100);
	EXPECT_EQ(-EADDRNOTAVAIL, lo_connect(family, lfd, &fd, &afd))
		TH_LOG("%s: ephemeral port", name);
	xc_close_abort(fd);
	xc_close_abort(afd);

	ASSERT_EQ(0, lo_bound_connect(family, &fd));
	afd = accept(lfd, NULL, NULL);
	ASSERT_LE(0, afd);
	close(fd);
	EXPECT_EQ(0, recv(afd, &b, 1, 0));
	close(afd);
	ASSERT_EQ(0x06, wait_proc_state(family, 40301, LO_PORT, 0x06));
	EXPECT_EQ(-EADDRNOTAVAIL, lo_bound_connect(family, &fd))
		TH_LOG("%s: bound port", name);
	close(fd);
}

TEST_F(lo, without_timestamps_no_four_tuple_is_taken_over)
{
	ASSERT_EQ(0, set_tw_reuse(1));
	ASSERT_EQ(0, write_file("/proc/sys/net/ipv4/tcp_timestamps", "0"));
	ASSERT_EQ(0, xtcp_sysctl_set("timestamps", 0));
	lo_no_timestamps(_metadata, AF_INET, self->tcp_l, "TCP");
	lo_no_timestamps(_metadata, AF_XTCP, self->xtcp_l, "XTCP");
}

TEST_HARNESS_MAIN
