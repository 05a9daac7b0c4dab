//! Sessions in the back office: meetings typed as Jalali dates and Tehran
//! times (no script needed), venue, the instructor from the people directory,
//! capacity, a seat quota per company, the enrolment window; then open,
//! close, or cancel with a reason, seeing first how many are told.

mod edit;
mod form;
mod new;
mod status;
mod view;

pub use edit::Sessions;
pub use form::SessionForm;
pub use new::NewQuery;
pub use status::{Counts, act, session_actions, session_badge};
pub use view::Lists;
pub(crate) use view::form_at;
