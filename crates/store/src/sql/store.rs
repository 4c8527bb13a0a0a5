//! [`IamStore`] for [`SqlStore`]: each method is one transaction running the shared logic.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::Result;
use crate::model::*;
use crate::sql::{
    Backend, SqlStore, accounts, attachments, authz, entities, groups, inline, keys, policies,
    roles, tags, tx_fn, users,
};
use crate::traits::IamStore;

/// Runs `$body` (an async expression using the transaction `$tx` and, optionally, the quotas
/// `$q`) as a read or write transaction. The listed arguments are turned into owned values
/// moved into the transaction closure, which may run more than once.
macro_rules! run {
    ($self:ident . $mode:ident, [$($arg:ident),*], |$tx:ident| $body:expr) => {{
        $(let $arg = $arg.to_owned();)*
        $self.backend.$mode(tx_fn(move |$tx| {
            $(let $arg = $arg.clone();)*
            Box::pin(async move { $body.await })
        })).await
    }};
    ($self:ident . $mode:ident, [$($arg:ident),*], |$tx:ident, $q:ident| $body:expr) => {{
        $(let $arg = $arg.to_owned();)*
        let $q = std::sync::Arc::clone(&$self.quotas);
        $self.backend.$mode(tx_fn(move |$tx| {
            $(let $arg = $arg.clone();)*
            let $q = std::sync::Arc::clone(&$q);
            Box::pin(async move { $body.await })
        })).await
    }};
}

#[async_trait]
impl<B: Backend> IamStore for SqlStore<B> {
    async fn ensure_account(
        &self,
        account_id: &str,
        create_date: DateTime<Utc>,
    ) -> Result<Account> {
        run!(
            self.write,
            [account_id, create_date],
            |tx| accounts::ensure(tx, &account_id, create_date)
        )
    }

    async fn get_account(&self, account_id: &str) -> Result<Account> {
        run!(self.read, [account_id], |tx| accounts::get(tx, &account_id))
    }

    async fn account_summary(&self, account_id: &str) -> Result<AccountSummary> {
        run!(self.read, [account_id], |tx| accounts::summary(
            tx,
            &account_id
        ))
    }

    async fn create_user(&self, user: NewUser) -> Result<User> {
        run!(self.write, [user], |tx, q| users::create(tx, &q, &user))
    }

    async fn get_user(&self, account_id: &str, name: &str) -> Result<User> {
        run!(self.read, [account_id, name], |tx| users::get(
            tx,
            &account_id,
            &name
        ))
    }

    async fn get_user_by_id(&self, account_id: &str, user_id: &str) -> Result<User> {
        run!(self.read, [account_id, user_id], |tx| users::get_by_id(
            tx,
            &account_id,
            &user_id
        ))
    }

