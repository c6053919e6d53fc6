//! A project-local PostgreSQL cluster for development and tests, started from the server
//! binaries installed on the machine. It listens only on a Unix socket in a private (0700)
//! folder, so nothing else on the machine or network can reach it, and trusts whoever can
//! reach that socket. PostgreSQL refuses to run as root: a root caller runs it as the
//! `postgres` user (or `nobody`).

use std::ffi::OsStr;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use anyhow::{Context, bail};
use nix::unistd::{Gid, Uid, User};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::Digest as _;

const SUPERUSER: &str = "postgres";
/// Unix socket paths longer than this do not fit `sockaddr_un`.
const MAX_SOCKET_PATH: usize = 100;

/// Whether a power cut may lose the cluster. The service's own cluster is what a small district
/// office runs for real, so it keeps PostgreSQL's defaults; test clusters are thrown away and
/// trade that safety for speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// PostgreSQL's defaults: `fsync`, full page writes and synchronous commit on.
    Durable,
    /// `fsync=off`, `full_page_writes=off`, `synchronous_commit=off`, `initdb --no-sync`.
    Throwaway,
}

pub struct EmbeddedPostgres {
    bin_dir: PathBuf,
    root: PathBuf,
    socket_dir: PathBuf,
    run_as: Option<(Uid, Gid)>,
    started_here: bool,
}

impl EmbeddedPostgres {
    /// Starts the cluster under `root` (creating it on first use), or reuses it when it is
    /// already running. Blocking: call it from a blocking thread inside async code.
    pub fn start(root: &Path, durability: Durability) -> anyhow::Result<Self> {
        Self::start_with(root, durability, "")
    }

    /// `start`, with extra server options for a fresh start (`-c shared_buffers=4GB`): the
    /// benchmarks size the cluster for tens of millions of rows.
    pub fn start_with(root: &Path, durability: Durability, extra_options: &str) -> anyhow::Result<Self> {
        let mut cluster = Self::prepare(root)?;
        let data = cluster.data_dir();
        if !data.join("PG_VERSION").exists() {
            let mut args = vec![
                OsStr::new("-D"),
                data.as_os_str(),
                OsStr::new("-U"),
                OsStr::new(SUPERUSER),
                OsStr::new("--auth=trust"),
                OsStr::new("--encoding=UTF8"),
                OsStr::new("--no-locale"),
            ];
            if durability == Durability::Throwaway {
                args.push(OsStr::new("--no-sync"));
            }
            cluster.run("initdb", args).context("initdb failed")?;
        }
        let options = match durability {
            Durability::Durable => extra_options.to_owned(),
            Durability::Throwaway => {
                format!("-c fsync=off -c synchronous_commit=off -c full_page_writes=off {extra_options}")
            }
        };
        cluster.run_server(&options)?;
        Ok(cluster)
    }

    /// Starts a streaming replica of `primary` under `root` (a base backup of it on first
    /// use): a read-only second server to point `DATABASE_READ_URL` at, on one machine.
    pub fn start_replica_of(primary: &EmbeddedPostgres, root: &Path) -> anyhow::Result<Self> {
        let mut cluster = Self::prepare(root)?;
        let data = cluster.data_dir();
        if !data.join("PG_VERSION").exists() {
            cluster
                .run(
                    "pg_basebackup",
                    [
                        OsStr::new("-D"),
                        data.as_os_str(),
                        OsStr::new("-h"),
                        primary.socket_dir.as_os_str(),
                        OsStr::new("-U"),
                        OsStr::new(SUPERUSER),
                        // Streams the WAL written meanwhile, and writes standby.signal with
                        // the primary's address.
                        OsStr::new("--wal-method=stream"),
                        OsStr::new("--write-recovery-conf"),
                        OsStr::new("--checkpoint=fast"),
                    ],
                )
                .context("pg_basebackup failed")?;
        }
        cluster.run_server("")?;
        Ok(cluster)
    }

    /// The folders of a cluster under `root`, made and handed to the server's user.
    fn prepare(root: &Path) -> anyhow::Result<Self> {
        let bin_dir = find_binaries()?;
        // Parents keep the usual permissions (the postgres user must traverse them); the
        // cluster's own folder is private.
        if let Some(parent) = root.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(root)
            .with_context(|| format!("cannot create {}", root.display()))?;
        let root = root.canonicalize()?;
        let run_as = unprivileged_user()?;
        let socket_dir = socket_dir_for(&root)?;
        if let Some((uid, gid)) = run_as {
            for dir in [&root, &socket_dir] {
                nix::unistd::chown(dir.as_path(), Some(uid), Some(gid))
                    .with_context(|| format!("cannot hand {} to the postgres user", dir.display()))?;
            }
        }
        Ok(Self { bin_dir, root, socket_dir, run_as, started_here: false })
    }

    /// Starts the server unless it already runs.
    fn run_server(&mut self, extra_options: &str) -> anyhow::Result<()> {
        if self.is_running() {
            return Ok(());
        }
        let options = format!(
            "-c listen_addresses='' -k '{}' -c unix_socket_permissions=0700 -c max_connections=200 \
             -c shared_buffers=128MB {extra_options}",
            self.socket_dir.display()
        );
        let log = self.root.join("postgres.log");
        let data = self.data_dir();
        self.run(
            "pg_ctl",
            [
                OsStr::new("-D"),
                data.as_os_str(),
                OsStr::new("-l"),
                log.as_os_str(),
                OsStr::new("-w"),
                OsStr::new("-t"),
                OsStr::new("60"),
                OsStr::new("-o"),
                OsStr::new(&options),
                OsStr::new("start"),
            ],
        )
        .with_context(|| format!("PostgreSQL did not start; see {}", log.display()))?;
        self.started_here = true;
        Ok(())
    }

