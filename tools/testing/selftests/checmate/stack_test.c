// SPDX-License-Identifier: GPL-2.0
/*
 * Checmate selftests: Checmate among the other LSMs of a distribution's
 * kernel (configs/checmate.config: CONFIG_LSM="landlock,lockdown,yama,...,
 * apparmor,selinux,...,checmate,bpf,ipe", AppArmor enabled with no policy).
 *
 * - Checmate is listed, by securityfs and by lsm_list_modules(2), in the
 *   CONFIG_LSM order: after AppArmor, before BPF LSM.
 * - The framework calls the LSMs of a hook in that order and stops at the
 *   first that denies: Landlock and Checmate each deny alone with their own
 *   errno, and together with Landlock's (mkdir, TCP connect); Checmate's
 *   program does not even run.
 * - Yama (ptrace_scope 1) refuses a ptrace before Checmate's program runs;
 *   Checmate refuses a ptrace Yama allows.
 * - task_prctl: with an allow-all Checmate program on every hook, Yama's
 *   PR_SET_PTRACER, the capability module's options and the kernel's own
 *   options still work (Checmate answers -ENOSYS to every option but
 *   PR_CHECMATE), and PR_CHECMATE is Checmate's.
 * - AppArmor is in the stack (enabled, no profile: every task unconfined).
 *
 * Programs match the tgid of a child forked for one case (and the directory
 * or port of the case), so the rest of the system is not affected; every
 * program is detached by the teardown.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <linux/lsm.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "common.h"

#define H(x) CHECMATE_HOOK_##x

#define TDIR "/tmp/checmate-stack"
#define OK_DIR TDIR "/ok"	/* Landlock's ruleset lets mkdir in here */
#define NO_DIR TDIR "/no"	/* ... and not in here */
#define SCOPE "/proc/sys/kernel/yama/ptrace_scope"
/* The order the kernel initializes LSMs in on this config; see lsm_order. */
#define LSM_ORDER "lockdown,capability,landlock,yama,loadpin,safesetid," \
		  "apparmor,selinux,smack,tomoyo,checmate,bpf,ipe,ima,evm"

/* Programs this test attached; the teardown detaches them. */
static struct {
	unsigned int hook;
	int fd;
} held[128];
static int nheld;

static int hold(unsigned int hook, int fd)
{
	if (fd < 0 || nheld == ARRAY_LEN(held))
		return -1;
	if (cm_attach(hook, fd)) {
		close(fd);
		return -1;
	}
	held[nheld].hook = hook;
	held[nheld++].fd = fd;
	return 0;
}

static void release(void)
{
	while (nheld > 0) {
		nheld--;
		cm_detach(held[nheld].hook, held[nheld].fd);
		close(held[nheld].fd);
	}
}

/*
 * A program that, when the caller's tgid is @tgid and (if @size is not 0)
 * the context's field at @off of @size bytes is @val, adds one to the u64
 * at key 0 of @map and returns @ret; else it returns 0.
 */
static int load_count(unsigned int hook, int map, int tgid, int off, int size,
		      long long val, int ret)
{
	struct bpf_insn insns[32];
	int n = 0, skip[2], nskip = 0;

	insns[n++] = MOV64_REG(6, 1);
	insns[n++] = CALL(BPF_FUNC_get_current_pid_tgid);
	insns[n++] = RSH64_IMM(0, 32);
	skip[nskip++] = n;
	insns[n++] = JNE_IMM(0, tgid, 0);
	if (size) {
		insns[n++] = LDX_MEM(size == 8 ? BPF_DW : BPF_W, 2, 6, off);
		insns[n++] = INSN(BPF_LD | BPF_DW | BPF_IMM, 3, 0, 0, (__u32)val);
		insns[n++] = INSN(0, 0, 0, 0, (__u32)((unsigned long long)val >> 32));
		skip[nskip++] = n;
		insns[n++] = INSN(BPF_JMP | BPF_JNE | BPF_X, 2, 3, 0, 0);
	}
	insns[n++] = ST_MEM(BPF_W, 10, -4, 0);
	insns[n++] = INSN(BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0, map);
	insns[n++] = INSN(0, 0, 0, 0, 0);
	insns[n++] = MOV64_REG(2, 10);
	insns[n++] = INSN(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4);
	insns[n++] = CALL(BPF_FUNC_map_lookup_elem);
	insns[n++] = JEQ_IMM(0, 0, 3);
	insns[n++] = LDX_MEM(BPF_DW, 2, 0, 0);
	insns[n++] = INSN(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, 1);
	insns[n++] = STX_MEM(BPF_DW, 0, 2, 0);
	insns[n++] = MOV64_IMM(0, ret);
	insns[n++] = EXIT();
	for (int i = 0; i < nskip; i++)
		insns[skip[i]].off = n - skip[i] - 1;
	insns[n++] = MOV64_IMM(0, 0);
	insns[n++] = EXIT();
	return load_prog(hook, insns, n);
}

