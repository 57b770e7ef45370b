// SPDX-License-Identifier: GPL-2.0
/*
 * sock_diag for XTCP (xtcp_diag.ko): what a SOCK_DIAG_BY_FAMILY dump for
 * protocol 253 lists, checked against /proc/net/xtcp and TCP_INFO for the
 * same sockets; its state, port and bytecode filters; SOCK_DESTROY ending
 * a connection as ss -K ends TCP's; the dump's namespace; xtcp-ss's
 * output; and inet_diag loading the module by its alias.
 *
 * Every test runs in the scripted peer's namespace (peer.h) holding: a
 * listener on 10.0.0.1:5000 with a connection from the peer whose 100
 * sent bytes the peer never acknowledges and a SYN-queue entry; a
 * listener on 5001 with a loopback connection holding 10 unread bytes;
 * and a loopback connection closed first by its client, in TIME_WAIT.
 */
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "peer.h"
#include "xtcp_conn.h"
#include "xtcp_util.h"

#define PORT_PEER	5000	/* the scripted peer's listener */
#define PORT_LO		5001	/* the loopback connections' listener */
#define PEER_PORT	40000	/* the peer's established connection */
#define PEER_SYN_PORT	40001	/* its SYN-queue entry */
#define SENT		100	/* bytes the peer never acknowledges */
#define UNREAD		10	/* bytes the loopback server never reads */
#define BACKLOG		8

#define DIAG_ALIAS	"net-pf-16-proto-4-type-2-253"

/* ---- the netlink side ---- */

struct dentry {
	struct inet_diag_msg m;
	struct tcp_info info;
	int info_len;		/* 0: no INET_DIAG_INFO */
	char cong[16];
};

struct dump {
	struct dentry e[64];
	int n;
};

/* What a request asks: states, extensions, ports, bytecode. */
struct query {
	uint32_t states;
	uint8_t ext;
	uint16_t sport, dport;	/* host order; 0: any */
	const struct inet_diag_bc_op *bc;
	int bc_len;
};

static const char *diag_ko_path(void)
{
	static char path[PATH_MAX];
	const char *p = getenv("XTCP_DIAG_KO");
	char *slash;

	if (p)
		return p;
	/* Beside xtcp.ko: module/Kbuild builds both. */
	snprintf(path, sizeof(path), "%s", xtcp_ko_path());
	slash = strrchr(path, '/');
	snprintf(slash ? slash + 1 : path,
		 sizeof(path) - (slash ? slash + 1 - path : 0), "xtcp_diag.ko");
	return path;
}

static const char *xtcp_ss_path(void)
{
	const char *p = getenv("XTCP_TOOLS");
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/xtcp-ss", p ? p : "build/tools");
	return path;
}

/* inet_diag from the guest kernel's modules, then ours after xtcp.ko. */
static int diag_ensure_loaded(void)
{
	int ret;

	if (!xtcp_module_loaded("inet_diag") &&
	    system("modprobe inet_diag") != 0)
		return -ENOENT;
	if (xtcp_module_loaded("xtcp_diag"))
		return 0;
	ret = xtcp_insmod(diag_ko_path(), NULL);
	return ret == -EEXIST ? 0 : ret;
}

static void dentry_attrs(struct dentry *e, const struct nlmsghdr *nlh)
{
	int len = nlh->nlmsg_len - NLMSG_LENGTH(sizeof(e->m));
	struct rtattr *a = (struct rtattr *)((char *)NLMSG_DATA(nlh) +
					     NLMSG_ALIGN(sizeof(e->m)));
	int n;

	for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		n = RTA_PAYLOAD(a);
		if (a->rta_type == INET_DIAG_INFO) {
			e->info_len = n;
			memcpy(&e->info, RTA_DATA(a),
			       n < (int)sizeof(e->info) ? n : (int)sizeof(e->info));
		} else if (a->rta_type == INET_DIAG_CONG) {
			snprintf(e->cong, sizeof(e->cong), "%.*s", n,
				 (char *)RTA_DATA(a));
		}
	}
}

/* Reads answers to the end: 0, or the kernel's -errno. */
static int diag_read(int fd, struct dump *d)
{
	static char buf[65536];
	struct nlmsghdr *nlh;
	int len;

	for (;;) {
		len = recv(fd, buf, sizeof(buf), 0);
		if (len < 0)
			return -errno;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_type == NLMSG_DONE)
				return nlh->nlmsg_len >= NLMSG_LENGTH(4) ?
				       *(int *)NLMSG_DATA(nlh) : 0;
			if (nlh->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(nlh))->error;
			if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
			    d->n == (int)(sizeof(d->e) / sizeof(d->e[0])))
				continue;
			memset(&d->e[d->n], 0, sizeof(d->e[0]));
			memcpy(&d->e[d->n].m, NLMSG_DATA(nlh), sizeof(d->e[0].m));
			dentry_attrs(&d->e[d->n++], nlh);
		}
		/* An answer without NLM_F_DUMP is one message. */
		if (d->n && !(((struct nlmsghdr *)buf)->nlmsg_flags & NLM_F_MULTI))
			return 0;
	}
}

