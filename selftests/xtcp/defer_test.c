// SPDX-License-Identifier: GPL-2.0
/*
 * TCP_DEFER_ACCEPT on a listener, run on a Linux TCP socket and on an
 * XTCP socket with the same script against the scripted peer, with the
 * same expectations: Linux's rules (tcp_check_req(), syn_ack_recalc()),
 * which RFC 9293 does not have.
 *
 * - The seconds are kept as SYN-ACK timeouts (1 s, then doubling) and
 *   read back as the whole time those take.
 * - A final ACK with neither data nor FIN makes no connection while the
 *   period lasts (DeferAcceptDrop); data or a FIN makes it at once.
 * - While it waits, the entry resends no SYN-ACK until the period's last
 *   timeout, and outlives synack_retries until the period is over; a
 *   bare ACK after that makes the connection.
 * - A SYN-ACK with a cookie holds nothing: its ACK makes the connection.
 * - A connecting socket with the option delays its handshake ACK for
 *   its first data to carry.
 */
#include <limits.h>
#include <netinet/tcp.h>

#include "kselftest_harness.h"
#include "xtcp_util.h"
#include "peer.h"
#include "xtcp_conn.h"

#define RPORT		44101
#define LPORT		6301
#define PISN		0x5a000000u

FIXTURE(defer) {
	struct xpeer p;
	struct xconn c;
	int lfd;
	long synack_retries;	/* to restore */
	long syncookies;
	long rto_initial_ms;
};

FIXTURE_VARIANT(defer) {
	int family;
	int proto;
	const char *knobs;	/* the sysctl directory, with the prefix */
	const char *drops;	/* the counter of bare ACKs held */
};

FIXTURE_VARIANT_ADD(defer, tcp) {
	.family = AF_INET,
	.proto = IPPROTO_TCP,
	.knobs = "/proc/sys/net/ipv4/tcp_",
	.drops = "TCPDeferAcceptDrop",
};

FIXTURE_VARIANT_ADD(defer, xtcp) {
	.family = AF_XTCP,
	.proto = IPPROTO_XTCP,
	.knobs = "/proc/sys/net/xtcp/",
	.drops = "DeferAcceptDrop",
};

static long knob_get(const FIXTURE_VARIANT(defer) *variant, const char *name)
{
	char path[128];
	long v = LONG_MIN;
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", variant->knobs, name);
	f = fopen(path, "re");
	if (!f)
		return LONG_MIN;
	if (fscanf(f, "%ld", &v) != 1)
		v = LONG_MIN;
	fclose(f);
	return v;
}

static int knob_set(const FIXTURE_VARIANT(defer) *variant, const char *name,
		    long v)
{
	char path[128];

	snprintf(path, sizeof(path), "%s%s", variant->knobs, name);
	return write_knob(path, v);
}

/* A TcpExt counter from /proc/net/netstat: a line of names, then one of
 * values in the same order.
 */
static long tcpext_stat(const char *name)
{
	static char names[8192], vals[8192];
	FILE *f = fopen("/proc/net/netstat", "re");
	char *ns, *vs, *n, *v;
	long ret = -1;

	if (!f)
		return -1;
	while (fgets(names, sizeof(names), f) &&
	       fgets(vals, sizeof(vals), f)) {
		if (strncmp(names, "TcpExt:", 7))
			continue;
		n = strtok_r(names, " \n", &ns);
		v = strtok_r(vals, " \n", &vs);
		while (n && v) {
			if (!strcmp(n, name)) {
				ret = atol(v);
				break;
			}
			n = strtok_r(NULL, " \n", &ns);
			v = strtok_r(NULL, " \n", &vs);
		}
		break;
	}
	fclose(f);
	return ret;
}

static long drops(const FIXTURE_VARIANT(defer) *variant)
{
	return variant->proto == IPPROTO_TCP ? tcpext_stat(variant->drops) :
	       xtcp_stat(variant->drops);
}

