// SPDX-License-Identifier: GPL-2.0
//! Checmate: a stackable LSM that runs BPF programs on LSM hooks.
//!
//! Root in the initial user namespace attaches programs of type
//! `BPF_PROG_TYPE_CHECMATE` to hooks with `prctl(PR_CHECMATE, ...)`; on every
//! crossing of a hook its programs run, and the first that returns an error
//! denies the operation with it. One concern per file:
//!
//! - `lsm.rs`: registration with the LSM framework, nothing else;
//! - `hooks.rs`: the one table of hooks, pure data: numbers, contexts,
//!   verifier rules and per-hook marker types are expanded from it there,
//!   the LSM entry points in `entry.rs`, the static call slots in
//!   `switch.rs`;
//! - `net.rs`, `fs.rs`, `task.rs`, `mount.rs`, `namei.rs`, `unix.rs`,
//!   `creds.rs`, `exec.rs`, `integrity.rs`: filling a hook's context from
//!   kernel objects, one file per family; `ctx.rs` what they share;
//! - `indirect.rs`: binds and connects of other calls (SCTP address lists,
//!   Fast Open) through the programs of `socket_bind` and `socket_connect`;
//! - `bpf.rs`: the program type (verifier and prog ops) and program references;
//! - `rcu.rs`: a small safe abstraction over RCU-published pointers;
//! - `progs.rs`: per-hook state, published program arrays, the hot path;
//! - `seal.rs`: what a hook lock protects besides the hook: prog arrays
//!   and, if asked, the data maps of its programs;
//! - `stats.rs`: per-CPU counters of runs and denials;
//! - `report.rs`: rate-limited reports of denials (audit flag, LOG_ONLY);
//! - `events.rs`: every denial as an event in a ring, read through
//!   /sys/kernel/security/checmate/events;
//! - `securityfs.rs`: /sys/kernel/security/checmate/hooks and events;
//! - `switch.rs`: turning a hook's static call on and off (idle costs nothing);
//! - `api.rs`: the prctl API, where all user input is checked;
//! - `admin.rs`: Checmate's own privilege check, which no program on the
//!   `capable` hook can refuse;
//! - `guard.rs`: the `bpf` hook: no cgroup program may rewrite an address
//!   after a locked hook decided on it.

// Every `unsafe` block argues its soundness where it stands; tools/lint.sh
// builds with clippy and fails on any warning.
#![warn(clippy::undocumented_unsafe_blocks)]

use kernel::prelude::*;

/// Prefix of this crate's `pr_*!` messages (a built-in object has no `module!`).
const __LOG_PREFIX: &[u8] = b"checmate\0";

mod admin;
mod api;
mod bpf;
mod creds;
mod ctx;
mod entry;
mod events;
mod exec;
mod fs;
mod guard;
mod hooks;
mod indirect;
mod integrity;
mod lsm;
mod mount;
mod namei;
mod net;
mod progs;
mod rcu;
mod report;
mod seal;
mod securityfs;
mod stats;
mod switch;
mod task;
mod unix;

/// Turns a kernel errno constant into an [`Error`].
fn errno(e: u32) -> Error {
    Error::from_errno(-(e as i32))
}
