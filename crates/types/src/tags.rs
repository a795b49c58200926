//! ARM's tag rules, checked by the server before any write and by the dialogs as people type
//! (Azure Resource Manager docs, "Use tags to organize your Azure resources").

use std::fmt;

/// Most tags one resource may carry.
pub const MAX_TAGS: usize = 50;
/// Longest tag name, in characters.
pub const MAX_TAG_NAME: usize = 512;
/// Longest tag value, in characters.
pub const MAX_TAG_VALUE: usize = 256;
/// Characters ARM refuses in tag names.
pub const FORBIDDEN_IN_TAG_NAME: &[char] = &['<', '>', '%', '&', '\\', '?', '/'];

/// Which tag rule was broken; `Display` is a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagError {
    /// More than [`MAX_TAGS`] tags.
    TooMany(usize),
    /// A tag without a name.
    EmptyName,
    /// A name longer than [`MAX_TAG_NAME`] (its first 40 characters).
    NameTooLong(String),
    /// A name with a character of [`FORBIDDEN_IN_TAG_NAME`].
    Forbidden(String, char),
    /// A value longer than [`MAX_TAG_VALUE`] (the tag's name).
    ValueTooLong(String),
}

impl fmt::Display for TagError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooMany(n) => write!(f, "{n} tags given; Azure allows at most {MAX_TAGS} per resource"),
            Self::EmptyName => write!(f, "a tag needs a name"),
            Self::NameTooLong(start) => write!(f, "tag name \"{start}…\" is longer than {MAX_TAG_NAME} characters"),
            Self::Forbidden(name, c) => {
                write!(f, "tag name \"{name}\" contains '{c}', which Azure does not allow (< > % & \\ ? /)")
            }
            Self::ValueTooLong(name) => {
                write!(f, "the value of tag \"{name}\" is longer than {MAX_TAG_VALUE} characters")
            }
        }
    }
}

impl std::error::Error for TagError {}

/// One tag against ARM's rules.
pub fn check_tag(name: &str, value: &str) -> Result<(), TagError> {
    if name.is_empty() {
        return Err(TagError::EmptyName);
    }
    if name.chars().count() > MAX_TAG_NAME {
        return Err(TagError::NameTooLong(name.chars().take(40).collect()));
    }
    if let Some(c) = name.chars().find(|c| FORBIDDEN_IN_TAG_NAME.contains(c)) {
        return Err(TagError::Forbidden(name.to_owned(), c));
    }
    if value.chars().count() > MAX_TAG_VALUE {
        return Err(TagError::ValueTooLong(name.to_owned()));
    }
    Ok(())
}

/// A resource's tags against ARM's rules: their number, then each tag.
pub fn check_tags<'a>(tags: impl ExactSizeIterator<Item = (&'a String, &'a String)>) -> Result<(), TagError> {
    if tags.len() > MAX_TAGS {
        return Err(TagError::TooMany(tags.len()));
    }
    for (name, value) in tags {
        check_tag(name, value)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn each_rule_is_named() {
        assert_eq!(check_tag("team", "web"), Ok(()));
        assert_eq!(check_tag("", "x"), Err(TagError::EmptyName));
        assert!(matches!(check_tag(&"n".repeat(513), ""), Err(TagError::NameTooLong(s)) if s.len() == 40));
        assert_eq!(check_tag(&"n".repeat(512), &"v".repeat(256)), Ok(()), "the limits themselves are allowed");
        assert_eq!(check_tag("a/b", ""), Err(TagError::Forbidden("a/b".into(), '/')));
        assert!(check_tag("k", &"v".repeat(257)).unwrap_err().to_string().contains("256"));
        let many: BTreeMap<String, String> = (0..51).map(|i| (format!("k{i}"), String::new())).collect();
        assert_eq!(check_tags(many.iter()), Err(TagError::TooMany(51)));
        assert_eq!(check_tags(many.iter().take(50)), Ok(()));
    }
}
