//! What a first start does to an empty database: load the region list and create the first
//! admin account. Later starts find both and do nothing.

use anyhow::Context;
use diesel::QueryDsl;
use diesel_async::RunQueryDsl;

use crate::auth::password;
use crate::config::Settings;
use crate::db::schema::regions;
use crate::db::{AsyncPgConnection, DbPool};
use crate::domain::{Role, UserId};
use crate::records::region::import;
use crate::records::user::{self as users, NewUser};

pub async fn first_start(pool: &DbPool, settings: &Settings) -> anyhow::Result<()> {
    let mut conn = pool.get().await.context("cannot connect to the database")?;
    let region_count: i64 = regions::table.count().get_result(&mut conn).await?;
    if region_count == 0 {
        let rows = import::parse_csv(import::BUNDLED_CSV)?;
        let summary = import::import(&mut conn, &rows).await?;
        tracing::info!(inserted = summary.inserted, "loaded the bundled region list");
    }
    if !users::any_admin(&mut conn).await? {
        create_first_admin(&mut conn, settings).await?;
    }
    Ok(())
}

async fn create_first_admin(conn: &mut AsyncPgConnection, settings: &Settings) -> anyhow::Result<()> {
    let username = settings.admin_username.trim().to_lowercase();
    let (secret, generated) = match &settings.admin_password {
        Some(password) if password.len() >= 12 => (password.clone(), false),
        Some(_) => anyhow::bail!("ADMIN_PASSWORD must be at least 12 characters"),
        None => (password::generate_secret(), true),
    };
    let hash = password::hash(secret.clone()).await?;
    let admin = NewUser {
        id: UserId::new(),
        username: &username,
        display_name: Some("Administrator"),
        password_hash: &hash,
        role: Role::Admin,
        scope: None,
        created_by: None,
    };
    users::create(conn, &admin, "first_start").await.context("cannot create the first admin account")?;
    tracing::info!(username = %username, "created the first admin account");
    if generated {
        // Printed once to the terminal, never logged: logs must not hold secrets.
        eprintln!(
            "\n  First admin account created.\n    username: {username}\n    password: {secret}\n  \
             It is shown only this once; set ADMIN_PASSWORD to choose it yourself.\n"
        );
    }
    Ok(())
}
