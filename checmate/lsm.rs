// SPDX-License-Identifier: GPL-2.0
//! Registration with the LSM framework: Checmate's LSM id, its hook list and
//! its init function. Nothing here decides anything.

use crate::entry::{self, HookEntry};
use crate::{admin, hooks, indirect, progs, switch};
use core::cell::UnsafeCell;
use core::ffi::c_int;
use core::mem::MaybeUninit;
use kernel::bindings;
use kernel::prelude::*;

/// A static written only during init: by `checmate_init()` and the LSM
/// framework's `security_add_hooks()` (which sets each entry's `lsmid`).
/// Placed in `.data..ro_after_init` as C's `__ro_after_init` does, it
/// becomes read-only when init ends (`mark_rodata_ro()`): the framework
/// then only reads the entries (`security_toggle_hook()` and
/// `security_hook_active()` read `runtime` and the callback, the LSM
/// syscalls the `lsm_id`), and switching a hook (`switch.rs`) writes the
/// static keys of `static_calls_table`, not the entries.
#[repr(transparent)]
struct InitCell<T>(UnsafeCell<T>);

// SAFETY: written only by `checmate_init()` and `security_add_hooks()`,
// during single-threaded early boot; read-only afterwards.
unsafe impl<T> Sync for InitCell<T> {}

/// Number of hook list entries: the table's hooks (`task_prctl`, the API,
/// and `bpf`, the guard of `guard.rs`, among them), `sctp_bind_connect`
/// and a second `socket_sendmsg` (`indirect.rs`).
const ENTRIES: usize = hooks::COUNT + 2;

#[link_section = ".data..ro_after_init"]
static LSM_ID: InitCell<bindings::lsm_id> = InitCell(UnsafeCell::new(bindings::lsm_id {
    name: c"checmate".as_ptr().cast(),
    id: bindings::LSM_ID_CHECMATE as u64,
}));

#[link_section = ".data..ro_after_init"]
static HOOK_LIST: InitCell<MaybeUninit<[bindings::security_hook_list; ENTRIES]>> =
    InitCell(UnsafeCell::new(MaybeUninit::uninit()));

/// Builds the hook list and registers it. Runs once, at boot.
///
/// # Safety
///
/// Called once, by the LSM framework during early boot, single-threaded.
#[link_section = ".init.text"]
unsafe extern "C" fn checmate_init() -> c_int {
    if let Err(e) = progs::init() {
        pr_err!("cannot allocate its state: {:?}\n", e);
        return e.to_errno();
    }
    let table = entry::entries();
    // SAFETY: init runs once, single-threaded, before any hook can be called;
    // nothing else references `HOOK_LIST` yet.
    let list = unsafe { &mut *HOOK_LIST.0.get() }.write(core::array::from_fn(|i| {
        if i < hooks::COUNT {
            // SAFETY: `security_hook_list` is plain data; copying an entry is fine.
            unsafe { core::ptr::read(&table[i]) }
        } else if i == hooks::COUNT {
            HookEntry {
                // SAFETY: only the address of the static is taken.
                scalls: unsafe { &raw mut bindings::static_calls_table.sctp_bind_connect }.cast(),
                hook: bindings::security_list_options {
                    sctp_bind_connect: Some(indirect::sctp_bind_connect),
                },
                lsmid: core::ptr::null_mut(),
                // Switched on while `socket_bind` or `socket_connect` has
                // programs (`switch.rs`).
                runtime: true,
            }
        } else {
            // A second slot of the hook: `MAX_LSM_COUNT` counts the
            // capability module, which has no `socket_sendmsg`, so one is
            // free.
            HookEntry {
                // SAFETY: only the address of the static is taken.
                scalls: unsafe { &raw mut bindings::static_calls_table.socket_sendmsg }.cast(),
                hook: bindings::security_list_options {
                    socket_sendmsg: Some(indirect::socket_sendmsg),
                },
                lsmid: core::ptr::null_mut(),
                // Switched on while `socket_connect` has programs.
                runtime: true,
            }
        }
    }));
    // SAFETY: `list` and `LSM_ID` are statics that live forever, as
    // `security_add_hooks` requires; it is called during LSM init.
    unsafe { bindings::security_add_hooks(list.as_mut_ptr(), ENTRIES as c_int, LSM_ID.0.get()) };
    // SAFETY: right after `security_add_hooks`, during LSM init.
    unsafe { switch::init(&list[..]) };
    // SAFETY: as above; these are the entries of `indirect.rs`.
    unsafe { switch::init_indirect(&list[hooks::COUNT..]) };
    pr_info!(
        "initialized, hooks {} to {}\n",
        hooks::Hook::first().desc().name,
        hooks::Hook::last().desc().name
    );
    0
}

/// What `DEFINE_LSM(checmate)` would emit in C.
#[used]
#[link_section = ".lsm_info.init"]
static CHECMATE_LSM: InitCell<bindings::lsm_info> = InitCell(UnsafeCell::new(bindings::lsm_info {
    name: c"checmate".as_ptr().cast(),
    order: bindings::lsm_order_LSM_ORDER_MUTABLE,
    flags: 0,
    enabled: core::ptr::null_mut(),
    init: Some(checmate_init),
    blobs: admin::BLOB_SIZES.get(),
}));
