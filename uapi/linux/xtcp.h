/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * XTCP: a TCP-shaped transport in its own protocol family.
 *
 * This is everything user space may rely on: the family and protocol
 * numbers, the socket-option level, and the wire format (capture tools and
 * the selftests' scripted peer build and parse segments with it).
 */
#ifndef _UAPI_LINUX_XTCP_H
#define _UAPI_LINUX_XTCP_H

#include <linux/types.h>
#include <asm/byteorder.h>

/*
 * Address family 22 was reserved for the Linux-SNA project (AF_SNA), which
 * never reached mainline: neither 6.1 nor 6.12 registers it, and no Debian
 * kernel module carries a "net-pf-22" alias.  The module parameter "family"
 * moves XTCP elsewhere when a system uses 22; it must stay below AF_MAX (46),
 * because socket(2) rejects larger numbers before asking any family.
 *
 * A socket made with socket(AF_XTCP, SOCK_STREAM, 0) speaks IPv4: bind() and
 * connect() take struct sockaddr_in with sin_family = AF_INET.  Inside the
 * kernel the socket is an inet socket, so getsockopt(SO_DOMAIN) reports
 * AF_INET and getsockopt(SO_PROTOCOL) reports IPPROTO_XTCP, as IPPROTO_MPTCP
 * sockets do; SO_REUSEPORT and the IP_* options work as for TCP.
 */
#define AF_XTCP		22
#define PF_XTCP		AF_XTCP

/*
 * IP protocol number carried in the IPv4 header.  253 is one of the two
 * values RFC 3692 sets aside for experiments; the module parameter
 * "ipproto" picks another (254, say) when 253 is already in use.
 */
#define IPPROTO_XTCP	253

/*
 * Socket-option level for XTCP's own options.  The options use TCP's names
 * and numbers (TCP_NODELAY, TCP_MAXSEG, ...), and XTCP accepts them at level
 * IPPROTO_TCP (6) too, so a TCP program needs only its family changed.  The
 * number sits well above the kernel's SOL_* values (287 in 6.12).
 */
#define SOL_XTCP	299

/* Wire format: a TCP-shaped header, RFC 9293 section 3.1. */
struct xtcphdr {
	__be16	source;
	__be16	dest;
	__be32	seq;
	__be32	ack_seq;
#if defined(__LITTLE_ENDIAN_BITFIELD)
	__u16	res1:4,
		doff:4,
		fin:1,
		syn:1,
		rst:1,
		psh:1,
		ack:1,
		urg:1,
		ece:1,
		cwr:1;
#elif defined(__BIG_ENDIAN_BITFIELD)
	__u16	doff:4,
		res1:4,
		cwr:1,
		ece:1,
		urg:1,
		ack:1,
		psh:1,
		rst:1,
		syn:1,
		fin:1;
#else
#error "Adjust your <asm/byteorder.h> defines"
#endif
	__be16	window;
	__sum16	check;
	__be16	urg_ptr;
};

/* The flags as one byte (byte 13 of the header), for building and matching. */
#define XTCP_FLAG_FIN	0x01
#define XTCP_FLAG_SYN	0x02
#define XTCP_FLAG_RST	0x04
#define XTCP_FLAG_PSH	0x08
#define XTCP_FLAG_ACK	0x10
#define XTCP_FLAG_URG	0x20

#define XTCP_HDR_MIN_LEN	20	/* doff = 5 */
#define XTCP_HDR_MAX_LEN	60	/* doff = 15 */

/* Option kinds, the same numbers TCP uses. */
#define XTCPOPT_EOL		0
#define XTCPOPT_NOP		1
#define XTCPOPT_MSS		2	/* len 4 */
#define XTCPOPT_WINDOW		3	/* len 3, RFC 7323 */
#define XTCPOPT_SACK_PERM	4	/* len 2, RFC 2018 */
#define XTCPOPT_SACK		5	/* len 2 + 8n */
#define XTCPOPT_TIMESTAMP	8	/* len 10, RFC 7323 */

#define XTCPOLEN_MSS		4
#define XTCPOLEN_WINDOW		3
#define XTCPOLEN_SACK_PERM	2
#define XTCPOLEN_TIMESTAMP	10

#endif /* _UAPI_LINUX_XTCP_H */
