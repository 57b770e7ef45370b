// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp-ss: XTCP's sockets as `ss -tni` shows TCP's.  Stock ss(8) asks
 * sock_diag only for the protocols it knows (TCP, UDP, DCCP, SCTP, MPTCP,
 * raw), so XTCP's (IP protocol 253, served by xtcp_diag.ko) need a
 * program that asks for them: this one speaks NETLINK_SOCK_DIAG itself.
 *
 *   xtcp-ss [-nilaoK] [-p PROTO] [-s STATE]... [--sport N] [--dport N]
 *           [state STATE]... [sport = :N] [dport = :N]
 *
 * Default: connections (not listeners, SYN-queue or TIME_WAIT entries),
 * as ss.  -l listeners only, -a everything, -s/state one state (several
 * add up; "all", "connected" too), -i TCP_INFO's figures as ss -i,
 * -o the timer, -K end what matched (SOCK_DESTROY, as ss -K; needs
 * CAP_NET_ADMIN) and show what ended.  -n is accepted and always on.
 * Ports filter through inet_diag's bytecode, as ss's do.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/xtcp.h>

/* The kernel's TCP_* state numbers, as sock_diag reports them. */
enum {
	ST_ESTABLISHED = 1, ST_SYN_SENT, ST_SYN_RECV, ST_FIN_WAIT1,
	ST_FIN_WAIT2, ST_TIME_WAIT, ST_CLOSE, ST_CLOSE_WAIT, ST_LAST_ACK,
	ST_LISTEN, ST_CLOSING, ST_MAX
};

/* ss's names: what -s takes (lower case) and what the State column shows. */
static const struct {
	const char *arg, *col;
} states[ST_MAX] = {
	[ST_ESTABLISHED]	= { "established", "ESTAB" },
	[ST_SYN_SENT]		= { "syn-sent", "SYN-SENT" },
	[ST_SYN_RECV]		= { "syn-recv", "SYN-RECV" },
	[ST_FIN_WAIT1]		= { "fin-wait-1", "FIN-WAIT-1" },
	[ST_FIN_WAIT2]		= { "fin-wait-2", "FIN-WAIT-2" },
	[ST_TIME_WAIT]		= { "time-wait", "TIME-WAIT" },
	[ST_CLOSE]		= { "closed", "UNCONN" },
	[ST_CLOSE_WAIT]		= { "close-wait", "CLOSE-WAIT" },
	[ST_LAST_ACK]		= { "last-ack", "LAST-ACK" },
	[ST_LISTEN]		= { "listening", "LISTEN" },
	[ST_CLOSING]		= { "closing", "CLOSING" },
};

#define ALL_STATES	(((1u << ST_MAX) - 1) & ~1u)
/* ss's default: connections, without SYN-queue and TIME_WAIT entries. */
#define CONN_STATES	(ALL_STATES & ~((1u << ST_LISTEN) | (1u << ST_CLOSE) | \
					(1u << ST_TIME_WAIT) | (1u << ST_SYN_RECV)))

struct opts {
	unsigned int states;	/* 0: not chosen yet */
	int proto;
	int info, timers, kill;
	int sport, dport;	/* -1: any */
};

static void usage(void)
{
	fprintf(stderr,
		"usage: xtcp-ss [-nilaoK] [-p PROTO] [-s STATE]... [--sport N] [--dport N]\n"
		"               [state STATE]... [sport = :N] [dport = :N]\n"
		"STATE: established syn-sent syn-recv fin-wait-1 fin-wait-2 time-wait\n"
		"       closed close-wait last-ack listening closing, or all, connected\n");
	exit(2);
}

static unsigned int state_bits(const char *name)
{
	int i;

	if (!strcmp(name, "all"))
		return ALL_STATES;
	if (!strcmp(name, "connected"))
		return ALL_STATES & ~((1u << ST_LISTEN) | (1u << ST_CLOSE));
	for (i = 1; i < ST_MAX; i++)
		if (!strcmp(name, states[i].arg))
			return 1u << i;
	if (!strcmp(name, "listen"))
		return 1u << ST_LISTEN;
	fprintf(stderr, "xtcp-ss: unknown state \"%s\"\n", name);
	usage();
	return 0;
}

