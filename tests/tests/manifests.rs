//! The container image and the Kubernetes manifests (`packaging/container/`,
//! `packaging/k8s/`), checked without Docker or a cluster, neither of which runs here:
//!
//! - the Containerfile is read instruction by instruction and held to the package layout
//!   (`/usr/bin/ocimcpd`, `/usr/bin/ocimcpctl`, `/etc/ocimcpd/ocimcpd.toml`, where the .deb
//!   and .rpm metadata in `ocimcpd/Cargo.toml` put them): the builder builds the binaries
//!   the runtime copies, from every workspace member, and the config it copies passes
//!   `ocimcpd --check-config`;
//! - the manifests are built with `kubectl kustomize` and turned into JSON by kubectl
//!   itself (`kubectl label --local -o json`: no API server needed, where `create
//!   --dry-run=client` wants one), then checked against each other and against the
//!   daemon config in the ConfigMap;
//! - that config runs: the daemon serves the probes' paths and the Service's host names
//!   statelessly, with its runtime dir made inside a world-writable folder as an emptyDir
//!   is.
//!
//! TOML is read with Python's `tomllib` (the tests crate has no TOML parser). Without
//! kubectl the manifest checks print why and pass; the rest needs nothing but python3.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use ocimcp_tests::{Daemon, binary, root};
use serde_json::{Value, json};

// ---- the Containerfile ----

const CONTAINERFILE: &str = "packaging/container/Containerfile";
/// The package layout (issue 9): where the .deb/.rpm put the binaries and the config.
const DAEMON: &str = "/usr/bin/ocimcpd";
const CTL: &str = "/usr/bin/ocimcpctl";
const CONFIG: &str = "/etc/ocimcpd/ocimcpd.toml";

/// One instruction: its keyword (upper case) and the rest of its (joined) lines.
#[derive(Debug)]
struct Instruction {
    keyword: String,
    args: String,
}

#[derive(Debug)]
struct Stage {
    /// The image, with `${ARG}`s from before the first FROM filled in.
    base: String,
    name: Option<String>,
    instructions: Vec<Instruction>,
}

impl Stage {
    fn all<'a>(&'a self, keyword: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.instructions
            .iter()
            .filter(move |i| i.keyword == keyword)
            .map(|i| i.args.as_str())
    }

    fn copies(&self) -> Vec<Copy> {
        self.all("COPY").map(Copy::parse).collect()
    }

    /// The words of every RUN, continuation lines joined.
    fn run_words(&self) -> Vec<String> {
        self.all("RUN")
            .flat_map(str::split_whitespace)
            .map(str::to_owned)
            .collect()
    }
}

#[derive(Debug)]
struct Copy {
    from: Option<String>,
    chown: Option<String>,
    sources: Vec<String>,
    dest: String,
}

impl Copy {
    fn parse(args: &str) -> Copy {
        let mut from = None;
        let mut chown = None;
        let mut paths = Vec::new();
        for word in args.split_whitespace() {
            if let Some(value) = word.strip_prefix("--from=") {
                from = Some(value.to_owned());
            } else if let Some(value) = word.strip_prefix("--chown=") {
                chown = Some(value.to_owned());
            } else if word.starts_with("--") {
                // --chmod, --link: nothing to check
            } else {
                paths.push(word.to_owned());
            }
        }
        let dest = paths.pop().expect("COPY has a destination");
        assert!(!paths.is_empty(), "COPY {args} has no source");
        Copy {
            from,
            chown,
            sources: paths,
            dest,
        }
    }
}

/// The Containerfile as stages: comments dropped, `\` continuations joined, `${ARG}` in
/// FROM replaced by the ARG's default.
fn containerfile() -> Vec<Stage> {
    let text = std::fs::read_to_string(root().join(CONTAINERFILE)).expect("read Containerfile");
    let mut logical = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && current.is_empty()) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(part) => {
                current.push_str(part);
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                logical.push(std::mem::take(&mut current));
            }
        }
    }
    assert!(current.is_empty(), "the Containerfile ends inside a line");
    let mut args: BTreeMap<String, String> = BTreeMap::new();
    let mut stages: Vec<Stage> = Vec::new();
    for line in logical {
        let (keyword, rest) = line.split_once(' ').unwrap_or((&line, ""));
        let keyword = keyword.to_ascii_uppercase();
        let rest = rest.trim().to_owned();
        if keyword == "FROM" {
            let words: Vec<&str> = rest
                .split_whitespace()
                .filter(|w| !w.starts_with("--"))
                .collect();
            let mut base = words[0].to_owned();
            for (name, value) in &args {
                base = base.replace(&format!("${{{name}}}"), value);
            }
            assert!(!base.contains('$'), "FROM {rest}: an ARG without a default");
            let name = match words[1..] {
                [as_, name] if as_.eq_ignore_ascii_case("as") => Some(name.to_owned()),
                [] => None,
                _ => panic!("FROM {rest}: cannot read"),
            };
            stages.push(Stage {
                base,
                name,
                instructions: Vec::new(),
            });
        } else if let Some(stage) = stages.last_mut() {
            stage.instructions.push(Instruction {
                keyword,
                args: rest,
            });
        } else if keyword == "ARG"
            && let Some((name, value)) = rest.split_once('=')
        {
            args.insert(name.to_owned(), value.to_owned());
        }
    }
    stages
}

