//! Plain data parallelism on every core for the CPU-bound parts of reporting (parsing a
//! history, rendering and writing its pages), with scoped threads: no runtime, no pool.

/// `f` applied to every item, on as many threads as there are cores, in the items'
/// order; each answer comes back beside its item.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<(&T, R)> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(items.len().max(1));
    if threads <= 1 {
        return items.iter().map(|item| (item, f(item))).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let f = &f;
        let workers: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(|item| (item, f(item))).collect::<Vec<_>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().expect("a worker does not panic"))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn answers_keep_the_items_order() {
        let items: Vec<u32> = (0..1000).collect();
        let squares = super::map(&items, |x| x * x);
        assert!(squares.iter().all(|(x, y)| **x * **x == *y));
        assert_eq!(squares.iter().map(|(x, _)| **x).collect::<Vec<_>>(), items);
        assert!(super::map(&[] as &[u32], |x| *x).is_empty());
    }
}
