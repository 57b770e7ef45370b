// SPDX-License-Identifier: GPL-2.0
/*
 * A SYN flood against a listener, and a normal client that keeps
 * connecting through it.
 *
 *   flooder thread --SYNs from random 10.0.0.x:port--> xtun0 (TUN)
 *                                                        |
 *   client (main thread) --connect 10.0.0.1:port--> listener <-- echo thread
 *
 * The flooder writes spoofed SYNs into the TUN device as fast as it can;
 * the SYN-ACKs go back out of the TUN into nothing.  Meanwhile the client
 * connects, sends 100 bytes, reads them back and closes, in a loop.  With
 * syncookies the client must keep getting through and the SYN queue must
 * stay at its limit; without them the test shows the client starved, so
 * the defence is seen to do something.  The same run against Linux TCP in
 * the same namespace gives the numbers to compare with (printed, not
 * asserted).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>

#include "kselftest_harness.h"
#include "xtcp_util.h"
#include "peer.h"

#define PORT		5800
#define BACKLOG		64
#define FLOOD_SECS	4
#define MSG		100

struct flood {
	struct xpeer *p;
	int proto;		/* IPPROTO_XTCP or IPPROTO_TCP */
	volatile int stop;
	long sent;
};

struct echo {
	int lfd;
	volatile int stop;
};

struct outcome {
	double flood_pps;
	int attempts;
	int ok;
	int ok_fast;		/* within one second */
	double lat_ms_sum;
	double lat_ms_max;
	int syn_recv_max;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One spoofed SYN: IPv4 + a TCP-shaped header with an MSS option.  The
 * header layout is the same for XTCP and TCP; only the protocol differs.
 */
static size_t build_syn(uint8_t *pkt, int proto, uint32_t *rnd)
{
	struct iphdr *ip = (struct iphdr *)pkt;
	struct xtcphdr *th = (struct xtcphdr *)(pkt + sizeof(*ip));
	uint8_t *opt = (uint8_t *)(th + 1);
	uint32_t saddr;
	size_t tlen = sizeof(*th) + 4;

	*rnd = *rnd * 1103515245 + 12345;
	saddr = htonl(0x0a000002 + (*rnd >> 8) % 250);	/* 10.0.0.2-251 */
	memset(pkt, 0, sizeof(*ip) + tlen);
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(sizeof(*ip) + tlen);
	ip->ttl = 64;
	ip->protocol = proto;
	ip->saddr = saddr;
	ip->daddr = htonl(0x0a000001);
	ip->check = xip_csum(ip, sizeof(*ip));

	*rnd = *rnd * 1103515245 + 12345;
	th->source = htons(1024 + (*rnd >> 4) % 60000);
	th->dest = htons(PORT);
	th->seq = htonl(*rnd ^ 0x5a5a5a5a);
	th->doff = tlen / 4;
	th->syn = 1;
	th->window = htons(65535);
	opt[0] = XTCPOPT_MSS;
	opt[1] = XTCPOLEN_MSS;
	opt[2] = 1460 >> 8;
	opt[3] = 1460 & 0xff;
	th->check = xseg_csum_proto(saddr, ip->daddr, proto, th, tlen);
	return sizeof(*ip) + tlen;
}

static void *flooder(void *arg)
{
	struct flood *f = arg;
	uint8_t pkt[64], junk[2048];
	uint32_t rnd = 12345;
	size_t len;

	while (!f->stop) {
		len = build_syn(pkt, f->proto, &rnd);
		if (write(f->p->tun, pkt, len) == (ssize_t)len)
			f->sent++;
		/* Drain the SYN-ACKs now and then so the TUN queue moves. */
		if (!(f->sent & 63))
			while (read(f->p->tun, junk, sizeof(junk)) > 0)
				;
	}
	return NULL;
}

static void *echo_server(void *arg)
{
	struct echo *e = arg;
	char buf[MSG];
	int c;

	while (!e->stop) {
		c = accept(e->lfd, NULL, NULL);
		if (c < 0) {
			usleep(1000);
			continue;
		}
		fcntl(c, F_SETFL, 0);
		if (recv(c, buf, sizeof(buf), MSG_WAITALL) == MSG)
			send(c, buf, MSG, 0);
		close(c);
	}
	return NULL;
}

/* SYN_RECV lines in /proc/net/xtcp or /proc/net/tcp (state 03). */
static int syn_recv_count(int family)
{
	FILE *f = fopen(family == AF_XTCP ? "/proc/net/xtcp" : "/proc/net/tcp",
			"re");
	char line[256];
	unsigned int st;
	int n = 0;

	if (!f)
		return -1;
	/* /proc/net/tcp starts each line with a slot number, ours does not. */
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, family == AF_XTCP ? "%*x:%*x %*x:%*x %x" :
			   "%*d: %*x:%*x %*x:%*x %x", &st) == 1 && st == 3)
			n++;
	fclose(f);
	return n;
}

