//! Wildcard matching: `*` is any run of characters (including none), `?` exactly one.
//!
//! Patterns are token lists (see [`crate::variables`]), so literal text that came from
//! an escape or a variable can never act as a wildcard. Matching is iterative with a
//! single backtrack point, O(pattern × text) in the worst case, and allocation-free for
//! patterns of up to 8 tokens.

use smallvec::SmallVec;

use crate::variables::{Token, VarSource};

/// A resolved piece of a pattern.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Piece<'a> {
    Lit(&'a str),
    Star,
    One,
}

/// Common shapes get a direct comparison instead of the general matcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// `*`
    Any,
    /// One literal, no wildcard or variable.
    Exact,
    /// A literal followed by `*`.
    Prefix,
    General,
}

/// A compiled wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    tokens: Box<[Token]>,
    shape: Shape,
}

impl Pattern {
    pub(crate) fn new(tokens: Vec<Token>) -> Pattern {
        let shape = match tokens.as_slice() {
            [Token::Star] => Shape::Any,
            [] | [Token::Lit(_)] => Shape::Exact,
            [Token::Lit(_), Token::Star] => Shape::Prefix,
            _ => Shape::General,
        };
        Pattern {
            tokens: tokens.into_boxed_slice(),
            shape,
        }
    }

    /// The literal text before the first wildcard or variable.
    pub(crate) fn literal_prefix(&self) -> &str {
        match self.tokens.first() {
            Some(Token::Lit(l)) => l,
            _ => "",
        }
    }

    /// Whether the pattern holds a policy variable.
    pub(crate) fn has_variables(&self) -> bool {
        self.tokens.iter().any(|t| matches!(t, Token::Var(_)))
    }

    /// Whether a variable of the pattern has neither a value in `vars` nor a default.
    pub(crate) fn has_unresolved(&self, vars: &impl VarSource) -> bool {
        self.tokens
            .iter()
            .any(|t| matches!(t, Token::Var(v) if v.resolve(vars).is_none()))
    }

    /// Whether `text` matches. `fold` compares case-insensitively. A variable that does
    /// not resolve makes the pattern match nothing.
    pub(crate) fn matches(&self, text: &str, fold: bool, vars: &impl VarSource) -> bool {
        match (self.shape, self.tokens.first()) {
            (Shape::Any, _) => true,
            (Shape::Exact, Some(Token::Lit(l))) => {
                strip_prefix(text, l, fold).is_some_and(|n| n == text.len())
            }
            (Shape::Exact, _) => text.is_empty(),
            (Shape::Prefix, Some(Token::Lit(l))) => strip_prefix(text, l, fold).is_some(),
            _ => match self.pieces(vars) {
                Some(pieces) => glob_match(&pieces, text, fold),
                None => false,
            },
        }
    }

    /// Whether `text` equals the pattern read as literal text (wildcard tokens, if any,
    /// stand for their characters). Used by the Equals operators.
    pub(crate) fn equals(&self, text: &str, fold: bool, vars: &impl VarSource) -> bool {
        let Some(pieces) = self.pieces(vars) else {
            return false;
        };
        let mut rest = text;
        for piece in &pieces {
            let lit = match piece {
                Piece::Lit(l) => l,
                Piece::Star => "*",
                Piece::One => "?",
            };
            match strip_prefix(rest, lit, fold) {
                Some(n) => rest = &rest[n..],
                None => return false,
            }
        }
        rest.is_empty()
    }

    fn pieces<'a>(&'a self, vars: &'a impl VarSource) -> Option<SmallVec<[Piece<'a>; 8]>> {
        self.tokens
            .iter()
            .map(|t| match t {
                Token::Lit(l) => Some(Piece::Lit(l)),
                Token::Star => Some(Piece::Star),
                Token::One => Some(Piece::One),
                Token::Var(v) => v.resolve(vars).map(Piece::Lit),
            })
            .collect()
    }
}

