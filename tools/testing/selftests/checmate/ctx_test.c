// SPDX-License-Identifier: GPL-2.0
/*
 * Checmate selftests: what programs see in their context, what they may
 * change, and a policy scoped to a cgroup.
 *
 * Each context case attaches a program that denies when one field holds the
 * value the test expects, and one that denies when it holds that value + 1:
 * the real syscall must fail with the first and pass with the second.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "common.h"

#define SOCK_OFF(f) offsetof(struct checmate_sock_ctx, f)
#define H(x) CHECMATE_HOOK_##x
#define FILE_OFF(f) offsetof(struct checmate_file_ctx, f)
#define TASK_OFF(f) offsetof(struct checmate_task_ctx, f)
#define MOUNT_OFF(f) offsetof(struct checmate_mount_ctx, f)

#define TEST_FILE "/tmp/checmate-ctx"
#define TEST_MNT "/tmp/checmate-ctx-mnt"

static int port_of(int s)
{
	struct sockaddr_in6 sa;
	socklen_t len = sizeof(sa);

	if (getsockname(s, (struct sockaddr *)&sa, &len))
		return -1;
	return ntohs(sa.sin6_port);	/* same offset in sockaddr_in */
}

/* Each case: what to cross, and the value the field must hold. */
struct ctx_case {
	unsigned int hook;
	int off, size;
	long long (*expect)(void);
	int (*trigger)(void);
	int softirq;
};

static int errno_of(int ret)
{
	return ret < 0 ? errno : 0;
}

/* socket_create: family and type as passed to socket(2). */
static long long v_inet6(void)
{
	return AF_INET6;
}

static long long v_stream(void)
{
	return SOCK_STREAM;
}

static long long v_proto_udp(void)
{
	return IPPROTO_UDP;
}

static int t_socket6(void)
{
	int s = socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP);

	return s < 0 ? errno : close(s);
}

static int t_socket_stream(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);

	return s < 0 ? errno : close(s);
}

/* socket_connect: the address asked for, in the stated byte orders. */
static long long v_port_4242(void)
{
	return 4242;
}

static long long v_lo4(void)
{
	return htonl(INADDR_LOOPBACK);
}

static long long v_lo6_last(void)
{
	return htonl(1);
}

static int t_connect4(void)
{
	struct sockaddr_in sin = lo4(4242);
	int s = socket(AF_INET, SOCK_DGRAM, 0), ret;

	ret = errno_of(connect(s, (struct sockaddr *)&sin, sizeof(sin)));
	close(s);
	return ret;
}

static int t_connect6(void)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(4242),
				     .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int s = socket(AF_INET6, SOCK_DGRAM, 0), ret;

	ret = errno_of(connect(s, (struct sockaddr *)&sin6, sizeof(sin6)));
	close(s);
	return ret;
}

static int t_sendto4(void)
{
	struct sockaddr_in sin = lo4(4242);
	int s = socket(AF_INET, SOCK_DGRAM, 0), ret;

	ret = errno_of(sendto(s, "x", 1, 0, (struct sockaddr *)&sin, sizeof(sin)));
	close(s);
	return ret;
}

/* socket_listen: the socket's own port and the backlog. */
static int listen_port;
static long long v_listen_port(void)
{
	struct sockaddr_in sin = lo4(0);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	/* Find a free port, then release it for the trigger to bind. */
	bind(s, (struct sockaddr *)&sin, sizeof(sin));
	listen_port = port_of(s);
	close(s);
	return listen_port;
}

static long long v_backlog(void)
{
	return 7;
}

static int t_listen(void)
{
	struct sockaddr_in sin = lo4(listen_port);
	int s = socket(AF_INET, SOCK_STREAM, 0), ret;

	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int));
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)))
		ret = -1;
	else
		ret = errno_of(listen(s, 7));
	close(s);
	return ret;
}

