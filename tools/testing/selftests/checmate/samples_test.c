// SPDX-License-Identifier: GPL-2.0
/*
 * Checmate selftests: the sample policies (samples/), each loaded by
 * checmatectl as a user would, then shown allowing what it should and
 * denying what it should with real syscalls. Each test resets the hooks it
 * used.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "common.h"

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
	int fd, ok;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", path);
	fd = open(procs, O_WRONLY);
	if (fd < 0)
		return -1;
	ok = write(fd, "0", 1) == 1;
	close(fd);
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

static int udp_connect(void *port)
{
	struct sockaddr_in sin = lo4((long)port);
	int s = socket(AF_INET, SOCK_DGRAM, 0), ret;

	ret = connect(s, (struct sockaddr *)&sin, sizeof(sin)) ? errno : 0;
	close(s);
	return ret;
}

static int udp_sendto(void *port)
{
	struct sockaddr_in sin = lo4((long)port);
	int s = socket(AF_INET, SOCK_DGRAM, 0), ret;

	ret = sendto(s, "x", 1, 0, (struct sockaddr *)&sin, sizeof(sin)) == 1 ? 0 : errno;
	close(s);
	return ret;
}

/* An IPv4 egress/ingress key: family AF_INET, port, address. */
#define KEY4(port) "u32:2,u32:" #port ",ip4:127.0.0.1,u32:0,u32:0,u32:0"

#define EGRESS_CG "/sys/fs/cgroup/egress"
#define EGRESS_PIN "/sys/fs/bpf/egress"

TEST(egress_allowlist)
{
	ASSERT_LE(0, make_cgroup(EGRESS_CG));
	mkdir(EGRESS_PIN, 0700);
	ASSERT_EQ(0, ctl("load samples/egress_allowlist.bpf.o --pin-maps " EGRESS_PIN));
	ASSERT_EQ(0, ctl("map update " EGRESS_PIN "/egress_cgroup u32:0 cgroup:" EGRESS_CG));
	ASSERT_EQ(0, ctl("map update " EGRESS_PIN "/egress_allow " KEY4(4242) " u8:1"));
	/* In the cgroup: the listed address and port only. */
	EXPECT_EQ(0, in_child(EGRESS_CG, udp_connect, (void *)4242));
	EXPECT_EQ(ECONNREFUSED, in_child(EGRESS_CG, udp_connect, (void *)4243));
	EXPECT_EQ(ECONNREFUSED, in_child(EGRESS_CG, udp_sendto, (void *)4243));
	EXPECT_EQ(0, in_child(EGRESS_CG, udp_sendto, (void *)4242));
	/* Outside it: anything. */
	EXPECT_EQ(0, in_child(NULL, udp_connect, (void *)4243));
	/* The running policy's data changes without reattaching. */
	ASSERT_EQ(0, ctl("map update " EGRESS_PIN "/egress_allow " KEY4(4243) " u8:1"));
	EXPECT_EQ(0, in_child(EGRESS_CG, udp_connect, (void *)4243));
	ASSERT_EQ(0, ctl("map delete " EGRESS_PIN "/egress_allow " KEY4(4242)));
	EXPECT_EQ(ECONNREFUSED, in_child(EGRESS_CG, udp_connect, (void *)4242));
	ASSERT_EQ(0, ctl("reset socket_connect"));
	ASSERT_EQ(0, ctl("reset socket_sendmsg"));
	EXPECT_EQ(0, in_child(EGRESS_CG, udp_connect, (void *)4242));
}

/* Connect to 127.0.0.1:@port; 0 if the handshake completes within 500 ms. */
static int tcp_handshake(void *port)
{
	struct sockaddr_in sin = lo4((long)port);
	struct pollfd p = { .events = POLLOUT };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), err = 0;
	socklen_t len = sizeof(err);

	p.fd = s;
	if (connect(s, (struct sockaddr *)&sin, sizeof(sin)) && errno != EINPROGRESS)
		err = errno;
	else if (poll(&p, 1, 500) != 1)
		err = ETIMEDOUT;
	else if (getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len))
		err = errno;
	close(s);
	return err;
}

