// SPDX-License-Identifier: GPL-2.0
/*
 * Checmate selftests: every hook. For each one, a real syscall is allowed
 * with nothing attached, fails with the program's errno once a denying
 * program is attached, and works again after detach. Programs match this
 * test's process (or, on softirq hooks, its port) so the rest of the system
 * is not affected.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "common.h"

#define FILE_PATH "/tmp/checmate-file"
#define NEW_PATH "/tmp/checmate-new"
#define MNT_PATH "/tmp/checmate-mnt"
#define UMNT_PATH "/tmp/checmate-umnt"

struct env {
	int fd;		/* an open file, a listening or bound socket */
	int port;	/* its port */
	pid_t child;	/* a stopped child to trace */
};

static int sock_bound(int type, int nonblock, int *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int s = socket(AF_INET, type | (nonblock ? SOCK_NONBLOCK : 0), 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)&sin, sizeof(sin)) ||
	    getsockname(s, (struct sockaddr *)&sin, &len))
		return -1;
	*port = ntohs(sin.sin_port);
	return s;
}

static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sin;
}

/* 0 if a child's status says "exited 0", else the errno it exited with. */
static int child_result(pid_t pid)
{
	int status;

	if (pid < 0)
		return errno;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int setup(unsigned int hook, struct env *e)
{
	e->fd = -1;
	switch (hook) {
	case CHECMATE_HOOK_SOCKET_ACCEPT:
		e->fd = sock_bound(SOCK_STREAM, 1, &e->port);
		return e->fd < 0 ? -1 : listen(e->fd, 8);
	case CHECMATE_HOOK_INET_CONN_REQUEST:
		e->fd = sock_bound(SOCK_STREAM, 1, &e->port);
		return e->fd < 0 ? -1 : listen(e->fd, 8);
	case CHECMATE_HOOK_SOCKET_RECVMSG:
	case CHECMATE_HOOK_SOCKET_SOCK_RCV_SKB:
		e->fd = sock_bound(SOCK_DGRAM, 1, &e->port);
		return e->fd < 0 ? -1 : 0;
	case CHECMATE_HOOK_FILE_OPEN:
	case CHECMATE_HOOK_FILE_PERMISSION:
		e->fd = open(FILE_PATH, O_RDWR | O_CREAT, 0600);
		return e->fd < 0 || write(e->fd, "checmate", 8) != 8 ? -1 : 0;
	case CHECMATE_HOOK_INODE_CREATE:
		unlink(NEW_PATH);
		return 0;
	case CHECMATE_HOOK_PTRACE_ACCESS_CHECK:
		e->child = fork();
		if (e->child == 0) {
			pause();
			_exit(0);
		}
		return e->child < 0 ? -1 : 0;
	case CHECMATE_HOOK_SB_MOUNT:
		return mkdir(MNT_PATH, 0700) && errno != EEXIST ? -1 : 0;
	case CHECMATE_HOOK_SB_UMOUNT:
		if (mkdir(UMNT_PATH, 0700) && errno != EEXIST)
			return -1;
		return mount("none", UMNT_PATH, "tmpfs", 0, NULL);
	}
	return 0;
}

static void cleanup(unsigned int hook, struct env *e)
{
	if (e->fd >= 0)
		close(e->fd);
	if (hook == CHECMATE_HOOK_PTRACE_ACCESS_CHECK && e->child > 0) {
		kill(e->child, SIGKILL);
		waitpid(e->child, NULL, 0);
	}
	if (hook == CHECMATE_HOOK_SB_UMOUNT)
		umount(UMNT_PATH);
	unlink(NEW_PATH);
}

/*
 * Cross @hook once with a real syscall. Returns 0 if the operation was
 * allowed, else the errno it failed with. On softirq hooks no errno reaches
 * user space: a dropped packet or connection request is reported as
 * DENY_ERRNO.
 */
static int trigger(unsigned int hook, struct env *e)
{
	struct sockaddr_in sin;
	char buf[16];
	int s, ret = 0;

#define CHECK(expr) do { if ((expr) < 0) ret = errno; } while (0)
	switch (hook) {
	case CHECMATE_HOOK_SOCKET_CREATE:
		s = socket(AF_INET, SOCK_DGRAM, 0);
		if (s < 0)
			return errno;
		close(s);
		return 0;
	case CHECMATE_HOOK_SOCKET_BIND:
		s = socket(AF_INET, SOCK_DGRAM, 0);
		sin = loopback(0);
		CHECK(bind(s, (struct sockaddr *)&sin, sizeof(sin)));
		close(s);
		return ret;
	case CHECMATE_HOOK_SOCKET_CONNECT:
		s = socket(AF_INET, SOCK_DGRAM, 0);
		sin = loopback(9);
		CHECK(connect(s, (struct sockaddr *)&sin, sizeof(sin)));
		close(s);
		return ret;
	case CHECMATE_HOOK_SOCKET_LISTEN:
		s = socket(AF_INET, SOCK_STREAM, 0);
		CHECK(listen(s, 1));
		close(s);
		return ret;
	case CHECMATE_HOOK_SOCKET_ACCEPT:
		/* Nothing is pending: an allowed accept says EAGAIN. */
		s = accept(e->fd, NULL, NULL);
		return s >= 0 ? (close(s), 0) : errno == EAGAIN ? 0 : errno;
	case CHECMATE_HOOK_SOCKET_SENDMSG:
		s = socket(AF_INET, SOCK_DGRAM, 0);
		sin = loopback(9);
		CHECK(sendto(s, "x", 1, 0, (struct sockaddr *)&sin, sizeof(sin)));
		close(s);
		return ret;
	case CHECMATE_HOOK_SOCKET_RECVMSG:
		/* Nothing is queued: an allowed recv says EAGAIN. */
		return recv(e->fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0 ? 0 :
		       errno == EAGAIN ? 0 : errno;
	case CHECMATE_HOOK_SOCKET_SOCK_RCV_SKB:
		/* Loopback delivers before sendto() returns. */
		s = socket(AF_INET, SOCK_DGRAM, 0);
		sin = loopback(e->port);
		if (sendto(s, "x", 1, 0, (struct sockaddr *)&sin, sizeof(sin)) != 1)
			ret = -1;
		else if (recv(e->fd, buf, sizeof(buf), MSG_DONTWAIT) != 1)
			ret = errno == EAGAIN ? DENY_ERRNO : errno;
		close(s);
		return ret;
	case CHECMATE_HOOK_INET_CONN_REQUEST: {
		struct pollfd p = { .events = POLLOUT };
		int err = 0;
		socklen_t len = sizeof(err);

		s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		sin = loopback(e->port);
		if (connect(s, (struct sockaddr *)&sin, sizeof(sin)) && errno != EINPROGRESS) {
			ret = errno;
		} else {
			p.fd = s;
			/* A dropped SYN leaves the connect in progress. */
			if (poll(&p, 1, 500) != 1)
				ret = DENY_ERRNO;
			else if (getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) || err)
				ret = err ? err : errno;
		}
		close(s);
		/* Drain the accept queue. */
		s = accept(e->fd, NULL, NULL);
		if (s >= 0)
			close(s);
		return ret;
	}
	case CHECMATE_HOOK_FILE_OPEN:
		s = open(FILE_PATH, O_RDONLY);
		return s < 0 ? errno : (close(s), 0);
	case CHECMATE_HOOK_FILE_PERMISSION:
		return pread(e->fd, buf, 1, 0) == 1 ? 0 : errno;
	case CHECMATE_HOOK_INODE_CREATE:
		s = open(NEW_PATH, O_CREAT | O_EXCL | O_WRONLY, 0600);
		if (s < 0)
			return errno;
		close(s);
		unlink(NEW_PATH);
		return 0;
	case CHECMATE_HOOK_TASK_ALLOC: {
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		return child_result(pid);
	}
	case CHECMATE_HOOK_BPRM_CHECK_SECURITY: {
		pid_t pid = fork();

		if (pid == 0) {
			execl("/bin/true", "true", NULL);
			_exit(errno);
		}
		return child_result(pid);
	}
	case CHECMATE_HOOK_PTRACE_ACCESS_CHECK:
		if (ptrace(PTRACE_ATTACH, e->child, 0, 0))
			return errno;
		waitpid(e->child, NULL, 0);
		ptrace(PTRACE_DETACH, e->child, 0, 0);
		return 0;
	case CHECMATE_HOOK_PTRACE_TRACEME: {
		pid_t pid = fork();

		if (pid == 0)
			_exit(ptrace(PTRACE_TRACEME, 0, 0, 0) ? errno : 0);
		return child_result(pid);
	}
	case CHECMATE_HOOK_TASK_KILL:
		return kill(getpid(), 0) ? errno : 0;
	case CHECMATE_HOOK_SB_MOUNT:
		if (mount("none", MNT_PATH, "tmpfs", 0, NULL))
			return errno;
		umount(MNT_PATH);
		return 0;
	case CHECMATE_HOOK_SB_UMOUNT:
		if (umount(UMNT_PATH))
			return errno;
		return mount("none", UMNT_PATH, "tmpfs", 0, NULL) ? -1 : 0;
	case CHECMATE_HOOK_PATH_CHROOT:
		return chroot("/") ? errno : 0;
	}
#undef CHECK
	return -1;
}

/* A program that denies this test's crossings of @hook. */
static int load_deny(unsigned int hook, struct env *e)
{
	struct stat st;

	switch (hook) {
	case CHECMATE_HOOK_SOCKET_SOCK_RCV_SKB:
	case CHECMATE_HOOK_INET_CONN_REQUEST:
		/* softirq: no current task; match the destination port. */
		return load_deny_field32(hook, offsetof(struct checmate_sock_ctx, local_port),
					 e->port, DENY_ERRNO);
	case CHECMATE_HOOK_PTRACE_TRACEME:
		/* The caller is a new child; its would-be tracer is us. */
		return load_deny_field32(hook, offsetof(struct checmate_task_ctx, pid),
					 getpid(), DENY_ERRNO);
	case CHECMATE_HOOK_TASK_KILL:
		/* No current-task helper here: the sender is in the context. */
		return load_deny_field32(hook, offsetof(struct checmate_task_ctx, sender_tgid),
					 getpid(), DENY_ERRNO);
	case CHECMATE_HOOK_BPRM_CHECK_SECURITY:
		/* The caller is a new child; match the executable instead. */
		if (stat("/bin/true", &st))
			return -1;
		return load_deny_field64(hook, offsetof(struct checmate_task_ctx, ino),
					 st.st_ino, DENY_ERRNO);
	}
	return load_deny_tgid(hook, getpid(), DENY_ERRNO);
}

FIXTURE(hook) {
	struct env env;
	int prog;
};

FIXTURE_VARIANT(hook) {
	unsigned int hook;
};

#define HOOK_VARIANT(name, num) \
	FIXTURE_VARIANT_ADD(hook, name) { .hook = num }

HOOK_VARIANT(socket_create, CHECMATE_HOOK_SOCKET_CREATE);
HOOK_VARIANT(socket_bind, CHECMATE_HOOK_SOCKET_BIND);
HOOK_VARIANT(socket_connect, CHECMATE_HOOK_SOCKET_CONNECT);
HOOK_VARIANT(socket_listen, CHECMATE_HOOK_SOCKET_LISTEN);
HOOK_VARIANT(socket_accept, CHECMATE_HOOK_SOCKET_ACCEPT);
HOOK_VARIANT(socket_sendmsg, CHECMATE_HOOK_SOCKET_SENDMSG);
HOOK_VARIANT(socket_recvmsg, CHECMATE_HOOK_SOCKET_RECVMSG);
HOOK_VARIANT(socket_sock_rcv_skb, CHECMATE_HOOK_SOCKET_SOCK_RCV_SKB);
HOOK_VARIANT(inet_conn_request, CHECMATE_HOOK_INET_CONN_REQUEST);
HOOK_VARIANT(file_open, CHECMATE_HOOK_FILE_OPEN);
HOOK_VARIANT(file_permission, CHECMATE_HOOK_FILE_PERMISSION);
HOOK_VARIANT(inode_create, CHECMATE_HOOK_INODE_CREATE);
HOOK_VARIANT(task_alloc, CHECMATE_HOOK_TASK_ALLOC);
HOOK_VARIANT(bprm_check_security, CHECMATE_HOOK_BPRM_CHECK_SECURITY);
HOOK_VARIANT(ptrace_access_check, CHECMATE_HOOK_PTRACE_ACCESS_CHECK);
HOOK_VARIANT(ptrace_traceme, CHECMATE_HOOK_PTRACE_TRACEME);
HOOK_VARIANT(task_kill, CHECMATE_HOOK_TASK_KILL);
HOOK_VARIANT(sb_mount, CHECMATE_HOOK_SB_MOUNT);
HOOK_VARIANT(sb_umount, CHECMATE_HOOK_SB_UMOUNT);
HOOK_VARIANT(path_chroot, CHECMATE_HOOK_PATH_CHROOT);

FIXTURE_SETUP(hook)
{
	ASSERT_EQ(0, setup(variant->hook, &self->env));
	self->prog = load_deny(variant->hook, &self->env);
	ASSERT_LE(0, self->prog) TH_LOG("load: %s\n%s", strerror(errno), verifier_log);
}

FIXTURE_TEARDOWN(hook)
{
	cm_detach(variant->hook, self->prog);
	close(self->prog);
	cleanup(variant->hook, &self->env);
}

TEST_F(hook, deny_then_detach)
{
	ASSERT_EQ(0, trigger(variant->hook, &self->env));
	ASSERT_EQ(0, cm_attach(variant->hook, self->prog));
	EXPECT_EQ(DENY_ERRNO, trigger(variant->hook, &self->env));
	/* Twice: the hook keeps denying, nothing was consumed. */
	EXPECT_EQ(DENY_ERRNO, trigger(variant->hook, &self->env));
	ASSERT_EQ(0, cm_detach(variant->hook, self->prog));
	EXPECT_EQ(0, trigger(variant->hook, &self->env));
}

TEST_F(hook, disabled_mode_skips_programs)
{
	ASSERT_EQ(0, cm_attach(variant->hook, self->prog));
	ASSERT_EQ(0, checmate(CHECMATE_OP_SET_MODE, variant->hook, CHECMATE_MODE_DISABLED, 0));
	EXPECT_EQ(0, trigger(variant->hook, &self->env));
	ASSERT_EQ(0, checmate(CHECMATE_OP_SET_MODE, variant->hook, CHECMATE_MODE_NORMAL, 0));
	EXPECT_EQ(DENY_ERRNO, trigger(variant->hook, &self->env));
}

TEST_F(hook, first_denial_wins)
{
	int allow = load_ret(variant->hook, 0);
	/* Attached after the test's program: never reached while it denies. */
	int other = load_ret(variant->hook, -EXDEV);

	ASSERT_LE(0, allow);
	ASSERT_LE(0, other);
	/* The other program denies everyone: attach it only around triggers. */
	ASSERT_EQ(0, cm_attach(variant->hook, allow));
	ASSERT_EQ(0, cm_attach(variant->hook, self->prog));
	ASSERT_EQ(0, cm_attach(variant->hook, other));
	EXPECT_EQ(DENY_ERRNO, trigger(variant->hook, &self->env));
	ASSERT_EQ(0, cm_detach(variant->hook, other));
	ASSERT_EQ(0, cm_detach(variant->hook, allow));
	close(allow);
	close(other);
}

TEST_F(hook, reset_clears)
{
	ASSERT_EQ(0, cm_attach(variant->hook, self->prog));
	ASSERT_EQ(0, checmate(CHECMATE_OP_RESET, variant->hook, 0, 0));
	EXPECT_EQ(0, attached(variant->hook, prog_id(self->prog)));
	EXPECT_EQ(0, trigger(variant->hook, &self->env));
}

TEST_HARNESS_MAIN