/* socket_sock_rcv_skb: the packet's source port (softirq). */
static int rcv_sender_port;
static long long v_sender_port(void)
{
	struct sockaddr_in sin = lo4(0);
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	bind(s, (struct sockaddr *)&sin, sizeof(sin));
	rcv_sender_port = port_of(s);
	close(s);
	return rcv_sender_port;
}

static int t_rcv(void)
{
	struct sockaddr_in to = lo4(0), from = lo4(rcv_sender_port);
	int r = socket(AF_INET, SOCK_DGRAM, 0), s = socket(AF_INET, SOCK_DGRAM, 0);
	char c;
	int ret = 0;

	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int));
	if (bind(r, (struct sockaddr *)&to, sizeof(to)) ||
	    bind(s, (struct sockaddr *)&from, sizeof(from)))
		return -1;
	to = lo4(port_of(r));
	if (sendto(s, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)) != 1)
		ret = -1;
	else if (recv(r, &c, 1, MSG_DONTWAIT) != 1)
		ret = errno == EAGAIN ? DENY_ERRNO : errno;
	close(r);
	close(s);
	return ret;
}

/* file_open and file_permission: the inode and the access. */
static long long v_file_ino(void)
{
	struct stat st;
	int fd = open(TEST_FILE, O_RDWR | O_CREAT, 0640);

	if (fd < 0 || write(fd, "x", 1) != 1 || fstat(fd, &st))
		return -1;
	close(fd);
	return st.st_ino;
}

static long long v_file_mode(void)
{
	v_file_ino();
	return S_IFREG | 0640;
}

/* The kernel forces O_LARGEFILE (00100000 on x86) on 64-bit opens; libc says 0. */
static long long v_rdonly(void)
{
	v_file_ino(); return O_RDONLY | 00100000;
}

static long long v_may_read(void)
{
	v_file_ino(); return 4; /* MAY_READ */
}

static int t_open(void)
{
	int fd = open(TEST_FILE, O_RDONLY);

	return fd < 0 ? errno : close(fd);
}

static int t_read(void)
{
	char c;
	int fd = open(TEST_FILE, O_RDONLY), ret;

	if (fd < 0)
		return -1;
	ret = read(fd, &c, 1) == 1 ? 0 : errno;
	close(fd);
	return ret;
}

/* inode_create: the directory and the mode asked for. */
static long long v_tmp_ino(void)
{
	struct stat st;

	return stat("/tmp", &st) ? -1 : (long long)st.st_ino;
}

static long long v_create_mode(void)
{
	return S_IFREG | 0604;
}

static int t_create(void)
{
	int fd;

	umask(0);
	fd = open("/tmp/checmate-ctx-new", O_CREAT | O_EXCL | O_WRONLY, 0604);
	if (fd < 0)
		return errno;
	close(fd);
	return unlink("/tmp/checmate-ctx-new");
}

/* task_kill: the signal, the target and the sender. */
static long long v_sigchld(void)
{
	return SIGCHLD;
}

static long long v_self(void)
{
	return getpid();
}

static long long v_own_cgroup(void)
{
	return own_cgroup_id();
}

static int t_kill(void)
{
	return errno_of(kill(getpid(), SIGCHLD));
}

/* sb_mount: the filesystem type, first four bytes. */
static long long v_tmpf(void)
{
	__u32 v;

	memcpy(&v, "tmpf", 4);
	mkdir(TEST_MNT, 0700);
	return v;
}

static int t_mount(void)
{
	if (mount("none", TEST_MNT, "tmpfs", 0, NULL))
		return errno;
	return umount(TEST_MNT);
}

/*
 * sb_mount: chrooted, the kernel's current_chrooted(): 1 in a chroot, be
 * its root a directory or the root of a mount, 0 otherwise.
 */
#define TEST_JAIL "/tmp/checmate-ctx-jail"
#define TEST_JAIL_MNT "/tmp/checmate-ctx-jail-mnt"

