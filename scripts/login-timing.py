#!/usr/bin/env python3
"""Compares login times for an unknown username and for a known username with a wrong password,
against a running server, from outside the test suite. Both must answer the same 401 and take
about the same time (the server verifies unknown users against a dummy argon2id hash).

Usage: scripts/login-timing.py [BASE_URL] [KNOWN_USERNAME] [ROUNDS]
       (defaults http://127.0.0.1:18000, admin, 40)
The login limit (10/minute per address) stops a long run: start the server with
KANBAN__RATE_LIMIT__ENABLED=false for a measurement. Needs only python3.
"""
import json
import statistics
import sys
import time
import urllib.error
import urllib.request

base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:18000"
known = sys.argv[2] if len(sys.argv) > 2 else "admin"
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 40


def attempt(username):
    body = json.dumps({"username": username, "password": "Wrong-password-1"}).encode()
    request = urllib.request.Request(
        base + "/api/auth/login", data=body, headers={"content-type": "application/json"}
    )
    started = time.perf_counter()
    try:
        urllib.request.urlopen(request).read()
        status, message = 200, None
    except urllib.error.HTTPError as error:
        status = error.code
        message = json.loads(error.read())["error"]["message"]
    return time.perf_counter() - started, status, message


samples = {"unknown user": [], "wrong password": []}
messages = set()
attempt(known)  # warm up the connection path
for n in range(rounds):
    # Alternate so that drifts in machine load hit both equally.
    for case, username in (("unknown user", f"nobody-{n}"), ("wrong password", known)):
        elapsed, status, message = attempt(username)
        if status != 401:
            sys.exit(f"{case}: expected 401, got {status}")
        samples[case].append(elapsed * 1000)
        messages.add(message)

medians = {case: statistics.median(values) for case, values in samples.items()}
for case, median in medians.items():
    print(f"{case:>15}: median {median:6.1f} ms over {rounds} attempts")
difference = abs(medians["unknown user"] - medians["wrong password"]) / max(medians.values())
print(f"difference: {difference:.1%}; distinct messages: {len(messages)}")
sys.exit(0 if difference < 0.2 and len(messages) == 1 else 1)
