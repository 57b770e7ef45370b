// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile peer, scripted: what it sends must never crash XTCP, make it
 * hold memory without bound, or let it break a connection it does not
 * own.  Each case is one of Linux TCP's CVEs, replayed.
 *
 * The peer's MSS (CVE-2019-11479): a SYN or SYN-ACK may offer any MSS,
 * down to 1 byte, or 12 with timestamps (12 bytes of option each segment,
 * so nothing left for data).  As Linux, the MSS in use never goes below
 * net.xtcp.min_snd_mss (48, options included): 36 bytes of payload with
 * timestamps, 48 without.
 *
 * Timestamps (RFC 7323, Linux's tcp_replace_ts_recent()): the TSval to
 * echo, and to hold later segments to by PAWS, is taken only from a
 * segment that passed every check.  A blind sender that guesses a
 * sequence number in the window but not the ACK (or sends a SYN, or a RST
 * that is not exact) with a TSval far ahead must not make the real peer's
 * next segments fail PAWS.
 *
 * SACK (CVE-2019-11478): a peer that SACKs every other byte of what is
 * in flight must not make the sender cut its queue into one skb per
 * byte: only whole segments are ever marked, so such blocks cut nothing.
 *
 * Syncookies: an ACK that finds no SYN-queue entry is checked as a cookie
 * only while a cookie the listener sent may still be good; otherwise any
 * stray ACK would be a free guess at one.
 *
 * Answers to unacceptable segments (RFC 5961 challenge ACKs, duplicate
 * ACKs for segments out of the window): one per socket per
 * net.xtcp.invalid_ratelimit_ms, as Linux's tcp_oow_rate_limited(), and
 * no namespace-wide count by default: a flood at one connection cannot
 * silence the challenge ACKs of another (CVE-2016-5696's side channel).
 *
 * SACK reneging (RFC 2018 section 8): a receiver may drop data it
 * SACKed.  At a timeout with a SACKed segment at snd_una, every SACK mark
 * goes and the resend starts at snd_una.
 *
 * A child whose handshake completes with no route back is freed whole.
 * A SYN-queue entry whose last timeout runs on one CPU while its final
 * ACK makes a child on the other: one of them wins, the other backs off.
 *
 * A socket whose connection failed or was dissolved (a refused
 * connect(), connect(AF_UNSPEC)) connects again and carries data both
 * ways, as on Linux (tcp_disconnect()): nothing of the old connection's
 * end (its shutdown, its error, its FIN) may stick to the new one.
 *
 * Comments read "who flags seq ack" with offsets from the ISNs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/filter.h>
#include <linux/sock_diag.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "kselftest_harness.h"
#include "xtcp_util.h"
#include "peer.h"
#include "xtcp_conn.h"

#define LPORT		5001
#define RPORT		40001
#define PISN		0x70000000u
#define TSVAL		1000

FIXTURE(hp) {
	struct xpeer p;
	struct xconn c;
	int lfd;
	uint32_t tsecr;		/* the module's last TSval, to echo */
	int sack;		/* the peer's SYN offers SACK */
};

FIXTURE_SETUP(hp)
{
	self->c.fd = -1;
	self->lfd = -1;
	ASSERT_EQ(0, xtcp_ensure_loaded());
	ASSERT_EQ(0, xpeer_setup(&self->p));
}

FIXTURE_TEARDOWN(hp)
{
	xc_close_abort(self->c.fd);
	if (self->lfd >= 0)
		close(self->lfd);
	xpeer_teardown(&self->p);
}

/* A segment from the peer, with timestamps when @ts. */
static struct xseg peer_seg(struct xconn *c, uint32_t seq, uint32_t ack,
			    uint8_t flags, int ts, uint32_t tsecr)
{
	struct xseg s = xc_seg(c->rport, c->lport, seq, ack, flags);

	if (ts) {
		s.has_ts = 1;
		s.tsval = TSVAL;
		s.tsecr = tsecr;
	}
	return s;
}

/*
 * The passive open with the peer's SYN offering @mss (timestamps too
 * when @ts):
 *	peer    S   seq 0, mss @mss
 *	module  S.  seq 0, ack 1
 *	peer    .   seq 1, ack 1
 * then accept().
 */
static void passive_open(struct __test_metadata *_metadata,
			 FIXTURE_DATA(hp) *self, uint16_t mss, int ts)
{
	struct xconn *c = &self->c;
	struct xseg s;

	self->lfd = xc_listen(_metadata, LPORT, 8, 0);
	c->lport = LPORT;
	c->rport = RPORT;
	c->pisn = PISN;
	s = peer_seg(c, PISN, 0, F_SYN, ts, 0);
	s.mss = mss;
	s.has_sackperm = self->sack;
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	XSEG_EXPECT(&self->p, &s, 2000, F_SYN | F_ACK, XSEG_ANY, PISN + 1);
	ASSERT_EQ(ts, s.has_ts);
	c->isn = s.seq;
	self->tsecr = s.tsval;
	s = peer_seg(c, PISN + 1, c->isn + 1, F_ACK, ts, self->tsecr);
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	c->fd = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, c->fd);
}

/* The active open, the peer's SYN-ACK offering @mss (and timestamps),
 * on a new socket or on self->c.fd when it is open already.
 */
static void active_open(struct __test_metadata *_metadata,
			FIXTURE_DATA(hp) *self, uint16_t mss, int ts)
{
	struct sockaddr_in to = xc_addr(XPEER_REMOTE_ADDR, RPORT);
	struct xconn *c = &self->c;
	struct xseg s;

	if (c->fd < 0)
		c->fd = socket(AF_XTCP, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, c->fd);
	ASSERT_EQ(0, xc_set_nonblock(c->fd, 1));
	ASSERT_EQ(-1, connect(c->fd, (struct sockaddr *)&to, sizeof(to)));
	ASSERT_EQ(EINPROGRESS, errno);
	XSEG_EXPECT(&self->p, &s, 2000, F_SYN, XSEG_ANY, XSEG_ANY);
	ASSERT_EQ(1, s.has_ts);
	c->lport = s.sport;
	c->rport = RPORT;
	c->isn = s.seq;
	c->pisn = PISN;
	self->tsecr = s.tsval;
	s = peer_seg(c, PISN, c->isn + 1, F_SYN | F_ACK, ts, self->tsecr);
	s.mss = mss;
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	XSEG_EXPECT(&self->p, &s, 2000, F_ACK, c->isn + 1, PISN + 1);
	ASSERT_EQ(0, xc_set_nonblock(c->fd, 0));
}

static int maxseg(int fd)
{
	socklen_t len = sizeof(int);
	int val = -1;

	if (getsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &val, &len))
		return -errno;
	return val;
}

