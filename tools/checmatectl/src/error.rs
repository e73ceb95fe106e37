// SPDX-License-Identifier: GPL-2.0
//! Errors that say what to fix, not just an errno.

use std::fmt;

/// What checmatectl was doing when the kernel said no.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Load,
    Attach,
    Detach,
    Replace,
    Reset,
    Lock,
    SetMode,
    Query,
    Map,
    /// checmatectl's own checks (policy files, state): the text says all.
    Policy,
    /// A wrong argument (hook, mode, key): the text says all.
    Usage,
}

/// Exit statuses: what a script can tell apart.
pub mod exit {
    /// Any other failure.
    pub const FAILURE: u8 = 1;
    /// The command line is wrong (clap's own status).
    pub const USAGE: u8 = 2;
    /// Not permitted: privileges, or a locked, append-only or read-only hook.
    pub const NOT_PERMITTED: u8 = 3;
    /// No such policy, program, hook or pinned map.
    pub const NOT_FOUND: u8 = 4;
    /// The verifier refused a program.
    pub const VERIFIER: u8 = 5;

    /// Every status with its meaning, for --help, the man page and the
    /// README (a test checks that they agree).
    pub const ALL: &[(u8, &str)] = &[
        (0, "success"),
        (FAILURE, "any other failure"),
        (
            USAGE,
            "usage error: a wrong command line, option, mode or map key",
        ),
        (
            NOT_PERMITTED,
            "not permitted (EPERM, EACCES): no CAP_SYS_ADMIN, CAP_BPF, CAP_PERFMON in the \
             initial user namespace, or a locked, append-only or read-only hook",
        ),
        (
            NOT_FOUND,
            "not found: no such policy, policy file, hook, program, pinned map or map entry",
        ),
        (
            VERIFIER,
            "the verifier refused a program; its log is printed",
        ),
    ];

    /// `ALL` as the text --help ends with.
    pub const HELP: &str = "Exit status:
  0  success
  1  any other failure
  2  usage error: a wrong command line, option, mode or map key
  3  not permitted (EPERM, EACCES): no CAP_SYS_ADMIN, CAP_BPF, CAP_PERFMON in the initial \
user namespace, or a locked, append-only or read-only hook
  4  not found: no such policy, policy file, hook, program, pinned map or map entry
  5  the verifier refused a program; its log is printed";
}

/// An error with a hint for the user.
#[derive(Debug)]
pub struct Error {
    pub op: Op,
    pub errno: Option<i32>,
    pub what: String,
    /// The verifier's log of a refused program.
    pub log: Option<String>,
}

impl Error {
    pub fn os(op: Op, what: impl Into<String>, err: std::io::Error) -> Self {
        Error {
            op,
            errno: err.raw_os_error(),
            what: what.into(),
            log: None,
        }
    }

    /// Something of checmatectl's own is missing: exit status NOT_FOUND.
    pub fn not_found(what: impl Into<String>) -> Self {
        Error {
            op: Op::Policy,
            errno: Some(libc::ENOENT),
            what: what.into(),
            log: None,
        }
    }

    /// A wrong argument (mode, field, key): exit status USAGE.
    pub fn usage(what: impl Into<String>) -> Self {
        Error {
            op: Op::Usage,
            errno: Some(libc::EINVAL),
            what: what.into(),
            log: None,
        }
    }

    /// checmatectl refuses: exit status NOT_PERMITTED.
    pub fn refused(what: impl Into<String>) -> Self {
        Error {
            op: Op::Policy,
            errno: Some(libc::EPERM),
            what: what.into(),
            log: None,
        }
    }

    /// The exit status for this error.
    pub fn exit_code(&self) -> u8 {
        match (self.op, self.errno) {
            (Op::Usage, _) => exit::USAGE,
            // The verifier ran and said why.
            (Op::Load, _) if self.log.is_some() => exit::VERIFIER,
            (Op::Load, Some(libc::EACCES)) => exit::VERIFIER,
            (_, Some(libc::EPERM | libc::EACCES)) => exit::NOT_PERMITTED,
            (_, Some(libc::ENOENT)) => exit::NOT_FOUND,
            _ => exit::FAILURE,
        }
    }