/* One client connection: 1 when it connected and its bytes came back. */
static int client_once(int family, double *lat_ms)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(PORT),
		.sin_addr.s_addr = htonl(0x0a000001),
	};
	struct timeval tmo = { 2, 0 };
	char out[MSG], in[MSG];
	double t0 = now_s();
	int fd, ok = 0;

	*lat_ms = 0;
	memset(out, 'x', sizeof(out));
	fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0)
		return 0;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof(tmo));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
	if (!connect(fd, (struct sockaddr *)&sin, sizeof(sin)) &&
	    send(fd, out, MSG, 0) == MSG &&
	    recv(fd, in, MSG, MSG_WAITALL) == MSG && !memcmp(in, out, MSG))
		ok = 1;
	close(fd);
	*lat_ms = (now_s() - t0) * 1000;
	return ok;
}

/*
 * Runs the client for FLOOD_SECS against a listener of @family, under a
 * flood if @flood.  Fills @o; returns 0 or -errno.
 */
static int run(struct xpeer *p, int family, bool flood, struct outcome *o)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(PORT),
		.sin_addr.s_addr = htonl(0x0a000001),
	};
	struct flood f = { .p = p, .proto = family == AF_XTCP ?
				   IPPROTO_XTCP : IPPROTO_TCP };
	struct echo e = { 0 };
	pthread_t ft, et;
	double t0, lat;
	int one = 1, n;

	memset(o, 0, sizeof(*o));
	e.lfd = socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (e.lfd < 0)
		return -errno;
	setsockopt(e.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(e.lfd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(e.lfd, BACKLOG))
		return -errno;
	pthread_create(&et, NULL, echo_server, &e);
	if (flood) {
		pthread_create(&ft, NULL, flooder, &f);
		usleep(300 * 1000);	/* let the SYN queue fill */
	}
	t0 = now_s();
	while (now_s() - t0 < FLOOD_SECS) {
		o->attempts++;
		if (client_once(family, &lat)) {
			o->ok++;
			o->lat_ms_sum += lat;
			if (lat < 1000)
				o->ok_fast++;
		}
		if (lat > o->lat_ms_max)
			o->lat_ms_max = lat;
		n = syn_recv_count(family);
		if (n > o->syn_recv_max)
			o->syn_recv_max = n;
	}
	if (flood) {
		f.stop = 1;
		pthread_join(ft, NULL);
		o->flood_pps = f.sent / (now_s() - t0 + 0.3);
	}
	e.stop = 1;
	pthread_join(et, NULL);
	close(e.lfd);
	return 0;
}

static void report(struct __test_metadata *_metadata, const char *what,
		   const struct outcome *o)
{
	TH_LOG("%-28s flood %7.0f SYN/s  client %3d/%3d ok (%5.1f%%), %3d within 1 s, latency avg %6.1f ms max %6.0f ms, SYN_RECV max %d",
	       what, o->flood_pps, o->ok, o->attempts,
	       o->attempts ? 100.0 * o->ok / o->attempts : 0, o->ok_fast,
	       o->ok ? o->lat_ms_sum / o->ok : 0, o->lat_ms_max,
	       o->syn_recv_max);
}

