// SPDX-License-Identifier: GPL-2.0
/*
 * gro_peer: gro_test.sh's hostile cases.  A scripted peer (peer.c, on a
 * veth through packet sockets: TUN does not GRO) opens a connection to an
 * XTCP listener, then writes a burst of segments, some of them wrong in
 * one way, and the test checks what XTCP's GRO made of them: the bytes
 * the socket reads (each one against the stream's pattern), the
 * counters, end of file.
 *
 *   ip netns exec NS gro_peer PEER_NS PEER_DEV DEV on|off CASE...
 *
 * NS holds DEV at 10.0.0.1 (GRO "on" or "off" there, as the fourth
 * argument says), its neighbour 10.0.0.2 reached through DEV at
 * PEER_DEV's address; PEER_NS holds PEER_DEV, without an address, and a
 * "plug" qdisc on it in release_indefinite.  The burst waits behind the
 * plug until all of it is written, then leaves at once, so that it
 * reaches DEV's NAPI poll whole: every segment meets the aggregate held
 * before it, and the counts below are exact.  With GRO off none merge,
 * and the rest must be the same.
 *
 * Each case on a connection of its own; for each, "case NAME ok" or
 * "case NAME fail" on stdout, after what went wrong as "# ...".  Exit 0
 * when every case passed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include "peer.h"

#define PORT		9100
#define SEED		0x67726fULL	/* the stream's pattern */
#define PEER_MSS	8960		/* MTU 9000 */
#define PEER_WIN	65535

/* How a segment of a case differs from a plain data segment (ACK). */
#define G_PSH		0x0001
#define G_FIN		0x0002
#define G_CWR		0x0004
#define G_BADCSUM	0x0008	/* payload changed under the right sum */
#define G_DOFF4		0x0010	/* data offset 4 (16 bytes) */
#define G_DOFFLONG	0x0020	/* data offset 15, 20 bytes: no payload */
#define G_OPTSWAP	0x0040	/* the timestamp first, the NOPs after */
#define G_TSNEXT	0x0080	/* TSval one more, from here on */
#define G_WIN		0x0100	/* another window */
#define G_TTL		0x0200	/* TTL 63 */
#define G_IPOPT		0x0400	/* four bytes of IP options (NOPs) */
#define G_IDSKIP	0x0800	/* an IP ID out of step (one skipped) */
/*
 * These carry no stream bytes, nor take an IP ID: the next segment has
 * the same, so that it may join the aggregate they must leave alone.
 */
#define G_BROKEN	(G_BADCSUM | G_DOFF4 | G_DOFFLONG)

struct gspec {
	int len;		/* payload bytes */
	int n;			/* this many in a row (0: one) */
	unsigned int mod;	/* G_* */
};

struct gcase {
	const char *name;
	struct gspec seg[8];
	long agg;		/* GROAggregated with GRO on */
	long csum;		/* InCsumErrors */
	long inerrs;		/* InErrs, InCsumErrors included */
	bool eof;		/* the burst ends the stream */
};

