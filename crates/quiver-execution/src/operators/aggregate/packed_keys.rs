//! Group keys packed into 16-byte slots, so that finding a row's group
//! compares and hashes plain integers instead of asking each key column in
//! turn. A key of N columns takes N slots, one per column: an integer,
//! date, decimal or float's bits, a boolean, or a string of at most 12
//! bytes in the layout of an Arrow string view. A NULL is a value no key of
//! its column packs to ([`null_slot`]). Two keys are equal exactly when
//! their slots are.
//!
//! A batch with a longer string cannot be packed; its group table then stops
//! packing for good (see `ColumnGroupValues`).

/// The packed keys of a table's groups and of the batch being numbered.
#[derive(Debug)]
pub struct PackedKeys {
    /// Slots per key: one per column.
    width: usize,
    /// Group `g`'s key is `stored[g * width..(g + 1) * width]`.
    stored: Vec<u128>,
    /// Row `r`'s key, likewise.
    batch: Vec<u128>,
}

impl PackedKeys {
    /// Packed keys of `columns` columns.
    pub fn new(columns: usize) -> Self {
        Self {
            width: columns,
            stored: vec![],
            batch: vec![],
        }
    }

    /// The slots per key.
    pub fn width(&self) -> usize {
        self.width
    }

    /// The zeroed slots of a batch of `rows` rows, for the key columns to
    /// fill.
    pub fn batch_slots(&mut self, rows: usize) -> &mut [u128] {
        self.batch.clear();
        self.batch.resize(rows * self.width, 0);
        &mut self.batch
    }

    /// Whether group `group`'s key is the batch's row `row`'s.
    pub fn same(&self, group: usize, row: usize) -> bool {
        let w = self.width;
        let (stored, batch) = (
            &self.stored[group * w..(group + 1) * w],
            &self.batch[row * w..(row + 1) * w],
        );
        // Slot by slot: a slice comparison would call `memcmp` for a few
        // bytes.
        stored.iter().zip(batch).all(|(a, b)| a == b)
    }

    /// Starts loading group `group`'s key into the caches.
    pub fn prefetch(&self, group: usize) {
        if let Some(slot) = self.stored.get(group * self.width) {
            crate::prefetch::prefetch_read(slot);
        }
    }

    /// Stores the batch's row `row` as the key of the next group.
    pub fn store(&mut self, row: usize) {
        let w = self.width;
        self.stored
            .extend_from_slice(&self.batch[row * w..(row + 1) * w]);
    }

    /// The batch's keys, `width` slots a row.
    pub fn batch(&self) -> &[u128] {
        &self.batch
    }

    /// The hash of each stored group's key, in group order (as
    /// [`PackedKeys::hash_batch`] hashes the same key).
    pub fn stored_hashes(&self) -> impl Iterator<Item = u64> + '_ {
        self.stored.chunks_exact(self.width).map(hash_slots)
    }

    /// The hash of each batch row's key, into `hashes`.
    pub fn hash_batch(&self, hashes: &mut Vec<u64>) {
        hashes.clear();
        hashes.extend(self.batch.chunks_exact(self.width).map(hash_slots));
    }

    /// Forgets every group.
    pub fn clear(&mut self) {
        self.stored.clear();
    }

    /// Approximate memory held, in bytes.
    pub fn size(&self) -> usize {
        (self.stored.capacity() + self.batch.capacity()) * std::mem::size_of::<u128>()
    }
}

/// The slot of a NULL in a column whose values are `width` bytes wide (16
/// for strings): a bit above any value of 8 bytes or fewer; for 16-byte
/// decimals `i128::MIN`, beyond every precision; for strings a view of
/// length 0 with its last byte set, which no string's view is.
pub fn null_slot(width: usize) -> u128 {
    if width <= 8 {
        1 << 64
    } else {
        1 << 127
    }
}

/// A value's bytes as a slot (zero-extended); `None` for values wider than
/// 16 bytes or whose slot is the column's NULL.
pub fn slot_of_bytes(bytes: &[u8]) -> Option<u128> {
    let mut slot = [0u8; 16];
    slot.get_mut(..bytes.len())?.copy_from_slice(bytes);
    let slot = u128::from_le_bytes(slot);
    (slot != null_slot(bytes.len())).then_some(slot)
}

