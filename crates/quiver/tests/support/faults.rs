//! A fault-injecting HTTP proxy on loopback, in front of a real server
//! (moto's S3): requests pass through unchanged except those a test plans to
//! fail, which get an error status, a response cut off mid-body, or a delay.
//! One request per connection, so each fault hits exactly one request.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What happens to a planned request.
#[derive(Debug, Clone, Copy)]
pub enum Fault {
    /// Answered with this status and no body, never reaching the server.
    Status(u16),
    /// Passed on, but only half the response's body comes back before the
    /// connection is cut.
    CutBody,
    /// Passed on after this long.
    Delay(Duration),
}

/// A fault for the next request with `method` whose target contains
/// `needle`.
struct Planned {
    method: String,
    needle: String,
    fault: Fault,
}

/// The faults still to inject, in order.
type Plan = Arc<Mutex<VecDeque<Planned>>>;

/// A running proxy; it stops with the test binary.
pub struct FaultProxy {
    /// The loopback port it listens on.
    pub port: u16,
    plan: Plan,
    log: Arc<Mutex<Vec<String>>>,
}

impl FaultProxy {
    /// A proxy in front of the server on loopback port `upstream`.
    pub fn start(upstream: u16) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let port = listener.local_addr().unwrap().port();
        let plan: Plan = Arc::default();
        let log: Arc<Mutex<Vec<String>>> = Arc::default();
        let (thread_plan, thread_log) = (Arc::clone(&plan), Arc::clone(&log));
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (plan, log) = (Arc::clone(&thread_plan), Arc::clone(&thread_log));
                std::thread::spawn(move || serve(client, upstream, &plan, &log));
            }
        });
        FaultProxy { port, plan, log }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Plans `fault` for the next `times` requests with `method` whose
    /// target (path and query) contains `needle`.
    pub fn inject(&self, method: &str, needle: &str, fault: Fault, times: usize) {
        let mut plan = self.plan.lock().unwrap();
        for _ in 0..times {
            plan.push_back(Planned {
                method: method.to_string(),
                needle: needle.to_string(),
                fault,
            });
        }
    }

    /// Planned faults not yet injected.
    pub fn pending(&self) -> usize {
        self.plan.lock().unwrap().len()
    }

    /// Whether a request whose `METHOD PATH` starts with `request` came.
    pub fn saw(&self, request: &str) -> bool {
        self.requests().iter().any(|r| r.starts_with(request))
    }

    /// Waits (up to 20 seconds, else panics) until [`Self::saw`] `request`.
    pub async fn wait_for(&self, request: &str) {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while !self.saw(request) {
            let requests = self.requests();
            assert!(
                std::time::Instant::now() < deadline,
                "no {request}: {requests:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `METHOD PATH: what happened` for each request so far.
    pub fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

/// Handles the one request on `client`.
fn serve(mut client: TcpStream, upstream: u16, plan: &Plan, log: &Mutex<Vec<String>>) {
    let Some((head, body)) = read_request(&mut client) else {
        return;
    };
    let request_line = head.lines().next().unwrap_or_default().to_string();
    let mut words = request_line.split(' ');
    let (method, target) = (
        words.next().unwrap_or_default(),
        words.next().unwrap_or_default(),
    );
    let fault = {
        let mut plan = plan.lock().unwrap();
        plan.iter()
            .position(|p| p.method == method && target.contains(&p.needle))
            .and_then(|at| plan.remove(at))
            .map(|p| p.fault)
    };
    let line = request_line
        .rsplit_once(' ')
        .map_or(&*request_line, |(l, _)| l);
    log.lock().unwrap().push(format!("{line}: {fault:?}"));
    let response = match fault {
        Some(Fault::Status(code)) => {
            let reply = format!(
                "HTTP/1.1 {code} Injected Fault\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let _ = client.write_all(reply.as_bytes());
            return;
        }
        Some(Fault::Delay(pause)) => {
            std::thread::sleep(pause);
            forward(upstream, &head, &body)
        }
        Some(Fault::CutBody) | None => forward(upstream, &head, &body),
    };
    let Some(response) = response.map(closing) else {
        return;
    };
    let cut = match (fault, find(&response, b"\r\n\r\n")) {
        (Some(Fault::CutBody), Some(end)) => end + 4 + (response.len() - end - 4) / 2,
        _ => response.len(),
    };
    let _ = client.write_all(&response[..cut]);
    let _ = client.shutdown(Shutdown::Both);
}

/// Reads a request's head (through the blank line) and its body (by its
/// Content-Length).
fn read_request(client: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 8192];
    let end = loop {
        if let Some(end) = find(&bytes, b"\r\n\r\n") {
            break end;
        }
        let n = client.read(&mut chunk).ok().filter(|&n| n > 0)?;
        bytes.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    let mut body = bytes[end + 4..].to_vec();
    while body.len() < length {
        let n = client.read(&mut chunk).ok().filter(|&n| n > 0)?;
        body.extend_from_slice(&chunk[..n]);
    }
    Some((head, body))
}

/// Sends the request to the server (asking it to close the connection
/// after answering) and returns its whole response.
fn forward(upstream: u16, head: &str, body: &[u8]) -> Option<Vec<u8>> {
    let mut server = TcpStream::connect(("127.0.0.1", upstream)).ok()?;
    let mut request: String = head
        .lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .map(|l| format!("{l}\r\n"))
        .collect();
    request.push_str("Connection: close\r\n\r\n");
    server.write_all(request.as_bytes()).ok()?;
    server.write_all(body).ok()?;
    let mut response = Vec::new();
    server.read_to_end(&mut response).ok()?;
    Some(response)
}

/// `response` saying `Connection: close`, so the client does not send
/// another request on a connection the proxy is about to close.
fn closing(response: Vec<u8>) -> Vec<u8> {
    let Some(end) = find(&response, b"\r\n\r\n") else {
        return response;
    };
    let head = String::from_utf8_lossy(&response[..end]);
    let mut out: Vec<u8> = head
        .lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .flat_map(|l| format!("{l}\r\n").into_bytes())
        .collect();
    out.extend_from_slice(b"Connection: close\r\n\r\n");
    out.extend_from_slice(&response[end + 4..]);
    out
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