/* One request of @type: 0, or -errno. */
static int diag_request(int type, int flags, const struct inet_diag_req_v2 *r,
			const struct query *q, struct dump *d)
{
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
		struct rtattr rta;
		char bc[64];
	} req = {
		.nlh.nlmsg_type = type,
		.nlh.nlmsg_flags = NLM_F_REQUEST | flags,
		.nlh.nlmsg_seq = 1,
		.r = *r,
	};
	size_t len = NLMSG_LENGTH(sizeof(req.r));
	int fd, ret;

	if (q && q->bc_len) {
		req.rta.rta_type = INET_DIAG_REQ_BYTECODE;
		req.rta.rta_len = RTA_LENGTH(q->bc_len);
		memcpy(req.bc, q->bc, q->bc_len);
		len += RTA_SPACE(q->bc_len);
	}
	req.nlh.nlmsg_len = len;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	ret = sendto(fd, &req, len, 0, (struct sockaddr *)&nl, sizeof(nl));
	if (ret < 0)
		ret = -errno;
	else
		ret = diag_read(fd, d);
	close(fd);
	return ret;
}

static int diag_dump(struct dump *d, const struct query *q)
{
	struct inet_diag_req_v2 r = {
		.sdiag_family = AF_INET,
		.sdiag_protocol = IPPROTO_XTCP,
		.idiag_ext = q->ext,
		.idiag_states = q->states,
		.id.idiag_sport = htons(q->sport),
		.id.idiag_dport = htons(q->dport),
	};

	d->n = 0;
	return diag_request(SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, &r, q, d);
}

/* SOCK_DESTROY, or with @type SOCK_DIAG_BY_FAMILY the one entry, for
 * what @m names.
 */
static int diag_exact(int type, const struct inet_diag_msg *m,
		      struct dump *d)
{
	struct inet_diag_req_v2 r = {
		.sdiag_family = AF_INET,
		.sdiag_protocol = IPPROTO_XTCP,
		.idiag_ext = (1 << (INET_DIAG_INFO - 1)),
		.idiag_states = ~0u,
		.id = m->id,
	};
	struct dump none;

	if (d)
		d->n = 0;
	return diag_request(type, type == SOCK_DESTROY ? NLM_F_ACK : 0, &r,
			    NULL, d ? d : &none);
}

static struct dentry *dump_find(struct dump *d, uint16_t lport,
				uint16_t rport)
{
	int i;

	for (i = 0; i < d->n; i++)
		if (ntohs(d->e[i].m.id.idiag_sport) == lport &&
		    ntohs(d->e[i].m.id.idiag_dport) == rport)
			return &d->e[i];
	return NULL;
}

/* ---- /proc/net/xtcp ---- */

struct pline {
	uint32_t laddr, raddr;
	unsigned int lport, rport, state, tx, rx, timer, retrans, uid;
	unsigned long inode;
};

static int proc_lines(struct pline *p, int max)
{
	FILE *f = fopen("/proc/net/xtcp", "re");
	unsigned long when;
	char line[512];
	int n = 0, timeout;

	if (!f)
		return -1;
	while (n < max && fgets(line, sizeof(line), f)) {
		struct pline *l = &p[n];

		if (sscanf(line, "%x:%x %x:%x %x %x:%x %x:%lx %x %u %d %lu",
			   &l->laddr, &l->lport, &l->raddr, &l->rport,
			   &l->state, &l->tx, &l->rx, &l->timer, &when,
			   &l->retrans, &l->uid, &timeout, &l->inode) == 13)
			n++;
	}
	fclose(f);
	return n;
}

/* ---- the sockets the tests look at ---- */

FIXTURE(diag) {
	struct xpeer p;
	struct xconn pc;	/* the peer's connection (accepted: pc.fd) */
	struct xconn syn;	/* the peer's SYN-queue entry */
	int lpeer, llo;		/* the two listeners */
	int cli, srv;		/* the loopback connection, UNREAD unread */
	uint16_t cli_port;
	uint16_t tw_port;	/* the TIME_WAIT entry's (client) port */
};

/* A loopback connection to PORT_LO: client and accepted server. */
static void lo_connect(struct __test_metadata *_metadata, int listener,
		       int *cli, int *srv)
{
	struct sockaddr_in to = xc_addr(XPEER_LOCAL_ADDR, PORT_LO);

	*cli = socket(AF_XTCP, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, *cli);
	ASSERT_EQ(0, connect(*cli, (struct sockaddr *)&to, sizeof(to)));
	*srv = accept(listener, NULL, NULL);
	ASSERT_LE(0, *srv);
}

