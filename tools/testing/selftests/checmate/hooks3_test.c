// SPDX-License-Identifier: GPL-2.0
/*
 * Checmate selftests: hooks 43-65. Each is crossed by the calls that
 * should cross it (and not by their neighbours), a program's denial fails
 * the call with the program's errno and leaves the object as it was, and
 * the context holds what the kernel acts on (compared with stat(2),
 * getsockname(2) and what the call asked).
 *
 * - names that go: path_unlink, path_rmdir;
 * - inodes changed by path: path_truncate, path_chmod, path_chown;
 * - open files: file_truncate, file_ioctl, file_receive;
 * - socket options: socket_setsockopt;
 * - exec, once per execve, with the file named: bprm_creds_for_exec;
 * - filesystem reconfiguration: sb_remount;
 * - signals for I/O (F_SETOWN, O_ASYNC): file_send_sigiotask;
 * - nice values: task_setnice;
 * - extended attributes, file capabilities among them: inode_setxattr;
 * - io_uring and userfaultfd instances: inode_init_security_anon;
 * - netlink requests: netlink_send;
 * - bpf(2) commands: bpf;
 * - symbolic links followed: inode_follow_link;
 * - extended attributes and ACLs removed, ACLs set: inode_removexattr,
 *   inode_set_acl, inode_remove_acl;
 * - scheduling (policy, priority, affinity): task_setscheduler.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/eventfd.h>
#include <sys/xattr.h>
#include <linux/capability.h>
#include <linux/io_uring.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "common.h"

#define H(x) CHECMATE_HOOK_##x
#define DIR3 "/tmp/checmate-h3"
#define FILE3 DIR3 "/f"
#define SUB3 DIR3 "/d"
#define MNT3 "/tmp/checmate-h3-mnt"

/* Room for any context, then the run count. */
struct record {
	union {
		struct checmate_inode_ctx i;
		struct checmate_file_ctx f;
		struct checmate_sock_ctx s;
		struct checmate_exec_ctx e;
		struct checmate_mount_ctx m;
		struct checmate_task_ctx t;
		struct checmate_kernel_ctx k;
		char raw[512];
	};
	__u64 runs;
};

static int ctx_size(unsigned int hook)
{
	switch (hook) {
	case H(PATH_UNLINK): case H(PATH_RMDIR): case H(PATH_TRUNCATE):
	case H(PATH_CHMOD): case H(PATH_CHOWN):
		return sizeof(struct checmate_inode_ctx);
	case H(FILE_TRUNCATE): case H(FILE_IOCTL): case H(FILE_IOCTL_COMPAT):
	case H(FILE_RECEIVE):
		return sizeof(struct checmate_file_ctx);
	case H(SOCKET_SETSOCKOPT): case H(NETLINK_SEND):
		return sizeof(struct checmate_sock_ctx);
	case H(BPRM_CREDS_FOR_EXEC):
		return sizeof(struct checmate_exec_ctx);
	case H(FILE_SEND_SIGIOTASK): case H(TASK_SETNICE): case H(TASK_SETSCHEDULER):
		return sizeof(struct checmate_task_ctx);
	case H(INODE_SETXATTR): case H(INODE_FOLLOW_LINK): case H(INODE_REMOVEXATTR):
	case H(INODE_SET_ACL): case H(INODE_REMOVE_ACL):
		return sizeof(struct checmate_inode_ctx);
	case H(INODE_INIT_SECURITY_ANON): case H(BPF):
		return sizeof(struct checmate_kernel_ctx);
	}
	return sizeof(struct checmate_mount_ctx);
}

/*
 * For the caller @tgid: copy the context into @map, count the run and
 * return @ret; 0 for everyone else.
 */
static int load_copy(unsigned int hook, int map, int tgid, int ret)
{
	struct bpf_insn insns[256] = {};
	int n = 0, skip[2];

	insns[n++] = MOV64_REG(6, 1);
	insns[n++] = CALL(BPF_FUNC_get_current_pid_tgid);
	insns[n++] = RSH64_IMM(0, 32);
	skip[0] = n;
	insns[n++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 0, 0, 0, tgid);
	n = emit_copy_tail(insns, n, map, ctx_size(hook), offsetof(struct record, runs), ret,
			   skip, 1);
	return load_prog(hook, insns, n);
}

FIXTURE(h3) {
	int map, prog;
	unsigned int hook;
};

FIXTURE_SETUP(h3)
{
	self->map = cm_map_create(BPF_MAP_TYPE_ARRAY, sizeof(struct record), 1, 0, 0);
	ASSERT_LE(0, self->map);
	self->prog = -1;
	mkdir(DIR3, 0755);
	close(open(FILE3, O_CREAT | O_WRONLY | O_TRUNC, 0644));
	ASSERT_EQ(0, truncate(FILE3, 100));
	mkdir(SUB3, 0755);
}

static void detach(struct _test_data_h3 *self)
{
	if (self->prog >= 0) {
		cm_detach(self->hook, self->prog);
		close(self->prog);
		self->prog = -1;
	}
}

