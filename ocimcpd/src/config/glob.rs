//! Glob patterns for tool filters: `*` matches any run of characters, `?` one character.

use std::fmt;

/// A validated glob pattern, e.g. `oci_*_list_*`.
#[derive(Clone, PartialEq, Eq)]
pub struct Glob(String);

impl Glob {
    pub fn new(pattern: &str) -> Result<Self, String> {
        if pattern.is_empty() {
            return Err("a glob pattern cannot be empty".into());
        }
        Ok(Self(pattern.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when `text` matches the whole pattern.
    pub fn matches(&self, text: &str) -> bool {
        let pattern: Vec<char> = self.0.chars().collect();
        let text: Vec<char> = text.chars().collect();
        // Iterative matcher with single-star backtracking: linear in practice.
        let (mut p, mut t) = (0, 0);
        let mut star: Option<(usize, usize)> = None;
        while t < text.len() {
            if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
                p += 1;
                t += 1;
            } else if p < pattern.len() && pattern[p] == '*' {
                star = Some((p, t));
                p += 1;
            } else if let Some((star_p, star_t)) = star {
                p = star_p + 1;
                t = star_t + 1;
                star = Some((star_p, star_t + 1));
            } else {
                return false;
            }
        }
        pattern[p..].iter().all(|&c| c == '*')
    }
}

impl fmt::Debug for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Glob({:?})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(p: &str) -> Glob {
        Glob::new(p).unwrap()
    }

    #[test]
    fn literal_and_wildcards() {
        assert!(glob("echo").matches("echo"));
        assert!(!glob("echo").matches("echo2"));
        assert!(glob("*").matches(""));
        assert!(glob("list_*").matches("list_instances"));
        assert!(!glob("list_*").matches("get_instance"));
        assert!(glob("*_delete_*").matches("oci_delete_bucket"));
        assert!(glob("a?c").matches("abc"));
        assert!(!glob("a?c").matches("ac"));
        assert!(glob("*a*b*c").matches("xxaxxbxxc"));
        assert!(!glob("*a*b*c").matches("xxaxxcxxb"));
    }
}
