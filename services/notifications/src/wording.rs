//! Every word a notification says, Persian first with English alongside:
//! titles, bodies and the lines of an email. Dates are Solar Hijri on
//! Tehran's clock with Persian digits in Persian, Gregorian in English.

use chrono::{DateTime, Utc};
use hamafza_kit::jalali;
use hamafza_proto::notifications::NotificationKind;

use crate::kind::Audience;

/// One meeting of a session.
#[derive(Debug, Clone)]
pub struct Meeting {
    /// Start.
    pub start: DateTime<Utc>,
    /// End.
    pub end: DateTime<Utc>,
}

/// What the words are made from.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The course's title in Persian.
    pub course_fa: String,
    /// … and English.
    pub course_en: String,
    /// The trainee's name in Persian.
    pub trainee_fa: String,
    /// … and English.
    pub trainee_en: String,
    /// The recipient's name in Persian.
    pub recipient_fa: String,
    /// … and English.
    pub recipient_en: String,
    /// A rejection's or cancellation's reason, as written.
    pub reason: String,
    /// The place in the waitlist.
    pub waitlist_place: u32,
    /// Whether the whole session was cancelled.
    pub session_cancelled: bool,
    /// The session's meetings.
    pub meetings: Vec<Meeting>,
    /// Where, in Persian.
    pub venue_fa: String,
    /// … and English.
    pub venue_en: String,
    /// The course evaluation form's address, for a trainee who passed
    /// (empty otherwise).
    pub evaluation_url: String,
    /// Whether the item is a program (else a course), for COUNCIL_REVIEW.
    pub program: bool,
    /// When the certificate expires, for CERTIFICATE_EXPIRING.
    pub expires: Option<DateTime<Utc>>,
    /// Whole days until then (rounded up).
    pub days_left: i64,
    /// The first meetings of the course's sessions open for enrolment
    /// (recertification), soonest first.
    pub open_sessions: Vec<DateTime<Utc>>,
    /// Where the notification leads, when not the kind's usual page.
    pub link: String,
}

/// A notification's words in one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words {
    /// One line.
    pub title: String,
    /// Paragraphs (plain text; the email's HTML escapes them).
    pub paragraphs: Vec<String>,
}

impl Words {
    /// The body as plain text.
    pub fn body(&self) -> String {
        self.paragraphs.join("\n\n")
    }
}

