#!/bin/sh
# SPDX-License-Identifier: MIT
# The manual's §3 flows (3.1 to 3.10) and its MQTT example (§2.2.4.10), run
# through `atproof emu --pty` by a plain termios client, for each firmware
# profile, against real peers on 127.0.0.1 that this test starts on free
# ports and stops: a TCP server and a UDP peer that receive the SKSND bytes
# (§3.9), an HTTP server answering HTTPC GET and POST, and a mosquitto
# broker that sees the MPUB message and delivers one back as +MTOPIC/+MQD.
# The world file maps the manual's addresses onto those ports.
set -eu
B=${B:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

for p in /usr/sbin/mosquitto mosquitto_sub mosquitto_pub stdbuf; do
	command -v "$p" >/dev/null 2>&1 || { echo "missing $p (tools/deps.sh check)"; exit 1; }
done

timeout 85 python3 - "$B" "$tmp" <<'PY'
import os, re, select, signal, socket, subprocess, sys, threading, time, tty
import http.server

B, TMP = sys.argv[1], sys.argv[2]
children = []
signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))

def fail(msg):
    raise AssertionError(msg)

def bound(kind):
    s = socket.socket(socket.AF_INET, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    return s, s.getsockname()[1]

def free_port():
    s, p = bound(socket.SOCK_STREAM)
    s.close()
    return p

# ---- peers ------------------------------------------------------------
tcp, tcp_port = bound(socket.SOCK_STREAM)
tcp.listen(4)
udp, udp_port = bound(socket.SOCK_DGRAM)

class Http(http.server.BaseHTTPRequestHandler):
    def answer(self, body):
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        self.answer(b"GET " + self.path.encode() + b" ok")
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        self.answer(b"posted " + self.rfile.read(n))
    def log_message(self, *a):
        pass

httpd = http.server.HTTPServer(("127.0.0.1", 0), Http)
http_port = httpd.server_address[1]
threading.Thread(target=httpd.serve_forever, daemon=True).start()

mqtt_port = free_port()
with open(TMP + "/mosquitto.conf", "w") as f:
    f.write("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n" % mqtt_port)
broker = subprocess.Popen(["/usr/sbin/mosquitto", "-c", TMP + "/mosquitto.conf"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
children.append(broker)

WORLD = """
timing: { join: 0.05, join_fail: 0.05, scan: 0.05, connect: 0.02, resolve: 0.01 }
aps:
  - { ssid: TP-LINK_HyFi_1E, bssid: 3c46d82bd81e, channel: 11, security: 0, key: "",
      rssi: 53, lease: { ip: 192.168.1.109, mask: 255.255.255.0, gw: 192.168.1.1,
      dns: 192.168.1.1 } }
  - { ssid: TEST_AP, bssid: 0e5415290c52, channel: 6, security: 4, key: "12345678",
      rssi: 56, lease: { ip: 192.168.1.124, mask: 255.255.255.0, gw: 192.168.1.1,
      dns: 192.168.1.1 } }
  - { ssid: airm2m_wifi, bssid: 7c11cb04f7b5, channel: 6, security: 6, key: "12345678",
      rssi: 74, lease: { ip: 192.168.1.130, mask: 255.255.255.0, gw: 192.168.1.1,
      dns: 192.168.1.1 } }
stations:
  - { mac: 94-FE-22-9A-B5-28, ip: 192.168.1.2, after: 0 }
hosts: { www.baidu.com: 115.239.211.112 }
map:
  - { from: "192.168.1.100:1000", to: "127.0.0.1:%d" }
  - { from: "192.168.1.100:2000", to: "127.0.0.1:%d" }
  - { from: "192.168.1.100:8080", to: "127.0.0.1:%d" }
  - { from: "120.55.137.106:1883", to: "127.0.0.1:%d" }
""" % (tcp_port, udp_port, http_port, mqtt_port)
with open(TMP + "/world.yaml", "w") as f:
    f.write(WORLD)

# ---- the emulator and a termios client --------------------------------
class Module:
    def __init__(self, profile):
        self.profile = profile
        self.path = "%s/pty-%s" % (TMP, profile)
        self.proc = subprocess.Popen([B + "/atproof", "emu", "--pty", self.path,
                                      "--firmware", profile, "--world", TMP + "/world.yaml",
                                      "--flash", "%s/flash-%s" % (TMP, profile),
                                      "--log", "%s/log-%s" % (TMP, profile)],
                                     stderr=subprocess.DEVNULL)
        children.append(self.proc)
        end = time.time() + 5
        while not os.path.exists(self.path):
            if time.time() > end:
                fail("no pty from atproof emu")
            time.sleep(0.02)
        self.fd = os.open(self.path, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(self.fd)
        self.buf = b""

    def read(self, secs):
        end = time.time() + secs
        while time.time() < end:
            r, _, _ = select.select([self.fd], [], [], 0.02)
            if r:
                self.buf += os.read(self.fd, 65536)

    def expect(self, pattern, secs=3.0):
        """Waits until everything received matches @pattern (bytes regex)."""
        end = time.time() + secs
        while time.time() < end:
            if re.fullmatch(pattern, self.buf, re.S):
                self.read(0.03)   # nothing more may follow
                if re.fullmatch(pattern, self.buf, re.S):
                    got, self.buf = self.buf, b""
                    return got
            self.read(0.02)
        fail("%s: expected %r, got %r" % (self.profile, pattern, self.buf))

    def tx(self, line, pattern, secs=3.0):
        self.buf = b""
        os.write(self.fd, line)
        return self.expect(pattern, secs)

    def close(self):
        os.close(self.fd)
        self.proc.terminate()
        self.proc.wait(5)

def accept(secs=5.0):
    tcp.settimeout(secs)
    c, _ = tcp.accept()
    c.settimeout(3)
    return c

def recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data

OK = rb"\+OK\r\n\r\n"

def flows(profile):
    m = Module(profile)
    fw = profile != "manual"
    X = rb"(\r\n)?" if fw else b""      # list-extra-crlf
    # 3.1 Create a SoftAP
    for cmd in (b"AT+WPRT=2", b"AT+APSSID=MyAp", b"AT+APENCRY=1", b"AT+APKEY=1,1,12345",
                b"AT+APNIP=1,192.168.1.1,255.255.255.0,192.168.1.1,192.168.1.1", b"AT+PMTF"):
        m.tx(cmd + b"\r", OK)
    m.tx(b"AT+WJOIN\r", rb'\+OK=[0-9a-f]{12},2,\d+,1,"MyAp",0\r\n\r\n')
    m.tx(b"AT+SLIST\r", rb"\+OK=1,%s94-FE-22-9A-B5-28,192\.168\.1\.2\r\n\r\n" %
         (b"," if profile == "luat" else b""))
    # 3.2 Scan
    got = m.tx(b"AT+WSCAN\r", rb"\+OK=.*\r\n\r\n")
    if b'"TEST_AP"' not in got or b'"airm2m_wifi"' not in got:
        fail("%s: WSCAN lists %r" % (profile, got))
    # 3.3 STA joins the AP
    for cmd in (b"AT+WPRT=0", b"AT+SSID=TEST_AP", b"AT+KEY=1,0,12345678", b"AT+NIP=0",
                b"AT+PMTF"):
        m.tx(cmd + b"\r", OK)
    m.tx(b"AT+WJOIN\r", rb'\+OK=0e5415290c52,0,6,1,"TEST_AP",56\r\n\r\n')
    # 3.4 APSTA, from a module with no link (a joined module would only
    # report its link, §2.2.3.4)
    m.tx(b"AT+WLEAV\r", OK)
    m.tx(b"AT+WLEAV=2\r", OK)
    m.tx(b"AT+APLKSTT\r", rb"\+OK=0\r\n\r\n")
    for cmd in (b"AT+WPRT=3", b"AT+SSID=TEST_AP", b"AT+KEY=1,0,12345678",
                b'AT+APSSID="MYSoftAP"', b"AT+APENCRY=5", b"AT+APKEY=1,0,87654321",
                b"AT+APNIP=1,192.168.1.1,255.255.255.0,192.168.1.1,192.168.1.1", b"AT+PMTF"):
        m.tx(cmd + b"\r", OK)
    # APSTA: the station joins TEST_AP (type 3, as WPRT) and the SoftAP
    # comes up with it (APLKSTT below).
    m.tx(b"AT+WJOIN\r", rb'\+OK=0e5415290c52,3,6,1,"TEST_AP",56\r\n\r\n')
    # 3.7 and 3.8 status, then 3.5 and 3.6 leave
    m.tx(b"AT+LKSTT\r", rb'\+OK=1,"192\.168\.1\.124","255\.255\.255\.0","192\.168\.1\.1",'
         rb'"192\.168\.1\.1","0\.0\.0\.0"\r\n\r\n')
    m.tx(b"AT+APLKSTT\r", rb'\+OK=1,"192\.168\.1\.1","255\.255\.255\.0","192\.168\.1\.1",'
         rb'"192\.168\.1\.1","0\.0\.0\.0"\r\n\r\n')
    m.tx(b"AT+WLEAV\r", OK)
    m.tx(b"AT+LKSTT\r", rb"\+OK=0\r\n\r\n")
    m.tx(b"AT+WLEAV=2\r", OK)
    m.tx(b"AT+APLKSTT\r", rb"\+OK=0\r\n\r\n")
    # 3.9 Sockets: "ensure that the module is connected to a WIFI hotspot"
    m.tx(b"AT+WPRT=0\r", OK)
    m.tx(b"AT+PMTF\r", OK)
    m.tx(b"AT+WJOIN\r", rb'\+OK=0e5415290c52,0,6,1,"TEST_AP",56\r\n\r\n')
    m.tx(b"AT+SKCT=0,0,192.168.1.100,1000,1000\r", rb"\+OK=1\r\n\r\n")
    peer = accept()
    m.tx(b"AT+SKSND=1,5\r", rb"\+OK=5\r\n\r\n")
    m.tx(b"kevin", b"")
    if recv_exact(peer, 5) != b"kevin":
        fail("%s: the TCP server did not receive kevin" % profile)
    peer.sendall(b"hello")
    time.sleep(0.1)
    m.tx(b"AT+SKRCV=1,5\r", rb"\+OK=5\r\n\r\nhello")
    m.tx(b"AT+SKSTT=1\r", rb'\+OK=1,2,"192\.168\.1\.100",1000,\d+,0\r\n%s\r\n' % X)
    m.tx(b"AT+SKCLS=1\r", OK)
    if recv_exact(peer, 1) != b"":
        fail("%s: the TCP server's connection stayed open" % profile)
    peer.close()
    # ... and a UDP peer
    m.tx(b"AT+SKCT=1,0,192.168.1.100,2000\r", rb"\+OK=1\r\n\r\n")
    m.tx(b"AT+SKSND=1,4\r", rb"\+OK=4\r\n\r\n")
    m.tx(b"ping", b"")
    udp.settimeout(3)
    data, src = udp.recvfrom(64)
    if data != b"ping":
        fail("%s: the UDP peer got %r" % (profile, data))
    # The UDP peer answers once reports are on: the datagram must come
    # back as +SKTRPT with its data (§2.2.3.17; firmware §8.4).
    m.tx(b"AT+SKRPTM=1\r", OK)
    udp.sendto(b"pong", src)
    m.expect(rb"\+SKTRPT=1,4,192\.168\.1\.100,2000\r\n\r\npong")
    m.tx(b"AT+SKCLS=1\r", OK)
    # HTTPC GET and POST (§2.2.3.19; reports need SKRPTM=1)
    sess = rb"=\d+" if fw else b""
    got = m.tx(b"AT+HTTPC=http://192.168.1.100:8080/get,0\r",
               rb"\+OK%s\r\n\r\n\+HTTPCRPT=\d+,11\r\n\r\nGET /get ok" % sess)
    got = m.tx(b"AT+HTTPC=http://192.168.1.100:8080/post,2,hello=1\r",
               rb"\+OK%s\r\n\r\n\+HTTPCRPT=\d+,14\r\n\r\nposted hello=1" % sess)
    m.tx(b"AT+SKRPTM=0\r", OK)
    # §2.2.4.10 MQTT example (no MQTT in G3: mqtt-absent)
    m.tx(b"AT+WLEAV\r", OK)
    for cmd in (b"AT+WPRT=0", b"AT+SSID=TP-LINK_HyFi_1E", b'AT+KEY=1,0,""', b"AT+PMTF"):
        m.tx(cmd + b"\r", OK)
    m.tx(b"AT+WJOIN\r", rb'\+OK=3c46d82bd81e,0,11,0,"TP-LINK_HyFi_1E",53\r\n\r\n')
    m.tx(b"AT+LKSTT\r", rb'\+OK=1,"192\.168\.1\.109","255\.255\.255\.0","192\.168\.1\.1",'
         rb'"192\.168\.1\.1","0\.0\.0\.0"\r\n\r\n')
    if profile == "g3":
        for cmd in (b"AT+MSERVER=1883,120.55.137.106", b"AT+MCONNECT", b"AT+MCLOSE"):
            m.tx(cmd + b"\r", rb"\+ERR=-2\r\n\r\n")
    else:
        m.tx(b"AT+MSERVER=1883,120.55.137.106\r", OK)
        m.tx(b"AT+MLOGIN=user,password\r", OK)
        m.tx(b"AT+MID=TEST_MQTT\r", OK)
        m.tx(b"AT+MCONNECT\r", OK + rb"\+MQTT:CONNECTED\r\n\r\n")
        m.tx(b"AT+MSUB=HELLO_WORLD\r", OK + rb"\+MSUB:OK\r\n\r\n")
        # -d: the subscriber says when its SUBACK came, so MPUB follows it
        # (line-buffered: its stdout is a pipe).
        sub = subprocess.Popen(["stdbuf", "-oL", "mosquitto_sub", "-d", "-h", "127.0.0.1", "-p", str(mqtt_port),
                                "-t", "Fred", "-C", "1", "-W", "10"], stdout=subprocess.PIPE)
        children.append(sub)
        seen = b""
        while b"SUBACK" not in seen:
            line = sub.stdout.readline()
            if not line:
                fail("%s: mosquitto_sub did not subscribe" % profile)
            seen += line
        m.tx(b"AT+MPUB=Fred,0,0,888AAA\r", OK + rb"\+MPUB:OK\r\n\r\n")
        rest = sub.communicate(timeout=10)[0]
        if b"\n888AAA\n" not in b"\n" + rest:
            fail("%s: the broker did not deliver 888AAA (%r)" % (profile, rest))
        # A PUBLISH must fit the client's 256-byte output ring (firmware
        # §13): 247 bytes of message to "Fred" make a 256-byte packet, 248 do not
        # (-1, lwIP's ERR_MEM).
        m.tx(b"AT+MPUB=Fred,0,0," + b"y" * 247 + b"\r", OK + rb"\+MPUB:OK\r\n\r\n")
        m.tx(b"AT+MPUB=Fred,0,0," + b"y" * 248 + b"\r", OK + rb"\+MPUB:-1\r\n\r\n")
        subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(mqtt_port),
                        "-t", "HELLO_WORLD", "-m", "12345_test"], check=True, timeout=10)
        m.expect(rb"\+MTOPIC:11,HELLO_WORLD\r\n\r\n\+MQD:10,12345_test\r\n\r\n")
        # With a QoS (the format of §2.2.4.5): the topic is "qos/t", not "qos/t,1".
        m.tx(b"AT+MSUB=qos/t,1\r", OK + rb"\+MSUB:OK\r\n\r\n")
        subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(mqtt_port),
                        "-t", "qos/t", "-m", "q1"], check=True, timeout=10)
        m.expect(rb"\+MTOPIC:5,qos/t\r\n\r\n\+MQD:2,q1\r\n\r\n")
        m.tx(b"AT+MCLOSE\r", OK)
    # 3.10 Transparent transmission in automatic working mode
    m.tx(b"AT+WLEAV\r", OK)
    for cmd in (b"AT+WPRT=0", b"AT+SSID=airm2m_wifi", b"AT+KEY=1,0,12345678", b"AT+NIP=0",
                b"AT+ATM=0", b"AT+ATRM=0,0,192.168.1.100,1000", b"AT+PMTF"):
        m.tx(cmd + b"\r", OK)
    m.tx(b"AT+Z\r", OK + b"(ready\r\n(\r\n)?)?")
    try:
        peer = accept(8)
    except socket.timeout:
        fail("%s: 3.10: after AT+Z the module did not join airm2m_wifi and connect "
             "to 192.168.1.100:1000" % profile)
    m.tx(b"serial to net", b"")
    if recv_exact(peer, 13) != b"serial to net":
        fail("%s: 3.10: the TCP server did not get the UART's bytes" % profile)
    peer.sendall(b"net to serial")
    m.expect(b"net to serial")
    time.sleep(0.1)
    m.tx(b"+++", OK)
    m.tx(b"AT+ATM=!1\r", OK)
    peer.close()
    m.close()
    print("%s: flows 3.1-3.10 and the MQTT example pass" % profile)

try:
    end = time.time() + 5
    while True:
        try:
            socket.create_connection(("127.0.0.1", mqtt_port), 0.2).close()
            break
        except OSError:
            if time.time() > end:
                fail("mosquitto did not start on port %d" % mqtt_port)
            time.sleep(0.05)
    for profile in ("luat", "manual", "g3"):
        flows(profile)
finally:
    for c in children:
        if c.poll() is None:
            c.terminate()
            try:
                c.wait(5)
            except subprocess.TimeoutExpired:
                c.kill()
    httpd.shutdown()
PY
echo ok
