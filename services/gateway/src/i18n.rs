//! Persian first, English alongside: the language of a page, its direction,
//! digits and dates.

use chrono::{DateTime, Utc};
use hamafza_kit::jalali;

/// A page's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Persian: right to left, Persian digits, Solar Hijri dates.
    Fa,
    /// English: left to right, Gregorian dates.
    En,
}

impl Lang {
    /// From a `lang` parameter or cookie; Persian unless English is asked for.
    pub fn parse(value: Option<&str>) -> Self {
        match value {
            Some("en") => Self::En,
            _ => Self::Fa,
        }
    }

    /// `fa` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Fa => "fa",
            Self::En => "en",
        }
    }

    /// `rtl` or `ltr`.
    pub fn dir(self) -> &'static str {
        match self {
            Self::Fa => "rtl",
            Self::En => "ltr",
        }
    }

    /// The other language.
    pub fn other(self) -> Self {
        match self {
            Self::Fa => Self::En,
            Self::En => Self::Fa,
        }
    }

    /// Picks the text in this language.
    pub fn pick<'a>(self, fa: &'a str, en: &'a str) -> &'a str {
        match self {
            Self::Fa => fa,
            Self::En => en,
        }
    }

    /// Picks bilingual text, falling back to the other language when empty.
    pub fn text(self, text: Option<&hamafza_proto::common::LocalizedText>) -> &str {
        let Some(text) = text else { return "" };
        match self {
            Self::Fa if !text.fa.is_empty() => &text.fa,
            Self::En if !text.en.is_empty() => &text.en,
            Self::Fa => &text.en,
            Self::En => &text.fa,
        }
    }

    /// A number in this language's digits; in Persian also its decimal
    /// separator (٫ between digits) and percent sign (٪).
    pub fn num(self, value: impl std::fmt::Display) -> String {
        let text = value.to_string();
        match self {
            Self::Fa => {
                let chars: Vec<char> = text.chars().collect();
                let persian: String = chars
                    .iter()
                    .enumerate()
                    .map(|(i, &c)| match c {
                        '.' if i > 0
                            && chars[i - 1].is_ascii_digit()
                            && chars.get(i + 1).is_some_and(char::is_ascii_digit) =>
                        {
                            '٫'
                        }
                        '%' => '٪',
                        c => c,
                    })
                    .collect();
                jalali::persian_digits(&persian)
            }
            Self::En => text,
        }
    }

    /// A count with thousands grouped (۱۲٬۳۴۵, 12,345). Not for years or
    /// codes, which are never grouped.
    pub fn count(self, value: impl Into<i64>) -> String {
        let value: i64 = value.into();
        let digits = value.unsigned_abs().to_string();
        let separator = self.pick("٬", ",");
        let mut grouped = String::new();
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push_str(separator);
            }
            grouped.push(digit);
        }
        let sign = if value < 0 { "-" } else { "" };
        self.num(format!("{sign}{grouped}"))
    }

    /// A percentage in this language's digits and sign.
    pub fn percent(self, value: impl std::fmt::Display) -> String {
        format!("{}{}", self.num(value), self.pick("٪", "%"))
    }

    /// A place in a queue in words: «نفر سوم فهرست انتظار», "3rd on the
    /// waitlist".
    pub fn waitlist_place(self, position: u32) -> String {
        const PERSIAN: [&str; 20] = [
            "اول",
            "دوم",
            "سوم",
            "چهارم",
            "پنجم",
            "ششم",
            "هفتم",
            "هشتم",
            "نهم",
            "دهم",
            "یازدهم",
            "دوازدهم",
            "سیزدهم",
            "چهاردهم",
            "پانزدهم",
            "شانزدهم",
            "هفدهم",
            "هجدهم",
            "نوزدهم",
            "بیستم",
        ];
        match self {
            Self::Fa => {
                let ordinal = usize::try_from(position)
                    .ok()
                    .and_then(|p| p.checked_sub(1))
                    .and_then(|i| PERSIAN.get(i))
                    .map_or_else(|| format!("{}ام", self.num(position)), |w| (*w).to_owned());
                format!("نفر {ordinal} فهرست انتظار")
            }
            Self::En => {
                let suffix = match (position % 10, position % 100) {
                    (_, 11..=13) => "th",
                    (1, _) => "st",
                    (2, _) => "nd",
                    (3, _) => "rd",
                    _ => "th",
                };
                format!("{position}{suffix} on the waitlist")
            }
        }
    }

    /// A date: Solar Hijri in Persian, Gregorian in English.
    pub fn date(self, instant: DateTime<Utc>) -> String {
        let shown = jalali::show(instant);
        match self {
            Self::Fa => shown.jalali_long,
            Self::En => shown.gregorian_long,
        }
    }

    /// A date with the time of day in Tehran.
    pub fn date_time(self, instant: DateTime<Utc>) -> String {
        let tehran = instant + chrono::Duration::minutes(210);
        let time = tehran.format("%H:%M").to_string();
        format!("{} {}", self.date(instant), self.num(time))
    }
}

