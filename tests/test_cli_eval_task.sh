#!/bin/bash
# llama-fast eval --task on bad and good input. Every malformed data file (missing field,
# wrong type, label or answer out of range, a winogrande sentence without exactly one
# "_", wrong number of endings or choices, empty file, invalid JSON or UTF-8, CSV with a
# wrong column count or an unterminated quote, piqa labels that do not match) exits 1 with
# "error:" naming the file and line; bad options exit 2. On SmolLM2: a few hand-written
# items per task give accuracies in [0, 1] and a sane table and JSON; Ctrl-C (SIGINT)
# mid-run prints the partial result with "interrupted": true and exits 130.
# Prints "N passed, M failed[, K skipped]". Environment: BUILD, MODEL, LF_SANITIZED.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect_error RC NEEDLE ARGS...: exit status RC, "error:" and NEEDLE on stderr
expect_error() {
    local want=$1 needle=$2
    shift 2
    "$BIN" eval "$@" >"$tmp/stdout" 2>"$tmp/err" </dev/null
    local rc=$?
    if [ "$rc" -eq "$want" ] && grep -q 'error:' "$tmp/err" && grep -qF -- "$needle" "$tmp/err"; then
        ok
    else
        bad "llama-fast eval $* exited $rc (wanted $want, '$needle'); stderr: $(head -c 600 "$tmp/err")"
    fi
}

# bad_data TASK NEEDLE CONTENT [ARGS...]: the file holds CONTENT (printf format); the
# message names it with the line
bad_data() {
    local task=$1 needle=$2 content=$3 ext=jsonl
    shift 3
    [ "$task" = mmlu ] && ext=csv
    local f="$tmp/bad_test.$ext"
    printf "$content" >"$f"
    expect_error 1 "$f$needle" "$MODEL" --task "$task" --data "$f" "$@"
}

HS='{"activity_label": "A", "ctx_a": "b.", "ctx_b": "c", "endings": ["d.", "e.", "f.", "g."], "label": 0}'
bad_data hellaswag ':1: invalid JSON' '{"activity_label": \n'
bad_data hellaswag ':2: "ctx_a" is missing' "$HS\n"'{"activity_label": "A", "ctx_b": "c", "endings": [], "label": 0}\n'
bad_data hellaswag ':1: "ctx_b" is not a string' '{"activity_label": "A", "ctx_a": "b", "ctx_b": 3, "endings": [], "label": 0}\n'
bad_data hellaswag ':3: "endings" has 3 entries' "$HS\n\n"'{"activity_label": "A", "ctx_a": "b", "ctx_b": "c", "endings": ["d", "e", "f"], "label": 0}\n'
bad_data hellaswag ':1: "label" is not an index' '{"activity_label": "A", "ctx_a": "b", "ctx_b": "c", "endings": ["d", "e", "f", "g"], "label": 4}\n'
bad_data hellaswag ':1: "label" is not an index' '{"activity_label": "A", "ctx_a": "b", "ctx_b": "c", "endings": ["d", "e", "f", "g"], "label": ""}\n'
bad_data hellaswag ':1: "label" is neither' '{"activity_label": "A", "ctx_a": "b", "ctx_b": "c", "endings": ["d", "e", "f", "g"], "label": [1]}\n'
bad_data hellaswag ':1: the JSON top level is not an object' '[1, 2]\n'
bad_data hellaswag ':1: invalid JSON' '{"activity_label": "\377"}\n'
bad_data hellaswag ': file is empty' ''
bad_data hellaswag ': no rows' '\n  \n'
bad_data hellaswag ':1: line longer than' "{\"activity_label\": \"$(head -c 1100000 /dev/zero | tr '\0' a)\"}\n"
bad_data winogrande ':1: "sentence" has no "_"' '{"sentence": "no blank", "option1": "a", "option2": "b", "answer": "1"}\n'
bad_data winogrande ':1: "sentence" has more than one "_"' '{"sentence": "_ and _", "option1": "a", "option2": "b", "answer": "1"}\n'
bad_data winogrande ':1: "answer" is neither' '{"sentence": "a _ b", "option1": "a", "option2": "b", "answer": "3"}\n'
bad_data winogrande ':1: "option2" is missing' '{"sentence": "a _ b", "option1": "a", "answer": "1"}\n'
bad_data arc-easy ':1: "answerKey" names none' '{"question": {"stem": "q", "choices": [{"text": "a", "label": "A"}, {"text": "b", "label": "B"}, {"text": "c", "label": "C"}]}, "answerKey": "D"}\n'
bad_data arc-easy ':1: "choices" has 2 entries' '{"question": {"stem": "q", "choices": [{"text": "a", "label": "A"}, {"text": "b", "label": "B"}]}, "answerKey": "A"}\n'
bad_data arc-challenge ':1: "choices.label" is not an array as long' '{"question": "q", "choices": {"text": ["a", "b", "c"], "label": ["A", "B"]}, "answerKey": "A"}\n'
bad_data arc-challenge ':1: "stem" is missing' '{"question": {"choices": []}, "answerKey": "A"}\n'
bad_data piqa ':1: "label" is missing (give the labels file' '{"goal": "g", "sol1": "a", "sol2": "b"}\n'
bad_data piqa ':1: "label" is not an index' '{"goal": "g", "sol1": "a", "sol2": "b", "label": 2}\n'
printf '0\n1\n' >"$tmp/labels.lst"
bad_data piqa ': 1 rows but 2 labels' '{"goal": "g", "sol1": "a", "sol2": "b"}\n' --labels "$tmp/labels.lst"
printf '0\n7\n' >"$tmp/labels7.lst"
expect_error 1 "$tmp/labels7.lst:2: the label is not 0 or 1" "$MODEL" --task piqa --data "$tmp/bad_test.jsonl" --labels "$tmp/labels7.lst"
bad_data mmlu ':2: 5 fields, not 6' 'q,a,b,c,d,A\nq,a,b,c,d\n'
bad_data mmlu ':1: the answer (field 6) is not one of A, B, C, D' 'q,a,b,c,d,E\n'
bad_data mmlu ':2: unterminated quoted field' 'q,a,b,c,d,A\n"q\n,a,b,c,d,A\n'
bad_data mmlu ':1: text after a closing quote' '"q"x,a,b,c,d,A\n'
bad_data mmlu ':4: invalid UTF-8' 'q,a,b,c,d,A\n"multi\nline",a,b,c,d,B\nq\377,a,b,c,d,A\n'
bad_data mmlu ': file is empty' ''
bad_data mmlu ':2: record longer than 1 MiB' "q,a,b,c,d,A\n\"$(head -c 1100000 /dev/zero | tr '\0' a)\",a,b,c,d,A\n"
mkdir -p "$tmp/emptydir"
expect_error 1 "$tmp/emptydir: no .csv files" "$MODEL" --task mmlu --data "$tmp/emptydir"
expect_error 1 "$tmp/none.jsonl: no such file" "$MODEL" --task hellaswag --data "$tmp/none.jsonl"

