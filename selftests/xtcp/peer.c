// SPDX-License-Identifier: GPL-2.0
/*
 * The selftests' scripted XTCP peer: a TUN device in a private network
 * namespace, and segments built and parsed by hand.  See peer.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <sys/uio.h>

#include "peer.h"

#define IP_HLEN		20
#define IP_DF		0x4000
#define IP_MF		0x2000
#define IP_OFFMASK	0x1fff
#define XPEER_LOCAL	0x0a000001	/* 10.0.0.1 */
#define XPEER_REMOTE	0x0a000002	/* 10.0.0.2 */
#define XPEER_PREFIX	0xffffff00	/* /24 */

uint64_t xpeer_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ---- Checksums ---- */

static uint64_t csum_add(uint64_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

uint16_t xseg_csum_proto(uint32_t saddr, uint32_t daddr, int proto,
			 const void *seg, size_t len)
{
	uint64_t sum = 0;

	sum += (ntohl(saddr) >> 16) + (ntohl(saddr) & 0xffff);
	sum += (ntohl(daddr) >> 16) + (ntohl(daddr) & 0xffff);
	sum += proto + len;
	return csum_fold(csum_add(sum, seg, len));
}

uint16_t xseg_csum(uint32_t saddr, uint32_t daddr, const void *seg,
		   size_t len)
{
	return xseg_csum_proto(saddr, daddr, IPPROTO_XTCP, seg, len);
}

uint16_t xip_csum(const void *hdr, size_t len)
{
	return csum_fold(csum_add(0, hdr, len));
}

/* ---- Setup: namespace, loopback, TUN ---- */

/* ioctl on an interface by name through an AF_INET datagram socket. */
static int if_ioctl(unsigned long req, struct ifreq *ifr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, req, ifr))
		ret = -errno;
	close(fd);
	return ret;
}

static int if_up(const char *name)
{
	struct ifreq ifr = { 0 };
	int ret;

	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	ret = if_ioctl(SIOCGIFFLAGS, &ifr);
	if (ret)
		return ret;
	ifr.ifr_flags |= IFF_UP;
	return if_ioctl(SIOCSIFFLAGS, &ifr);
}

static int if_set_in(const char *name, unsigned long req, uint32_t addr)
{
	struct ifreq ifr = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;

	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(addr);
	return if_ioctl(req, &ifr);
}

int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t len = strlen(text), n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	if (n != len) {
		n = n < 0 ? -errno : -EIO;
		close(fd);
		return n;
	}
	close(fd);
	return 0;
}

/* "modprobe -q tun", for a guest whose TUN driver is not loaded yet. */
static void modprobe_tun(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		execlp("modprobe", "modprobe", "-q", "tun", (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
}

/*
 * Opens /dev/net/tun, making the node when /dev lacks it (a bare devtmpfs
 * has it only once the driver is loaded; opening the node loads it).
 */
static int tun_open(void)
{
	const int flags = O_RDWR | O_CLOEXEC | O_NONBLOCK;
	int fd = open("/dev/net/tun", flags);

	if (fd < 0 && errno == ENOENT) {
		mkdir("/dev/net", 0755);
		if (mknod("/dev/net/tun", S_IFCHR | 0666, makedev(10, 200)) &&
		    errno != EEXIST)
			return -errno;
		fd = open("/dev/net/tun", flags);
	}
	if (fd < 0 && (errno == ENODEV || errno == ENXIO)) {
		modprobe_tun();
		fd = open("/dev/net/tun", flags);
	}
	return fd < 0 ? -errno : fd;
}

static int tun_create(struct xpeer *p)
{
	struct ifreq ifr = { 0 };
	int fd = tun_open();

	if (fd < 0)
		return fd;
	strncpy(ifr.ifr_name, XPEER_IFNAME, IFNAMSIZ - 1);
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	p->tun = fd;
	p->ifindex = if_nametoindex(XPEER_IFNAME);
	return p->ifindex ? 0 : -errno;
}

static int tun_configure(void)
{
	const char *v6 = "/proc/sys/net/ipv6/conf/" XPEER_IFNAME
			 "/disable_ipv6";
	int ret;

	ret = write_file(v6, "1\n");
	if (ret && ret != -ENOENT)
		return ret;
	ret = if_set_in(XPEER_IFNAME, SIOCSIFADDR, XPEER_LOCAL);
	if (!ret)
		ret = if_set_in(XPEER_IFNAME, SIOCSIFNETMASK, XPEER_PREFIX);
	if (!ret)
		ret = if_up(XPEER_IFNAME);
	return ret;
}

int xpeer_setup(struct xpeer *p)
{
	int ret;

	memset(p, 0, sizeof(*p));
	p->tun = -1;
	p->proto = IPPROTO_XTCP;
	p->ip_id = getpid() ^ xpeer_now_ns();
	if (unshare(CLONE_NEWNET))
		return -errno;
	ret = if_up("lo");
	if (!ret)
		ret = tun_create(p);
	if (!ret)
		ret = tun_configure();
	if (ret)
		xpeer_teardown(p);
	return ret;
}

static int packet_socket(int type, int proto, int ifindex)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = proto,
		.sll_ifindex = ifindex,
	};
	int fd = socket(AF_PACKET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, proto);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	return fd;
}

