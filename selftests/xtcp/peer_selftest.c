// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the scripted peer itself (peer.c), against today's module, which
 * validates and counts segments but has no sockets to deliver them to.
 *
 * Peer to kernel: what xpeer_send() writes must pass the module's checks
 * (or fail them when asked to), counted in the test's own namespace, and
 * must be byte for byte what a raw socket sees arrive.
 * Kernel to peer: a raw IPPROTO_XTCP socket sends hand-built segments to
 * 10.0.0.2, and xpeer_recv() must read every field back.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

#include "kselftest_harness.h"
#include "xtcp_util.h"
#include "peer.h"

#define MS	1000000ull

/* The module sends nothing yet, so a raw socket stands in for it. */
static int raw_send_to_peer(const void *seg, size_t len)
{
	struct sockaddr_in dst = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_XTCP);
	ssize_t n;

	if (fd < 0)
		return -errno;
	inet_pton(AF_INET, XPEER_REMOTE_ADDR, &dst.sin_addr);
	n = sendto(fd, seg, len, 0, (struct sockaddr *)&dst, sizeof(dst));
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

/* One IPPROTO_XTCP packet (IP header included) from a raw socket. */
static ssize_t raw_recv(int fd, uint8_t *buf, size_t size, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (poll(&pfd, 1, timeout_ms) != 1)
		return -1;
	return recv(fd, buf, size, 0);
}

static uint32_t addr(const char *s)
{
	struct in_addr in;

	inet_pton(AF_INET, s, &in);
	return in.s_addr;
}

/* What Linux puts on a SYN: MSS 1460, SACK-permitted, TS, NOP, wscale 7. */
static const uint8_t syn_opts[20] = {
	2, 4, 0x05, 0xb4,
	4, 2, 8, 10, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
	1, 3, 3, 7,
};

/*
 * From 10.0.0.1:5000 to 10.0.0.2:4000: the options above, "hello", and
 * every header field set to something distinct.  Returns the length.
 */
static size_t build_kernel_seg(uint8_t *buf, const uint8_t *opts,
			       size_t optlen, int doff)
{
	struct xtcphdr *th = (struct xtcphdr *)buf;
	size_t len = XTCP_HDR_MIN_LEN + optlen + 5;

	memset(buf, 0, XTCP_HDR_MIN_LEN);
	th->source = htons(5000);
	th->dest = htons(4000);
	th->seq = htonl(0xfffffff0);
	th->ack_seq = htonl(0x80000001);
	th->doff = doff ? doff : (int)(5 + optlen / 4);
	th->syn = 1;
	th->ack = 1;
	th->psh = 1;
	th->urg = 1;
	th->window = htons(29200);
	th->urg_ptr = htons(7);
	memcpy(buf + XTCP_HDR_MIN_LEN, opts, optlen);
	memcpy(buf + XTCP_HDR_MIN_LEN + optlen, "hello", 5);
	th->check = xseg_csum(addr(XPEER_LOCAL_ADDR), addr(XPEER_REMOTE_ADDR),
			      buf, len);
	return len;
}

/* A SYN from the peer's 4000 to the module's 5000. */
static struct xseg peer_syn(void)
{
	struct xseg s = {
		.sport = 4000, .dport = 5000, .seq = 1000,
		.flags = XTCP_FLAG_SYN, .win = 65535,
	};

	return s;
}

TEST(flags_print_in_tcpdump_order)
{
	char b[16];

	EXPECT_STREQ("S", xseg_flags_str(XTCP_FLAG_SYN, b));
	EXPECT_STREQ("S.", xseg_flags_str(XTCP_FLAG_SYN | XTCP_FLAG_ACK, b));
	EXPECT_STREQ("F.", xseg_flags_str(XTCP_FLAG_FIN | XTCP_FLAG_ACK, b));
	EXPECT_STREQ("R", xseg_flags_str(XTCP_FLAG_RST, b));
	EXPECT_STREQ("P.", xseg_flags_str(XTCP_FLAG_PSH | XTCP_FLAG_ACK, b));
	EXPECT_STREQ(".U", xseg_flags_str(XTCP_FLAG_URG | XTCP_FLAG_ACK, b));
	EXPECT_STREQ("FSRP.UEW", xseg_flags_str(0xff, b));
	EXPECT_STREQ("none", xseg_flags_str(0, b));
}

