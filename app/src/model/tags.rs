//! Tags as people type them: the `az` syntax `key=value key2="a value"`.

use std::collections::BTreeMap;

/// Parses `key=value` pairs separated by spaces; a name or value with spaces goes in double
/// quotes (`"Cost Center"="Web team"`), and `\"` or `\\` inside stand for `"` and `\`.
/// The error names the first bad pair, so the form can say what to fix.
pub fn parse_tags(input: &str) -> Result<BTreeMap<String, String>, String> {
    let mut tags = BTreeMap::new();
    for word in split_words(input)? {
        let Some((key, value)) = word.split_once('=') else {
            return Err(format!("\"{word}\" is not key=value"));
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(format!("\"{word}\" has no tag name before ="));
        }
        // ARM's rules, as the server checks them before any write.
        replimap_types::check_tag(key, value).map_err(|e| e.to_string())?;
        // The browser builds request bodies as JS objects, where this name is the prototype,
        // not a key: the tag would vanish from the request while the az command showed it.
        if key == "__proto__" {
            return Err("the tag name \"__proto__\" cannot be sent from the browser; use az or the API".to_owned());
        }
        if tags.insert(key.to_owned(), value.to_owned()).is_some() {
            return Err(format!("tag \"{key}\" is given twice"));
        }
    }
    replimap_types::check_tags(tags.iter()).map_err(|e| e.to_string())?;
    Ok(tags)
}

/// The form text for existing tags (inverse of `parse_tags`).
pub fn format_tags(tags: &BTreeMap<String, String>) -> String {
    tags.iter().map(|(k, v)| pair(k, v, '"')).collect::<Vec<_>>().join(" ")
}

/// Tags as `az … --tags` arguments for a POSIX shell.
pub fn shell_tags(tags: &BTreeMap<String, String>) -> String {
    tags.iter().map(|(k, v)| pair(k, v, '\'')).collect::<Vec<_>>().join(" ")
}

fn pair(key: &str, value: &str, quote: char) -> String {
    let plain = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:@+,".contains(c));
    let text = format!("{key}={value}");
    if plain(key) && (value.is_empty() || plain(value)) {
        text
    } else if quote == '\'' {
        format!("'{}'", text.replace('\'', r"'\''"))
    } else {
        let q = |s: &str| format!("\"{}\"", s.replace('\\', r"\\").replace('"', r#"\""#));
        format!("{}={}", if plain(key) { key.to_owned() } else { q(key) }, q(value))
    }
}

fn split_words(input: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut any = false;
    let mut chars = input.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' if quoted => match chars.next() {
                Some(next) => word.push(next),
                None => return Err("a backslash ends the text".to_owned()),
            },
            '"' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    words.push(std::mem::take(&mut word));
                    any = false;
                }
            }
            c => {
                word.push(c);
                any = true;
            }
        }
    }
    if quoted {
        return Err("a double quote is not closed".to_owned());
    }
    if any {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_az_style_pairs_and_quoted_values() {
        let tags = parse_tags(r#" team=web  owner="Jane Doe" empty= "#).unwrap();
        assert_eq!(tags.len(), 3);
        assert_eq!(tags["owner"], "Jane Doe");
        assert_eq!(tags["empty"], "");
        assert_eq!(parse_tags(&format_tags(&tags)).unwrap(), tags, "round trip");
        assert_eq!(shell_tags(&tags), "empty= 'owner=Jane Doe' team=web");
        assert!(parse_tags("").unwrap().is_empty());
        let odd = BTreeMap::from([
            ("Cost Center".to_owned(), "4711".to_owned()),
            ("quote".to_owned(), r#"say "hi" \ bye"#.to_owned()),
        ]);
        assert_eq!(parse_tags(&format_tags(&odd)).unwrap(), odd, "names with spaces, quotes and backslashes survive");
    }

    #[test]
    fn bad_pairs_are_named() {
        assert_eq!(parse_tags("team").unwrap_err(), "\"team\" is not key=value");
        assert!(parse_tags("=x").unwrap_err().contains("no tag name"));
        assert!(parse_tags("a/b=1").unwrap_err().contains("'/'"));
        assert!(parse_tags("a=1 a=2").unwrap_err().contains("twice"));
        assert!(parse_tags("a=\"1").unwrap_err().contains("not closed"));
        assert!(parse_tags("__proto__=x").unwrap_err().contains("__proto__"));
        let many: Vec<String> = (0..51).map(|i| format!("k{i}=v")).collect();
        assert!(parse_tags(&many.join(" ")).unwrap_err().contains("at most 50"));
    }
}
