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
/// Implementors must be `repr(C)` structures of integers only, with no
/// padding bytes, so that a BPF program verified against their layout may
/// read and write them and every byte is initialized. (The UAPI header
/// pads by hand with named fields; `pahole` on vmlinux shows no hole.)
pub(crate) unsafe trait Context: Default + Copy + 'static {
    /// The context's bytes, for a denial event.
    fn as_bytes(&self) -> &[u8] {
        // SAFETY: `self` is readable for its size; the trait's contract
        // says it has no padding, so every byte is initialized.
        unsafe {
            core::slice::from_raw_parts(
                (self as *const Self).cast::<u8>(),
                core::mem::size_of::<Self>(),
            )
        }
    }

    /// May the programs' denial be enforced for this operation? `false`
    /// for credential changes that only give up privilege (`creds.rs`):
    /// their denials are counted and reported, never enforced. The hot path
    /// asks on every denial, also where the context was not filled (no
    /// program reads it): it must then be `true` for an all-zero context.
    fn enforceable(&self) -> bool {
        true
    }
}

/// The context words (4 bytes each, bit `i` for bytes `4i..4i + 3`) that an
/// access of `size` bytes at `off` touches: what `bpf.rs` records of each
/// program at load time. Every context fits the 64 words (checked at build
/// time below).
pub(crate) const fn words(off: usize, size: usize) -> u64 {
    if size == 0 || off >= 4 * 64 {
        return 0;
    }
    let first = off / 4;
    let last = (off + size - 1) / 4;
    let last = if last > 63 { 63 } else { last };
    let n = last - first + 1;
    let ones = if n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
    ones << first
}

/// Every word of any context: a program whose reads cannot be known.
pub(crate) const ALL_WORDS: u64 = u64::MAX;

/// The context words a fill function must fill: those the hook's programs
/// read ([`words`]), or all of them. A fill may fill more (cheap fields are
/// filled whatever is asked); it skips only what costs, such as calls into
/// the kernel for ids or copies of names, where no program reads it.
#[derive(Clone, Copy)]
pub(crate) struct Want(u64);

impl Want {
    /// Every field.
    pub(crate) const ALL: Want = Want(ALL_WORDS);

    /// The words `words`.
    pub(crate) const fn new(words: u64) -> Want {
        Want(words)
    }

    /// Is any byte of `off..off + size` wanted?
    #[inline(always)]
    pub(crate) const fn any(self, off: usize, size: usize) -> bool {
        self.0 & words(off, size) != 0
    }
}

/// The size of the field `f` picks out: `field_size(|c: &Ctx| &c.field)`.
pub(crate) const fn field_size<C, T>(_f: fn(&C) -> &T) -> usize {
    core::mem::size_of::<T>()
}

/// Does `want` ask for any of the fields of the context type `ctx`:
/// `wants!(want, CredCtx, pid, tgid)`.
macro_rules! wants {
    ($want:expr, $ctx:ty, $($f:ident),+ $(,)?) => {{
        let want: $crate::ctx::Want = $want;
        false $(|| want.any(
            core::mem::offset_of!($ctx, $f),
            $crate::ctx::field_size(|c: &$ctx| &c.$f),
        ))+
    }};
}
pub(crate) use wants;

// Every context fits the 64 words of a program's record.
const _: () = {
    assert!(core::mem::size_of::<bindings::checmate_sock_ctx>() <= 4 * 64);
    assert!(core::mem::size_of::<bindings::checmate_file_ctx>() <= 4 * 64);
    assert!(core::mem::size_of::<bindings::checmate_task_ctx>() <= 4 * 64);
    assert!(core::mem::size_of::<bindings::checmate_mount_ctx>() <= 4 * 64);
    assert!(core::mem::size_of::<bindings::checmate_inode_ctx>() <= 4 * 64);
    assert!(core::mem::size_of::<bindings::checmate_unix_ctx>() <= 4 * 64);
    assert!(core::mem::size_of::<bindings::checmate_cred_ctx>() <= 4 * 64);
    assert!(core::mem::size_of::<bindings::checmate_exec_ctx>() <= 4 * 64);
    assert!(core::mem::size_of::<bindings::checmate_kernel_ctx>() <= 4 * 64);
};

/// The bytes of [`zeroed`]: the most a context takes (checked above).
const ZEROED_LEN: usize = 4 * 64;

/// Zero bytes for any context, aligned for any of them.
#[repr(C, align(8))]
struct Zeroed([u8; ZEROED_LEN]);

/// Never written: a program that could write its context gets the hook's
/// own, filled one (`progs::fill_and_run`).
static ZEROED: Zeroed = Zeroed([0; ZEROED_LEN]);

/// An all-zero context of type `C`, shared and read-only: what programs
/// that neither read nor write any word of their context are run on, so
/// that a crossing whose programs read nothing neither fills nor zeroes a
/// context of its own (about 90 instructions for the 232 bytes of
/// `checmate_inode_ctx`). Were such a program to read it after all, it
/// would read zeros, as from a context zeroed and not filled; a write
/// faults.
pub(crate) fn zeroed<C: Context>() -> &'static C {
    const {
        assert!(core::mem::size_of::<C>() <= ZEROED_LEN);
        assert!(core::mem::align_of::<C>() <= 8);
    }
    // `ZEROED` is `ZEROED_LEN >= size_of::<C>()` bytes, aligned to 8 >=
    // `align_of::<C>()` (both asserted at build time), all zero and never
    // written (a shared static with no interior mutability).
    // SAFETY: so it holds a `C`, which is valid all-zero, as the `Context`
    // contract requires of every context (integers only, no padding).
    unsafe { &*ZEROED.0.as_ptr().cast::<C>() }
}

/// Keeps each writable field of `ctx` as the first program that changed it
/// left it: a field that differs between `orig` (as filled) and `before`
/// (as the program that just ran found it) is put back to its `before`
/// value. So a program attached later, after a lock for instance, can
/// neither undo nor override what an earlier one wrote; it sees the value
/// and may still deny.
///
/// `writable` is the hook's list of (offset, size) of `C`'s writable fields
/// (`HookDesc::writable`, from `offset_of!` and `size_of` in the table).
pub(crate) fn keep_first_writes<C: Context>(
    ctx: &mut C,
    before: &C,
    orig: &C,
    writable: &[(usize, usize)],
) {
    let field = |c: &C, off: usize, size: usize| -> u64 {
        let mut v = [0u8; 8];
        let size = size.min(8);
        if off + size <= core::mem::size_of::<C>() {
            // `off..off + size` lies inside `*c` (checked), on one of its
            // fields (the table's offsets), so every byte is initialized.
            // SAFETY: `c` is readable for `off + size` bytes (above) and
            // `v` writable for `size <= 8`; they do not overlap.
            unsafe {
                core::ptr::copy_nonoverlapping(
                    (c as *const C).cast::<u8>().add(off),
                    v.as_mut_ptr(),
                    size,
                )
            };
        }
        u64::from_ne_bytes(v)
    };
    for &(off, size) in writable {
        let was = field(before, off, size);
        if field(orig, off, size) != was && field(ctx, off, size) != was {
            // SAFETY: as above, `off..off + size` is a field inside both
            // `*before` and `*ctx`, which do not overlap (`&` and `&mut`).
            unsafe {
                core::ptr::copy_nonoverlapping(
                    (before as *const C).cast::<u8>().add(off),
                    (ctx as *mut C).cast::<u8>().add(off),
                    size.min(8),
                )
            };
        }
    }
}

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