FIXTURE_TEARDOWN(h3)
{
	detach(self);
	close(self->map);
	unlink(FILE3);
	rmdir(SUB3);
	rmdir(DIR3);
}

/* Attach a copy program for this process to @hook, its record zeroed. */
static int attach(struct _test_data_h3 *self, unsigned int hook, int ret)
{
	struct record r;

	detach(self);
	memset(&r, 0, sizeof(r));
	self->hook = hook;
	self->prog = load_copy(hook, self->map, getpid(), ret);
	if (self->prog < 0 || cm_map_elem(BPF_MAP_UPDATE_ELEM, self->map, 0, &r) ||
	    cm_attach(hook, self->prog)) {
		fprintf(stderr, "# hook %u: %s\n%s\n", hook, strerror(errno), verifier_log);
		return -1;
	}
	return 0;
}

static struct record rec(struct _test_data_h3 *self)
{
	struct record r;

	memset(&r, 0, sizeof(r));
	r.runs = -1ULL;
	cm_map_elem(BPF_MAP_LOOKUP_ELEM, self->map, 0, &r);
	return r;
}

static int err(int ret)
{
	return ret < 0 ? errno : 0;
}

/* unlink(): the name that goes and its inode; nothing else crosses it. */
TEST_F(h3, path_unlink)
{
	struct stat st, dir;
	struct record r;

	ASSERT_EQ(0, stat(FILE3, &st));
	ASSERT_EQ(0, stat(DIR3, &dir));
	ASSERT_EQ(0, attach(self, H(PATH_UNLINK), -DENY_ERRNO));
	EXPECT_EQ(DENY_ERRNO, err(unlink(FILE3)));
	EXPECT_EQ(0, access(FILE3, F_OK));
	EXPECT_EQ(DENY_ERRNO, err(unlinkat(AT_FDCWD, FILE3, 0)));
	r = rec(self);
	EXPECT_EQ(2, r.runs);
	EXPECT_EQ(st.st_ino, r.i.ino);
	EXPECT_EQ(st.st_mode, r.i.mode);
	EXPECT_EQ(1, r.i.nlink);
	EXPECT_EQ(dir.st_ino, r.i.dir_ino);
	EXPECT_EQ(dir.st_mode, r.i.dir_mode);
	EXPECT_STREQ("f", r.i.name);
	EXPECT_EQ(1, r.i.name_len);
	/* A missing name fails first; rmdir is another hook. */
	EXPECT_EQ(ENOENT, err(unlink(DIR3 "/missing")));
	EXPECT_EQ(0, err(rmdir(SUB3)));
	EXPECT_EQ(2, rec(self).runs);
	/* unlink() of a directory crosses it (EISDIR comes after). */
	ASSERT_EQ(0, mkdir(SUB3, 0755));
	EXPECT_EQ(DENY_ERRNO, err(unlink(SUB3)));
	EXPECT_TRUE(S_ISDIR(rec(self).i.mode));
	detach(self);
	EXPECT_EQ(EISDIR, err(unlink(SUB3)));
	EXPECT_EQ(0, err(unlink(FILE3)));
}

/* rmdir() and unlinkat(AT_REMOVEDIR). */
TEST_F(h3, path_rmdir)
{
	struct stat st;
	struct record r;

	ASSERT_EQ(0, stat(SUB3, &st));
	ASSERT_EQ(0, attach(self, H(PATH_RMDIR), -DENY_ERRNO));
	EXPECT_EQ(DENY_ERRNO, err(rmdir(SUB3)));
	EXPECT_EQ(DENY_ERRNO, err(unlinkat(AT_FDCWD, SUB3, AT_REMOVEDIR)));
	EXPECT_EQ(0, access(SUB3, F_OK));
	r = rec(self);
	EXPECT_EQ(2, r.runs);
	EXPECT_EQ(st.st_ino, r.i.ino);
	EXPECT_TRUE(S_ISDIR(r.i.mode));
	EXPECT_STREQ("d", r.i.name);
	/* unlink of a file: not this hook. */
	EXPECT_EQ(0, err(unlink(FILE3)));
	EXPECT_EQ(2, rec(self).runs);
}

/*
 * truncate(2) crosses path_truncate; ftruncate(2) and O_TRUNC cross
 * file_truncate: every way of truncating is seen by one of them.
 */