    async fn list_users(
        &self,
        account_id: &str,
        path_prefix: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<User>> {
        let path_prefix = path_prefix.map(str::to_owned);
        run!(
            self.read,
            [account_id, path_prefix, page],
            |tx| users::list(tx, &account_id, path_prefix.as_deref(), &page)
        )
    }

    async fn update_user(&self, account_id: &str, name: &str, update: Rename) -> Result<User> {
        run!(self.write, [account_id, name, update], |tx| users::update(
            tx,
            &account_id,
            &name,
            &update
        ))
    }

    async fn delete_user(&self, account_id: &str, name: &str) -> Result<()> {
        run!(self.write, [account_id, name], |tx| users::delete(
            tx,
            &account_id,
            &name
        ))
    }

    async fn set_user_permissions_boundary(
        &self,
        account_id: &str,
        name: &str,
        policy_arn: Option<&str>,
    ) -> Result<()> {
        let policy_arn = policy_arn.map(str::to_owned);
        run!(self.write, [account_id, name, policy_arn], |tx| {
            entities::set_boundary(
                tx,
                &account_id,
                EntityKind::User,
                &name,
                policy_arn.as_deref(),
            )
        })
    }

    async fn tag_resource(
        &self,
        account_id: &str,
        target: &TagTarget,
        new_tags: &[Tag],
    ) -> Result<()> {
        run!(self.write, [account_id, target, new_tags], |tx, q| async {
            let (id, rules) = tags::resolve(tx, &account_id, &target, true).await?;
            tags::put(tx, &q, &id, &new_tags, rules).await
        })
    }

    async fn untag_resource(
        &self,
        account_id: &str,
        target: &TagTarget,
        keys: &[String],
    ) -> Result<()> {
        run!(self.write, [account_id, target, keys], |tx| async {
            let (id, rules) = tags::resolve(tx, &account_id, &target, true).await?;
            tags::remove(tx, &id, &keys, rules).await
        })
    }

    async fn list_tags(&self, account_id: &str, target: &TagTarget) -> Result<Vec<Tag>> {
        run!(self.read, [account_id, target], |tx| async {
            let (id, _) = tags::resolve(tx, &account_id, &target, false).await?;
            tags::load(tx, &id).await
        })
    }

    async fn create_access_key(&self, key: NewAccessKey) -> Result<AccessKeyMetadata> {
        let sealed = self
            .keyring
            .seal_secret(&key.secret, key.access_key_id.as_bytes())?;
        run!(self.write, [key, sealed], |tx, q| keys::create(
            tx, &q, &key, &sealed
        ))
    }

    async fn get_access_key(&self, access_key_id: &str) -> Result<AccessKey> {
        // One SELECT: no explicit transaction needed (the authenticator's hot path).
        let (metadata, sealed) = run!(self.read_single, [access_key_id], |tx| keys::get(
            tx,
            &access_key_id
        ))?;
        let secret = self
            .keyring
            .open_secret(&sealed, metadata.access_key_id.as_bytes())?;
        Ok(AccessKey { metadata, secret })
    }

    async fn list_access_keys(
        &self,
        account_id: &str,
        owner: &KeyOwner,
    ) -> Result<Vec<AccessKeyMetadata>> {
        run!(self.read, [account_id, owner], |tx| keys::list(
            tx,
            &account_id,
            &owner
        ))
    }

    async fn update_access_key_status(
        &self,
        account_id: &str,
        owner: &KeyOwner,
        access_key_id: &str,
        status: AccessKeyStatus,
    ) -> Result<()> {
        run!(
            self.write,
            [account_id, owner, access_key_id, status],
            |tx| keys::update_status(tx, &account_id, &owner, &access_key_id, status)
        )
    }

    async fn delete_access_key(
        &self,
        account_id: &str,
        owner: &KeyOwner,
        access_key_id: &str,
    ) -> Result<()> {
        run!(self.write, [account_id, owner, access_key_id], |tx| {
            keys::delete(tx, &account_id, &owner, &access_key_id)
        })
    }

    async fn record_access_key_use(
        &self,
        access_key_id: &str,
        used: &AccessKeyLastUsed,
    ) -> Result<()> {
        run!(self.write, [access_key_id, used], |tx| keys::record_use(
            tx,
            &access_key_id,
            &used
        ))
    }

    async fn create_role(&self, role: NewRole) -> Result<Role> {
        run!(self.write, [role], |tx, q| roles::create(tx, &q, &role))
    }

    async fn get_role(&self, account_id: &str, name: &str) -> Result<Role> {
        run!(self.read, [account_id, name], |tx| roles::get(
            tx,
            &account_id,
            &name
        ))
    }

    async fn get_role_by_id(&self, account_id: &str, role_id: &str) -> Result<Role> {
        run!(self.read, [account_id, role_id], |tx| roles::get_by_id(
            tx,
            &account_id,
            &role_id
        ))
    }

    async fn list_roles(
        &self,
        account_id: &str,
        path_prefix: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<Role>> {
        let path_prefix = path_prefix.map(str::to_owned);
        run!(
            self.read,
            [account_id, path_prefix, page],
            |tx| roles::list(tx, &account_id, path_prefix.as_deref(), &page)
        )
    }

    async fn update_role(&self, account_id: &str, name: &str, update: RoleUpdate) -> Result<Role> {
        run!(self.write, [account_id, name, update], |tx| roles::update(
            tx,
            &account_id,
            &name,
            &update
        ))
    }

    async fn update_assume_role_policy(
        &self,
        account_id: &str,
        name: &str,
        document: &str,
    ) -> Result<()> {
        run!(self.write, [account_id, name, document], |tx| {
            roles::update_trust(tx, &account_id, &name, &document)
        })
    }

    async fn delete_role(&self, account_id: &str, name: &str) -> Result<()> {
        run!(self.write, [account_id, name], |tx| roles::delete(
            tx,
            &account_id,
            &name
        ))
    }

    async fn set_role_permissions_boundary(
        &self,
        account_id: &str,
        name: &str,
        policy_arn: Option<&str>,
    ) -> Result<()> {
        let policy_arn = policy_arn.map(str::to_owned);
        run!(self.write, [account_id, name, policy_arn], |tx| {
            entities::set_boundary(
                tx,
                &account_id,
                EntityKind::Role,
                &name,
                policy_arn.as_deref(),
            )
        })
    }

    async fn record_role_use(&self, role_id: &str, used: &RoleLastUsed) -> Result<()> {
        run!(self.write, [role_id, used], |tx| roles::record_use(
            tx, &role_id, &used
        ))
    }

    async fn create_policy(&self, policy: NewPolicy) -> Result<ManagedPolicy> {
        run!(self.write, [policy], |tx, q| policies::create(
            tx, &q, &policy
        ))
    }

    async fn upsert_aws_managed_policy(&self, policy: AwsManagedPolicy) -> Result<ManagedPolicy> {
        run!(self.write, [policy], |tx| policies::upsert_aws(tx, &policy))
    }

    async fn get_policy(&self, account_id: &str, policy_arn: &str) -> Result<ManagedPolicy> {
        run!(self.read, [account_id, policy_arn], |tx| policies::get(
            tx,
            &account_id,
            &policy_arn
        ))
    }

    async fn list_policies(
        &self,
        account_id: &str,
        filter: &PolicyFilter,
        page: &PageRequest,
    ) -> Result<Page<ManagedPolicy>> {
        run!(self.read, [account_id, filter, page], |tx| policies::list(
            tx,
            &account_id,
            &filter,
            &page
        ))
    }

    async fn delete_policy(&self, account_id: &str, policy_arn: &str) -> Result<()> {
        run!(self.write, [account_id, policy_arn], |tx| policies::delete(
            tx,
            &account_id,
            &policy_arn
        ))
    }

    async fn create_policy_version(
        &self,
        account_id: &str,
        policy_arn: &str,
        document: &str,
        set_as_default: bool,
        create_date: DateTime<Utc>,
    ) -> Result<PolicyVersion> {
        run!(
            self.write,
            [
                account_id,
                policy_arn,
                document,
                set_as_default,
                create_date
            ],
            |tx, q| policies::create_version(
                tx,
                &q,
                &account_id,
                &policy_arn,
                &document,
                set_as_default,
                create_date
            )
        )
    }

    async fn get_policy_version(
        &self,
        account_id: &str,
        policy_arn: &str,
        version_id: &str,
    ) -> Result<PolicyVersion> {
        run!(self.read, [account_id, policy_arn, version_id], |tx| {
            policies::get_version(tx, &account_id, &policy_arn, &version_id)
        })
    }

    async fn list_policy_versions(
        &self,
        account_id: &str,
        policy_arn: &str,
    ) -> Result<Vec<PolicyVersion>> {
        run!(self.read, [account_id, policy_arn], |tx| {
            policies::list_versions(tx, &account_id, &policy_arn)
        })
    }

    async fn set_default_policy_version(
        &self,
        account_id: &str,
        policy_arn: &str,
        version_id: &str,
        update_date: DateTime<Utc>,
    ) -> Result<()> {
        run!(
            self.write,
            [account_id, policy_arn, version_id, update_date],
            |tx| { policies::set_default(tx, &account_id, &policy_arn, &version_id, update_date) }
        )
    }

    async fn delete_policy_version(
        &self,
        account_id: &str,
        policy_arn: &str,
        version_id: &str,
    ) -> Result<()> {
        run!(self.write, [account_id, policy_arn, version_id], |tx| {
            policies::delete_version(tx, &account_id, &policy_arn, &version_id)
        })
    }

    async fn attach_policy(
        &self,
        account_id: &str,
        entity: &EntityRef,
        policy_arn: &str,
    ) -> Result<()> {
        run!(self.write, [account_id, entity, policy_arn], |tx, q| {
            attachments::attach(tx, &q, &account_id, &entity, &policy_arn)
        })
    }

    async fn detach_policy(
        &self,
        account_id: &str,
        entity: &EntityRef,
        policy_arn: &str,
    ) -> Result<()> {
        run!(self.write, [account_id, entity, policy_arn], |tx| {
            attachments::detach(tx, &account_id, &entity, &policy_arn)
        })
    }

    async fn list_attached_policies(
        &self,
        account_id: &str,
        entity: &EntityRef,
        path_prefix: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<AttachedPolicy>> {
        let path_prefix = path_prefix.map(str::to_owned);
        run!(self.read, [account_id, entity, path_prefix, page], |tx| {
            attachments::list_attached(tx, &account_id, &entity, path_prefix.as_deref(), &page)
        })
    }

    async fn list_entities_for_policy(
        &self,
        account_id: &str,
        policy_arn: &str,
        filter: &EntityFilter,
        page: &PageRequest,
    ) -> Result<Page<PolicyEntity>> {
        run!(self.read, [account_id, policy_arn, filter, page], |tx| {
            attachments::list_entities(tx, &account_id, &policy_arn, &filter, &page)
        })
    }

    async fn put_inline_policy(
        &self,
        account_id: &str,
        entity: &EntityRef,
        policy_name: &str,
        document: &str,
        check: SizeCheck,
    ) -> Result<()> {
        run!(
            self.write,
            [account_id, entity, policy_name, document, check],
            |tx| { inline::put(tx, &account_id, &entity, &policy_name, &document, check) }
        )
    }

    async fn get_inline_policy(
        &self,
        account_id: &str,
        entity: &EntityRef,
        policy_name: &str,
    ) -> Result<InlinePolicy> {
        run!(self.read, [account_id, entity, policy_name], |tx| {
            inline::get(tx, &account_id, &entity, &policy_name)
        })
    }

    async fn delete_inline_policy(
        &self,
        account_id: &str,
        entity: &EntityRef,
        policy_name: &str,
    ) -> Result<()> {
        run!(self.write, [account_id, entity, policy_name], |tx| {
            inline::delete(tx, &account_id, &entity, &policy_name)
        })
    }

    async fn list_inline_policies(
        &self,
        account_id: &str,
        entity: &EntityRef,
        page: &PageRequest,
    ) -> Result<Page<String>> {
        run!(self.read, [account_id, entity, page], |tx| {
            inline::list_names(tx, &account_id, &entity, &page)
        })
    }

    async fn create_group(&self, group: NewGroup) -> Result<Group> {
        run!(self.write, [group], |tx, q| groups::create(tx, &q, &group))
    }

    async fn get_group(&self, account_id: &str, name: &str) -> Result<Group> {
        run!(self.read, [account_id, name], |tx| groups::get(
            tx,
            &account_id,
            &name
        ))
    }

    async fn list_groups(
        &self,
        account_id: &str,
        path_prefix: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<Group>> {
        let path_prefix = path_prefix.map(str::to_owned);
        run!(self.read, [account_id, path_prefix, page], |tx| {
            groups::list(tx, &account_id, path_prefix.as_deref(), &page)
        })
    }

    async fn update_group(&self, account_id: &str, name: &str, update: Rename) -> Result<Group> {
        run!(self.write, [account_id, name, update], |tx| groups::update(
            tx,
            &account_id,
            &name,
            &update
        ))
    }

    async fn delete_group(&self, account_id: &str, name: &str) -> Result<()> {
        run!(self.write, [account_id, name], |tx| groups::delete(
            tx,
            &account_id,
            &name
        ))
    }

    async fn add_user_to_group(&self, account_id: &str, group: &str, user: &str) -> Result<()> {
        run!(self.write, [account_id, group, user], |tx, q| {
            groups::add_member(tx, &q, &account_id, &group, &user)
        })
    }

    async fn remove_user_from_group(
        &self,
        account_id: &str,
        group: &str,
        user: &str,
    ) -> Result<()> {
        run!(self.write, [account_id, group, user], |tx| {
            groups::remove_member(tx, &account_id, &group, &user)
        })
    }

    async fn list_group_members(
        &self,
        account_id: &str,
        group: &str,
        page: &PageRequest,
    ) -> Result<Page<User>> {
        run!(self.read, [account_id, group, page], |tx| groups::members(
            tx,
            &account_id,
            &group,
            &page
        ))
    }

    async fn list_groups_for_user(
        &self,
        account_id: &str,
        user: &str,
        page: &PageRequest,
    ) -> Result<Page<Group>> {
        run!(self.read, [account_id, user, page], |tx| {
            groups::list_for_user(tx, &account_id, &user, &page)
        })
    }

    async fn principal_policies(
        &self,
        account_id: &str,
        principal: &PrincipalRef,
    ) -> Result<PrincipalPolicies> {
        run!(self.read, [account_id, principal], |tx| {
            authz::principal_policies(tx, &account_id, &principal)
        })
    }

    async fn get_setting(&self, key: &str) -> Result<Option<String>> {
        run!(self.read, [key], |tx| accounts::get_setting(tx, &key))
    }

    async fn put_setting(&self, key: &str, value: &str) -> Result<()> {
        run!(self.write, [key, value], |tx| accounts::put_setting(
            tx, &key, &value
        ))
    }
}