TEST(ingress_filter)
{
	struct sockaddr_in sin = lo4(0);
	socklen_t len = sizeof(sin);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), port, c;

	ASSERT_EQ(0, bind(l, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, listen(l, 16));
	ASSERT_EQ(0, getsockname(l, (struct sockaddr *)&sin, &len));
	port = ntohs(sin.sin_port);
	mkdir("/sys/fs/bpf/ingress", 0700);
	ASSERT_EQ(0, ctl("load samples/ingress_filter.bpf.o --pin-maps /sys/fs/bpf/ingress"));
	EXPECT_EQ(0, tcp_handshake((void *)(long)port));
	ASSERT_EQ(0, ctl("map update /sys/fs/bpf/ingress/ingress_ports u32:%d u8:1", port));
	EXPECT_EQ(ETIMEDOUT, tcp_handshake((void *)(long)port));
	ASSERT_EQ(0, ctl("map update /sys/fs/bpf/ingress/ingress_allow u32:2,u32:%d,%s u8:1",
			 port, "ip4:127.0.0.1,u32:0,u32:0,u32:0"));
	EXPECT_EQ(0, tcp_handshake((void *)(long)port));
	ASSERT_EQ(0, ctl("reset inet_conn_request"));
	while ((c = accept(l, NULL, NULL)) >= 0)
		close(c);
	close(l);
}

#define RATE_CG "/sys/fs/cgroup/rate"

/* The five hooks file_rate_limit attaches to. */
static int reset_rate(void)
{
	return ctl("reset path_mknod") | ctl("reset path_mkdir") | ctl("reset path_symlink") |
	       ctl("reset path_link") | ctl("reset path_rename");
}

/* Try to create 20 files at once: how many were created (EDQUOT: + 100). */
static int create_files(void *dir)
{
	int made = 0, quota = 0;

	for (int i = 0; i < 20; i++) {
		char path[128];
		int fd;

		snprintf(path, sizeof(path), "%s/f%d", (char *)dir, i);
		fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0600);
		if (fd >= 0) {
			made++;
			close(fd);
		} else if (errno == EDQUOT) {
			quota = 1;
		}
	}
	return made + (quota ? 100 : 0);
}

TEST(file_rate_limit)
{
	long long id = make_cgroup(RATE_CG);
	int in, out;

	ASSERT_LT(0, id);
	mkdir("/tmp/rate-in", 0700);
	mkdir("/tmp/rate-out", 0700);
	mkdir("/sys/fs/bpf/rate", 0700);
	ASSERT_EQ(0, ctl("load samples/file_rate_limit.bpf.o --pin-maps /sys/fs/bpf/rate"));
	ASSERT_EQ(0, ctl("map update /sys/fs/bpf/rate/rate_config u32:0 u64:%lld,u32:5,u32:0", id));
	in = in_child(RATE_CG, create_files, "/tmp/rate-in");
	out = in_child(NULL, create_files, "/tmp/rate-out");
	TH_LOG("in the cgroup: %d created, EDQUOT %s", in % 100, in >= 100 ? "seen" : "not seen");
	/* 5 per second: a run may straddle a second boundary. */
	EXPECT_LE(100 + 5, in);
	EXPECT_GE(100 + 10, in);
	EXPECT_EQ(20, out);
	ASSERT_EQ(0, reset_rate());
}

/* Make 20 regular files with mknod(): as create_files(). */
static int mknod_files(void *dir)
{
	int made = 0, quota = 0;

	for (int i = 0; i < 20; i++) {
		char path[128];

		snprintf(path, sizeof(path), "%s/n%d", (char *)dir, i);
		if (!mknod(path, S_IFREG | 0600, 0))
			made++;
		else if (errno == EDQUOT)
			quota = 1;
	}
	return made + (quota ? 100 : 0);
}

/* Make 20 directories and 20 symlinks: how many of the 40 were made. */
static int mkdir_symlink(void *dir)
{
	int made = 0;

	for (int i = 0; i < 20; i++) {
		char path[128];

		snprintf(path, sizeof(path), "%s/d%d", (char *)dir, i);
		made += !mkdir(path, 0700);
		snprintf(path, sizeof(path), "%s/l%d", (char *)dir, i);
		made += !symlink("target", path);
	}
	return made;
}