/*
 * Writes @total bytes, then half-closes: the data must leave in segments
 * of exactly @seg bytes (the last one shorter), then the FIN, all within
 * the initial congestion window (10 segments).
 *	module  P.  1 .. @seg, @seg+1 .. 2*@seg, ...
 *	module  F.  seq @total+1
 */
static void sends_in_segments_of(struct __test_metadata *_metadata,
				 FIXTURE_DATA(hp) *self, size_t total,
				 size_t seg)
{
	struct xconn *c = &self->c;
	char data[512] = { 0 };
	size_t got = 0;
	struct xseg s;

	ASSERT_GE(sizeof(data), total);
	ASSERT_EQ((ssize_t)total, send(c->fd, data, total, 0));
	ASSERT_EQ(0, shutdown(c->fd, SHUT_WR));
	while (got < total) {
		ASSERT_EQ(1, xpeer_recv(&self->p, &s, 2000))
			TH_LOG("%zu of %zu bytes arrived", got, total);
		ASSERT_EQ((uint32_t)(c->isn + 1 + got), s.seq);
		if (s.flags & F_FIN)
			break;
		ASSERT_EQ(total - got < seg ? total - got : seg, s.len);
		got += s.len;
	}
	ASSERT_EQ(total, got);
	/* The FIN, alone or on the last data segment. */
	if (!(s.flags & F_FIN))
		XSEG_EXPECT(&self->p, &s, 2000, F_FIN | F_ACK,
			    (uint32_t)(c->isn + 1 + total), PISN + 1);
}

/* MSS 12 with timestamps left 0 bytes of payload: a division by zero at
 * the first send() (and MSS 1-11 wrapped to about 4 G).
 */
TEST_F(hp, passive_side_floors_mss_12_with_timestamps_at_36_bytes)
{
	passive_open(_metadata, self, 12, 1);
	EXPECT_EQ(36, maxseg(self->c.fd));
	sends_in_segments_of(_metadata, self, 200, 36);
}

TEST_F(hp, active_side_floors_mss_12_with_timestamps_at_36_bytes)
{
	active_open(_metadata, self, 12, 1);
	EXPECT_EQ(36, maxseg(self->c.fd));
	sends_in_segments_of(_metadata, self, 200, 36);
}

TEST_F(hp, passive_side_floors_mss_1_with_timestamps_at_36_bytes)
{
	passive_open(_metadata, self, 1, 1);
	EXPECT_EQ(36, maxseg(self->c.fd));
	sends_in_segments_of(_metadata, self, 100, 36);
}

/* Without timestamps: 1-byte segments before, 48 now. */
TEST_F(hp, passive_side_floors_mss_1_without_timestamps_at_48_bytes)
{
	passive_open(_metadata, self, 1, 0);
	EXPECT_EQ(48, maxseg(self->c.fd));
	sends_in_segments_of(_metadata, self, 200, 48);
}

TEST_F(hp, active_side_floors_mss_1_without_timestamps_at_48_bytes)
{
	active_open(_metadata, self, 1, 0);
	EXPECT_EQ(48, maxseg(self->c.fd));
	sends_in_segments_of(_metadata, self, 200, 48);
}

/* net.xtcp.min_snd_mss: TCP's range (48 up), and it moves the floor. */
TEST_F(hp, min_snd_mss_sysctl_has_tcps_range_and_sets_the_floor)
{
	EXPECT_EQ(48, xtcp_sysctl_get("min_snd_mss"));
	EXPECT_EQ(-EINVAL, xtcp_sysctl_set("min_snd_mss", 47));
	EXPECT_EQ(-EINVAL, xtcp_sysctl_set("min_snd_mss", 65536));
	ASSERT_EQ(0, xtcp_sysctl_set("min_snd_mss", 100));
	passive_open(_metadata, self, 1, 0);
	EXPECT_EQ(100, maxseg(self->c.fd));
	sends_in_segments_of(_metadata, self, 300, 100);
}

/* A sane MSS under the route's is taken as it is. */
TEST_F(hp, an_ordinary_small_mss_is_used_as_offered)
{
	passive_open(_metadata, self, 536, 1);
	EXPECT_EQ(524, maxseg(self->c.fd));
}

/*
 * The forged segments start at or before rcv_nxt, where a TSval may be
 * taken (RFC 7323 section 4.3), and lie in the window.
 *
 * After @forged, the real peer's next segment (10 bytes, its TSval one
 * tick on) must be taken: ACKed, and readable.
 *	attacker  @forged            TSval 2^30 ahead
 *	peer      P.  seq 1, ack 1   10 bytes, TSval +1
 *	module    .   ack 11         (perhaps after a challenge ACK)
 */
static void real_peer_survives(struct __test_metadata *_metadata,
			       FIXTURE_DATA(hp) *self, struct xseg *forged)
{
	struct xconn *c = &self->c;
	const char data[10] = "0123456789";
	char buf[16];
	struct xseg s;
	int i;

	forged->has_ts = 1;
	forged->tsval = TSVAL + (1u << 30);
	forged->tsecr = self->tsecr;
	ASSERT_EQ(0, xpeer_send(&self->p, forged));
	s = peer_seg(c, PISN + 1, c->isn + 1, F_PSH | F_ACK, 1, self->tsecr);
	s.tsval = TSVAL + 1;
	s.data = (const uint8_t *)data;
	s.len = sizeof(data);
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(1, xpeer_recv(&self->p, &s, 1000))
			TH_LOG("the peer's data was never acknowledged");
		if (s.ack == PISN + 1 + sizeof(data))
			break;
	}
	ASSERT_EQ(PISN + 1 + sizeof(data), s.ack);
	EXPECT_EQ(TSVAL + 1, s.tsecr);
	ASSERT_EQ((ssize_t)sizeof(data), recv(c->fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, data, sizeof(data)));
}

