// SPDX-License-Identifier: GPL-2.0
/*
 * Checmate selftests: the unix socket, user namespace and code hooks
 * (unix_stream_connect, unix_may_send, userns_create,
 * bprm_creds_from_file, mmap_file, file_mprotect). Each system call that
 * should cross a hook crosses it and is refused by it, and the context
 * holds what the kernel then shows: stat(2) of the socket file and of the
 * program, SO_PEERCRED, SO_NETNS_COOKIE, the cgroup, the ids and AT_SECURE
 * a set-user-ID program runs with, the protections of a mapping. Then the
 * samples no_userns, no_setid_exec and unix_allowlist, loaded with
 * checmatectl, against every path their headers say they cover.
 *
 * Each test runs in its own process (the harness forks), which moves to a
 * mount namespace of its own with a tmpfs on TDIR: nothing outlives it.
 * This program is also the set-user-ID helper the exec tests run (a copy
 * of it, with "--ids": it prints its ids and exits).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/fsuid.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "common.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

#define H(x) CHECMATE_HOOK_##x
#define ALU64_IMM(op, d, i) INSN(BPF_ALU64 | (op) | BPF_K, d, 0, 0, i)

#define TDIR "/tmp/checmate-h2"
#define NOSUID TDIR "/nosuid"
#define SRV TDIR "/srv"
#define HELPER TDIR "/helper"
#define CGROUP "/sys/fs/cgroup/checmate-h2"
#define NOBODY 65534
/* include/linux/mount.h, include/linux/mm.h */
#define MNT_NOSUID 0x01
#define VM_READ 0x1
#define VM_WRITE 0x2

/* What a copy program stores: the context and how many times it ran. */
struct record {
	union {
		struct checmate_unix_ctx u;
		struct checmate_cred_ctx c;
		struct checmate_exec_ctx x;
	};
	__u64 runs;
};

static size_t ctx_size(unsigned int hook)
{
	if (hook <= H(UNIX_MAY_SEND))
		return sizeof(struct checmate_unix_ctx);
	if (hook == H(USERNS_CREATE))
		return sizeof(struct checmate_cred_ctx);
	return sizeof(struct checmate_exec_ctx);
}

/* The set-user-ID helper: print euid, egid, AT_SECURE, CapPrm and exit. */
__attribute__((constructor)) static void helper_main(int argc, char **argv)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (argc < 2 || strcmp(argv[1], "--ids"))
		return;
	memset(d, 0, sizeof(d));
	syscall(SYS_capget, &h, d);
	printf("%u %u %lu %llu\n", geteuid(), getegid(), getauxval(AT_SECURE),
	       d[0].permitted | (unsigned long long)d[1].permitted << 32);
	fflush(stdout);
	_exit(0);
}

static int make_record_map(void)
{
	return cm_map_create(BPF_MAP_TYPE_ARRAY, sizeof(struct record), 1, 0, 0);
}

static int read_record(int map, struct record *r)
{
	return cm_map_elem(BPF_MAP_LOOKUP_ELEM, map, 0, r);
}

static int clear_record(int map)
{
	struct record r;

	memset(&r, 0, sizeof(r));
	return cm_map_elem(BPF_MAP_UPDATE_ELEM, map, 0, &r);
}

static __u64 runs(int map)
{
	struct record r;

	return read_record(map, &r) ? -1ULL : r.runs;
}

/* Match the caller's tgid (MATCH_TGID) or the context's u64 at an offset. */
#define MATCH_TGID -1
#define X_INO offsetof(struct checmate_exec_ctx, ino)

/*
 * A program that, when the caller's tgid is @val (@off MATCH_TGID) or the
 * context's u64 at @off is @val, copies the context into @map, counts the
 * run and returns @ret; it returns 0 otherwise.
 */
static int load_copy(unsigned int hook, int map, int off, __u64 val, int ret)
{
	struct bpf_insn insns[128] = {};
	int n = 0, skip[2], nskip = 0;

	insns[n++] = MOV64_REG(6, 1);
	if (off == MATCH_TGID) {
		insns[n++] = CALL(BPF_FUNC_get_current_pid_tgid);
		insns[n++] = RSH64_IMM(0, 32);
	} else {
		insns[n++] = LDX_MEM(BPF_DW, 0, 6, off);
	}
	insns[n++] = INSN(BPF_LD | BPF_DW | BPF_IMM, 3, 0, 0, (__u32)val);
	insns[n++] = INSN(0, 0, 0, 0, (__u32)(val >> 32));
	skip[nskip++] = n;
	insns[n++] = INSN(BPF_JMP | BPF_JNE | BPF_X, 0, 3, 0, 0);
	n = emit_copy_tail(insns, n, map, ctx_size(hook), offsetof(struct record, runs), ret,
			   skip, nskip);
	return load_prog(hook, insns, n);
}

/* A mount namespace of our own, with a fresh tmpfs on TDIR. */
static int own_tmpfs(void)
{
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -1;
	mkdir(TDIR, 0755);
	if (mount("none", TDIR, "tmpfs", 0, "mode=1777"))
		return -1;
	if (mkdir(NOSUID, 0755) || mount("none", NOSUID, "tmpfs", MS_NOSUID, "mode=0755"))
		return -1;
	return 0;
}

static __u64 netns_cookie(int s)
{
	__u64 cookie = 0;
	socklen_t len = sizeof(cookie);

	getsockopt(s, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len);
	return cookie;
}

static socklen_t sun_path(struct sockaddr_un *a, const char *path)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	memcpy(a->sun_path, path, strlen(path));
	return offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
}

/* An abstract address: a NUL, then @name (no NUL counted). */
static socklen_t sun_abstract(struct sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	memcpy(a->sun_path + 1, name, strlen(name));
	return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name);
}

/* A socket of @type bound to @a (and listening, for stream types). */
static int server(int type, const struct sockaddr_un *a, socklen_t len)
{
	int s = socket(AF_UNIX, type, 0);

	if (s < 0 || bind(s, (const struct sockaddr *)a, len))
		return -1;
	if (type != SOCK_DGRAM && listen(s, 8))
		return -1;
	return s;
}

