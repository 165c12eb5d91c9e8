//! The dashboard's HTML: the overview of every shot and one shot's page, from values the
//! caller resolved (rows, image URLs). Every string from the cluster is escaped here. Pure:
//! no I/O, no signing.

use std::fmt::Write as _;

use super::view::{FramePage, FrameState, ShotRow};

/// Seconds between refreshes of an open page.
pub const REFRESH_SECONDS: u32 = 5;

const STYLE: &str = include_str!("style.css");

/// Replaces the page's `<main>` with a fresh copy every few seconds. Images keep their URLs
/// between refreshes (the caller reuses presigned URLs), so the browser shows them from its
/// cache without flicker. Without scripts, `<noscript>`'s meta refresh reloads the page.
const REFRESH_SCRIPT: &str = "setInterval(async () => {
  try {
    const response = await fetch(location.href, {cache: 'no-store'});
    if (!response.ok) return;
    const page = new DOMParser().parseFromString(await response.text(), 'text/html');
    const fresh = page.querySelector('main');
    if (fresh) document.querySelector('main').replaceWith(fresh);
  } catch (error) {}
}, REFRESH_MS);";

/// `text` made safe for HTML text and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// `segment` percent-encoded for a URL path: everything but unreserved characters.
pub fn path_segment(segment: &str) -> String {
    let mut encoded = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    encoded
}

/// The path of a shot's page.
pub fn shot_path(namespace: &str, name: &str) -> String {
    format!(
        "/dashboard/shots/{}/{}",
        path_segment(namespace),
        path_segment(name)
    )
}

/// A shot with the URLs of its images, where they could be made.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ShotCard {
    pub row: ShotRow,
    pub last_thumbnail_url: Option<String>,
    pub last_frame_url: Option<String>,
}

/// One frame of a shot's grid.
#[derive(Clone, Debug, PartialEq)]
pub struct GridCell {
    pub frame: u64,
    pub state: FrameState,
    pub thumbnail_url: Option<String>,
}

/// Everything a shot's page shows.
#[derive(Clone, Debug, PartialEq)]
pub struct ShotDetail {
    pub card: ShotCard,
    pub frames: String,
    pub page: FramePage,
    pub grid: Vec<GridCell>,
    pub animation_url: Option<String>,
    pub contact_sheet_url: Option<String>,
    /// Why images are missing, e.g. the storage could not be reached.
    pub notice: Option<String>,
}

fn document(title: &str, header: &str, main: &str) -> String {
    let refresh_ms = REFRESH_SECONDS * 1000;
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title>\
         <noscript><meta http-equiv=\"refresh\" content=\"{REFRESH_SECONDS}\"></noscript>\
         <style>{STYLE}</style></head>\n<body><header>{header}</header>\n\
         <main>{main}</main>\n<script>{script}</script></body></html>\n",
        title = escape(title),
        script = REFRESH_SCRIPT.replace("REFRESH_MS", &refresh_ms.to_string()),
    )
}

fn image(url: Option<&str>, alt: &str, placeholder: &str) -> String {
    match url {
        Some(url) => format!("<img src=\"{}\" alt=\"{}\">", escape(url), escape(alt)),
        None => escape(placeholder),
    }
}

fn progress_bar(row: &ShotRow) -> String {
    let tone = match row.phase.as_str() {
        "Succeeded" => " done",
        "Failed" => " failed",
        _ => "",
    };
    format!(
        "<div class=\"bar{tone}\" role=\"progressbar\" aria-valuemin=\"0\" aria-valuemax=\"100\" \
         aria-valuenow=\"{percent:.1}\" aria-label=\"{label}\"><span style=\"width:{percent:.1}%\">\
         </span></div>",
        percent = row.percent,
        label = escape(&format!("{} progress", row.name)),
    )
}

