import XCTest

/// The web page of `encore serve` in a real browser (headless Chromium through chromedriver):
/// the real binary serves a model trained on Last.fm 2K, and each test opens a deep link or
/// types and clicks as a person would, then checks what the page shows. The tests write a
/// screenshot of the artist page, the listener page and the map (Metallica's) to
/// benchmarks/out/web/, and to docs/images/ (which docs/web.md shows) when
/// ENCORE_UPDATE_SCREENSHOTS=1. One server and one browser serve every test of the class, to keep it quick.
final class WebPageBrowserTests: XCTestCase {
    /// The server, the browser and what the tests check against, made by the first test.
    final class Fixture {
        let directory: URL
        let model: String
        let server: ServeTests.Server
        let browser: WebDriver
        let data: String
        /// Artists whose Last.fm tags say metal: tagged with a tag containing "metal" by at
        /// least five listeners (user_taggedartists.dat), by artist ID.
        let metalArtists: Set<String>
        /// Artist names by ID (artists.dat).
        let names: [String: String]

        init(data: String) throws {
            self.data = data
            let start = Date()
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("encore-web-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            model = directory.appendingPathComponent("lastfm.encore").path
            // 32 factors and 10 iterations: a second to train alone, and Metallica's neighbours are
            // as metal as with the defaults. One thread, because on a loaded machine two training
            // threads wait on each other (24 s measured at a load average of 22, against 1.4 s).
            let train = try TestSupport.encore(["train", data, "--output", model, "--factors", "32", "--iterations", "10", "--threads", "1", "--quiet"])
            guard train.status == 0 else { throw WebDriver.CommandError(description: "training failed: \(train.stderr)") }
            let trainedAt = Date()
            let folder = URL(fileURLWithPath: data).deletingLastPathComponent()
            names = try Fixture.table(folder.appendingPathComponent("artists.dat")).reduce(into: [:]) { $0[$1[0]] = $1[1] }
            metalArtists = try Fixture.metalArtists(in: folder)
            server = try ServeTests.Server(model: model)
            let trained = Date()
            do { browser = try WebDriver() } catch {
                server.signal(SIGKILL)
                try? FileManager.default.removeItem(at: directory)
                throw error
            }
            // Where the time goes when the suite is slow: the machine is shared.
            print(String(format: "browser test fixture: training %.1f s, tag and name tables and server %.1f s, browser %.1f s",
                         trainedAt.timeIntervalSince(start), trained.timeIntervalSince(trainedAt), Date().timeIntervalSince(trained)))
        }

        func close() {
            browser.quit()
            server.signal(SIGKILL)
            _ = server.waitForExit()
            try? FileManager.default.removeItem(at: directory)
        }

        var root: String { "http://127.0.0.1:\(server.port)" }

        /// The rows of a tab-separated Last.fm file whose first field is a number (the header,
        /// where a file has one, is not).
        static func table(_ url: URL) throws -> [[String]] {
            try String(contentsOf: url, encoding: .utf8).split(whereSeparator: \.isNewline)
                .map { $0.split(separator: "\t", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } }
                .filter { $0.count >= 2 && Int($0[0]) != nil }
        }

        /// The first three whole numbers of every line that starts with one: user_artists.dat
        /// (user, artist, plays) and user_taggedartists.dat (user, artist, tag). Read byte by
        /// byte, because splitting 186,000 lines into Strings takes seconds in a debug build.
        static func numbers(_ url: URL) throws -> [(Int, Int, Int)] {
            let bytes = [UInt8](try Data(contentsOf: url))
            var rows: [(Int, Int, Int)] = [], fields: [Int] = [], value = 0, inNumber = false, skipLine = false
            for byte in bytes + [10] {
                if byte == 10 {
                    if inNumber { fields.append(value) }
                    if !skipLine && fields.count >= 3 { rows.append((fields[0], fields[1], fields[2])) }
                    (fields, value, inNumber, skipLine) = ([], 0, false, false)
                } else if skipLine {
                    continue
                } else if byte >= 48 && byte <= 57 {
                    (value, inNumber) = (value * 10 + Int(byte - 48), true)
                } else if byte == 9 || byte == 13 || byte == 32 {
                    if inNumber { fields.append(value) }
                    (value, inNumber) = (0, false)
                } else {
                    skipLine = true
                }
            }
            return rows
        }

        static func metalArtists(in folder: URL) throws -> Set<String> {
            let metalTags = Set(try table(folder.appendingPathComponent("tags.dat")).filter { $0[1].lowercased().contains("metal") }.compactMap { Int($0[0]) })
            var taggers: [Int: Set<Int>] = [:]
            for (user, artist, tag) in try numbers(folder.appendingPathComponent("user_taggedartists.dat")) where metalTags.contains(tag) {
                taggers[artist, default: []].insert(user)
            }
            return Set(taggers.filter { $0.value.count >= 5 }.keys.map(String.init))
        }
    }