static long long v_not_chrooted(void)
{
	mkdir(TEST_MNT, 0700);
	return 0;
}

static long long v_chrooted(void)
{
	struct stat st, parent;

	mkdir(TEST_JAIL, 0700);
	mkdir(TEST_JAIL "/m", 0700);
	mkdir(TEST_JAIL_MNT, 0700);
	if (stat(TEST_JAIL_MNT, &st) || stat("/tmp", &parent))
		return -1;
	/* The jail's tmpfs, once for all cases. */
	if (st.st_dev == parent.st_dev &&
	    mount("none", TEST_JAIL_MNT, "tmpfs", 0, NULL))
		return -1;
	mkdir(TEST_JAIL_MNT "/m", 0700);
	return 1;
}

/* chroot(@jail), mount and umount a tmpfs on its /m, leave the chroot. */
static int mount_in_jail(const char *jail)
{
	int root = open("/", O_RDONLY | O_DIRECTORY), ret;

	if (root < 0 || chroot(jail))
		return -1;
	ret = mount("none", "/m", "tmpfs", 0, NULL) ? errno : umount("/m");
	if (fchdir(root) || chroot(".") || chdir("/"))
		ret = -1;
	close(root);
	return ret;
}

static int t_mount_jail(void)
{
	return mount_in_jail(TEST_JAIL);
}

static int t_mount_jail_mnt(void)
{
	return mount_in_jail(TEST_JAIL_MNT);
}

FIXTURE(ctx) {
	int prog[2];
};

FIXTURE_VARIANT(ctx) {
	struct ctx_case c;
};

#define CASE(name, h, o, sz, e, t, si)					\
	FIXTURE_VARIANT_ADD(ctx, name) {					\
		.c = { .hook = h, .off = o, .size = sz, .expect = e,		\
		       .trigger = t, .softirq = si }				\
	}

CASE(create_family, H(SOCKET_CREATE), SOCK_OFF(family), 4, v_inet6, t_socket6, 0);
CASE(create_type, H(SOCKET_CREATE), SOCK_OFF(type), 4, v_stream, t_socket_stream, 0);
CASE(create_protocol, H(SOCKET_CREATE), SOCK_OFF(protocol), 4, v_proto_udp, t_socket6, 0);
CASE(connect_port, H(SOCKET_CONNECT), SOCK_OFF(remote_port), 4, v_port_4242, t_connect4, 0);
CASE(connect_ip4, H(SOCKET_CONNECT), SOCK_OFF(remote_ip4), 4, v_lo4, t_connect4, 0);
CASE(connect_ip6, H(SOCKET_CONNECT), SOCK_OFF(remote_ip6[3]), 4, v_lo6_last, t_connect6, 0);
CASE(connect_family6, H(SOCKET_CONNECT), SOCK_OFF(family), 4, v_inet6, t_connect6, 0);
CASE(sendmsg_port, H(SOCKET_SENDMSG), SOCK_OFF(remote_port), 4, v_port_4242, t_sendto4, 0);
CASE(listen_port, H(SOCKET_LISTEN), SOCK_OFF(local_port), 4, v_listen_port, t_listen, 0);
CASE(listen_ip4, H(SOCKET_LISTEN), SOCK_OFF(local_ip4), 4, v_lo4, t_listen, 0);
CASE(listen_backlog, H(SOCKET_LISTEN), SOCK_OFF(arg), 4, v_backlog, t_listen, 0);
CASE(rcv_source_port, H(SOCKET_SOCK_RCV_SKB), SOCK_OFF(remote_port), 4, v_sender_port, t_rcv, 1);
CASE(open_ino, H(FILE_OPEN), FILE_OFF(ino), 8, v_file_ino, t_open, 0);
CASE(open_mode, H(FILE_OPEN), FILE_OFF(mode), 4, v_file_mode, t_open, 0);
CASE(open_flags, H(FILE_OPEN), FILE_OFF(flags), 4, v_rdonly, t_open, 0);
CASE(permission_mask, H(FILE_PERMISSION), FILE_OFF(flags), 4, v_may_read, t_read, 0);
CASE(create_dir, H(INODE_CREATE), FILE_OFF(dir_ino), 8, v_tmp_ino, t_create, 0);
CASE(create_mode, H(INODE_CREATE), FILE_OFF(mode), 4, v_create_mode, t_create, 0);
CASE(kill_signal, H(TASK_KILL), TASK_OFF(arg), 4, v_sigchld, t_kill, 1);
CASE(kill_target, H(TASK_KILL), TASK_OFF(pid), 4, v_self, t_kill, 1);
CASE(kill_sender, H(TASK_KILL), TASK_OFF(sender_tgid), 4, v_self, t_kill, 1);
CASE(kill_sender_cgroup, H(TASK_KILL), TASK_OFF(sender_cgroup_id), 8, v_own_cgroup, t_kill, 1);
CASE(mount_fstype, H(SB_MOUNT), MOUNT_OFF(fstype), 4, v_tmpf, t_mount, 0);
CASE(mount_not_chrooted, H(SB_MOUNT), MOUNT_OFF(chrooted), 4, v_not_chrooted, t_mount, 0);
CASE(mount_chrooted_dir, H(SB_MOUNT), MOUNT_OFF(chrooted), 4, v_chrooted, t_mount_jail, 0);
CASE(mount_chrooted_root, H(SB_MOUNT), MOUNT_OFF(chrooted), 4, v_chrooted, t_mount_jail_mnt, 0);