/* mknod(S_IFREG) is limited as open(O_CREAT) is, and so are the others. */
TEST(file_rate_limit_paths)
{
	long long id = make_cgroup(RATE_CG);
	int in;

	ASSERT_LT(0, id);
	mkdir("/tmp/rate-mknod", 0700);
	mkdir("/tmp/rate-dirs", 0700);
	mkdir("/sys/fs/bpf/rate2", 0700);
	ASSERT_EQ(0, ctl("load samples/file_rate_limit.bpf.o --pin-maps /sys/fs/bpf/rate2"));
	ASSERT_EQ(0, ctl("map update /sys/fs/bpf/rate2/rate_config u32:0 u64:%lld,u32:5,u32:0",
			 id));
	in = in_child(RATE_CG, mknod_files, "/tmp/rate-mknod");
	EXPECT_LE(100 + 5, in);
	EXPECT_GE(100 + 10, in);
	/* In a second of their own. */
	sleep(1);
	in = in_child(RATE_CG, mkdir_symlink, "/tmp/rate-dirs");
	EXPECT_LE(5, in);
	EXPECT_GE(10, in);
	ASSERT_EQ(0, reset_rate());
}

#define CLOSURE_DIR "/tmp/rate-closure"
#define CLOSURE_MAX 3

static int mono_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Each kernel path that creates a name, on a name of its own (@i). */
static int create_by(int way, int i)
{
	char path[96], old[96], proc[64];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, ret;

	snprintf(path, sizeof(path), CLOSURE_DIR "/w%d-%d", way, i);
	snprintf(old, sizeof(old), CLOSURE_DIR "/src");
	switch (way) {
	case 0:
		fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0600);
		ret = fd < 0 ? errno : 0;
		close(fd);
		return ret;
	case 1:
		return mknod(path, S_IFREG | 0600, 0) ? errno : 0;
	case 2:
		return mknod(path, 0600, 0) ? errno : 0;
	case 3:
		return mknod(path, S_IFIFO | 0600, 0) ? errno : 0;
	case 4:
		return mknod(path, S_IFSOCK | 0600, 0) ? errno : 0;
	case 5:
		return mknod(path, S_IFCHR | 0600, makedev(1, 3)) ? errno : 0;
	case 6:
		return mknod(path, S_IFBLK | 0600, makedev(7, 0)) ? errno : 0;
	case 7:
		return mkdir(path, 0700) ? errno : 0;
	case 8:
		return symlink("target", path) ? errno : 0;
	case 9:
		return link(old, path) ? errno : 0;
	case 10:
		return rename(old, path) ? errno : 0;
	case 11:
		return renameat2(AT_FDCWD, old, AT_FDCWD, path, RENAME_NOREPLACE) ? errno : 0;
	case 12:
		fd = open(CLOSURE_DIR, O_TMPFILE | O_WRONLY, 0600);
		if (fd < 0)
			return 200;
		ret = linkat(fd, "", AT_FDCWD, path, AT_EMPTY_PATH) ? errno : 0;
		close(fd);
		return ret;
	case 13:
		fd = open(CLOSURE_DIR, O_TMPFILE | O_WRONLY, 0600);
		if (fd < 0)
			return 200;
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		ret = linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) ? errno : 0;
		close(fd);
		return ret;
	case 14:
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
		ret = bind(fd, (struct sockaddr *)&sun, sizeof(sun)) ? errno : 0;
		close(fd);
		return ret;
	}
	return 201;
}

#define CREATION_WAYS 15

/*
 * In the policy's cgroup: use up the second's quota with open(O_CREAT),
 * then create by way @arg in the same second; its errno (0 if created).
 */
static int past_the_limit(void *arg)
{
	int way = (long)arg;

	for (int attempt = 0; attempt < 5; attempt++) {
		int t0 = mono_sec(), ret;

		for (int i = 0; i < CLOSURE_MAX; i++)
			create_by(0, 1000 + 100 * way + 10 * attempt + i);
		ret = create_by(way, attempt);
		if (mono_sec() == t0)
			return ret;
		/*
		 * A second began meanwhile: again. A rename moved the source
		 * away: make it again (in the cgroup this counts as one of the
		 * next second's creations, before the quota is filled).
		 */
		if (way >= 9 && way <= 11 && access(CLOSURE_DIR "/src", F_OK))
			close(open(CLOSURE_DIR "/src", O_CREAT | O_WRONLY, 0600));
	}
	return 203;
}