fn counts(row: &ShotRow) -> String {
    let mut text = format!(
        "<b>{}</b> / {} frames · {:.0}%",
        row.rendered, row.total, row.percent
    );
    if row.failed > 0 {
        let _ = write!(text, " · <b>{}</b> failed", row.failed);
    }
    if let Some(eta) = &row.eta {
        let _ = write!(text, " · ETA {}", escape(eta));
    }
    if let Some(frame) = row.last_frame {
        let _ = write!(text, " · last frame {frame}");
    }
    text
}

fn summary(row: &ShotRow, link: bool) -> String {
    let name = escape(&row.name);
    let title = if link {
        format!(
            "<a href=\"{}\">{name}</a>",
            escape(&shot_path(&row.namespace, &row.name))
        )
    } else {
        format!("<a>{name}</a>")
    };
    let mut html = format!(
        "<div class=\"title\">{title}<span class=\"ns\">{}</span>\
         <span class=\"phase phase-{phase}\">{phase}</span></div>{}<div class=\"counts\">{}</div>",
        escape(&row.namespace),
        progress_bar(row),
        counts(row),
        phase = escape(&row.phase),
    );
    if let Some(message) = &row.message {
        let _ = write!(html, "<div class=\"message\">{}</div>", escape(message));
    }
    html
}

/// The overview: one card per shot, each with its last rendered frame.
pub fn overview_page(cards: &[ShotCard], scope: &str) -> String {
    let header = format!(
        "<h1>Framefarm</h1><span class=\"sub\">{} {} · {}</span>",
        cards.len(),
        if cards.len() == 1 { "shot" } else { "shots" },
        escape(scope)
    );
    if cards.is_empty() {
        let main = "<div class=\"empty\">No RenderShots yet.</div>";
        return document("Framefarm", &header, main);
    }
    let mut main = String::from("<div class=\"shots\">");
    for card in cards {
        let row = &card.row;
        let alt = format!("{} last frame", row.name);
        let _ = write!(
            main,
            "<section class=\"shot\" data-shot=\"{}/{}\"><div class=\"still\">{}</div>\
             <div class=\"info\">{}</div></section>",
            escape(&row.namespace),
            escape(&row.name),
            image(card.last_thumbnail_url.as_deref(), &alt, "no frame yet"),
            summary(row, true),
        );
    }
    main.push_str("</div>");
    document("Framefarm", &header, &main)
}

fn figure(url: Option<&str>, class: &str, caption: &str) -> String {
    url.map(|url| {
        format!(
            "<figure class=\"{class}\"><img src=\"{}\" alt=\"{}\"><figcaption>{}</figcaption></figure>",
            escape(url),
            escape(caption),
            escape(caption)
        )
    })
    .unwrap_or_default()
}

fn pager(row: &ShotRow, page: &FramePage) -> String {
    let base = shot_path(&row.namespace, &row.name);
    let link = |number: u64, text: &str, enabled: bool| {
        if enabled {
            format!("<a href=\"{}?page={number}\">{text}</a>", escape(&base))
        } else {
            format!("<span class=\"off\">{text}</span>")
        }
    };
    format!(
        "<nav class=\"pager\">{}<span>Page {} of {}</span>{}</nav>",
        link(page.number.saturating_sub(1), "‹ Previous", page.number > 1),
        page.number,
        page.count,
        link(page.number + 1, "Next ›", page.number < page.count),
    )
}