TEST_F(h3, truncate_every_path)
{
	struct stat st;
	struct record r;
	int fd = open(FILE3, O_RDWR);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, stat(FILE3, &st));
	ASSERT_EQ(0, attach(self, H(PATH_TRUNCATE), -DENY_ERRNO));
	EXPECT_EQ(DENY_ERRNO, err(truncate(FILE3, 0)));
	r = rec(self);
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(st.st_ino, r.i.ino);
	EXPECT_EQ(r.i.dev, st.st_dev);
	EXPECT_EQ(0, err(ftruncate(fd, 50)));
	EXPECT_EQ(1, rec(self).runs);

	ASSERT_EQ(0, attach(self, H(FILE_TRUNCATE), -DENY_ERRNO));
	EXPECT_EQ(DENY_ERRNO, err(ftruncate(fd, 0)));
	EXPECT_EQ(DENY_ERRNO, err(open(FILE3, O_WRONLY | O_TRUNC)));
	r = rec(self);
	EXPECT_EQ(2, r.runs);
	EXPECT_EQ(st.st_ino, r.f.ino);
	/* f_flags as the file is open: the kernel drops O_TRUNC at open. */
	EXPECT_EQ(O_WRONLY, r.f.flags & (O_ACCMODE | O_TRUNC));
	EXPECT_NE(0, r.f.s_magic);
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(50, st.st_size);
	/* A new file is not truncated: no crossing. */
	close(open(DIR3 "/new", O_CREAT | O_WRONLY | O_TRUNC, 0600));
	EXPECT_EQ(2, rec(self).runs);
	unlink(DIR3 "/new");
	close(fd);
}

/* chmod(): the mode the inode gets; fchmod and fchmodat too. */
TEST_F(h3, path_chmod)
{
	struct stat st;
	struct record r;
	int fd = open(FILE3, O_RDONLY);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, attach(self, H(PATH_CHMOD), -DENY_ERRNO));
	EXPECT_EQ(DENY_ERRNO, err(chmod(FILE3, 04755)));
	r = rec(self);
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(S_IFREG | 0644, r.i.mode);
	EXPECT_EQ(S_IFREG | 04755, r.i.new_mode);
	EXPECT_EQ(DENY_ERRNO, err(fchmod(fd, 0600)));
	EXPECT_EQ(DENY_ERRNO, err(fchmodat(AT_FDCWD, FILE3, 0600, 0)));
	EXPECT_EQ(3, rec(self).runs);
	EXPECT_EQ(S_IFREG | 0600, rec(self).i.new_mode);
	ASSERT_EQ(0, stat(FILE3, &st));
	EXPECT_EQ(S_IFREG | 0644, st.st_mode);
	detach(self);
	EXPECT_EQ(0, err(chmod(FILE3, 0600)));
	close(fd);
}

/* chown(): the owner it gets, 0xffffffff for "unchanged". */
TEST_F(h3, path_chown)
{
	struct stat st;
	struct record r;

	ASSERT_EQ(0, attach(self, H(PATH_CHOWN), -DENY_ERRNO));
	EXPECT_EQ(DENY_ERRNO, err(chown(FILE3, 1234, -1)));
	r = rec(self);
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(1234, r.i.new_uid);
	EXPECT_EQ(0xffffffffU, r.i.new_gid);
	EXPECT_EQ(0, r.i.uid);
	EXPECT_EQ(DENY_ERRNO, err(lchown(FILE3, -1, 99)));
	r = rec(self);
	EXPECT_EQ(0xffffffffU, r.i.new_uid);
	EXPECT_EQ(99, r.i.new_gid);
	ASSERT_EQ(0, stat(FILE3, &st));
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(0, st.st_gid);
}

/* ioctl(): every request, the generic ones included, with its number. */
TEST_F(h3, file_ioctl)
{
	struct stat st;
	struct record r;
	int fd = open("/dev/null", O_RDONLY), n;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_EQ(0, attach(self, H(FILE_IOCTL), -DENY_ERRNO));
	EXPECT_EQ(DENY_ERRNO, err(ioctl(fd, FIONREAD, &n)));
	r = rec(self);
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(FIONREAD, r.f.cmd);
	EXPECT_EQ(st.st_ino, r.f.ino);
	EXPECT_EQ(st.st_rdev, r.f.rdev);
	EXPECT_EQ(DENY_ERRNO, err(ioctl(fd, FIOCLEX)));
	EXPECT_EQ(FIOCLEX, rec(self).f.cmd);
	/* fcntl() is not an ioctl. */
	EXPECT_EQ(0, err(fcntl(fd, F_SETFD, FD_CLOEXEC)));
	EXPECT_EQ(2, rec(self).runs);
	close(fd);
}