/* A connection closed by its client first: the client's end waits in
 * TIME_WAIT (2 * msl_ms), the server's is gone.
 */
static uint16_t lo_time_wait(struct __test_metadata *_metadata, int listener)
{
	int cli, srv;
	char c;
	uint16_t port;

	lo_connect(_metadata, listener, &cli, &srv);
	port = xc_local_port(cli);
	ASSERT_EQ(0, shutdown(cli, SHUT_WR));
	ASSERT_EQ(0, recv(srv, &c, 1, 0));
	close(srv);
	ASSERT_EQ(0, recv(cli, &c, 1, 0));
	close(cli);
	ASSERT_EQ(ST_TIME_WAIT, xc_wait_state(port, PORT_LO, ST_TIME_WAIT,
					      2000));
	ASSERT_EQ(-1, xc_wait_state(PORT_LO, port, -1, 2000));
	return port;
}

FIXTURE_SETUP(diag)
{
	static const char data[SENT] = "sent, never acknowledged";
	struct xseg s;

	ASSERT_EQ(0, xtcp_ensure_loaded());
	ASSERT_EQ(0, diag_ensure_loaded());
	ASSERT_EQ(0, xpeer_setup(&self->p));
	/* No resend and no expiry while a test looks. */
	ASSERT_EQ(0, xtcp_sysctl_set("rto_min_ms", 20000));
	ASSERT_EQ(0, xtcp_sysctl_set("rto_initial_ms", 20000));

	self->lpeer = xc_listen(_metadata, PORT_PEER, BACKLOG, 0);
	xc_peer_handshake(_metadata, &self->p, &self->pc, PORT_PEER,
			  PEER_PORT, 1000);
	self->pc.fd = accept(self->lpeer, NULL, NULL);
	ASSERT_LE(0, self->pc.fd);
	ASSERT_EQ(SENT, send(self->pc.fd, data, SENT, 0));
	XSEG_EXPECT_DATA(&self->p, &s, 2000, self->pc.isn + 1, 1001);
	xc_peer_syn(_metadata, &self->p, &self->syn, PORT_PEER, PEER_SYN_PORT,
		    5000);

	self->llo = xc_listen(_metadata, PORT_LO, BACKLOG, 0);
	lo_connect(_metadata, self->llo, &self->cli, &self->srv);
	self->cli_port = xc_local_port(self->cli);
	ASSERT_EQ(UNREAD, send(self->cli, "0123456789", UNREAD, 0));
	self->tw_port = lo_time_wait(_metadata, self->llo);
	/* The unread bytes arrived and were acknowledged (delayed ACK). */
	sleep_ms(100);
}

/*
 * Nothing may outlive the test and pin xtcp.ko: with the peer silent and
 * a 20 s RTO, a closed connection's FIN and the SYN-queue entry's timer
 * (which holds its listener) would live on for long.  So the connection
 * is reset and the entry dropped (SOCK_DESTROY; already gone: ENOENT).
 */
FIXTURE_TEARDOWN(diag)
{
	struct inet_diag_msg syn = {
		.id.idiag_sport = htons(PORT_PEER),
		.id.idiag_dport = htons(PEER_SYN_PORT),
		.id.idiag_src = { inet_addr(XPEER_LOCAL_ADDR) },
		.id.idiag_dst = { inet_addr(XPEER_REMOTE_ADDR) },
		.id.idiag_cookie = { INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE },
	};

	diag_exact(SOCK_DESTROY, &syn, NULL);
	xc_close_abort(self->pc.fd);
	close(self->cli);
	close(self->srv);
	close(self->lpeer);
	close(self->llo);
	xpeer_teardown(&self->p);
	/* It pins xtcp.ko too: a later program may want to unload that. */
	xtcp_rmmod("xtcp_diag");
}

#define ALL_STATES	0xfff
#define EXT_INFO	((1 << (INET_DIAG_INFO - 1)) | (1 << (INET_DIAG_CONG - 1)))

/* Every /proc/net/xtcp line is one dump entry, with the same four-tuple,
 * state, queues, uid and inode; pending timers agree where both show one.
 */
