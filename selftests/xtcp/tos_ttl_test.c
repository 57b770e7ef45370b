// SPDX-License-Identifier: GPL-2.0
/*
 * IP_TOS and IP_TTL on every segment a connection sends (RFC 9293
 * MUST-48 and MUST-49): SYN, ACK, data, FIN and RST from a socket, a
 * listener's SYN-ACK and its child's data, and a TIME_WAIT entry's ACK.
 * Each script runs on a Linux TCP socket and then on an XTCP socket
 * through the same TUN device (the scripted peer speaks either), and
 * both must show the same TOS and TTL byte for byte.
 *
 * Linux's own choices, followed here: a SYN-ACK carries the listener's
 * IP_TOS and IP_TTL (the SYN's TOS only with net.ipv4.tcp_reflect_tos,
 * off by default); a TIME_WAIT entry's ACK keeps the connection's TOS
 * but leaves with the namespace's default TTL (it goes through a
 * control socket, not the connection's).
 */
#include <netinet/in.h>
#include <netinet/ip.h>
#include <sys/socket.h>

#include "kselftest_harness.h"
#include "xtcp_util.h"
#include "peer.h"
#include "xtcp_conn.h"

#define PISN		0x30000000u
#define SOCK_TOS	0x28	/* DSCP AF11 */
#define SOCK_TTL	33
#define LISTEN_TOS	0x48	/* DSCP AF21 */
#define LISTEN_TTL	21

/* One protocol's run of a script. */
struct run {
	const char *name;
	int family;
	struct xpeer *p;
	struct xconn c;
};

FIXTURE(ip) {
	struct xpeer p;
	struct run tcp, xtcp;
	int lfd;
	int default_ttl;
};

static int read_int(const char *path)
{
	FILE *f = fopen(path, "re");
	int v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

FIXTURE_SETUP(ip)
{
	self->lfd = -1;
	self->tcp.c.fd = self->xtcp.c.fd = -1;
	ASSERT_EQ(0, xtcp_ensure_loaded());
	ASSERT_EQ(0, xpeer_setup(&self->p));
	self->default_ttl = read_int("/proc/sys/net/ipv4/ip_default_ttl");
	ASSERT_LT(0, self->default_ttl);
	ASSERT_NE(SOCK_TTL, self->default_ttl);
	self->tcp = (struct run){ "TCP", AF_INET, &self->p, { .fd = -1 } };
	self->xtcp = (struct run){ "XTCP", AF_XTCP, &self->p, { .fd = -1 } };
}

FIXTURE_TEARDOWN(ip)
{
	xc_close_abort(self->tcp.c.fd);
	xc_close_abort(self->xtcp.c.fd);
	if (self->lfd >= 0)
		close(self->lfd);
	xpeer_teardown(&self->p);
}

/* The peer speaks @r's protocol from now on. */
static void use(struct run *r)
{
	r->p->proto = r->family == AF_XTCP ? IPPROTO_XTCP : IPPROTO_TCP;
}

static void set_tos_ttl(struct __test_metadata *_metadata, int fd, int tos,
			int ttl)
{
	ASSERT_EQ(0, setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)));
	ASSERT_EQ(0, setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)));
}

#define EXPECT_IP(r, s, tos_, ttl_, what) do {				\
	EXPECT_EQ((tos_), (s)->tos)					\
		TH_LOG("%s %s: TOS 0x%02x, want 0x%02x", (r)->name,	\
		       (what), (s)->tos, (tos_));			\
	EXPECT_EQ((ttl_), (s)->ttl)					\
		TH_LOG("%s %s: TTL %d, want %d", (r)->name, (what),	\
		       (s)->ttl, (ttl_));				\
} while (0)

/*
 * The socket connects to the peer's @rport with IP_TOS and IP_TTL set:
 *	socket  S   seq isn                    (checked)
 *	peer    S.  seq pisn, ack isn+1
 *	socket  .   seq isn+1, ack pisn+1      (checked)
 */
static void open_with_tos(struct __test_metadata *_metadata, struct run *r,
			  uint16_t rport)
{
	struct sockaddr_in to = xc_addr(XPEER_REMOTE_ADDR, rport);
	struct xconn *c = &r->c;
	struct pollfd pfd;
	struct xseg s;

	use(r);
	c->fd = socket(r->family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		       0);
	ASSERT_LE(0, c->fd);
	set_tos_ttl(_metadata, c->fd, SOCK_TOS, SOCK_TTL);
	ASSERT_EQ(-1, connect(c->fd, (struct sockaddr *)&to, sizeof(to)));
	ASSERT_EQ(EINPROGRESS, errno);
	XSEG_EXPECT(r->p, &s, 2000, F_SYN, XSEG_ANY, XSEG_ANY);
	EXPECT_IP(r, &s, SOCK_TOS, SOCK_TTL, "SYN");
	c->lport = s.sport;
	c->rport = rport;
	c->isn = s.seq;
	c->pisn = PISN;
	PEER_SEND(r->p, rport, c->lport, PISN, c->isn + 1, F_SYN | F_ACK,
		  NULL, 0);
	XSEG_EXPECT(r->p, &s, 2000, F_ACK, c->isn + 1, PISN + 1);
	EXPECT_IP(r, &s, SOCK_TOS, SOCK_TTL, "ACK of the SYN-ACK");
	pfd.fd = c->fd;
	pfd.events = POLLOUT;
	ASSERT_EQ(1, poll(&pfd, 1, 2000));
	ASSERT_EQ(0, xc_set_nonblock(c->fd, 0));
}