int xpeer_attach_veth(struct xpeer *p, const char *ifname,
		      const uint8_t dst_mac[6])
{
	int one = 1, fd, ret;
	struct ifreq ifr = { 0 };

	memset(p, 0, sizeof(*p));
	p->tun = -1;
	p->txfd = -1;
	p->proto = IPPROTO_XTCP;
	p->ip_id = getpid() ^ xpeer_now_ns();
	p->ifindex = if_nametoindex(ifname);
	if (!p->ifindex)
		return -errno;
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	ret = if_ioctl(SIOCGIFHWADDR, &ifr);
	if (ret)
		return ret;
	memcpy(p->eth, dst_mac, 6);
	memcpy(p->eth + 6, ifr.ifr_hwaddr.sa_data, 6);
	put16(p->eth + 12, ETH_P_IP);
	p->eth_len = sizeof(p->eth);

	/* Reads IP packets only, and not its own. */
	fd = packet_socket(SOCK_DGRAM, htons(ETH_P_IP), p->ifindex);
	if (fd < 0)
		return fd;
	p->tun = fd;
	if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
		       sizeof(one)))
		goto err;
	/* Protocol 0: it writes, and reads nothing. */
	fd = packet_socket(SOCK_RAW, 0, p->ifindex);
	if (fd < 0) {
		ret = fd;
		xpeer_teardown(p);
		return ret;
	}
	p->txfd = fd;
	return 0;
err:
	ret = -errno;
	xpeer_teardown(p);
	return ret;
}

void xpeer_teardown(struct xpeer *p)
{
	if (p->tun >= 0)
		close(p->tun);
	p->tun = -1;
	if (p->eth_len && p->txfd >= 0)
		close(p->txfd);
	p->txfd = -1;
}

/* One IP packet out: through the TUN device, or behind the Ethernet
 * header on the veth.  The bytes of the IP packet written, or -1.
 */
static ssize_t xpeer_write(struct xpeer *p, const void *pkt, size_t len)
{
	struct iovec iov[2] = {
		{ .iov_base = p->eth, .iov_len = p->eth_len },
		{ .iov_base = (void *)pkt, .iov_len = len },
	};
	ssize_t n;

	if (!p->eth_len)
		return write(p->tun, pkt, len);
	n = writev(p->txfd, iov, 2);
	return n < 0 ? n : n - p->eth_len;
}

int xpeer_set_mtu(struct xpeer *p, int mtu)
{
	struct ifreq ifr = { 0 };

	strncpy(ifr.ifr_name, XPEER_IFNAME, IFNAMSIZ - 1);
	ifr.ifr_mtu = mtu;
	return if_ioctl(SIOCSIFMTU, &ifr);
}

/* ---- Sending ---- */

static int put_ts(uint8_t *o, const struct xseg *s)
{
	o[0] = XTCPOPT_TIMESTAMP;
	o[1] = XTCPOLEN_TIMESTAMP;
	put32(o + 2, s->tsval);
	put32(o + 6, s->tsecr);
	return XTCPOLEN_TIMESTAMP;
}