TEST_F(hp, in_window_segment_without_ack_does_not_move_ts_recent)
{
	struct xseg f;

	passive_open(_metadata, self, 1460, 1);
	f = peer_seg(&self->c, PISN + 1, 0, F_PSH, 1, 0);
	f.data = (const uint8_t *)"x";
	f.len = 1;
	real_peer_survives(_metadata, self, &f);
}

TEST_F(hp, in_window_syn_does_not_move_ts_recent)
{
	struct xseg f;

	passive_open(_metadata, self, 1460, 1);
	f = peer_seg(&self->c, PISN + 1, 0, F_SYN, 1, 0);
	real_peer_survives(_metadata, self, &f);
}

TEST_F(hp, rst_across_rcv_nxt_does_not_move_ts_recent)
{
	struct xseg f;

	passive_open(_metadata, self, 1460, 1);
	f = peer_seg(&self->c, PISN, 0, F_RST, 1, 0);
	f.data = (const uint8_t *)"xy";	/* across rcv_nxt: not exact */
	f.len = 2;
	real_peer_survives(_metadata, self, &f);
}

/* An ACK for data never sent is no ACK: its TSval is not taken either. */
TEST_F(hp, ack_of_unsent_data_does_not_move_ts_recent)
{
	struct xseg f;

	passive_open(_metadata, self, 1460, 1);
	f = peer_seg(&self->c, PISN + 1, self->c.isn + 100000, F_ACK, 1, 0);
	real_peer_survives(_metadata, self, &f);
}

/*
 * Data both ways on the connection the last active_open() made:
 *	module  P.  seq 1, ack 1   "hello"
 *	peer    P.  seq 1, ack 6   "world"
 */
static void data_both_ways(struct __test_metadata *_metadata,
			   FIXTURE_DATA(hp) *self)
{
	struct xconn *c = &self->c;
	char buf[8] = { 0 };
	struct xseg s;

	ASSERT_EQ(5, send(c->fd, "hello", 5, 0));
	XSEG_EXPECT(&self->p, &s, 2000, F_PSH | F_ACK, c->isn + 1, PISN + 1);
	ASSERT_EQ(5, s.len);
	s = peer_seg(c, PISN + 1, c->isn + 6, F_PSH | F_ACK, 1, s.tsval);
	s.data = (const uint8_t *)"world";
	s.len = 5;
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	ASSERT_EQ(5, recv(c->fd, buf, sizeof(buf), 0));
	EXPECT_STREQ("world", buf);
}

/*
 *	module  S          blocking connect()
 *	peer    R.  ack 1  connect() fails ECONNREFUSED
 * then a new handshake on the same socket, and data both ways.
 */
TEST_F(hp, socket_connects_again_after_econnrefused)
{
	struct xconn *c = &self->c;
	struct bg_connect b;
	struct xseg s;

	c->fd = socket(AF_XTCP, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, c->fd);
	ASSERT_EQ(0, bg_connect_start(&b, c->fd, RPORT));
	XSEG_EXPECT(&self->p, &s, 2000, F_SYN, XSEG_ANY, XSEG_ANY);
	c->lport = s.sport;
	c->rport = RPORT;
	PEER_SEND(&self->p, RPORT, c->lport, 0, s.seq + 1, F_RST | F_ACK,
		  NULL, 0);
	ASSERT_EQ(1, bg_connect_wait(&b, 2000));
	ASSERT_EQ(-1, b.ret);
	ASSERT_EQ(ECONNREFUSED, b.err);
	active_open(_metadata, self, 1460, 1);
	data_both_ways(_metadata, self);
}

/* connect(AF_UNSPEC) resets the connection (a RST goes); a new connect()
 * on the socket works as on a fresh one.
 */
TEST_F(hp, socket_connects_again_after_connect_af_unspec)
{
	struct sockaddr sa = { .sa_family = AF_UNSPEC };
	struct xconn *c = &self->c;
	struct xseg s;

	active_open(_metadata, self, 1460, 1);
	ASSERT_EQ(0, connect(c->fd, &sa, sizeof(sa)));
	XSEG_EXPECT(&self->p, &s, 2000, F_RST | F_ACK, c->isn + 1, PISN + 1);
	active_open(_metadata, self, 1460, 1);
	data_both_ways(_metadata, self);
}

/* A listener dissolved by connect(AF_UNSPEC) keeps the port bind() gave
 * it, as TCP's does: nobody else can bind it, and it can listen again.
 */
TEST_F(hp, dissolved_listener_keeps_its_bound_port)
{
	struct sockaddr sa = { .sa_family = AF_UNSPEC };
	struct sockaddr_in sin = xc_addr(XPEER_LOCAL_ADDR, LPORT);
	int other;

	self->lfd = xc_listen(_metadata, LPORT, 8, 0);
	ASSERT_EQ(0, connect(self->lfd, &sa, sizeof(sa)));
	other = socket(AF_XTCP, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, other);
	EXPECT_EQ(-1, bind(other, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(EADDRINUSE, errno);
	close(other);
	EXPECT_EQ(0, listen(self->lfd, 8));
}

/* TCP_CONGESTION chosen before connect() is the connection's. */
TEST_F(hp, congestion_control_set_before_connect_stays)
{
	char name[16] = "";
	socklen_t len = sizeof(name);

	self->c.fd = socket(AF_XTCP, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, self->c.fd);
	ASSERT_EQ(0, setsockopt(self->c.fd, IPPROTO_TCP, TCP_CONGESTION,
				"reno", 4));
	active_open(_metadata, self, 1460, 1);
	ASSERT_EQ(0, getsockopt(self->c.fd, IPPROTO_TCP, TCP_CONGESTION,
				name, &len));
	EXPECT_STREQ("reno", name);
}

/* The bytes the socket's write queue holds, skb overheads included. */
static long wmem_queued(int fd)
{
	uint32_t mem[SK_MEMINFO_VARS] = { 0 };
	socklen_t len = sizeof(mem);

	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len))
		return -errno;
	return mem[SK_MEMINFO_WMEM_QUEUED];
}

