-- The price warehouse (architecture.md): candles, reference rates, the sink's offsets,
-- and the daily view with both quotes side by side.
CREATE TABLE IF NOT EXISTS prices (
    source      text             NOT NULL,
    base        text             NOT NULL,
    quote       text             NOT NULL,
    interval    text             NOT NULL,
    open_time   timestamptz      NOT NULL,
    open        double precision NOT NULL,
    high        double precision NOT NULL,
    low         double precision NOT NULL,
    close       double precision NOT NULL,
    volume      double precision NOT NULL,
    market_cap  double precision,
    fetched_at  timestamptz      NOT NULL,
    derived     boolean          NOT NULL DEFAULT false,
    fx_source   text,
    fx_date     date,
    PRIMARY KEY (source, base, quote, interval, open_time),
    CHECK (derived = (fx_source IS NOT NULL))
);

CREATE TABLE IF NOT EXISTS fx_rates (
    base       text             NOT NULL,
    quote      text             NOT NULL,
    rate_date  date             NOT NULL,
    source     text             NOT NULL,
    rate       double precision NOT NULL CHECK (rate > 0),
    PRIMARY KEY (base, quote, rate_date, source)
);

CREATE TABLE IF NOT EXISTS sink_offsets (
    consumer_group text        NOT NULL,
    topic          text        NOT NULL,
    partition      integer     NOT NULL,
    next_offset    bigint      NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer_group, topic, partition)
);

-- Which source wins when several have the same asset and day (lower rank wins; sources
-- not listed rank last, by name). Edit the rows to change the priority.
CREATE TABLE IF NOT EXISTS source_priority (
    source text PRIMARY KEY,
    rank   integer NOT NULL
);
INSERT INTO source_priority (source, rank) VALUES
    ('cryptocompare', 10), ('coinbase', 20), ('kraken', 30), ('binance', 40), ('coingecko', 50), ('alphavantage', 60)
ON CONFLICT (source) DO NOTHING;

-- Which reference-rate source wins for the same date.
CREATE TABLE IF NOT EXISTS fx_source_priority (
    source text PRIMARY KEY,
    rank   integer NOT NULL
);
INSERT INTO fx_source_priority (source, rank) VALUES ('frankfurter', 10), ('fred', 20)
ON CONFLICT (source) DO NOTHING;

-- One row per asset and day: the USD candle of the winning source, and the INR candle:
-- real INR market data where a source has it for that day, else the row derived from USD
-- and the latest reference rate dated on or before the day.
CREATE OR REPLACE VIEW daily_prices AS
WITH usd AS (
    SELECT DISTINCT ON (p.base, p.open_time)
           p.base, p.open_time, p.source, p.open, p.high, p.low, p.close, p.volume, p.market_cap
    FROM prices p LEFT JOIN source_priority sp ON sp.source = p.source
    WHERE p.quote = 'USD' AND p.interval = '1d'
    ORDER BY p.base, p.open_time, coalesce(sp.rank, 2147483647), p.source
), inr AS (
    SELECT DISTINCT ON (p.base, p.open_time)
           p.base, p.open_time, p.source, p.open, p.high, p.low, p.close, p.volume, p.market_cap,
           p.derived, p.fx_source, p.fx_date
    FROM prices p LEFT JOIN source_priority sp ON sp.source = p.source
    WHERE p.quote = 'INR' AND p.interval = '1d'
    ORDER BY p.base, p.open_time, p.derived, coalesce(sp.rank, 2147483647), p.source
)
SELECT coalesce(u.base, i.base)                                   AS asset,
       (coalesce(u.open_time, i.open_time) AT TIME ZONE 'UTC')::date AS day,
       u.source AS source,
       u.open AS open_usd, u.high AS high_usd, u.low AS low_usd, u.close AS close_usd,
       u.volume AS volume_usd, u.market_cap AS market_cap_usd,
       i.source AS inr_source,
       i.open AS open_inr, i.high AS high_inr, i.low AS low_inr, i.close AS close_inr,
       i.volume AS volume_inr, i.market_cap AS market_cap_inr,
       i.derived AS inr_derived, i.fx_source, i.fx_date
FROM usd u FULL OUTER JOIN inr i ON i.base = u.base AND i.open_time = u.open_time;
