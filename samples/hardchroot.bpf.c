// SPDX-License-Identifier: GPL-2.0
/*
 * hardchroot-like: processes of the cgroup held by chroot_cgroup may not
 * chroot, and no process inside a chroot may mount anything.
 */
#include "checmate_policy.h"

POLICY_CGROUP(chroot_cgroup);

SEC("checmate/path_chroot")
int no_chroot(struct checmate_mount_ctx *ctx)
{
	return IN_POLICY_CGROUP(chroot_cgroup) ? -EPERM : 0;
}

SEC("checmate/sb_mount")
int no_mount_in_chroot(struct checmate_mount_ctx *ctx)
{
	return ctx->chrooted ? -EPERM : 0;
}

char LICENSE[] SEC("license") = "GPL";
