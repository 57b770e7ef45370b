// SPDX-License-Identifier: GPL-2.0
/*
 * RFC 9293 requirements that no other program checks (RFC9293.md names
 * this file for them), each run on a Linux TCP socket and on an XTCP
 * socket with the same script against the scripted peer, with the same
 * expectations.
 */
#include <limits.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sys/mman.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>

#include "kselftest_harness.h"
#include "xtcp_util.h"
#include "peer.h"
#include "xtcp_conn.h"

#define RPORT		44001
#define LPORT		6201
#define PISN		0x58000000u

FIXTURE(rfc) {
	struct xpeer p;
	struct xconn c;
	int lfd;
};

XC_TCP_AND_XTCP(rfc);

FIXTURE_SETUP(rfc)
{
	self->c.fd = self->lfd = -1;
	ASSERT_EQ(0, xtcp_ensure_loaded());
	ASSERT_EQ(0, xpeer_setup(&self->p));
	self->p.proto = variant->proto;
}

FIXTURE_TEARDOWN(rfc)
{
	if (self->c.fd >= 0)
		xc_close_abort(self->c.fd);
	if (self->lfd >= 0)
		close(self->lfd);
	xpeer_teardown(&self->p);
}

static int rfc_listen(struct __test_metadata *_metadata, int family)
{
	struct sockaddr_in sin = xc_addr(XPEER_LOCAL_ADDR, LPORT);
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	EXPECT_LE(0, fd);
	EXPECT_EQ(0, bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(0, listen(fd, 8));
	return fd;
}

/*
 * The peer's SYN @syn (its options as the test set them) to the
 * listener, the handshake completed; the accepted socket in self->c.fd.
 */
static void passive_open(struct __test_metadata *_metadata,
			 FIXTURE_DATA(rfc) *self,
			 const FIXTURE_VARIANT(rfc) *variant, struct xseg *syn)
{
	struct xseg s;

	self->lfd = rfc_listen(_metadata, variant->family);
	ASSERT_EQ(0, xpeer_send(&self->p, syn));
	XSEG_EXPECT(&self->p, &s, 2000, F_SYN | F_ACK, XSEG_ANY, PISN + 1);
	self->c.isn = s.seq;
	self->c.lport = LPORT;
	self->c.rport = RPORT;
	self->c.pisn = PISN;
	CONN_SEND(&self->p, &self->c, PISN + 1, s.seq + 1, F_ACK, NULL, 0);
	self->c.fd = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, self->c.fd);
}

/* The first data segment of a 3000-byte write from self->c.fd. */
static uint32_t first_data_len(struct __test_metadata *_metadata,
			       FIXTURE_DATA(rfc) *self)
{
	static char buf[3000];
	struct xseg s;

	EXPECT_EQ(sizeof(buf), send(self->c.fd, buf, sizeof(buf), 0));
	EXPECT_EQ(1, xpeer_recv(&self->p, &s, 2000));
	return s.len;
}

/*
 * MUST-6 and MUST-64: an option of an unknown kind is skipped by its
 * length, and options need no alignment: a SYN with a NOP, kind 99
 * (5 bytes) and then the MSS at an odd offset, then EOL, gets its MSS
 * honoured.
 */
TEST_F(rfc, an_unknown_option_is_skipped_and_unaligned_ones_are_read)
{
	static const uint8_t opts[] = {
		1,			/* NOP */
		99, 5, 'x', 'y', 'z',	/* unknown */
		2, 4, 0x02, 0x00,	/* MSS 512, at offset 6 */
		0,			/* EOL, then zeros */
	};
	struct xseg syn = xc_seg(RPORT, LPORT, PISN, 0, F_SYN);

	memcpy(syn.raw_opts, opts, sizeof(opts));
	syn.raw_opts_len = sizeof(opts);
	syn.win = PEER_WIN;
	passive_open(_metadata, self, variant, &syn);
	EXPECT_EQ(512, first_data_len(_metadata, self));
}

/*
 * MUST-15: a SYN without an MSS option means 536, on both sides of a
 * handshake.
 */
TEST_F(rfc, without_an_mss_option_segments_are_536_bytes)
{
	struct sockaddr_in to = xc_addr(XPEER_REMOTE_ADDR, RPORT);
	struct xseg syn = xc_seg(RPORT, LPORT, PISN, 0, F_SYN), s;

	syn.has_mss = 0;
	passive_open(_metadata, self, variant, &syn);
	EXPECT_EQ(536, first_data_len(_metadata, self));
	xc_close_abort(self->c.fd);

	self->c.fd = socket(variant->family, SOCK_STREAM | SOCK_CLOEXEC |
			    SOCK_NONBLOCK, 0);
	ASSERT_LE(0, self->c.fd);
	ASSERT_EQ(-1, connect(self->c.fd, (struct sockaddr *)&to, sizeof(to)));
	do {	/* the first connection's RST may come first */
		ASSERT_EQ(1, xpeer_recv(&self->p, &s, 2000));
	} while (!(s.flags & F_SYN));
	self->c.lport = s.sport;
	self->c.isn = s.seq;
	s = xc_seg(RPORT, self->c.lport, PISN, self->c.isn + 1,
		   F_SYN | F_ACK);
	s.has_mss = 0;
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	XSEG_EXPECT(&self->p, &s, 2000, F_ACK, self->c.isn + 1, PISN + 1);
	ASSERT_EQ(0, xc_set_nonblock(self->c.fd, 0));
	EXPECT_EQ(536, first_data_len(_metadata, self));
}

/*
 * MUST-69: what we send fills the header exactly: every option list is
 * walked to its end, and anything after an EOL is zero.
 */
static void check_opts_fill(struct __test_metadata *_metadata,
			    const struct xseg *s)
{
	int i = 0, eol = 0;

	while (i < s->raw_opts_len) {
		uint8_t kind = s->raw_opts[i];

		if (eol) {
			EXPECT_EQ(0, kind);
			i++;
		} else if (kind == 0) {
			eol = 1;
			i++;
		} else if (kind == 1) {
			i++;
		} else {
			ASSERT_GT(s->raw_opts_len, i + 1);
			ASSERT_LE(2, s->raw_opts[i + 1]);
			i += s->raw_opts[i + 1];
		}
	}
	EXPECT_EQ(s->raw_opts_len, i);
}