    pub fn msg(op: Op, what: impl Into<String>) -> Self {
        Error {
            op,
            errno: None,
            what: what.into(),
            log: None,
        }
    }

    /// The hint for this operation and errno.
    pub fn hint(&self) -> &'static str {
        use Op::*;
        match (self.op, self.errno.unwrap_or(0)) {
            (Load, _) if self.log.is_some() => "the verifier refused the program: its log follows",
            (Load, libc::EPERM) => "loading needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN)",
            (Load, libc::EACCES) => "the verifier refused the program",
            (Load, libc::EINVAL) => {
                "the kernel refused the program: is this a Checmate kernel, and does the \
                 section name a hook (SEC(\"checmate/<hook>\"))?"
            }
            (_, libc::EPERM) => {
                "needs CAP_SYS_ADMIN in the initial user namespace; or the hook is locked \
                 (deny_reset) or its mode forbids this (see `checmatectl show`)"
            }
            (Lock, libc::EOPNOTSUPP) => {
                "a map of the hook's programs cannot be frozen (bpf_spin_lock, timer or kptr); \
                 nothing was locked"
            }
            (Lock, libc::EBUSY) => "a map of the hook's programs is mapped writable by a process",
            (Lock, libc::E2BIG) => "the programs reach more than 1024 programs by tail calls",
            (Attach, libc::EEXIST) => "that program is attached to this hook already",
            (Attach, libc::E2BIG) => "the hook holds the maximum number of programs",
            (Attach, libc::EINVAL) => "not a Checmate program, or verified for another hook",
            (Replace, libc::EEXIST) => "the new program is attached to this hook already",
            (Replace, libc::ENOENT) => "the program to replace is not attached to this hook",
            (Replace, libc::EINVAL) => {
                "the kernel refused the replacement: does it have CHECMATE_OP_REPLACE, and \
                 were both programs verified for this hook?"
            }
            (Detach, libc::ENOENT) => "no program with that id is attached to this hook",
            (_, libc::ENOENT) => "no such program or pinned map",
            (_, libc::EINVAL) if self.op != Map => {
                "the kernel does not know this hook or argument: is Checmate enabled (lsm=)?"
            }
            (_, libc::ENOSYS) => "Checmate is not enabled in this kernel (lsm= or CONFIG_LSM)",
            _ => "",
        }
    }
}

/// The errno a message ends with, as `std::io::Error` prints it
/// ("... (os error 13)").
pub fn errno_in(text: &str) -> Option<i32> {
    let (_, tail) = text.rsplit_once("(os error ")?;
    tail.split(')').next()?.parse().ok()
}

/// checmatectl's own failures (policy files, state): the text says all;
/// an errno it quotes (a file not found, bpffs not writable) sets the
/// exit status.
impl From<String> for Error {
    fn from(what: String) -> Self {
        Error {
            op: Op::Policy,
            errno: errno_in(&what),
            what,
            log: None,
        }
    }
}

impl Error {
    /// The message, and after it the verifier's log if there is one: what
    /// checmatectl prints for an error.
    pub fn report(&self) -> String {
        match &self.log {
            Some(log) => format!(
                "{self}\n-- verifier log --\n{}\n-- end of verifier log --",
                log.trim_end()
            ),
            None => self.to_string(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.what)?;
        if matches!(self.op, Op::Policy | Op::Usage) {
            return Ok(());
        }
        if let Some(e) = self.errno {
            let msg = std::io::Error::from_raw_os_error(e).to_string();
            let msg = msg.split(" (os error").next().unwrap_or(&msg);
            // libbpf's errors say it already.
            if !self.what.contains(msg) {
                write!(f, ": {msg}")?;
            }
        }
        let hint = self.hint();
        if !hint.is_empty() {
            write!(f, " ({hint})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}
