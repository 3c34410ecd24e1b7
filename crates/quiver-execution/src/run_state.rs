//! State that lives for one run of a physical plan: what an operator's
//! partitions share while they run (a join's one build side, an exchange's
//! channels, a shared subplan's batches, the keys a join publishes to the
//! scans below it). It lives in the run's [`crate::TaskContext`], not on the
//! plan's nodes, so one plan can run twice, one run after the other or both
//! at once, each run starting afresh.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The identity of a plan node (or of a dynamic filter) for the state of a
/// run: given once when the node is made, unique in the process, and kept
/// by copies of the node made with new inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NodeId(u64);

impl NodeId {
    /// A new identity, different from every other.
    pub fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        Self(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// One run's state of every node, by node and by the type of the state.
#[derive(Debug, Default)]
pub struct RunState {
    entries: Mutex<HashMap<(NodeId, TypeId), Arc<dyn Any + Send + Sync>>>,
}

impl RunState {
    /// The state of type `T` of `node` in this run, made by `make` when the
    /// first partition asks for it.
    pub fn get_or_insert<T: Any + Send + Sync>(
        &self,
        node: NodeId,
        make: impl FnOnce() -> T,
    ) -> Arc<T> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let entry = entries
            .entry((node, TypeId::of::<T>()))
            .or_insert_with(|| Arc::new(make()));
        match Arc::clone(entry).downcast::<T>() {
            Ok(state) => state,
            // The key holds `T`'s type id, so the entry is a `T`.
            Err(_) => unreachable!("run state stored under the wrong type"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_node_and_type_has_its_own_state_per_run() {
        let (a, b) = (NodeId::next(), NodeId::next());
        assert_ne!(a, b);
        let run = RunState::default();
        let first = run.get_or_insert(a, || Mutex::new(1));
        *first.lock().unwrap() += 1;
        assert_eq!(*run.get_or_insert(a, || Mutex::new(0)).lock().unwrap(), 2);
        assert_eq!(*run.get_or_insert(b, || Mutex::new(7)).lock().unwrap(), 7);
        assert_eq!(*run.get_or_insert(a, || "text"), "text");
        let next_run = RunState::default();
        assert_eq!(
            *next_run.get_or_insert(a, || Mutex::new(0)).lock().unwrap(),
            0
        );
    }
}
