//! The command line: `serve` (the default), `migrate`, `openapi`, `regions import`,
//! `users create`, `demo`, `quality judge`. Settings come from the environment (or the matching flags).

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};

use crate::api::openapi;
use crate::auth::password;
use crate::config::Settings;
use crate::db::{build_pool, migrate};
use crate::domain::{RegionCode, Role, UserId};
use crate::embedded_pg::{Durability, EmbeddedPostgres};
use crate::records::kept_counts;
use crate::records::region::import;
use crate::records::user::{self as users, NewUser};
use crate::startup::Application;
use crate::{bootstrap, telemetry};

/// The embedded cluster's database.
const EMBEDDED_DATABASE: &str = "stunting";

#[derive(Debug, Parser)]
#[command(name = "stunting-api", version, about = "REST/JSON API for stunting reduction in Indonesia")]
pub struct Cli {
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (the default): migrate, load regions and the first admin if missing, listen.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document, or write it to a file.
    Openapi {
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// The region list.
    Regions {
        #[command(subcommand)]
        command: RegionsCommand,
    },
    /// Accounts.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Demo data.
    Demo {
        #[command(subcommand)]
        command: DemoCommand,
    },
    /// The data checks on measurements.
    Quality {
        #[command(subcommand)]
        command: QualityCommand,
    },
    /// The counts kept for the dashboards, against a recount from the rows.
    Counts {
        #[command(subcommand)]
        command: CountsCommand,
    },
}

#[derive(Debug, Subcommand)]
enum CountsCommand {
    /// Recount from the rows and report every kept table that differs (exit code 1 if any):
    /// after manual SQL or a restore.
    Verify {
        #[command(flatten)]
        within: CountsWithin,
    },
    /// Replace the kept counts by the recount, table by table, each in one transaction
    /// (writers wait for it), beside the running service.
    Rebuild {
        #[command(flatten)]
        within: CountsWithin,
    },
}

#[derive(Debug, clap::Args)]
struct CountsWithin {
    /// Only the rows of this region and the regions inside it.
    #[arg(long)]
    region: Option<String>,
    /// Only the rows of this year (team counts have none and are always included).
    #[arg(long)]
    year: Option<i32>,
}

impl CountsWithin {
    fn parse(self) -> anyhow::Result<kept_counts::Within> {
        let region = self.region.map(|code| RegionCode::parse(&code).map_err(|e| anyhow::anyhow!("--region: {e}")));
        let year = self
            .year
            .map(|year| crate::domain::year_bounds(year).map(|_| year).map_err(|e| anyhow::anyhow!("--year: {e}")));
        Ok(kept_counts::Within { region: region.transpose()?, year: year.transpose()? })
    }
}

#[derive(Debug, Subcommand)]
enum QualityCommand {
    /// Run the data checks again on every child's measurements, a batch of children per
    /// transaction, beside the running service: after the upgrade that brought them (older
    /// measurements have no flags yet), or after a threshold changed.
    Judge {
        #[arg(long, default_value_t = 1_000)]
        batch: i64,
    },
}

#[derive(Debug, Subcommand)]
enum DemoCommand {
    /// Load Kabupaten Kampar's 2024 DAK Non Fisik BKKBN budget, as the district reported it.
    Load,
    /// Fill an empty database with a synthetic country over the real region list: children in
    /// every village, two weighing rounds a year, cases, interventions with monthly reports and
    /// budgets. The same seed gives the same data.
    Generate {
        #[arg(long, default_value_t = 100_000)]
        children: i64,
        #[arg(long, default_value_t = 1)]
        seed: i64,
        /// The last year weighed.
        #[arg(long, default_value_t = 2025)]
        year: i32,
        /// How many years end with `year`.
        #[arg(long, default_value_t = 1)]
        years: i32,
    },
}

#[derive(Debug, Subcommand)]
enum RegionsCommand {
    /// Load regions from a CSV file (code,parent_code,level,name); without FILE, the bundled
    /// Kemendagri list. Safe to repeat: new codes are added and changed names updated.
    Import { file: Option<PathBuf> },
}

#[derive(Debug, Subcommand)]
enum UsersCommand {
    /// Create an account. The password is read from standard input with --password-stdin;
    /// otherwise one is generated and printed.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long, value_parser = clap::value_parser!(Role))]
        role: Role,
        /// Region code; omit for all of Indonesia.
        #[arg(long)]
        scope: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        password_stdin: bool,
    },
}