/*
 *	socket  P.  seq isn+1, 5 bytes         (checked)
 *	peer    .   ack isn+6
 *	close()
 *	socket  F.  seq isn+6                  (checked)
 *	peer    F.  seq pisn+1, ack isn+7
 *	socket  .   ack pisn+2                 (checked) TIME_WAIT
 *	peer    F.  seq pisn+1, ack isn+7      (again: our ACK was lost)
 *	entry   .   ack pisn+2                 (checked: TOS kept, default TTL)
 */
static void data_fin_time_wait(struct __test_metadata *_metadata,
			       FIXTURE_DATA(ip) *self, struct run *r,
			       uint16_t rport)
{
	struct xconn *c = &r->c;
	struct xseg s;

	open_with_tos(_metadata, r, rport);
	ASSERT_EQ(5, send(c->fd, "hello", 5, MSG_NOSIGNAL));
	XSEG_EXPECT(r->p, &s, 2000, F_PSH | F_ACK, c->isn + 1, PISN + 1);
	EXPECT_IP(r, &s, SOCK_TOS, SOCK_TTL, "data");
	CONN_SEND(r->p, c, PISN + 1, c->isn + 6, F_ACK, NULL, 0);

	close(c->fd);
	c->fd = -1;
	XSEG_EXPECT(r->p, &s, 2000, F_FIN | F_ACK, c->isn + 6, PISN + 1);
	EXPECT_IP(r, &s, SOCK_TOS, SOCK_TTL, "FIN");
	CONN_SEND(r->p, c, PISN + 1, c->isn + 7, F_FIN | F_ACK, NULL, 0);
	XSEG_EXPECT(r->p, &s, 2000, F_ACK, c->isn + 7, PISN + 2);
	EXPECT_IP(r, &s, SOCK_TOS, SOCK_TTL, "ACK of the FIN");

	CONN_SEND(r->p, c, PISN + 1, c->isn + 7, F_FIN | F_ACK, NULL, 0);
	XSEG_EXPECT(r->p, &s, 2000, F_ACK, c->isn + 7, PISN + 2);
	EXPECT_IP(r, &s, SOCK_TOS, self->default_ttl, "TIME_WAIT ACK");
}

TEST_F(ip, syn_ack_data_fin_and_time_wait_ack_carry_tos_and_ttl)
{
	ASSERT_EQ(0, xtcp_sysctl_set("msl_ms", 5000));
	data_fin_time_wait(_metadata, self, &self->tcp, 4001);
	data_fin_time_wait(_metadata, self, &self->xtcp, 4002);
}

/* close() with SO_LINGER 0: the RST goes with the socket's TOS and TTL. */
static void reset(struct __test_metadata *_metadata, struct run *r,
		  uint16_t rport)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct xconn *c = &r->c;
	struct xseg s;

	open_with_tos(_metadata, r, rport);
	ASSERT_EQ(0, setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg,
				sizeof(lg)));
	close(c->fd);
	c->fd = -1;
	XSEG_EXPECT(r->p, &s, 2000, F_RST | F_ACK, c->isn + 1, PISN + 1);
	EXPECT_IP(r, &s, SOCK_TOS, SOCK_TTL, "RST");
}

TEST_F(ip, a_reset_from_a_socket_carries_its_tos_and_ttl)
{
	reset(_metadata, &self->tcp, 4011);
	reset(_metadata, &self->xtcp, 4012);
}

/*
 * A listener with IP_TOS and IP_TTL set on @lport:
 *	peer    S   seq pisn
 *	module  S.  seq isn, ack pisn+1        (checked: the listener's)
 *	peer    .   ack isn+1
 *	child   P.  seq isn+1, 1 byte          (checked: inherited)
 */
static void listener_synack(struct __test_metadata *_metadata,
			    FIXTURE_DATA(ip) *self, struct run *r,
			    uint16_t lport)
{
	struct sockaddr_in sin = xc_addr(XPEER_LOCAL_ADDR, lport);
	struct xconn *c = &r->c;
	struct xseg s;

	use(r);
	if (self->lfd >= 0)
		close(self->lfd);
	self->lfd = socket(r->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, self->lfd);
	set_tos_ttl(_metadata, self->lfd, LISTEN_TOS, LISTEN_TTL);
	ASSERT_EQ(0, bind(self->lfd, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, listen(self->lfd, 4));

	PEER_SEND(r->p, 4100, lport, PISN, 0, F_SYN, NULL, 0);
	XSEG_EXPECT(r->p, &s, 2000, F_SYN | F_ACK, XSEG_ANY, PISN + 1);
	EXPECT_IP(r, &s, LISTEN_TOS, LISTEN_TTL, "SYN-ACK");
	c->isn = s.seq;
	c->lport = lport;
	c->rport = 4100;
	c->pisn = PISN;
	CONN_SEND(r->p, c, PISN + 1, c->isn + 1, F_ACK, NULL, 0);
	c->fd = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, c->fd);
	ASSERT_EQ(1, send(c->fd, "x", 1, MSG_NOSIGNAL));
	XSEG_EXPECT(r->p, &s, 2000, F_PSH | F_ACK, c->isn + 1, PISN + 1);
	EXPECT_IP(r, &s, LISTEN_TOS, LISTEN_TTL, "child's data");
}

TEST_F(ip, a_listener_syn_ack_and_its_child_carry_its_tos_and_ttl)
{
	listener_synack(_metadata, self, &self->tcp, 5001);
	xc_close_abort(self->tcp.c.fd);
	self->tcp.c.fd = -1;
	listener_synack(_metadata, self, &self->xtcp, 5002);
}

TEST_HARNESS_MAIN
