// SPDX-License-Identifier: GPL-2.0
//! Host tests of `checmatectl events`: the binary records of
//! /sys/kernel/security/checmate/events, laid out as the UAPI header says,
//! decoded to one JSON object each (hook, policy, errno and its name,
//! outcome, task, cgroup path by id, the context by field name, the count
//! of events lost before it), and the context's layout from BTF agreeing
//! with the header's.

use checmatectl::events::{
    btf_fields, decode_ctx, event_bytes, event_json, event_line, header_fields, parse_event,
    CtxField, Decoder, EVENT_SIZE,
};
use checmatectl::uapi::{self, checmate_event, checmate_sock_ctx};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::process::Command;

/// `struct checmate_event` as the header lays it out: what read(2) gives.
#[test]
fn event_layout_is_the_headers() {
    assert_eq!(EVENT_SIZE, 336);
    assert_eq!(std::mem::offset_of!(checmate_event, hook), 24);
    assert_eq!(std::mem::offset_of!(checmate_event, comm), 56);
    assert_eq!(std::mem::offset_of!(checmate_event, ctx_size), 72);
    assert_eq!(std::mem::offset_of!(checmate_event, ctx), 80);
    assert_eq!(uapi::CHECMATE_EVENT_CTX_MAX, 256);
    assert_eq!(
        std::mem::size_of::<uapi::checmate_query>(),
        uapi::CHECMATE_QUERY_SIZE_VER1 as usize
    );
    assert_eq!(
        std::mem::offset_of!(uapi::checmate_query, prog_flags),
        uapi::CHECMATE_QUERY_SIZE_VER0 as usize
    );
    // Every hook has a context structure, and every one fits an event.
    for (num, name) in uapi::HOOKS {
        let ctx = checmatectl::hook_ctx(*num).unwrap_or_else(|| panic!("{name}: no ctx"));
        let (_, size, _) = uapi::STRUCTS.iter().find(|s| s.0 == ctx).unwrap();
        assert!(*size <= uapi::CHECMATE_EVENT_CTX_MAX as usize, "{ctx}");
    }
    assert_eq!(
        checmatectl::hook_ctx(uapi::CHECMATE_HOOK_SOCKET_CONNECT),
        Some("checmate_sock_ctx")
    );
    assert_eq!(
        checmatectl::hook_ctx(uapi::CHECMATE_HOOK_PATH_MKDIR),
        Some("checmate_inode_ctx")
    );
    assert_eq!(
        checmatectl::hook_ctx(uapi::CHECMATE_HOOK_BPF),
        Some("checmate_kernel_ctx")
    );
}

fn ctx_bytes<T>(c: &T) -> Vec<u8> {
    // SAFETY: the UAPI structures are plain integers.
    unsafe { std::slice::from_raw_parts((c as *const T).cast::<u8>(), std::mem::size_of::<T>()) }
        .to_vec()
}

/// A denied connect from `comm` in cgroup `cg`, as the kernel writes it.
fn connect_event(seq: u64, cg: u64) -> checmate_event {
    let sock = checmate_sock_ctx {
        family: 2,
        r#type: 2,
        protocol: 17,
        remote_port: 4243,
        remote_ip4: u32::from_ne_bytes([127, 0, 0, 1]),
        sock_family: 2,
        cgroup_id: cg,
        ..Default::default()
    };
    let mut e = checmate_event {
        seq,
        time_ns: 5_000_000_000,
        cgroup_id: cg,
        hook: uapi::CHECMATE_HOOK_SOCKET_CONNECT,
        prog_id: 42,
        verdict: -libc::ECONNREFUSED,
        outcome: uapi::CHECMATE_EVENT_LOG_ONLY,
        pid: 700,
        tid: 701,
        uid: 1000,
        flags: uapi::CHECMATE_EVENT_F_PROG_LOG_ONLY,
        ctx_size: std::mem::size_of::<checmate_sock_ctx>() as u32,
        ..Default::default()
    };
    e.comm[..4].copy_from_slice(b"curl");
    let b = ctx_bytes(&sock);
    e.ctx[..b.len()].copy_from_slice(&b);
    e
}

/// A cgroup tree of directories; its root and the id of `a/b`.
fn cgroup_tree(name: &str) -> (PathBuf, u64) {
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("a/b")).unwrap();
    std::fs::create_dir_all(root.join("c")).unwrap();
    let id = std::fs::metadata(root.join("a/b")).unwrap().ino();
    (root, id)
}