impl clap::builder::ValueParserFactory for Role {
    type Parser = clap::builder::ValueParser;
    fn value_parser() -> Self::Parser {
        clap::builder::ValueParser::new(|s: &str| s.parse::<Role>())
    }
}

impl Cli {
    pub async fn run(self) -> ExitCode {
        telemetry::init(self.settings.log_format);
        match self.execute().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: {error:#}");
                ExitCode::FAILURE
            }
        }
    }

    async fn execute(self) -> anyhow::Result<()> {
        let settings = self.settings;
        match self.command.unwrap_or(Command::Serve) {
            Command::Openapi { output } => write_openapi(output),
            Command::Serve => serve(settings).await,
            Command::Migrate => {
                let database = Database::open(&settings).await?;
                drop(database);
                Ok(())
            }
            Command::Regions { command: RegionsCommand::Import { file } } => {
                let bytes = match &file {
                    Some(path) => std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?,
                    None => import::BUNDLED_CSV.to_vec(),
                };
                let rows = import::parse_csv(&bytes)?;
                let database = Database::open(&settings).await?;
                let mut conn = AsyncPgConnection::establish(&database.url).await?;
                let summary = import::import(&mut conn, &rows).await?;
                println!(
                    "{} regions read: {} added, {} renamed, {} unchanged",
                    summary.rows,
                    summary.inserted,
                    summary.renamed,
                    summary.rows - summary.inserted - summary.renamed
                );
                Ok(())
            }
            Command::Users {
                command: UsersCommand::Create { username, role, scope, display_name, password_stdin },
            } => {
                let database = Database::open(&settings).await?;
                let mut conn = AsyncPgConnection::establish(&database.url).await?;
                create_user(&mut conn, &username, role, scope, display_name, password_stdin).await
            }
            Command::Demo { command: DemoCommand::Generate { children, seed, year, years } } => {
                let database = Database::open(&settings).await?;
                let pool = build_pool(&database.url, 2, settings.database_statement_timeout_ms)?;
                bootstrap::first_start(&pool, &settings).await?;
                let mut conn = AsyncPgConnection::establish(&database.url).await?;
                let plan = crate::demo::generate::Plan { children, seed, year, years };
                println!("generating {children} children (seed {seed}, {years} year(s) to {year})");
                crate::demo::generate::generate(&mut conn, plan, |line| println!("  {line}")).await
            }
            Command::Quality { command: QualityCommand::Judge { batch } } => {
                let database = Database::open(&settings).await?;
                let mut conn = AsyncPgConnection::establish(&database.url).await?;
                let batch = batch.max(1);
                let judged = crate::records::child::quality::judge_everyone(&mut conn, batch, false, |n| {
                    if n % 100_000 < batch as u64 {
                        println!("  {n} children judged");
                    }
                })
                .await?;
                println!("{judged} children's measurements judged");
                Ok(())
            }
            Command::Counts { command } => {
                let database = Database::open(&settings).await?;
                let mut conn = AsyncPgConnection::establish(&database.url).await?;
                match command {
                    CountsCommand::Verify { within } => verify_counts(&mut conn, &within.parse()?).await,
                    CountsCommand::Rebuild { within } => rebuild_counts(&mut conn, &within.parse()?).await,
                }
            }
            Command::Demo { command: DemoCommand::Load } => {
                let database = Database::open(&settings).await?;
                let pool = build_pool(&database.url, 2, settings.database_statement_timeout_ms)?;
                bootstrap::first_start(&pool, &settings).await?;
                let mut conn = AsyncPgConnection::establish(&database.url).await?;
                let loaded = crate::demo::load(&mut conn).await?;
                if loaded.is_empty() {
                    println!("the demo data is already loaded");
                }
                for part in loaded {
                    println!("loaded {part}");
                }
                Ok(())
            }
        }
    }
}

/// The database the service uses, migrated: `DATABASE_URL`, or the embedded cluster (kept
/// running for as long as this value lives).
struct Database {
    url: String,
    _embedded: Option<EmbeddedPostgres>,
}