/// A string of at most 12 bytes as a slot, laid out as an Arrow string
/// view (length, then the bytes, zero-padded); `None` for longer strings.
pub fn slot_of_short_string(bytes: &[u8]) -> Option<u128> {
    if bytes.len() > 12 {
        return None;
    }
    let mut slot = [0u8; 16];
    slot[..4].copy_from_slice(&(bytes.len() as u32).to_le_bytes());
    slot[4..4 + bytes.len()].copy_from_slice(bytes);
    Some(u128::from_le_bytes(slot))
}

/// The string of `len` bytes at `start` in `bytes` as [`slot_of_short_string`]
/// lays it out, read as one 16-byte load where the buffer has 16 bytes
/// from `start` (copying a few bytes into a slot and reading it back would
/// stall on the store).
pub fn slot_of_string_at(bytes: &[u8], start: usize, len: usize) -> Option<u128> {
    if len > 12 {
        return None;
    }
    match bytes.get(start..start + 16) {
        Some(window) => {
            let raw = u128::from_le_bytes(window.try_into().expect("16 bytes"));
            let kept = match len {
                0 => 0,
                n => raw & (u128::MAX >> (128 - 8 * n)),
            };
            Some(kept << 32 | len as u128)
        }
        None => slot_of_short_string(&bytes[start..start + len]),
    }
}

/// Folds the slots of one key into a hash: a multiply-and-fold per 64-bit
/// half, so that every bit of the key moves the high bits (the table's
/// control bytes) and the low bits (its bucket) alike.
fn hash_slots(slots: &[u128]) -> u64 {
    const SEED: u64 = 0x243f_6a88_85a3_08d3;
    const MULTIPLIER: u64 = 0x9e37_79b9_7f4a_7c15;
    let fold = |a: u64, b: u64| {
        let product = u128::from(a) * u128::from(b);
        (product as u64) ^ ((product >> 64) as u64)
    };
    slots.iter().fold(SEED, |h, &slot| {
        let (low, high) = (slot as u64, (slot >> 64) as u64);
        fold(h ^ low, MULTIPLIER ^ high)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_read_in_place_pack_as_copied_ones() {
        let bytes = b"id001hello world, a long tail of bytes";
        for (start, len) in [(0, 5), (5, 0), (5, 12), (30, 8), (0, 13)] {
            let copied =
                (len <= 12).then(|| slot_of_short_string(&bytes[start..start + len]).unwrap());
            assert_eq!(
                slot_of_string_at(bytes, start, len),
                copied,
                "{start} {len}"
            );
        }
    }

    #[test]
    fn equal_slots_are_the_same_key_and_hash_alike() {
        let mut keys = PackedKeys::new(2);
        let slots = keys.batch_slots(3);
        slots[0] = 7;
        slots[1] = slot_of_short_string(b"abc").unwrap();
        slots[2] = 7;
        slots[3] = slot_of_short_string(b"abc").unwrap();
        slots[4] = 7;
        slots[5] = null_slot(16);
        keys.store(0);
        assert!(keys.same(0, 1));
        assert!(!keys.same(0, 2), "a NULL differs from any string");
        let mut hashes = vec![];
        keys.hash_batch(&mut hashes);
        assert_eq!(hashes[0], hashes[1]);
        assert_ne!(hashes[0], hashes[2]);
    }

    #[test]
    fn only_short_strings_and_narrow_values_fit_a_slot() {
        assert!(slot_of_short_string(b"twelve bytes").is_some());
        assert!(slot_of_short_string(b"thirteen byte").is_none());
        assert_ne!(
            slot_of_short_string(b"a"),
            slot_of_short_string(b"a\0"),
            "the length is part of the slot"
        );
        assert_eq!(slot_of_bytes(&5i32.to_le_bytes()), Some(5));
        assert_eq!(slot_of_bytes(&[0u8; 32]), None);
        assert_eq!(
            slot_of_bytes(&i128::MIN.to_le_bytes()),
            None,
            "a value that reads as NULL does not pack"
        );
        assert_ne!(slot_of_short_string(b""), Some(null_slot(16)));
    }
}
