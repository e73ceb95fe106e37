// SPDX-License-Identifier: GPL-2.0
//! The program type `BPF_PROG_TYPE_CHECMATE`: what its programs may read and
//! write in their context, which helpers they may call, and counted references
//! to loaded programs.

use crate::ctx;
use crate::errno;
use crate::hooks::{CallContext, Hook, HookType};
use crate::rcu::ReadGuard;
use crate::seal::BpfProg;
use core::marker::PhantomData;
use core::ptr::NonNull;
use kernel::bindings;
use kernel::error::from_err_ptr;
use kernel::ffi::{c_int, c_uint, c_void};
use kernel::prelude::*;
use kernel::types::ARef;

/// `struct bpf_verifier_ops` made `Sync` so that it can be a static.
#[repr(transparent)]
pub(crate) struct VerifierOps(bindings::bpf_verifier_ops);
// SAFETY: the ops hold only function pointers and are never written.
unsafe impl Sync for VerifierOps {}

/// `struct bpf_prog_ops` made `Sync` so that it can be a static.
#[repr(transparent)]
pub(crate) struct ProgOps(bindings::bpf_prog_ops);
// SAFETY: as for `VerifierOps`.
unsafe impl Sync for ProgOps {}

/// Named by `include/linux/bpf_types.h` for `BPF_PROG_TYPE_CHECMATE`.
#[no_mangle]
pub(crate) static checmate_verifier_ops: VerifierOps = VerifierOps(bindings::bpf_verifier_ops {
    get_func_proto: Some(get_func_proto),
    is_valid_access: Some(is_valid_access),
    gen_prologue: None,
    gen_epilogue: None,
    gen_ld_abs: None,
    convert_ctx_access: None,
    btf_struct_access: None,
});

/// Named by `include/linux/bpf_types.h`; Checmate has no `BPF_PROG_TEST_RUN`.
#[no_mangle]
pub(crate) static checmate_prog_ops: ProgOps = ProgOps(bindings::bpf_prog_ops { test_run: None });

/// Called by `bpf_prog_load()`: may a program be verified for hook `hook`?
#[no_mangle]
pub(crate) extern "C" fn checmate_prog_check_attach(hook: u32) -> c_int {
    match Hook::from_num(hook.into()) {
        Some(_) => 0,
        None => -(bindings::EINVAL as c_int),
    }
}

/// The hook a program was verified for, from its `expected_attach_type`.
///
/// # Safety
///
/// `prog` must point to a valid `struct bpf_prog`.
unsafe fn prog_hook(prog: *const bindings::bpf_prog) -> Option<Hook> {
    // SAFETY: the caller guarantees `prog` is valid.
    Hook::from_num(unsafe { (*prog).expected_attach_type } as u64)
}

/// Context access check: the rules come from the hook table (`hooks.rs`).
///
/// # Safety
///
/// Called by the verifier with the program it is verifying.
unsafe extern "C" fn is_valid_access(
    off: c_int,
    size: c_int,
    kind: bindings::bpf_access_type,
    prog: *const bindings::bpf_prog,
    _info: *mut bindings::bpf_insn_access_aux,
) -> bool {
    // SAFETY: the verifier passes the program it is verifying.
    let Some(hook) = (unsafe { prog_hook(prog) }) else {
        return false;
    };
    let write = kind == bindings::bpf_access_type_BPF_WRITE;
    if !hook.desc().access_ok(off, size, write) {
        return false;
    }
    // The verifier calls this for every context access it lets through,
    // on every path it explores, and the program's code never changes
    // after: the record is every context word the program can touch.
    // SAFETY: `prog` is the program being verified (caller); its `aux` is
    // set before verification, and only the verifier's thread writes it.
    unsafe { (*(*prog).aux).ctx_access_mask |= ctx::words(off as usize, size as usize) };
    true
}

/// `LINUX_VERSION_CODE` of the running kernel.
const KERNEL_VERSION: u32 = bindings::LINUX_VERSION_CODE;

/// Helpers that read kernel memory: only for programs whose `kern_version`
/// equals the running kernel's, as in the 2016 RFC.
fn reads_kernel_memory(func: bindings::bpf_func_id) -> bool {
    matches!(
        func,
        bindings::bpf_func_id_BPF_FUNC_probe_read_kernel
            | bindings::bpf_func_id_BPF_FUNC_probe_read_kernel_str
            | bindings::bpf_func_id_BPF_FUNC_get_current_task
            | bindings::bpf_func_id_BPF_FUNC_get_current_task_btf
    )
}

