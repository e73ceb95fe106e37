// SPDX-License-Identifier: GPL-2.0
/*
 * Checmate selftests: the LSM is there, owns PR_CHECMATE, and answers only
 * CAP_SYS_ADMIN in the initial user namespace.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/lsm.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "common.h"

#ifndef __NR_lsm_list_modules
#define __NR_lsm_list_modules 461
#endif

TEST(lsm_listed_in_securityfs)
{
	char buf[512] = { 0 };
	int fd = open("/sys/kernel/security/lsm", O_RDONLY);

	ASSERT_LE(0, fd);
	ASSERT_LT(0, read(fd, buf, sizeof(buf) - 1));
	close(fd);
	TH_LOG("lsm: %s", buf);
	ASSERT_NE(NULL, strstr(buf, "checmate"));
}

TEST(lsm_listed_by_lsm_list_modules)
{
	__u64 ids[32];
	__u32 size = sizeof(ids);
	long n = syscall(__NR_lsm_list_modules, ids, &size, 0);
	int found = 0;

	ASSERT_LT(0, n);
	for (long i = 0; i < n; i++)
		found |= ids[i] == LSM_ID_CHECMATE;
	ASSERT_TRUE(found);
}

TEST(prctl_unknown_op_is_einval)
{
	const unsigned long bad_ops[] = { 0, 8, 1000, -1UL };

	for (size_t i = 0; i < ARRAY_LEN(bad_ops); i++) {
		errno = 0;
		EXPECT_EQ(-1, checmate(bad_ops[i], 0, 0, 0));
		EXPECT_EQ(EINVAL, errno);
	}
}

TEST(prctl_is_owned)
{
	struct checmate_query q;

	/* A valid op on a valid hook succeeds: the option is Checmate's. */
	ASSERT_EQ(0, cm_query(CHECMATE_HOOK_FILE_OPEN, &q, NULL, 0));
	/* Other LSMs' options are not swallowed. */
	ASSERT_LE(0, prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
}

/* Drop every capability of this (forked) process. */
static int drop_caps(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = { 0 };

	return syscall(__NR_capset, &hdr, data);
}

/* Run @fn in a child; return its exit status. */
static int in_child(int (*fn)(void))
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn());
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Every op, as a caller without privilege sees it: the errno or 0. */
static int all_ops_errno(void)
{
	struct checmate_query q = { 0 };
	const struct {
		unsigned long op, a3, a4;
	} calls[] = {
		{ CHECMATE_OP_ATTACH, CHECMATE_HOOK_FILE_OPEN, 0 },
		{ CHECMATE_OP_DETACH, CHECMATE_HOOK_FILE_OPEN, 0 },
		{ CHECMATE_OP_RESET, CHECMATE_HOOK_FILE_OPEN, 0 },
		{ CHECMATE_OP_DENY_RESET, CHECMATE_HOOK_FILE_OPEN, 0 },
		{ CHECMATE_OP_SET_MODE, CHECMATE_HOOK_FILE_OPEN, CHECMATE_MODE_DISABLED },
		{ CHECMATE_OP_QUERY, CHECMATE_HOOK_FILE_OPEN, (uintptr_t)&q },
		{ 99, 0, 0 },
	};

	for (size_t i = 0; i < ARRAY_LEN(calls); i++) {
		errno = 0;
		if (checmate(calls[i].op, calls[i].a3, calls[i].a4, 0) != -1)
			return 100 + i;
		if (errno != EPERM)
			return errno;
	}
	return 0;
}

static int unprivileged_user(void)
{
	if (setgid(65534) || setuid(65534))
		return 200;
	return all_ops_errno();
}

static int root_without_caps(void)
{
	if (drop_caps())
		return 201;
	return all_ops_errno();
}

static int root_in_user_namespace(void)
{
	if (unshare(CLONE_NEWUSER))
		return 202;
	/* Full capabilities, but in the new namespace only. */
	return all_ops_errno();
}

