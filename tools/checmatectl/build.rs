// SPDX-License-Identifier: GPL-2.0
//! Generates the hook table and the UAPI constants from the kernel's
//! `include/uapi/linux/checmate.h`, so that nothing here is typed twice.

use std::{env, fs, path::PathBuf};

/// `64`, `1`, `(1U << 0)` -> the number.
fn parse_value(v: &str) -> Option<u32> {
    let v = v.trim().trim_end_matches(',');
    if let Some((_, shift)) = v.split_once("<<") {
        return shift
            .trim()
            .trim_end_matches(')')
            .parse::<u32>()
            .ok()
            .map(|s| 1 << s);
    }
    v.parse().ok()
}

fn main() {
    let header = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../kernel/include/uapi/linux/checmate.h");
    println!("cargo:rerun-if-changed={}", header.display());
    let text = fs::read_to_string(&header).expect("read include/uapi/linux/checmate.h");
    let mut consts = String::new();
    let mut hooks = String::new();
    for line in text.lines().map(str::trim) {
        // "CHECMATE_X = 1," (enum entries) and "#define CHECMATE_X value".
        let pair = match line.strip_prefix("#define ") {
            Some(rest) => rest.split_once(char::is_whitespace),
            None => line.split_once(" = "),
        };
        let Some((name, value)) = pair else { continue };
        if !name.starts_with("CHECMATE_") {
            continue;
        }
        let Some(v) = parse_value(value) else {
            continue;
        };
        consts.push_str(&format!("pub const {name}: u32 = {v};\n"));
        if let Some(hook) = name.strip_prefix("CHECMATE_HOOK_") {
            if hook != "UNSPEC" {
                hooks.push_str(&format!("    ({v}, \"{}\"),\n", hook.to_lowercase()));
            }
        }
    }
    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("uapi.rs");
    fs::write(
        out,
        format!(
            "{consts}\n/// (number, name) of every hook, from the UAPI header.\n\
             pub const HOOKS: &[(u32, &str)] = &[\n{hooks}];\n"
        ),
    )
    .unwrap();
}