TEST(segment_prints_as_one_tcpdump_like_line)
{
	struct xseg s = {
		.sport = 4000, .dport = 5000, .seq = 1, .ack = 2,
		.flags = XTCP_FLAG_SYN | XTCP_FLAG_ACK, .win = 1000,
		.has_mss = 1, .mss = 1460, .has_sackperm = 1,
		.has_ts = 1, .tsval = 3, .tsecr = 4,
		.has_wscale = 1, .wscale = 7,
		.data = (const uint8_t *)"abc", .len = 3,
	};
	char line[256];

	xseg_snprint(line, sizeof(line), &s);
	EXPECT_STREQ("10.0.0.2.4000 > 10.0.0.1.5000: Flags [S.], seq 1, "
		     "ack 2, win 1000, options [mss 1460,sackOK,"
		     "TS val 3 ecr 4,wscale 7], length 3", line);
}

FIXTURE(peer) {
	struct xpeer p;
	struct xseg s;
	uint8_t seg[128];
};

FIXTURE_SETUP(peer)
{
	ASSERT_EQ(0, xtcp_ensure_loaded());
	ASSERT_EQ(0, xpeer_setup(&self->p));
}

FIXTURE_TEARDOWN(peer)
{
	xpeer_teardown(&self->p);
}

TEST_F(peer, syn_to_closed_port_is_counted_in_its_namespace)
{
	struct xseg syn = peer_syn();

	/* A new namespace starts from zero. */
	ASSERT_EQ(0, xtcp_stat("InSegs"));
	ASSERT_EQ(0, xtcp_stat("NoSocket"));
	ASSERT_EQ(0, xpeer_send(&self->p, &syn));
	EXPECT_EQ(1, xtcp_wait_stat("NoSocket", 1));
	EXPECT_EQ(1, xtcp_stat("InSegs"));
	EXPECT_EQ(0, xtcp_stat("InErrs"));
	EXPECT_EQ(0, xtcp_stat("InCsumErrors"));
}

TEST_F(peer, segment_with_options_and_odd_payload_passes_the_checks)
{
	struct xseg s = peer_syn();

	s.flags = XTCP_FLAG_ACK | XTCP_FLAG_PSH;
	s.has_mss = 1;
	s.has_sackperm = 1;
	s.has_ts = 1;
	s.has_wscale = 1;
	s.mss = 1460;
	s.wscale = 14;
	s.tsval = 0xffffffff;
	s.data = (const uint8_t *)"odd";
	s.len = 3;
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	EXPECT_EQ(1, xtcp_wait_stat("NoSocket", 1));
	EXPECT_EQ(0, xtcp_stat("InErrs"));
}

TEST_F(peer, bad_checksum_is_counted_as_a_checksum_error)
{
	struct xseg syn = peer_syn();

	syn.bad_csum = 1;
	ASSERT_EQ(0, xpeer_send(&self->p, &syn));
	EXPECT_EQ(1, xtcp_wait_stat("InCsumErrors", 1));
	EXPECT_EQ(1, xtcp_stat("InErrs"));
	EXPECT_EQ(0, xtcp_stat("NoSocket"));
}

TEST_F(peer, data_offset_of_four_words_is_counted_as_an_error)
{
	struct xseg syn = peer_syn();

	syn.doff_override = 4;
	ASSERT_EQ(0, xpeer_send(&self->p, &syn));
	EXPECT_EQ(1, xtcp_wait_stat("InErrs", 1));
	EXPECT_EQ(0, xtcp_stat("InCsumErrors"));
	EXPECT_EQ(0, xtcp_stat("NoSocket"));
}