/*
 *	module  P.  10 segments of 536 bytes (the initial window)
 *	peer    .   ack 1, SACK 2:3 4:5 6:7 8:9   ... every other byte,
 *	            4 blocks an ACK, 670 ACKs
 *	peer    .   ack 5361
 * The write queue must not grow by the byte: before, each block cut an
 * skb, and the queue grew to megabytes; now only resends cut it, at most
 * into one skb per segment.
 */
TEST_F(hp, sacking_every_other_byte_does_not_grow_the_send_queue)
{
	static char data[10 * 536];
	struct xconn *c = &self->c;
	long before, after;
	struct xseg s;
	uint32_t off;
	int i, k;

	self->sack = 1;
	passive_open(_metadata, self, 536, 0);
	ASSERT_EQ((ssize_t)sizeof(data), send(c->fd, data, sizeof(data), 0));
	for (i = 0; i < 10; i++)
		XSEG_EXPECT_DATA(&self->p, &s, 2000, c->isn + 1 + i * 536,
				 PISN + 1);
	before = wmem_queued(c->fd);
	ASSERT_LT(0, before);
	for (off = 1; off + 8 < sizeof(data); off += 8) {
		s = peer_seg(c, PISN + 1, c->isn + 1, F_ACK, 0, 0);
		s.nsack = 4;
		for (k = 0; k < 4; k++) {
			s.sack[k].left = c->isn + 1 + off + 2 * k;
			s.sack[k].right = s.sack[k].left + 1;
		}
		ASSERT_EQ(0, xpeer_send(&self->p, &s));
	}
	usleep(200 * 1000);
	after = wmem_queued(c->fd);
	TH_LOG("write queue: %ld bytes before the SACKs, %ld after",
	       before, after);
	/* Resends may cut the skb, one segment at a time: ten at most. */
	EXPECT_GE(before + 10 * 3072, after);
	/* The connection goes on: everything acknowledged frees it all. */
	s = peer_seg(c, PISN + 1, c->isn + 1 + sizeof(data), F_ACK, 0, 0);
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	for (i = 0; i < 100 && wmem_queued(c->fd); i++)
		usleep(10 * 1000);
	EXPECT_EQ(0, wmem_queued(c->fd));
}

/*
 * net.xtcp.mem and net.core.mem_pcpu_rsv live in the initial namespace
 * only; the fixture's process is in its own.  "" reads, else writes.
 */
static int init_ns_sysctl(const char *path, const char *value, char *out,
			  size_t size)
{
	char cmd[256];
	FILE *f;
	int ok;

	if (value) {
		snprintf(cmd, sizeof(cmd),
			 "nsenter --net=/proc/1/ns/net sh -c 'echo %s > %s'",
			 value, path);
		return system(cmd) ? -1 : 0;
	}
	snprintf(cmd, sizeof(cmd), "nsenter --net=/proc/1/ns/net cat %s", path);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	ok = fgets(out, size, f) != NULL;
	pclose(f);
	if (!ok)
		return -1;
	out[strcspn(out, "\n")] = 0;
	return 0;
}

/* XTCP's pages in /proc/net/protocols ("memory"), or -1. */
static long xtcp_proto_pages(void)
{
	char line[512], name[32];
	long pages = -1, size, socks, mem;
	FILE *f = fopen("/proc/net/protocols", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%31s %ld %ld %ld", name, &size, &socks,
			   &mem) == 4 && !strcmp(name, "XTCP"))
			pages = mem;
	fclose(f);
	return pages;
}

/*
 * The send queue counts in net.xtcp.mem: with mem[2] at 128 pages, a
 * writer with a 16 MB send buffer to a peer that ACKs nothing is stopped
 * (EAGAIN) near 512 KB, give or take the socket layer's per-CPU reserve
 * (net.core.mem_pcpu_rsv pages a CPU, which /proc/net/protocols does not
 * show either).  Before, the queue took the whole send buffer and XTCP's
 * total never moved.
 */
TEST_F(hp, the_send_queue_counts_in_net_xtcp_mem)
{
	static char chunk[65536];
	long queued = 0, bound, pages, rsv;
	struct xconn *c = &self->c;
	int sndbuf = 8 << 20, i;
	char old[128], buf[64];
	ssize_t n;

	ASSERT_EQ(0, init_ns_sysctl("/proc/sys/net/xtcp/mem", NULL, old,
				    sizeof(old)));
	ASSERT_EQ(0, init_ns_sysctl("/proc/sys/net/core/mem_pcpu_rsv", NULL,
				    buf, sizeof(buf)));
	rsv = atol(buf);
	passive_open(_metadata, self, 1460, 0);
	ASSERT_EQ(0, setsockopt(c->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf,
				sizeof(sndbuf)));
	ASSERT_EQ(0, init_ns_sysctl("/proc/sys/net/xtcp/mem", "64 96 128",
				    NULL, 0));
	for (i = 0; i < 512; i++) {
		n = send(c->fd, chunk, sizeof(chunk), MSG_DONTWAIT);
		if (n < 0)
			break;
	}
	EXPECT_EQ(EAGAIN, errno);
	queued = wmem_queued(c->fd);
	pages = xtcp_proto_pages();
	EXPECT_EQ(0, init_ns_sysctl("/proc/sys/net/xtcp/mem", old, NULL, 0));
	bound = (128 + 2 * rsv) * 4096 + (256 << 10);
	TH_LOG("write queue %ld bytes (bound %ld), XTCP's total %ld pages",
	       queued, bound, pages);
	EXPECT_GE(bound, queued);
	EXPECT_LE(queued / 4096 - 2 * rsv, pages);
}

