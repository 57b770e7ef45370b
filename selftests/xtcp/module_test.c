// SPDX-License-Identifier: GPL-2.0
/*
 * Loading and unloading xtcp.ko: what it registers, what it refuses, and
 * that it leaves nothing behind.  Every test starts and ends with xtcp.ko
 * and the test-only squatter module unloaded.
 */
#include <errno.h>
#include <netinet/in.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "xtcp_util.h"

/* A family number nothing uses on 6.1 or 6.12 (AF_WANPIPE, never merged). */
#define SPARE_FAMILY	25

static int socket_errno(int family, int protocol)
{
	int fd = socket(family, SOCK_STREAM, protocol);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int protocols_has_xtcp(void)
{
	FILE *f = fopen("/proc/net/protocols", "re");
	char line[512];
	int found = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "XTCP ", 5))
			found = 1;
	fclose(f);
	return found;
}

static int path_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

FIXTURE(mod) {
	int kmsg;
};

FIXTURE_SETUP(mod)
{
	xtcp_rmmod("xtcp");
	xtcp_rmmod("xtcp_squatter");
	ASSERT_FALSE(xtcp_module_loaded("xtcp"));
	ASSERT_FALSE(xtcp_module_loaded("xtcp_squatter"));
	self->kmsg = xtcp_kmsg_open();
	ASSERT_LE(0, self->kmsg);
}

FIXTURE_TEARDOWN(mod)
{
	xtcp_rmmod("xtcp");
	xtcp_rmmod("xtcp_squatter");
	close(self->kmsg);
}

/* Nothing of XTCP may remain once the module is gone. */
static void assert_nothing_left(struct __test_metadata *_metadata)
{
	ASSERT_FALSE(xtcp_module_loaded("xtcp"));
	ASSERT_EQ(EAFNOSUPPORT, socket_errno(AF_XTCP, 0));
	ASSERT_EQ(0, protocols_has_xtcp());
	ASSERT_FALSE(path_exists("/proc/net/xtcp_stat"));
	ASSERT_FALSE(path_exists("/sys/kernel/slab/xtcp_sock"));
}

TEST_F(mod, load_registers_family_protocol_and_proc_files)
{
	ASSERT_EQ(0, xtcp_insmod(xtcp_ko_path(), NULL));
	EXPECT_TRUE(xtcp_kmsg_find(self->kmsg,
				   "loaded: address family 22, IP protocol 253"));
	EXPECT_EQ(1, protocols_has_xtcp());
	EXPECT_TRUE(path_exists("/proc/net/xtcp_stat"));
	EXPECT_TRUE(path_exists("/sys/kernel/slab/xtcp_sock"));
	EXPECT_EQ(0, socket_errno(AF_XTCP, 0));
	EXPECT_EQ(0, socket_errno(AF_XTCP, IPPROTO_XTCP));
	ASSERT_EQ(0, xtcp_rmmod("xtcp"));
	assert_nothing_left(_metadata);
}

TEST_F(mod, load_and_unload_20_times_leaves_nothing_behind)
{
	int i, fd;

	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, xtcp_insmod(xtcp_ko_path(), NULL));
		fd = socket(AF_XTCP, SOCK_STREAM, 0);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, close(fd));
		ASSERT_EQ(0, xtcp_rmmod("xtcp"));
		assert_nothing_left(_metadata);
	}
}

TEST_F(mod, unload_is_refused_while_a_socket_is_open)
{
	int fd, proto;
	socklen_t len = sizeof(proto);

	ASSERT_EQ(0, xtcp_insmod(xtcp_ko_path(), NULL));
	fd = socket(AF_XTCP, SOCK_STREAM, 0);
	ASSERT_LE(0, fd);

	EXPECT_EQ(-EWOULDBLOCK, xtcp_rmmod("xtcp"));
	EXPECT_TRUE(xtcp_module_loaded("xtcp"));
	/* The socket still works after the refused unload. */
	EXPECT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len));
	EXPECT_EQ(IPPROTO_XTCP, proto);

	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, xtcp_rmmod("xtcp"));
	assert_nothing_left(_metadata);
}