#[test]
fn event_decodes_to_json() {
    let (root, cg) = cgroup_tree("cg1");
    let e = connect_event(7, cg);
    let bytes = event_bytes(&e);
    assert_eq!(bytes.len(), EVENT_SIZE);
    // Seq at the start, native order, as the kernel's struct has it.
    assert_eq!(&bytes[..8], &7u64.to_ne_bytes());
    let back = parse_event(&bytes).unwrap();
    assert_eq!(back, e);
    assert!(parse_event(&bytes[..EVENT_SIZE - 1]).is_none());

    let mut dec = Decoder::new(None, &root);
    let v = event_json(&back, &mut dec, |id| (id == 42).then(|| "egress".into()), 0);
    // Through text, as a reader of the output gets it.
    let v: serde_json::Value = serde_json::from_str(&v.to_string()).unwrap();
    assert_eq!(v["seq"], 7);
    assert_eq!(v["lost"], 0);
    assert_eq!(v["hook"], "socket_connect");
    assert_eq!(v["policy"], "egress");
    assert_eq!(v["prog_id"], 42);
    assert_eq!(v["errno"], 111);
    assert_eq!(v["errno_name"], "ECONNREFUSED");
    assert_eq!(v["outcome"], "log-only");
    assert_eq!(v["prog_log_only"], true);
    assert_eq!(
        (v["pid"].as_u64(), v["tid"].as_u64()),
        (Some(700), Some(701))
    );
    assert_eq!(v["uid"], 1000);
    assert_eq!(v["comm"], "curl");
    assert_eq!(v["cgroup_id"], cg);
    assert_eq!(v["cgroup"], "/a/b");
    assert!(v["time"].as_f64().unwrap() > 1e9, "wall clock seconds");
    assert_eq!(v["monotonic_ns"], 5_000_000_000u64);
    let ctx = &v["ctx"];
    assert_eq!(ctx["family"], 2);
    assert_eq!(ctx["type"], 2);
    assert_eq!(ctx["protocol"], 17);
    assert_eq!(ctx["remote_port"], 4243);
    assert_eq!(ctx["remote_ip4"], "127.0.0.1");
    assert_eq!(ctx["local_ip4"], "0.0.0.0");
    assert_eq!(ctx["remote_ip6"], "::");
    assert_eq!(ctx["cgroup_id"], cg);
    assert!(ctx.get("reserved").is_none());
    // Every field of the header's struct but the reserved ones.
    assert_eq!(ctx.as_object().unwrap().len(), 16, "{ctx}");

    let line = event_line(&v);
    assert!(
        line.contains("log-only socket_connect prog 42[egress]"),
        "{line}"
    );
    assert!(line.contains("errno 111 (ECONNREFUSED)"), "{line}");
    assert!(line.contains(" remote_ip4=127.0.0.1 "), "{line}");
    assert!(line.contains(" remote_port=4243"), "{line}");
    // Fields the hook has no value for (zeros) are left out of the line.
    assert!(!line.contains("local_port="), "{line}");
    assert!(
        !line.contains("local_ip4=") && !line.contains("remote_ip6="),
        "{line}"
    );
}

#[test]
fn lost_events_and_tasks_without_one() {
    let (root, cg) = cgroup_tree("cg2");
    let mut dec = Decoder::new(None, &root);
    assert_eq!(dec.lost_before(5), 0);
    assert_eq!(dec.lost_before(6), 0);
    // 7, 8, 9 overwritten before they were read.
    assert_eq!(dec.lost_before(10), 3);
    assert_eq!(dec.lost_before(11), 0);

    let mut e = connect_event(12, cg);
    e.flags = uapi::CHECMATE_EVENT_F_NO_TASK;
    e.outcome = uapi::CHECMATE_EVENT_DENIED;
    e.cgroup_id = 0;
    let v = event_json(&e, &mut dec, |_| None, 2);
    assert_eq!(v["lost"], 2);
    assert_eq!(v["outcome"], "denied");
    assert_eq!(v["prog_log_only"], false);
    assert!(v["pid"].is_null() && v["comm"].is_null() && v["cgroup"].is_null());
    assert!(v["policy"].is_null());
    assert!(event_line(&v).starts_with("(2 events lost) "));

    e.outcome = uapi::CHECMATE_EVENT_DROP;
    assert_eq!(
        event_json(&e, &mut dec, |_| None, 0)["outcome"],
        "not-enforced"
    );
    // A cgroup made after the decoder read the tree is found; a gone one
    // has no path.
    std::fs::create_dir_all(root.join("c/new")).unwrap();
    let id = std::fs::metadata(root.join("c/new")).unwrap().ino();
    assert_eq!(dec.cgroup_path(id).as_deref(), Some("/c/new"));
    assert_eq!(dec.cgroup_path(u64::MAX), None);
    let rootid = std::fs::metadata(&root).unwrap().ino();
    assert_eq!(dec.cgroup_path(rootid).as_deref(), Some("/"));
}