FIXTURE_SETUP(defer)
{
	self->c.fd = self->lfd = -1;
	ASSERT_EQ(0, xtcp_ensure_loaded());
	self->synack_retries = knob_get(variant, "synack_retries");
	self->syncookies = knob_get(variant, "syncookies");
	ASSERT_NE(LONG_MIN, self->synack_retries);
	ASSERT_NE(LONG_MIN, self->syncookies);
	/* Linux's SYN-ACK timeouts start at 1 s; XTCP's at this. */
	self->rto_initial_ms = xtcp_sysctl_get("rto_initial_ms");
	ASSERT_EQ(0, xtcp_sysctl_set("rto_initial_ms", 1000));
	ASSERT_EQ(0, xpeer_setup(&self->p));
	self->p.proto = variant->proto;
	self->c.lport = LPORT;
	self->c.rport = RPORT;
	self->c.pisn = PISN;
}

FIXTURE_TEARDOWN(defer)
{
	if (self->c.fd >= 0)
		xc_close_abort(self->c.fd);
	if (self->lfd >= 0)
		close(self->lfd);
	xpeer_teardown(&self->p);
	knob_set(variant, "synack_retries", self->synack_retries);
	knob_set(variant, "syncookies", self->syncookies);
	xtcp_sysctl_set("rto_initial_ms", self->rto_initial_ms);
}

static int set_defer(int fd, int secs)
{
	return setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &secs,
			  sizeof(secs));
}

static int get_defer(int fd)
{
	socklen_t len = sizeof(int);
	int v = INT_MIN;

	if (getsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &v, &len))
		return INT_MIN;
	return v;
}