/* Every way of creating a name is refused once the second's quota is used. */
TEST(file_rate_limit_every_creation_path)
{
	long long id = make_cgroup(RATE_CG);

	ASSERT_LT(0, id);
	mkdir(CLOSURE_DIR, 0700);
	mkdir("/sys/fs/bpf/rate3", 0700);
	ASSERT_EQ(0, ctl("load samples/file_rate_limit.bpf.o --pin-maps /sys/fs/bpf/rate3"));
	ASSERT_EQ(0, ctl("map update /sys/fs/bpf/rate3/rate_config u32:0 u64:%lld,u32:%d,u32:0",
			 id, CLOSURE_MAX));
	for (long way = 0; way < CREATION_WAYS; way++) {
		/* The source of link and rename, made outside the cgroup. */
		close(open(CLOSURE_DIR "/src", O_CREAT | O_WRONLY, 0600));
		EXPECT_EQ(EDQUOT, in_child(RATE_CG, past_the_limit, (void *)way))
			TH_LOG("way %ld", way);
		/* Outside the cgroup: no limit. */
		close(open(CLOSURE_DIR "/src", O_CREAT | O_WRONLY, 0600));
		EXPECT_EQ(0, in_child(NULL, past_the_limit, (void *)way)) TH_LOG("way %ld", way);
	}
	ASSERT_EQ(0, reset_rate());
}

#define PORTMAP_CG "/sys/fs/cgroup/portmap"

static int bound_port(void *port)
{
	struct sockaddr_in sin = lo4((long)port);
	socklen_t len = sizeof(sin);
	int s = socket(AF_INET, SOCK_STREAM, 0), ret;

	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) ||
	    getsockname(s, (struct sockaddr *)&sin, &len))
		ret = 255;
	else
		ret = ntohs(sin.sin_port) - 5000;
	close(s);
	return ret;
}

TEST(port_map)
{
	ASSERT_LE(0, make_cgroup(PORTMAP_CG));
	mkdir("/sys/fs/bpf/portmap", 0700);
	ASSERT_EQ(0, ctl("load samples/port_map.bpf.o --pin-maps /sys/fs/bpf/portmap"));
	ASSERT_EQ(0, ctl("map update /sys/fs/bpf/portmap/portmap_cgroup u32:0 cgroup:" PORTMAP_CG));
	ASSERT_EQ(0, ctl("map update /sys/fs/bpf/portmap/port_map u32:5000 u32:5007"));
	/* bound_port() answers the port bound, minus 5000. */
	EXPECT_EQ(7, in_child(PORTMAP_CG, bound_port, (void *)5000));
	EXPECT_EQ(3, in_child(PORTMAP_CG, bound_port, (void *)5003));
	EXPECT_EQ(0, in_child(NULL, bound_port, (void *)5000));
	ASSERT_EQ(0, ctl("reset socket_bind"));
}

static pid_t victim;

static int attach_victim(void *unused)
{
	if (ptrace(PTRACE_ATTACH, victim, 0, 0))
		return errno;
	waitpid(victim, NULL, 0);
	ptrace(PTRACE_DETACH, victim, 0, 0);
	return 0;
}

/* PTRACE_SEIZE the victim; the tracer's exit ends the trace. */
static int seize_victim(void *unused)
{
	return ptrace(PTRACE_SEIZE, victim, 0, 0) ? errno : 0;
}

/* Fork a child and PTRACE_SEIZE it: a descendant. */
static int seize_own_child(void *unused)
{
	pid_t c = fork();
	int ret;

	if (c == 0) {
		pause();
		_exit(0);
	}
	if (c < 0)
		return 100;
	ret = ptrace(PTRACE_SEIZE, c, 0, 0) ? errno : 0;
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);
	return ret;
}

