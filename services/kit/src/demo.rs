//! The demo roster used by `hamafza up`: people of the holding and its member
//! companies, one per role the platform knows. Every service's demo data and
//! the gateway's development sign-in use these same identities.

use crate::auth::Role;

/// A demo person.
#[derive(Debug, Clone, Copy)]
pub struct DemoPerson {
    /// Token `sub`.
    pub subject: &'static str,
    /// Name in Persian (the token's `name`).
    pub name_fa: &'static str,
    /// Name in English.
    pub name_en: &'static str,
    /// Organization id.
    pub organization_id: &'static str,
    /// Roles.
    pub roles: &'static [Role],
}

/// Everyone in the demo, admin first.
pub const PEOPLE: &[DemoPerson] = &[
    DemoPerson {
        subject: "admin",
        name_fa: "دفتر روابط عمومی ایمیدرو",
        name_en: "IMIDRO PR Office",
        organization_id: "imidro",
        roles: &[Role::PlatformAdmin],
    },
    DemoPerson {
        subject: "council-msc",
        name_fa: "مهدی کاظمی",
        name_en: "Mahdi Kazemi",
        organization_id: "msc",
        roles: &[Role::Council, Role::OrgManager],
    },
    DemoPerson {
        subject: "council-gegh",
        name_fa: "نرگس موسوی",
        name_en: "Narges Mousavi",
        organization_id: "gegh",
        roles: &[Role::Council, Role::OrgManager],
    },
    DemoPerson {
        subject: "council-salco",
        name_fa: "حمید صالحی",
        name_en: "Hamid Salehi",
        organization_id: "salco",
        roles: &[Role::Council, Role::OrgManager],
    },
    DemoPerson {
        subject: "manager-ksc",
        name_fa: "لیلا جعفری",
        name_en: "Leila Jafari",
        organization_id: "ksc",
        roles: &[Role::OrgManager],
    },
    DemoPerson {
        subject: "instructor-rahimi",
        name_fa: "دکتر مریم رحیمی",
        name_en: "Dr. Maryam Rahimi",
        organization_id: "imidro",
        roles: &[Role::Instructor],
    },
    DemoPerson {
        subject: "trainee-msc-1",
        name_fa: "سارا احمدی",
        name_en: "Sara Ahmadi",
        organization_id: "msc",
        roles: &[Role::Trainee],
    },
    DemoPerson {
        subject: "trainee-ksc-1",
        name_fa: "علی رضایی",
        name_en: "Ali Rezaei",
        organization_id: "ksc",
        roles: &[Role::Trainee],
    },
    DemoPerson {
        subject: "trainee-gegh-1",
        name_fa: "زهرا حسینی",
        name_en: "Zahra Hosseini",
        organization_id: "gegh",
        roles: &[Role::Trainee],
    },
];

/// The demo person with `subject`.
pub fn person(subject: &str) -> Option<&'static DemoPerson> {
    PEOPLE.iter().find(|person| person.subject == subject)
}

/// The demo people holding `role`.
pub fn with_role(role: Role) -> impl Iterator<Item = &'static DemoPerson> {
    PEOPLE
        .iter()
        .filter(move |person| person.roles.contains(&role))
}

/// Colleagues in the demo directory who do not sign in to the demo (no role):
/// the people a company's PR manager picks when enrolling their staff.
/// (subject, Persian name, English name, organization, Persian job title).
pub const COLLEAGUES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "msc-pr-02",
        "رضا محمدی",
        "Reza Mohammadi",
        "msc",
        "کارشناس روابط عمومی",
    ),
    (
        "msc-pr-03",
        "فاطمه کریمی",
        "Fatemeh Karimi",
        "msc",
        "کارشناس رسانه",
    ),
    (
        "msc-pr-04",
        "امیر یوسفی",
        "Amir Yousefi",
        "msc",
        "عکاس و مستندساز",
    ),
    (
        "msc-pr-05",
        "مریم صادقی",
        "Maryam Sadeghi",
        "msc",
        "کارشناس شبکه‌های اجتماعی",
    ),
    (
        "msc-pr-06",
        "حسین نوری",
        "Hossein Noori",
        "msc",
        "کارشناس برگزاری نمایشگاه",
    ),
    (
        "ksc-pr-02",
        "نازنین عباسی",
        "Nazanin Abbasi",
        "ksc",
        "کارشناس روابط عمومی",
    ),
    (
        "ksc-pr-03",
        "محمد قاسمی",
        "Mohammad Ghasemi",
        "ksc",
        "کارشناس ارتباطات رسانه‌ای",
    ),
    (
        "gegh-pr-02",
        "الهام رستمی",
        "Elham Rostami",
        "gegh",
        "کارشناس روابط عمومی",
    ),
];

/// The email address of a demo person (a reserved `.example` domain: nothing
/// is ever delivered there).
pub fn email(subject: &str, organization_id: &str) -> String {
    format!("{subject}@{organization_id}.example")
}
