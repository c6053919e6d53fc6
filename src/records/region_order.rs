//! The order of every list of records that live in a region: by region code, then id.
//!
//! Ordered by id alone, a page of a district or province made PostgreSQL either sort every
//! row of the scope or walk the whole id index discarding other regions' rows: 5 ms and more
//! for a page of 50 at a million children. Ordered by `(code, id)`, a page is the next entries
//! of the `(code, id)` index after the cursor, whatever the scope's size or the page's number.

/// Orders the boxed list `$query` by `($code, $id)` and starts it after the cursor of `$page`
/// (a `PageRequest<(RegionCode, Id)>`), fetching one page and its lookahead row. The cursor's
/// condition is written so that its first term bounds the index scan: only rows of the
/// cursor's own region are read and passed over.
macro_rules! in_region_order {
    ($query:expr, $page:expr, $code:expr, $id:expr) => {{
        let mut query = $query;
        if let Some((code, id)) = &$page.after {
            query = query.filter($code.ge(code.clone()).and($code.gt(code.clone()).or($id.gt(*id))));
        }
        query.order(($code, $id)).limit($page.fetch())
    }};
}
pub(crate) use in_region_order;
