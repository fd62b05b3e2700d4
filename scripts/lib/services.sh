# Starts and stops the local test services: a throwaway PostgreSQL cluster and the
# Tansu broker (in-memory). Sourced by scripts/test and scripts/run-stack.
# Each start_* exports its URL and registers its own cleanup in PP_CLEANUP.

PP_CLEANUP=()

pp_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

pp_cleanup() {
  local i
  trap '' INT TERM
  for ((i=${#PP_CLEANUP[@]}-1; i>=0; i--)); do eval "${PP_CLEANUP[$i]}" >/dev/null 2>&1 || true; done
  PP_CLEANUP=()
}

pp_wait_port() { # host port seconds
  local deadline=$((SECONDS + $3))
  until python3 -c "import socket,sys; socket.create_connection(('$1', $2), 1)" 2>/dev/null; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.2
  done
}

# start_postgres RUN_DIR: initdb in RUN_DIR/pg on a free port; exports DATABASE_URL.
start_postgres() {
  local dir="$1/pg" port bin
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  port=$(pp_free_port)
  mkdir -p "$dir"
  local as=()
  if [ "$(id -u)" -eq 0 ]; then chown -R postgres "$1" "$dir"; as=(runuser -u postgres --); fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    "${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >"$1/initdb.log" 2>&1
  fi
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$1/postgres.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
  PP_CLEANUP+=("${as[*]} $bin/pg_ctl -D $dir/data -m immediate stop")
  export DATABASE_URL="postgresql://postgres@127.0.0.1:$port/postgres"
  echo "postgres: $DATABASE_URL"
}

# start_tansu RUN_DIR: the Tansu broker on a free port; exports KAFKA_BOOTSTRAP_SERVERS.
start_tansu() {
  local port tansu="$PP_ROOT/.venv/bin/tansu"
  port=$(pp_free_port)
  "$tansu" broker --listener-url "tcp://127.0.0.1:$port" --advertised-listener-url "tcp://127.0.0.1:$port" \
    --storage-engine memory://tansu/ >"$1/tansu.log" 2>&1 &
  local pid=$!
  PP_CLEANUP+=("kill $pid; wait $pid")
  pp_wait_port 127.0.0.1 "$port" 30 || { echo "tansu did not start; see $1/tansu.log" >&2; return 1; }
  export KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$port"
  echo "tansu: $KAFKA_BOOTSTRAP_SERVERS"
}