/* connect(2) of a new socket of @type to @a: 0 or the errno. */
static int try_connect(int type, const struct sockaddr_un *a, socklen_t len)
{
	int s = socket(AF_UNIX, type, 0), err = 0;

	if (s < 0)
		return -1;
	if (connect(s, (const struct sockaddr *)a, len))
		err = errno;
	close(s);
	return err;
}

/* Create a cgroup; returns its id (the directory's inode number). */
static long long make_cgroup(const char *path)
{
	struct stat st;

	if (mkdir(path, 0755) && errno != EEXIST)
		return -1;
	return stat(path, &st) ? -1 : (long long)st.st_ino;
}

static int join_cgroup(const char *path)
{
	char procs[256];
	int ok;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", path);
	ok = !write_str(procs, "0");
	return ok ? 0 : -1;
}

/* Run @fn in a child in cgroup @cg (or in this cgroup if NULL): its status. */
static int in_child(const char *cg, int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		if (cg && join_cgroup(cg))
			_exit(200);
		_exit(fn(arg));
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Run a checmatectl command line; its exit status. */
static int ctl(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int status;

	va_start(ap, fmt);
	snprintf(cmd, sizeof(cmd), "./checmatectl ");
	vsnprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), fmt, ap);
	va_end(ap);
	status = system(cmd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int err_of(long ret)
{
	return ret < 0 ? errno : 0;
}

FIXTURE(h2) {
	int map, prog;
	unsigned int hook;
};

FIXTURE_SETUP(h2)
{
	ASSERT_EQ(0, own_tmpfs());
	self->map = make_record_map();
	ASSERT_LE(0, self->map);
	self->prog = -1;
}

FIXTURE_TEARDOWN(h2)
{
	if (self->prog >= 0) {
		cm_detach(self->hook, self->prog);
		close(self->prog);
	}
	close(self->map);
}

/* Load a copy program and attach it to @hook; the teardown detaches it. */
static int attach_copy(int map, int *prog, unsigned int *slot, unsigned int hook,
		       int off, __u64 val, int ret)
{
	if (*prog >= 0) {
		cm_detach(*slot, *prog);
		close(*prog);
	}
	*slot = hook;
	*prog = load_copy(hook, map, off, val, ret);
	if (*prog < 0 || clear_record(map))
		return -1;
	return cm_attach(hook, *prog);
}

/* attach_copy() with the fixture's map and program. */
static int attach(struct _test_data_h2 *self, unsigned int hook, int off, __u64 val, int ret)
{
	int err = attach_copy(self->map, &self->prog, &self->hook, hook, off, val, ret);

	if (err)
		fprintf(stderr, "# hook %u: %s\n%s\n", hook, strerror(errno), verifier_log);
	return err;
}

/* unix_stream_connect: connect(2) of stream and seqpacket sockets. */
TEST_F(h2, unix_stream_connect_crossed)
{
	struct sockaddr_un p, a;
	socklen_t plen = sun_path(&p, SRV), alen = sun_abstract(&a, "checmate-h2");
	int types[] = { SOCK_STREAM, SOCK_SEQPACKET };

	for (int i = 0; i < 2; i++) {
		int sp = server(types[i], &p, plen), sa = server(types[i], &a, alen);

		ASSERT_LE(0, sp);
		ASSERT_LE(0, sa);
		ASSERT_EQ(0, attach(self, H(UNIX_STREAM_CONNECT), MATCH_TGID, getpid(),
				    -DENY_ERRNO));
		EXPECT_EQ(DENY_ERRNO, try_connect(types[i], &p, plen));
		EXPECT_EQ(1, runs(self->map));
		EXPECT_EQ(DENY_ERRNO, try_connect(types[i], &a, alen));
		EXPECT_EQ(2, runs(self->map));
		/* Nothing reached the listeners. */
		fcntl(sp, F_SETFL, O_NONBLOCK);
		EXPECT_EQ(-1, accept(sp, NULL, NULL));
		EXPECT_EQ(EAGAIN, errno);
		ASSERT_EQ(0, cm_detach(H(UNIX_STREAM_CONNECT), self->prog));
		EXPECT_EQ(0, try_connect(types[i], &p, plen));
		EXPECT_EQ(0, try_connect(types[i], &a, alen));
		EXPECT_EQ(2, runs(self->map));
		close(sp);
		close(sa);
		unlink(SRV);
	}
}

/*
 * A listener made by a child in another cgroup, network namespace and
 * with other ids; connect to it through its path and check the peer.
 */
TEST_F(h2, unix_stream_connect_peer)
{
	int ready[2], done[2], c, cg = mkdir(CGROUP, 0755);
	struct checmate_unix_ctx *u;
	struct sockaddr_un p;
	socklen_t plen = sun_path(&p, SRV), len;
	struct ucred cred;
	__u64 cookie = 0;
	struct record r;
	struct stat st;
	pid_t child;

	ASSERT_TRUE(cg == 0 || errno == EEXIST);
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(done));
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		char pid[16];
		int fd = open(CGROUP "/cgroup.procs", O_WRONLY), s;

		snprintf(pid, sizeof(pid), "%d", getpid());
		if (fd < 0 || write(fd, pid, strlen(pid)) < 0 || unshare(CLONE_NEWNET) ||
		    setresgid(5678, 5678, 5678) || setresuid(1234, 1234, 1234))
			_exit(1);
		s = server(SOCK_STREAM, &p, plen);
		if (s < 0)
			_exit(2);
		cookie = netns_cookie(s);
		if (write(ready[1], &cookie, sizeof(cookie)) != sizeof(cookie))
			_exit(3);
		read(done[0], &cookie, 1);
		_exit(0);
	}
	ASSERT_EQ(sizeof(cookie), read(ready[0], &cookie, sizeof(cookie)));
	ASSERT_EQ(0, attach(self, H(UNIX_STREAM_CONNECT), MATCH_TGID, getpid(), 0));
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, connect(c, (struct sockaddr *)&p, plen));
	ASSERT_EQ(0, read_record(self->map, &r));
	u = &r.u;
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(SOCK_STREAM, u->type);
	EXPECT_EQ(CHECMATE_UNIX_F_BOUND | CHECMATE_UNIX_F_PEERCRED, u->info);
	ASSERT_EQ(0, stat(SRV, &st));
	EXPECT_EQ(st.st_ino, u->peer_ino);
	EXPECT_EQ(st.st_dev, u->peer_dev);
	EXPECT_EQ(strlen(SRV), u->name_len);
	EXPECT_STREQ(SRV, u->name);
	/* The kernel's view: SO_PEERCRED of the connected socket. */
	len = sizeof(cred);
	ASSERT_EQ(0, getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len));
	EXPECT_EQ(child, cred.pid);
	EXPECT_EQ(cred.pid, u->peer_pid);
	EXPECT_EQ(1234, cred.uid);
	EXPECT_EQ(cred.uid, u->peer_uid);
	EXPECT_EQ(cred.gid, u->peer_gid);
	EXPECT_EQ(1234, u->peer_owner_uid);
	EXPECT_EQ(own_cgroup_id(), u->cgroup_id);
	ASSERT_EQ(0, stat(CGROUP, &st));
	EXPECT_EQ(st.st_ino, u->peer_cgroup_id);
	EXPECT_EQ(netns_cookie(c), u->netns_cookie);
	EXPECT_EQ(cookie, u->peer_netns_cookie);
	EXPECT_NE(u->netns_cookie, u->peer_netns_cookie);
	close(c);
	write(done[1], "x", 1);
	waitpid(child, NULL, 0);
	rmdir(CGROUP);
}