/* The counter of load_count() programs: read it and set it back to 0. */
static long long take_count(int map)
{
	__u64 v = 0, zero = 0;

	if (cm_map_elem(BPF_MAP_LOOKUP_ELEM, map, 0, &v) ||
	    cm_map_elem(BPF_MAP_UPDATE_ELEM, map, 0, &zero))
		return -1;
	return v;
}

/*
 * A child that waits for a value, then exits with fn(arg, value): 0 for
 * success or an errno; 250 and up when its own setup failed.
 */
struct kid {
	pid_t pid;
	int go;
};

static int spawn(struct kid *k, int (*fn)(long arg, long val), long arg)
{
	int p[2];

	if (pipe(p))
		return -1;
	k->pid = fork();
	if (k->pid == 0) {
		long val;

		close(p[1]);
		if (read(p[0], &val, sizeof(val)) != sizeof(val))
			_exit(255);
		_exit(fn(arg, val));
	}
	close(p[0]);
	k->go = p[1];
	return k->pid < 0 ? -1 : 0;
}

static int run_kid(struct kid *k, long val)
{
	int status;

	if (write(k->go, &val, sizeof(val)) != sizeof(val))
		return -1;
	close(k->go);
	if (waitpid(k->pid, &status, 0) != k->pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Clear CAP_SYS_PTRACE or CAP_SYS_ADMIN from the effective set only. */
static int drop_effective(int cap)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[CAP_TO_INDEX(cap)].effective &= ~CAP_TO_MASK(cap);
	return syscall(SYS_capset, &h, d);
}

/* ---- LSM list ---- */

static const char *const lsm_names[] = {
	[LSM_ID_CAPABILITY - 100] = "capability",
	[LSM_ID_SELINUX - 100] = "selinux",
	[LSM_ID_SMACK - 100] = "smack",
	[LSM_ID_TOMOYO - 100] = "tomoyo",
	[LSM_ID_APPARMOR - 100] = "apparmor",
	[LSM_ID_YAMA - 100] = "yama",
	[LSM_ID_LOADPIN - 100] = "loadpin",
	[LSM_ID_SAFESETID - 100] = "safesetid",
	[LSM_ID_LOCKDOWN - 100] = "lockdown",
	[LSM_ID_BPF - 100] = "bpf",
	[LSM_ID_LANDLOCK - 100] = "landlock",
	[LSM_ID_IMA - 100] = "ima",
	[LSM_ID_EVM - 100] = "evm",
	[LSM_ID_IPE - 100] = "ipe",
	[LSM_ID_CHECMATE - 100] = "checmate",
};

static int read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = 0;
	return n;
}

static int count_lines(const char *path)
{
	int fd = open(path, O_RDONLY), lines = 0;
	char buf[4096];
	ssize_t n;

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++)
			lines += buf[i] == '\n';
	close(fd);
	return n < 0 ? -1 : lines;
}

/* Position of @name in the comma-separated @list, or -1. */
static int position(const char *list, const char *name)
{
	size_t len = strlen(name);
	int i = 0;

	for (const char *p = list; *p; i++) {
		const char *end = strchrnul(p, ',');

		if ((size_t)(end - p) == len && !strncmp(p, name, len))
			return i;
		p = *end ? end + 1 : end;
	}
	return -1;
}

/* Split the comma-separated @list (in place) into @names; their number. */
static int split(char *list, char **names, int max)
{
	int n = 0;

	for (char *p = strtok(list, ","); p && n < max; p = strtok(NULL, ","))
		names[n++] = p;
	return n;
}

