"""Times TPC-H queries on the same Parquet files read locally and from S3.

    pip install boto3                      # dev tool only
    cargo install garage --version 2.5.0 --locked \
        --no-default-features --features sqlite,bundled-libs
    cargo build --profile benchmark -p quiver-benches
    python3 benches/s3_compare.py --sf 1 --threads 2

Starts an S3 server on loopback: Garage (a Rust S3 server used in
production; `--server garage`, the default) or moto (`--server moto`, `pip
install 'moto[server]'`; a Python server that copies the whole object on every
ranged read, so it is much slower per request than S3). Uploads
benches/data/sf<SF> (made by `tpch gen`) into a bucket, then runs `tpch run`
over the local directory and over `s3://tpch/sf<SF>` alternately, --rounds
times each, keeping each query's best time per location. Prints a Markdown
table with the ratio S3 / local per query and in total. With --server-cpus
and --client-cpus the server and the queries run pinned to separate cores
(`taskset`), as if the server were another machine.

The server runs with Nagle's algorithm off on its connections
(`tcp_nodelay.c`, preloaded; needs a C compiler): Garage leaves it on, and
on loopback every GET of 4-64 KiB then stalls 40 ms on the client's delayed
acknowledgement, which production S3 endpoints do not make readers wait.
`--nagle` runs the server as it comes.
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCHES = Path(__file__).resolve().parent
ROOT = BENCHES.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(server, port, name):
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    server.kill()
    sys.exit(f"{name} did not start")


def pinned(cpus):
    return ["taskset", "-c", cpus] if cpus else []


def no_delay_env(workdir):
    """The environment that preloads tcp_nodelay.c, compiled into workdir."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        sys.exit("no C compiler to build benches/tcp_nodelay.c (install one, or pass --nagle)")
    library = Path(workdir) / "tcp_nodelay.so"
    subprocess.run([compiler, "-shared", "-fPIC", "-O2", "-o", str(library),
                    str(BENCHES / "tcp_nodelay.c"), "-ldl"], check=True)
    return dict(os.environ, LD_PRELOAD=str(library))


