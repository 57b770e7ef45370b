// SPDX-License-Identifier: GPL-2.0
/*
 * IP options and IP-level addressing of RFC 9293 section 3.9.2 (MUST-50
 * to MUST-53, MUST-57), each run on a Linux TCP socket and on an XTCP
 * socket with the same script against the scripted peer and the same
 * expectations: the bytes Linux TCP puts in its IP options are the bytes
 * asserted for XTCP.
 *
 * Addresses: the module's side is 10.0.0.1 on xtun0 (10.0.0.0/24); the
 * peer answers for every other address the kernel routes into xtun0, so
 * 10.0.0.3 and 10.0.0.4 stand for routers on a source route.
 */
#include <arpa/inet.h>
#include <netinet/ip.h>

#include "kselftest_harness.h"
#include "xtcp_util.h"
#include "peer.h"
#include "xtcp_conn.h"

#define RPORT		44101
#define LPORT		6301
#define PISN		0x59000000u

#define ROUTER_A	"10.0.0.3"
#define ROUTER_B	"10.0.0.4"
#define FAR_HOST	"192.0.2.1"	/* TEST-NET-1: no route here */

FIXTURE(ipopt) {
	struct xpeer p;
	struct xconn c;
	int lfd;
};

FIXTURE_VARIANT(ipopt) {
	int family;
	int proto;
	const char *syncookies;		/* that stack's knob */
};

FIXTURE_VARIANT_ADD(ipopt, tcp) {
	.family = AF_INET,
	.proto = IPPROTO_TCP,
	.syncookies = "/proc/sys/net/ipv4/tcp_syncookies",
};

FIXTURE_VARIANT_ADD(ipopt, xtcp) {
	.family = AF_XTCP,
	.proto = IPPROTO_XTCP,
	.syncookies = "/proc/sys/net/xtcp/syncookies",
};

FIXTURE_SETUP(ipopt)
{
	self->c.fd = self->lfd = -1;
	ASSERT_EQ(0, xtcp_ensure_loaded());
	ASSERT_EQ(0, xpeer_setup(&self->p));
	self->p.proto = variant->proto;
}

FIXTURE_TEARDOWN(ipopt)
{
	if (self->c.fd >= 0)
		xc_close_abort(self->c.fd);
	if (self->lfd >= 0)
		close(self->lfd);
	xpeer_teardown(&self->p);
}

static uint32_t ip4(const char *s)
{
	return inet_addr(s);
}

static int ipopt_listen(struct __test_metadata *_metadata, int family,
			const char *addr)
{
	struct sockaddr_in sin = xc_addr(addr, LPORT);
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	EXPECT_LE(0, fd);
	EXPECT_EQ(0, bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(0, listen(fd, 8));
	return fd;
}

/* SYN-queue entries of the stack under test (/proc/net/tcp or xtcp). */
static int syn_recv_count(int family)
{
	unsigned int la, lp, ra, rp, st;
	char line[512];
	int n = 0;
	FILE *f;

	if (family == AF_XTCP)
		return xc_proc_count(ST_SYN_RECV);
	f = fopen("/proc/net/tcp", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*d: %x:%x %x:%x %x", &la, &lp, &ra, &rp,
			   &st) == 5 && st == ST_SYN_RECV)
			n++;
	fclose(f);
	return n;
}

/* IP accepts source-routed packets on xtun0 only with both knobs on. */
static void accept_source_route(struct __test_metadata *_metadata)
{
	ASSERT_EQ(0, write_knob("/proc/sys/net/ipv4/conf/all/accept_source_route",
				1));
	ASSERT_EQ(0, write_knob("/proc/sys/net/ipv4/conf/" XPEER_IFNAME
				"/accept_source_route", 1));
}

/* The peer's SYN with IP options @opts (@len bytes). */
static struct xseg syn_with(const uint8_t *opts, int len)
{
	struct xseg syn = xc_seg(RPORT, LPORT, PISN, 0, F_SYN);

