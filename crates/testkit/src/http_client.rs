//! A minimal HTTP/1.1 client for JSON POSTs to servers the test runs (the
//! echo protocol's `POST /offer`). Only addresses allowed by the network rule
//! are accepted: loopback and the test namespace's 203.0.113.0/24.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{Error, Result};

/// POSTs `body` as JSON to `url` (`http://<ip>:<port>/<path>`) and returns the
/// JSON response. `Err` on a non-2xx status (with the body), bad JSON, a
/// refused address, or after `limit`.
pub async fn post_json(url: &str, body: &Value, limit: Duration) -> Result<Value> {
    let (addr, path) = parse_url(url)?;
    let payload = body.to_string();
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| Error::new(format!("POST {url}: connect: {e}")))?;
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
             Content-Type: application/json\r\nAccept: application/json\r\n\
             Content-Length: {}\r\n\r\n{payload}",
            payload.len()
        );
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| Error::new(format!("POST {url}: write: {e}")))?;
        let mut raw = Vec::new();
        stream
            .read_to_end(&mut raw)
            .await
            .map_err(|e| Error::new(format!("POST {url}: read: {e}")))?;
        Ok::<_, Error>(raw)
    };
    let raw = tokio::time::timeout(limit, exchange)
        .await
        .map_err(|_| Error::new(format!("POST {url}: no response within {limit:?}")))??;
    let (status, body) = parse_response(&raw).map_err(|e| e.context(format!("POST {url}")))?;
    if !(200..300).contains(&status) {
        return Err(Error::new(format!(
            "POST {url}: status {status}: {}",
            String::from_utf8_lossy(&body)
        )));
    }
    serde_json::from_slice(&body).map_err(|e| {
        Error::new(format!(
            "POST {url}: response is not JSON ({e}): {}",
            String::from_utf8_lossy(&body)
        ))
    })
}

/// Splits `http://ip:port/path` and checks the address is allowed.
fn parse_url(url: &str) -> Result<(SocketAddr, String)> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| Error::new(format!("{url}: only http:// URLs are supported")))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].to_string()),
        None => (rest, "/".to_string()),
    };
    let addr: SocketAddr = authority.parse().map_err(|_| {
        Error::new(format!(
            "{url}: the host must be an IP address with a port (no name lookups in tests)"
        ))
    })?;
    if !allowed(addr.ip()) {
        return Err(Error::new(format!(
            "{url}: refused by the network rule (only loopback and 203.0.113.0/24)"
        )));
    }
    Ok((addr, path))
}

/// The network rule: loopback, or the test namespace's veth subnet.
fn allowed(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback() || v4.octets()[..3] == [203, 0, 113],
        IpAddr::V6(v6) => v6.is_loopback(),
    }
}

/// Parses a whole HTTP/1.1 response: status and (de-chunked) body.
fn parse_response(raw: &[u8]) -> Result<(u16, Vec<u8>)> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| Error::new("incomplete HTTP response"))?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let body = &raw[split + 4..];
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Error::new(format!("bad HTTP status line: {head}")))?;
    let chunked = head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    if !chunked {
        return Ok((status, body.to_vec()));
    }
    let mut out = Vec::new();
    let mut rest = body;
    loop {
        let line_end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| Error::new("bad chunked body"))?;
        let size_text = String::from_utf8_lossy(&rest[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| Error::new("bad chunk size"))?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Ok((status, out));
        }
        if rest.len() < size {
            return Err(Error::new("truncated chunk"));
        }
        out.extend_from_slice(&rest[..size]);
        rest = rest.get(size + 2..).unwrap_or(&[]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_outside_the_rule_are_refused() {
        assert!(parse_url("http://127.0.0.1:8080/offer").is_ok());
        assert!(parse_url("http://203.0.113.2:80/").is_ok());
        assert!(parse_url("http://[::1]:80/").is_ok());
        let e = parse_url("http://8.8.8.8:80/").unwrap_err().to_string();
        assert!(e.contains("network rule"), "{e}");
        assert!(parse_url("http://example.com:80/").is_err());
        assert!(parse_url("https://127.0.0.1:80/").is_err());
    }

    #[test]
    fn responses_plain_and_chunked() {
        let plain = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
        assert_eq!(parse_response(plain).unwrap(), (200, b"{}".to_vec()));
        let chunked = b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4\r\n\":1}\r\n0\r\n\r\n";
        assert_eq!(
            parse_response(chunked).unwrap(),
            (201, b"{\"a\":1}".to_vec())
        );
        assert!(parse_response(b"HTTP/1.1 200").is_err());
        assert!(
            parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").is_err()
        );
    }
}