static int put_sack(uint8_t *o, const struct xseg *s)
{
	int i, n = 0;

	o[n++] = XTCPOPT_NOP;
	o[n++] = XTCPOPT_NOP;
	o[n++] = XTCPOPT_SACK;
	o[n++] = 2 + 8 * s->nsack;
	for (i = 0; i < s->nsack; i++, n += 8) {
		put32(o + n, s->sack[i].left);
		put32(o + n + 4, s->sack[i].right);
	}
	return n;
}

/*
 * The options in Linux's order and alignment (tcp_options_write()): MSS;
 * SACK-permitted with timestamps, or either one behind two NOPs; NOP and
 * window scale; two NOPs and SACK blocks.  Returns the length, a multiple
 * of 4, or -EINVAL when they don't fit in 40 bytes.
 */
static int build_opts(const struct xseg *s, uint8_t *o)
{
	uint8_t tmp[80] = { 0 };
	int n = 0;

	if (s->raw_opts_len > 0) {
		if (s->raw_opts_len > 40)
			return -EINVAL;
		memcpy(tmp, s->raw_opts, s->raw_opts_len);
		n = (s->raw_opts_len + 3) & ~3;
		memcpy(o, tmp, n);
		return n;
	}
	if (s->nsack < 0 || s->nsack > XSEG_MAX_SACK)
		return -EINVAL;
	if (s->has_mss) {
		tmp[n++] = XTCPOPT_MSS;
		tmp[n++] = XTCPOLEN_MSS;
		put16(tmp + n, s->mss);
		n += 2;
	}
	if (s->has_sackperm && s->has_ts) {
		tmp[n++] = XTCPOPT_SACK_PERM;
		tmp[n++] = XTCPOLEN_SACK_PERM;
		n += put_ts(tmp + n, s);
	} else if (s->has_ts) {
		tmp[n++] = XTCPOPT_NOP;
		tmp[n++] = XTCPOPT_NOP;
		n += put_ts(tmp + n, s);
	} else if (s->has_sackperm) {
		tmp[n++] = XTCPOPT_NOP;
		tmp[n++] = XTCPOPT_NOP;
		tmp[n++] = XTCPOPT_SACK_PERM;
		tmp[n++] = XTCPOLEN_SACK_PERM;
	}
	if (s->has_wscale) {
		tmp[n++] = XTCPOPT_NOP;
		tmp[n++] = XTCPOPT_WINDOW;
		tmp[n++] = XTCPOLEN_WINDOW;
		tmp[n++] = s->wscale;
	}
	if (s->nsack)
		n += put_sack(tmp + n, s);
	if (n > 40)
		return -EINVAL;
	memcpy(o, tmp, n);
	return n;
}

/* The bytes s's IP options take after the IP header, or -EINVAL. */
static int ip_opts_room(const struct xseg *s)
{
	if (s->ip_opts_len < 0 || s->ip_opts_len > 40)
		return -EINVAL;
	return (s->ip_opts_len + 3) & ~3;
}

/* Writes the IP header with s's options (ip_opts_room() checked them):
 * the payload starts IP_HLEN + ip_opts_room(s) bytes into ip.
 */
static void build_ip_proto(struct xpeer *p, const struct xseg *s, uint8_t *ip,
			   size_t total, int proto)
{
	uint32_t saddr = s->saddr ? s->saddr : htonl(XPEER_REMOTE);
	uint32_t daddr = s->daddr ? s->daddr : htonl(XPEER_LOCAL);
	int room = ip_opts_room(s);
	uint16_t check;

	memset(ip, 0, IP_HLEN + room);
	memcpy(ip + IP_HLEN, s->ip_opts, s->ip_opts_len);
	ip[0] = 0x40 | (IP_HLEN + room) / 4;
	ip[1] = s->tos;
	put16(ip + 2, total);
	put16(ip + 4, p->ip_id++);
	put16(ip + 6, IP_DF);
	ip[8] = s->ttl ? s->ttl : 64;
	ip[9] = proto;
	memcpy(ip + 12, &saddr, 4);
	memcpy(ip + 16, &daddr, 4);
	check = csum_fold(csum_add(0, ip, IP_HLEN + room));
	memcpy(ip + 10, &check, 2);
}