/// The Persian words.
pub fn persian(kind: NotificationKind, audience: Audience, facts: &Facts) -> Words {
    let course = fallback(&facts.course_fa, &facts.course_en);
    let trainee = fallback(&facts.trainee_fa, &facts.trainee_en);
    let whose = match audience {
        Audience::Trainee => "شما".to_owned(),
        Audience::Enroller | Audience::Manager | Audience::Instructor | Audience::Council => {
            trainee.to_owned()
        }
    };
    let (title, lead) = match kind {
        NotificationKind::EnrolmentConfirmed => (
            format!("ثبت‌نام در «{course}» قطعی شد"),
            format!(
                "ثبت‌نام {whose} در دورهٔ «{course}» قطعی شد و یک صندلی برایش نگه داشته شده است."
            ),
        ),
        NotificationKind::EnrolmentWaitlisted => {
            let place = jalali::persian_digits(&facts.waitlist_place.to_string());
            (
                format!("در فهرست انتظار «{course}»"),
                format!(
                    "ظرفیت دورهٔ «{course}» پر است؛ {whose} در فهرست انتظار، نفر {place} هستید. اگر صندلی آزاد شود، خبرتان می‌کنیم."
                ),
            )
        }
        NotificationKind::PromotedFromWaitlist => (
            format!("صندلی «{course}» آزاد شد"),
            format!("یک صندلی دورهٔ «{course}» آزاد شد و به {whose} رسید؛ ثبت‌نام قطعی است."),
        ),
        NotificationKind::ApprovalRequested => (
            format!("درخواست تأیید ثبت‌نام {trainee}"),
            format!("{trainee} برای دورهٔ «{course}» ثبت‌نام کرده و منتظر تأیید شماست."),
        ),
        NotificationKind::Approved => (
            format!("ثبت‌نام در «{course}» تأیید شد"),
            format!("شرکت ثبت‌نام {whose} در دورهٔ «{course}» را تأیید کرد."),
        ),
        NotificationKind::Rejected => (
            format!("ثبت‌نام در «{course}» رد شد"),
            format!("شرکت ثبت‌نام {whose} در دورهٔ «{course}» را نپذیرفت."),
        ),
        NotificationKind::Cancelled
            if facts.session_cancelled && audience == Audience::Instructor =>
        {
            (
                format!("دورهٔ «{course}» لغو شد"),
                format!(
                    "این نوبت دورهٔ «{course}» که تدریسش با شماست لغو شد؛ ثبت‌نام‌های آن، اگر بود، همه لغو شدند."
                ),
            )
        }
        NotificationKind::Cancelled if facts.session_cancelled => (
            format!("دورهٔ «{course}» لغو شد"),
            format!("این نوبت دورهٔ «{course}» لغو شد و ثبت‌نام {whose} هم لغو شد."),
        ),
        NotificationKind::Cancelled => (
            format!("ثبت‌نام در «{course}» لغو شد"),
            format!("ثبت‌نام {whose} در دورهٔ «{course}» لغو شد."),
        ),
        NotificationKind::CompletedPassed => (
            format!("دورهٔ «{course}» با موفقیت گذرانده شد"),
            format!(
                "تبریک! {whose} دورهٔ «{course}» را گذراندید؛ گواهی‌نامه به‌زودی در بخش گواهی‌نامه‌ها دیده می‌شود."
            ),
        ),
        NotificationKind::CompletedFailed => (
            format!("نتیجهٔ دورهٔ «{course}»"),
            format!("{whose} دورهٔ «{course}» را نگذراندید: نمره یا حضور به حد لازم نرسید."),
        ),
        NotificationKind::CouncilReview => (
            format!("«{course}» منتظر بررسی شوراست"),
            format!(
                "{} «{course}» برای بررسی به شورای سیاست‌گذاری فرستاده شد و منتظر رأی شماست.",
                if facts.program {
                    "برنامهٔ"
                } else {
                    "دورهٔ"
                }
            ),
        ),
        NotificationKind::SessionReminder => (
            format!("یادآوری: «{course}» به‌زودی شروع می‌شود"),
            format!(
                "نخستین جلسهٔ دورهٔ «{course}» کمتر از یک روز دیگر برگزار می‌شود؛ برنامه در زیر آمده است."
            ),
        ),
        NotificationKind::SessionChanged => (
            format!("زمان یا مکان «{course}» تغییر کرد"),
            format!(
                "زمان یا مکان جلسه‌های دورهٔ «{course}» تغییر کرد. برنامهٔ تازه در زیر آمده و دعوت‌نامهٔ تقویم هم به‌روز شده است."
            ),
        ),
        NotificationKind::CertificateExpiring => {
            let date = facts
                .expires
                .map(|at| jalali::show(at).jalali_long)
                .unwrap_or_default();
            let days = jalali::persian_digits(&facts.days_left.to_string());
            (
                format!("اعتبار گواهی‌نامهٔ «{course}» رو به پایان است"),
                match audience {
                    Audience::Trainee => format!(
                        "اعتبار گواهی‌نامهٔ شما برای دورهٔ «{course}» در {date} (تا {days} روز دیگر) به پایان می‌رسد. برای تمدید آن در یکی از نوبت‌های باز همین دوره ثبت‌نام کنید."
                    ),
                    Audience::Enroller
                    | Audience::Manager
                    | Audience::Instructor
                    | Audience::Council => format!(
                        "اعتبار گواهی‌نامهٔ {trainee} برای دورهٔ «{course}» در {date} (تا {days} روز دیگر) به پایان می‌رسد. برای تمدید آن می‌تواند در یکی از نوبت‌های باز همین دوره ثبت‌نام کند."
                    ),
                },
            )
        }
        NotificationKind::Unspecified => (String::new(), String::new()),
    };
    let lead = if audience == Audience::Trainee {
        lead
    } else {
        // «ثبت‌نام سارا احمدی …»: the third person needs no «هستید».
        lead.replace("هستید", "است")
            .replace("خبرتان", "خبر")
            .replace("گذراندید", "گذراند")
            .replace("نگذراندید", "نگذراند")
    };
    let mut paragraphs = vec![
        format!(
            "{} عزیز، سلام.",
            fallback(&facts.recipient_fa, &facts.recipient_en)
        ),
        lead,
    ];
    if !facts.reason.is_empty()
        && matches!(
            kind,
            NotificationKind::Rejected | NotificationKind::Cancelled
        )
    {
        paragraphs.push(format!("دلیل: {}", facts.reason));
    }
    if !facts.evaluation_url.is_empty() {
        paragraphs.push(format!(
            "نظرتان دربارهٔ این دوره و مدرس آن را با پنج پرسش کوتاه بگویید (بی‌نام؛ تا ۱۴ روز قابل ویرایش): {}",
            facts.evaluation_url
        ));
    }
    if shows_meetings(kind) && !facts.meetings.is_empty() {
        let mut lines = vec!["جلسه‌ها (به وقت تهران):".to_owned()];
        for meeting in &facts.meetings {
            let day = jalali::show(meeting.start);
            lines.push(format!(
                "• {} ساعت {} تا {}",
                day.jalali_long,
                jalali::persian_digits(&jalali::tehran(meeting.start).format("%H:%M").to_string()),
                jalali::persian_digits(&jalali::tehran(meeting.end).format("%H:%M").to_string()),
            ));
        }
        if !facts.venue_fa.is_empty() || !facts.venue_en.is_empty() {
            lines.push(format!(
                "مکان: {}",
                fallback(&facts.venue_fa, &facts.venue_en)
            ));
        }
        paragraphs.push(lines.join("\n"));
    }
    if kind == NotificationKind::CertificateExpiring {
        paragraphs.push(if facts.open_sessions.is_empty() {
            "اکنون نوبت بازی از این دوره نیست؛ نوبت‌های تازه در صفحهٔ دوره دیده می‌شوند.".to_owned()
        } else {
            let mut lines = vec!["نوبت‌های باز این دوره (آغاز نخستین جلسه):".to_owned()];
            for start in &facts.open_sessions {
                lines.push(format!("• {}", jalali::show(*start).jalali_long));
            }
            lines.join("\n")
        });
    }
    Words { title, paragraphs }
}

