"""A planning office's deployment on this machine: PostGIS, several app servers and nginx in
front of them — what the README's 团队部署 describes, started locally for the tests.

    .venv/bin/python scripts/team.py start [--servers 2] [--port 8080] [--dir /tmp/planmap-team]
    .venv/bin/python scripts/team.py stop [--dir …]

``start`` installs Debian's nginx and PostgreSQL + PostGIS when missing, starts the database
(``scripts/postgis.sh``) unless ``PLANMAP_DATABASE_URL`` names one, publishes the layers
(``python -m layers publish``, building first when stale), starts the app servers on the
ports after ``--port`` with that database, then nginx on ``--port``; it prints the proxy's
URL on stdout once every server answers. Each server's PID and log are in ``--dir``.
``stop`` ends the servers and nginx it started (not the database: ``scripts/postgis.sh
stop``).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
TEMPLATE = ROOT / "scripts" / "nginx-planmap.conf"
STARTUP_S = 120


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def answers(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=2) as reply:
            return reply.read().strip() == b"ok"
    # HTTPException: a port in the ephemeral range can connect to itself while its server
    # starts, and reads its own request back (BadStatusLine): not up yet
    except (OSError, http.client.HTTPException):
        return False


def wait_for(url: str, process: subprocess.Popen | None, what: str, logfile: Path) -> None:
    deadline = time.monotonic() + STARTUP_S
    while not answers(url):
        if process is not None and process.poll() is not None or time.monotonic() > deadline:
            tail = logfile.read_text(encoding="utf-8", errors="replace")[-3000:] if logfile.exists() else ""
            raise SystemExit(f"{what} 未能启动（{url}）\n--- {logfile} ---\n{tail}")
        time.sleep(0.3)


def database_url() -> str:
    url = os.environ.get("PLANMAP_DATABASE_URL", "")
    if url:
        return url
    log("启动 PostgreSQL + PostGIS（scripts/postgis.sh）…")
    return subprocess.run(["bash", str(ROOT / "scripts" / "postgis.sh")], check=True,
                          stdout=subprocess.PIPE, text=True).stdout.strip()


def upload_limit_mb() -> int:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    return int(config["server"]["maxUploadSize"])


def nginx_config(folder: Path, port: int, server_ports: list[int]) -> str:
    user = "user nobody nogroup;" if os.geteuid() == 0 else ""  # workers never run as root
    upstreams = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;"
                          for p in server_ports)
    return (TEMPLATE.read_text(encoding="utf-8").replace("@USER@", user)
            .replace("@PREFIX@", str(folder)).replace("@LISTEN@", f"127.0.0.1:{port}")
            .replace("@UPSTREAMS@", upstreams).replace("@UPLOAD_MB@", str(upload_limit_mb())))


def start_server(folder: Path, index: int, port: int, env: dict) -> subprocess.Popen:
    logfile = folder / f"server-{index}.log"
    with open(logfile, "wb") as out:
        process = subprocess.Popen(
            [PYTHON, str(ROOT / "scripts" / "serve.py"), "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true",
             "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
    (folder / f"server-{index}.pid").write_text(str(process.pid))
    return process


def start(folder: Path, port: int, servers: int) -> str:
    subprocess.run(["bash", str(ROOT / "scripts" / "debs.sh"), "nginx"], check=True)
    url = database_url()
    env = {**os.environ, "PLANMAP_DATABASE_URL": url, "PYTHONFAULTHANDLER": "1"}
    folder.mkdir(parents=True, exist_ok=True)
    log("发布图层…")
    subprocess.run([PYTHON, "-m", "layers", "publish", "--url", url, "--by", "scripts/team.py"],
                   cwd=ROOT, env=env, check=True, stdout=sys.stderr)
    ports = [port + 1 + i for i in range(servers)]
    processes = [start_server(folder, i + 1, p, env) for i, p in enumerate(ports)]
    for i, (p, process) in enumerate(zip(ports, processes, strict=True), 1):
        wait_for(f"http://127.0.0.1:{p}/_stcore/health", process, f"应用服务器 {i}",
                 folder / f"server-{i}.log")
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / "tmp" / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(folder / "tmp" / sub, 0o1777)  # nginx's workers (nobody, as root) write here
    os.chmod(folder, 0o755)
    (folder / "nginx.conf").write_text(nginx_config(folder, port, ports), encoding="utf-8")
    subprocess.run(["nginx", "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e",
                    str(folder / "error.log")], check=True)
    wait_for(f"http://127.0.0.1:{port}/_stcore/health", None, "nginx", folder / "error.log")
    (folder / "team.json").write_text(json.dumps({"proxy": port, "servers": ports,
                                                  "database": url}))
    return f"http://127.0.0.1:{port}"


def stop(folder: Path) -> None:
    pid_file = folder / "nginx.pid"
    if pid_file.exists():
        subprocess.run(["nginx", "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e",
                        str(folder / "error.log"), "-s", "quit"], check=False)
    for pid_file in sorted(folder.glob("server-*.pid")):
        with contextlib.suppress(ProcessLookupError, ValueError):  # gone already
            os.killpg(int(pid_file.read_text()), signal.SIGTERM)
        pid_file.unlink()
    deadline = time.monotonic() + 10
    while (folder / "nginx.pid").exists() and time.monotonic() < deadline:
        time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description="本机启动团队部署：PostGIS、多个应用服务器与 nginx")
    parser.add_argument("command", choices=("start", "stop"))
    parser.add_argument("--dir", type=Path, default=Path("/tmp/planmap-team"))
    parser.add_argument("--port", type=int, default=8080, help="nginx 端口；应用服务器用其后的端口")
    parser.add_argument("--servers", type=int, default=2)
    args = parser.parse_args()
    if args.command == "stop":
        stop(args.dir)
        return
    try:
        print(start(args.dir, args.port, args.servers), flush=True)
    except BaseException:
        stop(args.dir)
        raise


if __name__ == "__main__":
    main()
