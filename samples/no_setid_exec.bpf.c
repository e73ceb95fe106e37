// SPDX-License-Identifier: GPL-2.0
/*
 * No privilege gain at exec inside a cgroup: for processes of the cgroup
 * held by exec_cgroup (and of its descendants), an execve() that would run
 * the program with another effective uid or gid, or with a permitted
 * capability the caller does not have, fails with EPERM, before the point
 * of no return: the caller goes on. The rule of no_new_privs, enforced
 * from outside the container: a set-user-ID or set-group-ID program (su,
 * sudo, passwd, ping on old systems, any copy an attacker made) or one
 * with file capabilities cannot raise a containerized process's
 * privileges, yet programs that need no gain run normally.
 *
 * Covered: execve(2) and execveat(2) (fexecve(), AT_EMPTY_PATH), of every
 * binary format, on every mount: the context's new credentials are those
 * the kernel computed (bprm_creds_from_file, once per execution, with the
 * file whose set-id bits count: the binary, or a script's interpreter).
 * Set-id bits the kernel ignores (a nosuid mount, no_new_privs, ids with
 * no mapping in the caller's user namespace) give no gain, so such execs
 * are allowed.
 *
 * Not covered: privilege obtained without an exec of a set-id program:
 * setuid(2) and capset(2) by a process that already holds the privilege,
 * asking a privileged process to act (a daemon through a UNIX socket,
 * see unix_allowlist), a user namespace (capabilities
 * there only; see no_userns), ptrace of a privileged process
 * (ptrace_access_check), processes that entered the cgroup already
 * privileged. A drop at exec (root running a set-user-ID program of
 * another user) is refused too: the effective ids must not change.
 */
#include "checmate_policy.h"

POLICY_CGROUP(exec_cgroup);

SEC("checmate/bprm_creds_from_file")
int no_setid_exec(struct checmate_exec_ctx *ctx)
{
	if (!IN_POLICY_CGROUP(exec_cgroup))
		return 0;
	if (ctx->new_euid != ctx->euid || ctx->new_egid != ctx->egid)
		return -EPERM;
	if (ctx->new_cap_permitted & ~ctx->cap_permitted)
		return -EPERM;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
