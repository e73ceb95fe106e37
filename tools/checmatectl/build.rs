// SPDX-License-Identifier: GPL-2.0
//! Generates the hook table, the UAPI constants and the UAPI structures
//! (`#[repr(C)]`, with a table of their fields) from the kernel's
//! `include/uapi/linux/checmate.h`, so that nothing here is typed twice.

use std::{env, fs, path::PathBuf};

/// `64`, `1`, `(1U << 0)` -> the number.
fn parse_value(v: &str) -> Option<u32> {
    let v = v
        .split("/*")
        .next()
        .unwrap_or("")
        .trim()
        .trim_end_matches(',');
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

/// A C member type of the UAPI header -> (Rust type, element size, signed).
fn rust_type(c: &str) -> Option<(&'static str, usize, bool)> {
    Some(match c {
        "__u8" | "char" => ("u8", 1, false),
        "__u16" => ("u16", 2, false),
        "__u32" => ("u32", 4, false),
        "__s32" => ("i32", 4, true),
        "__u64" | "__aligned_u64" => ("u64", 8, false),
        "__s64" => ("i64", 8, true),
        _ => return None,
    })
}

/// `struct checmate_X { ... };` blocks: each a `#[repr(C)]` struct of the
/// same name and layout, and its fields for `uapi::STRUCTS`.
fn structs(text: &str, consts: &std::collections::BTreeMap<String, u32>) -> String {
    let mut out = String::new();
    let mut table = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(name) = line
            .strip_prefix("struct ")
            .and_then(|r| r.strip_suffix(" {"))
            .filter(|n| n.starts_with("checmate_"))
        else {
            continue;
        };
        let mut fields = String::new();
        let mut infos = String::new();
        let mut defaults = String::new();
        // Default derives for arrays of up to 32 elements only.
        let mut big_array = false;
        for l in lines.by_ref() {
            if l.starts_with("};") {
                break;
            }
            // Members only: `TYPE NAME;` or `TYPE NAME[N];`, comments cut.
            let l = l.split("/*").next().unwrap_or("").trim();
            let Some(decl) = l.strip_suffix(';') else {
                continue;
            };
            let mut words = decl.split_whitespace();
            let (Some(ty), Some(member), None) = (words.next(), words.next(), words.next()) else {
                continue;
            };
            let Some((rty, size, signed)) = rust_type(ty) else {
                panic!("{name}: member type {ty} unknown to build.rs");
            };
            let (member, count) = match member.split_once('[') {
                Some((m, n)) => {
                    let n = n.trim_end_matches(']');
                    let n = n
                        .parse::<u32>()
                        .ok()
                        .or_else(|| consts.get(n).copied())
                        .unwrap_or_else(|| panic!("{name}.{m}: array size {n}"));
                    (m, Some(n))
                }
                None => (member, None),
            };
            // A C name that is a Rust keyword (`type`): a raw identifier.
            let ident = if [
                "type", "match", "fn", "mod", "ref", "move", "use", "impl", "loop",
            ]
            .contains(&member)
            {
                format!("r#{member}")
            } else {
                member.to_string()
            };
            let member = member.to_string();
            match count {
                Some(n) => {
                    big_array |= n > 32;
                    fields.push_str(&format!("    pub {ident}: [{rty}; {n}],\n"));
                    defaults.push_str(&format!("            {ident}: [0; {n}],\n"));
                }
                None => {
                    fields.push_str(&format!("    pub {ident}: {rty},\n"));
                    defaults.push_str(&format!("            {ident}: 0,\n"));
                }
            }
            let kind = match (ty, signed) {
                ("char", _) => "Char",
                (_, true) => "Signed",
                _ => "Unsigned",
            };
            infos.push_str(&format!(
                "    Field {{ name: \"{member}\", offset: std::mem::offset_of!({name}, {ident}), \
                 size: {size}, count: {}, kind: FieldKind::{kind} }},\n",
                count.map_or("0".to_string(), |n| n.to_string()),
            ));
        }
        let upper = name.to_uppercase();
        let (derive, default) = if big_array {
            (
                "",
                format!(
                    "impl Default for {name} {{\n    fn default() -> Self {{\n        Self {{\n\
                     {defaults}        }}\n    }}\n}}\n\n"
                ),
            )
        } else {
            (", Default", String::new())
        };
        out.push_str(&format!(
            "/// `struct {name}`.\n#[repr(C)]\n#[derive(Debug, Clone, Copy, PartialEq, Eq{derive})]\n\
             #[allow(non_camel_case_types)]\npub struct {name} {{\n{fields}}}\n\n{default}\
             /// The fields of `struct {name}`.\npub const {upper}_FIELDS: &[Field] = &[\n{infos}];\n\n"
        ));
        table.push_str(&format!(
            "    (\"{name}\", std::mem::size_of::<{name}>(), {upper}_FIELDS),\n"
        ));
    }
    out.push_str(&format!(
        "/// (name, size, fields) of every UAPI structure.\n\
         pub const STRUCTS: &[(&str, usize, &[Field])] = &[\n{table}];\n"
    ));
    out
}

fn main() {
    let header = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../kernel/include/uapi/linux/checmate.h");
    println!("cargo:rerun-if-changed={}", header.display());
    let text = fs::read_to_string(&header).expect("read include/uapi/linux/checmate.h");
    let mut consts = String::new();
    let mut hooks = String::new();
    let mut hook_ctx = String::new();
    let mut values = std::collections::BTreeMap::new();
    // The context structure the comments of enum checmate_hook name for
    // the hooks below them.
    let mut ctx: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if let Some(s) = line
            .strip_prefix("/*")
            .and_then(|c| c.split("struct ").nth(1))
            .and_then(|c| c.split_whitespace().next())
            .filter(|s| s.starts_with("checmate_") && s.ends_with("_ctx"))
        {
            ctx = Some(s.to_string());
        }
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
        values.insert(name.to_string(), v);
        if let Some(hook) = name.strip_prefix("CHECMATE_HOOK_") {
            if hook != "UNSPEC" {
                hooks.push_str(&format!("    ({v}, \"{}\"),\n", hook.to_lowercase()));
                if let Some(c) = &ctx {
                    hook_ctx.push_str(&format!("    ({v}, \"{c}\"),\n"));
                }
            }
        }
    }
    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("uapi.rs");
    fs::write(
        out,
        format!(
            "{consts}\n/// (number, name) of every hook, from the UAPI header.\n\
             pub const HOOKS: &[(u32, &str)] = &[\n{hooks}];\n\n\
             /// (hook number, its context structure), from the comments of\n\
             /// `enum checmate_hook`.\n\
             pub const HOOK_CTX: &[(u32, &str)] = &[\n{hook_ctx}];\n\n{}",
            structs(&text, &values)
        ),
    )
    .unwrap();
}
