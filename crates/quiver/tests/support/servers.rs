//! Real servers on loopback for tests of remote data: moto's S3 server and
//! nginx (which honours HTTP range requests). Each is started once per test
//! binary and stops when the binary exits: it runs under a shell that kills
//! it as soon as its standard input, held by this process, closes.
//!
//! Both are installed by `.ci/test` (`pip install 'moto[server]'`,
//! `apt-get install nginx-light`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A server process, stopped when this process exits.
pub struct Server {
    /// The loopback port it listens on.
    pub port: u16,
    /// Closing the shell's standard input stops the server.
    _lifeline: ChildStdin,
    _shell: Child,
}

impl Server {
    /// Runs the shell command `command` (which must listen on `port`) and
    /// waits until the port accepts connections; `cleanup` runs after it
    /// stops. `what` names the server and how to install it, for the panic
    /// when it does not start.
    fn start(command: &str, cleanup: &str, port: u16, what: &str) -> Server {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "{command} & pid=$!; read _; kill $pid; wait $pid; {cleanup}"
            ))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
        let lifeline = child.stdin.take().expect("stdin is piped");
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline || matches!(child.try_wait(), Ok(Some(_))) {
                panic!("{what} did not start listening on port {port}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Server {
            port,
            _lifeline: lifeline,
            _shell: child,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// moto's S3 server.
pub fn moto() -> &'static Server {
    static MOTO: OnceLock<Server> = OnceLock::new();
    MOTO.get_or_init(|| {
        let port = free_port();
        Server::start(
            &format!("python3 -m moto.server -H 127.0.0.1 -p {port}"),
            "true",
            port,
            "moto's S3 server (pip install 'moto[server]', as .ci/test does)",
        )
    })
}

/// nginx serving the files of [`web_root`].
pub fn nginx() -> &'static Server {
    static NGINX: OnceLock<Server> = OnceLock::new();
    NGINX.get_or_init(|| {
        let port = free_port();
        let dir = nginx_dir();
        let temp = dir.join("tmp");
        std::fs::create_dir_all(web_root()).unwrap();
        std::fs::create_dir_all(&temp).unwrap();
        // Workers run as the tests' user (the `user` line is ignored unless
        // that is root), so they can read files under any checkout.
        let conf = format!(
            "daemon off;\nuser root;\npid {dir}/nginx.pid;\nerror_log {dir}/error.log;\nevents {{}}\nhttp {{\n\
             log_format ranges '$status $request_uri $http_range';\naccess_log {dir}/access.log ranges;\n\
             client_body_temp_path {temp}; proxy_temp_path {temp}; fastcgi_temp_path {temp};\n\
             uwsgi_temp_path {temp}; scgi_temp_path {temp};\n\
             server {{ listen 127.0.0.1:{port}; root {root}; }}\n}}\n",
            dir = dir.display(),
            temp = temp.display(),
            root = web_root().display(),
        );
        std::fs::write(dir.join("nginx.conf"), conf).unwrap();
        let binary = ["/usr/sbin/nginx", "/usr/bin/nginx"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .unwrap_or("nginx");
        Server::start(
            &format!(
                "{binary} -p {dir} -c {dir}/nginx.conf -e {dir}/error.log",
                dir = dir.display()
            ),
            &format!("rm -rf {}", dir.display()),
            port,
            "nginx (apt-get install nginx-light, as .ci/test does)",
        )
    })
}

/// This test binary's nginx directory (configuration, logs, web root).
fn nginx_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("nginx-{}", std::process::id()))
}

/// The directory nginx serves.
pub fn web_root() -> PathBuf {
    nginx_dir().join("www")
}

/// The lines nginx has logged so far: `STATUS URI RANGE` per request
/// (`RANGE` is `-` for a request of the whole file).
pub fn nginx_requests() -> Vec<String> {
    let log = std::fs::read_to_string(nginx_dir().join("access.log")).unwrap_or_default();
    log.lines().map(str::to_string).collect()
}

/// Sends one HTTP/1.1 request to moto and returns the status code and
/// body.
pub fn s3_request(
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    let server = moto();
    // A server that has only just started may reset the first connections
    // (seen on a loaded CI machine); those are tried again.
    let mut attempt = 0;
    loop {
        match try_s3_request(server.port, method, path, headers, body) {
            Ok(answer) => return answer,
            Err(e) if attempt < 10 => {
                attempt += 1;
                eprintln!("moto request {method} {path} failed ({e}); trying again");
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(e) => panic!("moto request {method} {path} failed: {e}"),
        }
    }
}

/// One try of [`s3_request`].
fn try_s3_request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\nContent-Length: {}\r\n\
         Content-Type: application/octet-stream\r\n",
        port,
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes())?;
    stream.write_all(body)?;
    let mut response = vec![];
    stream.read_to_end(&mut response)?;
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    Ok((status, body))
}

/// Creates an S3 bucket on moto.
pub fn create_bucket(name: &str) {
    let (status, body) = s3_request("PUT", &format!("/{name}"), &[], b"");
    assert_eq!(status, 200, "creating bucket {name}: {body}");
}

/// Uploads an object, readable by anyone when `public`.
pub fn put_object(bucket: &str, key: &str, bytes: &[u8], public: bool) {
    let acl = if public { "public-read" } else { "private" };
    let (status, body) = s3_request(
        "PUT",
        &format!("/{bucket}/{key}"),
        &[("x-amz-acl", acl)],
        bytes,
    );
    assert_eq!(status, 200, "uploading {bucket}/{key}: {body}");
}

/// The `AWS_*` environment variables that point a process at moto with
/// credentials.
pub fn s3_environment() -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", moto().url()),
        ("AWS_ACCESS_KEY_ID", "test".into()),
        ("AWS_SECRET_ACCESS_KEY", "test".into()),
        ("AWS_REGION", "us-east-1".into()),
    ]
}

/// The `SET` statements that point a session at moto with credentials.
pub fn s3_settings() -> Vec<String> {
    vec![
        format!("SET aws.endpoint = '{}'", moto().url()),
        "SET aws.region = 'us-east-1'".to_string(),
        "SET aws.access_key_id = 'test'".to_string(),
        "SET aws.secret_access_key = 'test'".to_string(),
    ]
}
