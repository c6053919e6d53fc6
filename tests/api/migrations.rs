use diesel::sql_types::BigInt;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use stunting_api::db::migrate;

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

async fn table_count(url: &str) -> i64 {
    let mut conn = AsyncPgConnection::establish(url).await.unwrap();
    diesel::sql_query(
        "SELECT count(*) AS n FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'",
    )
    .get_result::<Count>(&mut conn)
    .await
    .unwrap()
    .n
}

#[tokio::test]
async fn migrations_run_down_and_up_again() {
    let (name, url) = crate::common::db::create_empty_database().await;
    let applied = migrate::run_pending(&url).await.unwrap();
    assert!(applied >= 1);
    let tables = table_count(&url).await;
    assert!(tables >= 5);

    assert_eq!(migrate::revert_all(&url).await.unwrap(), applied);
    assert_eq!(table_count(&url).await, 0, "down migrations leave tables behind");

    assert_eq!(migrate::run_pending(&url).await.unwrap(), applied);
    assert_eq!(table_count(&url).await, tables);
    crate::common::db::drop_test_database(name);
}