/*
 * /sys/kernel/security/lsm lists the LSMs that initialized, in the order
 * the framework calls them: the early ones first (lockdown, with
 * CONFIG_SECURITY_LOCKDOWN_LSM_EARLY), then capability, then CONFIG_LSM's
 * order (integrity names no LSM of its own since 6.9; IMA and EVM come
 * last). Of the exclusive LSMs (AppArmor, SELinux, Smack) only the first
 * in that order initializes.
 */
TEST(lsm_order)
{
	static const char *const needed[] = {
		"capability", "landlock", "yama", "apparmor", "checmate", "bpf",
	};
	char list[512], copy[512], *names[32];
	int last = -1, cm = -1, n;

	ASSERT_LT(0, read_file("/sys/kernel/security/lsm", list, sizeof(list)));
	TH_LOG("/sys/kernel/security/lsm: %s", list);
	snprintf(copy, sizeof(copy), "%s", list);
	n = split(copy, names, ARRAY_LEN(names));
	for (int i = 0; i < n; i++) {
		int at = position(LSM_ORDER, names[i]);

		EXPECT_LT(last, at) TH_LOG("%s out of order (or unknown)", names[i]);
		last = at;
		if (!strcmp(names[i], "checmate"))
			cm = i;
	}
	for (size_t i = 0; i < ARRAY_LEN(needed); i++) {
		int at = position(list, needed[i]);

		EXPECT_LE(0, at) TH_LOG("%s missing", needed[i]);
	}
	/* AppArmor comes first in CONFIG_LSM: SELinux stays out. */
	EXPECT_EQ(-1, position(list, "selinux"));
	ASSERT_LT(0, cm);
	ASSERT_GT(n - 1, cm);
	EXPECT_STREQ("apparmor", names[cm - 1]);
	EXPECT_STREQ("bpf", names[cm + 1]);
	EXPECT_LT(position(list, "landlock"), cm);
	EXPECT_LT(position(list, "yama"), cm);
}

/* lsm_list_modules(2) says the same, by LSM id: Checmate's is its own. */
TEST(lsm_list_modules)
{
	char list[512], ids_list[512] = "";
	__u64 ids[32];
	__u32 size = sizeof(ids);
	int n, found = 0;

	ASSERT_LT(0, read_file("/sys/kernel/security/lsm", list, sizeof(list)));
	n = syscall(__NR_lsm_list_modules, ids, &size, 0);
	ASSERT_LT(0, n);
	ASSERT_EQ(n * sizeof(__u64), size);
	for (int i = 0; i < n; i++) {
		const char *name = "?";

		if (ids[i] >= 100 && ids[i] - 100 < ARRAY_LEN(lsm_names) &&
		    lsm_names[ids[i] - 100])
			name = lsm_names[ids[i] - 100];
		if (ids[i] == LSM_ID_CHECMATE)
			found++;
		snprintf(ids_list + strlen(ids_list), sizeof(ids_list) - strlen(ids_list),
			 "%s%s", i ? "," : "", name);
	}
	TH_LOG("lsm_list_modules: %s", ids_list);
	EXPECT_EQ(1, found);
	EXPECT_STREQ(list, ids_list);
}

/*
 * AppArmor is in the stack with no policy: its securityfs directory is
 * there, no profile is loaded, and it labels this task "unconfined"
 * (lsm_get_self_attr(2) answers from its getselfattr hook).
 */
TEST(apparmor_present)
{
	char buf[4096];
	__u32 size = sizeof(buf);
	struct stat st;
	int n, seen = 0;

	ASSERT_EQ(0, stat("/sys/kernel/security/apparmor", &st));
	ASSERT_TRUE(S_ISDIR(st.st_mode));
	ASSERT_LE(0, read_file("/sys/module/apparmor/parameters/enabled", buf, sizeof(buf)));
	EXPECT_STREQ("Y", buf);
	ASSERT_LE(0, read_file("/sys/kernel/security/apparmor/profiles", buf, sizeof(buf)));
	EXPECT_STREQ("", buf);
	ASSERT_LE(0, read_file("/proc/self/attr/apparmor/current", buf, sizeof(buf)));
	EXPECT_STREQ("unconfined", buf);
	n = syscall(__NR_lsm_get_self_attr, LSM_ATTR_CURRENT, buf, &size, 0);
	ASSERT_LT(0, n);
	for (__u32 off = 0; n-- > 0; ) {
		struct lsm_ctx *c = (struct lsm_ctx *)(buf + off);

		if (c->id == LSM_ID_APPARMOR) {
			seen++;
			EXPECT_EQ(0, strncmp("unconfined", (char *)c->ctx, c->ctx_len));
		}
		off += c->len;
	}
	EXPECT_EQ(1, seen);
}

