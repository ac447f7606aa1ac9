#!/bin/sh
# SPDX-License-Identifier: MIT
# The HTML report in a real browser (issue 6): the report of a harness run
# with failures and of an analyzer run are opened in headless Chromium; a
# screenshot is taken, and the DOM after the page's script ran must hold the
# summary counts of the JSON report, a failure's step, expected, actual and
# hex, and the sequence charts. The page makes no external request: no
# external src/href in the file, and Chromium's net log, with every host
# unresolvable, shows no request the page started (Chromium's own
# background requests have no origin and are told apart). Chromium is a
# check dependency (tools/deps.sh check installs it): without it the test
# fails rather than pass having looked at nothing.
set -eu
B=${B:-build}
A="$B/atproof"
CHROMIUM=${CHROMIUM:-chromium}
command -v "$CHROMIUM" >/dev/null 2>&1 ||
	{ echo "chromium is missing: run 'make deps-check' (Debian chromium)"; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
case $out in /*) ;; *) out=$PWD/$out ;; esac

# chromium MODE PAGE OUT: MODE is dom (the DOM on OUT) or shot (a PNG).
browse() {
	mode=$1 page=$2 dst=$3
	prof=$(mktemp -d "$out/prof.XXXXXX")
	set -- --headless --no-sandbox --disable-gpu --disable-background-networking \
	    --disable-component-update --disable-sync --no-first-run \
	    --user-data-dir="$prof" --host-resolver-rules="MAP * ~NOTFOUND" \
	    --log-net-log="$dst.netlog" --window-size=1280,2000
	if [ "$mode" = dom ]; then
		timeout 40 "$CHROMIUM" "$@" --virtual-time-budget=2000 --dump-dom \
		    "file://$page" >"$dst" 2>"$dst.err" || true
	else
		timeout 40 "$CHROMIUM" "$@" --screenshot="$dst" "file://$page" \
		    >"$dst.err" 2>&1 || true
	fi
}

# Requests the page made: in the net log, a URL request whose initiator
# is an origin (a file:// page's is "null"); Chromium's own have none.
page_requests() {
	python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
names = {v: k for k, v in d["constants"]["logEventTypes"].items()}
bad = []
for e in d.get("events", []):
    p = e.get("params") or {}
    if names.get(e["type"]) != "URL_REQUEST_START_JOB" or "url" not in p:
        continue
    if p.get("initiator", "not an origin") == "not an origin":
        continue
    if not p["url"].startswith(("file:", "data:")):
        bad.append(p["url"])
print("\n".join(bad))
PY
}

no_external() { # file.html label
	if grep -n -i -E "(src|href|action|xlink:href)[[:space:]]*=[[:space:]]*[\"']?[[:space:]]*(https?:)?//|url\([\"']?(https?:)?//|@import" "$1"; then
		echo "FAIL $2: the page refers to an external resource"
		exit 1
	fi
	reqs=$(page_requests "$1.dom.netlog")
	if [ -n "$reqs" ]; then
		echo "$reqs"
		echo "FAIL $2: the page made external requests"
		exit 1
	fi
}

shot() { # file.html label
	browse shot "$1" "$1.png"
	if [ ! -s "$1.png" ] || [ "$(head -c 8 "$1.png" | od -An -tx1 | tr -d ' \n')" != 89504e470d0a1a0a ]; then
		cat "$1.png.err"
		echo "FAIL $2: no screenshot"
		exit 1
	fi
	[ "$(wc -c <"$1.png")" -gt 20000 ] || { echo "FAIL $2: the screenshot is blank"; exit 1; }
	[ -z "${HTML_SHOTS:-}" ] || cp "$1.png" "$HTML_SHOTS/$2.png"
}

# The control: the net-log check sees a page that fetches.
printf '<!DOCTYPE html><html><body><img src="http://atproof.invalid/x.png"></body></html>\n' \
    >"$out/control.html"
browse dom "$out/control.html" "$out/control.html.dom"
[ -n "$(page_requests "$out/control.html.dom.netlog")" ] ||
	{ echo "FAIL the net-log check does not see a page's request"; exit 1; }

# 1. A harness run with failures: the LUAT emulator judged by the manual.
rc=0
"$A" run --emulator=luat --report json:"$out/run.json" --report html:"$out/run.html" \
    scenarios/examples/*.yaml >"$out/run.txt" 2>&1 || rc=$?
[ "$rc" = 1 ] || { cat "$out/run.txt"; echo "FAIL the run exited $rc, not 1"; exit 1; }
browse dom "$out/run.html" "$out/run.html.dom"
no_external "$out/run.html" run
shot "$out/run.html" run
python3 - "$out/run.json" "$out/run.html.dom" <<'PY'
import json, sys
from html.parser import HTMLParser

rep = json.load(open(sys.argv[1]))

class Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.els = [], []
    def handle_starttag(self, tag, attrs):
        el = {"tag": tag, "attrs": dict(attrs), "text": "", "up": list(self.stack)}
        self.els.append(el)
        if tag not in ("br", "input", "meta", "line", "path", "rect"):
            self.stack.append(el)
    def handle_endtag(self, tag):
        if all(e["tag"] != tag for e in self.stack):
            return
        while self.stack:
            if self.stack.pop()["tag"] == tag:
                break
    def handle_data(self, data):
        for el in self.stack:
            el["text"] += data

dom = Dom()
dom.feed(open(sys.argv[2], encoding="utf-8").read())
def find(tag=None, **kw):
    return [e for e in dom.els if (tag is None or e["tag"] == tag) and
            all(kw[k] in (e["attrs"].get(k.replace("_", "-")) or "").split() or
                e["attrs"].get(k.replace("_", "-")) == kw[k] for k in kw)]

summary = find(id="summary")
assert summary, "no summary"
s, st = summary[0]["attrs"], rep["stats"]
for key, js in (("data-cases", "cases"), ("data-passed", "passed"), ("data-failed", "failed"),
                ("data-inconclusive", "inconclusive"), ("data-skipped", "skipped")):
    assert int(s[key]) == st[js], (key, s[key], st[js])
assert st["failed"] > 0
rows = [e for e in find("tr") if e["attrs"].get("class", "").startswith("v-")]
assert len(rows) == st["cases"], len(rows)

# A failure's details: the case the JSON says failed, with its step.
failed = [c for c in rep["cases"] if c["verdict"] == "fail"]
sections = find("section", **{"class": "failure"})
assert len(sections) >= len(failed), len(sections)
by_id = {}
for sec in sections:
    h3 = [e for e in dom.els if e["tag"] == "h3" and sec in e["up"]]
    by_id[h3[0]["text"].split(" ", 1)[1].strip()] = sec
for c in failed:
    sec = by_id[c["id"]]
    step = next(x for x in c["steps"] if x["verdict"] == "fail")
    inside = [e for e in dom.els if sec in e["up"]]
    names = [e["text"] for e in inside if "step-name" in e["attrs"].get("class", "")]
    assert step["name"] in names, (c["id"], step["name"], names)
    for cls, key in (("actual", "actual"), ("actual-hex", "actual_hex"), ("expected", "expected")):
        if key in step:
            got = [e["text"] for e in inside if e["tag"] == "pre" and e["attrs"].get("class") == cls]
            assert step[key] in got, (c["id"], cls, got)
    assert any(e["attrs"].get("class") == "actual-hex" for e in inside), c["id"]

# Sequence charts: one per case that ran, host and module lifelines,
# arrows; a failing response drawn as such; the peers as lifelines.
charts = find("svg", **{"class": "msc"})
ran = [c for c in rep["cases"] if c["steps"]]
assert len(charts) == len(ran), (len(charts), len(ran))
def lanes(svg):
    return [e["text"] for e in dom.els if svg in e["up"] and e["attrs"].get("class") == "lane"]
assert all(lanes(c)[:2] == ["host", "module"] for c in charts)
assert any(len(lanes(c)) > 2 for c in charts), "no network peer lifeline"
msgs = [e for e in dom.els if e["tag"] == "g" and e["attrs"].get("class", "").startswith("msg")]
assert len(msgs) > 50, len(msgs)
assert any(e["attrs"]["class"] == "msg fail" for e in msgs), "no failing arrow"
assert find("table", id="latency-table") and find("svg", **{"class": "hist"}), "no latency"
print("ok   run: %d cases, %d failed, %d charts, %d arrows" %
      (st["cases"], st["failed"], len(charts), len(msgs)))
PY

# 2. An analyzer run over logs with findings.
rc=0
"$A" analyze --report json:"$out/an.json" --report html:"$out/an.html" \
    tests/golden/bad-arrows.txt tests/golden/bad-interceptty.txt tests/data/manual-examples.txt \
    >"$out/an.txt" 2>&1 || rc=$?
[ "$rc" = 1 ] || { cat "$out/an.txt"; echo "FAIL analyze exited $rc, not 1"; exit 1; }
browse dom "$out/an.html" "$out/an.html.dom"
no_external "$out/an.html" analyze
shot "$out/an.html" analyze
python3 - "$out/an.json" "$out/an.html.dom" <<'PY'
import json, re, sys
rep = json.load(open(sys.argv[1]))
dom = open(sys.argv[2], encoding="utf-8").read()
m = re.search(r'id="summary" data-cases="(\d+)" data-passed="\d+" data-failed="(\d+)"'
              r' data-inconclusive="(\d+)".*? data-findings="(\d+)"', dom)
assert m, "no summary"
rules = rep["rules"]
assert int(m.group(2)) == sum(1 for r in rules if r["fail"] > 0), m.groups()
assert int(m.group(4)) == rep["stats"]["findings"], m.groups()
# Each failing rule is a failure with a step at its source line.
for r in rules:
    if r["fail"]:
        assert re.search(r'<section class="failure" id="case-\d+"><h3><span class="fail">fail'
                         r'</span> ' + re.escape(r["rule"]) + "</h3>", dom), r["rule"]
f = rep["findings"][0]
assert "%s:%d" % (f["source"]["file"], f["source"]["line"]) in dom, f
# A failing response shows its bytes, text and hex, and the command it
# answered: AT+WPRT=7 in bad-arrows.txt got +OK.
assert re.search(r'<pre class="message">AT\+WPRT=7: [^<]*</pre></td></tr>\s*'
                 r'<tr><th>actual</th><td><pre class="actual">\+OK\\r\\n\\r\\n</pre></td></tr>\s*'
                 r'<tr><th>actual \(hex\)</th><td><pre class="actual-hex">2B 4F 4B 0D 0A 0D 0A</pre></td></tr>\s*'
                 r'<tr><th>before it</th><td><pre class="before">AT\+WPRT=7</pre>', dom), "no bytes"
# A chart per input: the session's messages (commands from the host,
# responses back), its failing findings as notes where they arose.
assert dom.count('<svg class="msc"') == len(rep["inputs"]), dom.count('<svg class="msc"')
notes = 0
for svg in re.findall(r'<svg class="msc".*?</svg>', dom, re.S):
    lanes = dict(re.findall(r'<text class="lane" x="(\d+)"[^>]*>([^<]*)</text>', svg))
    assert sorted(lanes.values()) == ["host", "module"], lanes
    x = {v: k for k, v in lanes.items()}
    # (the DOM closes a <line> with </line>, the file with />)
    arrows = re.findall(r'<line x1="(\d+)" y1="\d+" x2="(\d+)"[^>]*>(?:</line>)?<text[^>]*>([^<]*)</text>', svg)
    assert any(a == x["host"] and b == x["module"] and t.upper().startswith("AT") for a, b, t in arrows), arrows
    assert any(a == x["module"] and b == x["host"] and t.startswith("+") for a, b, t in arrows), arrows
    notes += len(re.findall(r'<g class="note (fail|inconc)">', svg))
assert notes > 0, "no finding in any chart"
for l in rep["stats"]["latency"]:
    assert "<td>%s</td>" % l["command"] in dom, l["command"]
print("ok   analyze: %s rules, %s findings, %d charts, %d notes" %
      (m.group(1), m.group(4), dom.count('<svg class="msc"'), notes))
PY
# 3. A factory station: its page has the units and their measurements
#    against the limits, and links to each unit's own page.
cat >"$out/station.yaml" <<'YAML'
station: line1
units:
  - { name: good, emulator: manual }
  - { name: odd, emulator: luat }
YAML
rc=0
"$A" run --station "$out/station.yaml" --report json:"$out/st.json" --report html:"$out/st.html" \
    scenarios/examples/basic.yaml scenarios/examples/negative.yaml >"$out/st.txt" 2>&1 || rc=$?
[ "$rc" = 1 ] || { cat "$out/st.txt"; echo "FAIL the station exited $rc, not 1"; exit 1; }
browse dom "$out/st.html" "$out/st.html.dom"
no_external "$out/st.html" station
shot "$out/st.html" station
python3 - "$out/st.json" "$out/st.html.dom" "$out" <<'PY'
import json, os, re, sys
rep = json.load(open(sys.argv[1]))
dom = open(sys.argv[2], encoding="utf-8").read()
assert re.search(r'id="summary" data-units="2" data-passed="1" data-failed="1"', dom), "summary"
for u in rep["units"]:
    page = "st-%s.html" % u["name"]
    assert '<a href="%s">%s</a>' % (page, u["name"]) in dom, page
    assert os.path.getsize(os.path.join(sys.argv[3], page)) > 0, page
    assert "<td>%s</td>" % u["mac"] in dom, u["mac"]
table = dom[dom.index('id="measure-table"'):]
table = table[:table.index("</table>")]
assert "mac_len" in table and "[12..12]" in table, table[:300]
assert len(re.findall(r"<tr><td>(good|odd)</td>", table)) == 2, table
assert re.search(r'<td class="n pass" title="pass">12</td>', table), table
print("ok   station: units, measurements against limits, links to the units' pages")
PY
echo "ok   no external requests; screenshots taken"
