// SPDX-License-Identifier: GPL-2.0
/*
 * Checmate selftests: the credential hooks (capable, task_fix_setuid,
 * task_fix_setgid, capset, task_prctl).
 *
 * - Each is crossed by the calls that should cross it, and its context
 *   holds the credentials the kernel acts on: old and new ids and sets,
 *   the capability and the user namespaces it is asked in.
 * - Denials that would keep privileges are not enforced: a set*id() whose
 *   new ids are all among the old ones, a capset() that only drops, the
 *   prctl() options that only restrict, capable()'s own checks of the
 *   set*id() calls and CAP_SETPCAP. A denied change that needs a
 *   privilege fails and kills the caller.
 * - Checmate's own privilege check cannot be refused by a program on
 *   capable.
 *
 * Credential changes run in forked children, which report to the parent
 * through their exit status; the parent holds the programs.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <grp.h>
#include <linux/capability.h>

#include "kselftest_harness.h"
#include "common.h"

#define H(x) CHECMATE_HOOK_##x
#define CTX_SIZE ((int)sizeof(struct checmate_cred_ctx))
#define OFF(f) ((int)offsetof(struct checmate_cred_ctx, f))
/* LSM_SETID_* (include/linux/security.h). */
#define LSM_SETID_ID 1
#define LSM_SETID_RES 4
#define ANY (-1)

struct record {
	struct checmate_cred_ctx c;
	__u64 runs;
};

static int read_record(int map, struct record *r)
{
	return cm_map_elem(BPF_MAP_LOOKUP_ELEM, map, 0, r);
}

static __u64 runs(int map)
{
	struct record r;

	return read_record(map, &r) ? -1ULL : r.runs;
}

/*
 * A program that, for the caller @tgid and (unless @cap is ANY) the
 * context's cap @cap, copies the context into @map, counts the run and
 * returns @ret; it returns 0 otherwise.
 */
static int load_copy(unsigned int hook, int map, int tgid, int cap, int ret)
{
	struct bpf_insn insns[128] = {};
	int n = 0, skip[3], nskip = 0;

	insns[n++] = MOV64_REG(6, 1);
	insns[n++] = CALL(BPF_FUNC_get_current_pid_tgid);
	insns[n++] = RSH64_IMM(0, 32);
	skip[nskip++] = n;
	insns[n++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 0, 0, 0, tgid);
	if (cap != ANY) {
		insns[n++] = LDX_MEM(BPF_W, 2, 6, OFF(cap));
		skip[nskip++] = n;
		insns[n++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 2, 0, 0, cap);
	}
	n = emit_copy_tail(insns, n, map, CTX_SIZE, offsetof(struct record, runs), ret,
			   skip, nskip);
	return load_prog(hook, insns, n);
}

FIXTURE(cred) {
	int map, prog;
	unsigned int hook;
	int sync[2], done[2];
	pid_t child;
};

FIXTURE_SETUP(cred)
{
	self->map = cm_map_create(BPF_MAP_TYPE_ARRAY, sizeof(struct record), 1, 0, 0);
	ASSERT_LE(0, self->map);
	self->prog = -1;
	self->child = 0;
}

FIXTURE_TEARDOWN(cred)
{
	if (self->prog >= 0) {
		cm_detach(self->hook, self->prog);
		close(self->prog);
	}
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	close(self->map);
}

/* Attach a copy program for @tgid and @cap to @hook, its record zeroed. */
static int attach(struct _test_data_cred *self, unsigned int hook, int tgid, int cap, int ret)
{
	struct record r;

	memset(&r, 0, sizeof(r));
	self->hook = hook;
	self->prog = load_copy(hook, self->map, tgid, cap, ret);
	if (self->prog < 0 || cm_map_elem(BPF_MAP_UPDATE_ELEM, self->map, 0, &r) ||
	    cm_attach(hook, self->prog)) {
		fprintf(stderr, "# hook %u: %s\n%s\n", hook, strerror(errno), verifier_log);
		return -1;
	}
	return 0;
}

/*
 * Fork a child that runs @setup, waits until the parent attached its
 * program (for the child's tgid), then runs @act and exits with its
 * result. Returns the child's wait status.
 */
