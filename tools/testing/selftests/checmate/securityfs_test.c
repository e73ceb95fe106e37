// SPDX-License-Identifier: GPL-2.0
/*
 * Checmate selftests: /sys/kernel/security/checmate/hooks agrees with the
 * prctl query, counts runs and denials, and is for CAP_SYS_ADMIN in the
 * initial user namespace only.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "common.h"

#define HOOKS_FILE "/sys/kernel/security/checmate/hooks"

static const char *const mode_names[] = {
	"normal", "append-only", "read-only", "disabled", "log-only",
};

struct line {
	char hook[32], mode[16];
	int locked, audit, active;
	unsigned long long runs, denials;
	__u32 ids[CHECMATE_MAX_PROGS_PER_HOOK];
	unsigned long long prog_runs[CHECMATE_MAX_PROGS_PER_HOOK];
	unsigned long long prog_denials[CHECMATE_MAX_PROGS_PER_HOOK];
	bool log_only[CHECMATE_MAX_PROGS_PER_HOOK];
	int n;
};

#define LINE_FMT "%31s mode=%15s locked=%d audit=%d active=%d runs=%llu denials=%llu progs=%n"

/* Parse the file's line number @idx (hook @idx + 1). */
static int read_line(int idx, struct line *l)
{
	char buf[1 << 16], *p;
	int fd = open(HOOKS_FILE, O_RDONLY), n, off;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	p = buf;
	for (int i = 0; i < idx && p; i++) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p || sscanf(p, LINE_FMT, l->hook, l->mode, &l->locked, &l->audit, &l->active, &l->runs,
			 &l->denials, &off) != 7)
		return -1;
	p += off;
	l->n = 0;
	while (*p != '\n' && *p) {
		if (sscanf(p, "%u:%llu:%llu%n", &l->ids[l->n], &l->prog_runs[l->n],
			   &l->prog_denials[l->n], &off) != 3)
			return -1;
		p += off;
		l->log_only[l->n] = !strncmp(p, ":log-only", 9);
		if (l->log_only[l->n])
			p += 9;
		l->n++;
		while (*p == ' ')
			p++;
	}
	return 0;
}

TEST(file_is_root_only)
{
	struct stat st;

	ASSERT_EQ(0, stat(HOOKS_FILE, &st));
	EXPECT_EQ(0400, st.st_mode & 07777);
}

TEST(agrees_with_the_prctl_query)
{
	for (unsigned int hook = 1; hook < __CHECMATE_HOOK_MAX; hook++) {
		struct checmate_query q;
		__u32 ids[CHECMATE_MAX_PROGS_PER_HOOK];
		struct line l;
		int want;

		ASSERT_EQ(0, cm_query(hook, &q, ids, CHECMATE_MAX_PROGS_PER_HOOK));
		ASSERT_EQ(0, read_line(hook - 1, &l));
		EXPECT_STREQ(mode_names[q.mode], l.mode);
		EXPECT_EQ(!!(q.flags & CHECMATE_QUERY_F_LOCKED), l.locked);
		EXPECT_EQ(!!(q.flags & CHECMATE_QUERY_F_AUDIT), l.audit);
		ASSERT_EQ((int)q.prog_cnt, l.n) TH_LOG("hook %s", l.hook);
		for (int i = 0; i < l.n; i++)
			EXPECT_EQ(ids[i], l.ids[i]);
		/* A hook runs programs while it has some, unless disabled. */
		want = q.prog_cnt > 0 && q.mode != CHECMATE_MODE_DISABLED;
		if (hook == CHECMATE_HOOK_TASK_PRCTL || hook == CHECMATE_HOOK_BPF)
			want = 1;
		EXPECT_EQ(want, l.active) TH_LOG("hook %s", l.hook);
	}
}

TEST(counts_runs_and_denials)
{
	unsigned int hook = CHECMATE_HOOK_TASK_KILL;
	int allow = load_ret(hook, 0);
	/* Signals this process sends (no current-task helper on task_kill). */
	int deny = load_deny_field32(hook, offsetof(struct checmate_task_ctx, sender_tgid),
				     getpid(), DENY_ERRNO);
	struct line before, after;
	int slot;

	ASSERT_LE(0, allow);
	ASSERT_LE(0, deny);
	ASSERT_EQ(0, cm_attach(hook, allow));
	ASSERT_EQ(0, cm_attach(hook, deny));
	ASSERT_EQ(0, read_line(hook - 1, &before));
	for (int i = 0; i < 3; i++)
		EXPECT_EQ(-1, kill(getpid(), 0));
	ASSERT_EQ(0, read_line(hook - 1, &after));
	EXPECT_STREQ("task_kill", after.hook);
	/* Our three kills, plus whatever else signalled meanwhile. */
	EXPECT_LE(before.runs + 3, after.runs);
	EXPECT_EQ(before.denials + 3, after.denials);
	slot = after.n - 1;
	ASSERT_LE(1, slot);
	EXPECT_EQ(prog_id(deny), after.ids[slot]);
	EXPECT_EQ(before.prog_denials[slot] + 3, after.prog_denials[slot]);
	EXPECT_EQ(0, after.prog_denials[slot - 1]);
	EXPECT_LE(before.prog_runs[slot - 1] + 3, after.prog_runs[slot - 1]);
	ASSERT_EQ(0, cm_detach(hook, deny));
	ASSERT_EQ(0, cm_detach(hook, allow));
	close(allow);
	close(deny);
}

static int open_errno(void)
{
	int fd = open(HOOKS_FILE, O_RDONLY);

	return fd < 0 ? errno : (close(fd), 0);
}

TEST(others_cannot_read_it)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		/* Root in a new user namespace: refused like the prctl. */
		if (unshare(CLONE_NEWUSER))
			_exit(100);
		_exit(open_errno());
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(EPERM, WEXITSTATUS(status));
	pid = fork();
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(100);
		_exit(open_errno());
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(EACCES, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
