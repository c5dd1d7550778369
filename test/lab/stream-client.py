# The labs' request stream for measuring a failover's client gap: one HTTP request on a fresh
# TCP connection every INTERVAL_MS, each recorded. Python with asyncio and raw sockets, because
# node's http client in the lab VM's emulation managed about 25 requests/s next to the rest of
# the lab, which measured a gap only to 40 ms or worse; this keeps the interval.
#
#   python3 stream-client.py HOST PORT INTERVAL_MS TIMEOUT_MS [MAX_REQUESTS]
#     prints "stream running" when started; on a line "stop" (or stdin closed) it stops starting
#     requests, waits for those in flight and prints one JSON line:
#     {"records":[{"t":<epoch ms>,"ok":true,"by":"rs1","ms":12},...]}, oldest first.
import asyncio
import json
import sys
import time

if len(sys.argv) not in (5, 6):
    sys.stderr.write('usage: stream-client.py HOST PORT INTERVAL_MS TIMEOUT_MS [MAX_REQUESTS]\n')
    sys.exit(2)
HOST, PORT = sys.argv[1], int(sys.argv[2])
INTERVAL_S, TIMEOUT_S = int(sys.argv[3]) / 1000, int(sys.argv[4]) / 1000
MAX_REQUESTS = int(sys.argv[5]) if len(sys.argv) == 6 else 20_000
REQUEST = b'GET / HTTP/1.1\r\nhost: lab\r\nconnection: close\r\n\r\n'


async def one(rec):
    writer = None
    try:
        async def exchange():
            nonlocal writer
            reader, writer = await asyncio.open_connection(HOST, PORT)
            writer.write(REQUEST)
            return await reader.read()

        reply = await asyncio.wait_for(exchange(), TIMEOUT_S)
        head, _, body = reply.partition(b'\r\n\r\n')
        if not head.startswith(b'HTTP/1.1 200') or not body:
            raise ValueError(head[:40])
        rec['ok'] = True
        rec['by'] = body.split(b' ', 1)[0].decode()
    except (OSError, asyncio.TimeoutError, ValueError):
        pass
    finally:
        rec['ms'] = int(time.time() * 1000) - rec['t']
        if writer is not None:
            writer.close()


async def main():
    loop = asyncio.get_running_loop()
    stopped = asyncio.Event()
    loop.add_reader(sys.stdin.fileno(), lambda: (sys.stdin.readline().strip() in ('stop', '')) and stopped.set())
    records, tasks = [], set()
    print('stream running', flush=True)
    next_at = loop.time()
    while not stopped.is_set() and len(records) < MAX_REQUESTS:
        rec = {'t': int(time.time() * 1000), 'ok': False, 'by': None, 'ms': 0}
        records.append(rec)
        task = asyncio.create_task(one(rec))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        # A fixed schedule; when the loop falls behind it starts the next at once, no burst to catch up.
        next_at = max(next_at + INTERVAL_S, loop.time())
        try:
            await asyncio.wait_for(stopped.wait(), next_at - loop.time())
        except asyncio.TimeoutError:
            pass
    await stopped.wait()
    if tasks:
        await asyncio.wait(tasks)
    print(json.dumps({'records': records}), flush=True)


asyncio.run(main())
