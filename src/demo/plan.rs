//! What `demo generate` is asked for, and the seeded draws every generating statement uses.

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub children: i64,
    pub seed: i64,
    /// The last year weighed; `years` years end with it.
    pub year: i32,
    pub years: i32,
}

/// How a generation begins. The temporary tables' estimates are rough: a nested loop over the
/// WHO tables for every measurement would take hours where a hash join takes seconds. The
/// rebuilds of the kept counts sort and hash millions of rows: with the default 4 MB they
/// spill gigabytes to disk (the first 1,000 days' took 13 minutes).
pub(super) const BEGIN: &str = "BEGIN; SET LOCAL enable_nestloop = off; SET LOCAL work_mem = '256MB'";

/// After the commit: statistics for the planner, and the visibility map that lets the kept
/// counts be read by index-only scans (without it the first dashboards read the heap).
pub(super) const SETTLE: &str = "VACUUM (ANALYZE)";

/// `u(i, salt)`: a uniform number in (0, 1) from the seed, a record's number and a salt per
/// quantity; `n(i, salt)`: a standard normal one (Box–Muller).
pub(super) fn helpers(seed: i64) -> String {
    format!(
        "CREATE FUNCTION pg_temp.u(i bigint, salt integer) RETURNS double precision \
           LANGUAGE sql IMMUTABLE PARALLEL SAFE AS \
           $$ SELECT ((hashint8extended(i, {seed}::bigint * 64 + salt) & 2147483647)::double precision + 0.5) / 2147483648.0 $$; \
         CREATE FUNCTION pg_temp.n(i bigint, salt integer) RETURNS double precision \
           LANGUAGE sql IMMUTABLE PARALLEL SAFE AS \
           $$ SELECT sqrt(-2 * ln(pg_temp.u(i, salt))) * cos(2 * pi() * pg_temp.u(i, salt + 32)) $$;"
    )
}
