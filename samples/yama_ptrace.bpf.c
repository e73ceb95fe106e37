// SPDX-License-Identifier: GPL-2.0
/*
 * Yama's ptrace_scope 1, as a policy: a process may attach to (trace)
 * only its own descendants; any other attach-mode check fails, with EPERM
 * or, where the kernel turns it into one, EACCES (/proc/PID/mem).
 *
 * Covered: every ptrace_access_check with PTRACE_MODE_ATTACH, that is
 * PTRACE_ATTACH, PTRACE_SEIZE, opening /proc/PID/mem, process_vm_readv()
 * and process_vm_writev(), pidfd_getfd(), /proc/PID/stack and syscall,
 * and perf_event_open() with sigtrap on another task without CAP_KILL.
 * The read-mode checks (PTRACE_MODE_READ: /proc/PID/environ, maps, fd,
 * exe, cwd, kcmp()...) are allowed, as under Yama's scope 1.
 *
 * Stricter than Yama: no exception for a tracer that holds CAP_SYS_PTRACE
 * over the tracee, nor for one the tracee named with prctl(PR_SET_PTRACER)
 * (the context has neither). PTRACE_TRACEME (ptrace_traceme) is not
 * restricted, as under scope 1. The kernel's own checks (same user or
 * CAP_SYS_PTRACE, dumpability) come first and still refuse what they do.
 */
#include "checmate_policy.h"

/* include/linux/ptrace.h */
#define PTRACE_MODE_ATTACH 0x02

SEC("checmate/ptrace_access_check")
int yama_ptrace_access(struct checmate_task_ctx *ctx)
{
	if (!(ctx->flags & PTRACE_MODE_ATTACH))
		return 0;
	return ctx->descendant ? 0 : -EPERM;
}

char LICENSE[] SEC("license") = "GPL";