/*
 * The read-mode checks (PTRACE_MODE_READ) behind /proc/PID files: read
 * environ (mm_access()), readlink exe (proc_fd_access_allowed()).
 */
static int read_victim_proc(void *unused)
{
	char path[64], buf[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/environ", victim);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return errno;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return 100 + errno;
	snprintf(path, sizeof(path), "/proc/%d/exe", victim);
	return readlink(path, buf, sizeof(buf)) < 0 ? 150 + errno : 0;
}

/* /proc/PID/mem: an attach-mode check (PTRACE_MODE_ATTACH_FSCREDS). */
static int open_victim_mem(void *unused)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", victim);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

TEST(yama_ptrace_scope_1)
{
	victim = fork();
	if (victim == 0) {
		pause();
		_exit(0);
	}
	ASSERT_LT(0, victim);
	ASSERT_EQ(0, ctl("load samples/yama_ptrace.bpf.o"));
	/* The parent may trace its child... */
	EXPECT_EQ(0, attach_victim(NULL));
	EXPECT_EQ(0, open_victim_mem(NULL));
	EXPECT_EQ(0, in_child(NULL, seize_own_child, NULL));
	/* ...a sibling may not attach, by any way of attaching... */
	EXPECT_EQ(EPERM, in_child(NULL, attach_victim, NULL));
	EXPECT_EQ(EPERM, in_child(NULL, seize_victim, NULL));
	EXPECT_EQ(EACCES, in_child(NULL, open_victim_mem, NULL));
	/* ...but the read-mode checks stay Yama's scope 1: allowed. */
	EXPECT_EQ(0, in_child(NULL, read_victim_proc, NULL));
	ASSERT_EQ(0, ctl("delete yama_ptrace"));
	EXPECT_EQ(0, in_child(NULL, attach_victim, NULL));
	EXPECT_EQ(0, in_child(NULL, seize_victim, NULL));
	EXPECT_EQ(0, in_child(NULL, open_victim_mem, NULL));
	kill(victim, SIGKILL);
	waitpid(victim, NULL, 0);
}

/* Fork a sibling that PTRACE_SEIZEs the victim when told to. */
static pid_t tracer_on_go(int go[2])
{
	pid_t pid;
	char c;

	if (pipe(go))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(go[1]);
		_exit(read(go[0], &c, 1) == 1 ? seize_victim(NULL) : 100);
	}
	close(go[0]);
	return pid;
}

