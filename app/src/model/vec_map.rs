//! `VecMap`: a map (and, with `()` values, a set) in a sorted `Vec`, for the model's per-spot
//! bookkeeping. The maps hold a handful of entries, and every key and value type of a
//! `BTreeMap` brings its own copy of the tree's code: the five the model keeps cost 8 KB of the
//! compressed WASM. Iteration is in key order, as a `BTreeMap`'s.

/// A sorted map in a `Vec`.
#[derive(Debug, Clone, PartialEq)]
pub struct VecMap<K, V>(Vec<(K, V)>);

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<K: Ord, V> VecMap<K, V> {
    fn find(&self, key: &K) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.cmp(key))
    }

    /// The value of `key`.
    pub fn get(&self, key: &K) -> Option<&V> {
        self.find(key).ok().map(|i| &self.0[i].1)
    }

    /// Whether `key` has a value.
    pub fn contains_key(&self, key: &K) -> bool {
        self.find(key).is_ok()
    }

    /// Sets the value of `key`; returns whether `key` is new.
    pub fn insert(&mut self, key: K, value: V) -> bool {
        match self.find(&key) {
            Ok(i) => {
                self.0[i].1 = value;
                false
            }
            Err(i) => {
                self.0.insert(i, (key, value));
                true
            }
        }
    }

    /// Drops `key`.
    pub fn remove(&mut self, key: &K) {
        if let Ok(i) = self.find(key) {
            self.0.remove(i);
        }
    }

    /// Keeps the entries `keep` says yes to.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.0.retain_mut(|(k, v)| keep(k, v));
    }

    /// The entries, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// How many entries there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A sorted set in a `Vec`.
pub type VecSet<K> = VecMap<K, ()>;

impl<K: Ord> VecMap<K, ()> {
    /// Whether `key` is in the set.
    pub fn contains(&self, key: &K) -> bool {
        self.contains_key(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_as_a_sorted_map() {
        let mut m = VecMap::default();
        assert!(m.insert(3, "c"));
        assert!(m.insert(1, "a"));
        assert!(!m.insert(3, "C"), "not new");
        assert!(m.insert(2, "b"));
        assert_eq!(m.iter().collect::<Vec<_>>(), [(&1, &"a"), (&2, &"b"), (&3, &"C")]);
        assert_eq!((m.get(&2), m.get(&4), m.contains_key(&1), m.len()), (Some(&"b"), None, true, 3));
        m.remove(&2);
        m.remove(&9);
        m.retain(|k, _| *k != 1);
        assert_eq!(m.iter().collect::<Vec<_>>(), [(&3, &"C")]);
        let mut s: VecSet<u8> = VecSet::default();
        assert!(s.insert(1, ()) && !s.insert(1, ()) && s.contains(&1) && !s.is_empty());
    }
}