# options
printf '%s\n' "$HS" "$HS" >"$tmp/hs.jsonl"
expect_error 2 "unknown task 'lambada'" "$MODEL" --task lambada --data "$tmp/hs.jsonl"
expect_error 2 "needs --data" "$MODEL" --task hellaswag
expect_error 2 "--task is required" "$MODEL" --data "$tmp/hs.jsonl"
expect_error 2 "--limit" "$MODEL" --task hellaswag --data "$tmp/hs.jsonl" --limit 0
expect_error 2 "--limit" "$MODEL" --task hellaswag --data "$tmp/hs.jsonl" --limit -3
expect_error 2 "unexpected argument '--frobnicate'" "$MODEL" --task hellaswag --data "$tmp/hs.jsonl" --frobnicate
expect_error 2 "--labels and --fewshot-labels are for piqa only" "$MODEL" --task hellaswag --data "$tmp/hs.jsonl" --labels x
"$BIN" eval --help >"$tmp/help" 2>&1 && grep -q -- '--num-fewshot' "$tmp/help" && ok || bad "eval --help"

if [ ! -f "$MODEL" ]; then
    echo "SKIP: $MODEL absent" >&2
    echo "$pass passed, $fail failed, 8 skipped"
    [ "$fail" -eq 0 ]
    exit
fi
expect_error 1 "--num-fewshot 2: the few-shot pool has only 1 examples" "$MODEL" --task hellaswag --data "$tmp/hs.jsonl" --num-fewshot 2

