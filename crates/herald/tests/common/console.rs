//! A browser for the console's server-rendered pages, as far as tests need one: it keeps
//! cookies, does not follow redirects (tests look at them), and reads form tokens out of the
//! HTML. Users are made through the store, as `herald user create` makes them.
use std::collections::BTreeMap;

use herald_core::access::Role;
use herald_core::user::{NewUser, User};
use herald_store::Store;
use regex::Regex;

use super::Server;

/// A user with this address and role, named after the role ("responder person"), and a
/// password when one is given.
pub async fn add_user(s: &Server, email: &str, role: Role, password: Option<&str>) -> User {
    let name = format!("{} person", role.as_str());
    create_user(s, email, &name, role, password).await
}

/// A user made through the store, as `herald user create` makes one.
pub async fn create_user(
    s: &Server,
    email: &str,
    name: &str,
    role: Role,
    password: Option<&str>,
) -> User {
    let store = herald::server::open_store(s.data_dir()).expect("the store opens");
    let hash = password.map(|p| herald_web::password::hash(p).expect("an acceptable password"));
    let new = NewUser {
        email: email.into(),
        name: name.into(),
        role,
    };
    store
        .create_user("test-harness", new, hash, s.now())
        .await
        .expect("the user is created")
}

pub const PASSWORD: &str = "correct horse battery staple";

/// One answer: its status, where it redirects, its headers, its body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Answer {
    /// The first form token in the page.
    pub fn csrf(&self) -> String {
        let re = Regex::new(r#"name="_csrf" value="([^"]+)""#).unwrap();
        re.captures(&self.body)
            .unwrap_or_else(|| panic!("no form token in the page: {}", self.body))[1]
            .to_string()
    }
}

pub struct Browser<'a> {
    pub s: &'a Server,
    client: reqwest::Client,
    pub cookies: BTreeMap<String, String>,
    /// Sent as `X-Forwarded-For`, as a reverse proxy in front of Herald would.
    pub forwarded_for: Option<String>,
}

impl<'a> Browser<'a> {
    pub fn new(s: &'a Server) -> Browser<'a> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Browser {
            s,
            client,
            cookies: BTreeMap::new(),
            forwarded_for: None,
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&mut self, mut request: reqwest::RequestBuilder) -> Answer {
        if let Some(client) = &self.forwarded_for {
            request = request.header("x-forwarded-for", client);
        }
        let response = request
            .header("cookie", self.cookie_header())
            .send()
            .await
            .expect("the server answers");
        for value in response.headers().get_all("set-cookie") {
            let value = value.to_str().unwrap();
            let (pair, attributes) = value.split_once(';').unwrap_or((value, ""));
            let (name, content) = pair.split_once('=').unwrap();
            assert!(
                attributes.contains("HttpOnly") && attributes.contains("SameSite"),
                "console cookies are HttpOnly and SameSite: {value}"
            );
            if content.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.into(), content.into());
            }
        }
        Answer {
            status: response.status().as_u16(),
            location: response
                .headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_string()),
            headers: response.headers().clone(),
            body: response.text().await.unwrap_or_default(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        let request = self.client.get(self.s.url(path));
        self.send(request).await
    }

    /// Posts a form, as a browser on this site would.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let origin = self.s.base.clone();
        self.post_from(path, fields, &origin).await
    }

    /// Posts a form with this `Origin`, as a page of that site would.
    pub async fn post_from(&mut self, path: &str, fields: &[(&str, &str)], origin: &str) -> Answer {
        let body: String = form_body(fields);
        let request = self
            .client
            .post(self.s.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", origin)
            .body(body);
        self.send(request).await
    }

    /// Signs in with a password; asserts it worked.
    pub async fn sign_in(&mut self, email: &str, password: &str) {
        let answer = self.try_sign_in(email, password).await;
        assert_eq!(answer.status, 303, "signing in failed: {answer:#?}");
        assert!(self.cookies.contains_key("herald_session"));
    }

    pub async fn try_sign_in(&mut self, email: &str, password: &str) -> Answer {
        let form = self.get("/console/sign-in").await;
        let csrf = form.csrf();
        self.post(
            "/console/sign-in",
            &[("_csrf", &csrf), ("email", email), ("password", password)],
        )
        .await
    }

    /// The session's form token, read off the dashboard.
    pub async fn csrf(&mut self) -> String {
        let dashboard = self.get("/console").await;
        assert_eq!(dashboard.status, 200, "not signed in: {dashboard:#?}");
        dashboard.csrf()
    }
}

pub fn form_body(fields: &[(&str, &str)]) -> String {
    let mut body = String::new();
    for (key, value) in fields {
        if !body.is_empty() {
            body.push('&');
        }
        body.push_str(&encode(key));
        body.push('=');
        body.push_str(&encode(value));
    }
    body
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".into(),
            other => format!("%{other:02X}"),
        })
        .collect()
}
