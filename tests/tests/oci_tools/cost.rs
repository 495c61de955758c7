//! Cost tools (tests being written).