TEST_F(diag, dump_agrees_with_proc_net_xtcp)
{
	struct query q = { .states = ALL_STATES };
	struct pline pl[64];
	struct dump d;
	int n, i;

	n = proc_lines(pl, 64);
	ASSERT_EQ(0, diag_dump(&d, &q));
	/* 2 listeners, the peer's connection and SYN-queue entry, the
	 * loopback pair, its TIME_WAIT entry.
	 */
	EXPECT_EQ(7, n);
	ASSERT_EQ(n, d.n);
	for (i = 0; i < n; i++) {
		struct dentry *e = dump_find(&d, pl[i].lport, pl[i].rport);

		ASSERT_NE(NULL, e) TH_LOG("no entry for %u -> %u",
					  pl[i].lport, pl[i].rport);
		EXPECT_EQ(AF_INET, e->m.idiag_family);
		EXPECT_EQ(pl[i].laddr, e->m.id.idiag_src[0]);
		EXPECT_EQ(pl[i].raddr, e->m.id.idiag_dst[0]);
		EXPECT_EQ(pl[i].state, e->m.idiag_state);
		EXPECT_EQ(pl[i].rx, e->m.idiag_rqueue);
		EXPECT_EQ(pl[i].tx, e->m.idiag_wqueue);
		EXPECT_EQ(pl[i].uid, e->m.idiag_uid);
		EXPECT_EQ(pl[i].inode, e->m.idiag_inode);
		if (pl[i].timer == 1 || pl[i].timer == 3) {
			EXPECT_EQ(pl[i].timer, e->m.idiag_timer);
			EXPECT_EQ(pl[i].retrans, e->m.idiag_retrans);
		}
	}
}

/* What each kind of entry says: queues, timers, the listener's backlog. */
TEST_F(diag, each_kind_of_entry_shows_its_state_queues_and_timer)
{
	struct query q = { .states = ALL_STATES };
	struct dentry *e;
	struct dump d;

	ASSERT_EQ(0, diag_dump(&d, &q));
	e = dump_find(&d, PORT_PEER, 0);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(ST_LISTEN, e->m.idiag_state);
	EXPECT_EQ(0, e->m.idiag_rqueue);	/* accepted */
	EXPECT_EQ(BACKLOG, e->m.idiag_wqueue);
	EXPECT_EQ(htonl(0x0a000001), e->m.id.idiag_src[0]);

	e = dump_find(&d, PORT_PEER, PEER_PORT);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(ST_ESTABLISHED, e->m.idiag_state);
	EXPECT_EQ(SENT, e->m.idiag_wqueue);
	EXPECT_EQ(1, e->m.idiag_timer);		/* retransmission */
	EXPECT_LT(10000, e->m.idiag_expires);
	EXPECT_EQ(getuid(), e->m.idiag_uid);
	EXPECT_NE(0, e->m.idiag_inode);

	e = dump_find(&d, PORT_PEER, PEER_SYN_PORT);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(ST_SYN_RECV, e->m.idiag_state);
	EXPECT_EQ(1, e->m.idiag_timer);		/* the SYN-ACK's */

	e = dump_find(&d, PORT_LO, self->cli_port);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(UNREAD, e->m.idiag_rqueue);
	EXPECT_EQ(0, e->m.idiag_wqueue);

	e = dump_find(&d, self->tw_port, PORT_LO);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(ST_TIME_WAIT, e->m.idiag_state);
	EXPECT_EQ(3, e->m.idiag_timer);
	EXPECT_LT(0, e->m.idiag_expires);
	EXPECT_GE(60000, e->m.idiag_expires);	/* 2 * msl_ms */
	EXPECT_EQ(0, e->m.idiag_inode);
}

/* INET_DIAG_INFO is TCP_INFO's answer for the same socket; INET_DIAG_CONG
 * names TCP_CONGESTION's algorithm.
 */
