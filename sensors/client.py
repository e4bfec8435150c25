"""paho's MQTT client, made cheaper per message for a batching subscriber.

paho-mqtt 2 spends most of its 34-51 µs of CPU per QoS 1 message on overhead a
batching subscriber does not need: a ``select()`` and three ``recv()`` calls per
packet, an MQTT 5 ``Properties`` object built and parsed for every PUBLISH, a
message object, topic matching, and one ``send()`` per acknowledgement. This
subclass reads the socket in 64 KiB chunks, decodes the PUBLISH packets already
in that buffer itself (topic, packet id, payload; their properties are skipped,
as this client asks for none) and hands them to ``on_publish_fast``, and queues
a batch's PUBACKs as one write. Every other packet, and any packet not whole in
the buffer, goes through paho as usual. ``pause_reading`` lets the owner stop
reading when it holds enough unacknowledged messages.

It relies on private parts of paho 2.x (``_sock_recv``, ``_in_packet``,
``_packet_queue``); ``pyproject.toml`` pins paho below 3 and the broker tests
exercise every path.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable, Sequence
from typing import Any

import paho.mqtt.client as mqtt

READ_CHUNK = 65_536
_PUBLISH = 0x30
_PUBACK = 0x40
_PUBACK_PACKET = struct.Struct("!BBH")

# (packet id, QoS, topic, payload)
PublishHandler = Callable[[int, int, bytes, bytes], None]


class BufferedClient(mqtt.Client):
    """A paho client with buffered reads, fast PUBLISH decoding and bulk acks."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_buffer = b""
        self._read_pos = 0
        self.on_publish_fast: PublishHandler | None = None
        self.pause_reading: Callable[[], bool] = lambda: False

    def _sock_recv(self, bufsize: int) -> bytes:
        buffer, pos = self._read_buffer, self._read_pos
        if pos >= len(buffer):
            buffer = super()._sock_recv(READ_CHUNK)
            if len(buffer) <= bufsize:
                self._read_buffer, self._read_pos = b"", 0
                return buffer

            pos = 0
            self._read_buffer = buffer

        self._read_pos = pos + bufsize
        return buffer[pos : pos + bufsize]

    def loop_read(self, max_packets: int = 1) -> mqtt.MQTTErrorCode:
        """Handle every packet that has arrived, then return."""
        rc = mqtt.MQTT_ERR_SUCCESS
        while self._sock is not None:
            if self.on_publish_fast is not None and self._in_packet["command"] == 0:
                self._decode_publishes(self.on_publish_fast)

            if self.pause_reading():
                break

            rc = super().loop_read(1)
            # select() only sees the socket: bytes left in the buffer must be
            # handled now or they would wait for the next packet to arrive.
            if rc != mqtt.MQTT_ERR_SUCCESS or self._read_pos >= len(self._read_buffer):
                break

        return rc

    def _decode_publishes(self, handler: PublishHandler) -> None:
        buffer, pos, end = self._read_buffer, self._read_pos, len(self._read_buffer)
        v5 = self._protocol == mqtt.MQTTv5
        start = pos
        while pos < end:
            found = _whole_publish(buffer, pos, end)
            if found is None:
                break

            body, after, qos = found
            decoded = _publish_fields(buffer, body, after, qos, v5)
            if decoded is None:
                break

            handler(*decoded)
            pos = after

        self._read_pos = pos
        if pos != start:
            with self._msgtime_mutex:
                self._last_bytes_received = time.monotonic()

    def reconnect(self) -> mqtt.MQTTErrorCode:
        """Connect again, dropping bytes buffered from the old connection."""
        self._read_buffer, self._read_pos = b"", 0
        return super().reconnect()

    def ack_many(self, mids: Sequence[int]) -> None:
        """Acknowledge QoS 1 messages, in the order given, in one write."""
        if not mids:
            return

        packet = b"".join([_PUBACK_PACKET.pack(_PUBACK, 2, mid) for mid in mids])
        self._packet_queue(_PUBACK, packet, 0, 1)


def _varint(buffer: bytes, pos: int, end: int) -> tuple[int, int] | None:
    """An MQTT variable byte integer at ``pos``: (value, position after)."""
    value, shift = 0, 0
    while pos < end and shift <= 21:
        byte = buffer[pos]
        value |= (byte & 0x7F) << shift
        pos += 1
        if not byte & 0x80:
            return value, pos

        shift += 7

    return None


def _whole_publish(buffer: bytes, pos: int, end: int) -> tuple[int, int, int] | None:
    """(body start, packet end, QoS) of a whole QoS 0/1 PUBLISH at ``pos``."""
    command = buffer[pos]
    qos = (command >> 1) & 0x03
    if command & 0xF0 != _PUBLISH or qos > 1:
        return None

    length = _varint(buffer, pos + 1, end)
    if length is None or length[1] + length[0] > end:
        return None

    return length[1], length[1] + length[0], qos


def _publish_fields(
    buffer: bytes, body: int, after: int, qos: int, v5: bool
) -> tuple[int, int, bytes, bytes] | None:
    """(packet id, QoS, topic, payload) of a PUBLISH body, or None if odd."""
    if after - body < 2:
        return None

    topic_end = body + 2 + ((buffer[body] << 8) | buffer[body + 1])
    pos = topic_end
    mid = 0
    if qos:
        mid = (buffer[pos] << 8) | buffer[pos + 1] if pos + 2 <= after else 0
        pos += 2

    if v5:
        properties = _varint(buffer, pos, after)
        if properties is None:
            return None

        pos = properties[1] + properties[0]

    # An empty topic (a topic alias) or a short packet: leave it to paho.
    if topic_end == body + 2 or pos > after or (qos and mid == 0):
        return None

    return mid, qos, buffer[body + 2 : topic_end], buffer[pos:after]
