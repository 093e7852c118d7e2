use herald_core::page::{Page, PageFields, PageSettings};
use herald_store::{PagePatch, Store};

use super::*;

/// Pages: create, read by id and by slug, list, update; and what is refused.
pub async fn pages(store: &dyn Store) {
    assert_eq!(store.pages().await.unwrap(), vec![]);
    assert_eq!(store.last_event_id().await.unwrap(), 0);

    let fields = PageFields {
        slug: "acme".into(),
        name: "  Acme Cloud ".into(),
        time_zone: "Europe/Berlin".into(),
        settings: PageSettings::default(),
    };
    let acme = store.create_page(ADMIN, fields, t(0)).await.unwrap();
    assert!(is_id(&acme.id), "{:?}", acme.id);
    assert_eq!(
        acme,
        Page {
            id: acme.id.clone(),
            slug: "acme".into(),
            name: "Acme Cloud".into(),
            time_zone: "Europe/Berlin".into(),
            settings: PageSettings::default(),
            created_at: t(0),
            updated_at: t(0),
        }
    );
    assert_eq!(store.page(&acme.id).await.unwrap(), acme);
    assert_eq!(store.page("acme").await.unwrap(), acme);

    let beta = new_page(store, "beta", t(1)).await;
    assert_ne!(beta.id, acme.id);
    assert_eq!(
        store.pages().await.unwrap(),
        vec![acme.clone(), beta.clone()]
    );

    // Name and settings.
    let mut settings = PageSettings {
        default_subject: "Acme service status".into(),
        ..PageSettings::default()
    };
    settings.cadence.sev1.investigating = 5;
    settings.lint.require_issue_link = true;
    let patch = PagePatch {
        name: Some("Acme Platform".into()),
        settings: Some(settings.clone()),
        ..PagePatch::default()
    };
    let updated = store.update_page(ADMIN, "acme", patch, t(2)).await.unwrap();
    assert_eq!(
        updated,
        Page {
            name: "Acme Platform".into(),
            settings: settings.clone(),
            updated_at: t(2),
            ..acme.clone()
        }
    );
    assert_eq!(store.page(&acme.id).await.unwrap(), updated);

    // The slug, addressing the page by its id.
    let patch = PagePatch {
        slug: Some("acme-cloud".into()),
        ..PagePatch::default()
    };
    let renamed = store
        .update_page(ADMIN, &acme.id, patch, t(3))
        .await
        .unwrap();
    assert_eq!(
        renamed,
        Page {
            slug: "acme-cloud".into(),
            updated_at: t(3),
            ..updated.clone()
        }
    );
    assert_eq!(store.page("acme-cloud").await.unwrap(), renamed);
    assert_not_found(&store.page("acme").await.unwrap_err(), "page", "acme");

    // Refusals write nothing.
    let err = refused(
        store,
        store.create_page(ADMIN, page_fields("beta", "Beta again"), t(4)),
    )
    .await;
    assert_conflict(&err);
    assert!(err.to_string().contains("\"beta\""), "{err}");
    let to_beta = PagePatch {
        slug: Some("beta".into()),
        ..PagePatch::default()
    };
    assert_conflict(&refused(store, store.update_page(ADMIN, "acme-cloud", to_beta, t(4))).await);

    let err = refused(
        store,
        store.create_page(ADMIN, page_fields("Acme Cloud!", "Acme"), t(4)),
    )
    .await;
    assert_invalid(&err, "slug");
    let mut mars = page_fields("mars", "Mars");
    mars.time_zone = "Mars/Olympus_Mons".into();
    assert_invalid(
        &refused(store, store.create_page(ADMIN, mars, t(4))).await,
        "time_zone",
    );
    let bad_zone = PagePatch {
        time_zone: Some("Mars/Olympus_Mons".into()),
        ..PagePatch::default()
    };
    assert_invalid(
        &refused(store, store.update_page(ADMIN, "beta", bad_zone, t(4))).await,
        "time_zone",
    );
    let bad_slug = PagePatch {
        slug: Some("-beta".into()),
        ..PagePatch::default()
    };
    assert_invalid(
        &refused(store, store.update_page(ADMIN, "beta", bad_slug, t(4))).await,
        "slug",
    );
    let blank_name = PagePatch {
        name: Some("   ".into()),
        ..PagePatch::default()
    };
    assert_invalid(
        &refused(store, store.update_page(ADMIN, "beta", blank_name, t(4))).await,
        "name",
    );
    let err = refused(
        store,
        store.update_page(ADMIN, "nope", PagePatch::default(), t(4)),
    )
    .await;
    assert_not_found(&err, "page", "nope");
    assert_not_found(&store.page("nope").await.unwrap_err(), "page", "nope");

    // A slug that is another page's id would make one of the two unreachable.
    let err = refused(
        store,
        store.create_page(ADMIN, page_fields(&beta.id, "Shadow"), t(4)),
    )
    .await;
    assert_conflict(&err);
    let shadow = PagePatch {
        slug: Some(beta.id.clone()),
        ..PagePatch::default()
    };
    assert_conflict(&refused(store, store.update_page(ADMIN, "acme-cloud", shadow, t(4))).await);
    assert_eq!(store.page(&beta.id).await.unwrap(), beta);

    // A host name serves one page.
    let bind = |host: &str| {
        let mut settings = beta.settings.clone();
        settings.host = Some(host.into());
        PagePatch {
            settings: Some(settings),
            ..PagePatch::default()
        }
    };
    let beta = store
        .update_page(ADMIN, "beta", bind("status.beta.example"), t(5))
        .await
        .unwrap();
    assert_eq!(beta.settings.host.as_deref(), Some("status.beta.example"));
    let err = refused(
        store,
        store.update_page(ADMIN, "acme-cloud", bind("status.beta.example"), t(6)),
    )
    .await;
    assert_conflict(&err);
    assert!(err.to_string().contains("\"beta\""), "{err}");
    assert_invalid(
        &refused(
            store,
            store.update_page(ADMIN, "acme-cloud", bind("Status:80"), t(6)),
        )
        .await,
        "settings.host",
    );

    assert_eq!(store.pages().await.unwrap(), vec![renamed, beta]);
    assert_eq!(
        kinds(&all_events(store).await),
        [
            "page.created",
            "page.created",
            "page.updated",
            "page.updated",
            "page.updated"
        ]
    );
}
