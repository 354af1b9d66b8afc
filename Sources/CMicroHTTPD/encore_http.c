#include "encore_http.h"
#include <microhttpd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    encore_http_handler handler;
    void *context;
    size_t bodyLimit;
    /// The daemon this state serves: the handle callers hold is the state, so stopping frees both.
    struct MHD_Daemon *daemon;
} server_state;

typedef struct {
    char *body;
    size_t length;
    int tooLarge;
} request_state;

typedef struct {
    const char **keys;
    const char **values;
    unsigned int count;
    unsigned int capacity;
} argument_list;

static enum MHD_Result collect_argument(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
    (void)kind;
    argument_list *list = cls;
    if (list->count == list->capacity) {
        unsigned int capacity = list->capacity ? list->capacity * 2 : 8;
        const char **keys = realloc(list->keys, capacity * sizeof(char *));
        const char **values = realloc(list->values, capacity * sizeof(char *));
        if (!keys || !values) { free(keys ? keys : list->keys); free(values ? values : list->values); list->keys = NULL; list->values = NULL; list->count = 0; list->capacity = 0; return MHD_NO; }
        list->keys = keys;
        list->values = values;
        list->capacity = capacity;
    }
    list->keys[list->count] = key;
    list->values[list->count] = value ? value : "";
    list->count++;
    return MHD_YES;
}

static enum MHD_Result send_plain(struct MHD_Connection *connection, unsigned int status, const char *json) {
    struct MHD_Response *response = MHD_create_response_from_buffer(strlen(json), (void *)json, MHD_RESPMEM_PERSISTENT);
    if (!response) return MHD_NO;
    MHD_add_response_header(response, "Content-Type", "application/json");
    enum MHD_Result result = MHD_queue_response(connection, status, response);
    MHD_destroy_response(response);
    return result;
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *connection, const char *url, const char *method,
                                      const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls) {
    (void)version;
    server_state *server = cls;
    request_state *state = *con_cls;
    if (!state) {
        // First call: headers only. Refuse a declared oversize body before reading it.
        state = calloc(1, sizeof(request_state));
        if (!state) return MHD_NO;
        *con_cls = state;
        const char *declared = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (declared && strtoull(declared, NULL, 10) > server->bodyLimit) {
            // Answer at once; the body is never read and the connection closes after the reply.
            state->tooLarge = 1;
            return send_plain(connection, 413, "{\"error\":\"request body too large\",\"status\":413}");
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!state->tooLarge) {
            if (state->length + *upload_data_size > server->bodyLimit) {
                state->tooLarge = 1;
                free(state->body);
                state->body = NULL;
                state->length = 0;
            } else {
                char *grown = realloc(state->body, state->length + *upload_data_size + 1);
                if (!grown) return MHD_NO;
                memcpy(grown + state->length, upload_data, *upload_data_size);
                state->body = grown;
                state->length += *upload_data_size;
                state->body[state->length] = 0;
            }
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (state->tooLarge) {
        return send_plain(connection, 413, "{\"error\":\"request body too large\",\"status\":413}");
    }
    argument_list arguments = {0};
    MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, collect_argument, &arguments);
    encore_http_request request = {
        .method = method, .path = url, .keys = arguments.keys, .values = arguments.values, .argumentCount = arguments.count,
        .authorization = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
        .body = state->body ? state->body : "", .bodyLength = state->length,
    };
    encore_http_response answer = {500, NULL, 0, "application/json"};
    server->handler(server->context, &request, &answer);
    free(arguments.keys);
    free(arguments.values);
    struct MHD_Response *response = answer.body
        ? MHD_create_response_from_buffer(answer.length, answer.body, MHD_RESPMEM_MUST_FREE)
        : MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    if (!response) { free(answer.body); return MHD_NO; }
    MHD_add_response_header(response, "Content-Type", answer.contentType ? answer.contentType : "application/json");
    enum MHD_Result result = MHD_queue_response(connection, answer.status, response);
    MHD_destroy_response(response);
    return result;
}

static void request_completed(void *cls, struct MHD_Connection *connection, void **con_cls, enum MHD_RequestTerminationCode code) {
    (void)cls; (void)connection; (void)code;
    request_state *state = *con_cls;
    if (state) { free(state->body); free(state); }
    *con_cls = NULL;
}

void *encore_http_start(const encore_http_options *options, encore_http_handler handler, void *context, const char **error) {
    server_state *server = calloc(1, sizeof(server_state));
    if (!server) { *error = "out of memory"; return NULL; }
    server->handler = handler;
    server->context = context;
    server->bodyLimit = options->bodyLimit;
    struct sockaddr_storage address;
    memset(&address, 0, sizeof(address));
    // One thread per connection: a request may wait while its user is scored together with
    // others, and with pooled threads that wait would stall every connection sharing the thread.
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&address;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&address;
    if (inet_pton(AF_INET, options->host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(options->port);
    } else if (inet_pton(AF_INET6, options->host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(options->port);
        flags |= MHD_USE_IPv6;
    } else {
        free(server);
        *error = "the host is not an IPv4 or IPv6 address";
        return NULL;
    }
    struct MHD_Daemon *daemon = MHD_start_daemon(
        flags, options->port, NULL, NULL, access_handler, server,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&address,
        MHD_OPTION_THREAD_STACK_SIZE, (size_t)(512 * 1024),
        MHD_OPTION_CONNECTION_LIMIT, options->connectionLimit,
        MHD_OPTION_CONNECTION_TIMEOUT, options->connectionTimeout,
        MHD_OPTION_NOTIFY_COMPLETED, request_completed, NULL,
        MHD_OPTION_END);
    if (!daemon) {
        free(server);
        *error = "cannot listen there (is the port in use, or the address not on this machine?)";
        return NULL;
    }
    server->daemon = daemon;
    return server;
}

unsigned short encore_http_port(void *handle) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(((server_state *)handle)->daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : 0;
}

void encore_http_quiesce(void *handle) { MHD_quiesce_daemon(((server_state *)handle)->daemon); }

// The state is freed after the daemon has stopped, when no callback can use it any more.
// (AddressSanitizer's leak check found it never freed: the handle used to be the daemon alone.)
void encore_http_stop(void *handle) {
    server_state *server = handle;
    MHD_stop_daemon(server->daemon);
    free(server);
}
