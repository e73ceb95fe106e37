// SPDX-License-Identifier: GPL-2.0
//! checmatectl's library: the Checmate UAPI (generated from the kernel
//! header), the prctl API, and loading policies from BPF ELF objects.

pub mod api;
pub mod apply;
pub mod error;
pub mod events;
pub mod policy;
pub mod spec;
pub mod state;
pub mod view;

/// Constants and structures of `include/uapi/linux/checmate.h`, generated
/// by build.rs.
pub mod uapi {
    /// How a field of a UAPI structure holds its value.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum FieldKind {
        Unsigned,
        Signed,
        /// `char`: an array of them is text.
        Char,
    }

    /// A field of a UAPI structure, as build.rs read it from the header.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Field {
        pub name: &'static str,
        /// Bytes from the start of the structure.
        pub offset: usize,
        /// Bytes of one element.
        pub size: usize,
        /// Elements of an array; 0: not an array.
        pub count: usize,
        pub kind: FieldKind,
    }

    include!(concat!(env!("OUT_DIR"), "/uapi.rs"));

    /// `PR_CHECMATE` from the kernel's `include/uapi/linux/prctl.h` patch.
    pub const PR_CHECMATE: i32 = 0x4348_4d54;

    /// `BPF_PROG_TYPE_CHECMATE`: appended after `BPF_PROG_TYPE_NETFILTER` in
    /// the kernel's `enum bpf_prog_type`.
    pub const BPF_PROG_TYPE_CHECMATE: u32 = libbpf_sys::BPF_PROG_TYPE_NETFILTER + 1;
}

/// The hook number of `name` (`socket_connect`), or of a number given as text.
pub fn hook_by_name(name: &str) -> Option<u32> {
    if let Ok(n) = name.parse::<u32>() {
        return uapi::HOOKS.iter().find(|h| h.0 == n).map(|h| h.0);
    }
    uapi::HOOKS.iter().find(|h| h.1 == name).map(|h| h.0)
}

/// The context structure (`checmate_sock_ctx`) of hook `num`.
pub fn hook_ctx(num: u32) -> Option<&'static str> {
    uapi::HOOK_CTX.iter().find(|h| h.0 == num).map(|h| h.1)
}

/// The name of hook `num`.
pub fn hook_name(num: u32) -> Option<&'static str> {
    uapi::HOOKS.iter().find(|h| h.0 == num).map(|h| h.1)
}

/// Hook modes by name.
pub const MODES: &[(&str, u32)] = &[
    ("normal", uapi::CHECMATE_MODE_NORMAL),
    ("append-only", uapi::CHECMATE_MODE_APPEND_ONLY),
    ("read-only", uapi::CHECMATE_MODE_READ_ONLY),
    ("disabled", uapi::CHECMATE_MODE_DISABLED),
    ("log-only", uapi::CHECMATE_MODE_LOG_ONLY),
];

/// The name of mode `m`.
pub fn mode_name(m: u32) -> &'static str {
    MODES.iter().find(|x| x.1 == m).map_or("unknown", |x| x.0)
}

/// Mode `name`, or an error listing every mode.
pub fn mode_by_name(name: &str) -> Result<u32, String> {
    MODES
        .iter()
        .find(|m| m.0 == name)
        .map(|m| m.1)
        .ok_or_else(|| {
            let names: Vec<&str> = MODES.iter().map(|m| m.0).collect();
            format!("unknown mode '{name}'; modes: {}", names.join(", "))
        })
}
