//! The frame of every page: language and direction, navigation, sign-in state.

use hamafza_kit::auth::Role;
use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::i18n::Lang;
use crate::web::Viewer;

/// A whole page.
pub fn page(viewer: &Viewer, title: &str, body: Markup) -> Markup {
    let lang = viewer.lang;
    let body = PreEscaped(super::cards::label_cells(&body.into_string()));
    html! {
        (DOCTYPE)
        html lang=(lang.code()) dir=(lang.dir()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — " (lang.pick("هم‌افزا", "Hamafza")) }
                link rel="stylesheet" href="/assets/app.css";
                link rel="icon" type="image/svg+xml" href="/favicon.svg";
            }
            body {
                header.top {
                    a.brand href="/" {
                        img src="/assets/logo.svg" alt="" width="32" height="32";
                        span {
                            (lang.pick("هم‌افزا", "Hamafza"))
                            small.holding {
                                (lang.pick(
                                    "ایمیدرو — آموزش روابط عمومی",
                                    "IMIDRO — PR training"
                                ))
                            }
                        }
                    }
                    // On a phone the menu folds behind a button (no script:
                    // the checkbox holds whether it is open).
                    input.menu-toggle id="menu-toggle" type="checkbox";
                    label.menu-button for="menu-toggle" { (lang.pick("منو", "Menu")) }
                    nav aria-label=(lang.pick("منوی اصلی", "Main menu")) {
                        a href="/" { (lang.pick("دوره‌ها", "Catalog")) }
                        @if viewer.session.is_some() {
                            a href="/me/learning" { (lang.pick("یادگیری من", "My learning")) }
                            a href="/me/certificates" {
                                (lang.pick("گواهی‌های من", "My certificates"))
                            }
                            a href="/library" { (lang.pick("کتابخانهٔ تجربه‌ها", "Library")) }
                            a href="/me/notifications" {
                                (lang.pick("اعلان‌ها", "Notifications"))
                                @if let Some(unread) = viewer.unread.filter(|n| *n > 0) {
                                    " " span.badge.unread { (lang.num(unread)) }
                                }
                            }
                        }
                        @if viewer.caller().is_some_and(|c| c.has(hamafza_kit::auth::Role::OrgManager)) {
                            a href="/org" { (lang.pick("روابط عمومی شرکت من", "My company")) }
                        }
                        @if viewer.holds(Role::PlatformAdmin) {
                            a href="/admin" { (lang.pick("مدیریت", "Back office")) }
                        }
                        a href="/calendar" { (lang.pick("تقویم", "Calendar")) }
                        @if viewer.holds(Role::Council) {
                            a href="/council" { (lang.pick("شورا", "Council")) }
                        }
                        @if viewer.holds(Role::Instructor) {
                            a href="/teach" { (lang.pick("کلاس‌های من", "My classes")) }
                        }
                        @if viewer.sees_benchmarks() {
                            a href="/benchmark" { (lang.pick("مقایسه شرکت‌ها", "Benchmarking")) }
                        }
                        a href="/verify" { (lang.pick("استعلام گواهی", "Verify")) }
                    }
                    a href=(viewer.switch_language()) lang=(lang.other().code()) {
                        (lang.pick("English", "فارسی"))
                    }
                    @match &viewer.session {
                        Some((_, session)) => {
                            span.muted { (session.caller.name) }
                            form.inline method="post" action="/signout" {
                                input type="hidden" name="csrf" value=(session.csrf);
                                button.secondary type="submit" { (lang.pick("خروج", "Sign out")) }
                            }
                        }
                        None => { a.button href="/signin" { (lang.pick("ورود", "Sign in")) } }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// A status as a coloured badge: its words (Persian, English) and its class
/// (`ok`, `warn`, `bad`, or empty for none).
pub fn badge(lang: Lang, (fa, en, class): (&str, &str, &str)) -> Markup {
    html! { span class={ "badge " (class) } { (lang.pick(fa, en)) } }
}

/// A list's pager: back to the first page when `page_token` is not it, and
/// on to the `next_page_token` when there is one; `href` makes a page's
/// link from its token (empty for the first).
pub fn pager(
    lang: Lang,
    page_token: &str,
    next_page_token: &str,
    href: impl Fn(&str) -> String,
) -> Markup {
    html! {
        @if !page_token.is_empty() || !next_page_token.is_empty() {
            p.pager {
                @if !page_token.is_empty() {
                    a.button href=(href("")) { (lang.pick("صفحهٔ نخست", "First page")) }
                    " "
                }
                @if !next_page_token.is_empty() {
                    a.button href=(href(next_page_token)) { (lang.pick("صفحهٔ بعد", "Next page")) }
                }
            }
        }
    }
}

/// A page with one message (errors, notices).
pub fn message_page(lang: Lang, title: &str, message: &str) -> Markup {
    // The page frame as the person sees it (signed in, their menu) when a
    // handler read who is looking; otherwise as anyone sees it.
    let viewer = Viewer::current()
        .map(|v| Viewer { lang, ..v })
        .unwrap_or_else(|| Viewer::anonymous(lang));
    page(
        &viewer,
        title,
        html! {
            h1 { (title) }
            @if !message.is_empty() { p.error { (message) } }
            p { a href="/" { (lang.pick("بازگشت به دوره‌ها", "Back to the catalog")) } }
        },
    )
}

/// An inline SVG from a trusted renderer (the QR code, the charts).
pub fn svg(markup: &str) -> PreEscaped<&str> {
    PreEscaped(markup)
}
