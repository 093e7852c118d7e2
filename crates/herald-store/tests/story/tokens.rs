use herald_core::access::Role;
use herald_store::{Store, Token};
use jiff::SignedDuration;

use super::*;

/// API tokens: a secret shown once, authentication by id and secret, revocation. Returns the
/// secrets it created, so that a runner can check the backend never stored them.
pub async fn tokens(store: &dyn Store) -> Vec<String> {
    assert_eq!(store.tokens().await.unwrap(), vec![]);

    let deploy = store
        .create_token(ADMIN, " deploy bot ".into(), Role::Responder, t(0))
        .await
        .unwrap();
    assert!(is_id(&deploy.token.id));
    assert_eq!(
        deploy.token,
        Token {
            id: deploy.token.id.clone(),
            name: "deploy bot".into(),
            role: Role::Responder,
            created_at: t(0),
            last_used_at: None,
            revoked_at: None,
        }
    );
    let hex = deploy
        .secret
        .strip_prefix("hrld_")
        .expect("secrets start with hrld_");
    assert_eq!(hex.len(), 64);
    assert!(hex.bytes().all(|b| b.is_ascii_hexdigit()));

    let viewer = store
        .create_token(ADMIN, "dashboard".into(), Role::Viewer, t(1))
        .await
        .unwrap();
    assert!(viewer.secret.starts_with("hrld_"));
    assert_ne!(viewer.secret, deploy.secret);
    assert_ne!(viewer.token.id, deploy.token.id);
    assert_eq!(
        store.tokens().await.unwrap(),
        vec![deploy.token.clone(), viewer.token.clone()]
    );

    // The right id and secret.
    let found = store
        .authenticate(Some(&deploy.token.id), &deploy.secret, t(2))
        .await
        .unwrap();
    let found = found.expect("the token authenticates");
    assert_eq!(
        (found.id.as_str(), found.name.as_str(), found.role),
        (deploy.token.id.as_str(), "deploy bot", Role::Responder)
    );
    let found = store
        .authenticate(Some(&viewer.token.id), &viewer.secret, t(2))
        .await
        .unwrap();
    assert_eq!(found.map(|t| t.role), Some(Role::Viewer));

    // The secret alone finds its token too.
    let found = store
        .authenticate(None, &viewer.secret, t(2))
        .await
        .unwrap();
    assert_eq!(found.map(|t| t.id), Some(viewer.token.id.clone()));

    // Use is recorded, at most once a minute.
    assert_eq!(last_used(store, &deploy.token.id).await, Some(t(2)));
    let soon = t(2) + SignedDuration::from_secs(30);
    assert!(
        store
            .authenticate(Some(&deploy.token.id), &deploy.secret, soon)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(last_used(store, &deploy.token.id).await, Some(t(2)));
    assert!(
        store
            .authenticate(Some(&deploy.token.id), &deploy.secret, t(4))
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(last_used(store, &deploy.token.id).await, Some(t(4)));

    // Anything else is no one.
    let mut wrong = deploy.secret.clone();
    wrong.replace_range(
        10..11,
        if &deploy.secret[10..11] == "0" {
            "1"
        } else {
            "0"
        },
    );
    let (deploy_id, viewer_id) = (
        Some(deploy.token.id.as_str()),
        Some(viewer.token.id.as_str()),
    );
    for (id, secret) in [
        (deploy_id, wrong.as_str()),
        (None, wrong.as_str()),
        (deploy_id, viewer.secret.as_str()),
        (viewer_id, deploy.secret.as_str()),
        (deploy_id, ""),
        (None, ""),
        (deploy_id, hex),
        (None, hex),
        (Some("nope"), deploy.secret.as_str()),
    ] {
        let found = store.authenticate(id, secret, t(5)).await.unwrap();
        assert_eq!(found, None, "{id:?} with {secret:?}");
    }

    // Revoked: no longer authenticates; the other token still does.
    let last = store.last_event_id().await.unwrap();
    store
        .revoke_token(ADMIN, &deploy.token.id, t(6))
        .await
        .unwrap();
    assert_eq!(store.last_event_id().await.unwrap(), last + 1);
    assert_eq!(
        store
            .authenticate(Some(&deploy.token.id), &deploy.secret, t(7))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .authenticate(None, &deploy.secret, t(7))
            .await
            .unwrap(),
        None
    );
    assert!(
        store
            .authenticate(Some(&viewer.token.id), &viewer.secret, t(7))
            .await
            .unwrap()
            .is_some()
    );
    let listed = store.tokens().await.unwrap();
    assert_eq!(
        listed[0],
        Token {
            last_used_at: Some(t(4)),
            revoked_at: Some(t(6)),
            ..deploy.token.clone()
        }
    );

    // Revoking again changes nothing.
    store
        .revoke_token(ADMIN, &deploy.token.id, t(8))
        .await
        .unwrap();
    assert_eq!(store.last_event_id().await.unwrap(), last + 1);
    assert_eq!(store.tokens().await.unwrap()[0].revoked_at, Some(t(6)));

    let err = refused(store, store.revoke_token(ADMIN, "nope", t(8))).await;
    assert_not_found(&err, "token", "nope");
    let err = refused(
        store,
        store.create_token(ADMIN, "  ".into(), Role::Admin, t(8)),
    )
    .await;
    assert_invalid(&err, "name");
    assert_eq!(store.tokens().await.unwrap().len(), 2);

    vec![deploy.secret, viewer.secret]
}

async fn last_used(store: &dyn Store, id: &str) -> Option<jiff::Timestamp> {
    let tokens = store.tokens().await.unwrap();
    tokens
        .into_iter()
        .find(|t| t.id == id)
        .expect("the token")
        .last_used_at
}
