// SPDX-License-Identifier: GPL-2.0
/*
 * Checmate selftests: the context is filled only for programs that read it.
 *
 * The verifier records, per program, the context words it reads or writes
 * (bpf_prog_aux->ctx_access_mask); a hook whose programs read none skips
 * the fill, and fills it only to report a denial. Each test below is a way
 * a program could see or report a context that is not the operation's:
 *
 * - a program that reads nothing denies: its event still describes the
 *   operation (the deferred report);
 * - up to seven monitors and an enforcing program deny in one crossing,
 *   and eight monitors (the pending list is full: the hook fills always);
 * - a program that reads nothing tail-calls one that reads: the caller's
 *   record is the whole context (a kernel without that rule gives the
 *   tail-called program zeros: the mkdir fails with EXDEV, not EDOM);
 * - a program that would read its context through bpf_probe_read_kernel()
 *   (refused at load time: the verifier sees every read);
 * - a program that reads nothing denies privilege drops on capable: they
 *   stay unrefusable (their outcome is decided on the filled context);
 * - a kfunc call, which could read the context unrecorded, is refused;
 * - a program that reads is attached while another task crosses the hook
 *   with only a program that does not: it never runs on an unfilled
 *   context (EXDEV in the crossing thread if it did).
 *
 * All programs deny only this test's process (its tgid).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/version.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "kselftest_harness.h"

#define HOOK CHECMATE_HOOK_PATH_MKDIR
#define NAME_LEN_OFF offsetof(struct checmate_inode_ctx, name_len)
#define EVENTS "/sys/kernel/security/checmate/events"

static const char dir[] = "/tmp/checmate_fill";
static const char leaf[] = "fill_abc";

static int mkdir_errno(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, leaf);
	if (mkdir(path, 0700) == 0) {
		rmdir(path);
		return 0;
	}
	return errno;
}

/* The events file, positioned after every event so far. */
static int events_at_end(void)
{
	int fd = open(EVENTS, O_RDONLY | O_NONBLOCK);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* Reads up to @max events of program @id (any if 0) into @ev. */
static int events_of(int fd, __u32 id, struct checmate_event *ev, int max)
{
	static struct checmate_event buf[64];
	int n = 0;
	ssize_t r;

	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		for (int i = 0; i < r / (ssize_t)sizeof(buf[0]); i++) {
			if (buf[i].hook != HOOK || (id && buf[i].prog_id != id))
				continue;
			if (n < max)
				ev[n] = buf[i];
			n++;
		}
	}
	return n;
}

/* Does event @ev carry the mkdir's context: its name and length? */
static int describes_the_mkdir(const struct checmate_event *ev)
{
	const struct checmate_inode_ctx *c = (const void *)ev->ctx;

	return ev->ctx_size == sizeof(*c) && c->name_len == strlen(leaf) &&
	       strcmp(c->name, leaf) == 0 && c->dir_ino != 0;
}

/*
 * A program that returns -EDOM if the context's name_len, read with
 * @read (a plain load, or a probe read), is the leaf's length, -EXDEV
 * otherwise; 0 for other processes.
 */