static const struct gcase cases[] = {
	/* Eight full segments: one aggregate. */
	{ "merge", { { 1400, 7 }, { 1400, 1, G_PSH } }, 7 },
	/* Payload in page fragments (frames past a page: the packet
	 * socket's skbs are then paged): they move to the aggregate, 8 to
	 * a skb, then the next skb of its frag_list takes them.
	 */
	{ "frags", { { 4900, 11 }, { 4900, 1, G_PSH } }, 11 },
	/* 46 segments make 64,452 bytes with headers: the 47th would take
	 * the aggregate past 65,535 and starts its own.
	 */
	{ "limit", { { 1400, 46 }, { 1400, 1, G_PSH } }, 45 },
	/* A copy of the third segment with its payload changed: it must be
	 * checked, passed on alone and dropped, never merged.  The good
	 * third segment follows and joins the first two.
	 */
	{ "badcsum", { { 1400, 2 }, { 1400, 1, G_BADCSUM }, { 1400, 1 },
		       { 1400, 1, G_PSH } }, 3, 1, 1 },
	/* Headers too short or too long to read pass on alone (InErrs). */
	{ "malformed", { { 1400, 2 }, { 1400, 1, G_DOFF4 },
			 { 0, 1, G_DOFFLONG }, { 1400, 1 },
			 { 1400, 1, G_PSH } }, 3, 0, 2 },
	/* Options that differ in a byte, the same in meaning or not. */
	{ "options", { { 1400, 2 }, { 1400, 1, G_OPTSWAP }, { 1400, 1 },
		       { 1400, 1, G_TSNEXT }, { 1400, 1, G_PSH } }, 2 },
	/* A FIN is not merged: it ends the stream on its own. */
	{ "fin", { { 1400, 2 }, { 1400, 1, G_FIN } }, 1, 0, 0, true },
	/* Nor CWR, which XTCP otherwise ignores. */
	{ "cwr", { { 1400, 2 }, { 1400, 1, G_CWR }, { 1400, 1 },
		   { 1400, 1, G_PSH } }, 2 },
	{ "window", { { 1400, 2 }, { 1400, 1, G_WIN }, { 1400, 1 },
		      { 1400, 1, G_PSH } }, 2 },
	/* A larger segment starts an aggregate of its own; a shorter one
	 * ends the one it joins.
	 */
	{ "sizes", { { 1400, 2 }, { 1500, 2 }, { 100, 1 }, { 1400, 1 },
		     { 1400, 1, G_PSH } }, 4 },
	/* Another TTL starts an aggregate; IP options pass on alone; an
	 * IP ID out of step starts an aggregate (the IDs of its segments
	 * count up, as software segmentation makes them again).
	 */
	{ "ip", { { 1400, 2 }, { 1400, 2, G_TTL }, { 1400, 1, G_IPOPT },
		  { 1400, 2 }, { 1400, 1, G_IDSKIP }, { 1400, 1, G_PSH } },
	  4 },
};

struct gconn {
	struct xpeer *p;
	const char *peer_dev;
	int nl;			/* rtnetlink, in the peer's namespace */
	int lfd, fd;
	uint16_t rport;
	uint32_t isn, pisn;
	uint32_t tsval, tsecr;
	uint64_t sent;		/* stream bytes written */
	uint64_t got;		/* stream bytes read and checked */
};

static int fail(const char *what)
{
	printf("# %s: %s\n", what, strerror(errno));
	return -1;
}