/* ---- Landlock and Checmate on one operation ---- */

/* Restrict this process with a Landlock ruleset; 0 or -1. */
static int landlock(__u64 fs, __u64 net, const char *allow_dir)
{
	struct landlock_ruleset_attr ra = {
		.handled_access_fs = fs,
		.handled_access_net = net,
	};
	int rs = syscall(__NR_landlock_create_ruleset, &ra, sizeof(ra), 0);

	if (rs < 0)
		return -1;
	if (allow_dir) {
		struct landlock_path_beneath_attr pb = {
			.allowed_access = fs,
			.parent_fd = open(allow_dir, O_PATH | O_CLOEXEC),
		};

		if (pb.parent_fd < 0 ||
		    syscall(__NR_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &pb, 0))
			return -1;
		close(pb.parent_fd);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(__NR_landlock_restrict_self, rs, 0))
		return -1;
	close(rs);
	return 0;
}

/* mkdir under NO_DIR, optionally under Landlock (mkdir only in OK_DIR). */
static int kid_mkdir(long with_landlock, long unused)
{
	if (with_landlock && landlock(LANDLOCK_ACCESS_FS_MAKE_DIR, 0, OK_DIR))
		return 250;
	/* What Landlock's rule grants stays granted. */
	if (mkdir(OK_DIR "/d", 0700) || rmdir(OK_DIR "/d"))
		return 251;
	if (mkdir(NO_DIR "/d", 0700))
		return errno;
	rmdir(NO_DIR "/d");
	return 0;
}

/* TCP connect to port @port of the loopback, optionally under Landlock. */
static int kid_connect(long with_landlock, long port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int s, ret = 0;

	if (with_landlock && landlock(0, LANDLOCK_ACCESS_NET_CONNECT_TCP, NULL))
		return 250;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		return 251;
	if (connect(s, (struct sockaddr *)&sin, sizeof(sin)))
		ret = errno;
	close(s);
	return ret;
}

FIXTURE(stack) {
	int map;
	char scope[16];
};

FIXTURE_SETUP(stack)
{
	static const char *const dirs[] = { TDIR, OK_DIR, NO_DIR };

	self->map = cm_map_create(BPF_MAP_TYPE_ARRAY, 8, 1, 0, 0);
	ASSERT_LE(0, self->map);
	/* Without Yama there is no ptrace_scope: its tests fail at write_scope(). */
	if (read_file(SCOPE, self->scope, sizeof(self->scope)) < 0)
		self->scope[0] = 0;
	for (size_t i = 0; i < ARRAY_LEN(dirs); i++) {
		int ret = mkdir(dirs[i], 0755);

		ASSERT_TRUE(!ret || errno == EEXIST) TH_LOG("%s: %m", dirs[i]);
	}
}

static int write_scope(const char *val)
{
	int fd = open(SCOPE, O_WRONLY), ret;

	if (fd < 0)
		return -1;
	ret = write(fd, val, strlen(val)) == (ssize_t)strlen(val) ? 0 : -1;
	close(fd);
	return ret;
}

FIXTURE_TEARDOWN(stack)
{
	release();
	if (self->scope[0])
		write_scope(self->scope);
	rmdir(NO_DIR "/d");
	rmdir(OK_DIR "/d");
	rmdir(NO_DIR);
	rmdir(OK_DIR);
	rmdir(TDIR);
	close(self->map);
}

/*
 * One case: a child does @fn(@arg); with @prog, a Checmate program on
 * @hook denying it with DENY_ERRNO (matching the child and the field at
 * @off). Returns the child's result; *@runs = how often the program ran.
 */
