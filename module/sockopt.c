// SPDX-License-Identifier: GPL-2.0
/*
 * TCP options beyond the first few (socket.c takes those): each with
 * Linux TCP's number, bounds, default and read-back, so that a program
 * written for TCP sets it on XTCP unchanged.
 */
#include <linux/tcp.h>

#include "xtcp.h"

#define XTCP_MAX_SYNCNT		127	/* MAX_TCP_SYNCNT */

/* The options this file serves (socket.c asks before copying a value). */
bool xtcp_sockopt_known(int optname)
{
	switch (optname) {
	case TCP_SYNCNT:
		return true;
	}
	return false;
}

/* Called locked; -ENOPROTOOPT for an option not ours. */
int xtcp_sockopt_set(struct sock *sk, int optname, int val)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	switch (optname) {
	case TCP_SYNCNT:
		/* SYN resends before connect() gives up (timer.c). */
		if (val < 1 || val > XTCP_MAX_SYNCNT)
			return -EINVAL;
		WRITE_ONCE(xs->syn_retries, val);
		return 0;
	}
	return -ENOPROTOOPT;
}

/* The value getsockopt() reads back, as Linux's; -ENOPROTOOPT if unknown. */
int xtcp_sockopt_get(struct sock *sk, int optname, int *val)
{
	const struct xtcp_sysctl *sc = xtcp_sysctl(sock_net(sk));
	struct xtcp_sock *xs = xtcp_sk(sk);

	switch (optname) {
	case TCP_SYNCNT:
		*val = READ_ONCE(xs->syn_retries) ?: READ_ONCE(sc->syn_retries);
		return 0;
	}
	return -ENOPROTOOPT;
}

/* A listener's child takes these over, as a clone of it does in Linux. */
void xtcp_sockopt_inherit(struct sock *child, const struct sock *parent)
{
	xtcp_sk(child)->syn_retries = READ_ONCE(xtcp_sk(parent)->syn_retries);
}