/* A raw socket sees incoming IPPROTO_XTCP packets whole: check each byte. */
TEST_F(peer, send_writes_linux_option_layout_and_a_valid_ip_header)
{
	static const uint8_t want[40] = {
		0x0f, 0xa0, 0x13, 0x88,		/* 4000 -> 5000 */
		0, 0, 0, 1, 0, 0, 0, 2,		/* seq 1, ack 2 */
		0xa0, 0x12, 0x03, 0xe8,		/* doff 10, SYN|ACK, win 1000 */
		0, 0, 0, 0,			/* check (zeroed), urg 0 */
		2, 4, 0x05, 0xb4,		/* MSS 1460 */
		4, 2, 8, 10, 0, 0, 0, 3, 0, 0, 0, 4,	/* SACK_PERM, TS */
		1, 3, 3, 7,			/* NOP, wscale 7 */
	};
	struct xseg s = {
		.sport = 4000, .dport = 5000, .seq = 1, .ack = 2,
		.flags = XTCP_FLAG_SYN | XTCP_FLAG_ACK, .win = 1000,
		.has_mss = 1, .mss = 1460, .has_sackperm = 1,
		.has_ts = 1, .tsval = 3, .tsecr = 4,
		.has_wscale = 1, .wscale = 7,
		.data = (const uint8_t *)"abc", .len = 3,
	};
	int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_XTCP);
	uint8_t pkt[256];
	ssize_t n;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	n = raw_recv(fd, pkt, sizeof(pkt), 1000);
	ASSERT_EQ(20 + 40 + 3, n);
	close(fd);

	EXPECT_EQ(0x45, pkt[0]);
	EXPECT_EQ(63, (pkt[2] << 8) | pkt[3]);
	EXPECT_EQ(0x40, pkt[6] & 0xe0);		/* DF, not MF */
	EXPECT_EQ(64, pkt[8]);
	EXPECT_EQ(IPPROTO_XTCP, pkt[9]);
	EXPECT_EQ(0, memcmp(pkt + 12, "\x0a\x00\x00\x02\x0a\x00\x00\x01", 8));
	EXPECT_EQ(0, xseg_csum(addr(XPEER_REMOTE_ADDR),
			       addr(XPEER_LOCAL_ADDR), pkt + 20, 43));
	memset(pkt + 20 + 16, 0, 2);
	EXPECT_EQ(0, memcmp(want, pkt + 20, sizeof(want)));
	EXPECT_EQ(0, memcmp("abc", pkt + 60, 3));
}

TEST_F(peer, send_writes_sack_blocks_and_raw_options_verbatim)
{
	static const uint8_t sack[20] = {
		1, 1, 5, 18, 0, 0, 0, 10, 0, 0, 0, 20,
		0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 5,
	};
	struct xseg s = peer_syn();
	int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_XTCP);
	uint8_t pkt[256];

	ASSERT_LE(0, fd);
	s.nsack = 2;
	s.sack[0].left = 10;
	s.sack[0].right = 20;
	s.sack[1].left = 0xfffffff0;
	s.sack[1].right = 5;
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	ASSERT_EQ(60, raw_recv(fd, pkt, sizeof(pkt), 1000));
	EXPECT_EQ(0xa0, pkt[20 + 12]);
	EXPECT_EQ(0, memcmp(sack, pkt + 40, sizeof(sack)));

	/* Three raw bytes: padded with a zero to one word. */
	memset(&s, 0, sizeof(s));
	memcpy(s.raw_opts, "\x08\x0a\x01", 3);
	s.raw_opts_len = 3;
	s.nsack = 1;		/* ignored: raw options win */
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	ASSERT_EQ(44, raw_recv(fd, pkt, sizeof(pkt), 1000));
	EXPECT_EQ(0x60, pkt[20 + 12]);
	EXPECT_EQ(0, memcmp("\x08\x0a\x01\x00", pkt + 40, 4));
	close(fd);
}