/// The byte length of `lit`'s match at the start of `text`, if it matches there.
pub(crate) fn strip_prefix(text: &str, lit: &str, fold: bool) -> Option<usize> {
    if !fold {
        return text.starts_with(lit).then_some(lit.len());
    }
    if lit.is_ascii() {
        let head = text.as_bytes().get(..lit.len())?;
        return head
            .eq_ignore_ascii_case(lit.as_bytes())
            .then_some(lit.len());
    }
    let mut consumed = 0;
    let mut text_chars = text.chars();
    for l in lit.chars() {
        let t = text_chars.next()?;
        if !chars_eq_fold(l, t) {
            return None;
        }
        consumed += t.len_utf8();
    }
    Some(consumed)
}

fn chars_eq_fold(a: char, b: char) -> bool {
    a == b || a.to_lowercase().eq(b.to_lowercase())
}

/// Case-insensitive string equality (ASCII fast path, simple Unicode folding).
pub(crate) fn eq_fold(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    let mut x = a.chars();
    let mut y = b.chars();
    loop {
        match (x.next(), y.next()) {
            (None, None) => return true,
            (Some(c), Some(d)) if chars_eq_fold(c, d) => {}
            _ => return false,
        }
    }
}

fn char_len_at(text: &str, at: usize) -> usize {
    text[at..].chars().next().map_or(1, char::len_utf8)
}

/// The matcher: greedy, remembering only the most recent `*` to backtrack to, which is
/// complete for `*`/`?` globs.
pub(crate) fn glob_match(pieces: &[Piece<'_>], text: &str, fold: bool) -> bool {
    let mut p = 0;
    let mut t = 0;
    let mut backtrack: Option<(usize, usize)> = None;
    loop {
        if let Some(piece) = pieces.get(p) {
            match *piece {
                Piece::Star => {
                    backtrack = Some((p + 1, t));
                    p += 1;
                    continue;
                }
                Piece::One if t < text.len() => {
                    t += char_len_at(text, t);
                    p += 1;
                    continue;
                }
                Piece::Lit(l) => {
                    if let Some(n) = strip_prefix(&text[t..], l, fold) {
                        t += n;
                        p += 1;
                        continue;
                    }
                }
                Piece::One => {}
            }
        } else if t == text.len() {
            return true;
        }
        match backtrack {
            Some((after_star, start)) if start < text.len() => {
                let next = start + char_len_at(text, start);
                backtrack = Some((after_star, next));
                p = after_star;
                t = next;
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::variables::{NoVars, Syntax, parse_template};

    fn pat(s: &str) -> Pattern {
        Pattern::new(parse_template(
            s,
            Syntax {
                wildcards: true,
                variables: true,
            },
        ))
    }

    #[test]
    fn wildcards() {
        let m = |p: &str, t: &str| pat(p).matches(t, false, &NoVars);
        assert!(m("*", ""));
        assert!(m("a*", "a"));
        assert!(m("b/*/test/*", "b/1/2/test/x.jpg"));
        assert!(m("b/*/test/*", "b//test/"));
        assert!(!m("b/*/test/*", "b/test/x.jpg"));
        assert!(m("a?c", "abc"));
        assert!(m("a?c", "aéc"));
        assert!(!m("a?c", "ac"));
        assert!(m("*a*b*", "xxaxxbxx"));
        assert!(!m("*a*b", "xxaxxbxxc"));
        assert!(!m("abc", "ABC"));
        assert!(pat("s3:get*").matches("s3:GetObject", true, &NoVars));
        assert!(pat("iam:*accesskey*").matches("iam:ListAccessKeys", true, &NoVars));
        assert!(!pat("").matches("x", false, &NoVars));
        assert!(pat("").matches("", false, &NoVars));
    }

    #[test]
    fn equals_reads_wildcards_literally() {
        assert!(pat("a*").equals("a*", false, &NoVars));
        assert!(!pat("a*").equals("ab", false, &NoVars));
        assert!(pat("ÄBC").equals("äbc", true, &NoVars));
        assert!(eq_fold("Straße", "STRAßE"));
    }
}
