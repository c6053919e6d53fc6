"""Load and fault proof (issue 14): a mixed load at 64 connections for 60 s with wrk, then
PostgreSQL stopped and started again under write load, then a restore drill: pg_dump, restore
into a new cluster, `counts verify` there, and the same answers from an instance on it. Prints
the figures docs/RELIABILITY.md records and exits non-zero when the service broke a promise: a
500, a write acknowledged and then missing, a half-written record, a slow 503, a recovery
slower than 2 s, or a restore whose counts or answers differ.

Run through `tests/reliability/run`; everything it makes lives under target/reliability/.
Python's standard library only, plus wrk and the PostgreSQL server binaries."""

import glob
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WORK = os.path.join(ROOT, "target", "reliability")
DURATION = int(os.environ.get("LOAD_SECONDS", "60"))
CONNECTIONS = int(os.environ.get("LOAD_CONNECTIONS", "64"))
WRITERS = 8
ADMIN_PASSWORD = "reliability admin password"
VILLAGE = "14.01.01.2009"


def as_postgres(args):
    """PostgreSQL refuses to run as root: drop to the postgres user when we are root."""
    return (["runuser", "-u", "postgres", "--"] + args) if os.geteuid() == 0 else args


def pg_bin(name):
    found = shutil.which(name) or sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))[-1:]
    return found if isinstance(found, str) else found[0]


class Cluster:
    """A private, durable cluster (PostgreSQL's defaults) on a Unix socket under WORK."""

    def __init__(self, name="pg"):
        self.place(name)
        subprocess.run(as_postgres([pg_bin("initdb"), "-D", self.data, "-U", "postgres", "--auth=trust",
                                    "--encoding=UTF8", "--no-locale"]), check=True, stdout=subprocess.DEVNULL)
        self.start()
        self.psql("CREATE DATABASE stunting", database="postgres")

    def place(self, name):
        """Its folders under WORK (the data, the socket, the log), the postgres user's when we are root."""
        self.data = os.path.join(WORK, name, "data")
        self.socket = os.path.join(WORK, name, "run")
        self.log = os.path.join(WORK, name, "postgres.log")
        os.makedirs(self.socket, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(os.path.join(WORK, name), "postgres", "postgres")
            shutil.chown(self.socket, "postgres", "postgres")

    def start(self):
        options = f"-c listen_addresses='' -k {self.socket} -c max_connections=100 -c shared_buffers=256MB"
        subprocess.run(as_postgres([pg_bin("pg_ctl"), "-D", self.data, "-l", self.log, "-w", "-o", options,
                                    "start"]), check=True, stdout=subprocess.DEVNULL)

    def stop(self):
        subprocess.run(as_postgres([pg_bin("pg_ctl"), "-D", self.data, "-m", "fast", "-w", "stop"]),
                       check=True, stdout=subprocess.DEVNULL)

    def url(self):
        return f"postgresql://postgres@{self.socket.replace('/', '%2F')}/stunting"

    def psql(self, sql, database="stunting"):
        out = subprocess.run([pg_bin("psql"), "-h", self.socket, "-U", "postgres", "-d", database, "-At", "-c", sql],
                             check=True, capture_output=True, text=True)
        return out.stdout.strip()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def call(port, method, path, body=None, token=None, timeout=30):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))


def load(port, token, service_pid):
    rss_before = rss_kib(service_pid)
    env = dict(os.environ, TOKEN=token)
    out = subprocess.run(["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}s", "--timeout", "35s",
                          "-s", os.path.join(ROOT, "tests", "reliability", "mixed.lua"), f"http://127.0.0.1:{port}"],
                         env=env, check=True, capture_output=True, text=True)
    line = next(l for l in out.stdout.splitlines() if l.startswith("RESULT"))
    figures = {k: float(v) for k, v in (pair.split("=") for pair in line.split()[1:])}
    figures["requests_per_second"] = round(figures["requests"] / DURATION, 1)
    figures["rss_mib_before"] = round(rss_before / 1024, 1)
    figures["rss_mib_after"] = round(rss_kib(service_pid) / 1024, 1)
    return figures