/* "N", ":N" */
static int parse_port(const char *s)
{
	char *end;
	long v;

	if (*s == ':')
		s++;
	v = strtol(s, &end, 10);
	if (!*s || *end || v < 0 || v > 65535) {
		fprintf(stderr, "xtcp-ss: bad port \"%s\"\n", s);
		usage();
	}
	return v;
}

/* The IP protocol xtcp.ko serves, as loaded, else its default. */
static int default_proto(void)
{
	FILE *f = fopen("/sys/module/xtcp/parameters/ipproto", "re");
	int p = IPPROTO_XTCP;

	if (f) {
		if (fscanf(f, "%d", &p) != 1)
			p = IPPROTO_XTCP;
		fclose(f);
	}
	return p;
}

/* ss-style words after the options: state X, sport = :N, dport = :N. */
static void parse_words(struct opts *o, int argc, char **argv)
{
	int i = 0;

	while (i < argc) {
		const char *w = argv[i++];
		int *port = !strcmp(w, "sport") ? &o->sport :
			    !strcmp(w, "dport") ? &o->dport : NULL;

		if (!strcmp(w, "state") && i < argc) {
			o->states |= state_bits(argv[i++]);
		} else if (port && i < argc) {
			if (!strcmp(argv[i], "=") || !strcmp(argv[i], "=="))
				i++;
			if (i == argc)
				usage();
			*port = parse_port(argv[i++]);
		} else {
			usage();
		}
	}
}

static void parse_args(struct opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "sport", required_argument, NULL, 'S' },
		{ "dport", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c, listen = 0, all = 0;

	*o = (struct opts){ .proto = default_proto(), .sport = -1, .dport = -1 };
	while ((c = getopt_long(argc, argv, "nilaoKp:s:", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': break;
		case 'i': o->info = 1; break;
		case 'l': listen = 1; break;
		case 'a': all = 1; break;
		case 'o': o->timers = 1; break;
		case 'K': o->kill = 1; break;
		case 'p': o->proto = atoi(optarg); break;
		case 's': o->states |= state_bits(optarg); break;
		case 'S': o->sport = parse_port(optarg); break;
		case 'D': o->dport = parse_port(optarg); break;
		default: usage();
		}
	}
	parse_words(o, argc - optind, argv + optind);
	if (all)
		o->states = ALL_STATES;
	else if (listen)
		o->states |= 1u << ST_LISTEN;
	else if (!o->states)
		o->states = CONN_STATES;
}

/* ---- inet_diag's bytecode: ss's encoding of "sport = :N and dport = :N" ---- */

struct bytecode {
	struct inet_diag_bc_op op[4];
	int len;		/* bytes */
};

static void bc_port(struct bytecode *bc, int code, int port)
{
	int i = bc->len / sizeof(bc->op[0]);

	/* yes: the next test; no: past the end, which rejects (patched
	 * below when another test follows).
	 */
	bc->op[i] = (struct inet_diag_bc_op){ code, 8, 12 };
	bc->op[i + 1] = (struct inet_diag_bc_op){ 0, 0, port };
	bc->len += 8;
}

static void bc_build(struct bytecode *bc, const struct opts *o)
{
	bc->len = 0;
	if (o->sport >= 0)
		bc_port(bc, INET_DIAG_BC_S_EQ, o->sport);
	if (o->dport >= 0) {
		if (bc->len)
			bc->op[0].no += 8;	/* skip the dport test too */
		bc_port(bc, INET_DIAG_BC_D_EQ, o->dport);
	}
}

/* ---- netlink ---- */

struct diag_req {
	struct nlmsghdr nlh;
	struct inet_diag_req_v2 r;
	struct rtattr rta;
	struct bytecode bc;
};

static int send_req(int fd, const struct opts *o, const struct bytecode *bc)
{
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	struct diag_req req = {
		.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY,
		.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		.nlh.nlmsg_seq = 1,
		.r.sdiag_family = AF_INET,
		.r.sdiag_protocol = o->proto,
		.r.idiag_states = o->states,
		.r.id.idiag_cookie = { INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE },
	};
	size_t len = NLMSG_LENGTH(sizeof(req.r));

	if (o->info)
		req.r.idiag_ext = (1 << (INET_DIAG_INFO - 1)) |
				  (1 << (INET_DIAG_CONG - 1));
	if (bc->len) {
		req.rta.rta_type = INET_DIAG_REQ_BYTECODE;
		req.rta.rta_len = RTA_LENGTH(bc->len);
		memcpy(&req.bc, bc, bc->len);
		len += RTA_SPACE(bc->len);
	}
	req.nlh.nlmsg_len = len;
	return sendto(fd, &req, len, 0, (struct sockaddr *)&nl, sizeof(nl));
}

/* One entry of the dump, kept until everything arrived. */
struct entry {
	struct inet_diag_msg m;
	struct tcp_info info;
	int has_info;
	char cong[16];
};

struct entries {
	struct entry *e;
	size_t n, cap;
};

static void take_attrs(struct entry *e, const struct nlmsghdr *nlh)
{
	int len = nlh->nlmsg_len - NLMSG_LENGTH(sizeof(e->m));
	struct rtattr *a = (struct rtattr *)((char *)NLMSG_DATA(nlh) +
					     NLMSG_ALIGN(sizeof(e->m)));
	size_t n;

	for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		n = RTA_PAYLOAD(a);
		if (a->rta_type == INET_DIAG_INFO) {
			memcpy(&e->info, RTA_DATA(a),
			       n < sizeof(e->info) ? n : sizeof(e->info));
			e->has_info = 1;
		} else if (a->rta_type == INET_DIAG_CONG) {
			snprintf(e->cong, sizeof(e->cong), "%.*s", (int)n,
				 (char *)RTA_DATA(a));
		}
	}
}

