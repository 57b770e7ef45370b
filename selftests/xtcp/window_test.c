// SPDX-License-Identifier: GPL-2.0
/*
 * Windows and wake-ups, where a byte stream can stall or spin: each
 * scenario runs on TCP and on XTCP over loopback in a fresh namespace,
 * and both must see what Linux TCP gives (xtcp_pair.h):
 *
 * - a receiver that has shut down its own side (FIN_WAIT_1/2) still
 *   announces its window as its reader frees room;
 * - a zero window whose update is lost is reopened by a zero-window probe
 *   (RFC 9293 section 3.8.6.1; Linux's persist timer);
 * - poll() honours SO_RCVLOWAT;
 * - EPOLLOUT wakes writers only when one found the buffer full
 *   (SOCK_NOSPACE), not on every ACK.
 */
#include <sys/epoll.h>

#include "kselftest_harness.h"
#include "xtcp_pair.h"

XTCP_NS_FIXTURE(ns)

/* Non-blocking sends from @fd until EAGAIN twice, 300 ms apart. */
static uint64_t fill(struct __test_metadata *_metadata, int fd)
{
	static unsigned char chunk[16384];
	uint64_t sent = 0;
	int eagain = 0;
	ssize_t n;

	while (eagain < 2) {
		xtcp_pattern(chunk, sizeof(chunk), 5, sent);
		n = send(fd, chunk, sizeof(chunk), MSG_DONTWAIT);
		if (n < 0) {
			ASSERT_EQ(EAGAIN, errno);
			eagain++;
			msleep(300);
			continue;
		}
		sent += n;
		ASSERT_GT(64 << 20, sent);
	}
	return sent;
}

/* Reads and checks @sent bytes, each recv() bounded by @timeout_ms. */
static void drain(struct __test_metadata *_metadata, int fd, uint64_t sent,
		  int timeout_ms, const char *who, struct trace *t)
{
	static unsigned char buf[65536];
	uint64_t got = 0;
	long bad = -1;
	ssize_t n;

	ASSERT_EQ(0, set_timeo(fd, SO_RCVTIMEO, timeout_ms));
	while (got < sent) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		if (bad < 0 && xtcp_pattern_check(buf, n, 5, got) >= 0)
			bad = got;
		got += n;
	}
	TH_LOG("%s: received %lu of %lu bytes", who, (unsigned long)got,
	       (unsigned long)sent);
	tr_add(t, got == sent && bad < 0 ? "all-arrived" : "stalled");
}

/*
 * The reader shuts down its own side first, then stops reading until its
 * window is closed, then reads: the writer's queued data must follow.
 */
static void halfclosed_reader(struct __test_metadata *_metadata, int family,
			      struct trace *t)
{
	struct xpair p;
	uint64_t sent;
	char c;

	xpair_open(_metadata, &p, family);
	ASSERT_EQ(0, shutdown(p.b, SHUT_WR));
	ASSERT_EQ(0, set_timeo(p.a, SO_RCVTIMEO, 2000));
	tr_ret(t, recv(p.a, &c, 1, 0));		/* the FIN */
	sent = fill(_metadata, p.a);
	drain(_metadata, p.b, sent, 3000, family_name(family), t);
	xpair_close(&p);
}

TEST_F(ns, a_half_closed_reader_still_opens_its_window)
{
	SAME_AS_TCP(halfclosed_reader, "0 all-arrived");
}

/*
 * The window closes; the reader reads while everything from it is lost,
 * so its window update never arrives; then the loss ends.  Only a probe
 * of the closed window can tell the writer that it may go on.
 */
static void lost_window_update(struct __test_metadata *_metadata, int family,
			       struct trace *t)
{
	static unsigned char buf[1 << 20];
	struct xpair p;
	uint64_t sent;
	int inq = 0, done = 0, n;

	xpair_open(_metadata, &p, family);
	sent = fill(_metadata, p.a);
	ASSERT_EQ(0, system("tc qdisc add dev lo root netem loss 100%"));
	ASSERT_EQ(0, ioctl(p.b, SIOCINQ, &inq));
	ASSERT_LT(0, inq);
	/* What arrived before the loss, in buffer-sized pieces. */
	while (done < inq) {
		n = inq - done;
		if (n > (int)sizeof(buf))
			n = sizeof(buf);
		ASSERT_EQ(n, recv(p.b, buf, n, MSG_WAITALL));
		ASSERT_EQ(-1, xtcp_pattern_check(buf, n, 5, done));
		done += n;
	}
	msleep(300);
	ASSERT_EQ(0, system("tc qdisc del dev lo root"));
	/* the rest, checked from where it starts */
	sent -= inq;
	{
		uint64_t got = 0;
		ssize_t n;

		ASSERT_EQ(0, set_timeo(p.b, SO_RCVTIMEO, 10000));
		while (got < sent) {
			n = recv(p.b, buf, sizeof(buf), 0);
			if (n <= 0)
				break;
			ASSERT_EQ(-1, xtcp_pattern_check(buf, n, 5, inq + got));
			got += n;
		}
		TH_LOG("%s: received %lu of the last %lu bytes",
		       family_name(family), (unsigned long)got,
		       (unsigned long)sent);
		tr_add(t, got == sent ? "all-arrived" : "stalled");
	}
	xpair_close(&p);
}

TEST_F(ns, a_lost_window_update_is_recovered_by_a_window_probe)
{
	SAME_AS_TCP(lost_window_update, "all-arrived");
}

/* SO_RCVLOWAT 100: poll() says readable only once 100 bytes are there. */
static void rcvlowat_poll(struct __test_metadata *_metadata, int family,
			  struct trace *t)
{
	struct pollfd pfd;
	struct xpair p;
	char data[60];

	xpair_open(_metadata, &p, family);
	ASSERT_EQ(0, set_int(p.a, SOL_SOCKET, SO_RCVLOWAT, 100));
	memset(data, 'l', sizeof(data));
	ASSERT_EQ(60, send(p.b, data, 60, 0));
	ASSERT_EQ(0, wait_inq(p.a, 60, 2000));
	pfd = (struct pollfd){ .fd = p.a, .events = POLLIN };
	tr_add(t, "poll:%d", poll(&pfd, 1, 200));
	ASSERT_EQ(60, send(p.b, data, 60, 0));
	ASSERT_EQ(0, wait_inq(p.a, 120, 2000));
	tr_add(t, "poll:%d", poll(&pfd, 1, 200));
	xpair_close(&p);
}

TEST_F(ns, so_rcvlowat_holds_poll_until_lowat_bytes)
{
	SAME_AS_TCP(rcvlowat_poll, "poll:0 poll:1");
}

/*
 * EPOLLOUT|EPOLLET: the ACK of a small write, with the buffer never
 * full, wakes nobody.
 */
static void out_only_when_full(struct __test_metadata *_metadata, int family,
			       struct trace *t)
{
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLET };
	struct xpair p;
	int ep, n;

	xpair_open(_metadata, &p, family);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, p.a, &ev));
	msleep(100);
	tr_add(t, "%d", epoll_wait(ep, &ev, 1, 0));
	ASSERT_EQ(4, send(p.a, "data", 4, 0));
	ASSERT_EQ(0, wait_outq(p.a, 0, 2000));
	msleep(100);
	n = epoll_wait(ep, &ev, 1, 0);
	tr_add(t, "%d", n);
	close(ep);
	xpair_close(&p);
}

TEST_F(ns, epollout_edge_comes_only_after_a_full_buffer)
{
	SAME_AS_TCP(out_only_when_full, "1 0");
}

TEST_HARNESS_MAIN
