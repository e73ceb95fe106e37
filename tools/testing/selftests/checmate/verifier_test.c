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
	if ((hook >= CHECMATE_HOOK_PATH_MKNOD && hook <= CHECMATE_HOOK_PATH_RENAME) ||
	    (hook >= CHECMATE_HOOK_PATH_UNLINK && hook <= CHECMATE_HOOK_PATH_CHOWN))
		return sizeof(struct checmate_inode_ctx);
	if (hook >= CHECMATE_HOOK_FILE_TRUNCATE && hook <= CHECMATE_HOOK_FILE_RECEIVE)
		return sizeof(struct checmate_file_ctx);
	if (hook == CHECMATE_HOOK_SOCKET_SETSOCKOPT || hook == CHECMATE_HOOK_NETLINK_SEND)
		return sizeof(struct checmate_sock_ctx);
	if (hook == CHECMATE_HOOK_BPRM_CREDS_FOR_EXEC)
		return sizeof(struct checmate_exec_ctx);
	if (hook == CHECMATE_HOOK_FILE_SEND_SIGIOTASK || hook == CHECMATE_HOOK_TASK_SETNICE ||
	    hook == CHECMATE_HOOK_TASK_SETSCHEDULER)
		return sizeof(struct checmate_task_ctx);
	if (hook == CHECMATE_HOOK_INODE_SETXATTR ||
	    (hook >= CHECMATE_HOOK_INODE_FOLLOW_LINK && hook <= CHECMATE_HOOK_INODE_REMOVE_ACL))
		return sizeof(struct checmate_inode_ctx);
	if (hook == CHECMATE_HOOK_INODE_INIT_SECURITY_ANON || hook == CHECMATE_HOOK_BPF)
		return sizeof(struct checmate_kernel_ctx);
	if (hook == CHECMATE_HOOK_UNIX_STREAM_CONNECT || hook == CHECMATE_HOOK_UNIX_MAY_SEND)
		return sizeof(struct checmate_unix_ctx);
	if (hook == CHECMATE_HOOK_USERNS_CREATE || hook == CHECMATE_HOOK_TASK_FIX_SETGROUPS ||
	    (hook >= CHECMATE_HOOK_CAPABLE && hook <= CHECMATE_HOOK_TASK_PRCTL))
		return sizeof(struct checmate_cred_ctx);
	if (hook >= CHECMATE_HOOK_BPRM_CREDS_FROM_FILE && hook <= CHECMATE_HOOK_FILE_MPROTECT)
		return sizeof(struct checmate_exec_ctx);
	if (hook >= CHECMATE_HOOK_KERNEL_MODULE_REQUEST && hook <= CHECMATE_HOOK_KERNEL_LOAD_DATA)
		return sizeof(struct checmate_kernel_ctx);
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

/*
 * A read's verdict depends on the context's size only (its alignment and
 * end): every aligned read is tried on the first hook of each context size,
 * and on every other hook the reads at each end (the whole sweep on all 66
 * hooks took longer than the timeout on the debug kernel).
 */
TEST_F_TIMEOUT(heavy, every_aligned_read_inside_the_context_loads, 900)
{
	size_t swept[__CHECMATE_HOOK_MAX];
	int loads = 0, nswept = 0;

	for (unsigned int hook = 1; hook < __CHECMATE_HOOK_MAX; hook++) {
		size_t size = ctx_size(hook);
		int sweep = 1;

		for (int i = 0; i < nswept; i++)
			sweep &= swept[i] != size;
		if (sweep)
			swept[nswept++] = size;
		for (int s = 0; s < 4; s++) {
			for (size_t off = 0; off + bytes[s] <= size; off += bytes[s]) {
				if (!sweep && off != 0 && off + bytes[s] != size)
					continue;
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
	int refused = 0;

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
				refused++;
			}
			/* Misaligned. */
			if (bytes[s] > 1) {
				EXPECT_EQ(-1, load_read(hook, sizes[s], 1));
				EXPECT_EQ(EACCES, errno);
				refused++;
			}
		}
	}
	TH_LOG("%d loads refused", refused);
}

