// SPDX-License-Identifier: GPL-2.0
/*
 * Checmate selftests: the prctl API. Attach, detach, reset, modes, query,
 * and every bad input: each gets its errno and leaves the hook as it was.
 *
 * What cannot be undone (locks, tightened modes) is in lock_test.c, which
 * runs last.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sys/klog.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>

#include "kselftest_harness.h"
#include "common.h"

/* A hook the API tests own; programs on it allow everything. */
#define HOOK CHECMATE_HOOK_SOCKET_LISTEN

static void reset_hook(struct __test_metadata *_metadata, unsigned int hook)
{
	ASSERT_EQ(0, checmate(CHECMATE_OP_SET_MODE, hook, CHECMATE_MODE_NORMAL, 0));
	ASSERT_EQ(0, checmate(CHECMATE_OP_RESET, hook, 0, 0));
}

static __u32 count(unsigned int hook)
{
	struct checmate_query q;

	if (cm_query(hook, &q, NULL, 0))
		return -1;
	return q.prog_cnt;
}

FIXTURE(api) {
	int prog;
};

FIXTURE_SETUP(api)
{
	reset_hook(_metadata, HOOK);
	self->prog = load_ret(HOOK, 0);
	ASSERT_LE(0, self->prog) TH_LOG("load: %s\n%s", strerror(errno), verifier_log);
}

FIXTURE_TEARDOWN(api)
{
	checmate(CHECMATE_OP_RESET, HOOK, 0, 0);
	close(self->prog);
}

TEST_F(api, attach_query_detach)
{
	struct checmate_query q;
	__u32 ids[4];

	ASSERT_EQ(0, cm_attach(HOOK, self->prog));
	ASSERT_EQ(0, cm_query(HOOK, &q, ids, 4));
	EXPECT_EQ(1, q.prog_cnt);
	EXPECT_EQ(prog_id(self->prog), ids[0]);
	EXPECT_EQ(CHECMATE_MODE_NORMAL, q.mode);
	EXPECT_EQ(0, q.flags);
	ASSERT_EQ(0, cm_detach(HOOK, self->prog));
	EXPECT_EQ(0, count(HOOK));
}

/* listen() on a fresh socket: 0 or its errno. */
static int listen_errno(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0), ret;

	ret = listen(s, 1) ? errno : 0;
	close(s);
	return ret;
}

TEST_F(api, return_values)
{
	const struct {
		int ret, err;
	} cases[] = {
		{ 0, 0 }, { -EXDEV, EXDEV }, { -4095, 4095 }, { -4096, EPERM },
		{ 1, EPERM }, { 0x7fffffff, EPERM }, { -0x7fffffff, EPERM },
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		int fd = load_ret(HOOK, cases[i].ret);

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, cm_attach(HOOK, fd));
		EXPECT_EQ(cases[i].err, listen_errno()) TH_LOG("return %d", cases[i].ret);
		ASSERT_EQ(0, cm_detach(HOOK, fd));
		close(fd);
	}
	EXPECT_EQ(0, listen_errno());
}

TEST_F(api, attach_twice_is_eexist)
{
	ASSERT_EQ(0, cm_attach(HOOK, self->prog));
	ASSERT_EQ(-1, cm_attach(HOOK, self->prog));
	ASSERT_EQ(EEXIST, errno);
	EXPECT_EQ(1, count(HOOK));
}

TEST_F(api, detach_not_attached_is_enoent)
{
	ASSERT_EQ(-1, cm_detach(HOOK, self->prog));
	ASSERT_EQ(ENOENT, errno);
}

TEST_F(api, order_is_attach_order_and_reset_clears)
{
	int fds[5];
	__u32 ids[8];
	struct checmate_query q;

	for (int i = 0; i < 5; i++) {
		fds[i] = load_ret(HOOK, 0);
		ASSERT_LE(0, fds[i]);
		ASSERT_EQ(0, cm_attach(HOOK, fds[i]));
	}
	ASSERT_EQ(0, cm_query(HOOK, &q, ids, 8));
	ASSERT_EQ(5, q.prog_cnt);
	for (int i = 0; i < 5; i++)
		EXPECT_EQ(prog_id(fds[i]), ids[i]);
	/* Detach from the middle keeps the order of the others. */
	ASSERT_EQ(0, cm_detach(HOOK, fds[2]));
	ASSERT_EQ(0, cm_query(HOOK, &q, ids, 8));
	ASSERT_EQ(4, q.prog_cnt);
	EXPECT_EQ(prog_id(fds[3]), ids[2]);
	ASSERT_EQ(0, checmate(CHECMATE_OP_RESET, HOOK, 0, 0));
	EXPECT_EQ(0, count(HOOK));
	for (int i = 0; i < 5; i++)
		close(fds[i]);
}

