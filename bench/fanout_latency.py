"""Live event fan-out to many subscribers: latency from publish to every subscriber's receipt
(never run by CI).

.venv/bin/python bench/fanout_latency.py [--subscribers 1000] [--events 200] [--redis URL]

Without ``--redis`` the in-process broker of embedded mode is measured; with it, events go
through Redis pub/sub and back (the path between server processes). Each event is stamped
when published; each subscriber notes when it received it. Prints p50/p99/max of those
delays over every (event, subscriber) pair, and events per second published.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid

from unicrm.core.db.types import utcnow
from unicrm.core.events.fanout import Fanout
from unicrm.core.events.outbox import Event


async def subscriber(fanout: Fanout, expected: int, ready: asyncio.Event, delays: list[float]):
    async with fanout.subscribe() as feed:
        ready.set()
        seen = 0
        async for event in feed:
            delays.append(time.perf_counter() - event.payload["sent"])
            seen += 1
            if seen == expected:
                return


async def bench(subscribers: int, events: int, redis_url: str) -> None:
    fanout = Fanout(redis_url, f"bench:{uuid.uuid4().hex}", queue_size=events + 1)
    delays: list[float] = []
    readies = [asyncio.Event() for _ in range(subscribers)]
    tasks = [asyncio.create_task(subscriber(fanout, events, r, delays)) for r in readies]
    await asyncio.gather(*(r.wait() for r in readies))
    await asyncio.sleep(0.5)  # Redis: let the listener subscribe
    started = time.perf_counter()
    for n in range(events):
        event = Event(uuid.uuid4(), "bench.tick", None, {"n": n}, None, utcnow())
        event.payload["sent"] = time.perf_counter()
        await fanout.publish([event])
        await asyncio.sleep(0)
    published = time.perf_counter() - started
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=120)
    await fanout.close()
    delays.sort()
    ms = [d * 1000 for d in delays]
    print(
        f"{'redis' if redis_url else 'in-process'}: {subscribers} subscribers, {events} events, "
        f"{len(ms)} deliveries"
    )
    print(
        f"delay p50 {statistics.median(ms):.2f} ms, p99 {ms[int(len(ms) * 0.99) - 1]:.2f} ms, "
        f"max {ms[-1]:.2f} ms; published {events / published:.0f} events/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--redis", default="")
    args = parser.parse_args()
    asyncio.run(bench(args.subscribers, args.events, args.redis))


if __name__ == "__main__":
    main()