/* An abstract name: its bytes, all 107 of the longest. */
TEST_F(h2, unix_stream_connect_abstract)
{
	char name[108];
	struct sockaddr_un a;
	struct record r;
	socklen_t alen;
	int s;

	memset(name, 'a', 107);
	name[107] = 0;
	name[5] = '/';
	alen = sun_abstract(&a, name);
	s = server(SOCK_SEQPACKET, &a, alen);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, attach(self, H(UNIX_STREAM_CONNECT), MATCH_TGID, getpid(), 0));
	EXPECT_EQ(0, try_connect(SOCK_SEQPACKET, &a, alen));
	ASSERT_EQ(0, read_record(self->map, &r));
	EXPECT_EQ(SOCK_SEQPACKET, r.u.type);
	EXPECT_EQ(CHECMATE_UNIX_F_BOUND | CHECMATE_UNIX_F_ABSTRACT | CHECMATE_UNIX_F_PEERCRED,
		  r.u.info);
	EXPECT_EQ(107, r.u.name_len);
	EXPECT_EQ(0, memcmp(name, r.u.name, 107));
	EXPECT_EQ(0, r.u.peer_ino);
	EXPECT_EQ(0, r.u.peer_dev);
	EXPECT_EQ(getpid(), r.u.peer_pid);
	close(s);
}