/// A subject category's name: the catalogue's wording for the categories
/// the holding uses, the slug itself (e.g. a new one an admin made up) with
/// its dashes as spaces otherwise.
pub fn category_name(lang: Lang, slug: &str) -> String {
    let (fa, en) = match slug {
        "pr-foundations" => ("مبانی روابط عمومی", "PR foundations"),
        "media-relations" => ("ارتباط با رسانه‌ها", "Media relations"),
        "crisis-communication" => ("ارتباطات بحران", "Crisis communication"),
        "digital-media" => ("رسانه‌های دیجیتال", "Digital media"),
        "social-responsibility" => ("مسئولیت اجتماعی", "Social responsibility"),
        "events" => ("نمایشگاه‌ها و رویدادها", "Exhibitions and events"),
        "research" => ("پژوهش و سنجش", "Research and measurement"),
        "writing" => ("نگارش", "Writing"),
        "general" => ("عمومی", "General"),
        other => return other.replace('-', " "),
    };
    lang.pick(fa, en).to_owned()
}

/// An instant from the wire.
pub fn instant(timestamp: Option<&prost_types::Timestamp>) -> Option<DateTime<Utc>> {
    timestamp.and_then(hamafza_kit::time::from_timestamp)
}

/// What a page tells a person about a refusal, chosen by the error's stable
/// reason (kept from the service that refused) and never the service's own
/// English text; an unknown reason falls back to wording for its class.
pub fn refusal(lang: Lang, error: &hamafza_kit::ApiError) -> &'static str {
    use hamafza_kit::ErrorCode;
    let (fa, en) = match error.reason() {
        "SESSION_NOT_OPEN" => (
            "این دوره اکنون ثبت‌نام نمی‌پذیرد.",
            "This session is not taking enrolments now.",
        ),
        "ENROLMENT_WINDOW_CLOSED" => (
            "مهلت ثبت‌نام این دوره باز نیست.",
            "The enrolment window of this session is not open.",
        ),
        "COURSE_NOT_PUBLISHED" => (
            "این درس هنوز منتشر نشده است.",
            "This course has not been published.",
        ),
        "PREREQUISITES_MISSING" => (
            "ابتدا باید پیش‌نیازهای این درس را بگذرانید.",
            "Complete this course's prerequisites first.",
        ),
        "ALREADY_ENROLLED" => (
            "شما پیش‌تر در این دوره ثبت‌نام کرده‌اید.",
            "You are already enrolled in this session.",
        ),
        "WRONG_ENROLMENT_STATUS" => (
            "این کار در وضعیت کنونی ثبت‌نام ممکن نیست.",
            "This cannot be done in the enrolment's current status.",
        ),
        "ENROLMENT_NOT_ASSESSED" => (
            "دوره پس از پایان و ثبت نتیجه ارزشیابی می‌شود.",
            "A course is rated once it has ended and its result is recorded.",
        ),
        "EVALUATION_CLOSED" => (
            "مهلت ویرایش این ارزشیابی (۱۴ روز پس از نخستین ثبت) گذشته است.",
            "The time to change this rating (14 days after it was first given) has passed.",
        ),
        "MEETING_NOT_STARTED" => (
            "این جلسه هنوز شروع نشده است؛ حضور و غیاب از آغاز جلسه ثبت می‌شود.",
            "This meeting has not started yet; attendance is taken from its start.",
        ),
        "LAST_MEETING_NOT_STARTED" => (
            "آخرین جلسهٔ این دوره هنوز شروع نشده است؛ نتیجه پس از آغاز آن ثبت می‌شود.",
            "The session's last meeting has not started yet; results are recorded once it has.",
        ),
        "ATTENDED_A_MEETING" => (
            "این فراگیر در دست‌کم یک جلسه حاضر بوده و غایب کامل به شمار نمی‌آید؛ نمره‌ای برایش ثبت کنید (با حضور کم، مردود می‌شود).",
            "This trainee attended at least one meeting, so is not a no-show; record a score instead (too little attendance fails them).",
        ),
        "WRONG_SESSION_STATUS" | "WRONG_CATALOG_STATUS" => (
            "این کار در وضعیت کنونی ممکن نیست.",
            "This cannot be done in its current status.",
        ),
        "ETAG_MISMATCH" => (
            "کس دیگری در این فاصله آن را تغییر داده است؛ صفحه را دوباره باز کنید و تغییر خود را دوباره اعمال کنید.",
            "Someone else changed this in the meantime; reload the page and make your change again.",
        ),
        "PROGRAM_COURSES_NOT_PUBLISHED" => (
            "همهٔ درس‌های این برنامه باید پیش‌تر منتشر شده باشند.",
            "Every course of this program must be published first.",
        ),
        "REQUEST_ID_REUSED" => (
            "این درخواست پیش‌تر با محتوای دیگری فرستاده شده است.",
            "This request was already sent with different content.",
        ),
        "ALREADY_REVOKED" => (
            "این گواهی پیش‌تر ابطال شده است.",
            "This certificate has already been revoked.",
        ),
        "FORM_EXPIRED" => (
            "مهلت این فرم گذشته است؛ صفحه را دوباره باز کنید و دوباره تلاش کنید.",
            "The form has expired; reload the page and try again.",
        ),
        "SIGN_IN_FAILED" => (
            "ورود انجام نشد؛ دوباره تلاش کنید.",
            "Signing in did not succeed; please try again.",
        ),
        "OWN_ORGANIZATION_ONLY" => (
            "این صفحه فقط برای کارکنان همان شرکت است.",
            "This page is only for the organization's own people.",
        ),
        "COUNCIL_ONLY" => (
            "این صفحه برای اعضای شورای سیاست‌گذاری است.",
            "This page is for members of the policy council.",
        ),
        "ALREADY_VOTED" => (
            "شما در این دور بررسی پیش‌تر رأی داده‌اید.",
            "You have already voted in this review round.",
        ),
        "INSTRUCTORS_ONLY" => ("این صفحه برای مدرسان است.", "This page is for instructors."),
        "NOT_YOUR_SESSION" => (
            "فقط مدرس این دوره فهرست و حضور و غیاب آن را می‌بیند.",
            "Only the session's instructor sees its roster and attendance.",
        ),
        "PERSON_IN_OTHER_ORGANIZATION" => (
            "این فرد در فهرست کارکنان شرکت دیگری است.",
            "This person belongs to another company in the directory.",
        ),
        "TOO_MANY_PEOPLE" => (
            "در هر بار حداکثر ۲٬۰۰۰ نفر را می‌توان ثبت‌نام کرد.",
            "At most 2,000 people can be enrolled at once.",
        ),
        "PERSON_NOT_IN_DIRECTORY" => (
            "این فرد در فهرست کارکنان شرکت شما نیست.",
            "This person is not in your company's staff directory.",
        ),
        "PERSON_INACTIVE" => (
            "این فرد در فهرست کارکنان غیرفعال است.",
            "This person is marked inactive in the directory.",
        ),
        "UNKNOWN_ORGANIZATION" => (
            "این شرکت ثبت نشده است.",
            "This organization is not registered.",
        ),
        "NOTHING_SELECTED" => ("هیچ موردی انتخاب نشده است.", "Nothing was ticked."),
        "REASON_REQUIRED" => ("دلیل را بنویسید.", "Please give a reason."),
        "FILE_TOO_LARGE" => ("فایل بیش از اندازهٔ مجاز است.", "The file is too large."),
        "FILE_TYPE_NOT_ALLOWED" => (
            "این نوع فایل پذیرفته نیست؛ PDF، PNG، JPEG، PPTX، DOCX، XLSX یا ZIP بفرستید.",
            "This kind of file is not accepted; send a PDF, PNG, JPEG, PPTX, DOCX, XLSX or ZIP.",
        ),
        "TOO_MANY_FILES" => (
            "هر مورد حداکثر ده فایل دارد.",
            "An item holds at most ten files.",
        ),
        "NOT_A_MEMBER" => (
            "کتابخانه برای کارکنان شرکت‌های عضو است.",
            "The library is for the people of member companies.",
        ),
        "NOT_EDITABLE" => (
            "فقط نویسنده یا مدیر روابط عمومی شرکت، پیش‌نویس یا مورد برگشتی را ویرایش می‌کند.",
            "Only the author or their company's PR manager edits a draft or returned item.",
        ),
        "NOT_SUBMITTED" | "ITEM_CHANGED" => (
            "وضعیت این مورد در این فاصله تغییر کرده است؛ صفحه را دوباره باز کنید.",
            "This item's state has changed meanwhile; reload the page.",
        ),
        "RATE_LIMITED" => (
            "درخواست‌های زیاد؛ لطفاً کمی بعد دوباره تلاش کنید.",
            "Too many requests; please try again in a moment.",
        ),
        _ => match error.code() {
            ErrorCode::InvalidArgument => (
                "برخی از مقادیر واردشده درست نیستند.",
                "Some of the values given are not valid.",
            ),
            ErrorCode::Unauthenticated => ("ابتدا وارد شوید.", "Please sign in first."),
            ErrorCode::PermissionDenied => (
                "اجازهٔ این کار را ندارید.",
                "You are not allowed to do this.",
            ),
            ErrorCode::NotFound => (
                "آنچه خواستید پیدا نشد.",
                "What you asked for was not found.",
            ),
            ErrorCode::AlreadyExists => ("این مورد پیش‌تر ثبت شده است.", "This exists already."),
            ErrorCode::FailedPrecondition | ErrorCode::Aborted => {
                ("این کار اکنون ممکن نیست.", "This cannot be done right now.")
            }
            ErrorCode::ResourceExhausted => (
                "درخواست‌های زیاد؛ لطفاً کمی بعد دوباره تلاش کنید.",
                "Too many requests; please try again in a moment.",
            ),
            ErrorCode::Unavailable => (
                "سامانه موقتاً در دسترس نیست؛ کمی بعد دوباره تلاش کنید.",
                "The service is temporarily unavailable; please try again shortly.",
            ),
            ErrorCode::Internal => ("خطایی در سامانه رخ داد.", "Something went wrong."),
        },
    };
    lang.pick(fa, en)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn persian_numbers_use_persian_separators() {
        assert_eq!(Lang::Fa.num("12.5%"), "۱۲٫۵٪");
        assert_eq!(Lang::Fa.num("1405/09/08"), "۱۴۰۵/۰۹/۰۸");
        assert_eq!(Lang::Fa.num("v. 2"), "v. ۲");
        assert_eq!(Lang::En.num("12.5%"), "12.5%");
        assert_eq!(Lang::Fa.count(1_234_567), "۱٬۲۳۴٬۵۶۷");
        assert_eq!(Lang::Fa.count(-1200), "-۱٬۲۰۰");
        assert_eq!(Lang::En.count(999), "999");
        assert_eq!(Lang::En.count(12_345), "12,345");
        assert_eq!(Lang::Fa.percent(80), "۸۰٪");
    }

    #[test]
    fn persian_dates_and_digits() {
        let nowruz = Utc.with_ymd_and_hms(2026, 3, 21, 6, 0, 0).unwrap();
        assert_eq!(Lang::Fa.date(nowruz), "۱ فروردین ۱۴۰۵");
        assert_eq!(Lang::En.date(nowruz), "21 March 2026");
        assert_eq!(Lang::Fa.num(42), "۴۲");
        assert_eq!(Lang::Fa.date_time(nowruz), "۱ فروردین ۱۴۰۵ ۰۹:۳۰");
        assert_eq!(Lang::parse(Some("en")), Lang::En);
        assert_eq!(Lang::parse(Some("de")), Lang::Fa);
        assert_eq!(Lang::Fa.waitlist_place(3), "نفر سوم فهرست انتظار");
        assert_eq!(Lang::Fa.waitlist_place(21), "نفر ۲۱ام فهرست انتظار");
        assert_eq!(Lang::En.waitlist_place(1), "1st on the waitlist");
        assert_eq!(Lang::En.waitlist_place(12), "12th on the waitlist");
        assert_eq!(Lang::En.waitlist_place(23), "23rd on the waitlist");
    }
}