/* Send @fd over a socketpair and receive it: the new fd or -errno. */
static int pass_fd(int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {}, c = 'x';
	struct iovec iov = { &c, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	int sv[2], got = -EIO;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return -errno;
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (sendmsg(sv[0], &m, 0) == 1) {
		memset(cbuf, 0, sizeof(cbuf));
		m.msg_controllen = sizeof(cbuf);
		if (recvmsg(sv[1], &m, 0) < 0)
			got = -errno;
		else if (m.msg_flags & MSG_CTRUNC)
			got = -EPERM;	/* the kernel dropped the fd */
		else if (CMSG_FIRSTHDR(&m))
			memcpy(&got, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof(int));
	}
	close(sv[0]);
	close(sv[1]);
	return got;
}

/* SCM_RIGHTS: the received file; a denial drops it (MSG_CTRUNC). */
TEST_F(h3, file_receive)
{
	struct stat st;
	struct record r;
	int fd = open(FILE3, O_RDONLY), got;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_EQ(0, attach(self, H(FILE_RECEIVE), -DENY_ERRNO));
	EXPECT_EQ(-EPERM, pass_fd(fd));
	r = rec(self);
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(st.st_ino, r.f.ino);
	EXPECT_EQ(O_RDONLY, r.f.flags & O_ACCMODE);
	detach(self);
	got = pass_fd(fd);
	EXPECT_LE(0, got);
	close(got);
	close(fd);
}

/* setsockopt(): level and option name, and the socket's address. */
TEST_F(h3, socket_setsockopt)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	struct record r;
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	ASSERT_LE(0, s);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_EQ(0, bind(s, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, getsockname(s, (struct sockaddr *)&sin, &len));
	ASSERT_EQ(0, attach(self, H(SOCKET_SETSOCKOPT), -DENY_ERRNO));
	EXPECT_EQ(DENY_ERRNO, err(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one))));
	r = rec(self);
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(SOL_SOCKET, r.s.arg);
	EXPECT_EQ(SO_REUSEADDR, r.s.flags);
	EXPECT_EQ(ntohs(sin.sin_port), r.s.local_port);
	EXPECT_EQ(htonl(INADDR_LOOPBACK), r.s.local_ip4);
	EXPECT_EQ(DENY_ERRNO, err(setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one))));
	r = rec(self);
	EXPECT_EQ(IPPROTO_TCP, r.s.arg);
	EXPECT_EQ(TCP_NODELAY, r.s.flags);
	/* getsockopt is not setsockopt. */
	len = sizeof(one);
	EXPECT_EQ(0, err(getsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, &len)));
	EXPECT_EQ(2, rec(self).runs);
	close(s);
}

#define SCRIPT DIR3 "/script"

/* fork + execve(@path): the child's exit status, or 128 + errno. */
static int run(const char *path)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		execl(path, path, (char *)NULL);
		_exit(128 + errno);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/*
 * execve(): once per execution, with the file named (a script, not its
 * interpreter), by the task that calls execve().
 */
TEST_F(h3, bprm_creds_for_exec)
{
	struct record r;
	struct stat st;
	int fd = open(SCRIPT, O_CREAT | O_WRONLY | O_TRUNC, 0755);

	ASSERT_LE(0, fd);
	ASSERT_EQ(16, write(fd, "#!/bin/sh\nexit 7", 16));
	close(fd);
	ASSERT_EQ(0, stat(SCRIPT, &st));
	ASSERT_EQ(7, run(SCRIPT));
	/* The program sees the child: filter on nothing but count. */
	detach(self);
	self->hook = H(BPRM_CREDS_FOR_EXEC);
	{
		struct record z;
		struct bpf_insn insns[256] = {};
		int n = 0, skip[2];

		insns[n++] = MOV64_REG(6, 1);
		/* Only the script (its inode): children of other tests exec too. */
		insns[n++] = LDX_MEM(BPF_DW, 2, 6, offsetof(struct checmate_exec_ctx, ino));
		skip[0] = n;
		insns[n++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 2, 0, 0, st.st_ino);
		n = emit_copy_tail(insns, n, self->map, sizeof(struct checmate_exec_ctx),
				   offsetof(struct record, runs), -DENY_ERRNO, skip, 1);
		memset(&z, 0, sizeof(z));
		self->prog = load_prog(self->hook, insns, n);
		ASSERT_LE(0, self->prog) TH_LOG("%s", verifier_log);
		ASSERT_EQ(0, cm_map_elem(BPF_MAP_UPDATE_ELEM, self->map, 0, &z));
		ASSERT_EQ(0, cm_attach(self->hook, self->prog));
	}
	EXPECT_EQ(128 + DENY_ERRNO, run(SCRIPT));
	r = rec(self);
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(st.st_ino, r.e.ino);
	EXPECT_EQ(S_IFREG | 0755, r.e.mode);
	EXPECT_EQ(0, r.e.euid);
	detach(self);
	EXPECT_EQ(7, run(SCRIPT));
	unlink(SCRIPT);
}

/* mount -o remount and fsconfig(RECONFIGURE): the superblock as it is. */
TEST_F(h3, sb_remount)
{
	struct record r;
	struct stat st;
	int fs;

	mkdir(MNT3, 0755);
	ASSERT_EQ(0, mount("none", MNT3, "tmpfs", 0, NULL));
	ASSERT_EQ(0, stat(MNT3, &st));
	ASSERT_EQ(0, attach(self, H(SB_REMOUNT), -DENY_ERRNO));
	EXPECT_EQ(DENY_ERRNO, err(mount("none", MNT3, NULL, MS_REMOUNT | MS_RDONLY, NULL)));
	r = rec(self);
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(TMPFS_MAGIC, r.m.s_magic);
	EXPECT_STREQ("tmpfs", r.m.fstype);
	EXPECT_EQ(st.st_ino, r.m.ino);
	EXPECT_EQ(0, r.m.flags & MS_RDONLY);
	/* Still writable. */
	EXPECT_EQ(0, access(MNT3, W_OK));
	/* The new mount API's reconfiguration. */
	fs = fspick(AT_FDCWD, MNT3, 0);
	ASSERT_LE(0, fs);
	EXPECT_EQ(0, err(fsconfig(fs, FSCONFIG_SET_FLAG, "ro", NULL, 0)));
	EXPECT_EQ(DENY_ERRNO, err(fsconfig(fs, FSCONFIG_CMD_RECONFIGURE, NULL, NULL, 0)));
	EXPECT_EQ(2, rec(self).runs);
	close(fs);
	/* A bind remount changes per-mount flags: not this hook. */
	EXPECT_EQ(0, err(mount("none", MNT3, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL)));
	EXPECT_EQ(2, rec(self).runs);
	detach(self);
	EXPECT_EQ(0, umount(MNT3));
	rmdir(MNT3);
}

