"""A small closed-loop HTTP load generator, run in its own process so it shares no GIL with the
rest.

    python bench/loadgen.py REQUESTS.json URL CONCURRENCY [PERIOD]

REQUESTS.json holds [{"body": "...", "headers": {...}}, ...], signed beforehand, so the measured
time is the server's answer and nothing of the generator's own work but one send and one read.
Each of CONCURRENCY threads keeps one HTTP/1.1 connection open. Without PERIOD the load is a
closed loop: each thread sends its next request as soon as its previous one is answered, so
CONCURRENCY requests are always in flight (the server runs flat out). With PERIOD (seconds) the
load comes in bursts: every PERIOD seconds all threads send one request at the same instant (a
burst of CONCURRENCY clicks, as when a module lands and many answer at once) and wait for the next
burst. Either way the first CONCURRENCY requests warm the server up and are not counted. Prints
{"ms": [...], "errors": [...]} as JSON.
"""

from __future__ import annotations

import http.client
import itertools
import json
import sys
import threading
import time
from urllib.parse import urlsplit


def run(
    requests: list[dict], url: str, concurrency: int, period: float | None = None
) -> dict[str, list]:
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

    waves = -(-len(requests) // concurrency)
    burst = threading.Barrier(concurrency + 1)  # the threads and the clock below

    def worker(n: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        warm.wait()
        if period is None:
            while (index := next(counter)) < len(requests):
                conn = one(conn, index)
        else:
            for wave in range(waves):
                burst.wait()
                if (index := wave * concurrency + n) < len(requests):
                    conn = one(conn, index)
        conn.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    for t in threads:
        t.start()
    if period is not None:
        for _ in range(waves):
            started = time.monotonic()
            burst.wait()
            time.sleep(max(0.0, period - (time.monotonic() - started)))
    for t in threads:
        t.join()
    # The first round (one request per thread, all at once) warms up the server's threads and pools.
    return {"ms": [x for x in latencies[concurrency:] if x is not None], "errors": errors}


def main() -> int:
    path, url, concurrency = sys.argv[1], sys.argv[2], int(sys.argv[3])
    period = float(sys.argv[4]) if len(sys.argv) > 4 else None
    with open(path) as f:
        requests = json.load(f)
    json.dump(run(requests, url, concurrency, period), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
