/// The page's JavaScript: a small router over the query string (`?artist=`, `?user=`, `?plays=`),
/// one view per page, the search box and the map, all over the JSON API of the same server.
/// Plain DOM code, no framework, so that the page is one small document that renders at once.
enum WebPageScript {
    static let source = core + views + listenerView + mapAndFooter

    /// Helpers, the router and the search box.
    private static let core = #"""
    "use strict";
    const $ = (selector) => document.querySelector(selector);
    const main = $("#main");
    const number = (value, digits) => Number(value).toLocaleString("en", digits === undefined ? {} : { minimumFractionDigits: digits, maximumFractionDigits: digits });
    const esc = (text) => String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
    const nameOf = (entry) => entry.name || entry.item;
    const artistLink = (entry) => `<a href="/?artist=${encodeURIComponent(nameOf(entry))}" data-nav>${esc(nameOf(entry))}</a>`;
    const userLink = (id) => `<a href="/?user=${encodeURIComponent(id)}" data-nav>${esc(id)}</a>`;
    let viewToken = 0;
    const started = performance.now();

    /// Fetches a JSON route; a non-2xx answer throws an Error carrying the server's message.
    async function api(path, options) {
      const response = await fetch(path, options);
      const body = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
      if (!response.ok) { const error = new Error(body.error || `HTTP ${response.status}`); error.status = response.status; throw error; }
      return body;
    }

    /// Records, once per view, how long `what` (renderMs: the view's content, mapMs: the map)
    /// took: for the page's first view from the navigation's start, for later ones from the
    /// click. The tests and benchmarks/web/first-render.py read it.
    function rendered(token, what) {
      if (token !== viewToken || route.recorded.has(what)) return;
      route.recorded.add(what);
      document.body.dataset[what] = String(Math.round(performance.now() - route.start));
    }

    function showMessage(text, extraHTML) {
      main.innerHTML = `<div class="message" role="alert">${esc(text)}${extraHTML || ""}</div>`;
    }

    /// The query string's views: artist, user, plays (try it yourself), else the home page.
    const route = { start: 0, recorded: new Set() };
    async function render() {
      const token = ++viewToken;
      route.start = token === 1 ? 0 : performance.now();
      route.recorded = new Set();
      delete document.body.dataset.renderMs;
      delete document.body.dataset.mapMs;
      const raw = location.search.slice(1);
      const params = new URLSearchParams(raw);
      closeSearch();
      try {
        if (params.get("artist")) await artistView(params.get("artist"), token);
        else if (params.get("user")) await userView(params.get("user"), token);
        else if (params.has("plays")) await playsView(parsePlays(raw), token);
        else await homeView(token);
      } catch (error) {
        // An unknown listener, say: the message, and the plain map instead of the last view's.
        if (token === viewToken) { showMessage(error.message); await drawMap(token, [], []); }
      }
      rendered(token, "renderMs");
    }

    function go(url) {
      history.pushState(null, "", url);
      render();
      main.focus({ preventScroll: true });
      window.scrollTo(0, 0);
    }
    window.addEventListener("popstate", render);
    document.addEventListener("click", (event) => {
      const link = event.target.closest("a[data-nav]");
      if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      go(link.getAttribute("href"));
    });
    $("#user-form").addEventListener("submit", (event) => {
      event.preventDefault();
      go(`/?user=${encodeURIComponent($("#user-id").value.trim())}`);
    });

