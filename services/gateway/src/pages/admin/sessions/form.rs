//! A session's form as typed: meeting rows in Jalali dates and Tehran times,
//! quotas per company, and its translation to and from the contract (with
//! which input each of the service's field violations names).

use std::collections::HashMap;

use hamafza_proto::common::{LocalizedText, TimeRange};
use hamafza_proto::courses as cpb;

use crate::i18n::Lang;
use crate::pages::admin::{
    EditForm, Problems, Values, field_index, field_key, jalali_parts, parse_jalali, parse_number,
};
use crate::pages::forms::first;

/// Most meetings the courses service takes for one session.
const MOST_MEETINGS: usize = 100;

/// Empty meeting rows offered below the session's own.
pub(crate) const SPARE_ROWS: usize = 3;

/// One meeting row as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct MeetingRow {
    pub(crate) date: String,
    pub(crate) start: String,
    pub(crate) end: String,
}

impl MeetingRow {
    pub(crate) fn is_empty(&self) -> bool {
        self.date.trim().is_empty() && self.start.trim().is_empty() && self.end.trim().is_empty()
    }

    pub(crate) fn normalized(&self) -> String {
        let d = |s: &str| hamafza_kit::jalali::latin_digits(s.trim());
        format!("{} {}-{}", d(&self.date), d(&self.start), d(&self.end))
    }
}

/// A session's fields as the form holds them.
#[derive(Debug, Clone, Default)]
pub struct SessionForm {
    pub(crate) course_id: String,
    pub(crate) meetings: Vec<MeetingRow>,
    pub(crate) venue_fa: String,
    pub(crate) venue_en: String,
    pub(crate) online_url: String,
    pub(crate) instructor: String,
    pub(crate) capacity: String,
    /// Seats by organization id, as typed.
    pub(crate) quotas: HashMap<String, String>,
    pub(crate) window_start: (String, String),
    pub(crate) window_end: (String, String),
    /// A new session's client request id: the same through a refused
    /// post and its corrected one, so that a double click creates one.
    pub(crate) request_id: String,
}

/// The update-mask paths the form holds, with their labels.
pub(super) const FIELDS: [(&str, (&str, &str)); 7] = [
    ("meetings", ("جلسه‌ها", "Meetings")),
    ("venue", ("مکان", "Venue")),
    ("online_url", ("پیوند برخط", "Online link")),
    ("instructor", ("مدرس", "Instructor")),
    ("capacity", ("ظرفیت", "Capacity")),
    ("quotas", ("سهمیهٔ شرکت‌ها", "Company quotas")),
    ("enrolment_window", ("مهلت ثبت‌نام", "Enrolment window")),
];

impl EditForm for SessionForm {
    type Item = cpb::Session;

    fn stored(lang: Lang, session: &cpb::Session) -> Self {
        let d = session.details.clone().unwrap_or_default();
        let parts = |t: Option<&prost_types::Timestamp>| {
            crate::i18n::instant(t).map_or_else(Default::default, |i| jalali_parts(lang, i))
        };
        let meetings = d
            .meetings
            .iter()
            .map(|m| {
                let (date, start) = parts(m.start_time.as_ref());
                let (_, end) = parts(m.end_time.as_ref());
                MeetingRow { date, start, end }
            })
            .collect();
        let venue = d.venue.clone().unwrap_or_default();
        let window = d.enrolment_window.unwrap_or_default();
        Self {
            course_id: session.course_id.clone(),
            meetings,
            venue_fa: venue.fa,
            venue_en: venue.en,
            online_url: d.online_url.clone(),
            instructor: d.instructor.clone().unwrap_or_default().subject,
            capacity: lang.num(d.capacity),
            quotas: d
                .quotas
                .iter()
                .map(|q| (q.organization_id.clone(), lang.num(q.seats)))
                .collect(),
            window_start: parts(window.start_time.as_ref()),
            window_end: parts(window.end_time.as_ref()),
            request_id: String::new(),
        }
    }