/*
 * A program for file_send_sigiotask, called in interrupt context where
 * current means nothing: copies the context and returns @ret when the
 * signalled task (the context's pid) is @pid.
 */
static int load_copy_target(int map, int pid, int ret)
{
	struct bpf_insn insns[256] = {};
	int n = 0, skip[2];

	insns[n++] = MOV64_REG(6, 1);
	insns[n++] = LDX_MEM(BPF_W, 2, 6, offsetof(struct checmate_task_ctx, pid));
	skip[0] = n;
	insns[n++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 2, 0, 0, pid);
	n = emit_copy_tail(insns, n, map, sizeof(struct checmate_task_ctx),
			   offsetof(struct record, runs), ret, skip, 1);
	return load_prog(H(FILE_SEND_SIGIOTASK), insns, n);
}

/* Is SIGIO pending for this (blocking) process? Takes it if so. */
static int sigio_pending(void)
{
	struct timespec zero = { 0, 0 };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGIO);
	return sigtimedwait(&set, NULL, &zero) == SIGIO;
}

/*
 * O_ASYNC I/O signals the file's owner (F_SETOWN) without kill(2): the
 * signal crosses file_send_sigiotask, and a denial keeps it from coming.
 */
TEST_F(h3, file_send_sigiotask)
{
	struct record r;
	struct stat st;
	sigset_t set;
	int sv[2];

	sigemptyset(&set);
	sigaddset(&set, SIGIO);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &set, NULL));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ASSERT_EQ(0, fstat(sv[0], &st));
	ASSERT_EQ(0, fcntl(sv[0], F_SETOWN, getpid()));
	ASSERT_EQ(0, fcntl(sv[0], F_SETFL, O_ASYNC));
	ASSERT_EQ(1, write(sv[1], "x", 1));
	EXPECT_TRUE(sigio_pending());

	self->hook = H(FILE_SEND_SIGIOTASK);
	self->prog = load_copy_target(self->map, getpid(), -DENY_ERRNO);
	ASSERT_LE(0, self->prog) TH_LOG("%s", verifier_log);
	ASSERT_EQ(0, cm_attach(self->hook, self->prog));
	ASSERT_EQ(1, write(sv[1], "x", 1));
	EXPECT_FALSE(sigio_pending());
	r = rec(self);
	EXPECT_LE(1, r.runs);
	EXPECT_EQ(getpid(), r.t.pid);
	EXPECT_EQ(SIGIO, r.t.arg);
	EXPECT_EQ(0, r.t.sender_uid);
	EXPECT_EQ(0, r.t.sender_tgid);
	EXPECT_EQ(st.st_ino, r.t.ino);
	/* F_SETSIG: the signal that will be sent. */
	ASSERT_EQ(0, fcntl(sv[0], F_SETSIG, SIGUSR1));
	ASSERT_EQ(1, write(sv[1], "x", 1));
	EXPECT_EQ(SIGUSR1, rec(self).t.arg);
	detach(self);
	ASSERT_EQ(0, fcntl(sv[0], F_SETSIG, 0));
	ASSERT_EQ(1, write(sv[1], "x", 1));
	EXPECT_TRUE(sigio_pending());
	close(sv[0]);
	close(sv[1]);
	ASSERT_EQ(0, sigprocmask(SIG_UNBLOCK, &set, NULL));
}

/* setpriority() and nice(): the task and its new nice value. */
TEST_F(h3, task_setnice)
{
	struct record r;

	ASSERT_EQ(0, attach(self, H(TASK_SETNICE), -DENY_ERRNO));
	EXPECT_EQ(DENY_ERRNO, err(setpriority(PRIO_PROCESS, 0, 5)));
	r = rec(self);
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(getpid(), r.t.pid);
	EXPECT_EQ(5, (int)r.t.arg);
	EXPECT_EQ(0, getpriority(PRIO_PROCESS, 0));
	errno = 0;
	EXPECT_EQ(-1, nice(3));
	EXPECT_EQ(DENY_ERRNO, errno);
	EXPECT_EQ(3, (int)rec(self).t.arg);
	detach(self);
	EXPECT_EQ(0, err(setpriority(PRIO_PROCESS, 0, 1)));
	EXPECT_EQ(0, err(setpriority(PRIO_PROCESS, 0, 0)));
}

