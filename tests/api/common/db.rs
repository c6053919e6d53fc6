//! The PostgreSQL server the tests use: `TEST_DATABASE_URL` (a server where they may create
//! databases), or a throwaway cluster started the way the embedded default starts and removed
//! when the test process exits. A template database is migrated and loaded with the region
//! list once per run; every test gets a `CREATE DATABASE … TEMPLATE` copy of it.

use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use stunting_api::db::migrate;
use stunting_api::embedded_pg::{Durability, EmbeddedPostgres};
use stunting_api::records::region::import;
use uuid::Uuid;

struct Server {
    base_url: String,
    template: String,
    cluster_dir: Option<PathBuf>,
}

static SERVER: OnceLock<Server> = OnceLock::new();
static CLUSTER: Mutex<Option<EmbeddedPostgres>> = Mutex::new(None);

fn server() -> &'static Server {
    // Set up on a thread of its own: its connections must not belong to any test's runtime.
    SERVER.get_or_init(|| std::thread::spawn(set_up).join().expect("setting up the test database failed"))
}

fn set_up() -> Server {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    runtime.block_on(async {
        let (base_url, cluster_dir) = match std::env::var("TEST_DATABASE_URL") {
            Ok(url) => (url, None),
            Err(_) => {
                let dir = std::env::temp_dir().join(format!("stunting-api-test-{}", std::process::id()));
                let cluster = EmbeddedPostgres::start(&dir, Durability::Throwaway)
                    .expect("starting a throwaway PostgreSQL cluster");
                let url = cluster.url("postgres");
                *CLUSTER.lock().unwrap() = Some(cluster);
                (url, Some(dir))
            }
        };
        // SAFETY: `clean_up` is a plain extern "C" function with no captured state.
        unsafe { libc::atexit(clean_up) };
        let template = format!("stunting_template_{}", Uuid::new_v4().simple());
        let mut admin = AsyncPgConnection::establish(&base_url).await.expect("connecting to the test server");
        admin.batch_execute(&format!("CREATE DATABASE {template}")).await.expect("creating the template");
        let template_url = with_database(&base_url, &template);
        migrate::run_pending(&template_url).await.expect("migrating the template");
        let mut conn = AsyncPgConnection::establish(&template_url).await.expect("connecting to the template");
        let rows = import::parse_csv(import::BUNDLED_CSV).expect("parsing the bundled regions");
        import::import(&mut conn, &rows).await.expect("loading regions into the template");
        Server { base_url, template, cluster_dir }
    })
}

/// A fresh database cloned from the template; returns its name and URL.
pub async fn create_test_database() -> (String, String) {
    let server = server();
    let name = format!("test_{}", Uuid::new_v4().simple());
    let mut admin = AsyncPgConnection::establish(&server.base_url).await.expect("connecting to the test server");
    admin
        .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {}", server.template))
        .await
        .expect("cloning the template database");
    let url = with_database(&server.base_url, &name);
    (name, url)
}

/// Drops a test database (from a thread of its own: this runs in `Drop`).
pub fn drop_test_database(name: String) {
    let base_url = server().base_url.clone();
    let _ = std::thread::spawn(move || drop_database(&base_url, &name)).join();
}

/// A database that has no template data: for tests that build a schema themselves.
pub async fn create_empty_database() -> (String, String) {
    let server = server();
    let name = format!("empty_{}", Uuid::new_v4().simple());
    let mut admin = AsyncPgConnection::establish(&server.base_url).await.expect("connecting to the test server");
    admin.batch_execute(&format!("CREATE DATABASE {name}")).await.expect("creating an empty database");
    (name.clone(), with_database(&server.base_url, &name))
}

fn drop_database(base_url: &str, name: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
    runtime.block_on(async {
        if let Ok(mut admin) = AsyncPgConnection::establish(base_url).await {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
        }
    });
}

pub fn with_database(base_url: &str, database: &str) -> String {
    let mut url = url::Url::parse(base_url).expect("TEST_DATABASE_URL is a URL");
    url.set_path(&format!("/{database}"));
    url.to_string()
}

extern "C" fn clean_up() {
    if let Some(server) = SERVER.get() {
        match &server.cluster_dir {
            None => drop_database(&server.base_url, &server.template),
            Some(dir) => {
                drop(CLUSTER.lock().map(|mut c| c.take()));
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }
}