    fn posted(values: &Values) -> Self {
        let get = |k: &str| first(values, k).trim().to_owned();
        let mut meetings = Vec::new();
        // Every row posted, up to one past what courses takes: a session
        // with too many meetings is refused beside the field, never saved
        // with the rows past a limit dropped.
        for i in 0..=MOST_MEETINGS {
            let row = MeetingRow {
                date: get(&format!("meeting.{i}.date")),
                start: get(&format!("meeting.{i}.start")),
                end: get(&format!("meeting.{i}.end")),
            };
            if !values.contains_key(&format!("meeting.{i}.date")) {
                break;
            }
            meetings.push(row);
        }
        let quotas = values
            .iter()
            .filter_map(|(k, v)| {
                let org = k.strip_prefix("quota.")?;
                Some((org.to_owned(), v.first().cloned().unwrap_or_default()))
            })
            .collect();
        Self {
            course_id: get("course_id"),
            meetings,
            venue_fa: get("details.venue.fa"),
            venue_en: get("details.venue.en"),
            online_url: get("details.online_url"),
            instructor: get("details.instructor"),
            capacity: get("details.capacity"),
            quotas,
            window_start: (get("window.start.date"), get("window.start.time")),
            window_end: (get("window.end.date"), get("window.end.time")),
            request_id: get("request_id"),
        }
    }

    fn differing(&self, posted: &Self, lang: Lang) -> Vec<&'static str> {
        FIELDS
            .iter()
            .filter(|(path, _)| self.value(path) != posted.value(path))
            .map(|(_, label)| lang.pick(label.0, label.1))
            .collect()
    }
}

impl SessionForm {
    /// The rows actually sent (non-empty), with their row numbers.
    pub(crate) fn sent_rows(&self) -> Vec<usize> {
        (0..self.meetings.len())
            .filter(|&i| !self.meetings[i].is_empty())
            .collect()
    }

    /// The quotas actually sent (a number above zero), sorted.
    pub(crate) fn sent_quotas(&self) -> Vec<(String, String)> {
        let mut quotas: Vec<(String, String)> = self
            .quotas
            .iter()
            .map(|(org, seats)| (org.clone(), hamafza_kit::jalali::latin_digits(seats.trim())))
            .filter(|(_, seats)| !seats.is_empty() && !seats.trim_start_matches('0').is_empty())
            .collect();
        quotas.sort();
        quotas
    }

    /// One field's value, for comparing what was sent with what is stored.
    pub(crate) fn value(&self, path: &str) -> String {
        let d = |s: &str| hamafza_kit::jalali::latin_digits(s.trim());
        match path {
            "meetings" => self
                .sent_rows()
                .iter()
                .map(|&i| self.meetings[i].normalized())
                .collect::<Vec<_>>()
                .join("|"),
            "venue" => format!("{}|{}", self.venue_fa, self.venue_en),
            "online_url" => self.online_url.clone(),
            "instructor" => self.instructor.clone(),
            "capacity" => d(&self.capacity),
            "quotas" => self
                .sent_quotas()
                .iter()
                .map(|(o, s)| format!("{o}:{s}"))
                .collect::<Vec<_>>()
                .join(","),
            "enrolment_window" => format!(
                "{} {} {} {}",
                d(&self.window_start.0),
                d(&self.window_start.1),
                d(&self.window_end.0),
                d(&self.window_end.1)
            ),
            _ => String::new(),
        }
    }

