//! The web app's pages, server-rendered HTML (maud escapes every value).

pub mod admin;
pub mod benchmark;
pub mod calendar;
pub mod cards;
pub mod catalog;
pub mod certificates;
pub mod changes;
pub mod council;
pub mod course;
pub mod evaluation;
pub mod evaluation_results;
pub mod forms;
pub mod hosting;
pub mod layout;
pub mod learning;
pub mod library;
pub mod lookup;
pub mod notifications;
pub mod org;
pub mod session;
pub mod signin;
pub mod teach;
pub mod verify;
