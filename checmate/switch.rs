// SPDX-License-Identifier: GPL-2.0
//! Switching a hook's LSM static call on and off, so that a hook with no
//! program costs nothing: the LSM framework skips a disabled slot with a
//! patched-out jump and never calls Checmate. The framework does the
//! switching, in `security_toggle_hook()` (added by the series' LSM patch;
//! upstream added the same function for BPF LSM after 6.12): Checmate
//! registers its hooks with `runtime` set and never touches the static call
//! table itself.

use crate::hooks::{self, Hook};
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::bindings;
use kernel::ffi::c_void;

/// The callback Checmate registered for each hook, recorded at init; null
/// until then.
static CALLBACKS: [AtomicPtr<c_void>; hooks::COUNT] =
    [const { AtomicPtr::new(core::ptr::null_mut()) }; hooks::COUNT];

/// Records the callback of each of `entries` and switches it off: no hook
/// has programs yet.
///
/// # Safety
///
/// `entries` are the registered `security_hook_list` entries of the
/// table's hooks, in table order. Call once, after `security_add_hooks()`,
/// during LSM init.
pub(crate) unsafe fn init(entries: &[bindings::security_hook_list]) {
    for (i, entry) in entries.iter().enumerate().take(hooks::COUNT) {
        let Some(hook) = Hook::from_num(i as u64 + 1) else {
            continue;
        };
        // `lsm_static_call_init()` reads the callback the same way.
        // SAFETY: every member of `security_list_options` is a function
        // pointer; `lsm_func_addr` reads the one stored as an address.
        let addr = unsafe { entry.hook.lsm_func_addr };
        CALLBACKS[i].store(addr, Ordering::Relaxed);
        set(hook, false);
    }
}

/// Turns the static call of `hook` on or off; a hook that is always on
/// (`HookDesc::always_on`, registered without `runtime`) stays on. May
/// sleep; callers are in process context and serialize per hook (the
/// hook's mutex).
pub(crate) fn set(hook: Hook, on: bool) {
    if hook.desc().always_on {
        return;
    }
    // Its callback was never recorded: `toggle` does nothing.
    toggle(&CALLBACKS[hook.index()], on);
}

/// Is the static call of `hook` switched on, as the LSM framework has it
/// (`security_hook_active()`)? What the hooks file shows as `active`.
pub(crate) fn active(hook: Hook) -> bool {
    let addr = CALLBACKS[hook.index()].load(Ordering::Relaxed);
    if addr.is_null() {
        return false;
    }
    // SAFETY: the function only compares `addr` with the registered
    // callbacks and reads their static keys; it dereferences nothing else.
    unsafe { bindings::security_hook_active(addr) }
}

/// The callbacks of `indirect.rs`, `sctp_bind_connect` and its
/// `socket_sendmsg`, recorded at init; null until then.
static INDIRECT: [AtomicPtr<c_void>; 2] = [const { AtomicPtr::new(core::ptr::null_mut()) }; 2];

/// Records the callbacks of `entries`, the `sctp_bind_connect` entry and
/// the `socket_sendmsg` one of `indirect.rs`, and switches them off.
///
/// # Safety
///
/// As for [`init`]: registered entries, called once during LSM init.
pub(crate) unsafe fn init_indirect(entries: &[bindings::security_hook_list]) {
    for (slot, entry) in INDIRECT.iter().zip(entries) {
        // SAFETY: as in `init`: `lsm_func_addr` reads the function pointer
        // stored in the union as an address.
        let addr = unsafe { entry.hook.lsm_func_addr };
        slot.store(addr, Ordering::Relaxed);
        toggle(slot, false);
    }
}

/// Turns the slots of `indirect.rs` on or off: `sctp_bind_connect` runs
/// the programs of `socket_bind` and `socket_connect`, its
/// `socket_sendmsg` those of `socket_connect`. May sleep; callers
/// serialize (`progs.rs`).
pub(crate) fn set_indirect(bind: bool, connect: bool) {
    toggle(&INDIRECT[0], bind || connect);
    toggle(&INDIRECT[1], connect);
}

fn toggle(callback: &AtomicPtr<c_void>, on: bool) {
    let addr = callback.load(Ordering::Relaxed);
    if addr.is_null() {
        return;
    }
    // The function only switches the static keys of the slots holding
    // `addr`, and may sleep, which the callers allow.
    // SAFETY: `addr` is the callback of one of Checmate's own entries,
    // registered with `runtime` set, so only Checmate's slots change.
    unsafe { bindings::security_toggle_hook(addr, on) };
}