static int take_msg(struct entries *es, const struct nlmsghdr *nlh)
{
	struct entry *e;

	if (es->n == es->cap) {
		es->cap = es->cap ? 2 * es->cap : 64;
		es->e = realloc(es->e, es->cap * sizeof(*es->e));
		if (!es->e)
			return -ENOMEM;
	}
	e = memset(&es->e[es->n++], 0, sizeof(*e));
	memcpy(&e->m, NLMSG_DATA(nlh), sizeof(e->m));
	take_attrs(e, nlh);
	return 0;
}

/* Reads the dump to its end: 0, or -errno from the kernel's answer. */
static int read_dump(int fd, struct entries *es)
{
	static char buf[65536];
	struct nlmsghdr *nlh;
	ssize_t n;
	int len;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		len = n;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			/* A dump that failed says why in its DONE. */
			if (nlh->nlmsg_type == NLMSG_DONE)
				return nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int)) ?
				       *(int *)NLMSG_DATA(nlh) : 0;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *err = NLMSG_DATA(nlh);

				return err->error;
			}
			if (nlh->nlmsg_type == SOCK_DIAG_BY_FAMILY &&
			    take_msg(es, nlh))
				return -ENOMEM;
		}
	}
}

/* SOCK_DESTROY for one entry, as ss -K: 0 or -errno from the ACK. */
static int destroy(int fd, const struct opts *o, const struct inet_diag_msg *m)
{
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req = {
		.nlh.nlmsg_len = sizeof(req),
		.nlh.nlmsg_type = SOCK_DESTROY,
		.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
		.nlh.nlmsg_seq = 2,
		.r.sdiag_family = AF_INET,
		.r.sdiag_protocol = o->proto,
		.r.idiag_states = ALL_STATES,
		.r.id = m->id,
	};
	char buf[1024];
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	ssize_t n;

	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&nl,
		   sizeof(nl)) < 0)
		return -errno;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0)
		return -errno;
	if (!NLMSG_OK(nlh, n) || nlh->nlmsg_type != NLMSG_ERROR)
		return -EPROTO;
	return ((struct nlmsgerr *)NLMSG_DATA(nlh))->error;
}

/* ---- output, in ss -tn's layout ---- */

