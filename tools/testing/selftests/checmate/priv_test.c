// SPDX-License-Identifier: GPL-2.0
/*
 * Checmate selftests: the privilege matrix. Every caller (a fixture
 * variant) against every operation (a row of ops[]); each cell is an
 * expected result. Only CAP_SYS_ADMIN in the initial user namespace may
 * change or read policy; loading a program asks what the BPF core asks of a
 * tracing-class type (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN).
 * no_new_privs neither grants nor takes away anything here.
 *
 * A refused operation must leave both hooks exactly as they were.
 *
 * The privileged callers lock path_chroot until reboot (deny_reset): run
 * in a boot of its own (TEST_GEN_PROGS_EXTENDED), as tools/run-tests.sh does.
 */
#define _GNU_SOURCE
#include <linux/capability.h>
#include <sched.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "common.h"

/* Changed by the operations; never locked. */
#define H_OPS CHECMATE_HOOK_PTRACE_TRACEME
/* Locked by the privileged callers' deny_reset, empty: nothing runs there. */
#define H_LOCK CHECMATE_HOOK_PATH_CHROOT

/* Keep only the capabilities in @caps (a mask of two 32-bit words). */
static int keep_caps(unsigned long long caps)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = { 0 };

	for (int i = 0; i < 2; i++) {
		data[i].effective = caps >> (32 * i);
		data[i].permitted = caps >> (32 * i);
	}
	return syscall(__NR_capset, &hdr, data);
}

#define CAP(c) (1ULL << (c))
#define ALL_CAPS ((CAP(CAP_LAST_CAP) << 1) - 1)

static int become_init_root(void)
{
	return 0;
}