/* Tell the tracer to go: 0 if it attached, else its errno. */
static int tracer_go(pid_t pid, int go[2])
{
	int status, ok = write(go[1], "g", 1) == 1;

	close(go[1]);
	if (!ok || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* The victim's prctl(PR_SET_PTRACER, @arg): its result. */
static int name_tracer(int cmd[2], int ack[2], unsigned long arg)
{
	int ret;

	if (write(cmd[1], &arg, sizeof(arg)) != sizeof(arg) ||
	    read(ack[0], &ret, sizeof(ret)) != sizeof(ret))
		return -1;
	return ret;
}

/*
 * Yama's API: a process names its tracer with prctl(PR_SET_PTRACER); the
 * sample lets that tracer (or anyone, PR_SET_PTRACER_ANY) attach, and no
 * one else; 0 takes the exception back.
 */
TEST(yama_ptrace_set_ptracer)
{
	int cmd[2], ack[2], go[2];
	unsigned long arg;
	pid_t t;

	ASSERT_EQ(0, pipe(cmd));
	ASSERT_EQ(0, pipe(ack));
	victim = fork();
	if (victim == 0) {
		while (read(cmd[0], &arg, sizeof(arg)) == sizeof(arg)) {
			int ret = prctl(PR_SET_PTRACER, arg, 0, 0, 0) ? errno : 0;

			if (write(ack[1], &ret, sizeof(ret)) != sizeof(ret))
				break;
		}
		_exit(0);
	}
	ASSERT_LT(0, victim);
	ASSERT_EQ(0, ctl("load samples/yama_ptrace.bpf.o"));

	t = tracer_on_go(go);
	ASSERT_LT(0, t);
	EXPECT_EQ(0, name_tracer(cmd, ack, t));
	EXPECT_EQ(0, tracer_go(t, go));
	/* Another sibling is not the one named. */
	t = tracer_on_go(go);
	ASSERT_LT(0, t);
	EXPECT_EQ(EPERM, tracer_go(t, go));
	/* Anyone. */
	EXPECT_EQ(0, name_tracer(cmd, ack, PR_SET_PTRACER_ANY));
	t = tracer_on_go(go);
	ASSERT_LT(0, t);
	EXPECT_EQ(0, tracer_go(t, go));
	/* Taken back. */
	EXPECT_EQ(0, name_tracer(cmd, ack, 0));
	t = tracer_on_go(go);
	ASSERT_LT(0, t);
	EXPECT_EQ(EPERM, tracer_go(t, go));

	EXPECT_EQ(0, ctl("delete yama_ptrace"));
	kill(victim, SIGKILL);
	waitpid(victim, NULL, 0);
}

#define CHROOT_CG "/sys/fs/cgroup/chroot"

/* A jail that is a plain directory, and one that is the root of a tmpfs. */
#define JAIL "/tmp/jail"
#define JAIL_MNT "/tmp/jail-mnt"
/* Where a child of a new mount namespace builds its container root. */
#define NEWROOT "/tmp/newroot"

static int do_chroot(void *unused)
{
	return chroot(JAIL) ? errno : 0;
}

/* chroot(@jail), then mount a tmpfs on its /mnt. */
static int mount_in_chroot(void *jail)
{
	if (chroot(jail))
		return 100 + errno;
	return mount("none", "/mnt", "tmpfs", 0, NULL) ? errno : 0;
}

static int mount_outside(void *unused)
{
	if (mount("none", "/tmp/hardchroot-mnt", "tmpfs", 0, NULL))
		return errno;
	return umount("/tmp/hardchroot-mnt") ? errno : 0;
}

/*
 * A container's root in a new mount namespace: a tmpfs moved onto / and
 * entered with chroot(".") (switch_root), then, if @pivot, pivot_root()
 * into a second tmpfs. Either way the root is the namespace's root (after
 * following the mounts on it): not chrooted, so the mount is allowed.
 */
static int mount_in_container(void *pivot)
{
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return 100;
	if (mount("none", NEWROOT, "tmpfs", 0, NULL) ||
	    mkdir(NEWROOT "/mnt", 0700) || mkdir(NEWROOT "/next", 0700))
		return 101;
	if (chdir(NEWROOT) || mount(NEWROOT, "/", NULL, MS_MOVE, NULL) ||
	    chroot(".") || chdir("/"))
		return 102;
	if (pivot) {
		if (mount("none", "/next", "tmpfs", 0, NULL) ||
		    mkdir("/next/old", 0700) || mkdir("/next/mnt", 0700))
			return 103;
		if (syscall(SYS_pivot_root, "/next", "/next/old") || chdir("/"))
			return 104;
		if (access("/old/next", F_OK))
			return 105;
	}
	return mount("none", "/mnt", "tmpfs", 0, NULL) ? errno : 0;
}

TEST(hardchroot)
{
	ASSERT_LE(0, make_cgroup(CHROOT_CG));
	mkdir("/tmp/hardchroot-mnt", 0700);
	mkdir(JAIL, 0700);
	mkdir(JAIL "/mnt", 0700);
	mkdir(JAIL_MNT, 0700);
	ASSERT_EQ(0, mount("none", JAIL_MNT, "tmpfs", 0, NULL));
	mkdir(JAIL_MNT "/mnt", 0700);
	mkdir(NEWROOT, 0700);
	mkdir("/sys/fs/bpf/chroot", 0700);
	ASSERT_EQ(0, ctl("load samples/hardchroot.bpf.o --pin-maps /sys/fs/bpf/chroot"));
	ASSERT_EQ(0, ctl("map update /sys/fs/bpf/chroot/chroot_cgroup u32:0 cgroup:" CHROOT_CG));
	EXPECT_EQ(EPERM, in_child(CHROOT_CG, do_chroot, NULL));
	EXPECT_EQ(0, in_child(NULL, do_chroot, NULL));
	/* Chrooted into a directory or into a mount's root: no mount. */
	EXPECT_EQ(EPERM, in_child(NULL, mount_in_chroot, JAIL));
	EXPECT_EQ(EPERM, in_child(NULL, mount_in_chroot, JAIL_MNT));
	/* Not chrooted: allowed, also with a container's root. */
	EXPECT_EQ(0, in_child(NULL, mount_outside, NULL));
	EXPECT_EQ(0, in_child(NULL, mount_in_container, (void *)0));
	EXPECT_EQ(0, in_child(NULL, mount_in_container, (void *)1));
	ASSERT_EQ(0, ctl("reset path_chroot"));
	ASSERT_EQ(0, ctl("reset sb_mount"));
	ASSERT_EQ(0, ctl("reset sb_kern_mount"));
	ASSERT_EQ(0, ctl("reset move_mount"));
	ASSERT_EQ(0, ctl("reset sb_pivotroot"));
	EXPECT_EQ(0, in_child(NULL, mount_in_chroot, JAIL));
	EXPECT_EQ(0, in_child(NULL, mount_in_chroot, JAIL_MNT));
	umount(JAIL "/mnt");
	umount(JAIL_MNT "/mnt");
	umount(JAIL_MNT);
}

/* fsopen() + fsconfig(CMD_CREATE) + fsmount(): a detached tmpfs, or -errno. */
static int new_tmpfs(void)
{
	int fs = fsopen("tmpfs", 0), m, ret;

	if (fs < 0)
		return -errno;
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0)) {
		ret = -errno;
		close(fs);
		return ret;
	}
	m = fsmount(fs, 0, 0);
	ret = m < 0 ? -errno : m;
	close(fs);
	return ret;
}