TEST_F(peer, send_refuses_options_longer_than_forty_bytes)
{
	struct xseg s = peer_syn();

	s.has_mss = 1;
	s.has_sackperm = 1;
	s.has_ts = 1;
	s.has_wscale = 1;
	s.nsack = 2;		/* 4 + 12 + 4 + 20 = 40: fits */
	EXPECT_EQ(0, xpeer_send(&self->p, &s));
	s.nsack = 3;
	EXPECT_EQ(-EINVAL, xpeer_send(&self->p, &s));
	s.nsack = XSEG_MAX_SACK + 1;
	EXPECT_EQ(-EINVAL, xpeer_send(&self->p, &s));
	s.nsack = 0;
	s.raw_opts_len = 41;
	EXPECT_EQ(-EINVAL, xpeer_send(&self->p, &s));
}

/* The one's complement sum of an IP header, 0 when its checksum is right. */
static uint16_t ip_hdr_sum(const uint8_t *ip, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (ip[i] << 8) | ip[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* IP options go out after the IP header, padded to a word, ihl to match. */
TEST_F(peer, send_writes_ip_options_with_header_length_and_checksum)
{
	static const uint8_t opts[8] = {
		1, 0x5e, 3, 0xaa, 1,	/* NOP, an unknown option, NOP */
		0, 0, 0,		/* End of Option List padding */
	};
	struct xseg s = peer_syn();
	int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_XTCP);
	uint8_t pkt[256];

	ASSERT_LE(0, fd);
	memcpy(s.ip_opts, opts, 5);
	s.ip_opts_len = 5;
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	ASSERT_EQ(28 + 20, raw_recv(fd, pkt, sizeof(pkt), 1000));
	close(fd);
	EXPECT_EQ(0x47, pkt[0]);
	EXPECT_EQ(48, (pkt[2] << 8) | pkt[3]);
	EXPECT_EQ(0, ip_hdr_sum(pkt, 28));
	EXPECT_EQ(0, memcmp(opts, pkt + 20, sizeof(opts)));
	EXPECT_EQ(0, xseg_csum(addr(XPEER_REMOTE_ADDR),
			       addr(XPEER_LOCAL_ADDR), pkt + 28, 20));
	EXPECT_EQ(0x0f, pkt[28]);	/* port 4000 where the segment begins */
	EXPECT_EQ(1, xtcp_wait_stat("NoSocket", 1));
	EXPECT_EQ(0, xtcp_stat("InErrs"));

	s.ip_opts_len = 41;
	EXPECT_EQ(-EINVAL, xpeer_send(&self->p, &s));
}

/* A kernel packet's IP options are read back as they came. */
TEST_F(peer, kernel_ip_options_are_read_back)
{
	/* Record route, one slot: the kernel records its own address. */
	static const uint8_t rr[4] = { 7, 7, 4, 0 };
	static const uint8_t want[8] = { 7, 7, 8, 10, 0, 0, 1, 0 };
	size_t len = build_kernel_seg(self->seg, syn_opts, sizeof(syn_opts), 0);
	struct sockaddr_in dst = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_XTCP);
	uint8_t opt[8] = { 0 };

	ASSERT_LE(0, fd);
	memcpy(opt, rr, sizeof(rr));
	ASSERT_EQ(0, setsockopt(fd, IPPROTO_IP, IP_OPTIONS, opt, sizeof(opt)));
	inet_pton(AF_INET, XPEER_REMOTE_ADDR, &dst.sin_addr);
	ASSERT_EQ((ssize_t)len, sendto(fd, self->seg, len, 0,
				       (struct sockaddr *)&dst, sizeof(dst)));
	close(fd);
	ASSERT_EQ(1, xpeer_recv(&self->p, &self->s, 1000));
	EXPECT_STREQ("", self->s.parse_err);
	EXPECT_EQ(1, self->s.csum_ok);
	EXPECT_EQ(5000, self->s.sport);
	ASSERT_EQ(8, self->s.ip_opts_len);
	EXPECT_EQ(0, memcmp(want, self->s.ip_opts, sizeof(want)));
	ASSERT_EQ(5, self->s.len);
	EXPECT_EQ(0, memcmp("hello", self->s.data, 5));
}