static int one_case(int map, int (*fn)(long, long), long arg, long val, int prog,
		    unsigned int hook, int off, int size, long long fval, long long *runs)
{
	struct kid k;
	int fd = -1, ret;

	if (spawn(&k, fn, arg))
		return -1;
	if (prog) {
		fd = load_count(hook, map, k.pid, off, size, fval, -DENY_ERRNO);
		if (fd < 0 || cm_attach(hook, fd)) {
			kill(k.pid, SIGKILL);
			waitpid(k.pid, NULL, 0);
			return -1;
		}
	}
	take_count(map);
	ret = run_kid(&k, val);
	*runs = take_count(map);
	if (fd >= 0) {
		cm_detach(hook, fd);
		close(fd);
	}
	return ret;
}

/*
 * mkdir under NO_DIR. Landlock alone: EACCES. Checmate alone: its errno.
 * Both: Landlock, first in the LSM order, denies; Checmate's program on
 * path_mkdir is not run.
 */
TEST_F(stack, mkdir_first_denier)
{
	struct stat st;
	long long runs;
	__u64 ino;
	int off = offsetof(struct checmate_inode_ctx, dir_ino);

	ASSERT_EQ(0, stat(NO_DIR, &st));
	ino = st.st_ino;
	EXPECT_EQ(0, one_case(self->map, kid_mkdir, 0, 0, 0, 0, 0, 0, 0, &runs));
	EXPECT_EQ(DENY_ERRNO, one_case(self->map, kid_mkdir, 0, 0, 1, H(PATH_MKDIR),
				       off, 8, ino, &runs));
	EXPECT_EQ(1, runs);
	EXPECT_EQ(EACCES, one_case(self->map, kid_mkdir, 1, 0, 0, 0, 0, 0, 0, &runs));
	EXPECT_EQ(EACCES, one_case(self->map, kid_mkdir, 1, 0, 1, H(PATH_MKDIR),
				   off, 8, ino, &runs));
	EXPECT_EQ(0, runs) TH_LOG("Checmate's program ran before Landlock denied");
}

/* The same with a TCP connect: Landlock ABI 4 against socket_connect. */
TEST_F(stack, connect_first_denier)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int abi, s, port, off = offsetof(struct checmate_sock_ctx, remote_port);
	long long runs;

	abi = syscall(__NR_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	ASSERT_LE(4, abi) TH_LOG("Landlock ABI %d: no TCP rules", abi);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, bind(s, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, getsockname(s, (struct sockaddr *)&sin, &len));
	ASSERT_EQ(0, listen(s, 16));
	port = ntohs(sin.sin_port);
	EXPECT_EQ(0, one_case(self->map, kid_connect, 0, port, 0, 0, 0, 0, 0, &runs));
	EXPECT_EQ(DENY_ERRNO, one_case(self->map, kid_connect, 0, port, 1,
				       H(SOCKET_CONNECT), off, 4, port, &runs));
	EXPECT_EQ(1, runs);
	EXPECT_EQ(EACCES, one_case(self->map, kid_connect, 1, port, 0, 0, 0, 0, 0, &runs));
	EXPECT_EQ(EACCES, one_case(self->map, kid_connect, 1, port, 1, H(SOCKET_CONNECT),
				   off, 4, port, &runs));
	EXPECT_EQ(0, runs) TH_LOG("Checmate's program ran before Landlock denied");
	close(s);
}

/* ---- Yama ---- */

/*
 * A tracee: waits for a tracer pid, calls PR_SET_PTRACER with it unless it
 * is 0, reports the result and sleeps until killed.
 */
struct tracee {
	pid_t pid;
	int cmd, ack;
};

static int tracee_start(struct tracee *t)
{
	int c[2], a[2];

	if (pipe(c) || pipe(a))
		return -1;
	t->pid = fork();
	if (t->pid == 0) {
		long tracer;
		int rc = 0;

		close(c[1]);
		close(a[0]);
		if (read(c[0], &tracer, sizeof(tracer)) != sizeof(tracer))
			_exit(1);
		if (tracer && prctl(PR_SET_PTRACER, tracer, 0, 0, 0))
			rc = errno;
		if (write(a[1], &rc, sizeof(rc)) != sizeof(rc))
			_exit(1);
		for (;;)
			pause();
	}
	close(c[0]);
	close(a[1]);
	t->cmd = c[1];
	t->ack = a[0];
	return t->pid < 0 ? -1 : 0;
}