/// The English words.
pub fn english(kind: NotificationKind, audience: Audience, facts: &Facts) -> Words {
    let course = fallback(&facts.course_en, &facts.course_fa);
    let trainee = fallback(&facts.trainee_en, &facts.trainee_fa);
    let (whose, you_are) = match audience {
        Audience::Trainee => ("your".to_owned(), "you are".to_owned()),
        Audience::Enroller | Audience::Manager | Audience::Instructor | Audience::Council => {
            (format!("{trainee}'s"), format!("{trainee} is"))
        }
    };
    let (title, lead) = match kind {
        NotificationKind::EnrolmentConfirmed => (
            format!("Enrolment in “{course}” confirmed"),
            format!("Good news: {whose} enrolment in “{course}” is confirmed and a seat is held."),
        ),
        NotificationKind::EnrolmentWaitlisted => (
            format!("On the waitlist of “{course}”"),
            format!(
                "“{course}” is full; {you_are} number {} on its waitlist. We will write when a seat frees up.",
                facts.waitlist_place
            ),
        ),
        NotificationKind::PromotedFromWaitlist => (
            format!("A seat in “{course}” came free"),
            format!(
                "A seat in “{course}” came free and went to {whose} enrolment: it is confirmed."
            ),
        ),
        NotificationKind::ApprovalRequested => (
            format!("{trainee} asks for approval"),
            format!("{trainee} enrolled in “{course}” and waits for your approval."),
        ),
        NotificationKind::Approved => (
            format!("Enrolment in “{course}” approved"),
            format!("The company approved {whose} enrolment in “{course}”."),
        ),
        NotificationKind::Rejected => (
            format!("Enrolment in “{course}” rejected"),
            format!("The company did not approve {whose} enrolment in “{course}”."),
        ),
        NotificationKind::Cancelled
            if facts.session_cancelled && audience == Audience::Instructor =>
        {
            (
                format!("“{course}” is cancelled"),
                format!(
                    "This session of “{course}”, which you teach, was cancelled, with any enrolments in it."
                ),
            )
        }
        NotificationKind::Cancelled if facts.session_cancelled => (
            format!("“{course}” is cancelled"),
            format!("This session of “{course}” was cancelled, and {whose} enrolment with it."),
        ),
        NotificationKind::Cancelled => (
            format!("Enrolment in “{course}” cancelled"),
            format!(
                "{} enrolment in “{course}” was cancelled.",
                capitalized(&whose)
            ),
        ),
        NotificationKind::CompletedPassed => (
            format!("“{course}” passed"),
            format!(
                "Congratulations: {you_are} through “{course}”. The certificate will show under Certificates shortly."
            ),
        ),
        NotificationKind::CompletedFailed => (
            format!("The result of “{course}”"),
            format!(
                "{} did not pass “{course}”: the score or attendance fell short.",
                capitalized(match audience {
                    Audience::Trainee => "you",
                    Audience::Enroller
                    | Audience::Manager
                    | Audience::Instructor
                    | Audience::Council => trainee,
                })
            ),
        ),
        NotificationKind::CouncilReview => (
            format!("“{course}” waits for the council"),
            format!(
                "The {} “{course}” was submitted for the council's review and waits for your vote.",
                if facts.program { "program" } else { "course" }
            ),
        ),
        NotificationKind::SessionReminder => (
            format!("Reminder: “{course}” starts soon"),
            format!(
                "The first meeting of “{course}” is less than a day away; the schedule is below."
            ),
        ),
        NotificationKind::SessionChanged => (
            format!("“{course}” has moved"),
            format!(
                "The time or place of the meetings of “{course}” changed. The new schedule is below, and the calendar invitation is updated."
            ),
        ),
        NotificationKind::CertificateExpiring => {
            let date = facts
                .expires
                .map(|at| jalali::show(at).gregorian_long)
                .unwrap_or_default();
            let days = facts.days_left;
            (
                format!("The certificate for “{course}” expires soon"),
                match audience {
                    Audience::Trainee => format!(
                        "Your certificate for “{course}” expires on {date} (in {days} days). To renew it, enrol in one of the course's open sessions."
                    ),
                    Audience::Enroller
                    | Audience::Manager
                    | Audience::Instructor
                    | Audience::Council => format!(
                        "{trainee}'s certificate for “{course}” expires on {date} (in {days} days). They can renew it in one of the course's open sessions."
                    ),
                },
            )
        }
        NotificationKind::Unspecified => (String::new(), String::new()),
    };
    let mut paragraphs = vec![
        format!(
            "Dear {},",
            fallback(&facts.recipient_en, &facts.recipient_fa)
        ),
        lead,
    ];
    if !facts.reason.is_empty()
        && matches!(
            kind,
            NotificationKind::Rejected | NotificationKind::Cancelled
        )
    {
        paragraphs.push(format!("Reason: {}", facts.reason));
    }
    if !facts.evaluation_url.is_empty() {
        paragraphs.push(format!(
            "Tell us what you thought of the course and its instructor in five short questions (anonymous; you can change your answer for 14 days): {}",
            facts.evaluation_url
        ));
    }
    if shows_meetings(kind) && !facts.meetings.is_empty() {
        let mut lines = vec!["Meetings (Tehran time):".to_owned()];
        for meeting in &facts.meetings {
            lines.push(format!(
                "• {}, {} to {}",
                jalali::show(meeting.start).gregorian_long,
                jalali::tehran(meeting.start).format("%H:%M"),
                jalali::tehran(meeting.end).format("%H:%M"),
            ));
        }
        if !facts.venue_fa.is_empty() || !facts.venue_en.is_empty() {
            lines.push(format!(
                "Where: {}",
                fallback(&facts.venue_en, &facts.venue_fa)
            ));
        }
        paragraphs.push(lines.join("\n"));
    }
    if kind == NotificationKind::CertificateExpiring {
        paragraphs.push(if facts.open_sessions.is_empty() {
            "No session of this course is open right now; new ones will show on the course page."
                .to_owned()
        } else {
            let mut lines = vec!["Open sessions of this course (first meeting):".to_owned()];
            for start in &facts.open_sessions {
                lines.push(format!("• {}", jalali::show(*start).gregorian_long));
            }
            lines.join("\n")
        });
    }
    Words { title, paragraphs }
}

