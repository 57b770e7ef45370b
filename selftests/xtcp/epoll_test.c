// SPDX-License-Identifier: GPL-2.0
/*
 * XTCP under epoll: a thousand connections over loopback driven by one
 * edge-triggered epoll loop, each moving 1 MiB checked byte by byte; and
 * the events edge-triggered epoll reports at each step of a connection's
 * life, compared with what Linux TCP reports for the same steps
 * (xtcp_pair.h's traces).  A fresh namespace per test.
 *
 * The event scenarios read events the same way each time: after a step
 * they wait 100 ms, so that every wake-up the step causes has happened,
 * and then take what epoll_wait() has at once.  With EPOLLET several
 * wake-ups before one epoll_wait() are one event, carrying the socket's
 * state at that moment; "none" means no wake-up matched.
 */
#include <sys/epoll.h>
#include <sys/resource.h>

#include "kselftest_harness.h"
#include "xtcp_pair.h"

XTCP_NS_FIXTURE(ns)

/* ---- many connections, one loop ---- */

#define NCONN		1000
#define PER_CONN	(1 << 20)
#define SEND_CHUNK	16384

struct conn {
	int fd;
	int server;		/* the accept()ed end */
	int connected;		/* client: connect() has completed */
	int shut;		/* client: everything sent, SHUT_WR done */
	uint64_t seed;		/* the client's port */
	uint64_t bytes;		/* sent (client) or received (server) */
	uint64_t reply;		/* client: the server's count */
	int replied;		/* bytes of the reply so far */
	long bad;		/* server: first byte off the pattern, or -1 */
};

struct many {
	int ep, lfd;
	int clients_done, servers_done, failures;
	char why[256];
};

static void many_fail(struct many *m, struct conn *c, const char *what)
{
	if (!m->failures++)
		snprintf(m->why, sizeof(m->why), "%s end of port %lu: %s (%s)",
			 c->server ? "server" : "client",
			 (unsigned long)c->seed, what, strerror(errno));
	epoll_ctl(m->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
}

static int port_of(int fd, int peer)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	if (peer ? getpeername(fd, (struct sockaddr *)&sin, &len) :
		   getsockname(fd, (struct sockaddr *)&sin, &len))
		return -1;
	return ntohs(sin.sin_port);
}

static void many_accept(struct many *m)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLET };
	struct conn *c;
	int fd;

	while ((fd = accept4(m->lfd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		c = calloc(1, sizeof(*c));
		c->fd = fd;
		c->server = 1;
		c->bad = -1;
		c->seed = port_of(fd, 1);
		ev.data.ptr = c;
		if (epoll_ctl(m->ep, EPOLL_CTL_ADD, fd, &ev))
			many_fail(m, c, "epoll_ctl");
	}
	if (errno != EAGAIN) {
		m->failures++;
		snprintf(m->why, sizeof(m->why), "accept: %s", strerror(errno));
	}
}

/* The server end reads to EOF, checking, then answers with its count. */
static void many_server(struct many *m, struct conn *c)
{
	static unsigned char buf[65536];
	ssize_t n;
	long off;

	for (;;) {
		n = recv(c->fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno != EAGAIN)
				many_fail(m, c, "recv");
			return;
		}
		if (n == 0)
			break;
		if (c->bad < 0) {
			off = xtcp_pattern_check(buf, n, c->seed, c->bytes);
			if (off >= 0)
				c->bad = c->bytes + off;
		}
		c->bytes += n;
	}
	if (c->bad >= 0 || c->bytes != PER_CONN) {
		errno = EPROTO;
		many_fail(m, c, c->bad >= 0 ? "wrong byte" : "short stream");
		return;
	}
	if (send(c->fd, &c->bytes, sizeof(c->bytes), MSG_NOSIGNAL) !=
	    sizeof(c->bytes)) {
		many_fail(m, c, "send of the count");
		return;
	}
	epoll_ctl(m->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	m->servers_done++;
}

/* The client end sends its 1 MiB, half-closes, reads the count and EOF. */
static void many_client(struct many *m, struct conn *c, uint32_t events)
{
	static unsigned char buf[SEND_CHUNK];
	int err = 0;
	socklen_t len = sizeof(err);
	ssize_t n;

	if (!c->connected && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
			errno = err;
			many_fail(m, c, "connect");
			return;
		}
		c->connected = 1;
		c->seed = port_of(c->fd, 0);
	}
	while (c->connected && !c->shut) {
		size_t chunk = PER_CONN - c->bytes < SEND_CHUNK ?
			       PER_CONN - c->bytes : SEND_CHUNK;

		if (!chunk) {
			if (shutdown(c->fd, SHUT_WR)) {
				many_fail(m, c, "shutdown");
				return;
			}
			c->shut = 1;
			break;
		}
		xtcp_pattern(buf, chunk, c->seed, c->bytes);
		n = send(c->fd, buf, chunk, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno != EAGAIN)
				many_fail(m, c, "send");
			return;
		}
		c->bytes += n;
	}
	while (c->shut) {
		n = recv(c->fd, (char *)&c->reply + c->replied,
			 sizeof(c->reply) - c->replied, 0);
		if (n < 0) {
			if (errno != EAGAIN)
				many_fail(m, c, "recv of the count");
			return;
		}
		if (n == 0) {
			if (c->replied != sizeof(c->reply) ||
			    c->reply != PER_CONN) {
				errno = EPROTO;
				many_fail(m, c, "the server's count");
				return;
			}
			epoll_ctl(m->ep, EPOLL_CTL_DEL, c->fd, NULL);
			close(c->fd);
			c->fd = -1;
			m->clients_done++;
			return;
		}
		c->replied += n;
	}
}