static int load_check_len(int probe)
{
	struct bpf_insn insns[32];
	struct utsname u;
	unsigned int a = 0, b = 0, c = 0, kv = 0;
	int n = 0;

	insns[n++] = MOV64_REG(6, 1);
	insns[n++] = CALL(BPF_FUNC_get_current_pid_tgid);
	insns[n++] = RSH64_IMM(0, 32);
	insns[n++] = JEQ_IMM(0, getpid(), 2);
	insns[n++] = MOV64_IMM(0, 0);
	insns[n++] = EXIT();
	if (probe) {
		/* bpf_probe_read_kernel(fp - 8, 4, ctx + name_len) */
		insns[n++] = ST_MEM(BPF_DW, 10, -8, 0);
		insns[n++] = MOV64_REG(1, 10);
		insns[n++] = INSN(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, -8);
		insns[n++] = MOV64_IMM(2, 4);
		insns[n++] = MOV64_REG(3, 6);
		insns[n++] = INSN(BPF_ALU64 | BPF_ADD | BPF_K, 3, 0, 0, NAME_LEN_OFF);
		insns[n++] = CALL(BPF_FUNC_probe_read_kernel);
		insns[n++] = LDX_MEM(BPF_W, 2, 10, -8);
		if (uname(&u) == 0 && sscanf(u.release, "%u.%u.%u", &a, &b, &c) >= 2)
			kv = KERNEL_VERSION(a, b, c > 255 ? 255 : c);
	} else {
		insns[n++] = LDX_MEM(BPF_W, 2, 6, NAME_LEN_OFF);
	}
	insns[n++] = JNE_IMM(2, strlen(leaf), 2);
	insns[n++] = MOV64_IMM(0, -EDOM);
	insns[n++] = EXIT();
	insns[n++] = MOV64_IMM(0, -EXDEV);
	insns[n++] = EXIT();
	return load_prog_type(BPF_PROG_TYPE_CHECMATE, HOOK, insns, n, kv);
}

/* The programs a test loaded, detached and closed by the teardown. */
static int fds[16];
static int nfds;

FIXTURE(fill) {};

FIXTURE_SETUP(fill)
{
	nfds = 0;
	mkdir(dir, 0700);
	if (mkdir_errno())
		SKIP(return, "mkdir in %s fails before any program", dir);
}

FIXTURE_TEARDOWN(fill)
{
	for (int i = 0; i < nfds; i++) {
		cm_detach(HOOK, fds[i]);
		close(fds[i]);
	}
	rmdir(dir);
}

/* Attaches the program @fd (kept for the teardown) with @flags. */
static int attach_as(int fd, unsigned long flags)
{
	if (fd < 0) {
		fprintf(stderr, "# load: %s\n%s", strerror(errno), verifier_log);
		return -1;
	}
	fds[nfds++] = fd;
	return checmate(CHECMATE_OP_ATTACH, HOOK, fd, flags);
}

/* A program that reads nothing denies: the event describes the mkdir. */
TEST_F(fill, unread_context_is_filled_for_the_report)
{
	struct checmate_event ev[4];
	int efd = events_at_end();
	int fd = load_deny_tgid(HOOK, getpid(), EDOM);

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, attach_as(fd, 0));
	EXPECT_EQ(EDOM, mkdir_errno());
	ASSERT_EQ(1, events_of(efd, prog_id(fd), ev, 4));
	EXPECT_EQ(-EDOM, ev[0].verdict);
	EXPECT_TRUE(describes_the_mkdir(&ev[0]));
	close(efd);
}

/*
 * Monitors and an enforcing program that read nothing, all denying: seven
 * monitors (their reports wait for the fill), then eight (the hook fills
 * always). Every event describes the mkdir, in order, the enforcing last.
 */
TEST_F(fill, monitors_report_the_filled_context)
{
	struct checmate_event ev[16];
	int enforcing, efd, n;

	for (int i = 0; i < 7; i++)
		ASSERT_EQ(0, attach_as(load_deny_tgid(HOOK, getpid(), EDOM),
				       CHECMATE_ATTACH_F_LOG_ONLY));
	enforcing = load_deny_tgid(HOOK, getpid(), EDOM);
	ASSERT_EQ(0, attach_as(enforcing, 0));
	for (int round = 0; round < 2; round++) {
		efd = events_at_end();
		ASSERT_LE(0, efd);
		EXPECT_EQ(EDOM, mkdir_errno());
		n = events_of(efd, 0, ev, 16);
		ASSERT_EQ(8 + round, n);
		for (int i = 0; i < n; i++) {
			EXPECT_TRUE(describes_the_mkdir(&ev[i])) TH_LOG("event %d", i);
			EXPECT_EQ(i < n - 1, !!(ev[i].flags & CHECMATE_EVENT_F_PROG_LOG_ONLY));
		}
		EXPECT_EQ(prog_id(enforcing), ev[n - 1].prog_id);
		close(efd);
		if (round)
			break;
		/* An eighth monitor, before the enforcing program. */
		ASSERT_EQ(0, cm_detach(HOOK, enforcing));
		ASSERT_EQ(0, attach_as(load_deny_tgid(HOOK, getpid(), EDOM),
				       CHECMATE_ATTACH_F_LOG_ONLY));
		ASSERT_EQ(0, cm_attach(HOOK, enforcing));
	}
}

