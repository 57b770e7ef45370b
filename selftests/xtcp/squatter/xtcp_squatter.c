// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only module: occupies an address family and/or an IP protocol number
 * so that the selftests can check that xtcp.ko refuses to load cleanly when
 * its numbers are taken.  Never loaded outside the tests.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/net.h>
#include <net/protocol.h>

static int family;
module_param(family, int, 0444);
MODULE_PARM_DESC(family, "address family to occupy (0: none)");

static int ipproto;
module_param(ipproto, int, 0444);
MODULE_PARM_DESC(ipproto, "IP protocol number to occupy (0: none)");

static int squatter_create(struct net *net, struct socket *sock, int protocol,
			   int kern)
{
	return -EAFNOSUPPORT;
}

static struct net_proto_family squatter_family = {
	.create	= squatter_create,
	.owner	= THIS_MODULE,
};

static int squatter_rcv(struct sk_buff *skb)
{
	kfree_skb(skb);
	return 0;
}

static const struct net_protocol squatter_protocol = {
	.handler = squatter_rcv,
};

static int __init squatter_init(void)
{
	int err;

	if (ipproto && inet_add_protocol(&squatter_protocol, ipproto) < 0)
		return -EEXIST;
	if (family) {
		squatter_family.family = family;
		err = sock_register(&squatter_family);
		if (err) {
			if (ipproto)
				inet_del_protocol(&squatter_protocol, ipproto);
			return err;
		}
	}
	return 0;
}

static void __exit squatter_exit(void)
{
	if (family)
		sock_unregister(family);
	if (ipproto) {
		inet_del_protocol(&squatter_protocol, ipproto);
		synchronize_net();
	}
}

module_init(squatter_init);
module_exit(squatter_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("XTCP selftests: occupy a family or IP protocol number");