/* unix_may_send: every datagram send and connect, to a path or a name. */
TEST_F(h2, unix_may_send_crossed)
{
	struct sockaddr_un p, a;
	socklen_t plen = sun_path(&p, SRV), alen = sun_abstract(&a, "checmate-h2-dg");
	int sp = server(SOCK_DGRAM, &p, plen), sa = server(SOCK_DGRAM, &a, alen);
	int c = socket(AF_UNIX, SOCK_DGRAM, 0), pair[2], sq[2], st[2];
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	struct msghdr m = { .msg_name = &p, .msg_namelen = plen, .msg_iov = &iov,
			    .msg_iovlen = 1 };
	struct mmsghdr mm = { .msg_hdr = m };
	char buf[4];

	ASSERT_LE(0, sp);
	ASSERT_LE(0, sa);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM, 0, pair));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sq));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, st));
	ASSERT_EQ(0, attach(self, H(UNIX_MAY_SEND), MATCH_TGID, getpid(), -DENY_ERRNO));
	EXPECT_EQ(DENY_ERRNO, err_of(sendto(c, "x", 1, 0, (struct sockaddr *)&p, plen)));
	EXPECT_EQ(1, runs(self->map));
	EXPECT_EQ(DENY_ERRNO, err_of(sendto(c, "x", 1, 0, (struct sockaddr *)&a, alen)));
	EXPECT_EQ(2, runs(self->map));
	EXPECT_EQ(DENY_ERRNO, err_of(sendmsg(c, &m, 0)));
	EXPECT_EQ(3, runs(self->map));
	EXPECT_EQ(-1, sendmmsg(c, &mm, 1, 0));
	EXPECT_EQ(DENY_ERRNO, errno);
	EXPECT_EQ(4, runs(self->map));
	EXPECT_EQ(DENY_ERRNO, err_of(connect(c, (struct sockaddr *)&p, plen)));
	EXPECT_EQ(5, runs(self->map));
	EXPECT_EQ(DENY_ERRNO, err_of(connect(c, (struct sockaddr *)&a, alen)));
	EXPECT_EQ(6, runs(self->map));
	/* A connected datagram socket: each send, with no address. */
	EXPECT_EQ(DENY_ERRNO, err_of(send(pair[0], "x", 1, 0)));
	EXPECT_EQ(7, runs(self->map));
	/* Nothing arrived. */
	EXPECT_EQ(-1, recv(sp, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(-1, recv(sa, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(-1, recv(pair[1], buf, sizeof(buf), MSG_DONTWAIT));
	/* Not crossed: seqpacket and stream sends. */
	EXPECT_EQ(1, send(sq[0], "x", 1, 0));
	EXPECT_EQ(1, send(st[0], "x", 1, 0));
	EXPECT_EQ(7, runs(self->map));
	ASSERT_EQ(0, cm_detach(H(UNIX_MAY_SEND), self->prog));
	EXPECT_EQ(1, sendto(c, "x", 1, 0, (struct sockaddr *)&p, plen));
	EXPECT_EQ(1, sendto(c, "x", 1, 0, (struct sockaddr *)&a, alen));
	EXPECT_EQ(1, recv(sp, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(1, recv(sa, buf, sizeof(buf), MSG_DONTWAIT));
	close(c);
	close(sp);
	close(sa);
}

TEST_F(h2, unix_may_send_peer)
{
	struct sockaddr_un p;
	socklen_t plen = sun_path(&p, SRV);
	int c = socket(AF_UNIX, SOCK_DGRAM, 0), sp, pair[2];
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct record r;
	struct stat st;

	/* The receiver's owner: the fsuid of its creator. */
	ASSERT_LE(0, c);
	setfsuid(4321);
	sp = socket(AF_UNIX, SOCK_DGRAM, 0);
	setfsuid(0);
	ASSERT_LE(0, sp);
	ASSERT_EQ(0, bind(sp, (struct sockaddr *)&p, plen));
	ASSERT_EQ(0, fstat(sp, &st));
	ASSERT_EQ(4321, st.st_uid);
	ASSERT_EQ(0, attach(self, H(UNIX_MAY_SEND), MATCH_TGID, getpid(), 0));
	ASSERT_EQ(1, sendto(c, "x", 1, 0, (struct sockaddr *)&p, plen));
	ASSERT_EQ(0, read_record(self->map, &r));
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(SOCK_DGRAM, r.u.type);
	/* A bound datagram socket has no SO_PEERCRED. */
	EXPECT_EQ(CHECMATE_UNIX_F_BOUND, r.u.info);
	EXPECT_EQ(0, r.u.peer_pid);
	EXPECT_EQ(4321, r.u.peer_owner_uid);
	EXPECT_STREQ(SRV, r.u.name);
	ASSERT_EQ(0, stat(SRV, &st));
	EXPECT_EQ(st.st_ino, r.u.peer_ino);
	EXPECT_EQ(st.st_dev, r.u.peer_dev);
	EXPECT_EQ(own_cgroup_id(), r.u.peer_cgroup_id);
	EXPECT_EQ(netns_cookie(sp), r.u.peer_netns_cookie);
	/* A socketpair end: unbound, with the pair's SO_PEERCRED. */
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM, 0, pair));
	ASSERT_EQ(1, send(pair[0], "x", 1, 0));
	ASSERT_EQ(0, read_record(self->map, &r));
	EXPECT_EQ(2, r.runs);
	EXPECT_EQ(CHECMATE_UNIX_F_PEERCRED, r.u.info);
	EXPECT_EQ(0, r.u.name_len);
	EXPECT_EQ(0, r.u.peer_ino);
	ASSERT_EQ(0, getsockopt(pair[1], SOL_SOCKET, SO_PEERCRED, &cred, &len));
	EXPECT_EQ(cred.pid, r.u.peer_pid);
	EXPECT_EQ(cred.uid, r.u.peer_uid);
	EXPECT_EQ(cred.gid, r.u.peer_gid);
	/* Autobind names are abstract: 5 hex digits. */
	ASSERT_EQ(0, bind(pair[1], (struct sockaddr *)&p, sizeof(sa_family_t)));
	ASSERT_EQ(1, send(pair[0], "x", 1, 0));
	ASSERT_EQ(0, read_record(self->map, &r));
	EXPECT_EQ(CHECMATE_UNIX_F_BOUND | CHECMATE_UNIX_F_ABSTRACT | CHECMATE_UNIX_F_PEERCRED,
		  r.u.info);
	EXPECT_EQ(5, r.u.name_len);
	close(c);
	close(sp);
}

/* userns_create: unshare(CLONE_NEWUSER) and clone(CLONE_NEWUSER). */
TEST_F(h2, userns_create_crossed)
{
	pid_t child;
	int status;

	ASSERT_EQ(0, attach(self, H(USERNS_CREATE), MATCH_TGID, getpid(), -DENY_ERRNO));
	EXPECT_EQ(-1, unshare(CLONE_NEWUSER));
	EXPECT_EQ(DENY_ERRNO, errno);
	EXPECT_EQ(1, runs(self->map));
	EXPECT_EQ(-1, syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0));
	EXPECT_EQ(DENY_ERRNO, errno);
	EXPECT_EQ(2, runs(self->map));
	/* Other namespaces do not cross it. */
	EXPECT_EQ(0, unshare(CLONE_NEWUTS));
	EXPECT_EQ(2, runs(self->map));
	ASSERT_EQ(0, cm_detach(H(USERNS_CREATE), self->prog));
	child = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
	ASSERT_LE(0, child);
	if (child == 0)
		_exit(0);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_EQ(0, status);
}

TEST_F(h2, userns_create_context)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	int go[2], status;
	struct record r;
	pid_t child;

	ASSERT_EQ(0, pipe(go));
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		char c;

		if (read(go[0], &c, 1) != 1 || setresgid(7, 8, 9))
			_exit(1);
		/*
		 * From the initial user namespace, then from the new one, once
		 * the creator's euid and egid are mapped there.
		 */
		if (unshare(CLONE_NEWUSER))
			_exit(2);
		if (write_str("/proc/self/uid_map", "0 0 1") ||
		    write_str("/proc/self/setgroups", "deny") ||
		    write_str("/proc/self/gid_map", "8 8 1"))
			_exit(3);
		_exit(unshare(CLONE_NEWUSER) ? 4 : 0);
	}
	ASSERT_EQ(0, attach(self, H(USERNS_CREATE), MATCH_TGID, child, 0));
	ASSERT_EQ(1, write(go[1], "x", 1));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_EQ(0, status);
	ASSERT_EQ(0, read_record(self->map, &r));
	EXPECT_EQ(2, r.runs);
	/* The second: the creator is in a namespace of level 1, unmapped. */
	EXPECT_EQ(1, r.c.userns_level);
	EXPECT_EQ(child, r.c.pid);
	EXPECT_EQ(child, r.c.tgid);
	EXPECT_EQ(0, r.c.uid);
	EXPECT_EQ(7, r.c.gid);
	EXPECT_EQ(8, r.c.egid);
	EXPECT_EQ(9, r.c.sgid);
	EXPECT_EQ(8, r.c.fsgid);
	/* Full capabilities in its own namespace. */
	EXPECT_EQ((1ULL << (CAP_LAST_CAP + 1)) - 1, r.c.cap_permitted);
	EXPECT_EQ(r.c.cap_permitted, r.c.cap_effective);
	/* The first, from the initial namespace. */
	ASSERT_EQ(0, attach(self, H(USERNS_CREATE), MATCH_TGID, getpid(), 0));
	child = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
	ASSERT_LE(0, child);
	if (child == 0)
		_exit(0);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_EQ(0, read_record(self->map, &r));
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(0, r.c.userns_level);
	EXPECT_EQ(getpid(), r.c.tgid);
	EXPECT_EQ(geteuid(), r.c.euid);
	EXPECT_EQ(getegid(), r.c.egid);
	memset(d, 0, sizeof(d));
	ASSERT_EQ(0, syscall(SYS_capget, &h, d));
	EXPECT_EQ(d[0].permitted | (__u64)d[1].permitted << 32, r.c.cap_permitted);
	EXPECT_EQ(d[0].effective | (__u64)d[1].effective << 32, r.c.cap_effective);
}