/* Let the tracee name its tracer (0: none); PR_SET_PTRACER's result. */
static int tracee_ptracer(struct tracee *t, long tracer)
{
	int rc;

	if (write(t->cmd, &tracer, sizeof(tracer)) != sizeof(tracer) ||
	    read(t->ack, &rc, sizeof(rc)) != sizeof(rc))
		return -1;
	return rc;
}

static void tracee_stop(struct tracee *t)
{
	kill(t->pid, SIGKILL);
	waitpid(t->pid, NULL, 0);
	close(t->cmd);
	close(t->ack);
}

static int attach(pid_t pid)
{
	if (ptrace(PTRACE_ATTACH, pid, 0, 0))
		return errno;
	waitpid(pid, NULL, __WALL);
	ptrace(PTRACE_DETACH, pid, 0, 0);
	return 0;
}

/*
 * A tracer without CAP_SYS_PTRACE in its effective set (so that Yama's
 * ptrace_scope 1 applies; its permitted set still satisfies the capability
 * module): attach to @pid, or to a child of its own if @pid is 0.
 */
static int kid_trace(long unused, long pid)
{
	pid_t own = 0;
	int ret;

	if (!pid) {
		own = fork();
		if (own == 0) {
			pause();
			_exit(0);
		}
		if (own < 0)
			return 250;
		pid = own;
	}
	if (drop_effective(CAP_SYS_PTRACE))
		return 251;
	ret = attach(pid);
	if (own) {
		kill(own, SIGKILL);
		waitpid(own, NULL, 0);
	}
	return ret;
}

/* A tracer kid with a counting program on ptrace_access_check returning @ret. */
static int trace_case(int map, long pid, int ret, long long *runs)
{
	struct kid k;
	int fd, rc;

	if (spawn(&k, kid_trace, 0))
		return -1;
	fd = load_count(H(PTRACE_ACCESS_CHECK), map, k.pid, 0, 0, 0, ret);
	if (fd < 0 || cm_attach(H(PTRACE_ACCESS_CHECK), fd)) {
		kill(k.pid, SIGKILL);
		waitpid(k.pid, NULL, 0);
		return -1;
	}
	take_count(map);
	rc = run_kid(&k, pid);
	*runs = take_count(map);
	cm_detach(H(PTRACE_ACCESS_CHECK), fd);
	close(fd);
	return rc;
}

/*
 * ptrace_scope 1: attaching to a process that is not a descendant fails
 * with Yama's EPERM, and Checmate's (allowing) program on
 * ptrace_access_check never runs: Yama comes first. With ptrace_scope 0
 * the same attach succeeds and the program runs.
 */
TEST_F(stack, yama_denies_first)
{
	struct tracee t;
	long long runs;

	ASSERT_EQ(0, tracee_start(&t));
	ASSERT_EQ(0, tracee_ptracer(&t, 0));
	ASSERT_EQ(0, write_scope("1"));
	EXPECT_EQ(EPERM, trace_case(self->map, t.pid, 0, &runs));
	EXPECT_EQ(0, runs) TH_LOG("Checmate's program ran before Yama denied");
	ASSERT_EQ(0, write_scope("0"));
	EXPECT_EQ(0, trace_case(self->map, t.pid, 0, &runs));
	EXPECT_LE(1, runs);
	tracee_stop(&t);
}

/*
 * ptrace_scope 1 lets a process attach to its own child; a Checmate
 * program on ptrace_access_check refuses it with its errno.
 */
TEST_F(stack, checmate_denies_what_yama_allows)
{
	long long runs;

	ASSERT_EQ(0, write_scope("1"));
	EXPECT_EQ(0, trace_case(self->map, 0, 0, &runs));
	EXPECT_LE(1, runs);
	EXPECT_EQ(DENY_ERRNO, trace_case(self->map, 0, -DENY_ERRNO, &runs));
	EXPECT_EQ(1, runs);
}

/* ---- task_prctl ---- */