TEST_F_TIMEOUT(ns, a_thousand_connections_of_a_mebibyte_in_one_epoll_loop, 300)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct rlimit rl = { 4 * NCONN, 4 * NCONN };
	struct epoll_event ev, evs[256];
	socklen_t len = sizeof(sin);
	struct many m = { .why = "" };
	uint64_t t0, deadline;
	struct conn *clients;
	int i, n;

	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	m.ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, m.ep);
	m.lfd = socket(AF_XTCP, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, m.lfd);
	ASSERT_EQ(0, bind(m.lfd, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, listen(m.lfd, NCONN));
	ASSERT_EQ(0, getsockname(m.lfd, (struct sockaddr *)&sin, &len));
	ev.events = EPOLLIN | EPOLLET;
	ev.data.ptr = NULL;
	ASSERT_EQ(0, epoll_ctl(m.ep, EPOLL_CTL_ADD, m.lfd, &ev));

	t0 = now_ms();
	clients = calloc(NCONN, sizeof(*clients));
	ASSERT_NE(NULL, clients);
	for (i = 0; i < NCONN; i++) {
		struct conn *c = &clients[i];

		c->fd = socket(AF_XTCP, SOCK_STREAM | SOCK_NONBLOCK |
			       SOCK_CLOEXEC, 0);
		ASSERT_LE(0, c->fd);
		/* A small buffer each: a thousand of them stay within reach. */
		ASSERT_EQ(0, set_int(c->fd, SOL_SOCKET, SO_SNDBUF, 32768));
		ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
		ev.data.ptr = c;
		ASSERT_EQ(0, epoll_ctl(m.ep, EPOLL_CTL_ADD, c->fd, &ev));
		ASSERT_EQ(-1, connect(c->fd, (struct sockaddr *)&sin,
				      sizeof(sin)));
		ASSERT_EQ(EINPROGRESS, errno);
	}

	deadline = now_ms() + 240 * 1000;
	while ((m.clients_done + m.failures < NCONN ||
		m.servers_done + m.failures < NCONN) && now_ms() < deadline) {
		n = epoll_wait(m.ep, evs, 256, 1000);
		ASSERT_LE(0, n);
		for (i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (!c)
				many_accept(&m);
			else if (c->fd < 0)
				continue;	/* closed earlier in this batch */
			else if (c->server)
				many_server(&m, c);
			else
				many_client(&m, c, evs[i].events);
		}
	}
	TH_LOG("%d clients and %d servers done, %d failures, in %lu ms",
	       m.clients_done, m.servers_done, m.failures,
	       (unsigned long)(now_ms() - t0));
	EXPECT_EQ(0, m.failures) TH_LOG("first: %s", m.why);
	EXPECT_EQ(NCONN, m.clients_done);
	EXPECT_EQ(NCONN, m.servers_done);
	close(m.lfd);
	close(m.ep);
}

/* ---- edge-triggered events, step by step ---- */

static const char *mask_name(uint32_t m)
{
	static const struct { uint32_t bit; const char *name; } bits[] = {
		{ EPOLLIN, "IN" }, { EPOLLPRI, "PRI" }, { EPOLLOUT, "OUT" },
		{ EPOLLRDHUP, "RDHUP" }, { EPOLLHUP, "HUP" },
		{ EPOLLERR, "ERR" },
	};
	static char s[64];
	unsigned int i;

	if (!m)
		return "none";
	s[0] = '\0';
	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		if (!(m & bits[i].bit))
			continue;
		if (s[0])
			strcat(s, "|");
		strcat(s, bits[i].name);
		m &= ~bits[i].bit;
	}
	if (m)
		snprintf(s + strlen(s), sizeof(s) - strlen(s), "|%#x", m);
	return s;
}

