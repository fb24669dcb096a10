#ifndef HACTL_CCURL_SHIM_H
#define HACTL_CCURL_SHIM_H

// curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call; these typed
// wrappers are the only way HACore reaches them. One wrapper per argument type, so a caller
// cannot pass a Swift Int where curl reads a curl_off_t (or the reverse).

#include <curl/curl.h>

typedef size_t (*hactl_curl_data_callback)(char *data, size_t size, size_t count, void *userdata);
typedef int (*hactl_curl_xferinfo_callback)(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
                                            curl_off_t ultotal, curl_off_t ulnow);

static inline CURLcode hactl_curl_global_init(void) {
    return curl_global_init(CURL_GLOBAL_ALL);
}

static inline CURLcode hactl_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode hactl_curl_setopt_off(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

/// A string option; curl copies the string (CURLOPT_URL, CURLOPT_USERNAME, ...).
static inline CURLcode hactl_curl_setopt_str(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

/// A pointer option; the pointee must outlive the transfer (CURLOPT_ERRORBUFFER, CURLOPT_POSTFIELDS,
/// CURLOPT_HTTPHEADER, the *DATA userdata pointers).
static inline CURLcode hactl_curl_setopt_ptr(CURL *handle, CURLoption option, const void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode hactl_curl_setopt_write_function(CURL *handle, hactl_curl_data_callback cb) {
    return curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, cb);
}

static inline CURLcode hactl_curl_setopt_header_function(CURL *handle, hactl_curl_data_callback cb) {
    return curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, cb);
}

static inline CURLcode hactl_curl_setopt_xferinfo_function(CURL *handle, hactl_curl_xferinfo_callback cb) {
    return curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, cb);
}

static inline CURLcode hactl_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode hactl_curl_getinfo_off(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

/// The size of the buffer CURLOPT_ERRORBUFFER must point to.
static const size_t hactl_curl_error_size = CURL_ERROR_SIZE;

/// CURLAUTH_BASIC is a cast expression Swift does not import.
static const long hactl_curlauth_basic = (long)CURLAUTH_BASIC;

/// The value the write callback returns to make curl stop with CURLE_WRITE_ERROR.
static const size_t hactl_curl_write_abort = 0;

#endif
