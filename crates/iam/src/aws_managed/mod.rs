//! The built-in AWS-managed policies (`arn:aws:iam::aws:policy{path}{name}`), registered at
//! start-up. They are attachable in the account and read-only: the store refuses to modify
//! them (UnmodifiableEntity).
//!
//! Documents are AWS's published default versions, kept verbatim in the JSON files beside
//! this module, except `ReadOnlyAccess`: the real document lists thousands of service
//! actions, so ours keeps its intent (every read-style action of every service) with
//! service-wildcard patterns instead of the full list. Ids are AWS's; creation dates are
//! AWS's to the minute.

use chrono::{DateTime, TimeZone, Utc};
use hourglass_store::AwsManagedPolicy;

use crate::Identity;
use crate::error::IamResult;

/// One built-in policy.
#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    pub name: &'static str,
    pub path: &'static str,
    pub policy_id: &'static str,
    pub description: &'static str,
    /// AWS's creation time (UTC): year, month, day, hour, minute, second.
    pub created: (i32, u32, u32, u32, u32, u32),
    pub document: &'static str,
}

impl Builtin {
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::aws:policy{}{}", self.path, self.name)
    }

    fn create_date(&self) -> DateTime<Utc> {
        let (y, mo, d, h, mi, s) = self.created;
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
            .single()
            .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
    }
}

pub const BUILTIN: &[Builtin] = &[
    Builtin {
        name: "AdministratorAccess",
        path: "/",
        policy_id: "ANPAIWMBCKSKIEE64ZLYK",
        description: "Provides full access to AWS services and resources.",
        created: (2015, 2, 6, 18, 39, 46),
        document: include_str!("AdministratorAccess.json"),
    },
    Builtin {
        name: "PowerUserAccess",
        path: "/",
        policy_id: "ANPAJYRXTHIB4FOVS3ZXS",
        description: "Provides full access to AWS services and resources, but does not allow management of Users and groups.",
        created: (2015, 2, 6, 18, 39, 47),
        document: include_str!("PowerUserAccess.json"),
    },
    Builtin {
        name: "ReadOnlyAccess",
        path: "/",
        policy_id: "ANPAILL3HVNFSB6DCOWYQ",
        description: "Provides read-only access to AWS services and resources.",
        created: (2015, 2, 6, 18, 39, 48),
        document: include_str!("ReadOnlyAccess.json"),
    },
    Builtin {
        name: "IAMFullAccess",
        path: "/",
        policy_id: "ANPAI7XKCFMBPM3QQRRVQ",
        description: "Provides full access to IAM via the AWS Management Console.",
        created: (2015, 2, 6, 18, 40, 38),
        document: include_str!("IAMFullAccess.json"),
    },
    Builtin {
        name: "IAMReadOnlyAccess",
        path: "/",
        policy_id: "ANPAJKSO7NDY4T57MWDSQ",
        description: "Provides read only access to IAM via the AWS Management Console.",
        created: (2015, 2, 6, 18, 40, 39),
        document: include_str!("IAMReadOnlyAccess.json"),
    },
    Builtin {
        name: "IAMUserChangePassword",
        path: "/",
        policy_id: "ANPAJ4L4MM2A7QIEB56MS",
        description: "Provides the ability for an IAM user to change their own password.",
        created: (2016, 11, 15, 0, 25, 16),
        document: include_str!("IAMUserChangePassword.json"),
    },
    Builtin {
        name: "AmazonS3FullAccess",
        path: "/",
        policy_id: "ANPAIFIR6V6BVTRAHWINE",
        description: "Provides full access to all buckets via the AWS Management Console.",
        created: (2015, 2, 6, 18, 40, 58),
        document: include_str!("AmazonS3FullAccess.json"),
    },
    Builtin {
        name: "AmazonS3ReadOnlyAccess",
        path: "/",
        policy_id: "ANPAIZTJ4DXE7G6AGAE6M",
        description: "Provides read only access to all buckets via the AWS Management Console.",
        created: (2015, 2, 6, 18, 40, 59),
        document: include_str!("AmazonS3ReadOnlyAccess.json"),
    },
    Builtin {
        name: "AWSLambdaBasicExecutionRole",
        path: "/service-role/",
        policy_id: "ANPAJNCQGXC42545SKXIK",
        description: "Provides write permissions to CloudWatch Logs.",
        created: (2015, 4, 9, 15, 3, 43),
        document: include_str!("AWSLambdaBasicExecutionRole.json"),
    },
];

impl Identity {
    /// Registers (or refreshes) the built-in AWS-managed policies. Idempotent; call once at
    /// start-up after the store is open.
    pub async fn register_aws_managed_policies(&self) -> IamResult<()> {
        for b in BUILTIN {
            self.store
                .upsert_aws_managed_policy(AwsManagedPolicy {
                    policy_id: b.policy_id.to_owned(),
                    name: b.name.to_owned(),
                    path: b.path.to_owned(),
                    arn: b.arn(),
                    description: Some(b.description.to_owned()),
                    document: b.document.to_owned(),
                    create_date: b.create_date(),
                })
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use hourglass_policy::{PolicyKind, parse};

    use super::*;

    #[test]
    fn builtin_documents_are_valid_managed_policies() {
        for b in BUILTIN {
            // AWS-managed documents are not bound by the customer 6,144-character quota,
            // but they must parse as managed policies and compile for the authorizer.
            assert!(
                parse(b.document, PolicyKind::Managed).is_ok(),
                "{}: {:?}",
                b.name,
                parse(b.document, PolicyKind::Managed).err()
            );
            assert!(
                parse(b.document, PolicyKind::Identity).is_ok(),
                "{}",
                b.name
            );
            assert_eq!(b.policy_id.len(), 21, "{}", b.name);
            assert!(b.policy_id.starts_with("ANPA"), "{}", b.name);
            assert!(b.path.starts_with('/') && b.path.ends_with('/'));
            assert!(b.create_date() > DateTime::<Utc>::UNIX_EPOCH);
        }
        let mut names: Vec<&str> = BUILTIN.iter().map(|b| b.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), BUILTIN.len());
    }
}
