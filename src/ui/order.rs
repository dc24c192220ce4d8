//! Sorting a table's row positions by precomputed keys: one implementation for every table
//! (and one copy of the sort in the wasm bundle). Both sorts are stable, so equal rows keep
//! their previous order.

/// Sorts `idx` by `keys[i]`: largest first, or smallest first when `ascending`; `reverse`
/// flips that. Rows without a value go last either way.
///
/// As integers: each entry becomes `(missing, key, place)`, where `key` orders as
/// [`f64::total_cmp`] (flipped for largest first) and `place` is its position in `idx`, so
/// an unstable sort of plain tuples gives the stable order. In the browser that is several
/// times faster than a stable sort through a comparison closure (a status chip re-sorting
/// 50,000 rows took ~130 ms).
pub fn by_number(idx: &mut [usize], keys: &[Option<f64>], ascending: bool, reverse: bool) {
    let ascending = ascending != reverse;
    let mut tagged: Vec<(bool, u64, u32)> = idx
        .iter()
        .enumerate()
        .map(|(place, &i)| match keys[i] {
            Some(x) => {
                let k = total_order(x);
                (false, if ascending { k } else { !k }, place as u32)
            }
            None => (true, 0, place as u32),
        })
        .collect();
    tagged.sort_unstable();
    let before: Vec<usize> = idx.to_vec();
    for (slot, (_, _, place)) in idx.iter_mut().zip(tagged) {
        *slot = before[place as usize];
    }
}

/// An integer that orders as [`f64::total_cmp`] orders floats.
fn total_order(x: f64) -> u64 {
    let bits = x.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
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
    use std::cmp::Ordering;

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

    /// Against the comparison-closure sort it replaces: ties keep their previous order,
    /// negative zero before zero, infinities at the ends.
    #[test]
    fn numbers_sort_as_total_cmp_stably() {
        let values = [
            Some(0.0),
            Some(-0.0),
            None,
            Some(f64::INFINITY),
            Some(1.5),
            Some(-3.0),
            Some(1.5),
            Some(f64::NEG_INFINITY),
            None,
            Some(0.0),
            Some(-3.0),
        ];
        for (ascending, reverse) in [(false, false), (true, false), (false, true), (true, true)] {
            let start: Vec<usize> = (0..values.len()).rev().collect();
            let mut want = start.clone();
            let up = ascending != reverse;
            want.sort_by(|&a, &b| match (values[a], values[b]) {
                (Some(x), Some(y)) if up => x.total_cmp(&y),
                (Some(x), Some(y)) => y.total_cmp(&x),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            });
            let mut got = start.clone();
            by_number(&mut got, &values, ascending, reverse);
            assert_eq!(got, want, "ascending {ascending}, reverse {reverse}");
        }
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