TEST_F(diag, info_is_what_tcp_info_gives_and_cong_its_algorithm)
{
	struct query q = { .states = ALL_STATES, .ext = EXT_INFO };
	struct tcp_info ti;
	socklen_t len;
	const int fds[] = { self->srv, self->pc.fd };
	char cc[16] = "";
	struct dentry *e;
	struct dump d;
	int i;

	ASSERT_EQ(0, diag_dump(&d, &q));
	for (i = 0; i < 2; i++) {
		struct sockaddr_in peer;
		socklen_t plen = sizeof(peer);

		ASSERT_EQ(0, getpeername(fds[i], (struct sockaddr *)&peer,
					 &plen));
		e = dump_find(&d, xc_local_port(fds[i]), ntohs(peer.sin_port));
		ASSERT_NE(NULL, e);
		len = sizeof(ti);
		ASSERT_EQ(0, getsockopt(fds[i], IPPROTO_TCP, TCP_INFO, &ti,
					&len));
		ASSERT_LE((int)sizeof(ti), e->info_len);
		EXPECT_EQ(ti.tcpi_state, e->info.tcpi_state);
		EXPECT_EQ(ti.tcpi_options, e->info.tcpi_options);
		/* Bit-fields: compared as a whole byte. */
		EXPECT_EQ(ti.tcpi_snd_wscale | ti.tcpi_rcv_wscale << 4,
			  e->info.tcpi_snd_wscale | e->info.tcpi_rcv_wscale << 4);
		EXPECT_EQ(ti.tcpi_rto, e->info.tcpi_rto);
		EXPECT_EQ(ti.tcpi_snd_mss, e->info.tcpi_snd_mss);
		EXPECT_EQ(ti.tcpi_advmss, e->info.tcpi_advmss);
		EXPECT_EQ(ti.tcpi_snd_cwnd, e->info.tcpi_snd_cwnd);
		EXPECT_EQ(ti.tcpi_rtt, e->info.tcpi_rtt);
		EXPECT_EQ(ti.tcpi_unacked, e->info.tcpi_unacked);
		EXPECT_EQ(ti.tcpi_bytes_received, e->info.tcpi_bytes_received);
		EXPECT_EQ(ti.tcpi_bytes_sent, e->info.tcpi_bytes_sent);
		EXPECT_EQ(ti.tcpi_segs_in, e->info.tcpi_segs_in);
		len = sizeof(cc);
		ASSERT_EQ(0, getsockopt(fds[i], IPPROTO_TCP, TCP_CONGESTION,
					cc, &len));
		EXPECT_STREQ(cc, e->cong);
	}
	/* The peer's connection: its unacknowledged segment; the loopback
	 * server: the bytes it got.
	 */
	EXPECT_EQ(1, e->info.tcpi_unacked);
	EXPECT_EQ(SENT, e->info.tcpi_bytes_sent);
	e = dump_find(&d, PORT_LO, self->cli_port);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(UNREAD, e->info.tcpi_bytes_received);
}

/* idiag_states picks states as for TCP; ss's default leaves listeners,
 * SYN-queue and TIME_WAIT entries out.
 */
TEST_F(diag, states_select_entries)
{
	struct query q = { .states = 1 << ST_LISTEN };
	struct dump d;
	int i;

	ASSERT_EQ(0, diag_dump(&d, &q));
	EXPECT_EQ(2, d.n);
	for (i = 0; i < d.n; i++)
		EXPECT_EQ(ST_LISTEN, d.e[i].m.idiag_state);

	q.states = 1 << ST_TIME_WAIT;
	ASSERT_EQ(0, diag_dump(&d, &q));
	ASSERT_EQ(1, d.n);
	EXPECT_EQ(self->tw_port, ntohs(d.e[0].m.id.idiag_sport));

	/* TCP's request sockets answer to either bit. */
	q.states = 1 << 12;	/* TCP_NEW_SYN_RECV */
	ASSERT_EQ(0, diag_dump(&d, &q));
	ASSERT_EQ(1, d.n);
	EXPECT_EQ(PEER_SYN_PORT, ntohs(d.e[0].m.id.idiag_dport));

	q.states = 1 << ST_ESTABLISHED;
	ASSERT_EQ(0, diag_dump(&d, &q));
	EXPECT_EQ(3, d.n);
	for (i = 0; i < d.n; i++)
		EXPECT_EQ(ST_ESTABLISHED, d.e[i].m.idiag_state);
}

/* Ports in the request, and inet_diag's bytecode, select by port. */
TEST_F(diag, ports_and_bytecode_select_entries)
{
	struct inet_diag_bc_op dport_eq[2] = {
		{ INET_DIAG_BC_D_EQ, 8, 12 }, { 0, 0, PORT_LO },
	};
	struct query q = { .states = ALL_STATES, .sport = PORT_LO };
	struct dump d;
	int i;

	/* The listener and the accepted end. */
	ASSERT_EQ(0, diag_dump(&d, &q));
	EXPECT_EQ(2, d.n);
	for (i = 0; i < d.n; i++)
		EXPECT_EQ(PORT_LO, ntohs(d.e[i].m.id.idiag_sport));

	/* A destination port rules listeners out: the peer's two. */
	q = (struct query){ .states = ALL_STATES, .sport = PORT_PEER,
			    .dport = PEER_PORT };
	ASSERT_EQ(0, diag_dump(&d, &q));
	ASSERT_EQ(1, d.n);
	EXPECT_EQ(ST_ESTABLISHED, d.e[0].m.idiag_state);

	/* The client ends, the TIME_WAIT entry's too. */
	q = (struct query){ .states = ALL_STATES, .bc = dport_eq,
			    .bc_len = sizeof(dport_eq) };
	ASSERT_EQ(0, diag_dump(&d, &q));
	EXPECT_EQ(2, d.n);
	for (i = 0; i < d.n; i++)
		EXPECT_EQ(PORT_LO, ntohs(d.e[i].m.id.idiag_dport));
	EXPECT_NE(NULL, dump_find(&d, self->tw_port, PORT_LO));
	EXPECT_NE(NULL, dump_find(&d, self->cli_port, PORT_LO));
}

