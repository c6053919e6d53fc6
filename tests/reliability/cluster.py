"""Proof across instances (issue 29): three instances behind HAProxy on a primary and a
streaming replica, under a mixed load of clients that retry as the README tells them to (the
same `Idempotency-Key` after a 502, 503 or 504 or a broken connection). While it runs:

1. an import job of `JOB_RECORDS` children starts on instance A, and A is killed (SIGKILL)
   while it writes: another instance takes the job up when its lease runs out;
2. an account is deactivated through the load balancer: its token must be refused by every
   instance within a second;
3. the replica is stopped: lists and aggregates go on from the primary;
4. A is started again and HAProxy sends it requests again.

Afterwards every write answered 201 is looked up on the primary, every child has exactly one
`child.create` audit line (a retry that ran twice would have two), the job has written each
of its records once, and the 5xx answers are counted: the proof allows only those of requests
that were in flight on A when it was killed (and those retried succeed once). The figures go
to target/reliability-cluster/result.json; docs/RELIABILITY.md records them.

Run through `tests/reliability/cluster`. Python's standard library only, plus HAProxy and the
PostgreSQL server binaries."""

import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid

import run
from run import Cluster, as_postgres, call, free_port, pg_bin, sign_in, wait_ready

run.WORK = WORK = os.path.join(run.ROOT, "target", "reliability-cluster")
CLIENTS = int(os.environ.get("CLUSTER_CLIENTS", "16"))
JOB_RECORDS = int(os.environ.get("JOB_RECORDS", "40000"))
VILLAGE = run.VILLAGE
READS = [
    "/api/v1/regions/14.01",
    "/api/v1/stats/prevalence?year=2025&region=14.01",
    "/api/v1/children?region=14.01&limit=20",
    "/api/v1/regions/14.01/summary?year=2025",
    "/api/v1/stats/interventions?year=2025&region=14",
    "/api/v1/children?region=14.01.01.2009&limit=50",
]
# Answers a client retries with the same `Idempotency-Key`: 0 (the connection broke before an
# answer), 502/503/504, and 409 `in-progress` (the first attempt still holds the key: after
# `Retry-After`; a key whose instance died is taken over after `HELD_FOR`, 60 s).
RETRIED = {0, 409, 502, 503, 504}
SERVER_ERRORS = {0, 502, 503, 504, 500}


class Replica(Cluster):
    """A streaming replica of `primary`, made with pg_basebackup."""

    def __init__(self, primary, name="replica"):
        self.place(name)
        subprocess.run(as_postgres([pg_bin("pg_basebackup"), "-h", primary.socket, "-U", "postgres", "-D", self.data,
                                    "-R", "-X", "stream"]), check=True)
        self.start()


class Instance:
    def __init__(self, name, binary, env):
        self.name, self.binary, self.port = name, binary, free_port()
        self.env = dict(env, LISTEN_ADDR=f"127.0.0.1:{self.port}")
        self.process = None

    def start(self):
        log = open(os.path.join(WORK, f"service-{self.name}.log"), "a")
        self.process = subprocess.Popen([self.binary], env=self.env, stdout=log, stderr=log)
        wait_ready(self.port)

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait()


def haproxy(instances):
    """HAProxy in front of `instances`: round robin, readiness checked every 500 ms (down after
    2 failures), and a request whose connection could not be made sent to another instance
    (`retry-on conn-failure`: it never reached the first, so resending it is always safe)."""
    port = free_port()
    servers = "\n".join(f"    server {i.name} 127.0.0.1:{i.port} check" for i in instances)
    config = f"""global
    maxconn 2000
defaults
    mode http
    timeout connect 1s
    timeout client 60s
    timeout server 60s
    retries 3
    option redispatch
    retry-on conn-failure
frontend api
    bind 127.0.0.1:{port}
    default_backend instances
backend instances
    balance roundrobin
    option httpchk GET /health/ready
    http-check expect status 200
    default-server inter 500ms fall 2 rise 2
{servers}
"""
    path = os.path.join(WORK, "haproxy.cfg")
    with open(path, "w") as out:
        out.write(config)
    process = subprocess.Popen(["haproxy", "-f", path, "-db"], stdout=subprocess.DEVNULL,
                               stderr=open(os.path.join(WORK, "haproxy.log"), "w"))
    wait_ready(port)
    return port, process