static int in_child(struct _test_data_cred *self, unsigned int hook, int cap, int ret,
		    int (*setup)(void), int (*act)(void))
{
	int pipes[2][2], status = -1;
	char c = 0;

	if (pipe(pipes[0]) || pipe(pipes[1]))
		return -1;
	self->child = fork();
	if (self->child < 0)
		return -1;
	if (!self->child) {
		int r = setup ? setup() : 0;

		if (write(pipes[0][1], &r, 1) != 1 || read(pipes[1][0], &c, 1) != 1)
			_exit(99);
		_exit(r ? 98 : act());
	}
	if (read(pipes[0][0], &c, 1) != 1 || attach(self, hook, self->child, cap, ret))
		goto out;
	if (write(pipes[1][1], &c, 1) != 1)
		goto out;
	if (waitpid(self->child, &status, 0) == self->child)
		self->child = 0;
out:
	for (int i = 0; i < 2; i++) {
		close(pipes[i][0]);
		close(pipes[i][1]);
	}
	return status;
}

/* Exit codes of the children's actions. */
#define OK 0
#define WRONG_IDS 10
#define CALL_FAILED 11

static int expect_uids(uid_t r, uid_t e, uid_t s)
{
	uid_t a, b, c;

	if (getresuid(&a, &b, &c))
		return CALL_FAILED;
	return a == r && b == e && c == s ? OK : WRONG_IDS;
}

static int expect_gids(gid_t r, gid_t e, gid_t s)
{
	gid_t a, b, c;

	if (getresgid(&a, &b, &c))
		return CALL_FAILED;
	return a == r && b == e && c == s ? OK : WRONG_IDS;
}

/* Like a set-user-ID root program run by uid 1000: (1000, 0, 0). */
static int become_setuid_root(void)
{
	return setresuid(1000, 0, 0);
}

static int drop_to_1000(void)
{
	return setuid(1000) ? CALL_FAILED : expect_uids(1000, 1000, 1000);
}

/* A set-user-ID root program gives up root: never refused. */
TEST_F(cred, setuid_drop_not_refused)
{
	struct record r;
	int status = in_child(self, H(TASK_FIX_SETUID), ANY, -DENY_ERRNO,
			      become_setuid_root, drop_to_1000);

	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(OK, WEXITSTATUS(status));
	ASSERT_EQ(0, read_record(self->map, &r));
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(CHECMATE_CRED_F_DROP | CHECMATE_CRED_F_CURRENT, r.c.info);
	EXPECT_EQ(LSM_SETID_ID, r.c.setid);
	EXPECT_EQ(1000, r.c.uid);
	EXPECT_EQ(0, r.c.euid);
	EXPECT_EQ(0, r.c.suid);
	EXPECT_EQ(1000, r.c.new_uid);
	EXPECT_EQ(1000, r.c.new_euid);
	EXPECT_EQ(1000, r.c.new_suid);
	EXPECT_EQ(1000, r.c.new_fsuid);
}

static int root_to_2000(void)
{
	return setuid(2000) ? CALL_FAILED : expect_uids(2000, 2000, 2000);
}

/*
 * Root becoming another user needs CAP_SETUID: a denial is enforced, and
 * kills the caller rather than leaving it root behind a failed setuid().
 */
TEST_F(cred, setuid_switch_refused_kills)
{
	struct record r;
	int status = in_child(self, H(TASK_FIX_SETUID), ANY, -DENY_ERRNO, NULL, root_to_2000);

	ASSERT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(SIGKILL, WTERMSIG(status));
	ASSERT_EQ(0, read_record(self->map, &r));
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(CHECMATE_CRED_F_CURRENT, r.c.info);
	EXPECT_EQ(0, r.c.uid);
	EXPECT_EQ(2000, r.c.new_uid);
	EXPECT_EQ(2000, r.c.new_fsuid);

	/* Allowed: the same call succeeds. */
	ASSERT_EQ(0, cm_detach(self->hook, self->prog));
	close(self->prog);
	self->prog = -1;
	status = in_child(self, H(TASK_FIX_SETUID), ANY, 0, NULL, root_to_2000);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(OK, WEXITSTATUS(status));
}

/* Real and saved uid root, effective uid 65534 and no effective caps. */
static int root_behind_65534(void)
{
	return setresuid(0, 65534, 0);
}

static int regain_root(void)
{
	return seteuid(0) ? CALL_FAILED : expect_uids(0, 0, 0);
}