static int become_root_nnp(void)
{
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

static int become_sys_admin_only(void)
{
	return keep_caps(CAP(CAP_SYS_ADMIN));
}

static int become_bpf_perfmon_only(void)
{
	return keep_caps(CAP(CAP_BPF) | CAP(CAP_PERFMON));
}

static int become_root_without_sys_admin(void)
{
	return keep_caps(ALL_CAPS & ~CAP(CAP_SYS_ADMIN));
}

static int become_userns_root(void)
{
	/* Every capability, in the new namespace only. */
	return unshare(CLONE_NEWUSER);
}

static int become_unprivileged(void)
{
	return setgid(65534) || setuid(65534);
}

static int become_unprivileged_nnp(void)
{
	return become_unprivileged() || become_root_nnp();
}

FIXTURE(priv) {
	int prog;	/* allow-all, for H_OPS, loaded by init root */
};

FIXTURE_VARIANT(priv) {
	int (*become)(void);
	int may_load;
	int may_operate;
};

FIXTURE_VARIANT_ADD(priv, init_root) { become_init_root, 1, 1 };
FIXTURE_VARIANT_ADD(priv, root_no_new_privs) { become_root_nnp, 1, 1 };
FIXTURE_VARIANT_ADD(priv, cap_sys_admin_alone) { become_sys_admin_only, 1, 1 };
FIXTURE_VARIANT_ADD(priv, cap_bpf_perfmon_alone) { become_bpf_perfmon_only, 1, 0 };
FIXTURE_VARIANT_ADD(priv, root_without_cap_sys_admin) { become_root_without_sys_admin, 1, 0 };
FIXTURE_VARIANT_ADD(priv, root_in_user_namespace) { become_userns_root, 0, 0 };
FIXTURE_VARIANT_ADD(priv, unprivileged) { become_unprivileged, 0, 0 };
FIXTURE_VARIANT_ADD(priv, unprivileged_no_new_privs) { become_unprivileged_nnp, 0, 0 };

FIXTURE_SETUP(priv)
{
	ASSERT_EQ(0, checmate(CHECMATE_OP_RESET, H_OPS, 0, 0));
	ASSERT_EQ(0, checmate(CHECMATE_OP_SET_MODE, H_OPS, CHECMATE_MODE_NORMAL, 0));
	ASSERT_EQ(0, checmate(CHECMATE_OP_SET_AUDIT, H_OPS, 0, 0));
	self->prog = load_ret(H_OPS, 0);
	ASSERT_LE(0, self->prog) TH_LOG("%s", verifier_log);
}

FIXTURE_TEARDOWN(priv)
{
	checmate(CHECMATE_OP_RESET, H_OPS, 0, 0);
	checmate(CHECMATE_OP_SET_MODE, H_OPS, CHECMATE_MODE_NORMAL, 0);
	checmate(CHECMATE_OP_SET_AUDIT, H_OPS, 0, 0);
	close(self->prog);
}

/* The operations, as the caller runs them: 0 or the errno. */
static int prog_fd;

static int res(int r)
{
	return r < 0 ? errno : 0;
}

static int op_load(void)
{
	int fd = load_ret(H_OPS, 0);

	if (fd >= 0)
		close(fd);
	return res(fd);
}

static int op_attach(void)
{
	return res(cm_attach(H_OPS, prog_fd));
}

static int op_detach(void)
{
	return res(cm_detach(H_OPS, prog_fd));
}

static int op_reset(void)
{
	return res(checmate(CHECMATE_OP_RESET, H_OPS, 0, 0));
}

static int op_deny_reset(void)
{
	return res(checmate(CHECMATE_OP_DENY_RESET, H_LOCK, 0, 0));
}

static int op_set_mode(void)
{
	return res(checmate(CHECMATE_OP_SET_MODE, H_OPS, CHECMATE_MODE_DISABLED, 0));
}

static int op_set_audit(void)
{
	return res(checmate(CHECMATE_OP_SET_AUDIT, H_OPS, 1, 0));
}

static int op_query(void)
{
	struct checmate_query q;
	__u32 ids[4];

	return res(cm_query(H_OPS, &q, ids, ARRAY_LEN(ids)));
}

/* What a hook looks like to init root. */
struct snap {
	__u32 mode, flags, cnt, ids[4];
};

static void snap(unsigned int hook, struct snap *s)
{
	struct checmate_query q;

	memset(s, 0, sizeof(*s));
	if (cm_query(hook, &q, s->ids, ARRAY_LEN(s->ids))) {
		s->mode = -1;
		return;
	}
	s->mode = q.mode;
	s->flags = q.flags;
	s->cnt = q.prog_cnt;
}

static const struct {
	const char *name;
	int (*run)(void);
	int attached_before;		/* init root attaches the program first */
	int is_load;
} ops[] = {
	{ "load", op_load, 0, 1 },
	{ "attach", op_attach, 0, 0 },
	{ "detach", op_detach, 1, 0 },
	{ "reset", op_reset, 1, 0 },
	{ "deny_reset", op_deny_reset, 0, 0 },
	{ "set_mode", op_set_mode, 0, 0 },
	{ "set_audit", op_set_audit, 0, 0 },
	{ "query", op_query, 1, 0 },
};

/* Run ops[i] as the variant's caller, in a child: 0, an errno, or -1. */
static int run_as(int (*become)(void), int i)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		if (become())
			_exit(255);
		_exit(ops[i].run());
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

TEST_F(priv, every_operation)
{
	prog_fd = self->prog;
	for (size_t i = 0; i < ARRAY_LEN(ops); i++) {
		int allowed = ops[i].is_load ? variant->may_load : variant->may_operate;
		struct snap before_ops, before_lock, after_ops, after_lock;
		int got;

		ASSERT_EQ(0, checmate(CHECMATE_OP_RESET, H_OPS, 0, 0));
		ASSERT_EQ(0, checmate(CHECMATE_OP_SET_MODE, H_OPS, CHECMATE_MODE_NORMAL, 0));
		ASSERT_EQ(0, checmate(CHECMATE_OP_SET_AUDIT, H_OPS, 0, 0));
		if (ops[i].attached_before)
			ASSERT_EQ(0, cm_attach(H_OPS, self->prog));
		snap(H_OPS, &before_ops);
		snap(H_LOCK, &before_lock);

		got = run_as(variant->become, i);
		EXPECT_EQ(allowed ? 0 : EPERM, got)
			TH_LOG("%s: got %s, want %s", ops[i].name,
			       got > 0 && got < 255 ? strerror(got) : "(no errno)",
			       allowed ? "success" : "EPERM");

		snap(H_OPS, &after_ops);
		snap(H_LOCK, &after_lock);
		if (!allowed || ops[i].run == op_query || ops[i].run == op_load) {
			/* Nothing changed. */
			EXPECT_EQ(0, memcmp(&before_ops, &after_ops, sizeof(after_ops)))
				TH_LOG("%s changed the hook", ops[i].name);
			EXPECT_EQ(0, memcmp(&before_lock, &after_lock, sizeof(after_lock)))
				TH_LOG("%s changed the locked hook", ops[i].name);
			continue;
		}
		/* The change the operation makes, seen by init root. */
		if (ops[i].run == op_attach)
			EXPECT_EQ(1, after_ops.cnt);
		if (ops[i].run == op_detach || ops[i].run == op_reset)
			EXPECT_EQ(0, after_ops.cnt);
		if (ops[i].run == op_deny_reset)
			EXPECT_EQ(CHECMATE_QUERY_F_LOCKED,
				  after_lock.flags & CHECMATE_QUERY_F_LOCKED);
		if (ops[i].run == op_set_mode)
			EXPECT_EQ(CHECMATE_MODE_DISABLED, after_ops.mode);
		if (ops[i].run == op_set_audit)
			EXPECT_EQ(CHECMATE_QUERY_F_AUDIT, after_ops.flags & CHECMATE_QUERY_F_AUDIT);
	}
}

TEST_HARNESS_MAIN
