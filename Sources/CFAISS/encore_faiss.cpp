#include "encore_faiss.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef ENCORE_HAVE_FAISS
#include <algorithm>
#include <exception>
#include <stdexcept>
#include <vector>
#include <faiss/IndexIVF.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/invlists/InvertedLists.h>
#include <faiss/impl/io.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>
#include <sys/mman.h>
#include <unistd.h>

// libgomp's (FAISS is built with GCC's OpenMP); declared here because GCC's omp.h is in a
// directory the Swift toolchain's clang does not search.
extern "C" void omp_set_num_threads(int);

struct encore_faiss_index {
    faiss::Index *index;
};

static void fail(char *error, size_t capacity, const char *what) {
    if (error && capacity > 0) snprintf(error, capacity, "%s", what);
}

// Runs `body`, turning a C++ exception (FAISS throws FaissException) into an error string.
template <typename Body> static int guarded(char *error, size_t capacity, Body body) {
    try {
        body();
        return 0;
    } catch (const std::exception &exception) {
        fail(error, capacity, exception.what());
    } catch (...) {
        fail(error, capacity, "unknown FAISS error");
    }
    return -1;
}

int encore_faiss_available(void) { return 1; }

encore_faiss_index *encore_faiss_create(int dimension, const char *description, char *error, size_t capacity) {
    faiss::Index *made = nullptr;
    if (guarded(error, capacity, [&] { made = faiss::index_factory(dimension, description, faiss::METRIC_INNER_PRODUCT); }) != 0) return nullptr;
    return new encore_faiss_index{made};
}

int encore_faiss_train(encore_faiss_index *index, int64_t count, const float *vectors, char *error, size_t capacity) {
    return guarded(error, capacity, [&] { if (!index->index->is_trained) index->index->train(count, vectors); });
}

int encore_faiss_add(encore_faiss_index *index, int64_t count, const float *vectors, char *error, size_t capacity) {
    return guarded(error, capacity, [&] { index->index->add(count, vectors); });
}

int encore_faiss_assign(const encore_faiss_index *index, int64_t count, const float *vectors, int64_t *lists, char *error, size_t capacity) {
    auto ivf = dynamic_cast<const faiss::IndexIVF *>(index->index);
    if (!ivf) return -1;
    return guarded(error, capacity, [&] { ivf->quantizer->assign(count, vectors, lists); });
}

void encore_faiss_reserve(encore_faiss_index *index, const int64_t *counts, int64_t lists) {
    auto ivf = dynamic_cast<faiss::IndexIVF *>(index->index);
    auto arrays = ivf ? dynamic_cast<faiss::ArrayInvertedLists *>(ivf->invlists) : nullptr;
    if (!arrays) return;
    for (size_t list = 0; list < ivf->nlist && (int64_t)list < lists; list++) {
        arrays->codes[list].reserve(arrays->codes[list].size() + (size_t)counts[list] * arrays->code_size);
        arrays->ids[list].reserve(arrays->ids[list].size() + (size_t)counts[list]);
    }
}

void encore_faiss_sort_lists_by_length(encore_faiss_index *index) {
    auto ivf = dynamic_cast<faiss::IndexIVFFlat *>(index->index);
    auto arrays = ivf ? dynamic_cast<faiss::ArrayInvertedLists *>(ivf->invlists) : nullptr;
    if (!arrays || ivf->code_size != sizeof(float) * (size_t)ivf->d) return;
    size_t d = ivf->d, code_size = arrays->code_size;
    for (size_t list = 0; list < ivf->nlist; list++) {
        size_t n = arrays->ids[list].size();
        const float *vectors = (const float *)arrays->codes[list].data();
        std::vector<float> lengths(n);
        for (size_t i = 0; i < n; i++) {
            float sum = 0;
            for (size_t j = 0; j < d; j++) sum += vectors[i * d + j] * vectors[i * d + j];
            lengths[i] = sum;
        }
        std::vector<size_t> order(n);
        for (size_t i = 0; i < n; i++) order[i] = i;
        // Longest first; equal lengths by label, so the order does not depend on the sort.
        const faiss::Index::idx_t *ids = arrays->ids[list].data();
        std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
            return lengths[a] > lengths[b] || (lengths[a] == lengths[b] && ids[a] < ids[b]);
        });
        std::vector<uint8_t> codes(n * code_size);
        std::vector<faiss::Index::idx_t> labels(n);
        for (size_t r = 0; r < n; r++) {
            memcpy(codes.data() + r * code_size, arrays->codes[list].data() + order[r] * code_size, code_size);
            labels[r] = ids[order[r]];
        }
        arrays->codes[list].swap(codes);
        arrays->ids[list].swap(labels);
    }
}

