//! Emails: written by `lettre`'s builder (MIME, encoded headers) with plain
//! text and HTML alternatives, in the reader's language first (Persian by
//! default) and the other after it, and the
//! calendar invitation as a `text/calendar` alternative; sent through an SMTP
//! relay, or kept for the development mailbox when none is configured.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{Address, AsyncTransport, Message, Tokio1Executor};

use crate::invitation::Method;
use crate::kind::Language;
use crate::wording::{CLOSING_EN, CLOSING_FA, Closing, Words};

/// How long connecting to the relay may take (lettre bounds the connection
/// with it; the whole conversation is bounded by [`SEND_LIMIT`]).
const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

/// An email that could not be written or sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The sender or recipient address is not an address.
    #[error("address: {0}")]
    Address(#[from] lettre::address::AddressError),
    /// The message could not be built.
    #[error("message: {0}")]
    Message(#[from] lettre::error::Error),
    /// The relay URL is wrong.
    #[error("relay: {0}")]
    Relay(String),
    /// The relay refused or could not be reached.
    #[error("smtp: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    /// The relay did not finish within the time one send may take.
    #[error("smtp: the relay did not answer within {} s", SEND_LIMIT.as_secs())]
    Timeout,
}

/// The longest one SMTP conversation may take, the connection included
/// (lettre's own timeout bounds the connection only): well inside the lease
/// a worker holds on the email, so no other replica takes it over mid-send.
pub const SEND_LIMIT: std::time::Duration = std::time::Duration::from_secs(20);

impl MailError {
    /// Whether trying again later may succeed: the relay unreachable or
    /// silent, or a temporary (4xx) refusal; not a permanent (5xx) refusal,
    /// nor an address or message that is wrong.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Smtp(error) => !error.is_permanent(),
            Self::Timeout => true,
            Self::Address(_) | Self::Message(_) | Self::Relay(_) => false,
        }
    }
}

/// One email to write.
#[derive(Debug)]
pub struct Letter<'a> {
    /// The notification it carries (makes the Message-ID).
    pub id: uuid::Uuid,
    /// The sender.
    pub from: &'a Mailbox,
    /// The recipient's address and name.
    pub to: (&'a str, &'a str),
    /// The Persian words.
    pub fa: &'a Words,
    /// The English words.
    pub en: &'a Words,
    /// The whole link into the web app.
    pub link: &'a str,
    /// The invitation, with its method.
    pub calendar: Option<(Method, String)>,
    /// The language the reader reads first.
    pub language: Language,
}

/// The subject line: the reader's language first, then the other.
pub fn subject(fa: &Words, en: &Words, language: Language) -> String {
    match language {
        Language::Fa => format!("{} | {}", fa.title, en.title),
        Language::En => format!("{} | {}", en.title, fa.title),
    }
}

/// Writes the whole message (RFC 5322); also returns its HTML part. The
/// reader's language comes first, the other after it.
pub fn write(letter: &Letter<'_>) -> Result<(Vec<u8>, String), MailError> {
    let (address, name) = letter.to;
    let to = Mailbox::new(Some(name.to_owned()), address.parse::<Address>()?);
    let persian = (letter.fa, "fa", "rtl", &CLOSING_FA);
    let english = (letter.en, "en", "ltr", &CLOSING_EN);
    let (first, second) = match letter.language {
        Language::Fa => (persian, english),
        Language::En => (english, persian),
    };
    let text = format!(
        "{}\n\n{}: {}\n\n— — —\n\n{}\n\n{}: {}\n\n{}\n{}\n",
        first.0.body(),
        first.3.link,
        letter.link,
        second.0.body(),
        second.3.link,
        letter.link,
        first.3.footer,
        second.3.footer,
    );
    let html = format!(
        "<!doctype html><html lang=\"{lang}\" dir=\"{dir}\"><head><meta charset=\"utf-8\">\
         <title>{title}</title></head><body style=\"font-family:Vazirmatn,Tahoma,sans-serif;\
         line-height:1.8;color:#1f2937\">{first}<hr style=\"margin:2em 0\">{second}</body></html>",
        lang = first.1,
        dir = first.2,
        title = escape(&first.0.title),
        first = html_part(first.0, first.1, first.2, first.3, letter.link),
        second = html_part(second.0, second.1, second.2, second.3, letter.link),
    );
    let mut alternatives = MultiPart::alternative()
        .singlepart(SinglePart::plain(text))
        .singlepart(SinglePart::html(html.clone()));
    if let Some((method, calendar)) = &letter.calendar {
        let content_type = ContentType::parse(&format!(
            "text/calendar; charset=utf-8; method={}",
            method.as_str()
        ))
        .map_err(|error| MailError::Relay(error.to_string()))?;
        alternatives = alternatives.singlepart(
            SinglePart::builder()
                .header(content_type)
                .body(calendar.clone()),
        );
    }
    let message = Message::builder()
        .from(letter.from.clone())
        .to(to)
        .subject(subject(letter.fa, letter.en, letter.language))
        .message_id(Some(format!("<{}@hamafza>", letter.id)))
        .multipart(alternatives)?;
    Ok((message.formatted(), html))
}

fn html_part(words: &Words, lang: &str, dir: &str, closing: &Closing, link: &str) -> String {
    let paragraphs: String = words
        .paragraphs
        .iter()
        .map(|p| format!("<p>{}</p>", escape(p).replace('\n', "<br>")))
        .collect();
    format!(
        "<div lang=\"{lang}\" dir=\"{dir}\"><h2 style=\"font-size:1.2em\">{title}</h2>{paragraphs}\
         <p><a href=\"{href}\">{link_text}</a></p><p style=\"color:#6b7280;font-size:.85em\">\
         {footer}</p></div>",
        title = escape(&words.title),
        href = escape(link),
        link_text = escape(closing.link),
        footer = escape(closing.footer),
    )
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Where emails go.
#[derive(Clone)]
pub enum Outbound {
    /// An SMTP relay.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// Nowhere: kept in the database for the development mailbox.
    Mailbox,
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Smtp(_) => "Outbound::Smtp",
            Self::Mailbox => "Outbound::Mailbox",
        })
    }
}

impl Outbound {
    /// The relay at `url` (`smtp://`, `smtps://`, `?tls=required`), or the
    /// development mailbox when there is none.
    pub fn from_url(url: Option<&str>) -> Result<Self, MailError> {
        let Some(url) = url else {
            return Ok(Self::Mailbox);
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|error| MailError::Relay(error.to_string()))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(Self::Smtp(transport))
    }

    /// Sends the written `message` from `from` to `to`.
    pub async fn send(&self, from: &Mailbox, to: &str, message: &[u8]) -> Result<(), MailError> {
        match self {
            Self::Smtp(transport) => {
                let envelope =
                    lettre::address::Envelope::new(Some(from.email.clone()), vec![to.parse()?])?;
                tokio::time::timeout(SEND_LIMIT, transport.send_raw(&envelope, message))
                    .await
                    .map_err(|_| MailError::Timeout)??;
                Ok(())
            }
            Self::Mailbox => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape("<b>\"x\" & 'y'</b>"),
            "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;"
        );
    }
}