def start_moto(port, cpus, env):
    """moto's server; returns the process and the credentials to use."""
    server = subprocess.Popen(
        pinned(cpus) + [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    wait_for_port(server, port, "moto's S3 server (pip install 'moto[server]')")
    return server, ("bench", "bench"), True


GARAGE_CONFIG = """
metadata_dir = "{dir}/meta"
data_dir = "{dir}/data"
db_engine = "sqlite"
replication_factor = 1
compression_level = "none"
rpc_bind_addr = "127.0.0.1:{rpc}"
rpc_public_addr = "127.0.0.1:{rpc}"
rpc_secret = "{secret}"

[s3_api]
s3_region = "us-east-1"
api_bind_addr = "127.0.0.1:{port}"
root_domain = ".s3.garage"
"""


def start_garage(port, cpus, workdir, binary, env):
    """A one-node Garage cluster with a key that owns the bucket `tpch`."""
    if shutil.which(binary) is None:
        sys.exit(f"no Garage binary '{binary}': cargo install garage --version 2.5.0 --locked "
                 "--no-default-features --features sqlite,bundled-libs (or --server moto)")
    config = Path(workdir) / "garage.toml"
    config.write_text(GARAGE_CONFIG.format(dir=workdir, rpc=free_port(), port=port,
                                           secret=os.urandom(32).hex()))
    garage = [binary, "-c", str(config)]
    server = subprocess.Popen(pinned(cpus) + garage + ["server"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    wait_for_port(server, port, f"Garage ({binary})")

    def run(*args):
        return subprocess.run(garage + list(args), check=True, capture_output=True,
                              text=True).stdout

    node = run("node", "id").strip().split("@")[0]
    run("layout", "assign", node, "-z", "local", "-c", "10G")
    run("layout", "apply", "--version", "1")
    key = json.loads(run("json-api", "CreateKey", json.dumps({"name": "bench"})))
    credentials = (key["accessKeyId"], key["secretAccessKey"])
    run("bucket", "create", "tpch")
    run("bucket", "allow", "--read", "--write", "--owner", "tpch", "--key", "bench")
    return server, credentials, False


def upload(endpoint, credentials, create_bucket, data, prefix):
    import boto3
    s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=credentials[0],
                      aws_secret_access_key=credentials[1], region_name="us-east-1")
    if create_bucket:
        s3.create_bucket(Bucket="tpch")
    total = 0
    for path in sorted(data.rglob("*.parquet")):
        key = f"{prefix}/{path.relative_to(data).as_posix()}"
        s3.upload_file(str(path), "tpch", key)
        total += path.stat().st_size
    return total


def run_tpch(args, location, env):
    binary = ROOT / "target" / args.profile / "tpch"
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run(
            pinned(args.client_cpus) + [str(binary), "run", "--sf", str(args.sf), "--dir", location, "--queries", args.queries,
             "--iterations", str(args.iterations), "--threads", str(args.threads),
             "--json", out.name],
            check=True, stdout=subprocess.DEVNULL, env=env)
        return {r["query"]: r["best_s"] for r in json.load(open(out.name))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sf", default="1")
    parser.add_argument("--queries", default=",".join(str(q) for q in range(1, 23)))
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--profile", default="benchmark")
    parser.add_argument("--server", choices=["garage", "moto"], default="garage")
    parser.add_argument("--garage", default="garage", help="the garage binary")
    parser.add_argument("--server-cpus", help="cores for the server (taskset -c)")
    parser.add_argument("--client-cpus", help="cores for the queries (taskset -c)")
    parser.add_argument("--nagle", action="store_true",
                        help="leave Nagle's algorithm on in the server (see tcp_nodelay.c)")
    args = parser.parse_args()
    data = BENCHES / "data" / f"sf{args.sf}"
    if not data.exists():
        sys.exit(f"no data at {data}: run `tpch gen --sf {args.sf}` first")

    port = free_port()
    workdir = tempfile.TemporaryDirectory()
    server_env = None if args.nagle else no_delay_env(workdir.name)
    if args.server == "garage":
        server, credentials, create_bucket = start_garage(port, args.server_cpus, workdir.name,
                                                          args.garage, server_env)
    else:
        server, credentials, create_bucket = start_moto(port, args.server_cpus, server_env)
    try:
        endpoint = f"http://127.0.0.1:{port}"
        size = upload(endpoint, credentials, create_bucket, data, f"sf{args.sf}")
        env = dict(os.environ, AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID=credentials[0],
                   AWS_SECRET_ACCESS_KEY=credentials[1], AWS_REGION="us-east-1")
        local, remote = {}, {}
        for _ in range(args.rounds):
            for best, location in [(local, str(data)), (remote, f"s3://tpch/sf{args.sf}")]:
                for q, t in run_tpch(args, location, env).items():
                    best[q] = min(best.get(q, t), t)
    finally:
        server.kill()
        server.wait()
        workdir.cleanup()

    pinning = (f"; server on cores {args.server_cpus}, queries on cores {args.client_cpus}"
               if args.server_cpus or args.client_cpus else "")
    print(f"TPC-H SF{args.sf}, {args.threads} threads, {size / 1e6:.0f} MB of Parquet, "
          f"best of {args.rounds}x{args.iterations} runs; S3 is {args.server} on loopback"
          f"{' with Nagle on' if args.nagle else ''}{pinning}\n")
    print("| query | local (s) | S3 (s) | S3 / local |")
    print("|---|---|---|---|")
    for q in sorted(local):
        print(f"| q{q} | {local[q]:.3f} | {remote[q]:.3f} | {remote[q] / local[q]:.2f} |")
    total_local, total_remote = sum(local.values()), sum(remote.values())
    print(f"| total | {total_local:.3f} | {total_remote:.3f} | {total_remote / total_local:.2f} |")


if __name__ == "__main__":
    main()
