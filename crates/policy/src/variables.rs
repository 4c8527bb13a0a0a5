//! Policy variables: `${aws:username}`, `${aws:PrincipalTag/team, 'default'}`, and the
//! escapes `${*}`, `${?}`, `${$}`.
//!
//! Strings are compiled into tokens while substituting, never substituted as text and
//! then globbed: an escape or a substituted value is always literal, so a user named
//! `a*` cannot turn `home/${aws:username}/*` into a wider pattern.

/// A variable reference in a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Variable {
    /// The context key, as written (looked up case-insensitively).
    pub(crate) key: Box<str>,
    /// The value used when the key is absent.
    pub(crate) default: Option<Box<str>>,
}

/// A compiled template token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token {
    Lit(Box<str>),
    /// `*`: any run of characters.
    Star,
    /// `?`: exactly one character.
    One,
    Var(Variable),
}

/// Where variables get their values: single-valued request context keys.
pub(crate) trait VarSource {
    fn variable(&self, key: &str) -> Option<&str>;
}

/// No variables resolve (used where the caller has no context, e.g. tests).
pub(crate) struct NoVars;

impl VarSource for NoVars {
    fn variable(&self, _key: &str) -> Option<&str> {
        None
    }
}

/// How a template string is read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Syntax {
    /// `*` and `?` are wildcards (Like operators, Resource, Action).
    pub(crate) wildcards: bool,
    /// `${…}` is a variable (policy version 2012-10-17, and only where AWS allows it).
    pub(crate) variables: bool,
}

pub(crate) fn parse_template(text: &str, syntax: Syntax) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut lit = String::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if syntax.variables
            && rest.starts_with("${")
            && let Some(end) = rest.find('}')
        {
            let inner = &rest[2..end];
            match inner {
                "*" | "?" | "$" => lit.push_str(inner),
                _ => {
                    flush(&mut tokens, &mut lit);
                    tokens.push(Token::Var(parse_variable(inner)));
                }
            }
            rest = &rest[end + 1..];
            continue;
        }
        match c {
            '*' if syntax.wildcards => {
                flush(&mut tokens, &mut lit);
                // Consecutive stars match the same strings as one.
                if tokens.last() != Some(&Token::Star) {
                    tokens.push(Token::Star);
                }
            }
            '?' if syntax.wildcards => {
                flush(&mut tokens, &mut lit);
                tokens.push(Token::One);
            }
            _ => lit.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    flush(&mut tokens, &mut lit);
    tokens
}

fn flush(tokens: &mut Vec<Token>, lit: &mut String) {
    if !lit.is_empty() {
        tokens.push(Token::Lit(std::mem::take(lit).into_boxed_str()));
    }
}

/// `key` or `key, 'default'`. A malformed default makes a key no context can hold, so
/// the element does not match rather than matching something unintended.
fn parse_variable(inner: &str) -> Variable {
    match inner.split_once(',') {
        None => Variable {
            key: inner.trim().into(),
            default: None,
        },
        Some((key, default)) => {
            let default = default.trim();
            match default
                .strip_prefix('\'')
                .and_then(|d| d.strip_suffix('\''))
            {
                Some(d) => Variable {
                    key: key.trim().into(),
                    default: Some(d.into()),
                },
                None => Variable {
                    key: inner.into(),
                    default: None,
                },
            }
        }
    }
}

impl Variable {
    pub(crate) fn resolve<'a>(&'a self, vars: &'a impl VarSource) -> Option<&'a str> {
        vars.variable(&self.key).or(self.default.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: Syntax = Syntax {
        wildcards: true,
        variables: true,
    };

    fn lit(s: &str) -> Token {
        Token::Lit(s.into())
    }

    #[test]
    fn escapes_are_literal() {
        assert_eq!(
            parse_template("a${*}b${?}${$}*", FULL),
            vec![lit("a*b?$"), Token::Star]
        );
    }

    #[test]
    fn variables_and_defaults() {
        let t = parse_template("home/${aws:username}/${aws:PrincipalTag/team, 'all'}", FULL);
        assert_eq!(t.len(), 4);
        assert_eq!(
            t[3],
            Token::Var(Variable {
                key: "aws:PrincipalTag/team".into(),
                default: Some("all".into())
            })
        );
    }

    #[test]
    fn version_2008_keeps_dollar_text() {
        let t = parse_template(
            "${aws:username}*",
            Syntax {
                wildcards: true,
                variables: false,
            },
        );
        assert_eq!(t, vec![lit("${aws:username}"), Token::Star]);
        assert_eq!(parse_template("a${b", FULL), vec![lit("a${b")]);
        assert_eq!(parse_template("**", FULL), vec![Token::Star]);
    }
}
