//! The staging-label state machine (spec §4.4), pure: each label sits on at most one
//! version; moving `AWSCURRENT` moves `AWSPREVIOUS` to the version it left; a version with
//! no label is deprecated and may be purged.

use chrono::{DateTime, Duration, Utc};

use crate::error::{SmError, SmResult};
use crate::model::Version;
use crate::{AWSCURRENT, AWSPREVIOUS};

/// Labels a version may carry.
pub const MAX_LABELS_PER_VERSION: usize = 20;
/// AWS keeps the 100 newest versions, and every version younger than a day.
pub const MAX_VERSIONS: usize = 100;
pub const KEEP_YOUNGER_THAN_HOURS: i64 = 24;

fn holder(versions: &[Version], stage: &str) -> Option<usize> {
    versions.iter().position(|v| v.has(stage))
}

/// The id of the version holding `stage`.
pub fn holder_id<'a>(versions: &'a [Version], stage: &str) -> Option<&'a str> {
    holder(versions, stage).and_then(|i| versions.get(i).map(|v| v.id.as_str()))
}

fn remove(versions: &mut [Version], stage: &str) {
    for v in versions.iter_mut() {
        v.stages.retain(|s| s != stage);
    }
}

/// Puts `stage` on version `to` (taking it from whichever version had it). Moving
/// `AWSCURRENT` away from a version labels that version `AWSPREVIOUS`.
pub fn attach(versions: &mut [Version], stage: &str, to: &str) -> SmResult<()> {
    let Some(target) = versions.iter().position(|v| v.id == to) else {
        return Err(SmError::invalid_parameter(format!(
            "The version {to} does not exist."
        )));
    };
    let old = holder(versions, stage);
    if old == Some(target) {
        return Ok(());
    }
    remove(versions, stage);
    if let Some(v) = versions.get_mut(target) {
        v.stages.push(stage.to_owned());
        if v.stages.len() > MAX_LABELS_PER_VERSION {
            return Err(SmError::limit(format!(
                "A version can have at most {MAX_LABELS_PER_VERSION} staging labels."
            )));
        }
    }
    if stage == AWSCURRENT
        && let Some(old) = old
    {
        remove(versions, AWSPREVIOUS);
        if let Some(v) = versions.get_mut(old) {
            v.stages.push(AWSPREVIOUS.to_owned());
        }
    }
    Ok(())
}

/// Takes `stage` off version `from`.
pub fn detach(versions: &mut [Version], stage: &str, from: &str) {
    if let Some(v) = versions.iter_mut().find(|v| v.id == from) {
        v.stages.retain(|s| s != stage);
    }
}

/// UpdateSecretVersionStage's rules (spec §4.3): a move must name the version the label
/// leaves; a removal must name the version holding it; `AWSCURRENT` can only move.
pub fn update_stage(
    versions: &mut [Version],
    stage: &str,
    remove_from: Option<&str>,
    move_to: Option<&str>,
) -> SmResult<()> {
    let current = holder_id(versions, stage).map(str::to_owned);
    if let Some(r) = remove_from
        && !versions.iter().any(|v| v.id == r)
    {
        return Err(SmError::invalid_parameter(format!(
            "The version {r} does not exist."
        )));
    }
    match (move_to, remove_from) {
        (Some(to), _) => {
            if !versions.iter().any(|v| v.id == to) {
                return Err(SmError::invalid_parameter(format!(
                    "The version {to} does not exist."
                )));
            }
            match current.as_deref() {
                Some(c) if c != to && remove_from != Some(c) => {
                    return Err(SmError::invalid_parameter(format!(
                        "The parameter RemoveFromVersionId can't be empty. Staging label \
                         {stage} is currently attached to version {c}, so you must explicitly \
                         reference that version in RemoveFromVersionId."
                    )));
                }
                None if remove_from.is_some() => {
                    return Err(SmError::invalid_parameter(format!(
                        "The staging label {stage} is not attached to the version given in \
                         RemoveFromVersionId."
                    )));
                }
                _ => {}
            }
            attach(versions, stage, to)
        }
        (None, Some(from)) => {
            if current.as_deref() != Some(from) {
                return Err(SmError::invalid_parameter(format!(
                    "The staging label {stage} is not attached to version {from}."
                )));
            }
            if stage == AWSCURRENT {
                return Err(SmError::invalid_parameter(
                    "You can only move staging label AWSCURRENT to a different secret version. \
                     It can't be completely removed.",
                ));
            }
            detach(versions, stage, from);
            Ok(())
        }
        (None, None) => Err(SmError::invalid_parameter(
            "You must specify MoveToVersionId, RemoveFromVersionId, or both.",
        )),
    }
}

