// SPDX-License-Identifier: GPL-2.0
/*
 * Checmate selftests: what the verifier lets a program do with its context
 * and which helpers it may call, for every hook.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "kselftest_harness.h"
#include "common.h"

static size_t ctx_size(unsigned int hook)
{
	if (hook <= CHECMATE_HOOK_INET_CONN_REQUEST)
		return sizeof(struct checmate_sock_ctx);
	if (hook <= CHECMATE_HOOK_INODE_CREATE)
		return sizeof(struct checmate_file_ctx);
	if (hook <= CHECMATE_HOOK_TASK_KILL)
		return sizeof(struct checmate_task_ctx);
	return sizeof(struct checmate_mount_ctx);
}

static const int sizes[] = { BPF_B, BPF_H, BPF_W, BPF_DW };
static const int bytes[] = { 1, 2, 4, 8 };

/* Load "r0 = *(size *)(r1 + off); r0 = 0; exit". */
static int load_read(unsigned int hook, int size, int off)
{
	const struct bpf_insn insns[] = {
		LDX_MEM(size, 0, 1, off), MOV64_IMM(0, 0), EXIT(),
	};

	return load_prog(hook, insns, ARRAY_LEN(insns));
}

/* Load "*(size *)(r1 + off) = 1; r0 = 0; exit". */
static int load_write(unsigned int hook, int size, int off)
{
	const struct bpf_insn insns[] = {
		ST_MEM(size, 1, off, 1), MOV64_IMM(0, 0), EXIT(),
	};

	return load_prog(hook, insns, ARRAY_LEN(insns));
}

/* Heavy: minutes on a debug kernel (KASAN, lockdep). */
FIXTURE(heavy) {};
FIXTURE_SETUP(heavy) {}
FIXTURE_TEARDOWN(heavy) {}

TEST_F_TIMEOUT(heavy, every_aligned_read_inside_the_context_loads, 900)
{
	int loads = 0;

	for (unsigned int hook = 1; hook < __CHECMATE_HOOK_MAX; hook++) {
		for (int s = 0; s < 4; s++) {
			for (size_t off = 0; off + bytes[s] <= ctx_size(hook); off += bytes[s]) {
				int fd = load_read(hook, sizes[s], off);

				ASSERT_LE(0, fd) TH_LOG("hook %u size %d off %zu: %s\n%s",
							hook, bytes[s], off, strerror(errno),
							verifier_log);
				close(fd);
				loads++;
			}
		}
	}
	TH_LOG("%d loads", loads);
}

TEST_F_TIMEOUT(heavy, reads_outside_or_misaligned_fail, 900)
{
	for (unsigned int hook = 1; hook < __CHECMATE_HOOK_MAX; hook++) {
		int end = ctx_size(hook);

		for (int s = 0; s < 4; s++) {
			/* Past the end, straddling the end, before the start. */
			const int offs[] = { end, end - bytes[s] + 1, -bytes[s], 4096 };

			for (size_t i = 0; i < ARRAY_LEN(offs); i++) {
				int inside = offs[i] >= 0 && offs[i] + bytes[s] <= end;

				if (inside && offs[i] % bytes[s] == 0)
					continue;
				errno = 0;
				EXPECT_EQ(-1, load_read(hook, sizes[s], offs[i]))
					TH_LOG("hook %u size %d off %d loaded", hook, bytes[s],
					       offs[i]);
				EXPECT_EQ(EACCES, errno);
			}
			/* Misaligned. */
			if (bytes[s] > 1) {
				EXPECT_EQ(-1, load_read(hook, sizes[s], 1));
				EXPECT_EQ(EACCES, errno);
			}
		}
	}
}