/* An epoll instance watching @fd for @events. */
static int watch(struct __test_metadata *_metadata, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events };
	int ep = epoll_create1(EPOLL_CLOEXEC);

	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	return ep;
}

/* After a step: 100 ms for its wake-ups, then what epoll has, traced. */
static void settle(struct __test_metadata *_metadata, int ep, struct trace *t)
{
	struct epoll_event evs[4];
	int n;

	msleep(100);
	n = epoll_wait(ep, evs, 4, 0);
	ASSERT_LE(0, n);
	ASSERT_GE(1, n);
	tr_add(t, "%s", mask_name(n ? evs[0].events : 0));
}

/*
 * EPOLLIN with EPOLLET: one event per arrival, none for data that is
 * still there, a new one for new data even before the old is read.
 */
static void in_per_arrival(struct __test_metadata *_metadata, int family,
			   struct trace *t)
{
	struct xpair p;
	char buf[8];
	int ep;

	xpair_open(_metadata, &p, family);
	ep = watch(_metadata, p.b, EPOLLIN | EPOLLET);
	settle(_metadata, ep, t);
	ASSERT_EQ(1, send(p.a, "x", 1, 0));
	settle(_metadata, ep, t);
	settle(_metadata, ep, t);
	ASSERT_EQ(1, send(p.a, "y", 1, 0));
	settle(_metadata, ep, t);
	tr_recv(t, p.b, buf, 1, 0);
	settle(_metadata, ep, t);
	tr_recv(t, p.b, buf, sizeof(buf), 0);
	settle(_metadata, ep, t);
	ASSERT_EQ(1, send(p.a, "z", 1, 0));
	settle(_metadata, ep, t);
	close(ep);
	xpair_close(&p);
}

TEST_F(ns, epollet_epollin_fires_once_per_arrival)
{
	SAME_AS_TCP(in_per_arrival,
		    "none IN none IN 1:'x' none 1:'y' none IN");
}

/*
 * EPOLLOUT with EPOLLET: once when watching starts (writable), not again
 * while the send buffer stays full, and once more after the reader drained
 * everything and the buffer emptied.
 */
static void out_after_drain(struct __test_metadata *_metadata, int family,
			    struct trace *t)
{
	static unsigned char chunk[16384], buf[65536];
	uint64_t sent = 0, got = 0;
	struct epoll_event evs[4];
	int ep, eagain = 0;
	struct xpair p;
	ssize_t n;

	xpair_open(_metadata, &p, family);
	ASSERT_EQ(0, set_int(p.a, SOL_SOCKET, SO_SNDBUF, 65536));
	/* TCP's default buffer for the reader (recv_test.c says why). */
	ASSERT_EQ(0, set_int(p.b, SOL_SOCKET, SO_RCVBUF, 65536));
	ep = watch(_metadata, p.a, EPOLLOUT | EPOLLET);
	settle(_metadata, ep, t);
	settle(_metadata, ep, t);

	/* Fill, let the last ACKs come, fill again. */
	while (eagain < 2) {
		memset(chunk, 'f', sizeof(chunk));
		n = send(p.a, chunk, sizeof(chunk), MSG_DONTWAIT);
		if (n < 0) {
			ASSERT_EQ(EAGAIN, errno);
			if (!eagain++)
				tr_ret(t, n);
			msleep(300);
			continue;
		}
		sent += n;
		ASSERT_GT(64 << 20, sent);
	}
	epoll_wait(ep, evs, 4, 0);	/* whatever the filling caused */
	settle(_metadata, ep, t);
	settle(_metadata, ep, t);

	ASSERT_EQ(0, set_timeo(p.b, SO_RCVTIMEO, 5000));
	while (got < sent) {
		n = recv(p.b, buf, sizeof(buf), 0);
		ASSERT_LT(0, n);
		got += n;
	}
	ASSERT_EQ(0, wait_outq(p.a, 0, 2000));
	settle(_metadata, ep, t);
	settle(_metadata, ep, t);
	close(ep);
	xpair_close(&p);
}

TEST_F(ns, epollet_epollout_fires_after_the_send_buffer_drains)
{
	SAME_AS_TCP(out_after_drain, "OUT none -1:EAGAIN none none OUT none");
}

/*
 * The peer's data and then its shutdown(SHUT_WR): EPOLLIN, then
 * EPOLLIN|EPOLLRDHUP; once this end shuts down too and its FIN is
 * acknowledged, EPOLLHUP as well.
 */
