//! Who is on the other end: the client's address, for counting failed logins and requests per
//! source. Proxy headers are trusted only when the operator says a proxy writes them
//! (`TRUST_PROXY_HEADERS`); otherwise any client could claim any address.

use actix_web::HttpRequest;
use actix_web::web;

#[derive(Debug, Clone, Copy)]
pub struct TrustProxyHeaders(pub bool);

/// The client's IP address as text, or `unknown` when the connection has none (a Unix socket).
pub fn source_address(req: &HttpRequest) -> String {
    let trusted = req.app_data::<web::Data<TrustProxyHeaders>>().is_some_and(|t| t.0);
    let info = req.connection_info();
    let address = if trusted { info.realip_remote_addr() } else { info.peer_addr() };
    address.map_or_else(|| "unknown".to_owned(), without_port)
}

/// A forwarded address may carry a port (`203.0.113.7:4711`, `[2001:db8::1]:4711`).
fn without_port(address: &str) -> String {
    address.parse::<std::net::SocketAddr>().map_or_else(|_| address.to_owned(), |socket| socket.ip().to_string())
}