TEST_F_TIMEOUT(heavy, only_the_bind_port_is_writable, 900)
{
	int port = offsetof(struct checmate_sock_ctx, local_port);
	int fd;

	fd = load_write(CHECMATE_HOOK_SOCKET_BIND, BPF_W, port);
	ASSERT_LE(0, fd) TH_LOG("%s", verifier_log);
	close(fd);
	/* Narrower or wider than the field, or next to it. */
	EXPECT_EQ(-1, load_write(CHECMATE_HOOK_SOCKET_BIND, BPF_H, port));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-1, load_write(CHECMATE_HOOK_SOCKET_BIND, BPF_DW, port - 4));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-1, load_write(CHECMATE_HOOK_SOCKET_BIND, BPF_W, port + 4));
	EXPECT_EQ(EACCES, errno);
	/* The same field of every other hook is read-only, as is all else. */
	for (unsigned int hook = 1; hook < __CHECMATE_HOOK_MAX; hook++) {
		for (size_t off = 0; off < ctx_size(hook); off += 4) {
			if (hook == CHECMATE_HOOK_SOCKET_BIND && off == (size_t)port)
				continue;
			EXPECT_EQ(-1, load_write(hook, BPF_W, off));
			EXPECT_EQ(EACCES, errno);
		}
	}
}

TEST(hook_number_is_checked_at_load)
{
	const unsigned int bad[] = { 0, __CHECMATE_HOOK_MAX, 1000 };
	const struct bpf_insn insns[] = { MOV64_IMM(0, 0), EXIT() };

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		EXPECT_EQ(-1, load_prog(bad[i], insns, ARRAY_LEN(insns)));
		EXPECT_EQ(EINVAL, errno);
	}
}

/* Call @func with a stack buffer of 8 bytes as r1/r2. */
static int load_call(unsigned int hook, int func, unsigned int kern_version)
{
	const struct bpf_insn insns[] = {
		ST_MEM(BPF_DW, 10, -8, 0),
		MOV64_REG(1, 10),
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, -8),
		MOV64_IMM(2, 8),
		MOV64_IMM(3, 0),
		CALL(func),
		MOV64_IMM(0, 0),
		EXIT(),
	};

	return load_prog_type(BPF_PROG_TYPE_CHECMATE, hook, insns,
			      ARRAY_LEN(insns), kern_version);
}

TEST(kernel_memory_helpers_need_kern_version)
{
	unsigned int hook = CHECMATE_HOOK_FILE_OPEN;
	int fd;

	EXPECT_EQ(-1, load_call(hook, BPF_FUNC_probe_read_kernel, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, load_call(hook, BPF_FUNC_probe_read_kernel, LINUX_VERSION_CODE - 1));
	EXPECT_EQ(EINVAL, errno);
	fd = load_call(hook, BPF_FUNC_probe_read_kernel, LINUX_VERSION_CODE);
	ASSERT_LE(0, fd) TH_LOG("%s", verifier_log);
	close(fd);
}

TEST(helpers_outside_the_set_fail)
{
	/* Socket-buffer and tracing helpers are not Checmate's. */
	const int funcs[] = { BPF_FUNC_skb_load_bytes, BPF_FUNC_override_return,
			      BPF_FUNC_send_signal, BPF_FUNC_probe_write_user };

	for (size_t i = 0; i < ARRAY_LEN(funcs); i++) {
		EXPECT_EQ(-1, load_call(CHECMATE_HOOK_FILE_OPEN, funcs[i], LINUX_VERSION_CODE));
		EXPECT_EQ(EINVAL, errno);
	}
}

TEST(current_task_helpers_not_in_softirq)
{
	const struct bpf_insn insns[] = {
		CALL(BPF_FUNC_get_current_pid_tgid), MOV64_IMM(0, 0), EXIT(),
	};
	int fd = load_prog(CHECMATE_HOOK_SOCKET_CONNECT, insns, ARRAY_LEN(insns));

	ASSERT_LE(0, fd);
	close(fd);
	EXPECT_EQ(-1, load_prog(CHECMATE_HOOK_SOCKET_SOCK_RCV_SKB, insns, ARRAY_LEN(insns)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, load_prog(CHECMATE_HOOK_INET_CONN_REQUEST, insns, ARRAY_LEN(insns)));
	EXPECT_EQ(EINVAL, errno);
}

TEST_HARNESS_MAIN