    /// A connection URL for `database` over the cluster's Unix socket.
    pub fn url(&self, database: &str) -> String {
        let host = utf8_percent_encode(&self.socket_dir.to_string_lossy(), NON_ALPHANUMERIC).to_string();
        format!("postgresql://{SUPERUSER}@{host}/{database}")
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Stops the cluster if this process started it (a reused cluster belongs to its starter).
    pub fn stop(&mut self) -> anyhow::Result<()> {
        if !self.started_here {
            return Ok(());
        }
        self.started_here = false;
        let data = self.data_dir();
        self.run(
            "pg_ctl",
            [
                OsStr::new("-D"),
                data.as_os_str(),
                OsStr::new("-m"),
                OsStr::new("fast"),
                OsStr::new("-w"),
                OsStr::new("stop"),
            ],
        )
        .map(drop)
    }

    fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    fn is_running(&self) -> bool {
        let data = self.data_dir();
        self.run("pg_ctl", [OsStr::new("-D"), data.as_os_str(), OsStr::new("status")]).is_ok()
    }

    fn run<'a>(&self, program: &str, args: impl IntoIterator<Item = &'a OsStr>) -> anyhow::Result<Output> {
        let mut command = Command::new(self.bin_dir.join(program));
        command.args(args).current_dir(&self.root).env("LC_ALL", "C");
        if let Some((uid, gid)) = self.run_as {
            command.uid(uid.as_raw()).gid(gid.as_raw()).env_remove("HOME");
        }
        let output = command.output().with_context(|| format!("cannot run {program}"))?;
        if !output.status.success() {
            bail!("{program} failed: {}", String::from_utf8_lossy(&output.stderr).trim());
        }
        Ok(output)
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            eprintln!("could not stop the embedded PostgreSQL: {e:#}");
        }
    }
}

/// The folder holding `initdb` and `pg_ctl`: `POSTGRES_BIN_DIR`, then `PATH`, then
/// `pg_config --bindir`, then the newest `/usr/lib/postgresql/*/bin`.
pub fn find_binaries() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("POSTGRES_BIN_DIR").map(PathBuf::from) {
        return if has_server(&dir) {
            Ok(dir)
        } else {
            bail!("POSTGRES_BIN_DIR={} holds no initdb and pg_ctl", dir.display())
        };
    }
    let on_path =
        std::env::var_os("PATH").map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>()).unwrap_or_default();
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_string_lossy().parse::<u32>().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    debian.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
    first_with_server(on_path.into_iter().chain(from_pg_config).chain(debian.into_iter().map(|(_, dir)| dir)))
}

fn has_server(dir: &Path) -> bool {
    dir.join("initdb").is_file() && dir.join("pg_ctl").is_file()
}

fn first_with_server(candidates: impl IntoIterator<Item = PathBuf>) -> anyhow::Result<PathBuf> {
    // A folder of links (`/usr/local/bin/pg_ctl` → the installation) stands for the folder the
    // links point into, which also holds the other tools (pg_basebackup).
    let installed = |dir: PathBuf| {
        std::fs::canonicalize(dir.join("pg_ctl"))
            .ok()
            .and_then(|ctl| ctl.parent().map(Path::to_path_buf))
            .unwrap_or(dir)
    };
    candidates.into_iter().find(|dir| has_server(dir)).map(installed).context(
        "no PostgreSQL server binaries (initdb, pg_ctl) found: install them (Debian: \
         `apt-get install postgresql`) or set DATABASE_URL to an existing server",
    )
}

fn unprivileged_user() -> anyhow::Result<Option<(Uid, Gid)>> {
    if !Uid::effective().is_root() {
        return Ok(None);
    }
    let user = User::from_name("postgres")?
        .or(User::from_name("nobody")?)
        .context("running as root, and there is neither a `postgres` nor a `nobody` user to run PostgreSQL as")?;
    Ok(Some((user.uid, user.gid)))
}

/// `<root>/run`, or a private folder under /tmp when that path is too long for a socket.
fn socket_dir_for(root: &Path) -> anyhow::Result<PathBuf> {
    let preferred = root.join("run");
    let dir = if preferred.join(".s.PGSQL.5432").as_os_str().len() <= MAX_SOCKET_PATH {
        preferred
    } else {
        let digest = sha2::Sha256::digest(root.as_os_str().as_encoded_bytes());
        std::env::temp_dir().join(format!("stunting-pg-{:x}", u64::from_be_bytes(digest[..8].try_into()?)))
    };
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&dir)?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_binaries_the_error_names_the_package_and_the_alternative() {
        let empty = tempfile::tempdir().unwrap();
        let message = first_with_server([empty.path().to_path_buf()]).unwrap_err().to_string();
        assert!(message.contains("apt-get install postgresql"), "{message}");
        assert!(message.contains("DATABASE_URL"), "{message}");
    }

    #[test]
    fn socket_urls_percent_encode_the_folder() {
        let cluster = EmbeddedPostgres {
            bin_dir: PathBuf::new(),
            root: PathBuf::from("/x"),
            socket_dir: PathBuf::from("/tmp/a b/run"),
            run_as: None,
            started_here: false,
        };
        assert_eq!(cluster.url("stunting"), "postgresql://postgres@%2Ftmp%2Fa%20b%2Frun/stunting");
    }
}