impl Database {
    async fn open(settings: &Settings) -> anyhow::Result<Self> {
        let (url, embedded) = match &settings.database_url {
            Some(url) => (url.clone(), None),
            None => {
                let root = settings.embedded_pg_dir.clone();
                let cluster =
                    tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&root, Durability::Durable)).await??;
                create_database_if_missing(&cluster.url("postgres"), EMBEDDED_DATABASE).await?;
                tracing::info!(dir = %cluster.root().display(), "using the embedded PostgreSQL cluster");
                (cluster.url(EMBEDDED_DATABASE), Some(cluster))
            }
        };
        let applied = migrate::run_pending(&url).await?;
        if applied > 0 {
            tracing::info!(applied, "applied database migrations");
        }
        Ok(Self { url, _embedded: embedded })
    }
}

pub async fn create_database_if_missing(admin_url: &str, name: &str) -> anyhow::Result<()> {
    use diesel::sql_types::Text;
    use diesel_async::RunQueryDsl;

    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        exists: bool,
    }
    let mut conn = AsyncPgConnection::establish(admin_url).await.context("cannot reach PostgreSQL")?;
    // SQL: pg_database is a catalog table, outside schema.rs.
    let found: Found = diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists")
        .bind::<Text, _>(name)
        .get_result(&mut conn)
        .await?;
    if !found.exists {
        conn.batch_execute(&format!("CREATE DATABASE \"{name}\"")).await?;
    }
    Ok(())
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    settings.check_secrets()?;
    let database = Database::open(&settings).await?;
    let pool = build_pool(&database.url, settings.database_pool_size, settings.database_statement_timeout_ms)?;
    bootstrap::first_start(&pool, &settings).await?;
    let app = Application::build(&settings, pool.clone()).await?;
    tracing::info!(address = %settings.listen_addr, port = app.port(), "listening");
    let served = app.run_until_stopped().await;
    pool.close();
    tracing::info!("stopped");
    drop(database);
    Ok(served?)
}

fn write_openapi(output: Option<PathBuf>) -> anyhow::Result<()> {
    let json = openapi::document_json()?;
    match output {
        Some(path) => std::fs::write(&path, json).with_context(|| format!("cannot write {}", path.display())),
        None => {
            print!("{json}");
            Ok(())
        }
    }
}

async fn create_user(
    conn: &mut AsyncPgConnection,
    username: &str,
    role: Role,
    scope: Option<String>,
    display_name: Option<String>,
    password_stdin: bool,
) -> anyhow::Result<()> {
    let scope = scope.map(|s| RegionCode::parse(&s)).transpose().context("--scope")?;
    let username = username.trim().to_lowercase();
    let (secret, generated) = if password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        let line = line.trim_end_matches(['\r', '\n']).to_owned();
        anyhow::ensure!(line.len() >= 12, "the password must be at least 12 characters");
        (line, false)
    } else {
        (password::generate_secret(), true)
    };
    let hash = password::hash(secret.clone()).await?;
    let new = NewUser {
        id: UserId::new(),
        username: &username,
        display_name: display_name.as_deref(),
        password_hash: &hash,
        role,
        scope: scope.as_ref(),
        created_by: None,
    };
    let user = users::create(conn, &new, "cli")
        .await
        .context("cannot create the account (is the username taken, the scope a known region?)")?;
    println!("created {} ({}) with id {}", user.username, role.as_str(), user.id);
    if generated {
        println!("password: {secret}");
    }
    Ok(())
}

async fn verify_counts(conn: &mut AsyncPgConnection, within: &kept_counts::Within) -> anyhow::Result<()> {
    let mut differing = 0;
    for kept in kept_counts::KEPT {
        let rows = kept_counts::differences(conn, kept, within).await?;
        println!("{:<18} {}", kept.table, if rows == 0 { "agrees".to_owned() } else { format!("{rows} rows differ") });
        differing += rows;
    }
    anyhow::ensure!(differing == 0, "{differing} kept rows differ from a recount; `counts rebuild` repairs them");
    Ok(())
}

async fn rebuild_counts(conn: &mut AsyncPgConnection, within: &kept_counts::Within) -> anyhow::Result<()> {
    for kept in kept_counts::KEPT {
        kept_counts::rebuild(conn, kept, within).await?;
        println!("{:<18} rebuilt", kept.table);
    }
    Ok(())
}