/// One shot: summary, last frame, animated preview and contact sheet, and one page of the
/// frame grid.
pub fn shot_page(detail: &ShotDetail) -> String {
    let row = &detail.card.row;
    let header = format!(
        "<a href=\"/dashboard\">Framefarm</a><h1>{}</h1><span class=\"sub\">{} · frames {}</span>",
        escape(&row.name),
        escape(&row.namespace),
        escape(&detail.frames)
    );
    let mut main = String::new();
    if let Some(notice) = &detail.notice {
        let _ = write!(main, "<div class=\"notice\">{}</div>", escape(notice));
    }
    let last_caption = row
        .last_frame
        .map_or_else(String::new, |frame| format!("Last rendered frame: {frame}"));
    let _ = write!(
        main,
        "<div class=\"summary\"><div class=\"info\">{}</div></div><div class=\"media\">{}{}{}</div>",
        summary(row, false),
        figure(
            detail.card.last_thumbnail_url.as_deref(),
            "last",
            &last_caption
        ),
        figure(
            detail.animation_url.as_deref(),
            "animation",
            "Animated preview"
        ),
        figure(
            detail.contact_sheet_url.as_deref(),
            "contact-sheet",
            "Contact sheet"
        ),
    );
    if let Some(url) = &detail.card.last_frame_url {
        let _ = write!(
            main,
            "<div class=\"counts\"><a href=\"{}\">Full-size last frame</a> (link valid for a few \
             minutes)</div>",
            escape(url)
        );
    }
    let _ = write!(main, "<h2>Frames</h2><div class=\"grid\">");
    for cell in &detail.grid {
        let (class, placeholder) = match cell.state {
            FrameState::Rendered => ("Rendered", "no thumbnail"),
            FrameState::Failed => ("Failed", "failed"),
            FrameState::Pending => ("Pending", "pending"),
        };
        let _ = write!(
            main,
            "<div class=\"cell {class}\" data-frame=\"{frame}\"><div class=\"still\">{}</div>\
             <div class=\"num\">{frame}</div></div>",
            image(
                cell.thumbnail_url.as_deref(),
                &format!("frame {}", cell.frame),
                placeholder
            ),
            frame = cell.frame,
        );
    }
    main.push_str("</div>");
    main.push_str(&pager(row, &detail.page));
    document(&format!("{} · Framefarm", row.name), &header, &main)
}