/* Keep only CAP_BPF and CAP_PERFMON. */
static int bpf_caps_only(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = { 0 };

	data[CAP_BPF / 32].effective = 1U << (CAP_BPF % 32);
	data[CAP_BPF / 32].permitted = 1U << (CAP_BPF % 32);
	data[CAP_PERFMON / 32].effective |= 1U << (CAP_PERFMON % 32);
	data[CAP_PERFMON / 32].permitted |= 1U << (CAP_PERFMON % 32);
	return syscall(__NR_capset, &hdr, data);
}

static int load_as_unprivileged(void)
{
	if (setgid(65534) || setuid(65534))
		return 200;
	if (load_ret(CHECMATE_HOOK_FILE_OPEN, 0) >= 0)
		return 201;
	return errno;
}

/* A loader with CAP_BPF and CAP_PERFMON loads, but cannot attach. */
static int load_with_bpf_caps(void)
{
	int fd;

	if (bpf_caps_only())
		return 200;
	fd = load_ret(CHECMATE_HOOK_FILE_OPEN, 0);
	if (fd < 0)
		return 201;
	if (cm_attach(CHECMATE_HOOK_FILE_OPEN, fd) == 0)
		return 202;
	return errno;
}

TEST(load_needs_bpf_privilege)
{
	ASSERT_EQ(EPERM, in_child(load_as_unprivileged));
}

TEST(bpf_caps_load_but_cannot_attach)
{
	ASSERT_EQ(EPERM, in_child(load_with_bpf_caps));
}

TEST(unprivileged_user_gets_eperm)
{
	ASSERT_EQ(0, in_child(unprivileged_user));
}

TEST(root_without_cap_sys_admin_gets_eperm)
{
	ASSERT_EQ(0, in_child(root_without_caps));
}

TEST(root_in_new_user_namespace_gets_eperm)
{
	ASSERT_EQ(0, in_child(root_in_user_namespace));
}

static __u64 prog_run_cnt(int fd)
{
	struct bpf_prog_info info;
	union bpf_attr attr;

	memset(&info, 0, sizeof(info));
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = fd;
	attr.info.info_len = sizeof(info);
	attr.info.info = (uintptr_t)&info;
	if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr))
		return -1ULL;
	return info.run_cnt;
}

static void open_close(int times)
{
	while (times--)
		close(open("/proc/self/stat", O_RDONLY));
}

/*
 * The BPF core's run-time statistics (BPF_ENABLE_STATS, as `bpftool prog
 * profile` uses, or sysctl kernel.bpf_stats_enabled) count a Checmate
 * program's runs while they are on, and only then, as for any program
 * run by bpf_prog_run().
 */
TEST(run_time_stats_count_runs)
{
	const unsigned int hook = CHECMATE_HOOK_FILE_OPEN;
	char sysctl[4] = "";
	union bpf_attr attr;
	__u64 before, during;
	int fd, prog, stats;

	fd = open("/proc/sys/kernel/bpf_stats_enabled", O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, read(fd, sysctl, sizeof(sysctl) - 1));
	close(fd);
	if (sysctl[0] != '0')
		SKIP(return, "kernel.bpf_stats_enabled is on already");
	prog = load_ret(hook, 0);
	ASSERT_LE(0, prog) TH_LOG("%s", verifier_log);
	ASSERT_EQ(0, cm_attach(hook, prog));
	open_close(5);
	before = prog_run_cnt(prog);
	memset(&attr, 0, sizeof(attr));
	attr.enable_stats.type = BPF_STATS_RUN_TIME;
	stats = sys_bpf(BPF_ENABLE_STATS, &attr);
	ASSERT_LE(0, stats);
	open_close(5);
	close(stats);
	during = prog_run_cnt(prog);
	open_close(5);
	EXPECT_EQ(0, cm_detach(hook, prog));
	EXPECT_EQ(0, before);
	EXPECT_LE(5, during);
	EXPECT_EQ(during, prog_run_cnt(prog));
	close(prog);
}

TEST_HARNESS_MAIN
