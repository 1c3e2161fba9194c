#!/usr/bin/env bash
# deploy/ checked offline: the Prometheus rules (promtool check and unit tests,
# every alert firing and not), the causes' hints in them, the scrape
# configurations, the Grafana dashboard, the Kubernetes manifest (a structural
# check, not the API server's OpenAPI schema).  Every metric they name must be
# one rstwatch exports.  No root; the queries against a real Prometheus
# scraping rstwatch are tests/e2e/test_deploy.sh.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=tests/lib/deploy.sh
. tests/lib/deploy.sh
passed=0 failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if out=$(promtool check rules "$DEPLOY_RULES" 2>&1); then
	ok "promtool check rules: $(grep -o '[0-9]* rules found' <<<"$out")"
else
	fail "promtool check rules: $out"
fi
if out=$(promtool test rules tests/deploy/rstwatch.rules.test.yml 2>&1); then
	ok "promtool test rules: every alert fires on one host and stays quiet on another"
else
	fail "promtool test rules: $out"
fi

# every alert has a unit test, a severity, a summary and a description
alerts_ok() {
	/usr/bin/python3 - "$DEPLOY_RULES" tests/deploy/rstwatch.rules.test.yml <<'EOF'
import sys, yaml
rules = [r for g in yaml.safe_load(open(sys.argv[1]))["groups"] for r in g["rules"] if "alert" in r]
tested = {t["alertname"] for case in yaml.safe_load(open(sys.argv[2]))["tests"]
          for t in case.get("alert_rule_test", []) if t.get("exp_alerts")}
bad = []
for r in rules:
    if r.get("labels", {}).get("severity") not in ("critical", "warning", "info"):
        bad.append(f"{r['alert']}: no severity critical|warning|info")
    for a in ("summary", "description"):
        if not r.get("annotations", {}).get(a, "").strip():
            bad.append(f"{r['alert']}: no {a}")
    if r["alert"] not in tested:
        bad.append(f"{r['alert']}: no promtool test where it fires")
print("; ".join(bad) if bad else f"{len(rules)} alerts")
sys.exit(1 if bad else 0)
EOF
}
if alerts_ok >"$tmp/alerts" 2>&1; then
	ok "alerts: severity, summary, description, a firing test each ($(cat "$tmp/alerts"))"
else
	fail "alerts: $(cat "$tmp/alerts")"
fi

# the reset-rate alert tells each cause's own hint, as rstwatch explain has it
missing=
while IFS=$'\t' read -r cause hint; do
	grep -qF "{{- if eq \$labels.cause \"$cause\" }} $hint" "$DEPLOY_RULES" ||
		grep -qF "{{- else if eq \$labels.cause \"$cause\" }} $hint" "$DEPLOY_RULES" ||
		missing+="$cause "
done < <(.output/rstwatch explain --json | jq -r 'select(.cause != "listen_drop") | "\(.cause)\t\(.hint)"')
n=$(.output/rstwatch explain --json | jq -s 'length')
if [ -z "$missing" ] && [ "$n" -ge 20 ]; then
	ok "RstwatchResetRateAboveBaseline has every cause's hint from rstwatch explain --json"
else
	fail "hints missing or not rstwatch's own for: ${missing:-explain --json gave $n causes}"
fi

# the metrics deploy/ names: rstwatch's own (metrics.c), or the forged-reset
# family still to come, or Prometheus' up; recording rules only those defined
grep -ohE '"rstwatch_[a-z_]+' user/metrics.c | tr -d '"' | sort -u >"$tmp/exported"
echo rstwatch_resets_forged_total >>"$tmp/exported"
deploy_records >"$tmp/records"
{
	deploy_alert_exprs
	deploy_panel_queries "\$job" "\$instance" | cut -f 2
	/usr/bin/python3 -c '
import sys, yaml
for g in yaml.safe_load(open(sys.argv[1]))["groups"]:
    for r in g["rules"]:
        if "record" in r:
            print(" ".join(r["expr"].split()))' "$DEPLOY_RULES"
} >"$tmp/exprs"
unknown=
while read -r m; do
	if [[ $m == *:* ]]; then
		grep -qxF "$m" "$tmp/records" || unknown+="$m "
	else
		grep -qxF "$m" "$tmp/exported" || unknown+="$m "
	fi
done < <(grep -oE '[a-z_:]*rstwatch_[a-z_:0-9]+' "$tmp/exprs" | sort -u)
if [ -z "$unknown" ] && [ "$(wc -l <"$tmp/exprs")" -ge 20 ]; then
	ok "rules and dashboard name only metrics rstwatch exports and rules they define"
