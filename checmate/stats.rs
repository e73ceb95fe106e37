// SPDX-License-Identifier: GPL-2.0
//! Per-CPU counters: the hot path increments its CPU's copy (no shared
//! atomic per crossing); readers sum the copies.

use core::marker::PhantomData;
use core::ptr::NonNull;
use kernel::bindings;
use kernel::prelude::*;

/// `N` per-CPU `u64` counters. `N` is a type parameter so that the bounds
/// check of an increment with a constant index (every one on the hot path)
/// is decided at build time.
///
/// # Invariants
///
/// `ptr` is a live per-CPU allocation of `N` `u64`s, owned by this object.
pub(crate) struct Counters<const N: usize> {
    ptr: NonNull<u64>,
}

// SAFETY: every CPU only touches its own copy (`inc`), readers only read;
// the allocation may be freed from any thread.
unsafe impl<const N: usize> Send for Counters<N> {}
// SAFETY: `&Counters` only increments this CPU's copy (`inc`, one
// instruction or this_cpu_inc()) or reads the copies (`sum`): no data race
// beyond the approximate sums documented there.
unsafe impl<const N: usize> Sync for Counters<N> {}

impl<const N: usize> Counters<N> {
    /// `N` counters, all 0.
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: plain allocation; per-CPU memory comes zeroed.
        let p = unsafe { bindings::checmate_alloc_percpu_u64(N) };
        // INVARIANT: a non-null result is a live allocation of `N` u64s.
        Ok(Counters {
            ptr: NonNull::new(p.cast()).ok_or(ENOMEM)?,
        })
    }

    /// Adds one to counter `i` of this CPU. Callable in any context.
    #[inline]
    pub(crate) fn inc(&self, i: usize) {
        if let Some(slot) = self.slot(i) {
            slot.inc();
        }
    }

    /// Counter `i`, to be incremented with no indexing, while `self`
    /// lives; `None` if `i >= N`.
    #[inline]
    pub(crate) fn slot(&self, i: usize) -> Option<Slot<'_>> {
        // INVARIANT: `ptr` is live while `self` is (type invariant), which
        // the lifetime ties the slot to, and `i < N`.
        (i < N).then(|| Slot {
            ptr: self.ptr.as_ptr().wrapping_add(i),
            _counters: PhantomData,
        })
    }

    /// The sum of counter `i` over every possible CPU.
    pub(crate) fn sum(&self, i: usize) -> u64 {
        if i >= N {
            return 0;
        }
        // SAFETY: reading a global set at boot.
        let cpus = unsafe { bindings::nr_cpu_ids };
        let mut total = 0u64;
        for cpu in 0..cpus {
            // SAFETY: `cpu` < nr_cpu_ids; the question only reads a mask.
            if !unsafe { bindings::cpu_possible(cpu) } {
                continue;
            }
            // SAFETY: a possible CPU's copy of a live allocation (type
            // invariant); the helper only computes its address.
            let copy = unsafe { bindings::checmate_per_cpu_ptr(self.ptr.as_ptr(), cpu as i32) };
            // The owning CPU may increment it meanwhile: a volatile read, so
            // that the compiler neither tears nor caches it; a racing
            // increment only makes the sum approximate.
            // SAFETY: `copy` points to that CPU's `N` live, aligned `u64`s
            // and `i < N`.
            total += unsafe { core::ptr::read_volatile(copy.add(i)) };
        }
        total
    }
}

/// One per-CPU counter of a [`Counters`] ([`Counters::slot`]).
///
/// # Invariants
///
/// `ptr` is the per-CPU address of one `u64` of a live [`Counters`]
/// allocation, which outlives `'a`.
#[derive(Clone, Copy)]
pub(crate) struct Slot<'a> {
    ptr: *mut u64,
    _counters: PhantomData<&'a ()>,
}

// SAFETY: as for `Counters`: incrementing touches only the running CPU's
// copy, with one instruction or this_cpu_inc().
unsafe impl Send for Slot<'_> {}
// SAFETY: as for `Send`.
unsafe impl Sync for Slot<'_> {}

impl Slot<'_> {
    /// Adds one to this CPU's copy. Callable in any context.
    #[inline]
    pub(crate) fn inc(&self) {
        // On x86-64 SMP, inline what this_cpu_inc() emits rather than call
        // the helper: this is on the hot path (once per crossing and once
        // per program run). `ptr` is the offset of the counter from each
        // CPU's per-CPU base, which %gs holds (type invariant). One `incq`
        // with a %gs operand is all of this_cpu_inc(). The out-of-line
        // helper (`endbr64`, the ftrace nop, the `incq`, `ret`, and the
        // call) measured 6.3 more instructions per further program on
        // `file_open` (checmate-bench CURVE, -icount, 1 to 64 programs:
        // 27.9 against 21.2 and 22.0 in two runs with the asm; +13 for the
        // first program, run-to-run noise 6).
        #[cfg(all(target_arch = "x86_64", CONFIG_SMP))]
        // SAFETY: `ptr` is a per-CPU address of a live counter (above); a single instruction,
        // split by neither preemption nor an interrupt, touching only this CPU's copy.
        unsafe {
            core::arch::asm!(
                "incq %gs:({0})",
                in(reg) self.ptr,
                options(att_syntax, nostack)
            )
        };
        #[cfg(not(all(target_arch = "x86_64", CONFIG_SMP)))]
        // SAFETY: `ptr` is counter 0 of a live per-CPU allocation
        // (type invariant).
        unsafe {
            bindings::checmate_this_cpu_inc(self.ptr, 0)
        };
    }
}

impl<const N: usize> Drop for Counters<N> {
    fn drop(&mut self) {
        // SAFETY: owned per-CPU allocation (type invariant), freed once.
        unsafe { bindings::free_percpu(self.ptr.as_ptr().cast()) };
    }
}
