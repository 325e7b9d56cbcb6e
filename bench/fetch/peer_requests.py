"""bench/fetch peer: Python requests, as the textbook writes it.

    python3 peer_requests.py loop|pool5 LIST [PRE POST]

loop: requests.get for each URL in turn; pool5: the same calls in a
ThreadPoolExecutor of 5 threads.  PRE and POST: bytes hashed with SHA-256
before each request and after each response (the CPU-work variant).
Exits 1 unless every response is a 200.
"""
import hashlib
import sys
from concurrent.futures import ThreadPoolExecutor

import requests

ZEROS = bytes(0)


def fetch(url, pre, post):
    if pre:
        hashlib.sha256(memoryview(ZEROS)[:pre]).digest()
    r = requests.get(url)
    body = r.content
    if post:
        hashlib.sha256(memoryview(ZEROS)[:post]).digest()
    return r.status_code == 200 and len(body) > 0


def main():
    global ZEROS
    mode, listfile = sys.argv[1], sys.argv[2]
    pre = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    post = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    ZEROS = bytes(max(pre, post))
    with open(listfile) as f:
        urls = [line.strip() for line in f if line.strip()]
    if mode == "loop":
        ok = [fetch(u, pre, post) for u in urls]
    else:
        with ThreadPoolExecutor(5) as ex:
            ok = list(ex.map(lambda u: fetch(u, pre, post), urls))
    sys.exit(0 if all(ok) else 1)


main()