/// `[workspace] members` of the root Cargo.toml, and `[workspace.package]` version and
/// rust-version.
fn workspace() -> Value {
    toml(&root().join("Cargo.toml"))
}

/// Where the .deb and the .rpm (ocimcpd/Cargo.toml's cargo-deb and cargo-generate-rpm
/// metadata) install the asset `source`, as absolute paths.
fn package_dest(source: &str) -> [String; 2] {
    let manifest = toml(&root().join("ocimcpd/Cargo.toml"));
    let metadata = &manifest["package"]["metadata"];
    let deb = metadata["deb"]["assets"]
        .as_array()
        .expect("[package.metadata.deb] assets")
        .iter()
        .find(|a| a[0] == source)
        .unwrap_or_else(|| panic!("the .deb does not install {source}"));
    // cargo-deb: a destination ending in / is a folder, the file keeps its name.
    let mut deb_dest = format!("/{}", str_of(deb, "/1"));
    if deb_dest.ends_with('/') {
        deb_dest.push_str(source.rsplit('/').next().expect("file name"));
    }
    let rpm = metadata["generate-rpm"]["assets"]
        .as_array()
        .expect("[package.metadata.generate-rpm] assets")
        .iter()
        .find(|a| a["source"] == source)
        .unwrap_or_else(|| panic!("the .rpm does not install {source}"));
    [deb_dest, str_of(rpm, "/dest").to_owned()]
}

/// A TOML file as JSON, read by Python's tomllib.
fn toml(path: &Path) -> Value {
    let output = Command::new("python3")
        .args([
            "-c",
            "import json, sys, tomllib; print(json.dumps(tomllib.load(open(sys.argv[1], 'rb'))))",
        ])
        .arg(path)
        .output()
        .expect("python3 (3.11 or later, for tomllib) must be installed");
    assert!(
        output.status.success(),
        "python3 could not read {} as TOML: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("tomllib's JSON")
}

/// Runs `ocimcpd --check-config` on `config` placed in a temp dir with `backends` in its
/// `backends.d/`; panics with the daemon's words unless it passes. Returns its report
/// ("configuration OK ...; MCP endpoint http://IP:PORT/PATH").
fn check_config(config: &str, backends: &[(String, String)]) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("ocimcpd.toml"), config).expect("write config");
    std::fs::create_dir(dir.path().join("backends.d")).expect("backends.d");
    for (name, text) in backends {
        std::fs::write(dir.path().join("backends.d").join(name), text).expect("backend file");
    }
    let output = Command::new(binary("ocimcpd"))
        .arg("--check-config")
        .arg("--config")
        .arg(dir.path().join("ocimcpd.toml"))
        .env_remove("OCIMCPD_CONFIG")
        .output()
        .expect("run ocimcpd --check-config");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "ocimcpd --check-config refused it:\n{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The port of the endpoint `--check-config` reports.
fn endpoint_port(report: &str) -> u16 {
    let url = report
        .split("MCP endpoint http://")
        .nth(1)
        .expect("check-config names the endpoint");
    let authority = url.split('/').next().expect("authority");
    authority
        .rsplit_once(':')
        .and_then(|(_, port)| port.trim().parse().ok())
        .expect("a port in the endpoint")
}

fn str_of<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{pointer} is not a string in {value:#}"))
}

/// `a` (a path) is `b` or inside it.
fn within(a: &str, b: &str) -> bool {
    Path::new(a).starts_with(b)
}