/* setxattr(): the attribute's name, size and flags; file capabilities. */
TEST_F(h3, inode_setxattr)
{
	/* A valid value: the kernel checks the format before the LSMs. */
	struct vfs_cap_data caps = {
		.magic_etc = VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE,
		.data = { { .permitted = 1U << CAP_NET_RAW } },
	};
	struct record r;
	struct stat st;

	ASSERT_EQ(0, stat(FILE3, &st));
	ASSERT_EQ(0, attach(self, H(INODE_SETXATTR), -DENY_ERRNO));
	EXPECT_EQ(DENY_ERRNO, err(setxattr(FILE3, "user.checmate", "v", 1, XATTR_CREATE)));
	r = rec(self);
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(st.st_ino, r.i.ino);
	EXPECT_STREQ("user.checmate", r.i.name2);
	EXPECT_EQ(13, r.i.name2_len);
	EXPECT_EQ(1, r.i.size);
	EXPECT_EQ(XATTR_CREATE, r.i.flags);
	/* File capabilities: set-user-ID by another name. */
	EXPECT_EQ(DENY_ERRNO, err(setxattr(FILE3, "security.capability", &caps, sizeof(caps), 0)));
	r = rec(self);
	EXPECT_STREQ("security.capability", r.i.name2);
	EXPECT_EQ(sizeof(caps), r.i.size);
	EXPECT_EQ(-1, getxattr(FILE3, "security.capability", NULL, 0));
	detach(self);
	EXPECT_EQ(0, err(setxattr(FILE3, "user.checmate", "v", 1, XATTR_CREATE)));
	EXPECT_EQ(0, err(setxattr(FILE3, "security.capability", &caps, sizeof(caps), 0)));
}

/* io_uring_setup() and userfaultfd(): "secure" anonymous inodes. */
TEST_F(h3, inode_init_security_anon)
{
	struct io_uring_params p;
	struct record r;
	int fd;

	ASSERT_EQ(0, attach(self, H(INODE_INIT_SECURITY_ANON), -DENY_ERRNO));
	memset(&p, 0, sizeof(p));
	EXPECT_EQ(-1, syscall(SYS_io_uring_setup, 4, &p));
	EXPECT_EQ(DENY_ERRNO, errno);
	r = rec(self);
	EXPECT_EQ(1, r.runs);
	EXPECT_STREQ("[io_uring]", r.k.name);
	EXPECT_EQ(10, r.k.name_len);
	EXPECT_EQ(getpid(), r.k.pid);
	/* userfaultfd(2): "[userfaultfd]". */
	EXPECT_EQ(-1, syscall(SYS_userfaultfd, O_CLOEXEC));
	EXPECT_EQ(DENY_ERRNO, errno);
	r = rec(self);
	EXPECT_EQ(2, r.runs);
	EXPECT_STREQ("[userfaultfd]", r.k.name);
	/* An eventfd is anonymous too, but not "secure": not this hook. */
	fd = eventfd(0, 0);
	EXPECT_LE(0, fd);
	close(fd);
	EXPECT_EQ(2, rec(self).runs);
	detach(self);
	memset(&p, 0, sizeof(p));
	fd = syscall(SYS_io_uring_setup, 4, &p);
	EXPECT_LE(0, fd);
	close(fd);
}

/*
 * netlink: the first message's type and flags; a buffer of two messages
 * (the kernel handles both) says so.
 */
TEST_F(h3, netlink_send)
{
	struct {
		struct nlmsghdr h;
		struct rtgenmsg g;
		char pad[3];
	} req[2];
	struct record r;
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	ASSERT_LE(0, s);
	memset(req, 0, sizeof(req));
	for (int i = 0; i < 2; i++) {
		req[i].h.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtgenmsg));
		req[i].h.nlmsg_type = i ? RTM_GETADDR : RTM_GETLINK;
		req[i].h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		req[i].g.rtgen_family = AF_UNSPEC;
	}
	ASSERT_EQ(0, attach(self, H(NETLINK_SEND), -DENY_ERRNO));
	EXPECT_EQ(DENY_ERRNO, err(send(s, &req[0], sizeof(req[0]), 0)));
	r = rec(self);
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(AF_NETLINK, r.s.family);
	EXPECT_EQ(NETLINK_ROUTE, r.s.protocol);
	EXPECT_EQ(RTM_GETLINK, r.s.arg);
	EXPECT_EQ(NLM_F_REQUEST | NLM_F_DUMP, r.s.flags);
	EXPECT_EQ(0, r.s.info & CHECMATE_SOCK_F_NL_BATCH);
	EXPECT_EQ(own_cgroup_id(), r.s.cgroup_id);
	EXPECT_EQ(DENY_ERRNO, err(send(s, req, sizeof(req), 0)));
	r = rec(self);
	EXPECT_EQ(RTM_GETLINK, r.s.arg);
	EXPECT_NE(0, r.s.info & CHECMATE_SOCK_F_NL_BATCH);
	detach(self);
	EXPECT_EQ(sizeof(req[0]), send(s, &req[0], sizeof(req[0]), 0));
	close(s);
}

