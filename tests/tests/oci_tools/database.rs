//! Database tools (tests being written).
