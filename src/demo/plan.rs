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