/* A program that reads nothing tail-calls one that reads name_len. */
TEST_F(fill, tail_called_program_sees_the_context)
{
	int map = cm_map_create(BPF_MAP_TYPE_PROG_ARRAY, 4, 1, 0, 0);
	int callee = load_check_len(0);
	struct bpf_insn insns[] = {
		MOV64_REG(6, 1),
		CALL(BPF_FUNC_get_current_pid_tgid),
		RSH64_IMM(0, 32),
		JNE_IMM(0, getpid(), 7),
		MOV64_REG(1, 6),
		LD_MAP_FD(2, map),
		MOV64_IMM(3, 0),
		CALL(BPF_FUNC_tail_call),
		MOV64_IMM(0, -ENOTUNIQ),
		EXIT(),
		MOV64_IMM(0, 0),
		EXIT(),
	};
	int caller;

	ASSERT_LE(0, map);
	ASSERT_LE(0, callee) TH_LOG("%s", verifier_log);
	ASSERT_EQ(0, cm_map_elem(BPF_MAP_UPDATE_ELEM, map, 0, &callee));
	caller = load_prog(HOOK, insns, ARRAY_LEN(insns));
	ASSERT_EQ(0, attach_as(caller, 0));
	/* EXDEV: the callee read a name_len of 0, an unfilled context. */
	EXPECT_EQ(EDOM, mkdir_errno());
	close(callee);
	close(map);
}

/*
 * No program reads its context other than by loads the verifier sees:
 * handing the context pointer to bpf_probe_read_kernel() is a pointer leak
 * to a Checmate program, refused at load time.
 */
TEST(probe_read_of_the_context_is_refused)
{
	EXPECT_EQ(-1, load_check_len(1));
	EXPECT_EQ(EACCES, errno);
	EXPECT_NE(NULL, strstr(verifier_log, "leaks addr into helper"));
}

/*
 * capable's fill marks a privilege drop CHECMATE_CRED_F_DROP (CAP_SETPCAP
 * for PR_CAPBSET_DROP, CAP_SETUID and CAP_SETGID of set*id() calls): no
 * program may refuse it. A program that reads no context word denies
 * everything a child does: the drops still succeed, and their events say
 * CHECMATE_EVENT_DROP. (A kernel that decided on the unfilled context
 * refused them with EDOM.)
 */
