use axum::body::Body;
use axum::extract::Path;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use axum::Router;
use secrecy::SecretString;
use tower::ServiceExt;

use super::*;

const TOKEN: &str = "0123456789abcdef-operator";

fn routes() -> Router {
    Router::new().route(
        "/admin/v1/things/{id}",
        get(|Path(id): Path<i64>| async move { format!("thing {id}") }),
    )
}

fn token() -> Option<AdminToken> {
    Some(AdminToken::parse(SecretString::from(TOKEN)).unwrap())
}

async fn call(router: Router, method: &str, authorization: Option<&str>) -> (StatusCode, String) {
    call_path(router, method, "/admin/v1/things/7", authorization).await
}

async fn call_path(
    router: Router,
    method: &str,
    path: &str,
    authorization: Option<&str>,
) -> (StatusCode, String) {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let response = router
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

fn shape(body: &str) -> Problem {
    serde_json::from_str(body).unwrap_or_else(|_| panic!("not {{error, message}}: {body}"))
}

#[tokio::test]
async fn without_a_configured_token_every_route_is_disabled() {
    let bearer = format!("Bearer {TOKEN}");
    for authorization in [None, Some(bearer.as_str())] {
        let (status, body) = call(guard(routes(), None), "GET", authorization).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(shape(&body).error, "disabled");
    }
}

#[tokio::test]
async fn a_missing_malformed_or_wrong_header_is_unauthorized() {
    let wrong = format!("Bearer {TOKEN}x");
    let basic = format!("Basic {TOKEN}");
    for authorization in [
        None,
        Some(""),
        Some("Bearer"),
        Some("Bearer "),
        Some(basic.as_str()),
        Some(wrong.as_str()),
    ] {
        let (status, body) = call(guard(routes(), token()), "GET", authorization).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{authorization:?}");
        assert_eq!(shape(&body).error, "unauthorized");
        assert!(!body.contains(TOKEN), "never echoes the token: {body}");
    }
}

#[tokio::test]
async fn the_right_token_reaches_the_route() {
    for scheme in ["Bearer", "bearer"] {
        let authorization = format!("{scheme} {TOKEN}");
        let (status, body) = call(guard(routes(), token()), "GET", Some(&authorization)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, "thing 7");
    }
}

#[tokio::test]
async fn an_unknown_path_is_not_found_rather_than_guarded() {
    for token in [None, token()] {
        let (status, _) = call_path(guard(routes(), token), "GET", "/admin/v1/nothing", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn framework_rejections_answer_in_the_one_error_shape() {
    let authorization = format!("Bearer {TOKEN}");
    let (status, body) = call_path(
        guard(routes(), token()),
        "GET",
        "/admin/v1/things/not-a-number",
        Some(&authorization),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(shape(&body).error, "bad_request");

    let (status, body) = call(guard(routes(), token()), "DELETE", Some(&authorization)).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(shape(&body).error, "method_not_allowed");
}

#[test]
fn empty_and_short_tokens_do_not_parse() {
    for (text, want) in [
        ("", TokenError::Empty),
        ("   \n", TokenError::Empty),
        ("fifteen-bytes!!", TokenError::TooShort(15)),
    ] {
        let refused = AdminToken::parse(SecretString::from(text)).unwrap_err();
        assert_eq!(refused, want);
    }
    assert!(AdminToken::parse(SecretString::from("sixteen-bytes!!!")).is_ok());
}

#[test]
fn a_token_never_shows_in_debug_or_errors() {
    let parsed = token().unwrap();
    assert!(!format!("{parsed:?}").contains(TOKEN));
    let short = AdminToken::parse(SecretString::from("s3cr3t")).unwrap_err();
    assert!(!short.to_string().contains("s3cr3t"));
    let number: Result<AdminToken, _> = serde_json::from_str("12345678901234567890");
    let refusal = number.unwrap_err().to_string();
    assert!(!refusal.contains("1234567890"), "{refusal}");
}
