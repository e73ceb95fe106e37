// SPDX-License-Identifier: GPL-2.0
//! A boxed value published under RCU: readers dereference it inside an RCU
//! read-side critical section with no lock; a writer swaps in a new box, and
//! the old one is dropped in process context after a grace period
//! (`queue_rcu_work()`), so that the writer never waits for one.

use core::marker::PhantomData;
use core::ptr;
use core::sync::atomic::{compiler_fence, AtomicPtr, Ordering};
use kernel::bindings;
use kernel::prelude::*;

/// An RCU read-side critical section, held while the guard lives.
///
/// Not `Send`: it must end on the CPU and task where it began.
pub(crate) struct ReadGuard(PhantomData<*mut ()>);

/// Enters an RCU read-side critical section.
#[inline]
pub(crate) fn read_lock() -> ReadGuard {
    // Where `rcu_read_lock()` is only `barrier()`: RCU is not preemptible
    // (`__rcu_read_lock()` is `preempt_disable()`), there is no preemption
    // count to raise and no lockdep map to acquire.
    #[cfg(not(any(CONFIG_PREEMPT_RCU, CONFIG_PREEMPT_COUNT, CONFIG_DEBUG_LOCK_ALLOC)))]
    compiler_fence(Ordering::SeqCst);
    // Everywhere else, the C function itself.
    #[cfg(any(CONFIG_PREEMPT_RCU, CONFIG_PREEMPT_COUNT, CONFIG_DEBUG_LOCK_ALLOC))]
    // SAFETY: `rcu_read_lock()` may be called in any context; the matching
    // `rcu_read_unlock()` runs when the returned guard is dropped.
    unsafe {
        bindings::rcu_read_lock()
    };
    ReadGuard(PhantomData)
}

impl Drop for ReadGuard {
    #[inline]
    fn drop(&mut self) {
        // As in `read_lock`: `rcu_read_unlock()` is only `barrier()` there,
        // unless strict grace periods make it report a quiescent state.
        #[cfg(not(any(
            CONFIG_PREEMPT_RCU,
            CONFIG_PREEMPT_COUNT,
            CONFIG_DEBUG_LOCK_ALLOC,
            CONFIG_RCU_STRICT_GRACE_PERIOD
        )))]
        compiler_fence(Ordering::SeqCst);
        #[cfg(any(
            CONFIG_PREEMPT_RCU,
            CONFIG_PREEMPT_COUNT,
            CONFIG_DEBUG_LOCK_ALLOC,
            CONFIG_RCU_STRICT_GRACE_PERIOD
        ))]
        // SAFETY: the guard was created by `read_lock()`, which entered the
        // critical section that this ends.
        unsafe {
            bindings::rcu_read_unlock()
        };
    }
}

/// A value with what it takes to free it after a grace period. The work
/// callback finds the node from the address of its `work_struct`
/// (`container_of!`).
pub(crate) struct RcuNode<T> {
    rwork: bindings::rcu_work,
    value: T,
}

impl<T> RcuNode<T> {
    /// Allocates a node for `value`.
    pub(crate) fn new(value: T) -> Result<KBox<Self>> {
        // SAFETY: an all-zero `rcu_work` is a valid "not yet initialized" one;
        // it is initialized before it is queued (see `Retired::drop`).
        let rwork = unsafe { core::mem::zeroed() };
        Ok(KBox::new(RcuNode { rwork, value }, GFP_KERNEL)?)
    }
}

/// An optional `KBox<RcuNode<T>>` that readers see through an RCU guard.
///
/// # Invariants
///
/// `ptr` is null or comes from `KBox::into_raw` and is owned by this object;
/// a pointer replaced by [`RcuBox::replace`] is freed only after a grace period.
pub(crate) struct RcuBox<T> {
    ptr: AtomicPtr<RcuNode<T>>,
    _owns: PhantomData<KBox<RcuNode<T>>>,
}

// SAFETY: the box is shared between CPUs: readers get `&T` (so `T: Sync`) and
// the value is dropped on a workqueue (so `T: Send`).
unsafe impl<T: Send + Sync> Sync for RcuBox<T> {}

impl<T: Send> RcuBox<T> {
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
        // Acquire pairs with the AcqRel in `replace()`: the node was fully
        // written before it was published (what `rcu_dereference()` ensures).
        let p = self.ptr.load(Ordering::Acquire);
        // SAFETY: by the type invariant `p` is null or a live node; it cannot
        // be freed before `_guard`'s critical section ends, which outlives 'a.
        unsafe { p.as_ref() }.map(|n| &n.value)
    }

    /// Is a value published? Only a hint: it may change right after.
    #[inline]
    pub(crate) fn is_set(&self) -> bool {
        !self.ptr.load(Ordering::Relaxed).is_null()
    }

    /// Publishes `new` and returns the old value, which is freed after a
    /// grace period when the returned [`Retired`] is dropped.
    ///
    /// # Safety
    ///
    /// Calls of `replace` on one `RcuBox` must be serialized (by a lock).
    pub(crate) unsafe fn replace(&self, new: Option<KBox<RcuNode<T>>>) -> Retired<T> {
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
/// `0` is null or an owned `KBox<RcuNode<T>>` pointer that nothing new can
/// reach.
pub(crate) struct Retired<T: Send>(*mut RcuNode<T>);

/// Frees a retired node, in process context, after a grace period.
///
/// # Safety
///
/// `work` is the `work_struct` of the `rcu_work` of an `RcuNode<T>` queued by
/// `Retired::<T>::drop`.
unsafe extern "C" fn free_node<T: Send>(work: *mut bindings::work_struct) {
    // By the function's requirements `work` is the `work` field of the
    // `rwork` field of a node.
    // SAFETY: so both steps stay within the node's allocation.
    let node = unsafe {
        let rwork = kernel::container_of!(work, bindings::rcu_work, work);
        kernel::container_of!(rwork, RcuNode<T>, rwork).cast_mut()
    };
    // SAFETY: by the function's requirements `node` came from `KBox::into_raw`
    // and no reader can hold it after the grace period that just ended.
    drop(unsafe { KBox::from_raw(node) });
}

impl<T: Send> Drop for Retired<T> {
    fn drop(&mut self) {
        if self.0.is_null() {
            return;
        }
        // SAFETY: the node is owned (type invariant) and not queued yet.
        let rwork = unsafe { &raw mut (*self.0).rwork };
        // SAFETY: `rwork` is valid; `free_node::<T>` matches this node type and
        // `system_wq` lives forever. `queue_rcu_work` runs it after a grace period.
        unsafe {
            bindings::checmate_init_rcu_work(rwork, Some(free_node::<T>));
            bindings::queue_rcu_work(bindings::system_wq, rwork);
        }
    }
}
