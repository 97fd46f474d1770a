"""Raw DICOM upper-layer PDUs (PS3.8) over a plain socket: enough of an SCU to misbehave
on purpose (truncate, abort mid-object, never release), which dcmtk's tools cannot do."""

import socket
import struct

import pydicom
from pydicom.filewriter import write_dataset

APP_CONTEXT = b"1.2.840.10008.3.1.1.1"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
IMPLICIT_LE = "1.2.840.10008.1.2"
CT_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
VERIFICATION = "1.2.840.10008.1.1"


def _uid(value):
    b = value.encode()
    return b + b"\0" if len(b) % 2 else b


def _item(kind, body):
    return struct.pack(">BBH", kind, 0, len(body)) + body


def _pdu(kind, body):
    return struct.pack(">BBI", kind, 0, len(body)) + body


def associate_rq(called, calling, contexts, max_pdu=16384):
    """An A-ASSOCIATE-RQ; contexts: [(id, abstract syntax, [transfer syntaxes])]."""
    body = struct.pack(">HH", 1, 0) + called.ljust(16).encode() + calling.ljust(16).encode()
    body += bytes(32) + _item(0x10, APP_CONTEXT)
    for pcid, abstract, syntaxes in contexts:
        sub = _item(0x30, abstract.encode())
        for ts in syntaxes:
            sub += _item(0x40, ts.encode())
        body += _item(0x20, struct.pack(">BBBB", pcid, 0, 0, 0) + sub)
    user = _item(0x51, struct.pack(">I", max_pdu)) + _item(0x52, b"1.2.3.4.5.6")
    return _pdu(0x01, body + _item(0x50, user))


def abort_pdu():
    return _pdu(0x07, bytes(4))


def release_rq():
    return _pdu(0x05, bytes(4))


def p_data(pcid, data, command, last):
    header = (1 if command else 0) | (2 if last else 0)
    pdv = struct.pack(">IBB", len(data) + 2, pcid, header) + data
    return _pdu(0x04, pdv)


def _element(group, elem, value):
    return struct.pack("<HHI", group, elem, len(value)) + value


def store_command(sop_class, sop_instance, message_id=1):
    """A C-STORE-RQ command set (implicit VR little endian, as PS3.7 wants)."""
    els = (_element(0, 0x0002, _uid(sop_class)) + _element(0, 0x0100, struct.pack("<H", 1))
           + _element(0, 0x0110, struct.pack("<H", message_id))
           + _element(0, 0x0700, struct.pack("<H", 0))
           + _element(0, 0x0800, struct.pack("<H", 0))
           + _element(0, 0x1000, _uid(sop_instance)))
    return _element(0, 0x0000, struct.pack("<I", len(els))) + els


def encode_dataset(ds):
    """The dataset (no meta header) in explicit VR little endian."""
    buf = pydicom.filebase.DicomBytesIO()
    buf.is_little_endian, buf.is_implicit_VR = True, False
    write_dataset(buf, ds)
    return buf.getvalue()


class Peer:
    """One TCP connection to a DICOM listener."""

    def __init__(self, port, timeout=10, source="127.0.0.1"):
        """source: the local address to connect from (any of 127.0.0.0/8 on Linux), so
        that a test can be several peers."""
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                             source_address=(source, 0))

    def send(self, data):
        self.sock.sendall(data)

    def read_pdu(self):
        """(type, body), or None when the other end closed the connection."""
        head = self._read(6)
        if head is None:
            return None
        kind, _, length = struct.unpack(">BBI", head)
        body = self._read(length)
        return None if body is None else (kind, body)

    def _read(self, n):
        out = b""
        while len(out) < n:
            try:
                chunk = self.sock.recv(n - len(out))
            except ConnectionResetError:
                return None
            if not chunk:
                return None
            out += chunk
        return out

    def closed_within(self, seconds):
        """Whether the listener drops the connection within `seconds`: closes it, or
        sends an A-ABORT or an A-ASSOCIATE-RJ (then waits for us to close it)."""
        self.sock.settimeout(seconds)
        try:
            while True:
                pdu = self.read_pdu()
                if pdu is None or pdu[0] in (0x03, 0x07):
                    return True
        except socket.timeout:
            return False

    def associate(self, called, calling, contexts):
        """Sends the request; returns {context id: accepted transfer syntax}."""
        self.send(associate_rq(called, calling, contexts))
        pdu = self.read_pdu()
        assert pdu and pdu[0] == 0x02, f"association not accepted: {pdu!r}"
        body, accepted, pos = pdu[1], {}, 68
        while pos < len(body):
            kind, _, length = struct.unpack(">BBH", body[pos:pos + 4])
            item = body[pos + 4:pos + 4 + length]
            if kind == 0x21 and item[2] == 0:
                ts = item[4 + 4:4 + 4 + struct.unpack(">H", item[6:8])[0]]
                accepted[item[0]] = ts.rstrip(b"\0").decode()
            pos += 4 + length
        return accepted

    def command_response(self):
        """The status of the next DIMSE response (its command set, maybe in fragments)."""
        data = b""
        while True:
            pdu = self.read_pdu()
            assert pdu and pdu[0] == 0x04, f"no response: {pdu!r}"
            body, pos, last = pdu[1], 0, False
            while pos < len(body):
                length, _, header = struct.unpack(">IBB", body[pos:pos + 6])
                data += body[pos + 6:pos + 4 + length]
                last = last or (header & 3) == 3
                pos += 4 + length
            if last:
                break
        pos = 0
        while pos < len(data):
            group, elem, length = struct.unpack("<HHI", data[pos:pos + 8])
            if (group, elem) == (0, 0x0900):
                return struct.unpack("<H", data[pos + 8:pos + 10])[0]
            pos += 8 + length
        raise AssertionError("response without a status")

    def store(self, pcid, ds, split=None):
        """Sends a C-STORE of ds; with split, only that many bytes of the dataset, as a
        fragment that is not the last (the caller then misbehaves)."""
        self.send(p_data(pcid, store_command(ds.SOPClassUID, ds.SOPInstanceUID), True, True))
        data = encode_dataset(ds)
        if split is not None:
            self.send(p_data(pcid, data[:split], False, False))
            return None
        chunk = 16000
        for i in range(0, len(data), chunk):
            self.send(p_data(pcid, data[i:i + chunk], False, i + chunk >= len(data)))
        return self.command_response()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def ct_context(pcid=1):
    return (pcid, CT_STORAGE, [EXPLICIT_LE])


def echo_context(pcid=3):
    return (pcid, VERIFICATION, [IMPLICIT_LE])