/// Helpers that describe the current task: meaningless (and refused) on
/// hooks called in interrupt or softirq context or for another actor
/// (`CallContext::Irq`), where `current` is whatever was interrupted.
fn reads_current(func: bindings::bpf_func_id) -> bool {
    matches!(
        func,
        bindings::bpf_func_id_BPF_FUNC_get_current_pid_tgid
            | bindings::bpf_func_id_BPF_FUNC_get_current_uid_gid
            | bindings::bpf_func_id_BPF_FUNC_get_current_comm
            | bindings::bpf_func_id_BPF_FUNC_get_current_cgroup_id
            | bindings::bpf_func_id_BPF_FUNC_current_task_under_cgroup
            | bindings::bpf_func_id_BPF_FUNC_get_current_task
            | bindings::bpf_func_id_BPF_FUNC_get_current_task_btf
    )
}

/// Helpers any Checmate program may call, besides the two classes above.
fn always_allowed(func: bindings::bpf_func_id) -> bool {
    matches!(
        func,
        bindings::bpf_func_id_BPF_FUNC_map_lookup_elem
            | bindings::bpf_func_id_BPF_FUNC_map_update_elem
            | bindings::bpf_func_id_BPF_FUNC_map_delete_elem
            | bindings::bpf_func_id_BPF_FUNC_map_push_elem
            | bindings::bpf_func_id_BPF_FUNC_map_pop_elem
            | bindings::bpf_func_id_BPF_FUNC_map_peek_elem
            | bindings::bpf_func_id_BPF_FUNC_for_each_map_elem
            | bindings::bpf_func_id_BPF_FUNC_loop
            | bindings::bpf_func_id_BPF_FUNC_tail_call
            | bindings::bpf_func_id_BPF_FUNC_get_prandom_u32
            | bindings::bpf_func_id_BPF_FUNC_get_smp_processor_id
            | bindings::bpf_func_id_BPF_FUNC_ktime_get_ns
            | bindings::bpf_func_id_BPF_FUNC_ktime_get_boot_ns
            | bindings::bpf_func_id_BPF_FUNC_ktime_get_coarse_ns
            | bindings::bpf_func_id_BPF_FUNC_jiffies64
            | bindings::bpf_func_id_BPF_FUNC_ringbuf_output
            | bindings::bpf_func_id_BPF_FUNC_ringbuf_reserve
            | bindings::bpf_func_id_BPF_FUNC_ringbuf_submit
            | bindings::bpf_func_id_BPF_FUNC_ringbuf_discard
            | bindings::bpf_func_id_BPF_FUNC_ringbuf_query
            | bindings::bpf_func_id_BPF_FUNC_spin_lock
            | bindings::bpf_func_id_BPF_FUNC_spin_unlock
            | bindings::bpf_func_id_BPF_FUNC_snprintf
            | bindings::bpf_func_id_BPF_FUNC_strncmp
    )
}

/// The helpers a program of its hook may call.
///
/// # Safety
///
/// Called by the verifier with the program it is verifying, whose `aux` is
/// set.
unsafe extern "C" fn get_func_proto(
    func: bindings::bpf_func_id,
    prog: *const bindings::bpf_prog,
) -> *const bindings::bpf_func_proto {
    // SAFETY: the verifier passes the program it is verifying.
    let Some(hook) = (unsafe { prog_hook(prog) }) else {
        return core::ptr::null();
    };
    if reads_current(func) && hook.desc().context == CallContext::Irq {
        return core::ptr::null();
    }
    if reads_kernel_memory(func) {
        // SAFETY: `prog` is valid and its `aux` is set before verification.
        if unsafe { (*(*prog).aux).kern_version } != KERNEL_VERSION {
            return core::ptr::null();
        }
    }
    if func == bindings::bpf_func_id_BPF_FUNC_tail_call {
        // What a tail-called program reads is not seen here (the prog
        // array's programs change at run time): the whole context. No
        // other helper can read it: the context pointer is refused as a
        // memory argument, and as an `ARG_ANYTHING` (probe reads) it is a
        // pointer leak, refused to Checmate programs.
        // SAFETY: as above; only the verifier's thread writes `aux` now.
        unsafe { (*(*prog).aux).ctx_access_mask = ctx::ALL_WORDS };
    }
    // SAFETY: only the addresses of kernel statics are taken, and they live
    // forever; `bpf_base_func_proto` only looks `f` up for `prog`.
    unsafe {
        match func {
            bindings::bpf_func_id_BPF_FUNC_trace_printk => bindings::bpf_get_trace_printk_proto(),
            bindings::bpf_func_id_BPF_FUNC_get_current_pid_tgid => {
                &raw const bindings::bpf_get_current_pid_tgid_proto
            }
            bindings::bpf_func_id_BPF_FUNC_get_current_uid_gid => {
                &raw const bindings::bpf_get_current_uid_gid_proto
            }
            bindings::bpf_func_id_BPF_FUNC_get_current_comm => {
                &raw const bindings::bpf_get_current_comm_proto
            }
            bindings::bpf_func_id_BPF_FUNC_get_current_cgroup_id => {
                &raw const bindings::bpf_get_current_cgroup_id_proto
            }
            bindings::bpf_func_id_BPF_FUNC_current_task_under_cgroup => {
                &raw const bindings::bpf_current_task_under_cgroup_proto
            }
            f if always_allowed(f) || reads_kernel_memory(f) => {
                bindings::bpf_base_func_proto(f, prog)
            }
            _ => core::ptr::null(),
        }
    }
}