/* Copy this program to @path, owned by root, with @mode. */
static int copy_helper(const char *path, mode_t mode)
{
	int in = open("/proc/self/exe", O_RDONLY), out;
	char buf[65536];
	ssize_t n;

	out = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0755);
	if (in < 0 || out < 0)
		return -1;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			return -1;
	close(in);
	if (fchown(out, 0, 0) || fchmod(out, mode))
		return -1;
	return close(out);
}

/* Copy this program to @path, set-user-ID and set-group-ID root. */
static int make_helper(const char *path)
{
	return copy_helper(path, 06755);
}

/* What a run of the helper printed. */
struct ids {
	unsigned int euid, egid;
	unsigned long secure;
	unsigned long long capprm;
};

/*
 * Execute @path with "--ids" as @uid (all its uids and gids); 0 and what
 * the helper printed, or the errno of execve().
 */
static int run_helper_in(const char *cg, const char *path, unsigned int uid, struct ids *ids)
{
	int out[2], status, err = 0;
	char buf[128] = "";
	pid_t child;

	if (pipe(out))
		return -1;
	child = fork();
	if (child < 0)
		return -1;
	if (child == 0) {
		dup2(out[1], 1);
		if (cg && join_cgroup(cg))
			_exit(101);
		if (setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
			_exit(100);
		execl(path, path, "--ids", (char *)NULL);
		_exit(errno);
	}
	close(out[1]);
	if (read(out[0], buf, sizeof(buf) - 1) < 0)
		return -1;
	close(out[0]);
	waitpid(child, &status, 0);
	if (!WIFEXITED(status))
		return -1;
	err = WEXITSTATUS(status);
	if (!err && sscanf(buf, "%u %u %lu %llu", &ids->euid, &ids->egid, &ids->secure,
			   &ids->capprm) != 4)
		return -1;
	return err;
}

static int run_helper(const char *path, unsigned int uid, struct ids *ids)
{
	return run_helper_in(NULL, path, uid, ids);
}

/* bprm_creds_from_file: refused cleanly, once per execve. */
TEST_F(h2, bprm_creds_from_file_crossed)
{
	const char *script = TDIR "/script";
	struct ids ids;
	struct stat st;
	FILE *f;

	ASSERT_EQ(0, make_helper(HELPER));
	ASSERT_EQ(0, stat(HELPER, &st));
	ASSERT_EQ(0, attach(self, H(BPRM_CREDS_FROM_FILE), X_INO, st.st_ino, -DENY_ERRNO));
	/* execve() returns the errno: the old program goes on. */
	EXPECT_EQ(DENY_ERRNO, run_helper(HELPER, 0, &ids));
	EXPECT_EQ(1, runs(self->map));
	EXPECT_EQ(DENY_ERRNO, run_helper(HELPER, NOBODY, &ids));
	EXPECT_EQ(2, runs(self->map));
	/* A script: once, with its interpreter. */
	f = fopen(script, "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "#!%s --ids\n", HELPER);
	fclose(f);
	ASSERT_EQ(0, chmod(script, 0755));
	EXPECT_EQ(DENY_ERRNO, run_helper(script, 0, &ids));
	EXPECT_EQ(3, runs(self->map));
	ASSERT_EQ(0, cm_detach(H(BPRM_CREDS_FROM_FILE), self->prog));
	EXPECT_EQ(0, run_helper(HELPER, NOBODY, &ids));
	EXPECT_EQ(3, runs(self->map));
}

/* The new credentials: those the program then runs with. */
TEST_F(h2, bprm_creds_from_file_context)
{
	const char *nosuid = NOSUID "/helper";
	struct checmate_exec_ctx *x;
	struct ids ids;
	struct record r;
	struct stat st;

	ASSERT_EQ(0, make_helper(HELPER));
	ASSERT_EQ(0, stat(HELPER, &st));
	ASSERT_EQ(0, attach(self, H(BPRM_CREDS_FROM_FILE), X_INO, st.st_ino, 0));
	/* A gain: nobody runs a set-user-ID root program. */
	ASSERT_EQ(0, run_helper(HELPER, NOBODY, &ids));
	ASSERT_EQ(0, read_record(self->map, &r));
	x = &r.x;
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(st.st_ino, x->ino);
	EXPECT_EQ(st.st_dev, x->dev);
	EXPECT_EQ(st.st_mode, x->mode);
	EXPECT_EQ(S_ISUID | S_ISGID, x->mode & (S_ISUID | S_ISGID));
	EXPECT_EQ(0, x->uid);
	EXPECT_EQ(1, x->nlink);
	EXPECT_EQ(TMPFS_MAGIC, x->s_magic);
	EXPECT_EQ(0, x->mnt_flags & MNT_NOSUID);
	EXPECT_EQ(NOBODY, x->euid);
	EXPECT_EQ(NOBODY, x->egid);
	EXPECT_EQ(0, x->cap_permitted);
	EXPECT_EQ(0, ids.euid);
	EXPECT_EQ(ids.euid, x->new_euid);
	EXPECT_EQ(ids.egid, x->new_egid);
	EXPECT_EQ(1, ids.secure);
	EXPECT_EQ(ids.secure, x->secureexec);
	EXPECT_NE(0, ids.capprm);
	EXPECT_EQ(ids.capprm, x->new_cap_permitted);
	/* Root: nothing changes. */
	ASSERT_EQ(0, run_helper(HELPER, 0, &ids));
	ASSERT_EQ(0, read_record(self->map, &r));
	EXPECT_EQ(0, x->euid);
	EXPECT_EQ(0, x->new_euid);
	EXPECT_EQ(0, x->secureexec);
	EXPECT_EQ(ids.capprm, x->cap_permitted);
	EXPECT_EQ(ids.capprm, x->new_cap_permitted);
	/* On a nosuid mount the set-id bits do not count. */
	ASSERT_EQ(0, make_helper(nosuid));
	ASSERT_EQ(0, stat(nosuid, &st));
	ASSERT_EQ(0, attach(self, H(BPRM_CREDS_FROM_FILE), X_INO, st.st_ino, 0));
	ASSERT_EQ(0, run_helper(nosuid, NOBODY, &ids));
	ASSERT_EQ(0, read_record(self->map, &r));
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(MNT_NOSUID, x->mnt_flags & MNT_NOSUID);
	EXPECT_EQ(S_ISUID, x->mode & S_ISUID);
	EXPECT_EQ(NOBODY, ids.euid);
	EXPECT_EQ(ids.euid, x->new_euid);
	EXPECT_EQ(ids.egid, x->new_egid);
	EXPECT_EQ(0, ids.secure);
	EXPECT_EQ(0, x->secureexec);
	EXPECT_EQ(0, x->new_cap_permitted);
}

static int test_file(const char *path, size_t size)
{
	int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);

	if (fd < 0 || ftruncate(fd, size))
		return -1;
	return fd;
}

/* mmap_file: mmap(2) of files and of anonymous memory. */
TEST_F(h2, mmap_file_crossed)
{
	int fd = test_file(TDIR "/f", 4096);
	void *p;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, attach(self, H(MMAP_FILE), MATCH_TGID, getpid(), -DENY_ERRNO));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0));
	EXPECT_EQ(DENY_ERRNO, errno);
	EXPECT_EQ(1, runs(self->map));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	EXPECT_EQ(DENY_ERRNO, errno);
	EXPECT_EQ(2, runs(self->map));
	ASSERT_EQ(0, cm_detach(H(MMAP_FILE), self->prog));
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	EXPECT_NE(MAP_FAILED, p);
	munmap(p, 4096);
	close(fd);
}

