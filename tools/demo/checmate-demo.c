// SPDX-License-Identifier: GPL-2.0
/*
 * checmate-demo: what `make demo` runs in the VM. It loads a small egress
 * policy (deny connect() to 127.0.0.1:4242, allow the rest), attaches it to
 * socket_connect with prctl(PR_CHECMATE), shows a refused and an allowed
 * connect, queries the hook, and detaches the policy.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/checmate.h>
#include <linux/prctl.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define INSN(c, d, s, o, i) \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

static int try_connect(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int s = socket(AF_INET, SOCK_DGRAM, 0), ret;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ret = connect(s, (struct sockaddr *)&sin, sizeof(sin)) ? errno : 0;
	close(s);
	printf("  connect(127.0.0.1:%d) -> %s\n", port, ret ? strerror(ret) : "ok");
	return ret;
}

int main(void)
{
	/* if (ctx->remote_ip4 == 127.0.0.1 && ctx->remote_port == 4242) return -EACCES; */
	const struct bpf_insn policy[] = {
		INSN(BPF_LDX | BPF_MEM | BPF_W, 2, 1, offsetof(struct checmate_sock_ctx, remote_ip4), 0),
		INSN(BPF_JMP | BPF_JNE | BPF_K, 2, 0, 4, htonl(INADDR_LOOPBACK)),
		INSN(BPF_LDX | BPF_MEM | BPF_W, 2, 1, offsetof(struct checmate_sock_ctx, remote_port), 0),
		INSN(BPF_JMP | BPF_JNE | BPF_K, 2, 0, 2, 4242),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, -EACCES),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	union bpf_attr attr = {
		.prog_type = BPF_PROG_TYPE_CHECMATE,
		.expected_attach_type = CHECMATE_HOOK_SOCKET_CONNECT,
		.insns = (unsigned long)policy,
		.insn_cnt = sizeof(policy) / sizeof(policy[0]),
		.license = (unsigned long)"GPL",
	};
	struct checmate_query q = { 0 };
	__u32 ids[4];
	int fd, ok = 1;

	printf("policy: deny connect() to 127.0.0.1:4242 (hook socket_connect)\n");
	fd = syscall(__NR_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (fd < 0) {
		perror("BPF_PROG_LOAD");
		return 1;
	}
	printf("without the policy:\n");
	ok &= try_connect(4242) == 0;
	if (prctl(PR_CHECMATE, CHECMATE_OP_ATTACH, CHECMATE_HOOK_SOCKET_CONNECT, fd, 0)) {
		perror("prctl(PR_CHECMATE, ATTACH)");
		return 1;
	}
	q.prog_cnt = 4;
	q.prog_ids = (unsigned long)ids;
	if (prctl(PR_CHECMATE, CHECMATE_OP_QUERY, CHECMATE_HOOK_SOCKET_CONNECT, &q, 0) == 0)
		printf("attached: socket_connect runs %u program(s), first id %u\n", q.prog_cnt, ids[0]);
	printf("with the policy:\n");
	ok &= try_connect(4242) == EACCES;
	ok &= try_connect(4243) == 0;
	prctl(PR_CHECMATE, CHECMATE_OP_DETACH, CHECMATE_HOOK_SOCKET_CONNECT, fd, 0);
	printf("detached:\n");
	ok &= try_connect(4242) == 0;
	printf("demo %s\n", ok ? "passed" : "FAILED");
	return !ok;
}