/// The link's words and the closing lines of an email.
pub struct Closing {
    /// The link's text.
    pub link: &'static str,
    /// Why they got it.
    pub footer: &'static str,
}

/// The closing in Persian.
pub const CLOSING_FA: Closing = Closing {
    link: "دیدن در سامانهٔ هم‌افزا",
    footer: "این پیام را سامانهٔ آموزشی هم‌افزا فرستاده است. اعلان‌های غیرضروری را می‌توانید از صفحهٔ تنظیمات اعلان‌ها خاموش کنید.",
};

/// The closing in English.
pub const CLOSING_EN: Closing = Closing {
    link: "Open in Hamafza",
    footer: "Sent by the Hamafza training platform. You can turn off the notifications you do not need in your notification settings.",
};

/// The calendar entry's title: the course, in both languages.
pub fn invitation_summary(facts: &Facts) -> String {
    match (facts.course_fa.is_empty(), facts.course_en.is_empty()) {
        (false, false) => format!("{} ({})", facts.course_fa, facts.course_en),
        (false, true) => facts.course_fa.clone(),
        _ => facts.course_en.clone(),
    }
}

/// Where a notification leads in the web app.
pub fn link(kind: NotificationKind) -> &'static str {
    match kind {
        NotificationKind::ApprovalRequested => "/org/requests",
        NotificationKind::CouncilReview => "/council",
        NotificationKind::CompletedPassed | NotificationKind::CertificateExpiring => {
            "/me/certificates"
        }
        _ => "/me/enrolments",
    }
}