else
	fail "unknown metrics or recording rules: ${unknown:-too few expressions}"
fi

# the dashboard: JSON, a Prometheus data source variable every query uses, no
# panel without a query; its variable queries name real metrics
if out=$(jq -e '
	([.templating.list[] | select(.name == "datasource" and .type == "datasource" and
		.query == "prometheus")] | length == 1) and
	([.panels[] | select(.type != "row") | select((.targets // []) | length == 0)] | length == 0) and
	([.panels[] | select(.type != "row") | .datasource.uid, .targets[].datasource.uid] |
		all(. == "${datasource}")) and
	([.templating.list[] | select(.type == "query") | .query.query | test("rstwatch_build_info")] | all)
	' "$DEPLOY_DASHBOARD" 2>&1) && [ "$out" = true ]; then
	ok "dashboard: $(deploy_panel_queries "\$job" "\$instance" | wc -l) queries in $(jq '[.panels[] | select(.type != "row")] | length' "$DEPLOY_DASHBOARD") panels, all on the \$datasource variable"
else
	fail "dashboard: $out"
fi

# scrape configurations: the static one by promtool itself; this Debian's
# Prometheus is built without Kubernetes discovery, so the kubernetes_sd one
# is checked for its fields, and promtool checks the rest of it (relabelling)
# with the discovery swapped for a static target
if out=$(promtool check config deploy/prometheus/scrape-static.yml 2>&1); then
	ok "promtool check config deploy/prometheus/scrape-static.yml"
else
	fail "scrape-static.yml: $out"
fi
if out=$(/usr/bin/python3 - deploy/kubernetes/prometheus-scrape.yml "$tmp/k8s-static.yml" 2>&1 <<'EOF'
import sys, yaml
conf = yaml.safe_load(open(sys.argv[1]))
job = conf["scrape_configs"][0]
assert job["job_name"] == "rstwatch", "job_name must be rstwatch (the alerts use it)"
sd = job.pop("kubernetes_sd_configs")
known = {"role", "namespaces", "selectors", "api_server", "kubeconfig_file", "attach_metadata"}
roles = {"node", "service", "pod", "endpoints", "endpointslice", "ingress"}
for s in sd:
    assert set(s) <= known, f"unknown kubernetes_sd_config fields {set(s) - known}"
    assert s["role"] in roles, f"role {s['role']}"
    assert all(isinstance(n, str) for n in s.get("namespaces", {}).get("names", []))
    for sel in s.get("selectors", []):
        assert set(sel) <= {"role", "label", "field"} and sel["role"] in roles, sel
job["static_configs"] = [{"targets": ["127.0.0.1:9864"]}]
yaml.safe_dump(conf, open(sys.argv[2], "w"))
EOF
) && out=$(promtool check config "$tmp/k8s-static.yml" 2>&1); then
	ok "deploy/kubernetes/prometheus-scrape.yml: kubernetes_sd fields, relabelling by promtool"
else
	fail "prometheus-scrape.yml: $out"
fi

# Kubernetes: is kubectl with a schema here? (Debian 12's kubernetes-client
# needs an API server even for --dry-run=client): a structural check instead
if out=$(/usr/bin/python3 -c 'import sys, yaml; list(yaml.safe_load_all(open(sys.argv[1])))' \
	deploy/kubernetes/rstwatch.yaml 2>&1); then
	ok "deploy/kubernetes/rstwatch.yaml: yaml.safe_load"
else
	fail "rstwatch.yaml does not parse: $out"
fi
if out=$(tests/deploy/check_k8s.py deploy/kubernetes/rstwatch.yaml user/caps.c 2>&1); then
	ok "deploy/kubernetes/rstwatch.yaml: structural check (tests/deploy/check_k8s.py)"
else
	fail "rstwatch.yaml: $(grep FAIL <<<"$out" | tr '\n' ' ')"
fi

# the README points at deploy/
if grep -q '^## Fleet monitoring' README.md && grep -q 'deploy/kubernetes/rstwatch.yaml' README.md &&
	grep -q "$DEPLOY_RULES" README.md && grep -q "$DEPLOY_DASHBOARD" README.md; then
	ok "README: Fleet monitoring names the rules, the dashboard and the DaemonSet"
else
	fail "README: no Fleet monitoring section naming deploy/'s files"
fi

echo "deploy: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