TEST_F(mod, load_fails_cleanly_when_the_family_is_taken)
{
	char params[32];

	snprintf(params, sizeof(params), "family=%d", AF_XTCP);
	ASSERT_EQ(0, xtcp_insmod(xtcp_squatter_ko_path(), params));

	EXPECT_EQ(-EEXIST, xtcp_insmod(xtcp_ko_path(), NULL));
	EXPECT_TRUE(xtcp_kmsg_find(self->kmsg,
				   "address family 22 is already registered"));
	EXPECT_FALSE(xtcp_module_loaded("xtcp"));
	EXPECT_EQ(0, protocols_has_xtcp());
	EXPECT_FALSE(path_exists("/sys/kernel/slab/xtcp_sock"));

	/* The failed load gave its IP protocol back: someone else can take it. */
	ASSERT_EQ(0, xtcp_rmmod("xtcp_squatter"));
	snprintf(params, sizeof(params), "ipproto=%d", IPPROTO_XTCP);
	EXPECT_EQ(0, xtcp_insmod(xtcp_squatter_ko_path(), params));
}

TEST_F(mod, family_parameter_moves_xtcp_to_a_free_number)
{
	char params[32];
	int proto;
	socklen_t len = sizeof(proto);
	int fd;

	snprintf(params, sizeof(params), "family=%d", AF_XTCP);
	ASSERT_EQ(0, xtcp_insmod(xtcp_squatter_ko_path(), params));

	snprintf(params, sizeof(params), "family=%d", SPARE_FAMILY);
	ASSERT_EQ(0, xtcp_insmod(xtcp_ko_path(), params));
	fd = socket(SPARE_FAMILY, SOCK_STREAM, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len));
	EXPECT_EQ(IPPROTO_XTCP, proto);
	close(fd);
	/* 22 is still the squatter's, which refuses every socket. */
	EXPECT_EQ(EAFNOSUPPORT, socket_errno(AF_XTCP, 0));
}

TEST_F(mod, load_fails_cleanly_when_the_ip_protocol_is_taken)
{
	char params[32];
	int fd, proto;
	socklen_t len = sizeof(proto);

	snprintf(params, sizeof(params), "ipproto=%d", IPPROTO_XTCP);
	ASSERT_EQ(0, xtcp_insmod(xtcp_squatter_ko_path(), params));

	EXPECT_EQ(-EEXIST, xtcp_insmod(xtcp_ko_path(), NULL));
	EXPECT_TRUE(xtcp_kmsg_find(self->kmsg,
				   "IP protocol 253 is already taken"));
	EXPECT_FALSE(xtcp_module_loaded("xtcp"));
	EXPECT_EQ(EAFNOSUPPORT, socket_errno(AF_XTCP, 0));

	/* With ipproto=254 it loads, and its sockets carry 254. */
	ASSERT_EQ(0, xtcp_insmod(xtcp_ko_path(), "ipproto=254"));
	fd = socket(AF_XTCP, SOCK_STREAM, 254);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len));
	EXPECT_EQ(254, proto);
	close(fd);
	EXPECT_EQ(EPROTONOSUPPORT, socket_errno(AF_XTCP, IPPROTO_XTCP));
}

TEST_F(mod, out_of_range_parameters_are_refused)
{
	static const char * const bad[] = {
		"family=0", "family=-1", "family=46", "family=1000",
		"ipproto=0", "ipproto=256", "ipproto=-5",
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, xtcp_insmod(xtcp_ko_path(), bad[i])) {
			TH_LOG("parameters: %s", bad[i]);
		}
		EXPECT_TRUE(xtcp_kmsg_find(self->kmsg, "is out of range"));
		EXPECT_FALSE(xtcp_module_loaded("xtcp"));
	}
	assert_nothing_left(_metadata);
}

/* TIME_WAIT entries pin nothing: the module unloads with them pending,
 * cancelling their timers (the kernel log is watched for any complaint).
 */
TEST_F(mod, unload_with_time_wait_entries_pending_succeeds)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(7000),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int l, c, a, i;

	ASSERT_EQ(0, xtcp_insmod(xtcp_ko_path(), NULL));
	ASSERT_EQ(0, xtcp_sysctl_set("msl_ms", 60000));
	l = socket(AF_XTCP, SOCK_STREAM, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, bind(l, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, listen(l, 8));
	for (i = 0; i < 3; i++) {
		c = socket(AF_XTCP, SOCK_STREAM, 0);
		ASSERT_LE(0, c);
		ASSERT_EQ(0, connect(c, (struct sockaddr *)&sin, sizeof(sin)));
		a = accept(l, NULL, NULL);
		ASSERT_LE(0, a);
		close(c);
		usleep(50 * 1000);	/* FIN, ACK: the client in FIN_WAIT_2 */
		close(a);
	}
	close(l);
	/* Sockets are freed after an RCU grace period: allow a moment. */
	for (i = 0; i < 50 && xtcp_rmmod("xtcp") == -EWOULDBLOCK; i++)
		usleep(100 * 1000);
	assert_nothing_left(_metadata);
}

TEST_HARNESS_MAIN
