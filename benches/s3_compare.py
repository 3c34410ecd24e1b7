"""Times TPC-H queries on the same Parquet files read locally and from S3.

    pip install 'moto[server]' boto3       # dev tools only
    cargo build --profile benchmark -p quiver-benches
    python3 benches/s3_compare.py --sf 1 --threads 2

Starts moto's S3 server on loopback, uploads benches/data/sf<SF> (made by
`tpch gen`) into a bucket, then runs `tpch run` over the local directory and
over `s3://tpch/sf<SF>` alternately, --rounds times each, keeping each
query's best time per location. Prints a Markdown table with the ratio
S3 / local per query and in total.
"""
import argparse
import json
import os
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


def start_moto(port):
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    sys.exit("moto's S3 server did not start (pip install 'moto[server]')")


def upload(endpoint, data, prefix):
    import boto3
    s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="bench",
                      aws_secret_access_key="bench", region_name="us-east-1")
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
            [str(binary), "run", "--sf", str(args.sf), "--dir", location, "--queries", args.queries,
             "--iterations", str(args.iterations), "--partitions", str(args.threads),
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
    args = parser.parse_args()
    data = BENCHES / "data" / f"sf{args.sf}"
    if not data.exists():
        sys.exit(f"no data at {data}: run `tpch gen --sf {args.sf}` first")

    port = free_port()
    server = start_moto(port)
    try:
        endpoint = f"http://127.0.0.1:{port}"
        size = upload(endpoint, data, f"sf{args.sf}")
        env = dict(os.environ, AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="bench",
                   AWS_SECRET_ACCESS_KEY="bench", AWS_REGION="us-east-1")
        local, remote = {}, {}
        for _ in range(args.rounds):
            for best, location in [(local, str(data)), (remote, f"s3://tpch/sf{args.sf}")]:
                for q, t in run_tpch(args, location, env).items():
                    best[q] = min(best.get(q, t), t)
    finally:
        server.kill()

    print(f"TPC-H SF{args.sf}, {args.threads} threads, {size / 1e6:.0f} MB of Parquet, "
          f"best of {args.rounds}x{args.iterations} runs; S3 is moto on loopback\n")
    print("| query | local (s) | S3 (s) | S3 / local |")
    print("|---|---|---|---|")
    for q in sorted(local):
        print(f"| q{q} | {local[q]:.3f} | {remote[q]:.3f} | {remote[q] / local[q]:.2f} |")
    total_local, total_remote = sum(local.values()), sum(remote.values())
    print(f"| total | {total_local:.3f} | {total_remote:.3f} | {total_remote / total_local:.2f} |")


if __name__ == "__main__":
    main()
