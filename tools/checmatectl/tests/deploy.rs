// SPDX-License-Identifier: GPL-2.0
//! The fleet rollout files, deploy/kubernetes/ and deploy/container/: every
//! YAML parses (serde_yaml, a real YAML parser), the kustomizations name
//! files that exist, the policy files parse as checmatectl's and name
//! sample objects the image builds, the DaemonSet's mounts match its
//! volumes and its privileges are those checmatectl needs and no more, and
//! the Containerfile copies what exists. Where a kubectl or kustomize with
//! kustomize v4 or later is installed, base and overlay are rendered too.

use serde_yaml::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn top() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn kube() -> PathBuf {
    top().join("deploy/kubernetes")
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            out.push(p);
        }
    }
}

/// Every document of a YAML file.
fn docs(path: &Path) -> Vec<Value> {
    use serde::Deserialize;
    let text = std::fs::read_to_string(path).unwrap();
    serde_yaml::Deserializer::from_str(&text)
        .map(|d| Value::deserialize(d).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .filter(|v| !v.is_null())
        .collect()
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is not a string in {v:?}"))
}

fn list(v: &Value) -> Vec<Value> {
    v.as_sequence().cloned().unwrap_or_default()
}

fn strings(v: &Value) -> Vec<String> {
    list(v)
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_yaml_parses_with_kind_and_api_version() {
    let mut files = Vec::new();
    yaml_files(&kube(), &mut files);
    assert!(files.len() >= 6, "{files:?}");
    for f in &files {
        let d = docs(f);
        assert!(!d.is_empty(), "{}", f.display());
        for doc in &d {
            let (api, kind) = (s(doc, "apiVersion"), s(doc, "kind"));
            let ok = match kind {
                "Kustomization" => api == "kustomize.config.k8s.io/v1beta1",
                "Namespace" | "ServiceAccount" | "ConfigMap" => api == "v1",
                "DaemonSet" => api == "apps/v1",
                _ => false,
            };
            assert!(ok, "{}: {api} {kind}", f.display());
            if kind != "Kustomization" {
                assert!(!s(&doc["metadata"], "name").is_empty());
            }
        }
    }
}

/// Checks a kustomization and what it names; returns its policy files.
fn kustomization(dir: &Path) -> Vec<PathBuf> {
    let k = &docs(&dir.join("kustomization.yaml"))[0];
    assert_eq!(s(k, "kind"), "Kustomization");
    for r in strings(&k["resources"]) {
        let p = dir.join(&r);
        assert!(
            p.is_file() || p.join("kustomization.yaml").is_file(),
            "{}: resource {r} missing",
            dir.display()
        );
    }
    for p in list(&k["patches"]) {
        let f = dir.join(s(&p, "path"));
        assert!(f.is_file(), "{}", f.display());
        docs(&f);
    }
    let mut policies = Vec::new();
    for g in list(&k["configMapGenerator"]) {
        assert_eq!(s(&g, "name"), "checmate-policies");
        for f in strings(&g["files"]) {
            let p = dir.join(&f);
            assert!(p.is_file(), "{}", p.display());
            policies.push(p);
        }
    }
    policies
}

#[test]
fn kustomizations_name_what_exists() {
    let base = kustomization(&kube().join("base"));
    assert!(!base.is_empty());
    let overlays: Vec<PathBuf> = std::fs::read_dir(kube().join("overlays"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!overlays.is_empty(), "an overlay example");
    for o in overlays {
        let k = &docs(&o.join("kustomization.yaml"))[0];
        assert!(strings(&k["resources"]).contains(&"../../base".to_string()));
        for p in kustomization(&o) {
            assert!(p.is_file());
        }
    }
}

/// The policy files parse as checmatectl's; their objects are samples the
/// Containerfile builds, where it puts them; their modes are named.
#[test]
fn policy_files_are_checmatectl_policies() {
    let mut all = kustomization(&kube().join("base"));
    for e in std::fs::read_dir(kube().join("overlays")).unwrap() {
        all.extend(kustomization(&e.unwrap().path()));
    }
    for f in all {
        let p = checmatectl::spec::parse(&std::fs::read_to_string(&f).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let obj = p.object.to_str().unwrap();
        let name = obj
            .strip_prefix("/usr/share/checmate/samples/")
            .unwrap_or_else(|| panic!("{}: object {obj} is not in the image", f.display()));
        let src = top().join("samples").join(name.replace(".bpf.o", ".bpf.c"));
        assert!(src.is_file(), "{}", src.display());
        assert!(p.mode.is_some(), "{}: say the mode", f.display());
    }
}

fn daemonset() -> Value {
    docs(&kube().join("base/daemonset.yaml")).remove(0)
}

fn caps(c: &Value) -> (BTreeSet<String>, BTreeSet<String>) {
    let sc = &c["securityContext"]["capabilities"];
    (
        strings(&sc["add"]).into_iter().collect(),
        strings(&sc["drop"]).into_iter().collect(),
    )
}

#[test]
fn daemonset_privileges_and_mounts() {
    let ds = daemonset();
    assert_eq!(s(&ds, "kind"), "DaemonSet");
    let spec = &ds["spec"]["template"]["spec"];
    // The selector selects the template.
    let sel = &ds["spec"]["selector"]["matchLabels"];
    for (k, v) in sel.as_mapping().unwrap() {
        assert_eq!(&ds["spec"]["template"]["metadata"]["labels"][k], v);
    }
    // No host namespaces it does not need, never a user namespace.
    for k in ["hostPID", "hostNetwork", "hostIPC"] {
        assert_ne!(spec[k].as_bool(), Some(true), "{k}");
    }
    assert_ne!(spec["hostUsers"].as_bool(), Some(false));
    assert_eq!(spec["automountServiceAccountToken"].as_bool(), Some(false));
    assert_eq!(s(&spec["nodeSelector"], "kubernetes.io/os"), "linux");
    assert!(!list(&spec["tolerations"]).is_empty());

    let volumes: Vec<Value> = list(&spec["volumes"]);
    let vol = |name: &str| {
        volumes
            .iter()
            .find(|v| s(v, "name") == name)
            .cloned()
            .unwrap_or_else(|| panic!("no volume {name}"))
    };
    let mut all = list(&spec["initContainers"]);
    all.extend(list(&spec["containers"]));
    let mut used = BTreeSet::new();
    for c in &all {
        for m in list(&c["volumeMounts"]) {
            vol(s(&m, "name"));
            used.insert(s(&m, "name").to_string());
        }
        assert!(c["securityContext"]["readOnlyRootFilesystem"]
            .as_bool()
            .unwrap());
        assert_ne!(
            c["securityContext"]["privileged"].as_bool(),
            Some(true),
            "{}: CAP_SYS_ADMIN, CAP_BPF, CAP_PERFMON are enough",
            s(c, "name")
        );
    }
    assert_eq!(used.len(), volumes.len(), "a volume nobody mounts");

    // The apply container: checmatectl apply on the ConfigMap's files,
    // with exactly the capabilities it needs.
    let apply = all
        .iter()
        .find(|c| strings(&c["command"]).iter().any(|a| a == "apply"))
        .expect("a container that applies");
    let cmd = strings(&apply["command"]);
    assert!(cmd[0].ends_with("checmatectl"), "{cmd:?}");
    assert_eq!(cmd[1..], ["apply", "-f", "/etc/checmate/policies.d/"]);
    let (add, drop) = caps(apply);
    assert_eq!(
        add,
        ["BPF", "PERFMON", "SYS_ADMIN"]
            .map(String::from)
            .into_iter()
            .collect()
    );
    assert!(drop.contains("ALL"));
    let mount = |path: &str| {
        list(&apply["volumeMounts"])
            .into_iter()
            .find(|m| s(m, "mountPath").trim_end_matches('/') == path)
            .unwrap_or_else(|| panic!("apply does not mount {path}"))
    };
    let pol = mount("/etc/checmate/policies.d");
    assert_eq!(
        s(&vol(s(&pol, "name"))["configMap"], "name"),
        "checmate-policies"
    );
    let bpffs = mount("/sys/fs/bpf");
    assert_ne!(bpffs["readOnly"].as_bool(), Some(true));
    assert_eq!(
        s(&vol(s(&bpffs, "name"))["hostPath"], "path"),
        "/sys/fs/bpf"
    );
    let cg = mount("/sys/fs/cgroup");
    assert_eq!(cg["readOnly"].as_bool(), Some(true));
    assert_eq!(
        s(&vol(s(&cg, "name"))["hostPath"], "path"),
        "/sys/fs/cgroup"
    );

    // The container that stays: nothing.
    for c in list(&spec["containers"]) {
        let (add, drop) = caps(&c);
        assert!(add.is_empty() && drop.contains("ALL"), "{}", s(&c, "name"));
        assert_eq!(c["securityContext"]["runAsNonRoot"].as_bool(), Some(true));
        assert!(c["volumeMounts"].is_null());
    }

    // Namespace and ServiceAccount as the pod names them.
    let ns = &docs(&kube().join("base/namespace.yaml"))[0];
    assert_eq!(s(&ns["metadata"], "name"), s(&ds["metadata"], "namespace"));
    assert_eq!(
        s(
            &ns["metadata"]["labels"],
            "pod-security.kubernetes.io/enforce"
        ),
        "privileged"
    );
    let sa = &docs(&kube().join("base/serviceaccount.yaml"))[0];
    assert_eq!(s(&sa["metadata"], "name"), s(spec, "serviceAccountName"));
}

#[test]
fn containerfile_builds_from_what_exists() {
    let text = std::fs::read_to_string(top().join("deploy/container/Containerfile")).unwrap();
    assert!(text.contains("ARG BASE_IMAGE=debian:bookworm-slim"));
    assert!(text.contains(" AS build\n"));
    assert!(text.contains("cargo build --release --locked"));
    assert!(text.contains("make -C samples"));
    let mut froms = 0;
    for line in text.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        match w.first() {
            Some(&"FROM") => froms += 1,
            Some(&"COPY") if !w[1].starts_with("--from") => {
                for src in &w[1..w.len() - 1] {
                    assert!(top().join(src).exists(), "COPY {src}: not in the tree");
                }
            }
            _ => {}
        }
    }
    assert_eq!(froms, 2, "a build stage and the runtime stage");
    // The DaemonSet runs what the image holds.
    assert!(text.contains("/usr/sbin/checmatectl"));
    assert!(text.contains("/usr/share/checmate/samples/"));
}

/// kubectl kustomize (kustomize v4 or later: `labels`, `patches`), or
/// kustomize, if one is installed.
fn renderer() -> Option<Vec<String>> {
    if let Ok(o) = Command::new("kustomize").arg("version").output() {
        if o.status.success() {
            return Some(vec!["kustomize".into(), "build".into()]);
        }
    }
    let o = Command::new("kubectl")
        .args(["version", "--client", "-o", "json"])
        .output()
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).ok()?;
    let kv = v["kustomizeVersion"].as_str()?;
    let major: u32 = kv.trim_start_matches('v').split('.').next()?.parse().ok()?;
    if major < 4 {
        eprintln!("kubectl's kustomize {kv} is older than v4: not rendered");
        return None;
    }
    Some(vec!["kubectl".into(), "kustomize".into()])
}

#[test]
fn kustomize_renders_base_and_overlay() {
    let Some(r) = renderer() else {
        eprintln!("no kubectl or kustomize with kustomize v4+: manifests not rendered");
        return;
    };
    for dir in ["base", "overlays/enforce"] {
        let o = Command::new(&r[0])
            .args(&r[1..])
            .arg(kube().join(dir))
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{dir}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let text = String::from_utf8(o.stdout).unwrap();
        let objs: Vec<Value> = {
            use serde::Deserialize;
            serde_yaml::Deserializer::from_str(&text)
                .map(|d| Value::deserialize(d).unwrap())
                .collect()
        };
        let kinds: BTreeSet<&str> = objs.iter().map(|o| s(o, "kind")).collect();
        assert_eq!(
            kinds,
            ["ConfigMap", "DaemonSet", "Namespace", "ServiceAccount"].into()
        );
        for o in &objs {
            if s(o, "kind") != "Namespace" {
                assert_eq!(s(&o["metadata"], "namespace"), "checmate-system");
            }
        }
        // The generated ConfigMap's name (with its hash) is the one mounted.
        let cm = objs.iter().find(|o| s(o, "kind") == "ConfigMap").unwrap();
        let cm_name = s(&cm["metadata"], "name");
        assert!(cm_name.starts_with("checmate-policies-"), "{cm_name}");
        assert!(cm["data"]["egress.toml"].is_string());
        let ds = objs.iter().find(|o| s(o, "kind") == "DaemonSet").unwrap();
        let spec = &ds["spec"]["template"]["spec"];
        let vols = list(&spec["volumes"]);
        assert!(vols
            .iter()
            .any(|v| v["configMap"]["name"].as_str() == Some(cm_name)));
        for c in list(&spec["initContainers"])
            .iter()
            .chain(list(&spec["containers"]).iter())
        {
            assert!(s(c, "image").contains("checmatectl:"), "{}", s(c, "image"));
        }
        if dir.starts_with("overlays") {
            assert_eq!(s(&spec["nodeSelector"], "checmate.example/enforce"), "true");
            assert!(cm["data"]["egress.toml"]
                .as_str()
                .unwrap()
                .contains("mode = \"normal\""));
        }
    }
}
