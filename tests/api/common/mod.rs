pub mod app;
pub mod contract;
pub mod db;

pub use app::{TestApp, TestUser, created, problem};

/// A port on 127.0.0.1 free a moment ago, for a process the test starts itself.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}
