// A small C layer over FAISS's C++ library (Debian libfaiss-dev). Debian installs the headers of
// FAISS's C API but not the library that implements them (libfaiss.a holds the C++ classes
// only), so Encore compiles the few calls it needs here. Where FAISS is not installed this file
// still compiles and every call reports that FAISS is missing (Package.swift decides which).
#ifndef ENCORE_FAISS_H
#define ENCORE_FAISS_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// An index over inner products; owned by the caller, released with encore_faiss_free.
typedef struct encore_faiss_index encore_faiss_index;

/// 1 when Encore was built with FAISS, else 0.
int encore_faiss_available(void);

/// An empty inner-product index of `dimension` from a FAISS factory description
/// ("IVF1024,Flat", "IVF1024,PQ16", "HNSW32"), or NULL with `error` filled.
encore_faiss_index *encore_faiss_create(int dimension, const char *description, char *error, size_t errorCapacity);

/// Trains the index (coarse quantizer, product quantizer) on `count` vectors; 0 on success.
int encore_faiss_train(encore_faiss_index *index, int64_t count, const float *vectors, char *error, size_t errorCapacity);

/// Adds `count` vectors, numbered after those already held; 0 on success.
int encore_faiss_add(encore_faiss_index *index, int64_t count, const float *vectors, char *error, size_t errorCapacity);

/// The number of vectors held.
/// For an IVF index, the list each of `count` vectors belongs in (`lists`, count entries);
/// -1 (with `error` untouched) for other kinds, which take `encore_faiss_add` alone.
int encore_faiss_assign(const encore_faiss_index *index, int64_t count, const float *vectors, int64_t *lists, char *error, size_t errorCapacity);

/// For an IVF index whose lists are plain arrays: makes room for `counts[list]` more entries
/// in each of the first `lists` lists, so that adding them does not grow the lists by doubling (up to twice the
/// memory). Does nothing for other kinds.
void encore_faiss_reserve(encore_faiss_index *index, const int64_t *counts, int64_t lists);

/// For an IVF-flat index: orders each list's entries longest vector first, so that a scan can
/// stop a list once its k-th best score beats ‖x‖ times the next vector's length. Does nothing
/// for other kinds.
void encore_faiss_sort_lists_by_length(encore_faiss_index *index);

/// Adds `count` vectors to an IVF index in the lists `encore_faiss_assign` chose for them.
int encore_faiss_add_assigned(encore_faiss_index *index, int64_t count, const float *vectors, const int64_t *lists, char *error,
                              size_t errorCapacity);

int64_t encore_faiss_count(const encore_faiss_index *index);

/// The vectors' dimension.
int encore_faiss_dimension(const encore_faiss_index *index);

/// The `k` largest inner products for each of `count` queries: labels (−1 where fewer exist)
/// and scores, `k` per query. `breadth` is how many inverted lists an IVF index looks in
/// (nprobe; 0 keeps the index's own, and other kinds of index ignore it). `threads` is how many OpenMP threads this call may
/// use (OpenMP keeps that setting per calling thread). Safe to call from several threads at once.
int encore_faiss_search(const encore_faiss_index *index, int64_t count, const float *queries, int64_t k, int breadth, int threads,
                        float *scores, int64_t *labels, char *error, size_t errorCapacity);

/// For an IVF index whose lists hold the vectors as they are (IVF…,Flat): the number of
/// inverted lists; -1 for any other kind.
int64_t encore_faiss_flat_list_count(const encore_faiss_index *index);

/// The `probes` lists nearest each of `count` queries by the coarse quantizer (`count × probes`
/// list numbers, -1 where there are fewer), as a search would look in them; 0 on success.
int encore_faiss_probe(const encore_faiss_index *index, int64_t count, const float *queries, int probes, int threads,
                       int64_t *lists, char *error, size_t errorCapacity);

/// List `list` of an IVF-flat index: its length, its labels and its vectors (length × dimension
/// floats), pointers into the index valid while it lives.
int64_t encore_faiss_flat_list(const encore_faiss_index *index, int64_t list, const int64_t **labels, const float **vectors);

/// Receives a run of an index's serialized bytes; returns 0 to go on, anything else to stop.
typedef int (*encore_faiss_byte_sink)(void *context, const void *bytes, size_t length);

/// Hands the index in FAISS's own serialized form to `sink` run by run, never holding it all
/// in memory; with a NULL sink it only counts the bytes. `length` gets how many there were.
int encore_faiss_write(const encore_faiss_index *index, encore_faiss_byte_sink sink, void *context, size_t *length, char *error,
                       size_t errorCapacity);

/// An index from FAISS's serialized form, or NULL with `error` filled. With `release_behind`
/// (for bytes of a read-only file mapping only) the pages read are let go as the reading passes
/// them, so a large index is not held twice, once in the mapping and once in FAISS's memory.
encore_faiss_index *encore_faiss_deserialize(const uint8_t *bytes, size_t length, int release_behind, char *error, size_t errorCapacity);

/// Releases an index.
void encore_faiss_free(encore_faiss_index *index);

/// Threads FAISS's OpenMP loops use (training, adding, batched search).
void encore_faiss_set_threads(int threads);

#ifdef __cplusplus
}
#endif
#endif
