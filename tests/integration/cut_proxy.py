"""A TCP relay to the test server whose connections can be cut at once, for the pages'
tests of a connection dropped in the middle of a transfer (the DevTools protocol's
offline mode only fails requests that start after it)."""

import socket
import struct
import threading


class CutProxy:
    def __init__(self, host, port):
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.open = []
        self.down = False  # after cut(): new connections are reset too (browsers retry)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.down:
                self._reset(client)
                continue
            server = socket.create_connection(self.target)
            with self.lock:
                self.open += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    @staticmethod
    def _reset(s):
        """Closes with SO_LINGER 0: an RST, as a lost network gives."""
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
        except OSError:
            pass

    def cut(self):
        """Resets every open connection, and each new one from now on."""
        with self.lock:
            self.down = True
            conns, self.open = self.open, []
        for s in conns:
            self._reset(s)

    def close(self):
        self.listener.close()
        self.cut()