    nonisolated(unsafe) private static var shared: Result<Fixture, Error>?

    /// The class's fixture, made once; a browser that cannot start fails every test with the reason.
    func fixture() throws -> Fixture {
        guard let data = TestSupport.lastfm2k else { throw XCTSkip("../shared/data/lastfm-2k is not beside the checkout") }
        if WebPageBrowserTests.shared == nil { WebPageBrowserTests.shared = Result { try Fixture(data: data) } }
        return try WebPageBrowserTests.shared!.get()
    }

    override class func tearDown() {
        if case .success(let fixture)? = shared { fixture.close() }
        shared = nil
        super.tearDown()
    }

    /// Writes a screenshot to benchmarks/out/web/NAME.png, or with ENCORE_UPDATE_SCREENSHOTS=1 to
    /// docs/images/NAME.png, where docs/web.md shows it: the artist page's footer names the
    /// model's training time and checksum, which differ on every run, so writing into docs on
    /// every run would leave the tree changed after each `scripts/test`.
    func save(_ png: Data, _ name: String) throws {
        let updatingDocs = ProcessInfo.processInfo.environment["ENCORE_UPDATE_SCREENSHOTS"] == "1"
        let folder = TestSupport.packageRoot.appendingPathComponent(updatingDocs ? "docs/images" : "benchmarks/out/web")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try png.write(to: folder.appendingPathComponent("\(name).png"))
    }

    /// The texts of the elements matching `css`, in document order.
    func texts(_ browser: WebDriver, _ css: String) throws -> [String] {
        try browser.execute("return [...document.querySelectorAll(arguments[0])].map((e) => e.textContent.trim());", [css]) as? [String] ?? []
    }

    /// Waits until the view has rendered (the page sets `data-render-ms` on the body then) and
    /// returns that time in milliseconds.
    @discardableResult
    func waitForView(_ browser: WebDriver, _ what: String) throws -> Int {
        let ms = try browser.wait(for: "return document.body.dataset.renderMs || null;", what)
        return Int("\(ms)") ?? -1
    }