static int attach_at(int tree, const char *where)
{
	int ret = move_mount(tree, "", AT_FDCWD, where, MOVE_MOUNT_F_EMPTY_PATH) ? errno : 0;

	close(tree);
	return ret;
}

/*
 * Each way of mounting, by a process chrooted into @arg's jail (a tmpfs
 * root), in a mount namespace of its own: its errno, 0 if it mounted.
 */
enum { NEW_API, FSMOUNT_FROM_OUTSIDE, OPEN_TREE, PIVOT_ROOT, MOUNT_WAYS };

static int mount_way_in_chroot(void *arg)
{
	int way = (long)arg, tree = -1;

	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return 100;
	if (way == FSMOUNT_FROM_OUTSIDE) {
		/* Made before the chroot, attached inside it. */
		tree = new_tmpfs();
		if (tree < 0)
			return 101;
	}
	if (way == PIVOT_ROOT) {
		if (mount("none", JAIL_MNT "/mnt", "tmpfs", 0, NULL) ||
		    mkdir(JAIL_MNT "/mnt/old", 0700))
			return 102;
	}
	if (chroot(JAIL_MNT) || chdir("/"))
		return 103;
	switch (way) {
	case NEW_API:
		tree = new_tmpfs();
		return tree < 0 ? -tree : attach_at(tree, "/mnt");
	case FSMOUNT_FROM_OUTSIDE:
		return attach_at(tree, "/mnt");
	case OPEN_TREE:
		/* A bind mount through the new API. */
		mkdir("/bindsrc", 0700);
		tree = open_tree(AT_FDCWD, "/bindsrc", OPEN_TREE_CLONE);
		return tree < 0 ? 104 : attach_at(tree, "/mnt");
	case PIVOT_ROOT:
		return syscall(SYS_pivot_root, "/mnt", "/mnt/old") ? errno : 0;
	}
	return 105;
}

/* The same, not chrooted: in a private namespace, on the host's /tmp. */
static int mount_way_outside(void *arg)
{
	int way = (long)arg, tree;

	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return 100;
	switch (way) {
	case NEW_API:
	case FSMOUNT_FROM_OUTSIDE:
		tree = new_tmpfs();
		return tree < 0 ? -tree : attach_at(tree, "/tmp/hardchroot-mnt");
	case OPEN_TREE:
		tree = open_tree(AT_FDCWD, JAIL, OPEN_TREE_CLONE);
		return tree < 0 ? 104 : attach_at(tree, "/tmp/hardchroot-mnt");
	case PIVOT_ROOT:
		/* As a container runtime: pivot_root from a moved-in root. */
		return mount_in_container((void *)1);
	}
	return 105;
}

