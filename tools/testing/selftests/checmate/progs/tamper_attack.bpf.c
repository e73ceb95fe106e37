// SPDX-License-Identifier: GPL-2.0
/*
 * What root might try against a locked Checmate program: replace its
 * decision (freplace) or run beside it (fentry, fexit), rewrite its maps
 * (a map element iterator). The test sets the attach targets at run time.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("freplace/check_port")
int fake_check_port(__u32 port)
{
	return 0;
}

SEC("fentry/policy")
int trace_entry(void *ctx)
{
	return 0;
}

SEC("fexit/policy")
int trace_exit(void *ctx)
{
	return 0;
}

/* A map element iterator may write the values of the map it walks. */
struct bpf_iter_meta;
struct bpf_map;
struct bpf_iter__bpf_map_elem {
	struct bpf_iter_meta *meta;
	struct bpf_map *map;
	void *key;
	void *value;
} __attribute__((preserve_access_index));

SEC("iter/bpf_map_elem")
int rewrite_values(struct bpf_iter__bpf_map_elem *ctx)
{
	__u32 *value = ctx->value;

	if (value)
		*value = 0;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