#[test]
fn containerfile_builds_and_installs_the_package_layout() {
    let stages = containerfile();
    let workspace = workspace();

    // The builder: the official Rust image, no older than the workspace's rust-version, on
    // the Debian release the runtime is (same glibc), building both binaries as locked.
    let builder = stages
        .iter()
        .find(|s| s.name.as_deref() == Some("builder"))
        .expect("a stage named builder");
    let (image, tag) = builder
        .base
        .split_once(':')
        .expect("a tagged builder image");
    assert!(
        image == "docker.io/library/rust" || image == "rust",
        "the builder is the official rust image, not {image}"
    );
    let version = |v: &str| -> Vec<u32> { v.split('.').map_while(|n| n.parse().ok()).collect() };
    let toolchain = version(tag.split('-').next().expect("tag"));
    let floor = version(str_of(&workspace, "/workspace/package/rust-version"));
    assert!(
        toolchain.len() >= 2 && toolchain >= floor,
        "builder toolchain {tag} is older than rust-version {floor:?}"
    );
    let build = builder
        .all("RUN")
        .find(|run| run.contains("cargo build"))
        .expect("the builder runs cargo build");
    let words: Vec<&str> = build.split_whitespace().collect();
    for flag in ["--release", "--locked"] {
        assert!(words.contains(&flag), "cargo build without {flag}: {build}");
    }
    for package in ["ocimcpd", "ocimcpctl"] {
        assert!(
            words.windows(2).any(|w| w == ["-p", package]),
            "cargo build does not build -p {package}: {build}"
        );
    }
    // cargo reads every member's manifest: the builder must have all of them.
    let copied: BTreeSet<String> = builder
        .copies()
        .iter()
        .filter(|c| c.from.is_none())
        .flat_map(|c| c.sources.clone())
        .map(|s| s.trim_end_matches('/').to_owned())
        .collect();
    let members = workspace["workspace"]["members"]
        .as_array()
        .expect("workspace members");
    for needed in members
        .iter()
        .filter_map(Value::as_str)
        .chain(["Cargo.toml", "Cargo.lock"])
    {
        assert!(
            copied.contains(needed),
            "the builder does not COPY {needed} (a workspace member or manifest): {copied:?}"
        );
    }

    // The runtime: the last stage, distroless or slim Debian 12 (the builder's glibc).
    let runtime = stages.last().expect("stages");
    assert!(runtime.name.as_deref() != Some("builder"));
    let base = &runtime.base;
    assert!(
        (base.starts_with("gcr.io/distroless/") && base.contains("-debian12"))
            || base.contains("debian:12-slim")
            || base.contains("bookworm-slim"),
        "the runtime base {base} is neither distroless nor slim Debian 12"
    );
    assert!(
        tag.contains("bookworm"),
        "the builder ({tag}) must be Debian 12 (bookworm) like the runtime {base}, for glibc"
    );

    // Binaries: copied from the builder to the package paths, from files the builder's
    // RUN put there straight from target/release.
    let copies = runtime.copies();
    let run_words = builder.run_words();
    let dest_of = |dest: &str| {
        copies
            .iter()
            .find(|c| c.dest == dest)
            .unwrap_or_else(|| panic!("the runtime does not COPY anything to {dest}"))
    };
    for (name, path) in [("ocimcpd", DAEMON), ("ocimcpctl", CTL)] {
        let copy = dest_of(path);
        assert_eq!(
            copy.from.as_deref(),
            Some("builder"),
            "{path} comes from the builder"
        );
        let [source] = copy.sources.as_slice() else {
            panic!("{path}: one source expected")
        };
        let built = format!("target/release/{name}");
        assert!(
            run_words
                .windows(2)
                .any(|w| w[0] == built && &w[1] == source),
            "the builder does not put {built} at {source}, which the runtime copies to {path}"
        );
    }
    // Everything else the runtime takes from the builder is made by the builder's RUNs.
    for copy in copies
        .iter()
        .filter(|c| c.from.as_deref() == Some("builder"))
    {
        for source in &copy.sources {
            assert!(
                run_words.iter().any(|w| w == source),
                "the runtime copies {source} from the builder, which makes no such path"
            );
        }
    }
    // Context files exist in the repository.
    for copy in stages.iter().flat_map(Stage::copies) {
        if copy.from.is_none() {
            for source in &copy.sources {
                assert!(
                    root().join(source).exists(),
                    "COPY {source}: not in the repository"
                );
            }
        }
    }

    // Those are the paths the .deb and .rpm install them to.
    for (source, path) in [
        ("target/release/ocimcpd", DAEMON),
        ("target/release/ocimcpctl", CTL),
        ("../etc/ocimcpd/ocimcpd.toml", CONFIG),
    ] {
        assert_eq!(
            package_dest(source),
            [path, path],
            "the image has {path} where the packages do not"
        );
    }

    // The config: a file of the repository, at the package's path.
    let config = dest_of(CONFIG);
    assert!(config.from.is_none(), "{CONFIG} comes from the repository");
    let [config_source] = config.sources.as_slice() else {
        panic!("{CONFIG}: one source expected")
    };
    let settings = toml(&root().join(config_source));

    // Non-root, with the runtime and state dirs its own.
    let user = runtime.all("USER").last().expect("a USER");
    let uid: u32 = user
        .split(':')
        .next()
        .and_then(|u| u.parse().ok())
        .unwrap_or_else(|| {
            panic!("USER {user} is not numeric (Kubernetes' runAsNonRoot needs a number)")
        });
    assert_ne!(uid, 0, "the image runs as root");
    for key in ["runtime_dir", "state_dir"] {
        let dir = str_of(&settings, &format!("/daemon/{key}"));
        let copy = dest_of(dir);
        let owner = copy.chown.as_deref().unwrap_or("0");
        assert_eq!(
            owner.split(':').next(),
            Some(uid.to_string().as_str()),
            "[daemon] {key} {dir} is not owned by the image's user {uid}"
        );
    }
    // ocimcpctl finds the daemon through the environment.
    let env: BTreeMap<&str, &str> = runtime
        .all("ENV")
        .flat_map(str::split_whitespace)
        .filter_map(|w| w.split_once('='))
        .collect();
    assert_eq!(
        env.get("OCIMCPD_RUNTIME_DIR").copied(),
        Some(str_of(&settings, "/daemon/runtime_dir"))
    );
    assert_eq!(
        env.get("OCIMCPD_STATE_DIR").copied(),
        Some(str_of(&settings, "/daemon/state_dir"))
    );
    assert_eq!(env.get("OCIMCPD_CONFIG").copied(), Some(CONFIG));

    // It runs the daemon on that config, and exposes the port the config listens on.
    let entrypoint: Vec<String> = serde_json::from_str(
        runtime
            .all("ENTRYPOINT")
            .last()
            .expect("an ENTRYPOINT (exec form)"),
    )
    .expect("ENTRYPOINT in exec form");
    assert_eq!(entrypoint, [DAEMON, "--config", CONFIG]);
    // The image ships an empty backends.d: the file's own folder, as in the packages.
    let backends_dir = str_of(&settings, "/discovery/backends_dir");
    let backends_path = Path::new(CONFIG)
        .parent()
        .expect("config folder")
        .join(backends_dir);
    dest_of(backends_path.to_str().expect("utf-8"));
    let text = std::fs::read_to_string(root().join(config_source)).expect("read config");
    let report = check_config(&text, &[]);
    let exposed: Vec<u16> = runtime
        .all("EXPOSE")
        .flat_map(str::split_whitespace)
        .map(|p| p.trim_end_matches("/tcp").parse().expect("EXPOSE port"))
        .collect();
    assert_eq!(
        exposed,
        [endpoint_port(&report)],
        "EXPOSE is not the port the config listens on ({report})"
    );
    // A container's gateway must be reachable from outside it.
    let listen = str_of(&settings, "/gateway/listen");
    assert!(
        listen.starts_with("0.0.0.0:") || listen.starts_with("[::]:"),
        "the image's gateway listens on {listen}, unreachable from outside the container"
    );
}