/*
 *	peer    .   seq 1000, ack 2000 from a port with no entry
 *	module  R   seq 2000
 * SyncookiesFailed moves only once the listener has sent cookies.
 */
static void stray_ack(struct __test_metadata *_metadata,
		      FIXTURE_DATA(hp) *self, uint16_t rport)
{
	struct xseg s;

	PEER_SEND(&self->p, rport, LPORT, 1000, 2000, F_ACK, NULL, 0);
	XSEG_EXPECT(&self->p, &s, 2000, F_RST, 2000, XSEG_ANY);
}

TEST_F(hp, stray_acks_are_checked_as_cookies_only_after_cookies_went_out)
{
	long failed;
	struct xseg s;

	self->lfd = xc_listen(_metadata, LPORT, 8, 0);
	failed = xtcp_stat("SyncookiesFailed");
	stray_ack(_metadata, self, RPORT);
	EXPECT_EQ(failed, xtcp_stat("SyncookiesFailed"));
	/* Now every SYN gets a cookie: the next stray ACK is tried as one. */
	ASSERT_EQ(0, xtcp_sysctl_set("syncookies", 2));
	PEER_SEND(&self->p, RPORT + 1, LPORT, PISN, 0, F_SYN, NULL, 0);
	XSEG_EXPECT(&self->p, &s, 2000, F_SYN | F_ACK, XSEG_ANY, PISN + 1);
	stray_ack(_metadata, self, RPORT + 2);
	EXPECT_EQ(failed + 1, xtcp_stat("SyncookiesFailed"));
}

/*
 * The final ACK arrives once the route back to the peer is gone: the
 * child is never made, and is freed whole (with a live socket's flags,
 * inet_sock_destruct() refused and left its parts behind: vm-run fails
 * the run on its "Attempt to release alive inet socket").
 *	peer    S   seq 0         module  S.
 *	(route to the peer: unreachable)
 *	peer    .   seq 1, ack 1  nothing on the accept queue
 */
TEST_F(hp, final_ack_without_a_route_back_makes_no_child)
{
	struct xconn *c = &self->c;
	int fd;

	self->lfd = xc_listen(_metadata, LPORT, 8, 1);
	xc_peer_syn(_metadata, &self->p, c, LPORT, RPORT, PISN);
	ASSERT_EQ(0, system("ip route add unreachable " XPEER_REMOTE_ADDR "/32"));
	CONN_SEND(&self->p, c, PISN + 1, c->isn + 1, F_ACK, NULL, 0);
	usleep(100 * 1000);
	fd = accept(self->lfd, NULL, NULL);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(EAGAIN, errno);
	if (fd >= 0)
		close(fd);
	ASSERT_EQ(0, system("ip route del unreachable " XPEER_REMOTE_ADDR "/32"));
}

/* Moves the calling thread to CPU @cpu (when the guest has it). */
static void run_on_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void spin_until(uint64_t ns)
{
	while (xpeer_now_ns() < ns)
		;
}

/* The SYN-ACK for @rport, passing over the RSTs of earlier rounds. */
static int synack_for(struct xpeer *p, uint16_t rport, uint32_t *isn)
{
	struct xseg s;

	while (xpeer_recv(p, &s, 2000) == 1) {
		if (s.dport == rport && s.flags == (F_SYN | F_ACK)) {
			*isn = s.seq;
			return 0;
		}
	}
	return -1;
}

#define RACE_ROUNDS	400
#define RACE_RTO_MS	10

/*
 * A SYN-queue entry's last SYN-ACK timeout (synack_retries 0, 10 ms) and
 * its final ACK, on two CPUs at the same moment, RACE_ROUNDS times: the
 * timer runs where the SYN was taken (CPU 0), the ACK is sent from CPU 1,
 * at a delay that walks up and down the edge between "in time" and "too
 * late", where the two meet.  Each round either gives a child to accept()
 * or nothing; the entry's accounting stays exact (with backlog 4 and no
 * cookies, 4 new SYNs get SYN-ACKs and the fifth none), and no entry is
 * left.  (Before, an expiry between the ACK's lookup and the child taking
 * the entry's place wrote through a NULL pprev.)
 */
TEST_F(hp, a_syn_queue_entry_expiring_as_its_final_ack_arrives)
{
	uint64_t delay = RACE_RTO_MS * MS, t0;
	int i, won = 0, lost = 0, fd;
	struct xconn c = { 0 };
	uint32_t isn;

	ASSERT_EQ(0, xtcp_sysctl_set("synack_retries", 0));
	ASSERT_EQ(0, xtcp_sysctl_set("rto_initial_ms", RACE_RTO_MS));
	ASSERT_EQ(0, xtcp_sysctl_set("syncookies", 0));
	self->lfd = xc_listen(_metadata, LPORT, 4, 1);
	c.lport = LPORT;
	for (i = 0; i < RACE_ROUNDS; i++) {
		c.rport = RPORT + i;
		run_on_cpu(0);
		t0 = xpeer_now_ns();
		PEER_SEND(&self->p, c.rport, LPORT, PISN, 0, F_SYN, NULL, 0);
		ASSERT_EQ(0, synack_for(&self->p, c.rport, &isn));
		run_on_cpu(1);
		spin_until(t0 + delay + (rand() % 41) * 1000 - 20000);
		PEER_SEND(&self->p, c.rport, LPORT, PISN + 1, isn + 1, F_ACK,
			  NULL, 0);
		fd = accept(self->lfd, NULL, NULL);
		if (fd >= 0) {
			won++;
			xc_close_abort(fd);
			delay += 20000;		/* in time: try later */
		} else {
			ASSERT_EQ(EAGAIN, errno);
			lost++;
			delay -= 20000;		/* too late: try earlier */
		}
	}
	run_on_cpu(0);
	TH_LOG("%d children, %d ACKs too late; the edge at %.2f ms",
	       won, lost, delay / 1e6);
	EXPECT_LT(0, won);
	EXPECT_LT(0, lost);
	usleep(100 * 1000);
	EXPECT_EQ(0, xc_proc_count(ST_SYN_RECV));

	/* The SYN queue's count came back to zero, not below. */
	ASSERT_EQ(0, xtcp_sysctl_set("rto_initial_ms", 1000));
	for (i = 0; i < 5; i++) {
		c.rport = RPORT + RACE_ROUNDS + i;
		PEER_SEND(&self->p, c.rport, LPORT, PISN, 0, F_SYN, NULL, 0);
		EXPECT_EQ(i < 4 ? 0 : -1, synack_for(&self->p, c.rport, &isn))
			TH_LOG("SYN %d", i + 1);
	}
}

