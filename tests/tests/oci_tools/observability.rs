//! Observability tools (tests being written).
