// SPDX-License-Identifier: GPL-2.0
/*
 * No new user namespaces inside a cgroup: processes of the cgroup held by
 * userns_cgroup (and of its descendants) may not create a user namespace
 * (EPERM). An unprivileged user namespace is the first step of most local
 * privilege escalations through the kernel (nf_tables, overlayfs and
 * other filesystems mountable in a user namespace): it gives its creator
 * every capability over the namespaces it then makes.
 *
 * Covered: every creation of a user namespace (userns_create, crossed by
 * create_user_ns()): unshare(CLONE_NEWUSER), clone() and clone3() with
 * CLONE_NEWUSER, at any nesting level, whatever else the flags ask for
 * (a new user namespace with other namespaces in one call is refused
 * whole).
 *
 * Not covered: setns(2) into a user namespace that exists already (it
 * creates none; the caller needs CAP_SYS_ADMIN in that namespace, and a
 * namespace file reached through /proc/PID/ns crosses ptrace_access_check);
 * namespaces made before the policy was loaded, or by a process before it
 * was moved into the cgroup; processes moved out of the cgroup (that takes
 * write access to cgroup.procs of both cgroups). Other namespaces (mount,
 * network, pid, ...) need CAP_SYS_ADMIN without a user namespace and are
 * not checked here.
 */
#include "checmate_policy.h"

POLICY_CGROUP(userns_cgroup);

SEC("checmate/userns_create")
int no_userns(struct checmate_cred_ctx *ctx)
{
	return IN_POLICY_CGROUP(userns_cgroup) ? -EPERM : 0;
}

char LICENSE[] SEC("license") = "GPL";
