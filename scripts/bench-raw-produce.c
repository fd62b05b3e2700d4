/* The ceiling for the producer benchmark: raw librdkafka produce of N records of SIZE bytes
   (idempotent, the producer's linger and compression), then flush. Prints records/s.
   Built by scripts/bench against the project's librdkafka:  bench-raw-produce BOOTSTRAP TOPIC N SIZE */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

int main(int argc, char **argv) {
    if (argc != 5) { fprintf(stderr, "usage: %s BOOTSTRAP TOPIC N SIZE\n", argv[0]); return 2; }
    long n = atol(argv[3]), size = atol(argv[4]);
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const char *props[][2] = {{"bootstrap.servers", argv[1]}, {"enable.idempotence", "true"}, {"acks", "all"},
                              {"linger.ms", "5"}, {"compression.type", "zstd"}, {"queue.buffering.max.messages", "1000000"}};
    for (size_t i = 0; i < sizeof props / sizeof props[0]; i++)
        if (rd_kafka_conf_set(conf, props[i][0], props[i][1], err, sizeof err) != RD_KAFKA_CONF_OK) { fprintf(stderr, "%s\n", err); return 1; }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) { fprintf(stderr, "%s\n", err); return 1; }
    char *payload = malloc(size);
    for (long i = 0; i < size; i++) payload[i] = (char)(i * 31);
    char key[64];
    double start = now();
    for (long i = 0; i < n; i++) {
        int len = snprintf(key, sizeof key, "bench|A%04ld|USD|1d", i % 200);
        while (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(argv[2]), RD_KAFKA_V_KEY(key, len), RD_KAFKA_V_VALUE(payload, size),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(rk, 1);
        rd_kafka_poll(rk, 0);
    }
    rd_kafka_flush(rk, 120000);
    double took = now() - start;
    printf("%.0f\n", n / took);
    rd_kafka_destroy(rk);
    free(payload);
    return 0;
}