TEST_F(rfc, options_sent_fill_the_header_to_its_end)
{
	struct sockaddr_in to = xc_addr(XPEER_REMOTE_ADDR, RPORT);
	struct xseg s;

	self->c.fd = socket(variant->family, SOCK_STREAM | SOCK_CLOEXEC |
			    SOCK_NONBLOCK, 0);
	ASSERT_LE(0, self->c.fd);
	ASSERT_EQ(-1, connect(self->c.fd, (struct sockaddr *)&to, sizeof(to)));
	XSEG_EXPECT(&self->p, &s, 2000, F_SYN, XSEG_ANY, XSEG_ANY);
	EXPECT_LT(0, s.raw_opts_len);
	check_opts_fill(_metadata, &s);
	self->c.lport = s.sport;
	self->c.isn = s.seq;
	s = xc_seg(RPORT, self->c.lport, PISN, self->c.isn + 1,
		   F_SYN | F_ACK);
	s.has_mss = 1;
	s.mss = 1460;
	s.has_ts = 1;
	s.tsval = 1;
	s.has_sackperm = 1;
	s.has_wscale = 1;
	s.wscale = 7;
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	XSEG_EXPECT(&self->p, &s, 2000, F_ACK, self->c.isn + 1, PISN + 1);
	check_opts_fill(_metadata, &s);
	EXPECT_EQ(1, s.has_ts);
}

/*
 * MUST-25, MUST-28: keep-alive is off unless asked for, and would wait
 * two hours; its knobs read back TCP's defaults.
 */
TEST_F(rfc, keepalive_is_off_by_default_and_would_wait_two_hours)
{
	socklen_t len = sizeof(int);
	int fd = socket(variant->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int val = -1;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &val, &len));
	EXPECT_EQ(0, val);
	ASSERT_EQ(0, getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &val, &len));
	EXPECT_EQ(7200, val);
	ASSERT_EQ(0, getsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &val, &len));
	EXPECT_EQ(75, val);
	ASSERT_EQ(0, getsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &val, &len));
	EXPECT_EQ(9, val);
	close(fd);
}

/* SHLD-12: a keep-alive probe carries no data (seq snd_una - 1). */
TEST_F(rfc, a_keepalive_probe_carries_no_data)
{
	struct xseg syn = xc_seg(RPORT, LPORT, PISN, 0, F_SYN), s;
	int one = 1;

	syn.win = PEER_WIN;
	passive_open(_metadata, self, variant, &syn);
	ASSERT_EQ(0, setsockopt(self->c.fd, IPPROTO_TCP, TCP_KEEPIDLE, &one,
				sizeof(one)));
	ASSERT_EQ(0, setsockopt(self->c.fd, SOL_SOCKET, SO_KEEPALIVE, &one,
				sizeof(one)));
	XSEG_EXPECT(&self->p, &s, 3000, F_ACK, self->c.isn, PISN + 1);
	EXPECT_EQ(0, s.len);
}

/*
 * MUST-55: a Source Quench is ignored: no error, the window unchanged,
 * the next data goes.
 */
TEST_F(rfc, a_source_quench_changes_nothing)
{
	struct xseg syn = xc_seg(RPORT, LPORT, PISN, 0, F_SYN), d;
	socklen_t len = sizeof(int);
	static char buf[100];
	int err = -1;

	syn.has_mss = 1;
	syn.mss = 1000;
	syn.win = PEER_WIN;
	passive_open(_metadata, self, variant, &syn);
	ASSERT_EQ(100, send(self->c.fd, buf, sizeof(buf), 0));
	XSEG_EXPECT(&self->p, &d, 2000, F_ACK | F_PSH, self->c.isn + 1,
		    PISN + 1);
	ASSERT_EQ(0, xpeer_send_icmp(&self->p, ICMP_SOURCE_QUENCH, 0, 0, &d));
	sleep_ms(50);
	ASSERT_EQ(0, getsockopt(self->c.fd, SOL_SOCKET, SO_ERROR, &err, &len));
	EXPECT_EQ(0, err);
	CONN_SEND(&self->p, &self->c, PISN + 1, self->c.isn + 101, F_ACK,
		  NULL, 0);
	ASSERT_EQ(100, send(self->c.fd, buf, sizeof(buf), 0));
	XSEG_EXPECT(&self->p, &d, 2000, F_ACK | F_PSH, self->c.isn + 101,
		    PISN + 1);
}

/* MUST-46: connect() to a broadcast or multicast address is refused. */
TEST_F(rfc, connect_to_broadcast_or_multicast_fails)
{
	static const char * const to[] = {
		"224.0.0.1", "255.255.255.255", "10.0.0.255",
	};
	unsigned int i;

	for (i = 0; i < sizeof(to) / sizeof(to[0]); i++) {
		struct sockaddr_in sin = xc_addr(to[i], RPORT);
		int fd = socket(variant->family, SOCK_STREAM | SOCK_CLOEXEC,
				0);

		ASSERT_LE(0, fd);
		EXPECT_EQ(-1, connect(fd, (struct sockaddr *)&sin,
				      sizeof(sin)))
			TH_LOG("%s", to[i]);
		EXPECT_EQ(ENETUNREACH, errno) TH_LOG("%s", to[i]);
		close(fd);
	}
}

/* MUST-63: a SYN from a multicast source gets no answer. */
TEST_F(rfc, a_syn_from_a_multicast_source_is_not_answered)
{
	struct xseg syn = xc_seg(RPORT, LPORT, PISN, 0, F_SYN);

	self->lfd = rfc_listen(_metadata, variant->family);
	syn.saddr = inet_addr("224.0.0.5");
	syn.win = PEER_WIN;
	ASSERT_EQ(0, xpeer_send(&self->p, &syn));
	EXPECT_EQ(1, xpeer_expect_silence(&self->p, 300));
}