FIXTURE_SETUP(ctx)
{
	long long v = variant->c.expect();
	int tgid = variant->c.softirq ? 0 : getpid();

	ASSERT_NE(-1, v);
	for (int i = 0; i < 2; i++) {
		self->prog[i] = load_deny_if(variant->c.hook, tgid, variant->c.off,
					     variant->c.size, v + i, DENY_ERRNO);
		ASSERT_LE(0, self->prog[i]) TH_LOG("%s\n%s", strerror(errno), verifier_log);
	}
}

FIXTURE_TEARDOWN(ctx)
{
	for (int i = 0; i < 2; i++) {
		cm_detach(variant->c.hook, self->prog[i]);
		close(self->prog[i]);
	}
}

TEST_F(ctx, field_holds_the_value)
{
	ASSERT_EQ(0, variant->c.trigger());
	ASSERT_EQ(0, cm_attach(variant->c.hook, self->prog[0]));
	EXPECT_EQ(DENY_ERRNO, variant->c.trigger());
	ASSERT_EQ(0, cm_detach(variant->c.hook, self->prog[0]));
	ASSERT_EQ(0, cm_attach(variant->c.hook, self->prog[1]));
	EXPECT_EQ(0, variant->c.trigger());
}

/* Rewrite a bind to port @from into port @to. */
static int load_port_map(int from, int to)
{
	const struct bpf_insn insns[] = {
		LDX_MEM(BPF_W, 2, 1, SOCK_OFF(local_port)),
		JNE_IMM(2, from, 1),
		ST_MEM(BPF_W, 1, SOCK_OFF(local_port), to),
		MOV64_IMM(0, 0),
		EXIT(),
	};

	return load_prog(CHECMATE_HOOK_SOCKET_BIND, insns, ARRAY_LEN(insns));
}

