#include <avro.h>

/* avro-c's value interface is a set of macros; Swift calls these functions instead. */
static inline avro_type_t pp_avro_value_get_type(const avro_value_t *v) { return avro_value_get_type(v); }
static inline int pp_avro_value_get_size(const avro_value_t *v, size_t *n) { return avro_value_get_size(v, n); }
static inline int pp_avro_value_get_by_index(const avro_value_t *v, size_t i, avro_value_t *child) { return avro_value_get_by_index(v, i, child, NULL); }
static inline int pp_avro_value_get_map_entry(const avro_value_t *v, size_t i, avro_value_t *child, const char **key) { return avro_value_get_by_index(v, i, child, key); }
static inline int pp_avro_value_get_boolean(const avro_value_t *v, int *out) { return avro_value_get_boolean(v, out); }
static inline int pp_avro_value_get_int(const avro_value_t *v, int32_t *out) { return avro_value_get_int(v, out); }
static inline int pp_avro_value_get_long(const avro_value_t *v, int64_t *out) { return avro_value_get_long(v, out); }
static inline int pp_avro_value_get_float(const avro_value_t *v, float *out) { return avro_value_get_float(v, out); }
static inline int pp_avro_value_get_double(const avro_value_t *v, double *out) { return avro_value_get_double(v, out); }
static inline int pp_avro_value_get_string(const avro_value_t *v, const char **p, size_t *n) { return avro_value_get_string(v, p, n); }
static inline int pp_avro_value_get_bytes(const avro_value_t *v, const void **p, size_t *n) { return avro_value_get_bytes(v, p, n); }
static inline int pp_avro_value_get_fixed(const avro_value_t *v, const void **p, size_t *n) { return avro_value_get_fixed(v, p, n); }
static inline int pp_avro_value_get_enum(const avro_value_t *v, int *out) { return avro_value_get_enum(v, out); }
static inline int pp_avro_value_get_discriminant(const avro_value_t *v, int *out) { return avro_value_get_discriminant(v, out); }
static inline int pp_avro_value_get_current_branch(const avro_value_t *v, avro_value_t *branch) { return avro_value_get_current_branch(v, branch); }
static inline int pp_avro_value_set_null(avro_value_t *v) { return avro_value_set_null(v); }
static inline int pp_avro_value_set_boolean(avro_value_t *v, int x) { return avro_value_set_boolean(v, x); }
static inline int pp_avro_value_set_int(avro_value_t *v, int32_t x) { return avro_value_set_int(v, x); }
static inline int pp_avro_value_set_long(avro_value_t *v, int64_t x) { return avro_value_set_long(v, x); }
static inline int pp_avro_value_set_float(avro_value_t *v, float x) { return avro_value_set_float(v, x); }
static inline int pp_avro_value_set_double(avro_value_t *v, double x) { return avro_value_set_double(v, x); }
static inline int pp_avro_value_set_string_len(avro_value_t *v, const char *p, size_t n) { return avro_value_set_string_len(v, p, n); }
static inline int pp_avro_value_set_bytes(avro_value_t *v, void *p, size_t n) { return avro_value_set_bytes(v, p, n); }
static inline int pp_avro_value_set_fixed(avro_value_t *v, void *p, size_t n) { return avro_value_set_fixed(v, p, n); }
static inline int pp_avro_value_set_enum(avro_value_t *v, int x) { return avro_value_set_enum(v, x); }
static inline int pp_avro_value_set_branch(avro_value_t *v, int d, avro_value_t *branch) { return avro_value_set_branch(v, d, branch); }
static inline int pp_avro_value_append(avro_value_t *v, avro_value_t *child) { return avro_value_append(v, child, NULL); }
static inline int pp_avro_value_add(avro_value_t *v, const char *key, avro_value_t *child) { return avro_value_add(v, key, child, NULL, NULL); }
static inline int pp_avro_value_reset(avro_value_t *v) { return avro_value_reset(v); }
static inline void pp_avro_value_iface_decref(avro_value_iface_t *cls) { avro_value_iface_decref(cls); }
