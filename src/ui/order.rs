//! Sorting a table's row positions by precomputed keys: one implementation for every table
//! (and one copy of the sort in the wasm bundle). Both sorts are stable, so equal rows keep
//! their previous order.

use std::cmp::Ordering;

/// Sorts `idx` by `keys[i]`: largest first, or smallest first when `ascending`; `reverse`
/// flips that. Rows without a value go last either way.
pub fn by_number(idx: &mut [usize], keys: &[Option<f64>], ascending: bool, reverse: bool) {
    let ascending = ascending != reverse;
    idx.sort_by(|&a, &b| match (keys[a], keys[b]) {
        (Some(x), Some(y)) if ascending => x.total_cmp(&y),
        (Some(x), Some(y)) => y.total_cmp(&x),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    });
}

/// Sorts `idx` by `keys[i]` A→Z, or Z→A when `reverse`.
pub fn by_text(idx: &mut [usize], keys: &[&str], reverse: bool) {
    idx.sort_by(|&a, &b| {
        let o = keys[a].cmp(keys[b]);
        if reverse { o.reverse() } else { o }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_put_missing_values_last_both_ways() {
        let keys = [Some(1.0), None, Some(3.0), Some(-2.0), None];
        let mut idx: Vec<usize> = (0..5).collect();
        by_number(&mut idx, &keys, false, false);
        assert_eq!(idx, [2, 0, 3, 1, 4]);
        by_number(&mut idx, &keys, false, true);
        assert_eq!(idx, [3, 0, 2, 1, 4]);
        by_number(&mut idx, &keys, true, false);
        assert_eq!(idx, [3, 0, 2, 1, 4]);
    }

    #[test]
    fn text_is_stable() {
        let keys = ["b", "a", "b", "a"];
        let mut idx: Vec<usize> = (0..4).collect();
        by_text(&mut idx, &keys, false);
        assert_eq!(idx, [1, 3, 0, 2]);
        by_text(&mut idx, &keys, true);
        assert_eq!(idx, [0, 2, 1, 3]);
    }
}