def fault(port, token, cluster):
    """Writers register children (each with its own id) while PostgreSQL is stopped for 5 s."""
    outcomes = []  # (sent_at, answered_at, status, id)
    lock = threading.Lock()
    stop = threading.Event()

    def writer():
        while not stop.is_set():
            child = str(uuid.uuid4())
            body = {"id": child, "village_code": VILLAGE, "sex": "male", "birth_date": "2024-03-01",
                    "name": "Beban Gangguan"}
            sent = time.monotonic()
            try:
                status, _ = call(port, "POST", "/api/v1/children", body, token)
            except OSError:
                status = 0  # the connection itself failed: counted apart, never as acknowledged
            with lock:
                outcomes.append((sent, time.monotonic(), status, child))

    threads = [threading.Thread(target=writer) for _ in range(WRITERS)]
    for t in threads:
        t.start()
    time.sleep(5)
    stopping = time.monotonic()
    cluster.stop()
    down = time.monotonic()
    time.sleep(5)
    cluster.start()
    up = time.monotonic()
    time.sleep(5)
    stop.set()
    for t in threads:
        t.join()

    acknowledged = [c for (_, _, s, c) in outcomes if s in (200, 201)]
    present = set(cluster.psql("SELECT id FROM children WHERE name = 'Beban Gangguan'").split())
    half_written = int(cluster.psql(
        "SELECT count(*) FROM children c WHERE NOT EXISTS (SELECT 1 FROM audit_log a "
        "WHERE a.entity = 'child' AND a.entity_id = c.id::text AND a.action = 'child.create')"))
    while_down = [(a - s) for (s, a, st, _) in outcomes if st == 503 and s >= down and a <= up]
    first_success = min((a for (s, a, st, _) in outcomes if st in (200, 201) and s >= up), default=None)
    statuses = {}
    for (_, _, s, _) in outcomes:
        statuses[str(s)] = statuses.get(str(s), 0) + 1
    return {
        "writes_sent": len(outcomes),
        "statuses": statuses,
        "acknowledged": len(acknowledged),
        "acknowledged_missing": len([c for c in acknowledged if c not in present]),
        "half_written_children": half_written,
        "stop_seconds": round(down - stopping, 2),
        "answers_503_while_down": len(while_down),
        "p99_503_ms_while_down": round(sorted(while_down)[int(len(while_down) * 0.99) - 1] * 1000, 1) if while_down else None,
        "max_503_ms_while_down": round(max(while_down) * 1000, 1) if while_down else None,
        "recovery_seconds": round(first_success - up, 2) if first_success else None,
    }


# Answers the restored database must give exactly as the original did.
COMPARED = [
    "/api/v1/stats/prevalence?year=2024&region=14&level=district",
    "/api/v1/stats/cases?year=2024&region=14.01&level=village",
    "/api/v1/stats/budgets?year=2024&region=14&level=district",
    "/api/v1/regions/14.01/summary?year=2024",
    "/api/v1/children?region=14.01.01.2009&limit=500",
]


def environment(cluster, port):
    """The environment of an instance on `cluster` listening on `port`."""
    env = dict(os.environ, DATABASE_URL=cluster.url(), APP_ENV="development", LISTEN_ADDR=f"127.0.0.1:{port}",
               ADMIN_PASSWORD=ADMIN_PASSWORD, ACCESS_TOKEN_TTL_SECS="3600", RUST_LOG="warn", LOG_FORMAT="json",
               # The load comes from one address; the limits are tested in tests/api/limits.rs.
               RATE_LIMIT_PER_ADDRESS="0", RATE_LIMIT_PER_ACCOUNT="0")
    return env


def wait_ready(port):
    for _ in range(600):
        try:
            if call(port, "GET", "/health/ready")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)


def sign_in(port):
    status, data = call(port, "POST", "/api/v1/auth/token",
                        {"grant_type": "password", "username": "admin", "password": ADMIN_PASSWORD})
    assert status == 200, data
    return json.loads(data)["access_token"]