/*
 * For this process and bpf(2) command @cmd only (the test's own map reads
 * are bpf(2) commands too): copy the context, count, return @ret.
 */
static int load_copy_bpf_cmd(int map, int cmd, int ret)
{
	struct bpf_insn insns[256] = {};
	int n = 0, skip[3];

	insns[n++] = MOV64_REG(6, 1);
	insns[n++] = CALL(BPF_FUNC_get_current_pid_tgid);
	insns[n++] = RSH64_IMM(0, 32);
	skip[0] = n;
	insns[n++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 0, 0, 0, getpid());
	insns[n++] = LDX_MEM(BPF_W, 2, 6, offsetof(struct checmate_kernel_ctx, bpf_cmd));
	skip[1] = n;
	insns[n++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 2, 0, 0, cmd);
	n = emit_copy_tail(insns, n, map, sizeof(struct checmate_kernel_ctx),
			   offsetof(struct record, runs), ret, skip, 2);
	return load_prog(H(BPF), insns, n);
}

/* bpf(2): the command and what it creates or loads. */
TEST_F(h3, bpf)
{
	struct record r;
	int fd;

	self->hook = H(BPF);
	self->prog = load_copy_bpf_cmd(self->map, BPF_MAP_CREATE, -DENY_ERRNO);
	ASSERT_LE(0, self->prog) TH_LOG("%s", verifier_log);
	ASSERT_EQ(0, cm_attach(self->hook, self->prog));
	EXPECT_EQ(-1, cm_map_create(BPF_MAP_TYPE_HASH, 8, 4, 0, 0));
	EXPECT_EQ(DENY_ERRNO, errno);
	r = rec(self);
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(BPF_MAP_CREATE, r.k.bpf_cmd);
	EXPECT_EQ(BPF_MAP_TYPE_HASH, r.k.bpf_map_type);
	EXPECT_EQ(0, r.k.bpf_prog_type);
	EXPECT_EQ(getpid(), r.k.pid);
	detach(self);

	/* A Checmate program is BPF_PROG_TYPE_CHECMATE, its hook the type. */
	memset(&r, 0, sizeof(r));
	ASSERT_EQ(0, cm_map_elem(BPF_MAP_UPDATE_ELEM, self->map, 0, &r));
	self->prog = load_copy_bpf_cmd(self->map, BPF_PROG_LOAD, -DENY_ERRNO);
	ASSERT_LE(0, self->prog) TH_LOG("%s", verifier_log);
	ASSERT_EQ(0, cm_attach(self->hook, self->prog));
	fd = load_ret(H(FILE_OPEN), 0);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(DENY_ERRNO, errno);
	r = rec(self);
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(BPF_PROG_LOAD, r.k.bpf_cmd);
	EXPECT_EQ(BPF_PROG_TYPE_CHECMATE, r.k.bpf_prog_type);
	EXPECT_EQ(H(FILE_OPEN), r.k.bpf_attach_type);
	EXPECT_EQ(0, r.k.info & CHECMATE_KERNEL_F_BPF_TOKEN);
	/* Checmate's own operations are prctl(), not bpf(2). */
	EXPECT_EQ(0, cm_detach(self->hook, self->prog));
	close(self->prog);
	self->prog = -1;
	fd = load_ret(H(FILE_OPEN), 0);
	EXPECT_LE(0, fd);
	close(fd);
}

#define LINK3 DIR3 "/l"

/* A path through a symlink crosses it; lstat() and readlink() do not. */
TEST_F(h3, inode_follow_link)
{
	struct stat st, dir;
	struct record r;
	char buf[16];

	ASSERT_EQ(0, symlink("f", LINK3));
	ASSERT_EQ(0, lstat(LINK3, &st));
	ASSERT_EQ(0, stat(DIR3, &dir));
	ASSERT_EQ(0, attach(self, H(INODE_FOLLOW_LINK), -DENY_ERRNO));
	EXPECT_EQ(DENY_ERRNO, err(open(LINK3, O_RDONLY)));
	r = rec(self);
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(st.st_ino, r.i.ino);
	EXPECT_EQ(S_IFLNK | 0777, r.i.mode);
	EXPECT_EQ(dir.st_ino, r.i.dir_ino);
	EXPECT_EQ(dir.st_mode, r.i.dir_mode);
	EXPECT_EQ(r.i.dev, st.st_dev);
	EXPECT_EQ(DENY_ERRNO, err(stat(LINK3, &st)));
	EXPECT_EQ(0, err(lstat(LINK3, &st)));
	EXPECT_EQ(1, readlink(LINK3, buf, sizeof(buf)));
	EXPECT_EQ(2, rec(self).runs);
	detach(self);
	EXPECT_EQ(0, err(stat(LINK3, &st)));
	unlink(LINK3);
}

