// SPDX-License-Identifier: GPL-2.0
/*
 * Checmate selftests: what cannot be undone until reboot. Tightened modes
 * and deny_reset, against root, closed fds and a loader that is gone.
 * Run last: each test leaves its hook locked or frozen. Each uses a hook of
 * its own, and its programs deny only this test's process.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "common.h"

TEST(append_only_mode)
{
	unsigned int hook = CHECMATE_HOOK_SOCKET_SENDMSG;
	int fd = load_ret(hook, 0);
	struct checmate_query q;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, checmate(CHECMATE_OP_SET_MODE, hook, CHECMATE_MODE_APPEND_ONLY, 0));
	ASSERT_EQ(0, cm_attach(hook, fd));
	ASSERT_EQ(-1, cm_detach(hook, fd));
	EXPECT_EQ(EPERM, errno);
	ASSERT_EQ(-1, checmate(CHECMATE_OP_RESET, hook, 0, 0));
	EXPECT_EQ(EPERM, errno);
	/* Only tightening is allowed out of append-only. */
	ASSERT_EQ(-1, checmate(CHECMATE_OP_SET_MODE, hook, CHECMATE_MODE_DISABLED, 0));
	EXPECT_EQ(EPERM, errno);
	ASSERT_EQ(-1, checmate(CHECMATE_OP_SET_MODE, hook, CHECMATE_MODE_NORMAL, 0));
	EXPECT_EQ(EPERM, errno);
	ASSERT_EQ(0, cm_query(hook, &q, NULL, 0));
	EXPECT_EQ(CHECMATE_MODE_APPEND_ONLY, q.mode);
	EXPECT_EQ(1, q.prog_cnt);
	close(fd);
}

TEST(read_only_is_final)
{
	unsigned int hook = CHECMATE_HOOK_SOCKET_RECVMSG;
	int fd = load_ret(hook, 0);
	struct checmate_query q;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, checmate(CHECMATE_OP_SET_MODE, hook, CHECMATE_MODE_APPEND_ONLY, 0));
	ASSERT_EQ(0, checmate(CHECMATE_OP_SET_MODE, hook, CHECMATE_MODE_READ_ONLY, 0));
	ASSERT_EQ(-1, cm_attach(hook, fd));
	EXPECT_EQ(EPERM, errno);
	for (int m = CHECMATE_MODE_NORMAL; m <= CHECMATE_MODE_LOG_ONLY; m++) {
		if (m == CHECMATE_MODE_READ_ONLY)
			continue;
		ASSERT_EQ(-1, checmate(CHECMATE_OP_SET_MODE, hook, m, 0));
		EXPECT_EQ(EPERM, errno);
	}
	ASSERT_EQ(0, cm_query(hook, &q, NULL, 0));
	EXPECT_EQ(CHECMATE_MODE_READ_ONLY, q.mode);
	close(fd);
}

static int udp_socket_errno(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	if (s < 0)
		return errno;
	close(s);
	return 0;
}

TEST(deny_reset_locks_against_root)
{
	unsigned int hook = CHECMATE_HOOK_SOCKET_CREATE;
	int deny = load_deny_tgid(hook, getpid(), DENY_ERRNO);
	int allow = load_ret(hook, 0);
	__u32 id = prog_id(deny), before;
	struct checmate_query q;

	ASSERT_LE(0, deny);
	ASSERT_LE(0, allow);
	ASSERT_EQ(0, cm_query(hook, &q, NULL, 0));
	before = q.prog_cnt;
	ASSERT_EQ(0, cm_attach(hook, deny));
	ASSERT_EQ(0, checmate(CHECMATE_OP_DENY_RESET, hook, 0, 0));
	/* Idempotent. */
	ASSERT_EQ(0, checmate(CHECMATE_OP_DENY_RESET, hook, 0, 0));
	ASSERT_EQ(-1, cm_detach(hook, deny));
	EXPECT_EQ(EPERM, errno);
	ASSERT_EQ(-1, checmate(CHECMATE_OP_RESET, hook, 0, 0));
	EXPECT_EQ(EPERM, errno);
	ASSERT_EQ(-1, checmate(CHECMATE_OP_SET_MODE, hook, CHECMATE_MODE_DISABLED, 0));
	EXPECT_EQ(EPERM, errno);
	/* Attaching more and tightening stay possible. */
	ASSERT_EQ(0, cm_attach(hook, allow));
	ASSERT_EQ(0, checmate(CHECMATE_OP_SET_MODE, hook, CHECMATE_MODE_APPEND_ONLY, 0));
	/* Closing every fd does not undo it, nor stop the program. */
	close(deny);
	close(allow);
	EXPECT_EQ(DENY_ERRNO, udp_socket_errno());
	ASSERT_EQ(0, cm_query(hook, &q, NULL, 0));
	EXPECT_EQ(CHECMATE_QUERY_F_LOCKED, q.flags);
	EXPECT_EQ(before + 2, q.prog_cnt);
	EXPECT_EQ(1, attached(hook, id));
}

TEST(lock_outlives_the_locker)
{
	unsigned int hook = CHECMATE_HOOK_SOCKET_CREATE;
	struct checmate_query q;
	__u32 before;
	int status;
	pid_t pid;

	ASSERT_EQ(0, cm_query(hook, &q, NULL, 0));
	before = q.prog_cnt;
	/* A loader process that attaches and locks, then dies by SIGKILL. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd = load_ret(hook, 0);

		if (fd < 0 || cm_attach(hook, fd) || checmate(CHECMATE_OP_DENY_RESET, hook, 0, 0))
			_exit(1);
		raise(SIGKILL);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(0, cm_query(hook, &q, NULL, 0));
	EXPECT_EQ(CHECMATE_QUERY_F_LOCKED, q.flags);
	EXPECT_EQ(before + 1, q.prog_cnt);
	ASSERT_EQ(-1, checmate(CHECMATE_OP_RESET, hook, 0, 0));
	EXPECT_EQ(EPERM, errno);
	/* This process is not the one the locked program denies. */
	EXPECT_EQ(0, udp_socket_errno());
}

TEST_HARNESS_MAIN
