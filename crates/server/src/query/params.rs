//! Query parameters are decoded by `hourglass-wire`; this maps its refusals onto the Query
//! error table's variants.

use hourglass_wire::query::DecodeError;
pub use hourglass_wire::query::Params;

use super::QueryError;

impl From<DecodeError> for QueryError {
    fn from(e: DecodeError) -> Self {
        match e {
            DecodeError::MalformedBody => Self::MalformedBody,
            DecodeError::TooManyParameters => Self::TooManyParameters,
            DecodeError::MalformedList(m) => Self::MalformedList(m),
            DecodeError::MissingAction => Self::MissingAction,
            DecodeError::MissingVersion => Self::MissingVersion,
            DecodeError::UnknownParameter(p) => Self::UnknownParameter(p),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn decode_errors_keep_their_query_codes() {
        let code = |body: &[u8]| {
            let e = QueryError::from(Params::decode("", body).unwrap_err());
            super::super::errors::from_query(&e).code
        };
        assert_eq!(code(&[0xff]), "MalformedQueryString");
        assert_eq!(code(b"L.member.0=a"), "MalformedQueryString");
        let p = Params::decode("", b"Action=A&Bogus=1").unwrap();
        let e = QueryError::from(p.check_declared(&[]).unwrap_err());
        assert_eq!(
            super::super::errors::from_query(&e).code,
            "UnknownParameter"
        );
        assert_eq!(e.to_string(), "The parameter Bogus is not recognized.");
    }
}