    func testArtistDeepLinkShowsMetalNeighboursARadioAndTheMap() throws {
        let fixture = try fixture(), browser = fixture.browser
        try browser.open("\(fixture.root)/?artist=Metallica")
        let ms = try waitForView(browser, "the artist page")
        try browser.wait(for: "return document.body.dataset.mapMs || null;", "the map")
        XCTAssertEqual(try texts(browser, "#artist-name"), ["Metallica"])
        let similarIDs = try browser.execute("return [...document.querySelectorAll('#similar tbody tr')].map((r) => r.dataset.item);") as? [String] ?? []
        let similarNames = try texts(browser, "#similar tbody td:first-child")
        XCTAssertEqual(similarIDs.count, 12, "\(similarNames)")
        XCTAssertEqual(similarNames, similarIDs.map { fixture.names[$0] ?? $0 })
        let metal = similarIDs.prefix(10).filter { fixture.metalArtists.contains($0) }
        XCTAssertTrue(fixture.metalArtists.contains(similarIDs.first ?? ""), "the most similar artist is tagged metal: \(similarNames)")
        XCTAssertGreaterThanOrEqual(metal.count, 7, "Metallica's 10 most similar artists on the page, metal-tagged: \(metal.map { fixture.names[$0]! }) of \(similarNames)")
        let listeners = try texts(browser, "#similar tbody td:last-child").map { Int($0.replacingOccurrences(of: ",", with: "")) ?? 0 }
        XCTAssertTrue(listeners.allSatisfy { $0 >= 5 }, "listener counts shown, none below the minimum: \(listeners)")
        let reasons = try texts(browser, "#station .reason")
        XCTAssertEqual(reasons.count, 15)
        XCTAssertTrue(reasons.allSatisfy { !$0.isEmpty })
        XCTAssertEqual(try texts(browser, "#map a.current").count, 1, "Metallica is marked on the map")
        XCTAssertEqual(try browser.execute("return document.querySelectorAll('#map a.neighbour').length;") as? Int, 12)
        XCTAssertEqual(try texts(browser, "#map text.current"), ["Metallica"])
        // The footer names the file by the checksum stored in its last 8 bytes.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: fixture.model)).suffix(8)
        let checksum = String(format: "%016llx", bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let facts = try texts(browser, "#model-facts").joined()
        XCTAssertTrue(facts.contains(checksum) && facts.contains("1,892 users × 17,632 artists, 32 factors"), facts)
        let restore = try browser.fitWindowToPage()
        defer { restore() }
        try save(try browser.screenshot(), "web-artist")
        try save(try browser.screenshot(of: try browser.element("#map-section")), "web-map")
        print("artist page: first render \(ms) ms (navigation start to the view drawn)")
    }

    func testSearchAsYouTypeAndClickThroughToAnArtistAndAListener() throws {
        let fixture = try fixture(), browser = fixture.browser
        try browser.open("\(fixture.root)/")
        try waitForView(browser, "the home page")
        let search = try browser.element("#search")
        try browser.type("metall", into: search)
        try browser.wait(for: "return [...document.querySelectorAll('#search-results [role=option]')].some((o) => o.textContent.startsWith('Metallica'));", "Metallica among the options")
        try browser.click(try browser.element("#search-results [role=option]"))
        try browser.wait(for: "return document.querySelector('#artist-name')?.textContent === 'Metallica';", "the Metallica page")
        XCTAssertTrue(try browser.execute("return location.search;") as? String == "?artist=Metallica")

        // Keyboard only, and without the umlaut: "motorhead", Enter opens Motörhead.
        try browser.type("motorhead", into: search)
        try browser.wait(for: "return document.querySelector('#search-results [aria-selected=true]')?.textContent.startsWith('Motörhead');", "Motörhead selected")
        try browser.type(WebDriver.enter, into: search)
        try browser.wait(for: "return document.querySelector('#artist-name')?.textContent === 'Motörhead';", "the Motörhead page")

        // A misspelled deep link: a message with the closest names, the first of them a link.
        try browser.open("\(fixture.root)/?artist=Metalica")
        try waitForView(browser, "the unknown-artist message")
        let message = try texts(browser, ".message").joined()
        XCTAssertTrue(message.contains("No artist is called “Metalica”") && message.contains("Metallica"), message)
        try browser.click(try browser.element(".message ul.closest a"))
        try browser.wait(for: "return document.querySelector('#artist-name')?.textContent === 'Metallica';", "Metallica from the suggestion")

        // On to the artist's biggest fan, then from their recommendations to another artist.
        try browser.wait(for: "return document.querySelector('main a[href^=\"/?user=\"]') !== null;", "a listener link")
        let fan = try XCTUnwrap(try browser.execute("return document.querySelector('main a[href^=\"/?user=\"]').textContent;") as? String)
        try browser.click(try browser.element("main a[href^=\"/?user=\"]"))
        try browser.wait(for: "return document.querySelector('#user-name')?.textContent === 'Listener \(fan)';", "listener \(fan)'s page")
        let firstRecommendation = try XCTUnwrap(try texts(browser, "#recommendations > li > a").first)
        try browser.click(try browser.element("#recommendations > li > a"))
        try browser.wait(for: "return document.querySelector('#artist-name')?.textContent === '\(firstRecommendation.replacingOccurrences(of: "'", with: "\\'"))';", "the recommended artist's page")
    }

    func testListenerPageExplanationBarsSumToTheScore() throws {
        let fixture = try fixture(), browser = fixture.browser
        try browser.open("\(fixture.root)/?user=2")
        let ms = try waitForView(browser, "the listener page")
        // User 2's most played artist, from the data file itself.
        let plays = try Fixture.numbers(URL(fileURLWithPath: fixture.data)).filter { $0.0 == 2 }
        let top = try XCTUnwrap(plays.max { $0.2 < $1.2 })
        XCTAssertEqual(try texts(browser, "#top-plays tbody td:first-child").first, fixture.names[String(top.1)])
        let charts = try XCTUnwrap(try browser.execute("""
            return [...document.querySelectorAll('figure.explain')].map((f) => ({
              score: Number(f.dataset.score), bars: [...f.querySelectorAll('.bar')].map((b) => Number(b.dataset.value)) }));
            """) as? [[String: Any]])
        XCTAssertEqual(charts.count, 8, "one chart per recommendation")
        for chart in charts {
            let score = try XCTUnwrap(chart["score"] as? Double), bars = try XCTUnwrap(chart["bars"] as? [Double])
            XCTAssertFalse(bars.isEmpty)
            XCTAssertEqual(bars.reduce(0, +), score, accuracy: 1e-4 * max(1, abs(score)), "the bars add up to the score")
        }
        // Each caption either shows the score listed beside it or says what that listed score is.
        let captions = try XCTUnwrap(try browser.execute("""
            return [...document.querySelectorAll('#recommendations > li')].map((li) => [li.querySelector('small').textContent,
              li.querySelector('figcaption').textContent]);
            """) as? [[String]])
        var explainedElsewhere = 0
        for pair in captions {
            let listed = String(pair[0].dropFirst("score ".count)), caption = pair[1]
            if caption.hasPrefix("Explained score \(listed)") {
                XCTAssertFalse(caption.contains("served score"), caption)
            } else {
                explainedElsewhere += 1
                XCTAssertTrue(caption.hasSuffix("the served score, from the stored vector, is \(listed)"), "\(pair)")
            }
        }
        print("listener page: \(explainedElsewhere) of \(captions.count) captions give the served score")
        // The page's own chart function on explanations written here, since the fixture's
        // explained and served scores seldom differ at three decimals: one pair that does, one
        // that differs only past them, and one equal.
        let written = try XCTUnwrap(try browser.execute("""
            const caption = (score, served) => {
              const box = document.createElement('div');
              box.innerHTML = explanationChart({ item: 'a' }, { score, model_score: served, contributions: [{ item: 'a', contribution: score }] });
              return box.querySelector('figcaption').textContent;
            };
            return [caption(0.5004, 0.4994), caption(0.50012, 0.50004), caption(1.25, 1.25)];
            """) as? [String])
        XCTAssertEqual(written, [
            "Explained score 0.500; the served score, from the stored vector, is 0.499",
            "Explained score 0.500", "Explained score 1.250",
        ])
        let restore = try browser.fitWindowToPage()
        defer { restore() }
        try save(try browser.screenshot(of: try browser.element("main")), "web-listener")
        print("listener page: first render \(ms) ms (navigation start to the view drawn)")

        try browser.open("\(fixture.root)/?user=nobody")
        try waitForView(browser, "the unknown-listener message")
        XCTAssertEqual(try texts(browser, "main .message"), ["unknown user 'nobody': the model has no listener with that ID"])
    }

    func testTryItYourselfAndTheMapOfTheCatalogue() throws {
        let fixture = try fixture(), browser = fixture.browser
        try browser.open("\(fixture.root)/?plays=Metallica:300,Slayer:40")
        try browser.wait(for: "return document.querySelectorAll('#fold-in-list li').length > 0;", "fold-in recommendations")
        let recommended = try texts(browser, "#fold-in-list li a")
        XCTAssertEqual(recommended.count, 15)
        XCTAssertFalse(recommended.contains("Metallica") || recommended.contains("Slayer"), "played artists are not recommended: \(recommended)")
        let metal = Set(fixture.names.filter { fixture.metalArtists.contains($0.key) }.values)
        XCTAssertGreaterThanOrEqual(recommended.prefix(10).filter(metal.contains).count, 6, "\(recommended)")

        try browser.open("\(fixture.root)/?plays=Metalica:3")
        try browser.wait(for: "return document.querySelector('#fold-in .message')?.textContent || null;", "the unknown-artist message")
        XCTAssertTrue(try texts(browser, "#fold-in .message").joined().contains("closest: Metallica"))

        try browser.open("\(fixture.root)/")
        try browser.wait(for: "return document.body.dataset.mapMs || null;", "the map")
        XCTAssertEqual(try browser.execute("return document.querySelectorAll('#map a').length;") as? Int, 300)
        XCTAssertTrue(try texts(browser, "#map-note").joined().contains("PCA of the unit-length item vectors of the 300 artists with the most listeners"))
        // Hovering a point names it.
        let point = try browser.element("#map a[aria-label^=\"Britney Spears\"] circle")
        _ = try browser.execute("arguments[0].dispatchEvent(new MouseEvent('mouseover', { bubbles: true }));", [["element-6066-11e4-a52e-4f735466cecf": point]])
        XCTAssertEqual(try texts(browser, "#map-hover").first?.hasPrefix("Britney Spears"), true)
    }
}