// ---- the Kubernetes manifests ----

const K8S: &str = "packaging/k8s";

/// YAML (files or stdin) as JSON objects, converted by kubectl without an API server.
/// `None` when kubectl is not installed.
fn kubectl_json(args: &[&str], stdin: Option<&[u8]>) -> Option<Vec<Value>> {
    let mut command = Command::new("kubectl");
    command
        .args(["label", "--local", "-o", "json", "ocimcp-none-"])
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => panic!("kubectl: {e}"),
    };
    if let Some(input) = stdin {
        use std::io::Write;
        let mut pipe = child.stdin.take().expect("stdin");
        pipe.write_all(input).expect("write to kubectl");
    }
    let output = child.wait_with_output().expect("kubectl output");
    assert!(
        output.status.success(),
        "kubectl could not read {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut objects = Vec::new();
    for value in serde_json::Deserializer::from_slice(&output.stdout).into_iter::<Value>() {
        let value = value.expect("kubectl's JSON");
        match value["kind"].as_str() {
            Some("List") => objects.extend(value["items"].as_array().cloned().unwrap_or_default()),
            _ => objects.push(value),
        }
    }
    Some(objects)
}

/// The kustomization and every object `kubectl kustomize` builds from it; `None` (with the
/// reason printed) without kubectl.
fn kustomize() -> Option<(Value, Vec<Value>)> {
    let dir = root().join(K8S);
    let kustomization = dir.join("kustomization.yaml");
    let Some(mut parsed) = kubectl_json(&["-f", kustomization.to_str().expect("utf-8 path")], None)
    else {
        eprintln!(
            "SKIP: kubectl is not installed, so {K8S} was not built with kustomize nor checked; \
             install kubectl to run these checks"
        );
        return None;
    };
    let kustomization = parsed.pop().expect("kustomization.yaml");
    let built = Command::new("kubectl")
        .arg("kustomize")
        .arg(&dir)
        .output()
        .expect("kubectl kustomize");
    assert!(
        built.status.success(),
        "kubectl kustomize {K8S} failed: {}",
        String::from_utf8_lossy(&built.stderr)
    );
    let objects = kubectl_json(&["-f", "-"], Some(&built.stdout)).expect("kubectl");
    Some((kustomization, objects))
}

