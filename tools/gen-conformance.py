#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Writes scenarios/conformance/<cmd>-<NNN>-<slug>.yaml from the tables below
# and `atproof commands --json` (the notes of core/cmd_table.def become the
# files' reading comments). The YAML files are the suite; this script is how
# they were made: edit a table, run it, review the diff, run
# tests/e2e/test_suite.sh.   Usage: tools/gen-conformance.py [BUILD_DIR]
import os, json, subprocess, re
import sys
B = sys.argv[1] if len(sys.argv) > 1 else "build"
OUT = "scenarios/conformance"
T = json.loads(subprocess.check_output([B + "/atproof", "commands", "--json"]))
CMDS = {c["name"]: c for c in T["commands"]}

def q(s):
    """YAML double-quoted scalar."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t") + '"'

def sq(s):
    return "'" + s.replace("'", "''") + "'"

def note_comment(name):
    n = CMDS[name].get("note")
    if not n:
        return ""
    words = n.split()
    lines, cur = [], "# Reading (core/cmd_table.def):"
    for w in words:
        if len(cur) + len(w) + 1 > 76:
            lines.append(cur); cur = "#  "
        cur += " " + w
    lines.append(cur)
    return "\n".join(lines) + "\n"

def spec_of(name):
    c = CMDS[name]
    return "§%s AT+%s" % (c["section"], name)

FILES = []
DEV_ID = re.compile(r'^( *)id: "\[dev:([a-z0-9-]+)\] (.*)"$', re.M)


def write(name, num, slug, title, body, extra_spec=None, comment="", tags=None, setup=None,
          teardown=None, matrix=None, header_extra=""):
    fn = "%s-%03d-%s.yaml" % (name.lower() if name else "null", num, slug)
    cid = "conf-%s-%03d-%s" % (name.lower() if name else "null", num, slug)
    spec = [spec_of(name)] + (extra_spec or [])
    tg = ["conformance", "regression", "cmd-" + (name.lower() if name else "null")] + (tags or [])
    s = "# Conformance of AT+%s (%s): %s.\n" % (name, spec_of(name).split()[0], title)
    s += note_comment(name)
    if comment:
        s += "".join("# " + l + "\n" if l else "#\n" for l in comment.strip("\n").split("\n"))
    s += "id: %s\n" % cid
    s += "title: %s\n" % q(title)
    s += "spec: [%s]\n" % ", ".join(q(x) for x in spec)
    s += "tags: [%s]\n" % ", ".join(tg)
    s += header_extra
    s += "include: lib/common.yaml\n"
    if matrix:
        s += "matrix:\n"
        for k, vals in matrix.items():
            s += "  %s:\n" % k
            for v, why in vals:
                s += "    - %s%s\n" % (q(v), ("   # " + why) if why else "")
    if setup:
        s += "setup:\n" + setup
    s += "steps:\n" + body
    td = teardown if teardown is not None else (restore(name) if name in P else "")
    if td:
        s += "teardown:\n" + td
    # A step whose failure is a catalogued deviation carries it in its own
    # key (deviation: <id>), which the harness judges against --firmware.
    s = DEV_ID.sub(lambda m: '%sid: "%s"\n%sdeviation: %s' % (m.group(1), m.group(3), m.group(1), m.group(2)), s)
    FILES.append(fn)
    with open(os.path.join(OUT, fn), "w") as f:
        f.write(s)

def step_send(line, expect=None, sid=None, comment=None, extra=""):
    s = ""
    if sid is None and re.match(r"AT\+DNAME=!?[^?]", line):
        sid = dev_id("dname-stub", "DNAME takes a name")
    if re.match(r"AT\+DNAME(=\?)?$", line) and "+OK=" in (expect or "") and \
            (sid is None or not sid.startswith("[dev:")):
        sid = dev_id("dname-stub", sid or "DNAME reads back")
    # LUAT has no WWPS (wwps-absent): every answer but an error departs
    if re.match(r"AT\+WWPS=", line) and "+OK" in (expect or "") and \
            (sid is None or not sid.startswith("[dev:")):
        sid = dev_id("wwps-absent", sid or line[3:])
    if re.match(r"AT\+APCHL=\?", line) and (sid is None or not sid.startswith("[dev:")) and "^" in (expect or ""):
        sid = dev_id("apchl-query-mode1", sid or "mode 0 reads back")
    if comment:
        s += "".join("  # %s\n" % l for l in comment.split("\n"))
    s += "  - send: %s\n" % q(line + "\r")
    if sid:
        s += "    id: %s\n" % q(sid)
    if expect is not None:
        s += "    expect: %s\n" % expect
    s += extra
    return s

def ex_exact(t): return q(t)
def ex_glob(t):
    if t.startswith("re:"):
        return ex_regex(t[3:])
    return "{ glob: %s }" % q(t)
def ex_regex(t): return "{ regex: %s }" % sq(t)
ORACLE = '{ glob: "*" }'   # any response: the protocol model's validator judges it
ANYERR = "any"

def step_err(line, why, dev_ok=False, sid=None):
    """A line the manual refuses. The validator computes the code the manual
    requires (§1.2.2 reading of core/validate.c) and judges the answer; the
    step itself accepts any error, or any answer where a catalogued
    deviation makes the firmware accept the line (+OK)."""
    s = "  # %s\n" % why
    s += "  - send: %s\n" % q(line + "\r")
    if sid:
        s += "    id: %s\n" % q(sid)
    if dev_ok:
        s += "    expect: %s\n" % ORACLE
    else:
        s += "    expect_error: any\n"
    return s

def dev_id(dev, what):
    # A step that observes a behavioural deviation: the harness has no key
    # for it yet, so the step's id carries the id (scenarios/README.md).
    return "[dev:%s] %s" % (dev, what)

# ---------------------------------------------------------------------------
# Parameter commands (§2.2.2, forms =, =!, =?)
# values: (args, readback after =!) ; default: regex of the factory reply
P = {}
def param(name, values, default, bad, ram=None, getter=False, accepts=None, quoting=None,
          persist=True, comment="", tags=None, readback_dev=None):
    P[name] = dict(values=values, default=default, bad=bad, ram=ram or values[-1],
                   getter=getter, accepts=accepts, quoting=quoting or [], persist=persist,
                   comment=comment, tags=tags or [], readback_dev=readback_dev)

IPS = "192.168.1.5,255.255.255.0,192.168.1.1,192.168.1.1"
param("WPRT", [("0", "+OK=0"), ("1", "+OK=1"), ("2", "+OK=2"), ("3", "+OK=3")], r"^\+OK=0$",
      [("4", "one past the last type (3)"), ("-1", "below the first type (0)"),
       ("a", "not a number"), ("", "the argument missing"), ("0,1", "an extra argument"),
       ("1.5", "not a whole number")], ram=("2", "+OK=2"), getter=True)
param("NIP", [("0", "+OK=0,*"), ("1," + IPS, "+OK=1," + IPS)], r"^\+OK=0,",
      [("2", "one past the last type (1)"), ("1", "type 1 without its four addresses"),
       ("1,192.168.1.5,255.255.255.0,192.168.1.1", "type 1 with three addresses"),
       ("1,256.168.1.5,255.255.255.0,192.168.1.1,192.168.1.1", "an octet past 255"),
       ("1,192.168.1,255.255.255.0,192.168.1.1,192.168.1.1", "an address of three octets"),
       ("x", "not a number")], ram=("1," + IPS, "+OK=1," + IPS),
      comment="Type 0 (DHCP) reads back with the addresses the module holds, which\nthe check does not fix (glob).")
param("APNIP", [("0", "+OK=0,*"), ("1,192.168.4.1,255.255.255.0,192.168.4.1,192.168.4.1",
                                   "+OK=1,192.168.4.1,255.255.255.0,192.168.4.1,192.168.4.1")],
      r"^\+OK=0,", [("2", "one past the last type (1)"), ("1", "type 1 without its addresses"),
                     ("1,192.168.4.1,255.255.255.0,192.168.4.1,192.168.4.300", "an octet past 255")],
      ram=("1,192.168.4.1,255.255.255.0,192.168.4.1,192.168.4.1",
           "+OK=1,192.168.4.1,255.255.255.0,192.168.4.1,192.168.4.1"))
param("DNS", [("a", '+OK="a"'), ("air602.local", '+OK="air602.local"'),
              ('"' + "d" * 31 + '"', '+OK="' + "d" * 31 + '"')], r'^\+OK="[^"]{1,31}"$',
      [('"' + "d" * 32 + '"', "32 characters, one past the last length (31)"),
       ("", "the name missing"), ('""', "an empty name (first length is 1)"),
       ("a,b", "an extra argument")], ram=("air602.local", '+OK="air602.local"'),
      quoting=[('"my dns"', '+OK="my dns"', "a quoted name with a space")])
param("ATM", [("1", "+OK=1"), ("0", "+OK=0")], r"^\+OK=1$",
      [("2", "one past the last mode (1)"), ("-1", "below the first mode"), ("", "missing"),
       ("1,1", "an extra argument")], ram=("0", "+OK=0"), persist=False,
      comment="ATM=!0 would make the module boot in automatic mode (§2.2.2.5): the\n"
              "flows cover it (scenarios/flows/); here =! is written back to 1.")
param("ATRM", [("0,0,192.168.1.100,1000", '+OK=0,0,"192.168.1.100",1000'),
               ("1,1,0,65535", '+OK=1,1,*,65535'),
               ("0,0,www.baidu.com,0", '+OK=0,0,"www.baidu.com",0'),
               ("1,0," + "h" * 32 + ",80", '+OK=1,0,"' + "h" * 32 + '",80')],
      r"^\+OK=0,1,", [("2,0,192.168.1.100,1000", "protocol past 1"),
                      ("0,2,192.168.1.100,1000", "cs past 1"),
                      ("0,0,192.168.1.100,65536", "port one past 65535"),
                      ("0,0," + "h" * 33 + ",80", "host 33 characters, one past 32"),
                      ("0,0,192.168.1.100", "the port missing"),
                      ("0,0,192.168.1.100,80,1", "an extra argument")],
      ram=("0,0,192.168.1.100,1000", '+OK=0,0,"192.168.1.100",1000'),
      comment="The host reads back quoted, as the firmware and the manual's example\n(AT+ATRM=? -> +OK=0,0,\"180.97.81.180\",1000) show.")
param("SSID", [("x", "+OK=x"), ("TP-LINK_HyFi_1E", "+OK=TP-LINK_HyFi_1E"),
               ("s" * 32, "+OK=" + "s" * 32)], r"^\+OK=$",
      [("s" * 33, "33 characters, one past the last length (32)"), ("", "the name missing"),
       ('""', "an empty name (first length is 1)"), ('"a"b"', "a quote inside (§2.1: strings hold no quotes)")],
      ram=("TP-LINK_HyFi_1E", "+OK=TP-LINK_HyFi_1E"),
      quoting=[('"my net"', "+OK=my net", "quoted, with a space"),
               ('"a,b"', "+OK=a,b", "a comma inside quotes is part of the name"),
               ("plain", "+OK=plain", "without quotes (\"with or without double quotes\")")],
      comment="The reply carries the name as set, without quotes (String: either way).")
param("APSSID", [("x", "+OK=x"), ("Air602_AP", "+OK=Air602_AP"), ("a" * 32, "+OK=" + "a" * 32)],
      r"^\+OK=$", [("a" * 33, "one past the last length (32)"), ("", "missing")],
      ram=("Air602_AP", "+OK=Air602_AP"), getter=True,
      quoting=[('"ap one"', "+OK=ap one", "quoted, with a space")])
ENC = [(str(i), "+OK=%d" % i) for i in range(7)]
param("ENCRY", ENC, r"^\+OK=0$", [("7", "one past the last mode (6)"), ("-1", "below 0"),
                                 ("x", "not a number"), ("", "missing")],
      ram=("6", "+OK=6"), accepts="encry-range-0-8")
param("APENCRY", ENC, r"^\+OK=0$", [("7", "one past the last mode (6)"), ("", "missing")],
      ram=("4", "+OK=4"), accepts="encry-range-0-8")
param("KEY", [('1,0,""', "+OK=1,0,"), ("1,0,12345", "+OK=1,0,12345"), ("0,0,0123456789", "+OK=0,0,0123456789"),
              ("1,4,12345678", "+OK=1,4,12345678"), ("1,0," + "k" * 63, "+OK=1,0," + "k" * 63),
              ("0,0," + "a" * 64, "+OK=0,0," + "a" * 64)],
      r"^\+OK=0,0,$", [("2,0,12345678", "format past 1"), ("1,5,12345678", "index one past 4"),
                       ("1,0," + "k" * 65, "a key of 65 characters, one past 64"),
                       ("1,0", "the key missing"), ("1", "index and key missing"),
                       ("1,0,1,2", "an extra argument")],
      ram=("1,0,12345678", "+OK=1,0,12345678"), getter=True,
      quoting=[('1,0,"12345678"', "+OK=1,0,12345678", "a quoted key (\"with or without quotes\")"),
               ('1,0,""', "+OK=1,0,", "the empty quoted key of the open-network examples")],
      comment="The key's length and alphabet depend on the security mode\n(§2.2.2.11 table); only the pattern's bounds are checked here.")
param("APKEY", [('1,0,""', "+OK=1,0,"), ("1,0,12345678", "+OK=1,0,12345678"), ("0,1,0123456789", "+OK=0,1,0123456789")],
      r"^\+OK=0,0,$", [("2,0,12345678", "format past 1"), ("1,5,1", "index one past 4"), ("1", "missing arguments")],
      ram=("1,0,12345678", "+OK=1,0,12345678"), getter=True)
param("BSSID", [("1,001122334455", "+OK=1,001122334455"), ("1,3C46D82BD81E", r"re:(?i)^\+OK=1,3C46D82BD81E$"),
                ("0", r"re:^\+OK=0(,|$)")], r"^\+OK=0(,|$)",
      [("2", "mode past 1"), ("1", "designated without a BSSID"), ("1,0011223344", "a BSSID of 10 digits"),
       ("1,00112233445G", "a non-hex digit")], ram=("1,001122334455", "+OK=1,001122334455"))
param("CHL", [("1,1", "+OK=1,1"), ("1,14", "+OK=1,14"), ("1,6", "+OK=1,6"), ("0", r"re:^\+OK=0(,|$)")],
      r"^\+OK=0(,|$)", [("1,0", "channel below 1"), ("1,15", "channel one past 14"), ("2", "mode past 1"),
                        ("1", "designated without a channel")], ram=("1,6", "+OK=1,6"))
param("APCHL", [("1,1", "+OK=1,1"), ("1,14", "+OK=1,14"), ("0", "+OK=0,*")], r"^\+OK=0,",
      [("1,0", "channel below 1"), ("1,15", "channel one past 14"), ("2", "mode past 1")],
      ram=("1,6", "+OK=1,6"), readback_dev="apchl-query-mode1")
param("CHLL", [("1", "+OK=*1"), ("3fff", "+OK=3fff"), ("1fff", "+OK=1fff")], r"^\+OK=0*3fff$",
      [("0", "below the first mask (1)"), ("4000", "one past the last mask (3fff)"), ("xyz", "not hex"),
       ("", "missing")], ram=("1fff", "+OK=1fff"), getter=True,
      comment="A mask reads back as hex; leading zeros are allowed (glob).")
for n, dflt in (("WATC", "0"), ("WPSM", "0"), ("BRDSSID", "1")):
    param(n, [("0", "+OK=0"), ("1", "+OK=1")], r"^\+OK=%s$" % dflt,
          [("2", "one past the last value (1)"), ("-1", "below 0"), ("", "missing"), ("0,0", "an extra argument")],
          ram=("1" if dflt == "0" else "0", "+OK=" + ("1" if dflt == "0" else "0")), getter=(n == "WPSM"))
param("UART", [("115200,0,0,0", r"re:^\+OK=115200,0,0,0(,0)?$"), ("115200,0,0,0,0", r"re:^\+OK=115200,0,0,0(,0)?$")],
      r"^\+OK=115200,0,0,0(,0)?$",
      [("14400,0,0,0", "a baud rate not in the list"), ("115200,2,0,0", "databit past 1"),
       ("115200,0,1,0", "stopbit 1 ('not support')"), ("115200,0,0,3", "parity past 2"),
       ("115200,0,0,0,2", "flowcontrol past 1"), ("115200,0,0", "parity missing"),
       ("230400,0,0,0", "a rate beyond the list (uart-more-rates accepts it)"),
       ("600,0,0,0", "below the first rate, 1200 (uart-more-rates accepts it)"),
       ("1800,0,0,0", "between 1200 and 2400 (uart-more-rates accepts it)"),
       ("460800,0,0,0", "a rate beyond the list (uart-more-rates accepts it)"),
       ("921600,0,0,0", "a rate beyond the list (uart-more-rates accepts it)"),
       ("2000000,0,0,0", "the firmware's last rate (uart-more-rates accepts it)")],
      ram=("115200,0,0,0", r"re:^\+OK=115200,0,0,0(,0)?$"), persist=False, accepts="uart-more-rates",
      comment="Here only the line's own format is set: another rate takes the link\n"
              "away unless the harness follows it (the baud step): 010..016 check each\n"
              "documented rate, 020 =! across a restart, 021 the data bits, stop bits\n"
              "and parity. The firmware's further rates are accepted by the firmware\n"
              "only (uart-more-rates), which moves the line at the next restart alone\n"
              "(uart-after-restart): the teardown's =! puts flash back first.")
param("WEBS", [("1,80", "+OK=1,80"), ("1,1", "+OK=1,1"), ("1,65535", "+OK=1,65535"), ("0", r"re:^\+OK=0(,|$)")],
      r"^\+OK=1,80$", [("1,0", "port below 1"), ("1,65536", "port one past 65535"), ("2", "enable past 1")],
      ram=("1,8080", "+OK=1,8080"))
param("DNAME", [("d", "+OK=d"), ("air602", "+OK=air602"), ("n" * 32, "+OK=" + "n" * 32)], r"^\+OK(=.{1,32})?$",
      [("n" * 33, "one past the last length (32)"), ("", "missing")], ram=("unit42", "+OK=unit42"),
      tags=[])
param("PASS", [("abcdef", '+OK="abcdef"'), ("123456", '+OK="123456"')], r'^\+OK="?000000"?$',
      [("12345", "five characters (exactly 6)"), ("1234567", "seven characters"), ("", "missing")],
      ram=("654321", '+OK="654321"'))
param("PORTM", [("0", "+OK=0"), ("1", "+OK=1"), ("2", "+OK=2"), ("3", "+OK=3")], r"^\+OK=0$",
      [("4", "one past the last mode (3)"), ("", "missing")], ram=("1", "+OK=1"), getter=True, persist=False,
      comment="PORTM=!1..3 followed by a restart would move the AT port away from\n"
              "the UART the harness talks on: persistence is checked on other\n"
              "parameters; the factory block restores flash before any restart.")
param("ATPT", [("0", "+OK=0"), ("500", "+OK=500"), ("10000", "+OK=10000")], r"^\+OK=0$",
      [("10001", "one past the last period (10000)"), ("-1", "below 0"), ("", "missing")],
      ram=("500", "+OK=500"))
param("SSID2", [("abc", "+OK=abc")], r"^\+OK=", [("", "missing")], ram=("abc", "+OK=abc"),
      persist=False, accepts="legacy-names-absent")


OPS = {"bare": "", "set": "=1", "flash": "=!1", "query": "=?"}
def gen_forms(name, bad_forms, num, tags=None, dev_note=None):
    mat = {"line": [("AT+%s%s" % (name, OPS[f]), "the %s form" % f) for f in bad_forms]}
    body = ("  # A form the manual does not give is an invalid operator: +ERR=-3\n"
            "  # (§1.2.2). The firmware answers -2 (form-not-allowed-err2) or takes\n"
            "  # the form (extra-forms): the step takes any answer and the\n"
            "  # protocol model's validator judges it. (The line comes from the\n"
            "  # matrix: lint requires expect_error on a literal negative line.)\n"
            "  - send: \"${line}\\r\"\n    expect: { glob: \"*\" }\n")
    write(name, num, "forms", "forms the manual does not give are refused (+ERR=-3)", body,
          extra_spec=["§1.2.2 error codes", "§2.1 forms"], tags=tags, matrix=mat)

RESTORE = {"WPRT": "0", "NIP": "0", "APNIP": "0", "DNS": "local.winnermicro", "ATM": "1",
    "ATRM": "0,1,0,60000", "ENCRY": "0", "APENCRY": "0", "KEY": '0,0,""', "APKEY": '0,0,""',
    "BSSID": "0", "CHL": "0", "APCHL": "0", "CHLL": "3fff", "WATC": "0", "WPSM": "0", "BRDSSID": "1",
    "UART": "115200,0,0,0", "WEBS": "1,80", "PASS": "000000", "PORTM": "0", "ATPT": "0"}
def restore(name):
    if name in RESTORE:
        return ("  # back to the factory value in memory and flash (w600-firmware.md §12)\n"
                "  - send: %s\n" % q("AT+%s=!%s\r" % (name, RESTORE[name])))
    return "  - use: factory\n"
GETTERS = "WPRT KEY CHLL WPSM PORTM APSSID APKEY".split()
LEGACY = {"SSID2", "LKSTI", "LKSTT2", "QMAC2"}

def gen_param(name, p):
    c = CMDS[name]
    legacy = name in LEGACY
    # In a file for a legacy name, every step lets the validator judge
    # (the firmware answers -2: legacy-names-absent).
    ok = ORACLE if legacy else None
    lc = ("Listed in §1.2.1 only; the firmware has no such command\n"
          "(legacy-names-absent): the steps take any answer and the protocol\n"
          "model's validator judges it (+OK in the reply format, or the deviation).\n" if legacy else "")
    # 001: the query at factory state and its reply format
    body = step_send("AT+%s=?" % name, ok or ex_regex(p["default"]), sid="factory value")
    write(name, 1, "query-default", "the query answers the factory value in the reply format", body,
          comment=lc + "Factory values: w600-firmware.md §12 (the manual gives few).", tags=p["tags"])
    # 002: every documented value through =! and back
    body = ""
    vals = list(p["values"])
    for a, rb in vals:
        body += step_send("AT+%s=!%s" % (name, a), ok)
        if p["readback_dev"] and a.startswith("0"):
            body += step_send("AT+%s=?" % name, ok or ex_glob(rb), sid=dev_id(p["readback_dev"], "mode 0 reads back as set"))
        else:
            body += step_send("AT+%s=?" % name, ok or ex_glob(rb))
    write(name, 2, "values", "every documented value, first and last, is taken and reads back", body,
          comment=lc + "Set with =! so that memory and flash agree: the firmware's query reads\n"
                  "flash for some parameters (flash-read-getters); 003 checks = alone.", tags=p["tags"])
    # 003: = sets memory only
    a, rb = p["ram"]
    if not legacy:
        sid = dev_id("flash-read-getters", "= reads back from memory") if name in GETTERS else "= reads back"
        if name == "APCHL":
            sid = "= reads back"
        body = step_send("AT+%s=%s" % (name, a), None)
        body += step_send("AT+%s=?" % name, ex_glob(rb), sid=sid)
        body += "  - use: reset-wait\n"
        body += step_send("AT+%s=?" % name, ex_regex(p["default"]), sid="= does not survive AT+Z")
        write(name, 3, "set-memory", "= changes the value in memory only: it reads back, and AT+Z forgets it",
              body, extra_spec=["§2.1 forms (=, =!)", "§2.2.1.2 AT+Z"], tags=p["tags"])
    if p["persist"] and not legacy:
        # 004: =! survives a restart
        body = step_send("AT+%s=!%s" % (name, a), None)
        body += "  - use: reset-wait\n"
        body += step_send("AT+%s=?" % name, ex_glob(rb), sid="=! survives AT+Z")
        write(name, 4, "flash-persists", "=! writes flash: the value survives AT+Z", body,
              extra_spec=["§2.1 forms (=!)", "§2.2.1.2 AT+Z"], tags=p["tags"])
        # 005: PMTF saves memory
        body = step_send("AT+%s=%s" % (name, a), None)
        body += "  - cmd: PMTF\n  - use: reset-wait\n"
        body += step_send("AT+%s=?" % name, ex_glob(rb), sid="PMTF saved the value set with =")
        write(name, 5, "pmtf", "PMTF saves a value set with = to flash", body,
              extra_spec=["§2.2.1.7 AT+PMTF"], tags=p["tags"])
        # 006: RSTF restores the factory value, effective after a restart
        body = step_send("AT+%s=!%s" % (name, a), None)
        body += "  - cmd: RSTF\n"
        body += step_send("AT+%s=?" % name, ex_glob(rb),
                          sid=dev_id("rstf-immediate", "memory keeps the value until the restart"))
        body += "  - use: reset-wait\n"
        body += step_send("AT+%s=?" % name, ex_regex(p["default"]), sid="factory value after RSTF and AT+Z")
        write(name, 6, "rstf", "RSTF restores the factory value, effective after a restart", body,
              extra_spec=["§2.2.1.6 AT+RSTF"], tags=p["tags"],
              comment="§2.2.1.6: \"effective after restart\": until AT+Z, memory keeps the\n"
                      "value (the firmware restores memory at once: rstf-immediate).")
    # 007: boundaries and wrong arguments, each a case of its own
    if p["bad"]:
        mat = {"arg": [(a, why) for a, why in p["bad"]]}
        body = ("  # The manual requires +ERR=-4 for each (§1.2.2 \"invalid parameter\");\n"
                "  # the protocol model's validator checks the code.\n")
        if p["accepts"]:
            body += "  # Some firmwares take a value the manual refuses (%s): the step\n" % p["accepts"]
            body += "  # takes any answer and the validator tells the deviation.\n"
        body += "  - send: \"AT+%s=${arg}\\r\"\n" % name
        if name == "DNAME":
            body += "    id: %s\n" % q(dev_id("dname-stub", "DNAME refuses the value"))
        body += "    expect: %s\n" % ORACLE if (p["accepts"] or legacy) else "    expect_error: any\n"
        if not p["accepts"] and not legacy:
            body += step_send("AT+%s=?" % name, ex_regex(p["default"]), sid="the value is unchanged")
        write(name, 7, "bad-args", "values past the boundaries, wrong types, missing and extra arguments are refused",
              body, matrix=mat, tags=p["tags"])
    # 008: forms the command does not have
    gen_forms(name, ["bare"], 8, tags=p["tags"])
    # 009: quoting and escaping
    if p["quoting"]:
        body = ""
        for a, rb, why in p["quoting"]:
            body += "  # %s\n" % why
            body += step_send("AT+%s=%s%s" % (name, "!" if name in GETTERS else "", a), None)
            body += step_send("AT+%s=?" % name, ex_exact(rb) if "*" not in rb else ex_glob(rb))
        write(name, 9, "quoting", "quoted and unquoted strings, commas and spaces inside quotes", body,
              extra_spec=["§2.1 data types (String)"], tags=p["tags"])

for n, p in P.items():
    gen_param(n, p)

# §2.2.2.20 AT+UART at each rate: the harness follows the module (a baud step)
UART_RATES = [115200, 57600, 38400, 19200, 9600, 4800, 2400, 1200]   # the manual's table
UART_RB = r"^\+OK=%d,%s(,0)?$"

def uart_back(rate, line=None, home="115200", where=None, restart=False):
    """Teardown: 115200 on both sides, wherever a failure left the module:
    at @rate (the manual: = and =! move the line at once) or at 115200 (the
    firmware moves it at the next restart only, uart-after-restart), its
    flash at either. What is sent at the wrong rate is garbage to the
    module: it answers nothing, and the lone CR ends the garbage line (the
    Luat firmware drops a line that garbage starts, garbage-drops-line)."""
    return ("  # back to 115200 on both sides, wherever a failure left the module:\n"
            + ("  # at %s, =! and AT+Z move it\n"
               "  # (the firmware moves the line at the restart)\n" if restart else
               "  # at %s, =! moves it (the firmware never moved the line: = is\n"
               "  # memory only, and it moves the line at a restart alone)\n") +
            "  - baud: %s\n"
            "  - send: \"\\r\"\n    nowait: true\n"
            "  - send: \"AT+UART=!115200,0,0,0\\r\"\n    expect: { glob: \"*\" }\n    optional: true\n"
            + ("  - send: \"AT+Z\\r\"\n    expect: { glob: \"*\" }\n    optional: true\n"
               "  - sleep: 300ms\n" if restart else "") +
            "  # at 115200 8N1 (the module never moved, or came back there)\n"
            "  - baud: %s\n"
            "  - send: \"\\r\"\n    nowait: true\n"
            "  - send: \"AT+\\r\"\n    expect: \"+OK\"\n    retry: { max: 5, delay: 200ms }\n"
            + ("  # once more after a restart's time: an AT+Z the module read late (a\n"
               "  # loaded host) has then restarted it, and the +OK above was its\n"
               "  - sleep: 300ms\n"
               "  - send: \"AT+\\r\"\n    expect: \"+OK\"\n    retry: { max: 5, delay: 200ms }\n"
               if restart else "") +
            "  - send: \"AT+UART=!115200,0,0,0\\r\"\n    expect: \"+OK\"\n") % (
                where or "%d" % rate, line or "%d" % rate, home)

for i, r in enumerate(x for x in UART_RATES if x != 115200):
    body = (step_send("AT+UART=%d,0,0,0" % r, ex_exact("+OK"), sid="+OK at the old rate, 115200") +
            "  # the +OK came at 115200; the module now runs at %d, and so does the host\n" % r +
            "  - baud: %d\n" % r +
            step_send("AT+UART=?", ex_regex(UART_RB % (r, "0,0,0")),
                      sid=dev_id("uart-after-restart", "the module answers at %d" % r)) +
            step_send("AT+UART=115200,0,0,0", ex_exact("+OK"),
                      sid=dev_id("uart-after-restart", "+OK at %d" % r)) +
            "  - baud: 115200\n"
            "  # a lone CR ends whatever garbage the module read (garbage-drops-line)\n"
            "  - send: \"\\r\"\n    nowait: true\n" +
            step_send("AT+UART=?", ex_regex(UART_RB % (115200, "0,0,0")),
                      sid=dev_id("uart-after-restart", "back at 115200")))
    write("UART", 10 + i, "rate-%d" % r, "= moves the line to %d baud: the module answers there, and 115200 brings it back" % r,
          body, extra_spec=["§2.1 forms (=)"], teardown=uart_back(r), tags=["uart-rate"],
          comment="The manual: = saves in memory and takes effect (§2.1), so the line\n"
                  "moves once the +OK has gone out, and the host follows (baud step). The\n"
                  "firmware only stores the value and sets the UART up from flash at\n"
                  "boot (uart-after-restart): it answers nothing at %d." % r)

# =! and a restart: the module comes back at flash's rate; RSTF and AT+Z at 115200
body = (step_send("AT+UART=!9600,0,0,0", ex_exact("+OK")) +
        "  # The line moves now (the manual) or at the restart (the firmware,\n"
        "  # uart-after-restart, which 010..016 check): restart it either way,\n"
        "  # AT+Z at 9600 and then at 115200; the one at the wrong rate is garbage.\n"
        "  - baud: 9600\n"
        "  - send: \"AT+Z\\r\"\n    expect: { glob: \"*\" }\n    optional: true\n"
        "  - baud: 115200\n"
        "  - send: \"\\r\"\n    nowait: true\n"
        "  - send: \"AT+Z\\r\"\n    expect: { glob: \"*\" }\n    optional: true\n"
        "  - sleep: 300ms\n"
        "  - baud: 9600\n" +
        step_send("AT+", ex_exact("+OK"), sid="the module comes back at 9600, the rate in flash",
                  extra="    retry: { max: 5, delay: 200ms }\n") +
        step_send("AT+UART=?", ex_regex(UART_RB % (9600, "0,0,0")), sid="=! survives AT+Z") +
        step_send("AT+RSTF", ex_exact("+OK"), sid="RSTF at 9600") +
        step_send("AT+Z", ex_exact("+OK"), sid="AT+Z at 9600") +
        "  - baud: 115200\n  - sleep: 300ms\n" +
        step_send("AT+", ex_exact("+OK"), sid="RSTF and AT+Z: back at the factory 115200",
                  extra="    retry: { max: 5, delay: 200ms }\n") +
        step_send("AT+UART=?", ex_regex(UART_RB % (115200, "0,0,0")), sid="the factory value"))
write("UART", 20, "flash-restart", "=! keeps the rate across AT+Z: the module comes back at it; RSTF and AT+Z bring 115200 back",
      body, extra_spec=["§2.1 forms (=!)", "§2.2.1.2 AT+Z", "§2.2.1.6 AT+RSTF"], teardown=uart_back(9600, restart=True),
      tags=["uart-rate"],
      comment="=! writes flash (§2.1): after AT+Z the module runs at that rate, and the\n"
              "harness must be there first. RSTF restores the factory 115200 in flash,\n"
              "effective after the restart (§2.2.1.6). Works whichever way the module\n"
              "moves the line (at once, or at the restart: uart-after-restart).")

# data bits, stop bits, parity: each value, the host following (a baud step
# with the format), then back to 8N1
UART_8N1 = "{ rate: 115200, databits: 8, stopbits: 1, parity: none }"
UART_FMT = [("1,0,0", "7n1", "7 data bits", "{ rate: 115200, databits: 7, stopbits: 1, parity: none }"),
            ("0,2,0", "8n2", "2 stop bits", "{ rate: 115200, databits: 8, stopbits: 2, parity: none }"),
            ("0,0,1", "8o1", "odd parity", "{ rate: 115200, databits: 8, stopbits: 1, parity: odd }"),
            ("0,0,2", "8e1", "even parity", "{ rate: 115200, databits: 8, stopbits: 1, parity: even }"),
            ("1,2,2", "7e2", "7 data bits, 2 stop bits, even parity",
             "{ rate: 115200, databits: 7, stopbits: 2, parity: even }")]
for i, (f, slug, why, line) in enumerate(UART_FMT):
    body = (step_send("AT+UART=115200,%s" % f, ex_exact("+OK"), sid="+OK in 8N1") +
            "  # the module now frames %s, and so does the host\n" % why +
            "  - baud: %s\n" % line +
            step_send("AT+UART=?", ex_regex(UART_RB % (115200, f)),
                      sid=dev_id("uart-after-restart", "%s reads back, in that format" % f)) +
            step_send("AT+UART=115200,0,0,0", ex_exact("+OK"),
                      sid=dev_id("uart-after-restart", "+OK in that format")) +
            "  - baud: %s\n" % UART_8N1 +
            "  - send: \"\\r\"\n    nowait: true\n" +
            step_send("AT+UART=?", ex_regex(UART_RB % (115200, "0,0,0")),
                      sid=dev_id("uart-after-restart", "back in 8N1")))
    write("UART", 21 + i, "format-" + slug, "= sets %s: the module answers in that format, and 0,0,0 brings 8N1 back" % why,
          body, extra_spec=["§2.1 forms (=)"], tags=["uart-rate"],
          teardown=uart_back(115200, line, UART_8N1, where="115200 with " + why),
          comment="As 010..016 for the rate: = takes effect at once (§2.1), so the host\n"
                  "frames as the module does (a baud step with the format). The emulator\n"
                  "checks the rate alone; the firmware moves the line at the next restart\n"
                  "only (uart-after-restart).")
ALLF = ["bare", "set", "flash", "query"]
def bad_forms(name):
    return [f for f in ALLF if f not in CMDS[name]["forms"]]

WORLD = ("The access points and hosts are those of scenarios/worlds/default.yaml\n"
         "(the manual's examples); on a real unit, a test AP with the same\n"
         "names (see scenarios/README.md).")
JOIN_SHAPE = '{ shape: "+OK=<bssid:MAC>,<type:Dec>,<ch:Dec 1..14>,<enc:Dec>,<ssid:String>,<rssi:Dec>" }'
FACT = "  - use: factory\n"

def simple_query(name, regex, num=1, slug="answers", title=None, extra="", comment="", forms=True,
                 legacy=False, setup=None, teardown=None, tags=None):
    c = CMDS[name]
    body = ""
    for f in c["forms"]:
        line = "AT+%s%s" % (name, {"bare": "", "query": "=?"}[f])
        body += step_send(line, ORACLE if legacy else ex_regex(regex))
    body += extra
    lc = ("Listed in §1.2.1 only; the firmware has no such command\n"
          "(legacy-names-absent): the steps take any answer and the protocol\n"
          "model's validator judges it.\n" if legacy else "")
    write(name, num, slug, title or "each allowed form answers in the reply format", body,
          comment=lc + comment, setup=setup, teardown=teardown or "", tags=tags)
    if forms:
        gen_forms(name, bad_forms(name), num + 1, tags=tags)

# §2.2.1.1 AT+
write("", 1, "null", "AT+ answers +OK", step_send("AT+", ex_exact("+OK")) +
      step_send("AT+", None, extra="    final_byte: { max: 1s }\n"), teardown="")
gen_forms("", bad_forms(""), 2)
# §2.2.1.2 AT+Z
write("Z", 1, "reset", "AT+Z answers +OK and the module answers again after it",
      "  - use: reset-wait\n" + step_send("AT+", ex_exact("+OK")), teardown="",
      comment="A \"ready\" banner after +OK is allowed but not required (reading of\ncore/cmd_table.def).")
write("Z", 3, "memory-lost", "AT+Z forgets the values set with = (memory) and keeps flash",
      step_send("AT+WATC=1", None) + step_send("AT+BRDSSID=!0", None) + "  - use: reset-wait\n" +
      step_send("AT+WATC=?", ex_exact("+OK=0"), sid="= is lost") +
      step_send("AT+BRDSSID=?", ex_exact("+OK=0"), sid="=! is kept"),
      extra_spec=["§2.1 forms"], teardown="  - send: \"AT+BRDSSID=!1\\r\"\n")
gen_forms("Z", bad_forms("Z"), 2)
# §2.2.1.3 AT+E
write("E", 1, "toggle", "AT+E turns echo on, and again off",
      step_send("AT+E", ex_exact("+OK"), sid="echo on") +
      step_send("AT+QVER", ex_glob("+OK=*"), sid="the line comes back before the response") +
      step_send("AT+E", ex_exact("+OK"), sid="echo off (the AT+E line is still echoed)") +
      step_send("AT+", ex_exact("+OK"), sid="no echo"),
      teardown="", comment="The harness accounts for the echoed line (docs/scenarios.md,\nstrictness): a missing or extra echo fails the step.")
write("E", 3, "reset-echo-off", "the module starts with echo off after AT+Z",
      step_send("AT+E", ex_exact("+OK")) + "  - use: reset-wait\n" + step_send("AT+", ex_exact("+OK"), sid="no echo after the restart"),
      teardown="", extra_spec=["§2.2.1.2 AT+Z"])
gen_forms("E", bad_forms("E"), 2)
# §2.2.1.4 AT+ENTM
write("ENTM", 1, "refused-without-socket", "ENTM without a network and a default socket is refused",
      step_send("AT+ENTM", "{ glob: \"*\" }", sid="ENTM without a socket") +
      step_send("AT+", ex_exact("+OK"), sid=dev_id("entm-no-precheck", "still in command mode")),
      teardown="  - sleep: 200ms\n  - send: \"+++\"\n    nowait: true\n  # +OK if the module was in transparent mode\n  - expect: { glob: \"*\" }\n    deadline: 500ms\n    optional: true\n  - use: reset-wait\n",
      comment="The manual requires a network, a socket and SKSDF first; the model\n"
              "expects -5 (operation not allowed). The firmware enters transparent\n"
              "mode anyway (entm-no-precheck): the step accepts any answer (the\n"
              "validator takes +OK), so the deviation shows in the following check.\n"
              "The teardown leaves with +++ and restarts.")
gen_forms("ENTM", bad_forms("ENTM"), 2)
# §2.2.1.5 AT+ENTS
write("ENTS", 1, "wifi-off", "ENTS=0 (Wi-Fi off) answers +OK; the module keeps answering",
      step_send("AT+ENTS=0,0,100,1000", ex_exact("+OK")) + "  - sleep: 100ms\n",
      teardown="  - sleep: 1200ms\n  - use: reset-wait\n",
      comment="Standby and sleep (1, 2) stop the module until it wakes and resets\n"
              "(attention 2): the check waits past wake_time and restarts it.")
write("ENTS", 2, "standby-pin", "ENTS=1 (standby) with the wake-up pin: it sleeps until woken, then restarts",
      step_send("AT+ENTS=1,0,100,1000", ex_exact("+OK")) +
      "  # asleep: nothing comes (strictness accounts for every byte)\n  - sleep: 300ms\n" +
      step_send("AT+", ex_exact("+OK"), extra="    retry: { max: 5, delay: 300ms }\n"),
      teardown="  - use: reset-wait\n",
      comment="wake_type 0 is the WAKEUP pin in standby and sleep (the table of\n"
              "§2.2.1.5). The emulator takes the host's bytes for the pin; on a real\n"
              "module the pin must be wired to the adapter and pulsed (a `line` step)\n"
              "before the retried AT+, or the module stays asleep and the check fails.")
write("ENTS", 5, "sleep-timer", "ENTS=2 (sleep) with the timer and the last delay_time: bytes sent while asleep are lost; it wakes after wake_time",
      step_send("AT+ENTS=2,1,1000,1000", ex_exact("+OK")) +
      "  # asleep on the timer: these lines are lost and wake nothing (a\n"
      "  # pin-woken module would answer the second one)\n"
      "  - send: \"AT+\\r\"\n    nowait: true\n  - sleep: 200ms\n"
      "  - send: \"AT+\\r\"\n    nowait: true\n  - sleep: 400ms\n"
      "  # past delay_time + wake_time: the module has woken and restarted\n"
      "  - sleep: 2000ms\n" +
      step_send("AT+", ex_exact("+OK"), extra="    retry: { max: 5, delay: 300ms }\n"),
      teardown="  - use: reset-wait\n",
      comment="wake_type 1 is the timer (§2.2.1.5 table): the module wakes on its own\n"
              "after wake_time, and waking resets it (attention 2). The last\n"
              "wake_time (65535 ms) is checked by 006 under Wi-Fi off, where it is\n"
              "taken but meaningless (attention 1), to spare a minute's wait.")
write("ENTS", 6, "last-values", "ENTS=0 with the last values (wake_type 1, delay_time 1000, wake_time 65535) is taken; the module keeps answering",
      step_send("AT+ENTS=0,1,1000,65535", ex_exact("+OK")) + step_send("AT+", ex_exact("+OK")),
      teardown="  - use: reset-wait\n",
      comment="In Wi-Fi off mode wake_time is meaningless (attention 1) but must be\n"
              "in range: this is where the last valid values are checked without\n"
              "sleeping for 65 s. wake_type 1 means 'enable' in this mode.")
write("ENTS", 3, "bad-args", "values past the boundaries and missing arguments are refused",
      "  # +ERR=-4 for each (the validator checks the code)\n  - send: \"AT+ENTS=${arg}\\r\"\n    expect_error: any\n",
      matrix={"arg": [("3,0,100,1000", "ps_type past 2"), ("1,2,100,1000", "wake_type past 1"),
                      ("1,0,99,1000", "delay_time below 100"), ("1,0,1001,1000", "delay_time past 1000"),
                      ("1,0,100,999", "wake_time below 1000"), ("1,0,100,65536", "wake_time past 65535"),
                      ("0,0,100", "wake_time missing (all four are required: reading of the model)"),
                      ("0,0,100,1000,1", "an extra argument"), ("x,0,100,1000", "not a number")]},
      teardown="")
gen_forms("ENTS", bad_forms("ENTS"), 4)
# §2.2.1.6 AT+RSTF, §2.2.1.7 AT+PMTF
write("RSTF", 1, "restores", "RSTF answers +OK; after AT+Z every parameter has its factory value",
      step_send("AT+WPRT=!2", None) + step_send("AT+BRDSSID=!0", None) + step_send("AT+RSTF", ex_exact("+OK")) +
      "  - use: reset-wait\n" + step_send("AT+WPRT=?", ex_exact("+OK=0")) + step_send("AT+BRDSSID=?", ex_exact("+OK=1")),
      teardown="", extra_spec=["§2.2.1.2 AT+Z"])
gen_forms("RSTF", bad_forms("RSTF"), 2)
write("PMTF", 1, "saves", "PMTF answers +OK and saves every parameter set with =",
      step_send("AT+WATC=1", None) + step_send("AT+BRDSSID=0", None) + step_send("AT+PMTF", ex_exact("+OK")) +
      "  - use: reset-wait\n" + step_send("AT+WATC=?", ex_exact("+OK=1")) + step_send("AT+BRDSSID=?", ex_exact("+OK=0")),
      teardown=FACT, extra_spec=["§2.2.1.2 AT+Z"])
gen_forms("PMTF", bad_forms("PMTF"), 2)
# §2.2.1.8-10
simple_query("QMAC", r"^\+OK=[0-9a-fA-F]{12}$", extra=step_send("AT+QMAC", ex_exact("+OK=${unit.mac}"), sid="the same MAC as at the start"))
simple_query("APMAC", r"^\+OK=[0-9a-fA-F]{12}$")
simple_query("QVER", r"^\+OK=.{1,128}$", extra=step_send("AT+QVER", ex_exact("+OK=${unit.fw}"), sid="the same version as at the start"))
# §2.2.2.24-25
simple_query("CUSTDATA", r'^\+OK=', comment="No one-click configuration ran: the data is empty.")
simple_query("CNTPARAM", r"^\+OK=[01],")
# §2.2.3.7-9 and the legacy names of §1.2.1
simple_query("LKSTT", r"^\+OK=0$", title="the status of a module that has not joined is 0")
simple_query("APLKSTT", r"^\+OK=0$", title="the SoftAP status of a module in station mode is 0")
simple_query("SLIST", r"^\+OK=0,?$", title="no station is connected to a SoftAP that does not run",
             comment="The manual's example writes +OK=1,,mac,ip (a double comma), its format\n"
                     "+OK=n,mac,ip: the model takes the format; the check here allows the\n"
                     "trailing comma and the validator judges it (slist-double-comma).")
for n in ("LKSTI", "LKSTT2", "QMAC2"):
    simple_query(n, "", legacy=True)

JOINED = "  - use: join-open\n"
NETTD = "  - use: factory\n"
PEERS_SRV = "peers:\n  srv: { type: tcp-server, echo: true }\n"
SOCK_SETUP = JOINED + "  - use: tcp-client\n"
SOCK_TD = "  - use: close\n" + NETTD

# §2.2.3.2 SKGHBN
write("SKGHBN", 1, "resolve", "SKGHBN resolves a name of the world to its quoted address",
      step_send("AT+SKGHBN=www.baidu.com", ex_exact('+OK="115.239.211.112"'), extra="    deadline: 5s\n") +
      step_send("AT+SKGHBN=localhost", ex_exact('+OK="127.0.0.1"')),
      setup=JOINED, teardown=NETTD, comment=WORLD)
write("SKGHBN", 2, "unknown-name", "a name that does not resolve fails (-10, or an error the manual allows)",
      step_send("AT+SKGHBN=nosuch.example", "{ glob: \"+ERR=*\" }", extra="    deadline: 10s\n"),
      setup=JOINED, teardown=NETTD)
write("SKGHBN", 3, "bad-args", "a missing or overlong name and extra arguments are refused",
      "  # +ERR=-4 (the validator checks the code)\n  - send: \"AT+SKGHBN=${arg}\\r\"\n    expect_error: any\n",
      matrix={"arg": [("", "the name missing"), ("h" * 256, "256 characters, one past 255"),
                      ("www.baidu.com,1", "an extra argument")]})
gen_forms("SKGHBN", bad_forms("SKGHBN"), 4)
# §2.2.3.3 WWPS
write("WWPS", 1, "pin", "WWPS get_pin answers the PIN, set_pin sets one, the query reads it",
      step_send("AT+WWPS=get_pin", ex_regex(r"^\+OK=\d{1,8}$"), sid=dev_id("wwps-absent", "get_pin")) +
      step_send("AT+WWPS=set_pin,12345670", ex_exact("+OK")) +
      step_send("AT+WWPS=!get_pin", ex_regex(r"^\+OK(=\d{1,8})?$")) +
      step_send("AT+WWPS=?", ex_glob("+OK=*")), teardown=NETTD,
      comment="The WPS build of the firmware only (wwps-absent: g3 answers -2).")
write("WWPS", 5, "pbc", "WWPS start_pbc joins the world's WPS network",
      step_send("AT+WWPS=start_pbc", "{ glob: \"+OK*\" }", sid=dev_id("wwps-absent", "start_pbc"), extra="    deadline: 10s\n") +
      "  - sleep: 1s\n" + step_send("AT+LKSTT", ex_regex(r"^\+OK=1,"), sid=dev_id("wwps-absent", "joined by WPS")),
      teardown=NETTD, comment=WORLD)
write("WWPS", 3, "bad-args", "an unknown mode, a PIN past 8 digits and a missing mode are refused",
      "  # +ERR=-4 (the validator checks the code)\n  - send: \"AT+WWPS=${arg}\\r\"\n    expect_error: any\n",
      matrix={"arg": [("foo", "not a mode"), ("set_pin,123456789", "a PIN of 9 digits (0..99999999)"),
                      ("", "the mode missing")]})
gen_forms("WWPS", bad_forms("WWPS"), 4)
# §2.2.3.4 WJOIN
write("WJOIN", 1, "open", "WJOIN joins the configured open network and answers its entry",
      JOINED.replace("use: join-open", "use: join-open") +
      step_send("AT+LKSTT", ex_regex(r'^\+OK=1,"192\.168\.1\.109",')) +
      "  - measure: { name: join-rssi, value: \"${rssi}\", unit: dB, min: 1, max: 255 }\n",
      teardown=NETTD, comment=WORLD, extra_spec=["§2.2.3.7 AT+LKSTT", "§3.1"])
write("WJOIN", 2, "wpa2", "WJOIN joins a WPA2 network with its key (§3.3)", "  - use: join-wpa2\n" +
      step_send("AT+LKSTT", ex_regex(r'^\+OK=1,"192\.168\.10\.20",')), teardown=NETTD, extra_spec=["§3.3"], comment=WORLD)
write("WJOIN", 3, "wrong-key", "WJOIN with a wrong key fails with -10 (or another error the manual allows)",
      step_send("AT+WPRT=!0", None) + step_send("AT+SSID=!AirM2M_WiFi", None) + step_send("AT+ENCRY=!6", None) +
      step_send('AT+KEY=!1,0,"wrongkey"', None) +
      step_send("AT+WJOIN", "{ glob: \"+ERR=*\" }", extra="    deadline: 10s\n") +
      step_send("AT+LKSTT", ex_regex(r"^\+OK=0")), teardown=NETTD)
write("WJOIN", 4, "no-such-ap", "WJOIN to an SSID that is not there fails",
      step_send("AT+WPRT=!0", None) + step_send("AT+SSID=!NoSuchNetwork", None) +
      step_send("AT+WJOIN", "{ glob: \"+ERR=*\" }", extra="    deadline: 10s\n"), teardown=NETTD)
write("WJOIN", 5, "softap", "WJOIN in AP mode creates the SoftAP (§3.5)",
      step_send("AT+WPRT=!2", None) + step_send("AT+APSSID=!Air602_AP", None) + step_send("AT+APENCRY=!0", None) +
      step_send('AT+APKEY=!1,0,""', None) +
      step_send("AT+APNIP=!1,192.168.4.1,255.255.255.0,192.168.4.1,192.168.4.1", None) +
      step_send("AT+WJOIN", "{ glob: \"+OK*\" }", extra="    deadline: 10s\n") +
      step_send("AT+APLKSTT", ex_regex(r'^\+OK=1,')), teardown="  - send: \"AT+WLEAV=2\\r\"\n" + NETTD,
      extra_spec=["§3.5", "§2.2.3.8 AT+APLKSTT"])
gen_forms("WJOIN", bad_forms("WJOIN"), 6)
# §2.2.3.5 WLEAV
write("WLEAV", 1, "leave", "WLEAV leaves the network: the status goes back to 0",
      step_send("AT+WLEAV", ex_exact("+OK")) + step_send("AT+LKSTT", ex_regex(r"^\+OK=0")),
      setup=JOINED, teardown=NETTD)
write("WLEAV", 2, "types", "WLEAV=<type> with each network type 0..3 answers +OK (§3.6 uses =2)",
      "  - send: \"AT+WLEAV=${t}\\r\"\n    expect: \"+OK\"\n",
      matrix={"t": [("0", ""), ("1", ""), ("2", "the SoftAP, as in §3.6"), ("3", "")]}, extra_spec=["§3.6"])
write("WLEAV", 3, "bad-args", "a type past 3 and extra arguments are refused",
      "  - send: \"AT+WLEAV=${arg}\\r\"\n    expect_error: any\n",
      matrix={"arg": [("4", "one past the last type"), ("-1", "below 0"), ("1,2", "an extra argument")]})
gen_forms("WLEAV", bad_forms("WLEAV"), 4)
# §2.2.3.6 WSCAN
write("WSCAN", 1, "list", "WSCAN lists every network of the world, one entry per line",
      step_send("AT+WSCAN", ex_regex(r'(?s)^\+OK=.*"TP-LINK_HyFi_1E".*"AirM2M_WiFi".*"TEST_AP"'), extra="    deadline: 10s\n"),
      comment=WORLD + "\nThe entry format and the single empty line that ends the list are the\nvalidator's (list-extra-crlf).")
write("WSCAN", 2, "entry-exact", "the first entry is exactly the world's TP-LINK_HyFi_1E (BSSID in upper case, as in §2.2.3.6)",
      step_send("AT+WSCAN", ex_regex(r'^\+OK=3C46D82BD81E,2,11,0,"TP-LINK_HyFi_1E",53\r\n'), extra="    deadline: 10s\n"),
      comment="The manual's example prints BSSIDs in upper case; the world lists this\n"
              "network first. (Hex digits in either case are valid MACs; the exact\n"
              "text is what this unit of the world answers.)\n" + WORLD)
gen_forms("WSCAN", bad_forms("WSCAN"), 3)

def wp(name, num, slug, title, body, peers=PEERS_SRV, setup=SOCK_SETUP, teardown=SOCK_TD, **kw):
    write(name, num, slug, title, body, setup=setup, teardown=teardown, header_extra=peers, **kw)

# §2.2.3.10 SKCT
wp("SKCT", 1, "tcp-client", "SKCT opens a TCP client; the peer sees the connection and its data",
   step_send("AT+SKSTT=${sock}", ex_regex(r'^\+OK=\d+,2,"192\.168\.1\.100",\d+,\d+,0') ,
             comment="connected (2) to the world's mapping of 192.168.1.100") , comment=WORLD,
   extra_spec=["§2.2.3.13 AT+SKSTT"])
wp("SKCT", 2, "udp-client", "SKCT opens a UDP client; SKSND reaches the UDP peer",
   "  - cmd: SKCT\n    args: [1, 0, 192.168.1.100, \"${peers.dgram.port}\"]\n    expect: { shape: \"+OK=<sock:Dec 1..20>\" }\n"
   "  - cmd: SKSND\n    args: [\"${sock}\", 5]\n    expect: \"+OK=5\"\n  - send_data: hello\n"
   "  - peer_expect: { peer: dgram, text: hello }\n    deadline: 2s\n",
   peers="peers:\n  dgram: { type: udp }\n", setup=JOINED, extra_spec=["§2.2.3.11 AT+SKSND"])
wp("SKCT", 3, "tcp-server", "SKCT opens a TCP server (cs=1) that listens on its local port",
   "  # -13 while another module of the host (a parallel run) holds the port\n"
   "  - cmd: SKCT\n    args: [0, 1, 0, 0, 8899]\n    expect: { shape: \"+OK=<sock:Dec 1..20>\" }\n"
   "    retry: { max: 5, delay: 300ms, if_error: [-13] }\n" +
   step_send("AT+SKSTT=${sock}", ex_regex(r"^\+OK=\d+,1,")), peers="", setup=JOINED,
   comment="A server's status is 1 (listening); host_timeout 0 and remote_port 0 as\nin §2.2.3.10's server example.")
wp("SKCT", 4, "refused", "SKCT to a port where no one listens fails (-11 or another error the manual allows)",
   step_send("AT+SKCT=0,0,192.168.1.100,1", "{ glob: \"+ERR=*\" }", extra="    deadline: 10s\n"),
   peers="", setup=JOINED, teardown=NETTD)
wp("SKCT", 5, "no-network", "SKCT without a network fails",
   step_send("AT+SKCT=0,0,192.168.1.100,1000", "{ glob: \"+ERR=*\" }", extra="    deadline: 10s\n"),
   peers="", setup="", teardown="")
wp("SKCT", 6, "bad-args", "values past the boundaries, missing and extra arguments are refused",
   "  - send: \"AT+SKCT=${arg}\\r\"\n    expect_error: any\n", peers="", setup=JOINED, teardown=NETTD,
   matrix={"arg": [("2,0,192.168.1.100,1000", "protocol past 1"), ("0,2,192.168.1.100,1000", "cs past 1"),
                   ("0,0,192.168.1.100,65536", "remote_port one past 65535"),
                   ("0,0,192.168.1.100,1000,65536", "local_port one past 65535"),
                   ("0,0," + "h" * 33 + ",1000", "host 33 characters, one past 32"),
                   ("0,0,192.168.1.100", "the remote port missing (the first four are required: reading of the model)"),
                   ("0,0,192.168.1.100,1000,1,2", "an extra argument")]})
gen_forms("SKCT", bad_forms("SKCT"), 7)
# §2.2.3.11 SKSND
wp("SKSND", 1, "send", "SKSND announces the size it takes, then the bytes reach the peer",
   "  - cmd: SKSND\n    args: [\"${sock}\", 1]\n    expect: \"+OK=1\"\n  - send_data: { hex: \"00\" }\n"
   "  - sleep: 100ms\n"
   "  - cmd: SKSND\n    args: [\"${sock}\", 512]\n    expect: { shape: \"+OK=<n:Dec 1..512>\" }\n"
   "  - send_data: { random: { len: 512, seed: 11 } }\n    save: payload\n  - sleep: 200ms\n"
   "  - cmd: SKRCV\n    args: [\"${sock}\", 1024]\n    expect: { shape: \"+OK=<got:Dec 513..513>\" }\n"
   "  - read_data: { hex: \"00\", len: 1 }\n",
   peers="peers:\n  srv: { type: tcp-server, echo: true }\n",
   comment="The manual's example answers AT+SKSND=1,5 with +OK=1 (reading of the model:\n"
           "any actualsize up to size conforms). Here sizes up to 512 come back whole\n"
           "from the firmware; the echo peer returns them.")
FILES.pop()
wp("SKSND", 1, "send", "SKSND announces the size it takes, then the bytes reach the peer (first and largest size)",
   "  - cmd: SKSND\n    args: [\"${sock}\", 1]\n    expect: \"+OK=1\"\n  - send_data: { hex: \"00\" }\n"
   "  - peer_expect: { peer: srv, hex: \"00\" }\n    deadline: 2s\n"
   "  - cmd: SKSND\n    args: [\"${sock}\", 512]\n    expect: \"+OK=512\"\n"
   "  - send_data: { random: { len: 512, seed: 11 } }\n    save: payload\n"
   "  - peer_expect: { peer: srv, var: payload }\n    deadline: 2s\n",
   comment="The manual's example answers AT+SKSND=1,5 with +OK=1; the model reads\n"
           "actualsize as what may be sent (any value up to size conforms). This\n"
           "check expects the whole size for sizes up to 512, the firmware's buffer.")
wp("SKSND", 2, "bad-args", "size 0, a missing size and extra arguments are refused",
   "  - send: \"AT+SKSND=${sock}${tail}\\r\"\n    expect_error: any\n",
   matrix={"tail": [(",0", "size below 1"), ("", "the size missing"), (",5,1", "an extra argument"), (",x", "not a number")]},
   comment="A size past 65535 is left to robustness/: the firmware takes it (+OK=512,\n"
           "sksnd-clamp-512) and then waits for 512 bytes.")
wp("SKSND", 5, "bad-socket", "socket 0 and 21 and a socket that is not a number are refused",
   "  - send: \"AT+SKSND=${arg}\\r\"\n    expect_error: any\n",
   matrix={"arg": [("0,5", "socket below 1"), ("21,5", "socket one past 20"), ("x,5", "not a number")]},
   peers="", setup="", teardown="")
wp("SKSND", 3, "closed-socket", "SKSND on a socket that is not open fails (-12 or another error the manual allows)",
   step_send("AT+SKSND=20,5", "{ glob: \"+ERR=*\" }"), peers="", setup=JOINED, teardown=NETTD)
gen_forms("SKSND", bad_forms("SKSND"), 4)
# §2.2.3.12 SKRCV
wp("SKRCV", 1, "receive", "SKRCV returns what the peer sent, then nothing is left",
   "  - peer_send: { peer: srv, hex: \"01 02 03 ff\" }\n  - sleep: 200ms\n"
   "  - cmd: SKRCV\n    args: [\"${sock}\", 1]\n    expect: \"+OK=1\"\n  - read_data: { hex: \"01\" }\n"
   "  - cmd: SKRCV\n    args: [\"${sock}\", 65535]\n    expect: \"+OK=3\"\n  - read_data: { hex: \"02 03 ff\" }\n"
   "  - cmd: SKRCV\n    args: [\"${sock}\", 16]\n    expect: \"+OK=0\"\n",
   peers="peers:\n  srv: { type: tcp-server }\n", comment="maxsize 1 and 65535: the first and last valid values.")
wp("SKRCV", 2, "bad-args", "maxsize 0 and 65536, a missing size and extra arguments are refused",
   "  - send: \"AT+SKRCV=${sock}${tail}\\r\"\n    expect: { glob: \"*\" }\n",
   matrix={"tail": [(",0", "maxsize below 1"),
                   (",65536", "maxsize one past 65535 (the firmware clamps: skrcv-clamp-1024)"),
                   ("", "the size missing"), (",5,1", "an extra argument")]},
   peers="peers:\n  srv: { type: tcp-server }\n",
   comment="+ERR=-4 for each; the step takes any answer because the firmware takes\n"
           "maxsize 65536 (+OK=0 on an empty buffer): the validator judges.")
wp("SKRCV", 4, "bad-socket", "socket 0 and 21 are refused",
   "  - send: \"AT+SKRCV=${arg}\\r\"\n    expect_error: any\n",
   matrix={"arg": [("0,5", "socket below 1"), ("21,5", "socket one past 20")]},
   peers="", setup="", teardown="")
gen_forms("SKRCV", bad_forms("SKRCV"), 3)
# §2.2.3.13 SKSTT
wp("SKSTT", 1, "status", "SKSTT reports a client socket connected, with its addresses and pending data",
   "  - peer_send: { peer: srv, text: \"abc\" }\n  - sleep: 200ms\n" +
   step_send("AT+SKSTT=${sock}", ex_regex(r'^\+OK=\d+,2,"192\.168\.1\.100",\d+,\d+,3')) +
   "  - cmd: SKRCV\n    args: [\"${sock}\", 3]\n    expect: \"+OK=3\"\n  - read_data: { text: abc }\n",
   peers="peers:\n  srv: { type: tcp-server }\n")
wp("SKSTT", 2, "bad-args", "socket 0 and 21, missing and extra arguments are refused",
   "  - send: \"AT+SKSTT=${arg}\\r\"\n    expect_error: any\n",
   matrix={"arg": [("0", "below 1"), ("21", "one past 20"), ("", "missing"), ("1,1", "an extra argument")]},
   peers="", setup="", teardown="")
gen_forms("SKSTT", bad_forms("SKSTT"), 3)
# §2.2.3.14 SKCLS
wp("SKCLS", 1, "close", "SKCLS closes the socket: the peer sees the end, SKSTT no longer finds it connected",
   step_send("AT+SKCLS=${sock}", ex_exact("+OK")) + step_send("AT+SKSTT=${sock}", "{ glob: \"*\" }"),
   teardown=NETTD, comment="After the close the status is not 2; the answer (status 0 or an\nerror) is the validator's.")
wp("SKCLS", 2, "bad-args", "socket 0 and 21, missing and extra arguments are refused",
   "  - send: \"AT+SKCLS=${arg}\\r\"\n    expect_error: any\n",
   matrix={"arg": [("0", "below 1"), ("21", "one past 20"), ("", "missing"), ("1,1", "an extra argument")]},
   peers="", setup="", teardown="")
gen_forms("SKCLS", bad_forms("SKCLS"), 3)
# §2.2.3.15 SKSDF
wp("SKSDF", 1, "default", "SKSDF sets the default socket; ENTM then enters transparent mode",
   step_send("AT+SKSDF=${sock}", ex_exact("+OK")) + "  - enter_transparent: true\n"
   "  - stream: \"through\"\n    expect_data: \"through\"\n  - leave_transparent: { guard: 200ms }\n",
   extra_spec=["§2.2.1.4 AT+ENTM"])
wp("SKSDF", 2, "bad-args", "socket 0 and 21, missing and extra arguments are refused",
   "  - send: \"AT+SKSDF=${arg}\\r\"\n    expect_error: any\n",
   matrix={"arg": [("0", "below 1"), ("21", "one past 20"), ("", "missing"), ("1,1", "an extra argument")]},
   peers="", setup="", teardown="")
gen_forms("SKSDF", bad_forms("SKSDF"), 3)
# §2.2.3.16 SKSRCIP
wp("SKSRCIP", 1, "source", "SKSRCIP answers the source address of the last data received",
   "  - cmd: SKCT\n    args: [1, 0, 192.168.1.100, \"${peers.dgram.port}\"]\n    expect: { shape: \"+OK=<sock:Dec 1..20>\" }\n"
   "  - cmd: SKSND\n    args: [\"${sock}\", 2]\n    expect: \"+OK=2\"\n  - send_data: hi\n"
   "  - peer_expect: { peer: dgram, text: hi }\n  - peer_send: { peer: dgram, text: back }\n  - sleep: 200ms\n" +
   step_send("AT+SKSRCIP=?", ex_regex(r"^\+OK=192\.168\.1\.100$")) +
   "  - cmd: SKRCV\n    args: [\"${sock}\", 4]\n    expect: \"+OK=4\"\n  - read_data: { text: back }\n",
   peers="peers:\n  dgram: { type: udp }\n", setup=JOINED, extra_spec=["§2.2.3.10 AT+SKCT (UDP)"])
gen_forms("SKSRCIP", bad_forms("SKSRCIP"), 2)
# §2.2.3.17 SKRPTM
write("SKRPTM", 1, "modes", "SKRPTM=0 and =1 are taken and read back",
      step_send("AT+SKRPTM=1", ex_exact("+OK")) + step_send("AT+SKRPTM=?", ex_exact("+OK=1")) +
      step_send("AT+SKRPTM=0", ex_exact("+OK")) + step_send("AT+SKRPTM=?", ex_exact("+OK=0")),
      comment="The reply's terminator is the validator's (skrptm-query-lf).")
wp("SKRPTM", 2, "report", "with SKRPTM=1, data from the peer comes as +SKTRPT with its bytes",
   "  - cmd: SKRPTM\n    args: [1]\n  - peer_send: { peer: srv, text: \"pushed\" }\n"
   "  - wait_report: +SKTRPT\n    expect: { glob: \"+SKTRPT=${sock},6,*\" }\n    deadline: 2s\n"
   "  - read_data: { text: pushed, len: \"${len}\" }\n",
   peers="peers:\n  srv: { type: tcp-server }\nreports: { \"+SKTRPT\": allow }\n",
   teardown="  - send: \"AT+SKRPTM=0\\r\"\n" + SOCK_TD, extra_spec=["§2.2.3.17 +SKTRPT"])
write("SKRPTM", 3, "bad-args", "a mode past 1 and a missing mode are refused",
      "  - send: \"AT+SKRPTM=${arg}\\r\"\n    expect_error: any\n",
      matrix={"arg": [("2", "one past 1"), ("", "missing"), ("1,1", "an extra argument")]})
gen_forms("SKRPTM", bad_forms("SKRPTM"), 4)
# §2.2.3.18 ONESHOT
write("ONESHOT", 1, "open-close", "ONESHOT=1 starts one-click configuration, which joins and leaves user data; =0 stops it",
      step_send("AT+ONESHOT=1", ex_exact("+OK")) + "  - sleep: 1s\n" +
      step_send("AT+CUSTDATA", ex_glob("+OK=*hello from the app*")) +
      step_send("AT+ONESHOT=0", ex_exact("+OK")), teardown=NETTD, comment=WORLD,
      extra_spec=["§2.2.2.24 AT+CUSTDATA"])
write("ONESHOT", 2, "bad-args", "a status past 1 and a missing status are refused",
      "  - send: \"AT+ONESHOT=${arg}\\r\"\n    expect: { glob: \"*\" }\n",
      matrix={"arg": [("2", "one past 1 (the firmware takes it: oneshot-mode-2)"), ("", "missing")]},
      teardown="  - send: \"AT+ONESHOT=0\\r\"\n    expect: { glob: \"*\" }\n")
gen_forms("ONESHOT", bad_forms("ONESHOT"), 3)
# §2.2.3.19 HTTPC
HTTPP = ("peers:\n  web:\n    type: http-server\n    answers:\n      \"/status\": { status: 200, body: \"all good\", type: text/plain }\n"
         "      \"/post\": { status: 200, body: \"taken\", type: text/plain }\n"
         "reports: { \"+HTTPCRPT\": allow }\n")
wp("HTTPC", 1, "get", "HTTPC GET: +OK, then the body comes as +HTTPCRPT",
   "  - cmd: SKRPTM\n    args: [1]\n"
   "  - send: \"AT+HTTPC=http://192.168.1.100:${peers.web.port}/status,0\\r\"\n    expect: { glob: \"+OK*\" }\n"
   "  - wait_report: +HTTPCRPT\n    deadline: 3s\n  - read_data: { text: \"all good\", len: \"${len}\" }\n"
   "  - peer_expect: { peer: web, text: \"GET /status\\n\" }\n",
   peers=HTTPP, setup=JOINED, teardown="  - send: \"AT+SKRPTM=0\\r\"\n" + NETTD,
   comment="The manual answers +OK; the firmware +OK=<session> (httpc-ok-session):\nthe validator judges the reply.", extra_spec=["§2.2.3.17 AT+SKRPTM"])
for num, verb, method in ((2, "2", "POST"), (3, "3", "PUT")):
    wp("HTTPC", num, method.lower(), "HTTPC %s carries its data to the server" % method,
       "  - cmd: SKRPTM\n    args: [1]\n"
       "  - send: \"AT+HTTPC=http://192.168.1.100:${peers.web.port}/post,%s,a=1\\r\"\n    expect: { glob: \"+OK*\" }\n"
       "  - wait_report: +HTTPCRPT\n    deadline: 3s\n  - read_data: { text: \"taken\", len: \"${len}\" }\n"
       "  - peer_expect: { peer: web, text: \"%s /post\\na=1\" }\n" % (verb, method),
       peers=HTTPP, setup=JOINED, teardown="  - send: \"AT+SKRPTM=0\\r\"\n" + NETTD)
wp("HTTPC", 5, "bad-args", "verb 1 ('-'), verb 4, a missing verb and an overlong URL are refused",
   "  - send: \"AT+HTTPC=${arg}\\r\"\n    expect: { glob: \"*\" }\n",
   matrix={"arg": [("http://192.168.1.100/,1", "verb 1 is '-' (the firmware takes it: httpc-head-verb)"),
                   ("http://192.168.1.100/,4", "verb past 3"), ("http://192.168.1.100/", "the verb missing"),
                   ("http://192.168.1.100/" + "u" * 240 + ",0", "a URL of 261 characters, past 255")]},
   peers="", setup=JOINED, teardown=NETTD,
   comment="+ERR=-4 for each; any answer is taken and the validator judges it.")
gen_forms("HTTPC", bad_forms("HTTPC"), 6)
# §2.2.4 MQTT: the manual's command set only (requires: [mqtt], docs/scenarios.md)
MQ = ("requires: [mqtt]\npeers:\n  broker: { type: mqtt, subscribe: [\"#\"] }\n"
      "reports: { \"+MQTT\": allow, \"+MSUB\": allow, \"+MPUB\": allow, \"+MTOPIC\": allow, \"+MQD\": allow }\n")
MQSET = ("  - cmd: MSERVER\n    args: [\"${peers.broker.port}\", 120.55.137.106]\n"
         "  - cmd: MLOGIN\n    args: [user, pass]\n  - cmd: MID\n    args: [air602-conf]\n")
MQCONN = MQSET + "  - cmd: MCONNECT\n  - wait_report: +MQTT\n    expect: \"+MQTT:CONNECTED\"\n    deadline: 5s\n"
MQTD = "  - send: \"AT+MCLOSE\\r\"\n    expect: { glob: \"*\" }\n" + NETTD
MQC = "No public firmware has these commands (w600-firmware.md §13): the scenario\nruns on units with the manual's command set (requires: [mqtt])."
wp("MSERVER", 1, "set", "MSERVER takes a port and an IP address (first and last port)",
   step_send("AT+MSERVER=1,120.55.137.106", ex_exact("+OK")) + step_send("AT+MSERVER=65535,120.55.137.106", ex_exact("+OK")),
   peers="requires: [mqtt]\n", setup="", teardown="", comment=MQC)
wp("MSERVER", 2, "bad-args", "port 0 and 65536, a domain name and a missing address are refused",
   "  - send: \"AT+MSERVER=${arg}\\r\"\n    expect_error: any\n", peers="requires: [mqtt]\n", setup="", teardown="",
   matrix={"arg": [("0,120.55.137.106", "port below 1"), ("65536,120.55.137.106", "port past 65535"),
                   ("1883,broker.example.com", "a domain name (not supported)"), ("1883", "the address missing")]})
gen_forms("MSERVER", bad_forms("MSERVER"), 3, tags=None)
wp("MLOGIN", 1, "set", "MLOGIN takes a user and a password",
   step_send("AT+MLOGIN=user,secret", ex_exact("+OK")) + step_send("AT+MLOGIN=u,p", ex_exact("+OK")),
   peers="requires: [mqtt]\n", setup="", teardown="", comment=MQC)
wp("MLOGIN", 2, "bad-args", "a missing user and extra arguments are refused",
   "  - send: \"AT+MLOGIN=${arg}\\r\"\n    expect_error: any\n", peers="requires: [mqtt]\n", setup="", teardown="",
   matrix={"arg": [("", "both missing"), ("user", "the password missing")]})
gen_forms("MLOGIN", bad_forms("MLOGIN"), 3)
wp("MID", 1, "set", "MID takes a client id", step_send("AT+MID=air602", ex_exact("+OK")),
   peers="requires: [mqtt]\n", setup="", teardown="", comment=MQC)
wp("MID", 2, "bad-args", "a missing client id is refused", "  - send: \"AT+MID=${arg}\\r\"\n    expect_error: any\n",
   peers="requires: [mqtt]\n", setup="", teardown="", matrix={"arg": [("", "missing")]})
gen_forms("MID", bad_forms("MID"), 3)
wp("MCONNECT", 1, "connect", "MCONNECT connects to the broker: +OK, then +MQTT:CONNECTED",
   MQCONN, peers=MQ, setup=JOINED, teardown=MQTD, comment=MQC, extra_spec=["§2.2.4.10"])
wp("MCONNECT", 2, "fail", "MCONNECT to a port where no broker listens: +OK, then +MQTT:FAIL",
   "  - cmd: MSERVER\n    args: [1, 120.55.137.106]\n  - cmd: MID\n    args: [x]\n  - cmd: MCONNECT\n"
   "  - wait_report: +MQTT\n    expect: \"+MQTT:FAIL\"\n    deadline: 10s\n",
   peers="requires: [mqtt]\nreports: { \"+MQTT\": allow }\n", setup=JOINED, teardown=NETTD)
gen_forms("MCONNECT", bad_forms("MCONNECT"), 3)
wp("MSUB", 1, "subscribe", "MSUB subscribes (qos optional); a publication arrives as +MTOPIC and +MQD",
   MQCONN + "  - cmd: MSUB\n    args: [HELLO_WORLD]\n  - wait_report: +MSUB\n    expect: \"+MSUB:OK\"\n    deadline: 3s\n"
   "  - cmd: MSUB\n    args: [cmd/air602, 1]\n  - wait_report: +MSUB\n    expect: \"+MSUB:OK\"\n    deadline: 3s\n"
   "  - peer_send: { peer: broker, topic: cmd/air602, text: \"led on\" }\n"
   "  - wait_report: +MTOPIC\n    expect: \"+MTOPIC:10,cmd/air602\"\n    deadline: 3s\n"
   "  - wait_report: +MQD\n    expect: \"+MQD:6,led on\"\n    deadline: 3s\n",
   peers=MQ, setup=JOINED, teardown=MQTD, comment=MQC)
wp("MSUB", 2, "bad-args", "a qos past 2 and a missing topic are refused",
   "  - send: \"AT+MSUB=${arg}\\r\"\n    expect_error: any\n", peers="requires: [mqtt]\n", setup="", teardown="",
   matrix={"arg": [("", "the topic missing")]},
   comment="A topic is Text, which may hold commas: AT+MSUB=t,3 reads as the topic\n't,3' (reading of the model), so a qos past 2 cannot be told apart.")
gen_forms("MSUB", bad_forms("MSUB"), 3)
wp("MPUB", 1, "publish", "MPUB publishes with each qos; the broker gets the message",
   MQCONN + "  - send: \"AT+MPUB=dev/air602,${qos},0,hello\\r\"\n  - wait_report: +MPUB\n    deadline: 3s\n"
   "  - peer_expect: { peer: broker, text: \"dev/air602 hello\\n\" }\n    deadline: 3s\n",
   peers="matrix:\n  qos: [\"0\", \"1\", \"2\"]\n" + MQ, setup=JOINED, teardown=MQTD, comment=MQC)
wp("MPUB", 2, "bad-args", "a qos past 2, a retain past 1 and missing arguments are refused",
   "  - send: \"AT+MPUB=${arg}\\r\"\n    expect_error: any\n", peers="requires: [mqtt]\n", setup="", teardown="",
   matrix={"arg": [("t,3,0,m", "qos past 2"), ("t,0,2,m", "retain past 1"), ("t,0,0", "the message missing")]})
gen_forms("MPUB", bad_forms("MPUB"), 3)
wp("MCLOSE", 1, "close", "MCLOSE closes the connection", MQCONN + step_send("AT+MCLOSE", ex_exact("+OK")),
   peers=MQ, setup=JOINED, teardown=NETTD, comment=MQC)
gen_forms("MCLOSE", bad_forms("MCLOSE"), 2)

# §2.1 line syntax, on the null command's page
write("", 4, "line-syntax", "a name past 9 characters and more than 9 arguments are refused",
      "  # An unknown name is -2 (not supported); too many arguments -4 (the\n"
      "  # validator checks the code and the terminator: the firmware ends these\n"
      "  # parse-stage errors with one CR LF, parse-error-single-crlf).\n"
      "  - send: \"${line}\\r\"\n    expect_error: any\n",
      matrix={"line": [("AT+ABCDEFGHIJK", "a name of 11 characters"),
                       ("AT+WPRT=1,2,3,4,5,6,7,8,9,10", "ten arguments")]},
      extra_spec=["§2.1 command format", "§1.2.2 error codes"], teardown="")
# §2.2.1.4: +++ outside transparent mode is no command
write("ENTM", 5, "plus-in-command-mode", "+++ in command mode is not a command: nothing answers it",
      "  - sleep: 200ms\n  - send: \"+++\"\n    nowait: true\n"
      "  - sleep: 500ms\n    id: \"[dev:plus-escape-in-command-mode] nothing answers +++\"\n"
      + step_send("AT+", ex_exact("+OK")),
      teardown="", comment="§2.2.1.4: +++ ends transparent mode; in command mode it is no AT+\n"
                           "line and gets no answer (the firmware answers +OK).")
# §2.2.2.11 key table
write("KEY", 10, "key-table", "a key that does not fit the security mode's table is refused",
      "  - send: \"AT+ENCRY=${mode}\\r\"\n  - send: \"AT+KEY=${key}\\r\"\n    id: \"[dev:key-unchecked] the key does not fit\"\n    expect_error: any\n",
      matrix={"mode": [("6", "WPA2-PSK(CCMP): 8..64 ASCII characters or 64 hex digits")],
              "key": [("1,0,1234567", "7 ASCII characters, one short"), ("0,0,12345", "5 hex digits")]},
      teardown='  - send: "AT+ENCRY=!0\\r"\n  - send: "AT+KEY=!0,0,\\"\\"\\r"\n',
      comment="§2.2.2.11's table: the key's length and alphabet by security mode.")
# §2.2.3.4 WJOIN uses the parameters in memory
write("WJOIN", 7, "uses-memory", "WJOIN uses the key set with = (memory), not the one in flash",
      step_send("AT+WPRT=!0", None) + step_send("AT+SSID=!AirM2M_WiFi", None) + step_send("AT+ENCRY=!6", None) +
      step_send('AT+KEY=!1,0,"wrongkey"', None) + step_send("AT+KEY=1,0,12345678", None) +
      step_send("AT+WJOIN", JOIN_SHAPE, sid=dev_id("wjoin-uses-flash", "joins with the key in memory"),
                extra="    deadline: 10s\n"), teardown=NETTD,
      comment="§2.1: = sets the parameter in memory, which is what the module uses;\n"
              "the firmware's WJOIN reads flash (wjoin-uses-flash).", extra_spec=["§2.1 forms"])
# §2.2.3.17 +SKTRPT of a long segment
wp("SKRPTM", 5, "long-report", "a 600-byte segment comes whole after its +SKTRPT header",
   "  - cmd: SKRPTM\n    args: [1]\n  - peer_send: { peer: srv, random: { len: 600, seed: 5 } }\n"
   "  - wait_report: +SKTRPT\n    expect: { glob: \"+SKTRPT=${sock},600,*\" }\n    deadline: 2s\n"
   "  - read_data: { random: { len: 600, seed: 5 }, len: \"${len}\" }\n"
   "    id: \"[dev:sktrpt-cap-511] all 600 bytes follow\"\n",
   peers="peers:\n  srv: { type: tcp-server }\nreports: { \"+SKTRPT\": allow }\n",
   teardown="  - send: \"AT+SKRPTM=0\\r\"\n    expect: { glob: \"*\" }\n" + SOCK_TD)