/// The CPU held while the guard lives: a hook's programs run on one CPU, as
/// `bpf_prog_run()` requires (`cant_migrate()`). One guard covers the whole
/// walk of a hook's programs, inside the RCU read-side section it borrows.
///
/// Held the cheapest correct way for the kernel's preemption model. Checmate
/// programs are never sleepable:
///
/// - without `CONFIG_PREEMPT_RCU`, `rcu_read_lock()` is `preempt_disable()`
///   (`include/linux/rcupdate.h`): the RCU section already holds the CPU and
///   there is nothing to do;
/// - with it but without `CONFIG_PREEMPT_RT`, `preempt_disable()`, as XDP and
///   tc programs run: a few instructions, where `migrate_disable()` and
///   `migrate_enable()` are two calls and some fifty;
/// - with `CONFIG_PREEMPT_RT` (which implies `CONFIG_PREEMPT_RCU`),
///   `migrate_disable()`, as `bpf_prog_run_pin_on_cpu()`: a map's spinlock
///   sleeps there, so preemption must stay enabled.
pub(crate) struct PinnedToCpu<'a>(PhantomData<(&'a ReadGuard, *mut ())>);

impl<'a> PinnedToCpu<'a> {
    /// Holds the CPU until the guard is dropped, within the RCU read-side
    /// section `_rcu`.
    #[inline]
    pub(crate) fn new(_rcu: &'a ReadGuard) -> Self {
        #[cfg(CONFIG_PREEMPT_RT)]
        // SAFETY: may be called in any context; undone by `drop`.
        unsafe {
            bindings::migrate_disable()
        };
        #[cfg(all(CONFIG_PREEMPT_RCU, not(CONFIG_PREEMPT_RT)))]
        // SAFETY: may be called in any context; undone by `drop`.
        unsafe {
            bindings::preempt_disable()
        };
        PinnedToCpu(PhantomData)
    }
}

impl Drop for PinnedToCpu<'_> {
    #[inline]
    fn drop(&mut self) {
        #[cfg(CONFIG_PREEMPT_RT)]
        // SAFETY: pairs with the `migrate_disable()` of `new`.
        unsafe {
            bindings::migrate_enable()
        };
        #[cfg(all(CONFIG_PREEMPT_RCU, not(CONFIG_PREEMPT_RT)))]
        // SAFETY: pairs with the `preempt_disable()` of `new`.
        unsafe {
            bindings::preempt_enable()
        };
    }
}

/// A program's entry point and instructions ([`Prog::image`]).
#[derive(Clone, Copy)]
pub(crate) struct Image {
    func: unsafe extern "C" fn(*const c_void, *const bindings::bpf_insn) -> c_uint,
    insnsi: *const bindings::bpf_insn,
}

// SAFETY: the code and instructions of a loaded program, immutable and
// kept alive by the `Prog` reference held beside the image.
unsafe impl Send for Image {}
// SAFETY: as for `Send`: only read.
unsafe impl Sync for Image {}

/// Are BPF run-time statistics on (`bpf_stats_enabled_key`, sysctl
/// kernel.bpf_stats_enabled or `BPF_ENABLE_STATS`)? Then programs run
/// through `bpf_prog_run()`, which counts. Read once per crossing of a
/// hook: reading the key's count (`static_key_enabled()`) costs a load and
/// a branch where C has a patched jump.
#[inline]
pub(crate) fn stats_enabled() -> bool {
    // SAFETY: a static key's count is an `atomic_t`, read atomically.
    let count = unsafe {
        core::ptr::read_volatile(&raw const bindings::bpf_stats_enabled_key.key.enabled.counter)
    };
    count > 0
}

/// A counted reference to a loaded Checmate program.
///
/// # Invariants
///
/// `0` is a `struct bpf_prog` of type `BPF_PROG_TYPE_CHECMATE` verified for
/// a valid hook.
#[derive(Clone)]
pub(crate) struct Prog(ARef<BpfProg>);