fn one<'a>(objects: &'a [Value], kind: &str, name_prefix: &str) -> &'a Value {
    let found: Vec<&Value> = objects
        .iter()
        .filter(|o| {
            o["kind"] == kind
                && o["metadata"]["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with(name_prefix))
        })
        .collect();
    match found.as_slice() {
        [object] => object,
        _ => panic!(
            "expected one {kind} named {name_prefix}*, found {}",
            found.len()
        ),
    }
}

/// `labels` (a selector's matchLabels) all appear in `pod_labels`.
fn selects(selector: &Value, pod_labels: &Value) -> bool {
    let selector = selector.as_object().expect("a label map");
    !selector.is_empty() && selector.iter().all(|(k, v)| pod_labels.get(k) == Some(v))
}

/// The generated ConfigMap behind a pod volume: its keys and contents.
fn config_map_data(objects: &[Value], name: &str) -> BTreeMap<String, String> {
    let map = one(objects, "ConfigMap", name);
    assert_eq!(
        map["metadata"]["name"], name,
        "the volume names the ConfigMap"
    );
    map["data"]
        .as_object()
        .expect("ConfigMap data")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().expect("text data").to_owned()))
        .collect()
}

/// What the checks and the daemon run need from the built manifests.
struct Gateway {
    /// ocimcpd.toml as the ConfigMap holds it, and its backends.d files.
    config: String,
    backends: Vec<(String, String)>,
    /// The ConfigMap's config as JSON.
    settings: Value,
    /// The container's env.
    env: Vec<(String, String)>,
    /// Liveness and readiness paths.
    probes: (String, String),
    /// The Service's in-cluster DNS names.
    service_names: Vec<String>,
    /// emptyDir mount paths.
    empty_dirs: Vec<String>,
}

