//! The people tests act as: the holding's admin, two council members, company
//! PR managers, an instructor, trainees of two companies, and a service.

use hamafza_kit::auth::Role;

/// A person: subject, organization, roles.
pub type Who = (&'static str, &'static str, &'static [Role]);

/// The holding's platform admin.
pub const ADMIN: Who = ("admin-1", "imidro", &[Role::PlatformAdmin]);
/// A council member who is also Mobarakeh Steel's PR manager.
pub const COUNCIL_A: Who = ("council-a", "msc", &[Role::Council, Role::OrgManager]);
/// A second council member (Gol-E-Gohar).
pub const COUNCIL_B: Who = ("council-b", "gegh", &[Role::Council]);
/// Mobarakeh Steel's PR manager.
pub const MANAGER_MSC: Who = ("manager-msc", "msc", &[Role::OrgManager]);
/// Khuzestan Steel's PR manager.
pub const MANAGER_KSC: Who = ("manager-ksc", "ksc", &[Role::OrgManager]);
/// An instructor of the holding.
pub const INSTRUCTOR: Who = ("instructor-1", "imidro", &[Role::Instructor]);
/// A trainee of Mobarakeh Steel.
pub const TRAINEE_MSC: Who = ("trainee-msc", "msc", &[Role::Trainee]);
/// Another trainee of Mobarakeh Steel.
pub const TRAINEE_MSC_2: Who = ("trainee-msc-2", "msc", &[Role::Trainee]);
/// A trainee of Khuzestan Steel.
pub const TRAINEE_KSC: Who = ("trainee-ksc", "ksc", &[Role::Trainee]);
/// The enrolments service calling on its own behalf.
pub const SERVICE: Who = ("enrolments", "platform", &[Role::Service]);
