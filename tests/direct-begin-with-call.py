#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A peer-to-peer D-Bus client that waits for the server's OK and then sends BEGIN and its
# first call in one write, as dbus-native (the Verdaccio plugin's library) may: sd-bus servers
# leave such a call in their buffer unless told to look again (pkgtokend/bus-direct.c).
#
#   direct-begin-with-call.py SOCKET TIMEOUT_SECONDS
#
# Calls org.freedesktop.DBus.Peer.Ping on /org/pkgtoken1; prints "reply", "error" or
# "no reply" and exits 0 only for a method return.

import os
import socket
import struct
import sys

METHOD_CALL, METHOD_RETURN = 1, 2


def pad(buf, n):
    return buf + b'\0' * (-len(buf) % n)


def header_field(buf, code, signature, value):
    # A (byte, variant) struct; offsets here count from the fields' start, which is at 16
    # in the message, so 8- and 4-alignment agree with the message's own.
    buf = pad(buf, 8) + bytes([code, len(signature)]) + signature.encode() + b'\0'
    value = value.encode()
    return pad(buf, 4) + struct.pack('<I', len(value)) + value + b'\0'


def ping_message(serial):
    fields = b''
    for code, signature, value in ((1, 'o', '/org/pkgtoken1'), (2, 's', 'org.freedesktop.DBus.Peer'),
                                   (3, 's', 'Ping')):
        fields = header_field(fields, code, signature, value)
    return pad(b'l' + bytes([METHOD_CALL, 0, 1]) + struct.pack('<III', 0, serial, len(fields)) + fields, 8)


def main():
    path, timeout = sys.argv[1], float(sys.argv[2])
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    s.sendall(b'\0AUTH EXTERNAL ' + str(os.getuid()).encode().hex().encode() + b'\r\n')
    line = b''
    while not line.endswith(b'\r\n'):
        byte = s.recv(1)
        if not byte:
            print('closed during authentication')
            return 1
        line += byte
    if not line.startswith(b'OK '):
        print('authentication refused: ' + line.decode(errors='replace').strip())
        return 1
    s.sendall(b'BEGIN\r\n' + ping_message(1))
    try:
        reply = s.recv(4096)
    except socket.timeout:
        print('no reply')
        return 1
    if len(reply) >= 2 and reply[1] == METHOD_RETURN:
        print('reply')
        return 0
    print('error')
    return 1


if __name__ == '__main__':
    sys.exit(main())
