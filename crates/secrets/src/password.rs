//! GetRandomPassword (spec §4.3), from a CSPRNG.

use rand::Rng;
use zeroize::Zeroizing;

use crate::error::{SmError, SmResult};

pub const PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

#[derive(Debug, Clone)]
pub struct PasswordSpec {
    pub length: i64,
    pub exclude_characters: String,
    pub exclude_numbers: bool,
    pub exclude_punctuation: bool,
    pub exclude_uppercase: bool,
    pub exclude_lowercase: bool,
    pub include_space: bool,
    pub require_each_included_type: bool,
}

impl Default for PasswordSpec {
    fn default() -> Self {
        PasswordSpec {
            length: 32,
            exclude_characters: String::new(),
            exclude_numbers: false,
            exclude_punctuation: false,
            exclude_uppercase: false,
            exclude_lowercase: false,
            include_space: false,
            require_each_included_type: true,
        }
    }
}

pub fn generate(spec: &PasswordSpec) -> SmResult<Zeroizing<String>> {
    if !(1..=4096).contains(&spec.length) {
        return Err(SmError::validation(
            "1 validation error detected: Value at 'passwordLength' failed to satisfy \
             constraint: Member must have value between 1 and 4096",
        ));
    }
    let keep = |c: &char| !spec.exclude_characters.contains(*c);
    let mut classes: Vec<Vec<char>> = Vec::new();
    if !spec.exclude_lowercase {
        classes.push(('a'..='z').filter(keep).collect());
    }
    if !spec.exclude_uppercase {
        classes.push(('A'..='Z').filter(keep).collect());
    }
    if !spec.exclude_numbers {
        classes.push(('0'..='9').filter(keep).collect());
    }
    if !spec.exclude_punctuation {
        classes.push(PUNCTUATION.chars().filter(keep).collect());
    }
    if spec.include_space {
        classes.push(vec![' '].into_iter().filter(keep).collect());
    }
    classes.retain(|c| !c.is_empty());
    if classes.is_empty() {
        return Err(SmError::invalid_parameter(
            "The password has no characters left to choose from.",
        ));
    }
    let len = usize::try_from(spec.length).unwrap_or(0);
    if spec.require_each_included_type && len < classes.len() {
        return Err(SmError::invalid_parameter(
            "Password length is too short based on the required types.",
        ));
    }
    let all: Vec<char> = classes.iter().flatten().copied().collect();
    // ThreadRng: ChaCha12 seeded from the OS, a CSPRNG.
    let mut rng = rand::rng();
    let mut out: Vec<char> = Vec::with_capacity(len);
    if spec.require_each_included_type {
        for c in &classes {
            out.push(c[rng.random_range(0..c.len())]);
        }
    }
    while out.len() < len {
        out.push(all[rng.random_range(0..all.len())]);
    }
    // Shuffle so the required characters are not always first.
    for i in (1..out.len()).rev() {
        let j = rng.random_range(0..=i);
        out.swap(i, j);
    }
    let s: String = out.iter().collect();
    out.iter_mut().for_each(|c| *c = '\0');
    Ok(Zeroizing::new(s))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn respects_classes_and_length() {
        let p = generate(&PasswordSpec::default()).unwrap();
        assert_eq!(p.chars().count(), 32);
        for _ in 0..50 {
            let p = generate(&PasswordSpec {
                length: 4,
                ..Default::default()
            })
            .unwrap();
            assert!(p.chars().any(|c| c.is_ascii_lowercase()));
            assert!(p.chars().any(|c| c.is_ascii_uppercase()));
            assert!(p.chars().any(|c| c.is_ascii_digit()));
            assert!(p.chars().any(|c| PUNCTUATION.contains(c)));
        }
        let p = generate(&PasswordSpec {
            length: 64,
            exclude_punctuation: true,
            exclude_characters: "abc".into(),
            ..Default::default()
        })
        .unwrap();
        assert!(
            p.chars()
                .all(|c| c.is_ascii_alphanumeric() && !"abc".contains(c))
        );
        assert!(
            generate(&PasswordSpec {
                length: 3,
                ..Default::default()
            })
            .is_err()
        );
        assert!(
            generate(&PasswordSpec {
                length: 0,
                ..Default::default()
            })
            .is_err()
        );
    }
}
