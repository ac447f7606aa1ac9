#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pcap_count.py FILE TEXT: how often TEXT occurs in the bytes of a pcapng
capture that is still being written, each direction's packets joined (so
that a text split over two reads is still found); a block not yet whole
at the end is left for the next look. Prints 0 when there is no file."""
import struct
import sys


def streams(path):
    try:
        b = open(path, "rb").read()
    except OSError:
        return {}
    off, out = 0, {}
    while off + 12 <= len(b):
        typ, ln = struct.unpack_from("<II", b, off)
        if ln < 12 or off + ln > len(b):
            break
        if typ == 6 and ln >= 32:
            cap = struct.unpack_from("<I", b, off + 20)[0]
            data = b[off + 28:off + 28 + cap]
            o, flags = off + 28 + (cap + 3) // 4 * 4, 0
            while o + 4 <= off + ln - 4:
                code, olen = struct.unpack_from("<HH", b, o)
                if code == 0:
                    break
                if code == 2 and olen >= 4:
                    flags = struct.unpack_from("<I", b, o + 4)[0] & 3
                o += 4 + (olen + 3) // 4 * 4
            out[flags] = out.get(flags, b"") + data
        off += ln
    return out


if __name__ == "__main__":
    text = sys.argv[2].encode()
    print(sum(s.count(text) for s in streams(sys.argv[1]).values()))
