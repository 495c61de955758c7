//! Skills tools (tests being written).
