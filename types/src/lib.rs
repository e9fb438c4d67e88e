//! The vocabulary the crates share. Plain data with its rules, no I/O: a value of these types
//! has been checked once, where it entered, and is trusted everywhere after.

mod email;
mod rating;
mod role;

pub use email::{Email, EmailError};
pub use rating::Rating;
pub use role::Role;
