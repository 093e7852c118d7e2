use herald_core::access::Role;
use herald_core::user::{NewUser, User};
use herald_store::{SignInMethod, Store};

use super::*;

/// A PHC string as the caller's password hashing makes one; the store only keeps it.
pub const ALICE_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$ZmFrZWhhc2hmYWtlaGFzaGZha2VoYXNoZmFrZWg";

fn new_user(email: &str, name: &str, role: Role) -> NewUser {
    NewUser {
        email: email.into(),
        name: name.into(),
        role,
    }
}

/// Console users: created (with or without a password hash), listed, refused when their email
/// is taken or a field is bad, disabled once, except the only active admin; the audit log
/// records each change and never the hash. Returns the hash it stored, so a runner can look for it under the trait.
pub async fn users(store: &dyn Store) -> &'static str {
    assert_eq!(store.users().await.unwrap(), vec![]);
    assert_eq!(
        store.user_credentials("alice@example.com").await.unwrap(),
        None
    );

    let last = store.last_event_id().await.unwrap();
    let alice = store
        .create_user(
            ADMIN,
            new_user(" Alice@Example.COM ", " Alice Admin ", Role::Admin),
            Some(ALICE_HASH.into()),
            t(0),
        )
        .await
        .unwrap();
    assert!(is_id(&alice.id));
    assert_eq!(
        alice,
        User {
            id: alice.id.clone(),
            email: "alice@example.com".into(),
            name: "Alice Admin".into(),
            role: Role::Admin,
            has_password: true,
            disabled_at: None,
            created_at: t(0),
            updated_at: t(0),
        }
    );
    let created = only(events_after(store, last).await);
    assert_eq!(
        (
            created.kind.as_str(),
            created.actor.as_str(),
            created.subject_type.as_str(),
            created.subject_id.as_str(),
            created.page_id.as_deref(),
            created.at,
        ),
        ("user.created", ADMIN, "user", alice.id.as_str(), None, t(0))
    );
    assert_eq!(created.before, None);
    assert_eq!(created.after, Some(json(&alice)));

    // Without a password: signs in by an emailed link only.
    let bob = store
        .create_user(
            ADMIN,
            new_user("bob@example.com", "Bob", Role::Responder),
            None,
            t(1),
        )
        .await
        .unwrap();
    assert!(!bob.has_password);
    assert_eq!(bob.role, Role::Responder);
    assert_eq!(
        store.users().await.unwrap(),
        vec![alice.clone(), bob.clone()]
    );

    // Credentials are found by email in any case, with the hash when there is one.
    assert_eq!(
        store.user_credentials("ALICE@example.com ").await.unwrap(),
        Some((alice.clone(), Some(ALICE_HASH.to_string())))
    );
    assert_eq!(
        store.user_credentials("bob@example.com").await.unwrap(),
        Some((bob.clone(), None))
    );
    assert_eq!(
        store.user_credentials("carol@example.com").await.unwrap(),
        None
    );

    // An email address already taken, in whatever case, is a conflict that names it.
    let err = refused(
        store,
        store.create_user(
            ADMIN,
            new_user("ALICE@example.com", "Another Alice", Role::Viewer),
            None,
            t(2),
        ),
    )
    .await;
    assert_conflict(&err);
    assert!(
        err.to_string().contains("alice@example.com") && err.to_string().contains("already"),
        "{err}"
    );
    // Bad fields, and a password where its hash belongs.
    let err = refused(
        store,
        store.create_user(ADMIN, new_user("carol", "Carol", Role::Viewer), None, t(2)),
    )
    .await;
    assert_invalid(&err, "email");
    let err = refused(
        store,
        store.create_user(
            ADMIN,
            new_user("carol@example.com", " ", Role::Viewer),
            None,
            t(2),
        ),
    )
    .await;
    assert_invalid(&err, "name");
    let err = refused(
        store,
        store.create_user(
            ADMIN,
            new_user("carol@example.com", &"c".repeat(201), Role::Viewer),
            None,
            t(2),
        ),
    )
    .await;
    assert_invalid(&err, "name");
    let err = refused(
        store,
        store.create_user(
            ADMIN,
            new_user("carol@example.com", "Carol", Role::Viewer),
            Some("hunter2hunter2".into()),
            t(2),
        ),
    )
    .await;
    assert_invalid(&err, "password_hash");
    assert_eq!(store.users().await.unwrap().len(), 2);

    // Disabled by id or by email address; once.
    let last = store.last_event_id().await.unwrap();
    let off = store.disable_user(ADMIN, &bob.id, t(3)).await.unwrap();
    assert_eq!(
        off,
        User {
            disabled_at: Some(t(3)),
            updated_at: t(3),
            ..bob.clone()
        }
    );
    assert!(!off.is_active());
    let disabled = only(events_after(store, last).await);
    assert_eq!(
        (disabled.kind.as_str(), disabled.subject_id.as_str()),
        ("user.disabled", bob.id.as_str())
    );
    assert_eq!(disabled.before, Some(json(&bob)));
    assert_eq!(disabled.after, Some(json(&off)));

    let last = store.last_event_id().await.unwrap();
    let again = store
        .disable_user(ADMIN, "BOB@example.com", t(4))
        .await
        .unwrap();
    assert_eq!(again, off);
    assert_eq!(store.last_event_id().await.unwrap(), last);

    // The only active admin stays enabled, so someone can still manage users.
    let err = refused(store, store.disable_user(ADMIN, "Alice@Example.com", t(5))).await;
    assert_domain(&err, DomainError::LastAdmin("alice@example.com".into()));
    // A disabled user's credentials are still found; signing in decides what that means.
    assert_eq!(
        store.user_credentials("bob@example.com").await.unwrap(),
        Some((off.clone(), None))
    );
    assert_eq!(store.users().await.unwrap(), vec![alice.clone(), off]);

    let err = refused(store, store.disable_user(ADMIN, "nobody@example.com", t(6))).await;
    assert_not_found(&err, "user", "nobody@example.com");
    let err = refused(
        store,
        store.disable_user(ADMIN, "0123456789abcdef01234567", t(6)),
    )
    .await;
    assert_not_found(&err, "user", "0123456789abcdef01234567");

    // The audit log: the three changes, none with the hash or anything like it.
    let events: Vec<EventRecord> = all_events(store)
        .await
        .into_iter()
        .filter(|e| e.subject_type == "user")
        .collect();
    assert_eq!(
        kinds(&events),
        ["user.created", "user.created", "user.disabled"]
    );
    for event in &events {
        let text = format!("{:?} {:?} {:?}", event.before, event.after, event.note);
        assert!(!text.contains("argon2"), "{text}");
        assert!(!text.contains("password_hash"), "{text}");
    }

    ALICE_HASH
}