/* removexattr(): the name removed. */
TEST_F(h3, inode_removexattr)
{
	struct record r;

	ASSERT_EQ(0, setxattr(FILE3, "user.gone", "v", 1, 0));
	ASSERT_EQ(0, attach(self, H(INODE_REMOVEXATTR), -DENY_ERRNO));
	EXPECT_EQ(DENY_ERRNO, err(removexattr(FILE3, "user.gone")));
	r = rec(self);
	EXPECT_EQ(1, r.runs);
	EXPECT_STREQ("user.gone", r.i.name2);
	EXPECT_EQ(0, r.i.size);
	EXPECT_EQ(1, getxattr(FILE3, "user.gone", NULL, 0));
	detach(self);
	EXPECT_EQ(0, err(removexattr(FILE3, "user.gone")));
}

/*
 * setxattr() of a POSIX ACL is turned into an ACL before the LSMs see it:
 * inode_set_acl, with the number of entries; removing it, inode_remove_acl.
 * (The test kernel's tmpfs has no ACLs: without the program the kernel
 * answers EOPNOTSUPP, after the hook.)
 */
TEST_F(h3, inode_set_and_remove_acl)
{
	/* posix_acl_xattr: version 2, then (tag, perm, id) entries. */
	const struct {
		__u32 version;
		struct { __u16 tag, perm; __u32 id; } e[3];
	} acl = { 2, { { 0x01, 6, -1 }, { 0x04, 4, -1 }, { 0x20, 4, -1 } } };
	struct record r;

	ASSERT_EQ(0, attach(self, H(INODE_SET_ACL), -DENY_ERRNO));
	EXPECT_EQ(DENY_ERRNO, err(setxattr(FILE3, "system.posix_acl_access", &acl,
					   sizeof(acl), 0)));
	r = rec(self);
	EXPECT_EQ(1, r.runs);
	EXPECT_STREQ("system.posix_acl_access", r.i.name2);
	EXPECT_EQ(3, r.i.size);
	ASSERT_EQ(0, attach(self, H(INODE_REMOVE_ACL), -DENY_ERRNO));
	EXPECT_EQ(DENY_ERRNO, err(removexattr(FILE3, "system.posix_acl_default")));
	r = rec(self);
	EXPECT_EQ(1, r.runs);
	EXPECT_STREQ("system.posix_acl_default", r.i.name2);
	detach(self);
	EXPECT_NE(DENY_ERRNO, err(setxattr(FILE3, "system.posix_acl_access", &acl,
					   sizeof(acl), 0)));
}

/* sched_setaffinity() and sched_setscheduler(): the task concerned. */
TEST_F(h3, task_setscheduler)
{
	struct sched_param sp = { 0 };
	struct record r;
	cpu_set_t set;

	ASSERT_EQ(0, sched_getaffinity(0, sizeof(set), &set));
	ASSERT_EQ(0, attach(self, H(TASK_SETSCHEDULER), -DENY_ERRNO));
	EXPECT_EQ(DENY_ERRNO, err(sched_setaffinity(0, sizeof(set), &set)));
	r = rec(self);
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(getpid(), r.t.pid);
	EXPECT_EQ(DENY_ERRNO, err(sched_setscheduler(0, SCHED_OTHER, &sp)));
	EXPECT_EQ(2, rec(self).runs);
	/* nice() is task_setnice. */
	EXPECT_EQ(0, nice(0));
	EXPECT_EQ(2, rec(self).runs);
	detach(self);
	EXPECT_EQ(0, err(sched_setaffinity(0, sizeof(set), &set)));
}

/* The verifier: reads inside each context only, no writes. */
TEST(verifier_rules)
{
	for (unsigned int h = H(PATH_UNLINK); h <= H(TASK_SETSCHEDULER); h++) {
		const struct bpf_insn past[] = {
			LDX_MEM(BPF_W, 0, 1, ctx_size(h)), MOV64_IMM(0, 0), EXIT(),
		};
		const struct bpf_insn last[] = {
			LDX_MEM(BPF_W, 0, 1, ctx_size(h) - 4), MOV64_IMM(0, 0), EXIT(),
		};
		const struct bpf_insn write[] = {
			ST_MEM(BPF_W, 1, 0, 1), MOV64_IMM(0, 0), EXIT(),
		};
		int fd = load_prog(h, last, 3);

		EXPECT_LE(0, fd) TH_LOG("hook %u: %s", h, verifier_log);
		close(fd);
		EXPECT_EQ(-1, load_prog(h, past, 3));
		EXPECT_EQ(EACCES, errno);
		EXPECT_EQ(-1, load_prog(h, write, 3));
		EXPECT_EQ(EACCES, errno);
	}
	EXPECT_EQ(56, sizeof(struct checmate_file_ctx));
	EXPECT_EQ(40, offsetof(struct checmate_file_ctx, cmd));
	EXPECT_EQ(sizeof(struct checmate_inode_ctx) - 16,
		  offsetof(struct checmate_inode_ctx, new_mode));
	EXPECT_EQ(65, CHECMATE_HOOK_TASK_SETSCHEDULER);
	EXPECT_EQ(sizeof(struct checmate_inode_ctx) - 4,
		  offsetof(struct checmate_inode_ctx, size));
}

TEST_HARNESS_MAIN