static void build_ip(struct xpeer *p, const struct xseg *s, uint8_t *ip,
		     size_t total)
{
	build_ip_proto(p, s, ip, total, p->proto);
}

static void build_hdr(const struct xseg *s, uint8_t *th, int optlen)
{
	int doff = s->doff_override ? s->doff_override : 5 + optlen / 4;

	memset(th, 0, XTCP_HDR_MIN_LEN);
	put16(th, s->sport);
	put16(th + 2, s->dport);
	put32(th + 4, s->seq);
	put32(th + 8, s->ack);
	th[12] = (doff & 0xf) << 4;
	th[13] = s->flags;
	put16(th + 14, s->win);
	put16(th + 18, s->urg);
}

int xpeer_send(struct xpeer *p, const struct xseg *s)
{
	int iphlen = IP_HLEN + ip_opts_room(s);
	uint8_t *ip = p->txbuf, *th = ip + iphlen;
	size_t hlen, seglen;
	uint16_t check;
	uint32_t saddr, daddr;
	int optlen;
	ssize_t n;

	if (iphlen < IP_HLEN)
		return -EINVAL;
	optlen = build_opts(s, th + XTCP_HDR_MIN_LEN);
	if (optlen < 0)
		return optlen;
	hlen = XTCP_HDR_MIN_LEN + optlen;
	if (s->len > sizeof(p->txbuf) - iphlen - hlen ||
	    (s->len && !s->data))
		return -EINVAL;
	seglen = hlen + s->len;
	build_hdr(s, th, optlen);
	if (s->len)
		memcpy(th + hlen, s->data, s->len);
	build_ip(p, s, ip, iphlen + seglen);

	memcpy(&saddr, ip + 12, 4);
	memcpy(&daddr, ip + 16, 4);
	check = xseg_csum_proto(saddr, daddr, p->proto, th, seglen);
	if (s->bad_csum)
		check ^= htons(1);
	memcpy(th + 16, &check, 2);

	n = xpeer_write(p, ip, iphlen + seglen);
	if (n < 0)
		return -errno;
	return n == (ssize_t)(iphlen + seglen) ? 0 : -EIO;
}

int xpeer_send_raw(struct xpeer *p, const void *seg, size_t len)
{
	const struct xseg addrs = { 0 };	/* the default addresses */
	ssize_t n;

	if (len > 0xffff - IP_HLEN || (len && !seg))
		return -EINVAL;
	if (len)
		memcpy(p->txbuf + IP_HLEN, seg, len);
	build_ip(p, &addrs, p->txbuf, IP_HLEN + len);
	n = xpeer_write(p, p->txbuf, IP_HLEN + len);
	if (n < 0)
		return -errno;
	return n == (ssize_t)(IP_HLEN + len) ? 0 : -EIO;
}

int xpeer_send_icmp(struct xpeer *p, uint8_t type, uint8_t code,
		    uint32_t info, const struct xseg *quoted)
{
	/* Outer IP header, ICMP header, quoted IP header, 8 bytes of ours. */
	const size_t total = IP_HLEN + 8 + IP_HLEN + 8;
	uint8_t *ip = p->txbuf, *icmp = ip + IP_HLEN, *q = icmp + 8;
	struct xseg outer = { .saddr = quoted->daddr, .daddr = quoted->saddr };
	struct xseg inner = *quoted;
	uint16_t check;
	ssize_t n;

	/* As the module sent it: its header's length is not needed here,
	 * nor its IP options (the quote is a bare IP header).
	 */
	inner.ttl = quoted->ttl ? quoted->ttl : 64;
	inner.ip_opts_len = 0;
	build_ip_proto(p, &inner, q, IP_HLEN + XTCP_HDR_MIN_LEN + quoted->len,
		       p->proto);
	put16(q + IP_HLEN, quoted->sport);
	put16(q + IP_HLEN + 2, quoted->dport);
	put32(q + IP_HLEN + 4, quoted->seq);

	memset(icmp, 0, 8);
	icmp[0] = type;
	icmp[1] = code;
	put32(icmp + 4, info);	/* Fragmentation Needed: the next-hop MTU */
	check = csum_fold(csum_add(0, icmp, total - IP_HLEN));
	memcpy(icmp + 2, &check, 2);
	build_ip_proto(p, &outer, ip, total, IPPROTO_ICMP);

	n = xpeer_write(p, ip, total);
	if (n < 0)
		return -errno;
	return n == (ssize_t)total ? 0 : -EIO;
}