static void nl_attr(struct nlmsghdr *nh, int type, const void *data, int len)
{
	struct rtattr *rta = (struct rtattr *)((char *)nh +
					       NLMSG_ALIGN(nh->nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

/*
 * The plug qdisc on the peer's device, as "tc qdisc change dev DEV root
 * plug block" (TCQ_PLUG_BUFFER) or "... release_indefinite" do.
 */
static int plug(const struct gconn *c, int action)
{
	struct {
		struct nlmsghdr nh;
		struct tcmsg tc;
		char attrs[64];
	} req = { 0 };
	struct tc_plug_qopt opt = { .action = action };
	char buf[512];
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	ssize_t n;

	req.nh.nlmsg_type = RTM_NEWQDISC;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.tc));
	req.tc.tcm_family = AF_UNSPEC;
	req.tc.tcm_ifindex = c->p->ifindex;
	req.tc.tcm_parent = TC_H_ROOT;
	nl_attr(&req.nh, TCA_KIND, "plug", 5);
	nl_attr(&req.nh, TCA_OPTIONS, &opt, sizeof(opt));
	if (send(c->nl, &req, req.nh.nlmsg_len, 0) < 0)
		return fail("RTM_NEWQDISC");
	n = recv(c->nl, buf, sizeof(buf), 0);
	if (n < (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) ||
	    nh->nlmsg_type != NLMSG_ERROR)
		return fail("RTM_NEWQDISC's answer");
	errno = -((struct nlmsgerr *)NLMSG_DATA(nh))->error;
	return errno ? fail("plug") : 0;
}

static int mac_of(const char *dev, uint8_t mac[6])
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret;

	if (fd < 0)
		return fail("socket");
	strncpy(ifr.ifr_name, dev, IFNAMSIZ - 1);
	ret = ioctl(fd, SIOCGIFHWADDR, &ifr);
	close(fd);
	if (ret)
		return fail(dev);
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

/* The peer's packet sockets and rtnetlink, made in its namespace. */
static int attach(struct gconn *c, const char *peer_ns, const char *dev)
{
	char path[128];
	uint8_t mac[6];
	int self, peer, ret;

	if (mac_of(dev, mac))
		return -1;
	snprintf(path, sizeof(path), "/run/netns/%s", peer_ns);
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	peer = open(path, O_RDONLY | O_CLOEXEC);
	if (self < 0 || peer < 0 || setns(peer, CLONE_NEWNET))
		return fail(path);
	ret = xpeer_attach_veth(c->p, c->peer_dev, mac);
	c->nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (setns(self, CLONE_NEWNET))
		return fail("setns back");
	close(self);
	close(peer);
	if (ret) {
		errno = -ret;
		return fail("xpeer_attach_veth");
	}
	return c->nl < 0 ? fail("rtnetlink") : 0;
}

static struct xseg seg_base(const struct gconn *c, uint32_t seq, uint8_t flags)
{
	struct xseg s = {
		.sport = c->rport, .dport = PORT, .seq = seq,
		.ack = c->isn + 1, .flags = flags, .win = PEER_WIN,
		.has_ts = 1, .tsval = c->tsval, .tsecr = c->tsecr,
	};

	return s;
}

static int handshake(struct gconn *c)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET, .sin_port = htons(PORT),
		.sin_addr.s_addr = htonl(0x0a000001),
	};
	int one = 1, buf = 1 << 20;
	struct pollfd pfd;
	struct xseg s, r;

	c->lfd = socket(AF_XTCP, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->lfd < 0 ||
	    setsockopt(c->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(c->lfd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) ||
	    bind(c->lfd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(c->lfd, 4))
		return fail("listener");

	c->pisn = 0x10000000 + getpid();
	c->tsval = 1000;
	s = seg_base(c, c->pisn, XTCP_FLAG_SYN);
	s.ack = 0;
	s.has_mss = 1;
	s.mss = PEER_MSS;
	if (xpeer_send(c->p, &s))
		return fail("SYN");
	for (;;) {
		if (xpeer_recv(c->p, &r, 2000) != 1) {
			printf("# no SYN-ACK\n");
			return -1;
		}
		if (r.flags == (XTCP_FLAG_SYN | XTCP_FLAG_ACK) &&
		    r.ack == c->pisn + 1)
			break;
	}
	if (!r.has_ts) {
		printf("# the SYN-ACK has no timestamps\n");
		return -1;
	}
	c->isn = r.seq;
	c->tsecr = r.tsval;
	s = seg_base(c, c->pisn + 1, XTCP_FLAG_ACK);
	if (xpeer_send(c->p, &s))
		return fail("ACK");
	pfd = (struct pollfd){ .fd = c->lfd, .events = POLLIN };
	if (poll(&pfd, 1, 2000) != 1) {
		printf("# no connection to accept\n");
		return -1;
	}
	c->fd = accept4(c->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	return c->fd < 0 ? fail("accept") : 0;
}

/*
 * @s as xpeer_send() would write it (with timestamps, no IP options), its
 * checksum summed, then one payload byte changed: what a link that
 * corrupts leaves.
 */
static int send_corrupted(struct gconn *c, const struct xseg *s)
{
	static uint8_t seg[65536];
	uint16_t check;
	size_t hlen = 32;

	memset(seg, 0, hlen);
	put16(seg, s->sport);
	put16(seg + 2, s->dport);
	put32(seg + 4, s->seq);
	put32(seg + 8, s->ack);
	seg[12] = (hlen / 4) << 4;
	seg[13] = s->flags;
	put16(seg + 14, s->win);
	seg[20] = XTCPOPT_NOP;
	seg[21] = XTCPOPT_NOP;
	seg[22] = XTCPOPT_TIMESTAMP;
	seg[23] = XTCPOLEN_TIMESTAMP;
	put32(seg + 24, s->tsval);
	put32(seg + 28, s->tsecr);
	memcpy(seg + hlen, s->data, s->len);
	check = xseg_csum(htonl(0x0a000002), htonl(0x0a000001), seg,
			  hlen + s->len);
	memcpy(seg + 16, &check, 2);
	seg[hlen + s->len / 2] ^= 0xff;
	return xpeer_send_raw(c->p, seg, hlen + s->len);
}

/* One segment of a burst, carrying stream bytes from c->sent. */
static int send_one(struct gconn *c, int len, unsigned int mod)
{
	static uint8_t data[65536];
	uint8_t flags = XTCP_FLAG_ACK;
	struct xseg s;
	int ret;

	if (mod & G_TSNEXT)
		c->tsval++;
	flags |= mod & G_PSH ? XTCP_FLAG_PSH : 0;
	flags |= mod & G_FIN ? XTCP_FLAG_FIN : 0;
	flags |= mod & G_CWR ? XTCP_FLAG_CWR : 0;
	s = seg_base(c, c->pisn + 1 + c->sent, flags);
	xtcp_pattern(data, len, SEED, c->sent);
	s.data = data;
	s.len = len;
	if (mod & G_DOFF4)
		s.doff_override = 4;
	if (mod & G_DOFFLONG) {
		s.doff_override = 15;
		s.has_ts = 0;
		s.len = 0;
	}
	if (mod & G_OPTSWAP) {
		uint8_t *o = s.raw_opts;

		o[0] = XTCPOPT_TIMESTAMP;
		o[1] = XTCPOLEN_TIMESTAMP;
		put32(o + 2, c->tsval);
		put32(o + 6, c->tsecr);
		o[10] = XTCPOPT_NOP;
		o[11] = XTCPOPT_NOP;
		s.raw_opts_len = 12;
	}
	if (mod & G_WIN)
		s.win = PEER_WIN - 1000;
	if (mod & G_TTL)
		s.ttl = 63;
	if (mod & G_IPOPT) {
		memset(s.ip_opts, 1, 4);
		s.ip_opts_len = 4;
	}
	if (mod & G_IDSKIP)
		c->p->ip_id++;
	if (mod & G_BADCSUM)
		ret = send_corrupted(c, &s);
	else
		ret = xpeer_send(c->p, &s);
	if (ret) {
		errno = -ret;
		return fail("send");
	}
	if (mod & G_BROKEN)
		c->p->ip_id--;
	else
		c->sent += len;
	return 0;
}

/* Reads what the socket has within @ms, checking every byte; true once
 * all that was sent arrived (and, with @eof, the end of the stream).
 */
static bool read_all(struct gconn *c, bool eof, int ms)
{
	static uint8_t buf[1 << 17];
	uint64_t end = xpeer_now_ns() + ms * 1000000ULL;
	bool closed = false;
	ssize_t n;
	long bad;

	while (xpeer_now_ns() < end) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };

		if (c->got == c->sent && (!eof || closed))
			return true;
		poll(&pfd, 1, 20);
		n = recv(c->fd, buf, sizeof(buf), 0);
		if (n == 0) {
			closed = true;
			continue;
		}
		if (n < 0)
			continue;
		bad = xtcp_pattern_check(buf, n, SEED, c->got);
		if (bad >= 0) {
			printf("# byte %llu is not the stream's\n",
			       (unsigned long long)(c->got + bad));
			return false;
		}
		c->got += n;
	}
	printf("# read %llu of %llu bytes%s\n", (unsigned long long)c->got,
	       (unsigned long long)c->sent,
	       eof && !closed ? ", no end of stream" : "");
	return false;
}

