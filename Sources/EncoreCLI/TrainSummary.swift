import Encore

/// The JSON line `encore train` and `encore-mpi train` print last on stdout: what was trained
/// and how long it took. Scripts and tests parse it (benchmarks/perf among them), so its members
/// keep their names and order; each trainer fills the ones it has.
package struct TrainSummary {
    /// How the work was spread.
    package enum Placement {
        /// One process with this many threads (`threads`): `encore train`.
        case threads(Int)
        /// `encore-mpi train`: `processes`, the `strategy` that moved vectors between them and
        /// `threads_per_process`.
        case processes(Int, strategy: String, threadsPerProcess: Int)
    }

    /// What a distributed run sent and held (`encore-mpi train` only).
    package struct Traffic {
        /// Bytes sent by all processes in an iteration, on average.
        package var bytesPerIteration: Int
        /// The same from docs/distributed.md's formula.
        package var predictedBytesPerIteration: Int
        /// Each process's peak resident memory, in MiB.
        package var peakResidentMegabytesPerProcess: [Int]

        /// The figures as given.
        package init(bytesPerIteration: Int, predictedBytesPerIteration: Int, peakResidentMegabytesPerProcess: [Int]) {
            self.bytesPerIteration = bytesPerIteration
            self.predictedBytesPerIteration = predictedBytesPerIteration
            self.peakResidentMegabytesPerProcess = peakResidentMegabytesPerProcess
        }
    }

    package var model: String
    package var users: Int
    package var items: Int
    package var interactions: Int
    package var rows: Int
    package var factors: Int
    package var iterations: Int
    package var placement: Placement
    package var readSeconds: Double
    /// Set-up before the first iteration, when the trainer measures it apart (`setup_seconds`).
    package var setupSeconds: Double?
    package var trainSeconds: Double
    /// Each iteration's own time; `seconds_per_iteration` is their mean (0 with none).
    package var iterationSeconds: [Double]
    package var loss: Double
    package var traffic: Traffic?
    /// The iteration a resumed run started after; written only when set.
    package var resumedFrom: Int?
    /// What the run ran on (CPU, vector kernels, BLAS and its kernel set), last in the line.
    package var machine: Machine = .current

    /// A summary of the given figures, with no set-up time, traffic or resume point.
    package init(
        model: String, users: Int, items: Int, interactions: Int, rows: Int, factors: Int, iterations: Int, placement: Placement,
        readSeconds: Double, trainSeconds: Double, iterationSeconds: [Double], loss: Double
    ) {
        self.model = model
        self.users = users
        self.items = items
        self.interactions = interactions
        self.rows = rows
        self.factors = factors
        self.iterations = iterations
        self.placement = placement
        self.readSeconds = readSeconds
        self.trainSeconds = trainSeconds
        self.iterationSeconds = iterationSeconds
        self.loss = loss
    }

    /// The line as printed.
    package var jsonText: String {
        var json = JSONLine()
        json.add("model", model)
        json.add("users", users)
        json.add("items", items)
        json.add("interactions", interactions)
        json.add("rows", rows)
        json.add("factors", factors)
        json.add("iterations", iterations)
        switch placement {
        case let .threads(threads):
            json.add("threads", threads)
        case let .processes(processes, strategy, threadsPerProcess):
            json.add("processes", processes)
            json.add("strategy", strategy)
            json.add("threads_per_process", threadsPerProcess)
        }
        json.add("read_seconds", readSeconds)
        if let setupSeconds { json.add("setup_seconds", setupSeconds) }
        json.add("train_seconds", trainSeconds)
        json.add("seconds_per_iteration", iterationSeconds.isEmpty ? 0 : iterationSeconds.reduce(0, +) / Double(iterationSeconds.count))
        json.add("loss", loss)
        if let traffic {
            json.add("bytes_per_iteration", traffic.bytesPerIteration)
            json.add("predicted_bytes_per_iteration", traffic.predictedBytesPerIteration)
            json.addRaw("peak_rss_mb_per_process", "[" + traffic.peakResidentMegabytesPerProcess.map(String.init).joined(separator: ",") + "]")
        }
        if let resumedFrom { json.add("resumed_from", resumedFrom) }
        json.add("cpu", machine.cpu)
        json.add("vector_kernels", machine.vectorKernels)
        json.add("blas", machine.blas)
        json.add("blas_core", machine.blasCore)
        return json.text
    }
}