TEST_F(h2, mmap_file_context)
{
	int fd = test_file(TDIR "/f", 4096), ro;
	struct record r;
	struct stat st;
	void *p;

	ASSERT_LE(0, fd);
	ro = open(TDIR "/f", O_RDONLY);
	ASSERT_LE(0, ro);
	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_EQ(0, attach(self, H(MMAP_FILE), MATCH_TGID, getpid(), 0));
	p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, ro, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, read_record(self->map, &r));
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(st.st_ino, r.x.ino);
	EXPECT_EQ(st.st_dev, r.x.dev);
	EXPECT_EQ(st.st_mode, r.x.mode);
	EXPECT_EQ(1, r.x.nlink);
	EXPECT_EQ(TMPFS_MAGIC, r.x.s_magic);
	EXPECT_EQ(0, r.x.info);
	EXPECT_EQ(PROT_READ | PROT_EXEC, r.x.reqprot);
	EXPECT_EQ(PROT_READ | PROT_EXEC, r.x.prot);
	EXPECT_EQ(MAP_PRIVATE, r.x.flags);
	EXPECT_EQ(geteuid(), r.x.euid);
	munmap(p, 4096);
	/* Shared and writable: the file is open for writing. */
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, read_record(self->map, &r));
	EXPECT_EQ(2, r.runs);
	EXPECT_EQ(CHECMATE_EXEC_F_WRITABLE, r.x.info);
	EXPECT_EQ(MAP_SHARED, r.x.flags);
	munmap(p, 4096);
	/* Anonymous memory: no file. */
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, read_record(self->map, &r));
	EXPECT_EQ(3, r.runs);
	EXPECT_EQ(CHECMATE_EXEC_F_ANON, r.x.info);
	EXPECT_EQ(0, r.x.ino);
	EXPECT_EQ(0, r.x.dev);
	EXPECT_EQ(MAP_PRIVATE | MAP_ANONYMOUS, r.x.flags);
	munmap(p, 4096);
	close(fd);
	close(ro);
}

/* file_mprotect: once per memory area of the range. */
TEST_F(h2, file_mprotect_crossed)
{
	int fd = test_file(TDIR "/f", 4096);
	char *p, *f;

	ASSERT_LE(0, fd);
	p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	f = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	ASSERT_NE(MAP_FAILED, f);
	ASSERT_EQ(0, attach(self, H(FILE_MPROTECT), MATCH_TGID, getpid(), -DENY_ERRNO));
	EXPECT_EQ(-1, mprotect(p, 4096, PROT_READ | PROT_EXEC));
	EXPECT_EQ(DENY_ERRNO, errno);
	EXPECT_EQ(1, runs(self->map));
	/* Refused: the memory is still writable. */
	p[0] = 1;
	EXPECT_EQ(-1, mprotect(f, 4096, PROT_READ | PROT_EXEC));
	EXPECT_EQ(DENY_ERRNO, errno);
	EXPECT_EQ(2, runs(self->map));
	EXPECT_EQ(-1, syscall(SYS_pkey_mprotect, p, 4096, PROT_READ, -1));
	EXPECT_EQ(DENY_ERRNO, errno);
	EXPECT_EQ(3, runs(self->map));
	ASSERT_EQ(0, cm_detach(H(FILE_MPROTECT), self->prog));
	/* Split the area in three (none merges): one crossing per area. */
	ASSERT_EQ(0, mprotect(p + 4096, 4096, PROT_NONE));
	ASSERT_EQ(0, attach(self, H(FILE_MPROTECT), MATCH_TGID, getpid(), 0));
	EXPECT_EQ(0, mprotect(p, 3 * 4096, PROT_READ));
	EXPECT_EQ(3, runs(self->map));
	munmap(p, 3 * 4096);
	munmap(f, 4096);
	close(fd);
}

TEST_F(h2, file_mprotect_context)
{
	int fd = test_file(TDIR "/f", 4096);
	struct record r;
	struct stat st;
	char *p, *f;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fstat(fd, &st));
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	f = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, f);
	ASSERT_EQ(0, attach(self, H(FILE_MPROTECT), MATCH_TGID, getpid(), 0));
	ASSERT_EQ(0, mprotect(p, 4096, PROT_READ));
	ASSERT_EQ(0, read_record(self->map, &r));
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(CHECMATE_EXEC_F_ANON, r.x.info);
	EXPECT_EQ(0, r.x.ino);
	EXPECT_EQ(VM_READ | VM_WRITE, r.x.vm_flags & (VM_READ | VM_WRITE));
	EXPECT_EQ(PROT_READ, r.x.reqprot);
	EXPECT_EQ(PROT_READ, r.x.prot);
	ASSERT_EQ(0, mprotect(f, 4096, PROT_READ | PROT_WRITE));
	ASSERT_EQ(0, read_record(self->map, &r));
	EXPECT_EQ(2, r.runs);
	EXPECT_EQ(st.st_ino, r.x.ino);
	EXPECT_EQ(st.st_dev, r.x.dev);
	EXPECT_EQ(CHECMATE_EXEC_F_WRITABLE, r.x.info);
	EXPECT_EQ(VM_READ, r.x.vm_flags & (VM_READ | VM_WRITE));
	EXPECT_EQ(PROT_READ | PROT_WRITE, r.x.prot);
	munmap(p, 4096);
	munmap(f, 4096);
	close(fd);
}