fn shows_meetings(kind: NotificationKind) -> bool {
    matches!(
        kind,
        NotificationKind::EnrolmentConfirmed
            | NotificationKind::PromotedFromWaitlist
            | NotificationKind::Approved
            | NotificationKind::SessionChanged
            | NotificationKind::SessionReminder
    )
}

fn fallback<'a>(first: &'a str, second: &'a str) -> &'a str {
    if first.trim().is_empty() {
        second
    } else {
        first
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn facts() -> Facts {
        let start = Utc
            .with_ymd_and_hms(2026, 12, 1, 5, 30, 0)
            .single()
            .unwrap_or_default();
        Facts {
            course_fa: "روابط عمومی الکترونیک".to_owned(),
            course_en: "E-PR".to_owned(),
            trainee_fa: "سارا احمدی".to_owned(),
            trainee_en: "Sara Ahmadi".to_owned(),
            recipient_fa: "سارا احمدی".to_owned(),
            recipient_en: "Sara Ahmadi".to_owned(),
            meetings: vec![Meeting {
                start,
                end: start + chrono::Duration::hours(4),
            }],
            venue_fa: "تهران".to_owned(),
            ..Facts::default()
        }
    }

    #[test]
    fn persian_shows_jalali_dates_on_tehran_time_with_persian_digits() {
        let words = persian(
            NotificationKind::EnrolmentConfirmed,
            Audience::Trainee,
            &facts(),
        );
        assert_eq!(words.title, "ثبت‌نام در «روابط عمومی الکترونیک» قطعی شد");
        let body = words.body();
        assert!(body.contains("۱۰ آذر ۱۴۰۵ ساعت ۰۹:۰۰ تا ۱۳:۰۰"), "{body}");
        assert!(body.contains("مکان: تهران"), "{body}");
    }

    #[test]
    fn the_enroller_reads_about_the_trainee() {
        let mut facts = facts();
        facts.waitlist_place = 3;
        facts.recipient_fa = "مدیر".to_owned();
        let words = persian(
            NotificationKind::EnrolmentWaitlisted,
            Audience::Enroller,
            &facts,
        );
        assert!(
            words
                .body()
                .contains("سارا احمدی در فهرست انتظار، نفر ۳ است"),
            "{}",
            words.body()
        );
        let words = english(
            NotificationKind::EnrolmentWaitlisted,
            Audience::Enroller,
            &facts,
        );
        assert!(
            words.body().contains("Sara Ahmadi is number 3"),
            "{}",
            words.body()
        );
    }

    #[test]
    fn a_rejection_carries_its_reason() {
        let mut facts = facts();
        facts.reason = "بودجه نداریم".to_owned();
        let words = persian(NotificationKind::Rejected, Audience::Trainee, &facts);
        assert!(words.body().contains("دلیل: بودجه نداریم"));
        assert!(!words.body().contains("جلسه‌ها"));
    }

    #[test]
    fn a_pass_asks_for_the_course_evaluation() {
        let mut passed = facts();
        let url = "https://hamafza.example/me/learning/0190/evaluation";
        passed.evaluation_url = url.to_owned();
        for words in [
            persian(
                NotificationKind::CompletedPassed,
                Audience::Trainee,
                &passed,
            ),
            english(
                NotificationKind::CompletedPassed,
                Audience::Trainee,
                &passed,
            ),
        ] {
            assert!(words.paragraphs.last().is_some_and(|p| p.ends_with(url)));
        }
        let words = persian(
            NotificationKind::CompletedPassed,
            Audience::Trainee,
            &facts(),
        );
        assert!(!words.body().contains("/evaluation"));
    }
}
