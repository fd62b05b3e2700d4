#include <curl/curl.h>

/* curl_easy_setopt and curl_easy_getinfo are variadic; Swift calls these typed forms. */
static inline CURLcode pp_curl_setopt_long(CURL *c, CURLoption o, long v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode pp_curl_setopt_ptr(CURL *c, CURLoption o, const void *v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode pp_curl_setopt_str(CURL *c, CURLoption o, const char *v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode pp_curl_setopt_off(CURL *c, CURLoption o, curl_off_t v) { return curl_easy_setopt(c, o, v); }
typedef size_t (*pp_curl_data_cb)(char *, size_t, size_t, void *);
static inline CURLcode pp_curl_setopt_data_cb(CURL *c, CURLoption o, pp_curl_data_cb v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode pp_curl_getinfo_long(CURL *c, CURLINFO i, long *v) { return curl_easy_getinfo(c, i, v); }
static inline CURLcode pp_curl_getinfo_double(CURL *c, CURLINFO i, double *v) { return curl_easy_getinfo(c, i, v); }
typedef int (*pp_curl_xferinfo_cb)(void *, curl_off_t, curl_off_t, curl_off_t, curl_off_t);
static inline CURLcode pp_curl_setopt_xferinfo_cb(CURL *c, CURLoption o, pp_curl_xferinfo_cb v) { return curl_easy_setopt(c, o, v); }
static inline CURLcode pp_curl_getinfo_str(CURL *c, CURLINFO i, char **v) { return curl_easy_getinfo(c, i, v); }