/// Checks the built manifests against each other, the Containerfile and the daemon config,
/// and returns what running that config needs.
fn check_manifests(kustomization: &Value, objects: &[Value]) -> Gateway {
    let namespace = str_of(kustomization, "/namespace");

    // Every manifest of the folder is deployed.
    let resources: BTreeSet<&str> = kustomization["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for entry in std::fs::read_dir(root().join(K8S)).expect("read packaging/k8s") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name.ends_with(".yaml") && name != "kustomization.yaml" {
            assert!(
                resources.contains(name.as_str()),
                "{K8S}/{name} is not listed in kustomization.yaml"
            );
        }
    }
    for kind in [
        "Namespace",
        "ServiceAccount",
        "ConfigMap",
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
    ] {
        assert!(
            objects.iter().any(|o| o["kind"] == kind),
            "no {kind} in the kustomize output"
        );
    }
    for object in objects.iter().filter(|o| o["kind"] != "Namespace") {
        assert_eq!(
            object["metadata"]["namespace"], namespace,
            "{} {} is not in namespace {namespace}",
            object["kind"], object["metadata"]["name"]
        );
    }
    one(objects, "Namespace", namespace);

    let deployment = one(objects, "Deployment", "ocimcpd");
    let pod = &deployment["spec"]["template"]["spec"];
    let pod_labels = &deployment["spec"]["template"]["metadata"]["labels"];
    assert!(
        selects(&deployment["spec"]["selector"]["matchLabels"], pod_labels),
        "the Deployment's selector does not match its pods"
    );
    let containers = pod["containers"].as_array().expect("containers");
    let [container] = containers.as_slice() else {
        panic!("one container expected, found {}", containers.len())
    };

    // The image: the one kustomize sets, tagged with the workspace version; run with the
    // Containerfile's entrypoint (no command or args to contradict it).
    let workspace = workspace();
    let version = str_of(&workspace, "/workspace/package/version");
    let image = str_of(container, "/image");
    assert!(
        image.ends_with(&format!("/ocimcpd:{version}")),
        "image {image} is not ocimcpd:{version} (the workspace version)"
    );
    assert!(
        container.get("command").is_none() && container.get("args").is_none(),
        "the container overrides the image's entrypoint ({DAEMON} --config {CONFIG})"
    );

    // Volumes by name, and where the container mounts them.
    let volumes: BTreeMap<&str, &Value> = pod["volumes"]
        .as_array()
        .expect("volumes")
        .iter()
        .map(|v| (str_of(v, "/name"), v))
        .collect();
    let mounts = container["volumeMounts"].as_array().expect("volumeMounts");
    let mount_at = |path: &str| -> (&Value, &Value) {
        let mount = mounts
            .iter()
            .find(|m| m["mountPath"] == path)
            .unwrap_or_else(|| panic!("nothing is mounted at {path}"));
        let volume = volumes
            .get(str_of(mount, "/name"))
            .unwrap_or_else(|| panic!("the volume mounted at {path} is not defined"));
        (mount, volume)
    };

    // The daemon config: the ConfigMap key mounted at the path the entrypoint reads.
    let (mount, volume) = mount_at(CONFIG);
    let key = str_of(mount, "/subPath");
    let config_map = config_map_data(objects, str_of(volume, "/configMap/name"));
    let config = config_map
        .get(key)
        .unwrap_or_else(|| panic!("the config ConfigMap has no key {key}"))
        .clone();
    let file = std::fs::read_to_string(root().join(K8S).join("config/ocimcpd.toml"))
        .expect("read config/ocimcpd.toml");
    assert_eq!(
        config, file,
        "the ConfigMap is generated from config/ocimcpd.toml"
    );
    let settings_file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(settings_file.path(), &config).expect("write");
    let settings = toml(settings_file.path());

    // backends.d: the second ConfigMap, mounted where the config looks for it, holding
    // every file of config/backends.d/.
    let backends_dir = Path::new(CONFIG)
        .parent()
        .expect("folder")
        .join(str_of(&settings, "/discovery/backends_dir"));
    let (_, volume) = mount_at(backends_dir.to_str().expect("utf-8"));
    let backends: Vec<(String, String)> =
        config_map_data(objects, str_of(volume, "/configMap/name"))
            .into_iter()
            .collect();
    let mut files: Vec<String> = std::fs::read_dir(root().join(K8S).join("config/backends.d"))
        .expect("config/backends.d")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let keys: Vec<&String> = backends.iter().map(|(k, _)| k).collect();
    assert_eq!(keys, files.iter().collect::<Vec<_>>());
    assert!(
        !backends.is_empty(),
        "the backends ConfigMap has no example"
    );

    // A stateless gateway on the container port, reachable through the Service by its
    // in-cluster names.
    assert_eq!(
        settings["gateway"]["stateless"], true,
        "[gateway] stateless is not true"
    );
    let report = check_config(&config, &backends);
    let port = endpoint_port(&report);
    let ports = container["ports"].as_array().expect("container ports");
    let named = |name: &Value| -> u64 {
        match name {
            Value::Number(n) => n.as_u64().expect("port number"),
            Value::String(s) => ports
                .iter()
                .find(|p| p["name"] == s.as_str())
                .and_then(|p| p["containerPort"].as_u64())
                .unwrap_or_else(|| panic!("no container port named {s}")),
            other => panic!("a port is {other}"),
        }
    };
    assert!(
        ports.iter().any(|p| p["containerPort"] == port),
        "no container port {port} (the config's listen port)"
    );
    let mut probes = Vec::new();
    for (probe, path) in [("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")] {
        let get = &container[probe]["httpGet"];
        assert_eq!(get["path"], path, "{probe}");
        assert_eq!(named(&get["port"]), u64::from(port), "{probe} port");
        probes.push(path.to_owned());
    }
    let service = one(objects, "Service", "ocimcpd");
    assert!(
        selects(&service["spec"]["selector"], pod_labels),
        "the Service does not select the gateway pods"
    );
    for service_port in service["spec"]["ports"].as_array().expect("Service ports") {
        assert_eq!(
            named(&service_port["targetPort"]),
            u64::from(port),
            "the Service's targetPort is not the gateway's port"
        );
    }
    let service_name = str_of(service, "/metadata/name");
    let service_names: Vec<String> = ["", ".NS", ".NS.svc", ".NS.svc.cluster.local"]
        .iter()
        .map(|suffix| format!("{service_name}{}", suffix.replace("NS", namespace)))
        .collect();
    let allowed: Vec<&str> = settings["gateway"]["allowed_hosts"]
        .as_array()
        .expect("[gateway] allowed_hosts (a non-loopback listen needs it)")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for name in &service_names {
        assert!(
            allowed.contains(&name.as_str()),
            "[gateway] allowed_hosts lacks the Service name {name}"
        );
    }

    // Scaling and disruptions act on these pods; the HPA's CPU target needs a request.
    let hpa = one(objects, "HorizontalPodAutoscaler", "ocimcpd");
    assert_eq!(
        hpa["spec"]["scaleTargetRef"],
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": deployment["metadata"]["name"]})
    );
    assert!(hpa["spec"]["minReplicas"].as_u64() >= Some(2));
    assert!(
        container["resources"]["requests"]["cpu"].is_string(),
        "no CPU request: the HPA's utilization target needs one"
    );
    let pdb = one(objects, "PodDisruptionBudget", "ocimcpd");
    assert!(
        selects(&pdb["spec"]["selector"]["matchLabels"], pod_labels),
        "the PodDisruptionBudget does not select the gateway pods"
    );

    // OKE workload identity: the service account's token mounted, the env it expects.
    let account = one(objects, "ServiceAccount", "ocimcpd");
    assert_eq!(pod["serviceAccountName"], account["metadata"]["name"]);
    assert_ne!(pod["automountServiceAccountToken"], false);
    assert_ne!(account["automountServiceAccountToken"], false);
    assert_eq!(settings["oci"]["auth"], "oke_workload_identity");
    let env: Vec<(String, String)> = container["env"]
        .as_array()
        .expect("env")
        .iter()
        .map(|e| {
            (
                str_of(e, "/name").to_owned(),
                str_of(e, "/value").to_owned(),
            )
        })
        .collect();
    let var = |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    assert_eq!(var("OCI_RESOURCE_PRINCIPAL_VERSION"), Some("2.2"));
    assert!(
        var("OCI_RESOURCE_PRINCIPAL_REGION").is_some_and(|r| !r.is_empty()),
        "OCI_RESOURCE_PRINCIPAL_REGION is not set"
    );

    // Non-root as the image's user, read-only root, no privileges (the restricted profile).
    let uid = pod["securityContext"]["runAsUser"].as_u64();
    let image_user = containerfile()
        .last()
        .and_then(|s| s.all("USER").last().map(str::to_owned))
        .expect("USER");
    assert_eq!(
        uid.map(|u| u.to_string()).as_deref(),
        image_user.split(':').next(),
        "runAsUser is not the image's user"
    );
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(
        pod["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    let security = &container["securityContext"];
    assert_eq!(security["readOnlyRootFilesystem"], true);
    assert_eq!(security["allowPrivilegeEscalation"], false);
    assert_eq!(security["capabilities"]["drop"], json!(["ALL"]));

    // The daemon's writable dirs are on emptyDirs. The runtime dir is made by the daemon
    // inside one: an emptyDir is world-writable, which the daemon refuses for its sockets.
    let empty_dirs: Vec<String> = mounts
        .iter()
        .filter(|m| volumes[str_of(m, "/name")].get("emptyDir").is_some())
        .map(|m| str_of(m, "/mountPath").to_owned())
        .collect();
    let runtime_dir = str_of(&settings, "/daemon/runtime_dir");
    assert!(
        empty_dirs
            .iter()
            .any(|d| within(runtime_dir, d) && runtime_dir != d),
        "[daemon] runtime_dir {runtime_dir} is not inside an emptyDir ({empty_dirs:?})"
    );
    let state_dir = str_of(&settings, "/daemon/state_dir");
    assert!(
        empty_dirs.iter().any(|d| within(state_dir, d)),
        "[daemon] state_dir {state_dir} is not on an emptyDir ({empty_dirs:?})"
    );
    assert!(
        empty_dirs.iter().any(|d| d == "/tmp"),
        "no writable /tmp (Python backends need one)"
    );

    // Stopping: the pod waits longer than the drain.
    let grace = str_of(&settings, "/daemon/shutdown_grace");
    let grace: u64 = grace
        .strip_suffix('s')
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("shutdown_grace {grace} is not whole seconds"));
    assert!(
        pod["terminationGracePeriodSeconds"].as_u64() > Some(grace + 5),
        "terminationGracePeriodSeconds is not above shutdown_grace + a backend's stop grace"
    );

    Gateway {
        config,
        backends,
        settings,
        env,
        probes: (probes[0].clone(), probes[1].clone()),
        service_names,
        empty_dirs,
    }
}