	memcpy(syn.ip_opts, opts, len);
	syn.ip_opts_len = len;
	return syn;
}

/* Completes a passive open whose SYN-ACK is @sa; the child in c.fd. */
static void finish_passive_open(struct __test_metadata *_metadata,
				FIXTURE_DATA(ipopt) *self,
				const struct xseg *sa)
{
	self->c.isn = sa->seq;
	self->c.lport = LPORT;
	self->c.rport = RPORT;
	self->c.pisn = PISN;
	CONN_SEND(&self->p, &self->c, PISN + 1, sa->seq + 1, F_ACK, NULL, 0);
	self->c.fd = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, self->c.fd);
}

/* Data both ways on the open connection c. */
static void data_flows(struct __test_metadata *_metadata,
		       FIXTURE_DATA(ipopt) *self, struct xseg *got)
{
	char buf[16];

	CONN_SEND(&self->p, &self->c, PISN + 1, self->c.isn + 1,
		  F_ACK | F_PSH, "hello", 5);
	ASSERT_EQ(5, recv(self->c.fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp("hello", buf, 5));
	ASSERT_EQ(5, send(self->c.fd, "world", 5, 0));
	for (;;) {
		ASSERT_EQ(1, xpeer_recv(&self->p, got, 2000));
		if (got->len)
			break;		/* past the ACK of "hello" */
	}
	EXPECT_EQ(1, got->csum_ok);
	EXPECT_EQ(self->c.isn + 1, got->seq);
	ASSERT_EQ(5, got->len);
	EXPECT_EQ(0, memcmp("world", got->data, 5));
}

/*
 * MUST-57: a SYN to the subnet's broadcast address or to a multicast
 * group, in a unicast frame (a TUN device has no other), gets no SYN-ACK
 * and leaves no SYN-queue entry, from a listener on INADDR_ANY, which
 * answers the unicast address.  Nor does a segment to them with no
 * listener get a RST.
 */
TEST_F(ipopt, a_syn_to_a_broadcast_or_multicast_address_is_not_answered)
{
	static const char * const to[] = { "10.0.0.255", "224.0.0.1" };
	struct xseg s = xc_seg(RPORT, LPORT, PISN, 0, F_SYN);
	unsigned int i;

	self->lfd = ipopt_listen(_metadata, variant->family, "0.0.0.0");
	for (i = 0; i < sizeof(to) / sizeof(to[0]); i++) {
		s.daddr = ip4(to[i]);
		ASSERT_EQ(0, xpeer_send(&self->p, &s));
		XSEG_EXPECT_SILENCE(&self->p, 300);
	}
	/* Dropped, not an entry whose SYN-ACK finds no route. */
	EXPECT_EQ(0, syn_recv_count(variant->family));
	if (variant->family == AF_XTCP)
		EXPECT_EQ(2, xtcp_stat("ListenDrops"));

	s = xc_seg(RPORT, LPORT + 1, PISN, 1, F_ACK);
	s.daddr = ip4("10.0.0.255");
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	XSEG_EXPECT_SILENCE(&self->p, 300);

	/* The listener is there all along for its unicast address. */
	s = xc_seg(RPORT, LPORT, PISN, 0, F_SYN);
	ASSERT_EQ(0, xpeer_send(&self->p, &s));
	XSEG_EXPECT(&self->p, &s, 2000, F_SYN | F_ACK, XSEG_ANY, PISN + 1);
	EXPECT_EQ(1, syn_recv_count(variant->family));
}

/*
 * MUST-50 and MUST-52's receiving half: a SYN with IP options TCP does
 * not act on (a timestamp, a record route, an option of unknown kind) is
 * answered and the connection carries data.  The answer echoes the
 * record route and the timestamp as Linux does (the unknown option not),
 * each with the next entry taken for the answering host.
 */
TEST_F(ipopt, a_syn_with_ip_options_is_answered_and_data_flows)
{
	static const uint8_t opts[24] = {
		IPOPT_TS, 12, 5, IPOPT_TS_TSONLY, 0, 0, 0, 0, 0, 0, 0, 0,
		IPOPT_RR, 7, 4, 0, 0, 0, 0,
		0x5e, 4, 'x', 'y',		/* experimental, RFC 4727 */
		IPOPT_END,
	};
	static const uint8_t rr[7] = { IPOPT_RR, 7, 8, 10, 0, 0, 1 };
	struct xseg syn = syn_with(opts, sizeof(opts)), sa, got;

	self->lfd = ipopt_listen(_metadata, variant->family, XPEER_LOCAL_ADDR);
	ASSERT_EQ(0, xpeer_send(&self->p, &syn));
	XSEG_EXPECT(&self->p, &sa, 2000, F_SYN | F_ACK, XSEG_ANY, PISN + 1);
	EXPECT_EQ(ip4(XPEER_REMOTE_ADDR), sa.daddr);
	/* Record route first, as IP got it: full; then the timestamp, its
	 * second slot ours; padding.
	 */
	ASSERT_EQ(20, sa.ip_opts_len);
	EXPECT_EQ(0, memcmp(rr, sa.ip_opts, sizeof(rr)));
	EXPECT_EQ(IPOPT_TS, sa.ip_opts[7]);
	EXPECT_EQ(12, sa.ip_opts[8]);
	EXPECT_EQ(13, sa.ip_opts[9]);
	EXPECT_EQ(IPOPT_TS_TSONLY, sa.ip_opts[10]);
	EXPECT_EQ(IPOPT_END, sa.ip_opts[19]);

	finish_passive_open(_metadata, self, &sa);
	data_flows(_metadata, self, &got);
	/* The connection keeps answering with them. */
	ASSERT_EQ(20, got.ip_opts_len);
	EXPECT_EQ(0, memcmp(rr, got.ip_opts, sizeof(rr)));
}

/*
 * Linux's IP drops a source-routed packet unless accept_source_route is
 * on (both "all" and the device), so that a SYN naming a route gets no
 * answer, from either stack.
 */
TEST_F(ipopt, a_source_routed_syn_is_dropped_by_default)
{
	static const uint8_t lsrr[8] = {
		IPOPT_LSRR, 7, 8, 10, 0, 0, 3, IPOPT_END,
	};
	struct xseg syn = syn_with(lsrr, sizeof(lsrr));

	self->lfd = ipopt_listen(_metadata, variant->family, XPEER_LOCAL_ADDR);
	ASSERT_EQ(0, xpeer_send(&self->p, &syn));
	XSEG_EXPECT_SILENCE(&self->p, 300);
}

/*
 * MUST-53: with accept_source_route on, a SYN from 10.0.0.2 that came
 * through router 10.0.0.3 (a completed loose source route) and recorded
 * its route is answered along the route reversed: the SYN-ACK goes to
 * 10.0.0.3 with the source route to 10.0.0.2, and a record route with
 * our second entry filled in.  The accepted connection sends the same
 * way, its segments shorter by the options.
 */
TEST_F(ipopt, a_syn_s_source_route_is_saved_and_answered_reversed)
{
	static const uint8_t opts[20] = {
		IPOPT_RR, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0,
		IPOPT_LSRR, 7, 8, 10, 0, 0, 3,
		IPOPT_END, IPOPT_END,
	};
	static const uint8_t want[20] = {
		IPOPT_RR, 11, 12, 10, 0, 0, 1, 10, 0, 0, 1,
		IPOPT_LSRR, 7, 4, 10, 0, 0, 2,
		IPOPT_END, IPOPT_END,
	};
	struct xseg syn = syn_with(opts, sizeof(opts)), sa, got;
	static char buf[3000];

	accept_source_route(_metadata);
	self->lfd = ipopt_listen(_metadata, variant->family, XPEER_LOCAL_ADDR);
	ASSERT_EQ(0, xpeer_send(&self->p, &syn));
	XSEG_EXPECT(&self->p, &sa, 2000, F_SYN | F_ACK, XSEG_ANY, PISN + 1);
	EXPECT_EQ(ip4(ROUTER_A), sa.daddr);
	ASSERT_EQ(sizeof(want), sa.ip_opts_len);
	EXPECT_EQ(0, memcmp(want, sa.ip_opts, sizeof(want)));

	finish_passive_open(_metadata, self, &sa);
	data_flows(_metadata, self, &got);
	EXPECT_EQ(ip4(ROUTER_A), got.daddr);
	ASSERT_EQ(sizeof(want), got.ip_opts_len);
	EXPECT_EQ(0, memcmp(want, got.ip_opts, sizeof(want)));

	/* MSS 1460 offered, 20 bytes of IP options taken from it. */
	CONN_SEND(&self->p, &self->c, PISN + 6, self->c.isn + 6, F_ACK,
		  NULL, 0);
	ASSERT_EQ(sizeof(buf), send(self->c.fd, buf, sizeof(buf), 0));
	ASSERT_EQ(1, xpeer_recv(&self->p, &got, 2000));
	EXPECT_EQ(1440, got.len);
}

/*
 * The same through a syncookie: the cookie SYN-ACK answers along the
 * SYN's route too, and the connection takes the route of the ACK that
 * brought the cookie back, as Linux's cookie_v4_check() saves it.
 *
 * Linux TCP's cookie child then sends nothing the peer sees:
 * cookie_v4_check() routes it to the received options' faddr, which IP
 * leaves 0 for a received source route (only ip_options_compile() without
 * a packet sets it), so its route is a local one.  XTCP routes the child
 * by the route it saved, as Linux routes every other child
 * (inet_csk_route_child_sock()): that part is XTCP's alone.
 */
TEST_F(ipopt, a_cookie_syn_ack_and_its_connection_answer_along_the_route)
{
	static const uint8_t opts[8] = {
		IPOPT_LSRR, 7, 8, 10, 0, 0, 3, IPOPT_END,
	};
	static const uint8_t back_a[8] = {
		IPOPT_LSRR, 7, 4, 10, 0, 0, 2, IPOPT_END,
	};
	struct xseg syn = syn_with(opts, sizeof(opts)), sa, ack, got;

	accept_source_route(_metadata);
	ASSERT_EQ(0, write_knob(variant->syncookies, 2));
	self->lfd = ipopt_listen(_metadata, variant->family, XPEER_LOCAL_ADDR);
	ASSERT_EQ(0, xpeer_send(&self->p, &syn));
	XSEG_EXPECT(&self->p, &sa, 2000, F_SYN | F_ACK, XSEG_ANY, PISN + 1);
	EXPECT_EQ(ip4(ROUTER_A), sa.daddr);
	ASSERT_EQ(sizeof(back_a), sa.ip_opts_len);
	EXPECT_EQ(0, memcmp(back_a, sa.ip_opts, sizeof(back_a)));

	/* The ACK came through 10.0.0.4: that is the way back now. */
	ack = xc_seg(RPORT, LPORT, PISN + 1, sa.seq + 1, F_ACK);
	memcpy(ack.ip_opts, opts, sizeof(opts));
	ack.ip_opts[6] = 4;
	ack.ip_opts_len = sizeof(opts);
	ASSERT_EQ(0, xpeer_send(&self->p, &ack));
	self->c.isn = sa.seq;
	self->c.lport = LPORT;
	self->c.rport = RPORT;
	self->c.pisn = PISN;
	self->c.fd = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, self->c.fd);
	if (variant->family != AF_XTCP)
		return;
	data_flows(_metadata, self, &got);
	EXPECT_EQ(ip4(ROUTER_B), got.daddr);
	ASSERT_EQ(sizeof(back_a), got.ip_opts_len);
	EXPECT_EQ(0, memcmp(back_a, got.ip_opts, sizeof(back_a)));
}

