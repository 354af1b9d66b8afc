/// LeakSanitizer (scripts/sanitize address) checks the `encore` and `encore-mpi` processes the
/// tests run, not this test process: corelibs XCTest keeps every test case object alive to the
/// end, and with it everything a test referenced (teardown blocks, temporary folders, the
/// `Process` and `Pipe` of a server test), which LeakSanitizer reports as leaks at exit — 1,657
/// of them, none in Encore's code. The library's code is leak-checked through the binaries,
/// which every CLI, server and MPI test runs. The sanitizer runtime calls this (a weak symbol it
/// defines returning 0) once at exit; normal builds never call it.
@_cdecl("__lsan_is_turned_off")
public func leakCheckIsOffInTheTestProcess() -> Int32 { 1 }
