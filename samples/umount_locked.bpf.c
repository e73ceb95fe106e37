// SPDX-License-Identifier: GPL-2.0
/*
 * CVE-2014-9717 mitigation: from inside a user namespace, no umount of a
 * mount that the namespace inherited locked (MNT_LOCKED): unmounting it
 * would reveal what it covers. Linux 6.12 refuses this itself (EINVAL)
 * before the hook; the policy is what a kernel without that fix needs.
 */
#include "checmate_policy.h"

#define MNT_LOCKED 0x800000

SEC("checmate/sb_umount")
int umount_locked(struct checmate_mount_ctx *ctx)
{
	if (ctx->userns_level > 0 && (ctx->mnt_flags & MNT_LOCKED))
		return -EPERM;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
