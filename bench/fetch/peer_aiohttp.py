"""bench/fetch peer: asyncio and aiohttp, one coroutine per URL, one
ClientSession (its default connector: at most 100 connections).

    python3 peer_aiohttp.py LIST [PRE POST]

PRE and POST as in peer_requests.py, hashed in the coroutine (on the
event loop's one thread, as a program that does not think of executors).
Exits 1 unless every response is a 200.
"""
import asyncio
import hashlib
import sys

import aiohttp


async def fetch(session, url, zeros, pre, post):
    if pre:
        hashlib.sha256(memoryview(zeros)[:pre]).digest()
    async with session.get(url) as r:
        body = await r.read()
        ok = r.status == 200 and len(body) > 0
    if post:
        hashlib.sha256(memoryview(zeros)[:post]).digest()
    return ok


async def main():
    listfile = sys.argv[1]
    pre = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    post = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    zeros = bytes(max(pre, post))
    with open(listfile) as f:
        urls = [line.strip() for line in f if line.strip()]
    async with aiohttp.ClientSession() as session:
        ok = await asyncio.gather(*(fetch(session, u, zeros, pre, post)
                                    for u in urls))
    return all(ok)


sys.exit(0 if asyncio.run(main()) else 1)