/// Drops deprecated (unlabelled) versions, oldest first, while there are more than
/// [`MAX_VERSIONS`] and they are older than a day. Returns the removed ids.
pub fn purge(versions: &mut Vec<Version>, now: DateTime<Utc>) -> Vec<String> {
    let cutoff = now - Duration::hours(KEEP_YOUNGER_THAN_HOURS);
    let mut removed = Vec::new();
    versions.sort_by_key(|v| v.seq);
    while versions.len() > MAX_VERSIONS {
        let Some(i) = versions
            .iter()
            .position(|v| v.stages.is_empty() && v.created < cutoff)
        else {
            break;
        };
        removed.push(versions.remove(i).id);
    }
    removed
}

/// Whether one more version may be created now: AWS refuses more than
/// [`MAX_VERSIONS`] versions created within a day.
pub fn room_for_one_more(versions: &[Version], now: DateTime<Utc>) -> SmResult<()> {
    let cutoff = now - Duration::hours(KEEP_YOUNGER_THAN_HOURS);
    let recent = versions.iter().filter(|v| v.created >= cutoff).count();
    if recent >= MAX_VERSIONS {
        return Err(SmError::limit(format!(
            "You can't create more than {MAX_VERSIONS} versions of a secret in 24 hours."
        )));
    }
    Ok(())
}