/*
 * An orphan behind a zero window whose peer answers every probe ends
 * (Linux's tcp_probe_timer()): orphan_retries 2, rto_max_ms 1000.
 *	peer    .   win 0
 *	(send 100 bytes, close: FIN_WAIT_1, nothing can leave)
 *	module  .   probe       peer  .  win 0     ... answered, every one
 *	the socket is gone within 15 s
 * Before, every answer reset the probe count and the orphan lived on.
 */
TEST_F(hp, an_orphan_behind_a_zero_window_that_answers_probes_ends)
{
	static char data[100];
	struct xconn *c = &self->c;
	int probes = 0, st = 0;
	uint64_t end;
	struct xseg s;

	ASSERT_EQ(0, xtcp_sysctl_set("orphan_retries", 2));
	ASSERT_EQ(0, xtcp_sysctl_set("rto_max_ms", 1000));
	passive_open(_metadata, self, 1460, 0);
	s = peer_seg(c, PISN + 1, c->isn + 1, F_ACK, 0, 0);
	s.win = 0;
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	ASSERT_EQ((ssize_t)sizeof(data), send(c->fd, data, sizeof(data), 0));
	close(c->fd);
	c->fd = -1;
	ASSERT_EQ(ST_FIN_WAIT1, xc_proc_state(LPORT, RPORT));
	end = xpeer_now_ns() + 15000 * MS;
	while (xpeer_now_ns() < end) {
		st = xc_proc_state(LPORT, RPORT);
		if (st < 0)
			break;
		if (xpeer_recv(&self->p, &s, 200) != 1 || s.flags & F_RST)
			continue;
		probes++;
		s = peer_seg(c, PISN + 1, c->isn + 1, F_ACK, 0, 0);
		s.win = 0;
		ASSERT_EQ(0, xpeer_send(&self->p, &s));
	}
	TH_LOG("%d probes answered", probes);
	EXPECT_EQ(-1, st);
	EXPECT_LE(2, probes);
}

/*
 * max_orphans 1: a second closed socket with data unacknowledged is
 * reset at close (AbortOnMemory), right after its FIN as in Linux's
 * __tcp_close(); the first lives on in FIN_WAIT_1.
 */
TEST_F(hp, orphans_beyond_max_orphans_are_reset_at_close)
{
	static char data[100];
	struct xconn c2 = { .fd = -1 };
	struct xconn *c = &self->c;
	long aborts;
	struct xseg s;

	ASSERT_EQ(0, xtcp_sysctl_set("max_orphans", 1));
	passive_open(_metadata, self, 1460, 0);
	xc_peer_handshake(_metadata, &self->p, &c2, LPORT, RPORT + 1, PISN);
	c2.fd = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, c2.fd);
	ASSERT_EQ((ssize_t)sizeof(data), send(c->fd, data, sizeof(data), 0));
	ASSERT_EQ((ssize_t)sizeof(data), send(c2.fd, data, sizeof(data), 0));
	XSEG_EXPECT(&self->p, &s, 2000, F_PSH | F_ACK, XSEG_ANY, XSEG_ANY);
	XSEG_EXPECT(&self->p, &s, 2000, F_PSH | F_ACK, XSEG_ANY, XSEG_ANY);
	aborts = xtcp_stat("AbortOnMemory");
	close(c->fd);
	c->fd = -1;
	XSEG_EXPECT(&self->p, &s, 2000, F_FIN | F_ACK, XSEG_ANY, XSEG_ANY);
	close(c2.fd);
	XSEG_EXPECT(&self->p, &s, 2000, F_FIN | F_ACK, XSEG_ANY, XSEG_ANY);
	XSEG_EXPECT(&self->p, &s, 2000, F_RST | F_ACK, XSEG_ANY, XSEG_ANY);
	EXPECT_EQ(RPORT + 1, s.dport);
	EXPECT_EQ(aborts + 1, xtcp_stat("AbortOnMemory"));
	EXPECT_EQ(ST_FIN_WAIT1, xc_proc_state(LPORT, RPORT));
	EXPECT_EQ(-1, xc_proc_state(LPORT, RPORT + 1));
	/* Nothing may outlive the test: the first goes with an exact RST. */
	s = peer_seg(c, PISN + 1, 0, F_RST, 0, 0);
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	EXPECT_EQ(-1, xc_proc_state(LPORT, RPORT));
}

/* A classic BPF filter that returns @ret for every segment. */
static int attach_ret_filter(int fd, uint32_t ret)
{
	struct sock_filter code[] = { BPF_STMT(BPF_RET | BPF_K, ret) };
	struct sock_fprog prog = { .len = 1, .filter = code };

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
			  sizeof(prog));
}

static uint32_t sock_drops(int fd)
{
	uint32_t mem[SK_MEMINFO_VARS] = { 0 };
	socklen_t len = sizeof(mem);

	getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len);
	return mem[SK_MEMINFO_DROPS];
}

/*
 * SO_ATTACH_FILTER applies to XTCP segments as to TCP's: the filter sees
 * the segment from its header, may drop it (counted in the socket's
 * drops, nothing ACKed) or trim its payload (what is left is taken).
 *	filter: ret 0        peer  P.  "0123456789"   nothing, drops + 1
 *	filter: ret 20 + 4   peer  P.  "0123456789"   module  .  ack 5
 *	no filter            peer  P.  "456789"       module  .  ack 11
 */
