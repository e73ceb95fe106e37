// SPDX-License-Identifier: GPL-2.0
//! A boxed value published under RCU: readers dereference it inside an RCU
//! read-side critical section with no lock; a writer swaps in a new box and
//! frees the old one only after a grace period.

use core::marker::PhantomData;
use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::bindings;
use kernel::prelude::*;

/// An RCU read-side critical section, held while the guard lives.
///
/// Not `Send`: it must end on the CPU and task where it began.
pub(crate) struct ReadGuard(PhantomData<*mut ()>);

/// Enters an RCU read-side critical section.
#[inline]
pub(crate) fn read_lock() -> ReadGuard {
    // SAFETY: `rcu_read_lock()` may be called in any context; the matching
    // `rcu_read_unlock()` runs when the returned guard is dropped.
    unsafe { bindings::rcu_read_lock() };
    ReadGuard(PhantomData)
}

impl Drop for ReadGuard {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: the guard was created by `read_lock()`, which entered the
        // critical section that this ends.
        unsafe { bindings::rcu_read_unlock() };
    }
}

/// Waits for every RCU read-side critical section in progress to end.
pub(crate) fn synchronize() {
    // SAFETY: called from process context by the writers of this module's
    // users (prctl), which hold no RCU read lock.
    unsafe { bindings::synchronize_rcu() };
}

/// An optional `KBox<T>` that readers see through an RCU read guard.
///
/// # Invariants
///
/// `ptr` is null or comes from `KBox::into_raw` and is owned by this object;
/// a pointer replaced by [`RcuBox::replace`] is freed only after a grace period.
pub(crate) struct RcuBox<T> {
    ptr: AtomicPtr<T>,
    _owns: PhantomData<KBox<T>>,
}

// SAFETY: the box is shared between CPUs: readers get `&T` (so `T: Sync`) and
// the value may be dropped on any CPU (so `T: Send`).
unsafe impl<T: Send + Sync> Sync for RcuBox<T> {}

impl<T> RcuBox<T> {
    /// An empty box.
    pub(crate) const fn new() -> Self {
        // INVARIANT: null is allowed.
        Self {
            ptr: AtomicPtr::new(ptr::null_mut()),
            _owns: PhantomData,
        }
    }

    /// The current value, valid for as long as the read-side section lasts.
    #[inline]
    pub(crate) fn get<'a>(&'a self, _guard: &'a ReadGuard) -> Option<&'a T> {
        // Acquire pairs with the Release in `replace()`: the pointee was fully
        // written before it was published (what `rcu_dereference()` ensures).
        let p = self.ptr.load(Ordering::Acquire);
        // SAFETY: by the type invariant `p` is null or a live box; it cannot be
        // freed before `_guard`'s critical section ends, which outlives 'a.
        unsafe { p.as_ref() }
    }

    /// Is a value published? Only a hint: it may change right after.
    #[inline]
    pub(crate) fn is_set(&self) -> bool {
        !self.ptr.load(Ordering::Relaxed).is_null()
    }

    /// Publishes `new` and returns the old value, to be freed after a grace
    /// period (see [`Retired`]).
    ///
    /// # Safety
    ///
    /// Calls of `replace` on one `RcuBox` must be serialized (by a lock).
    pub(crate) unsafe fn replace(&self, new: Option<KBox<T>>) -> Retired<T> {
        let new = new.map_or(ptr::null_mut(), KBox::into_raw);
        // INVARIANT: `new` is null or owned; the old pointer goes to `Retired`.
        let old = self.ptr.swap(new, Ordering::AcqRel);
        Retired(old)
    }
}

/// A value no longer published, that readers may still hold.
///
/// # Invariants
///
/// `0` is null or an owned `KBox<T>` pointer that nothing new can reach.
#[must_use = "a retired value is freed when dropped, after a grace period"]
pub(crate) struct Retired<T>(*mut T);

impl<T> Drop for Retired<T> {
    fn drop(&mut self) {
        if self.0.is_null() {
            return;
        }
        synchronize();
        // SAFETY: by the type invariant the pointer came from `KBox::into_raw`
        // and no reader can hold it any more after the grace period.
        drop(unsafe { KBox::from_raw(self.0) });
    }
}