/// The invariants every state must hold (used by the property tests and debug checks).
pub fn check_invariants(versions: &[Version]) -> Result<(), String> {
    let mut seen: Vec<&str> = Vec::new();
    for v in versions {
        for s in &v.stages {
            if seen.contains(&s.as_str()) {
                return Err(format!("label {s} on two versions"));
            }
            seen.push(s);
        }
        if v.stages.len() > MAX_LABELS_PER_VERSION {
            return Err(format!("version {} has too many labels", v.id));
        }
    }
    let any_value = versions.iter().any(|v| v.has_value);
    if any_value && holder(versions, AWSCURRENT).is_none() {
        return Err("a secret with a value has no AWSCURRENT".into());
    }
    if let Some(c) = holder(versions, AWSCURRENT)
        && versions.get(c).is_some_and(|v| !v.has_value)
    {
        return Err("AWSCURRENT sits on a version without a value".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::AWSPENDING;
    use proptest::prelude::*;

    fn v(id: &str, seq: i64, stages: &[&str]) -> Version {
        Version {
            id: id.into(),
            seq,
            created: Utc::now(),
            last_accessed: None,
            stages: stages.iter().map(|s| s.to_string()).collect(),
            has_value: true,
            value: None,
        }
    }

    fn stages(vs: &[Version], id: &str) -> Vec<String> {
        let mut s = vs.iter().find(|v| v.id == id).unwrap().stages.clone();
        s.sort();
        s
    }

    #[test]
    fn spec_walkthrough() {
        let mut vs = vec![v("v1", 1, &[AWSCURRENT])];
        vs.push(v("v2", 2, &[]));
        attach(&mut vs, AWSCURRENT, "v2").unwrap();
        assert_eq!(stages(&vs, "v1"), [AWSPREVIOUS]);
        assert_eq!(stages(&vs, "v2"), [AWSCURRENT]);
        vs.push(v("v3", 3, &[]));
        attach(&mut vs, AWSPENDING, "v3").unwrap();
        // A move must name the version the label leaves.
        assert!(update_stage(&mut vs, AWSCURRENT, None, Some("v3")).is_err());
        update_stage(&mut vs, AWSCURRENT, Some("v2"), Some("v3")).unwrap();
        assert!(stages(&vs, "v1").is_empty(), "v1 is deprecated");
        assert_eq!(stages(&vs, "v2"), [AWSPREVIOUS]);
        assert_eq!(stages(&vs, "v3"), [AWSCURRENT, AWSPENDING]);
        update_stage(&mut vs, AWSPENDING, Some("v3"), None).unwrap();
        assert_eq!(stages(&vs, "v3"), [AWSCURRENT]);
        assert!(update_stage(&mut vs, AWSCURRENT, Some("v3"), None).is_err());
        check_invariants(&vs).unwrap();
    }

    #[test]
    fn purge_keeps_labelled_and_recent() {
        let old = Utc::now() - Duration::days(3);
        let mut vs: Vec<Version> = (0..105)
            .map(|i| {
                let mut x = v(&format!("v{i}"), i, &[]);
                x.created = old;
                x
            })
            .collect();
        vs[0].stages.push(AWSPREVIOUS.into());
        vs[104].stages.push(AWSCURRENT.into());
        let removed = purge(&mut vs, Utc::now());
        assert_eq!(removed.len(), 5);
        assert!(!removed.contains(&"v0".to_string()));
        assert_eq!(vs.len(), 100);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Put(Vec<u8>),
        Move(u8, u8, u8, bool),
        Remove(u8, u8),
    }

    const LABELS: [&str; 4] = [AWSCURRENT, AWSPENDING, AWSPREVIOUS, "custom"];

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            proptest::collection::vec(0u8..4, 0..3).prop_map(Op::Put),
            (0u8..4, 0u8..8, 0u8..8, any::<bool>()).prop_map(|(l, a, b, c)| Op::Move(l, a, b, c)),
            (0u8..4, 0u8..8).prop_map(|(l, a)| Op::Remove(l, a)),
        ]
    }

    proptest! {
        /// Whatever sequence of PutSecretValue / UpdateSecretVersionStage calls arrives,
        /// and whichever of them fail, the invariants of §4.4 hold after each step.
        #[test]
        fn invariants_hold(ops in proptest::collection::vec(op(), 1..40)) {
            let mut vs: Vec<Version> = vec![v("v0", 0, &[AWSCURRENT])];
            for (n, o) in ops.into_iter().enumerate() {
                let before = vs.clone();
                let res = match o {
                    Op::Put(labels) => {
                        let id = format!("p{n}");
                        vs.push(v(&id, n as i64 + 1, &[]));
                        let mut labels: Vec<&str> = labels.iter().map(|l| LABELS[*l as usize]).collect();
                        if labels.is_empty() { labels.push(AWSCURRENT); }
                        labels.iter().try_for_each(|l| attach(&mut vs, l, &id))
                    }
                    Op::Move(l, to, from, with_from) => {
                        let ids: Vec<String> = vs.iter().map(|x| x.id.clone()).collect();
                        let to = ids.get(to as usize % ids.len()).cloned();
                        let from = if with_from { ids.get(from as usize % ids.len()).cloned() } else { None };
                        update_stage(&mut vs, LABELS[l as usize], from.as_deref(), to.as_deref())
                    }
                    Op::Remove(l, from) => {
                        let ids: Vec<String> = vs.iter().map(|x| x.id.clone()).collect();
                        let from = ids.get(from as usize % ids.len()).cloned();
                        update_stage(&mut vs, LABELS[l as usize], from.as_deref(), None)
                    }
                };
                if res.is_err() { vs = before; }
                prop_assert!(check_invariants(&vs).is_ok(), "{:?}", check_invariants(&vs));
            }
        }
    }
}