/* A request without NLM_F_DUMP gets the entry its four-tuple names; a
 * wrong cookie gets ENOENT.
 */
TEST_F(diag, dump_one_finds_an_entry_by_four_tuple_and_cookie)
{
	struct query q = { .states = ALL_STATES };
	struct inet_diag_msg m;
	struct dentry *e;
	struct dump d, one;

	ASSERT_EQ(0, diag_dump(&d, &q));
	e = dump_find(&d, PORT_PEER, PEER_PORT);
	ASSERT_NE(NULL, e);
	m = e->m;
	ASSERT_EQ(0, diag_exact(SOCK_DIAG_BY_FAMILY, &m, &one));
	ASSERT_EQ(1, one.n);
	EXPECT_EQ(e->m.idiag_inode, one.e[0].m.idiag_inode);
	EXPECT_LT(0, one.e[0].info_len);
	m.id.idiag_cookie[0]++;
	EXPECT_EQ(-ENOENT, diag_exact(SOCK_DIAG_BY_FAMILY, &m, &one));

	e = dump_find(&d, self->tw_port, PORT_LO);
	ASSERT_NE(NULL, e);
	ASSERT_EQ(0, diag_exact(SOCK_DIAG_BY_FAMILY, &e->m, &one));
	ASSERT_EQ(1, one.n);
	EXPECT_EQ(ST_TIME_WAIT, one.e[0].m.idiag_state);
}

/* SOCK_DESTROY ends a connection as tcp_abort() does: its owner's calls
 * fail with ECONNABORTED and the peer gets a RST.
 */
TEST_F(diag, destroy_aborts_the_owner_and_resets_the_peer)
{
	struct query q = { .states = ALL_STATES };
	struct dentry *e;
	struct dump d;
	struct xseg s;
	char c;
	int i;

	ASSERT_EQ(0, diag_dump(&d, &q));
	e = dump_find(&d, PORT_PEER, PEER_PORT);
	ASSERT_NE(NULL, e);
	ASSERT_EQ(0, diag_exact(SOCK_DESTROY, &e->m, NULL));
	EXPECT_EQ(-1, recv(self->pc.fd, &c, 1, 0));
	EXPECT_EQ(ECONNABORTED, errno);
	/* On the wire: the RST (after any resend already on its way). */
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(1, xpeer_recv(&self->p, &s, 2000));
		if (s.flags & F_RST)
			break;
	}
	EXPECT_TRUE(s.flags & F_RST);
	EXPECT_EQ(self->pc.isn + 1 + SENT, s.seq);
	EXPECT_EQ(-1, xc_proc_state(PORT_PEER, PEER_PORT));
	/* Gone: a second one finds nothing. */
	EXPECT_EQ(-ENOENT, diag_exact(SOCK_DESTROY, &e->m, NULL));

	/* Over loopback: the other end sees the RST as ECONNRESET. */
	ASSERT_EQ(0, diag_dump(&d, &q));
	e = dump_find(&d, PORT_LO, self->cli_port);
	ASSERT_NE(NULL, e);
	ASSERT_EQ(0, diag_exact(SOCK_DESTROY, &e->m, NULL));
	EXPECT_EQ(-1, recv(self->cli, &c, 1, 0));
	EXPECT_EQ(ECONNRESET, errno);
	EXPECT_EQ(-1, send(self->srv, &c, 1, MSG_NOSIGNAL));
	EXPECT_EQ(ECONNABORTED, errno);
}

/* SYN-queue and TIME_WAIT entries are dropped, as tcp_abort() drops TCP's. */
TEST_F(diag, destroy_drops_syn_queue_and_time_wait_entries)
{
	struct query q = { .states = ALL_STATES };
	struct dentry *e;
	struct dump d;

	ASSERT_EQ(0, diag_dump(&d, &q));
	e = dump_find(&d, PORT_PEER, PEER_SYN_PORT);
	ASSERT_NE(NULL, e);
	ASSERT_EQ(0, diag_exact(SOCK_DESTROY, &e->m, NULL));
	e = dump_find(&d, self->tw_port, PORT_LO);
	ASSERT_NE(NULL, e);
	ASSERT_EQ(0, diag_exact(SOCK_DESTROY, &e->m, NULL));
	EXPECT_EQ(-1, xc_proc_state(PORT_PEER, PEER_SYN_PORT));
	EXPECT_EQ(-1, xc_proc_state(self->tw_port, PORT_LO));
	ASSERT_EQ(0, diag_dump(&d, &q));
	EXPECT_EQ(5, d.n);
}

