pub mod app;
pub mod contract;
pub mod db;

pub use app::{TestApp, TestUser, created, problem};
