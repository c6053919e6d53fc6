//! Keys the service makes for itself when none is configured. Kept in the database so they
//! survive restarts and are shared by every instance.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rand::RngCore;

use crate::db::schema::app_secrets;

/// The secret called `name`, created with `len` random bytes on first use.
pub async fn get_or_create(conn: &mut AsyncPgConnection, name: &str, len: usize) -> QueryResult<Vec<u8>> {
    let mut fresh = vec![0u8; len];
    rand::rng().fill_bytes(&mut fresh);
    diesel::insert_into(app_secrets::table)
        .values((app_secrets::name.eq(name), app_secrets::value.eq(&fresh)))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    app_secrets::table.find(name).select(app_secrets::value).first(conn).await
}
