// SPDX-License-Identifier: GPL-2.0
/*
 * A policy written as larger BPF programs are: its decision lives in a
 * global (non-inline) subprogram, which BPF_PROG_TYPE_EXT could replace.
 * Denies connect() to port 4243 with EDOM, for target_tgid only.
 */
#include <linux/bpf.h>
#include <linux/checmate.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 target_tgid;

__noinline int check_port(__u32 port)
{
	return port == 4243;
}

SEC("checmate/socket_connect")
int policy(struct checmate_sock_ctx *ctx)
{
	if ((bpf_get_current_pid_tgid() >> 32) != target_tgid)
		return 0;
	return check_port(ctx->remote_port) ? -33 /* EDOM */ : 0;
}

char LICENSE[] SEC("license") = "GPL";