class Load:
    """Clients through the load balancer: three reads for every write of a new child; a write
    keeps its `Idempotency-Key` through its retries."""

    def __init__(self, port, token):
        self.port, self.token = port, token
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.answers = []  # (sent_at, answered_at, kind, status, attempt)
        self.acknowledged = []  # ids of children answered 201
        self.retried_writes = []  # ids whose first answer was one to retry
        self.retried = []  # (kind, first status, final status, attempts, seconds) of each retried request
        self.gave_up = []

    def send(self, method, path, body=None, key=None):
        """The answer's status (0: none), and for a 409 whether it is `in-progress`."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        if key:
            headers["Idempotency-Key"] = key
        try:
            conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
            response = conn.getresponse()
            data = response.read()
            if response.status == 409 and b"/problems/in-progress" not in data:
                return 4090  # a real conflict: not retried
            return response.status
        except OSError:
            return 0
        finally:
            conn.close()

    def client(self, number):
        n = number
        while not self.stop.is_set():
            n += 1
            if n % 4 == 0:
                child = str(uuid.uuid4())
                body = {"id": child, "village_code": VILLAGE, "sex": "female", "birth_date": "2024-06-01",
                        "name": "Beban Klaster"}
                request = ("POST", "/api/v1/children", body, str(uuid.uuid4()), "write")
            else:
                child = None
                request = ("GET", READS[n % len(READS)], None, None, "read")
            first_sent = time.monotonic()
            for attempt in range(200):
                sent = time.monotonic()
                status = self.send(*request[:4])
                with self.lock:
                    self.answers.append((sent, time.monotonic(), request[4], status, attempt))
                if attempt == 0:
                    first_status = status
                if status not in RETRIED or time.monotonic() - first_sent > 120:
                    break
                if attempt == 0 and child:
                    with self.lock:
                        self.retried_writes.append(child)
                time.sleep(1.0 if status == 409 else min(0.2 * (attempt + 1), 1.0))
            if attempt > 0:
                with self.lock:
                    self.retried.append((request[4], first_status, status, attempt + 1, time.monotonic() - first_sent))
            if child and status in (200, 201):
                with self.lock:
                    self.acknowledged.append(child)
            elif status in RETRIED:
                with self.lock:
                    self.gave_up.append(request[1])

    def start(self):
        self.threads = [threading.Thread(target=self.client, args=(i,)) for i in range(CLIENTS)]
        for thread in self.threads:
            thread.start()

    def finish(self):
        self.stop.set()
        for thread in self.threads:
            thread.join()


def import_job(port, token):
    """Queues an import of JOB_RECORDS children (NDJSON, `background=true`) and returns its path."""
    lines = "".join(json.dumps({"child_id": str(uuid.uuid4()), "village_code": VILLAGE, "sex": "male",
                                "birth_date": "2024-02-01", "name": "Impor Ambil Alih"}) + "\n"
                    for _ in range(JOB_RECORDS))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("POST", "/api/v1/imports/children?background=true", body=lines.encode(),
                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"})
    response = conn.getresponse()
    response.read()
    assert response.status == 202, response.status
    return response.getheader("Location")


def job(port, token, path):
    status, data = call(port, "GET", path, token=token)
    return json.loads(data) if status == 200 else {"status": f"http {status}"}


def refused_everywhere(instances, token, deadline=1.0):
    """Seconds until every live instance answers `token` with 401, or None after `deadline`."""
    started = time.monotonic()
    while time.monotonic() - started < deadline:
        if all(call(i.port, "GET", "/api/v1/auth/me", token=token)[0] == 401 for i in instances):
            return round(time.monotonic() - started, 3)
        time.sleep(0.01)
    return None


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet", "--bin", "stunting-api"], cwd=run.ROOT,
                   check=True)
    binary = os.path.join(run.ROOT, "target", "release", "stunting-api")
    primary = Cluster("primary")
    env = run.environment(primary, 0)
    env.update(JWT_SECRET="cluster drill secret: the same on every instance", NIK_HASH_KEY="cluster drill nik key 0123456789")
    subprocess.run([binary, "demo", "load"], env=env, check=True, stdout=subprocess.DEVNULL)
    replica = Replica(primary)
    env["DATABASE_READ_URL"] = replica.url()
    instances = [Instance(name, binary, env) for name in ("a", "b", "c")]
    for instance in instances:
        instance.start()
    a, b, c = instances
    balancer, proxy = haproxy(instances)
    timeline = {}
    try:
        token = sign_in(balancer)
        status, data = call(balancer, "POST", "/api/v1/users", {
            "username": "cadre.klaster", "password": "a long cadre password", "role": "cadre", "scope": VILLAGE,
            "display_name": "Kader Klaster"}, token)
        assert status == 201, data
        cadre = json.loads(data)
        status, data = call(balancer, "POST", "/api/v1/auth/token", {
            "grant_type": "password", "username": "cadre.klaster", "password": "a long cadre password"})
        cadre_token = json.loads(data)["access_token"]

        load = Load(balancer, token)
        started = time.monotonic()
        load.start()
        time.sleep(5)
        job_path = import_job(a.port, token)
        while job(a.port, token, job_path).get("records_done", 0) == 0:
            time.sleep(0.1)
        timeline["job_records_done_at_kill"] = job(a.port, token, job_path).get("records_done")
        timeline["kill_a"] = time.monotonic() - started
        a.kill()

        time.sleep(5)
        timeline["deactivate"] = time.monotonic() - started
        conn = http.client.HTTPConnection("127.0.0.1", balancer, timeout=30)
        conn.request("PATCH", f"/api/v1/users/{cadre['id']}", body=json.dumps({"active": False}),
                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                              "If-Match": f'"{cadre["version"]}"'})
        response = conn.getresponse()
        assert response.status == 200, (response.status, response.read())
        conn.close()
        timeline["deactivation_refused_on_b_and_c_after_s"] = refused_everywhere([b, c], cadre_token)

        time.sleep(5)
        timeline["stop_replica"] = time.monotonic() - started
        replica.stop()

        time.sleep(5)
        timeline["restart_a"] = time.monotonic() - started
        a.start()
        timeline["deactivation_refused_on_restarted_a"] = call(a.port, "GET", "/api/v1/auth/me", token=cadre_token)[0] == 401

        deadline = time.monotonic() + 150
        while job(b.port, token, job_path).get("status") not in ("succeeded", "failed") and time.monotonic() < deadline:
            time.sleep(1)
        timeline["job_done"] = time.monotonic() - started
        time.sleep(3)
        load.finish()
        ended = time.monotonic()
        final_job = job(b.port, token, job_path)
    finally:
        proxy.terminate()
        for instance in instances:
            instance.stop()
    try:
        replica.stop()
    except subprocess.CalledProcessError:
        pass

    present = set(primary.psql("SELECT id FROM children WHERE name = 'Beban Klaster'").split())
    audits_per_child = primary.psql(
        "SELECT count(*) FILTER (WHERE n <> 1) FROM (SELECT c.id, count(a.*) AS n FROM children c "
        "LEFT JOIN audit_log a ON a.entity = 'child' AND a.entity_id = c.id::text AND a.action = 'child.create' "
        "WHERE c.name IN ('Beban Klaster', 'Impor Ambil Alih') GROUP BY c.id) t")
    imported = int(primary.psql("SELECT count(*) FROM children WHERE name = 'Impor Ambil Alih'"))
    primary.stop()

    kill_at = started + timeline["kill_a"]
    stop_replica_at = started + timeline["stop_replica"]
    first = [x for x in load.answers if x[4] == 0]
    server_errors = [x for x in load.answers if x[3] in SERVER_ERRORS]
    retried = [x for x in load.answers if x[4] > 0]

    def near(moment, x):  # sent before `moment` and answered after it: in flight then
        return x[0] <= moment + 0.05 and x[1] >= moment

    statuses = {}
    for x in load.answers:
        statuses[str(x[3])] = statuses.get(str(x[3]), 0) + 1
    results = {
        "clients": CLIENTS,
        "seconds": round(ended - started, 1),
        "requests": len(load.answers),
        "first_attempts": len(first),
        "requests_per_second": round(len(load.answers) / (ended - started), 1),
        "statuses": statuses,
        "server_errors": len(server_errors),
        "server_errors_in_flight_at_kill": len([x for x in server_errors if near(kill_at, x)]),
        "server_errors_in_flight_at_replica_stop": len([x for x in server_errors if near(stop_replica_at, x)]),
        "server_errors_other": [x[2:] for x in server_errors if not near(kill_at, x) and not near(stop_replica_at, x)],
        "writes_acknowledged": len(load.acknowledged),
        "writes_acknowledged_missing": len([c for c in load.acknowledged if c not in present]),
        "writes_retried": len(load.retried_writes),
        "retries_in_progress_409": len([x for x in retried if x[3] == 409]),
        "retried_requests": [{"kind": r[0], "first": r[1], "final": r[2], "attempts": r[3], "seconds": round(r[4], 1)}
                             for r in load.retried],
        "writes_retried_present": len([c for c in load.retried_writes if c in present]),
        "requests_given_up": len(load.gave_up),
        "children_without_exactly_one_create": int(audits_per_child),
        "job": {"status": final_job.get("status"), "records": JOB_RECORDS, "children_written": imported,
                "summary": final_job.get("summary")and {k: final_job["summary"][k] for k in ("received", "created", "unchanged", "rejected")}},
        "timeline_seconds": {k: (round(v, 2) if isinstance(v, float) else v) for k, v in timeline.items()},
    }
    print(json.dumps(results, indent=2))
    with open(os.path.join(WORK, "result.json"), "w") as out:
        json.dump(results, out, indent=2)
    broken = []
    if results["server_errors_other"]:
        broken.append("5xx answers outside the requests in flight at the kill and the replica stop")
    if results["writes_acknowledged_missing"] or results["children_without_exactly_one_create"]:
        broken.append("a write was lost, half-written or written twice")
    if results["writes_retried"] != results["writes_retried_present"] or load.gave_up:
        broken.append("a retried write did not succeed")
    if final_job.get("status") != "succeeded" or imported != JOB_RECORDS:
        broken.append(f"the import job was not taken over whole ({final_job.get('status')}, {imported} children)")
    if timeline["deactivation_refused_on_b_and_c_after_s"] is None or not timeline["deactivation_refused_on_restarted_a"]:
        broken.append("a deactivated account still worked on an instance")
    if broken:
        sys.exit("FAILED: " + "; ".join(broken))
    print("held across instances")


if __name__ == "__main__":
    main()