/* A nonblocking listener with TCP_DEFER_ACCEPT @secs. */
static int defer_listen(struct __test_metadata *_metadata,
			const FIXTURE_VARIANT(defer) *variant, int secs)
{
	struct sockaddr_in sin = xc_addr(XPEER_LOCAL_ADDR, LPORT);
	int fd = socket(variant->family,
			SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	EXPECT_LE(0, fd);
	EXPECT_EQ(0, bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(0, listen(fd, 8));
	EXPECT_EQ(0, set_defer(fd, secs));
	return fd;
}

/* The peer's SYN and the listener's SYN-ACK: its ISN in self->c.isn. */
static uint64_t syn_synack(struct __test_metadata *_metadata,
			   FIXTURE_DATA(defer) *self)
{
	struct xseg s;

	PEER_SEND(&self->p, RPORT, LPORT, PISN, 0, F_SYN, NULL, 0);
	XSEG_EXPECT(&self->p, &s, 2000, F_SYN | F_ACK, XSEG_ANY, PISN + 1);
	self->c.isn = s.seq;
	return s.when_ns;
}

/* accept() on the nonblocking listener finds nothing. */
static void expect_no_child(struct __test_metadata *_metadata,
			    FIXTURE_DATA(defer) *self)
{
	struct pollfd pfd = { .fd = self->lfd, .events = POLLIN };
	int fd;

	EXPECT_EQ(0, poll(&pfd, 1, 0));
	fd = accept(self->lfd, NULL, NULL);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(EAGAIN, errno);
	if (fd >= 0)
		close(fd);
}

/* accept() finds the connection, within a second. */
static void expect_child(struct __test_metadata *_metadata,
			 FIXTURE_DATA(defer) *self)
{
	struct pollfd pfd = { .fd = self->lfd, .events = POLLIN };

	ASSERT_EQ(1, poll(&pfd, 1, 1000));
	self->c.fd = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, self->c.fd);
}

/*
 * The seconds read back as the SYN-ACK timeouts that cover them take in
 * all (1, 1+2, 1+2+4, ... s, each at most 120 s, at most 255 of them),
 * on a socket before listen() and on a listener alike; below 0 is 0.
 * An accepted connection does not inherit it.
 */
TEST_F(defer, seconds_read_back_as_whole_synack_timeouts)
{
	static const struct { int set, get; } vals[] = {
		{ 0, 0 }, { 1, 1 }, { 2, 3 }, { 3, 3 }, { 4, 7 }, { 5, 7 },
		{ 7, 7 }, { 8, 15 }, { 100, 127 }, { 128, 247 },
		{ 1000, 1087 }, { INT_MAX, 29887 }, { -1, 0 }, { INT_MIN, 0 },
	};
	struct sockaddr_in sin = xc_addr(XPEER_LOCAL_ADDR, LPORT);
	int fd = socket(variant->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	size_t i;

	ASSERT_LE(0, fd);
	for (i = 0; i < ARRAY_SIZE(vals); i++) {
		EXPECT_EQ(0, set_defer(fd, vals[i].set));
		EXPECT_EQ(vals[i].get, get_defer(fd))
			TH_LOG("set %d", vals[i].set);
	}
	EXPECT_EQ(0, set_defer(fd, 5));
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, listen(fd, 8));
	EXPECT_EQ(7, get_defer(fd));	/* listen() keeps it */
	EXPECT_EQ(0, set_defer(fd, 2));
	EXPECT_EQ(3, get_defer(fd));
	close(fd);
}

/*
 * A bare final ACK makes no connection: accept() would block, and the
 * counter says why.  The peer's data then makes it at once, with the
 * data to read; the connection itself reads 0.
 */
TEST_F(defer, a_bare_ack_waits_for_the_data)
{
	char buf[16];
	long before;

	self->lfd = defer_listen(_metadata, variant, 3);
	syn_synack(_metadata, self);
	before = drops(variant);
	CONN_SEND(&self->p, &self->c, PISN + 1, self->c.isn + 1, F_ACK,
		  NULL, 0);
	sleep_ms(200);
	expect_no_child(_metadata, self);
	EXPECT_EQ(before + 1, drops(variant));

	CONN_SEND(&self->p, &self->c, PISN + 1, self->c.isn + 1,
		  F_ACK | F_PSH, "hello", 5);
	expect_child(_metadata, self);
	EXPECT_EQ(5, recv(self->c.fd, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	EXPECT_EQ(0, get_defer(self->c.fd));
	EXPECT_EQ(before + 1, drops(variant));
}

/* The peer's FIN, after a bare ACK, makes the connection too. */
TEST_F(defer, a_fin_makes_the_connection)
{
	char buf[16];

	self->lfd = defer_listen(_metadata, variant, 3);
	syn_synack(_metadata, self);
	CONN_SEND(&self->p, &self->c, PISN + 1, self->c.isn + 1, F_ACK,
		  NULL, 0);
	sleep_ms(100);
	expect_no_child(_metadata, self);
	CONN_SEND(&self->p, &self->c, PISN + 1, self->c.isn + 1,
		  F_ACK | F_FIN, NULL, 0);
	expect_child(_metadata, self);
	EXPECT_EQ(0, recv(self->c.fd, buf, sizeof(buf), MSG_DONTWAIT));
}

/*
 * 3 s is two SYN-ACK timeouts (1 s, then 2 s).  After a bare ACK the
 * first timeout resends nothing; the second, the period's last, does,
 * about 3 s after the first SYN-ACK, though synack_retries (1) would
 * have ended an entry without the ACK there.  A bare ACK to it makes the
 * connection, and is not counted as held.
 */
TEST_F(defer, the_synack_goes_again_at_the_periods_end)
{
	uint64_t t0;
	struct xseg s;
	long before;
	double gap;

	ASSERT_EQ(0, knob_set(variant, "synack_retries", 1));
	self->lfd = defer_listen(_metadata, variant, 3);
	t0 = syn_synack(_metadata, self);
	CONN_SEND(&self->p, &self->c, PISN + 1, self->c.isn + 1, F_ACK,
		  NULL, 0);
	XSEG_EXPECT_SILENCE(&self->p, 2000);	/* not at 1 s */
	expect_no_child(_metadata, self);
	XSEG_EXPECT(&self->p, &s, 3000, F_SYN | F_ACK, self->c.isn, PISN + 1);
	gap = ms_between(t0, s.when_ns);
	EXPECT_LE(2500, gap);
	EXPECT_GE(4500, gap);

	before = drops(variant);
	CONN_SEND(&self->p, &self->c, PISN + 1, self->c.isn + 1, F_ACK,
		  NULL, 0);
	expect_child(_metadata, self);
	EXPECT_EQ(before, drops(variant));
}

/*
 * Without the peer's ACK the entry resends on its usual schedule: the
 * option holds back nothing until an ACK comes.
 */
TEST_F(defer, without_an_ack_synacks_go_as_usual)
{
	uint64_t t0;
	struct xseg s;
	double gap;

	self->lfd = defer_listen(_metadata, variant, 3);
	t0 = syn_synack(_metadata, self);
	XSEG_EXPECT(&self->p, &s, 2000, F_SYN | F_ACK, self->c.isn, PISN + 1);
	gap = ms_between(t0, s.when_ns);
	EXPECT_LE(700, gap);
	EXPECT_GE(1600, gap);
}

/*
 * A cookie's ACK is not held: with no entry to wait in, Linux's
 * cookie_v4_check() makes the connection whatever TCP_DEFER_ACCEPT says.
 */
TEST_F(defer, a_cookies_ack_is_not_held)
{
	long before;

	ASSERT_EQ(0, knob_set(variant, "syncookies", 2));
	self->lfd = defer_listen(_metadata, variant, 3);
	syn_synack(_metadata, self);
	before = drops(variant);
	CONN_SEND(&self->p, &self->c, PISN + 1, self->c.isn + 1, F_ACK,
		  NULL, 0);
	expect_child(_metadata, self);
	EXPECT_EQ(before, drops(variant));
}

/*
 * A connecting socket with the option, the peer's SYN-ACK sent: the
 * time it was sent; the socket in self->c.fd, connected.
 */
static uint64_t defer_connect(struct __test_metadata *_metadata,
			      FIXTURE_DATA(defer) *self,
			      const FIXTURE_VARIANT(defer) *variant)
{
	struct sockaddr_in to = xc_addr(XPEER_REMOTE_ADDR, RPORT);
	struct pollfd pfd = { .events = POLLOUT };
	struct xseg s;
	uint64_t t0;

	self->c.fd = socket(variant->family,
			    SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	EXPECT_LE(0, self->c.fd);
	EXPECT_EQ(0, set_defer(self->c.fd, 1));
	EXPECT_EQ(-1, connect(self->c.fd, (struct sockaddr *)&to, sizeof(to)));
	EXPECT_EQ(EINPROGRESS, errno);
	XSEG_EXPECT(&self->p, &s, 2000, F_SYN, XSEG_ANY, XSEG_ANY);
	self->c.lport = s.sport;
	self->c.isn = s.seq;
	t0 = xpeer_now_ns();
	PEER_SEND(&self->p, RPORT, self->c.lport, PISN, self->c.isn + 1,
		  F_SYN | F_ACK, NULL, 0);
	pfd.fd = self->c.fd;
	EXPECT_EQ(1, poll(&pfd, 1, 1000));
	return t0;
}

/*
 * On a connecting socket the option holds the handshake's last ACK, as
 * a delayed ACK of up to 200 ms (Linux's TCP_DELACK_MAX), though
 * connect() completes at once.
 */
TEST_F(defer, a_connecting_socket_holds_its_last_ack)
{
	uint64_t t0 = defer_connect(_metadata, self, variant);
	struct xseg s;
	double gap;

	XSEG_EXPECT(&self->p, &s, 1000, F_ACK, self->c.isn + 1, PISN + 1);
	EXPECT_EQ(0, s.len);
	gap = ms_between(t0, s.when_ns);
	EXPECT_LE(150, gap);
	EXPECT_GE(600, gap);
}

/* ... so that the first data carries it. */
TEST_F(defer, a_connecting_sockets_first_data_carries_its_last_ack)
{
	struct xseg s;

	defer_connect(_metadata, self, variant);
	EXPECT_EQ(1, send(self->c.fd, "x", 1, 0));
	XSEG_EXPECT_DATA(&self->p, &s, 1000, self->c.isn + 1, PISN + 1);
	EXPECT_EQ(1, s.len);
	/* Past the 200 ms: no ACK of its own follows. */
	CONN_SEND(&self->p, &self->c, PISN + 1, self->c.isn + 2, F_ACK,
		  NULL, 0);
	XSEG_EXPECT_SILENCE(&self->p, 400);
}

TEST_HARNESS_MAIN