TEST_F(peer, kernel_segment_is_read_with_every_field_parsed)
{
	size_t len = build_kernel_seg(self->seg, syn_opts, sizeof(syn_opts), 0);
	struct xseg *s = &self->s;
	uint64_t before = xpeer_now_ns(), after;
	char line[256];

	ASSERT_EQ(0, raw_send_to_peer(self->seg, len));
	ASSERT_EQ(1, xpeer_recv(&self->p, s, 1000));
	after = xpeer_now_ns();
	xseg_snprint(line, sizeof(line), s);
	TH_LOG("%s", line);

	EXPECT_STREQ("", s->parse_err);
	EXPECT_EQ(1, s->csum_ok);
	EXPECT_EQ(5000, s->sport);
	EXPECT_EQ(4000, s->dport);
	EXPECT_EQ(0xfffffff0, s->seq);
	EXPECT_EQ(0x80000001, s->ack);
	EXPECT_EQ(XTCP_FLAG_SYN | XTCP_FLAG_ACK | XTCP_FLAG_PSH |
		  XTCP_FLAG_URG, s->flags);
	EXPECT_EQ(29200, s->win);
	EXPECT_EQ(7, s->urg);
	EXPECT_EQ(1, s->has_mss);
	EXPECT_EQ(1460, s->mss);
	EXPECT_EQ(1, s->has_sackperm);
	EXPECT_EQ(1, s->has_ts);
	EXPECT_EQ(0x11223344, s->tsval);
	EXPECT_EQ(0x55667788, s->tsecr);
	EXPECT_EQ(1, s->has_wscale);
	EXPECT_EQ(7, s->wscale);
	EXPECT_EQ(0, s->nsack);
	ASSERT_EQ(sizeof(syn_opts), s->raw_opts_len);
	EXPECT_EQ(0, memcmp(syn_opts, s->raw_opts, sizeof(syn_opts)));
	ASSERT_EQ(5, s->len);
	EXPECT_EQ(0, memcmp("hello", s->data, 5));
	EXPECT_EQ(64, s->ttl);
	EXPECT_EQ(addr(XPEER_LOCAL_ADDR), s->saddr);
	EXPECT_EQ(addr(XPEER_REMOTE_ADDR), s->daddr);
	EXPECT_LE(before, s->when_ns);
	EXPECT_GE(after, s->when_ns);
}

TEST_F(peer, kernel_segment_matches_xseg_expect)
{
	size_t len = build_kernel_seg(self->seg, syn_opts, sizeof(syn_opts), 0);

	ASSERT_EQ(0, raw_send_to_peer(self->seg, len));
	XSEG_EXPECT(&self->p, &self->s, 1000,
		    XTCP_FLAG_SYN | XTCP_FLAG_ACK | XTCP_FLAG_PSH |
		    XTCP_FLAG_URG, 0xfffffff0, XSEG_ANY);
	EXPECT_EQ(1460, self->s.mss);
}

TEST_F(peer, wrong_checksum_from_the_kernel_side_is_flagged)
{
	size_t len = build_kernel_seg(self->seg, syn_opts, sizeof(syn_opts), 0);

	self->seg[17] ^= 0x01;
	ASSERT_EQ(0, raw_send_to_peer(self->seg, len));
	ASSERT_EQ(1, xpeer_recv(&self->p, &self->s, 1000));
	EXPECT_EQ(0, self->s.csum_ok);
	EXPECT_STREQ("", self->s.parse_err);
}