/*
 * seteuid(0) back from a saved root uid uses only the old ids, but
 * regains root and its capabilities: not a drop. Refused, it kills.
 */
TEST_F(cred, seteuid_back_to_root_is_no_drop)
{
	struct record r;
	int status = in_child(self, H(TASK_FIX_SETUID), ANY, -DENY_ERRNO,
			      root_behind_65534, regain_root);

	ASSERT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(SIGKILL, WTERMSIG(status));
	ASSERT_EQ(0, read_record(self->map, &r));
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(CHECMATE_CRED_F_CURRENT, r.c.info);
	EXPECT_EQ(65534, r.c.euid);
	EXPECT_EQ(0, r.c.new_euid);
}

static int no_groups(void)
{
	return setgroups(0, NULL);
}

static int gain_root_group(void)
{
	gid_t g[2] = { 0, 6 };

	return setgroups(2, g) ? CALL_FAILED : OK;
}

static int two_groups(void)
{
	gid_t g[2] = { 5, 6 };

	return setgroups(2, g);
}

static int one_of_them(void)
{
	gid_t g[1] = { 6 };

	return setgroups(1, g) ? CALL_FAILED : OK;
}

/* setgroups(): a gain is refused (and kills); a subset is a drop. */
TEST_F(cred, setgroups_gain_and_drop)
{
	struct record r;
	int status = in_child(self, H(TASK_FIX_SETGROUPS), ANY, -DENY_ERRNO,
			      no_groups, gain_root_group);

	ASSERT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(SIGKILL, WTERMSIG(status));
	ASSERT_EQ(0, read_record(self->map, &r));
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(0, r.c.ngroups);
	EXPECT_EQ(2, r.c.new_ngroups);
	EXPECT_EQ(CHECMATE_CRED_F_CURRENT | CHECMATE_CRED_F_GROUP0, r.c.info);
	ASSERT_EQ(0, cm_detach(self->hook, self->prog));
	close(self->prog);
	self->prog = -1;

	status = in_child(self, H(TASK_FIX_SETGROUPS), ANY, -DENY_ERRNO, two_groups,
			  one_of_them);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(OK, WEXITSTATUS(status));
	ASSERT_EQ(0, read_record(self->map, &r));
	EXPECT_EQ(2, r.c.ngroups);
	EXPECT_EQ(1, r.c.new_ngroups);
	EXPECT_EQ(CHECMATE_CRED_F_CURRENT | CHECMATE_CRED_F_DROP, r.c.info);
}

static int keepcaps_on(void)
{
	return prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) ? errno : OK;
}

/*
 * PR_SET_KEEPCAPS 1 is made by the capability module before Checmate's
 * turn: a refusal cannot undo it, so it kills.
 */
TEST_F(cred, prctl_applied_change_refused_kills)
{
	struct record r;
	int status = in_child(self, H(TASK_PRCTL), ANY, -DENY_ERRNO, NULL, keepcaps_on);

	ASSERT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(SIGKILL, WTERMSIG(status));
	ASSERT_EQ(0, read_record(self->map, &r));
	EXPECT_EQ(PR_SET_KEEPCAPS, r.c.option);
	EXPECT_EQ(CHECMATE_CRED_F_CURRENT | CHECMATE_CRED_F_APPLIED, r.c.info);
	EXPECT_EQ(0, r.c.pidns_level);
}

static int set_res_uid(void)
{
	return setresuid(1000, 2000, 0) ? CALL_FAILED : expect_uids(1000, 2000, 0);
}

/* setresuid(): LSM_SETID_RES, each id as asked. */
TEST_F(cred, setresuid_context)
{
	struct record r;
	int status = in_child(self, H(TASK_FIX_SETUID), ANY, 0, NULL, set_res_uid);

	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(OK, WEXITSTATUS(status));
	ASSERT_EQ(0, read_record(self->map, &r));
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(LSM_SETID_RES, r.c.setid);
	EXPECT_EQ(CHECMATE_CRED_F_CURRENT, r.c.info);
	EXPECT_EQ(1000, r.c.new_uid);
	EXPECT_EQ(2000, r.c.new_euid);
	EXPECT_EQ(0, r.c.new_suid);
	EXPECT_EQ(2000, r.c.new_fsuid);
}

static int become_setgid_root(void)
{
	return setresgid(1000, 0, 0);
}

