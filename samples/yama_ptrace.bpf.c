// SPDX-License-Identifier: GPL-2.0
/*
 * Yama's ptrace_scope 1, as a policy: a process may attach to (trace)
 * only its own descendants, or a process that named it as its tracer with
 * prctl(PR_SET_PTRACER, pid) (or anyone, PR_SET_PTRACER_ANY), as Yama
 * allows: crash handlers and debuggers that use the prctl keep working.
 * Any other attach-mode check fails, with EPERM or, where the kernel turns
 * it into one, EACCES (/proc/PID/mem).
 *
 * Covered: every ptrace_access_check with PTRACE_MODE_ATTACH, that is
 * PTRACE_ATTACH, PTRACE_SEIZE, opening /proc/PID/mem, process_vm_readv()
 * and process_vm_writev(), pidfd_getfd(), /proc/PID/stack and syscall,
 * and perf_event_open() with sigtrap on another task without CAP_KILL.
 * The read-mode checks (PTRACE_MODE_READ: /proc/PID/environ, maps, fd,
 * exe, cwd, kcmp()...) are allowed, as under Yama's scope 1.
 *
 * PR_SET_PTRACER: task_prctl records the exception (0 removes it). With
 * Yama in the LSM order before Checmate, Yama checks the pid first and a
 * call it refuses records nothing; without Yama, the kernel answers the
 * call with EINVAL, but the exception is recorded all the same.
 *
 * Stricter than Yama: no exception for a tracer that holds CAP_SYS_PTRACE
 * over the tracee; the named tracer must be the thread group that attaches
 * (Yama also accepts its descendants); only a tracee in the initial pid
 * namespace can name a tracer (a pid given inside a container's pid
 * namespace is that namespace's, which the context cannot translate, so
 * the call records nothing); an exception ends at the tracee's next
 * execve() (Yama keeps it until the tracee exits).
 *
 * Laxer than Yama: exceptions are kept by pid in an LRU map of 16,384
 * entries, and nothing here sees a process exit. If the named tracer
 * exits, the next process given its pid inherits the exception; if the
 * tracee exits without exec, the next process given its tgid is traceable
 * by the named tracer, until it calls execve(). Yama drops both when
 * either task exits.
 * PTRACE_TRACEME (ptrace_traceme) is not restricted, as under scope 1. The
 * kernel's own checks (same user or CAP_SYS_PTRACE, dumpability) come
 * first and still refuse what they do.
 */
#include "checmate_policy.h"

/* include/linux/ptrace.h */
#define PTRACE_MODE_ATTACH 0x02
/* include/uapi/linux/prctl.h */
#define PR_SET_PTRACER 0x59616d61
#define PR_SET_PTRACER_ANY ((__u64)-1)
#define ANY_TRACER ((__u32)-1)

/* PR_SET_PTRACER exceptions: tracee tgid -> tracer tgid, or ANY_TRACER. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u32);
} ptracers SEC(".maps");

SEC("checmate/ptrace_access_check")
int yama_ptrace_access(struct checmate_task_ctx *ctx)
{
	__u32 tracee = ctx->tgid, *tracer;

	if (!(ctx->flags & PTRACE_MODE_ATTACH) || ctx->descendant)
		return 0;
	tracer = bpf_map_lookup_elem(&ptracers, &tracee);
	if (tracer && (*tracer == ANY_TRACER || *tracer == bpf_get_current_pid_tgid() >> 32))
		return 0;
	return -EPERM;
}

/* prctl(PR_SET_PTRACER, pid | PR_SET_PTRACER_ANY | 0) by the tracee. */
SEC("checmate/task_prctl")
int yama_set_ptracer(struct checmate_cred_ctx *ctx)
{
	__u32 tracee = ctx->tgid, tracer;

	if (ctx->option != PR_SET_PTRACER || ctx->pidns_level != 0)
		return 0;
	if (!ctx->args[0]) {
		bpf_map_delete_elem(&ptracers, &tracee);
		return 0;
	}
	tracer = ctx->args[0] == PR_SET_PTRACER_ANY ? ANY_TRACER : (__u32)ctx->args[0];
	bpf_map_update_elem(&ptracers, &tracee, &tracer, BPF_ANY);
	return 0;
}

/* A new program: the old one's exception ends. */
SEC("checmate/bprm_check_security")
int yama_exec(struct checmate_task_ctx *ctx)
{
	__u32 tracee = ctx->tgid;

	bpf_map_delete_elem(&ptracers, &tracee);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