struct counts {
	long agg, csum, inerrs, insegs;
};

static void counts(struct counts *k)
{
	k->agg = xtcp_stat("GROAggregated");
	k->csum = xtcp_stat("InCsumErrors");
	k->inerrs = xtcp_stat("InErrs");
	k->insegs = xtcp_stat("InSegs");
}

static int run(struct gconn *c, const struct gcase *gc, bool gro)
{
	uint64_t t0 = xpeer_now_ns();
	long agg = gro ? gc->agg : 0;
	int i, j, segs = 0, ok = 1;
	struct counts k0, k1;

	if (handshake(c))
		return -1;
	counts(&k0);
	if (plug(c, TCQ_PLUG_BUFFER))
		return -1;
	for (i = 0; i < 8 && gc->seg[i].len + gc->seg[i].mod; i++)
		for (j = 0; j < (gc->seg[i].n ?: 1); j++, segs++)
			if (send_one(c, gc->seg[i].len, gc->seg[i].mod))
				return -1;
	if (plug(c, TCQ_PLUG_RELEASE_INDEFINITE))
		return -1;
	if (!read_all(c, gc->eof, 3000))
		ok = 0;
	/* Counted before the data they carried was delivered; the errors
	 * passed on alone before the aggregates.
	 */
	counts(&k1);
	printf("# %s, GRO %s: %d segments, %llu bytes; GROAggregated +%ld, InSegs +%ld, InCsumErrors +%ld, InErrs +%ld (%llu ms)\n",
	       gc->name, gro ? "on" : "off", segs,
	       (unsigned long long)c->sent, k1.agg - k0.agg,
	       k1.insegs - k0.insegs, k1.csum - k0.csum,
	       k1.inerrs - k0.inerrs,
	       (unsigned long long)(xpeer_now_ns() - t0) / 1000000);
	if (k1.agg - k0.agg != agg) {
		printf("# GROAggregated: +%ld, want +%ld\n", k1.agg - k0.agg,
		       agg);
		ok = 0;
	}
	if (k1.csum - k0.csum != gc->csum || k1.inerrs - k0.inerrs != gc->inerrs) {
		printf("# InCsumErrors +%ld, InErrs +%ld: want +%ld, +%ld\n",
		       k1.csum - k0.csum, k1.inerrs - k0.inerrs, gc->csum,
		       gc->inerrs);
		ok = 0;
	}
	/* Every segment that arrived whole counts once, merged or not. */
	if (k1.insegs - k0.insegs != segs) {
		printf("# InSegs +%ld, want +%d\n", k1.insegs - k0.insegs,
		       segs);
		ok = 0;
	}
	return ok ? 0 : -1;
}