impl Prog {
    /// Takes a reference to the program behind `fd`, which must be a
    /// Checmate program verified for `hook`.
    ///
    /// Errors: `EBADF` (not an open fd), `EINVAL` (not a BPF program, another
    /// type, or verified for another hook).
    pub(crate) fn from_fd(fd: u64, hook: Hook) -> Result<Self> {
        let fd = u32::try_from(fd)
            .ok()
            .filter(|&fd| fd <= i32::MAX as u32)
            .ok_or(errno(bindings::EBADF))?;
        // SAFETY: any fd number may be passed; the result is a program with
        // one reference taken for us, or an error pointer.
        let p = unsafe {
            bindings::bpf_prog_get_type_dev(
                fd,
                bindings::bpf_prog_type_BPF_PROG_TYPE_CHECMATE,
                false,
            )
        };
        let p = NonNull::new(from_err_ptr(p)?).ok_or(EINVAL)?;
        // INVARIANT: the type was checked by `bpf_prog_get_type_dev`; the
        // reference is dropped if the hook does not match.
        // SAFETY: `bpf_prog_get_type_dev` took the reference we now own.
        let prog = Prog(unsafe { ARef::from_raw(p.cast()) });
        // SAFETY: `p` is a valid program.
        match unsafe { prog_hook(p.as_ptr()) } {
            Some(h) if h == hook => Ok(prog),
            _ => Err(EINVAL),
        }
    }

    /// The program's id, as `bpf(BPF_PROG_GET_FD_BY_ID)` and bpftool know it.
    pub(crate) fn id(&self) -> u32 {
        // SAFETY: by the type invariant the program and its `aux` are valid.
        unsafe { (*(*self.0.as_ptr()).aux).id }
    }

    /// The program's entry point, for [`Prog::run`]: taken once, when it
    /// is attached, since a loaded program's `bpf_func` (its JIT image or
    /// the interpreter) and `insnsi` are set before it can be attached
    /// (`bpf_prog_select_runtime()`) and never change after. `EINVAL` for
    /// a program without one, which a loaded program never is.
    pub(crate) fn image(&self) -> Result<Image> {
        let prog = self.0.as_ptr();
        // SAFETY: a valid program (type invariant); the fields read are
        // fixed once it is loaded (above).
        unsafe {
            Ok(Image {
                func: (*prog).bpf_func.ok_or(EINVAL)?,
                insnsi: (*prog)
                    .__bindgen_anon_1
                    .__bindgen_anon_2
                    .as_ref()
                    .insnsi
                    .as_ptr(),
            })
        }
    }

    /// Runs the program on `ctx`, the context of hook `H`, and returns its
    /// return value. `image` is this program's [`Prog::image`] and `STATS`
    /// [`stats_enabled`], read once per crossing.
    ///
    /// # Safety
    ///
    /// The program must have been verified for hook `H` (its
    /// `expected_attach_type` is `H::HOOK`): the verifier checked its
    /// context accesses against `H::Ctx` only. `image` must be its own.
    /// `ctx` must point to an `H::Ctx` valid for reads, and for writes of
    /// the words the program may write (a subset of [`Prog::ctx_words`]).
    #[inline]
    pub(crate) unsafe fn run<H: HookType, const STATS: bool>(
        &self,
        image: &Image,
        ctx: *mut H::Ctx,
        _pin: &PinnedToCpu<'_>,
    ) -> u32 {
        let ctx = ctx.cast_const().cast::<c_void>();
        // What `bpf_prog_run()` (include/linux/filter.h) does, without its
        // out-of-line helper: while run-time statistics are on, the
        // helper, which counts; otherwise a direct call of the program's
        // image, as `bpf_dispatcher_nop_func()` makes.
        if STATS {
            // `ctx` is an `H::Ctx` the program may access (caller).
            // SAFETY: a valid program verified for `H` (caller), on `ctx`;
            // the CPU is held while `_pin` lives.
            unsafe { bindings::bpf_prog_run(self.0.as_ptr(), ctx) }
        } else {
            // SAFETY: as above, and `image` is this program's (caller).
            unsafe { (image.func)(ctx, image.insnsi) }
        }
    }

    /// The context words the program can read or write, as the verifier
    /// let it ([`ctx::words`]); [`ctx::ALL_WORDS`] if it tail-calls. Set at
    /// load, fixed after. (A program that reads kernel memory with
    /// `bpf_probe_read_kernel()` cannot be given its context's address: that
    /// is a pointer leak, refused.)
    pub(crate) fn ctx_words(&self) -> u64 {
        // SAFETY: by the type invariant the program and its `aux` are valid;
        // the field is written only while the program is verified.
        unsafe { (*(*self.0.as_ptr()).aux).ctx_access_mask }
    }

    /// The program, for [`crate::seal`], which takes references of its own.
    pub(crate) fn bpf(&self) -> &BpfProg {
        &self.0
    }

    /// Is this the same program as `other`?
    pub(crate) fn same(&self, other: &Prog) -> bool {
        core::ptr::eq::<BpfProg>(&*self.0, &*other.0)
    }
}
