// SPDX-License-Identifier: GPL-2.0
/*
 * RFC 9293 requirements that no other program checks (RFC9293.md names
 * this file for them), each run on a Linux TCP socket and on an XTCP
 * socket with the same script against the scripted peer, with the same
 * expectations.
 */
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

FIXTURE_VARIANT(rfc) {
	int family;
	int proto;
};

FIXTURE_VARIANT_ADD(rfc, tcp) {
	.family = AF_INET,
	.proto = IPPROTO_TCP,
};

FIXTURE_VARIANT_ADD(rfc, xtcp) {
	.family = AF_XTCP,
	.proto = IPPROTO_XTCP,
};

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

TEST_HARNESS_MAIN