int encore_faiss_add_assigned(encore_faiss_index *index, int64_t count, const float *vectors, const int64_t *lists, char *error,
                              size_t capacity) {
    return guarded(error, capacity, [&] {
        auto ivf = dynamic_cast<faiss::IndexIVF *>(index->index);
        if (!ivf) throw std::invalid_argument("not an IVF index");
        ivf->add_core(count, vectors, nullptr, lists);
    });
}

int64_t encore_faiss_count(const encore_faiss_index *index) { return index->index->ntotal; }

int encore_faiss_dimension(const encore_faiss_index *index) { return index->index->d; }

int encore_faiss_search(const encore_faiss_index *index, int64_t count, const float *queries, int64_t k, int breadth, int threads,
                        float *scores, int64_t *labels, char *error, size_t capacity) {
    return guarded(error, capacity, [&] {
        omp_set_num_threads(threads > 0 ? threads : 1);
        // Per-call parameters rather than setting nprobe on the shared index, so that concurrent
        // searches (the server's threads) never race.
        faiss::SearchParametersIVF ivf;
        const faiss::SearchParameters *parameters = nullptr;
        if (breadth > 0 && dynamic_cast<const faiss::IndexIVF *>(index->index)) {
            ivf.nprobe = breadth;
            parameters = &ivf;
        }
        index->index->search(count, queries, k, scores, labels, parameters);
    });
}

// The index as IVF-flat (vectors stored as they are), or null.
static const faiss::IndexIVFFlat *flat_ivf(const encore_faiss_index *index) {
    auto ivf = dynamic_cast<const faiss::IndexIVFFlat *>(index->index);
    return ivf && ivf->code_size == sizeof(float) * (size_t)ivf->d ? ivf : nullptr;
}

int64_t encore_faiss_flat_list_count(const encore_faiss_index *index) {
    auto ivf = flat_ivf(index);
    return ivf ? (int64_t)ivf->nlist : -1;
}

int encore_faiss_probe(const encore_faiss_index *index, int64_t count, const float *queries, int probes, int threads,
                       int64_t *lists, char *error, size_t capacity) {
    return guarded(error, capacity, [&] {
        auto ivf = flat_ivf(index);
        if (!ivf) throw std::invalid_argument("not an IVF-flat index");
        omp_set_num_threads(threads > 0 ? threads : 1);
        std::vector<float> distances((size_t)count * probes);
        ivf->quantizer->search(count, queries, probes, distances.data(), lists);
    });
}

int64_t encore_faiss_flat_list(const encore_faiss_index *index, int64_t list, const int64_t **labels, const float **vectors) {
    auto ivf = flat_ivf(index);
    if (!ivf || list < 0 || (size_t)list >= ivf->nlist) return 0;
    *labels = ivf->invlists->get_ids(list);
    *vectors = (const float *)ivf->invlists->get_codes(list);
    return (int64_t)ivf->invlists->list_size(list);
}

// Passes FAISS's writes on to the caller's sink (or only counts them): an index is most of a
// gigabyte per million items, and FAISS's VectorIOWriter would hold a second copy of it.
struct SinkWriter : faiss::IOWriter {
    encore_faiss_byte_sink sink;
    void *context;
    size_t length = 0;

    SinkWriter(encore_faiss_byte_sink sink, void *context) : sink(sink), context(context) {}

    size_t operator()(const void *source, size_t size, size_t items) override {
        size_t bytes = size * items;
        if (sink && bytes > 0 && sink(context, source, bytes) != 0) return 0;  // FAISS then throws
        length += bytes;
        return items;
    }
};

int encore_faiss_write(const encore_faiss_index *index, encore_faiss_byte_sink sink, void *context, size_t *length, char *error,
                       size_t capacity) {
    return guarded(error, capacity, [&] {
        SinkWriter writer(sink, context);
        faiss::write_index(index->index, &writer);
        *length = writer.length;
    });
}

