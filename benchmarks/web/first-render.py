#!/usr/bin/env python3
"""First render of the web page (issue #20): opens each deep link ROUNDS times in headless
Chromium (through chromedriver's WebDriver HTTP protocol, Python standard library only) against a
running `encore serve`, and prints, per page, the median and the slowest of:

  - render: navigation start to the view drawn (the page sets data-render-ms on <body> when the
    main view is in the DOM, every JSON answer it needs included);
  - map: navigation start to the map drawn (data-map-ms);
  - html: navigation start to the last byte of the HTML (Navigation Timing responseEnd).

Usage: benchmarks/web/first-render.py http://127.0.0.1:8080 [ROUNDS]
"""
import json, socket, statistics, subprocess, sys, time, urllib.request

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def call(base, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read())["value"]

def main():
    server, rounds = sys.argv[1].rstrip("/"), int(sys.argv[2]) if len(sys.argv) > 2 else 10
    port = free_port()
    driver = subprocess.Popen(["chromedriver", f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                call(base, "GET", "/status"); break
            except OSError:
                time.sleep(0.05)
        options = {"binary": "/usr/bin/chromium", "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1400"]}
        session = call(base, "POST", "/session", {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": options}}})["sessionId"]
        pages = ["/?artist=Metallica", "/?user=2", "/?plays=Metallica:300,Slayer:40", "/"]
        for page in pages:
            samples = []
            for _ in range(rounds):
                call(base, "POST", f"/session/{session}/url", {"url": "about:blank"})
                call(base, "POST", f"/session/{session}/url", {"url": server + page})
                script = "return [document.body.dataset.renderMs, document.body.dataset.mapMs, performance.getEntriesByType('navigation')[0].responseEnd];"
                for _ in range(400):
                    render, map_ms, html = call(base, "POST", f"/session/{session}/execute/sync", {"script": script, "args": []})
                    if render and map_ms: break
                    time.sleep(0.01)
                samples.append((int(render), int(map_ms), float(html)))
            columns = list(zip(*samples))
            print(f"{page:36} render median {statistics.median(columns[0]):5.0f} ms, max {max(columns[0]):4.0f} ms"
                  f" · map median {statistics.median(columns[1]):5.0f} ms · html median {statistics.median(columns[2]):5.1f} ms  ({rounds} loads)")
        call(base, "DELETE", f"/session/{session}")
    finally:
        driver.terminate()

main()