static void addr_port(char *out, size_t len, __be32 addr, __be16 port,
		      int peer)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &addr, a, sizeof(a));
	if (peer && !port)
		snprintf(out, len, "%s:*", a);
	else
		snprintf(out, len, "%s:%u", a, ntohs(port));
}

static void print_header(void)
{
	printf("%-11s%-7s%-7s%-24s%-24s\n", "State", "Recv-Q", "Send-Q",
	       "Local Address:Port", "Peer Address:Port");
}

static const char *const timer_names[] = {
	"off", "on", "keepalive", "timewait", "persist", "unknown"
};

static void print_timer(const struct inet_diag_msg *m)
{
	int t = m->idiag_timer > 4 ? 5 : m->idiag_timer;

	if (!t)
		return;
	printf(" timer:(%s,%ums,%u)", timer_names[t], m->idiag_expires,
	       m->idiag_retrans);
}

/* Bits per second as ss prints rates: 123.4Mbps. */
static void print_rate(const char *name, double bps)
{
	if (bps >= 1e9)
		printf(" %s %.1fGbps", name, bps / 1e9);
	else if (bps >= 1e6)
		printf(" %s %.1fMbps", name, bps / 1e6);
	else if (bps >= 1e3)
		printf(" %s %.1fKbps", name, bps / 1e3);
	else
		printf(" %s %.0fbps", name, bps);
}

/* The second line of ss -i: the fields ss prints, in its order and form. */
static void print_info(const struct entry *e)
{
	const struct tcp_info *i = &e->info;

	printf("\t");
	if (e->cong[0])
		printf(" %s", e->cong);
	if (i->tcpi_options & TCPI_OPT_WSCALE)
		printf(" wscale:%u,%u", i->tcpi_snd_wscale, i->tcpi_rcv_wscale);
	if (i->tcpi_rto && i->tcpi_rto != 3000000)
		printf(" rto:%g", i->tcpi_rto / 1000.0);
	if (i->tcpi_rtt)
		printf(" rtt:%g/%g", i->tcpi_rtt / 1000.0,
		       i->tcpi_rttvar / 1000.0);
	if (i->tcpi_ato)
		printf(" ato:%g", i->tcpi_ato / 1000.0);
	if (i->tcpi_snd_mss)
		printf(" mss:%u", i->tcpi_snd_mss);
	if (i->tcpi_pmtu)
		printf(" pmtu:%u", i->tcpi_pmtu);
	if (i->tcpi_rcv_mss)
		printf(" rcvmss:%u", i->tcpi_rcv_mss);
	if (i->tcpi_advmss)
		printf(" advmss:%u", i->tcpi_advmss);
	printf(" cwnd:%u", i->tcpi_snd_cwnd);
	if (i->tcpi_snd_ssthresh && i->tcpi_snd_ssthresh < 0xFFFF)
		printf(" ssthresh:%u", i->tcpi_snd_ssthresh);
	if (i->tcpi_bytes_sent)
		printf(" bytes_sent:%llu", (unsigned long long)i->tcpi_bytes_sent);
	if (i->tcpi_bytes_retrans)
		printf(" bytes_retrans:%llu",
		       (unsigned long long)i->tcpi_bytes_retrans);
	if (i->tcpi_bytes_acked)
		printf(" bytes_acked:%llu", (unsigned long long)i->tcpi_bytes_acked);
	if (i->tcpi_bytes_received)
		printf(" bytes_received:%llu",
		       (unsigned long long)i->tcpi_bytes_received);
	if (i->tcpi_segs_out)
		printf(" segs_out:%u", i->tcpi_segs_out);
	if (i->tcpi_segs_in)
		printf(" segs_in:%u", i->tcpi_segs_in);
	if (i->tcpi_data_segs_out)
		printf(" data_segs_out:%u", i->tcpi_data_segs_out);
	if (i->tcpi_data_segs_in)
		printf(" data_segs_in:%u", i->tcpi_data_segs_in);
	if (i->tcpi_rtt)
		print_rate("send", 8.0 * i->tcpi_snd_cwnd * i->tcpi_snd_mss *
			   1e6 / i->tcpi_rtt);
	if (i->tcpi_last_data_sent)
		printf(" lastsnd:%u", i->tcpi_last_data_sent);
	if (i->tcpi_last_data_recv)
		printf(" lastrcv:%u", i->tcpi_last_data_recv);
	if (i->tcpi_last_ack_recv)
		printf(" lastack:%u", i->tcpi_last_ack_recv);
	if (i->tcpi_delivery_rate)
		print_rate("delivery_rate", 8.0 * i->tcpi_delivery_rate);
	if (i->tcpi_delivered)
		printf(" delivered:%u", i->tcpi_delivered);
	if (i->tcpi_busy_time)
		printf(" busy:%llums",
		       (unsigned long long)i->tcpi_busy_time / 1000);
	if (i->tcpi_unacked)
		printf(" unacked:%u", i->tcpi_unacked);
	if (i->tcpi_retrans || i->tcpi_total_retrans)
		printf(" retrans:%u/%u", i->tcpi_retrans, i->tcpi_total_retrans);
	if (i->tcpi_lost)
		printf(" lost:%u", i->tcpi_lost);
	if (i->tcpi_sacked && i->tcpi_state != ST_LISTEN)
		printf(" sacked:%u", i->tcpi_sacked);
	if (i->tcpi_min_rtt && i->tcpi_min_rtt != ~0U)
		printf(" minrtt:%g", i->tcpi_min_rtt / 1000.0);
	if (i->tcpi_snd_wnd)
		printf(" snd_wnd:%u", i->tcpi_snd_wnd);
	printf("\n");
}