/*
 * MUST-51 and MUST-52: an active open with a loose source route set by
 * IP_OPTIONS sends its SYN to the route's first hop (the peer), the final
 * destination (192.0.2.1, which has no route of its own) in the route's
 * last slot and in the checksum.  A SYN-ACK that came by another route
 * does not replace it: the ACK and the data leave by the application's.
 */
TEST_F(ipopt, an_active_open_goes_by_the_source_route_it_was_given)
{
	static const uint8_t set[8] = {
		IPOPT_LSRR, 7, 4, 10, 0, 0, 2, IPOPT_END,
	};
	static const uint8_t want[8] = {
		IPOPT_LSRR, 7, 4, 192, 0, 2, 1, IPOPT_END,
	};
	static const uint8_t other[8] = {
		IPOPT_LSRR, 7, 8, 10, 0, 0, 4, IPOPT_END,
	};
	struct sockaddr_in to = xc_addr(FAR_HOST, RPORT);
	struct xseg s, sa;
	char buf[8];

	accept_source_route(_metadata);
	self->c.fd = socket(variant->family, SOCK_STREAM | SOCK_CLOEXEC |
			    SOCK_NONBLOCK, 0);
	ASSERT_LE(0, self->c.fd);
	ASSERT_EQ(0, setsockopt(self->c.fd, IPPROTO_IP, IP_OPTIONS, set,
				sizeof(set)));
	ASSERT_EQ(-1, connect(self->c.fd, (struct sockaddr *)&to,
			      sizeof(to)));
	ASSERT_EQ(EINPROGRESS, errno);
	XSEG_EXPECT(&self->p, &s, 2000, F_SYN, XSEG_ANY, XSEG_ANY);
	EXPECT_EQ(ip4(XPEER_LOCAL_ADDR), s.saddr);
	EXPECT_EQ(ip4(XPEER_REMOTE_ADDR), s.daddr);
	ASSERT_EQ(sizeof(want), s.ip_opts_len);
	EXPECT_EQ(0, memcmp(want, s.ip_opts, sizeof(want)));
	self->c.lport = s.sport;
	self->c.rport = RPORT;
	self->c.isn = s.seq;
	self->c.pisn = PISN;

	sa = xc_seg(RPORT, s.sport, PISN, s.seq + 1, F_SYN | F_ACK);
	sa.saddr = ip4(FAR_HOST);
	memcpy(sa.ip_opts, other, sizeof(other));
	sa.ip_opts_len = sizeof(other);
	ASSERT_EQ(0, xpeer_send(&self->p, &sa));
	XSEG_EXPECT(&self->p, &s, 2000, F_ACK, self->c.isn + 1, PISN + 1);
	EXPECT_EQ(ip4(XPEER_REMOTE_ADDR), s.daddr);
	ASSERT_EQ(sizeof(want), s.ip_opts_len);
	EXPECT_EQ(0, memcmp(want, s.ip_opts, sizeof(want)));

	ASSERT_EQ(0, xc_set_nonblock(self->c.fd, 0));
	ASSERT_EQ(3, send(self->c.fd, "abc", 3, 0));
	ASSERT_EQ(1, xpeer_recv(&self->p, &s, 2000));
	EXPECT_EQ(1, s.csum_ok);
	ASSERT_EQ(3, s.len);
	EXPECT_EQ(ip4(XPEER_REMOTE_ADDR), s.daddr);
	ASSERT_EQ(sizeof(want), s.ip_opts_len);
	EXPECT_EQ(0, memcmp(want, s.ip_opts, sizeof(want)));

	/* And data from 192.0.2.1 by yet another route is taken. */
	sa = xc_seg(RPORT, self->c.lport, PISN + 1, self->c.isn + 4,
		    F_ACK | F_PSH);
	sa.saddr = ip4(FAR_HOST);
	sa.data = (const uint8_t *)"xyz";
	sa.len = 3;
	ASSERT_EQ(0, xpeer_send(&self->p, &sa));
	ASSERT_EQ(3, recv(self->c.fd, buf, sizeof(buf), 0));
}

TEST_HARNESS_MAIN
