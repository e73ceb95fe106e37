// SPDX-License-Identifier: GPL-2.0
/*
 * Yama's ptrace_scope 1, as a policy: a process may ptrace only its own
 * descendants (PTRACE_ATTACH, /proc/<pid>/mem...). EPERM otherwise.
 */
#include "checmate_policy.h"

SEC("checmate/ptrace_access_check")
int yama_ptrace_access(struct checmate_task_ctx *ctx)
{
	return ctx->descendant ? 0 : -EPERM;
}

char LICENSE[] SEC("license") = "GPL";