/// A disabled user is enabled again by id or email address, once, audited; the sessions and
/// the sign-in link it had before stay ended, and signing in afresh works.
pub async fn user_enabling(store: &dyn Store) {
    let bob = store
        .create_user(
            ADMIN,
            new_user("bob@example.com", "Bob", Role::Responder),
            None,
            t(0),
        )
        .await
        .unwrap();
    let session = store
        .start_session(&bob.id, SignInMethod::Link, "127.0.0.1", t(1))
        .await
        .unwrap();
    let (_, link) = store
        .issue_sign_in_link("bob@example.com", t(1))
        .await
        .unwrap()
        .expect("a link");
    let off = store.disable_user(ADMIN, &bob.id, t(2)).await.unwrap();

    let last = store.last_event_id().await.unwrap();
    let on = store
        .enable_user(ADMIN, "BOB@example.com", t(3))
        .await
        .unwrap();
    assert_eq!(
        on,
        User {
            disabled_at: None,
            updated_at: t(3),
            ..off.clone()
        }
    );
    let enabled = only(events_after(store, last).await);
    assert_eq!(
        (
            enabled.kind.as_str(),
            enabled.actor.as_str(),
            enabled.subject_id.as_str()
        ),
        ("user.enabled", ADMIN, bob.id.as_str())
    );
    assert_eq!(enabled.before, Some(json(&off)));
    assert_eq!(enabled.after, Some(json(&on)));

    let last = store.last_event_id().await.unwrap();
    assert_eq!(store.enable_user(ADMIN, &bob.id, t(4)).await.unwrap(), on);
    assert_eq!(store.last_event_id().await.unwrap(), last);

    assert!(
        store
            .session(&session.secret, t(4))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .redeem_sign_in_link(&link, "127.0.0.1", t(4))
            .await
            .unwrap()
            .is_none()
    );
    let fresh = store
        .start_session(&bob.id, SignInMethod::Link, "127.0.0.1", t(5))
        .await
        .unwrap();
    assert!(store.session(&fresh.secret, t(5)).await.unwrap().is_some());

    // Signed out once, audited; the cookie opens nothing after, and signing out again is no
    // error and records nothing.
    let last = store.last_event_id().await.unwrap();
    store.end_session(&fresh.secret, t(6)).await.unwrap();
    let out = only(events_after(store, last).await);
    assert_eq!(
        (out.kind.as_str(), out.subject_id.as_str()),
        ("user.signed_out", bob.id.as_str())
    );
    assert!(store.session(&fresh.secret, t(6)).await.unwrap().is_none());
    store.end_session(&fresh.secret, t(7)).await.unwrap();
    store.end_session("no-such-secret", t(7)).await.unwrap();
    assert_eq!(store.last_event_id().await.unwrap(), out.id);

    let err = refused(store, store.enable_user(ADMIN, "nobody@example.com", t(6))).await;
    assert_not_found(&err, "user", "nobody@example.com");
}