/* A dump lists the requester's namespace only. */
TEST_F(diag, dump_lists_its_own_namespace_only)
{
	struct query q = { .states = ALL_STATES };
	int ready[2], go[2], status;
	struct dump d;
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct sockaddr_in sin = xc_addr("127.0.0.1", 5999);
		int fd;

		/* A listener of its own, in a namespace of its own. */
		if (xtcp_netns_with_lo())
			_exit(1);
		fd = socket(AF_XTCP, SOCK_STREAM, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
		    listen(fd, 1))
			_exit(2);
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(3);
		if (diag_dump(&d, &q) || d.n != 1 ||
		    ntohs(d.e[0].m.id.idiag_sport) != 5999)
			_exit(4);
		_exit(0);
	}
	ASSERT_EQ(1, read(ready[0], &c, 1));
	ASSERT_EQ(0, diag_dump(&d, &q));
	EXPECT_EQ(7, d.n);
	EXPECT_EQ(NULL, dump_find(&d, 5999, 0));
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("the other namespace's dump");
}

/* ---- xtcp-ss ---- */

/* Runs xtcp-ss with @args; its output in @out (up to @len). */
static int xtcp_ss(const char *args, char *out, size_t len)
{
	char cmd[PATH_MAX + 256];
	size_t n = 0, m;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "%s %s", xtcp_ss_path(), args);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (n < len - 1 && (m = fread(out + n, 1, len - 1 - n, f)) > 0)
		n += m;
	out[n] = '\0';
	return pclose(f);
}

/* The line for @local and @peer ("addr:port"), or NULL. */
static const char *ss_line(const char *out, const char *state,
			   const char *local, const char *peer)
{
	char st[32], l[64], p[64];
	unsigned int rq, sq;
	const char *line;

	for (line = out; line && *line; line = strchr(line, '\n'),
	     line = line ? line + 1 : NULL) {
		if (sscanf(line, "%31s %u %u %63s %63s", st, &rq, &sq, l, p) == 5 &&
		    !strcmp(st, state) && !strcmp(l, local) && !strcmp(p, peer))
			return line;
	}
	return NULL;
}

static int ss_count(const char *out)
{
	int n = -1;	/* the header */

	for (; *out; out++)
		if (*out == '\n' && out[1] != '\t')
			n++;
	return n;
}

/* xtcp-ss shows what the dump holds, in ss -tn's columns. */
TEST_F(diag, xtcp_ss_lists_what_the_dump_holds)
{
	char out[8192], local[64], peer[64];
	const char *line;
	unsigned int rq, sq;

	ASSERT_EQ(0, xtcp_ss("-a", out, sizeof(out))) TH_LOG("%s", out);
	TH_LOG("%s", out);
	EXPECT_EQ(0, strncmp(out, "State", 5));
	EXPECT_EQ(7, ss_count(out));
	EXPECT_NE(NULL, ss_line(out, "LISTEN", "10.0.0.1:5000", "0.0.0.0:*"));
	EXPECT_NE(NULL, ss_line(out, "SYN-RECV", "10.0.0.1:5000",
				"10.0.0.2:40001"));
	line = ss_line(out, "ESTAB", "10.0.0.1:5000", "10.0.0.2:40000");
	ASSERT_NE(NULL, line);
	ASSERT_EQ(5, sscanf(line, "%*s %u %u %63s %63s", &rq, &sq, local,
			    peer) + 1);
	EXPECT_EQ(0, rq);
	EXPECT_EQ(SENT, sq);
	snprintf(peer, sizeof(peer), "10.0.0.1:%u", self->cli_port);
	line = ss_line(out, "ESTAB", "10.0.0.1:5001", peer);
	ASSERT_NE(NULL, line);
	ASSERT_EQ(1, sscanf(line, "%*s %u", &rq));
	EXPECT_EQ(UNREAD, rq);
	snprintf(local, sizeof(local), "10.0.0.1:%u", self->tw_port);
	EXPECT_NE(NULL, ss_line(out, "TIME-WAIT", local, "10.0.0.1:5001"));

	/* ss's default: connections only; -l: listeners only. */
	ASSERT_EQ(0, xtcp_ss("", out, sizeof(out)));
	EXPECT_EQ(3, ss_count(out));
	ASSERT_EQ(0, xtcp_ss("-l", out, sizeof(out)));
	EXPECT_EQ(2, ss_count(out));
	/* Filters: by state and by port, ss's words or the options. */
	ASSERT_EQ(0, xtcp_ss("state time-wait", out, sizeof(out)));
	EXPECT_EQ(1, ss_count(out));
	ASSERT_EQ(0, xtcp_ss("-a dport = :5001", out, sizeof(out)));
	EXPECT_EQ(2, ss_count(out));
	ASSERT_EQ(0, xtcp_ss("-a --sport 5000 --dport 40000", out,
			     sizeof(out)));
	EXPECT_EQ(1, ss_count(out));
}

