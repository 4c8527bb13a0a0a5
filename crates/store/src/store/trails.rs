//! The CloudTrail trail methods of [`Store`].

use super::Store;
use crate::sql::{Backend, tx_fn};
use crate::trails::{self, TrailRow};

store_api! {
    /// False when the account already has a trail of that name (nothing written).
    write fn create_trail(trail: TrailRow) -> bool = |tx| trails::create(tx, &trail);

    read fn get_trail(account_id: &str, name: &str) -> Option<TrailRow>
        = |tx| trails::get(tx, &account_id, &name);

    /// Replaces the trail's document; false when there is no such trail.
    write fn update_trail(account_id: &str, name: &str, document: &str) -> bool
        = |tx| trails::update(tx, &account_id, &name, &document);

    /// False when there was no such trail.
    write fn delete_trail(account_id: &str, name: &str) -> bool
        = |tx| trails::delete(tx, &account_id, &name);

    /// The account's trails, by name.
    read fn list_trails(account_id: &str) -> Vec<TrailRow> = |tx| trails::list(tx, &account_id);

    /// Every account's trails (the delivery loop's list).
    read fn all_trails() -> Vec<TrailRow> = |tx| trails::all(tx);
}