static void rdhup(struct __test_metadata *_metadata, int family,
		  struct trace *t)
{
	struct xpair p;
	char buf[8];
	int ep;

	xpair_open(_metadata, &p, family);
	ep = watch(_metadata, p.b, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
	settle(_metadata, ep, t);
	ASSERT_EQ(3, send(p.a, "abc", 3, 0));
	settle(_metadata, ep, t);
	ASSERT_EQ(0, shutdown(p.a, SHUT_WR));
	settle(_metadata, ep, t);
	tr_recv(t, p.b, buf, sizeof(buf), 0);
	tr_recv(t, p.b, buf, sizeof(buf), 0);
	settle(_metadata, ep, t);
	ASSERT_EQ(0, shutdown(p.b, SHUT_WR));
	settle(_metadata, ep, t);
	settle(_metadata, ep, t);
	close(ep);
	xpair_close(&p);
}

TEST_F(ns, epollet_epollrdhup_on_the_peers_shutdown)
{
	SAME_AS_TCP(rdhup, "OUT IN|OUT IN|OUT|RDHUP 3:'abc' 0:'' none "
		    "IN|OUT|RDHUP|HUP none");
}

/*
 * The peer closes with our data unread, so it resets the connection:
 * one event with everything set, recv() says ECONNRESET (which clears the
 * error), poll() then still says hung up, and send() says EPIPE.
 */
static void reset(struct __test_metadata *_metadata, int family,
		  struct trace *t)
{
	struct epoll_event evs[4];
	struct pollfd pfd;
	struct xpair p;
	char buf[8];
	int ep;

	xpair_open(_metadata, &p, family);
	ep = watch(_metadata, p.a, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
	settle(_metadata, ep, t);
	ASSERT_EQ(4, send(p.a, "data", 4, 0));
	ASSERT_EQ(0, wait_inq(p.b, 4, 2000));
	ASSERT_EQ(0, wait_outq(p.a, 0, 2000));
	msleep(100);
	epoll_wait(ep, evs, 4, 0);	/* not this test's business */
	close(p.b);
	settle(_metadata, ep, t);
	tr_recv(t, p.a, buf, sizeof(buf), 0);
	pfd = (struct pollfd){ .fd = p.a, .events = POLLIN | POLLOUT | POLLRDHUP };
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	tr_add(t, "poll:%s", mask_name(pfd.revents));
	tr_ret(t, send(p.a, "x", 1, MSG_NOSIGNAL));
	settle(_metadata, ep, t);
	close(ep);
	close(p.a);
}

TEST_F(ns, epollet_reports_hup_and_err_after_a_reset)
{
	SAME_AS_TCP(reset, "OUT IN|OUT|RDHUP|HUP|ERR -1:ECONNRESET "
		    "poll:IN|OUT|RDHUP|HUP -1:EPIPE none");
}

/*
 * A non-blocking connect(): an unconnected socket is writable and hung up,
 * the connection's completion is one EPOLLOUT; the listener reports
 * EPOLLIN once per connection waiting in its queue.
 */
static void connecting(struct __test_metadata *_metadata, int family,
		       struct trace *t)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t len = sizeof(sin);
	int l, c1, c2, a1, a2, ep, lep;

	l = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, bind(l, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, listen(l, 4));
	ASSERT_EQ(0, getsockname(l, (struct sockaddr *)&sin, &len));
	lep = watch(_metadata, l, EPOLLIN | EPOLLET);
	settle(_metadata, lep, t);

	c1 = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, c1);
	ep = watch(_metadata, c1, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
	settle(_metadata, ep, t);
	tr_ret(t, connect(c1, (struct sockaddr *)&sin, sizeof(sin)));
	settle(_metadata, ep, t);
	settle(_metadata, lep, t);

	c2 = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, c2);
	tr_ret(t, connect(c2, (struct sockaddr *)&sin, sizeof(sin)));
	settle(_metadata, lep, t);
	a1 = accept(l, NULL, NULL);
	settle(_metadata, lep, t);
	a2 = accept(l, NULL, NULL);
	tr_add(t, a1 >= 0 && a2 >= 0 ? "accepted-both" : "accept-failed");
	tr_ret(t, accept(l, NULL, NULL));
	settle(_metadata, lep, t);
	close(a1);
	close(a2);
	close(c1);
	close(c2);
	close(ep);
	close(lep);
	close(l);
}

TEST_F(ns, epollet_connect_and_accept_events)
{
	SAME_AS_TCP(connecting, "none OUT|HUP -1:EINPROGRESS OUT IN "
		    "-1:EINPROGRESS IN none accepted-both -1:EAGAIN none");
}

TEST_HARNESS_MAIN
