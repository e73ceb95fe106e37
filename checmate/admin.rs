// SPDX-License-Identifier: GPL-2.0
//! Checmate's own privilege check: `CAP_SYS_ADMIN` in the initial user
//! namespace, for `prctl(PR_CHECMATE)` and the securityfs files. It goes
//! through `capable()`, so the capability module and every other LSM have
//! their say, but it does not run the programs attached to Checmate's
//! `capable` hook: a program there, locked or not, must not be able to keep
//! the administrator from Checmate's operations until reboot. (Loading a
//! new program is `bpf(2)`'s business: its capability checks do cross the
//! hook.)
//!
//! The check marks the calling task in its LSM task blob (one `u32` that
//! Checmate asks the framework for) for the duration of its `capable()`
//! call; the `capable` hook's `pre` function recognizes exactly that check:
//! the marked task, its own credentials, `CAP_SYS_ADMIN`, the initial user
//! namespace. Only the task itself writes or reads its mark.

use core::cell::UnsafeCell;
use core::ffi::{c_int, c_uint};
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::bindings;

/// The blob sizes Checmate asks for; the framework replaces `lbs_task` by
/// the offset of Checmate's part of the task blob during init.
#[repr(transparent)]
pub(crate) struct BlobSizes(UnsafeCell<bindings::lsm_blob_sizes>);

// SAFETY: written only by the LSM framework during single-threaded early
// boot (`lsm_set_blob_sizes()`), read-only afterwards.
unsafe impl Sync for BlobSizes {}

impl BlobSizes {
    /// The address the framework writes, for `lsm_info.blobs`.
    pub(crate) const fn get(&self) -> *mut bindings::lsm_blob_sizes {
        self.0.get()
    }
}

/// One `u32` in every task's blob: the task's mark. In
/// `.data..ro_after_init`, as C LSMs declare theirs `__ro_after_init`: the
/// framework writes it only during init, read-only after.
#[link_section = ".data..ro_after_init"]
pub(crate) static BLOB_SIZES: BlobSizes = BlobSizes(UnsafeCell::new(bindings::lsm_blob_sizes {
    lbs_task: core::mem::size_of::<u32>() as c_int,
    // SAFETY: `lsm_blob_sizes` is a structure of `int` fields only, for
    // which all zero bytes are a valid value (no blob).
    ..unsafe { core::mem::zeroed() }
}));

/// The calling task's mark, in its LSM task blob.
fn mark() -> &'static AtomicU32 {
    // Every caller is a hook or the prctl API, which run after LSM init.
    // SAFETY: LSM init set `lbs_task` to the offset of Checmate's `u32`
    // in the task blob; nothing writes it any more.
    let offset = unsafe { (*BLOB_SIZES.get()).lbs_task } as usize;
    // Every task's blob is allocated at fork (`lsm_task_alloc()`; for
    // `init_task`, `lsm_early_task()`), `kzalloc`ed (so aligned) and freed
    // with the task; the framework aligns `offset` to a pointer's size.
    // SAFETY: `current`'s blob holds our aligned `u32` at `offset` while
    // it runs; only atomic accesses are made to it.
    unsafe {
        let blob = bindings::checmate_task_security(bindings::get_current()).cast::<u8>();
        AtomicU32::from_ptr(blob.add(offset).cast::<u32>())
    }
}

/// Does the caller have `CAP_SYS_ADMIN` in the initial user namespace?
/// Asks `capable()`, which audits and consults the other LSMs, without
/// running the programs of Checmate's `capable` hook. Process context.
pub(crate) fn capable() -> bool {
    let mark = mark();
    mark.store(1, Ordering::Relaxed);
    // `capable()` checks the initial user namespace: a namespaced root fails.
    // SAFETY: `capable` may be called from any process context.
    let ok = unsafe { bindings::capable(bindings::CAP_SYS_ADMIN as c_int) };
    mark.store(0, Ordering::Relaxed);
    ok
}

/// The `pre` function of the `capable` hook: `Some(0)` (allow, no program
/// run) for Checmate's own check, made by [`capable`]; `None` (run the
/// programs) for every other one.
///
/// # Safety
///
/// The arguments of the `capable` LSM hook, valid for the call.
pub(crate) unsafe fn own_check(
    cred: *const bindings::cred,
    ns: *mut bindings::user_namespace,
    cap: c_int,
    _opts: c_uint,
) -> Option<c_int> {
    if cap != bindings::CAP_SYS_ADMIN as c_int {
        return None;
    }
    if !core::ptr::eq(ns, &raw const bindings::init_user_ns) {
        return None;
    }
    // SAFETY: `current_cred()` is valid while the task runs; the hook runs
    // in the context of the task that asks (`CallContext::Atomic`).
    if !core::ptr::eq(cred, unsafe { bindings::checmate_current_cred() }) {
        return None;
    }
    (mark().load(Ordering::Relaxed) != 0).then_some(0)
}