TEST(capable_drops_stay_unrefusable_unfilled)
{
	struct checmate_event ev[64];
	int p[2], status, efd, fd, n = 0, drops = 0;
	pid_t pid;
	ssize_t r;
	int c;

	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int res = 0;
		char b;

		close(p[1]);
		if (read(p[0], &b, 1) != 1)
			_exit(99);
		if (prctl(PR_CAPBSET_DROP, CAP_NET_RAW, 0, 0, 0))
			res |= 1;
		if (setgid(1000))
			res |= 2;
		if (setuid(1000))
			res |= 4;
		_exit(res);
	}
	close(p[0]);
	fd = load_deny_tgid(CHECMATE_HOOK_CAPABLE, pid, EDOM);
	ASSERT_LE(0, fd) TH_LOG("%s", verifier_log);
	ASSERT_EQ(0, cm_attach(CHECMATE_HOOK_CAPABLE, fd));
	efd = events_at_end();
	ASSERT_EQ(1, write(p[1], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	cm_detach(CHECMATE_HOOK_CAPABLE, fd);
	EXPECT_TRUE(WIFEXITED(status));
	c = WEXITSTATUS(status);
	EXPECT_EQ(0, c) TH_LOG("refused: %s%s%s", c & 1 ? "PR_CAPBSET_DROP " : "",
			       c & 2 ? "setgid " : "", c & 4 ? "setuid" : "");
	ASSERT_LE(0, efd);
	while ((r = read(efd, ev, sizeof(ev))) > 0) {
		for (int i = 0; i < r / (ssize_t)sizeof(ev[0]); i++) {
			const struct checmate_cred_ctx *cc = (const void *)ev[i].ctx;

			if (ev[i].prog_id != prog_id(fd))
				continue;
			n++;
			if (cc->info & CHECMATE_CRED_F_DROP) {
				drops++;
				EXPECT_EQ(CHECMATE_EVENT_DROP, ev[i].outcome);
			}
		}
	}
	EXPECT_LE(3, drops) TH_LOG("%d events, %d drops", n, drops);
	close(efd);
	close(fd);
	close(p[1]);
}

/*
 * A denial by a program that reads nothing, which ran on the shared zeroed
 * context, still hands the hook's on_deny the context filled in full:
 * root refused a setuid() to another user is killed (creds.rs
 * kill_caller) rather than left root behind the failed call, as when the
 * program reads its context (creds_test).
 */
TEST(unread_denial_reaches_on_deny)
{
	const unsigned int hook = CHECMATE_HOOK_TASK_FIX_SETUID;
	int fd, p[2], status = 0;
	pid_t child;
	char c = 0;

	ASSERT_EQ(0, pipe(p));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		if (read(p[0], &c, 1) != 1)
			_exit(99);
		_exit(setuid(2000) ? 11 : 12);
	}
	fd = load_deny_tgid(hook, child, EXDEV);
	ASSERT_LE(0, fd) TH_LOG("%s", verifier_log);
	ASSERT_EQ(0, cm_attach(hook, fd));
	ASSERT_EQ(1, write(p[1], &c, 1));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_EQ(0, cm_detach(hook, fd));
	close(fd);
	close(p[0]);
	close(p[1]);
	ASSERT_TRUE(WIFSIGNALED(status)) TH_LOG("child exited with %d", WEXITSTATUS(status));
	EXPECT_EQ(SIGKILL, WTERMSIG(status));
}

/*
 * A Checmate program calls no kfunc: kfuncs take arguments the verifier
 * does not check (__ign), through which a program could read its context
 * unrecorded, or the kernel stack past it.
 */
TEST(kfunc_calls_are_refused)
{
	const struct bpf_insn insns[] = {
		INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, 1),
		MOV64_IMM(0, 0),
		EXIT(),
	};

	EXPECT_EQ(-1, load_prog(HOOK, insns, ARRAY_LEN(insns)));
	EXPECT_EQ(EACCES, errno);
	EXPECT_NE(NULL, strstr(verifier_log, "cannot call kernel functions"))
		TH_LOG("%s", verifier_log);
}

static int stop;

/* Well inside the harness' 30 s per test, on the debug kernel too. */
#define RACE_SECONDS 10

static void *cross(void *arg)
{
	long bad = 0;

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED))
		bad += mkdir_errno() == EXDEV;
	return (void *)bad;
}

/*
 * One thread crosses the hook with a program that reads nothing attached;
 * another attaches and detaches, over and over, a program that reads
 * name_len and would deny with EXDEV on an unfilled context.
 */
TEST_F(fill, attach_races_the_fill)
{
	int reader = load_check_len(0);
	struct timespec start, now;
	pthread_t t;
	void *bad;

	ASSERT_EQ(0, attach_as(load_ret(HOOK, 0), 0));
	ASSERT_LE(0, reader) TH_LOG("%s", verifier_log);
	fds[nfds++] = reader;
	ASSERT_EQ(0, pthread_create(&t, NULL, cross, NULL));
	/*
	 * Bounded by time as well as by rounds: each detach waits for a grace
	 * period, which takes far longer on a debug kernel.
	 */
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (int i = 0; i < 3000; i++) {
		ASSERT_EQ(0, cm_attach(HOOK, reader));
		ASSERT_EQ(0, cm_detach(HOOK, reader));
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= RACE_SECONDS)
			break;
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	ASSERT_EQ(0, pthread_join(t, &bad));
	EXPECT_EQ(0, (long)bad);
}

TEST_HARNESS_MAIN