/* ---- helpers for the cases below ---- */

/* The peer's plain SYN to the listener, window PEER_WIN, MSS @mss. */
static struct xseg plain_syn(uint16_t mss)
{
	struct xseg syn = xc_seg(RPORT, LPORT, PISN, 0, F_SYN);

	syn.mss = mss;
	syn.win = PEER_WIN;
	return syn;
}

static int set_int(int fd, int level, int name, int val)
{
	return setsockopt(fd, level, name, &val, sizeof(val));
}

/* SRTT as TCP_INFO shows it, in microseconds. */
static uint32_t srtt_us(struct __test_metadata *_metadata, int fd)
{
	struct tcp_info info;
	socklen_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	EXPECT_EQ(0, getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len));
	return info.tcpi_rtt;
}

/* A long read from a /proc/sys file, or LONG_MIN. */
static long read_knob(const char *path)
{
	char text[32] = "";
	FILE *f = fopen(path, "re");
	long v = LONG_MIN;

	if (!f)
		return v;
	if (fgets(text, sizeof(text), f))
		v = strtol(text, NULL, 10);
	fclose(f);
	return v;
}

/* Every out-of-window segment answered: no ACK lost to rate limiting. */
static void no_invalid_ratelimit(struct __test_metadata *_metadata)
{
	ASSERT_EQ(0, write_file("/proc/sys/net/ipv4/tcp_invalid_ratelimit",
				"0"));
	ASSERT_EQ(0, xtcp_sysctl_set("invalid_ratelimit_ms", 0));
}

/* Reads whatever is queued on @fd without blocking; the bytes read. */
static size_t drain_fd(int fd)
{
	static char buf[65536];
	size_t total = 0;
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		total += n;
	return total;
}

/* Reads segments until none comes within @ms; the count; *@last the last. */
static int drain_peer(struct xpeer *p, struct xseg *last, int ms)
{
	struct xseg s;
	int n = 0;

	while (xpeer_recv(p, &s, ms) == 1) {
		*last = s;
		n++;
	}
	return n;
}

/*
 * MUST-18, Karn's rule: the ACK of a segment that was sent twice gives
 * no RTT sample, since it cannot tell which copy it answers.  The
 * resend is ACKed 600 ms after it went (~800 ms after the first copy):
 * a sample from either would move SRTT by a good part of that.
 */
TEST_F(rfc, the_ack_of_a_resent_segment_does_not_move_srtt)
{
	struct xseg syn = plain_syn(1000), d, r;
	static char buf[100];
	uint32_t before;

	passive_open(_metadata, self, variant, &syn);
	ASSERT_EQ(100, send(self->c.fd, buf, sizeof(buf), 0));
	XSEG_EXPECT_DATA(&self->p, &d, 2000, self->c.isn + 1, PISN + 1);
	sleep_ms(10);
	CONN_SEND(&self->p, &self->c, PISN + 1, self->c.isn + 101, F_ACK,
		  NULL, 0);
	sleep_ms(20);
	before = srtt_us(_metadata, self->c.fd);
	EXPECT_GT(100000, before);

	ASSERT_EQ(100, send(self->c.fd, buf, sizeof(buf), 0));
	XSEG_EXPECT_DATA(&self->p, &d, 2000, self->c.isn + 101, PISN + 1);
	XSEG_EXPECT_DATA(&self->p, &r, 3000, self->c.isn + 101, PISN + 1);
	EXPECT_EQ(100, r.len);
	sleep_ms(600);
	CONN_SEND(&self->p, &self->c, PISN + 1, self->c.isn + 201, F_ACK,
		  NULL, 0);
	sleep_ms(20);
	EXPECT_EQ(before, srtt_us(_metadata, self->c.fd))
		TH_LOG("SRTT moved by the resent segment's ACK (%.0f ms after the first copy)",
		       ms_between(d.when_ns, xpeer_now_ns()));
}

/*
 * MUST-26, second half: no keep-alive probe while data waits to be
 * acknowledged.  Keep-alive after 1 s idle, every 1 s; the peer never
 * ACKs 100 bytes: for 3.5 s only their resends come (a probe would be
 * a bare ACK at isn, at 1 s and 2 s).
 */
TEST_F(rfc, no_keepalive_probe_while_data_is_unacknowledged)
{
	struct xseg syn = plain_syn(1000), s;
	uint64_t end;
	static char buf[100];
	int n = 0;

	passive_open(_metadata, self, variant, &syn);
	ASSERT_EQ(0, set_int(self->c.fd, IPPROTO_TCP, TCP_KEEPIDLE, 1));
	ASSERT_EQ(0, set_int(self->c.fd, IPPROTO_TCP, TCP_KEEPINTVL, 1));
	ASSERT_EQ(0, set_int(self->c.fd, SOL_SOCKET, SO_KEEPALIVE, 1));
	ASSERT_EQ(100, send(self->c.fd, buf, sizeof(buf), 0));
	end = xpeer_now_ns() + 3500 * MS;
	while (xpeer_now_ns() < end &&
	       xpeer_recv(&self->p, &s, (end - xpeer_now_ns()) / MS + 1) == 1) {
		s.flags &= ~F_PSH;
		XSEG_CHECK(&s, F_ACK, self->c.isn + 1, PISN + 1);
		EXPECT_EQ(100, s.len);
		n++;
	}
	EXPECT_LE(3, n);	/* the first copy and resends at ~0.2, 0.6 s */
}

/*
 * MUST-24: keep-alive turned on probes; turned off again it stops.  The
 * peer answers the first probe; after SO_KEEPALIVE 0 nothing comes in
 * 2.5 s (the next probe was due 1 s after the answer).
 */
