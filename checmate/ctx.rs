// SPDX-License-Identifier: GPL-2.0
//! What the per-family context files share.
//!
//! The contexts are filled by family, one file each, as Landlock splits
//! `net.c`, `fs.c` and `task.c`: `net.rs` (sockets), `fs.rs` (files),
//! `task.rs` (tasks) and `mount.rs` (mounts). Those files are where kernel
//! structures are read: every value is copied into the UAPI context, so that
//! programs never see a kernel pointer. Their fill functions are `unsafe`:
//! their pointer arguments must be the valid arguments of the LSM hook they
//! serve, which the LSM framework guarantees to the entry points of
//! `hooks.rs`.

use kernel::bindings;

/// A context structure of the UAPI: plain data, no pointers, all-zero valid.
///
/// # Safety
///
/// Implementors must be `repr(C)` structures of integers only, so that a BPF
/// program verified against their layout may read and write them.
pub(crate) unsafe trait Context: Default {}

// SAFETY: UAPI structures of `__u32`/`__u64`/`char` fields only
// (include/uapi/linux/checmate.h), generated `repr(C)` by bindgen.
unsafe impl Context for bindings::checmate_sock_ctx {}
// SAFETY: as for `checmate_sock_ctx`: integers only, `repr(C)`.
unsafe impl Context for bindings::checmate_file_ctx {}
// SAFETY: as for `checmate_sock_ctx`: integers only, `repr(C)`.
unsafe impl Context for bindings::checmate_task_ctx {}
// SAFETY: as for `checmate_sock_ctx`: integers and a `char` array only,
// `repr(C)`.
unsafe impl Context for bindings::checmate_mount_ctx {}

/// `new_encode_dev()`: the device number as `stat(2)` reports it.
pub(crate) fn encode_dev(dev: u32) -> u32 {
    let (major, minor) = (dev >> 20, dev & 0xfffff);
    (minor & 0xff) | (major << 8) | ((minor & !0xff) << 12)
}

/// An IPv6 address as four network-order words.
pub(crate) fn ip6_words(a: &bindings::in6_addr) -> [u32; 4] {
    // SAFETY: every variant of the union is plain bytes of the same size.
    unsafe { a.in6_u.u6_addr32 }
}
