# shellcheck shell=bash
#
# deploy/ against the real thing: Prometheus, loaded with deploy/'s rules and
# scrape configuration, scrapes a real rstwatch serve while resets happen, and
# answers every recording rule, alert expression and dashboard query.

# shellcheck source=tests/lib/scenario.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/scenario.sh"
# shellcheck source=tests/lib/deploy.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/deploy.sh"

DEPLOY_SERVE_PORT=19866
DEPLOY_PROM_PORT=19093

prom_query() { # EXPR: Prometheus' JSON answer at this instant
	curl -sf -m 5 "http://127.0.0.1:$DEPLOY_PROM_PORT/api/v1/query" --data-urlencode "query=$1"
}

# prom_series EXPR: how many series the answer has, or "error: ..." when it failed
prom_series() {
	local out
	out=$(prom_query "$1") || { echo "error: no answer"; return; }
	jq -r 'if .status == "success" then (.data.result | length) else "error: \(.error)" end' <<<"$out"
}

test_deploy_prometheus_queries() {
	local prom pid i n q empty=() missing=() failed=() queries=() answer_only=()
	core_setup || return 1
	rw_stop
	"$RSTWATCH" serve -v --listen "127.0.0.1:$DEPLOY_SERVE_PORT" >"$T/serve.out" 2>"$T/serve.err" &
	pid=$!
	NS_BG_PIDS+=("$pid")
	# /metrics answers from before the programs are attached: wait for those
	ns_wait_line "$T/serve.err" 'watching' 10 || { e2e_fail "serve: $(cat "$T/serve.err")"; return 1; }
	# deploy's own static scrape job, aimed at this serve, every second; its rules, every second
	mkdir -p "$T/prom"
	/usr/bin/python3 - deploy/prometheus/scrape-static.yml "$PWD/$DEPLOY_RULES" \
		"127.0.0.1:$DEPLOY_SERVE_PORT" >"$T/prom/prometheus.yml" <<'EOF' || return 1
import sys, yaml
conf = yaml.safe_load(open(sys.argv[1]))
conf["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
conf["rule_files"] = [sys.argv[2]]
job = conf["scrape_configs"][0]
job["scrape_interval"], job["scrape_timeout"] = "1s", "1s"
job["static_configs"] = [{"targets": [sys.argv[3]]}]
print(yaml.safe_dump(conf))
EOF
	prometheus --config.file="$T/prom/prometheus.yml" --storage.tsdb.path="$T/prom/data" \
		--web.listen-address="127.0.0.1:$DEPLOY_PROM_PORT" >"$T/prom/log" 2>&1 &
	prom=$!
	NS_BG_PIDS+=("$prom")
	for ((i = 0; i < 100; i++)); do
		curl -sf "http://127.0.0.1:$DEPLOY_PROM_PORT/-/ready" >/dev/null 2>&1 && break
		sleep 0.1
	done
	curl -sf "http://127.0.0.1:$DEPLOY_PROM_PORT/-/ready" >/dev/null ||
		{ e2e_fail "Prometheus not ready: $(tail -3 "$T/prom/log")"; return 1; }
	# Prometheus starts scraping a few seconds after it is ready (discovery
	# updates are batched): resets before its first scrape make no rate
	for ((i = 0; i < 60; i++)); do
		[[ $(prom_query 'up{job="rstwatch"}' | jq -r '.data.result[0].value[1] // empty') == 1 ]] && break
		sleep 0.25
	done
	# resets of several causes, both directions, seen on the wire; spread over
	# a few seconds so that rates have scrapes on both sides of them
	for i in 0 1 2; do
		run_scenario closed_port 4 $((26600 + i))
		run_scenario abort_on_close 6 $((26610 + i))
		sleep 1
	done
	# recording rules and panels must have data; an alert's condition is empty
	# while it does not fire, so it need only be answered, as must the forged-reset
	# queries: rstwatch has no such series yet
	while IFS= read -r q; do queries+=("$q"); done < <(deploy_records)
	while IFS=$'\t' read -r _ q; do queries+=("$q"); done < <(deploy_panel_queries rstwatch '.*')
	while IFS= read -r q; do answer_only+=("$q"); done < <(deploy_alert_exprs)
	[[ ${#queries[@]} -ge 30 && ${#answer_only[@]} -ge 10 ]] ||
		e2e_fail "only ${#queries[@]} queries and ${#answer_only[@]} alerts from deploy/"
	# bounded: until every query that should have data has it (rules every second)
	for ((i = 0; i < 40; i++)); do
		missing=() failed=() empty=()
		for q in "${queries[@]}" "${answer_only[@]}"; do
			n=$(prom_series "$q")
			if [[ $n == error* ]]; then
				failed+=("$q: $n")
			elif [[ $q == *rstwatch_resets_forged_total* ]]; then
				empty+=("$q")
			elif [[ $n -eq 0 ]] && printf '%s\n' "${queries[@]}" | grep -qxF -- "$q"; then
				missing+=("$q")
			fi
		done
		[[ ${#missing[@]} -eq 0 && ${#failed[@]} -eq 0 ]] && break
		sleep 0.5
	done
	expect_eq "queries Prometheus refused" "${#failed[@]}" 0 || printf '   %s\n' "${failed[@]}"
	expect_eq "queries without data" "${#missing[@]}" 0 || printf '   %s\n' "${missing[@]}"
	echo "   $((${#queries[@]} + ${#answer_only[@]})) queries answered; with no series yet, as expected: ${#empty[@]} (forged resets)"
	# what the resets made is in the recorded rates, not only zeros (bounded wait:
	# the last resets reach a scrape, then a rule evaluation, within seconds)
	for q in 'instance_direction_cause:rstwatch_resets:rate5m{cause="closed_port",direction="sent"} > 0' \
		'instance_direction_cause:rstwatch_resets:rate5m{cause="peer_reset",direction="received"} > 0' \
		'instance_interface_direction:rstwatch_wire_resets:rate5m{direction="sent"} > 0'; do
		for ((i = 0; i < 40; i++)); do
			n=$(prom_series "$q")
			[[ $n == 1 || $n == error* ]] && break
			sleep 0.25
		done
		[[ $n =~ ^[1-9] ]] || e2e_fail "$q: $n series"
	done
	# the dashboard's variables: label_values(rstwatch_build_info, job) and its instances
	n=$(curl -sfG "http://127.0.0.1:$DEPLOY_PROM_PORT/api/v1/label/job/values" \
		--data-urlencode 'match[]=rstwatch_build_info' | jq -c '.data')
	expect_eq "the dashboard's job variable" "$n" '["rstwatch"]'
	# no rule failed to evaluate
	n=$(curl -sf "http://127.0.0.1:$DEPLOY_PROM_PORT/api/v1/rules" |
		jq '[.data.groups[].rules[] | select(.health != "ok")] | length')
	expect_eq "rules whose evaluation failed" "$n" 0
	ns_stop "$prom" >/dev/null
}
