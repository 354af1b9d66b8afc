/// The page `encore serve` answers at `/`: one HTML document with its CSS and JavaScript inline,
/// so the binary needs no resource bundle and the browser fetches nothing but the JSON API —
/// no CDN, which neither these machines nor many production networks can reach. The script is
/// in `WebPageScript.swift`; docs/web.md describes the page.
enum WebPage {
    /// The whole document.
    static let html = head + body + "<script>\n" + WebPageScript.source + "\n</script>\n</body>\n</html>\n"

    private static let head = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Encore</title>
    <style>
    :root { --ink: #1d2330; --muted: #5d6677; --line: #d9dde5; --accent: #b3261e; --accent2: #1f5fbf; --bg: #fafafa; --card: #fff; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink); background: var(--bg); }
    a { color: var(--accent2); }
    a:focus-visible, button:focus-visible, input:focus-visible, [tabindex]:focus-visible { outline: 3px solid #f0a500; outline-offset: 2px; }
    header { display: flex; flex-wrap: wrap; gap: 12px 24px; align-items: center; padding: 10px 20px; background: var(--ink); color: #fff; }
    header a.brand { color: #fff; font-weight: 700; font-size: 20px; text-decoration: none; }
    header label { font-size: 13px; margin-right: 6px; }
    header input { font: inherit; padding: 5px 8px; border-radius: 4px; border: 1px solid #8892a6; }
    header a { color: #cfe0ff; }
    .search { position: relative; }
    #search { width: 280px; }
    #search-results { position: absolute; z-index: 5; left: 0; right: 0; top: 100%; margin: 2px 0 0; padding: 0; list-style: none; background: var(--card); color: var(--ink); border: 1px solid var(--line); border-radius: 4px; box-shadow: 0 4px 12px rgba(0,0,0,.15); }
    #search-results li { padding: 6px 10px; cursor: pointer; display: flex; justify-content: space-between; gap: 8px; }
    #search-results li[aria-selected="true"], #search-results li:hover { background: #e8effc; }
    #search-results li.note { cursor: default; color: var(--muted); font-size: 13px; background: none; }
    small, .muted { color: var(--muted); }
    main { padding: 16px 20px; max-width: 1200px; }
    main:focus { outline: none; }
    h1 { margin: 4px 0 2px; font-size: 26px; }
    h2 { font-size: 17px; margin: 18px 0 8px; }
    .columns { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 8px 28px; }
    table { border-collapse: collapse; width: 100%; }
    th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid var(--line); }
    td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
    ol.station li, ol.recs > li { margin: 0 0 6px; }
    .reason { display: block; color: var(--muted); font-size: 13px; }
    .message { padding: 10px 14px; border-left: 4px solid var(--accent); background: #fff3f2; margin: 10px 0; }
    .warning { padding: 6px 10px; border-left: 4px solid #f0a500; background: #fff8e6; margin: 6px 0; font-size: 14px; }
    figure.explain { margin: 4px 0 12px; padding: 6px 8px; background: var(--card); border: 1px solid var(--line); border-radius: 4px; }
    figure.explain figcaption { font-size: 13px; color: var(--muted); margin-bottom: 4px; }
    .bar-row { display: grid; grid-template-columns: 170px 1fr 64px; align-items: center; gap: 6px; font-size: 13px; }
    .bar-row .label { overflow: hidden; white-space: nowrap; text-overflow: ellipsis; }
    .bar-track { position: relative; height: 12px; background: #f0f2f5; }
    .bar { position: absolute; top: 0; height: 12px; background: var(--accent2); }
    .bar.negative { background: var(--accent); }
    .bar.rest { background: #8a94a8; }
    .bar-zero { position: absolute; top: -2px; bottom: -2px; width: 1px; background: var(--ink); }
    form.plays .row { display: flex; gap: 8px; align-items: end; margin-bottom: 6px; flex-wrap: wrap; }
    form.plays label { display: flex; flex-direction: column; font-size: 13px; }
    form.plays input { font: inherit; padding: 4px 6px; }
    button { font: inherit; padding: 4px 12px; border-radius: 4px; border: 1px solid #8892a6; background: #eef1f6; cursor: pointer; }
    button.primary { background: var(--accent2); color: #fff; border-color: var(--accent2); }
    #map-section { padding: 0 20px 10px; max-width: 1200px; }
    #map { width: 100%; max-width: 1000px; height: auto; background: var(--card); border: 1px solid var(--line); border-radius: 4px; }
    #map circle { fill: #9aa6bd; fill-opacity: .55; }
    #map a.neighbour circle { fill: var(--accent2); fill-opacity: .9; }
    #map a.current circle { fill: var(--accent); fill-opacity: 1; stroke: #000; stroke-width: 1; }
    #map a:focus circle, #map a:hover circle { stroke: #000; stroke-width: 2; fill-opacity: 1; }
    #map text { font-size: 11px; pointer-events: none; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
    #map text.current { font-weight: 700; font-size: 13px; }
    #map text.famous { fill: var(--muted); font-size: 10px; }
    footer { padding: 10px 20px 24px; color: var(--muted); font-size: 13px; border-top: 1px solid var(--line); }
    footer dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; }
    footer dt { font-weight: 600; }
    footer dd { margin: 0; word-break: break-all; }
    .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
    </style>
    </head>

    """#

    private static let body = #"""
    <body>
    <header>
      <a class="brand" href="/" data-nav>Encore</a>
      <div class="search" role="search">
        <label for="search">Find an artist</label>
        <input id="search" type="search" role="combobox" aria-autocomplete="list" aria-expanded="false"
               aria-controls="search-results" autocomplete="off" spellcheck="false" placeholder="e.g. Metallica">
        <ul id="search-results" role="listbox" aria-label="Artists found" hidden></ul>
      </div>
      <form id="user-form">
        <label for="user-id">Open a listener</label>
        <input id="user-id" size="8" placeholder="user ID" required>
        <button type="submit">Open</button>
      </form>
      <a href="/?plays=" data-nav id="try-link">Try it yourself</a>
    </header>
    <main id="main" tabindex="-1" aria-live="polite"><p class="muted">Loading…</p></main>
    <section id="map-section" aria-labelledby="map-title">
      <h2 id="map-title">Map of the catalogue</h2>
      <p id="map-note" class="muted"></p>
      <svg id="map" viewBox="0 0 1000 560" role="group" aria-labelledby="map-title map-note"></svg>
    </section>
    <footer id="facts" aria-label="Model facts"><p>Model facts loading…</p></footer>

    """#
}