/* The verifier: reads inside the context only, no writes; current helpers. */
TEST(new_hooks_verifier_rules)
{
	for (unsigned int h = H(UNIX_STREAM_CONNECT); h <= H(FILE_MPROTECT); h++) {
		int end = ctx_size(h);
		const struct bpf_insn last[] = {
			LDX_MEM(BPF_DW, 0, 1, end - 8), MOV64_IMM(0, 0), EXIT(),
		};
		const struct bpf_insn past[] = {
			LDX_MEM(BPF_B, 0, 1, end), MOV64_IMM(0, 0), EXIT(),
		};
		const struct bpf_insn write[] = {
			ST_MEM(BPF_W, 1, 0, 1), MOV64_IMM(0, 0), EXIT(),
		};
		int fd = load_prog(h, last, ARRAY_LEN(last));

		EXPECT_LE(0, fd) TH_LOG("hook %u: %s", h, verifier_log);
		close(fd);
		EXPECT_EQ(-1, load_prog(h, past, ARRAY_LEN(past)));
		EXPECT_EQ(EACCES, errno);
		for (int off = 0; off < end; off += 4) {
			struct bpf_insn w[3];

			memcpy(w, write, sizeof(w));
			w[0].off = off;
			EXPECT_EQ(-1, load_prog(h, w, 3)) TH_LOG("hook %u off %d", h, off);
			EXPECT_EQ(EACCES, errno);
		}
		/* Process context: the current task's helpers. */
		fd = load_deny_tgid(h, getpid(), DENY_ERRNO);
		EXPECT_LE(0, fd) TH_LOG("hook %u: %s", h, verifier_log);
		close(fd);
	}
	EXPECT_EQ(184, sizeof(struct checmate_unix_ctx));
	EXPECT_EQ(208, sizeof(struct checmate_cred_ctx));
	EXPECT_EQ(64, offsetof(struct checmate_cred_ctx, cap_inheritable));
	EXPECT_EQ(104, sizeof(struct checmate_exec_ctx));
	EXPECT_EQ(72, offsetof(struct checmate_unix_ctx, name));
}

#define USERNS_CG "/sys/fs/cgroup/h2-userns"

static int do_unshare_user(void *unused)
{
	return unshare(CLONE_NEWUSER) ? errno : 0;
}

/* clone() with @flags: 0 if the child ran, else the errno. */
static int do_clone(void *flags)
{
	int status;
	long pid = syscall(SYS_clone, (long)flags | SIGCHLD, 0, 0, 0, 0);

	if (pid < 0)
		return errno;
	if (pid == 0)
		_exit(0);
	return waitpid(pid, &status, 0) == pid && status == 0 ? 0 : 100;
}

/* no_userns: every way of making a user namespace, in the cgroup only. */
TEST(sample_no_userns)
{
	ASSERT_LE(0, make_cgroup(USERNS_CG));
	mkdir("/sys/fs/bpf/h2-userns", 0700);
	ASSERT_EQ(0, ctl("load samples/no_userns.bpf.o --pin-maps /sys/fs/bpf/h2-userns"));
	ASSERT_EQ(0, ctl("map update /sys/fs/bpf/h2-userns/userns_cgroup u32:0 cgroup:" USERNS_CG));
	EXPECT_EQ(EPERM, in_child(USERNS_CG, do_unshare_user, NULL));
	EXPECT_EQ(EPERM, in_child(USERNS_CG, do_clone, (void *)CLONE_NEWUSER));
	EXPECT_EQ(EPERM, in_child(USERNS_CG, do_clone, (void *)(CLONE_NEWUSER | CLONE_NEWNS)));
	/* Other namespaces: not this policy's. */
	EXPECT_EQ(0, in_child(USERNS_CG, do_clone, (void *)CLONE_NEWUTS));
	EXPECT_EQ(0, in_child(NULL, do_unshare_user, NULL));
	EXPECT_EQ(0, in_child(NULL, do_clone, (void *)CLONE_NEWUSER));
	ASSERT_EQ(0, ctl("reset userns_create"));
	EXPECT_EQ(0, in_child(USERNS_CG, do_unshare_user, NULL));
	rmdir(USERNS_CG);
}

#define EXEC_CG "/sys/fs/cgroup/h2-exec"

/* no_setid_exec: no set-id gain at exec in the cgroup; the rest runs. */
TEST(sample_no_setid_exec)
{
	struct ids ids;

	ASSERT_EQ(0, own_tmpfs());
	ASSERT_EQ(0, make_helper(HELPER));
	ASSERT_EQ(0, copy_helper(TDIR "/setgid", 02755));
	ASSERT_EQ(0, copy_helper(TDIR "/plain", 0755));
	ASSERT_EQ(0, make_helper(NOSUID "/helper"));
	ASSERT_LE(0, make_cgroup(EXEC_CG));
	mkdir("/sys/fs/bpf/h2-exec", 0700);
	ASSERT_EQ(0, ctl("load samples/no_setid_exec.bpf.o --pin-maps /sys/fs/bpf/h2-exec"));
	ASSERT_EQ(0, ctl("map update /sys/fs/bpf/h2-exec/exec_cgroup u32:0 cgroup:" EXEC_CG));
	/* In the cgroup, as nobody: set-user-ID and set-group-ID refused. */
	EXPECT_EQ(EPERM, run_helper_in(EXEC_CG, HELPER, NOBODY, &ids));
	EXPECT_EQ(EPERM, run_helper_in(EXEC_CG, TDIR "/setgid", NOBODY, &ids));
	/* No gain: a plain program, set-id bits on a nosuid mount, root. */
	EXPECT_EQ(0, run_helper_in(EXEC_CG, TDIR "/plain", NOBODY, &ids));
	EXPECT_EQ(NOBODY, ids.euid);
	EXPECT_EQ(0, run_helper_in(EXEC_CG, NOSUID "/helper", NOBODY, &ids));
	EXPECT_EQ(NOBODY, ids.euid);
	EXPECT_EQ(0, run_helper_in(EXEC_CG, HELPER, 0, &ids));
	/* Outside the cgroup: the gain is the kernel's to give. */
	EXPECT_EQ(0, run_helper_in(NULL, HELPER, NOBODY, &ids));
	EXPECT_EQ(0, ids.euid);
	ASSERT_EQ(0, ctl("reset bprm_creds_from_file"));
	EXPECT_EQ(0, run_helper_in(EXEC_CG, HELPER, NOBODY, &ids));
	EXPECT_EQ(0, ids.euid);
	rmdir(EXEC_CG);
}