TEST_F_TIMEOUT(heavy, only_the_bind_port_is_writable, 900)
{
	int port = offsetof(struct checmate_sock_ctx, local_port);
	/* Narrower or wider than the field, or next to it. */
	const struct { int size, off; } near[] = {
		{ BPF_H, port }, { BPF_DW, port - 4 }, { BPF_W, port + 4 },
	};
	int refused = 0;
	int fd;

	fd = load_write(CHECMATE_HOOK_SOCKET_BIND, BPF_W, port);
	ASSERT_LE(0, fd) TH_LOG("%s", verifier_log);
	close(fd);
	for (size_t i = 0; i < ARRAY_LEN(near); i++) {
		EXPECT_EQ(-1, load_write(CHECMATE_HOOK_SOCKET_BIND, near[i].size, near[i].off));
		EXPECT_EQ(EACCES, errno);
		refused++;
	}
	/* The same field of every other hook is read-only, as is all else. */
	for (unsigned int hook = 1; hook < __CHECMATE_HOOK_MAX; hook++) {
		for (size_t off = 0; off < ctx_size(hook); off += 4) {
			if (hook == CHECMATE_HOOK_SOCKET_BIND && off == (size_t)port)
				continue;
			EXPECT_EQ(-1, load_write(hook, BPF_W, off));
			EXPECT_EQ(EACCES, errno);
			refused++;
		}
	}
	TH_LOG("%d loads refused", refused);
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

TEST(current_task_helpers_not_in_interrupt_context)
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
	/* Also sent from interrupt context for another task (USB async I/O). */
	EXPECT_EQ(-1, load_prog(CHECMATE_HOOK_TASK_KILL, insns, ARRAY_LEN(insns)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, load_prog(CHECMATE_HOOK_FILE_SEND_SIGIOTASK, insns, ARRAY_LEN(insns)));
	EXPECT_EQ(EINVAL, errno);
	/* Atomic, but current is the task that asks. */
	fd = load_prog(CHECMATE_HOOK_CAPABLE, insns, ARRAY_LEN(insns));
	ASSERT_LE(0, fd);
	close(fd);
}

/* An array map of one u64, for the leak tests. */
static int array_map(void)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 8;
	attr.max_entries = 1;
	return sys_bpf(BPF_MAP_CREATE, &attr);
}

/*
 * r6 = what; look up key 0 of @map; store r6 (or, for "value", the value
 * pointer itself) into the value.
 */
enum what { SCALAR, CTX, STACK, VALUE };

static int load_store_into_map(int map, enum what what)
{
	struct bpf_insn insns[] = {
		MOV64_REG(6, 1),				/* ctx */
		MOV64_IMM(6, 7),				/* or a scalar */
		ST_MEM(BPF_W, 10, -4, 0),
		MOV64_REG(2, 10),
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4),
		LD_MAP_FD(1, map),
		CALL(BPF_FUNC_map_lookup_elem),
		JEQ_IMM(0, 0, 1),
		STX_MEM(BPF_DW, 0, 6, 0),
		MOV64_IMM(0, 0),
		EXIT(),
	};

	if (what == CTX)
		insns[1] = MOV64_REG(6, 1);
	if (what == STACK)
		insns[1] = MOV64_REG(6, 10);
	if (what == VALUE)
		insns[8] = STX_MEM(BPF_DW, 0, 0, 0);
	return load_prog(CHECMATE_HOOK_FILE_OPEN, insns, ARRAY_LEN(insns));
}

/*
 * Even a loader with every capability (allow_ptr_leaks elsewhere) cannot
 * make a Checmate program put a kernel address where userspace reads it.
 */
TEST(pointers_cannot_be_stored_into_maps)
{
	int map = array_map(), fd;

	ASSERT_LE(0, map);
	/* The same program storing a scalar loads: the pattern is valid. */
	fd = load_store_into_map(map, SCALAR);
	ASSERT_LE(0, fd) TH_LOG("%s", verifier_log);
	close(fd);
	EXPECT_EQ(-1, load_store_into_map(map, CTX));
	EXPECT_EQ(EACCES, errno);
	EXPECT_NE(NULL, strstr(verifier_log, "leaks addr")) TH_LOG("%s", verifier_log);
	EXPECT_EQ(-1, load_store_into_map(map, STACK));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-1, load_store_into_map(map, VALUE));
	EXPECT_EQ(EACCES, errno);
	close(map);
}

/* A spilled pointer passed as the value of bpf_map_update_elem(). */
TEST(spilled_pointers_cannot_reach_a_map_through_a_helper)
{
	int map = array_map();
	const struct bpf_insn insns[] = {
		STX_MEM(BPF_DW, 10, 1, -16),			/* spill ctx */
		ST_MEM(BPF_W, 10, -4, 0),
		LD_MAP_FD(1, map),
		MOV64_REG(2, 10),
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4),
		MOV64_REG(3, 10),
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, 3, 0, 0, -16),
		MOV64_IMM(4, 0),
		CALL(BPF_FUNC_map_update_elem),
		MOV64_IMM(0, 0),
		EXIT(),
	};

	ASSERT_LE(0, map);
	EXPECT_EQ(-1, load_prog(CHECMATE_HOOK_FILE_OPEN, insns, ARRAY_LEN(insns)));
	EXPECT_EQ(EACCES, errno) TH_LOG("%s", verifier_log);
	close(map);
}

/* Uninitialized stack may hold what the kernel left there. */
TEST(uninitialized_stack_cannot_be_read)
{
	const struct bpf_insn insns[] = {
		LDX_MEM(BPF_DW, 0, 10, -8), MOV64_IMM(0, 0), EXIT(),
	};

	EXPECT_EQ(-1, load_prog(CHECMATE_HOOK_FILE_OPEN, insns, ARRAY_LEN(insns)));
	EXPECT_EQ(EACCES, errno);
}

/* A pointer cannot be the verdict. */
TEST(pointers_cannot_be_returned)
{
	const struct bpf_insn insns[] = { MOV64_REG(0, 1), EXIT() };

	EXPECT_EQ(-1, load_prog(CHECMATE_HOOK_FILE_OPEN, insns, ARRAY_LEN(insns)));
	EXPECT_EQ(EACCES, errno);
}

TEST_HARNESS_MAIN
