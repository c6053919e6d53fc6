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

/// A column as `src/db/schema.rs` writes it: `name -> Nullable<Int8>`.
type Columns = Vec<(String, String)>;
/// Each table: its primary key and its columns, in order.
type Tables = std::collections::BTreeMap<String, (Vec<String>, Columns)>;

/// The tables `diesel print-schema` writes (diesel.toml leaves out budget_counts, which has
/// no primary key).
const NOT_PRINTED: [&str; 2] = ["budget_counts", "__diesel_schema_migrations"];

/// What `diesel print-schema` calls a PostgreSQL type (with diesel.toml's patch: array
/// elements are never NULL).
fn diesel_type(pg: &str) -> String {
    let base = match pg.trim_end_matches("[]") {
        "text" => "Text",
        "smallint" => "Int2",
        "integer" => "Int4",
        "bigint" => "Int8",
        "boolean" => "Bool",
        "date" => "Date",
        "timestamp with time zone" => "Timestamptz",
        "uuid" => "Uuid",
        "jsonb" => "Jsonb",
        "bytea" => "Bytea",
        "double precision" => "Float8",
        "numeric" => "Numeric",
        "xid8" => "Xid8",
        other => panic!("add PostgreSQL type {other} to diesel_type"),
    };
    if pg.ends_with("[]") { format!("Array<{base}>") } else { base.to_owned() }
}

/// The tables, keys and columns `src/db/schema.rs` declares.
fn declared() -> Tables {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/db/schema.rs")).unwrap();
    let mut tables = Tables::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        if line.starts_with("    ") && !line.starts_with("     ") && trimmed.ends_with(") {") {
            let (name, key) = trimmed.trim_end_matches(" {").split_once(" (").unwrap();
            let key = key.trim_end_matches(')').split(", ").map(str::to_owned).collect();
            tables.insert(name.to_owned(), (key, Vec::new()));
            current = Some(name.to_owned());
        } else if let (Some(table), Some((column, ty))) = (&current, trimmed.split_once(" -> ")) {
            let ty = ty.trim_end_matches(',').to_owned();
            tables.get_mut(table).unwrap().1.push((column.to_owned(), ty));
        } else if trimmed == "}" {
            current = None;
        }
    }
    tables
}

#[derive(diesel::QueryableByName)]
struct Column {
    #[diesel(sql_type = diesel::sql_types::Text)]
    table_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    column_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pg_type: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    not_null: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    in_key: bool,
}

/// The tables the migrations make, as print-schema would declare them.
async fn migrated(url: &str) -> Tables {
    let mut conn = AsyncPgConnection::establish(url).await.unwrap();
    let columns: Vec<Column> = diesel::sql_query(
        "SELECT c.relname::text AS table_name, a.attname::text AS column_name, \
                format_type(a.atttypid, NULL) AS pg_type, a.attnotnull AS not_null, \
                EXISTS (SELECT 1 FROM unnest(k.indkey::int2[]) WITH ORDINALITY u (att, i) \
                        WHERE u.att = a.attnum AND u.i <= k.indnkeyatts) AS in_key \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
         LEFT JOIN pg_index k ON k.indrelid = c.oid AND k.indisprimary \
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') \
         ORDER BY c.relname, a.attnum",
    )
    .load(&mut conn)
    .await
    .unwrap();
    let mut tables = Tables::new();
    for column in columns.into_iter().filter(|c| !NOT_PRINTED.contains(&c.table_name.as_str())) {
        let (key, columns) = tables.entry(column.table_name).or_default();
        if column.in_key {
            key.push(column.column_name.clone());
        }
        let ty = diesel_type(&column.pg_type);
        columns.push((column.column_name, if column.not_null { ty } else { format!("Nullable<{ty}>") }));
    }
    tables
}

/// `schema.rs` is generated (`diesel print-schema`, see diesel.toml) and committed; this fails
/// when a migration changed a table and the file was not generated again.
#[tokio::test]
async fn schema_rs_declares_what_the_migrations_make() {
    let (name, url) = crate::common::db::create_test_database().await;
    let migrated = migrated(&url).await;
    crate::common::db::drop_test_database(name);
    let declared = declared();
    let names = |t: &Tables| t.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&declared), names(&migrated), "run `diesel print-schema` (diesel.toml) after a migration");
    for (table, (key, columns)) in &migrated {
        let (declared_key, declared_columns) = &declared[table];
        assert_eq!(columns, declared_columns, "columns of {table}: run `diesel print-schema`");
        let mut key = key.clone();
        key.sort();
        let mut declared_key = declared_key.clone();
        declared_key.sort();
        assert_eq!(key, declared_key, "primary key of {table}: run `diesel print-schema`");
    }
}

/// Raw SQL is for what diesel's DSL cannot write, and says so: every `sql_query(` call has a
/// `SQL:` reason in the three lines above it, so the next reader knows why it is not typed.
#[test]
fn every_raw_query_says_why_the_dsl_cannot() {
    fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut sources = Vec::new();
    files(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut sources);
    let mut silent = Vec::new();
    let mut calls = 0;
    for path in sources {
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if line.contains("sql_query(") && !line.trim_start().starts_with("//") {
                calls += 1;
                if !lines[i.saturating_sub(3)..i].iter().any(|above| above.contains("SQL:")) {
                    silent.push(format!("{}:{}", path.display(), i + 1));
                }
            }
        }
    }
    assert!(calls > 0, "no sql_query call found: the scan is looking in the wrong place");
    assert!(silent.is_empty(), "raw SQL without a `SQL:` reason above it: {silent:#?}");
}