#[test]
fn k8s_manifests_fit_together_and_the_daemon_config() {
    let Some((kustomization, objects)) = kustomize() else {
        return;
    };
    check_manifests(&kustomization, &objects);
}

/// Replaces the one line `key = "old"` with `key = "new"`.
fn set(config: &str, key: &str, old: &str, new: &str) -> String {
    let line = format!("{key} = \"{old}\"");
    assert_eq!(
        config.matches(&line).count(),
        1,
        "the config has not exactly one `{line}`"
    );
    config.replace(&line, &format!("{key} = \"{new}\""))
}

/// The ConfigMap's config, run for real: emptyDirs are world-writable temp folders, the
/// listen address is loopback (port 0), the env is the container's. The probes' paths
/// answer 200, the Service's names are served without a session, other hosts refused.
#[tokio::test(flavor = "multi_thread")]
async fn k8s_config_serves_probes_and_service_names_statelessly() {
    let Some((kustomization, objects)) = kustomize() else {
        return;
    };
    let gateway = check_manifests(&kustomization, &objects);
    let volumes = tempfile::tempdir().expect("temp dir");
    let on_volume = |dir: &str| -> PathBuf {
        let mount = gateway
            .empty_dirs
            .iter()
            .filter(|d| within(dir, d))
            .max_by_key(|d| d.len())
            .expect("an emptyDir");
        let volume = volumes.path().join(mount.trim_start_matches('/'));
        std::fs::create_dir_all(&volume).expect("volume");
        std::fs::set_permissions(&volume, std::fs::Permissions::from_mode(0o777))
            .expect("chmod 777, as an emptyDir");
        volume.join(Path::new(dir).strip_prefix(mount).expect("inside"))
    };
    let mut config = gateway.config.clone();
    for key in ["runtime_dir", "state_dir"] {
        let dir = str_of(&gateway.settings, &format!("/daemon/{key}"));
        config = set(&config, key, dir, &on_volume(dir).display().to_string());
    }
    let listen = str_of(&gateway.settings, "/gateway/listen");
    config = set(&config, "listen", listen, "127.0.0.1:0");
    let backends: Vec<(&str, &str)> = gateway
        .backends
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let env: Vec<(&str, &str)> = gateway
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let daemon = Daemon::start_with(&config, &backends, &env);

    let http = reqwest::Client::new();
    let (liveness, readiness) = &gateway.probes;
    let live = http.get(daemon.http_url(liveness)).send().await.unwrap();
    assert_eq!(live.status(), 200, "{liveness}");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let ready = http.get(daemon.http_url(readiness)).send().await.unwrap();
        if ready.status() == 200 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{readiness} still answers {} after 60 s: {}",
            ready.status(),
            ready.text().await.unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "manifests", "version": "1"}}});
    let post = |host: String| {
        http.post(daemon.url())
            .header("host", host)
            .header("accept", "application/json, text/event-stream")
            .json(&initialize)
            .send()
    };
    for name in &gateway.service_names {
        // As reached through the Service (port 80) and by its bare name.
        for host in [name.clone(), format!("{name}:80")] {
            let response = post(host.clone()).await.unwrap();
            assert_eq!(response.status(), 200, "Host: {host}");
            assert!(
                response.headers().get("mcp-session-id").is_none(),
                "a stateless gateway issued a session to Host: {host}"
            );
            let body: Value = response.json().await.expect("a JSON answer (stateless)");
            assert_eq!(body["id"], 1, "{body}");
            assert!(body["result"]["serverInfo"].is_object(), "{body}");
        }
    }
    let foreign = post("gateway.attacker.example".to_owned()).await.unwrap();
    assert_eq!(foreign.status(), 403, "a foreign Host header was served");

    // The runtime dir was made private inside the world-writable volume.
    let runtime = on_volume(str_of(&gateway.settings, "/daemon/runtime_dir"));
    let mode = std::fs::metadata(&runtime)
        .expect("runtime dir")
        .permissions()
        .mode();
    assert_eq!(mode & 0o007, 0, "{} is open to others", runtime.display());
    assert!(runtime.join("admin.sock").exists() && runtime.join("mcp.sock").exists());
}

/// Both configs shipped for containers pass the daemon's own check, with the backends.d
/// they are deployed with (empty in the image, the examples on Kubernetes); needs no
/// kubectl.
#[test]
fn container_and_k8s_configs_pass_check_config() {
    let image = std::fs::read_to_string(root().join("packaging/container/ocimcpd.toml"))
        .expect("read the image's config");
    check_config(&image, &[]);
    let k8s = root().join(K8S).join("config");
    let config = std::fs::read_to_string(k8s.join("ocimcpd.toml")).expect("read");
    let backends: Vec<(String, String)> = std::fs::read_dir(k8s.join("backends.d"))
        .expect("config/backends.d")
        .map(|e| {
            let e = e.expect("entry");
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(e.path()).expect("read"),
            )
        })
        .collect();
    assert!(!backends.is_empty());
    let report = check_config(&config, &backends);
    assert!(
        report.contains(&format!("{} backend(s)", backends.len() + 1)),
        "{report}"
    );
}