    // The search box: a combobox whose options are fetched as the user types.
    const search = $("#search"), results = $("#search-results");
    let searchTimer = 0, searchToken = 0, options = [], active = -1;
    function closeSearch() { results.hidden = true; search.setAttribute("aria-expanded", "false"); search.removeAttribute("aria-activedescendant"); active = -1; }
    function highlight(index) {
      active = index;
      results.querySelectorAll("li[role=option]").forEach((li, i) => li.setAttribute("aria-selected", String(i === index)));
      if (index >= 0) search.setAttribute("aria-activedescendant", `option-${index}`); else search.removeAttribute("aria-activedescendant");
    }
    async function runSearch() {
      const text = search.value.trim(), token = ++searchToken;
      if (!text) { closeSearch(); return; }
      let answer;
      try { answer = await api(`/v1/search?q=${encodeURIComponent(text)}&count=8`); } catch (error) { return; }
      if (token !== searchToken) return;
      options = answer.results;
      const close = options.length && options[0].match === "close";
      results.innerHTML = (options.length ? "" : `<li class="note">No artist matches “${esc(text)}”</li>`)
        + (close ? `<li class="note">No name contains “${esc(text)}”; the closest:</li>` : "")
        + options.map((o, i) => `<li role="option" id="option-${i}" aria-selected="false" data-index="${i}"><span>${esc(nameOf(o))}</span><small>${number(o.listeners)} listeners</small></li>`).join("");
      results.hidden = false;
      search.setAttribute("aria-expanded", "true");
      highlight(options.length ? 0 : -1);
    }
    function openOption(index) {
      const option = options[index];
      if (!option) return;
      search.value = "";
      closeSearch();
      go(`/?artist=${encodeURIComponent(nameOf(option))}`);
    }
    search.addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(runSearch, 60); });
    search.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown" && options.length) { event.preventDefault(); highlight(Math.min(options.length - 1, active + 1)); }
      else if (event.key === "ArrowUp" && options.length) { event.preventDefault(); highlight(Math.max(0, active - 1)); }
      else if (event.key === "Enter") { event.preventDefault(); if (!results.hidden && active >= 0) openOption(active); }
      else if (event.key === "Escape") closeSearch();
    });
    results.addEventListener("mousedown", (event) => {
      const li = event.target.closest("li[role=option]");
      if (li) { event.preventDefault(); openOption(Number(li.dataset.index)); }
    });
    search.addEventListener("blur", () => setTimeout(closeSearch, 150));

    """#

    /// The home, artist and try-it-yourself views.
    private static let views = #"""
    async function homeView(token) {
      main.innerHTML = `<h1>Explore the model</h1>
        <p>Find an artist above to see the artists most like it and a radio station from it, open a listener by ID to see what
        they played, what the model recommends them and why, or <a href="/?plays=" data-nav>try it yourself</a> with a few artists of your own.
        The map below places the most-listened artists by their vectors; click one to open it.</p>`;
      await drawMap(token, [], []);
    }

    /// Resolves what a person typed to one artist: as the API does (ID, or the name whatever its
    /// case), else by the accent-insensitive search, else a message with the closest names.
    async function resolveArtist(text, count) {
      try {
        return await api(`/v1/items/${encodeURIComponent(text)}/similar?count=${count}`);
      } catch (error) {
        if (error.status !== 404) throw error;
        const found = await api(`/v1/search?q=${encodeURIComponent(text)}&count=6`).catch(() => ({ results: [] }));
        const exact = found.results.filter((r) => r.match === "exact");
        if (exact.length === 1) return await api(`/v1/items/${encodeURIComponent(exact[0].item)}/similar?count=${count}`);
        const names = found.results.map((r) => `<li>${artistLink(r)} <small>${number(r.listeners)} listeners</small></li>`).join("");
        const message = new Error(`No artist is called “${text}”.`);
        message.html = names ? `<p>The closest names:</p><ul class="closest">${names}</ul>` : "";
        throw message;
      }
    }

    async function artistView(text, token) {
      // What needs only the artist is asked for at once, beside its similar artists; should the
      // name resolve only through the search (accents), it is asked again by ID.
      const byName = (path) => api(path).catch((error) => error);
      const early = [byName(`/v1/radio?seed=${encodeURIComponent(text)}&length=15`), byName(`/v1/items/${encodeURIComponent(text)}/listeners?count=5`)];
      let similar;
      try { similar = await resolveArtist(text, 12); } catch (error) {
        if (token === viewToken) { showMessage(error.message, error.html); await drawMap(token, [], []); }
        return;
      }
      const ids = similar.similar.map((s) => s.item), id = encodeURIComponent(similar.item);
      const mapDrawn = drawMap(token, [similar.item], ids);
      const again = (answer, path) => answer instanceof Error ? api(path) : answer;
      const [radio, fans, facts] = await Promise.all([
        early[0].then((answer) => again(answer, `/v1/radio?seed=${id}&length=15`)),
        early[1].then((answer) => again(answer, `/v1/items/${id}/listeners?count=5`)),
        api(`/v1/items?${[similar.item, ...ids].map((item) => `item=${encodeURIComponent(item)}`).join("&")}`),
      ]);
      if (token !== viewToken) return;
      const listeners = Object.fromEntries(facts.items.map((f) => [f.item, f.listeners]));
      const title = nameOf(similar);
      document.title = `${title} · Encore`;
      const warnings = [similar.warning, ...(radio.warnings || [])].filter(Boolean).map((w) => `<p class="warning">${esc(w)}</p>`).join("");
      main.innerHTML = `<h1 id="artist-name">${esc(title)}</h1>
        <p class="muted">${number(listeners[similar.item])} listeners · ID ${esc(similar.item)} ·
          biggest fans: ${fans.top_listeners.map((f) => `listener ${userLink(f.user)} (${number(f.plays)} plays)`).join(", ") || "none"}</p>
        ${warnings}
        <div class="columns">
          <section aria-labelledby="similar-title"><h2 id="similar-title">Similar artists</h2>
            <p class="muted">Cosine of the item vectors; artists with fewer than ${similar.min_listeners} listeners are left out.</p>
            <table id="similar"><thead><tr><th scope="col">Artist</th><th scope="col" class="num">Similarity</th><th scope="col" class="num">Listeners</th></tr></thead>
            <tbody>${similar.similar.map((s) => `<tr data-item="${esc(s.item)}"><td>${artistLink(s)}</td><td class="num">${number(s.score, 3)}</td><td class="num">${number(listeners[s.item])}</td></tr>`).join("")}</tbody></table>
          </section>
          <section aria-labelledby="radio-title"><h2 id="radio-title">Radio from ${esc(title)}</h2>
            <ol class="station" id="station">${radio.station.map((p) => `<li>${artistLink(p)}<span class="reason">${esc(p.reason)}</span></li>`).join("")}</ol>
          </section>
        </div>`;
      rendered(token, "renderMs");
      await mapDrawn;
    }

    /// `plays=NAME:COUNT,…` from the raw query string: names are split on unescaped commas and
    /// the last colon, then decoded, so a name may hold an escaped comma or colon.
    function parsePlays(raw) {
      const part = raw.split("&").find((p) => p.startsWith("plays="));
      if (!part || part === "plays=") return [];
      return part.slice(6).split(",").filter(Boolean).map((piece) => {
        const cut = piece.lastIndexOf(":");
        const decode = (t) => decodeURIComponent(t.replace(/\+/g, " "));
        return cut < 0 ? { name: decode(piece), count: 1 } : { name: decode(piece.slice(0, cut)), count: Number(decode(piece.slice(cut + 1))) };
      });
    }
    const playsQuery = (plays) => plays.map((p) => `${encodeURIComponent(p.name)}:${encodeURIComponent(p.count)}`).join(",");

    function playRow(play, index) {
      return `<div class="row"><label>Artist <input name="artist" value="${esc(play.name)}" aria-describedby="plays-help" size="26"></label>
        <label>Plays <input name="count" type="number" min="0" step="any" value="${esc(play.count)}" size="6"></label>
        <button type="button" class="remove" aria-label="Remove artist ${index + 1}">Remove</button></div>`;
    }

    async function playsView(plays, token) {
      const rows = plays.length ? plays : [{ name: "", count: 10 }];
      main.innerHTML = `<h1>Try it yourself</h1>
        <p id="plays-help">Name a few artists and how often you played them. Encore folds you in as a new listener (one solve
        against the trained artist vectors, nothing is retrained) and recommends at once.</p>
        <form class="plays" id="plays-form"><div id="play-rows">${rows.map(playRow).join("")}</div>
          <button type="button" id="add-play">Add an artist</button> <button type="submit" class="primary">Recommend</button></form>
        <div id="fold-in" aria-live="polite"></div>`;
      const form = $("#plays-form"), list = $("#play-rows");
      $("#add-play").addEventListener("click", () => { list.insertAdjacentHTML("beforeend", playRow({ name: "", count: 10 }, list.children.length)); list.lastElementChild.querySelector("input").focus(); });
      list.addEventListener("click", (event) => { if (event.target.classList.contains("remove") && list.children.length > 1) event.target.closest(".row").remove(); });
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const chosen = [...list.querySelectorAll(".row")].map((row) => ({ name: row.querySelector("[name=artist]").value.trim(), count: Number(row.querySelector("[name=count]").value) })).filter((p) => p.name);
        history.pushState(null, "", `/?plays=${playsQuery(chosen)}`);
        foldIn(chosen, viewToken);
      });
      if (plays.length) await foldIn(plays, token); else await drawMap(token, [], []);
    }

    async function foldIn(plays, token) {
      const target = $("#fold-in");
      if (!plays.length) { target.innerHTML = `<p class="message" role="alert">Name at least one artist.</p>`; return; }
      const body = { plays: {}, count: 15 };
      plays.forEach((p) => { body.plays[p.name] = (body.plays[p.name] || 0) + p.count; });
      try {
        const answer = await api("/v1/recommendations", { method: "POST", body: JSON.stringify(body), headers: { "Content-Type": "application/json" } });
        if (token !== viewToken) return;
        target.innerHTML = `<h2>Recommended for you</h2><ol class="recs" id="fold-in-list">${answer.recommendations.map((r) => `<li>${artistLink(r)} <small>score ${number(r.score, 3)}</small></li>`).join("")}</ol>`;
        rendered(token, "renderMs");
        await drawMap(token, answer.recommendations.map((r) => r.item), []);
      } catch (error) {
        if (token === viewToken) target.innerHTML = `<p class="message" role="alert">${esc(error.message)}</p>`;
      }
    }

    """#
}

extension WebPageScript {
    /// The listener view: top plays, recommendations and each one's explanation as bars.
    fileprivate static let listenerView = #"""
    async function userView(id, token) {
      const [plays, recs] = await Promise.all([
        api(`/v1/users/${encodeURIComponent(id)}/plays?count=15`),
        api(`/v1/users/${encodeURIComponent(id)}/recommendations?count=8`),
      ]);
      const mapDrawn = drawMap(token, recs.recommendations.map((r) => r.item), plays.plays.map((p) => p.item));
      const explanations = await Promise.all(recs.recommendations.map((r) =>
        api(`/v1/users/${encodeURIComponent(id)}/explain?item=${encodeURIComponent(r.item)}`).catch((error) => ({ error: error.message }))));
      if (token !== viewToken) return;
      document.title = `Listener ${id} · Encore`;
      main.innerHTML = `<h1 id="user-name">Listener ${esc(id)}</h1>
        <p class="muted">${number(plays.artists)} artists played</p>
        <div class="columns">
          <section aria-labelledby="plays-title"><h2 id="plays-title">Top plays</h2>
            <table id="top-plays"><thead><tr><th scope="col">Artist</th><th scope="col" class="num">Plays</th><th scope="col" class="num">Listeners</th></tr></thead>
            <tbody>${plays.plays.map((p) => `<tr><td>${artistLink(p)}</td><td class="num">${number(p.plays)}</td><td class="num">${number(p.listeners)}</td></tr>`).join("")}</tbody></table>
          </section>
          <section aria-labelledby="recs-title"><h2 id="recs-title">Recommended, and why</h2>
            <p class="muted">Each bar is one artist this listener played and its share of the score (implicit ALS splits a score exactly into
            one term per played artist); bars left of the line pull the score down.</p>
            <ol class="recs" id="recommendations">${recs.recommendations.map((r, i) => `<li>${artistLink(r)} <small>score ${number(r.score, 3)}</small>${explanationChart(r, explanations[i])}</li>`).join("")}</ol>
          </section>
        </div>`;
      rendered(token, "renderMs");
      await mapDrawn;
    }

    /// The bars of one explanation: the largest contributions, then the rest summed in one bar,
    /// so the bars always add up to the score shown.
    function explanationChart(rec, explanation) {
      if (explanation.error) return `<p class="warning">${esc(explanation.error)}</p>`;
      const shown = explanation.contributions.slice(0, 6);
      const rest = explanation.contributions.slice(6);
      const bars = shown.map((c) => ({ label: nameOf(c), value: c.contribution, item: c }));
      if (rest.length) bars.push({ label: `${rest.length} other artist${rest.length === 1 ? "" : "s"}`, value: rest.reduce((s, c) => s + c.contribution, 0) });
      const low = Math.min(0, ...bars.map((b) => b.value)), high = Math.max(0, ...bars.map((b) => b.value));
      const span = (high - low) || 1, zero = (-low / span) * 100;
      const rows = bars.map((b) => {
        const left = b.value < 0 ? zero + (b.value / span) * 100 : zero, width = Math.abs(b.value) / span * 100;
        return `<div class="bar-row" role="listitem"><span class="label">${b.item ? artistLink(b.item) : esc(b.label)}</span>
          <span class="bar-track"><span class="bar${b.value < 0 ? " negative" : ""}${b.item ? "" : " rest"}" data-value="${b.value}" style="left:${left}%;width:${width}%"></span><span class="bar-zero" style="left:${zero}%"></span></span>
          <span class="num">${number(b.value, 3)}</span></div>`;
      }).join("");
      // Whenever the two differ as shown: the list beside the chart shows the served score.
      const served = number(explanation.model_score, 3) !== number(explanation.score, 3) ? `; the served score, from the stored vector, is ${number(explanation.model_score, 3)}` : "";
      return `<figure class="explain" data-score="${explanation.score}" aria-label="Why ${esc(nameOf(rec))}">
        <figcaption>Explained score ${number(explanation.score, 3)}${served}</figcaption><div role="list">${rows}</div></figure>`;
    }

    """#

    /// The catalogue map and the model facts in the footer.
    fileprivate static let mapAndFooter = #"""
    /// Draws the map of the most-listened artists with `current` and `neighbours` (IDs) marked;
    /// they are added to the map even when they are not among the most listened.
    async function drawMap(token, current, neighbours) {
      const extra = [...current, ...neighbours].map((id) => `&item=${encodeURIComponent(id)}`).join("");
      let map;
      try { map = await api(`/v1/map?count=300${extra}`); } catch (error) { $("#map-note").textContent = error.message; return; }
      if (token !== viewToken) return;
      const W = 1000, H = 560, pad = 30;
      const xs = map.points.map((p) => p.x), ys = map.points.map((p) => p.y);
      const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
      const sx = (x) => pad + (x - x0) / ((x1 - x0) || 1) * (W - 2 * pad), sy = (y) => H - pad - (y - y0) / ((y1 - y0) || 1) * (H - 2 * pad);
      const isCurrent = new Set(current), isNeighbour = new Set(neighbours);
      const radius = (p) => 2.5 + Math.log10(1 + p.listeners) * 1.6;
      const kind = (p) => isCurrent.has(p.item) ? "current" : isNeighbour.has(p.item) ? "neighbour" : "";
      // The 15 most-listened artists are always named, so the map can be read without hovering.
      const famous = map.points.filter((p) => p.basis).map((p) => p.listeners).sort((a, b) => b - a)[Math.min(14, map.points.length - 1)];
      const ordered = [...map.points].sort((a, b) => (kind(a) ? 1 : 0) - (kind(b) ? 1 : 0));
      const svg = $("#map");
      svg.innerHTML = ordered.map((p) => {
        const k = kind(p);
        return `<a href="/?artist=${encodeURIComponent(nameOf(p))}" data-nav class="${k}" tabindex="${k ? 0 : -1}" aria-label="${esc(nameOf(p))}, ${p.listeners} listeners" data-item="${esc(p.item)}">
          <circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="${radius(p).toFixed(1)}"><title>${esc(nameOf(p))} (${number(p.listeners)} listeners)</title></circle></a>`;
      }).join("") + ordered.filter((p) => kind(p) || (p.basis && p.listeners >= famous)).map((p) =>
        `<text class="${kind(p) || "famous"}" x="${(sx(p.x) + 6).toFixed(1)}" y="${(sy(p.y) - 6).toFixed(1)}">${esc(nameOf(p))}</text>`).join("")
        + `<text id="map-hover" x="0" y="0" visibility="hidden"></text>`;
      const share = map.explained_variance.map((v) => `${(v * 100).toFixed(1)}%`);
      $("#map-note").textContent = `${map.projection}, on their first two principal components (${share[0]} and ${share[1]} of their variance). `
        + (current.length ? "The current artist is red, its neighbours blue; hover or focus a point for its name." : "Hover or focus a point for its name.");
      rendered(token, "mapMs");
    }
    function showHover(event) {
      const link = event.target.closest && event.target.closest("#map a");
      const label = $("#map-hover");
      if (!label) return;
      if (!link) { label.setAttribute("visibility", "hidden"); return; }
      const circle = link.querySelector("circle");
      label.textContent = link.getAttribute("aria-label");
      label.setAttribute("x", Math.min(860, Number(circle.getAttribute("cx")) + 8));
      label.setAttribute("y", Number(circle.getAttribute("cy")) + 16);
      label.setAttribute("visibility", "visible");
    }
    $("#map").addEventListener("mouseover", showHover);
    $("#map").addEventListener("focusin", showHover);
    $("#map").addEventListener("mouseleave", () => { const l = $("#map-hover"); if (l) l.setAttribute("visibility", "hidden"); });

    async function drawFacts() {
      let facts;
      try { facts = await api("/v1/model"); } catch (error) { $("#facts").textContent = `Model facts unavailable: ${error.message}`; return; }
      const c = facts.configuration, t = facts.training;
      const solver = c.solver === "cg" ? `conjugate gradient (${c.cg_steps} steps)`
        : c.solver === "subspace" ? `subspace steps (blocks of ${c.block_size})` : "Cholesky";
      const scaling = c.regularization_exponent != null ? `× (n + α₀·N)^${c.regularization_exponent}` : `${c.regularization_scaling} scaling`;
      const settings = `${c.iterations} iterations, ${solver}, λ ${c.regularization} (${scaling})${c.unobserved_weight ? `, α₀ ${c.unobserved_weight}` : ""}, `
        + `α ${c.alpha}, ${c.confidence} confidence${c.confidence === "log" ? ` (ε ${c.epsilon})` : ""}${c.nonnegative ? ", non-negative" : ""}, seed ${c.seed}`;
      const rows = [
        ["Model file", `${facts.file} (version ${facts.model_version} since the server started, loaded ${facts.loaded_at})`],
        ["Checksum", facts.checksum],
        ["Size", `${number(facts.users)} users × ${number(facts.items)} artists, ${facts.factors} factors, ${number(facts.interactions)} user–artist pairs`],
        ["Training", settings],
        ["Trained", t.created_at ? `${t.created_at}${t.source ? ` from ${t.source}` : ""}, in ${number(t.train_seconds, 1)} s` : "when is not recorded in the model file"],
      ];
      $("#facts").innerHTML = `<dl id="model-facts">${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("")}</dl>`;
    }

    render();
    drawFacts();
    """#
}
