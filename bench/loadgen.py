"""A small closed-loop HTTP load generator, run in its own process so it shares no GIL with the rest.

    python bench/loadgen.py REQUESTS.json URL CONCURRENCY

REQUESTS.json holds [{"body": "...", "headers": {...}}, ...], signed beforehand, so the measured
time is the server's answer and nothing of the generator's own work but one send and one read.
Each of CONCURRENCY threads keeps one HTTP/1.1 connection open and takes the next request as soon
as its previous one is answered. The first CONCURRENCY requests warm the server up (one round of
every thread) and are not counted. Prints {"ms": [...], "errors": [...]} as JSON.
"""

from __future__ import annotations

import http.client
import itertools
import json
import sys
import threading
import time
from urllib.parse import urlsplit


def run(requests: list[dict], url: str, concurrency: int) -> dict[str, list]:
    """Send every request, CONCURRENCY at a time; latencies in ms of all but the warm-up round."""
    parts = urlsplit(url)
    path = parts.path or "/"
    latencies: list[float | None] = [None] * len(requests)
    errors: list[str] = []
    counter = itertools.count()
    warm = threading.Barrier(concurrency)

    def one(conn: http.client.HTTPConnection, index: int) -> http.client.HTTPConnection:
        request = requests[index]
        start = time.perf_counter()
        try:
            conn.request("POST", path, body=request["body"].encode(), headers=request["headers"])
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            conn.close()
            return http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        latencies[index] = (time.perf_counter() - start) * 1000
        if response.status != 200:
            errors.append(f"HTTP {response.status}")
        if response.getheader("connection", "").lower() == "close":
            conn.close()
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        return conn

    def worker() -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        warm.wait()
        while (index := next(counter)) < len(requests):
            conn = one(conn, index)
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # The first round (one request per thread, all at once) warms up the server's threads and pools.
    return {"ms": [x for x in latencies[concurrency:] if x is not None], "errors": errors}


def main() -> int:
    path, url, concurrency = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(path) as f:
        requests = json.load(f)
    json.dump(run(requests, url, concurrency), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