static void print_entry(const struct opts *o, const struct entry *e)
{
	const struct inet_diag_msg *m = &e->m;
	char local[64], peer[64];
	const char *st = m->idiag_state < ST_MAX && states[m->idiag_state].col ?
			 states[m->idiag_state].col : "UNKNOWN";

	addr_port(local, sizeof(local), m->id.idiag_src[0], m->id.idiag_sport, 0);
	addr_port(peer, sizeof(peer), m->id.idiag_dst[0], m->id.idiag_dport, 1);
	printf("%-11s%-7u%-7u%-24s%-24s", st, m->idiag_rqueue,
	       m->idiag_wqueue, local, peer);
	if (o->timers)
		print_timer(m);
	printf("\n");
	if (o->info && e->has_info)
		print_info(e);
}

static int diag_socket(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);

	if (fd < 0)
		perror("xtcp-ss: socket(AF_NETLINK, NETLINK_SOCK_DIAG)");
	return fd;
}

/* -K: each entry the dump gave is ended; those that ended are shown. */
static int kill_entries(int fd, const struct opts *o, const struct entries *es)
{
	size_t i;
	int err, status = 0;

	for (i = 0; i < es->n; i++) {
		err = destroy(fd, o, &es->e[i].m);
		if (!err) {
			print_entry(o, &es->e[i]);
		} else if (err != -ENOENT && err != -EOPNOTSUPP) {
			fprintf(stderr, "xtcp-ss: SOCK_DESTROY: %s\n",
				strerror(-err));
			status = 1;
		}
	}
	return status;
}

int main(int argc, char **argv)
{
	struct entries es = {};
	struct bytecode bc;
	struct opts o;
	int fd, err, status = 0;
	size_t i;

	parse_args(&o, argc, argv);
	bc_build(&bc, &o);
	fd = diag_socket();
	if (fd < 0)
		return 1;
	if (send_req(fd, &o, &bc) < 0) {
		perror("xtcp-ss: sendto");
		return 1;
	}
	err = read_dump(fd, &es);
	if (err) {
		fprintf(stderr, "xtcp-ss: sock_diag: %s%s\n", strerror(-err),
			err == -ENOENT ?
			" (nothing serves the protocol: load xtcp_diag.ko)" : "");
		return 1;
	}
	print_header();
	if (o.kill)
		status = kill_entries(fd, &o, &es);
	else
		for (i = 0; i < es.n; i++)
			print_entry(&o, &es.e[i]);
	free(es.e);
	close(fd);
	return status;
}