/* ---- Receiving ---- */

#define seg_err(s, ...) \
	snprintf((s)->parse_err, sizeof((s)->parse_err), __VA_ARGS__)

/* One known option: 0, or -1 after reporting a wrong length. */
static int parse_opt(struct xseg *s, const uint8_t *o, int olen)
{
	int i;

	switch (o[0]) {
	case XTCPOPT_MSS:
		if (olen != XTCPOLEN_MSS)
			break;
		s->has_mss = 1;
		s->mss = get16(o + 2);
		return 0;
	case XTCPOPT_WINDOW:
		if (olen != XTCPOLEN_WINDOW)
			break;
		s->has_wscale = 1;
		s->wscale = o[2];
		return 0;
	case XTCPOPT_SACK_PERM:
		if (olen != XTCPOLEN_SACK_PERM)
			break;
		s->has_sackperm = 1;
		return 0;
	case XTCPOPT_TIMESTAMP:
		if (olen != XTCPOLEN_TIMESTAMP)
			break;
		s->has_ts = 1;
		s->tsval = get32(o + 2);
		s->tsecr = get32(o + 6);
		return 0;
	case XTCPOPT_SACK:
		if (olen < 10 || (olen - 2) % 8)
			break;
		s->nsack = (olen - 2) / 8;
		for (i = 0; i < s->nsack && i < XSEG_MAX_SACK; i++) {
			s->sack[i].left = get32(o + 2 + 8 * i);
			s->sack[i].right = get32(o + 6 + 8 * i);
		}
		return 0;
	default:
		return 0;	/* unknown kinds are skipped, as TCP does */
	}
	seg_err(s, "option %u with length %d", o[0], olen);
	return -1;
}

/* The option list, bounds-checked: a bad one sets parse_err and stops. */
static void parse_opts(struct xseg *s, const uint8_t *o, int len)
{
	int i = 0, olen;

	memcpy(s->raw_opts, o, len);
	s->raw_opts_len = len;
	while (i < len) {
		if (o[i] == XTCPOPT_EOL)
			return;
		if (o[i] == XTCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len) {
			seg_err(s, "option %u at byte %d has no length",
				o[i], i);
			return;
		}
		olen = o[i + 1];
		if (olen < 2 || i + olen > len) {
			seg_err(s, "option %u at byte %d: length %d of %d left",
				o[i], i, olen, len - i);
			return;
		}
		if (parse_opt(s, o + i, olen))
			return;
		i += olen;
	}
}

/*
 * The destination a segment's checksum covers: the IP destination, or,
 * while a source route has hops to go, the route's last address, the
 * final destination (RFC 791, RFC 9293 section 3.1).
 */
static uint32_t csum_daddr(const struct xseg *s)
{
	const uint8_t *o = s->ip_opts, *end = s->ip_opts + s->ip_opts_len;
	uint32_t daddr = s->daddr;

	while (o < end && *o != 0) {
		if (*o == 1) {		/* NOP */
			o++;
			continue;
		}
		if (end - o < 2 || o[1] < 2 || o[1] > end - o)
			break;
		if ((*o == 0x83 || *o == 0x89) && o[1] >= 7 && o[2] <= o[1])
			memcpy(&daddr, o + o[1] - 4, 4);
		o += o[1];
	}
	return daddr;
}