TEST_F(rfc, keepalive_turned_off_again_sends_no_more_probes)
{
	struct xseg syn = plain_syn(1000), s;

	passive_open(_metadata, self, variant, &syn);
	ASSERT_EQ(0, set_int(self->c.fd, IPPROTO_TCP, TCP_KEEPIDLE, 1));
	ASSERT_EQ(0, set_int(self->c.fd, IPPROTO_TCP, TCP_KEEPINTVL, 1));
	ASSERT_EQ(0, set_int(self->c.fd, SOL_SOCKET, SO_KEEPALIVE, 1));
	XSEG_EXPECT(&self->p, &s, 2000, F_ACK, self->c.isn, PISN + 1);
	EXPECT_EQ(0, s.len);
	CONN_SEND(&self->p, &self->c, PISN + 1, self->c.isn + 1, F_ACK,
		  NULL, 0);
	ASSERT_EQ(0, set_int(self->c.fd, SOL_SOCKET, SO_KEEPALIVE, 0));
	XSEG_EXPECT_SILENCE(&self->p, 2500);
}

/*
 * The right edges the module advertises, in order, and checks on them:
 * SHLD-14, an edge never moves left; MUST-39, an edge that moves
 * right moves by at least min(MSS, half the largest window).
 */
struct edges {
	uint32_t last;
	uint32_t maxwin;
	uint32_t step;		/* the smallest move asked for */
	int moves;
	int n;
};

static void edge_seen(struct __test_metadata *_metadata, struct edges *e,
		      const struct xseg *s)
{
	uint32_t edge = s->ack + s->win;

	if (e->n++ == 0) {
		e->last = edge;
		return;
	}
	EXPECT_LE(0, (int32_t)(edge - e->last))
		TH_LOG("the right edge moved left: %u then %u (ack %u win %u)",
		       e->last, edge, s->ack, s->win);
	if ((int32_t)(edge - e->last) > 0) {
		EXPECT_LE(e->step, edge - e->last)
			TH_LOG("the right edge moved by %u (ack %u win %u)",
			       edge - e->last, s->ack, s->win);
		e->moves++;
	}
	if (s->win > e->maxwin)
		e->maxwin = s->win;
	e->last = edge;
}

/* Every segment that comes within @ms of the last one, into @e. */
static void edges_collect(struct __test_metadata *_metadata,
			  struct xpeer *p, struct edges *e, int ms)
{
	struct xseg s;

	while (xpeer_recv(p, &s, ms) == 1) {
		EXPECT_EQ(0, s.len);
		edge_seen(_metadata, e, &s);
	}
}

/*
 * A passive open with SO_RCVBUF @rcvbuf on the listener (and so the
 * child), the peer's SYN without window scaling, MSS @mss; *@synack
 * gets the SYN-ACK.
 */
static void buffer_open(struct __test_metadata *_metadata,
			FIXTURE_DATA(rfc) *self,
			const FIXTURE_VARIANT(rfc) *variant, int rcvbuf,
			uint16_t mss, struct xseg *synack)
{
	struct sockaddr_in sin = xc_addr(XPEER_LOCAL_ADDR, LPORT);
	struct xseg syn = plain_syn(mss);

	self->lfd = socket(variant->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, self->lfd);
	ASSERT_EQ(0, set_int(self->lfd, SOL_SOCKET, SO_RCVBUF, rcvbuf));
	ASSERT_EQ(0, bind(self->lfd, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, listen(self->lfd, 8));
	ASSERT_EQ(0, xpeer_send(&self->p, &syn));
	XSEG_EXPECT(&self->p, synack, 2000, F_SYN | F_ACK, XSEG_ANY,
		    PISN + 1);
	self->c = (struct xconn){ .lport = LPORT, .rport = RPORT,
				  .isn = synack->seq, .pisn = PISN };
	CONN_SEND(&self->p, &self->c, PISN + 1, synack->seq + 1, F_ACK, NULL,
		  0);
	self->c.fd = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, self->c.fd);
}

/*
 * MUST-39 (receiver SWS avoidance) and SHLD-14: the peer fills a small
 * receive buffer with 1000-byte segments (MSS 1000, no window scaling);
 * the application reads 100 bytes at a time; after each read the peer
 * asks for the window (an ACK one byte below rcv_nxt: out of the
 * window, answered with an ACK).  Each advertised right edge, window
 * updates included, is at or right of the last, and a move right is
 * at least min(MSS, half the window): never the 100 bytes just read.
 */