// Reads straight from the caller's bytes (the index file, memory-mapped): FAISS's own
// VectorIOReader would first copy them all, and an index is most of a gigabyte per million items.
struct MemoryReader : faiss::IOReader {
    const uint8_t *bytes;
    size_t length;
    size_t position = 0;
    bool release_behind;
    size_t released = 0;  // bytes from `bytes` whose whole pages were let go

    MemoryReader(const uint8_t *bytes, size_t length, bool release_behind) : bytes(bytes), length(length), release_behind(release_behind) {}

    size_t operator()(void *destination, size_t size, size_t items) override {
        if (size == 0) return 0;
        size_t available = (length - position) / size;
        size_t taken = items < available ? items : available;
        memcpy(destination, bytes + position, taken * size);
        position += taken * size;
        if (release_behind && position - released >= (64u << 20)) release();
        return taken;
    }

    // Lets the mapping's pages wholly before `position` go (MADV_DONTNEED on a read-only
    // private file mapping: they are read from the file again if touched).
    void release() {
        uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
        uintptr_t start = ((uintptr_t)bytes + released + page - 1) / page * page;
        uintptr_t end = ((uintptr_t)bytes + position) / page * page;
        if (end > start) madvise((void *)start, end - start, MADV_DONTNEED);
        released = position;
    }
};

encore_faiss_index *encore_faiss_deserialize(const uint8_t *bytes, size_t length, int release_behind, char *error, size_t capacity) {
    faiss::Index *read = nullptr;
    int status = guarded(error, capacity, [&] {
        MemoryReader reader(bytes, length, release_behind != 0);
        read = faiss::read_index(&reader);
    });
    return status == 0 ? new encore_faiss_index{read} : nullptr;
}

void encore_faiss_free(encore_faiss_index *index) {
    if (!index) return;
    delete index->index;
    delete index;
}

void encore_faiss_set_threads(int threads) { omp_set_num_threads(threads > 0 ? threads : 1); }

#else

struct encore_faiss_index {
    int unused;
};

static const char *missing = "Encore was built without FAISS: install it (scripts/setup, or apt-get install libfaiss-dev) and rebuild";

static void fail(char *error, size_t capacity) {
    if (error && capacity > 0) snprintf(error, capacity, "%s", missing);
}

int encore_faiss_available(void) { return 0; }
encore_faiss_index *encore_faiss_create(int, const char *, char *error, size_t capacity) { fail(error, capacity); return nullptr; }
int encore_faiss_train(encore_faiss_index *, int64_t, const float *, char *error, size_t capacity) { fail(error, capacity); return -1; }
int encore_faiss_add(encore_faiss_index *, int64_t, const float *, char *error, size_t capacity) { fail(error, capacity); return -1; }
int encore_faiss_assign(const encore_faiss_index *, int64_t, const float *, int64_t *, char *error, size_t capacity) {
    fail(error, capacity);
    return -1;
}
void encore_faiss_reserve(encore_faiss_index *, const int64_t *, int64_t) {}
void encore_faiss_sort_lists_by_length(encore_faiss_index *) {}
int encore_faiss_add_assigned(encore_faiss_index *, int64_t, const float *, const int64_t *, char *error, size_t capacity) {
    fail(error, capacity);
    return -1;
}
int64_t encore_faiss_count(const encore_faiss_index *) { return 0; }
int encore_faiss_dimension(const encore_faiss_index *) { return 0; }
int encore_faiss_search(const encore_faiss_index *, int64_t, const float *, int64_t, int, int, float *, int64_t *, char *error, size_t capacity) {
    fail(error, capacity);
    return -1;
}
int encore_faiss_write(const encore_faiss_index *, encore_faiss_byte_sink, void *, size_t *, char *error, size_t capacity) {
    fail(error, capacity);
    return -1;
}
encore_faiss_index *encore_faiss_deserialize(const uint8_t *, size_t, int, char *error, size_t capacity) { fail(error, capacity); return nullptr; }
void encore_faiss_free(encore_faiss_index *) {}
int64_t encore_faiss_flat_list_count(const encore_faiss_index *) { return -1; }
int encore_faiss_probe(const encore_faiss_index *, int64_t, const float *, int, int, int64_t *, char *error, size_t capacity) {
    fail(error, capacity);
    return -1;
}
int64_t encore_faiss_flat_list(const encore_faiss_index *, int64_t, const int64_t **, const float **) { return 0; }
void encore_faiss_set_threads(int) {}

#endif