    /// The details to send, or the problems the gateway sees itself (a date
    /// that is not one).
    pub(crate) fn details(
        &self,
        lang: Lang,
        people: &[cpb::Person],
    ) -> Result<cpb::SessionDetails, Problems> {
        let mut problems = Problems::default();
        let bad_date = lang.pick(
            "تاریخ را به‌صورت ۱۴۰۵/۰۹/۲۰ و ساعت را به‌صورت ۰۹:۳۰ بنویسید.",
            "Write the date as 1405/09/20 and the time as 09:30.",
        );
        let mut meetings = Vec::new();
        for i in self.sent_rows() {
            let row = &self.meetings[i];
            let start = parse_jalali(&row.date, &row.start);
            let end = parse_jalali(&row.date, &row.end);
            if start.is_none() || end.is_none() || row.start.is_empty() || row.end.is_empty() {
                problems.add(format!("meeting.{i}.date"), bad_date);
                continue;
            }
            meetings.push(cpb::Meeting {
                start_time: start.map(hamafza_kit::time::to_timestamp),
                end_time: end.map(hamafza_kit::time::to_timestamp),
                topic: None,
            });
        }
        let mut instant = |name: &str, (date, time): &(String, String)| {
            if date.is_empty() {
                return None;
            }
            let parsed = parse_jalali(date, time);
            if parsed.is_none() {
                problems.add(name, bad_date);
            }
            parsed.map(hamafza_kit::time::to_timestamp)
        };
        let opens = instant("window.start.date", &self.window_start);
        let closes = instant("window.end.date", &self.window_end);
        let capacity = parse_number(lang, &mut problems, "details.capacity", &self.capacity);
        let mut quotas = Vec::new();
        for (org, seats) in self.sent_quotas() {
            if let Some(seats) = parse_number(lang, &mut problems, &format!("quota.{org}"), &seats)
            {
                quotas.push(cpb::SeatQuota {
                    organization_id: org,
                    seats,
                });
            }
        }
        let instructor = people
            .iter()
            .find(|p| p.subject == self.instructor)
            .map(crate::pages::lookup::actor_of);
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(cpb::SessionDetails {
            meetings,
            venue: Some(LocalizedText {
                fa: self.venue_fa.clone(),
                en: self.venue_en.clone(),
            }),
            online_url: self.online_url.clone(),
            instructor,
            capacity: capacity.unwrap_or(0),
            quotas,
            enrolment_window: (opens.is_some() || closes.is_some()).then_some(TimeRange {
                start_time: opens,
                end_time: closes,
            }),
        })
    }

    /// The input a session violation's path names.
    pub(crate) fn input_of(&self, path: &str) -> Option<String> {
        let key = field_key(path);
        let rows = self.sent_rows();
        let top = key.split('.').next().unwrap_or_default();
        match top {
            "meetings" => {
                let row = field_index(path)
                    .and_then(|i| rows.get(i).copied())
                    .or_else(|| rows.first().copied())
                    .unwrap_or(0);
                Some(format!("meeting.{row}.date"))
            }
            "quotas" => {
                let quotas = self.sent_quotas();
                let org = field_index(path)
                    .and_then(|i| quotas.get(i))
                    .or_else(|| quotas.first())
                    .map(|(o, _)| o.clone())?;
                Some(format!("quota.{org}"))
            }
            "venue" => Some(if key.ends_with(".en") {
                "details.venue.en".to_owned()
            } else {
                "details.venue.fa".to_owned()
            }),
            "online_url" => Some("details.online_url".to_owned()),
            "instructor" => Some("details.instructor".to_owned()),
            "capacity" => Some("details.capacity".to_owned()),
            "enrolment_window" => Some(if key.ends_with("end_time") {
                "window.end.date".to_owned()
            } else {
                "window.start.date".to_owned()
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violations_land_on_the_rows_sent() {
        let mut form = SessionForm {
            meetings: vec![
                MeetingRow::default(),
                MeetingRow {
                    date: "1405/09/20".into(),
                    start: "09:00".into(),
                    end: "12:00".into(),
                },
            ],
            ..SessionForm::default()
        };
        form.quotas.insert("msc".into(), "5".into());
        form.quotas.insert("ksc".into(), "".into());
        assert_eq!(
            form.input_of("details.meetings[0].end_time").as_deref(),
            Some("meeting.1.date")
        );
        assert_eq!(
            form.input_of("details.quotas[0].seats").as_deref(),
            Some("quota.msc")
        );
        assert_eq!(
            form.input_of("details.enrolment_window.end_time")
                .as_deref(),
            Some("window.end.date")
        );
    }
}