TEST_F(rfc, a_slow_reader_moves_the_right_edge_by_a_segment_or_more)
{
	static char seg[1000];
	struct edges e = { .step = 0 };
	struct xseg s;
	uint32_t seq = PISN + 1, rcv_nxt;
	char buf[100];
	int i, reads = 0;
	ssize_t n;

	no_invalid_ratelimit(_metadata);
	buffer_open(_metadata, self, variant, 8192, 1000, &s);
	edge_seen(_metadata, &e, &s);
	e.maxwin = s.win;

	/* More than the window: what does not fit is dropped. */
	for (i = 0; i < 40; i++) {
		CONN_SEND(&self->p, &self->c, seq, self->c.isn + 1, F_ACK,
			  seg, sizeof(seg));
		seq += sizeof(seg);
		edges_collect(_metadata, &self->p, &e, 2);
	}
	edges_collect(_metadata, &self->p, &e, 100);
	CONN_SEND(&self->p, &self->c, PISN, self->c.isn + 1, F_ACK, NULL, 0);
	XSEG_EXPECT(&self->p, &s, 2000, F_ACK, self->c.isn + 1, XSEG_ANY);
	edge_seen(_metadata, &e, &s);
	rcv_nxt = s.ack;
	ASSERT_LT(PISN + 1 + 2000, rcv_nxt);
	/* From here on the reader moves the edge (filling it, Linux took
	 * the whole segment that crossed it).
	 */
	e.step = e.maxwin / 2 < 1000 ? e.maxwin / 2 : 1000;

	while ((n = recv(self->c.fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		reads++;
		edges_collect(_metadata, &self->p, &e, 5);
		CONN_SEND(&self->p, &self->c, rcv_nxt - 1, self->c.isn + 1,
			  F_ACK, NULL, 0);
		XSEG_EXPECT(&self->p, &s, 2000, F_ACK, self->c.isn + 1,
			    rcv_nxt);
		edge_seen(_metadata, &e, &s);
	}
	EXPECT_EQ((rcv_nxt - PISN - 1 + 99) / 100, reads);
	EXPECT_LE(1, e.moves) TH_LOG("reading all never opened the window");
	TH_LOG("%d reads, %d ACKs, %d moves of the right edge, max window %u",
	       reads, e.n, e.moves, e.maxwin);
}

/*
 * SHLD-14: the right edge never moves left, even when the buffer goes
 * faster than the window promised: a small receive buffer, the peer
 * sends 300 one-byte segments out of order (every other byte past a
 * hole), each costing a whole buffer of overhead.  Every ACK's edge is
 * at or right of the SYN-ACK's.
 */
TEST_F(rfc, one_byte_segments_past_a_hole_do_not_pull_the_right_edge_back)
{
	struct edges e = { .step = 0 };
	struct xseg s;
	int i;

	buffer_open(_metadata, self, variant, 8192, 1000, &s);
	edge_seen(_metadata, &e, &s);

	for (i = 0; i < 300; i++) {
		CONN_SEND(&self->p, &self->c, PISN + 2 + 2 * i,
			  self->c.isn + 1, F_ACK, "x", 1);
		edges_collect(_metadata, &self->p, &e, 2);
	}
	edges_collect(_metadata, &self->p, &e, 100);
	EXPECT_LE(2, e.n);
	TH_LOG("%d ACKs, last edge %u", e.n, e.last - PISN - 1);
}

/*
 * SHLD-19: out of quick-ACK mode, two full-sized segments in a row get
 * one ACK at once (not the 40 ms delayed ACK).  Forty segments, each
 * read and ACKed, use up the quick ACKs first (Linux 6.12 grows its
 * window, quick-ACKing, for about twenty); then a pair sent back to
 * back is ACKed within 25 ms.  Whether the first of the pair had an ACK
 * of its own is not asked ("at least" every second segment): Linux
 * 6.12, still growing its window, quick-ACKs it.  The buffer is large:
 * Linux ACKs the pair at once only if the window it offers would not
 * shrink (__tcp_ack_snd_check()), else at the read.
 */
TEST_F(rfc, two_full_sized_segments_get_one_ack_at_once)
{
	static char seg[1460];
	uint32_t seq = PISN + 1;
	struct xseg s;
	uint64_t t0;
	int i;

	buffer_open(_metadata, self, variant, 1 << 20, 1460, &s);
	for (i = 0; i < 40; i++) {
		CONN_SEND(&self->p, &self->c, seq, self->c.isn + 1, F_ACK,
			  seg, sizeof(seg));
		seq += sizeof(seg);
		sleep_ms(5);
		EXPECT_EQ(sizeof(seg), drain_fd(self->c.fd));
		drain_peer(&self->p, &s, 50);
	}
	EXPECT_EQ(seq, s.ack);

	CONN_SEND(&self->p, &self->c, seq, self->c.isn + 1, F_ACK, seg,
		  sizeof(seg));
	t0 = xpeer_now_ns();
	CONN_SEND(&self->p, &self->c, seq + sizeof(seg), self->c.isn + 1,
		  F_ACK, seg, sizeof(seg));
	seq += 2 * sizeof(seg);
	while (xpeer_now_ns() < t0 + 25 * MS &&
	       xpeer_recv(&self->p, &s, 25) == 1 && s.ack != seq)
		XSEG_CHECK(&s, F_ACK, self->c.isn + 1, XSEG_ANY);
	EXPECT_EQ(seq, s.ack);
	EXPECT_GT(t0 + 25 * MS, s.when_ns)
		TH_LOG("the ACK after %.1f ms", ms_between(t0, s.when_ns));
}

/*
 * SHLD-21: IP_TOS changed during a connection shows on the next
 * segment (DSCP 0x28; the ECN bits are TCP's own).
 */
TEST_F(rfc, ip_tos_changed_mid_connection_marks_the_next_segment)
{
	struct xseg syn = plain_syn(1000), d;
	static char buf[10];

	passive_open(_metadata, self, variant, &syn);
	ASSERT_EQ(10, send(self->c.fd, buf, sizeof(buf), 0));
	XSEG_EXPECT_DATA(&self->p, &d, 2000, self->c.isn + 1, PISN + 1);
	EXPECT_EQ(0, d.tos);
	CONN_SEND(&self->p, &self->c, PISN + 1, self->c.isn + 11, F_ACK,
		  NULL, 0);
	ASSERT_EQ(0, set_int(self->c.fd, IPPROTO_IP, IP_TOS, 0x28));
	ASSERT_EQ(10, send(self->c.fd, buf, sizeof(buf), 0));
	XSEG_EXPECT_DATA(&self->p, &d, 2000, self->c.isn + 11, PISN + 1);
	EXPECT_EQ(0x28, d.tos);
}

/*
 * SHLD-11: R2 defaults to 15 retransmissions, as net.ipv4.tcp_retries2:
 * from the 200 ms floor, doubling to the 120 s ceiling, over 900 s,
 * well past the 100 s asked for.
 */
TEST_F(rfc, retries2_defaults_to_15)
{
	long v = variant->family == AF_XTCP ? xtcp_sysctl_get("retries2") :
		 read_knob("/proc/sys/net/ipv4/tcp_retries2");

	EXPECT_EQ(15, v);
}

/*
 * MUST-41: a listen() that fails touches no other socket.  Two sockets
 * bound to one port (SO_REUSEADDR on both: neither listens yet); the
 * first listens, the second's listen() is EADDRINUSE, and the first
 * still answers a SYN and hands the connection to accept().
 */
TEST_F(rfc, a_failed_listen_leaves_the_other_listener_working)
{
	struct sockaddr_in sin = xc_addr(XPEER_LOCAL_ADDR, LPORT);
	struct xseg syn = plain_syn(1000);
	int fd;

	self->lfd = socket(variant->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	fd = socket(variant->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, self->lfd);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, set_int(self->lfd, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_EQ(0, set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_EQ(0, bind(self->lfd, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, listen(self->lfd, 8));
	EXPECT_EQ(-1, listen(fd, 8));
	EXPECT_EQ(EADDRINUSE, errno);
	close(fd);

	{
		struct xseg s;

		ASSERT_EQ(0, xpeer_send(&self->p, &syn));
		XSEG_EXPECT(&self->p, &s, 2000, F_SYN | F_ACK, XSEG_ANY,
			    PISN + 1);
		self->c = (struct xconn){ .lport = LPORT, .rport = RPORT,
					  .isn = s.seq, .pisn = PISN };
		CONN_SEND(&self->p, &self->c, PISN + 1, s.seq + 1, F_ACK,
			  NULL, 0);
	}
	self->c.fd = accept(self->lfd, NULL, NULL);
	EXPECT_LE(0, self->c.fd);
}

/*
 * MUST-42: a listener on a port whose other socket is in SYN-SENT.
 * Socket A (SO_REUSEADDR) binds LPORT and connects to the peer (its
 * SYN unanswered); socket B (SO_REUSEADDR) binds LPORT too and listens,
 * as Linux allows.  The listener answers a SYN from another port, and
 * A still completes its handshake.
 */
TEST_F(rfc, a_listener_shares_its_port_with_a_connection_in_syn_sent)
{
	struct sockaddr_in me = xc_addr(XPEER_LOCAL_ADDR, LPORT);
	struct sockaddr_in to = xc_addr(XPEER_REMOTE_ADDR, RPORT);
	struct xseg syn = xc_seg(RPORT + 1, LPORT, PISN, 0, F_SYN), s;
	struct pollfd pfd;
	socklen_t len = sizeof(int);
	int err = -1;

	self->c.fd = socket(variant->family, SOCK_STREAM | SOCK_CLOEXEC |
			    SOCK_NONBLOCK, 0);
	ASSERT_LE(0, self->c.fd);
	ASSERT_EQ(0, set_int(self->c.fd, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_EQ(0, bind(self->c.fd, (struct sockaddr *)&me, sizeof(me)));
	ASSERT_EQ(-1, connect(self->c.fd, (struct sockaddr *)&to,
			      sizeof(to)));
	ASSERT_EQ(EINPROGRESS, errno);
	XSEG_EXPECT(&self->p, &s, 2000, F_SYN, XSEG_ANY, XSEG_ANY);
	EXPECT_EQ(LPORT, s.sport);
	self->c.isn = s.seq;

	self->lfd = socket(variant->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, self->lfd);
	ASSERT_EQ(0, set_int(self->lfd, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_EQ(0, bind(self->lfd, (struct sockaddr *)&me, sizeof(me)));
	ASSERT_EQ(0, listen(self->lfd, 8));

	syn.win = PEER_WIN;
	ASSERT_EQ(0, xpeer_send(&self->p, &syn));
	XSEG_EXPECT(&self->p, &s, 2000, F_SYN | F_ACK, XSEG_ANY, PISN + 1);
	EXPECT_EQ(RPORT + 1, s.dport);

	PEER_SEND(&self->p, RPORT, LPORT, PISN, self->c.isn + 1,
		  F_SYN | F_ACK, NULL, 0);
	XSEG_EXPECT(&self->p, &s, 2000, F_ACK, self->c.isn + 1, PISN + 1);
	EXPECT_EQ(RPORT, s.dport);
	pfd.fd = self->c.fd;
	pfd.events = POLLOUT;
	ASSERT_EQ(1, poll(&pfd, 1, 2000));
	ASSERT_EQ(0, getsockopt(self->c.fd, SOL_SOCKET, SO_ERROR, &err, &len));
	EXPECT_EQ(0, err);
}

#define SECOND_ADDR	"10.0.0.3"

/*
 * MUST-43, MUST-45: a connection bound to a local address (the TUN
 * device's second one) sends its SYN and every later segment from it;
 * a listener bound to the first address does not answer a SYN to the
 * second (a RST: no socket there), but does one to its own.
 */
TEST_F(rfc, a_bound_local_address_is_used_and_kept)
{
	struct sockaddr_in me = xc_addr(SECOND_ADDR, 0);
	struct sockaddr_in to = xc_addr(XPEER_REMOTE_ADDR, RPORT);
	uint32_t second = inet_addr(SECOND_ADDR);
	struct xseg s, syn = plain_syn(1000);
	static char buf[10];

	ASSERT_EQ(0, system("ip addr add " SECOND_ADDR "/24 dev "
			    XPEER_IFNAME));
	self->c.fd = socket(variant->family, SOCK_STREAM | SOCK_CLOEXEC |
			    SOCK_NONBLOCK, 0);
	ASSERT_LE(0, self->c.fd);
	ASSERT_EQ(0, bind(self->c.fd, (struct sockaddr *)&me, sizeof(me)));
	ASSERT_EQ(-1, connect(self->c.fd, (struct sockaddr *)&to,
			      sizeof(to)));
	XSEG_EXPECT(&self->p, &s, 2000, F_SYN, XSEG_ANY, XSEG_ANY);
	EXPECT_EQ(second, s.saddr);
	self->c.lport = s.sport;
	self->c.rport = RPORT;
	self->c.isn = s.seq;
	s = xc_seg(RPORT, self->c.lport, PISN, self->c.isn + 1,
		   F_SYN | F_ACK);
	s.daddr = second;
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	XSEG_EXPECT(&self->p, &s, 2000, F_ACK, self->c.isn + 1, PISN + 1);
	EXPECT_EQ(second, s.saddr);
	ASSERT_EQ(0, xc_set_nonblock(self->c.fd, 0));
	ASSERT_EQ(10, send(self->c.fd, buf, sizeof(buf), 0));
	XSEG_EXPECT_DATA(&self->p, &s, 2000, self->c.isn + 1, PISN + 1);
	EXPECT_EQ(second, s.saddr);
	ASSERT_EQ(0, shutdown(self->c.fd, SHUT_WR));
	XSEG_EXPECT(&self->p, &s, 2000, F_FIN | F_ACK, self->c.isn + 11,
		    PISN + 1);
	EXPECT_EQ(second, s.saddr);

	self->lfd = rfc_listen(_metadata, variant->family);
	syn.daddr = second;
	ASSERT_EQ(0, xpeer_send(&self->p, &syn));
	XSEG_EXPECT(&self->p, &s, 2000, F_RST | F_ACK, 0, PISN + 1);
	syn.daddr = 0;
	syn.sport = RPORT + 1;
	ASSERT_EQ(0, xpeer_send(&self->p, &syn));
	XSEG_EXPECT(&self->p, &s, 2000, F_SYN | F_ACK, XSEG_ANY, PISN + 1);
	EXPECT_EQ(inet_addr(XPEER_LOCAL_ADDR), s.saddr);
}

/*
 * MUST-11, the active half: a connect() that reached SYN-RECEIVED by a
 * simultaneous open and then gets a RST fails.  RFC 9293 calls that
 * "connection refused"; Linux's tcp_reset() says ECONNREFUSED only in
 * SYN-SENT, ECONNRESET in SYN-RECEIVED, and XTCP follows Linux.
 *	module  S   seq isn
 *	peer    S   seq pisn               (no ACK: simultaneous open)
 *	module  S.  seq isn, ack pisn+1    SYN-RECEIVED
 *	peer    R   seq pisn+1
 */
TEST_F(rfc, a_rst_in_simultaneous_open_syn_received_fails_the_connect)
{
	struct sockaddr_in to = xc_addr(XPEER_REMOTE_ADDR, RPORT);
	struct xseg s;
	struct pollfd pfd;
	socklen_t len = sizeof(int);
	int err = -1;

	self->c.fd = socket(variant->family, SOCK_STREAM | SOCK_CLOEXEC |
			    SOCK_NONBLOCK, 0);
	ASSERT_LE(0, self->c.fd);
	ASSERT_EQ(-1, connect(self->c.fd, (struct sockaddr *)&to,
			      sizeof(to)));
	XSEG_EXPECT(&self->p, &s, 2000, F_SYN, XSEG_ANY, XSEG_ANY);
	self->c.lport = s.sport;
	self->c.rport = RPORT;
	self->c.isn = s.seq;
	PEER_SEND(&self->p, RPORT, self->c.lport, PISN, 0, F_SYN, NULL, 0);
	XSEG_EXPECT(&self->p, &s, 2000, F_SYN | F_ACK, self->c.isn,
		    PISN + 1);
	PEER_SEND(&self->p, RPORT, self->c.lport, PISN + 1, 0, F_RST, NULL,
		  0);
	pfd.fd = self->c.fd;
	pfd.events = POLLOUT;
	ASSERT_EQ(1, poll(&pfd, 1, 2000));
	ASSERT_EQ(0, getsockopt(self->c.fd, SOL_SOCKET, SO_ERROR, &err, &len));
	EXPECT_EQ(ECONNRESET, err) TH_LOG("%s", strerror(err));
	XSEG_EXPECT_SILENCE(&self->p, 300);
}

/*
 * MUST-56: Time Exceeded and Parameter Problem about a segment of an
 * established connection are soft errors: the connection goes on.  As
 * in Linux, without IP_RECVERR SO_ERROR reports (and clears) the last
 * soft error, EHOSTUNREACH and EPROTO, and nothing else fails.
 */
TEST_F(rfc, time_exceeded_and_parameter_problem_do_not_abort)
{
	struct xseg syn = plain_syn(1000), d;
	socklen_t len = sizeof(int);
	static char buf[100];
	int err = -1;

	passive_open(_metadata, self, variant, &syn);
	ASSERT_EQ(100, send(self->c.fd, buf, sizeof(buf), 0));
	XSEG_EXPECT_DATA(&self->p, &d, 2000, self->c.isn + 1, PISN + 1);
	ASSERT_EQ(0, xpeer_send_icmp(&self->p, ICMP_TIME_EXCEEDED,
				     ICMP_EXC_TTL, 0, &d));
	sleep_ms(50);
	ASSERT_EQ(0, getsockopt(self->c.fd, SOL_SOCKET, SO_ERROR, &err, &len));
	EXPECT_EQ(EHOSTUNREACH, err);
	ASSERT_EQ(0, xpeer_send_icmp(&self->p, ICMP_PARAMETERPROB, 0, 0, &d));
	sleep_ms(50);
	ASSERT_EQ(0, getsockopt(self->c.fd, SOL_SOCKET, SO_ERROR, &err, &len));
	EXPECT_EQ(EPROTO, err);
	ASSERT_EQ(0, getsockopt(self->c.fd, SOL_SOCKET, SO_ERROR, &err, &len));
	EXPECT_EQ(0, err);
	CONN_SEND(&self->p, &self->c, PISN + 1, self->c.isn + 101, F_ACK,
		  "ok", 2);
	XSEG_EXPECT(&self->p, &d, 2000, F_ACK, self->c.isn + 101, PISN + 3);
	EXPECT_EQ(2, recv(self->c.fd, buf, sizeof(buf), 0));
	ASSERT_EQ(100, send(self->c.fd, buf, sizeof(buf), 0));
	XSEG_EXPECT(&self->p, &d, 2000, F_ACK | F_PSH, self->c.isn + 101,
		    PISN + 3);
}

/* A segment from the peer with timestamps. */
static struct xseg ts_seg(uint16_t sport, uint32_t seq, uint32_t ack,
			  uint8_t flags, uint32_t tsval, uint32_t tsecr)
{
	struct xseg s = xc_seg(sport, LPORT, seq, ack, flags);

	s.has_ts = 1;
	s.tsval = tsval;
	s.tsecr = tsecr;
	return s;
}

/*
 * SHLD-4 (RFC 6191): a SYN to a four-tuple in TIME_WAIT opens a new
 * connection when its TSval is newer than the last one seen, even with
 * a sequence number below the old rcv_nxt; with the same TSval it gets
 * the TIME_WAIT entry's ACK.  The module's server closed first.
 *	peer    S   seq pisn, TSval t
 *	...     (established; the module closes, the peer's FIN, t+2)
 *	module  .   seq isn+2, ack pisn+2        TIME_WAIT
 *	peer    S   seq pisn-100000, TSval t+2   not newer
 *	entry   .   seq isn+2, ack pisn+2
 *	peer    S   seq pisn-100000, TSval t+3   newer
 *	listener S. ack pisn-100000+1
 */
TEST_F(rfc, a_syn_with_a_newer_tsval_reopens_a_time_wait_four_tuple)
{
	struct xseg s, a;
	uint32_t t = 5000, mine;

	no_invalid_ratelimit(_metadata);
	self->lfd = rfc_listen(_metadata, variant->family);
	s = ts_seg(RPORT, PISN, 0, F_SYN, t, 0);
	s.win = PEER_WIN;
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	XSEG_EXPECT(&self->p, &a, 2000, F_SYN | F_ACK, XSEG_ANY, PISN + 1);
	ASSERT_EQ(1, a.has_ts);
	self->c = (struct xconn){ .lport = LPORT, .rport = RPORT,
				  .isn = a.seq, .pisn = PISN };
	s = ts_seg(RPORT, PISN + 1, a.seq + 1, F_ACK, ++t, a.tsval);
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	self->c.fd = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, self->c.fd);

	close(self->c.fd);
	self->c.fd = -1;
	XSEG_EXPECT(&self->p, &a, 2000, F_FIN | F_ACK, self->c.isn + 1,
		    PISN + 1);
	mine = a.tsval;
	s = ts_seg(RPORT, PISN + 1, self->c.isn + 2, F_FIN | F_ACK, ++t,
		   mine);
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	XSEG_EXPECT(&self->p, &a, 2000, F_ACK, self->c.isn + 2, PISN + 2);
	mine = a.tsval;

	s = ts_seg(RPORT, PISN - 100000, 0, F_SYN, t, 0);
	s.win = PEER_WIN;
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	XSEG_EXPECT(&self->p, &a, 2000, F_ACK, self->c.isn + 2, PISN + 2);

	s.tsval = ++t;
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	XSEG_EXPECT(&self->p, &a, 2000, F_SYN | F_ACK, XSEG_ANY,
		    PISN - 100000 + 1);
	EXPECT_EQ(t, a.tsecr);
	EXPECT_LE(0, (int32_t)(a.tsval - mine));
}

/* A send() whose buffer faults, to a userfaultfd that answers late. */
struct stuck_send {
	int fd;
	void *buf;
	ssize_t ret;
};

static void *stuck_send_run(void *arg)
{
	struct stuck_send *st = arg;

	st->ret = send(st->fd, st->buf, 100, 0);
	return NULL;
}

/* A page whose first touch waits for the userfaultfd @uffd to answer. */
static void *uffd_page(struct __test_metadata *_metadata, int *uffd,
		       long size)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	void *page;

	*uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	EXPECT_LE(0, *uffd);
	EXPECT_EQ(0, ioctl(*uffd, UFFDIO_API, &api));
	page = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT_NE(MAP_FAILED, page);
	reg.range.start = (unsigned long)page;
	reg.range.len = size;
	EXPECT_EQ(0, ioctl(*uffd, UFFDIO_REGISTER, &reg));
	return page;
}

/*
 * MUST-59, as Linux does it: segments that arrive while the application
 * holds the socket (a send() copying from a page that faults, held by a
 * userfaultfd) wait in the backlog, unanswered; once the send() is done
 * they are processed in order, and the last ACK is of all ten.  How
 * many ACKs: XTCP and Linux 6.1 send each the ACK it would have had (here
 * in quick-ACK mode: ten); 6.12 coalesces them in tcp_add_backlog() and
 * sends one.
 */
TEST_F(rfc, a_busy_sockets_backlog_waits_for_the_socket)
{
	struct xseg syn = xc_seg(RPORT, LPORT, PISN, 0, F_SYN), s;
	struct uffdio_zeropage zp = { 0 };
	long size = sysconf(_SC_PAGESIZE);
	struct pollfd pfd = { .events = POLLIN };
	struct stuck_send st = { .ret = -1 };
	char data[1000] = { 0 };
	int uffd, i, acks = 0;
	uint32_t last = 0;
	struct uffd_msg msg;
	pthread_t t;

	passive_open(_metadata, self, variant, &syn);
	st.fd = self->c.fd;
	st.buf = uffd_page(_metadata, &uffd, size);
	ASSERT_EQ(0, pthread_create(&t, NULL, stuck_send_run, &st));
	/* The send() now waits on its buffer, the socket in its hands. */
	pfd.fd = uffd;
	ASSERT_EQ(1, poll(&pfd, 1, 2000));
	ASSERT_EQ(sizeof(msg), read(uffd, &msg, sizeof(msg)));
	for (i = 0; i < 10; i++)
		CONN_SEND(&self->p, &self->c, PISN + 1 + i * sizeof(data),
			  self->c.isn + 1, F_ACK, data, sizeof(data));
	XSEG_EXPECT_SILENCE(&self->p, 100);
	zp.range.start = (unsigned long)st.buf;
	zp.range.len = size;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_ZEROPAGE, &zp));
	pthread_join(t, NULL);
	EXPECT_EQ(100, st.ret);
	/* The write's segment goes before the backlog is let in. */
	while (xpeer_recv(&self->p, &s, 150) == 1) {
		if (s.len)
			continue;
		acks++;
		last = s.ack;
	}
	EXPECT_LE(1, acks);
	EXPECT_GE(10, acks);
	EXPECT_EQ(PISN + 1 + 10 * sizeof(data), last);
	TH_LOG("%d ACKs for the ten segments", acks);
	munmap(st.buf, size);
	close(uffd);
}

TEST_HARNESS_MAIN
