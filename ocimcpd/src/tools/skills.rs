//! Skills tools (being written).

use super::toolbox::ToolDef;

pub fn tools() -> Vec<ToolDef> {
    Vec::new()
}