static int gid_drop(void)
{
	return setgid(1000) ? CALL_FAILED : expect_gids(1000, 1000, 1000);
}

static int gid_switch(void)
{
	return setgid(2000) ? CALL_FAILED : expect_gids(2000, 2000, 2000);
}

/* setgid(): a drop to an own gid is never refused; a new gid is. */
TEST_F(cred, setgid_drop_and_switch)
{
	struct record r;
	int status = in_child(self, H(TASK_FIX_SETGID), ANY, -DENY_ERRNO,
			      become_setgid_root, gid_drop);

	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(OK, WEXITSTATUS(status));
	ASSERT_EQ(0, read_record(self->map, &r));
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(CHECMATE_CRED_F_DROP | CHECMATE_CRED_F_CURRENT, r.c.info);
	EXPECT_EQ(1000, r.c.gid);
	EXPECT_EQ(0, r.c.egid);
	EXPECT_EQ(1000, r.c.new_egid);
	ASSERT_EQ(0, cm_detach(self->hook, self->prog));
	close(self->prog);
	self->prog = -1;

	status = in_child(self, H(TASK_FIX_SETGID), ANY, -DENY_ERRNO, NULL, gid_switch);
	ASSERT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(SIGKILL, WTERMSIG(status));
	ASSERT_EQ(0, read_record(self->map, &r));
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(2000, r.c.new_gid);
	EXPECT_EQ(0, r.c.info & CHECMATE_CRED_F_DROP);
}

static struct __user_cap_header_struct cap_hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };

static int get_caps(struct __user_cap_data_struct d[2])
{
	return syscall(SYS_capget, &cap_hdr, d);
}

static int set_caps(struct __user_cap_data_struct d[2])
{
	return syscall(SYS_capset, &cap_hdr, d);
}

/* Drop CAP_NET_RAW from the effective set. */
static int lower_net_raw(void)
{
	struct __user_cap_data_struct d[2];

	if (get_caps(d))
		return CALL_FAILED;
	d[0].effective &= ~(1U << CAP_NET_RAW);
	return set_caps(d) ? CALL_FAILED : OK;
}

/* Raise CAP_NET_RAW in the effective set again (it is still permitted). */
static int raise_net_raw(void)
{
	struct __user_cap_data_struct d[2];

	if (get_caps(d))
		return CALL_FAILED;
	d[0].effective |= 1U << CAP_NET_RAW;
	return set_caps(d) ? CALL_FAILED : OK;
}

/* capset(): dropping is never refused; raising is, and kills. */
TEST_F(cred, capset_drop_and_gain)
{
	struct record r;
	int status = in_child(self, H(CAPSET), ANY, -DENY_ERRNO, NULL, lower_net_raw);

	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(OK, WEXITSTATUS(status));
	ASSERT_EQ(0, read_record(self->map, &r));
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(CHECMATE_CRED_F_DROP | CHECMATE_CRED_F_CURRENT, r.c.info);
	EXPECT_NE(0, r.c.cap_effective & (1ULL << CAP_NET_RAW));
	EXPECT_EQ(0, r.c.new_cap_effective & (1ULL << CAP_NET_RAW));
	EXPECT_EQ(r.c.cap_effective & ~(1ULL << CAP_NET_RAW), r.c.new_cap_effective);
	EXPECT_EQ(r.c.cap_permitted, r.c.new_cap_permitted);
	EXPECT_EQ(r.c.cap_inheritable, r.c.new_cap_inheritable);
	ASSERT_EQ(0, cm_detach(self->hook, self->prog));
	close(self->prog);
	self->prog = -1;

	status = in_child(self, H(CAPSET), ANY, -DENY_ERRNO, lower_net_raw, raise_net_raw);
	ASSERT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(SIGKILL, WTERMSIG(status));
	ASSERT_EQ(0, read_record(self->map, &r));
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(CHECMATE_CRED_F_CURRENT, r.c.info);
	EXPECT_NE(0, r.c.new_cap_effective & (1ULL << CAP_NET_RAW));
}

/* A capability check: setpriority() below 0 needs CAP_SYS_NICE. */
static int nice_down(void)
{
	return setpriority(PRIO_PROCESS, 0, -1) ? errno : OK;
}

