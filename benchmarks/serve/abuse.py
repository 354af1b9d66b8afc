"""The robustness run: thousands of malformed requests and a few hundred slow connections
against a running `encore serve`, on loopback only, bounded in count and time. Prints one JSON
line: how many of each were sent and how the server answered."""
import json
import socket
import sys
import time

HOST = "127.0.0.1"


def exchange(port, raw, timeout=5.0):
    """Sends raw bytes, returns the status code the server answered with (or an error name)."""
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as s:
            s.sendall(raw)
            s.shutdown(socket.SHUT_WR)
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        line = data.split(b"\r\n", 1)[0].decode(errors="replace")
        return line.split(" ")[1] if line.startswith("HTTP/") else "closed"
    except OSError as error:
        return type(error).__name__


def malformed(count):
    cases = CASES
    answers, by_case = {}, {}
    for i in range(count):
        name, raw = cases[i % len(cases)]
        status = exchange(PORT, raw)
        answers[status] = answers.get(status, 0) + 1
        by_case.setdefault(name, {}).setdefault(status, 0)
        by_case[name][status] += 1
    return answers, by_case


CASES = [
        b"GARBAGE\r\n\r\n",
        b"GET /v1/users/%ZZ/recommendations HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /v1/users/1/recommendations?count=-5 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /v1/users/1/recommendations?count=99999999999999999999 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /v1/radio?seed= HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\n" + b"X-Big: " + b"b" * 70000 + b"\r\n\r\n",
        b"POST /v1/recommendations HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\n{\"plays\":",
        b"POST /v1/recommendations HTTP/1.1\r\nHost: x\r\nContent-Length: 14\r\n\r\n[1, 2, 3, 4, 5]",
        b"POST /v1/recommendations HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n" + b"x" * 1000,
        b"POST /v1/recommendations HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnope\r\n0\r\n\r\n",
        b"DELETE /v1/admin/reload HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /v1/admin/reload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\n\r\n",
        b"GET /v1/users/\xff\xfe/explain?item=\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # a TLS hello on the plain port
]
NAMES = ["not HTTP", "bad percent-escape in ID", "negative count", "count beyond Int64", "empty radio seed",
         "20 kB URL", "70 kB header", "truncated JSON body", "JSON array body, cut short by its Content-Length", "Content-Length 5 MB, 1 kB sent",
         "bad chunked encoding", "DELETE on admin route", "admin reload, wrong token", "invalid UTF-8 and NUL in URL",
         "TLS hello on plain port"]
CASES = list(zip(NAMES, CASES))


def slow(count, hold):
    """Opens `count` connections that send half a request and then stall for `hold` seconds."""
    sockets = []
    for _ in range(count):
        try:
            s = socket.create_connection((HOST, PORT), timeout=5)
            s.sendall(b"GET /v1/users/")
            sockets.append(s)
        except OSError:
            pass
    opened = len(sockets)
    # While they stall, the server must still answer others.
    time.sleep(1)
    during = exchange(PORT, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(hold)
    closed_by_server = 0
    for s in sockets:
        try:
            s.settimeout(0.5)
            if s.recv(1) == b"":
                closed_by_server += 1
        except OSError:
            closed_by_server += 1
        s.close()
    return {"opened": opened, "healthz_while_stalled": during, "closed_by_server_timeout": closed_by_server}


if __name__ == "__main__":
    PORT = int(sys.argv[1])
    answers, by_case = malformed(int(sys.argv[2]))
    result = {"malformed": answers, "malformed_by_case": by_case, "slow": slow(int(sys.argv[3]), float(sys.argv[4]))}
    print(json.dumps(result))