TEST_F(api, hook_full_is_e2big)
{
	int fds[CHECMATE_MAX_PROGS_PER_HOOK + 1];

	for (int i = 0; i <= CHECMATE_MAX_PROGS_PER_HOOK; i++) {
		fds[i] = load_ret(HOOK, 0);
		ASSERT_LE(0, fds[i]);
	}
	for (int i = 0; i < CHECMATE_MAX_PROGS_PER_HOOK; i++)
		ASSERT_EQ(0, cm_attach(HOOK, fds[i]));
	ASSERT_EQ(-1, cm_attach(HOOK, fds[CHECMATE_MAX_PROGS_PER_HOOK]));
	ASSERT_EQ(E2BIG, errno);
	EXPECT_EQ(CHECMATE_MAX_PROGS_PER_HOOK, count(HOOK));
	for (int i = 0; i <= CHECMATE_MAX_PROGS_PER_HOOK; i++)
		close(fds[i]);
}

TEST_F(api, query_short_buffer_is_enospc)
{
	int other = load_ret(HOOK, 0);
	struct checmate_query q;
	__u32 ids[2] = { 0, 0 };

	ASSERT_LE(0, other);
	ASSERT_EQ(0, cm_attach(HOOK, self->prog));
	ASSERT_EQ(0, cm_attach(HOOK, other));
	ASSERT_EQ(-1, cm_query(HOOK, &q, ids, 1));
	ASSERT_EQ(ENOSPC, errno);
	EXPECT_EQ(2, q.prog_cnt);
	EXPECT_EQ(prog_id(self->prog), ids[0]);
	EXPECT_EQ(0, ids[1]);
	/* Count only. */
	ASSERT_EQ(0, cm_query(HOOK, &q, NULL, 0));
	EXPECT_EQ(2, q.prog_cnt);
	close(other);
}

TEST_F(api, query_bad_buffers)
{
	struct checmate_query q = { .prog_cnt = 4, .prog_ids = 0 };

	/* No query struct, an unmapped one, an id buffer that is missing. */
	ASSERT_EQ(-1, checmate(CHECMATE_OP_QUERY, HOOK, 0, 0));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, checmate(CHECMATE_OP_QUERY, HOOK, 8, 0));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, checmate(CHECMATE_OP_QUERY, HOOK, (uintptr_t)&q, 0));
	ASSERT_EQ(EINVAL, errno);
	q.prog_ids = 8;
	ASSERT_EQ(0, cm_attach(HOOK, self->prog));
	ASSERT_EQ(-1, checmate(CHECMATE_OP_QUERY, HOOK, (uintptr_t)&q, 0));
	ASSERT_EQ(EFAULT, errno);
	q = (struct checmate_query){ .reserved = 1 };
	ASSERT_EQ(-1, checmate(CHECMATE_OP_QUERY, HOOK, (uintptr_t)&q, 0));
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(api, bad_hook_numbers_are_einval)
{
	const unsigned long bad[] = { 0, __CHECMATE_HOOK_MAX, 1000, -1UL, 1UL << 32 | HOOK };

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		EXPECT_EQ(-1, checmate(CHECMATE_OP_ATTACH, bad[i], self->prog, 0));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(-1, checmate(CHECMATE_OP_RESET, bad[i], 0, 0));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(-1, checmate(CHECMATE_OP_DENY_RESET, bad[i], 0, 0));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(-1, checmate(CHECMATE_OP_SET_MODE, bad[i], 0, 0));
		EXPECT_EQ(EINVAL, errno);
	}
	EXPECT_EQ(0, count(HOOK));
}

TEST_F(api, bad_fds)
{
	int pipefd[2], closed, map;
	union bpf_attr attr;

	/* Not fds at all. */
	ASSERT_EQ(-1, cm_attach(HOOK, -1));
	EXPECT_EQ(EBADF, errno);
	ASSERT_EQ(-1, checmate(CHECMATE_OP_ATTACH, HOOK, 1UL << 40, 0));
	EXPECT_EQ(EBADF, errno);
	/* A closed fd. */
	closed = load_ret(HOOK, 0);
	ASSERT_LE(0, closed);
	close(closed);
	ASSERT_EQ(-1, cm_attach(HOOK, closed));
	EXPECT_EQ(EBADF, errno);
	/* A pipe. */
	ASSERT_EQ(0, pipe(pipefd));
	ASSERT_EQ(-1, cm_attach(HOOK, pipefd[0]));
	EXPECT_EQ(EINVAL, errno);
	/* A BPF map. */
	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 4;
	attr.max_entries = 1;
	map = sys_bpf(BPF_MAP_CREATE, &attr);
	ASSERT_LE(0, map);
	ASSERT_EQ(-1, cm_attach(HOOK, map));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, cm_detach(HOOK, map));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, count(HOOK));
	close(map);
	close(pipefd[0]);
	close(pipefd[1]);
}

