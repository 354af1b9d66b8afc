// A small C layer over libmicrohttpd (Debian libmicrohttpd-dev). MHD_start_daemon is variadic,
// which Swift cannot call, and MHD's access handler is called several times per request; this
// layer starts the daemon with Encore's limits, collects each request (query arguments, the
// Authorization header, a size-limited body), and makes one call per complete request.
#ifndef ENCORE_HTTP_H
#define ENCORE_HTTP_H
#include <stddef.h>

/// What a request handler answers; `body` must come from malloc (it is freed after sending).
typedef struct {
    unsigned int status;
    char *body;
    size_t length;
    const char *contentType;
} encore_http_response;

/// One complete request.
typedef struct {
    const char *method;
    const char *path;
    const char *const *keys;     /// query argument names, in order (repeats allowed)
    const char *const *values;   /// query argument values ("" for a bare name)
    unsigned int argumentCount;
    const char *authorization;   /// the Authorization header, or NULL
    const char *body;
    size_t bodyLength;
} encore_http_request;

/// Called once per complete request, from one of the daemon's threads.
typedef void (*encore_http_handler)(void *context, const encore_http_request *request, encore_http_response *response);

/// Limits and threading of a daemon.
typedef struct {
    const char *host;                 /// IPv4 or IPv6 literal to bind
    unsigned short port;              /// 0 = any free port
    unsigned int connectionLimit;     /// concurrent connections before new ones are refused
    unsigned int connectionTimeout;   /// seconds a connection may stay idle
    size_t bodyLimit;                 /// larger request bodies get 413
} encore_http_options;

/// Starts a daemon; returns NULL (and sets *error to a static message) on failure.
void *encore_http_start(const encore_http_options *options, encore_http_handler handler, void *context, const char **error);

/// The port the daemon listens on.
unsigned short encore_http_port(void *daemon);

/// Stops accepting new connections; in-flight requests go on.
void encore_http_quiesce(void *daemon);

/// Stops the daemon and closes every connection.
void encore_http_stop(void *daemon);

#endif