/// Roles change by id or email address, audited; the same role changes nothing; the only
/// active admin keeps the role and stays enabled. Nudge channels read back as set.
pub async fn user_roles(store: &dyn Store) {
    let alice = store
        .create_user(
            ADMIN,
            new_user("alice@example.com", "Alice", Role::Admin),
            None,
            t(0),
        )
        .await
        .unwrap();
    let bob = store
        .create_user(
            ADMIN,
            new_user("bob@example.com", "Bob", Role::Viewer),
            None,
            t(0),
        )
        .await
        .unwrap();

    let err = refused(
        store,
        store.set_user_role(ADMIN, &alice.id, Role::Responder, t(1)),
    )
    .await;
    assert_domain(&err, DomainError::LastAdmin("alice@example.com".into()));

    let last = store.last_event_id().await.unwrap();
    let promoted = store
        .set_user_role(ADMIN, "BOB@example.com", Role::Admin, t(2))
        .await
        .unwrap();
    assert_eq!(
        promoted,
        User {
            role: Role::Admin,
            updated_at: t(2),
            ..bob.clone()
        }
    );
    let event = only(events_after(store, last).await);
    assert_eq!(
        (event.kind.as_str(), event.subject_id.as_str()),
        ("user.role_changed", bob.id.as_str())
    );
    assert_eq!(event.before, Some(json(&bob)));
    assert_eq!(event.after, Some(json(&promoted)));

    let last = store.last_event_id().await.unwrap();
    let same = store
        .set_user_role(ADMIN, &bob.id, Role::Admin, t(3))
        .await
        .unwrap();
    assert_eq!(same, promoted);
    assert_eq!(store.last_event_id().await.unwrap(), last);

    // With two admins, one may step down.
    let stepped = store
        .set_user_role(ADMIN, &alice.id, Role::Viewer, t(4))
        .await
        .unwrap();
    assert_eq!(stepped.role, Role::Viewer);
    // Now Bob is the only active admin: he keeps the role and stays enabled.
    let err = refused(store, store.disable_user(ADMIN, &bob.id, t(5))).await;
    assert_domain(&err, DomainError::LastAdmin("bob@example.com".into()));
    let err = refused(
        store,
        store.set_user_role(ADMIN, "nobody@example.com", Role::Admin, t(5)),
    )
    .await;
    assert_not_found(&err, "user", "nobody@example.com");

    assert_eq!(store.nudge_channels(&bob.id).await.unwrap(), vec![]);
    let channels = vec![herald_core::nudge::NudgeChannel {
        channel: herald_core::subscriber::Channel::Slack,
        address: "https://hooks.example.com/bob".into(),
    }];
    store
        .set_nudge_channels(ADMIN, &bob.id, channels.clone(), t(6))
        .await
        .unwrap();
    assert_eq!(
        store.nudge_channels("bob@example.com").await.unwrap(),
        channels
    );
    let err = refused(store, store.nudge_channels("nobody@example.com")).await;
    assert_not_found(&err, "user", "nobody@example.com");
}
