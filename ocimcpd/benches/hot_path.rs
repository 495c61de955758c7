//! Micro-benchmarks of the call path's hot pieces: a `tools/call` parsed from and its
//! answer written to JSON-RPC, a tool name routed through a catalog of 100 backends × 50
//! tools, taking a catalog snapshot, and rebuilding the catalog when one backend's tools
//! change. `cargo bench -p ocimcpd`. Whole-daemon figures are `bench/run.sh`'s.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use ocimcpd::config::{self, ConfigSource};
use ocimcpd::registry::{BackendEntry, Enabled, Listing, Registry};
use rmcp::model::{
    CallToolResult, ClientJsonRpcMessage, ContentBlock, JsonRpcResponse, JsonRpcVersion2_0,
    NumberOrString, ServerJsonRpcMessage, ServerResult, Tool,
};
use serde_json::json;

const BACKENDS: usize = 100;
const TOOLS: usize = 50;

const TOOLS_CALL: &str = r#"{"jsonrpc":"2.0","id":4711,"method":"tools/call","params":{"name":"m042_tool_17","arguments":{"message":"hello from the benchmark"},"_meta":{"progressToken":4711}}}"#;

fn jsonrpc(c: &mut Criterion) {
    c.bench_function("jsonrpc/parse tools/call", |b| {
        b.iter(|| {
            let message: ClientJsonRpcMessage =
                serde_json::from_str(black_box(TOOLS_CALL)).expect("valid request");
            black_box(message)
        })
    });
    let answer = ServerJsonRpcMessage::Response(JsonRpcResponse {
        jsonrpc: JsonRpcVersion2_0,
        id: NumberOrString::Number(4711),
        result: ServerResult::CallToolResult(CallToolResult::success(vec![ContentBlock::text(
            "hello from the benchmark",
        )])),
    });
    c.bench_function("jsonrpc/serialize tools/call result", |b| {
        b.iter(|| black_box(serde_json::to_vec(black_box(&answer)).expect("serializable")))
    });
}

/// A registry of `BACKENDS` backends listing `TOOLS` tools each.
fn registry() -> Registry {
    let dir = tempfile::tempdir().expect("temp dir");
    let toml: String = (0..BACKENDS)
        .map(|i| format!("[[backends]]\nname = \"m{i:03}\"\ncommand = \"echo-backend\"\n"))
        .collect();
    let settings = config::parse(
        ConfigSource::File("bench.toml".into()),
        Path::new("bench.toml"),
        &toml,
        dir.path(),
    )
    .expect("valid config");
    let registry = Registry::new(vec!["gateway_health", "gateway_list_backends"]);
    for spec in settings.backends {
        let enabled = Enabled::by_spec(&spec);
        let entry = Arc::new(BackendEntry::new(spec, enabled));
        entry.relisted(listing(TOOLS, ""));
        registry.put(entry);
    }
    registry.rebuild();
    registry
}

fn listing(tools: usize, suffix: &str) -> Listing {
    let schema = json!({
        "type": "object",
        "properties": { "message": { "type": "string", "description": "Text to send back" } },
        "required": ["message"],
    });
    let Some(schema) = schema.as_object().cloned() else {
        unreachable!("an object literal")
    };
    let schema = Arc::new(schema);
    Listing {
        tools: (0..tools)
            .map(|i| {
                Tool::new(
                    format!("tool_{i}"),
                    format!("Benchmark tool number {i}{suffix}"),
                    schema.clone(),
                )
            })
            .collect(),
        ..Listing::default()
    }
}

fn catalog(c: &mut Criterion) {
    let registry = registry();
    let catalog = registry.catalog();
    assert_eq!(catalog.tools().len(), BACKENDS * TOOLS);
    c.bench_function("routing/tool name → backend (5000 tools)", |b| {
        b.iter(|| {
            black_box(
                catalog
                    .tool(black_box("m042_tool_17"))
                    .map(|r| r.backend.name()),
            )
        })
    });
    c.bench_function("catalog/snapshot", |b| {
        b.iter(|| black_box(registry.catalog()))
    });
    c.bench_function("catalog/tools/list answer (5000 tools, serialized)", |b| {
        b.iter(|| {
            let tools: Vec<Tool> = registry.catalog().tools().to_vec();
            black_box(serde_json::to_vec(&tools).expect("serializable"))
        })
    });
    let entry = registry.entries()[42].clone();
    let mut flip = false;
    c.bench_function(
        "catalog/rebuild after one backend's tools changed (5000 tools)",
        |b| {
            b.iter(|| {
                flip = !flip;
                entry.relisted(listing(TOOLS, if flip { " (changed)" } else { "" }));
                black_box(registry.rebuild())
            })
        },
    );
}

criterion_group!(benches, jsonrpc, catalog);
criterion_main!(benches);