static void parse_seg(struct xseg *s, int proto, const uint8_t *th, size_t len)
{
	size_t hlen;

	s->csum_ok = xseg_csum_proto(s->saddr, csum_daddr(s), proto, th,
				     len) == 0;
	if (len < XTCP_HDR_MIN_LEN) {
		seg_err(s, "%zu bytes, shorter than a header", len);
		return;
	}
	s->sport = get16(th);
	s->dport = get16(th + 2);
	s->seq = get32(th + 4);
	s->ack = get32(th + 8);
	s->flags = th[13];
	s->win = get16(th + 14);
	s->urg = get16(th + 18);
	hlen = (th[12] >> 4) * 4;
	if (hlen < XTCP_HDR_MIN_LEN || hlen > len) {
		seg_err(s, "data offset %zu bytes in a %zu-byte segment",
			hlen, len);
		return;
	}
	parse_opts(s, th + XTCP_HDR_MIN_LEN, hlen - XTCP_HDR_MIN_LEN);
	s->data = th + hlen;
	s->len = len - hlen;
}

/* 1 when pkt is IPv4 carrying the peer's protocol (then *s describes
 * it), else 0.
 */
static int parse_packet(const uint8_t *pkt, size_t n, int proto,
			struct xseg *s)
{
	size_t ihl, total;

	if (n < IP_HLEN || pkt[0] >> 4 != 4 || pkt[9] != proto)
		return 0;
	memset(s, 0, sizeof(*s));
	s->ttl = pkt[8];
	s->tos = pkt[1];
	memcpy(&s->saddr, pkt + 12, 4);
	memcpy(&s->daddr, pkt + 16, 4);
	ihl = (pkt[0] & 0xf) * 4;
	total = get16(pkt + 2);
	if (ihl < IP_HLEN || total < ihl || total > n) {
		seg_err(s, "IP header %zu, total %zu in a %zu-byte packet",
			ihl, total, n);
		return 1;
	}
	s->ip_opts_len = ihl - IP_HLEN;
	memcpy(s->ip_opts, pkt + IP_HLEN, s->ip_opts_len);
	if (get16(pkt + 6) & (IP_MF | IP_OFFMASK)) {
		seg_err(s, "IP fragment (frag_off 0x%04x)", get16(pkt + 6));
		return 1;
	}
	parse_seg(s, proto, pkt + ihl, total - ihl);
	return 1;
}

/* 1 when fd is readable before the deadline (UINT64_MAX: none), else 0. */
static int wait_readable(int fd, uint64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t now = xpeer_now_ns();
	int ms, ret;

	if (deadline == UINT64_MAX)
		ms = -1;
	else if (now >= deadline)
		ms = 0;
	else
		ms = (deadline - now + 999999) / 1000000;
	ret = poll(&pfd, 1, ms);
	if (ret < 0)
		return errno == EINTR ? 1 : -errno;
	return ret > 0;
}

int xpeer_recv(struct xpeer *p, struct xseg *s, int timeout_ms)
{
	uint64_t deadline = UINT64_MAX, when;
	ssize_t n;
	int ret;

	if (timeout_ms >= 0)
		deadline = xpeer_now_ns() + timeout_ms * 1000000ull;
	for (;;) {
		ret = wait_readable(p->tun, deadline);
		if (ret <= 0)
			return ret;
		n = read(p->tun, p->buf, sizeof(p->buf));
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (n <= 0)
			continue;
		when = xpeer_now_ns();
		if (parse_packet(p->buf, n, p->proto, s)) {
			s->when_ns = when;
			return 1;
		}
		p->skipped++;
	}
}

int xpeer_expect_silence(struct xpeer *p, int ms)
{
	int ret = xpeer_recv(p, &p->last, ms);

	if (ret < 0)
		return ret;
	return !ret;
}

/* ---- Printing ---- */

const char *xseg_flags_str(uint8_t flags, char buf[16])
{
	static const char names[] = "FSRP.UEW";	/* tcpdump's order */
	int i, n = 0;

	for (i = 0; i < 8; i++)
		if (flags & (1 << i))
			buf[n++] = names[i];
	buf[n] = '\0';
	return n ? buf : strcpy(buf, "none");
}

/* Appends to buf at *off, never past size. */
static void __attribute__((format(printf, 4, 5)))
app(char *buf, size_t size, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, size - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off += n;
}