#[test]
fn context_fields_decode_by_name() {
    // Text fields stop at the NUL; ctx_size bounds what is decoded.
    let f = header_fields("checmate_inode_ctx").unwrap();
    let mut b = vec![0u8; 256];
    let name = f.iter().find(|f| f.name == "name").unwrap();
    assert_eq!((name.size, name.count), (1, 64));
    b[name.offset..name.offset + 5].copy_from_slice(b"hello");
    let ino = f.iter().find(|f| f.name == "ino").unwrap();
    b[ino.offset..ino.offset + 8].copy_from_slice(&0xfeed_u64.to_ne_bytes());
    let v = decode_ctx(&f, &b);
    assert_eq!(v["name"], "hello");
    assert_eq!(v["ino"], 0xfeed);
    assert_eq!(v["name2"], "");
    let short = decode_ctx(&f, &b[..name.offset]);
    assert!(short.get("name").is_none() && short.get("ino").is_some());
    // Arrays of numbers are lists; signed fields keep their sign.
    let cred = header_fields("checmate_cred_ctx").unwrap();
    let args = cred.iter().find(|f| f.name == "args").unwrap();
    let mut c = vec![0u8; 256];
    c[args.offset + 8..args.offset + 16].copy_from_slice(&9u64.to_ne_bytes());
    assert_eq!(
        decode_ctx(&cred, &c)["args"],
        serde_json::json!([0, 9, 0, 0])
    );
    let signed = [CtxField {
        name: "v".into(),
        offset: 0,
        size: 4,
        count: 0,
        kind: uapi::FieldKind::Signed,
    }];
    assert_eq!(decode_ctx(&signed, &(-5i32).to_ne_bytes())["v"], -5);
    assert!(header_fields("checmate_nope_ctx").is_none());
}

/// The layout the kernel's BTF gives a context structure is the one built
/// in from the header: here the BTF of an object clang compiles from the
/// UAPI header (skipped without clang-19).
#[test]
fn btf_layout_agrees_with_the_header() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let hdr = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../kernel/include/uapi/linux/checmate.h")
        .canonicalize()
        .unwrap();
    let names: Vec<&str> = uapi::HOOK_CTX.iter().map(|h| h.1).collect();
    let mut src = format!("#include \"{}\"\n", hdr.display());
    for (i, n) in names.iter().enumerate() {
        src.push_str(&format!("struct {n} v{i};\n"));
    }
    std::fs::write(dir.join("ctx_btf.c"), src).unwrap();
    // The header's one include, without the host's asm/ headers.
    let inc = dir.join("ctx_btf_include");
    std::fs::create_dir_all(inc.join("linux")).unwrap();
    std::fs::write(
        inc.join("linux/types.h"),
        "typedef unsigned char __u8; typedef unsigned short __u16;\n\
         typedef unsigned int __u32; typedef int __s32;\n\
         typedef unsigned long long __u64; typedef long long __s64;\n\
         #define __aligned_u64 __u64 __attribute__((aligned(8)))\n",
    )
    .unwrap();
    let obj = dir.join("ctx_btf.o");
    let st = Command::new("clang-19")
        .args(["-g", "-O2", "-target", "bpf", "-c"])
        .arg(format!("-I{}", inc.display()))
        .arg(dir.join("ctx_btf.c"))
        .arg("-o")
        .arg(&obj)
        .status();
    match st {
        Ok(s) if s.success() => {}
        Ok(s) => panic!("clang-19 failed: {s}"),
        Err(_) => {
            eprintln!("clang-19 not installed: BTF layout test skipped");
            return;
        }
    }
    let btf = libbpf_rs::btf::Btf::from_path(&obj).unwrap();
    for n in names {
        let from_btf = btf_fields(&btf, n).unwrap_or_else(|| panic!("{n} not in BTF"));
        assert_eq!(from_btf, header_fields(n).unwrap(), "{n}");
    }
    assert!(btf_fields(&btf, "checmate_nope_ctx").is_none());
    // The decoder prefers the BTF: a field appended there is shown.
    let mut dec = Decoder::new(Some(btf), &dir);
    assert!(dec
        .ctx_fields(uapi::CHECMATE_HOOK_SOCKET_CONNECT)
        .unwrap()
        .iter()
        .any(|f| f.name == "netns_cookie"));
}
