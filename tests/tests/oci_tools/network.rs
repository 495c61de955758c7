//! Network tools (tests being written).