# SmolLM2 on a few hand-written items of each task: sane output
cat >"$tmp/hellaswag.jsonl" <<'J'
{"ind": 1, "activity_label": "Making coffee", "ctx_a": "A man pours water into a kettle and turns it on.", "ctx_b": "he", "endings": ["waits for the water to boil and pours it over the ground coffee.", "throws the kettle out of the window.", "eats the coffee beans with a spoon of sand.", "paints the kettle purple and sings."], "label": 0}
{"ind": 2, "activity_label": "Washing hands", "ctx_a": "A woman turns on the tap and wets her hands.", "ctx_b": "she", "endings": ["drives to the airport.", "rubs soap between her hands and rinses them.", "climbs onto the roof.", "reads a newspaper under the water."], "label": 1}
{"ind": 3, "activity_label": "Walking the dog", "ctx_a": "A girl clips a leash onto her dog's collar.", "ctx_b": "they", "endings": ["fly to the moon.", "bake a cake in the bathtub.", "walk out of the door and down the street.", "sink into the floor."], "label": 2}
J
cat >"$tmp/winogrande.jsonl" <<'J'
{"qID": "1", "sentence": "The trophy doesn't fit into the brown suitcase because the _ is too large.", "option1": "trophy", "option2": "suitcase", "answer": "1"}
{"qID": "2", "sentence": "The trophy doesn't fit into the brown suitcase because the _ is too small.", "option1": "trophy", "option2": "suitcase", "answer": "2"}
J
cat >"$tmp/arc.jsonl" <<'J'
{"id": "1", "question": {"stem": "Which of these is a source of light?", "choices": [{"text": "the Sun", "label": "A"}, {"text": "a rock", "label": "B"}, {"text": "a shadow", "label": "C"}, {"text": "a spoon", "label": "D"}]}, "answerKey": "A"}
{"id": "2", "question": {"stem": "What do plants need to make food?", "choices": [{"text": "sunlight", "label": "1"}, {"text": "plastic", "label": "2"}, {"text": "metal", "label": "3"}]}, "answerKey": "1"}
J
cat >"$tmp/piqa.jsonl" <<'J'
{"goal": "To cut a piece of paper,", "sol1": "use a pair of scissors.", "sol2": "use a glass of water."}
{"goal": "To keep ice cream frozen,", "sol1": "leave it in the sun.", "sol2": "put it in the freezer."}
J
printf '0\n1\n' >"$tmp/piqa-labels.lst"
mkdir -p "$tmp/mmlu"
cat >"$tmp/mmlu/elementary_mathematics_test.csv" <<'J'
What is 2 + 2?,3,4,5,6,B
"What is 10 divided by 2?",2,5,"10",20,B
J
cat >"$tmp/mmlu/world_religions_test.csv" <<'J'
"In which city is the Kaaba?",Mecca,Paris,Tokyo,Lima,A
J
for t in hellaswag winogrande arc-easy piqa mmlu; do
    data=$tmp/$t.jsonl extra=()
    [ "$t" = arc-easy ] && data=$tmp/arc.jsonl
    [ "$t" = piqa ] && extra=(--labels "$tmp/piqa-labels.lst")
    [ "$t" = mmlu ] && data=$tmp/mmlu
    "$BIN" eval "$MODEL" --task "$t" --data "$data" "${extra[@]}" --json >"$tmp/out.json" 2>"$tmp/err" </dev/null
    rc=$?
    "$PYTHON" - "$tmp/out.json" "$t" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
norm = sys.argv[2] not in ("winogrande", "mmlu")
assert 0 <= r["acc"] <= 1 and r["n"] == len(r["items"]) >= 1 and not r["interrupted"], r
assert (r["acc_norm"] is not None) == norm and (not norm or 0 <= r["acc_norm"] <= 1), r
for it in r["items"]:
    assert all(ll < 0 for ll in it["loglikelihoods"]) and 0 <= it["pred"] < len(it["loglikelihoods"]), it
assert sys.argv[2] != "mmlu" or set(r["subjects"]) == {"elementary_mathematics", "world_religions"}, r
PY
    [ $rc -eq 0 ] && [ $? -eq 0 ] && ok || bad "SmolLM2 $t: exit $rc: $(head -c 800 "$tmp/out.json" "$tmp/err")"
done
"$BIN" eval "$MODEL" --task arc-challenge --data "$tmp/arc.jsonl" --num-fewshot 1 >"$tmp/table" 2>"$tmp/err" </dev/null &&
    grep -qE '^\|arc-challenge *\| +1\|acc +\|[01]\.[0-9]{4}\|±  \|' "$tmp/table" && grep -q '^|  *|  *|acc_norm|' "$tmp/table" &&
    grep -qE '^2 items, [0-9.]+ s, [0-9]+ tokens/s$' "$tmp/table" && ! grep -q $'\r' "$tmp/err"
[ $? -eq 0 ] && ok || bad "table: $(cat "$tmp/table" "$tmp/err")"

# Ctrl-C: a long run stops after the current item with the partial result
for i in $(seq 1 400); do cat "$tmp/hellaswag.jsonl"; done >"$tmp/big.jsonl"
"$BIN" eval "$MODEL" --task hellaswag --data "$tmp/big.jsonl" --json -t 2 >"$tmp/int.json" 2>"$tmp/err" </dev/null &
pid=$!
sleep $((2 * SLOW))
kill -INT $pid
wait $pid
rc=$?
"$PYTHON" -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["interrupted"] is True and 1 <= r["n"] < 1200 and len(r["items"]) == r["n"], r["n"]
' "$tmp/int.json" 2>>"$tmp/err"
[ $rc -eq 130 ] && [ $? -eq 0 ] && ok || bad "SIGINT: exit $rc: $(head -c 300 "$tmp/int.json"; cat "$tmp/err")"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