TEST_F(api, wrong_program_type_is_einval)
{
	const struct bpf_insn insns[] = { MOV64_IMM(0, 0), EXIT() };
	int fd = load_prog_type(BPF_PROG_TYPE_SOCKET_FILTER, 0, insns, 2, 0);

	ASSERT_LE(0, fd);
	ASSERT_EQ(-1, cm_attach(HOOK, fd));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, count(HOOK));
	close(fd);
}

TEST_F(api, program_of_another_hook_is_einval)
{
	int fd = load_ret(CHECMATE_HOOK_FILE_OPEN, 0);

	ASSERT_LE(0, fd);
	ASSERT_EQ(-1, cm_attach(HOOK, fd));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, count(HOOK));
	close(fd);
}

TEST_F(api, unknown_flags_and_args_are_einval)
{
	ASSERT_EQ(-1, checmate(CHECMATE_OP_ATTACH, HOOK, self->prog, 1UL << 1));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, checmate(CHECMATE_OP_ATTACH, HOOK, self->prog, 1UL << 31));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, checmate(CHECMATE_OP_SET_PROG_FLAGS, HOOK, self->prog, 1UL << 1));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, checmate(CHECMATE_OP_QUERY, HOOK, 0, 33));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, checmate(CHECMATE_OP_RESET, HOOK, 1, 0));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, checmate(CHECMATE_OP_DENY_RESET, HOOK, 0, 1));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, checmate(CHECMATE_OP_SET_MODE, HOOK, 5, 0));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, checmate(CHECMATE_OP_SET_MODE, HOOK, -1UL, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, count(HOOK));
}

/*
 * Is there a line in the kernel log that contains @what (and, with
 * CONFIG_AUDIT, is an AUDIT_AVC record)? Audit records reach the log through
 * kauditd, asynchronously: wait up to two seconds.
 */
static int klog_has(const char *what)
{
	static char buf[1 << 17];
	int audit = access("/proc/self/loginuid", F_OK) == 0;

	for (int tries = 0; tries < 100; tries++) {
		int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, sizeof(buf) - 1);
		char *line;

		if (n < 0)
			return -1;
		buf[n] = 0;
		for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
			if (!strstr(line, what))
				continue;
			if (audit && !strstr(line, "audit: type=1400 "))
				return 2;
			/* The context's key values follow pid and comm. */
			return strstr(line, " comm=") && strstr(line, " family=") ? 1 : 3;
		}
		usleep(20000);
	}
	return 0;
}

/*
 * klog_has() after a denial of listen(), denied again up to three times:
 * the audit fallback to the kernel log goes through printk_ratelimit()
 * (10 lines per 5 s, shared by the whole kernel), which the test run just
 * before this one may have used up. Each try waits two seconds.
 */
static int klog_has_listen_report(const char *what)
{
	int ret = klog_has(what);

	for (int tries = 0; tries < 3 && ret == 0; tries++) {
		listen_errno();
		ret = klog_has(what);
	}
	return ret;
}

TEST_F(api, log_only_mode_reports_and_allows)
{
	int deny = load_deny_tgid(HOOK, getpid(), DENY_ERRNO);
	char want[128];
	struct checmate_query q;

	ASSERT_LE(0, deny);
	ASSERT_EQ(0, cm_attach(HOOK, deny));
	EXPECT_EQ(DENY_ERRNO, listen_errno());
	ASSERT_EQ(0, checmate(CHECMATE_OP_SET_MODE, HOOK, CHECMATE_MODE_LOG_ONLY, 0));
	EXPECT_EQ(0, listen_errno());
	snprintf(want, sizeof(want),
		 "checmate=log-only hook=socket_listen prog_id=%u errno=%d pid=%d ",
		 prog_id(deny), DENY_ERRNO, getpid());
	EXPECT_EQ(1, klog_has_listen_report(want)) TH_LOG("no '%s' in the kernel log", want);
	ASSERT_EQ(0, cm_query(HOOK, &q, NULL, 0));
	EXPECT_EQ(CHECMATE_MODE_LOG_ONLY, q.mode);
	ASSERT_EQ(0, checmate(CHECMATE_OP_SET_MODE, HOOK, CHECMATE_MODE_NORMAL, 0));
	EXPECT_EQ(DENY_ERRNO, listen_errno());
	close(deny);
}