def restore_drill(binary, port, token, cluster):
    """pg_dump the database, restore it into a new cluster, verify its kept counts there and
    compare an instance's answers on it with the original's."""
    dump = os.path.join(WORK, "stunting.dump")
    started = time.monotonic()
    subprocess.run([pg_bin("pg_dump"), "-h", cluster.socket, "-U", "postgres", "-Fc", "-f", dump, "stunting"],
                   check=True)
    dumped = time.monotonic()
    restored = Cluster("pg-restored")
    subprocess.run([pg_bin("pg_restore"), "-h", restored.socket, "-U", "postgres", "--no-owner", "-d", "stunting",
                    dump], check=True)
    restore_seconds = round(time.monotonic() - dumped, 1)
    verify = subprocess.run([binary, "counts", "verify"], env=environment(restored, 0), capture_output=True, text=True)
    other_port = free_port()
    log = open(os.path.join(WORK, "service-restored.log"), "w")
    service = subprocess.Popen([binary], env=environment(restored, other_port), stdout=log, stderr=log)
    try:
        wait_ready(other_port)
        other_token = sign_in(other_port)
        differing = [path for path in COMPARED
                     if json.loads(call(port, "GET", path, token=token)[1])
                     != json.loads(call(other_port, "GET", path, token=other_token)[1])]
    finally:
        service.terminate()
        service.wait()
        restored.stop()
    return {
        "dump_bytes": os.path.getsize(dump),
        "dump_seconds": round(dumped - started, 1),
        "restore_seconds": restore_seconds,
        "counts_verify": "agrees" if verify.returncode == 0 else verify.stdout + verify.stderr,
        "answers_compared": len(COMPARED),
        "answers_differing": differing,
    }


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet", "--bin", "stunting-api"], cwd=ROOT, check=True)
    binary = os.path.join(ROOT, "target", "release", "stunting-api")
    cluster = Cluster()
    port = free_port()
    env = environment(cluster, port)
    subprocess.run([binary, "demo", "load"], env=env, check=True, stdout=subprocess.DEVNULL)
    log = open(os.path.join(WORK, "service.log"), "w")
    service = subprocess.Popen([binary], env=env, stdout=log, stderr=log)
    try:
        wait_ready(port)
        token = sign_in(port)
        results = {"load": load(port, token, service.pid), "fault": fault(port, token, cluster)}
        results["load"]["children_written"] = int(cluster.psql("SELECT count(*) FROM children WHERE name = 'Beban Uji'"))
        results["restore"] = restore_drill(binary, port, token, cluster)
    finally:
        service.terminate()
        service.wait()
        try:
            cluster.stop()
        except subprocess.CalledProcessError:
            pass
    print(json.dumps(results, indent=2))
    with open(os.path.join(WORK, "result.json"), "w") as out:
        json.dump(results, out, indent=2)
    load_, fault_, restore = results["load"], results["fault"], results["restore"]
    broken = []
    if load_["s500"] or load_["s5xx"] or load_["s503"]:
        broken.append("the load got server errors")
    if "500" in fault_["statuses"]:
        broken.append("a 500 while PostgreSQL was away")
    if fault_["acknowledged_missing"] or fault_["half_written_children"]:
        broken.append("a write was lost or half-written")
    if fault_["recovery_seconds"] is None or fault_["recovery_seconds"] > 2:
        broken.append("recovery took more than 2 s")
    if fault_["max_503_ms_while_down"] is None or fault_["max_503_ms_while_down"] > 1000:
        broken.append("503s while PostgreSQL was away were slow (or missing)")
    if restore["counts_verify"] != "agrees":
        broken.append("the restored database's kept counts differ from its rows")
    if restore["answers_differing"]:
        broken.append("the restored database answers differently: " + ", ".join(restore["answers_differing"]))
    if broken:
        sys.exit("FAILED: " + "; ".join(broken))
    print("held: no 500, nothing lost, recovered in", fault_["recovery_seconds"], "s")


if __name__ == "__main__":
    main()
