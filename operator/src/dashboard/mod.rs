//! The read-only dashboard (`--dashboard`): `/dashboard` lists every watched shot with its
//! progress and last frame, `/dashboard/shots/<namespace>/<name>` shows one shot's previews
//! and a paged grid of thumbnails, `/dashboard/api/shots` the overview as JSON. Every replica
//! serves it, the standby too: it keeps its own watch of RenderShots (the controllers' caches
//! fill only on the leader) and reads Secrets and storage itself. It never writes anything.

pub mod html;
pub mod images;
pub mod view;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use framefarm_crds::{FrameSet, RenderShot};
use futures::{StreamExt, stream};
use k8s_openapi::jiff::Timestamp;
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client};
use serde::Deserialize;

use crate::context::Context;
use html::{GridCell, ShotCard, ShotDetail};
use images::Images;
use view::{THUMBNAILS_PER_PAGE, frame_page, frame_state, shot_row, sorted_rows};

/// Shots whose images are looked up at once for the overview.
const IMAGE_LOOKUPS: usize = 8;

/// What the dashboard's pages read: the shots, and their images.
pub struct Dashboard {
    shots: Store<RenderShot>,
    images: Images,
    /// "namespace studio" or "all namespaces", for the page header.
    scope: String,
}

impl std::fmt::Debug for Dashboard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dashboard")
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl Dashboard {
    /// A dashboard of the shots in `namespace` (all when `None`), and the watch that fills
    /// its cache; the caller runs the watch for as long as the dashboard is served.
    pub fn start(
        context: Arc<Context>,
        namespace: Option<&str>,
    ) -> (Arc<Dashboard>, impl Future<Output = ()> + Send + 'static) {
        let client: Client = context.client.clone();
        let (api, scope) = match namespace {
            Some(namespace) => (
                Api::<RenderShot>::namespaced(client, namespace),
                format!("namespace {namespace}"),
            ),
            None => (Api::<RenderShot>::all(client), "all namespaces".to_owned()),
        };
        let (shots, writer) = reflector::store();
        let watch = watcher(api, watcher::Config::default().page_size(500))
            .default_backoff()
            .modify(|shot: &mut RenderShot| shot.metadata.managed_fields = None)
            .reflect(writer)
            .for_each(|_| async {});
        let dashboard = Dashboard {
            shots,
            images: Images::new(context),
            scope,
        };
        (Arc::new(dashboard), watch)
    }

    async fn card(&self, shot: &RenderShot, now: Timestamp) -> ShotCard {
        let row = shot_row(shot, now);
        let mut card = ShotCard {
            row,
            ..ShotCard::default()
        };
        if card.row.last_thumbnail_key.is_none() {
            return card;
        }
        match self.images.storage(shot).await {
            Ok(storage) => {
                let key = card.row.last_thumbnail_key.as_deref();
                card.last_thumbnail_url = self.images.url_or_none(shot, &storage, key).await;
            }
            Err(error) => tracing::debug!(%error, "no images for the overview"),
        }
        card
    }

    async fn detail(&self, shot: &RenderShot, page: u64, now: Timestamp) -> ShotDetail {
        let status = shot.status.clone().unwrap_or_default();
        let frames = FrameSet::parse(&shot.spec.frames).unwrap_or_default();
        let page = frame_page(&frames, page, THUMBNAILS_PER_PAGE);
        let mut detail = ShotDetail {
            card: ShotCard {
                row: shot_row(shot, now),
                ..ShotCard::default()
            },
            frames: shot.spec.frames.clone(),
            grid: Vec::new(),
            page,
            animation_url: None,
            contact_sheet_url: None,
            notice: None,
        };
        let mut thumbnails = Default::default();
        match self.images.storage(shot).await {
            Ok(storage) => {
                let images = &self.images;
                let row = &detail.card.row;
                detail.card.last_thumbnail_url = images
                    .url_or_none(shot, &storage, row.last_thumbnail_key.as_deref())
                    .await;
                detail.card.last_frame_url = images
                    .url_or_none(shot, &storage, row.last_frame_key.as_deref())
                    .await;
                let preview = status.preview.clone().unwrap_or_default();
                detail.animation_url = images
                    .url_or_none(shot, &storage, preview.animation_key.as_deref())
                    .await;
                detail.contact_sheet_url = images
                    .url_or_none(shot, &storage, preview.contact_sheet_key.as_deref())
                    .await;
                match storage.thumbnail_keys(&detail.page.frames).await {
                    Ok(keys) => thumbnails = keys,
                    Err(error) => detail.notice = Some(error.to_string()),
                }
                for key in thumbnails.values_mut() {
                    *key = images
                        .url_or_none(shot, &storage, Some(key))
                        .await
                        .unwrap_or_default();
                }
            }
            Err(error) => detail.notice = Some(error.to_string()),
        }
        let rendered = FrameSet::from_status(status.rendered_frames.as_deref());
        let failed = FrameSet::from_status(status.failed_frames.as_deref());
        detail.grid = detail
            .page
            .frames
            .iter()
            .map(|frame| {
                let url = thumbnails.remove(frame).filter(|url| !url.is_empty());
                GridCell {
                    frame: *frame,
                    state: frame_state(*frame, url.is_some(), &rendered, &failed),
                    thumbnail_url: url,
                }
            })
            .collect();
        detail
    }
}

/// The dashboard's routes, and `/` redirected to it.
pub fn router(dashboard: Arc<Dashboard>) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::temporary("/dashboard") }))
        .route("/dashboard", get(overview))
        .route("/dashboard/", get(overview))
        .route("/dashboard/api/shots", get(shots_json))
        .route("/dashboard/shots/{namespace}/{name}", get(shot_page))
        .with_state(dashboard)
}

fn no_store() -> [(axum::http::HeaderName, &'static str); 1] {
    // Pages hold presigned URLs and change every few seconds.
    [(axum::http::header::CACHE_CONTROL, "no-store")]
}

async fn overview(State(dashboard): State<Arc<Dashboard>>) -> Response {
    let now = Timestamp::now();
    let mut shots = dashboard.shots.state();
    shots.sort_by(|a, b| {
        (a.metadata.namespace.as_ref(), a.metadata.name.as_ref())
            .cmp(&(b.metadata.namespace.as_ref(), b.metadata.name.as_ref()))
    });
    let cards: Vec<ShotCard> = stream::iter(shots)
        .map(|shot| {
            let dashboard = dashboard.clone();
            async move { dashboard.card(&shot, now).await }
        })
        .buffered(IMAGE_LOOKUPS)
        .collect()
        .await;
    (
        no_store(),
        Html(html::overview_page(&cards, &dashboard.scope)),
    )
        .into_response()
}

async fn shots_json(State(dashboard): State<Arc<Dashboard>>) -> Response {
    let rows = sorted_rows(&dashboard.shots.state(), Timestamp::now());
    (no_store(), axum::Json(rows)).into_response()
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    page: Option<u64>,
}

async fn shot_page(
    State(dashboard): State<Arc<Dashboard>>,
    Path((namespace, name)): Path<(String, String)>,
    Query(query): Query<PageQuery>,
) -> Response {
    let reference = ObjectRef::new(&name).within(&namespace);
    let Some(shot) = dashboard.shots.get(&reference) else {
        let page = html::missing_page(&namespace, &name);
        return (StatusCode::NOT_FOUND, no_store(), Html(page)).into_response();
    };
    let detail = dashboard
        .detail(&shot, query.page.unwrap_or(1), Timestamp::now())
        .await;
    (no_store(), Html(html::shot_page(&detail))).into_response()
}