static int kid_prctl(long what, long unused)
{
	switch (what) {
	case 0:
		/* no_new_privs: set, and it reads back (kernel's own options). */
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
			return errno;
		return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? 0 : 252;
	case 1:
		/* The capability module's options: its answer, 0 or 1. */
		if (prctl(PR_CAPBSET_READ, CAP_SYS_BOOT, 0, 0, 0) != 1)
			return 252;
		if (prctl(PR_CAPBSET_DROP, CAP_SYS_BOOT, 0, 0, 0))
			return errno;
		return prctl(PR_CAPBSET_READ, CAP_SYS_BOOT, 0, 0, 0) == 0 ? 0 : 253;
	case 2:
		/* PR_CHECMATE without CAP_SYS_ADMIN: Checmate's EPERM. */
		if (drop_effective(CAP_SYS_ADMIN))
			return 251;
		return checmate(CHECMATE_OP_QUERY, H(FILE_OPEN), 0, 0) ? errno : 0;
	}
	return 250;
}

/*
 * With an allow-all Checmate program on every hook: every prctl option
 * another LSM or the kernel answers still works as without Checmate
 * (Checmate returns -ENOSYS for them, the framework's "not mine"), and
 * PR_CHECMATE is answered by Checmate.
 */
TEST_F(stack, task_prctl_shared)
{
	struct checmate_query q;
	struct tracee t;
	char name[16];
	struct kid k;
	long long runs;
	int nhooks;

	/*
	 * Every hook the running kernel has: one line each in securityfs,
	 * numbered densely from 1 (a header newer than the kernel may name
	 * more).
	 */
	nhooks = count_lines("/sys/kernel/security/checmate/hooks");
	ASSERT_LT(0, nhooks);
	for (int h = 1; h <= nhooks; h++) {
		int ret = hold(h, load_ret(h, 0));

		ASSERT_EQ(0, ret) TH_LOG("hook %d: %m", h);
	}

	/* PR_CHECMATE: only Checmate knows what is attached. */
	for (int i = 0; i < nheld; i++) {
		ASSERT_EQ(0, cm_query(held[i].hook, &q, NULL, 0));
		EXPECT_LE(1, q.prog_cnt);
		EXPECT_EQ(1, attached(held[i].hook, prog_id(held[i].fd)));
	}
	ASSERT_EQ(0, spawn(&k, kid_prctl, 2));
	EXPECT_EQ(EPERM, run_kid(&k, 0));

	/* The kernel's own options. */
	EXPECT_EQ(0, prctl(PR_SET_NAME, "cm-stack", 0, 0, 0));
	EXPECT_EQ(0, prctl(PR_GET_NAME, name, 0, 0, 0));
	EXPECT_STREQ("cm-stack", name);
	EXPECT_EQ(1, prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
	ASSERT_EQ(0, spawn(&k, kid_prctl, 0));
	EXPECT_EQ(0, run_kid(&k, 0));
	/* An option nobody knows: the kernel's EINVAL. */
	EXPECT_EQ(-1, prctl(0x7fff1234, 0, 0, 0, 0));
	EXPECT_EQ(EINVAL, errno);

	/* The capability module's. */
	ASSERT_EQ(0, spawn(&k, kid_prctl, 1));
	EXPECT_EQ(0, run_kid(&k, 0));

	/*
	 * Yama's: a non-descendant may attach once the tracee named it with
	 * PR_SET_PTRACER, not before; PR_SET_PTRACER of no process is EINVAL.
	 */
	ASSERT_EQ(0, write_scope("1"));
	EXPECT_EQ(-1, prctl(PR_SET_PTRACER, 0x3fffffff, 0, 0, 0));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, tracee_start(&t));
	ASSERT_EQ(0, tracee_ptracer(&t, 0));
	EXPECT_EQ(EPERM, trace_case(self->map, t.pid, 0, &runs));
	tracee_stop(&t);

	ASSERT_EQ(0, tracee_start(&t));
	ASSERT_EQ(0, spawn(&k, kid_trace, 0));
	EXPECT_EQ(0, tracee_ptracer(&t, k.pid));
	EXPECT_EQ(0, run_kid(&k, t.pid));
	tracee_stop(&t);
}

TEST_HARNESS_MAIN