/* -i adds ss -i's line from TCP_INFO. */
TEST_F(diag, xtcp_ss_i_shows_tcp_info)
{
	char out[8192], want[64];
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	ASSERT_EQ(0, xtcp_ss("-i sport = :5000", out, sizeof(out)));
	TH_LOG("%s", out);
	ASSERT_EQ(0, getsockopt(self->pc.fd, IPPROTO_TCP, TCP_INFO, &ti, &len));
	EXPECT_NE(NULL, strstr(out, "\n\t cubic "));
	snprintf(want, sizeof(want), " mss:%u ", ti.tcpi_snd_mss);
	EXPECT_NE(NULL, strstr(out, want));
	snprintf(want, sizeof(want), " cwnd:%u ", ti.tcpi_snd_cwnd);
	EXPECT_NE(NULL, strstr(out, want));
	snprintf(want, sizeof(want), " rto:%g ", ti.tcpi_rto / 1000.0);
	EXPECT_NE(NULL, strstr(out, want));
	snprintf(want, sizeof(want), " bytes_sent:%u ", SENT);
	EXPECT_NE(NULL, strstr(out, want));
}

/* -K ends what matched, as ss -K, and shows it. */
TEST_F(diag, xtcp_ss_k_kills_matching_connections)
{
	char out[8192], args[64];
	char c;

	snprintf(args, sizeof(args), "-K sport = :%u", self->cli_port);
	ASSERT_EQ(0, xtcp_ss(args, out, sizeof(out)));
	TH_LOG("%s", out);
	EXPECT_EQ(1, ss_count(out));
	EXPECT_EQ(-1, recv(self->cli, &c, 1, 0));
	EXPECT_EQ(ECONNABORTED, errno);
	/* The server's end took the RST: gone. */
	EXPECT_EQ(-1, xc_wait_state(PORT_LO, self->cli_port, -1, 2000));
	/* The rest is untouched. */
	EXPECT_EQ(ST_ESTABLISHED, xc_proc_state(PORT_PEER, PEER_PORT));
	ASSERT_EQ(0, xtcp_ss("-a", out, sizeof(out)));
	EXPECT_EQ(5, ss_count(out));
}

/* ---- the module's alias ---- */

/*
 * With nothing serving protocol 253, a dump makes inet_diag ask modprobe
 * for the module by the alias xtcp_diag.ko declares: a modprobe that
 * notes what it is asked and loads the module for that alias serves it.
 */
TEST_F(diag, a_dump_loads_the_module_by_its_alias)
{
	const char *helper = "/tmp/xtcp-diag-modprobe", *log = "/tmp/xtcp-diag-modprobe.log";
	struct query q = { .states = 1 << ST_LISTEN };
	char ko[PATH_MAX], script[2 * PATH_MAX], old[PATH_MAX] = "";
	char alias[128] = "", cmd[PATH_MAX + 64];
	FILE *f;
	struct dump d;
	int ret;

	ASSERT_NE(NULL, realpath(diag_ko_path(), ko));
	snprintf(cmd, sizeof(cmd), "modinfo -F alias %s", ko);
	f = popen(cmd, "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(alias, sizeof(alias), f));
	pclose(f);
	alias[strcspn(alias, "\n")] = '\0';
	EXPECT_STREQ(DIAG_ALIAS, alias);

	snprintf(script, sizeof(script),
		 "#!/bin/sh\n"
		 "for a; do last=$a; done\n"
		 "echo \"$last\" >> %s\n"
		 "[ \"$last\" = \"%s\" ] && exec insmod %s\n"
		 "exec /sbin/modprobe \"$@\"\n", log, alias, ko);
	unlink(log);
	f = fopen(helper, "we");
	ASSERT_NE(NULL, f);
	ASSERT_LT(0, fputs(script, f));
	ASSERT_EQ(0, fclose(f));
	ASSERT_EQ(0, chmod(helper, 0755));
	f = fopen("/proc/sys/kernel/modprobe", "re");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(old, sizeof(old), f));
	fclose(f);
	old[strcspn(old, "\n")] = '\0';

	ASSERT_EQ(0, xtcp_rmmod("xtcp_diag"));
	ASSERT_EQ(0, write_file("/proc/sys/kernel/modprobe", helper));
	ret = diag_dump(&d, &q);
	ASSERT_EQ(0, write_file("/proc/sys/kernel/modprobe", old));
	ASSERT_EQ(0, ret);
	EXPECT_EQ(2, d.n);
	EXPECT_TRUE(xtcp_module_loaded("xtcp_diag"));
	f = fopen(log, "re");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(cmd, sizeof(cmd), f));
	fclose(f);
	EXPECT_EQ(0, strncmp(cmd, DIAG_ALIAS, strlen(DIAG_ALIAS)));
}

TEST_HARNESS_MAIN
