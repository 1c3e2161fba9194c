# shellcheck shell=bash
#
# Counting JSON values with jq where a wrong answer must not look like zero.
# Sourced by tests/lib/e2e.sh and tests/kernel/test_old_kernel.sh.
#
#   json_count FILE FILTER   how many values of FILE match FILTER (a jq boolean)
#   json_okno FILE PATH      "ok" or "no" for the boolean at PATH (.a.b)
#   json_get FILE FILTER     jq -r FILTER of FILE; a null result is an error
#                            too (a misspelt key gives null): where null is
#                            an answer, say so in the filter (.x // "none")
#
# Both print ERROR(...) instead of a result, and return 1, if FILE is missing
# or jq fails (a filter that does not compile, a runtime error such as
# splitting a null, a line that is not JSON): no expected number or string
# ever equals it, so a broken check fails instead of passing as "0".

json_count() {
	local out
	if [[ ! -f $1 ]]; then
		echo "ERROR(no file $1)"
		return 1
	fi
	if ! out=$(jq -n "[inputs | select($2)] | length" "$1" 2>&1); then
		echo "ERROR(jq on $1: ${out//$'\n'/ })"
		return 1
	fi
	echo "$out"
}

json_get() {
	local out
	if [[ ! -f $1 ]]; then
		echo "ERROR(no file $1)"
		return 1
	fi
	if ! out=$(jq -r "$2 | if . == null then error(\"null\") else . end" "$1" 2>&1); then
		echo "ERROR(jq on $1: ${out//$'\n'/ })"
		return 1
	fi
	echo "$out"
}

# a yes/no question must not answer "no" for a key that is not there
json_okno() {
	json_get "$1" "$2 | if type != \"boolean\" then error(\"$2 is not a boolean\")
		elif . then \"ok\" else \"no\" end"
}