#define UNIX_CG "/sys/fs/cgroup/h2-unix"
#define HOST_SOCK TDIR "/host.sock"
#define HOST_SEQ TDIR "/host.seq"
#define HOST_DG TDIR "/host.dg"
#define OK_SOCK TDIR "/ok.sock"
#define LINK TDIR "/link.sock"

/* Every way of reaching the host's sockets: 0 if all were refused. */
static int unix_host_paths(void *unused)
{
	struct sockaddr_un a;
	socklen_t len;
	int c, refused = 0, ways = 0;
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

#define WAY(expr) do { ways++; refused += (expr) == ECONNREFUSED; } while (0)
	len = sun_path(&a, HOST_SOCK);
	WAY(try_connect(SOCK_STREAM, &a, len));
	len = sun_path(&a, LINK);
	WAY(try_connect(SOCK_STREAM, &a, len));
	len = sun_path(&a, HOST_SEQ);
	WAY(try_connect(SOCK_SEQPACKET, &a, len));
	len = sun_abstract(&a, "h2-host");
	WAY(try_connect(SOCK_STREAM, &a, len));
	len = sun_path(&a, HOST_DG);
	WAY(try_connect(SOCK_DGRAM, &a, len));
	c = socket(AF_UNIX, SOCK_DGRAM, 0);
	WAY(err_of(sendto(c, "x", 1, 0, (struct sockaddr *)&a, len)));
	m.msg_name = &a;
	m.msg_namelen = len;
	WAY(err_of(sendmsg(c, &m, 0)));
	len = sun_abstract(&a, "h2-host-dg");
	WAY(err_of(sendto(c, "x", 1, 0, (struct sockaddr *)&a, len)));
	close(c);
#undef WAY
	return refused == ways ? 0 : 100 + refused;
}

/* The listed socket file, and sockets made in the cgroup: 0 if reached. */
static int unix_allowed_paths(void *unused)
{
	struct sockaddr_un a;
	socklen_t len = sun_abstract(&a, "h2-own");
	int s = server(SOCK_STREAM, &a, len);

	if (s < 0 || try_connect(SOCK_STREAM, &a, len))
		return 1;
	close(s);
	len = sun_path(&a, OK_SOCK);
	return try_connect(SOCK_STREAM, &a, len) ? 2 : 0;
}

/* Every host socket reachable: 0 if all were. */
static int unix_host_reachable(void *unused)
{
	struct sockaddr_un a;
	socklen_t len = sun_path(&a, HOST_SOCK);

	if (try_connect(SOCK_STREAM, &a, len))
		return 1;
	len = sun_abstract(&a, "h2-host");
	if (try_connect(SOCK_STREAM, &a, len))
		return 2;
	len = sun_path(&a, HOST_DG);
	return try_connect(SOCK_DGRAM, &a, len) ? 3 : 0;
}

/* unix_allowlist: a container reaches its own and the listed sockets only. */
TEST(sample_unix_allowlist)
{
	struct sockaddr_un a;
	int socks[6], n = 0;
	struct stat st;

	ASSERT_EQ(0, own_tmpfs());
	socks[n++] = server(SOCK_STREAM, &a, sun_path(&a, HOST_SOCK));
	socks[n++] = server(SOCK_SEQPACKET, &a, sun_path(&a, HOST_SEQ));
	socks[n++] = server(SOCK_DGRAM, &a, sun_path(&a, HOST_DG));
	socks[n++] = server(SOCK_STREAM, &a, sun_abstract(&a, "h2-host"));
	socks[n++] = server(SOCK_DGRAM, &a, sun_abstract(&a, "h2-host-dg"));
	socks[n++] = server(SOCK_STREAM, &a, sun_path(&a, OK_SOCK));
	for (int i = 0; i < n; i++)
		ASSERT_LE(0, socks[i]);
	ASSERT_EQ(0, symlink(HOST_SOCK, LINK));
	ASSERT_EQ(0, stat(OK_SOCK, &st));
	ASSERT_LE(0, make_cgroup(UNIX_CG));
	mkdir("/sys/fs/bpf/h2-unix", 0700);
	ASSERT_EQ(0, ctl("load samples/unix_allowlist.bpf.o --pin-maps /sys/fs/bpf/h2-unix"));
	ASSERT_EQ(0, ctl("map update /sys/fs/bpf/h2-unix/unix_cgroup u32:0 cgroup:" UNIX_CG));
	ASSERT_EQ(0, ctl("map update /sys/fs/bpf/h2-unix/unix_allow u32:%lu,u32:0,u64:%lu u8:1",
			 (unsigned long)st.st_dev, (unsigned long)st.st_ino));
	EXPECT_EQ(0, in_child(UNIX_CG, unix_host_paths, NULL));
	EXPECT_EQ(0, in_child(UNIX_CG, unix_allowed_paths, NULL));
	EXPECT_EQ(0, in_child(NULL, unix_host_reachable, NULL));
	ASSERT_EQ(0, ctl("reset unix_stream_connect"));
	ASSERT_EQ(0, ctl("reset unix_may_send"));
	EXPECT_EQ(0, in_child(UNIX_CG, unix_host_reachable, NULL));
	for (int i = 0; i < n; i++)
		close(socks[i]);
	rmdir(UNIX_CG);
}

TEST_HARNESS_MAIN