/// The page of a shot that does not exist (or is not watched).
pub fn missing_page(namespace: &str, name: &str) -> String {
    let main = format!(
        "<div class=\"empty\">No RenderShot {} in namespace {}.</div>",
        escape(name),
        escape(namespace)
    );
    document(
        "Framefarm",
        "<a href=\"/dashboard\">Framefarm</a><h1>Not found</h1>",
        &main,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, message: Option<&str>) -> ShotRow {
        ShotRow {
            namespace: "studio".into(),
            name: name.into(),
            phase: "Rendering".into(),
            rendered: 60,
            failed: 0,
            total: 240,
            percent: 25.0,
            eta: Some("in 3 min".into()),
            message: message.map(str::to_owned),
            last_frame: Some(60),
            last_thumbnail_key: None,
            last_frame_key: None,
        }
    }

    #[test]
    fn escaping_neutralises_markup_and_quotes() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(escape("sh010-lighting"), "sh010-lighting");
    }

    #[test]
    fn strings_from_the_cluster_never_reach_the_page_unescaped() {
        let evil = "<img src=x onerror=alert(1)>";
        let card = ShotCard {
            row: row(evil, Some(evil)),
            last_thumbnail_url: Some("http://s3/\"><script>x</script>".into()),
            last_frame_url: None,
        };
        let page = overview_page(std::slice::from_ref(&card), evil);
        assert!(!page.contains(evil), "{page}");
        assert!(!page.contains("<script>x"), "{page}");
        assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"));
        let detail = ShotDetail {
            card,
            frames: evil.into(),
            page: FramePage {
                number: 1,
                count: 1,
                frames: vec![1],
            },
            grid: vec![],
            animation_url: None,
            contact_sheet_url: None,
            notice: Some(evil.into()),
        };
        let page = shot_page(&detail);
        assert!(!page.contains(evil), "{page}");
    }

    #[test]
    fn presigned_urls_keep_their_query_with_ampersands_escaped() {
        let card = ShotCard {
            row: row("sh010", None),
            last_thumbnail_url: Some("http://s3/b/k.jpg?X-Amz-Date=1&X-Amz-Signature=ab".into()),
            last_frame_url: None,
        };
        let page = overview_page(&[card], "all namespaces");
        assert!(page.contains("src=\"http://s3/b/k.jpg?X-Amz-Date=1&amp;X-Amz-Signature=ab\""));
    }

    #[test]
    fn the_overview_shows_a_progress_bar_counts_and_a_link_per_shot() {
        let cards = [
            ShotCard {
                row: row("sh010", None),
                ..ShotCard::default()
            },
            ShotCard {
                row: row("sh020", Some("the Secret studio-storage does not exist")),
                ..ShotCard::default()
            },
        ];
        let page = overview_page(&cards, "namespace studio");
        assert!(page.contains("aria-valuenow=\"25.0\""));
        assert!(page.contains("style=\"width:25.0%\""));
        assert!(page.contains("<b>60</b> / 240 frames"));
        assert!(page.contains("ETA in 3 min"));
        assert!(page.contains("href=\"/dashboard/shots/studio/sh010\""));
        assert!(page.contains("the Secret studio-storage does not exist"));
        assert!(page.contains("no frame yet"));
        assert_eq!(page.matches("<section class=\"shot\"").count(), 2);
    }

    #[test]
    fn an_empty_overview_says_so() {
        assert!(overview_page(&[], "all namespaces").contains("No RenderShots yet."));
    }

    #[test]
    fn links_encode_what_is_not_safe_in_a_path() {
        assert_eq!(
            shot_path("studio", "sh010.v2"),
            "/dashboard/shots/studio/sh010.v2"
        );
        assert_eq!(path_segment("a/b c?"), "a%2Fb%20c%3F");
    }

    #[test]
    fn the_shot_page_shows_the_grid_previews_and_a_pager() {
        let detail = ShotDetail {
            card: ShotCard {
                row: row("sh010", None),
                last_thumbnail_url: Some("http://s3/last.jpg".into()),
                last_frame_url: Some("http://s3/full.png".into()),
            },
            frames: "1-240".into(),
            page: FramePage {
                number: 2,
                count: 5,
                frames: vec![49, 50, 51],
            },
            grid: vec![
                GridCell {
                    frame: 49,
                    state: FrameState::Rendered,
                    thumbnail_url: Some("http://s3/49.jpg".into()),
                },
                GridCell {
                    frame: 50,
                    state: FrameState::Failed,
                    thumbnail_url: None,
                },
                GridCell {
                    frame: 51,
                    state: FrameState::Pending,
                    thumbnail_url: None,
                },
            ],
            animation_url: Some("http://s3/preview.gif".into()),
            contact_sheet_url: None,
            notice: None,
        };
        let page = shot_page(&detail);
        assert!(page.contains("<img src=\"http://s3/49.jpg\" alt=\"frame 49\""));
        assert!(page.contains("class=\"cell Failed\" data-frame=\"50\""));
        assert!(page.contains("class=\"cell Pending\" data-frame=\"51\""));
        assert!(page.contains("<figure class=\"animation\"><img src=\"http://s3/preview.gif\""));
        assert!(!page.contains("<figure class=\"contact-sheet\""));
        assert!(page.contains("Last rendered frame: 60"));
        assert!(page.contains("href=\"/dashboard/shots/studio/sh010?page=1\">‹ Previous"));
        assert!(page.contains("href=\"/dashboard/shots/studio/sh010?page=3\">Next ›"));
        assert!(page.contains("Page 2 of 5"));
    }

    #[test]
    fn every_page_refreshes_itself_and_needs_nothing_from_elsewhere() {
        let page = overview_page(&[], "all namespaces");
        assert!(page.contains("setInterval"));
        assert!(page.contains("}, 5000);"));
        assert!(page.contains("<meta http-equiv=\"refresh\" content=\"5\">"));
        assert!(!page.contains("<link"));
        assert!(!page.contains("<script src"));
        assert!(!page.contains("https://"));
    }
}