FIXTURE(flood) {
	struct xpeer p;
};

FIXTURE_SETUP(flood)
{
	ASSERT_EQ(0, xtcp_ensure_loaded());
	ASSERT_EQ(0, xpeer_setup(&self->p));
	fcntl(self->p.tun, F_SETFL, O_NONBLOCK);
	/* SYN-queue entries of spoofed peers must not expire mid-test. */
	ASSERT_EQ(0, xtcp_sysctl_set("synack_retries", 5));
	ASSERT_EQ(0, write_knob("/proc/sys/net/ipv4/tcp_synack_retries", 5));
}

FIXTURE_TEARDOWN(flood)
{
	xpeer_teardown(&self->p);
}

TEST_F_TIMEOUT(flood, clients_get_through_a_syn_flood_with_syncookies, 60)
{
	struct outcome calm, on;

	ASSERT_EQ(0, xtcp_sysctl_set("syncookies", 1));
	ASSERT_EQ(0, run(&self->p, AF_XTCP, false, &calm));
	report(_metadata, "XTCP, no flood", &calm);
	ASSERT_EQ(0, run(&self->p, AF_XTCP, true, &on));
	report(_metadata, "XTCP, flood, syncookies=1", &on);

	EXPECT_LE(10, on.attempts);
	EXPECT_LE(on.attempts * 99, on.ok * 100);	/* >= 99% */
	/* The flood's SYNs never wait on the listener's backlog, so the
	 * final ACKs there are not crowded out (a lost one costs a second).
	 */
	EXPECT_EQ(0, xtcp_stat("BacklogDrop"));
	/* The SYN queue stays at its bound: listen()'s backlog. */
	EXPECT_GE(BACKLOG, on.syn_recv_max);
	EXPECT_LE(1, xtcp_stat("SyncookiesSent"));
	EXPECT_LE(on.ok, xtcp_stat("SyncookiesRecv"));
}

TEST_F_TIMEOUT(flood, without_syncookies_a_syn_flood_starves_clients, 60)
{
	struct outcome off;

	ASSERT_EQ(0, xtcp_sysctl_set("syncookies", 0));
	ASSERT_EQ(0, run(&self->p, AF_XTCP, true, &off));
	report(_metadata, "XTCP, flood, syncookies=0", &off);
	/* The full SYN queue drops the client's SYNs too. */
	EXPECT_GT(off.attempts, off.ok_fast * 2);
	EXPECT_EQ(0, xtcp_stat("SyncookiesSent"));
	EXPECT_LT(0, xtcp_stat("ListenDrops"));
}

/* Linux TCP in the same namespace, same flood, for the comparison. */
TEST_F_TIMEOUT(flood, linux_tcp_under_the_same_flood_for_comparison, 60)
{
	struct outcome calm, on, off;

	ASSERT_EQ(0, write_knob("/proc/sys/net/ipv4/tcp_syncookies", 1));
	ASSERT_EQ(0, run(&self->p, AF_INET, false, &calm));
	report(_metadata, "TCP, no flood", &calm);
	ASSERT_EQ(0, run(&self->p, AF_INET, true, &on));
	report(_metadata, "TCP, flood, tcp_syncookies=1", &on);
	ASSERT_EQ(0, write_knob("/proc/sys/net/ipv4/tcp_syncookies", 0));
	ASSERT_EQ(0, run(&self->p, AF_INET, true, &off));
	report(_metadata, "TCP, flood, tcp_syncookies=0", &off);
	/* Only a sanity check: the comparison is the numbers above. */
	EXPECT_LE(1, calm.ok);
}

TEST_HARNESS_MAIN
