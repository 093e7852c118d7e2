//! The errors every operation of the admin API can answer with, added to each operation of the
//! OpenAPI document so that a client (or a fuzzer) sees every status the server sends.
use utoipa::openapi::path::Operation;
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{PartialSchema, ToSchema};

use crate::problem::Problem;

/// Adds the problems each operation can answer with, and their schema, to a document whose
/// operations are all in place.
pub fn add_to(openapi: &mut OpenApi) {
    let components = openapi.components.get_or_insert_with(Default::default);
    components
        .schemas
        .insert(Problem::name().into_owned(), Problem::schema());
    for (path, item) in openapi.paths.paths.iter_mut() {
        let has_params = path.contains('{');
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            add_problems(operation, has_params);
        }
    }
}

fn add_problems(operation: &mut Operation, has_params: bool) {
    let has_body = operation.request_body.is_some();
    let mut problems = vec![
        (
            "400",
            "The request is malformed: a query or path parameter is not what the operation takes",
        ),
        ("401", "No token, or a token that is unknown or revoked"),
        ("403", "The token's role may not do this"),
        ("405", "The path does not take this method"),
        (
            "503",
            "The database is unavailable or its file was replaced; nothing was changed",
        ),
    ];
    if has_params {
        problems.push(("404", "A page or an item named in the path does not exist"));
    }
    if has_body {
        problems.extend([
            ("413", "The body is larger than the limit"),
            ("415", "The body is not sent as application/json"),
            ("422", "The body is not what the operation takes, or a rule refused it; `field` names the field to fix"),
        ]);
    }
    for (status, description) in problems {
        operation
            .responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| problem(description));
    }
}

fn problem(description: &str) -> RefOr<Response> {
    let content = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name(Problem::name())))
        .build();
    ResponseBuilder::new()
        .description(description)
        .content("application/problem+json", content)
        .build()
        .into()
}