TEST_F(api, audit_flag_reports_denials)
{
	int deny = load_deny_tgid(HOOK, getpid(), DENY_ERRNO);
	char want[128];
	struct checmate_query q;

	ASSERT_LE(0, deny);
	ASSERT_EQ(0, cm_attach(HOOK, deny));
	ASSERT_EQ(0, checmate(CHECMATE_OP_SET_AUDIT, HOOK, 1, 0));
	ASSERT_EQ(0, cm_query(HOOK, &q, NULL, 0));
	EXPECT_EQ(CHECMATE_QUERY_F_AUDIT, q.flags);
	EXPECT_EQ(DENY_ERRNO, listen_errno());
	snprintf(want, sizeof(want),
		 "checmate=denied hook=socket_listen prog_id=%u errno=%d pid=%d ",
		 prog_id(deny), DENY_ERRNO, getpid());
	EXPECT_EQ(1, klog_has_listen_report(want)) TH_LOG("no '%s' in the kernel log", want);
	ASSERT_EQ(-1, checmate(CHECMATE_OP_SET_AUDIT, HOOK, 2, 0));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, checmate(CHECMATE_OP_SET_AUDIT, HOOK, 0, 0));
	close(deny);
}

TEST_F(api, program_outlives_its_fd)
{
	__u32 id = prog_id(self->prog);

	ASSERT_EQ(0, cm_attach(HOOK, self->prog));
	close(self->prog);
	self->prog = -1;
	EXPECT_EQ(1, attached(HOOK, id));
}

static int cm_replace(unsigned int hook, int new_fd, int old_fd)
{
	return checmate(CHECMATE_OP_REPLACE, hook, new_fd, old_fd);
}

TEST_F(api, replace_in_place)
{
	int a = load_deny_tgid(HOOK, getpid(), EDOM);
	int b = load_deny_tgid(HOOK, getpid(), ERANGE);
	int other = load_ret(CHECMATE_HOOK_SOCKET_BIND, 0);
	struct checmate_query q;
	__u32 ids[4];

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, cm_attach(HOOK, self->prog));
	ASSERT_EQ(0, cm_attach(HOOK, a));
	EXPECT_EQ(EDOM, listen_errno());
	ASSERT_EQ(0, cm_replace(HOOK, b, a));
	EXPECT_EQ(ERANGE, listen_errno());
	/* The new program takes the old one's place. */
	ASSERT_EQ(0, cm_query(HOOK, &q, ids, ARRAY_LEN(ids)));
	ASSERT_EQ(2, q.prog_cnt);
	EXPECT_EQ(prog_id(self->prog), ids[0]);
	EXPECT_EQ(prog_id(b), ids[1]);
	/* Bad input: each errno, and the hook as it was. */
	EXPECT_EQ(-1, cm_replace(HOOK, b, a));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(-1, cm_replace(HOOK, b, b));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(-1, cm_replace(HOOK, a, a));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, cm_replace(HOOK, other, b));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, cm_replace(HOOK, a, other));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, cm_replace(HOOK, 4000, b));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, cm_replace(CHECMATE_HOOK_UNSPEC, a, b));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(ERANGE, listen_errno());
	close(a);
	close(b);
	close(other);
}

struct swapper {
	int a, b, rounds;
	int done;
};

static void *swap_back_and_forth(void *arg)
{
	struct swapper *sw = arg;
	void *ret = NULL;

	for (int i = 0; i < sw->rounds; i++) {
		if (cm_replace(HOOK, sw->b, sw->a) || cm_replace(HOOK, sw->a, sw->b)) {
			ret = (void *)1;
			break;
		}
	}
	__atomic_store_n(&sw->done, 1, __ATOMIC_RELEASE);
	return ret;
}

/*
 * A crossing during a replace runs the old program or the new, never none:
 * listen() is refused by one of the two all the time the other thread
 * swaps them. Bounded by the swaps, not the clock (debug kernels are slow).
 */
TEST_F_TIMEOUT(api, replace_is_atomic, 600)
{
	struct swapper sw = {
		.a = load_deny_tgid(HOOK, getpid(), EDOM),
		.b = load_deny_tgid(HOOK, getpid(), ERANGE),
		.rounds = 500,
	};
	long crossings = 0, allowed = 0, other = 0;
	pthread_t t;
	void *ret;

	ASSERT_LE(0, sw.a);
	ASSERT_LE(0, sw.b);
	ASSERT_EQ(0, cm_attach(HOOK, sw.a));
	ASSERT_EQ(0, pthread_create(&t, NULL, swap_back_and_forth, &sw));
	while (!__atomic_load_n(&sw.done, __ATOMIC_ACQUIRE)) {
		int err = listen_errno();

		crossings++;
		allowed += err == 0;
		other += err && err != EDOM && err != ERANGE;
	}
	ASSERT_EQ(0, pthread_join(t, &ret));
	TH_LOG("%ld crossings during %d replaces", crossings, 2 * sw.rounds);
	EXPECT_EQ(NULL, ret);
	EXPECT_EQ(0, allowed);
	EXPECT_EQ(0, other);
	EXPECT_EQ(1, count(HOOK));
	close(sw.a);
	close(sw.b);
}

TEST_HARNESS_MAIN
