# Functions shared by bench.sh and ab.sh (sourced, defines nothing else). They read the caller's BODY (the
# AdmissionReview file), LUA (the wrk script), CONNECTIONS, CLIENT_CPU, SERVER_CPU and WORK (a scratch folder).

# wrk against a URL for a duration; prints its BENCH line. A third argument paces it to that many requests/s.
run_wrk() {
  local url=$1 seconds=$2 rate=${3:-0}
  BENCH_BODY="$BODY" BENCH_RATE="$rate" BENCH_CONNECTIONS="$CONNECTIONS" \
    taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNECTIONS" -d"${seconds}s" --timeout 5s -s "$LUA" "$url" \
    | grep '^BENCH '
}

# hey -z DURATION (its summary counts failed requests, which its CSV leaves out); prints
# "requests errors p50_ms p99_ms rate". hey sends the Host header as TLS server name; "127.0.0.1:port" is not a
# valid one, so every server gets "localhost".
run_hey_summary() {
  local summary="$WORK/hey.txt"
  taskset -c "$CLIENT_CPU" hey -cpus 1 -host localhost -m POST -T application/json -A 'application/json, */*' -D "$BODY" \
    -t 5 "$@" >"$summary" 2>&1 || true
  awk '
    /Requests\/sec:/ {rate=$2}
    /^  50% in/ {p50=$3*1000} /^  99% in/ {p99=$3*1000}
    /Status code distribution:/ {section="status"; next}
    /Error distribution:/ {section="error"; next}
    section=="status" && /^  \[[0-9]+\]/ {n+=$2; code=substr($1,2,3); if (code != "200") e+=$2}
    section=="error" && /^  \[[0-9]+\]/ {c=$1; gsub(/[\[\]]/, "", c); n+=c; e+=c}
    END {printf "%d %d %s %s %.0f\n", n, e+0, (p50=="" ? "-" : sprintf("%.2f", p50)), (p99=="" ? "-" : sprintf("%.2f", p99)), rate}' "$summary"
}

# field NAME from a "BENCH k=v ..." line
field() { tr ' ' '\n' <<<"$2" | awk -F= -v k="$1" '$1==k {print $2}'; }

# An ECDSA P-256 CA and a certificate for localhost it signed, in DIR: ca.crt, tls.crt (with the CA), tls.key.
bench_certificate() {
  local dir=$1
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=bench CA" \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" -addext basicConstraints=critical,CA:TRUE 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" \
    -keyout "$dir/tls.key" -out "$dir/tls.csr" 2>/dev/null
  openssl x509 -req -in "$dir/tls.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 2 \
    -extfile <(printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n') \
    -out "$dir/server.crt" 2>/dev/null
  cat "$dir/server.crt" "$dir/ca.crt" >"$dir/tls.crt"
}

# start_nginx DIR PORT TLS_DIR ANSWER: nginx on SERVER_CPU, one worker, answering POST /mutate with the file ANSWER,
# its configuration and scratch files in DIR; sets NGINX_PID and waits until it answers.
start_nginx() {
  local dir=$1 port=$2 tls=$3 answer=$4
  cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  keepalive_requests 10000000;
  keepalive_timeout 75s;
  server {
    listen 127.0.0.1:$port ssl;
    ssl_certificate $tls/tls.crt;
    ssl_certificate_key $tls/tls.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    client_max_body_size 3m;
    location = /mutate {
      default_type application/json;
      return 200 '$(sed "s/[\\\\']/\\\\&/g" "$answer")';
    }
  }
}
CONF
  taskset -c "$SERVER_CPU" /usr/sbin/nginx -c "$dir/nginx.conf" -e "$dir/error.log" &
  NGINX_PID=$!
  for _ in $(seq 100); do
    curl -ksfo /dev/null -d '{}' -H 'Content-Type: application/json' "https://127.0.0.1:$port/mutate" && return 0
    sleep 0.05
  done
}