TEST_F(hp, a_socket_filter_drops_and_trims_segments)
{
	struct xconn *c = &self->c;
	char buf[16] = { 0 };
	uint32_t drops;
	int zero = 0;
	struct xseg s;

	passive_open(_metadata, self, 1460, 0);
	ASSERT_EQ(0, attach_ret_filter(c->fd, 0));
	drops = sock_drops(c->fd);
	s = peer_seg(c, PISN + 1, c->isn + 1, F_PSH | F_ACK, 0, 0);
	s.data = (const uint8_t *)"0123456789";
	s.len = 10;
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	XSEG_EXPECT_SILENCE(&self->p, 300);
	EXPECT_EQ(-1, recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(drops + 1, sock_drops(c->fd));

	ASSERT_EQ(0, attach_ret_filter(c->fd, 20 + 4));
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	XSEG_EXPECT(&self->p, &s, 1000, F_ACK, c->isn + 1, PISN + 1 + 4);
	EXPECT_EQ(4, recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_STREQ("0123", buf);

	ASSERT_EQ(0, setsockopt(c->fd, SOL_SOCKET, SO_DETACH_FILTER, &zero,
				sizeof(zero)));
	s = peer_seg(c, PISN + 1 + 4, c->isn + 1, F_PSH | F_ACK, 0, 0);
	s.data = (const uint8_t *)"456789";
	s.len = 6;
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	XSEG_EXPECT(&self->p, &s, 1000, F_ACK, c->isn + 1, PISN + 1 + 10);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(6, recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_STREQ("456789", buf);
}

/*
 * A blind in-window segment with an acceptable ACK and a window of 12
 * bytes, its sequence number 30000 ahead, moves SND.WL1 there: the real
 * peer's later windows (from seq 1) fail RFC 9293's update rule.  As in
 * Linux the persist timer then sends what the small window takes, and the
 * ACK of that new data carries a window that is always taken
 * (tcp_may_update_window(), tcp_write_wakeup()):
 *	peer    .   seq 30001, ack 1, win 12     (blind)
 *	(send 4000 bytes)
 *	module  P.  12 bytes at the persist timeout
 *	peer    .   ack 13, win 65535            module  the rest
 * Before, the probes were bare ACKs, every answer was stale, and nothing
 * more was ever sent.
 */
TEST_F(hp, a_blind_tiny_window_does_not_stall_the_sender)
{
	static char data[4000];
	struct xconn *c = &self->c;
	uint32_t got = 0;
	uint64_t end;
	struct xseg s;

	passive_open(_metadata, self, 1460, 0);
	s = peer_seg(c, PISN + 1 + 30000, c->isn + 1, F_ACK, 0, 0);
	s.win = 12;
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	ASSERT_EQ((ssize_t)sizeof(data), send(c->fd, data, sizeof(data), 0));
	end = xpeer_now_ns() + 8000 * MS;
	while (got < sizeof(data) && xpeer_now_ns() < end) {
		if (xpeer_recv(&self->p, &s, 200) != 1)
			continue;
		if (s.seq == c->isn + 1 + got)
			got += s.len;
		s = peer_seg(c, PISN + 1, c->isn + 1 + got, F_ACK, 0, 0);
		ASSERT_EQ(0, xpeer_send(&self->p, &s));
	}
	EXPECT_EQ(sizeof(data), got);
}

/* Counts the challenge ACKs (seq 1, ack 1) that arrive within 300 ms. */
static int count_challenges(struct __test_metadata *_metadata,
			    FIXTURE_DATA(hp) *self, struct xconn *c)
{
	struct xseg s;
	int n = 0;

	while (xpeer_recv(&self->p, &s, 300) == 1) {
		EXPECT_EQ(F_ACK, s.flags);
		EXPECT_EQ(c->lport, s.sport);
		EXPECT_EQ(c->isn + 1, s.seq);
		EXPECT_EQ(PISN + 1, s.ack);
		n++;
	}
	return n;
}

/*
 *	peer    R   seq 101, 102, ... 1100   1,000 inexact RSTs on connection A
 *	module  .   seq 1, ack 1             once (ACKSkippedChallenge 999)
 *	peer    R   seq 101                  on connection B
 *	module  .   seq 1, ack 1             B's own challenge ACK
 */
TEST_F(hp, a_rst_flood_on_one_connection_leaves_anothers_challenge_acks)
{
	struct xconn a, b;
	struct xseg s;
	long skipped;
	int i;

	self->lfd = xc_listen(_metadata, LPORT, 8, 0);
	xc_peer_handshake(_metadata, &self->p, &a, LPORT, RPORT, PISN);
	a.fd = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, a.fd);
	xc_peer_handshake(_metadata, &self->p, &b, LPORT, RPORT + 1, PISN);
	b.fd = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, b.fd);
	self->c = a;	/* closed by the teardown */
	/* One interval for the whole flood, however slow the kernel. */
	ASSERT_EQ(0, xtcp_sysctl_set("invalid_ratelimit_ms", 60000));

	skipped = xtcp_stat("ACKSkippedChallenge");
	for (i = 0; i < 1000; i++) {
		s = xc_seg(RPORT, LPORT, PISN + 101 + i, 0, F_RST);
		ASSERT_EQ(0, xpeer_send(&self->p, &s));
	}
	EXPECT_EQ(1, count_challenges(_metadata, self, &a));
	EXPECT_EQ(skipped + 999, xtcp_stat("ACKSkippedChallenge"));

	s = xc_seg(RPORT + 1, LPORT, PISN + 101, 0, F_RST);
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	EXPECT_EQ(1, count_challenges(_metadata, self, &b));
	EXPECT_EQ(ST_ESTABLISHED, xc_proc_state(LPORT, RPORT));
	EXPECT_EQ(ST_ESTABLISHED, xc_proc_state(LPORT, RPORT + 1));
	xc_close_abort(b.fd);
}

/*
 * Pure ACKs far out of the window each deserve a duplicate ACK, but one
 * per invalid_ratelimit_ms at most; data out of the window is always
 * answered (no ACK loop can come of it).
 *	peer    .   seq 1000001 (x 20)    module  .  once (ACKSkippedSeq 19)
 *	peer    P.  seq 1000001 "x" (x 3) module  .  three times
 */
TEST_F(hp, out_of_window_acks_are_answered_once_per_interval)
{
	struct xconn *c = &self->c;
	long skipped;
	struct xseg s;
	int i;

	passive_open(_metadata, self, 1460, 0);
	skipped = xtcp_stat("ACKSkippedSeq");
	for (i = 0; i < 20; i++) {
		s = peer_seg(c, PISN + 1000001, c->isn + 1, F_ACK, 0, 0);
		ASSERT_EQ(0, xpeer_send(&self->p, &s));
	}
	EXPECT_EQ(1, count_challenges(_metadata, self, c));
	EXPECT_EQ(skipped + 19, xtcp_stat("ACKSkippedSeq"));
	for (i = 0; i < 3; i++) {
		s = peer_seg(c, PISN + 1000001, c->isn + 1, F_PSH | F_ACK, 0, 0);
		s.data = (const uint8_t *)"x";
		s.len = 1;
		ASSERT_EQ(0, xpeer_send(&self->p, &s));
	}
	EXPECT_EQ(3, count_challenges(_metadata, self, c));
}

/* Sends @seg @n times and counts the segments that come back in 300 ms. */
static int answers_to(struct __test_metadata *_metadata,
		      FIXTURE_DATA(hp) *self, const struct xseg *seg, int n)
{
	struct xseg s;
	int i, got = 0;

	for (i = 0; i < n; i++)
		EXPECT_EQ(0, xpeer_send(&self->p, seg));
	while (xpeer_recv(&self->p, &s, 300) == 1)
		got++;
	return got;
}

/*
 * A SYN-queue entry resends its SYN-ACK for a repeated SYN once an
 * interval, however many come:
 *	peer    S   seq 0        module  S.
 *	peer    S   seq 0 (x 10) module  S.  once (ACKSkippedSynRecv 9)
 */
TEST_F(hp, a_syn_queue_entry_answers_repeated_syns_once_per_interval)
{
	long skipped;
	struct xseg s;

	self->lfd = xc_listen(_metadata, LPORT, 8, 0);
	xc_peer_syn(_metadata, &self->p, &self->c, LPORT, RPORT, PISN);
	skipped = xtcp_stat("ACKSkippedSynRecv");
	s = xc_seg(RPORT, LPORT, PISN, 0, F_SYN);
	EXPECT_EQ(1, answers_to(_metadata, self, &s, 10));
	EXPECT_EQ(skipped + 9, xtcp_stat("ACKSkippedSynRecv"));
}

/*
 * A TIME_WAIT entry answers segments it cannot take once an interval,
 * but a retransmitted FIN always (its ACK was lost):
 *	module  F.  (close)      peer  F.  ack it
 *	module  .   TIME_WAIT
 *	peer    .   seq 1000001 (x 10)   module  .  once
 *	peer    F.  (again)              module  .
 */
TEST_F(hp, a_time_wait_entry_answers_bad_segments_once_per_interval)
{
	struct xconn *c = &self->c;
	long skipped;
	struct xseg s;

	passive_open(_metadata, self, 1460, 0);
	ASSERT_EQ(0, shutdown(c->fd, SHUT_WR));
	XSEG_EXPECT(&self->p, &s, 2000, F_FIN | F_ACK, c->isn + 1, PISN + 1);
	s = peer_seg(c, PISN + 1, c->isn + 2, F_FIN | F_ACK, 0, 0);
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	XSEG_EXPECT(&self->p, &s, 2000, F_ACK, c->isn + 2, PISN + 2);
	close(c->fd);
	c->fd = -1;
	ASSERT_EQ(ST_TIME_WAIT, xc_wait_state(LPORT, RPORT, ST_TIME_WAIT, 2000));
	skipped = xtcp_stat("ACKSkippedTimeWait");
	s = peer_seg(c, PISN + 1000001, c->isn + 2, F_ACK, 0, 0);
	EXPECT_EQ(1, answers_to(_metadata, self, &s, 10));
	EXPECT_EQ(skipped + 9, xtcp_stat("ACKSkippedTimeWait"));
	s = peer_seg(c, PISN + 1, c->isn + 2, F_FIN | F_ACK, 0, 0);
	EXPECT_EQ(1, answers_to(_metadata, self, &s, 1));
}

/*
 *	module  P.  1:537, 537:1073, 1073:1609
 *	peer    .   ack 1, SACK 537:1073
 *	peer    .   ack 537              (537:1073, SACKed, now first)
 *	(silence: the peer dropped 537:1073)
 *	module  .   537:1073             at the timeout, first of all
 */
TEST_F(hp, a_timeout_after_reneged_sacks_resends_from_snd_una)
{
	static char data[3 * 536];
	struct xconn *c = &self->c;
	long reneged;
	struct xseg s;
	int i;

	self->sack = 1;
	/* The timeout itself: no tail-loss probe or RACK resend before it. */
	ASSERT_EQ(0, xtcp_sysctl_set("recovery", 0));
	passive_open(_metadata, self, 536, 0);
	reneged = xtcp_stat("SACKReneging");
	ASSERT_EQ((ssize_t)sizeof(data), send(c->fd, data, sizeof(data), 0));
	for (i = 0; i < 3; i++)
		XSEG_EXPECT_DATA(&self->p, &s, 2000, c->isn + 1 + i * 536,
				 PISN + 1);
	s = peer_seg(c, PISN + 1, c->isn + 1, F_ACK, 0, 0);
	s.nsack = 1;
	s.sack[0].left = c->isn + 537;
	s.sack[0].right = c->isn + 1073;
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	s = peer_seg(c, PISN + 1, c->isn + 537, F_ACK, 0, 0);
	s.nsack = 1;
	s.sack[0].left = c->isn + 537;
	s.sack[0].right = c->isn + 1073;
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	XSEG_EXPECT_DATA(&self->p, &s, 3000, c->isn + 537, PISN + 1);
	EXPECT_EQ(reneged + 1, xtcp_stat("SACKReneging"));
}

TEST_HARNESS_MAIN
