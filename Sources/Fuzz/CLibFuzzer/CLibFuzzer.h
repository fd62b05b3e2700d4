#ifndef PP_CLIBFUZZER_H
#define PP_CLIBFUZZER_H
#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver, from the runtime that -sanitize=fuzzer links: reads libFuzzer's flags
/// and inputs from argv and fuzzes `test_one_input`.
int LLVMFuzzerRunDriver(int *_Nonnull argc, char *_Nullable *_Nullable *_Nonnull argv,
                        int (*_Nonnull test_one_input)(const uint8_t *_Nonnull data, size_t size));

#endif