TEST(bind_port_is_rewritten)
{
	int prog = load_port_map(5555, 6666);
	struct sockaddr_in sin = lo4(5555);
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(5555),
				     .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int s4 = socket(AF_INET, SOCK_STREAM, 0);
	int s6 = socket(AF_INET6, SOCK_STREAM, 0);
	int other = socket(AF_INET, SOCK_STREAM, 0);

	ASSERT_LE(0, prog) TH_LOG("%s", verifier_log);
	ASSERT_EQ(0, cm_attach(CHECMATE_HOOK_SOCKET_BIND, prog));
	ASSERT_EQ(0, bind(s4, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(6666, port_of(s4));
	ASSERT_EQ(0, bind(s6, (struct sockaddr *)&sin6, sizeof(sin6)));
	EXPECT_EQ(6666, port_of(s6));
	/* Other ports are left alone. */
	sin = lo4(5556);
	ASSERT_EQ(0, bind(other, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(5556, port_of(other));
	ASSERT_EQ(0, cm_detach(CHECMATE_HOOK_SOCKET_BIND, prog));
	close(s4);
	close(s6);
	close(other);
	close(prog);
}

TEST(bind_port_out_of_range_is_einval)
{
	int prog = load_port_map(5557, 70000);
	struct sockaddr_in sin = lo4(5557);
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	ASSERT_LE(0, prog);
	ASSERT_EQ(0, cm_attach(CHECMATE_HOOK_SOCKET_BIND, prog));
	EXPECT_EQ(-1, bind(s, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, cm_detach(CHECMATE_HOOK_SOCKET_BIND, prog));
	EXPECT_EQ(0, bind(s, (struct sockaddr *)&sin, sizeof(sin)));
	close(s);
	close(prog);
}

#define CGROUP "/sys/fs/cgroup/checmate-test"

/* Deny callers in the cgroup at index 0 of cgroup array @map. */
static int load_deny_in_cgroup(unsigned int hook, int map)
{
	const struct bpf_insn insns[] = {
		LD_MAP_FD(1, map),
		MOV64_IMM(2, 0),
		CALL(BPF_FUNC_current_task_under_cgroup),
		JNE_IMM(0, 1, 2),
		MOV64_IMM(0, -DENY_ERRNO),
		EXIT(),
		MOV64_IMM(0, 0),
		EXIT(),
	};

	return load_prog(hook, insns, ARRAY_LEN(insns));
}

TEST(cgroup_scoped_policy)
{
	union bpf_attr attr;
	int map, cg, prog, status, key = 0;
	pid_t pid;

	ASSERT_TRUE(mkdir(CGROUP, 0755) == 0 || errno == EEXIST);
	cg = open(CGROUP, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, cg);
	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_CGROUP_ARRAY;
	attr.key_size = 4;
	attr.value_size = 4;
	attr.max_entries = 1;
	map = sys_bpf(BPF_MAP_CREATE, &attr);
	ASSERT_LE(0, map);
	memset(&attr, 0, sizeof(attr));
	attr.map_fd = map;
	attr.key = (uintptr_t)&key;
	attr.value = (uintptr_t)&cg;
	ASSERT_EQ(0, sys_bpf(BPF_MAP_UPDATE_ELEM, &attr));
	prog = load_deny_in_cgroup(CHECMATE_HOOK_SOCKET_CREATE, map);
	ASSERT_LE(0, prog) TH_LOG("%s", verifier_log);
	ASSERT_EQ(0, cm_attach(CHECMATE_HOOK_SOCKET_CREATE, prog));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int procs = open(CGROUP "/cgroup.procs", O_WRONLY), s;

		if (procs < 0 || write(procs, "0", 1) != 1)
			_exit(100);
		s = socket(AF_INET, SOCK_DGRAM, 0);
		_exit(s < 0 ? errno : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	/* Inside the cgroup: denied. */
	EXPECT_EQ(DENY_ERRNO, WEXITSTATUS(status));
	/* Outside: allowed. */
	EXPECT_EQ(0, t_socket_stream());
	ASSERT_EQ(0, cm_detach(CHECMATE_HOOK_SOCKET_CREATE, prog));
	close(prog);
	close(map);
	close(cg);
	rmdir(CGROUP);
}

TEST_HARNESS_MAIN