/* Inside a chroot, every mount API and pivot_root are refused. */
TEST(hardchroot_every_mount_path)
{
	mkdir("/tmp/hardchroot-mnt", 0700);
	mkdir(JAIL, 0700);
	mkdir(JAIL_MNT, 0700);
	mkdir(NEWROOT, 0700);
	ASSERT_EQ(0, mount("none", JAIL_MNT, "tmpfs", 0, NULL));
	mkdir(JAIL_MNT "/mnt", 0700);
	/* Without the policy, each of them mounts. */
	for (long way = 0; way < MOUNT_WAYS; way++) {
		EXPECT_EQ(0, in_child(NULL, mount_way_in_chroot, (void *)way))
			TH_LOG("way %ld", way);
	}
	mkdir("/sys/fs/bpf/chroot2", 0700);
	ASSERT_EQ(0, ctl("load samples/hardchroot.bpf.o --pin-maps /sys/fs/bpf/chroot2"));
	for (long way = 0; way < MOUNT_WAYS; way++) {
		EXPECT_EQ(EPERM, in_child(NULL, mount_way_in_chroot, (void *)way))
			TH_LOG("way %ld", way);
		EXPECT_EQ(0, in_child(NULL, mount_way_outside, (void *)way))
			TH_LOG("way %ld", way);
	}
	ASSERT_EQ(0, ctl("reset path_chroot") | ctl("reset sb_mount") |
		     ctl("reset sb_kern_mount") | ctl("reset move_mount") |
		     ctl("reset sb_pivotroot"));
	umount(JAIL_MNT);
}

/* In a new user and mount namespace: umount what it made, then /tmp. */
static int umount_in_userns(void *unused)
{
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS))
		return 100;
	if (write_str("/proc/self/setgroups", "deny") ||
	    write_str("/proc/self/uid_map", "0 0 1") ||
	    write_str("/proc/self/gid_map", "0 0 1"))
		return 101;
	mkdir("/tmp/userns-mnt", 0700);
	if (mount("none", "/tmp/userns-mnt", "tmpfs", 0, NULL))
		return 102;
	if (umount("/tmp/userns-mnt"))
		return 103;
	/* /tmp came from the parent namespace: locked. */
	return umount("/tmp") ? errno : 0;
}

TEST(umount_locked)
{
	int before = in_child(NULL, umount_in_userns, NULL);

	ASSERT_EQ(0, ctl("load samples/umount_locked.bpf.o"));
	/*
	 * Own mounts stay unmountable; a locked one never is: 6.12 refuses it
	 * (EINVAL) before the hook, with or without the policy.
	 */
	EXPECT_EQ(before, in_child(NULL, umount_in_userns, NULL));
	EXPECT_NE(0, before);
	EXPECT_NE(103, before);
	ASSERT_EQ(0, ctl("reset sb_umount"));
}

TEST(show_json)
{
	FILE *f;
	char buf[65536];
	size_t n;

	ASSERT_EQ(0, ctl("load samples/yama_ptrace.bpf.o"));
	f = popen("./checmatectl show --json", "r");
	ASSERT_NE(NULL, f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	ASSERT_EQ(0, pclose(f));
	/*
	 * The parse itself is in the host's test of the same output format;
	 * here: the document lists the hook with its program.
	 */
	EXPECT_NE(NULL, strstr(buf, "\"hook\": \"ptrace_access_check\""));
	EXPECT_NE(NULL, strstr(buf, "\"name\": \"yama_ptrace_acc\""));
	/* bpftool, built from the patched tree, names the program type. */
	f = popen("./bpftool prog show name yama_ptrace_access", "r");
	ASSERT_NE(NULL, f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	pclose(f);
	EXPECT_NE(NULL, strstr(buf, ": checmate  name yama_ptrace_access"))
		TH_LOG("bpftool: %s", buf);
	ASSERT_EQ(0, ctl("delete yama_ptrace"));
}

TEST_HARNESS_MAIN