static const struct gcase *find_case(const char *name)
{
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (!strcmp(cases[i].name, name))
			return &cases[i];
	return NULL;
}

int main(int argc, char **argv)
{
	static struct xpeer peer;
	struct gconn c = { .p = &peer, .nl = -1 };
	struct linger lg = { 1, 0 };
	int i, bad, failed = 0;
	bool gro;

	if (argc < 6 || (strcmp(argv[4], "on") && strcmp(argv[4], "off"))) {
		fprintf(stderr,
			"usage: %s PEER_NS PEER_DEV DEV on|off CASE...\n",
			argv[0]);
		return 2;
	}
	for (i = 5; i < argc; i++) {
		if (!find_case(argv[i])) {
			fprintf(stderr, "%s: no case %s\n", argv[0], argv[i]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	gro = !strcmp(argv[4], "on");
	c.peer_dev = argv[2];
	if (attach(&c, argv[1], argv[3]))
		return 1;
	for (i = 5; i < argc; i++) {
		c.lfd = c.fd = -1;
		c.rport = 40000 + (getpid() % 20000) + i;
		c.sent = c.got = 0;
		bad = run(&c, find_case(argv[i]), gro) != 0;
		failed += bad;
		printf("case %s %s\n", argv[i], bad ? "fail" : "ok");
		if (c.fd >= 0) {
			setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			close(c.fd);
		}
		if (c.lfd >= 0)
			close(c.lfd);
	}
	xpeer_teardown(&peer);
	close(c.nl);
	return failed ? 1 : 0;
}