/*
 * capable: crossed by a capability check with the caller's credentials; a
 * denial makes the check fail (the kernel's own errno: EACCES here).
 */
TEST_F(cred, capable_context_and_denial)
{
	struct record r;
	int status = in_child(self, H(CAPABLE), CAP_SYS_NICE, -DENY_ERRNO, NULL, nice_down);

	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(EACCES, WEXITSTATUS(status));
	ASSERT_EQ(0, read_record(self->map, &r));
	EXPECT_LE(1, r.runs);
	EXPECT_EQ(CAP_SYS_NICE, r.c.cap);
	EXPECT_EQ(CHECMATE_CRED_F_CURRENT, r.c.info);
	EXPECT_EQ(0, r.c.userns_level);
	EXPECT_EQ(0, r.c.target_userns_level);
	EXPECT_EQ(CHECMATE_NS_OWN, r.c.ns_relation);
	EXPECT_EQ(0, r.c.euid);
	EXPECT_NE(0, r.c.cap_effective & (1ULL << CAP_SYS_NICE));
	EXPECT_EQ(own_cgroup_id(), r.c.cgroup_id);

	/* Without the program the check passes. */
	ASSERT_EQ(0, cm_detach(self->hook, self->prog));
	close(self->prog);
	self->prog = -1;
	EXPECT_EQ(OK, nice_down());
	setpriority(PRIO_PROCESS, 0, 0);
}

/* In a new user namespace: sethostname() in its own UTS namespace. */
static int userns_hostname(void)
{
	if (unshare(CLONE_NEWUSER | CLONE_NEWUTS))
		return CALL_FAILED;
	return sethostname("cred", 4) ? errno : OK;
}

/*
 * Enter the user namespace of a child that made one: a check of
 * CAP_SYS_ADMIN in a namespace below the caller's.
 */
