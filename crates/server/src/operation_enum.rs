//! What every operation table derives alike, whatever its protocol: the operation enum,
//! its list, each operation's name (both ways) and the IAM action it is authorized as. The Query
//! ([`crate::api::operations`]) and JSON ([`crate::json::operations`]) table macros add
//! their parsing and dispatch.

/// Declares an operation enum with `ALL`, `from_name`, `name` and `iam_action`
/// (`$prefix:Op`).
macro_rules! operation_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $Enum:ident, $prefix:literal { $($Op:ident),+ }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $Enum {
            $($Op,)+
        }

        impl $Enum {
            /// Every operation, in table order.
            pub const ALL: &'static [Self] = &[$(Self::$Op,)+];

            /// The operation a name names, matched exactly (case-sensitive, as AWS does).
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $(stringify!($Op) => Some(Self::$Op),)+
                    _ => None,
                }
            }

            /// The operation's name: the Query `Action` (also the response element
            /// prefix), or the JSON `X-Amz-Target` suffix.
            pub fn name(self) -> &'static str {
                match self {
                    $(Self::$Op => stringify!($Op),)+
                }
            }

            /// The action name policies grant (`iam:CreateUser`, `sts:AssumeRole`).
            pub fn iam_action(self) -> &'static str {
                match self {
                    $(Self::$Op => concat!($prefix, ":", stringify!($Op)),)+
                }
            }
        }
    };
}

pub(crate) use operation_enum;
