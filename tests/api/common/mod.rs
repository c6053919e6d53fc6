pub mod app;
pub mod db;

pub use app::{TestApp, TestUser, problem};