TEST_F(peer, malformed_options_are_reported_not_fatal)
{
	static const uint8_t past_end[4] = { 8, 40, 0, 0 };
	static const uint8_t no_length[4] = { 1, 1, 1, 2 };
	static const uint8_t bad_mss[4] = { 2, 3, 0, 0 };
	const uint8_t *cases[] = { past_end, no_length, bad_mss };
	size_t len;
	int i;

	for (i = 0; i < 3; i++) {
		len = build_kernel_seg(self->seg, cases[i], 4, 0);
		ASSERT_EQ(0, raw_send_to_peer(self->seg, len));
		ASSERT_EQ(1, xpeer_recv(&self->p, &self->s, 1000));
		TH_LOG("case %d: %s", i, self->s.parse_err);
		EXPECT_NE(0, self->s.parse_err[0]);
		EXPECT_EQ(1, self->s.csum_ok);
		EXPECT_EQ(5000, self->s.sport);
		EXPECT_EQ(0, self->s.has_mss);
	}

	/* A data offset past the segment: header fields, but no payload. */
	len = build_kernel_seg(self->seg, syn_opts, 0, 15);
	ASSERT_EQ(0, raw_send_to_peer(self->seg, len));
	ASSERT_EQ(1, xpeer_recv(&self->p, &self->s, 1000));
	EXPECT_NE(0, self->s.parse_err[0]);
	EXPECT_EQ(0xfffffff0, self->s.seq);
	EXPECT_EQ(0, self->s.len);

	/* Shorter than a header. */
	ASSERT_EQ(0, raw_send_to_peer(self->seg, 12));
	ASSERT_EQ(1, xpeer_recv(&self->p, &self->s, 1000));
	EXPECT_NE(0, self->s.parse_err[0]);
}

TEST_F(peer, packets_that_are_not_xtcp_are_skipped)
{
	struct sockaddr_in dst = { .sin_family = AF_INET,
				   .sin_port = htons(9) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	size_t len = build_kernel_seg(self->seg, syn_opts, 0, 0);

	ASSERT_LE(0, fd);
	dst.sin_addr.s_addr = addr(XPEER_REMOTE_ADDR);
	ASSERT_EQ(1, sendto(fd, "x", 1, 0, (struct sockaddr *)&dst,
			    sizeof(dst)));
	close(fd);
	ASSERT_EQ(0, raw_send_to_peer(self->seg, len));
	ASSERT_EQ(1, xpeer_recv(&self->p, &self->s, 1000));
	EXPECT_EQ(5000, self->s.sport);
	EXPECT_LE(1, self->p.skipped);
}

TEST_F(peer, silence_is_reported_after_the_whole_wait)
{
	uint64_t t0 = xpeer_now_ns(), dt;

	EXPECT_EQ(1, xpeer_expect_silence(&self->p, 200));
	dt = xpeer_now_ns() - t0;
	EXPECT_LE(200 * MS, dt);
	EXPECT_GT(1000 * MS, dt);
	XSEG_EXPECT_SILENCE(&self->p, 50);
	EXPECT_EQ(0, xpeer_recv(&self->p, &self->s, 0));
}

TEST_F(peer, a_segment_breaks_the_silence_and_is_kept)
{
	size_t len = build_kernel_seg(self->seg, syn_opts, 0, 0);

	ASSERT_EQ(0, raw_send_to_peer(self->seg, len));
	EXPECT_EQ(0, xpeer_expect_silence(&self->p, 1000));
	EXPECT_EQ(4000, self->p.last.dport);
}

TEST_F(peer, mtu_of_the_tun_device_can_be_set)
{
	struct ifreq ifr = { .ifr_name = XPEER_IFNAME };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, xpeer_set_mtu(&self->p, 1280));
	ASSERT_EQ(0, ioctl(fd, SIOCGIFMTU, &ifr));
	EXPECT_EQ(1280, ifr.ifr_mtu);
	close(fd);
}

TEST_HARNESS_MAIN
