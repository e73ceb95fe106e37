// SPDX-License-Identifier: GPL-2.0
//! Switching a hook's LSM static call on and off, so that a hook with no
//! program costs nothing: the LSM framework skips a disabled slot with a
//! patched-out jump and never calls Checmate (what upstream later added as
//! `security_toggle_hook()` for BPF LSM).

use crate::hooks::{self, Hook};
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::bindings;

/// The `active` static key of Checmate's slot for each hook, found once at
/// init; null if the slot was not found (the hook then stays always on).
static KEYS: [AtomicPtr<bindings::static_key_false>; hooks::COUNT] =
    [const { AtomicPtr::new(core::ptr::null_mut()) }; hooks::COUNT];

/// Finds the slot the framework gave each of `entries` (registered, in table
/// order) and switches it off: no hook has programs yet.
///
/// # Safety
///
/// Call once, after `security_add_hooks(entries)`, during LSM init.
pub(crate) unsafe fn init(entries: &[bindings::security_hook_list]) {
    for (i, entry) in entries.iter().enumerate().take(hooks::COUNT) {
        let Some(hook) = Hook::from_num(i as u64 + 1) else {
            continue;
        };
        let slots = hooks::static_calls(hook);
        // SAFETY: `slots` is the hook's array in `static_calls_table`, which
        // `security_add_hooks` has finished writing; we only read it.
        let found = unsafe { (*slots).iter().find(|s| core::ptr::eq(s.hl, entry)) };
        if let Some(slot) = found {
            KEYS[i].store(slot.active, Ordering::Relaxed);
            set(hook, false);
        }
    }
}

/// Turns the static call of `hook` on or off. Callers serialize per hook.
pub(crate) fn set(hook: Hook, on: bool) {
    let key = KEYS[hook.index()].load(Ordering::Relaxed);
    if key.is_null() {
        return;
    }
    // Switching may sleep: callers are in process context.
    // SAFETY: `key` is a slot's `active` key, a static never made read-only.
    unsafe { bindings::checmate_static_branch_set(key, on) };
}
