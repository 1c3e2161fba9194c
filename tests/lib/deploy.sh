# shellcheck shell=bash
#
# What deploy/ asks Prometheus: the recording rules and the dashboard's
# queries, for tests/deploy.sh (offline checks) and tests/e2e/test_deploy.sh
# (a real Prometheus answering them).

DEPLOY_RULES=deploy/prometheus/rstwatch.rules.yml
DEPLOY_DASHBOARD=deploy/grafana/rstwatch.json

# deploy_records: the recording rules' names, one a line
deploy_records() {
	/usr/bin/python3 -c '
import sys, yaml
for g in yaml.safe_load(open(sys.argv[1]))["groups"]:
    for r in g["rules"]:
        if "record" in r:
            print(r["record"])' "$DEPLOY_RULES"
}

# deploy_alert_exprs: each alert's expression, on one line each
deploy_alert_exprs() {
	/usr/bin/python3 -c '
import sys, yaml
for g in yaml.safe_load(open(sys.argv[1]))["groups"]:
    for r in g["rules"]:
        if "alert" in r:
            print(" ".join(r["expr"].split()))' "$DEPLOY_RULES"
}

# deploy_panel_queries JOB INSTANCE_RE: "PANEL<TAB>EXPR" for every query of
# every panel, with the dashboard's $job and $instance replaced by these
deploy_panel_queries() {
	jq -r --arg job "$1" --arg inst "$2" '
		.panels[] | select(.type != "row") | .title as $t | .targets[] |
		"\($t)\t\(.expr | gsub("\\$job"; $job) | gsub("\\$instance"; $inst))"' "$DEPLOY_DASHBOARD"
}