static void snprint_opts(char *b, size_t size, size_t *off,
			 const struct xseg *s)
{
	const char *sep = "";
	int i;

	if (!s->has_mss && !s->has_sackperm && !s->has_ts &&
	    !s->has_wscale && !s->nsack)
		return;
	app(b, size, off, ", options [");
	if (s->has_mss) {
		app(b, size, off, "mss %u", s->mss);
		sep = ",";
	}
	if (s->has_sackperm) {
		app(b, size, off, "%ssackOK", sep);
		sep = ",";
	}
	if (s->has_ts) {
		app(b, size, off, "%sTS val %u ecr %u", sep, s->tsval,
		    s->tsecr);
		sep = ",";
	}
	if (s->has_wscale) {
		app(b, size, off, "%swscale %u", sep, s->wscale);
		sep = ",";
	}
	if (s->nsack)
		app(b, size, off, "%ssack %d", sep, s->nsack);
	for (i = 0; i < s->nsack && i < XSEG_MAX_SACK; i++)
		app(b, size, off, " {%u:%u}", s->sack[i].left,
		    s->sack[i].right);
	app(b, size, off, "]");
}

static const char *addr_str(uint32_t addr, uint32_t dflt, char buf[16])
{
	struct in_addr in = { addr ? addr : htonl(dflt) };

	return inet_ntop(AF_INET, &in, buf, 16);
}

/*
 * "10.0.0.1.5000 > 10.0.0.2.4000: Flags [S.], seq 1, ack 2, win 3,
 * options [mss 1460,...], length 0" and, on a received segment, a note
 * when the checksum or the layout is wrong.  A segment to send has no
 * addresses yet: it is shown from the peer to the module.
 */
int xseg_snprint(char *buf, size_t size, const struct xseg *s)
{
	char src[16], dst[16], fl[16];
	size_t off = 0;

	if (size)
		buf[0] = '\0';
	app(buf, size, &off, "%s.%u > %s.%u: Flags [%s], seq %u, ack %u, win %u",
	    addr_str(s->saddr, XPEER_REMOTE, src), s->sport,
	    addr_str(s->daddr, XPEER_LOCAL, dst), s->dport,
	    xseg_flags_str(s->flags, fl), s->seq, s->ack, s->win);
	if (s->flags & XTCP_FLAG_URG)
		app(buf, size, &off, ", urg %u", s->urg);
	snprint_opts(buf, size, &off, s);
	app(buf, size, &off, ", length %zu", s->len);
	if (s->when_ns && !s->csum_ok)
		app(buf, size, &off, " [bad csum]");
	if (s->parse_err[0])
		app(buf, size, &off, " [malformed: %s]", s->parse_err);
	return off;
}

void xseg_print(const struct xseg *s, FILE *f)
{
	char line[512];

	xseg_snprint(line, sizeof(line), s);
	fprintf(f, "%s\n", line);
}

/* ---- Sysctls ---- */

static void sysctl_path(char *path, size_t size, const char *name)
{
	snprintf(path, size, "/proc/sys/net/xtcp/%s", name);
}

int write_knob(const char *path, long value)
{
	char text[32];

	snprintf(text, sizeof(text), "%ld\n", value);
	return write_file(path, text);
}

int xtcp_sysctl_set(const char *name, long value)
{
	char path[256];

	sysctl_path(path, sizeof(path), name);
	return write_knob(path, value);
}

long xtcp_sysctl_get(const char *name)
{
	char path[256], text[32];
	int fd, saved;
	ssize_t n;
	char *end;
	long v;

	sysctl_path(path, sizeof(path), name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return LONG_MIN;
	n = read(fd, text, sizeof(text) - 1);
	saved = errno;
	close(fd);
	if (n <= 0) {
		errno = n < 0 ? saved : EIO;
		return LONG_MIN;
	}
	text[n] = '\0';
	errno = 0;
	v = strtol(text, &end, 10);
	if (end == text || errno) {
		errno = errno ? errno : EINVAL;
		return LONG_MIN;
	}
	return v;
}
