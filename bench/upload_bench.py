"""Benchmark: a gunicorn worker's memory (RSS) before and after a 50 MB upload to the API's import.

    .venv/bin/python bench/upload_bench.py [--megabytes 50]

Runs gunicorn (one sync worker, the production settings) on a scratch PostgreSQL database,
migrated and seeded, and sends the import endpoint a 50 MB status table twice, as a
text/csv body and as a multipart file, first with the cap (UPLOAD_MAX_BYTES, 5 MB by
default), then with the cap lifted to 1 GB, which is how the tracker behaved before it
had one. Prints the worker's RSS (from /proc) before and after each upload, each answer's
status and size, and the size of the answer to a rejected file of 20,000 bad rows (the
problem list is capped at 100; each unknown name costs a nearest-name search, some 0.4 ms).
Needs PostgreSQL and Redis on 127.0.0.1 (Redis database 12, emptied); all traffic stays on
127.0.0.1.
"""

import argparse
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import _server

HEADER = b"participant,signature_date,action,action_date\n"
REDIS_URL = "redis://127.0.0.1:6379/12"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def worker_pid(master: int) -> int:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    _server.fail("gunicorn has no worker")


def post(base: str, path: str, headers: dict[str, str], body: bytes, timeout: float = 300) -> tuple[str, int]:
    """POST ``body`` over a raw socket, sending it from a thread while the answer is read:
    a server that refuses before reading answers at once and closes, and the rest of the
    upload then fails to send, which is the point. Returns the status line and the size of
    the answer."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=timeout)
    head = f"POST {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {len(body)}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"

    def send():
        try:
            sock.sendall(head.encode() + body)
        except OSError:
            pass  # the server answered and closed before reading it all

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    answer = b""
    try:
        while chunk := sock.recv(1 << 16):
            answer += chunk
    except OSError:
        pass
    sender.join(timeout=timeout)
    sock.close()
    status = answer.split(b"\r\n", 1)[0].decode(errors="replace") or "(connection closed)"
    if status[9:10] == "5":
        print("    answer:", answer.split(b"\r\n\r\n", 1)[-1][:300].decode(errors="replace"))
    return status, len(answer)


def multipart(name: str, content: bytes) -> tuple[dict[str, str], bytes]:
    boundary = secrets.token_hex(16)
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
        "Content-Type: text/csv\r\n\r\n"
    ).encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return {"Content-Type": f"multipart/form-data; boundary={boundary}"}, body


def big_table(megabytes: int) -> bytes:
    # Rows of empty cells: read and skipped, so that an uncapped import only reads the file.
    row = b"," * 1023 + b"\n"
    return HEADER + row * (megabytes * 1024)


def bad_rows(count: int) -> bytes:
    return HEADER + b"".join(b"Atlantis %d,2025-10-25,,\n" % n for n in range(count))


def measure(python: str, env: dict, var_dir: Path, token: str, megabytes: int, label: str) -> None:
    server, base = _server.start_gunicorn(python, env, var_dir, workers=1)
    try:
        worker = worker_pid(server.pid)
        path = "/api/v1/treaties/hanoi-convention/import/?dry_run=true"
        auth = {"Authorization": f"Token {token}"}
        # One small import first, so that "before" is a warmed-up worker.
        post(base, path, auth | {"Content-Type": "text/csv"}, HEADER + b"Austria,2025-10-25,,\n")
        table = big_table(megabytes)
        print(f"\n{label}")
        before = rss_mb(worker)
        print(f"  worker RSS, warmed up:                 {before:7.1f} MB")

        def send(label: str, headers: dict, body: bytes) -> str:
            started = time.perf_counter()
            status, size = post(base, path, auth | headers, body)
            took = time.perf_counter() - started
            print(f"  {label:<30}{status:<36} {size:>9,} B  {took:5.2f} s  RSS after {rss_mb(worker):7.1f} MB")
            return status

        send(f"{megabytes} MB text/csv body:", {"Content-Type": "text/csv"}, table)
        send(f"{megabytes} MB multipart file:", *multipart("big.csv", table))
        bad = bad_rows(20_000)
        status = send(f"{len(bad) / 1e6:.1f} MB file, 20,000 bad rows:", *multipart("bad.csv", bad))
        if " 500 " in status:
            print((var_dir / "gunicorn.log").read_text()[-1500:])
    finally:
        _server.stop(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=50)
    args = parser.parse_args()
    python = sys.executable
    database = f"tracker_upload_bench_{secrets.token_hex(4)}"
    var_dir = Path(tempfile.mkdtemp(prefix="upload-bench-"))
    env = _server.environment(database, REDIS_URL, var_dir, None)
    try:
        _server.prepare_database(python, env, database, REDIS_URL)
        create_token = (
            "from django.contrib.auth.models import Group, User; from rest_framework.authtoken.models import Token; "
            "u = User.objects.create_user('bench-editor'); u.groups.add(Group.objects.get(name='editor')); "
            "print(Token.objects.create(user=u).key)"
        )
        token = subprocess.run(
            [python, "manage.py", "shell", "-c", create_token], cwd=_server.ROOT, env=env,
            capture_output=True, text=True, check=True, timeout=120,
        ).stdout.split()[-1]  # fmt: skip  (the key is the last line printed)
        measure(python, env, var_dir, token, args.megabytes, "with the cap (UPLOAD_MAX_BYTES default, 5 MB):")
        uncapped = env | {"UPLOAD_MAX_BYTES": str(1024**3)}
        measure(python, uncapped, var_dir, token, args.megabytes, "without it (UPLOAD_MAX_BYTES=1 GB, as before):")
    finally:
        _server.clean_up(None, database, REDIS_URL, var_dir)


if __name__ == "__main__":
    main()