static int setns_descendant(void)
{
	int p[2], fd, ret;
	char path[64], c;
	pid_t g;

	if (pipe(p))
		return CALL_FAILED;
	g = fork();
	if (!g) {
		if (unshare(CLONE_NEWUSER) || write(p[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	if (g < 0 || read(p[0], &c, 1) != 1)
		return CALL_FAILED;
	snprintf(path, sizeof(path), "/proc/%d/ns/user", g);
	fd = open(path, O_RDONLY);
	ret = fd >= 0 && !setns(fd, CLONE_NEWUSER) ? OK : CALL_FAILED;
	kill(g, SIGKILL);
	waitpid(g, NULL, 0);
	return ret;
}

/* capable: the user namespaces of the credentials and of the check. */
TEST_F(cred, capable_namespaces)
{
	struct record r;
	int status = in_child(self, H(CAPABLE), CAP_SYS_ADMIN, 0, NULL, userns_hostname);

	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(OK, WEXITSTATUS(status));
	ASSERT_EQ(0, read_record(self->map, &r));
	EXPECT_LE(1, r.runs);
	EXPECT_EQ(1, r.c.userns_level);
	EXPECT_EQ(1, r.c.target_userns_level);
	EXPECT_EQ(CHECMATE_NS_OWN, r.c.ns_relation);
	ASSERT_EQ(0, cm_detach(self->hook, self->prog));
	close(self->prog);
	self->prog = -1;

	status = in_child(self, H(CAPABLE), CAP_SYS_ADMIN, 0, NULL, setns_descendant);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(OK, WEXITSTATUS(status));
	ASSERT_EQ(0, read_record(self->map, &r));
	EXPECT_LE(1, r.runs);
	EXPECT_EQ(0, r.c.userns_level);
	EXPECT_EQ(1, r.c.target_userns_level);
	EXPECT_EQ(CHECMATE_NS_DESCENDANT, r.c.ns_relation);
}

/* Root gives up root and bounding-set capabilities. */
static int drop_everything(void)
{
	if (prctl(PR_CAPBSET_DROP, CAP_NET_RAW, 0, 0, 0))
		return CALL_FAILED;
	if (prctl(PR_CAPBSET_READ, CAP_NET_RAW, 0, 0, 0) != 0)
		return WRONG_IDS;
	if (setgid(1000) || setuid(1000))
		return CALL_FAILED;
	return expect_uids(1000, 1000, 1000);
}

/*
 * A program that refuses every capability still cannot refuse the checks
 * of a privilege drop: CAP_SETUID and CAP_SETGID of set*id(), CAP_SETPCAP.
 */
TEST_F(cred, capable_cannot_refuse_drops)
{
	struct record r;
	int status = in_child(self, H(CAPABLE), ANY, -DENY_ERRNO, NULL, drop_everything);

	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(OK, WEXITSTATUS(status));
	ASSERT_EQ(0, read_record(self->map, &r));
	/* The programs ran for those checks (and denied, not enforced). */
	EXPECT_LE(3, r.runs);
}

/*
 * Checmate's own check: a program that refuses CAP_SYS_ADMIN to this
 * process does not keep it from managing Checmate.
 */
TEST_F(cred, own_check_not_refused)
{
	struct checmate_query q;
	__u64 before;
	__u32 others;

	ASSERT_EQ(0, cm_query(H(CAPABLE), &q, NULL, 0));
	others = q.prog_cnt;
	ASSERT_EQ(0, attach(self, H(CAPABLE), getpid(), CAP_SYS_ADMIN, -DENY_ERRNO));
	/* The program refuses CAP_SYS_ADMIN to this process... */
	EXPECT_EQ(-1, sethostname("cred", 4));
	EXPECT_EQ(EPERM, errno);
	before = runs(self->map);
	EXPECT_LE(1, before);
	/* ...but not for Checmate's own prctl check, nor does it run there. */
	EXPECT_EQ(0, cm_query(H(CAPABLE), &q, NULL, 0));
	EXPECT_EQ(others + 1, q.prog_cnt);
	EXPECT_EQ(before, runs(self->map));
	EXPECT_EQ(0, cm_detach(H(CAPABLE), self->prog));
	close(self->prog);
	self->prog = -1;
}

static int prctl_name(void)
{
	return prctl(PR_SET_NAME, "cred", 0, 0, 0) ? errno : OK;
}

/* Options that only restrict the caller (its other prctl()s are refused). */
static int prctl_nnp(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_CAPBSET_DROP, CAP_NET_RAW, 0, 0, 0))
		return CALL_FAILED;
	return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) ? CALL_FAILED : OK;
}

/*
 * task_prctl: a denial fails prctl() with the errno; options that only
 * restrict the caller are never refused; PR_CHECMATE never reaches the
 * programs; an allowing program leaves every option to the kernel.
 */
TEST_F(cred, task_prctl)
{
	struct checmate_query q;
	struct record r;
	__u32 others;
	int status = in_child(self, H(TASK_PRCTL), ANY, -DENY_ERRNO, NULL, prctl_name);

	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(DENY_ERRNO, WEXITSTATUS(status));
	ASSERT_EQ(0, read_record(self->map, &r));
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(PR_SET_NAME, r.c.option);
	EXPECT_EQ(0, r.c.args[1]);
	EXPECT_NE(0, r.c.args[0]);
	EXPECT_EQ(CHECMATE_CRED_F_CURRENT, r.c.info);
	ASSERT_EQ(0, cm_detach(self->hook, self->prog));
	close(self->prog);
	self->prog = -1;

	status = in_child(self, H(TASK_PRCTL), ANY, -DENY_ERRNO, NULL, prctl_nnp);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(OK, WEXITSTATUS(status));
	ASSERT_EQ(0, read_record(self->map, &r));
	EXPECT_EQ(3, r.runs);
	EXPECT_EQ(PR_SET_DUMPABLE, r.c.option);
	EXPECT_EQ(CHECMATE_CRED_F_DROP | CHECMATE_CRED_F_CURRENT, r.c.info);
	ASSERT_EQ(0, cm_detach(self->hook, self->prog));
	close(self->prog);
	self->prog = -1;

	/* An allowing program on this process: the kernel still answers. */
	ASSERT_EQ(0, cm_query(H(TASK_PRCTL), &q, NULL, 0));
	others = q.prog_cnt;
	ASSERT_EQ(0, attach(self, H(TASK_PRCTL), getpid(), ANY, 0));
	EXPECT_EQ(1, prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
	EXPECT_EQ(1, runs(self->map));
	EXPECT_EQ(0, cm_query(H(TASK_PRCTL), &q, NULL, 0));
	EXPECT_EQ(others + 1, q.prog_cnt);
	EXPECT_EQ(1, runs(self->map));
}

TEST_HARNESS_MAIN
