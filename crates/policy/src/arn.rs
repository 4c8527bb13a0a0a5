//! ARN patterns: six parts matched one by one.
//!
//! `arn:partition:service:region:account:resource` is split on its first five colons.
//! Parts one to five are globbed on their own, so a `*` there never crosses a colon;
//! the sixth part (which may contain `:` and `/`) is globbed as a whole.

use crate::glob::Pattern;
use crate::variables::{Token, VarSource};

/// Splits an ARN into its six parts; `None` if it has fewer than five colons.
pub(crate) fn split_arn(arn: &str) -> Option<[&str; 6]> {
    let mut it = arn.splitn(6, ':');
    Some([
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
    ])
}

/// A compiled ARN pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ArnPattern {
    /// Exactly six parts, or `None` when the pattern has fewer than six parts and so
    /// can match no ARN.
    parts: Option<Box<[Pattern; 6]>>,
}

impl ArnPattern {
    /// Builds the pattern from template tokens, splitting at the colons of literal text
    /// only (a colon inside `${aws:username}` is not a separator).
    pub(crate) fn new(tokens: Vec<Token>) -> ArnPattern {
        let mut parts: Vec<Vec<Token>> = vec![Vec::new()];
        for token in tokens {
            match token {
                Token::Lit(text) if parts.len() < 6 && text.contains(':') => {
                    let mut pieces = text.split(':').peekable();
                    while let Some(piece) = pieces.next() {
                        if !piece.is_empty() {
                            push(&mut parts, Token::Lit(piece.into()));
                        }
                        if pieces.peek().is_some() {
                            if parts.len() < 6 {
                                parts.push(Vec::new());
                            } else {
                                // Colons beyond the fifth belong to the resource part.
                                push(&mut parts, Token::Lit(":".into()));
                            }
                        }
                    }
                }
                other => push(&mut parts, other),
            }
        }
        ArnPattern::from_parts(parts.into_iter().map(Pattern::new).collect())
    }

    /// Builds the pattern from six already-split parts (anything else matches nothing).
    pub(crate) fn from_parts(parts: Vec<Pattern>) -> ArnPattern {
        ArnPattern {
            parts: <Box<[Pattern; 6]>>::try_from(parts.into_boxed_slice()).ok(),
        }
    }

    /// Whether a part of the pattern holds a policy variable.
    pub(crate) fn has_variables(&self) -> bool {
        self.parts
            .as_ref()
            .is_some_and(|parts| parts.iter().any(Pattern::has_variables))
    }

    /// Whether a variable of the pattern has neither a value in `vars` nor a default.
    pub(crate) fn has_unresolved(&self, vars: &impl VarSource) -> bool {
        self.parts
            .as_ref()
            .is_some_and(|parts| parts.iter().any(|p| p.has_unresolved(vars)))
    }

    pub(crate) fn matches(&self, arn: &str, vars: &impl VarSource) -> bool {
        let Some(parts) = &self.parts else {
            return false;
        };
        let Some(text) = split_arn(arn) else {
            return false;
        };
        // The resource part is the most selective, so it is tried first.
        parts[5].matches(text[5], false, vars)
            && parts
                .iter()
                .zip(text)
                .take(5)
                .all(|(p, t)| p.matches(t, false, vars))
    }
}

/// Appends a token to the current part, merging adjacent literals.
fn push(parts: &mut [Vec<Token>], token: Token) {
    let Some(current) = parts.last_mut() else {
        return;
    };
    if let (Some(Token::Lit(prev)), Token::Lit(next)) = (current.last_mut(), &token) {
        let mut merged = String::with_capacity(prev.len() + next.len());
        merged.push_str(prev);
        merged.push_str(next);
        *prev = merged.into_boxed_str();
        return;
    }
    current.push(token);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::variables::{NoVars, Syntax, VarSource, parse_template};

    fn arn(p: &str) -> ArnPattern {
        ArnPattern::new(parse_template(
            p,
            Syntax {
                wildcards: true,
                variables: true,
            },
        ))
    }

    #[test]
    fn segment_wise() {
        let m = |p: &str, t: &str| arn(p).matches(t, &NoVars);
        assert!(m(
            "arn:aws:s3:::b/*/test/*",
            "arn:aws:s3:::b/1/2/test/x.jpg"
        ));
        assert!(!m("arn:aws:s3:::b/*/test/*", "arn:aws:s3:::b/test/x.jpg"));
        assert!(m(
            "arn:aws:iam::*:role/*",
            "arn:aws:iam::123456789012:role/a/b"
        ));
        // A star in the region part does not swallow the account.
        assert!(!m("arn:aws:s3:*:bucket", "arn:aws:s3:::bucket"));
        assert!(m("arn:aws:s3:::*", "arn:aws:s3:::b/k:with:colons"));
        assert!(m("arn:*:*:*:*:*", "arn:aws:sqs:us-east-1:1:q"));
        assert!(!m("arn:aws:s3:::b", "arn:aws:s3:::B"));
        assert!(!m("arn:aws:s3:::b", "*"));
        assert!(m(
            "arn:aws:sqs:us-east-1:1:q:x:y",
            "arn:aws:sqs:us-east-1:1:q:x:y"
        ));
        assert!(!m("arn:aws:s3", "arn:aws:s3:::b"));
    }

    #[test]
    fn variable_colons_are_not_separators() {
        struct User;
        impl VarSource for User {
            fn variable(&self, key: &str) -> Option<&str> {
                (key == "aws:username").then_some("a:b")
            }
        }
        let p = arn("arn:aws:s3:::b/${aws:username}/*");
        assert!(p.matches("arn:aws:s3:::b/a:b/k", &User));
        assert!(!p.matches("arn:aws:s3:::b/a/k", &User));
    }
}
