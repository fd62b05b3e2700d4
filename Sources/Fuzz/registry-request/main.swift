import LibFuzzer

LibFuzzer.run { data, size in fuzz(data, size) }
