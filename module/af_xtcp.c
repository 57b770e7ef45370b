// SPDX-License-Identifier: GPL-2.0
/*
 * XTCP module entry and exit.
 *
 * Loading registers, in this order, everything a socket or a segment can
 * reach: the socket slab and struct proto, the per-namespace state, the IP
 * protocol handler and, last, the address family, because the moment the
 * family exists user space can create sockets.  Unloading goes backwards.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/protocol.h>

#include "xtcp.h"

int xtcp_family = AF_XTCP;
module_param_named(family, xtcp_family, int, 0444);
MODULE_PARM_DESC(family, "address family number (default 22; 1..45, unused)");

int xtcp_ipproto = IPPROTO_XTCP;
EXPORT_SYMBOL_GPL(xtcp_ipproto);	/* the protocol xtcp_diag.ko serves */
module_param_named(ipproto, xtcp_ipproto, int, 0444);
MODULE_PARM_DESC(ipproto, "IP protocol number (default 253; 1..255, unused)");

static unsigned int ehash_entries = 65536;
module_param(ehash_entries, uint, 0444);
MODULE_PARM_DESC(ehash_entries, "four-tuple table buckets (default 65536, rounded to a power of 2)");

unsigned int xtcp_net_id __read_mostly;

static int __net_init xtcp_net_init(struct net *net)
{
	struct xtcp_net *xn = xtcp_pernet(net);
	int err;

	xn->mib = alloc_percpu(struct xtcp_mib);
	if (!xn->mib)
		return -ENOMEM;
	atomic_set(&xn->tw_count, 0);
	xtcp_minisocks_init_net(xn);
	atomic_set(&xn->curr_estab, 0);

	err = xtcp_sysctl_init_net(net);
	if (err)
		goto out_mib;
	err = xtcp_ctl_init_net(net);
	if (err)
		goto out_sysctl;
	err = xtcp_proc_init_net(net);
	if (err)
		goto out_ctl;
	return 0;

out_ctl:
	xtcp_ctl_exit_net(net);
out_sysctl:
	xtcp_sysctl_exit_net(net);
out_mib:
	free_percpu(xn->mib);
	return err;
}

/* No socket of @net is left (each holds the namespace); its SYN-queue and
 * TIME_WAIT entries may be, and go first.
 */
static void __net_exit xtcp_net_exit(struct net *net)
{
	struct xtcp_net *xn = xtcp_pernet(net);

	xtcp_proc_exit_net(net);
	xtcp_table_purge_net(net);
	xtcp_minisocks_exit_net(xn);
	xtcp_ctl_exit_net(net);
	xtcp_sysctl_exit_net(net);
	free_percpu(xn->mib);
}

static struct pernet_operations xtcp_net_ops = {
	.init	= xtcp_net_init,
	.exit	= xtcp_net_exit,
	.id	= &xtcp_net_id,
	.size	= sizeof(struct xtcp_net),
};

static const struct net_protocol xtcp_protocol = {
	.handler	= xtcp_v4_rcv,
	.err_handler	= xtcp_v4_err,
};

/* Not const: the family number is a module parameter. */
static struct net_proto_family xtcp_family_ops = {
	.create	= xtcp_create_socket,
	.owner	= THIS_MODULE,
};

static int __init xtcp_check_params(void)
{
	/* socket(2) refuses families >= NPROTO before asking any module. */
	if (xtcp_family <= AF_UNSPEC || xtcp_family >= NPROTO) {
		pr_err("family=%d is out of range: it must be 1..%d\n",
		       xtcp_family, NPROTO - 1);
		return -EINVAL;
	}
	if (xtcp_ipproto <= 0 || xtcp_ipproto >= MAX_INET_PROTOS) {
		pr_err("ipproto=%d is out of range: it must be 1..%d\n",
		       xtcp_ipproto, MAX_INET_PROTOS - 1);
		return -EINVAL;
	}
	return 0;
}

/*
 * XTCP makes its own socket cache so that its name starts with "xtcp_":
 * booting with slub_debug=FZPU,xtcp* then checks exactly XTCP's objects.
 * proto_unregister() destroys prot->slab, so the cache is ours only until
 * proto_register() succeeds.
 */
static int __init xtcp_proto_init(void)
{
	int err;

	xtcp_prot.slab = kmem_cache_create("xtcp_sock", xtcp_prot.obj_size, 0,
					   SLAB_HWCACHE_ALIGN | SLAB_ACCOUNT,
					   NULL);
	if (!xtcp_prot.slab)
		return -ENOMEM;

	err = proto_register(&xtcp_prot, 0);
	if (err) {
		kmem_cache_destroy(xtcp_prot.slab);
		xtcp_prot.slab = NULL;
	}
	return err;
}

static int __init xtcp_init(void)
{
	int err;

	err = xtcp_check_params();
	if (err)
		return err;

	xtcp_isn_init();
	err = xtcp_mem_init();
	if (err)
		return err;
	err = xtcp_table_init(ehash_entries);
	if (err)
		goto out_mem;
	err = xtcp_minisocks_init();
	if (err)
		goto out_table;
	err = xtcp_proto_init();
	if (err)
		goto out_minisocks;

	err = register_pernet_subsys(&xtcp_net_ops);
	if (err)
		goto out_proto;

	if (inet_add_protocol(&xtcp_protocol, xtcp_ipproto) < 0) {
		pr_err("IP protocol %d is already taken; load with ipproto=N to pick a free one\n",
		       xtcp_ipproto);
		err = -EEXIST;
		goto out_pernet;
	}

	xtcp_tsq_init();
	xtcp_offload_init();

	xtcp_family_ops.family = xtcp_family;
	err = sock_register(&xtcp_family_ops);
	if (err) {
		pr_err("address family %d is already registered (%d); load with family=N to pick a free one\n",
		       xtcp_family, err);
		goto out_inet;
	}

	pr_info("loaded: address family %d, IP protocol %d\n",
		xtcp_family, xtcp_ipproto);
	return 0;

out_inet:
	xtcp_offload_exit();
	inet_del_protocol(&xtcp_protocol, xtcp_ipproto);
	synchronize_net();
out_pernet:
	unregister_pernet_subsys(&xtcp_net_ops);
out_proto:
	proto_unregister(&xtcp_prot);
out_minisocks:
	xtcp_minisocks_exit();
out_table:
	xtcp_table_exit();
out_mem:
	xtcp_mem_exit();
	return err;
}

static void __exit xtcp_exit(void)
{
	sock_unregister(xtcp_family);
	xtcp_offload_exit();
	inet_del_protocol(&xtcp_protocol, xtcp_ipproto);
	/* No segment may still be inside xtcp_v4_rcv() when state goes. */
	synchronize_net();
	unregister_pernet_subsys(&xtcp_net_ops);
	/* Sockets and entries are freed after RCU grace periods. */
	rcu_barrier();
	xtcp_tsq_exit();
	proto_unregister(&xtcp_prot);
	xtcp_minisocks_exit();
	xtcp_table_exit();
	xtcp_mem_exit();
}

module_init(xtcp_init);
module_exit(xtcp_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("XTCP: a TCP-shaped transport in its own protocol family");
MODULE_AUTHOR("The XTCP developers");
MODULE_ALIAS_NETPROTO(AF_XTCP);
